//! The run's events: one stream, followed by whoever asked, while the run goes.
//!
//! A run is a story told in a few kinds of event: a task printed a line, a
//! wait began and ended, a task was polled, a runtime thread parked and
//! woke. Several parts of the program follow that story *during* the run:
//! the recorder that keeps it for the pictures drawn afterwards, the
//! `--trace` writer that streams it into a file, and `--slow-poll`'s watch,
//! which names a task while it still holds its thread. Each of them is a
//! follower of the one stream; none of them is wired into the tasks by hand.
//!
//! # Two lanes, by how often an event happens
//!
//! - **Ordered events** ([`RunEvent`]: lines, waits, thread parks) happen a
//!   few times per task. The sink hands them to every [`Follower`] under the
//!   lock that every task line already takes, so a follower sees them in
//!   exactly the order the lines reach the output, and may write through the
//!   same writer, between the demo's lines. A narration of the run (text
//!   interleaved with the lines on stdout) needs exactly that.
//! - **Polls** ([`PollFollower`]) happen at every poll of every task: two
//!   million times in a million-task run, and at the very moment a blocking
//!   task holds its thread. They are not worth a lock each. A poll follower
//!   is called on the polling thread, through `&self`, and publishes what it
//!   saw into atomics or other shared state; `--slow-poll`'s watch stores a
//!   stamp per thread. A narration that wants polls in order with the lines
//!   can still forward them into the ordered lane for the few tasks it tells.
//!
//! # Following from another thread
//!
//! Some followers must look at the run *while nothing happens*: the
//! `--slow-poll` warning is due while a blocking poll is still in progress,
//! and a live view of the run must keep redrawing while a blocking task holds
//! the runtime thread, which is the moment the learner must see. Such a
//! follower publishes into shared state (atomics, or a small `Mutex` it owns
//! and takes only briefly), and a [`Ticker`] thread reads that state at its
//! own steady rate: every few milliseconds for the watchdog, about 25 times
//! a second for a view on the terminal. Redrawing per event instead would
//! redraw a million times for a million tasks, and not at all while the
//! thread is held.
//!
//! # Nothing when nobody listens
//!
//! A run without followers takes none of these paths: the sink keeps no
//! follower and counts its lines without the lock, the runtime gets no park
//! hook, and the tasks are the plain coroutines, not wrapped for polls
//! (`run` chooses their type once, so not even a branch per poll remains).

