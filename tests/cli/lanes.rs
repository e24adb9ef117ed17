//! The thread lanes of `--timeline` and `--svg`: one per thread that
//! polled, held or ran a task, labelled by the role it was seen in, and
//! ending where its run ended. Each expectation comes from the same run's
//! own trace or JSON, never from the picture under test.

use crate::common::*;
use std::collections::BTreeSet;

/// A path named `name` in a fresh directory, gone when the guard drops.
fn temp(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    (dir, path)
}

/// Runs `args` with `--timeline -q`, a trace and an SVG written beside:
/// the timeline's thread rows (label, glyphs), the trace's events and the
/// SVG's text.
fn pictured(args: &[&str]) -> (Vec<(String, String)>, Vec<serde_json::Value>, String) {
    let (_dir, trace) = temp("run.trace.json");
    let svg = trace.with_file_name("run.svg");
    let mut all = args.to_vec();
    all.extend([
        "--timeline",
        "-q",
        "--color",
        "never",
        "--trace",
        trace.to_str().unwrap(),
        "--svg",
        svg.to_str().unwrap(),
    ]);
    let out = stdout_of(&all);
    let rows = thread_rows(&out);
    let trace: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&trace).unwrap()).unwrap();
    let events = match trace {
        serde_json::Value::Array(events) => events,
        other => other["traceEvents"].as_array().unwrap().clone(),
    };
    (rows, events, std::fs::read_to_string(&svg).unwrap())
}

/// The timeline's thread rows: every row between the tasks and the axis
/// that is not a task's, as (label, glyphs).
fn thread_rows(out: &str) -> Vec<(String, String)> {
    out.lines()
        .take_while(|l| !l.trim_start().starts_with('+'))
        .filter(|l| !l.starts_with("task ") && !l.starts_with('…'))
        .map(|l| {
            // The label, then two spaces, then the glyphs.
            let (label, glyphs) = l.split_once("  ").unwrap_or((l, ""));
            (label.to_owned(), glyphs.trim().to_owned())
        })
        .collect()
}

/// The OS threads (the trace's `thread` argument) on which a task's
/// blocking call held its thread: its "blocked" slices.
fn held_threads(events: &[serde_json::Value]) -> BTreeSet<u64> {
    events
        .iter()
        .filter(|e| e["ph"] == "B" && e["name"].as_str().is_some_and(|n| n.starts_with("blocked")))
        .filter_map(|e| e["args"]["thread"].as_u64())
        .collect()
}

/// The SVG's texts.
fn texts(svg: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(svg).expect("well-formed SVG");
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::to_owned)
        .collect()
}

/// Three spawned tasks block in `block_in_place` on two workers: three
/// threads are held (the trace says which), and each of them, being in a
/// worker's loop, handed its core to another thread; the lanes show the
/// held threads and the threads that took the cores over, by role, and no
/// third or fourth "worker".
#[test]
fn block_in_place_draws_the_held_threads_and_those_that_took_their_cores() {
    let (rows, events, svg) = pictured(&[
        "count",
        "-n",
        "3",
        "-d",
        "200ms",
        "-m",
        "block-in-place",
        "--workers",
        "2",
        "--spawn",
    ]);
    let held = held_threads(&events);
    assert_eq!(held.len(), 3, "the trace's held threads: {events:?}");
    let held_rows = rows.iter().filter(|(_, g)| g.contains('H')).count();
    assert_eq!(held_rows, held.len(), "{rows:?}");
    let took: Vec<&str> = rows
        .iter()
        .map(|(l, _)| l.as_str())
        .filter(|l| l.starts_with("took "))
        .collect();
    assert_eq!(
        took.len(),
        held.len(),
        "one taker per core handed: {rows:?}"
    );
    for (label, _) in &rows {
        let role = label == "worker 1"
            || label == "worker 2"
            || (label.starts_with("took worker ") && label.ends_with(" core"))
            || label == "took a worker's core";
        assert!(role, "{label:?} is no role of this run: {rows:?}");
        assert!(!label.contains('3') && !label.contains('4'), "{rows:?}");
    }
    // The SVG draws the same lanes: each lane's tooltip names its role in
    // full (its label may be the short form, where the room is narrow).
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let tooltips: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("title"))
        .filter_map(|n| n.text())
        .collect();
    for (label, _) in &rows {
        let prefix = format!("{label}: ");
        assert!(
            tooltips.iter().any(|t| t.starts_with(&prefix)),
            "{label:?} not in the SVG"
        );
    }
    let held_lanes: BTreeSet<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some("held"))
        .filter_map(|n| n.attribute("y").map(str::to_owned))
        .collect();
    assert_eq!(held_lanes.len(), held.len(), "held lanes in the SVG");
}

