//! `--live`: the timeline drawn on the terminal while the run goes.
//!
//! Three parts, each testable on its own:
//!
//! - [`LiveState`], what the run tells the view. [`Follow`], a follower of
//!   the run's events (`crate::events`), calls [`LiveState::line`] and
//!   [`LiveState::park`] as they happen; each is a few atomic stores, no
//!   lock and no allocation, so a million-task run pays almost nothing for
//!   being watched. Only the first [`MAX_LANES`]
//!   tasks keep their own times (they get a lane each); every other task is
//!   only counted, and the view draws the rest as one density band.
//! - [`Threads`] (`threads`): what each thread was seen doing (its lines
//!   and parks from [`Follow`], its polls and the calls that held it or
//!   ran on it from the model's log), kept small as it comes; the thread
//!   lanes are made of it, at each frame, by the pictures' own rule
//!   ([`crate::report::lanes::thread_lanes`]), so a lane and its role
//!   (`worker 2`, `took worker 1's core`, `pool thread 1`) come from what
//!   was observed, never from the plan.
//! - `draw` (with the cargo feature `live`): a pure function from what the
//!   view has seen ([`Seen`]) to a ratatui buffer: the lanes, the thread
//!   lanes, the counts line and the legend.
//! - `screen` (with the feature): the drawing thread. It owns stdout while
//!   the view is up, redraws at a steady rate (never once per event), puts
//!   the demo's own lines above the view, follows a resize, and leaves the
//!   terminal clean ([`View::finish`]).
//!
//! The view draws from a thread of its own, so it keeps moving while a
//! blocking task holds the runtime thread: that is the moment to watch.
//!
//! The words for the states are tokio-console's: a task that is polled is
//! RUNNING (and a task blocked inside its poll is still RUNNING: its poll
//! has not returned), one waiting for a wake-up is IDLE, and one woken but
//! not yet polled is SCHED.
//!
//! In the `lock` demo a task also waits for the shared lock, between asking
//! for it and getting it, as `--timeline` draws it: inside std's `lock()`
//! it holds the thread (and in a deadlock, holds it for good), while
//! awaiting tokio's it is IDLE, its thread free.

// Without the feature nothing reads the state: `--live` is refused before a
// run starts, and only the sink's hooks (which then never fire) remain.
#![cfg_attr(not(feature = "live"), allow(dead_code))]

#[cfg(feature = "live")]
mod draw;
#[cfg(feature = "live")]
mod screen;
mod start;
#[cfg(feature = "live")]
mod step;
mod threads;

