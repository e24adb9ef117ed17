//! Colour follows one rule for everything the program writes: its own
//! output, its `error:` and `warning:` lines, and clap's help and usage
//! errors. Tested on a real pseudo-terminal (util-linux `script`), since
//! `auto` colours only there, and through pipes.

use crate::common::*;
use predicates::prelude::*;
use std::process::Stdio;

const ESC: &str = "\x1b[";

/// Runs the shell command `line` (where `asyncdemo` is the built binary)
/// on a pseudo-terminal with TERM=xterm-256color and `env` set, and returns
/// what the terminal received, stdout and stderr together; `None` on a
/// machine without `script`.
fn on_a_terminal(line: &str, env: &[(&str, &str)]) -> Option<String> {
    let binary = env!("CARGO_BIN_EXE_asyncdemo");
    let line = line.replace("asyncdemo", &format!("'{binary}'"));
    let mut command = std::process::Command::new("script");
    command
        .args(["-qec", &line, "/dev/null"])
        .env("TERM", "xterm-256color")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("CI")
        .stdin(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    match command.output() {
        Ok(output) => Some(String::from_utf8_lossy(&output.stdout).into_owned()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => panic!("running `script`: {err}"),
    }
}

fn skipped() {
    eprintln!("skipped: no util-linux `script` to make a pseudo-terminal");
}

#[test]
fn color_never_governs_clap_s_help_and_usage_errors_on_a_terminal() {
    // A usage error: clap's `error:` is red on a terminal ...
    let Some(coloured) = on_a_terminal("asyncdemo count --bogus", &[]) else {
        return skipped();
    };
    assert!(coloured.contains("unexpected argument"), "{coloured:?}");
    assert!(coloured.contains(ESC), "{coloured:?}");
    // ... and plain with --color never, before or after the subcommand.
    for line in [
        "asyncdemo --color never count --bogus",
        "asyncdemo count --bogus --color=never",
    ] {
        let plain = on_a_terminal(line, &[]).unwrap();
        assert!(plain.contains("unexpected argument"), "{line}: {plain:?}");
        assert!(!plain.contains('\x1b'), "{line}: {plain:?}");
    }
    // The help: bold headings on a terminal, none with --color never.
    let help = on_a_terminal("asyncdemo count --help", &[]).unwrap();
    assert!(help.contains("Usage:") && help.contains(ESC), "{help:?}");
    let help = on_a_terminal("asyncdemo --color never count --help", &[]).unwrap();
    assert!(help.contains("Usage:"), "{help:?}");
    assert!(!help.contains('\x1b'), "{help:?}");
}

#[test]
fn clicolor_force_0_forces_no_colour_into_a_pipe() {
    let summary = ["count", "-n", "1", "-d", "0", "-q"];
    for (force, coloured) in [("0", false), ("", false), ("1", true)] {
        let stdout = asyncdemo(&summary)
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR")
            .env("CLICOLOR_FORCE", force)
            .assert()
            .success()
            .get_output()
            .stdout
            .clone();
        let stdout = String::from_utf8(stdout).unwrap();
        assert_eq!(
            stdout.contains(ESC),
            coloured,
            "CLICOLOR_FORCE={force:?}: {stdout:?}"
        );
        // clap's usage errors into a pipe follow the same rule.
        let stderr = asyncdemo(&["count", "--bogus"])
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR")
            .env("CLICOLOR_FORCE", force)
            .assert()
            .code(2)
            .get_output()
            .stderr
            .clone();
        let stderr = String::from_utf8(stderr).unwrap();
        assert_eq!(
            stderr.contains(ESC),
            coloured,
            "CLICOLOR_FORCE={force:?}: {stderr:?}"
        );
    }
}

/// The program's own `error:` and `warning:` lines are coloured as clap
/// colours its `error:`, under the same rule: on a terminal, not into a
/// pipe, not with --color never.
#[test]
fn runtime_errors_and_warnings_are_coloured_like_clap_s_errors() {
    let error = "asyncdemo count -n 1 -d 0 -q --trace /nonexistent-dir/run.json";
    let Some(coloured) = on_a_terminal(error, &[]) else {
        return skipped();
    };
    assert!(
        coloured.contains("\x1b[1m\x1b[31merror:\x1b[0m "),
        "{coloured:?}"
    );
    let plain = on_a_terminal(&error.replace(" -q", " -q --color never"), &[]).unwrap();
    assert!(plain.starts_with("error: "), "{plain:?}");
    assert!(!plain.contains('\x1b'), "{plain:?}");
    asyncdemo(&error.split_whitespace().skip(1).collect::<Vec<_>>())
        .env_remove("CLICOLOR_FORCE")
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with("error: "))
        .stderr(predicate::str::contains(ESC).not());

    // A warning on a terminal's stderr is yellow even while stdout is a
    // pipe, whose summary line then stays plain: each stream is decided
    // on its own.
    let warn = "asyncdemo count -n 1 -d 150ms --blocking --slow-poll -q | cat";
    let both = on_a_terminal(warn, &[]).unwrap();
    assert!(both.contains("\x1b[1m\x1b[33mwarning:\x1b[0m "), "{both:?}");
    let summary = both.lines().find(|l| l.contains("executed in")).unwrap();
    assert!(!summary.contains('\x1b'), "{summary:?}");
    let never = on_a_terminal(&warn.replace("-q", "-q --color never"), &[]).unwrap();
    assert!(
        never.contains("warning: ") && !never.contains('\x1b'),
        "{never:?}"
    );
}

// The environment conventions, and TERM on a real terminal.
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
fn on_a_terminal_with_term(term: &str, args: &str) -> Option<String> {
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
    let Some(capable) = on_a_terminal_with_term("xterm-256color", args) else {
        eprintln!("skipped: no util-linux `script` to make a pseudo-terminal");
        return;
    };
    assert!(capable.contains("\x1b[1m"));
    // ... and TERM=dumb gets none.
    let dumb = on_a_terminal_with_term("dumb", args).unwrap();
    assert!(dumb.contains("executed in"), "{dumb:?}");
    assert!(!dumb.contains('\x1b'), "{dumb:?}");
}
