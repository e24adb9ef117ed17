//! `--explain`: the executor, narrated step by step between the demo's lines.
//!
//! Two halves, one for each lane of [`crate::events`]:
//!
//! - [`Explainer`] is a [`PollFollower`]: it sees every poll of every task,
//!   on the polling thread. For the first [`NARRATED`] tasks it forwards the
//!   poll's beginning and end into the sink's ordered lane, and wraps the
//!   task's waker so that a wake-up is forwarded too, from whichever thread
//!   calls it (the timer driver, a blocking-pool thread). For the other tasks
//!   it only counts, in atomics.
//! - [`Narrator`] is a [`Follower`] of that ordered lane, inside the sink: it
//!   keeps a little state per narrated task (when it returned `Pending`,
//!   when it was woken) and turns each event into a [`Step`], whose words
//!   live in `report::explain`. Every figure it says was measured: a held
//!   thread is the time between the wait's two events, a ready wait the time
//!   between the wake-up and the next poll.
//!
//! Nothing of this exists without the flag: the runner wraps the tasks only
//! when asked (`run` chooses their type once), and a plain run's sink has no
//! follower.

use crate::config::Config;
use crate::events::{Follower, PollFollower, PollStep, RunEvent};
use crate::report::explain::{Awaits, Call, Driver, NARRATED, Step, write_step};
use crate::sink::Sink;
use crate::vocab::{Demo, Format, LockStep, Mode, Phase, Work};
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

/// The poll side of `--explain`, shared by every task of the run.
pub(crate) struct Explainer {
    sink: Arc<Sink>,
    /// The polls of the tasks that are not narrated, counted.
    rest: Arc<Rest>,
}

/// What the tasks that are not narrated did, counted on the polling threads.
#[derive(Default)]
struct Rest {
    polls: AtomicU64,
    pending: AtomicU64,
    longest_nanos: AtomicU64,
}

/// Starts narrating the run that `config` describes into `sink`: the
/// narrator follows the sink from now on, and the returned explainer is
/// for the runner to time the tasks' polls with. `None` without `--explain`.
pub(crate) fn start(config: &Config, sink: &Arc<Sink>) -> Option<Arc<Explainer>> {
    if !config.explain {
        return None;
    }
    let rest = Arc::new(Rest::default());
    let narrator = Narrator::new(config, Arc::clone(&rest));
    sink.follow_with(Box::new(narrator), "writing the --explain narration".into());
    Some(Arc::new(Explainer {
        sink: Arc::clone(sink),
        rest,
    }))
}

impl PollFollower for Explainer {
    fn poll_began(&self, id: u32, _start: Instant) {
        if id <= NARRATED {
            self.sink.poll_step(id, PollStep::Began);
        }
    }

    fn poll_ended(&self, _id: u32, _start: Instant, _took: Duration) {}

    fn poll_returned(&self, id: u32, _start: Instant, took: Duration, ready: bool) {
        if id <= NARRATED {
            self.sink.poll_step(id, PollStep::Ended { took, ready });
            return;
        }
        self.rest.polls.fetch_add(1, Relaxed);
        if !ready {
            self.rest.pending.fetch_add(1, Relaxed);
        }
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.rest.longest_nanos.fetch_max(nanos, Relaxed);
    }

    fn waker(&self, id: u32, waker: &Waker) -> Option<Waker> {
        // A new waker per poll of a narrated task: a few allocations in
        // all, for the one thing an executor's own waker cannot say, when
        // it was called.
        (id <= NARRATED).then(|| {
            Waker::from(Arc::new(Told {
                inner: waker.clone(),
                id,
                sink: Arc::clone(&self.sink),
            }))
        })
    }
}

/// A narrated task's waker: tells the sink, then wakes the task as the
/// executor's own waker would.
struct Told {
    inner: Waker,
    id: u32,
    sink: Arc<Sink>,
}

impl Wake for Told {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Told first, so that the narration says "woken" before the poll
        // that the wake-up causes (which may begin at once, on another
        // thread).
        self.sink.poll_step(self.id, PollStep::Woken);
        self.inner.wake_by_ref();
    }
}

