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
//!
//! Two kinds of thread are not runtime threads parking in the hooks
//! ([`Kind`]): a pool thread is busy while it runs a task's call (its job,
//! so the call does not *hold* it from other work), and the `block_on`
//! caller of a multi-thread runtime, which no hook reports, is busy during
//! its observed polls and, between them, not known to be anything.

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

/// What a lane's stretches mean, by the kind of thread it is: the legend
/// and the tooltips word each kind's busy, held and idle time in its own
/// terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A thread in a runtime's loop, whose parks tokio's hooks report:
    /// busy while unparked (running code, or held by a task's blocking
    /// call), parked between.
    Runtime,
    /// The `block_on` caller of a multi-thread runtime, which polls the
    /// joined tasks but runs no worker's loop, so tokio's park hooks never
    /// fire on it: busy during its polls, and between them nothing was
    /// observed (it may have slept, or not).
    Unhooked,
    /// A blocking-pool thread: busy while it ran a task's call (the call
    /// is its job, not something that keeps it from one), idle between.
    Pool,
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
    /// What its stretches mean.
    pub(crate) kind: Kind,
    /// Where the lane begins: the start of the run for a thread that was
    /// there from the start (the `block_on` caller, the workers tokio
    /// starts with the runtime), else when it was first seen (a thread that
    /// took a core over, a pool thread: the pool starts them as calls need
    /// them, so before that nothing says the thread was there, idle).
    pub(crate) from: Duration,
    /// When it was unparked (for a [`Kind::Unhooked`] thread, polling),
    /// in time order; between these it was parked (not observed).
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
    /// The model's observations, for their polls: read where needed, not
    /// copied (a picture of a million tasks observes two million polls).
    pub(crate) observed: &'a [Observed],
}