use crate::events::LockStep;
use crate::events::{Follower, RunEvent};
use crate::report::lanes::Driver;
use crate::report::waiting::Waiting;
use crate::state::{self, LaneChange, Log};
use crate::vocab::{LockKind, Phase, Work};
use std::sync::atomic::{AtomicU8, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

// The view itself (`screen`, `draw`) or, without the feature, a `View`
// with the same API that says so: `enabled.rs` / `disabled.rs`.
#[cfg(feature = "live")]
#[path = "enabled.rs"]
mod imp;
#[cfg(not(feature = "live"))]
#[path = "disabled.rs"]
mod imp;

pub(crate) use imp::{View, step};

/// Whether this build draws the view (the cargo feature `live`).
pub(crate) const ENABLED: bool = imp::ENABLED;
pub(crate) use start::{plan, start, tally};
pub(crate) use threads::Threads;

/// Checks that this build can draw `--live` when `config` asks for it: a
/// usage error of `config`'s kind if not. Called after `config`'s own
/// checks, as `http::require` is, so that a bad argument reads the same in
/// every build.
pub(crate) fn require(config: &crate::config::Config) -> Result<(), clap::Error> {
    if config.live && !imp::ENABLED {
        return Err(crate::config::usage_error(
            config.demo.name(),
            "this build has no --live view: it was built without the cargo feature `live`".into(),
        ));
    }
    Ok(())
}

/// The view's follower of the run's events: it turns each into a few
/// atomic stores on the [`LiveState`] that the drawing thread reads at its
/// own pace. It writes nothing into the run's output: the view draws on a
/// thread of its own, never once per event.
pub(crate) struct Follow(pub(crate) std::sync::Arc<LiveState>);

impl Follower for Follow {
    fn follow(
        &mut self,
        event: &RunEvent<'_>,
        _out: &mut dyn std::io::Write,
    ) -> std::io::Result<()> {
        match *event {
            RunEvent::Line { event, .. } => {
                self.0.line(event.phase, event.thread);
                self.0
                    .seen_threads
                    .line(event.at, event.task, event.phase, event.thread);
            }
            // A failed wait prints why instead of its last line, and no
            // `Line` follows: the task is over all the same.
            RunEvent::WaitEnded {
                at,
                task,
                thread,
                failed: true,
            } => {
                self.0.line(Phase::Last, thread);
                self.0.seen_threads.line(at, task, Phase::Last, thread);
            }
            RunEvent::Thread(park) => {
                self.0.park(park.thread, park.parked);
                self.0.seen_threads.with(|threads| threads.park(park));
            }
            RunEvent::Lock {
                thread,
                step,
                lock,
                holder,
                ..
            } => self.0.lock_step(thread, step, lock, holder.is_some()),
            _ => {}
        }
        Ok(())
    }

    /// The thread lanes come from the runtime's park hooks.
    fn wants_threads(&self) -> bool {
        true
    }

    fn started(&mut self, at: Instant) {
        self.0.start(at);
    }
}

/// At most this many tasks get a lane of their own; the rest share the
/// density band.
pub(crate) const MAX_LANES: usize = 32;

/// At most this many runtime threads are followed one by one.
pub(crate) const MAX_THREADS: usize = 16;

/// What the view knows before the run starts: the facts that decide the
/// lanes, their labels and the time axis.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Plan {
    /// The demo's name, for the title.
    pub(crate) demo: &'static str,
    /// How the tasks wait, as the command line says it (`-m async`, or
    /// `--lock std` for the lock demo), for the title.
    pub(crate) way: String,
    /// The lock the tasks wait for, in the `lock` demo with a lock.
    pub(crate) lock: Option<LockKind>,
    /// What drives them (`current-thread runtime`, `2 workers, spawned`).
    pub(crate) driver: String,
    /// How many tasks run.
    pub(crate) tasks: u32,
    /// How long each task waits.
    pub(crate) delay: Duration,
    /// How a task spends its wait.
    pub(crate) waiting: Waiting,
    /// What each wait is (a sleep, a busy loop): a poll of a busy loop is
    /// drawn as the loop.
    pub(crate) work: Work,
    /// Whether a runtime drives the tasks: then every task is ready from the
    /// start (created at once), and runtime threads get lanes. `false` for
    /// `--mode threads`, where a task begins with its own thread.
    pub(crate) runtime: bool,
    /// Whether one thread runs every task (a current-thread runtime).
    pub(crate) one_thread: bool,
    /// How many thread lanes the run may need, to make room for: its
    /// runtime's threads, and the pool threads or the threads that take a
    /// core over that it may start. Room only: which lanes are drawn comes
    /// from what the run is seen doing ([`Threads`]).
    pub(crate) threads: usize,
    /// What drives the tasks and with how many workers, for the rule that
    /// names the thread lanes (`crate::report::lanes`).
    pub(crate) lanes: (Driver, usize),
    /// Whether a pool call holds its pool thread (a sleep) rather than
    /// running code on it (a spin).
    pub(crate) pool_holds: bool,
    /// About how long the run will take, for the first time axis: the view
    /// widens the axis when the run outlasts it.
    pub(crate) expected: Duration,
    /// Whether to colour the lanes (NO_COLOR, `--color`).
    pub(crate) color: bool,
}

/// What a runtime thread is doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Thread {
    /// Running code: polling tasks.
    Running,
    /// Held in a blocking call inside a task's poll.
    Holding,
    /// Parked: every task it could run is waiting.
    Parked,
}

impl Thread {
    fn from_u8(value: u8) -> Thread {
        match value {
            HOLDING => Thread::Holding,
            PARKED => Thread::Parked,
            _ => Thread::Running,
        }
    }
}

const RUNNING: u8 = 0;

