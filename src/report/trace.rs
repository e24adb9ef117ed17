//! `--trace FILE`: the run as a Chrome trace-event file, which
//! ui.perfetto.dev and chrome://tracing open.
//!
//! Two "processes" give two views of the same run:
//!
//! - **tasks**: one row per task (`tid` = task number). A begin/end pair
//!   (`"ph": "B"`, `"E"`) spans each task's wait, and instant events
//!   (`"ph": "i"`) mark its two lines.
//! - **OS threads**: one row per thread (`tid` = thread number). The lines
//!   are marked on the thread that printed them, and a wait that *held* its
//!   thread (`blocking`, `threads`) is drawn on that thread too. An async
//!   wait draws nothing there, because the thread was free: that empty row is
//!   the lesson. A runtime thread's parks, as tokio's hooks report them,
//!   are `parked` slices there, and at the end each task's polls are
//!   slices on the thread that polled it (`task 2 polled`): which thread
//!   ran what, and when it slept.
//!
//! - **task states**: one row per task again, with the task-state model's
//!   spans as complete slices (`"ph": "X"`: polled, held, sleeping,
//!   overdue, ready, queued, in the pool, waiting for the lock), and a flow
//!   arrow (`"ph": "s"` then `"f"`) from each call of the task's waker to
//!   the poll it led to: the ready-queue wait is the arrow's length. Written
//!   when the run ends, for the first [`STATE_TASKS`] tasks.
//!
//! The file is written during the run, event by event ([`Stream`]), so a
//! million-task trace is never held in memory, and ending the run at any
//! moment leaves a whole file: the writer is one follower of the run's
//! events ([`crate::events::Follower`]).

use crate::events::{Follower, RunEvent};
use crate::report::waiting::Waiting;
use crate::state::{Birth, Log, Model, Observed, What};
use crate::vocab::{Demo, Event, Mode, Park, Phase, Work};
use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

/// The `pid` of the per-task rows.
const TASKS_PID: u32 = 1;
/// The `pid` of the per-thread rows.
const THREADS_PID: u32 = 2;
/// The `pid` of the task-state rows.
const STATES_PID: u32 = 3;

/// The tasks whose states the file draws: the end of a run writes them,
/// and a signal may be waiting for that end, so it stays short.
pub(crate) const STATE_TASKS: u32 = 1000;

/// At most this many thread parks are kept for the model's overdue spans.
const MAX_PARKS: usize = 100_000;

/// One trace event, in the Trace Event Format's field names.
#[derive(serde::Serialize, Default)]
struct TraceEvent {
    name: String,
    /// Phase: `M` metadata, `B` and `E` the begin and end of a wait, `i`
    /// instant.
    ph: &'static str,
    pid: u32,
    tid: u32,
    /// Start, in microseconds since the run began.
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<f64>,
    /// Scope of an instant event: `t`, its own row.
    #[serde(skip_serializing_if = "Option::is_none")]
    s: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    args: Option<Args>,
    /// A complete slice's length, in microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    dur: Option<f64>,
    /// A flow's id, which ties its start to its end.
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<u64>,
    /// A flow's category.
    #[serde(skip_serializing_if = "Option::is_none")]
    cat: Option<&'static str>,
    /// A flow end's binding: `e`, to the slice that begins there.
    #[serde(skip_serializing_if = "Option::is_none")]
    bp: Option<&'static str>,
}

#[derive(serde::Serialize)]
#[serde(untagged)]
enum Args {
    /// For `process_name` and `thread_name` metadata.
    Name { name: String },
    /// Which task, on which OS thread.
    Task { task: u32, thread: u32 },
    /// Which OS thread.
    Thread { thread: u32 },
}

fn micros(at: Duration) -> Option<f64> {
    // Whole nanoseconds divided once: the result is the double nearest to
    // a figure with at most 3 decimals, which JSON then writes as exactly
    // those digits (`8502.001`). `as_secs_f64() * 1e6` rounds twice and
    // writes noise such as `8.501999999999999`.
    Some(at.as_nanos() as f64 / 1e3)
}

fn metadata(kind: &str, pid: u32, tid: u32, name: String) -> TraceEvent {
    TraceEvent {
        name: kind.to_owned(),
        ph: "M",
        pid,
        tid,
        ts: None,
        s: None,
        args: Some(Args::Name { name }),
        ..TraceEvent::default()
    }
}

