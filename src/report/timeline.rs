//! `--timeline`: one row per task across the elapsed time.
//!
//! ```text
//! task 1  o############*
//! task 2               o############*
//! task 3                            o############*
//!         +--------+---------+---------+---------+
//!         0.00s    0.15s     0.30s     0.45s 0.60s
//! legend: o first line  * last line
//!         # blocked in std::thread::sleep, holding its thread
//! ```
//!
//! Blocking draws a staircase; async draws rows that line up. The glyph
//! between a task's two marks says *how* it waited, which is the lesson.

use super::Summary;
use super::lanes::{Lanes, State};
use super::marks;
use crate::vocab::{Event, Park, Term, Waiting};
use anstyle::{AnsiColor, Style};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::Duration;

/// The glyph that fills a task's row while it waits.
const fn glyph(waiting: Waiting) -> char {
    match waiting {
        Waiting::Free => '~',
        Waiting::Blocked => '#',
        Waiting::Offloaded => '=',
        Waiting::Spinning => '%',
    }
}

/// The glyph of a task that is ready to run but kept off the thread.
const READY: char = '.';
/// A runtime thread's lane: busy running tasks, or parked.
const BUSY: char = 'x';
const PARKED: char = '_';

/// The glyph's colour on a terminal: green for a free thread, red for a
/// held one, yellow for a wait handed to the blocking pool, magenta for a
/// task kept off the thread.
fn style(glyph: char) -> Style {
    let color = match glyph {
        '~' => AnsiColor::Green,
        '#' => AnsiColor::Red,
        '=' => AnsiColor::Yellow,
        '%' => AnsiColor::Blue,
        READY => AnsiColor::Magenta,
        BUSY => AnsiColor::Cyan,
        'o' | '*' => return Style::new().bold(),
        _ => return Style::new(),
    };
    Style::new().fg_color(Some(color.into()))
}

/// At most this many task rows; the rest are counted in one line.
const MAX_ROWS: u32 = 10;

/// At most this many thread rows.
const MAX_THREAD_ROWS: usize = 4;

/// How far the time axis is divided.
const TICKS: usize = 4;

/// Draws the timeline of the run `summary` describes, from its events and
/// its runtime threads' parks.
pub(crate) fn write(
    out: &mut impl Write,
    summary: &Summary,
    (events, parks): (&[Event], &[Park]),
    term: Term,
) -> io::Result<()> {
    let picture = render(
        (events, parks),
        summary,
        Duration::from_secs_f64(summary.elapsed_secs),
        term,
    );
    out.write_all(picture.as_bytes())
}