/// [`LiveState::told`] before a replay tells a time: read the wall clock.
const WALL: u64 = u64::MAX;
const HOLDING: u8 = 1;
const PARKED: u8 = 2;

/// A runtime thread's slot: its number (0 while free) and its state now,
/// which says whether a thread that could fire a timer is parked (the
/// lanes come from [`Threads`]).
struct ThreadSlot {
    id: AtomicU32,
    state: AtomicU8,
}

/// What the run tells the view, updated by the sink as events happen and
/// read by the drawing thread at each tick.
///
/// Every update is a few relaxed atomic operations: the view reads a
/// snapshot that may be a few events behind, which a picture redrawn 25
/// times a second cannot show anyway.
pub(crate) struct LiveState {
    /// When the run started (`t = 0`); unset until the runner says so.
    start: OnceLock<Instant>,
    /// The time a replay tells the view, in nanoseconds since the start
    /// ([`LiveState::tell`]): the recorded moment, not the wall clock.
    /// [`WALL`] until told: a run's view reads the wall clock.
    told: AtomicU64,
    /// How a task waits: a blocked task holds its thread from its first line.
    waiting: Waiting,
    /// Tasks that printed their first line.
    started: AtomicU32,
    /// Tasks that ended: printed their last line, or failed.
    done: AtomicU32,
    /// Tasks that asked for the lock and do not have it yet.
    in_lock: AtomicU32,
    /// The runtime threads, in order of first sight.
    threads: [ThreadSlot; MAX_THREADS],
    /// The task-state model's log, with its tally of every task's state
    /// now: what the lanes and the counts show.
    log: OnceLock<Arc<Log>>,
    /// What each thread was seen doing: the thread lanes.
    seen_threads: Arc<threads::ThreadRecord>,
}

impl LiveState {
    /// A state for a run whose tasks wait in the `waiting` way.
    pub(crate) fn new(waiting: Waiting) -> LiveState {
        LiveState {
            start: OnceLock::new(),
            told: AtomicU64::new(WALL),
            waiting,
            started: AtomicU32::new(0),
            done: AtomicU32::new(0),
            in_lock: AtomicU32::new(0),
            threads: std::array::from_fn(|_| ThreadSlot {
                id: AtomicU32::new(0),
                state: AtomicU8::new(RUNNING),
            }),
            log: OnceLock::new(),
            seen_threads: Arc::default(),
        }
    }

    /// Reads the task states from `log`'s tally from now on, and hears of
    /// its polls and calls for the thread lanes.
    pub(crate) fn attach(&self, log: Arc<Log>) {
        log.watch_threads(Arc::clone(&self.seen_threads) as Arc<dyn state::ThreadWatch>);
        let _ = self.log.set(log);
    }

    /// What a recorded run's threads were seen doing, told by a replay
    /// (`crate::replay`), as the model's log tells a run's.
    pub(crate) fn saw_thread(&self, event: &state::Observed) {
        self.seen_threads.with(|threads| threads.saw(event));
    }

    /// The model's changes of the task in lane `lane` (from 0) so far.
    pub(crate) fn lane(&self, lane: usize) -> Vec<LaneChange> {
        self.log
            .get()
            .map(|log| log.lane(lane as u32 + 1))
            .unwrap_or_default()
    }

    /// Marks `t = 0`, once.
    pub(crate) fn start(&self, at: Instant) {
        let _ = self.start.set(at);
    }

    /// Time since the start (zero before it): the time told, once a
    /// replay tells one.
    pub(crate) fn elapsed(&self) -> Duration {
        match self.told.load(Ordering::Relaxed) {
            WALL => self.start.get().map(Instant::elapsed).unwrap_or_default(),
            told => Duration::from_nanos(told),
        }
    }

    /// From now on the view's clock reads `at`: a replay tells it the
    /// recorded time of what it plays (scaled by `--speed`, or the moment
    /// a step stands at), so the lanes show that moment, not the wall
    /// clock's.
    pub(crate) fn tell(&self, at: Duration) {
        let nanos = u64::try_from(at.as_nanos()).unwrap_or(WALL - 1);
        self.told.store(nanos.min(WALL - 1), Ordering::Relaxed);
    }

