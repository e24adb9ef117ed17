//! From a run's configuration to a view on the terminal, or to none.

use super::{LiveState, Plan, View};
use crate::config::Config;
use crate::config::Runtime;
use crate::report::lanes::Driver;
use crate::report::waiting::Waiting;
use crate::state::Birth;
use crate::vocab::{LockKind, Mode, Work};
use std::io::{self, IsTerminal, Write};
use std::sync::Arc;

/// Starts the `--live` view when the run asked for it and stdout is a
/// terminal that can move its cursor; returns the view, the writer the
/// run's lines must go through, and the state the sink feeds.
///
/// Piped (or with TERM=dumb) the run goes on without the view and says so
/// on stderr, as `--color auto` goes on without colour: the lines and the
/// summary are the same, and no escape code reaches the pipe or file.
pub(crate) fn start(
    config: &Config,
    out: Box<dyn Write + Send>,
) -> (Option<View>, Box<dyn Write + Send>, Option<Arc<LiveState>>) {
    if !config.live {
        return (None, out, None);
    }
    let why_not = if !io::stdout().is_terminal() {
        Some("stdout is not a terminal")
    } else if std::env::var_os("TERM").is_some_and(|term| term == "dumb") {
        Some("TERM=dumb cannot move the cursor")
    } else {
        None
    };
    if let Some(why) = why_not {
        let line = format!("warning: --live: {why}; running without the view");
        let _ = writeln!(io::stderr(), "{}", crate::style::label(&line));
        return (None, out, None);
    }
    let state = Arc::new(LiveState::new(Waiting::of(config.way.mode, config.work)));
    match View::start(plan(config), Arc::clone(&state), out) {
        Ok((view, lines)) => (Some(view), lines, Some(state)),
        Err(err) => {
            let line = format!(
                "warning: --live: cannot draw on this terminal ({err}); running without the view"
            );
            let _ = writeln!(io::stderr(), "{}", crate::style::label(&line));
            (None, Box::new(io::stdout()), None)
        }
    }
}

/// What the view's tally of the task states needs ([`crate::state`]):
/// the tasks, when they are born (all at once on a runtime, each with its
/// thread otherwise), and how many get a lane.
pub(crate) fn tally(config: &Config) -> (u32, Birth, usize) {
    (config.tasks, crate::report::birth(config), super::MAX_LANES)
}

/// What the live view needs to know of the run before it starts.
pub(crate) fn plan(config: &Config) -> Plan {
    let way = config.way;
    let tasks = u64::from(config.tasks);
    let (driver, runtime_threads, lanes) = match way.runtime {
        _ if way.mode == Mode::Threads => ("a thread per task".to_owned(), 0, (Driver::None, 0)),
        None => ("a thread per task".to_owned(), 0, (Driver::None, 0)),
        Some(Runtime::CurrentThread) => (
            "current-thread runtime".to_owned(),
            1,
            (Driver::CurrentThread, 0),
        ),
        Some(Runtime::MultiThread(k)) if way.spawn => {
            (format!("{k} workers, spawned"), k, (Driver::Spawned, k))
        }
        Some(Runtime::MultiThread(k)) => {
            (format!("{k} workers, joined"), k + 1, (Driver::Joined, k))
        }
    };
    // How many delays the run takes, one after another: the first axis.
    let turns = match (way.mode, way.runtime) {
        // One thread's worth of CPU, however the loops take turns on it.
        (Mode::Async, Some(Runtime::CurrentThread)) if config.work == Work::Spin => tasks,
        (Mode::Async | Mode::Threads, _) | (_, None) => 1,
        (Mode::Blocking | Mode::BlockInPlace, Some(Runtime::MultiThread(k))) if way.spawn => {
            tasks.div_ceil(k as u64)
        }
        (Mode::Blocking | Mode::BlockInPlace, _) => tasks,
        (Mode::SpawnBlocking, _) => tasks.div_ceil(way.blocking_threads.unwrap_or(1).max(1) as u64),
    };
    let tasks_usize = usize::try_from(config.tasks).unwrap_or(usize::MAX);
    // Room for the threads the run may start besides its runtime's: the
    // pool's (as many as it may have, no more than the calls), or the
    // threads that take a blocked worker's core over (one per blocking
    // call at most). How many it does start is seen, not assumed.
    let more = match way.mode {
        Mode::SpawnBlocking => way.blocking_threads.unwrap_or(tasks_usize).min(tasks_usize),
        Mode::BlockInPlace if way.spawn => tasks_usize,
        _ => 0,
    };
    let threads = runtime_threads.saturating_add(more);
    let expected = config
        .delay
        .saturating_mul(u32::try_from(turns).unwrap_or(u32::MAX))
        .mul_f64(1.1);
    Plan {
        demo: config.demo.name(),
        // The lock demo is told its lock, not a mode (it always joins on
        // one thread).
        way: match way.lock {
            Some(lock) => format!("--lock {}", lock.name()),
            None => format!("-m {}", way.mode.name()),
        },
        lock: way.lock.filter(|&lock| lock != LockKind::None),
        driver,
        tasks: config.tasks,
        delay: config.delay,
        waiting: Waiting::of(way.mode, config.work),
        work: config.work,
        runtime: way.runtime.is_some() && way.mode != Mode::Threads,
        one_thread: lanes.0 == Driver::CurrentThread,
        threads,
        lanes,
        pool_holds: config.work != Work::Spin,
        expected,
        color: config.term.color,
    }
}
