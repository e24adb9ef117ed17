//! The two clients of `fetch`: the same HTTP GET, made two ways, with the
//! crates a Rust programmer would pick.
//!
//! - [`AsyncFetch`] uses reqwest: sending the request and reading the reply
//!   are futures, and a task waiting for its reply gives the thread back.
//!   This is what aiohttp does in Python.
//! - [`BlockingFetch`] uses ureq: each call holds its thread until the reply
//!   arrives. This is what `requests` does, and, called inside a coroutine,
//!   it serialises every task.
//!
//! reqwest has a blocking client too, but it runs a tokio runtime of its
//! own inside, and tokio refuses (panics) when one is started or dropped
//! inside another's `block_on`. ureq has no runtime at all, which is also
//! why it is the honest model of `requests`.
//!
//! Both are built without TLS (plain `http://` only) and without proxy
//! support: the lesson is about waiting, and a proxy from the environment
//! would turn a loopback request into something else.
//!
//! Every outcome is per task: a reply outside 2xx, a refused connection or
//! a timeout fails that task with a one-line reason, and the others go on.
//! Running out of file descriptors is different: every task would fail the
//! same way, so it stops the run at once with an error naming the limit.

use crate::limits::{FEWER_TASKS, descriptor_error, out_of_descriptors};
use crate::net::{QUOTE_CHARS, escaped};
use crate::outcome::Ending;
use crate::sink::Sink;
use crate::wait::{BlockingCall, Wait};
use std::future::Future;
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How much of a reply's body the client reads: enough for any reply of a
/// slow server, and a bound on what an unknown `--url` can make it read.
const MAX_BODY: u64 = 1024 * 1024;

/// What both clients share: where to go, how long to wait, where to report
/// a limit of the machine, and the quickest round trip seen.
pub(crate) struct Client {
    url: String,
    /// Whether `url` is the built-in server's, which holds a descriptor
    /// per request too.
    built_in: bool,
    timeout: Duration,
    sink: Arc<Sink>,
    /// The quickest completed request, in nanoseconds (`u64::MAX`: none yet).
    fastest_nanos: AtomicU64,
    /// The async client. One for every task, as aiohttp's `ClientSession`:
    /// it keeps a pool of connections.
    reqwest: reqwest::Client,
    /// The blocking client, likewise shared.
    ureq: ureq::Agent,
}

/// ureq's resolver, except that an IP address is used as it is.
///
/// Under a timeout, ureq's own resolver looks every host up on a thread
/// of its own, `127.0.0.1` included, and panics when the OS refuses that
/// thread (`ulimit -u`): in `--mode threads` that doubled the threads a
/// run needs and turned the limit into a crash. An address needs no
/// lookup; a name still gets ureq's.
#[derive(Debug, Default)]
struct AddressAsIs(ureq::unversioned::resolver::DefaultResolver);

impl ureq::unversioned::resolver::Resolver for AddressAsIs {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let address = uri.authority().and_then(|authority| {
            let host = authority
                .host()
                .trim_start_matches('[')
                .trim_end_matches(']');
            let ip = host.parse::<std::net::IpAddr>().ok()?;
            Some(std::net::SocketAddr::new(
                ip,
                authority.port_u16().unwrap_or(80),
            ))
        });
        match address {
            Some(address) => {
                let mut addresses = self.empty();
                addresses.push(address);
                Ok(addresses)
            }
            None => self.0.resolve(uri, config, timeout),
        }
    }
}

impl Client {
    /// A client of `url` (the built-in server's if `built_in`) that gives
    /// up on a request after `timeout`.
    pub(crate) fn new(
        url: String,
        built_in: bool,
        timeout: Duration,
        sink: Arc<Sink>,
    ) -> anyhow::Result<Client> {
        // Read now, while a descriptor is still free to read it with.
        crate::limits::descriptor_limit();
        let reqwest = reqwest::Client::builder()
            .timeout(timeout)
            .no_proxy()
            // No idle pool: every task's request is in flight at once, so
            // a finished connection is never reused within the run, and
            // keeping it costs its buffers (about 26 KB of hyper's) and
            // closing them all at exit (docs/benchmarks.md, fetch beside
            // aiohttp).
            .pool_max_idle_per_host(0)
            .build()?;
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            // A 404 is a reply like any other here: the status is checked
            // below, the same way for both clients.
            .http_status_as_error(false)
            .proxy(None)
            .build();
        let ureq = ureq::Agent::with_parts(
            config,
            ureq::unversioned::transport::DefaultConnector::default(),
            AddressAsIs::default(),
        );
        Ok(Client {
            url,
            built_in,
            timeout,
            sink,
            fastest_nanos: AtomicU64::new(u64::MAX),
            reqwest,
            ureq,
        })
    }