/// When, which task, on which OS thread: what every mark and span carries.
#[derive(Clone, Copy)]
struct Where {
    at: Duration,
    task: u32,
    thread: u32,
}

fn instant(name: String, pid: u32, tid: u32, at: Where) -> TraceEvent {
    TraceEvent {
        name,
        ph: "i",
        pid,
        tid,
        ts: micros(at.at),
        s: Some("t"),
        args: Some(Args::Task {
            task: at.task,
            thread: at.thread,
        }),
        ..TraceEvent::default()
    }
}

/// The begin (`B`) or end (`E`) of a wait, on row `tid` of `pid`.
fn bound(ph: &'static str, name: String, pid: u32, tid: u32, at: Where) -> TraceEvent {
    TraceEvent {
        name,
        ph,
        pid,
        tid,
        ts: micros(at.at),
        s: None,
        args: Some(Args::Task {
            task: at.task,
            thread: at.thread,
        }),
        ..TraceEvent::default()
    }
}

/// The trace file, written while the run goes on: one call per task line.
///
/// Why streamed: a million-task trace is hundreds of megabytes. Written
/// after the run, it took 1.5 s, during which Ctrl-C could not end the
/// program without leaving half a file, and a signal at the very end could
/// cut it while stdout already said the run had finished. Streamed, the
/// file grows with the run, and ending it at any moment takes one buffer
/// flush and the closing brackets ([`Stream::finish`]).
///
/// So waits are drawn as begin/end pairs (`"ph": "B"` at the first line,
/// `"E"` at the last) rather than as complete events, whose duration is
/// known only at the end. A task that a signal stopped mid-wait has a `B`
/// without its `E`, and the viewers draw it to the end of the trace.
pub(crate) struct Stream<W: Write> {
    out: W,
    demo: Demo,
    waiting: Waiting,
    /// What each wait is, for the words of the wait.
    work: Work,
    /// The OS threads already named, by thread number.
    named: Vec<bool>,
    /// The OS threads whose `parked` slice is open, by thread number.
    parked: Vec<bool>,
    /// Whether the tasks are born at once (a runtime) or each on its own
    /// thread (`--mode threads`), for the model.
    birth: Birth,
    /// The task-state model's log, drawn at the end ([`Stream::states`]).
    log: Option<Arc<Log>>,
    /// The runtime threads' parks, for the model's overdue spans.
    parks: Vec<Park>,
    /// The latest time an event came, where the model's spans end.
    last: Duration,
}

impl<W: Write> Stream<W> {
    /// Starts the file of a run of `demo` in `mode`: the opening bracket and
    /// the two groups' names.
    pub(crate) fn start(mut out: W, demo: Demo, mode: Mode, work: Work) -> io::Result<Stream<W>> {
        let title = format!("asyncdemo {} --mode {}", demo.name(), mode.name());
        out.write_all(b"{\"traceEvents\":[\n")?;
        let mut stream = Stream {
            out,
            demo,
            waiting: Waiting::of(mode, work),
            work,
            named: Vec::new(),
            parked: Vec::new(),
            birth: match mode {
                Mode::Threads => Birth::OnItsOwn,
                _ => Birth::AtStart,
            },
            log: None,
            parks: Vec::new(),
            last: Duration::ZERO,
        };
        stream.put(&metadata(
            "process_name",
            TASKS_PID,
            0,
            format!("tasks: {title}"),
        ))?;
        stream.out.write_all(b",\n")?;
        stream.put(&metadata(
            "process_name",
            THREADS_PID,
            0,
            "OS threads".to_owned(),
        ))?;
        Ok(stream)
    }

    /// Adds one task line, which read `text`: its marks, on the task's row
    /// and on the thread's.
    fn line(&mut self, event: &Event, text: &str) -> io::Result<()> {
        let (id, thread) = (event.task, event.thread);
        self.name_thread(thread)?;
        if event.phase == Phase::First {
            let name = format!("task {id}");
            self.next(&metadata("thread_name", TASKS_PID, id, name))?;
        }
        let at = Where {
            at: event.at,
            task: id,
            thread,
        };
        self.next(&instant(text.to_string(), TASKS_PID, id, at))?;
        self.next(&instant(
            format!("task {id}: {text}"),
            THREADS_PID,
            thread,
            at,
        ))
    }

