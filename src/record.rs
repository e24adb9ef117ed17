//! `--record FILE`: the run kept in a file, for `asyncdemo replay`.
//!
//! A recording holds exactly what the outputs of a run are made from, so
//! that a replay makes them again with the same code, without running
//! anything:
//!
//! - the run's **ordered events** ([`RunEvent`]: each line with its text,
//!   each wait begun and ended, each park of a runtime thread, the `lock`
//!   demo's steps, and the polls and wake-ups of the first tasks that
//!   `--explain` narrates), in the order the followers saw them. They are
//!   written *while the run goes*, by a follower of the sink ([`Tape`]),
//!   so a run killed mid-way leaves a file that replays up to where it
//!   ends;
//! - what the task-state model is built from ([`crate::state`]): every
//!   [`Observed`] event and the threads' parks, written when the run
//!   concludes, with the `lock` demo's waits and the [`Summary`] (as its
//!   JSON), so that `replay -f json` prints the run's own figures;
//! - a header first: the command line, the version, the runtime and its
//!   workers, the CPU count, and the cut-off below.
//!
//! # The layout (format versions 1 and 3)
//!
//! A binary file, because a million-task run observes about six events
//! per task: at ~40 bytes an NDJSON event that is 240 MB, where these
//! records take 8 to 12 bytes each (docs/ci.md gives the figures). Every
//! integer is an unsigned LEB128 varint; a signed one (a difference that
//! may go back) is zigzag-encoded first. Times are nanoseconds since the
//! start of the run, each written as the difference from the previous
//! time of its own chain (the ordered events, the parks, the
//! observations), so a typical time takes one to three bytes.
//!
//! ```text
//! magic    20 bytes   "asyncdemo-recording\n"
//! version  2 bytes    little-endian u16: 1, or 3 with a census (22)
//! header   varint n, then n bytes of JSON (Header)
//! records  one tag byte each, then its fields:
//!   1 line (first)  Δat  task  thread  text
//!   2 line (last)   Δat  task  thread  text
//!                   text: varint 0 for the demo's own words, else
//!                   len+1 and len bytes of UTF-8
//!   3 wait began    Δat  task  thread (not written: see below)
//!   4 wait ended    Δat  task  thread  failed(0|1) (written only for
//!                   a failed wait, which has no last line)
//!   5 thread        Δat  thread  parked(0|1)
//!   6 poll          Δat  task  thread  step(0 began, 1 Pending,
//!                   2 Ready, 3 woken, 4 timer armed, 5 pool queued,
//!                   6 pool started, 7 query queued, 8 query sent)
//!                   [took, for 1 and 2; due, for 4; busy connections,
//!                   for 7; connection, for 8]
//!   7 lock          Δat  task  thread  step(0 asked, 1 got,
//!                   2 released)  lock(0 std, 1 tokio, 2 none)  holder+1
//!   8 caller        Δat  thread  waiting(0|1)
//!   9 finished      Δat
//!  10 stalled       Δat (the run ended without finishing: a deadlock)
//!  --- written when the run concludes:
//!  16 park          Δat(parks)  thread  parked(0|1)
//!  17 observed      Δat(observations, zigzag)  Δtask(zigzag)  thread
//!                   kind(0 Polled Pending, 1 Polled Ready, 2 woken,
//!                   3 armed, 4 queued, 5 pool started, 6 pool ended,
//!                   7 held began, 8 held ended, 9 lock asked,
//!                   10 lock got, 11 first line, 12 last line)
//!                   [took for 0, 1; deadline-at (zigzag) for 3]
//!  18 lock wait     task  asked  got+1 (0: never)
//!  19 summary       varint n, then n bytes of JSON (Concluded)
//!  20 end           ordered events  parks  observations  lock waits
//!  21 model park    Δat(model parks)  thread  parked(0|1): the parks the
//!                   model was built with (16 are the pictures')
//!  22 census        (version 3, before the summary) nine histograms:
//!                   microseconds per task in each state (TaskState::ALL's
//!                   order), then polls per task, each n, n × (bucket
//!                   index, count), min, max; then the band: its bucket
//!                   width, and for each of its four arrays n, n × (bucket
//!                   index, value (zigzag))
//! ```
//!
//! A task's wait begins as its first line is written and ends as its last
//! is, at the same moment on the same thread, so those two events are not
//! written: a replay tells them with the lines, as the sink did (the
//! wait's end just before the last line, its beginning just after the
//! first). Half the ordered events of a run, and a third of its file.
//!
//! A file that stops before its `end` record was cut (a run killed, a
//! disk full): a replay plays what is there and says so.
//!
//! # The census (format version 3)
//!
//! A run that keeps a census of every task's states ([`crate::report::census`]:
//! the JSON past the cut-off, a picture's band; a recording keeps both of
//! its parts, the accounts and the band) ends its recording with it
//! (tag 22), so that a replay's distributions are the run's over every
//! task, not over the tasks kept. Such a file says version 3, so that an
//! older build refuses it as newer rather than as malformed; every other
//! run's recording is version 1, byte for byte as before.
//!
//! # A compare recording (format version 2)
//!
//! `compare --record` keeps one such recording per way in one file, each
//! in a section after a header that names the ways: [`compare`] has the
//! layout. A run's own recording is still written as version 1, unchanged,
//! so that an older build reads it; a reader of version 2 reads both. The
//! summary record (19) of a compare's section also carries the row's words
//! (`"why"`); a run's own never does.
//!
//! # The cut-off
//!
//! Past [`FULL_TASKS`] tasks (10,000), a task's own events are not recorded (its
//! lines, waits, polls and observations): the first tasks are kept whole,
//! the rest only in the summary's aggregates (completed, failed, elapsed,
//! peak overlap) and the census, when the run kept one. The narrated
//! tasks' polls are not forwarded past it (that wraps every task), but
//! their waits' own steps are: a replay rebuilds the polls from the
//! observations and tells the steps as the run saw them. A replay of such a run says that its pictures, trace
//! and event lines show the first tasks only. The threads' ordered events
//! stop at [`MAX_THREAD_EVENTS`], for a long busy run.

