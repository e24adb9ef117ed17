//! The drivers of `query`: the same slow query, made by an async driver
//! and by a blocking one, on SQLite or on PostgreSQL.
//!
//! | database   | async ([`Wait`])                                     | blocking ([`BlockingCall`])        |
//! |------------|------------------------------------------------------|------------------------------------|
//! | SQLite     | [`AsyncSqlite`]: a thread per connection, fed by a channel | [`BlockingSqlite`]: rusqlite in place |
//! | PostgreSQL | [`AsyncPostgres`]: tokio-postgres                    | [`BlockingPostgres`]: the sync `postgres` client |
//!
//! SQLite has no async API at all: it is a C library that runs the query
//! on the caller's thread. So "async SQLite" is a blocking call on a
//! thread of its own, as sqlx-sqlite, tokio-rusqlite and Python's aiosqlite
//! do it: each connection lives on a dedicated thread, and a query is a
//! message to that thread and an awaited answer.
//!
//! PostgreSQL is a server: tokio-postgres sends the query and awaits the
//! answer on the socket. The sync `postgres` client is tokio-postgres
//! driven by a runtime of its own, and it calls that runtime's `block_on`
//! for each call; inside a tokio task, tokio refuses ("Cannot start a
//! runtime from within a runtime") and panics. That panic is caught here
//! and becomes the lesson (see [`BlockingPostgres`]).
//!
//! Each driver keeps a pool of at most `--connections` connections, opened
//! as they are needed. A query that waits for a free connection is queued,
//! not in progress: [`InProgress`] is the one place that observes a
//! query really starting on its connection.

use crate::limits;
use crate::net::{QUOTE_CHARS, escaped};
use crate::outcome::Ending;
use crate::sink::Sink;
use crate::wait::{BlockingCall, Wait};
use std::cell::Cell;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// The stack of a `--mode threads` thread: SQLite's parser and the sync
/// PostgreSQL client (its own runtime, its authentication) need far more
/// than a sleep's 64 KiB.
pub(crate) const STACK_BYTES: usize = 1024 * 1024;

/// The PostgreSQL query: the server sleeps for the query's duration.
const PG_SLEEP: &str = "SELECT pg_sleep($1)";

/// The SQLite query: the `sleep(ms)` function registered on each
/// connection ([`open_sqlite`]) holds the connection's thread inside
/// SQLite for that long, as a slow query in an embedded database does.
const SQLITE_SLEEP: &str = "SELECT sleep(?1)";

/// The server cancels a query within this long once its client has gone
/// (PostgreSQL 14 and later), so that a run stopped by Ctrl-C leaves no
/// `pg_sleep` running on the server after the process has ended.
const CLIENT_CHECK: &str = "SET client_connection_check_interval = 100";

/// A query that really started on its connection: the connection's thread
/// picked it up, or the query was sent on a connection nobody else was
/// using. Made at that moment and dropped when the answer comes (or the
/// query fails), it counts the query in progress on the sink for as long
/// as it lives, and times it.
///
/// This is the one place where a query's real start is observed, and the
/// one to feed a model of task states (queued, in progress) with.
pub(crate) struct InProgress<'a> {
    sink: &'a Sink,
    id: u32,
    started: Instant,
}

