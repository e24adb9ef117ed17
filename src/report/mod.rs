//! Renderers: what the user reads during and after a run.
//!
//! A finished run is plain data, a [`Summary`], plus the recorded events;
//! each renderer reads them and writes bytes, and none of them decides
//! anything else (not the exit code, not when the run ends: that is
//! [`crate::conclude`]'s job; not where the bytes go: [`crate::export`]'s).
//! One room per format:
//!
//! - [`text`]: the `--verbose` task line and the summary line, for people;
//! - [`json`]: the NDJSON event line and the JSON summary, for scripts;
//! - [`timeline`]: the `--timeline` picture;
//! - [`trace`]: the `--trace` file;
//! - [`svg`]: the `--svg` picture, of one run or of every way `compare` ran;
//! - [`lanes`]: what each lane of the pictures shows (waiting, ready but
//!   kept off the thread, a runtime thread busy or parked), derived once;
//! - [`compare`]: the `compare` table;
//! - [`marks`]: when each task printed its two lines, computed once for
//!   the pictures.
//! - [`palette`]: the colour and glyph of everything a lane shows, one
//!   palette for the terminal and the SVG;
//! - [`labels`]: the labels several renderers share (numbers, the
//!   runtime's label, a picture's title, round axis ticks);
//! - [`waiting`]: how a task spent its wait (free, blocked, offloaded,
//!   spinning), as every picture colours it;
//!
//! The live task lines are drawn here too (the sink calls
//! [`text::write_verbose_line`] and [`json::write_event`]), so every byte of
//! output has one home.

pub(crate) mod compare;
pub(crate) mod json;
pub(crate) mod labels;
pub(crate) mod lanes;
pub(crate) mod marks;
pub(crate) mod narration;
pub(crate) mod palette;
pub(crate) mod svg;
pub(crate) mod text;
pub(crate) mod timeline;
pub(crate) mod trace;
pub(crate) mod waiting;

use crate::config::Config;
use crate::interrupt::Signal;
use crate::outcome::Outcome;
use crate::vocab::{Demo, LockKind, Mode, RuntimeKind, Work};
use serde::{Deserialize, Serialize};
#[cfg(test)]
pub(crate) use tests::config as test_config;

/// Which language ran a `compare` row.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// asyncdemo itself: tokio, or an OS thread per task.
    Rust,
    /// python3 running the notes' programs (`compare --python`).
    Python,
}

