//! The figures `compare` reads its verdicts off: `peak_overlap` in
//! every JSON format, `--ways`, the table at any width, verdicts that follow
//! the measurement on one CPU, and the line after `^C` on a terminal.

use crate::common::{asyncdemo, run_json};
use predicates::prelude::*;
use serde_json::Value;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The `peak_overlap` of `count -n 5` run with `way`, from `--format json`
/// and from the NDJSON summary line, which must agree.
fn peak_overlap(way: &[&str]) -> u64 {
    let mut args = vec!["count", "-n", "5", "-d", "100ms"];
    args.extend_from_slice(way);
    let json = asyncdemo(&[&args[..], &["-f", "json"]].concat())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    // Read through the documented schema, which admits no unknown field.
    let summary: crate::json::Summary = serde_json::from_slice(&json).unwrap();
    let ndjson = asyncdemo(&[&args[..], &["-f", "ndjson"]].concat())
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let last = String::from_utf8(ndjson).unwrap();
    let line: Value = serde_json::from_str(last.lines().last().unwrap()).unwrap();
    assert_eq!(line["type"], "summary");
    let peak = summary
        .peak_overlap
        .unwrap_or_else(|| panic!("{way:?}: no peak_overlap"));
    assert_eq!(line["peak_overlap"], peak, "{way:?}");
    u64::from(peak)
}

#[test]
fn async_waits_all_overlap() {
    assert_eq!(peak_overlap(&[]), 5);
}

#[test]
fn blocking_waits_one_at_a_time() {
    assert_eq!(peak_overlap(&["--blocking"]), 1);
    // More workers change nothing while join_all is one future.
    assert_eq!(
        peak_overlap(&["--blocking", "--runtime", "multi-thread", "--workers", "2"]),
        1
    );
}

/// Spawned blocking tasks wait one per worker: never more than the
/// workers, and two at a time when both workers get tasks. That is tokio's
/// scheduling, which promises nothing: on a loaded machine one worker can
/// take every task before the other wakes, and the tasks then run one
/// after another on it (seen in about 1 run in 100 with four busy loops
/// beside it). So the test asks for 2 in one of up to five runs, and for
/// at most 2 in every one.
#[test]
fn spawned_blocking_tasks_wait_one_per_worker() {
    let way = ["--blocking", "--workers", "2", "--spawn"];
    let mut seen = Vec::new();
    for _ in 0..5 {
        let peak = peak_overlap(&way);
        assert!((1..=2).contains(&peak), "{peak} waits at once on 2 workers");
        seen.push(peak);
        if peak == 2 {
            return;
        }
    }
    panic!("no two waits at once in {} runs: {seen:?}", seen.len());
}

#[test]
fn threads_and_the_blocking_pool_overlap_every_wait() {
    assert_eq!(peak_overlap(&["--mode", "threads"]), 5);
    assert_eq!(peak_overlap(&["--mode", "spawn-blocking"]), 5);
}

#[test]
fn the_text_summary_does_not_count() {
    // Only the JSON formats print the figure; a text run stays as it was.
    asyncdemo(&["count", "-n", "2", "-d", "1ms"])
        .assert()
        .success()
        .stdout(predicate::str::contains("overlap").not());
}

/// Every row of `compare -f json` carries the figure its way allows:
/// all tasks for async, threads and the pool, one for a blocking
/// join_all, and for spawned blocking tasks at most one per worker (how
/// many at once is tokio's scheduling: see the test above).
#[test]
fn every_compare_row_has_its_peak_overlap() {
    let rows: Vec<Value> = run_json(&["compare", "count", "-n", "3", "-d", "100ms", "-f", "json"])
        .succeeded()
        .summary;
    assert_eq!(rows.len(), 8);
    for row in &rows {
        let workers = row["workers"].as_u64();
        let peak = row["peak_overlap"].as_u64().unwrap();
        match (
            row["mode"].as_str().unwrap(),
            row["spawn"].as_bool().unwrap(),
        ) {
            ("blocking", true) => {
                assert!((1..=workers.unwrap().min(3)).contains(&peak), "{row}")
            }
            ("blocking" | "block-in-place", false) => assert_eq!(peak, 1, "{row}"),
            _ => assert_eq!(peak, 3, "{row}"),
        }
    }
}

/// The rows of `compare count -n 2 -d 10ms -f json --ways WAYS`.
fn compare_json(ways: &str) -> Vec<Value> {
    let args = ["compare", "count", "-n", "2", "-d", "10ms", "-f", "json"];
    run_json(&[&args[..], &["--ways", ways]].concat())
        .succeeded()
        .summary
}

