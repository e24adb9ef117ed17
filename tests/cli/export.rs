//! Where the outputs go: `-` means stdout for `--svg` and `--png` as for
//! `--trace`, and only one document can have stdout.

use crate::common::asyncdemo;
use predicates::prelude::*;
use std::path::PathBuf;

/// A directory of this test's own, removed when the test ends, pass or fail.
struct Scratch(PathBuf, #[allow(dead_code)] tempfile::TempDir);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = tempfile::Builder::new()
            .prefix(&format!("asyncdemo-{name}-"))
            .tempdir()
            .unwrap();
        Scratch(dir.path().to_path_buf(), dir)
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

/// Two outputs on one file would leave only the one written last: refused
/// before the run, whatever the spelling of the path, and nothing written.
#[test]
fn two_outputs_on_one_file_are_refused() {
    let dir = Scratch::new("same-file");
    std::fs::create_dir(dir.0.join("sub")).unwrap();
    // `old` exists: found the same through a symbolic link to it.
    std::fs::write(dir.0.join("old"), "kept").unwrap();
    std::os::unix::fs::symlink("old", dir.0.join("link")).unwrap();
    let png = cfg!(feature = "png");
    let mut cases: Vec<Vec<&str>> = vec![
        vec!["count", "--svg", "y", "--trace", "y"],
        vec!["hello", "--trace", "./y", "--svg", "y"],
        vec!["count", "--svg", "sub/../y", "--trace", "y"],
        vec!["count", "--svg", "sub/y", "--trace", "./sub/./y"],
        vec!["count", "--svg", "old", "--trace", "link"],
        vec!["lock", "--trace", "y", "--svg", "./y"],
    ];
    if png {
        cases.extend([
            vec!["count", "--svg", "x", "--png", "x"],
            vec!["count", "--png", "x", "--svg", "./x"],
            vec!["compare", "count", "--svg", "x", "--png", "./x"],
        ]);
    }
    for args in cases {
        let mut args = args;
        args.extend(["-n", "1", "-d", "1ms"]);
        asyncdemo(&args)
            .current_dir(&dir.0)
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("name the same file"))
            .stderr(predicate::str::contains("Usage: asyncdemo"));
    }
    for name in ["x", "y", "sub/y"] {
        assert!(!dir.0.join(name).exists(), "{name} was written");
    }
    assert_eq!(std::fs::read_to_string(dir.0.join("old")).unwrap(), "kept");
    // Two files of their own are fine.
    asyncdemo(&[
        "count", "-n", "1", "-d", "1ms", "-q", "--svg", "a.svg", "--trace", "a.json",
    ])
    .current_dir(&dir.0)
    .assert()
    .success();
    assert!(dir.0.join("a.svg").exists() && dir.0.join("a.json").exists());
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

/// The width and height a PNG's header gives: the IHDR chunk comes first,
/// right after the 8-byte signature.
#[cfg(feature = "png")]
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

/// `--png` writes the `--svg` picture as a PNG wide enough for a slide;
/// `-` writes it to stdout under -q, like `--svg -`.
#[cfg(feature = "png")]
#[test]
fn png_writes_the_picture_for_a_slide_to_a_file_or_stdout() {
    let dir = Scratch::new("png");
    let path = dir.0.join("run.png");
    asyncdemo(&["count", "-n", "2", "-d", "20ms", "--blocking", "--png"])
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains("executed in"));
    let (width, height) = png_size(&std::fs::read(&path).unwrap());
    assert!(width >= 1200, "{width} px wide");
    assert!(height > 0);

    let output = asyncdemo(&["count", "-n", "2", "-d", "20ms", "-q", "--png", "-"])
        .current_dir(&dir.0)
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(png_size(&output.stdout).0 >= 1200);
    assert!(String::from_utf8_lossy(&output.stderr).contains("executed in"));
    assert!(!dir.0.join("-").exists(), "no file named '-'");

    // compare draws every way into one PNG, as into one SVG.
    let table = dir.0.join("compare.png");
    asyncdemo(&["compare", "count", "-n", "2", "-d", "20ms", "--png"])
        .arg(&table)
        .assert()
        .success();
    let (width, height) = png_size(&std::fs::read(&table).unwrap());
    assert!(width >= 1200);
    // Six panels are taller than one run's picture.
    assert!(height > png_size(&std::fs::read(&path).unwrap()).1);
}

#[test]
fn png_to_stdout_needs_quiet_and_stdout_to_itself() {
    for args in [
        &["count", "--png", "-"][..],
        &["count", "-q", "--png", "-", "--svg", "-"],
        &["count", "-q", "--png", "-", "--trace", "-"],
        &["compare", "count", "--png", "-"],
    ] {
        asyncdemo(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("Usage:"));
    }
}

/// A build without the cargo feature `png` says so, as a usage error.
#[cfg(not(feature = "png"))]
#[test]
fn a_build_without_png_refuses_it() {
    asyncdemo(&["count", "--png", "run.png"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cargo feature `png`"));
}
