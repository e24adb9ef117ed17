//! Black-box tests of colour: the environment's conventions (NO_COLOR,
//! CLICOLOR_FORCE, `--color`) in a pipe, and TERM on a real terminal.

use crate::common::*;
use predicates::prelude::*;
use std::process::Stdio;

#[test]
fn colour_follows_the_environment_conventions() {
    let summary = ["count", "-n", "1", "-d", "0", "-q"];
    // Piped, auto means plain, unless CLICOLOR_FORCE says otherwise ...
    asyncdemo(&summary)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
    asyncdemo(&summary)
        .env_remove("NO_COLOR")
        .env("CLICOLOR_FORCE", "1")
        .assert()
        .stdout(predicate::str::contains("\x1b[1m"));
    // ... NO_COLOR wins over it, and --color over both.
    asyncdemo(&summary)
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
    asyncdemo(&summary)
        .env("CLICOLOR_FORCE", "1")
        .arg("--color=never")
        .assert()
        .stdout(predicate::str::contains("\x1b[").not());
    asyncdemo(&summary)
        .env("NO_COLOR", "1")
        .arg("--color=always")
        .assert()
        .stdout(predicate::str::contains("\x1b[1m"));
}

/// Runs ARGS on a pseudo-terminal (util-linux `script`) with TERM set,
/// and returns what the terminal received; `None` on a machine without
/// `script`.
fn on_a_terminal(term: &str, args: &str) -> Option<String> {
    let binary = env!("CARGO_BIN_EXE_asyncdemo");
    let output = std::process::Command::new("script")
        .args(["-qec", &format!("{binary} {args}"), "/dev/null"])
        .env("TERM", term)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        // anstream treats a CI job's terminal as colour-capable whatever
        // TERM says, and CI runs this suite with CI=true.
        .env_remove("CI")
        .stdin(Stdio::null())
        .output();
    let output = match output {
        Ok(output) => output,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
        Err(err) => panic!("running `script`: {err}"),
    };
    assert!(output.status.success(), "{output:?}");
    Some(String::from_utf8(output.stdout).unwrap())
}

#[test]
fn a_dumb_terminal_gets_no_colour() {
    let args = "count -n 1 -d 0 -q";
    // The terminal is real: a capable one gets the bold summary ...
    let Some(capable) = on_a_terminal("xterm-256color", args) else {
        eprintln!("skipped: no util-linux `script` to make a pseudo-terminal");
        return;
    };
    assert!(capable.contains("\x1b[1m"));
    // ... and TERM=dumb gets none.
    let dumb = on_a_terminal("dumb", args).unwrap();
    assert!(dumb.contains("executed in"), "{dumb:?}");
    assert!(!dumb.contains('\x1b'), "{dumb:?}");
}
