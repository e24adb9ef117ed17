//! `--svg FILE`: the run as a standalone SVG 1.1 picture, for a slide.
//!
//! One lane per task on a time axis, coloured by what the task is doing
//! (see [`super::lanes`]), then one lane per runtime thread, busy or
//! parked. A hover tooltip (`<title>`) on every segment gives its figures.
//! `compare --svg` draws one such panel per way, on a shared time axis.
//!
//! Written by hand: the picture is rectangles, lines and text, and every
//! piece of text goes through [`escape`]. Sized for a projector (1200×500),
//! and bounded whatever the task count: the first [`MAX_LANES`] tasks get a
//! lane each, the rest share one density band, and segments narrower than
//! a fraction of a pixel are left out or merged.

use super::Summary;
use super::compare::runtime_label;
use super::lanes::{Lanes, State, ThreadLane};
use super::marks;
use crate::vocab::{Event, Mode, Park, Waiting};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::time::Duration;

/// The picture's size, in user units (and CSS pixels).
const WIDTH: f64 = 1200.0;
const HEIGHT: f64 = 500.0;
/// Where the lanes start (the labels sit left of it) and end.
const PLOT_LEFT: f64 = 150.0;
const PLOT_RIGHT: f64 = WIDTH - 30.0;
/// Task lanes drawn one by one; the rest share a density band.
const MAX_LANES: u32 = 40;
/// Thread lanes drawn; a multi-thread runtime may have many workers.
const MAX_THREAD_LANES: usize = 8;
/// Columns of the density band.
const BAND_COLUMNS: usize = 200;
/// The least height of the density band.
const BAND_HEIGHT: f64 = 24.0;
/// Narrower segments are not drawn (a busy thread's thousands of tiny
/// wake-ups are merged first).
const MIN_WIDTH: f64 = 0.5;

const FONT: &str = "DejaVu Sans, Helvetica, Arial, sans-serif";
const INK: &str = "#222222";
const FAINT: &str = "#777777";
const GRID: &str = "#dddddd";
/// The line marks: a task running, to print its first or last line.
const RUNNING: &str = "#111111";
const READY: &str = "#f5a623";
const BUSY: &str = "#4a4a4a";
const PARKED: &str = "#e8e8e8";

/// A wait's colour: green when the thread is free, red when held, blue
/// when a blocking-pool thread waits instead.
const fn wait_colour(waiting: Waiting) -> &'static str {
    match waiting {
        Waiting::Free => "#3a9d3a",
        Waiting::Blocked => "#d0312d",
        Waiting::Offloaded => "#3b75c4",
        Waiting::Spinning => "#8e44ad",
    }
}

/// A class per state, so that tests (and style sheets) can find them.
const fn class(state: State) -> &'static str {
    match state {
        State::Ready => "ready",
        State::Waiting(Waiting::Free) => "free",
        State::Waiting(Waiting::Blocked) => "blocked",
        State::Waiting(Waiting::Offloaded) => "offloaded",
        State::Waiting(Waiting::Spinning) => "spinning",
    }
}

fn colour(state: State) -> &'static str {
    match state {
        State::Ready => READY,
        State::Waiting(waiting) => wait_colour(waiting),
    }
}

/// What a state is, in a tooltip and the legend.
fn meaning(state: State, summary: &Summary) -> &'static str {
    match state {
        State::Ready => "ready, waiting for the thread",
        State::Waiting(waiting) => waiting.meaning(summary.demo, summary.work),
    }
}

/// Escapes text for an XML text node or attribute value.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters are not allowed in XML 1.0 at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// One run to draw: its summary and what it recorded.
pub(crate) struct Run<'a> {
    pub(crate) summary: &'a Summary,
    pub(crate) events: &'a [Event],
    pub(crate) parks: &'a [Park],
}

impl Run<'_> {
    /// Where the picture ends: the elapsed time, or the last event if later.
    fn span(&self) -> Duration {
        let elapsed = Duration::from_secs_f64(self.summary.elapsed_secs);
        self.events
            .iter()
            .map(|e| e.at)
            .fold(elapsed, Duration::max)
    }

    fn lanes(&self) -> Lanes {
        Lanes::new(self.summary, self.events, self.parks, self.span())
    }
}

