//! What the user can say: the command line, as clap derive types.
//!
//! Nothing here acts on the arguments. Parsing turns strings into typed
//! values (a `Duration`, a bounded `u32`, an enum), and [`crate::config`]
//! checks how they fit together. Everything past that point sees only a
//! validated [`crate::config::Config`].

use crate::vocab::{Demo, Format, LockKind, Mode, RuntimeKind, Work};
use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};
use std::path::PathBuf;
use std::time::Duration;

mod peer;
mod values;

// serve's `?delay=` reads durations as the options do.
pub(crate) use values::duration;

/// The largest `--tasks`. Ten million waiting tasks fit in a few GB of
/// memory; the limit keeps a typo (one zero too many) from eating the machine.
pub(crate) const MAX_TASKS: u32 = 10_000_000;

/// See the difference between blocking and non-blocking waiting.
///
/// Each task prints a line, waits, and prints another line, as in Python's
/// asyncio lesson. Waiting with `tokio::time::sleep` (the default) lets every
/// task wait at once; waiting with `std::thread::sleep` (`--blocking`) holds
/// the only thread, so the tasks run one after another.
#[derive(Debug, Parser)]
#[command(name = "asyncdemo", version, propagate_version = true,
          after_help = examples_help(""))]
pub struct Cli {
    /// The demo to run.
    #[command(subcommand)]
    pub(crate) command: Command,

    /// When to use colour: auto means only on a terminal that shows it
    /// (not TERM=dumb), following NO_COLOR, CLICOLOR and CLICOLOR_FORCE.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    pub(crate) color: ColorChoice,
}

/// `--color`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour on a terminal, unless NO_COLOR, CLICOLOR=0 or TERM=dumb says
    /// otherwise; CLICOLOR_FORCE colours even into a pipe.
    Auto,
    /// Always colour, even into a pipe or a file.
    Always,
    /// Never colour.
    Never,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Each task prints "One", waits, then prints "Two" (the notes' countasync.py).
    // The default task count differs per demo, so it is set here rather than
    // on the shared field; a unit test keeps it equal to `Demo::default_tasks`.
    #[command(mut_arg("tasks", |arg| arg.default_value("3")),
              after_help = examples_help("count"))]
    Count(RunArgs),
    /// Each task prints "Hello ...", waits, then prints "... World!".
    #[command(mut_arg("tasks", |arg| arg.default_value("2")),
              after_help = examples_help("hello"))]
    Hello(RunArgs),
    /// Each task sends an HTTP GET to a slow server and prints a line before
    /// and after: async with reqwest, or blocking with ureq (--blocking).
    #[command(mut_args(|arg| peer::describe(Demo::Fetch, arg)), after_help = examples_help("fetch"))]
    Fetch(FetchArgs),
    /// Each task runs a slow database query and prints a line before and
    /// after: in-memory SQLite by default, or PostgreSQL (--db); an async
    /// driver, or a blocking one (--blocking).
    #[command(mut_args(|arg| peer::describe(Demo::Query, arg)), after_help = examples_help("query"))]
    Query(QueryArgs),
    /// Each task takes one shared lock, prints, waits --delay holding it,
    /// prints and releases it: a std::sync::Mutex held across .await
    /// deadlocks (and is caught), tokio's Mutex makes the tasks take turns.
    #[command(mut_arg("tasks", |arg| arg.default_value("3")),
              after_help = examples_help("lock"))]
    Lock(LockArgs),
    /// Run a slow HTTP server: each GET / is answered after --delay.
    #[command(after_help = examples_help("serve"))]
    Serve(ServeArgs),
    /// Run a demo once per way of running it and print one row each.
    // The default task count depends on the demo argument, so the help says
    // it in words rather than as one clap default.
    #[command(after_help = examples_help("compare"),
              mut_arg("tasks", |arg| arg.help(
                  "How many tasks each run has, from 1 to 10,000,000 \
                   [default: 3 for count and fetch, 2 for hello]")))]
    Compare(CompareArgs),
    /// Play a run recorded with --record back: its lines, the --explain
    /// narration (on a terminal, under --live's lanes, at the recorded
    /// pace), or step by step with --step; and every output the run could
    /// have written (--timeline, --svg, --png, --trace, --format), without
    /// running it again.
    #[command(after_help = examples_help("replay"))]
    Replay(ReplayArgs),
    /// Print a shell completion script.
    #[command(after_help = examples_help("completions"))]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff).
    #[command(after_help = examples_help("man"))]
    Man,
}

