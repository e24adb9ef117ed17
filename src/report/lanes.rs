//! What the pictures draw in each lane, derived once from the recorded
//! events and thread parks, for the text `--timeline` and the `--svg` file.
//!
//! A task lane is a list of [`Span`]s:
//!
//! - **ready, waiting for the thread**: the task could run but another task
//!   holds the thread. Every coroutine is ready at the start (`join_all` and
//!   `spawn` create them all at once), so the time before its first line is
//!   this; and its wait is over at its first line plus the delay, so a last
//!   line later than that is this too. No tool draws this state, and it is
//!   the heart of the lesson: the staircase of a blocking run is tasks
//!   ready to go, kept off the thread.
//! - **waiting**: between its first line and the end of its wait, coloured by
//!   how it waits ([`Waiting`]). Only a free wait can end while another task
//!   holds the thread; a blocked task holds it itself, and a blocking-pool
//!   call may first queue for a pool thread, so for those the whole gap to
//!   the last line counts as waiting.
//!
//! A thread lane is the intervals in which a runtime thread was unparked,
//! from tokio's `on_thread_park` / `on_thread_unpark` hooks; the rest of
//! the lane it was parked (idle). Unparked is not the same as running code:
//! while a task of a blocking mode is inside its wait on that thread, the
//! thread is *held* in a blocking call (it uses no CPU, and runs nothing
//! else). The lane tells the two apart ([`ThreadLane::held`]).

use super::Summary;
use super::marks::Marks;
use crate::vocab::{Event, LockKind, LockMark, Park, Phase, RuntimeKind, Waiting};
use std::time::Duration;

/// What a task is doing during a span of its lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// Ready to run, but another task holds the thread.
    Ready,
    /// Waiting, in this way.
    Waiting(Waiting),
    /// In the `lock` demo: waiting for the shared lock in tokio's
    /// `lock().await`, which returned `Pending`, so its thread is free. (A
    /// task inside std's `lock()` is `Waiting(Blocked)`: it holds the thread.)
    Lock,
}

/// A stretch of one task's lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) from: Duration,
    pub(crate) to: Duration,
    pub(crate) state: State,
}

/// The spans of one task, given its marks, each task's `delay`, how it
/// waits, and the end of the picture (where an unfinished task's wait
/// ends). Empty spans are left out.
///
/// `queued` says whether a task is ready from the start: true for the
/// runtime drivers, which create every coroutine at once; false for `--mode
/// threads`, where a task begins when its own thread does.
pub(crate) fn task_spans(
    mark: &Marks,
    delay: Duration,
    waiting: Waiting,
    (end, queued): (Duration, bool),
) -> Vec<Span> {
    let mut spans = Vec::with_capacity(3);
    let mut push = |from: Duration, to: Duration, state| {
        if to > from {
            spans.push(Span { from, to, state });
        }
    };
    let Some(first) = mark.first else {
        // Never started: ready all along, kept off the thread (a run that
        // a signal stopped before this task's turn).
        push(Duration::ZERO, end, State::Ready);
        return spans;
    };
    if queued {
        push(Duration::ZERO, first.at, State::Ready);
    }
    let last = mark.last.map_or(end, |e| e.at);
    // Only a free wait ends by itself: its timer fires (or its reply
    // arrives) and the task must then get the thread back. A blocked task
    // holds the thread through its wait and prints right after it, and a
    // blocking-pool call may queue for a pool thread first, so for both
    // the wait lasts until the last line.
    let ready_at = match waiting {
        Waiting::Free => first.at.saturating_add(delay).min(last),
        // A busy loop is work, not a wait: it ends when its last line
        // comes, however the loop shared the thread.
        Waiting::Blocked | Waiting::Offloaded | Waiting::Spinning => last,
    };
    push(first.at, ready_at, State::Waiting(waiting));
    // Also for an unfinished task: its wait was over, and a signal stopped
    // the run before the thread got to it.
    push(ready_at, last, State::Ready);
    spans
}

/// Everything a picture needs to draw the lanes of one run.
pub(crate) struct Lanes {
    /// The runtime threads' lanes.
    pub(crate) threads: Vec<ThreadLane>,
    /// Each task's wait.
    delay: Duration,
    /// How the tasks wait.
    pub(crate) waiting: Waiting,
    /// Where the picture ends.
    pub(crate) end: Duration,
    /// On a current-thread runtime, every task shares the one thread: its
    /// busy intervals refine the tasks' ready spans ([`refine`]).
    shared: Option<usize>,
    /// Whether every task is ready from the start (see [`task_spans`]).
    queued: bool,
    /// For `lock`: each task's wait for the lock, and which lock it was.
    locks: (Vec<LockMark>, Option<LockKind>),
}