use crate::limits;
use crate::vocab::{Event, LockKind, Park};
use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// One ordered event of a run, handed to every [`Follower`] in the order it
/// happened.
///
/// For task `id`, the events come as: `Line` (first), `WaitBegan`, and
/// later `WaitEnded`, `Line` (last). A `Line` is handed out just *before*
/// its text is written, so a follower that fails (the trace file's disk is
/// full) stops the run before that line, as one error stops it anywhere
/// else. Thread events come from the runtime's park hooks, whenever a
/// runtime thread goes idle or wakes.
///
/// The same type serves a run and its replay: the run lends each line's
/// text (`Cow::Borrowed`, no copy on the hot path), and a recording read
/// back owns its events (`RunEvent<'static>`, each text its own or the
/// demo's) and tells them to the same followers.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RunEvent<'a> {
    /// A task is printing one of its two lines, whose text is `text`.
    Line {
        /// When, which task, which line, on which thread.
        event: Event,
        /// The words, without the newline (`One`, `... fetch 2: 200 OK`).
        text: Cow<'a, str>,
    },
    /// A task has printed its first line and begins its wait.
    WaitBegan {
        /// Time since the start of the run.
        at: Duration,
        /// The task, numbered from 1.
        task: u32,
        /// The OS thread it waits on (the one it printed on).
        thread: u32,
    },
    /// A task's wait is over; its last line follows unless `failed`.
    WaitEnded {
        /// Time since the start of the run.
        at: Duration,
        /// The task, numbered from 1.
        task: u32,
        /// The OS thread it resumed on.
        thread: u32,
        /// Whether the wait failed (a fetch refused): the task then prints
        /// why instead of its last line.
        failed: bool,
    },
    /// A runtime thread went idle, or woke up.
    Thread(Park),
    /// A step of one task's polls: only under `--explain`, and only for the
    /// few tasks it narrates (see [`PollStep`]).
    Poll {
        /// Time since the start of the run.
        at: Duration,
        /// The task, numbered from 1.
        task: u32,
        /// The OS thread it happened on: the polling thread, or for a
        /// wake-up the thread that called the waker.
        thread: u32,
        /// What happened.
        step: PollStep,
    },
    /// A task of the `lock` demo asked for the shared lock, got it, or
    /// released it. Asked and got come before the task's first line,
    /// released after its last.
    Lock {
        /// Time since the start of the run.
        at: Duration,
        /// The task, numbered from 1.
        task: u32,
        /// The OS thread it runs on.
        thread: u32,
        /// Which step this is.
        step: LockStep,
        /// Which lock: with `std`, asking means calling a `lock()` that
        /// blocks the thread when the lock is taken (it never returns
        /// `Pending`); with `tokio`, awaiting one that gives the thread back.
        lock: LockKind,
        /// The task holding the guard at that moment (for `Asked`: the task
        /// it must wait for), if any.
        holder: Option<u32>,
    },
    /// The thread that called `block_on` on a multi-thread runtime, which is
    /// none of its workers and so has no park hook, starts waiting (the
    /// future it polls returned `Pending`) or is back to poll it: only
    /// under `--explain`.
    Caller {
        /// Time since the start of the run.
        at: Duration,
        /// The calling thread.
        thread: u32,
        /// `true` when it starts waiting, `false` when it is back.
        waiting: bool,
    },
    /// Every task has been driven to its end (the run was not stopped):
    /// the last event of a run, just before its summary.
    Finished {
        /// Time since the start of the run.
        at: Duration,
    },
    /// The run ends without its tasks finishing, because nothing moved any
    /// more (the `lock` demo's deadlock): the last event of such a run,
    /// instead of `Finished`.
    Stalled {
        /// Time since the start of the run.
        at: Duration,
    },
}

impl RunEvent<'_> {
    /// When it happened, since the start of the run.
    pub(crate) fn at(&self) -> Duration {
        match self {
            RunEvent::Line { event, .. } => event.at,
            RunEvent::Thread(park) => park.at,
            RunEvent::WaitBegan { at, .. }
            | RunEvent::WaitEnded { at, .. }
            | RunEvent::Poll { at, .. }
            | RunEvent::Lock { at, .. }
            | RunEvent::Caller { at, .. }
            | RunEvent::Finished { at }
            | RunEvent::Stalled { at } => *at,
        }
    }

    /// The task it concerns; `None` for a thread's or the run's own.
    pub(crate) fn task(&self) -> Option<u32> {
        match self {
            RunEvent::Line { event, .. } => Some(event.task),
            RunEvent::WaitBegan { task, .. }
            | RunEvent::WaitEnded { task, .. }
            | RunEvent::Poll { task, .. }
            | RunEvent::Lock { task, .. } => Some(*task),
            RunEvent::Thread(_)
            | RunEvent::Caller { .. }
            | RunEvent::Finished { .. }
            | RunEvent::Stalled { .. } => None,
        }
    }

    /// The OS thread it happened on; `None` for the run's own.
    pub(crate) fn thread(&self) -> Option<u32> {
        match self {
            RunEvent::Line { event, .. } => Some(event.thread),
            RunEvent::Thread(park) => Some(park.thread),
            RunEvent::WaitBegan { thread, .. }
            | RunEvent::WaitEnded { thread, .. }
            | RunEvent::Poll { thread, .. }
            | RunEvent::Lock { thread, .. }
            | RunEvent::Caller { thread, .. } => Some(*thread),
            RunEvent::Finished { .. } | RunEvent::Stalled { .. } => None,
        }
    }
}