/// The options of `query`: a demo's, plus which database.
#[derive(Debug, Args)]
pub(crate) struct QueryArgs {
    /// The options every demo takes; --delay is each query's duration.
    #[command(flatten)]
    pub(crate) run: RunArgs,

    /// Where the queries go.
    #[command(flatten)]
    pub(crate) db: DbArgs,
}

/// The database options that `query` and `compare query` share.
#[derive(Debug, Args)]
pub(crate) struct DbArgs {
    /// The database: sqlite::memory: (the default: nothing installed,
    /// nothing written), sqlite:PATH (an existing file, opened read-only),
    /// postgres://USER@HOST/DB, or host=/socket/dir user=USER dbname=DB.
    #[arg(long, value_name = "URL", value_parser = crate::dburl::parse,
          value_hint = ValueHint::Other)]
    pub(crate) db: Option<crate::dburl::Database>,

    /// How many connections the queries may use at once, from 1 to 10,000
    /// [default: one per task, at most 10, as asyncpg's and sqlx's pools].
    /// Fewer than the tasks: the queries run in waves.
    #[arg(long, value_name = "K", value_hint = ValueHint::Other,
          value_parser = values::counts(1u32, 10_000), allow_negative_numbers = true)]
    pub(crate) connections: Option<u32>,
}

/// The options of `fetch`: a demo's, plus where the server is.
#[derive(Debug, Args)]
pub(crate) struct FetchArgs {
    /// The options every demo takes. --delay sets the built-in server's
    /// delay; with --url, the server decides how long it takes.
    #[command(flatten)]
    pub(crate) run: RunArgs,

    /// GET this http:// URL (any HTTP server, e.g. one started by
    /// `asyncdemo serve`) instead of starting a server in-process.
    #[arg(long, value_name = "URL", value_parser = crate::net::check_url,
          value_hint = ValueHint::Url)]
    pub(crate) url: Option<String>,

    /// Give up on a request after this long [default: --delay + 10s].
    #[arg(long, value_name = "DURATION", value_parser = values::durations(),
          value_hint = ValueHint::Other,
          allow_hyphen_values = true)]
    pub(crate) timeout: Option<Duration>,
}

/// The options of `lock`: a demo's, plus which lock the tasks share.
#[derive(Debug, Args)]
pub(crate) struct LockArgs {
    /// The options every demo takes; each task holds the lock for --delay.
    #[command(flatten)]
    pub(crate) run: RunArgs,

    /// The lock the tasks share.
    #[arg(long, value_enum, default_value_t = LockKind::Std)]
    pub(crate) lock: LockKind,
}
/// The options of `serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Where to listen: HOST:PORT, a name (localhost:0) or an address.
    /// Port 0 picks a free port. The default is loopback only; listening on
    /// other interfaces takes an explicit address.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:0",
          value_hint = ValueHint::Hostname)]
    pub(crate) addr: String,

    /// How long the server waits before answering each request.
    #[arg(short, long, value_name = "DURATION", default_value = "1s",
          value_parser = values::durations(),
          value_hint = ValueHint::Other, allow_hyphen_values = true)]
    pub(crate) delay: Duration,

    /// The longest delay a request may ask for with `GET /?delay=DURATION`.
    #[arg(long, value_name = "DURATION", default_value = "1m",
          value_parser = values::durations(), allow_hyphen_values = true,
          value_hint = ValueHint::Other)]
    pub(crate) max_delay: Duration,

    /// Close a connection whose client has not sent its request within
    /// this long, or that sits idle between requests for this long.
    #[arg(long, value_name = "DURATION", default_value = "10s",
          value_parser = values::positive_durations(), allow_hyphen_values = true,
          value_hint = ValueHint::Other)]
    pub(crate) client_timeout: Duration,

    /// Print no line per request on stderr (method, path, status, time).
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