    /// Adds what the view sees now to `seen`: a sample of the counts and
    /// threads, the changes of the first `lanes` tasks, and what the
    /// threads were seen doing.
    pub(crate) fn look(&self, seen: &mut Seen, lanes: usize) {
        seen.push(self.sample());
        seen.lanes = (0..lanes).map(|lane| self.lane(lane)).collect();
        seen.threads = self.seen_threads.snapshot();
    }

    /// A task printed its `phase` line on runtime thread `thread`.
    pub(crate) fn line(&self, phase: Phase, thread: u32) {
        match phase {
            Phase::First => {
                self.started.fetch_add(1, Ordering::Relaxed);
                // Right after its first line a blocked task blocks: the
                // thread that printed it is held until its last line.
                if self.waiting == Waiting::Blocked {
                    self.set_thread(thread, HOLDING);
                } else {
                    // The thread inside `block_on` never parks in tokio's
                    // hooks: its lines are how the view learns of it.
                    self.see_thread(thread);
                }
            }
            Phase::Last => {
                self.done.fetch_add(1, Ordering::Relaxed);
                if self.waiting == Waiting::Blocked {
                    self.set_thread(thread, RUNNING);
                } else {
                    self.see_thread(thread);
                }
            }
        }
    }

    /// A task, on thread `thread`, asked for `lock` (which another task
    /// `held`, or not) or got it. Inside std's `lock()` a task that must
    /// wait holds its thread: no `Pending`, so nothing else runs there.
    pub(crate) fn lock_step(&self, thread: u32, step: LockStep, lock: LockKind, held: bool) {
        match step {
            LockStep::Asked => {
                self.in_lock.fetch_add(1, Ordering::Relaxed);
                if lock == LockKind::Std && held {
                    self.set_thread(thread, HOLDING);
                }
            }
            LockStep::Got => {
                self.in_lock.fetch_sub(1, Ordering::Relaxed);
                if lock == LockKind::Std {
                    self.set_thread(thread, RUNNING);
                }
            }
            LockStep::Released => {}
        }
    }

    /// Runtime thread `thread` parked (`true`) or woke up.
    pub(crate) fn park(&self, thread: u32, parked: bool) {
        if let Some(slot) = self.slot(thread) {
            slot.state
                .store(if parked { PARKED } else { RUNNING }, Ordering::Relaxed);
        }
    }

    fn set_thread(&self, thread: u32, state: u8) {
        if let Some(slot) = self.slot(thread) {
            slot.state.store(state, Ordering::Relaxed);
        }
    }

    fn see_thread(&self, thread: u32) {
        let _ = self.slot(thread);
    }

    /// The slot of `thread`, claimed on first sight; `None` past
    /// [`MAX_THREADS`] (such a thread is simply not drawn).
    fn slot(&self, thread: u32) -> Option<&ThreadSlot> {
        for slot in &self.threads {
            let id = slot.id.load(Ordering::Acquire);
            if id == thread {
                return Some(slot);
            }
            if id == 0 {
                match slot
                    .id
                    .compare_exchange(0, thread, Ordering::AcqRel, Ordering::Acquire)
                {
                    Ok(_) => return Some(slot),
                    Err(other) if other == thread => return Some(slot),
                    Err(_) => continue,
                }
            }
        }
        None
    }

    /// What the view reads at one tick.
    pub(crate) fn sample(&self) -> Sample {
        let mut threads = Vec::new();
        for slot in &self.threads {
            if slot.id.load(Ordering::Acquire) == 0 {
                break;
            }
            threads.push(Thread::from_u8(slot.state.load(Ordering::Relaxed)));
        }
        let at = self.elapsed();
        let timers_free = threads.contains(&Thread::Parked);
        Sample {
            at,
            started: self.started.load(Ordering::Relaxed),
            done: self.done.load(Ordering::Relaxed),
            in_lock: self.in_lock.load(Ordering::Relaxed),
            model: self
                .log
                .get()
                .and_then(|log| log.counts(at, timers_free))
                .unwrap_or_default(),
            threads,
        }
    }
}

