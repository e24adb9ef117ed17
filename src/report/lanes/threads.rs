//! The thread lanes: one per OS thread that the run saw polling, holding or
//! running a task, labelled by the role it was seen in.
//!
//! # What a thread was seen doing
//!
//! Nothing here comes from the mode's name. Each thread's lane and label
//! come from what the run observed on that thread ([`Seen`]):
//!
//! - tokio's `on_thread_park` / `on_thread_unpark` hooks fire on a thread
//!   that runs a worker's loop (or a current-thread runtime's, which is the
//!   `block_on` caller's): it *parked* between its wake-ups;
//! - a task printed a line, was polled, or held the thread in a blocking
//!   call there;
//! - a `spawn_blocking` closure noted that it began and ended there: a
//!   blocking-pool thread.
//!
//! From that, the roles:
//!
//! - **`block_on` thread**: the caller of `Runtime::block_on`. On a
//!   current-thread runtime it is the runtime's one thread; joined on a
//!   multi-thread runtime, it polls the one `join_all` future, so it polls
//!   tasks but never parks in the hooks (it is no worker).
//! - **worker N**: a thread that ran a worker's loop from the start. tokio
//!   starts the `--workers` threads with the runtime, before any task runs,
//!   so they are the first threads seen in the loop.
//! - **took worker N's core**: a thread seen in a worker's loop later. A
//!   worker that enters `block_in_place` moves its core (its run queue and
//!   its turn at the drivers) to a thread of the blocking pool, which then
//!   runs the worker's loop (tokio's `multi_thread/worker.rs`,
//!   `block_in_place`), while the first thread stays held in the call. A
//!   new thread in the loop is such a thread: it shows up while a core's
//!   holder has begun a blocking call. Which core it took is said only
//!   when one holder could have handed it over at that moment; when two
//!   handed theirs over before either new thread showed up, the label
//!   names both (`took worker 1's or 2's core`), as nothing observed tells
//!   them apart.
//! - **pool thread N**: a thread that ran `spawn_blocking` calls, numbered
//!   in the order of their first call.
//!
//! A thread that did none of this (a worker that stayed parked all along,
//! or only woke for the timer's housekeeping) gets no lane.
//!
//! # Busy, held, parked
//!
//! A lane is busy while its thread was unparked, and parked (idle) the rest
//! of the time. Unparked is not the same as running code: while a task's
//! blocking call holds the thread, the thread is *held* (it uses no CPU,
//! and runs nothing else). The lane tells the two apart
//! ([`ThreadLane::held`]). A lane ends where its run ended.

use crate::state::{Observed, What};
use crate::vocab::{Event, Park};
use std::collections::HashMap;
use std::time::Duration;

/// What drove the tasks, as far as the thread lanes care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Driver {
    /// `--mode threads`: no runtime, so no runtime threads.
    None,
    /// One runtime thread, which polls every task.
    CurrentThread,
    /// Workers, with every task inside one `join_all` that
    /// `Runtime::block_on` polls on the calling thread.
    Joined,
    /// Workers, with every task spawned onto them.
    Spawned,
}

/// One thread's lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ThreadLane {
    /// What the lane is called: its role (`block_on thread`, `worker 2`,
    /// `took worker 1's core`, `pool thread 1`).
    pub(crate) label: String,
    /// The label in fewer characters, for a picture whose labels' room is
    /// narrow: `took w1's core`, `took w1/w2's core`.
    pub(crate) short: String,
    /// When it was unparked, in time order; between these it was parked.
    pub(crate) busy: Vec<(Duration, Duration)>,
    /// The parts of `busy` in which a task held it in a blocking call:
    /// unparked, but running no code. In time order, within `busy`.
    pub(crate) held: Vec<(Duration, Duration)>,
}

