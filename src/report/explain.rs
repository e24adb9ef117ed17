//! The words of `--explain`: every sentence the narration can say, in one
//! place, as pure functions of what happened.
//!
//! The narrator (`crate::explain`) watches the run's events and decides
//! *which* [`Step`] happened, with the times it measured; this module only
//! says it, in words a reader of the Python asyncio notes recognises, as a
//! marked text line or as an NDJSON object of type `explain`. A new kind of
//! step (a lock that blocks, say) is one more variant here and one more
//! arm in the narrator's match.

use crate::vocab::{LockKind, Runtime};
use serde::Serialize;
use std::io::{self, Write};
use std::time::Duration;

/// How many tasks `--explain` narrates; the others are summed up in one
/// line at the end. Three: enough to see the tasks interleave (or not),
/// few enough to read.
pub(crate) const NARRATED: u32 = 3;

/// The mark in front of every narration line, so that the demo's own lines
/// stay exactly as they are and `grep -v '│'` gives them back.
pub(crate) const MARK: &str = crate::wrap::GUTTER;

/// What drives the tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Driver {
    /// One `join_all`, polled by `block_on`, polls every coroutine.
    Joined(Runtime),
    /// Each coroutine is a tokio task of its own (`--spawn`).
    Spawned(Runtime),
    /// No executor: an OS thread per task (`--mode threads`).
    Threads,
}

impl Driver {
    /// Who calls a task's `poll`.
    fn poller(self) -> &'static str {
        match self {
            Driver::Joined(_) => "join_all",
            Driver::Spawned(_) => "tokio's scheduler",
            Driver::Threads => "its thread's block_on",
        }
    }
}

/// The blocking call a task makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    /// `std::thread::sleep` for this long.
    Sleep(Duration),
    /// A blocking HTTP request (ureq).
    Http,
    /// A blocking database query: the sync `postgres` client (`true`), or
    /// rusqlite (`false`).
    Query(bool),
    /// A busy loop of this long on the CPU that never yields (`--work spin`).
    Spin(Duration),
}

impl Call {
    fn name(self) -> String {
        match self {
            Call::Sleep(delay) => format!("std::thread::sleep({})", human(delay)),
            Call::Http => "ureq's blocking HTTP request".into(),
            Call::Query(true) => "the sync postgres client's query".into(),
            Call::Query(false) => "rusqlite's query".into(),
            Call::Spin(delay) => format!("a busy loop of {} that never yields", human(delay)),
        }
    }
}

/// What a task awaits between its two lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Awaits {
    /// `tokio::time::sleep` for this long.
    Timer(Duration),
    /// An HTTP request made with reqwest, on tokio's sockets.
    Request,
    /// A query's answer from an async driver: tokio-postgres on the
    /// server's socket (`true`), or SQLite on its connection's thread.
    Query(bool),
    /// `spawn_blocking` of this call.
    Pool(Call),
    /// This call, made right inside the coroutine.
    InPlace(Call),
    /// A busy loop of this long that calls `yield_now().await` after every
    /// slice of work (`--work spin` in async mode).
    Yielding(Duration),
}

impl Awaits {
    fn name(self) -> String {
        match self {
            Awaits::Timer(delay) => format!("tokio::time::sleep({})", human(delay)),
            Awaits::Request => "its HTTP request (reqwest)".into(),
            Awaits::Query(true) => "its query's answer from the server (tokio-postgres)".into(),
            Awaits::Query(false) => "its query's answer from its connection's thread (async \
                                     SQLite is a blocking call on its own thread)"
                .into(),
            Awaits::Pool(call) => format!("spawn_blocking({})", call.name()),
            Awaits::InPlace(call) => format!("{}, called right inside the coroutine", call.name()),
            Awaits::Yielding(delay) => format!(
                "a busy loop of {} that calls tokio::task::yield_now().await after every \
                 slice of about 1 ms",
                human(delay)
            ),
        }
    }