/// A pool of two running four calls: two pool-thread lanes, as many as the
/// calls the trace shows in the pool at once, each held by its calls; and
/// the one thread that polled the tasks, block_on's.
#[test]
fn a_pool_of_two_draws_two_pool_thread_lanes() {
    let (rows, events, svg) = pictured(&[
        "count",
        "-n",
        "4",
        "-d",
        "100ms",
        "-m",
        "spawn-blocking",
        "--blocking-threads",
        "2",
    ]);
    // The most "in the pool" slices that overlap.
    let mut edges: Vec<(f64, i32)> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["name"] == "in the pool")
        .flat_map(|e| {
            let (ts, dur) = (e["ts"].as_f64().unwrap(), e["dur"].as_f64().unwrap());
            [(ts, 1), (ts + dur, -1)]
        })
        .collect();
    edges.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let most = edges
        .iter()
        .scan(0, |n, e| {
            *n += e.1;
            Some(*n)
        })
        .max()
        .unwrap();
    assert_eq!(most, 2, "{events:?}");
    let labels: Vec<&str> = rows.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        labels,
        ["block_on thread", "pool thread 1", "pool thread 2"],
        "{rows:?}"
    );
    for (_, glyphs) in &rows[1..] {
        assert!(glyphs.contains('H'), "{rows:?}");
    }
    let svg_texts = texts(&svg);
    assert!(svg_texts.iter().any(|t| t == "pool thread 2"));
}

/// A current-thread runtime: the lines all come from one thread (the
/// trace's), and it gets one lane, the thread that called block_on.
#[test]
fn a_current_thread_run_draws_one_block_on_lane() {
    let (rows, events, _svg) = pictured(&["count", "-n", "3", "-d", "50ms"]);
    let threads: BTreeSet<u64> = events
        .iter()
        .filter(|e| e["ph"] == "i")
        .filter_map(|e| e["args"]["thread"].as_u64())
        .collect();
    assert_eq!(threads.len(), 1, "{events:?}");
    let labels: Vec<&str> = rows.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["block_on thread"], "{rows:?}");
}

/// `compare --svg`: every run's thread lanes end where that run ended, on
/// the shared axis, so a run that took a third of the longest's time has
/// lanes a third as long (the runs' times from the same run's JSON).
#[test]
fn compare_thread_lanes_end_where_their_run_ended() {
    let (_dir, path) = temp("compare.svg");
    let out = stdout_of(&[
        "compare",
        "count",
        "-n",
        "3",
        "-d",
        "200ms",
        "-f",
        "json",
        "--svg",
        path.to_str().unwrap(),
    ]);
    let runs: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    let elapsed: Vec<f64> = runs
        .iter()
        .filter(|r| !r["runtime"].is_null())
        .map(|r| r["elapsed_secs"].as_f64().unwrap())
        .collect();
    let longest = runs
        .iter()
        .map(|r| r["elapsed_secs"].as_f64().unwrap())
        .fold(0.0, f64::max);
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let num = |n: &roxmltree::Node, a: &str| n.attribute(a).unwrap().parse::<f64>().unwrap();
    let axis = doc
        .descendants()
        .find(|n| n.has_tag_name("line") && n.attribute("stroke") == Some("#222222"))
        .unwrap();
    let axis_width = num(&axis, "x2") - num(&axis, "x1");
    // The parked background of each thread lane (the legend's swatch is
    // not in a lane: it has no tooltip).
    let lanes: Vec<f64> = doc
        .descendants()
        .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some("parked"))
        .filter(|n| n.children().any(|c| c.has_tag_name("title")))
        .map(|n| num(&n, "width") / axis_width)
        .collect();
    assert!(!lanes.is_empty(), "{text}");
    // Each lane's length is one run's share of the axis (a run's picture
    // may end at its last line, a little past its elapsed time).
    for share in &lanes {
        let fits = elapsed.iter().any(|e| (share - e / longest).abs() < 0.03);
        assert!(fits, "a lane of {share:.3} of the axis; runs {elapsed:?}");
    }
    assert!(
        lanes.iter().any(|share| *share < 0.5),
        "the quick runs' lanes end early: {lanes:?}"
    );
}
