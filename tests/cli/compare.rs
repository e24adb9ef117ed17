//! Black-box tests of `compare`: Ctrl-C during its runs (the table, JSON,
//! markdown and the picture stay whole), its table's width in a pipe, and
//! a way the machine refuses.

use crate::common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

/// Starts `compare ARGS`, waits until its stderr announces the `nth` way
/// (so that the ways before it have finished), and sends Ctrl-C.
/// Returns the exit code and stdout.
pub fn interrupt_compare_at(args: &[&str], nth: usize) -> (Option<i32>, String) {
    let mut child = binary()
        .arg("compare")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut announced = 0;
    for line in stderr.lines() {
        if line.unwrap().starts_with("running ") {
            announced += 1;
            if announced == nth {
                break;
            }
        }
    }
    assert_eq!(announced, nth, "compare ended before its way {nth}");
    send_signal(&child, "INT");
    let status = wait_with_limit(&mut child, Duration::from_secs(10));
    (status.code(), rest(child.stdout.take().unwrap()))
}

#[test]
fn ctrl_c_during_compare_prints_the_finished_rows_and_marks_the_stopped_one() {
    // Stopped in its first way, which waits 500 years: the table is that
    // one row, marked.
    let (code, stdout) = interrupt_compare_at(&["count", "-n", "2", "-d", "500years"], 1);
    assert_eq!(code, Some(130), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(lines[0].starts_with("mode "), "{stdout}");
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(
        lines[1].contains("interrupted: 0 of 2 tasks had finished"),
        "{stdout}"
    );
    assert!(lines[1].starts_with("async "), "{stdout}");
    // A short delay lets the first ways finish before the signal.
    let (code, stdout) = interrupt_compare_at(&["count", "-n", "2", "-d", "300ms"], 2);
    assert_eq!(code, Some(130), "{stdout}");
    let rows: Vec<&str> = stdout.lines().skip(1).collect();
    assert!(rows.len() >= 2, "{stdout}");
    let (last, finished) = rows.split_last().unwrap();
    assert!(last.contains("interrupted: "), "{stdout}");
    assert!(finished[0].starts_with("async "), "{stdout}");
    assert!(
        finished.iter().all(|r| !r.contains("interrupted")),
        "{stdout}"
    );
}

/// How many threads of process `pid` carry `name` (Linux, /proc).
fn threads_named(pid: u32, name: &str) -> usize {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        // A thread may end between the listing and the read: it does not count.
        .filter_map(|task| std::fs::read_to_string(task.path().join("comm")).ok())
        .filter(|comm| comm.trim_end() == name)
        .count()
}

/// `compare count -n 2 -d DELAY -f FORMAT`, sent Ctrl-C once `ready` holds
/// for its pid; returns stdout, after checking the exit code.
fn interrupt_quiet_compare(format: &str, delay: &str, ready: impl Fn(u32) -> bool) -> String {
    let mut child = binary()
        .args(["compare", "count", "-n", "2", "-d", delay, "-f", format])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    wait_until("the moment to interrupt compare", || ready(pid));
    send_signal(&child, "INT");
    let status = wait_with_limit(&mut child, Duration::from_secs(10));
    let stdout = rest(child.stdout.take().unwrap());
    assert_eq!(status.code(), Some(130), "{format}: {stdout}");
    stdout
}

/// Which rows of a JSON or markdown table say the way was interrupted, and
/// (JSON) that the finished ones passed and the stopped one did not.
fn interrupted_rows(format: &str, stdout: &str) -> Vec<bool> {
    if format == "json" {
        let runs: Vec<Value> = serde_json::from_str(stdout).unwrap();
        if let Some((last, finished)) = runs.split_last() {
            for run in finished {
                assert_eq!(run["completed"], 2, "{stdout}");
                assert_eq!(run["passed"], true, "{stdout}");
            }
            assert_eq!(last["passed"], false, "{stdout}");
            assert!(last["speedup"].is_null(), "{stdout}");
        }
        runs.iter()
            .map(|r| r["interrupted"].as_bool().unwrap())
            .collect()
    } else {
        assert!(stdout.starts_with("| mode |"), "{stdout}");
        stdout
            .lines()
            .skip(2)
            .map(|row| row.contains("| interrupted: "))
            .collect()
    }
}

#[test]
fn ctrl_c_during_compare_leaves_valid_json_and_markdown() {
    // These formats announce nothing on stderr, so the test watches the
    // process instead of its output. The two formats run side by side:
    // most of the time is the demos' waiting.
    std::thread::scope(|scope| {
        for format in ["json", "markdown"] {
            scope.spawn(move || {
                // As soon as the handler is in, before or during the first
                // way (which would wait 500 years): nothing shows which, so
                // the table is either no row at all or that one row, stopped,
                // and valid either way.
                let stdout = interrupt_quiet_compare(format, "500years", catches_sigint);
                let rows = interrupted_rows(format, &stdout);
                assert!(rows.is_empty() || rows == [true], "{format}: {stdout}");
                // In a later way: tokio names its threads `tokio-rt-worker`,
                // and the first ways (async and blocking on one thread, then
                // OS threads) start none, so the first such thread means
                // spawn-blocking has begun and three ways have finished.
                let stdout = interrupt_quiet_compare(format, "500ms", |pid| {
                    threads_named(pid, "tokio-rt-worker") > 0
                });
                let interrupted = interrupted_rows(format, &stdout);
                // Exactly one stopped way, and it is the last row.
                assert!(interrupted.len() >= 4, "{format}: {stdout}");
                assert_eq!(interrupted.last(), Some(&true), "{format}: {stdout}");
                assert_eq!(interrupted.iter().filter(|i| **i).count(), 1, "{stdout}");
            });
        }
    });
}

/// The table `compare ARGS` prints into a pipe, `COLUMNS` set to
/// `columns` or (`None`) unset.
fn piped_table(args: &[&str], columns: Option<&str>) -> String {
    let mut command = asyncdemo(args);
    match columns {
        Some(columns) => command.env("COLUMNS", columns),
        None => command.env_remove("COLUMNS"),
    };
    let output = command.assert().success().get_output().stdout.clone();
    String::from_utf8(output).unwrap()
}

/// The spawned block-in-place row says what tokio's `block_in_place`
/// does: it hands the blocked worker's core, with its other tasks, to
/// another thread (and keeps blocking this one); nothing is handed as
/// loose tasks.
#[test]
fn the_spawned_block_in_place_verdict_says_the_core_moves() {
    let args: Vec<&str> = "compare count -n 3 -d 50ms --ways in-place-spawned"
        .split(' ')
        .collect();
    let table = piped_table(&args, None);
    let moved = "hands each blocked worker's core, with its other tasks, to another thread";
    assert!(table.contains(moved), "{table}");
    assert!(!table.contains("other tasks to a new thread"), "{table}");
}

#[test]
fn the_compare_table_fits_columns_when_piped() {
    let args = ["compare", "hello", "-d", "20ms"];
    let table = piped_table(&args, Some("80"));
    assert!(table.lines().all(|l| l.chars().count() <= 80), "{table}");
    assert!(table.lines().count() > 7, "the verdicts wrap:\n{table}");
    // Without COLUMNS a pipe gets whole rows, one per way.
    let table = piped_table(&args, None);
    assert_eq!(table.lines().count(), 9, "{table}");
}

/// Ctrl-C during `compare --svg` still leaves a whole picture: a panel per
/// finished way and one for the way it stopped.
#[test]
fn ctrl_c_during_compare_still_draws_the_picture() {
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("compare.svg");
    let path = svg.to_str().unwrap();
    let (code, stdout) =
        interrupt_compare_at(&["count", "-n", "2", "-d", "300ms", "--svg", path], 2);
    assert_eq!(code, Some(130), "{stdout}");
    let picture = std::fs::read_to_string(&svg).unwrap();
    assert!(
        picture.starts_with("<?xml") || picture.starts_with("<svg"),
        "{picture:.200}"
    );
    assert!(picture.trim_end().ends_with("</svg>"), "cut short");
    // The finished async way and the stopped one both have their panel.
    assert!(picture.contains("async"), "{picture:.400}");
    assert!(
        picture.contains("interrupted"),
        "no panel for the stopped way"
    );
}

/// A way that meets a limit of the machine makes `compare` exit 1, as the
/// same run alone would, not 2 (which means a usage or I/O error).
#[test]
fn a_way_refused_by_the_machine_makes_compare_exit_1() {
    // One more thread than the kernel's map limit allows (4 maps a thread).
    let maps: u32 = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(65_530);
    let tasks = (maps / 4 + 1_000).to_string();
    if maps > 400_000 {
        eprintln!("skipped: vm.max_map_count {maps} is too high to reach here");
        return;
    }
    let output = asyncdemo(&["compare", "count", "-n", &tasks, "-d", "0", "-f", "json"])
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let rows: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rows.len(), 8, "every way keeps its row");
    let threads = rows.iter().find(|r| r["mode"] == "threads").unwrap();
    assert_eq!(threads["passed"], false);
    assert!(String::from_utf8_lossy(&output.stderr).contains("threads"));
}
