//! The surface added last: `lock`, `--work spin`, `block-in-place`,
//! `--explain`, `compare lock` and `compare --python`, tried the way the
//! older surface is: into a closed pipe and a full disk, and stopped by
//! SIGINT or SIGTERM early, mid-run and at the end, in each format each
//! command takes. Every case must end as the older surface does: quietly
//! for a closed pipe, one `error:` line and exit 2 for a full disk, and
//! exit 130/143 with exactly one summary (valid JSON in the JSON formats)
//! for a signal.

use crate::common::*;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::Stdio;
use std::time::Duration;

/// A fake python3 that never ends, so that a Python row is running when
/// the signal comes; the tokio rows before it are done by then.
fn endless_python() -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("python3");
    std::fs::write(&path, "#!/bin/sh\nexec /bin/sleep 1000\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// The new surface's commands, with a delay `delay`, each with the
/// formats it takes. `compare --python` runs against `python`'s fake.
fn commands(delay: &'static str) -> Vec<(Vec<&'static str>, &'static [&'static str])> {
    const SINGLE: &[&str] = &["text", "json", "ndjson"];
    const TABLE: &[&str] = &["text", "json", "markdown"];
    vec![
        (vec!["lock", "-n", "2", "-d", delay], SINGLE),
        (
            vec!["lock", "-n", "2", "-d", delay, "--lock", "tokio"],
            SINGLE,
        ),
        (
            vec!["count", "-n", "2", "-d", delay, "--work", "spin"],
            SINGLE,
        ),
        (
            vec![
                "count",
                "-n",
                "2",
                "-d",
                delay,
                "-m",
                "block-in-place",
                "--workers",
                "2",
            ],
            SINGLE,
        ),
        // --explain is text or ndjson only.
        (
            vec!["count", "-n", "2", "-d", delay, "--explain"],
            &["text", "ndjson"],
        ),
        (vec!["compare", "lock", "-n", "2", "-d", delay], TABLE),
        (
            vec!["compare", "count", "-n", "1", "-d", delay, "--python"],
            TABLE,
        ),
    ]
}

/// A pipe whose reading end is already closed: the writing end.
fn closed_pipe() -> Stdio {
    let mut ends = [0; 2];
    // SAFETY: pipe writes two new descriptors into the array.
    assert_eq!(unsafe { libc::pipe(ends.as_mut_ptr()) }, 0);
    // SAFETY: both were just opened and are owned here only.
    let (reader, writer) =
        unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
    drop(reader);
    Stdio::from(writer)
}

#[test]
fn the_new_surface_into_a_closed_pipe_ends_quietly() {
    let python = endless_python();
    for (args, _) in commands("10ms") {
        // `compare --python` would wait for the endless fake: a working one
        // is not needed to see the pipe closed.
        let mut child = binary()
            .args(&args)
            .env("PATH", python.path())
            .stdout(closed_pipe())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let status = wait_with_limit(&mut child, Duration::from_secs(20));
        let stderr = rest(child.stderr.take().unwrap());
        assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
        // compare says which way it runs; nothing else may be said.
        let said: Vec<&str> = stderr
            .lines()
            .filter(|l| !l.starts_with("running "))
            .collect();
        assert!(said.is_empty(), "{args:?}: {stderr}");
    }
}

#[test]
fn the_new_surface_into_a_full_disk_is_one_error_and_exit_2() {
    // A command per thread: the std lock's runs wait a second for their
    // deadlock to be called, and nothing here is timed.
    std::thread::scope(|s| {
        for (args, formats) in commands("0") {
            s.spawn(move || full_disk(&args, formats));
        }
    });
}

