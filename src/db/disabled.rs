//! A build without the database drivers (`cargo --no-default-features`):
//! the same API as `enabled.rs`, and `query` says that they are missing.

use crate::config::QueryOptions;
use crate::sink::Sink;
use crate::wait::Runner;
use std::sync::Arc;
use std::time::Duration;

/// This build has no database drivers.
pub(super) const ENABLED: bool = false;

/// No driver runs on a thread of its own here; a sleep's stack will do.
pub(crate) const STACK_BYTES: usize = 64 * 1024;

/// `query` needs drivers this build does not have.
pub(crate) fn query(
    _delay: Duration,
    _sink: &Arc<Sink>,
    _options: &QueryOptions,
    _runner: impl Runner,
) -> anyhow::Result<Duration> {
    Err(super::missing("query"))
}

// What only the drivers use, named here so that a build without them does
// not call it dead code (a `const _` is never run; it only counts as a use):
// the sink's and the words' rooms stay the same in both builds.
const _: () = {
    let _ = Sink::query_began;
    let _ = Sink::query_ended;
    let _ = Sink::query_queued;
    let _ = Sink::query_sent;
    let _ = crate::outcome::Ending::Answered;
};
