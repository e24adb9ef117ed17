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
use super::labels::{thousands, tick_label, ticks};
use super::lanes::{Kind, Lanes, State, ThreadLane, thread_legend};
use super::marks;
use super::palette::{INTERRUPTED, Role};
use crate::config::Term;
use crate::report::waiting::Waiting;
use crate::vocab::{Event, Park};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::Duration;

/// The glyph that fills a task's row while it waits.
const fn glyph(waiting: Waiting) -> char {
    Role::Wait(waiting).glyph()
}

/// At most this many task rows; the rest are counted in one line.
pub(crate) const MAX_ROWS: u32 = 10;

/// At most this many thread rows; the rest are counted in one line.
const MAX_THREAD_ROWS: usize = 8;

/// Columns per axis tick, at least: room for a label and a gap.
const COLUMNS_PER_TICK: usize = 8;

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

/// The timeline as text: the task rows, the thread rows, the axis and its
/// labels, and the legend of what was drawn.
fn render(
    (events, parks): (&[Event], &[Park]),
    summary: &Summary,
    elapsed: Duration,
    term: Term,
) -> String {
    let shown = summary.tasks.min(MAX_ROWS);
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
    let grid = Grid {
        label_width,
        width: term.width.saturating_sub(label_width + 2).max(20),
        span,
        color: term.color,
    };
    let mut picture = String::new();
    let drawn = task_rows(&mut picture, &grid, summary, &lanes, &marks);
    if summary.tasks > shown {
        let _ = writeln!(picture, "… {} more tasks", thousands(summary.tasks - shown));
    }
    thread_rows(&mut picture, &grid, &lanes, threads);
    axis(&mut picture, &grid);
    legend(&mut picture, &grid, summary, (&drawn, threads));
    picture
}

/// The rows' geometry: how wide the labels and the plot are, and the time
/// the plot spans.
struct Grid {
    label_width: usize,
    /// Columns of the plot, right of the labels.
    width: usize,
    span: Duration,
    color: bool,
}

impl Grid {
    /// The column of the plot at time `at`.
    fn column(&self, at: Duration) -> usize {
        if self.span.is_zero() {
            return 0;
        }
        (at.as_secs_f64() / self.span.as_secs_f64() * (self.width - 1) as f64).round() as usize
    }

    /// The time one column stands for.
    fn column_span(&self) -> Duration {
        self.span / u32::try_from(self.width - 1).unwrap_or(u32::MAX)
    }

    /// The blank space left of the axis, under the labels.
    fn indent(&self) -> String {
        " ".repeat(self.label_width + 2)
    }

    /// `c`, in its role's colour when the terminal has colour.
    fn paint(&self, c: char) -> String {
        match Role::of_glyph(c).filter(|_| self.color) {
            Some(role) => {
                let style = role.style();
                format!("{style}{c}{style:#}")
            }
            None => c.to_string(),
        }
    }

    /// A row of glyphs after its label, painted run by run, its trailing
    /// blanks dropped.
    fn row(&self, label: &str, cells: &[char]) -> String {
        let label_width = self.label_width;
        let mut row = format!("{label:<label_width$}  ");
        let used = cells.iter().rposition(|c| *c != ' ').map_or(0, |i| i + 1);
        let mut rest = &cells[..used];
        while let Some(&first) = rest.first() {
            let run = rest.iter().take_while(|c| **c == first).count();
            let text: String = rest[..run].iter().collect();
            if let Some(role) = Role::of_glyph(first).filter(|_| self.color) {
                let style = role.style();
                row.push_str(&format!("{style}{text}{style:#}"));
            } else {
                row.push_str(&text);
            }
            rest = &rest[run..];
        }
        row.trim_end().to_owned()
    }
}

/// What the task rows drew beside the tasks' own wait, for the legend.
struct Drawn {
    /// States other than the wait and ready (the lock demo's, overdue,
    /// queued): each gets a legend line, in the order first drawn.
    others: Vec<Role>,
    /// Whether a task never finished (its row ends with the mark).
    interrupted: bool,
}

