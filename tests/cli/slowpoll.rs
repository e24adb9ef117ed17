//! `--slow-poll`: the blocking detector, seen from outside.

use crate::common::*;
use crate::json::Summary;
use std::io::BufRead;
use std::time::Duration;

/// Each blocking task holds the thread for its whole sleep: one warning
/// while it blocks, then the full figure, in that order, task by task.
#[test]
fn blocking_polls_are_named_while_they_block_and_when_they_end() {
    let JsonRun {
        summary: s, stderr, ..
    } = run_json::<Summary>(&[
        "count",
        "-n",
        "3",
        "--blocking",
        "-d",
        "300ms",
        "--slow-poll=50ms",
        "-f",
        "json",
    ])
    .succeeded();
    assert_eq!(s.slow_polls, Some(3), "{stderr}");
    assert!(s.longest_poll_secs.unwrap() >= 0.3, "{s:?}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 6, "{stderr}");
    for (task, pair) in (1..=3).zip(lines.chunks(2)) {
        assert!(
            pair[0].starts_with(&format!(
                "warning: task {task} (count) has held the runtime thread for 0."
            )),
            "{stderr}"
        );
        let done = format!("warning: Executing task {task} (count) took ");
        assert!(pair[1].starts_with(&done), "{stderr}");
        assert!(
            pair[1].ends_with(
                "seconds: it held the runtime thread, so no other task could run on it \
                 (threshold 50ms)"
            ),
            "{stderr}"
        );
        assert!(took_secs(pair[1]) >= 0.3, "{stderr}");
    }
}

/// Async tasks give the thread back at every wait: no poll comes near a
/// threshold most of a delay long, so nothing is reported. The blocking twin,
/// run beside them with the same delay and threshold, shows the threshold is
/// one a poll that holds the thread does reach, and gives the comparison
/// for the longest poll: no clock bound of the test's own.
#[test]
fn async_and_spawn_blocking_runs_never_warn() {
    let run = |mode: &str, tasks: &str| {
        let args = ["count", "-n", tasks, "-m", mode, "-d", "1s"];
        run_json::<Summary>(&[&args[..], &["--slow-poll=700ms", "-f", "json"]].concat()).succeeded()
    };
    // Side by side: each run is mostly waiting.
    let (blocking, runs) = std::thread::scope(|scope| {
        let blocking = scope.spawn(|| run("blocking", "2"));
        let runs =
            ["async", "spawn-blocking"].map(|mode| scope.spawn(move || (mode, run(mode, "20"))));
        (blocking.join().unwrap(), runs.map(|r| r.join().unwrap()))
    });
    assert_eq!(blocking.summary.slow_polls, Some(2), "{}", blocking.stderr);
    let held = blocking.summary.longest_poll_secs.unwrap();
    assert!(held >= 1.0, "{:?}", blocking.summary);
    for (
        mode,
        JsonRun {
            summary: s, stderr, ..
        },
    ) in runs
    {
        assert_eq!(s.slow_polls, Some(0), "{mode}: {stderr}");
        assert!(s.longest_poll_secs.unwrap() < held, "{mode}: {s:?}");
        assert_eq!(stderr, "", "{mode}");
    }
}

/// The warnings go to stderr only: stdout stays the notes' output.
#[test]
fn stdout_is_untouched() {
    let output = asyncdemo(&["hello", "--blocking", "-d", "150ms", "--slow-poll=50ms"])
        .assert()
        .success();
    let stdout = String::from_utf8(output.get_output().stdout.clone()).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..4],
        ["Hello ...", "... World!", "Hello ...", "... World!"]
    );
    assert_eq!(lines.len(), 5);
    assert!(lines[4].starts_with("asyncdemo hello executed in "));
}

/// A spawned task on a multi-thread runtime holds only its worker.
#[test]
fn spawned_tasks_are_named_with_their_worker() {
    let JsonRun {
        summary: s, stderr, ..
    } = run_json::<Summary>(&[
        "count",
        "-n",
        "2",
        "--blocking",
        "--workers",
        "2",
        "--spawn",
        "-d",
        "200ms",
        "--slow-poll=50ms",
        "-f",
        "json",
    ])
    .succeeded();
    assert_eq!(s.slow_polls, Some(2), "{stderr}");
    assert!(stderr.contains("it held its worker thread"), "{stderr}");
}