/// The result of one run, as the JSON formats print it.
///
/// Every field is documented for script authors in `docs/ci.md`.
// Deserialize: a recording (`crate::record`) keeps the summary as this JSON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Summary {
    /// Which demo ran.
    pub(crate) demo: Demo,
    /// How the tasks waited.
    pub(crate) mode: Mode,
    /// What each wait was: `spin` (a busy loop on the CPU) with `--work
    /// spin`; left out for a sleep, so the summary of every run that
    /// sleeps reads as it always has.
    #[serde(default, skip_serializing_if = "Work::is_sleep")]
    pub(crate) work: Work,
    /// For `lock`: the lock the tasks shared (`std`, `tokio`, `none`);
    /// left out for the other demos.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) lock: Option<LockKind>,
    /// For `lock --lock std`: the deadlock the watchdog found (the task
    /// blocked in `lock()`, the task holding the guard); left out when
    /// there was none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) deadlock: Option<DeadlockReport>,
    /// For `lock`: each task's wait for the lock, for the pictures (the
    /// JSON has the steps in `--trace` instead).
    #[serde(skip)]
    pub(crate) locks: Vec<crate::outcome::LockMark>,
    /// What the run observed for the task-state model ([`crate::state`]),
    /// when a view asked for it: the pictures build the model from it.
    /// Empty otherwise, and for a Python row, which reports only lines.
    #[serde(skip)]
    pub(crate) observed: std::sync::Arc<crate::state::Observations>,
    /// Which tokio runtime drove them; `None` (JSON `null`) for
    /// `--mode threads`, which uses none.
    pub(crate) runtime: Option<RuntimeKind>,
    /// The multi-thread runtime's worker threads; `None` on current-thread.
    pub(crate) workers: Option<usize>,
    /// Whether each task was spawned as its own tokio task.
    pub(crate) spawn: bool,
    /// The blocking pool's size, for `spawn-blocking` only.
    pub(crate) blocking_threads: Option<usize>,
    /// How many tasks were started.
    pub(crate) tasks: u32,
    /// Each task's wait, in seconds. For `fetch`, the quickest round trip
    /// observed, i.e. the server's delay as the client saw it.
    pub(crate) delay_secs: f64,
    /// The `--delay` as given, in seconds, for the pictures' titles (which
    /// repeat the command as typed). Not in the JSON: `delay_secs` is.
    #[serde(skip)]
    pub(crate) given_delay_secs: f64,
    /// From the first task's start to the last task's end, in seconds.
    pub(crate) elapsed_secs: f64,
    /// tasks × delay: what running them one after another would take.
    pub(crate) serial_secs: f64,
    /// serial / elapsed: about N when the waits overlap, about 1 when they do
    /// not. Since `serial_secs` is computed, not measured, this is N × delay
    /// ÷ elapsed, a timing figure that a slow machine lowers; the
    /// timing-free one is `peak_overlap`. `None` (JSON `null`) when no time
    /// elapsed at all, or when some tasks did not finish.
    pub(crate) speedup: Option<f64>,
    /// The most tasks that were waiting at the same moment, counted from
    /// the order of the run's events rather than from its timing: N when
    /// every wait overlapped, 1 when they ran one after another, however
    /// slow the machine. `None` (JSON `null`) where it was not counted (the
    /// text formats, which do not print it).
    pub(crate) peak_overlap: Option<u32>,
    /// `--slow-poll`: the longest time one poll of one task held its thread,
    /// in seconds. `None` (JSON `null`) without the flag, and for `--mode
    /// threads`, which has no runtime thread to hold.
    pub(crate) longest_poll_secs: Option<f64>,
    /// `--slow-poll`: how many polls held their thread longer than the
    /// threshold. `None` as for `longest_poll_secs`.
    pub(crate) slow_polls: Option<u64>,
    /// Tasks that printed their last line.
    pub(crate) completed: u32,
    /// Tasks whose wait failed (a `fetch` without a good reply); such a
    /// run never passes.
    pub(crate) failed: u32,
    /// The first [`MAX_FAILURES_LISTED`] failed tasks, each with why it
    /// failed (empty when none failed): `failed` counts them all.
    pub(crate) failures: Vec<TaskFailure>,
    /// Whether a signal stopped the run.
    pub(crate) interrupted: bool,
    /// Each timing check and whether it passed.
    pub(crate) checks: Vec<CheckResult>,
    /// The run finished, every task completed (none failed) and every
    /// check passed.
    pub(crate) passed: bool,
    /// The version of asyncdemo that ran.
    pub(crate) version: String,
    /// `compare` only: which language ran the row, `rust` or `python`
    /// (`compare --python`). Absent from a demo's own summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) language: Option<Language>,
    /// `compare --python`'s rows only: what ran, in Python's words, with
    /// its version: `asyncio.sleep under gather (Python 3.11.7)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) ran: Option<String>,
    /// `compare --python`'s rows only: why the row failed as a whole
    /// (python3 exited with an error, or was stopped at its deadline).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
}

/// How many failed tasks the summary lists by name; `failed` counts the
/// rest. A run whose server is down fails every task the same way, and ten
/// million identical lines would say nothing more than a hundred.
pub(crate) const MAX_FAILURES_LISTED: usize = 100;

/// One failed task in the summary: `{"task": 2, "reason": "connecting: ..."}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TaskFailure {
    /// The task's number, as its lines show it.
    pub(crate) task: u32,
    /// Why its wait failed, as its line says after `failed: `.
    pub(crate) reason: String,
}

