//! Reading a recording back ([`crate::record`] has the layout), checking
//! everything: a file is input from outside, and a bad one gets a clear
//! error or a partial replay with a note, never a panic, a hang or
//! unbounded memory.
//!
//! Bounded how: the file's size is checked first ([`MAX_FILE_BYTES`]), every
//! length is checked before anything is allocated for it, every count of
//! kept records has a ceiling, and every number is checked against what a
//! run can produce (a task within the header's count, a time within
//! [`MAX_NANOS`]).

use crate::events::{CallStep, PollStep, RunEvent};
use crate::interrupt::Signal;
use crate::net::escaped;
use crate::outcome::LockMark;
use crate::record::{self, Concluded, FULL_TASKS, Header, MAGIC, VERSION, tag};
use crate::report::Summary;
use crate::state::{Band, Histogram, Observed, Tallies, TaskState, What};
use crate::vocab::{Event, Park, Phase};
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::time::Duration;

/// The largest file taken: a million-task recording is well under
/// 100 MB, and the cut-off keeps every recording near that.
pub(crate) const MAX_FILE_BYTES: u64 = 512 * 1024 * 1024;

/// The longest JSON (the header, the summary) a recording may hold.
const MAX_JSON_BYTES: u64 = 1024 * 1024;

/// The longest line text.
const MAX_TEXT_BYTES: u64 = 4096;

/// The latest time a record may carry: a day, far past any run.
pub(crate) const MAX_NANOS: u64 = 86_400 * 1_000_000_000;

/// The most records of each kind kept; past them the replay is partial.
pub(super) const MAX_RECORDS: usize = 16_000_000;

/// The most OS threads a recording may name.
const MAX_THREAD: u64 = 1_000_000;

/// One ordered event of a recorded run: the run's own event type, owning
/// its text (the demo's words, or the text the recording kept, escaped).
pub(crate) type Recorded = RunEvent<'static>;

/// A recording, read.
pub(crate) struct Recording {
    pub(crate) header: Header,
    /// The ordered events, in order.
    pub(crate) tape: Vec<Recorded>,
    /// The pictures' parks.
    pub(crate) parks: Vec<Park>,
    pub(crate) observed: Vec<Observed>,
    /// The parks the model was built with.
    pub(crate) model_parks: Vec<Park>,
    pub(crate) locks: Vec<LockMark>,
    /// The census of every task, when the run kept one (format 3): the
    /// JSON's distributions past the cut-off.
    pub(crate) census: Option<Box<Tallies>>,
    /// The summary and the signal; `None` when the file ends before them.
    pub(crate) concluded: Option<(Summary, Option<Signal>)>,
    /// A compare row's words (format 2), escaped.
    pub(crate) why: Option<String>,
    /// Why the replay is partial, if it is: the file was cut, a record was
    /// bad, a ceiling was reached. Each becomes a note on stderr.
    pub(crate) notes: Vec<String>,
}

/// Why a recording cannot be replayed at all.
#[derive(Debug)]
pub(crate) struct Refused(pub(crate) String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// A bad record: where, and what.
pub(super) struct Bad(pub(super) String);

/// Bytes with a count of how many were read.
pub(super) struct Input<R: Read> {
    inner: io::Take<R>,
    pub(super) offset: u64,
}

impl<R: Read> Input<R> {
    /// `reader`, of which at most [`MAX_FILE_BYTES`] are read.
    pub(super) fn new(reader: R) -> Input<R> {
        Input {
            inner: reader.take(MAX_FILE_BYTES),
            offset: 0,
        }
    }

    /// One byte; `None` at the end of the file.
    pub(super) fn byte(&mut self) -> Result<Option<u8>, Bad> {
        let mut one = [0u8];
        loop {
            match self.inner.read(&mut one) {
                Ok(0) => return Ok(None),
                Ok(_) => {
                    self.offset += 1;
                    return Ok(Some(one[0]));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Bad(format!("reading: {e}"))),
            }
        }
    }

    /// One byte that must be there.
    fn need(&mut self) -> Result<u8, Bad> {
        self.byte()?.ok_or_else(|| Bad(CUT.into()))
    }

    /// A varint (at most ten bytes, at most 64 bits).
    pub(super) fn varint(&mut self) -> Result<u64, Bad> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = self.need()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                return Err(Bad("a number larger than 64 bits".into()));
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(Bad("a number larger than 64 bits".into()))
    }

    /// A varint no larger than `most`, named `what` in the error.
    fn bounded(&mut self, most: u64, what: &str) -> Result<u64, Bad> {
        let value = self.varint()?;
        if value > most {
            return Err(Bad(format!(
                "{what} {value} is out of range (at most {most})"
            )));
        }
        Ok(value)
    }

    /// `n` bytes, `n` checked by the caller.
    fn bytes(&mut self, n: u64) -> Result<Vec<u8>, Bad> {
        let mut out = Vec::with_capacity(n as usize);
        (&mut self.inner)
            .take(n)
            .read_to_end(&mut out)
            .map_err(|e| Bad(format!("reading: {e}")))?;
        self.offset += out.len() as u64;
        if (out.len() as u64) < n {
            return Err(Bad(CUT.into()));
        }
        Ok(out)
    }

    /// A length-prefixed JSON document.
    pub(super) fn json(&mut self, what: &str) -> Result<Vec<u8>, Bad> {
        let n = self.bounded(MAX_JSON_BYTES, &format!("the {what}'s length"))?;
        self.bytes(n)
    }

    /// A flag byte: 0 or 1.
    fn flag(&mut self) -> Result<bool, Bad> {
        match self.need()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(Bad(format!("a flag of {other}, not 0 or 1"))),
        }
    }
}