    /// Begins (`B`) or ends (`E`) a task's wait: on its row, and on its
    /// thread's row too if the wait held the thread.
    fn wait(&mut self, ph: &'static str, at: Where) -> io::Result<()> {
        self.name_thread(at.thread)?;
        let wait = self.waiting.meaning(self.demo, self.work);
        self.next(&bound(ph, wait.to_owned(), TASKS_PID, at.task, at))?;
        if self.waiting == Waiting::Blocked {
            // A blocked wait holds its thread, so it ends on the thread it
            // began on.
            let name = format!("task {} blocked", at.task);
            self.next(&bound(ph, name, THREADS_PID, at.thread, at))?;
        }
        Ok(())
    }

    /// Begins or ends a `parked` slice on the row of the thread that parked
    /// or woke up. A repeated state (a record dropped at the sink's cap)
    /// draws nothing, so the slices stay paired.
    fn park(&mut self, park: Park) -> io::Result<()> {
        self.name_thread(park.thread)?;
        let index = park.thread as usize;
        if self.parked.len() <= index {
            self.parked.resize(index + 1, false);
        }
        if self.parked[index] == park.parked {
            return Ok(());
        }
        self.parked[index] = park.parked;
        self.next(&TraceEvent {
            name: "parked".to_owned(),
            ph: if park.parked { "B" } else { "E" },
            pid: THREADS_PID,
            tid: park.thread,
            ts: micros(park.at),
            args: Some(Args::Thread {
                thread: park.thread,
            }),
            ..TraceEvent::default()
        })
    }

    /// Each poll of the model's tasks, as a slice on the row of the thread
    /// that polled it.
    fn polls(&mut self, observed: &[Observed]) -> io::Result<()> {
        for e in observed {
            let What::Polled { took, .. } = e.what else {
                continue;
            };
            self.name_thread(e.thread)?;
            self.next(&TraceEvent {
                name: format!("task {} polled", e.task),
                ph: "X",
                pid: THREADS_PID,
                tid: e.thread,
                ts: micros(Duration::from_nanos(e.at)),
                dur: micros(Duration::from_nanos(took)),
                args: Some(Args::Task {
                    task: e.task,
                    thread: e.thread,
                }),
                ..TraceEvent::default()
            })?;
        }
        Ok(())
    }

    /// Names thread `thread`'s row the first time something happens on it.
    fn name_thread(&mut self, thread: u32) -> io::Result<()> {
        let index = thread as usize;
        if self.named.get(index) == Some(&true) {
            return Ok(());
        }
        if self.named.len() <= index {
            self.named.resize(index + 1, false);
        }
        self.named[index] = true;
        let name = format!("thread {thread}");
        self.next(&metadata("thread_name", THREADS_PID, thread, name))
    }

    /// Draws the task-state model of what `log` observed at the end of the
    /// file.
    pub(crate) fn states(&mut self, log: Arc<Log>) {
        self.log = Some(log);
    }

    /// The task-state rows: each task's spans as slices, and an arrow from
    /// each wake-up to the poll it led to, for the first [`STATE_TASKS`].
    fn write_states(&mut self) -> io::Result<()> {
        let Some(log) = self.log.take() else {
            return Ok(());
        };
        let observed = log.of_tasks();
        let tasks = observed.iter().map(|e| e.task).max().unwrap_or(0);
        let end = observed
            .iter()
            .map(|e| Duration::from_nanos(e.at))
            .fold(self.last, Duration::max);
        let model = Model::new(&observed, &self.parks, (tasks, self.birth), end);
        self.polls(&observed)?;
        self.next(&metadata(
            "process_name",
            STATES_PID,
            0,
            "task states (tokio-console: polled RUNNING, sleeping/overdue IDLE, ready SCHED)"
                .to_owned(),
        ))?;
        let mut flow = 0u64;
        for task in 1..=tasks {
            self.next(&metadata(
                "thread_name",
                STATES_PID,
                task,
                format!("task {task}"),
            ))?;
            for span in model.spans(task) {
                self.next(&TraceEvent {
                    name: span.state.word().to_owned(),
                    ph: "X",
                    pid: STATES_PID,
                    tid: task,
                    ts: micros(span.from),
                    dur: micros(span.to - span.from),
                    ..TraceEvent::default()
                })?;
            }
            for (woken, polled) in model.flows(task) {
                flow += 1;
                for (ph, at, bp) in [("s", woken, None), ("f", polled, Some("e"))] {
                    self.next(&TraceEvent {
                        name: "wake".to_owned(),
                        cat: Some("wake"),
                        ph,
                        pid: STATES_PID,
                        tid: task,
                        ts: micros(at),
                        id: Some(flow),
                        bp,
                        ..TraceEvent::default()
                    })?;
                }
            }
        }
        Ok(())
    }

