//! The tally: every task's state now, moved by the sweep's rule as the
//! observations come in. A view drawn during the run (`--live`) reads its
//! counts and lanes; the census ([`Census`]) and the NDJSON stream of
//! state changes take each span as it closes.

use super::census::{Busy, Census, Tallies, nanos};
use super::sweep::{Change, Standing, Sweep, split};
use super::{Birth, CensusOf, Span, TIMER_ROUNDING, TaskState, ns};
use crate::vocab::Park;
use std::time::Duration;

/// One change of a task's state, for the NDJSON stream: from `at`, task
/// `task` is in `state` (`None`: it ended).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StateChange {
    pub(crate) task: u32,
    pub(crate) at: Duration,
    pub(crate) state: Option<TaskState>,
}

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
    /// Whether a live view reads the counts (only it needs `due`, which
    /// costs a tree update per sleep).
    live: bool,
    /// The first tasks' changes: when, and the state from then on.
    lanes: Vec<Vec<(Duration, Option<Standing>)>>,
    /// When each task's standing began, in nanoseconds since the start,
    /// for the census and the stream (empty without them): 8 bytes a task.
    since: Vec<u64>,
    /// When no runtime thread was parked, for the overdue spans.
    busy: Busy,
    /// Every task's account, for the JSON past its cut-off and the band.
    census: Option<Census>,
    /// The changes of tasks 1 to `.0`, not yet written (NDJSON).
    stream: Option<(u32, Vec<StateChange>)>,
    /// Spans being closed (a sleep split where it was overdue).
    scratch: Vec<Span>,
}

/// The tally's slots: the eight [`TaskState`]s, done, and not begun.
const SLOTS: usize = 10;
const DONE: usize = 8;
const NOT_BEGUN: usize = 9;

impl Tally {
    pub(super) fn new(tasks: u32, birth: Birth) -> Tally {
        let sweep = Sweep::new(birth);
        let mut counts = [0; SLOTS];
        counts[Tally::slot(sweep.now())] = tasks;
        Tally {
            sweeps: vec![sweep; tasks as usize],
            counts,
            due: std::collections::BTreeMap::new(),
            live: false,
            lanes: Vec::new(),
            since: Vec::new(),
            busy: Busy::default(),
            census: None,
            stream: None,
            scratch: Vec::new(),
        }
    }

    /// Keeps the changes of the first `lanes` tasks (a live view's lanes).
    pub(super) fn lanes(&mut self, lanes: usize) {
        self.live = true;
        let shown = lanes.min(self.sweeps.len());
        let start = self.sweeps.first().and_then(|s| s.now());
        self.lanes = (0..shown).map(|_| vec![(Duration::ZERO, start)]).collect();
    }

    /// Whether it is read only at the end of the run: a census, with no
    /// live view (counts, lanes) and no stream of changes to read during
    /// it. Such a tally may be moved on a thread of its own
    /// ([`super::behind`]).
    pub(super) fn read_at_end(&self) -> bool {
        self.census.is_some() && !self.live && self.stream.is_none()
    }

    /// Keeps a census of every task: what `of` asks for ([`Census`]).
    pub(super) fn census(&mut self, of: CensusOf) {
        self.census = Some(Census::new(self.sweeps.len() as u32, of));
        self.since = vec![0; self.sweeps.len()];
    }

    /// Keeps the changes of tasks 1 to `tasks` for the NDJSON stream; a
    /// task born at the start is ready from 0.
    pub(super) fn stream(&mut self, tasks: u32) {
        let mut changes = Vec::new();
        for (task, sweep) in (1..=tasks).zip(&self.sweeps) {
            if sweep.now() == Some(Standing::Ready) {
                changes.push(StateChange {
                    task,
                    at: Duration::ZERO,
                    state: Some(TaskState::Ready),
                });
            }
        }
        self.stream = Some((tasks, changes));
        self.since = vec![0; self.sweeps.len()];
    }

    /// The stream's changes so far, taken out (empty without a stream).
    pub(super) fn changes(&mut self) -> Vec<StateChange> {
        self.stream
            .as_mut()
            .map(|(_, changes)| std::mem::take(changes))
            .unwrap_or_default()
    }

