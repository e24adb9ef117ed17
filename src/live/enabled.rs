//! A build with the cargo feature `live`: the view drawn with ratatui
//! (`screen` owns the terminal, `draw` the frame).

pub(crate) use super::screen::View;

/// This build draws the live view.
pub(super) const ENABLED: bool = true;
