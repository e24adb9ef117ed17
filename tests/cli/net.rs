//! Black-box tests of `fetch` and `serve` over HTTP, on loopback only:
//! against the built-in server, `asyncdemo serve`, a server nobody here
//! wrote (`python3 -m http.server`, when python3 is present), and small
//! misbehaving servers of the tests' own. Every server a test starts, the
//! test also stops.

use crate::common::*;
use predicates::prelude::*;
use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process that is killed when the test ends, pass or fail.
pub(crate) struct Running(pub(crate) Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `asyncdemo serve ARGS`, started in the test; returns it, its stdout and
/// its URL (from its first line, `listening on http://127.0.0.1:PORT/`).
pub(crate) fn start_server(args: &[&str]) -> (Running, BufReader<ChildStdout>, String) {
    let mut all = vec!["serve"];
    all.extend_from_slice(args);
    let (child, stdout, first) = spawn_until_first_line(&all);
    let child = Running(child);
    let url = first
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_owned();
    assert!(url.starts_with("http://") && url.ends_with('/'), "{url}");
    (child, stdout, url)
}

/// The `host:port` part of a URL.
pub(crate) fn authority(url: &str) -> &str {
    url.trim_start_matches("http://").trim_end_matches('/')
}

/// Sends one raw HTTP/1.1 request and reads the whole reply.
fn raw_request(addr: &str, target: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    reply
}

/// A loopback server of the test's own that accepts and then misbehaves.
/// It lives as long as the test process; it holds no child process.
pub(crate) fn misbehaving_server(answer: fn(TcpStream)) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream));
        }
    });
    format!("http://{addr}/")
}

/// Reads the request head, so the client is past sending it.
pub(crate) fn read_head(stream: &TcpStream) {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
        if line == "\r\n" {
            break;
        }
        line.clear();
    }
}

#[test]
fn async_fetches_overlap_and_blocking_ones_add_up() {
    let nonblocking = json_summary(&["fetch", "-n", "3", "--delay", "100ms"]);
    assert_eq!(nonblocking["demo"], "fetch");
    assert!(elapsed(&nonblocking) >= 0.1, "{nonblocking}");
    assert_eq!(nonblocking["completed"], 3);
    assert_eq!(nonblocking["failed"], 0);
    assert!(waits_overlap(&["fetch", "-n", "3", "--delay", "100ms"]));

    let in_turn = ["fetch", "-n", "3", "--delay", "100ms", "--blocking"];
    let blocking = json_summary(&in_turn);
    assert!(elapsed(&blocking) >= 0.3, "{blocking}");
    assert!(!waits_overlap(&in_turn));
    // The observed delay is the server's, at least what it was told.
    assert!(blocking["delay_secs"].as_f64().unwrap() >= 0.1);
}

#[test]
fn fetch_prints_each_replys_status() {
    asyncdemo(&["fetch", "-n", "2", "--delay", "10ms", "--blocking"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "fetch 1 ...\n... fetch 1: 200 OK\nfetch 2 ...\n... fetch 2: 200 OK\nasyncdemo fetch executed in ",
        ));
}

#[test]
fn every_mode_fetches_from_the_built_in_server() {
    // Four requests in turn take at least 4 × 100 ms; each other way must
    // beat the same requests made in turn in this test.
    let in_turn = json_summary(&["fetch", "-n", "4", "-d", "100ms", "--blocking"]);
    assert!(elapsed(&in_turn) >= 0.4, "{in_turn}");
    for mode in ["threads", "spawn-blocking"] {
        let s = json_summary(&["fetch", "-n", "4", "-d", "100ms", "-m", mode]);
        assert_eq!(s["completed"], 4, "{mode}");
        assert!(elapsed(&s) >= 0.1, "{mode}: {s}");
        assert!(elapsed(&s) < elapsed(&in_turn), "{mode}: {s}");
    }
    let s = json_summary(&[
        "fetch",
        "-n",
        "4",
        "-d",
        "100ms",
        "--blocking",
        "--workers",
        "2",
        "--spawn",
    ]);
    assert!(elapsed(&s) >= 0.2, "{s}");
}

