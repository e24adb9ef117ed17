//! `--explain`: the executor, narrated step by step between the demo's lines.
//!
//! Two halves, one for each lane of [`crate::events`]:
//!
//! - [`Explainer`] is a [`PollFollower`](crate::events::PollFollower): it sees every poll of every task,
//!   on the polling thread. For the first [`NARRATED`] tasks it forwards the
//!   poll's beginning and end into the sink's ordered lane, and wraps the
//!   task's waker so that a wake-up is forwarded too, from whichever thread
//!   calls it (the timer driver, a blocking-pool thread). For the other tasks
//!   it only counts, in atomics.
//! - [`Narrator`] is a [`Follower`] of that ordered lane, inside the sink: it
//!   keeps a little state per narrated task (when it returned `Pending`,
//!   when it was woken) and turns each event into a [`Step`], whose words
//!   live in `report::narration`. Every figure it says was measured: a held
//!   thread is the time between the wait's two events, a ready wait the time
//!   between the wake-up and the next poll.
//!
//! The narrated tasks' waits also tell their own steps into that lane
//! ([`CallStep`]: a timer's deadline, a pool call handed over and begun, a
//! query's ask and the connection that took it), so the narration says
//! what was observed rather than what is likely:
//!
//! - *why* a ready task waited: the polls seen on its thread meanwhile (a
//!   task whose poll held it, or several), or the thread's park;
//! - a call queued (for a pool thread, or a connection) or started, and,
//!   at the poll after it, the wait since the `Pending` in parts: queued,
//!   then in the pool or on the connection, then ready (the model's states,
//!   each part between two of those events: `notes`);
//! - a timer *overdue*: decided by the task-state model ([`Model`]) from the
//!   narrator's copy of its input (the deadlines, polls and wake-ups of the
//!   narrated tasks, and every park), never by adding up the clock; said at
//!   the wake-up that ends it, or when the run stalls with it still due.
//!
//! Nothing of this exists without the flag: the runner wraps the tasks only
//! when asked (`run` chooses their type once), and a plain run's sink has no
//! follower.

mod notes;
mod polls;
mod threads;

use crate::config::Config;
use crate::config::Runtime;
use crate::events::LockStep;
use crate::events::{CallStep, Follower, PollStep, RunEvent};
use crate::report::narration::{
    Awaits, Call, CallSeen, Held, Meanwhile, NARRATED, Overdue, Pending, Polled, Poller, Step,
    Woken, write_step,
};
use crate::sink::Sink;
use crate::state::{Birth, Log, Model, Observed, TaskState, What};
use crate::vocab::{Demo, Event, Format, LockKind, Mode, Park, Phase, Work};
use std::collections::VecDeque;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use notes::TaskNotes;
use threads::Parking;

/// The poll side of `--explain`, shared by every task of the run.
pub(crate) struct Explainer {
    sink: Arc<Sink>,
    /// The polls of the tasks that are not narrated, counted.
    rest: Arc<Rest>,
}

/// What the tasks that are not narrated did, counted on the polling threads
/// (or, in a replay, from the recorded observations).
#[derive(Default)]
pub(crate) struct Rest {
    polls: AtomicU64,
    pending: AtomicU64,
    longest_nanos: AtomicU64,
}

impl Rest {
    /// One poll of a task not narrated returned after `took`.
    pub(crate) fn poll(&self, took: Duration, ready: bool) {
        self.polls.fetch_add(1, Relaxed);
        if !ready {
            self.pending.fetch_add(1, Relaxed);
        }
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.longest_nanos.fetch_max(nanos, Relaxed);
    }
}

/// Starts narrating the run that `config` describes into `sink`: the
/// narrator follows the sink from now on, and the returned explainer is
/// for the runner to time the tasks' polls with. `None` without `--explain`.
///
/// `--record` forwards the same steps without narrating them: the
/// recording keeps them for `replay`'s narration ([`forwards`]).
pub(crate) fn start(config: &Config, sink: &Arc<Sink>) -> Option<Arc<Explainer>> {
    if !forwards(config) {
        return None;
    }
    let rest = Arc::new(Rest::default());
    // The narrated tasks' waits tell their own steps (a timer's deadline,
    // a call queued or started) into the same ordered lane.
    sink.narrate_calls(NARRATED);
    if config.explain {
        let mut narrator = Narrator::new(config, Arc::clone(&rest));
        // In NDJSON, the model's state changes seen so far go out before
        // each step, as the sink writes them before each line, so that the
        // stream stays in time order.
        narrator.states = sink.log().filter(|_| narrator.ndjson).cloned();
        sink.follow_with(Box::new(narrator), "writing the --explain narration".into());
    }
    Some(Arc::new(Explainer {
        sink: Arc::clone(sink),
        rest,
    }))
}