/// `args` in each of `formats` into /dev/full: one `error:` line for the
/// disk, exit 2.
fn full_disk(args: &[&str], formats: &[&str]) {
    for format in formats {
        // `compare --python` without python3: the tokio rows still fill the disk.
        let empty = tempfile::tempdir().unwrap();
        let full = std::fs::File::create("/dev/full").unwrap();
        let output = binary()
            .args(args)
            .args(["-f", format])
            .env("PATH", empty.path())
            .stdout(full)
            .output()
            .unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        let context = format!("{args:?} -f {format}: {stderr}");
        assert_eq!(output.status.code(), Some(2), "{context}");
        // One line for the disk; any other is the run's own ending
        // (the std lock's deadlock), said before the summary.
        let full = "error: writing output: No space left on device";
        let (disk, other): (Vec<&str>, Vec<&str>) = stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .partition(|l| l.starts_with(full));
        assert_eq!(disk.len(), 1, "{context}");
        assert!(other.iter().all(|l| l.contains("deadlock")), "{context}");
        assert!(!stderr.contains("panicked"), "{context}");
    }
}

/// When, in a run, the signal comes.
#[derive(Clone, Copy, Debug)]
enum Moment {
    /// As soon as the run catches it: before any task has printed.
    Early,
    /// Once the run has printed (or, printing nothing before its end,
    /// has run for a moment): the tasks wait, or `lock` is deadlocked.
    Mid,
}