/// An example invocation and what it shows.
pub(crate) type Example = (&'static str, &'static str);

/// Examples at the end of `asyncdemo --help` and in the man page.
const TOP_EXAMPLES: &[Example] = &[
    (
        "asyncdemo count -n 3",
        "One One One, a pause, Two Two Two: about 1 s",
    ),
    (
        "asyncdemo count -n 3 --blocking",
        "One Two One Two One Two: about 3 s",
    ),
    (
        "asyncdemo hello --blocking --timeline",
        "draw how each task waited",
    ),
    (
        "asyncdemo compare count --delay 200ms",
        "every way of running, one row each",
    ),
    (
        "asyncdemo count -f json --max-elapsed 1.5s",
        "a JSON summary; exit 1 if slower",
    ),
];

/// Examples at the end of `asyncdemo count --help`.
const COUNT_EXAMPLES: &[Example] = &[
    (
        "asyncdemo count",
        "3 tasks, 1 s each, waiting together: about 1 s",
    ),
    (
        "asyncdemo count -n 3 --blocking -v",
        "time-stamped lines show the waits add up",
    ),
    (
        "asyncdemo count -n 4 -d 200ms --blocking --workers 2 --spawn",
        "2 at a time",
    ),
    (
        "asyncdemo count -n 1000000 -q",
        "a million waiting tasks in about 1.2 s and 165 MB",
    ),
    (
        "asyncdemo count -f ndjson",
        "one JSON event per line, as it happens",
    ),
];

/// Examples at the end of `asyncdemo hello --help`.
const HELLO_EXAMPLES: &[Example] = &[
    (
        "asyncdemo hello",
        "Hello ... Hello ... ... World! ... World!: about 1 s",
    ),
    (
        "asyncdemo hello --blocking",
        "Hello ... ... World! twice: about 2 s",
    ),
    (
        "asyncdemo hello -m spawn-blocking --timeline",
        "the fix for a blocking call",
    ),
    (
        "asyncdemo hello --blocking --svg hello.svg",
        "draw the run as a picture for a slide",
    ),
    (
        "asyncdemo hello -d 200ms --work spin -v",
        "busy loops that yield take turns: fair, not faster (about 0.4 s)",
    ),
];

/// Examples at the end of `asyncdemo fetch --help`.
const FETCH_EXAMPLES: &[Example] = &[
    (
        "asyncdemo fetch -n 3 --delay 200ms",
        "three requests at once: about 0.2 s",
    ),
    (
        "asyncdemo fetch -n 3 --delay 200ms --blocking",
        "ureq (blocking) in a coroutine: about 0.6 s",
    ),
    (
        "asyncdemo fetch --url http://127.0.0.1:7878/",
        "use a server started by asyncdemo serve, or any HTTP server",
    ),
    (
        "asyncdemo fetch --blocking --slow-poll",
        "name each request on stderr while it holds the thread",
    ),
];

/// Examples at the end of `asyncdemo query --help`.
const QUERY_EXAMPLES: &[Example] = &[
    (
        "asyncdemo query -n 3 -d 300ms",
        "three SQLite queries at once, each on its connection's thread: about 0.3 s",
    ),
    (
        "asyncdemo query -n 3 -d 300ms --blocking",
        "rusqlite called inside the coroutines: one after another, about 0.9 s",
    ),
    (
        "asyncdemo query -n 6 -d 300ms --connections 2",
        "two connections: the queries run in three waves",
    ),
    (
        "asyncdemo query --db postgres://localhost/postgres --blocking",
        "the sync postgres client inside tokio: refused, and why",
    ),
];

