//! The man page, read with `man` itself where it is installed: the
//! ENVIRONMENT section, code in bold rather than in backticks, and a
//! SYNOPSIS that shows `--color`'s value.

use crate::common::stdout_of;
use std::process::Command;

/// `asyncdemo man` formatted by `man -l`, as plain text, and what man
/// printed on stderr; `None` where `man` is not installed.
fn formatted() -> Option<(String, String)> {
    let page = stdout_of(&["man"]);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("asyncdemo.1");
    std::fs::write(&file, page).unwrap();
    let output = Command::new("man")
        .arg("-l")
        .arg(&file)
        .env("MANWIDTH", "100")
        .env("MANPAGER", "cat")
        .env("PAGER", "cat")
        // Plain text: no overstrike bold, no escape codes.
        .env("MAN_KEEP_FORMATTING", "")
        .env_remove("MANROFFOPT")
        .env_remove("GROFF_SGR")
        .output();
    let _ = std::fs::remove_file(&file);
    match output {
        Ok(output) => {
            assert!(output.status.success(), "{output:?}");
            Some((
                String::from_utf8_lossy(&output.stdout).into_owned(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            ))
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => panic!("running `man`: {err}"),
    }
}

#[test]
fn man_shows_the_environment_the_synopsis_values_and_no_backticks() {
    let Some((text, warnings)) = formatted() else {
        eprintln!("skipped: no `man` to format the page with");
        return;
    };
    // man and groff found nothing to complain about.
    assert!(warnings.trim().is_empty(), "{warnings}");
    // Overstrike bold (`b\bb`) would hide the words from the checks below.
    let text: String = {
        let mut out = String::new();
        for c in text.chars() {
            if c == '\u{8}' {
                out.pop();
            } else {
                out.push(c);
            }
        }
        out
    };
    let section = |name: &str| -> String {
        let start = text
            .find(&format!("\n{name}\n"))
            .unwrap_or_else(|| panic!("no {name} section:\n{text}"));
        let body = &text[start + name.len() + 2..];
        // The next section heading starts at column 0.
        let end = body
            .lines()
            .scan(0, |at, line| {
                let here = *at;
                *at += line.len() + 1;
                Some((here, line))
            })
            .find(|(_, line)| line.chars().next().is_some_and(|c| c.is_ascii_uppercase()))
            .map_or(body.len(), |(at, _)| at);
        body[..end].to_owned()
    };
    let environment = section("ENVIRONMENT");
    for name in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM", "COLUMNS"] {
        let tagged = environment
            .lines()
            .any(|l| l.split_whitespace().next() == Some(name));
        assert!(tagged, "{name} has no entry:\n{environment}");
    }
    let synopsis = section("SYNOPSIS");
    assert!(synopsis.contains("[--color <COLOR>]"), "{synopsis}");
    assert!(!text.contains('`'), "a backtick shows on the page");
    // The description's code spans are still there, as words.
    assert!(section("DESCRIPTION").contains("tokio::time::sleep"));
}