/// Whether the run forwards the narrated tasks' steps into the ordered
/// lane: to narrate them (`--explain`), or to record them (`--record`, up
/// to the recording's cut-off). Forwarding wraps every task's polls, which
/// doubles the cost of a million plain tasks; past the cut-off a replay
/// rebuilds the narrated tasks' polls from the model's observations
/// instead (`crate::replay`).
pub(crate) fn forwards(config: &Config) -> bool {
    config.explain
        || (config.recording.is_some() && config.tasks <= crate::report::json::MAX_TASK_RECORDS)
}

/// The narrator of a recorded run (`replay`): it follows the recorded
/// events as it followed the run's, and `rest` is counted by the replay
/// from the recorded observations as their time comes.
pub(crate) fn narrator(config: &Config, rest: Arc<Rest>) -> Box<dyn Follower> {
    Box::new(Narrator::new(config, rest))
}

/// At most this many parks of the runtime threads are narrated; the others
/// are counted in the closing summary (a busy multi-thread run parks often).
const PARKS_TOLD: u32 = 8;

/// At most this many polls of the narrated tasks are kept, per run, to say
/// who had a thread while a ready task waited for it (a spinning task
/// polls a thousand times a second; the wait concerns only recent ones).
const POLLS_KEPT: usize = 256;

/// At most this many parks are kept for the task-state model's overdue
/// spans (as the model's own log keeps at most so many).
const PARKS_KEPT: usize = 100_000;

/// The ordered side of `--explain`: turns the run's events into steps.
struct Narrator {
    poller: Poller,
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
    notes: Vec<TaskNotes>,
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
    /// The narrated tasks' recent polls, oldest first: who had a thread
    /// while a ready task waited for it.
    polls: VecDeque<PollSeen>,
    /// When each runtime thread last woke up from a park.
    unparked: Vec<(u32, Duration)>,
    /// The task-state model's input for the narrated tasks whose timers
    /// may be overdue (a timer's deadline, their polls and wake-ups), as
    /// the narrator saw it, and every park of the runtime threads: the
    /// overdue state is the model's to decide ([`Model`]), not ours.
    seen: Vec<Observed>,
    parks: Vec<Park>,
    /// The run's model log, whose state changes (NDJSON `state` objects)
    /// are written before each step; `None` in text, and in a replay.
    states: Option<Arc<Log>>,
}

/// One poll of a narrated task: on which thread, from when to when (`None`
/// while it runs).
struct PollSeen {
    thread: u32,
    task: u32,
    began: Duration,
    ended: Option<Duration>,
}

impl Narrator {
    fn new(config: &Config, rest: Arc<Rest>) -> Narrator {
        let poller = match (config.way.mode, config.way.runtime) {
            (Mode::Threads, _) | (_, None) => Poller::Threads,
            (_, Some(runtime)) if config.way.spawn => Poller::Spawned(runtime),
            (_, Some(runtime)) => Poller::Joined(runtime),
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
            Mode::Blocking | Mode::Threads => Awaits::InPlace(call),
            Mode::BlockInPlace => Awaits::BlockInPlace(call),
        };
        let narrated = config.tasks.min(NARRATED);
        Narrator {
            poller,
            awaits,
            tasks: config.tasks,
            narrated,
            ndjson: config.format == Format::Ndjson,
            color: config.term.color && config.format == Format::Text,
            columns: config.term.columns,
            introduced: false,
            notes: (0..narrated).map(|_| TaskNotes::default()).collect(),
            pollers: Vec::new(),
            parked: Vec::new(),
            parks_told: 0,
            parks_untold: 0,
            done: 0,
            rest_finished: 0,
            rest,
            polls: VecDeque::new(),
            unparked: Vec::new(),
            seen: Vec::new(),
            parks: Vec::new(),
            states: None,
        }
    }

    fn say(&self, out: &mut dyn Write, at: Duration, step: &Step) -> io::Result<()> {
        write_step(out, at, step, self.ndjson, self.color, self.columns)
    }

