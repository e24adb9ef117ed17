//! Where the tasks' lines go while the run is in progress.
//!
//! Every task calls [`Sink::line`] twice, so this is the hot path of a
//! million-task run. Four decisions keep it cheap and correct:
//!
//! - **One buffered writer, flushed only when the program is about to wait.**
//!   A flush is a `write(2)` system call. Flushing after every line would cost
//!   two million system calls for a million tasks; never flushing would hide
//!   the lesson (the `One` lines must be on screen *during* the pause, even
//!   when stdout is a pipe). So the runner calls [`Sink::flush`] at the
//!   moments a thread is about to go idle or to block, and nowhere else.
//! - **A mutex, not a `RefCell`.** The tasks of most modes run on one thread,
//!   but the Ctrl-C handler runs on its own thread and must be able to take
//!   the writer, flush what the tasks wrote and add the summary after it.
//!   Uncontended, the lock is one atomic compare-and-swap.
//! - **Cut only between lines.** The writer hands the OS whole lines, at
//!   most `PIPE_BUF` bytes per `write(2)`, which a pipe takes all or
//!   nothing. The process may end in the middle of a flush (Ctrl-C while a
//!   slow reader holds the pipe full), and then the reader still gets whole
//!   lines, never half an NDJSON object ([`WholeLines`]).
//! - **Tell only those who follow.** The sink is where the run's ordered
//!   events start ([`crate::events`]): each line, each wait begun and ended,
//!   each park of a runtime thread goes to the followers, under the same
//!   lock as the line itself, so they see the events in the output's order.
//!   The recorder (for the pictures: `--timeline`, `--svg`) and the
//!   `--trace` writer are followers. A plain run has none: it takes no
//!   clock reading and stores nothing per task; it only counts the tasks
//!   that finished.

use crate::conclude::{Guard, Guarded};
use crate::events::{Follower, RunEvent, thread_number};
use crate::report;
use crate::state::{Log, Observations, What};
use crate::vocab::{
    Demo, Ending, Event, LineStyle, LockKind, LockStep, Outcome, Park, Phase, Polls,
};
use anyhow::Context;
use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

/// The mutable part of the sink, behind its lock.
pub(crate) struct SinkState {
    /// The destination, normally stdout. Boxed so the sink is one type
    /// whatever it writes to; the dynamic call happens per flush, not per line.
    out: WholeLines<Box<dyn Write + Send>>,
    /// When the run started; `None` until the runner says so.
    start: Option<Instant>,
    /// Tasks whose wait failed: they printed why instead of a last line.
    failed: u32,
    /// The follower that keeps every line and park for the pictures drawn
    /// after the run; `None` unless they were asked for. Kept by its type,
    /// not behind the trait, because the conclusion reads what it kept.
    recorder: Option<Recorder>,
    /// Every other follower of the run's events (the `--trace` writer).
    followers: Vec<Followed>,
    /// The first [`report::MAX_FAILURES_LISTED`] failed tasks, with why, for
    /// the summary: a reason must reach the user in every format.
    failures: Vec<report::TaskFailure>,
    /// The first error that stopped the run: a failed write ("writing
    /// output: ..."; after it lines are dropped, the output is gone), a
    /// follower's failed write, or a failed wait (a fetch whose server
    /// refused).
    error: Option<anyhow::Error>,
}

/// A follower, with what to call it in an error (`writing trace file
/// 'run.json'`).
struct Followed {
    follower: Box<dyn Follower>,
    what: String,
}

impl SinkState {
    /// Time since the run started, or zero if it had not started.
    pub(crate) fn elapsed(&self) -> Duration {
        self.start.map(|s| s.elapsed()).unwrap_or_default()
    }

    /// Tasks whose wait failed.
    pub(crate) fn failed(&self) -> u32 {
        self.failed
    }

    /// The first failed tasks, each with why it failed.
    pub(crate) fn failures(&self) -> &[report::TaskFailure] {
        &self.failures
    }

    /// The recorded lines, in time order (empty unless recording).
    #[cfg(test)]
    pub(crate) fn events(&self) -> &[Event] {
        self.recorder.as_ref().map_or(&[], |r| &r.events)
    }

    /// The error that stopped the run, if one did.
    pub(crate) fn take_error(&mut self) -> Option<anyhow::Error> {
        self.error.take()
    }

    /// The output with the recorded events and thread parks, for writing
    /// the conclusion.
    pub(crate) fn out_and_events(&mut self) -> (&mut impl Write, &[Event], &[Park]) {
        let (events, parks) = match &self.recorder {
            Some(recorder) => (&recorder.events[..], &recorder.parks[..]),
            None => (&[][..], &[][..]),
        };
        (&mut self.out, events, parks)
    }

    /// The recorded thread parks (empty unless recording).
    #[cfg(test)]
    pub(crate) fn parks(&self) -> &[Park] {
        self.recorder.as_ref().map_or(&[], |r| &r.parks)
    }

    /// Ends the followers' outputs (the `--trace` file's closing brackets):
    /// `None` when nothing follows the run but the recorder. Bounded in
    /// time (a buffer's flush and two brackets), so that a signal can
    /// conclude a run promptly whatever its size. The first error wins.
    pub(crate) fn finish_trace(&mut self) -> Option<anyhow::Result<()>> {
        if self.followers.is_empty() {
            return None;
        }
        let mut result = Ok(());
        for Followed { mut follower, what } in self.followers.drain(..) {
            if let Err(err) = follower.finish() {
                if result.is_ok() {
                    result = Err(anyhow::Error::new(err).context(what));
                }
            }
        }
        Some(result)
    }

    /// Whether anybody follows the run's events.
    fn followed(&self) -> bool {
        self.recorder.is_some() || !self.followers.is_empty()
    }

