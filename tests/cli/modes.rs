//! Black-box tests of the ways to run: modes, runtimes, --spawn, compare's
//! rows, and the pictures (--timeline, --trace, `--trace -`). Real sleeps of
//! 200 ms, lower bounds, and ratios between runs of the same test; no tight
//! upper bounds.

use crate::common::*;
use predicates::prelude::*;
use serde_json::Value;

#[test]
fn blocking_under_join_all_stays_serial_even_on_two_workers() {
    let joined = json_summary(&[
        "count",
        "-n",
        "4",
        "--blocking",
        "--workers",
        "2",
        "-d",
        "200ms",
    ]);
    assert!(elapsed(&joined) >= 0.8, "{joined}");
    assert_eq!(joined["runtime"], "multi-thread");
    assert_eq!(joined["workers"], 2);
    assert_eq!(joined["spawn"], false);

    // Only --spawn lets two workers each block on a task at once: 0.4 s.
    // Whether the second worker gets its tasks in time is tokio's
    // scheduling, which promises nothing (on a loaded machine one worker
    // now and then takes them all, and the run is as slow as joined), so
    // the spawned run has up to five tries to show it.
    let spawned = (0..5)
        .map(|_| {
            json_summary(&[
                "count",
                "-n",
                "4",
                "--blocking",
                "--workers",
                "2",
                "--spawn",
                "-d",
                "200ms",
            ])
        })
        .inspect(|spawned| {
            assert!(elapsed(spawned) >= 0.4, "{spawned}");
            assert_eq!(spawned["spawn"], true);
        })
        .find(|spawned| elapsed(spawned) < 0.75 * elapsed(&joined));
    assert!(spawned.is_some(), "no spawned run beat joined {joined}");
}

#[test]
fn async_tasks_spawned_on_a_multi_thread_runtime_all_overlap() {
    let args = [
        "count",
        "-n",
        "4",
        "--runtime",
        "multi-thread",
        "--spawn",
        "-d",
        "200ms",
    ];
    let s = json_summary(&args);
    assert!(elapsed(&s) >= 0.2, "{s}");
    assert!(s["workers"].as_u64().unwrap() >= 1);
    assert!(waits_overlap(&args));
}

#[test]
fn spawn_blocking_runs_as_many_sleeps_at_once_as_the_pool_has_threads() {
    // 4 sleeps on a pool of 2 threads: ceil(4/2) × 200 ms = 0.4 s.
    let s = json_summary(&[
        "count",
        "-n",
        "4",
        "-m",
        "spawn-blocking",
        "--blocking-threads",
        "2",
        "-d",
        "200ms",
    ]);
    assert!(elapsed(&s) >= 0.4, "{s}");
    assert_eq!(s["blocking_threads"], 2);
    assert_eq!(s["mode"], "spawn-blocking");
    // One thread makes the four sleeps take turns (4 × 200 ms), so two
    // threads must beat it; the default pool (512 threads) beats both.
    let one = json_summary(&[
        "count",
        "-n",
        "4",
        "-m",
        "spawn-blocking",
        "--blocking-threads",
        "1",
        "-d",
        "200ms",
    ]);
    assert!(elapsed(&one) >= 0.8, "{one}");
    assert!(elapsed(&s) < elapsed(&one), "2 threads {s} vs 1 {one}");
    let all = json_summary(&["count", "-n", "4", "-m", "spawn-blocking", "-d", "200ms"]);
    assert_eq!(all["blocking_threads"], 512);
    assert!(elapsed(&all) >= 0.2, "{all}");
    assert!(elapsed(&all) < elapsed(&s), "512 threads {all} vs 2 {s}");
}

#[test]
fn threads_overlap_without_any_runtime() {
    let args = ["hello", "-n", "4", "-m", "threads", "-d", "200ms"];
    let s = json_summary(&args);
    assert!(elapsed(&s) >= 0.2, "{s}");
    assert!(waits_overlap(&args));
    assert!(s["runtime"].is_null() && s["workers"].is_null());
    assert_eq!(s["completed"], 4);
}

#[test]
fn every_mode_prints_every_line() {
    for mode in ["async", "blocking", "threads", "spawn-blocking"] {
        let text = stdout_of(&["count", "-n", "5", "-m", mode, "-d", "10ms"]);
        assert_eq!(text.matches("One\n").count(), 5, "{mode}: {text}");
        assert_eq!(text.matches("Two\n").count(), 5, "{mode}: {text}");
    }
}

#[test]
fn the_timeline_draws_one_row_per_task_without_colour_in_a_pipe() {
    let text = stdout_of(&["count", "-n", "3", "--blocking", "-d", "50ms", "--timeline"]);
    assert!(!text.contains('\x1b'), "escape codes in a pipe: {text:?}");
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("task ")).collect();
    assert_eq!(rows.len(), 3, "{text}");
    // The staircase: each row starts where the previous one ended.
    let start = |row: &str| row.find('o').unwrap();
    assert!(
        start(rows[0]) < start(rows[1]) && start(rows[1]) < start(rows[2]),
        "{text}"
    );
    assert!(rows.iter().all(|r| r.contains('#')));
    assert!(text.contains("legend: "));
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("asyncdemo count executed in")
    );
    assert!(text.lines().all(|l| l.chars().count() <= 80));
}

#[test]
fn colour_follows_color_and_no_color() {
    let timeline = ["count", "-n", "2", "-d", "10ms", "--timeline"];
    asyncdemo(&timeline)
        .arg("--color=always")
        .assert()
        .stdout(predicate::str::contains("\x1b["));
    asyncdemo(&timeline)
        .arg("--color=never")
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
    asyncdemo(&timeline)
        .env("NO_COLOR", "1")
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
    // The task lines themselves stay plain even with colour forced.
    asyncdemo(&["count", "-n", "1", "-d", "0", "--color=always"])
        .assert()
        .stdout(predicate::str::starts_with("One\nTwo\n"));
}