#[test]
fn fetch_uses_serve_by_host_name_and_serve_stops_cleanly() {
    let (mut server, mut stdout, url) = start_server(&["--addr", "localhost:0", "-d", "150ms"]);
    // A host name, not only an address: `localhost` resolves.
    let port = url.rsplit(':').next().unwrap().trim_end_matches('/');
    let by_name = format!("http://localhost:{port}/");
    // fetch's own --delay does not apply to an external server.
    let s = json_summary(&[
        "fetch",
        "-n",
        "3",
        "--url",
        &by_name,
        "--delay",
        "5s",
        "--blocking",
    ]);
    assert!(elapsed(&s) >= 0.45, "{s}");
    let observed = s["delay_secs"].as_f64().unwrap();
    assert!((0.15..2.0).contains(&observed), "observed delay {observed}");
    assert!(waits_overlap(&["fetch", "-n", "3", "--url", &by_name]));

    send_signal(&server.0, "INT");
    let status = wait_with_limit(&mut server.0, Duration::from_secs(10));
    assert_eq!(status.code(), Some(130));
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "served 6 requests\n");
}

#[test]
fn serve_speaks_http_and_exits_143_on_sigterm() {
    let (mut server, mut stdout, url) = start_server(&["-d", "10ms", "--max-delay", "1s"]);
    let addr = authority(&url);
    let reply = raw_request(addr, "/");
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(reply.ends_with("\r\n\r\ndone after 10ms\n"), "{reply}");
    // A request may ask for its own delay, within --max-delay.
    let reply = raw_request(addr, "/?delay=30ms");
    assert!(reply.ends_with("\r\n\r\ndone after 30ms\n"), "{reply}");
    let reply = raw_request(addr, "/?delay=2s");
    assert!(reply.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{reply}");
    assert!(reply.ends_with("over this server's limit of 1s (--max-delay)\n"));
    let reply = raw_request(addr, "/nope");
    assert!(reply.starts_with("HTTP/1.1 404 Not Found\r\n"), "{reply}");
    send_signal(&server.0, "TERM");
    assert_eq!(
        wait_with_limit(&mut server.0, Duration::from_secs(10)).code(),
        Some(143)
    );
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    // The two finished waits, and the two requests refused with an error.
    assert_eq!(rest, "served 2 requests (2 more answered with an error)\n");
}

/// Sends a request and returns the connection, its reply still to come.
fn request_in_flight(addr: &str, target: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    stream
}

/// Ctrl-C while a request waits: the server stops accepting, the request
/// gets its reply, and the summary counts it, in the singular.
#[test]
fn serve_finishes_a_request_in_flight_at_ctrl_c() {
    let (mut server, mut stdout, url) = start_server(&["-d", "800ms", "-q"]);
    let addr = authority(&url).to_owned();
    let mut stream = request_in_flight(&addr, "/");
    // Long enough for the server to read a request sent on loopback; the
    // reply is due 800 ms after that.
    std::thread::sleep(Duration::from_millis(300));
    send_signal(&server.0, "INT");
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply:?}");
    assert!(reply.ends_with("done after 800ms\n"), "{reply:?}");
    let status = wait_with_limit(&mut server.0, Duration::from_secs(10));
    assert_eq!(status.code(), Some(130));
    assert_eq!(rest(&mut stdout), "served 1 request\n");
}

/// A request that would outlast the grace period is cut off, and said to
/// be: the server still stops within the grace period.
#[test]
fn serve_says_how_many_requests_ctrl_c_cut_off() {
    let (mut server, mut stdout, url) = start_server(&["-d", "1h", "--max-delay", "1h", "-q"]);
    let addr = authority(&url).to_owned();
    let mut stream = request_in_flight(&addr, "/");
    std::thread::sleep(Duration::from_millis(300));
    send_signal(&server.0, "INT");
    let status = wait_with_limit(&mut server.0, Duration::from_secs(10));
    assert_eq!(status.code(), Some(130));
    assert_eq!(
        rest(&mut stdout),
        "served 0 requests; 1 request cut off, still waiting after 2s of grace\n"
    );
    // While it waited, stderr said why.
    let stderr = rest(server.0.stderr.take().unwrap());
    assert!(
        stderr.contains("serve: stopping; 1 request in flight gets up to 2s to finish"),
        "{stderr}"
    );
    // The client learns at once: its connection closed without a reply.
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    assert_eq!(reply, "");
}

