//! Limits of the machine and every way a run can end: past a limit, Ctrl-C
//! at the very end, a closed pipe while the tasks wait, a slow reader, and
//! help or version into a full disk. docs/limits.md tells what happens at
//! each; the heavy cases are `#[ignore]`d here (`cargo test -- --ignored`).

use crate::common::*;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `sh -c 'ulimit -v KIB; exec asyncdemo ARGS'`: the binary under an
/// address-space limit, as a user would set it. A run that outlives a
/// minute is killed and fails the test: that catches a hang.
fn under_ulimit_v(kib: u32, args: &[&str]) -> std::process::Output {
    let script = format!("ulimit -v {kib} && exec \"$0\" \"$@\"",);
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_asyncdemo"))
        .args(args);
    let output = assert_cmd::Command::from_std(command)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    assert!(output.status.code().is_some(), "{args:?}: {output:?}");
    output
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

/// "Up front" is shown without a clock: the tasks would wait an hour, so a
/// run that got as far as them would not end (`under_ulimit_v` fails a run
/// that outlives a minute), and it would have printed their first lines.
#[cfg(target_os = "linux")]
#[test]
fn a_worker_thread_the_address_space_cannot_hold_is_refused_up_front() {
    let output = under_ulimit_v(
        300_000,
        &["count", "--workers", "1024", "-n", "10", "-d", "1h"],
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
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
    // Refused up front: a run that started its tasks would wait an hour
    // (the time limit fails it) and would have printed their first lines.
    let output = asyncdemo(&[
        "count",
        "-m",
        "spawn-blocking",
        "--blocking-threads",
        &threads,
        "-n",
        &threads,
        "-d",
        "1h",
    ])
    .timeout(Duration::from_secs(60))
    .output()
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
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

/// How many bytes wait in a pipe, and how many it can hold (Linux).
#[cfg(target_os = "linux")]
fn pipe_fill(pipe: &impl std::os::fd::AsRawFd) -> (usize, usize) {
    let fd = pipe.as_raw_fd();
    let mut queued: libc::c_int = 0;
    // SAFETY: FIONREAD writes one int through the pointer, and F_GETPIPE_SZ
    // only reads; the descriptor is this test's own open pipe.
    let (read, size) = unsafe {
        (
            libc::ioctl(fd, libc::FIONREAD, &mut queued),
            libc::fcntl(fd, libc::F_GETPIPE_SZ),
        )
    };
    assert!(read == 0 && size > 0, "{}", std::io::Error::last_os_error());
    (queued as usize, size as usize)
}

/// Ctrl-C while a reader that does not read holds stdout full: the process
/// ends, and what reached the pipe is whole lines.
#[cfg(target_os = "linux")]
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
        // pipe fills and the writer blocks in the middle of a flush. The
        // signal goes once the pipe holds all but a page (a page is the
        // most a writer can find free and still not be stuck).
        let mut start = [0u8; 100];
        stdout.read_exact(&mut start).unwrap();
        wait_until("a full pipe", || {
            let (queued, size) = pipe_fill(&stdout);
            queued + 4096 >= size
        });
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

/// When a run near its end gets its SIGINT.
#[derive(Clone, Copy)]
enum Moment {
    /// This long after every task has printed its first line and begun to
    /// wait: an aim near the end, which may land before or after it.
    AfterTheStarts(Duration),
    /// Once the summary line has been read: after the end, always.
    AfterTheSummary,
}

/// Runs `args` (NDJSON, `tasks` tasks) and sends SIGINT at `moment`, read
/// from the run's own lines rather than guessed from a clock.
fn interrupt_near_the_end(args: &[&str], tasks: usize, moment: Moment) -> Ending {
    let mut child = binary()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut text = String::new();
    let mut started = 0;
    loop {
        let mut line = String::new();
        if std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() == 0 {
            break;
        }
        text.push_str(&line);
        let line: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
        match moment {
            Moment::AfterTheStarts(aim) if line["text"] == "One" => {
                started += 1;
                if started == tasks {
                    std::thread::sleep(aim);
                    break;
                }
            }
            Moment::AfterTheSummary if line["type"] == "summary" => break,
            _ => {}
        }
    }
    // The process may have ended already: then `kill` fails, harmlessly.
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .stderr(Stdio::null())
        .status();
    let status = wait_with_limit(&mut child, Duration::from_secs(10));
    stdout.read_to_string(&mut text).unwrap();
    Ending {
        code: status.code(),
        stdout: text,
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

/// `rounds` runs of 50 tasks waiting `delay_ms`, on one thread and on two
/// workers, each sent SIGINT from 50 ms before the tasks' wait ends to 50 ms
/// after. Where each lands is chance, and each must end with one summary and
/// its exit code. The two certain moments are checked too, so that both
/// endings are always seen whatever chance does: SIGINT during a wait of
/// 500 years (interrupted), and after the summary (finished).
fn stress_the_end(rounds: u32, delay_ms: u64) {
    fn args<'a>(delay: &'a str, way: &[&'a str]) -> Vec<&'a str> {
        let mut args = vec!["count", "-n", "50", "-d", delay, "-f", "ndjson"];
        args.extend_from_slice(way);
        args
    }
    let delay = format!("{delay_ms}ms");
    let ways: [&[&str]; 2] = [&[], &["--workers", "2", "--spawn"]];
    for way in ways {
        let starts = Moment::AfterTheStarts(Duration::ZERO);
        let ending = interrupt_near_the_end(&args("500years", way), 50, starts);
        assert!(assert_one_summary(&ending), "{}", ending.stdout);
        let ending = interrupt_near_the_end(&args(&delay, way), 50, Moment::AfterTheSummary);
        assert!(!assert_one_summary(&ending), "{}", ending.stdout);
    }
    let mut seen = [0, 0];
    for round in 0..rounds {
        let offset = u64::from(round * 37 % 100);
        let aim =
            Duration::from_millis(delay_ms + offset).saturating_sub(Duration::from_millis(50));
        let way = ways[round as usize % 2];
        let ending = interrupt_near_the_end(&args(&delay, way), 50, Moment::AfterTheStarts(aim));
        seen[usize::from(assert_one_summary(&ending))] += 1;
    }
    // How the aimed rounds fell, for whoever reads `--nocapture`: chance,
    // so not asserted.
    eprintln!(
        "aimed rounds: {} finished, {} interrupted",
        seen[0], seen[1]
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
/// every line the summary counts. "Prompt" is measured against a twin: the
/// run stopped once all its tasks wait must end sooner than the same million
/// tasks, with the same trace, take to run from start to finish at zero delay.
/// Without the signal it would wait 500 years.
#[cfg(unix)]
#[test]
#[ignore = "heavy: a million tasks; cargo test --release -- --ignored"]
fn ctrl_c_with_a_trace_of_a_million_tasks_is_prompt_and_the_trace_whole() {
    const TASKS: usize = 1_000_000;
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("stopped.json");
    let tasks = TASKS.to_string();
    let mut child = binary()
        .args(["count", "-n", &tasks, "-d", "500years", "-f", "ndjson"])
        .arg("--trace")
        .arg(&trace)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Every task has printed its first line: all of them are waiting.
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut started = 0;
    let mut line = String::new();
    while started < TASKS {
        line.clear();
        assert!(std::io::BufRead::read_line(&mut stdout, &mut line).unwrap() > 0);
        started += usize::from(line.contains(r#""text":"One""#));
    }
    send_signal(&child, "INT");
    let sent = Instant::now();
    let status = wait_with_limit(&mut child, Duration::from_secs(120));
    let stopping = sent.elapsed();
    assert_eq!(status.code(), Some(130));
    let rest = rest(stdout);
    let summary: serde_json::Value = serde_json::from_str(rest.lines().last().unwrap()).unwrap();
    assert_eq!(summary["interrupted"], true, "{summary}");
    let file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    let events = file["traceEvents"].as_array().unwrap();
    let begins = events.iter().filter(|e| e["ph"] == "B").count();
    let ends = events.iter().filter(|e| e["ph"] == "E").count() as u64;
    assert_eq!(ends, summary["completed"].as_u64().unwrap());
    assert!(begins >= TASKS, "{begins} waits begun in the trace");

    // The twin: the same tasks and trace, run to the end at zero delay.
    let start = Instant::now();
    let status = binary()
        .args(["count", "-n", &tasks, "-d", "0", "-f", "ndjson"])
        .arg("--trace")
        .arg(dir.path().join("whole.json"))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    let whole = start.elapsed();
    assert!(status.success());
    assert!(
        stopping < whole,
        "ending after SIGINT took {stopping:?}, a whole zero-delay run {whole:?}"
    );
    eprintln!("ended {stopping:?} after SIGINT; a whole zero-delay run took {whole:?}");
}
