//! The live view's thread lanes: what each thread was seen doing, kept as
//! it comes, and the lanes the pictures' own rule makes of it.
//!
//! The lanes and their roles (`block_on thread`, `worker N`, `took worker
//! N's core`, `pool thread N`) are decided in one place,
//! [`crate::report::lanes::thread_lanes`], which `--timeline` and the SVG
//! call once at the end of a run. The live view calls it at every frame
//! with what it has seen so far: the same kinds of observation (parks and
//! lines by thread, polls by thread, the blocking calls that held a thread,
//! the pool closures' own starts and ends), so a lane appears when its
//! thread is first seen doing something, and a thread that took a core
//! over is paired with the worker that handed it over as soon as the order
//! of events says which.
//!
//! # Kept small as it comes
//!
//! A frame must not read a million-task run's every poll, so the record
//! keeps only what the rule reads:
//!
//! - of the lines and polls on a thread between two of its parks or
//!   blocking calls, the first and the last: the rule asks when a thread
//!   was first and last seen at work, whether a short wake-up printed a
//!   line, and what was seen on a thread last before each of its blocking
//!   calls (the order that pairs a core with its worker);
//! - every park and wake-up, up to [`MAX_PARKS`] as the model's log keeps;
//! - every blocking call and pool call; past [`MAX_CALLS`] of a kind, each
//!   thread's calls separated by the shortest gaps are merged, halving the
//!   list: a gap a frame's column could not show anyway.

use crate::report::lanes::{Driver, Seen as Observations, ThreadLane, thread_lanes};
use crate::state::{Observed, ThreadWatch, What};
use crate::vocab::{Event, Park, Phase};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// A call: the thread, from, to.
type Call = (u32, Duration, Duration);

/// A call begun and not yet ended: the task, the thread, from.
type Open = (u32, u32, Duration);

/// At most this many parks and wake-ups are kept, as the model's log keeps.
const MAX_PARKS: usize = 100_000;

/// Past this many blocking calls, pool calls, lines or polls kept, the
/// list is thinned (see the module's doc).
const MAX_CALLS: usize = 20_000;

/// What the run's threads were seen doing so far.
#[derive(Clone, Debug, Default)]
pub(crate) struct Threads {
    parks: Vec<Park>,
    /// Lines, by the thread that printed them: a segment's first and last.
    lines: Vec<Event>,
    /// Polls' starts (as the model's `Polled` observations): a segment's
    /// first and last.
    polls: Vec<Observed>,
    /// Blocking calls that held a thread.
    held: Vec<Call>,
    /// Pool calls.
    pool: Vec<Call>,
    /// Calls begun and not yet ended.
    open_held: Vec<Open>,
    open_pool: Vec<Open>,
    /// Each thread's current segment (since its last park, wake-up or
    /// blocking call): where its first and last line and poll are kept.
    segments: HashMap<u32, Segment>,
}

/// The places in [`Threads::lines`] and [`Threads::polls`] of a segment's
/// earliest and latest entry.
#[derive(Clone, Copy, Debug, Default)]
struct Segment {
    line: Option<(usize, usize)>,
    poll: Option<(usize, usize)>,
}

/// Keeps `item` in `list` if it is the earliest or the latest of its
/// segment so far (`span`: where those are).
fn keep<T: Copy>(
    list: &mut Vec<T>,
    span: &mut Option<(usize, usize)>,
    item: T,
    at: impl Fn(&T) -> Duration,
) {
    match *span {
        None => {
            list.push(item);
            let i = list.len() - 1;
            *span = Some((i, i));
        }
        Some((first, last)) if first == last => {
            list.push(item);
            let i = list.len() - 1;
            if at(&list[i]) < at(&list[first]) {
                list.swap(first, i);
            }
            *span = Some((first, i));
        }
        Some((first, last)) => {
            if at(&item) < at(&list[first]) {
                list[first] = item;
            } else if at(&item) > at(&list[last]) {
                list[last] = item;
            }
        }
    }
}

impl Threads {
    /// A line was printed.
    pub(crate) fn line(&mut self, event: Event) {
        let span = &mut self.segments.entry(event.thread).or_default().line;
        keep(&mut self.lines, span, event, |e| e.at);
        if self.lines.len() > MAX_CALLS {
            self.lines = thinned(std::mem::take(&mut self.lines), |e| (e.thread, e.at));
            self.segments.clear();
        }
    }

    /// A runtime thread parked or woke up: its segment ends.
    pub(crate) fn park(&mut self, park: Park) {
        self.segments.remove(&park.thread);
        if self.parks.len() < MAX_PARKS {
            self.parks.push(park);
        }
    }

