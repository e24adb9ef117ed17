//! `compare --python`: the notes' own Python programs, run by python3 beside
//! the tokio rows, so that asyncio and tokio meet in one table.
//!
//! The programs live in `python/rows.py`, embedded in the binary and run
//! with `python3 -c`, once per row: a hung or crashed row costs only itself.
//! The script records each task line with its `time.perf_counter()` time and
//! prints the record after the measured part, so that a Python row gets the
//! same events as a tokio row (the same verdicts, timeline and SVG panel).
//! As in the notes, the clock starts just before `asyncio.run(main())`:
//! the interpreter's start-up and its imports are not inside the elapsed.
//!
//! Every run has a deadline. python3 runs in a process group of its own, so
//! that the group can be ended as a whole: when python3 exits (once what it
//! printed is in), at its deadline, or on Ctrl-C, which in the terminal
//! reaches asyncdemo alone ([`stop_running`]). Nothing a row started
//! outlives the row, unless it left the group on purpose (`setsid`).

use crate::cli::Workload;
use crate::config::Runtime;
use crate::config::{Config, Way};
use crate::dburl::Database;
use crate::http;
use crate::interrupt::Signal;
use crate::limits;
use crate::net::escaped;
use crate::outcome::{Outcome, Polls};
use crate::report::Language;
use crate::report::compare::Row;
use crate::report::{Summary, marks};
use crate::vocab::{Demo, Event, Mode, Park, PeerKind, Phase};
use std::io::{self, Read, Write};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The programs, one row per run (see its docstring for the protocol).
const SCRIPT: &str = include_str!("python/rows.py");

/// The interpreter, looked up on `PATH` as a shell would.
const PROGRAM: &str = "python3";

/// What a run may take beyond running its tasks one after another, by
/// default: start-up and imports (aiohttp takes a few hundred milliseconds)
/// on a busy machine. The same slack as `fetch`'s `--timeout`.
const DEADLINE_SLACK: Duration = Duration::from_secs(10);

/// How often the deadline is checked while python3 runs.
const POLL_EVERY: Duration = Duration::from_millis(10);

/// How long to wait for python3's pipes to close once it has exited: a
/// process it left behind outside its group could keep them open for ever.
const PIPE_GRACE: Duration = Duration::from_secs(1);

/// How much of python3's stderr is kept: its last lines say why it failed.
const STDERR_TAIL: usize = 64 * 1024;

/// Bytes of stdout allowed per recorded fact: far more than a line needs,
/// and a bound on what a misbehaving python3 can make asyncdemo hold.
const BYTES_PER_LINE: u64 = 128;

/// The longest reason a failed row quotes from python3.
const MAX_REASON_CHARS: usize = 200;

/// The exit status of a row whose package does not import.
const MISSING_PACKAGE: i32 = 3;

/// The exit status of a Python older than 3.9.
const TOO_OLD: i32 = 4;

/// The process group of the python3 running now (0: none), for
/// [`stop_running`].
static RUNNING: AtomicI32 = AtomicI32::new(0);

/// Set by [`stop_running`]: the process is ending, and a python3 started
/// from now on (or between its spawn and its entry in [`RUNNING`]) is
/// stopped by whoever started it.
static STOPPING: AtomicBool = AtomicBool::new(false);

/// One of the Python rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Program {
    /// The row's name in the script.
    key: &'static str,
    /// The tokio mode that waits the same way: it decides how the pictures
    /// colour the waits, and which rows `compare --ways` picks.
    pub(crate) mode: Mode,
    /// What ran, in Python's words.
    pub(crate) ran: &'static str,
    /// Why it behaves as it does, for the verdict.
    pub(crate) why: &'static str,
}

impl Program {
    /// What `replay --way` calls its row: python-KEY.
    pub(crate) fn name(&self) -> String {
        format!("python-{}", self.key)
    }
}

