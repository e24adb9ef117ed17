//! The log: the observations of a run in progress, taken from the tasks,
//! the waits and the runtime's parks, and the poll follower that feeds it.

use super::behind::{Behind, NOT_READ, Noted};
use super::sweep::Change;
use super::tally::{Counts, LaneChange, StateChange, Tally};
use super::{Birth, CensusOf, Observations, Observed, What, ns};
use crate::events::PollFollower;
use crate::vocab::Park;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Waker;
use std::time::Duration;
use tokio::time::Instant;

/// The observations of a run in progress, taken by whoever saw them: the
/// poll wrapper (polls, and wakes through its waker), the waits (timers,
/// pool calls, blocking calls), the `lock` demo. Shared by the tasks; one
/// lock, taken briefly per observation.
///
/// It keeps the observations for the pictures drawn after the run, and,
/// for a view drawn during it (`--live`), a [`Tally`]: every task's state
/// now, moved by the same rule as the pictures' spans.
pub(crate) struct Log {
    /// The run's `t = 0`; unset until it starts.
    start: std::sync::OnceLock<Instant>,
    /// The highest task whose polls, wakes, timers and lines are observed:
    /// a view asks only for the tasks it shows (`--timeline` draws ten,
    /// the JSON lists 10,000), so a million-task run observes no more. The
    /// calls that hold a thread, the pool's calls and the lock's steps are
    /// observed for every task (the thread lanes draw them all).
    limit: std::sync::atomic::AtomicU32,
    /// Whether every task's polls, wakes and timers are observed all the
    /// same, for the census ([`Log::census`]), which keeps none of them.
    census: std::sync::atomic::AtomicBool,
    inner: Mutex<Inner>,
    /// Whether there is a tally: read without the lock at each poll's
    /// beginning, which only a tally needs to hear.
    tallying: std::sync::atomic::AtomicBool,
    /// Who follows each observation's thread as it is made: a live view's
    /// thread lanes ([`ThreadWatch`]); unset, nobody.
    watch: std::sync::OnceLock<Arc<dyn ThreadWatch>>,
    /// The census's own thread, when the tally is read only at the end
    /// (see [`super::behind`]): set as the run starts, after which the
    /// tally is moved there and the changes are queued for it.
    behind: std::sync::OnceLock<Behind>,
}

/// Whoever follows the threads of the observations as they are made (the
/// live view's thread lanes, which this room cannot name): told each one,
/// outside the log's lock.
pub(crate) trait ThreadWatch: Send + Sync {
    /// `event` was observed.
    fn saw(&self, event: &Observed);
}

struct Inner {
    /// Whether to keep the observations (for the pictures).
    keep: bool,
    events: Vec<Observed>,
    /// The runtime threads' parks and wake-ups, for the overdue spans.
    parks: Vec<Park>,
    /// How many tasks a trace file draws at its end ([`Log::of_tasks`]),
    /// and their observations, kept back when the summary takes the rest.
    traced: (u32, Vec<Observed>),
    /// The states now, for a live view, the census and the NDJSON stream.
    tally: Option<Tally>,
}

impl Inner {
    /// Keeps back the observations of the tasks a trace file draws, once.
    fn keep_traced(&mut self) {
        let tasks = self.traced.0;
        if tasks > 0 && self.traced.1.is_empty() {
            self.traced.1 = self
                .events
                .iter()
                .filter(|e| e.task <= tasks)
                .copied()
                .collect();
        }
    }
}

/// Whether `what` is kept for every task, whatever the limit: the calls
/// that hold a thread, the pool's calls and the lock's steps, which the
/// thread lanes draw for every task.
fn every_task(what: What) -> bool {
    !matches!(
        what,
        What::Polled { .. } | What::Woken | What::Line { .. } | What::Armed { .. } | What::Sent
    )
}

/// At most this many parks and wake-ups are kept (16 bytes each).
const MAX_PARKS: usize = 100_000;

impl Log {
    /// An empty log that keeps its observations when `keep` (the
    /// pictures); the run's start comes later ([`Log::started`]).
    pub(crate) fn new(keep: bool) -> Log {
        Log {
            start: std::sync::OnceLock::new(),
            limit: std::sync::atomic::AtomicU32::new(u32::MAX),
            census: std::sync::atomic::AtomicBool::new(false),
            inner: Mutex::new(Inner {
                keep,
                events: Vec::new(),
                parks: Vec::new(),
                traced: (0, Vec::new()),
                tally: None,
            }),
            tallying: std::sync::atomic::AtomicBool::new(false),
            watch: std::sync::OnceLock::new(),
            behind: std::sync::OnceLock::new(),
        }
    }

    /// Tells `watch` every observation from now on (once).
    pub(crate) fn watch_threads(&self, watch: Arc<dyn ThreadWatch>) {
        let _ = self.watch.set(watch);
    }

