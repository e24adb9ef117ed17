//! How the process ends: the exit codes scripts branch on, how two of
//! them merge, which error means which code, and the `error:` line that
//! says why on stderr. One room, as fd keeps `src/exit_codes.rs`: a
//! caller hands it an error and gets the code back, so that "a limit of the
//! machine is exit 1" is decided once, for a single run, `compare` and
//! `serve` alike.

use crate::cli::ColorChoice;
use crate::interrupt::Signal;
use crate::limits::Limit;
use crate::style;
use std::fmt::Display;
use std::io::{self, Write};

/// How the process ends.
///
/// Scripts branch on these, so they are part of the interface and never
/// change meaning: `0` the run finished (and every timing check passed),
/// `1` a timing check failed, a task failed or a limit of the machine was
/// hit, `2` the command line or the environment was wrong, `130` and `143`
/// a signal stopped the run (the shell convention: 128 + signal number).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// The run finished and every timing check passed.
    Success,
    /// The run finished but a `--max-elapsed` / `--min-elapsed` check
    /// failed, or a task failed (a `fetch` without a good reply); or a limit
    /// of the machine stopped it (`limits::MachineLimit`).
    CheckFailed,
    /// A usage error (clap uses 2 as well) or a runtime error such as a full disk.
    Error,
    /// Stopped by SIGINT (Ctrl-C): 128 + 2.
    Interrupted,
    /// Stopped by SIGTERM: 128 + 15.
    Terminated,
}

impl ExitCode {
    /// Every exit code, in numeric order.
    pub(crate) const ALL: [ExitCode; 5] = [
        ExitCode::Success,
        ExitCode::CheckFailed,
        ExitCode::Error,
        ExitCode::Interrupted,
        ExitCode::Terminated,
    ];

    /// What the code means, for the man page.
    pub(crate) const fn meaning(self) -> &'static str {
        match self {
            ExitCode::Success => "the run finished and every timing check passed",
            ExitCode::CheckFailed => {
                "a --max-elapsed or --min-elapsed check failed, a fetch or a query \
                 failed (the sync postgres client refused inside a coroutine included), \
                 a way of compare failed, the lock demo deadlocked, or a limit of the \
                 machine (threads, memory, file descriptors) was hit"
            }
            ExitCode::Error => "a usage error, or a runtime error such as a full disk",
            ExitCode::Interrupted => "stopped by SIGINT (Ctrl-C)",
            ExitCode::Terminated => "stopped by SIGTERM",
        }
    }

    /// The number the process exits with.
    pub const fn code(self) -> u8 {
        match self {
            ExitCode::Success => 0,
            ExitCode::CheckFailed => 1,
            ExitCode::Error => 2,
            ExitCode::Interrupted => 130,
            ExitCode::Terminated => 143,
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code.code())
    }
}

impl ExitCode {
    /// The more serious of two codes, for a command that ran several
    /// things (`compare`'s ways): an error (2) over a failed run (1) over
    /// success (0).
    pub(crate) fn worse(self, other: ExitCode) -> ExitCode {
        let rank = |code| match code {
            ExitCode::Error => 2,
            ExitCode::CheckFailed => 1,
            _ => 0,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }

    /// The code for a command (or one of `compare`'s ways) that failed with
    /// `err`: a limit of the machine is 1, as a failed run; anything else
    /// (a full disk, a bad path) is 2.
    pub(crate) fn of_failure(err: &anyhow::Error) -> ExitCode {
        match Limit::of(err) {
            Some(_) => ExitCode::CheckFailed,
            None => ExitCode::Error,
        }
    }
}

// Here rather than beside `Signal` in `vocab`: which code a signal means is
// this room's rule.
impl Signal {
    /// The exit code for a run this signal stopped.
    pub(crate) const fn exit_code(self) -> ExitCode {
        match self {
            Signal::Interrupt => ExitCode::Interrupted,
            Signal::Terminate => ExitCode::Terminated,
        }
    }
}

/// Says on stderr why the command failed, as one `error:` line, and
/// picks the exit code: `main`'s way out for every error.
pub fn report_error(err: &anyhow::Error, color: ColorChoice) -> ExitCode {
    // Usage errors found after parsing print exactly like clap's own.
    if let Some(usage) = err.downcast_ref::<clap::Error>() {
        let _ = style::print_clap(usage, color);
        return ExitCode::Error;
    }
    // A reader that went away (`asyncdemo ... | head -1`) is not a failure:
    // it has everything it wanted. End quietly, as ripgrep does.
    let broken_pipe = err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    });
    if broken_pipe {
        return ExitCode::Success;
    }
    report_failure(None, err)
}

