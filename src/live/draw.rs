//! The live view as a picture: what the view has seen, drawn into a
//! ratatui buffer. Pure, so the tests draw it without a terminal.
//!
//! The rows, top to bottom: a title; a lane per task for the first tasks
//! (as many as fit), then one density band for the rest, each column
//! showing the state most of them are in; a lane per runtime thread; the
//! counts; the legend. The glyphs and colours are those of `--timeline`,
//! so a learner who has seen one reads the other.

use super::{LaneState, Plan, Seen, Thread, span};
use crate::report::lanes::ThreadLane;
use crate::report::palette::Role;
use crate::report::waiting::Waiting;
use crate::state;
use crate::vocab::{Demo, LockKind, Peer, PeerKind};
use anstyle::AnsiColor;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use std::time::Duration;

/// How many rows of each kind the view has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ViewRows {
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
const MAX_THREAD_ROWS: usize = 6;

impl ViewRows {
    /// The rows of a view for `plan` on a screen `screen` rows high.
    pub(crate) fn fit(plan: &Plan, screen: u16) -> ViewRows {
        let budget = usize::from(screen).saturating_sub(2).min(MAX_HEIGHT);
        // Room for the lanes the run may need, and for the line that
        // counts the workers parked all along; never more than half the
        // rows the lanes share.
        let idle_line = usize::from(plan.lanes.1 > 0);
        let threads = if plan.runtime {
            (plan.threads + idle_line)
                .min(MAX_THREAD_ROWS)
                .min(budget.saturating_sub(FIXED_ROWS) / 2)
                .max(1)
        } else {
            0
        };
        let room = budget.saturating_sub(FIXED_ROWS + threads).max(1);
        let tasks = (plan.tasks as usize).min(super::MAX_LANES);
        if plan.tasks as usize <= room && tasks == plan.tasks as usize {
            ViewRows {
                lanes: tasks,
                band: false,
                threads,
            }
        } else {
            ViewRows {
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
fn task_glyph(plan: &Plan, state: LaneState) -> Option<(char, Color)> {
    match state {
        // Inside std's lock() a task holds its thread, as any blocking call
        // does: the model says held, the same glyph.
        LaneState::Is(state) => Some(cell(Role::of_state(state, plan.work))),
        LaneState::Done | LaneState::NotStarted => None,
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
pub(crate) fn render(plan: &Plan, seen: &Seen, rows: ViewRows, area: Rect, buf: &mut Buffer) {
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
    // The time column `c` shows, if the run has got past its start: its
    // start, or for the column the run is in, now, so that the lanes end
    // with each task's state at this very moment (a stepped replay's).
    let column = |c: u16| -> Option<Duration> {
        let from = axis.mul_f64(f64::from(c) / f64::from(plot.max(1)));
        let to = axis.mul_f64(f64::from(c + 1) / f64::from(plot.max(1)));
        (from < now.at).then_some(if to > now.at { now.at } else { from })
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
        // The lanes by the pictures' own rule, from what the threads were
        // seen doing up to now: a thread gets a lane once seen at work.
        let (lanes, idle) = seen.threads.lanes(now.at, plan.lanes, plan.pool_holds);
        let top = y;
        // The last row stands for every thread past it.
        let rest = lanes.len() > rows.threads;
        let shown = if rest { rows.threads - 1 } else { lanes.len() };
        for thread in &lanes[..shown] {
            if y >= bottom {
                break;
            }
            let mut names = vec![thread.label.clone(), thread.short.clone()];
            names.extend(short_labels(&thread.short));
            let name = fit_label(&names, label);
            lane(buf, y, &name, &|t| {
                thread_state(thread, t).map(thread_glyph)
            });
            y += 1;
        }
        if rest && y < bottom {
            let more = lanes.len() - shown;
            let names = [
                format!("+{more} threads"),
                format!("+{more} more"),
                format!("+{more}"),
            ];
            let others = &lanes[shown..];
            lane(buf, y, &fit_label(&names, label), &|t| {
                most_common(others.iter().filter_map(|l| thread_state(l, t))).map(thread_glyph)
            });
        } else if let Some(note) =
            crate::report::lanes::idle_note(idle).filter(|_| shown < rows.threads && y < bottom)
        {
            // The workers that did nothing a lane could show: one line, in
            // the pictures' words.
            let note = format!("… {note}");
            buf.set_stringn(
                area.x,
                y,
                ellipsized(&note, usize::from(area.width)),
                usize::from(area.width),
                Style::default(),
            );
        }
        // The rows kept for lanes that no thread has needed yet stay
        // blank, so the counts and the legend keep their place as lanes
        // appear.
        y = top + rows.threads as u16;
    }
    let width = usize::from(area.width);
    line(
        buf,
        &mut y,
        &fit_parts(&counts_parts(plan, now.model), width),
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
pub(super) fn fit_parts(parts: &[String], width: usize) -> String {
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
/// `block_on`, then `thread`; `pool thread 2`, `pool 2`, `p2`.
fn short_labels(name: &str) -> Vec<String> {
    let mut names = vec![name.to_owned()];
    if let Some(n) = name.strip_prefix("worker ") {
        names.push(format!("w{n}"));
    } else if let Some(n) = name.strip_prefix("pool thread ") {
        names.push(format!("pool {n}"));
        names.push(format!("p{n}"));
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
fn legend_fitted(row: &[LegendItem], width: usize) -> Vec<(Option<char>, Color, String)> {
    let render = |items: &[LegendItem], words: fn(&LegendItem) -> String, cut: bool| {
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
    let forms: [fn(&LegendItem) -> String; 3] = [
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
fn band_state(seen: &Seen, lanes: usize, t: Duration) -> Option<LaneState> {
    let sample = seen.at(t)?;
    let all = sample.model;
    let mut tally: Vec<(u32, LaneState)> = state::TaskState::ALL
        .iter()
        .map(|&s| (all.of(s), LaneState::Is(s)))
        .collect();
    tally.push((all.not_begun, LaneState::NotStarted));
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

/// What `lane`'s thread was doing at `t`: held in a blocking call,
/// running, or parked; nothing before it was first seen at work (a pool
/// thread, or one that took a core over, may not have existed yet).
fn thread_state(lane: &ThreadLane, t: Duration) -> Option<Thread> {
    let within = |list: &[(Duration, Duration)]| list.iter().any(|&(a, b)| a <= t && t <= b);
    // (A thread seen only parking, which the rule still gives a lane,
    // is drawn parked throughout, as the pictures draw it.)
    let first = lane.busy.first().map_or(Duration::ZERO, |b| b.0);
    if t < first {
        None
    } else if within(&lane.held) {
        Some(Thread::Holding)
    } else if within(&lane.busy) {
        Some(Thread::Running)
    } else {
        Some(Thread::Parked)
    }
}

/// What the plan's demo waits on, from its row of the demo table, when it
/// is a peer (a server, a database with its own queue).
fn peer_of(plan: &Plan) -> Option<&'static Peer> {
    <Demo as clap::ValueEnum>::from_str(plan.demo, false)
        .ok()
        .and_then(Demo::peer)
}

/// The parts of the counts row, most needed first: `3 of 10 done`, `1
/// holding the thread`, `6 ready, waiting`: the model's tally, each state
/// in words that fit the run, joined by ` · ` where they fit.
pub(crate) fn counts_parts(plan: &Plan, c: state::Counts) -> Vec<String> {
    let mut parts = vec![format!("{} of {} done", c.done, plan.tasks)];
    let peer = peer_of(plan);
    for state in state::TaskState::ALL {
        let n = c.of(state);
        if n == 0 {
            continue;
        }
        let how = match state {
            state::TaskState::Sleeping => match peer.map(|peer| peer.kind) {
                Some(PeerKind::Server) => "awaiting a reply, thread free",
                Some(PeerKind::Database) => "awaiting an answer, thread free",
                None => "sleeping, thread free",
            },
            state::TaskState::Overdue => "overdue",
            state::TaskState::Held if plan.lock == Some(LockKind::Std) => {
                "blocked in std's lock(), holding the thread"
            }
            state::TaskState::Held if !plan.runtime => "blocked, each on a thread of its own",
            state::TaskState::Held if plan.one_thread => "holding the thread",
            state::TaskState::Held => "holding a thread",
            state::TaskState::InPool => "on the blocking pool",
            state::TaskState::Queued if peer.is_some_and(|peer| peer.queue.is_some()) => {
                "queued for a connection"
            }
            state::TaskState::Queued => "queued for a pool thread",
            state::TaskState::Polled if plan.waiting == Waiting::Spinning => "spinning on the CPU",
            state::TaskState::Polled => "running",
            state::TaskState::Lock => "waiting for the lock, thread free",
            state::TaskState::Ready => "ready, waiting",
        };
        parts.push(format!("{n} {how}"));
    }
    if c.not_begun > 0 {
        parts.push(format!("{} not started", c.not_begun));
    }
    parts
}

/// One item of the legend: a glyph (if any), its colour, its words, the
/// words for a narrow row, and tokio-console's name for the state
/// (` (IDLE)`), shown where it fits.
#[derive(Clone, Copy)]
struct LegendItem {
    glyph: Option<char>,
    color: Color,
    words: &'static str,
    short: &'static str,
    name: &'static str,
}

/// The legend, two rows: the tasks' states, with tokio-console's names,
/// and the threads'.
fn legend(plan: &Plan) -> [Vec<LegendItem>; 2] {
    let (glyph, color) = cell(Role::Wait(plan.waiting));
    // A task of fetch or query awaits a socket or its connection, not a
    // timer: it has no deadline, so it is never overdue either.
    let peer = peer_of(plan);
    let awaits_an_answer = peer.is_some();
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
        LegendItem {
            glyph: Some(glyph),
            color,
            words,
            short,
            name,
        }
    };
    let words = |words: &'static str, short: &'static str| LegendItem {
        glyph: None,
        color: Color::Reset,
        words,
        short,
        name: "",
    };
    let mut tasks = vec![
        words("tasks:", "tasks:"),
        LegendItem {
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
    if peer.is_some_and(|peer| peer.queue.is_some()) {
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
        } else if plan.waiting == Waiting::Offloaded && plan.pool_holds {
            row.push(item(Role::Held, " held by a pool call", " held", ""));
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
mod tests;
