//! The shared vocabulary: the words every room of the house uses.
//!
//! This module is the bottom floor. It uses nothing else of the crate, so
//! any module may use it without tying a knot: which demo runs (and its
//! row of the demo table, `demos`), which of its two lines a task prints,
//! the words the command line names (mode, work, lock, runtime kind,
//! format), and the two records a run keeps from the bottom floor up (a
//! task's line, a runtime thread's park). Behaviour lives upstairs; here
//! are only the names and the few facts that belong to each name.
//!
//! A word that one room owns lives in that room: how the process exits in
//! `exit_code`, the signal that stopped a run in `interrupt`, the runtime
//! with its size, the terminal and the line style in `config` (which
//! settles them), a lock step in `events`, how a wait ended and what a run
//! measured in `outcome`, how the pictures colour a wait and which
//! language ran a compare row in `report`.

use clap::ValueEnum;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::io::{self, Write};
use std::time::Duration;

/// Which of its two lines a task is printing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Phase {
    /// The line printed before the wait.
    First,
    /// The line printed after the wait; printing it finishes the task.
    Last,
}

mod demos;

pub(crate) use demos::{Demo, Line, Peer, PeerHelp, PeerKind};

impl Demo {
    /// The name used on the command line and in every report.
    pub(crate) const fn name(self) -> &'static str {
        self.row().name
    }

    /// How many tasks the notes run (the demo's row).
    pub(crate) const fn default_tasks(self) -> u32 {
        self.row().default_tasks
    }

    /// Writes the line task `id` prints, with its newline: a fixed line is
    /// a single `write_all` of a `&'static str` (see [`demos::Lines::Fixed`]).
    pub(crate) fn write_line(self, out: &mut impl Write, id: u32, phase: Phase) -> io::Result<()> {
        match self.row().lines.of(phase) {
            Line::Fixed(line) => out.write_all(line.as_bytes()),
            Line::Numbered(before, after) => writeln!(out, "{before}{id}{after}"),
        }
    }

    /// The line task `id` prints, without its newline (for JSON and pictures).
    pub(crate) fn text(self, id: u32, phase: Phase) -> Cow<'static, str> {
        match self.row().lines.of(phase) {
            Line::Fixed(line) => Cow::Borrowed(&line[..line.len() - 1]),
            Line::Numbered(before, after) => Cow::Owned(format!("{before}{id}{after}")),
        }
    }
}

/// How each task waits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Mode {
    /// tokio::time::sleep: the task gives the thread back while it waits.
    Async,
    /// std::thread::sleep inside the same coroutines: the thread is held.
    Blocking,
    /// Each task on its own OS thread, calling std::thread::sleep.
    Threads,
    /// Each task's blocking sleep goes to tokio's blocking pool (spawn_blocking).
    SpawnBlocking,
    /// Each task blocks inside tokio::task::block_in_place: a worker first
    /// hands its core, with its other tasks, to a blocking-pool thread;
    /// block_on's thread has no core to hand and simply blocks (multi-thread
    /// runtime only).
    BlockInPlace,
}

impl Mode {
    /// The name used on the command line and in every report.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Mode::Async => "async",
            Mode::Blocking => "blocking",
            Mode::Threads => "threads",
            Mode::SpawnBlocking => "spawn-blocking",
            Mode::BlockInPlace => "block-in-place",
        }
    }
}

/// What each task's wait *is* (`--work`): the modes then say how that wait
/// treats the thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Work {
    /// A sleep: nothing runs during it (the notes' asyncio.sleep / time.sleep).
    #[default]
    Sleep,
    /// A busy loop on the CPU for --delay: code that runs all the while.
    Spin,
}

impl Work {
    /// Whether this is the default, a sleep.
    pub(crate) fn is_sleep(&self) -> bool {
        *self == Work::Sleep
    }

    /// The name used on the command line and in every report.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Work::Sleep => "sleep",
            Work::Spin => "spin",
        }
    }
}

/// Which lock the tasks of the `lock` demo share (`--lock`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum LockKind {
    /// std::sync::Mutex, held across `.await`: deadlocks on one thread.
    #[default]
    Std,
    /// tokio::sync::Mutex: waiting for it is an `.await`, so no deadlock.
    Tokio,
    /// No lock at all, for contrast.
    None,
}

impl LockKind {
    /// The name used on the command line and in every report.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            LockKind::Std => "std",
            LockKind::Tokio => "tokio",
            LockKind::None => "none",
        }
    }

    /// The type, as the lesson names it.
    pub(crate) const fn type_name(self) -> &'static str {
        match self {
            LockKind::Std => "std::sync::Mutex",
            LockKind::Tokio => "tokio::sync::Mutex",
            LockKind::None => "no lock",
        }
    }
}

/// Which tokio runtime drives the tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RuntimeKind {
    /// One thread runs every task, like asyncio's single-threaded event loop.
    CurrentThread,
    /// A pool of worker threads (--workers); it runs the tasks only with
    /// --spawn, otherwise one join_all polls them all on the calling thread.
    MultiThread,
}

impl RuntimeKind {
    /// The name used on the command line and in every report.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            RuntimeKind::CurrentThread => "current-thread",
            RuntimeKind::MultiThread => "multi-thread",
        }
    }
}

/// The shape of the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// The task lines as the notes print them, then a summary line.
    Text,
    /// One JSON object, the summary, and nothing else on stdout.
    Json,
    /// One JSON event per task line as it happens, then the summary.
    Ndjson,
}

/// One task line, as recorded for the pictures (`--timeline`, `--trace`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Event {
    /// Time since the start of the run.
    pub(crate) at: Duration,
    /// The task, numbered from 1.
    pub(crate) task: u32,
    /// Which of the task's two lines this is.
    pub(crate) phase: Phase,
    /// The OS thread that printed it, numbered from 1 in order of first use.
    pub(crate) thread: u32,
}

/// A runtime thread going to sleep (`parked`) or waking up, as recorded for
/// the pictures' thread lanes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Park {
    /// Time since the start of the run (zero for a thread that parked
    /// before the run started).
    pub(crate) at: Duration,
    /// The OS thread, numbered as in [`Event::thread`].
    pub(crate) thread: u32,
    /// `true` when the thread went idle, `false` when it woke up.
    pub(crate) parked: bool,
}

/// What the tests of several rooms build their runs from.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Event, Phase};
    use std::time::Duration;

    /// Task `task`'s `phase` line, `ms` milliseconds into the run, printed
    /// on thread `thread`.
    pub(crate) fn event(ms: u64, task: u32, phase: Phase, thread: u32) -> Event {
        Event {
            at: Duration::from_millis(ms),
            task,
            phase,
            thread,
        }
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
    fn query_lines_name_their_task() {
        assert_eq!(line(Demo::Query, 4, Phase::First), "query 4 ...\n");
        assert_eq!(Demo::Query.text(4, Phase::Last), "... query 4: done");
    }

    #[test]
    fn defaults_are_the_notes_gather_calls() {
        assert_eq!(Demo::Count.default_tasks(), 3);
        assert_eq!(Demo::Hello.default_tasks(), 2);
    }
}