#[test]
fn ways_picks_the_runs_in_the_lessons_order() {
    let rows = compare_json("blocking,async");
    let modes: Vec<&str> = rows.iter().map(|r| r["mode"].as_str().unwrap()).collect();
    assert_eq!(modes, ["async", "blocking"]);
    // The same selection given twice, and each multi-thread way by name.
    let rows = compare_json("multi-spawned,multi-joined,multi-spawned");
    let spawned: Vec<bool> = rows.iter().map(|r| r["spawn"].as_bool().unwrap()).collect();
    assert_eq!(spawned, [false, true]);
    assert!(rows.iter().all(|r| r["runtime"] == "multi-thread"));
}

#[test]
fn ways_picks_the_panels_of_the_picture() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ways.svg");
    let svg = path.to_str().unwrap();
    asyncdemo(&[
        "compare",
        "count",
        "-n",
        "2",
        "-d",
        "20ms",
        "--ways",
        "async,threads",
        "--svg",
        svg,
    ])
    .assert()
    .success();
    let picture = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    assert!(picture.contains("current-thread"), "{picture}");
    assert!(picture.contains("OS threads"), "{picture}");
    for absent in ["spawn-blocking", "multi-thread"] {
        assert!(!picture.contains(absent), "{absent}: {picture}");
    }
}