    /// Hands `event` to every follower, in order; the first error stops.
    fn emit(&mut self, event: &RunEvent<'_>) -> anyhow::Result<()> {
        let SinkState {
            out,
            recorder,
            followers,
            ..
        } = self;
        if let Some(recorder) = recorder {
            recorder.keep(event);
        }
        for Followed { follower, what } in followers {
            follower.follow(event, out).with_context(|| what.clone())?;
        }
        Ok(())
    }
}

/// The follower that keeps the run for the pictures drawn after it
/// (`--timeline`, `--svg`, `compare`'s pictures): every line, and when each
/// runtime thread parked and woke.
struct Recorder {
    /// Every line, in time order.
    events: Vec<Event>,
    /// The runtime threads' parks and wake-ups, for the thread lanes.
    parks: Vec<Park>,
}

impl Recorder {
    /// Keeps what the pictures draw: lines and parks (a wait is drawn
    /// between a task's two lines, so its own events add nothing).
    ///
    /// Parks are bounded: an idle shorter than [`SHORTEST_IDLE`] is
    /// forgotten (the wake-up takes back the park just before it), and at
    /// most [`MAX_PARKS`] are kept, so a long busy run cannot grow the list
    /// without end.
    fn keep(&mut self, event: &RunEvent<'_>) {
        match *event {
            RunEvent::Line { event, .. } => self.events.push(event),
            RunEvent::Thread(park) => {
                if let Some(last) = self.parks.last() {
                    if !park.parked
                        && last.parked
                        && last.thread == park.thread
                        && park.at.saturating_sub(last.at) < SHORTEST_IDLE
                    {
                        self.parks.pop();
                        return;
                    }
                }
                if self.parks.len() < MAX_PARKS {
                    self.parks.push(park);
                }
            }
            RunEvent::WaitBegan { .. }
            | RunEvent::WaitEnded { .. }
            | RunEvent::Poll { .. }
            | RunEvent::Lock { .. }
            | RunEvent::Caller { .. }
            | RunEvent::Finished { .. } => {}
        }
    }
}

/// The destination of the tasks' lines, shared by every task of a run.
pub(crate) struct Sink {
    demo: Demo,
    line_style: LineStyle,
    /// Whether a line does nothing but count: nothing is shown and nobody
    /// follows (`-q`, `--format json`, `compare`). Such a line skips the
    /// lock and only bumps [`Sink::completed`]: at ten million tasks, two
    /// lock round trips per task are a tenth of the run's overhead.
    counts_only: AtomicBool,
    /// The tasks whose lines go to the followers when nothing is shown;
    /// the others' only count ([`Sink::follow_first`]). All by default.
    followed_tasks: AtomicU32,
    /// Tasks that printed their last line. Outside the lock, for the
    /// counting-only lines above; a counter needs no ordering with anything
    /// else, and whoever reads it for a summary has stopped the tasks or is
    /// about to end the process.
    completed: AtomicU32,
    /// The tasks waiting right now and the most there ever were, counted
    /// only when the summary reports `peak_overlap` (`--format json`,
    /// `ndjson`, `compare`); `None` costs a plain run one branch per line.
    overlap: Option<Overlap>,
    /// What the task-state model is built from ([`crate::state`]): kept
    /// only when a view asked for the model (the pictures), like the
    /// recorder; `None` costs the waits one check per task.
    /// Set once, before the run: at construction, by [`Sink::tallying`], or
    /// by [`Sink::open_trace`].
    log: std::sync::OnceLock<Arc<Log>>,
    /// The output and the followers, with who concludes the run: the
    /// conclusion is claimed under the lock every task line takes, so
    /// whoever wins writes the only summary, and no line follows it.
    state: Guarded<SinkState>,
    /// Woken when the run must stop (say, `| head -1` closed the pipe, or a
    /// fetch failed), so that an async run stops waiting at once.
    stop: Notify,
}

/// How many tasks are waiting, and the most that ever were at once.
///
/// A task waits between its two lines, so the first line counts it in and
/// the last (or the reason its wait failed) counts it out. The figure
/// depends on the order of events, not on their timing, so a slow machine
/// gives the same answer as a fast one: what CI can rely on. Atomics, not
/// the sink's lock, because the counting-only lines of `--format json`
/// take no lock; every count is one read-modify-write of one atomic, so
/// the counts are exact in the order the atomic saw them, even with
/// several workers.
///
/// A query is different: between its lines it may wait for a free
/// connection, or for its turn on a connection, and such a query is queued,
/// not in progress. For `query` the lines count nothing; the database
/// driver says when a query really started on its connection and when its
/// answer came ([`Sink::query_began`], [`Sink::query_ended`]), so one
/// connection gives a peak of 1 however many tasks are queued on it.
#[derive(Default)]
struct Overlap {
    /// Tasks between their first line and their last.
    now: AtomicU32,
    /// The most `now` ever was.
    peak: AtomicU32,
    /// Whether the waits are blocking-pool calls, counted from when a pool
    /// thread begins one to when it ends ([`Sink::pool_call`]), not from
    /// the lines: a call queued for a pool thread is not in progress.
    in_pool: AtomicBool,
    /// Counted from the database driver's observations (`query`): neither
    /// the lines nor the pool calls, since a pool thread may itself wait
    /// for a free connection.
    observed: bool,
}

impl Overlap {
    /// A task's line: counts it in or out, unless the pool calls or the
    /// queries count.
    fn line(&self, phase: Phase) {
        if !self.observed && !self.in_pool.load(Ordering::Relaxed) {
            self.step(phase);
        }
    }

