//! Helpers shared by the black-box tests.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The built binary, for tests that drive the process by hand (pipes, signals).
pub fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_asyncdemo"))
}

/// `asyncdemo ARGS`, ready for assert_cmd's assertions.
pub fn asyncdemo(args: &[&str]) -> assert_cmd::Command {
    let mut cmd = assert_cmd::cargo::cargo_bin_cmd!("asyncdemo");
    cmd.args(args);
    cmd
}

/// Parses the seconds out of `asyncdemo <demo> executed in 1.00 seconds.`
pub fn summary_secs(line: &str) -> f64 {
    let secs = line
        .split(" executed in ")
        .nth(1)
        .and_then(|rest| rest.strip_suffix(" seconds."))
        .unwrap_or_else(|| panic!("not a summary line: {line:?}"));
    secs.parse().unwrap()
}

/// Starts the binary with stdout piped and waits until it has printed its
/// first line, which proves the run (and its signal handler) has started.
pub fn spawn_until_first_line(
    args: &[&str],
) -> (Child, BufReader<std::process::ChildStdout>, String) {
    let mut child = binary()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    (child, stdout, first)
}

/// Sends a signal by name (`INT`, `TERM`) with the system's `kill`.
pub fn send_signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .args([format!("-{signal}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits for the child, killing it (and failing) if it outlives `limit`.
/// The limit is generous: it catches a hang, not a slow machine.
pub fn wait_with_limit(child: &mut Child, limit: Duration) -> ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if start.elapsed() > limit {
            child.kill().unwrap();
            panic!("the process did not exit within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Everything left on a reader.
pub fn rest(mut reader: impl Read) -> String {
    let mut text = String::new();
    reader.read_to_string(&mut text).unwrap();
    text
}

/// Runs `asyncdemo ARGS`, asserts that it succeeded, and returns its stdout.
pub fn stdout_of(args: &[&str]) -> String {
    let output = asyncdemo(args)
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    String::from_utf8(output).unwrap()
}

/// Runs `asyncdemo ARGS -f json`, asserts success, and returns the summary.
pub fn json_summary(args: &[&str]) -> serde_json::Value {
    let mut args = args.to_vec();
    args.extend(["-f", "json"]);
    serde_json::from_str(&stdout_of(&args)).unwrap()
}

/// A summary's `elapsed_secs`.
pub fn elapsed(summary: &serde_json::Value) -> f64 {
    summary["elapsed_secs"].as_f64().unwrap()
}

/// Runs `asyncdemo ARGS -f ndjson` and says whether the tasks' waits
/// overlapped: whether every task printed its first line before any task
/// printed its last. Read from the order of the lines, not from a clock, so
/// a slow machine cannot make it wrong: tasks that ran one after another
/// put a last line before the next task's first.
pub fn waits_overlap(args: &[&str]) -> bool {
    let mut args = args.to_vec();
    args.extend(["-f", "ndjson"]);
    let mut seen = std::collections::HashSet::new();
    let (mut last_first, mut first_last) = (0, usize::MAX);
    for (index, line) in stdout_of(&args).lines().enumerate() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        if event["type"] != "event" {
            continue;
        }
        if seen.insert(event["task"].as_u64().unwrap()) {
            last_first = index;
        } else {
            first_last = first_last.min(index);
        }
    }
    assert!(!seen.is_empty(), "no events from {args:?}");
    last_first < first_last
}
