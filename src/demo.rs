//! What each task says: the two coroutines of the Python asyncio notes.
//!
//! ```python
//! async def count():              async def hello():
//!     print("One")                    print('Hello ...')
//!     await asyncio.sleep(1)          await asyncio.sleep(1)
//!     print("Two")                    print('... World!')
//! ```
//!
//! Both have the same shape: print a line, wait, print a line. Only the words
//! differ, so one Rust coroutine, [`task`], serves both; *how* it waits is
//! handed in from [`crate::run`], which is the whole point of the lesson.
//!
//! A third demo, `fetch`, has the same shape with a real wait: a request to
//! a slow server on a loopback socket ([`crate::net`]), the practical
//! version of the notes' warning about `requests` inside asyncio.

use crate::run::Wait;
use crate::sink::Sink;
use clap::ValueEnum;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::io::{self, Write};

/// One of the demos from the notes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Demo {
    /// `One`, wait, `Two` (the notes' `countasync.py`, 3 tasks).
    Count,
    /// `Hello ...`, wait, `... World!` (the notes' second example, 2 tasks).
    Hello,
    /// `fetch N ...`, a request to a slow server, `... fetch N: got reply`.
    Fetch,
}

/// Which of its two lines a task is printing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    /// The line printed before the wait.
    First,
    /// The line printed after the wait; printing it finishes the task.
    Last,
}

impl Demo {
    /// The name used on the command line and in every report.
    pub const fn name(self) -> &'static str {
        match self {
            Demo::Count => "count",
            Demo::Hello => "hello",
            Demo::Fetch => "fetch",
        }
    }

    /// How many tasks the notes run: `gather(count(), count(), count())` and
    /// `gather(hello(), hello())`.
    pub const fn default_tasks(self) -> u32 {
        match self {
            Demo::Count | Demo::Fetch => 3,
            Demo::Hello => 2,
        }
    }

    /// The line of a demo whose words are the same for every task, with its
    /// newline; `None` for `fetch`, whose lines name the task.
    ///
    /// The newline is part of the constant so that printing a line is a
    /// single `write_all` of a `&'static str`: this runs twice per task, and
    /// a run may have ten million tasks.
    pub const fn fixed_line(self, phase: Phase) -> Option<&'static str> {
        match (self, phase) {
            (Demo::Count, Phase::First) => Some("One\n"),
            (Demo::Count, Phase::Last) => Some("Two\n"),
            (Demo::Hello, Phase::First) => Some("Hello ...\n"),
            (Demo::Hello, Phase::Last) => Some("... World!\n"),
            (Demo::Fetch, _) => None,
        }
    }

    /// Writes the line task `id` prints, with its newline.
    pub fn write_line(self, out: &mut impl Write, id: u32, phase: Phase) -> io::Result<()> {
        match self.fixed_line(phase) {
            Some(line) => out.write_all(line.as_bytes()),
            None => writeln!(out, "{}", self.text(id, phase)),
        }
    }

    /// The line task `id` prints, without its newline (for JSON and pictures).
    pub fn text(self, id: u32, phase: Phase) -> Cow<'static, str> {
        match (self.fixed_line(phase), phase) {
            (Some(line), _) => Cow::Borrowed(&line[..line.len() - 1]),
            (None, Phase::First) => Cow::Owned(format!("fetch {id} ...")),
            (None, Phase::Last) => Cow::Owned(format!("... fetch {id}: got reply")),
        }
    }
}

/// One coroutine: the Rust twin of the notes' `async def count()`.
///
/// `id` numbers the task from 1. The sink turns `(id, phase)` into the line
/// the demo prints (or into an NDJSON event, or into nothing under
/// `--quiet`), so this body stays exactly as small as the Python one.
///
/// The body is the same in every mode. Whether `wait.wait().await` gives the
/// thread back to the executor (`tokio::time::sleep`) or holds it
/// (`std::thread::sleep`) is decided by the caller's `W`, and that single
/// difference is what the tool shows.
///
/// A wait can fail (a fetch whose server is gone); then the task stops
/// without its last line, and the run reports the error.
pub async fn task<W: Wait>(id: u32, sink: &Sink, wait: &W) {
    sink.line(id, Phase::First);
    if wait.wait(id).await {
        sink.line(id, Phase::Last);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(demo: Demo, id: u32, phase: Phase) -> String {
        let mut out = Vec::new();
        demo.write_line(&mut out, id, phase).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn lines_are_the_notes_lines() {
        assert_eq!(Demo::Count.text(1, Phase::First), "One");
        assert_eq!(Demo::Count.text(2, Phase::Last), "Two");
        assert_eq!(Demo::Hello.text(1, Phase::First), "Hello ...");
        assert_eq!(Demo::Hello.text(1, Phase::Last), "... World!");
        assert_eq!(line(Demo::Count, 7, Phase::First), "One\n");
        assert_eq!(line(Demo::Hello, 7, Phase::Last), "... World!\n");
    }

    #[test]
    fn fetch_lines_name_their_task() {
        assert_eq!(line(Demo::Fetch, 12, Phase::First), "fetch 12 ...\n");
        assert_eq!(
            line(Demo::Fetch, 12, Phase::Last),
            "... fetch 12: got reply\n"
        );
        assert_eq!(Demo::Fetch.text(3, Phase::Last), "... fetch 3: got reply");
    }

    #[test]
    fn defaults_are_the_notes_gather_calls() {
        assert_eq!(Demo::Count.default_tasks(), 3);
        assert_eq!(Demo::Hello.default_tasks(), 2);
    }
}