/// The command that reproduces a run, for the title.
pub(crate) fn command_line(summary: &Summary) -> String {
    let mut line = format!(
        "asyncdemo {} -n {} -d {}",
        summary.demo.name(),
        summary.tasks,
        humantime::format_duration(round_ms(summary.delay_secs))
    );
    match summary.mode {
        Mode::Async => {}
        Mode::Blocking => line.push_str(" --blocking"),
        mode => {
            let _ = write!(line, " -m {}", mode.name());
        }
    }
    if let Some(workers) = summary.workers {
        let _ = write!(line, " --workers {workers}");
    }
    if summary.spawn {
        line.push_str(" --spawn");
    }
    if summary.work != crate::vocab::Work::Sleep {
        let _ = write!(line, " --work {}", summary.work.name());
    }
    if let Some(lock) = summary.lock {
        let _ = write!(line, " --lock {}", lock.name());
    }
    line
}

/// Seconds to a duration rounded to the millisecond, for readable flags.
fn round_ms(secs: f64) -> Duration {
    Duration::from_millis((secs * 1000.0).round() as u64)
}

/// Maps time to x within the plot.
#[derive(Clone, Copy)]
struct Axis {
    span: f64,
}

impl Axis {
    fn x(self, at: Duration) -> f64 {
        if self.span <= 0.0 {
            return PLOT_LEFT;
        }
        PLOT_LEFT + (at.as_secs_f64() / self.span).min(1.0) * (PLOT_RIGHT - PLOT_LEFT)
    }

    /// Ticks at 1, 2 or 5 × a power of ten seconds, about six of them.
    fn ticks(self) -> Vec<f64> {
        if self.span <= 0.0 {
            return vec![0.0];
        }
        let rough = self.span / 6.0;
        let power = 10f64.powf(rough.log10().floor());
        let step = [1.0, 2.0, 5.0, 10.0]
            .into_iter()
            .map(|m| m * power)
            .find(|step| *step >= rough)
            .unwrap_or(10.0 * power);
        (0..)
            .map(|k| k as f64 * step)
            .take_while(|t| *t <= self.span * 1.0001)
            .collect()
    }
}

