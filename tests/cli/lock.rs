//! `asyncdemo lock`: a lock held across `.await`, seen from outside.
//!
//! The deadlock is real (a `std::sync::Mutex` held across a sleep, on one
//! thread), so these tests drive it for real; what they check is the
//! watchdog that ends it, measured against the watchdog's own limit,
//! max(1 s, 2 × delay), not against a fixed figure.

use crate::common::*;
use serde_json::Value;
use std::io::BufRead;
use std::process::Stdio;
use std::time::Duration;

/// The watchdog's limit for `--delay 100ms`: max(1 s, 2 × 100 ms).
const LIMIT_SECS: f64 = 1.0;

/// `asyncdemo lock ARGS -f json`: the summary, stderr and the exit code.
fn lock_json(args: &[&str]) -> (Value, String, Option<i32>) {
    let output = asyncdemo(&[&["lock"][..], args, &["-f", "json"]].concat())
        .timeout(Duration::from_secs_f64(LIMIT_SECS * 30.0))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let summary = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("stdout is not one JSON summary ({e}): {stdout:?}"));
    (
        summary,
        String::from_utf8(output.stderr).unwrap(),
        output.status.code(),
    )
}

/// The NDJSON event lines of `asyncdemo lock ARGS`, as (task, text).
fn lines(args: &[&str]) -> Vec<(u64, String)> {
    let out = stdout_of(&[&["lock"][..], args, &["-f", "ndjson"]].concat());
    out.lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|event| event["type"] == "event")
        .map(|e| {
            (
                e["task"].as_u64().unwrap(),
                e["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_std_mutex_held_across_await_deadlocks_and_the_watchdog_ends_it() {
    let start = std::time::Instant::now();
    let (s, stderr, code) = lock_json(&["-n", "3", "-d", "100ms"]);
    let took = start.elapsed().as_secs_f64();
    assert_eq!(code, Some(1), "{stderr}");
    // Named: the task blocked in lock(), and the one holding the guard.
    assert!(
        stderr.contains("Task 2 is blocked in std::sync::Mutex::lock()"),
        "{stderr}"
    );
    assert!(
        stderr.contains("task 1 holds the guard across .await"),
        "{stderr}"
    );
    assert_eq!(s["lock"], "std");
    assert_eq!(s["deadlock"]["blocked_task"], 2);
    assert_eq!(s["deadlock"]["holder_task"], 1);
    assert_eq!(
        (s["completed"].clone(), s["passed"].clone()),
        (0.into(), false.into())
    );
    // Not before the limit: a task holding the lock for one delay is no
    // deadlock. And well inside the test's own limit of 30 × the limit.
    let stalled = s["deadlock"]["stalled_secs"].as_f64().unwrap();
    assert!(stalled >= LIMIT_SECS, "{s}");
    assert!(took < LIMIT_SECS * 10.0, "took {took} s");
}

/// The limit follows the delay: with 700 ms, twice that.
#[test]
fn the_watchdog_waits_twice_a_long_delay() {
    let (s, _, code) = lock_json(&["-n", "2", "-d", "700ms"]);
    assert_eq!(code, Some(1));
    assert!(
        s["deadlock"]["stalled_secs"].as_f64().unwrap() >= 1.4,
        "{s}"
    );
}

/// The text run shows task 1's line before the hang, then one summary.
#[test]
fn the_deadlocked_text_run_prints_what_happened_and_one_summary() {
    let output = asyncdemo(&["lock", "-d", "100ms"])
        .timeout(Duration::from_secs_f64(LIMIT_SECS * 30.0))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stdout = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "task 1 has the lock ...");
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[1].starts_with("asyncdemo lock "), "{stdout}");
}

#[test]
fn ctrl_c_during_the_deadlock_ends_it_at_once_with_one_summary() {
    // A long delay, so that only Ctrl-C can end the run before the test's
    // limit: the watchdog would wait 2 × 1 h.
    let (mut child, mut stdout, mut first) =
        spawn_until_first_line(&["lock", "-d", "1h", "-f", "ndjson", "--slow-poll=50ms"]);
    // Past the task-state model's changes that come before it.
    while serde_json::from_str::<Value>(&first).unwrap()["type"] == "state" {
        first.clear();
        stdout.read_line(&mut first).unwrap();
    }
    let event: Value = serde_json::from_str(&first).unwrap();
    assert_eq!(event["text"], "task 1 has the lock ...");
    // Task 2 is in lock() right after task 1's line: the deadlock has begun
    // once the slow-poll watch names task 2 holding the thread.
    let warning = deadlock_warning(&mut child);
    send_signal(&child, "INT");
    let status = wait_with_limit(&mut child, Duration::from_secs(10));
    assert_names_task_2(&warning);
    assert_eq!(status.code(), Some(130));
    let rest: Vec<Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(&line.unwrap()).unwrap())
        .collect();
    let summaries: Vec<&Value> = rest.iter().filter(|l| l["type"] == "summary").collect();
    assert_eq!(summaries.len(), 1, "{rest:?}");
    assert_eq!(summaries[0]["interrupted"], true);
    assert_eq!(summaries[0]["completed"], 0);
}

