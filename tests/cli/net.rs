//! Black-box tests of `fetch` and `serve`, on loopback only. Every server a
//! test starts, the test also stops.

use crate::common::*;
use predicates::prelude::*;
use serde_json::Value;
use std::io::{BufRead, Read};
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

/// `asyncdemo serve`, started in the test; returns it and its address.
fn start_server(
    delay: &str,
) -> (
    std::process::Child,
    std::io::BufReader<std::process::ChildStdout>,
    SocketAddr,
) {
    let (child, stdout, first) = spawn_until_first_line(&["serve", "--delay", delay]);
    let addr = first
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .parse()
        .unwrap();
    (child, stdout, addr)
}

/// A loopback server of the test's own that accepts and then misbehaves.
fn misbehaving_server(answer: fn(std::net::TcpStream)) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || answer(stream));
        }
    });
    addr
}

#[test]
fn async_fetches_overlap_and_blocking_ones_add_up() {
    let nonblocking = json_summary(&["fetch", "-n", "3", "--delay", "100ms"]);
    assert_eq!(nonblocking["demo"], "fetch");
    assert!(elapsed(&nonblocking) >= 0.1, "{nonblocking}");
    assert_eq!(nonblocking["completed"], 3);
    assert!(waits_overlap(&["fetch", "-n", "3", "--delay", "100ms"]));

    let blocking = json_summary(&["fetch", "-n", "3", "--delay", "100ms", "--blocking"]);
    assert!(elapsed(&blocking) >= 0.3, "{blocking}");
    assert!(!waits_overlap(&[
        "fetch",
        "-n",
        "3",
        "--delay",
        "100ms",
        "--blocking"
    ]));
    // The observed delay is the server's, at least what it was told.
    assert!(blocking["delay_secs"].as_f64().unwrap() >= 0.1);
}

#[test]
fn fetch_prints_a_line_before_and_after_each_request() {
    asyncdemo(&["fetch", "-n", "2", "--delay", "10ms", "--blocking"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with(
            "fetch 1 ...\n... fetch 1: got reply\nfetch 2 ...\n... fetch 2: got reply\nasyncdemo fetch executed in ",
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
fn fetch_uses_a_separately_started_server_and_serve_stops_cleanly() {
    let (mut server, mut stdout, addr) = start_server("150ms");
    let addr = addr.to_string();
    // fetch's own --delay does not apply to an external server.
    let s = json_summary(&[
        "fetch",
        "-n",
        "3",
        "--server",
        &addr,
        "--delay",
        "5s",
        "--blocking",
    ]);
    assert!(elapsed(&s) >= 0.45, "{s}");
    let observed = s["delay_secs"].as_f64().unwrap();
    assert!((0.15..2.0).contains(&observed), "observed delay {observed}");
    assert!(waits_overlap(&["fetch", "-n", "3", "--server", &addr]));

    send_signal(&server, "INT");
    let status = wait_with_limit(&mut server, Duration::from_secs(10));
    assert_eq!(status.code(), Some(130));
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "served 6 requests\n");
}

#[test]
fn serve_speaks_the_documented_line_protocol_and_exits_143_on_sigterm() {
    use std::io::Write;
    let (mut server, mut stdout, addr) = start_server("10ms");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream.write_all(b"hello there\n").unwrap();
    let mut reply = String::new();
    std::io::BufReader::new(&stream)
        .read_line(&mut reply)
        .unwrap();
    assert_eq!(reply, "done hello there\n");
    send_signal(&server, "TERM");
    assert_eq!(
        wait_with_limit(&mut server, Duration::from_secs(10)).code(),
        Some(143)
    );
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "served 1 requests\n");
}

#[test]
fn serve_refuses_an_address_it_cannot_bind() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    asyncdemo(&["serve", "--addr", &addr])
        .assert()
        .code(2)
        .stderr(predicate::str::starts_with(format!(
            "error: listening on {addr}: "
        )));
}

#[test]
fn a_refused_connection_is_a_clear_error() {
    // A port that was free a moment ago and has nobody listening.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    for mode in ["async", "blocking"] {
        asyncdemo(&["fetch", "--server", &addr, "-m", mode])
            .assert()
            .code(2)
            .stderr(predicate::str::starts_with(format!(
                "error: fetch 1 from {addr}: connecting: Connection refused"
            )))
            .stderr(predicate::str::contains("panicked").not());
    }
}

#[test]
fn a_server_that_closes_early_is_a_clear_error() {
    let addr = misbehaving_server(|mut stream| {
        let _ = stream.read(&mut [0; 64]);
        // ... and close without a reply.
    })
    .to_string();
    for mode in ["async", "blocking"] {
        asyncdemo(&["fetch", "-n", "2", "--server", &addr, "-m", mode])
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "the server closed the connection before replying",
            ));
    }
}

#[test]
fn a_silent_server_times_out() {
    let addr = misbehaving_server(|stream| {
        // Hold the connection open and never answer.
        std::thread::sleep(Duration::from_secs(30));
        drop(stream);
    })
    .to_string();
    for mode in ["async", "blocking"] {
        asyncdemo(&["fetch", "--server", &addr, "--timeout", "200ms", "-m", mode])
            .timeout(Duration::from_secs(20))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "no reply within 200ms (--timeout)",
            ));
    }
}

#[test]
fn compare_fetch_runs_every_way_against_real_sockets() {
    let out = stdout_of(&["compare", "fetch", "-n", "3", "-d", "100ms", "-f", "json"]);
    let runs: Vec<Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(runs.len(), 6);
    assert!(
        runs.iter()
            .all(|r| r["demo"] == "fetch" && r["completed"] == 3)
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