/// Examples at the end of `asyncdemo lock --help`.
const LOCK_EXAMPLES: &[Example] = &[
    (
        "asyncdemo lock -d 200ms",
        "a std::sync::Mutex held across .await: deadlock, caught, exit 1",
    ),
    (
        "asyncdemo lock -d 200ms --lock tokio",
        "tokio's Mutex: no deadlock, the tasks take turns (about 0.6 s)",
    ),
    (
        "asyncdemo lock -d 200ms --lock none",
        "no lock: the waits overlap (about 0.2 s)",
    ),
];

/// Examples at the end of `asyncdemo serve --help`.
const SERVE_EXAMPLES: &[Example] = &[
    ("asyncdemo serve", "a free port on 127.0.0.1, 1 s per reply"),
    (
        "asyncdemo serve --addr 127.0.0.1:7878 --delay 200ms",
        "a fixed port, 0.2 s per reply; try curl http://127.0.0.1:7878/",
    ),
];

/// Examples at the end of `asyncdemo compare --help`.
const COMPARE_EXAMPLES: &[Example] = &[
    ("asyncdemo compare count", "3 tasks of 1 s, eight ways"),
    (
        "asyncdemo compare count -d 200ms -f markdown",
        "a table for a README or a slide",
    ),
    (
        "asyncdemo compare count -d 200ms --ways async,blocking",
        "only the two ways the lesson starts with",
    ),
    (
        "asyncdemo compare count -d 200ms --svg compare.svg",
        "every way as one picture, on a shared time axis",
    ),
    (
        "asyncdemo compare lock -d 200ms",
        "std's Mutex, tokio's and none, one row each",
    ),
];

/// Examples at the end of `asyncdemo replay --help`.
const REPLAY_EXAMPLES: &[Example] = &[
    (
        "asyncdemo replay run.rec",
        "the run's lines and the --explain narration, in order",
    ),
    (
        "asyncdemo replay run.rec --step",
        "step through the run on the terminal: Space forward, Left back, q quit",
    ),
    (
        "asyncdemo replay run.rec --svg run.svg",
        "draw the recorded run, exactly as it happened",
    ),
    (
        "asyncdemo replay run.rec -f json",
        "the run's JSON summary, timings included",
    ),
];

/// Examples at the end of `asyncdemo completions --help`.
const COMPLETIONS_EXAMPLES: &[Example] = &[
    (
        "asyncdemo completions bash > ~/.local/share/bash-completion/completions/asyncdemo",
        "bash (after mkdir -p ~/.local/share/bash-completion/completions)",
    ),
    (
        "asyncdemo completions zsh > ~/.zfunc/_asyncdemo",
        "zsh (after mkdir -p ~/.zfunc; with ~/.zfunc on $fpath)",
    ),
    (
        "asyncdemo completions fish > ~/.config/fish/completions/asyncdemo.fish",
        "fish (after mkdir -p ~/.config/fish/completions)",
    ),
];

/// Examples at the end of `asyncdemo man --help`.
const MAN_EXAMPLES: &[Example] = &[
    (
        "asyncdemo man > ~/.cargo/share/man/man1/asyncdemo.1",
        "install the man page beside a cargo-installed binary",
    ),
    ("asyncdemo man | man -l -", "read it without installing"),
];

/// Every example, by the subcommand it belongs to (`""` for the program
/// itself). This table is the one list: each `--help` shows its own rows,
/// the man page shows them all, and a test parses every one.
pub(crate) const EXAMPLES: [(&str, &[Example]); 11] = [
    ("", TOP_EXAMPLES),
    ("count", COUNT_EXAMPLES),
    ("hello", HELLO_EXAMPLES),
    ("fetch", FETCH_EXAMPLES),
    ("query", QUERY_EXAMPLES),
    ("lock", LOCK_EXAMPLES),
    ("serve", SERVE_EXAMPLES),
    ("compare", COMPARE_EXAMPLES),
    ("replay", REPLAY_EXAMPLES),
    ("completions", COMPLETIONS_EXAMPLES),
    ("man", MAN_EXAMPLES),
];

