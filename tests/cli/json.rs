//! Black-box tests of the script-facing formats: JSON, NDJSON, timing checks.
//!
//! The structs below are written from the schema in docs/ci.md, not borrowed
//! from the crate, so a change to the output that breaks scripts breaks here.

use crate::common::*;
use predicates::prelude::*;
use serde::Deserialize;
use std::time::Duration;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Summary {
    pub(crate) demo: String,
    pub(crate) mode: String,
    pub(crate) runtime: Option<String>,
    pub(crate) workers: Option<usize>,
    pub(crate) spawn: bool,
    pub(crate) blocking_threads: Option<usize>,
    pub(crate) tasks: u32,
    pub(crate) delay_secs: f64,
    pub(crate) elapsed_secs: f64,
    pub(crate) serial_secs: f64,
    pub(crate) speedup: Option<f64>,
    pub(crate) peak_overlap: Option<u32>,
    pub(crate) longest_poll_secs: Option<f64>,
    pub(crate) slow_polls: Option<u64>,
    pub(crate) completed: u32,
    pub(crate) failed: u32,
    pub(crate) failures: Vec<TaskFailure>,
    pub(crate) interrupted: bool,
    checks: Vec<Check>,
    pub(crate) passed: bool,
    version: String,
    /// Each task's time in each state (docs/ci.md), read in states.rs.
    #[allow(dead_code)]
    task_states: Option<serde_json::Value>,
}

/// One failed task in the summary's `failures`.
#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub(crate) struct TaskFailure {
    pub(crate) task: u32,
    pub(crate) reason: String,
}

#[derive(Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Check {
    name: String,
    limit_secs: f64,
    passed: bool,
}

/// One NDJSON line: an event, a change of a task's state, or the final
/// summary.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
enum Line {
    Event {
        t_secs: f64,
        task: u32,
        text: String,
    },
    State {
        t_secs: f64,
        task: u32,
        state: String,
    },
    // Boxed: the summary is much larger than an event.
    Summary(Box<Summary>),
}

fn ndjson(args: &[&str]) -> Vec<Line> {
    stdout_of(args)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
}