#[test]
fn the_trace_file_parses_and_has_a_wait_per_task() {
    // Removed when the test ends, pass or fail.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.json");
    asyncdemo(&[
        "count",
        "-n",
        "4",
        "--blocking",
        "-d",
        "10ms",
        "-q",
        "--trace",
    ])
    .arg(&path)
    .assert()
    .success();
    let trace: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    // Each wait is a begin/end pair on its task's row.
    let on = |ph: &str, pid: u64| -> Vec<&Value> {
        events
            .iter()
            .filter(|e| e["ph"] == ph && e["pid"] == pid)
            .collect()
    };
    let (begins, ends) = (on("B", 1), on("E", 1));
    assert_eq!((begins.len(), ends.len()), (4, 4));
    let mut tids: Vec<u64> = begins.iter().map(|e| e["tid"].as_u64().unwrap()).collect();
    tids.sort_unstable();
    assert_eq!(tids, [1, 2, 3, 4]);
    for begin in &begins {
        let end = ends.iter().find(|e| e["tid"] == begin["tid"]).unwrap();
        let waited = end["ts"].as_f64().unwrap() - begin["ts"].as_f64().unwrap();
        assert!(waited >= 10_000.0, "{begin} {end}");
    }
    // Blocking: each wait also shows on the OS thread that it held.
    assert_eq!((on("B", 2).len(), on("E", 2).len()), (4, 4));
}

#[test]
fn an_unwritable_trace_path_fails_before_the_run() {
    asyncdemo(&[
        "count",
        "-d",
        "500years",
        "--trace",
        "/nonexistent/dir/t.json",
    ])
    .timeout(std::time::Duration::from_secs(30))
    .assert()
    .code(2)
    .stdout("")
    .stderr(predicate::str::starts_with(
        "error: creating trace file '/nonexistent/dir/t.json': No such file or directory",
    ));
}

#[test]
fn trace_dash_means_stdout_and_needs_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let output = asyncdemo(&["count", "-n", "2", "-d", "10ms", "-q", "--trace", "-"])
        .current_dir(dir)
        .assert()
        .success()
        .get_output()
        .clone();
    // stdout is the trace alone; the summary line moved to stderr.
    let trace: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(trace["traceEvents"].is_array(), "{trace}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("asyncdemo count executed in"),
        "{stderr}"
    );
    // The run's own output also on stdout: refused, and no file named `-`.
    for args in [
        &["count", "--trace", "-"][..],
        &["count", "-f", "json", "--trace", "-"],
        &["count", "-q", "-f", "ndjson", "--trace", "-"],
    ] {
        asyncdemo(args)
            .current_dir(dir)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(
                "--trace - writes the trace to stdout",
            ));
    }
    assert!(!dir.join("-").exists());
}

#[test]
fn compare_json_lists_every_way_in_the_summary_schema() {
    let out = asyncdemo(&["compare", "count", "-n", "3", "-d", "100ms", "-f", "json"])
        .assert()
        .success()
        .stderr("")
        .get_output()
        .stdout
        .clone();
    let runs: Vec<Value> = serde_json::from_slice(&out).unwrap();
    let ways: Vec<(String, String, bool)> = runs
        .iter()
        .map(|r| {
            (
                r["mode"].as_str().unwrap().to_owned(),
                r["runtime"].as_str().unwrap_or("none").to_owned(),
                r["spawn"].as_bool().unwrap(),
            )
        })
        .collect();
    let expected = [
        ("async", "current-thread", false),
        ("blocking", "current-thread", false),
        ("threads", "none", false),
        ("spawn-blocking", "current-thread", false),
        ("blocking", "multi-thread", false),
        ("blocking", "multi-thread", true),
        ("block-in-place", "multi-thread", false),
        ("block-in-place", "multi-thread", true),
    ]
    .map(|(m, r, s)| (m.to_owned(), r.to_owned(), s));
    assert_eq!(ways, expected);
    for run in &runs {
        assert_eq!(run["completed"], 3);
        assert_eq!(run["demo"], "count");
    }
    // The lesson, as relations: async overlaps, blocking does not.
    assert!(elapsed(&runs[1]) >= 0.3 && elapsed(&runs[0]) < 0.75 * elapsed(&runs[1]));
    // block_in_place cannot split join_all's one task, but spawned tasks
    // each hand their worker's queue away and overlap.
    assert!(elapsed(&runs[6]) >= 0.3 && elapsed(&runs[7]) < 0.75 * elapsed(&runs[6]));
}

#[test]
fn compare_text_announces_each_run_and_prints_one_row_per_way() {
    let output = asyncdemo(&["compare", "hello", "-d", "20ms"])
        .assert()
        .success()
        .get_output()
        .clone();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("running ")).count(),
        8,
        "{stderr}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("mode "), "{stdout}");
    assert_eq!(lines.len(), 9, "{stdout}");
    assert!(lines[2].contains("one after another"), "{stdout}");
    asyncdemo(&["compare", "count", "-d", "0", "-f", "markdown"])
        .assert()
        .success()
        // The runtime heading says how many workers the multi-thread rows
        // had, as the text table's does (one per CPU, so not a constant).
        .stdout(
            predicate::str::starts_with("| mode | runtime (×").and(predicate::str::contains(
                " | elapsed | speedup | verdict |\n",
            )),
        );
}