impl<'a> InProgress<'a> {
    /// Task `id`'s query starts now.
    fn begin(sink: &'a Sink, id: u32) -> InProgress<'a> {
        sink.query_began(id);
        InProgress {
            sink,
            id,
            started: Instant::now(),
        }
    }

    /// Task `id`'s query, made by an async driver, starts now on connection
    /// `connection`: the task awaits its answer with its thread free, no
    /// longer queued.
    fn sent(sink: &'a Sink, id: u32, connection: u32) -> InProgress<'a> {
        sink.query_sent(id, connection);
        InProgress::begin(sink, id)
    }

    /// How long it has run.
    fn took(&self) -> Duration {
        self.started.elapsed()
    }
}

impl Drop for InProgress<'_> {
    fn drop(&mut self) {
        self.sink.query_ended(self.id);
    }
}

/// Idle connections, and the right to open new ones up to the pool's
/// size, for callers that block while they wait for one (the blocking
/// drivers, on any thread).
struct BlockingPool<C> {
    state: Mutex<PoolState<C>>,
    freed: Condvar,
}

/// What a [`BlockingPool`] holds.
struct PoolState<C> {
    idle: Vec<C>,
    /// How many more connections may be opened.
    may_open: u32,
}

/// What a caller got from a pool: an idle connection, or the right to open
/// one (given back with [`BlockingPool::failed_to_open`] if it fails).
enum Taken<C> {
    Idle(C),
    Open,
}

impl<C> BlockingPool<C> {
    fn new(size: u32) -> BlockingPool<C> {
        BlockingPool {
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                may_open: size,
            }),
            freed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState<C>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits (holding the thread) until a connection is free or may be opened.
    fn take(&self) -> Taken<C> {
        let mut state = self.lock();
        loop {
            if let Some(conn) = state.idle.pop() {
                return Taken::Idle(conn);
            }
            if state.may_open > 0 {
                state.may_open -= 1;
                return Taken::Open;
            }
            state = self
                .freed
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// A connection is free again.
    fn put(&self, conn: C) {
        self.lock().idle.push(conn);
        self.freed.notify_one();
    }

    /// A connection could not be opened, or broke: another may be.
    fn failed_to_open(&self) {
        self.lock().may_open += 1;
        self.freed.notify_one();
    }
}

/// The same for async callers: a task that waits for a connection awaits a
/// semaphore's permit and gives its thread back meanwhile.
struct AsyncPool<C> {
    permits: tokio::sync::Semaphore,
    idle: Mutex<Vec<C>>,
    /// How many connections it may open.
    size: u32,
    /// How many it opened: the next one's number is one more.
    opened: std::sync::atomic::AtomicU32,
}

impl<C> AsyncPool<C> {
    fn new(size: u32) -> AsyncPool<C> {
        AsyncPool {
            permits: tokio::sync::Semaphore::new(size as usize),
            idle: Mutex::new(Vec::new()),
            size,
            opened: std::sync::atomic::AtomicU32::new(0),
        }
    }

    /// Task `id` asks for a connection: it is queued (for the model) until
    /// one takes its query, and the narration hears how many were busy.
    fn queue(&self, sink: &Sink, id: u32) {
        let free = u32::try_from(self.permits.available_permits()).unwrap_or(u32::MAX);
        sink.query_queued(id, self.size.saturating_sub(free), self.size);
    }

    /// The number of a connection about to be opened, from 1.
    fn next_number(&self) -> u32 {
        self.opened
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .saturating_add(1)
    }

    fn pop(&self) -> Option<C> {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop()
    }

    fn put(&self, conn: C) {
        self.idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
    }
}

// ---------------------------------------------------------------- SQLite

/// Opens a SQLite connection: `path`'s file read-only (the demo writes
/// nothing into a user's database), or a database in memory; and registers
/// `sleep(ms)`.
fn open_sqlite(path: Option<&PathBuf>) -> Result<rusqlite::Connection, String> {
    use rusqlite::OpenFlags;
    let conn = match path {
        None => rusqlite::Connection::open_in_memory(),
        Some(path) => rusqlite::Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        ),
    }
    .map_err(|err| {
        format!(
            "opening the database: {}",
            escaped(&err.to_string(), QUOTE_CHARS)
        )
    })?;
    conn.create_scalar_function(
        "sleep",
        1,
        rusqlite::functions::FunctionFlags::SQLITE_UTF8,
        |ctx| {
            let ms: f64 = ctx.get(0)?;
            let secs = (ms / 1000.0).max(0.0);
            // A NaN or an overflow sleeps as long as it can: `-d` was
            // checked already, this only keeps SQLite's input from panicking.
            std::thread::sleep(Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX));
            Ok(ms)
        },
    )
    .map_err(|err| {
        format!(
            "registering sleep(): {}",
            escaped(&err.to_string(), QUOTE_CHARS)
        )
    })?;
    Ok(conn)
}

/// Runs the slow query on `conn`, which holds the calling thread until it
/// ends.
fn sqlite_sleep(conn: &rusqlite::Connection, delay: Duration) -> Result<(), String> {
    let ms = delay.as_secs_f64() * 1000.0;
    conn.prepare_cached(SQLITE_SLEEP)
        .and_then(|mut statement| statement.query_row([ms], |_| Ok(())))
        .map_err(|err| {
            format!(
                "the query failed: {}",
                escaped(&err.to_string(), QUOTE_CHARS)
            )
        })
}

/// What both SQLite drivers share.
pub(crate) struct Sqlite {
    /// The file, or `None` for a database in memory.
    pub(crate) path: Option<PathBuf>,
    /// Each query's duration.
    pub(crate) delay: Duration,
    /// Where queries are counted in progress.
    pub(crate) sink: Arc<Sink>,
    /// How many connections a driver may open.
    pub(crate) connections: u32,
}

/// A query for a connection's thread: who asks, and where the answer goes.
struct Job {
    /// The task that asks.
    id: u32,
    answer: tokio::sync::oneshot::Sender<Result<Duration, String>>,
}

/// One SQLite connection on a thread of its own: the sender of its jobs.
struct Worker(std::sync::mpsc::Sender<Job>);

/// The async SQLite driver: a pool of connections, each on a thread of its
/// own fed by a channel (sqlx-sqlite, tokio-rusqlite and aiosqlite work so).
pub(crate) struct AsyncSqlite {
    shared: Arc<Sqlite>,
    pool: AsyncPool<Worker>,
}

impl AsyncSqlite {
    pub(crate) fn new(shared: Arc<Sqlite>) -> AsyncSqlite {
        AsyncSqlite {
            pool: AsyncPool::new(shared.connections),
            shared,
        }
    }