/// The run at one tick of the view.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Sample {
    /// Time since the start.
    pub(crate) at: Duration,
    /// Tasks that printed their first line.
    pub(crate) started: u32,
    /// Tasks that ended.
    pub(crate) done: u32,
    /// Tasks waiting for the lock: asked, not got.
    pub(crate) in_lock: u32,
    /// Each runtime thread's state.
    pub(crate) threads: Vec<Thread>,
    /// How many tasks were in each state, by the model's tally.
    pub(crate) model: state::Counts,
}

impl Sample {
    /// Whether a thread that could fire a timer was parked: only then is a
    /// sleep past its deadline merely late, not overdue.
    pub(crate) fn timers_free(&self) -> bool {
        self.threads.contains(&Thread::Parked)
    }
}

/// What a task is doing at one moment, as its lane shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LaneState {
    /// Not begun, on a thread of its own that has not started yet.
    NotStarted,
    /// In this state of the task-state model ([`crate::state`]).
    Is(state::TaskState),
    /// Finished.
    Done,
}

/// Everything the view has seen so far: the samples of its ticks, and the
/// model's changes of the tasks that have lanes.
#[derive(Clone, Debug, Default)]
pub(crate) struct Seen {
    /// One per tick, in time order; thinned to every other one when it
    /// grows past [`MAX_SAMPLES`], so a run of any length keeps a bounded
    /// history.
    pub(crate) samples: Vec<Sample>,
    /// The model's changes of the first tasks, one list per lane.
    pub(crate) lanes: Vec<Vec<LaneChange>>,
    /// What the threads were seen doing: the thread lanes.
    pub(crate) threads: Threads,
}

/// The longest history kept before it is thinned.
const MAX_SAMPLES: usize = 8192;

impl Seen {
    /// Adds the sample of one tick.
    pub(crate) fn push(&mut self, sample: Sample) {
        if self.samples.len() >= MAX_SAMPLES {
            // Keep every other one, and always the latest.
            let mut index = 0;
            self.samples.retain(|_| {
                index += 1;
                index % 2 == 0
            });
        }
        self.samples.push(sample);
    }

    /// The latest sample, or an empty one before the first tick.
    pub(crate) fn now(&self) -> Sample {
        self.samples.last().cloned().unwrap_or_default()
    }

    /// The sample in force at `t`: the last one taken at or before it (the
    /// first one, for a moment before the first tick).
    pub(crate) fn at(&self, t: Duration) -> Option<&Sample> {
        let after = self.samples.partition_point(|s| s.at <= t);
        self.samples.get(after.saturating_sub(1))
    }

    /// The state at `t` of the task in lane `lane` (from 0), as the model
    /// moved it; overdue where the sample of that moment has no thread
    /// parked to fire its timer.
    pub(crate) fn state(&self, lane: usize, t: Duration) -> LaneState {
        let Some(changes) = self.lanes.get(lane) else {
            return LaneState::NotStarted;
        };
        let Some(change) = changes.iter().rev().find(|c| c.at <= t) else {
            return LaneState::NotStarted;
        };
        if change.ended() {
            return LaneState::Done;
        }
        let timers_free = self.at(t).is_some_and(Sample::timers_free);
        change
            .at(t, timers_free)
            .map_or(LaneState::NotStarted, LaneState::Is)
    }
}

/// A recorded run seen one executor step at a time (`replay --step`):
/// what the stepped view asks of its source.
pub(crate) trait Stepped {
    /// How many steps there are.
    fn steps(&self) -> usize;
    /// How many tasks the view shows (the ones `t` can follow).
    fn tasks(&self) -> u32;
    /// The recorded time of step `k` (from 0), since the run's start.
    fn time(&self, k: usize) -> Duration;
    /// The task step `k` is about, if it is about one.
    fn task(&self, k: usize) -> Option<u32>;
    /// What the view has seen once step `k` has happened, its clock at
    /// that step's time, with `lanes` task lanes: the same whichever way
    /// the user came to step `k`.
    fn seen(&self, k: usize, lanes: usize) -> Seen;
    /// Step `k`'s narration (and the line it printed), escaped, a line
    /// each.
    fn words(&self, k: usize) -> Vec<String>;
}