/// At most this many parks of the runtime threads are narrated; the others
/// are counted in the closing summary (a busy multi-thread run parks often).
const PARKS_TOLD: u32 = 8;

/// The ordered side of `--explain`: turns the run's events into steps.
struct Narrator {
    driver: Driver,
    awaits: Awaits,
    tasks: u32,
    narrated: u32,
    ndjson: bool,
    color: bool,
    /// The width narration lines wrap at (the terminal's, or `COLUMNS`);
    /// `None` keeps each step on one line, as a pipe wants it.
    columns: Option<usize>,
    /// Whether the opening sentence is out.
    introduced: bool,
    /// The narrated tasks, by id - 1.
    states: Vec<TaskState>,
    /// The runtime threads that polled a narrated task: only their parks are
    /// told (the idle workers of a joined run say nothing worth reading).
    pollers: Vec<u32>,
    /// Those threads that are parked, or woke up with nothing to do.
    parked: Vec<Parking>,
    parks_told: u32,
    parks_untold: u32,
    /// Narrated tasks that returned `Ready` (or, without an executor,
    /// printed their last line): once all have, the threads' parks concern
    /// only the others, and are counted instead of told.
    done: u32,
    /// Tasks not narrated that printed their last line.
    rest_finished: u32,
    rest: Arc<Rest>,
}

/// A parked runtime thread, as the narrator follows it.
struct Parking {
    thread: u32,
    /// When it parked (as told).
    since: Duration,
    /// Whether a narrated task was woken since.
    woken: bool,
    /// Whether it is `block_on`'s caller rather than a runtime worker.
    caller: bool,
    /// When it woke up without a narrated task to poll, and how many polls
    /// of the other tasks had been made then: if it parks again with no
    /// poll made, that wake-up was only a look at the clock (tokio's timer
    /// wheel wakes on its way to a far timer), and the park goes on.
    quiet: Option<(Duration, u64)>,
}

/// What the narrator remembers of one narrated task.
#[derive(Default)]
struct TaskState {
    /// Its first line, until its wait begins.
    printed: String,
    /// When its first poll began.
    first_poll: Option<Duration>,
    /// When the poll in progress began, while one is.
    polling: Option<Duration>,
    /// How many polls began.
    polls: u32,
    /// When its wait began, while it lasts.
    waiting: Option<Duration>,
    /// When it last returned `Pending`.
    pending_at: Option<Duration>,
    /// When it was woken, until the poll that follows.
    woken_at: Option<Duration>,
    /// A spinning task past its first slice: its slices are no longer
    /// told one by one (a 1 s loop has a thousand).
    quiet: bool,
    /// In the `lock` demo: when it asked for the lock, and whether another
    /// task held it then, until it gets it.
    lock_asked: Option<(Duration, bool)>,
}

impl Narrator {
    fn new(config: &Config, rest: Arc<Rest>) -> Narrator {
        let driver = match (config.way.mode, config.way.runtime) {
            (Mode::Threads, _) | (_, None) => Driver::Threads,
            (_, Some(runtime)) if config.way.spawn => Driver::Spawned(runtime),
            (_, Some(runtime)) => Driver::Joined(runtime),
        };
        let postgres = config.query.as_ref().is_some_and(|q| q.db.is_postgres());
        // What the task's code awaits, from the wait `run` gives it.
        let call = match (config.demo, config.work) {
            (Demo::Fetch, _) => Call::Http,
            (Demo::Query, _) => Call::Query(postgres),
            (_, Work::Spin) => Call::Spin(config.delay),
            (_, Work::Sleep) => Call::Sleep(config.delay),
        };
        let awaits = match config.way.mode {
            Mode::Async if config.demo == Demo::Fetch => Awaits::Request,
            Mode::Async if config.demo == Demo::Query => Awaits::Query(postgres),
            Mode::Async if config.work == Work::Spin => Awaits::Yielding(config.delay),
            Mode::Async => Awaits::Timer(config.delay),
            Mode::SpawnBlocking => Awaits::Pool(call),
            Mode::Blocking | Mode::Threads | Mode::BlockInPlace => Awaits::InPlace(call),
        };
        let narrated = config.tasks.min(NARRATED);
        Narrator {
            driver,
            awaits,
            tasks: config.tasks,
            narrated,
            ndjson: config.format == Format::Ndjson,
            color: config.term.color && config.format == Format::Text,
            columns: config.term.columns,
            introduced: false,
            states: (0..narrated).map(|_| TaskState::default()).collect(),
            pollers: Vec::new(),
            parked: Vec::new(),
            parks_told: 0,
            parks_untold: 0,
            done: 0,
            rest_finished: 0,
            rest,
        }
    }

