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

/// A build without the feature cannot step through a replay on the
/// terminal; `replay --step` is refused before it gets here.
pub(crate) fn step(_plan: &Plan, _source: &dyn super::Stepped) -> std::io::Result<()> {
    Err(std::io::Error::other(
        "this build has no live view (cargo feature `live`)",
    ))
}

// What only the view reads, named here so that a build without it does not
// call it dead code (a `const _` is never run; it only counts as a use).
const _: () = {
    let _ = crate::state::Counts::of;
};

// The same for the model's test helpers, which only the view's tests call.
#[cfg(test)]
const _: () = {
    let _ = crate::state::LaneChange::test;
    let _ = crate::state::Counts::test;
};
