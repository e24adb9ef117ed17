//! `compare --record FILE` and the replay of a compare recording: the
//! table, the JSON and the slide made again without running, one way's run
//! with `--way`, and a bad or cut compare recording met with a clear error
//! or a noted partial replay.

use crate::common::{asyncdemo, binary, send_signal, wait_until, wait_with_limit};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

/// A directory of this test's own, removed when the test ends.
struct Scratch(tempfile::TempDir);

impl Scratch {
    fn new() -> Scratch {
        Scratch(
            tempfile::Builder::new()
                .prefix("asyncdemo-compare-record-")
                .tempdir()
                .unwrap(),
        )
    }

    fn path(&self, name: &str) -> String {
        let path: PathBuf = self.0.path().join(name);
        path.to_str().unwrap().to_owned()
    }
}

/// Runs `asyncdemo ARGS`; returns its exit code, stdout and stderr.
fn run(args: &[&str]) -> (i32, String, String) {
    let out = asyncdemo(args)
        .timeout(Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `asyncdemo ARGS`, asserts it succeeded, and returns its stdout.
fn stdout(args: &[&str]) -> String {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

/// A compare of three ways, recorded into `rec`, with `extra` options;
/// returns its stdout.
fn compared(rec: &str, extra: &[&str]) -> String {
    let mut args = vec![
        "compare",
        "count",
        "-n",
        "3",
        "-d",
        "20ms",
        "--ways",
        "async,blocking,threads",
        "--record",
        rec,
    ];
    args.extend(extra);
    stdout(&args)
}

#[test]
fn the_json_of_a_compare_and_of_its_replay_are_equal_timings_included() {
    let dir = Scratch::new();
    let rec = dir.path("c.rec");
    let run = compared(&rec, &["-f", "json"]);
    let replayed = stdout(&["replay", &rec, "-f", "json"]);
    assert_eq!(replayed, run);
    // Not an empty agreement: three rows, with the run's own figures.
    let rows: serde_json::Value = serde_json::from_str(&run).unwrap();
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 3, "{run}");
    let modes: Vec<&str> = rows.iter().map(|r| r["mode"].as_str().unwrap()).collect();
    assert_eq!(modes, ["async", "blocking", "threads"]);
    assert!(
        rows.iter()
            .all(|r| r["elapsed_secs"].as_f64().unwrap() > 0.0)
    );
}

#[test]
fn the_table_and_its_verdicts_replay_as_compare_printed_them() {
    let dir = Scratch::new();
    for (format, replayed_as) in [("text", "text"), ("markdown", "markdown")] {
        let rec = dir.path(&format!("{format}.rec"));
        let run = compared(&rec, &["-f", format]);
        let replayed = stdout(&["replay", &rec, "-f", replayed_as]);
        assert_eq!(replayed, run, "{format}");
        assert!(run.contains("one after another"), "{run}");
    }
    // A compare recorded as JSON still replays as a table: the format is
    // the replay's choice.
    let rec = dir.path("json.rec");
    compared(&rec, &["-f", "json"]);
    let table = stdout(&["replay", &rec, "-f", "markdown"]);
    assert!(table.starts_with("| mode |"), "{table}");
    assert_eq!(table.lines().filter(|l| l.starts_with("| ")).count(), 4);
}

#[test]
fn the_compare_slide_replays_byte_for_byte() {
    let dir = Scratch::new();
    let (rec, svg, again) = (dir.path("s.rec"), dir.path("a.svg"), dir.path("b.svg"));
    compared(&rec, &["--svg", &svg]);
    stdout(&["replay", &rec, "--svg", &again]);
    let (svg, again) = (std::fs::read(svg).unwrap(), std::fs::read(again).unwrap());
    assert!(svg.len() > 1000);
    assert_eq!(again, svg);
    #[cfg(feature = "png")]
    {
        let (rec, png, again) = (dir.path("p.rec"), dir.path("a.png"), dir.path("b.png"));
        compared(&rec, &["--png", &png]);
        stdout(&["replay", &rec, "--png", &again]);
        assert_eq!(std::fs::read(again).unwrap(), std::fs::read(png).unwrap());
    }
}

#[test]
fn way_replays_one_ways_run_as_a_run_alone() {
    let dir = Scratch::new();
    let rec = dir.path("w.rec");
    let table = compared(&rec, &["-f", "json"]);
    let table: serde_json::Value = serde_json::from_str(&table).unwrap();
    let json = stdout(&["replay", &rec, "--way", "blocking", "-f", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    // The blocking row's own run: its figures, and the task states its
    // observations make.
    assert_eq!(json["mode"], "blocking");
    assert_eq!(json["elapsed_secs"], table[1]["elapsed_secs"]);
    assert_eq!(json["peak_overlap"], 1);
    assert!(json["task_states"].is_object(), "{json}");
    // Every single-run output: the lines in order, and the narration.
    let lines = stdout(&["replay", &rec, "--way", "blocking", "-v"]);
    let tasks: Vec<&str> = lines.lines().filter_map(|l| l.split("] ").nth(1)).collect();
    assert_eq!(
        tasks,
        [
            "task 1  One",
            "task 1  Two",
            "task 2  One",
            "task 2  Two",
            "task 3  One",
            "task 3  Two"
        ],
        "{lines}"
    );
    let narrated = stdout(&["replay", &rec, "--way", "async"]);
    assert!(narrated.contains("tokio::time::sleep"), "{narrated}");
    let svg = dir.path("one.svg");
    stdout(&["replay", &rec, "--way", "threads", "-q", "--svg", &svg]);
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<svg"));
}

#[test]
fn an_unknown_way_is_refused_naming_the_ways_there_are() {
    let dir = Scratch::new();
    let rec = dir.path("u.rec");
    compared(&rec, &[]);
    let (code, _, err) = run(&["replay", &rec, "--way", "multi-spawned"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("no way 'multi-spawned': its ways are async, blocking, threads"),
        "{err}"
    );
    // And options of one run, on the table, say how to pick a way.
    let (code, _, err) = run(&["replay", &rec, "--timeline"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--way NAME (async, blocking, threads)"),
        "{err}"
    );
    // --way on one run's recording says what it is for.
    let single = dir.path("single.rec");
    stdout(&["count", "-n", "2", "-d", "0", "-q", "--record", &single]);
    // A run's own recording is still format 1, as before compare's; a
    // compare's is format 2.
    assert_eq!(std::fs::read(&single).unwrap()[20..22], [1, 0]);
    assert_eq!(std::fs::read(&rec).unwrap()[20..22], [2, 0]);
    let (code, _, err) = run(&["replay", &single, "--way", "async"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("--way picks a way of a compare recording"),
        "{err}"
    );
}

/// Whether python3 runs here; says the test is skipped when it does not.
fn has_python3() -> bool {
    let has = std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has {
        eprintln!("skipped: no python3 on PATH");
    }
    has
}

#[test]
fn python_rows_are_recorded_and_replayed_too() {
    if !has_python3() {
        return;
    }
    let dir = Scratch::new();
    let rec = dir.path("py.rec");
    let run = stdout(&[
        "compare", "hello", "-n", "2", "-d", "20ms", "--ways", "async", "--python", "-f", "json",
        "--record", &rec,
    ]);
    let replayed = stdout(&["replay", &rec, "-f", "json"]);
    assert_eq!(replayed, run);
    let rows: serde_json::Value = serde_json::from_str(&run).unwrap();
    let python: Vec<&serde_json::Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["language"] == "python")
        .collect();
    assert!(!python.is_empty(), "{run}");
    // A Python row alone: its lines and its summary.
    let lines = stdout(&["replay", &rec, "--way", "python-gather", "-v"]);
    assert_eq!(lines.matches("Hello ...").count(), 2, "{lines}");
    assert_eq!(lines.matches("... World!").count(), 2, "{lines}");
}

#[test]
fn record_dash_writes_the_recording_to_stdout_under_quiet_only() {
    let dir = Scratch::new();
    let (code, _, err) = run(&["compare", "count", "-d", "10ms", "--record", "-"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("add -q"), "{err}");
    let out = asyncdemo(&[
        "compare", "count", "-d", "10ms", "--ways", "async", "-q", "--record", "-",
    ])
    .assert()
    .success()
    .get_output()
    .clone();
    assert!(out.stdout.starts_with(b"asyncdemo-recording\n"));
    // The table went to stderr, and no progress line with it.
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("all waits overlap"), "{err}");
    assert!(!err.contains("running"), "{err}");
    let rec = dir.path("dash.rec");
    std::fs::write(&rec, &out.stdout).unwrap();
    let table = stdout(&["replay", &rec]);
    assert!(table.contains("all waits overlap"), "{table}");
}

#[test]
fn record_and_a_picture_may_not_share_a_file() {
    let dir = Scratch::new();
    let file = dir.path("same");
    let (code, _, err) = run(&[
        "compare", "count", "-d", "0", "--svg", &file, "--record", &file,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("name the same file"), "{err}");
}

// ---- bad compare recordings ----

/// Where `needle` first occurs in `bytes`.
fn find(bytes: &[u8], needle: &[u8]) -> usize {
    bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .unwrap_or_else(|| panic!("{:?} not found", String::from_utf8_lossy(needle)))
}

/// `replay` of `bytes`, written to a file, with `extra`.
fn replay_bytes(dir: &Scratch, bytes: &[u8], extra: &[&str]) -> (i32, String, String) {
    let path = dir.path("bad.rec");
    std::fs::write(&path, bytes).unwrap();
    let mut args = vec!["replay", &path[..]];
    args.extend(extra);
    run(&args)
}

/// A recording of three ways, as bytes.
fn three_ways(dir: &Scratch) -> Vec<u8> {
    let rec = dir.path("three.rec");
    compared(&rec, &["-f", "json"]);
    std::fs::read(rec).unwrap()
}

#[test]
fn a_compare_cut_during_its_third_way_replays_the_ways_it_has() {
    let dir = Scratch::new();
    let bytes = three_ways(&dir);
    let third = find(&bytes, b"{\"way\":\"threads\"") - 2;
    // Cut at every length from a little before the third way's section
    // to the end: exit 0, a note, never a panic; the first two rows
    // whole until the third way's summary is in.
    let summary = find(&bytes[third..], b"\"passed\"") + third;
    for cut in (third - 5..bytes.len()).step_by(7) {
        let (code, out, err) = replay_bytes(&dir, &bytes[..cut], &["-f", "markdown"]);
        assert_eq!(code, 0, "cut at {cut}: {err}");
        assert!(
            err.contains("note: the recording was cut"),
            "cut at {cut}: {err}"
        );
        let rows = out.lines().filter(|l| l.starts_with("| ")).count() - 1;
        // Before the third way's summary is in, its row is not shown.
        let expected: &[usize] = if cut < summary { &[2] } else { &[2, 3] };
        assert!(expected.contains(&rows), "cut at {cut}: {rows} rows\n{out}");
    }
    // Cut just past the third way's section header: the note names it.
    let records = find(&bytes[third..], b"\"given_delay_secs\":0.02}") + third + 25;
    let (_, out, err) = replay_bytes(&dir, &bytes[..records + 2], &[]);
    assert!(
        err.contains("cut during way 3 (threads), so the table shows only the 2 ways before it"),
        "{err}"
    );
    assert!(!out.contains("OS threads"), "{out}");
    // Cut at every length before it, too: never a panic.
    for cut in (22..third).step_by(11) {
        let (code, _, err) = replay_bytes(&dir, &bytes[..cut], &[]);
        assert!(code == 0 || code == 2, "cut at {cut}: {err}");
        assert!(!err.contains("panicked"), "cut at {cut}: {err}");
    }
}

#[test]
fn a_section_of_a_way_the_header_does_not_name_is_refused() {
    let dir = Scratch::new();
    let mut bytes = three_ways(&dir);
    // The second section's name, changed to one of the same length.
    let at = find(&bytes, b"{\"way\":\"blocking\"") + 8;
    bytes[at..at + 8].copy_from_slice(b"blockinh");
    let (code, _, err) = replay_bytes(&dir, &bytes, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("is of way 'blockinh', which its header does not name")
            && err.contains("(it names: async, blocking, threads)"),
        "{err}"
    );
}

#[test]
fn a_way_count_that_does_not_match_is_refused() {
    let dir = Scratch::new();
    let mut bytes = three_ways(&dir);
    // The end record: tag 33, then the count, 3.
    let n = bytes.len();
    assert_eq!(bytes[n - 2..], [33, 3]);
    bytes[n - 1] = 4;
    let (code, _, err) = replay_bytes(&dir, &bytes, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("counts 4 ways, but it holds 3"), "{err}");
    // A header that names more ways than any compare runs.
    let header = format!(
        "{{\"command\":[\"asyncdemo\",\"compare\",\"count\"],\"version\":\"0\",\"demo\":\"count\",\"cpus\":1,\"ways\":[{}\"async\"]}}",
        "\"x\",".repeat(40)
    );
    let (code, _, err) = replay_bytes(&dir, &crafted(&header, &[]), &[]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("names 41 ways; a compare runs 1 to 32"),
        "{err}"
    );
}

/// A compare recording (format 2) of `header` (JSON), then `records`.
fn crafted(header: &str, records: &[u8]) -> Vec<u8> {
    let mut bytes = b"asyncdemo-recording\n".to_vec();
    bytes.extend(2u16.to_le_bytes());
    let mut len = header.len();
    loop {
        let low = (len & 0x7f) as u8;
        len >>= 7;
        bytes.push(if len == 0 { low } else { low | 0x80 });
        if len == 0 {
            break;
        }
    }
    bytes.extend(header.as_bytes());
    bytes.extend(records);
    bytes
}

#[test]
fn huge_numbers_in_a_compare_recording_are_refused_not_believed() {
    let dir = Scratch::new();
    let header = r#"{"command":["asyncdemo","compare","count","-n","3"],"version":"0","demo":"count","cpus":1,"ways":["async"]}"#;
    let section = |json: &str| {
        // Tag 32, then the JSON's length as a varint (two bytes here).
        let len = json.len();
        assert!((128..16384).contains(&len));
        let mut records = vec![32u8, (len & 0x7f) as u8 | 0x80, (len >> 7) as u8];
        records.extend(json.as_bytes());
        records
    };
    let way = |tasks: &str| {
        format!(
            r#"{{"way":"async","language":"rust","mode":"async","spawn":false,"lock":null,"command":["asyncdemo"],"version":"0","demo":"count","tasks":{tasks},"runtime":"current-thread","workers":null,"cpus":1,"full_tasks":10000,"given_delay_secs":0.01}}"#
        )
    };
    let mut cases: Vec<(Vec<u8>, &str)> = vec![
        // An end that counts past 64 bits.
        (
            [
                33u8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
            ]
            .to_vec(),
            "larger than 64 bits",
        ),
        // A section header said to be a terabyte long.
        (
            [32u8, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20].to_vec(),
            "out of range",
        ),
        // A way of four billion tasks, and of none.
        (section(&way("4000000000")), "says 4000000000 tasks"),
        (section(&way("0")), "says 0 tasks"),
        // A time a year into the run.
        (
            {
                let mut r = section(&way("3"));
                r.extend([1u8, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f, 1, 1, 0]);
                r
            },
            "outside the run",
        ),
        // Not a section where one was due.
        (
            vec![7u8],
            "a way's section (tag 32) or the end (tag 33) was due",
        ),
    ];
    for (records, expected) in cases.drain(..) {
        let (code, _, err) = replay_bytes(&dir, &crafted(header, &records), &[]);
        assert_eq!(code, 2, "{expected}: {err}");
        assert!(err.contains(expected), "{expected}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn ctrl_c_during_a_recorded_compare_leaves_a_file_that_replays_what_ran() {
    let dir = Scratch::new();
    let rec = dir.path("int.rec");
    // Wait for the second way's section, then Ctrl-C: the first way is
    // whole, the second stopped part-way.
    let mut child = binary()
        .args([
            "compare",
            "count",
            "-n",
            "3",
            "-d",
            "300ms",
            "--ways",
            "async,blocking",
            "-f",
            "json",
            "--record",
            &rec,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Its header is flushed as the way begins.
    wait_until("the blocking way's section", || {
        std::fs::read(&rec).is_ok_and(|b| b.windows(17).any(|w| w == b"{\"way\":\"blocking\""))
    });
    send_signal(&child, "INT");
    let status = wait_with_limit(&mut child, Duration::from_secs(20));
    assert_eq!(status.code(), Some(130));
    let out = crate::common::rest(child.stdout.take().unwrap());
    // The run's JSON is valid, with the stopped way marked.
    let rows: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 2, "{out}");
    assert_eq!(rows[1]["interrupted"], true, "{out}");
    // The recording ends whole, and replays the same JSON.
    let replayed = stdout(&["replay", &rec, "-f", "json"]);
    assert_eq!(replayed, out);
    let (code, _, err) = run(&["replay", &rec]);
    assert_eq!(code, 0);
    assert!(!err.contains("note:"), "{err}");
    // SIGKILL during the third way: no end; the two ways before it replay.
    let rec = dir.path("kill.rec");
    let mut child = binary()
        .args([
            "compare",
            "count",
            "-n",
            "2",
            "-d",
            "2s",
            "--ways",
            "async,blocking,threads",
            "--record",
            &rec,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_until("the third way's section", || {
        std::fs::read(&rec).is_ok_and(|b| b.windows(16).any(|w| w == b"{\"way\":\"threads\""))
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let (code, out, err) = run(&["replay", &rec]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("cut during way 3 (threads)"), "{err}");
    assert!(out.contains("one after another"), "{out}");
    assert_eq!(out.lines().count(), 3, "{out}");
}

#[test]
fn a_compare_past_the_cut_off_replays_its_own_json_and_says_what_the_slide_shows() {
    let dir = Scratch::new();
    let (rec, svg) = (dir.path("big.rec"), dir.path("big.svg"));
    let compared = stdout(&[
        "compare", "count", "-n", "10001", "-d", "0", "--ways", "async", "-f", "json", "--record",
        &rec,
    ]);
    let (code, replayed, err) = run(&["replay", &rec, "-f", "json", "--svg", &svg]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(replayed, compared);
    assert!(
        err.contains("up to 10001 tasks") && err.contains("keeps the events of the first 10000"),
        "{err}"
    );
    // Without a picture asked for, nothing is approximate: no note.
    let (_, _, err) = run(&["replay", &rec, "-f", "json"]);
    assert!(!err.contains("note:"), "{err}");
}

#[test]
fn ctrl_c_during_a_recorded_python_row_keeps_it_as_interrupted() {
    use std::io::{BufRead, BufReader};
    if !has_python3() {
        return;
    }
    let dir = Scratch::new();
    let rec = dir.path("py-int.rec");
    let mut child = binary()
        .args([
            "compare",
            "hello",
            "-n",
            "2",
            "-d",
            "2s",
            "--ways",
            "async",
            "--python",
            "--python-deadline",
            "60s",
            "--record",
            &rec,
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The async row takes its 2 s, then the first Python row is announced
    // and runs for 2 s more: Ctrl-C as it is announced.
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    while !line.starts_with("running python3") {
        line.clear();
        assert!(err.read_line(&mut line).unwrap() > 0, "no Python row began");
    }
    send_signal(&child, "INT");
    assert_eq!(
        wait_with_limit(&mut child, Duration::from_secs(20)).code(),
        Some(130)
    );
    let json = stdout(&["replay", &rec, "-f", "json"]);
    let rows: serde_json::Value = serde_json::from_str(&json).unwrap();
    let last = rows.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["language"], "python", "{json}");
    assert_eq!(last["interrupted"], true, "{json}");
    let alone = stdout(&["replay", &rec, "--way", "python-gather", "-q"]);
    assert!(alone.contains("interrupted after"), "{alone}");
}
