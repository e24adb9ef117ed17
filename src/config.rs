//! The validated configuration of one run.
//!
//! clap has already turned each argument into a typed value; this module
//! checks how the values fit together and settles the defaults, so the runner
//! and the reports never look at raw arguments.
//!
//! Every [`Config`] is built by one constructor, [`Config::of_way`]: a demo,
//! a workload and a [`Way`] of running it, with silent output. A demo run
//! ([`Config::new`]) adds what the user asked to see; `compare` uses it as it
//! is, once per way.

use crate::cli::{Command, CompareArgs, DbArgs, FetchArgs, RunArgs, ServeArgs, Workload};
use crate::dburl::Database;
use crate::vocab::{Demo, Format, LockKind, Mode, PeerKind, RuntimeKind, Work};
use std::path::PathBuf;
use std::time::Duration;

/// tokio's own default size for the blocking pool.
pub(crate) const DEFAULT_BLOCKING_THREADS: usize = 512;

/// A runtime with its size: what the validated config settles on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Runtime {
    /// One thread.
    CurrentThread,
    /// This many worker threads.
    MultiThread(usize),
}

impl Runtime {
    /// The kind, for reports.
    pub(crate) const fn kind(self) -> RuntimeKind {
        match self {
            Runtime::CurrentThread => RuntimeKind::CurrentThread,
            Runtime::MultiThread(_) => RuntimeKind::MultiThread,
        }
    }

    /// The worker count of a multi-thread runtime.
    pub(crate) const fn workers(self) -> Option<usize> {
        match self {
            Runtime::CurrentThread => None,
            Runtime::MultiThread(workers) => Some(workers),
        }
    }
}

/// How the tasks are driven: the part of a run that `compare` varies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Way {
    /// How each task waits.
    pub(crate) mode: Mode,
    /// The runtime; `None` for `--mode threads`, which needs none.
    pub(crate) runtime: Option<Runtime>,
    /// Spawn each task as its own tokio task instead of one `join_all`.
    pub(crate) spawn: bool,
    /// The blocking pool's size, for `--mode spawn-blocking` only.
    pub(crate) blocking_threads: Option<usize>,
    /// The lock the tasks share; `Some` exactly for the `lock` demo.
    pub(crate) lock: Option<LockKind>,
}

impl Way {
    /// A way with tokio's defaults: `kind` sized to one worker per CPU, and
    /// the default blocking pool for `spawn-blocking`.
    pub(crate) fn with_defaults(mode: Mode, kind: RuntimeKind, spawn: bool) -> Way {
        Way {
            mode,
            runtime: match (mode, kind) {
                (Mode::Threads, _) => None,
                (_, RuntimeKind::CurrentThread) => Some(Runtime::CurrentThread),
                (_, RuntimeKind::MultiThread) => Some(Runtime::MultiThread(default_workers())),
            },
            spawn,
            blocking_threads: (mode == Mode::SpawnBlocking).then_some(DEFAULT_BLOCKING_THREADS),
            lock: None,
        }
    }

    /// The `lock` demo's way with `lock`: its tasks joined on one thread.
    pub(crate) fn with_lock(lock: LockKind) -> Way {
        Way {
            lock: Some(lock),
            ..Way::with_defaults(Mode::Async, RuntimeKind::CurrentThread, false)
        }
    }
}

