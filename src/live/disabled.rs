//! A build without the cargo feature `live` (ratatui): the same API as
//! `enabled.rs`, and no view.

use super::{LiveState, Plan};

/// This build draws no live view.
pub(super) const ENABLED: bool = false;

/// A build without the feature has no view to start; `--live` is refused
/// before a run gets here ([`super::require`]), so this only keeps the
/// callers the same in both builds.
pub(crate) struct View;

impl View {
    pub(crate) fn start(
        _plan: Plan,
        _state: std::sync::Arc<LiveState>,
        _out: Box<dyn std::io::Write + Send>,
    ) -> std::io::Result<(View, Box<dyn std::io::Write + Send>)> {
        Err(std::io::Error::other(
            "this build has no live view (cargo feature `live`)",
        ))
    }

    pub(crate) fn aside(&self) -> Box<dyn std::io::Write + Send> {
        Box::new(std::io::stderr())
    }

    pub(crate) fn finish(&self) {}
}
