//! The model's input: what the run saw happen to each task, as plain
//! numbers (a recording keeps exactly these).

use crate::vocab::Park;

/// One thing the run saw happen to one task: the model's whole input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Observed {
    /// Nanoseconds since the start of the run.
    pub(crate) at: u64,
    /// The task, numbered from 1.
    pub(crate) task: u32,
    /// The OS thread it happened on (numbered as `events::thread_number`).
    pub(crate) thread: u32,
    /// What happened.
    pub(crate) what: What,
}

/// What an [`Observed`] event saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum What {
    /// A poll that began at `at`, returned after `took` nanoseconds,
    /// `Ready` (the task ended) or `Pending`.
    Polled {
        /// How long the poll held its thread, in nanoseconds.
        took: u64,
        /// `Poll::Ready`, rather than `Poll::Pending`.
        ready: bool,
    },
    /// Somebody called the task's waker.
    Woken,
    /// The task printed its first line (`true`) or its last: kept for the
    /// JSON records, no change of state.
    Line {
        /// The first line, rather than the last.
        first: bool,
    },
    /// The task created a timer that is due at `deadline` (nanoseconds
    /// since the start of the run).
    Armed {
        /// When the timer is due.
        deadline: u64,
    },
    /// The task handed a call to the blocking pool (`spawn_blocking`).
    Queued,
    /// A pool thread began the task's call.
    PoolStarted,
    /// The pool thread finished the task's call.
    PoolEnded,
    /// A blocking call began inside the task's poll: it holds the thread.
    HeldBegan,
    /// The blocking call ended; the poll goes on.
    HeldEnded,
    /// The task asked for tokio's lock (its `lock().await` began).
    LockAsked,
    /// The task got tokio's lock.
    LockGot,
    /// The task's call began elsewhere, and it awaits the answer with its
    /// thread free: `query`'s async drivers, once a connection has taken
    /// the query (the connection's own thread for SQLite, the server for
    /// PostgreSQL). Until then, since [`What::Queued`], it was queued.
    Sent,
}

/// What the model is built from: the observations and the threads' parks,
/// as a finished run hands them over (and as a recording would keep them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Observations {
    pub(crate) events: Vec<Observed>,
    pub(crate) parks: Vec<Park>,
    /// Every task's time in each state and the band's tally, when the run
    /// kept a census ([`super::census`]): past the JSON's cut-off, or
    /// past a picture's lanes.
    pub(crate) tallies: Option<Box<super::Tallies>>,
}
