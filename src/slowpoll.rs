//! `--slow-poll`: name the task that holds its thread, *while* it holds it.
//!
//! asyncio's debug mode logs `Executing <Task ...> took 1.002 seconds` once a
//! callback has held the loop for `slow_callback_duration` or longer (`dt >=`
//! in `base_events.py`'s `_run_once`), and only
//! after it returned. Here a [`Watch`] follows every poll of every task (it
//! is a [`PollFollower`] of the run's events, see [`crate::events`]), and a
//! watchdog thread ([`Watchdog`], a [`Ticker`]) looks at the polls in
//! progress every few milliseconds, so the warning appears while the
//! culprit still blocks; the full figure follows when the poll ends, in
//! asyncio's words.
//!
//! The cost is paid only when asked for. Without the flag the runner never
//! wraps anything (the task future is the same type as before, and no clock
//! is read). With it, a poll costs two clock readings and two relaxed
//! atomic stores: the start stamp that the watchdog reads, and its reset.

use crate::config::Config;
use crate::config::Runtime;
use crate::events::{PollFollower, Ticker};
use crate::outcome::Polls;
use crate::report::text;
use crate::vocab::{Demo, Mode};
use std::cell::Cell;
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Threads that get a stamp the watchdog can read. A multi-thread runtime
/// with more workers still times every poll, but polls on the extra threads
/// are reported only when they end.
const SLOTS: usize = 64;

/// Bits of a stamp that hold the task number (`--tasks` is at most ten
/// million, below 2^24); the bits above hold the start time.
const TASK_BITS: u32 = 24;

/// The polls of one run, timed.
pub(crate) struct Watch {
    /// Polls that last this long or longer are slow: `>=`, as asyncio's
    /// `_run_once` compares with `slow_callback_duration`.
    threshold: Duration,
    /// Time zero of the stamps.
    epoch: Instant,
    /// Per polling thread: 0 while it polls no task, else the poll's start
    /// (microseconds since `epoch`, plus one) and task, packed by [`stamp`]
    /// so that one store publishes both.
    slots: [AtomicU64; SLOTS],
    /// Slots handed out so far.
    used: AtomicUsize,
    /// Which watch the calling thread's slot number belongs to.
    id: u64,
    /// The longest poll so far, in nanoseconds.
    longest: AtomicU64,
    /// Polls that reached the threshold.
    slow: AtomicU64,
    /// Warnings on stderr, or `None` to measure silently (as `compare` does).
    warn: Option<Warner>,
    /// Where the warnings go instead of stderr: above the `--live` view.
    to: Option<Mutex<Box<dyn Write + Send>>>,
}

/// What a run's watch does with the slow polls it sees.
pub(crate) enum Warnings {
    /// Only counts and measures them (`compare`).
    Silent,
    /// Warns about each on stderr.
    Stderr,
    /// Warns about each through this writer (above the `--live` view).
    Through(Box<dyn Write + Send>),
}

/// What the warnings say about the run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Warner {
    /// The demo, named in each warning as asyncio names the coroutine.
    pub(crate) demo: Demo,
    /// The thread a poll holds: "the runtime thread", "its worker thread".
    pub(crate) thread: &'static str,
    /// The polls block inside `block_in_place` on a worker, which hands
    /// its core to another thread first: the other tasks go on.
    pub(crate) handed_off: bool,
}

/// Packs a poll's start and task into one word; never 0.
fn stamp(since_epoch: Duration, task: u32) -> u64 {
    let micros = u64::try_from(since_epoch.as_micros())
        .unwrap_or(u64::MAX)
        .min((1 << (64 - TASK_BITS)) - 2);
    ((micros + 1) << TASK_BITS) | u64::from(task & ((1 << TASK_BITS) - 1))
}

/// The start and task of a stamp.
fn unstamp(stamp: u64) -> (Duration, u32) {
    let micros = (stamp >> TASK_BITS) - 1;
    (
        Duration::from_micros(micros),
        (stamp & ((1 << TASK_BITS) - 1)) as u32,
    )
}

impl Watch {
    /// A watch that calls polls of `threshold` or longer slow, and warns
    /// about them on stderr when `warn` says how.
    pub(crate) fn new(threshold: Duration, warn: Option<Warner>) -> Watch {
        use std::sync::atomic::AtomicU64 as A;
        static NEXT_ID: A = A::new(1);
        Watch {
            threshold,
            epoch: Instant::now(),
            slots: [const { AtomicU64::new(0) }; SLOTS],
            used: AtomicUsize::new(0),
            id: NEXT_ID.fetch_add(1, Relaxed),
            longest: AtomicU64::new(0),
            slow: AtomicU64::new(0),
            warn,
            to: None,
        }
    }

