//! Usage errors that clap words for another situation.
//!
//! `asyncdemo compare count --blocking` is an unknown argument to clap,
//! which then suggests "to pass '--blocking' as a value, use '-- --blocking'":
//! advice for a program that takes free-form values, and wrong here. The
//! user meant to pick a way of running, and `compare` runs every way itself.

use crate::cli::Cli;
use clap::CommandFactory;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use std::ffi::OsString;

/// The options that pick one way of running a demo, which `compare` varies
/// itself.
const WAY_OPTIONS: [&str; 8] = [
    "--blocking",
    "--mode",
    "-m",
    "--runtime",
    "--workers",
    "--spawn",
    "--blocking-threads",
    "--slow-poll",
];

/// `parse`, or a clearer usage error in its place when it is a way-picking
/// option given to `compare` (`args` are the raw arguments, program first).
pub fn reword(parse: clap::Error, args: &[OsString]) -> clap::Error {
    if parse.kind() != ErrorKind::UnknownArgument {
        return parse;
    }
    let Some(ContextValue::String(given)) = parse.get(ContextKind::InvalidArg) else {
        return parse;
    };
    let Some(command) = subcommand(args) else {
        return parse;
    };
    // `--slow-poll 50ms`: the threshold is optional, so clap only takes it
    // after an equals sign, and reads `50ms` as a stray argument.
    let after_slow_poll = args
        .windows(2)
        .any(|pair| pair[0] == "--slow-poll" && pair[1] == given.as_str());
    if after_slow_poll && command != "compare" {
        return error_in(
            command,
            format!(
                "unexpected argument '{given}': --slow-poll takes its threshold after an \
                 equals sign, as it may be given alone (for 100ms): use --slow-poll={given}"
            ),
            parse,
        );
    }
    if command != "compare" {
        return parse;
    }
    let option = given.split('=').next().unwrap_or_default();
    if option == "--trace" {
        return error_in(
            command,
            "compare writes no trace: it runs every way, one row each, and --svg FILE or \
             --png FILE draws them all on one time axis; to trace one way, run it alone, \
             e.g. 'asyncdemo count --blocking --trace t.json'"
                .to_owned(),
            parse,
        );
    }
    if !WAY_OPTIONS.contains(&option) {
        return parse;
    }
    let message = if option == "--slow-poll" {
        format!(
            "compare takes no '{option}': it times every poll itself, and each verdict ends \
             with the longest one (to watch one way, run e.g. 'asyncdemo count --blocking {option}')"
        )
    } else {
        format!(
            "compare takes no '{option}': it runs every mode itself, one row each \
             (--ways picks which); to run one of them, use e.g. 'asyncdemo count {given}'"
        )
    };
    error_in(command, message, parse)
}

/// `message` as a usage error of `command`, or `parse` if there is no such
/// subcommand.
fn error_in(command: &str, message: String, parse: clap::Error) -> clap::Error {
    let mut cli = Cli::command();
    // Built first, so that the usage line names `asyncdemo compare`.
    cli.build();
    match cli.find_subcommand_mut(command) {
        Some(command) => command.error(ErrorKind::UnknownArgument, message),
        None => parse,
    }
}

/// The subcommand in raw arguments: the first one that is not an option
/// (nor `--color`'s value).
fn subcommand(args: &[OsString]) -> Option<&str> {
    let mut args = args.iter().skip(1).filter_map(|a| a.to_str());
    while let Some(arg) = args.next() {
        if arg == "--color" {
            args.next();
        } else if !arg.starts_with('-') {
            return Some(arg);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn reworded(line: &str) -> clap::Error {
        let args: Vec<OsString> = line.split_whitespace().map(OsString::from).collect();
        let parse = Cli::try_parse_from(&args).expect_err("a usage error");
        reword(parse, &args)
    }

    #[test]
    fn a_way_given_to_compare_gets_told_that_compare_runs_every_way() {
        for line in [
            "asyncdemo compare count --blocking",
            "asyncdemo --color never compare hello -n 2 --spawn",
            "asyncdemo compare count --mode=threads",
            "asyncdemo compare count --workers 2",
        ] {
            let err = reworded(line);
            let text = err.render().to_string();
            assert_eq!(err.kind(), ErrorKind::UnknownArgument, "{line}");
            assert_eq!(err.exit_code(), 2, "{line}");
            assert!(text.contains("it runs every mode itself"), "{line}: {text}");
            assert!(!text.contains("as a value"), "{line}: {text}");
            assert!(text.contains("Usage: asyncdemo compare"), "{line}: {text}");
        }
        let text = reworded("asyncdemo compare count --slow-poll")
            .render()
            .to_string();
        assert!(text.contains("it times every poll itself"), "{text}");
    }

    #[test]
    fn other_usage_errors_stay_clap_s() {
        let text = reworded("asyncdemo compare count --frobnicate")
            .render()
            .to_string();
        assert!(
            text.contains("unexpected argument '--frobnicate'"),
            "{text}"
        );
        let text = reworded("asyncdemo count --bogus").render().to_string();
        assert!(text.contains("unexpected argument '--bogus'"), "{text}");
        let text = reworded("asyncdemo compare sleep").render().to_string();
        assert!(text.contains("invalid value 'sleep'"), "{text}");
    }
}
