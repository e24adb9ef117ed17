//! The task-state model: what each task was doing at every moment, built
//! only from what the run observed, and the one place a state is decided.
//!
//! # What goes in: observations
//!
//! The model's input is a plain list of [`Observed`] events (a number, a
//! task, a thread, and what happened), plus the runtime threads' parks
//! ([`Park`]). Each one is something the program *saw*, never something it
//! worked out from the clock:
//!
//! - a poll began and returned (`Pending` or `Ready`): the poll wrapper in
//!   [`crate::events::Polled`] times it;
//! - the task's waker was called: the poll wrapper hands the coroutine a
//!   waker of ours ([`Log`] wraps it) that notes the call, then forwards it;
//! - a timer was armed, with its deadline: the sleep itself says when it is
//!   due (`tokio::time::Sleep::deadline`), the moment it is created;
//! - a call was handed to the blocking pool, and a pool thread *began* it:
//!   the closure notes its own entry, so a call that sat in the pool's
//!   queue is seen as queued;
//! - a blocking call began and ended inside a poll (the thread is held);
//! - the `lock` demo's task asked for tokio's lock and got it.
//!
//! A recording of a run (issue 33) is exactly this list and the parks: the
//! types are small, `Copy`, and hold nothing but numbers.
//!
//! # What comes out: spans
//!
//! For each task, a sequence of [`Span`]s, each in one [`TaskState`]:
//! polled, held, sleeping, overdue, ready, queued, in the pool, or waiting
//! for the lock; before its first event a task of a runtime is ready (every
//! coroutine is scheduled when `join_all` or `spawn` creates it), and after
//! its last poll it is done. Every view (the pictures, the live view, the
//! JSON records, `peak_overlap` in the pictures' runs) reads these.
//!
//! # Overdue
//!
//! A sleep is *overdue* once its deadline has passed while no thread that
//! could fire the timer was parked. tokio's timers are fired by the time
//! driver, and the driver runs only when a runtime thread parks on it (or
//! between polls, every `event_interval` ticks): a thread that is busy,
//! or held in a blocking call, fires nothing. On a current-thread runtime
//! that is the one thread, so while a task holds it, every other task's
//! deadline passes unnoticed, and nobody calls their wakers. tokio-console
//! would show such a task IDLE, not SCHED: it is not ready, only late. The
//! timer's own rounding (the wheel fires on whole milliseconds) is drawn as
//! sleeping: [`TIMER_ROUNDING`].
//!
//! # Nothing when nobody listens
//!
//! A [`Log`] exists only when a view asked for the model; a plain run has
//! none, and its waits check one `Option` per task, not per poll.

use crate::events::PollFollower;
use crate::vocab::Park;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::Waker;
use std::time::Duration;
use tokio::time::Instant;

/// How late a timer may fire and still be drawn as sleeping: tokio's
/// wheel rounds deadlines up to whole milliseconds.
pub(crate) const TIMER_ROUNDING: Duration = Duration::from_millis(1);

/// One thing the run saw happen to one task: the model's whole input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Observed {
    /// Nanoseconds since the start of the run.
    pub(crate) at: u64,
    /// The task, numbered from 1.
    pub(crate) task: u32,
    /// The OS thread it happened on (numbered as `events::thread_number`).
    pub(crate) thread: u32,
    /// What happened.
    pub(crate) what: What,
}

/// What an [`Observed`] event saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum What {
    /// A poll that began at `at`, returned after `took` nanoseconds,
    /// `Ready` (the task ended) or `Pending`.
    Polled {
        /// How long the poll held its thread, in nanoseconds.
        took: u64,
        /// `Poll::Ready`, rather than `Poll::Pending`.
        ready: bool,
    },
    /// Somebody called the task's waker.
    Woken,
    /// The task printed its first line (`true`) or its last: kept for the
    /// JSON records, no change of state.
    Line {
        /// The first line, rather than the last.
        first: bool,
    },
    /// The task created a timer that is due at `deadline` (nanoseconds
    /// since the start of the run).
    Armed {
        /// When the timer is due.
        deadline: u64,
    },
    /// The task handed a call to the blocking pool (`spawn_blocking`).
    Queued,
    /// A pool thread began the task's call.
    PoolStarted,
    /// The pool thread finished the task's call.
    PoolEnded,
    /// A blocking call began inside the task's poll: it holds the thread.
    HeldBegan,
    /// The blocking call ended; the poll goes on.
    HeldEnded,
    /// The task asked for tokio's lock (its `lock().await` began).
    LockAsked,
    /// The task got tokio's lock.
    LockGot,
    /// The task's call began elsewhere, and it awaits the answer with its
    /// thread free: `query`'s async drivers, once a connection has taken
    /// the query (the connection's own thread for SQLite, the server for
    /// PostgreSQL). Until then, since [`What::Queued`], it was queued.
    Sent,
}

/// What a task is doing during a span of its lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TaskState {
    /// Its own code runs: the executor is inside its `poll` (tokio-console:
    /// RUNNING).
    Polled,
    /// A blocking call inside its poll holds the thread: no code runs, and
    /// nothing else can run there.
    Held,
    /// It returned `Pending` with a timer, a socket or a pool call's reply
    /// armed, and nobody has woken it (tokio-console: IDLE).
    Sleeping,
    /// Its timer's deadline has passed, but no thread that could fire the
    /// timer was parked: nobody has noticed (still IDLE).
    Overdue,
    /// Its waker was called; it waits to be polled (tokio-console: SCHED).
    Ready,
    /// Its call waits for a free blocking-pool thread.
    Queued,
    /// A blocking-pool thread runs its call.
    InPool,
    /// It waits for tokio's lock (`Pending`, its thread free).
    Lock,
}

impl TaskState {
    /// Every state, in the order a legend lists them.
    pub(crate) const ALL: [TaskState; 8] = [
        TaskState::Polled,
        TaskState::Held,
        TaskState::Sleeping,
        TaskState::Overdue,
        TaskState::Ready,
        TaskState::Queued,
        TaskState::InPool,
        TaskState::Lock,
    ];

    /// Whether a task in this state is *waiting* in the sense of
    /// `peak_overlap`: its wait is in progress (a timer armed or overdue,
    /// a pool thread on its call, a blocking call holding its thread).
    /// A call queued for a pool thread is not in progress yet, and a task
    /// ready or polled is not waiting. The run's `peak_overlap` is counted
    /// while it goes, by the sink, with the same rule for pool calls
    /// (counted from a pool thread's start); the model's count, from these
    /// states, is what the tests hold it to.
    #[cfg(test)]
    pub(crate) const fn waits(self) -> bool {
        matches!(
            self,
            TaskState::Sleeping | TaskState::Overdue | TaskState::InPool | TaskState::Held
        )
    }

