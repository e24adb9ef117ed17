//! The `compare` table: one row per way of running the same demo.

use super::Summary;
use crate::vocab::{Demo, Mode, RuntimeKind};
use std::io::{self, Write};

/// One way of running the tasks, as `compare` runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Way {
    /// How each task waits.
    pub(crate) mode: Mode,
    /// The runtime (ignored by `threads`, which uses none).
    pub(crate) runtime: RuntimeKind,
    /// Spawn each task instead of joining them in one `join_all`.
    pub(crate) spawn: bool,
    /// Why it behaves as it does, in plain words, for the sleeping demos.
    pub(crate) why: &'static str,
    /// The same for `fetch`, where its words differ.
    pub(crate) why_fetch: Option<&'static str>,
}

impl Way {
    /// The explanation in the words of `demo`'s wait.
    pub(crate) fn why(&self, demo: Demo) -> &'static str {
        match (demo, self.why_fetch) {
            (Demo::Fetch, Some(why)) => why,
            _ => self.why,
        }
    }
}

/// Every way `compare` runs, in the order of the lesson.
pub(crate) const WAYS: [Way; 6] = [
    Way {
        mode: Mode::Async,
        runtime: RuntimeKind::CurrentThread,
        spawn: false,
        why: "tokio::time::sleep frees the thread while it waits",
        why_fetch: Some("tokio::net frees the thread while it awaits the reply"),
    },
    Way {
        mode: Mode::Blocking,
        runtime: RuntimeKind::CurrentThread,
        spawn: false,
        why: "std::thread::sleep blocks the executor",
        why_fetch: Some("a std::net read blocks the executor"),
    },
    Way {
        mode: Mode::Threads,
        runtime: RuntimeKind::CurrentThread,
        spawn: false,
        why: "each task holds an OS thread of its own",
        why_fetch: None,
    },
    Way {
        mode: Mode::SpawnBlocking,
        runtime: RuntimeKind::CurrentThread,
        spawn: false,
        why: "the sleeps run on tokio's blocking pool",
        why_fetch: Some("the std::net calls run on tokio's blocking pool"),
    },
    Way {
        mode: Mode::Blocking,
        runtime: RuntimeKind::MultiThread,
        spawn: false,
        why: "join_all polls every task inside one tokio task, on one worker",
        why_fetch: None,
    },
    Way {
        mode: Mode::Blocking,
        runtime: RuntimeKind::MultiThread,
        spawn: true,
        why: "each spawned task blocks only the worker it runs on",
        why_fetch: None,
    },
];

/// The runtime column: `current-thread`, `multi-thread ×2, spawned`, ...
pub(crate) fn runtime_label(summary: &Summary) -> String {
    let Some(runtime) = summary.runtime else {
        return format!("none ({} OS threads)", summary.tasks);
    };
    let mut label = runtime.name().to_owned();
    if let Some(workers) = summary.workers {
        label.push_str(&format!(" ×{workers}"));
    }
    if summary.workers.is_some() || summary.spawn {
        label.push_str(if summary.spawn {
            ", spawned"
        } else {
            ", joined"
        });
    }
    label
}

/// What the progress line says before a way runs: `blocking on
/// multi-thread ×2, spawned`.
pub(crate) fn describe(summary: &Summary) -> String {
    match summary.runtime {
        Some(_) => format!("{} on {}", summary.mode.name(), runtime_label(summary)),
        None => format!("{} ({} OS threads)", summary.mode.name(), summary.tasks),
    }
}

/// The verdict: what the measurement says, then why.
///
/// The measurement is read as *rounds of waiting*: elapsed ÷ delay, rounded.
/// One round means every wait overlapped; N rounds, one after another; in
/// between, about N ÷ rounds at a time (3 tasks on 2 workers: 2 rounds, 2 at
/// a time). Rounds shrug off a noisy machine better than raw ratios do, and
/// the rounding leans down (0.3 of a round) because noise only ever makes a
/// run slower: a 2-round run stretched to 2.7 delays still reads as 2.
pub(crate) fn verdict(summary: &Summary, why: &str) -> String {
    let tasks = u64::from(summary.tasks);
    let measured = if summary.delay_secs == 0.0 {
        "no wait to overlap (delay 0)".to_owned()
    } else {
        let rounds = (summary.elapsed_secs / summary.delay_secs - 0.3)
            .round()
            .max(1.0) as u64;
        match rounds {
            1 if tasks > 1 => "all waits overlap".to_owned(),
            1 => "a single task".to_owned(),
            r if r >= tasks => "one after another".to_owned(),
            r => format!("{} at a time", tasks.div_ceil(r)),
        }
    };
    format!("{measured}: {why}")
}

