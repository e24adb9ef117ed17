//! `compare --python`: the notes' own Python programs as rows beside tokio.
//!
//! Rows that need a real python3 (3.9 or newer), or aiohttp, run only where
//! it is there, and say on stderr when they are skipped. The failure paths
//! run everywhere, with a fake `python3` first on PATH.

use crate::common::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Whether the python3 on PATH can run the Python rows; says so when not.
fn python_usable(test: &str) -> bool {
    let usable = Command::new("python3")
        .args([
            "-c",
            "import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !usable {
        eprintln!("skipped {test}: no python3 3.9 or newer on PATH");
    }
    usable
}

/// Whether the python3 on PATH imports `package`.
fn imports(package: &str) -> bool {
    Command::new("python3")
        .args(["-c", &format!("import {package}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// A directory holding a fake `python3`, a shell script with `body`.
fn fake_python(body: &str) -> tempfile::TempDir {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("python3");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// `compare ARGS -f json` with `path` as PATH: its exit code, rows and stderr.
fn compare_json(args: &[&str], path: &Path) -> (i32, Vec<Value>, String) {
    let mut all = vec!["compare"];
    all.extend(args);
    all.extend(["-f", "json"]);
    let output = asyncdemo(&all).env("PATH", path).output().unwrap();
    let rows = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not the JSON table ({e}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    let stderr = String::from_utf8(output.stderr).unwrap();
    (output.status.code().unwrap(), rows, stderr)
}

/// The rows `language` ran.
fn of(rows: &[Value], language: &str) -> Vec<Value> {
    rows.iter()
        .filter(|r| r["language"] == language)
        .cloned()
        .collect()
}

/// The Python row whose `ran` starts with `what`.
fn row<'a>(rows: &'a [Value], what: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["ran"].as_str().is_some_and(|ran| ran.starts_with(what)))
        .unwrap_or_else(|| panic!("no row ran {what:?}: {rows:?}"))
}

#[test]
fn the_notes_programs_run_after_the_tokio_rows() {
    if !python_usable("the_notes_programs_run_after_the_tokio_rows") {
        return;
    }
    let path = std::env::var_os("PATH").unwrap();
    let (code, rows, _) = compare_json(
        &["count", "-n", "3", "-d", "100ms", "--python"],
        Path::new(&path),
    );
    assert_eq!(code, 0);
    let rust = of(&rows, "rust");
    let python = of(&rows, "python");
    assert_eq!(rust.len(), 8);
    assert_eq!(rows.len(), 8 + python.len(), "only rust and python rows");
    // The tokio rows come first, as without --python.
    assert!(rows[..8].iter().all(|r| r["language"] == "rust"));
    let gather = row(&python, "asyncio.sleep under gather (Python 3.");
    let blocking = row(&python, "time.sleep inside the coroutines");
    let offloaded = row(&python, "asyncio.to_thread(time.sleep)");
    let threads = row(&python, "a threading.Thread per task");
    for r in [gather, blocking, offloaded, threads] {
        assert_eq!(r["completed"], 3, "{r}");
        assert!(r["error"].is_null(), "{r}");
        assert!(elapsed(r) >= 0.1, "no run is quicker than one delay: {r}");
    }
    // The lesson, read from two runs of one test: blocking the loop
    // serialises the sleeps, asyncio.sleep overlaps them.
    assert!(elapsed(blocking) >= 0.3, "{blocking}");
    assert!(elapsed(gather) < 0.75 * elapsed(blocking));
    // The timing-free figure reads the same lesson, as for the tokio rows.
    assert_eq!(gather["peak_overlap"], 3, "{gather}");
    assert_eq!(blocking["peak_overlap"], 1, "{blocking}");
    assert_eq!(threads["peak_overlap"], 3, "{threads}");
    assert_eq!(offloaded["peak_overlap"], 3, "{offloaded}");
    assert_eq!(gather["mode"], "async");
    assert_eq!(blocking["mode"], "blocking");
    assert_eq!(offloaded["mode"], "spawn-blocking");
    assert!(offloaded["blocking_threads"].as_u64().unwrap() >= 5);
    assert_eq!(threads["mode"], "threads");
    // A blocked loop held one callback for the whole delay.
    assert!(blocking["longest_poll_secs"].as_f64().unwrap() >= 0.1);
    // With uvloop: one more row; without it, a note said so.
    if imports("uvloop") {
        row(&python, "asyncio.sleep under gather, on uvloop");
    }

    // The text table's verdict: the blocking way alone tells it.
    let text = asyncdemo(&[
        "compare", "hello", "-d", "50ms", "--python", "--ways", "blocking",
    ])
    .assert()
    .success()
    .get_output()
    .clone();
    let table = String::from_utf8(text.stdout).unwrap();
    assert!(
        table.contains("Python's start-up is not inside its elapsed"),
        "{table}"
    );
    let verdict = table
        .lines()
        .find(|l| l.contains("time.sleep inside the coroutines (Python 3."))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(
        verdict.contains("one after another: time.sleep blocks the event loop"),
        "{verdict}"
    );
}

#[test]
fn a_python_that_exits_with_an_error_is_a_failed_row_with_its_reason() {
    let dir = fake_python(
        "echo 'Traceback (most recent call last):' >&2\nprintf 'ValueError: \\033[31mboom\\n' >&2\nexit 1",
    );
    let (code, rows, stderr) =
        compare_json(&["count", "-n", "2", "-d", "10ms", "--python"], dir.path());
    assert_eq!(code, 1, "{stderr}");
    let python = of(&rows, "python");
    assert!(!python.is_empty());
    for r in &python {
        assert_eq!(r["completed"], 0);
        assert_eq!(r["passed"], false);
        assert_eq!(
            r["error"], "python3 exited with status 1: ValueError: \\u{1b}[31mboom",
            "{r}"
        );
    }
    // The escape sequence reached neither stream raw.
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(
        stderr.contains("error: python3 asyncio.sleep under gather: python3 exited with status 1")
    );
    // The tokio rows are all there.
    assert_eq!(of(&rows, "rust").len(), 8);
    let table = asyncdemo(&[
        "compare", "count", "-n", "2", "-d", "10ms", "--python", "-f", "markdown",
    ])
    .env("PATH", dir.path())
    .output()
    .unwrap();
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.contains("| run failed: python3 exited with status 1: ValueError: \\u{1b}[31mboom |"),
        "{table}"
    );
}

#[test]
fn a_python_that_hangs_is_stopped_at_its_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    // It starts a child of its own, which must be stopped with it. (PATH
    // holds only the fake: the shell finds sleep by its own.)
    let bin = fake_python(&format!(
        "PATH=/usr/bin:/bin\nsleep 1000 &\necho $! >> '{}'\nwait",
        pids.display()
    ));
    let deadline = Duration::from_millis(500);
    let mut child = binary()
        .args([
            "compare", "count", "-n", "1", "-d", "0", "--python", "-f", "json",
        ])
        .args(["--python-deadline", "500ms"])
        .env("PATH", bin.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let rows = 5;
    // A hang would go on for 1000 s: a limit of a few deadlines per row
    // (and a busy machine's slack) tells the two apart.
    let status = wait_with_limit(&mut child, deadline * 4 * rows + Duration::from_secs(30));
    let took = started.elapsed();
    assert_eq!(status.code(), Some(1));
    let table: Vec<Value> = serde_json::from_str(&rest(child.stdout.take().unwrap())).unwrap();
    let python = of(&table, "python");
    assert_eq!(python.len(), 5);
    for r in &python {
        assert_eq!(
            r["error"],
            "python3 gave no result within 500ms (--python-deadline), and was stopped"
        );
    }
    // Each row waited out its deadline, no less.
    assert!(took >= deadline * 5, "{took:?}");
    // Everything the fake started was stopped with it.
    let started_pids = std::fs::read_to_string(&pids).unwrap();
    assert_eq!(started_pids.lines().count(), 5);
    for pid in started_pids.lines() {
        // SIGKILL lands a moment later, and then the process is a zombie
        // until something reaps it: give it a few seconds to get there.
        let gone = Instant::now() + Duration::from_secs(10);
        while running(pid) {
            assert!(
                Instant::now() < gone,
                "the fake's sleep {pid} outlived its row"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Whether process `pid` is alive: it exists and is not a zombie.
fn running(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state is the first field after the command's parentheses.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| !matches!(state, "Z" | "X")),
        Err(_) => false,
    }
}

#[test]
fn without_python3_the_tokio_rows_print_and_a_note_says_why() {
    let empty = tempfile::tempdir().unwrap();
    let (code, rows, stderr) = compare_json(
        &["count", "-n", "2", "-d", "10ms", "--python"],
        empty.path(),
    );
    assert_eq!(code, 0);
    assert_eq!(rows.len(), 8);
    assert!(rows.iter().all(|r| r["language"] == "rust"));
    assert_eq!(stderr, "note: no Python rows: python3 is not on PATH\n");
}

#[test]
fn a_python_older_than_3_9_leaves_a_note_and_no_rows() {
    // What the script prints and how it exits on Python 3.8, before it
    // uses anything 3.9 has.
    let dir = fake_python(
        "echo 'python 3.8.10'\necho 'asyncio.to_thread needs Python 3.9 or newer' >&2\nexit 4",
    );
    let (code, rows, stderr) = compare_json(&["hello", "-d", "10ms", "--python"], dir.path());
    assert_eq!(code, 0);
    assert_eq!(rows.len(), 8);
    assert_eq!(
        stderr,
        "note: no Python rows: python3 is Python 3.8.10, and the Python rows need 3.9 \
         or newer (asyncio.to_thread)\n"
    );
}

#[test]
fn python_deadline_needs_python() {
    asyncdemo(&["compare", "count", "--python-deadline", "1s"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--python"));
}

#[cfg(feature = "http")]
#[test]
fn fetch_compares_aiohttp_and_requests_against_the_built_in_server() {
    let test = "fetch_compares_aiohttp_and_requests_against_the_built_in_server";
    if !python_usable(test) {
        return;
    }
    let path = std::env::var_os("PATH").unwrap();
    let (code, rows, stderr) = compare_json(
        &["fetch", "-n", "3", "-d", "100ms", "--python"],
        Path::new(&path),
    );
    assert_eq!(code, 0, "{stderr}");
    let python = of(&rows, "python");
    match (imports("aiohttp"), imports("requests")) {
        (true, true) => {
            let aiohttp = row(&python, "aiohttp under gather");
            let requests = row(&python, "requests inside the coroutines");
            for r in [aiohttp, requests] {
                assert_eq!(r["completed"], 3, "{r}");
                assert_eq!(r["failed"], 0, "{r}");
                // The server's delay, as the client saw it.
                assert!(r["delay_secs"].as_f64().unwrap() >= 0.1, "{r}");
            }
            assert!(elapsed(requests) >= 0.3);
            assert!(elapsed(aiohttp) < 0.75 * elapsed(requests));
        }
        (aiohttp, requests) => {
            eprintln!("skipped the aiohttp/requests comparison of {test}: not both import");
            for (imports, package, ran) in [
                (aiohttp, "aiohttp", "aiohttp under gather"),
                (requests, "requests", "requests inside the coroutines"),
            ] {
                if !imports {
                    assert!(
                        stderr.contains(&format!(
                            "note: skipped {ran}: {package} is not installed (pip install {package})"
                        )),
                        "{stderr}"
                    );
                }
            }
        }
    }
}

#[test]
fn the_svg_has_a_panel_per_python_row() {
    if !python_usable("the_svg_has_a_panel_per_python_row") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let svg = dir.path().join("compare.svg");
    let svg_arg = svg.to_str().unwrap();
    let output = asyncdemo(&[
        "compare", "count", "-n", "2", "-d", "50ms", "--python", "-f", "json",
    ])
    .args(["--svg", svg_arg])
    .assert()
    .success()
    .get_output()
    .stdout
    .clone();
    let rows: Vec<Value> = serde_json::from_slice(&output).unwrap();
    let python = of(&rows, "python");
    let text = std::fs::read_to_string(&svg).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    // Each panel's heading names what ran; a Python row's, its version.
    let headings: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.descendants().filter_map(|d| d.text()).collect::<String>())
        .filter(|t| t.contains("(Python 3."))
        .collect();
    assert_eq!(headings.len(), python.len(), "{headings:?}");
    // A long heading wraps in a narrow panel: its lines read in order.
    let heading_text: String = doc
        .descendants()
        .filter(|n| n.has_tag_name("text") && n.attribute("font-size") == Some("19.0"))
        .map(|n| n.descendants().filter_map(|d| d.text()).collect::<String>())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        heading_text.contains("time.sleep inside the coroutines (Python 3."),
        "{heading_text}"
    );
    // A Python panel speaks Python's words: its thread is the event
    // loop's, and its tasks block in time.sleep.
    assert!(text.contains(">event loop thread<"), "{text}");
    assert!(
        text.contains("blocked in time.sleep, holding its thread"),
        "{text}"
    );
    // The verdicts stand on lines of their own under each heading.
    let texts: String = doc
        .descendants()
        .filter_map(|n| n.text())
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        texts.contains("time.sleep blocks the event loop"),
        "{texts}"
    );
    // The legend, shared by the rows of both languages, names each state
    // in both.
    let legend: Vec<&str> = doc
        .descendants()
        .filter(|n| {
            n.has_tag_name("text")
                && n.prev_sibling_element()
                    .is_some_and(|s| s.attribute("class") == Some("swatch"))
        })
        .filter_map(|n| n.text())
        .collect();
    assert!(
        legend
            .iter()
            .any(|t| t.contains("blocked in std::thread::sleep / time.sleep")),
        "{legend:?}"
    );
    assert!(
        legend
            .iter()
            .any(|t| t.starts_with("runtime thread / event loop thread")),
        "{legend:?}"
    );
}

/// Ctrl-C while a Python row runs: python3 is stopped with it, and the
/// table marks that row interrupted after the finished ones, as it does a
/// stopped tokio row.
#[test]
fn ctrl_c_during_a_python_row_marks_it_interrupted() {
    if !python_usable("ctrl_c_during_a_python_row_marks_it_interrupted") {
        return;
    }
    // The second `running` line announces the first Python row, after the
    // one tokio row; its sleeps take 3 s, far longer than the signal takes
    // to follow the announcement.
    let (code, stdout) = crate::compare::interrupt_compare_at(
        &[
            "count", "-n", "2", "-d", "3s", "--python", "--ways", "async",
        ],
        2,
    );
    assert_eq!(code, Some(130), "{stdout}");
    let rows: Vec<&str> = stdout.lines().filter(|l| !l.is_empty()).collect();
    assert!(rows[1].starts_with("async "), "{stdout}");
    let stopped = rows
        .iter()
        .find(|l| l.contains("asyncio.sleep under gather"))
        .unwrap_or_else(|| panic!("no row for the stopped Python run: {stdout}"));
    assert!(
        stopped.contains("interrupted: 0 of 2 tasks had finished"),
        "{stdout}"
    );
}

/// A record of one task that a fake python3 prints (`count -n 1`), after a
/// version line `version`, in the shell's printf (octal escapes).
fn record(version: &str) -> String {
    format!(
        "printf 'python {version}\\n'\necho 'event 1000 1 first 1'\n\
         echo 'event 2000 1 last 1'\necho 'elapsed 3000'"
    )
}

/// U+202E (right-to-left override) and U+2066 (left-to-right isolate) in
/// printf's octal, and what either becomes escaped.
const BIDI: &str = "\\342\\200\\256\\342\\201\\246";
const BIDI_ESCAPED: &str = "\\u{202e}\\u{2066}";

/// Whether `text` holds a control, bidi or escape character raw.
fn raw_controls(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && c != '\n')
            || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

#[test]
fn python3s_bytes_are_escaped_in_every_format_and_on_stderr() {
    let fakes = [
        // A good record, its version string hostile: the row's label.
        record(&format!("3.12{BIDI}x")),
        // A failed row: the reason in the verdict and the error line.
        format!("printf 'ValueError: {BIDI}\\033[2J boom\\n' >&2\nexit 1"),
        // A package that does not import: "note: skipped".
        format!("printf 'No module named {BIDI}uvloop\\n' >&2\nexit 3"),
        // Too old: "note: no Python rows", quoting the version.
        format!("printf 'python 3.8{BIDI}\\n'\nexit 4"),
    ];
    for fake in &fakes {
        let dir = fake_python(fake);
        let svg = dir.path().join("rows.svg");
        for format in ["text", "json", "markdown"] {
            let output = asyncdemo(&["compare", "count", "-n", "1", "-d", "0", "--python"])
                .args(["-f", format, "--svg"])
                .arg(&svg)
                .env("PATH", dir.path())
                .output()
                .unwrap();
            let stdout = String::from_utf8(output.stdout).unwrap();
            let stderr = String::from_utf8(output.stderr).unwrap();
            let picture = std::fs::read_to_string(&svg).unwrap();
            let context = format!("{fake}\n-f {format}\nstdout: {stdout}\nstderr: {stderr}");
            assert!(!raw_controls(&stdout), "{context}");
            assert!(!raw_controls(&stderr), "{context}");
            assert!(!raw_controls(&picture), "{context}\n{picture}");
            // The text itself got through, escaped: where it shows depends on
            // the fake (a row's label, its error, a note).
            let shown = format!("{stdout}{stderr}").replace("\\\\", "\\");
            assert!(shown.contains(BIDI_ESCAPED), "{context}");
            if format == "json" {
                serde_json::from_str::<Value>(&stdout).expect(&context);
            }
        }
    }
}

#[test]
fn a_child_python3_leaves_behind_neither_outlives_the_row_nor_costs_its_record() {
    let dir = tempfile::tempdir().unwrap();
    let pids = dir.path().join("pids");
    // The child holds python3's stdout and stderr open for 1000 s.
    let bin = fake_python(&format!(
        "PATH=/usr/bin:/bin\nsleep 1000 &\necho $! >> '{}'\n{}",
        pids.display(),
        record("3.12.0")
    ));
    let (code, rows, stderr) =
        compare_json(&["count", "-n", "1", "-d", "0", "--python"], bin.path());
    assert_eq!(code, 0, "{stderr}");
    let python = of(&rows, "python");
    assert_eq!(python.len(), 5, "{rows:?}");
    for r in &python {
        assert!(r["error"].is_null(), "the record was read: {r}");
        assert_eq!(r["completed"], 1, "{r}");
    }
    // Every child was ended with its row: by the time asyncdemo is done,
    // each is gone (or a zombie about to be reaped by init).
    let started = std::fs::read_to_string(&pids).unwrap();
    assert_eq!(started.lines().count(), 5);
    for pid in started.lines() {
        wait_until(&format!("the fake's sleep {pid} to end"), || !running(pid));
    }
}

#[test]
fn a_hostile_python3_fails_its_row_with_a_reason_and_nothing_else() {
    use std::os::unix::fs::PermissionsExt;
    // (fake python3's body, what the row's error or the note says)
    let cases = [
        // 10 MB of output and no record.
        (
            "head -c 10000000 /dev/zero | tr '\\0' 'x'\necho",
            "python3 printed no result",
        ),
        // Records that do not fit.
        (
            "echo 'event 1 99 first 1'\necho 'elapsed 5'",
            "python3 printed no result: an event of task 99",
        ),
        ("echo 'elapsed soon'", "python3 printed no result"),
        ("printf 'event\\0\\n'", "python3 printed no result"),
        // Its stdout closed before anything.
        ("exec 1>&-\nexit 0", "python3 printed no result"),
        // Exit 0 with nothing printed.
        ("exit 0", "python3 printed no result: no elapsed time"),
        // Killed by a signal.
        ("kill -9 $$", "python3 was killed by signal 9"),
    ];
    for (body, says) in cases {
        let dir = fake_python(&format!("PATH=/usr/bin:/bin\n{body}"));
        let (code, rows, stderr) =
            compare_json(&["count", "-n", "1", "-d", "0", "--python"], dir.path());
        let context = format!("{body}: {stderr}");
        assert_eq!(code, 1, "{context}");
        assert_eq!(of(&rows, "rust").len(), 8, "{context}");
        let python = of(&rows, "python");
        assert_eq!(python.len(), 5, "{context}");
        for r in &python {
            let error = r["error"].as_str().unwrap_or_default();
            assert!(error.starts_with(says), "{context}: {r}");
        }
        assert!(!raw_controls(&stderr), "{context}");
        assert!(!stderr.contains("panicked"), "{context}");
    }
    // A python3 that cannot be run at all: no Python rows, a note why.
    let not_executable = fake_python("exit 0");
    let path = not_executable.path().join("python3");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let directory = tempfile::tempdir().unwrap();
    std::fs::create_dir(directory.path().join("python3")).unwrap();
    for dir in [not_executable.path(), directory.path()] {
        let (code, rows, stderr) = compare_json(&["count", "-n", "1", "-d", "0", "--python"], dir);
        assert_eq!(code, 0, "{stderr}");
        assert_eq!(rows.len(), 8);
        assert!(
            stderr.starts_with("note: no Python rows: python3 "),
            "{stderr}"
        );
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
    }
}

/// `--ways` picks the Python rows too: only the twins of the picked tokio
/// ways run (a fake python3 that fails at once shows which were started).
#[test]
fn ways_pick_the_python_twins_only() {
    let dir = fake_python("exit 1");
    let (_, rows, _) = compare_json(
        &[
            "count",
            "-n",
            "2",
            "-d",
            "10ms",
            "--python",
            "--ways",
            "async,blocking",
        ],
        dir.path(),
    );
    let rust: Vec<Value> = of(&rows, "rust")
        .iter()
        .map(|r| r["mode"].clone())
        .collect();
    assert_eq!(rust, ["async", "blocking"]);
    let python: Vec<String> = of(&rows, "python")
        .iter()
        .map(|r| r["ran"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        python,
        [
            "asyncio.sleep under gather",
            "time.sleep inside the coroutines",
            "asyncio.sleep under gather, on uvloop"
        ],
        "{rows:?}"
    );
    let (_, rows, _) = compare_json(
        &[
            "count", "-n", "2", "-d", "10ms", "--python", "--ways", "threads",
        ],
        dir.path(),
    );
    let python: Vec<Value> = of(&rows, "python");
    assert_eq!(python.len(), 1, "{python:?}");
    assert_eq!(python[0]["ran"], "a threading.Thread per task");
    // A way with no Python twin: no Python row, and a note says why.
    let (code, rows, stderr) = compare_json(
        &[
            "count",
            "-n",
            "2",
            "-d",
            "10ms",
            "--python",
            "--ways",
            "multi-joined",
        ],
        dir.path(),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(of(&rows, "python").is_empty(), "{rows:?}");
    assert!(
        stderr.contains("none of the ways picked has a Python twin"),
        "{stderr}"
    );
}

/// More panels than one slide holds (the eight ways and five Python rows
/// of forty tasks): the page grows taller than 16:9 and stderr says how to
/// pick fewer with --ways; picked, they fit.
#[test]
fn a_picture_too_big_for_a_slide_says_how_to_pick_fewer_ways() {
    let dir = fake_python("exit 1");
    let svg = dir.path().join("many.svg");
    let svg_text = svg.to_str().unwrap().to_owned();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "compare", "count", "-n", "40", "-d", "5ms", "--python", "--svg", &svg_text,
        ];
        args.extend(extra);
        let output = asyncdemo(&args).env("PATH", dir.path()).output().unwrap();
        let text = std::fs::read_to_string(&svg).unwrap();
        let doc = roxmltree::Document::parse(&text).unwrap();
        let height: f64 = doc
            .root_element()
            .attribute("viewBox")
            .unwrap()
            .split(' ')
            .nth(3)
            .unwrap()
            .parse()
            .unwrap();
        (String::from_utf8(output.stderr).unwrap(), height)
    };
    let (stderr, height) = run(&[]);
    assert!(
        stderr.contains("13 panels do not fit one 16:9 slide"),
        "{stderr}"
    );
    assert!(stderr.contains("pick them with --ways"), "{stderr}");
    assert!(height > 1080.0, "{height}");
    let (stderr, height) = run(&["--ways", "async,blocking"]);
    assert!(!stderr.contains("16:9"), "{stderr}");
    assert_eq!(height, 1080.0);
}
