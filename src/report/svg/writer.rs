//! Writes a laid-out [`Picture`] as SVG 1.1, through quick-xml's `Writer`:
//! it escapes every attribute value and text node, so no piece of text is
//! pasted into markup by hand.

use super::layout::{Anchor, Picture, Shape};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use std::io::{self, Write};

/// The font stack: DejaVu Sans first, the font the PNG renderer embeds, so
/// that a browser that has it draws the same picture.
pub(super) const FONT: &str = "DejaVu Sans, Helvetica, Arial, sans-serif";

/// Writes `picture` to `out`.
pub(super) fn write(out: &mut impl Write, picture: &Picture) -> io::Result<()> {
    let mut xml = Writer::new(out);
    xml.write_event(Event::Decl(BytesDecl::new(
        "1.0",
        Some("UTF-8"),
        Some("yes"),
    )))?;
    newline(&mut xml)?;
    let (width, height) = (num(picture.width), num(picture.height.ceil()));
    let view_box = format!("0 0 {width} {height}");
    let mut root = BytesStart::new("svg")
        .with_attributes([("xmlns", "http://www.w3.org/2000/svg"), ("version", "1.1")]);
    // A picture that scales has no fixed size: a browser fits its viewBox
    // to the window, whole (SVG's default width and height are 100%).
    if !picture.scales {
        root.extend_attributes([("width", width.as_str()), ("height", height.as_str())]);
    }
    root.extend_attributes([("viewBox", view_box.as_str()), ("font-family", FONT)]);
    xml.write_event(Event::Start(root))?;
    newline(&mut xml)?;
    title(&mut xml, &picture.title)?;
    newline(&mut xml)?;
    // The white page: a PNG or a dark-mode viewer would show the lanes on
    // transparency otherwise.
    xml.write_event(Event::Empty(BytesStart::new("rect").with_attributes([
        ("x", "0"),
        ("y", "0"),
        ("width", width.as_str()),
        ("height", height.as_str()),
        ("fill", "#ffffff"),
    ])))?;
    newline(&mut xml)?;
    for shape in &picture.shapes {
        write_shape(&mut xml, shape)?;
        newline(&mut xml)?;
    }
    xml.write_event(Event::End(BytesEnd::new("svg")))?;
    newline(&mut xml)
}

fn write_shape<W: Write>(xml: &mut Writer<W>, shape: &Shape) -> io::Result<()> {
    match shape {
        Shape::Rect {
            at: (x, y, w, h),
            fill,
            opacity,
            stroke,
            class,
            title: tip,
        } => {
            let (x, y, w, h) = (num1(*x), num1(*y), num1(*w), num1(*h));
            let mut rect = BytesStart::new("rect");
            if !class.is_empty() {
                rect.push_attribute(("class", *class));
            }
            rect.extend_attributes([
                ("x", x.as_str()),
                ("y", y.as_str()),
                ("width", w.as_str()),
                ("height", h.as_str()),
                ("fill", *fill),
            ]);
            let opacity = opacity.map(|o| format!("{o:.2}"));
            if let Some(opacity) = &opacity {
                rect.push_attribute(("fill-opacity", opacity.as_str()));
            }
            if let Some(stroke) = stroke {
                rect.extend_attributes([("stroke", *stroke), ("stroke-width", "1.5")]);
            }
            match tip {
                Some(tip) => {
                    xml.write_event(Event::Start(rect))?;
                    title(xml, tip)?;
                    xml.write_event(Event::End(BytesEnd::new("rect")))
                }
                None => xml.write_event(Event::Empty(rect)),
            }
        }
        Shape::Line {
            from: (x1, y1),
            to: (x2, y2),
            stroke,
        } => {
            let (x1, y1, x2, y2) = (num1(*x1), num1(*y1), num1(*x2), num1(*y2));
            xml.write_event(Event::Empty(BytesStart::new("line").with_attributes([
                ("x1", x1.as_str()),
                ("y1", y1.as_str()),
                ("x2", x2.as_str()),
                ("y2", y2.as_str()),
                ("stroke", *stroke),
                ("stroke-width", "1"),
            ])))
        }
        Shape::Text {
            at: (x, y),
            size,
            anchor,
            fill,
            bold,
            body,
        } => {
            let (x, y, size) = (num1(*x), num1(*y), num1(*size));
            let anchor = match anchor {
                Anchor::Start => "start",
                Anchor::Middle => "middle",
                Anchor::End => "end",
            };
            let text = BytesStart::new("text").with_attributes([
                ("x", x.as_str()),
                ("y", y.as_str()),
                ("font-size", size.as_str()),
                ("text-anchor", anchor),
                ("fill", *fill),
            ]);
            xml.write_event(Event::Start(text))?;
            if !bold.is_empty() {
                let tspan = BytesStart::new("tspan").with_attributes([("font-weight", "bold")]);
                xml.write_event(Event::Start(tspan))?;
                text_node(xml, bold)?;
                xml.write_event(Event::End(BytesEnd::new("tspan")))?;
            }
            text_node(xml, body)?;
            xml.write_event(Event::End(BytesEnd::new("text")))
        }
    }
}

fn title<W: Write>(xml: &mut Writer<W>, body: &str) -> io::Result<()> {
    xml.write_event(Event::Start(BytesStart::new("title")))?;
    text_node(xml, body)?;
    xml.write_event(Event::End(BytesEnd::new("title")))
}

/// A text node. quick-xml escapes `&`, `<` and `>`; control characters,
/// which XML 1.0 does not allow at all even escaped, become `?`.
fn text_node<W: Write>(xml: &mut Writer<W>, body: &str) -> io::Result<()> {
    let clean: String = body
        .chars()
        .map(|c| {
            if c.is_control() && !matches!(c, '\t' | '\n' | '\r') {
                '?'
            } else {
                c
            }
        })
        .collect();
    xml.write_event(Event::Text(BytesText::new(&clean)))
}

fn newline<W: Write>(xml: &mut Writer<W>) -> io::Result<()> {
    xml.get_mut().write_all(b"\n")
}

/// A whole number without decimals (`1200`), else one decimal.
fn num(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        num1(value)
    }
}

/// One decimal: a tenth of a pixel is finer than any screen shows.
fn num1(value: f64) -> String {
    format!("{value:.1}")
}