    /// Its name, in a trace file's slices.
    pub(crate) const fn word(self) -> &'static str {
        match self {
            TaskState::Polled => "polled",
            TaskState::Held => "held",
            TaskState::Sleeping => "sleeping",
            TaskState::Overdue => "overdue",
            TaskState::Ready => "ready",
            TaskState::Queued => "queued",
            TaskState::InPool => "in the pool",
            TaskState::Lock => "waiting for the lock",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A stretch of one task's lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) from: Duration,
    pub(crate) to: Duration,
    pub(crate) state: TaskState,
}

/// When the tasks come into being.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Birth {
    /// All at the start, scheduled (a runtime's `join_all` or `spawn`):
    /// ready until first polled.
    AtStart,
    /// Each at its own first event (a thread per task, no runtime).
    OnItsOwn,
}

/// The model of one run: every task's spans, on demand.
///
/// The observations are kept grouped by task (a counting sort, linear in
/// the number of events) and a task's spans are built when a view asks,
/// so a million-task run holds its events once, not its spans as well.
pub(crate) struct Model {
    /// The observations, grouped by task (task 1's first).
    events: Vec<Observed>,
    /// Where each task's events begin in `events`; one more entry than tasks.
    starts: Vec<usize>,
    /// When no thread that could fire a timer was parked, in time order.
    driver_busy: Vec<(Duration, Duration)>,
    /// The end of the picture: where a task still waiting is cut.
    end: Duration,
    birth: Birth,
}

fn ns(at: u64) -> Duration {
    Duration::from_nanos(at)
}

impl Model {
    /// The model of a run of `tasks` tasks from what it observed, up to
    /// `end`. `parks` are the runtime threads' parks and wake-ups; `timer
    /// threads` are the threads that may fire timers (the runtime's
    /// threads: a current-thread runtime's one, or a multi-thread
    /// runtime's workers), `None` to take every thread in `parks`.
    pub(crate) fn new(
        observed: &[Observed],
        parks: &[Park],
        (tasks, birth): (u32, Birth),
        end: Duration,
    ) -> Model {
        let tasks = tasks as usize;
        // Counting sort by task: each task's events keep their order.
        let mut starts = vec![0usize; tasks + 2];
        for event in observed.iter().filter(|e| (e.task as usize) <= tasks) {
            starts[event.task as usize + 1] += 1;
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut fill = starts.clone();
        let filler = Observed {
            at: 0,
            task: 0,
            thread: 0,
            what: What::Woken,
        };
        let mut events = vec![filler; starts[tasks + 1]];
        for event in observed.iter().filter(|e| (e.task as usize) <= tasks) {
            let slot = &mut fill[event.task as usize];
            events[*slot] = *event;
            *slot += 1;
        }
        starts.remove(0);
        Model {
            events,
            starts,
            driver_busy: nobody_parked(parks, end),
            end,
            birth,
        }
    }

    /// How many tasks the model knows.
    pub(crate) fn tasks(&self) -> u32 {
        (self.starts.len() - 1) as u32
    }

    /// The observations of task `task` (from 1), in the order they came.
    fn of(&self, task: u32) -> &[Observed] {
        let i = task as usize - 1;
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.events[a..b],
            _ => &[],
        }
    }

    /// The spans of task `task`, in time order, empty ones left out.
    pub(crate) fn spans(&self, task: u32) -> Vec<Span> {
        if task == 0 || task > self.tasks() {
            return Vec::new();
        }
        spans_of(self.of(task), self.birth, &self.driver_busy, self.end)
    }

    /// What task `task` was doing at `t`: `None` before it began or after
    /// it ended.
    #[cfg(test)]
    pub(crate) fn state_at(&self, task: u32, t: Duration) -> Option<TaskState> {
        self.spans(task)
            .into_iter()
            .find(|s| s.from <= t && t < s.to)
            .map(|s| s.state)
    }

    /// Whether task `task` ran to its end (its last poll returned `Ready`).
    #[cfg(test)]
    pub(crate) fn finished(&self, task: u32) -> bool {
        self.of(task)
            .iter()
            .any(|e| matches!(e.what, What::Polled { ready: true, .. }))
    }

    /// The most tasks whose wait was in progress at one moment
    /// ([`TaskState::waits`]).
    #[cfg(test)]
    pub(crate) fn peak_overlap(&self) -> u32 {
        let mut steps: Vec<(Duration, i32)> = Vec::new();
        for task in 1..=self.tasks() {
            let mut open: Option<Duration> = None;
            for span in self.spans(task) {
                match (span.state.waits(), open) {
                    (true, None) => open = Some(span.from),
                    (false, Some(from)) => {
                        steps.push((from, 1));
                        steps.push((span.from, -1));
                        open = None;
                    }
                    _ => {}
                }
            }
            if let Some(from) = open {
                steps.push((from, 1));
                steps.push((self.end.max(from) + Duration::from_nanos(1), -1));
            }
        }
        // Ends before starts at one instant: a wait handed over is not two.
        steps.sort_unstable();
        let (mut now, mut peak) = (0i32, 0i32);
        for (_, step) in steps {
            now += step;
            peak = peak.max(now);
        }
        peak as u32
    }

