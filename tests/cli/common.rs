//! Helpers shared by the black-box tests.

use serde::de::DeserializeOwned;
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

/// What a run that prints one JSON document left: the document, read as
/// `T` (a `serde_json::Value`, or json.rs's schema structs), its exit code
/// and its stderr.
pub struct JsonRun<T> {
    pub summary: T,
    pub code: i32,
    pub stderr: String,
}

/// Runs `asyncdemo ARGS` (which name the format: `-f json`, `--format
/// json`) and reads stdout as one JSON document, whatever the exit code:
/// the one place the tests parse a JSON run. The time limit catches a hang.
pub fn run_json<T: DeserializeOwned>(args: &[&str]) -> JsonRun<T> {
    let output = asyncdemo(args)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let summary = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!("{args:?}: stdout is not one JSON document ({e}): {stdout:?}\nstderr: {stderr}")
    });
    let code = output
        .status
        .code()
        .unwrap_or_else(|| panic!("{args:?} ended by a signal: {stderr}"));
    JsonRun {
        summary,
        code,
        stderr,
    }
}

impl<T> JsonRun<T> {
    /// Asserts that the run exited 0.
    pub fn succeeded(self) -> Self {
        assert_eq!(self.code, 0, "stderr: {}", self.stderr);
        self
    }
}

/// Runs `asyncdemo ARGS -f json`, asserts success, and returns the summary.
pub fn json_summary(args: &[&str]) -> serde_json::Value {
    let mut args = args.to_vec();
    args.extend(["-f", "json"]);
    run_json(&args).succeeded().summary
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

/// Whether process `pid` catches SIGINT, as Linux reports it in /proc: the
/// bit for signal 2 in the `SigCgt` mask. A run that prints nothing before
/// its end (JSON) shows it is ready for Ctrl-C this way.
pub fn catches_sigint(pid: u32) -> bool {
    catches(pid, libc::SIGINT)
}

/// Whether process `pid` catches signal number `signal` (its bit in the
/// `SigCgt` mask of /proc). The handlers go in one at a time, so a test
/// that sends SIGTERM waits for SIGTERM's own bit: SIGINT's alone left a
/// moment in which SIGTERM still killed the process.
pub fn catches(pid: u32, signal: i32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let caught = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .map(|mask| u64::from_str_radix(mask.trim(), 16).unwrap())
        .unwrap();
    caught & (1 << (signal - 1)) != 0
}

/// Polls `ready` every few milliseconds until it holds: a wait on what the
/// test is waiting for, instead of a sleep that guesses how long it takes.
/// Fails after a minute, which catches a hang, not a slow machine.
pub fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ready() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "waited a minute for {what}"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Every way of running: each tokio mode on both runtimes, joined and
/// spawned, and the thread per task.
pub fn every_way() -> Vec<Vec<&'static str>> {
    let mut ways = Vec::new();
    for mode in ["async", "blocking", "spawn-blocking"] {
        for runtime in [&[][..], &["--workers", "2"][..]] {
            for driver in [&[][..], &["--spawn"][..]] {
                let mut way = vec!["-m", mode];
                way.extend_from_slice(runtime);
                way.extend_from_slice(driver);
                ways.push(way);
            }
        }
    }
    ways.push(vec!["-m", "threads"]);
    ways
}

/// The most `--trace` slices named `name` in progress at one moment (e.g.
/// "in the pool": how many calls the blocking pool ran at once).
pub fn most_at_once(events: &[serde_json::Value], name: &str) -> i32 {
    let mut edges: Vec<(f64, i32)> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["name"] == name)
        .flat_map(|e| {
            let (ts, dur) = (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap());
            [(ts, 1), (ts + dur, -1)]
        })
        .collect();
    // An end before a start at the same moment: touching slices do not
    // overlap.
    edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    edges
        .iter()
        .scan(0, |n, e| {
            *n += e.1;
            Some(*n)
        })
        .max()
        .unwrap_or(0)
}
