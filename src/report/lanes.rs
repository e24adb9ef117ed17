//! What the pictures draw in each lane, for the text `--timeline` and the
//! `--svg` file.
//!
//! A task lane is the task's spans in the task-state model
//! ([`crate::state`]), built from what the run observed: its polls, its
//! waker's calls, its timer's deadline, its pool call's start, the blocking
//! calls that held its thread. This file decides no state; it asks the
//! model. The one exception is a run that observed nothing but its lines (a
//! Python row of `compare --python`: python3 reports only when a task
//! printed), drawn from its lines alone by [`line_spans`], and said so.
//!
//! A thread lane is the intervals in which a runtime thread was unparked,
//! from tokio's `on_thread_park` / `on_thread_unpark` hooks; the rest of
//! the lane it was parked (idle). Unparked is not the same as running code:
//! while a task's blocking call holds the thread, the thread is *held*
//! (it uses no CPU, and runs nothing else). The lane tells the two apart
//! ([`ThreadLane::held`]), from the model's held spans.

use super::Summary;
use super::marks::Marks;
use crate::state::{Birth, Model};
pub(crate) use crate::state::{Span, TaskState as State};
use crate::vocab::{Event, LockKind, Park, Phase, RuntimeKind, Waiting};
use std::time::Duration;

/// The spans of one task of a run that reported only its lines (a Python
/// row): between its two lines it waited in the row's own way (the only
/// thing the row says), and before its first line it was ready, kept off
/// the thread, when `queued` (every coroutine exists from the start).
/// Nothing here is observed beyond the lines; the runs of this program
/// are drawn from the model instead.
pub(crate) fn line_spans(
    mark: &Marks,
    waiting: Waiting,
    (end, queued): (Duration, bool),
) -> Vec<Span> {
    let mut spans = Vec::with_capacity(2);
    let mut push = |from: Duration, to: Duration, state| {
        if to > from {
            spans.push(Span { from, to, state });
        }
    };
    let Some(first) = mark.first else {
        push(Duration::ZERO, end, State::Ready);
        return spans;
    };
    if queued {
        push(Duration::ZERO, first.at, State::Ready);
    }
    let last = mark.last.map_or(end, |e| e.at);
    let state = match waiting {
        Waiting::Free => State::Sleeping,
        Waiting::Blocked => State::Held,
        Waiting::Offloaded => State::InPool,
        Waiting::Spinning => State::Polled,
    };
    push(first.at, last, state);
    spans
}

/// Everything a picture needs to draw the lanes of one run.
pub(crate) struct Lanes {
    /// The runtime threads' lanes.
    pub(crate) threads: Vec<ThreadLane>,
    /// How the tasks wait, for the legend's main entry.
    pub(crate) waiting: Waiting,
    /// Where the picture ends.
    pub(crate) end: Duration,
    /// The task-state model, when the run observed one.
    model: Option<Model>,
    /// Whether every task is ready from the start (a runtime's tasks).
    queued: bool,
    /// The states of the spans handed out so far, one bit each, for the
    /// legend: it lists what the picture drew.
    drawn: std::cell::Cell<u16>,
}

impl Lanes {
    /// The lanes of the run `summary` describes, up to `end`.
    pub(crate) fn new(summary: &Summary, events: &[Event], parks: &[Park], end: Duration) -> Lanes {
        let driver = Driver::of(summary);
        let waiting = Waiting::of(summary.mode, summary.work);
        let birth = match driver {
            Driver::None => Birth::OnItsOwn,
            _ => Birth::AtStart,
        };
        let observed = &summary.observed;
        // The model's own parks: the same hooks, kept with the observations.
        let model = (!observed.events.is_empty()).then(|| {
            Model::new(
                &observed.events,
                &observed.parks,
                (summary.tasks, birth),
                end,
            )
        });
        let held = match &model {
            Some(model) => model.held(end),
            None => line_holds(events, end, waiting),
        };
        let mut threads = thread_lanes(parks, events, end, driver, &held);
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
            waiting,
            end,
            model,
            queued: driver != Driver::None,
            drawn: std::cell::Cell::new(0),
        }
    }

    /// Whether a span in `state` was handed out for drawing.
    pub(crate) fn drew(&self, state: State) -> bool {
        self.drawn.get() & (1 << state as u16) != 0
    }

    /// The spans of task number `task`, with these marks (read only for a
    /// run that reported nothing but its lines).
    pub(crate) fn task(&self, task: u32, mark: &Marks) -> Vec<Span> {
        let spans = match &self.model {
            Some(model) => model.spans(task),
            None => line_spans(mark, self.waiting, (self.end, self.queued)),
        };
        let drawn = spans
            .iter()
            .fold(self.drawn.get(), |bits, s| bits | 1 << s.state as u16);
        self.drawn.set(drawn);
        spans
    }
}