    fn notes(&mut self, task: u32) -> Option<&mut TaskNotes> {
        self.notes.get_mut(task.checked_sub(1)? as usize)
    }

    /// Whether the narrated tasks await timers, whose overdue spans the
    /// model decides: only then is its input kept.
    fn keeps_model(&self) -> bool {
        matches!(self.awaits, Awaits::Timer(_))
    }

    /// Keeps `what` of task `task` at `at` for the model.
    fn observe(&mut self, at: Duration, task: u32, thread: u32, what: What) {
        if self.keeps_model() {
            self.seen.push(Observed {
                at: nanos(at),
                task,
                thread,
                what,
            });
        }
    }

    /// The step that `event` is, if it is one worth telling; updates the
    /// notes it keeps either way. One method per kind of event.
    fn step(&mut self, event: &RunEvent<'_>) -> Option<(Duration, Step)> {
        match *event {
            RunEvent::Lock {
                at,
                task,
                step,
                lock,
                holder,
                ..
            } => self.lock(at, task, step, lock, holder),
            RunEvent::Line { event, ref text } => self.line(&event, text),
            RunEvent::WaitBegan { at, task, .. } => self.wait_began(at, task),
            RunEvent::WaitEnded {
                at,
                task,
                thread,
                failed,
            } => self.wait_ended(at, task, thread, failed),
            RunEvent::Poll {
                at,
                task,
                thread,
                step,
            } => {
                if !self.pollers.contains(&thread)
                    && matches!(step, PollStep::Began | PollStep::Ended { .. })
                {
                    self.pollers.push(thread);
                }
                match step {
                    PollStep::Began => self.began(at, task, thread),
                    PollStep::Ended { took, ready } => self.ended(at, task, took, ready),
                    PollStep::Woken => self.woken(at, task, thread),
                    PollStep::Call(call) => self.call(at, task, thread, call),
                }
            }
            // Told by `threads`, before this.
            RunEvent::Thread(_) | RunEvent::Caller { .. } => None,
            RunEvent::Finished { at } => Some((
                at,
                Step::Finished {
                    at,
                    tasks: self.tasks,
                    poller: self.poller,
                },
            )),
            // Told by `stalled`, with a step per overdue task.
            RunEvent::Stalled { .. } => None,
        }
    }

    /// A task of the `lock` demo asked for the lock, or got it.
    fn lock(
        &mut self,
        at: Duration,
        task: u32,
        step: LockStep,
        lock: LockKind,
        holder: Option<u32>,
    ) -> Option<(Duration, Step)> {
        let notes = self.notes(task)?;
        match step {
            LockStep::Asked => {
                notes.lock_asked = Some((at, holder.is_some()));
                Some((at, Step::LockAsked { task, lock, holder }))
            }
            // Getting a free lock is no news; getting it after a wait is
            // the hand-over.
            LockStep::Got => {
                let (asked, waited) = notes.lock_asked.take()?;
                let after = at.saturating_sub(asked);
                waited.then_some((at, Step::LockGot { task, lock, after }))
            }
            LockStep::Released => None,
        }
    }

    /// A task printed a line.
    fn line(&mut self, event: &Event, text: &str) -> Option<(Duration, Step)> {
        let poller = self.poller;
        let Some(notes) = self.notes(event.task) else {
            if event.phase == Phase::Last {
                self.rest_finished += 1;
            }
            return None;
        };
        match event.phase {
            Phase::First => {
                notes.printed = text.to_owned();
                None
            }
            // Without an executor, the last line is the end of the
            // coroutine: no `Ready` is seen by anyone else.
            Phase::Last if poller == Poller::Threads => Some((
                event.at,
                Step::ThreadDone {
                    task: event.task,
                    thread: event.thread,
                },
            )),
            Phase::Last => None,
        }
    }

    /// A task printed its first line and begins its wait.
    fn wait_began(&mut self, at: Duration, task: u32) -> Option<(Duration, Step)> {
        let awaits = self.awaits;
        let notes = self.notes(task)?;
        notes.waiting = Some(at);
        let printed = std::mem::take(&mut notes.printed);
        Some((
            at,
            Step::Awaits {
                task,
                printed,
                awaits,
                poller: self.poller,
            },
        ))
    }

