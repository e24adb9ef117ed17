//! `--explain`: the executor narrated between the demo's lines.
//!
//! Two kinds of check. The narration never changes the demo's own output:
//! with the marked lines taken out, a run with `--explain` prints what the
//! plain run prints, in every way of running. And the narration is true:
//! a blocking run's narration shows its thread held for at least the delay,
//! an async run's shows `Pending`, the timer waking the task and the thread
//! parked in between; each claim is checked against figures the test knows
//! (the delay it asked for), not against the narration's own output.

use crate::common::*;

const MARK: &str = "  │ ";

/// The lines of `text` that are the demo's own, with the summary's figure
/// blanked (two runs take different times).
fn demo_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| !line.starts_with(MARK))
        .map(|line| match line.split_once(" executed in ") {
            Some((head, _)) => format!("{head} executed in N seconds."),
            None => line.to_owned(),
        })
        .collect()
}

/// The narration's lines, without their mark.
fn narration(text: &str) -> Vec<&str> {
    text.lines().filter_map(|l| l.strip_prefix(MARK)).collect()
}

/// The milliseconds in `... after 1002.153 ms ...`: every figure that
/// follows `after` in `line`.
fn millis_after(line: &str, word: &str) -> Vec<f64> {
    line.split(word)
        .skip(1)
        .filter_map(|rest| rest.trim_start().split(" ms").next()?.parse().ok())
        .collect()
}

#[test]
fn without_its_marked_lines_the_output_is_the_plain_runs() {
    for demo in ["count", "hello"] {
        for way in every_way() {
            let mut args = vec![demo, "-n", "3", "-d", "30ms"];
            args.extend(&way);
            let plain = stdout_of(&args);
            args.push("--explain");
            let explained = stdout_of(&args);
            assert!(
                explained.lines().any(|l| l.starts_with(MARK)),
                "{args:?}: no narration"
            );
            let (mut want, mut have) = (demo_lines(&plain), demo_lines(&explained));
            // Spawned tasks on several workers print in an order of the
            // scheduler's choosing, and a thread per task in the kernel's (a
            // thread started late on a busy machine prints its first line
            // after another's last); the lines must still be the same lines.
            if (way.contains(&"--spawn") && way.contains(&"--workers")) || way.contains(&"threads")
            {
                want.sort();
                have.sort();
            }
            assert_eq!(have, want, "{args:?}");
        }
    }
}

#[test]
fn every_way_says_who_polls_and_how_each_task_ends() {
    for way in every_way() {
        let mut args = vec!["count", "-n", "2", "-d", "30ms", "--explain"];
        args.extend(&way);
        let out = stdout_of(&args);
        let told = narration(&out);
        let first = told[0];
        let threads = way.contains(&"threads");
        let spawned = way.contains(&"--spawn");
        if threads {
            assert!(first.starts_with("no executor here"), "{way:?}: {first}");
            assert!(
                !out.contains("polls task"),
                "{way:?}: no poll in threads mode"
            );
            assert!(out.contains("task 2 prints its last line, then its coroutine is Ready"));
        } else if spawned {
            assert!(first.contains("tokio task of its own"), "{way:?}: {first}");
            assert!(out.contains("tokio's scheduler polls task 1"), "{way:?}");
        } else {
            assert!(first.contains("join_all polls its 2 coroutines itself"));
            assert!(first.contains("gather would wrap each coroutine in a Task"));
            assert!(out.contains("join_all polls task 1"), "{way:?}");
        }
        // While the tasks wait, the thread that polls them sleeps: a
        // runtime worker parks; `block_on`'s caller, no worker, waits in it.
        let waits = way.contains(&"async") || way.contains(&"spawn-blocking");
        if waits && !spawned && way.contains(&"--workers") {
            assert!(out.contains("waits in block_on"), "{way:?}: {out}");
            assert!(out.contains("is back in block_on at"), "{way:?}: {out}");
        } else if waits && !way.contains(&"--workers") {
            assert!(out.contains("parks: no task is ready"), "{way:?}: {out}");
        }
        if !threads {
            for task in [1, 2] {
                let ready = format!("task {task}'s poll returns Ready after");
                assert_eq!(
                    told.iter().filter(|l| l.starts_with(&ready)).count(),
                    1,
                    "{way:?}: task {task} ends once"
                );
            }
        }
        assert!(
            told.last().unwrap().starts_with("all 2 tasks are done at"),
            "{way:?}"
        );
    }
}