/// One step of a task's life as its executor sees it, forwarded into the
/// ordered lane by `--explain` so that it lands between the task's lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PollStep {
    /// The executor calls the task's `poll`.
    Began,
    /// `poll` returned, after `took`: `Ready` (the task is done) or `Pending`.
    Ended {
        /// How long the poll held its thread.
        took: Duration,
        /// `Poll::Ready`, rather than `Poll::Pending`.
        ready: bool,
    },
    /// Somebody called the task's waker: it is ready to be polled again.
    Woken,
    /// The task's wait saw a step of its own (a timer armed, a call queued
    /// or started), forwarded for the narrated tasks so that `--explain`
    /// says what was observed rather than what is likely.
    Call(CallStep),
}

/// What a narrated task's wait itself observed, at the moment it happened
/// (the same observations the task-state model takes, with the detail a
/// sentence needs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CallStep {
    /// It created a timer that is due `due` after the start of the run (the
    /// timer's own deadline).
    Armed {
        /// When the timer is due, on the run's clock.
        due: Duration,
    },
    /// It handed its call to the blocking pool (`spawn_blocking`).
    PoolQueued,
    /// A blocking-pool thread (the event's thread) began its call.
    PoolStarted,
    /// Its query waits for a connection of the driver's pool: `busy` of
    /// its `connections` were taken at that moment.
    QueryQueued {
        /// The connections in use when the query asked for one.
        busy: u32,
        /// The pool's size (`--connections`).
        connections: u32,
    },
    /// Connection `connection` (numbered from 1, in the order they were
    /// opened) took its query: the connection's thread for SQLite, the
    /// server for PostgreSQL.
    QuerySent {
        /// The connection's number.
        connection: u32,
    },
}

/// A step of a task with the shared lock of the `lock` demo.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum LockStep {
    /// The task calls `lock()` (std) or `lock().await` (tokio).
    Asked,
    /// The task holds the guard.
    Got,
    /// The task dropped the guard.
    Released,
}

impl LockStep {
    /// The step in words: `task 2 asks for the lock (held by task 1)`.
    pub(crate) fn describe(self, task: u32, lock: LockKind, holder: Option<u32>) -> String {
        let lock = lock.type_name();
        match (self, holder) {
            (LockStep::Asked, Some(holder)) => {
                format!("task {task} asks for the {lock} (held by task {holder})")
            }
            (LockStep::Asked, None) => format!("task {task} asks for the {lock} (free)"),
            (LockStep::Got, _) => format!("task {task} got the {lock}"),
            (LockStep::Released, _) => format!("task {task} released the {lock}"),
        }
    }
}

