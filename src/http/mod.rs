//! HTTP, or its absence: the one place that looks at the cargo feature
//! `http`.
//!
//! As BurntSushi's jiff picks a whole module per feature, this module is
//! `enabled.rs` in a build with HTTP (hyper's server, the reqwest and ureq
//! clients) and `disabled.rs` without it. Both have the same API, so the
//! code that runs `fetch` and `serve` reads the same in either build, and
//! in a build without HTTP they say so.

#[cfg(feature = "http")]
#[path = "enabled.rs"]
mod imp;

#[cfg(not(feature = "http"))]
#[path = "disabled.rs"]
mod imp;

// The server (`fetch`'s built-in one and `serve`) and the two clients exist
// only in a build with HTTP; `enabled.rs` is their only caller.
#[cfg(feature = "http")]
mod client;
#[cfg(feature = "http")]
mod server;

pub(crate) use imp::{CLIENT_STACK_BYTES, Server, fetch, serve};

use crate::wait::{BlockingCall, Wait};
use std::time::Duration;

/// What runs a fetch's tasks once their waits exist: the runner's `drive`,
/// handed to [`fetch`], so that this module owns the HTTP side of the run
/// and the runner the rest.
#[cfg_attr(
    not(feature = "http"),
    allow(
        dead_code,
        reason = "without HTTP no fetch runs, so nothing drives one"
    )
)]
pub(crate) trait Driver {
    /// Runs the tasks: `nonblocking` is their wait in async mode, and
    /// `blocking` the call every other mode makes. Returns the elapsed time.
    fn drive<A, B>(self, nonblocking: A, blocking: B) -> anyhow::Result<Duration>
    where
        A: Wait + Send + 'static,
        B: BlockingCall;
}

/// Checks that `what` (`fetch`, `compare fetch`, `serve`) can run in this
/// build.
pub(crate) fn require(what: &str) -> anyhow::Result<()> {
    if imp::ENABLED {
        Ok(())
    } else {
        Err(missing(what))
    }
}

/// The error for `what` in a build without HTTP.
fn missing(what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{what} needs HTTP, and this asyncdemo was built without it \
         (cargo --no-default-features); rebuild with the default features, \
         or with --features http"
    )
}
