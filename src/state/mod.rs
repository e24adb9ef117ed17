//! The task-state model: what each task was doing at every moment, built
//! only from what the run observed, and the one place a state is decided.
//!
//! # What goes in: observations
//!
//! The model's input is a plain list of [`Observed`] events (a number, a
//! task, a thread, and what happened), plus the runtime threads' parks
//! ([`Park`](crate::vocab::Park)). Each one is something the program *saw*, never something it
//! worked out from the clock:
//!
//! - a poll began and returned (`Pending` or `Ready`): the poll wrapper in
//!   [`crate::events::Polled`] times it;
//! - the task's waker was called: the poll wrapper hands the coroutine a
//!   waker of ours ([`Log`] wraps it) that notes the call, then forwards it;
//! - a timer was armed, with its deadline: the sleep itself says when it is
//!   due (`tokio::time::Sleep::deadline`), the moment it is created;
//! - a call was handed to the blocking pool, and a pool thread *began* it:
//!   the closure notes its own entry, so a call that sat in the pool's
//!   queue is seen as queued;
//! - a blocking call began and ended inside a poll (the thread is held);
//! - the `lock` demo's task asked for tokio's lock and got it.
//!
//! A recording of a run (issue 33) is exactly this list and the parks: the
//! types are small, `Copy`, and hold nothing but numbers.
//!
//! # What comes out: spans
//!
//! For each task, a sequence of [`Span`]s, each in one [`TaskState`]:
//! polled, held, sleeping, overdue, ready, queued, in the pool, or waiting
//! for the lock; before its first event a task of a runtime is ready (every
//! coroutine is scheduled when `join_all` or `spawn` creates it), and after
//! its last poll it is done. Every view (the pictures, the live view, the
//! JSON records, `peak_overlap` in the pictures' runs) reads these.
//!
//! # Overdue
//!
//! A sleep is *overdue* once its deadline has passed while no thread that
//! could fire the timer was parked. tokio's timers are fired by the time
//! driver, and the driver runs only when a runtime thread parks on it (or
//! between polls, every `event_interval` ticks): a thread that is busy,
//! or held in a blocking call, fires nothing. On a current-thread runtime
//! that is the one thread, so while a task holds it, every other task's
//! deadline passes unnoticed, and nobody calls their wakers. tokio-console
//! would show such a task IDLE, not SCHED: it is not ready, only late. The
//! timer's own rounding (the wheel fires on whole milliseconds) is drawn as
//! sleeping: [`TIMER_ROUNDING`].
//!
//! # Its rooms
//!
//! - `observed`: the input, [`Observed`] and [`What`], and the
//!   [`Observations`] a finished run hands over;
//! - `sweep`: the one transition rule ([`sweep::Sweep`]) and the spans it
//!   makes, a sleep split where it was overdue;
//! - `model`: a finished run's [`Model`]: each task's spans on demand, and
//!   its account for the JSON;
//! - `log`: the [`Log`] that takes the observations during the run, and
//!   the poll follower ([`Watcher`]) that feeds it;
//! - `tally`: every task's state now, for a view drawn during the run;
//! - `census`, `histogram`, `band`: what a run too large to keep needs of
//!   every task, counted as each span closes: each task's account spread
//!   into one histogram per state, and the band's tally over time;
//! - `behind`: the thread that moves a tally read only at the end (a
//!   census), so that the runtime thread only queues each change.
//!
//! # Nothing when nobody listens
//!
//! A plain run has no log: its tasks are not wrapped, and each wait checks
//! one empty `Option`. A view asks only for what it reads: the tasks it
//! shows ([`Log::limit`]), a census past them, a stream of changes, a
//! live tally; nothing else is observed or kept.

mod band;
mod behind;
mod census;
mod histogram;
mod log;
mod model;
mod observed;
mod sweep;
mod tally;
#[cfg(test)]
pub(crate) mod tests;