impl ThreadLane {
    /// The parts of `busy` in which it ran code: `busy` less `held`.
    pub(crate) fn running(&self) -> Vec<(Duration, Duration)> {
        let mut out = Vec::with_capacity(self.busy.len());
        let mut held = self.held.iter().peekable();
        for &(from, to) in &self.busy {
            let mut at = from;
            while let Some(&&(h_from, h_to)) = held.peek() {
                if h_from >= to {
                    break;
                }
                if h_from > at {
                    out.push((at, h_from));
                }
                at = at.max(h_to);
                if h_to > to {
                    break;
                }
                held.next();
            }
            if to > at {
                out.push((at, to));
            }
        }
        out
    }
}

/// Everything the run observed of its threads: the lanes' only input.
#[derive(Default)]
pub(crate) struct Seen<'a> {
    /// The parks and wake-ups of the threads in a runtime's loop.
    pub(crate) parks: &'a [Park],
    /// The tasks' lines, each with the thread that printed it.
    pub(crate) lines: &'a [Event],
    /// The blocking calls that held a thread inside a poll: the thread,
    /// from, to.
    pub(crate) held: Vec<(u32, Duration, Duration)>,
    /// The `spawn_blocking` calls a pool thread ran: the thread, from, to.
    pub(crate) pool: Vec<(u32, Duration, Duration)>,
    /// When a poll began, and on which thread.
    pub(crate) polls: Vec<(u32, Duration)>,
}

impl Seen<'_> {
    /// Takes the pool calls and the polls from the model's observations;
    /// a pool call still running at `end` (a signal stopped the run) runs
    /// to it.
    pub(crate) fn observe(&mut self, observed: &[Observed], end: Duration) {
        let ns = |at: u64| Duration::from_nanos(at);
        // Pool calls running at one moment: as many as pool threads.
        let mut open: HashMap<u32, (u32, Duration)> = HashMap::new();
        for e in observed {
            match e.what {
                What::PoolStarted => {
                    open.insert(e.task, (e.thread, ns(e.at)));
                }
                What::PoolEnded => {
                    if let Some((thread, from)) = open.remove(&e.task) {
                        self.pool.push((thread, from, ns(e.at)));
                    }
                }
                What::Polled { .. } => self.polls.push((e.thread, ns(e.at))),
                _ => {}
            }
        }
        self.pool.extend(
            open.into_values()
                .map(|(thread, from)| (thread, from, end.max(from))),
        );
        self.pool.sort_unstable_by_key(|c| (c.1, c.0));
    }
}

/// The role a thread was seen in: what its lane is called.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Role {
    /// The caller of `Runtime::block_on`.
    BlockOn,
    /// The `n`th worker the runtime started with.
    Worker(u32),
    /// A thread that took a worker's core over, from one of these workers
    /// (more than one when nothing observed tells which; none if it showed
    /// up when no holder was in a blocking call).
    TookCore(Vec<u32>),
    /// The `n`th blocking-pool thread to run a call.
    Pool(u32),
}

impl Role {
    /// The label in fewer characters: the same, but for a thread that
    /// took a core over.
    fn short(&self) -> String {
        match self {
            Role::TookCore(cores) if !cores.is_empty() => {
                let cores: Vec<String> = cores.iter().map(|n| format!("w{n}")).collect();
                format!("took {}'s core", cores.join("/"))
            }
            Role::TookCore(_) => "took a core".to_owned(),
            _ => self.label(),
        }
    }

    fn label(&self) -> String {
        match self {
            Role::BlockOn => "block_on thread".to_owned(),
            Role::Worker(n) => format!("worker {n}"),
            Role::Pool(n) => format!("pool thread {n}"),
            Role::TookCore(cores) => match cores.as_slice() {
                [] => "took a worker's core".to_owned(),
                [only] => format!("took worker {only}'s core"),
                [first @ .., last] => {
                    let first: Vec<String> = first.iter().map(|n| format!("{n}'s")).collect();
                    format!("took worker {} or {last}'s core", first.join(", "))
                }
            },
        }
    }
}

/// One thread, as the run saw it.
struct Thread {
    id: u32,
    /// When it was first seen doing anything.
    first: Duration,
    /// Whether it parked in the runtime's hooks: it ran a scheduler's loop.
    parked: bool,
    /// Whether a task's line, poll or blocking call was seen on it.
    ran_tasks: bool,
    /// Whether it ran a `spawn_blocking` call.
    pooled: bool,
}

