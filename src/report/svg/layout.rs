//! The picture's geometry: where each lane, mark, label and legend entry
//! goes, as a list of [`Shape`]s. The colours come from
//! [`super::super::palette`]; [`super::writer`] turns the shapes into SVG.
//!
//! Sized for a projector: 1200 units wide (CSS pixels, and the PNG's
//! pixels at scale 1), lane labels, verdicts and the legend at 16 px or
//! more, so that they read on a slide. Bounded whatever the task count:
//! the first [`MAX_LANES`] tasks get a lane each, the rest share one
//! density band, and marks narrower than a fraction of a pixel are left
//! out or merged. The `compare` picture, a slide of such runs side by
//! side, is laid out in [`slide`].

use super::super::Summary;
use super::super::labels::{
    command_line, in_both_words, in_words_of, thousands, tick_label, ticks,
};
use super::super::lanes::{Kind, Lanes, State, ThreadLane, thread_legend};
use super::super::marks;
use super::super::palette::Role;
use super::Run;
use crate::report::Language;
use crate::report::waiting::Waiting;
use crate::state::Band;
use crate::vocab::LockKind;
use std::time::Duration;

mod slide;

#[cfg(test)]
pub(super) use slide::SLIDE;
pub(super) use slide::{compare, grid};

/// The picture's width, in user units (and CSS pixels).
pub(super) const WIDTH: f64 = 1200.0;
/// The most height the lanes of one run share, title and legend aside.
const LANES_HEIGHT: f64 = 360.0;
/// Where the lanes start (the labels sit left of it) and end.
pub(super) const PLOT_LEFT: f64 = 185.0;
pub(super) const PLOT_RIGHT: f64 = WIDTH - 30.0;
/// Task lanes drawn one by one; the rest share a density band.
pub(crate) const MAX_LANES: u32 = 40;
/// Thread lanes drawn; a multi-thread runtime may have many workers.
const MAX_THREAD_LANES: usize = 8;
/// Columns of the density band.
const BAND_COLUMNS: usize = 200;
/// The least height of the density band.
const BAND_HEIGHT: f64 = 24.0;
/// The gap above the band, so that its label and the last lane's do not
/// touch.
const BAND_GAP: f64 = 14.0;
/// Narrower segments are not drawn (a busy thread's thousands of tiny
/// wake-ups are merged first).
const MIN_WIDTH: f64 = 0.5;
/// Task lanes per panel of a `compare` picture.
const PANEL_LANES: u32 = 6;
/// Thread lanes per panel: a machine of many CPUs gives a multi-thread
/// runtime as many workers, and the panel still has to fit the slide.
const PANEL_THREADS: usize = 4;

/// Text sizes, in px at 1200 px wide: a slide shows 16 px as a projector's
/// smallest readable size.
const TITLE: f64 = 26.0;
const HEADING: f64 = 19.0;
pub(super) const LABEL: f64 = 16.0;
/// The width of an average character of DejaVu Sans, in em: the picture
/// has no text measurement, so long text is wrapped and spaced with this.
const CHAR_EM: f64 = 0.56;

const INK: &str = "#222222";
const FAINT: &str = "#666666";
const GRID: &str = "#dddddd";
const PAGE: &str = "#ffffff";

/// Where a text's `x` is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Anchor {
    Start,
    Middle,
    End,
}

/// One thing to draw.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Shape {
    /// A rectangle (x, y, width, height), with a tooltip if `title`.
    Rect {
        at: (f64, f64, f64, f64),
        fill: &'static str,
        opacity: Option<f64>,
        stroke: Option<&'static str>,
        class: &'static str,
        title: Option<String>,
    },
    Line {
        from: (f64, f64),
        to: (f64, f64),
        stroke: &'static str,
    },
    /// Text, its `bold` part first (empty for none).
    Text {
        at: (f64, f64),
        size: f64,
        anchor: Anchor,
        fill: &'static str,
        bold: String,
        body: String,
    },
}

/// A laid-out picture.
pub(super) struct Picture {
    pub(super) width: f64,
    pub(super) height: f64,
    /// The root element's `<title>`: the command that reproduces the run.
    pub(super) title: String,
    /// In drawing order: later shapes cover earlier ones.
    pub(super) shapes: Vec<Shape>,
    /// Whether it scales to the window that shows it (its `viewBox` only,
    /// no fixed size): the compare slide does.
    pub(super) scales: bool,
}