    /// Each wake-up of task `task` and the poll it led to: when its waker
    /// was first called after a poll began, and when the next poll began.
    pub(crate) fn flows(&self, task: u32) -> Vec<(Duration, Duration)> {
        let mut events: Vec<&Observed> = self.of(task).iter().collect();
        events.sort_by_key(|e| e.at);
        let mut out = Vec::new();
        let mut woken: Option<Duration> = None;
        for event in events {
            match event.what {
                What::Woken => {
                    woken.get_or_insert(ns(event.at));
                }
                What::Polled { .. } => {
                    if let Some(at) = woken.take() {
                        out.push((at, ns(event.at).max(at)));
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Every blocking call that held a thread: the thread, from, to (to
    /// `end` for a call still in progress there). In task order.
    pub(crate) fn held(&self, end: Duration) -> Vec<(u32, Duration, Duration)> {
        let mut out = Vec::new();
        for task in 1..=self.tasks() {
            let mut open: Option<(u32, Duration)> = None;
            for event in self.of(task) {
                match (event.what, open) {
                    (What::HeldBegan, _) => open = Some((event.thread, ns(event.at))),
                    (What::HeldEnded, Some((thread, from))) => {
                        out.push((thread, from, ns(event.at)));
                        open = None;
                    }
                    _ => {}
                }
            }
            if let Some((thread, from)) = open {
                out.push((thread, from, end.max(from)));
            }
        }
        out
    }

    /// Task `task`'s record: time in each state, its polls, its longest.
    pub(crate) fn record(&self, task: u32) -> Record {
        let mut record = Record::default();
        for span in self.spans(task) {
            record.time[span.state.index()] += span.to - span.from;
        }
        for event in self.of(task) {
            match event.what {
                What::Polled { took, .. } => {
                    record.polls += 1;
                    record.longest_poll = record.longest_poll.max(ns(took));
                }
                What::Line { first: true } => record.first_line = Some(ns(event.at)),
                What::Line { first: false } => record.last_line = Some(ns(event.at)),
                _ => {}
            }
        }
        record
    }
}

/// One task's account: how long it spent in each state, how many times it
/// was polled, and its longest poll.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Record {
    /// Time in each state, indexed as [`TaskState::ALL`].
    pub(crate) time: [Duration; 8],
    /// Polls.
    pub(crate) polls: u32,
    /// The longest poll.
    pub(crate) longest_poll: Duration,
    /// When it printed its first and its last line.
    pub(crate) first_line: Option<Duration>,
    pub(crate) last_line: Option<Duration>,
}

impl Record {
    /// Time spent in `state`.
    pub(crate) fn time_in(&self, state: TaskState) -> Duration {
        self.time[state.index()]
    }
}

/// The intervals up to `end` in which no thread of `parks` was parked: no
/// thread was there to fire a due timer. Each thread counts as unparked
/// from the start until its first event says otherwise.
fn nobody_parked(parks: &[Park], end: Duration) -> Vec<(Duration, Duration)> {
    let mut threads: Vec<(u32, bool)> = Vec::new();
    for park in parks {
        if !threads.iter().any(|t| t.0 == park.thread) {
            threads.push((park.thread, false));
        }
    }
    let mut out = Vec::new();
    let mut since = Some(Duration::ZERO);
    let mut in_order: Vec<&Park> = parks.iter().collect();
    in_order.sort_by_key(|p| p.at);
    for park in in_order {
        if let Some(slot) = threads.iter_mut().find(|t| t.0 == park.thread) {
            slot.1 = park.parked;
        }
        let any_parked = threads.iter().any(|t| t.1);
        match (any_parked, since) {
            (true, Some(from)) => {
                if park.at > from {
                    out.push((from, park.at));
                }
                since = None;
            }
            (false, None) => since = Some(park.at),
            _ => {}
        }
    }
    if let Some(from) = since {
        if end > from {
            out.push((from, end));
        }
    }
    out
}

/// What a task is waiting for between polls, as far as it has told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reason {
    /// Nothing said: a socket, a join handle, anything with a waker.
    Unknown,
    /// A timer, due then.
    Timer(Duration),
    Queued,
    InPool,
    Lock,
}

/// The spans of one task from its observations (see [`Model::spans`]).
fn spans_of(
    events: &[Observed],
    birth: Birth,
    driver_busy: &[(Duration, Duration)],
    end: Duration,
) -> Vec<Span> {
    // The changes of state, in time order: a poll is two (begin, return).
    let mut changes: Vec<(Duration, u8, Change)> = Vec::with_capacity(events.len() + 2);
    for event in events {
        match event.what {
            What::Polled { took, ready } => {
                changes.push((ns(event.at), 0, Change::Begin));
                changes.push((ns(event.at + took), 2, Change::Return(ready)));
            }
            what => changes.push((ns(event.at), 1, Change::Event(what))),
        }
    }
    // At one instant: a poll begins before what it does, and returns after.
    changes.sort_by_key(|c| (c.0, c.1));
    let mut sweep = Sweep::new(birth);
    let mut spans: Vec<(Duration, State)> = Vec::with_capacity(changes.len() + 1);
    if let Some(state) = sweep.now {
        spans.push((Duration::ZERO, state));
    }
    for (at, _, change) in changes {
        if let Some(state) = sweep.apply(change) {
            match spans.last_mut() {
                Some(last) if last.0 == at => *last = (at, state),
                _ => spans.push((at, state)),
            }
        }
    }
    // Each state lasts until the next one, the last to the end.
    let mut out = Vec::with_capacity(spans.len() + 2);
    for (i, &(from, state)) in spans.iter().enumerate() {
        let to = spans.get(i + 1).map_or(end.max(from), |s| s.0);
        if to <= from {
            continue;
        }
        match state {
            State::Done => {}
            State::Sleep(Some(deadline)) => {
                overdue(&mut out, (from, to), deadline + TIMER_ROUNDING, driver_busy)
            }
            State::Sleep(None) => out.push(span(from, to, TaskState::Sleeping)),
            State::Polled => out.push(span(from, to, TaskState::Polled)),
            State::Held => out.push(span(from, to, TaskState::Held)),
            State::Ready => out.push(span(from, to, TaskState::Ready)),
            State::Queued => out.push(span(from, to, TaskState::Queued)),
            State::InPool => out.push(span(from, to, TaskState::InPool)),
            State::Lock => out.push(span(from, to, TaskState::Lock)),
        }
    }
    out
}

/// One change in a task's life, in the order it happened: a poll begins,
/// a poll returns (`Ready` or not), or something else was observed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    Begin,
    Return(bool),
    Event(What),
}

/// Where one task stands as its changes come in: the one transition rule
/// of the model, shared by the spans drawn after the run ([`spans_of`])
/// and the tally a live view reads during it ([`Tally`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sweep {
    /// Its state now; `None` before it began (a thread of its own).
    now: Option<State>,
    in_poll: bool,
    /// Its waker was called since its last poll began.
    woken: bool,
    /// What it waits for between polls.
    reason: Reason,
}

impl Sweep {
    fn new(birth: Birth) -> Sweep {
        Sweep {
            now: (birth == Birth::AtStart).then_some(State::Ready),
            in_poll: false,
            woken: false,
            reason: Reason::Unknown,
        }
    }

    /// The state between polls, from what the task waits for.
    fn between(&self) -> State {
        match (self.woken, self.reason) {
            (true, _) => State::Ready,
            (_, Reason::Timer(deadline)) => State::Sleep(Some(deadline)),
            (_, Reason::Unknown) => State::Sleep(None),
            (_, Reason::Queued) => State::Queued,
            (_, Reason::InPool) => State::InPool,
            (_, Reason::Lock) => State::Lock,
        }
    }

    /// Takes `change`; returns the new state if it changed.
    fn apply(&mut self, change: Change) -> Option<State> {
        let next = match change {
            Change::Begin => {
                self.in_poll = true;
                self.woken = false;
                State::Polled
            }
            Change::Return(true) => {
                self.in_poll = false;
                State::Done
            }
            Change::Return(false) => {
                self.in_poll = false;
                self.between()
            }
            Change::Event(what) => {
                match what {
                    What::Woken => self.woken = true,
                    What::Armed { deadline } => self.reason = Reason::Timer(ns(deadline)),
                    What::Queued => self.reason = Reason::Queued,
                    What::PoolStarted => self.reason = Reason::InPool,
                    // After its call, the pool thread still completes the
                    // task's join handle and calls its waker: in the pool
                    // until that wake.
                    What::PoolEnded => {}
                    What::LockGot | What::Sent => self.reason = Reason::Unknown,
                    What::LockAsked => self.reason = Reason::Lock,
                    What::HeldBegan | What::HeldEnded | What::Polled { .. } | What::Line { .. } => {
                    }
                }
                match what {
                    What::Line { .. } => return None,
                    What::HeldBegan => State::Held,
                    What::HeldEnded => State::Polled,
                    _ if self.in_poll || self.now == Some(State::Done) => return None,
                    _ => self.between(),
                }
            }
        };
        if self.now == Some(next) {
            return None;
        }
        self.now = Some(next);
        Some(next)
    }
}

/// The model's states while it sweeps a task's changes: the spans' states,
/// with a sleep's deadline, and the end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Polled,
    Held,
    Sleep(Option<Duration>),
    Ready,
    Queued,
    InPool,
    Lock,
    Done,
}

fn span(from: Duration, to: Duration, state: TaskState) -> Span {
    Span { from, to, state }
}

/// A sleep from `from` to `to`, overdue past `due` wherever nobody could
/// fire the timer (`busy`, in time order).
fn overdue(
    out: &mut Vec<Span>,
    (from, to): (Duration, Duration),
    due: Duration,
    busy: &[(Duration, Duration)],
) {
    let mut at = from;
    let first = busy.partition_point(|&(_, b)| b <= due.max(from));
    for &(a, b) in busy[first..].iter().take_while(|(a, _)| *a < to) {
        let (a, b) = (a.max(due).max(from), b.min(to));
        if b <= a {
            continue;
        }
        if a > at {
            out.push(span(at, a, TaskState::Sleeping));
        }
        out.push(span(a, b, TaskState::Overdue));
        at = b;
    }
    if to > at {
        out.push(span(at, to, TaskState::Sleeping));
    }
}

/// The observations of a run in progress, taken by whoever saw them: the
/// poll wrapper (polls, and wakes through its waker), the waits (timers,
/// pool calls, blocking calls), the `lock` demo. Shared by the tasks; one
/// lock, taken briefly per observation.
///
/// It keeps the observations for the pictures drawn after the run, and,
/// for a view drawn during it (`--live`), a [`Tally`]: every task's state
/// now, moved by the same rule as the pictures' spans.
pub(crate) struct Log {
    /// The run's `t = 0`; unset until it starts.
    start: std::sync::OnceLock<Instant>,
    /// The highest task whose polls, wakes, timers and lines are observed:
    /// a view asks only for the tasks it shows (`--timeline` draws ten,
    /// the JSON lists 10,000), so a million-task run observes no more. The
    /// calls that hold a thread, the pool's calls and the lock's steps are
    /// observed for every task (the thread lanes draw them all).
    limit: std::sync::atomic::AtomicU32,
    inner: Mutex<Inner>,
    /// Whether there is a tally: read without the lock at each poll's
    /// beginning, which only a tally needs to hear.
    tallying: std::sync::atomic::AtomicBool,
}

struct Inner {
    /// Whether to keep the observations (for the pictures).
    keep: bool,
    events: Vec<Observed>,
    /// The runtime threads' parks and wake-ups, for the overdue spans.
    parks: Vec<Park>,
    /// How many tasks a trace file draws at its end ([`Log::of_tasks`]),
    /// and their observations, kept back when the summary takes the rest.
    traced: (u32, Vec<Observed>),
    /// The states now, for a live view.
    tally: Option<Tally>,
}

impl Inner {
    /// Keeps back the observations of the tasks a trace file draws, once.
    fn keep_traced(&mut self) {
        let tasks = self.traced.0;
        if tasks > 0 && self.traced.1.is_empty() {
            self.traced.1 = self
                .events
                .iter()
                .filter(|e| e.task <= tasks)
                .copied()
                .collect();
        }
    }
}

/// At most this many parks and wake-ups are kept (16 bytes each).
const MAX_PARKS: usize = 100_000;

/// What the model is built from: the observations and the threads' parks,
/// as a finished run hands them over (and as a recording would keep them).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Observations {
    pub(crate) events: Vec<Observed>,
    pub(crate) parks: Vec<Park>,
}