    /// A task's wait is over: a blocking call that held the thread, said
    /// with its measured time, or a failure.
    fn wait_ended(
        &mut self,
        at: Duration,
        task: u32,
        thread: u32,
        failed: bool,
    ) -> Option<(Duration, Step)> {
        let (poller, awaits) = (self.poller, self.awaits);
        let notes = self.notes(task)?;
        let began = notes.waiting.take()?;
        let after = at.saturating_sub(began);
        if failed {
            return Some((at, Step::Failed { task, after }));
        }
        // The wait ended inside the poll that began it: the call held the
        // thread (or, without an executor, its own thread).
        let in_same_poll = notes.polling.is_some_and(|p| p <= began);
        let (call, in_block_in_place) = match awaits {
            Awaits::InPlace(call) => (call, false),
            Awaits::BlockInPlace(call) => (call, true),
            _ => return None,
        };
        (in_same_poll || poller == Poller::Threads).then_some((
            at,
            Step::Held(Held {
                task,
                call,
                held: after,
                thread,
                poller,
                in_block_in_place,
            }),
        ))
    }

    /// The executor calls a task's `poll`: how long it waited for it, and
    /// who had the thread meanwhile.
    fn began(&mut self, at: Duration, task: u32, thread: u32) -> Option<(Duration, Step)> {
        let (poller, yielding) = (self.poller, matches!(self.awaits, Awaits::Yielding(_)));
        let notes = self.notes(task)?;
        // A spinning task's slices after its first: said once.
        if yielding && notes.polls > 0 {
            notes.polls += 1;
            notes.polling = Some(at);
            notes.thread = Some(thread);
            notes.woken_at = None;
            let first = !std::mem::replace(&mut notes.quiet, true);
            self.keep_poll(thread, task, at);
            return first.then_some((at, Step::Slices { task }));
        }
        let again = notes.polls > 0;
        notes.polls += 1;
        notes.polling = Some(at);
        notes.thread = Some(thread);
        // Before its first poll a task of a runtime was ready since the
        // start (join_all and spawn make every task at once); before a
        // later one, since its waker was called.
        let woken = notes.woken_at.take();
        let elsewhere = notes.elsewhere.take();
        let ready_for = match (woken, again, poller) {
            (Some(w), _, _) => Some(at.saturating_sub(w)),
            (None, false, Poller::Joined(_) | Poller::Spawned(_)) => Some(at),
            (None, _, _) => None,
        };
        let rest_then = notes.rest_polls_then;
        let meanwhile =
            ready_for.and_then(|w| self.meanwhile(task, thread, (at - w, at), rest_then));
        self.keep_poll(thread, task, at);
        Some((
            at,
            Step::Polled(Polled {
                task,
                poller,
                thread,
                again,
                ready_for,
                meanwhile,
                elsewhere,
            }),
        ))
    }

    /// Keeps a poll that began, for [`Narrator::meanwhile`].
    fn keep_poll(&mut self, thread: u32, task: u32, began: Duration) {
        if self.polls.len() >= POLLS_KEPT {
            self.polls.pop_front();
        }
        self.polls.push_back(PollSeen {
            thread,
            task,
            began,
            ended: None,
        });
    }

    /// Who had `thread` while task `task` waited for it, ready, over
    /// `(since, until)`: the polls seen there, or its park. `rest_then`:
    /// the polls of the tasks not narrated that had returned at `since`.
    fn meanwhile(
        &self,
        task: u32,
        thread: u32,
        (since, until): (Duration, Duration),
        rest_then: u64,
    ) -> Option<Meanwhile> {
        let mut tasks: Vec<(u32, Duration)> = Vec::new();
        for poll in self
            .polls
            .iter()
            .filter(|p| p.thread == thread && p.task != task)
        {
            let (from, to) = (
                poll.began.max(since),
                poll.ended.unwrap_or(until).min(until),
            );
            if to <= from {
                continue;
            }
            let took = to.saturating_sub(from);
            match tasks.iter_mut().find(|(t, _)| *t == poll.task) {
                Some((_, sum)) => *sum += took,
                None => tasks.push((poll.task, took)),
            }
        }
        // The tasks not narrated are polled on the one thread that polls
        // every task (join_all's, or a current-thread runtime's); spawned
        // on several workers, their polls' threads are not known.
        let one_poller = !matches!(self.poller, Poller::Spawned(Runtime::MultiThread(_)));
        let others = if one_poller {
            self.rest.polls.load(Relaxed).saturating_sub(rest_then)
        } else {
            0
        };
        match (tasks.as_slice(), others) {
            ([(task, held)], 0) => Some(Meanwhile::Poll {
                task: *task,
                held: *held,
            }),
            ([], 0) => self
                .unparked
                .iter()
                .find(|(t, at)| *t == thread && *at > since && *at <= until)
                .map(|&(_, at)| Meanwhile::Parked { woke: at - since }),
            _ => Some(Meanwhile::Polls { tasks, others }),
        }
    }

