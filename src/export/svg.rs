//! `--svg`: the picture of a run, or of every way `compare` ran.
//!
//! [`Svg::render`] gives the picture as text, for an output that starts
//! from it rather than writing it as it is.

use super::{Compared, Exporter, Finished, Kind, Single};
use crate::report::compare::{self, Row};
use crate::report::svg;
use std::io::{self, Write};

/// The SVG picture.
pub(crate) struct Svg;

impl Svg {
    /// The picture of `run` as SVG text.
    pub(crate) fn render<K: Kind>(&self, run: &K::Run<'_>) -> io::Result<String>
    where
        Svg: Exporter<K>,
    {
        let mut bytes = Vec::new();
        self.write(&mut bytes, run)?;
        String::from_utf8(bytes).map_err(|err| io::Error::new(io::ErrorKind::InvalidData, err))
    }
}

impl Exporter<Single> for Svg {
    fn write(&self, mut out: &mut dyn Write, run: &Finished) -> io::Result<()> {
        let run = svg::Run {
            summary: run.summary,
            events: run.events,
            parks: run.parks,
        };
        svg::write(&mut out, &run)
    }
}

/// One panel per way, the interrupted one included, each with its verdict.
impl Exporter<Compared> for Svg {
    fn write(&self, mut out: &mut dyn Write, rows: &[Row]) -> io::Result<()> {
        svg::write_compare(&mut out, &panels(rows))
    }
}

/// The panels of the compare picture: a way each, with its verdict.
fn panels(rows: &[Row]) -> Vec<svg::Panel<'_>> {
    let overhead = compare::overhead(rows);
    rows.iter()
        .map(|row| svg::Panel {
            run: svg::Run {
                summary: &row.summary,
                events: &row.events,
                parks: &row.parks,
            },
            verdict: compare::verdict(&row.summary, &row.why, overhead),
        })
        .collect()
}

/// What to say when the compare picture of `rows` is more than one 16:9
/// slide holds: how to pick fewer ways.
pub(crate) fn slide_note(rows: &[Row]) -> Option<String> {
    let height = svg::taller_than_a_slide(&panels(rows))?;
    Some(format!(
        "note: {} panels do not fit one 16:9 slide, so the picture is {height:.0} units tall \
         for 1920 wide; to show fewer, pick them with --ways (e.g. --ways async,blocking,threads)",
        rows.len()
    ))
}