    fn step(&self, phase: Phase) {
        match phase {
            Phase::First => {
                let now = self.now.fetch_add(1, Ordering::Relaxed) + 1;
                // Most lines do not raise the peak: read before writing.
                if now > self.peak.load(Ordering::Relaxed) {
                    self.peak.fetch_max(now, Ordering::Relaxed);
                }
            }
            Phase::Last => {
                self.now.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
}

/// The shortest idle the thread lanes keep: far below what a picture can
/// show, far above the cost of a park that finds work at once.
const SHORTEST_IDLE: Duration = Duration::from_micros(50);

/// At most this many parks and wake-ups are recorded (16 bytes each).
const MAX_PARKS: usize = 100_000;

/// The size of the output buffer. Larger than std's 8 KiB default so that
/// a million-task run fills it a few hundred times instead of thousands.
const BUFFER_BYTES: usize = 64 * 1024;

/// The largest write a pipe takes atomically: all of it or, while the pipe
/// is full, none of it (POSIX guarantees at least 512; Linux gives 4096).
const PIPE_BUF: usize = 4096;

impl Sink {
    /// A sink writing `demo`'s lines to `out` in the `live` style; `record`
    /// keeps every event for the pictures drawn after the run.
    pub(crate) fn new(
        out: Box<dyn Write + Send>,
        demo: Demo,
        line_style: LineStyle,
        record: bool,
    ) -> Sink {
        Sink {
            demo,
            line_style,
            counts_only: AtomicBool::new(line_style == LineStyle::Silent && !record),
            followed_tasks: AtomicU32::new(u32::MAX),
            completed: AtomicU32::new(0),
            overlap: None,
            log: std::sync::OnceLock::new(),
            state: Guarded::new(SinkState {
                out: WholeLines::new(out),
                start: None,
                failed: 0,
                recorder: record.then(|| Recorder {
                    events: Vec::new(),
                    parks: Vec::new(),
                }),
                followers: Vec::new(),
                failures: Vec::new(),
                error: None,
            }),
            stop: Notify::new(),
        }
    }

    /// The same sink, counting how many tasks wait at once when `count` is
    /// set, for the summary's `peak_overlap`.
    pub(crate) fn counting_overlap(self, count: bool) -> Sink {
        Sink {
            overlap: count.then(|| Overlap {
                observed: self.demo == Demo::Query,
                ..Overlap::default()
            }),
            ..self
        }
    }

    /// Task `id`'s query really started on its connection: the
    /// connection's thread picked it up, or it was sent once the
    /// connection's previous answer had come. Counts it in progress (see
    /// [`Overlap`]); an async driver also tells the task-state model
    /// ([`Sink::query_sent`]).
    pub(crate) fn query_began(&self, _id: u32) {
        if let Some(overlap) = &self.overlap {
            overlap.step(Phase::First);
        }
    }

    /// The query counted in by [`Sink::query_began`] has its answer (or
    /// failed): no longer in progress.
    pub(crate) fn query_ended(&self, _id: u32) {
        if let Some(overlap) = &self.overlap {
            overlap.step(Phase::Last);
        }
    }

    /// Task `id`, under an async driver, waits for a free connection: for
    /// the task-state model it is queued (Pending, its thread free, its
    /// query not yet running anywhere) until [`Sink::query_sent`].
    pub(crate) fn query_queued(&self, id: u32) {
        self.note_query(id, What::Queued);
    }

    /// Task `id`'s query was taken by its connection (the connection's
    /// own thread for SQLite, the server for PostgreSQL): from now on the
    /// task awaits its answer, its thread free.
    pub(crate) fn query_sent(&self, id: u32) {
        self.note_query(id, What::Sent);
    }

    /// Notes `what` of task `id`'s query, for the tasks the model observes.
    fn note_query(&self, id: u32, what: What) {
        if let Some(log) = self.log.get().filter(|log| log.observes(id)) {
            log.note(id, what);
        }
    }

    /// The model's log of observations, when a view asked for the model.
    pub(crate) fn log(&self) -> Option<&Arc<Log>> {
        self.log.get()
    }

    /// Everything the run observed for the model, taken out for the
    /// summary (empty unless a view asked for it).
    pub(crate) fn observed(&self) -> Observations {
        self.log.get().map(|log| log.take()).unwrap_or_default()
    }

    /// The same sink, observing the first `tasks` tasks for the task-state
    /// model when a view asked for it ([`crate::report::observed_tasks`]).
    pub(crate) fn observing(self, tasks: Option<u32>) -> Sink {
        if let Some(tasks) = tasks {
            let log = self.log.get_or_init(|| Arc::new(Log::new(true)));
            log.keep();
            log.limit(tasks, false);
        }
        self
    }

    /// The waits are blocking-pool calls: `peak_overlap` counts them from
    /// when a pool thread begins one ([`Sink::pool_call`]), not from the
    /// lines.
    pub(crate) fn overlap_in_pool(&self) {
        if let Some(overlap) = &self.overlap {
            overlap.in_pool.store(true, Ordering::Relaxed);
        }
    }

    /// Task `id`'s call is handed to the blocking pool: noted for the model.
    pub(crate) fn pool_queued(&self, id: u32) {
        if let Some(log) = self.log.get() {
            log.note(id, What::Queued);
        }
    }

    /// A blocking-pool thread begins (`began`) or ends task `id`'s call:
    /// called by the closure itself, so a call that waited in the pool's
    /// queue is seen to start late.
    pub(crate) fn pool_call(&self, id: u32, began: bool) {
        if let Some(overlap) = self.overlap.as_ref().filter(|o| !o.observed) {
            overlap.step(if began { Phase::First } else { Phase::Last });
        }
        if let Some(log) = self.log.get() {
            log.note(
                id,
                if began {
                    What::PoolStarted
                } else {
                    What::PoolEnded
                },
            );
        }
    }

    /// Task `id` begins (`began`) or ends a blocking call inside its poll,
    /// which holds the thread: noted for the model.
    pub(crate) fn held(&self, id: u32, began: bool) {
        if let Some(log) = self.log.get() {
            log.note(
                id,
                if began {
                    What::HeldBegan
                } else {
                    What::HeldEnded
                },
            );
        }
    }

    /// The same sink, keeping a tally of every task's state now for a view
    /// drawn during the run (`--live`), when `tally` gives the tasks, when
    /// they are born, and how many get a lane: the model's log then exists
    /// even without the pictures.
    pub(crate) fn tallying(self, tally: Option<(u32, crate::state::Birth, usize)>) -> Sink {
        let Some((tasks, birth, lanes)) = tally else {
            return self;
        };
        self.log
            .get_or_init(|| Arc::new(Log::new(false)))
            .tally(tasks, birth, lanes);
        self
    }

    /// The most tasks that were waiting at the same moment, when counted.
    pub(crate) fn peak_overlap(&self) -> Option<u32> {
        self.overlap
            .as_ref()
            .map(|o| o.peak.load(Ordering::Relaxed))
    }

    /// Takes the lock. A panic while holding it cannot leave the state
    /// half-written in a way that matters here, so a poisoned lock is used as is.
    pub(crate) fn lock(&self) -> Guard<'_, SinkState> {
        self.state.lock()
    }

    /// Takes the lock if it comes free within `patience`. For the signal
    /// thread, which must end the program promptly even if a write is stuck.
    pub(crate) fn lock_within(&self, patience: Duration) -> Option<Guard<'_, SinkState>> {
        self.state.lock_within(patience)
    }

    /// The output with who concludes the run, for the paths that race to
    /// conclude it (the normal end, a signal, a hang-up).
    pub(crate) fn conclusion(&self) -> &Guarded<SinkState> {
        &self.state
    }

    /// What a run stopped early had done by now: its time so far, the tasks
    /// that finished or failed, and its `polls` when they were timed.
    /// `state` is this sink's, locked by the caller.
    pub(crate) fn so_far(&self, state: &SinkState, polls: Option<Polls>) -> Outcome {
        Outcome {
            elapsed: state.elapsed(),
            completed: self.completed(),
            failed: state.failed(),
            observed_delay: None,
            deadlock: None,
            locks: Vec::new(),
            polls,
        }
    }

    /// Makes room for `count` recorded events up front, so that a run too
    /// big for the memory fails here with an error, not later with an abort
    /// in the middle of the run. Does nothing when nothing is recorded.
    pub(crate) fn reserve_events(
        &self,
        count: usize,
    ) -> Result<(), std::collections::TryReserveError> {
        if let Some(log) = self.log.get() {
            // Two polls, a timer and a wake per task, in most runs.
            log.reserve(count.saturating_mul(2))?;
        }
        match &mut self.lock().recorder {
            Some(recorder) => recorder.events.try_reserve_exact(count),
            None => Ok(()),
        }
    }

    /// Makes the `--trace` file that `open` creates a follower of every
    /// line from now on; `open` also says what to call the file in an error
    /// (`writing trace file 'run.json'`).
    ///
    /// The lock is held while the file is created, so that a signal
    /// concluding the run meanwhile waits, and then closes the file it can
    /// already see on disk, rather than leaving it empty.
    pub(crate) fn open_trace(
        &self,
        open: impl FnOnce() -> anyhow::Result<(report::trace::Stream<Box<dyn Write + Send>>, String)>,
    ) -> anyhow::Result<()> {
        let mut state = self.lock();
        let (mut stream, what) = open()?;
        // The file ends with the task-state model's spans and its wake-ups'
        // arrows: the waits and polls are observed for it from now on.
        let fresh = self.log.get().is_none();
        let log = self.log.get_or_init(|| Arc::new(Log::new(true)));
        log.keep();
        log.limit(report::trace::STATE_TASKS, !fresh);
        log.trace(report::trace::STATE_TASKS);
        stream.states(Arc::clone(log));
        self.add_follower(&mut state, Box::new(stream), what);
        Ok(())
    }

    /// Makes `follower` (called `what` in an error) follow the run's events
    /// from now on.
    fn add_follower(&self, state: &mut SinkState, follower: Box<dyn Follower>, what: String) {
        state.followers.push(Followed { follower, what });
        // Every line now goes to a follower.
        self.counts_only.store(false, Ordering::Relaxed);
    }

    /// Makes `follower` (called `what` in an error) follow the run's events
    /// from now on: the `--explain` narration.
    pub(crate) fn follow_with(&self, follower: Box<dyn Follower>, what: String) {
        let mut state = self.lock();
        self.add_follower(&mut state, follower, what);
    }

    /// Tells the followers a step of task `id`'s polls, on the calling
    /// thread, in order with its lines: `--explain` forwards these for the
    /// few tasks it narrates, and nobody else sends them.
    pub(crate) fn poll_step(&self, id: u32, step: crate::events::PollStep) {
        let mut state = self.lock();
        if stopped(&state) {
            return;
        }
        let event = RunEvent::Poll {
            at: state.elapsed(),
            task: id,
            thread: thread_number(),
            step,
        };
        self.tell(&mut state, &event);
    }

    /// Tells the followers that the thread that called `block_on` starts
    /// waiting (`waiting`) or is back; only `--explain` asks for this.
    pub(crate) fn caller_waits(&self, waiting: bool) {
        let mut state = self.lock();
        if stopped(&state) {
            return;
        }
        let event = RunEvent::Caller {
            at: state.elapsed(),
            thread: thread_number(),
            waiting,
        };
        self.tell(&mut state, &event);
    }

    /// Tells the followers, if any, that every task has been driven to its
    /// end; once per run, just before the summary.
    pub(crate) fn finished(&self) {
        let mut state = self.lock();
        if !state.followed() || stopped(&state) {
            return;
        }
        let at = state.elapsed();
        self.tell(&mut state, &RunEvent::Finished { at });
    }

    /// Whether somebody follows the runtime threads' parks and wake-ups:
    /// only then does the runtime get park hooks that report them.
    pub(crate) fn follows_threads(&self) -> bool {
        let state = self.lock();
        state.recorder.is_some()
            || self.log.get().is_some()
            || state.followers.iter().any(|f| f.follower.wants_threads())
    }

    /// Marks the start of the run: `t = 0` for every timestamp.
    pub(crate) fn start(&self, at: Instant) {
        if let Some(log) = self.log.get() {
            log.started(at);
        }
        let mut state = self.lock();
        state.start = Some(at);
        for followed in &mut state.followers {
            followed.follower.started(at.into_std());
        }
    }

    /// Tasks that printed their last line so far.
    pub(crate) fn completed(&self) -> u32 {
        self.completed.load(Ordering::Relaxed)
    }

    /// Tasks whose wait failed so far.
    pub(crate) fn failed(&self) -> u32 {
        self.lock().failed
    }

    /// Task `id`'s wait ended as `ending`: it prints its last line, the
    /// status its reply came with, or why its wait failed.
    pub(crate) fn end(&self, id: u32, ending: Ending) {
        match ending {
            // The sleeping demos' path: exactly the plain last line.
            Ending::Done => self.line(id, Phase::Last),
            Ending::Stopped => {}
            Ending::Reply { .. } | Ending::Answered(_) | Ending::Failed(_) => {
                let failed = matches!(ending, Ending::Failed(_));
                let text = self.demo.ending_text(id, &ending).unwrap_or_default();
                if let Some(overlap) = &self.overlap {
                    overlap.line(Phase::Last);
                }
                if !failed {
                    self.note_line(id, Phase::Last);
                }
                let mut state = self.lock();
                if let Ending::Failed(why) = &ending {
                    state.failed += 1;
                    if state.failures.len() < report::MAX_FAILURES_LISTED {
                        state.failures.push(report::TaskFailure {
                            task: id,
                            reason: why.clone(),
                        });
                    }
                } else {
                    self.completed.fetch_add(1, Ordering::Relaxed);
                }
                if stopped(&state) {
                    return;
                }
                self.put(&mut state, id, Phase::Last, Some(&text), failed);
            }
        }
    }

    /// Notes task `id`'s `phase` line for the model's JSON records, when it
    /// observes that task.
    fn note_line(&self, id: u32, phase: Phase) {
        if let Some(log) = self.log.get() {
            if log.observes(id) {
                log.note(
                    id,
                    What::Line {
                        first: phase == Phase::First,
                    },
                );
            }
        }
    }

    /// Task `id` prints its `phase` line. The hot path.
    pub(crate) fn line(&self, id: u32, phase: Phase) {
        if phase == Phase::Last {
            self.completed.fetch_add(1, Ordering::Relaxed);
        }
        if let Some(overlap) = &self.overlap {
            overlap.line(phase);
        }
        self.note_line(id, phase);
        if self.counts_only.load(Ordering::Relaxed)
            || id > self.followed_tasks.load(Ordering::Relaxed)
        {
            return;
        }
        let mut state = self.lock();
        if stopped(&state) {
            return;
        }
        self.put(&mut state, id, phase, None, false);
    }

    /// Nothing is shown and the followers want the lines of tasks 1 to
    /// `tasks` only (a recording, past its cut-off): the other tasks' lines
    /// only count, as in a run nobody follows.
    pub(crate) fn follow_first(&self, tasks: u32) {
        self.followed_tasks.store(tasks, Ordering::Relaxed);
    }

    /// Writes task `id`'s `phase` line, with the demo's words or its `own`
    /// (a reply's status, why the wait failed), and tells the followers.
    ///
    /// A `failed` wait ends the wait, but its line is not the task's last
    /// line: the pictures show a wait that never finished, which is what
    /// happened.
    fn put(&self, state: &mut SinkState, id: u32, phase: Phase, own: Option<&str>, failed: bool) {
        let followed = state.followed();
        if own.is_none() && !followed && self.line_style == LineStyle::Plain {
            // A plain run's line: the demo's words, one `write_all` of a
            // constant, no clock reading, nobody to tell.
            let written = self.demo.write_line(&mut state.out, id, phase);
            self.check(state, written);
            return;
        }
        // Read the clock only when a line or a follower will use the time.
        let at = if self.line_style.needs_time() || followed {
            state.elapsed()
        } else {
            Duration::ZERO
        };
        let text = own.map_or_else(|| self.demo.text(id, phase), Cow::Borrowed);
        let thread = if followed { thread_number() } else { 0 };
        if followed {
            let before = match phase {
                Phase::First => None,
                Phase::Last => Some(RunEvent::WaitEnded {
                    at,
                    task: id,
                    thread,
                    failed,
                }),
            };
            let line = (!failed).then_some(RunEvent::Line {
                event: Event {
                    at,
                    task: id,
                    phase,
                    thread,
                },
                text: &text,
            });
            for event in before.iter().chain(&line) {
                if !self.tell(state, event) {
                    return;
                }
            }
        }
        let written = self.show(&mut state.out, at, id, &text);
        if !self.check(state, written) {
            return;
        }
        if followed && phase == Phase::First {
            self.tell(
                state,
                &RunEvent::WaitBegan {
                    at,
                    task: id,
                    thread,
                },
            );
        }
    }

    /// Shows one line, which reads `text`, in the live style: the one place
    /// that decides what a line looks like while the run goes.
    fn show(&self, out: &mut impl Write, at: Duration, id: u32, text: &str) -> io::Result<()> {
        match self.line_style {
            LineStyle::Plain => writeln!(out, "{text}"),
            LineStyle::Verbose => report::text::write_verbose_line(out, at, id, text),
            LineStyle::Ndjson => report::json::write_event(out, at, id, text),
            LineStyle::Silent => Ok(()),
        }
    }

    /// Stops the run if the output failed; `true` if it did not.
    fn check(&self, state: &mut SinkState, written: io::Result<()>) -> bool {
        match written {
            Ok(()) => true,
            Err(err) => {
                self.stop_with(state, anyhow::Error::new(err).context("writing output"));
                false
            }
        }
    }

    /// Tells the followers about `event`; `false` if one of them failed,
    /// which stops the run.
    fn tell(&self, state: &mut SinkState, event: &RunEvent<'_>) -> bool {
        match state.emit(event) {
            Ok(()) => true,
            Err(err) => {
                self.stop_with(state, err);
                false
            }
        }
    }

    /// Tells the followers that the calling runtime thread goes idle
    /// (`parked`) or wakes up; the runtime's park hooks call this only when
    /// somebody follows the threads ([`Sink::follows_threads`]).
    pub(crate) fn park(&self, parked: bool) {
        let mut state = self.lock();
        let park = Park {
            at: state.elapsed(),
            thread: thread_number(),
            parked,
        };
        if let Some(log) = self.log.get() {
            log.park(park);
        }
        self.tell(&mut state, &RunEvent::Thread(park));
    }

    /// Tells the followers that task `id` took `step` with the shared
    /// `lock` of the `lock` demo, while `holder` held it. Nothing at all
    /// when nobody follows (the demo's tasks call this; no other demo does).
    ///
    /// Returns the time of the step, on the run's clock, for the pictures.
    pub(crate) fn lock_step(
        &self,
        id: u32,
        step: LockStep,
        lock: LockKind,
        holder: Option<u32>,
    ) -> Duration {
        if let Some(log) = self.log.get() {
            // std's lock() is a blocking call inside the poll: from asking
            // to getting it, the task holds its thread. tokio's returns
            // Pending meanwhile.
            let what = match (lock, step) {
                (LockKind::Std, LockStep::Asked) => Some(What::HeldBegan),
                (LockKind::Std, LockStep::Got) => Some(What::HeldEnded),
                (LockKind::Tokio, LockStep::Asked) => Some(What::LockAsked),
                (LockKind::Tokio, LockStep::Got) => Some(What::LockGot),
                _ => None,
            };
            if let Some(what) = what {
                log.note(id, what);
            }
        }
        let mut state = self.lock();
        let at = state.elapsed();
        if !state.followed() || stopped(&state) {
            return at;
        }
        let event = RunEvent::Lock {
            at,
            task: id,
            thread: thread_number(),
            step,
            lock,
            holder,
        };
        self.tell(&mut state, &event);
        at
    }

    /// Pushes buffered lines out because the program is about to wait.
    ///
    /// Returns `false` if the output has failed, now or before: a caller that
    /// was about to block can then skip the wait, since nobody will see what
    /// comes after it.
    pub(crate) fn flush(&self) -> bool {
        let mut state = self.lock();
        if state.error.is_some() {
            return false;
        }
        let flushed = state.out.flush();
        self.check(&mut state, flushed)
    }

    /// Stops the run with `err` (the first error wins). Tasks still running
    /// see it through [`Sink::is_stopped`] and [`Sink::stopped`].
    pub(crate) fn abort(&self, err: anyhow::Error) {
        let mut state = self.lock();
        self.stop_with(&mut state, err);
    }

    /// Whether the run has been stopped by an error.
    pub(crate) fn is_stopped(&self) -> bool {
        self.lock().error.is_some()
    }

    fn stop_with(&self, state: &mut SinkState, err: anyhow::Error) {
        if state.error.is_none() {
            state.error = Some(err);
        }
        // `notify_one` stores a permit when nobody is waiting yet, so the
        // runner sees the stop even if it starts waiting afterwards.
        self.stop.notify_one();
    }

    /// Completes when the run has been stopped by an error (a write, or a
    /// fetch). The async runner races its tasks against this, so an error
    /// found while some tasks still sleep ends the run at once. A pipe that
    /// closes while *every* task sleeps is seen by no write at all; the
    /// watcher in `interrupt::on_hangup` notices that, in every mode.
    pub(crate) async fn stopped(&self) {
        self.stop.notified().await;
    }
}

/// Whether the run has stopped, so that nothing more is written or told:
/// an error stopped it, or it has been concluded (the summary is out, or
/// being written, and no task line may follow it).
fn stopped(state: &Guard<'_, SinkState>) -> bool {
    state.error.is_some() || state.is_concluded()
}

/// A buffered writer that hands its destination whole lines only, at most
/// [`PIPE_BUF`] bytes per call where the lines allow.
///
/// Why not `BufWriter`: when its buffer fills, it writes all of it, ending
/// wherever the buffer ended, often mid-line; and into a pipe a 64 KiB
/// `write(2)` goes in piece by piece as the reader makes room. A process
/// ending during such a write (Ctrl-C while the reader is slow; the signal
/// thread exits without waiting for the stuck writer) left the reader half
/// a line. Here a full buffer sends only its complete lines, and each
/// `write(2)` carries whole lines of at most `PIPE_BUF` bytes, which a pipe
/// accepts entirely or not at all. So output is only ever cut between lines.
pub(crate) struct WholeLines<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

/// How many bytes from the start of `bytes` make whole lines of at most
/// `most` bytes in all; when no line ends within `most`, the first line
/// alone, however long (or everything, if no line ends at all). Both
/// writers of lines in pieces use it: the sink's, in pieces a pipe takes
/// whole, and the live view's, in pieces it samples the run between.
pub(crate) fn whole_lines(bytes: &[u8], most: usize) -> usize {
    let window = &bytes[..bytes.len().min(most)];
    match window.iter().rposition(|&b| b == b'\n') {
        Some(newline) => newline + 1,
        None => bytes
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |newline| newline + 1),
    }
}