    /// The quickest round trip: the server's delay as the client saw it.
    pub(crate) fn fastest(&self) -> Option<Duration> {
        match self.fastest_nanos.load(Ordering::Relaxed) {
            u64::MAX => None,
            nanos => Some(Duration::from_nanos(nanos)),
        }
    }

    /// Turns the outcome of a request that started at `started` into the
    /// task's ending, and keeps the quickest round trip.
    fn finish(&self, started: Instant, result: Result<Reply, Failure>) -> Ending {
        match result {
            Ok(reply) => {
                let nanos = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX - 1);
                self.fastest_nanos.fetch_min(nanos, Ordering::Relaxed);
                Ending::Reply {
                    status: reply.status.as_u16(),
                    reason: reply.status.canonical_reason().unwrap_or(""),
                }
            }
            Err(Failure::Task(why)) => Ending::Failed(why),
            Err(Failure::OutOfDescriptors) => {
                let detail = if self.built_in {
                    "each request in flight holds one, and the built-in server one more"
                } else {
                    "each request in flight holds one"
                };
                self.sink
                    .abort(descriptor_error("fetch", detail, FEWER_TASKS));
                Ending::Stopped
            }
        }
    }

    fn timed_out(&self) -> Failure {
        Failure::Task(format!(
            "no reply within {} (--timeout)",
            humantime::format_duration(self.timeout)
        ))
    }
}

/// A good reply.
struct Reply {
    status: http::StatusCode,
}

/// Why a request failed.
enum Failure {
    /// This task failed; the line says why.
    Task(String),
    /// The process is out of file descriptors: the whole run must stop.
    OutOfDescriptors,
}

/// The reply's `Content-Type`, which decides whether its body is quoted in
/// an error. Both clients speak the `http` crate's header types.
fn content_type(headers: &http::HeaderMap) -> Option<String> {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Checks a reply's status: 2xx is good; anything else fails the task with
/// the status and, for a text body, its first line, escaped: the body is
/// the server's to choose, and may hold anything.
fn check_status(
    status: http::StatusCode,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Reply, Failure> {
    if status.is_success() {
        return Ok(Reply { status });
    }
    let mut why = format!(
        "HTTP {} {}",
        status.as_u16(),
        status.canonical_reason().unwrap_or("")
    )
    .trim_end()
    .to_owned();
    // Quote a plain-text body (this crate's server says why in one line);
    // an HTML error page's first line says nothing useful.
    if content_type.is_some_and(|t| t.starts_with("text/plain")) {
        let line = String::from_utf8_lossy(body);
        let line = line.lines().map(str::trim).find(|l| !l.is_empty());
        if let Some(line) = line {
            why.push_str(": ");
            why.push_str(&escaped(line, QUOTE_CHARS));
        }
    }
    Err(Failure::Task(why))
}

/// The I/O error at the root of `err`, if there is one.
fn io_cause<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    let mut cause = Some(err);
    while let Some(err) = cause {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        cause = err.source();
    }
    None
}

/// The innermost message of `err`'s chain: what actually went wrong,
/// without every layer's wrapping ("error sending request for url ...").
/// Escaped, as a library's message may quote what the server sent.
fn root_message(err: &(dyn std::error::Error + 'static)) -> String {
    let mut root = err;
    while let Some(source) = root.source() {
        root = source;
    }
    escaped(&root.to_string(), QUOTE_CHARS)
}

/// The non-blocking client: reqwest, like aiohttp.
pub(crate) struct AsyncFetch(pub(crate) Arc<Client>);

impl Wait for AsyncFetch {
    fn wait(&self, _id: u32) -> impl Future<Output = Ending> + Send {
        let client = &self.0;
        async move {
            let started = Instant::now();
            let result = async {
                // Each `.await` below returns `Pending` until the socket is
                // ready: the executor runs the other tasks meanwhile.
                let mut response = client
                    .reqwest
                    .get(&client.url)
                    .send()
                    .await
                    .map_err(|err| describe_reqwest(client, &err, Stage::Head))?;
                let status = response.status();
                let content_type = content_type(response.headers());
                let mut body = Vec::new();
                while let Some(chunk) = response
                    .chunk()
                    .await
                    .map_err(|err| describe_reqwest(client, &err, Stage::Body))?
                {
                    body.extend_from_slice(&chunk);
                    if body.len() as u64 >= MAX_BODY {
                        break;
                    }
                }
                check_status(status, content_type.as_deref(), &body)
            }
            .await;
            client.finish(started, result)
        }
    }
}

/// How far a request got when it failed: the same failure is worded by
/// where it happened, never by which client saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    /// Sending the request or reading the reply's status and headers.
    Head,
    /// Reading the reply's body.
    Body,
}

impl Stage {
    /// The words a failure at this stage starts with.
    fn prefix(self) -> &'static str {
        match self {
            Stage::Head => "bad reply",
            Stage::Body => "reading the reply",
        }
    }
}

