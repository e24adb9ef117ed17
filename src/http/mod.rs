//! HTTP, or its absence: the one place that looks at the cargo feature
//! `http`.
//!
//! As BurntSushi's jiff picks a whole module per feature, this module is
//! `enabled.rs` in a build with HTTP (hyper's server, the reqwest and ureq
//! clients) and `disabled.rs` without it. Both have the same API, so the
//! code that runs `fetch` and `serve` reads the same in either build, and
//! in a build without HTTP they say so. The server (`fetch`'s built-in one
//! and `serve`) and the two clients exist only in a build with HTTP:
//! `enabled.rs` declares them.

#[cfg(feature = "http")]
#[path = "enabled.rs"]
mod imp;

#[cfg(not(feature = "http"))]
#[path = "disabled.rs"]
mod imp;

pub(crate) use imp::{CLIENT_STACK_BYTES, Server, fetch, serve};

/// Checks that `what` (`fetch`, `compare fetch`, `serve`) can run in this
/// build.
pub(crate) fn require(what: &str) -> anyhow::Result<()> {
    imp::ENABLED.then_some(()).ok_or_else(|| missing(what))
}

/// The error for `what` in a build without HTTP.
fn missing(what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "{what} needs HTTP, and this asyncdemo was built without it \
         (cargo --no-default-features); rebuild with the default features, \
         or with --features http"
    )
}