/// Every task's state during the run, for a view that draws it live: how
/// many tasks are in each state, the changes of the first few tasks (its
/// lanes), and the deadlines of those asleep (to tell the overdue ones).
struct Tally {
    sweeps: Vec<Sweep>,
    /// Tasks per [`Tally::slot`].
    counts: [u32; SLOTS],
    /// Tasks asleep on a timer, by the millisecond past which they are
    /// overdue (deadline plus [`TIMER_ROUNDING`], rounded up).
    due: std::collections::BTreeMap<u64, u32>,
    /// The first tasks' changes: when, and the state from then on.
    lanes: Vec<Vec<(Duration, Option<State>)>>,
}

/// The tally's slots: the eight [`TaskState`]s, done, and not begun.
const SLOTS: usize = 10;
const DONE: usize = 8;
const NOT_BEGUN: usize = 9;

impl Tally {
    fn new(tasks: u32, birth: Birth, lanes: usize) -> Tally {
        let sweep = Sweep::new(birth);
        let mut counts = [0; SLOTS];
        counts[Tally::slot(sweep.now)] = tasks;
        let shown = lanes.min(tasks as usize);
        Tally {
            sweeps: vec![sweep; tasks as usize],
            counts,
            due: std::collections::BTreeMap::new(),
            lanes: (0..shown)
                .map(|_| vec![(Duration::ZERO, sweep.now)])
                .collect(),
        }
    }

    fn slot(state: Option<State>) -> usize {
        match state {
            None => NOT_BEGUN,
            Some(State::Done) => DONE,
            Some(State::Sleep(_)) => TaskState::Sleeping.index(),
            Some(State::Polled) => TaskState::Polled.index(),
            Some(State::Held) => TaskState::Held.index(),
            Some(State::Ready) => TaskState::Ready.index(),
            Some(State::Queued) => TaskState::Queued.index(),
            Some(State::InPool) => TaskState::InPool.index(),
            Some(State::Lock) => TaskState::Lock.index(),
        }
    }

    fn due_ms(state: Option<State>) -> Option<u64> {
        match state {
            Some(State::Sleep(Some(deadline))) => {
                Some((deadline + TIMER_ROUNDING).as_nanos().div_ceil(1_000_000) as u64)
            }
            _ => None,
        }
    }

    /// Task `task` took `change` at `at`.
    fn apply(&mut self, task: u32, at: Duration, change: Change) {
        let Some(sweep) = (task as usize)
            .checked_sub(1)
            .and_then(|i| self.sweeps.get_mut(i))
        else {
            return;
        };
        let before = sweep.now;
        let Some(after) = sweep.apply(change) else {
            return;
        };
        self.counts[Tally::slot(before)] -= 1;
        self.counts[Tally::slot(Some(after))] += 1;
        if let Some(ms) = Tally::due_ms(before) {
            if let Some(n) = self.due.get_mut(&ms) {
                *n -= 1;
                if *n == 0 {
                    self.due.remove(&ms);
                }
            }
        }
        if let Some(ms) = Tally::due_ms(Some(after)) {
            *self.due.entry(ms).or_default() += 1;
        }
        if let Some(lane) = self.lanes.get_mut(task as usize - 1) {
            lane.push((at, Some(after)));
        }
    }
}

/// What a live view reads of the tally at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Counts {
    /// Tasks in each state, indexed as [`TaskState::ALL`].
    pub(crate) states: [u32; 8],
    /// Tasks that ended.
    pub(crate) done: u32,
    /// Tasks not begun (on a thread of their own not started yet).
    pub(crate) not_begun: u32,
}

impl Counts {
    /// Tasks in `state`.
    pub(crate) fn of(&self, state: TaskState) -> u32 {
        self.states[state.index()]
    }
}

/// One change of a live lane: from `at`, the task is in this state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LaneChange {
    pub(crate) at: Duration,
    state: Option<State>,
}

impl LaneChange {
    /// Whether the task had ended by then.
    pub(crate) fn ended(&self) -> bool {
        self.state == Some(State::Done)
    }