pub(crate) mod compare;

use crate::config::Config;
use crate::config::{LineStyle, Runtime};
use crate::events::LockStep;
use crate::events::{CallStep, Follower, PollStep, RunEvent};
use crate::export::{self, Exporter, Exports, Finished, Single};
use crate::interrupt::Signal;
use crate::report::Summary;
use crate::sink::Sink;
use crate::state::{Observed, Tallies, What};
use crate::vocab::{Demo, LockKind, Phase, RuntimeKind};
use serde::{Deserialize, Serialize};
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

/// The first bytes of every recording.
pub(crate) const MAGIC: &[u8; 20] = b"asyncdemo-recording\n";

/// The newest format version this build reads.
pub(crate) const VERSION: u16 = CENSUS_VERSION;

/// The format version of one run's recording, which this build writes
/// (format 2 left its layout as it was, so older builds still read it).
pub(crate) const RUN_VERSION: u16 = 1;

/// The format version of a compare recording ([`compare`]'s layout).
pub(crate) const COMPARE_VERSION: u16 = 2;

/// The format version of one run's recording that ends with the census
/// (tag 22): version 1's layout and that one record more, which an older
/// build would not know; so such a file says so, and an older build
/// refuses it as newer instead of calling it malformed.
pub(crate) const CENSUS_VERSION: u16 = 3;

/// The tasks whose every event a recording keeps; past them, only the
/// summary's aggregates. The JSON's per-task cut-off: the task-state model
/// observes no more tasks for the JSON (its distributions past that are of
/// these tasks too), so every recorded run's JSON replays exactly, and a
/// run past it pays for observing these tasks only, its other tasks staying
/// the plain coroutines.
pub(crate) const FULL_TASKS: u32 = crate::report::json::MAX_TASK_RECORDS;

/// The most runtime-thread events (parks and wake-ups) the ordered
/// events keep.
pub(crate) const MAX_THREAD_EVENTS: u64 = 1_000_000;