    /// Starts a connection's thread, and waits (without holding the
    /// caller's thread) until it has opened its connection; or the task's
    /// ending if it could not. The OS refusing the thread is a limit of the
    /// machine, which stops the whole run, as it would every task.
    async fn start_worker(&self) -> Result<Worker, Ending> {
        let (jobs, inbox) = std::sync::mpsc::channel::<Job>();
        let number = self.pool.next_number();
        let (opened, is_open) = tokio::sync::oneshot::channel();
        let shared = Arc::clone(&self.shared);
        let builder = std::thread::Builder::new()
            .name("sqlite-connection".into())
            .stack_size(STACK_BYTES);
        let started = limits::spawn(builder, "a SQLite connection's thread", move || {
            let conn = match open_sqlite(shared.path.as_ref()) {
                Ok(conn) => {
                    let _ = opened.send(Ok(()));
                    conn
                }
                Err(why) => {
                    let _ = opened.send(Err(why));
                    return;
                }
            };
            // The thread lives as long as its connection's sender: the
            // pool's, dropped at the end of the run.
            for job in inbox {
                // The connection's thread picked the query up: from now
                // on it is in progress.
                let running = InProgress::sent(&shared.sink, job.id, number);
                let result = sqlite_sleep(&conn, shared.delay).map(|()| running.took());
                drop(running);
                let _ = job.answer.send(result);
            }
        });
        if let Err(err) = started {
            self.shared.sink.abort(err);
            return Err(Ending::Stopped);
        }
        match is_open.await {
            Ok(Ok(())) => Ok(Worker(jobs)),
            Ok(Err(why)) => Err(Ending::Failed(why)),
            Err(_) => Err(Ending::Failed(
                "the connection's thread ended before opening it".into(),
            )),
        }
    }
}

impl Wait for AsyncSqlite {
    async fn wait(&self, id: u32) -> Ending {
        // Queued until a connection is free: the thread runs the other
        // tasks meanwhile.
        self.pool.queue(&self.shared.sink, id);
        let Ok(_permit) = self.pool.permits.acquire().await else {
            return Ending::Stopped;
        };
        let worker = match self.pool.pop() {
            Some(worker) => worker,
            None => match self.start_worker().await {
                Ok(worker) => worker,
                Err(ending) => return ending,
            },
        };
        let (answer, answered) = tokio::sync::oneshot::channel();
        if worker.0.send(Job { id, answer }).is_err() {
            return Ending::Failed("the connection's thread has ended".into());
        }
        // Awaiting the answer gives the thread back: the query runs on
        // the connection's own thread.
        let ending = match answered.await {
            Ok(Ok(took)) => Ending::Answered(took),
            Ok(Err(why)) => Ending::Failed(why),
            Err(_) => Ending::Failed("the connection's thread has ended".into()),
        };
        self.pool.put(worker);
        ending
    }
}

/// The blocking SQLite driver: rusqlite called by the task itself, which
/// holds whatever thread it runs on until the query ends.
pub(crate) struct BlockingSqlite {
    shared: Arc<Sqlite>,
    pool: BlockingPool<rusqlite::Connection>,
}

impl BlockingSqlite {
    pub(crate) fn new(shared: Arc<Sqlite>) -> BlockingSqlite {
        BlockingSqlite {
            pool: BlockingPool::new(shared.connections),
            shared,
        }
    }
}

impl BlockingCall for BlockingSqlite {
    const STACK_BYTES: usize = STACK_BYTES;

