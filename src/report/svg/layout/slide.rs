//! The `compare` picture: one panel per way on a 16:9 slide, in as few
//! columns as fit, every column on the same time axis. Each panel is a
//! run drawn as the one-run picture draws it ([`super::draw_run`]); this
//! file decides only where the panels, the shared legend and the axes go.

use super::super::super::labels::{given_delay, runtime_label};
use super::super::Panel;
use super::*;

/// The compare picture's page: a 16:9 slide, 1920 × 1080 units, where
/// text of 16 px reads as it does on a full-HD projector.
pub(in crate::report::svg) const SLIDE: (f64, f64) = (1920.0, 1080.0);
/// The page's margin, and the gap between two columns of panels.
const MARGIN: f64 = 20.0;
const GUTTER: f64 = 40.0;
/// The room of the lane labels, left of each panel's plot.
const LABEL_ROOM: f64 = 165.0;
/// The most columns of panels: more would leave each plot too narrow to
/// read a staircase.
const MAX_COLUMNS: usize = 4;
/// The lane heights a slide tries, tallest first: as tall as fits.
const SLIDE_LANES: [f64; 5] = [40.0, 36.0, 32.0, 28.0, 24.0];

/// Where the panels of a compare picture go: how many columns, how high a
/// lane, and whether it all fits the slide.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(in crate::report::svg) struct Grid {
    pub(in crate::report::svg) columns: usize,
    lane: f64,
    /// The page's height: the slide's, or more when the panels do not fit.
    pub(in crate::report::svg) height: f64,
    pub(in crate::report::svg) fits: bool,
}

/// One panel's geometry, measured before it is drawn.
struct Measured<'p, 'a> {
    panel: &'p Panel<'a>,
    lanes: Lanes,
    rows: Rows,
    /// The heading's way (bold), and its lines: the first starts with the
    /// way; a Python row's is long enough to wrap in a narrow panel.
    way: String,
    heading: Vec<String>,
    verdict: Vec<String>,
}

impl Measured<'_, '_> {
    /// The panel's height, lanes `lane` high.
    fn height(&self, lane: f64) -> f64 {
        self.heading.len() as f64 * (HEADING + 8.0)
            + self.verdict.len() as f64 * LABEL * 1.35
            + 12.0
            + self.rows.height(lane)
            + 8.0
    }
}

/// The width of one panel when there are `columns`.
fn panel_width(columns: usize) -> f64 {
    let columns = columns.max(1) as f64;
    (SLIDE.0 - 2.0 * MARGIN - (columns - 1.0) * GUTTER) / columns
}

/// The panels measured for `columns`.
fn measure<'p, 'a>(panels: &'p [Panel<'a>], columns: usize) -> Vec<Measured<'p, 'a>> {
    let width = panel_width(columns);
    panels
        .iter()
        .map(|panel| {
            let lanes = panel.run.lanes();
            let s = panel.run.summary;
            // A lock run's way is its lock (the mode is async in all
            // three), as in the table.
            let way = s.lock.map_or(s.mode.name(), |lock| lock.type_name());
            let heading = format!("{way} {} · {}", runtime_label(s), outcome(s));
            Measured {
                rows: Rows::of(&panel.run, &lanes, (PANEL_LANES, PANEL_THREADS)),
                lanes,
                way: way.to_owned(),
                // Bold text is a little wider than CHAR_EM says.
                heading: wrap(&heading, HEADING * 1.08, width),
                verdict: wrap(&panel.verdict, LABEL, width - 20.0),
                panel,
            }
        })
        .collect()
}

/// The height the panels take in rows of `columns`, lanes `lane` high.
fn grid_height(measured: &[Measured], columns: usize, lane: f64) -> f64 {
    measured
        .chunks(columns.max(1))
        .map(|row| row.iter().map(|m| m.height(lane)).fold(0.0, f64::max))
        .sum()
}

/// The legend's entries for the runs of `measured`.
fn legend_of(measured: &[Measured]) -> Vec<Entry> {
    let runs: Vec<(&Summary, &Lanes)> = measured
        .iter()
        .map(|m| (m.panel.run.summary, &m.lanes))
        .collect();
    legend(&runs)
}

/// Where the legend ends, flowed across the slide from under the title.
fn legend_end(entries: &[Entry]) -> f64 {
    let mut canvas = Canvas::default();
    draw_legend(&mut canvas, entries, LEGEND_TOP, SLIDE.0)
}

/// Where the legend's first row sits: under the title.
const LEGEND_TOP: f64 = 60.0 + LABEL;

/// The room under the panels: the time axis and its labels.
const AXIS_ROOM: f64 = 4.0 + 22.0 + 24.0;

