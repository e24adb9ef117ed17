//! The JSON formats: for scripts. Every object is built with serde from typed
//! data, never by pasting strings together.

use super::Summary;
use serde::Serialize;
use std::io::{self, Write};
use std::time::Duration;

/// One NDJSON event: `{"type":"event","t_secs":0.000012,"task":1,"text":"One"}`.
#[derive(Serialize)]
struct EventLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    t_secs: f64,
    task: u32,
    text: &'a str,
}

/// The summary as the last NDJSON line, tagged so a consumer can tell it from
/// the events: `{"type":"summary", ...the --format json fields...}`.
#[derive(Serialize)]
struct SummaryLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    summary: &'a Summary,
}

/// Writes one task line as an NDJSON event.
pub(crate) fn write_event(
    out: &mut impl Write,
    at: Duration,
    id: u32,
    text: &str,
) -> io::Result<()> {
    let event = EventLine {
        kind: "event",
        t_secs: at.as_secs_f64(),
        task: id,
        text,
    };
    serde_json::to_writer(&mut *out, &event)?;
    out.write_all(b"\n")
}

/// `--format json`: the summary, pretty-printed, as the only thing on stdout.
pub(crate) fn write_summary(out: &mut impl Write, summary: &Summary) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, summary)?;
    out.write_all(b"\n")
}

/// `--format ndjson`: the summary as one line after the events.
pub(crate) fn write_summary_line(out: &mut impl Write, summary: &Summary) -> io::Result<()> {
    let line = SummaryLine {
        kind: "summary",
        summary,
    };
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{Demo, Phase};

    #[test]
    fn an_event_is_one_line_with_the_documented_fields() {
        let mut out = Vec::new();
        write_event(
            &mut out,
            Duration::from_micros(12),
            1,
            &Demo::Count.text(1, Phase::First),
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches('\n').count(), 1);
        assert!(text.ends_with('\n'));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"type": "event", "t_secs": 0.000012, "task": 1, "text": "One"})
        );
        // The keys keep the documented order, for people reading the stream.
        assert!(text.starts_with("{\"type\":\"event\",\"t_secs\":"));
    }
}