/// A blocking run: no `Pending`, and the thread held for the measured time,
/// which is at least the delay the test asked for.
#[test]
fn a_blocking_narration_shows_the_thread_held_for_at_least_the_delay() {
    let out = stdout_of(&["count", "-n", "2", "-d", "80ms", "--blocking", "--explain"]);
    assert!(!out.contains("Pending after"), "{out}");
    let held: Vec<f64> = narration(&out)
        .iter()
        .filter(|l| l.contains("std::thread::sleep(80ms) returned after"))
        .flat_map(|l| millis_after(l, "returned after"))
        .collect();
    assert_eq!(held.len(), 2, "{out}");
    assert!(held.iter().all(|&ms| ms >= 80.0), "{held:?}");
    // Each whole task ran inside one poll that took at least the delay.
    let polls: Vec<f64> = narration(&out)
        .iter()
        .filter(|l| l.contains("(the whole task ran in this one poll)"))
        .flat_map(|l| millis_after(l, "Ready after"))
        .collect();
    assert_eq!(polls.len(), 2, "{out}");
    assert!(polls.iter().all(|&ms| ms >= 80.0), "{polls:?}");
    // And the second task is polled only after the first is done.
    let lines: Vec<&str> = out.lines().collect();
    let done = lines
        .iter()
        .position(|l| l.contains("task 1 is done"))
        .unwrap();
    let second = lines
        .iter()
        .position(|l| l.contains("polls task 2"))
        .unwrap();
    assert!(done < second, "{out}");
}

/// An async run: each task returns `Pending` quickly, the thread parks, the
/// timer wakes both tasks at least a delay later, and they are polled again.
#[test]
fn an_async_narration_shows_pending_the_park_and_the_timer_waking_the_task() {
    let out = stdout_of(&["count", "-n", "2", "-d", "80ms", "--explain"]);
    let told = narration(&out);
    assert!(!out.contains("returned after"), "no held thread: {out}");
    let pending = told
        .iter()
        .filter(|l| l.contains("returns Pending"))
        .count();
    assert_eq!(pending, 2, "{out}");
    let woken: Vec<f64> = told
        .iter()
        .filter(|l| l.contains("is woken by its timer"))
        .flat_map(|l| millis_after(l, "timer,"))
        .collect();
    assert_eq!(woken.len(), 2, "{out}");
    assert!(woken.iter().all(|&ms| ms >= 80.0), "{woken:?}");
    let parks = told
        .iter()
        .position(|l| l.starts_with("thread 1 parks"))
        .unwrap();
    let first_woken = told.iter().position(|l| l.contains("is woken")).unwrap();
    assert!(parks < first_woken, "{out}");
    let parked: Vec<f64> = told
        .iter()
        .filter(|l| l.starts_with("thread 1 wakes up"))
        .flat_map(|l| millis_after(l, "after"))
        .collect();
    assert!(parked.iter().any(|&ms| ms >= 80.0), "{out}");
    assert!(out.contains("join_all polls task 1 again"), "{out}");
    assert!(out.contains("ready, for the thread"), "{out}");
    // Both first lines come before the first wake-up.
    let lines: Vec<&str> = out.lines().collect();
    let ones: Vec<usize> = (0..lines.len()).filter(|&i| lines[i] == "One").collect();
    let woke = lines.iter().position(|l| l.contains("is woken")).unwrap();
    assert!(ones.iter().all(|&i| i < woke), "{out}");
}

