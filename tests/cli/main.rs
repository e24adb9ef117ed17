//! The black-box tests: each drives the built `asyncdemo` binary as a user
//! or a CI script would. One test binary with a module per area, so that
//! `cargo test` links once instead of once per file.

mod basics;
mod colour;
mod common;
mod docs;
mod export;
mod json;
mod limits;
mod live_lines;
mod lock;
mod manpage;
mod modes;
#[cfg(feature = "http")]
mod net;
mod newcomer;
#[cfg(not(feature = "http"))]
mod no_http;
mod numbers;
mod pictures;
mod polish;
mod scale;
mod slowpoll;
mod spin;
mod usage;
