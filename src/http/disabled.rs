//! A build without HTTP (`cargo --no-default-features`): the same API as
//! `enabled.rs`, and each entry point says that HTTP is missing.

use super::Driver;
use crate::config::{FetchOptions, ServeOptions};
use crate::exit_code::ExitCode;
use crate::sink::Sink;
use std::sync::Arc;
use std::time::Duration;

/// This build does not speak HTTP.
pub(super) const ENABLED: bool = false;

/// `asyncdemo serve` needs a server this build does not have.
pub(crate) fn serve(_addr: &str, _settings: ServeOptions) -> anyhow::Result<ExitCode> {
    Err(super::missing("serve"))
}

/// `fetch` needs clients this build does not have.
pub(crate) fn fetch(
    _delay: Duration,
    _sink: &Arc<Sink>,
    _options: &FetchOptions,
    _driver: impl Driver,
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
