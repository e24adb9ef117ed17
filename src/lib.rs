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
//! Data flows one way: arguments → validated config → run → events and
//! outcome → report.
//!
//! - [`cli`]: what the user can say (clap derive types, nothing else).
//! - [`config`]: the arguments checked against each other; defaults settled.
//! - [`demo`]: what each task prints, and the task coroutine itself.
//! - [`run`]: the ways to run the tasks (how a task waits, which runtime).
//! - [`sink`]: where task lines go during the run: one buffered writer,
//!   flushed when the program is about to wait.
//! - [`report`]: the renderers of the finished run: text, JSON and NDJSON,
//!   the `--timeline` picture, the `--trace` file and the `compare` table.
//! - [`compare`]: the `compare` command, one run per way of running.
//! - [`generate`]: shell completions and the man page, from the CLI itself.
//! - [`interrupt`]: Ctrl-C and SIGTERM, received on a thread of their own.
//! - [`net`]: real I/O for `fetch` and `serve`: a slow line server on
//!   loopback, and its async (`tokio::net`) and blocking (`std::net`) clients.
//! - [`exit`]: the exit codes.
//!
//! `main.rs` only parses the command line, calls [`run`] and turns its
//! result or error into an exit code.

pub mod cli;
pub mod compare;
pub mod config;
pub mod demo;
pub mod exit;
pub mod generate;
pub mod interrupt;
pub mod net;
pub mod report;
pub mod run;
pub mod sink;

use crate::cli::{Cli, Command};
use crate::config::{Config, Term};
use crate::demo::Demo;
use crate::exit::ExitCode;
use crate::run::Outcome;
use crate::sink::Sink;
use anyhow::Context;
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// How long the signal thread waits for the writer before it gives up on
/// printing a summary. The lock is normally held for microseconds; it is held
/// longer only while a write blocks on a full pipe, and Ctrl-C must still
/// end the program promptly then.
const SIGNAL_LOCK_PATIENCE: Duration = Duration::from_millis(150);

/// Runs the command the user gave and says how the process should exit.
///
/// Usage errors come back as a `clap::Error` inside the `anyhow::Error`, so
/// that `main` can print them in clap's own style.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let term = Term::detect(cli.color);
    let (demo, args, fetch) = match cli.command {
        Command::Count(args) => (Demo::Count, args, None),
        Command::Hello(args) => (Demo::Hello, args, None),
        Command::Fetch(args) => {
            let fetch = config::FetchOptions::new(&args);
            (Demo::Fetch, args.run, Some(fetch))
        }
        Command::Serve(args) => return net::serve(args.addr, args.delay),
        Command::Compare(args) => return compare::compare(args, term),
        Command::Completions { shell } => return generate::print(&generate::completions(shell)),
        Command::Man => return generate::print(&generate::man_page()?),
    };
    let config = Config {
        fetch,
        ..Config::new(demo, args, term)?
    };
    run_demo(config, Box::new(io::stdout()))
}

/// Runs one demo, writing to `out`, and concludes it.
pub fn run_demo(config: Config, out: Box<dyn io::Write + Send>) -> anyhow::Result<ExitCode> {
    // Create the trace file before the run, so a bad path fails at once
    // rather than after a long wait.
    let trace = match &config.trace {
        Some(path) => Some(
            std::fs::File::create(path)
                .with_context(|| format!("creating trace file '{}'", path.display()))?,
        ),
        None => None,
    };
    let config = Arc::new(config);
    let sink = Arc::new(Sink::new(out, config.demo, config.live(), config.record()));
    sink.lock().trace = trace;

    interrupt::on_signal({
        let (config, sink) = (Arc::clone(&config), Arc::clone(&sink));
        move |signal| {
            // The tasks may be mid-run on another thread, or that thread may
            // be stuck in `std::thread::sleep`. Take the writer (its lock is
            // never held across a wait), add the partial summary after the
            // lines already written, and end the process from here.
            if let Some(mut state) = sink.lock_within(SIGNAL_LOCK_PATIENCE) {
                if state.concluded {
                    // The run ended just before the signal; main is exiting.
                    return;
                }
                let outcome = Outcome {
                    elapsed: state.elapsed(),
                    completed: state.completed,
                    observed_delay: None,
                };
                // Nothing useful can be done with an error here: the process
                // is ending either way, with the signal's exit code.
                let _ = report::conclude(&mut state, &config, outcome, Some(signal));
            }
            std::process::exit(signal.exit_code().code().into());
        }
    })?;

    let outcome = run::execute(&config, &sink)?;
    let mut state = sink.lock();
    if let Some(err) = state.error.take() {
        return Err(err);
    }
    report::conclude(&mut state, &config, outcome, None)
}
