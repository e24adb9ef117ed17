//! `--trace FILE`: the run as a Chrome trace-event file, which
//! ui.perfetto.dev and chrome://tracing open.
//!
//! Two "processes" give two views of the same run:
//!
//! - **tasks**: one row per task (`tid` = task number). A complete event
//!   (`"ph": "X"`) spans each task's wait, and instant events (`"ph": "i"`)
//!   mark its two lines.
//! - **OS threads**: one row per thread (`tid` = thread number). The lines
//!   are marked on the thread that printed them, and a wait that *held* its
//!   thread (`blocking`, `threads`) is drawn on that thread too. An async
//!   wait draws nothing there, because the thread was free: that empty row is
//!   the lesson.
//!
//! The file is streamed through serde, event by event, so a million-task
//! trace is never held in memory as one big value.

use super::Summary;
use super::marks::{self, Marks};
use crate::vocab::{Event, Waiting};
use serde::ser::{Serialize, Serializer};
use std::collections::BTreeSet;
use std::io::{self, Write};
use std::time::Duration;

/// The `pid` of the per-task rows.
const TASKS_PID: u32 = 1;
/// The `pid` of the per-thread rows.
const THREADS_PID: u32 = 2;

/// One trace event, in the Trace Event Format's field names.
#[derive(serde::Serialize)]
struct TraceEvent {
    name: String,
    /// Phase: `M` metadata, `X` complete (with `dur`), `i` instant.
    ph: &'static str,
    pid: u32,
    tid: u32,
    /// Start, in microseconds since the run began.
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<f64>,
    /// Duration in microseconds (`X` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    dur: Option<f64>,
    /// Scope of an instant event: `t`, its own row.
    #[serde(skip_serializing_if = "Option::is_none")]
    s: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    args: Option<Args>,
}

#[derive(serde::Serialize)]
#[serde(untagged)]
enum Args {
    /// For `process_name` and `thread_name` metadata.
    Name { name: String },
    /// Which task, on which OS thread.
    Task { task: u32, thread: u32 },
}

fn micros(at: Duration) -> Option<f64> {
    Some(at.as_secs_f64() * 1e6)
}

fn metadata(kind: &str, pid: u32, tid: u32, name: String) -> TraceEvent {
    TraceEvent {
        name: kind.to_owned(),
        ph: "M",
        pid,
        tid,
        ts: None,
        dur: None,
        s: None,
        args: Some(Args::Name { name }),
    }
}

fn instant(name: String, pid: u32, tid: u32, event: &Event) -> TraceEvent {
    TraceEvent {
        name,
        ph: "i",
        pid,
        tid,
        ts: micros(event.at),
        dur: None,
        s: Some("t"),
        args: Some(Args::Task {
            task: event.task,
            thread: event.thread,
        }),
    }
}

fn span(name: String, pid: u32, tid: u32, first: &Event, end: Duration) -> TraceEvent {
    TraceEvent {
        name,
        ph: "X",
        pid,
        tid,
        ts: micros(first.at),
        dur: micros(end.saturating_sub(first.at)),
        s: None,
        args: Some(Args::Task {
            task: first.task,
            thread: first.thread,
        }),
    }
}

/// The whole file: `{"traceEvents": [...], "displayTimeUnit": "ms"}`.
struct TraceFile<'a> {
    summary: &'a Summary,
    /// Each task's two lines, indexed by task number - 1.
    tasks: Vec<Marks>,
    threads: BTreeSet<u32>,
    elapsed: Duration,
}

/// Serializes the event list lazily, one task at a time.
struct EventList<'a>(&'a TraceFile<'a>);

impl Serialize for TraceFile<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut file = serializer.serialize_struct("TraceFile", 2)?;
        file.serialize_field("traceEvents", &EventList(self))?;
        file.serialize_field("displayTimeUnit", "ms")?;
        file.end()
    }
}

