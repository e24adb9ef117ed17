//! The process exit codes, all in one place.
//!
//! Scripts branch on these, so they are part of the interface and never change
//! meaning: `0` the run finished (and every timing check passed), `1` a timing
//! check failed, `2` the command line or the environment was wrong, `130` and
//! `143` a signal stopped the run (the shell convention: 128 + signal number).

/// How the process ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    /// The run finished and every timing check passed.
    Success,
    /// The run finished but a `--max-elapsed` / `--min-elapsed` check failed.
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
    pub const ALL: [ExitCode; 5] = [
        ExitCode::Success,
        ExitCode::CheckFailed,
        ExitCode::Error,
        ExitCode::Interrupted,
        ExitCode::Terminated,
    ];

    /// What the code means, for the man page.
    pub const fn meaning(self) -> &'static str {
        match self {
            ExitCode::Success => "the run finished and every timing check passed",
            ExitCode::CheckFailed => "a --max-elapsed or --min-elapsed check failed",
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

#[cfg(test)]
mod tests {
    use super::ExitCode;

    #[test]
    fn codes_follow_the_shell_conventions() {
        assert_eq!(ExitCode::Success.code(), 0);
        assert_eq!(ExitCode::CheckFailed.code(), 1);
        // The same code clap uses for usage errors, so every "you asked for
        // something wrong" ends the same way.
        assert_eq!(ExitCode::Error.code(), 2);
        // 128 + the signal's number: SIGINT is 2, SIGTERM is 15.
        assert_eq!(ExitCode::Interrupted.code(), 128 + 2);
        assert_eq!(ExitCode::Terminated.code(), 128 + 15);
    }
}
