//! A build with HTTP: hyper's server and the reqwest and ureq clients.

use super::Driver;
use crate::config::{FetchOptions, ServeOptions};
use crate::server;
use crate::sink::Sink;
use crate::vocab::ExitCode;
use crate::wait::fetch::{AsyncFetch, BlockingFetch, Client};
use anyhow::Context;
use std::sync::Arc;
use std::time::Duration;

/// This build speaks HTTP.
pub(super) const ENABLED: bool = true;

/// `asyncdemo serve`: the slow server, until a signal stops it.
pub(crate) fn serve(addr: &str, settings: ServeOptions) -> anyhow::Result<ExitCode> {
    server::serve(addr, settings)
}

/// Runs a fetch of `delay` with `options`: starts the two clients (and,
/// without `--url`, the built-in server), lets `driver` run the tasks with
/// their waits, and returns the elapsed time and the quickest round trip,
/// i.e. the server's delay as the clients saw it.
pub(crate) fn fetch(
    delay: Duration,
    sink: &Arc<Sink>,
    options: &FetchOptions,
    driver: impl Driver,
) -> anyhow::Result<(Duration, Option<Duration>)> {
    // Without --url, a server of our own on a thread of its own (see
    // `server::BuiltIn`); it stops when `_server` is dropped.
    let (url, _server) = match &options.url {
        Some(url) => (url.clone(), None),
        None => {
            let server = server::BuiltIn::start(delay, Arc::clone(sink))?;
            (server.url(), Some(server))
        }
    };
    let client = Arc::new(
        Client::new(url, _server.is_some(), options.timeout, Arc::clone(sink))
            .context("starting the HTTP clients")?,
    );
    let elapsed = driver.drive(
        AsyncFetch(Arc::clone(&client)),
        BlockingFetch(Arc::clone(&client)),
    )?;
    Ok((elapsed, client.fastest()))
}
