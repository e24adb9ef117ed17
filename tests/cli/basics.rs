//! Black-box tests of the core: the seed's outputs, the timing lesson with
//! real (short) sleeps, and every failure path.

use crate::common::*;
use predicates::prelude::*;
use std::time::Duration;

/// Asserts the task lines exactly, then the summary line's shape, and returns
/// the elapsed seconds the summary reports.
fn assert_transcript(args: &[&str], lines: &[&str]) -> f64 {
    let output = asyncdemo(args)
        .assert()
        .success()
        .stderr("")
        .get_output()
        .clone();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let mut got: Vec<&str> = stdout.lines().collect();
    let summary = got.pop().expect("a summary line");
    assert_eq!(got, lines, "task lines of {args:?}");
    let demo = args[0];
    assert!(
        summary.starts_with(&format!("asyncdemo {demo} executed in ")),
        "{summary:?}"
    );
    let secs = summary_secs(summary);
    // Two decimals, as the notes print `1.01 seconds`.
    assert_eq!(
        summary,
        format!("asyncdemo {demo} executed in {secs:.2} seconds.")
    );
    assert!(stdout.ends_with(".\n"));
    secs
}

#[test]
fn count_async_prints_the_seed_output() {
    let secs = assert_transcript(
        &["count", "-n", "3", "--delay", "50ms"],
        &["One", "One", "One", "Two", "Two", "Two"],
    );
    assert!(secs >= 0.05, "{secs}");
}

#[test]
fn count_blocking_prints_the_seed_output_and_takes_n_delays() {
    let secs = assert_transcript(
        &["count", "-n", "3", "--blocking", "--delay", "50ms"],
        &["One", "Two", "One", "Two", "One", "Two"],
    );
    // A lower bound only: a busy machine can make it slower, never faster.
    assert!(secs >= 0.15, "{secs}");
}

#[test]
fn hello_defaults_to_two_tasks_in_both_modes() {
    assert_transcript(
        &["hello", "--delay", "50ms"],
        &["Hello ...", "Hello ...", "... World!", "... World!"],
    );
    let secs = assert_transcript(
        &["hello", "--mode", "blocking", "--delay", "50ms"],
        &["Hello ...", "... World!", "Hello ...", "... World!"],
    );
    assert!(secs >= 0.10, "{secs}");
}

#[test]
fn count_defaults_to_three_tasks() {
    assert_transcript(
        &["count", "--delay", "0"],
        &["One", "One", "One", "Two", "Two", "Two"],
    );
}

#[test]
fn async_overlaps_the_waits_and_blocking_adds_them_up() {
    let n = 8;
    let delay = 0.1;
    let args = |mode| ["count", "-n", "8", "--delay", "100ms", "--mode", mode, "-q"];
    let run = |mode| summary_secs(stdout_of(&args(mode)).trim_end());
    let blocking = run("blocking");
    let nonblocking = run("async");
    assert!(blocking >= n as f64 * delay, "blocking took {blocking}");
    assert!(nonblocking >= delay, "async took {nonblocking}");
    // Loose: async should be about 1/8 of blocking; allow up to 1/2.
    assert!(
        nonblocking * 2.0 < blocking,
        "async {nonblocking} s is not well under blocking {blocking} s"
    );
}

#[test]
fn lines_appear_before_the_wait_even_through_a_pipe() {
    // The first line must reach a pipe while the tasks are still waiting,
    // not when the program ends: that is the lesson a person watches.
    for mode in ["async", "blocking"] {
        let (mut child, stdout, first) =
            spawn_until_first_line(&["count", "-n", "2", "--delay", "500years", "-m", mode]);
        assert_eq!(first, "One\n", "{mode}");
        child.kill().unwrap();
        child.wait().unwrap();
        drop(stdout);
    }
}

#[test]
fn bad_input_is_a_one_line_error_and_exit_2() {
    let cases: &[&[&str]] = &[
        &["count", "-n", "0"],
        &["count", "-n", "10000001"],
        &["count", "-n", "-5"],
        &["count", "-n", "many"],
        &["count", "--delay", "1e30"],
        &["count", "--delay", "inf"],
        &["count", "--delay", "-1"],
        &["count", "--delay", ""],
        &["count", "--delay", "99999999999999999999years"],
        &["count", "--mode", "threadz"],
        &["count", "--blocking", "--mode", "async"],
        &["hello", "--frobnicate"],
        &["nosuchdemo"],
    ];
    for args in cases {
        asyncdemo(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::starts_with("error: "))
            .stderr(predicate::str::contains("panicked").not());
    }
}