    /// A log that holds `observed` already: a recorded run's, for a replay
    /// (`crate::record`).
    pub(crate) fn of(observed: Vec<Observed>) -> Log {
        let log = Log::new(true);
        log.lock().events = observed;
        log
    }

    /// Also keeps every task's state now, and the changes of the first
    /// `lanes` tasks, for a live view of `tasks` tasks born as `birth`.
    pub(crate) fn tally(&self, tasks: u32, birth: Birth, lanes: usize) {
        self.tallied((tasks, birth), |tally| tally.lanes(lanes));
    }

    /// Does `what` to the tally, made for `tasks` tasks born as `birth` if
    /// there was none.
    fn tallied(&self, (tasks, birth): (u32, Birth), what: impl FnOnce(&mut Tally)) {
        self.tallying
            .store(true, std::sync::atomic::Ordering::Relaxed);
        what(
            self.lock()
                .tally
                .get_or_insert_with(|| Tally::new(tasks, birth)),
        );
    }

    /// Also keeps a census of every task ([`CensusOf`]: each task's
    /// account for the JSON's distributions past its cut-off, the band's
    /// tally for a picture): every task's polls, wakes and timers are
    /// observed for it, though only the first `limit` are kept
    /// ([`super::census`]).
    pub(crate) fn census(&self, of: CensusOf) {
        self.tallied((of.tasks, of.birth), |tally| tally.census(of));
        self.census
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Also keeps the state changes of the tasks observed (up to `limit`),
    /// of `tasks` tasks born as `birth`, for the NDJSON stream
    /// ([`Log::changes`]).
    pub(crate) fn stream(&self, tasks: u32, birth: Birth) {
        let observed = self.limit.load(std::sync::atomic::Ordering::Relaxed);
        self.tallied((tasks, birth), |tally| tally.stream(observed.min(tasks)));
    }

    /// The state changes since the last call, in the order the model saw
    /// them (empty without a stream).
    pub(crate) fn changes(&self) -> Vec<StateChange> {
        self.lock()
            .tally
            .as_mut()
            .map(Tally::changes)
            .unwrap_or_default()
    }

    /// The last state changes, once the run is over: those since the last
    /// call, and the overdue stretches of sleeps still going at its end.
    pub(crate) fn last_changes(&self) -> Vec<StateChange> {
        let end = ns(self.since_start(Instant::now()));
        let mut inner = self.lock();
        let Some(tally) = inner.tally.as_mut() else {
            return Vec::new();
        };
        let mut changes = tally.changes();
        changes.extend(tally.last_changes(end));
        changes
    }

    /// Keeps the observations from now on (a trace file asks for them
    /// after a live view made the log).
    pub(crate) fn keep(&self) {
        self.lock().keep = true;
    }

    /// Observes the polls, wakes, timers and lines of tasks 1 to `tasks`
    /// only (see [`Log::observes`]); a later call may widen it, never
    /// narrow it below what another view asked for.
    pub(crate) fn limit(&self, tasks: u32, widen: bool) {
        use std::sync::atomic::Ordering::Relaxed;
        if widen {
            self.limit.fetch_max(tasks, Relaxed);
        } else {
            self.limit.store(tasks, Relaxed);
        }
    }

    /// How many tasks are observed (see [`Log::observes`]).
    pub(crate) fn observed_tasks(&self) -> u32 {
        if self.census.load(std::sync::atomic::Ordering::Relaxed) {
            return u32::MAX;
        }
        self.limit.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether task `task`'s polls, wakes, timers and lines are observed:
    /// the first `limit` are, and every task for a census.
    pub(crate) fn observes(&self, task: u32) -> bool {
        task <= self.observed_tasks()
    }

    /// Whether task `task`'s observations are kept (the first `limit`): a
    /// line, which changes no state, is noted for those only, even when a
    /// census observes every task.
    pub(crate) fn keeps(&self, task: u32) -> bool {
        task <= self.limit.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A runtime thread parked or woke.
    pub(crate) fn park(&self, park: Park) {
        let mut inner = self.lock();
        match (&mut inner.tally, self.behind.get()) {
            (Some(tally), _) => tally.park(park),
            (None, Some(behind)) => behind.push(Noted::Park(park)),
            (None, None) => {}
        }
        if inner.parks.len() < MAX_PARKS {
            inner.parks.push(park);
        }
    }

    /// A trace file will ask for the observations of tasks 1 to `tasks`
    /// ([`Log::of_tasks`]) when it ends, which may be after the summary
    /// took them.
    pub(crate) fn trace(&self, tasks: u32) {
        self.lock().traced.0 = tasks;
    }

    /// The observations of the tasks a trace file draws.
    pub(crate) fn of_tasks(&self) -> Vec<Observed> {
        let mut inner = self.lock();
        inner.keep_traced();
        inner.traced.1.clone()
    }

    /// Makes room for `count` events up front.
    pub(crate) fn reserve(&self, count: usize) -> Result<(), std::collections::TryReserveError> {
        let mut inner = self.lock();
        if inner.keep {
            inner.events.try_reserve(count)?;
        }
        Ok(())
    }

    /// The run starts at `at`. A tally read only at the end (a census,
    /// with no live view and no stream) is moved to a thread of its own
    /// from now on ([`super::behind`]), if one can start.
    pub(crate) fn started(&self, at: Instant) {
        let _ = self.start.set(at);
        let mut inner = self.lock();
        if self.behind.get().is_none() && inner.tally.as_ref().is_some_and(Tally::read_at_end) {
            if let Some(behind) = Behind::start(&mut inner.tally) {
                let _ = self.behind.set(behind);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Nanoseconds from the start of the run to `at`.
    fn since_start(&self, at: Instant) -> u64 {
        self.start.get().map_or(0, |s| {
            u64::try_from(at.saturating_duration_since(*s).as_nanos()).unwrap_or(u64::MAX)
        })
    }

    /// Notes that `what` happened to task `task` at the time `at` reads,
    /// on this thread. The clock is read only when the time is needed: for
    /// an observation that is kept or watched, or when the tally's state
    /// changes. A timer armed inside a poll, or a wake-up during one,
    /// changes no state, so a watched task past the kept ones reads no
    /// clock for it (a clock reading costs 40 to 50 ns: docs/benchmarks.md).
    fn note_at(&self, task: u32, at: impl FnOnce() -> Instant, what: What) {
        let kept = self.keeps(task) || every_task(what);
        // Read at most once, by whichever needs it first.
        let (mut at, mut read) = (Some(at), None);
        let mut since =
            || *read.get_or_insert_with(|| at.take().map_or(0, |at| self.since_start(at())));
        if let Some(watch) = self.watch.get() {
            watch.saw(&Observed {
                at: since(),
                task,
                thread: crate::events::thread_number(),
                what,
            });
        }
        let change = match what {
            // Its beginning was told when it began ([`Log::began`]).
            What::Polled { ready, .. } => Change::Return(ready),
            what => Change::Event(what),
        };
        let took = match what {
            What::Polled { took, .. } => took,
            _ => 0,
        };
        // For a census moved on its own thread, the change is queued, with
        // its time: a timer armed reads none, since it is armed inside the
        // task's own poll and so changes no state. A line changes none.
        let mut noted = || Noted::Change {
            task,
            at: match what {
                What::Armed { .. } => NOT_READ,
                _ => since().saturating_add(took),
            },
            change,
        };
        let queued = match self.behind.get() {
            Some(behind) if !matches!(what, What::Line { .. }) => {
                behind.push(noted());
                true
            }
            Some(_) => true,
            None => false,
        };
        // The log's own lock is then needed only to keep the observation.
        if queued && !kept {
            return;
        }
        let mut inner = self.lock();
        let keep = inner.keep && kept;
        if !queued {
            match (&mut inner.tally, self.behind.get()) {
                (Some(tally), _) => tally.apply(task, || ns(since().saturating_add(took)), change),
                (None, Some(behind)) => behind.push(noted()),
                (None, None) => {}
            }
        }
        if keep {
            inner.events.push(Observed {
                at: since(),
                task,
                thread: crate::events::thread_number(),
                what,
            });
        }
    }

    /// A poll of task `task` began at `at`: only a tally needs to know now
    /// (the pictures learn of it when the poll returns, in one event).
    fn began(&self, task: u32, at: Instant) {
        if !self.tallying.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let noted = || Noted::Change {
            task,
            at: self.since_start(at),
            change: Change::Begin,
        };
        if let Some(behind) = self.behind.get() {
            return behind.push(noted());
        }
        let mut inner = self.lock();
        match (&mut inner.tally, self.behind.get()) {
            (Some(tally), _) => tally.apply(task, || ns(self.since_start(at)), Change::Begin),
            (None, Some(behind)) => behind.push(noted()),
            (None, None) => {}
        }
    }

    /// Moves the tally as a replay plays a recording, in time order, at the
    /// recorded time `at`: task `task`'s poll began (`None`), or `what`
    /// happened (a `Polled` when the poll returned).
    pub(crate) fn replayed(&self, at: Duration, task: u32, what: Option<What>) {
        let change = match what {
            None => Change::Begin,
            Some(What::Polled { ready, .. }) => Change::Return(ready),
            Some(what) => Change::Event(what),
        };
        if let Some(tally) = &mut self.lock().tally {
            tally.apply(task, || at, change);
        }
    }

    /// Notes that `what` happened to task `task` now, on this thread.
    pub(crate) fn note(&self, task: u32, what: What) {
        self.note_at(task, Instant::now, what);
    }

    /// Task `task` armed a timer due at `deadline`.
    pub(crate) fn armed(&self, task: u32, deadline: Instant) {
        if !self.observes(task) {
            return;
        }
        let deadline = self.since_start(deadline);
        self.note(task, What::Armed { deadline });
    }

    /// Whether its census is moved on a thread of its own.
    #[cfg(test)]
    pub(crate) fn is_behind(&self) -> bool {
        self.behind.get().is_some()
    }

    /// A copy of everything observed so far.
    #[cfg(test)]
    pub(crate) fn snapshot(&self) -> Vec<Observed> {
        self.lock().events.clone()
    }

    /// Everything observed, and the parks, taken out for the summary.
    pub(crate) fn take(&self) -> Observations {
        let end = ns(self.since_start(Instant::now()));
        // A census moved on its own thread is caught up first.
        let mut moved = self.behind.get().and_then(Behind::finish);
        let mut inner = self.lock();
        inner.keep_traced();
        let tally = moved.as_mut().or(inner.tally.as_mut());
        Observations {
            tallies: tally.and_then(|t| t.tallies(end)).map(Box::new),
            events: std::mem::take(&mut inner.events),
            parks: std::mem::take(&mut inner.parks),
        }
    }

    /// How many tasks are in each state at `now` (time since the start),
    /// when `timers_free` says whether a thread that could fire a timer is
    /// parked: the sleepers past their deadline are overdue when none is.
    /// `None` without a tally.
    pub(crate) fn counts(&self, now: Duration, timers_free: bool) -> Option<Counts> {
        Some(self.lock().tally.as_ref()?.counts(now, timers_free))
    }

    /// The changes of the live lane of task `task` so far (empty past the
    /// lanes, or without a tally).
    pub(crate) fn lane(&self, task: u32) -> Vec<LaneChange> {
        self.lock()
            .tally
            .as_ref()
            .map_or_else(Vec::new, |tally| tally.lane(task))
    }
}

/// The waker the log hands to a task's coroutine: notes each call, then
/// wakes the executor's own waker.
struct Noting {
    log: Arc<Log>,
    task: u32,
    inner: Waker,
}

impl std::task::Wake for Noting {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.log.note(self.task, What::Woken);
        self.inner.wake_by_ref();
    }
}

/// The log's poll follower: each poll noted when it returns, and each
/// coroutine polled with a [`Noting`] waker. An `Arc` of its log, so that
/// the waker it makes can own one.
pub(crate) struct Watcher(pub(crate) Arc<Log>);

impl PollFollower for Watcher {
    // The poll wrapper reads the run's clock (`crate::events::now`) as the
    // poll begins and as it returns: the model takes its times from those
    // readings instead of reading the clock again.
    fn poll_began(&self, id: u32, start: std::time::Instant) {
        if self.0.observes(id) {
            self.0.began(id, Instant::from_std(start));
        }
    }
    fn poll_ended(&self, id: u32, start: std::time::Instant, took: Duration) {
        self.poll_returned(id, start, took, false);
    }
    fn poll_returned(&self, id: u32, start: std::time::Instant, took: Duration, ready: bool) {
        if !self.0.observes(id) {
            return;
        }
        let took = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.0.note_at(
            id,
            || Instant::from_std(start),
            What::Polled { took, ready },
        );
    }
    fn waker(&self, id: u32, waker: &Waker) -> Option<Waker> {
        if !self.0.observes(id) {
            return None;
        }
        Some(Waker::from(Arc::new(Noting {
            log: Arc::clone(&self.0),
            task: id,
            inner: waker.clone(),
        })))
    }
}

/// Two poll followers as one: the model's watcher beside `--explain` or
/// `--slow-poll`. Each hears every poll; the coroutine's waker is wrapped
/// by both, the second around the first's.
pub(crate) struct Both<A, B>(pub(crate) Arc<A>, pub(crate) Arc<B>);

impl<A: PollFollower + Send, B: PollFollower + Send> PollFollower for Both<A, B> {
    fn poll_began(&self, id: u32, start: std::time::Instant) {
        self.0.poll_began(id, start);
        self.1.poll_began(id, start);
    }
    fn poll_ended(&self, id: u32, start: std::time::Instant, took: Duration) {
        self.0.poll_ended(id, start, took);
        self.1.poll_ended(id, start, took);
    }
    fn poll_returned(&self, id: u32, start: std::time::Instant, took: Duration, ready: bool) {
        self.0.poll_returned(id, start, took, ready);
        self.1.poll_returned(id, start, took, ready);
    }
    fn waker(&self, id: u32, waker: &Waker) -> Option<Waker> {
        match self.0.waker(id, waker) {
            Some(first) => Some(self.1.waker(id, &first).unwrap_or(first)),
            None => self.1.waker(id, waker),
        }
    }
}