    fn say(&self, out: &mut dyn Write, at: Duration, step: &Step) -> io::Result<()> {
        write_step(out, at, step, self.ndjson, self.color, self.columns)
    }

    fn state(&mut self, task: u32) -> Option<&mut TaskState> {
        self.states.get_mut(task.checked_sub(1)? as usize)
    }

    /// The step that `event` is, if it is one worth telling; updates the
    /// state it keeps either way.
    fn step(&mut self, event: &RunEvent<'_>) -> Option<(Duration, Step)> {
        let (driver, awaits) = (self.driver, self.awaits);
        match *event {
            RunEvent::Lock {
                at,
                task,
                step,
                lock,
                holder,
                ..
            } => {
                let state = self.state(task)?;
                match step {
                    LockStep::Asked => {
                        state.lock_asked = Some((at, holder.is_some()));
                        Some((at, Step::LockAsked { task, lock, holder }))
                    }
                    // Getting a free lock is no news; getting it after a
                    // wait is the hand-over.
                    LockStep::Got => {
                        let (asked, waited) = state.lock_asked.take()?;
                        let after = at.saturating_sub(asked);
                        waited.then_some((at, Step::LockGot { task, lock, after }))
                    }
                    LockStep::Released => None,
                }
            }
            RunEvent::Line { event, text } => {
                let Some(state) = self.state(event.task) else {
                    if event.phase == Phase::Last {
                        self.rest_finished += 1;
                    }
                    return None;
                };
                match event.phase {
                    Phase::First => {
                        state.printed = text.to_owned();
                        None
                    }
                    // Without an executor, the last line is the end of the
                    // coroutine: no `Ready` is seen by anyone else.
                    Phase::Last if driver == Driver::Threads => Some((
                        event.at,
                        Step::ThreadDone {
                            task: event.task,
                            thread: event.thread,
                        },
                    )),
                    Phase::Last => None,
                }
            }
            RunEvent::WaitBegan { at, task, .. } => {
                let state = self.state(task)?;
                state.waiting = Some(at);
                let printed = std::mem::take(&mut state.printed);
                Some((
                    at,
                    Step::Awaits {
                        task,
                        printed,
                        awaits,
                    },
                ))
            }
            RunEvent::WaitEnded {
                at,
                task,
                thread,
                failed,
            } => {
                let state = self.state(task)?;
                let began = state.waiting.take()?;
                let after = at.saturating_sub(began);
                if failed {
                    return Some((at, Step::Failed { task, after }));
                }
                // The wait ended inside the poll that began it: the call
                // held the thread (or, without an executor, its own thread).
                let in_same_poll = state.polling.is_some_and(|p| p <= began);
                let call = match awaits {
                    Awaits::InPlace(call) => call,
                    _ => return None,
                };
                (in_same_poll || driver == Driver::Threads).then_some((
                    at,
                    Step::Held {
                        task,
                        call,
                        held: after,
                        thread,
                        driver,
                    },
                ))
            }
            RunEvent::Poll {
                at,
                task,
                thread,
                step,
            } => {
                if !self.pollers.contains(&thread) && step != PollStep::Woken {
                    self.pollers.push(thread);
                }
                let state = self.state(task)?;
                let yielding = matches!(awaits, Awaits::Yielding(_));
                match step {
                    // A spinning task's slices after its first: said once.
                    PollStep::Began if yielding && state.polls > 0 => {
                        state.polls += 1;
                        state.polling = Some(at);
                        state.woken_at = None;
                        let first = !std::mem::replace(&mut state.quiet, true);
                        first.then_some((at, Step::Slices { task }))
                    }
                    PollStep::Ended { ready: false, .. } | PollStep::Woken if state.quiet => {
                        state.polling = None;
                        None
                    }
                    PollStep::Began => {
                        let again = state.polls > 0;
                        state.polls += 1;
                        state.polling = Some(at);
                        state.first_poll.get_or_insert(at);
                        // Before its first poll a task of a runtime was
                        // ready since the start (join_all and spawn make
                        // every task at once); before a later one, since
                        // its waker was called.
                        let woken = state.woken_at.take();
                        let ready_for = match (woken, again, driver) {
                            (Some(w), _, _) => Some(at.saturating_sub(w)),
                            (None, false, Driver::Joined(_) | Driver::Spawned(_)) => Some(at),
                            (None, _, _) => None,
                        };
                        Some((
                            at,
                            Step::Polled {
                                task,
                                driver,
                                thread,
                                again,
                                ready_for,
                            },
                        ))
                    }
                    PollStep::Ended { took, ready } => {
                        state.polling = None;
                        if ready {
                            let whole = state.polls == 1;
                            self.done += 1;
                            return Some((at, Step::Ready { task, took, whole }));
                        }
                        state.pending_at = Some(at);
                        Some((
                            at,
                            Step::Pending {
                                task,
                                took,
                                awaits,
                                driver,
                            },
                        ))
                    }
                    PollStep::Woken => {
                        // A waker may be called more than once before the
                        // poll it asks for; the first call is the wake-up.
                        if state.woken_at.is_some() {
                            return None;
                        }
                        for parking in &mut self.parked {
                            parking.woken = true;
                        }
                        let state = self.state(task)?;
                        state.woken_at = Some(at);
                        let after = match state.polling {
                            Some(_) => None,
                            None => state.pending_at.map(|p| at.saturating_sub(p)),
                        };
                        Some((
                            at,
                            Step::Woken {
                                task,
                                awaits,
                                thread,
                                after,
                            },
                        ))
                    }
                }
            }
            // Told by `threads`, before this.
            RunEvent::Thread(_) | RunEvent::Caller { .. } => None,
            RunEvent::Finished { at } => Some((
                at,
                Step::Finished {
                    at,
                    tasks: self.tasks,
                    driver,
                },
            )),
        }
    }