/// Somebody following the ordered events while the run goes.
///
/// Called under the sink's lock, on whichever thread caused the event, so:
///
/// - it sees the events in the order the output shows them, and `out` is
///   the run's own output (stdout, buffered): what it writes there lands
///   between the demo's lines, in order, and is flushed with them. The
///   writer cuts only between lines, so write whole lines.
/// - it must be quick and never wait: every task line waits for it. A
///   follower that draws (a view on the terminal) only updates its shared
///   state here and draws from a [`Ticker`] of its own.
///
/// `Send` because the lock that holds it may be taken on any thread.
pub(crate) trait Follower: Send {
    /// Follows one event; an error stops the run (with the follower's name
    /// as its context), as a failed write of the output does.
    fn follow(&mut self, event: &RunEvent<'_>, out: &mut dyn Write) -> io::Result<()>;

    /// Whether it wants the runtime threads' park and wake events; only then
    /// does the runtime get its park hooks.
    fn wants_threads(&self) -> bool {
        false
    }

    /// The run starts now: the `t = 0` of every event's time. A follower
    /// that also keeps time on its own (a view drawn from a thread of its
    /// own, which must know "now" between events) takes its clock from here.
    fn started(&mut self, _at: std::time::Instant) {}

    /// Ends what it writes, once, when the run concludes (or is stopped):
    /// bounded in time, since a signal may be waiting to end the process.
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Somebody following every poll of every task, on the polling thread.
///
/// `&self`, not `&mut self`, and no lock: a poll happens twice per task at
/// least, and on a multi-thread runtime on several threads at once. A poll
/// follower keeps what it saw in atomics (or per-thread slots) that its own
/// [`Ticker`] thread, or the summary, reads.
pub(crate) trait PollFollower: Sync {
    /// Task `id` is about to be polled, at `start`.
    fn poll_began(&self, id: u32, start: Instant);
    /// The poll of task `id` that began at `start` returned after `took`.
    fn poll_ended(&self, id: u32, start: Instant, took: Duration);

    /// The same, saying whether the poll returned `Ready`; a follower that
    /// tells `Ready` from `Pending` (`--explain`) overrides this one.
    fn poll_returned(&self, id: u32, start: Instant, took: Duration, _ready: bool) {
        self.poll_ended(id, start, took);
    }

    /// A waker to poll task `id` with instead of `waker`, to hear when the
    /// task is woken (`--explain`): `None`, the default, polls with the
    /// executor's own waker, at no cost.
    fn waker(&self, _id: u32, _waker: &std::task::Waker) -> Option<std::task::Waker> {
        None
    }
}

pin_project_lite::pin_project! {
    /// Task `id`'s coroutine, with each of its polls told to `follower`.
    ///
    /// A struct rather than an `async fn`: an async wrapper keeps both its
    /// argument and the pinned copy of the coroutine in its state, which
    /// doubled every task's memory in a million-task run. Why each
    /// *coroutine* is wrapped, and not the tokio task: under `join_all` all
    /// N coroutines are polled inside one tokio task, so a per-task hook
    /// would blame that one task for every poll.
    pub(crate) struct Polled<'f, P, F> {
        follower: &'f P,
        id: u32,
        #[pin]
        task: F,
    }
}

impl<P: PollFollower, F: std::future::Future> std::future::Future for Polled<'_, P, F> {
    type Output = F::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let this = self.project();
        let start = now();
        this.follower.poll_began(*this.id, start);
        // Only a follower that asks for it wraps the waker (a few narrated
        // tasks under `--explain`); for the others this is a `None` known at
        // compile time.
        let result = match this.follower.waker(*this.id, cx.waker()) {
            Some(waker) => this.task.poll(&mut std::task::Context::from_waker(&waker)),
            None => this.task.poll(cx),
        };
        let ready = result.is_ready();
        let took = now().saturating_duration_since(start);
        this.follower.poll_returned(*this.id, start, took, ready);
        result
    }
}

/// The time now on the run's clock, for the poll wrapper: tokio's, which
/// a test may pause and which is the system's monotonic clock otherwise.
/// A follower that keeps the run's times (the task-state model) takes the
/// wrapper's two readings per poll rather than reading the clock again.
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// Task `id`'s coroutine `task`, with each of its polls told to `follower`.
pub(crate) fn polled<P: PollFollower, F: std::future::Future>(
    follower: &P,
    id: u32,
    task: F,
) -> Polled<'_, P, F> {
    Polled { follower, id, task }
}

/// The same for a spawned task, which must own its follower.
pub(crate) async fn polled_owned<P: PollFollower, F: std::future::Future>(
    follower: std::sync::Arc<P>,
    id: u32,
    task: F,
) -> F::Output {
    polled(&*follower, id, task).await
}