/// A wake-up shorter than this in which the thread printed no line is the
/// runtime's own housekeeping, left out of the pictures. The one a learner
/// would see on every async timeline is tokio's timer wheel: a sleep sits in
/// a coarse slot of the wheel, the driver parks until the next occupied
/// slot, which ends before the deadline (how early depends on the delay),
/// and there it moves the entry to a finer level (tokio's `time/wheel`),
/// polls no task and parks again. Drawn, it is a busy mark in
/// the middle of every sleep that the lesson cannot explain, so it is left
/// out rather than explained: the picture is about tasks, and this is no
/// task's work. A wake-up that prints a line, or lasts longer, is drawn.
const HOUSEKEEPING: Duration = Duration::from_millis(1);

/// The threads' lanes, up to `end`, for a runtime that started with
/// `workers` worker threads, labelled by role (see the module's doc) and in
/// the order block_on thread, workers, threads that took a core, pool
/// threads. `pool_holds`: a pool call holds its thread (a sleep), rather
/// than running code on it (a spin). Also returns how many workers were
/// left out, parked all along.
pub(crate) fn thread_lanes(
    seen: &Seen,
    end: Duration,
    (driver, workers): (Driver, usize),
    pool_holds: bool,
) -> (Vec<ThreadLane>, usize) {
    if driver == Driver::None {
        return (Vec::new(), 0);
    }
    let threads = threads_of(seen);
    let roles = roles(seen, &threads, driver, workers);
    let mut idle_workers = 0;
    let mut lanes: Vec<(Role, ThreadLane)> = threads
        .iter()
        .zip(roles)
        .filter_map(|(thread, role)| {
            let lane = match role {
                Role::Pool(_) => {
                    let calls: Vec<(Duration, Duration)> = seen
                        .pool
                        .iter()
                        .filter(|c| c.0 == thread.id)
                        .map(|c| (c.1, c.2))
                        .collect();
                    ThreadLane {
                        label: role.label(),
                        short: role.short(),
                        held: if pool_holds {
                            calls.clone()
                        } else {
                            Vec::new()
                        },
                        busy: calls,
                    }
                }
                _ => {
                    // The block_on thread and the workers exist from the
                    // start; a thread that took a core over, from when it
                    // was first seen.
                    let from = match role {
                        Role::TookCore(_) => thread.first,
                        _ => Duration::ZERO,
                    };
                    let busy = busy(seen, thread, from, end);
                    ThreadLane {
                        label: role.label(),
                        short: role.short(),
                        held: intersect(
                            seen.held
                                .iter()
                                .filter(|w| w.0 == thread.id)
                                .map(|w| (w.1, w.2)),
                            &busy,
                        ),
                        busy,
                    }
                }
            };
            // A worker that stayed parked, or woke only for housekeeping,
            // did nothing a lane could show.
            let idle = matches!(role, Role::Worker(_)) && lane.busy.is_empty() && !thread.ran_tasks;
            idle_workers += usize::from(idle);
            (!idle).then_some((role, lane))
        })
        .collect();
    let rank = |role: &Role| match role {
        Role::BlockOn => (0, 0),
        Role::Worker(n) => (1, *n),
        Role::TookCore(_) => (2, 0),
        Role::Pool(n) => (3, *n),
    };
    lanes.sort_by_key(|(role, _)| rank(role));
    (
        lanes.into_iter().map(|(_, lane)| lane).collect(),
        idle_workers,
    )
}