    /// The task's state at `t` (at or after this change, before the next),
    /// when `timers_free` says whether a thread that could fire a timer was
    /// parked then: `None` once it ended or before it began.
    pub(crate) fn at(&self, t: Duration, timers_free: bool) -> Option<TaskState> {
        match self.state? {
            State::Done => None,
            State::Sleep(Some(deadline)) if !timers_free && t > deadline + TIMER_ROUNDING => {
                Some(TaskState::Overdue)
            }
            State::Sleep(_) => Some(TaskState::Sleeping),
            State::Polled => Some(TaskState::Polled),
            State::Held => Some(TaskState::Held),
            State::Ready => Some(TaskState::Ready),
            State::Queued => Some(TaskState::Queued),
            State::InPool => Some(TaskState::InPool),
            State::Lock => Some(TaskState::Lock),
        }
    }
}

#[cfg(test)]
impl LaneChange {
    /// A change at `at` to `state` (`None`: the task ended), a sleep due
    /// at `due`: for the live view's tests.
    pub(crate) fn test(at: Duration, state: Option<TaskState>, due: Option<Duration>) -> Self {
        let state = state.map(|s| match s {
            TaskState::Polled => State::Polled,
            TaskState::Held => State::Held,
            TaskState::Sleeping | TaskState::Overdue => State::Sleep(due),
            TaskState::Ready => State::Ready,
            TaskState::Queued => State::Queued,
            TaskState::InPool => State::InPool,
            TaskState::Lock => State::Lock,
        });
        LaneChange {
            at,
            state: Some(state.unwrap_or(State::Done)),
        }
    }
}

#[cfg(test)]
impl Counts {
    /// These many tasks in these states, `done` ended: for tests.
    pub(crate) fn test(states: &[(TaskState, u32)], done: u32) -> Counts {
        let mut counts = Counts {
            done,
            ..Counts::default()
        };
        for &(state, n) in states {
            counts.states[state.index()] = n;
        }
        counts
    }
}

