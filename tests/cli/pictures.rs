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

/// The picture's title, which repeats the command.
fn title_of<'a>(doc: &'a roxmltree::Document) -> &'a str {
    doc.root_element()
        .children()
        .find(|c| c.has_tag_name("title"))
        .and_then(|t| t.text())
        .unwrap()
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
    // The runtime thread's lane: held by the blocked tasks, not running.
    assert!(
        counts.get("held").copied().unwrap_or(0) >= 1,
        "the runtime thread lane: {counts:?}"
    );
    assert_eq!(counts.get("parked"), Some(&1), "{counts:?}");
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
            "blocking",
            "block-in-place",
            "block-in-place"
        ]
    );
}

/// The compare picture is a 16:9 slide that scales to the window (a
/// viewBox, no fixed size), and its PNG is 2400 px wide, 1350 high.
#[test]
fn compare_draws_a_16_9_slide_that_scales() {
    let (dir, path) = temp("slide.svg");
    let mut args = vec!["compare", "count", "-n", "3", "-d", "20ms", "--svg"];
    let path_text = path.to_str().unwrap().to_owned();
    args.push(&path_text);
    let png = dir.path().join("slide.png");
    let png_text = png.to_str().unwrap().to_owned();
    if cfg!(feature = "png") {
        args.extend(["--png", &png_text]);
    }
    let output = asyncdemo(&args).assert().success().get_output().clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("16:9"), "{stderr}");
    let text = std::fs::read_to_string(&path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    let root = doc.root_element();
    assert_eq!(root.attribute("viewBox"), Some("0 0 1920 1080"));
    assert_eq!(root.attribute("width"), None);
    assert_eq!(root.attribute("height"), None);
    if cfg!(feature = "png") {
        let bytes = std::fs::read(&png).unwrap();
        let size = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
        assert_eq!((size(16), size(20)), (2400, 1350));
    }
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
    // A row's cells, right of its label. The rules below compare columns
    // of this one picture, not a clock: on a busy machine the first poll
    // may start a few columns in (the thread running code, `x`, and both
    // tasks ready meanwhile), and the rows say so.
    let cells = |label: &str| -> Vec<char> {
        out.lines()
            .find_map(|l| l.strip_prefix(label))
            .unwrap_or_else(|| panic!("no {label:?} row: {out}"))
            .chars()
            .collect()
    };
    let (task1, task2) = (cells("task 1           "), cells("task 2           "));
    // The thread that called block_on, the current-thread runtime's one.
    let lane = cells("block_on thread  ");
    let column = |row: &[char], mark: char| {
        row.iter()
            .position(|&c| c == mark)
            .unwrap_or_else(|| panic!("no {mark:?}: {out}"))
    };
    // Task 2 is kept off the thread, ready from the start, until task 1's
    // blocking wait has ended: its first line comes no earlier than task
    // 1's last.
    let first2 = column(&task2, 'o');
    assert!(first2 >= column(&task1, '*'), "{out}");
    assert!(
        first2 > 0 && task2[..first2].iter().all(|&c| c == '.'),
        "{out}"
    );
    // Unparked all along, held by the blocked tasks, not running code:
    // `H` in every column inside either task's blocked wait (its edges may
    // share a column with the poll around it).
    let mut inside = 0;
    for row in [&task1, &task2] {
        for c in 1..row.len().saturating_sub(1) {
            if row[c - 1..=c + 1] == ['#'; 3] {
                inside += 1;
                assert_eq!(lane.get(c), Some(&'H'), "column {c}: {out}");
            }
        }
    }
    assert!(inside > 0, "no blocked wait drawn: {out}");
    let end = column(&task2, '*').min(lane.len() - 1);
    assert!(!lane[..=end].contains(&'_'), "{out}");
    assert!(out.contains(". ready, waiting for the thread"), "{out}");
    assert!(
        out.contains("H runtime thread held in a blocking call (no CPU)"),
        "{out}"
    );
}

/// Ctrl-C in the middle of a blocking wait: the pictures show the moment
/// it stopped. The interrupted wait runs to the end, marked; the thread is
/// held by it, not parked; the title and the timeline say a signal stopped
/// the run.
#[test]
fn an_interrupted_run_pictures_what_was_happening() {
    let (_dir, path) = temp("interrupted.svg");
    let (mut child, stdout, first) = spawn_until_first_line(&[
        "count",
        "-n",
        "3",
        "--blocking",
        "-d",
        "5s",
        "--timeline",
        "--color",
        "never",
        "--svg",
        path.to_str().unwrap(),
    ]);
    assert_eq!(first.trim(), "One");
    send_signal(&child, "INT");
    let status = wait_with_limit(&mut child, std::time::Duration::from_secs(30));
    assert_eq!(status.code(), Some(130));
    let out = rest(stdout);
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);

    let rows: Vec<&str> = out.lines().filter(|l| l.starts_with("task ")).collect();
    assert_eq!(rows.len(), 3, "{out}");
    assert!(rows[0].ends_with("#!"), "task 1 mid-wait: {out}");
    assert!(rows[1].ends_with(".!"), "task 2 still ready: {out}");
    let lane = out
        .lines()
        .find_map(|l| l.strip_prefix("block_on thread  "))
        .unwrap_or_else(|| panic!("no thread lane: {out}"));
    assert!(
        !lane.contains('_'),
        "the thread was held, never parked: {out}"
    );
    assert!(
        out.contains("! stopped by a signal, still waiting"),
        "{out}"
    );

    let doc = roxmltree::Document::parse(&text).expect("well-formed SVG");
    let title = title_of(&doc);
    assert!(
        title.starts_with("asyncdemo count -n 3 -d 5s --blocking: ")
            && title.ends_with(", stopped by a signal"),
        "{title}"
    );
    let interrupted = doc
        .descendants()
        .filter(|n| n.attribute("class") == Some("interrupted"))
        .count();
    assert_eq!(interrupted, 3, "one mark per unfinished task");
    assert!(
        doc.descendants()
            .any(|n| n.attribute("class") == Some("held")),
        "{text}"
    );
}

/// The title repeats the command as typed: `-d 50ms`, not the measured
/// round trip of the built-in server (a little more than 50 ms).
#[cfg(feature = "http")]
#[test]
fn a_fetch_picture_is_titled_with_the_delay_as_typed() {
    let (_dir, path) = temp("fetch.svg");
    asyncdemo(&["fetch", "-n", "2", "-d", "50ms", "-q", "--svg"])
        .arg(&path)
        .assert()
        .success();
    let text = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    let doc = roxmltree::Document::parse(&text).expect("well-formed SVG");
    let title = title_of(&doc);
    assert!(
        title.starts_with("asyncdemo fetch -n 2 -d 50ms: "),
        "{title}"
    );
}