/// The rows of `count` and `hello`, in the order of the tokio rows.
const SLEEPING: [Program; 5] = [
    Program {
        key: "gather",
        mode: Mode::Async,
        ran: "asyncio.sleep under gather",
        why: "asyncio.sleep gives execution back to the event loop while it waits",
    },
    Program {
        key: "blocking",
        mode: Mode::Blocking,
        ran: "time.sleep inside the coroutines",
        why: "time.sleep blocks the event loop",
    },
    Program {
        key: "to_thread",
        mode: Mode::SpawnBlocking,
        ran: "asyncio.to_thread(time.sleep) under gather",
        why: "the sleeps run on asyncio's default executor of at most min(32, CPUs + 4) threads, started as the calls need them",
    },
    Program {
        key: "threads",
        mode: Mode::Threads,
        ran: "a threading.Thread per task",
        why: "each task holds an OS thread of its own",
    },
    Program {
        key: "uvloop",
        mode: Mode::Async,
        ran: "asyncio.sleep under gather, on uvloop",
        why: "uvloop's event loop is free while asyncio.sleep waits",
    },
];

/// The rows of `fetch`: the two clients the notes contrast.
const FETCHING: [Program; 2] = [
    Program {
        key: "aiohttp",
        mode: Mode::Async,
        ran: "aiohttp under gather",
        why: "aiohttp gives the event loop back while it awaits the reply",
    },
    Program {
        key: "requests",
        mode: Mode::Blocking,
        ran: "requests inside the coroutines",
        why: "a requests call blocks the event loop",
    },
];

/// The rows of `query` on SQLite: the blocking module and the async one.
const QUERYING_SQLITE: [Program; 2] = [
    Program {
        key: "aiosqlite",
        mode: Mode::Async,
        ran: "aiosqlite under gather",
        why: "aiosqlite runs each connection's queries on a thread of its own, the loop free",
    },
    Program {
        key: "sqlite3",
        mode: Mode::Blocking,
        ran: "sqlite3 inside the coroutines",
        why: "a sqlite3 call blocks the event loop",
    },
];

/// The rows of `query` on PostgreSQL: asyncpg's pool, and sync psycopg,
/// which blocks the loop silently where Rust's sync client refuses.
const QUERYING_POSTGRES: [Program; 2] = [
    Program {
        key: "asyncpg",
        mode: Mode::Async,
        ran: "an asyncpg pool under gather",
        why: "asyncpg gives the event loop back while the server runs each query",
    },
    Program {
        key: "psycopg",
        mode: Mode::Blocking,
        ran: "sync psycopg inside the coroutines",
        why: "a sync psycopg call blocks the event loop, silently (Rust's sync client refuses)",
    },
];

/// The Python rows of `query` against `db`.
pub(crate) fn query_ways(db: &Database) -> &'static [Program] {
    match db {
        Database::Postgres(_) => &QUERYING_POSTGRES,
        Database::Memory | Database::File(_) => &QUERYING_SQLITE,
    }
}

/// What a row's script is told besides its workload: the arguments after
/// the delay, and the text it reads on stdin.
#[derive(Debug, Default)]
pub(crate) struct Extra {
    /// Arguments after the delay (the number of connections of `query`).
    args: Vec<String>,
    /// What the script reads on stdin: `query`'s database. It is kept out
    /// of the arguments because a PostgreSQL `--db` may hold a password,
    /// and every user of the machine can read a process's arguments (`ps`,
    /// `/proc/PID/cmdline`); a pipe is read by python3 alone.
    stdin: Option<String>,
}

/// What the query rows tell the script: the database, as Python's drivers
/// take it, on stdin, and how many connections, as an argument.
pub(crate) fn query_args(db: &Database, connections: u32) -> Extra {
    let db = match db {
        Database::Memory => ":memory:".to_owned(),
        Database::File(path) => path.display().to_string(),
        Database::Postgres(text) => text.clone(),
    };
    Extra {
        args: vec![connections.to_string()],
        stdin: Some(db),
    }
}

/// The Python rows of `demo` (for `query`, see [`query_ways`]).
pub(crate) fn ways(demo: Demo) -> &'static [Program] {
    match demo {
        Demo::Count | Demo::Hello => &SLEEPING,
        Demo::Fetch => &FETCHING,
        // The notes have no lock lesson to run; how-it-works.md gives the
        // Python counterparts in prose.
        Demo::Lock => &[],
        Demo::Query => &QUERYING_SQLITE,
    }
}