/// `-f json` stays one valid object when Ctrl-C ends the deadlock.
#[test]
fn ctrl_c_during_the_deadlock_leaves_valid_json() {
    let mut child = binary()
        .args(["lock", "-d", "1h", "-f", "json", "--slow-poll=50ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // No task line in json: the slow-poll warning on stderr says when the
    // deadlock has begun.
    let warning = deadlock_warning(&mut child);
    send_signal(&child, "INT");
    let status = wait_with_limit(&mut child, Duration::from_secs(10));
    assert_names_task_2(&warning);
    assert_eq!(status.code(), Some(130));
    let s: Value = serde_json::from_str(&rest(child.stdout.take().unwrap())).unwrap();
    assert_eq!(
        (s["interrupted"].clone(), s["lock"].clone()),
        (true.into(), "std".into())
    );
}

/// The `--slow-poll` warning that names task 2 blocked in `lock()`: once
/// it is out, the deadlock is in progress. Checked with
/// [`assert_names_task_2`] after the child is stopped, so that a failed
/// check leaves no process behind.
fn deadlock_warning(child: &mut std::process::Child) -> String {
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut warning = String::new();
    stderr.read_line(&mut warning).unwrap();
    warning
}

fn assert_names_task_2(warning: &str) {
    assert!(
        warning.starts_with("warning: task 2 (lock) has held the runtime thread for 0."),
        "{warning}"
    );
}

#[test]
fn slow_poll_names_the_poll_blocked_in_lock_while_it_blocks() {
    let mut child = binary()
        .args(["lock", "-d", "1h", "-q", "--slow-poll=50ms"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let warning = deadlock_warning(&mut child);
    send_signal(&child, "INT");
    assert_eq!(
        wait_with_limit(&mut child, Duration::from_secs(10)).code(),
        Some(130)
    );
    assert_names_task_2(&warning);
}

/// tokio's Mutex: no deadlock, but the tasks take turns, N × delay.
#[test]
fn a_tokio_mutex_makes_the_tasks_take_turns() {
    let got = lines(&["-n", "3", "-d", "30ms", "--lock", "tokio"]);
    let expected: Vec<(u64, String)> = (1..=3)
        .flat_map(|id| {
            [
                (id, format!("task {id} has the lock ...")),
                (id, format!("... task {id} releases the lock")),
            ]
        })
        .collect();
    assert_eq!(got, expected);
    let (s, _, code) = lock_json(&["-n", "3", "-d", "40ms", "--lock", "tokio"]);
    assert_eq!(code, Some(0));
    assert!(s.get("deadlock").is_none(), "{s}");
    assert!(elapsed(&s) >= 3.0 * 0.040, "{s}");
}

/// No lock: the waits overlap, and the run takes about one delay, less
/// than the tokio run of the same test.
#[test]
fn without_a_lock_the_waits_overlap() {
    let got = lines(&["-n", "3", "-d", "30ms", "--lock", "none"]);
    let firsts: Vec<u64> = got[..3].iter().map(|(id, _)| *id).collect();
    assert_eq!(firsts, [1, 2, 3]);
    assert!(
        got[3..]
            .iter()
            .all(|(_, text)| text.ends_with("releases the lock"))
    );
    let (none, _, _) = lock_json(&["-n", "3", "-d", "100ms", "--lock", "none"]);
    let (tokio, _, _) = lock_json(&["-n", "3", "-d", "100ms", "--lock", "tokio"]);
    assert!(
        elapsed(&none) < elapsed(&tokio),
        "none {none}, tokio {tokio}"
    );
}

#[test]
fn lock_refuses_spawn_and_modes_with_the_reason() {
    for (args, reason) in [
        (&["lock", "--spawn"][..], "!Send"),
        (&["lock", "--blocking"], "--lock chooses"),
        (&["lock", "-m", "threads"], "--lock chooses"),
    ] {
        let output = asyncdemo(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(stderr.contains(reason), "{args:?}: {stderr}");
    }
}

/// The lock's steps are events of the run: the trace file has them.
#[test]
fn the_trace_tells_who_asked_for_the_lock_and_who_held_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("lock.json");
    let path = file.to_str().unwrap();
    asyncdemo(&[
        "lock", "-n", "2", "-d", "20ms", "--lock", "tokio", "-q", "--trace", path,
    ])
    .assert()
    .success();
    let trace: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let names: Vec<&str> = trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    assert!(
        names.contains(&"task 2 asks for the tokio::sync::Mutex (held by task 1)"),
        "{names:?}"
    );
    assert!(
        names.contains(&"task 1 released the tokio::sync::Mutex"),
        "{names:?}"
    );
}

/// compare lock: the three locks, one row each; the std row deadlocked
/// (so compare exits 1), the other two finished.
#[test]
fn compare_lock_shows_the_three_locks() {
    let output = asyncdemo(&["compare", "lock", "-d", "100ms", "-f", "json"])
        .timeout(Duration::from_secs_f64(LIMIT_SECS * 30.0))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let rows: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let locks: Vec<&str> = rows.iter().map(|r| r["lock"].as_str().unwrap()).collect();
    assert_eq!(locks, ["std", "tokio", "none"]);
    assert_eq!(rows[0]["deadlock"]["blocked_task"], 2);
    assert!(rows[1..].iter().all(|r| r["completed"] == 3));
    let text = String::from_utf8(
        asyncdemo(&["compare", "lock", "-d", "100ms"])
            .timeout(Duration::from_secs_f64(LIMIT_SECS * 30.0))
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert!(text.contains("deadlocked:"), "{text}");
    assert!(text.contains("serialises the tasks"), "{text}");
}

/// `asyncdemo lock ARGS --explain`: stdout and the exit code.
fn explained(args: &[&str]) -> (String, Option<i32>) {
    let output = asyncdemo(&[&["lock", "-d", "100ms", "--explain"][..], args].concat())
        .timeout(Duration::from_secs_f64(LIMIT_SECS * 30.0))
        .output()
        .unwrap();
    (
        String::from_utf8(output.stdout).unwrap(),
        output.status.code(),
    )
}

/// The narration names the step that deadlocks: task 2's std `lock()`,
/// which returns no Pending, while task 1 holds the guard; and it never
/// says that the tasks are done.
#[test]
fn explain_narrates_the_std_lock_that_blocks_the_thread() {
    let (out, code) = explained(&[]);
    assert_eq!(code, Some(1), "{out}");
    let asked = "task 2 asks for the lock: std's lock() blocks the thread (no Pending): \
                 task 1, which holds the guard across its .await, can never be polled again.";
    let first = out.find("task 1 has the lock").expect(&out);
    let at = out.find(asked).unwrap_or_else(|| panic!("{out}"));
    assert!(first < at, "task 2 asks after task 1's first line:\n{out}");
    assert!(!out.contains("tasks are done"), "{out}");
}

/// With tokio's Mutex the narration says why nothing blocks: the waiting
/// tasks' `lock().await` returns Pending, and each gets the lock in turn,
/// after waiting at least one delay per task before it.
#[test]
fn explain_narrates_tokio_handing_the_lock_over() {
    let (out, code) = explained(&["--lock", "tokio"]);
    assert_eq!(code, Some(0), "{out}");
    for task in [2, 3] {
        let asked = format!(
            "task {task} asks for the lock: it is held by task 1, so tokio::sync::Mutex's \
             lock().await returns Pending and the thread is free."
        );
        assert!(out.contains(&asked), "{out}");
        let got = format!("task {task} gets the tokio::sync::Mutex after ");
        let waited: f64 = out
            .split(&got)
            .nth(1)
            .and_then(|rest| rest.split(" ms").next())
            .and_then(|ms| ms.parse().ok())
            .unwrap_or_else(|| panic!("{out}"));
        assert!(waited >= 100.0 * f64::from(task - 1), "{waited} ms\n{out}");
    }
    assert!(out.contains("all 3 tasks are done"), "{out}");
}

/// The rows of a `--timeline`, by their label.
fn row<'a>(picture: &'a str, label: &str) -> &'a str {
    picture
        .lines()
        // The label is padded: a demo line ("task 2 has the lock") is not.
        .find_map(|l| l.strip_prefix(label).filter(|rest| rest.starts_with("  ")))
        .unwrap_or_else(|| panic!("no {label:?} row:\n{picture}"))
        .trim()
}

/// A deadlock, drawn from the lock's own steps: task 2 blocked in std's
/// lock() (holding the thread) to the end, task 3 ready and never polled,
/// and the runtime thread held, not parked, with a legend line for each.
#[test]
fn the_timeline_draws_the_deadlock_from_the_lock_steps() {
    let output = asyncdemo(&["lock", "-d", "100ms", "--timeline"])
        .timeout(Duration::from_secs_f64(LIMIT_SECS * 30.0))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let out = String::from_utf8(output.stdout).unwrap();
    let blocked = row(&out, "task 2");
    assert!(
        blocked.trim_end_matches('!').chars().all(|c| c == '#'),
        "{out}"
    );
    let never = row(&out, "task 3");
    assert!(
        never.trim_end_matches('!').chars().all(|c| c == '.'),
        "{out}"
    );
    let thread = row(&out, "block_on thread");
    assert!(!thread.contains('_') && thread.contains('H'), "{out}");
    for legend in [
        "# blocked in std::sync::Mutex::lock(), holding its thread",
        "! never finished: the run deadlocked",
        "H runtime thread held in std's lock() (no CPU)",
    ] {
        assert!(out.contains(legend), "{legend:?}:\n{out}");
    }
}

/// tokio's lock: the tasks after the first wait for the lock (Pending, the
/// thread free and parked), not for the thread.
#[test]
fn the_timeline_draws_a_wait_for_tokios_lock_as_its_own_state() {
    let out = stdout_of(&["lock", "-d", "100ms", "--lock", "tokio", "--timeline"]);
    for task in ["task 2", "task 3"] {
        let lane = row(&out, task);
        let before = lane.split('o').next().unwrap();
        assert!(
            !before.is_empty() && before.chars().all(|c| c == ':'),
            "{out}"
        );
    }
    assert!(row(&out, "block_on thread").contains('_'), "{out}");
    assert!(
        out.contains(": waiting for the lock (Pending), its thread free"),
        "{out}"
    );
    let svg = stdout_of(&["lock", "-d", "100ms", "--lock", "tokio", "-q", "--svg", "-"]);
    assert!(svg.contains(r#"class="lock""#), "{svg}");
}
