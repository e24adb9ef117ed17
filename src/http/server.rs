//! The slow HTTP server: `asyncdemo serve`, and the one `fetch` starts for
//! itself.
//!
//! The notes warn against a blocking HTTP library (`requests`) inside
//! asyncio. A sleep is the clean model of that mistake; `fetch` is the real
//! thing, over HTTP on loopback sockets, and this is the server it talks to.
//! curl, a browser, Python's requests or aiohttp can talk to it too.
//!
//! # What it answers
//!
//! HTTP/1.1, parsed by hyper (never by hand). `GET /` is answered `200 OK`
//! with a short text body after the server's `--delay`; `GET /?delay=250ms`
//! asks for another delay, up to `--max-delay`. Any other path is a `404`,
//! any other method a `405`, and a bad `delay` a `400`, each with a
//! one-line body saying why.
//!
//! ```text
//! $ curl http://127.0.0.1:PORT/
//! done after 1s                 (one delay later)
//! ```
//!
//! # Staying up
//!
//! A server on the open internet, or under a test that means harm, meets
//! clients that connect and then send nothing, half a request, or one
//! request and nothing more. Each costs a file descriptor, and a process
//! has few (`ulimit -n`). So:
//!
//! - a client must send its first byte within `--client-timeout`, and a
//!   request head, once begun, must be whole within [`HEAD_TIMEOUT`] (or
//!   the client timeout, if shorter): nginx's `client_header_timeout`;
//! - a keep-alive connection idle between requests closes after
//!   `--client-timeout` (hyper's header read timeout);
//! - a request head may not exceed [`MAX_REQUEST_HEAD`] bytes;
//! - a request followed by a half-close (`shutdown(SHUT_WR)`) is still
//!   answered, as nginx and Python's http.server answer it;
//! - the log is written by a thread of its own, so a stderr that nobody
//!   reads never stops the server ([`RequestLog`]);
//! - when `accept` fails because the descriptors are all in use, the server
//!   backs off instead of spinning, and sheds connections that hold a
//!   descriptor for nothing: first those idle between requests (closed
//!   gracefully: none has a request in flight), then, if that freed too
//!   few, those that have sent nothing or only part of a head for
//!   [`SHED_AFTER`]. Clients queued behind them in the kernel's accept
//!   queue then get their turn. A request in flight is never shed.

use crate::config::ServeOptions;
use crate::exit_code::ExitCode;
use crate::interrupt;
use crate::interrupt::Signal;
use crate::limits::{
    FEWER_TASKS, descriptor_error, descriptor_limit, out_of_descriptors, thread_refused,
};
use crate::net::{QUOTE_CHARS, escaped};
use crate::report::text;
use crate::sink::Sink;
use anyhow::{Context, anyhow};
use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Request, Response, StatusCode};
use std::convert::Infallible;
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// The largest request head (request line and headers) the server reads.
/// hyper's smallest allowed buffer; a `GET` from any client fits many
/// times over.
pub(crate) const MAX_REQUEST_HEAD: usize = 8 * 1024;

/// How long a connection may have sent nothing, or only part of a request
/// head, before the server closes it to free its descriptor, when it has
/// run out of them. A real client sends its whole request as soon as it has
/// connected, so a second of silence (or of half a head) is not one.
const SHED_AFTER: Duration = Duration::from_secs(1);

/// How long a request head may take once its first byte has arrived. A
/// real client sends a head in one write; nginx allows 60 s, but a slow
/// server's clients are on loopback or a LAN, and a head that trickles in
/// for longer than this is someone holding a descriptor on purpose.
const HEAD_TIMEOUT: Duration = Duration::from_secs(5);

/// How long the accept loop pauses after `accept` fails: long enough not to
/// spin, short enough that a freed descriptor is soon used.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

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

/// What the server shares between its connections.
struct ServerState {
    settings: ServeOptions,
    /// The per-request log (`serve` without `-q`); `None` when silent.
    log: Option<RequestLog>,
    /// Replies sent with `200 OK`.
    served: AtomicU64,
    /// Requests answered with an error status (a bad path, method or
    /// delay), counted apart so that "served" means a finished wait.
    refused: AtomicU64,
    /// Woken when `accept` ran out of descriptors: connections that hold
    /// one for nothing then close, as [`ServerState::shedding`] says.
    shed: Notify,
    /// How hard the current shortage sheds ([`Shedding`] as a number):
    /// raised each time `accept` fails again, reset when it succeeds.
    shedding: AtomicU8,
    /// Set when `serve` is told to stop: each connection then finishes the
    /// request it is answering and closes ([`SHUTDOWN_GRACE`]).
    stop: tokio::sync::watch::Sender<bool>,
    /// Requests whose reply is not ready yet: those a stop would cut off.
    in_flight: AtomicU64,
    /// Connections open, so that a stopping server knows when it is done.
    open: AtomicU64,
}