    fn call(&self, id: u32) -> Ending {
        if self.shared.sink.is_stopped() {
            return Ending::Stopped;
        }
        let conn = match self.pool.take() {
            Taken::Idle(conn) => conn,
            Taken::Open => match open_sqlite(self.shared.path.as_ref()) {
                Ok(conn) => conn,
                Err(why) => {
                    self.pool.failed_to_open();
                    return Ending::Failed(why);
                }
            },
        };
        let running = InProgress::begin(&self.shared.sink, id);
        let result = sqlite_sleep(&conn, self.shared.delay).map(|()| running.took());
        drop(running);
        self.pool.put(conn);
        match result {
            Ok(took) => Ending::Answered(took),
            Err(why) => Ending::Failed(why),
        }
    }
}

// ------------------------------------------------------------ PostgreSQL

/// What both PostgreSQL drivers share.
pub(crate) struct Postgres {
    /// Where to connect.
    pub(crate) config: tokio_postgres::Config,
    /// Each query's duration, in seconds, as `pg_sleep` takes it.
    pub(crate) secs: f64,
    /// Where queries are counted in progress.
    pub(crate) sink: Arc<Sink>,
    /// How many connections a driver may open.
    pub(crate) connections: u32,
    /// Set by the first task whose sync client tokio refused: why, in
    /// tokio's words. The run then explains it once ([`Postgres::refusal`]).
    refused: OnceLock<String>,
}

impl Postgres {
    pub(crate) fn new(
        config: tokio_postgres::Config,
        delay: Duration,
        sink: Arc<Sink>,
        connections: u32,
    ) -> Postgres {
        Postgres {
            config,
            secs: delay.as_secs_f64(),
            sink,
            connections,
            refused: OnceLock::new(),
        }
    }

    /// tokio's words, if it refused the sync client in this run.
    pub(crate) fn refusal(&self) -> Option<&str> {
        self.refused.get().map(String::as_str)
    }
}

/// Why a PostgreSQL call failed, in a line: the server's own message
/// (`ERROR: canceling statement due to statement timeout`) or the client's
/// (`error connecting to server: Connection refused (os error 111)`),
/// escaped, since a server's words may hold anything.
pub(crate) fn pg_error(err: &tokio_postgres::Error) -> String {
    let text = match err.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => {
            let mut text = err.to_string();
            let mut cause = std::error::Error::source(err);
            while let Some(inner) = cause {
                let inner_text = inner.to_string();
                if !text.contains(&inner_text) {
                    text.push_str(": ");
                    text.push_str(&inner_text);
                }
                cause = inner.source();
            }
            text
        }
    };
    escaped(&text, QUOTE_CHARS)
}

/// An async connection with its prepared query.
struct AsyncConn {
    client: tokio_postgres::Client,
    statement: tokio_postgres::Statement,
    /// Its number, from 1, in the order the pool opened them.
    number: u32,
}

/// The async PostgreSQL driver: tokio-postgres, a pool of connections.
pub(crate) struct AsyncPostgres {
    shared: Arc<Postgres>,
    pool: AsyncPool<AsyncConn>,
}

