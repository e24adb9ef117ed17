//! Databases, or their absence: the one place that looks at the cargo
//! feature `db`.
//!
//! As `http` does, this module is `enabled.rs` in a build with the database
//! drivers (rusqlite with its bundled SQLite, tokio-postgres and the sync
//! `postgres` client) and `disabled.rs` without them. Both have the same
//! API, so the runner reads the same in either build, and a build without
//! them says so when `query` is asked for.

#[cfg(feature = "db")]
#[path = "enabled.rs"]
mod imp;

#[cfg(not(feature = "db"))]
#[path = "disabled.rs"]
mod imp;

pub(crate) use imp::{STACK_BYTES, query};

/// Checks that `what` (`query`, `compare query`) can run in this build.
pub(crate) fn require(what: &str) -> anyhow::Result<()> {
    if imp::ENABLED {
        Ok(())
    } else {
        Err(missing(what))
    }
}

/// The error for `what` in a build without the database drivers.
fn missing(what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{what} needs the database drivers, and this asyncdemo was built without them \
         (cargo --no-default-features); rebuild with the default features, or with \
         --features db"
    )
}
