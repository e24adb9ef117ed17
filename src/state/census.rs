//! The census: what a run past the JSON's cut-off, or a picture's band,
//! needs of *every* task, kept as the sweep closes each span instead of
//! keeping the spans. Per task, only its account so far (microseconds in
//! each state, polls); when it ends, the account goes into one
//! [`Histogram`] per state, and each span into the band's tally
//! ([`Band`]). The run's memory for it is fixed per task (the accounts)
//! plus a fixed amount for the histograms and the band.

use super::band::{Band, Class};
use super::histogram::Histogram;
use super::{CensusOf, Span, TaskState};
use crate::vocab::Park;
use std::time::Duration;

/// At most this many stretches without a parked thread are kept (16 bytes
/// each), as the model keeps at most as many parks.
const MAX_STRETCHES: usize = 100_000;

/// When no runtime thread was parked, as the parks come in: the stretches
/// in which a due timer went unnoticed (the model's `nobody_parked`, kept
/// during the run). The last one is open (to `Duration::MAX`) while nobody
/// is parked.
#[derive(Debug)]
pub(super) struct Busy {
    threads: Vec<(u32, bool)>,
    stretches: Vec<(Duration, Duration)>,
}

impl Default for Busy {
    fn default() -> Busy {
        // Each thread counts as unparked from the start.
        Busy {
            threads: Vec::new(),
            stretches: vec![(Duration::ZERO, Duration::MAX)],
        }
    }
}

impl Busy {
    /// A runtime thread parked or woke.
    pub(super) fn park(&mut self, park: Park) {
        match self.threads.iter_mut().find(|t| t.0 == park.thread) {
            Some(slot) => slot.1 = park.parked,
            None => self.threads.push((park.thread, park.parked)),
        }
        let any_parked = self.threads.iter().any(|t| t.1);
        let open = self.stretches.last().is_some_and(|s| s.1 == Duration::MAX);
        match (any_parked, open) {
            (true, true) => {
                let last = self.stretches.len() - 1;
                let from = self.stretches[last].0;
                if park.at > from {
                    self.stretches[last].1 = park.at;
                } else {
                    self.stretches.pop();
                }
            }
            (false, false) if self.stretches.len() < MAX_STRETCHES => {
                self.stretches.push((park.at, Duration::MAX));
            }
            _ => {}
        }
    }

    /// The stretches so far, in time order.
    pub(super) fn stretches(&self) -> &[(Duration, Duration)] {
        &self.stretches
    }
}

/// One task's account so far.
#[derive(Clone, Copy, Debug, Default)]
struct Account {
    /// Microseconds in each state, indexed as [`TaskState::ALL`] (each
    /// span rounded to the nearest microsecond; 71 minutes at most).
    micros: [u32; 8],
    polls: u32,
    /// Its account went into the histograms (it ended).
    counted: bool,
}

/// The census of a run in progress.
#[derive(Debug)]
pub(super) struct Census {
    /// Each task's account, or none when no view reads them.
    accounts: Vec<Account>,
    /// Whether the band's tally is kept: without it, `tallies.band` stays
    /// empty.
    band: bool,
    tallies: Tallies,
}

/// What the census hands over at the end of the run: how every task's
/// time in each state, and its polls, spread over the tasks, and the
/// band's tally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Tallies {
    /// Microseconds in each state per task, indexed as [`TaskState::ALL`]:
    /// one value per task.
    pub(crate) micros: Vec<Histogram>,
    /// Polls per task.
    pub(crate) polls: Histogram,
    /// How many tasks were waiting, and how many ready, over time.
    pub(crate) band: Band,
}

impl Tallies {
    /// How many tasks it counted.
    pub(crate) fn tasks(&self) -> u64 {
        self.polls.count()
    }
}

/// The band's class of a state: everything but ready and queued is drawn
/// as a wait (a poll or a held thread too), and queued is neither.
pub(crate) fn class(state: TaskState) -> Option<Class> {
    match state {
        TaskState::Ready => Some(Class::Ready),
        TaskState::Queued => None,
        _ => Some(Class::Waiting),
    }
}

pub(super) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

impl Census {
    /// The census of `tasks` tasks, keeping what `of` asks for (its own
    /// count of tasks aside: the tally's is the one).
    pub(super) fn new(tasks: u32, of: CensusOf) -> Census {
        let accounts = if of.accounts { tasks as usize } else { 0 };
        Census {
            accounts: vec![Account::default(); accounts],
            band: of.band,
            tallies: Tallies {
                micros: vec![Histogram::default(); 8],
                polls: Histogram::default(),
                band: Band::default(),
            },
        }
    }

    fn account(&mut self, task: u32) -> Option<&mut Account> {
        self.accounts.get_mut((task as usize).checked_sub(1)?)
    }