/// The examples of `command` (`""` for the program itself).
pub(crate) fn examples_of(command: &str) -> &'static [Example] {
    EXAMPLES
        .iter()
        .find(|(name, _)| *name == command)
        .map_or(&[], |(_, examples)| examples)
}

/// Renders the examples of `command` for `after_help`.
fn examples_help(command: &str) -> String {
    let mut text = String::from("Examples:\n");
    for (line, what) in examples_of(command) {
        text.push_str(&format!("  {line}\n      {what}\n"));
    }
    text
}

/// The options of `compare`.
#[derive(Debug, Args)]
pub(crate) struct CompareArgs {
    /// The demo to compare.
    #[arg(value_enum)]
    pub(crate) demo: Demo,

    /// How many tasks, and how long each waits.
    #[command(flatten)]
    pub(crate) workload: Workload,

    /// Output format of the table.
    #[arg(short, long, value_enum, default_value_t = TableFormat::Text)]
    pub(crate) format: TableFormat,

    /// Also draw every way as a panel of one SVG picture, on a shared time
    /// axis, labelled with its verdict: a 16:9 slide that scales to the
    /// window (more ways than fit make it taller; --ways picks fewer). A
    /// file: stdout holds the table.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub(crate) svg: Option<PathBuf>,

    /// The same picture as --svg, as a PNG for a slide (2400 px wide, its
    /// font embedded). A file: stdout holds the table.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub(crate) png: Option<PathBuf>,

    /// After the tokio rows, run the notes' own Python programs with
    /// python3 (3.9 or newer, from PATH), one row per way of waiting. For
    /// fetch: aiohttp and requests; for query: sqlite3 and aiosqlite, or
    /// psycopg and asyncpg on PostgreSQL; each when it imports.
    #[arg(long)]
    pub(crate) python: bool,

    /// Stop a Python row that runs longer than this, and fail it
    /// [default: N × delay + 10s].
    #[arg(long, value_name = "DURATION", requires = "python",
          value_parser = values::durations(), value_hint = ValueHint::Other,
          allow_hyphen_values = true)]
    pub(crate) python_deadline: Option<Duration>,

    /// Run only these ways, comma-separated (default: all of the demo's),
    /// e.g. async,blocking; for `compare lock`, std-lock,tokio-lock,no-lock.
    /// They run in the lesson's order, one row and one --svg panel each.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "WAY,...")]
    pub(crate) ways: Vec<WayName>,

    /// `compare query`: the database and its connections.
    #[command(flatten)]
    pub(crate) db: DbArgs,

    /// Record every way's run (the Python rows too) into FILE, one section
    /// each, for `asyncdemo replay FILE` (the table and picture again) and
    /// `replay FILE --way NAME` (one way's run). `-` writes it to stdout,
    /// with -q only.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub(crate) record: Option<PathBuf>,

    /// Print no progress lines; with --record -, the table goes to stderr.
    #[arg(short, long)]
    pub(crate) quiet: bool,
}

/// A way of running the tasks that `compare --ways` can pick.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum WayName {
    /// Each task awaits its wait; one thread runs them all.
    Async,
    /// Each task blocks its thread, the runtime's only one.
    Blocking,
    /// Each task blocks an OS thread of its own; no runtime.
    Threads,
    /// Each task hands its blocking call to tokio's blocking pool.
    SpawnBlocking,
    /// Blocking tasks in one join_all on a multi-thread runtime.
    MultiJoined,
    /// Blocking tasks, each spawned on a multi-thread runtime.
    MultiSpawned,
    /// block_in_place in one join_all on a multi-thread runtime.
    InPlaceJoined,
    /// block_in_place in each spawned task on a multi-thread runtime.
    InPlaceSpawned,
    /// `compare lock`: std::sync::Mutex held across .await (it deadlocks).
    StdLock,
    /// `compare lock`: tokio::sync::Mutex held across .await.
    TokioLock,
    /// `compare lock`: no lock at all.
    NoLock,
}