/// The wording of a failure that is the same whichever client met it:
/// the two libraries word the same event differently ("connection closed
/// before message completed", "Peer disconnected"), and the lesson compares
/// the clients, so the words must not differ.
fn worded(client: &Client, io: &std::io::Error, stage: Stage) -> Option<Failure> {
    use std::io::ErrorKind;
    if out_of_descriptors(io) {
        return Some(Failure::OutOfDescriptors);
    }
    Some(match io.kind() {
        ErrorKind::TimedOut | ErrorKind::WouldBlock => client.timed_out(),
        ErrorKind::ConnectionRefused => Failure::Task(format!("connecting: {}", plain_io(io))),
        ErrorKind::UnexpectedEof => Failure::Task(closed_early(stage)),
        ErrorKind::ConnectionReset | ErrorKind::ConnectionAborted | ErrorKind::BrokenPipe => {
            Failure::Task(format!("{}: {}", stage.prefix(), plain_io(io)))
        }
        _ => return None,
    })
}

/// An I/O error's own words (`Connection refused (os error 111)`), without
/// a library's wrapping around them.
fn plain_io(io: &std::io::Error) -> String {
    match io.raw_os_error() {
        Some(code) => std::io::Error::from_raw_os_error(code).to_string(),
        None => escaped(&io.to_string(), QUOTE_CHARS),
    }
}

/// The server closed the connection before the reply was whole.
fn closed_early(stage: Stage) -> String {
    match stage {
        Stage::Head => "bad reply: the server closed the connection before replying".into(),
        Stage::Body => {
            "reading the reply: the server closed the connection before the end of the body".into()
        }
    }
}

/// A reply that is not HTTP at all.
const NOT_HTTP: &str = "bad reply: not an HTTP response";

/// Says why a reqwest request failed, in a few words.
fn describe_reqwest(client: &Client, err: &reqwest::Error, stage: Stage) -> Failure {
    if err.is_timeout() {
        return client.timed_out();
    }
    if let Some(failure) = io_cause(err).and_then(|io| worded(client, io, stage)) {
        return failure;
    }
    if err.is_connect() {
        return Failure::Task(format!("connecting: {}", root_message(err)));
    }
    // hyper, under reqwest, says what was wrong with the reply.
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(inner) = cause {
        if let Some(hyper) = inner.downcast_ref::<hyper::Error>() {
            if hyper.is_incomplete_message() {
                return Failure::Task(closed_early(stage));
            }
            if hyper.is_parse() {
                return Failure::Task(NOT_HTTP.into());
            }
        }
        cause = inner.source();
    }
    Failure::Task(format!("{}: {}", stage.prefix(), root_message(err)))
}

/// The blocking client: ureq, like `requests`.
pub(crate) struct BlockingFetch(pub(crate) Arc<Client>);