/// Formats a tick's time with as many decimals as its step needs.
fn tick_label(at: f64, ticks: &[f64]) -> String {
    let step = ticks.get(1).copied().unwrap_or(1.0);
    let decimals = if step >= 1.0 {
        0
    } else {
        (-step.log10()).ceil() as usize
    };
    format!("{at:.decimals$} s")
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

/// Writes a rectangle with a tooltip.
fn rect(
    svg: &mut String,
    (x, y, w, h): (f64, f64, f64, f64),
    fill: &str,
    class: &str,
    title: &str,
) {
    let _ = write!(
        svg,
        r#"<rect class="{class}" x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}">"#
    );
    if !title.is_empty() {
        let _ = write!(svg, "<title>{}</title>", escape(title));
    }
    svg.push_str("</rect>\n");
}

fn text(svg: &mut String, x: f64, y: f64, size: f64, anchor: &str, fill: &str, body: &str) {
    let _ = writeln!(
        svg,
        r#"<text x="{x:.1}" y="{y:.1}" font-size="{size:.1}" text-anchor="{anchor}" fill="{fill}">{}</text>"#,
        escape(body)
    );
}

/// The lanes of one run, drawn from `top` with lanes `lane` high; returns
/// where they end. `max_lanes` caps the task lanes.
fn draw_run(svg: &mut String, run: &Run, axis: Axis, top: f64, lane: f64, max_lanes: u32) -> f64 {
    let summary = run.summary;
    let lanes = run.lanes();
    let shown = summary.tasks.min(max_lanes);
    let all = marks::per_task(run.events, summary.tasks);
    let bar = lane * 0.72;
    let mut y = top;
    // Labels on every lane while they fit, else on every fifth (which has
    // the room of five).
    let label_every = if lane >= 11.0 { 1 } else { 5 };
    let label_size = if label_every == 1 {
        (lane * 0.75).clamp(10.0, 15.0)
    } else {
        11.0
    };
    for (index, mark) in all.iter().take(shown as usize).enumerate() {
        let task = index + 1;
        if index % label_every == 0 || task == shown as usize {
            text(
                svg,
                PLOT_LEFT - 8.0,
                y + bar * 0.8,
                label_size,
                "end",
                INK,
                &format!("task {task}"),
            );
        }
        for span in lanes.task(mark) {
            let (x0, x1) = (axis.x(span.from), axis.x(span.to));
            if x1 - x0 < MIN_WIDTH {
                continue;
            }
            let title = format!(
                "task {task}: {}, for {:.3} s ({:.3} to {:.3} s)",
                meaning(span.state, summary),
                secs(span.to - span.from),
                secs(span.from),
                secs(span.to)
            );
            rect(
                svg,
                (x0, y, x1 - x0, bar),
                colour(span.state),
                class(span.state),
                &title,
            );
        }
        for (event, word) in [(mark.first, "first"), (mark.last, "last")] {
            if let Some(event) = event {
                let x = axis.x(event.at);
                let title = format!(
                    "task {task}: prints its {word} line at {:.3} s",
                    secs(event.at)
                );
                rect(
                    svg,
                    (x - 1.0, y - 1.0, 2.0, bar + 2.0),
                    RUNNING,
                    "line",
                    &title,
                );
            }
        }
        y += lane;
    }
    if summary.tasks > shown {
        let rest = &all[shown as usize..];
        // Taller than a lane, so that its two halves read at a glance, and
        // set apart from the last lane so that the labels do not collide.
        let band = bar.max(BAND_HEIGHT);
        y += 4.0;
        text(
            svg,
            PLOT_LEFT - 8.0,
            y + band / 2.0 + 4.0,
            11.0,
            "end",
            INK,
            &format!(
                "… and {} more",
                super::timeline::thousands(summary.tasks - shown)
            ),
        );
        draw_band(svg, &lanes, axis, rest, y, band);
        y += band + (lane - bar);
    }
    let threads = &lanes.threads;
    if !threads.is_empty() {
        y += lane * 0.4;
    }
    for thread in threads.iter().take(MAX_THREAD_LANES) {
        draw_thread(svg, thread, axis, y, bar, label_size);
        y += lane;
    }
    if threads.len() > MAX_THREAD_LANES {
        text(
            svg,
            PLOT_LEFT - 8.0,
            y + bar * 0.8,
            label_size,
            "end",
            FAINT,
            &format!("… and {} more threads", threads.len() - MAX_THREAD_LANES),
        );
        y += lane;
    }
    y
}

/// The tasks past the lanes, as one band: each column shows what share of
/// them waits (top half, in the wait's colour) and what share is ready but
/// kept off the thread (bottom half, amber), at that moment.
fn draw_band(svg: &mut String, lanes: &Lanes, axis: Axis, rest: &[marks::Marks], y: f64, bar: f64) {
    let waiting = lanes.waiting;
    let column_of = |at: Duration| -> usize {
        if axis.span <= 0.0 {
            return 0;
        }
        ((secs(at) / axis.span) * BAND_COLUMNS as f64).floor() as usize
    };
    // Difference arrays: +1 where a state starts, -1 where it ends, so a
    // million tasks cost one pass.
    let mut waits = vec![0i64; BAND_COLUMNS + 2];
    let mut ready = vec![0i64; BAND_COLUMNS + 2];
    for mark in rest {
        for span in lanes.task(mark) {
            let (from, to) = (
                column_of(span.from),
                column_of(span.to).max(column_of(span.from) + 1),
            );
            let counts = match span.state {
                State::Ready => &mut ready,
                State::Waiting(_) => &mut waits,
            };
            counts[from.min(BAND_COLUMNS)] += 1;
            counts[to.min(BAND_COLUMNS + 1)] -= 1;
        }
    }
    let total = rest.len() as f64;
    let width = (PLOT_RIGHT - PLOT_LEFT) / BAND_COLUMNS as f64;
    let (mut in_wait, mut in_ready) = (0i64, 0i64);
    for column in 0..BAND_COLUMNS {
        in_wait += waits[column];
        in_ready += ready[column];
        let x = PLOT_LEFT + column as f64 * width;
        let at = axis.span * column as f64 / BAND_COLUMNS as f64;
        for (count, fill, class, dy, what) in [
            (in_wait, wait_colour(waiting), "band-wait", 0.0, "waiting"),
            (
                in_ready,
                READY,
                "band-ready",
                bar / 2.0,
                "ready, waiting for the thread",
            ),
        ] {
            if count <= 0 {
                continue;
            }
            let share = count as f64 / total;
            let _ = writeln!(
                svg,
                r#"<rect class="{class}" x="{x:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}" fill-opacity="{:.2}"><title>{}</title></rect>"#,
                y + dy,
                width + 0.6,
                bar / 2.0,
                0.15 + 0.85 * share,
                escape(&format!(
                    "at {at:.3} s: {} of the other {} tasks {what}",
                    super::timeline::thousands(count as u32),
                    super::timeline::thousands(rest.len() as u32)
                ))
            );
        }
    }
}

/// A runtime thread's lane: parked (light) behind, busy (dark) on top.
fn draw_thread(svg: &mut String, lane: &ThreadLane, axis: Axis, y: f64, bar: f64, size: f64) {
    text(
        svg,
        PLOT_LEFT - 8.0,
        y + bar * 0.8,
        size,
        "end",
        INK,
        &lane.label,
    );
    let parked_title = format!("{}: parked, nothing to run", lane.label);
    rect(
        svg,
        (PLOT_LEFT, y, PLOT_RIGHT - PLOT_LEFT, bar),
        PARKED,
        "parked",
        &parked_title,
    );
    // Merge busy stretches that a pixel cannot tell apart.
    let mut merged: Vec<(f64, f64, Duration)> = Vec::new();
    for &(from, to) in &lane.busy {
        let (x0, x1) = (axis.x(from), axis.x(to));
        match merged.last_mut() {
            Some((_, end, busy)) if x0 - *end < 1.0 => {
                *end = x1.max(*end);
                *busy += to - from;
            }
            _ => merged.push((x0, x1, to - from)),
        }
    }
    for (x0, x1, busy) in merged {
        let title = format!("{}: busy running tasks for {:.3} s", lane.label, secs(busy));
        // At least 2 px: a wake-up to print a line is short, and must show.
        rect(svg, (x0, y, (x1 - x0).max(2.0), bar), BUSY, "busy", &title);
    }
}

/// The time axis under the lanes, with grid lines up to `top`. The grid
/// goes to the front of `svg`, so that lanes and text are drawn over it.
fn draw_axis(svg: &mut String, axis: Axis, top: f64, y: f64) {
    let ticks = axis.ticks();
    let mut grid = String::new();
    for &at in &ticks {
        let x = axis.x(Duration::from_secs_f64(at));
        let _ = writeln!(
            grid,
            r#"<line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{:.1}" stroke="{GRID}" stroke-width="1"/>"#,
            y + 5.0
        );
        text(
            svg,
            x,
            y + 20.0,
            14.0,
            "middle",
            INK,
            &tick_label(at, &ticks),
        );
    }
    let _ = writeln!(
        svg,
        r#"<line x1="{PLOT_LEFT:.1}" y1="{y:.1}" x2="{PLOT_RIGHT:.1}" y2="{y:.1}" stroke="{INK}" stroke-width="1"/>"#
    );
    svg.insert_str(0, &grid);
}

/// The legend: a swatch and a few words for each colour in the picture,
/// three to a row; returns where it ends.
fn draw_legend(svg: &mut String, entries: &[(&str, &str)], y: f64) -> f64 {
    let mut end = y;
    for (row, chunk) in entries.chunks(3).enumerate() {
        let mut x = PLOT_LEFT;
        let y = y + row as f64 * 22.0;
        for (fill, words) in chunk {
            rect(svg, (x, y - 11.0, 14.0, 14.0), fill, "swatch", "");
            text(svg, x + 20.0, y, 14.0, "start", INK, words);
            x += 20.0 + 7.4 * words.chars().count() as f64 + 26.0;
        }
        end = y + 11.0;
    }
    end
}

/// The legend entries for runs in these modes.
fn legend(summaries: &[&Summary]) -> Vec<(&'static str, &'static str)> {
    let mut entries = vec![(RUNNING, "prints a line")];
    let mut seen: Vec<Waiting> = Vec::new();
    for summary in summaries {
        let waiting = Waiting::of(summary.mode, summary.work);
        if !seen.contains(&waiting) {
            seen.push(waiting);
            entries.push((
                wait_colour(waiting),
                waiting.meaning(summary.demo, summary.work),
            ));
        }
    }
    entries.push((READY, "ready, waiting for the thread"));
    if summaries.iter().any(|s| s.runtime.is_some()) {
        entries.push((BUSY, "runtime thread busy"));
        entries.push((PARKED, "runtime thread parked (idle)"));
    }
    entries
}

fn open(svg: &mut String, height: f64, title: &str) {
    let _ = writeln!(
        svg,
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>"#
    );
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="{FONT}">"#
    );
    let _ = writeln!(svg, "<title>{}</title>", escape(title));
    let _ = writeln!(
        svg,
        r##"<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="#ffffff"/>"##
    );
}

