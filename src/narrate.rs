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
//! - a call queued (for a pool thread, or a connection) or started;
//! - a timer *overdue*: decided by the task-state model ([`Model`]) from the
//!   narrator's copy of its input (the deadlines, polls and wake-ups of the
//!   narrated tasks, and every park), never by adding up the clock; said at
//!   the wake-up that ends it, or when the run stalls with it still due.
//!
//! Nothing of this exists without the flag: the runner wraps the tasks only
//! when asked (`run` chooses their type once), and a plain run's sink has no
//! follower.

use crate::config::Config;
use crate::events::{CallStep, Follower, PollFollower, PollStep, RunEvent};
use crate::report::narration::{
    Awaits, Call, CallSeen, Meanwhile, NARRATED, Overdue, Poller, Step, write_step,
};
use crate::sink::Sink;
use crate::state::{Birth, Model, Observed, TaskState, What};
use crate::vocab::{Demo, Event, Format, LockKind, LockStep, Mode, Park, Phase, Runtime, Work};
use std::collections::VecDeque;
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
        let narrator = Narrator::new(config, Arc::clone(&rest));
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
        self.rest.poll(took, ready);
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

/// One poll of a narrated task: on which thread, from when to when (`None`
/// while it runs).
struct PollSeen {
    thread: u32,
    task: u32,
    began: Duration,
    ended: Option<Duration>,
}

