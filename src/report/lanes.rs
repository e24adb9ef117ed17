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
//! A thread lane is a thread the run saw polling, holding or running a
//! task, labelled by the role it was seen in ([`threads`]).

mod threads;

use super::Summary;
use super::marks::Marks;
use super::palette::Role;
use crate::report::waiting::Waiting;
use crate::state::{Birth, Model};
pub(crate) use crate::state::{Span, TaskState as State};
use crate::vocab::{Demo, Event, LockKind, Park, Phase, RuntimeKind, Work};
use std::time::Duration;
pub(crate) use threads::{Driver, Kind, ThreadLane};
pub(crate) use threads::{Seen, hold, thread_lanes};

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
    /// The threads' lanes.
    pub(crate) threads: Vec<ThreadLane>,
    /// How many workers have no lane: parked all along.
    pub(crate) idle_workers: usize,
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
        let mut seen = Seen {
            parks,
            lines: events,
            ..Seen::default()
        };
        match &model {
            Some(model) => {
                seen.held = model.held(end);
                seen.observe(&observed.events, end);
            }
            None => seen.held = line_holds(events, end, waiting),
        }
        let workers = summary.workers.unwrap_or(0);
        let pool_holds = summary.work != Work::Spin;
        let (mut threads, idle_workers) = thread_lanes(&seen, end, (driver, workers), pool_holds);
        let shared = (driver == Driver::CurrentThread && !threads.is_empty()).then_some(0);
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
            idle_workers,
            waiting,
            end,
            model,
            queued: driver != Driver::None,
            drawn: std::cell::Cell::new(0),
        }
    }

    /// The line that counts the workers left without a lane, parked all
    /// along (the workers of a joined run never see a task): `2 workers
    /// parked all along`.
    pub(crate) fn idle_note(&self) -> Option<String> {
        idle_note(self.idle_workers)
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

/// The legend's entries for what `threads` drew, in legend order: each
/// role, in the words of the kind of thread that drew it. A pool thread's
/// call is its job, so it is "running a task's call", not "held"; the
/// `block_on` thread that no hook reports is "not polling" between its
/// polls, not parked.
pub(crate) fn thread_legend(
    threads: &[ThreadLane],
    (demo, work): (Demo, Work),
) -> Vec<(Role, &'static str)> {
    let any = |kinds: &[Kind], drew: &dyn Fn(&ThreadLane) -> bool| {
        threads.iter().any(|t| kinds.contains(&t.kind) && drew(t))
    };
    let runtime = [Kind::Runtime, Kind::Unhooked];
    let mut entries = Vec::new();
    let mut push = |shown: bool, role: Role, words: &'static str| {
        if shown && !entries.contains(&(role, words)) {
            entries.push((role, words));
        }
    };
    push(
        any(&runtime, &|_| true),
        Role::Running,
        Role::Running.meaning(demo, work),
    );
    push(
        any(&[Kind::Pool], &|t| !t.running().is_empty()),
        Role::Running,
        Role::Running.on_pool_thread(demo, work),
    );
    push(
        any(&runtime, &|t| !t.held.is_empty()),
        Role::Held,
        Role::Held.meaning(demo, work),
    );
    push(
        any(&[Kind::Pool], &|t| !t.held.is_empty()),
        Role::Held,
        Role::Held.on_pool_thread(demo, work),
    );
    push(
        any(&[Kind::Runtime], &|_| true),
        Role::Parked,
        Role::Parked.meaning(demo, work),
    );
    push(
        any(&[Kind::Pool], &|_| true),
        Role::Parked,
        Role::Parked.on_pool_thread(demo, work),
    );
    push(
        any(&[Kind::Unhooked], &|_| true),
        Role::NotPolling,
        Role::NotPolling.meaning(demo, work),
    );
    entries
}

/// The line that counts `idle` workers left without a lane (see
/// [`Lanes::idle_note`]); also the live view's.
pub(crate) fn idle_note(idle: usize) -> Option<String> {
    match idle {
        0 => None,
        1 => Some("1 worker parked all along".to_owned()),
        n => Some(format!("{n} workers parked all along")),
    }
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

    /// A pool thread runs a task's call: the legend says so in its own
    /// words, and "runtime thread held" only of a runtime thread that a
    /// call held; block_on's thread with no hook is "between polls".
    #[test]
    fn the_legend_words_each_lane_by_its_kind() {
        let lane = |kind, held: bool| ThreadLane {
            label: String::new(),
            short: String::new(),
            kind,
            from: Duration::ZERO,
            busy: vec![(ms(0), ms(10))],
            held: if held {
                vec![(ms(0), ms(10))]
            } else {
                Vec::new()
            },
        };
        let words = |lanes: &[ThreadLane]| -> Vec<&'static str> {
            thread_legend(lanes, (Demo::Count, Work::Sleep))
                .into_iter()
                .map(|(_, words)| words)
                .collect()
        };
        let pool = words(&[lane(Kind::Runtime, false), lane(Kind::Pool, true)]);
        assert_eq!(
            pool,
            [
                "runtime thread running code",
                "pool thread running a task's blocking call (no CPU)",
                "runtime thread parked (idle)",
                "pool thread between calls",
            ]
        );
        let held = words(&[lane(Kind::Runtime, true)]);
        assert!(held.contains(&"runtime thread held in a blocking call (no CPU)"));
        let joined = words(&[lane(Kind::Unhooked, false)]);
        assert_eq!(
            joined,
            [
                "runtime thread running code",
                "block_on thread between polls (no park hook: not observed)",
            ]
        );
    }

    fn marks(first: u64, last: Option<u64>) -> Marks {
        Marks {
            first: Some(event(first, 1, Phase::First, 1)),
            last: last.map(|at| event(at, 1, Phase::Last, 1)),
        }
    }
}