/// A thread that looks at what followers published, at a steady rate,
/// until it is dropped (which stops and joins it).
///
/// The `--slow-poll` watchdog is one; a live view of the run, redrawn about
/// 25 times a second, is another. A thread of its own because the moment
/// worth showing is the one when a task holds the runtime thread, and then
/// no event comes at all.
pub(crate) struct Ticker {
    /// Dropped to stop the thread.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    /// Starts a thread named `name` that calls `tick` every `every`.
    pub(crate) fn start(
        name: &str,
        every: Duration,
        mut tick: impl FnMut() + Send + 'static,
    ) -> anyhow::Result<Ticker> {
        let (stop, stopped) = mpsc::channel::<()>();
        let builder = std::thread::Builder::new()
            .name(name.into())
            .stack_size(64 * 1024);
        let thread = limits::spawn(builder, &format!("the {name} thread"), move || {
            // A channel's timeout doubles as the sleep, and its
            // disconnection (the sender dropped) as the stop.
            while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                tick();
            }
        })?;
        Ok(Ticker {
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A small number for the current OS thread, given out in order of first use.
///
/// `std::thread::ThreadId` has no stable numeric form, and the pictures want
/// short labels (`thread 1`, `thread 2`), so each thread takes the next
/// number the first time it reports an event.
pub(crate) fn thread_number() -> u32 {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    thread_local! {
        static NUMBER: u32 = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    NUMBER.with(|n| *n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// Counts what it is told.
    #[derive(Default)]
    struct Counting {
        began: AtomicU32,
        ended: AtomicU32,
    }

    impl PollFollower for Counting {
        fn poll_began(&self, _: u32, _: Instant) {
            self.began.fetch_add(1, Ordering::Relaxed);
        }
        fn poll_ended(&self, _: u32, _: Instant, _: Duration) {
            self.ended.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A coroutine that returns Pending once, waking itself at once, as a
    /// wait that is over by the next poll would.
    fn yields_once() -> impl std::future::Future<Output = ()> {
        let mut yielded = false;
        std::future::poll_fn(move |cx| {
            if yielded {
                return std::task::Poll::Ready(());
            }
            yielded = true;
            cx.waker().wake_by_ref();
            std::task::Poll::Pending
        })
    }

    /// A coroutine that waits once is polled twice, and the follower hears
    /// of both polls, begun and ended.
    #[test]
    fn every_poll_is_told_begun_and_ended() {
        let counting = Counting::default();
        let task = yields_once();
        futures::executor::block_on(polled(&counting, 7, task));
        assert_eq!(counting.began.load(Ordering::Relaxed), 2);
        assert_eq!(counting.ended.load(Ordering::Relaxed), 2);
    }

    /// A follower that polls with a waker of its own, which counts its
    /// calls and then wakes the task as the executor's waker would.
    #[derive(Default)]
    struct Waking {
        woken: Arc<AtomicU32>,
        ready: AtomicU32,
    }

    struct CountingWaker {
        inner: std::task::Waker,
        woken: Arc<AtomicU32>,
    }

    impl std::task::Wake for CountingWaker {
        fn wake(self: Arc<Self>) {
            self.wake_by_ref();
        }
        fn wake_by_ref(self: &Arc<Self>) {
            self.woken.fetch_add(1, Ordering::SeqCst);
            self.inner.wake_by_ref();
        }
    }

    impl PollFollower for Waking {
        fn poll_began(&self, _: u32, _: Instant) {}
        fn poll_ended(&self, _: u32, _: Instant, _: Duration) {}
        fn poll_returned(&self, _: u32, _: Instant, _: Duration, ready: bool) {
            if ready {
                self.ready.fetch_add(1, Ordering::SeqCst);
            }
        }
        fn waker(&self, _: u32, waker: &std::task::Waker) -> Option<std::task::Waker> {
            Some(std::task::Waker::from(Arc::new(CountingWaker {
                inner: waker.clone(),
                woken: Arc::clone(&self.woken),
            })))
        }
    }

    /// The follower's waker is the one the coroutine wakes, and the wake
    /// still reaches the executor: the task runs to its end.
    #[test]
    fn a_follower_hears_the_wake_up_and_the_task_still_runs_to_its_end() {
        let waking = Waking::default();
        let task = yields_once();
        futures::executor::block_on(polled(&waking, 1, task));
        assert_eq!(waking.woken.load(Ordering::SeqCst), 1);
        assert_eq!(
            waking.ready.load(Ordering::SeqCst),
            1,
            "Ready once, at the end"
        );
    }

    #[test]
    fn a_ticker_ticks_until_dropped() {
        let ticks = Arc::new(AtomicU32::new(0));
        let (seen, wait_seen) = mpsc::channel();
        let ticker = {
            let ticks = Arc::clone(&ticks);
            Ticker::start("test-ticker", Duration::from_millis(1), move || {
                if ticks.fetch_add(1, Ordering::SeqCst) == 2 {
                    let _ = seen.send(());
                }
            })
            .unwrap()
        };
        wait_seen.recv().unwrap();
        drop(ticker);
        let stopped_at = ticks.load(Ordering::SeqCst);
        assert!(stopped_at >= 3);
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(ticks.load(Ordering::SeqCst), stopped_at, "joined on drop");
    }
}
