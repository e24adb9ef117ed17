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

/// What a run drew: the timeline's thread rows (label, glyphs), the
/// trace's events, the SVG's text and the whole timeline.
type Pictured = (
    Vec<(String, String)>,
    Vec<serde_json::Value>,
    String,
    String,
);

/// Runs `args` with `--timeline -q`, a trace and an SVG written beside.
fn pictured(args: &[&str]) -> Pictured {
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
    (rows, events, std::fs::read_to_string(&svg).unwrap(), out)
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

/// What the trace shows of each OS thread: when it was first seen, the
/// moments it was seen doing something other than being held (a line, a
/// poll's start, a park or wake-up), and the blocking calls that held it
/// (from the model's `held` slices, each on the thread whose poll of that
/// task contains it).
#[derive(Default, Debug)]
struct TraceThread {
    first: f64,
    marks: Vec<f64>,
    held: Vec<(f64, f64)>,
}

fn trace_threads(events: &[serde_json::Value]) -> std::collections::BTreeMap<u64, TraceThread> {
    let num = |e: &serde_json::Value, k: &str| e[k].as_f64().unwrap();
    let mut threads: std::collections::BTreeMap<u64, TraceThread> = Default::default();
    let mut polls: Vec<(u64, u64, f64, f64)> = Vec::new();
    // The parks as the pictures keep them: an idle under 50 µs is taken
    // back by the wake-up that follows it at once.
    let mut parks: Vec<(u64, f64, bool)> = Vec::new();
    let mut seen: Vec<(u64, f64)> = Vec::new();
    for e in events.iter().filter(|e| e["pid"] == 2 && e["ph"] != "M") {
        let (tid, ts) = (e["tid"].as_u64().unwrap(), num(e, "ts"));
        if e["name"] == "parked" {
            let parked = e["ph"] == "B";
            match parks.last() {
                Some(&(last, at, true)) if !parked && last == tid && ts - at < 50.0 => {
                    parks.pop();
                }
                _ => parks.push((tid, ts, parked)),
            }
            continue;
        }
        seen.push((tid, ts));
        if e["ph"] == "X" {
            let task = e["args"]["task"].as_u64().unwrap();
            polls.push((tid, task, ts, ts + num(e, "dur")));
        }
    }
    for (tid, ts) in seen.into_iter().chain(parks.iter().map(|p| (p.0, p.1))) {
        let thread = threads.entry(tid).or_insert(TraceThread {
            first: f64::INFINITY,
            ..TraceThread::default()
        });
        thread.first = thread.first.min(ts);
        thread.marks.push(ts);
    }
    for e in events
        .iter()
        .filter(|e| e["pid"] == 3 && e["ph"] == "X" && e["name"] == "held")
    {
        let (task, from) = (e["tid"].as_u64().unwrap(), num(e, "ts"));
        let on = polls
            .iter()
            .find(|p| p.1 == task && p.2 <= from && from <= p.3)
            .unwrap_or_else(|| panic!("task {task}'s call at {from} in none of its polls"));
        threads
            .get_mut(&on.0)
            .unwrap()
            .held
            .push((from, from + num(e, "dur")));
    }
    for thread in threads.values_mut() {
        thread.marks.sort_by(f64::total_cmp);
        thread.held.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    threads
}

/// The labels of the threads that took a core over, in the order they were
/// first seen, as the trace decides them. tokio's `block_in_place` puts the
/// worker's core in its slot and asks the blocking pool to run the worker's
/// loop with it (`spawn_blocking(run(worker))`) before the blocking closure
/// runs; so a thread first seen in a worker loop took the core of a thread
/// whose call had been entered by then (after the last thing seen on that
/// thread before the call) and was still going. One such call: that core.
/// Several: any of theirs, and the label names them all.
fn expected_takers(events: &[serde_json::Value], workers: usize) -> Vec<String> {
    let threads = trace_threads(events);
    let mut order: Vec<(&u64, &TraceThread)> = threads.iter().collect();
    order.sort_by(|a, b| a.1.first.total_cmp(&b.1.first).then(a.0.cmp(b.0)));
    // The threads that may hand a core over, with the cores they may hold.
    let mut holders: Vec<(u64, Vec<usize>)> = order[..workers]
        .iter()
        .enumerate()
        .map(|(i, (tid, _))| (**tid, vec![i + 1]))
        .collect();
    let mut claimed: Vec<(u64, f64)> = Vec::new();
    let mut labels = Vec::new();
    for (tid, thread) in &order[workers..] {
        let at = thread.first;
        let entered = |holder: &TraceThread, from: f64| {
            let before = holder
                .marks
                .iter()
                .filter(|m| **m <= from)
                .copied()
                .fold(0.0, f64::max);
            before < at
        };
        let handing: Vec<(usize, f64)> = holders
            .iter()
            .enumerate()
            .filter_map(|(i, (holder, _))| {
                let holder = &threads[holder];
                let call = holder
                    .held
                    .iter()
                    .filter(|c| c.1 >= at)
                    .take_while(|c| entered(holder, c.0))
                    .next()?;
                (!claimed.contains(&(holders[i].0, call.0))).then_some((i, call.0))
            })
            .collect();
        let mut cores: Vec<usize> = handing
            .iter()
            .flat_map(|(i, _)| holders[*i].1.clone())
            .collect();
        cores.sort_unstable();
        cores.dedup();
        if let [(i, call)] = handing[..] {
            claimed.push((holders[i].0, call));
            holders.remove(i);
        }
        labels.push(match &cores[..] {
            [] => "took a worker's core".to_owned(),
            [one] => format!("took worker {one}'s core"),
            [first @ .., last] => {
                let first: Vec<String> = first.iter().map(|n| format!("{n}'s")).collect();
                format!("took worker {} or {last}'s core", first.join(", "))
            }
        });
        holders.push((**tid, cores));
    }
    labels
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

/// Three spawned tasks block in `block_in_place` on two workers, then on
/// one: three threads are held (the trace says which), and each of them,
/// being in a worker's loop, handed its core to another thread; the lanes
/// show the held threads and the threads that took the cores over, each
/// named by whose core it took as far as the trace's order of events
/// decides it, and no third or fourth "worker".
#[test]
fn block_in_place_draws_the_held_threads_and_those_that_took_their_cores() {
    for workers in ["2", "1"] {
        let args = format!("count -n 3 -d 200ms -m block-in-place --workers {workers} --spawn");
        let (rows, events, svg, _) = pictured(&args.split(' ').collect::<Vec<_>>());
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
        // Which core each took, as the trace's order of events decides it.
        let expected = expected_takers(&events, workers.parse().unwrap());
        assert_eq!(took, expected, "{rows:?}\n{events:?}");
        for (label, _) in &rows {
            assert!(
                label.starts_with("took ") || label == "worker 1" || label == "worker 2",
                "{label:?} is no role of this run: {rows:?}"
            );
        }
        if workers == "1" {
            // One core, handed along a chain: every taker took worker 1's.
            assert!(
                took.iter().all(|l| *l == "took worker 1's core"),
                "{rows:?}"
            );
        }
        // The SVG draws the same lanes: each lane's tooltip names its role
        // in full (its label may be the short form, where the room is
        // narrow).
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
}

/// A pool of two running four calls: two pool-thread lanes, as many as the
/// calls the trace shows in the pool at once, each held by its calls; and
/// the one thread that polled the tasks, block_on's.
#[test]
fn a_pool_of_two_draws_two_pool_thread_lanes() {
    let (rows, events, svg, out) = pictured(&[
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
    let most = most_at_once(&events, "in the pool");
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
    // A pool thread runs a task's call: its job, not a runtime thread held
    // away from one. The legends say so, and say "held" of nothing here
    // (no runtime thread was held).
    let pool_held = "pool thread running a task's blocking call (no CPU)";
    assert!(out.contains(&format!("        H {pool_held}\n")), "{out}");
    assert!(svg_texts.iter().any(|t| t == pool_held), "{svg_texts:?}");
    for text in svg_texts.iter().map(String::as_str).chain(out.lines()) {
        assert!(!text.contains("held in a blocking call"), "{text}");
    }
    // The title states the command that drew the picture, pool size
    // included.
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let title = doc
        .root_element()
        .children()
        .find(|n| n.has_tag_name("title"));
    let title = title.and_then(|n| n.text()).unwrap();
    assert!(
        title.starts_with("asyncdemo count -n 4 -d 100ms -m spawn-blocking --blocking-threads 2: "),
        "{title}"
    );
}

/// Joined on a multi-thread runtime, the tasks are polled on block_on's
/// thread, which runs no worker loop, so tokio's park hooks never fire on
/// it: its lane is busy only where the trace shows it polling, and between
/// polls (mid-sleep, when the trace has no poll on it) it is drawn "not
/// polling", not busy and not parked.
#[test]
fn a_joined_block_on_thread_is_busy_only_in_its_polls() {
    let (rows, events, svg, out) = pictured(&["count", "-n", "3", "-d", "300ms", "--workers", "2"]);
    assert_eq!(rows.len(), 1, "{out}");
    let (label, glyphs) = &rows[0];
    assert_eq!(label, "block_on thread");
    // The polls on the thread that polled the tasks, from the trace.
    let polls: Vec<(f64, f64)> = events
        .iter()
        .filter(|e| e["pid"] == 2 && e["ph"] == "X")
        .map(|e| {
            let ts = e["ts"].as_f64().unwrap();
            (ts, ts + e["dur"].as_f64().unwrap())
        })
        .collect();
    assert!(!polls.is_empty(), "{events:?}");
    let end = polls.iter().map(|p| p.1).fold(0.0, f64::max);
    // The lane's middle column stands for about half-way through the
    // sleeps, where the trace shows no poll.
    let glyphs: Vec<char> = glyphs.chars().collect();
    let mid = glyphs.len() / 2;
    let at = end * mid as f64 / (glyphs.len() - 1) as f64;
    let column = end / (glyphs.len() - 1) as f64;
    let polling = polls
        .iter()
        .any(|p| p.0 - column <= at && at <= p.1 + column);
    assert!(!polling, "a poll at {at} µs: {polls:?}");
    assert_eq!(glyphs[mid], '-', "{out}");
    // The first polls are drawn busy, in the column of the first poll the
    // trace shows (a loaded machine may start it a column or two late).
    let first = polls.iter().map(|p| p.0).fold(f64::INFINITY, f64::min);
    let c = (first / column).round() as usize;
    let near = &glyphs[c.saturating_sub(1)..(c + 2).min(glyphs.len())];
    assert!(near.contains(&'x'), "the first polls, at {first} µs: {out}");
    assert!(
        out.contains("        - block_on thread between polls (no park hook: not observed)\n"),
        "{out}"
    );
    let doc = roxmltree::Document::parse(&svg).unwrap();
    assert!(
        doc.descendants()
            .any(|n| n.has_tag_name("rect") && n.attribute("class") == Some("unobserved")),
        "{svg}"
    );
    assert!(!doc.descendants().any(|n| {
        n.has_tag_name("rect")
            && n.attribute("class") == Some("parked")
            && n.children().any(|c| c.has_tag_name("title"))
    }));
}

/// A current-thread runtime: the lines all come from one thread (the
/// trace's), and it gets one lane, the thread that called block_on.
#[test]
fn a_current_thread_run_draws_one_block_on_lane() {
    let (rows, events, _svg, _) = pictured(&["count", "-n", "3", "-d", "50ms"]);
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
