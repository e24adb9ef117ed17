//! `--live`'s thread lanes on a real terminal (a tmux pane): one per thread
//! the run saw polling, holding or running a task, named by the role it
//! was seen in, as the pictures name them. Each expectation comes from the
//! same run's trace (`--trace`, written beside the view), never from the
//! screen under test. Each test skips, saying so, where tmux is missing.

use crate::common::most_at_once;
use crate::pane::Pane;
use std::collections::BTreeSet;

/// Runs `args --live --trace FILE` in a 100x30 pane until it exits: the
/// last frame (the screen, which keeps it) and the trace's events.
fn watched(args: &str) -> Option<(Vec<String>, Vec<serde_json::Value>)> {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("run.trace.json");
    let pane = Pane::run(&format!("{args} --live --trace {}", trace.display()))?;
    let end = pane.wait_for("exit code", |row| row.starts_with("rc="));
    assert!(end.iter().any(|r| r == "rc=0"), "{}", end.join("\n"));
    let trace: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    let events = match trace {
        serde_json::Value::Array(events) => events,
        other => other["traceEvents"].as_array().unwrap().clone(),
    };
    Some((end, events))
}

/// The view's thread lanes, as (label, glyphs): the rows between the last
/// task's lane and the counts line.
fn thread_rows(screen: &[String]) -> Vec<(String, String)> {
    let first = screen
        .iter()
        .rposition(|r| r.starts_with("task "))
        .expect("task lanes")
        + 1;
    screen[first..]
        .iter()
        .take_while(|r| !r.contains(" done"))
        .filter(|r| !r.is_empty() && !r.starts_with('…'))
        .map(|r| {
            // 16 columns of label, a space, then the glyphs.
            let label: String = r.chars().take(16).collect();
            let glyphs: String = r.chars().skip(17).collect();
            (label.trim_end().to_owned(), glyphs)
        })
        .collect()
}

/// The trace's state slices named `name` (task, start and length in µs).
fn slices<'a>(
    events: &'a [serde_json::Value],
    name: &'a str,
) -> impl Iterator<Item = (u64, f64, f64)> + 'a {
    events
        .iter()
        .filter(move |e| e["ph"] == "X" && e["name"] == name)
        .map(|e| {
            (
                e["tid"].as_u64().unwrap(),
                e["ts"].as_f64().unwrap(),
                e["dur"].as_f64().unwrap(),
            )
        })
}

/// The OS threads (the trace's `thread` argument) of the slices whose name
/// begins with `prefix`: with `blocked`, those a blocking call held.
fn threads_of(events: &[serde_json::Value], prefix: &str) -> BTreeSet<u64> {
    events
        .iter()
        .filter(|e| e["ph"] == "B" && e["name"].as_str().is_some_and(|n| n.starts_with(prefix)))
        .filter_map(|e| e["args"]["thread"].as_u64())
        .collect()
}

