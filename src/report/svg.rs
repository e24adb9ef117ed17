//! `--svg FILE`: the run as a standalone SVG 1.1 picture, for a slide.
//!
//! One lane per task on a time axis, coloured by what the task is doing
//! (see [`super::lanes`]), then one lane per runtime thread: running code,
//! held in a blocking call, or parked. A hover tooltip (`<title>`) on every
//! mark gives its figures, as inferno's flame graphs do. `compare --svg`
//! draws one such panel per way, on a shared time axis.
//!
//! Written as inferno writes its flame graphs: [`layout`] decides where
//! everything goes, [`super::palette`] what colour it is (the same palette
//! as the terminal's `--timeline`), and [`writer`] writes the shapes
//! through quick-xml, which escapes every piece of text.

mod layout;

pub(crate) use layout::MAX_LANES;
mod writer;

use super::Summary;
use super::lanes::Lanes;
use crate::vocab::{Event, Park};
use std::io::{self, Write};
use std::time::Duration;

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

/// One way of `compare`: the run and its verdict.
pub(crate) struct Panel<'a> {
    pub(crate) run: Run<'a>,
    pub(crate) verdict: String,
}

/// `--svg`: one run.
pub(crate) fn write(out: &mut impl Write, run: &Run) -> io::Result<()> {
    writer::write(out, &layout::run(run))
}

/// `compare --svg`: one panel per way given (any subset of the ways, in
/// the order given), on a shared time axis.
pub(crate) fn write_compare(out: &mut impl Write, panels: &[Panel]) -> io::Result<()> {
    writer::write(out, &layout::compare(panels))
}

/// The height of the compare picture of `panels` when it is more than one
/// 16:9 slide holds; `None` when it fits.
pub(crate) fn taller_than_a_slide(panels: &[Panel]) -> Option<f64> {
    let grid = layout::grid(panels);
    (!grid.fits).then_some(grid.height)
}

/// The width and height a picture's `viewBox` gives it: the size of the
/// compare slide, which has no other.
#[cfg(test)]
pub(crate) fn view_box(doc: &roxmltree::Document) -> (f64, f64) {
    let numbers: Vec<f64> = doc
        .root_element()
        .attribute("viewBox")
        .unwrap()
        .split(' ')
        .map(|n| n.parse().unwrap())
        .collect();
    (numbers[2], numbers[3])
}

/// The picture of one run as a string.
#[cfg(test)]
fn render(run: &Run) -> String {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write(&mut out, run);
    String::from_utf8_lossy(&out).into_owned()
}