/// One row of the table, as strings.
fn cells(summary: &Summary, why: &str) -> [String; 5] {
    [
        summary.mode.name().to_owned(),
        runtime_label(summary),
        format!("{:.2} s", summary.elapsed_secs),
        // With no delay there is nothing to speed up; the verdict says so.
        match summary.speedup {
            Some(s) if summary.delay_secs > 0.0 => format!("{s:.1}×"),
            _ => "-".to_owned(),
        },
        verdict(summary, why),
    ]
}

const HEADERS: [&str; 5] = ["mode", "runtime", "elapsed", "speedup", "verdict"];

/// Aligned columns for a terminal; `bold` styles the header on a TTY.
pub(crate) fn write_text(
    out: &mut impl Write,
    rows: &[(Summary, &str)],
    color: bool,
) -> io::Result<()> {
    let table: Vec<[String; 5]> = rows.iter().map(|(s, why)| cells(s, why)).collect();
    let mut widths = HEADERS.map(str::chars).map(Iterator::count);
    for row in &table {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| -> String {
        let mut text = String::new();
        for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
            // Numbers align right, words left; the last column is not padded.
            match i {
                2 | 3 => text.push_str(&format!("{cell:>width$}  ")),
                4 => text.push_str(cell),
                _ => text.push_str(&format!("{cell:<width$}  ")),
            }
        }
        text
    };
    let header = line(HEADERS);
    if color {
        let bold = anstyle::Style::new().bold();
        writeln!(out, "{bold}{header}{bold:#}")?;
    } else {
        writeln!(out, "{header}")?;
    }
    for row in &table {
        writeln!(out, "{}", line(row.each_ref().map(String::as_str)))?;
    }
    Ok(())
}

/// A GitHub table, for a README or a slide.
pub(crate) fn write_markdown(out: &mut impl Write, rows: &[(Summary, &str)]) -> io::Result<()> {
    writeln!(out, "| {} |", HEADERS.join(" | "))?;
    writeln!(out, "|---|---|---:|---:|---|")?;
    for (summary, why) in rows {
        writeln!(out, "| {} |", cells(summary, why).join(" | "))?;
    }
    Ok(())
}

/// The run summaries, in the `--format json` schema.
pub(crate) fn write_json(out: &mut impl Write, rows: &[(Summary, &str)]) -> io::Result<()> {
    let summaries: Vec<&Summary> = rows.iter().map(|(s, _)| s).collect();
    serde_json::to_writer_pretty(&mut *out, &summaries)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{Outcome, Runtime};
    use std::time::Duration;

    fn summary(mode: Mode, runtime: Option<Runtime>, spawn: bool, elapsed_ms: u64) -> Summary {
        let mut config = crate::report::test_config(4, Duration::from_millis(200), vec![]);
        config.way.mode = mode;
        config.way.runtime = runtime;
        config.way.spawn = spawn;
        let outcome = Outcome {
            elapsed: Duration::from_millis(elapsed_ms),
            completed: 4,
            observed_delay: None,
        };
        Summary::new(&config, outcome, None)
    }

    #[test]
    fn verdicts_count_rounds_of_waiting() {
        let s = summary(Mode::Async, Some(Runtime::CurrentThread), false, 203);
        assert_eq!(verdict(&s, "why"), "all waits overlap: why");
        let s = summary(Mode::Blocking, Some(Runtime::CurrentThread), false, 815);
        assert_eq!(verdict(&s, "why"), "one after another: why");
        let s = summary(Mode::Blocking, Some(Runtime::MultiThread(2)), true, 410);
        assert_eq!(verdict(&s, "why"), "2 at a time: why");
        // A busy machine stretches runs, never shortens them.
        let s = summary(Mode::Blocking, Some(Runtime::MultiThread(2)), true, 540);
        assert_eq!(verdict(&s, "why"), "2 at a time: why");
        let s = summary(Mode::Async, Some(Runtime::CurrentThread), false, 340);
        assert_eq!(verdict(&s, "why"), "all waits overlap: why");
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
        let rows = [(
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
