//! A recording as a source for the live view: `--live`'s drawing, fed by
//! the recording instead of by a run.
//!
//! Two streams make the view: the ordered events (the tape: lines, parks,
//! the lock's steps, and the narrated tasks' polls and wake-ups), which
//! `--live`'s follower ([`live::Follow`]) turns into its thread lanes and
//! counts; and the model's observations (every observed task's polls,
//! wakes, timers, pool calls), which move the model's tally ([`Log`]) that
//! draws the task lanes. A [`Walk`] merges them in time order, the tape
//! keeping its own order. A step of `replay --step` is one item of it: a
//! poll, a `Pending`, a wake, a park, a line, a state change.
//!
//! Stepping back is exact because nothing is undone: the view at step `k`
//! is rebuilt from the first item (`Stepped::seen` of [`Stepping`]), its clock told
//! each item's recorded time.

use super::Teller;
use super::read::{Recorded, Recording};
use crate::config::Config;
use crate::events::LockStep;
use crate::events::{Follower, PollStep};
use crate::live::{self, LiveState, Seen};
use crate::net::escaped;
use crate::report::waiting::Waiting;
use crate::state::{Birth, Log, Observed, What};
use std::sync::Arc;
use std::time::Duration;

/// At most this many characters of a narrated line are shown (a line the
/// recording holds is at most a few hundred).
const MAX_LINE: usize = 4096;

/// One item of a [`Walk`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Moment {
    /// The tape's event at this index.
    Tape(usize),
    /// A poll of this task began (a task whose polls the tape lacks), on
    /// this thread.
    Began(u32, u32),
    /// The model observed this of this task (a `Polled` when it returned),
    /// on this thread.
    Saw(u32, What, u32),
}

/// The recording's events and observations, merged in time order.
pub(super) struct Walk {
    pub(super) items: Vec<(Duration, Moment)>,
}

impl Walk {
    /// Merges `tape` with `observed`: the observations that the tape tells
    /// already (the polls and wake-ups of the tasks it narrates) are left
    /// out, and a line's observation changes nothing, so each fact is one
    /// item.
    pub(super) fn new(tape: &[Recorded], observed: &[Observed]) -> Walk {
        let mut told: Vec<u32> = tape.iter().filter_map(super::polled_task).collect();
        told.sort_unstable();
        told.dedup();
        let mut seen: Vec<(Duration, Moment)> = Vec::with_capacity(observed.len() * 2);
        for e in observed {
            let at = Duration::from_nanos(e.at);
            let by_tape = told.binary_search(&e.task).is_ok();
            match e.what {
                What::Line { .. } => {}
                What::Polled { .. } | What::Woken if by_tape => {}
                What::Polled { took, .. } => {
                    seen.push((at, Moment::Began(e.task, e.thread)));
                    seen.push((
                        at.saturating_add(Duration::from_nanos(took)),
                        Moment::Saw(e.task, e.what, e.thread),
                    ));
                }
                what => seen.push((at, Moment::Saw(e.task, what, e.thread))),
            }
        }
        // Stable: what happened at one moment keeps its observed order.
        seen.sort_by_key(|s| s.0);
        let mut items = Vec::with_capacity(seen.len() + tape.len());
        let mut rest = seen.into_iter().peekable();
        for (index, recorded) in tape.iter().enumerate() {
            let at = recorded.at();
            while let Some(item) = rest.next_if(|s| s.0 < at) {
                items.push(item);
            }
            items.push((at, Moment::Tape(index)));
        }
        items.extend(rest);
        Walk { items }
    }
}

/// The view's state, fed a walk's items: `--live`'s [`LiveState`] with a
/// clock it is told, and the model's tally.
pub(super) struct Feed {
    pub(super) live: Arc<LiveState>,
    log: Arc<Log>,
    follow: live::Follow,
}

impl Feed {
    /// A state for `tasks` tasks born as `birth`, waiting as `waiting`.
    pub(super) fn new(tasks: u32, birth: Birth, waiting: Waiting) -> Feed {
        let log = Arc::new(Log::new(false));
        log.tally(tasks, birth, live::MAX_LANES);
        let live = Arc::new(LiveState::new(waiting));
        live.attach(Arc::clone(&log));
        live.tell(Duration::ZERO);
        Feed {
            follow: live::Follow(Arc::clone(&live)),
            live,
            log,
        }
    }

    /// An item that is not the tape's, at `at`.
    pub(super) fn saw(&self, at: Duration, item: Moment) {
        match item {
            Moment::Began(task, thread) => {
                self.log.replayed(at, task, None);
                self.saw_thread(at, task, thread, None);
            }
            Moment::Saw(task, what, thread) => {
                self.log.replayed(at, task, Some(what));
                self.saw_thread(at, task, thread, Some(what));
            }
            Moment::Tape(_) => {}
        }
    }

