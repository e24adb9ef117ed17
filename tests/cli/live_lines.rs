//! The task lines reach a pipe as they happen, not at the end of the run,
//! in every mode, on every runtime, joined or spawned.
//!
//! A line is in the pipe "as it happens" if it is there while the tasks
//! still wait. So each run waits long, the test reads the first line, and
//! interrupts the run at once: the run must then end as an interrupted run
//! in which no task had finished. Had the line been held back until the
//! waits were over (as it once was on a multi-thread runtime), the read
//! would return only after the run had ended on its own, and the signal
//! would find a finished run (exit 0, every task done).

use crate::common::*;
use std::time::Duration;

#[test]
fn the_first_line_reaches_a_pipe_while_the_tasks_still_wait() {
    for way in every_way() {
        // Long enough that no machine finishes a task between the first
        // line and the signal; a run that held its lines back fails after
        // this delay instead of hanging.
        let mut args = vec!["count", "-n", "2", "-d", "10s"];
        args.extend_from_slice(&way);
        let (mut child, stdout, first) = spawn_until_first_line(&args);
        assert_eq!(first, "One\n", "{way:?}");
        send_signal(&child, "INT");
        // Generous: catches a hang, not a slow machine.
        let status = wait_with_limit(&mut child, Duration::from_secs(30));
        let rest = rest(stdout);
        assert_eq!(status.code(), Some(130), "{way:?}: {first}{rest}");
        assert!(!rest.contains("Two"), "{way:?}: {rest:?}");
        let last = rest.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("asyncdemo count interrupted after ")
                && last.ends_with(" seconds (0 of 2 tasks finished)."),
            "{way:?}: {rest:?}"
        );
    }
}