    /// A poll began on `thread` at `at`.
    pub(crate) fn poll(&mut self, thread: u32, at: Duration, task: u32) {
        let span = &mut self.segments.entry(thread).or_default().poll;
        let polled = Observed {
            at: u64::try_from(at.as_nanos()).unwrap_or(u64::MAX),
            task,
            thread,
            what: What::Polled {
                took: 0,
                ready: false,
            },
        };
        keep(&mut self.polls, span, polled, |e| {
            Duration::from_nanos(e.at)
        });
        if self.polls.len() > MAX_CALLS {
            self.polls = thinned(std::mem::take(&mut self.polls), |e| {
                (e.thread, Duration::from_nanos(e.at))
            });
            self.segments.clear();
        }
    }

    /// `task`'s blocking call began (`began`) or ended on `thread`.
    pub(crate) fn held(&mut self, task: u32, thread: u32, at: Duration, began: bool) {
        self.segments.remove(&thread);
        step(
            (&mut self.held, &mut self.open_held),
            (task, thread, at),
            began,
        );
    }

    /// A pool thread began (`began`) or ended `task`'s call.
    pub(crate) fn pool(&mut self, task: u32, thread: u32, at: Duration, began: bool) {
        step(
            (&mut self.pool, &mut self.open_pool),
            (task, thread, at),
            began,
        );
    }

    /// Notes what the model's log observed, where it concerns a thread.
    pub(crate) fn saw(&mut self, e: &Observed) {
        let at = Duration::from_nanos(e.at);
        match e.what {
            What::Polled { .. } => self.poll(e.thread, at, e.task),
            What::HeldBegan => self.held(e.task, e.thread, at, true),
            What::HeldEnded => self.held(e.task, e.thread, at, false),
            What::PoolStarted => self.pool(e.task, e.thread, at, true),
            What::PoolEnded => self.pool(e.task, e.thread, at, false),
            _ => {}
        }
    }

    /// The thread lanes at `now`, by the pictures' rule, for a run driven
    /// as `driver` says with `workers` workers, whose pool calls hold their
    /// thread when `pool_holds`; and how many workers were parked all
    /// along.
    pub(crate) fn lanes(
        &self,
        now: Duration,
        driver: (Driver, usize),
        pool_holds: bool,
    ) -> (Vec<ThreadLane>, usize) {
        // A call still going runs to now, and a nanosecond past it: a
        // step of `replay --step` that stands at the very moment a call
        // began shows the thread held, not an empty stretch.
        let end = now.saturating_add(Duration::from_nanos(1));
        let upto = |done: &[Call], open: &[Open]| {
            let mut calls = done.to_vec();
            calls.extend(
                open.iter()
                    .map(|&(_, thread, from)| (thread, from, end.max(from))),
            );
            calls.sort_unstable_by_key(|c| (c.1, c.0));
            calls
        };
        let seen = Observations {
            parks: &self.parks,
            lines: &self.lines,
            held: upto(&self.held, &self.open_held),
            pool: upto(&self.pool, &self.open_pool),
            observed: &self.polls,
        };
        thread_lanes(&seen, end, driver, pool_holds)
    }
}

/// A call's beginning or end, paired by its task.
fn step(
    (calls, open): (&mut Vec<Call>, &mut Vec<Open>),
    (task, thread, at): (u32, u32, Duration),
    began: bool,
) {
    if began {
        open.push((task, thread, at));
        return;
    }
    if let Some(i) = open.iter().position(|o| o.0 == task) {
        let (_, thread, from) = open.swap_remove(i);
        calls.push((thread, from, at));
        if calls.len() > MAX_CALLS {
            *calls = merged(std::mem::take(calls));
        }
    }
}

/// `calls` with each thread's neighbouring calls that are separated by no
/// more than the median gap merged into one: about half as many.
fn merged(mut calls: Vec<Call>) -> Vec<Call> {
    calls.sort_unstable();
    let mut gaps: Vec<Duration> = calls
        .windows(2)
        .filter(|w| w[0].0 == w[1].0)
        .map(|w| w[1].1.saturating_sub(w[0].2))
        .collect();
    if gaps.is_empty() {
        return calls;
    }
    let middle = gaps.len() / 2;
    let median = *gaps.select_nth_unstable(middle).1;
    let mut out: Vec<Call> = Vec::with_capacity(calls.len() / 2 + 1);
    for call in calls {
        match out.last_mut() {
            Some(last) if last.0 == call.0 && call.1.saturating_sub(last.2) <= median => {
                last.2 = last.2.max(call.2);
            }
            _ => out.push(call),
        }
    }
    out
}

/// `list` with every other entry of each thread dropped, each thread's
/// first and last kept.
fn thinned<T: Copy>(mut list: Vec<T>, key: impl Fn(&T) -> (u32, Duration)) -> Vec<T> {
    list.sort_unstable_by_key(|e| key(e));
    let mut out = Vec::with_capacity(list.len() / 2 + 2);
    for (i, e) in list.iter().enumerate() {
        let thread = key(e).0;
        let first = i == 0 || key(&list[i - 1]).0 != thread;
        let last = list.get(i + 1).is_none_or(|next| key(next).0 != thread);
        if first || last || i % 2 == 0 {
            out.push(*e);
        }
    }
    out
}