    /// Tells the view's thread lanes what was seen on `thread`: a poll's
    /// start (`None`) or `what` (a poll's return is told at its start).
    fn saw_thread(&self, at: Duration, task: u32, thread: u32, what: Option<What>) {
        let what = match what {
            None => What::Polled {
                took: 0,
                ready: false,
            },
            Some(What::Polled { .. }) => return,
            Some(what) => what,
        };
        self.live.saw_thread(&Observed {
            at: u64::try_from(at.as_nanos()).unwrap_or(u64::MAX),
            task,
            thread,
            what,
        });
    }

    /// The model's part of a tape event: a narrated task's poll or wake.
    pub(super) fn tape(&self, recorded: &Recorded) {
        if let Recorded::Poll {
            at,
            task,
            step,
            thread,
        } = *recorded
        {
            let what = match step {
                PollStep::Began => {
                    self.saw_thread(at, task, thread, None);
                    None
                }
                PollStep::Ended { took, ready } => Some(What::Polled {
                    took: u64::try_from(took.as_nanos()).unwrap_or(u64::MAX),
                    ready,
                }),
                PollStep::Woken => Some(What::Woken),
                // A wait's own step, told for the narration: the model
                // has it from the recorded observations.
                PollStep::Call(_) => return,
            };
            self.log.replayed(at, task, what);
        }
    }

    /// The whole of a tape event, `--live`'s follower's part included (a
    /// played replay tells the follower itself, with the run's others).
    fn tape_all(&mut self, recorded: &Recorded) {
        self.tape(recorded);
        // The follower writes nothing; it only moves the state.
        let _ = self.follow.follow(recorded, &mut std::io::sink());
    }
}

/// A recording, ready to be stepped through: the walk, and each tape
/// event's narration as a plain replay prints it.
pub(super) struct Stepping {
    walk: Walk,
    tape: Vec<Recorded>,
    /// What a plain replay prints at each tape event: its line, and the
    /// narration it leads to.
    words: Vec<String>,
    tasks: u32,
    birth: Birth,
    waiting: Waiting,
}

impl Stepping {
    /// The steps of `recording`, replayed as `config` says.
    pub(super) fn new(config: &Config, recording: &Recording) -> anyhow::Result<Stepping> {
        // The narration as a pipe gets it: a line a step, no colour; the
        // view wraps it to the terminal.
        let mut narrated = config.clone();
        narrated.explain = true;
        narrated.term.color = false;
        narrated.term.columns = None;
        let tape = super::tape_of(&narrated, recording).into_owned();
        let mut teller = Teller::new(&narrated, recording, Vec::new());
        let mut words = Vec::with_capacity(tape.len());
        for recorded in &tape {
            let mut out = Vec::new();
            teller.tell(recorded, &mut out)?;
            words.push(String::from_utf8_lossy(&out).into_owned());
        }
        let (tasks, birth, _) = live::tally(config);
        // Past the cut-off only the first tasks were observed.
        let tasks = tasks.min(recording.header.full_tasks.max(1));
        Ok(Stepping {
            walk: Walk::new(&tape, &recording.observed),
            tape,
            words,
            tasks,
            birth,
            waiting: Waiting::of(config.way.mode, config.work),
        })
    }

    /// The tasks the view shows.
    pub(super) fn shown_tasks(&self) -> u32 {
        self.tasks
    }

    /// The recorded time of the last step, where the view's axis ends.
    pub(super) fn end(&self) -> Duration {
        self.walk
            .items
            .iter()
            .map(|i| i.0)
            .max()
            .unwrap_or_default()
    }
}

impl live::Stepped for Stepping {
    fn steps(&self) -> usize {
        self.walk.items.len()
    }

    fn tasks(&self) -> u32 {
        self.tasks
    }

    fn time(&self, k: usize) -> Duration {
        self.walk.items.get(k).map(|i| i.0).unwrap_or_default()
    }

    fn task(&self, k: usize) -> Option<u32> {
        match self.walk.items.get(k)?.1 {
            Moment::Began(task, _) | Moment::Saw(task, _, _) => Some(task),
            Moment::Tape(index) => self.tape.get(index)?.task(),
        }
    }

    fn seen(&self, k: usize, lanes: usize) -> Seen {
        let mut feed = Feed::new(self.tasks, self.birth, self.waiting);
        let mut seen = Seen::default();
        for &(at, item) in self.walk.items.iter().take(k.saturating_add(1)) {
            feed.live.tell(at);
            match item {
                Moment::Tape(index) => {
                    if let Some(recorded) = self.tape.get(index) {
                        feed.tape_all(recorded);
                    }
                }
                other => feed.saw(at, other),
            }
            // A sample after each item: the thread lanes show every change.
            seen.push(feed.live.sample());
        }
        feed.live.look(&mut seen, lanes);
        seen
    }

    fn words(&self, k: usize) -> Vec<String> {
        let Some(&(_, item)) = self.walk.items.get(k) else {
            return Vec::new();
        };
        let said = match item {
            Moment::Tape(index) => self.words.get(index).map_or("", String::as_str),
            _ => "",
        };
        // Text from the file, escaped line by line.
        let mut lines: Vec<String> = said.lines().map(|line| escaped(line, MAX_LINE)).collect();
        if lines.is_empty() {
            lines.push(format!("  · {}", self.caption(item)));
        }
        lines
    }
}

