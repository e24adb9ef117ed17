//! The one transition rule: a task's changes swept in time order into
//! states, and the spans drawn from them (a sleep split where it was
//! overdue).

use super::{Birth, Observed, Span, TIMER_ROUNDING, TaskState, What, ns};
use crate::vocab::Park;
use std::time::Duration;

/// The intervals up to `end` in which no thread of `parks` was parked: no
/// thread was there to fire a due timer. Each thread counts as unparked
/// from the start until its first event says otherwise.
pub(super) fn nobody_parked(parks: &[Park], end: Duration) -> Vec<(Duration, Duration)> {
    let mut threads: Vec<(u32, bool)> = Vec::new();
    for park in parks {
        if !threads.iter().any(|t| t.0 == park.thread) {
            threads.push((park.thread, false));
        }
    }
    let mut out = Vec::new();
    let mut since = Some(Duration::ZERO);
    let mut in_order: Vec<&Park> = parks.iter().collect();
    in_order.sort_by_key(|p| p.at);
    for park in in_order {
        if let Some(slot) = threads.iter_mut().find(|t| t.0 == park.thread) {
            slot.1 = park.parked;
        }
        let any_parked = threads.iter().any(|t| t.1);
        match (any_parked, since) {
            (true, Some(from)) => {
                if park.at > from {
                    out.push((from, park.at));
                }
                since = None;
            }
            (false, None) => since = Some(park.at),
            _ => {}
        }
    }
    if let Some(from) = since {
        if end > from {
            out.push((from, end));
        }
    }
    out
}

/// What a task is waiting for between polls, as far as it has told; a
/// timer's deadline is kept beside it, in [`Sweep`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    /// Nothing said: a socket, a join handle, anything with a waker.
    Unknown,
    /// A timer, due at the sweep's deadline.
    Timer,
    Queued,
    InPool,
    Lock,
}

/// The spans of one task from its observations (see [`super::Model::spans`]).
pub(super) fn spans_of(
    events: &[Observed],
    birth: Birth,
    driver_busy: &[(Duration, Duration)],
    end: Duration,
) -> Vec<Span> {
    // The changes of state, in time order: a poll is two (begin, return).
    let mut changes: Vec<(Duration, u8, Change)> = Vec::with_capacity(events.len() + 2);
    for event in events {
        match event.what {
            What::Polled { took, ready } => {
                changes.push((ns(event.at), 0, Change::Begin));
                changes.push((ns(event.at + took), 2, Change::Return(ready)));
            }
            what => changes.push((ns(event.at), 1, Change::Event(what))),
        }
    }
    // At one instant: a poll begins before what it does, and returns after.
    changes.sort_by_key(|c| (c.0, c.1));
    let mut sweep = Sweep::new(birth);
    let mut spans: Vec<(Duration, Standing)> = Vec::with_capacity(changes.len() + 1);
    if let Some(state) = sweep.now() {
        spans.push((Duration::ZERO, state));
    }
    for (at, _, change) in changes {
        if let Some(state) = sweep.apply(change) {
            match spans.last_mut() {
                Some(last) if last.0 == at => *last = (at, state),
                _ => spans.push((at, state)),
            }
        }
    }
    // Each state lasts until the next one, the last to the end.
    let mut out = Vec::with_capacity(spans.len() + 2);
    for (i, &(from, state)) in spans.iter().enumerate() {
        let to = spans.get(i + 1).map_or(end.max(from), |s| s.0);
        if to <= from {
            continue;
        }
        split(&mut out, (from, to), state, driver_busy);
    }
    out
}

/// The spans of one stretch from `from` to `to` in `state`: one span, or
/// for a sleep on a timer, sleeping and overdue where nobody could fire it
/// (`busy`, in time order); none once done. The one place a standing
/// becomes the states the views draw, after the run or during it.
pub(super) fn split(
    out: &mut Vec<Span>,
    (from, to): (Duration, Duration),
    state: Standing,
    busy: &[(Duration, Duration)],
) {
    let plain = match state {
        Standing::Done => return,
        Standing::Sleep(Some(deadline)) => {
            return overdue(out, (from, to), deadline + TIMER_ROUNDING, busy);
        }
        Standing::Sleep(None) => TaskState::Sleeping,
        Standing::Polled => TaskState::Polled,
        Standing::Held => TaskState::Held,
        Standing::Ready => TaskState::Ready,
        Standing::Queued => TaskState::Queued,
        Standing::InPool => TaskState::InPool,
        Standing::Lock => TaskState::Lock,
    };
    out.push(span(from, to, plain));
}

/// One change in a task's life, in the order it happened: a poll begins,
/// a poll returns (`Ready` or not), or something else was observed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Change {
    Begin,
    Return(bool),
    Event(What),
}