impl AsyncPostgres {
    pub(crate) fn new(shared: Arc<Postgres>) -> AsyncPostgres {
        AsyncPostgres {
            pool: AsyncPool::new(shared.connections),
            shared,
        }
    }

    /// Opens a connection: its socket is driven by a task of its own on
    /// the run's runtime, as tokio-postgres asks.
    async fn connect(&self) -> Result<AsyncConn, String> {
        let (client, connection) = self
            .shared
            .config
            .connect(tokio_postgres::NoTls)
            .await
            .map_err(|err| format!("connecting: {}", pg_error(&err)))?;
        tokio::spawn(connection);
        // PostgreSQL before 14 has no such setting: then a stopped run's
        // queries end with their sleep instead.
        let _ = client.batch_execute(CLIENT_CHECK).await;
        let statement = client
            .prepare(PG_SLEEP)
            .await
            .map_err(|err| format!("preparing the query: {}", pg_error(&err)))?;
        Ok(AsyncConn {
            client,
            statement,
            number: self.pool.next_number(),
        })
    }
}

impl Wait for AsyncPostgres {
    async fn wait(&self, id: u32) -> Ending {
        // Queued until a connection is free. Holding the connection for
        // the whole query, rather than pipelining several tasks'
        // queries on it, changes nothing on the server (it runs a
        // connection's queries one at a time) and lets the start of
        // each be observed: it is sent once the previous answer came.
        self.pool.queue(&self.shared.sink, id);
        let Ok(_permit) = self.pool.permits.acquire().await else {
            return Ending::Stopped;
        };
        let conn = match self.pool.pop() {
            Some(conn) => conn,
            None => match self.connect().await {
                Ok(conn) => conn,
                Err(why) => return Ending::Failed(why),
            },
        };
        let running = InProgress::sent(&self.shared.sink, id, conn.number);
        let result = conn
            .client
            .execute(&conn.statement, &[&self.shared.secs])
            .await;
        let took = running.took();
        drop(running);
        // A connection the server closed is not given back: the next
        // task opens another.
        if !conn.client.is_closed() {
            self.pool.put(conn);
        }
        match result {
            Ok(_) => Ending::Answered(took),
            Err(err) => Ending::Failed(pg_error(&err)),
        }
    }
}

/// A sync connection with its prepared query.
struct SyncConn {
    client: postgres::Client,
    statement: postgres::Statement,
}

/// The blocking PostgreSQL driver: the sync `postgres` client, called by
/// the task itself.
///
/// Inside a tokio task (`--blocking`), its first call panics: the client
/// is tokio-postgres under a runtime of its own, and tokio will not block
/// a thread that drives another runtime's tasks. The panic is caught, the
/// task fails with tokio's words, and the run explains it once at its end.
/// Python's sync drivers have no such check and block the event loop
/// silently: the contrast is the lesson. On a thread of its own
/// (`--mode threads`), on the blocking pool (`spawn-blocking`) or inside
/// `block_in_place`, the same client works.
pub(crate) struct BlockingPostgres {
    shared: Arc<Postgres>,
    pool: BlockingPool<SyncConn>,
    /// Clients that must not be dropped where they are: dropping one drops
    /// its runtime, which tokio forbids inside another runtime's thread.
    /// They are dropped with the driver, after the run.
    kept: Mutex<Vec<SyncConn>>,
}

impl BlockingPostgres {
    pub(crate) fn new(shared: Arc<Postgres>) -> BlockingPostgres {
        BlockingPostgres {
            pool: BlockingPool::new(shared.connections),
            kept: Mutex::new(Vec::new()),
            shared,
        }
    }

    /// Opens a sync connection: the sync client starts its own runtime
    /// and blocks on it here.
    fn connect(&self) -> Result<SyncConn, String> {
        let config = postgres::Config::from(self.shared.config.clone());
        let mut client = config
            .connect(postgres::NoTls)
            .map_err(|err| format!("connecting: {}", pg_error(&err)))?;
        let _ = client.batch_execute(CLIENT_CHECK);
        let statement = client
            .prepare(PG_SLEEP)
            .map_err(|err| format!("preparing the query: {}", pg_error(&err)))?;
        Ok(SyncConn { client, statement })
    }

