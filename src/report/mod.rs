//! Renderers: what the user reads after (and during) a run.
//!
//! A finished run is plain data, a [`Summary`], and each format reads it:
//! [`text`] for people, [`json`] for scripts. The live task lines are drawn
//! here too (the sink calls [`text::write_verbose_line`] and
//! [`json::write_event`]), so every byte of output has one home.

pub mod compare;
pub mod json;
pub mod text;
pub mod timeline;
pub mod trace;

use crate::config::Config;
use crate::demo::Demo;
use crate::exit::ExitCode;
use crate::interrupt::Signal;
use crate::run::{Mode, Outcome, RuntimeKind};

use crate::sink::State;
use anyhow::Context;
use clap::ValueEnum;
use serde::{Deserialize, Serialize};
use std::io::{self, Write};
#[cfg(test)]
pub(crate) use tests::config as test_config;

/// The shape of the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// The task lines as the notes print them, then a summary line.
    Text,
    /// One JSON object, the summary, and nothing else on stdout.
    Json,
    /// One JSON event per task line as it happens, then the summary.
    Ndjson,
}

/// The result of one run, as the JSON formats print it.
///
/// Every field is documented for script authors in `docs/ci.md`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Which demo ran.
    pub demo: Demo,
    /// How the tasks waited.
    pub mode: Mode,
    /// Which tokio runtime drove them; `None` (JSON `null`) for
    /// `--mode threads`, which uses none.
    pub runtime: Option<RuntimeKind>,
    /// The multi-thread runtime's worker threads; `None` on current-thread.
    pub workers: Option<usize>,
    /// Whether each task was spawned as its own tokio task.
    pub spawn: bool,
    /// The blocking pool's size, for `spawn-blocking` only.
    pub blocking_threads: Option<usize>,
    /// How many tasks were started.
    pub tasks: u32,
    /// Each task's wait, in seconds. For `fetch`, the quickest round trip
    /// observed, i.e. the server's delay as the client saw it.
    pub delay_secs: f64,
    /// From the first task's start to the last task's end, in seconds.
    pub elapsed_secs: f64,
    /// tasks × delay: what running them one after another would take.
    pub serial_secs: f64,
    /// serial / elapsed: about N when the waits overlap, about 1 when they do
    /// not. `None` (JSON `null`) when no time elapsed at all.
    pub speedup: Option<f64>,
    /// Tasks that printed their last line.
    pub completed: u32,
    /// Whether a signal stopped the run.
    pub interrupted: bool,
    /// Each timing check and whether it passed.
    pub checks: Vec<CheckResult>,
    /// The run finished and every check passed.
    pub passed: bool,
    /// The version of asyncdemo that ran.
    pub version: String,
}

/// One timing check in the summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// `max_elapsed` or `min_elapsed`.
    pub name: String,
    /// The bound, in seconds.
    pub limit_secs: f64,
    /// Whether the run's elapsed time kept to it.
    pub passed: bool,
}

