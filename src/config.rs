//! The validated configuration of one run.
//!
//! clap has already turned each argument into a typed value; this module
//! checks how the values fit together and settles the defaults, so the runner
//! and the reports never look at raw arguments.

use crate::cli::RunArgs;
use crate::demo::Demo;
use crate::report::Format;
use crate::run::Mode;
use crate::sink::Live;
use std::time::Duration;

/// Everything a run needs to know.
#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// Which demo's lines the tasks print.
    pub demo: Demo,
    /// How many tasks run, from 1 to [`crate::cli::MAX_TASKS`].
    pub tasks: u32,
    /// How long each task waits.
    pub delay: Duration,
    /// How each task waits.
    pub mode: Mode,
    /// The shape of the output.
    pub format: Format,
    /// How much text the text format prints.
    pub detail: Detail,
    /// The timing checks that decide the exit code.
    pub checks: Vec<Check>,
}

/// How much the text format prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Detail {
    /// Only the summary line (`--quiet`).
    Quiet,
    /// The task lines, as the notes print them, and the summary line.
    Normal,
    /// The task lines with time and task number (`--verbose`).
    Verbose,
}

/// A bound on the elapsed time that a CI job can enforce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// `--max-elapsed`: the run must not take longer.
    MaxElapsed(Duration),
    /// `--min-elapsed`: the run must not be quicker.
    MinElapsed(Duration),
}

impl Check {
    /// The name used in the JSON summary.
    pub const fn name(self) -> &'static str {
        match self {
            Check::MaxElapsed(_) => "max_elapsed",
            Check::MinElapsed(_) => "min_elapsed",
        }
    }

    /// The bound.
    pub const fn limit(self) -> Duration {
        match self {
            Check::MaxElapsed(limit) | Check::MinElapsed(limit) => limit,
        }
    }

    /// Whether a run that took `elapsed` passes.
    pub fn passes(self, elapsed: Duration) -> bool {
        match self {
            Check::MaxElapsed(limit) => elapsed <= limit,
            Check::MinElapsed(limit) => elapsed >= limit,
        }
    }
}

impl Config {
    /// Validates the arguments of one demo.
    ///
    /// The error is a clap error so that it prints and exits (code 2) exactly
    /// like the errors clap finds itself.
    pub fn new(demo: Demo, args: RunArgs) -> Result<Config, clap::Error> {
        if let (Some(min), Some(max)) = (args.min_elapsed, args.max_elapsed) {
            if min > max {
                return Err(usage_error(format!(
                    "--min-elapsed {} is longer than --max-elapsed {}: no run can pass both",
                    humantime::format_duration(min),
                    humantime::format_duration(max)
                )));
            }
        }
        let checks = [
            args.max_elapsed.map(Check::MaxElapsed),
            args.min_elapsed.map(Check::MinElapsed),
        ]
        .into_iter()
        .flatten()
        .collect();
        Ok(Config {
            demo,
            tasks: args.tasks.unwrap_or(demo.default_tasks()),
            delay: args.delay,
            mode: if args.blocking {
                Mode::Blocking
            } else {
                args.mode
            },
            format: args.format,
            detail: match (args.quiet, args.verbose) {
                (true, _) => Detail::Quiet,
                (false, true) => Detail::Verbose,
                (false, false) => Detail::Normal,
            },
            checks,
        })
    }

    /// How task lines are shown while the run is in progress.
    pub fn live(&self) -> Live {
        match (self.format, self.detail) {
            (Format::Text, Detail::Normal) => Live::Plain,
            (Format::Text, Detail::Verbose) => Live::Verbose,
            (Format::Text, Detail::Quiet) | (Format::Json, _) => Live::Silent,
            (Format::Ndjson, _) => Live::Ndjson,
        }
    }

    /// What running the tasks one after another would take: tasks × delay.
    pub fn serial(&self) -> Duration {
        // `Duration * u32` panics on overflow; ten million times a huge
        // delay can overflow, so saturate instead.
        self.delay.checked_mul(self.tasks).unwrap_or(Duration::MAX)
    }
}

fn usage_error(message: String) -> clap::Error {
    use clap::CommandFactory;
    crate::cli::Cli::command().error(clap::error::ErrorKind::ArgumentConflict, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn config(args: &[&str]) -> Result<Config, clap::Error> {
        let cli = Cli::try_parse_from(args)?;
        match cli.command {
            Command::Count(args) => Config::new(Demo::Count, args),
            Command::Hello(args) => Config::new(Demo::Hello, args),
        }
    }

    #[test]
    fn blocking_flag_sets_the_mode() {
        let c = config(&["asyncdemo", "count", "--blocking"]).unwrap();
        assert_eq!(c.mode, Mode::Blocking);
        let c = config(&["asyncdemo", "hello"]).unwrap();
        assert_eq!((c.mode, c.tasks), (Mode::Async, 2));
    }

    #[test]
    fn checks_are_kept_in_order_and_contradictions_rejected() {
        let c = config(&[
            "asyncdemo",
            "count",
            "--max-elapsed",
            "1.5s",
            "--min-elapsed",
            "1s",
        ]);
        assert_eq!(
            c.unwrap().checks,
            vec![
                Check::MaxElapsed(Duration::from_millis(1500)),
                Check::MinElapsed(Duration::from_secs(1))
            ]
        );
        let err = config(&[
            "asyncdemo",
            "count",
            "--max-elapsed",
            "1s",
            "--min-elapsed",
            "2s",
        ]);
        assert!(
            err.unwrap_err()
                .to_string()
                .contains("--min-elapsed 2s is longer")
        );
    }

    #[test]
    fn check_bounds_are_inclusive() {
        let second = Duration::from_secs(1);
        assert!(Check::MaxElapsed(second).passes(second));
        assert!(!Check::MaxElapsed(second).passes(second + Duration::from_nanos(1)));
        assert!(Check::MinElapsed(second).passes(second));
        assert!(!Check::MinElapsed(second).passes(second - Duration::from_nanos(1)));
    }

    #[test]
    fn serial_time_saturates_instead_of_panicking() {
        let c = config(&["asyncdemo", "count", "-n", "10000000", "-d", "500years"]).unwrap();
        assert_eq!(c.serial(), c.delay * 10_000_000);
        let c = Config {
            delay: Duration::MAX,
            ..c
        };
        assert_eq!(c.serial(), Duration::MAX);
    }

    #[test]
    fn live_style_follows_format_and_detail() {
        let live = |a: &[&str]| config(a).unwrap().live();
        assert_eq!(live(&["asyncdemo", "count"]), Live::Plain);
        assert_eq!(live(&["asyncdemo", "count", "-v"]), Live::Verbose);
        assert_eq!(live(&["asyncdemo", "count", "-q"]), Live::Silent);
        assert_eq!(
            live(&["asyncdemo", "count", "-f", "json", "-v"]),
            Live::Silent
        );
        assert_eq!(live(&["asyncdemo", "count", "-f", "ndjson"]), Live::Ndjson);
    }
}
