//! Black-box tests of what the program says about itself: help with
//! examples, the version, suggestions for a misspelling, usage errors that
//! show the subcommand's usage, and the man page.

use crate::common::*;
use predicates::prelude::*;

#[test]
fn every_help_ends_with_examples() {
    for args in [
        &["--help"][..],
        &["count", "--help"],
        &["hello", "--help"],
        &["compare", "--help"],
        &["completions", "--help"],
        &["man", "--help"],
    ] {
        let help = stdout_of(args);
        let (_, examples) = help
            .split_once("Examples:\n")
            .unwrap_or_else(|| panic!("{args:?} has no examples:\n{help}"));
        let commands = examples
            .lines()
            .filter(|l| l.starts_with("  asyncdemo "))
            .count();
        assert!((2..=5).contains(&commands), "{args:?}: {commands} examples");
    }
}

#[test]
fn fetch_help_speaks_of_requests_not_sleeps() {
    let help = stdout_of(&["fetch", "--help"]);
    assert!(help.contains("How each request waits"), "{help}");
    assert!(help.contains("Use a blocking client"), "{help}");
    assert!(!help.contains("sleep"), "{help}");
}

#[test]
fn version_prints_the_crate_version() {
    asyncdemo(&["--version"])
        .assert()
        .success()
        .stdout(format!("asyncdemo {}\n", env!("CARGO_PKG_VERSION")));
}

#[test]
fn misspelled_flags_and_subcommands_get_suggestions() {
    asyncdemo(&["count", "--dealy", "1s"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: unexpected argument '--dealy'",
        ))
        .stderr(predicate::str::contains(
            "tip: a similar argument exists: '--delay'",
        ));
    asyncdemo(&["cuont"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "tip: a similar subcommand exists: 'count'",
        ));
}

#[test]
fn usage_errors_found_after_parsing_show_the_subcommands_usage() {
    asyncdemo(&["count", "--blocking-threads", "2"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: --blocking-threads sizes the pool",
        ))
        .stderr(predicate::str::contains(
            "\nUsage: asyncdemo count [OPTIONS]\n",
        ));
    asyncdemo(&["fetch", "--timeline", "-f", "json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "\nUsage: asyncdemo fetch [OPTIONS]\n",
        ));
}

#[test]
fn the_man_page_is_roff_with_exit_codes_and_examples() {
    asyncdemo(&["man"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(".TH asyncdemo 1 "))
        .stdout(predicate::str::contains(".SH EXAMPLES"))
        .stdout(predicate::str::contains("stopped by SIGINT"));
}