/// The record tags (see the layout above).
pub(crate) mod tag {
    pub(crate) const LINE_FIRST: u8 = 1;
    pub(crate) const LINE_LAST: u8 = 2;
    pub(crate) const WAIT_BEGAN: u8 = 3;
    pub(crate) const WAIT_ENDED: u8 = 4;
    pub(crate) const THREAD: u8 = 5;
    pub(crate) const POLL: u8 = 6;
    pub(crate) const LOCK: u8 = 7;
    pub(crate) const CALLER: u8 = 8;
    pub(crate) const FINISHED: u8 = 9;
    pub(crate) const STALLED: u8 = 10;
    pub(crate) const PARK: u8 = 16;
    pub(crate) const OBSERVED: u8 = 17;
    pub(crate) const LOCK_WAIT: u8 = 18;
    pub(crate) const SUMMARY: u8 = 19;
    pub(crate) const END: u8 = 20;
    pub(crate) const MODEL_PARK: u8 = 21;
    pub(crate) const CENSUS: u8 = 22;
}

/// What a replay needs to know before the first event: how the run was
/// started, and on what.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Header {
    /// The command line as typed, program name first.
    pub(crate) command: Vec<String>,
    /// The version of asyncdemo that ran.
    pub(crate) version: String,
    /// Which demo ran.
    pub(crate) demo: Demo,
    /// How many tasks were started.
    pub(crate) tasks: u32,
    /// The tokio runtime; `None` for `--mode threads`.
    pub(crate) runtime: Option<RuntimeKind>,
    /// The multi-thread runtime's workers.
    pub(crate) workers: Option<usize>,
    /// The CPUs the machine offered the run.
    pub(crate) cpus: usize,
    /// [`FULL_TASKS`] when the run was recorded.
    pub(crate) full_tasks: u32,
    /// The `--delay` as typed, in seconds (the pictures' titles say it).
    pub(crate) given_delay_secs: f64,
}

/// The conclusion's record: the summary as `--format json` prints it, and
/// the signal that stopped the run.
#[derive(Serialize, Deserialize)]
pub(crate) struct Concluded {
    pub(crate) summary: Summary,
    pub(crate) signal: Option<String>,
    /// A compare row's words (format 2); never in a run's own recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) why: Option<String>,
}

/// The word a recording uses for a signal.
pub(crate) fn signal_word(signal: Signal) -> &'static str {
    match signal {
        Signal::Interrupt => "interrupt",
        Signal::Terminate => "terminate",
    }
}

/// A varint: seven bits a byte, low first, the high bit saying more follow.
pub(crate) fn put(out: &mut impl Write, mut value: u64) -> io::Result<()> {
    let mut bytes = [0u8; 10];
    let mut n = 0;
    loop {
        let low = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            bytes[n] = low;
            n += 1;
            break;
        }
        bytes[n] = low | 0x80;
        n += 1;
    }
    out.write_all(&bytes[..n])
}

/// A signed difference as a varint: 0, -1, 1, -2, ... become 0, 1, 2, 3.
pub(crate) fn put_signed(out: &mut impl Write, value: i64) -> io::Result<()> {
    put(out, ((value << 1) ^ (value >> 63)) as u64)
}

/// Undoes [`put_signed`]'s zigzag.
pub(crate) fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// Nanoseconds, saturating (a run of 584 years).
fn nanos(at: std::time::Duration) -> u64 {
    u64::try_from(at.as_nanos()).unwrap_or(u64::MAX)
}

/// The difference from `last` to `at`, and `at` kept as the new last.
fn delta(last: &mut u64, at: u64) -> i64 {
    let d = at.wrapping_sub(*last) as i64;
    *last = at;
    d
}

/// Writes a narrated task's call step: its code (4 to 8, after the poll
/// steps'), then its figure.
fn put_call(out: &mut Vec<u8>, call: CallStep) -> io::Result<()> {
    match call {
        CallStep::Armed { due } => {
            out.write_all(&[4])?;
            put(out, nanos(due))
        }
        CallStep::PoolQueued => out.write_all(&[5]),
        CallStep::PoolStarted => out.write_all(&[6]),
        CallStep::QueryQueued { busy, connections } => {
            out.write_all(&[7])?;
            put(out, busy.into())?;
            put(out, connections.into())
        }
        CallStep::QuerySent { connection } => {
            out.write_all(&[8])?;
            put(out, connection.into())
        }
    }
}