/// Everything a run needs to know.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Config {
    /// Which demo's lines the tasks print.
    pub(crate) demo: Demo,
    /// How many tasks run, from 1 to [`crate::cli::MAX_TASKS`].
    pub(crate) tasks: u32,
    /// How long each task waits.
    pub(crate) delay: Duration,
    /// What each wait is: a sleep or a busy loop (`--work`).
    pub(crate) work: Work,
    /// How the tasks wait and what drives them.
    pub(crate) way: Way,
    /// Draw the timeline after the run.
    pub(crate) timeline: bool,
    /// `--live`: draw the timeline on the terminal while the run goes.
    pub(crate) live: bool,
    /// Write a Chrome trace to this file.
    pub(crate) trace: Option<PathBuf>,
    /// Draw the run as an SVG picture in this file (`-`: stdout).
    pub(crate) svg: Option<PathBuf>,
    /// The same picture as a PNG in this file (`-`: stdout).
    pub(crate) png: Option<PathBuf>,
    /// Keep every event for the pictures drawn after the run (`--timeline`,
    /// `--svg`, `--png`, and `compare --svg`). The `--trace` file is written during
    /// the run and keeps none.
    pub(crate) record: bool,
    /// `--explain`: narrate the executor's steps between the task lines.
    pub(crate) explain: bool,
    /// `--record`: write the run into this file for `replay` (`-`: stdout).
    pub(crate) recording: Option<PathBuf>,
    /// `--slow-poll`: warn about polls that hold a runtime thread longer.
    pub(crate) slow_poll: Option<Duration>,
    /// Colour and width of the output.
    pub(crate) term: Term,
    /// Where `fetch` sends its requests; `Some` exactly for the fetch demo.
    pub(crate) fetch: Option<FetchOptions>,
    /// Where `query` sends its queries; `Some` exactly for the query demo.
    pub(crate) query: Option<QueryOptions>,
    /// The shape of the output.
    pub(crate) format: Format,
    /// How much text the text format prints.
    pub(crate) detail: Detail,
    /// The timing checks that decide the exit code.
    pub(crate) checks: Vec<Check>,
}

/// The options of the `fetch` demo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FetchOptions {
    /// The URL every task GETs; `None` starts a server in-process.
    pub(crate) url: Option<String>,
    /// How long a request may take.
    pub(crate) timeout: Duration,
}

impl FetchOptions {
    /// The options `fetch` was given.
    pub(crate) fn new(args: &FetchArgs) -> FetchOptions {
        FetchOptions {
            url: args.url.clone(),
            timeout: args
                .timeout
                .unwrap_or_else(|| Self::default_timeout(args.run.workload.delay)),
        }
    }

    /// A fetch from a built-in server with `delay` (as `compare` runs it).
    fn built_in(delay: Duration) -> FetchOptions {
        FetchOptions {
            url: None,
            timeout: Self::default_timeout(delay),
        }
    }

    /// `--timeout`'s default: the delay plus ten seconds, so that a slow
    /// machine never times out a healthy server, while a dead one still
    /// fails in bounded time.
    fn default_timeout(delay: Duration) -> Duration {
        delay.saturating_add(Duration::from_secs(10))
    }
}

/// The options of the `query` demo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct QueryOptions {
    /// The database the queries go to.
    pub(crate) db: Database,
    /// How many connections the queries may use at once.
    pub(crate) connections: u32,
}

impl QueryOptions {
    /// The most connections a run opens unless `--connections` says more:
    /// asyncpg's and sqlx's pools hold at most 10 by default, and each
    /// connection costs a thread (SQLite) or a server process (PostgreSQL,
    /// whose default `max_connections` is 100, three of them reserved), so
    /// `query -n 1000` against a shared server does not take all of it.
    pub(crate) const DEFAULT_MAX_CONNECTIONS: u32 = 10;

    /// The options `query` (or `compare query`) was given, for `tasks`
    /// tasks: by default one connection per task, up to the cap.
    pub(crate) fn new(args: &DbArgs, tasks: u32) -> QueryOptions {
        QueryOptions {
            db: args.db.clone().unwrap_or_default(),
            connections: args
                .connections
                .unwrap_or_else(|| tasks.min(Self::DEFAULT_MAX_CONNECTIONS)),
        }
    }
}

/// How the HTTP server behaves: `serve`'s options, or the built-in
/// server's defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ServeOptions {
    /// The wait before each reply, unless the request asks for another.
    pub(crate) delay: Duration,
    /// The longest wait a request may ask for with `?delay=`.
    pub(crate) max_delay: Duration,
    /// How long a client may take to send its request head, and how long
    /// an idle keep-alive connection stays open.
    pub(crate) client_timeout: Duration,
    /// Whether each request gets a line on stderr (`serve` without `-q`).
    pub(crate) log: bool,
}

impl ServeOptions {
    /// The default `--max-delay`, as `serve --help` shows it.
    const DEFAULT_MAX_DELAY: Duration = Duration::from_secs(60);
    /// The default `--client-timeout`, as `serve --help` shows it.
    const DEFAULT_CLIENT_TIMEOUT: Duration = Duration::from_secs(10);

