//! The `compare` table: one row per way of running the same demo.

use super::Summary;
use crate::config::Term;
use crate::report::Language;
use crate::vocab::{Event, Park, Work};
use crate::wrap::{width, wrap};
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

pub(crate) use super::labels::runtime_label;

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
/// The measurement is the run's peak overlap ([`Summary::peak_overlap`]):
/// the most tasks that were waiting at the same moment, counted from the
/// order of its events. All of them means every wait overlapped; one, one
/// after another; in between, that many at a time (3 tasks on 2 workers: 2
/// at a time). It does not depend on how fast the machine was, so a busy
/// machine or a tiny delay cannot make it say something else.
///
/// A row without that count (a run it was not counted for) is read from
/// its timing instead, see [`rounds`].
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
    match summary.peak_overlap {
        // A busy loop's "wait" is work for a CPU: loops in flight together
        // still run only as many at once as there are CPUs to run them, so
        // the verdict says how many CPUs they kept busy, on average: the
        // CPU time they did (tasks × delay) over the time it took.
        Some(peak) if summary.work == Work::Spin && peak > 1 => {
            let cpus = summary.speedup.unwrap_or(0.0);
            let plural = if format!("{cpus:.1}") == "1.0" {
                ""
            } else {
                "s"
            };
            format!(
                "{} in flight, on {cpus:.1} CPU{plural} at a time: {why}",
                in_flight(u64::from(peak), tasks)
            )
        }
        Some(peak) => format!("{}: {why}", at_once(u64::from(peak), tasks)),
        None => rounds(summary, why, overhead),
    }
}

/// How many busy loops were in flight together: `all 3`, or `2 of 3`.
fn in_flight(peak: u64, tasks: u64) -> String {
    if peak >= tasks {
        format!("all {tasks}")
    } else {
        format!("{peak} of {tasks}")
    }
}

/// How `at_once` of `tasks` tasks waiting together reads.
fn at_once(at_once: u64, tasks: u64) -> String {
    match at_once {
        _ if tasks == 1 => "a single task".to_owned(),
        n if n >= tasks => "all waits overlap".to_owned(),
        0 | 1 => "one after another".to_owned(),
        n => format!("{n} at a time"),
    }
}

