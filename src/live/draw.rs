//! The live view as a picture: what the view has seen, drawn into a
//! ratatui buffer. Pure, so the tests draw it without a terminal.
//!
//! The rows, top to bottom: a title; a lane per task for the first tasks
//! (as many as fit), then one density band for the rest, each column
//! showing the state most of them are in; a lane per runtime thread; the
//! counts; the legend. The glyphs and colours are those of `--timeline`,
//! so a learner who has seen one reads the other.

use super::{Counts, Plan, Sample, Seen, TaskState, Thread, counts, span};
use crate::report::palette::Role;
use crate::state;
use crate::vocab::{LockKind, Waiting};
use anstyle::AnsiColor;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use std::time::Duration;

/// How many rows of each kind the view has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rows {
    /// Task lanes, one task each.
    pub(crate) lanes: usize,
    /// Whether the tasks past the lanes get a density band.
    pub(crate) band: bool,
    /// Runtime thread lanes.
    pub(crate) threads: usize,
}

/// The tallest view: a learner watches a handful of lanes, and the demo's
/// own lines need room above it.
const MAX_HEIGHT: usize = 22;

/// Rows besides the lanes: the title, the counts and the legend's two.
const FIXED_ROWS: usize = 4;

/// At most this many thread lanes; past that, the last one stands for the
/// rest.
const MAX_THREAD_ROWS: usize = 4;

impl Rows {
    /// The rows of a view for `plan` on a screen `screen` rows high.
    pub(crate) fn fit(plan: &Plan, screen: u16) -> Rows {
        let budget = usize::from(screen).saturating_sub(2).min(MAX_HEIGHT);
        let threads = if plan.runtime {
            plan.threads.clamp(1, MAX_THREAD_ROWS)
        } else {
            0
        };
        let room = budget.saturating_sub(FIXED_ROWS + threads).max(1);
        let tasks = (plan.tasks as usize).min(super::MAX_LANES);
        if plan.tasks as usize <= room && tasks == plan.tasks as usize {
            Rows {
                lanes: tasks,
                band: false,
                threads,
            }
        } else {
            Rows {
                lanes: (room - 1).min(tasks),
                band: true,
                threads,
            }
        }
    }

    /// How tall the view is.
    pub(crate) fn height(self) -> u16 {
        let rows = FIXED_ROWS + self.lanes + usize::from(self.band) + self.threads;
        u16::try_from(rows).unwrap_or(u16::MAX)
    }
}

/// The glyph and colour of `role`, from the one palette that the
/// `--timeline` and the SVG use too, so a state looks the same in all three.
/// A role without a colour of its own (running code, parked) is drawn in
/// the terminal's own colour, and parked dim.
fn cell(role: Role) -> (char, Color) {
    let color = match role.ansi() {
        Some(AnsiColor::Green) => Color::Green,
        Some(AnsiColor::BrightGreen) => Color::LightGreen,
        Some(AnsiColor::BrightBlue) => Color::LightBlue,
        Some(AnsiColor::Red) => Color::Red,
        Some(AnsiColor::Blue) => Color::Blue,
        Some(AnsiColor::Magenta) => Color::Magenta,
        Some(AnsiColor::Yellow) => Color::Yellow,
        Some(AnsiColor::Cyan) => Color::Cyan,
        _ if role == Role::Parked => Color::DarkGray,
        _ => Color::Reset,
    };
    (role.glyph(), color)
}

/// The glyph and colour of a task's state; `None` draws nothing (done, or
/// not begun on a thread of its own).
fn task_glyph(plan: &Plan, state: TaskState) -> Option<(char, Color)> {
    match state {
        // Inside std's lock() a task holds its thread, as any blocking call
        // does: the model says held, the same glyph.
        TaskState::Is(state) => Some(cell(Role::of_state(state, plan.work))),
        TaskState::Done | TaskState::NotStarted => None,
    }
}

/// The glyph and colour of a runtime thread's state.
fn thread_glyph(state: Thread) -> (char, Color) {
    cell(match state {
        Thread::Running => Role::Running,
        Thread::Holding => Role::Held,
        Thread::Parked => Role::Parked,
    })
}

/// The width of the lane labels.
fn label_width(width: u16) -> u16 {
    if width >= 48 { 16 } else { 9 }
}

