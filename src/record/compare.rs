//! `compare --record FILE`: every way's run kept in one file, for
//! `asyncdemo replay FILE` (the table, its verdicts and the compare
//! picture again) and `replay FILE --way NAME` (one way's run, as a
//! replay of that run alone).
//!
//! # The layout (format version 2)
//!
//! A compare recording is a run's recording (format 1, see the parent
//! module) once per way, each in a section of its own, after a header that
//! names the ways:
//!
//! ```text
//! magic    20 bytes   "asyncdemo-recording\n"
//! version  2 bytes    little-endian u16: 2
//! header   varint n, then n bytes of JSON (CompareHeader): the command
//!          line, the version, the demo, the CPU count, and the ways the
//!          compare set out to run, in order (a Python row's name is
//!          python-KEY, e.g. python-gather)
//! then, per way that ran, in that order:
//!  32 way   varint n, then n bytes of JSON (Section): the way's name,
//!           language, mode, spawn and lock, and a run's header (format
//!           1's, flattened in: tasks, runtime, workers, ...)
//!           then the way's records, tags 1 to 21 exactly as format 1,
//!           its time chains starting again at 0, up to its own `end`
//!           (20). Its summary record's JSON also has "why": the row's
//!           words, as the table printed them
//! and last:
//!  33 ways end  varint: how many sections the file holds
//! ```
//!
//! One file rather than one per way, so that a compare stays one artifact
//! (and `-` one stream); sections rather than records tagged with their
//! way, so that each way's records are a run's recording unchanged, read
//! by the same reader. A Python row's section holds its lines and summary
//! only (python3 reports no polls).
//!
//! The sections are written as the ways run, the ordered events while the
//! way goes, so a compare killed during its third way leaves two whole
//! sections and the start of a third. Ctrl-C ends the stopped way's
//! section with its partial summary, then the file.

use super::{Concluded, FULL_TASKS, Header, MAGIC, Writer, put, signal_word};
use crate::config::Config;
use crate::config::{LineStyle, Runtime};
use crate::events::{Follower, RunEvent};
use crate::export::{self, Finished};
use crate::interrupt;
use crate::interrupt::Signal;
use crate::report::Language;
use crate::report::compare::Row;
use crate::sink::Sink;
use crate::vocab::{Demo, LockKind, Mode};
use serde::{Deserialize, Serialize};
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

/// The tags of format 2 (see the layout above).
pub(crate) mod ways_tag {
    pub(crate) const WAY: u8 = 32;
    pub(crate) const END: u8 = 33;
}

/// The most ways a compare recording may name: every way of a demo and
/// every Python row, with room to spare. A reader refuses more.
pub(crate) const MAX_WAYS: usize = 32;

/// What a replay of a compare needs before the first way.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct CompareHeader {
    /// The command line as typed, program name first.
    pub(crate) command: Vec<String>,
    /// The version of asyncdemo that ran.
    pub(crate) version: String,
    /// Which demo the ways ran.
    pub(crate) demo: Demo,
    /// The CPUs the machine offered.
    pub(crate) cpus: usize,
    /// The ways the compare set out to run, in order.
    pub(crate) ways: Vec<String>,
}

/// A way's section header: which way, and how it ran the tasks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Section {
    /// Its name: what `--ways` calls it, or python-KEY.
    pub(crate) way: String,
    pub(crate) language: Language,
    /// How each task waited (for a Python row, the tokio mode that waits
    /// the same way).
    pub(crate) mode: Mode,
    /// Spawned rather than joined.
    pub(crate) spawn: bool,
    /// The lock the tasks shared (`compare lock`).
    pub(crate) lock: Option<LockKind>,
    /// The run's header, as a recording of that run alone has it.
    #[serde(flatten)]
    pub(crate) run: Header,
}

/// The file, and where the writing is.
struct Sections {
    writer: Writer,
    /// The section being written, counted from 1; 0 before the first.
    current: u32,
    /// Whether the current section still takes events (its way has not
    /// concluded).
    open: bool,
    /// Whether the file is ended: nothing more is written.
    ended: bool,
}

