//! The black-box tests: each drives the built `asyncdemo` binary as a user
//! or a CI script would. One test binary with a module per area, so that
//! `cargo test` links once instead of once per file.

mod basics;
mod common;
mod docs;
mod json;
mod limits;
#[cfg(feature = "live")]
mod live;
mod modes;
#[cfg(feature = "http")]
mod net;
mod newcomer;
#[cfg(not(feature = "http"))]
mod no_http;
#[cfg(not(feature = "live"))]
mod no_live;
mod pictures;
mod polish;
mod scale;
mod slowpoll;