    /// The steps of the runtime threads that `event` is or implies: a park,
    /// a wake-up with work to do, or a quiet wake-up, told late, once it
    /// turns out that the thread did work after it.
    fn threads(&mut self, event: &RunEvent<'_>, told: &mut Vec<(Duration, Step)>) {
        let polls = self.rest.polls.load(Relaxed);
        let caller = matches!(event, RunEvent::Caller { .. });
        let (thread, at, parked) = match *event {
            RunEvent::Thread(park) if self.pollers.contains(&park.thread) => {
                (park.thread, park.at, Some(park.parked))
            }
            RunEvent::Caller {
                at,
                thread,
                waiting,
            } if self.pollers.contains(&thread) => (thread, at, Some(waiting)),
            RunEvent::Poll {
                thread,
                step: PollStep::Began,
                ..
            } => (thread, Duration::ZERO, None),
            _ => return,
        };
        if self.done >= self.narrated {
            if parked == Some(true) {
                self.parks_untold += 1;
            }
            return;
        }
        let index = self.parked.iter().position(|p| p.thread == thread);
        // A quiet wake-up that was not only a look at the clock: the thread
        // polled something since. Told now, with its own time.
        if let Some(i) = index {
            if let Some((woke, at_polls)) = self.parked[i].quiet {
                let again = parked == Some(true) && polls == at_polls;
                if again {
                    self.parked[i].quiet = None;
                    return;
                }
                let Parking { since, caller, .. } = self.parked.swap_remove(i);
                told.push((
                    woke,
                    Step::Unparks {
                        thread,
                        at: woke,
                        parked: woke.saturating_sub(since),
                        caller,
                    },
                ));
            }
        }
        let index = self.parked.iter().position(|p| p.thread == thread);
        match (parked, index) {
            (Some(true), None) => {
                if self.parks_told >= PARKS_TOLD {
                    self.parks_untold += 1;
                    return;
                }
                self.parks_told += 1;
                self.parked.push(Parking {
                    thread,
                    since: at,
                    woken: false,
                    caller,
                    quiet: None,
                });
                let awaits = self.awaits;
                told.push((
                    at,
                    Step::Parks {
                        thread,
                        awaits,
                        caller,
                    },
                ));
            }
            (Some(false), Some(i)) if self.parked[i].woken => {
                let Parking { since, caller, .. } = self.parked.swap_remove(i);
                told.push((
                    at,
                    Step::Unparks {
                        thread,
                        at,
                        parked: at.saturating_sub(since),
                        caller,
                    },
                ));
            }
            (Some(false), Some(i)) => self.parked[i].quiet = Some((at, polls)),
            _ => {}
        }
    }