/// Every thread seen, in the order it was first seen.
fn threads_of(seen: &Seen) -> Vec<Thread> {
    let mut threads: Vec<Thread> = Vec::new();
    let mut note = |id: u32, at: Duration, f: &dyn Fn(&mut Thread)| {
        let i = match threads.iter().position(|t| t.id == id) {
            Some(i) => i,
            None => {
                threads.push(Thread {
                    id,
                    first: at,
                    parked: false,
                    ran_tasks: false,
                    pooled: false,
                });
                threads.len() - 1
            }
        };
        let thread = &mut threads[i];
        thread.first = thread.first.min(at);
        f(thread);
    };
    for park in seen.parks {
        note(park.thread, park.at, &|t| t.parked = true);
    }
    for line in seen.lines {
        note(line.thread, line.at, &|t| t.ran_tasks = true);
    }
    for &(thread, at) in &seen.polls {
        note(thread, at, &|t| t.ran_tasks = true);
    }
    for &(thread, from, _) in &seen.held {
        note(thread, from, &|t| t.ran_tasks = true);
    }
    for &(thread, from, _) in &seen.pool {
        note(thread, from, &|t| t.pooled = true);
    }
    threads.sort_by_key(|t| (t.first, t.id));
    threads
}

/// Each thread's role, in the order of `threads`.
fn roles(seen: &Seen, threads: &[Thread], driver: Driver, workers: usize) -> Vec<Role> {
    let mut pool = 0;
    let mut worker = 0;
    // The threads in a worker's loop, and the workers whose core each may
    // hold now.
    let mut holders: Vec<(u32, Vec<u32>)> = Vec::new();
    // The blocking calls whose handover a new thread has already been
    // paired with.
    let mut claimed: Vec<(u32, Duration)> = Vec::new();
    threads
        .iter()
        .map(|thread| {
            if thread.pooled {
                pool += 1;
                return Role::Pool(pool);
            }
            match driver {
                Driver::CurrentThread => return Role::BlockOn,
                Driver::Joined if !thread.parked => return Role::BlockOn,
                _ => {}
            }
            if worker < workers {
                worker += 1;
                let n = u32::try_from(worker).unwrap_or(u32::MAX);
                holders.push((thread.id, vec![n]));
                return Role::Worker(n);
            }
            // A thread new to a worker's loop: it took the core of a holder
            // that had begun a blocking call by then.
            let candidates: Vec<(u32, Duration)> = holders
                .iter()
                .filter_map(|(id, _)| {
                    let call = handed_over_by(seen, *id, thread.first)?;
                    (!claimed.contains(&(*id, call))).then_some((*id, call))
                })
                .collect();
            let mut cores: Vec<u32> = candidates
                .iter()
                .flat_map(|(id, _)| {
                    holders
                        .iter()
                        .filter(move |(h, _)| h == id)
                        .flat_map(|(_, cores)| cores.iter().copied())
                })
                .collect();
            cores.sort_unstable();
            cores.dedup();
            if let [only] = candidates.as_slice() {
                // The one core in flight: it moves to this thread.
                claimed.push(*only);
                holders.retain(|(h, _)| *h != only.0);
            }
            holders.push((thread.id, cores.clone()));
            Role::TookCore(cores)
        })
        .collect()
}

/// The blocking call (by its start) in which thread `holder` could have
/// handed its core over before `at`: one it was still in at `at`, and
/// that the thread may have entered before then. A call is entered after
/// the last thing seen on the thread before it (its line, its poll's
/// start), so a call noted a moment after `at` may still have handed its
/// core over before it.
fn handed_over_by(seen: &Seen, holder: u32, at: Duration) -> Option<Duration> {
    seen.held
        .iter()
        .filter(|w| w.0 == holder && at <= w.2)
        .find(|w| last_before(seen, holder, w.1) < at)
        .map(|w| w.1)
}

/// The last moment before `at` at which thread `thread` was seen doing
/// something other than holding: a line, a poll's start, a park.
fn last_before(seen: &Seen, thread: u32, at: Duration) -> Duration {
    let lines = seen
        .lines
        .iter()
        .filter(|e| e.thread == thread)
        .map(|e| e.at);
    let polls = seen.polls.iter().filter(|p| p.0 == thread).map(|p| p.1);
    let parks = seen
        .parks
        .iter()
        .filter(|p| p.thread == thread)
        .map(|p| p.at);
    lines
        .chain(polls)
        .chain(parks)
        .filter(|t| *t <= at)
        .fold(Duration::ZERO, Duration::max)
}

