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

/// `count --help`'s million-task example quotes the time and memory that
/// docs/benchmarks.md measured (its results table, the `now` column at
/// 1,000,000), so a new measurement there fails this test until the help
/// follows it.
#[test]
fn the_million_task_example_quotes_the_benchmarks() {
    let help = stdout_of(&["count", "--help"]);
    let example = help
        .lines()
        .find_map(|l| l.trim().strip_prefix("a million waiting tasks in about "))
        .unwrap_or_else(|| panic!("no million-task example: {help}"));
    let (secs, mb) = example
        .strip_suffix(" MB")
        .and_then(|rest| rest.split_once(" s and "))
        .unwrap_or_else(|| panic!("not 'X s and Y MB': {example}"));
    let benchmarks =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/benchmarks.md"))
            .unwrap();
    // | N | reference | before | now | ...: the `now` cell, "1.170 s, 164.5 MB".
    let (_, table) = benchmarks
        .split_once("| N | reference | before | now |")
        .expect("the results table");
    let row = table
        .lines()
        .find(|l| l.starts_with("| 1,000,000 |"))
        .expect("the 1,000,000 row");
    let now = row.split('|').nth(4).unwrap().trim();
    let (measured_secs, measured_mb) = now
        .strip_suffix(" MB")
        .and_then(|rest| rest.split_once(" s, "))
        .unwrap_or_else(|| panic!("not 'X s, Y MB': {now}"));
    let measured_secs: f64 = measured_secs.parse().unwrap();
    let measured_mb: f64 = measured_mb.parse().unwrap();
    assert_eq!(
        secs,
        format!("{measured_secs:.1}"),
        "{example} against {now}"
    );
    let mb: f64 = mb.parse().unwrap();
    assert!(
        (mb - measured_mb).abs() <= measured_mb * 0.05,
        "{example} against {now}"
    );
}

/// `--mode block-in-place` says what tokio's block_in_place does: a
/// worker's core moves to another thread; block_on's thread, which holds
/// none, simply blocks.
#[test]
fn the_block_in_place_mode_says_the_core_moves_or_nothing_does() {
    let help = stdout_of(&["count", "--help"]);
    let words = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("a worker first hands its core, with its other tasks, to a blocking-pool thread; block_on's thread has no core to hand and simply blocks"),
        "{words}"
    );
    assert!(
        !words.contains("hands its other tasks to another thread"),
        "{words}"
    );
}

/// `compare --python` names the packages of every demo that has them,
/// query's included.
#[test]
fn compare_python_help_names_the_query_packages() {
    let help = stdout_of(&["compare", "--help"]);
    let words = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for package in [
        "aiohttp",
        "requests",
        "sqlite3",
        "aiosqlite",
        "psycopg",
        "asyncpg",
    ] {
        assert!(words.contains(package), "{package}: {words}");
    }
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
