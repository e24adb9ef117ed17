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

mod locked;
mod overlap;
mod recorder;
mod writer;

use crate::conclude::{Guard, Guarded};
use crate::config::LineStyle;
use crate::events::LockStep;
use crate::events::{CallStep, Follower, PollStep, RunEvent, thread_number};
use crate::outcome::{Ending, Outcome, Polls};
use crate::report;
use crate::state::{Log, Observations, What};
use crate::vocab::{Demo, Event, LockKind, Park, Phase};
use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;

use locked::Followed;
pub(crate) use locked::SinkState;
use overlap::Overlap;
use recorder::Recorder;
pub(crate) use writer::WholeLines;

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
    /// The highest task whose waits' own steps (a timer armed, a call
    /// queued or started) go to the followers too: `--explain`'s narrated
    /// tasks ([`Sink::narrate_calls`]); 0, the default, sends none.
    calls_told: AtomicU32,
    /// The output and the followers, with who concludes the run: the
    /// conclusion is claimed under the lock every task line takes, so
    /// whoever wins writes the only summary, and no line follows it.
    state: Guarded<SinkState>,
    /// Woken when the run must stop (say, `| head -1` closed the pipe, or a
    /// fetch failed), so that an async run stops waiting at once.
    stop: Notify,
}

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
            calls_told: AtomicU32::new(0),
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
                observed: self.demo.peer().is_some_and(|peer| peer.queue.is_some()),
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
    /// `busy` of the driver's `connections` were taken when it asked.
    pub(crate) fn query_queued(&self, id: u32, busy: u32, connections: u32) {
        self.note_query(id, What::Queued);
        self.call_step(id, CallStep::QueryQueued { busy, connections });
    }

    /// Task `id`'s query was taken by its connection (the connection's
    /// own thread for SQLite, the server for PostgreSQL): from now on the
    /// task awaits its answer, its thread free. `connection` numbers the
    /// connection from 1, in the order the driver opened them.
    pub(crate) fn query_sent(&self, id: u32, connection: u32) {
        self.note_query(id, What::Sent);
        self.call_step(id, CallStep::QuerySent { connection });
    }

    /// From now on, the waits of tasks 1 to `tasks` tell their own steps
    /// to the followers too ([`CallStep`]): `--explain` says what was
    /// observed with them. Set before the run starts.
    pub(crate) fn narrate_calls(&self, tasks: u32) {
        self.calls_told.store(tasks, Ordering::Relaxed);
    }

    /// Whether task `id`'s waits tell their steps ([`Sink::narrate_calls`])
    /// or the model observes its timers: a wait that arms a timer asks
    /// this once, to skip the work when nobody listens.
    pub(crate) fn watches_timers(&self) -> bool {
        self.log.get().is_some() || self.calls_told.load(Ordering::Relaxed) > 0
    }

    /// Task `id` created a timer due at `deadline`: noted for the model
    /// and, for a narrated task, told to the followers.
    pub(crate) fn armed(&self, id: u32, deadline: Instant) {
        if let Some(log) = self.log.get() {
            log.armed(id, deadline);
        }
        if id <= self.calls_told.load(Ordering::Relaxed) {
            let mut state = self.lock();
            if stopped(&state) {
                return;
            }
            let at = state.elapsed();
            // On the run's clock, from the timer's own deadline.
            let due = state
                .start
                .map_or(at, |start| deadline.saturating_duration_since(start));
            let event = RunEvent::Poll {
                at,
                task: id,
                thread: thread_number(),
                step: PollStep::Call(CallStep::Armed { due }),
            };
            self.tell(&mut state, &event);
        }
    }

    /// Tells the followers `step` of task `id`'s wait, if it is narrated.
    fn call_step(&self, id: u32, step: CallStep) {
        if id <= self.calls_told.load(Ordering::Relaxed) {
            self.poll_step(id, PollStep::Call(step));
        }
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

    /// The same sink, keeping the task-state model's census of every task
    /// and its stream of state changes for NDJSON, when a view asked for
    /// them ([`crate::report::census`], [`crate::report::state_stream`]):
    /// each names the tasks and when they are born.
    pub(crate) fn counting_states(
        self,
        census: Option<crate::state::CensusOf>,
        stream: Option<(u32, crate::state::Birth)>,
    ) -> Sink {
        if let Some(log) = self.log.get() {
            if let Some(census) = census {
                log.census(census);
            }
            if let Some((tasks, birth)) = stream {
                log.stream(tasks, birth);
            }
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
        self.call_step(id, CallStep::PoolQueued);
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
        if began {
            self.call_step(id, CallStep::PoolStarted);
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
    pub(crate) fn poll_step(&self, id: u32, step: PollStep) {
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

    /// Tells the followers, if any, that the run ends without its tasks
    /// finishing: nothing moved any more (the `lock` demo's deadlock).
    pub(crate) fn stalled(&self) {
        let mut state = self.lock();
        if !state.followed() || stopped(&state) {
            return;
        }
        let at = state.elapsed();
        self.tell(&mut state, &RunEvent::Stalled { at });
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
                let text = ending.last_line(self.demo, id).unwrap_or_default();
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
            if log.keeps(id) {
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
                text: Cow::Borrowed(&text),
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
            LineStyle::Ndjson => {
                self.write_state_changes(out)?;
                report::json::write_event(out, at, id, text)
            }
            LineStyle::Silent => Ok(()),
        }
    }

    /// Writes the task-state model's last changes (the last tasks' own,
    /// after their last lines; a deadlocked task's), once the run is over
    /// and before the summary: NDJSON only.
    pub(crate) fn last_state_changes(&self) {
        let mut state = self.lock();
        if self.line_style == LineStyle::Ndjson && !stopped(&state) {
            let last = self.log.get().map(|log| log.last_changes());
            let written = last
                .unwrap_or_default()
                .iter()
                .try_for_each(|change| report::json::write_state(&mut state.out, change));
            self.check(&mut state, written);
        }
    }

    /// Writes the task-state model's changes seen since the last line, as
    /// NDJSON events of their own (nothing unless the stream was asked
    /// for, [`Sink::counting_states`]).
    fn write_state_changes(&self, out: &mut impl Write) -> io::Result<()> {
        for change in self.log.get().map(|log| log.changes()).unwrap_or_default() {
            report::json::write_state(out, &change)?;
        }
        Ok(())
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

#[cfg(test)]
pub(crate) mod tests;