    /// The closing line about the tasks that were not narrated, if any.
    fn rest(&self) -> Option<Step> {
        if self.tasks <= self.narrated {
            return None;
        }
        let polls = (self.driver != Driver::Threads).then(|| {
            (
                self.rest.polls.load(Relaxed),
                self.rest.pending.load(Relaxed),
                Duration::from_nanos(self.rest.longest_nanos.load(Relaxed)),
            )
        });
        Some(Step::Rest {
            first: self.narrated + 1,
            last: self.tasks,
            finished: self.rest_finished,
            polls,
            parks: self.parks_untold,
        })
    }
}

impl Follower for Narrator {
    fn follow(&mut self, event: &RunEvent<'_>, out: &mut dyn Write) -> io::Result<()> {
        if !self.introduced {
            self.introduced = true;
            let intro = Step::Intro {
                driver: self.driver,
                tasks: self.tasks,
                narrated: self.narrated,
            };
            self.say(out, Duration::ZERO, &intro)?;
        }
        let mut told = Vec::new();
        self.threads(event, &mut told);
        if let RunEvent::Finished { at } = *event {
            told.extend(self.rest().map(|rest| (at, rest)));
        }
        told.extend(self.step(event));
        for (at, step) in &told {
            self.say(out, *at, step)?;
        }
        Ok(())
    }