/// Draws the view of `plan`, having seen `seen`, into `area` of `buf`.
pub(crate) fn render(plan: &Plan, seen: &Seen, rows: Rows, area: Rect, buf: &mut Buffer) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let style = |color: Color| {
        if plan.color {
            Style::default().fg(color)
        } else {
            Style::default()
        }
    };
    let bold = if plan.color {
        Style::default().add_modifier(Modifier::BOLD)
    } else {
        Style::default()
    };
    let now = seen.now();
    let axis = span(plan.expected, now.at);
    let label = label_width(area.width);
    let plot = area.width.saturating_sub(label + 1);
    let mut y = area.y;
    let bottom = area.bottom();
    let line = |buf: &mut Buffer, y: &mut u16, text: &str, style: Style| {
        if *y < bottom {
            buf.set_stringn(area.x, *y, text, usize::from(area.width), style);
            *y += 1;
        }
    };
    line(buf, &mut y, &header(plan, now.at, axis, area.width), bold);
    // The time at the end of column `c`, and whether the run has reached
    // its start.
    // The time at the start of column `c`, if the run has got past it.
    let column = |c: u16| -> Option<Duration> {
        let from = axis.mul_f64(f64::from(c) / f64::from(plot.max(1)));
        (from < now.at).then_some(from)
    };
    let lane =
        |buf: &mut Buffer, y: u16, name: &str, cell: &dyn Fn(Duration) -> Option<(char, Color)>| {
            buf.set_stringn(area.x, y, name, usize::from(label), Style::default());
            // (Each caller has fitted `name` to the label's width.)
            for c in 0..plot {
                let Some(t) = column(c) else { break };
                if let Some((glyph, color)) = cell(t) {
                    let x = area.x + label + 1 + c;
                    buf[(x, y)].set_char(glyph).set_style(style(color));
                }
            }
        };
    for index in 0..rows.lanes.min(seen.lanes.len()) {
        if y >= bottom {
            break;
        }
        let n = index + 1;
        let name = fit_label(&[format!("task {n}"), format!("#{n}")], label);
        lane(buf, y, &name, &|t| task_glyph(plan, seen.state(index, t)));
        y += 1;
    }
    if rows.band && y < bottom {
        let first = rows.lanes + 1;
        let last = plan.tasks;
        let name = fit_label(
            &[
                format!("tasks {first}-{last}"),
                format!("{first}-{last}"),
                format!("tasks {first}+"),
                format!("{first}+"),
            ],
            label,
        );
        lane(buf, y, &name, &|t| {
            band_state(seen, rows.lanes, t).and_then(|s| task_glyph(plan, s))
        });
        y += 1;
    }
    if rows.threads > 0 {
        let labels = thread_labels(plan, &now);
        let shown = labels.len().min(rows.threads);
        for (index, name) in labels.iter().enumerate().take(shown) {
            if y >= bottom {
                break;
            }
            // The last row stands for every thread past it.
            let rest = index + 1 == rows.threads && labels.len() > rows.threads;
            let names = if rest {
                let more = labels.len() - index;
                vec![
                    format!("+{more} threads"),
                    format!("+{more} more"),
                    format!("+{more}"),
                ]
            } else {
                short_labels(name)
            };
            let name = fit_label(&names, label);
            lane(buf, y, &name, &|t| {
                let sample = seen.at(t)?;
                let state = if rest {
                    most_common(sample.threads.iter().skip(index).map(|(s, _)| *s))?
                } else {
                    sample.threads.get(index)?.0
                };
                Some(thread_glyph(state))
            });
            y += 1;
        }
        y += (rows.threads - shown) as u16;
    }
    let counted = counts(plan, &now);
    let width = usize::from(area.width);
    line(
        buf,
        &mut y,
        &fit_parts(&counts_parts(plan, counted), width),
        Style::default(),
    );
    for row in legend(plan) {
        if y >= bottom {
            break;
        }
        let mut x = area.x;
        for (glyph, color, words) in legend_fitted(&row, width) {
            if let Some(glyph) = glyph {
                buf.set_stringn(x, y, glyph.to_string(), 1, style(color));
                x += 1;
            }
            let room = usize::from(area.right().saturating_sub(x));
            x = buf.set_stringn(x, y, words, room, Style::default()).0;
        }
        y += 1;
    }
}

/// The width of `text` on a terminal.
fn width_of(text: &str) -> usize {
    crate::wrap::width(text)
}

/// `text` within `width` columns: whole, or cut after the last word that
/// fits, ending with `…`; a first word wider than that is cut.
fn ellipsized(text: &str, width: usize) -> String {
    if width_of(text) <= width {
        return text.to_owned();
    }
    let room = width.saturating_sub(1);
    let mut kept = String::new();
    for word in text.split(' ') {
        let next = if kept.is_empty() {
            word.to_owned()
        } else {
            format!("{kept} {word}")
        };
        if width_of(&next) > room {
            break;
        }
        kept = next;
    }
    if kept.is_empty() {
        kept = text.chars().take(room).collect();
    }
    let kept = kept.trim_end_matches([' ', '·', ',', ':']).to_owned();
    if width == 0 { kept } else { kept + "…" }
}

/// `parts` joined by ` · ` within `width`: as many as fit, from the
/// first, whole, then ` · …` when some were left out; the first alone,
/// ellipsized, when even it does not fit.
fn fit_parts(parts: &[String], width: usize) -> String {
    for keep in (1..=parts.len()).rev() {
        let mut text = parts[..keep].join(" · ");
        if keep < parts.len() {
            text.push_str(" · …");
        }
        if width_of(&text) <= width {
            return text;
        }
    }
    ellipsized(parts.first().map_or("", String::as_str), width)
}

/// The first of `names` (longest first) that fits `width`, or the last,
/// ellipsized.
fn fit_label(names: &[String], width: u16) -> String {
    let width = usize::from(width);
    names
        .iter()
        .find(|name| width_of(name) <= width)
        .cloned()
        .unwrap_or_else(|| ellipsized(names.last().map_or("", String::as_str), width))
}

/// A thread lane's label and its shorter forms: `block_on thread`, then
/// `block_on`, then `thread`.
fn short_labels(name: &str) -> Vec<String> {
    let mut names = vec![name.to_owned()];
    if let Some(n) = name.strip_prefix("worker ") {
        names.push(format!("w{n}"));
    } else if name.starts_with("took ") {
        names.push("took a core".to_owned());
        names.push("took".to_owned());
    } else if let Some(first) = name.strip_suffix(" thread") {
        names.push(first.to_owned());
        names.push("thread".to_owned());
    }
    names
}

