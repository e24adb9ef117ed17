//! The words of `--explain`: every sentence the narration can say, in one
//! place, as pure functions of what happened.
//!
//! The narrator (`crate::narrate`) watches the run's events and decides
//! *which* [`Step`] happened, with the times it measured; this module only
//! says it, in words a reader of the Python asyncio notes recognises, as a
//! marked text line or as an NDJSON object of type `explain`. A new kind of
//! step (a lock that blocks, say) is one more variant here and one more
//! arm in the narrator's match.

mod awaits;

use crate::vocab::LockKind;

use crate::config::Runtime;
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

pub(crate) use awaits::{Awaits, Call, CallSeen, Poller};

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
        poller: Poller,
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
        /// The call was made inside `block_in_place`.
        in_block_in_place: bool,
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
                poller,
            } => awaits_words(task, printed, awaits, poller),
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
                in_block_in_place,
            } => held_words(task, call, held, thread, poller, in_block_in_place),
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
fn awaits_words(task: u32, printed: &str, awaits: Awaits, poller: Poller) -> String {
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
        // tokio's `block_in_place` (multi_thread/worker.rs) takes the
        // worker's core off this thread and starts a thread from the
        // blocking pool to run it, before it calls the closure; on
        // `block_on`'s thread it finds no core and just calls it.
        Awaits::BlockInPlace(call) => match poller {
            Poller::Spawned(_) => format!(
                "task {task} printed {} and calls {} inside tokio::task::block_in_place: \
                 tokio first hands this worker's core (its run queue and drivers) to another \
                 thread, so the other tasks can still be polled while this thread is held.",
                quoted(printed),
                call.name()
            ),
            _ => format!(
                "task {task} printed {} and calls {} inside tokio::task::block_in_place: on \
                 block_on's thread there is no worker core to hand away, so it simply \
                 blocks, right inside the coroutine.",
                quoted(printed),
                call.name()
            ),
        },
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
fn held_words(
    task: u32,
    call: Call,
    held: Duration,
    thread: u32,
    poller: Poller,
    in_block_in_place: bool,
) -> String {
    match poller {
        Poller::Spawned(_) if in_block_in_place => format!(
            "{} returned after {}, inside block_in_place in task {task}'s poll (no \
             Pending): all that time it held thread {thread}, but the worker's core had \
             moved to another thread, where the other tasks could still be polled.",
            call.name(),
            ms(held)
        ),
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
mod tests;

#[cfg(test)]
mod words;
