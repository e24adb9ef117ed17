//! Numbers as a reader wants them: a small `--max-elapsed` shown with the
//! digits it was given, and trace timestamps without float noise.

use crate::common::asyncdemo;

#[test]
fn a_failed_check_shows_a_small_limit_as_it_was_given() {
    let output = asyncdemo(&[
        "count",
        "-n",
        "2",
        "-d",
        "10ms",
        "-q",
        "--max-elapsed",
        "1500us",
    ])
    .assert()
    .code(1)
    .get_output()
    .clone();
    let stderr = String::from_utf8(output.stderr).unwrap();
    let line = stderr
        .lines()
        .find(|l| l.starts_with("check failed:"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(line.ends_with("exceeds --max-elapsed 0.0015 s"), "{line}");
    assert!(!line.contains(" 0.00 s"), "{line}");
    // The elapsed figure has as many decimals, so the two line up.
    let elapsed = line
        .strip_prefix("check failed: elapsed ")
        .and_then(|rest| rest.split(' ').next())
        .unwrap();
    assert_eq!(elapsed.split('.').nth(1).map(str::len), Some(4), "{line}");
}

#[test]
fn trace_timestamps_are_microseconds_with_at_most_three_decimals() {
    let output = asyncdemo(&["count", "-n", "20", "-d", "3ms", "-q", "--trace", "-"])
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(output).unwrap();
    // Read as JSON first: the file is whole and valid.
    let trace: serde_json::Value = serde_json::from_str(&text).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let stamped = events.iter().filter(|e| e.get("ts").is_some()).count();
    assert!(stamped >= 40, "{stamped} timestamps");
    // Then as text, since a parser hides how a number was written.
    let mut seen = 0;
    for piece in text.split("\"ts\":").skip(1) {
        let number: String = piece
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == 'e' || *c == '-')
            .collect();
        let decimals = number.split_once('.').map_or(0, |(_, d)| d.len());
        assert!(decimals <= 3 && !number.contains('e'), "ts {number}");
        seen += 1;
    }
    assert_eq!(seen, stamped);
}