/// A compare's recording, shared by the loop that runs the ways and the
/// signal thread.
pub(crate) struct WaysRecording {
    sections: Arc<Mutex<Sections>>,
    /// What to call the file in an error.
    what: String,
}

/// The follower that writes one way's ordered events into its section.
struct WayTape {
    sections: Arc<Mutex<Sections>>,
    section: u32,
}

impl Follower for WayTape {
    fn follow(&mut self, event: &RunEvent<'_>, _out: &mut dyn Write) -> io::Result<()> {
        if matches!(
            event,
            RunEvent::WaitBegan { .. } | RunEvent::WaitEnded { failed: false, .. }
        ) {
            return Ok(());
        }
        let mut sections = self.sections.lock().unwrap_or_else(PoisonError::into_inner);
        // A way stopped by a signal is concluded by the signal thread
        // while its tasks may still write: those events are past its end.
        if !sections.open || sections.current != self.section {
            return Ok(());
        }
        sections.writer.event(event)
    }

    fn wants_threads(&self) -> bool {
        true
    }
}

impl WaysRecording {
    /// Creates the recording at `path` (`-`: stdout) and writes its header:
    /// a bad path fails before any way runs.
    pub(crate) fn start(
        path: &Path,
        demo: Demo,
        ways: Vec<String>,
    ) -> anyhow::Result<WaysRecording> {
        let export::Target { out, what } = export::create(path, "recording")?;
        let header = CompareHeader {
            command: std::env::args_os()
                .map(|arg| arg.to_string_lossy().into_owned())
                .collect(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            demo,
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            ways,
        };
        let mut out = io::BufWriter::with_capacity(256 * 1024, out);
        let written: io::Result<()> = (|| {
            out.write_all(MAGIC)?;
            out.write_all(&super::COMPARE_VERSION.to_le_bytes())?;
            write_json(&mut out, &header)?;
            out.flush()
        })();
        anyhow::Context::context(written, what.clone())?;
        let writer = Writer {
            out,
            demo,
            last_at: 0,
            written: 0,
            threads: 0,
            scratch: Vec::with_capacity(64),
        };
        Ok(WaysRecording {
            sections: Arc::new(Mutex::new(Sections {
                writer,
                current: 0,
                open: false,
                ended: false,
            })),
            what,
        })
    }

    /// Begins the section of the way `config` runs, called `name`, and
    /// follows `sink` into it from here on.
    pub(crate) fn way(&self, name: &str, config: &Config, sink: &Sink) -> anyhow::Result<()> {
        let section = Section {
            way: name.to_owned(),
            language: Language::Rust,
            mode: config.way.mode,
            spawn: config.way.spawn,
            lock: config.way.lock,
            run: run_header(
                config.demo,
                config.tasks,
                config.way.runtime,
                config.delay.as_secs_f64(),
            ),
        };
        let number = self.begin(section)?;
        sink.follow_with(
            Box::new(WayTape {
                sections: Arc::clone(&self.sections),
                section: number,
            }),
            self.what.clone(),
        );
        // Nobody else follows a compare way's lines unless its picture
        // keeps them: past the cut-off they cost what a plain run's do.
        if !config.record && config.line_style() == LineStyle::Silent {
            sink.follow_first(FULL_TASKS);
        }
        Ok(())
    }

    /// Writes a section's header and makes it the current one; returns
    /// its number.
    fn begin(&self, section: Section) -> anyhow::Result<u32> {
        let mut sections = self.sections.lock().unwrap_or_else(PoisonError::into_inner);
        if sections.ended {
            return Ok(0);
        }
        sections.current += 1;
        sections.open = true;
        let writer = &mut sections.writer;
        writer.demo = section.run.demo;
        writer.last_at = 0;
        writer.written = 0;
        writer.threads = 0;
        let written: io::Result<()> = (|| {
            writer.out.write_all(&[ways_tag::WAY])?;
            write_json(&mut writer.out, &section)?;
            // Out now, so that a compare killed during this way still says
            // which way it was.
            writer.out.flush()
        })();
        anyhow::Context::context(written, self.what.clone())?;
        Ok(sections.current)
    }

    /// Ends the current way's section with its row (the signal that
    /// stopped it, if one did).
    pub(crate) fn concluded(&self, row: &Row, signal: Option<Signal>) -> anyhow::Result<()> {
        let mut sections = self.sections.lock().unwrap_or_else(PoisonError::into_inner);
        Self::conclude(&mut sections, row, signal, &self.what)
    }

    fn conclude(
        sections: &mut Sections,
        row: &Row,
        signal: Option<Signal>,
        what: &str,
    ) -> anyhow::Result<()> {
        if !sections.open || sections.ended {
            return Ok(());
        }
        sections.open = false;
        let finished = Finished {
            summary: &row.summary,
            events: &row.events,
            parks: &row.parks,
            signal,
        };
        let concluded = Concluded {
            summary: row.summary.clone(),
            signal: signal.map(|s| signal_word(s).to_owned()),
            why: Some(row.why.clone()),
        };
        anyhow::Context::context(
            sections.writer.conclude_with(&finished, &concluded),
            what.to_owned(),
        )
    }

    /// Writes a Python row's whole section: python3 reports its lines only
    /// at its end, so they are written with its summary (and the signal
    /// that stopped it, if one did).
    pub(crate) fn python(
        &self,
        name: &str,
        mode: Mode,
        row: &Row,
        signal: Option<Signal>,
    ) -> anyhow::Result<()> {
        let summary = &row.summary;
        let section = Section {
            way: name.to_owned(),
            language: Language::Python,
            mode,
            spawn: false,
            lock: None,
            run: run_header(summary.demo, summary.tasks, None, summary.delay_secs),
        };
        self.begin(section)?;
        let mut sections = self.sections.lock().unwrap_or_else(PoisonError::into_inner);
        let demo = summary.demo;
        for event in &row.events {
            let line = RunEvent::Line {
                event: *event,
                text: demo.text(event.task, event.phase),
            };
            anyhow::Context::context(sections.writer.event(&line), self.what.clone())?;
        }
        Self::conclude(&mut sections, row, signal, &self.what)
    }

    /// Ends the file: the count of its sections, then a flush.
    pub(crate) fn end(&self) -> anyhow::Result<()> {
        let mut sections = self.sections.lock().unwrap_or_else(PoisonError::into_inner);
        Self::finish(&mut sections, &self.what)
    }

    fn finish(sections: &mut Sections, what: &str) -> anyhow::Result<()> {
        if sections.ended {
            return Ok(());
        }
        sections.ended = true;
        let count = sections.current;
        let out = &mut sections.writer.out;
        let written: io::Result<()> = (|| {
            out.write_all(&[ways_tag::END])?;
            put(out, count.into())?;
            out.flush()
        })();
        anyhow::Context::context(written, what.to_owned())
    }

    /// The signal thread's path: the stopped way's section ended with
    /// `row` (if a way was running), a Python row in progress written
    /// whole, and the file ended. Patient with the lock (a way's event may
    /// be being written), and never more: a recording left cut still
    /// replays.
    pub(crate) fn interrupted(
        &self,
        stopped: Option<&Row>,
        python: Option<(&str, Mode, &Row)>,
        signal: Signal,
    ) -> anyhow::Result<()> {
        let Some(mut sections) = interrupt::lock_within(&self.sections, interrupt::LOCK_PATIENCE)
        else {
            return Ok(());
        };
        if let Some(row) = stopped {
            Self::conclude(&mut sections, row, Some(signal), &self.what)?;
        }
        drop(sections);
        if let Some((name, mode, row)) = python {
            self.python(name, mode, row, Some(signal))?;
        }
        self.end()
    }
}

/// A run's header as each section has it: the compare's command line,
/// version and CPU count, and the way's own run.
fn run_header(demo: Demo, tasks: u32, runtime: Option<Runtime>, given_delay_secs: f64) -> Header {
    Header {
        command: std::env::args_os()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        demo,
        tasks,
        runtime: runtime.map(Runtime::kind),
        workers: runtime.and_then(Runtime::workers),
        cpus: std::thread::available_parallelism().map_or(1, usize::from),
        full_tasks: FULL_TASKS,
        given_delay_secs,
    }
}

/// A length-prefixed JSON document.
fn write_json(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    let json = serde_json::to_vec(value)?;
    put(out, json.len() as u64)?;
    out.write_all(&json)
}
