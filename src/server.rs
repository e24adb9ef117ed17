//! The slow server: `asyncdemo serve`, and the one `fetch` starts for itself.
//!
//! The notes warn against a blocking HTTP library (`requests`) inside
//! asyncio. A sleep is the clean model of that mistake; `fetch` is the real
//! thing, on loopback sockets, and this is the server it talks to.
//!
//! # The protocol
//!
//! Plain lines over TCP, not HTTP. The client connects and sends one
//! line. The server waits its delay, answers `done <the line>`, and closes
//! the connection. A request longer than 1 KiB, or one that ends without a
//! newline, is dropped without an answer.
//!
//! ```text
//! $ nc 127.0.0.1 PORT
//! fetch 1
//! done fetch 1          (one delay later)
//! ```

use crate::interrupt;
use crate::vocab::ExitCode;
use anyhow::Context;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};

/// The longest request line the server reads, newline included.
pub(crate) const MAX_LINE: u64 = 1024;

/// How many connections may wait to be accepted. The usual default (128
/// for `std::net`) is far too small for thousands of clients connecting at
/// once: the kernel drops the rest and their SYN is retried a second later,
/// which added a whole second to `fetch -n 5000`. The kernel caps this at
/// `net.core.somaxconn`.
const BACKLOG: u32 = 65_535;

/// Listens on `addr` with a deep accept queue. Needs a tokio runtime
/// context (the listener registers with its reactor).
fn listen(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let socket = match addr {
        SocketAddr::V4(_) => tokio::net::TcpSocket::new_v4()?,
        SocketAddr::V6(_) => tokio::net::TcpSocket::new_v6()?,
    };
    // As `TcpListener::bind` does: a restarted server can reuse its port
    // while old connections linger in TIME_WAIT.
    socket.set_reuseaddr(true)?;
    socket.bind(addr)?;
    socket.listen(BACKLOG)
}

/// The reply to a request line: `done fetch 1`.
fn reply_to(request: &str) -> String {
    format!("done {}\n", request.trim_end())
}

/// Serves connections from `listener` until the future is dropped: each
/// one gets its reply `delay` after its request, without blocking, so
/// thousands can wait at once. `served` counts the replies sent.
async fn accept_loop(listener: tokio::net::TcpListener, delay: Duration, served: Arc<AtomicU64>) {
    loop {
        match listener.accept().await {
            Ok((socket, _)) => {
                tokio::spawn(answer(socket, delay, Arc::clone(&served)));
            }
            // Out of file descriptors, say. Back off briefly rather than
            // spin; the connections being served will free some.
            Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
        }
    }
}

/// Answers one connection.
async fn answer(socket: tokio::net::TcpStream, delay: Duration, served: Arc<AtomicU64>) {
    let (reader, mut writer) = socket.into_split();
    let mut request = String::new();
    let mut reader = tokio::io::BufReader::new(reader.take(MAX_LINE));
    match reader.read_line(&mut request).await {
        Ok(_) if request.ends_with('\n') => {}
        // Too long, not text, cut short, or a reset: no answer.
        _ => return,
    }
    // The wait that makes the server slow. It is a timer, not a thread: the
    // other connections go on being accepted and answered meanwhile.
    tokio::time::sleep(delay).await;
    if writer
        .write_all(reply_to(&request).as_bytes())
        .await
        .is_ok()
    {
        served.fetch_add(1, Ordering::Relaxed);
    }
    let _ = writer.shutdown().await;
}

/// A server's runtime (one thread, timers and sockets) and its listener,
/// bound to `addr` inside that runtime.
fn bind_server(
    addr: SocketAddr,
) -> anyhow::Result<(tokio::runtime::Runtime, tokio::net::TcpListener)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the server's tokio runtime")?;
    let listener = {
        let _context = runtime.enter();
        listen(addr).with_context(|| format!("listening on {addr}"))?
    };
    Ok((runtime, listener))
}

/// `asyncdemo serve`: answers requests until SIGINT or SIGTERM, then says
/// how many it served.
pub(crate) fn serve(addr: std::net::SocketAddr, delay: Duration) -> anyhow::Result<ExitCode> {
    let (runtime, listener) = bind_server(addr)?;
    let local = listener.local_addr()?;
    let served = Arc::new(AtomicU64::new(0));
    interrupt::on_signal({
        let served = Arc::clone(&served);
        move |signal| {
            // Stopping is the only way out, so it is also the clean way
            // out: say what was done, then exit with the signal's code.
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "served {} requests", served.load(Ordering::Relaxed));
            let _ = out.flush();
            std::process::exit(signal.exit_code().code().into());
        }
    })?;
    // The first line tells scripts and tests where to connect; flushed at
    // once, because the server then waits for connections indefinitely.
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on {local}")
        .and_then(|()| out.flush())
        .context("writing output")?;
    drop(out);
    runtime.block_on(accept_loop(listener, delay, served));
    unreachable!("the accept loop only ends with the process")
}

/// The server `fetch` starts for itself when no `--server` is given.
///
/// It runs on a thread of its own with a runtime of its own, and that is a
/// lesson of its own: in blocking mode the client holds *its* executor
/// thread inside a blocking read. A server sharing that thread would never
/// get to answer, so the client would wait for a reply that can never come.
/// That is a deadlock, the classic failure of blocking inside an event loop.
pub(crate) struct BuiltIn {
    addr: SocketAddr,
    /// Dropping the sender stops the server.
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl BuiltIn {
    /// Binds an ephemeral port on loopback and starts serving with `delay`.
    pub(crate) fn start(delay: Duration) -> anyhow::Result<BuiltIn> {
        // Listen before returning, so the first request cannot arrive
        // before the server does.
        let (runtime, listener) = bind_server(SocketAddr::from(([127, 0, 0, 1], 0)))?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("built-in server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let served = Arc::new(AtomicU64::new(0));
                    tokio::select! {
                        () = accept_loop(listener, delay, served) => {}
                        _ = stopped => {}
                    }
                });
                // Replies still waiting are dropped with the runtime here.
            })
            .context("starting the built-in server's thread")?;
        Ok(BuiltIn { addr, _stop: stop })
    }

    /// Where it listens.
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_echo_the_request() {
        assert_eq!(reply_to("fetch 3\n"), "done fetch 3\n");
    }

    /// On the paused clock, a thousand requests to one server all wait
    /// together: the server answers each after its delay, not one by one.
    #[tokio::test(start_paused = true)]
    async fn the_server_answers_concurrent_requests_after_one_delay() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let served = Arc::new(AtomicU64::new(0));
        let delay = Duration::from_secs(5);
        tokio::spawn(accept_loop(listener, delay, Arc::clone(&served)));

        let start = tokio::time::Instant::now();
        let requests = (1..=100).map(|id| async move {
            let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
            stream
                .write_all(format!("fetch {id}\n").as_bytes())
                .await
                .unwrap();
            let mut reply = String::new();
            stream.read_to_string(&mut reply).await.unwrap();
            reply
        });
        let replies = futures::future::join_all(requests).await;
        assert_eq!(start.elapsed(), delay);
        assert_eq!(replies[41], "done fetch 42\n");
        assert_eq!(served.load(Ordering::Relaxed), 100);
    }
}
