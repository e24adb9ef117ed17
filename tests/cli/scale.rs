//! Guards against the quadratic join (docs/benchmarks.md, "The coop-budget
//! trap"). With `futures::future::join_all` and without `unconstrained`,
//! 200,000 zero-delay tasks take 14 s or more (measured in release builds),
//! where they now take about 0.1 s.

use crate::common::*;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Runs `asyncdemo ARGS -f json`, which must succeed, and returns the
/// summary and the CPU time the process used (user + system, as the kernel
/// counts it when the process is reaped). A busy machine stretches wall
/// time, but hardly the CPU time a run needs.
#[cfg(target_os = "linux")]
// The child is reaped by `wait4` below, which std cannot see.
#[allow(clippy::zombie_processes)]
fn json_and_cpu_time(args: &[&str]) -> (serde_json::Value, Duration) {
    let mut child = binary()
        .args(args)
        .args(["-f", "json"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = rest(child.stdout.take().unwrap());
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data, filled in by wait4; the pid is this
    // test's own child, which std has not reaped (it is not waited on).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "{}", std::io::Error::last_os_error());
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{args:?}: status {status}"
    );
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    let summary = serde_json::from_str(&stdout).unwrap();
    (summary, time(usage.ru_utime) + time(usage.ru_stime))
}

/// Ten times the tasks cost about ten times the CPU; the trap made it a
/// hundred (the cost grows with the square of the count). Paired runs in one
/// test, on CPU time: no bound on how long this machine takes.
#[cfg(target_os = "linux")]
#[test]
fn two_hundred_thousand_tasks_stay_linear() {
    let (small, small_cpu) = json_and_cpu_time(&["count", "-n", "20000", "--delay", "0s"]);
    let (large, large_cpu) = json_and_cpu_time(&["count", "-n", "200000", "--delay", "0s"]);
    assert_eq!(small["completed"], 20_000);
    assert_eq!(large["completed"], 200_000);
    let ratio = large_cpu.as_secs_f64() / small_cpu.as_secs_f64();
    assert!(
        ratio < 30.0,
        "200k tasks used {large_cpu:?} of CPU, 20k {small_cpu:?} ({ratio:.1}×): \
         has the coop-budget trap returned?"
    );
}

/// The summary's elapsed covers what the user waits for: building the tasks,
/// running them and ending. At ten million tasks it is at least 90% of the
/// whole process, timed from outside. Heavy (1.6 GB, a few seconds in a
/// release build), so ignored by default:
/// `cargo test --release -- --ignored elapsed_covers`. Before the clock
/// covered building the tasks, it missed about 1.8 s at this size.
#[test]
#[ignore]
fn the_elapsed_covers_the_whole_ten_million_task_run() {
    let start = Instant::now();
    let output = asyncdemo(&["count", "-n", "10000000", "-q", "-f", "json"])
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let wall = start.elapsed().as_secs_f64();
    assert!(output.status.success());
    let summary: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let reported = elapsed(&summary);
    assert!(reported <= wall, "reported {reported} s, process {wall} s");
    assert!(
        reported >= 0.9 * wall,
        "reported {reported} s, but the process took {wall} s"
    );
}