/// How long a row may take unless `--python-deadline` says otherwise: its
/// tasks one after another (the slowest row, `time.sleep`, takes that
/// long), plus [`DEADLINE_SLACK`].
pub(crate) fn default_deadline(tasks: u32, delay: Duration) -> Duration {
    delay
        .checked_mul(tasks)
        .unwrap_or(Duration::MAX)
        .saturating_add(DEADLINE_SLACK)
}

/// What running one way gave.
pub(crate) enum Ran {
    /// A row for the table: measured, or failed with its reason. Boxed:
    /// a row is much larger than a note.
    Row(Box<Row>),
    /// The row cannot run here (a package does not import): a note says
    /// why, and the other rows go on.
    Skipped(String),
    /// No Python row can run (no python3, or one older than 3.9): a note
    /// says why, and the table has the tokio rows only.
    NoPython(String),
}

/// Runs `way` for `demo` with the workload of the tokio rows, killing it
/// after `deadline`.
/// `extra` is what the row is told besides the workload (`query`'s
/// connections as an argument, its database on stdin: see [`query_args`]).
pub(crate) fn run(
    way: &Program,
    demo: Demo,
    workload: &Workload,
    deadline: Duration,
    extra: &Extra,
) -> Ran {
    let tasks = workload.tasks_for(demo);
    let mut args = arguments(way, demo, workload, extra);
    // fetch talks to a server of its own, as each tokio row does; it
    // stops when `_server` is dropped.
    let _server = match serve(demo, workload.delay) {
        Ok(Some((server, url))) => {
            args.push(url);
            Some(server)
        }
        Ok(None) => None,
        Err(why) => return Ran::Row(Box::new(failed(way, demo, workload, None, why))),
    };
    let bound = (u64::from(tasks) * 2 + 200_100).saturating_mul(BYTES_PER_LINE);
    let ended = match execute(&args, extra.stdin.as_deref(), deadline, bound) {
        Ok(ended) => ended,
        Err(NotRun::Start(err)) if err.kind() == io::ErrorKind::NotFound => {
            return Ran::NoPython(format!("{PROGRAM} is not on PATH"));
        }
        Err(NotRun::Start(err)) => {
            return Ran::NoPython(format!("{PROGRAM} cannot be started: {err}"));
        }
        Err(NotRun::Refused(err)) => {
            return Ran::Row(Box::new(failed(
                way,
                demo,
                workload,
                None,
                format!("{err:#}"),
            )));
        }
    };
    let stdout = String::from_utf8_lossy(&ended.stdout);
    let version = stdout
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("python "))
        .map(printable);
    let why = match ended.status {
        None => format!(
            "{PROGRAM} gave no result within {} (--python-deadline), and was stopped",
            humantime::format_duration(deadline)
        ),
        Some(status) => match status.code() {
            Some(0) => match parse(&stdout, tasks) {
                Ok(parsed) => return Ran::Row(Box::new(measured(way, demo, workload, parsed))),
                Err(what) => format!("{PROGRAM} printed no result: {what}"),
            },
            Some(MISSING_PACKAGE) => {
                return Ran::Skipped(format!("{}: {}", way.ran, last_line(&ended.stderr)));
            }
            Some(TOO_OLD) => {
                return Ran::NoPython(format!(
                    "{PROGRAM} is Python {}, and the Python rows need 3.9 or newer \
                     (asyncio.to_thread)",
                    version.as_deref().unwrap_or("older than 3.9")
                ));
            }
            Some(code) => format!(
                "{PROGRAM} exited with status {code}: {}",
                last_line(&ended.stderr)
            ),
            None => match std::os::unix::process::ExitStatusExt::signal(&status) {
                Some(signal) => format!("{PROGRAM} was killed by signal {signal}"),
                None => format!("{PROGRAM} ended abnormally"),
            },
        },
    };
    Ran::Row(Box::new(failed(
        way,
        demo,
        workload,
        version.as_deref(),
        why,
    )))
}