    /// A task's `poll` returned.
    fn ended(
        &mut self,
        at: Duration,
        task: u32,
        took: Duration,
        ready: bool,
    ) -> Option<(Duration, Step)> {
        let (poller, awaits) = (self.poller, self.awaits);
        let notes = self.notes(task)?;
        let began = notes.polling.take();
        let thread = notes.thread.unwrap_or_default();
        let quiet = notes.quiet && !ready;
        if !ready {
            notes.pending_at = Some(at);
            (notes.seen_at_pending, notes.taken_at) = (notes.call, None);
        }
        let seen = notes.call;
        if let Some(poll) = self
            .polls
            .iter_mut()
            .rev()
            .find(|p| p.task == task && p.ended.is_none())
        {
            poll.ended = Some(at);
        }
        if let Some(began) = began {
            self.observe(
                began,
                task,
                thread,
                What::Polled {
                    took: nanos(took),
                    ready,
                },
            );
        }
        if quiet {
            return None;
        }
        if ready {
            let whole = self.notes(task)?.polls == 1;
            self.done += 1;
            return Some((at, Step::Ready { task, took, whole }));
        }
        Some((
            at,
            Step::Pending(Pending {
                task,
                took,
                awaits,
                seen,
                poller,
            }),
        ))
    }

    /// A task's waker was called: by whom, and whether its timer had been
    /// overdue before that (the model's overdue span, up to now).
    fn woken(&mut self, at: Duration, task: u32, thread: u32) -> Option<(Duration, Step)> {
        let awaits = self.awaits;
        let rest_now = self.rest.polls.load(Relaxed);
        let notes = self.notes(task)?;
        if notes.quiet {
            notes.polling = None;
            return None;
        }
        // A waker may be called more than once before the poll it asks
        // for; the first call is the wake-up.
        if notes.woken_at.is_some() {
            return None;
        }
        notes.woken_at = Some(at);
        notes.rest_polls_then = rest_now;
        let after = match notes.polling {
            Some(_) => None,
            None => notes.pending_at.map(|p| at.saturating_sub(p)),
        };
        let seen = notes.call;
        notes.elsewhere = notes
            .pending_at
            .filter(|_| after.is_some())
            .and_then(|pending| notes.elsewhere(awaits, pending, at));
        let overdue = self.overdue(task, at).filter(|_| after.is_some());
        self.observe(at, task, thread, What::Woken);
        for parking in &mut self.parked {
            parking.woken = true;
        }
        Some((
            at,
            Step::Woken(Woken {
                task,
                awaits,
                seen,
                thread,
                after,
                overdue,
            }),
        ))
    }

    /// Task `task`'s timer, if the task-state model has it overdue at
    /// `now`: how long, which thread would fire it, and which narrated
    /// task's poll holds that thread.
    fn overdue(&self, task: u32, now: Duration) -> Option<Overdue> {
        if !self.keeps_model() {
            return None;
        }
        let birth = match self.poller {
            Poller::Threads => Birth::OnItsOwn,
            _ => Birth::AtStart,
        };
        let model = Model::new(&self.seen, &self.parks, (self.narrated, birth), now);
        let spans = model.spans(task);
        let last = spans
            .last()
            .filter(|s| s.state == TaskState::Overdue && s.to >= now)?;
        // The overdue stretch that ends now: the spans back to its start.
        let from = spans
            .iter()
            .rev()
            .take_while(|s| s.state == TaskState::Overdue)
            .last()
            .map_or(last.from, |s| s.from);
        let thread = self.notes.get(task as usize - 1)?.thread?;
        let holder = self.holder(thread);
        Some(Overdue {
            late: now.saturating_sub(from),
            thread,
            holder,
            alone: matches!(
                self.poller,
                Poller::Joined(Runtime::CurrentThread) | Poller::Spawned(Runtime::CurrentThread)
            ),
        })
    }

    /// The narrated task whose poll is in progress on `thread`, if one is.
    fn holder(&self, thread: u32) -> Option<u32> {
        self.notes.iter().enumerate().find_map(|(i, n)| {
            (n.polling.is_some() && n.thread == Some(thread)).then_some(i as u32 + 1)
        })
    }