/// The shapes of a picture, drawn in two layers: the grid behind, the rest
/// over it.
#[derive(Default)]
struct Canvas {
    back: Vec<Shape>,
    front: Vec<Shape>,
}

impl Canvas {
    fn rect(&mut self, at: (f64, f64, f64, f64), role: Role, class: &'static str, title: String) {
        self.front.push(Shape::Rect {
            at,
            fill: role.hex(),
            opacity: None,
            stroke: None,
            class,
            title: Some(title),
        });
    }

    fn text(&mut self, (x, y): (f64, f64), size: f64, anchor: Anchor, body: impl Into<String>) {
        self.front.push(Shape::Text {
            at: (x, y),
            size,
            anchor,
            fill: INK,
            bold: String::new(),
            body: body.into(),
        });
    }

    fn finish(self, (width, height): (f64, f64), title: String, scales: bool) -> Picture {
        let mut shapes = self.back;
        shapes.extend(self.front);
        Picture {
            width,
            height: height.ceil(),
            title,
            shapes,
            scales,
        }
    }
}

/// The class of a role's marks, so that tests (and style sheets) can
/// find them.
const fn class(role: Role) -> &'static str {
    match role {
        Role::Ready => "ready",
        Role::Wait(Waiting::Free) => "free",
        Role::Wait(Waiting::Blocked) => "blocked",
        Role::Wait(Waiting::Offloaded) => "offloaded",
        Role::Wait(Waiting::Spinning) => "spinning",
        Role::Lock => "lock",
        Role::Overdue => "overdue",
        Role::Queued => "queued",
        Role::Running => "polled",
        Role::Line => "line",
        Role::Held => "held",
        Role::Parked => "parked",
        Role::NotPolling => "unobserved",
    }
}

/// Maps time to x within a plot that runs from `left` to `right`; lane
/// labels end just left of it.
#[derive(Clone, Copy)]
struct Axis {
    span: f64,
    left: f64,
    right: f64,
    /// How wide a lane's label may be, left of the plot.
    room: f64,
}

impl Axis {
    /// The plot of a one-run picture, as wide as the page allows.
    fn page(span: f64) -> Axis {
        Axis {
            span,
            left: PLOT_LEFT,
            right: PLOT_RIGHT,
            room: PLOT_LEFT - 12.0,
        }
    }

    fn x(self, at: Duration) -> f64 {
        if self.span <= 0.0 {
            return self.left;
        }
        self.left + (at.as_secs_f64() / self.span).min(1.0) * (self.right - self.left)
    }

    /// Where lane labels end (right-aligned).
    fn label_x(self) -> f64 {
        self.left - 8.0
    }