impl BlockingCall for BlockingFetch {
    /// An HTTP client parses, resolves host names (glibc's resolver alone
    /// wants tens of KiB) and keeps buffers on the stack: the sleeps' 64 KiB
    /// overflowed. 512 KiB leaves room even in a debug build.
    const STACK_BYTES: usize = 512 * 1024;

    fn call(&self, _id: u32) -> Ending {
        let client = &self.0;
        // The run has stopped (its output is gone, or the descriptors ran
        // out): don't start another request.
        if client.sink.is_stopped() {
            return Ending::Stopped;
        }
        let started = Instant::now();
        // This call holds the thread until the reply arrives (or the
        // timeout passes): nothing else runs on it meanwhile.
        let result = match client.ureq.get(&client.url).call() {
            Ok(mut response) => {
                let status = response.status();
                let content_type = content_type(response.headers());
                let mut body = Vec::new();
                let read = response
                    .body_mut()
                    .as_reader()
                    .take(MAX_BODY)
                    .read_to_end(&mut body);
                match read {
                    Ok(_) => check_status(status, content_type.as_deref(), &body),
                    Err(err) => Err(describe_ureq_io(client, &err, Stage::Body)),
                }
            }
            Err(err) => Err(describe_ureq(client, &err, Stage::Head)),
        };
        client.finish(started, result)
    }
}

/// Says why a ureq request failed, in a few words.
fn describe_ureq(client: &Client, err: &ureq::Error, stage: Stage) -> Failure {
    match err {
        ureq::Error::Io(io) => describe_ureq_io(client, io, stage),
        ureq::Error::Timeout(_) => client.timed_out(),
        ureq::Error::HostNotFound => Failure::Task("connecting: host not found".into()),
        ureq::Error::ConnectionFailed => Failure::Task("connecting: connection failed".into()),
        ureq::Error::Protocol(_) => Failure::Task(NOT_HTTP.into()),
        other => Failure::Task(format!(
            "{}: {}",
            stage.prefix(),
            escaped(&other.to_string(), QUOTE_CHARS)
        )),
    }
}

/// Says why ureq's socket failed.
fn describe_ureq_io(client: &Client, io: &std::io::Error, stage: Stage) -> Failure {
    // ureq reports its own errors inside the body reader as I/O errors
    // (its timeout as "timeout: global"): unwrap them first.
    if let Some(inner) = io.get_ref().and_then(|e| e.downcast_ref::<ureq::Error>()) {
        return describe_ureq(client, inner, stage);
    }
    if let Some(failure) = worded(client, io, stage) {
        return failure;
    }
    match io_cause(io).filter(|inner| !std::ptr::eq(*inner, io)) {
        Some(inner) => Failure::Task(format!(
            "{}: {}",
            stage.prefix(),
            escaped(&inner.to_string(), QUOTE_CHARS)
        )),
        None => Failure::Task(format!(
            "{}: {}",
            stage.prefix(),
            escaped(&io.to_string(), QUOTE_CHARS)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(result: Result<Reply, Failure>) -> String {
        match result {
            Err(Failure::Task(why)) => why,
            Err(Failure::OutOfDescriptors) => "out of descriptors".into(),
            Ok(reply) => format!("ok {}", reply.status),
        }
    }

    #[test]
    fn only_2xx_is_a_good_reply_and_a_bad_one_is_quoted_briefly() {
        let status = |code| http::StatusCode::from_u16(code).unwrap();
        assert_eq!(
            why(check_status(status(204), None, b"")),
            "ok 204 No Content"
        );
        assert_eq!(
            why(check_status(
                status(404),
                Some("text/plain; charset=utf-8"),
                b"\nno such path /nope: try GET /\n"
            )),
            "HTTP 404 Not Found: no such path /nope: try GET /"
        );
        assert_eq!(
            why(check_status(
                status(404),
                Some("text/html"),
                b"<!DOCTYPE HTML>"
            )),
            "HTTP 404 Not Found"
        );
        assert_eq!(why(check_status(status(599), None, b"")), "HTTP 599");
        let long = "x".repeat(200);
        let quoted = why(check_status(
            status(500),
            Some("text/plain"),
            long.as_bytes(),
        ));
        assert_eq!(
            quoted,
            format!("HTTP 500 Internal Server Error: {}...", "x".repeat(80))
        );
    }
}
