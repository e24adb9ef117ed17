//! What a narrated task awaits and who polls it: the words for its wait
//! (a timer, a socket, a query, a call in the pool or in place), for what
//! wakes it, and for what a `Pending` leaves behind.

use super::human;
use crate::config::Runtime;
use std::time::Duration;

/// Who calls a task's `poll`: what drives the tasks, as the narration
/// tells it (the thread lanes' `report::lanes::Driver` draws threads by
/// role and needs no worker count).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Poller {
    /// One `join_all`, polled by `block_on`, polls every coroutine.
    Joined(Runtime),
    /// Each coroutine is a tokio task of its own (`--spawn`).
    Spawned(Runtime),
    /// No executor: an OS thread per task (`--mode threads`).
    Threads,
}

impl Poller {
    /// Who calls a task's `poll`.
    pub(super) fn name(self) -> &'static str {
        match self {
            Poller::Joined(_) => "join_all",
            Poller::Spawned(_) => "tokio's scheduler",
            Poller::Threads => "its thread's block_on",
        }
    }
}

/// The blocking call a task makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Call {
    /// `std::thread::sleep` for this long.
    Sleep(Duration),
    /// A blocking HTTP request (ureq).
    Http,
    /// A blocking database query: the sync `postgres` client (`true`), or
    /// rusqlite (`false`).
    Query(bool),
    /// A busy loop of this long on the CPU that never yields (`--work spin`).
    Spin(Duration),
}

impl Call {
    pub(super) fn name(self) -> String {
        match self {
            Call::Sleep(delay) => format!("std::thread::sleep({})", human(delay)),
            Call::Http => "ureq's blocking HTTP request".into(),
            Call::Query(true) => "the sync postgres client's query".into(),
            Call::Query(false) => "rusqlite's query".into(),
            Call::Spin(delay) => format!("a busy loop of {} that never yields", human(delay)),
        }
    }
}

/// What a task awaits between its two lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Awaits {
    /// `tokio::time::sleep` for this long.
    Timer(Duration),
    /// An HTTP request made with reqwest, on tokio's sockets.
    Request,
    /// A query's answer from an async driver: tokio-postgres on the
    /// server's socket (`true`), or SQLite on its connection's thread.
    Query(bool),
    /// `spawn_blocking` of this call.
    Pool(Call),
    /// This call, made right inside the coroutine.
    InPlace(Call),
    /// This call, made inside `tokio::task::block_in_place`: on a worker,
    /// tokio first hands the worker's core (its run queue and drivers) to
    /// another thread; on `block_on`'s thread there is no core to hand.
    BlockInPlace(Call),
    /// A busy loop of this long that calls `yield_now().await` after every
    /// slice of work (`--work spin` in async mode).
    Yielding(Duration),
}

/// What a task's wait had observed of its call at a moment: by the time
/// its poll returned `Pending`, or its waker was called. `Nothing` where
/// the wait tells nothing of its own (a timer, a socket), or where a
/// recording past its cut-off kept no such steps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum CallSeen {
    #[default]
    Nothing,
    /// Its call was handed to the blocking pool, and no pool thread has
    /// begun it yet.
    PoolQueued,
    /// Blocking-pool thread `thread` began its call.
    PoolRunning { thread: u32 },
    /// Its query asked for a connection when `busy` of the driver's
    /// `connections` were taken, and no connection has taken it yet.
    QueryQueued { busy: u32, connections: u32 },
    /// Connection `connection` took its query.
    QuerySent { connection: u32 },
}

impl Awaits {
    pub(super) fn name(self) -> String {
        match self {
            Awaits::Timer(delay) => format!("tokio::time::sleep({})", human(delay)),
            Awaits::Request => "its HTTP request (reqwest)".into(),
            Awaits::Query(true) => "its query's answer from the server (tokio-postgres)".into(),
            Awaits::Query(false) => "its query's answer from its connection's thread (async \
                                     SQLite is a blocking call on its own thread)"
                .into(),
            Awaits::Pool(call) => format!("spawn_blocking({})", call.name()),
            Awaits::InPlace(call) => format!("{}, called right inside the coroutine", call.name()),
            Awaits::BlockInPlace(call) => {
                format!("{}, called inside tokio::task::block_in_place", call.name())
            }
            Awaits::Yielding(delay) => format!(
                "a busy loop of {} that calls tokio::task::yield_now().await after every \
                 slice of about 1 ms",
                human(delay)
            ),
        }
    }

