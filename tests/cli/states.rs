//! The task-state model, seen from outside: real runs where clock
//! arithmetic would be wrong (a small pool, a held thread), read through
//! `--timeline` and the JSON's `task_states`. Real sleeps: lower bounds
//! only.

use crate::common::*;

/// Seconds task `task` (from 1) spent in `state`, from `-f json`.
fn secs_in(summary: &serde_json::Value, task: usize, state: &str) -> f64 {
    summary["task_states"]["tasks"][task - 1]["secs"][state]
        .as_f64()
        .unwrap_or_else(|| panic!("no {state} for task {task}: {summary}"))
}

/// The row of `--timeline` that starts with `label`.
fn row<'a>(picture: &'a str, label: &str) -> &'a str {
    picture
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no row {label:?} in\n{picture}"))
}

/// Four calls of 300 ms on a blocking pool of two threads.
const POOL_OF_TWO: [&str; 9] = [
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

/// A pool of 2 threads for 4 calls: only 2 calls run at once, so
/// peak_overlap is 2, and the calls of tasks 3 and 4 are drawn queued for
/// about one delay, which the JSON counts as queued, not waiting.
#[test]
fn a_pool_of_two_gives_peak_overlap_two_and_two_queued_calls() {
    let summary = json_summary(&POOL_OF_TWO);
    assert_eq!(summary["peak_overlap"], 2, "{summary}");
    for task in [3, 4] {
        // Queued until a pool thread freed up: one whole call of another.
        assert!(secs_in(&summary, task, "queued") >= 0.29, "{summary}");
        assert!(secs_in(&summary, task, "in_pool") >= 0.29, "{summary}");
    }
    // Tasks 1 and 2 found a thread at once: queued for less than a call.
    for task in [1, 2] {
        assert!(secs_in(&summary, task, "queued") < 0.29, "{summary}");
    }
    let picture = stdout_of(&[&POOL_OF_TWO[..], &["--timeline", "-q"]].concat());
    for (label, queued) in [("task 1 ", false), ("task 3 ", true), ("task 4 ", true)] {
        assert_eq!(row(&picture, label).contains(','), queued, "{picture}");
    }
    assert!(picture.contains(", queued:"), "legend: {picture}");
}

/// `lock --lock std` deadlocks: task 2 holds the only thread inside std's
/// lock(), so task 1's timer, due after one delay, is never fired. The
/// picture draws task 1 overdue (`^`), not ready, and the JSON agrees:
/// task 1 was never ready after its first poll.
#[test]
fn a_deadline_passed_under_a_held_thread_is_overdue() {
    let output = asyncdemo(&["lock", "-n", "3", "-d", "300ms", "--timeline"])
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    let picture = String::from_utf8(output.stdout).unwrap();
    let task1 = row(&picture, "task 1    ");
    assert!(task1.contains('^'), "{picture}");
    assert!(!task1.contains('.'), "{picture}");
    assert!(picture.contains("^ overdue"), "legend: {picture}");
    // The same run read as JSON: at least 0.3 s overdue (the watchdog
    // waits a second before calling it a deadlock).
    let run = run_json::<serde_json::Value>(&["lock", "-n", "3", "-d", "300ms", "-f", "json"]);
    assert!(
        secs_in(&run.summary, 1, "overdue") >= 0.3,
        "{}",
        run.summary
    );
    assert!(secs_in(&run.summary, 2, "held") >= 0.3, "{}", run.summary);
}

/// The blocking demo on a current-thread runtime with timers beside it:
/// with `--lock tokio` and `--blocking` not available together, the
/// blocking lesson's overdue case is an async sleep whose thread another
/// task holds; `count --blocking` has no timer at all, so nothing in it is
/// overdue and every task but the first is ready before its first poll.
#[test]
fn a_blocking_run_is_held_and_ready_never_overdue() {
    let summary = json_summary(&["count", "-n", "2", "-d", "200ms", "--blocking"]);
    assert!(secs_in(&summary, 1, "held") >= 0.2, "{summary}");
    assert!(secs_in(&summary, 2, "ready") >= 0.2, "{summary}");
    for task in [1, 2] {
        assert_eq!(secs_in(&summary, task, "overdue"), 0.0, "{summary}");
        assert_eq!(secs_in(&summary, task, "sleeping"), 0.0, "{summary}");
    }
}

/// Per-task JSON for a small async run: every task polled twice, asleep
/// about a delay, with its two lines' times.
#[test]
fn small_runs_list_each_task_in_json() {
    let summary = json_summary(&["count", "-n", "3", "-d", "100ms"]);
    let tasks = summary["task_states"]["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 3, "{summary}");
    for (i, task) in tasks.iter().enumerate() {
        assert_eq!(task["task"], i + 1);
        assert_eq!(task["polls"], 2, "{task}");
        assert!(secs_in(&summary, i + 1, "sleeping") >= 0.099, "{task}");
        assert_eq!(secs_in(&summary, i + 1, "held"), 0.0, "{task}");
        let (first, last) = (
            task["first_line_secs"].as_f64().unwrap(),
            task["last_line_secs"].as_f64().unwrap(),
        );
        assert!(last - first >= 0.1, "{task}");
    }
}

/// A picture with more tasks than it has lanes keeps a census for its
/// band; the JSON of the same run, under the cut-off, still lists each
/// task rather than taking that census's distributions.
#[test]
fn a_pictures_band_leaves_a_small_runs_json_per_task() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("band.svg");
    let summary = json_summary(&[
        "count",
        "-n",
        "50",
        "-d",
        "10ms",
        "--svg",
        svg.to_str().unwrap(),
    ]);
    let tasks = summary["task_states"]["tasks"].as_array();
    assert_eq!(tasks.map(Vec::len), Some(50), "{summary}");
    assert!(
        summary["task_states"].get("distributions").is_none(),
        "{summary}"
    );
}

/// Past the cut-off the JSON gives one distribution per state instead of
/// a record per task.
#[test]
fn large_runs_give_distributions_per_state() {
    let summary = json_summary(&["count", "-n", "10001", "-d", "50ms"]);
    let states = &summary["task_states"];
    assert!(states.get("tasks").is_none(), "{states}");
    let sleeping = &states["distributions"]["sleeping"];
    let (min, median, max) = (
        sleeping["min_secs"].as_f64().unwrap(),
        sleeping["median_secs"].as_f64().unwrap(),
        sleeping["max_secs"].as_f64().unwrap(),
    );
    // Some task slept its whole delay; a task whose deadline passed while
    // the thread was still busy starting the others was overdue meanwhile,
    // so not every one did.
    assert!(max >= 0.049 && min <= median && median <= max, "{sleeping}");
}

/// block_in_place on two spawned workers, three tasks: each task holds a
/// thread for its whole wait (its core moved to another thread), so the
/// held time of every task is at least a delay, and the picture draws
/// threads held.
#[test]
fn block_in_place_holds_a_thread_per_task() {
    let args = [
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
    ];
    let summary = json_summary(&args);
    for task in 1..=3 {
        assert!(secs_in(&summary, task, "held") >= 0.2, "{summary}");
    }
    let picture = stdout_of(&[&args[..], &["--timeline", "-q"]].concat());
    // Each held task holds a thread of its own: a worker, or a thread that
    // took a worker's core over (block_in_place moved it there).
    let held = picture
        .lines()
        .filter(|l| (l.starts_with("worker") || l.starts_with("took ")) && l.contains('H'))
        .count();
    assert_eq!(held, 3, "{picture}");
}

/// `--explain` tells how long task 2 waited, ready, before its first poll:
/// the whole of task 1's blocking call, the figure the lesson is about.
#[test]
fn explain_tells_the_wait_before_task_2s_first_poll() {
    let out = stdout_of(&["count", "-n", "2", "-d", "200ms", "--blocking", "--explain"]);
    let line = out
        .lines()
        .find(|l| l.contains("polls task 2 (on thread 1) for the first time: it waited"))
        .unwrap_or_else(|| panic!("{out}"));
    let ms: f64 = line
        .split("it waited ")
        .nth(1)
        .and_then(|rest| rest.split(" ms").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{line}"));
    assert!(ms >= 200.0, "{line}");
}

/// `--trace`: the model's states as slices on rows of their own, and an
/// arrow from each wake-up to the poll it led to (Chrome trace flow
/// events, which Perfetto draws).
#[test]
fn the_trace_has_state_slices_and_wake_arrows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    let path = path.to_str().unwrap();
    asyncdemo(&["count", "-n", "2", "-d", "50ms", "-q", "--trace", path])
        .assert()
        .success();
    let trace: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let states: Vec<&serde_json::Value> = events.iter().filter(|e| e["pid"] == 3).collect();
    let slices = |name: &str| {
        states
            .iter()
            .filter(|e| e["ph"] == "X" && e["name"] == name)
            .count()
    };
    // Each task slept once, and was polled twice.
    assert_eq!(slices("sleeping"), 2, "{states:#?}");
    assert_eq!(slices("polled"), 4, "{states:#?}");
    // One arrow per task: its timer's wake-up to its second poll.
    for task in [1, 2] {
        let flow = |ph: &str| {
            states
                .iter()
                .find(|e| e["ph"] == ph && e["tid"] == task)
                .unwrap_or_else(|| panic!("no {ph} for task {task}: {states:#?}"))
        };
        let (start, end) = (flow("s"), flow("f"));
        assert_eq!(start["id"], end["id"]);
        assert!(end["ts"].as_f64() >= start["ts"].as_f64(), "{start} {end}");
        // The wake-up came after the sleep's 50 ms.
        assert!(start["ts"].as_f64().unwrap() >= 50_000.0, "{start}");
    }
}

/// `compare --python`, 12 tasks: the `to_thread` row counts a wait from
/// when an executor thread begins the call (the script wraps the
/// function), so its peak_overlap is at most the executor's size, and the
/// verdict names that size.
#[test]
fn to_thread_waits_count_from_the_executor_threads_start() {
    let usable = std::process::Command::new("python3")
        .args([
            "-c",
            "import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)",
        ])
        .output()
        .is_ok_and(|o| o.status.success());
    if !usable {
        eprintln!("skipped: no python3 3.9 or newer on PATH");
        return;
    }
    // Only the way under test (its tokio row and Python's to_thread row):
    // the serial ways would add seconds and check nothing here.
    let way: Vec<&str> = "compare count -n 12 -d 100ms --python --ways spawn-blocking"
        .split(' ')
        .collect();
    let run = run_json::<serde_json::Value>(&[&way[..], &["-f", "json"]].concat());
    let rows = run.summary.as_array().unwrap();
    let row = rows
        .iter()
        .find(|r| r["language"] == "python" && r["mode"] == "spawn-blocking")
        .unwrap_or_else(|| panic!("{rows:#?}"));
    let threads = row["blocking_threads"].as_u64().unwrap();
    let peak = row["peak_overlap"].as_u64().unwrap();
    assert!(peak >= 1 && peak <= threads.min(12), "{row}");
    let table = stdout_of(&way);
    let line = table
        .lines()
        .find(|l| l.contains("asyncio.to_thread"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        line.contains(&format!(
            "asyncio's default executor has {threads} threads here"
        )),
        "{line}"
    );
}

/// The lines of `asyncdemo ARGS -f ndjson`, each parsed, after a run that
/// succeeded.
fn ndjson(args: &[&str]) -> Vec<serde_json::Value> {
    let mut args = args.to_vec();
    args.extend(["-f", "ndjson"]);
    let output = asyncdemo(&args)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(output.status.success(), "{args:?}: {output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// Task `task`'s state events, in stream order: (seconds, state).
fn states_of(lines: &[serde_json::Value], task: u64) -> Vec<(f64, String)> {
    lines
        .iter()
        .filter(|l| l["type"] == "state" && l["task"] == task)
        .map(|l| {
            (
                l["t_secs"].as_f64().unwrap(),
                l["state"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// When task `task` first went into `state`.
fn first_in(states: &[(f64, String)], state: &str) -> f64 {
    states
        .iter()
        .find(|s| s.1 == state)
        .unwrap_or_else(|| panic!("never {state}: {states:?}"))
        .0
}

/// `--blocking`, two tasks: NDJSON tells task 2 ready from the start until
/// task 1's held call ends (a delay later), then polled, held and done; in
/// time order with the lines (nothing here is overdue, the one state told
/// late).
#[test]
fn ndjson_tells_task_2_ready_while_task_1_holds_the_thread() {
    let lines = ndjson(&["count", "-n", "2", "-d", "200ms", "--blocking"]);
    let (one, two) = (states_of(&lines, 1), states_of(&lines, 2));
    let words = |s: &[(f64, String)]| s.iter().map(|s| s.1.clone()).collect::<Vec<_>>();
    for task in [&one, &two] {
        assert_eq!(
            words(task),
            ["ready", "polled", "held", "polled", "done"],
            "{lines:?}"
        );
        assert_eq!(task[0].0, 0.0, "{task:?}");
    }
    // Task 1 held the thread for a delay; task 2 was ready all that time,
    // and was polled only once task 1's call had ended.
    let held = first_in(&one, "held");
    let released = one[3].0;
    assert!(released - held >= 0.2, "{one:?}");
    let polled = first_in(&two, "polled");
    assert!(polled >= released && polled >= 0.2, "{one:?} {two:?}");
    // Every event, state or line, in time order; the summary last.
    let times: Vec<f64> = lines.iter().filter_map(|l| l["t_secs"].as_f64()).collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    assert_eq!(lines.last().unwrap()["type"], "summary");
    // Each task's first line comes after its first poll began.
    for task in [1u64, 2] {
        let line = lines
            .iter()
            .position(|l| l["type"] == "event" && l["task"] == task)
            .unwrap();
        let poll = lines
            .iter()
            .position(|l| l["type"] == "state" && l["task"] == task && l["state"] == "polled")
            .unwrap();
        assert!(poll < line, "{lines:?}");
    }
}

/// A pool of two threads for four calls: NDJSON tells the calls of tasks
/// 3 and 4 queued until a pool thread takes them, about a delay later, and
/// tasks 1 and 2 in the pool as soon as its threads started.
#[test]
fn ndjson_tells_calls_queued_for_a_pool_of_two() {
    let lines = ndjson(&POOL_OF_TWO);
    for task in [1, 2] {
        // Queued at most while the pool starts its thread.
        let states = states_of(&lines, task);
        let in_pool = first_in(&states, "in_pool");
        let queued = states
            .iter()
            .find(|s| s.1 == "queued")
            .map_or(in_pool, |s| s.0);
        assert!(in_pool - queued < 0.15, "task {task}: {states:?}");
    }
    for task in [3, 4] {
        let states = states_of(&lines, task);
        let (queued, in_pool) = (first_in(&states, "queued"), first_in(&states, "in_pool"));
        assert!(in_pool - queued >= 0.25, "task {task}: {states:?}");
        assert_eq!(states.last().unwrap().1, "done", "{states:?}");
    }
}

/// Past the cut-off the distributions cover every task of the run, not the
/// first 10,000: 12,000 tasks counted, each polled twice (once to start its
/// sleep, once when woken); the tasks whose first lines came last waited,
/// ready, at least as long as those lines took to come; and every task's
/// sleep lasted a delay, less what its first poll still ran after arming
/// the timer and what was overdue.
#[test]
fn distributions_past_the_cut_off_cover_every_task() {
    let lines = ndjson(&["count", "-n", "12000", "-d", "100ms"]);
    let summary = lines.last().unwrap();
    let spread = &summary["task_states"]["distributions"];
    assert_eq!(spread["tasks"], 12000, "{spread}");
    for q in ["min", "median", "p99", "max"] {
        assert_eq!(spread["polls"][q], 2, "{spread}");
    }
    let of = |state: &str, q: &str| {
        spread[state][format!("{q}_secs")]
            .as_f64()
            .unwrap_or_else(|| panic!("{state} {q}: {spread}"))
    };
    // On one thread, the task whose first line came last was polled after
    // every other task's first line: it was ready since the start at least
    // until the second-to-last of those lines.
    let mut firsts: Vec<f64> = lines
        .iter()
        .filter(|l| l["type"] == "event")
        .filter(|l| l["text"] == "One")
        .map(|l| l["t_secs"].as_f64().unwrap())
        .collect();
    assert_eq!(firsts.len(), 12000);
    firsts.sort_by(f64::total_cmp);
    assert!(of("ready", "max") >= firsts[firsts.len() - 2], "{spread}");
    // sleeping + overdue + the rest of its first poll >= 0.1 s per task.
    assert!(
        of("sleeping", "min") + of("overdue", "max") + of("polled", "max") >= 0.1,
        "{spread}"
    );
    assert!(of("sleeping", "max") <= elapsed(summary), "{spread}");
    for q in ["min", "median", "p99", "max"] {
        assert_eq!(of("held", q), 0.0, "{spread}");
        assert_eq!(of("queued", q), 0.0, "{spread}");
    }
    // The medians lie between the extremes.
    for state in ["sleeping", "ready", "polled"] {
        assert!(of(state, "min") <= of(state, "median"), "{spread}");
        assert!(of(state, "median") <= of(state, "p99"), "{spread}");
        assert!(of(state, "p99") <= of(state, "max"), "{spread}");
    }
}

/// The lock demo's deadlock: task 2 blocks in std's `lock()`, holding the
/// one thread, while task 1 sleeps holding the guard. Nobody can fire task
/// 1's timer: NDJSON tells it overdue from its deadline (told at the end,
/// where the sleep is cut), and task 2 held to the end.
#[test]
fn ndjson_tells_a_sleep_overdue_under_a_held_thread() {
    let output = asyncdemo(&["lock", "-n", "2", "-d", "300ms", "-f", "ndjson"])
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    let lines: Vec<serde_json::Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (one, two) = (states_of(&lines, 1), states_of(&lines, 2));
    let last = one.last().unwrap();
    assert_eq!(last.1, "overdue", "{one:?}");
    assert!(last.0 >= 0.3, "{one:?}");
    assert!(one.iter().any(|s| s.1 == "sleeping"), "{one:?}");
    assert_eq!(two.last().unwrap().1, "held", "{two:?}");
    assert_eq!(lines.last().unwrap()["type"], "summary");
}
