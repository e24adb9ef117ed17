//! What the narrator remembers of each narrated task between events: its
//! poll in progress, its wait, its wake-up, and what its call has shown
//! (queued, taken by a pool thread or a connection), from which the poll
//! after a call that went elsewhere tells its wait in parts.

use crate::report::narration::{Awaits, CallSeen, Elsewhere};
use std::time::Duration;

/// What the narrator remembers of one narrated task.
#[derive(Default)]
pub(super) struct TaskNotes {
    /// Its first line, until its wait begins.
    pub(super) printed: String,
    /// When the poll in progress began, while one is.
    pub(super) polling: Option<Duration>,
    /// The thread of its latest poll.
    pub(super) thread: Option<u32>,
    /// How many polls began.
    pub(super) polls: u32,
    /// When its wait began, while it lasts.
    pub(super) waiting: Option<Duration>,
    /// When it last returned `Pending`.
    pub(super) pending_at: Option<Duration>,
    /// When it was woken, until the poll that follows.
    pub(super) woken_at: Option<Duration>,
    /// Where its call was between its last `Pending` and that wake-up (a
    /// pool call's or a query's queue, then its run), until the poll.
    pub(super) elsewhere: Option<Elsewhere>,
    /// What its wait had shown of its call when its poll last returned
    /// `Pending`, and when a pool thread or a connection took the call
    /// after that, if one has.
    pub(super) seen_at_pending: CallSeen,
    pub(super) taken_at: Option<Duration>,
    /// How many polls of the tasks not narrated had returned when its wait
    /// for the thread began (its wake-up, or the start).
    pub(super) rest_polls_then: u64,
    /// A spinning task past its first slice: its slices are no longer
    /// told one by one (a 1 s loop has a thousand).
    pub(super) quiet: bool,
    /// In the `lock` demo: when it asked for the lock, and whether another
    /// task held it then, until it gets it.
    pub(super) lock_asked: Option<(Duration, bool)>,
    /// What its wait has shown of its call since it last asked, and when
    /// it handed the call over or asked for a connection.
    pub(super) call: CallSeen,
    pub(super) asked: Option<Duration>,
}

impl TaskNotes {
    /// Where the task's call was from its `Pending` at `pending` to its
    /// waker's call at `woken`, if it went to the blocking pool or to a
    /// connection: queued until a pool thread or a connection took it
    /// (the model's *queued* span, which begins at the `Pending` too),
    /// then running there. `None` for a wait that tells no such steps.
    pub(super) fn elsewhere(
        &self,
        awaits: Awaits,
        pending: Duration,
        woken: Duration,
    ) -> Option<Elsewhere> {
        if !matches!(awaits, Awaits::Pool(_) | Awaits::Query(_)) {
            return None;
        }
        let running_from = match self.seen_at_pending {
            CallSeen::PoolQueued | CallSeen::QueryQueued { .. } => {
                self.taken_at.filter(|&taken| taken <= woken)
            }
            CallSeen::PoolRunning { .. } | CallSeen::QuerySent { .. } => Some(pending),
            CallSeen::Nothing => return None,
        };
        let queued_until = running_from.unwrap_or(woken);
        Some(Elsewhere {
            queued: queued_until.saturating_sub(pending),
            ran: running_from.map_or(Duration::ZERO, |from| woken.saturating_sub(from)),
            seen: self.call,
            awaits,
        })
    }
}
