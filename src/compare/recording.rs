//! `compare --record FILE`: the glue between the loop that runs the ways
//! and the recording ([`crate::record::compare`] has the layout). Each
//! way's section begins before the way runs and ends with its row; a
//! Python row's is written whole; a signal ends the stopped way's section
//! and the file.

use super::{Comparison, Trial};
use crate::cli::CompareArgs;
use crate::config::{self, Config};
use crate::exit_code::{self, ExitCode};
use crate::interrupt::Signal;
use crate::python::Program;
use crate::record::compare::WaysRecording;
use crate::report::compare::Row;
use crate::sink::Sink;
use std::io::{self, IsTerminal, Write};

/// The recording, when `--record` asked for one.
pub(super) struct Kept {
    recording: Option<WaysRecording>,
    /// `--record -`: the recording has stdout, and the table goes to
    /// stderr.
    on_stdout: bool,
}

impl Kept {
    /// Creates the file `args.record` names, its header naming `trials`'
    /// ways and the Python rows `--python` will try, in their order.
    pub(super) fn start(args: &CompareArgs, trials: &[Trial]) -> anyhow::Result<Kept> {
        let Some(path) = &args.record else {
            return Ok(Kept {
                recording: None,
                on_stdout: false,
            });
        };
        let mut ways: Vec<String> = trials.iter().map(|t| t.name.label()).collect();
        if args.python {
            let (all, _) = super::python_programs(args);
            let python = super::python_twins(all, &args.ways);
            ways.extend(python.iter().map(|p| p.name()));
        }
        Ok(Kept {
            recording: Some(WaysRecording::start(path, args.demo, ways)?),
            on_stdout: config::is_stdout(path),
        })
    }

    /// Begins the section of `trial`'s run of `config` through `sink`.
    pub(super) fn way(&self, trial: &Trial, config: &Config, sink: &Sink) -> ExitCode {
        self.said(|r| r.way(&trial.name.label(), config, sink))
    }

    /// Ends the running way's section with its `row`.
    pub(super) fn row(&self, row: &Row) -> ExitCode {
        self.said(|r| r.concluded(row, None))
    }

    /// Writes the section of the Python row `row`, which `program` ran.
    pub(super) fn python(&self, program: &Program, row: &Row) -> ExitCode {
        self.said(|r| r.python(&program.name(), program.mode, row, None))
    }

    /// Ends the file.
    pub(super) fn end(&self) -> ExitCode {
        self.said(WaysRecording::end)
    }

    /// The signal thread's path: the stopped way's `row`, the Python row
    /// in progress, and the end of the file. An error is said; the process
    /// ends with the signal's code anyway.
    pub(super) fn interrupted(
        &self,
        row: Option<&Row>,
        python: Option<&(Row, &'static Program)>,
        signal: Signal,
    ) {
        let python = python.map(|(row, program)| (program.name(), program.mode, row));
        let python = python
            .as_ref()
            .map(|(name, mode, row)| (&name[..], *mode, *row));
        self.said(|r| r.interrupted(row, python, signal));
    }

    /// Whether the recording took stdout (`--record -`).
    pub(super) fn on_stdout(&self) -> bool {
        self.on_stdout
    }

    /// Runs `write` on the recording, if there is one; a failure (a full
    /// disk) is said on stderr, and is exit 2.
    fn said(&self, write: impl FnOnce(&WaysRecording) -> anyhow::Result<()>) -> ExitCode {
        let Some(recording) = &self.recording else {
            return ExitCode::Success;
        };
        match write(recording) {
            Ok(()) => ExitCode::Success,
            Err(err) => {
                exit_code::error(format_args!("{err:#}"));
                ExitCode::Error
            }
        }
    }
}

impl Comparison {
    /// The table's stream: stdout, or stderr when `--record -` took stdout.
    pub(super) fn out(&self) -> Box<dyn Write> {
        match self.recording.on_stdout() {
            true => Box::new(io::stderr().lock()),
            false => Box::new(io::stdout().lock()),
        }
    }

    /// Whether the table's stream is a terminal.
    pub(super) fn on_terminal(&self) -> bool {
        match self.recording.on_stdout() {
            true => io::stderr().is_terminal(),
            false => io::stdout().is_terminal(),
        }
    }
}