/// The blocking calls of a run that reported only its lines, for its
/// thread lanes: a blocked task's wait, from its first line to its last
/// (or to `end`), on the thread that printed its first line.
fn line_holds(events: &[Event], end: Duration, waiting: Waiting) -> Vec<(u32, Duration, Duration)> {
    if waiting != Waiting::Blocked {
        return Vec::new();
    }
    blocking_waits(events, end)
        .into_iter()
        .map(|(thread, from, to, _)| (thread, from, to))
        .collect()
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
/// a coarse slot of the wheel, the driver parks until the next occupied
/// slot, which ends before the deadline (how early depends on the delay),
/// and there it moves the entry to a finer level (tokio's `time/wheel`),
/// polls no task and parks again. Drawn, it is a busy mark in
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
/// `held` are the blocking calls that held a thread (the thread, from,
/// to): those parts of the lane are [`ThreadLane::held`].
pub(crate) fn thread_lanes(
    parks: &[Park],
    events: &[Event],
    end: Duration,
    driver: Driver,
    held: &[(u32, Duration, Duration)],
) -> Vec<ThreadLane> {
    if driver == Driver::None {
        return Vec::new();
    }
    let mut waits = held.to_vec();
    waits.sort_by_key(|w| (w.0, w.1));
    let open_on = |thread: u32| waits.iter().any(|w| w.0 == thread && w.2 >= end);
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
    // Held to the end by a call that a signal interrupted: the thread did
    // not go idle after its last line, it was blocked in that call.
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::testing::event;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A Python row's task, which reports only its lines, is drawn from
    /// them: ready before its first line, its row's wait after.
    #[test]
    fn a_run_that_reported_only_lines_is_drawn_from_them() {
        let spans = line_spans(&marks(200, Some(400)), Waiting::Blocked, (ms(600), true));
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
                    state: State::Held
                },
            ]
        );
        let spans = line_spans(&marks(5, None), Waiting::Free, (ms(900), false));
        assert_eq!(spans.len(), 1, "not queued on a thread of its own");
        assert_eq!((spans[0].to, spans[0].state), (ms(900), State::Sleeping));
    }

    fn marks(first: u64, last: Option<u64>) -> Marks {
        Marks {
            first: Some(event(first, 1, Phase::First, 1)),
            last: last.map(|at| event(at, 1, Phase::Last, 1)),
        }
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
        let lanes = thread_lanes(&parks, &events, ms(1002), Driver::CurrentThread, &[]);
        assert_eq!(lanes.len(), 1);
        assert_eq!(lanes[0].label, "runtime thread");
        assert_eq!(lanes[0].busy, [(ms(0), ms(1)), (ms(1000), ms(1002))]);
        assert!(thread_lanes(&parks, &events, ms(1002), Driver::None, &[]).is_empty());
        // A worker that parked before doing anything was idle until woken.
        let lanes = thread_lanes(&parks, &[], ms(1002), Driver::Spawned, &[]);
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
        let lanes = thread_lanes(&parks, &events, ms(600), Driver::Joined, &[]);
        let labels: Vec<&str> = lanes.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["block_on thread", "worker 1", "worker 2"]);
        assert_eq!(lanes[0].busy, [(ms(0), ms(600))]);
        assert!(lanes[1].busy.is_empty(), "the workers idle all along");
        // A current-thread runtime that never parked was busy throughout.
        let lanes = thread_lanes(&[], &events, ms(600), Driver::CurrentThread, &[]);
        assert_eq!(lanes[0].label, "runtime thread");
        assert_eq!(lanes[0].busy, [(ms(0), ms(600))]);
        // Spawned, the thread that never parked is a worker blocked all
        // along, not block_on's.
        let lanes = thread_lanes(&parks[..1], &events, ms(600), Driver::Spawned, &[]);
        let labels: Vec<&str> = lanes.iter().map(|l| l.label.as_str()).collect();
        assert_eq!(labels, ["worker 1", "worker 2"]);
        assert_eq!(lanes[1].busy, [(ms(0), ms(600))]);
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
            Driver::CurrentThread,
            &line_holds(&events, ms(402), Waiting::Blocked),
        );
        assert_eq!(lanes[0].busy, [(ms(0), ms(401))]);
        assert_eq!(lanes[0].held, [(ms(0), ms(200)), (ms(201), ms(401))]);
        assert_eq!(lanes[0].running(), [(ms(200), ms(201))]);
        // The same lines in an async run hold nothing.
        let lanes = thread_lanes(&[], &events, ms(402), Driver::CurrentThread, &[]);
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
            Driver::CurrentThread,
            &line_holds(&events, ms(300), Waiting::Blocked),
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
            Driver::Spawned,
            &line_holds(&events, ms(300), Waiting::Blocked),
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
        let lanes = thread_lanes(&parks, &events, ms(1001), Driver::CurrentThread, &[]);
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
