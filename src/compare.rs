//! `asyncdemo compare`: the same demo once per way of running it, one row
//! each, so the lesson reads off a single table.
//!
//! Each way is an ordinary run (the same [`run::execute`] a demo uses) whose
//! task lines go nowhere; only its summary is kept for the table.
//!
//! Ctrl-C keeps what was measured. The rows live behind one lock, shared
//! by the loop that runs the ways and the signal thread, and whichever of
//! the two concludes first prints the table, once: the loop at the end,
//! or the signal thread with the rows so far plus the way it stopped,
//! marked as interrupted. The same one-transition rule as a demo run's
//! ([`crate::sink::State::close`]).

use crate::cli::{CompareArgs, TableFormat};
use crate::config::{Config, Way};
use crate::interrupt;
use crate::python;
use crate::report::compare::{self, WAYS};
use crate::report::{Summary, svg};
use crate::run;
use crate::sink::Sink;
use crate::slowpoll::{self, Watch};
use crate::vocab::{Event, ExitCode, Language, Live, MachineLimit, Outcome, Park, Signal, Term};
use anyhow::Context;
use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// What compare counts as a slow poll: asyncio's `slow_callback_duration`.
const SLOW_POLL: Duration = Duration::from_millis(100);

/// The table as it fills up.
struct Table {
    /// The rows measured so far, with the words that explain each.
    rows: Vec<(Summary, &'static str)>,
    /// What each row's run recorded, for `--svg`: its events and parks.
    recorded: Vec<(Vec<Event>, Vec<Park>)>,
    /// The way running now, for the partial row a signal adds.
    current: Option<Running>,
    /// Set by whoever prints the table, so that it is printed once.
    concluded: bool,
}

/// A way in progress: enough to summarise it when a signal stops it.
struct Running {
    config: Config,
    sink: Arc<Sink>,
    why: &'static str,
    /// The timing of its polls, for the longest-poll column.
    watch: Arc<Watch>,
}

/// What the signal thread and the loop share.
struct Shared {
    table: Mutex<Table>,
    format: TableFormat,
    term: Term,
    /// The `--svg` file, created before the runs so that a bad path fails
    /// at once, and written by whichever path concludes.
    svg: Option<(File, PathBuf)>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The table, once, by whichever path concludes first; `None` if the
    /// other path has concluded already.
    fn conclude(&self) -> Option<MutexGuard<'_, Table>> {
        let mut table = self.lock();
        (!std::mem::replace(&mut table.concluded, true)).then_some(table)
    }

    /// The signal thread's path: print the rows so far and the stopped
    /// way, then end the process with the signal's code.
    fn interrupted(&self, signal: Signal) {
        let code = signal.exit_code().code().into();
        // A Python row in progress runs in a process group of its own,
        // which the terminal's Ctrl-C does not reach.
        python::stop_running();
        let Some(mut table) = interrupt::lock_within(&self.table, interrupt::LOCK_PATIENCE) else {
            std::process::exit(code);
        };
        if std::mem::replace(&mut table.concluded, true) {
            // The loop is printing the finished table; it exits as usual.
            return;
        }
        if let Some(Running {
            config,
            sink,
            why,
            watch,
        }) = table.current.take()
        {
            // The stopped way's partial outcome, from its sink. The lock
            // is taken only for a line, never across a wait.
            let (outcome, recorded) = sink
                .lock_within(interrupt::LOCK_PATIENCE)
                .map(|mut state| {
                    let outcome = Outcome {
                        elapsed: state.elapsed(),
                        completed: sink.completed(),
                        failed: state.failed(),
                        observed_delay: None,
                        polls: Some(watch.polls()),
                    };
                    let (_, events, parks) = state.out_and_events();
                    (outcome, (events.to_vec(), parks.to_vec()))
                })
                .unwrap_or_default();
            table
                .rows
                .push((Summary::new(&config, outcome, Some(signal)), why));
            table.recorded.push(recorded);
        }
        // Nothing useful can be done with an error here: the process ends
        // with the signal's code either way. Exit while holding the table,
        // so that nothing else is printed after it.
        let _ = self.print(&table.rows);
        let _ = self.draw(&table);
        std::process::exit(code);
    }

