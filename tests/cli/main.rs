//! The black-box tests: each drives the built `asyncdemo` binary as a user
//! or a CI script would. One test binary with a module per area, so that
//! `cargo test` links once instead of once per file.

mod basics;
mod colour;
mod common;
mod compare;
mod compare_record;
mod completions;
mod docs;
mod durations;
mod examples;
mod explain;
mod export;
mod fit;
mod help;
mod json;
mod lanes;
mod limits;
#[cfg(feature = "live")]
mod live;
mod live_lines;
#[cfg(feature = "live")]
mod live_start;
#[cfg(feature = "live")]
mod live_threads;
mod lock;
mod manpage;
mod modes;
#[cfg(feature = "http")]
mod net;
mod new_surface;
// Compiled only into a build without `http` (`cargo test
// --no-default-features`, which CI runs too): there fetch and serve refuse.
#[cfg(not(feature = "db"))]
mod no_db;
#[cfg(not(feature = "http"))]
mod no_http;
#[cfg(not(feature = "live"))]
mod no_live;
mod numbers;
// The pane's drawing-view helpers (a 100x30 pane, styles, the cursor) serve
// only the `live` tests: looked at here, with the other modules' features.
#[cfg_attr(not(feature = "live"), allow(dead_code))]
mod pane;
#[cfg(feature = "http")]
mod peers;
mod pictures;
#[cfg(feature = "db")]
mod postgres;
mod python;
#[cfg(feature = "db")]
mod query;
mod replay;
#[cfg(feature = "live")]
mod replay_step;
mod scale;
mod slowpoll;
mod snapshots;
mod spin;
mod states;
mod threads;
mod usage;
mod verdicts;