/// Where one task stands as its changes come in: the one transition rule
/// of the model, shared by the spans drawn after the run ([`spans_of`])
/// and the tally a live view reads during it ([`super::tally::Tally`]).
///
/// 16 bytes: a census keeps one per task, a million in a million-task run.
/// A sleep's deadline is the one a timer armed ([`Reason::Timer`]) when the
/// task last returned `Pending`, so the standing and the reason share it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Sweep {
    /// The deadline of the timer it waits for, in nanoseconds since the
    /// start (with [`Reason::Timer`], and in a standing `Sleep(Some(_))`).
    deadline: u64,
    /// Its state now; `None` before it began (a thread of its own).
    now: Option<Now>,
    in_poll: bool,
    /// Its waker was called since its last poll began.
    woken: bool,
    /// What it waits for between polls.
    reason: Reason,
}

/// A [`Standing`] without the deadline it may carry (kept in [`Sweep`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Now {
    Polled,
    Held,
    Sleep,
    SleepOnTimer,
    Ready,
    Queued,
    InPool,
    Lock,
    Done,
}

impl Sweep {
    pub(super) fn new(birth: Birth) -> Sweep {
        Sweep {
            deadline: 0,
            now: (birth == Birth::AtStart).then_some(Now::Ready),
            in_poll: false,
            woken: false,
            reason: Reason::Unknown,
        }
    }

    /// Its state now; `None` before it began (a thread of its own).
    pub(super) fn now(&self) -> Option<Standing> {
        Some(self.standing(self.now?))
    }

    fn standing(&self, now: Now) -> Standing {
        match now {
            Now::Polled => Standing::Polled,
            Now::Held => Standing::Held,
            Now::Sleep => Standing::Sleep(None),
            Now::SleepOnTimer => Standing::Sleep(Some(ns(self.deadline))),
            Now::Ready => Standing::Ready,
            Now::Queued => Standing::Queued,
            Now::InPool => Standing::InPool,
            Now::Lock => Standing::Lock,
            Now::Done => Standing::Done,
        }
    }

    /// The state between polls, from what the task waits for.
    fn between(&self) -> Now {
        match (self.woken, self.reason) {
            (true, _) => Now::Ready,
            (_, Reason::Timer) => Now::SleepOnTimer,
            (_, Reason::Unknown) => Now::Sleep,
            (_, Reason::Queued) => Now::Queued,
            (_, Reason::InPool) => Now::InPool,
            (_, Reason::Lock) => Now::Lock,
        }
    }

    /// Takes `change`; returns the new state if it changed.
    pub(super) fn apply(&mut self, change: Change) -> Option<Standing> {
        // A sleep on a new deadline is a new standing, even from a sleep.
        let deadline = self.deadline;
        let next = match change {
            Change::Begin => {
                self.in_poll = true;
                self.woken = false;
                Now::Polled
            }
            Change::Return(true) => {
                self.in_poll = false;
                Now::Done
            }
            Change::Return(false) => {
                self.in_poll = false;
                self.between()
            }
            Change::Event(what) => {
                match what {
                    What::Woken => self.woken = true,
                    What::Armed { deadline } => {
                        self.reason = Reason::Timer;
                        self.deadline = deadline;
                    }
                    What::Queued => self.reason = Reason::Queued,
                    What::PoolStarted => self.reason = Reason::InPool,
                    // After its call, the pool thread still completes the
                    // task's join handle and calls its waker: in the pool
                    // until that wake.
                    What::PoolEnded => {}
                    What::LockGot | What::Sent => self.reason = Reason::Unknown,
                    What::LockAsked => self.reason = Reason::Lock,
                    What::HeldBegan | What::HeldEnded | What::Polled { .. } | What::Line { .. } => {
                    }
                }
                match what {
                    What::Line { .. } => return None,
                    What::HeldBegan => Now::Held,
                    What::HeldEnded => Now::Polled,
                    _ if self.in_poll || self.now == Some(Now::Done) => return None,
                    _ => self.between(),
                }
            }
        };
        if self.now == Some(next) && (next != Now::SleepOnTimer || deadline == self.deadline) {
            return None;
        }
        self.now = Some(next);
        Some(self.standing(next))
    }
}

/// The model's states while it sweeps a task's changes: the spans' states,
/// with a sleep's deadline, and the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Standing {
    Polled,
    Held,
    Sleep(Option<Duration>),
    Ready,
    Queued,
    InPool,
    Lock,
    Done,
}

fn span(from: Duration, to: Duration, state: TaskState) -> Span {
    Span { from, to, state }
}

/// A sleep from `from` to `to`, overdue past `due` wherever nobody could
/// fire the timer (`busy`, in time order).
fn overdue(
    out: &mut Vec<Span>,
    (from, to): (Duration, Duration),
    due: Duration,
    busy: &[(Duration, Duration)],
) {
    let mut at = from;
    let first = busy.partition_point(|&(_, b)| b <= due.max(from));
    for &(a, b) in busy[first..].iter().take_while(|(a, _)| *a < to) {
        let (a, b) = (a.max(due).max(from), b.min(to));
        if b <= a {
            continue;
        }
        if a > at {
            out.push(span(at, a, TaskState::Sleeping));
        }
        out.push(span(a, b, TaskState::Overdue));
        at = b;
    }
    if to > at {
        out.push(span(at, to, TaskState::Sleeping));
    }
}