    /// Ends the file (the task states, closing brackets) and flushes it.
    pub(crate) fn finish(&mut self) -> io::Result<()> {
        self.write_states()?;
        self.out.write_all(b"\n],\"displayTimeUnit\":\"ms\"}\n")?;
        self.out.flush()
    }

    /// One more event, after a separator.
    fn next(&mut self, event: &TraceEvent) -> io::Result<()> {
        self.out.write_all(b",\n")?;
        self.put(event)
    }

    fn put(&mut self, event: &TraceEvent) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, event)?;
        Ok(())
    }
}

/// The trace follows the run's lines, waits and threads' parks as they
/// happen. A failed wait draws no end: the viewers
/// show it running to the end of the trace, as the pictures show a wait
/// that never finished.
impl<W: Write + Send> Follower for Stream<W> {
    fn follow(&mut self, event: &RunEvent<'_>, _out: &mut dyn Write) -> io::Result<()> {
        match *event {
            RunEvent::Line { event, ref text } => self.line(&event, text),
            RunEvent::WaitBegan { at, task, thread } => self.wait("B", Where { at, task, thread }),
            RunEvent::WaitEnded {
                at,
                task,
                thread,
                failed: false,
            } => self.wait("E", Where { at, task, thread }),
            // The lock demo's steps, as instants on the task's row: when
            // each task asked, got in and let go.
            RunEvent::Lock {
                at,
                task,
                thread,
                step,
                lock,
                holder,
            } => {
                self.name_thread(thread)?;
                let text = step.describe(task, lock, holder);
                self.next(&instant(text, TASKS_PID, task, Where { at, task, thread }))
            }
            RunEvent::Thread(park) => {
                if self.parks.len() < MAX_PARKS {
                    self.parks.push(park);
                }
                self.last = self.last.max(park.at);
                self.park(park)
            }
            RunEvent::Finished { at } | RunEvent::Stalled { at } => {
                self.last = self.last.max(at);
                Ok(())
            }
            RunEvent::WaitEnded { failed: true, .. }
            | RunEvent::Poll { .. }
            | RunEvent::Caller { .. } => Ok(()),
        }
    }

    /// The model's overdue spans need to know when a thread was parked.
    fn wants_threads(&self) -> bool {
        self.log.is_some()
    }

