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

use crate::run::Wait;
use crate::sink::Sink;
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

/// One of the demos from the notes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Demo {
    /// `One`, wait, `Two` (the notes' `countasync.py`, 3 tasks).
    Count,
    /// `Hello ...`, wait, `... World!` (the notes' second example, 2 tasks).
    Hello,
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
        }
    }

    /// How many tasks the notes run: `gather(count(), count(), count())` and
    /// `gather(hello(), hello())`.
    pub const fn default_tasks(self) -> u32 {
        match self {
            Demo::Count => 3,
            Demo::Hello => 2,
        }
    }

    /// The line a task prints, with its newline.
    ///
    /// The newline is part of the constant so that printing a line is a
    /// single `write_all` of a `&'static str`: this runs twice per task, and
    /// a run may have ten million tasks.
    pub const fn line(self, phase: Phase) -> &'static str {
        match (self, phase) {
            (Demo::Count, Phase::First) => "One\n",
            (Demo::Count, Phase::Last) => "Two\n",
            (Demo::Hello, Phase::First) => "Hello ...\n",
            (Demo::Hello, Phase::Last) => "... World!\n",
        }
    }

    /// The line a task prints, without its newline (for JSON and pictures).
    pub fn text(self, phase: Phase) -> &'static str {
        let line = self.line(phase);
        &line[..line.len() - 1]
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
pub async fn task<W: Wait>(id: u32, sink: &Sink, wait: &W) {
    sink.line(id, Phase::First);
    wait.wait().await;
    sink.line(id, Phase::Last);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_the_notes_lines() {
        assert_eq!(Demo::Count.text(Phase::First), "One");
        assert_eq!(Demo::Count.text(Phase::Last), "Two");
        assert_eq!(Demo::Hello.text(Phase::First), "Hello ...");
        assert_eq!(Demo::Hello.text(Phase::Last), "... World!");
        for demo in [Demo::Count, Demo::Hello] {
            for phase in [Phase::First, Phase::Last] {
                assert!(demo.line(phase).ends_with('\n'));
            }
        }
    }

    #[test]
    fn defaults_are_the_notes_gather_calls() {
        assert_eq!(Demo::Count.default_tasks(), 3);
        assert_eq!(Demo::Hello.default_tasks(), 2);
    }
}
