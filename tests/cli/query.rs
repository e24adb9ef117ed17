//! Black-box tests of `query` on SQLite, which is built in: these always
//! run in a build with the `db` feature. The PostgreSQL tests are in
//! postgres.rs.

use crate::common::*;
use predicates::prelude::*;
use serde_json::Value;

/// `query ARGS -f json`, whatever its exit code.
fn query_json(args: &[&str]) -> JsonRun<Value> {
    let mut all = vec!["query"];
    all.extend_from_slice(args);
    all.extend(["-f", "json"]);
    run_json(&all)
}

#[test]
fn async_sqlite_overlaps_the_queries_and_blocking_runs_them_in_turn() {
    // Read from the observed overlap, not from a clock: the async driver
    // has each query on its connection's thread at once, the blocking one
    // runs them one after another on the runtime's thread.
    let run = query_json(&["-n", "3", "-d", "200ms"]).succeeded();
    assert_eq!(run.summary["demo"], "query");
    assert_eq!(run.summary["completed"], 3);
    assert_eq!(run.summary["peak_overlap"], 3, "{}", run.summary);
    let blocking = query_json(&["-n", "3", "-d", "200ms", "--blocking"]).succeeded();
    assert_eq!(blocking.summary["peak_overlap"], 1, "{}", blocking.summary);
    // Three queries of 0.2 s in turn take at least 0.6 s: a lower bound.
    assert!(elapsed(&blocking.summary) >= 0.6, "{}", blocking.summary);
}

#[test]
fn every_way_runs_sqlite_queries() {
    for way in
        every_way()
            .into_iter()
            .chain([vec!["-m", "block-in-place", "--workers", "2", "--spawn"]])
    {
        let mut args = vec!["-n", "3", "-d", "20ms"];
        args.extend_from_slice(&way);
        let run = query_json(&args);
        assert_eq!(run.code, 0, "{way:?}: {}", run.stderr);
        assert_eq!(run.summary["completed"], 3, "{way:?}");
        assert_eq!(run.summary["failed"], 0, "{way:?}");
    }
}

#[test]
fn fewer_connections_than_tasks_queue_the_rest() {
    // Four tasks, two connections: at most two queries in progress, the
    // others queued for a free connection, whatever the mode.
    for mode in ["async", "threads", "spawn-blocking"] {
        let run =
            query_json(&["-n", "4", "-d", "250ms", "--connections", "2", "-m", mode]).succeeded();
        assert_eq!(run.summary["peak_overlap"], 2, "{mode}: {}", run.summary);
    }
    // One connection: one at a time, however async the driver.
    let one = query_json(&["-n", "4", "-d", "20ms", "--connections", "1"]).succeeded();
    assert_eq!(one.summary["peak_overlap"], 1, "{}", one.summary);
    // The default is one connection per task, at most 10.
    let many = query_json(&["-n", "12", "-d", "400ms"]).succeeded();
    assert_eq!(many.summary["peak_overlap"], 10, "{}", many.summary);
}

/// The seconds task `task` (from 1) spent in `state`, from the JSON's
/// per-task records of the task-state model.
pub(crate) fn secs_in(summary: &Value, task: usize, state: &str) -> f64 {
    summary["task_states"]["tasks"][task - 1]["secs"][state]
        .as_f64()
        .unwrap_or_else(|| panic!("no {state} secs for task {task}: {summary}"))
}

#[test]
fn a_query_waiting_for_a_connection_is_drawn_and_counted_queued() {
    // Four tasks, two connections, the async driver: tasks 3 and 4 wait
    // for a connection, a whole query long, before theirs is taken. The
    // model sees it (the driver says when it waits and when a connection
    // takes the query), not the clock: tasks 1 and 2 never queue.
    let run = query_json(&["-n", "4", "-d", "200ms", "--connections", "2"]).succeeded();
    for task in [1, 2] {
        assert!(
            secs_in(&run.summary, task, "queued") < 0.1,
            "{}",
            run.summary
        );
        assert!(
            secs_in(&run.summary, task, "sleeping") >= 0.19,
            "{}",
            run.summary
        );
    }
    for task in [3, 4] {
        assert!(
            secs_in(&run.summary, task, "queued") >= 0.15,
            "{}",
            run.summary
        );
        assert!(
            secs_in(&run.summary, task, "sleeping") >= 0.19,
            "{}",
            run.summary
        );
    }
    // The timeline draws the queue with its own glyph, in the lanes of
    // tasks 3 and 4 only, and its legend says what they wait for.
    let out = asyncdemo(&[
        "query",
        "-n",
        "4",
        "-d",
        "200ms",
        "--connections",
        "2",
        "--timeline",
    ])
    .output()
    .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let lane = |task: &str| {
        text.lines()
            .find(|l| l.starts_with(task))
            .unwrap_or_else(|| panic!("no lane {task}:\n{text}"))
            .to_owned()
    };
    // A connection's thread picks up its first query at once on a quiet
    // machine, but under load that pick-up is a real wait of a column or
    // two, and the model rightly draws it: so tasks 1 and 2 are held to a
    // queue far shorter than the whole query that tasks 3 and 4 wait.
    let queued = |task: &str| lane(task).matches(',').count();
    assert!(queued("task 3 ") >= 3, "{text}");
    assert!(queued("task 4 ") >= 3, "{text}");
    for early in ["task 1 ", "task 2 "] {
        assert!(queued(early) * 3 < queued("task 3 "), "{text}");
    }
    assert!(
        text.contains("queued: its query waits for a free connection"),
        "{text}"
    );
}

