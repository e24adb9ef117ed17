//! The `asyncdemo` binary: parse, run, and turn the result into an exit code.
//! Everything else lives in the library, where tests can reach it.

use asyncdemo::Cli;
use asyncdemo::ExitCode;
use asyncdemo::{ColorChoice, style, usage};
use clap::Parser;
use std::io::{self, Write};

fn main() -> std::process::ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `--color` is read before clap parses, so that clap's own help and
    // usage errors follow it as the rest of the output does.
    let color = style::choice_in_args(args.iter().cloned());
    style::init_stderr(color);
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(parse) => {
            let parse = usage::explain(parse, &args);
            return print_parse_result(&parse, color).into();
        }
    };
    // `run_then_exit`: this process ends as soon as it returns, so the
    // finished tasks' memory is left for the OS to take back in one go.
    match asyncdemo::run_then_exit(cli) {
        Ok(code) => code.into(),
        Err(err) => report_error(&err, color).into(),
    }
}

/// Prints what clap produced instead of a command: the help or the version
/// on stdout (exit 0), or a usage error on stderr (exit 2).
///
/// Not `Cli::parse`, which does the same but ignores a failed write, so that
/// `asyncdemo --help > /dev/full` exited 0 having printed nothing. Printing
/// the help is the whole job of that command, so a failed write is an error
/// like any other output's.
fn print_parse_result(parse: &clap::Error, color: ColorChoice) -> ExitCode {
    // clap picks the stream (stdout for help and version), `style` the
    // colour; stdout is line-buffered, so it flushes what may be left.
    if let Err(err) = style::print_clap(parse, color) {
        return report_error(&anyhow::Error::new(err).context("writing output"), color);
    }
    if parse.use_stderr() {
        ExitCode::Error
    } else {
        ExitCode::Success
    }
}

/// Prints an error as one line on stderr and picks the exit code.
fn report_error(err: &anyhow::Error, color: ColorChoice) -> ExitCode {
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
    // A limit of the machine is not a usage error: exit 1, as a failed run.
    // An error that ran into the descriptor limit deep inside a library
    // (tokio starting its runtime, say) gets the limit named after it.
    let limit = asyncdemo::Limit::of(err);
    // `{:#}` prints the whole context chain on one line:
    // `error: writing output: No space left on device (os error 28)`.
    let hint = limit.map(asyncdemo::Limit::hint).unwrap_or_default();
    let line = format!("error: {err:#}{hint}");
    let _ = writeln!(io::stderr(), "{}", style::label(&line));
    if limit.is_some() {
        return ExitCode::CheckFailed;
    }
    ExitCode::Error
}