/// What the narrator remembers of one narrated task.
#[derive(Default)]
struct TaskNotes {
    /// Its first line, until its wait begins.
    printed: String,
    /// When the poll in progress began, while one is.
    polling: Option<Duration>,
    /// The thread of its latest poll.
    thread: Option<u32>,
    /// How many polls began.
    polls: u32,
    /// When its wait began, while it lasts.
    waiting: Option<Duration>,
    /// When it last returned `Pending`.
    pending_at: Option<Duration>,
    /// When it was woken, until the poll that follows.
    woken_at: Option<Duration>,
    /// How many polls of the tasks not narrated had returned when its wait
    /// for the thread began (its wake-up, or the start).
    rest_polls_then: u64,
    /// A spinning task past its first slice: its slices are no longer
    /// told one by one (a 1 s loop has a thousand).
    quiet: bool,
    /// In the `lock` demo: when it asked for the lock, and whether another
    /// task held it then, until it gets it.
    lock_asked: Option<(Duration, bool)>,
    /// What its wait has shown of its call since it last asked, and when
    /// it handed the call over or asked for a connection.
    call: CallSeen,
    asked: Option<Duration>,
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
            Mode::Blocking | Mode::Threads | Mode::BlockInPlace => Awaits::InPlace(call),
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
            RunEvent::Line { event, text } => self.line(&event, text),
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
        let Awaits::InPlace(call) = awaits else {
            return None;
        };
        (in_same_poll || poller == Poller::Threads).then_some((
            at,
            Step::Held {
                task,
                call,
                held: after,
                thread,
                poller,
            },
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
            Step::Polled {
                task,
                poller,
                thread,
                again,
                ready_for,
                meanwhile,
            },
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
            Step::Pending {
                task,
                took,
                awaits,
                seen,
                poller,
            },
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
        let overdue = self.overdue(task, at).filter(|_| after.is_some());
        self.observe(at, task, thread, What::Woken);
        for parking in &mut self.parked {
            parking.woken = true;
        }
        Some((
            at,
            Step::Woken {
                task,
                awaits,
                seen,
                thread,
                after,
                overdue,
            },
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

    /// The steps of the runtime threads that `event` is or implies: a park,
    /// a wake-up with work to do, or a quiet wake-up, told late, once it
    /// turns out that the thread did work after it.
    fn threads(&mut self, event: &RunEvent<'_>, told: &mut Vec<(Duration, Step)>) {
        // When each thread last woke: a runtime thread from its park, or
        // `block_on`'s caller (which parks too, outside the runtime) back
        // from its wait.
        let woke = match *event {
            RunEvent::Thread(park) => {
                if self.keeps_model() && self.parks.len() < PARKS_KEPT {
                    self.parks.push(park);
                }
                (!park.parked).then_some((park.thread, park.at))
            }
            RunEvent::Caller {
                at,
                thread,
                waiting: false,
            } => Some((thread, at)),
            _ => None,
        };
        if let Some((thread, at)) = woke {
            match self.unparked.iter_mut().find(|(t, _)| *t == thread) {
                Some(slot) => slot.1 = at,
                None => self.unparked.push((thread, at)),
            }
        }
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
        self.quiet_wake_up(thread, parked, polls, told);
        let index = self.parked.iter().position(|p| p.thread == thread);
        match (parked, index) {
            (Some(true), None) => self.parks(thread, at, caller, told),
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

    /// A quiet wake-up that was not only a look at the clock: the thread
    /// polled something since. Told now, with its own time.
    fn quiet_wake_up(
        &mut self,
        thread: u32,
        parked: Option<bool>,
        polls: u64,
        told: &mut Vec<(Duration, Step)>,
    ) {
        let Some(i) = self.parked.iter().position(|p| p.thread == thread) else {
            return;
        };
        let Some((woke, at_polls)) = self.parked[i].quiet else {
            return;
        };
        if parked == Some(true) && polls == at_polls {
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

    /// A thread that polled the narrated tasks parks: told, up to
    /// [`PARKS_TOLD`] times.
    fn parks(&mut self, thread: u32, at: Duration, caller: bool, told: &mut Vec<(Duration, Step)>) {
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
                l.strip_prefix(crate::report::narration::MARK)
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

    fn ended(at: Duration, task: u32, took: Duration, ready: bool) -> RunEvent<'static> {
        poll(at, task, PollStep::Ended { took, ready })
    }

    fn call(at: Duration, task: u32, step: CallStep) -> RunEvent<'static> {
        poll(at, task, PollStep::Call(step))
    }

    /// Task 2 waits, ready, for its first poll while task 1's poll holds
    /// the thread: the clause names task 1 and the part of the wait it
    /// took, from the polls seen on that thread.
    #[test]
    fn a_ready_wait_names_the_poll_that_held_the_thread() {
        let mut narrator = narrator(Mode::Blocking, 2);
        let lines = told(
            &mut narrator,
            &[
                poll(ms(1), 1, PollStep::Began),
                ended(ms(201), 1, ms(200), true),
                poll(ms(202), 2, PollStep::Began),
            ],
        );
        let last = lines.last().unwrap();
        assert!(
            last.ends_with(
                "it waited 202.000 ms, ready since the start, for the thread: task 1's poll \
                 held it for 200.000 ms of that."
            ),
            "{lines:#?}"
        );
    }

    /// A timer due at 300 ms, and task 2 holding the one thread from 1 ms
    /// on, in a poll that never returns: when the run stalls at 1000 ms,
    /// the model has task 1 overdue since its deadline plus the wheel's
    /// rounding, and the step says so with the holder.
    #[test]
    fn a_stalled_run_names_the_overdue_timer_from_the_model() {
        let mut narrator = narrator(Mode::Async, 3);
        let lines = told(
            &mut narrator,
            &[
                poll(ms(0), 1, PollStep::Began),
                call(ms(0), 1, CallStep::Armed { due: ms(300) }),
                ended(ms(1), 1, ms(1), false),
                poll(ms(1), 2, PollStep::Began),
                RunEvent::Stalled { at: ms(1000) },
            ],
        );
        let overdue = &lines[lines.len() - 2];
        assert!(
            overdue.starts_with("task 1's deadline passed 0.699 s ago")
                && overdue.contains("only when thread 1 parks")
                && overdue.contains("task 2 holds thread 1"),
            "{lines:#?}"
        );
        // Task 3 was never polled: ready since the start, behind task 2.
        assert_eq!(
            lines.last().unwrap(),
            "task 3 has waited 1000.000 ms, ready since the start, and was never polled: \
             task 2 holds thread 1 in a poll that has not returned."
        );
        // Task 2 is in no timer: nothing said of it.
        assert_eq!(lines.iter().filter(|l| l.contains("deadline")).count(), 1);
    }

    /// The same timer fired late, once with the thread parked across the
    /// deadline (not overdue: the driver was there) and once with the
    /// thread busy (overdue until the wake-up).
    #[test]
    fn a_late_wake_up_is_overdue_only_while_no_thread_was_parked() {
        for parked_through in [true, false] {
            let mut narrator = narrator(Mode::Async, 1);
            let mut events = vec![
                poll(ms(0), 1, PollStep::Began),
                call(ms(0), 1, CallStep::Armed { due: ms(100) }),
                ended(ms(1), 1, ms(1), false),
            ];
            if parked_through {
                events.push(park(ms(2), true));
            }
            events.push(poll(ms(150), 1, PollStep::Woken));
            let lines = told(&mut narrator, &events);
            let woken = lines.iter().find(|l| l.contains("is woken")).unwrap();
            assert_eq!(
                woken.contains("Its deadline had passed 49.000 ms before that"),
                !parked_through,
                "{woken}"
            );
        }
    }

    /// A query that asks while every connection is busy: its Pending says
    /// queued, and the connection taking it later is told with the time it
    /// waited.
    #[test]
    fn a_query_queued_then_sent_is_told_with_its_queue_time() {
        let mut config_narrator = {
            let workload = Workload {
                tasks: Some(3),
                delay: Duration::from_millis(200),
                work: crate::vocab::Work::Sleep,
            };
            let way = Way::with_defaults(Mode::Async, RuntimeKind::CurrentThread, false);
            let mut config = Config::of_way(Demo::Query, &workload, way);
            config.format = Format::Text;
            config.explain = true;
            Narrator::new(&config, Arc::new(Rest::default()))
        };
        let lines = told(
            &mut config_narrator,
            &[
                poll(ms(0), 3, PollStep::Began),
                call(
                    ms(0),
                    3,
                    CallStep::QueryQueued {
                        busy: 2,
                        connections: 2,
                    },
                ),
                ended(ms(1), 3, ms(1), false),
                call(ms(201), 3, CallStep::QuerySent { connection: 1 }),
            ],
        );
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with("task 3's poll returns Pending")
                    && l.contains("its query is queued: all 2 connections are busy")),
            "{lines:#?}"
        );
        assert!(
            lines.last().unwrap().starts_with(
                "task 3's query is taken by connection 1's thread, 201.000 ms after it asked"
            ),
            "{lines:#?}"
        );
    }
}
