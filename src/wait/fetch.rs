//! The two clients of `fetch`: the same request, made two ways.
//!
//! - [`AsyncFetch`] uses `tokio::net::TcpStream`: connecting, writing and
//!   reading are futures, and a task waiting for its reply gives the thread
//!   back. This is what aiohttp does in Python.
//! - [`BlockingFetch`] uses `std::net::TcpStream`: each call holds its
//!   thread until the reply arrives. This is what `requests` does, and,
//!   called inside a coroutine, it serialises every task.
//!
//! The server they talk to, and its line protocol, is [`crate::server`].

use super::{BlockingCall, Wait};
use crate::server::MAX_LINE;
use crate::sink::Sink;
use anyhow::{Context, anyhow};
use std::future::Future;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

/// What both clients share: where to go, how long to wait, where to report
/// errors, and the quickest round trip seen.
pub(crate) struct Client {
    addr: SocketAddr,
    timeout: Duration,
    sink: Arc<Sink>,
    /// The quickest completed request, in nanoseconds (`u64::MAX`: none yet).
    fastest_nanos: AtomicU64,
}

impl Client {
    /// A client of the server at `addr`.
    pub(crate) fn new(addr: SocketAddr, timeout: Duration, sink: Arc<Sink>) -> Client {
        Client {
            addr,
            timeout,
            sink,
            fastest_nanos: AtomicU64::new(u64::MAX),
        }
    }

    /// The quickest round trip: the server's delay as the client saw it.
    pub(crate) fn fastest(&self) -> Option<Duration> {
        match self.fastest_nanos.load(Ordering::Relaxed) {
            u64::MAX => None,
            nanos => Some(Duration::from_nanos(nanos)),
        }
    }

    /// Records the outcome of task `id`'s request; `true` if it succeeded.
    fn finish(&self, id: u32, started: Instant, result: anyhow::Result<()>) -> bool {
        match result {
            Ok(()) => {
                let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
                self.fastest_nanos.fetch_min(nanos, Ordering::Relaxed);
                true
            }
            Err(err) => {
                self.sink
                    .abort(err.context(format!("fetch {id} from {}", self.addr)));
                false
            }
        }
    }

    fn timed_out(&self) -> anyhow::Error {
        anyhow!(
            "no reply within {} (--timeout)",
            humantime::format_duration(self.timeout)
        )
    }
}

/// Checks that a reply is a whole line.
fn check_reply(reply: &str) -> anyhow::Result<()> {
    if reply.ends_with('\n') {
        Ok(())
    } else {
        Err(anyhow!("the server closed the connection before replying"))
    }
}

/// The non-blocking client: `tokio::net`, like aiohttp.
pub(crate) struct AsyncFetch(pub(crate) Arc<Client>);

impl Wait for AsyncFetch {
    fn wait(&self, id: u32) -> impl Future<Output = bool> + Send {
        let client = &self.0;
        async move {
            let started = Instant::now();
            let exchange = async {
                let mut stream = tokio::net::TcpStream::connect(client.addr)
                    .await
                    .context("connecting")?;
                stream
                    .write_all(format!("fetch {id}\n").as_bytes())
                    .await
                    .context("sending the request")?;
                let mut reply = String::new();
                tokio::io::BufReader::new(stream.take(MAX_LINE))
                    .read_line(&mut reply)
                    .await
                    .context("reading the reply")?;
                check_reply(&reply)
            };
            let result = match tokio::time::timeout(client.timeout, exchange).await {
                Ok(result) => result,
                Err(_) => Err(client.timed_out()),
            };
            client.finish(id, started, result)
        }
    }
}

/// The blocking client: `std::net`, like `requests`.
pub(crate) struct BlockingFetch(pub(crate) Arc<Client>);

impl BlockingCall for BlockingFetch {
    fn call(&self, id: u32) -> bool {
        let client = &self.0;
        let started = Instant::now();
        let exchange = || -> anyhow::Result<()> {
            let mut stream = std::net::TcpStream::connect_timeout(&client.addr, client.timeout)
                .context("connecting")?;
            stream.set_read_timeout(Some(client.timeout))?;
            stream.set_write_timeout(Some(client.timeout))?;
            stream
                .write_all(format!("fetch {id}\n").as_bytes())
                .context("sending the request")?;
            let mut reply = String::new();
            // This read holds the thread until the server answers.
            match BufReader::new(stream.take(MAX_LINE)).read_line(&mut reply) {
                Ok(_) => check_reply(&reply),
                Err(err)
                    if matches!(
                        err.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    Err(client.timed_out())
                }
                Err(err) => Err(err).context("reading the reply"),
            }
        };
        // Another request already failed: the run is over, don't start one.
        if client.sink.is_stopped() {
            return false;
        }
        client.finish(id, started, exchange())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_must_be_a_whole_line() {
        assert!(check_reply("done fetch 3\n").is_ok());
        let err = check_reply("").unwrap_err();
        assert_eq!(
            err.to_string(),
            "the server closed the connection before replying"
        );
    }
}
