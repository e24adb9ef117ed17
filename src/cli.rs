//! What the user can say: the command line, as clap derive types.
//!
//! Nothing here acts on the arguments. Parsing turns strings into typed
//! values (a `Duration`, a bounded `u32`, an enum), and [`crate::config`]
//! checks how they fit together. Everything past that point sees only a
//! validated [`crate::config::Config`].

use crate::report::Format;
use crate::run::Mode;
use clap::{Args, Parser, Subcommand};
use std::time::Duration;

/// The largest `--tasks`. Ten million waiting tasks fit in a few GB of
/// memory; the limit keeps a typo (one zero too many) from eating the machine.
pub const MAX_TASKS: u32 = 10_000_000;

/// See the difference between blocking and non-blocking waiting.
///
/// Each task prints a line, waits, and prints another line, as in Python's
/// asyncio lesson. Waiting with `tokio::time::sleep` (the default) lets every
/// task wait at once; waiting with `std::thread::sleep` (`--blocking`) holds
/// the only thread, so the tasks run one after another.
#[derive(Debug, Parser)]
#[command(name = "asyncdemo", version, propagate_version = true)]
pub struct Cli {
    /// The demo to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Each task prints "One", waits, then prints "Two" (the notes' countasync.py).
    // The default task count differs per demo, so it is set here rather than
    // on the shared field; a unit test keeps it equal to `Demo::default_tasks`.
    #[command(mut_arg("tasks", |arg| arg.default_value("3")))]
    Count(RunArgs),
    /// Each task prints "Hello ...", waits, then prints "... World!".
    #[command(mut_arg("tasks", |arg| arg.default_value("2")))]
    Hello(RunArgs),
}

/// The options every demo takes.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// How many tasks to run, from 1 to 10,000,000.
    #[arg(short = 'n', long, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_TASKS)),
          allow_negative_numbers = true)]
    pub tasks: Option<u32>,

    /// How long each task waits, e.g. 250ms, 1.5s, 2m, 0.
    // `allow_negative_numbers` lets `-d -1` reach the parser, which then
    // says why it is wrong, instead of clap reading `-1` as a flag.
    #[arg(short, long, value_name = "DURATION", default_value = "1s",
          value_parser = humantime::parse_duration, allow_negative_numbers = true)]
    pub delay: Duration,

    /// How each task waits.
    #[arg(short, long, value_enum, default_value_t = Mode::Async)]
    pub mode: Mode,

    /// Wait with std::thread::sleep: shorthand for --mode blocking.
    #[arg(long, conflicts_with = "mode")]
    pub blocking: bool,

    /// Output format: the task lines and a summary, one JSON summary, or a JSON
    /// event per line followed by the summary.
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    pub format: Format,

    /// Print only the summary line (text format).
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Prefix each task line with its time since start and its task number
    /// (text format).
    #[arg(short, long)]
    pub verbose: bool,

    /// Fail (exit 1) if the run takes longer than this.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration,
          allow_negative_numbers = true)]
    pub max_elapsed: Option<Duration>,

    /// Fail (exit 1) if the run takes less time than this.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration,
          allow_negative_numbers = true)]
    pub min_elapsed: Option<Duration>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::Demo;
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        Cli::command().debug_assert();
    }

    #[test]
    fn default_task_counts_match_the_demos() {
        for demo in [Demo::Count, Demo::Hello] {
            let cli = Cli::try_parse_from(["asyncdemo", demo.name()]).unwrap();
            let (Command::Count(args) | Command::Hello(args)) = cli.command;
            assert_eq!(args.tasks, Some(demo.default_tasks()), "{}", demo.name());
        }
    }

    #[test]
    fn blocking_is_mode_blocking() {
        let cli = Cli::try_parse_from(["asyncdemo", "count", "--blocking"]).unwrap();
        let Command::Count(args) = cli.command else {
            panic!("parsed as another demo")
        };
        assert!(args.blocking);
        assert!(Cli::try_parse_from(["asyncdemo", "count", "--blocking", "-m", "async"]).is_err());
    }
}