/// Which connections a descriptor shortage closes, mildest first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Shedding {
    /// Connections idle between requests: closing one costs its client
    /// nothing but a new connection (HTTP lets a server close an idle
    /// keep-alive connection at any time).
    Idle = 1,
    /// Also connections that have sent nothing, or part of a head, for
    /// [`SHED_AFTER`].
    Stalled = 2,
}

impl ServerState {
    /// The state of a fresh server with `settings`.
    fn new(settings: ServeOptions, log: Option<RequestLog>) -> Arc<ServerState> {
        Arc::new(ServerState {
            settings,
            log,
            served: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            shed: Notify::new(),
            shedding: AtomicU8::new(0),
            stop: tokio::sync::watch::Sender::new(false),
            in_flight: AtomicU64::new(0),
            open: AtomicU64::new(0),
        })
    }

    /// Whether the current shortage sheds connections like `these`.
    fn sheds(&self, these: Shedding) -> bool {
        self.shedding.load(Ordering::Relaxed) >= these as u8
    }
}

/// Serves connections from `listener` until the future is dropped: each
/// request gets its reply after its delay, without blocking, so thousands
/// can wait at once. `on_fd_limit` is called when `accept` fails for want
/// of a descriptor; it says whether to go on (`true`) or stop serving.
async fn accept_loop(
    listener: tokio::net::TcpListener,
    shared: Arc<ServerState>,
    mut on_fd_limit: impl FnMut(&std::io::Error) -> bool,
) {
    loop {
        match listener.accept().await {
            Ok((socket, _)) => {
                shared.shedding.store(0, Ordering::Relaxed);
                tokio::spawn(connection(socket, Arc::clone(&shared)));
            }
            Err(err) => {
                if out_of_descriptors(&err) {
                    if !on_fd_limit(&err) {
                        // Dropping the listener resets the connections still
                        // in its queue, so their clients fail at once
                        // instead of waiting out their timeout.
                        return;
                    }
                    // Free descriptors held for nothing, the idle ones
                    // first; if accept fails again, the stalled ones too.
                    // Good clients queued behind them then get their turn.
                    let harder = match shared.shedding.load(Ordering::Relaxed) {
                        0 => Shedding::Idle,
                        _ => Shedding::Stalled,
                    };
                    shared.shedding.store(harder as u8, Ordering::Relaxed);
                    shared.shed.notify_waiters();
                }
                // Back off rather than spin: accept would fail again at once.
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

/// Where a connection is in its exchange, as the shedding sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Connected, nothing received yet.
    Silent,
    /// Part of a request head received, not yet the whole.
    Head,
    /// A request is being answered: never shed.
    Busy,
    /// Answered; waiting for the next request on a keep-alive connection.
    Idle,
}

/// A connection's phase and since when, updated by its socket's reads and
/// its requests. Atomics, not a lock: the socket and the service update it
/// from different futures of the same connection.
struct ConnectionPhase {
    phase: AtomicU8,
    /// When the phase began, in milliseconds since `epoch`.
    since_ms: AtomicU64,
    epoch: Instant,
    /// Woken at each change of phase, so that the connection's watcher
    /// re-arms its deadline (a head begun has a shorter one than silence).
    changed: Notify,
}

impl ConnectionPhase {
    fn new() -> Arc<ConnectionPhase> {
        Arc::new(ConnectionPhase {
            phase: AtomicU8::new(Phase::Silent as u8),
            since_ms: AtomicU64::new(0),
            epoch: Instant::now(),
            changed: Notify::new(),
        })
    }

    fn phase(&self) -> Phase {
        match self.phase.load(Ordering::Relaxed) {
            0 => Phase::Silent,
            1 => Phase::Head,
            2 => Phase::Busy,
            _ => Phase::Idle,
        }
    }

    fn enter(&self, phase: Phase) {
        let now = u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.since_ms.store(now, Ordering::Relaxed);
        self.phase.store(phase as u8, Ordering::Relaxed);
        self.changed.notify_one();
    }

    /// When the current phase began.
    fn since(&self) -> Instant {
        self.epoch + Duration::from_millis(self.since_ms.load(Ordering::Relaxed))
    }
}

/// The socket, watched: the first bytes of a request move the connection
/// from silent or idle to reading a head. Everything else passes through.
struct PhasedSocket {
    socket: tokio::net::TcpStream,
    watch: Arc<ConnectionPhase>,
}

impl AsyncRead for PhasedSocket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.socket).poll_read(cx, buf);
        if buf.filled().len() > before && matches!(self.watch.phase(), Phase::Silent | Phase::Idle)
        {
            self.watch.enter(Phase::Head);
        }
        polled
    }
}

