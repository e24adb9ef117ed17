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
use super::marks;
use crate::vocab::{Demo, Event, Term, Waiting};
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
    }
}

/// The glyph's colour on a terminal: green for a free thread, red for a
/// held one, yellow for a wait handed to the blocking pool.
fn style(waiting: Waiting) -> Style {
    let color = match waiting {
        Waiting::Free => AnsiColor::Green,
        Waiting::Blocked => AnsiColor::Red,
        Waiting::Offloaded => AnsiColor::Yellow,
    };
    Style::new().fg_color(Some(color.into()))
}

/// At most this many task rows; the rest are counted in one line.
const MAX_ROWS: u32 = 10;

/// How far the time axis is divided.
const TICKS: usize = 4;

/// Draws the timeline of the run `summary` describes, from its events.
pub(crate) fn write(
    out: &mut impl Write,
    summary: &Summary,
    events: &[Event],
    term: Term,
) -> io::Result<()> {
    let picture = render(
        events,
        summary.tasks,
        Duration::from_secs_f64(summary.elapsed_secs),
        (Waiting::of(summary.mode), summary.demo),
        term,
    );
    out.write_all(picture.as_bytes())
}

/// The timeline as text: the rows, the axis, its labels and the legend.
fn render(
    events: &[Event],
    tasks: u32,
    elapsed: Duration,
    (waiting, demo): (Waiting, Demo),
    term: Term,
) -> String {
    let shown = tasks.min(MAX_ROWS);
    let marks = marks::per_task(events, shown);
    let span = events.iter().map(|e| e.at).fold(elapsed, Duration::max);

    let label_width = format!("task {shown}").len();
    let indent = " ".repeat(label_width + 2);
    let width = term.width.saturating_sub(label_width + 2).max(20);
    let column = |at: Duration| -> usize {
        if span.is_zero() {
            return 0;
        }
        (at.as_secs_f64() / span.as_secs_f64() * (width - 1) as f64).round() as usize
    };
    let paint = |style: Style, text: &str| {
        if term.color {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    };
    let bold = Style::new().bold();

    let mut picture = String::new();
    for (index, mark) in marks.iter().enumerate() {
        let mut row = format!("{:<label_width$}  ", format!("task {}", index + 1));
        let last = mark.last.map(|e| e.at);
        if let Some(first) = mark.first {
            let start = column(first.at);
            // An unfinished task (a signal stopped the run) waits to the end.
            let end = last.map_or(width - 1, column).max(start);
            row.push_str(&" ".repeat(start));
            if end == start && last.is_some() {
                row.push_str(&paint(bold, "*"));
            } else {
                row.push_str(&paint(bold, "o"));
                let gap = end - start - usize::from(last.is_some());
                let fill = glyph(waiting).to_string().repeat(gap);
                row.push_str(&paint(style(waiting), &fill));
                if last.is_some() {
                    row.push_str(&paint(bold, "*"));
                }
            }
        }
        picture.push_str(row.trim_end());
        picture.push('\n');
    }
    if tasks > shown {
        let _ = writeln!(picture, "… {} more tasks", thousands(tasks - shown));
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
    let glyph = paint(style(waiting), &glyph(waiting).to_string());
    // Two lines, so the legend fits 80 columns whatever the wait's meaning.
    let _ = writeln!(picture, "legend: o first line  * last line");
    let _ = writeln!(picture, "        {glyph} {}", waiting.meaning(demo));
    picture
}

/// `99990` → `99,990`.
fn thousands(n: u32) -> String {
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
    use crate::vocab::Phase;

    fn event(ms: u64, task: u32, phase: Phase) -> Event {
        Event {
            at: Duration::from_millis(ms),
            task,
            phase,
            thread: 1,
        }
    }

    const NARROW: Term = Term {
        width: 48,
        ..Term::PLAIN
    };

    #[test]
    fn blocking_draws_a_staircase() {
        let events = [
            event(0, 1, Phase::First),
            event(200, 1, Phase::Last),
            event(200, 2, Phase::First),
            event(400, 2, Phase::Last),
            event(400, 3, Phase::First),
            event(600, 3, Phase::Last),
        ];
        let picture = render(
            &events,
            3,
            Duration::from_millis(600),
            (Waiting::Blocked, Demo::Count),
            NARROW,
        );
        let expected = "\
task 1  o############*
task 2               o############*
task 3                            o############*
        +--------+---------+---------+---------+
        0.00s    0.15s     0.30s     0.45s 0.60s
legend: o first line  * last line
        # blocked in std::thread::sleep, holding its thread
";
        assert_eq!(picture, expected, "\n{picture}");
    }

    #[test]
    fn async_draws_rows_that_line_up() {
        let events = [
            event(0, 1, Phase::First),
            event(0, 2, Phase::First),
            event(1000, 1, Phase::Last),
            event(1000, 2, Phase::Last),
        ];
        let picture = render(
            &events,
            2,
            Duration::from_millis(1000),
            (Waiting::Free, Demo::Count),
            NARROW,
        );
        let expected = "\
task 1  o~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~*
task 2  o~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~*
        +--------+---------+---------+---------+
        0.00s    0.25s     0.50s     0.75s 1.00s
legend: o first line  * last line
        ~ sleeping, its thread free for other tasks
";
        assert_eq!(picture, expected, "\n{picture}");
    }

    #[test]
    fn many_tasks_draw_the_first_rows_and_count_the_rest() {
        let events: Vec<Event> = (1..=100_000)
            .flat_map(|t| [event(0, t, Phase::First), event(1000, t, Phase::Last)])
            .collect();
        let picture = render(
            &events,
            100_000,
            Duration::from_secs(1),
            (Waiting::Free, Demo::Count),
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
            event(0, 1, Phase::First),
            event(0, 1, Phase::Last),
            event(0, 2, Phase::First),
        ];
        let picture = render(
            &events,
            2,
            Duration::from_millis(500),
            (Waiting::Offloaded, Demo::Count),
            NARROW,
        );
        let lines: Vec<&str> = picture.lines().collect();
        assert_eq!(lines[0], "task 1  *");
        assert_eq!(lines[1], format!("task 2  o{}", "=".repeat(39)));
    }

    #[test]
    fn colour_only_when_asked() {
        let events = [event(0, 1, Phase::First), event(10, 1, Phase::Last)];
        let plain = render(
            &events,
            1,
            Duration::from_millis(10),
            (Waiting::Blocked, Demo::Count),
            NARROW,
        );
        assert!(!plain.contains('\x1b'));
        let coloured = Term {
            color: true,
            ..NARROW
        };
        let painted = render(
            &events,
            1,
            Duration::from_millis(10),
            (Waiting::Blocked, Demo::Count),
            coloured,
        );
        assert!(painted.contains("\x1b[31m#"), "{painted:?}");
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