impl Serialize for EventList<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let file = self.0;
        let summary = file.summary;
        let waiting = Waiting::of(summary.mode);
        let title = format!(
            "asyncdemo {} --mode {}",
            summary.demo.name(),
            summary.mode.name()
        );
        let heads = [
            metadata("process_name", TASKS_PID, 0, format!("tasks: {title}")),
            metadata("process_name", THREADS_PID, 0, "OS threads".to_owned()),
        ]
        .into_iter()
        .chain(file.threads.iter().map(|&thread| {
            metadata(
                "thread_name",
                THREADS_PID,
                thread,
                format!("thread {thread}"),
            )
        }));
        let wait_name = waiting.meaning(summary.demo);
        let rows = file
            .tasks
            .iter()
            .enumerate()
            .flat_map(move |(index, marks)| {
                let id = index as u32 + 1;
                let mut events = vec![metadata("thread_name", TASKS_PID, id, format!("task {id}"))];
                if let Marks {
                    first: Some(first),
                    last,
                } = marks
                {
                    // A task a signal interrupted waits until the end of the run.
                    let end = last.map_or(file.elapsed, |l| l.at);
                    events.push(span(wait_name.to_owned(), TASKS_PID, id, first, end));
                    if waiting == Waiting::Blocked {
                        let name = format!("task {id} blocked");
                        events.push(span(name, THREADS_PID, first.thread, first, end));
                    }
                    for line in std::iter::once(first).chain(last.as_ref()) {
                        let text = summary.demo.text(line.task, line.phase);
                        events.push(instant(text.to_string(), TASKS_PID, id, line));
                        let on_thread = format!("task {id}: {text}");
                        events.push(instant(on_thread, THREADS_PID, line.thread, line));
                    }
                }
                events
            });
        serializer.collect_seq(heads.chain(rows))
    }
}

/// Writes the trace of the run `summary` describes, from its events.
pub(crate) fn write(mut out: impl Write, summary: &Summary, events: &[Event]) -> io::Result<()> {
    let file = TraceFile {
        summary,
        tasks: marks::per_task(events, summary.tasks),
        threads: events.iter().map(|e| e.thread).collect(),
        elapsed: Duration::from_secs_f64(summary.elapsed_secs),
    };
    serde_json::to_writer(&mut out, &file)?;
    out.write_all(b"\n")?;
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{Mode, Outcome, Phase};
    use serde_json::Value;

    fn event(ms: u64, task: u32, phase: Phase, thread: u32) -> Event {
        Event {
            at: Duration::from_millis(ms),
            task,
            phase,
            thread,
        }
    }

    fn trace(events: &[Event], mode: Mode, tasks: u32) -> Value {
        let mut config = crate::report::test_config(tasks, Duration::from_millis(100), vec![]);
        config.way.mode = mode;
        let outcome = Outcome {
            elapsed: Duration::from_millis(300),
            ..Outcome::default()
        };
        let summary = Summary::new(&config, outcome, None);
        let mut out = Vec::new();
        write(&mut out, &summary, events).unwrap();
        serde_json::from_slice(&out).unwrap()
    }

    fn of<'a>(trace: &'a Value, ph: &str, pid: u32) -> Vec<&'a Value> {
        trace["traceEvents"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["ph"] == ph && e["pid"] == pid)
            .collect()
    }

    #[test]
    fn each_task_has_a_row_with_its_wait_and_its_lines() {
        let events = [
            event(0, 1, Phase::First, 1),
            event(0, 2, Phase::First, 1),
            event(100, 1, Phase::Last, 1),
            event(100, 2, Phase::Last, 1),
        ];
        let t = trace(&events, Mode::Async, 2);
        assert_eq!(t["displayTimeUnit"], "ms");
        let waits = of(&t, "X", TASKS_PID);
        assert_eq!(waits.len(), 2);
        assert_eq!(waits[1]["tid"], 2);
        assert_eq!(waits[1]["ts"], 0.0);
        assert_eq!(waits[1]["dur"], 100_000.0);
        assert_eq!(
            waits[1]["name"],
            "sleeping, its thread free for other tasks"
        );
        assert_eq!(of(&t, "i", TASKS_PID).len(), 4);
        // Async waits leave the thread free: nothing spans the thread row.
        assert!(of(&t, "X", THREADS_PID).is_empty());
        assert_eq!(of(&t, "i", THREADS_PID).len(), 4);
    }

    #[test]
    fn blocked_waits_show_on_the_thread_that_held_them() {
        let events = [
            event(0, 1, Phase::First, 1),
            event(100, 1, Phase::Last, 1),
            event(0, 2, Phase::First, 2),
            event(100, 2, Phase::Last, 2),
        ];
        let t = trace(&events, Mode::Threads, 2);
        let held = of(&t, "X", THREADS_PID);
        let tids: Vec<_> = held.iter().map(|e| e["tid"].as_u64().unwrap()).collect();
        assert_eq!(tids, [1, 2]);
        let names: Vec<_> = of(&t, "M", THREADS_PID)
            .iter()
            .map(|e| e["args"]["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["OS threads", "thread 1", "thread 2"]);
    }

    #[test]
    fn an_unfinished_task_waits_to_the_end_of_the_run() {
        let t = trace(&[event(50, 1, Phase::First, 1)], Mode::Blocking, 1);
        let waits = of(&t, "X", TASKS_PID);
        assert_eq!(waits[0]["dur"], 250_000.0);
    }
}