/// A byte that `of` decodes, named `what` in the error when it does not.
fn coded<R: Read, T>(input: &mut Input<R>, of: fn(u8) -> Option<T>, what: &str) -> Result<T, Bad> {
    let code = input.need()?;
    of(code).ok_or_else(|| Bad(format!("{what} {code}")))
}

/// What a cut file's last record says.
pub(super) const CUT: &str = "the file ends in the middle of a record";

/// A time chain: each record's time is a difference from the last.
struct Clock(u64);

impl Clock {
    fn next<R: Read>(&mut self, input: &mut Input<R>) -> Result<Duration, Bad> {
        let d = record::unzigzag(input.varint()?);
        let at = (self.0 as i64).checked_add(d).filter(|t| *t >= 0);
        match at {
            Some(at) if (at as u64) <= MAX_NANOS => {
                self.0 = at as u64;
                Ok(Duration::from_nanos(at as u64))
            }
            _ => Err(Bad(format!(
                "a time of {} ns after {} ns, outside the run",
                d, self.0
            ))),
        }
    }
}

/// Reads the recording at `path`.
pub(crate) fn read(path: &Path) -> Result<Recording, Refused> {
    from_reader(open(path)?)
}

/// Opens the recording at `path`, its size checked.
pub(super) fn open(path: &Path) -> Result<BufReader<File>, Refused> {
    let file = File::open(path).map_err(|e| Refused(format!("opening it: {e}")))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > MAX_FILE_BYTES {
        return Err(Refused(format!(
            "it is {} MB, larger than any recording asyncdemo writes (at most {} MB)",
            size / 1_000_000,
            MAX_FILE_BYTES / 1_000_000
        )));
    }
    Ok(BufReader::with_capacity(256 * 1024, file))
}

/// Whether the file at `path` is a compare recording (format version
/// [`record::COMPARE_VERSION`]); a file that cannot be read is not, and
/// its reading says why.
pub(super) fn is_compare(path: &Path) -> bool {
    let mut start = [0u8; MAGIC.len() + 2];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut start))
        .is_ok()
        && start[..MAGIC.len()] == MAGIC[..]
        && u16::from_le_bytes([start[MAGIC.len()], start[MAGIC.len() + 1]])
            == record::COMPARE_VERSION
}

/// Reads a recording from `reader`.
pub(crate) fn from_reader(reader: impl Read) -> Result<Recording, Refused> {
    let mut input = Input::new(reader);
    if preamble(&mut input)? == record::COMPARE_VERSION {
        return Err(Refused(
            "it is a compare recording, which this reader does not take".into(),
        ));
    }
    let header = header(&mut input)?;
    body(&mut input, header, MAX_RECORDS)
}