pub(crate) const fn lock_step_code(step: LockStep) -> u8 {
    match step {
        LockStep::Asked => 0,
        LockStep::Got => 1,
        LockStep::Released => 2,
    }
}

/// The lock step that [`lock_step_code`] wrote as `code`.
pub(crate) const fn lock_step_of(code: u8) -> Option<LockStep> {
    match code {
        0 => Some(LockStep::Asked),
        1 => Some(LockStep::Got),
        2 => Some(LockStep::Released),
        _ => None,
    }
}

/// The lock that [`lock_kind_code`] wrote as `code`.
pub(crate) const fn lock_kind_of(code: u8) -> Option<LockKind> {
    match code {
        0 => Some(LockKind::Std),
        1 => Some(LockKind::Tokio),
        2 => Some(LockKind::None),
        _ => None,
    }
}

pub(crate) const fn lock_kind_code(lock: LockKind) -> u8 {
    match lock {
        LockKind::Std => 0,
        LockKind::Tokio => 1,
        LockKind::None => 2,
    }
}

/// An observation's kind byte and its payload.
fn observed_code(what: What, at: u64) -> (u8, Option<i64>) {
    match what {
        What::Polled { took, ready } => (u8::from(ready), Some(took as i64)),
        What::Woken => (2, None),
        What::Armed { deadline } => (3, Some(deadline.wrapping_sub(at) as i64)),
        What::Queued => (4, None),
        What::PoolStarted => (5, None),
        What::PoolEnded => (6, None),
        What::HeldBegan => (7, None),
        What::HeldEnded => (8, None),
        What::LockAsked => (9, None),
        What::LockGot => (10, None),
        What::Line { first: true } => (11, None),
        What::Line { first: false } => (12, None),
        What::Sent => (13, None),
    }
}

/// The recording's writer, shared by the follower that writes the ordered
/// events during the run and the conclusion that ends the file.
struct Writer {
    out: io::BufWriter<Box<dyn Write + Send>>,
    demo: Demo,
    /// The time of the last ordered event.
    last_at: u64,
    /// Ordered events written.
    written: u64,
    /// Thread events written, up to [`MAX_THREAD_EVENTS`].
    threads: u64,
    /// Where one record is put together.
    scratch: Vec<u8>,
}

impl Writer {
    /// Writes one ordered event (or nothing, past the cut-off).
    fn event(&mut self, event: &RunEvent<'_>) -> io::Result<()> {
        // Each record is put together in a scratch buffer and handed to
        // the file's writer in one piece: a `Vec`'s writes are a copy each,
        // a `BufWriter`'s a few checks more, and this runs under the
        // sink's lock.
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let result = self.encode(event, &mut scratch);
        let written = match result {
            Ok(true) => {
                self.written += 1;
                let written = self.out.write_all(&scratch);
                // A runtime thread going idle is the run's moment to wait:
                // what it did so far goes to the file, so that a run killed
                // during the wait leaves it there.
                match event {
                    RunEvent::Thread(park) if park.parked => {
                        written.and_then(|()| self.out.flush())
                    }
                    _ => written,
                }
            }
            Ok(false) => Ok(()),
            Err(e) => Err(e),
        };
        self.scratch = scratch;
        written
    }

