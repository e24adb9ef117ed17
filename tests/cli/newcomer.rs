//! Black-box tests of what a newcomer stumbles on: Ctrl-C during
//! `compare`, usage errors, colour, help wording, the table's width, and
//! `--trace -`.

use crate::common::*;
use predicates::prelude::*;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

/// Starts `compare ARGS`, waits until its stderr announces the `nth` way
/// (so that the ways before it have finished), and sends Ctrl-C.
/// Returns the exit code and stdout.
fn interrupt_compare_at(args: &[&str], nth: usize) -> (Option<i32>, String) {
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

#[test]
fn ctrl_c_during_compare_leaves_valid_json_and_markdown() {
    for format in ["json", "markdown"] {
        // These formats announce nothing on stderr. Once the handler is
        // in, the signal comes after a wait that usually lets a way or two
        // finish; the checks below hold whenever it lands.
        let mut child = binary()
            .args(["compare", "count", "-n", "2", "-d", "200ms", "-f", format])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_for_sigint_handler(child.id());
        std::thread::sleep(Duration::from_millis(500));
        send_signal(&child, "INT");
        let status = wait_with_limit(&mut child, Duration::from_secs(10));
        let stdout = rest(child.stdout.take().unwrap());
        assert_eq!(status.code(), Some(130), "{format}: {stdout}");
        let interrupted: Vec<bool> = if format == "json" {
            let runs: Vec<Value> = serde_json::from_str(&stdout).unwrap();
            for run in &runs[..runs.len() - 1] {
                assert_eq!(run["completed"], 2, "{stdout}");
                assert_eq!(run["passed"], true, "{stdout}");
            }
            let last = runs.last().unwrap();
            assert_eq!(last["passed"], false, "{stdout}");
            assert!(last["speedup"].is_null(), "{stdout}");
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
        };
        // Exactly one stopped way, and it is the last row.
        assert_eq!(interrupted.last(), Some(&true), "{format}: {stdout}");
        assert_eq!(interrupted.iter().filter(|i| **i).count(), 1, "{stdout}");
    }
}

/// Waits until process `pid` catches SIGINT, as Linux reports it in
/// /proc: the bit for signal 2 in the `SigCgt` mask.
fn wait_for_sigint_handler(pid: u32) {
    let start = std::time::Instant::now();
    loop {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let caught = status
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .map(|mask| u64::from_str_radix(mask.trim(), 16).unwrap())
            .unwrap();
        if caught & (1 << (2 - 1)) != 0 {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no SIGINT handler"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn usage_errors_found_after_parsing_show_the_subcommands_usage() {
    asyncdemo(&["count", "--blocking-threads", "2"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: --blocking-threads sizes the pool",
        ))
        .stderr(predicate::str::contains(
            "\nUsage: asyncdemo count [OPTIONS]\n",
        ));
    asyncdemo(&["fetch", "--timeline", "-f", "json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "\nUsage: asyncdemo fetch [OPTIONS]\n",
        ));
}

#[test]
fn colour_follows_the_environment_conventions() {
    let summary = ["count", "-n", "1", "-d", "0", "-q"];
    // Piped, auto means plain, unless CLICOLOR_FORCE says otherwise ...
    asyncdemo(&summary)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
    asyncdemo(&summary)
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .assert()
        .stdout(predicate::str::contains("\x1b[1m"));
    // ... NO_COLOR wins over it, and --color over both.
    asyncdemo(&summary)
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
    asyncdemo(&summary)
        .env("CLICOLOR_FORCE", "1")
        .arg("--color=never")
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
    asyncdemo(&summary)
        .env("NO_COLOR", "1")
        .arg("--color=always")
        .assert()
        .stdout(predicate::str::contains("\x1b[1m"));
}

/// Runs ARGS on a pseudo-terminal (util-linux `script`) with TERM set,
/// and returns what the terminal received; `None` on a machine without
/// `script`.
fn on_a_terminal(term: &str, args: &str) -> Option<String> {
    let binary = env!("CARGO_BIN_EXE_asyncdemo");
    let output = std::process::Command::new("script")
        .args(["-qec", &format!("{binary} {args}"), "/dev/null"])
        .env("TERM", term)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        // anstream treats a CI job's terminal as colour-capable whatever
        // TERM says, and CI runs this suite with CI=true.
        .env_remove("CI")
        .stdin(Stdio::null())
        .output();
    let output = match output {
        Ok(output) => output,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
        Err(err) => panic!("running `script`: {err}"),
    };
    assert!(output.status.success(), "{output:?}");
    Some(String::from_utf8(output.stdout).unwrap())
}

#[test]
fn a_dumb_terminal_gets_no_colour() {
    let args = "count -n 1 -d 0 -q";
    // The terminal is real: a capable one gets the bold summary ...
    let Some(capable) = on_a_terminal("xterm-256color", args) else {
        eprintln!("skipped: no util-linux `script` to make a pseudo-terminal");
        return;
    };
    assert!(capable.contains("\x1b[1m"));
    // ... and TERM=dumb gets none.
    let dumb = on_a_terminal("dumb", args).unwrap();
    assert!(dumb.contains("executed in"), "{dumb:?}");
    assert!(!dumb.contains('\x1b'), "{dumb:?}");
}

#[test]
fn fetch_help_speaks_of_requests_not_sleeps() {
    let help = stdout_of(&["fetch", "--help"]);
    assert!(help.contains("How each request waits"), "{help}");
    assert!(help.contains("Use a blocking client"), "{help}");
    assert!(!help.contains("sleep"), "{help}");
}

#[test]
fn the_compare_table_fits_columns_when_piped() {
    let output = asyncdemo(&["compare", "hello", "-d", "20ms"])
        .env("COLUMNS", "80")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8(output).unwrap();
    assert!(table.lines().all(|l| l.chars().count() <= 80), "{table}");
    assert!(table.lines().count() > 7, "the verdicts wrap:\n{table}");
    // Without COLUMNS a pipe gets whole rows, one per way.
    let output = asyncdemo(&["compare", "hello", "-d", "20ms"])
        .env_remove("COLUMNS")
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let table = String::from_utf8(output).unwrap();
    assert_eq!(table.lines().count(), 7, "{table}");
}

#[test]
fn trace_dash_means_stdout_and_needs_quiet() {
    let dir = std::env::temp_dir().join(format!("asyncdemo-trace-dash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let output = asyncdemo(&["count", "-n", "2", "-d", "10ms", "-q", "--trace", "-"])
        .current_dir(&dir)
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
            .current_dir(&dir)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(
                "--trace - writes the trace to stdout",
            ));
    }
    assert!(!dir.join("-").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn durations_do_not_complete_as_file_names() {
    let script = stdout_of(&["completions", "bash"]);
    let (_, delay) = script.split_once("--delay)").unwrap();
    let case = &delay[..delay.find(";;").unwrap()];
    assert!(!case.contains("compgen -f"), "{case}");
}

/// Ctrl-C during `compare --svg` still leaves a whole picture: a panel per
/// finished way and one for the way it stopped.
#[test]
fn ctrl_c_during_compare_still_draws_the_picture() {
    let svg = std::env::temp_dir().join(format!("asyncdemo-ctrl-c-{}.svg", std::process::id()));
    let path = svg.to_str().unwrap();
    let (code, stdout) =
        interrupt_compare_at(&["count", "-n", "2", "-d", "300ms", "--svg", path], 2);
    assert_eq!(code, Some(130), "{stdout}");
    let picture = std::fs::read_to_string(&svg).unwrap();
    let _ = std::fs::remove_file(&svg);
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
    assert_eq!(rows.len(), 6, "every way keeps its row");
    let threads = rows.iter().find(|r| r["mode"] == "threads").unwrap();
    assert_eq!(threads["passed"], false);
    assert!(String::from_utf8_lossy(&output.stderr).contains("threads"));
}
