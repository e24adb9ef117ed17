//! `--record FILE` and `asyncdemo replay FILE`: a replay writes what the
//! run wrote (every format, every file), and a bad recording gets a clear
//! error or a partial replay with a note, never a panic.

use crate::common::asyncdemo;
use std::path::{Path, PathBuf};

/// A directory of this test's own, removed when the test ends.
struct Scratch(#[allow(dead_code)] tempfile::TempDir);

impl Scratch {
    fn new() -> Scratch {
        Scratch(
            tempfile::Builder::new()
                .prefix("asyncdemo-replay-")
                .tempdir()
                .unwrap(),
        )
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.path().join(name)
    }
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// Runs `asyncdemo ARGS` and returns its stdout, asserting it succeeded.
fn stdout(args: &[&str]) -> String {
    let out = asyncdemo(args).assert().success().get_output().clone();
    String::from_utf8(out.stdout).unwrap()
}

/// The demos' ways that a replay must reproduce: a timer, a held thread,
/// the pool on two workers, tokio's lock.
const WAYS: &[&[&str]] = &[
    &["count", "-d", "30ms"],
    &["hello", "-d", "30ms", "--blocking"],
    &[
        "count",
        "-d",
        "30ms",
        "-m",
        "spawn-blocking",
        "--workers",
        "2",
    ],
    &["lock", "-d", "20ms", "--lock", "tokio"],
];

#[test]
fn the_json_of_a_replay_is_the_runs_timings_included() {
    let dir = Scratch::new();
    for way in WAYS {
        let rec = dir.path("run.rec");
        let rec = rec.to_str().unwrap();
        let mut args = way.to_vec();
        args.extend(["-f", "json", "--record", rec]);
        let run = stdout(&args);
        let replayed = stdout(&["replay", rec, "-f", "json"]);
        assert_eq!(replayed, run, "{way:?}");
        // Not an empty agreement: the run's own figures are there.
        let json: serde_json::Value = serde_json::from_str(&run).unwrap();
        assert!(json["elapsed_secs"].as_f64().unwrap() > 0.0, "{run}");
        assert!(json["task_states"].is_object(), "{run}");
    }
}

/// Whether an NDJSON line is a state event.
fn is_state(line: &str) -> bool {
    line.starts_with("{\"type\":\"state\"")
}

/// An NDJSON stream without its state events.
fn without_states(ndjson: &str) -> String {
    ndjson
        .lines()
        .filter(|l| !is_state(l))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The state events of an NDJSON stream, each task's in its own order:
/// two tasks' changes within microseconds of each other may reach the
/// run's model in the other order (two threads taking its lock, or one
/// descheduled between its two clock readings of a poll's beginning),
/// which the recording does not keep; each task's own sequence, times
/// included, is the run's.
fn states_by_task(ndjson: &str) -> Vec<String> {
    let mut states: Vec<(u64, String)> = ndjson
        .lines()
        .filter(|l| is_state(l))
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["task"].as_u64().unwrap(), l.to_owned())
        })
        .collect();
    states.sort_by_key(|s| s.0);
    states.into_iter().map(|s| s.1).collect()
}

#[test]
fn ndjson_narration_and_trace_of_a_replay_are_the_runs_byte_for_byte() {
    let dir = Scratch::new();
    for way in WAYS {
        let (rec, t1, t2) = (dir.path("r.rec"), dir.path("1.json"), dir.path("2.json"));
        let (rec, t1, t2) = (
            rec.to_str().unwrap(),
            t1.to_str().unwrap(),
            t2.to_str().unwrap(),
        );
        let mut args = way.to_vec();
        args.extend(["-f", "ndjson", "--explain", "--trace", t1, "--record", rec]);
        let run = stdout(&args);
        let replayed = stdout(&["replay", rec, "-f", "ndjson", "--explain", "--trace", t2]);
        assert!(run.contains("\"type\":\"state\""), "{run}");
        assert_eq!(without_states(&replayed), without_states(&run), "{way:?}");
        assert_eq!(states_by_task(&replayed), states_by_task(&run), "{way:?}");
        assert!(run.contains("\"type\":\"explain\""), "{run}");
        assert_eq!(text(Path::new(t2)), text(Path::new(t1)), "{way:?}");
    }
}