impl WayName {
    /// The name as `--ways` takes it: `multi-joined`.
    pub(crate) fn label(self) -> String {
        self.to_possible_value()
            .map_or_else(String::new, |value| value.get_name().to_owned())
    }
}

/// The formats of the `compare` table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum TableFormat {
    /// Aligned columns for a terminal.
    Text,
    /// A GitHub table, for a README or a slide.
    Markdown,
    /// The list of run summaries, in the --format json schema.
    Json,
}

/// How many tasks, and how long each waits: the options every demo and
/// `compare` share.
#[derive(Debug, Args)]
pub(crate) struct Workload {
    /// How many tasks to run, from 1 to 10,000,000.
    #[arg(short = 'n', long, value_name = "N", value_hint = ValueHint::Other,
          value_parser = values::counts(1, MAX_TASKS),
          allow_negative_numbers = true)]
    pub(crate) tasks: Option<u32>,

    /// How long each task waits, e.g. 250ms, 1.5s, 2m, 0.
    // `allow_hyphen_values` lets `-d -1s` reach the parser, which then says
    // a duration cannot be negative, instead of clap reading `-1s` as an
    // option (it only lets through what parses as a number).
    #[arg(short, long, value_name = "DURATION", default_value = "1s",
          value_parser = values::durations(),
          value_hint = ValueHint::Other, allow_hyphen_values = true)]
    pub(crate) delay: Duration,

    /// What each task's wait is: a sleep, or a busy loop on the CPU for
    /// --delay (count, hello and compare).
    #[arg(long, value_enum, default_value_t = Work::Sleep)]
    pub(crate) work: Work,
}

impl Workload {
    /// The task count, or `demo`'s own default.
    pub(crate) fn tasks_for(&self, demo: Demo) -> u32 {
        self.tasks.unwrap_or(demo.default_tasks())
    }
}

/// The options of `replay`: the recording, and which of the run's outputs
/// to write again.
#[derive(Debug, Args)]
pub(crate) struct ReplayArgs {
    /// The recording, written by a demo's or compare's --record.
    #[arg(value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub(crate) file: PathBuf,

    /// After the lines, draw each task's wait on a time axis (text format).
    #[arg(long)]
    pub(crate) timeline: bool,

    /// Write the recorded run as a Chrome trace-event JSON file. `-` writes
    /// it to stdout, with -q only.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub(crate) trace: Option<PathBuf>,

    /// Draw the recorded run as an SVG picture. `-` writes it to stdout,
    /// with -q only.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub(crate) svg: Option<PathBuf>,

    /// Draw the same picture as --svg as a PNG. `-` writes it to stdout,
    /// with -q only.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub(crate) png: Option<PathBuf>,

    /// Narrate the executor's steps between the lines, as --explain did
    /// in the run. A plain replay (text, without -q or -v) narrates
    /// anyway: a replay is for looking at the steps.
    #[arg(long, conflicts_with = "quiet")]
    pub(crate) explain: bool,

    /// Output format, as the run's own --format (markdown: a compare
    /// recording's table).
    #[arg(short, long, value_enum, default_value_t = ReplayFormat::Text)]
    pub(crate) format: ReplayFormat,

    /// Of a compare recording, replay this way's run alone, as a replay of
    /// one run (e.g. blocking, or python-gather for a Python row).
    #[arg(long, value_name = "NAME")]
    pub(crate) way: Option<String>,

