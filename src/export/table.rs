//! The `compare` table, in the `--format` the user chose.

use super::{Compared, Exporter};
use crate::config::Term;
use crate::report::compare::{self, Row};
use std::io::{self, Write};

/// Aligned columns for a terminal.
pub(crate) struct Text(pub(crate) Term);

impl Exporter<Compared> for Text {
    fn write(&self, mut out: &mut dyn Write, rows: &[Row]) -> io::Result<()> {
        compare::write_text(&mut out, rows, self.0)
    }
}

/// A GitHub table.
pub(crate) struct Markdown;

impl Exporter<Compared> for Markdown {
    fn write(&self, mut out: &mut dyn Write, rows: &[Row]) -> io::Result<()> {
        compare::write_markdown(&mut out, rows)
    }
}

/// The run summaries, in the `--format json` schema.
pub(crate) struct Json;

impl Exporter<Compared> for Json {
    fn write(&self, mut out: &mut dyn Write, rows: &[Row]) -> io::Result<()> {
        compare::write_json(&mut out, rows)
    }
}