/// When `thread` was unparked, from `from` up to `end`.
///
/// A thread that parked is busy from each wake-up to the next park, and
/// from `from` if it ran a task before its first park (a thread starting
/// up with nothing to do parks first). A thread that never parked (the
/// `block_on` thread of a multi-thread runtime, which has no hooks, or a
/// thread held all along) is busy from `from` to the last thing it did,
/// or to `end` if a blocking call still held it there (a run a signal
/// stopped).
fn busy(seen: &Seen, thread: &Thread, from: Duration, end: Duration) -> Vec<(Duration, Duration)> {
    let id = thread.id;
    let mine = || {
        seen.lines
            .iter()
            .filter(move |e| e.thread == id)
            .map(|e| e.at)
    };
    let polls = || seen.polls.iter().filter(move |p| p.0 == id).map(|p| p.1);
    let held = || seen.held.iter().filter(move |w| w.0 == id);
    if !thread.parked {
        let last = mine()
            .chain(polls())
            .chain(held().map(|w| w.2))
            .fold(from, Duration::max);
        let last = if held().any(|w| w.2 >= end) {
            end
        } else {
            last
        };
        return if last > from {
            vec![(from, last)]
        } else {
            Vec::new()
        };
    }
    let parks = seen.parks.iter().filter(|p| p.thread == id);
    let first_park = parks.clone().map(|p| p.at).next();
    let worked_first = mine()
        .chain(polls())
        .chain(held().map(|w| w.1))
        .any(|at| first_park.is_none_or(|park| at <= park));
    let mut busy = Vec::new();
    let mut since = worked_first.then_some(from);
    for park in parks {
        match (park.parked, since) {
            (true, Some(from)) => {
                if park.at > from {
                    busy.push((from, park.at));
                }
                since = None;
            }
            (false, None) => since = Some(park.at),
            // A repeated state (a record dropped at the cap): keep
            // the earlier one.
            _ => {}
        }
    }
    if let Some(from) = since {
        if end > from {
            busy.push((from, end));
        }
    }
    without_housekeeping(busy, seen.lines, id)
}

/// Marks `lane` held, unparked and running nothing, over `(from, to)`.
pub(crate) fn hold(lane: &mut ThreadLane, (from, to): (Duration, Duration)) {
    if to <= from {
        return;
    }
    let cut = |list: &mut Vec<(Duration, Duration)>| {
        let mut kept: Vec<(Duration, Duration)> = Vec::with_capacity(list.len() + 1);
        for &(a, b) in list.iter() {
            if b <= from || a >= to {
                kept.push((a, b));
                continue;
            }
            if a < from {
                kept.push((a, from));
            }
            if b > to {
                kept.push((to, b));
            }
        }
        kept.push((from, to));
        kept.sort_unstable();
        *list = kept;
    };
    cut(&mut lane.busy);
    cut(&mut lane.held);
}

/// The parts of `within` (in time order) that the intervals `of` (in time
/// order) cover.
fn intersect(
    of: impl Iterator<Item = (Duration, Duration)>,
    within: &[(Duration, Duration)],
) -> Vec<(Duration, Duration)> {
    let mut of: Vec<(Duration, Duration)> = of.collect();
    of.sort_unstable();
    let mut out: Vec<(Duration, Duration)> = Vec::new();
    for (from, to) in of {
        let first = within.partition_point(|&(_, b)| b <= from);
        for &(a, b) in within[first..].iter().take_while(|(a, _)| *a < to) {
            let (a, b) = (a.max(from), b.min(to));
            if b <= a {
                continue;
            }
            match out.last_mut() {
                Some((_, end)) if *end >= a => *end = (*end).max(b),
                _ => out.push((a, b)),
            }
        }
    }
    out
}