    /// The watch of a run of `config`, with `threshold`, doing `warnings`
    /// with what it sees.
    pub(crate) fn for_run(config: &Config, threshold: Duration, warnings: Warnings) -> Arc<Watch> {
        let spawned_on_workers =
            config.way.spawn && matches!(config.way.runtime, Some(Runtime::MultiThread(_)));
        let handed_off = spawned_on_workers && config.way.mode == Mode::BlockInPlace;
        let warner = Warner {
            demo: config.demo,
            thread: match (spawned_on_workers, handed_off) {
                // No longer a worker's: its core went to another thread.
                (_, true) => "its thread",
                (true, false) => "its worker thread",
                (false, _) => "the runtime thread",
            },
            handed_off,
        };
        let (warn, to) = match warnings {
            Warnings::Silent => (None, None),
            Warnings::Stderr => (Some(warner), None),
            Warnings::Through(out) => (Some(warner), Some(Mutex::new(out))),
        };
        Arc::new(Watch {
            to,
            ..Watch::new(threshold, warn)
        })
    }

    /// Writes one warning line in a single write, so that lines from the
    /// watchdog and from the tasks never interleave mid-line. A failed
    /// write (stderr closed) changes nothing about the run.
    fn say(&self, line: &str) {
        let line = crate::style::label(line);
        let mut bytes = Vec::with_capacity(line.len() + 1);
        bytes.extend_from_slice(line.as_bytes());
        bytes.push(b'\n');
        let _ = match &self.to {
            Some(out) => out
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .write_all(&bytes),
            None => io::stderr().lock().write_all(&bytes),
        };
    }

    /// Whether it prints warnings (and so needs a watchdog thread).
    pub(crate) fn warns(&self) -> bool {
        self.warn.is_some()
    }

    /// The calling thread's slot, handed out on its first poll.
    fn slot(&self) -> Option<&AtomicU64> {
        thread_local! {
            /// (watch id, slot index) of this thread.
            static SLOT: Cell<(u64, usize)> = const { Cell::new((0, usize::MAX)) };
        }
        let (id, index) = SLOT.with(Cell::get);
        let index = if id == self.id {
            index
        } else {
            let index = self.used.fetch_add(1, Relaxed);
            SLOT.with(|slot| slot.set((self.id, index)));
            index
        };
        self.slots.get(index)
    }

    /// What the watch measured so far; a poll still in progress counts
    /// with its length up to now (a run stopped by Ctrl-C mid-block).
    pub(crate) fn polls(&self) -> Polls {
        let now = self.epoch.elapsed();
        let mut longest = Duration::from_nanos(self.longest.load(Relaxed));
        let mut slow = self.slow.load(Relaxed);
        for slot in &self.slots {
            let stamp = slot.load(Relaxed);
            if stamp != 0 {
                let so_far = now.saturating_sub(unstamp(stamp).0);
                longest = longest.max(so_far);
                slow += u64::from(so_far >= self.threshold);
            }
        }
        Polls { longest, slow }
    }

    /// The polls that have passed the threshold and still run: (task,
    /// how long so far, their stamp).
    fn overdue(&self) -> impl Iterator<Item = (u32, Duration, u64)> + '_ {
        let now = self.epoch.elapsed();
        self.slots.iter().filter_map(move |slot| {
            let stamp = slot.load(Relaxed);
            if stamp == 0 {
                return None;
            }
            let (start, task) = unstamp(stamp);
            let so_far = now.saturating_sub(start);
            (so_far >= self.threshold).then_some((task, so_far, stamp))
        })
    }
}

/// The watch follows every poll: a stamp in the polling thread's slot while
/// the poll runs (for the watchdog to see), and the figures once it ends.
impl PollFollower for Watch {
    fn poll_began(&self, id: u32, start: Instant) {
        if let Some(slot) = self.slot() {
            slot.store(stamp(start - self.epoch, id), Relaxed);
        }
    }

    fn poll_ended(&self, id: u32, _start: Instant, took: Duration) {
        if let Some(slot) = self.slot() {
            slot.store(0, Relaxed);
        }
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        // A load first: almost every poll is shorter than the longest, and a
        // load is cheaper than a read-modify-write.
        if nanos > self.longest.load(Relaxed) {
            self.longest.fetch_max(nanos, Relaxed);
        }
        if took >= self.threshold {
            self.slow.fetch_add(1, Relaxed);
            if let Some(warner) = self.warn {
                let line = text::slow_poll_done(
                    id,
                    warner.demo,
                    warner.thread,
                    warner.handed_off,
                    took,
                    self.threshold,
                );
                self.say(&line);
            }
        }
    }
}