#[test]
fn serve_refuses_what_it_cannot_do() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    asyncdemo(&["serve", "--addr", &addr])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(format!(
            "error: listening on {addr}: "
        )));
    asyncdemo(&["serve", "--addr", "no-such-host.invalid:0"])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(
            "error: resolving \"no-such-host.invalid:0\"",
        ));
    asyncdemo(&["serve", "--delay", "2m"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "--delay 2m is over --max-delay 1m",
        ));
    asyncdemo(&["serve", "--client-timeout", "0"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("must be longer than 0"));
}

#[test]
fn fetch_takes_http_urls_only() {
    for (url, why) in [
        ("https://example.com/", "https needs TLS"),
        ("127.0.0.1:8000", "expected an http:// URL"),
        ("http:///", "the URL has no host"),
    ] {
        asyncdemo(&["fetch", "--url", url])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(why));
    }
}

/// A task that fails prints why instead of its last line, the others go
/// on, and the run exits 1 with the failures counted.
#[test]
fn a_404_fails_its_task_with_the_status_and_the_servers_words() {
    let (_server, _stdout, url) = start_server(&["-d", "10ms"]);
    let missing = format!("{url}nope");
    for mode in ["async", "blocking", "threads", "spawn-blocking"] {
        asyncdemo(&["fetch", "-n", "2", "--url", &missing, "-m", mode])
            .assert()
            .code(1)
            .stdout(predicate::str::contains(
                "... fetch 2: failed: HTTP 404 Not Found: no such path /nope: try GET /\n",
            ))
            .stdout(predicate::str::ends_with(
                " seconds (2 of 2 tasks failed).\n",
            ));
        let run = run_json::<Value>(&[
            "fetch", "-n", "2", "--url", &missing, "-m", mode, "-f", "json",
        ]);
        assert_eq!(run.code, 1, "{}", run.stderr);
        let s = run.summary;
        assert_eq!(
            (s["completed"].as_u64(), s["failed"].as_u64()),
            (Some(0), Some(2))
        );
        assert_eq!(s["passed"], false);
    }
}

#[test]
fn a_refused_connection_fails_each_task_clearly() {
    // A port that was free a moment ago and has nobody listening.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let url = format!("http://{addr}/");
    for mode in ["async", "blocking"] {
        asyncdemo(&["fetch", "-n", "2", "--url", &url, "-m", mode])
            .assert()
            .code(1)
            .stdout(predicate::str::contains(
                "... fetch 1: failed: connecting: Connection refused",
            ))
            .stdout(predicate::str::contains("... fetch 2: failed: "))
            .stderr(predicate::str::contains("panicked").not());
    }
}

#[test]
fn a_reply_that_is_not_http_fails_with_a_reason() {
    let url = misbehaving_server(|mut stream| {
        read_head(&stream);
        let _ = stream.write_all(b"done fetch 1\n");
    });
    for mode in ["async", "blocking"] {
        asyncdemo(&["fetch", "-n", "2", "--url", &url, "-m", mode])
            .timeout(Duration::from_secs(20))
            .assert()
            .code(1)
            .stdout(predicate::str::contains("... fetch 1: failed: bad reply: "))
            .stdout(predicate::str::contains("... fetch 2: failed: bad reply: "));
    }
    let url = misbehaving_server(|stream| {
        read_head(&stream);
        // ... and close without a reply.
    });
    for mode in ["async", "blocking"] {
        asyncdemo(&["fetch", "--url", &url, "-m", mode])
            .timeout(Duration::from_secs(20))
            .assert()
            .code(1)
            .stdout(predicate::str::contains("... fetch 1: failed: "));
    }
}

#[test]
fn a_silent_server_times_each_task_out() {
    let url = misbehaving_server(|stream| {
        // Hold the connection open and never answer.
        std::thread::sleep(Duration::from_secs(30));
        drop(stream);
    });
    for mode in ["async", "blocking"] {
        asyncdemo(&["fetch", "--url", &url, "--timeout", "200ms", "-m", mode])
            .timeout(Duration::from_secs(20))
            .assert()
            .code(1)
            .stdout(predicate::str::contains(
                "... fetch 1: failed: no reply within 200ms (--timeout)\n",
            ));
    }
}