    /// Encodes one ordered event into `out`; `false` when it is not
    /// recorded (past the cut-off).
    fn encode(&mut self, event: &RunEvent<'_>, out: &mut Vec<u8>) -> io::Result<bool> {
        let tag = match event {
            RunEvent::Line { event, .. } => match event.phase {
                Phase::First => tag::LINE_FIRST,
                Phase::Last => tag::LINE_LAST,
            },
            // A wait begins with its task's first line and ends with its
            // last, at the same moment on the same thread: the sink tells
            // them together, and a replay tells them again from the lines.
            // Only a failed wait, which has no last line, is written.
            RunEvent::WaitBegan { .. } | RunEvent::WaitEnded { failed: false, .. } => {
                return Ok(false);
            }
            RunEvent::WaitEnded { .. } => tag::WAIT_ENDED,
            RunEvent::Thread(_) if self.threads >= MAX_THREAD_EVENTS => return Ok(false),
            RunEvent::Thread(_) => tag::THREAD,
            RunEvent::Poll { .. } => tag::POLL,
            RunEvent::Lock { .. } => tag::LOCK,
            RunEvent::Caller { .. } => tag::CALLER,
            RunEvent::Finished { .. } => tag::FINISHED,
            RunEvent::Stalled { .. } => tag::STALLED,
        };
        if event.task().is_some_and(|task| task > FULL_TASKS) {
            return Ok(false);
        }
        if tag == tag::THREAD {
            self.threads += 1;
        }
        // Every record begins the same way: its tag, its time, then its
        // task and its thread, when it has them.
        out.write_all(&[tag])?;
        put_signed(out, delta(&mut self.last_at, nanos(event.at())))?;
        for number in [event.task(), event.thread()].into_iter().flatten() {
            put(out, number.into())?;
        }
        match event {
            RunEvent::Line { event, text } => {
                // The demo's own words cost one byte; a reply's status or
                // a failure's reason is written out.
                if self.demo.text(event.task, event.phase) == *text {
                    put(out, 0)?;
                } else {
                    put(out, text.len() as u64 + 1)?;
                    out.write_all(text.as_bytes())?;
                }
            }
            RunEvent::WaitEnded { failed, .. } => out.write_all(&[u8::from(*failed)])?,
            RunEvent::Thread(park) => out.write_all(&[u8::from(park.parked)])?,
            RunEvent::Poll { step, .. } => match *step {
                PollStep::Began => out.write_all(&[0])?,
                PollStep::Ended { took, ready } => {
                    out.write_all(&[1 + u8::from(ready)])?;
                    put(out, nanos(took))?;
                }
                PollStep::Woken => out.write_all(&[3])?,
                PollStep::Call(call) => put_call(out, call)?,
            },
            RunEvent::Lock {
                step, lock, holder, ..
            } => {
                out.write_all(&[lock_step_code(*step), lock_kind_code(*lock)])?;
                put(out, holder.map_or(0, |h| u64::from(h) + 1))?;
            }
            RunEvent::Caller { waiting, .. } => out.write_all(&[u8::from(*waiting)])?,
            RunEvent::WaitBegan { .. } | RunEvent::Finished { .. } | RunEvent::Stalled { .. } => {}
        }
        Ok(true)
    }

    /// Writes the conclusion: the model's input, the lock waits, the
    /// summary, and the end record; then flushes.
    fn conclude(&mut self, run: &Finished<'_>) -> io::Result<()> {
        let concluded = Concluded {
            summary: run.summary.clone(),
            signal: run.signal.map(|s| signal_word(s).to_owned()),
            why: None,
        };
        self.conclude_with(run, &concluded)
    }

    /// [`Writer::conclude`], with the summary record's JSON given.
    fn conclude_with(&mut self, run: &Finished<'_>, concluded: &Concluded) -> io::Result<()> {
        // Millions of small records: put together in a `Vec`, handed to
        // the file's writer a chunk at a time.
        let mut chunk = Chunked {
            out: &mut self.out,
            buf: Vec::with_capacity(CHUNK_BYTES + 64),
        };
        let out = &mut chunk;
        let mut last = 0u64;
        for park in run.parks {
            out.write_all(&[tag::PARK])?;
            put_signed(out, delta(&mut last, nanos(park.at)))?;
            put(out, park.thread.into())?;
            out.write_all(&[u8::from(park.parked)])?;
        }
        let (mut last, mut last_task, mut observed) = (0u64, 0u64, 0u64);
        let observations = &run.summary.observed;
        for event in observations.events.iter().filter(|e| e.task <= FULL_TASKS) {
            write_observed(out, event, &mut last, &mut last_task)?;
            observed += 1;
        }
        let mut last = 0u64;
        for park in &observations.parks {
            out.write_all(&[tag::MODEL_PARK])?;
            put_signed(out, delta(&mut last, nanos(park.at)))?;
            put(out, park.thread.into())?;
            out.write_all(&[u8::from(park.parked)])?;
        }
        let locks = run.summary.locks.iter().filter(|m| m.task <= FULL_TASKS);
        let mut lock_waits = 0u64;
        for mark in locks {
            out.write_all(&[tag::LOCK_WAIT])?;
            put(out, mark.task.into())?;
            put(out, nanos(mark.asked))?;
            put(out, mark.got.map_or(0, |g| nanos(g).saturating_add(1)))?;
            lock_waits += 1;
        }
        if let Some(tallies) = &observations.tallies {
            write_census(out, tallies)?;
        }
        let json = serde_json::to_vec(concluded)?;
        out.write_all(&[tag::SUMMARY])?;
        put(out, json.len() as u64)?;
        out.write_all(&json)?;
        out.write_all(&[tag::END])?;
        for count in [self.written, run.parks.len() as u64, observed, lock_waits] {
            put(out, count)?;
        }
        out.flush()
    }
}