/// Ctrl-C in the middle of a poll that would block for centuries: the
/// warning is already out, and the summary counts the poll in progress.
#[test]
fn an_interrupted_block_is_reported_while_it_lasts() {
    let mut child = binary()
        .args([
            "count",
            "-n",
            "2",
            "--blocking",
            "-d",
            "500years",
            "--slow-poll=20ms",
            "-f",
            "json",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut warning = String::new();
    // The process is still blocked in task 1's sleep when this line comes.
    stderr.read_line(&mut warning).unwrap();
    // How long the poll had held the thread when the watchdog looked: at
    // least the threshold, and later on a busy machine (0.123 s was seen),
    // so the figure is read rather than expected.
    let so_far: f64 = warning
        .strip_prefix("warning: task 1 (count) has held the runtime thread for ")
        .and_then(|rest| rest.split(" seconds so far: ").next())
        .and_then(|secs| secs.parse().ok())
        .unwrap_or_else(|| panic!("{warning}"));
    assert!(so_far >= 0.02, "{warning}");
    std::thread::sleep(Duration::from_millis(100));
    send_signal(&child, "INT");
    assert_eq!(
        wait_with_limit(&mut child, Duration::from_secs(10)).code(),
        Some(130)
    );
    let summary: Summary = serde_json::from_str(&rest(child.stdout.take().unwrap())).unwrap();
    assert!(summary.interrupted);
    assert_eq!(summary.slow_polls, Some(1));
    // The poll in progress counts to the signal: what it had held by the
    // warning, plus the 100 ms slept since (less the warning's rounding).
    let longest = summary.longest_poll_secs.unwrap();
    assert!(longest >= so_far + 0.0995, "{so_far} then {summary:?}");
}

/// Inside block_in_place on a worker, a slow poll still holds its thread,
/// but the worker's core moved to another thread first: the warning says
/// so and that the others went on, which the run's own count confirms
/// (with one worker, all three waits overlapped). Its figure is the poll
/// the run timed: at least the delay, and the longest is the summary's.
/// Joined on block_on's thread, where there is no core to hand over, the
/// warning is the blocking one, and the waits ran one at a time.
#[test]
fn block_in_place_warnings_say_the_core_moved_or_that_nothing_could_run() {
    let JsonRun {
        summary: s, stderr, ..
    } = run_json::<Summary>(&words(
        "count -n 3 -d 300ms -m block-in-place --workers 1 --spawn --slow-poll=50ms -f json",
    ))
    .succeeded();
    assert_eq!(s.peak_overlap, Some(3), "the others went on: {stderr}");
    let done = "warning: Executing task ";
    let mut took = Vec::new();
    for line in stderr.lines() {
        if line.starts_with(done) {
            assert!(
                line.ends_with(
                    "seconds: it held its thread, inside block_in_place, but the worker's \
                     core had moved to another thread first, so the other tasks went on \
                     there (threshold 50ms)"
                ),
                "{stderr}"
            );
            let secs = took_secs(line);
            assert!(secs >= 0.3, "{stderr}");
            took.push(secs);
        } else {
            assert!(
                line.contains(
                    "seconds, inside block_in_place: the worker's core moved to another \
                     thread first, so the other tasks go on there (threshold 50ms)"
                ),
                "{stderr}"
            );
        }
    }
    assert_eq!(took.len(), 3, "{stderr}");
    let longest = took.iter().copied().fold(0.0, f64::max);
    assert_eq!(
        format!("{longest:.3}"),
        format!("{:.3}", s.longest_poll_secs.unwrap()),
        "{stderr}"
    );

    let JsonRun {
        summary: joined,
        stderr,
        ..
    } = run_json::<Summary>(&words(
        "count -n 2 -d 100ms -m block-in-place --workers 2 --slow-poll=50ms -f json",
    ))
    .succeeded();
    assert_eq!(joined.peak_overlap, Some(1), "{stderr}");
    assert!(!stderr.contains("core"), "{stderr}");
    assert!(
        stderr.contains("so no other task could run on it (threshold 50ms)"),
        "{stderr}"
    );
}

/// A command line's words, split at spaces.
fn words(line: &str) -> Vec<&str> {
    line.split(' ').collect()
}

/// The seconds of a `warning: Executing task N (demo) took S seconds: ...`.
fn took_secs(warning: &str) -> f64 {
    let after = warning.split(" took ").nth(1).unwrap();
    after.split(' ').next().unwrap().parse().unwrap()
}