/// The script's arguments for `way`: the row, the demo, the workload and
/// `extra`'s arguments (the URL of `fetch`'s server follows, when it runs).
fn arguments(way: &Program, demo: Demo, workload: &Workload, extra: &Extra) -> Vec<String> {
    let mut args = vec![
        way.key.to_owned(),
        demo.name().to_owned(),
        workload.tasks_for(demo).to_string(),
        format!("{}", workload.delay.as_secs_f64()),
    ];
    args.extend_from_slice(&extra.args);
    args
}

/// Stops the python3 running now, if any, with everything it started: the
/// signal path of `compare`, which is about to end the process.
pub(crate) fn stop_running() {
    STOPPING.store(true, Ordering::SeqCst);
    kill_group(RUNNING.swap(0, Ordering::SeqCst));
}

/// Kills process group `group` (nothing for 0).
fn kill_group(group: i32) {
    if group > 0 {
        // SAFETY: kill(2) takes plain integers and touches no memory.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
        }
    }
}

/// A built-in server for `fetch`, and its URL; `None` for the sleeping
/// demos. A build without HTTP says so (`compare fetch` refuses to run
/// there before it gets here).
fn serve(demo: Demo, delay: Duration) -> Result<Option<(http::Server, String)>, String> {
    if demo.peer().map(|peer| peer.kind) != Some(PeerKind::Server) {
        return Ok(None);
    }
    let server = http::Server::start(delay).map_err(|err| format!("{err:#}"))?;
    let url = server.url();
    Ok(Some((server, url)))
}

/// How python3 ended, and what it printed.
struct Ended {
    /// Its exit status; `None` when it was stopped at the deadline.
    status: Option<ExitStatus>,
    stdout: Vec<u8>,
    /// The tail of its stderr.
    stderr: Vec<u8>,
}

/// Why python3 could not run.
enum NotRun {
    /// Starting python3 failed (not on PATH, not executable, a directory).
    Start(io::Error),
    /// The OS refused a process or a thread (`ulimit -u`): a limit of the
    /// machine, named by the row's error.
    Refused(anyhow::Error),
}

/// Runs the script with `args`, and `stdin` (if any) on its stdin, until it
/// ends or `deadline` passes, reading at most `bound` bytes of its stdout.
///
/// When python3 exits, what it printed is all in the pipes already (or
/// read): its process group is then ended, so that a child it left
/// behind, which would hold the pipes open, neither outlives the row nor
/// keeps its record from being read.
fn execute(
    args: &[String],
    stdin: Option<&str>,
    deadline: Duration,
    bound: u64,
) -> Result<Ended, NotRun> {
    use std::os::unix::process::CommandExt;
    let mut child = command(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // A group of its own: the deadline kills what it started too, and
        // the terminal's Ctrl-C goes to asyncdemo alone, which stops it.
        .process_group(0)
        .spawn()
        .map_err(|err| match err.raw_os_error() {
            Some(libc::EAGAIN) => NotRun::Refused(limits::thread_refused(PROGRAM, Some(&err), "")),
            _ => NotRun::Start(err),
        })?;
    let group = i32::try_from(child.id()).unwrap_or(0);
    RUNNING.store(group, Ordering::SeqCst);
    // A signal that came while this spawned found no group to stop: stop
    // it here. (Both sides store, then look: one of them sees the other.)
    if STOPPING.load(Ordering::SeqCst) {
        kill_group(RUNNING.swap(0, Ordering::SeqCst));
    }
    let readers = read_in_background(child.stdout.take(), move |mut pipe| {
        let mut out = Vec::new();
        let _ = pipe.by_ref().take(bound).read_to_end(&mut out);
        out
    })
    .and_then(|stdout| {
        let stderr = read_in_background(child.stderr.take(), |pipe| tail(pipe, STDERR_TAIL))?;
        Ok((stdout, stderr))
    });
    // Written from a thread of its own, as the pipes are read: a text
    // larger than the pipe holds would otherwise wait for python3 to read
    // it, past the deadline. Then closed, so that python3 reads to its end.
    let readers = readers.and_then(|readers| {
        if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
            let text = text.to_owned();
            let thread = std::thread::Builder::new().name("python3 input".into());
            // A python3 that ended before reading it (a package missing)
            // closed the pipe: nothing is lost, so the error is dropped.
            limits::spawn(thread, "a thread to write python3's input", move || {
                let _ = pipe.write_all(text.as_bytes());
            })?;
        }
        Ok(readers)
    });
    let (stdout, stderr) = match readers {
        Ok(readers) => readers,
        Err(err) => {
            // Unread, python3 would block on a full pipe until its
            // deadline: stop it now.
            kill_group(RUNNING.swap(0, Ordering::SeqCst));
            let _ = child.wait();
            return Err(NotRun::Refused(err));
        }
    };
    let status = wait_until(&mut child, group, Instant::now().checked_add(deadline));
    let stdout = stdout.recv_timeout(PIPE_GRACE).unwrap_or_default();
    let stderr = stderr.recv_timeout(PIPE_GRACE).unwrap_or_default();
    Ok(Ended {
        status,
        stdout,
        stderr,
    })
}