/// The deadlock of a `lock --lock std` run, as the JSON summary shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct DeadlockReport {
    /// The task blocked in `std::sync::Mutex::lock()`, holding the thread.
    pub(crate) blocked_task: u32,
    /// The task holding the guard across its `.await`.
    pub(crate) holder_task: u32,
    /// How long no task had made progress when the watchdog ended the run.
    pub(crate) stalled_secs: f64,
}

/// One timing check in the summary.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct CheckResult {
    /// `max_elapsed` or `min_elapsed`.
    pub(crate) name: String,
    /// The bound, in seconds.
    pub(crate) limit_secs: f64,
    /// Whether the run's elapsed time kept to it.
    pub(crate) passed: bool,
}

impl Summary {
    /// Summarises a run of `config` that measured `outcome`; `signal` is set
    /// when the run was stopped before it finished.
    pub(crate) fn new(config: &Config, outcome: Outcome, signal: Option<Signal>) -> Summary {
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
        // Seconds come from `Duration` arithmetic, converted once at the
        // end, so that 3 × 0.2 s prints as 0.6 and not 0.6000000000000001.
        // Only a product past `Duration`'s range (500 years × 10M tasks
        // still fits) falls back to floating point.
        let serial_secs = delay
            .checked_mul(config.tasks)
            .map_or(delay.as_secs_f64() * f64::from(config.tasks), |d| {
                d.as_secs_f64()
            });
        // A run that did not finish every task neither passes nor has a
        // speedup: tasks that never ran did not overlap anything, so
        // serial ÷ elapsed would credit the run with waits it never made.
        let finished = outcome.completed >= config.tasks;
        Summary {
            demo: config.demo,
            mode: config.way.mode,
            work: config.work,
            lock: config.way.lock,
            deadlock: outcome.deadlock.map(|d| DeadlockReport {
                blocked_task: d.blocked_task,
                holder_task: d.holder_task,
                stalled_secs: d.stalled.as_secs_f64(),
            }),
            locks: outcome.locks.clone(),
            observed: std::sync::Arc::default(),
            runtime: config.way.runtime.map(|r| r.kind()),
            workers: config.way.runtime.and_then(|r| r.workers()),
            spawn: config.way.spawn,
            blocking_threads: config.way.blocking_threads,
            tasks: config.tasks,
            delay_secs: delay.as_secs_f64(),
            given_delay_secs: config.delay.as_secs_f64(),
            elapsed_secs: elapsed.as_secs_f64(),
            serial_secs,
            speedup: (finished && !elapsed.is_zero()).then(|| serial_secs / elapsed.as_secs_f64()),
            peak_overlap: None,
            longest_poll_secs: outcome.polls.map(|p| p.longest.as_secs_f64()),
            slow_polls: outcome.polls.map(|p| p.slow),
            completed: outcome.completed,
            failed: outcome.failed,
            failures: Vec::new(),
            interrupted: signal.is_some(),
            passed: signal.is_none() && finished && checks.iter().all(|c| c.passed),
            checks,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            language: None,
            ran: None,
            error: None,
        }
    }
}

/// How many tasks the task-state model must observe for the views `config`
/// asks for (`None`: no view reads it). Each view asks for the tasks it
/// shows: `--timeline` its rows, the JSON its records, the SVG its lanes
/// (its band reads the census, [`census`]). Observing costs a lock per
/// poll, wake and timer, so a million-task `--timeline` observes ten of
/// them.
pub(crate) fn observed_tasks(config: &Config) -> Option<u32> {
    let mut tasks = None;
    let mut ask = |n: u32| tasks = Some(tasks.map_or(n, |t: u32| t.max(n)));
    if config.timeline {
        ask(timeline::MAX_ROWS);
    }
    if config.svg.is_some() || config.png.is_some() {
        ask(svg::MAX_LANES);
    }
    // A recording keeps what the JSON is made of (`crate::record`).
    if config.format == crate::vocab::Format::Json
        || config.format == crate::vocab::Format::Ndjson
        || config.recording.is_some()
    {
        ask(json::MAX_TASK_RECORDS);
    }
    tasks
}