pub(crate) use band::Band;
pub(crate) use census::{Tallies, class};
pub(crate) use histogram::Histogram;
pub(crate) use log::{Both, Log, ThreadWatch, Watcher};
pub(crate) use model::Model;
pub(crate) use observed::{Observations, Observed, What};
pub(crate) use tally::{Counts, LaneChange, StateChange};

use std::time::Duration;

/// How late a timer may fire and still be drawn as sleeping: tokio's
/// wheel rounds deadlines up to whole milliseconds.
pub(crate) const TIMER_ROUNDING: Duration = Duration::from_millis(1);

/// What a task is doing during a span of its lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TaskState {
    /// Its own code runs: the executor is inside its `poll` (tokio-console:
    /// RUNNING).
    Polled,
    /// A blocking call inside its poll holds the thread: no code runs, and
    /// nothing else can run there.
    Held,
    /// It returned `Pending` with a timer, a socket or a pool call's reply
    /// armed, and nobody has woken it (tokio-console: IDLE).
    Sleeping,
    /// Its timer's deadline has passed, but no thread that could fire the
    /// timer was parked: nobody has noticed (still IDLE).
    Overdue,
    /// Its waker was called; it waits to be polled (tokio-console: SCHED).
    Ready,
    /// Its call waits for a free blocking-pool thread.
    Queued,
    /// A blocking-pool thread runs its call.
    InPool,
    /// It waits for tokio's lock (`Pending`, its thread free).
    Lock,
}

impl TaskState {
    /// Every state, in the order a legend lists them.
    pub(crate) const ALL: [TaskState; 8] = [
        TaskState::Polled,
        TaskState::Held,
        TaskState::Sleeping,
        TaskState::Overdue,
        TaskState::Ready,
        TaskState::Queued,
        TaskState::InPool,
        TaskState::Lock,
    ];

    /// Whether a task in this state is *waiting* in the sense of
    /// `peak_overlap`: its wait is in progress (a timer armed or overdue,
    /// a pool thread on its call, a blocking call holding its thread).
    /// A call queued for a pool thread is not in progress yet, and a task
    /// ready or polled is not waiting. The run's `peak_overlap` is counted
    /// while it goes, by the sink, with the same rule for pool calls
    /// (counted from a pool thread's start); the model's count, from these
    /// states, is what the tests hold it to.
    #[cfg(test)]
    pub(crate) const fn waits(self) -> bool {
        matches!(
            self,
            TaskState::Sleeping | TaskState::Overdue | TaskState::InPool | TaskState::Held
        )
    }

    /// Its name, in a trace file's slices.
    pub(crate) const fn word(self) -> &'static str {
        match self {
            TaskState::Polled => "polled",
            TaskState::Held => "held",
            TaskState::Sleeping => "sleeping",
            TaskState::Overdue => "overdue",
            TaskState::Ready => "ready",
            TaskState::Queued => "queued",
            TaskState::InPool => "in the pool",
            TaskState::Lock => "waiting for the lock",
        }
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

/// A stretch of one task's lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) from: Duration,
    pub(crate) to: Duration,
    pub(crate) state: TaskState,
}

/// What a census of every task keeps, and of how many tasks born how
/// ([`Log::census`]): each task's account, for the JSON's distributions
/// past its cut-off, and the band's tally, for a picture's band. Each
/// costs a few bytes and steps per span of every task, so a census keeps
/// only the parts some view reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CensusOf {
    pub(crate) tasks: u32,
    pub(crate) birth: Birth,
    /// Keep each task's account (40 bytes a task).
    pub(crate) accounts: bool,
    /// Keep the band's tally (a step per span).
    pub(crate) band: bool,
}

/// When the tasks come into being.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Birth {
    /// All at the start, scheduled (a runtime's `join_all` or `spawn`):
    /// ready until first polled.
    AtStart,
    /// Each at its own first event (a thread per task, no runtime).
    OnItsOwn,
}

pub(super) fn ns(at: u64) -> Duration {
    Duration::from_nanos(at)
}