/// spawn-blocking: the task is woken by the pool thread that made its call,
/// which is not the thread that polls it.
#[test]
fn a_spawn_blocking_task_is_woken_from_the_blocking_pool() {
    let out = stdout_of(&[
        "count",
        "-n",
        "1",
        "-d",
        "50ms",
        "-m",
        "spawn-blocking",
        "--explain",
    ]);
    let woken = narration(&out)
        .into_iter()
        .find(|l| l.starts_with("task 1 is woken by its call"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(millis_after(woken, "call,")[0] >= 50.0, "{woken}");
    assert!(!woken.ends_with("on thread 1): it is ready, and waits for the thread."));
}

#[test]
fn past_three_tasks_the_rest_are_summed_up_in_one_line() {
    let out = stdout_of(&["count", "-n", "10", "-d", "20ms", "--explain"]);
    let told = narration(&out);
    assert!(told[0].contains("Tasks 1 to 3 are narrated; the other 7 are summed up"));
    assert!(!told.iter().any(|l| l.contains("task 4")), "{out}");
    let rest: Vec<&&str> = told
        .iter()
        .filter(|l| l.starts_with("tasks 4 to 10"))
        .collect();
    assert_eq!(rest.len(), 1, "{out}");
    // 7 tasks, each polled twice (once to its wait, once to its end).
    assert!(
        rest[0].contains("7 of them finished, polled 14 times in all, 7 of those polls"),
        "{}",
        rest[0]
    );
    // A big run's narration stays about as short as a small one's: the
    // same three tasks, and one line for the rest.
    let big = stdout_of(&["count", "-n", "5000", "-d", "20ms", "--explain"]);
    let big = narration(&big);
    assert!(big.len() <= told.len() + 4, "{big:#?}");
    assert!(
        big.iter()
            .any(|l| l.starts_with("tasks 4 to 5000 were not narrated: 4997"))
    );
}

/// In NDJSON, each step is an object of its own type, and the demo's own
/// events are those of the plain run.
#[test]
fn in_ndjson_each_step_is_an_explain_object() {
    let args = ["count", "-n", "2", "-d", "20ms", "-f", "ndjson"];
    let texts = |out: &str| -> Vec<(String, serde_json::Value)> {
        out.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .map(|v| (v["type"].as_str().unwrap().to_owned(), v))
            .collect()
    };
    let plain = texts(&stdout_of(&args));
    let mut with = args.to_vec();
    with.push("--explain");
    let explained = texts(&stdout_of(&with));
    let steps: Vec<&serde_json::Value> = explained
        .iter()
        .filter(|(t, _)| t == "explain")
        .map(|(_, v)| v)
        .collect();
    assert!(steps.len() > 5);
    for step in &steps {
        assert!(step["t_secs"].is_f64(), "{step}");
        assert!(
            step["text"].is_string() && step["step"].is_string(),
            "{step}"
        );
    }
    assert!(
        steps
            .iter()
            .any(|s| s["step"] == "pending" && s["task"] == 1)
    );
    let events = |all: &[(String, serde_json::Value)]| -> Vec<(String, String)> {
        all.iter()
            // The state objects follow the run's timing (a busy machine
            // adds a short ready or queued span), so they are left out.
            .filter(|(t, _)| t != "explain" && t != "state")
            .map(|(t, v)| (t.clone(), v["text"].to_string()))
            .collect()
    };
    assert_eq!(events(&explained), events(&plain));
}

#[test]
fn explain_is_refused_where_it_has_no_lines_to_go_between() {
    for args in [
        &["count", "--explain", "-q"][..],
        &["count", "--explain", "-f", "json"],
        &["count", "--explain", "--slow-poll"],
    ] {
        asyncdemo(args)
            .assert()
            .code(2)
            .stderr(predicates::str::contains("--explain"));
    }
}

#[cfg(feature = "http")]
#[test]
fn fetch_is_narrated_as_a_request_or_a_blocking_call() {
    let out = stdout_of(&["fetch", "-n", "2", "-d", "60ms", "--explain"]);
    assert!(out.contains("awaits its HTTP request (reqwest)"), "{out}");
    assert!(out.contains("is woken by its HTTP request"), "{out}");
    assert!(!out.contains("returned after"), "{out}");
    let out = stdout_of(&["fetch", "-n", "2", "-d", "60ms", "--blocking", "--explain"]);
    let held: Vec<f64> = narration(&out)
        .iter()
        .filter(|l| l.contains("ureq's blocking HTTP request returned after"))
        .flat_map(|l| millis_after(l, "returned after"))
        .collect();
    assert_eq!(held.len(), 2, "{out}");
    assert!(held.iter().all(|&ms| ms >= 60.0), "{held:?}");
}

/// `--work spin`: the blocking loop holds the thread in one poll (no
/// Pending); the yielding loop returns Pending after each slice, is
/// re-queued at once, and its later slices are summed up, so that the
/// narration of a 100 ms loop stays short.
#[test]
fn explain_says_what_a_spin_does_with_the_thread() {
    let out = stdout_of(&[
        "count",
        "-n",
        "2",
        "-d",
        "100ms",
        "--work",
        "spin",
        "--blocking",
        "--explain",
    ]);
    let told = narration(&out);
    for task in [1, 2] {
        let line = told
            .iter()
            .find(|l| {
                l.contains("that never yields returned after ")
                    && l.contains(&format!("inside task {task}'s poll (no Pending)"))
            })
            .unwrap_or_else(|| panic!("{out}"));
        assert!(millis_after(line, "after")[0] >= 100.0, "{line}");
    }
    assert!(!out.contains("yield_now"), "{out}");

    let out = stdout_of(&[
        "count",
        "-n",
        "2",
        "-d",
        "100ms",
        "--work",
        "spin",
        "--explain",
    ]);
    let told = narration(&out);
    for task in [1, 2] {
        assert!(
            told.iter().any(
                |l| l.starts_with(&format!("task {task}'s poll returns Pending"))
                    && l.contains("yield_now gave the thread up")
            ),
            "{out}"
        );
        assert!(
            told.iter()
                .any(|l| l.starts_with(&format!("task {task} goes on the same way"))),
            "{out}"
        );
        assert!(
            told.iter()
                .any(|l| l.starts_with(&format!("task {task}'s poll returns Ready"))),
            "{out}"
        );
    }
    // About a hundred slices each, told in a few lines: each task's first
    // slice, and the summing up.
    assert!(told.len() < 20, "{} lines:\n{out}", told.len());
    assert!(!out.contains("tokio::time::sleep"), "{out}");
}

// ---- Why a task waited, from what was observed (issue 30 item 6; the
// queue of a query, issue 32 item 3). Each run is one where clock
// arithmetic would say something wrong: a held thread, a small pool, a
// deadlock, too few connections. Figures are checked against the run's
// own events and its JSON's `task_states` (the task-state model), never
// against the narration itself.

/// An NDJSON run with `--explain`: its objects, whatever its exit code.
fn ndjson_run(args: &[&str]) -> Vec<serde_json::Value> {
    let mut with = args.to_vec();
    with.extend(["-f", "ndjson", "--explain"]);
    let output = asyncdemo(&with).output().unwrap();
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The narration step of `kind` about `task` whose text has `words`.
fn step<'a>(
    run: &'a [serde_json::Value],
    kind: &str,
    task: u32,
    words: &str,
) -> &'a serde_json::Value {
    run.iter()
        .find(|v| {
            v["type"] == "explain"
                && v["step"] == kind
                && v["task"] == task
                && v["text"].as_str().unwrap().contains(words)
        })
        .unwrap_or_else(|| panic!("no {kind} step of task {task} with {words:?} in {run:#?}"))
}

fn text(value: &serde_json::Value) -> &str {
    value["text"].as_str().unwrap()
}

/// When task `task` printed its first (`nth` 0) or last (1) line, in s.
fn line_at(run: &[serde_json::Value], task: u32, nth: usize) -> f64 {
    run.iter()
        .filter(|v| v["type"] == "event" && v["task"] == task)
        .nth(nth)
        .unwrap_or_else(|| panic!("task {task}'s line {nth} in {run:#?}"))["t_secs"]
        .as_f64()
        .unwrap()
}

/// Task `task`'s seconds in `state`, from the summary's `task_states`.
fn state_secs(run: &[serde_json::Value], task: u32, state: &str) -> f64 {
    let summary = run.iter().find(|v| v["type"] == "summary").unwrap();
    summary["task_states"]["tasks"][task as usize - 1]["secs"][state]
        .as_f64()
        .unwrap()
}

/// The first figure after `word` in `text` (`after 200.5 ms` -> 200.5).
fn figure_after(text: &str, word: &str) -> f64 {
    text.split(word)
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no figure after {word:?} in {text}"))
}

/// `count -n 2 -d 200ms --blocking`: task 2 waited, ready, for its first
/// poll while task 1 held the one thread. The clause names task 1, and its
/// figure covers at least task 1's own wait between its two lines.
#[test]
fn a_ready_task_is_told_which_task_held_its_thread() {
    let run = ndjson_run(&["count", "-n", "2", "-d", "200ms", "--blocking"]);
    let poll = text(step(&run, "poll", 2, "for the first time"));
    assert!(poll.contains(": task 1's poll held it for "), "{poll}");
    let waited = figure_after(poll, "it waited");
    let held = figure_after(poll, "held it for");
    let task_1_between_lines = 1e3 * (line_at(&run, 1, 1) - line_at(&run, 1, 0));
    assert!(held >= 200.0 && held >= task_1_between_lines, "{poll}");
    assert!(held <= waited, "{poll}");
    // The model drew task 2 ready all that time.
    let ready = 1e3 * state_secs(&run, 2, "ready");
    assert!(
        (waited - ready).abs() < 5.0,
        "{poll} vs the model's {ready} ms"
    );
}

/// `lock -n 3 -d 300ms` (std's mutex): task 2 blocks the one thread in
/// `lock()`, so task 1's deadline passes with no thread to fire its timer.
/// When the run stalls, the narration names the overdue state, the thread
/// and the task that holds it; its figure is the model's overdue time.
#[test]
fn an_overdue_timer_is_named_when_the_lock_demo_stalls() {
    let run = ndjson_run(&["lock", "-n", "3", "-d", "300ms"]);
    let overdue = step(&run, "overdue", 1, "deadline passed");
    let words = text(overdue);
    assert!(
        words.contains("only when thread 1 parks")
            && words.contains("task 2 holds thread 1 in a poll that has not returned")
            && words.contains("overdue, not ready"),
        "{words}"
    );
    let late = figure_after(words, "deadline passed");
    let told_at = overdue["t_secs"].as_f64().unwrap();
    // The timer was armed after task 1's first line, due 300 ms later, and
    // is overdue once the wheel's 1 ms rounding has passed.
    let line = line_at(&run, 1, 0);
    assert!(late <= told_at - line - 0.3 + 0.001, "{words}");
    assert!(late >= told_at - line - 0.3 - 0.05, "{words}");
    let model = state_secs(&run, 1, "overdue");
    assert!(
        (late - model).abs() < 0.05,
        "{words} vs the model's {model} s"
    );
    // Never called ready: nobody called its waker.
    assert!(!run.iter().any(|v| v["step"] == "woken"), "{run:#?}");
    // Task 3 never got the thread: ready since the start, as the model
    // drew it, for at least the second the deadlock watch waits.
    let never = text(step(&run, "never-polled", 3, "was never polled"));
    assert!(never.contains("task 2 holds thread 1"), "{never}");
    let waited = figure_after(never, "has waited");
    assert!(waited >= 1000.0, "{never}");
    let ready = 1e3 * state_secs(&run, 3, "ready");
    assert!(
        (waited - ready).abs() < 50.0,
        "{never} vs the model's {ready} ms"
    );
}

/// Four 300 ms calls on a blocking pool of two threads: two wait in the
/// pool's queue.
const POOL_OF_TWO: &[&str] = &[
    "count",
    "-n",
    "4",
    "-d",
    "300ms",
    "-m",
    "spawn-blocking",
    "--blocking-threads",
    "2",
];

/// `count -n 4 -d 300ms -m spawn-blocking --blocking-threads 2`: task 3's
/// call sits in the pool's queue until a pool thread is free. Its Pending
/// says so, and the start is told with the time it was queued.
#[test]
fn a_pool_call_queued_for_a_thread_is_told_so() {
    let run = ndjson_run(POOL_OF_TWO);
    let pending = step(&run, "pending", 3, "Pending");
    let pending_at = pending["t_secs"].as_f64().unwrap();
    let pending = text(pending);
    assert!(
        pending.contains("its call waits in the blocking pool's queue"),
        "{pending}"
    );
    let started = step(&run, "pool-started", 3, "starts on blocking-pool thread");
    let started_at = started["t_secs"].as_f64().unwrap();
    let started = text(started);
    let queued = started
        .split(", ")
        .nth(1)
        .and_then(|s| s.split(" ms").next())
        .and_then(|n| n.parse::<f64>().ok())
        .unwrap_or_else(|| panic!("{started}"));
    // A pool thread came free only when task 1's or 2's 300 ms call ended
    // (each began after its task's first line), and task 3's call was
    // queued before its poll returned.
    assert!(started_at >= line_at(&run, 1, 0) + 0.3, "{started}");
    assert!(
        queued >= 1e3 * (started_at - pending_at) - 0.01,
        "{started}"
    );
    let model = 1e3 * state_secs(&run, 3, "queued");
    assert!(queued >= model - 1.0, "{started} vs the model's {model} ms");
}

/// `query -n 4 -d 200ms --connections 2`: tasks 1 and 2 find a connection
/// free; task 3 asks while both are busy. Each Pending says what was
/// observed, and task 3's query is told sent once a connection took it.
#[test]
#[cfg(feature = "db")]
fn a_query_is_told_queued_or_sent_as_observed() {
    let run = ndjson_run(&["query", "-n", "4", "-d", "200ms", "--connections", "2"]);
    let first = text(step(&run, "pending", 1, "Pending"));
    assert!(first.contains("(0 of 2 busy)"), "{first}");
    let second = text(step(&run, "pending", 2, "Pending"));
    assert!(second.contains("(1 of 2 busy)"), "{second}");
    let third = text(step(&run, "pending", 3, "Pending"));
    assert!(
        third.contains("its query is queued: all 2 connections are busy"),
        "{third}"
    );
    // Woken when a connection came free, after task 1's or task 2's whole
    // query; the model has it queued at least that long.
    let freed = step(&run, "woken", 3, "a connection came free");
    let freed_at = freed["t_secs"].as_f64().unwrap();
    let freed = text(freed);
    let waited = figure_after(freed, "its query,");
    assert!(freed_at >= line_at(&run, 1, 0) + 0.2, "{freed}");
    let pending_at = step(&run, "pending", 3, "queued")["t_secs"]
        .as_f64()
        .unwrap();
    assert!(waited >= 1e3 * (freed_at - pending_at) - 0.01, "{freed}");
    let model = 1e3 * state_secs(&run, 3, "queued");
    assert!(model >= waited - 1.0, "{freed} vs the model's {model} ms");
    // Then a connection took it: told as a step of its own, or, when its
    // thread took the query before the poll that sent it had returned, by
    // that poll's Pending.
    let sent = run.iter().any(|v| {
        v["type"] == "explain"
            && v["task"] == 3
            && (v["step"] == "query-sent"
                || (v["step"] == "pending" && text(v).contains("its query went to connection")))
    });
    assert!(sent, "{run:#?}");
    // The old either-or is gone wherever a step was observed.
    assert!(
        !run.iter()
            .any(|v| v["type"] == "explain" && text(v).contains("or it waits for a connection")),
        "{run:#?}"
    );
}

/// `yield_now` defers its waker: with two spinning tasks joined on one
/// thread, no wake-up comes until both have yielded (the scheduler wakes
/// deferred tasks only once it has nothing else to run).
#[test]
fn yield_nows_waker_is_deferred_not_requeued_at_once() {
    let run = ndjson_run(&["count", "-n", "2", "-d", "5ms", "--work", "spin"]);
    let kinds: Vec<(String, u64)> = run
        .iter()
        .filter(|v| v["type"] == "explain")
        .map(|v| {
            (
                v["step"].as_str().unwrap().to_owned(),
                v["task"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    let woken = kinds
        .iter()
        .position(|k| k.0 == "woken")
        .expect("a wake-up");
    let pendings = kinds[..woken].iter().filter(|k| k.0 == "pending").count();
    assert_eq!(pendings, 2, "{kinds:?}");
    let pending = text(step(&run, "pending", 1, "Pending"));
    assert!(pending.contains("defers it"), "{pending}");
    assert!(!pending.contains("at once"), "{pending}");
    let woke = text(step(&run, "woken", 1, "yield_now"));
    assert!(woke.contains("waker that yield_now had deferred"), "{woke}");
}

/// Who held a thread is said only from polls seen on that same thread: on
/// one worker, spawned, task 2 waits behind task 1's blocking poll there;
/// with block-in-place on two workers, the tasks run on different threads
/// (a new thread takes a held worker's core), and no clause may blame a
/// task polled elsewhere.
#[test]
fn who_held_a_thread_is_said_only_from_polls_on_that_thread() {
    let mut checked = 0;
    for way in [
        &["-m", "blocking", "--workers", "1", "--spawn"][..],
        &["-m", "block-in-place", "--workers", "2", "--spawn"],
    ] {
        let mut args = vec!["count", "-n", "3", "-d", "200ms", "--explain"];
        args.extend(way);
        let out = stdout_of(&args);
        let told = narration(&out);
        let thread_of = |task: &str| -> Option<String> {
            told.iter().find_map(|l| {
                let rest = l.split(&format!("polls task {task} (on thread ")).nth(1)?;
                Some(rest.split(')').next()?.to_owned())
            })
        };
        for line in told.iter().filter(|l| l.contains("for the first time")) {
            let polled = line
                .split("polls task ")
                .nth(1)
                .unwrap()
                .split(' ')
                .next()
                .unwrap();
            // `: task 1's poll held it for ...`, or `which polled task 1
            // (203.985 ms) and task 2 (201.857 ms) meanwhile`.
            let clause = match (line.split_once(": task "), line.split_once("which polled ")) {
                (Some((_, held)), _) => held.split('\'').next().unwrap().to_owned(),
                (None, Some((_, polls))) => polls.to_owned(),
                (None, None) => continue,
            };
            let holders: Vec<&str> = std::iter::once(clause.as_str())
                .chain(clause.split("task ").skip(1))
                .filter_map(|t| t.split([' ', '\'']).next())
                .filter(|t| t.parse::<u32>().is_ok())
                .collect();
            for holder in holders {
                assert_eq!(thread_of(polled), thread_of(holder), "{line}\n{out}");
                checked += 1;
            }
        }
    }
    assert!(
        checked >= 2,
        "one worker: tasks 2 and 3 wait behind a held poll"
    );
}

/// The new steps are recorded with the run (`--record`) and a replay
/// narrates them as the run did: the queue of a query, a pool call's
/// start, and the timer overdue when the lock demo stalls.
#[test]
fn a_replay_narrates_the_queue_and_the_overdue_timer_as_the_run_did() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("run.rec");
    let rec = rec.to_str().unwrap();
    let explained = |out: Vec<u8>| -> Vec<String> {
        String::from_utf8(out)
            .unwrap()
            .lines()
            .filter(|l| l.contains("\"type\":\"explain\""))
            .map(str::to_owned)
            .collect()
    };
    let mut ways = vec![
        (POOL_OF_TWO, "\"step\":\"pool-started\""),
        (&["lock", "-n", "3", "-d", "300ms"], "\"step\":\"overdue\""),
    ];
    // `query` needs the database drivers (the default `db` feature).
    if cfg!(feature = "db") {
        ways.push((
            &["query", "-n", "4", "-d", "200ms", "--connections", "2"],
            "all 2 connections are busy",
        ));
    }
    for (args, words) in ways {
        let mut with = args.to_vec();
        with.extend(["-f", "ndjson", "--explain", "--record", rec]);
        let run = explained(asyncdemo(&with).output().unwrap().stdout);
        let replay = asyncdemo(&["replay", rec, "-f", "ndjson", "--explain"])
            .output()
            .unwrap();
        assert_eq!(explained(replay.stdout), run, "{args:?}");
        assert!(run.iter().any(|l| l.contains(words)), "{args:?}: {run:#?}");
    }
}

/// Inside `block_in_place` on a worker, tokio hands the worker's core to
/// another thread before the call: the narration says so, and the run
/// shows it (three tasks held at once on two workers, each first polled
/// on a thread of its own). On `block_on`'s thread there is no core to
/// hand, and the narration says the call simply blocks.
#[test]
fn block_in_place_is_told_as_the_core_moving_or_nothing_to_move() {
    let out = stdout_of(&[
        "count",
        "-n",
        "3",
        "-d",
        "200ms",
        "-m",
        "block-in-place",
        "--workers",
        "2",
        "--spawn",
        "--explain",
    ]);
    let told = narration(&out);
    let held: Vec<&&str> = told
        .iter()
        .filter(|l| l.contains("returned after"))
        .collect();
    assert_eq!(held.len(), 3, "{out}");
    for line in &held {
        assert!(line.contains("core had moved to another thread"), "{out}");
        assert!(
            !line.contains("no other task there could be polled"),
            "{out}"
        );
    }
    // Two workers, three tasks each first polled while the others were
    // held: the third poll ran on the thread that took a core over.
    let threads: std::collections::BTreeSet<&str> = told
        .iter()
        .filter(|l| l.contains("for the first time"))
        .filter_map(|l| l.split("(on thread ").nth(1)?.split(')').next())
        .collect();
    assert_eq!(threads.len(), 3, "{out}");

    let out = stdout_of(&[
        "count",
        "-n",
        "2",
        "-d",
        "100ms",
        "-m",
        "block-in-place",
        "--runtime",
        "multi-thread",
        "--explain",
    ]);
    let told = narration(&out);
    assert!(
        told.iter()
            .any(|l| l.contains("no worker core to hand away")),
        "{out}"
    );
    assert!(!out.contains("core had moved"), "{out}");
}