#[test]
fn json_is_one_object_with_every_documented_field() {
    let JsonRun {
        summary: s, code, ..
    } = run_json::<Summary>(&["count", "-n", "4", "--delay", "50ms", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!((s.demo.as_str(), s.mode.as_str()), ("count", "async"));
    assert_eq!(s.runtime.as_deref(), Some("current-thread"));
    assert_eq!(
        (s.workers, s.spawn, s.blocking_threads),
        (None, false, None)
    );
    assert_eq!((s.tasks, s.completed, s.failed), (4, 4, 0));
    assert!(s.failures.is_empty(), "{:?}", s.failures);
    assert!(close(s.delay_secs, 0.05));
    assert!(close(s.serial_secs, 4.0 * 0.05), "serial = tasks × delay");
    assert!(s.elapsed_secs >= 0.05);
    let speedup = s.speedup.unwrap();
    assert!(close(speedup, s.serial_secs / s.elapsed_secs));
    assert!(!s.interrupted && s.passed && s.checks.is_empty());
    assert_eq!(s.version, env!("CARGO_PKG_VERSION"));
    // Without --slow-poll nothing is timed, and the fields say so.
    assert_eq!((s.longest_poll_secs, s.slow_polls), (None, None));
}

#[test]
fn blocking_speedup_is_about_one() {
    let JsonRun { summary: s, .. } =
        run_json::<Summary>(&["hello", "--blocking", "--delay", "30ms", "-f", "json"]);
    assert_eq!(s.mode, "blocking");
    assert!(s.elapsed_secs >= s.serial_secs, "{s:?}");
    // A lower bound can't be given for a ratio on a busy machine, only ≤ 1.
    assert!(s.speedup.unwrap() <= 1.0, "{s:?}");
}

#[test]
fn zero_delay_gives_zero_serial_time() {
    let JsonRun {
        summary: s, code, ..
    } = run_json::<Summary>(&["count", "--delay", "0", "-f", "json"]);
    assert_eq!(code, 0);
    assert_eq!(s.serial_secs, 0.0);
    assert_eq!(s.delay_secs, 0.0);
}

#[test]
fn checks_pass_and_fail_with_exit_codes_0_and_1() {
    let args = ["count", "-n", "3", "--blocking", "--delay", "50ms"];
    // Blocking takes at least 3 × 50 ms, so a 100 ms ceiling must fail ...
    let output = asyncdemo(&args)
        .args(["--max-elapsed", "100ms"])
        .assert()
        .code(1)
        .stdout(predicate::str::contains("executed in"))
        .get_output()
        .clone();
    // Both figures at the same precision, so the comparison reads.
    let stderr = String::from_utf8(output.stderr).unwrap();
    let figures = stderr
        .strip_prefix("check failed: elapsed ")
        .and_then(|rest| rest.strip_suffix(" s\n"))
        .and_then(|rest| rest.split_once(" s exceeds --max-elapsed "))
        .unwrap_or_else(|| panic!("{stderr:?}"));
    let decimals = |figure: &str| figure.split_once('.').map(|(_, d)| d.len());
    assert_eq!(decimals(figures.0), decimals(figures.1), "{stderr:?}");
    assert!(figures.1.starts_with("0.10"), "{stderr:?}");
    assert!(figures.0.parse::<f64>().unwrap() > figures.1.parse::<f64>().unwrap());
    // ... and a 60 s one must pass.
    asyncdemo(&args)
        .args(["--max-elapsed", "60s"])
        .assert()
        .code(0)
        .stderr("");
    // A floor far above the run fails too.
    asyncdemo(&["count", "--delay", "10ms", "--min-elapsed", "1h"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("is below --min-elapsed 3600.00 s"));
}

#[test]
fn json_reports_each_check_and_the_verdict() {
    let JsonRun {
        summary: s, code, ..
    } = run_json::<Summary>(&[
        "count",
        "--blocking",
        "--delay",
        "50ms",
        "-f",
        "json",
        "--max-elapsed",
        "100ms",
        "--min-elapsed",
        "10ms",
    ]);
    assert_eq!(code, 1);
    assert!(!s.passed);
    assert_eq!(
        s.checks,
        [
            Check {
                name: "max_elapsed".into(),
                limit_secs: 0.1,
                passed: false
            },
            Check {
                name: "min_elapsed".into(),
                limit_secs: 0.01,
                passed: true
            },
        ]
    );
}

#[test]
fn ndjson_has_2n_ordered_events_then_the_summary() {
    let n = 5;
    let lines = ndjson(&["count", "-n", "5", "--delay", "20ms", "-f", "ndjson"]);
    let Some(Line::Summary(summary)) = lines.last() else {
        panic!("the last line is not the summary: {lines:?}")
    };
    assert_eq!(summary.completed, n as u32);

    // The task lines, among the state changes (states.rs reads those).
    let events: Vec<(f64, u32, &str)> = lines[..lines.len() - 1]
        .iter()
        .filter_map(|line| match line {
            Line::Event { t_secs, task, text } => Some((*t_secs, *task, text.as_str())),
            Line::State {
                t_secs,
                task,
                state,
            } => {
                // Of a task of the run, in one of the documented words.
                assert!(*t_secs >= 0.0 && (1..=n as u32).contains(task), "{line:?}");
                let words = ["polled", "sleeping", "ready", "done"];
                assert!(words.contains(&state.as_str()), "{line:?}");
                None
            }
            Line::Summary(_) => panic!("a summary before the events ended"),
        })
        .collect();
    assert_eq!(events.len(), 2 * n);
    assert!(
        events.windows(2).all(|w| w[0].0 <= w[1].0),
        "time order: {events:?}"
    );
    for task in 1..=n as u32 {
        let mine: Vec<_> = events.iter().filter(|e| e.1 == task).collect();
        assert_eq!(mine.len(), 2, "task {task}");
        assert_eq!((mine[0].2, mine[1].2), ("One", "Two"));
        assert!(
            mine[1].0 - mine[0].0 >= 0.02,
            "task {task} waited its delay"
        );
    }
    // Async: every task says One before any says Two.
    assert!(events[..n].iter().all(|e| e.2 == "One"));
}

#[test]
fn ndjson_can_be_followed_live() {
    // The first event must arrive while the run is still waiting.
    let (mut child, mut stdout, mut line) =
        spawn_until_first_line(&["hello", "--delay", "500years", "-f", "ndjson"]);
    // The task's first states (ready, polled) come before its first line.
    while matches!(serde_json::from_str(&line).unwrap(), Line::State { .. }) {
        line.clear();
        std::io::BufRead::read_line(&mut stdout, &mut line).unwrap();
    }
    let event: Line = serde_json::from_str(&line).unwrap();
    assert!(matches!(event, Line::Event { task: 1, ref text, .. } if text == "Hello ..."));
    assert!(child.try_wait().unwrap().is_none(), "still running");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn an_interrupted_run_still_prints_valid_json() {
    for format in ["json", "ndjson"] {
        let dir = tempfile::tempdir().unwrap();
        let trace = dir.path().join("run.json");
        let mut child = binary()
            .args(["count", "-n", "3", "--delay", "500years", "-f", format])
            .arg("--trace")
            .arg(&trace)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        // JSON prints nothing before the end, so the test waits until the
        // process catches SIGINT and has created its trace file (the run is
        // under way) before it sends one.
        let pid = child.id();
        wait_until("the run to start", || catches_sigint(pid) && trace.exists());
        send_signal(&child, "INT");
        assert_eq!(
            wait_with_limit(&mut child, Duration::from_secs(10)).code(),
            Some(130)
        );
        let text = rest(stdout);
        let last = text.lines().last().unwrap();
        // The trace written on the way out is whole, valid JSON.
        let trace_file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
        assert!(trace_file["traceEvents"].is_array());
        let summary: Summary = if format == "json" {
            serde_json::from_str(&text).unwrap()
        } else {
            match serde_json::from_str(last).unwrap() {
                Line::Summary(s) => *s,
                other => panic!("{other:?}"),
            }
        };
        assert!(summary.interrupted && !summary.passed, "{format}");
        assert_eq!(summary.completed, 0);
    }
}

#[test]
fn quiet_prints_only_the_summary_and_verbose_adds_time_and_task() {
    asyncdemo(&["count", "-q", "--delay", "10ms"])
        .assert()
        .success()
        .stdout(
            predicate::str::is_match(r"^asyncdemo count executed in \d+\.\d\d seconds\.\n$")
                .unwrap(),
        );
    let text = stdout_of(&["count", "-n", "2", "-v", "--blocking", "--delay", "10ms"]);
    let line = predicate::str::is_match(r"^\[ *\d+\.\d{3}s\] task \d+  (One|Two)$").unwrap();
    let tasks: Vec<(&str, &str)> = text
        .lines()
        .take(4)
        .map(|l| {
            assert!(line.eval(l), "{l:?}");
            // `[ 0.000s] task 1  One` → ("1", "One")
            l.split("] task ").nth(1).unwrap().split_once("  ").unwrap()
        })
        .collect();
    assert_eq!(
        tasks,
        [("1", "One"), ("1", "Two"), ("2", "One"), ("2", "Two")],
        "{text}"
    );
}

#[test]
fn bad_format_and_check_values_are_usage_errors() {
    for args in [
        &["count", "-f", "xml"][..],
        &["count", "--format"],
        &["count", "--max-elapsed", "soon"],
        &["count", "--min-elapsed", "-1s"],
        &["count", "--min-elapsed", "2s", "--max-elapsed", "1s"],
        &["count", "-q", "-v"],
    ] {
        asyncdemo(args)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::starts_with("error: "));
    }
}
