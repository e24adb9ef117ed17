//! The lifecycle of one command, from the parsed command line to the exit
//! code: [`run_before_exit`] hands each command to the room that runs it,
//! and a demo run's [`Lifecycle`] starts the run, lets a signal or the
//! reader hanging up interrupt it, concludes it (summary, trace file,
//! pictures, check verdicts) through `conclude` and `export`, and picks
//! the exit code.
//!
//! `main.rs` only parses the command line, calls [`run_before_exit`] and
//! turns its result or error into an exit code.

use crate::cli::{Cli, Command};
use crate::conclude::{Claim, Closer};
use crate::config::{Config, DemoCommand};
use crate::exit_code::{self, ExitCode};
use crate::export::{Exports, Finished, Single};
use crate::interrupt::Signal;
use crate::outcome::Outcome;
use crate::report::{Summary, text, trace};
use crate::run::Teardown;
use crate::sink::{Sink, SinkState};
use crate::vocab::{Format, PeerKind};
use crate::{
    compare, conclude, config, db, export, generate, http, interrupt, limits, live, report, run,
    slowpoll,
};
use anyhow::Context;
use std::io::{self, IsTerminal, Write};
use std::sync::Arc;

/// The size of the `--trace` file's buffer: a million-task trace is
/// hundreds of megabytes, written during the run under the sink's lock.
const TRACE_BUFFER_BYTES: usize = 256 * 1024;

/// Runs the command the user gave and says how the process should exit,
/// for a caller that ends the process as soon as this returns, as `main`
/// does: the memory of the finished tasks is left to the OS instead of
/// being dropped. The summary, the trace file and every writer are flushed
/// before this returns; the OS then takes back the tasks' memory in one
/// go, where dropping ten million tasks would revisit each of them once
/// more (docs/benchmarks.md).
///
/// Usage errors come back as a `clap::Error` inside the `anyhow::Error`, so
/// that `main` can print them in clap's own style.
pub fn run_before_exit(cli: Cli) -> anyhow::Result<ExitCode> {
    limits::share_malloc_arena_under_address_limit();
    let term = config::detect_term(cli.color);
    let command = match DemoCommand::of(cli.command).map_err(|other| *other) {
        Ok(command) => command,
        Err(Command::Serve(args)) => {
            // Usage errors first, as in a build with HTTP.
            let settings = config::ServeOptions::new(&args)?;
            return http::serve(&args.addr, settings);
        }
        Err(Command::Compare(args)) => {
            if args.demo.peer().map(|peer| peer.kind) == Some(PeerKind::Server) {
                http::require(&format!("compare {}", args.demo.name()))?;
            }
            return compare::compare(args, term);
        }
        Err(Command::Completions { shell }) => {
            return generate::print(&generate::completions(shell));
        }
        Err(Command::Replay(args)) => return crate::replay::replay(args, term),
        Err(Command::Man) => return generate::print(&generate::man_page()?),
        // `DemoCommand::of` took every demo's command; the compiler cannot
        // see that, and an error is better than a panic should one be missed.
        Err(other) => anyhow::bail!("no demo runs this command: {other:?}"),
    };
    let config = command.config(term)?;
    live::require(&config)?;
    // After the usage checks, so that a bad argument reads the same in
    // every build.
    if config.query.is_some() {
        db::require(config.demo.name())?;
    }
    if config.fetch.is_some() {
        http::require(config.demo.name())?;
    }
    // With `--trace -` or `--svg -` that document has stdout to itself
    // (config.rs allows it only under -q), so the summary line goes to
    // stderr.
    let out: Box<dyn Write + Send> = if config.stdout_taken() {
        Box::new(io::stderr())
    } else {
        Box::new(io::stdout())
    };
    // Before anything touches the terminal (`--live` asks it a question).
    interrupt::catch_early()?;
    Lifecycle::new(config, out).run(Teardown::LeaveToExit)
}

/// One demo run from start to exit code: the only place that decides when
/// the run ends, what is written at its end, and how the process exits.
struct Lifecycle {
    /// What to run.
    config: Config,
    /// Where its lines go; shared with the tasks, which on some drivers
    /// (a thread each, `--spawn`) own a handle of their own.
    sink: Arc<Sink>,
    /// What the run's end writes: the summary into the sink's output, and
    /// the `--svg` file, created before the run.
    exports: Exports<Single>,
    /// `--slow-poll`'s timing of every poll; `None` without the flag.
    watch: Option<Arc<slowpoll::Watch>>,
    /// `--live`'s view while it is up; `None` without the flag or without
    /// a terminal to draw on. It owns stdout: the sink writes through it.
    view: Option<live::View>,
}