    /// The stream's last changes at the run's end, `end`: a sleep still
    /// going that was overdue is told now (nothing else changes there).
    pub(super) fn last_changes(&mut self, end: Duration) -> Vec<StateChange> {
        let Some((tasks, changes)) = &mut self.stream else {
            return Vec::new();
        };
        for (task, sweep) in (1..=*tasks).zip(&self.sweeps) {
            let (Some(state), Some(&since)) = (sweep.now(), self.since.get(task as usize - 1))
            else {
                continue;
            };
            split_open(&mut self.scratch, (ns(since), end), state, &self.busy);
            for span in self.scratch.iter().skip(1) {
                changes.push(StateChange {
                    task,
                    at: span.from,
                    state: Some(span.state),
                });
            }
        }
        std::mem::take(changes)
    }

    /// A runtime thread parked or woke.
    pub(super) fn park(&mut self, park: Park) {
        self.busy.park(park);
    }

    /// Closes task `task`'s stretch in `before` from its `since` to `at`,
    /// for the census and the stream, and notes the state it goes into.
    fn close(&mut self, task: u32, at: Duration, before: Option<Standing>, after: Standing) {
        let Some(since) = (task as usize)
            .checked_sub(1)
            .and_then(|i| self.since.get_mut(i))
        else {
            return;
        };
        let from = ns(std::mem::replace(since, nanos(at)));
        self.scratch.clear();
        if let Some(before) = before {
            split(&mut self.scratch, (from, at), before, self.busy.stretches());
        }
        if let Some(census) = &mut self.census {
            for span in &self.scratch {
                census.span(task, span);
            }
            match after {
                Standing::Polled if before != Some(Standing::Held) => census.poll(task),
                Standing::Done => census.ended(task),
                _ => {}
            }
        }
        if let Some((tasks, changes)) = &mut self.stream {
            if task > *tasks {
                return;
            }
            // The stretch's first state was told when it began; a sleep
            // found overdue on the way is told now, at its own times.
            let told = |i: usize, span: &Span| i == 0 && span.state != TaskState::Overdue;
            for (_, span) in self
                .scratch
                .iter()
                .enumerate()
                .filter(|&(i, span)| !told(i, span))
            {
                changes.push(StateChange {
                    task,
                    at: span.from,
                    state: Some(span.state),
                });
            }
            let mut none = Vec::new();
            split(&mut none, (at, at + Duration::from_nanos(1)), after, &[]);
            changes.push(StateChange {
                task,
                at,
                state: none.first().map(|s| s.state),
            });
        }
    }

    /// The census's tallies at the end of the run, `end`: each task still
    /// going is closed there. `None` without a census.
    pub(super) fn tallies(&mut self, end: Duration) -> Option<Tallies> {
        self.census.as_ref()?;
        for task in 1..=self.sweeps.len() as u32 {
            let now = self.sweeps[task as usize - 1].now();
            if let Some(state) = now.filter(|s| *s != Standing::Done) {
                let since = self.since[task as usize - 1];
                split_open(&mut self.scratch, (ns(since), end), state, &self.busy);
                if let Some(census) = &mut self.census {
                    for span in &self.scratch {
                        census.span(task, span);
                    }
                }
            }
        }
        self.census.take().map(Census::into_tallies)
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

    /// Task `task` took `change` at the time `at` gives, asked only when
    /// its state changed (see [`super::Log`]'s notes).
    pub(super) fn apply(&mut self, task: u32, at: impl FnOnce() -> Duration, change: Change) {
        let Some(sweep) = (task as usize)
            .checked_sub(1)
            .and_then(|i| self.sweeps.get_mut(i))
        else {
            return;
        };
        let before = sweep.now();
        let Some(after) = sweep.apply(change) else {
            return;
        };
        let at = at();
        self.counts[Tally::slot(before)] -= 1;
        self.counts[Tally::slot(Some(after))] += 1;
        if let Some(ms) = Tally::due_ms(before).filter(|_| self.live) {
            if let Some(n) = self.due.get_mut(&ms) {
                *n -= 1;
                if *n == 0 {
                    self.due.remove(&ms);
                }
            }
        }
        if let Some(ms) = Tally::due_ms(Some(after)).filter(|_| self.live) {
            *self.due.entry(ms).or_default() += 1;
        }
        if let Some(lane) = self.lanes.get_mut(task as usize - 1) {
            lane.push((at, Some(after)));
        }
        if !self.since.is_empty() {
            self.close(task, at, before, after);
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

/// The spans of a stretch in `state` from `since`, still going at the
/// run's `end`, into `scratch` (cleared first): a sleep is split where it
/// was overdue, as the stretches that closed during the run were.
fn split_open(
    scratch: &mut Vec<Span>,
    (since, end): (Duration, Duration),
    state: Standing,
    busy: &Busy,
) {
    scratch.clear();
    split(scratch, (since, end.max(since)), state, busy.stretches());
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
