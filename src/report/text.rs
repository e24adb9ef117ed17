//! The text format: for a person at a terminal.

use super::Summary;
use crate::config::Check;
use crate::interrupt::Signal;
use crate::vocab::Demo;
use std::io::{self, Write};
use std::time::Duration;

/// `--verbose` task line: `[ 1.001s] task 1  Two`.
///
/// The time column lets the lesson be read off the numbers: in async mode
/// every `Two` has the same time; in blocking mode they climb.
pub(crate) fn write_verbose_line(
    out: &mut impl Write,
    at: Duration,
    id: u32,
    text: &str,
) -> io::Result<()> {
    writeln!(out, "[{:6.3}s] task {id}  {text}", at.as_secs_f64())
}

/// The last line, exactly as the notes end: `countasync.py executed in 1.01
/// seconds.`, or, after a signal, what had finished by then. Bold when
/// `color` is on (a terminal); the words are the same either way.
pub(crate) fn write_summary(
    out: &mut impl Write,
    summary: &Summary,
    signal: Option<Signal>,
    color: bool,
) -> io::Result<()> {
    let demo = summary.demo.name();
    let secs = summary.elapsed_secs;
    let line = match signal {
        // The lock demo's watchdog ended a deadlocked run: say so, and how
        // far the tasks got, as after a signal.
        None if summary.deadlock.is_some() => format!(
            "asyncdemo {demo} deadlocked after {secs:.2} seconds ({} of {} tasks finished).",
            summary.completed, summary.tasks,
        ),
        None if summary.failed > 0 => format!(
            "asyncdemo {demo} executed in {secs:.2} seconds ({} of {} tasks failed).",
            summary.failed, summary.tasks,
        ),
        None => format!("asyncdemo {demo} executed in {secs:.2} seconds."),
        Some(signal) => format!(
            "asyncdemo {demo} {} after {secs:.2} seconds ({} of {} tasks finished).",
            signal.verb(),
            summary.completed,
            summary.tasks,
        ),
    };
    if color {
        let bold = anstyle::Style::new().bold();
        writeln!(out, "{bold}{line}{bold:#}")
    } else {
        writeln!(out, "{line}")
    }
}

/// The failed tasks of a quiet run, one line each on stderr
/// (`fetch 2: failed: connecting: ...`), and how many more failed than the
/// summary lists. A failed write changes nothing: the summary is out.
pub(crate) fn write_failures(err: &mut impl Write, demo: Demo, summary: &Summary) {
    for failure in &summary.failures {
        let _ = writeln!(
            err,
            "{} {}: failed: {}",
            demo.name(),
            failure.task,
            failure.reason
        );
    }
    let listed = u32::try_from(summary.failures.len()).unwrap_or(u32::MAX);
    let more = summary.failed.saturating_sub(listed);
    if more > 0 {
        let _ = writeln!(err, "... and {more} more failed");
    }
}