/// python3 told to run the script with `args`: everything a row passes
/// on its command line, which every user of the machine can read.
fn command(args: &[String]) -> Command {
    let mut command = Command::new(PROGRAM);
    command.arg("-c").arg(SCRIPT).args(args);
    command
}

/// Waits for `child`, then ends its process `group`; at `deadline` (if
/// any), ends the group and returns `None`. (Past the clock's range, a
/// deadline of centuries times many tasks, there is no deadline at all.)
fn wait_until(child: &mut Child, group: i32, deadline: Option<Instant>) -> Option<ExitStatus> {
    loop {
        match exited(child) {
            Ok(true) => {
                // python3 is a zombie until it is reaped below, so its
                // group's id cannot have been given to anyone else: what
                // is killed is only what it left behind.
                kill_group(RUNNING.swap(0, Ordering::SeqCst));
                return child.wait().ok();
            }
            Ok(false) if deadline.is_none_or(|d| Instant::now() < d) => {
                std::thread::sleep(POLL_EVERY)
            }
            // Past the deadline, or the child cannot be waited for.
            _ => {
                // This row only: the process goes on to the next one.
                kill_group(RUNNING.swap(0, Ordering::SeqCst));
                if group <= 0 {
                    let _ = child.kill();
                }
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// Whether `child` has exited, without reaping it (`WNOWAIT`).
fn exited(child: &Child) -> io::Result<bool> {
    let pid = libc::id_t::from(child.id());
    // SAFETY: `siginfo_t` is plain data that zeroes are valid for, and
    // waitid writes only the one it is given.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let flags = libc::WEXITED | libc::WNOHANG | libc::WNOWAIT;
    // SAFETY: as above; P_PID with the child's own pid.
    if unsafe { libc::waitid(libc::P_PID, pid, &mut info, flags) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // With WNOHANG, a child that has not exited leaves `si_pid` zero.
    // SAFETY: waitid filled in a SIGCHLD-type siginfo.
    Ok(unsafe { info.si_pid() } != 0)
}

/// Reads `pipe` on a thread of its own with `read`; the result arrives on
/// the channel (an empty one without a pipe). The OS refusing the thread
/// is the thread-limit error.
fn read_in_background<R: Read + Send + 'static>(
    pipe: Option<R>,
    read: impl FnOnce(R) -> Vec<u8> + Send + 'static,
) -> anyhow::Result<mpsc::Receiver<Vec<u8>>> {
    let (send, receive) = mpsc::channel();
    match pipe {
        Some(pipe) => {
            let thread = std::thread::Builder::new().name("python3 output".into());
            limits::spawn(thread, "a thread to read python3's output", move || {
                let _ = send.send(read(pipe));
            })?;
        }
        None => drop(send.send(Vec::new())),
    }
    Ok(receive)
}

/// The last `keep` bytes (about) of everything on `pipe`.
fn tail(mut pipe: impl Read, keep: usize) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut buffer = [0; 8192];
    while let Ok(read) = pipe.read(&mut buffer) {
        if read == 0 {
            break;
        }
        kept.extend_from_slice(&buffer[..read]);
        if kept.len() > 2 * keep {
            kept.drain(..kept.len() - keep);
        }
    }
    kept
}

/// The last non-empty line of python3's stderr, safe for a terminal: what
/// a traceback ends with (`ValueError: ...`).
fn last_line(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    match text.lines().map(str::trim).rfind(|l| !l.is_empty()) {
        Some(line) => printable(line),
        None => "(nothing on stderr)".to_owned(),
    }
}

/// Text from python3 as it may reach a terminal (and every format made
/// from it): escaped by the one escaping function, cut at
/// [`MAX_REASON_CHARS`].
fn printable(text: &str) -> String {
    escaped(text, MAX_REASON_CHARS)
}

/// What a finished run of the script recorded.
#[derive(Debug, Default, PartialEq)]
struct Parsed {
    /// The Python version (`3.11.7`).
    version: String,
    events: Vec<Event>,
    parks: Vec<Park>,
    /// Tasks whose request failed.
    failed: u32,
    /// The quickest good round trip (fetch).
    observed: Option<Duration>,
    /// The longest callback of the event loop, and how many were slow.
    polls: Option<Polls>,
    /// The default executor's size (to_thread).
    executor: Option<usize>,
    /// When an executor thread began (`true`) or ended each task's
    /// to_thread call: the row's waits, as they were observed.
    calls: Vec<(Duration, bool)>,
    /// The measured part.
    elapsed: Duration,
}

/// Reads the script's record (its docstring lists the lines). A line that
/// does not fit (a task out of range, a word that is not a number) makes
/// the whole record unreadable rather than silently wrong.
fn parse(stdout: &str, tasks: u32) -> Result<Parsed, String> {
    let mut parsed = Parsed::default();
    let mut elapsed = None;
    let nanos = |word: Option<&str>| -> Result<Duration, String> {
        word.and_then(|w| w.parse().ok())
            .map(Duration::from_nanos)
            .ok_or_else(|| "a time that is not a number".to_owned())
    };
    let number = |word: Option<&str>| -> Result<u32, String> {
        word.and_then(|w| w.parse().ok())
            .ok_or_else(|| "a count that is not a number".to_owned())
    };
    for line in stdout.lines() {
        let mut words = line.split(' ');
        match words.next() {
            Some("python") => parsed.version = printable(words.next().unwrap_or("?")),
            Some("event") => {
                let at = nanos(words.next())?;
                let task = number(words.next())?;
                let phase = match words.next() {
                    Some("first") => Phase::First,
                    Some("last") => Phase::Last,
                    _ => return Err("an event that is neither first nor last".into()),
                };
                let thread = number(words.next())?;
                if !(1..=tasks).contains(&task) || thread == 0 {
                    return Err(format!("an event of task {task} on thread {thread}"));
                }
                parsed.events.push(Event {
                    at,
                    task,
                    phase,
                    thread,
                });
            }
            Some("fail") => {
                let task = number(words.next())?;
                if !(1..=tasks).contains(&task) {
                    return Err(format!("a failure of task {task}"));
                }
                parsed.failed += 1;
            }
            Some("park") => {
                let at = nanos(words.next())?;
                let thread = number(words.next())?;
                let parked = number(words.next())? == 1;
                parsed.parks.push(Park { at, thread, parked });
            }
            Some("observed") => parsed.observed = Some(nanos(words.next())?),
            Some("executor") => {
                parsed.executor = Some(number(words.next())? as usize).filter(|&n| n > 0)
            }
            Some("call") => {
                let at = nanos(words.next())?;
                let task = number(words.next())?;
                let began = number(words.next())? == 1;
                if !(1..=tasks).contains(&task) {
                    return Err(format!("a call of task {task}"));
                }
                parsed.calls.push((at, began));
            }
            Some("polls") => {
                let longest = nanos(words.next())?;
                let slow = number(words.next())?;
                parsed.polls = Some(Polls {
                    longest,
                    slow: u64::from(slow),
                });
            }
            Some("elapsed") => elapsed = Some(nanos(words.next())?),
            // Anything else (a user's sitecustomize printing, say) is not
            // part of the record.
            _ => {}
        }
    }
    parsed.elapsed = elapsed.ok_or("no elapsed time")?;
    Ok(parsed)
}

/// The config of `way` for the summary: no tokio runtime, but the event
/// loop's one thread drives the coroutines as a current-thread runtime
/// would (a thread per task drives them with none).
fn config_of(way: &Program, demo: Demo, workload: &Workload, executor: Option<usize>) -> Config {
    let rust_way = Way {
        mode: way.mode,
        runtime: (way.mode != Mode::Threads).then_some(Runtime::CurrentThread),
        spawn: false,
        blocking_threads: executor.filter(|_| way.mode == Mode::SpawnBlocking),
        lock: None,
    };
    Config::of_way(demo, workload, rust_way)
}

/// The row of a run that measured `parsed`.
fn measured(way: &Program, demo: Demo, workload: &Workload, parsed: Parsed) -> Row {
    let config = config_of(way, demo, workload, parsed.executor);
    let completed = parsed
        .events
        .iter()
        .filter(|e| e.phase == Phase::Last)
        .count();
    let outcome = Outcome {
        elapsed: parsed.elapsed,
        completed: u32::try_from(completed).unwrap_or(u32::MAX),
        failed: parsed.failed,
        observed_delay: parsed.observed,
        polls: parsed.polls,
        deadlock: None,
        locks: Vec::new(),
    };
    // A to_thread wait is in progress from when an executor thread began
    // its call, not from the coroutine's first line: a call queued for a
    // free thread is not waiting yet (as tokio's pool calls are counted).
    let peak = if parsed.calls.is_empty() {
        marks::peak_overlap(&parsed.events)
    } else {
        calls_in_flight(&parsed.calls)
    };
    let mut summary = Summary::new(&config, outcome, None).with_peak_overlap(Some(peak));
    summary.language = Some(Language::Python);
    summary.ran = Some(format!("{} (Python {})", way.ran, parsed.version));
    let why = match parsed.executor.filter(|_| way.mode == Mode::SpawnBlocking) {
        Some(threads) => format!(
            "asyncio's default executor has {threads} threads here (min(32, CPUs + 4)), \
             started as the calls need them"
        ),
        None => way.why.to_owned(),
    };
    Row {
        summary,
        why,
        events: parsed.events,
        parks: parsed.parks,
    }
}

/// The most calls in progress at one moment: each counted from its
/// `began` to its end, an end before a start at the same instant.
fn calls_in_flight(calls: &[(Duration, bool)]) -> u32 {
    let mut steps: Vec<(Duration, i64)> = calls
        .iter()
        .map(|&(at, began)| (at, if began { 1 } else { -1 }))
        .collect();
    steps.sort_unstable();
    let (mut now, mut peak) = (0i64, 0i64);
    for (_, step) in steps {
        now += step;
        peak = peak.max(now);
    }
    u32::try_from(peak).unwrap_or(0)
}

/// The row of `way` as a signal leaves it: python3 reports its lines only
/// at its end, so a row stopped before then has no figures, only what ran
/// and that it was interrupted, as a stopped tokio row says.
pub(crate) fn interrupted(way: &Program, demo: Demo, workload: &Workload) -> Row {
    let config = config_of(way, demo, workload, None);
    // Any signal: the summary only records that one stopped the run.
    let mut summary = Summary::new(&config, Outcome::default(), Some(Signal::Interrupt));
    summary.language = Some(Language::Python);
    summary.ran = Some(way.ran.to_owned());
    Row {
        summary,
        why: way.why.to_owned(),
        events: Vec::new(),
        parks: Vec::new(),
    }
}

/// The row of a run that failed as a whole, saying `why`.
fn failed(
    way: &Program,
    demo: Demo,
    workload: &Workload,
    version: Option<&str>,
    why: String,
) -> Row {
    let config = config_of(way, demo, workload, None);
    let mut summary = Summary::new(&config, Outcome::default(), None);
    summary.language = Some(Language::Python);
    summary.ran = Some(match version {
        Some(version) => format!("{} (Python {version})", way.ran),
        None => way.ran.to_owned(),
    });
    summary.error = Some(why);
    Row {
        summary,
        why: way.why.to_owned(),
        events: Vec::new(),
        parks: Vec::new(),
    }
}

#[cfg(test)]
mod tests;
