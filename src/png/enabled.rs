//! The picture as a PNG, for slides (Google Slides takes no SVG): the same
//! SVG the `--svg` file holds, rendered by resvg, pure Rust.
//!
//! The text is set in DejaVu Sans, embedded in the binary (see
//! `assets/fonts/`), and no system font is loaded: the PNG is the same on
//! every machine, including one with no fonts installed, where it would
//! otherwise have no text at all.

use anyhow::Context as _;
use resvg::{tiny_skia, usvg};
use std::sync::Arc;

/// This build renders PNGs.
pub(crate) const ENABLED: bool = true;

/// The fonts the pictures use, compiled in.
const REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// The PNG's width in pixels: a slide shown full screen on a 1920 px
/// projector (or a 4K screen) wants more pixels than that to stay crisp.
/// A run's picture is 1200 units wide (two pixels a unit), compare's slide
/// 1920 (1.25).
const WIDTH_PX: f32 = 2400.0;

/// Renders an SVG document as PNG bytes, [`WIDTH_PX`] pixels wide.
// Its caller is the `--png FILE` output, which writes the `--svg` picture
// into memory and hands it here.
pub(crate) fn render(svg: &str) -> anyhow::Result<Vec<u8>> {
    let mut fonts = usvg::fontdb::Database::new();
    fonts.load_font_data(REGULAR.to_vec());
    fonts.load_font_data(BOLD.to_vec());
    // Any generic family the SVG falls back to is DejaVu Sans too.
    fonts.set_sans_serif_family("DejaVu Sans");
    let options = usvg::Options {
        font_family: "DejaVu Sans".to_owned(),
        fontdb: Arc::new(fonts),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).context("reading the SVG picture")?;
    let scale = WIDTH_PX / tree.size().width();
    let size = tree
        .size()
        .to_int_size()
        .scale_by(scale)
        .context("sizing the PNG")?;
    let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height())
        .with_context(|| format!("a {}×{} PNG is too large", size.width(), size.height()))?;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().context("encoding the PNG")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pixels per unit of the 1200-unit pictures these tests draw.
    const SCALE: f32 = 2.0;

    /// Decodes PNG bytes with tiny-skia's decoder (a separate code path
    /// from the encoder: the `png` crate's reader).
    fn decode(png: &[u8]) -> tiny_skia::Pixmap {
        tiny_skia::Pixmap::decode_png(png).expect("a valid PNG")
    }

    /// How many pixels in the box (x, y, w, h), in SVG units, are dark.
    fn dark(pixmap: &tiny_skia::Pixmap, (x, y, w, h): (u32, u32, u32, u32)) -> usize {
        let s = SCALE as u32;
        let mut count = 0;
        for py in y * s..(y + h) * s {
            for px in x * s..(x + w) * s {
                let p = pixmap.pixel(px, py).expect("inside the picture");
                if u32::from(p.red()) + u32::from(p.green()) + u32::from(p.blue()) < 200 {
                    count += 1;
                }
            }
        }
        count
    }

    const LABELLED: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="1200" height="100" viewBox="0 0 1200 100" font-family="DejaVu Sans, Helvetica, sans-serif">
<rect x="0" y="0" width="1200" height="100" fill="#ffffff"/>
<text x="20" y="50" font-size="16" fill="#222222">task 1</text>
<text x="600" y="50" font-size="16" fill="#222222"><tspan font-weight="bold">blocking</tspan> current-thread</text>
</svg>"##;

    #[test]
    fn renders_at_twice_the_width_with_text_where_the_label_is() {
        let png = render(LABELLED).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let pixmap = decode(&png);
        assert_eq!(pixmap.width(), 2400);
        assert_eq!(pixmap.height(), 200);
        // "task 1" is drawn from x = 20 with its baseline at y = 50: ink in
        // the box above the baseline, none far from any text.
        let label = dark(&pixmap, (20, 36, 50, 16));
        assert!(label > 50, "{label} dark pixels where `task 1` is");
        assert_eq!(dark(&pixmap, (300, 10, 200, 80)), 0, "blank page");
        assert!(dark(&pixmap, (600, 36, 80, 16)) > 50, "the bold heading");
    }

    /// The font is the embedded one, not a system font that happens to be
    /// there: without it the label would not render at all on a machine
    /// with no fonts, so check that the text has the embedded font's width.
    /// DejaVu Sans sets "task 1" at 16 px about 47 units wide.
    #[test]
    fn the_text_is_set_in_the_embedded_font() {
        let pixmap = decode(&render(LABELLED).unwrap());
        let s = SCALE as u32;
        let inked: Vec<u32> = (20 * s..120 * s)
            .filter(|&px| {
                (36 * s..52 * s).any(|py| {
                    let p = pixmap.pixel(px, py).unwrap();
                    u32::from(p.red()) + u32::from(p.green()) + u32::from(p.blue()) < 300
                })
            })
            .collect();
        let width = (inked.last().unwrap() - inked.first().unwrap()) as f32 / SCALE;
        assert!(
            (40.0..56.0).contains(&width),
            "`task 1` is {width} units wide"
        );
    }

    #[test]
    fn a_broken_svg_is_an_error_not_a_panic() {
        let error = render("<svg").unwrap_err();
        assert!(
            format!("{error:#}").contains("reading the SVG picture"),
            "{error:#}"
        );
        assert!(render("").is_err());
    }

    /// The committed pictures (docs/*.svg) render 2400 px wide.
    /// With `ASYNCDEMO_PNG_DIR` set, the PNGs are written there, to look at.
    #[test]
    fn the_docs_pictures_render() {
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
        let mut rendered = 0;
        for entry in std::fs::read_dir(&docs).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "svg") {
                continue;
            }
            let svg = std::fs::read_to_string(&path).unwrap();
            let png = render(&svg).unwrap();
            let pixmap = decode(&png);
            let doc = roxmltree::Document::parse(&svg).unwrap();
            let (width, height) = crate::report::svg::view_box(&doc);
            assert_eq!(pixmap.width(), 2400, "{}", path.display());
            assert_eq!(
                f64::from(pixmap.height()),
                (height * 2400.0 / width).round(),
                "{}",
                path.display()
            );
            if let Some(dir) = std::env::var_os("ASYNCDEMO_PNG_DIR") {
                let name = path.with_extension("png");
                std::fs::write(
                    std::path::Path::new(&dir).join(name.file_name().unwrap()),
                    &png,
                )
                .unwrap();
            }
            rendered += 1;
        }
        assert!(rendered >= 4, "{rendered} pictures in docs/");
    }
}
