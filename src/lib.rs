//! asyncdemo: see the difference between blocking and non-blocking waiting.
//!
//! N coroutines each print a line, wait, and print another line, as in
//! Python's asyncio lesson (`count()` and `hello()` under `asyncio.gather`).
//! They wait either with `tokio::time::sleep` (the thread stays free, so all
//! the waits overlap: about 1 s in total) or with `std::thread::sleep` (the
//! thread is held, so the tasks run one after another: N s).
//!
//! # Layout
//!
//! Data flows one way:
//!
//! ```text
//! args ─▶ config ─▶ run ─▶ events ─▶ task states ─▶ summary ─▶ renderers ─▶ export
//! (cli)  (config)  (run, wait, (events,  (state)      (report)   (report/*)  (export,
//!                   http, db)   sink)                                         record)
//! ```
//!
//! Each module uses only the ones listed before it (`module-graph src`
//! checks there is no cycle), so a newcomer can read the house from the
//! bottom up. The modules are private (the one public door is
//! [`run_before_exit`], with [`Cli`], [`ExitCode`] and [`report_error`]);
//! `cargo doc --document-private-items` shows them all:
//!
//! - `vocab`: the words every room uses (demo, phase, mode, work, lock,
//!   format, a task's line, a park) and the demo table, `vocab::demos`,
//!   which the rooms above read instead of naming a demo. Uses nothing.
//! - `outcome`: how a wait ended (which decides a task's last line) and
//!   what a run measured; a leaf, so the sink below the runner builds it.
//! - `wrap`: text fitted to a width, never broken inside a figure.
//! - `net`: a peer's text escaped before it reaches a terminal (the one
//!   escaping function), and the `--url` checked; its URL parse has its
//!   own `enabled.rs`/`disabled.rs`, since `cli` cannot reach `http`.
//! - `png`: the `png` feature's one place: the SVG rendered by resvg.
//! - `dburl`: what `--db` names, checked, and shown without its password.
//! - `cli`: what the user can say (clap), with the one list of examples
//!   that `--help` and the man page show; `cli::values` reads each value.
//! - `style`: colour, decided once per stream, and the `error:` prefix.
//! - `usage`: the usage errors clap would word for another case.
//! - `config`: the arguments checked against each other, defaults settled;
//!   one constructor builds every run's `Config`.
//! - `limits`: the machine's limits (threads, memory, stack, descriptors),
//!   checked before a run, their words, and their exit code, 1.
//! - `events`: the run's events as one ordered stream, and the followers
//!   that take them while it goes (recorder, `--trace`, `--slow-poll`).
//! - `state`: the task-state model, the one place a task's state is
//!   decided, built only from what the run observed: polls, wakes through
//!   a wrapped waker, timers' deadlines, pool calls' starts, blocking
//!   calls, parks. Every view reads it.
//! - `interrupt`: Ctrl-C and SIGTERM, and which one stopped a run.
//! - `exit_code`: the exit codes, how two merge, which error means which,
//!   and the one writer of `error:` lines.
//! - `conclude`: who concludes a run, exactly once (the normal end, a
//!   signal, the reader hanging up); callers only ask it.
//! - `report`: pure renderers: a `Summary` and the model in; text, JSON,
//!   NDJSON, `--timeline`, `--svg`, `--trace` and compare's table out.
//! - `sink`: where task lines go during the run (one buffered writer,
//!   flushed before the program waits), and what it observed.
//! - `live`: `--live` and `replay --step` on the terminal (ratatui), a
//!   follower of the run's events; the `live` feature's one place.
//! - `wait`: the ways of waiting, the one thing that differs between
//!   modes, and the `Runner` that `http` and `db` make their waits with.
//! - `http`: the `http` feature's place: the slow server, `fetch`'s
//!   clients (reqwest, ureq), or the word that this build has none.
//! - `db`: the same for `db`: `query`'s drivers (SQLite, PostgreSQL),
//!   which observe when a query really starts on its connection.
//! - `demo`: the task coroutine itself: print, wait, print.
//! - `narrate`: `--explain`, the executor's steps told between the lines
//!   (`report::narration` has the sentences).
//! - `slowpoll`: `--slow-poll`, and the watchdog that names a held thread.
//! - `run`: what drives the tasks (a tokio runtime, joined or spawned, or
//!   a thread each) and how long they took; `run::lock`, the `lock` demo.
//! - `export`: every output of a finished run behind one `Exporter`, and
//!   the files they go to, `-` meaning stdout.
//! - `record`: `--record FILE`, the run kept for a replay (its layout is
//!   documented there and in docs/ci.md).
//! - `replay`: a recording read back, every byte checked, and played
//!   through the run's own followers and exports.
//! - `python`: `compare --python`, the notes' own programs run by python3.
//! - `compare`: the `compare` command, one run per way of running.
//! - `generate`: shell completions and the man page, from the CLI itself.
//! - `lifecycle`: the top: each command handed to its room, and a run's
//!   life (started, interrupted, concluded, its exit code picked).
//!
//! This file is only the map. `main.rs` parses the command line, calls
//! [`run_before_exit`] and turns its result or error into an exit code.

mod cli;
mod compare;
mod conclude;
mod config;
mod db;
mod dburl;
mod demo;
mod events;
mod exit_code;
mod export;
mod generate;
mod http;
mod interrupt;
mod lifecycle;
mod limits;
mod live;
mod narrate;
mod net;
mod outcome;
mod png;
mod python;
mod record;
mod replay;
mod report;
mod run;
mod sink;
mod slowpoll;
mod state;
pub mod style;
pub mod usage;
mod vocab;
mod wait;
mod wrap;

pub use crate::cli::{Cli, ColorChoice};
pub use crate::exit_code::{ExitCode, report_error};
pub use crate::lifecycle::run_before_exit;
pub use crate::limits::MachineLimit;