    /// What wakes a task that awaits this, and who calls its waker.
    fn waker(self) -> (&'static str, &'static str) {
        match self {
            Awaits::Timer(_) => ("its timer", "tokio's timer driver called its waker"),
            Awaits::Request => ("its HTTP request", "tokio's I/O driver saw its socket move"),
            Awaits::Query(true) => (
                "its query",
                "tokio's I/O driver saw the server's answer, or a connection came free",
            ),
            Awaits::Query(false) => (
                "its query",
                "its connection's thread sent the answer, or a connection came free",
            ),
            Awaits::Pool(_) => (
                "its call",
                "the blocking-pool thread that finished it called its waker",
            ),
            Awaits::InPlace(_) => ("its waker", "somebody called it"),
            Awaits::Yielding(_) => ("yield_now", "the task asked to be polled again at once"),
        }
    }

    /// What a `Pending` leaves behind.
    fn registered(self) -> &'static str {
        match self {
            Awaits::Timer(_) => "its timer is registered",
            Awaits::Request => "its socket is registered with tokio's I/O driver",
            Awaits::Query(true) => "its query went to the server, or it waits for a connection",
            Awaits::Query(false) => {
                "its query went to its connection's thread, or it waits for a connection"
            }
            Awaits::Pool(_) => "its call runs on a blocking-pool thread",
            Awaits::InPlace(_) => "it waits for a wake-up",
            Awaits::Yielding(_) => {
                "yield_now gave the thread up after a slice of work, and the task is \
                 re-queued, ready, at once"
            }
        }
    }

    /// What a parked runtime thread waits for.
    fn park_until(self) -> &'static str {
        match self {
            Awaits::Timer(_) => "until the next timer is due",
            Awaits::Request => "until a socket is ready (or a timer is due)",
            Awaits::Query(true) => "until a socket is ready",
            Awaits::Query(false) => "until a connection's thread wakes a task",
            Awaits::Pool(_) => "until a blocking-pool thread wakes a task",
            Awaits::InPlace(_) => "until a task is woken",
            Awaits::Yielding(_) => "until a task is ready",
        }
    }
}

/// One step of the narration, with what was measured.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Step {
    /// Who drives the tasks; said once, before anything else.
    Intro {
        driver: Driver,
        tasks: u32,
        narrated: u32,
    },
    /// `poll` is called; `ready_for` is how long the task had been ready,
    /// waiting for the thread: since its wake-up, or for its first poll
    /// since the start (every task of a runtime is made ready at once).
    Polled {
        task: u32,
        driver: Driver,
        thread: u32,
        again: bool,
        ready_for: Option<Duration>,
    },
    /// The task printed `printed` and now awaits `awaits`.
    Awaits {
        task: u32,
        printed: String,
        awaits: Awaits,
    },
    /// `poll` returned `Pending` after `took`.
    Pending {
        task: u32,
        took: Duration,
        awaits: Awaits,
        driver: Driver,
    },
    /// A blocking call returned after `held`, inside the poll that made it
    /// (or on the task's own OS thread, under `Driver::Threads`).
    Held {
        task: u32,
        call: Call,
        held: Duration,
        thread: u32,
        driver: Driver,
    },
    /// The task's wait failed (a fetch refused).
    Failed { task: u32, after: Duration },
    /// The waker was called, `after` the task's `Pending`.
    Woken {
        task: u32,
        awaits: Awaits,
        thread: u32,
        after: Option<Duration>,
    },
    /// `poll` returned `Ready` after `took`: the task is done.
    Ready {
        task: u32,
        took: Duration,
        whole: bool,
    },
    /// Under `Driver::Threads`: the coroutine ended, and its thread with it.
    ThreadDone { task: u32, thread: u32 },
    /// A runtime thread that polled the narrated tasks parks.
    /// `caller`: the thread is `block_on`'s caller, not a runtime worker.
    Parks {
        thread: u32,
        awaits: Awaits,
        caller: bool,
    },
    /// ... and wakes up, after `parked`, with work to do. (A wake-up with
    /// nothing to do, as tokio's timer wheel makes on its way to a far
    /// timer, is not a step: the park goes on.)
    Unparks {
        thread: u32,
        at: Duration,
        parked: Duration,
        caller: bool,
    },
    /// A spinning task's slices after its first, not told one by one:
    /// said once, when the task has yielded its second time.
    Slices { task: u32 },
    /// A task of the `lock` demo asks for the shared lock, `holder` holding
    /// it then (`None`: it is free).
    LockAsked {
        task: u32,
        lock: LockKind,
        holder: Option<u32>,
    },
    /// ... and gets it, `after` asking (told only when it had to wait).
    LockGot {
        task: u32,
        lock: LockKind,
        after: Duration,
    },
    /// The tasks that were not narrated, summed up.
    Rest {
        first: u32,
        last: u32,
        finished: u32,
        polls: Option<(u64, u64, Duration)>,
        parks: u32,
    },
    /// Every task is done.
    Finished {
        at: Duration,
        tasks: u32,
        driver: Driver,
    },
}

