//! Black-box tests of the parts that make asyncdemo feel like a finished
//! CLI: help with examples, version, suggestions, completions, man page.

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
fn completions_are_printed_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        assert!(script.len() > 1000, "{shell}: {} bytes", script.len());
    }
    asyncdemo(&["completions", "tcsh"]).assert().code(2);
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

#[test]
fn generated_output_into_a_closed_pipe_ends_quietly() {
    // Completions are generated into memory first: their generators would
    // panic on a failed write.
    let mut child = binary()
        .args(["completions", "zsh"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = wait_with_limit(&mut child, std::time::Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    assert_eq!(rest(child.stderr.take().unwrap()), "");
}