/// A failed task's line is an NDJSON event like any other, and the summary
/// counts it.
#[test]
fn ndjson_shows_a_failed_task() {
    let (_server, _stdout, url) = start_server(&["-d", "10ms"]);
    let missing = format!("{url}missing");
    let output = asyncdemo(&["fetch", "-n", "1", "--url", &missing, "-f", "ndjson"])
        .assert()
        .code(1)
        .get_output()
        .stdout
        .clone();
    let lines: Vec<Value> = String::from_utf8(output)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["type"] != "state")
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["text"], "fetch 1 ...");
    assert_eq!(
        lines[1]["text"],
        "... fetch 1: failed: HTTP 404 Not Found: no such path /missing: try GET /"
    );
    assert_eq!(lines[2]["type"], "summary");
    assert_eq!(lines[2]["failed"], 1);
}

/// Python's own HTTP server, in a scratch directory, on a free port; `None`
/// (with a message) when python3 is not installed.
fn python_server() -> Option<(Running, String, tempfile::TempDir)> {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("hello.txt"), "hello\n").unwrap();
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("python3")
        .args([
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            &port.to_string(),
        ])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let Ok(child) = child else {
        eprintln!("skipped: python3 is not installed, so there is no http.server to test against");
        return None;
    };
    let child = Running(child);
    // Wait until it listens.
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "python3 -m http.server did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    Some((child, format!("http://127.0.0.1:{port}/"), dir))
}

#[test]
fn fetch_works_against_pythons_http_server() {
    let Some((_server, url, _dir)) = python_server() else {
        return;
    };
    let file = format!("{url}hello.txt");
    for mode in ["async", "blocking", "spawn-blocking", "threads"] {
        asyncdemo(&["fetch", "-n", "3", "--url", &file, "-m", mode])
            .assert()
            .success()
            .stdout(predicate::str::contains("... fetch 3: 200 OK\n"));
    }
    let missing = format!("{url}missing.txt");
    for mode in ["async", "blocking"] {
        asyncdemo(&["fetch", "-n", "2", "--url", &missing, "-m", mode])
            .assert()
            .code(1)
            .stdout(predicate::str::contains(
                "... fetch 1: failed: HTTP 404 Not Found\n",
            ));
    }
}

#[test]
fn compare_fetch_runs_every_way_against_real_sockets() {
    let out = stdout_of(&["compare", "fetch", "-n", "3", "-d", "100ms", "-f", "json"]);
    let runs: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(runs.len(), 8);
    assert!(
        runs.iter()
            .all(|r| r["demo"] == "fetch" && r["completed"] == 3 && r["failed"] == 0)
    );
    assert!(elapsed(&runs[1]) >= 0.3 && elapsed(&runs[0]) < 0.75 * elapsed(&runs[1]));
}

#[test]
fn fetch_draws_a_timeline() {
    asyncdemo(&[
        "fetch",
        "-n",
        "2",
        "-d",
        "50ms",
        "--blocking",
        "--timeline",
        "-q",
    ])
    .assert()
    .success()
    .stdout(predicate::str::contains("task 2 "))
    .stdout(predicate::str::contains("# blocked in std::thread::sleep").not());
}

/// Runs `asyncdemo ARGS` under `ulimit -n LIMIT` (through sh).
pub(crate) fn under_fd_limit(limit: u32, args: &str) -> Command {
    let mut command = Command::new("sh");
    command.args([
        "-c",
        &format!(
            "ulimit -n {limit} && exec '{}' {args}",
            env!("CARGO_BIN_EXE_asyncdemo")
        ),
    ]);
    command
}

/// With the built-in server under a tight descriptor limit, fetch stops at
/// once with an error that names the limit, instead of waiting out its
/// timeout. "At once" without a clock: the timeout is an hour, and a run
/// that outlives a minute fails the test.
#[test]
fn fetch_reports_running_out_of_descriptors_at_once() {
    for (limit, mode) in [(30, "async"), (13, "blocking"), (30, "threads")] {
        let command = under_fd_limit(
            limit,
            &format!("fetch -n 40 -d 50ms --timeout 1h -q -m {mode}"),
        );
        let output = assert_cmd::Command::from_std(command)
            .timeout(Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{mode}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "ran out of file descriptors (ulimit -n is {limit})"
            )),
            "{mode}: {stderr}"
        );
        assert!(
            stderr.contains("raise the limit with `ulimit -n`"),
            "{stderr}"
        );
    }
}
