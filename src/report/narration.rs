//! The words of `--explain`: every sentence the narration can say, in one
//! place, as pure functions of what happened.
//!
//! The narrator (`crate::narrate`) watches the run's events and decides
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

/// Who calls a task's `poll`: what drives the tasks, as the narration
/// tells it (the thread lanes' `report::lanes::Driver` draws threads by
/// role and needs no worker count).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Poller {
    /// One `join_all`, polled by `block_on`, polls every coroutine.
    Joined(Runtime),
    /// Each coroutine is a tokio task of its own (`--spawn`).
    Spawned(Runtime),
    /// No executor: an OS thread per task (`--mode threads`).
    Threads,
}

impl Poller {
    /// Who calls a task's `poll`.
    fn name(self) -> &'static str {
        match self {
            Poller::Joined(_) => "join_all",
            Poller::Spawned(_) => "tokio's scheduler",
            Poller::Threads => "its thread's block_on",
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

/// What a task's wait had observed of its call at a moment: by the time
/// its poll returned `Pending`, or its waker was called. `Nothing` where
/// the wait tells nothing of its own (a timer, a socket), or where a
/// recording past its cut-off kept no such steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum CallSeen {
    #[default]
    Nothing,
    /// Its call was handed to the blocking pool, and no pool thread has
    /// begun it yet.
    PoolQueued,
    /// Blocking-pool thread `thread` began its call.
    PoolRunning { thread: u32 },
    /// Its query asked for a connection when `busy` of the driver's
    /// `connections` were taken, and no connection has taken it yet.
    QueryQueued { busy: u32, connections: u32 },
    /// Connection `connection` took its query.
    QuerySent { connection: u32 },
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

    /// What wakes a task that awaits this, and who calls its waker, given
    /// what its call had shown by then (`seen`).
    fn waker(self, seen: CallSeen) -> (&'static str, &'static str) {
        match (self, seen) {
            (Awaits::Timer(_), _) => ("its timer", "tokio's timer driver called its waker"),
            (Awaits::Request, _) => ("its HTTP request", "tokio's I/O driver saw its socket move"),
            (Awaits::Query(true), CallSeen::QuerySent { .. }) => {
                ("its query", "tokio's I/O driver saw the server's answer")
            }
            (Awaits::Query(false), CallSeen::QuerySent { .. }) => {
                ("its query", "its connection's thread sent the answer")
            }
            (Awaits::Query(_), CallSeen::QueryQueued { busy, connections })
                if busy >= connections =>
            {
                (
                    "its query",
                    "a connection came free; its query was not sent yet",
                )
            }
            (Awaits::Query(_), CallSeen::QueryQueued { .. }) => (
                "its query",
                "the connection being opened for it moved on; its query was not sent yet",
            ),
            (Awaits::Query(true), _) => (
                "its query",
                "tokio's I/O driver saw the server's answer, or a connection came free",
            ),
            (Awaits::Query(false), _) => (
                "its query",
                "its connection's thread sent the answer, or a connection came free",
            ),
            (Awaits::Pool(_), _) => (
                "its call",
                "the blocking-pool thread that finished it called its waker",
            ),
            (Awaits::InPlace(_), _) => ("its waker", "somebody called it"),
            (Awaits::Yielding(_), _) => (
                "yield_now",
                "the scheduler called the waker that yield_now had deferred, once it had no \
                 other task ready and had polled its timer and I/O drivers",
            ),
        }
    }

    /// What a `Pending` leaves behind, from what the call had shown by
    /// then (`seen`).
    fn registered(self, seen: CallSeen) -> String {
        match (self, seen) {
            (Awaits::Timer(_), _) => "its timer is registered".into(),
            (Awaits::Request, _) => "its socket is registered with tokio's I/O driver".into(),
            (Awaits::Query(_), CallSeen::QueryQueued { busy, connections })
                if busy >= connections =>
            {
                match connections {
                    1 => "its query is queued: the one connection is busy".into(),
                    _ => format!("its query is queued: all {connections} connections are busy"),
                }
            }
            (Awaits::Query(_), CallSeen::QueryQueued { busy, connections }) => format!(
                "a connection was free when its query asked ({busy} of {connections} busy), \
                 but none has taken the query yet"
            ),
            (Awaits::Query(true), CallSeen::QuerySent { connection }) => {
                format!("its query was sent to the server on connection {connection}")
            }
            (Awaits::Query(false), CallSeen::QuerySent { connection }) => {
                format!("its query went to connection {connection}'s thread")
            }
            (Awaits::Query(true), _) => {
                "its query went to the server, or it waits for a connection".into()
            }
            (Awaits::Query(false), _) => {
                "its query went to its connection's thread, or it waits for a connection".into()
            }
            (Awaits::Pool(_), CallSeen::PoolQueued) => {
                "its call waits in the blocking pool's queue: no pool thread has begun it yet"
                    .into()
            }
            (Awaits::Pool(_), CallSeen::PoolRunning { thread }) => {
                format!("its call runs on blocking-pool thread {thread}")
            }
            (Awaits::Pool(_), _) => "its call runs on a blocking-pool thread".into(),
            (Awaits::InPlace(_), _) => "it waits for a wake-up".into(),
            // tokio's `yield_now` does not wake the task: it hands the
            // waker to the scheduler's defer list (`context::defer`), which
            // the scheduler wakes only after it has polled its drivers.
            (Awaits::Yielding(_), _) => "yield_now gave the thread up after a slice of work and \
                                         handed its waker to the scheduler, which defers it \
                                         until no other task is ready and it has polled its \
                                         timer and I/O drivers"
                .into(),
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

/// Who had a ready task's thread while the task waited for it, from what
/// was observed on that thread during the wait.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Meanwhile {
    /// One narrated task's poll, and nothing else observed: it held the
    /// thread for `held` of the wait.
    Poll { task: u32, held: Duration },
    /// Several polls: the narrated tasks' (with the part of the wait each
    /// took), and `others` polls of the tasks not narrated.
    Polls {
        tasks: Vec<(u32, Duration)>,
        others: u64,
    },
    /// No poll: the thread was parked, and woke up `woke` into the wait.
    Parked { woke: Duration },
}

/// A timer whose deadline passed while no runtime thread was parked to
/// fire it: the task-state model's *overdue* span.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Overdue {
    /// How long it had been overdue.
    pub(crate) late: Duration,
    /// The thread that polled the task, and the narrated task whose poll
    /// holds that thread, if one does.
    pub(crate) thread: u32,
    pub(crate) holder: Option<u32>,
    /// Whether that thread is the runtime's only one (current-thread):
    /// then it alone can fire the timer.
    pub(crate) alone: bool,
}

/// One step of the narration, with what was measured.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Step {
    /// Who drives the tasks; said once, before anything else.
    Intro {
        poller: Poller,
        tasks: u32,
        narrated: u32,
    },
    /// `poll` is called; `ready_for` is how long the task had been ready,
    /// waiting for the thread: since its wake-up, or for its first poll
    /// since the start (every task of a runtime is made ready at once);
    /// `meanwhile`, who had the thread then.
    Polled {
        task: u32,
        poller: Poller,
        thread: u32,
        again: bool,
        ready_for: Option<Duration>,
        meanwhile: Option<Meanwhile>,
    },
    /// The task printed `printed` and now awaits `awaits`.
    Awaits {
        task: u32,
        printed: String,
        awaits: Awaits,
    },
    /// `poll` returned `Pending` after `took`, its call as `seen`.
    Pending {
        task: u32,
        took: Duration,
        awaits: Awaits,
        seen: CallSeen,
        poller: Poller,
    },
    /// A blocking call returned after `held`, inside the poll that made it
    /// (or on the task's own OS thread, under `Poller::Threads`).
    Held {
        task: u32,
        call: Call,
        held: Duration,
        thread: u32,
        poller: Poller,
    },
    /// The task's wait failed (a fetch refused).
    Failed { task: u32, after: Duration },
    /// The waker was called, `after` the task's `Pending`; `overdue`, when
    /// its timer was overdue before that.
    Woken {
        task: u32,
        awaits: Awaits,
        seen: CallSeen,
        thread: u32,
        after: Option<Duration>,
        overdue: Option<Overdue>,
    },
    /// After its `Pending`, a blocking-pool thread began the task's call,
    /// `queued` after it was handed to the pool.
    PoolStarted {
        task: u32,
        thread: u32,
        queued: Duration,
    },
    /// After its `Pending`, connection `connection` took the task's query,
    /// `queued` after it asked for a connection.
    QuerySent {
        task: u32,
        connection: u32,
        queued: Duration,
        postgres: bool,
    },
    /// The run stalled while the task's timer was overdue.
    Overdue { task: u32, overdue: Overdue },
    /// The run stalled before the task's first poll: it was ready since
    /// the start, `waited`, and the narrated task `holder`'s poll holds
    /// the thread that polls the tasks (`thread`), if one does.
    NeverPolled {
        task: u32,
        waited: Duration,
        thread: u32,
        holder: Option<u32>,
    },
    /// `poll` returned `Ready` after `took`: the task is done.
    Ready {
        task: u32,
        took: Duration,
        whole: bool,
    },
    /// Under `Poller::Threads`: the coroutine ended, and its thread with it.
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
        poller: Poller,
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
            Step::PoolStarted { .. } => "pool-started",
            Step::QuerySent { .. } => "query-sent",
            Step::Overdue { .. } => "overdue",
            Step::NeverPolled { .. } => "never-polled",
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
            | Step::PoolStarted { task, .. }
            | Step::QuerySent { task, .. }
            | Step::Overdue { task, .. }
            | Step::NeverPolled { task, .. }
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

    /// The sentence: one function per kind of step.
    pub(crate) fn words(&self) -> String {
        match *self {
            Step::Intro {
                poller,
                tasks,
                narrated,
            } => intro(poller, tasks, narrated),
            Step::Polled {
                task,
                poller,
                thread,
                again,
                ready_for,
                ref meanwhile,
            } => polled(task, poller, thread, again, ready_for, meanwhile.as_ref()),
            Step::Awaits {
                task,
                ref printed,
                awaits,
            } => awaits_words(task, printed, awaits),
            Step::Pending {
                task,
                took,
                awaits,
                seen,
                poller,
            } => format!(
                "task {task}'s poll returns Pending after {}: {}, and the thread goes back to {}.",
                ms(took),
                awaits.registered(seen),
                poller.name()
            ),
            Step::Held {
                task,
                call,
                held,
                thread,
                poller,
            } => held_words(task, call, held, thread, poller),
            Step::Failed { task, after } => {
                format!("task {task}'s wait failed after {}.", ms(after))
            }
            Step::Woken {
                task,
                awaits,
                seen,
                thread,
                after,
                overdue,
            } => woken(task, awaits.waker(seen), thread, after, overdue),
            Step::PoolStarted {
                task,
                thread,
                queued,
            } => format!(
                "task {task}'s call starts on blocking-pool thread {thread}, {} after it was \
                 handed to the pool: until then it was queued in the pool.",
                ms(queued)
            ),
            Step::QuerySent {
                task,
                connection,
                queued,
                postgres,
            } => query_sent(task, connection, queued, postgres),
            Step::Overdue { task, overdue } => overdue_words(task, overdue),
            Step::NeverPolled {
                task,
                waited,
                thread,
                holder,
            } => never_polled(task, waited, thread, holder),
            Step::Ready { task, took, whole } => ready(task, took, whole),
            Step::ThreadDone { task, thread } => format!(
                "task {task} prints its last line, then its coroutine is Ready: task {task} is \
                 done, and thread {thread} ends."
            ),
            Step::Parks {
                thread,
                awaits,
                caller,
            } => parks(thread, awaits, caller),
            Step::Unparks {
                thread,
                at,
                parked,
                caller,
            } => unparks(thread, at, parked, caller),
            Step::Slices { task } => format!(
                "task {task} goes on the same way, slice after slice (not told one by one): \
                 the tasks' loops take turns on the thread, so each takes as long as all of \
                 them together."
            ),
            Step::LockAsked { task, lock, holder } => lock_asked(task, lock, holder),
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
            } => rest(first, last, finished, polls, parks),
            Step::Finished { at, tasks, poller } => finished(at, tasks, poller),
        }
    }
}