/// Runs `args -f format`, sends `signal` at `moment`, and returns how it
/// ended: its exit code, stdout and stderr.
fn interrupt(
    args: &[&str],
    format: &str,
    signal: &str,
    moment: Moment,
    path: &std::path::Path,
) -> (Option<i32>, String, String) {
    let mut child = binary()
        .args(args)
        .args(["-f", format])
        .env("PATH", path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    // Both handlers: the one for the signal this case sends, too.
    wait_until("the signal handlers", || {
        catches(pid, libc::SIGINT) && catches(pid, libc::SIGTERM)
    });
    if let Moment::Mid = moment {
        if args[0] != "compare" && format != "json" {
            // The first line is out: the tasks have started.
            stdout.read_line(&mut first).unwrap();
            assert!(!first.is_empty(), "{args:?}");
        } else {
            // Nothing to read before the end: a moment into the run.
            std::thread::sleep(Duration::from_millis(150));
        }
    }
    send_signal(&child, signal);
    let reading = std::thread::spawn(move || rest(stdout));
    let stderr = child.stderr.take().unwrap();
    let reading_err = std::thread::spawn(move || rest(stderr));
    // A hang fails the test, saying which case hung and what it printed.
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = format!("{first}{}", reading.join().unwrap());
    let stderr = reading_err.join().unwrap();
    let Some(status) = status else {
        panic!("{args:?} -f {format}, SIG{signal} {moment:?} did not end: {stdout}\n{stderr}");
    };
    (status.code(), stdout, stderr)
}

/// Exactly one summary in `stdout`, whole, in `format`: `args`' demo line
/// once (text), one JSON value (json), one summary object after lines
/// that all parse (ndjson), one table (compare's text and markdown).
fn assert_one_summary(args: &[&str], format: &str, stdout: &str, context: &str) {
    let compare = args[0] == "compare";
    match (compare, format) {
        (false, "text") => {
            let summary = format!("asyncdemo {} ", args[0]);
            let summaries = stdout.lines().filter(|l| l.starts_with(&summary)).count();
            assert_eq!(summaries, 1, "{context}");
        }
        (false, "json") => {
            let value: Value = serde_json::from_str(stdout).expect(context);
            assert_eq!(value["interrupted"], true, "{context}");
        }
        (false, _) => {
            let lines: Vec<Value> = stdout
                .lines()
                .map(|l| serde_json::from_str(l).expect(context))
                .collect();
            let summaries = lines.iter().filter(|l| l["type"] == "summary").count();
            assert_eq!(summaries, 1, "{context}");
            assert_eq!(lines.last().unwrap()["type"], "summary", "{context}");
        }
        (true, "json") => {
            let rows: Vec<Value> = serde_json::from_str(stdout).expect(context);
            // The rows so far, the one the signal stopped marked so (none
            // had started when an early signal came).
            if let Some(last) = rows.last() {
                assert_eq!(last["interrupted"], true, "{context}");
            }
        }
        (true, _) => {
            let headers = stdout
                .lines()
                .filter(|l| l.trim_start_matches("| ").starts_with("mode "))
                .count();
            assert_eq!(headers, 1, "{context}");
            let rows = stdout.lines().filter(|l| l.contains(" s ")).count();
            assert!(rows == 0 || stdout.contains("interrupted"), "{context}");
        }
    }
}

#[test]
fn the_new_surface_stops_on_a_signal_with_one_summary_in_every_format() {
    let python = endless_python();
    for (args, formats) in commands("500years") {
        for format in formats {
            for moment in [Moment::Early, Moment::Mid] {
                for (signal, code) in [("INT", 130), ("TERM", 143)] {
                    let (status, stdout, stderr) =
                        interrupt(&args, format, signal, moment, python.path());
                    let context =
                        format!("{args:?} -f {format}, SIG{signal} {moment:?}: {stdout}\n{stderr}");
                    assert_eq!(status, Some(code), "{context}");
                    assert!(!stderr.contains("panicked"), "{context}");
                    assert_one_summary(&args, format, &stdout, &context);
                    if let (Moment::Mid, "compare") = (moment, args[0]) {
                        // A moment in, the first row is running: it is printed.
                        assert!(stdout.contains("interrupted"), "{context}");
                    }
                }
            }
        }
    }
}

#[test]
fn a_signal_during_lock_s_deadlock_ends_it_with_one_summary() {
    // The stall limit is a second: between the first line and then, the
    // std lock's tasks are deadlocked.
    for format in ["text", "json", "ndjson"] {
        let (status, stdout, stderr) = interrupt(
            &["lock", "-n", "2", "-d", "10ms"],
            format,
            "INT",
            Moment::Mid,
            std::path::Path::new("/usr/bin:/bin"),
        );
        let context = format!("-f {format}: {stdout}\n{stderr}");
        assert_eq!(status, Some(130), "{context}");
        assert_one_summary(&["lock"], format, &stdout, &context);
    }
}

#[test]
fn a_signal_at_the_end_of_a_run_still_leaves_one_summary() {
    // A run of about two delays, serial or not; the signal comes a little
    // before, at or after its end. Either the signal concludes (130/143) or
    // the normal end does (0, or 1 for the deadlock), never both.
    let commands: [&[&str]; 4] = [
        &["lock", "-n", "2", "-d", "30ms", "--lock", "tokio"],
        &["lock", "-n", "2", "-d", "30ms"],
        &["count", "-n", "2", "-d", "30ms", "--work", "spin"],
        &["count", "-n", "2", "-d", "30ms", "--explain"],
    ];
    for args in commands {
        for format in ["text", "ndjson"] {
            for (offset, (signal, code)) in
                [(20, ("INT", 130)), (45, ("TERM", 143)), (70, ("INT", 130))]
            {
                let with_format = [args, &["-f", format]].concat();
                let (mut child, stdout, first) = spawn_until_first_line(&with_format);
                std::thread::sleep(Duration::from_millis(offset));
                send_signal(&child, signal);
                let reading = std::thread::spawn(move || rest(stdout));
                let status = wait_with_limit(&mut child, Duration::from_secs(20));
                let stdout = format!("{first}{}", reading.join().unwrap());
                let stderr = rest(child.stderr.take().unwrap());
                let context = format!(
                    "{args:?} -f {format}, SIG{signal} at +{offset} ms: {stdout}\n{stderr}"
                );
                let ended = status.code();
                assert!(
                    matches!(ended, Some(0 | 1)) || ended == Some(code),
                    "{context}"
                );
                assert!(!stderr.contains("panicked"), "{context}");
                if ended == Some(code) {
                    assert_one_summary(args, format, &stdout, &context);
                } else {
                    // The normal end's summary, once.
                    let summaries = match format {
                        "text" => stdout
                            .lines()
                            .filter(|l| l.starts_with(&format!("asyncdemo {} ", args[0])))
                            .count(),
                        _ => stdout
                            .lines()
                            .filter(|l| l.contains("\"type\":\"summary\""))
                            .count(),
                    };
                    assert_eq!(summaries, 1, "{context}");
                }
            }
        }
    }
}