/// After Ctrl-C on a terminal, ends the line the terminal echoed `^C` on,
/// so that what follows (the summary, a `--timeline`, the `compare`
/// table) starts at the left margin instead of two columns in. Writes
/// nothing into a pipe or a file, where no `^C` was echoed, and nothing
/// for SIGTERM, which no key echoes.
pub(crate) fn end_the_ctrl_c_line(
    out: &mut impl Write,
    signal: Option<Signal>,
    terminal: bool,
) -> io::Result<()> {
    if terminal && signal == Some(Signal::Interrupt) {
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// The stderr line for a failed check:
/// `check failed: elapsed 3.00 s exceeds --max-elapsed 1.50 s`.
///
/// Both figures have the same number of decimals: at least 2, enough to
/// show the limit as it was given (`--max-elapsed 1500us` reads `0.0015 s`,
/// never `0.00 s`), and as many as it takes for them to differ: a run of
/// 0.1004 s against a limit of 0.1 s reads `0.1004 s exceeds 0.1000 s`,
/// never `0.10 s exceeds 0.1 s`.
pub(crate) fn check_failure(check: Check, elapsed: Duration) -> String {
    let (relation, flag) = match check {
        Check::MaxElapsed(_) => ("exceeds", "--max-elapsed"),
        Check::MinElapsed(_) => ("is below", "--min-elapsed"),
    };
    let limit_decimals = exact_decimals(check.limit()).max(2);
    let (elapsed, limit) = (elapsed.as_secs_f64(), check.limit().as_secs_f64());
    // Durations count nanoseconds, so 9 decimals always tell them apart.
    let decimals = (limit_decimals..=9)
        .find(|&d| format!("{elapsed:.d$}") != format!("{limit:.d$}"))
        .unwrap_or(9);
    format!("check failed: elapsed {elapsed:.decimals$} s {relation} {flag} {limit:.decimals$} s")
}

/// The decimals that show `duration` in seconds exactly: 0 for `2s`, 1 for
/// `1.5s`, 4 for `1500us`, 9 at most (a duration counts nanoseconds).
fn exact_decimals(duration: Duration) -> usize {
    let mut nanos = duration.subsec_nanos();
    if nanos == 0 {
        return 0;
    }
    let mut decimals = 9;
    while nanos % 10 == 0 {
        nanos /= 10;
        decimals -= 1;
    }
    decimals
}

/// The `--slow-poll` warning while the poll still holds the thread:
/// `warning: task 2 (count) has held the runtime thread for 0.100 seconds
/// so far: no other task can run on it (threshold 100ms)`. When the poll
/// is inside `block_in_place` on a worker (`handed_off`), the worker's core
/// moved to another thread first, and the warning says the others go on.
pub(crate) fn slow_poll_ongoing(
    task: u32,
    demo: Demo,
    thread: &str,
    handed_off: bool,
    so_far: Duration,
    threshold: Duration,
) -> String {
    let consequence = if handed_off {
        ", inside block_in_place: the worker's core moved to another thread first, \
         so the other tasks go on there"
    } else {
        " so far: no other task can run on it"
    };
    format!(
        "warning: task {task} ({}) has held {thread} for {:.3} seconds{consequence} \
         (threshold {})",
        demo.name(),
        so_far.as_secs_f64(),
        humantime::format_duration(threshold)
    )
}

/// The `--slow-poll` warning when the poll ends, in asyncio's words
/// (`Executing <Task ...> took 1.002 seconds`) plus what it meant:
/// `warning: Executing task 2 (count) took 1.001 seconds: it held the
/// runtime thread, so no other task could run on it (threshold 100ms)`,
/// or, inside `block_in_place` on a worker (`handed_off`), that the other
/// tasks went on.
pub(crate) fn slow_poll_done(
    task: u32,
    demo: Demo,
    thread: &str,
    handed_off: bool,
    took: Duration,
    threshold: Duration,
) -> String {
    let consequence = if handed_off {
        "inside block_in_place, but the worker's core had moved to another thread \
         first, so the other tasks went on there"
    } else {
        "so no other task could run on it"
    };
    format!(
        "warning: Executing task {task} ({}) took {:.3} seconds: it held {thread}, \
         {consequence} (threshold {})",
        demo.name(),
        took.as_secs_f64(),
        humantime::format_duration(threshold)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{Demo, Phase};

    fn render(f: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        f(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn verbose_lines_align_time_and_task() {
        let at = Duration::from_micros(1_000_700);
        let two = Demo::Count.text(1, Phase::Last);
        let line = render(|o| write_verbose_line(o, at, 1, &two));
        assert_eq!(line, "[ 1.001s] task 1  Two\n");
        let hello = Demo::Hello.text(12, Phase::First);
        let line = render(|o| write_verbose_line(o, Duration::ZERO, 12, &hello));
        assert_eq!(line, "[ 0.000s] task 12  Hello ...\n");
    }

    #[test]
    fn slow_poll_warnings_read_like_asyncios() {
        let ms = Duration::from_millis;
        assert_eq!(
            slow_poll_done(
                2,
                Demo::Count,
                "the runtime thread",
                false,
                ms(1001),
                ms(100)
            ),
            "warning: Executing task 2 (count) took 1.001 seconds: it held the runtime \
             thread, so no other task could run on it (threshold 100ms)"
        );
        assert_eq!(
            slow_poll_ongoing(3, Demo::Fetch, "its worker thread", false, ms(120), ms(100)),
            "warning: task 3 (fetch) has held its worker thread for 0.120 seconds so far: \
             no other task can run on it (threshold 100ms)"
        );
        // Inside block_in_place on a worker, the core moved first.
        assert_eq!(
            slow_poll_ongoing(1, Demo::Count, "its thread", true, ms(120), ms(100)),
            "warning: task 1 (count) has held its thread for 0.120 seconds, inside \
             block_in_place: the worker's core moved to another thread first, so the \
             other tasks go on there (threshold 100ms)"
        );
        assert_eq!(
            slow_poll_done(1, Demo::Count, "its thread", true, ms(1001), ms(100)),
            "warning: Executing task 1 (count) took 1.001 seconds: it held its thread, \
             inside block_in_place, but the worker's core had moved to another thread \
             first, so the other tasks went on there (threshold 100ms)"
        );
    }

    #[test]
    fn check_failures_name_the_flag_and_both_figures() {
        let max = Check::MaxElapsed(Duration::from_millis(1500));
        assert_eq!(
            check_failure(max, Duration::from_millis(3004)),
            "check failed: elapsed 3.00 s exceeds --max-elapsed 1.50 s"
        );
        let min = Check::MinElapsed(Duration::from_secs(2));
        assert_eq!(
            check_failure(min, Duration::from_millis(1000)),
            "check failed: elapsed 1.00 s is below --min-elapsed 2.00 s"
        );
    }

    /// A limit below a hundredth of a second keeps its digits: the figure
    /// the user typed, not `0.00 s`.
    #[test]
    fn check_failures_show_a_small_limit_as_it_was_given() {
        let max = Check::MaxElapsed(Duration::from_micros(1500));
        assert_eq!(
            check_failure(max, Duration::from_millis(12)),
            "check failed: elapsed 0.0120 s exceeds --max-elapsed 0.0015 s"
        );
        let max = Check::MaxElapsed(Duration::from_nanos(250));
        assert_eq!(
            check_failure(max, Duration::from_micros(3)),
            "check failed: elapsed 0.00000300 s exceeds --max-elapsed 0.00000025 s"
        );
        let min = Check::MinElapsed(Duration::from_millis(2500));
        assert_eq!(
            check_failure(min, Duration::from_millis(1200)),
            "check failed: elapsed 1.20 s is below --min-elapsed 2.50 s"
        );
        assert_eq!(exact_decimals(Duration::from_secs(2)), 0);
        assert_eq!(exact_decimals(Duration::from_millis(1500)), 1);
        assert_eq!(exact_decimals(Duration::from_micros(1500)), 4);
        assert_eq!(exact_decimals(Duration::from_nanos(1)), 9);
    }

    #[test]
    fn check_failures_show_as_many_decimals_as_it_takes_to_differ() {
        let max = Check::MaxElapsed(Duration::from_millis(100));
        assert_eq!(
            check_failure(max, Duration::from_micros(100_400)),
            "check failed: elapsed 0.1004 s exceeds --max-elapsed 0.1000 s"
        );
        assert_eq!(
            check_failure(max, Duration::from_nanos(100_000_001)),
            "check failed: elapsed 0.100000001 s exceeds --max-elapsed 0.100000000 s"
        );
    }
}
