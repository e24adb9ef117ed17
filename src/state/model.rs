//! The model of a finished run: each task's spans, built on demand from
//! its observations, and each task's account for the JSON.

use super::sweep::{nobody_parked, spans_of};
use super::{Birth, Observed, Span, TaskState, What, ns};
use crate::vocab::Park;
use std::time::Duration;

/// The model of one run: every task's spans, on demand.
///
/// The observations are kept grouped by task (a counting sort, linear in
/// the number of events) and a task's spans are built when a view asks,
/// so a million-task run holds its events once, not its spans as well.
pub(crate) struct Model {
    /// The observations, grouped by task (task 1's first).
    events: Vec<Observed>,
    /// Where each task's events begin in `events`; one more entry than tasks.
    starts: Vec<usize>,
    /// When no thread that could fire a timer was parked, in time order.
    driver_busy: Vec<(Duration, Duration)>,
    /// The end of the picture: where a task still waiting is cut.
    end: Duration,
    birth: Birth,
}

impl Model {
    /// The model of a run of `tasks` tasks from what it observed, up to
    /// `end`. `parks` are the runtime threads' parks and wake-ups; `timer
    /// threads` are the threads that may fire timers (the runtime's
    /// threads: a current-thread runtime's one, or a multi-thread
    /// runtime's workers), `None` to take every thread in `parks`.
    pub(crate) fn new(
        observed: &[Observed],
        parks: &[Park],
        (tasks, birth): (u32, Birth),
        end: Duration,
    ) -> Model {
        let tasks = tasks as usize;
        // Counting sort by task: each task's events keep their order.
        let mut starts = vec![0usize; tasks + 2];
        for event in observed.iter().filter(|e| (e.task as usize) <= tasks) {
            starts[event.task as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut fill = starts.clone();
        let filler = Observed {
            at: 0,
            task: 0,
            thread: 0,
            what: What::Woken,
        };
        let mut events = vec![filler; starts[tasks + 1]];
        for event in observed.iter().filter(|e| (e.task as usize) <= tasks) {
            let slot = &mut fill[event.task as usize];
            events[*slot] = *event;
            *slot += 1;
        }
        starts.remove(0);
        Model {
            events,
            starts,
            driver_busy: nobody_parked(parks, end),
            end,
            birth,
        }
    }

    /// How many tasks the model knows.
    pub(crate) fn tasks(&self) -> u32 {
        (self.starts.len() - 1) as u32
    }

    /// The observations of task `task` (from 1), in the order they came.
    fn of(&self, task: u32) -> &[Observed] {
        let i = task as usize - 1;
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.events[a..b],
            _ => &[],
        }
    }

    /// The spans of task `task`, in time order, empty ones left out.
    pub(crate) fn spans(&self, task: u32) -> Vec<Span> {
        if task == 0 || task > self.tasks() {
            return Vec::new();
        }
        spans_of(self.of(task), self.birth, &self.driver_busy, self.end)
    }

    /// What task `task` was doing at `t`: `None` before it began or after
    /// it ended.
    #[cfg(test)]
    pub(crate) fn state_at(&self, task: u32, t: Duration) -> Option<TaskState> {
        self.spans(task)
            .into_iter()
            .find(|s| s.from <= t && t < s.to)
            .map(|s| s.state)
    }

    /// Whether task `task` ran to its end (its last poll returned `Ready`).
    #[cfg(test)]
    pub(crate) fn finished(&self, task: u32) -> bool {
        self.of(task)
            .iter()
            .any(|e| matches!(e.what, What::Polled { ready: true, .. }))
    }

    /// The most tasks whose wait was in progress at one moment
    /// ([`TaskState::waits`]).
    #[cfg(test)]
    pub(crate) fn peak_overlap(&self) -> u32 {
        let mut steps: Vec<(Duration, i32)> = Vec::new();
        for task in 1..=self.tasks() {
            let mut open: Option<Duration> = None;
            for span in self.spans(task) {
                match (span.state.waits(), open) {
                    (true, None) => open = Some(span.from),
                    (false, Some(from)) => {
                        steps.push((from, 1));
                        steps.push((span.from, -1));
                        open = None;
                    }
                    _ => {}
                }
            }
            if let Some(from) = open {
                steps.push((from, 1));
                steps.push((self.end.max(from) + Duration::from_nanos(1), -1));
            }
        }
        // Ends before starts at one instant: a wait handed over is not two.
        steps.sort_unstable();
        let (mut now, mut peak) = (0i32, 0i32);
        for (_, step) in steps {
            now += step;
            peak = peak.max(now);
        }
        peak as u32
    }

    /// Each wake-up of task `task` and the poll it led to: when its waker
    /// was first called after a poll began, and when the next poll began.
    pub(crate) fn flows(&self, task: u32) -> Vec<(Duration, Duration)> {
        let mut events: Vec<&Observed> = self.of(task).iter().collect();
        events.sort_by_key(|e| e.at);
        let mut out = Vec::new();
        let mut woken: Option<Duration> = None;
        for event in events {
            match event.what {
                What::Woken => {
                    woken.get_or_insert(ns(event.at));
                }
                What::Polled { .. } => {
                    if let Some(at) = woken.take() {
                        out.push((at, ns(event.at).max(at)));
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Every blocking call that held a thread: the thread, from, to (to
    /// `end` for a call still in progress there). In task order.
    pub(crate) fn held(&self, end: Duration) -> Vec<(u32, Duration, Duration)> {
        let mut out = Vec::new();
        for task in 1..=self.tasks() {
            let mut open: Option<(u32, Duration)> = None;
            for event in self.of(task) {
                match (event.what, open) {
                    (What::HeldBegan, _) => open = Some((event.thread, ns(event.at))),
                    (What::HeldEnded, Some((thread, from))) => {
                        out.push((thread, from, ns(event.at)));
                        open = None;
                    }
                    _ => {}
                }
            }
            if let Some((thread, from)) = open {
                out.push((thread, from, end.max(from)));
            }
        }
        out
    }

    /// Task `task`'s record: time in each state, its polls, its longest.
    pub(crate) fn record(&self, task: u32) -> Record {
        let mut record = Record::default();
        for span in self.spans(task) {
            record.time[span.state.index()] += span.to - span.from;
        }
        for event in self.of(task) {
            match event.what {
                What::Polled { took, .. } => {
                    record.polls += 1;
                    record.longest_poll = record.longest_poll.max(ns(took));
                }
                What::Line { first: true } => record.first_line = Some(ns(event.at)),
                What::Line { first: false } => record.last_line = Some(ns(event.at)),
                _ => {}
            }
        }
        record
    }
}

/// One task's account: how long it spent in each state, how many times it
/// was polled, and its longest poll.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Record {
    /// Time in each state, indexed as [`TaskState::ALL`].
    pub(crate) time: [Duration; 8],
    /// Polls.
    pub(crate) polls: u32,
    /// The longest poll.
    pub(crate) longest_poll: Duration,
    /// When it printed its first and its last line.
    pub(crate) first_line: Option<Duration>,
    pub(crate) last_line: Option<Duration>,
}

impl Record {
    /// Time spent in `state`.
    pub(crate) fn time_in(&self, state: TaskState) -> Duration {
        self.time[state.index()]
    }
}