/// The title row: the demo and its way, the driver, the time and the
/// axis, the less needed left out first where the row is narrow.
fn header(plan: &Plan, now: Duration, axis: Duration, width: u16) -> String {
    let title = format!("asyncdemo {} {}", plan.demo, plan.way);
    let time = format!("{:.1} s", now.as_secs_f64());
    let timed = format!("{time} (axis {:.1} s)", axis.as_secs_f64());
    let driver = plan.driver.clone();
    let candidates = [
        vec![title.clone(), driver.clone(), timed.clone()],
        vec![title.clone(), driver, time.clone()],
        vec![title.clone(), timed],
        vec![title.clone(), time],
    ];
    let width = usize::from(width);
    candidates
        .iter()
        .map(|parts| parts.join(" · "))
        .find(|text| width_of(text) <= width)
        .unwrap_or_else(|| ellipsized(&title, width))
}

/// The legend row `row` as drawn in `width` columns: tokio-console's names
/// where they fit, else the full words, else the short ones; items left
/// out whole from the end (a `…` says so) when even those do not fit.
fn legend_fitted(row: &[Item], width: usize) -> Vec<(Option<char>, Color, String)> {
    let render = |items: &[Item], words: fn(&Item) -> String, cut: bool| {
        let mut out: Vec<(Option<char>, Color, String)> = items
            .iter()
            .map(|item| (item.glyph, item.color, words(item)))
            .collect();
        if cut {
            out.push((None, Color::Reset, "…".to_owned()));
        }
        out
    };
    let columns = |drawn: &[(Option<char>, Color, String)]| -> usize {
        let gaps = drawn.len().saturating_sub(1) * 2;
        gaps + drawn
            .iter()
            .map(|(glyph, _, words)| usize::from(glyph.is_some()) + width_of(words))
            .sum::<usize>()
    };
    let forms: [fn(&Item) -> String; 3] = [
        |item| format!("{}{}", item.words, item.name),
        |item| item.words.to_owned(),
        |item| item.short.to_owned(),
    ];
    for words in forms {
        let drawn = render(row, words, false);
        if columns(&drawn) <= width {
            return spaced(drawn);
        }
    }
    // Items left out whole from the end (the rarest states come last),
    // the row's heading kept; a `…` says so where it has room.
    for keep in (1..row.len()).rev() {
        for cut in [true, false] {
            let drawn = render(&row[..keep], forms[2], cut);
            if columns(&drawn) <= width {
                return spaced(drawn);
            }
        }
    }
    let first = row
        .first()
        .map_or(String::new(), |item| item.words.to_owned());
    vec![(None, Color::Reset, ellipsized(&first, width))]
}

/// The items of a legend row with two spaces between them.
fn spaced(items: Vec<(Option<char>, Color, String)>) -> Vec<(Option<char>, Color, String)> {
    let last = items.len().saturating_sub(1);
    items
        .into_iter()
        .enumerate()
        .map(|(i, (glyph, color, words))| {
            let gap = if i < last { "  " } else { "" };
            (glyph, color, format!("{words}{gap}"))
        })
        .collect()
}

/// The state most of the tasks past the lanes are in at `t`; `None` when
/// they have all ended.
fn band_state(seen: &Seen, lanes: usize, t: Duration) -> Option<TaskState> {
    let sample = seen.at(t)?;
    let all = sample.model;
    let mut tally: Vec<(u32, TaskState)> = state::TaskState::ALL
        .iter()
        .map(|&s| (all.of(s), TaskState::Is(s)))
        .collect();
    tally.push((all.not_begun, TaskState::NotStarted));
    for lane in 0..lanes.min(seen.lanes.len()) {
        let mine = seen.state(lane, t);
        if let Some(entry) = tally.iter_mut().find(|(_, s)| *s == mine) {
            entry.0 = entry.0.saturating_sub(1);
        }
    }
    // The first in the model's order wins a tie.
    let (busiest, state) = tally.into_iter().rev().max_by_key(|(n, _)| *n)?;
    (busiest > 0).then_some(state)
}

/// The state most threads are in.
fn most_common(states: impl Iterator<Item = Thread>) -> Option<Thread> {
    let mut tally = [0usize; 3];
    for state in states {
        tally[state as usize] += 1;
    }
    let best = (0..3).max_by_key(|&i| (tally[i], std::cmp::Reverse(i)))?;
    (tally[best] > 0).then(|| [Thread::Running, Thread::Holding, Thread::Parked][best])
}

/// What each runtime thread lane is called, by the role it was seen in
/// (as the pictures label it, `report::lanes`): `block_on thread` for the
/// one thread of a current-thread runtime, and on a multi-thread one for
/// the thread that polls joined tasks (no worker, so it never parks in
/// tokio's hooks); `worker N` for the workers the runtime started with,
/// seen first; and a thread seen in a worker's loop after them took a
/// worker's core over (`block_in_place` moves it to a new thread). Which
/// worker's, the view cannot tell as it goes; the pictures say it.
fn thread_labels(plan: &Plan, now: &Sample) -> Vec<String> {
    let workers = plan.threads.saturating_sub(usize::from(plan.joined));
    let mut worker = 0;
    now.threads
        .iter()
        .map(|&(_, parked_ever)| {
            if plan.one_thread || (plan.joined && !parked_ever) {
                "block_on thread".to_owned()
            } else if worker < workers {
                worker += 1;
                format!("worker {worker}")
            } else {
                "took a worker's core".to_owned()
            }
        })
        .collect()
}