#[test]
fn a_bad_way_is_a_usage_error() {
    asyncdemo(&["compare", "count", "--ways", "async,nonsense"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("invalid value 'nonsense'"))
        .stderr(predicate::str::contains("multi-spawned"));
}

#[test]
fn the_ways_are_listed_in_help_and_completed_by_shells() {
    let names = [
        "async",
        "blocking",
        "threads",
        "spawn-blocking",
        "multi-joined",
        "multi-spawned",
    ];
    let help = asyncdemo(&["compare", "--help"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let help = String::from_utf8(help).unwrap();
    let bash = asyncdemo(&["completions", "bash"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let bash = String::from_utf8(bash).unwrap();
    assert!(help.contains("--ways"), "{help}");
    for name in names {
        assert!(help.contains(name), "{name}: {help}");
        assert!(bash.contains(name), "{name}");
    }
}

/// The display width of `line`, as a terminal counts columns.
fn columns_of(line: &str) -> usize {
    textwrap::core::display_width(line)
}

#[test]
fn the_table_fits_any_width_without_splitting_a_figure() {
    for columns in [120, 80, 60, 40] {
        let out = asyncdemo(&["compare", "count", "-n", "3", "-d", "20ms"])
            .env("COLUMNS", columns.to_string())
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let table = String::from_utf8(out).unwrap();
        for line in table.lines() {
            assert!(columns_of(line) <= columns, "{columns}: {line:?}\n{table}");
            // A figure keeps its unit and its parenthesis on its line.
            if line.contains("(longest poll") {
                assert!(line.contains(" s)"), "{columns}: {line:?}\n{table}");
            }
            assert!(!line.trim_start().starts_with("s)"), "{columns}:\n{table}");
            let last = line.split_whitespace().last().unwrap_or_default();
            assert!(
                !last.chars().all(|c| c.is_ascii_digit() || c == '.'),
                "{columns}: a number without its unit: {line:?}\n{table}"
            );
            // Nothing wraps back to the left margin but a row's start.
            let margin = [
                "mode",
                "async",
                "blocking",
                "threads",
                "spawn-blocking",
                "block-in-place",
            ];
            assert!(
                line.starts_with(' ') || margin.iter().any(|m| line.starts_with(m)),
                "{columns}: {line:?}\n{table}"
            );
        }
        // Every way is there, once.
        // Every way but threads has a runtime whose polls are timed.
        assert_eq!(
            table.matches("longest poll").count(),
            7,
            "{columns}:\n{table}"
        );
        assert_eq!(
            table.matches("OS thread of its own").count(),
            1,
            "{columns}:\n{table}"
        );
    }
}

/// `taskset -c 0 CMD`, or `None` (with a message) where the machine
/// cannot pin a process to CPU 0.
fn on_one_cpu(args: &[&str]) -> Option<Command> {
    let works = Command::new("taskset")
        .args(["-c", "0", "true"])
        .status()
        .is_ok_and(|s| s.success());
    if !works {
        eprintln!("skipped: `taskset -c 0` is not available here");
        return None;
    }
    let mut command = Command::new("taskset");
    command
        .args(["-c", "0", env!("CARGO_BIN_EXE_asyncdemo")])
        .args(args)
        .env_remove("COLUMNS");
    Some(command)
}

/// With one CPU tokio gives the multi-thread runtime one worker, so the
/// spawned tasks run one after another, and the verdict says why instead
/// of claiming they block only their own worker.
#[test]
fn on_one_cpu_the_spawned_verdict_follows_the_measurement() {
    let Some(mut command) = on_one_cpu(&[
        "compare",
        "count",
        "-n",
        "3",
        "-d",
        "200ms",
        "--ways",
        "multi-joined,multi-spawned",
    ]) else {
        return;
    };
    let output = command.output().unwrap();
    assert!(output.status.success(), "{output:?}");
    let table = String::from_utf8(output.stdout).unwrap();
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].contains("×1 = 1 worker"), "{table}");
    let spawned = lines[2];
    assert!(spawned.contains("spawned"), "{table}");
    assert!(spawned.contains("one after another"), "{table}");
    assert!(spawned.contains("only one CPU was free"), "{table}");
    assert!(!spawned.contains("blocks only the worker"), "{table}");
    assert!(lines[1].contains("the worker idles"), "{table}");
    // The same rows in JSON: one worker, one wait at a time.
    let Some(mut command) = on_one_cpu(&[
        "compare",
        "count",
        "-n",
        "3",
        "-d",
        "50ms",
        "--ways",
        "multi-spawned",
        "-f",
        "json",
    ]) else {
        return;
    };
    let rows: Vec<Value> = serde_json::from_slice(&command.output().unwrap().stdout).unwrap();
    assert_eq!(rows[0]["workers"], 1);
    assert_eq!(rows[0]["peak_overlap"], 1);
}

/// Runs `asyncdemo ARGS` on a pseudo-terminal (util-linux `script`),
/// presses Ctrl-C once `ready` has been printed, and returns what the
/// terminal showed; `None`, with a message, where `script` is missing.
fn ctrl_c_on_a_terminal(args: &str, ready: &str) -> Option<String> {
    let found = Command::new("script")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("skipped: util-linux `script` is not installed");
        return None;
    }
    let command = format!("{} {args}", env!("CARGO_BIN_EXE_asyncdemo"));
    let mut child = Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .env_remove("COLUMNS")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read on a thread of its own, so that a run that never prints
    // `ready` fails the test instead of hanging it.
    let mut stdout = child.stdout.take().unwrap();
    let (chunks, received) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = [0; 4096];
        while let Ok(n @ 1..) = stdout.read(&mut buf) {
            if chunks.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = String::new();
    let take = |seen: &mut String| -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        match received.recv_timeout(left) {
            Ok(chunk) => {
                seen.push_str(&String::from_utf8_lossy(&chunk).replace('\r', ""));
                true
            }
            Err(_) => false,
        }
    };
    while !seen.contains(ready) {
        if !take(&mut seen) {
            let _ = child.kill();
            panic!("no {ready:?} on the terminal: {seen:?}");
        }
    }
    // The terminal turns the byte into SIGINT, and echoes `^C`.
    let stdin = child.stdin.as_mut().unwrap();
    stdin.write_all(b"\x03").unwrap();
    stdin.flush().unwrap();
    while take(&mut seen) {}
    if Instant::now() >= deadline {
        let _ = child.kill();
        panic!("still running after Ctrl-C: {seen:?}");
    }
    child.wait().unwrap();
    Some(seen)
}

/// `line` without its colour codes (`ESC [ ... m`).
fn plain(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.by_ref().find(|&c| c == 'm');
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn after_ctrl_c_the_summary_starts_a_line_of_its_own() {
    let Some(screen) = ctrl_c_on_a_terminal("count -n 2 -d 500years", "One\n") else {
        return;
    };
    let summary = screen
        .lines()
        .find(|l| l.contains("interrupted after"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(
        plain(summary).starts_with("asyncdemo count interrupted"),
        "{screen:?}"
    );
}

#[test]
fn after_ctrl_c_the_timeline_starts_a_line_of_its_own() {
    let Some(screen) = ctrl_c_on_a_terminal("count -n 2 -d 500years --timeline", "One\n") else {
        return;
    };
    let first_lane = screen
        .lines()
        .find(|l| l.contains("task 1 "))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(plain(first_lane).starts_with("task 1 "), "{screen:?}");
}

#[test]
fn after_ctrl_c_the_compare_table_starts_a_line_of_its_own() {
    let Some(screen) = ctrl_c_on_a_terminal(
        "--color never compare count -n 2 -d 500years",
        "running async",
    ) else {
        return;
    };
    let header = screen
        .lines()
        .find(|l| l.contains("elapsed"))
        .unwrap_or_else(|| panic!("{screen}"));
    assert!(header.starts_with("mode "), "{screen:?}");
}
