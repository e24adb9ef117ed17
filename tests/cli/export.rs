//! Where the outputs go: `-` means stdout for `--svg` as for `--trace`,
//! and only one document can have stdout.

use crate::common::asyncdemo;
use predicates::prelude::*;
use std::path::PathBuf;

/// A directory of this test's own, removed when the test ends, pass or fail.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("asyncdemo-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn svg_dash_writes_the_picture_to_stdout_under_quiet() {
    let dir = Scratch::new("svg-dash");
    let output = asyncdemo(&["count", "-n", "3", "-d", "20ms", "-q", "--svg", "-"])
        .current_dir(&dir.0)
        .assert()
        .success()
        .get_output()
        .clone();
    // stdout is the picture alone: one well-formed SVG document with a
    // lane for each of the three tasks.
    let text = String::from_utf8(output.stdout).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed SVG on stdout");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg", "{text}");
    for task in ["task 1", "task 2", "task 3"] {
        assert!(text.contains(task), "{task} missing from the picture");
    }
    // The summary line moved to stderr, and no file named `-` appeared.
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with("asyncdemo count executed in"),
        "{stderr}"
    );
    assert!(!dir.0.join("-").exists());
}

#[test]
fn svg_dash_without_quiet_is_refused() {
    let dir = Scratch::new("svg-dash-refused");
    for (args, message) in [
        (
            &["count", "--svg", "-"][..],
            "--svg - writes the picture to stdout",
        ),
        (
            &["count", "-v", "--svg", "-"],
            "--svg - writes the picture to stdout",
        ),
        (
            &["hello", "-f", "json", "--svg", "-"],
            "--svg - writes the picture to stdout",
        ),
        (
            &["count", "-q", "-f", "ndjson", "--svg", "-"],
            "--svg - writes the picture to stdout",
        ),
        (
            &["count", "-q", "--trace", "-", "--svg", "-"],
            "would both write to stdout",
        ),
        (
            &["compare", "count", "-n", "2", "-d", "1ms", "--svg", "-"],
            "where compare prints its table",
        ),
    ] {
        asyncdemo(args)
            .current_dir(&dir.0)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(message).and(predicate::str::contains("Usage:")));
    }
    assert!(!dir.0.join("-").exists());
}

#[test]
fn an_svg_file_that_cannot_be_created_fails_before_the_run() {
    // A directory where the file should be: refused at once, with the path.
    let dir = Scratch::new("svg-bad-path");
    asyncdemo(&["count", "-n", "2", "-d", "10s", "--svg", "."])
        .current_dir(&dir.0)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::starts_with("error: creating SVG file '.'"));
}