impl Lanes {
    /// The lanes of the run `summary` describes, up to `end`.
    pub(crate) fn new(summary: &Summary, events: &[Event], parks: &[Park], end: Duration) -> Lanes {
        let driver = Driver::of(summary);
        let waiting = Waiting::of(summary.mode, summary.work);
        let mut threads = thread_lanes(parks, events, end, (driver, waiting));
        let shared = (driver == Driver::CurrentThread && threads.len() == 1).then_some(0);
        // A task blocked in std's `lock()` (a deadlock) holds the one
        // thread from the moment it asked, with no line or park to say so:
        // the lock's own marks do.
        if let (Some(index), Some(LockKind::Std)) = (shared, summary.lock) {
            for mark in summary.locks.iter().filter(|m| m.got.is_none()) {
                hold(&mut threads[index], (mark.asked, end));
            }
        }
        Lanes {
            threads,
            delay: Duration::from_secs_f64(summary.delay_secs),
            waiting,
            end,
            shared,
            queued: driver != Driver::None,
            locks: (summary.locks.clone(), summary.lock),
        }
    }

    /// The spans of task number `task`, with these marks.
    pub(crate) fn task(&self, task: u32, mark: &Marks) -> Vec<Span> {
        let spans = task_spans(mark, self.delay, self.waiting, (self.end, self.queued));
        let spans = match self.shared {
            Some(index) => refine(spans, &self.threads[index].busy, self.waiting),
            None => spans,
        };
        let (marks, lock) = &self.locks;
        let Some(wait) = marks.iter().find(|m| m.task == task) else {
            return spans;
        };
        // From asking to getting the lock the task waits for it, whatever
        // the thread did meanwhile: in std's lock() it holds the thread (to
        // the end, in a deadlock); in tokio's it has returned Pending.
        let state = match lock {
            Some(LockKind::Std) => State::Waiting(Waiting::Blocked),
            _ => State::Lock,
        };
        overlay(spans, (wait.asked, wait.got.unwrap_or(self.end)), state)
    }
}

/// `spans` with `state` from `from` to `to`, in place of what they said.
fn overlay(spans: Vec<Span>, (from, to): (Duration, Duration), state: State) -> Vec<Span> {
    if to <= from {
        return spans;
    }
    let mut out = Vec::with_capacity(spans.len() + 2);
    let mut placed = false;
    for span in spans {
        if span.to <= from || span.from >= to {
            if span.from >= to && !placed {
                out.push(Span { from, to, state });
                placed = true;
            }
            out.push(span);
            continue;
        }
        if span.from < from {
            out.push(Span { to: from, ..span });
        }
        if !placed {
            out.push(Span { from, to, state });
            placed = true;
        }
        if span.to > to {
            out.push(Span { from: to, ..span });
        }
    }
    if !placed {
        out.push(Span { from, to, state });
    }
    out
}

