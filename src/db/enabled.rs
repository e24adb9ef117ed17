//! A build with the database drivers: SQLite (rusqlite, bundled) and
//! PostgreSQL (tokio-postgres, and the sync `postgres` client).
//!
//! The drivers themselves, the waits of `query`, are in `query.rs`: they
//! exist only in this build.

mod query;

use crate::config::{QueryOptions, usage_error};
use crate::dburl::Database;
use crate::limits::MachineLimit;
use crate::sink::Sink;
use crate::wait::Runner;
use query::{AsyncPostgres, AsyncSqlite, BlockingPostgres, BlockingSqlite, Postgres, Sqlite};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

/// This build has the database drivers.
pub(super) const ENABLED: bool = true;

pub(crate) use query::STACK_BYTES;

/// How long a connection attempt may take when `--db` does not say
/// (`connect_timeout=`): a server that never answers fails the task in
/// bounded time.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Runs a query demo of `delay` with `options`: makes the two drivers for
/// the database, and lets `runner` run the tasks with them. Returns the
/// elapsed time.
pub(crate) fn query(
    delay: Duration,
    sink: &Arc<Sink>,
    options: &QueryOptions,
    runner: impl Runner,
) -> anyhow::Result<Duration> {
    let path = match &options.db {
        Database::Memory => None,
        Database::File(path) => Some(path.clone()),
        Database::Postgres(text) => return postgres(text, delay, sink, options, runner),
    };
    let shared = Arc::new(Sqlite {
        path,
        delay,
        sink: Arc::clone(sink),
        connections: options.connections,
    });
    runner.run(
        AsyncSqlite::new(Arc::clone(&shared)),
        BlockingSqlite::new(shared),
    )
}

/// The same on PostgreSQL.
fn postgres(
    text: &str,
    delay: Duration,
    sink: &Arc<Sink>,
    options: &QueryOptions,
    runner: impl Runner,
) -> anyhow::Result<Duration> {
    let config = pg_config(text)?;
    check_room(&config, options.connections)?;
    let shared = Arc::new(Postgres::new(
        config,
        delay,
        Arc::clone(sink),
        options.connections,
    ));
    let elapsed = runner.run(
        AsyncPostgres::new(Arc::clone(&shared)),
        BlockingPostgres::new(Arc::clone(&shared)),
    )?;
    // Once, after the task lines (each failed task said only tokio's
    // words), and once per process: `compare query` has three ways that
    // are refused alike. A failed write to stderr changes nothing.
    static EXPLAINED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let first = |_: &str| !EXPLAINED.swap(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(why) = shared.refusal().filter(|why| first(why)) {
        let line = format!("error: {}", refusal_lesson(why));
        let _ = writeln!(std::io::stderr(), "{}", crate::style::label(&line));
    }
    Ok(elapsed)
}

/// What the run says when tokio refused the sync client: what happened,
/// why Python would not have said anything, and the two fixes.
fn refusal_lesson(why: &str) -> String {
    format!(
        "the sync postgres client panicked inside a tokio task (\"{why}\"): it drives a tokio \
         runtime of its own and blocks on it for each call, and tokio refuses to block a \
         thread that is running async tasks. Python's sync drivers (psycopg, pymongo) have no \
         such check: inside a coroutine they block the event loop silently, as --blocking does \
         on SQLite. Fix: move the call off the runtime's thread (-m spawn-blocking), or use the \
         async driver (-m async, tokio-postgres)"
    )
}

/// `--db`'s PostgreSQL target, parsed by tokio-postgres, with libpq's
/// defaults where it says nothing: the user from `PGUSER` or `USER`, the
/// server's socket in /var/run/postgresql. A malformed target is a usage
/// error (exit 2), as clap's own are.
fn pg_config(text: &str) -> Result<tokio_postgres::Config, clap::Error> {
    let shown = Database::Postgres(text.to_owned()).to_string();
    let mut config: tokio_postgres::Config =
        text.parse().map_err(|err: tokio_postgres::Error| {
            usage_error(
                "query",
                format!(
                    "invalid value '{}' for '--db <URL>': {}",
                    crate::net::escaped(&shown, crate::dburl::SHOWN_CHARS),
                    crate::net::escaped(&err.to_string(), crate::net::QUOTE_CHARS)
                ),
            )
        })?;
    if config.get_user().is_none() {
        let user = ["PGUSER", "USER", "LOGNAME"]
            .iter()
            .find_map(|name| std::env::var(name).ok().filter(|v| !v.is_empty()));
        if let Some(user) = user {
            config.user(user);
        }
    }
    if config.get_hosts().is_empty() {
        config.host("/var/run/postgresql");
    }
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(CONNECT_TIMEOUT);
    }
    if config.get_application_name().is_none() {
        config.application_name("asyncdemo");
    }
    Ok(config)
}

/// Refuses a run that asks for more connections than the server has free:
/// `max_connections`, less the slots reserved for superusers and those in
/// use. Without this, the connections past the limit would each fail a
/// task with "sorry, too many clients already", which is the server's
/// limit and not the tasks' fault. A server that cannot be reached is not
/// refused here: the tasks then fail, each with the reason.
fn check_room(config: &tokio_postgres::Config, wanted: u32) -> anyhow::Result<()> {
    let Ok(mut client) = postgres::Config::from(config.clone()).connect(postgres::NoTls) else {
        return Ok(());
    };
    let row = client.query_one(
        "SELECT current_setting('max_connections')::int, \
                current_setting('superuser_reserved_connections')::int \
                  + coalesce(current_setting('reserved_connections', true)::int, 0), \
                (SELECT count(*)::int FROM pg_stat_activity \
                  WHERE backend_type = 'client backend')",
        &[],
    );
    let row = match row {
        Ok(row) => row,
        // Not knowing the limit is no reason to refuse the run.
        Err(_) => return Ok(()),
    };
    let (max, reserved, in_use): (i32, i32, i32) = (row.get(0), row.get(1), row.get(2));
    // This check's own connection closes before the run.
    let free = i64::from(max) - i64::from(reserved) - (i64::from(in_use) - 1);
    if i64::from(wanted) > free {
        let fewer = free.max(1);
        return Err(anyhow::Error::new(MachineLimit(format!(
            "--connections {wanted} is more than this PostgreSQL server has free: \
             max_connections is {max}, {reserved} of them reserved and {} in use by others; \
             use --connections {fewer} or fewer, or raise max_connections in postgresql.conf",
            (in_use - 1).max(0)
        ))));
    }
    Ok(())
}
