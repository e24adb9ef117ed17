//! asyncdemo: see the difference between blocking and non-blocking waiting.
//!
//! N coroutines each print a line, wait, and print another line, as in
//! Python's asyncio lesson (`count()` and `hello()` under `asyncio.gather`).
//! They wait either with `tokio::time::sleep` (the thread stays free, so all
//! the waits overlap: about 1 s in total) or with `std::thread::sleep` (the
//! thread is held, so the tasks run one after another: N s).
//!
//! # Layout
//!
//! Data flows one way:
//!
//! ```text
//! args ──▶ config ──▶ run ──▶ events ──▶ summary ──▶ report
//! (cli)    (config)   (run, demo,  (sink)    (report)    (report/*)
//!                      wait)
//! ```
//!
//! Each module uses only the ones listed before it (`module-graph src`
//! checks there is no cycle), so a newcomer can read the house from the
//! bottom up:
//!
//! - [`vocab`]: the shared words (demo, phase, mode, runtime, format, event,
//!   outcome, signal, exit code). Uses nothing of the crate.
//! - [`interrupt`]: Ctrl-C and SIGTERM, received on a thread of their own,
//!   and the patient try-lock their handlers take.
//! - [`cli`]: what the user can say: clap derive types, and the one list of
//!   examples that `--help` and the man page show.
//! - [`config`]: the arguments checked against each other, defaults
//!   settled; one constructor builds every run's [`config::Config`].
//! - [`report`]: pure renderers. A [`report::Summary`] and the recorded
//!   events in; text, JSON, NDJSON, the `--timeline` and `--svg` pictures,
//!   the `--trace` file and the `compare` table out.
//! - [`live`]: `--live`, the timeline drawn on the terminal while the run
//!   goes (ratatui's inline viewport, on a thread of its own), fed by the
//!   sink; behind the default cargo feature `live`.
//! - [`sink`]: where task lines go during the run: one buffered writer,
//!   flushed when the program is about to wait, and the events recorded
//!   for the pictures.
//! - [`server`]: the slow HTTP server (hyper) that `fetch` talks to and
//!   `serve` runs; behind the default cargo feature `http`, like the
//!   clients in `wait::fetch`.
//! - [`wait`]: the ways of waiting, the one thing that differs between
//!   modes: a tokio timer, a blocking call in place, the blocking pool, and
//!   the HTTP clients of `fetch` (reqwest and ureq).
//! - [`demo`]: the task coroutine itself: print, wait, print.
//! - [`slowpoll`]: `--slow-poll`, each coroutine's polls timed, and a
//!   watchdog thread that names a task while it holds its thread.
//! - [`run`]: what drives the tasks (a tokio runtime, joined or spawned, or
//!   an OS thread each), the machine's limits checked before they start,
//!   and how long they took.
//! - [`compare`]: the `compare` command, one run per way of running.
//! - [`generate`]: shell completions and the man page, from the CLI itself.
//!
//! This file owns the lifecycle of a run: it starts it, lets a signal
//! interrupt it, concludes it exactly once (summary, trace file, check
//! verdicts) and picks the exit code. `main.rs` only parses the command
//! line, calls [`run`] and turns its result or error into an exit code.

pub mod cli;
mod compare;
mod config;
mod demo;
mod generate;
mod interrupt;
mod live;
mod report;
mod run;
#[cfg(feature = "http")]
mod server;
mod sink;
mod slowpoll;
mod vocab;
mod wait;

pub use crate::vocab::{ExitCode, MachineLimit};

use crate::cli::{Cli, Command};
use crate::config::{Config, FetchOptions};
use crate::report::{Summary, json, svg, text, timeline, trace};
use crate::run::Teardown;
use crate::sink::{Sink, State};
use crate::vocab::{Demo, Format, Outcome, Signal};
use anyhow::Context;
use std::fs::File;
use std::io::{self, Write};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How much longer the signal thread waits when the run has already ended
/// and its conclusion is being written: a big `--timeline` takes a while,
/// and cutting it short would lose the summary that the exit code reports.
const CONCLUSION_PATIENCE: Duration = Duration::from_secs(1);

