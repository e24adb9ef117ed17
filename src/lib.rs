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
//! args ──▶ config ──▶ run ──▶ events ──▶ summary ──▶ report ──▶ export
//! (cli)    (config)   (run, demo,  (sink)    (report)    (report/*)  (export/*)
//!                      wait, http)
//! ```
//!
//! Each module uses only the ones listed before it (`module-graph src`
//! checks there is no cycle), so a newcomer can read the house from the
//! bottom up. The modules are private (the library's one public door is
//! [`run_before_exit`], with [`Cli`], [`ExitCode`] and [`report_error`]); `cargo doc
//! --document-private-items` shows them all:
//!
//! - `vocab`: the shared words (demo, phase, mode, work, lock, runtime
//!   kind, format, a task's line, a thread's park) and the demo table
//!   (`vocab::demos`: a row per demo, its name, lines, wait words, peer and
//!   option words, which the rooms above read instead of naming a demo).
//!   Uses nothing of the crate.
//! - `outcome`: what a task's wait and a whole run came to: how each wait
//!   ended (a reply's status, a query's time, why it failed), which
//!   decides the task's last line, and what a run measured (elapsed,
//!   completed, polls, a deadlock, the lock's waits). A leaf over `vocab`,
//!   so the sink, below the runner, can build them.
//! - `wrap`: text fitted to a width, broken at spaces and never inside a
//!   figure: the compare verdicts, the `--explain` narration and long
//!   `error:`/`warning:` lines. A leaf.
//! - `net`: what crosses the network's edge: the `--url` checked when the
//!   arguments are parsed, and a peer's text escaped before it reaches a
//!   terminal. A leaf, like `vocab`; the URL's last checks need the `url`
//!   crate of the `http` feature, so `net` has its own `enabled.rs` /
//!   `disabled.rs` (the argument parser cannot reach into `http`, which
//!   uses the parsed arguments).
//! - `png`: the one place that looks at the `png` feature: the SVG
//!   picture rendered as a PNG (resvg), or a `disabled.rs` with the same
//!   API. A leaf.
//! - `dburl`: what `--db` names (in-memory SQLite, a SQLite file, a
//!   PostgreSQL server), checked when the arguments are parsed, and shown
//!   without its password. A leaf, like `net`.
//! - `cli`: what the user can say: clap derive types, and the one list of
//!   examples that `--help` and the man page show; `cli::values` reads
//!   every duration and count, and words what is wrong with one.
//! - `style`: colour, decided the same way for each stream, clap's help
//!   and usage errors included, and the coloured `error:`/`warning:` prefix.
//! - `usage`: the usage errors that clap would word for another case
//!   (`compare count --blocking`).
//! - `config`: the arguments checked against each other, defaults
//!   settled (the runtime with its size, the terminal, the line style);
//!   one constructor builds every run's `Config`, and `DemoCommand` takes
//!   a demo's command apart for a run and a replay alike.
//! - `limits`: the machine's limits in one room (threads, memory, stack,
//!   file descriptors): the check made before a run starts, the thread
//!   start that turns the OS's refusal into a named limit, the words of
//!   every such error, and the one classification (exit 1) all commands
//!   use.
//! - `events`: the run's events as one stream (a line, a wait begun and
//!   ended, a runtime thread parked and woken, a poll), and the followers
//!   that take them while the run goes: the recorder for the pictures, the
//!   `--trace` writer, the `--slow-poll` watch, and a `Ticker` thread for
//!   views that read shared state at a steady rate.
//! - `state`: the task-state model, the one place a task's state is
//!   decided (polled, held, sleeping, overdue, ready, queued, in the pool,
//!   waiting for the lock), built only from what the run observed: polls,
//!   wakes through a wrapped waker, timers' deadlines, pool calls' starts,
//!   blocking calls, parks. The pictures, `--live`, `--trace`, the JSON's
//!   `task_states` and `--explain`'s waits read it.
//! - `interrupt`: Ctrl-C and SIGTERM, received on a thread of their own,
//!   the `Signal` that names which one stopped a run, and the patient
//!   try-lock their handlers take.
//! - `exit_code`: how the process ends: the exit codes, how two merge,
//!   which error means which code (a limit of the machine is 1), and the
//!   one writer of `error:` lines.
//! - `conclude`: who concludes a run, exactly once (the normal end, a
//!   signal, the reader hanging up), and what the others do: the run's
//!   output and the claim behind one lock, which callers only ask.
//! - `report`: pure renderers. A `Summary` and the recorded events in;
//!   text, JSON, NDJSON, the `--timeline` and `--svg` pictures, the
//!   `--trace` file and the `compare` table out.
//! - `sink`: where task lines go during the run: one buffered writer,
//!   flushed when the program is about to wait, and the events recorded
//!   for the pictures.
//! - `live`: `--live`, the timeline drawn on the terminal while the run
//!   goes (ratatui's inline viewport, on a thread of its own), a follower of
//!   the run's events; its clock can be told instead (a replay's recorded
//!   time), and `live::step` shows a recorded run one step per key with
//!   the same drawing; the one place that looks at the default cargo
//!   feature `live` (`enabled.rs`, or a `disabled.rs` with the same API).
//! - `wait`: the ways of waiting, the one thing that differs between
//!   modes: a tokio timer, a blocking call in place, the blocking pool,
//!   `block_in_place`, a busy loop on the CPU (`--work spin`); and the
//!   `Runner` that the runner hands to `http` and `db`, whose drivers
//!   make waits of their own.
//! - `http`: everything HTTP, and the place that looks at the `http`
//!   feature (with `net`'s URL parser): the slow server (`http::server`, hyper) that `fetch` talks
//!   to and `serve` runs, the clients of `fetch` (`http::client`, reqwest
//!   and ureq, whose waits are `wait`'s), and an `enabled.rs` or a
//!   `disabled.rs` with the same API, which says that this build has no
//!   HTTP.
//! - `db`: the same for the `db` feature: the drivers of `query`
//!   (`db::query`: SQLite on a thread per connection or in place,
//!   tokio-postgres or the sync `postgres` client, which observe when a
//!   query really starts on its connection) made for the database `--db`
//!   names, and PostgreSQL's `max_connections` checked before the run; or
//!   the word that this build has none.
//! - `demo`: the task coroutine itself: print, wait, print.
//! - `narrate`: `--explain`, the executor narrated between the lines: a
//!   poll follower that forwards the first few tasks' polls and wake-ups
//!   into the ordered stream (their waits add their own steps: a timer's
//!   deadline, a call queued or started), and the follower that words them,
//!   overdue timers decided by `state`'s model (`report::narration` has the
//!   sentences).
//! - `slowpoll`: `--slow-poll`, each coroutine's polls timed, and a
//!   watchdog thread that names a task while it holds its thread.
//! - `run`: what drives the tasks (a tokio runtime, joined or spawned, or
//!   an OS thread each), the machine's limits checked (`limits`) before
//!   they start, and how long they took; `run::lock` drives the `lock`
//!   demo, whose tasks share one lock, and watches for the deadlock a
//!   `std::sync::Mutex` held across `.await` makes.
//! - `export`: every output of a finished run (summary, timeline, table,
//!   picture) behind one `Exporter` trait, and the files they go to,
//!   created in one place, `-` meaning stdout.
//! - `record`: `--record FILE`, the run kept for a replay: a follower that
//!   writes the ordered events as they come, and an export that ends the
//!   file with the model's observations and the summary (its layout and
//!   version are documented there and in docs/ci.md); `record::compare`
//!   keeps a `compare`'s ways, one such recording each, in one file.
//! - `replay`: `asyncdemo replay FILE`, a recording read back (every byte
//!   checked) and played through the run's own followers and exports; on
//!   a terminal it feeds `live`'s view too (`replay::walk`: the recorded
//!   events and observations in time order), at the recorded pace or a
//!   step per key (`--step`); `replay::compare` makes a compare's table and
//!   slide again, or plays one of its ways.
//! - `python`: `compare --python`, the notes' own Python programs run by
//!   python3 with a deadline, their task lines read back as events.
//! - `compare`: the `compare` command, one run per way of running.
//! - `generate`: shell completions and the man page, from the CLI itself.
//! - `lifecycle`: the top: each command handed to the room that runs it,
//!   and a demo run's lifecycle (started, interrupted by a signal or the
//!   reader hanging up, concluded through `conclude` and `export`, its
//!   exit code picked).
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