/// The axis of the view: how much time the plot's width shows. It starts
/// at the expected length of the run and grows by half whenever the run
/// outlasts it, so the lanes grow to the right and only now and then
/// shrink to make room.
pub(crate) fn span(expected: Duration, now: Duration) -> Duration {
    let mut span = expected.max(Duration::from_millis(100));
    while now > span {
        span = span.mul_f64(1.5);
    }
    span
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    pub(crate) fn plan(waiting: Waiting, tasks: u32) -> Plan {
        Plan {
            demo: "count",
            way: "-m async".into(),
            lock: None,
            driver: "current-thread runtime".into(),
            tasks,
            delay: ms(1000),
            waiting,
            work: Work::Sleep,
            runtime: true,
            one_thread: true,
            threads: 1,
            lanes: (Driver::CurrentThread, 0),
            pool_holds: true,
            expected: ms(1000),
            color: false,
        }
    }

    #[test]
    fn events_reach_the_sample_and_the_lanes() {
        let state = LiveState::new(Waiting::Blocked);
        state.start(Instant::now());
        state.line(Phase::First, 7);
        let sample = state.sample();
        assert_eq!((sample.started, sample.done), (1, 0));
        assert_eq!(sample.threads, [Thread::Holding]);
        state.line(Phase::Last, 7);
        state.park(7, true);
        state.line(Phase::First, 7);
        let sample = state.sample();
        assert_eq!((sample.started, sample.done), (2, 1));
        assert_eq!(sample.threads, [Thread::Holding]);
        // A told clock (a replay's) is read instead of the wall clock.
        state.tell(ms(250));
        assert_eq!(state.sample().at, ms(250));
        // A thread that only prints (block_on's) gets a lane too, running.
        let state = LiveState::new(Waiting::Free);
        state.line(Phase::First, 3);
        state.park(4, true);
        assert_eq!(state.sample().threads, [Thread::Running, Thread::Parked]);
    }

    #[test]
    fn lock_steps_reach_the_sample_the_lanes_and_the_thread() {
        // std: task 1 takes the free lock, task 2 asks while it is held and
        // blocks the thread inside lock().
        let state = LiveState::new(Waiting::Free);
        state.start(Instant::now());
        state.lock_step(7, LockStep::Asked, LockKind::Std, false);
        state.lock_step(7, LockStep::Got, LockKind::Std, false);
        state.line(Phase::First, 7);
        assert_eq!(state.sample().threads, [Thread::Running]);
        state.lock_step(7, LockStep::Asked, LockKind::Std, true);
        let sample = state.sample();
        assert_eq!((sample.started, sample.in_lock), (1, 1));
        assert_eq!(sample.threads, [Thread::Holding]);
        // Getting it gives the thread back.
        state.lock_step(7, LockStep::Got, LockKind::Std, false);
        assert_eq!(state.sample().in_lock, 0);
        assert_eq!(state.sample().threads, [Thread::Running]);

        // tokio: waiting for the lock returns Pending, so the thread is not
        // held, and the task is drawn waiting for the lock, not ready.
        let state = LiveState::new(Waiting::Free);
        state.lock_step(7, LockStep::Asked, LockKind::Tokio, true);
        assert_eq!(state.sample().in_lock, 1);
        assert!(!state.sample().threads.contains(&Thread::Holding));
    }

    /// A tally fed by the model's watcher, on tokio's paused clock.
    fn tallied(tasks: u32) -> (Arc<Log>, LiveState) {
        let log = Arc::new(Log::new(false));
        log.tally(tasks, state::Birth::AtStart, MAX_LANES);
        log.started(tokio::time::Instant::now());
        let live = LiveState::new(Waiting::Free);
        live.start(Instant::now());
        live.attach(Arc::clone(&log));
        (log, live)
    }

    /// The bug this view had: 1.5 s into three 3-second sleeps, the counts
    /// said `3 ready` (clock arithmetic saturated at the first sample). From
    /// the model's tally they sleep; when their timers fire and they are
    /// polled, they are done.
    #[tokio::test(start_paused = true)]
    async fn mid_wait_the_counts_say_sleeping_not_ready() {
        let (log, live) = tallied(3);
        let watcher = state::Watcher(Arc::clone(&log));
        let tasks = (1..=3).map(|id| {
            let log = Arc::clone(&log);
            crate::events::polled(&watcher, id, async move {
                let timer = tokio::time::sleep(ms(3000));
                log.armed(id, timer.deadline());
                timer.await;
            })
        });
        let all = futures::future::join_all(tasks);
        tokio::pin!(all);
        // 1.5 s in: every task asleep, none ready, none done.
        let mid = tokio::time::timeout(ms(1500), &mut all).await;
        assert!(mid.is_err(), "still sleeping");
        let counts = log.counts(ms(1500), true).unwrap();
        assert_eq!(counts.of(state::TaskState::Sleeping), 3);
        assert_eq!(counts.of(state::TaskState::Ready), 0);
        assert_eq!(counts.done, 0);
        // The view's line says so.
        let now = live.sample();
        assert_eq!(now.model.of(state::TaskState::Sleeping), 3);
        #[cfg(feature = "live")]
        {
            let line = draw::counts_parts(&plan(Waiting::Free, 3), now.model).join(" · ");
            assert!(line.contains("3 sleeping"), "{line}");
            assert!(!line.contains("ready"), "{line}");
        }
        // Past the deadline with no thread parked to fire the timers, they
        // are overdue, not ready: nobody has woken them.
        let late = log.counts(ms(3500), false).unwrap();
        assert_eq!(late.of(state::TaskState::Overdue), 3);
        assert_eq!(late.of(state::TaskState::Ready), 0);
        all.await;
        assert_eq!(log.counts(ms(3001), true).unwrap().done, 3);
        // The lanes kept task 1's changes: sleeping at 1 s, ended by 3.1 s.
        let mut seen = Seen::default();
        seen.push(live.sample());
        seen.lanes = vec![live.lane(0)];
        assert_eq!(
            seen.state(0, ms(1000)),
            LaneState::Is(state::TaskState::Sleeping)
        );
        assert_eq!(seen.state(0, ms(3100)), LaneState::Done);
    }

    /// tokio's lock: a task waiting for it is in the lock state (its thread
    /// free), not ready; a pool call waits queued before a thread takes it.
    #[tokio::test(start_paused = true)]
    async fn the_tally_follows_the_lock_and_the_pool_queue() {
        let (log, _live) = tallied(2);
        let watcher = state::Watcher(Arc::clone(&log));
        use crate::events::PollFollower;
        watcher.poll_began(1, std::time::Instant::now());
        log.note(1, state::What::LockAsked);
        watcher.poll_returned(1, std::time::Instant::now(), Duration::ZERO, false);
        watcher.poll_began(2, std::time::Instant::now());
        log.note(2, state::What::Queued);
        watcher.poll_returned(2, std::time::Instant::now(), Duration::ZERO, false);
        let counts = log.counts(ms(1), true).unwrap();
        assert_eq!(counts.of(state::TaskState::Lock), 1);
        assert_eq!(counts.of(state::TaskState::Queued), 1);
        log.note(2, state::What::PoolStarted);
        let counts = log.counts(ms(2), true).unwrap();
        assert_eq!(counts.of(state::TaskState::InPool), 1);
        assert_eq!(counts.of(state::TaskState::Queued), 0);
    }

    #[test]
    fn the_history_is_thinned_not_unbounded() {
        let mut seen = Seen::default();
        for i in 0..(3 * MAX_SAMPLES as u64) {
            seen.push(Sample {
                at: ms(i),
                ..Sample::default()
            });
        }
        assert!(seen.samples.len() <= MAX_SAMPLES);
        assert_eq!(seen.now().at, ms(3 * MAX_SAMPLES as u64 - 1));
        assert!(seen.samples.windows(2).all(|w| w[0].at < w[1].at));
    }

    #[test]
    fn the_axis_grows_when_the_run_outlasts_it() {
        assert_eq!(span(ms(3000), ms(1000)), ms(3000));
        assert_eq!(span(ms(1000), ms(1200)), ms(1500));
        assert!(span(ms(1000), ms(10_000)) >= ms(10_000));
    }
}