impl Step {
    /// The step's kind, the `step` field of its NDJSON object.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            Step::Intro { .. } => "intro",
            Step::Polled { .. } => "poll",
            Step::Awaits { .. } => "await",
            Step::Pending { .. } => "pending",
            Step::Held { .. } => "held",
            Step::Failed { .. } => "failed",
            Step::Woken { .. } => "woken",
            Step::Ready { .. } => "ready",
            Step::ThreadDone { .. } => "thread-done",
            Step::Parks { .. } => "park",
            Step::Unparks { .. } => "unpark",
            Step::Slices { .. } => "slices",
            Step::LockAsked { .. } => "lock-asked",
            Step::LockGot { .. } => "lock-got",
            Step::Rest { .. } => "rest",
            Step::Finished { .. } => "finished",
        }
    }

    /// The task the step is about, if it is about one.
    pub(crate) fn task(&self) -> Option<u32> {
        match *self {
            Step::Polled { task, .. }
            | Step::Awaits { task, .. }
            | Step::Pending { task, .. }
            | Step::Held { task, .. }
            | Step::Failed { task, .. }
            | Step::Woken { task, .. }
            | Step::Ready { task, .. }
            | Step::ThreadDone { task, .. }
            | Step::Slices { task }
            | Step::LockAsked { task, .. }
            | Step::LockGot { task, .. } => Some(task),
            Step::Intro { .. }
            | Step::Parks { .. }
            | Step::Unparks { .. }
            | Step::Rest { .. }
            | Step::Finished { .. } => None,
        }
    }

    /// The sentence.
    pub(crate) fn words(&self) -> String {
        match *self {
            Step::Intro {
                driver,
                tasks,
                narrated,
            } => {
                let coroutines = plural(tasks, "coroutine");
                let who = match driver {
                    Driver::Joined(Runtime::CurrentThread) => format!(
                        "join_all polls its {coroutines} itself, inside one tokio task, \
                         on the runtime's one thread (Python's gather would wrap each coroutine \
                         in a Task of its own)."
                    ),
                    Driver::Joined(Runtime::MultiThread(workers)) => format!(
                        "join_all polls its {coroutines} itself, inside one future that \
                         block_on polls on the calling thread, which is none of the runtime's \
                         {workers} workers (Python's gather would wrap each coroutine in a Task \
                         of its own)."
                    ),
                    Driver::Spawned(Runtime::CurrentThread) => format!(
                        "each of the {coroutines} is spawned as a tokio task of its own, like a \
                         Task that gather makes; tokio's scheduler polls them on the runtime's \
                         one thread."
                    ),
                    Driver::Spawned(Runtime::MultiThread(workers)) => format!(
                        "each of the {coroutines} is spawned as a tokio task of its own, like a \
                         Task that gather makes; tokio's scheduler polls them on its {workers} \
                         worker threads."
                    ),
                    Driver::Threads => format!(
                        "no executor here: each of the {} runs on an OS thread of its own, which drives its \
                         coroutine with one poll; the OS schedules the threads, as Python's \
                         threading would.",
                        plural(tasks, "task")
                    ),
                };
                if tasks > narrated {
                    format!(
                        "{who} Tasks 1 to {narrated} are narrated; the other {} are summed up \
                         at the end.",
                        tasks - narrated
                    )
                } else {
                    who
                }
            }
            Step::Polled {
                task,
                driver,
                thread,
                again,
                ready_for,
            } => {
                let poller = driver.poller();
                match (again, ready_for) {
                    (false, Some(ready)) => format!(
                        "{poller} polls task {task} (on thread {thread}) for the first time: it \
                         waited {}, ready since the start, for the thread.",
                        ms(ready)
                    ),
                    (false, None) => format!("{poller} polls task {task} (on thread {thread})."),
                    (true, Some(ready)) => format!(
                        "{poller} polls task {task} again (on thread {thread}): it waited {}, \
                         ready, for the thread.",
                        ms(ready)
                    ),
                    (true, None) => {
                        format!("{poller} polls task {task} again (on thread {thread}).")
                    }
                }
            }
            Step::Awaits {
                task,
                ref printed,
                awaits,
            } => match awaits {
                Awaits::InPlace(call @ Call::Spin(_)) => format!(
                    "task {task} printed {} and runs {}, right inside the coroutine.",
                    quoted(printed),
                    call.name()
                ),
                Awaits::InPlace(call) => format!(
                    "task {task} printed {} and makes a blocking call, {}, right inside the \
                     coroutine.",
                    quoted(printed),
                    call.name()
                ),
                Awaits::Yielding(_) => format!(
                    "task {task} printed {} and runs {}.",
                    quoted(printed),
                    awaits.name()
                ),
                _ => format!(
                    "task {task} printed {} and awaits {}.",
                    quoted(printed),
                    awaits.name()
                ),
            },
            Step::Pending {
                task,
                took,
                awaits,
                driver,
            } => format!(
                "task {task}'s poll returns Pending after {}: {}, and the thread goes back to {}.",
                ms(took),
                awaits.registered(),
                driver.poller()
            ),
            Step::Held {
                task,
                call,
                held,
                thread,
                driver,
            } => match driver {
                Driver::Threads => format!(
                    "{} returned after {} on task {task}'s thread {thread}: it held that \
                     thread, its own, so no other task had to wait for it.",
                    call.name(),
                    ms(held)
                ),
                _ => format!(
                    "{} returned after {}, inside task {task}'s poll (no Pending): all that \
                     time it held thread {thread}, and no other task there could be polled.",
                    call.name(),
                    ms(held)
                ),
            },
            Step::Failed { task, after } => {
                format!("task {task}'s wait failed after {}.", ms(after))
            }
            Step::Woken {
                task,
                awaits,
                thread,
                after,
            } => {
                let (what, who) = awaits.waker();
                match after {
                    Some(after) => format!(
                        "task {task} is woken by {what}, {} after its Pending ({who}, on \
                         thread {thread}): it is ready, and waits for the thread.",
                        ms(after)
                    ),
                    None => format!(
                        "task {task} is woken by {what} while it is being polled ({who}, on \
                         thread {thread})."
                    ),
                }
            }
            Step::Ready { task, took, whole } => {
                let whole = if whole {
                    " (the whole task ran in this one poll)"
                } else {
                    ""
                };
                format!(
                    "task {task}'s poll returns Ready after {}{whole}: task {task} is done.",
                    ms(took)
                )
            }
            Step::ThreadDone { task, thread } => format!(
                "task {task} prints its last line, then its coroutine is Ready: task {task} is \
                 done, and thread {thread} ends."
            ),
            Step::Parks {
                thread,
                awaits,
                caller: false,
            } => format!(
                "thread {thread} parks: no task is ready, so it sleeps {}.",
                awaits.park_until()
            ),
            Step::Parks {
                thread,
                caller: true,
                ..
            } => format!(
                "thread {thread} waits in block_on: join_all returned Pending, since every \
                 task it polls is waiting, and the thread sleeps until one is woken."
            ),
            Step::Unparks {
                thread,
                at,
                parked,
                caller: false,
            } => format!(
                "thread {thread} wakes up at {}, after {} parked, to poll what was woken.",
                secs(at),
                ms(parked)
            ),
            Step::Unparks {
                thread,
                at,
                parked,
                caller: true,
            } => format!(
                "thread {thread} is back in block_on at {}, after {} waiting, to poll \
                 join_all again.",
                secs(at),
                ms(parked)
            ),
            Step::Slices { task } => format!(
                "task {task} goes on the same way, slice after slice (not told one by one): \
                 the tasks' loops take turns on the thread, so each takes as long as all of \
                 them together."
            ),
            Step::LockAsked {
                task,
                lock: LockKind::Std,
                holder: Some(holder),
            } => format!(
                "task {task} asks for the lock: std's lock() blocks the thread (no Pending): \
                 task {holder}, which holds the guard across its .await, can never be polled \
                 again."
            ),
            Step::LockAsked {
                task,
                lock,
                holder: Some(holder),
            } => format!(
                "task {task} asks for the lock: it is held by task {holder}, so \
                 {}'s lock().await returns Pending and the thread is free.",
                lock.type_name()
            ),
            Step::LockAsked {
                task,
                lock: LockKind::Std,
                holder: None,
            } => format!(
                "task {task} asks for the lock: std's lock() finds it free and returns the \
                 guard at once."
            ),
            Step::LockAsked {
                task, holder: None, ..
            } => format!(
                "task {task} asks for the lock: it is free, so lock().await is Ready at once."
            ),
            Step::LockGot { task, lock, after } => format!(
                "task {task} gets the {} after {} waiting: the task holding it released it \
                 and woke the next in line, which the thread then polled.",
                lock.type_name(),
                ms(after)
            ),
            Step::Rest {
                first,
                last,
                finished,
                polls,
                parks,
            } => {
                let mut words = format!(
                    "tasks {first} to {last} were not narrated: {finished} of them finished"
                );
                if let Some((polls, pending, longest)) = polls {
                    words += &format!(
                        ", polled {polls} times in all, {pending} of those polls returned \
                         Pending, the longest took {}",
                        ms(longest)
                    );
                }
                if parks > 0 {
                    words += &format!("; the runtime threads parked {parks} more times");
                }
                words + "."
            }
            Step::Finished { at, tasks, driver } => {
                let how = match driver {
                    Driver::Joined(_) => ": join_all returns Ready, and so does block_on",
                    Driver::Spawned(_) => ": every JoinHandle is Ready, and block_on returns",
                    Driver::Threads => ": every thread has been joined",
                };
                let all = match tasks {
                    1 => "the 1 task is".to_owned(),
                    _ => format!("all {tasks} tasks are"),
                };
                format!("{all} done at {}{how}.", secs(at))
            }
        }
    }
}