/// The size of the `--trace` file's buffer: a million-task trace is
/// hundreds of megabytes, written during the run under the sink's lock.
const TRACE_BUFFER_BYTES: usize = 256 * 1024;

/// [`Lifecycle::verdict`] before the normal end has chosen an exit code.
const NO_VERDICT: i32 = -1;

/// Runs the command the user gave and says how the process should exit.
///
/// Usage errors come back as a `clap::Error` inside the `anyhow::Error`, so
/// that `main` can print them in clap's own style. Everything the run built
/// is dropped before this returns.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    run_as(cli, Teardown::Drop)
}

/// [`run`], for a caller that ends the process as soon as this returns, as
/// `main` does: the memory of the finished tasks is left to the OS instead
/// of being dropped. The summary, the trace file and every writer are
/// flushed before this returns, as with [`run`]; the OS then takes back the
/// tasks' memory in one go, where dropping ten million tasks would revisit
/// each of them once more (docs/benchmarks.md).
pub fn run_then_exit(cli: Cli) -> anyhow::Result<ExitCode> {
    run_as(cli, Teardown::LeaveToExit)
}

fn run_as(cli: Cli, teardown: Teardown) -> anyhow::Result<ExitCode> {
    run::limits::share_malloc_arena_under_address_limit();
    let term = config::detect_term(cli.color);
    let (demo, args, fetch) = match cli.command {
        Command::Count(args) => (Demo::Count, args, None),
        Command::Hello(args) => (Demo::Hello, args, None),
        Command::Fetch(args) => {
            let fetch = FetchOptions::new(&args);
            (Demo::Fetch, args.run, Some(fetch))
        }
        Command::Serve(args) => {
            // Usage errors first, as in a build with HTTP.
            let settings = config::ServeOptions::new(&args)?;
            config::require_http("serve")?;
            #[cfg(feature = "http")]
            return server::serve(&args.addr, settings);
            #[cfg(not(feature = "http"))]
            {
                let _ = settings;
                return Err(config::no_http("serve"));
            }
        }
        Command::Compare(args) => {
            if args.demo == Demo::Fetch {
                config::require_http("compare fetch")?;
            }
            return compare::compare(args, term);
        }
        Command::Completions { shell } => return generate::print(&generate::completions(shell)),
        Command::Man => return generate::print(&generate::man_page()?),
    };
    let config = Config::new(demo, args, fetch, term)?;
    if demo == Demo::Fetch {
        // After the usage checks, so that a bad argument reads the same in
        // every build.
        config::require_http("fetch")?;
    }
    // With `--trace -` the trace has stdout to itself (config.rs allows it
    // only under -q), so the summary line goes to stderr.
    let out: Box<dyn Write + Send> = if config.trace_to_stdout() {
        Box::new(io::stderr())
    } else {
        Box::new(io::stdout())
    };
    Lifecycle::new(config, out).run(teardown)
}

/// One demo run from start to exit code: the only place that decides when
/// the run ends, what is written at its end, and how the process exits.
struct Lifecycle {
    /// What to run.
    config: Config,
    /// Where its lines go; shared with the tasks, which on some drivers
    /// (a thread each, `--spawn`) own a handle of their own.
    sink: Arc<Sink>,
    /// The `--svg` file, created before the run so that a bad path fails at
    /// once, and written when the run concludes.
    svg: Mutex<Option<File>>,
    /// `--slow-poll`'s timing of every poll; `None` without the flag.
    watch: Option<Arc<slowpoll::Watch>>,
    /// `--live`'s view while it is up; `None` without the flag or without
    /// a terminal to draw on. It owns stdout: the sink writes through it.
    view: Option<live::View>,
    /// The exit code the normal end chose, set just before it writes the
    /// summary ([`NO_VERDICT`] until then). A signal that cannot wait for
    /// that summary's writer exits with this code, so that the code always
    /// matches the summary on stdout.
    verdict: AtomicI32,
}

impl Lifecycle {
    fn new(config: Config, out: Box<dyn Write + Send>) -> Arc<Lifecycle> {
        let (view, out, live) = live::start(&config, out);
        let sink = Sink::new(out, config.demo, config.live(), config.record());
        let sink = Arc::new(match live {
            Some(live) => sink.followed_by(live),
            None => sink,
        });
        let watch = config
            .slow_poll
            .map(|threshold| slowpoll::Watch::for_run(&config, threshold, true));
        Arc::new(Lifecycle {
            config,
            sink,
            svg: Mutex::new(None),
            watch,
            view,
            verdict: AtomicI32::new(NO_VERDICT),
        })
    }