/// The size of the chunks the conclusion hands to the file's writer.
const CHUNK_BYTES: usize = 64 * 1024;

/// A `Vec` in front of a writer, emptied into it when it holds a chunk.
struct Chunked<'a, W: Write> {
    out: &'a mut W,
    buf: Vec<u8>,
}

impl<W: Write> Write for Chunked<'_, W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= CHUNK_BYTES {
            self.out.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        self.out.flush()
    }
}

/// Writes one observation (tag 17), its time and task as differences
/// from the previous one's.
pub(crate) fn write_observed(
    out: &mut impl Write,
    event: &Observed,
    last: &mut u64,
    last_task: &mut u64,
) -> io::Result<()> {
    out.write_all(&[tag::OBSERVED])?;
    put_signed(out, delta(last, event.at))?;
    put_signed(out, delta(last_task, event.task.into()))?;
    put(out, event.thread.into())?;
    let (kind, payload) = observed_code(event.what, event.at);
    out.write_all(&[kind])?;
    match (kind, payload) {
        (0 | 1, Some(took)) => put(out, took as u64),
        (_, Some(deadline)) => put_signed(out, deadline),
        _ => Ok(()),
    }
}

/// Writes the census (tag 22): the histogram of each state's time per
/// task, in [`crate::state::TaskState::ALL`]'s order, then that of the
/// polls per task, each as its buckets that counted something and its
/// exact extremes; then the picture's band, as its bucket width and the
/// buckets that are not zero of its four arrays.
fn write_census(out: &mut impl Write, tallies: &Tallies) -> io::Result<()> {
    out.write_all(&[tag::CENSUS])?;
    for histogram in tallies.micros.iter().chain([&tallies.polls]) {
        let (buckets, (min, max)) = histogram.parts();
        let buckets: Vec<(usize, u64)> = buckets.collect();
        put(out, buckets.len() as u64)?;
        for (index, count) in buckets {
            put(out, index as u64)?;
            put(out, count)?;
        }
        put(out, min)?;
        put(out, max)?;
    }
    let (width, arrays) = tallies.band.parts();
    put(out, width)?;
    for values in arrays {
        let values: Vec<(usize, i64)> = values.collect();
        put(out, values.len() as u64)?;
        for (index, value) in values {
            put(out, index as u64)?;
            put_signed(out, value)?;
        }
    }
    Ok(())
}

/// The follower that writes the ordered events into the recording while
/// the run goes. Called under the sink's lock: a few varints into a
/// buffer per event.
struct Tape(Arc<Mutex<Writer>>);

impl Follower for Tape {
    fn follow(&mut self, event: &RunEvent<'_>, _out: &mut dyn Write) -> io::Result<()> {
        // Half the events are a wait's beginning or end, which are not
        // written (see the layout): not worth the lock.
        if matches!(
            event,
            RunEvent::WaitBegan { .. } | RunEvent::WaitEnded { failed: false, .. }
        ) {
            return Ok(());
        }
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .event(event)
    }

    fn wants_threads(&self) -> bool {
        true
    }
}

/// The output that ends the recording when the run concludes.
struct Conclusion(Arc<Mutex<Writer>>);

