//! The picture as a PNG (`--png`), or its absence: the one place that
//! looks at the cargo feature `png`.
//!
//! As for `http`, this module is `enabled.rs` in a build with the feature
//! (resvg and an embedded font, the heaviest crates of the build) and
//! `disabled.rs` without it, with the same API, so that the `--png` output
//! and the argument checks read the same in either build. A leaf: it uses
//! nothing else of the crate, so `config` can ask it whether `--png` is
//! possible.

#[cfg(feature = "png")]
#[path = "enabled.rs"]
mod imp;

#[cfg(not(feature = "png"))]
#[path = "disabled.rs"]
mod imp;

pub(crate) use imp::{ENABLED, render};