/// The record a run's observers write into: the live view's follower (its
/// lines and parks) and the model's log (polls and calls, by
/// [`ThreadWatch`]). One lock, taken briefly per observation, only while a
/// view is up.
#[derive(Default)]
pub(crate) struct ThreadRecord(Mutex<Threads>);

impl ThreadRecord {
    /// Does `what` to the record.
    pub(crate) fn with<R>(&self, what: impl FnOnce(&mut Threads) -> R) -> R {
        what(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// A copy of the record so far, for a frame.
    pub(crate) fn snapshot(&self) -> Threads {
        self.with(|threads| threads.clone())
    }

    /// A task printed its `phase` line (or, failed, ended) on `thread`.
    pub(crate) fn line(&self, at: Duration, task: u32, phase: Phase, thread: u32) {
        self.with(|threads| {
            threads.line(Event {
                at,
                task,
                phase,
                thread,
            });
        });
    }
}

impl ThreadWatch for ThreadRecord {
    fn saw(&self, event: &Observed) {
        // Only these concern a thread's lane: a wake, a timer or a line
        // (which the view's follower hears for every task) take no lock.
        if matches!(
            event.what,
            What::Polled { .. }
                | What::HeldBegan
                | What::HeldEnded
                | What::PoolStarted
                | What::PoolEnded
        ) {
            self.with(|threads| threads.saw(event));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn line(at: u64, thread: u32) -> Event {
        Event {
            at: ms(at),
            task: 1,
            phase: Phase::First,
            thread,
        }
    }

    /// Of the lines between two parks, only the first and the last are
    /// kept, whatever order they came in; a park starts a new segment.
    #[test]
    fn a_segment_keeps_its_first_and_last() {
        let mut threads = Threads::default();
        for at in [5, 3, 9, 7, 4] {
            threads.line(line(at, 1));
        }
        let mut kept: Vec<u64> = threads
            .lines
            .iter()
            .map(|e| e.at.as_millis() as u64)
            .collect();
        kept.sort_unstable();
        assert_eq!(kept, [3, 9]);
        threads.park(Park {
            at: ms(10),
            thread: 1,
            parked: true,
        });
        threads.line(line(11, 1));
        threads.line(line(12, 1));
        threads.line(line(13, 1));
        let kept: Vec<u64> = threads
            .lines
            .iter()
            .map(|e| e.at.as_millis() as u64)
            .collect();
        assert_eq!(kept.len(), 4, "{kept:?}");
        assert!(kept.contains(&11) && kept.contains(&13), "{kept:?}");
    }

    /// A call still going at `now` runs to it; an ended one keeps its end.
    #[test]
    fn a_held_call_runs_to_now_until_it_ends() {
        let mut threads = Threads::default();
        threads.line(line(0, 1));
        threads.held(1, 1, ms(1), true);
        let (lanes, _) = threads.lanes(ms(50), (Driver::CurrentThread, 0), true);
        assert_eq!(lanes.len(), 1);
        assert_eq!(lanes[0].label, "block_on thread");
        let past = ms(50) + Duration::from_nanos(1);
        assert_eq!(lanes[0].held, [(ms(1), past)]);
        // Begun this very moment, it is held already.
        let (lanes, _) = threads.lanes(ms(1), (Driver::CurrentThread, 0), true);
        assert_eq!(lanes[0].held, [(ms(1), ms(1) + Duration::from_nanos(1))]);
        threads.held(1, 1, ms(30), false);
        let (lanes, _) = threads.lanes(ms(50), (Driver::CurrentThread, 0), true);
        assert_eq!(lanes[0].held, [(ms(1), ms(30))]);
    }

    /// Past the cap, calls are merged across their shortest gaps: the
    /// list stays bounded, and a long gap survives.
    #[test]
    fn many_calls_are_merged_across_short_gaps_only() {
        let mut threads = Threads::default();
        let mut at = 0;
        for task in 0..(3 * MAX_CALLS as u32) {
            // A long gap once, in the middle.
            if task == 1_000 {
                at += 10_000_000;
            }
            threads.held(task, 1, Duration::from_micros(at), true);
            threads.held(task, 1, Duration::from_micros(at + 10), false);
            at += 11;
        }
        assert!(threads.held.len() <= MAX_CALLS, "{}", threads.held.len());
        let mut held = threads.held.clone();
        held.sort_unstable();
        let gap = held
            .windows(2)
            .map(|w| w[1].1 - w[0].2)
            .max()
            .unwrap_or_default();
        assert!(gap >= Duration::from_secs(10), "{gap:?}");
    }
}
