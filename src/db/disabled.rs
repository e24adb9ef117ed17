//! A build without the database drivers (`cargo --no-default-features`):
//! the same API as `enabled.rs`, and `query` says that they are missing.

use crate::config::QueryOptions;
use crate::http::Driver;
use crate::sink::Sink;
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
    _driver: impl Driver,
) -> anyhow::Result<Duration> {
    Err(super::missing("query"))
}