    /// The options `serve` was given.
    pub(crate) fn new(args: &ServeArgs) -> Result<ServeOptions, clap::Error> {
        if args.delay > args.max_delay {
            return Err(usage_error(
                "serve",
                format!(
                    "--delay {} is over --max-delay {}: raise --max-delay",
                    humantime::format_duration(args.delay),
                    humantime::format_duration(args.max_delay)
                ),
            ));
        }
        Ok(ServeOptions {
            delay: args.delay,
            max_delay: args.max_delay,
            client_timeout: args.client_timeout,
            log: !args.quiet,
        })
    }

    /// The built-in server of `fetch`: `delay`, and `serve`'s defaults.
    pub(crate) fn built_in(delay: Duration) -> ServeOptions {
        ServeOptions {
            delay,
            max_delay: delay.max(Self::DEFAULT_MAX_DELAY),
            client_timeout: Self::DEFAULT_CLIENT_TIMEOUT,
            log: false,
        }
    }
}

/// A demo's command taken apart: which demo, the options every demo takes,
/// and the options only it has. A run (`lifecycle`) and the replay of its
/// recording (`replay`) read a demo's command through this one place.
pub(crate) struct DemoCommand {
    /// Which demo the command runs.
    pub(crate) demo: Demo,
    /// The options every demo takes (a replay puts its own outputs here).
    pub(crate) run: RunArgs,
    /// `fetch`'s own options.
    fetch: Option<FetchOptions>,
    /// `query`'s own options.
    query: Option<QueryOptions>,
    /// The `lock` demo's lock.
    lock: Option<LockKind>,
}

impl DemoCommand {
    /// `command` taken apart, or given back when it runs no demo (boxed:
    /// a command is large, and most of the time it is a demo's).
    pub(crate) fn of(command: Command) -> Result<DemoCommand, Box<Command>> {
        let plain = |demo, run| DemoCommand {
            demo,
            run,
            fetch: None,
            query: None,
            lock: None,
        };
        Ok(match command {
            Command::Count(run) => plain(Demo::Count, run),
            Command::Hello(run) => plain(Demo::Hello, run),
            Command::Lock(args) => DemoCommand {
                lock: Some(args.lock),
                ..plain(Demo::Lock, args.run)
            },
            Command::Fetch(args) => DemoCommand {
                fetch: Some(FetchOptions::new(&args)),
                ..plain(Demo::Fetch, args.run)
            },
            Command::Query(args) => {
                let tasks = args.run.workload.tasks_for(Demo::Query);
                DemoCommand {
                    query: Some(QueryOptions::new(&args.db, tasks)),
                    ..plain(Demo::Query, args.run)
                }
            }
            other => return Err(Box::new(other)),
        })
    }

    /// The run's configuration, checked as [`Config::new`] checks it, with
    /// the demo's own options in place.
    pub(crate) fn config(self, term: Term) -> Result<Config, clap::Error> {
        let mut config = Config::new(self.demo, self.run, self.fetch, term)?;
        if self.lock.is_some() {
            config.way.lock = self.lock;
        }
        if self.query.is_some() {
            config.query = self.query;
        }
        Ok(config)
    }
}

impl Config {
    /// The one constructor: `demo` run `way` with `workload`, printing
    /// nothing but a JSON summary and checking nothing. `fetch` gets a
    /// built-in server.
    pub(crate) fn of_way(demo: Demo, workload: &Workload, way: Way) -> Config {
        Config {
            demo,
            tasks: workload.tasks_for(demo),
            delay: workload.delay,
            work: workload.work,
            // The lock demo always shares a lock (std's unless told), and
            // the other demos never do.
            way: Way {
                lock: demo.row().shares_lock.then(|| way.lock.unwrap_or_default()),
                ..way
            },
            timeline: false,
            live: false,
            trace: None,
            svg: None,
            png: None,
            record: false,
            explain: false,
            recording: None,
            slow_poll: None,
            term: Term::PLAIN,
            fetch: (demo == Demo::Fetch).then(|| FetchOptions::built_in(workload.delay)),
            query: (demo == Demo::Query).then(|| QueryOptions {
                db: Database::Memory,
                connections: workload
                    .tasks_for(demo)
                    .min(QueryOptions::DEFAULT_MAX_CONNECTIONS),
            }),
            format: Format::Json,
            detail: Detail::Quiet,
            checks: Vec::new(),
        }
    }