/// When the tasks of a run of `config` are born, for the task-state
/// model: all at the start on a runtime (`join_all` and `spawn` schedule
/// every coroutine at once), each with its own thread otherwise.
pub(crate) fn birth(config: &Config) -> crate::state::Birth {
    if config.way.runtime.is_some() && config.way.mode != Mode::Threads {
        crate::state::Birth::AtStart
    } else {
        crate::state::Birth::OnItsOwn
    }
}

/// Whether the task-state model keeps a census of every task of a run of
/// `config`, and what it keeps (`None`: no view needs one): the JSON past
/// its per-task records reads each task's account, whose distributions
/// then cover every task, and a picture with more tasks than lanes reads
/// the band's tally. A recording keeps both, since its replay may be asked
/// for either. It observes every task's polls, wakes and timers, keeping
/// none of them: a fixed account per task.
pub(crate) fn census(config: &Config) -> Option<crate::state::CensusOf> {
    let json = matches!(
        config.format,
        crate::vocab::Format::Json | crate::vocab::Format::Ndjson
    ) && config.tasks > json::MAX_TASK_RECORDS;
    let band = (config.svg.is_some() || config.png.is_some()) && config.tasks > svg::MAX_LANES;
    let recording = config.recording.is_some();
    (json || band).then(|| crate::state::CensusOf {
        tasks: config.tasks,
        birth: birth(config),
        accounts: json || recording,
        band: band || recording,
    })
}

/// Whether the model streams its state changes (`--format ndjson`): the
/// tasks and their birth.
pub(crate) fn state_stream(config: &Config) -> Option<(u32, crate::state::Birth)> {
    (config.format == crate::vocab::Format::Ndjson).then(|| (config.tasks, birth(config)))
}

impl Summary {
    /// The same summary with what its sink observed for the task-state
    /// model ([`crate::sink::Sink::observed`]).
    pub(crate) fn with_observed(self, observed: crate::state::Observations) -> Summary {
        Summary {
            observed: observed.into(),
            ..self
        }
    }

