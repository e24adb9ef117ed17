//! A build without HTTP (`cargo --no-default-features`): the same API as
//! `enabled.rs`, and each entry point says that HTTP is missing.

use crate::config::{FetchOptions, ServeOptions};
use crate::exit_code::ExitCode;
use crate::outcome::Ending;
use crate::sink::Sink;
use crate::wait::{BlockingCall, Runner, SleepCall};
use std::sync::Arc;
use std::time::Duration;

/// This build does not speak HTTP.
pub(super) const ENABLED: bool = false;

/// No fetch runs in this build (`require` refuses it first), so a thread
/// of `--mode threads` only ever needs a sleep's stack.
pub(crate) const CLIENT_STACK_BYTES: usize = SleepCall::STACK_BYTES;

// What only the server and the clients use, named here so that a build
// without them does not call it dead code: the rooms that hold it (the
// sink, the escaping, the server's settings, a task's ending) stay the
// same in both builds, and this is the one place that knows the feature
// is off. A `const _` is never run; it only counts as a use.
const _: () = {
    let _ = Sink::abort;
    let _ = Sink::is_stopped;
    let _ = crate::net::QUOTE_CHARS;
    let _ = crate::limits::descriptor_error;
    let _ = crate::cli::duration;
    let _ = ServeOptions::built_in;
    let _ = |status, reason| Ending::Reply { status, reason };
};

/// `asyncdemo serve` needs a server this build does not have.
pub(crate) fn serve(_addr: &str, _settings: ServeOptions) -> anyhow::Result<ExitCode> {
    Err(super::missing("serve"))
}

/// `fetch` needs clients this build does not have.
pub(crate) fn fetch(
    _delay: Duration,
    _sink: &Arc<Sink>,
    _options: &FetchOptions,
    _runner: impl Runner,
) -> anyhow::Result<(Duration, Option<Duration>)> {
    Err(super::missing("fetch"))
}

/// No server in this build: starting one says HTTP is missing.
pub(crate) struct Server;

impl Server {
    /// Always the error that this build has no HTTP.
    pub(crate) fn start(_delay: Duration) -> anyhow::Result<Server> {
        Err(super::missing("compare fetch --python"))
    }

    /// Never reached: [`Server::start`] fails.
    pub(crate) fn url(&self) -> String {
        String::new()
    }
}