    /// Validates the arguments of one demo run; `fetch` is `Some` for the
    /// fetch demo.
    ///
    /// The error is a clap error so that it prints and exits (code 2) exactly
    /// like the errors clap finds itself.
    pub(crate) fn new(
        demo: Demo,
        args: RunArgs,
        fetch: Option<FetchOptions>,
        term: Term,
    ) -> Result<Config, clap::Error> {
        let mode = if args.blocking {
            Mode::Blocking
        } else {
            args.mode
        };
        let kind = check_way(demo, &args, mode)?;
        check_outputs(demo, &args)?;
        check_watching(demo, &args, mode)?;
        // --workers implies a multi-thread runtime.
        let mut way = Way::with_defaults(mode, kind, args.spawn);
        if let (Some(Runtime::MultiThread(_)), Some(workers)) = (way.runtime, args.workers) {
            way.runtime = Some(Runtime::MultiThread(usize::from(workers)));
        }
        if let (Some(_), Some(threads)) = (way.blocking_threads, args.blocking_threads) {
            way.blocking_threads = Some(threads as usize);
        }
        let checks = [
            args.max_elapsed.map(Check::MaxElapsed),
            args.min_elapsed.map(Check::MinElapsed),
        ]
        .into_iter()
        .flatten()
        .collect();
        let base = Config::of_way(demo, &args.workload, way);
        Ok(Config {
            timeline: args.timeline,
            live: args.live,
            trace: args.trace,
            record: args.timeline || args.svg.is_some() || args.png.is_some(),
            recording: args.record,
            svg: args.svg,
            png: args.png,
            explain: args.explain,
            slow_poll: args.slow_poll,
            term,
            fetch: fetch.or(base.fetch),
            format: args.format,
            detail: match (args.quiet, args.verbose) {
                (true, _) => Detail::Quiet,
                (false, true) => Detail::Verbose,
                (false, false) => Detail::Normal,
            },
            checks,
            ..base
        })
    }

    /// How task lines are shown while the run is in progress.
    pub(crate) fn line_style(&self) -> LineStyle {
        match (self.format, self.detail) {
            (Format::Text, Detail::Normal) => LineStyle::Plain,
            (Format::Text, Detail::Verbose) => LineStyle::Verbose,
            (Format::Text, Detail::Quiet) | (Format::Json, _) => LineStyle::Silent,
            (Format::Ndjson, _) => LineStyle::Ndjson,
        }
    }

    /// Whether a document has stdout to itself (`--trace -`, `--svg -` or
    /// `--png -`),
    /// and so the run's own output (its summary line, under `-q`) goes to
    /// stderr.
    pub(crate) fn stdout_taken(&self) -> bool {
        [&self.trace, &self.svg, &self.png, &self.recording]
            .into_iter()
            .any(|path| path.as_deref().is_some_and(is_stdout))
    }
}

/// Whether a path names stdout: `-`, as in most command-line tools.
pub(crate) fn is_stdout(path: &std::path::Path) -> bool {
    path.as_os_str() == "-"
}