/// The timeline as text: the rows, the axis, its labels and the legend.
fn render(
    (events, parks): (&[Event], &[Park]),
    summary: &Summary,
    elapsed: Duration,
    term: Term,
) -> String {
    let (tasks, demo) = (summary.tasks, summary.demo);
    let waiting = Waiting::of(summary.mode, summary.work);
    let shown = tasks.min(MAX_ROWS);
    let marks = marks::per_task(events, shown);
    let span = events.iter().map(|e| e.at).fold(elapsed, Duration::max);
    let lanes = Lanes::new(summary, events, parks, span);
    let threads = &lanes.threads[..lanes.threads.len().min(MAX_THREAD_ROWS)];

    let label_width = threads
        .iter()
        .map(|t| t.label.len())
        .chain([format!("task {shown}").len()])
        .max()
        .unwrap_or(0);
    let indent = " ".repeat(label_width + 2);
    let width = term.width.saturating_sub(label_width + 2).max(20);
    let column = |at: Duration| -> usize {
        if span.is_zero() {
            return 0;
        }
        (at.as_secs_f64() / span.as_secs_f64() * (width - 1) as f64).round() as usize
    };
    // A row of glyphs, painted run by run, its trailing blanks dropped.
    let paint_row = |label: &str, cells: &[char]| -> String {
        let mut row = format!("{label:<label_width$}  ");
        let used = cells.iter().rposition(|c| *c != ' ').map_or(0, |i| i + 1);
        let mut rest = &cells[..used];
        while let Some(&first) = rest.first() {
            let run = rest.iter().take_while(|c| **c == first).count();
            let text: String = rest[..run].iter().collect();
            if term.color && first != ' ' {
                let style = style(first);
                row.push_str(&format!("{style}{text}{style:#}"));
            } else {
                row.push_str(&text);
            }
            rest = &rest[run..];
        }
        row.trim_end().to_owned()
    };

    let column_span = span / u32::try_from(width - 1).unwrap_or(u32::MAX);
    let mut picture = String::new();
    for (index, mark) in marks.iter().enumerate() {
        let mut cells = vec![' '; width];
        if let Some(first) = mark.first {
            for span in lanes.task(mark) {
                let fill = match span.state {
                    // A wait for the thread shorter than a column is noise
                    // at this scale (a thread starting up, a busy machine),
                    // and would come and go from run to run.
                    State::Ready if span.to - span.from < column_span => continue,
                    State::Ready => READY,
                    State::Waiting(waiting) => glyph(waiting),
                };
                let (from, to) = (column(span.from), column(span.to).min(width - 1));
                cells[from..=to].fill(fill);
            }
            cells[column(first.at)] = 'o';
            if let Some(last) = mark.last {
                cells[column(last.at)] = '*';
            } else {
                // An unfinished task (a signal stopped the run) waits to
                // the end of the row.
                let last = cells.len() - 1;
                if cells[last] == ' ' {
                    cells[last] = glyph(waiting);
                }
            }
        }
        picture.push_str(&paint_row(&format!("task {}", index + 1), &cells));
        picture.push('\n');
    }
    if tasks > shown {
        let _ = writeln!(picture, "… {} more tasks", thousands(tasks - shown));
    }
    for lane in threads {
        let mut cells = vec![PARKED; width];
        for &(from, to) in &lane.busy {
            cells[column(from)..=column(to).min(width - 1)].fill(BUSY);
        }
        picture.push_str(&paint_row(&lane.label, &cells));
        picture.push('\n');
    }

    // The axis: `+` at each tick, labelled with its time below.
    let ticks: Vec<usize> = (0..=TICKS).map(|k| k * (width - 1) / TICKS).collect();
    let mut axis: Vec<char> = vec!['-'; width];
    let mut labels: Vec<char> = vec![' '; width];
    let mut free_from = 0; // first column a label may still use
    for (k, &tick) in ticks.iter().enumerate() {
        axis[tick] = '+';
        let label = format!("{:.2}s", span.as_secs_f64() * k as f64 / TICKS as f64);
        // Labels start at their tick, except the last, which ends at it.
        let at = if k == TICKS {
            (tick + 1).saturating_sub(label.len())
        } else {
            tick
        };
        if at >= free_from && at + label.len() <= width {
            labels.splice(at..at + label.len(), label.chars());
            free_from = at + label.len() + 1;
        }
    }
    let _ = writeln!(picture, "{indent}{}", axis.iter().collect::<String>());
    let labels: String = labels.iter().collect();
    let _ = writeln!(picture, "{indent}{}", labels.trim_end());
    let paint = |c: char| {
        if term.color {
            let style = style(c);
            format!("{style}{c}{style:#}")
        } else {
            c.to_string()
        }
    };
    // Short lines, so the legend fits 80 columns whatever the wait's meaning.
    let _ = writeln!(
        picture,
        "legend: o first line  * last line  {} ready, waiting for the thread",
        paint(READY)
    );
    let _ = writeln!(
        picture,
        "        {} {}",
        paint(glyph(waiting)),
        waiting.meaning(demo, summary.work)
    );
    if !threads.is_empty() {
        let _ = writeln!(
            picture,
            "        {} runtime thread busy  {} parked (idle)",
            paint(BUSY),
            paint(PARKED)
        );
    }
    picture
}

