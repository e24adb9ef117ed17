//! Every option that takes a duration takes at most a thousand years: past
//! that, clock arithmetic (`Instant + Duration`) would overflow and panic,
//! so the longest durations humantime parses are refused as usage errors.

use crate::common::*;

/// The longest duration humantime parses that still panicked: 3e11 years
/// is about 9.5e18 s, past what `Instant` can add.
const HUGE: &str = "300000000000years";

#[test]
fn a_duration_past_a_thousand_years_is_a_usage_error_in_every_option() {
    let mut cases: Vec<Vec<&str>> = vec![
        vec!["count", "--delay", HUGE],
        vec!["count", "--max-elapsed", HUGE],
        vec!["count", "--min-elapsed", HUGE],
        vec!["lock", "--delay", HUGE],
        vec!["compare", "count", "--delay", HUGE],
        vec!["compare", "count", "--python", "--python-deadline", HUGE],
        vec!["count", "--delay", "1001years"],
    ];
    let slow_poll = format!("--slow-poll={HUGE}");
    cases.push(vec!["count", &slow_poll]);
    if cfg!(feature = "http") {
        cases.extend([
            vec!["fetch", "--timeout", HUGE],
            vec!["serve", "--delay", HUGE],
            vec!["serve", "--max-delay", HUGE],
            vec!["serve", "--client-timeout", HUGE],
        ]);
    }
    for args in &cases {
        let output = asyncdemo(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("at most 1000years"), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_thousand_years_is_still_a_duration() {
    // The run starts (its first line is out: the timers took the delay)
    // and Ctrl-C ends it as any long wait.
    let (mut child, _stdout, first) =
        spawn_until_first_line(&["count", "-n", "2", "-d", "1000years"]);
    assert_eq!(first, "One\n");
    send_signal(&child, "INT");
    let status = wait_with_limit(&mut child, std::time::Duration::from_secs(10));
    assert_eq!(status.code(), Some(130));
}