/// Marks `lane` held, unparked and running nothing, over `(from, to)`.
fn hold(lane: &mut ThreadLane, (from, to): (Duration, Duration)) {
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

impl Driver {
    /// The driver of the run `summary` describes.
    pub(crate) fn of(summary: &Summary) -> Driver {
        match (summary.runtime, summary.spawn) {
            (None, _) => Driver::None,
            (Some(RuntimeKind::CurrentThread), _) => Driver::CurrentThread,
            (Some(RuntimeKind::MultiThread), false) => Driver::Joined,
            (Some(RuntimeKind::MultiThread), true) => Driver::Spawned,
        }
    }
}

/// One runtime thread's lane.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ThreadLane {
    /// What the lane is called: `runtime thread`, `worker 2`, `block_on
    /// thread`.
    pub(crate) label: String,
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

/// A wake-up shorter than this in which the thread printed no line is the
/// runtime's own housekeeping, left out of the pictures. The one a learner
/// would see on every async timeline is tokio's timer wheel: a sleep sits in
/// a coarse level of the wheel until it is close, and at about 96% of it the
/// driver wakes up to move the entry to a finer level (tokio's
/// `time/wheel`), polls no task and parks again. Drawn, it is a busy mark in
/// the middle of every sleep that the lesson cannot explain, so it is left
/// out rather than explained: the picture is about tasks, and this is no
/// task's work. A wake-up that prints a line, or lasts longer, is drawn.
const HOUSEKEEPING: Duration = Duration::from_millis(1);

/// The lanes of the runtime's threads, up to `end`.
///
/// Each thread that parked gets a lane, busy from each wake-up to the next
/// park, and from the start if it printed before its first park. A thread
/// that printed task lines but never parked gets a lane busy from the start
/// to its last line, or to `end` if a task is still inside its wait there
/// (a run a signal stopped): the one thread of a current-thread runtime
/// that never went idle (a blocking run), a worker that was blocked all
/// along, or the thread inside `Runtime::block_on` of a multi-thread
/// runtime, which is not a worker, so the hooks never fire on it.
///
/// When the tasks wait `waiting` = [`Waiting::Blocked`], each task's wait
/// (from its first line to its last, or to `end`) holds the thread that
/// printed its first line: that part of the lane is [`ThreadLane::held`].
pub(crate) fn thread_lanes(
    parks: &[Park],
    events: &[Event],
    end: Duration,
    (driver, waiting): (Driver, Waiting),
) -> Vec<ThreadLane> {
    if driver == Driver::None {
        return Vec::new();
    }
    let waits = if waiting == Waiting::Blocked {
        blocking_waits(events, end)
    } else {
        Vec::new()
    };
    let open_on = |thread: u32| waits.iter().any(|w| w.0 == thread && w.3);
    let mut threads: Vec<u32> = Vec::new();
    for park in parks {
        if !threads.contains(&park.thread) {
            threads.push(park.thread);
        }
    }
    let mut lanes: Vec<(u32, Vec<(Duration, Duration)>)> = threads
        .iter()
        .map(|&thread| {
            let mut busy = Vec::new();
            // Busy from the start if it printed a line before it first
            // parked; else it was a worker starting up with nothing to do.
            let first_park = parks.iter().find(|p| p.thread == thread).map(|p| p.at);
            let printed_first = events
                .iter()
                .any(|e| e.thread == thread && first_park.is_none_or(|at| e.at <= at));
            let mut since = printed_first.then_some(Duration::ZERO);
            for park in parks.iter().filter(|p| p.thread == thread) {
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
            (thread, without_housekeeping(busy, events, thread))
        })
        .collect();
    // Threads that printed but never parked: busy from the start to their
    // last line. Few threads print, so a short list does.
    let mut outside: Vec<(u32, Duration)> = Vec::new();
    for event in events.iter().filter(|e| !threads.contains(&e.thread)) {
        match outside.iter_mut().find(|(t, _)| *t == event.thread) {
            Some((_, last)) => *last = (*last).max(event.at),
            None => outside.push((event.thread, event.at)),
        }
    }
    // Held to the end by a wait that a signal interrupted: the thread did
    // not go idle after its last line, it was blocked in that wait.
    for (thread, last) in &mut outside {
        if open_on(*thread) {
            *last = end.max(*last);
        }
    }
    let held_on = |thread: u32, busy: &[(Duration, Duration)]| -> Vec<(Duration, Duration)> {
        let mine = waits.iter().filter(|w| w.0 == thread).map(|w| (w.1, w.2));
        intersect(mine, busy)
    };
    let mut labelled = Vec::new();
    if driver == Driver::Joined {
        // block_on's thread first: it is the one that did all the work.
        for (thread, last) in outside.drain(..) {
            let busy = vec![(Duration::ZERO, last)];
            labelled.push(ThreadLane {
                label: "block_on thread".to_owned(),
                held: held_on(thread, &busy),
                busy,
            });
        }
    }
    lanes.extend(
        outside
            .into_iter()
            .map(|(t, last)| (t, vec![(Duration::ZERO, last)])),
    );
    let single = driver == Driver::CurrentThread && lanes.len() == 1;
    labelled.extend(
        lanes
            .into_iter()
            .enumerate()
            .map(|(index, (thread, busy))| {
                let label = if single {
                    "runtime thread".to_owned()
                } else {
                    format!("worker {}", index + 1)
                };
                ThreadLane {
                    label,
                    held: held_on(thread, &busy),
                    busy,
                }
            }),
    );
    labelled
}

/// Each blocking wait: the thread it held, from, to, and whether a signal
/// interrupted it (it had no last line, so it runs to `end`). A blocked
/// task waits on the thread that printed its first line, and prints its
/// last right after, on the same thread.
fn blocking_waits(events: &[Event], end: Duration) -> Vec<(u32, Duration, Duration, bool)> {
    // Waits open at one moment: one per thread that a task blocks, so a
    // short list.
    let mut open: Vec<(u32, u32, Duration)> = Vec::new();
    let mut waits = Vec::new();
    for event in events {
        match event.phase {
            Phase::First => open.push((event.task, event.thread, event.at)),
            Phase::Last => {
                if let Some(i) = open.iter().position(|o| o.0 == event.task) {
                    let (_, thread, from) = open.swap_remove(i);
                    waits.push((thread, from, event.at, false));
                }
            }
        }
    }
    waits.extend(
        open.into_iter()
            .map(|(_, thread, from)| (thread, from, end, true)),
    );
    waits.sort_by_key(|w| (w.0, w.1));
    waits
}

/// The parts of `within` (in time order) that the intervals `of` (in time
/// order) cover.
fn intersect(
    of: impl Iterator<Item = (Duration, Duration)>,
    within: &[(Duration, Duration)],
) -> Vec<(Duration, Duration)> {
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

/// Refines a task's spans with its thread's busy intervals: a task is
/// ready *and waiting for the thread* only while that thread is busy with
/// something else. While the thread is parked, the wait was simply not
/// over yet (a timer that fired late, a reply still on its way), so that
/// part of a ready span counts as waiting.
pub(crate) fn refine(
    spans: Vec<Span>,
    busy: &[(Duration, Duration)],
    waiting: Waiting,
) -> Vec<Span> {
    if !spans.iter().any(|s| s.state == State::Ready) {
        return spans;
    }
    let mut out = Vec::with_capacity(spans.len() + 2);
    let mut push = |from: Duration, to: Duration, state: State| {
        if to <= from {
            return;
        }
        match out.last_mut() {
            Some(Span {
                to: end,
                state: last,
                ..
            }) if *last == state && *end == from => *end = to,
            _ => out.push(Span { from, to, state }),
        }
    };
    for span in spans {
        if span.state != State::Ready {
            push(span.from, span.to, span.state);
            continue;
        }
        // The busy intervals that overlap this span, found by bisection:
        // the band of a million tasks refines each one.
        let first = busy.partition_point(|&(_, to)| to <= span.from);
        let mut at = span.from;
        for &(from, to) in busy[first..].iter().take_while(|(from, _)| *from < span.to) {
            let (from, to) = (from.max(span.from), to.min(span.to));
            push(at, from, State::Waiting(waiting));
            push(from, to, State::Ready);
            at = to;
        }
        push(at, span.to, State::Waiting(waiting));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::testing::event;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn marks(first: u64, last: Option<u64>) -> Marks {
        Marks {
            first: Some(event(first, 1, Phase::First, 1)),
            last: last.map(|at| event(at, 1, Phase::Last, 1)),
        }
    }

    #[test]
    fn a_blocked_task_waits_for_the_thread_before_its_first_line_only() {
        // A sleep that overshoots is still the task holding the thread.
        let spans = task_spans(
            &marks(0, Some(210)),
            ms(200),
            Waiting::Blocked,
            (ms(210), true),
        );
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].to, ms(210));
        let spans = task_spans(
            &marks(200, Some(400)),
            ms(200),
            Waiting::Blocked,
            (ms(600), true),
        );
        assert_eq!(
            spans,
            [
                Span {
                    from: ms(0),
                    to: ms(200),
                    state: State::Ready
                },
                Span {
                    from: ms(200),
                    to: ms(400),
                    state: State::Waiting(Waiting::Blocked)
                },
            ]
        );
    }

    #[test]
    fn a_task_on_a_thread_of_its_own_is_not_queued_before_it_starts() {
        let spans = task_spans(
            &marks(5, Some(205)),
            ms(200),
            Waiting::Blocked,
            (ms(205), false),
        );
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].state, State::Waiting(Waiting::Blocked));
    }

    #[test]
    fn a_sleep_that_ends_while_the_thread_is_busy_is_ready_until_its_last_line() {
        let spans = task_spans(
            &marks(0, Some(1300)),
            ms(1000),
            Waiting::Free,
            (ms(1300), true),
        );
        assert_eq!(
            spans,
            [
                Span {
                    from: ms(0),
                    to: ms(1000),
                    state: State::Waiting(Waiting::Free)
                },
                Span {
                    from: ms(1000),
                    to: ms(1300),
                    state: State::Ready
                },
            ]
        );
    }

    #[test]
    fn an_offloaded_wait_lasts_to_its_last_line_and_an_unfinished_one_to_the_end() {
        let spans = task_spans(
            &marks(0, Some(400)),
            ms(200),
            Waiting::Offloaded,
            (ms(400), true),
        );
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].state, State::Waiting(Waiting::Offloaded));
        assert_eq!(spans[0].to, ms(400));
        let spans = task_spans(&marks(0, None), ms(1000), Waiting::Blocked, (ms(900), true));
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].to, ms(900), "an interrupted wait runs to the end");
        let spans = task_spans(&marks(0, None), ms(200), Waiting::Free, (ms(900), true));
        assert_eq!(spans[1].state, State::Ready, "its wait was over");
        assert_eq!((spans[1].from, spans[1].to), (ms(200), ms(900)));
    }

    #[test]
    fn a_thread_is_busy_until_it_parks_and_again_from_each_wake_up() {
        let park = |at, parked| Park {
            at: ms(at),
            thread: 1,
            parked,
        };
        let parks = [park(1, true), park(1000, false), park(1002, true)];
        let events = [event(0, 1, Phase::First, 1)];
        let lanes = thread_lanes(
            &parks,
            &events,
            ms(1002),
            (Driver::CurrentThread, Waiting::Free),
        );
        assert_eq!(lanes.len(), 1);
        assert_eq!(lanes[0].label, "runtime thread");
        assert_eq!(lanes[0].busy, [(ms(0), ms(1)), (ms(1000), ms(1002))]);
        assert!(thread_lanes(&parks, &events, ms(1002), (Driver::None, Waiting::Free)).is_empty());
        // A worker that parked before doing anything was idle until woken.
        let lanes = thread_lanes(&parks, &[], ms(1002), (Driver::Spawned, Waiting::Free));
        assert_eq!(lanes[0].busy, [(ms(1000), ms(1002))]);
    }

    #[test]
    fn the_block_on_thread_of_a_multi_thread_runtime_gets_a_lane() {
        let parks = [
            Park {
                at: ms(0),
                thread: 2,
                parked: true,
            },
            Park {
                at: ms(0),
                thread: 3,
                parked: true,
            },
        ];
        let events = [event(0, 1, Phase::First, 1), event(600, 3, Phase::Last, 1)];
        let lanes = thread_lanes(&parks, &events, ms(600), (Driver::Joined, Waiting::Free));
        let labels: Vec<&str> = lanes.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["block_on thread", "worker 1", "worker 2"]);
        assert_eq!(lanes[0].busy, [(ms(0), ms(600))]);
        assert!(lanes[1].busy.is_empty(), "the workers idle all along");
        // A current-thread runtime that never parked was busy throughout.
        let lanes = thread_lanes(
            &[],
            &events,
            ms(600),
            (Driver::CurrentThread, Waiting::Free),
        );
        assert_eq!(lanes[0].label, "runtime thread");
        assert_eq!(lanes[0].busy, [(ms(0), ms(600))]);
        // Spawned, the thread that never parked is a worker blocked all
        // along, not block_on's.
        let lanes = thread_lanes(
            &parks[..1],
            &events,
            ms(600),
            (Driver::Spawned, Waiting::Free),
        );
        let labels: Vec<&str> = lanes.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["worker 1", "worker 2"]);
        assert_eq!(lanes[1].busy, [(ms(0), ms(600))]);
    }

    /// A sleep whose end the thread slept through (the timer fired late)
    /// was still waiting; only the time the thread was busy elsewhere is
    /// "ready, waiting for the thread".
    #[test]
    fn a_task_is_ready_only_while_its_thread_is_busy() {
        let spans = task_spans(
            &marks(0, Some(300)),
            ms(100),
            Waiting::Free,
            (ms(300), true),
        );
        let busy = [(ms(0), ms(1)), (ms(250), ms(300))];
        let refined = refine(spans, &busy, Waiting::Free);
        let free = State::Waiting(Waiting::Free);
        assert_eq!(
            refined,
            [
                Span {
                    from: ms(0),
                    to: ms(250),
                    state: free
                },
                Span {
                    from: ms(250),
                    to: ms(300),
                    state: State::Ready
                },
            ]
        );
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
        let lanes = thread_lanes(
            &[],
            &events,
            ms(402),
            (Driver::CurrentThread, Waiting::Blocked),
        );
        assert_eq!(lanes[0].busy, [(ms(0), ms(401))]);
        assert_eq!(lanes[0].held, [(ms(0), ms(200)), (ms(201), ms(401))]);
        assert_eq!(lanes[0].running(), [(ms(200), ms(201))]);
        // The same lines in an async run hold nothing.
        let lanes = thread_lanes(
            &[],
            &events,
            ms(402),
            (Driver::CurrentThread, Waiting::Free),
        );
        assert!(lanes[0].held.is_empty());
        assert_eq!(lanes[0].running(), lanes[0].busy);
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
        let lanes = thread_lanes(
            &[],
            &events,
            ms(300),
            (Driver::CurrentThread, Waiting::Blocked),
        );
        assert_eq!(lanes[0].busy, [(ms(0), ms(300))]);
        assert_eq!(lanes[0].held, [(ms(0), ms(300))]);
        // Spawned on workers that park: the worker held by task 2 is held
        // to the end too.
        let parks = [
            Park {
                at: ms(0),
                thread: 1,
                parked: false,
            },
            Park {
                at: ms(0),
                thread: 2,
                parked: true,
            },
        ];
        let lanes = thread_lanes(
            &parks,
            &events,
            ms(300),
            (Driver::Spawned, Waiting::Blocked),
        );
        assert_eq!(lanes[0].held, [(ms(0), ms(300))]);
        assert!(lanes[1].busy.is_empty());
    }

    /// The timer wheel's wake-up in the middle of a sleep prints nothing
    /// and is over in microseconds: not drawn. A wake-up that prints a
    /// line, however short, is.
    #[test]
    fn a_wake_up_that_prints_nothing_is_housekeeping() {
        let park = |us: u64, parked| Park {
            at: Duration::from_micros(us),
            thread: 1,
            parked,
        };
        let parks = [
            park(500, true),
            park(960_000, false),
            park(960_020, true),
            park(1_000_000, false),
            park(1_000_040, true),
        ];
        let events = [
            event(0, 1, Phase::First, 1),
            Event {
                at: Duration::from_micros(1_000_010),
                ..event(0, 1, Phase::Last, 1)
            },
        ];
        let lanes = thread_lanes(
            &parks,
            &events,
            ms(1001),
            (Driver::CurrentThread, Waiting::Free),
        );
        assert_eq!(
            lanes[0].busy,
            [
                (Duration::ZERO, Duration::from_micros(500)),
                (
                    Duration::from_micros(1_000_000),
                    Duration::from_micros(1_000_040)
                ),
            ]
        );
    }

    /// The lock's wait replaces what the spans said over its stretch, and
    /// nothing else: a ready start before it, the wait after it.
    #[test]
    fn a_wait_for_the_lock_is_laid_over_the_spans() {
        let span = |from, to, state| Span {
            from: ms(from),
            to: ms(to),
            state,
        };
        let free = State::Waiting(Waiting::Free);
        let spans = vec![span(0, 100, State::Ready), span(100, 200, free)];
        assert_eq!(
            overlay(spans.clone(), (ms(10), ms(100)), State::Lock),
            [
                span(0, 10, State::Ready),
                span(10, 100, State::Lock),
                span(100, 200, free)
            ]
        );
        // Never got (a deadlock): to the end, over everything after.
        assert_eq!(
            overlay(spans, (ms(10), ms(300)), State::Lock),
            [span(0, 10, State::Ready), span(10, 300, State::Lock)]
        );
    }

    /// A thread blocked in std's lock() is busy and held from then on,
    /// whatever the parks said.
    #[test]
    fn a_thread_in_a_deadlock_is_held_to_the_end() {
        let mut lane = ThreadLane {
            label: "runtime thread".into(),
            busy: vec![(ms(0), ms(5)), (ms(50), ms(60))],
            held: Vec::new(),
        };
        hold(&mut lane, (ms(4), ms(1000)));
        assert_eq!(lane.busy, [(ms(0), ms(4)), (ms(4), ms(1000))]);
        assert_eq!(lane.held, [(ms(4), ms(1000))]);
        assert_eq!(lane.running(), [(ms(0), ms(4))]);
    }
}
