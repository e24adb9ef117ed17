//! The `compare` table: one row per way of running the same demo.

use super::Summary;
use crate::vocab::{Event, Language, Park, Term};
use std::io::{self, Write};

/// One row of the table: a way's summary, why it behaves as it does, and
/// what its run recorded for `--svg` (empty without it).
#[derive(Clone, Debug)]
pub(crate) struct Row {
    /// The way's run, summarised.
    pub(crate) summary: Summary,
    /// Why it behaves as it does, in plain words.
    pub(crate) why: String,
    /// The run's task lines, for the picture.
    pub(crate) events: Vec<Event>,
    /// Its runtime threads' parks and wake-ups, for the picture.
    pub(crate) parks: Vec<Park>,
}

pub(crate) use super::format::runtime_label;

/// What the progress line says before a way runs: `blocking on
/// multi-thread ×2, spawned`.
pub(crate) fn describe(summary: &Summary) -> String {
    if let Some(lock) = summary.lock {
        return format!("{} on {}", lock.type_name(), runtime_label(summary));
    }
    match summary.runtime {
        Some(_) => format!("{} on {}", summary.mode.name(), runtime_label(summary)),
        None => format!("{} ({} OS threads)", summary.mode.name(), summary.tasks),
    }
}

/// The verdict: what the measurement says, then why.
///
/// The measurement is read as *rounds of waiting*: elapsed ÷ delay, rounded.
/// One round means every wait overlapped; N rounds, one after another; in
/// between, about N ÷ rounds at a time (3 tasks on 2 workers: 2 rounds, 2 at
/// a time). Rounds shrug off a noisy machine better than raw ratios do, and
/// the rounding leans down (0.3 of a round) because noise only ever makes a
/// run slower: a 2-round run stretched to 2.7 delays still reads as 2.
///
/// `overhead` is what running the tasks costs besides their waits (see
/// [`overhead`]). When it reaches half a delay, a round count is no longer
/// a fact: the verdict stands only if reading the run with and without that
/// cost gives the same answer (17,000 blocking tasks are one after another
/// either way). Otherwise the delay is too short to tell, and the verdict
/// says so rather than invent a concurrency figure.
///
/// When the run timed its polls (`compare` always does), the verdict ends
/// with the longest one, the figure that says *why*: about 0.000 s for
/// tasks that await, the whole delay for tasks that block their thread.
pub(crate) fn verdict(summary: &Summary, why: &str, overhead: f64) -> String {
    let verdict = reading(summary, why, overhead);
    match summary.longest_poll_secs {
        Some(secs) => format!("{verdict} (longest poll {secs:.3} s)"),
        None => verdict,
    }
}

/// The verdict without the longest poll.
fn reading(summary: &Summary, why: &str, overhead: f64) -> String {
    let tasks = u64::from(summary.tasks);
    if summary.interrupted {
        return format!(
            "interrupted: {} of {tasks} tasks had finished",
            summary.completed
        );
    }
    if summary.deadlock.is_some() {
        return format!("deadlocked: {why}");
    }
    if let Some(error) = &summary.error {
        return format!("run failed: {error}");
    }
    if u64::from(summary.completed) < tasks {
        return format!(
            "run failed: {} of {tasks} tasks finished",
            summary.completed
        );
    }
    if summary.delay_secs == 0.0 {
        return format!("no wait to overlap (delay 0): {why}");
    }
    let reading = |elapsed: f64| {
        let rounds = (elapsed / summary.delay_secs - 0.3).round().max(1.0) as u64;
        match rounds {
            1 if tasks > 1 => "all waits overlap".to_owned(),
            1 => "a single task".to_owned(),
            r if r >= tasks => "one after another".to_owned(),
            r => format!("{} at a time", tasks.div_ceil(r)),
        }
    };
    let measured = reading(summary.elapsed_secs);
    if overhead * 2.0 >= summary.delay_secs
        && reading((summary.elapsed_secs - overhead).max(0.0)) != measured
    {
        return format!("delay too short to tell: {why}");
    }
    format!("{measured}: {why}")
}