/// The checks of how a run drives its tasks (mode, runtime, workers,
/// spawn, the blocking pool, the lock demo's ways), in `Config::new`'s
/// order; returns the runtime kind asked for (`--workers` implies a
/// multi-thread one).
fn check_way(demo: Demo, args: &RunArgs, mode: Mode) -> Result<RuntimeKind, clap::Error> {
    if mode == Mode::Threads && (args.runtime.is_some() || args.workers.is_some() || args.spawn) {
        return Err(usage_error(
            demo.name(),
            "--mode threads runs each task on an OS thread of its own, without a tokio \
                 runtime: --runtime, --workers and --spawn do not apply"
                .into(),
        ));
    }
    if let (Some(peer), Work::Spin) = (demo.peer(), args.workload.work) {
        let wait = peer.wait_is;
        return Err(usage_error(
            demo.name(),
            format!(
                "--work spin replaces each wait with a busy loop, and {wait}: use count or \
                 hello for --work spin"
            ),
        ));
    }
    if demo.row().shares_lock {
        // The lock decides how a task treats the thread here; the wait
        // while holding it is always tokio::time::sleep.
        let refused = if args.spawn {
            Some(
                "--spawn does not compile with a std::sync::MutexGuard held across .await: \
                     the guard is !Send, so tokio::spawn refuses the task; lock joins its tasks",
            )
        } else if args.blocking || mode != Mode::Async {
            Some("--lock chooses how the tasks of lock wait; --mode and --blocking do not apply")
        } else if args.workload.work == Work::Spin {
            Some("each task of lock sleeps while it holds the lock; --work does not apply")
        } else {
            None
        };
        if let Some(message) = refused {
            return Err(usage_error(demo.name(), message.into()));
        }
    }
    let kind_asked = match (args.runtime, args.workers) {
        (Some(kind), _) => kind,
        (None, Some(_)) => RuntimeKind::MultiThread,
        (None, None) => RuntimeKind::CurrentThread,
    };
    if mode == Mode::BlockInPlace && kind_asked == RuntimeKind::CurrentThread {
        return Err(usage_error(
            demo.name(),
            "--mode block-in-place needs a multi-thread runtime: tokio's block_in_place \
             hands the worker's core to a new thread and blocks this one, and a \
             current-thread runtime has no core to hand over (tokio panics there); add \
             --runtime multi-thread or --workers K"
                .into(),
        ));
    }
    if args.runtime == Some(RuntimeKind::CurrentThread) && args.workers.is_some() {
        return Err(usage_error(
            demo.name(),
            "--workers sizes a multi-thread runtime; a current-thread runtime has one thread"
                .into(),
        ));
    }
    if args.blocking_threads.is_some() && mode != Mode::SpawnBlocking {
        return Err(usage_error(
            demo.name(),
            "--blocking-threads sizes the pool of --mode spawn-blocking".into(),
        ));
    }
    Ok(kind_asked)
}

/// The checks of what a run writes and where (`--timeline`, `--live`,
/// `--trace`, `--svg`, `--png`, `--explain`): formats that do not mix, and
/// at most one document on stdout.
fn check_outputs(demo: Demo, args: &RunArgs) -> Result<(), clap::Error> {
    if args.timeline && args.format != Format::Text {
        return Err(usage_error(
            demo.name(),
            "--timeline draws in the text format; with --format json or ndjson, \
                 use --trace FILE for a picture"
                .into(),
        ));
    }
    if args.live && args.format != Format::Text {
        return Err(usage_error(
            demo.name(),
            "--live draws on the terminal, where --format json and ndjson write JSON: \
                 use --trace FILE for a picture"
                .into(),
        ));
    }
    if args.live && args.trace.as_deref().is_some_and(is_stdout) {
        return Err(usage_error(
            demo.name(),
            "--live draws on the terminal, where --trace - writes the trace: \
                 give --trace a file name"
                .into(),
        ));
    }
    // `--trace -` puts the trace on stdout, as hyperfine's `--export-json
    // -` does. Two documents cannot share one stream, so it needs a run
    // that prints nothing else there: `-q`, whose one summary line then
    // goes to stderr.
    if args.trace.as_deref().is_some_and(is_stdout) && !(args.format == Format::Text && args.quiet)
    {
        return Err(usage_error(
            demo.name(),
            "--trace - writes the trace to stdout, where this run prints its own output: \
                 add -q (its summary line then goes to stderr), or give --trace a file name"
                .into(),
        ));
    }
    // `--svg -` and `--png -` likewise, and only one document can have
    // stdout.
    let on_stdout: Vec<&str> = [
        ("--trace", &args.trace),
        ("--svg", &args.svg),
        ("--png", &args.png),
        ("--record", &args.record),
    ]
    .into_iter()
    .filter(|(_, path)| path.as_deref().is_some_and(is_stdout))
    .map(|(option, _)| option)
    .collect();
    if let [first, second, ..] = on_stdout[..] {
        return Err(usage_error(
            demo.name(),
            format!(
                "{first} - and {second} - would both write to stdout: give one of them a file name"
            ),
        ));
    }
    one_file_each(
        demo.name(),
        &[
            ("--trace", args.trace.as_deref()),
            ("--svg", args.svg.as_deref()),
            ("--png", args.png.as_deref()),
            ("--record", args.record.as_deref()),
        ],
    )?;
    for (option, what) in [
        ("--svg", "the picture"),
        ("--png", "the picture"),
        ("--record", "the recording"),
    ] {
        if on_stdout.contains(&option) && !(args.format == Format::Text && args.quiet) {
            return Err(usage_error(
                demo.name(),
                format!(
                    "{option} - writes {what} to stdout, where this run prints its own output: \
                         add -q (its summary line then goes to stderr), or give {option} a file name"
                ),
            ));
        }
    }
    if args.png.is_some() && !crate::png::ENABLED {
        return Err(usage_error(demo.name(), NO_PNG.into()));
    }
    if args.explain && args.format == Format::Json {
        return Err(usage_error(
            demo.name(),
            "--explain narrates between the task lines, and --format json prints none: \
                 use --format ndjson, whose narration steps are objects of type \"explain\""
                .into(),
        ));
    }
    Ok(())
}