impl Lifecycle {
    fn new(config: Config, out: Box<dyn Write + Send>) -> Arc<Lifecycle> {
        let (view, out, live) = live::start(&config, out);
        // Only the JSON formats print `peak_overlap`, so only they count it.
        let sink = Arc::new(
            Sink::new(out, config.demo, config.line_style(), config.record)
                .counting_overlap(config.format != Format::Text)
                .observing(report::observed_tasks(&config))
                .counting_states(report::census(&config), report::state_stream(&config))
                .tallying(live.as_ref().map(|_| live::tally(&config))),
        );
        if let Some(live) = live {
            if let Some(log) = sink.log() {
                live.attach(Arc::clone(log));
            }
            // Before the run starts, so that the runtime gets its park hooks
            // for the view's thread lanes.
            sink.follow_with(Box::new(live::Follow(live)), "drawing the live view".into());
        }
        let watch = config.slow_poll.map(|threshold| {
            // With the view up on the terminal stderr shares, a warning goes
            // above the view (it would be drawn over), else to stderr.
            let warnings = match &view {
                Some(view) if io::stderr().is_terminal() => {
                    slowpoll::Warnings::Through(view.aside())
                }
                _ => slowpoll::Warnings::Stderr,
            };
            slowpoll::Watch::for_run(&config, threshold, warnings)
        });
        Arc::new(Lifecycle {
            exports: Exports::for_run(&config),
            config,
            sink,
            watch,
            view,
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
    /// below the view's last frame. Bounded in time, and safe to call
    /// twice; called before anything that ends the process.
    fn finish_view(&self) {
        if let Some(view) = &self.view {
            view.finish();
        }
    }

    /// Takes the `--live` view down before anything is written below it:
    /// the lines still in the sink's buffer go above the view first, and
    /// a line written while the view is up (on stderr too) would be drawn
    /// over by its last frame. (A failed flush fails again at the next
    /// write, where it is reported.)
    fn view_down(&self, state: &mut SinkState) {
        if self.view.is_some() {
            let _ = state.out_and_events().0.flush();
        }
        self.finish_view();
    }

    /// Ends the process with `code`, the terminal left clean first: the
    /// signal and hang-up paths end here, and `exit` runs no destructor.
    fn exit(&self, code: ExitCode) -> ! {
        self.finish_view();
        conclude::exit(code)
    }

    /// [`Lifecycle::run`], while the view (if any) is up.
    fn run_view_up(self: Arc<Self>, teardown: Teardown) -> anyhow::Result<ExitCode> {
        // The handler goes in first, so that from the moment anything is
        // visible (the trace file, the first line) a signal is handled.
        interrupt::on_signal({
            let run = Arc::clone(&self);
            move |signal| run.interrupted(signal)
        })?;
        self.open_trace()?;
        self.exports.create_files(&self.config)?;
        if let Some(path) = &self.config.recording {
            crate::record::start(&self.config, &self.sink, &self.exports, path)?;
        }
        // A reader that goes away while every task waits (`| head -1` with
        // a long delay) would otherwise be noticed only at the next write.
        interrupt::on_hangup({
            let run = Arc::clone(&self);
            move || run.hung_up()
        })?;
        let result = run::execute(&self.config, &self.sink, self.watch.as_ref(), teardown);
        // If a signal (or the reader hanging up) concluded the run first,
        // that thread is ending the process, and this one parks.
        let mut state = self.sink.conclusion().claim_end();
        let outcome = match (state.take_error(), result) {
            (None, Ok(outcome)) => {
                if let Some(deadlock) = &outcome.deadlock {
                    // Before the summary, which then says how far the
                    // tasks got, and below the view; a failed write to
                    // stderr changes nothing.
                    self.view_down(&mut state);
                    exit_code::error(run::lock::diagnosis(deadlock));
                }
                outcome
            }
            (Some(err), _) | (None, Err(err)) => {
                // The run stopped early with an error; the trace file still
                // gets its closing brackets, so what it holds can be opened.
                let _ = state.finish_trace();
                return Err(err);
            }
        };
        self.conclude(&mut state, outcome, None)
    }

    /// Opens the `--trace` file, if asked for: created before the run, so
    /// that a bad path fails at once, and written during it (see
    /// `report::trace::Stream`).
    fn open_trace(&self) -> anyhow::Result<()> {
        let Some(path) = &self.config.trace else {
            return Ok(());
        };
        let (demo, mode, work) = (self.config.demo, self.config.way.mode, self.config.work);
        self.sink.open_trace(|| {
            let export::Target { out, what } = export::create(path, "trace")?;
            let out: Box<dyn Write + Send> =
                Box::new(io::BufWriter::with_capacity(TRACE_BUFFER_BYTES, out));
            let stream = trace::Stream::start(out, demo, mode, work).context(what.clone())?;
            Ok((stream, what))
        })
    }

    /// The reader of stdout has gone away (it closed the pipe): nobody will
    /// read anything more, so end now, quietly and with code 0, as a write
    /// into the closed pipe would, without waiting out the tasks' sleeps.
    fn hung_up(&self) {
        let mut state = match self.sink.conclusion().claim(Closer::HangUp) {
            Claim::Won(state) => state,
            // Concluded already: its next write fails with a broken pipe,
            // and main ends quietly.
            Claim::Lost => return,
            Claim::Stuck(code) => self.exit(code),
        };
        let _ = state.finish_trace();
        self.exit(ExitCode::Success);
    }

    /// The signal thread's path: conclude with a partial summary, unless
    /// the run has concluded already, and end the process.
    fn interrupted(&self, signal: Signal) {
        // The tasks may be mid-run on another thread, or that thread may be
        // stuck in `std::thread::sleep`. Take the writer (its lock is never
        // held across a wait) and add the partial summary after the lines
        // already written.
        let mut state = match self.sink.conclusion().claim(Closer::Signal(signal)) {
            Claim::Won(state) => state,
            // The run concluded just before the signal: its summary is
            // out, and main exits with the code that summary implies.
            Claim::Lost => return,
            // The writer is stuck: a reader that does not read holds the
            // pipe full.
            Claim::Stuck(code) => self.exit(code),
        };
        let polls = self.watch.as_deref().map(slowpoll::Watch::polls);
        let outcome = self.sink.so_far(&state, polls);
        // Nothing useful can be done with an error here: the process is
        // ending either way, with the signal's exit code.
        let _ = self.conclude(&mut state, outcome, Some(signal));
        // Exit while still holding the lock, so that no task line can
        // follow the summary.
        self.exit(signal.exit_code());
    }

    /// Writes the end of the run (timeline, summary, trace file, pictures,
    /// and the check verdicts on stderr) and says how the process should
    /// exit. Called once, by whichever path claimed the conclusion.
    fn conclude(
        &self,
        state: &mut SinkState,
        outcome: Outcome,
        signal: Option<Signal>,
    ) -> anyhow::Result<ExitCode> {
        let config = &self.config;
        // The summary is written below the view's last frame, on a line of
        // its own.
        self.view_down(state);
        let elapsed = outcome.elapsed;
        let mut summary = Summary::new(config, outcome, signal)
            .with_peak_overlap(self.sink.peak_overlap())
            .with_observed(self.sink.observed());
        summary.failures = state.failures().to_vec();
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
            self.sink.conclusion().decide(code);
        }
        // The output is stdout, or stderr when a document took stdout.
        let terminal = if config.stdout_taken() {
            io::stderr().is_terminal()
        } else {
            io::stdout().is_terminal()
        };
        let (out, events, parks) = state.out_and_events();
        text::end_the_ctrl_c_line(out, signal, terminal).context("writing output")?;
        let finished = Finished {
            summary: &summary,
            events,
            parks,
            signal,
        };
        self.exports.write_main(out, &finished)?;
        self.exports.write_files(&finished)?;
        if code != ExitCode::CheckFailed {
            return Ok(code);
        }
        // The verdicts go to stderr so that stdout stays exactly the demo's
        // output (or pure JSON); a failed write there changes nothing.
        let mut err = io::stderr().lock();
        // Under -q no task line said why a task failed: say it here.
        if config.format == crate::vocab::Format::Text
            && config.line_style() == crate::config::LineStyle::Silent
        {
            text::write_failures(&mut err, config.demo, &summary);
        }
        for (check, result) in config.checks.iter().zip(&summary.checks) {
            if !result.passed {
                let _ = writeln!(err, "{}", text::check_failure(*check, elapsed));
            }
        }
        Ok(ExitCode::CheckFailed)
    }
}