    /// Print only the summary line (text format).
    #[arg(short, long, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// Prefix each task line with its time since start and its task number.
    #[arg(short, long)]
    pub(crate) verbose: bool,

    /// Play the lines and the narration back at this fraction of the
    /// recorded speed (1 the run's own pace, 0.1 ten times slower). On a
    /// terminal a replay goes at the run's own pace unless this says
    /// another; into a pipe or a file, all at once unless it says one.
    #[arg(long, value_name = "FACTOR", value_parser = speed)]
    pub(crate) speed: Option<f64>,

    /// Step through the run on the terminal, one executor step per key (a
    /// poll, a Pending, a wake, a park, a line, a state change), with the
    /// lanes of --live at that very moment and the step's narration under
    /// them. Keys: Space or Right, the next step; Left, the step before;
    /// Home and End, the first and last; a time in seconds since the
    /// run's start then Enter (0.25 Enter), the moment at that time; t,
    /// follow a task (Space and Left then go to its steps only; each t
    /// follows the next task, and after the last none; a number then t,
    /// 3t, follows that task); q, Esc or Ctrl-C, quit. Needs a terminal.
    #[arg(long, conflicts_with_all = ["timeline", "trace", "svg", "png", "format", "quiet", "verbose", "speed", "explain"])]
    pub(crate) step: bool,
}

/// `replay --format`: a run's formats, and a compare table's markdown.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReplayFormat {
    /// The task lines and the summary line; a compare recording's table.
    Text,
    /// The JSON summary; a compare recording's list of summaries.
    Json,
    /// One JSON event per task line, then the summary.
    Ndjson,
    /// A compare recording's table as a GitHub table.
    Markdown,
}

impl ReplayFormat {
    /// The run's `--format` it is, if it is one.
    pub(crate) fn run(self) -> Option<Format> {
        match self {
            ReplayFormat::Text => Some(Format::Text),
            ReplayFormat::Json => Some(Format::Json),
            ReplayFormat::Ndjson => Some(Format::Ndjson),
            ReplayFormat::Markdown => None,
        }
    }

    /// compare's `--format` it is, if it is one.
    pub(crate) fn table(self) -> Option<TableFormat> {
        match self {
            ReplayFormat::Text => Some(TableFormat::Text),
            ReplayFormat::Json => Some(TableFormat::Json),
            ReplayFormat::Markdown => Some(TableFormat::Markdown),
            ReplayFormat::Ndjson => None,
        }
    }
}

/// `--speed`: a factor from 0.001 to 1000.
fn speed(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(factor) if (0.001..=1000.0).contains(&factor) => Ok(factor),
        _ => Err("a factor from 0.001 to 1000, e.g. 1 or 0.1".into()),
    }
}

