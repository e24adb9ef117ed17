//! The Rust twins of the notes' programs, `examples/countasync.rs` and
//! `examples/hello.rs`, run as a learner runs them.
//!
//! They are run from the binaries cargo builds for them, not through
//! `cargo run --example`: `cargo test` holds the build directory's lock
//! while the tests run, so a nested cargo would wait for it forever. A plain
//! `cargo test` builds every example before it runs any test, into
//! `examples/` beside the binary under test (`target/debug/examples/`).
//! `cargo test --test cli` builds none: then these tests fail and say so,
//! rather than pass without running anything, and a binary older than its
//! source fails too, rather than test yesterday's code.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The example `name`'s binary, checked to exist and to be newer than its
/// source.
fn example(name: &str) -> PathBuf {
    let binary = Path::new(env!("CARGO_BIN_EXE_asyncdemo"))
        .parent()
        .unwrap()
        .join("examples")
        .join(name);
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(format!("{name}.rs"));
    let built = std::fs::metadata(&binary)
        .and_then(|m| m.modified())
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}. Run the whole `cargo test` (or `cargo build --examples`) \
                 so that cargo builds the examples first.",
                binary.display()
            )
        });
    let written = std::fs::metadata(&source)
        .and_then(|m| m.modified())
        .unwrap();
    assert!(
        built >= written,
        "{} is older than {}: run `cargo test` (or `cargo build --examples`)",
        binary.display(),
        source.display()
    );
    binary
}

/// Runs an example; returns its lines, after checking it succeeded.
fn lines_of(name: &str) -> Vec<String> {
    let output = Command::new(example(name)).output().unwrap();
    assert!(output.status.success(), "{name}: {output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Checks the last line, `examples/NAME.rs executed in S.SS seconds.`, as
/// the notes print it, and returns the seconds.
fn elapsed_line(name: &str, line: &str) -> f64 {
    let secs = line
        .strip_prefix(&format!("examples/{name}.rs executed in "))
        .and_then(|rest| rest.strip_suffix(" seconds."))
        .unwrap_or_else(|| panic!("not an elapsed line: {line:?}"));
    // Two decimals, as the notes' `{elapsed:0.2f}`.
    assert_eq!(
        secs.split_once('.').map(|(_, d)| d.len()),
        Some(2),
        "{line}"
    );
    secs.parse().unwrap()
}

#[test]
fn countasync_prints_the_notes_output_in_one_second_of_waiting() {
    let lines = lines_of("countasync");
    let (last, tasks) = lines.split_last().unwrap();
    // Every task says One before any says Two: the waits overlap.
    assert_eq!(tasks, ["One", "One", "One", "Two", "Two", "Two"]);
    // Three waits of 1 s take at least one second on any machine: a lower
    // bound. The line order above, not a clock, is what shows the overlap.
    assert!(elapsed_line("countasync", last) >= 1.0, "{last}");
}

#[test]
fn hello_says_both_hellos_before_either_world() {
    let lines = lines_of("hello");
    let (last, tasks) = lines.split_last().unwrap();
    assert_eq!(
        tasks,
        ["Hello ...", "Hello ...", "... World!", "... World!"]
    );
    assert!(elapsed_line("hello", last) >= 1.0, "{last}");
}

/// The example's code with its comments left out, as the README shows it.
fn without_comments(source: &str) -> String {
    let kept: Vec<&str> = source
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect();
    // Removing a comment block can leave two blank lines in a row.
    let mut text = kept.join("\n");
    while text.contains("\n\n\n") {
        text = text.replace("\n\n\n", "\n\n");
    }
    text.trim().to_owned()
}

/// The README prints each example beside the Python it translates; the
/// printed code must be the file's, comments aside, so that the two never
/// drift apart.
#[test]
fn the_readme_shows_each_example_as_it_is() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let blocks: Vec<String> = readme
        .split("```rust\n")
        .skip(1)
        .filter_map(|rest| {
            rest.split_once("\n```")
                .map(|(code, _)| code.trim().to_owned())
        })
        .collect();
    for example in ["countasync", "hello"] {
        let source = std::fs::read_to_string(format!("{root}/examples/{example}.rs")).unwrap();
        let code = without_comments(&source);
        assert!(
            blocks.contains(&code),
            "README.md has no ```rust block equal to examples/{example}.rs without its comments:\n{code}"
        );
    }
}
