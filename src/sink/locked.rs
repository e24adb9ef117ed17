//! What is behind the sink's lock: the writer, the followers of the run's
//! events (the recorder among them), the failed tasks and the error that
//! stopped the run.

use super::{Recorder, WholeLines};
use crate::events::{Follower, RunEvent};
use crate::report;
use crate::vocab::{Event, Park};
use anyhow::Context;
use std::io::Write;
use std::time::Duration;
use tokio::time::Instant;

/// The mutable part of the sink, behind its lock.
pub(crate) struct SinkState {
    /// The destination, normally stdout. Boxed so the sink is one type
    /// whatever it writes to; the dynamic call happens per flush, not per line.
    pub(super) out: WholeLines<Box<dyn Write + Send>>,
    /// When the run started; `None` until the runner says so.
    pub(super) start: Option<Instant>,
    /// Tasks whose wait failed: they printed why instead of a last line.
    pub(super) failed: u32,
    /// The follower that keeps every line and park for the pictures drawn
    /// after the run; `None` unless they were asked for. Kept by its type,
    /// not behind the trait, because the conclusion reads what it kept.
    pub(super) recorder: Option<Recorder>,
    /// Every other follower of the run's events (the `--trace` writer).
    pub(super) followers: Vec<Followed>,
    /// The first [`report::MAX_FAILURES_LISTED`] failed tasks, with why, for
    /// the summary: a reason must reach the user in every format.
    pub(super) failures: Vec<report::TaskFailure>,
    /// The first error that stopped the run: a failed write ("writing
    /// output: ..."; after it lines are dropped, the output is gone), a
    /// follower's failed write, or a failed wait (a fetch whose server
    /// refused).
    pub(super) error: Option<anyhow::Error>,
}

/// A follower, with what to call it in an error (`writing trace file
/// 'run.json'`).
pub(super) struct Followed {
    pub(super) follower: Box<dyn Follower>,
    pub(super) what: String,
}

impl SinkState {
    /// Time since the run started, or zero if it had not started.
    pub(crate) fn elapsed(&self) -> Duration {
        self.start.map(|s| s.elapsed()).unwrap_or_default()
    }

    /// Tasks whose wait failed.
    pub(crate) fn failed(&self) -> u32 {
        self.failed
    }

    /// The first failed tasks, each with why it failed.
    pub(crate) fn failures(&self) -> &[report::TaskFailure] {
        &self.failures
    }

    /// The recorded lines, in time order (empty unless recording).
    #[cfg(test)]
    pub(crate) fn events(&self) -> &[Event] {
        self.recorder.as_ref().map_or(&[], |r| &r.events)
    }

    /// The error that stopped the run, if one did.
    pub(crate) fn take_error(&mut self) -> Option<anyhow::Error> {
        self.error.take()
    }

    /// The output with the recorded events and thread parks, for writing
    /// the conclusion.
    pub(crate) fn out_and_events(&mut self) -> (&mut impl Write, &[Event], &[Park]) {
        let (events, parks) = match &self.recorder {
            Some(recorder) => (&recorder.events[..], &recorder.parks[..]),
            None => (&[][..], &[][..]),
        };
        (&mut self.out, events, parks)
    }

    /// The recorded thread parks (empty unless recording).
    #[cfg(test)]
    pub(crate) fn parks(&self) -> &[Park] {
        self.recorder.as_ref().map_or(&[], |r| &r.parks)
    }

    /// Ends the followers' outputs (the `--trace` file's closing brackets):
    /// `None` when nothing follows the run but the recorder. Bounded in
    /// time (a buffer's flush and two brackets), so that a signal can
    /// conclude a run promptly whatever its size. The first error wins.
    pub(crate) fn finish_trace(&mut self) -> Option<anyhow::Result<()>> {
        if self.followers.is_empty() {
            return None;
        }
        let mut result = Ok(());
        for Followed { mut follower, what } in self.followers.drain(..) {
            if let Err(err) = follower.finish() {
                if result.is_ok() {
                    result = Err(anyhow::Error::new(err).context(what));
                }
            }
        }
        Some(result)
    }

    /// Whether anybody follows the run's events.
    pub(super) fn followed(&self) -> bool {
        self.recorder.is_some() || !self.followers.is_empty()
    }

    /// Hands `event` to every follower, in order; the first error stops.
    pub(super) fn emit(&mut self, event: &RunEvent<'_>) -> anyhow::Result<()> {
        let SinkState {
            out,
            recorder,
            followers,
            ..
        } = self;
        if let Some(recorder) = recorder {
            recorder.keep(event);
        }
        for Followed { follower, what } in followers {
            follower.follow(event, out).with_context(|| what.clone())?;
        }
        Ok(())
    }
}
