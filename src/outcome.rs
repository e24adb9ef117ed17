//! What a task's wait and a whole run came to: how each wait ended (which
//! decides the task's last line), and what a finished or stopped run
//! measured.
//!
//! A leaf, using only `vocab`: the sink builds both (it ends each task and
//! counts the run so far), and the sink sits below the runner and the ways
//! of waiting that produce them and the reports that read them. Kept in
//! `run` or `wait`, these types would tie the sink to the rooms above it.

use crate::vocab::Demo;
use std::time::Duration;

/// How a task's wait ended, which decides its last line.
///
/// A sleep always ends `Done`. A request ends with its reply's status, or
/// fails; a failed task prints why instead of its last line, and the other
/// tasks go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Ending {
    /// The wait is over: the demo's own last line (`Two`, `... World!`).
    Done,
    /// A reply came with this HTTP status: `... fetch 1: 200 OK`.
    Reply {
        /// The status code.
        status: u16,
        /// Its reason phrase (`OK`).
        reason: &'static str,
    },
    /// A query's answer came, this long after the query really started on
    /// its connection (a wait for a free connection not counted):
    /// `... query 1: done in 0.30 s`.
    Answered(Duration),
    /// The wait failed: `... fetch 2: failed: HTTP 404 Not Found`.
    Failed(String),
    /// The run is stopping (its output is gone): no last line at all.
    Stopped,
}

impl Ending {
    /// The last line of task `id` of `demo` whose wait ended so, without
    /// its newline, when it differs from [`Demo::text`]: a reply's status,
    /// or why the wait failed. `None` for a plain `Done` (and for
    /// `Stopped`, which prints nothing).
    pub(crate) fn last_line(&self, demo: Demo, id: u32) -> Option<String> {
        match self {
            Ending::Done | Ending::Stopped => None,
            Ending::Reply { status, reason } => Some(format!("... fetch {id}: {status} {reason}")),
            Ending::Answered(took) => Some(format!(
                "... {} {id}: done in {:.2} s",
                demo.name(),
                took.as_secs_f64()
            )),
            Ending::Failed(why) => Some(format!("... {} {id}: failed: {why}", demo.name())),
        }
    }
}

/// When one task of the `lock` demo asked for the shared lock and when it
/// got it (`None`: never, as the task blocked in a deadlocked std
/// `lock()`), for the pictures.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct LockMark {
    /// The task, numbered from 1.
    pub(crate) task: u32,
    /// When it asked, since the start of the run.
    pub(crate) asked: Duration,
    /// When it got the guard.
    pub(crate) got: Option<Duration>,
}

/// What a finished (or stopped) run measured.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Outcome {
    /// From the first task's start to the last task's end.
    pub(crate) elapsed: Duration,
    /// Tasks that printed their last line.
    pub(crate) completed: u32,
    /// Tasks whose wait failed (a request that got no good reply).
    pub(crate) failed: u32,
    /// For `fetch`: the quickest request's round trip, i.e. the server's
    /// delay as the client saw it. `None` for the sleeping demos.
    pub(crate) observed_delay: Option<Duration>,
    /// What `--slow-poll` measured; `None` when nothing was watched.
    pub(crate) polls: Option<Polls>,
    /// The deadlock that stopped a `lock` run; `None` for every other run.
    pub(crate) deadlock: Option<Deadlock>,
    /// For `lock` with a lock: each task's wait for it, in the order they
    /// asked; empty for every other run.
    pub(crate) locks: Vec<LockMark>,
}

/// A deadlock of the `lock` demo, as its watchdog found it: one task blocked
/// inside `std::sync::Mutex::lock()`, holding the only thread, while the
/// task that owns the guard waits to be polled on that same thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Deadlock {
    /// The task blocked in `lock()`.
    pub(crate) blocked_task: u32,
    /// The task holding the guard across its `.await`.
    pub(crate) holder_task: u32,
    /// How long no task had made progress when the watchdog gave up.
    pub(crate) stalled: Duration,
}

/// How long the tasks' polls held their thread (`--slow-poll`, and every
/// `compare` run).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Polls {
    /// The longest single poll of one task.
    pub(crate) longest: Duration,
    /// How many polls took longer than the threshold.
    pub(crate) slow: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_last_lines_name_the_query_time_or_why_it_failed() {
        assert_eq!(
            Ending::Answered(Duration::from_millis(304))
                .last_line(Demo::Query, 4)
                .unwrap(),
            "... query 4: done in 0.30 s"
        );
        assert_eq!(
            Ending::Failed("FATAL: gone".into())
                .last_line(Demo::Query, 2)
                .unwrap(),
            "... query 2: failed: FATAL: gone"
        );
        assert_eq!(Ending::Done.last_line(Demo::Query, 2), None);
    }
}
