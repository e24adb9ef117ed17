//! A build with HTTP: hyper's server and the reqwest and ureq clients.

mod client;
mod server;

use crate::config::{FetchOptions, ServeOptions};
use crate::exit_code::ExitCode;
use crate::sink::Sink;
use crate::wait::{BlockingCall, Runner};
use anyhow::Context;
use client::{AsyncFetch, BlockingFetch, Client};
use std::sync::Arc;
use std::time::Duration;

/// This build speaks HTTP.
pub(super) const ENABLED: bool = true;

/// The stack a `--mode threads` thread needs for a blocking fetch: ureq's
/// request takes far more than a sleep.
pub(crate) const CLIENT_STACK_BYTES: usize = BlockingFetch::STACK_BYTES;

/// `asyncdemo serve`: the slow server, until a signal stops it.
pub(crate) fn serve(addr: &str, settings: ServeOptions) -> anyhow::Result<ExitCode> {
    server::serve(addr, settings)
}

/// Runs a fetch of `delay` with `options`: starts the two clients (and,
/// without `--url`, the built-in server), lets `runner` run the tasks with
/// their waits, and returns the elapsed time and the quickest round trip,
/// i.e. the server's delay as the clients saw it.
pub(crate) fn fetch(
    delay: Duration,
    sink: &Arc<Sink>,
    options: &FetchOptions,
    runner: impl Runner,
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
    let elapsed = runner.run(
        AsyncFetch(Arc::clone(&client)),
        BlockingFetch(Arc::clone(&client)),
    )?;
    Ok((elapsed, client.fastest()))
}

/// The built-in server on a thread of its own, for a client that is not
/// ours (`compare fetch --python`); it stops when dropped.
pub(crate) struct Server(server::BuiltIn);

impl Server {
    /// Starts a server that answers after `delay`. It reports running out
    /// of descriptors through a sink; here nobody reads that, and the
    /// foreign client fails its requests instead.
    pub(crate) fn start(delay: Duration) -> anyhow::Result<Server> {
        let sink = Arc::new(Sink::new(
            Box::new(std::io::sink()),
            crate::vocab::Demo::Fetch,
            crate::config::LineStyle::Silent,
            false,
        ));
        let server = server::BuiltIn::start(delay, sink).context("starting the built-in server")?;
        Ok(Server(server))
    }

    /// Where it listens: `http://127.0.0.1:PORT/`.
    pub(crate) fn url(&self) -> String {
        self.0.url()
    }
}