    /// Runs the demo and concludes it, or lets a signal conclude it.
    fn run(self: Arc<Self>, teardown: Teardown) -> anyhow::Result<ExitCode> {
        let result = Arc::clone(&self).run_view_up(teardown);
        // On every way out (an error too), the terminal is left clean
        // before main prints anything more.
        self.finish_view();
        result
    }

    /// Takes the `--live` view down, if it is up: the cursor shown again,
    /// below the view's last frame. Bounded in time; called before anything
    /// that ends the process.
    fn finish_view(&self) {
        if let Some(view) = &self.view {
            view.finish();
        }
    }

    /// [`Lifecycle::run`], while the view (if any) is up.
    fn run_view_up(self: Arc<Self>, teardown: Teardown) -> anyhow::Result<ExitCode> {
        // The handler goes in first, so that from the moment anything is
        // visible (the trace file, the first line) a signal is handled.
        interrupt::on_signal({
            let run = Arc::clone(&self);
            move |signal| run.interrupted(signal)
        })?;
        if let Some(path) = &self.config.trace {
            // Created before the run, so that a bad path fails at once, and
            // written during it (see `report::trace::Stream`).
            let (demo, mode) = (self.config.demo, self.config.way.mode);
            let to_stdout = self.config.trace_to_stdout();
            self.sink.open_trace(|| {
                let file: Box<dyn Write + Send> = if to_stdout {
                    Box::new(io::stdout())
                } else {
                    Box::new(
                        File::create(path)
                            .with_context(|| format!("creating trace file '{}'", path.display()))?,
                    )
                };
                let what = format!("writing trace file '{}'", path.display());
                let out: Box<dyn Write + Send> =
                    Box::new(io::BufWriter::with_capacity(TRACE_BUFFER_BYTES, file));
                let stream = trace::Stream::start(out, demo, mode).context(what.clone())?;
                Ok((stream, what))
            })?;
        }
        if let Some(path) = &self.config.svg {
            let file = File::create(path)
                .with_context(|| format!("creating SVG file '{}'", path.display()))?;
            *self.svg.lock().unwrap_or_else(|e| e.into_inner()) = Some(file);
        }
        // A reader that goes away while every task waits (`| head -1` with
        // a long delay) would otherwise be noticed only at the next write.
        interrupt::on_hangup({
            let run = Arc::clone(&self);
            move || run.hung_up()
        })?;
        let result = run::execute(&self.config, &self.sink, self.watch.as_ref(), teardown);
        let mut state = self.sink.lock();
        if !state.close() {
            // A signal (or the reader hanging up) concluded the run, and
            // that thread is ending the process while it holds the output.
            drop(state);
            loop {
                std::thread::park();
            }
        }
        let outcome = match (state.take_error(), result) {
            (None, Ok(outcome)) => outcome,
            (Some(err), _) | (None, Err(err)) => {
                // The run stopped early with an error; the trace file still
                // gets its closing brackets, so what it holds can be opened.
                let _ = state.finish_trace();
                return Err(err);
            }
        };
        self.conclude(&mut state, outcome, None)
    }

    /// The reader of stdout has gone away (it closed the pipe): nobody will
    /// read anything more, so end now, quietly and with code 0, as a write
    /// into the closed pipe would, without waiting out the tasks' sleeps.
    fn hung_up(&self) {
        if let Some(mut state) = self.sink.lock_within(interrupt::LOCK_PATIENCE) {
            if !state.close() {
                // Concluded already: its next write fails with a broken
                // pipe, and main ends quietly.
                return;
            }
            let _ = state.finish_trace();
            self.finish_view();
            std::process::exit(ExitCode::Success.code().into());
        }
        self.finish_view();
        std::process::exit(ExitCode::Success.code().into());
    }