    /// `label`, or its `short` form when it would not fit the labels'
    /// room at a readable size (`took worker 1's or 2's core`).
    fn fitting(self, label: String, short: &str) -> String {
        if text_width(&label, LABEL) <= self.room {
            label
        } else {
            short.to_owned()
        }
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// How wide `text` is at `size`, about.
fn text_width(text: &str, size: f64) -> f64 {
    text.chars().count() as f64 * size * CHAR_EM
}

/// Splits `text` at spaces into lines about `width` wide at `size`, as
/// the terminal's text is wrapped ([`crate::wrap::wrap`]): figures kept
/// whole, and no lone fragment on the last line.
fn wrap(text: &str, size: f64, width: f64) -> Vec<String> {
    let most = ((width / (size * CHAR_EM)) as usize).max(10);
    if text.trim().is_empty() {
        return Vec::new();
    }
    crate::wrap::wrap(text, most)
}

/// The size of a run's lanes: how high each is, and how many rows of each
/// kind it has.
struct Rows {
    tasks: u32,
    band: bool,
    /// Thread rows: the lanes, and one `… N more threads` line past
    /// `max_threads`.
    threads: usize,
    max_threads: usize,
}

impl Rows {
    fn of(run: &Run, lanes: &Lanes, (max_lanes, max_threads): (u32, usize)) -> Rows {
        let tasks = run.summary.tasks.min(max_lanes);
        Rows {
            tasks,
            band: run.summary.tasks > tasks,
            threads: lanes.threads.len().min(max_threads + 1) + usize::from(lanes.idle_workers > 0),
            max_threads,
        }
    }

    /// The height of the lanes, task lanes `lane` high.
    fn height(&self, lane: f64) -> f64 {
        let threads = if self.threads > 0 {
            gap(lane) + thread_lane(lane) * self.threads as f64
        } else {
            0.0
        };
        lane * f64::from(self.tasks)
            + threads
            + if self.band {
                BAND_HEIGHT + BAND_GAP
            } else {
                0.0
            }
    }

    /// The height of a task lane that fills `room`, between 4 and 56.
    fn fit(&self, room: f64) -> f64 {
        let (tasks, threads) = (f64::from(self.tasks), self.threads as f64);
        let room = room
            - if self.band {
                BAND_HEIGHT + BAND_GAP
            } else {
                0.0
            };
        let even = room / (tasks + threads + 0.4).max(1.0);
        let lane = if even >= thread_lane(0.0) {
            even
        } else {
            // Thin task lanes: the thread lanes keep the height of their
            // label, and the task lanes share the rest.
            (room - threads * thread_lane(0.0) - gap(0.0)) / tasks.max(1.0)
        };
        lane.clamp(4.0, 56.0)
    }
}

/// A thread lane is as high as a task lane, and never lower than its label
/// needs: a million-task picture has thin task lanes, and one or two thread
/// lanes that must still be read.
fn thread_lane(lane: f64) -> f64 {
    lane.max(LABEL * 1.4)
}

/// The gap between the task lanes and the thread lanes.
fn gap(lane: f64) -> f64 {
    (lane * 0.4).max(10.0)
}

/// The lanes of one run, drawn from `top` with lanes `lane` high; returns
/// where they end.
fn draw_run(
    canvas: &mut Canvas,
    run: &Run,
    lanes: &Lanes,
    axis: Axis,
    top: f64,
    lane: f64,
    rows: &Rows,
) -> f64 {
    let summary = run.summary;
    let shown = rows.tasks;
    let all = marks::per_task(run.events, summary.tasks);
    let bar = lane * 0.72;
    let mut y = top;
    // A label on every lane while they fit, else on every second, fifth
    // or tenth, which has the room of two, five or ten.
    let label_every = [1, 2, 5, 10]
        .into_iter()
        .find(|k| f64::from(*k) * lane >= LABEL * 1.15)
        .unwrap_or(10);
    let baseline = |y: f64| y + bar / 2.0 + LABEL * 0.36;
    for (index, mark) in all.iter().take(shown as usize).enumerate() {
        let task = index + 1;
        if index % label_every as usize == 0 || task == shown as usize {
            canvas.text(
                (axis.label_x(), baseline(y)),
                LABEL,
                Anchor::End,
                format!("task {task}"),
            );
        }
        for span in lanes.task(task as u32, mark) {
            let (x0, x1) = (axis.x(span.from), axis.x(span.to));
            if x1 - x0 < MIN_WIDTH {
                continue;
            }
            let role = Role::of_state(span.state, summary.work);
            let title = format!(
                "task {task}: {}, for {:.3} s ({:.3} to {:.3} s)",
                in_words_of(summary, role.meaning(summary.demo, summary.work)),
                secs(span.to - span.from),
                secs(span.from),
                secs(span.to)
            );
            canvas.rect((x0, y, x1 - x0, bar), role, class(role), title);
        }
        for (event, word) in [(mark.first, "first"), (mark.last, "last")] {
            if let Some(event) = event {
                let x = axis.x(event.at);
                let title = format!(
                    "task {task}: prints its {word} line at {:.3} s",
                    secs(event.at)
                );
                canvas.rect(
                    (x - 1.0, y - 1.0, 2.0, bar + 2.0),
                    Role::Line,
                    "line",
                    title,
                );
            }
        }
        if mark.last.is_none() {
            // Stopped by a signal (or its wait failed): its wait runs to
            // the end of the axis, and a hollow cap there says it did not
            // end.
            let x = axis.x(lanes.end);
            let at = secs(lanes.end);
            let what = match (summary.interrupted, mark.first.is_some()) {
                (true, true) => format!("still waiting when a signal stopped the run at {at:.3} s"),
                (true, false) => {
                    format!("not started yet when a signal stopped the run at {at:.3} s")
                }
                // A fetch whose wait failed records no last line.
                (false, _) => "never finished: its wait failed".to_owned(),
            };
            canvas.front.push(Shape::Rect {
                at: (x - 3.0, y - 2.0, 6.0, bar + 4.0),
                fill: PAGE,
                opacity: None,
                stroke: Some(INK),
                class: "interrupted",
                title: Some(format!("task {task}: {what}")),
            });
        }
        y += lane;
    }
    if rows.band {
        // Taller than a lane, so that its two halves read at a glance, and
        // set apart from the last lane so that the labels do not collide.
        let band = bar.max(BAND_HEIGHT);
        y += BAND_GAP;
        canvas.text(
            (axis.label_x(), y + band / 2.0 + LABEL * 0.36),
            LABEL,
            Anchor::End,
            format!("… {} more", thousands(summary.tasks - shown)),
        );
        let tallied = summary.observed.tallies.as_deref().map(|t| &t.band);
        draw_band(canvas, (lanes, tallied), axis, (shown, &all), y, band);
        y += band;
    }
    let threads = &lanes.threads;
    if !threads.is_empty() {
        y += gap(lane);
    }
    let (lane, bar) = (thread_lane(lane), thread_lane(lane) * 0.72);
    let baseline = |y: f64| y + bar / 2.0 + LABEL * 0.36;
    for thread in threads.iter().take(rows.max_threads) {
        let label = axis.fitting(in_words_of(summary, &thread.label), &thread.short);
        canvas.text((axis.label_x(), baseline(y)), LABEL, Anchor::End, label);
        draw_thread(
            canvas,
            thread,
            &in_words_of(summary, &thread.label),
            (axis, lanes.end),
            (y, bar),
        );
        y += lane;
    }
    if threads.len() > rows.max_threads {
        canvas.front.push(Shape::Text {
            at: (axis.label_x(), baseline(y)),
            size: LABEL,
            anchor: Anchor::End,
            fill: FAINT,
            bold: String::new(),
            body: match threads.len() - rows.max_threads {
                1 => "… 1 more thread".to_owned(),
                more => format!("… {more} more threads"),
            },
        });
        y += lane;
    }
    if let Some(note) = lanes.idle_note() {
        // In the lanes' room, where a long line fits: the labels' is narrow.
        canvas.front.push(Shape::Text {
            at: (axis.left, baseline(y)),
            size: LABEL,
            anchor: Anchor::Start,
            fill: FAINT,
            bold: String::new(),
            body: format!("… {note}"),
        });
        y += lane;
    }
    y
}

/// The tasks past the lanes, as one band: each column shows what share of
/// them waits (top half, in the wait's colour) and what share is ready but
/// kept off the thread (bottom half), on average over the column. From
/// the run's census (`tallied`, every task) less the lanes' own spans, or,
/// for a run that kept none (a small one, whose tasks were all observed),
/// from the band's own tasks' spans: one tally either way ([`Band`]).
fn draw_band(
    canvas: &mut Canvas,
    (lanes, tallied): (&Lanes, Option<&Band>),
    axis: Axis,
    (shown, all): (u32, &[marks::Marks]),
    y: f64,
    bar: f64,
) {
    let waiting = lanes.waiting;
    let nanos = |at: Duration| u64::try_from(at.as_nanos()).unwrap_or(u64::MAX);
    let count = |band: &mut Band, task: u32, mark: &marks::Marks, sign: i64| {
        for span in lanes.task(task, mark) {
            if let Some(class) = crate::state::class(span.state) {
                band.add(class, (nanos(span.from), nanos(span.to)), sign);
            }
        }
    };
    let band = match tallied {
        Some(tallied) => {
            // The census counted every task: the lanes' tasks come off.
            let mut band = tallied.clone();
            for (task, mark) in (1..).zip(&all[..shown as usize]) {
                count(&mut band, task, mark, -1);
            }
            band
        }
        None => {
            let mut band = Band::default();
            for (task, mark) in (shown + 1..).zip(&all[shown as usize..]) {
                count(&mut band, task, mark, 1);
            }
            band
        }
    };
    let columns = band.columns(nanos(Duration::from_secs_f64(axis.span)), BAND_COLUMNS);
    let others = all.len() as u32 - shown;
    let total = f64::from(others);
    let width = (axis.right - axis.left) / BAND_COLUMNS as f64;
    for (column, &[in_wait, in_ready]) in columns.iter().enumerate() {
        let (in_wait, in_ready) = (in_wait.round() as i64, in_ready.round() as i64);
        let x = axis.left + column as f64 * width;
        let at = axis.span * column as f64 / BAND_COLUMNS as f64;
        for (count, role, class, dy, what) in [
            (in_wait, Role::Wait(waiting), "band-wait", 0.0, "waiting"),
            (
                in_ready,
                Role::Ready,
                "band-ready",
                bar / 2.0,
                "ready, waiting for the thread",
            ),
        ] {
            if count <= 0 {
                continue;
            }
            let share = count as f64 / total;
            canvas.front.push(Shape::Rect {
                at: (x, y + dy, width + 0.6, bar / 2.0),
                fill: role.hex(),
                opacity: Some(0.15 + 0.85 * share),
                stroke: None,
                class,
                title: Some(format!(
                    "at {at:.3} s: {} of the other {} tasks {what}",
                    thousands(count as u32),
                    thousands(others)
                )),
            });
        }
    }
}

/// Merges stretches that a pixel cannot tell apart: (x from, x to, time).
fn merge(stretches: &[(Duration, Duration)], axis: Axis) -> Vec<(f64, f64, Duration)> {
    let mut merged: Vec<(f64, f64, Duration)> = Vec::new();
    for &(from, to) in stretches {
        let (x0, x1) = (axis.x(from), axis.x(to));
        match merged.last_mut() {
            Some((_, end, time)) if x0 - *end < 1.0 => {
                *end = x1.max(*end);
                *time += to - from;
            }
            _ => merged.push((x0, x1, to - from)),
        }
    }
    merged
}

/// A thread's lane: parked (pale) behind, running code (dark) and held in
/// a blocking call (pale red) on top, each worded for the kind of thread
/// (a pool thread runs a task's call; block_on's thread with no park hook
/// is outlined, not parked, between its polls). It ends at `end`, where
/// its run ended: in a `compare` picture the axis runs to the longest
/// run's end, and a shorter run's threads did not go on idling past their
/// own.
fn draw_thread(
    canvas: &mut Canvas,
    lane: &ThreadLane,
    label: &str,
    (axis, end): (Axis, Duration),
    (y, bar): (f64, f64),
) {
    // From where the lane begins (a thread first seen during the run).
    let left = axis.x(lane.from);
    let at = (left, y, (axis.x(end) - left).max(0.0), bar);
    match lane.kind {
        Kind::Unhooked => canvas.front.push(Shape::Rect {
            at,
            fill: Role::NotPolling.hex(),
            opacity: None,
            stroke: Some(GRID),
            class: class(Role::NotPolling),
            title: Some(format!(
                "{label}: not polling; tokio's park hooks do not fire on this thread, so \
                 whether it slept here was not observed"
            )),
        }),
        Kind::Pool => canvas.rect(
            at,
            Role::Parked,
            "parked",
            format!("{label}: between calls"),
        ),
        Kind::Runtime => canvas.rect(
            at,
            Role::Parked,
            "parked",
            format!("{label}: parked, nothing to run"),
        ),
    }
    for (x0, x1, time) in merge(&lane.held, axis) {
        let title = match lane.kind {
            Kind::Pool => format!(
                "{label}: running a task's blocking call for {:.3} s (it uses no CPU while \
                 the call waits)",
                secs(time)
            ),
            Kind::Runtime | Kind::Unhooked => format!(
                "{label}: held in a blocking call for {:.3} s: a task blocks it, so it runs \
                 no code (and uses no CPU) until the call returns",
                secs(time)
            ),
        };
        canvas.rect((x0, y, (x1 - x0).max(2.0), bar), Role::Held, "held", title);
    }
    for (x0, x1, time) in merge(&lane.running(), axis) {
        let title = match lane.kind {
            Kind::Pool => format!("{label}: running a task's call for {:.3} s", secs(time)),
            Kind::Runtime | Kind::Unhooked => format!(
                "{label}: running code (polling tasks) for {:.3} s",
                secs(time)
            ),
        };
        // At least 2 px: a wake-up to print a line is short, and must show.
        canvas.rect(
            (x0, y, (x1 - x0).max(2.0), bar),
            Role::Running,
            "busy",
            title,
        );
    }
}

/// The time axis under the lanes, with grid lines up to `top`.
fn draw_axis(canvas: &mut Canvas, axis: Axis, top: f64, y: f64) {
    let ticks = ticks(axis.span, 6);
    for &at in &ticks {
        let x = axis.x(Duration::from_secs_f64(at));
        canvas.back.push(Shape::Line {
            from: (x, top),
            to: (x, y + 5.0),
            stroke: GRID,
        });
        canvas.text((x, y + 22.0), LABEL, Anchor::Middle, tick_label(at, &ticks));
    }
    canvas.front.push(Shape::Line {
        from: (axis.left, y),
        to: (axis.right, y),
        stroke: INK,
    });
}

/// The legend: a swatch and a few words for each colour in the picture,
/// flowed in rows; returns where it ends.
fn draw_legend(canvas: &mut Canvas, entries: &[Entry], y: f64, width: f64) -> f64 {
    let (left, right) = (20.0, width - 20.0);
    let (mut x, mut y) = (left, y);
    for entry in entries {
        let width = 22.0 + text_width(&entry.words, LABEL) + 28.0;
        if x > left && x + width > right {
            x = left;
            y += LABEL * 1.6;
        }
        canvas.front.push(Shape::Rect {
            at: (x, y - LABEL * 0.8, LABEL, LABEL),
            fill: entry.fill,
            opacity: None,
            stroke: entry.stroke,
            class: "swatch",
            title: None,
        });
        canvas.text((x + 22.0, y), LABEL, Anchor::Start, entry.words.clone());
        x += width;
    }
    y + LABEL * 0.6
}

/// One legend entry.
struct Entry {
    fill: &'static str,
    stroke: Option<&'static str>,
    words: String,
}

impl Entry {
    fn of(role: Role, summary: &Summary) -> Entry {
        Entry {
            fill: role.hex(),
            stroke: None,
            words: role.meaning(summary.demo, summary.work).to_owned(),
        }
    }
}

/// The legend entries for these runs: only what their pictures show.
fn legend(runs: &[(&Summary, &Lanes)]) -> Vec<Entry> {
    let Some((first, _)) = runs.first() else {
        return Vec::new();
    };
    let mut entries = vec![Entry::of(Role::Line, first)];
    let mut seen: Vec<Waiting> = Vec::new();
    for (summary, _) in runs {
        let waiting = Waiting::of(summary.mode, summary.work);
        if !seen.contains(&waiting) {
            seen.push(waiting);
            entries.push(Entry::of(Role::Wait(waiting), summary));
        }
    }
    // The lock demo's waits for the lock: in std's lock(), holding the
    // thread (a deadlock); in tokio's, Pending with the thread free.
    for (summary, _) in runs {
        let (blocked, pending) = match summary.lock {
            Some(LockKind::Std) => (summary.locks.iter().any(|m| m.got.is_none()), false),
            Some(LockKind::Tokio) => (false, summary.locks.iter().any(|m| m.got > Some(m.asked))),
            _ => (false, false),
        };
        if blocked && !seen.contains(&Waiting::Blocked) {
            seen.push(Waiting::Blocked);
            entries.push(Entry::of(Role::Wait(Waiting::Blocked), summary));
        }
        if pending && !entries.iter().any(|e| e.fill == Role::Lock.hex()) {
            entries.push(Entry::of(Role::Lock, summary));
        }
    }
    entries.push(Entry::of(Role::Ready, first));
    // The model's states that the lanes drew besides the waits above.
    for (state, role) in [
        (State::Overdue, Role::Overdue),
        (State::Queued, Role::Queued),
    ] {
        if let Some((summary, _)) = runs.iter().find(|(_, l)| l.drew(state)) {
            entries.push(Entry::of(role, summary));
        }
    }
    let unfinished = |s: &Summary| s.interrupted || s.failed > 0 || s.deadlock.is_some();
    if runs.iter().any(|(s, _)| unfinished(s)) {
        let words = if runs.iter().any(|(s, _)| s.interrupted) {
            "stopped by a signal: what it was doing then"
        } else if runs.iter().any(|(s, _)| s.deadlock.is_some()) {
            "never finished: the run deadlocked"
        } else {
            "never finished: its wait failed"
        };
        entries.push(Entry {
            fill: PAGE,
            stroke: Some(INK),
            words: words.to_owned(),
        });
    }
    // The thread lanes' roles, each worded for the kind of thread that
    // drew it, once.
    let mut threads: Vec<(Role, &'static str)> = Vec::new();
    for (summary, lanes) in runs {
        for entry in thread_legend(&lanes.threads, (summary.demo, summary.work)) {
            if !threads.contains(&entry) {
                threads.push(entry);
            }
        }
    }
    threads.sort_by_key(|(role, _)| Role::ALL.iter().position(|r| r == role));
    entries.extend(threads.into_iter().map(|(role, words)| Entry {
        fill: role.hex(),
        stroke: (role == Role::NotPolling).then_some(GRID),
        words: words.to_owned(),
    }));
    // The meanings are in tokio's words. A legend shared with `compare
    // --python`'s rows names each state in both languages; one for Python
    // rows only, in Python's.
    let python = |(s, _): &(&Summary, &Lanes)| s.language == Some(Language::Python);
    if runs.iter().all(python) {
        for entry in &mut entries {
            entry.words = in_words_of(first, &entry.words);
        }
    } else if runs.iter().any(python) {
        for entry in &mut entries {
            entry.words = in_both_words(&entry.words);
        }
    }
    entries
}

/// The title's end: the elapsed time, and whether a signal cut it short.
fn outcome(summary: &Summary) -> String {
    let stopped = if summary.interrupted {
        ", stopped by a signal"
    } else if summary.deadlock.is_some() {
        ", deadlocked"
    } else {
        ""
    };
    format!("{:.2} s{stopped}", summary.elapsed_secs)
}

/// `--svg`: one run.
pub(super) fn run(run: &Run) -> Picture {
    let summary = run.summary;
    let span = run.span();
    let axis = Axis::page(secs(span));
    let lanes = run.lanes();
    let title = format!("{}: {}", command_line(summary), outcome(summary));
    let mut canvas = Canvas::default();
    canvas.text((20.0, 38.0), TITLE, Anchor::Start, title.clone());
    let rows = Rows::of(run, &lanes, (MAX_LANES, MAX_THREAD_LANES));
    // As high as fits: a few lanes get tall ones (up to 56), many share
    // the room that the band's fixed height leaves.
    let top = 66.0;
    let lane = rows.fit(LANES_HEIGHT);
    let end = draw_run(&mut canvas, run, &lanes, axis, top, lane, &rows);
    draw_axis(&mut canvas, axis, top - 6.0, end + 4.0);
    let end = draw_legend(
        &mut canvas,
        &legend(&[(summary, &lanes)]),
        end + 62.0,
        WIDTH,
    );
    canvas.finish((WIDTH, end + 16.0), title, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_wraps_at_spaces() {
        let text = "one two three four five six seven eight nine ten eleven twelve";
        let lines = wrap(text, 16.0, 16.0 * CHAR_EM * 20.0);
        assert!(lines.len() >= 3, "{lines:?}");
        assert!(lines.iter().all(|l| l.chars().count() <= 20), "{lines:?}");
        assert_eq!(lines.join(" "), text);
        assert_eq!(wrap("", 16.0, 100.0), Vec::<String>::new());
        // A verdict a little too long for one line splits in two halves,
        // not into a line and a lone `s)`.
        let verdict = "one after another: block_on runs the join_all future on the calling \
                       thread, not a worker; the workers idle (longest poll 0.204 s)";
        let lines = wrap(verdict, 16.0, 16.0 * CHAR_EM * 120.0);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[1].chars().count() > 40, "{lines:?}");
    }
}