    /// Writes the `--svg` picture of the rows in `table`, if one was asked
    /// for: one panel per way, the interrupted one included.
    fn draw(&self, table: &Table) -> anyhow::Result<()> {
        let Some((file, path)) = &self.svg else {
            return Ok(());
        };
        let overhead = compare::overhead(&table.rows);
        let panels: Vec<svg::Panel> = table
            .rows
            .iter()
            .zip(&table.recorded)
            .map(|((summary, why), (events, parks))| svg::Panel {
                run: svg::Run {
                    summary,
                    events,
                    parks,
                },
                verdict: compare::verdict(summary, why, overhead),
            })
            .collect();
        let mut out = io::BufWriter::new(file);
        svg::write_compare(&mut out, &panels)
            .and_then(|()| out.flush())
            .with_context(|| format!("writing SVG file '{}'", path.display()))
    }

    fn print(&self, rows: &[(Summary, &str)]) -> io::Result<()> {
        let mut out = io::stdout().lock();
        match self.format {
            TableFormat::Text => compare::write_text(&mut out, rows, self.term),
            TableFormat::Markdown => compare::write_markdown(&mut out, rows),
            TableFormat::Json => compare::write_json(&mut out, rows),
        }?;
        out.flush()
    }
}

/// Waits for the signal thread, which has concluded and is ending the
/// process with the signal's code.
fn park_forever() -> ! {
    loop {
        std::thread::park();
    }
}

/// Runs every way and prints the table.
pub(crate) fn compare(args: CompareArgs, term: Term) -> anyhow::Result<ExitCode> {
    // The SVG file is created first, so that a bad path fails before the
    // runs rather than after them.
    let svg = match &args.svg {
        Some(path) => Some((
            File::create(path)
                .with_context(|| format!("creating SVG file '{}'", path.display()))?,
            path.clone(),
        )),
        None => None,
    };
    let shared = Arc::new(Shared {
        table: Mutex::new(Table {
            rows: Vec::with_capacity(WAYS.len()),
            recorded: Vec::with_capacity(WAYS.len()),
            current: None,
            concluded: false,
        }),
        format: args.format,
        term,
        svg,
    });
    // A run in progress may be blocked in `std::thread::sleep`; as for a
    // demo, the signal is handled on its own thread.
    interrupt::on_signal({
        let shared = Arc::clone(&shared);
        move |signal| shared.interrupted(signal)
    })?;

    // The worst way's ending decides the exit code, as a demo run's would:
    // 1 for tasks that failed or a limit of the machine, 2 for any other
    // error.
    let mut code = ExitCode::Success;
    for way in WAYS {
        let way_config = Way::with_defaults(way.mode, way.runtime, way.spawn);
        let config = Config {
            svg: args.svg.clone(),
            ..Config::of_way(args.demo, &args.workload, way_config)
        };
        // The label comes from an empty summary of the run about to start,
        // so the progress line and the table row describe it the same way.
        let label = compare::describe(&Summary::new(&config, Outcome::default(), None));
        let sink = Arc::new(Sink::new(
            Box::new(io::sink()),
            config.demo,
            Live::Silent,
            config.record(),
        ));
        // compare always times the polls (its runs are small), so that every
        // row can say how long one poll held a thread.
        let watch = slowpoll::Watch::for_run(&config, SLOW_POLL, false);
        {
            let mut table = shared.lock();
            if table.concluded {
                drop(table);
                park_forever();
            }
            table.current = Some(Running {
                config: config.clone(),
                sink: Arc::clone(&sink),
                why: way.why(args.demo),
                watch: Arc::clone(&watch),
            });
        }
        if args.format == TableFormat::Text {
            // On stderr, so that stdout holds only the table.
            let _ = writeln!(io::stderr(), "running {label} ...");
        }
        let result = run::execute(&config, &sink, Some(&watch), run::Teardown::Drop);
        // A task's failure (a fetch refused, say) is kept by the sink.
        let error = sink.lock().take_error();
        let outcome = match (result, error) {
            (Ok(outcome), None) if outcome.completed >= config.tasks => outcome,
            (Ok(outcome), None) => {
                let _ = writeln!(
                    io::stderr(),
                    "error: {label}: only {} of {} tasks finished",
                    outcome.completed,
                    config.tasks
                );
                code = worse(code, ExitCode::CheckFailed);
                outcome
            }
            // One way failing (the OS refusing threads, say) still leaves
            // the others worth showing; its row says how far it got.
            (Ok(_), Some(err)) | (Err(err), _) => {
                let _ = writeln!(io::stderr(), "error: {label}: {err:#}");
                let limit = err.chain().any(|cause| cause.is::<MachineLimit>());
                code = worse(
                    code,
                    if limit {
                        ExitCode::CheckFailed
                    } else {
                        ExitCode::Error
                    },
                );
                let state = sink.lock();
                Outcome {
                    elapsed: state.elapsed(),
                    completed: sink.completed(),
                    failed: state.failed(),
                    observed_delay: None,
                    polls: Some(watch.polls()),
                }
            }
        };
        let recorded = {
            let mut state = sink.lock();
            let (_, events, parks) = state.out_and_events();
            (events.to_vec(), parks.to_vec())
        };
        let mut table = shared.lock();
        if table.concluded {
            drop(table);
            park_forever();
        }
        table.current = None;
        table.recorded.push(recorded);
        let mut summary = Summary::new(&config, outcome, None);
        summary.language = Some(Language::Rust);
        table.rows.push((summary, way.why(args.demo)));
    }
    if args.python {
        code = worse(code, python_rows(&args, &shared));
    }

    let Some(table) = shared.conclude() else {
        park_forever();
    };
    shared.print(&table.rows).context("writing output")?;
    shared.draw(&table)?;
    Ok(code)
}