/// The parts of the counts row, most needed first: `3 of 10 done`, `1
/// holding the thread`, `6 ready, waiting`: the model's tally, each state
/// in words that fit the run, joined by ` · ` where they fit.
pub(crate) fn counts_parts(plan: &Plan, c: Counts) -> Vec<String> {
    let mut parts = vec![format!("{} of {} done", c.done, c.tasks)];
    for state in state::TaskState::ALL {
        let n = c.model.of(state);
        if n == 0 {
            continue;
        }
        let how = match state {
            state::TaskState::Sleeping if plan.demo == "fetch" => "awaiting a reply, thread free",
            state::TaskState::Sleeping if plan.demo == "query" => "awaiting an answer, thread free",
            state::TaskState::Sleeping => "sleeping, thread free",
            state::TaskState::Overdue => "overdue",
            state::TaskState::Held if plan.lock == Some(LockKind::Std) => {
                "blocked in std's lock(), holding the thread"
            }
            state::TaskState::Held if !plan.runtime => "blocked, each on a thread of its own",
            state::TaskState::Held if plan.one_thread => "holding the thread",
            state::TaskState::Held => "holding a thread",
            state::TaskState::InPool => "on the blocking pool",
            state::TaskState::Queued if plan.demo == "query" => "queued for a connection",
            state::TaskState::Queued => "queued for a pool thread",
            state::TaskState::Polled if plan.waiting == Waiting::Spinning => "spinning on the CPU",
            state::TaskState::Polled => "running",
            state::TaskState::Lock => "waiting for the lock, thread free",
            state::TaskState::Ready => "ready, waiting",
        };
        parts.push(format!("{n} {how}"));
    }
    if c.not_started > 0 {
        parts.push(format!("{} not started", c.not_started));
    }
    parts
}

/// One item of the legend: a glyph (if any), its colour, its words, the
/// words for a narrow row, and tokio-console's name for the state
/// (` (IDLE)`), shown where it fits.
#[derive(Clone, Copy)]
struct Item {
    glyph: Option<char>,
    color: Color,
    words: &'static str,
    short: &'static str,
    name: &'static str,
}

/// The legend, two rows: the tasks' states, with tokio-console's names,
/// and the threads'.
fn legend(plan: &Plan) -> [Vec<Item>; 2] {
    let (glyph, color) = cell(Role::Wait(plan.waiting));
    // A task of fetch or query awaits a socket or its connection, not a
    // timer: it has no deadline, so it is never overdue either.
    let awaits_an_answer = matches!(plan.demo, "fetch" | "query");
    let (wait, short, name) = match plan.waiting {
        Waiting::Free if awaits_an_answer => {
            (" awaiting an answer, thread free", " awaiting", " (IDLE)")
        }
        Waiting::Free => (" sleeping, thread free", " sleeping", " (IDLE)"),
        Waiting::Blocked => (" blocked, holding the thread", " blocked", " (RUNNING)"),
        Waiting::Offloaded => (" on the blocking pool", " on the pool", " (IDLE)"),
        Waiting::Spinning => (" spinning on the CPU", " spinning", " (RUNNING)"),
    };
    let item = |role: Role, words: &'static str, short: &'static str, name: &'static str| {
        let (glyph, color) = cell(role);
        Item {
            glyph: Some(glyph),
            color,
            words,
            short,
            name,
        }
    };
    let words = |words: &'static str, short: &'static str| Item {
        glyph: None,
        color: Color::Reset,
        words,
        short,
        name: "",
    };
    let mut tasks = vec![
        words("tasks:", "tasks:"),
        Item {
            glyph: Some(glyph),
            color,
            words: wait,
            short,
            name,
        },
    ];
    match plan.lock {
        Some(LockKind::Std) => tasks.push(item(
            Role::Wait(Waiting::Blocked),
            " in std's lock()",
            " in lock()",
            " (RUNNING)",
        )),
        Some(_) => tasks.push(item(
            Role::Lock,
            " waiting for the lock",
            " lock wait",
            " (IDLE)",
        )),
        None => {}
    }
    tasks.push(item(Role::Ready, " ready, waiting", " ready", " (SCHED)"));
    // Only a run whose tasks sleep on timers can see a deadline pass with
    // nobody to fire it; only the pool has a queue.
    if (plan.waiting == Waiting::Free && !awaits_an_answer) || plan.lock.is_some() {
        tasks.push(item(Role::Overdue, " overdue", " overdue", " (IDLE)"));
    }
    if plan.demo == "query" {
        tasks.push(item(
            Role::Queued,
            " queued for a connection",
            " queued",
            "",
        ));
    } else if plan.waiting == Waiting::Offloaded {
        tasks.push(item(Role::Queued, " queued for the pool", " queued", ""));
    }
    let threads = if plan.runtime {
        let mut row = vec![
            words("threads:", "threads:"),
            item(Role::Running, " running code", " running", ""),
        ];
        if plan.waiting == Waiting::Blocked {
            row.push(item(Role::Held, " held in a blocking call", " held", ""));
        } else if plan.lock == Some(LockKind::Std) {
            row.push(item(Role::Held, " held in std's lock()", " held", ""));
        }
        row.push(item(Role::Parked, " parked", " parked", ""));
        row
    } else {
        vec![words(
            "threads: no runtime, each task on an OS thread of its own",
            "threads: none, an OS thread per task",
        )]
    };
    [tasks, threads]
}