/// What running the tasks costs besides their waits, in seconds, as the
/// table measured it: the quickest finished way's time beyond one delay.
///
/// No way can finish in less than one delay, so whatever the quickest took
/// beyond that went into starting the tasks and printing their lines, a
/// cost every way pays. With 17,000 tasks and a 1 ms delay it is several
/// delays long, and elapsed ÷ delay then counts overhead, not rounds.
pub(crate) fn overhead(rows: &[Row]) -> f64 {
    rows.iter()
        .map(|row| &row.summary)
        .filter(|s| !s.interrupted && s.completed >= s.tasks)
        .map(|s| (s.elapsed_secs - s.delay_secs).max(0.0))
        .min_by(f64::total_cmp)
        .unwrap_or(0.0)
}

/// The rows of the table, as strings.
fn table(rows: &[Row]) -> Vec<[String; 5]> {
    let overhead = overhead(rows);
    rows.iter()
        .map(|row| cells(&row.summary, &row.why, overhead))
        .collect()
}

/// One row of the table, as strings.
fn cells(summary: &Summary, why: &str, overhead: f64) -> [String; 5] {
    [
        // A lock run's way is its lock: the mode is async in all three.
        summary
            .lock
            .map_or(summary.mode.name(), |lock| lock.type_name())
            .to_owned(),
        runtime_label(summary),
        format!("{:.2} s", summary.elapsed_secs),
        // With no delay there is nothing to speed up, and a run that did
        // not finish has no speedup; the verdict says which.
        match summary.speedup {
            Some(s) if summary.delay_secs > 0.0 => format!("{s:.1}×"),
            _ => "-".to_owned(),
        },
        verdict(summary, why, overhead),
    ]
}

const HEADERS: [&str; 5] = ["mode", "runtime", "elapsed", "speedup", "verdict"];

/// The narrowest the verdict column gets (what is left of 80 columns in
/// the usual table): below this, lines run past the terminal's edge
/// rather than break every other word.
const MIN_VERDICT_WIDTH: usize = 20;

/// Aligned columns for a terminal; `term.color` styles the header.
///
/// When `term.columns` is known, the verdict column wraps at word
/// boundaries to fit it, each continuation line indented to the column, so
/// that the table still reads as columns in a narrow terminal. Unknown (a
/// pipe without `COLUMNS`), each row stays on one line.
pub(crate) fn write_text(out: &mut impl Write, rows: &[Row], term: Term) -> io::Result<()> {
    let table = table(rows);
    let mut widths = HEADERS.map(str::chars).map(Iterator::count);
    for row in &table {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    // Where the verdict column starts: four columns and their gaps.
    let indent: usize = widths[..4].iter().map(|w| w + 2).sum();
    let verdict_width = term
        .columns
        .map(|columns| columns.saturating_sub(indent).max(MIN_VERDICT_WIDTH));
    let line = |cells: [&str; 5]| -> String {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            // Numbers align right, words left; the last column is not padded.
            match i {
                2 | 3 => text.push_str(&format!("{cell:>width$}  ")),
                4 => {
                    let mut lines = wrap(cell, verdict_width.unwrap_or(usize::MAX)).into_iter();
                    text.push_str(lines.next().unwrap_or_default());
                    for more in lines {
                        text.push('\n');
                        text.push_str(&" ".repeat(indent));
                        text.push_str(more);
                    }
                }
                _ => text.push_str(&format!("{cell:<width$}  ")),
            }
        }
        text
    };
    let header = line(HEADERS);
    if term.color {
        let bold = anstyle::Style::new().bold();
        writeln!(out, "{bold}{header}{bold:#}")?;
    } else {
        writeln!(out, "{header}")?;
    }
    for row in &table {
        writeln!(out, "{}", line(row.each_ref().map(String::as_str)))?;
    }
    python_note(out, rows)
}

/// Under a table with Python rows: what their elapsed leaves out.
fn python_note(out: &mut impl Write, rows: &[Row]) -> io::Result<()> {
    if rows
        .iter()
        .any(|row| row.summary.language == Some(Language::Python))
    {
        writeln!(out)?;
        writeln!(out, "{PYTHON_NOTE}")?;
    }
    Ok(())
}

/// What a Python row's elapsed time measures.
const PYTHON_NOTE: &str = "Python's start-up is not inside its elapsed, as in the notes: \
                           the clock starts just before asyncio.run(main()).";