/// The checks of what watches a run (`--slow-poll`) and judges it
/// (`--min-elapsed`, `--max-elapsed`).
fn check_watching(demo: Demo, args: &RunArgs, mode: Mode) -> Result<(), clap::Error> {
    if args.slow_poll.is_some() && mode == Mode::Threads {
        return Err(usage_error(
            demo.name(),
            "--slow-poll watches the threads of a tokio runtime; with --mode threads each \
                 task owns an OS thread, so a blocking call there holds up no other task"
                .into(),
        ));
    }
    if args.slow_poll.is_some_and(|t| t.is_zero()) {
        return Err(usage_error(
            demo.name(),
            "--slow-poll needs a threshold above zero, e.g. --slow-poll=100ms".into(),
        ));
    }
    if let (Some(min), Some(max)) = (args.min_elapsed, args.max_elapsed) {
        if min > max {
            return Err(usage_error(
                demo.name(),
                format!(
                    "--min-elapsed {} is longer than --max-elapsed {}: no run can pass both",
                    humantime::format_duration(min),
                    humantime::format_duration(max)
                ),
            ));
        }
    }
    Ok(())
}

/// Refuses two outputs of `command` given one file (`--svg x --png x`, or
/// `--svg x --trace ./x`): the second would silently replace the first.
/// `-` (stdout) is checked apart, with its own words.
pub(crate) fn one_file_each(
    command: &str,
    outputs: &[(&str, Option<&std::path::Path>)],
) -> Result<(), clap::Error> {
    let files: Vec<(&str, &std::path::Path, PathBuf)> = outputs
        .iter()
        .filter_map(|&(option, path)| Some((option, path?)))
        .filter(|(_, path)| !is_stdout(path))
        .map(|(option, path)| (option, path, file_identity(path)))
        .collect();
    for (i, (first, first_path, first_id)) in files.iter().enumerate() {
        if let Some((second, second_path, _)) =
            files[i + 1..].iter().find(|(_, _, id)| id == first_id)
        {
            return Err(usage_error(
                command,
                format!(
                    "{first} {} and {second} {} name the same file, and one output would \
                     replace the other: give each its own file",
                    first_path.display(),
                    second_path.display()
                ),
            ));
        }
    }
    Ok(())
}