impl<W: Write> WholeLines<W> {
    fn new(inner: W) -> WholeLines<W> {
        WholeLines {
            inner,
            buf: Vec::with_capacity(BUFFER_BYTES),
        }
    }

    /// Writes the first `len` buffered bytes, in chunks that end at a line
    /// break and hold at most [`PIPE_BUF`] bytes (a longer line goes alone,
    /// in one call), then drops them from the buffer.
    fn write_out(&mut self, len: usize) -> io::Result<()> {
        let mut done = 0;
        let result = loop {
            if done == len {
                break Ok(());
            }
            let rest = &self.buf[done..len];
            let end = whole_lines(rest, PIPE_BUF);
            // `write_all` retries only after a partial write, which a pipe
            // makes only for a call larger than PIPE_BUF.
            match self.inner.write_all(&rest[..end]) {
                Ok(()) => done += end,
                Err(err) => break Err(err),
            }
        };
        self.buf.drain(..done);
        result
    }
}

impl<W: Write> Write for WholeLines<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= BUFFER_BYTES {
            // Full: send the complete lines and keep the one in progress.
            if let Some(newline) = self.buf.iter().rposition(|&b| b == b'\n') {
                self.write_out(newline + 1)?;
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Called between lines (the sink's lock makes each line whole), so
        // this sends complete lines.
        self.write_out(self.buf.len())?;
        self.inner.flush()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io;
    use std::sync::{Arc, Mutex};

    /// A sink of `demo`'s lines into `out`, shown as the notes print them,
    /// recording nothing: what most tests of a run start from.
    pub(crate) fn plain(out: impl Write + Send + 'static, demo: Demo) -> Sink {
        Sink::new(Box::new(out), demo, LineStyle::Plain, false)
    }

    /// A writer whose bytes the test can read back after the sink is done.
    #[derive(Clone, Default)]
    pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Captured {
        pub(crate) fn text(&self) -> String {
            String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
        }
    }

    /// A sink that records every event and keeps the plain lines for the
    /// test to read back.
    pub(crate) fn recording_sink(demo: Demo) -> (Arc<Sink>, Captured) {
        let captured = Captured::default();
        let sink = Sink::new(Box::new(captured.clone()), demo, LineStyle::Plain, true);
        (Arc::new(sink), captured)
    }

    /// A writer that fails like a full disk.
    struct Full;

    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from_raw_os_error(28)) // ENOSPC
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_query_counts_in_progress_from_its_observed_start_not_its_first_line() {
        let sink = Sink::new(Box::new(io::sink()), Demo::Query, LineStyle::Silent, false)
            .counting_overlap(true);
        // Three tasks print their first line; one connection takes them in
        // turn: the others are queued, and count for nothing.
        for id in 1..=3 {
            sink.line(id, Phase::First);
        }
        assert_eq!(sink.peak_overlap(), Some(0));
        for id in 1..=3 {
            sink.query_began(id);
            sink.query_ended(id);
            sink.end(id, Ending::Answered(Duration::from_millis(300)));
        }
        assert_eq!(sink.peak_overlap(), Some(1));
        // Two connections at once.
        sink.query_began(1);
        sink.query_began(2);
        assert_eq!(sink.peak_overlap(), Some(2));
        // The sleeping demos still count from their lines.
        let count = Sink::new(Box::new(io::sink()), Demo::Count, LineStyle::Silent, false)
            .counting_overlap(true);
        count.line(1, Phase::First);
        count.line(2, Phase::First);
        assert_eq!(count.peak_overlap(), Some(2));
    }

    #[test]
    fn whole_lines_end_at_a_line_break_within_the_limit() {
        assert_eq!(whole_lines(b"ab\ncd\nef", 7), 6);
        assert_eq!(whole_lines(b"ab\ncd\nef", 5), 3);
        // A line longer than the limit goes alone, whole.
        assert_eq!(whole_lines(b"abcdef\ngh\n", 3), 7);
        // No line break at all: everything.
        assert_eq!(whole_lines(b"abc", 2), 3);
        assert_eq!(whole_lines(b"", 4), 0);
    }

    #[test]
    fn plain_lines_wait_in_the_buffer_until_a_flush() {
        let captured = Captured::default();
        let sink = plain(captured.clone(), Demo::Count);
        sink.line(1, Phase::First);
        sink.line(2, Phase::First);
        assert_eq!(captured.text(), "", "a line must not cost a system call");
        assert!(sink.flush());
        assert_eq!(captured.text(), "One\nOne\n");
        sink.line(1, Phase::Last);
        assert_eq!(sink.completed(), 1);
    }

    /// Records the size of every `write` call it gets.
    #[derive(Default)]
    struct Calls(Vec<Vec<u8>>);

    impl Write for Calls {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_write_is_whole_lines_of_at_most_pipe_buf_bytes() {
        let mut out = WholeLines::new(Calls::default());
        // Lines of varying length, written in pieces as serde_json does,
        // enough to fill the buffer several times.
        let mut sent = Vec::new();
        for i in 0..20_000 {
            let line = format!("{{\"task\":{i},\"text\":\"{}\"}}\n", "x".repeat(i % 97));
            for piece in line.as_bytes().chunks(7) {
                out.write_all(piece).unwrap();
            }
            sent.extend_from_slice(line.as_bytes());
        }
        out.flush().unwrap();
        let calls = &out.inner.0;
        assert!(calls.len() > 1);
        for call in calls {
            assert!(call.len() <= PIPE_BUF, "a write of {} bytes", call.len());
            assert_eq!(call.last(), Some(&b'\n'), "a write that ends mid-line");
        }
        assert_eq!(calls.concat(), sent, "every byte, in order, once");
    }

    #[test]
    fn a_line_longer_than_pipe_buf_goes_whole_in_one_write() {
        let mut out = WholeLines::new(Calls::default());
        let long = "y".repeat(3 * PIPE_BUF) + "\n";
        out.write_all(b"short\n").unwrap();
        out.write_all(long.as_bytes()).unwrap();
        out.write_all(b"tail\n").unwrap();
        out.flush().unwrap();
        let calls: Vec<&[u8]> = out.inner.0.iter().map(Vec::as_slice).collect();
        assert_eq!(calls, [&b"short\n"[..], long.as_bytes(), b"tail\n"]);
    }

    /// A silent run that records nothing only counts, without the lock;
    /// one that records still keeps every event.
    #[test]
    fn silent_lines_count_and_record_only_when_asked() {
        let sink = Sink::new(Box::new(io::sink()), Demo::Count, LineStyle::Silent, false);
        sink.line(1, Phase::First);
        sink.line(1, Phase::Last);
        assert_eq!(sink.completed(), 1);
        assert!(sink.lock().recorder.is_none());
        let (sink, _) = recording_sink(Demo::Count);
        let silent = Sink::new(Box::new(io::sink()), Demo::Count, LineStyle::Silent, true);
        for sink in [&*sink, &silent] {
            sink.line(1, Phase::First);
            sink.line(1, Phase::Last);
            assert_eq!(sink.completed(), 1);
            assert_eq!(sink.lock().events().len(), 2);
        }
    }

    #[test]
    fn a_plain_run_records_nothing() {
        let sink = Sink::new(Box::new(io::sink()), Demo::Count, LineStyle::Plain, false);
        sink.line(1, Phase::First);
        assert!(sink.lock().recorder.is_none());
    }

    #[test]
    fn parks_are_recorded_only_when_recording_and_tiny_idles_are_dropped() {
        let sink = Sink::new(Box::new(io::sink()), Demo::Count, LineStyle::Plain, false);
        sink.park(true);
        assert!(sink.lock().recorder.is_none());

        let sink = Sink::new(Box::new(io::sink()), Demo::Count, LineStyle::Plain, true);
        sink.start(Instant::now());
        sink.park(true);
        sink.park(false); // at once: an idle nobody could see
        assert_eq!(sink.lock().parks(), &[]);
        sink.park(true);
        std::thread::sleep(SHORTEST_IDLE * 4);
        sink.park(false);
        let parks: Vec<bool> = sink.lock().parks().iter().map(|p| p.parked).collect();
        assert_eq!(parks, [true, false]);
    }

    #[test]
    fn a_failed_write_is_kept_and_later_lines_are_dropped() {
        let sink = Sink::new(Box::new(Full), Demo::Hello, LineStyle::Plain, false);
        sink.line(1, Phase::First);
        assert!(!sink.flush(), "the flush reaches the full disk");
        let state = sink.lock();
        let err = state.error.as_ref().unwrap();
        assert_eq!(err.to_string(), "writing output");
        assert_eq!(
            err.downcast_ref::<io::Error>().unwrap().raw_os_error(),
            Some(28)
        );
        drop(state);
        sink.line(1, Phase::Last);
        assert!(!sink.flush(), "stays failed");
        assert_eq!(sink.completed(), 1, "still counts the task");
    }

    /// A follower in the style of a narration: it writes a line of its own
    /// through the run's writer at each wait, and keeps the kinds of event
    /// it saw where another thread can read them.
    struct Commentator(Arc<Mutex<Vec<String>>>);

    impl Follower for Commentator {
        fn follow(&mut self, event: &RunEvent<'_>, out: &mut dyn Write) -> io::Result<()> {
            let seen = match *event {
                RunEvent::Line { event, text } => format!("line {} {text}", event.task),
                RunEvent::WaitBegan { task, .. } => {
                    writeln!(out, "# task {task} awaits")?;
                    format!("began {task}")
                }
                RunEvent::WaitEnded { task, failed, .. } => {
                    writeln!(out, "# task {task} resumes")?;
                    format!("ended {task} failed={failed}")
                }
                RunEvent::Thread(park) => format!("parked={}", park.parked),
                RunEvent::Poll { task, .. } => format!("poll {task}"),
                RunEvent::Caller { waiting, .. } => format!("caller waiting={waiting}"),
                RunEvent::Finished { .. } => "finished".into(),
                RunEvent::Lock { task, step, .. } => format!("lock {task} {step:?}"),
            };
            self.0.lock().unwrap().push(seen);
            Ok(())
        }

        fn wants_threads(&self) -> bool {
            true
        }
    }

    /// A follower sees every line and wait in the order of the output, and
    /// what it writes lands between the demo's lines, each whole.
    #[test]
    fn a_follower_sees_the_events_in_order_and_writes_between_the_lines() {
        let captured = Captured::default();
        let sink = plain(captured.clone(), Demo::Fetch);
        let seen = Arc::new(Mutex::new(Vec::new()));
        assert!(!sink.follows_threads());
        {
            let mut state = sink.lock();
            let commentator = Box::new(Commentator(Arc::clone(&seen)));
            sink.add_follower(&mut state, commentator, "narrating".into());
        }
        assert!(sink.follows_threads(), "it asked for the threads");
        sink.line(1, Phase::First);
        sink.line(2, Phase::First);
        sink.park(true);
        sink.end(
            2,
            Ending::Reply {
                status: 200,
                reason: "OK",
            },
        );
        sink.end(1, Ending::Failed("refused".into()));
        sink.flush();
        assert_eq!(
            captured.text(),
            "fetch 1 ...\n# task 1 awaits\nfetch 2 ...\n# task 2 awaits\n\
             # task 2 resumes\n... fetch 2: 200 OK\n\
             # task 1 resumes\n... fetch 1: failed: refused\n"
        );
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "line 1 fetch 1 ...",
                "began 1",
                "line 2 fetch 2 ...",
                "began 2",
                "parked=true",
                "ended 2 failed=false",
                "line 2 ... fetch 2: 200 OK",
                "ended 1 failed=true",
            ]
        );
        assert_eq!((sink.completed(), sink.failed()), (1, 1));
    }

    /// A follower that cannot write stops the run, named in the error, and
    /// the line it was told about is not written.
    #[test]
    fn a_failing_follower_stops_the_run_with_its_name() {
        struct Broken;
        impl Follower for Broken {
            fn follow(&mut self, _: &RunEvent<'_>, _: &mut dyn Write) -> io::Result<()> {
                Err(io::Error::from_raw_os_error(28)) // ENOSPC
            }
        }
        let captured = Captured::default();
        let sink = plain(captured.clone(), Demo::Count);
        {
            let mut state = sink.lock();
            sink.add_follower(&mut state, Box::new(Broken), "writing the follower".into());
        }
        sink.line(1, Phase::First);
        assert!(sink.is_stopped());
        assert!(!sink.flush());
        assert_eq!(captured.text(), "");
        let err = sink.lock().take_error().unwrap();
        assert_eq!(err.to_string(), "writing the follower");
    }
}