impl AsyncWrite for PhasedSocket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.socket).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.socket).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.socket).poll_shutdown(cx)
    }
}

/// One connection: hyper serves it, while this watches that it does not
/// hold its descriptor for nothing.
async fn connection(socket: tokio::net::TcpStream, shared: Arc<ServerState>) {
    let _open = Open::count(&shared);
    let mut stop = shared.stop.subscribe();
    let watch = ConnectionPhase::new();
    let client_timeout = shared.settings.client_timeout;
    let head_timeout = HEAD_TIMEOUT.min(client_timeout);
    let service = hyper::service::service_fn(|request| {
        let shared = Arc::clone(&shared);
        let watch = Arc::clone(&watch);
        async move {
            watch.enter(Phase::Busy);
            shared.in_flight.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let response = answer(&request, &shared).await;
            shared.in_flight.fetch_sub(1, Ordering::Relaxed);
            watch.enter(Phase::Idle);
            if let Some(log) = &shared.log {
                log.request(&request, response.status(), started.elapsed());
            }
            Ok::<_, Infallible>(response)
        }
    });
    let io = PhasedSocket {
        socket,
        watch: Arc::clone(&watch),
    };
    let served = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        // Also closes a keep-alive connection idle for this long.
        .header_read_timeout(client_timeout)
        .max_buf_size(MAX_REQUEST_HEAD)
        // A client may send its request and then shut its writing half
        // (`shutdown(SHUT_WR)`): hyper's default drops the request then,
        // but the client is still reading.
        .half_close(true)
        .serve_connection(hyper_util::rt::TokioIo::new(io), service);
    tokio::pin!(served);
    // The deadline of the current phase: hyper knows none for a silent
    // connection or a head that trickles in.
    let deadline = || match watch.phase() {
        Phase::Silent => Some(watch.since() + client_timeout),
        Phase::Head => Some(watch.since() + head_timeout),
        Phase::Busy | Phase::Idle => None,
    };
    let mut closing = false;
    loop {
        tokio::select! {
            _ = served.as_mut() => return,
            // A new phase, a new deadline: go round again.
            () = watch.changed.notified() => {}
            () = sleep_until(deadline()) => {
                // The phase may have moved on while this slept: only its
                // own deadline counts.
                if deadline().is_some_and(|d| Instant::now() >= d) {
                    return;
                }
            }
            // The server stops: a request being answered gets its reply
            // (hyper closes the connection once it is written), an idle
            // connection closes at once, and one that has sent no whole
            // request has nothing to finish.
            Ok(_) = stop.wait_for(|stop| *stop), if !closing => match watch.phase() {
                Phase::Silent | Phase::Head => return,
                Phase::Busy | Phase::Idle => {
                    closing = true;
                    served.as_mut().graceful_shutdown();
                }
            },
            () = shared.shed.notified() => match watch.phase() {
                // Closed once the reply (if one is being written) is out.
                Phase::Idle if !closing && shared.sheds(Shedding::Idle) => {
                    closing = true;
                    served.as_mut().graceful_shutdown();
                }
                Phase::Silent | Phase::Head
                    if shared.sheds(Shedding::Stalled) && watch.since().elapsed() >= SHED_AFTER =>
                {
                    return;
                }
                _ => {}
            },
        }
    }
}

/// One open connection, counted in [`ServerState::open`] while it lives.
struct Open(Arc<ServerState>);

