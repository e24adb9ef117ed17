//! The run's own output after its task lines: the `--timeline` picture and
//! the summary, in the `--format` the user chose.

use super::{Exporter, Finished, Single};
use crate::config::Term;
use crate::report::{json, text, timeline};
use std::io::{self, Write};

/// `--timeline`: the picture in the terminal, above the summary line.
pub(crate) struct Timeline(pub(crate) Term);

impl Exporter<Single> for Timeline {
    fn write(&self, mut out: &mut dyn Write, run: &Finished) -> io::Result<()> {
        timeline::write(&mut out, run.summary, (run.events, run.parks), self.0)
    }
}

/// The text summary line, as the notes end; bold when `color` is on.
pub(crate) struct Text {
    /// Whether the line is bold (a terminal).
    pub(crate) color: bool,
}

impl Exporter<Single> for Text {
    fn write(&self, mut out: &mut dyn Write, run: &Finished) -> io::Result<()> {
        text::write_summary(&mut out, run.summary, run.signal, self.color)
    }
}

/// `--format json`: the summary, pretty-printed, as the only thing there.
pub(crate) struct Json;

impl Exporter<Single> for Json {
    fn write(&self, mut out: &mut dyn Write, run: &Finished) -> io::Result<()> {
        json::write_summary(&mut out, run.summary, (run.events, run.parks))
    }
}

/// `--format ndjson`: the summary as the last line, after the events.
pub(crate) struct Ndjson;

impl Exporter<Single> for Ndjson {
    fn write(&self, mut out: &mut dyn Write, run: &Finished) -> io::Result<()> {
        json::write_summary_line(&mut out, run.summary, (run.events, run.parks))
    }
}