impl<'a> Seen<'a> {
    /// When a poll began, and on which thread.
    fn polls(&self) -> impl Iterator<Item = (u32, Duration)> + '_ {
        self.observed
            .iter()
            .filter(|e| matches!(e.what, What::Polled { .. }))
            .map(|e| (e.thread, Duration::from_nanos(e.at)))
    }

    /// The polls on `thread`, from their start to their return: read for
    /// the one thread that has no park hook, so a million-poll run keeps
    /// one lane's copy at most.
    fn polls_on(&self, thread: u32) -> impl Iterator<Item = (Duration, Duration)> + '_ {
        self.observed
            .iter()
            .filter(move |e| e.thread == thread)
            .filter_map(|e| match e.what {
                What::Polled { took, .. } => Some((
                    Duration::from_nanos(e.at),
                    Duration::from_nanos(e.at.saturating_add(took)),
                )),
                _ => None,
            })
    }

    /// Takes the polls and the pool calls from the model's observations;
    /// a pool call still running at `end` (a signal stopped the run) runs
    /// to it.
    pub(crate) fn observe(&mut self, observed: &'a [Observed], end: Duration) {
        self.observed = observed;
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

/// One thread, as the run saw it: what was seen on it, sorted by time,
/// gathered once so that no step reads the whole run again per thread.
#[derive(Default)]
struct Thread {
    id: u32,
    /// When it was first seen doing anything.
    first: Duration,
    /// Its parks and wake-ups, in the order recorded: it ran a scheduler's
    /// loop if there are any.
    parks: Vec<Park>,
    /// When a task's line, poll or blocking call was first and last seen
    /// on it (the start of the call).
    work: Option<(Duration, Duration)>,
    /// When anything but a blocking call was seen on it (a line, a poll's
    /// start, a park or wake-up): kept only for a thread that may hand its
    /// core over (in a worker's loop, held by a call), which is all the
    /// pairing reads; a million-line run keeps no copy of its lines.
    marks: Vec<Duration>,
    /// The blocking calls that held it, by their start.
    held: Vec<(Duration, Duration)>,
    /// The `spawn_blocking` calls it ran.
    pool: Vec<(Duration, Duration)>,
}

impl Thread {
    /// Whether a task's line, poll or blocking call was seen on it.
    fn ran_tasks(&self) -> bool {
        self.work.is_some()
    }

    /// Notes task work at `at`.
    fn worked(&mut self, at: Duration) {
        self.work = Some(match self.work {
            Some((first, last)) => (first.min(at), last.max(at)),
            None => (at, at),
        });
    }

    /// The last moment before `at` at which it was seen doing something
    /// other than holding: a line, a poll's start, a park.
    fn last_before(&self, at: Duration) -> Duration {
        let i = self.marks.partition_point(|t| *t <= at);
        i.checked_sub(1).map_or(Duration::ZERO, |i| self.marks[i])
    }
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
    let threads = threads_of(seen, driver == Driver::Spawned);
    let roles = roles(&threads, driver, workers);
    let mut idle_workers = 0;
    let mut lanes: Vec<(Role, ThreadLane)> = threads
        .iter()
        .zip(roles)
        .filter_map(|(thread, role)| {
            let lane = match role {
                Role::Pool(_) => {
                    let calls = thread.pool.clone();
                    ThreadLane {
                        label: role.label(),
                        short: role.short(),
                        kind: Kind::Pool,
                        from: thread.first,
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
                    // Joined on a multi-thread runtime, block_on's thread
                    // has no park hook: its observed polls are its busy
                    // time, and nothing is drawn as known between them.
                    // A poll a signal cut short never returned: its held
                    // call says how long it went on.
                    let unhooked = role == Role::BlockOn
                        && driver == Driver::Joined
                        && thread.parks.is_empty()
                        && !seen.observed.is_empty();
                    let (kind, busy) = if unhooked {
                        let polls = seen.polls_on(thread.id).chain(thread.held.iter().copied());
                        (Kind::Unhooked, merged(polls.collect()))
                    } else {
                        (Kind::Runtime, busy(seen, thread, from, end))
                    };
                    ThreadLane {
                        label: role.label(),
                        short: role.short(),
                        kind,
                        from,
                        held: intersect(&thread.held, &busy),
                        busy,
                    }
                }
            };
            // A worker that stayed parked, or woke only for housekeeping,
            // did nothing a lane could show.
            let idle =
                matches!(role, Role::Worker(_)) && lane.busy.is_empty() && !thread.ran_tasks();
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
fn threads_of(seen: &Seen, spawned: bool) -> Vec<Thread> {
    let mut index: HashMap<u32, usize> = HashMap::new();
    let mut threads: Vec<Thread> = Vec::new();
    // Thread `id`'s place in `threads`, first seen no later than `at`.
    let mut of = |threads: &mut Vec<Thread>, id: u32, at: Duration| -> usize {
        let i = *index.entry(id).or_insert_with(|| {
            threads.push(Thread {
                id,
                first: at,
                ..Thread::default()
            });
            threads.len() - 1
        });
        threads[i].first = threads[i].first.min(at);
        i
    };
    for &park in seen.parks {
        let i = of(&mut threads, park.thread, park.at);
        threads[i].parks.push(park);
    }
    for line in seen.lines {
        let i = of(&mut threads, line.thread, line.at);
        threads[i].worked(line.at);
    }
    for (id, at) in seen.polls() {
        let i = of(&mut threads, id, at);
        threads[i].worked(at);
    }
    for &(id, from, to) in &seen.held {
        let i = of(&mut threads, id, from);
        threads[i].worked(from);
        threads[i].held.push((from, to));
    }
    for &(id, from, to) in &seen.pool {
        let i = of(&mut threads, id, from);
        threads[i].pool.push((from, to));
    }
    // The marks of the threads that may hand a core over: held by a call
    // in a spawned run (joined, only block_on's thread runs tasks, and it
    // has no core).
    let handing: HashMap<u32, usize> = index
        .iter()
        .filter(|(_, i)| spawned && !threads[**i].held.is_empty())
        .map(|(id, i)| (*id, *i))
        .collect();
    if !handing.is_empty() {
        let seen_at = seen
            .lines
            .iter()
            .map(|e| (e.thread, e.at))
            .chain(seen.polls())
            .chain(seen.parks.iter().map(|p| (p.thread, p.at)));
        for (id, at) in seen_at {
            if let Some(i) = handing.get(&id) {
                threads[*i].marks.push(at);
            }
        }
    }
    for thread in &mut threads {
        thread.marks.sort_unstable();
        thread.held.sort_unstable();
        thread.pool.sort_unstable();
    }
    threads.sort_by_key(|t| (t.first, t.id));
    threads
}

/// Each thread's role, in the order of `threads`.
fn roles(threads: &[Thread], driver: Driver, workers: usize) -> Vec<Role> {
    let mut pool = 0;
    let mut worker = 0;
    // The threads in a worker's loop (by index), and the workers whose
    // core each may hold now.
    let mut holders: Vec<(usize, Vec<u32>)> = Vec::new();
    // The blocking calls (the thread's index, the call's start) whose
    // handover a new thread has already been paired with.
    let mut claimed: Vec<(usize, Duration)> = Vec::new();
    threads
        .iter()
        .enumerate()
        .map(|(at, thread)| {
            if !thread.pool.is_empty() {
                pool += 1;
                return Role::Pool(pool);
            }
            match driver {
                Driver::CurrentThread => return Role::BlockOn,
                Driver::Joined if thread.parks.is_empty() => return Role::BlockOn,
                _ => {}
            }
            if worker < workers {
                worker += 1;
                let n = u32::try_from(worker).unwrap_or(u32::MAX);
                holders.push((at, vec![n]));
                return Role::Worker(n);
            }
            // A thread new to a worker's loop: it took the core of a holder
            // that had begun a blocking call by then.
            // Each as (its place in `holders`, the call's start).
            let candidates: Vec<(usize, Duration)> = holders
                .iter()
                .enumerate()
                .filter_map(|(i, (holder, _))| {
                    let call = handed_over_by(&threads[*holder], thread.first)?;
                    (!claimed.contains(&(*holder, call))).then_some((i, call))
                })
                .collect();
            let mut cores: Vec<u32> = candidates
                .iter()
                .flat_map(|(i, _)| holders[*i].1.iter().copied())
                .collect();
            cores.sort_unstable();
            cores.dedup();
            if let [(i, call)] = candidates.as_slice() {
                // The one core in flight: it moves to this thread.
                let (holder, _) = holders.remove(*i);
                claimed.push((holder, *call));
            }
            holders.push((at, cores.clone()));
            Role::TookCore(cores)
        })
        .collect()
}

/// The blocking call (by its start) in which `holder` could have handed
/// its core over before `at`: one it was still in at `at`, and that it
/// may have entered before then. A call is entered after the last thing
/// seen on the thread before it (its line, its poll's start), so a call
/// noted a moment after `at` may still have handed its core over before.
fn handed_over_by(holder: &Thread, at: Duration) -> Option<Duration> {
    // The calls still going at `at`, by their start; past the first that
    // the thread entered after `at`, none was entered before it.
    let first = holder.held.partition_point(|w| w.1 < at);
    holder.held[first..]
        .iter()
        .take_while(|w| holder.last_before(w.0) < at)
        .find(|w| at <= w.1)
        .map(|w| w.0)
}

/// When `thread` was unparked, from `from` up to `end`.
///
/// A thread that parked is busy from each wake-up to the next park, and
/// from `from` if it ran a task before its first park (a thread starting
/// up with nothing to do parks first). A thread that never parked (a
/// worker held all along, or a `block_on` thread with no hooks in a run
/// that observed no polls) is busy from `from` to the last thing it did,
/// or to `end` if a blocking call still held it there (a run a signal
/// stopped).
fn busy(seen: &Seen, thread: &Thread, from: Duration, end: Duration) -> Vec<(Duration, Duration)> {
    if thread.parks.is_empty() {
        let last = thread
            .held
            .iter()
            .map(|w| w.1)
            .chain(thread.work.map(|w| w.1))
            .fold(from, Duration::max);
        let last = if thread.held.iter().any(|w| w.1 >= end) {
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
    let first_park = thread.parks[0].at;
    let worked_first = thread.work.is_some_and(|(at, _)| at <= first_park);
    let mut busy = Vec::new();
    let mut since = worked_first.then_some(from);
    for park in &thread.parks {
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
    without_housekeeping(busy, seen.lines, thread.id)
}

/// `spans`, in time order, the overlapping ones merged.
fn merged(mut spans: Vec<(Duration, Duration)>) -> Vec<(Duration, Duration)> {
    spans.sort_unstable();
    let mut out: Vec<(Duration, Duration)> = Vec::with_capacity(spans.len());
    for (from, to) in spans {
        match out.last_mut() {
            Some((_, end)) if *end >= from => *end = (*end).max(to),
            _ => out.push((from, to)),
        }
    }
    out
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
    of: &[(Duration, Duration)],
    within: &[(Duration, Duration)],
) -> Vec<(Duration, Duration)> {
    let mut out: Vec<(Duration, Duration)> = Vec::new();
    for &(from, to) in of {
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
mod tests;