/// `--svg`: one run.
pub(crate) fn write(out: &mut impl Write, run: &Run) -> io::Result<()> {
    out.write_all(render(run).as_bytes())
}

fn render(run: &Run) -> String {
    let summary = run.summary;
    let axis = Axis {
        span: secs(run.span()),
    };
    let title = format!("{}: {:.2} s", command_line(summary), summary.elapsed_secs);
    let mut svg = String::new();
    text(&mut svg, 20.0, 34.0, 22.0, "start", INK, &title);

    // Rows: task lanes, the band, a gap and the thread lanes share the
    // height between the title and the axis.
    let shown = summary.tasks.min(MAX_LANES);
    let band = u32::from(summary.tasks > shown);
    let thread_rows = run.lanes().threads.len().min(MAX_THREAD_LANES + 1);
    let (top, bottom) = (60.0, HEIGHT - 100.0);
    let rows = f64::from(shown) + thread_rows as f64 + 0.4;
    let room = bottom - top - f64::from(band) * (BAND_HEIGHT + 4.0);
    let lane = (room / rows).min(56.0);
    let end = draw_run(&mut svg, run, axis, top, lane, MAX_LANES);
    draw_axis(&mut svg, axis, top - 6.0, end + 4.0);
    let end = draw_legend(&mut svg, &legend(&[summary]), end + 50.0);
    // As tall as the content: a few lanes leave no blank below.
    finish(&svg, (end + 16.0).min(HEIGHT), &title)
}