impl Log {
    /// An empty log that keeps its observations when `keep` (the
    /// pictures); the run's start comes later ([`Log::started`]).
    pub(crate) fn new(keep: bool) -> Log {
        Log {
            start: std::sync::OnceLock::new(),
            limit: std::sync::atomic::AtomicU32::new(u32::MAX),
            inner: Mutex::new(Inner {
                keep,
                events: Vec::new(),
                parks: Vec::new(),
                traced: (0, Vec::new()),
                tally: None,
            }),
            tallying: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// A log that holds `observed` already: a recorded run's, for a replay
    /// (`crate::record`).
    pub(crate) fn of(observed: Vec<Observed>) -> Log {
        let log = Log::new(true);
        log.lock().events = observed;
        log
    }

    /// Also keeps every task's state now, and the changes of the first
    /// `lanes` tasks, for a live view of `tasks` tasks born as `birth`.
    pub(crate) fn tally(&self, tasks: u32, birth: Birth, lanes: usize) {
        self.lock().tally = Some(Tally::new(tasks, birth, lanes));
        self.tallying
            .store(true, std::sync::atomic::Ordering::Relaxed);
    }

    /// Keeps the observations from now on (a trace file asks for them
    /// after a live view made the log).
    pub(crate) fn keep(&self) {
        self.lock().keep = true;
    }

    /// Observes the polls, wakes, timers and lines of tasks 1 to `tasks`
    /// only (see [`Log::observes`]); a later call may widen it, never
    /// narrow it below what another view asked for.
    pub(crate) fn limit(&self, tasks: u32, widen: bool) {
        use std::sync::atomic::Ordering::Relaxed;
        if widen {
            self.limit.fetch_max(tasks, Relaxed);
        } else {
            self.limit.store(tasks, Relaxed);
        }
    }

    /// How many tasks are observed (see [`Log::observes`]).
    pub(crate) fn observed_tasks(&self) -> u32 {
        self.limit.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether task `task`'s polls, wakes, timers and lines are observed.
    pub(crate) fn observes(&self, task: u32) -> bool {
        task <= self.limit.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A runtime thread parked or woke.
    pub(crate) fn park(&self, park: Park) {
        let mut inner = self.lock();
        if inner.parks.len() < MAX_PARKS {
            inner.parks.push(park);
        }
    }

    /// A trace file will ask for the observations of tasks 1 to `tasks`
    /// ([`Log::of_tasks`]) when it ends, which may be after the summary
    /// took them.
    pub(crate) fn trace(&self, tasks: u32) {
        self.lock().traced.0 = tasks;
    }

    /// The observations of the tasks a trace file draws.
    pub(crate) fn of_tasks(&self) -> Vec<Observed> {
        let mut inner = self.lock();
        inner.keep_traced();
        inner.traced.1.clone()
    }

    /// Makes room for `count` events up front.
    pub(crate) fn reserve(&self, count: usize) -> Result<(), std::collections::TryReserveError> {
        let mut inner = self.lock();
        if inner.keep {
            inner.events.try_reserve(count)?;
        }
        Ok(())
    }

    /// The run starts at `at`.
    pub(crate) fn started(&self, at: Instant) {
        let _ = self.start.set(at);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Nanoseconds from the start of the run to `at`.
    fn since_start(&self, at: Instant) -> u64 {
        self.start.get().map_or(0, |s| {
            u64::try_from(at.saturating_duration_since(*s).as_nanos()).unwrap_or(u64::MAX)
        })
    }

    /// Notes that `what` happened to task `task` at `at`, on this thread.
    fn note_at(&self, task: u32, at: Instant, what: What) {
        let event = Observed {
            at: self.since_start(at),
            task,
            thread: crate::events::thread_number(),
            what,
        };
        let mut inner = self.lock();
        if let Some(tally) = &mut inner.tally {
            let change = match what {
                // Its beginning was told when it began ([`Log::began`]).
                What::Polled { ready, .. } => Change::Return(ready),
                what => Change::Event(what),
            };
            let at = ns(event.at);
            let at = match what {
                What::Polled { took, .. } => at + ns(took),
                _ => at,
            };
            tally.apply(task, at, change);
        }
        if inner.keep {
            inner.events.push(event);
        }
    }

    /// A poll of task `task` begins: only a live tally needs to know now
    /// (the pictures learn of it when the poll returns, in one event).
    fn began(&self, task: u32) {
        if !self.tallying.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        let mut inner = self.lock();
        let Inner { tally, .. } = &mut *inner;
        if let Some(tally) = tally {
            let at = ns(self.since_start(Instant::now()));
            tally.apply(task, at, Change::Begin);
        }
    }

    /// Moves the tally as a replay plays a recording, in time order, at the
    /// recorded time `at`: task `task`'s poll began (`None`), or `what`
    /// happened (a `Polled` when the poll returned).
    pub(crate) fn replayed(&self, at: Duration, task: u32, what: Option<What>) {
        let change = match what {
            None => Change::Begin,
            Some(What::Polled { ready, .. }) => Change::Return(ready),
            Some(what) => Change::Event(what),
        };
        if let Some(tally) = &mut self.lock().tally {
            tally.apply(task, at, change);
        }
    }

    /// Notes that `what` happened to task `task` now, on this thread.
    pub(crate) fn note(&self, task: u32, what: What) {
        self.note_at(task, Instant::now(), what);
    }

    /// Task `task` armed a timer due at `deadline`.
    pub(crate) fn armed(&self, task: u32, deadline: Instant) {
        if !self.observes(task) {
            return;
        }
        let deadline = self.since_start(deadline);
        self.note(task, What::Armed { deadline });
    }

    /// A copy of everything observed so far.
    #[cfg(test)]
    pub(crate) fn snapshot(&self) -> Vec<Observed> {
        self.lock().events.clone()
    }

    /// Everything observed, and the parks, taken out for the summary.
    pub(crate) fn take(&self) -> Observations {
        let mut inner = self.lock();
        inner.keep_traced();
        Observations {
            events: std::mem::take(&mut inner.events),
            parks: std::mem::take(&mut inner.parks),
        }
    }

    /// How many tasks are in each state at `now` (time since the start),
    /// when `timers_free` says whether a thread that could fire a timer is
    /// parked: the sleepers past their deadline are overdue when none is.
    /// `None` without a tally.
    pub(crate) fn counts(&self, now: Duration, timers_free: bool) -> Option<Counts> {
        let inner = self.lock();
        let tally = inner.tally.as_ref()?;
        let mut counts = Counts {
            states: [0; 8],
            done: tally.counts[DONE],
            not_begun: tally.counts[NOT_BEGUN],
        };
        counts.states.copy_from_slice(&tally.counts[..8]);
        if !timers_free {
            let now_ms = now.as_millis() as u64;
            let overdue: u32 = tally.due.range(..now_ms).map(|(_, n)| n).sum();
            counts.states[TaskState::Sleeping.index()] -= overdue;
            counts.states[TaskState::Overdue.index()] += overdue;
        }
        Some(counts)
    }

    /// The changes of the live lane of task `task` so far (empty past the
    /// lanes, or without a tally).
    pub(crate) fn lane(&self, task: u32) -> Vec<LaneChange> {
        let inner = self.lock();
        let Some(lane) = inner
            .tally
            .as_ref()
            .and_then(|t| t.lanes.get((task as usize).checked_sub(1)?))
        else {
            return Vec::new();
        };
        lane.iter()
            .map(|&(at, state)| LaneChange { at, state })
            .collect()
    }
}

/// The waker the log hands to a task's coroutine: notes each call, then
/// wakes the executor's own waker.
struct Noting {
    log: Arc<Log>,
    task: u32,
    inner: Waker,
}

impl std::task::Wake for Noting {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.log.note(self.task, What::Woken);
        self.inner.wake_by_ref();
    }
}

/// The log's poll follower: each poll noted when it returns, and each
/// coroutine polled with a [`Noting`] waker. An `Arc` of its log, so that
/// the waker it makes can own one.
pub(crate) struct Watcher(pub(crate) Arc<Log>);

impl PollFollower for Watcher {
    fn poll_began(&self, id: u32, _: std::time::Instant) {
        if self.0.observes(id) {
            self.0.began(id);
        }
    }
    fn poll_ended(&self, id: u32, _: std::time::Instant, took: Duration) {
        self.poll_returned(id, std::time::Instant::now(), took, false);
    }
    fn poll_returned(&self, id: u32, _: std::time::Instant, took: Duration, ready: bool) {
        if !self.0.observes(id) {
            return;
        }
        // On the run's own clock (tokio's, which a test may pause): the
        // poll began `took` ago.
        let now = Instant::now();
        let began = now.checked_sub(took).unwrap_or(now);
        let took = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.0.note_at(id, began, What::Polled { took, ready });
    }
    fn waker(&self, id: u32, waker: &Waker) -> Option<Waker> {
        if !self.0.observes(id) {
            return None;
        }
        Some(Waker::from(Arc::new(Noting {
            log: Arc::clone(&self.0),
            task: id,
            inner: waker.clone(),
        })))
    }
}

/// Two poll followers as one: the model's watcher beside `--explain` or
/// `--slow-poll`. Each hears every poll; the coroutine's waker is wrapped
/// by both, the second around the first's.
pub(crate) struct Both<A, B>(pub(crate) Arc<A>, pub(crate) Arc<B>);

impl<A: PollFollower + Send, B: PollFollower + Send> PollFollower for Both<A, B> {
    fn poll_began(&self, id: u32, start: std::time::Instant) {
        self.0.poll_began(id, start);
        self.1.poll_began(id, start);
    }
    fn poll_ended(&self, id: u32, start: std::time::Instant, took: Duration) {
        self.0.poll_ended(id, start, took);
        self.1.poll_ended(id, start, took);
    }
    fn poll_returned(&self, id: u32, start: std::time::Instant, took: Duration, ready: bool) {
        self.0.poll_returned(id, start, took, ready);
        self.1.poll_returned(id, start, took, ready);
    }
    fn waker(&self, id: u32, waker: &Waker) -> Option<Waker> {
        match self.0.waker(id, waker) {
            Some(first) => Some(self.1.waker(id, &first).unwrap_or(first)),
            None => self.1.waker(id, waker),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// An observation at `at` ms.
    pub(crate) fn seen(at_ms: f64, task: u32, what: What) -> Observed {
        Observed {
            at: (at_ms * 1e6) as u64,
            task,
            thread: 1,
            what,
        }
    }

    /// A poll at `at` ms that took `took` ms.
    pub(crate) fn poll(at: f64, task: u32, took: f64, ready: bool) -> Observed {
        seen(
            at,
            task,
            What::Polled {
                took: (took * 1e6) as u64,
                ready,
            },
        )
    }

    /// Task `task` of an async run, as observed: polled at 0, its timer
    /// due at `deadline`, woken at `woken`, polled to its end at `last`
    /// (all in ms).
    pub(crate) fn slept(task: u32, deadline: f64, woken: f64, last: f64) -> [Observed; 4] {
        [
            poll(0.0, task, 0.0, false),
            armed(0.0, task, deadline),
            seen(woken, task, What::Woken),
            poll(last, task, 0.0, true),
        ]
    }

    fn armed(at: f64, task: u32, deadline: f64) -> Observed {
        seen(
            at,
            task,
            What::Armed {
                deadline: (deadline * 1e6) as u64,
            },
        )
    }

    fn park(at: u64, parked: bool) -> Park {
        Park {
            at: ms(at),
            thread: 1,
            parked,
        }
    }

    /// The states of `spans`, with their bounds rounded to whole ms.
    fn states(spans: &[Span]) -> Vec<(u64, u64, TaskState)> {
        spans
            .iter()
            .map(|s| (s.from.as_millis() as u64, s.to.as_millis() as u64, s.state))
            .collect()
    }

    use TaskState::*;

    /// `count -n 2 -d 100ms`, async: both sleep together, the thread parks,
    /// the timer fires, both are woken and polled to their end.
    #[test]
    fn async_tasks_sleep_then_are_woken_then_polled() {
        let events = [
            poll(0.0, 1, 0.01, false),
            armed(0.005, 1, 100.0),
            poll(0.02, 2, 0.01, false),
            armed(0.025, 2, 100.0),
            seen(100.5, 1, What::Woken),
            seen(100.5, 2, What::Woken),
            poll(100.6, 1, 0.01, true),
            poll(100.7, 2, 0.01, true),
        ];
        let parks = [park(0, true), park(100, false)];
        let model = Model::new(&events, &parks, (2, Birth::AtStart), ms(101));
        let spans = model.spans(2);
        assert_eq!(
            states(&spans),
            [
                (0, 0, Ready),
                (0, 0, Polled),
                (0, 100, Sleeping),
                (100, 100, Ready),
                (100, 100, Polled)
            ]
        );
        assert!(model.finished(1) && model.finished(2));
        assert_eq!(model.peak_overlap(), 2);
        // Mid-wait, nobody is ready: the bug the live view's counts had.
        assert_eq!(model.state_at(1, ms(50)), Some(Sleeping));
        assert_eq!(model.state_at(2, ms(50)), Some(Sleeping));
        assert_eq!(model.state_at(1, ms(200)), None, "done");
    }

    /// `count -n 2 -d 200ms --blocking`: task 1 holds the thread for its
    /// whole wait, task 2 is ready (never polled) until task 1 ends.
    #[test]
    fn a_blocking_task_holds_the_thread_and_the_next_is_ready() {
        let events = [
            poll(0.0, 1, 200.2, true),
            seen(0.1, 1, What::HeldBegan),
            seen(200.1, 1, What::HeldEnded),
            poll(200.3, 2, 200.2, true),
            seen(200.4, 2, What::HeldBegan),
            seen(400.4, 2, What::HeldEnded),
        ];
        let model = Model::new(&events, &[], (2, Birth::AtStart), ms(401));
        assert_eq!(
            states(&model.spans(2)),
            [
                (0, 200, Ready),
                (200, 200, Polled),
                (200, 400, Held),
                (400, 400, Polled)
            ]
        );
        assert_eq!(model.peak_overlap(), 1);
        let record = model.record(2);
        assert_eq!(record.polls, 1);
        assert!(record.time_in(Ready) >= ms(200));
        assert!(record.time_in(Held) >= ms(199));
    }

    /// `lock --lock std`: task 1 took the lock and sleeps; task 2 blocks
    /// in std's lock() and holds the only thread. Task 1's deadline passes
    /// and nobody fires its timer: overdue, not ready, to the end.
    #[test]
    fn a_sleep_whose_deadline_passes_while_the_thread_is_held_is_overdue() {
        let events = [
            poll(0.0, 1, 0.1, false),
            armed(0.05, 1, 300.0),
            poll(0.2, 2, 2000.0, false),
            seen(0.3, 2, What::HeldBegan),
        ];
        // The thread never parks: task 2 holds it.
        let model = Model::new(&events, &[], (2, Birth::AtStart), ms(2000));
        assert_eq!(
            states(&model.spans(1)),
            [(0, 0, Polled), (0, 301, Sleeping), (301, 2000, Overdue)]
        );
        assert_eq!(states(&model.spans(2)).last(), Some(&(0, 2000, Held)));
        assert_eq!(model.state_at(1, ms(1000)), Some(Overdue));
    }

    /// A timer that fires a little late while the thread was parked (the
    /// wheel's rounding, a slow wake-up) is sleeping all along; and one
    /// whose thread was busy past the deadline is overdue only from the
    /// deadline plus the rounding until the thread parks.
    #[test]
    fn lateness_while_parked_is_sleeping_and_only_a_busy_thread_makes_it_overdue() {
        let late = [
            poll(0.0, 1, 0.1, false),
            armed(0.05, 1, 100.0),
            seen(100.9, 1, What::Woken),
            poll(101.0, 1, 0.1, true),
        ];
        let parks = [park(0, true), park(100, false)];
        let model = Model::new(&late, &parks, (1, Birth::AtStart), ms(102));
        assert!(model.spans(1).iter().all(|s| s.state != Overdue));
        // The thread is busy from 50 to 150 ms (another task's long poll),
        // then parks, and the timer fires at 150.
        let busy = [
            poll(0.0, 1, 0.1, false),
            armed(0.05, 1, 100.0),
            seen(150.0, 1, What::Woken),
            poll(150.1, 1, 0.1, true),
        ];
        let parks = [
            park(0, true),
            park(50, false),
            park(150, true),
            park(150, false),
        ];
        let model = Model::new(&busy, &parks, (1, Birth::AtStart), ms(151));
        assert_eq!(
            states(&model.spans(1))[1..],
            [
                (0, 101, Sleeping),
                (101, 150, Overdue),
                (150, 150, Ready),
                (150, 150, Polled)
            ]
        );
    }

    /// `--mode spawn-blocking --blocking-threads 2` with 4 tasks: tasks 3
    /// and 4 queue for a pool thread for one delay, then run in the pool.
    /// Only two calls are ever in progress: peak_overlap 2.
    #[test]
    fn calls_queued_for_a_small_pool_are_queued_not_waiting() {
        let mut events = Vec::new();
        for task in 1..=4u32 {
            let t = f64::from(task) * 0.01;
            events.push(poll(t, task, 0.005, false));
            events.push(seen(t + 0.001, task, What::Queued));
            // Tasks 3 and 4 get the threads that tasks 1 and 2 free.
            // (after they woke their tasks).
            let start = if task <= 2 {
                t + 0.1
            } else {
                t - 0.02 + 0.1 + 300.0 + 0.001
            };
            events.push(seen(start, task, What::PoolStarted));
            events.push(seen(start + 300.0, task, What::PoolEnded));
            events.push(seen(start + 300.0005, task, What::Woken));
            events.push(poll(start + 300.02, task, 0.005, true));
        }
        let model = Model::new(&events, &[park(0, true)], (4, Birth::AtStart), ms(601));
        assert_eq!(model.peak_overlap(), 2);
        let spans = model.spans(3);
        let queued: Vec<_> = spans.iter().filter(|s| s.state == Queued).collect();
        assert_eq!(queued.len(), 1);
        // From the end of its poll to the start of its call.
        let started = Duration::from_nanos(((0.03 - 0.02 + 0.1 + 300.0 + 0.001) * 1e6) as u64);
        assert_eq!(queued[0].to, started);
        assert!(spans.iter().any(|s| s.state == InPool && s.from == started));
        assert!(
            model
                .spans(1)
                .iter()
                .all(|s| s.state != Queued || s.to < ms(1))
        );
        let queued_4 = model.record(4).time_in(Queued);
        assert!(queued_4 > ms(300) && queued_4 < ms(301), "{queued_4:?}");
    }

    /// `query --connections 1`: task 2 waits for the connection (queued,
    /// not in progress), and once the connection takes its query it
    /// awaits the answer, its thread free, until the answer wakes it.
    #[test]
    fn a_query_queued_for_a_connection_awaits_its_answer_once_sent() {
        let events = [
            poll(0.0, 1, 0.01, false),
            seen(0.001, 1, What::Queued),
            seen(0.002, 1, What::Sent),
            poll(0.02, 2, 0.01, false),
            seen(0.021, 2, What::Queued),
            seen(100.0, 1, What::Woken),
            poll(100.1, 1, 0.01, true),
            seen(100.2, 2, What::Sent),
            seen(200.2, 2, What::Woken),
            poll(200.3, 2, 0.01, true),
        ];
        let model = Model::new(&events, &[park(0, true)], (2, Birth::AtStart), ms(201));
        let states =
            |task| -> Vec<TaskState> { model.spans(task).iter().map(|s| s.state).collect() };
        // Task 1 had the connection at once: it never queued.
        assert!(!states(1).contains(&Queued), "{:?}", model.spans(1));
        // Task 2 queued from its Pending until the connection took its
        // query, then slept (awaiting the answer) until woken.
        let spans = model.spans(2);
        let queued: Vec<_> = spans.iter().filter(|s| s.state == Queued).collect();
        assert_eq!(queued.len(), 1, "{spans:?}");
        assert_eq!(queued[0].to, ms(100) + Duration::from_micros(200));
        assert!(
            spans
                .iter()
                .any(|s| s.state == Sleeping && s.from == queued[0].to),
            "{spans:?}"
        );
        // A queued query is not in progress: one at a time.
        assert_eq!(model.peak_overlap(), 1);
    }

    /// `lock --lock tokio`: task 2 asks, returns Pending (waiting for the
    /// lock, its thread free), is woken when task 1 releases, and gets it.
    #[test]
    fn a_task_waiting_for_tokios_lock_is_in_the_lock_state() {
        let events = [
            poll(0.0, 1, 0.01, false),
            seen(0.001, 1, What::LockAsked),
            seen(0.002, 1, What::LockGot),
            armed(0.003, 1, 300.0),
            poll(0.02, 2, 0.01, false),
            seen(0.021, 2, What::LockAsked),
            seen(300.2, 1, What::Woken),
            poll(300.3, 1, 0.01, true),
            seen(300.31, 2, What::Woken),
            poll(300.4, 2, 0.01, false),
            seen(300.401, 2, What::LockGot),
            armed(300.402, 2, 600.4),
        ];
        let parks = [park(0, true), park(300, false), park(300, true)];
        let model = Model::new(&events, &parks, (2, Birth::AtStart), ms(700));
        assert_eq!(model.state_at(2, ms(100)), Some(Lock));
        assert_eq!(model.state_at(2, ms(400)), Some(Sleeping));
        assert_eq!(
            model.peak_overlap(),
            1,
            "the lock is not a wait in progress"
        );
    }

    /// `--work spin` in async mode: each slice of the loop is a poll that
    /// wakes itself (yield_now); the task is ready between slices.
    #[test]
    fn a_yielding_spin_is_polled_and_ready_in_turns() {
        let events = [
            poll(0.0, 1, 1.0, false),
            seen(1.1, 1, What::Woken),
            poll(2.0, 1, 1.0, false),
            seen(3.1, 1, What::Woken),
            poll(4.0, 1, 1.0, true),
        ];
        let model = Model::new(&events, &[], (1, Birth::AtStart), ms(5));
        assert_eq!(
            states(&model.spans(1)),
            [
                (0, 1, Polled),
                (1, 1, Sleeping),
                (1, 2, Ready),
                (2, 3, Polled),
                (3, 3, Sleeping),
                (3, 4, Ready),
                (4, 5, Polled)
            ]
        );
        // A wake during the poll (tokio defers yield_now's until the
        // scheduler has looked at the driver, but a waker called at once
        // would do this): ready as soon as the poll returns.
        let events = [
            poll(0.0, 1, 1.0, false),
            seen(0.5, 1, What::Woken),
            poll(2.0, 1, 1.0, true),
        ];
        let model = Model::new(&events, &[], (1, Birth::AtStart), ms(3));
        assert_eq!(states(&model.spans(1))[1], (1, 2, Ready));
    }

    /// `--mode threads`: no runtime, no polls; a task begins on its own
    /// thread, is held by its call, and is nothing before it began.
    #[test]
    fn a_task_on_a_thread_of_its_own_is_held_from_its_call() {
        let events = [
            seen(5.0, 1, What::HeldBegan),
            seen(205.0, 1, What::HeldEnded),
        ];
        let model = Model::new(&events, &[], (1, Birth::OnItsOwn), ms(210));
        assert_eq!(
            states(&model.spans(1)),
            [(5, 205, Held), (205, 210, Polled)]
        );
        assert_eq!(model.state_at(1, ms(1)), None);
    }

    /// A run stopped mid-wait: the wait runs to the end of the picture, and
    /// a task never polled is ready all along.
    #[test]
    fn an_unfinished_task_waits_to_the_end_and_an_unpolled_one_is_ready() {
        let events = [poll(0.0, 1, 0.1, false), armed(0.05, 1, 1000.0)];
        let model = Model::new(&events, &[park(0, true)], (2, Birth::AtStart), ms(500));
        assert_eq!(states(&model.spans(1)).last(), Some(&(0, 500, Sleeping)));
        assert!(!model.finished(1));
        assert_eq!(states(&model.spans(2)), [(0, 500, Ready)]);
        // Out-of-range tasks have no spans.
        assert!(model.spans(3).is_empty());
    }

    /// `block-in-place`, spawned on two workers: each task's poll holds its
    /// worker inside block_in_place; the timer-free model needs no parks.
    #[test]
    fn block_in_place_tasks_are_held_each_on_its_thread() {
        let mut events = Vec::new();
        for (task, thread) in [(1u32, 1u32), (2, 2)] {
            for mut e in [
                poll(0.0, task, 200.0, true),
                seen(0.1, task, What::HeldBegan),
                seen(199.9, task, What::HeldEnded),
            ] {
                e.thread = thread;
                events.push(e);
            }
        }
        let model = Model::new(&events, &[], (2, Birth::AtStart), ms(200));
        assert_eq!(model.peak_overlap(), 2);
        assert_eq!(model.state_at(2, ms(100)), Some(Held));
    }

    /// The model's observations come from real polls and wakes: a coroutine
    /// polled through the watcher leaves a pending poll, a wake and a
    /// ready poll, on tokio's paused clock.
    #[tokio::test(start_paused = true)]
    async fn the_watcher_notes_polls_and_wakes_on_the_paused_clock() {
        let log = Arc::new(Log::new(true));
        log.started(Instant::now());
        let watcher = Watcher(Arc::clone(&log));
        let sleep = async {
            let timer = tokio::time::sleep(ms(100));
            log.armed(1, timer.deadline());
            timer.await;
        };
        crate::events::polled(&watcher, 1, sleep).await;
        let seen: Vec<What> = log.snapshot().iter().map(|e| e.what).collect();
        assert!(matches!(seen[0], What::Armed { deadline } if deadline == 100_000_000));
        assert!(matches!(seen[1], What::Polled { ready: false, .. }));
        assert_eq!(seen[2], What::Woken);
        assert!(matches!(seen[3], What::Polled { ready: true, .. }));
        let model = Model::new(&log.snapshot(), &[], (1, Birth::AtStart), ms(100));
        assert_eq!(model.state_at(1, ms(50)), Some(Sleeping));
    }
}