#[test]
fn each_task_says_how_long_its_query_took() {
    let out = stdout_of(&["query", "-n", "2", "-d", "100ms"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[..2], ["query 1 ...", "query 2 ..."], "{out}");
    for id in 1..=2 {
        let done = lines
            .iter()
            .find(|l| l.starts_with(&format!("... query {id}: done in ")))
            .unwrap_or_else(|| panic!("no last line for {id}: {out}"));
        let secs: f64 = done
            .rsplit(" in ")
            .next()
            .and_then(|s| s.strip_suffix(" s"))
            .unwrap()
            .parse()
            .unwrap();
        assert!(secs >= 0.1, "{done}");
    }
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("asyncdemo query executed in ")
    );
}

#[test]
fn a_sqlite_file_is_opened_read_only_and_left_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("mine.db");
    {
        let conn = rusqlite_free_database(&path);
        drop(conn);
    }
    let before = std::fs::read(&path).unwrap();
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let db = format!("sqlite:{}", path.display());
    query_json(&["-n", "2", "-d", "10ms", "--db", &db]).succeeded();
    query_json(&["-n", "2", "-d", "10ms", "--db", &db, "--blocking"]).succeeded();
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(
        std::fs::metadata(&path).unwrap().modified().unwrap(),
        modified
    );
    // Nothing beside it either (no journal, no -wal).
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["mine.db"]);
}

/// A valid, empty SQLite database file, written by hand: the header of an
/// empty database is all SQLite needs to open it (the tests do not link
/// SQLite themselves).
fn rusqlite_free_database(path: &std::path::Path) -> std::fs::File {
    let mut page = vec![0u8; 4096];
    page[..16].copy_from_slice(b"SQLite format 3\0");
    page[16..18].copy_from_slice(&4096u16.to_be_bytes()); // page size
    page[18] = 1; // file format write version (legacy)
    page[19] = 1; // read version
    page[21] = 64; // max embedded payload fraction
    page[22] = 32; // min embedded payload fraction
    page[23] = 32; // leaf payload fraction
    page[24..28].copy_from_slice(&1u32.to_be_bytes()); // change counter
    page[28..32].copy_from_slice(&1u32.to_be_bytes()); // pages in the file
    page[44..48].copy_from_slice(&4u32.to_be_bytes()); // schema format
    page[56..60].copy_from_slice(&1u32.to_be_bytes()); // text encoding: UTF-8
    page[92..96].copy_from_slice(&1u32.to_be_bytes()); // version-valid-for
    page[96..100].copy_from_slice(&3_045_000u32.to_be_bytes()); // SQLite version
    // Page 1's b-tree header: an empty table leaf.
    page[100] = 13;
    page[105..107].copy_from_slice(&4096u16.to_be_bytes());
    std::fs::write(path, &page).unwrap();
    std::fs::File::open(path).unwrap()
}