/// The `compare` picture as a string.
#[cfg(test)]
fn render_compare(panels: &[Panel]) -> String {
    let mut out = Vec::new();
    let _ = write_compare(&mut out, panels);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::layout::{PLOT_LEFT, PLOT_RIGHT, SLIDE};
    use super::*;
    use crate::outcome::Outcome;
    use crate::report::labels::thousands;
    use crate::report::marks::testing::waits;
    use crate::report::palette::Role;
    use crate::report::waiting::Waiting;
    use crate::state::tests::slept;
    use crate::vocab::testing::event;
    use crate::vocab::{Mode, Phase};

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

    /// The blocking staircase of `tasks` tasks of 200 ms, as the run
    /// records it.
    fn staircase(tasks: u64) -> Vec<Event> {
        let steps: Vec<(u64, u64, u32)> = (0..tasks).map(|t| (t * 200, t * 200 + 200, 1)).collect();
        waits(&steps)
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

    /// Text reaches the file through quick-xml: markup characters are
    /// escaped, and control characters (not allowed in XML 1.0 even
    /// escaped) are replaced, so the file always parses and reads back
    /// as the text that was given.
    #[test]
    fn text_is_escaped() {
        let summary = summary(Mode::Async, 1, 200, 200);
        let events = [event(0, 1, Phase::First, 1), event(200, 1, Phase::Last, 1)];
        let panels = [Panel {
            run: Run {
                summary: &summary,
                events: &events,
                parks: &[],
            },
            verdict: "a<b>&\"c\"'d tab\tok\u{1}".to_owned(),
        }];
        let svg = render_compare(&panels);
        assert!(svg.contains("a&lt;b&gt;&amp;"), "{svg}");
        let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
        assert!(
            doc.descendants()
                .any(|n| n.text() == Some("a<b>&\"c\"'d tab\tok?")),
            "{svg}"
        );
    }

    #[test]
    fn a_blocking_run_is_a_staircase_of_held_threads_and_tasks_kept_waiting() {
        let summary = summary(Mode::Blocking, 3, 200, 600);
        let events = staircase(3);
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
        assert!((200.0..=600.0).contains(&height), "{height}");
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
                .all(|n| n.attribute("fill") == Some(Role::Wait(Waiting::Blocked).hex()))
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
        // The thread never parked, but it ran no code: the tasks held it,
        // one after another, from the start to the end.
        let held = segments(&doc, "held");
        assert_eq!(held.len(), 1, "three waits end to end, one stretch");
        assert!((x(&held[0]) - PLOT_LEFT).abs() < 0.01);
        assert!((x(&held[0]) + w(&held[0]) - PLOT_RIGHT).abs() < 0.5);
        assert!(
            tooltip(held[0]).starts_with("block_on thread: held in a blocking call for 0.600 s")
        );
        assert!(
            segments(&doc, "busy").is_empty(),
            "it never ran code between waits here"
        );
        assert_eq!(segments(&doc, "line").len(), 6);
        // The legend says what the pale red is.
        let words: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .collect();
        assert!(
            words.contains(&"runtime thread held in a blocking call (no CPU)"),
            "{words:?}"
        );
        assert!(words.contains(&"runtime thread running code"), "{words:?}");
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
        assert!(labels.contains(&"block_on thread"));
        assert!(labels.contains(&"sleeping, its thread free for other tasks"));
        assert!(labels.contains(&"1.0 s"), "{labels:?}");
        assert!(
            !labels.iter().any(|l| l.contains("held")),
            "nothing holds the thread of an async run: {labels:?}"
        );
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
            // All woken at 1 s, each polled at its last line.
            let observed: Vec<_> = events[tasks as usize..]
                .iter()
                .flat_map(|e| slept(e.task, 1000.0, 1000.0, e.at.as_secs_f64() * 1e3))
                .collect();
            let summary = Summary {
                observed: crate::state::Observations {
                    events: observed,
                    parks: Vec::new(),
                    tallies: None,
                }
                .into(),
                ..summary
            };
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
            let more = format!("… {} more", thousands(tasks - 40));
            assert!(doc.descendants().any(|n| n.text() == Some(more.as_str())));
        }
    }

    #[test]
    fn compare_draws_a_panel_per_way_on_one_axis() {
        let blocking = summary(Mode::Blocking, 3, 200, 600);
        let quick = summary(Mode::Async, 3, 200, 200);
        let events = staircase(3);
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
                "async current-thread · 0.20 s",
                "blocking current-thread · 0.60 s",
            ]
        );
        // Each verdict on a line of its own, under its heading.
        let texts: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .collect();
        let at = |t: &str| texts.iter().position(|x| *x == t).unwrap();
        assert!(at("all waits overlap: <tokio> & friends") < at("one after another"));
        // One axis for both: the async run's waits end a third of the way
        // along the axis line (dark) under their column.
        let free = segments(&doc, "free");
        let x = |n: &roxmltree::Node, a| n.attribute(a).unwrap().parse::<f64>().unwrap();
        let end = x(&free[0], "x") + x(&free[0], "width");
        let axes: Vec<roxmltree::Node> = doc
            .descendants()
            .filter(|n| n.has_tag_name("line") && n.attribute("stroke") == Some("#222222"))
            .collect();
        assert_eq!(axes.len(), 1, "two panels fit one column");
        let (left, right) = (x(&axes[0], "x1"), x(&axes[0], "x2"));
        let third = left + (right - left) / 3.0;
        assert!((end - third).abs() < 1.0, "{end} vs {third}");
        let blocked = segments(&doc, "blocked");
        let last = blocked.last().unwrap();
        assert!((x(last, "x") + x(last, "width") - right).abs() < 1.0);
        // Each run's thread lane ends where that run ended: the async
        // run's a third of the way, not parked on to the blocking run's end.
        let parked = segments(&doc, "parked");
        assert_eq!(parked.len(), 2, "one thread lane per run");
        let ends: Vec<f64> = parked.iter().map(|p| x(p, "x") + x(p, "width")).collect();
        assert!((ends[0] - third).abs() < 1.0, "{ends:?} vs {third}");
        assert!((ends[1] - right).abs() < 1.0, "{ends:?} vs {right}");
    }

    /// Text sized for a projector: nothing a learner must read is under
    /// 16 px in a picture 1200 px wide (one run's) or 1920 (compare's
    /// slide).
    #[test]
    fn text_is_large_enough_for_a_slide() {
        let blocking = summary(Mode::Blocking, 3, 200, 600);
        let events = staircase(3);
        let run = || Run {
            summary: &blocking,
            events: &events,
            parks: &[],
        };
        let panels = [Panel {
            run: run(),
            verdict: "one after another: each task holds the thread while it sleeps, \
                      so the next cannot start until it is done, and so on, \
                      for every task of the run, until the last"
                .to_owned(),
        }];
        for (svg, page) in [(render(&run()), 1200.0), (render_compare(&panels), 1920.0)] {
            let doc = roxmltree::Document::parse(&svg).unwrap();
            let view_box = doc.root_element().attribute("viewBox").unwrap();
            assert!(view_box.starts_with(&format!("0 0 {page} ")), "{view_box}");
            let sizes: Vec<(f64, String)> = doc
                .descendants()
                .filter(|n| n.has_tag_name("text"))
                .map(|n| {
                    let size = n.attribute("font-size").unwrap().parse().unwrap();
                    let text = n
                        .descendants()
                        .filter(|c| c.is_text())
                        .filter_map(|c| c.text())
                        .collect();
                    (size, text)
                })
                .collect();
            assert!(sizes.iter().any(|(_, t)| t == "task 1"), "{sizes:?}");
            for (size, text) in &sizes {
                assert!(*size >= 16.0, "{text:?} is {size} px");
            }
            // A long verdict wraps rather than running off the page: no
            // line of it is longer than the page holds at its size.
            for (size, text) in &sizes {
                let width = text.chars().count() as f64 * size * 0.56;
                assert!(width <= page - 20.0, "{text:?} is about {width} px wide");
            }
        }
    }

    /// `count`'s eight ways, as compare draws them: blocking staircases of
    /// three tasks (the tallest panels a default run makes).
    fn eight_panels<'a>(blocking: &'a Summary, events: &'a [Event]) -> Vec<Panel<'a>> {
        (0..8)
            .map(|_| Panel {
                run: Run {
                    summary: blocking,
                    events,
                    parks: &[],
                },
                verdict: "one after another: join_all is one future, which one thread polls \
                          at a time, so each block stalls every task in it (longest poll 0.200 s)"
                    .to_owned(),
            })
            .collect()
    }

    /// Where a text element reaches, about: (left, right, baseline).
    fn text_box(node: roxmltree::Node) -> (f64, f64, f64) {
        let num = |a| node.attribute(a).unwrap().parse::<f64>().unwrap();
        let (x, y, size) = (num("x"), num("y"), num("font-size"));
        let text: String = node
            .descendants()
            .filter(|c| c.is_text())
            .filter_map(|c| c.text())
            .collect();
        let width = text.chars().count() as f64 * size * 0.56;
        match node.attribute("text-anchor") {
            Some("end") => (x - width, x, y),
            Some("middle") => (x - width / 2.0, x + width / 2.0, y),
            _ => (x, x + width, y),
        }
    }

    /// The default compare picture is a 16:9 slide that scales to the
    /// window: a viewBox and no fixed size, and everything (the panels,
    /// the legend, the time axis) inside it.
    #[test]
    fn compare_is_a_16_9_slide_that_scales_to_the_window() {
        let blocking = summary(Mode::Blocking, 3, 200, 600);
        let events = staircase(3);
        let svg = render_compare(&eight_panels(&blocking, &events));
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        assert_eq!(
            root.attribute("width"),
            None,
            "a fixed width keeps it from scaling"
        );
        assert_eq!(root.attribute("height"), None);
        let (width, height) = view_box(&doc);
        assert_eq!((width, height), SLIDE);
        assert!((width / height - 16.0 / 9.0).abs() < 1e-9);
        for text in doc.descendants().filter(|n| n.has_tag_name("text")) {
            let (left, right, y) = text_box(text);
            assert!(
                left >= 0.0 && right <= width && y <= height,
                "{:?} is off the slide",
                text_box(text)
            );
        }
        for rect in doc.descendants().filter(|n| n.has_tag_name("rect")) {
            let num = |a| rect.attribute(a).unwrap().parse::<f64>().unwrap();
            assert!(num("y") + num("height") <= height + 0.5, "{rect:?}");
            assert!(num("x") + num("width") <= width + 0.5, "{rect:?}");
        }
        // Eight panels, every one with its lanes, and the legend above
        // them.
        let headings: Vec<f64> = doc
            .descendants()
            .filter(|n| n.has_tag_name("tspan"))
            .map(|n| text_box(n.parent().unwrap()).2)
            .collect();
        assert_eq!(headings.len(), 8);
        assert_eq!(segments(&doc, "blocked").len(), 24);
        let swatches = segments(&doc, "swatch");
        assert!(!swatches.is_empty());
        let first = headings.iter().copied().fold(f64::MAX, f64::min);
        for swatch in swatches {
            assert!(swatch.attribute("y").unwrap().parse::<f64>().unwrap() < first);
        }
        // A grid, not a column: several panels share a row.
        let rows: std::collections::BTreeSet<i64> = headings.iter().map(|y| *y as i64).collect();
        assert!(rows.len() < 8, "{rows:?}");
        // The time axis labels are on the slide, under the panels.
        let ticks: Vec<f64> = doc
            .descendants()
            .filter(|n| {
                n.has_tag_name("text")
                    && n.text()
                        .is_some_and(|t| t.ends_with(" s") && t.starts_with("0."))
            })
            .map(|n| text_box(n).2)
            .collect();
        assert!(!ticks.is_empty());
        assert!(ticks.iter().all(|y| *y > first && *y <= height));
        let title = root.children().find(|n| n.has_tag_name("title")).unwrap();
        assert!(!title.text().unwrap().contains("side by side"));
        assert!(layout::grid(&eight_panels(&blocking, &events)).fits);
    }

    /// More ways than a slide holds: the page grows taller than 16:9 (and
    /// compare says on stderr how to pick fewer).
    #[test]
    fn too_many_panels_for_a_slide_make_a_taller_page() {
        let blocking = summary(Mode::Blocking, 6, 200, 1200);
        let events = staircase(6);
        let panels: Vec<Panel> = (0..24)
            .map(|_| Panel {
                run: Run {
                    summary: &blocking,
                    events: &events,
                    parks: &[],
                },
                verdict: "one after another".to_owned(),
            })
            .collect();
        let grid = layout::grid(&panels);
        assert!(!grid.fits);
        let svg = render_compare(&panels);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let view_box = doc.root_element().attribute("viewBox").unwrap();
        let height: f64 = view_box.split(' ').nth(3).unwrap().parse().unwrap();
        assert!(height > SLIDE.1, "{view_box}");
        assert_eq!(doc.root_element().attribute("width"), None);
        // Still whole: every panel's lanes are drawn.
        assert_eq!(segments(&doc, "blocked").len(), 24 * 6);
    }

    /// compare draws any subset of its ways: one panel, or several, each
    /// with its own heading, and a legend for what those panels show.
    #[test]
    fn compare_draws_any_subset_of_the_ways() {
        let blocking = summary(Mode::Blocking, 3, 200, 600);
        let events = staircase(3);
        let panel = || Panel {
            run: Run {
                summary: &blocking,
                events: &events,
                parks: &[],
            },
            verdict: "one after another".to_owned(),
        };
        for count in 1..=3 {
            let panels: Vec<Panel> = (0..count).map(|_| panel()).collect();
            let svg = render_compare(&panels);
            let doc = roxmltree::Document::parse(&svg).unwrap();
            let headings = doc
                .descendants()
                .filter(|n| n.has_tag_name("tspan"))
                .count();
            assert_eq!(headings, count);
            assert_eq!(segments(&doc, "blocked").len(), 3 * count);
            // The legend names only the waits these panels show.
            let texts: Vec<&str> = doc
                .descendants()
                .filter(|n| n.has_tag_name("text"))
                .filter_map(|n| n.text())
                .collect();
            assert!(!texts.contains(&"sleeping, its thread free for other tasks"));
        }
        // Every mark in a lane has a tooltip, as in inferno's flame graphs:
        // only the legend's swatches and the page have none.
        let svg = render_compare(&[panel()]);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        for rect in doc.descendants().filter(|n| n.has_tag_name("rect")) {
            let class = rect.attribute("class").unwrap_or("page");
            if class != "swatch" && class != "page" {
                assert!(
                    !tooltip(rect).is_empty(),
                    "a {class} mark without a tooltip"
                );
            }
        }
        let empty = render_compare(&[]);
        assert!(roxmltree::Document::parse(&empty).is_ok());
    }

    /// Ctrl-C mid-wait: the open wait runs to the end of the axis with a
    /// mark that says it was interrupted, and the title says so.
    #[test]
    fn an_interrupted_wait_runs_to_the_end_marked() {
        let mut stopped = summary(Mode::Blocking, 3, 200, 300);
        stopped.interrupted = true;
        let events = &staircase(3)[..3];
        let svg = render(&Run {
            summary: &stopped,
            events,
            parks: &[],
        });
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let blocked = segments(&doc, "blocked");
        let x = |n: &roxmltree::Node, a| n.attribute(a).unwrap().parse::<f64>().unwrap();
        let last = blocked.last().unwrap();
        assert!((x(last, "x") + x(last, "width") - PLOT_RIGHT).abs() < 0.5);
        let marks = segments(&doc, "interrupted");
        assert_eq!(marks.len(), 2, "task 2 mid-wait, task 3 not started");
        assert_eq!(
            tooltip(marks[0]),
            "task 2: still waiting when a signal stopped the run at 0.300 s"
        );
        let held = segments(&doc, "held");
        assert!(
            (x(held.last().unwrap(), "x") + x(held.last().unwrap(), "width") - PLOT_RIGHT).abs()
                < 0.5
        );
        let title = doc
            .root_element()
            .children()
            .find(|c| c.has_tag_name("title"))
            .unwrap();
        assert_eq!(
            title.text(),
            Some("asyncdemo count -n 3 -d 200ms --blocking: 0.30 s, stopped by a signal")
        );
    }

    /// The title repeats the command as typed: a fetch's `-d` is the
    /// `--delay` given, not the measured round trip.
    #[test]
    fn the_title_repeats_the_delay_as_given() {
        let mut fetch = summary(Mode::Async, 3, 200, 201);
        fetch.demo = crate::vocab::Demo::Fetch;
        fetch.delay_secs = 0.201;
        let svg = render(&Run {
            summary: &fetch,
            events: &[],
            parks: &[],
        });
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let title = doc
            .root_element()
            .children()
            .find(|c| c.has_tag_name("title"))
            .unwrap();
        assert_eq!(title.text(), Some("asyncdemo fetch -n 3 -d 200ms: 0.20 s"));
    }
}