    /// The task's failure once tokio has refused the sync client.
    fn refused(why: &str) -> Ending {
        Ending::Failed(format!("tokio refused the sync postgres client: {why}"))
    }
}

impl BlockingCall for BlockingPostgres {
    const STACK_BYTES: usize = STACK_BYTES;

    fn call(&self, id: u32) -> Ending {
        if self.shared.sink.is_stopped() {
            return Ending::Stopped;
        }
        // Every later task would be refused the same way.
        if let Some(why) = self.shared.refusal() {
            return Self::refused(why);
        }
        let mut conn = match self.pool.take() {
            Taken::Idle(conn) => conn,
            Taken::Open => match quietly(|| self.connect()) {
                Ok(Ok(conn)) => conn,
                Ok(Err(why)) => {
                    self.pool.failed_to_open();
                    return Ending::Failed(why);
                }
                Err(panic) => {
                    self.pool.failed_to_open();
                    let why = self.shared.refused.get_or_init(|| panic);
                    return Self::refused(why);
                }
            },
        };
        let running = InProgress::begin(&self.shared.sink, id);
        let result = quietly(|| conn.client.execute(&conn.statement, &[&self.shared.secs]));
        let took = running.took();
        drop(running);
        match result {
            Ok(Ok(_)) => {
                self.pool.put(conn);
                Ending::Answered(took)
            }
            Ok(Err(err)) => {
                if conn.client.is_closed() {
                    self.keep(conn);
                    self.pool.failed_to_open();
                } else {
                    self.pool.put(conn);
                }
                Ending::Failed(pg_error(&err))
            }
            Err(panic) => {
                self.keep(conn);
                self.pool.failed_to_open();
                let why = self.shared.refused.get_or_init(|| panic);
                Self::refused(why)
            }
        }
    }
}

impl Drop for BlockingPostgres {
    /// Closes the sync clients on a thread of their own: closing one blocks
    /// on its runtime, and this driver may be dropped on a runtime's thread
    /// (at the end of the run's `block_on`), where tokio forbids that.
    fn drop(&mut self) {
        let mut conns = std::mem::take(&mut self.pool.lock().idle);
        conns.append(&mut self.kept.lock().unwrap_or_else(PoisonError::into_inner));
        if conns.is_empty() {
            return;
        }
        // Sent once the thread runs, so that a thread refused by the OS
        // does not drop them here with its closure.
        let (give, take) = std::sync::mpsc::channel::<Vec<SyncConn>>();
        let builder = std::thread::Builder::new().name("postgres-close".into());
        let closing = limits::spawn(
            builder,
            "the thread that closes the connections",
            move || drop(take.recv()),
        );
        match closing {
            Ok(thread) => {
                let _ = give.send(conns);
                let _ = thread.join();
            }
            // Leaked rather than dropped here: the server ends their
            // sessions when the process ends.
            Err(_) => std::mem::forget(conns),
        }
    }
}

impl BlockingPostgres {
    /// Keeps a connection that is not given back, to drop it after the run.
    fn keep(&self, conn: SyncConn) {
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(conn);
    }
}

thread_local! {
    /// Whether this thread is inside [`quietly`], whose panics are caught
    /// and reported by the caller.
    static EXPECTED_PANIC: Cell<bool> = const { Cell::new(false) };
}

/// Runs `call`, catching a panic and returning its message instead; the
/// panic hook says nothing of it (the caller words it). Other threads'
/// panics are reported as before.
fn quietly<R>(call: impl FnOnce() -> R) -> Result<R, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !EXPECTED_PANIC.with(Cell::get) {
                previous(info);
            }
        }));
    });
    EXPECTED_PANIC.with(|expected| expected.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(call));
    EXPECTED_PANIC.with(|expected| expected.set(false));
    result.map_err(|payload| {
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into());
        // tokio's message goes on to explain itself over several
        // sentences; its first says what happened.
        let first = text
            .split(". ")
            .next()
            .unwrap_or(&text)
            .trim_end_matches('.');
        escaped(first, QUOTE_CHARS)
    })
}