/// The checks of `compare`'s arguments that clap cannot make, before any
/// way runs: its pictures cannot share stdout with its table, and `--work
/// spin` replaces only the sleeps of count and hello.
pub(crate) fn check_compare(args: &CompareArgs) -> Result<(), clap::Error> {
    for (option, path) in [("--svg", &args.svg), ("--png", &args.png)] {
        if path.as_deref().is_some_and(is_stdout) {
            return Err(usage_error(
                "compare",
                format!(
                    "{option} - writes the picture to stdout, where compare prints its table: \
                     give {option} a file name"
                ),
            ));
        }
    }
    if args.record.as_deref().is_some_and(is_stdout) && !args.quiet {
        return Err(usage_error(
            "compare",
            "--record - writes the recording to stdout, where compare prints its table: \
             add -q (the table then goes to stderr), or give --record a file name"
                .into(),
        ));
    }
    one_file_each(
        "compare",
        &[
            ("--svg", args.svg.as_deref()),
            ("--png", args.png.as_deref()),
            ("--record", args.record.as_deref()),
        ],
    )?;
    if args.png.is_some() && !crate::png::ENABLED {
        return Err(usage_error("compare", NO_PNG.into()));
    }
    let on_a_database = args.demo.peer().map(|peer| peer.kind) == Some(PeerKind::Database);
    if !on_a_database && (args.db.db.is_some() || args.db.connections.is_some()) {
        return Err(usage_error(
            "compare",
            "--db and --connections choose the database of compare query".into(),
        ));
    }
    if args.workload.work == Work::Spin && !args.demo.row().sleeps() {
        return Err(usage_error(
            "compare",
            format!(
                "--work spin replaces the sleeps of count and hello with busy loops; {} waits \
                 in its own way",
                args.demo.name()
            ),
        ));
    }
    Ok(())
}

/// How much the text format prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Detail {
    /// Only the summary line (`--quiet`).
    Quiet,
    /// The task lines, as the notes print them, and the summary line.
    Normal,
    /// The task lines with time and task number (`--verbose`).
    Verbose,
}

/// What a path names, spelled one way: `x`, `./x` and `dir/../x` alike.
/// An existing file is resolved fully (a symbolic link to it names it
/// too); a new one by its directory, or by its spelling where even that
/// does not exist yet (the write then fails with its own error).
fn file_identity(path: &std::path::Path) -> PathBuf {
    use std::path::Component;
    if let Ok(real) = path.canonicalize() {
        return real;
    }
    let absolute =
        std::env::current_dir().map_or_else(|_| path.to_path_buf(), |dir| dir.join(path));
    let mut lexical = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                lexical.pop();
            }
            other => lexical.push(other),
        }
    }
    match (
        lexical.parent().map(std::path::Path::canonicalize),
        lexical.file_name(),
    ) {
        (Some(Ok(dir)), Some(name)) => dir.join(name),
        _ => lexical,
    }
}

/// The worker count of a multi-thread runtime without `--workers`: one per
/// CPU, as tokio itself would choose.
fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Why `--png` is refused in a build without the cargo feature `png`.
pub(crate) const NO_PNG: &str =
    "this build has no --png: it was built without the cargo feature `png` (resvg); use --svg";

/// An error about how the arguments of `command` (`count`, `serve`, ...)
/// fit together, printed as clap prints its own: with the subcommand's
/// usage line, not the program's, and exit code 2.
pub(crate) fn usage_error(command: &str, message: String) -> clap::Error {
    use clap::CommandFactory;
    use clap::error::ErrorKind::ArgumentConflict;
    let mut cli = crate::cli::Cli::command();
    // Building settles every subcommand's full name (`asyncdemo count`),
    // which its usage line prints.
    cli.build();
    match cli.find_subcommand_mut(command) {
        Some(command) => command.error(ArgumentConflict, message),
        None => cli.error(ArgumentConflict, message),
    }
}

/// A bound on the elapsed time that a CI job can enforce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// `--max-elapsed`: the run must not take longer.
    MaxElapsed(Duration),
    /// `--min-elapsed`: the run must not be quicker.
    MinElapsed(Duration),
}

impl Check {
    /// The name used in the JSON summary.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Check::MaxElapsed(_) => "max_elapsed",
            Check::MinElapsed(_) => "min_elapsed",
        }
    }

    /// The bound.
    pub(crate) const fn limit(self) -> Duration {
        match self {
            Check::MaxElapsed(limit) | Check::MinElapsed(limit) => limit,
        }
    }

    /// Whether a run that took `elapsed` passes.
    pub(crate) fn passes(self, elapsed: Duration) -> bool {
        match self {
            Check::MaxElapsed(limit) => elapsed <= limit,
            Check::MinElapsed(limit) => elapsed >= limit,
        }
    }
}

mod output;

pub(crate) use output::{LineStyle, Term, detect_term};

#[cfg(test)]
mod tests;
