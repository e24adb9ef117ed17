//! The `asyncdemo` binary: parse, run, and turn the result into an exit code.
//! Everything else lives in the library, where tests can reach it.

use asyncdemo::Cli;
use asyncdemo::ExitCode;
use asyncdemo::{ColorChoice, style, usage};
use clap::Parser;

fn main() -> std::process::ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // `--color` is read before clap parses, so that clap's own help and
    // usage errors follow it as the rest of the output does.
    let color = style::choice_in_args(args.iter().cloned());
    style::init_stderr(color);
    let cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(parse) => {
            let parse = usage::reword(parse, &args);
            return print_parse_result(&parse, color).into();
        }
    };
    // `run_before_exit`: this process ends as soon as it returns, so the
    // finished tasks' memory is left for the OS to take back in one go.
    match asyncdemo::run_before_exit(cli) {
        Ok(code) => code.into(),
        Err(err) => asyncdemo::report_error(&err, color).into(),
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
        return asyncdemo::report_error(&anyhow::Error::new(err).context("writing output"), color);
    }
    if parse.use_stderr() {
        ExitCode::Error
    } else {
        ExitCode::Success
    }
}