    /// What wakes a task that awaits this, and who calls its waker, given
    /// what its call had shown by then (`seen`).
    pub(super) fn waker(self, seen: CallSeen) -> (&'static str, &'static str) {
        match (self, seen) {
            (Awaits::Timer(_), _) => ("its timer", "tokio's timer driver called its waker"),
            (Awaits::Request, _) => ("its HTTP request", "tokio's I/O driver saw its socket move"),
            (Awaits::Query(true), CallSeen::QuerySent { .. }) => {
                ("its query", "tokio's I/O driver saw the server's answer")
            }
            (Awaits::Query(false), CallSeen::QuerySent { .. }) => {
                ("its query", "its connection's thread sent the answer")
            }
            (Awaits::Query(_), CallSeen::QueryQueued { busy, connections })
                if busy >= connections =>
            {
                (
                    "its query",
                    "a connection came free; its query was not sent yet",
                )
            }
            (Awaits::Query(_), CallSeen::QueryQueued { .. }) => (
                "its query",
                "the connection being opened for it moved on; its query was not sent yet",
            ),
            (Awaits::Query(true), _) => (
                "its query",
                "tokio's I/O driver saw the server's answer, or a connection came free",
            ),
            (Awaits::Query(false), _) => (
                "its query",
                "its connection's thread sent the answer, or a connection came free",
            ),
            (Awaits::Pool(_), _) => (
                "its call",
                "the blocking-pool thread that finished it called its waker",
            ),
            (Awaits::InPlace(_) | Awaits::BlockInPlace(_), _) => {
                ("its waker", "somebody called it")
            }
            (Awaits::Yielding(_), _) => (
                "yield_now",
                "the scheduler called the waker that yield_now had deferred, once it had no \
                 other task ready and had polled its timer and I/O drivers",
            ),
        }
    }

    /// What a `Pending` leaves behind, from what the call had shown by
    /// then (`seen`).
    pub(super) fn registered(self, seen: CallSeen) -> String {
        match (self, seen) {
            (Awaits::Timer(_), _) => "its timer is registered".into(),
            (Awaits::Request, _) => "its socket is registered with tokio's I/O driver".into(),
            (Awaits::Query(_), CallSeen::QueryQueued { busy, connections })
                if busy >= connections =>
            {
                match connections {
                    1 => "its query is queued: the one connection is busy".into(),
                    _ => format!("its query is queued: all {connections} connections are busy"),
                }
            }
            (Awaits::Query(_), CallSeen::QueryQueued { busy, connections }) => format!(
                "a connection was free when its query asked ({busy} of {connections} busy), \
                 but none has taken the query yet"
            ),
            (Awaits::Query(true), CallSeen::QuerySent { connection }) => {
                format!("its query was sent to the server on connection {connection}")
            }
            (Awaits::Query(false), CallSeen::QuerySent { connection }) => {
                format!("its query went to connection {connection}'s thread")
            }
            (Awaits::Query(true), _) => {
                "its query went to the server, or it waits for a connection".into()
            }
            (Awaits::Query(false), _) => {
                "its query went to its connection's thread, or it waits for a connection".into()
            }
            (Awaits::Pool(_), CallSeen::PoolQueued) => {
                "its call waits in the blocking pool's queue: no pool thread has begun it yet"
                    .into()
            }
            (Awaits::Pool(_), CallSeen::PoolRunning { thread }) => {
                format!("its call runs on blocking-pool thread {thread}")
            }
            (Awaits::Pool(_), _) => "its call runs on a blocking-pool thread".into(),
            (Awaits::InPlace(_) | Awaits::BlockInPlace(_), _) => "it waits for a wake-up".into(),
            // tokio's `yield_now` does not wake the task: it hands the
            // waker to the scheduler's defer list (`context::defer`), which
            // the scheduler wakes only after it has polled its drivers.
            (Awaits::Yielding(_), _) => "yield_now gave the thread up after a slice of work and \
                                         handed its waker to the scheduler, which defers it \
                                         until no other task is ready and it has polled its \
                                         timer and I/O drivers"
                .into(),
        }
    }

    /// What a parked runtime thread waits for.
    pub(super) fn park_until(self) -> &'static str {
        match self {
            Awaits::Timer(_) => "until the next timer is due",
            Awaits::Request => "until a socket is ready (or a timer is due)",
            Awaits::Query(true) => "until a socket is ready",
            Awaits::Query(false) => "until a connection's thread wakes a task",
            Awaits::Pool(_) => "until a blocking-pool thread wakes a task",
            Awaits::InPlace(_) | Awaits::BlockInPlace(_) => "until a task is woken",
            Awaits::Yielding(_) => "until a task is ready",
        }
    }
}
