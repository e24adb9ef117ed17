//! The labels that more than one renderer shares: numbers with thousands
//! separators, the runtime a run used, the command that reproduces it, and
//! the round steps of a time axis.

use super::Summary;
use crate::report::Language;
use crate::vocab::Mode;
use std::fmt::Write as _;
use std::time::Duration;

/// The names that differ between the two languages' runs of the same
/// states: tokio's, then Python's.
const TWINS: [(&str, &str); 5] = [
    ("std::thread::sleep", "time.sleep"),
    ("a ureq call", "a requests call"),
    ("a blocking-pool thread", "an executor thread"),
    ("runtime thread", "event loop thread"),
    // The thread that runs the loop: `block_on`'s caller, `asyncio.run`'s.
    ("block_on thread", "event loop thread"),
];

/// `text`, in the words of the language that ran `summary`'s run: a
/// `compare --python` row's picture speaks of `time.sleep` and the event
/// loop's thread, not of `std::thread::sleep` and a tokio runtime thread.
/// The states are the same; only their names differ.
pub(crate) fn in_words_of(summary: &Summary, text: &str) -> String {
    if summary.language != Some(Language::Python) {
        return text.to_owned();
    }
    TWINS
        .into_iter()
        .fold(text.to_owned(), |text, (rust, python)| {
            text.replace(rust, python)
        })
}

/// `text` for a legend shared by rows of both languages: each name with
/// its twin, `std::thread::sleep / time.sleep`.
pub(crate) fn in_both_words(text: &str) -> String {
    TWINS
        .into_iter()
        .fold(text.to_owned(), |text, (rust, python)| {
            text.replace(rust, &format!("{rust} / {python}"))
        })
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

/// The runtime column: `current-thread`, `multi-thread ×2, spawned`, ...
pub(crate) fn runtime_label(summary: &Summary) -> String {
    // A row that tokio did not run (`compare --python`) says what did.
    if let Some(ran) = &summary.ran {
        return ran.clone();
    }
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

/// The `--delay` as the user gave it, for a title: `200ms`. Not the
/// measured delay, which for `fetch` is the quickest round trip (`201ms`).
pub(crate) fn given_delay(summary: &Summary) -> String {
    humantime::format_duration(round_ms(summary.given_delay_secs)).to_string()
}

/// The command that reproduces a run, for a picture's title.
pub(crate) fn command_line(summary: &Summary) -> String {
    let mut line = format!(
        "asyncdemo {} -n {} -d {}",
        summary.demo.name(),
        summary.tasks,
        given_delay(summary)
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
    // The pool's size decides how many calls run at once, and so what the
    // lanes show (calls queued, pool threads).
    if let Some(threads) = summary.blocking_threads {
        let _ = write!(line, " --blocking-threads {threads}");
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

/// The ticks of a time axis `span` seconds long: multiples of a round step
/// (1, 2 or 5 × a power of ten seconds), at most `most` + 1 of them counting
/// zero, as many as fit. Round steps are what a reader can add up at a
/// glance: 0, 0.02, 0.04 … rather than 0, 0.03, 0.05, 0.08.
pub(crate) fn ticks(span: f64, most: usize) -> Vec<f64> {
    if span <= 0.0 || !span.is_finite() || most == 0 {
        return vec![0.0];
    }
    let rough = span / most as f64;
    let power = 10f64.powf(rough.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * power)
        .find(|step| *step >= rough * 0.9999)
        .unwrap_or(10.0 * power);
    // k × step rather than a running sum, so that 0.1 + 0.2 noise does not
    // pile up; the tolerance keeps a tick that lands on the end.
    (0..)
        .map(|k| k as f64 * step)
        .take_while(|t| *t <= span * 1.0001)
        .collect()
}

/// A tick's time with as many decimals as its step needs: `0.04 s`, `1 s`.
pub(crate) fn tick_label(at: f64, ticks: &[f64]) -> String {
    let step = ticks.get(1).copied().unwrap_or(1.0);
    let decimals = if step >= 1.0 {
        0
    } else {
        // 0.2 needs one decimal, 0.05 two; the nudge keeps 0.1 at one.
        (-step.log10() - 1e-9).ceil() as usize
    };
    format!("{at:.decimals$} s")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shared_legend_names_both_languages_twins() {
        assert_eq!(
            in_both_words("blocked in std::thread::sleep, holding its thread"),
            "blocked in std::thread::sleep / time.sleep, holding its thread"
        );
        assert_eq!(
            in_both_words("runtime thread parked (idle)"),
            "runtime thread / event loop thread parked (idle)"
        );
        // Words without a twin stay as they are.
        assert_eq!(in_both_words("prints a line"), "prints a line");
    }

    #[test]
    fn a_python_row_speaks_pythons_words() {
        let config = crate::report::tests::config(2, Duration::from_millis(10), vec![]);
        let mut summary = Summary::new(&config, crate::outcome::Outcome::default(), None);
        let text = "runtime thread: blocked in std::thread::sleep, for a blocking-pool thread";
        assert_eq!(in_words_of(&summary, text), text);
        summary.language = Some(Language::Python);
        assert_eq!(
            in_words_of(&summary, text),
            "event loop thread: blocked in time.sleep, for an executor thread"
        );
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(7), "7");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(99_990), "99,990");
        assert_eq!(thousands(9_999_990), "9,999,990");
    }

    fn labels(span: f64, most: usize) -> Vec<String> {
        let ticks = ticks(span, most);
        ticks.iter().map(|t| tick_label(*t, &ticks)).collect()
    }

    #[test]
    fn axis_steps_are_round() {
        // The 0.1 s run that used to read 0.03, 0.05, 0.08.
        assert_eq!(labels(0.1, 4), ["0.00 s", "0.05 s", "0.10 s"]);
        assert_eq!(
            labels(0.1, 6),
            ["0.00 s", "0.02 s", "0.04 s", "0.06 s", "0.08 s", "0.10 s"]
        );
        assert_eq!(labels(0.6, 4), ["0.0 s", "0.2 s", "0.4 s", "0.6 s"]);
        assert_eq!(labels(1.0, 4), ["0.0 s", "0.5 s", "1.0 s"]);
        assert_eq!(labels(1.5, 6), ["0.0 s", "0.5 s", "1.0 s", "1.5 s"]);
        assert_eq!(
            labels(12.0, 6),
            ["0 s", "2 s", "4 s", "6 s", "8 s", "10 s", "12 s"]
        );
        assert_eq!(labels(0.0, 4), ["0 s"]);
        // Every step is 1, 2 or 5 × a power of ten, whatever the span.
        for span in [0.0007, 0.013, 0.3, 0.61, 2.2, 7.0, 95.0, 3600.0] {
            let ticks = ticks(span, 5);
            assert!(ticks.len() >= 2 && ticks.len() <= 6, "{span}: {ticks:?}");
            let step = ticks[1];
            let mantissa = step / 10f64.powf(step.log10().floor());
            assert!(
                [1.0, 2.0, 5.0].iter().any(|m| (mantissa - m).abs() < 1e-6),
                "{span}: step {step}"
            );
        }
    }
}