/// `compare --python`: the Python rows, after the tokio rows. A missing
/// python3 or package is a note on stderr, not a failure; a Python run
/// that fails or passes its deadline is a failed row, and exit code 1.
fn python_rows(args: &CompareArgs, shared: &Shared) -> ExitCode {
    let tasks = args.workload.tasks_for(args.demo);
    let deadline = args
        .python_deadline
        .unwrap_or_else(|| python::default_deadline(tasks, args.workload.delay));
    let mut code = ExitCode::Success;
    for way in python::ways(args.demo) {
        if shared.lock().concluded {
            park_forever();
        }
        if args.format == TableFormat::Text {
            let _ = writeln!(io::stderr(), "running python3: {} ...", way.ran);
        }
        let row = match python::run(way, args.demo, &args.workload, deadline) {
            python::Ran::Row(row) => *row,
            python::Ran::Skipped(why) => {
                let _ = writeln!(io::stderr(), "note: skipped {why}");
                continue;
            }
            python::Ran::NoPython(why) => {
                let _ = writeln!(io::stderr(), "note: no Python rows: {why}");
                break;
            }
        };
        let label = compare::runtime_label(&row.summary);
        if let Some(error) = &row.summary.error {
            let _ = writeln!(io::stderr(), "error: python3 {label}: {error}");
            code = worse(code, ExitCode::CheckFailed);
        } else if row.summary.completed < tasks {
            let _ = writeln!(
                io::stderr(),
                "error: python3 {label}: only {} of {tasks} tasks finished",
                row.summary.completed
            );
            code = worse(code, ExitCode::CheckFailed);
        }
        let mut table = shared.lock();
        if table.concluded {
            drop(table);
            park_forever();
        }
        table.recorded.push((row.events, row.parks));
        table.rows.push((row.summary, row.why));
    }
    code
}

/// The more serious of two exit codes: an error (2) over a failed run (1)
/// over success (0).
fn worse(a: ExitCode, b: ExitCode) -> ExitCode {
    let rank = |code| match code {
        ExitCode::Error => 2,
        ExitCode::CheckFailed => 1,
        _ => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}