#[test]
fn bad_db_arguments_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing_dir = format!("sqlite:{}/no/such/dir/x.db", dir.path().display());
    let missing_file = format!("sqlite:{}/absent.db", dir.path().display());
    let missing_socket = format!("host={}/nowhere user=me", dir.path().display());
    for (db, says) in [
        ("mysql://localhost/db", "unknown database scheme mysql://"),
        ("localhost", "not a database URL"),
        (missing_dir.as_str(), "does not exist"),
        (missing_file.as_str(), "never creates one"),
        (missing_socket.as_str(), "socket directory does not exist"),
        ("postgres://me@localhost:notaport/db", "invalid value"),
    ] {
        asyncdemo(&["query", "-n", "1", "--db", db])
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains(says));
    }
    assert!(!dir.path().join("absent.db").exists());
    asyncdemo(&["query", "--connections", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--connections"));
    asyncdemo(&["query", "--work", "spin"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("a query's wait is the query"));
}

#[test]
fn a_bad_file_fails_each_task_with_the_reason_and_the_json_stays_whole() {
    // A file that is not a database: SQLite opens it lazily and fails the
    // query; each task says so, escaped, and the run exits 1.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a.db");
    std::fs::write(
        &path,
        b"\x1b[2Jhello, this is not SQLite at all, not even close........",
    )
    .unwrap();
    let db = format!("sqlite:{}", path.display());
    for mode in ["async", "blocking"] {
        let run = query_json(&["-n", "2", "-d", "10ms", "--db", &db, "-m", mode]);
        assert_eq!(run.code, 1, "{mode}: {}", run.stderr);
        assert_eq!(run.summary["failed"], 2, "{mode}");
        let reason = run.summary["failures"][0]["reason"].as_str().unwrap();
        assert!(reason.contains("not a database"), "{mode}: {reason}");
    }
    let out = asyncdemo(&["query", "-n", "1", "-d", "0", "--db", &db])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("... query 1: failed: "), "{out}");
    assert!(!out.contains('\x1b'), "{out:?}");
}

#[test]
fn compare_query_reads_its_verdicts_off_the_connections() {
    let table = stdout_of(&[
        "compare",
        "query",
        "-n",
        "4",
        "-d",
        "200ms",
        "--connections",
        "2",
        "--ways",
        "async,threads,spawn-blocking",
    ]);
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{table}");
    for row in &rows {
        assert!(row.contains("2 at a time: 2 connections"), "{table}");
    }
    let table = stdout_of(&[
        "compare",
        "query",
        "-n",
        "3",
        "-d",
        "100ms",
        "--ways",
        "async,blocking",
    ]);
    assert!(
        table.contains("all waits overlap: each query runs on its connection's own thread"),
        "{table}"
    );
    assert!(
        table.contains("one after another: rusqlite's query blocks the executor"),
        "{table}"
    );
    let table = stdout_of(&[
        "compare",
        "query",
        "-n",
        "3",
        "-d",
        "100ms",
        "--connections",
        "1",
        "--ways",
        "async",
    ]);
    assert!(
        table.contains("one after another: one connection, whose thread runs its queries in turn"),
        "{table}"
    );
    asyncdemo(&["compare", "count", "--db", "sqlite::memory:"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "choose the database of compare query",
        ));
}

/// `compare ARGS` (with `--python`), which must exit `code`: a missing
/// Python package is a note, not a failure. Returns the table and stderr.
pub(crate) fn compare_python(code: i32, args: &[&str]) -> (String, String) {
    let output = asyncdemo(args).output().unwrap();
    let table = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(code), "{table}{stderr}");
    (table, stderr)
}

/// Checks the Python row `ran` of a table: present with `verdict`, or
/// skipped with a note naming the package to install.
pub(crate) fn python_row(table: &str, stderr: &str, ran: &str, package: &str, verdict: &str) {
    if stderr.contains(&format!("note: skipped {ran}")) {
        assert!(
            stderr.contains(&format!("pip install {package}")),
            "{stderr}"
        );
        eprintln!("skipped the {package} row: {package} is not installed for python3");
        return;
    }
    let row = table
        .lines()
        .find(|l| l.contains(ran))
        .unwrap_or_else(|| panic!("no {ran} row: {table}{stderr}"));
    assert!(row.contains(verdict), "{row}");
}

#[test]
fn compare_query_python_runs_sqlite3_and_aiosqlite_or_says_what_is_missing() {
    let (table, stderr) = compare_python(
        0,
        &[
            "compare",
            "query",
            "-n",
            "3",
            "-d",
            "200ms",
            "--ways",
            "async,blocking",
            "--python",
        ],
    );
    if stderr.contains("note: no Python rows") {
        eprintln!("skipped: no usable python3 ({stderr})");
        return;
    }
    python_row(
        &table,
        &stderr,
        "sqlite3 inside the coroutines",
        "sqlite3",
        "one after another: a sqlite3 call blocks the event loop",
    );
    python_row(
        &table,
        &stderr,
        "aiosqlite under gather",
        "aiosqlite",
        "all waits overlap: aiosqlite runs each connection's queries on a thread of its own",
    );
}

#[test]
fn ctrl_c_mid_query_exits_130_with_one_summary() {
    // Held inside SQLite by the blocking driver, or awaiting connection
    // threads: either way the signal thread concludes, once.
    for mode in ["blocking", "async"] {
        let mut child = binary()
            .args(["query", "-n", "3", "-d", "600s", "-f", "json", "-m", mode])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        wait_until("the signal handler", || catches_sigint(child.id()));
        send_signal(&child, "INT");
        let status = wait_with_limit(&mut child, std::time::Duration::from_secs(30));
        assert_eq!(status.code(), Some(130), "{mode}");
        let out = rest(child.stdout.take().unwrap());
        let summary: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert_eq!(summary["interrupted"], true, "{mode}");
        assert_eq!(summary["completed"], 0, "{mode}");
    }
}

#[test]
fn one_connection_counts_one_query_in_progress_however_many_tasks_queue() {
    // The overlap of one connection is 1 whatever the task count: the
    // queries queue for it, and a queued query is not in progress.
    for tasks in ["2", "5"] {
        let run = query_json(&["-n", tasks, "-d", "30ms", "--connections", "1"]).succeeded();
        assert_eq!(run.summary["peak_overlap"], 1, "{tasks}: {}", run.summary);
        assert_eq!(run.summary["completed"].to_string(), tasks);
    }
}