/// The verdict of a row whose overlap was not counted, read from its
/// timing as *rounds of waiting*: elapsed ÷ delay, rounded. One round
/// means every wait overlapped; N rounds, one after another; in between,
/// about N ÷ rounds at a time. The rounding leans down (0.3 of a round)
/// because noise only ever makes a run slower.
///
/// `overhead` is what running the tasks costs besides their waits (see
/// [`overhead`]). When it reaches half a delay, a round count is no longer
/// a fact: the verdict stands only if reading the run with and without that
/// cost gives the same answer. Otherwise the delay is too short to tell,
/// and the verdict says so rather than invent a concurrency figure.
fn rounds(summary: &Summary, why: &str, overhead: f64) -> String {
    let tasks = u64::from(summary.tasks);
    let reading = |elapsed: f64| {
        let rounds = (elapsed / summary.delay_secs - 0.3).round().max(1.0) as u64;
        at_once(tasks.div_ceil(rounds), tasks)
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

/// The runtime column's heading in the text table: with multi-thread rows,
/// how many workers they had (`runtime (×2 = 2 workers)`), since that
/// number decides how many blocked tasks can wait at once.
fn runtime_heading(rows: &[Row]) -> String {
    let workers = rows.iter().find_map(|row| row.summary.workers);
    match workers {
        Some(1) => "runtime (×1 = 1 worker)".to_owned(),
        Some(n) => format!("runtime (×{n} = {n} workers)"),
        None => HEADERS[1].to_owned(),
    }
}

/// The narrowest verdict column worth having beside the figures: below
/// it, a verdict of a hundred characters would take five lines or more
/// and break between a number and its unit, so each verdict goes on lines
/// of its own under its row instead.
const MIN_VERDICT_WIDTH: usize = 40;

/// How far a verdict under its row is indented.
const VERDICT_INDENT: usize = 4;

/// The gap between two columns.
const GAP: usize = 2;

/// Aligned columns for a terminal; `term.color` styles the header.
///
/// Unknown width (a pipe without `COLUMNS`): each row on one line, so that
/// `grep` finds whole rows. Known width, one of three layouts, the first
/// that fits:
///
/// - the verdicts beside the figures, wrapped inside their column;
/// - the figures as a table, each verdict on indented lines under its row
///   (80 columns: the figures take about 60, too few remain beside them);
/// - each way as a short paragraph: `async on current-thread`, then its
///   figures and its verdict indented under it (40 columns).
///
/// Lines are measured in display width (`×` is one column, a CJK
/// character two), and broken only at spaces: never inside a figure
/// (`0.200 s`) or the parenthesis around it, never a hyphenated word.
pub(crate) fn write_text(out: &mut impl Write, rows: &[Row], term: Term) -> io::Result<()> {
    let table = table(rows);
    let mut headers = HEADERS.map(str::to_owned);
    headers[1] = runtime_heading(rows);
    let mut widths = headers.each_ref().map(|h| width(h));
    for row in &table {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(self::width(cell));
        }
    }
    // Where the verdict column starts: four columns and their gaps.
    let indent: usize = widths[..4].iter().map(|w| w + GAP).sum();
    let figures = |cells: &[String; 5]| -> String {
        let mut text = String::new();
        for (i, (cell, width)) in cells[..4].iter().zip(widths).enumerate() {
            // Numbers align right, words left.
            let pad = " ".repeat(width.saturating_sub(self::width(cell)));
            match i {
                2 | 3 => text.push_str(&format!("{pad}{cell}")),
                _ => text.push_str(&format!("{cell}{pad}")),
            }
            text.push_str(&" ".repeat(GAP));
        }
        text
    };
    let bold = anstyle::Style::new().bold();
    let heading = |out: &mut dyn Write, text: &str| -> io::Result<()> {
        let text = text.trim_end();
        if term.color {
            writeln!(out, "{bold}{text}{bold:#}")
        } else {
            writeln!(out, "{text}")
        }
    };
    let Some(columns) = term.columns else {
        heading(out, &format!("{}{}", figures(&headers), headers[4]))?;
        for row in &table {
            writeln!(out, "{}{}", figures(row), row[4])?;
        }
        return python_note(out, rows);
    };
    if columns >= indent + MIN_VERDICT_WIDTH {
        heading(out, &format!("{}{}", figures(&headers), headers[4]))?;
        for row in &table {
            let mut lines = wrap(&row[4], columns - indent).into_iter();
            writeln!(out, "{}{}", figures(row), lines.next().unwrap_or_default())?;
            for more in lines {
                writeln!(out, "{}{more}", " ".repeat(indent))?;
            }
        }
    } else if columns + GAP >= indent {
        heading(out, &figures(&headers))?;
        for row in &table {
            writeln!(out, "{}", figures(row).trim_end())?;
            write_indented(out, &row[4], VERDICT_INDENT, columns)?;
        }
    } else {
        for (row, way) in table.iter().zip(rows) {
            // A heading too long for the line goes on indented, so that
            // only a way's first line starts at the margin.
            let described = describe(&way.summary);
            for (i, line) in wrap(&described, columns.saturating_sub(GAP))
                .iter()
                .enumerate()
            {
                let pad = if i == 0 { "" } else { "  " };
                heading(out, &format!("{pad}{line}"))?;
            }
            let figures = format!("elapsed {}, speedup {}", row[2], row[3]);
            write_indented(out, &figures, GAP, columns)?;
            write_indented(out, &row[4], VERDICT_INDENT, columns)?;
        }
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

/// Writes `text` wrapped to `columns`, each line indented by `indent`.
fn write_indented(
    out: &mut dyn Write,
    text: &str,
    indent: usize,
    columns: usize,
) -> io::Result<()> {
    let pad = " ".repeat(indent);
    for line in wrap(text, columns.saturating_sub(indent)) {
        writeln!(out, "{pad}{line}")?;
    }
    Ok(())
}

/// A GitHub table, for a README or a slide.
pub(crate) fn write_markdown(out: &mut impl Write, rows: &[Row]) -> io::Result<()> {
    let mut headers = HEADERS.map(str::to_owned);
    headers[1] = runtime_heading(rows);
    writeln!(out, "| {} |", headers.join(" | "))?;
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
    use crate::config::Runtime;
    use crate::interrupt::Signal;
    use crate::outcome::Outcome;
    use crate::vocab::{Demo, Mode};
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
    fn verdicts_read_the_peak_overlap_not_the_clock() {
        let ms = Duration::from_millis;
        // A busy machine stretched this async run to four delays; the
        // events still say every wait overlapped.
        let s = run(4, ms(200), ASYNC, ms(800), 4).with_peak_overlap(Some(4));
        assert_eq!(verdict(&s, "why", 0.0), "all waits overlap: why");
        let s = run(4, ms(200), BLOCKING, ms(801), 4).with_peak_overlap(Some(1));
        assert_eq!(verdict(&s, "why", 0.0), "one after another: why");
        let s = run(3, ms(200), SPAWNED, ms(700), 3).with_peak_overlap(Some(2));
        assert_eq!(verdict(&s, "why", 0.0), "2 at a time: why");
        let s = run(1, ms(200), ASYNC, ms(200), 1).with_peak_overlap(Some(1));
        assert_eq!(verdict(&s, "why", 0.0), "a single task: why");
        // A delay far below the cost of starting the tasks no longer
        // hides the answer: 17,000 waits of 1 ms that overlapped did.
        let s = run(17_000, ms(1), ASYNC, ms(5), 17_000).with_peak_overlap(Some(17_000));
        assert_eq!(verdict(&s, "why", 0.004), "all waits overlap: why");
    }

    /// Busy loops in flight together still share the CPUs: the verdict
    /// says how many CPUs they kept busy, not that the waits overlapped.
    #[test]
    fn spinning_verdicts_say_how_many_cpus_the_loops_kept_busy() {
        let ms = Duration::from_millis;
        let spin = |s: Summary| Summary {
            work: Work::Spin,
            ..s
        };
        // yield_now: every loop started, on one CPU: fair, not faster.
        let s = spin(run(3, ms(200), ASYNC, ms(600), 3).with_peak_overlap(Some(3)));
        assert_eq!(
            verdict(&s, "why", 0.0),
            "all 3 in flight, on 1.0 CPU at a time: why"
        );
        // A thread per loop on two cores.
        let s = spin(run(3, ms(200), ASYNC, ms(333), 3).with_peak_overlap(Some(3)));
        assert_eq!(
            verdict(&s, "why", 0.0),
            "all 3 in flight, on 1.8 CPUs at a time: why"
        );
        // One at a time reads as it does for a sleep.
        let s = spin(run(3, ms(200), BLOCKING, ms(600), 3).with_peak_overlap(Some(1)));
        assert_eq!(verdict(&s, "why", 0.0), "one after another: why");
    }

    /// Rows whose overlap was not counted are read from their timing.
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
            .zip([3, 1, 3, 3, 1, 2])
            .map(|((trial, (how, elapsed)), peak)| {
                row(
                    run(3, ms(200), how, ms(elapsed), 3).with_peak_overlap(Some(peak)),
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

    /// The six rows, each with the longest poll its way measures.
    fn timed_rows() -> Vec<Row> {
        let mut rows = six_rows();
        for (row, poll) in rows.iter_mut().zip([0.0, 0.2, 0.0, 0.0, 0.2, 0.2]) {
            row.summary.longest_poll_secs = (row.summary.mode != Mode::Threads).then_some(poll);
        }
        rows
    }

    /// `text` with every run of whitespace made one space.
    fn collapsed(text: &str) -> String {
        text.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn every_layout_fits_its_width_and_keeps_each_verdict_whole() {
        let rows = timed_rows();
        let overhead = overhead(&rows);
        for columns in [200, 120, 80, 60, 40, 30] {
            let table = render_text(&rows, Some(columns));
            for line in table.lines() {
                assert!(width(line) <= columns, "{columns}: {line:?}\n{table}");
                let last = line.split_whitespace().last().unwrap_or_default();
                assert!(
                    !last.chars().all(|c| c.is_ascii_digit() || c == '.'),
                    "{columns}: a figure split: {line:?}\n{table}"
                );
            }
            // Nothing lost, nothing reordered: the verdicts read in order
            // once the layout's spaces are gone.
            let all = collapsed(&table);
            let mut from = 0;
            for row in &rows {
                let verdict = collapsed(&verdict(&row.summary, &row.why, overhead));
                let at = all[from..]
                    .find(&verdict)
                    .unwrap_or_else(|| panic!("{columns}: {verdict:?}\n{table}"));
                from += at + verdict.len();
            }
            for poll in ["(longest poll 0.200 s)", "(longest poll 0.000 s)"] {
                assert!(
                    table.lines().any(|l| l.contains(poll)),
                    "{columns}: {poll} split\n{table}"
                );
            }
        }
    }

    #[test]
    fn wide_terminals_put_verdicts_beside_the_figures() {
        let table = render_text(&timed_rows(), Some(400));
        assert_eq!(table.lines().count(), 7, "{table}");
        let table = render_text(&timed_rows(), Some(120));
        let header = table.lines().next().unwrap();
        let column = width(&header[..header.find("verdict").unwrap()]);
        // Continuation lines sit under the verdict heading.
        for line in table.lines().filter(|l| l.starts_with(' ')) {
            assert_eq!(line.len() - line.trim_start().len(), column, "{table}");
        }
        assert!(table.lines().count() > 7, "{table}");
    }

    #[test]
    fn at_80_columns_each_verdict_goes_under_its_row() {
        let table = render_text(&timed_rows(), Some(80));
        let lines: Vec<&str> = table.lines().collect();
        assert!(!lines[0].contains("verdict"), "{table}");
        assert!(lines[0].starts_with("mode "), "{table}");
        assert!(lines[1].starts_with("async "), "{table}");
        assert!(lines[1].ends_with('×'), "figures only: {table}");
        assert!(lines[2].starts_with("    all waits overlap"), "{table}");
        let indented = lines.iter().filter(|l| l.starts_with("    ")).count();
        assert!(indented >= 6, "{table}");
    }

    #[test]
    fn a_narrow_terminal_gets_a_paragraph_per_way() {
        let table = render_text(&timed_rows(), Some(40));
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "async on current-thread", "{table}");
        assert!(lines[1].starts_with("  elapsed "), "{table}");
        assert!(lines[2].starts_with("    all waits overlap"), "{table}");
    }

    #[test]
    fn an_unknown_width_keeps_each_row_on_one_line() {
        let rows = six_rows();
        let table = render_text(&rows, None);
        assert_eq!(table.lines().count(), 7, "{table}");
        assert!(table.lines().any(|l| l.chars().count() > 120), "{table}");
    }

    #[test]
    fn the_header_says_how_many_workers_the_multi_thread_rows_had() {
        let rows = six_rows();
        let header = render_text(&rows, None).lines().next().unwrap().to_owned();
        assert!(header.contains("runtime (×2 = 2 workers)"), "{header}");
        let mut one = rows.clone();
        for row in &mut one {
            if row.summary.workers.is_some() {
                row.summary.workers = Some(1);
            }
        }
        let header = render_text(&one, None).lines().next().unwrap().to_owned();
        assert!(header.contains("runtime (×1 = 1 worker)"), "{header}");
        // Without a multi-thread row there are no workers to speak of.
        let header = render_text(&rows[..2], None)
            .lines()
            .next()
            .unwrap()
            .to_owned();
        assert!(!header.contains("worker"), "{header}");
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