/// Writes a row per task: its spans, its first and last line.
fn task_rows(
    picture: &mut String,
    grid: &Grid,
    summary: &Summary,
    lanes: &Lanes,
    marks: &[marks::Marks],
) -> Drawn {
    let waiting = Waiting::of(summary.mode, summary.work);
    let column_span = grid.column_span();
    let width = grid.width;
    let mut drawn = Drawn {
        others: Vec::new(),
        interrupted: false,
    };
    for (task, mark) in (1..).zip(marks) {
        let mut cells = vec![' '; width];
        // Every task's spans, a task that never started included: it was
        // ready all along, kept off the thread until a signal stopped the run.
        for span in lanes.task(task, mark) {
            // A wait for the thread or for a pool thread, or a poll,
            // shorter than a column is noise at this scale (a thread
            // starting up, a busy machine), and would come and go from run
            // to run.
            if span.to - span.from < column_span
                && matches!(span.state, State::Ready | State::Polled | State::Queued)
            {
                continue;
            }
            let role = Role::of_state(span.state, summary.work);
            // A poll is drawn in the threads' running colour, which their
            // legend line names.
            if role != Role::Wait(waiting)
                && role != Role::Ready
                && role != Role::Running
                && !drawn.others.contains(&role)
            {
                drawn.others.push(role);
            }
            let (from, to) = (grid.column(span.from), grid.column(span.to).min(width - 1));
            cells[from..=to].fill(role.glyph());
        }
        if let Some(first) = mark.first {
            cells[grid.column(first.at)] = 'o';
        }
        match mark.last {
            Some(last) => cells[grid.column(last.at)] = '*',
            // An unfinished task (a signal stopped the run): its wait (or
            // its wait for the thread) runs to the end of the row, and the
            // row ends with the interruption.
            None => {
                cells[width - 1] = INTERRUPTED;
                drawn.interrupted = true;
            }
        }
        picture.push_str(&grid.row(&format!("task {task}"), &cells));
        picture.push('\n');
    }
    drawn
}

/// Writes a row per thread of `threads` (the first of the lanes'), and a
/// line for those left out and for the workers parked all along.
fn thread_rows(picture: &mut String, grid: &Grid, lanes: &Lanes, threads: &[ThreadLane]) {
    let width = grid.width;
    for lane in threads {
        // Between its busy stretches: parked, or (no hook) not known.
        let between = match lane.kind {
            Kind::Unhooked => Role::NotPolling,
            Kind::Runtime | Kind::Pool => Role::Parked,
        };
        let mut cells = vec![between.glyph(); width];
        // Before the thread was first seen, nothing is drawn.
        cells[..grid.column(lane.from).min(width)].fill(' ');
        for (role, stretches) in [(Role::Running, &lane.busy), (Role::Held, &lane.held)] {
            for &(from, to) in stretches {
                cells[grid.column(from)..=grid.column(to).min(width - 1)].fill(role.glyph());
            }
        }
        picture.push_str(&grid.row(&lane.label, &cells));
        picture.push('\n');
    }
    match lanes.threads.len().saturating_sub(threads.len()) {
        0 => {}
        1 => picture.push_str("… 1 more thread\n"),
        more => {
            let _ = writeln!(picture, "… {more} more threads");
        }
    }
    if let Some(note) = lanes.idle_note() {
        let _ = writeln!(picture, "… {note}");
    }
}

/// Writes the axis: `+` at each round tick (1, 2 or 5 × 10^k seconds),
/// labelled with its time below.
fn axis(picture: &mut String, grid: &Grid) {
    let width = grid.width;
    let ticks = ticks(grid.span.as_secs_f64(), (width / COLUMNS_PER_TICK).max(1));
    let mut axis: Vec<char> = vec!['-'; width];
    let mut labels: Vec<char> = vec![' '; width];
    let mut free_from = 0; // first column a label may still use
    for &at in &ticks {
        let tick = grid.column(Duration::from_secs_f64(at)).min(width - 1);
        axis[tick] = '+';
        let label = tick_label(at, &ticks).replace(' ', "");
        // Labels start at their tick, except one that would run past the
        // end, which ends at it.
        let at = if tick + label.len() > width {
            (tick + 1).saturating_sub(label.len())
        } else {
            tick
        };
        if at >= free_from && at + label.len() <= width {
            labels.splice(at..at + label.len(), label.chars());
            free_from = at + label.len() + 1;
        }
    }
    let indent = grid.indent();
    let _ = writeln!(picture, "{indent}{}", axis.iter().collect::<String>());
    let labels: String = labels.iter().collect();
    let _ = writeln!(picture, "{indent}{}", labels.trim_end());
}

