//! Limits of the machine and every way a run can end: past a limit, Ctrl-C
//! at the very end, a closed pipe while the tasks wait, a slow reader, and
//! help or version into a full disk. docs/limits.md tells what happens at
//! each; the heavy cases are `#[ignore]`d here (`cargo test -- --ignored`).

use crate::common::*;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `sh -c 'ulimit -v KIB; exec asyncdemo ARGS'`: the binary under an
/// address-space limit, as a user would set it.
fn under_ulimit_v(kib: u32, args: &[&str]) -> std::process::Output {
    let script = format!("ulimit -v {kib} && exec \"$0\" \"$@\"",);
    Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_asyncdemo"))
        .args(args)
        .output()
        .unwrap()
}

/// One line on stderr, exit 1, and the line names the limit.
fn assert_limit_error(output: &std::process::Output, names: &str) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains(names), "{stderr}");
    stderr
}

#[cfg(target_os = "linux")]
#[test]
fn a_worker_thread_the_address_space_cannot_hold_is_refused_up_front() {
    let start = Instant::now();
    let output = under_ulimit_v(300_000, &["count", "--workers", "1024", "-n", "10"]);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    let stderr = assert_limit_error(&output, "ulimit -v");
    assert!(stderr.contains("--workers"), "{stderr}");
}

#[cfg(target_os = "linux")]
#[test]
fn more_tasks_than_the_address_space_holds_are_refused_with_a_smaller_n() {
    for args in [
        &["count", "-n", "10000000", "-q"][..],
        &["count", "-n", "3000000", "-q", "--spawn", "--timeline"],
        &["count", "-n", "20000", "-q", "-m", "threads"],
        &["fetch", "-n", "20000", "-q"],
        &["fetch", "-n", "1000", "-q", "-m", "threads"],
    ]
    .into_iter()
    // `fetch` needs the HTTP feature (the default).
    .filter(|args| cfg!(feature = "http") || args[0] != "fetch")
    {
        let output = under_ulimit_v(300_000, args);
        let stderr = assert_limit_error(&output, "address space (ulimit -v)");
        // The suggestion is smaller than what was asked.
        let suggested: u64 = stderr
            .split("try -n ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no smaller -n in {stderr}"));
        let asked: u64 = args[2].parse().unwrap();
        assert!(suggested < asked, "{stderr}");
    }
}

