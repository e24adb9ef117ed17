//! Usage errors that say what the user meant.

use crate::common::asyncdemo;
use predicates::prelude::*;

/// `compare` runs every way itself: an option that picks one way is a
/// usage error (exit 2) that says so, not clap's advice to pass the
/// option "as a value".
#[test]
fn compare_with_a_way_says_that_compare_runs_every_mode_itself() {
    for args in [
        &["compare", "count", "--blocking"][..],
        &["compare", "hello", "-n", "2", "--spawn"],
        &["--color", "never", "compare", "count", "--workers", "2"],
    ] {
        asyncdemo(args)
            .env_remove("CLICOLOR_FORCE")
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("it runs every mode itself"))
            .stderr(predicate::str::contains("Usage: asyncdemo compare"))
            .stderr(predicate::str::contains("as a value").not());
    }
    // Any other unknown option keeps clap's own words.
    asyncdemo(&["compare", "count", "--frobnicate"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unexpected argument '--frobnicate'",
        ));
}

/// Every option of every subcommand whose value is a duration or a count,
/// found in the CLI itself so that a new one cannot be missed:
/// `(subcommand, --option, value name, needs '=')`.
fn valued_options() -> Vec<(String, String, String, bool)> {
    use clap::CommandFactory;
    let mut cli = asyncdemo::Cli::command();
    cli.build();
    let mut found = Vec::new();
    for command in cli.get_subcommands() {
        for arg in command.get_arguments() {
            let (Some(long), Some(names)) = (arg.get_long(), arg.get_value_names()) else {
                continue;
            };
            let name = names[0].as_str();
            if ["DURATION", "THRESHOLD", "N", "K"].contains(&name) {
                found.push((
                    command.get_name().to_owned(),
                    format!("--{long}"),
                    name.to_owned(),
                    arg.is_require_equals_set(),
                ));
            }
        }
    }
    found
}

/// `asyncdemo SUBCOMMAND OPTION VALUE`, written as the option needs, and
/// its stderr, having checked that it is a usage error (exit 2).
fn refused(command: &str, option: &str, value: &str, equals: bool) -> String {
    let mut args = vec![command.to_owned()];
    if command == "compare" {
        args.push("count".to_owned());
        if option == "--python-deadline" {
            args.push("--python".to_owned());
        }
    }
    if equals {
        args.push(format!("{option}={value}"));
    } else {
        args.extend([option.to_owned(), value.to_owned()]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = asyncdemo(&args)
        .env_remove("CLICOLOR_FORCE")
        .assert()
        .code(2)
        .stdout("")
        .get_output()
        .clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains(&format!("Usage: asyncdemo {command}")),
        "{args:?}: {stderr}"
    );
    stderr
}

/// A wrong duration gets one message, in every option that takes one:
/// what a duration looks like, or that it cannot be negative. Never the
/// parser's own words, nor clap's `use '-- -1'` tip for `-d -1s`.
#[test]
fn every_duration_option_says_what_a_duration_is() {
    let options = valued_options();
    let durations: Vec<_> = options
        .iter()
        .filter(|(_, _, name, _)| name == "DURATION" || name == "THRESHOLD")
        .collect();
    // count/hello/fetch/lock/compare --delay, fetch --timeout, --max-elapsed,
    // --min-elapsed, --slow-poll, serve's three, compare --python-deadline.
    assert!(durations.len() >= 20, "{durations:?}");
    for (command, option, _, equals) in durations {
        for bad in ["abc", "1x", "1"] {
            let stderr = refused(command, option, bad, *equals);
            let expected = format!(
                "error: invalid duration '{bad}' for {option}: \
                 give a number and a unit, such as 250ms, 1.5s or 2m"
            );
            assert!(
                stderr.starts_with(&expected),
                "{command} {option}: {stderr}"
            );
        }
        for negative in [false, true] {
            let stderr = refused(command, option, "-1s", *equals || negative);
            assert!(
                stderr.starts_with(&format!(
                    "error: invalid duration '-1s' for {option}: a duration cannot be negative"
                )),
                "{command} {option}: {stderr}"
            );
            assert!(!stderr.contains("'-- -1'"), "{stderr}");
        }
    }
}

/// A wrong count says the rule as the subcommand's help says it: a whole
/// number, and the range.
#[test]
fn every_count_option_says_its_range_as_the_help_does() {
    let options = valued_options();
    let counts: Vec<_> = options
        .iter()
        .filter(|(_, _, name, _)| name == "N" || name == "K")
        .collect();
    // --tasks in count, hello, fetch, lock and compare; --workers and
    // --blocking-threads in the four demos.
    assert!(counts.len() >= 13, "{counts:?}");
    for (command, option, _, equals) in counts {
        let help = crate::common::stdout_of(&[command, "--help"]);
        let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut rule = None;
        for bad in ["abc", "0", "-1", "1.5", "99999999999"] {
            let stderr = refused(command, option, bad, *equals);
            let first = stderr.lines().next().unwrap();
            let expected_start = format!("error: {option} must be a whole number from 1 to ");
            let expected_end = format!(" (got '{bad}')");
            assert!(
                first.starts_with(&expected_start) && first.ends_with(&expected_end),
                "{command} {option}: {stderr}"
            );
            let range =
                &first[expected_start.len() - "from 1 to ".len()..first.len() - expected_end.len()];
            // The same range for every wrong value, and the one the help
            // gives.
            assert!(rule.is_none_or(|r| r == range), "{first}");
            rule = Some(range.to_owned());
            assert!(
                help.contains(range),
                "{command} --help has no '{range}': {help}"
            );
        }
    }
}

/// `compare` writes no trace: it says so, and what it offers instead.
#[test]
fn compare_with_trace_says_what_it_offers_instead() {
    asyncdemo(&["compare", "count", "--trace", "t.json"])
        .env_remove("CLICOLOR_FORCE")
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: compare writes no trace",
        ))
        .stderr(predicate::str::contains("--svg FILE"))
        .stderr(predicate::str::contains("--trace t.json"))
        .stderr(predicate::str::contains("as a value").not());
}

/// `--slow-poll 50ms` is read as `--slow-poll` (100ms) and a stray `50ms`:
/// the error suggests `--slow-poll=50ms`, in every demo that takes it.
#[test]
fn slow_poll_with_a_space_suggests_the_equals_sign() {
    for command in ["count", "hello", "fetch", "lock"] {
        asyncdemo(&[command, "--slow-poll", "50ms"])
            .env_remove("CLICOLOR_FORCE")
            .assert()
            .code(2)
            .stderr(predicate::str::contains("use --slow-poll=50ms"))
            .stderr(predicate::str::contains(format!(
                "Usage: asyncdemo {command}"
            )));
    }
}
