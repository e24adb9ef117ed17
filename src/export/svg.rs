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
        let overhead = compare::overhead(rows);
        let panels: Vec<svg::Panel> = rows
            .iter()
            .map(|row| svg::Panel {
                run: svg::Run {
                    summary: &row.summary,
                    events: &row.events,
                    parks: &row.parks,
                },
                verdict: compare::verdict(&row.summary, &row.why, overhead),
            })
            .collect();
        svg::write_compare(&mut out, &panels)
    }
}