    /// The signal thread's path: conclude with a partial summary, unless
    /// the run has concluded already, and end the process.
    fn interrupted(&self, signal: Signal) {
        let code = signal.exit_code().code().into();
        // The tasks may be mid-run on another thread, or that thread may be
        // stuck in `std::thread::sleep`. Take the writer (its lock is never
        // held across a wait) and add the partial summary after the lines
        // already written.
        if let Some(mut state) = self.sink.lock_within(interrupt::LOCK_PATIENCE) {
            if !state.close() {
                // The run concluded just before the signal: its summary is
                // out, and main exits with the code that summary implies.
                return;
            }
            let outcome = Outcome {
                elapsed: state.elapsed(),
                completed: self.sink.completed(),
                failed: state.failed(),
                observed_delay: None,
                polls: self.watch.as_ref().map(|w| w.polls()),
            };
            // Nothing useful can be done with an error here: the process
            // is ending either way, with the signal's exit code.
            let _ = self.conclude(&mut state, outcome, Some(signal));
            // Exit while still holding the lock, so that no task line can
            // follow the summary.
            std::process::exit(code);
        }
        // The writer is stuck: a reader that does not read holds the pipe
        // full. If the run had ended and its summary is being written, the
        // exit code is that summary's; give the writer a little longer.
        if self.verdict.load(Ordering::SeqCst) != NO_VERDICT {
            if self.sink.lock_within(CONCLUSION_PATIENCE).is_some() {
                // Written: main exits with the verdict.
                return;
            }
            self.finish_view();
            std::process::exit(self.verdict.load(Ordering::SeqCst));
        }
        self.finish_view();
        std::process::exit(code);
    }

    /// Writes the end of the run (timeline, summary, trace file, and the
    /// check verdicts on stderr) and says how the process should exit.
    /// Called once, by whichever path closed the sink.
    fn conclude(
        &self,
        state: &mut State,
        outcome: Outcome,
        signal: Option<Signal>,
    ) -> anyhow::Result<ExitCode> {
        let config = &self.config;
        // The view comes down first, so that the summary is written below
        // its last frame, on a line of its own; the lines still in the
        // sink's buffer go above the view before that. (A failed flush
        // fails again below, where it is reported.)
        if self.view.is_some() {
            let _ = state.out_and_events().0.flush();
        }
        self.finish_view();
        let summary = Summary::new(config, outcome, signal);
        // The trace first: once stdout says how the run ended, the trace
        // file must be whole, whatever happens next.
        if let Some(traced) = state.finish_trace() {
            traced?;
        }
        let code = match signal {
            Some(signal) => signal.exit_code(),
            None if summary.passed => ExitCode::Success,
            None => ExitCode::CheckFailed,
        };
        if signal.is_none() {
            self.verdict.store(code.code().into(), Ordering::SeqCst);
        }
        let (out, events, parks) = state.out_and_events();
        let written: io::Result<()> = (|| {
            match config.format {
                Format::Text => {
                    if config.timeline {
                        timeline::write(out, &summary, (events, parks), config.term)?;
                    }
                    text::write_summary(out, &summary, signal, config.term.color)?;
                }
                Format::Json => json::write_summary(out, &summary)?,
                Format::Ndjson => json::write_summary_line(out, &summary)?,
            }
            // Flushed here, not left to a destructor: the signal thread ends
            // the process with `exit`, which runs no destructors, and an
            // error must be reported rather than lost.
            out.flush()
        })();
        written.context("writing output")?;
        let file = self.svg.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let (Some(file), Some(path)) = (file, &config.svg) {
            let run = svg::Run {
                summary: &summary,
                events,
                parks,
            };
            let mut out = io::BufWriter::new(file);
            svg::write(&mut out, &run)
                .and_then(|()| out.flush())
                .with_context(|| format!("writing SVG file '{}'", path.display()))?;
        }
        if code != ExitCode::CheckFailed {
            return Ok(code);
        }
        // The verdicts go to stderr so that stdout stays exactly the demo's
        // output (or pure JSON); a failed write there changes nothing.
        let mut err = io::stderr().lock();
        for (check, result) in config.checks.iter().zip(&summary.checks) {
            if !result.passed {
                let _ = writeln!(err, "{}", text::check_failure(*check, outcome.elapsed));
            }
        }
        Ok(ExitCode::CheckFailed)
    }
}
