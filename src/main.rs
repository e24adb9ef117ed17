//! The `asyncdemo` binary: parse, run, and turn the result into an exit code.
//! Everything else lives in the library, where tests can reach it.

use asyncdemo::ExitCode;
use asyncdemo::cli::Cli;
use clap::Parser;
use std::io::{self, Write};

fn main() -> std::process::ExitCode {
    // On a usage error clap prints its message and exits with code 2.
    let cli = Cli::parse();
    // `run_then_exit`: this process ends as soon as it returns, so the
    // finished tasks' memory is left for the OS to take back in one go.
    match asyncdemo::run_then_exit(cli) {
        Ok(code) => code.into(),
        Err(err) => report_error(&err).into(),
    }
}

/// Prints an error as one line on stderr and picks the exit code.
fn report_error(err: &anyhow::Error) -> ExitCode {
    // Usage errors found after parsing print exactly like clap's own.
    if let Some(usage) = err.downcast_ref::<clap::Error>() {
        let _ = usage.print();
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
    // A limit of the machine is not a usage error: exit 1, as a failed run.
    // An error that ran into the descriptor limit deep inside a library
    // (tokio starting its runtime, say) gets the limit named after it.
    let limit_named = err.chain().any(|c| c.is::<asyncdemo::MachineLimit>());
    let out_of_descriptors = err.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|e| matches!(e.raw_os_error(), Some(23 | 24)))
    });
    // `{:#}` prints the whole context chain on one line:
    // `error: writing output: No space left on device (os error 28)`.
    let hint = if out_of_descriptors && !limit_named {
        ": out of file descriptors; raise the limit with `ulimit -n`, or run fewer tasks (-n)"
    } else {
        ""
    };
    let _ = writeln!(io::stderr(), "error: {err:#}{hint}");
    if limit_named || out_of_descriptors {
        return ExitCode::CheckFailed;
    }
    ExitCode::Error
}