impl Stepping {
    /// A few words on a step the narration says nothing of.
    fn caption(&self, item: Moment) -> String {
        match item {
            Moment::Began(task, _) => format!("task {task} is polled"),
            Moment::Saw(task, what, _) => match what {
                What::Polled { ready: true, .. } => {
                    format!("task {task}'s poll returns Ready: task {task} is done")
                }
                What::Polled { .. } => format!("task {task}'s poll returns Pending"),
                What::Woken => format!("task {task} is woken: its waker was called"),
                What::Armed { deadline } => format!(
                    "task {task} sets a timer due at {:.6} s",
                    Duration::from_nanos(deadline).as_secs_f64()
                ),
                What::Queued => {
                    format!("task {task}'s call waits for a free blocking-pool thread")
                }
                What::PoolStarted => format!("a blocking-pool thread starts task {task}'s call"),
                What::PoolEnded => format!("the pool thread finishes task {task}'s call"),
                What::HeldBegan => {
                    format!("task {task} makes a blocking call: it holds its thread")
                }
                What::HeldEnded => format!("task {task}'s blocking call returns"),
                What::LockAsked => format!("task {task} asks for the lock"),
                What::LockGot => format!("task {task} gets the lock"),
                What::Sent => {
                    format!("task {task}'s query is on a connection: it awaits the answer")
                }
                What::Line { .. } => format!("task {task} prints a line"),
            },
            Moment::Tape(index) => match self.tape.get(index) {
                Some(Recorded::Thread(park)) if park.parked => format!(
                    "thread {} parks: every task it could run is waiting",
                    park.thread
                ),
                Some(Recorded::Thread(park)) => format!("thread {} wakes up", park.thread),
                Some(Recorded::Lock { task, step, .. }) => match step {
                    LockStep::Asked => format!("task {task} asks for the lock"),
                    LockStep::Got => format!("task {task} gets the lock"),
                    LockStep::Released => format!("task {task} releases the lock"),
                },
                Some(Recorded::Finished { .. }) => "the run ends".into(),
                Some(Recorded::Stalled { .. }) => "the run stalls: nothing moves any more".into(),
                Some(Recorded::Caller {
                    thread, waiting, ..
                }) => match waiting {
                    true => format!("thread {thread} waits in block_on for the tasks"),
                    false => format!("thread {thread} is back from its wait in block_on"),
                },
                Some(Recorded::Poll { task, .. }) => format!("task {task}: a poll step"),
                Some(Recorded::Line { event, .. }) => format!("task {} prints a line", event.task),
                Some(Recorded::WaitBegan { task, .. }) => format!("task {task} begins its wait"),
                Some(Recorded::WaitEnded { task, .. }) => format!("task {task}'s wait ends"),
                None => String::new(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn seen(at_ms: u64, task: u32, what: What) -> Observed {
        Observed {
            at: ms(at_ms).as_nanos() as u64,
            task,
            thread: 1,
            what,
        }
    }

    /// Each fact once, in time order: the tape's polls of task 1 stand for
    /// its observed ones; task 2's poll is two items, its beginning and its
    /// return; a line's observation is no item; the tape keeps its order.
    #[test]
    fn the_walk_merges_the_tape_and_the_observations_in_time_order() {
        let poll = |at, step| Recorded::Poll {
            at: ms(at),
            task: 1,
            thread: 1,
            step,
        };
        let tape = [
            poll(0, PollStep::Began),
            poll(
                2,
                PollStep::Ended {
                    took: ms(2),
                    ready: false,
                },
            ),
            Recorded::Finished { at: ms(9) },
        ];
        let observed = [
            seen(
                0,
                1,
                What::Polled {
                    took: ms(2).as_nanos() as u64,
                    ready: false,
                },
            ),
            seen(
                1,
                1,
                What::Armed {
                    deadline: ms(5).as_nanos() as u64,
                },
            ),
            seen(1, 1, What::Line { first: true }),
            seen(
                3,
                2,
                What::Polled {
                    took: ms(1).as_nanos() as u64,
                    ready: true,
                },
            ),
            seen(3, 2, What::Woken),
        ];
        let walk = Walk::new(&tape, &observed);
        let armed = What::Armed {
            deadline: ms(5).as_nanos() as u64,
        };
        let returned = What::Polled {
            took: ms(1).as_nanos() as u64,
            ready: true,
        };
        assert_eq!(
            walk.items,
            [
                (ms(0), Moment::Tape(0)),
                (ms(1), Moment::Saw(1, armed, 1)),
                (ms(2), Moment::Tape(1)),
                (ms(3), Moment::Began(2, 1)),
                (ms(3), Moment::Saw(2, What::Woken, 1)),
                (ms(4), Moment::Saw(2, returned, 1)),
                (ms(9), Moment::Tape(2)),
            ]
        );
    }
}