#[test]
fn timeline_and_svg_of_a_replay_are_the_runs() {
    let dir = Scratch::new();
    let (rec, s1, s2) = (dir.path("r.rec"), dir.path("1.svg"), dir.path("2.svg"));
    let (rec, s1, s2) = (
        rec.to_str().unwrap(),
        s1.to_str().unwrap(),
        s2.to_str().unwrap(),
    );
    let run = stdout(&[
        "hello",
        "-d",
        "30ms",
        "--blocking",
        "-v",
        "--timeline",
        "--svg",
        s1,
        "--record",
        rec,
    ]);
    let replayed = stdout(&["replay", rec, "-v", "--timeline", "--svg", s2]);
    assert_eq!(replayed, run);
    assert!(run.contains("legend:"), "{run}");
    assert_eq!(text(Path::new(s2)), text(Path::new(s1)));
}

#[test]
fn a_plain_replay_prints_the_lines_and_the_narration_in_order_and_exits_0() {
    let dir = Scratch::new();
    let rec = dir.path("r.rec");
    let rec = rec.to_str().unwrap();
    let run = stdout(&["count", "-n", "2", "-d", "30ms", "--record", rec]);
    assert!(!run.contains('│'), "the run itself narrated nothing: {run}");
    let replayed = stdout(&["replay", rec]);
    let lines: Vec<&str> = replayed.lines().collect();
    // The run's own lines, in its order, with the narration between them.
    let plain: Vec<&str> = lines
        .iter()
        .copied()
        .filter(|l| !l.starts_with("  │"))
        .collect();
    assert_eq!(plain, run.lines().collect::<Vec<_>>(), "{replayed}");
    let first_two = lines.iter().position(|l| *l == "Two").unwrap();
    let pending = lines
        .iter()
        .position(|l| l.contains("task 1's poll returns Pending"))
        .unwrap_or_else(|| panic!("no Pending told: {replayed}"));
    let woken = lines
        .iter()
        .position(|l| l.contains("task 1 is woken by its timer"))
        .unwrap_or_else(|| panic!("no wake-up told: {replayed}"));
    assert!(pending < woken && woken < first_two, "{replayed}");
}