/// The whole file: the root element, sized `height`, around `body`.
fn finish(body: &str, height: f64, title: &str) -> String {
    let mut svg = String::with_capacity(body.len() + 512);
    open(&mut svg, height.ceil(), title);
    svg.push_str(body);
    svg.push_str("</svg>\n");
    svg
}

/// One way of `compare`: the run and its verdict.
pub(crate) struct Panel<'a> {
    pub(crate) run: Run<'a>,
    pub(crate) verdict: String,
}

/// Task lanes per panel of a `compare` picture.
const PANEL_LANES: u32 = 6;

/// `compare --svg`: one panel per way, on a shared time axis.
pub(crate) fn write_compare(out: &mut impl Write, panels: &[Panel]) -> io::Result<()> {
    out.write_all(render_compare(panels).as_bytes())
}

fn render_compare(panels: &[Panel]) -> String {
    let span = panels
        .iter()
        .map(|p| secs(p.run.span()))
        .fold(0.0, f64::max);
    let axis = Axis { span };
    let lane = 13.0;
    let header = 22.0;
    let heights: Vec<f64> = panels
        .iter()
        .map(|p| {
            let s = p.run.summary;
            let shown = s.tasks.min(PANEL_LANES);
            let threads = p.run.lanes().threads.len().min(MAX_THREAD_LANES + 1);
            header
                + lane * (f64::from(shown) + threads as f64 + 0.4)
                + if s.tasks > shown {
                    BAND_HEIGHT + 4.0
                } else {
                    0.0
                }
                + 6.0
        })
        .collect();
    let top = 60.0;
    let first = panels.first().map(|p| p.run.summary);
    let title = match first {
        Some(s) => format!(
            "asyncdemo compare {} -n {} -d {}: every way of running",
            s.demo.name(),
            s.tasks,
            humantime::format_duration(round_ms(s.delay_secs))
        ),
        None => "asyncdemo compare".to_owned(),
    };
    let mut svg = String::new();
    text(&mut svg, 20.0, 34.0, 22.0, "start", INK, &title);
    let mut y = top;
    for (panel, height) in panels.iter().zip(&heights) {
        let s = panel.run.summary;
        let _ = writeln!(
            svg,
            r#"<line x1="20" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{GRID}" stroke-width="1"/>"#,
            WIDTH - 20.0
        );
        let _ = writeln!(
            svg,
            r#"<text x="20" y="{:.1}" font-size="13" fill="{INK}"><tspan font-weight="bold">{}</tspan> {} · {:.2} s: {}</text>"#,
            y + 16.0,
            escape(s.mode.name()),
            escape(&runtime_label(s)),
            s.elapsed_secs,
            escape(&panel.verdict)
        );
        draw_run(&mut svg, &panel.run, axis, y + header, lane, PANEL_LANES);
        y += height;
    }
    draw_axis(&mut svg, axis, top, y + 4.0);
    let summaries: Vec<&Summary> = panels.iter().map(|p| p.run.summary).collect();
    let end = draw_legend(&mut svg, &legend(&summaries), y + 50.0);
    finish(&svg, end + 16.0, &title)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::testing::event;
    use crate::vocab::{Outcome, Phase};

    fn summary(mode: Mode, tasks: u32, delay_ms: u64, elapsed_ms: u64) -> Summary {
        let mut config = crate::report::test_config(tasks, Duration::from_millis(delay_ms), vec![]);
        config.way.mode = mode;
        let outcome = Outcome {
            elapsed: Duration::from_millis(elapsed_ms),
            completed: tasks,
            ..Outcome::default()
        };
        Summary::new(&config, outcome, None)
    }

    /// The three-task blocking staircase, as the run records it.
    fn staircase() -> Vec<Event> {
        (1..=3)
            .flat_map(|t| {
                let at = u64::from(t - 1) * 200;
                [
                    event(at, t, Phase::First, 1),
                    event(at + 200, t, Phase::Last, 1),
                ]
            })
            .collect()
    }

    /// The segments of a class, with their tooltips.
    fn segments<'a>(doc: &'a roxmltree::Document, class: &str) -> Vec<roxmltree::Node<'a, 'a>> {
        doc.descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("class") == Some(class))
            .collect()
    }

    fn tooltip(node: roxmltree::Node) -> String {
        node.children()
            .find(|c| c.has_tag_name("title"))
            .and_then(|t| t.text())
            .unwrap_or_default()
            .to_owned()
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape(r#"a<b>&"c"'d"#),
            "a&lt;b&gt;&amp;&quot;c&quot;&apos;d"
        );
        assert_eq!(escape("tab\tok\u{1}"), "tab\tok?");
    }

    #[test]
    fn a_blocking_run_is_a_staircase_of_held_threads_and_tasks_kept_waiting() {
        let summary = summary(Mode::Blocking, 3, 200, 600);
        let events = staircase();
        let svg = render(&Run {
            summary: &summary,
            events: &events,
            parks: &[],
        });
        let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("version"), Some("1.1"));
        assert_eq!(root.attribute("width"), Some("1200"));
        let height: f64 = root.attribute("height").unwrap().parse().unwrap();
        assert!(height <= HEIGHT);
        assert_eq!(
            root.attribute("viewBox"),
            Some(format!("0 0 1200 {height}").as_str())
        );
        let title = root.children().find(|c| c.has_tag_name("title")).unwrap();
        assert_eq!(
            title.text(),
            Some("asyncdemo count -n 3 -d 200ms --blocking: 0.60 s")
        );

        let blocked = segments(&doc, "blocked");
        assert_eq!(blocked.len(), 3, "each task holds the thread once");
        assert!(
            blocked
                .iter()
                .all(|n| n.attribute("fill") == Some(wait_colour(Waiting::Blocked)))
        );
        assert_eq!(
            tooltip(blocked[1]),
            "task 2: blocked in std::thread::sleep, holding its thread, for 0.200 s \
             (0.200 to 0.400 s)"
        );
        // Tasks 2 and 3 were ready from the start, kept off the thread.
        let ready = segments(&doc, "ready");
        let tips: Vec<String> = ready.iter().map(|n| tooltip(*n)).collect();
        assert_eq!(
            tips,
            [
                "task 2: ready, waiting for the thread, for 0.200 s (0.000 to 0.200 s)",
                "task 3: ready, waiting for the thread, for 0.400 s (0.000 to 0.400 s)",
            ]
        );
        // The staircase: each held stretch starts where the last one ended.
        let x = |n: &roxmltree::Node| n.attribute("x").unwrap().parse::<f64>().unwrap();
        let w = |n: &roxmltree::Node| n.attribute("width").unwrap().parse::<f64>().unwrap();
        for pair in blocked.windows(2) {
            assert!((x(&pair[0]) + w(&pair[0]) - x(&pair[1])).abs() < 0.5);
        }
        // The thread that never parked was busy all along.
        let busy = segments(&doc, "busy");
        assert_eq!(busy.len(), 1);
        assert!((x(&busy[0]) - PLOT_LEFT).abs() < 0.01);
        assert!((x(&busy[0]) + w(&busy[0]) - PLOT_RIGHT).abs() < 0.5);
        assert_eq!(segments(&doc, "line").len(), 6);
    }

    #[test]
    fn an_async_run_waits_together_while_the_thread_is_parked() {
        let summary = summary(Mode::Async, 3, 1000, 1000);
        let events: Vec<Event> = [Phase::First, Phase::Last]
            .into_iter()
            .flat_map(|phase| {
                let at = if phase == Phase::First { 0 } else { 1000 };
                (1..=3).map(move |t| event(at, t, phase, 1))
            })
            .collect();
        let park = |ms, parked| Park {
            at: Duration::from_millis(ms),
            thread: 1,
            parked,
        };
        let parks = [park(1, true), park(999, false)];
        let svg = render(&Run {
            summary: &summary,
            events: &events,
            parks: &parks,
        });
        let doc = roxmltree::Document::parse(&svg).unwrap();
        assert_eq!(segments(&doc, "free").len(), 3);
        assert!(segments(&doc, "blocked").is_empty());
        assert!(segments(&doc, "ready").is_empty());
        assert_eq!(segments(&doc, "parked").len(), 1);
        assert_eq!(segments(&doc, "busy").len(), 2, "at the start and the end");
        let labels: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .collect();
        assert!(labels.contains(&"runtime thread"));
        assert!(labels.contains(&"sleeping, its thread free for other tasks"));
        assert!(labels.contains(&"1.0 s"), "{labels:?}");
    }

    /// Many tasks: 40 lanes and a band, and the file stays small.
    #[test]
    fn lanes_are_capped_and_the_file_stays_small() {
        for (tasks, limit) in [(200, 300_000), (1_000_000, 1_000_000)] {
            let summary = summary(Mode::Async, tasks, 1000, 1500);
            // A million tasks print their last lines over half a second:
            // the later ones are ready, waiting for the thread.
            let events: Vec<Event> = (1..=tasks)
                .map(|t| event(0, t, Phase::First, 1))
                .chain((1..=tasks).map(|t| {
                    event(
                        1000 + u64::from(t) * 500 / u64::from(tasks),
                        t,
                        Phase::Last,
                        1,
                    )
                }))
                .collect();
            let svg = render(&Run {
                summary: &summary,
                events: &events,
                parks: &[],
            });
            assert!(svg.len() < limit, "{tasks} tasks: {} bytes", svg.len());
            let doc = roxmltree::Document::parse(&svg).unwrap();
            assert_eq!(segments(&doc, "free").len(), 40, "{tasks}");
            assert!(!segments(&doc, "band-wait").is_empty());
            assert!(!segments(&doc, "band-ready").is_empty());
            let more = format!(
                "… and {} more",
                super::super::timeline::thousands(tasks - 40)
            );
            assert!(doc.descendants().any(|n| n.text() == Some(more.as_str())));
        }
    }

    #[test]
    fn compare_draws_a_panel_per_way_on_one_axis() {
        let blocking = summary(Mode::Blocking, 3, 200, 600);
        let quick = summary(Mode::Async, 3, 200, 200);
        let events = staircase();
        let together: Vec<Event> = (1..=3)
            .flat_map(|t| [event(0, t, Phase::First, 1), event(200, t, Phase::Last, 1)])
            .collect();
        let panels = [
            Panel {
                run: Run {
                    summary: &quick,
                    events: &together,
                    parks: &[],
                },
                verdict: "all waits overlap: <tokio> & friends".to_owned(),
            },
            Panel {
                run: Run {
                    summary: &blocking,
                    events: &events,
                    parks: &[],
                },
                verdict: "one after another".to_owned(),
            },
        ];
        let svg = render_compare(&panels);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let headers: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text") && n.children().any(|c| c.has_tag_name("tspan")))
            .map(|n| {
                n.descendants()
                    .filter(|c| c.is_text())
                    .filter_map(|c| c.text())
                    .collect()
            })
            .collect();
        assert_eq!(
            headers,
            [
                "async current-thread · 0.20 s: all waits overlap: <tokio> & friends",
                "blocking current-thread · 0.60 s: one after another",
            ]
        );
        // One axis for both: the async run's waits end a third of the way.
        let free = segments(&doc, "free");
        let x = |n: &roxmltree::Node, a| n.attribute(a).unwrap().parse::<f64>().unwrap();
        let end = x(&free[0], "x") + x(&free[0], "width");
        let third = PLOT_LEFT + (PLOT_RIGHT - PLOT_LEFT) / 3.0;
        assert!((end - third).abs() < 1.0, "{end} vs {third}");
    }
}