    /// A narrated task's wait observed a step of its call.
    fn call(
        &mut self,
        at: Duration,
        task: u32,
        thread: u32,
        call: CallStep,
    ) -> Option<(Duration, Step)> {
        let postgres = matches!(self.awaits, Awaits::Query(true));
        let notes = self.notes(task)?;
        // Told as a step of its own only when the task's poll has
        // returned meanwhile; inside the poll, the `Pending` says it.
        let after_pending = notes.polling.is_none();
        let queued = at.saturating_sub(notes.asked.unwrap_or(at));
        match call {
            CallStep::Armed { due } => {
                self.observe(
                    at,
                    task,
                    thread,
                    What::Armed {
                        deadline: nanos(due),
                    },
                );
                None
            }
            CallStep::PoolQueued => {
                (notes.call, notes.asked) = (CallSeen::PoolQueued, Some(at));
                None
            }
            CallStep::PoolStarted => {
                notes.call = CallSeen::PoolRunning { thread };
                notes.taken_at = after_pending.then_some(at);
                after_pending.then_some((
                    at,
                    Step::PoolStarted {
                        task,
                        thread,
                        queued,
                    },
                ))
            }
            CallStep::QueryQueued { busy, connections } => {
                notes.call = CallSeen::QueryQueued { busy, connections };
                notes.asked = Some(at);
                None
            }
            CallStep::QuerySent { connection } => {
                notes.call = CallSeen::QuerySent { connection };
                notes.taken_at = after_pending.then_some(at);
                after_pending.then_some((
                    at,
                    Step::QuerySent {
                        task,
                        connection,
                        queued,
                        postgres,
                    },
                ))
            }
        }
    }

    /// The run stalled (nothing moves any more): each narrated task whose
    /// timer the model has overdue now is said to be, and each that was
    /// never polled, with the poll that holds the one thread that polls
    /// them all (joined, or a current-thread runtime's).
    fn stalled(&self, at: Duration, told: &mut Vec<(Duration, Step)>) {
        let one_thread = match (self.poller, self.pollers.as_slice()) {
            (Poller::Threads | Poller::Spawned(Runtime::MultiThread(_)), _) => None,
            (_, [thread]) => Some(*thread),
            _ => None,
        };
        for task in 1..=self.narrated {
            if let Some(overdue) = self.overdue(task, at) {
                told.push((at, Step::Overdue { task, overdue }));
            }
            let never = self
                .notes
                .get(task as usize - 1)
                .is_some_and(|n| n.polls == 0);
            if let (true, Some(thread)) = (never, one_thread) {
                let holder = self.holder(thread);
                told.push((
                    at,
                    Step::NeverPolled {
                        task,
                        waited: at,
                        thread,
                        holder,
                    },
                ));
            }
        }
    }

    /// The closing line about the tasks that were not narrated, if any.
    fn rest(&self) -> Option<Step> {
        if self.tasks <= self.narrated {
            return None;
        }
        let polls = (self.poller != Poller::Threads).then(|| {
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

/// Nanoseconds on the model's clock.
fn nanos(at: Duration) -> u64 {
    u64::try_from(at.as_nanos()).unwrap_or(u64::MAX)
}

impl Follower for Narrator {
    fn follow(&mut self, event: &RunEvent<'_>, out: &mut dyn Write) -> io::Result<()> {
        if !self.introduced {
            self.introduced = true;
            let intro = Step::Intro {
                poller: self.poller,
                tasks: self.tasks,
                narrated: self.narrated,
            };
            self.say(out, Duration::ZERO, &intro)?;
        }
        let mut told = Vec::new();
        self.threads(event, &mut told);
        match *event {
            RunEvent::Finished { at } => told.extend(self.rest().map(|rest| (at, rest))),
            RunEvent::Stalled { at } => self.stalled(at, &mut told),
            _ => {}
        }
        told.extend(self.step(event));
        if let (Some(log), false) = (&self.states, told.is_empty()) {
            for change in log.changes() {
                crate::report::json::write_state(&mut &mut *out, &change)?;
            }
        }
        for (at, step) in &told {
            self.say(out, *at, step)?;
        }
        Ok(())
    }

    fn wants_threads(&self) -> bool {
        self.poller != Poller::Threads
    }
}

#[cfg(test)]
mod tests;