    /// Task `task` spent `span`.
    pub(super) fn span(&mut self, task: u32, span: &Span) {
        let (from, to) = (nanos(span.from), nanos(span.to));
        if let Some(class) = class(span.state).filter(|_| self.band) {
            self.tallies.band.add(class, (from, to), 1);
        }
        if let Some(account) = self.account(task) {
            let micros = &mut account.micros[span.state.index()];
            let add = u32::try_from(to.saturating_sub(from).saturating_add(500) / 1000)
                .unwrap_or(u32::MAX);
            *micros = micros.saturating_add(add);
        }
    }

    /// A poll of task `task` began.
    pub(super) fn poll(&mut self, task: u32) {
        if let Some(account) = self.account(task) {
            account.polls += 1;
        }
    }

    /// Task `task` ended: its account is counted.
    pub(super) fn ended(&mut self, task: u32) {
        let Some(account) = self.account(task) else {
            return;
        };
        if account.counted {
            return;
        }
        account.counted = true;
        let account = *account;
        for (histogram, &micros) in self.tallies.micros.iter_mut().zip(&account.micros) {
            histogram.add(u64::from(micros));
        }
        self.tallies.polls.add(u64::from(account.polls));
    }

    /// The tallies, once every task still going has been closed (its
    /// open span spent, then [`Census::ended`]).
    pub(super) fn into_tallies(mut self) -> Tallies {
        for task in 1..=self.accounts.len() as u32 {
            self.ended(task);
        }
        self.tallies
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::tests::{ms, park_on as park};

    #[test]
    fn busy_stretches_are_where_no_thread_was_parked() {
        let mut busy = Busy::default();
        // Thread 1 parks at 5, thread 2 at 7; thread 1 wakes at 10, thread
        // 2 at 20; thread 1 parks again at 30.
        for p in [
            park(5, 1, true),
            park(7, 2, true),
            park(10, 1, false),
            park(20, 2, false),
            park(30, 1, true),
        ] {
            busy.park(p);
        }
        assert_eq!(busy.stretches(), &[(ms(0), ms(5)), (ms(20), ms(30))]);
        busy.park(park(40, 1, false));
        assert_eq!(busy.stretches()[2], (ms(40), Duration::MAX));
    }

    #[test]
    fn each_task_counts_once_with_its_time_in_each_state() {
        let of = CensusOf {
            tasks: 3,
            birth: crate::state::Birth::AtStart,
            accounts: true,
            band: true,
        };
        let mut census = Census::new(3, of);
        let span = |from, to, state| Span {
            from: ms(from),
            to: ms(to),
            state,
        };
        census.poll(1);
        census.span(1, &span(0, 100, TaskState::Sleeping));
        census.span(1, &span(100, 150, TaskState::Overdue));
        census.span(1, &span(150, 160, TaskState::Ready));
        census.poll(1);
        census.ended(1);
        census.ended(1);
        census.span(2, &span(0, 300, TaskState::Queued));
        census.poll(2);
        let tallies = census.into_tallies();
        // Three tasks: task 3 never ran and counts with nothing.
        assert_eq!(tallies.tasks(), 3);
        let of = |state: TaskState, q| tallies.micros[state.index()].quantile(q);
        assert_eq!(of(TaskState::Sleeping, 1.0), 100_000);
        assert_eq!(of(TaskState::Sleeping, 0.0), 0);
        assert_eq!(of(TaskState::Overdue, 1.0), 50_000);
        assert_eq!(of(TaskState::Queued, 1.0), 300_000);
        assert_eq!(tallies.polls.quantile(1.0), 2);
        assert_eq!(tallies.polls.quantile(0.5), 1);
        assert_eq!(tallies.polls.quantile(0.0), 0);
        // The band: queued is not drawn; the rest is.
        let cols = tallies.band.columns(nanos(ms(300)), 3);
        assert!((cols[0][0] - 1.0).abs() < 1e-6, "{cols:?}");
        assert!((cols[1][0] - 0.5).abs() < 1e-6, "{cols:?}");
        assert!((cols[1][1] - 0.1).abs() < 1e-6, "{cols:?}");
        assert!(cols[2][0].abs() < 1e-6, "{cols:?}");
    }

    #[test]
    fn a_census_keeps_only_the_parts_asked_for() {
        let span = Span {
            from: ms(0),
            to: ms(100),
            state: TaskState::Sleeping,
        };
        let of = |accounts, band| CensusOf {
            tasks: 1,
            birth: crate::state::Birth::AtStart,
            accounts,
            band,
        };
        let tallied = |of| {
            let mut census = Census::new(1, of);
            census.poll(1);
            census.span(1, &span);
            census.ended(1);
            census.into_tallies()
        };
        let band_only = tallied(of(false, true));
        assert_eq!(band_only.tasks(), 0);
        assert_ne!(band_only.band, Band::default());
        let accounts_only = tallied(of(true, false));
        assert_eq!(accounts_only.tasks(), 1);
        assert_eq!(
            accounts_only.micros[TaskState::Sleeping.index()].quantile(1.0),
            100_000
        );
        assert_eq!(accounts_only.band, Band::default());
    }
}
