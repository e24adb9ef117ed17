//! `--work spin` and `--mode block-in-place`: CPU-bound waits, seen from
//! outside.
//!
//! A spin is CPU work, which no paused clock can fake, so these runs are
//! real and short. Elapsed times are checked as lower bounds (N loops of
//! CPU time on one thread cannot take less than N × delay) or against
//! another run of the same test, never against a fixed figure.

use crate::common::*;
use serde_json::Value;

/// The NDJSON event lines of `asyncdemo ARGS -f ndjson`, as (task, text).
fn lines(args: &[&str]) -> Vec<(u64, String)> {
    let mut args = args.to_vec();
    args.extend(["-f", "ndjson"]);
    stdout_of(&args)
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|event| event["type"] == "event")
        .map(|event| {
            (
                event["task"].as_u64().unwrap(),
                event["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// (task, text) in the order One Two One Two ...: each task ends before
/// the next one starts.
fn one_after_another(n: u64) -> Vec<(u64, String)> {
    (1..=n)
        .flat_map(|id| [(id, "One".to_owned()), (id, "Two".to_owned())])
        .collect()
}

/// (task, text) in the order One One One ... Two Two Two: every task
/// starts before any ends. (Which task ends first is not fixed.)
fn texts(lines: &[(u64, String)]) -> Vec<&str> {
    lines.iter().map(|(_, text)| text.as_str()).collect()
}

#[test]
fn a_blocking_spin_holds_the_thread_one_task_after_another() {
    let got = lines(&[
        "count",
        "-n",
        "3",
        "-d",
        "30ms",
        "--work",
        "spin",
        "--blocking",
    ]);
    assert_eq!(got, one_after_another(3));
}

/// The lesson: yielding loops all start at once and take turns ...
#[test]
fn async_spins_take_turns_so_every_task_starts_at_once() {
    let got = lines(&["count", "-n", "3", "-d", "30ms", "--work", "spin"]);
    assert_eq!(texts(&got), ["One", "One", "One", "Two", "Two", "Two"]);
    let starters: Vec<u64> = got[..3].iter().map(|(id, _)| *id).collect();
    assert_eq!(starters, [1, 2, 3]);
}

/// ... yet on one thread they take N × delay all the same, as the blocking
/// loops do: yielding makes CPU work fair, not faster.
#[test]
fn one_thread_spins_n_times_the_delay_whether_it_yields_or_not() {
    for mode in ["async", "blocking"] {
        let s = json_summary(&[
            "count", "-n", "3", "-d", "40ms", "--work", "spin", "-m", mode,
        ]);
        assert_eq!(s["work"], "spin");
        assert_eq!(s["completed"], 3);
        assert!(elapsed(&s) >= 3.0 * 0.040, "{mode}: {s}");
    }
}

/// The blocking pool runs the loops on threads of its own, so it is no
/// slower than giving each loop an OS thread; if it ran the loops one after
/// another, it would take N times as long as the threads on a machine with
/// N cores free. Compared with a run of the same test, not a fixed time,
/// since a loaded machine slows both alike.
#[test]
fn the_blocking_pool_spins_as_many_at_once_as_os_threads_do() {
    let args = ["count", "-n", "2", "-d", "150ms", "--work", "spin", "-m"];
    let run = |mode: &str| {
        let mut args = args.to_vec();
        args.push(mode);
        json_summary(&args)
    };
    // Busy loops compete for the CPU with whatever else the machine runs
    // (the other tests, in a suite), and that can slow one run of a pair
    // more than the other: up to three pairs, and one must show it.
    let mut pairs = Vec::new();
    for _ in 0..3 {
        let threads = run("threads");
        let pool = run("spawn-blocking");
        assert_eq!(
            (threads["completed"].clone(), pool["completed"].clone()),
            (2.into(), 2.into())
        );
        // Every task still spun its whole delay.
        assert!(elapsed(&pool) >= 0.150 && elapsed(&threads) >= 0.150);
        // Timing-free: both loops were in flight at once, in both runs.
        assert_eq!(
            (
                threads["peak_overlap"].clone(),
                pool["peak_overlap"].clone()
            ),
            (2.into(), 2.into())
        );
        let fair = elapsed(&pool) < 1.5 * elapsed(&threads);
        pairs.push((elapsed(&pool), elapsed(&threads)));
        if fair {
            break;
        }
    }
    let (pool, threads) = pairs[pairs.len() - 1];
    assert!(
        pool < 1.5 * threads,
        "pool against threads, in seconds: {pairs:?}"
    );
    // The tasks hand their loops over at once: all start before any ends.
    let got = lines(&[
        "count",
        "-n",
        "3",
        "-d",
        "30ms",
        "--work",
        "spin",
        "-m",
        "spawn-blocking",
    ]);
    assert_eq!(texts(&got)[..3], ["One", "One", "One"]);
}

#[test]
fn block_in_place_is_refused_on_a_current_thread_runtime() {
    for args in [
        &["count", "-m", "block-in-place"][..],
        &["hello", "-m", "block-in-place", "--work", "spin"],
        &[
            "count",
            "-m",
            "block-in-place",
            "--runtime",
            "current-thread",
        ],
    ] {
        let output = asyncdemo(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert!(
            stderr.contains("--mode block-in-place needs a multi-thread runtime"),
            "{stderr}"
        );
        assert!(output.stdout.is_empty());
    }
}

/// block_in_place moves a worker's *other tasks* away; joined coroutines
/// are one task, on the thread that blocks, so they still wait in turn.
/// Spawned, each task blocks only itself and every task starts at once.
#[test]
fn block_in_place_frees_spawned_tasks_but_not_joined_ones() {
    for work in ["sleep", "spin"] {
        let joined = lines(&[
            "count",
            "-n",
            "3",
            "-d",
            "30ms",
            "--work",
            work,
            "-m",
            "block-in-place",
            "--workers",
            "2",
        ]);
        assert_eq!(joined, one_after_another(3), "{work}");
        let spawned = lines(&[
            "count",
            "-n",
            "3",
            "-d",
            "200ms",
            "--work",
            work,
            "-m",
            "block-in-place",
            "--workers",
            "2",
            "--spawn",
        ]);
        assert_eq!(texts(&spawned)[..3], ["One", "One", "One"], "{work}");
    }
}

#[test]
fn the_timeline_shows_a_spin_as_running_code() {
    let out = stdout_of(&[
        "count",
        "-n",
        "2",
        "-d",
        "30ms",
        "--work",
        "spin",
        "--blocking",
        "--timeline",
    ]);
    assert!(
        out.contains("% spinning on the CPU: its own code (with yield_now, in turns)"),
        "{out}"
    );
    assert!(!out.contains("blocked in std::thread::sleep"), "{out}");
    // The runtime thread never parked while the loops ran.
    assert!(out.contains("runtime thread running code"), "{out}");
}

#[test]
fn the_svg_colours_a_spin_of_its_own() {
    let out = stdout_of(&[
        "count", "-n", "2", "-d", "30ms", "--work", "spin", "-q", "--svg", "-",
    ]);
    assert!(out.contains("class=\"spinning\""), "{out}");
    assert!(!out.contains("class=\"blocked\""), "{out}");
    assert!(out.contains("--work spin"), "the title names the work");
}

#[test]
fn spin_is_refused_where_the_wait_is_not_a_sleep() {
    let mut cases = vec![
        &["fetch", "--work", "spin"][..],
        &["compare", "lock", "--work", "spin"],
        &["lock", "--work", "spin"],
    ];
    // Without HTTP, compare fetch is refused first for that.
    if cfg!(feature = "http") {
        cases.push(&["compare", "fetch", "--work", "spin"]);
    }
    for args in cases {
        let output = asyncdemo(args).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8(output.stderr).unwrap().contains("--work"),
            "{args:?}"
        );
    }
}

/// compare --work spin: every way once, block-in-place joined and spawned
/// included, each row a valid summary of a spinning run.
#[test]
fn compare_spins_every_way_with_block_in_place_joined_and_spawned() {
    let out = stdout_of(&[
        "compare", "count", "-n", "2", "-d", "20ms", "--work", "spin", "-f", "json",
    ]);
    let rows: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert!(
        rows.iter()
            .all(|r| r["work"] == "spin" && r["completed"] == 2)
    );
    let in_place: Vec<bool> = rows
        .iter()
        .filter(|r| r["mode"] == "block-in-place")
        .map(|r| r["spawn"].as_bool().unwrap())
        .collect();
    assert_eq!(in_place, [false, true]);
    // The one-thread ways took at least N × delay of CPU each.
    for row in rows
        .iter()
        .filter(|r| r["runtime"] == "current-thread" && r["mode"] != "spawn-blocking")
    {
        assert!(elapsed(row) >= 2.0 * 0.020, "{row}");
    }
    let text = stdout_of(&[
        "compare", "count", "-n", "2", "-d", "20ms", "--work", "spin",
    ]);
    assert!(text.contains("fair, not faster"), "{text}");
}

/// compare --work spin: each verdict tells the loops in flight (each with
/// a thread) from the CPUs they kept busy. The CPU figure is the row's own
/// speedup (the CPU work done ÷ the time it took), never more CPUs than the
/// process may use; and where every loop was in flight, the words say what
/// ran them, not "as many at once as there are cores".
#[test]
fn spin_verdicts_tell_the_loops_in_flight_from_the_cpus_they_used() {
    let text = stdout_of(&[
        "compare", "count", "-n", "3", "-d", "30ms", "--work", "spin",
    ]);
    let cpus = std::thread::available_parallelism().unwrap().get() as f64;
    let mut all_in_flight = Vec::new();
    for row in text.lines().skip(1) {
        let (figures, verdict) = row
            .split_once("×  ")
            .unwrap_or_else(|| panic!("no speedup: {row}"));
        let speedup: f64 = figures.split_whitespace().last().unwrap().parse().unwrap();
        assert!(
            !verdict.contains("as many at once as there are cores"),
            "{row}"
        );
        let Some((flight, rest)) = verdict.split_once(" in flight, on ") else {
            assert!(verdict.starts_with("one after another: "), "{row}");
            continue;
        };
        let used: f64 = rest.split_whitespace().next().unwrap().parse().unwrap();
        assert_eq!(format!("{used:.1}"), format!("{speedup:.1}"), "{row}");
        assert!(used <= cpus + 0.05, "{used} CPUs of {cpus}: {row}");
        if flight == "all 3" {
            all_in_flight.push(rest.split_once(": ").unwrap().1.to_owned());
        }
    }
    // async (on one thread), threads, spawn-blocking and block-in-place
    // spawned have every loop in flight; only the one thread says no more.
    assert!(all_in_flight.len() >= 3, "{text}");
    for why in &all_in_flight {
        assert!(
            why.contains("the loops share the CPUs, each on ")
                || why.contains("take turns on the one thread"),
            "{why}"
        );
    }
}

/// A sleeping run's summary has no `work` field: scripts written for it
/// see the same object as before.
#[test]
fn a_sleeping_run_reads_as_before() {
    let s = json_summary(&["count", "-n", "1", "-d", "0"]);
    assert!(s.get("work").is_none() && s.get("lock").is_none(), "{s}");
}