/// Says on stderr why `what` (a way of `compare`, say; `None` for the
/// command itself) failed with `err`, and returns the code that means.
pub(crate) fn report_failure(what: Option<&str>, err: &anyhow::Error) -> ExitCode {
    error(failure_message(what, err));
    ExitCode::of_failure(err)
}

/// The message of an `error:` line for `err`: `{:#}` prints the whole
/// context chain on one line (`writing output: No space left on device
/// (os error 28)`), and an error that ran into the descriptor limit deep
/// inside a library (tokio starting its runtime, say) gets the limit named
/// after it.
fn failure_message(what: Option<&str>, err: &anyhow::Error) -> String {
    let hint = Limit::of(err).map(Limit::hint).unwrap_or_default();
    match what {
        Some(what) => format!("{what}: {err:#}{hint}"),
        None => format!("{err:#}{hint}"),
    }
}

/// Writes `error: {message}` on stderr, its prefix coloured when stderr
/// is: the one writer of error lines. A failed write changes nothing (the
/// process is about to say the same with its exit code).
pub(crate) fn error(message: impl Display) {
    let _ = writeln!(
        io::stderr(),
        "{}",
        style::label(&format!("error: {message}"))
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn exit_codes_follow_the_shell_conventions() {
        assert_eq!(ExitCode::Success.code(), 0);
        assert_eq!(ExitCode::CheckFailed.code(), 1);
        // The same code clap uses for usage errors, so every "you asked for
        // something wrong" ends the same way.
        assert_eq!(ExitCode::Error.code(), 2);
        // 128 + the signal's number: SIGINT is 2, SIGTERM is 15.
        assert_eq!(ExitCode::Interrupted.code(), 128 + 2);
        assert_eq!(ExitCode::Terminated.code(), 128 + 15);
        assert_eq!(Signal::Interrupt.exit_code(), ExitCode::Interrupted);
        assert_eq!(Signal::Terminate.exit_code(), ExitCode::Terminated);
    }

    #[test]
    fn the_worse_of_two_codes_wins_in_either_order() {
        use ExitCode::{CheckFailed, Error, Success};
        for (a, b, worse) in [
            (Success, Success, Success),
            (Success, CheckFailed, CheckFailed),
            (Success, Error, Error),
            (CheckFailed, Error, Error),
            (CheckFailed, CheckFailed, CheckFailed),
            (Error, Error, Error),
        ] {
            assert_eq!(a.worse(b), worse, "{a:?} {b:?}");
            assert_eq!(b.worse(a), worse, "{b:?} {a:?}");
        }
    }

    #[test]
    fn a_limit_of_the_machine_is_exit_1_and_any_other_failure_exit_2() {
        let deep = Err::<(), _>(io::Error::from_raw_os_error(24))
            .context("starting the tokio runtime")
            .unwrap_err();
        assert_eq!(ExitCode::of_failure(&deep), ExitCode::CheckFailed);
        let named =
            anyhow::Error::new(crate::limits::MachineLimit("ulimit -v".into())).context("count");
        assert_eq!(ExitCode::of_failure(&named), ExitCode::CheckFailed);
        let full = anyhow::Error::new(io::Error::from_raw_os_error(28)).context("writing output");
        assert_eq!(ExitCode::of_failure(&full), ExitCode::Error);
    }

    #[test]
    fn an_error_line_carries_the_whole_chain_and_a_limits_name() {
        let full = anyhow::Error::new(io::Error::from_raw_os_error(28)).context("writing output");
        let message = failure_message(None, &full);
        assert!(message.starts_with("writing output: "), "{message}");
        assert!(message.ends_with("(os error 28)"), "{message}");
        let deep = anyhow::Error::new(io::Error::from_raw_os_error(24)).context("async");
        let message = failure_message(Some("count, spawn"), &deep);
        assert!(message.starts_with("count, spawn: async: "), "{message}");
        assert!(message.ends_with(&Limit::Descriptors.hint()), "{message}");
        assert!(Limit::Descriptors.hint().contains("ulimit -n"));
    }
}