    fn finish(&mut self) -> io::Result<()> {
        Stream::finish(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::marks::testing::waits;
    use crate::vocab::testing::event;
    use serde_json::Value;

    fn trace(events: &[Event], mode: Mode) -> Value {
        let mut out = Vec::new();
        let mut stream = Stream::start(&mut out, Demo::Count, mode, Work::Sleep).unwrap();
        // The events in the order the sink hands them out.
        for &event in events {
            let text = Demo::Count.text(event.task, event.phase);
            let (at, task, thread) = (event.at, event.task, event.thread);
            let line = RunEvent::Line { event, text };
            let follow = match event.phase {
                Phase::First => [line, RunEvent::WaitBegan { at, task, thread }],
                Phase::Last => [
                    RunEvent::WaitEnded {
                        at,
                        task,
                        thread,
                        failed: false,
                    },
                    line,
                ],
            };
            for event in &follow {
                stream.follow(event, &mut io::sink()).unwrap();
            }
        }
        stream.finish().unwrap();
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

    /// Timestamps are microseconds with at most 3 decimals, the
    /// nanoseconds the clock counted, and no float noise.
    #[test]
    fn timestamps_are_microseconds_with_at_most_three_decimals() {
        let json =
            |nanos: u64| serde_json::to_string(&micros(Duration::from_nanos(nanos))).unwrap();
        assert_eq!(json(8_502), "8.502");
        assert_eq!(json(1_001_370_752), "1001370.752");
        assert_eq!(json(37_476), "37.476");
        assert_eq!(json(0), "0.0");
        let hour = 3_600_000_000_000;
        for nanos in (0..2_000_000)
            .step_by(997)
            .chain((hour..hour + 10_000).step_by(13))
        {
            let text = json(nanos);
            let (whole, decimals) = text.split_once('.').unwrap_or((&text, ""));
            assert!(
                decimals.len() <= 3 && !text.contains('e'),
                "{nanos}: {text}"
            );
            let back = format!("{whole}{decimals:0<3}").parse::<u64>().unwrap();
            assert_eq!(back, nanos, "{text}");
        }
    }

    #[test]
    fn each_task_has_a_row_with_its_wait_and_its_lines() {
        let events = waits(&[(0, 100, 1), (0, 100, 1)]);
        let t = trace(&events, Mode::Async);
        assert_eq!(t["displayTimeUnit"], "ms");
        let (begins, ends) = (of(&t, "B", TASKS_PID), of(&t, "E", TASKS_PID));
        assert_eq!((begins.len(), ends.len()), (2, 2));
        assert_eq!(begins[1]["tid"], 2);
        assert_eq!(begins[1]["ts"], 0.0);
        assert_eq!(ends[1]["tid"], 2);
        assert_eq!(ends[1]["ts"], 100_000.0);
        assert_eq!(
            begins[1]["name"],
            "sleeping, its thread free for other tasks"
        );
        assert_eq!(of(&t, "i", TASKS_PID).len(), 4);
        // Async waits leave the thread free: nothing spans the thread row.
        assert!(of(&t, "B", THREADS_PID).is_empty());
        assert_eq!(of(&t, "i", THREADS_PID).len(), 4);
        let tasks: Vec<_> = of(&t, "M", TASKS_PID)
            .iter()
            .map(|e| e["args"]["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            tasks,
            ["tasks: asyncdemo count --mode async", "task 1", "task 2"]
        );
    }

    #[test]
    fn blocked_waits_show_on_the_thread_that_held_them() {
        let events = waits(&[(0, 100, 1), (0, 100, 2)]);
        let t = trace(&events, Mode::Threads);
        let tids = |ph| -> Vec<u64> {
            of(&t, ph, THREADS_PID)
                .iter()
                .map(|e| e["tid"].as_u64().unwrap())
                .collect()
        };
        assert_eq!(tids("B"), [1, 2]);
        assert_eq!(tids("E"), [1, 2]);
        let names: Vec<_> = of(&t, "M", THREADS_PID)
            .iter()
            .map(|e| e["args"]["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, ["OS threads", "thread 1", "thread 2"]);
    }

    /// A runtime thread's parks are `parked` slices on its row, paired
    /// even when a record repeats a state (a park dropped at the sink's
    /// cap); one still parked at the end is left open.
    #[test]
    fn parks_are_slices_on_the_threads_row() {
        let mut out = Vec::new();
        let mut stream = Stream::start(&mut out, Demo::Count, Mode::Async, Work::Sleep).unwrap();
        let park = |ms, thread, parked| {
            RunEvent::Thread(Park {
                at: Duration::from_millis(ms),
                thread,
                parked,
            })
        };
        for event in [
            park(0, 2, true),
            park(5, 2, false),
            park(6, 2, false),
            park(7, 3, true),
            park(9, 2, true),
        ] {
            stream.follow(&event, &mut io::sink()).unwrap();
        }
        stream.finish().unwrap();
        let t: Value = serde_json::from_slice(&out).unwrap();
        let slices = |ph| -> Vec<(u64, f64)> {
            of(&t, ph, THREADS_PID)
                .iter()
                .filter(|e| e["name"] == "parked")
                .map(|e| (e["tid"].as_u64().unwrap(), e["ts"].as_f64().unwrap()))
                .collect()
        };
        assert_eq!(slices("B"), [(2, 0.0), (3, 7000.0), (2, 9000.0)]);
        assert_eq!(slices("E"), [(2, 5000.0)]);
    }

    /// Ended at any moment, the file is whole JSON; a task still waiting has
    /// begun its wait and not ended it.
    #[test]
    fn a_trace_finished_mid_run_is_valid_with_the_wait_left_open() {
        let t = trace(&[event(50, 1, Phase::First, 1)], Mode::Blocking);
        assert_eq!(of(&t, "B", TASKS_PID).len(), 1);
        assert!(of(&t, "E", TASKS_PID).is_empty());
        assert_eq!(of(&t, "B", THREADS_PID).len(), 1);
        let empty = trace(&[], Mode::Async);
        assert_eq!(empty["traceEvents"].as_array().unwrap().len(), 2);
    }
}
