//! A build with the cargo feature `live`: the view drawn with ratatui
//! (`screen` owns the terminal, `draw` the frame).

pub(crate) use super::screen::View;

/// This build draws the live view.
pub(super) const ENABLED: bool = true;

/// `replay --step`: the view of a recorded run, a step per key
/// (`step.rs`), until the user quits.
pub(crate) fn step(plan: &super::Plan, source: &dyn super::Stepped) -> std::io::Result<()> {
    super::step::step(plan, source)
}