/// Breaks `text` into lines of at most `width` characters at spaces; a
/// word longer than `width` gets a line of its own.
fn wrap(text: &str, width: usize) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut rest = text.trim();
    while rest.chars().count() > width {
        // The last space that keeps the line within the width, or else the
        // first space after it (an overlong word).
        let limit = rest
            .char_indices()
            .nth(width)
            .map_or(rest.len(), |(i, _)| i);
        let fits = if rest[limit..].starts_with(' ') {
            Some(limit)
        } else {
            rest[..limit].rfind(' ')
        };
        let Some(cut) = fits.or_else(|| rest.find(' ')) else {
            break;
        };
        lines.push(rest[..cut].trim_end());
        rest = rest[cut..].trim_start();
    }
    lines.push(rest);
    lines
}

/// A GitHub table, for a README or a slide.
pub(crate) fn write_markdown(out: &mut impl Write, rows: &[Row]) -> io::Result<()> {
    writeln!(out, "| {} |", HEADERS.join(" | "))?;
    writeln!(out, "|---|---|---:|---:|---|")?;
    for row in table(rows) {
        writeln!(out, "| {} |", row.join(" | "))?;
    }
    python_note(out, rows)
}

/// The run summaries, in the `--format json` schema.
pub(crate) fn write_json(out: &mut impl Write, rows: &[Row]) -> io::Result<()> {
    let summaries: Vec<&Summary> = rows.iter().map(|row| &row.summary).collect();
    serde_json::to_writer_pretty(&mut *out, &summaries)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{Demo, Mode, Outcome, Runtime, Signal};
    use std::time::Duration;

    /// A summary of `tasks` tasks waiting `delay` the given way, which
    /// took `elapsed` and finished `completed` tasks.
    fn run(
        tasks: u32,
        delay: Duration,
        way: (Mode, Option<Runtime>, bool),
        elapsed: Duration,
        completed: u32,
    ) -> Summary {
        let mut config = crate::report::test_config(tasks, delay, vec![]);
        (config.way.mode, config.way.runtime, config.way.spawn) = way;
        let outcome = Outcome {
            elapsed,
            completed,
            failed: 0,
            observed_delay: None,
            deadlock: None,
            locks: Vec::new(),
            polls: None,
        };
        Summary::new(&config, outcome, None)
    }

    fn row(summary: Summary, why: &str) -> Row {
        Row {
            summary,
            why: why.to_owned(),
            events: Vec::new(),
            parks: Vec::new(),
        }
    }

    fn summary(mode: Mode, runtime: Option<Runtime>, spawn: bool, elapsed_ms: u64) -> Summary {
        let elapsed = Duration::from_millis(elapsed_ms);
        run(
            4,
            Duration::from_millis(200),
            (mode, runtime, spawn),
            elapsed,
            4,
        )
    }

    const ASYNC: (Mode, Option<Runtime>, bool) = (Mode::Async, Some(Runtime::CurrentThread), false);
    const BLOCKING: (Mode, Option<Runtime>, bool) =
        (Mode::Blocking, Some(Runtime::CurrentThread), false);
    const POOL: (Mode, Option<Runtime>, bool) =
        (Mode::SpawnBlocking, Some(Runtime::CurrentThread), false);
    const SPAWNED: (Mode, Option<Runtime>, bool) =
        (Mode::Blocking, Some(Runtime::MultiThread(2)), true);

    #[test]
    fn a_timed_run_ends_its_verdict_with_the_longest_poll() {
        let mut s = summary(Mode::Blocking, Some(Runtime::CurrentThread), false, 800);
        s.longest_poll_secs = Some(0.2004);
        assert_eq!(
            verdict(&s, "why", 0.0),
            "one after another: why (longest poll 0.200 s)"
        );
        s.longest_poll_secs = None;
        assert_eq!(verdict(&s, "why", 0.0), "one after another: why");
    }

    #[test]
    fn verdicts_count_rounds_of_waiting() {
        let s = summary(Mode::Async, Some(Runtime::CurrentThread), false, 203);
        assert_eq!(verdict(&s, "why", 0.003), "all waits overlap: why");
        let s = summary(Mode::Blocking, Some(Runtime::CurrentThread), false, 815);
        assert_eq!(verdict(&s, "why", 0.003), "one after another: why");
        let s = summary(Mode::Blocking, Some(Runtime::MultiThread(2)), true, 410);
        assert_eq!(verdict(&s, "why", 0.003), "2 at a time: why");
        // A busy machine stretches runs, never shortens them.
        let s = summary(Mode::Blocking, Some(Runtime::MultiThread(2)), true, 540);
        assert_eq!(verdict(&s, "why", 0.003), "2 at a time: why");
        let s = summary(Mode::Async, Some(Runtime::CurrentThread), false, 340);
        assert_eq!(verdict(&s, "why", 0.003), "all waits overlap: why");
    }

    #[test]
    fn the_overhead_is_the_quickest_finished_way_beyond_one_delay() {
        let ms = Duration::from_millis;
        let delay = ms(200);
        let rows = [
            row(run(4, delay, BLOCKING, ms(800), 4), "why"),
            row(run(4, delay, ASYNC, ms(207), 4), "why"),
            // Neither a failed nor an interrupted run measures anything.
            row(run(4, delay, POOL, ms(1), 0), "why"),
        ];
        assert!(
            (overhead(&rows) - 0.007).abs() < 1e-9,
            "{}",
            overhead(&rows)
        );
        assert_eq!(overhead(&[]), 0.0);
    }

    /// 17,000 tasks of 1 ms, as measured on a 2-core machine: the async
    /// run took 4.5 delays, nearly all of it starting tasks and printing
    /// lines, which once read as "4250 at a time".
    #[test]
    fn a_delay_below_the_overhead_is_too_short_to_tell() {
        let (ms, us) = (Duration::from_millis, Duration::from_micros);
        let delay = ms(1);
        let rows = [
            row(run(17_000, delay, ASYNC, us(4_500), 17_000), "a"),
            row(run(17_000, delay, BLOCKING, ms(19_280), 17_000), "b"),
            row(run(17_000, delay, POOL, ms(130), 17_000), "p"),
            row(run(17_000, delay, SPAWNED, ms(9_870), 17_000), "s"),
        ];
        let overhead = overhead(&rows);
        let verdicts: Vec<String> = rows
            .iter()
            .map(|r| verdict(&r.summary, &r.why, overhead))
            .collect();
        assert_eq!(
            verdicts,
            [
                "delay too short to tell: a",
                // Facts that hold with or without the overhead still stand.
                "one after another: b",
                "delay too short to tell: p",
                "2 at a time: s",
            ]
        );
        // The same async run with a delay that dwarfs the overhead reads
        // as it should.
        let long = run(17_000, ms(200), ASYNC, us(203_500), 17_000);
        assert_eq!(verdict(&long, "a", 0.0035), "all waits overlap: a");
    }

    #[test]
    fn failed_and_interrupted_runs_say_so_and_have_no_speedup() {
        let ms = Duration::from_millis;
        // Under a tight descriptor limit no fetch ran, in a few µs.
        let failed = run(20, ms(200), ASYNC, Duration::from_micros(50), 0);
        let mut config = crate::report::test_config(4, ms(200), vec![]);
        config.way.mode = Mode::Blocking;
        let outcome = Outcome {
            elapsed: ms(300),
            completed: 1,
            failed: 0,
            observed_delay: None,
            deadlock: None,
            locks: Vec::new(),
            polls: None,
        };
        let interrupted = Summary::new(&config, outcome, Some(Signal::Interrupt));
        let rows = [row(failed, "why"), row(interrupted, "why")];
        let mut out = Vec::new();
        write_markdown(&mut out, &rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[2],
            "| async | current-thread | 0.00 s | - | run failed: 0 of 20 tasks finished |"
        );
        assert_eq!(
            lines[3],
            "| blocking | current-thread | 0.30 s | - | interrupted: 1 of 4 tasks had finished |"
        );
    }

    /// The six rows of `compare count -n 3 -d 200ms`.
    fn six_rows() -> Vec<Row> {
        let ms = Duration::from_millis;
        let ways = [
            (ASYNC, 201),
            (BLOCKING, 601),
            ((Mode::Threads, None, false), 201),
            (POOL, 202),
            ((Mode::Blocking, Some(Runtime::MultiThread(2)), false), 602),
            (SPAWNED, 401),
        ];
        crate::compare::TRIALS
            .iter()
            .zip(ways)
            .map(|(trial, (how, elapsed))| {
                row(
                    run(3, ms(200), how, ms(elapsed), 3),
                    &trial.why(Demo::Count),
                )
            })
            .collect()
    }

    fn render_text(rows: &[Row], columns: Option<usize>) -> String {
        let mut out = Vec::new();
        let term = Term {
            columns,
            ..Term::PLAIN
        };
        write_text(&mut out, rows, term).unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Each verdict as the table shows it: its first line and the
    /// continuation lines under it, joined again.
    fn verdicts_in(table: &str) -> Vec<String> {
        let header = table.lines().next().unwrap();
        let column = header.find("verdict").unwrap();
        let mut verdicts: Vec<String> = Vec::new();
        for line in table.lines().skip(1) {
            // By characters: the runtime and speedup columns hold `×`.
            let at = line
                .char_indices()
                .nth(column)
                .map_or(line.len(), |(i, _)| i);
            let (left, verdict) = line.split_at(at);
            if left.trim().is_empty() {
                let last = verdicts.last_mut().expect("a continuation follows a row");
                last.push(' ');
                last.push_str(verdict);
            } else {
                verdicts.push(verdict.to_owned());
            }
        }
        verdicts
    }

    #[test]
    fn the_table_fits_the_terminal_width() {
        let rows = six_rows();
        let overhead = overhead(&rows);
        let expected: Vec<String> = rows
            .iter()
            .map(|r| verdict(&r.summary, &r.why, overhead))
            .collect();
        for columns in [80, 120] {
            let table = render_text(&rows, Some(columns));
            for line in table.lines() {
                assert!(line.chars().count() <= columns, "{columns}: {line:?}");
            }
            // Nothing is lost or reordered by wrapping, and continuation
            // lines sit under the verdict heading.
            assert_eq!(verdicts_in(&table), expected, "{columns}:\n{table}");
            assert!(table.lines().count() > 7, "{columns}: some verdict wraps");
        }
        assert!(
            render_text(&rows, Some(120)).lines().count()
                < render_text(&rows, Some(80)).lines().count()
        );
    }

    #[test]
    fn an_unknown_width_keeps_each_row_on_one_line() {
        let rows = six_rows();
        let table = render_text(&rows, None);
        assert_eq!(table.lines().count(), 7, "{table}");
        assert!(table.lines().any(|l| l.chars().count() > 120), "{table}");
    }

    #[test]
    fn a_very_narrow_terminal_still_gets_readable_verdicts() {
        let rows = six_rows();
        let table = render_text(&rows, Some(20));
        let header = table.lines().next().unwrap();
        let column = header.find("verdict").unwrap();
        for line in table.lines() {
            assert!(
                line.chars().count() <= column + MIN_VERDICT_WIDTH,
                "{line:?}"
            );
        }
        let overhead = overhead(&rows);
        let expected: Vec<String> = rows
            .iter()
            .map(|r| verdict(&r.summary, &r.why, overhead))
            .collect();
        assert_eq!(verdicts_in(&table), expected);
    }

    #[test]
    fn wrapping_breaks_at_spaces_and_keeps_long_words_whole() {
        assert_eq!(wrap("abc def ghi", 5), ["abc", "def", "ghi"]);
        assert_eq!(wrap("abc def ghi", 7), ["abc def", "ghi"]);
        assert_eq!(wrap("abcdefgh ij", 4), ["abcdefgh", "ij"]);
        assert_eq!(wrap("short", 40), ["short"]);
        assert_eq!(wrap("×× ×× ××", 5), ["×× ××", "××"]);
    }

    #[test]
    fn runtime_labels_say_how_tasks_were_driven() {
        let s = summary(Mode::Blocking, Some(Runtime::MultiThread(2)), true, 400);
        assert_eq!(runtime_label(&s), "multi-thread ×2, spawned");
        let s = summary(Mode::Blocking, Some(Runtime::MultiThread(2)), false, 800);
        assert_eq!(runtime_label(&s), "multi-thread ×2, joined");
        let s = summary(Mode::Async, Some(Runtime::CurrentThread), false, 200);
        assert_eq!(runtime_label(&s), "current-thread");
        let s = summary(Mode::Threads, None, false, 200);
        assert_eq!(runtime_label(&s), "none (4 OS threads)");
        assert_eq!(describe(&s), "threads (4 OS threads)");
    }

    #[test]
    fn markdown_is_a_github_table() {
        let rows = [row(
            summary(Mode::Async, Some(Runtime::CurrentThread), false, 200),
            "why",
        )];
        let mut out = Vec::new();
        write_markdown(&mut out, &rows).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "| mode | runtime | elapsed | speedup | verdict |");
        assert_eq!(lines[1], "|---|---|---:|---:|---|");
        assert_eq!(
            lines[2],
            "| async | current-thread | 0.20 s | 4.0× | all waits overlap: why |"
        );
    }
}