#[test]
fn the_task_range_is_named_in_the_error() {
    for n in ["0", "-5", "10000001"] {
        asyncdemo(&["count", "-n", n])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "--tasks must be a whole number from 1 to 10,000,000",
            ));
    }
}

#[test]
fn no_subcommand_shows_the_usage_and_exits_2() {
    asyncdemo(&[])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "Usage: asyncdemo [OPTIONS] <COMMAND>",
        ));
}

#[test]
fn a_huge_delay_is_accepted() {
    // `500years` parses and sleeps; the signal tests below end such runs.
    let (mut child, _stdout, first) = spawn_until_first_line(&["hello", "-d", "500years"]);
    assert_eq!(first, "Hello ...\n");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn help_describes_every_subcommand_with_defaults() {
    for demo in ["count", "hello"] {
        asyncdemo(&[demo, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("[default: 1s]"))
            .stdout(predicate::str::contains("--blocking"));
    }
    asyncdemo(&["count", "--help"])
        .assert()
        .stdout(predicate::str::contains("[default: 3]"));
    asyncdemo(&["hello", "--help"])
        .assert()
        .stdout(predicate::str::contains("[default: 2]"));
    asyncdemo(&["--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("count").and(predicate::str::contains("hello")));
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // `asyncdemo count -n 100000 --delay 0s | head -1`
    let (mut child, stdout, first) =
        spawn_until_first_line(&["count", "-n", "100000", "--delay", "0s"]);
    assert_eq!(first, "One\n");
    drop(stdout); // the reader goes away, as `head` does
    let status = wait_with_limit(&mut child, Duration::from_secs(30));
    let stderr = rest(child.stderr.take().unwrap());
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn a_closed_pipe_stops_a_blocking_run_at_its_next_wait() {
    let (mut child, stdout, _) =
        spawn_until_first_line(&["count", "-n", "1000", "--blocking", "--delay", "20ms"]);
    drop(stdout);
    // 1000 × 20 ms would be 20 s; the failed flush before the next wait ends it.
    let status = wait_with_limit(&mut child, Duration::from_secs(15));
    assert_eq!(status.code(), Some(0));
    assert_eq!(rest(child.stderr.take().unwrap()), "");
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_is_a_clear_error() {
    let full = std::fs::File::create("/dev/full").unwrap();
    let output = binary()
        .args(["count", "--delay", "0s"])
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: writing output: No space left on device"),
        "{stderr}"
    );
}

/// Ctrl-C must work even while the only executor thread is blocked inside
/// `std::thread::sleep`, and must print what had finished.
#[test]
fn sigint_prints_a_partial_summary_and_exits_130_in_every_mode() {
    for mode in ["async", "blocking"] {
        let (mut child, stdout, first) =
            spawn_until_first_line(&["count", "-n", "3", "--delay", "500years", "-m", mode]);
        assert_eq!(first, "One\n");
        send_signal(&child, "INT");
        // Generous: catches a hang, not a slow machine (it takes ~5 ms).
        let status = wait_with_limit(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(130), "{mode}");
        let rest = rest(stdout);
        let last = rest.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("asyncdemo count interrupted after ")
                && last.ends_with(" seconds (0 of 3 tasks finished)."),
            "{mode}: {rest:?}"
        );
    }
}

#[test]
fn sigterm_exits_143() {
    let (mut child, stdout, _) =
        spawn_until_first_line(&["hello", "--blocking", "--delay", "500years"]);
    send_signal(&child, "TERM");
    let status = wait_with_limit(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(143));
    assert!(rest(stdout).contains("asyncdemo hello terminated after "));
}

#[test]
fn a_signal_after_some_tasks_finished_counts_them() {
    // Blocking, 300 ms each: interrupt during task 3, once task 2 is done.
    let (mut child, stdout, _) =
        spawn_until_first_line(&["count", "-n", "3", "--blocking", "-d", "300ms", "-v"]);
    let mut stdout = stdout;
    let mut seen = String::new();
    // Wait until task 2 has finished (its `Two` line), then interrupt task 3.
    while !seen.contains("task 2  Two") {
        let mut line = String::new();
        assert!(std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0);
        seen.push_str(&line);
    }
    send_signal(&child, "INT");
    let status = wait_with_limit(&mut child, Duration::from_secs(10));
    assert_eq!(status.code(), Some(130));
    let rest = rest(stdout);
    assert!(
        rest.contains("(2 of 3 tasks finished)") || rest.contains("(3 of 3 tasks finished)"),
        "{rest}"
    );
}