    fn wants_threads(&self) -> bool {
        self.driver != Driver::Threads
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Workload;
    use crate::config::Way;
    use crate::vocab::{Event, Park, RuntimeKind};

    /// A narrator of `tasks` count tasks run in `mode` on one thread,
    /// each waiting 1 s, writing plain text.
    fn narrator(mode: Mode, tasks: u32) -> Narrator {
        let workload = Workload {
            tasks: Some(tasks),
            delay: Duration::from_secs(1),
            work: crate::vocab::Work::Sleep,
        };
        let way = Way::with_defaults(mode, RuntimeKind::CurrentThread, false);
        let mut config = Config::of_way(Demo::Count, &workload, way);
        config.format = Format::Text;
        config.explain = true;
        Narrator::new(&config, Arc::new(Rest::default()))
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn poll(at: Duration, task: u32, step: PollStep) -> RunEvent<'static> {
        RunEvent::Poll {
            at,
            task,
            thread: 1,
            step,
        }
    }

    fn line(at: Duration, task: u32, phase: Phase, text: &'static str) -> RunEvent<'static> {
        RunEvent::Line {
            event: Event {
                at,
                task,
                phase,
                thread: 1,
            },
            text,
        }
    }

    fn park(at: Duration, parked: bool) -> RunEvent<'static> {
        RunEvent::Thread(Park {
            at,
            thread: 1,
            parked,
        })
    }

    /// What the narrator writes for `events`, one string per line.
    fn told(narrator: &mut Narrator, events: &[RunEvent<'_>]) -> Vec<String> {
        let mut out = Vec::new();
        for event in events {
            narrator.follow(event, &mut out).unwrap();
        }
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| {
                l.strip_prefix(crate::report::explain::MARK)
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }

    /// The figures said are the ones between the events: a blocking call
    /// that ended 1002 ms after it began held the thread 1002 ms.
    #[test]
    fn a_wait_that_ends_inside_its_poll_is_a_held_thread_for_its_measured_time() {
        let mut narrator = narrator(Mode::Blocking, 1);
        let lines = told(
            &mut narrator,
            &[
                poll(ms(0), 1, PollStep::Began),
                line(ms(0), 1, Phase::First, "One"),
                RunEvent::WaitBegan {
                    at: ms(0),
                    task: 1,
                    thread: 1,
                },
                RunEvent::WaitEnded {
                    at: ms(1002),
                    task: 1,
                    thread: 1,
                    failed: false,
                },
                line(ms(1002), 1, Phase::Last, "Two"),
                poll(
                    ms(1002),
                    1,
                    PollStep::Ended {
                        took: ms(1002),
                        ready: true,
                    },
                ),
            ],
        );
        assert_eq!(lines.len(), 5, "{lines:#?}");
        assert!(lines[3].starts_with("std::thread::sleep(1s) returned after 1002.000 ms, inside"));
        assert!(lines[4].contains("Ready after 1002.000 ms (the whole task ran in this one poll)"));
    }

    /// An async task: Pending, the park, the timer's wake-up and how long
    /// the task then waited for the thread. The timer wheel's wake-up on the
    /// way (nothing polled after it) is not told: one park, one wake-up.
    #[test]
    fn a_park_is_told_once_whatever_the_timer_wheel_does_meanwhile() {
        let mut narrator = narrator(Mode::Async, 1);
        let lines = told(
            &mut narrator,
            &[
                poll(ms(0), 1, PollStep::Began),
                line(ms(0), 1, Phase::First, "One"),
                RunEvent::WaitBegan {
                    at: ms(0),
                    task: 1,
                    thread: 1,
                },
                poll(
                    ms(1),
                    1,
                    PollStep::Ended {
                        took: ms(1),
                        ready: false,
                    },
                ),
                park(ms(1), true),
                park(ms(64), false),
                park(ms(64), true),
                poll(ms(1001), 1, PollStep::Woken),
                park(ms(1001), false),
                poll(ms(1004), 1, PollStep::Began),
            ],
        );
        let parks: Vec<&String> = lines.iter().filter(|l| l.contains("parks")).collect();
        assert_eq!(parks.len(), 1, "{lines:#?}");
        let woke: Vec<&String> = lines.iter().filter(|l| l.contains("wakes up")).collect();
        assert_eq!(woke.len(), 1, "{lines:#?}");
        assert!(
            woke[0].contains("at 1.001 s, after 1000.000 ms parked"),
            "{}",
            woke[0]
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("woken by its timer, 1000.000 ms after"))
        );
        assert!(
            lines
                .last()
                .unwrap()
                .contains("again (on thread 1): it waited 3.000 ms, ready")
        );
    }

    /// A wake-up after which the thread polled the tasks that are not
    /// narrated was a real one: it is told, late, before the next park.
    #[test]
    fn a_quiet_wake_up_followed_by_other_polls_is_told_before_the_next_park() {
        let mut narrator = narrator(Mode::Async, 5);
        let rest = Arc::clone(&narrator.rest);
        let mut lines = told(
            &mut narrator,
            &[
                poll(ms(0), 1, PollStep::Began),
                poll(
                    ms(0),
                    1,
                    PollStep::Ended {
                        took: ms(0),
                        ready: false,
                    },
                ),
                park(ms(1), true),
                park(ms(30), false),
            ],
        );
        rest.polls.fetch_add(1, Relaxed);
        lines.extend(told(&mut narrator, &[park(ms(31), true)]));
        let tail: Vec<&str> = lines.iter().rev().take(2).map(String::as_str).collect();
        assert!(tail[0].starts_with("thread 1 parks"), "{lines:#?}");
        assert!(
            tail[1].starts_with("thread 1 wakes up at 0.030 s, after 29.000 ms parked"),
            "{lines:#?}"
        );
    }
}