/// A pool of two for four calls: as many pool-thread lanes as calls the
/// trace shows in the pool at once, each held by its calls, beside the
/// `block_on` thread; and each task drawn queued (`,`) for as long as the
/// trace says its call waited for a pool thread.
#[test]
fn a_pool_of_two_gets_two_pool_thread_lanes_and_the_queue_is_drawn() {
    let Some((screen, events)) =
        watched("count -n 4 -d 300ms -m spawn-blocking --blocking-threads 2")
    else {
        return;
    };
    let text = screen.join("\n");
    let most = most_at_once(&events, "in the pool");
    let rows = thread_rows(&screen);
    let pool: Vec<&(String, String)> = rows
        .iter()
        .filter(|(l, _)| l.starts_with("pool thread "))
        .collect();
    assert_eq!(pool.len() as i32, most, "{text}");
    for (label, glyphs) in &pool {
        assert!(glyphs.contains('H'), "{label} is never held: {text}");
    }
    assert_eq!(rows[0].0, "block_on thread", "{text}");
    assert_eq!(rows.len(), 1 + pool.len(), "{text}");
    // The tasks the trace shows queued for a good part of the run (more
    // than a tenth of a second): as many as the pool could not take.
    let queued_for = |task: u64| -> f64 {
        slices(&events, "queued")
            .filter(|(t, _, _)| *t == task)
            .map(|(_, _, dur)| dur)
            .sum()
    };
    let long = (1..=4).filter(|&t| queued_for(t) > 100_000.0).count();
    assert_eq!(long as i32, 4 - most, "{events:?}");
    // Each task's lane is queued (`,`) for as many columns as the trace's
    // queue lasted: the axis (its title says it, to a tenth of a second)
    // over the 83 columns of plot, give or take the rounding.
    let axis: f64 = screen
        .iter()
        .find_map(|r| r.split("(axis ").nth(1)?.split(' ').next()?.parse().ok())
        .expect("the title's axis");
    let column = axis * 1e6 / 83.0;
    for task in 1..=4u64 {
        let lane = screen
            .iter()
            .find(|r| r.starts_with(&format!("task {task} ")))
            .unwrap();
        let commas = lane.chars().skip(17).filter(|&c| c == ',').count() as f64;
        let expected = queued_for(task) / column;
        assert!(
            (commas - expected).abs() <= 2.0 + expected * 0.1,
            "task {task}: {commas} columns queued, the trace says {expected:.1}\n{text}"
        );
    }
}

/// Three spawned tasks block in `block_in_place` on two workers: as many
/// lanes are held as the trace shows threads held; the other lanes are
/// workers or threads that took a worker's core over, and no worker that
/// did nothing has a lane (there is no `worker 3` or `worker 4` at all).
#[test]
fn block_in_place_draws_the_held_threads_and_the_threads_that_took_their_cores() {
    let Some((screen, events)) =
        watched("count -n 3 -d 200ms -m block-in-place --workers 2 --spawn")
    else {
        return;
    };
    let text = screen.join("\n");
    let held = threads_of(&events, "blocked");
    assert_eq!(held.len(), 3, "{events:?}");
    let rows = thread_rows(&screen);
    let held_rows = rows.iter().filter(|(_, g)| g.contains('H')).count();
    assert_eq!(held_rows, held.len(), "{text}");
    assert!(
        rows.iter().any(|(l, _)| l.starts_with("took ")),
        "no thread took a core: {text}"
    );
    for (label, glyphs) in &rows {
        let role = label == "worker 1" || label == "worker 2" || label.starts_with("took ");
        assert!(role, "{label:?} is no role of this run:\n{text}");
        // A worker that did nothing has no lane: it is counted below.
        if label.starts_with("worker") {
            assert!(glyphs.contains(['x', 'H']), "{label} idle:\n{text}");
        }
    }
    // Each of the two workers has a lane or is counted parked all along.
    let lanes = rows.iter().filter(|(l, _)| l.starts_with("worker")).count();
    let idle = screen
        .iter()
        .find_map(|r| {
            r.strip_prefix("… ")?
                .split(' ')
                .next()?
                .parse::<usize>()
                .ok()
        })
        .unwrap_or(0);
    assert_eq!(lanes + idle, 2, "{text}");
}

/// A current-thread run: every line printed on one thread (the trace says
/// so), and one lane, the `block_on` thread's.
#[test]
fn a_current_thread_run_draws_one_block_on_lane() {
    let Some((screen, events)) = watched("count -n 3 -d 200ms") else {
        return;
    };
    // The threads that printed the tasks' lines.
    let printed: BTreeSet<u64> = events
        .iter()
        .filter(|e| e["ph"] == "i")
        .filter_map(|e| e["args"]["thread"].as_u64())
        .collect();
    assert_eq!(printed.len(), 1, "{events:?}");
    let rows = thread_rows(&screen);
    let labels: Vec<&str> = rows.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["block_on thread"], "{}", screen.join("\n"));
}