/// Who drives the tasks, and which are narrated.
fn intro(poller: Poller, tasks: u32, narrated: u32) -> String {
    let coroutines = plural(tasks, "coroutine");
    let who = match poller {
        Poller::Joined(Runtime::CurrentThread) => format!(
            "join_all polls its {coroutines} itself, inside one tokio task, \
             on the runtime's one thread (Python's gather would wrap each coroutine \
             in a Task of its own)."
        ),
        Poller::Joined(Runtime::MultiThread(workers)) => format!(
            "join_all polls its {coroutines} itself, inside one future that \
             block_on polls on the calling thread, which is none of the runtime's \
             {workers} workers (Python's gather would wrap each coroutine in a Task \
             of its own)."
        ),
        Poller::Spawned(Runtime::CurrentThread) => format!(
            "each of the {coroutines} is spawned as a tokio task of its own, like a \
             Task that gather makes; tokio's scheduler polls them on the runtime's \
             one thread."
        ),
        Poller::Spawned(Runtime::MultiThread(workers)) => format!(
            "each of the {coroutines} is spawned as a tokio task of its own, like a \
             Task that gather makes; tokio's scheduler polls them on its {workers} \
             worker threads."
        ),
        Poller::Threads => format!(
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

/// `poll` is called, with how long the task waited for it, and who had the
/// thread meanwhile.
fn polled(
    task: u32,
    poller: Poller,
    thread: u32,
    again: bool,
    ready_for: Option<Duration>,
    meanwhile: Option<&Meanwhile>,
) -> String {
    let poller = poller.name();
    let why = meanwhile.map(meanwhile_words).unwrap_or_default();
    match (again, ready_for) {
        (false, Some(ready)) => format!(
            "{poller} polls task {task} (on thread {thread}) for the first time: it \
             waited {}, ready since the start, for the thread{why}.",
            ms(ready)
        ),
        (false, None) => format!("{poller} polls task {task} (on thread {thread})."),
        (true, Some(ready)) => format!(
            "{poller} polls task {task} again (on thread {thread}): it waited {}, \
             ready, for the thread{why}.",
            ms(ready)
        ),
        (true, None) => format!("{poller} polls task {task} again (on thread {thread})."),
    }
}

/// The clause after "waited ..., for the thread": who had it.
fn meanwhile_words(meanwhile: &Meanwhile) -> String {
    match meanwhile {
        Meanwhile::Poll { task, held } => {
            format!(": task {task}'s poll held it for {} of that", ms(*held))
        }
        Meanwhile::Polls { tasks, others } => {
            let mut parts: Vec<String> = tasks
                .iter()
                .map(|(task, took)| format!("task {task} ({})", ms(*took)))
                .collect();
            if *others > 0 {
                parts.push(format!("the tasks not narrated {}", plural64(*others)));
            }
            format!(", which polled {} meanwhile", and_list(&parts))
        }
        Meanwhile::Parked { woke } => {
            format!(", which was parked and woke up {} into the wait", ms(*woke))
        }
    }
}

/// What the task printed, and what it now awaits.
fn awaits_words(task: u32, printed: &str, awaits: Awaits) -> String {
    match awaits {
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
    }
}

/// A blocking call returned: whose thread it held.
fn held_words(task: u32, call: Call, held: Duration, thread: u32, poller: Poller) -> String {
    match poller {
        Poller::Threads => format!(
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
    }
}

/// The waker was called: by whom, and whether the timer was overdue.
fn woken(
    task: u32,
    (what, who): (&str, &str),
    thread: u32,
    after: Option<Duration>,
    overdue: Option<Overdue>,
) -> String {
    let late = match overdue {
        Some(Overdue { late, .. }) => format!(
            " Its deadline had passed {} before that: the timer was overdue, since tokio's \
             timer driver runs only when a runtime thread parks or looks at it between \
             polls, and no thread had parked.",
            ms(late)
        ),
        None => String::new(),
    };
    match after {
        Some(after) => format!(
            "task {task} is woken by {what}, {} after its Pending ({who}, on \
             thread {thread}): it is ready, and waits for the thread.{late}",
            ms(after)
        ),
        None => format!(
            "task {task} is woken by {what} while it is being polled ({who}, on \
             thread {thread}).{late}"
        ),
    }
}

/// A queued query was taken by its connection.
fn query_sent(task: u32, connection: u32, queued: Duration, postgres: bool) -> String {
    let whose = if postgres {
        format!("sent to the server on connection {connection}")
    } else {
        format!("taken by connection {connection}'s thread")
    };
    format!(
        "task {task}'s query is {whose}, {} after it asked for a connection: until then \
         it was queued.",
        ms(queued)
    )
}

/// A timer still overdue when the run stalled.
fn overdue_words(task: u32, overdue: Overdue) -> String {
    let Overdue {
        late,
        thread,
        holder,
        alone,
    } = overdue;
    let who = if alone {
        format!("thread {thread}")
    } else {
        "a runtime thread".into()
    };
    let held = match (holder, alone) {
        (Some(holder), _) => {
            format!("task {holder} holds thread {thread} in a poll that has not returned")
        }
        (None, true) => "it has not parked since".into(),
        (None, false) => "none has parked since".into(),
    };
    format!(
        "task {task}'s deadline passed {} ago, and nobody has fired its timer: the timer \
         driver runs only when {who} parks or looks at it between polls, and {held}. \
         Task {task} is overdue, not ready: its waker has not been called.",
        secs(late)
    )
}

/// A task the run stalled before it was ever polled.
fn never_polled(task: u32, waited: Duration, thread: u32, holder: Option<u32>) -> String {
    let why = match holder {
        Some(holder) => {
            format!(": task {holder} holds thread {thread} in a poll that has not returned")
        }
        None => String::new(),
    };
    format!(
        "task {task} has waited {}, ready since the start, and was never polled{why}.",
        ms(waited)
    )
}

/// `poll` returned `Ready`.
fn ready(task: u32, took: Duration, whole: bool) -> String {
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

/// A runtime thread (or `block_on`'s caller) goes to sleep.
fn parks(thread: u32, awaits: Awaits, caller: bool) -> String {
    if caller {
        return format!(
            "thread {thread} waits in block_on: join_all returned Pending, since every \
             task it polls is waiting, and the thread sleeps until one is woken."
        );
    }
    format!(
        "thread {thread} parks: no task is ready, so it sleeps {}.",
        awaits.park_until()
    )
}

/// ... and wakes up with work to do.
fn unparks(thread: u32, at: Duration, parked: Duration, caller: bool) -> String {
    if caller {
        return format!(
            "thread {thread} is back in block_on at {}, after {} waiting, to poll \
             join_all again.",
            secs(at),
            ms(parked)
        );
    }
    format!(
        "thread {thread} wakes up at {}, after {} parked, to poll what was woken.",
        secs(at),
        ms(parked)
    )
}

/// A task of the `lock` demo asks for the lock.
fn lock_asked(task: u32, lock: LockKind, holder: Option<u32>) -> String {
    match (lock, holder) {
        (LockKind::Std, Some(holder)) => format!(
            "task {task} asks for the lock: std's lock() blocks the thread (no Pending): \
             task {holder}, which holds the guard across its .await, can never be polled \
             again."
        ),
        (lock, Some(holder)) => format!(
            "task {task} asks for the lock: it is held by task {holder}, so \
             {}'s lock().await returns Pending and the thread is free.",
            lock.type_name()
        ),
        (LockKind::Std, None) => format!(
            "task {task} asks for the lock: std's lock() finds it free and returns the \
             guard at once."
        ),
        (_, None) => {
            format!("task {task} asks for the lock: it is free, so lock().await is Ready at once.")
        }
    }
}

/// The tasks that were not narrated, summed up.
fn rest(
    first: u32,
    last: u32,
    finished: u32,
    polls: Option<(u64, u64, Duration)>,
    parks: u32,
) -> String {
    let mut words =
        format!("tasks {first} to {last} were not narrated: {finished} of them finished");
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

/// Every task is done.
fn finished(at: Duration, tasks: u32, poller: Poller) -> String {
    let how = match poller {
        Poller::Joined(_) => ": join_all returns Ready, and so does block_on",
        Poller::Spawned(_) => ": every JoinHandle is Ready, and block_on returns",
        Poller::Threads => ": every thread has been joined",
    };
    let all = match tasks {
        1 => "the 1 task is".to_owned(),
        _ => format!("all {tasks} tasks are"),
    };
    format!("{all} done at {}{how}.", secs(at))
}

/// `3 times`, `once`.
fn plural64(n: u64) -> String {
    match n {
        1 => "once".into(),
        _ => format!("{n} times"),
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
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
            seen: CallSeen::Nothing,
            poller: Poller::Joined(Runtime::CurrentThread),
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
            poller: Poller::Joined(Runtime::CurrentThread),
        };
        let words = step.words();
        assert!(words.contains("std::thread::sleep(1s) returned after 1002.000 ms"));
        assert!(words.contains("inside task 1's poll"));
        assert!(words.contains("no Pending"));
    }
}

#[cfg(test)]
mod words {
    //! The new sentences on made-up steps: each says exactly what its step
    //! holds.
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    const JOINED: Poller = Poller::Joined(Runtime::CurrentThread);

    fn polled(meanwhile: Option<Meanwhile>) -> String {
        Step::Polled {
            task: 2,
            poller: JOINED,
            thread: 1,
            again: false,
            ready_for: Some(ms(201)),
            meanwhile,
        }
        .words()
    }

    #[test]
    fn a_ready_wait_names_who_had_the_thread() {
        assert_eq!(
            polled(Some(Meanwhile::Poll {
                task: 1,
                held: ms(200)
            })),
            "join_all polls task 2 (on thread 1) for the first time: it waited 201.000 ms, \
             ready since the start, for the thread: task 1's poll held it for 200.000 ms of \
             that."
        );
        let several = polled(Some(Meanwhile::Polls {
            tasks: vec![(1, ms(2)), (3, ms(4))],
            others: 5,
        }));
        assert!(
            several.ends_with(
                "for the thread, which polled task 1 (2.000 ms), task 3 (4.000 ms) and the \
                 tasks not narrated 5 times meanwhile."
            ),
            "{several}"
        );
        let only_others = polled(Some(Meanwhile::Polls {
            tasks: Vec::new(),
            others: 1,
        }));
        assert!(
            only_others.ends_with("which polled the tasks not narrated once meanwhile."),
            "{only_others}"
        );
        let parked = polled(Some(Meanwhile::Parked { woke: ms(3) }));
        assert!(
            parked.ends_with("which was parked and woke up 3.000 ms into the wait."),
            "{parked}"
        );
        // Nothing observed: nothing said.
        assert!(polled(None).ends_with("ready since the start, for the thread."));
    }

    #[test]
    fn an_overdue_timer_names_the_thread_and_who_holds_it() {
        let step = Step::Overdue {
            task: 1,
            overdue: Overdue {
                late: ms(700),
                thread: 1,
                holder: Some(2),
                alone: true,
            },
        };
        assert_eq!(
            step.words(),
            "task 1's deadline passed 0.700 s ago, and nobody has fired its timer: the timer \
             driver runs only when thread 1 parks or looks at it between polls, and task 2 \
             holds thread 1 in a poll that has not returned. Task 1 is overdue, not ready: its \
             waker has not been called."
        );
        let many = Step::Overdue {
            task: 3,
            overdue: Overdue {
                late: ms(50),
                thread: 2,
                holder: None,
                alone: false,
            },
        }
        .words();
        assert!(
            many.contains("only when a runtime thread parks") && many.contains("none has parked"),
            "{many}"
        );
        let woken = Step::Woken {
            task: 1,
            awaits: Awaits::Timer(ms(5)),
            seen: CallSeen::Nothing,
            thread: 1,
            after: Some(ms(11)),
            overdue: Some(Overdue {
                late: ms(5),
                thread: 1,
                holder: None,
                alone: true,
            }),
        }
        .words();
        assert!(
            woken.ends_with(
                "Its deadline had passed 5.000 ms before that: the timer was overdue, since \
                 tokio's timer driver runs only when a runtime thread parks or looks at it \
                 between polls, and no thread had parked."
            ),
            "{woken}"
        );
    }

    fn pending(awaits: Awaits, seen: CallSeen) -> String {
        Step::Pending {
            task: 3,
            took: ms(1),
            awaits,
            seen,
            poller: JOINED,
        }
        .words()
    }

    #[test]
    fn a_pending_says_what_its_call_showed() {
        let sqlite = Awaits::Query(false);
        let queued = CallSeen::QueryQueued {
            busy: 2,
            connections: 2,
        };
        assert!(
            pending(sqlite, queued).contains(": its query is queued: all 2 connections are busy,")
        );
        let one = CallSeen::QueryQueued {
            busy: 1,
            connections: 1,
        };
        assert!(pending(sqlite, one).contains("the one connection is busy"));
        let free = CallSeen::QueryQueued {
            busy: 0,
            connections: 2,
        };
        assert!(
            pending(sqlite, free)
                .contains("a connection was free when its query asked (0 of 2 busy)")
        );
        let sent = CallSeen::QuerySent { connection: 1 };
        assert!(pending(sqlite, sent).contains("its query went to connection 1's thread"));
        assert!(
            pending(Awaits::Query(true), sent)
                .contains("its query was sent to the server on connection 1")
        );
        let pool = Awaits::Pool(Call::Sleep(ms(300)));
        assert!(pending(pool, CallSeen::PoolQueued).contains("waits in the blocking pool's queue"));
        assert!(
            pending(pool, CallSeen::PoolRunning { thread: 4 })
                .contains("its call runs on blocking-pool thread 4")
        );
        let yielded = pending(Awaits::Yielding(ms(5)), CallSeen::Nothing);
        assert!(
            yielded.contains("handed its waker to the scheduler, which defers it")
                && !yielded.contains("at once"),
            "{yielded}"
        );
    }

    #[test]
    fn a_queued_call_is_told_when_it_starts() {
        assert_eq!(
            Step::PoolStarted {
                task: 3,
                thread: 2,
                queued: ms(300),
            }
            .words(),
            "task 3's call starts on blocking-pool thread 2, 300.000 ms after it was handed to \
             the pool: until then it was queued in the pool."
        );
        assert_eq!(
            Step::QuerySent {
                task: 3,
                connection: 1,
                queued: ms(200),
                postgres: false,
            }
            .words(),
            "task 3's query is taken by connection 1's thread, 200.000 ms after it asked for a \
             connection: until then it was queued."
        );
        let woken = |seen| {
            Step::Woken {
                task: 3,
                awaits: Awaits::Query(false),
                seen,
                thread: 2,
                after: Some(ms(200)),
                overdue: None,
            }
            .words()
        };
        assert!(
            woken(CallSeen::QuerySent { connection: 1 })
                .contains("(its connection's thread sent the answer, on thread 2)")
        );
        assert!(
            woken(CallSeen::QueryQueued {
                busy: 2,
                connections: 2
            })
            .contains("(a connection came free; its query was not sent yet, on thread 2)")
        );
    }
}