/// The thread that warns about a poll while it still blocks: a [`Ticker`]
/// over the watch's stamps. Stops (and is joined) when dropped.
pub(crate) struct Watchdog {
    _ticker: Ticker,
}

impl Watchdog {
    /// Starts watching `watch`'s polls in progress.
    pub(crate) fn start(watch: &Arc<Watch>) -> anyhow::Result<Watchdog> {
        let watch = Arc::clone(watch);
        // Often enough that the warning comes soon after the threshold, and
        // rarely enough to cost nothing: a look at 64 words every 10 ms.
        let every =
            (watch.threshold / 2).clamp(Duration::from_millis(1), Duration::from_millis(10));
        // The stamps already warned about: each blocking poll gets one
        // warning while it blocks, not one per look.
        let mut warned: Vec<u64> = Vec::new();
        let ticker = Ticker::start("slow-poll", every, move || {
            let Some(warner) = watch.warn else { return };
            let overdue: Vec<_> = watch.overdue().collect();
            warned.retain(|stamp| overdue.iter().any(|(_, _, s)| s == stamp));
            for (task, so_far, stamp) in overdue {
                if !warned.contains(&stamp) {
                    warned.push(stamp);
                    watch.say(&text::slow_poll_ongoing(
                        task,
                        warner.demo,
                        warner.thread,
                        warner.handed_off,
                        so_far,
                        watch.threshold,
                    ));
                }
            }
        })?;
        Ok(Watchdog { _ticker: ticker })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    /// One poll of task `id` that runs `poll`, told to `watch` as the
    /// runner's wrapper tells it.
    fn time<T>(watch: &Watch, id: u32, poll: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        watch.poll_began(id, start);
        let result = poll();
        watch.poll_ended(id, start, start.elapsed());
        result
    }

    #[test]
    fn a_stamp_keeps_its_start_and_task() {
        for (micros, task) in [(0, 1), (1_500_000, 10_000_000), (u64::MAX / 4, 7)] {
            let (start, got) = unstamp(stamp(Duration::from_micros(micros), task));
            assert_eq!(got, task);
            assert_eq!(
                start,
                Duration::from_micros(micros.min((1 << 40) - 2)),
                "{micros}"
            );
        }
        assert_ne!(stamp(Duration::ZERO, 0), 0, "0 means no poll");
    }

    /// A poll that sleeps past the threshold is counted, and its length is
    /// the longest; quick polls are not counted.
    #[test]
    fn a_long_poll_is_counted_and_measured() {
        let watch = Watch::new(Duration::from_millis(5), None);
        time(&watch, 1, || ());
        assert_eq!(watch.polls().slow, 0);
        time(&watch, 2, || std::thread::sleep(Duration::from_millis(8)));
        let polls = watch.polls();
        assert_eq!(polls.slow, 1);
        assert!(polls.longest >= Duration::from_millis(8), "{polls:?}");
    }

    /// A poll of exactly the threshold is slow, as asyncio's
    /// `_run_once` counts `dt >= slow_callback_duration`; one a nanosecond
    /// shorter is not.
    #[test]
    fn a_poll_of_exactly_the_threshold_is_slow() {
        let threshold = Duration::from_millis(5);
        let watch = Watch::new(threshold, None);
        let start = Instant::now();
        watch.poll_began(1, start);
        watch.poll_ended(1, start, threshold - Duration::from_nanos(1));
        assert_eq!(watch.polls().slow, 0);
        watch.poll_began(2, start);
        watch.poll_ended(2, start, threshold);
        assert_eq!(watch.polls().slow, 1);
        assert_eq!(watch.polls().longest, threshold);
    }

    /// While a poll is in progress the watchdog's view names its task, and
    /// the figures include it; once it ends, nothing is overdue.
    #[test]
    fn a_poll_in_progress_is_seen_from_another_thread() {
        let watch = Arc::new(Watch::new(Duration::from_millis(5), None));
        let (entered, wait_entered) = mpsc::channel();
        let (release, released) = mpsc::channel::<()>();
        let polling = {
            let watch = Arc::clone(&watch);
            std::thread::spawn(move || {
                time(&watch, 42, || {
                    entered.send(()).unwrap();
                    released.recv().unwrap();
                })
            })
        };
        wait_entered.recv().unwrap();
        std::thread::sleep(Duration::from_millis(10));
        let overdue: Vec<_> = watch.overdue().map(|(task, _, _)| task).collect();
        assert_eq!(overdue, [42]);
        assert!(watch.polls().longest >= Duration::from_millis(10));
        release.send(()).unwrap();
        polling.join().unwrap();
        assert_eq!(watch.overdue().count(), 0);
    }
}