/// `busy` less the short wake-ups in which `thread` printed nothing (see
/// [`HOUSEKEEPING`]).
fn without_housekeeping(
    busy: Vec<(Duration, Duration)>,
    events: &[Event],
    thread: u32,
) -> Vec<(Duration, Duration)> {
    if !busy.iter().any(|(from, to)| *to - *from < HOUSEKEEPING) {
        return busy;
    }
    let mut printed: Vec<Duration> = events
        .iter()
        .filter(|e| e.thread == thread)
        .map(|e| e.at)
        .collect();
    printed.sort_unstable();
    busy.into_iter()
        .filter(|&(from, to)| {
            let at = printed.partition_point(|t| *t < from);
            to - from >= HOUSEKEEPING || printed.get(at).is_some_and(|t| *t <= to)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::line_holds;
    use super::*;
    use crate::vocab::testing::event;
    use crate::vocab::{Phase, Waiting};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn us(n: u64) -> Duration {
        Duration::from_micros(n)
    }

    fn park(at: Duration, thread: u32, parked: bool) -> Park {
        Park { at, thread, parked }
    }

    /// The lanes of what was seen, for a runtime of `workers` workers, and
    /// their labels.
    fn lanes(seen: &Seen, end: Duration, driver: Driver, workers: usize) -> Vec<ThreadLane> {
        thread_lanes(seen, end, (driver, workers), true).0
    }

    fn labels(lanes: &[ThreadLane]) -> Vec<&str> {
        lanes.iter().map(|l| l.label.as_str()).collect()
    }

    #[test]
    fn a_thread_is_busy_until_it_parks_and_again_from_each_wake_up() {
        let parks = [
            park(ms(1), 1, true),
            park(ms(1000), 1, false),
            park(ms(1002), 1, true),
        ];
        let events = [event(0, 1, Phase::First, 1)];
        let seen = Seen {
            parks: &parks,
            lines: &events,
            ..Seen::default()
        };
        let drawn = lanes(&seen, ms(1002), Driver::CurrentThread, 0);
        // A current-thread runtime runs on the thread that called block_on.
        assert_eq!(labels(&drawn), ["block_on thread"]);
        assert_eq!(drawn[0].busy, [(ms(0), ms(1)), (ms(1000), ms(1002))]);
        assert!(lanes(&seen, ms(1002), Driver::None, 0).is_empty());
        // A worker that parked before doing anything was idle until woken.
        let seen = Seen {
            parks: &parks,
            ..Seen::default()
        };
        let drawn = lanes(&seen, ms(1002), Driver::Spawned, 1);
        assert_eq!(labels(&drawn), ["worker 1"]);
        assert_eq!(drawn[0].busy, [(ms(1000), ms(1002))]);
    }

    /// Joined, the thread that polls the tasks is block_on's; workers that
    /// stayed parked did nothing, and get no lane.
    #[test]
    fn the_block_on_thread_gets_a_lane_and_idle_workers_none() {
        let parks = [park(ms(0), 2, true), park(ms(0), 3, true)];
        let events = [event(0, 1, Phase::First, 1), event(600, 1, Phase::Last, 1)];
        let seen = Seen {
            parks: &parks,
            lines: &events,
            ..Seen::default()
        };
        let (drawn, idle) = thread_lanes(&seen, ms(600), (Driver::Joined, 2), true);
        assert_eq!(labels(&drawn), ["block_on thread"]);
        assert_eq!(idle, 2, "both workers counted, parked all along");
        assert_eq!(drawn[0].busy, [(ms(0), ms(600))]);
        // Spawned, the thread that never parked is a worker blocked all
        // along, not block_on's; the other, parked all along, is not drawn.
        let seen = Seen {
            parks: &parks[..1],
            lines: &events,
            held: vec![(1, ms(0), ms(600))],
            ..Seen::default()
        };
        let drawn = lanes(&seen, ms(600), Driver::Spawned, 2);
        assert_eq!(labels(&drawn), ["worker 1"]);
        assert_eq!(drawn[0].busy, [(ms(0), ms(600))]);
        assert_eq!(drawn[0].held, [(ms(0), ms(600))]);
    }

    /// A blocking run's thread is unparked all along, but runs code only
    /// between the waits: during each one a task holds it in
    /// `std::thread::sleep`.
    #[test]
    fn a_thread_that_a_blocked_task_holds_is_held_not_running() {
        let events = [
            event(0, 1, Phase::First, 1),
            event(200, 1, Phase::Last, 1),
            event(201, 2, Phase::First, 1),
            event(401, 2, Phase::Last, 1),
        ];
        let seen = Seen {
            lines: &events,
            held: line_holds(&events, ms(402), Waiting::Blocked),
            ..Seen::default()
        };
        let drawn = lanes(&seen, ms(402), Driver::CurrentThread, 0);
        assert_eq!(drawn[0].busy, [(ms(0), ms(401))]);
        assert_eq!(drawn[0].held, [(ms(0), ms(200)), (ms(201), ms(401))]);
        assert_eq!(drawn[0].running(), [(ms(200), ms(201))]);
        // The same lines in an async run hold nothing.
        let seen = Seen {
            lines: &events,
            ..Seen::default()
        };
        let drawn = lanes(&seen, ms(402), Driver::CurrentThread, 0);
        assert!(drawn[0].held.is_empty());
        assert_eq!(drawn[0].running(), drawn[0].busy);
    }

    /// Ctrl-C during task 2's wait: the thread is still held by it, to the
    /// end of the picture, not parked after task 2's first line.
    #[test]
    fn an_interrupted_blocking_wait_holds_the_thread_to_the_end() {
        let events = [
            event(0, 1, Phase::First, 1),
            event(200, 1, Phase::Last, 1),
            event(200, 2, Phase::First, 1),
        ];
        let held = line_holds(&events, ms(300), Waiting::Blocked);
        let seen = Seen {
            lines: &events,
            held: held.clone(),
            ..Seen::default()
        };
        let drawn = lanes(&seen, ms(300), Driver::CurrentThread, 0);
        assert_eq!(drawn[0].busy, [(ms(0), ms(300))]);
        assert_eq!(drawn[0].held, [(ms(0), ms(300))]);
        // Spawned on workers that park: the worker held by task 2 is held
        // to the end too.
        let parks = [park(ms(0), 1, false), park(ms(0), 2, true)];
        let seen = Seen {
            parks: &parks,
            lines: &events,
            held,
            ..Seen::default()
        };
        let drawn = lanes(&seen, ms(300), Driver::Spawned, 2);
        assert_eq!(labels(&drawn), ["worker 1"], "worker 2 stayed parked");
        assert_eq!(drawn[0].held, [(ms(0), ms(300))]);
    }

    /// The timer wheel's wake-up in the middle of a sleep prints nothing
    /// and is over in microseconds: not drawn. A wake-up that prints a
    /// line, however short, is.
    #[test]
    fn a_wake_up_that_prints_nothing_is_housekeeping() {
        let parks = [
            park(us(500), 1, true),
            park(us(960_000), 1, false),
            park(us(960_020), 1, true),
            park(us(1_000_000), 1, false),
            park(us(1_000_040), 1, true),
        ];
        let events = [
            event(0, 1, Phase::First, 1),
            Event {
                at: us(1_000_010),
                ..event(0, 1, Phase::Last, 1)
            },
        ];
        let seen = Seen {
            parks: &parks,
            lines: &events,
            ..Seen::default()
        };
        let drawn = lanes(&seen, ms(1001), Driver::CurrentThread, 0);
        assert_eq!(
            drawn[0].busy,
            [(us(0), us(500)), (us(1_000_000), us(1_000_040))]
        );
    }

    /// A thread blocked in std's lock() is busy and held from then on,
    /// whatever the parks said.
    #[test]
    fn a_thread_in_a_deadlock_is_held_to_the_end() {
        let mut lane = ThreadLane {
            label: "block_on thread".into(),
            short: "block_on thread".into(),
            busy: vec![(ms(0), ms(5)), (ms(50), ms(60))],
            held: Vec::new(),
        };
        hold(&mut lane, (ms(4), ms(1000)));
        assert_eq!(lane.busy, [(ms(0), ms(4)), (ms(4), ms(1000))]);
        assert_eq!(lane.held, [(ms(4), ms(1000))]);
        assert_eq!(lane.running(), [(ms(0), ms(4))]);
    }

    /// `count -n 3 -m block-in-place --workers 2 --spawn`, as observed:
    /// workers 1 and 2 (threads 1, 2) each print and block in turn; thread
    /// 3 shows up in a worker's loop while only worker 1 is in its call,
    /// so it took worker 1's core; thread 4 shows up once worker 2 may
    /// have entered its call, and thread 3 not yet; thread 3 runs task 3,
    /// which blocks too, and thread 5 takes that core (worker 1's) over.
    #[test]
    fn threads_that_took_a_core_over_are_named_by_whose_core() {
        let parks = [
            park(us(0), 1, true),
            park(us(0), 2, true),
            park(us(100), 1, false),
            park(us(300), 3, true),
            park(us(400), 2, false),
            park(us(500), 3, false),
            park(us(470), 4, true),
            park(us(900), 5, true),
        ];
        let line = |at: u64, task, thread| Event {
            at: us(at),
            ..event(0, task, Phase::First, thread)
        };
        let lines = [line(150, 1, 1), line(450, 2, 2), line(550, 3, 3)];
        let seen = Seen {
            parks: &parks,
            lines: &lines,
            held: vec![
                (1, us(200), ms(200)),
                (2, us(480), ms(200)),
                (3, us(600), ms(200)),
            ],
            polls: vec![(1, us(120)), (2, us(420)), (3, us(520))],
            ..Seen::default()
        };
        let drawn = lanes(&seen, ms(201), Driver::Spawned, 2);
        assert_eq!(
            labels(&drawn),
            [
                "worker 1",
                "worker 2",
                "took worker 1's core",
                "took worker 2's core",
                "took worker 1's core",
            ]
        );
        let held: Vec<usize> = drawn.iter().map(|l| l.held.len()).collect();
        assert_eq!(held, [1, 1, 1, 0, 0], "three threads held, two took over");
        // Thread 3 is drawn from when it was first seen, not from the start.
        assert_eq!(drawn[2].busy.first().map(|b| b.0), Some(us(500)));
    }

    /// Two workers block before either new thread shows up: nothing
    /// observed tells which took whose core, and the labels say so.
    #[test]
    fn two_cores_handed_over_at_once_are_both_named() {
        let parks = [
            park(us(0), 1, true),
            park(us(0), 2, true),
            park(us(100), 1, false),
            park(us(100), 2, false),
            park(us(400), 3, true),
            park(us(450), 4, true),
        ];
        let line = |at: u64, task, thread| Event {
            at: us(at),
            ..event(0, task, Phase::First, thread)
        };
        let lines = [line(150, 1, 1), line(160, 2, 2)];
        let seen = Seen {
            parks: &parks,
            lines: &lines,
            held: vec![(1, us(200), ms(200)), (2, us(210), ms(200))],
            ..Seen::default()
        };
        let drawn = lanes(&seen, ms(201), Driver::Spawned, 2);
        assert_eq!(
            labels(&drawn),
            [
                "worker 1",
                "worker 2",
                "took worker 1's or 2's core",
                "took worker 1's or 2's core",
            ]
        );
        assert_eq!(drawn[2].short, "took w1/w2's core");
    }

    /// A pool of two running four calls: two lanes, each held by the calls
    /// it ran, numbered in the order of their first call.
    #[test]
    fn pool_threads_get_a_lane_each_held_by_their_calls() {
        let events = [event(0, 1, Phase::First, 1)];
        let seen = Seen {
            lines: &events,
            pool: vec![
                (7, ms(1), ms(301)),
                (5, ms(2), ms(302)),
                (7, ms(301), ms(601)),
                (5, ms(302), ms(602)),
            ],
            ..Seen::default()
        };
        let drawn = lanes(&seen, ms(603), Driver::CurrentThread, 0);
        assert_eq!(
            labels(&drawn),
            ["block_on thread", "pool thread 1", "pool thread 2"]
        );
        assert_eq!(drawn[1].held, [(ms(1), ms(301)), (ms(301), ms(601))]);
        assert!(drawn[1].running().is_empty());
        // A spin in the pool runs code there.
        let (spun, _) = thread_lanes(&seen, ms(603), (Driver::CurrentThread, 0), false);
        assert!(spun[1].held.is_empty());
        assert_eq!(spun[1].busy.len(), 2);
    }
}
