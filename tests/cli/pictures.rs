//! `--svg` and `compare --svg`: the pictures, written and read back.

use crate::common::*;
use predicates::prelude::*;

/// A path named `name` in a fresh directory, which goes (with whatever the
/// test wrote there) when the returned guard drops, pass or fail.
fn temp(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    (dir, path)
}

/// Reads an SVG file back and counts the segments of each class.
fn classes(path: &std::path::Path) -> std::collections::HashMap<String, usize> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed SVG");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let mut counts = std::collections::HashMap::new();
    for node in doc.descendants().filter(|n| n.has_tag_name("rect")) {
        if let Some(class) = node.attribute("class") {
            *counts.entry(class.to_owned()).or_default() += 1;
        }
    }
    counts
}

#[test]
fn svg_draws_a_blocking_run_and_leaves_stdout_alone() {
    let (_dir, path) = temp("blocking.svg");
    let out = stdout_of(&[
        "count",
        "-n",
        "3",
        "--blocking",
        "-d",
        "50ms",
        "--svg",
        path.to_str().unwrap(),
    ]);
    assert_eq!(
        out.lines().take(6).collect::<Vec<_>>(),
        ["One", "Two", "One", "Two", "One", "Two"]
    );
    let counts = classes(&path);
    assert_eq!(counts.get("blocked"), Some(&3), "{counts:?}");
    // Tasks 2 and 3 wait for the thread before their first line.
    assert!(counts.get("ready").copied().unwrap_or(0) >= 2, "{counts:?}");
    assert!(
        counts.contains_key("busy"),
        "the runtime thread lane: {counts:?}"
    );
}

#[test]
fn a_bad_svg_path_fails_before_the_run() {
    asyncdemo(&["count", "--svg", "/nonexistent/dir/x.svg"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::starts_with(
            "error: creating SVG file '/nonexistent/dir/x.svg'",
        ));
    asyncdemo(&["compare", "count", "--svg", "/nonexistent/dir/x.svg"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("creating SVG file"));
}

#[test]
fn compare_draws_every_way_in_one_picture() {
    let (_dir, path) = temp("compare.svg");
    asyncdemo(&[
        "compare", "count", "-n", "2", "-d", "30ms", "-f", "markdown", "--svg",
    ])
    .arg(&path)
    .assert()
    .success()
    .stdout(predicate::str::contains("(longest poll 0."));
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let headers = doc
        .descendants()
        .filter(|n| n.has_tag_name("tspan"))
        .filter_map(|n| n.text())
        .collect::<Vec<_>>();
    assert_eq!(
        headers,
        [
            "async",
            "blocking",
            "threads",
            "spawn-blocking",
            "blocking",
            "blocking"
        ]
    );
}

/// The text timeline marks a task kept off the thread and draws the
/// runtime thread's lane.
#[test]
fn the_timeline_shows_tasks_kept_waiting_and_the_thread() {
    let out = stdout_of(&[
        "count",
        "-n",
        "2",
        "--blocking",
        "-d",
        "50ms",
        "--timeline",
        "-q",
    ]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[1].starts_with("task 2          ....."), "{out}");
    assert!(lines[2].starts_with("runtime thread  xxxxx"), "{out}");
    assert!(out.contains(". ready, waiting for the thread"), "{out}");
}