/// The grid for `panels`: the fewest columns whose panels fit the slide,
/// their lanes as tall as fits; or, when no grid fits, the shortest one,
/// on a page taller than the slide.
pub(in crate::report::svg) fn grid(panels: &[Panel]) -> Grid {
    let most = panels.len().clamp(1, MAX_COLUMNS);
    let mut shortest: Option<Grid> = None;
    for columns in 1..=most {
        let measured = measure(panels, columns);
        let top = legend_end(&legend_of(&measured)) + 16.0;
        let room = SLIDE.1 - top - AXIS_ROOM;
        if let Some(&lane) = SLIDE_LANES
            .iter()
            .find(|&&lane| grid_height(&measured, columns, lane) <= room)
        {
            return Grid {
                columns,
                lane,
                height: SLIDE.1,
                fits: true,
            };
        }
        let lane = SLIDE_LANES[SLIDE_LANES.len() - 1];
        let height = top + grid_height(&measured, columns, lane) + AXIS_ROOM;
        if shortest.is_none_or(|g| height < g.height) {
            shortest = Some(Grid {
                columns,
                lane,
                height,
                fits: false,
            });
        }
    }
    shortest.unwrap_or(Grid {
        columns: 1,
        lane: SLIDE_LANES[0],
        height: SLIDE.1,
        fits: true,
    })
}

/// `compare --svg`: one panel per way, in the order given (any subset of
/// the ways draws), laid out for a 16:9 slide: the title and the legend
/// across the top, the panels in as few columns as fit, and a time axis
/// under each column, every column on the same scale.
pub(in crate::report::svg) fn compare(panels: &[Panel]) -> Picture {
    let span = panels
        .iter()
        .map(|p| secs(p.run.span()))
        .fold(0.0, f64::max);
    let grid = grid(panels);
    let width = panel_width(grid.columns);
    let title = match panels.first().map(|p| p.run.summary) {
        Some(s) => format!(
            "asyncdemo compare {} -n {} -d {}: {}",
            s.demo.name(),
            s.tasks,
            given_delay(s),
            match panels.len() {
                1 => "one way".to_owned(),
                n => format!("{n} ways on one time scale"),
            }
        ),
        None => "asyncdemo compare".to_owned(),
    };
    let mut canvas = Canvas::default();
    canvas.text((MARGIN, 38.0), TITLE, Anchor::Start, title.clone());
    let measured = measure(panels, grid.columns);
    // The legend first, under the title: on a slide it must not fall off
    // the bottom.
    let legend_end = draw_legend(&mut canvas, &legend_of(&measured), LEGEND_TOP, SLIDE.0);
    let top = legend_end + 16.0;
    let axis_of = |column: usize| {
        let x0 = MARGIN + column as f64 * (width + GUTTER);
        Axis {
            span,
            left: x0 + LABEL_ROOM,
            right: x0 + width - 10.0,
            room: LABEL_ROOM - 12.0,
        }
    };
    let mut y = top;
    for row in measured.chunks(grid.columns.max(1)) {
        let mut row_height: f64 = 0.0;
        for (column, m) in row.iter().enumerate() {
            let axis = axis_of(column);
            let x0 = axis.left - LABEL_ROOM;
            let mut py = y;
            canvas.front.push(Shape::Line {
                from: (x0, py),
                to: (x0 + width, py),
                stroke: GRID,
            });
            for (i, line) in m.heading.iter().enumerate() {
                py += HEADING + 8.0;
                // The way in bold, at the start of the first line.
                let (bold, body) = match line.strip_prefix(m.way.as_str()) {
                    Some(rest) if i == 0 => (m.way.clone(), rest.to_owned()),
                    _ => (String::new(), line.clone()),
                };
                canvas.front.push(Shape::Text {
                    at: (x0, py),
                    size: HEADING,
                    anchor: Anchor::Start,
                    fill: INK,
                    bold,
                    body,
                });
            }
            // The verdict on lines of its own, wrapped to the panel.
            for line in &m.verdict {
                py += LABEL * 1.35;
                canvas.front.push(Shape::Text {
                    at: (x0 + 20.0, py),
                    size: LABEL,
                    anchor: Anchor::Start,
                    fill: FAINT,
                    bold: String::new(),
                    body: line.clone(),
                });
            }
            py += 12.0;
            draw_run(
                &mut canvas,
                &m.panel.run,
                &m.lanes,
                axis,
                py,
                grid.lane,
                &m.rows,
            );
            row_height = row_height.max(m.height(grid.lane));
        }
        y += row_height;
    }
    // A time axis under each column, its grid lines through the panels.
    for column in 0..grid.columns.min(panels.len()) {
        draw_axis(&mut canvas, axis_of(column), top, y + 4.0);
    }
    let height = if grid.fits { SLIDE.1 } else { y + AXIS_ROOM };
    canvas.finish((SLIDE.0, height), title, true)
}
