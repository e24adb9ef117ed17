//! The live tally: every task's state now, moved by the sweep's rule as
//! the observations come in, for a view drawn during the run (`--live`).

use super::sweep::{Change, Standing, Sweep};
use super::{Birth, TIMER_ROUNDING, TaskState};
use std::time::Duration;

/// Every task's state during the run, for a view that draws it live: how
/// many tasks are in each state, the changes of the first few tasks (its
/// lanes), and the deadlines of those asleep (to tell the overdue ones).
pub(super) struct Tally {
    sweeps: Vec<Sweep>,
    /// Tasks per [`Tally::slot`].
    counts: [u32; SLOTS],
    /// Tasks asleep on a timer, by the millisecond past which they are
    /// overdue (deadline plus [`TIMER_ROUNDING`], rounded up).
    due: std::collections::BTreeMap<u64, u32>,
    /// The first tasks' changes: when, and the state from then on.
    lanes: Vec<Vec<(Duration, Option<Standing>)>>,
}

/// The tally's slots: the eight [`TaskState`]s, done, and not begun.
const SLOTS: usize = 10;
const DONE: usize = 8;
const NOT_BEGUN: usize = 9;

impl Tally {
    pub(super) fn new(tasks: u32, birth: Birth, lanes: usize) -> Tally {
        let sweep = Sweep::new(birth);
        let mut counts = [0; SLOTS];
        counts[Tally::slot(sweep.now)] = tasks;
        let shown = lanes.min(tasks as usize);
        Tally {
            sweeps: vec![sweep; tasks as usize],
            counts,
            due: std::collections::BTreeMap::new(),
            lanes: (0..shown)
                .map(|_| vec![(Duration::ZERO, sweep.now)])
                .collect(),
        }
    }

    fn slot(state: Option<Standing>) -> usize {
        match state {
            None => NOT_BEGUN,
            Some(Standing::Done) => DONE,
            Some(Standing::Sleep(_)) => TaskState::Sleeping.index(),
            Some(Standing::Polled) => TaskState::Polled.index(),
            Some(Standing::Held) => TaskState::Held.index(),
            Some(Standing::Ready) => TaskState::Ready.index(),
            Some(Standing::Queued) => TaskState::Queued.index(),
            Some(Standing::InPool) => TaskState::InPool.index(),
            Some(Standing::Lock) => TaskState::Lock.index(),
        }
    }

    fn due_ms(state: Option<Standing>) -> Option<u64> {
        match state {
            Some(Standing::Sleep(Some(deadline))) => {
                Some((deadline + TIMER_ROUNDING).as_nanos().div_ceil(1_000_000) as u64)
            }
            _ => None,
        }
    }

    /// Task `task` took `change` at `at`.
    pub(super) fn apply(&mut self, task: u32, at: Duration, change: Change) {
        let Some(sweep) = (task as usize)
            .checked_sub(1)
            .and_then(|i| self.sweeps.get_mut(i))
        else {
            return;
        };
        let before = sweep.now;
        let Some(after) = sweep.apply(change) else {
            return;
        };
        self.counts[Tally::slot(before)] -= 1;
        self.counts[Tally::slot(Some(after))] += 1;
        if let Some(ms) = Tally::due_ms(before) {
            if let Some(n) = self.due.get_mut(&ms) {
                *n -= 1;
                if *n == 0 {
                    self.due.remove(&ms);
                }
            }
        }
        if let Some(ms) = Tally::due_ms(Some(after)) {
            *self.due.entry(ms).or_default() += 1;
        }
        if let Some(lane) = self.lanes.get_mut(task as usize - 1) {
            lane.push((at, Some(after)));
        }
    }

    /// How many tasks are in each state at `now` (see [`super::Log::counts`]).
    pub(super) fn counts(&self, now: Duration, timers_free: bool) -> Counts {
        let mut counts = Counts {
            states: [0; 8],
            done: self.counts[DONE],
            not_begun: self.counts[NOT_BEGUN],
        };
        counts.states.copy_from_slice(&self.counts[..8]);
        if !timers_free {
            let now_ms = now.as_millis() as u64;
            let overdue: u32 = self.due.range(..now_ms).map(|(_, n)| n).sum();
            counts.states[TaskState::Sleeping.index()] -= overdue;
            counts.states[TaskState::Overdue.index()] += overdue;
        }
        counts
    }

    /// The changes of the live lane of task `task` so far (empty past the
    /// lanes).
    pub(super) fn lane(&self, task: u32) -> Vec<LaneChange> {
        let Some(lane) = (task as usize)
            .checked_sub(1)
            .and_then(|i| self.lanes.get(i))
        else {
            return Vec::new();
        };
        lane.iter()
            .map(|&(at, state)| LaneChange { at, state })
            .collect()
    }
}

/// What a live view reads of the tally at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Tasks in each state, indexed as [`TaskState::ALL`].
    pub(crate) states: [u32; 8],
    /// Tasks that ended.
    pub(crate) done: u32,
    /// Tasks not begun (on a thread of their own not started yet).
    pub(crate) not_begun: u32,
}

impl Counts {
    /// Tasks in `state`.
    pub(crate) fn of(&self, state: TaskState) -> u32 {
        self.states[state.index()]
    }
}

/// One change of a live lane: from `at`, the task is in this state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LaneChange {
    pub(crate) at: Duration,
    state: Option<Standing>,
}

impl LaneChange {
    /// Whether the task had ended by then.
    pub(crate) fn ended(&self) -> bool {
        self.state == Some(Standing::Done)
    }

    /// The task's state at `t` (at or after this change, before the next),
    /// when `timers_free` says whether a thread that could fire a timer was
    /// parked then: `None` once it ended or before it began.
    pub(crate) fn at(&self, t: Duration, timers_free: bool) -> Option<TaskState> {
        match self.state? {
            Standing::Done => None,
            Standing::Sleep(Some(deadline)) if !timers_free && t > deadline + TIMER_ROUNDING => {
                Some(TaskState::Overdue)
            }
            Standing::Sleep(_) => Some(TaskState::Sleeping),
            Standing::Polled => Some(TaskState::Polled),
            Standing::Held => Some(TaskState::Held),
            Standing::Ready => Some(TaskState::Ready),
            Standing::Queued => Some(TaskState::Queued),
            Standing::InPool => Some(TaskState::InPool),
            Standing::Lock => Some(TaskState::Lock),
        }
    }
}

#[cfg(test)]
impl LaneChange {
    /// A change at `at` to `state` (`None`: the task ended), a sleep due
    /// at `due`: for the live view's tests.
    pub(crate) fn test(at: Duration, state: Option<TaskState>, due: Option<Duration>) -> Self {
        let state = state.map(|s| match s {
            TaskState::Polled => Standing::Polled,
            TaskState::Held => Standing::Held,
            TaskState::Sleeping | TaskState::Overdue => Standing::Sleep(due),
            TaskState::Ready => Standing::Ready,
            TaskState::Queued => Standing::Queued,
            TaskState::InPool => Standing::InPool,
            TaskState::Lock => Standing::Lock,
        });
        LaneChange {
            at,
            state: Some(state.unwrap_or(Standing::Done)),
        }
    }
}

#[cfg(test)]
impl Counts {
    /// These many tasks in these states, `done` ended: for tests.
    pub(crate) fn test(states: &[(TaskState, u32)], done: u32) -> Counts {
        let mut counts = Counts {
            done,
            ..Counts::default()
        };
        for &(state, n) in states {
            counts.states[state.index()] = n;
        }
        counts
    }
}