/// `2 tasks`, `1 task`.
fn plural(n: u32, word: &str) -> String {
    match n {
        1 => format!("1 {word}"),
        _ => format!("{n} {word}s"),
    }
}

/// A duration in milliseconds, always in that unit (`0.012 ms`,
/// `1000.412 ms`), so that two runs differ only in their digits.
fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

/// A time since the start of the run, in seconds (`1.001 s`), as `-v`
/// prints it.
fn secs(d: Duration) -> String {
    format!("{:.3} s", d.as_secs_f64())
}

/// A configured delay as the user wrote it (`1s`, `100ms`).
fn human(d: Duration) -> String {
    humantime::format_duration(d).to_string()
}

/// A task's line, quoted, with anything that is not plain text escaped (a
/// server's reason phrase reaches the terminal escaped).
fn quoted(text: &str) -> String {
    format!("{text:?}")
}

/// One NDJSON narration object:
/// `{"type":"explain","t_secs":0.0001,"task":1,"step":"pending","text":"..."}`.
#[derive(Serialize)]
struct ExplainLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    t_secs: f64,
    task: Option<u32>,
    step: &'static str,
    text: &'a str,
}

/// Writes `step`, which happened `at`, as marked text (dim when `color`),
/// wrapped to `columns` when known with the mark on every line, or, with
/// `ndjson`, as one NDJSON object.
pub(crate) fn write_step(
    out: &mut dyn Write,
    at: Duration,
    step: &Step,
    ndjson: bool,
    color: bool,
    columns: Option<usize>,
) -> io::Result<()> {
    let words = step.words();
    if ndjson {
        let line = ExplainLine {
            kind: "explain",
            t_secs: at.as_secs_f64(),
            task: step.task(),
            step: step.kind(),
            text: &words,
        };
        serde_json::to_writer(&mut *out, &line)?;
        return out.write_all(b"\n");
    }
    // One write for the step, so that no task line lands inside it.
    let mut text = String::new();
    for line in crate::wrap::hanging(&words, MARK, MARK, columns) {
        if color {
            let dim = anstyle::Style::new().dimmed();
            text.push_str(&format!("{dim}{line}{dim:#}\n"));
        } else {
            text.push_str(&line);
            text.push('\n');
        }
    }
    out.write_all(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_is_one_marked_line_or_one_json_object() {
        let step = Step::Pending {
            task: 2,
            took: Duration::from_micros(12),
            awaits: Awaits::Timer(Duration::from_secs(1)),
            driver: Driver::Joined(Runtime::CurrentThread),
        };
        let mut text = Vec::new();
        write_step(&mut text, Duration::ZERO, &step, false, false, None).unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "  │ task 2's poll returns Pending after 0.012 ms: its timer is registered, \
             and the thread goes back to join_all.\n"
        );
        let mut json = Vec::new();
        write_step(
            &mut json,
            Duration::from_micros(5),
            &step,
            true,
            false,
            Some(40),
        )
        .unwrap();
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value["type"], "explain");
        assert_eq!(value["task"], 2);
        assert_eq!(value["step"], "pending");
        assert_eq!(value["t_secs"], 0.000005);
        assert!(value["text"].as_str().unwrap().starts_with("task 2's poll"));
        // Given a width, the step wraps, the mark on every line.
        let mut text = Vec::new();
        write_step(&mut text, Duration::ZERO, &step, false, false, Some(40)).unwrap();
        let text = String::from_utf8(text).unwrap();
        assert!(text.lines().count() >= 3, "{text}");
        assert!(
            text.lines()
                .all(|l| l.starts_with(MARK) && crate::wrap::width(l) <= 40),
            "{text}"
        );
    }

    /// A line from outside (a server's reason phrase) is quoted escaped.
    #[test]
    fn a_printed_line_is_escaped() {
        let step = Step::Awaits {
            task: 1,
            printed: "fetch 1 \u{1b}[2J".into(),
            awaits: Awaits::Request,
        };
        assert!(!step.words().contains('\u{1b}'));
    }

    #[test]
    fn a_held_thread_is_said_with_its_call_and_time() {
        let step = Step::Held {
            task: 1,
            call: Call::Sleep(Duration::from_secs(1)),
            held: Duration::from_millis(1002),
            thread: 1,
            driver: Driver::Joined(Runtime::CurrentThread),
        };
        let words = step.words();
        assert!(words.contains("std::thread::sleep(1s) returned after 1002.000 ms"));
        assert!(words.contains("inside task 1's poll"));
        assert!(words.contains("no Pending"));
    }
}