#[cfg(test)]
mod tests {
    use super::super::LiveState;
    use super::super::tests::plan;
    use super::*;
    use crate::state::{Counts as Tally, LaneChange, TaskState as S};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A tick at `at` ms: the model's tally, and the threads.
    fn sample(at: u64, model: Tally, threads: &[Thread]) -> Sample {
        Sample {
            at: ms(at),
            model,
            threads: threads.iter().map(|&t| (t, true)).collect(),
            ..Sample::default()
        }
    }

    /// A lane: from each time (ms), the state (`None`: ended); a sleep is
    /// due one second after it began.
    fn lane(changes: &[(u64, Option<S>)]) -> Vec<LaneChange> {
        changes
            .iter()
            .map(|&(at, state)| LaneChange::test(ms(at), state, Some(ms(at + 1000))))
            .collect()
    }

    /// The screen's rows as text, trailing blanks dropped.
    fn screen(plan: &Plan, seen: &Seen, width: u16) -> Vec<String> {
        let rows = Rows::fit(plan, 30);
        let mut terminal = Terminal::new(TestBackend::new(width, rows.height())).unwrap();
        terminal
            .draw(|frame| render(plan, seen, rows, frame.area(), frame.buffer_mut()))
            .unwrap();
        let buffer = terminal.backend().buffer();
        (0..buffer.area.height)
            .map(|y| {
                let row: String = (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect();
                row.trim_end().to_owned()
            })
            .collect()
    }

    /// A blocking run of three one-second tasks, two seconds in: task 1
    /// done, task 2 blocked since 1 s, task 3 ready all along, the thread
    /// held throughout.
    fn blocking_at_two_seconds() -> (Plan, Seen) {
        let plan = Plan {
            waiting: Waiting::Blocked,
            way: "-m blocking".into(),
            expected: ms(3000),
            ..plan(Waiting::Blocked, 3)
        };
        let mut seen = Seen::default();
        for at in (0..=2000).step_by(100) {
            let model = if at < 1000 {
                Tally::test(&[(S::Held, 1), (S::Ready, 2)], 0)
            } else {
                Tally::test(&[(S::Held, 1), (S::Ready, 1)], 1)
            };
            seen.push(sample(at, model, &[Thread::Holding]));
        }
        seen.lanes = vec![
            lane(&[(0, Some(S::Held)), (1000, None)]),
            lane(&[(0, Some(S::Ready)), (1000, Some(S::Held))]),
            lane(&[(0, Some(S::Ready))]),
        ];
        (plan, seen)
    }

    /// A query's legend says what its tasks wait for (an answer, or a
    /// free connection), and has no overdue: nothing there arms a timer.
    #[test]
    fn a_query_legend_names_the_answer_and_the_connection_queue() {
        let query = Plan {
            demo: "query",
            ..plan(Waiting::Free, 4)
        };
        let words =
            |plan: &Plan| -> String { legend(plan)[0].iter().map(|item| item.words).collect() };
        let said = words(&query);
        assert!(said.contains("awaiting an answer, thread free"), "{said}");
        assert!(said.contains("queued for a connection"), "{said}");
        assert!(!said.contains("overdue"), "{said}");
        let count = words(&plan(Waiting::Free, 4));
        assert!(
            count.contains("sleeping, thread free") && count.contains("overdue"),
            "{count}"
        );
    }

    #[test]
    fn a_blocking_run_draws_a_staircase_and_a_held_thread() {
        let (plan, seen) = blocking_at_two_seconds();
        let rows = screen(&plan, &seen, 77);
        // 60 columns of plot for 3 s: 20 columns a second.
        let plot = |row: &str| row.get(17..).unwrap_or_default().to_owned();
        assert!(
            rows[0].starts_with("asyncdemo count -m blocking"),
            "{rows:#?}"
        );
        assert_eq!(plot(&rows[1]), "#".repeat(20), "{rows:#?}");
        assert_eq!(
            plot(&rows[2]),
            ".".repeat(20) + &"#".repeat(20),
            "{rows:#?}"
        );
        assert_eq!(plot(&rows[3]), ".".repeat(40), "{rows:#?}");
        assert!(rows[4].starts_with("block_on thread"), "{rows:#?}");
        // Held, as the --timeline draws it: the same glyph from one palette.
        assert_eq!(plot(&rows[4]), "H".repeat(40), "{rows:#?}");
        assert_eq!(
            rows[5],
            "1 of 3 done · 1 holding the thread · 1 ready, waiting"
        );
        assert_eq!(
            rows[6],
            "tasks:  # blocked, holding the thread (RUNNING)  . ready, waiting (SCHED)"
        );
        assert_eq!(
            rows[7],
            "threads:  x running code  H held in a blocking call  _ parked"
        );
    }

    /// The lock demo, two seconds in: three one-second tasks, task 1
    /// holding the lock across its sleep from 0.1 s, task 2 asking for it
    /// at 0.2 s. With std's lock task 2 blocks the thread inside `lock()`
    /// (task 3 is never polled); with tokio's, tasks 2 and 3 both ask and
    /// return `Pending`, task 1 finishes at 1.1 s and task 2 gets the lock.
    fn lock_at_two_seconds(lock: LockKind, width: u16) -> Vec<String> {
        let plan = Plan {
            demo: "lock",
            way: format!("--lock {}", lock.name()),
            lock: Some(lock),
            expected: ms(3000),
            ..plan(Waiting::Free, 3)
        };
        let std = lock == LockKind::Std;
        let mut seen = Seen::default();
        for at in (0..=2000).step_by(100) {
            // As the model's tally would count: with std's lock the thread
            // is held from 0.2 s, so task 1's deadline (1.1 s) passes with
            // nobody to fire its timer.
            let model = match at {
                0 => Tally::test(&[(S::Ready, 3)], 0),
                100 => Tally::test(&[(S::Sleeping, 1), (S::Ready, 2)], 0),
                _ if std && at <= 1100 => {
                    Tally::test(&[(S::Sleeping, 1), (S::Held, 1), (S::Ready, 1)], 0)
                }
                _ if std => Tally::test(&[(S::Overdue, 1), (S::Held, 1), (S::Ready, 1)], 0),
                _ if at < 1100 => Tally::test(&[(S::Sleeping, 1), (S::Lock, 2)], 0),
                _ => Tally::test(&[(S::Sleeping, 1), (S::Lock, 1)], 1),
            };
            let thread = if std && at >= 200 {
                Thread::Holding
            } else if at >= 200 {
                Thread::Parked
            } else {
                Thread::Running
            };
            seen.push(sample(at, model, &[thread]));
        }
        seen.lanes = if std {
            vec![
                lane(&[(0, Some(S::Ready)), (100, Some(S::Sleeping))]),
                lane(&[(0, Some(S::Ready)), (200, Some(S::Held))]),
                lane(&[(0, Some(S::Ready))]),
            ]
        } else {
            vec![
                lane(&[(0, Some(S::Ready)), (100, Some(S::Sleeping)), (1100, None)]),
                lane(&[
                    (0, Some(S::Ready)),
                    (200, Some(S::Lock)),
                    (1100, Some(S::Sleeping)),
                ]),
                lane(&[(0, Some(S::Ready)), (200, Some(S::Lock))]),
            ]
        };
        screen(&plan, &seen, width)
    }

    #[test]
    fn a_std_lock_held_across_await_draws_the_deadlock() {
        let rows = lock_at_two_seconds(LockKind::Std, 110);
        // 93 columns of plot for 3 s: about 31 a second, so 0.2 s is
        // column 6 or 7.
        let plot = |row: &str| row.get(17..).unwrap_or_default().to_owned();
        assert!(
            rows[0].starts_with("asyncdemo lock --lock std"),
            "{rows:#?}"
        );
        // Task 2 is inside lock() from 0.2 s to now, holding the thread.
        let task2 = plot(&rows[2]);
        let before = task2.chars().take_while(|&c| c == '.').count();
        assert!((5..=7).contains(&before), "{rows:#?}");
        assert!(task2[before..].chars().all(|c| c == '#'), "{rows:#?}");
        // Task 1 slept its second, then is overdue for good: the thread
        // that would fire its timer is held by task 2, so nobody wakes it.
        // (Not ready: its waker was never called.)
        let task1 = plot(&rows[1]);
        assert!(task1.ends_with('^'), "{rows:#?}");
        assert!(task1.trim_end_matches('^').ends_with('~'), "{rows:#?}");
        assert!(plot(&rows[3]).chars().all(|c| c == '.'), "{rows:#?}");
        assert!(plot(&rows[4]).ends_with("HHHH"), "{rows:#?}");
        // Task 1 is overdue; only task 3 (never polled) is ready.
        assert_eq!(
            rows[5],
            "0 of 3 done · 1 blocked in std's lock(), holding the thread · 1 overdue · 1 ready, waiting"
        );
        assert!(
            rows[6].starts_with(
                "tasks:  ~ sleeping, thread free  # in std's lock()  . ready, waiting  ^ overdue"
            ),
            "{rows:#?}"
        );
        assert_eq!(
            rows[7],
            "threads:  x running code  H held in std's lock()  _ parked"
        );
    }

    #[test]
    fn tokios_lock_draws_its_waiters_with_their_thread_free() {
        let rows = lock_at_two_seconds(LockKind::Tokio, 100);
        let plot = |row: &str| row.get(17..).unwrap_or_default().to_owned();
        assert!(
            rows[0].starts_with("asyncdemo lock --lock tokio"),
            "{rows:#?}"
        );
        // Task 2 waits for the lock until task 1 releases it, then sleeps.
        let task2 = plot(&rows[2]);
        let waited = task2.chars().filter(|&c| c == ':').count();
        assert!(waited >= 20 && task2.ends_with('~'), "{rows:#?}");
        // Task 3 still waits, and the thread is parked: nobody holds it.
        assert!(plot(&rows[3]).ends_with("::::"), "{rows:#?}");
        assert!(plot(&rows[4]).ends_with("____"), "{rows:#?}");
        assert_eq!(
            rows[5],
            "1 of 3 done · 1 sleeping, thread free · 1 waiting for the lock, thread free"
        );
        assert_eq!(
            rows[6],
            "tasks:  ~ sleeping, thread free  : waiting for the lock  . ready, waiting  ^ overdue"
        );
    }

    /// The runs the narrow-width test draws: each kind of driver, a lock,
    /// no runtime, and a band of a million tasks.
    fn every_kind_of_view() -> Vec<(Plan, Seen)> {
        let (blocking, seen) = blocking_at_two_seconds();
        let mut views = vec![(blocking.clone(), seen.clone())];
        let workers = Plan {
            driver: "4 workers, joined".into(),
            way: "-m block-in-place".into(),
            one_thread: false,
            joined: true,
            threads: 5,
            ..blocking.clone()
        };
        let mut many = seen.clone();
        for sample in &mut many.samples {
            sample.threads = vec![(Thread::Running, false)];
            sample.threads.extend([(Thread::Holding, true); 4]);
        }
        views.push((workers, many));
        for lock in [LockKind::Std, LockKind::Tokio] {
            let plan = Plan {
                demo: "lock",
                way: format!(
                    "--lock {}",
                    if lock == LockKind::Std {
                        "std"
                    } else {
                        "tokio"
                    }
                ),
                lock: Some(lock),
                waiting: Waiting::Free,
                ..blocking.clone()
            };
            views.push((plan, seen.clone()));
        }
        let threads = Plan {
            way: "-m threads".into(),
            driver: "a thread per task".into(),
            runtime: false,
            one_thread: false,
            threads: 0,
            ..blocking.clone()
        };
        views.push((threads, seen.clone()));
        let band = Plan {
            tasks: 1_000_000,
            way: "-m spawn-blocking".into(),
            waiting: Waiting::Offloaded,
            ..blocking
        };
        let mut wide = seen;
        for sample in &mut wide.samples {
            sample.started = 1_000_000;
            sample.done = 400_000;
            sample.model = Tally::test(&[(S::InPool, 400_000), (S::Ready, 200_000)], 400_000);
        }
        wide.lanes = vec![wide.lanes[1].clone(); super::super::MAX_LANES];
        views.push((band, wide));
        views
    }

    /// The words of `row` (whitespace-separated), `…` aside.
    fn words(row: &str) -> Vec<&str> {
        row.split_whitespace().filter(|w| *w != "…").collect()
    }

    /// At 40 and 60 columns every row of the view fits, and every word on
    /// it is a whole word of the same view drawn wide: items are dropped
    /// whole or shortened to words of their own, never cut mid-word.
    #[test]
    fn every_row_fits_a_narrow_terminal_without_cutting_a_word() {
        for (plan, seen) in every_kind_of_view() {
            let wide = screen(&plan, &seen, 300);
            let wide_words: Vec<&str> = wide.iter().flat_map(|row| words(row)).collect();
            // The short forms a narrow row may use instead.
            let short = [
                "runtime", "block_on", "w1", "w2", "w3", "w4", "blocked", "sleeping", "ready",
                "lock", "wait", "lock()", "running", "held", "pool", "none,", "an", "OS", "per",
                "task", "more", "took", "a", "core",
            ];
            for width in [40u16, 60] {
                let rows = screen(&plan, &seen, width);
                assert_eq!(rows.len(), wide.len(), "{rows:#?}");
                for row in &rows {
                    assert!(
                        width_of(row) <= usize::from(width),
                        "{width}: {row:?} is too wide"
                    );
                }
                let label = usize::from(label_width(width));
                let lanes = 1..rows.len() - 3;
                for (i, row) in rows.iter().enumerate() {
                    // A lane's label, not its glyphs.
                    let text = if lanes.contains(&i) {
                        row.chars().take(label).collect::<String>()
                    } else {
                        row.clone()
                    };
                    for word in words(&text) {
                        let word = word.trim_end_matches('…');
                        assert!(
                            wide_words.contains(&word)
                                || short.contains(&word)
                                || word.ends_with('+'),
                            "{width}: {word:?} of {text:?} is cut\n{rows:#?}\nwide: {wide:#?}"
                        );
                    }
                }
                // Every state the wide legend explains and the lanes draw
                // is still in the legend.
                let legend = rows[rows.len() - 2..].join(" ");
                let wide_legend = wide[wide.len() - 2..].join(" ");
                for glyph in ['#', '.', 'H'] {
                    let drawn = rows[lanes.clone()]
                        .iter()
                        .any(|r| r.chars().skip(label).any(|c| c == glyph));
                    let item = format!("{glyph} ");
                    if drawn && wide_legend.contains(&item) {
                        assert!(
                            legend.contains(&item),
                            "{width}: {glyph} unexplained: {rows:#?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn narrow_rows_drop_items_whole_or_end_with_an_ellipsis() {
        let parts: Vec<String> = ["1 of 3 done", "1 holding the thread", "1 ready, waiting"]
            .map(str::to_owned)
            .to_vec();
        assert_eq!(fit_parts(&parts, 80), parts.join(" · "));
        assert_eq!(
            fit_parts(&parts, 40),
            "1 of 3 done · 1 holding the thread · …"
        );
        assert_eq!(fit_parts(&parts, 20), "1 of 3 done · …");
        assert_eq!(fit_parts(&parts, 10), "1 of 3…");
        assert_eq!(ellipsized("current-thread runtime", 18), "current-thread…");
        assert_eq!(ellipsized("abcdefgh", 4), "abc…");
        let label = |names: &[&str], width| {
            fit_label(
                &names.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
                width,
            )
        };
        assert_eq!(
            label(&["runtime thread", "runtime", "thread"], 9),
            "runtime"
        );
        assert_eq!(label(&["runtime thread", "runtime"], 16), "runtime thread");
    }

    #[test]
    fn the_lanes_fit_the_width() {
        let (plan, seen) = blocking_at_two_seconds();
        for width in [20, 40, 100, 200] {
            let rows = screen(&plan, &seen, width);
            let glyphs = rows[3].chars().filter(|&c| c == '.').count();
            let plot = usize::from(width - label_width(width) - 1);
            // Two seconds of a three-second axis.
            assert!(
                glyphs.abs_diff(plot * 2 / 3) <= 1,
                "{glyphs} of {plot} at width {width}: {rows:#?}"
            );
            assert!(rows.iter().all(|r| r.chars().count() <= usize::from(width)));
        }
    }

    #[test]
    fn many_tasks_share_a_density_band() {
        let plan = Plan {
            expected: ms(1000),
            ..plan(Waiting::Free, 1_000_000)
        };
        let mut seen = Seen::default();
        // Every task is asleep by 0.4 s; by 1.1 s, 600,000 are done and the
        // others woken, waiting to be polled.
        for at in (0..=1500).step_by(50) {
            let model = match at {
                _ if at < 400 => Tally::test(&[(S::Ready, 1_000_000)], 0),
                _ if at < 1100 => Tally::test(&[(S::Sleeping, 1_000_000)], 0),
                _ => Tally::test(&[(S::Ready, 400_000)], 600_000),
            };
            seen.push(sample(at, model, &[Thread::Running]));
        }
        seen.lanes = vec![
            lane(&[
                (0, Some(S::Ready)),
                (100, Some(S::Sleeping)),
                (1100, Some(S::Ready))
            ]);
            super::super::MAX_LANES
        ];
        let rows = Rows::fit(&plan, 30);
        assert!(rows.band && rows.lanes >= 1);
        let text = screen(&plan, &seen, 100);
        let band = &text[1 + rows.lanes];
        assert!(
            band.starts_with(&format!("tasks {}-1000000", rows.lanes + 1)),
            "{text:#?}"
        );
        // Ready before 0.4 s (created, not yet polled), then asleep, then
        // from 1.4 s, their second over, woken and ready again.
        let plot: String = band.chars().skip(17).collect();
        assert!(plot.starts_with('.'), "{plot}");
        assert!(plot.contains('~'), "{plot}");
        assert!(plot.ends_with('.'), "{plot}");
        let counts = &text[text.len() - 3];
        assert_eq!(counts, "600000 of 1000000 done · 400000 ready, waiting");
    }

    /// Without colour every state still has a glyph of its own; with it,
    /// the glyphs are coloured as in `--timeline`.
    #[test]
    fn colour_only_when_asked() {
        let (plan, seen) = blocking_at_two_seconds();
        for color in [false, true] {
            let plan = Plan {
                color,
                ..plan.clone()
            };
            let rows = Rows::fit(&plan, 30);
            let mut buf = Buffer::empty(Rect::new(0, 0, 77, rows.height()));
            render(&plan, &seen, rows, buf.area, &mut buf);
            let fg = buf[(17, 1)].fg;
            assert_eq!(buf[(17, 1)].symbol(), "#");
            assert_eq!(fg == Color::Red, color, "colour {color}: {fg:?}");
        }
    }

    #[test]
    fn a_tiny_screen_still_draws_without_panicking() {
        let (plan, seen) = blocking_at_two_seconds();
        for (w, h) in [(1, 1), (5, 3), (30, 4)] {
            let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
            render(&plan, &seen, Rows::fit(&plan, h), buf.area, &mut buf);
        }
    }

    /// From events to the screen: the lane of a task grows as time passes.
    #[test]
    fn a_lane_grows_as_the_run_goes() {
        let plan = Plan {
            expected: ms(400),
            ..plan(Waiting::Free, 1)
        };
        let state = LiveState::new(Waiting::Free);
        state.start(std::time::Instant::now());
        let log = std::sync::Arc::new(crate::state::Log::new(false));
        log.tally(1, crate::state::Birth::AtStart, 1);
        log.started(tokio::time::Instant::now());
        state.attach(std::sync::Arc::clone(&log));
        // Task 1 is polled, arms a one-second timer and returns Pending.
        let watcher = crate::state::Watcher(std::sync::Arc::clone(&log));
        use crate::events::PollFollower;
        watcher.poll_began(1, std::time::Instant::now());
        log.armed(1, tokio::time::Instant::now() + ms(1000));
        watcher.poll_returned(1, std::time::Instant::now(), Duration::ZERO, false);
        let mut seen = Seen::default();
        let mut lengths = Vec::new();
        for _ in 0..2 {
            std::thread::sleep(ms(60));
            seen.push(state.sample());
            seen.lanes = vec![state.lane(0)];
            let rows = screen(&plan, &seen, 77);
            lengths.push(rows[1].matches('~').count());
        }
        assert!(lengths[0] >= 1 && lengths[1] > lengths[0], "{lengths:?}");
    }
}