/// The options every demo takes.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// How many tasks, and how long each waits.
    #[command(flatten)]
    pub(crate) workload: Workload,

    /// How each task waits.
    #[arg(short, long, value_enum, default_value_t = Mode::Async)]
    pub(crate) mode: Mode,

    /// Wait with std::thread::sleep: shorthand for --mode blocking.
    #[arg(long, conflicts_with = "mode")]
    pub(crate) blocking: bool,

    /// Which tokio runtime drives the tasks [default: current-thread, or
    /// multi-thread when --workers is given].
    #[arg(long, value_enum)]
    pub(crate) runtime: Option<RuntimeKind>,

    /// Worker threads of the multi-thread runtime, from 1 to 1,024; implies
    /// --runtime multi-thread [default: the number of CPUs].
    #[arg(long, value_name = "K", value_hint = ValueHint::Other,
          value_parser = values::counts(1u16, 1024), allow_negative_numbers = true)]
    pub(crate) workers: Option<u16>,

    /// Spawn each task with tokio::spawn instead of polling all of them
    /// inside one join_all. On a multi-thread runtime the tasks then run on
    /// every worker, and the order of their lines is not deterministic.
    #[arg(long)]
    pub(crate) spawn: bool,

    /// The most threads tokio's blocking pool starts for --mode
    /// spawn-blocking, from 1 to 100,000; it starts them as calls need them
    /// [default: 512].
    #[arg(long, value_name = "K", value_hint = ValueHint::Other,
          value_parser = values::counts(1u32, 100_000), allow_negative_numbers = true)]
    pub(crate) blocking_threads: Option<u32>,

    /// After the run, draw each task's wait on a time axis (text format).
    #[arg(long)]
    pub(crate) timeline: bool,

    /// Draw the timeline on the terminal while the run goes: a lane per
    /// task and per runtime thread, growing as the tasks wait, with the
    /// demo's lines printed above it. When stdout is not a terminal (or
    /// TERM=dumb), the run goes on without the view, and says so on stderr.
    #[arg(long)]
    pub live: bool,

    /// Write the run as a Chrome trace-event JSON file, for ui.perfetto.dev
    /// or chrome://tracing. `-` writes it to stdout, with -q only (the
    /// summary line then goes to stderr).
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub(crate) trace: Option<PathBuf>,

    /// Draw the run as a standalone SVG picture: a lane per task, coloured by
    /// how it waited, and a lane per runtime thread (busy or parked). `-`
    /// writes it to stdout, with -q only (the summary line then goes to
    /// stderr).
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub(crate) svg: Option<PathBuf>,

    /// Draw the same picture as --svg as a PNG for a slide (2400 px wide, its
    /// font embedded, for tools that take no SVG). `-` writes it to stdout,
    /// with -q only.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub(crate) png: Option<PathBuf>,

    /// Record the run into FILE for `asyncdemo replay`: every line, poll,
    /// wake-up and park it observed, with its command line and outcome.
    /// `-` writes it to stdout, with -q only.
    #[arg(long, value_name = "FILE", value_hint = ValueHint::FilePath)]
    pub(crate) record: Option<PathBuf>,

    /// Warn on stderr when one poll of a task holds its runtime thread
    /// for THRESHOLD or longer (100ms when given without a value, as in
    /// asyncio's debug mode): once while it still blocks, and with the full
    /// figure when it ends. Not with --mode threads: a task there owns its
    /// thread, so there is no shared thread to hold.
    #[arg(long, value_name = "THRESHOLD", num_args = 0..=1, require_equals = true,
          value_hint = ValueHint::Other,
          default_missing_value = "100ms", value_parser = values::durations())]
    pub(crate) slow_poll: Option<Duration>,

    /// Narrate what the executor does, step by step, between the task
    /// lines (each narration line starts with a │ gutter; with --format ndjson,
    /// each step is an object of type "explain"): which task is polled and
    /// by whom, what it awaits, Pending or a held thread and for how long,
    /// each wake-up and park. The first 3 tasks are narrated; the others are
    /// summed up in one line at the end. Not with -q, --format json or
    /// --slow-poll.
    #[arg(long, conflicts_with_all = ["quiet", "slow_poll"])]
    pub(crate) explain: bool,

    /// Output format: the task lines and a summary, one JSON summary, or a JSON
    /// event per line followed by the summary.
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    pub(crate) format: Format,

    /// Print only the summary line (text format).
    #[arg(short, long, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// Prefix each task line with its time since start and its task number
    /// (text format).
    #[arg(short, long)]
    pub(crate) verbose: bool,

    /// Fail (exit 1) if the run takes longer than this.
    #[arg(long, value_name = "DURATION", value_parser = values::durations(),
          value_hint = ValueHint::Other,
          allow_hyphen_values = true)]
    pub(crate) max_elapsed: Option<Duration>,

    /// Fail (exit 1) if the run takes less time than this.
    #[arg(long, value_name = "DURATION", value_parser = values::durations(),
          value_hint = ValueHint::Other,
          allow_hyphen_values = true)]
    pub(crate) min_elapsed: Option<Duration>,
}

#[cfg(test)]
mod tests;
