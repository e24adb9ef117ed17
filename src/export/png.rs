//! `--png`: the `--svg` picture, rasterised for slide tools that take no
//! SVG. Made from the SVG text, so the two pictures never differ.

use super::{Exporter, Kind};
use crate::export::svg::Svg;
use crate::png;
use std::io::{self, Write};

/// The PNG picture.
pub(crate) struct Png;

impl<K: Kind> Exporter<K> for Png
where
    Svg: Exporter<K>,
{
    fn write(&self, out: &mut dyn Write, run: &K::Run<'_>) -> io::Result<()> {
        let text = Svg.render::<K>(run)?;
        let bytes = png::render(&text).map_err(|err| io::Error::other(format!("{err:#}")))?;
        out.write_all(&bytes)
    }
}