/// Reads the magic and the format version, and returns the version.
pub(super) fn preamble<R: Read>(input: &mut Input<R>) -> Result<u16, Refused> {
    let magic = input.bytes(MAGIC.len() as u64);
    if magic.as_deref().ok() != Some(&MAGIC[..]) {
        return Err(Refused(
            "it is not an asyncdemo recording (it does not begin as one; record a run with --record FILE)"
                .into(),
        ));
    }
    let version = input
        .bytes(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .map_err(|_| Refused("it ends before its format version".into()))?;
    if version > VERSION {
        return Err(Refused(format!(
            "it is in format version {version}, newer than this asyncdemo reads (version {VERSION}): \
             replay it with the asyncdemo that recorded it, or a newer one"
        )));
    }
    if version == 0 {
        return Err(Refused(
            "it says format version 0, which no asyncdemo writes".into(),
        ));
    }
    Ok(version)
}

/// Reads one run's header, checked.
pub(super) fn header<R: Read>(input: &mut Input<R>) -> Result<Header, Refused> {
    let header = input
        .json("header")
        .and_then(|json| serde_json::from_slice::<Header>(&json).map_err(|e| Bad(e.to_string())))
        .map_err(|Bad(why)| Refused(format!("its header is unreadable: {why}")))?;
    if header.tasks == 0 || header.tasks > crate::cli::MAX_TASKS {
        return Err(Refused(format!(
            "its header says {} tasks; a run has 1 to {}",
            header.tasks,
            crate::cli::MAX_TASKS
        )));
    }
    Ok(header)
}

/// Reads one run's records, up to its `end` record or the end of the
/// file, keeping at most `limit` records of each kind.
pub(super) fn body<R: Read>(
    input: &mut Input<R>,
    header: Header,
    limit: usize,
) -> Result<Recording, Refused> {
    let mut recording = Recording {
        header,
        tape: Vec::new(),
        parks: Vec::new(),
        observed: Vec::new(),
        model_parks: Vec::new(),
        locks: Vec::new(),
        census: None,
        concluded: None,
        why: None,
        notes: Vec::new(),
    };
    let mut reading = Reading {
        tape_clock: Clock(0),
        park_clock: Clock(0),
        model_park_clock: Clock(0),
        observed_clock: Clock(0),
        last_task: 0,
        ended: false,
    };
    loop {
        let at = input.offset;
        let tag = match input.byte() {
            Ok(Some(tag)) => tag,
            Ok(None) => break,
            Err(Bad(why)) => return Err(Refused(format!("byte {at}: {why}"))),
        };
        match reading.record(tag, input, &mut recording) {
            Ok(()) => {}
            // A file cut in the middle of a record replays up to it.
            Err(Bad(why)) if why == CUT => break,
            Err(Bad(why)) => {
                return Err(Refused(format!(
                    "its record at byte {at} is malformed: {why}"
                )));
            }
        }
        if reading.ended {
            break;
        }
        if recording.tape.len() >= limit || recording.observed.len() >= limit {
            recording.notes.push(format!(
                "more than {limit} records of one kind; the replay stops there"
            ));
            break;
        }
    }
    if !reading.ended && recording.notes.is_empty() {
        // Cut between records or inside one: either way, what came before
        // is whole.
        recording.notes.push(
            "the recording was cut (its run was killed, or its disk filled up): \
             the replay stops where it ends"
                .into(),
        );
    }
    Ok(recording)
}

/// The state of one pass over the records.
struct Reading {
    tape_clock: Clock,
    park_clock: Clock,
    model_park_clock: Clock,
    observed_clock: Clock,
    last_task: u64,
    ended: bool,
}

impl Reading {
    /// Reads one record of tag `tag` into `recording`.
    fn record<R: Read>(
        &mut self,
        tag: u8,
        input: &mut Input<R>,
        recording: &mut Recording,
    ) -> Result<(), Bad> {
        let tasks = u64::from(recording.header.tasks.min(FULL_TASKS));
        let task = |input: &mut Input<R>| -> Result<u32, Bad> {
            let task = input.varint()?;
            if task == 0 || task > tasks {
                return Err(Bad(format!(
                    "task {task}, which the run did not have (it had {tasks})"
                )));
            }
            Ok(task as u32)
        };
        let thread = |input: &mut Input<R>| -> Result<u32, Bad> {
            Ok(input.bounded(MAX_THREAD, "thread number")? as u32)
        };
        let count = |input: &mut Input<R>, what: &str| -> Result<u32, Bad> {
            Ok(input.bounded(u64::from(u32::MAX), what)? as u32)
        };
        let event = match tag {
            tag::LINE_FIRST | tag::LINE_LAST => {
                let at = self.tape_clock.next(input)?;
                let (task, thread) = (task(input)?, thread(input)?);
                let phase = if tag == tag::LINE_FIRST {
                    Phase::First
                } else {
                    Phase::Last
                };
                // 0: the demo's own words, which the run did not write out.
                let text = match input.bounded(MAX_TEXT_BYTES + 1, "a line's length")? {
                    0 => recording.header.demo.text(task, phase),
                    n => {
                        let bytes = input.bytes(n - 1)?;
                        let text = String::from_utf8_lossy(&bytes);
                        escaped(&text, MAX_TEXT_BYTES as usize).into()
                    }
                };
                Recorded::Line {
                    event: Event {
                        at,
                        task,
                        phase,
                        thread,
                    },
                    text,
                }
            }
            tag::WAIT_BEGAN => Recorded::WaitBegan {
                at: self.tape_clock.next(input)?,
                task: task(input)?,
                thread: thread(input)?,
            },
            tag::WAIT_ENDED => Recorded::WaitEnded {
                at: self.tape_clock.next(input)?,
                task: task(input)?,
                thread: thread(input)?,
                failed: input.flag()?,
            },
            tag::THREAD => Recorded::Thread(Park {
                at: self.tape_clock.next(input)?,
                thread: thread(input)?,
                parked: input.flag()?,
            }),
            tag::POLL => {
                let at = self.tape_clock.next(input)?;
                let (task, thread) = (task(input)?, thread(input)?);
                let step = match input.need()? {
                    0 => PollStep::Began,
                    code @ (1 | 2) => PollStep::Ended {
                        took: Duration::from_nanos(input.bounded(MAX_NANOS, "a poll's time")?),
                        ready: code == 2,
                    },
                    3 => PollStep::Woken,
                    4 => PollStep::Call(CallStep::Armed {
                        due: Duration::from_nanos(input.bounded(MAX_NANOS, "a timer's deadline")?),
                    }),
                    5 => PollStep::Call(CallStep::PoolQueued),
                    6 => PollStep::Call(CallStep::PoolStarted),
                    7 => PollStep::Call(CallStep::QueryQueued {
                        busy: count(input, "busy connections")?,
                        connections: count(input, "connections")?,
                    }),
                    8 => PollStep::Call(CallStep::QuerySent {
                        connection: count(input, "a connection's number")?,
                    }),
                    other => return Err(Bad(format!("a poll step of {other}"))),
                };
                Recorded::Poll {
                    at,
                    task,
                    thread,
                    step,
                }
            }
            tag::LOCK => Recorded::Lock {
                at: self.tape_clock.next(input)?,
                task: task(input)?,
                thread: thread(input)?,
                step: coded(input, record::lock_step_of, "a lock step of")?,
                lock: coded(input, record::lock_kind_of, "a lock of kind")?,
                // The holder's number + 1; 0 for none.
                holder: (input.bounded(tasks + 1, "a lock's holder")?)
                    .checked_sub(1)
                    .map(|holder| holder as u32),
            },
            tag::CALLER => Recorded::Caller {
                at: self.tape_clock.next(input)?,
                thread: thread(input)?,
                waiting: input.flag()?,
            },
            tag::FINISHED => Recorded::Finished {
                at: self.tape_clock.next(input)?,
            },
            tag::STALLED => Recorded::Stalled {
                at: self.tape_clock.next(input)?,
            },
            tag::PARK => {
                recording.parks.push(Park {
                    at: self.park_clock.next(input)?,
                    thread: thread(input)?,
                    parked: input.flag()?,
                });
                return Ok(());
            }
            tag::MODEL_PARK => {
                recording.model_parks.push(Park {
                    at: self.model_park_clock.next(input)?,
                    thread: thread(input)?,
                    parked: input.flag()?,
                });
                return Ok(());
            }
            tag::OBSERVED => {
                let at = self.observed_clock.next(input)?;
                let d = record::unzigzag(input.varint()?);
                let task = (self.last_task as i64)
                    .checked_add(d)
                    .filter(|t| *t >= 1 && (*t as u64) <= tasks)
                    .ok_or_else(|| {
                        Bad(format!(
                            "an observation of a task the run did not have (it had {tasks})"
                        ))
                    })? as u64;
                self.last_task = task;
                let thread = thread(input)?;
                let at_ns = at.as_nanos() as u64;
                let what = match input.need()? {
                    kind @ (0 | 1) => What::Polled {
                        took: input.bounded(MAX_NANOS, "a poll's time")?,
                        ready: kind == 1,
                    },
                    2 => What::Woken,
                    3 => {
                        let d = record::unzigzag(input.varint()?);
                        let deadline = (at_ns as i64)
                            .checked_add(d)
                            .filter(|t| *t >= 0 && (*t as u64) <= MAX_NANOS)
                            .ok_or_else(|| Bad("a timer's deadline outside the run".into()))?;
                        What::Armed {
                            deadline: deadline as u64,
                        }
                    }
                    4 => What::Queued,
                    5 => What::PoolStarted,
                    6 => What::PoolEnded,
                    7 => What::HeldBegan,
                    8 => What::HeldEnded,
                    9 => What::LockAsked,
                    10 => What::LockGot,
                    11 => What::Line { first: true },
                    12 => What::Line { first: false },
                    13 => What::Sent,
                    other => return Err(Bad(format!("an observation of kind {other}"))),
                };
                recording.observed.push(Observed {
                    at: at_ns,
                    task: task as u32,
                    thread,
                    what,
                });
                return Ok(());
            }
            tag::LOCK_WAIT => {
                let task = task(input)?;
                let asked = Duration::from_nanos(input.bounded(MAX_NANOS, "a lock's time")?);
                let got = match input.bounded(MAX_NANOS + 1, "a lock's time")? {
                    0 => None,
                    n => Some(Duration::from_nanos(n - 1)),
                };
                recording.locks.push(LockMark { task, asked, got });
                return Ok(());
            }
            tag::CENSUS => {
                recording.census = Some(Box::new(census(input)?));
                return Ok(());
            }
            tag::SUMMARY => {
                let json = input.json("summary")?;
                let concluded: Concluded = serde_json::from_slice(&json)
                    .map_err(|e| Bad(format!("its summary is unreadable: {e}")))?;
                let signal = match concluded.signal.as_deref() {
                    None => None,
                    Some("interrupt") => Some(Signal::Interrupt),
                    Some("terminate") => Some(Signal::Terminate),
                    Some(_) => return Err(Bad("its summary names an unknown signal".into())),
                };
                recording.concluded = Some((escaped_summary(concluded.summary), signal));
                recording.why = concluded.why.map(|w| escaped(&w, MAX_TEXT_BYTES as usize));
                return Ok(());
            }
            tag::END => {
                // The counts are there for a reader that wants to check;
                // a record that was missing would have failed already.
                for _ in 0..4 {
                    input.varint()?;
                }
                self.ended = true;
                return Ok(());
            }
            other => return Err(Bad(format!("an unknown record (tag {other})"))),
        };
        recording.tape.push(event);
        Ok(())
    }
}

/// Reads a census record's fields ([`record`]'s `write_census`), each
/// count bounded and each histogram and the band checked as they are
/// rebuilt.
fn census<R: Read>(input: &mut Input<R>) -> Result<Tallies, Bad> {
    // More than a histogram's or the band's buckets: never in a run's file.
    const MOST: u64 = 8192;
    let out_of_range = || Bad("a census out of range".into());
    let mut histograms = Vec::with_capacity(TaskState::ALL.len() + 1);
    for _ in 0..=TaskState::ALL.len() {
        let n = input.bounded(MOST, "a histogram's buckets")?;
        let mut buckets = Vec::with_capacity(n as usize);
        for _ in 0..n {
            let index = input.bounded(MOST, "a bucket")? as usize;
            buckets.push((
                index,
                input.bounded(u64::from(u32::MAX), "a bucket's count")?,
            ));
        }
        let extremes = (input.varint()?, input.varint()?);
        histograms.push(Histogram::from_parts(&buckets, extremes).ok_or_else(out_of_range)?);
    }
    let width = input.varint()?;
    let mut arrays: [Vec<(usize, i64)>; 4] = Default::default();
    for values in &mut arrays {
        let n = input.bounded(MOST, "the band's buckets")?;
        for _ in 0..n {
            let index = input.bounded(MOST, "a bucket")? as usize;
            values.push((index, record::unzigzag(input.varint()?)));
        }
    }
    let [a, b, c, d] = &arrays;
    let band = Band::from_parts(width, [a, b, c, d]).ok_or_else(out_of_range)?;
    let polls = histograms.pop().ok_or_else(out_of_range)?;
    Ok(Tallies {
        micros: histograms,
        polls,
        band,
    })
}

/// The summary with every text in it escaped: it came from a file.
fn escaped_summary(summary: Summary) -> Summary {
    Summary {
        version: escaped(&summary.version, MAX_TEXT_BYTES as usize),
        failures: summary
            .failures
            .into_iter()
            .map(|f| crate::report::TaskFailure {
                task: f.task,
                reason: escaped(&f.reason, MAX_TEXT_BYTES as usize),
            })
            .collect(),
        checks: summary
            .checks
            .into_iter()
            .map(|c| crate::report::CheckResult {
                name: escaped(&c.name, MAX_TEXT_BYTES as usize),
                ..c
            })
            .collect(),
        ran: summary
            .ran
            .as_deref()
            .map(|t| escaped(t, MAX_TEXT_BYTES as usize)),
        error: summary
            .error
            .as_deref()
            .map(|t| escaped(t, MAX_TEXT_BYTES as usize)),
        ..summary
    }
}