    /// The same summary with the peak overlap its sink counted
    /// ([`crate::sink::Sink::peak_overlap`]).
    pub(crate) fn with_peak_overlap(self, peak_overlap: Option<u32>) -> Summary {
        Summary {
            peak_overlap,
            ..self
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::cli::Workload;
    use crate::config::Check;
    use crate::config::LineStyle;
    use crate::config::Way;
    use crate::run::join;
    use crate::sink::Sink;
    use crate::vocab::RuntimeKind;
    use crate::wait::Sleep;
    use std::time::Duration;

    /// A config of `tasks` count tasks waiting `delay` in `mode`, through
    /// the one constructor every run uses.
    pub(crate) fn config(tasks: u32, delay: Duration, checks: Vec<Check>) -> Config {
        let workload = Workload {
            tasks: Some(tasks),
            delay,
            work: Work::Sleep,
        };
        let way = Way::with_defaults(Mode::Async, RuntimeKind::CurrentThread, false);
        Config {
            checks,
            ..Config::of_way(Demo::Count, &workload, way)
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
                LineStyle::Silent,
                false,
            )
            .counting_overlap(true);
            let elapsed = join(&sink, n, &Sleep { delay, sink: None }).await;
            let outcome = Outcome {
                elapsed,
                completed: sink.completed(),
                failed: 0,
                observed_delay: None,
                polls: None,
                deadlock: None,
                locks: Vec::new(),
            };
            let summary = Summary::new(&config(n, delay, vec![]), outcome, None)
                .with_peak_overlap(sink.peak_overlap());
            // Every wait overlapped: all n tasks were waiting at once.
            assert_eq!(summary.peak_overlap, Some(n));
            assert_eq!(summary.serial_secs, 0.25 * f64::from(n));
            assert_eq!(summary.elapsed_secs, 0.25);
            assert_eq!(summary.speedup, Some(f64::from(n)));
            assert_eq!(summary.completed, n);
            assert!(summary.passed);
        }
    }

    /// On the paused clock blocking tasks wait one at a time, and a sink
    /// that was not asked to count reports nothing.
    #[tokio::test(start_paused = true)]
    async fn blocking_waits_peak_at_one_and_an_uncounted_run_says_null() {
        use crate::wait::{Blocking, SleepCall};
        use std::sync::Arc;
        let delay = Duration::from_millis(1);
        let sink = Arc::new(
            Sink::new(
                Box::new(std::io::sink()),
                Demo::Count,
                LineStyle::Silent,
                false,
            )
            .counting_overlap(true),
        );
        let wait = Blocking {
            call: SleepCall { delay },
            sink: Arc::clone(&sink),
        };
        join(&sink, 3, &wait).await;
        assert_eq!(sink.peak_overlap(), Some(1));
        let uncounted = Sink::new(
            Box::new(std::io::sink()),
            Demo::Count,
            LineStyle::Silent,
            false,
        );
        assert_eq!(uncounted.peak_overlap(), None);
        let summary = Summary::new(&config(3, delay, vec![]), Outcome::default(), None)
            .with_peak_overlap(uncounted.peak_overlap());
        let json = serde_json::to_value(&summary).unwrap();
        assert!(json["peak_overlap"].is_null(), "{json}");
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
    fn a_run_whose_tasks_failed_neither_passes_nor_has_a_speedup() {
        // As `compare fetch` under a tight descriptor limit measured it:
        // no task ran, yet a few microseconds elapsed.
        let outcome = Outcome {
            elapsed: Duration::from_micros(250),
            completed: 0,
            ..Outcome::default()
        };
        let summary = Summary::new(&config(20, Duration::from_secs(1), vec![]), outcome, None);
        assert!(!summary.interrupted);
        assert!(!summary.passed);
        assert_eq!(summary.speedup, None);
        // One task short is still not a finished run.
        let outcome = Outcome {
            elapsed: Duration::from_secs(1),
            completed: 19,
            ..Outcome::default()
        };
        let summary = Summary::new(&config(20, Duration::from_secs(1), vec![]), outcome, None);
        assert!(!summary.passed);
        assert_eq!(summary.speedup, None);
    }

    #[test]
    fn seconds_carry_no_float_noise() {
        let outcome = Outcome {
            elapsed: Duration::from_millis(600),
            completed: 3,
            failed: 0,
            observed_delay: None,
            polls: None,
            deadlock: None,
            locks: Vec::new(),
        };
        let summary = Summary::new(
            &config(3, Duration::from_millis(200), vec![]),
            outcome.clone(),
            None,
        );
        let json = serde_json::to_string(&summary).unwrap();
        assert!(json.contains("\"serial_secs\":0.6,"), "{json}");
        assert!(json.contains("\"delay_secs\":0.2,"), "{json}");
        // Past Duration's range the product is still a number.
        let huge = Duration::from_secs(u64::MAX / 2);
        let summary = Summary::new(&config(3, huge, vec![]), outcome, None);
        assert!(summary.serial_secs > huge.as_secs_f64() * 2.9);
    }

    #[test]
    fn a_run_with_a_failed_task_never_passes() {
        let outcome = Outcome {
            elapsed: Duration::from_millis(500),
            completed: 2,
            failed: 1,
            ..Outcome::default()
        };
        let summary = Summary::new(&config(3, Duration::from_secs(1), vec![]), outcome, None);
        assert_eq!(summary.failed, 1);
        assert!(!summary.passed);
        let json = serde_json::to_value(&summary).unwrap();
        assert_eq!(json["failed"], 1);
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