/// A run the check lets through under the limit does not abort either: the
/// figures per task are not too small.
#[cfg(target_os = "linux")]
#[test]
fn a_run_that_passes_the_check_under_ulimit_v_completes() {
    for args in [
        &["count", "-n", "200000", "-d", "10ms", "-q", "--timeline"][..],
        &[
            "count",
            "-n",
            "100000",
            "-d",
            "10ms",
            "-q",
            "--workers",
            "2",
            "--spawn",
        ],
        &["count", "-n", "500", "-d", "10ms", "-q", "-m", "threads"],
        &["fetch", "-n", "500", "-d", "10ms", "-q"],
        &["fetch", "-n", "50", "-d", "10ms", "-q", "-m", "threads"],
        &[
            "count",
            "-n",
            "300",
            "-d",
            "10ms",
            "-q",
            "-m",
            "spawn-blocking",
            "--blocking-threads",
            "50",
        ],
    ]
    .into_iter()
    // `fetch` needs the HTTP feature (the default).
    .filter(|args| cfg!(feature = "http") || args[0] != "fetch")
    {
        let output = under_ulimit_v(400_000, args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_blocking_pool_past_the_kernels_mapping_limit_is_refused() {
    let max: u64 = std::fs::read_to_string("/proc/sys/vm/max_map_count")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    // More threads than mappings allow, at 4 mappings per thread.
    let threads = (max / 4 + 1).to_string();
    let start = Instant::now();
    let output = asyncdemo(&[
        "count",
        "-m",
        "spawn-blocking",
        "--blocking-threads",
        &threads,
        "-n",
        &threads,
        "-d",
        "3s",
    ])
    .output()
    .unwrap();
    assert!(start.elapsed() < Duration::from_secs(2), "refused up front");
    let stderr = assert_limit_error(&output, "vm.max_map_count");
    assert!(stderr.contains("--blocking-threads"), "{stderr}");
}

#[cfg(target_os = "linux")]
#[test]
fn help_and_version_into_a_full_disk_are_errors() {
    for args in [&["--help"][..], &["--version"], &["count", "--help"]] {
        let full = std::fs::File::create("/dev/full").unwrap();
        let output = binary().args(args).stdout(full).output().unwrap();
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("error: writing output: No space left on device"),
            "{stderr}"
        );
    }
}

/// `asyncdemo count -n 3 --delay 1h | head -1`: the reader leaves during the
/// wait, and the program ends at once, quietly, in every mode.
#[cfg(unix)]
#[test]
fn a_reader_that_leaves_during_the_wait_ends_the_run_at_once() {
    for mode in ["async", "blocking", "threads", "spawn-blocking"] {
        let (mut child, stdout, first) =
            spawn_until_first_line(&["count", "-n", "3", "--delay", "1h", "-m", mode]);
        assert!(first.ends_with('\n'));
        drop(stdout);
        // Without the watcher this waits out the hour.
        let status = wait_with_limit(&mut child, Duration::from_secs(10));
        let stderr = rest(child.stderr.take().unwrap());
        assert_eq!(status.code(), Some(0), "{mode}: {stderr}");
        assert_eq!(stderr, "", "{mode}");
    }
}

/// Ctrl-C while a reader that does not read holds stdout full: the process
/// ends, and what reached the pipe is whole lines.
#[cfg(unix)]
#[test]
fn a_run_stopped_while_the_reader_is_slow_ends_between_lines() {
    for _ in 0..3 {
        let mut child = binary()
            .args(["count", "-n", "1000000", "-d", "0", "-f", "ndjson"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = child.stdout.take().unwrap();
        // Read a little, so the run has started, then stop reading: the
        // pipe fills and the writer blocks in the middle of a flush.
        let mut start = [0u8; 100];
        stdout.read_exact(&mut start).unwrap();
        std::thread::sleep(Duration::from_millis(300));
        send_signal(&child, "INT");
        let status = wait_with_limit(&mut child, Duration::from_secs(10));
        assert_eq!(status.code(), Some(130));
        let mut text = String::from_utf8(start.to_vec()).unwrap();
        stdout.read_to_string(&mut text).unwrap();
        assert!(
            text.ends_with('\n'),
            "cut mid-line: {:?}",
            &text[text.len().saturating_sub(80)..]
        );
        for line in text.lines() {
            serde_json::from_str::<serde_json::Value>(line)
                .unwrap_or_else(|e| panic!("{e}: {line:?}"));
        }
    }
}

/// What one run printed when a SIGINT landed near its end.
struct Ending {
    code: Option<i32>,
    stdout: String,
}

/// Runs `args` (NDJSON) and sends SIGINT `at` after its first line, which
/// shows the run (and its signal handler) has started.
fn interrupt_near_the_end(args: &[&str], at: Duration) -> Ending {
    let (mut child, mut stdout, first) = spawn_until_first_line(args);
    let reader = std::thread::spawn(move || {
        let mut text = first;
        stdout.read_to_string(&mut text).unwrap();
        text
    });
    std::thread::sleep(at);
    // The process may have ended already: then `kill` fails, harmlessly.
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
    let status = wait_with_limit(&mut child, Duration::from_secs(10));
    Ending {
        code: status.code(),
        stdout: reader.join().unwrap(),
    }
}

/// Exactly one summary, last, valid, and the exit code it implies.
fn assert_one_summary(ending: &Ending) -> bool {
    let lines: Vec<serde_json::Value> = ending
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l:?}")))
        .collect();
    let summaries = lines.iter().filter(|l| l["type"] == "summary").count();
    assert_eq!(summaries, 1, "{}", ending.stdout);
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary", "an event follows the summary");
    let interrupted = summary["interrupted"] == true;
    assert_eq!(
        ending.code,
        Some(if interrupted { 130 } else { 0 }),
        "{summary}"
    );
    interrupted
}

/// `rounds` runs of 50 tasks waiting `delay_ms`, each sent SIGINT from 50 ms
/// before its end to 50 ms after, on one thread and on two workers.
fn stress_the_end(rounds: u32, delay_ms: u64) {
    let delay = format!("{delay_ms}ms");
    let ways: [&[&str]; 2] = [&[], &["--workers", "2", "--spawn"]];
    let mut seen = [0, 0];
    for round in 0..rounds {
        let mut args = vec!["count", "-n", "50", "-d", &delay, "-f", "ndjson"];
        args.extend(ways[round as usize % 2]);
        let offset = u64::from(round * 37 % 100);
        let at = Duration::from_millis(delay_ms + offset).saturating_sub(Duration::from_millis(50));
        let interrupted = assert_one_summary(&interrupt_near_the_end(&args, at));
        seen[usize::from(interrupted)] += 1;
    }
    // Both endings happened, or the test did not aim at the end.
    assert!(
        seen[0] > 0 && seen[1] > 0,
        "finished / interrupted: {seen:?}"
    );
}

/// Ctrl-C within ±50 ms of the end of a short run: exactly one summary, valid
/// JSON, the exit code that summary implies.
#[cfg(unix)]
#[test]
fn ctrl_c_at_the_very_end_gives_one_summary_and_its_exit_code() {
    stress_the_end(40, 20);
}

#[cfg(unix)]
#[test]
#[ignore = "heavy: 1000 runs; cargo test -- --ignored"]
fn ctrl_c_at_the_very_end_many_times() {
    stress_the_end(1000, 20);
}

/// Ctrl-C with --trace at a million tasks: prompt, with a whole trace holding
/// every line the summary counts.
#[cfg(unix)]
#[test]
#[ignore = "heavy: a million tasks; cargo test --release -- --ignored"]
fn ctrl_c_with_a_trace_of_a_million_tasks_is_prompt_and_the_trace_whole() {
    let trace = std::env::temp_dir().join(format!("asyncdemo-big-{}.json", std::process::id()));
    let mut child = binary()
        .args([
            "count", "-n", "1000000", "-d", "2s", "-f", "json", "--trace",
        ])
        .arg(&trace)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    send_signal(&child, "INT");
    let sent = Instant::now();
    let status = wait_with_limit(&mut child, Duration::from_secs(10));
    let took = sent.elapsed();
    assert_eq!(status.code(), Some(130));
    let summary: serde_json::Value =
        serde_json::from_str(&rest(child.stdout.take().unwrap())).unwrap();
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    let _ = std::fs::remove_file(&trace);
    let events = file["traceEvents"].as_array().unwrap();
    let ends = events.iter().filter(|e| e["ph"] == "E").count() as u64;
    assert_eq!(ends, summary["completed"].as_u64().unwrap());
    eprintln!("ended {took:?} after SIGINT");
}