impl Summary {
    /// Summarises a run of `config` that measured `outcome`; `signal` is set
    /// when the run was stopped before it finished.
    pub fn new(config: &Config, outcome: Outcome, signal: Option<Signal>) -> Summary {
        let elapsed = outcome.elapsed;
        let checks: Vec<CheckResult> = config
            .checks
            .iter()
            .map(|check| CheckResult {
                name: check.name().to_owned(),
                limit_secs: check.limit().as_secs_f64(),
                passed: check.passes(elapsed),
            })
            .collect();
        // For fetch, the wait is the server's: report the delay the client
        // saw (its quickest round trip), not the --delay it was given.
        let delay = outcome.observed_delay.unwrap_or(config.delay);
        let serial_secs = delay.as_secs_f64() * f64::from(config.tasks);
        Summary {
            demo: config.demo,
            mode: config.mode,
            runtime: config.runtime.map(|r| r.kind()),
            workers: config.runtime.and_then(|r| r.workers()),
            spawn: config.spawn,
            blocking_threads: config.blocking_threads,
            tasks: config.tasks,
            delay_secs: delay.as_secs_f64(),
            elapsed_secs: elapsed.as_secs_f64(),
            serial_secs,
            speedup: (!elapsed.is_zero()).then(|| serial_secs / elapsed.as_secs_f64()),
            completed: outcome.completed,
            interrupted: signal.is_some(),
            passed: signal.is_none() && checks.iter().all(|c| c.passed),
            checks,
            version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// Writes the end of the run (timeline, summary, trace file, and the check
/// verdicts on stderr) and says how the process should exit.
///
/// Called once, either by the main thread when the run ends or by the
/// signal thread when a signal stops it; `state.concluded` makes sure of it.
pub fn conclude(
    state: &mut State,
    config: &Config,
    outcome: Outcome,
    signal: Option<Signal>,
) -> anyhow::Result<ExitCode> {
    let summary = Summary::new(config, outcome, signal);
    state.concluded = true;
    let events = state.events.as_deref().unwrap_or_default();
    let out = &mut state.out;
    let written: io::Result<()> = (|| {
        match config.format {
            Format::Text => {
                if config.timeline {
                    timeline::write(out, events, config, outcome.elapsed)?;
                }
                text::write_summary(out, &summary, signal, config.term.color)?;
            }
            Format::Json => json::write_summary(out, &summary)?,
            Format::Ndjson => json::write_summary_line(out, &summary)?,
        }
        // Flushed here, not left to a destructor: the signal thread ends the
        // process with `exit`, which runs no destructors, and an error must
        // be reported rather than lost.
        out.flush()
    })();
    written.context("writing output")?;
    if let (Some(file), Some(path)) = (state.trace.take(), &config.trace) {
        trace::write(io::BufWriter::new(file), events, config, outcome.elapsed)
            .with_context(|| format!("writing trace file '{}'", path.display()))?;
    }
    if let Some(signal) = signal {
        return Ok(signal.exit_code());
    }
    if summary.passed {
        return Ok(ExitCode::Success);
    }
    // The verdicts go to stderr so that stdout stays exactly the demo's
    // output (or pure JSON); a failed write there changes nothing.
    let mut err = io::stderr().lock();
    for (check, result) in config.checks.iter().zip(&summary.checks) {
        if !result.passed {
            let _ = writeln!(err, "{}", text::check_failure(*check, outcome.elapsed));
        }
    }
    Ok(ExitCode::CheckFailed)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::{Check, Detail};
    use crate::run::{Sleep, join};
    use crate::sink::Sink;
    use std::time::Duration;

    pub(crate) fn config(tasks: u32, delay: Duration, checks: Vec<Check>) -> Config {
        Config {
            demo: Demo::Count,
            tasks,
            delay,
            mode: Mode::Async,
            runtime: Some(crate::run::Runtime::CurrentThread),
            spawn: false,
            blocking_threads: None,
            timeline: false,
            trace: None,
            term: crate::config::Term::PLAIN,
            fetch: None,
            format: Format::Json,
            detail: Detail::Normal,
            checks,
        }
    }

    /// On the paused clock N async tasks take exactly one delay, so the
    /// speedup over running them one after another is exactly N.
    #[tokio::test(start_paused = true)]
    async fn async_speedup_is_n_on_the_paused_clock() {
        for n in [1, 3, 1000] {
            let delay = Duration::from_millis(250);
            let sink = Sink::new(
                Box::new(std::io::sink()),
                Demo::Count,
                crate::sink::Live::Silent,
                false,
            );
            let elapsed = join(&sink, n, &Sleep { delay }).await;
            let outcome = Outcome {
                elapsed,
                completed: sink.lock().completed,
                observed_delay: None,
            };
            let summary = Summary::new(&config(n, delay, vec![]), outcome, None);
            assert_eq!(summary.serial_secs, 0.25 * f64::from(n));
            assert_eq!(summary.elapsed_secs, 0.25);
            assert_eq!(summary.speedup, Some(f64::from(n)));
            assert_eq!(summary.completed, n);
            assert!(summary.passed);
        }
    }

    #[test]
    fn an_interrupted_run_never_passes() {
        let c = config(
            3,
            Duration::from_secs(1),
            vec![Check::MaxElapsed(Duration::from_secs(9))],
        );
        let outcome = Outcome {
            elapsed: Duration::from_millis(500),
            ..Outcome::default()
        };
        let summary = Summary::new(&c, outcome, Some(Signal::Interrupt));
        assert!(summary.interrupted);
        assert!(summary.checks[0].passed, "the check itself held");
        assert!(!summary.passed, "but the run did not finish");
    }

    #[test]
    fn no_elapsed_time_means_no_speedup() {
        let outcome = Outcome {
            completed: 3,
            ..Outcome::default()
        };
        let summary = Summary::new(&config(3, Duration::ZERO, vec![]), outcome, None);
        assert_eq!(summary.speedup, None);
        let json = serde_json::to_value(&summary).unwrap();
        assert!(json["speedup"].is_null());
    }
}