impl Exporter<Single> for Conclusion {
    /// Ends the recording through the writer the ordered events went
    /// through, so that the conclusion follows them in the file; `out`,
    /// the target's own writer, is a placeholder that takes nothing.
    fn write(&self, _out: &mut dyn Write, run: &Finished<'_>) -> io::Result<()> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .conclude(run)
    }
}

/// Starts recording the run of `config` into `path` (`-`: stdout): the
/// file is created and its header written now, the ordered events follow
/// the sink from here on, and the conclusion is one of the run's exports.
pub(crate) fn start(
    config: &Config,
    sink: &Sink,
    exports: &Exports<Single>,
    path: &Path,
) -> anyhow::Result<()> {
    let export::Target { out, what } = export::create(path, "recording")?;
    let header = Header {
        command: std::env::args_os()
            .map(|arg| arg.to_string_lossy().into_owned())
            .collect(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        demo: config.demo,
        tasks: config.tasks,
        runtime: config.way.runtime.map(Runtime::kind),
        workers: config.way.runtime.and_then(Runtime::workers),
        cpus: std::thread::available_parallelism().map_or(1, usize::from),
        full_tasks: FULL_TASKS,
        given_delay_secs: config.delay.as_secs_f64(),
    };
    // A run that keeps a census ends its recording with it: a newer
    // format, which only such a run's file takes.
    let version = match crate::report::census(config) {
        Some(_) => CENSUS_VERSION,
        None => RUN_VERSION,
    };
    let mut out = io::BufWriter::with_capacity(256 * 1024, out);
    let written: io::Result<()> = (|| {
        out.write_all(MAGIC)?;
        out.write_all(&version.to_le_bytes())?;
        let json = serde_json::to_vec(&header)?;
        put(&mut out, json.len() as u64)?;
        out.write_all(&json)?;
        // Out now, so that a run killed at once still leaves a recording
        // that says what ran.
        out.flush()
    })();
    anyhow::Context::context(written, what.clone())?;
    let writer = Arc::new(Mutex::new(Writer {
        out,
        demo: config.demo,
        last_at: 0,
        written: 0,
        threads: 0,
        scratch: Vec::with_capacity(64),
    }));
    sink.follow_with(Box::new(Tape(Arc::clone(&writer))), what.clone());
    // Past the cut-off the run forwards no polls (`narrate::forwards`), and
    // a replay rebuilds the narrated tasks' polls from the observations;
    // but what their waits saw (a call queued while every connection was
    // busy, the connection that took it) is seen only now, so those steps
    // are still told, for the few narrated tasks: a comparison per wait.
    if !crate::narrate::forwards(config) {
        sink.narrate_calls(crate::report::narration::NARRATED);
    }
    // When nobody else follows the lines and none is shown, the lines past
    // the cut-off cost what a plain run's do: a count, no lock.
    let others = config.record || config.trace.is_some() || config.live || config.explain;
    if config.line_style() == LineStyle::Silent && !others {
        sink.follow_first(FULL_TASKS);
    }
    exports.add_target(
        Conclusion(writer),
        export::Target {
            out: Box::new(io::sink()),
            what,
        },
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes written, shared with the test.
    #[derive(Clone, Default)]
    struct Bytes(Arc<Mutex<Vec<u8>>>);

    impl Write for Bytes {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl Bytes {
        fn bytes(&self) -> Vec<u8> {
            self.0.lock().unwrap().clone()
        }
    }

    /// A writer into a buffer, for `demo`.
    fn writer(demo: Demo) -> (Writer, Bytes) {
        let captured = Bytes::default();
        let writer = Writer {
            out: io::BufWriter::new(Box::new(captured.clone())),
            demo,
            last_at: 0,
            written: 0,
            threads: 0,
            scratch: Vec::new(),
        };
        (writer, captured)
    }

    fn line(task: u32, at_ns: u64, text: &str) -> RunEvent<'_> {
        RunEvent::Line {
            event: crate::vocab::Event {
                at: std::time::Duration::from_nanos(at_ns),
                task,
                phase: Phase::First,
                thread: 1,
            },
            text: text.into(),
        }
    }

    #[test]
    fn a_line_of_the_demos_own_words_takes_five_bytes_and_past_the_cut_off_none() {
        let (mut w, captured) = writer(Demo::Count);
        w.event(&line(1, 1000, "One")).unwrap();
        w.event(&line(FULL_TASKS + 1, 2000, "One")).unwrap();
        w.out.flush().unwrap();
        // tag, Δat 1000 zigzagged (2 bytes), task, thread, text 0.
        assert_eq!(captured.bytes(), [tag::LINE_FIRST, 0xd0, 0x0f, 1, 1, 0]);
        assert_eq!(w.written, 1);
    }

    #[test]
    fn a_line_of_other_words_is_written_out() {
        let (mut w, captured) = writer(Demo::Count);
        w.event(&line(2, 0, "Uno")).unwrap();
        w.out.flush().unwrap();
        assert_eq!(
            captured.bytes(),
            [tag::LINE_FIRST, 0, 2, 1, 4, b'U', b'n', b'o']
        );
    }

    #[test]
    fn each_kind_of_record_is_laid_out_as_documented() {
        use std::time::Duration;
        let (mut w, captured) = writer(Demo::Lock);
        let at = Duration::from_nanos;
        let events = [
            RunEvent::WaitEnded {
                at: at(1),
                task: 2,
                thread: 3,
                failed: true,
            },
            RunEvent::Thread(crate::vocab::Park {
                at: at(2),
                thread: 4,
                parked: true,
            }),
            RunEvent::Poll {
                at: at(3),
                task: 1,
                thread: 5,
                step: PollStep::Ended {
                    took: at(7),
                    ready: true,
                },
            },
            RunEvent::Poll {
                at: at(4),
                task: 1,
                thread: 5,
                step: PollStep::Call(CallStep::QueryQueued {
                    busy: 2,
                    connections: 2,
                }),
            },
            RunEvent::Lock {
                at: at(5),
                task: 3,
                thread: 1,
                step: LockStep::Got,
                lock: LockKind::Tokio,
                holder: Some(2),
            },
            RunEvent::Caller {
                at: at(6),
                thread: 9,
                waiting: true,
            },
            RunEvent::Finished { at: at(8) },
            // Not written: a wait's ordinary end, and past the cut-off.
            RunEvent::WaitEnded {
                at: at(9),
                task: 1,
                thread: 1,
                failed: false,
            },
            RunEvent::Lock {
                at: at(9),
                task: FULL_TASKS + 1,
                thread: 1,
                step: LockStep::Asked,
                lock: LockKind::Std,
                holder: None,
            },
            RunEvent::Stalled { at: at(10) },
        ];
        for event in &events {
            w.event(event).unwrap();
        }
        w.out.flush().unwrap();
        // Each: tag, Δat zigzagged (+1 ns is 2), task, thread, fields.
        let expected: &[&[u8]] = &[
            &[tag::WAIT_ENDED, 2, 2, 3, 1],
            &[tag::THREAD, 2, 4, 1],
            &[tag::POLL, 2, 1, 5, 2, 7],
            &[tag::POLL, 2, 1, 5, 7, 2, 2],
            &[tag::LOCK, 2, 3, 1, 1, 1, 3],
            &[tag::CALLER, 2, 9, 1],
            &[tag::FINISHED, 4],
            &[tag::STALLED, 4],
        ];
        assert_eq!(captured.bytes(), expected.concat());
        assert_eq!(w.written, 8);
        assert_eq!(w.threads, 1);
    }

    #[test]
    fn varints_take_one_byte_below_128_and_zigzag_round_trips() {
        let mut out = Vec::new();
        put(&mut out, 127).unwrap();
        assert_eq!(out, [127]);
        out.clear();
        put(&mut out, 300).unwrap();
        assert_eq!(out, [0xac, 0x02]);
        for value in [0i64, -1, 1, -2, i64::MAX, i64::MIN, 1_000_000_007] {
            let zig = ((value << 1) ^ (value >> 63)) as u64;
            assert_eq!(unzigzag(zig), value);
        }
    }
}
