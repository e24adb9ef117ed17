//! How the output looks where it lands: the terminal (colour, width),
//! decided once from the environment, and how the task lines are shown
//! while a run goes. Both are settled here, with the rest of the
//! configuration, so the renderers stay pure functions of their input.

use crate::cli::ColorChoice;
use std::io::IsTerminal;

/// Looks at stdout and the environment to decide colour and width, once.
pub(crate) fn detect_term(choice: ColorChoice) -> Term {
    let stdout = std::io::stdout();
    let tty = stdout.is_terminal();
    // The conventions every CLI shares (NO_COLOR, CLICOLOR, CLICOLOR_FORCE,
    // TERM), decided in one place for this output and clap's alike.
    let color = crate::style::use_color_here(choice, tty);
    let size = terminal_size::terminal_size_of(&stdout)
        .map(|(w, _)| usize::from(w.0))
        .filter(|_| tty);
    // Piped, the shell's COLUMNS is the only hint of the width the reader
    // will see (`asyncdemo compare count | less`); without it, a table
    // keeps its lines whole so that `grep` finds complete rows.
    let columns = size.or_else(crate::wrap::columns_from_env);
    Term {
        color,
        width: size.unwrap_or(80),
        columns,
    }
}

/// How task lines are shown while the run is in progress.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LineStyle {
    /// The demo's own words, exactly as the Python notes print them.
    Plain,
    /// The words prefixed with the time since start and the task number.
    Verbose,
    /// One JSON object per line.
    Ndjson,
    /// Nothing (`--quiet`, `--format json`, `compare`).
    Silent,
}

impl LineStyle {
    /// Whether showing a line needs the time it happened.
    pub(crate) const fn needs_time(self) -> bool {
        matches!(self, LineStyle::Verbose | LineStyle::Ndjson)
    }
}

/// What the output looks like where it lands: decided once, from the
/// environment, so the renderers stay pure functions of their input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Term {
    /// Whether to write colour escape codes.
    pub(crate) color: bool,
    /// The width to fit pictures into: the terminal's, or 80 columns.
    pub(crate) width: usize,
    /// The width that text must fit when it is known: the terminal's, or
    /// `COLUMNS` when output is piped. `None` lets a line be as long as it
    /// needs, so that a pipe gets whole rows.
    pub(crate) columns: Option<usize>,
}

impl Term {
    /// No colour, 80 columns for pictures, no wrapping: what a pipe gets,
    /// and what tests use.
    pub(crate) const PLAIN: Term = Term {
        color: false,
        width: 80,
        columns: None,
    };
}