/// Writes the legend: a line per glyph the picture drew, in short lines,
/// so that it fits 80 columns whatever the wait's meaning. `(drawn,
/// threads)`: what the task rows drew, and the thread rows drawn.
fn legend(
    picture: &mut String,
    grid: &Grid,
    summary: &Summary,
    (drawn, threads): (&Drawn, &[ThreadLane]),
) {
    let (demo, work) = (summary.demo, summary.work);
    let waiting = Waiting::of(summary.mode, work);
    let paint = |c| grid.paint(c);
    let _ = writeln!(
        picture,
        "legend: o first line  * last line  {} {}",
        paint(Role::Ready.glyph()),
        Role::Ready.meaning(demo, work)
    );
    let _ = writeln!(
        picture,
        "        {} {}",
        paint(glyph(waiting)),
        waiting.meaning(demo, work)
    );
    for role in &drawn.others {
        let _ = writeln!(
            picture,
            "        {} {}",
            paint(role.glyph()),
            role.meaning(demo, work)
        );
    }
    if drawn.interrupted {
        // A task without a last line was stopped by a signal, its wait
        // failed (a fetch without a good reply records no last line), or
        // the lock demo deadlocked.
        let why = if summary.interrupted {
            "stopped by a signal, still waiting"
        } else if summary.deadlock.is_some() {
            "never finished: the run deadlocked"
        } else {
            "never finished: its wait failed"
        };
        let _ = writeln!(picture, "        {} {why}", paint(INTERRUPTED));
    }
    let mut entries = thread_legend(threads, (demo, work));
    // A runtime thread's running and parked share the first line.
    let parked = (Role::Parked, Role::Parked.meaning(demo, work));
    if let Some(at) = entries.iter().position(|e| *e == parked) {
        entries.remove(at);
        let running = entries.remove(0);
        let _ = writeln!(
            picture,
            "        {} {}  {} parked (idle)",
            paint(running.0.glyph()),
            running.1,
            paint(Role::Parked.glyph())
        );
    }
    for (role, words) in entries {
        let _ = writeln!(picture, "        {} {words}", paint(role.glyph()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;
    use crate::report::marks::testing::waits;
    use crate::state::tests::slept;
    use crate::vocab::testing::event;
    use crate::vocab::{Mode, Phase};

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
        let events = waits(&[(0, 200, 1), (200, 400, 1), (400, 600, 1)]);
        let picture = render(
            (&events, &[]),
            &summary(Mode::Blocking, 3, 200, true),
            Duration::from_millis(600),
            NARROW,
        );
        insta::assert_snapshot!(picture);
        let lines: Vec<&str> = picture.lines().collect();
        // The thread never parked, but ran no code: every column of its
        // lane is held by one task or the next.
        let lane = lines[3].strip_prefix("block_on thread  ").unwrap();
        assert!(!lane.is_empty() && lane.chars().all(|c| c == 'H'), "{lane}");
        // Each task starts where the last one ended: a staircase.
        let start = |line: &str| line.find('o').unwrap();
        let end = |line: &str| line.find('*').unwrap();
        assert_eq!(start(lines[1]), end(lines[0]));
        assert_eq!(start(lines[2]), end(lines[1]));
        assert!(lines.contains(&"        H runtime thread held in a blocking call (no CPU)"));
    }

    #[test]
    fn async_draws_rows_that_line_up() {
        let events = waits(&[(0, 1000, 1), (0, 1000, 1)]);
        let picture = render(
            (&events, &[]),
            &summary(Mode::Async, 2, 1000, false),
            Duration::from_millis(1000),
            NARROW,
        );
        insta::assert_snapshot!(picture);
        let lines: Vec<&str> = picture.lines().collect();
        assert_eq!(
            lines[0],
            lines[1].replace("task 2", "task 1"),
            "rows line up"
        );
        // Round ticks: 0, 0.2, 0.4 … 1.0 s, not quarters of the span.
        let labels: Vec<&str> = lines[3].split_whitespace().collect();
        assert_eq!(labels, ["0.0s", "0.2s", "0.4s", "0.6s", "0.8s", "1.0s"]);
        assert!(
            !picture.contains("held"),
            "nothing holds an async run's thread"
        );
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
            &Summary {
                interrupted: true,
                ..summary(Mode::SpawnBlocking, 2, 200, false)
            },
            Duration::from_millis(500),
            NARROW,
        );
        let lines: Vec<&str> = picture.lines().collect();
        assert_eq!(lines[0], "task 1  *");
        // Stopped by a signal: its wait runs to the end, where `!` says so,
        // and the legend says what `!` is.
        assert_eq!(lines[1], format!("task 2  o{}!", "=".repeat(38)));
        assert!(
            lines.contains(&"        ! stopped by a signal, still waiting"),
            "{picture}"
        );
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

    /// A task woken while the thread is busy elsewhere shows as ready;
    /// while the thread is still parked it was not (the timer had not
    /// fired, nobody woke it). The thread's lane shows it busy, then parked
    /// while every task sleeps, then busy again.
    #[test]
    fn the_thread_lane_and_a_late_last_line() {
        let events = waits(&[(0, 500, 1), (0, 1000, 1)]);
        let park = |ms, parked| Park {
            at: Duration::from_millis(ms),
            thread: 1,
            parked,
        };
        let parks = [park(1, true), park(499, false)];
        // Each task sleeps 250 ms, but the thread wakes only at 0.499 s;
        // it prints task 1's last line at 0.5 s and task 2's at 1 s.
        // Both timers fire when the thread wakes; task 2 is ready from
        // then until the thread gets to it.
        let observed: Vec<_> = [
            slept(1, 250.0, 499.0, 500.0),
            slept(2, 250.0, 499.0, 1000.0),
        ]
        .concat();
        let picture = render(
            (&events, &parks),
            &Summary {
                observed: crate::state::Observations {
                    events: observed,
                    parks: parks.to_vec(),
                    tallies: None,
                }
                .into(),
                ..summary(Mode::Async, 2, 250, true)
            },
            Duration::from_millis(1000),
            NARROW,
        );
        let lines: Vec<&str> = picture.lines().collect();
        // Task 1 was ready for 1 ms, less than a column: not drawn.
        // 31 columns after the label: 0.5 s is column 15, 1 s column 30.
        assert_eq!(lines[0], format!("task 1           o{}*", "~".repeat(14)));
        assert_eq!(
            lines[1],
            format!("task 2           o{}{}*", "~".repeat(14), ".".repeat(15)),
        );
        assert_eq!(
            lines[2],
            format!("block_on thread  x{}{}", "_".repeat(14), "x".repeat(16))
        );
        assert_eq!(
            lines[7],
            "        x runtime thread running code  _ parked (idle)"
        );
    }

    /// Ctrl-C during task 2's blocking wait: the picture shows what was
    /// happening then. Task 2's wait runs to the end of its row, task 3 was
    /// still ready (kept off the thread), and the thread was held, not
    /// parked.
    #[test]
    fn an_interrupted_blocking_run_shows_the_moment_it_stopped() {
        let events = [
            event(0, 1, Phase::First, 1),
            event(200, 1, Phase::Last, 1),
            event(200, 2, Phase::First, 1),
        ];
        let picture = render(
            (&events, &[]),
            &Summary {
                interrupted: true,
                ..summary(Mode::Blocking, 3, 200, true)
            },
            Duration::from_millis(300),
            NARROW,
        );
        insta::assert_snapshot!(picture);
        let lines: Vec<&str> = picture.lines().collect();
        assert!(lines[1].ends_with("#!"), "{picture}");
        assert!(
            lines[2].ends_with(".!"),
            "task 3 never got the thread: {picture}"
        );
        let lane = lines[3].strip_prefix("block_on thread  ").unwrap();
        assert!(lane.chars().all(|c| c == 'H'), "held to the end: {lane}");
        assert_eq!(
            lane.chars().count(),
            NARROW.width - "block_on thread  ".len()
        );
    }

    /// The axis of a 0.1 s run: steps of 0.02 s, not 0.03, 0.05, 0.08.
    #[test]
    fn the_axis_has_round_steps() {
        let events = [event(0, 1, Phase::First, 1), event(100, 1, Phase::Last, 1)];
        let picture = render(
            (&events, &[]),
            &summary(Mode::Async, 1, 100, false),
            Duration::from_millis(100),
            Term {
                width: 80,
                ..Term::PLAIN
            },
        );
        let lines: Vec<&str> = picture.lines().collect();
        let labels: Vec<&str> = lines[2].split_whitespace().collect();
        assert_eq!(
            labels,
            ["0.00s", "0.02s", "0.04s", "0.06s", "0.08s", "0.10s"],
            "{picture}"
        );
    }

    /// A fetch whose wait failed records no last line: its row ends in `!`
    /// too, but the legend says why, and it is no signal.
    #[test]
    fn a_failed_wait_is_not_called_a_signal() {
        let events = [event(0, 1, Phase::First, 1)];
        let failed = Summary {
            failed: 1,
            ..summary(Mode::Async, 1, 200, false)
        };
        let picture = render((&events, &[]), &failed, Duration::from_millis(500), NARROW);
        assert!(picture.lines().next().unwrap().ends_with('!'), "{picture}");
        assert!(
            picture.contains("! never finished: its wait failed"),
            "{picture}"
        );
        assert!(!picture.contains("signal"), "{picture}");
    }
}