impl Open {
    fn count(shared: &Arc<ServerState>) -> Open {
        shared.open.fetch_add(1, Ordering::Relaxed);
        Open(Arc::clone(shared))
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How long a stopping `serve` lets the requests in flight finish: long
/// enough for the default 1 s delay, short enough that Ctrl-C still stops
/// promptly. A request that asked for more is cut off, and counted.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Sleeps until `deadline`, or for ever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// At most this many log lines wait for stderr; past that, lines are
/// dropped and counted. (A line is short: the path is cut, see
/// [`escaped`].)
const LOG_QUEUE: usize = 256;

/// How long a stopping server waits for its log to reach stderr.
const LOG_PATIENCE: Duration = Duration::from_millis(500);

/// The per-request log on stderr, written by a thread of its own.
///
/// Why a thread: the server answers every connection from one runtime
/// thread, and a write to a stderr that nobody reads (a pipe whose reader
/// is busy or gone to sleep) blocks once the pipe is full. Written from
/// the runtime thread, that one stalled line would stop every connection.
/// So the runtime thread only hands the line over, without waiting; the
/// log thread does the waiting, and lines that find the queue full are
/// dropped and counted, the count said as soon as stderr takes lines
/// again.
struct RequestLog {
    lines: std::sync::mpsc::SyncSender<String>,
    counts: Arc<LogCounts>,
}

/// What the log thread and the server share.
#[derive(Default)]
struct LogCounts {
    /// Lines handed over and not yet written.
    queued: AtomicU64,
    /// Lines dropped since the last count was said.
    dropped: AtomicU64,
}

impl RequestLog {
    /// Starts the log thread.
    fn start() -> anyhow::Result<RequestLog> {
        let (lines, queue) = std::sync::mpsc::sync_channel::<String>(LOG_QUEUE);
        let counts = Arc::new(LogCounts::default());
        let shared = Arc::clone(&counts);
        std::thread::Builder::new()
            .name("serve-log".into())
            .spawn(move || {
                for line in queue {
                    // One write per line, so that lines never mix; a
                    // closed stderr loses the log, not the server.
                    let mut err = std::io::stderr().lock();
                    let dropped = shared.dropped.swap(0, Ordering::Relaxed);
                    if dropped > 0 {
                        let _ = writeln!(
                            err,
                            "serve: {dropped} log lines dropped: stderr was not read fast enough"
                        );
                    }
                    let _ = err.write_all(line.as_bytes());
                    shared.queued.fetch_sub(1, Ordering::Relaxed);
                }
            })
            .map_err(|err| thread_refused("the thread that writes serve's log", Some(&err), ""))?;
        Ok(RequestLog { lines, counts })
    }

    /// Logs one request: `GET /?delay=1s 200 1000.4 ms`. The method and
    /// path are the client's bytes: escaped.
    fn request<B>(&self, request: &Request<B>, status: StatusCode, took: Duration) {
        let target = request
            .uri()
            .path_and_query()
            .map_or("/", hyper::http::uri::PathAndQuery::as_str);
        let line = format!(
            "{} {} {} {:.1} ms\n",
            escaped(request.method().as_str(), QUOTE_CHARS),
            escaped(target, QUOTE_CHARS),
            status.as_u16(),
            took.as_secs_f64() * 1e3
        );
        self.counts.queued.fetch_add(1, Ordering::Relaxed);
        if self.lines.try_send(line).is_err() {
            self.counts.queued.fetch_sub(1, Ordering::Relaxed);
            self.counts.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Gives the lines still queued up to `patience` to reach stderr, as
    /// the server stops: a stderr that is read gets them all.
    fn drain(&self, patience: Duration) {
        let deadline = std::time::Instant::now() + patience;
        while self.counts.queued.load(Ordering::Relaxed) > 0 && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// A reply with a one-line text body.
fn reply(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body + "\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// What a request asks for: its delay, or the error reply.
fn route(
    method: &Method,
    path: &str,
    query: Option<&str>,
    settings: &ServeOptions,
) -> Result<Duration, (StatusCode, String)> {
    if path != "/" {
        return Err((
            StatusCode::NOT_FOUND,
            format!("no such path {path}: try GET /"),
        ));
    }
    if method != Method::GET && method != Method::HEAD {
        return Err((
            StatusCode::METHOD_NOT_ALLOWED,
            format!("{method} is not served here: try GET /"),
        ));
    }
    let asked = query
        .into_iter()
        .flat_map(|q| q.split('&'))
        .find_map(|pair| pair.strip_prefix("delay="));
    let Some(asked) = asked else {
        return Ok(settings.delay);
    };
    // The command line's own parser and words: `invalid duration 'abc':
    // give a number and a unit, such as 250ms, 1.5s or 2m`.
    let delay =
        crate::cli::duration(asked).map_err(|bad| (StatusCode::BAD_REQUEST, bad.to_string()))?;
    if delay > settings.max_delay {
        return Err((
            StatusCode::BAD_REQUEST,
            format!(
                "delay {asked} is over this server's limit of {} (--max-delay)",
                humantime::format_duration(settings.max_delay)
            ),
        ));
    }
    Ok(delay)
}

/// Answers one request.
async fn answer<B>(request: &Request<B>, shared: &ServerState) -> Response<Full<Bytes>> {
    let uri = request.uri();
    match route(request.method(), uri.path(), uri.query(), &shared.settings) {
        Ok(delay) => {
            // The wait that makes the server slow. It is a timer, not a
            // thread: other connections go on being served meanwhile.
            tokio::time::sleep(delay).await;
            shared.served.fetch_add(1, Ordering::Relaxed);
            reply(
                StatusCode::OK,
                format!("done after {}", humantime::format_duration(delay)),
            )
        }
        Err((status, why)) => {
            shared.refused.fetch_add(1, Ordering::Relaxed);
            let mut response = reply(status, why);
            if status == StatusCode::METHOD_NOT_ALLOWED {
                // HTTP requires a 405 to say which methods are allowed.
                response.headers_mut().insert(
                    hyper::header::ALLOW,
                    hyper::header::HeaderValue::from_static("GET, HEAD"),
                );
            }
            response
        }
    }
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

/// Resolves `addr` (`127.0.0.1:0`, `localhost:7878`, `[::1]:0`) to the
/// addresses it names, as every network tool does.
pub(crate) fn resolve(addr: &str) -> anyhow::Result<Vec<SocketAddr>> {
    use std::net::ToSocketAddrs;
    let addrs: Vec<SocketAddr> = addr
        .to_socket_addrs()
        .with_context(|| format!("resolving {addr:?} (expected HOST:PORT)"))?
        .collect();
    if addrs.is_empty() {
        return Err(anyhow!("resolving {addr:?}: no address found"));
    }
    Ok(addrs)
}

/// `asyncdemo serve`: answers requests until SIGINT or SIGTERM, then says
/// how many it served.
pub(crate) fn serve(addr: &str, settings: ServeOptions) -> anyhow::Result<ExitCode> {
    // A name may resolve to several addresses (`localhost` to 127.0.0.1
    // and ::1): listen on the first that works.
    let mut bound = Err(anyhow!("resolving {addr:?}: no address found"));
    for candidate in resolve(addr)? {
        bound = bind_server(candidate);
        if bound.is_ok() {
            break;
        }
    }
    let (runtime, listener) = bound?;
    let local = listener.local_addr()?;
    let log = settings.log.then(RequestLog::start).transpose()?;
    let shared = ServerState::new(settings, log);
    // The signal thread only says "stop" (after ending the `^C` line): the
    // runtime thread stops accepting, lets the requests in flight finish,
    // and then says what was done.
    let (signalled, mut signal) = tokio::sync::watch::channel(None::<Signal>);
    interrupt::on_signal({
        let shared = Arc::clone(&shared);
        move |caught| {
            let mut out = std::io::stdout();
            let terminal = out.is_terminal();
            let _ = text::end_the_ctrl_c_line(&mut out, Some(caught), terminal);
            let _ = out.flush();
            signalled.send_replace(Some(caught));
            shared.stop.send_replace(true);
        }
    })?;
    // The first line tells scripts and tests where to connect; flushed at
    // once, because the server then waits for connections indefinitely.
    let mut out = std::io::stdout().lock();
    writeln!(out, "listening on http://{local}/")
        .and_then(|()| out.flush())
        .context("writing output")?;
    drop(out);
    // Read now: once the descriptors have run out, it cannot be read.
    descriptor_limit();
    let mut last_said = None::<std::time::Instant>;
    let accepting = accept_loop(listener, Arc::clone(&shared), |_| {
        // A standing server rides out the shortage: it sheds idle
        // clients and retries. Say so on stderr, at most once a minute.
        if last_said.is_none_or(|at| at.elapsed() >= Duration::from_secs(60)) {
            last_said = Some(std::time::Instant::now());
            let _ = writeln!(
                std::io::stderr(),
                "serve: {:#}",
                descriptor_error(
                    "the server",
                    "closing clients that are idle or stalled, and retrying",
                    " to serve more clients at once",
                )
            );
        }
        true
    });
    let caught = runtime.block_on(async {
        // The accept loop never ends by itself: only a signal stops it.
        let caught = tokio::select! {
            () = accepting => None,
            Ok(caught) = signal.wait_for(Option::is_some) => *caught,
        };
        // The listener is gone with the loop, so new clients are refused
        // while the last replies go out.
        let deadline = Instant::now() + SHUTDOWN_GRACE;
        // Said, so that the wait after Ctrl-C is not a silence.
        let waiting = shared.in_flight.load(Ordering::Relaxed);
        if waiting > 0 {
            let (requests, get) = if waiting == 1 {
                ("request", "gets")
            } else {
                ("requests", "get")
            };
            let _ = writeln!(
                std::io::stderr(),
                "serve: stopping; {waiting} {requests} in flight {get} up to {} to finish",
                humantime::format_duration(SHUTDOWN_GRACE)
            );
        }
        while shared.open.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        caught
    });
    if let Some(log) = &shared.log {
        log.drain(LOG_PATIENCE);
    }
    // Stopping is the only way out, so it is also the clean way out: say
    // what was done, then exit with the signal's code.
    let line = stop_summary(
        shared.served.load(Ordering::Relaxed),
        shared.refused.load(Ordering::Relaxed),
        shared.in_flight.load(Ordering::Relaxed),
    );
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
    drop(out);
    let code = caught.map_or(ExitCode::Error, Signal::exit_code);
    std::process::exit(code.code().into());
}

/// What a stopped `serve` says it did: `served 1 request`, `served 3
/// requests (1 more answered with an error)`, and the requests still
/// waiting for their reply when [`SHUTDOWN_GRACE`] ran out.
fn stop_summary(served: u64, refused: u64, cut_off: u64) -> String {
    let requests = |n: u64| if n == 1 { "request" } else { "requests" };
    let mut line = format!("served {served} {}", requests(served));
    if refused > 0 {
        line.push_str(&format!(" ({refused} more answered with an error)"));
    }
    if cut_off > 0 {
        line.push_str(&format!(
            "; {cut_off} {} cut off, still waiting after {} of grace",
            requests(cut_off),
            humantime::format_duration(SHUTDOWN_GRACE)
        ));
    }
    line
}

/// The server `fetch` starts for itself when no `--url` is given.
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
    /// Running out of descriptors stops the run at once through `sink`,
    /// rather than leaving every client to wait out its timeout.
    pub(crate) fn start(delay: Duration, sink: Arc<Sink>) -> anyhow::Result<BuiltIn> {
        descriptor_limit();
        // Listen before returning, so the first request cannot arrive
        // before the server does.
        let (runtime, listener) = bind_server(SocketAddr::from(([127, 0, 0, 1], 0)))
            .map_err(|err| limit_or(err, "the built-in server"))?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let shared = ServerState::new(ServeOptions::built_in(delay), None);
        std::thread::Builder::new()
            .name("built-in server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let on_fd_limit = |_: &std::io::Error| {
                        sink.abort(descriptor_error(
                            "the built-in server",
                            "each request in flight holds two, one per end of its connection",
                            FEWER_TASKS,
                        ));
                        false
                    };
                    tokio::select! {
                        () = accept_loop(listener, shared, on_fd_limit) => {}
                        _ = stopped => {}
                    }
                });
                // Replies still waiting are dropped with the runtime here.
            })
            .map_err(|err| thread_refused("the built-in server's thread", Some(&err), ""))?;
        Ok(BuiltIn { addr, _stop: stop })
    }

    /// Its URL.
    pub(crate) fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

/// `err`, turned into the descriptor-limit error if that is its cause.
fn limit_or(err: anyhow::Error, who: &str) -> anyhow::Error {
    let fd_limit = err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(out_of_descriptors)
    });
    if fd_limit {
        descriptor_error(who, "it needs a few to start", FEWER_TASKS)
    } else {
        err
    }
}

#[cfg(test)]
mod tests;