/// `99990` → `99,990`.
pub(crate) fn thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::testing::event;
    use crate::vocab::{Mode, Outcome, Phase};

    /// The summary of a run of `tasks` tasks in `mode`, each waiting
    /// `delay_ms`; without a runtime (so without thread lanes) unless
    /// `runtime`.
    fn summary(mode: Mode, tasks: u32, delay_ms: u64, runtime: bool) -> Summary {
        let mut config = crate::report::test_config(tasks, Duration::from_millis(delay_ms), vec![]);
        config.way.mode = mode;
        let mut summary = Summary::new(&config, Outcome::default(), None);
        if !runtime {
            summary.runtime = None;
        }
        summary
    }

    const NARROW: Term = Term {
        width: 48,
        ..Term::PLAIN
    };

    /// Each task holds the one thread, which never parks, while the tasks
    /// after it wait, ready, for their turn.
    #[test]
    fn blocking_draws_a_staircase() {
        let events = [
            event(0, 1, Phase::First, 1),
            event(200, 1, Phase::Last, 1),
            event(200, 2, Phase::First, 1),
            event(400, 2, Phase::Last, 1),
            event(400, 3, Phase::First, 1),
            event(600, 3, Phase::Last, 1),
        ];
        let picture = render(
            (&events, &[]),
            &summary(Mode::Blocking, 3, 200, true),
            Duration::from_millis(600),
            NARROW,
        );
        let expected = "\
task 1          o#########*
task 2          ..........o##########*
task 3          .....................o#########*
runtime thread  xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
                +------+-------+-------+-------+
                0.00s  0.15s   0.30s   0.45s
legend: o first line  * last line  . ready, waiting for the thread
        # blocked in std::thread::sleep, holding its thread
        x runtime thread busy  _ parked (idle)
";
        assert_eq!(picture, expected, "\n{picture}");
    }

    #[test]
    fn async_draws_rows_that_line_up() {
        let events = [
            event(0, 1, Phase::First, 1),
            event(0, 2, Phase::First, 1),
            event(1000, 1, Phase::Last, 1),
            event(1000, 2, Phase::Last, 1),
        ];
        let picture = render(
            (&events, &[]),
            &summary(Mode::Async, 2, 1000, false),
            Duration::from_millis(1000),
            NARROW,
        );
        let expected = "\
task 1  o~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~*
task 2  o~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~*
        +--------+---------+---------+---------+
        0.00s    0.25s     0.50s     0.75s 1.00s
legend: o first line  * last line  . ready, waiting for the thread
        ~ sleeping, its thread free for other tasks
";
        assert_eq!(picture, expected, "\n{picture}");
    }

    #[test]
    fn many_tasks_draw_the_first_rows_and_count_the_rest() {
        let events: Vec<Event> = (1..=100_000)
            .flat_map(|t| [event(0, t, Phase::First, 1), event(1000, t, Phase::Last, 1)])
            .collect();
        let picture = render(
            (&events, &[]),
            &summary(Mode::Async, 100_000, 1000, false),
            Duration::from_secs(1),
            Term::PLAIN,
        );
        let lines: Vec<&str> = picture.lines().collect();
        assert_eq!(lines.len(), 10 + 5, "{picture}");
        assert!(lines[9].starts_with("task 10  o~"));
        assert_eq!(lines[10], "… 99,990 more tasks");
        assert!(lines.iter().all(|l| l.chars().count() <= 80), "{picture}");
    }

    #[test]
    fn an_unfinished_task_waits_to_the_end_and_a_zero_wait_is_one_mark() {
        let events = [
            event(0, 1, Phase::First, 1),
            event(0, 1, Phase::Last, 1),
            event(0, 2, Phase::First, 1),
        ];
        let picture = render(
            (&events, &[]),
            &summary(Mode::SpawnBlocking, 2, 200, false),
            Duration::from_millis(500),
            NARROW,
        );
        let lines: Vec<&str> = picture.lines().collect();
        assert_eq!(lines[0], "task 1  *");
        assert_eq!(lines[1], format!("task 2  o{}", "=".repeat(39)));
    }

    #[test]
    fn colour_only_when_asked() {
        let events = [event(0, 1, Phase::First, 1), event(10, 1, Phase::Last, 1)];
        let plain = render(
            (&events, &[]),
            &summary(Mode::Blocking, 1, 10, false),
            Duration::from_millis(10),
            NARROW,
        );
        assert!(!plain.contains('\x1b'));
        let coloured = Term {
            color: true,
            ..NARROW
        };
        let painted = render(
            (&events, &[]),
            &summary(Mode::Blocking, 1, 10, false),
            Duration::from_millis(10),
            coloured,
        );
        assert!(painted.contains("\x1b[31m#"), "{painted:?}");
    }

    /// A sleep that is over while the thread is busy elsewhere shows as
    /// ready; while the thread is still parked it was not (the timer had
    /// not fired). The runtime thread's lane shows it busy, then parked
    /// while every task sleeps, then busy again.
    #[test]
    fn the_thread_lane_and_a_late_last_line() {
        let events = [
            event(0, 1, Phase::First, 1),
            event(0, 2, Phase::First, 1),
            event(500, 1, Phase::Last, 1),
            event(1000, 2, Phase::Last, 1),
        ];
        let park = |ms, parked| Park {
            at: Duration::from_millis(ms),
            thread: 1,
            parked,
        };
        let parks = [park(1, true), park(499, false)];
        // Each task sleeps 250 ms, but the thread wakes only at 0.499 s;
        // it prints task 1's last line at 0.5 s and task 2's at 1 s.
        let picture = render(
            (&events, &parks),
            &summary(Mode::Async, 2, 250, true),
            Duration::from_millis(1000),
            NARROW,
        );
        let lines: Vec<&str> = picture.lines().collect();
        // Task 1 was ready for 1 ms, less than a column: not drawn.
        assert_eq!(lines[0], format!("task 1          o{}*", "~".repeat(15)));
        assert_eq!(
            lines[1],
            format!("task 2          o{}{}*", "~".repeat(14), ".".repeat(16)),
        );
        assert_eq!(
            lines[2],
            format!("runtime thread  x{}{}", "_".repeat(14), "x".repeat(17))
        );
        assert_eq!(lines[7], "        x runtime thread busy  _ parked (idle)");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(99_990), "99,990");
        assert_eq!(thousands(9_999_990), "9,999,990");
    }
}