#[test]
fn record_dash_writes_the_recording_to_stdout_under_quiet_only() {
    let out = asyncdemo(&["count", "-n", "2", "-d", "10ms", "-q", "--record", "-"])
        .assert()
        .success()
        .get_output()
        .clone();
    assert!(
        out.stdout.starts_with(b"asyncdemo-recording\n"),
        "{:?}",
        &out.stdout[..20.min(out.stdout.len())]
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("executed in"), "{stderr}");
    let refused = asyncdemo(&["count", "-n", "2", "-d", "10ms", "--record", "-"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = String::from_utf8(refused.stderr).unwrap();
    assert!(
        stderr.contains("--record - writes the recording to stdout"),
        "{stderr}"
    );
}

// ---- bad recordings ----

/// A recording of a real 3-task count, as bytes, and where its header ends.
fn recorded(dir: &Scratch) -> (Vec<u8>, usize) {
    let rec = dir.path("good.rec");
    stdout(&[
        "count",
        "-n",
        "3",
        "-d",
        "10ms",
        "-q",
        "--record",
        rec.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&rec).unwrap();
    (bytes.clone(), header_end(&bytes))
}

/// Where the records begin: after the magic, the version and the header.
fn header_end(bytes: &[u8]) -> usize {
    let (mut len, mut shift, mut i) = (0usize, 0, 22);
    loop {
        let b = bytes[i];
        len |= usize::from(b & 0x7f) << shift;
        shift += 7;
        i += 1;
        if b & 0x80 == 0 {
            break;
        }
    }
    i + len
}

/// `replay` of `bytes`, written to a file: its exit code, stdout, stderr.
fn replay_bytes(dir: &Scratch, bytes: &[u8], extra: &[&str]) -> (i32, String, String) {
    let path = dir.path("bad.rec");
    std::fs::write(&path, bytes).unwrap();
    let mut args = vec!["replay", path.to_str().unwrap()];
    args.extend(extra);
    let out = asyncdemo(&args)
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A recording of `header` (JSON) followed by `records`.
pub(crate) fn crafted(header: &str, records: &[u8]) -> Vec<u8> {
    let mut bytes = b"asyncdemo-recording\n".to_vec();
    bytes.extend(1u16.to_le_bytes());
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

pub(crate) const HEADER: &str = r#"{"command":["asyncdemo","count","-n","3","-d","10ms"],"version":"0.1.0","demo":"count","tasks":3,"runtime":"current-thread","workers":null,"cpus":2,"full_tasks":1000000,"given_delay_secs":0.01}"#;

#[test]
fn a_file_that_is_not_a_recording_is_refused_with_exit_2() {
    let dir = Scratch::new();
    for bytes in [&b""[..], b"hello world\n", b"asyncdemo-record"] {
        let (code, _, err) = replay_bytes(&dir, bytes, &[]);
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("not an asyncdemo recording"), "{err}");
    }
    let missing = asyncdemo(&["replay", "/nonexistent/run.rec"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(String::from_utf8_lossy(&missing.stderr).contains("opening it"));
}

#[test]
fn a_newer_format_version_is_refused_and_says_so() {
    let dir = Scratch::new();
    let (mut bytes, _) = recorded(&dir);
    bytes[20..22].copy_from_slice(&7u16.to_le_bytes());
    let (code, _, err) = replay_bytes(&dir, &bytes, &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("format version 7, newer than"), "{err}");
}

#[test]
fn a_cut_recording_replays_up_to_where_it_ends_with_a_note() {
    let dir = Scratch::new();
    let (bytes, start) = recorded(&dir);
    let whole = replay_bytes(&dir, &bytes, &["-v"]);
    assert_eq!(whole.0, 0, "{}", whole.2);
    assert!(!whole.2.contains("note:"), "{}", whole.2);
    // Cut at every length past the header: never a panic, always exit 0,
    // the note said, and the lines it holds printed.
    for cut in (start..bytes.len()).step_by(23) {
        let (code, out, err) = replay_bytes(&dir, &bytes[..cut], &["-v"]);
        assert_eq!(code, 0, "cut at {cut}: {err}");
        assert!(err.contains("note:"), "cut at {cut}: {err}");
        assert!(out.contains("asyncdemo count"), "cut at {cut}: {out}");
    }
    // Cut soon after the first line's record: that line is replayed, and
    // none that came after the cut.
    let (out, err) = (start..start + 40)
        .map(|cut| replay_bytes(&dir, &bytes[..cut], &["-v"]))
        .find(|(_, out, _)| out.contains("task 1  One"))
        .map(|(_, out, err)| (out, err))
        .expect("task 1's first line within 40 bytes of the header");
    assert!(err.contains("was cut"), "{err}");
    assert!(!out.contains("Two"), "{out}");
}

#[test]
fn malformed_records_are_refused_with_the_byte_they_begin_at() {
    let dir = Scratch::new();
    let cases: &[(&[u8], &str)] = &[
        // An unknown tag.
        (&[0xee], "unknown record (tag 238)"),
        // A line of task 99 in a 3-task run.
        (&[1, 0, 99, 1, 0], "task 99, which the run did not have"),
        // Task 0.
        (&[1, 0, 0, 1, 0], "task 0"),
        // A time before the run's start: zigzag 1 is -1 ns.
        (&[1, 1, 1, 1, 0], "outside the run"),
        // A number of more than 64 bits.
        (
            &[
                1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
            ],
            "larger than 64 bits",
        ),
        // A huge time: 2^62 ns.
        (
            &[
                1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01, 1, 1, 0,
            ],
            "outside the run",
        ),
        // A line's text longer than any line.
        (&[1, 0, 1, 1, 0xff, 0xff, 0x03], "a line's length"),
        // A flag that is not 0 or 1.
        (&[5, 0, 1, 9], "a flag of 9"),
        // A summary that is not JSON.
        (&[19, 3, b'x', b'y', b'z'], "summary is unreadable"),
        // A census whose histogram has a bucket past its last (8000).
        (&[22, 1, 0xc0, 0x3e, 1, 0, 0], "a census out of range"),
        // A histogram whose least value is above its greatest.
        (&[22, 1, 5, 1, 9, 3], "a census out of range"),
        // Nine empty histograms, then a band 1000 ns wide: no power of two.
        (
            &[
                22, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0xe8, 0x07, 0, 0, 0, 0,
            ],
            "a census out of range",
        ),
    ];
    for (records, says) in cases {
        let (code, _, err) = replay_bytes(&dir, &crafted(HEADER, records), &[]);
        assert_eq!(code, 2, "{records:?}: {err}");
        assert!(err.contains(says), "{records:?}: {err}");
        assert!(err.contains("at byte"), "{records:?}: {err}");
    }
}

#[test]
fn a_bad_header_is_refused() {
    let dir = Scratch::new();
    let cases = [
        ("{", "header is unreadable"),
        (
            &HEADER.replace("\"tasks\":3", "\"tasks\":0"),
            "says 0 tasks",
        ),
        (
            &HEADER.replace("\"count\",\"-n\"", "\"serve\",\"-n\""),
            "does not parse here",
        ),
        (
            &HEADER.replace("\"demo\":\"count\"", "\"demo\":\"hello\""),
            "another demo",
        ),
    ];
    for (header, says) in cases {
        let (code, _, err) = replay_bytes(&dir, &crafted(header, &[]), &[]);
        assert_eq!(code, 2, "{header}: {err}");
        assert!(err.contains(says), "{header}: {err}");
    }
}

#[test]
fn a_file_of_several_gigabytes_is_refused_at_once() {
    let dir = Scratch::new();
    let path = dir.path("huge.rec");
    let (bytes, _) = recorded(&dir);
    std::fs::write(&path, &bytes).unwrap();
    // Sparse: the test writes no gigabytes.
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(5 * 1024 * 1024 * 1024).unwrap();
    let out = asyncdemo(&["replay", path.to_str().unwrap()])
        .timeout(std::time::Duration::from_secs(10))
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("larger than any recording"), "{err}");
}

#[test]
fn text_from_a_recording_reaches_the_terminal_escaped() {
    let dir = Scratch::new();
    // Task 1's first line reads "\x1b]0;pwned\x07One".
    let mut records = vec![1, 0, 1, 1];
    let hostile = b"\x1b]0;pwned\x07One";
    records.push(hostile.len() as u8 + 1);
    records.extend(hostile);
    let (code, out, err) = replay_bytes(&dir, &crafted(HEADER, &records), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
    assert!(out.contains("\\u{1b}]0;pwned\\u{7}One"), "{out}");
}

#[test]
fn a_run_past_the_cut_off_says_which_outputs_are_approximate() {
    let dir = Scratch::new();
    let header = HEADER
        .replace("\"-n\",\"3\"", "\"-n\",\"2000000\"")
        .replace("\"tasks\":3", "\"tasks\":2000000");
    let (code, _, err) = replay_bytes(&dir, &crafted(&header, &[20, 0, 0, 0, 0]), &["-q"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("keeps the events of the first 1000000 only"),
        "{err}"
    );
}

#[test]
fn speed_paces_the_replay_and_changes_nothing_it_writes() {
    let dir = Scratch::new();
    let rec = dir.path("r.rec");
    let rec = rec.to_str().unwrap();
    stdout(&["count", "-n", "2", "-d", "100ms", "-q", "--record", rec]);
    let at_once = stdout(&["replay", rec, "-v"]);
    let began = std::time::Instant::now();
    let paced = stdout(&["replay", rec, "-v", "--speed", "0.5"]);
    // The last line came 100 ms into the run: at half speed, 200 ms in.
    assert!(
        began.elapsed() >= std::time::Duration::from_millis(200),
        "{:?}",
        began.elapsed()
    );
    assert_eq!(paced, at_once);
    for bad in ["0", "-1", "fast", "5000"] {
        asyncdemo(&["replay", rec, "--speed", bad]).assert().code(2);
    }
}

#[test]
fn past_the_cut_off_a_replay_still_narrates_the_first_tasks() {
    let dir = Scratch::new();
    let rec = dir.path("r.rec");
    let rec = rec.to_str().unwrap();
    let run = asyncdemo(&["count", "-n", "10001", "-d", "20ms", "-q", "--record", rec])
        .assert()
        .success();
    drop(run);
    let out = asyncdemo(&["replay", rec])
        .assert()
        .success()
        .get_output()
        .clone();
    let (text, err) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert!(
        err.contains("keeps the events of the first 10000 only"),
        "{err}"
    );
    let lines: Vec<&str> = text.lines().collect();
    let pending = lines
        .iter()
        .position(|l| l.contains("task 1's poll returns Pending"))
        .unwrap_or_else(|| panic!("no Pending told: {err}"));
    let ready = lines
        .iter()
        .position(|l| l.contains("task 1's poll returns Ready"))
        .unwrap_or_else(|| panic!("no Ready told"));
    assert!(pending < ready);
    assert_eq!(lines.iter().filter(|l| **l == "One").count(), 10_000);
}

/// A recording's format version (the two bytes after the magic).
fn version_of(path: &str) -> u16 {
    let bytes = std::fs::read(path).unwrap();
    u16::from_le_bytes([bytes[20], bytes[21]])
}

#[test]
fn past_the_cut_off_the_json_distributions_are_the_runs_over_every_task() {
    let dir = Scratch::new();
    let rec = dir.path("j.rec");
    let rec = rec.to_str().unwrap();
    let run = stdout(&[
        "count", "-n", "10100", "-d", "20ms", "-f", "json", "--record", rec,
    ]);
    let out = asyncdemo(&["replay", rec, "-f", "json"])
        .assert()
        .success()
        .get_output()
        .clone();
    let (replayed, err) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    // The run's census of every task, not the 10,000 tasks recorded.
    let json: serde_json::Value = serde_json::from_str(&run).unwrap();
    assert_eq!(
        json["task_states"]["distributions"]["tasks"], 10100,
        "{run}"
    );
    assert_eq!(replayed, run);
    assert!(
        err.contains("distributions are the run's own, over every task"),
        "{err}"
    );
    // The census makes the file format 3; a run without one is written as
    // before, format 1, and its replay says whose distributions it has.
    assert_eq!(version_of(rec), 3);
    stdout(&["count", "-n", "10100", "-d", "0", "-q", "--record", rec]);
    assert_eq!(version_of(rec), 1);
    let out = asyncdemo(&["replay", rec, "-f", "json"]).assert().success();
    let err = String::from_utf8(out.get_output().stderr.clone()).unwrap();
    assert!(
        err.contains("distributions cover those first tasks"),
        "{err}"
    );
}

/// A run recorded for its picture alone (text, `--svg` past the cut-off)
/// keeps both parts of its census all the same, the accounts as well as
/// the band: its replay's JSON has the distributions of every task (each
/// polled twice by `join_all`: to its sleep, then after it), and its
/// replay's picture has the band.
#[test]
fn a_run_recorded_for_its_picture_keeps_every_tasks_account_for_a_json_replay() {
    let dir = Scratch::new();
    let (rec, svg, again) = (dir.path("p.rec"), dir.path("p.svg"), dir.path("r.svg"));
    let (rec, svg, again) = (
        rec.to_str().unwrap(),
        svg.to_str().unwrap(),
        again.to_str().unwrap(),
    );
    stdout(&[
        "count", "-n", "10100", "-d", "20ms", "-q", "--svg", svg, "--record", rec,
    ]);
    assert_eq!(version_of(rec), 3);
    let replayed = stdout(&["replay", rec, "-f", "json"]);
    let json: serde_json::Value = serde_json::from_str(&replayed).unwrap();
    let states = &json["task_states"]["distributions"];
    assert_eq!(states["tasks"], 10100, "{replayed}");
    assert_eq!(states["polls"]["min"], 2, "{replayed}");
    assert_eq!(states["polls"]["max"], 2, "{replayed}");
    let slept = states["sleeping"]["max_secs"].as_f64().unwrap();
    assert!(slept >= 0.02, "{replayed}");
    stdout(&["replay", rec, "-q", "--svg", again]);
    let picture = std::fs::read_to_string(again).unwrap();
    assert!(
        picture.contains("band-wait"),
        "no band in the replay's picture"
    );
}

#[test]
fn past_the_cut_off_ndjson_state_events_are_the_runs() {
    let dir = Scratch::new();
    let rec = dir.path("s.rec");
    let rec = rec.to_str().unwrap();
    let run = stdout(&[
        "count", "-n", "10100", "-d", "20ms", "-f", "ndjson", "--record", rec,
    ]);
    let replayed = stdout(&["replay", rec, "-f", "ndjson"]);
    let (of_run, of_replay) = (states_by_task(&run), states_by_task(&replayed));
    // Every observed task's changes: ready, polled, sleeping, ..., done.
    assert!(of_run.len() > 5 * 10_000, "{}", of_run.len());
    assert!(of_run.iter().any(|l| l.contains("\"task\":10000,")));
    assert!(!of_run.iter().any(|l| l.contains("\"task\":10001,")));
    assert_eq!(of_replay, of_run);
    // The summary, distributions of every task included, is the run's.
    assert_eq!(replayed.lines().last(), run.lines().last());
}

/// The narration's sentences about a queued call, figures and task
/// numbers left out, and what the thread polled meanwhile too: which
/// tasks those were depends on how the two runs' threads were timed.
fn queue_words(narration: &str) -> std::collections::BTreeSet<String> {
    narration
        .lines()
        .filter(|l| l.contains("queue"))
        .map(|l| l.split(", which polled").next().unwrap_or(l))
        .map(|l| l.chars().filter(|c| !c.is_ascii_digit()).collect())
        .collect()
}

#[test]
fn past_the_cut_off_a_queued_pool_call_is_told_in_the_runs_words() {
    let dir = Scratch::new();
    let rec = dir.path("q.rec");
    let rec = rec.to_str().unwrap();
    // Two pool threads: the third task's call waits for one, in both runs
    // (run side by side).
    let way = [
        "count",
        "-n",
        "10001",
        "-d",
        "1ms",
        "-m",
        "spawn-blocking",
        "--blocking-threads",
        "2",
    ];
    let explained = {
        let mut args = way.to_vec();
        args.push("--explain");
        crate::common::binary()
            .args(args)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut recorded = way.to_vec();
    recorded.extend(["-q", "--record", rec]);
    stdout(&recorded);
    let run = explained.wait_with_output().unwrap();
    assert!(run.status.success());
    let run = queue_words(&String::from_utf8(run.stdout).unwrap());
    let replayed = queue_words(&stdout(&["replay", rec, "--explain"]));
    let queued = "no pool thread has begun it yet";
    assert!(run.iter().any(|l| l.contains(queued)), "{run:#?}");
    assert!(replayed.iter().any(|l| l.contains(queued)), "{replayed:#?}");
    // Every sentence the replay says of a queue, the run said too.
    assert!(
        replayed.is_subset(&run),
        "{replayed:#?}\nvs the run's\n{run:#?}"
    );
}

#[test]
fn record_and_another_output_may_not_share_a_file() {
    let dir = Scratch::new();
    let same = dir.path("same");
    let same = same.to_str().unwrap();
    let out = asyncdemo(&[
        "count", "-n", "1", "-d", "0", "--svg", same, "--record", same,
    ])
    .assert()
    .code(2)
    .get_output()
    .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("name the same file"), "{err}");
}

#[cfg(feature = "db")]
#[test]
fn a_query_run_replays_too() {
    let dir = Scratch::new();
    let rec = dir.path("q.rec");
    let rec = rec.to_str().unwrap();
    let run = stdout(&[
        "query", "-n", "3", "-d", "20ms", "-f", "ndjson", "--record", rec,
    ]);
    let replayed = stdout(&["replay", rec, "-f", "ndjson"]);
    assert_eq!(without_states(&replayed), without_states(&run));
    assert_eq!(states_by_task(&replayed), states_by_task(&run));
    assert!(run.contains("query 1 ..."), "{run}");
}

#[test]
fn a_run_stopped_by_a_signal_or_killed_still_replays() {
    use crate::common::{send_signal, spawn_until_first_line, wait_with_limit};
    let dir = Scratch::new();
    // Ctrl-C: the run concludes, and so does its recording.
    let rec = dir.path("int.rec");
    let rec = rec.to_str().unwrap();
    let (mut child, _out, first) =
        spawn_until_first_line(&["count", "-n", "3", "-d", "30s", "--record", rec]);
    assert_eq!(first, "One\n");
    send_signal(&child, "INT");
    wait_with_limit(&mut child, std::time::Duration::from_secs(10));
    let json = stdout(&["replay", rec, "-f", "json"]);
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(json["interrupted"], true, "{json}");
    // SIGKILL: no conclusion; the ordered events written so far replay,
    // with a note.
    let rec = dir.path("kill.rec");
    let rec = rec.to_str().unwrap();
    let (mut child, _out, _) =
        spawn_until_first_line(&["count", "-n", "3", "-d", "30s", "--record", rec]);
    // The runtime thread parks for the 30 s wait, and the recording is
    // flushed as it does: three lines of five bytes past the header.
    crate::common::wait_until("the recording's first lines", || {
        std::fs::read(rec).is_ok_and(|b| b.len() > 24 && b.len() >= header_end(&b) + 15)
    });
    child.kill().unwrap();
    child.wait().unwrap();
    let out = asyncdemo(&["replay", rec, "-v"])
        .assert()
        .success()
        .get_output()
        .clone();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("was cut") && err.contains("no summary"),
        "{err}"
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("task 3  One"), "{text}");
    assert!(!text.contains("Two"), "{text}");
}
