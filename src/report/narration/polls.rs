//! The poll side's steps, each a type with its own words: a poll begins
//! (with how long the task waited for it, and who had the thread), returns
//! `Pending`, holds its thread in a blocking call, or the task's waker is
//! called. The narrator fills their fields from what it measured; the
//! sentence reads them here, so the fields are named once.

use super::{Awaits, Call, CallSeen, Poller, and_list, ms, plural64};
use std::time::Duration;

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

/// Where a task's call was between its `Pending` and its waker's call,
/// when it went to the blocking pool or to a connection: queued there
/// first (the model's *queued*), then running (*in the pool*, or on the
/// connection). Each part is measured between observed events: the
/// `Pending`, the call's start on a pool thread or connection, the
/// waker's call. The part ready for the thread follows, in the poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Elsewhere {
    /// From the `Pending` until a pool thread or a connection took the
    /// call (or until the waker's call, if none had).
    pub(crate) queued: Duration,
    /// From then (or from the `Pending`, if the call had already begun)
    /// until the waker's call.
    pub(crate) ran: Duration,
    /// What the wait had shown of the call by the waker's call: which pool
    /// thread or connection took it.
    pub(crate) seen: CallSeen,
    pub(crate) awaits: Awaits,
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

/// `poll` is called: `ready_for` is how long the task had been ready,
/// waiting for the thread: since its wake-up, or for its first poll since
/// the start (every task of a runtime is made ready at once);
/// `meanwhile`, who had the thread then; `elsewhere`, where its call was
/// between its `Pending` and that wake-up.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Polled {
    pub(crate) task: u32,
    pub(crate) poller: Poller,
    pub(crate) thread: u32,
    pub(crate) again: bool,
    pub(crate) ready_for: Option<Duration>,
    pub(crate) meanwhile: Option<Meanwhile>,
    pub(crate) elsewhere: Option<Elsewhere>,
}

impl Polled {
    /// The poll, with how long the task waited for it (where its call was
    /// first, when it went elsewhere), and who had the thread meanwhile.
    pub(super) fn words(&self) -> String {
        let (poller, task, thread) = (self.poller.name(), self.task, self.thread);
        let parts = self.elsewhere.map(Elsewhere::parts).unwrap_or_default();
        if let (true, Some(ready), Some(elsewhere), false) =
            (self.again, self.ready_for, self.elsewhere, parts.is_empty())
        {
            return format!(
                "{poller} polls task {task} again (on thread {thread}): it waited {} since its \
                 Pending: {}, then {} ready, for the thread{}.",
                ms(elsewhere.queued + elsewhere.ran + ready),
                parts.join(", "),
                ms(ready),
                self.why("that")
            );
        }
        let why = self.why("the wait");
        match (self.again, self.ready_for) {
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

    /// The clause after "waited ..., for the thread": who had it. `wait`
    /// names the ready wait in the clause ("the wait", or "that" after a
    /// wait told in parts).
    fn why(&self, wait: &str) -> String {
        match &self.meanwhile {
            None => String::new(),
            Some(Meanwhile::Poll { task, held }) => {
                format!(": task {task}'s poll held it for {} of that", ms(*held))
            }
            Some(Meanwhile::Polls { tasks, others }) => {
                let mut parts: Vec<String> = tasks
                    .iter()
                    .map(|(task, took)| format!("task {task} ({})", ms(*took)))
                    .collect();
                if *others > 0 {
                    parts.push(format!("the tasks not narrated {}", plural64(*others)));
                }
                format!(", which polled {} meanwhile", and_list(&parts))
            }
            Some(Meanwhile::Parked { woke }) => {
                format!(", which was parked and woke up {} into {wait}", ms(*woke))
            }
        }
    }
}

impl Elsewhere {
    /// The parts of the wait before the wake-up, each said where it is not
    /// zero: queued for a pool thread or a connection, then running there.
    fn parts(self) -> Vec<String> {
        let pool = matches!(self.awaits, Awaits::Pool(_));
        let mut parts = Vec::new();
        if !self.queued.is_zero() {
            let queue = if pool {
                "a blocking-pool thread"
            } else {
                "a connection"
            };
            parts.push(format!("{} queued for {queue}", ms(self.queued)));
        }
        if !self.ran.is_zero() {
            let place = match (self.seen, self.awaits) {
                (CallSeen::PoolRunning { thread }, _) => {
                    format!("in the pool, on blocking-pool thread {thread}")
                }
                (CallSeen::QuerySent { connection }, Awaits::Query(true)) => {
                    format!("at the server, on connection {connection}")
                }
                (CallSeen::QuerySent { connection }, _) => {
                    format!("on connection {connection}'s thread")
                }
                // A start the wait did not tell (a recording past its
                // cut-off keeps no such steps).
                _ if pool => "in the pool".into(),
                _ => "on its connection".into(),
            };
            parts.push(format!("{} {place}", ms(self.ran)));
        }
        parts
    }
}

/// `poll` returned `Pending` after `took`, its call as `seen`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pending {
    pub(crate) task: u32,
    pub(crate) took: Duration,
    pub(crate) awaits: Awaits,
    pub(crate) seen: CallSeen,
    pub(crate) poller: Poller,
}

impl Pending {
    pub(super) fn words(&self) -> String {
        format!(
            "task {}'s poll returns Pending after {}: {}, and the thread goes back to {}.",
            self.task,
            ms(self.took),
            self.awaits.registered(self.seen),
            self.poller.name()
        )
    }
}

/// A blocking call returned after `held`, inside the poll that made it
/// (or on the task's own OS thread, under `Poller::Threads`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Held {
    pub(crate) task: u32,
    pub(crate) call: Call,
    pub(crate) held: Duration,
    pub(crate) thread: u32,
    pub(crate) poller: Poller,
    /// The call was made inside `block_in_place`.
    pub(crate) in_block_in_place: bool,
}

impl Held {
    /// Whose thread the call held.
    pub(super) fn words(&self) -> String {
        let (task, thread, call, held) = (self.task, self.thread, self.call.name(), ms(self.held));
        match self.poller {
            Poller::Spawned(_) if self.in_block_in_place => format!(
                "{call} returned after {held}, inside block_in_place in task {task}'s poll (no \
                 Pending): all that time it held thread {thread}, but the worker's core had \
                 moved to another thread, where the other tasks could still be polled."
            ),
            Poller::Threads => format!(
                "{call} returned after {held} on task {task}'s thread {thread}: it held that \
                 thread, its own, so no other task had to wait for it."
            ),
            _ => format!(
                "{call} returned after {held}, inside task {task}'s poll (no Pending): all \
                 that time it held thread {thread}, and no other task there could be polled."
            ),
        }
    }
}

/// The waker was called, on `thread`, `after` the task's `Pending`;
/// `overdue`, when its timer was overdue before that.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Woken {
    pub(crate) task: u32,
    pub(crate) awaits: Awaits,
    pub(crate) seen: CallSeen,
    pub(crate) thread: u32,
    pub(crate) after: Option<Duration>,
    pub(crate) overdue: Option<Overdue>,
}

impl Woken {
    /// By whom, and whether the timer was overdue.
    pub(super) fn words(&self) -> String {
        let (task, thread) = (self.task, self.thread);
        let (what, who) = self.awaits.waker(self.seen);
        let late = match self.overdue {
            Some(Overdue { late, .. }) => format!(
                " Its deadline had passed {} before that: the timer was overdue, since tokio's \
                 timer driver runs only when a runtime thread parks or looks at it between \
                 polls, and no thread had parked.",
                ms(late)
            ),
            None => String::new(),
        };
        match self.after {
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
}
