//! The demo table: one row per demo, with every fact and word about a demo
//! that the rooms above need, so that they ask the row instead of naming
//! the demo. A new demo adds its variant to [`Demo`] and its row here, its
//! command in `cli` (and in `config::DemoCommand`), and a room of its own.
//!
//! What stays keyed by the demo elsewhere is what only that room can say:
//! the options a demo has of its own (`config`), the ways `compare` runs it,
//! its Python programme (`python`), and the narration of a new kind of call
//! (`narrate`).

use super::{Mode, Phase};
use clap::ValueEnum;
use serde::{Deserialize, Serialize};

/// One of the demos from the notes; each has its row below.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Demo {
    /// `One`, wait, `Two` (the notes' `countasync.py`, 3 tasks).
    Count,
    /// `Hello ...`, wait, `... World!` (the notes' second example, 2 tasks).
    Hello,
    /// `fetch N ...`, an HTTP request to a slow server, `... fetch N: 200 OK`.
    Fetch,
    /// `query N ...`, a slow database query, `... query N: done in 0.30 s`.
    Query,
    /// `task N has the lock ...`, a wait while holding one shared lock,
    /// `... task N releases the lock` (3 tasks).
    Lock,
}

/// Everything the house knows about one demo.
pub(crate) struct DemoRow {
    /// The name used on the command line and in every report.
    pub(crate) name: &'static str,
    /// How many tasks the notes run: `gather(count(), count(), count())`
    /// and `gather(hello(), hello())`.
    pub(crate) default_tasks: u32,
    /// The two lines each task prints.
    pub(crate) lines: Lines,
    /// What each task's wait is, in the words of the pictures' legends.
    pub(crate) waits: WaitWords,
    /// What the tasks wait on when it is a peer that answers (a server, a
    /// database) rather than a sleep; `None` for a sleep.
    pub(crate) peer: Option<Peer>,
    /// Whether the tasks share one lock (`--lock`), the `lock` demo's
    /// lesson.
    pub(crate) shares_lock: bool,
}

impl DemoRow {
    /// Whether each task's wait is a plain sleep, which `--work spin` can
    /// replace with a busy loop (`count`, `hello`): not a call to a peer,
    /// nor a sleep holding the lock.
    pub(crate) const fn sleeps(&self) -> bool {
        self.peer.is_none() && !self.shares_lock
    }
}

/// The two lines of a task.
pub(crate) enum Lines {
    /// The same words for every task, each with its newline, so that
    /// printing a line is a single `write_all` of a `&'static str`: this
    /// runs twice per task, and a run may have ten million tasks.
    Fixed([&'static str; 2]),
    /// Words around the task's number, `(before, after)` for each line:
    /// `fetch 3 ...`.
    Numbered([(&'static str, &'static str); 2]),
}

/// One line of a task, from [`Lines::of`].
pub(crate) enum Line {
    /// The same for every task, with its newline.
    Fixed(&'static str),
    /// The words before and after the task's number, without a newline.
    Numbered(&'static str, &'static str),
}

impl Lines {
    /// The first or the last line.
    pub(crate) const fn of(&self, phase: Phase) -> Line {
        let i = match phase {
            Phase::First => 0,
            Phase::Last => 1,
        };
        match self {
            Lines::Fixed(lines) => Line::Fixed(lines[i]),
            Lines::Numbered(words) => Line::Numbered(words[i].0, words[i].1),
        }
    }
}

/// A demo's words for how its tasks wait, one per kind of wait the
/// pictures draw (busy loops have the same words in every demo).
pub(crate) struct WaitWords {
    /// The wait leaves the thread free: `sleeping, its thread free for
    /// other tasks`.
    pub(crate) free: &'static str,
    /// The wait blocks its thread: `blocked in std::thread::sleep, ...`.
    pub(crate) blocked: &'static str,
    /// A blocking-pool thread waits for the task.
    pub(crate) offloaded: &'static str,
    /// A runtime thread held by that blocking wait, in a legend.
    pub(crate) held_thread: &'static str,
}

/// A peer the tasks wait on, and the words that differ from a sleep's.
pub(crate) struct Peer {
    /// Which kind of peer: it decides which cargo feature the demo needs.
    pub(crate) kind: PeerKind,
    /// What its wait is, for the refusal of `--work spin`: `a fetch's wait
    /// is its request`.
    pub(crate) wait_is: &'static str,
    /// The peer's own queue, where a call waits before it really starts
    /// (a free connection), observed by its driver, in the pictures'
    /// legend: `queued: its query waits for a free connection`; `None`
    /// when the only queue is the blocking pool's.
    pub(crate) queue: Option<&'static str>,
    /// How the demo's command words its options.
    pub(crate) help: PeerHelp,
}

/// Which kind of peer a demo's tasks wait on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PeerKind {
    /// An HTTP server (`http`, the `http` feature).
    Server,
    /// A database (`db`, the `db` feature).
    Database,
}

/// How a demo whose tasks wait on a peer words its options: the same
/// options as a sleeping demo's, each said for what the tasks wait on.
pub(crate) struct PeerHelp {
    /// What one call is: `request`, `query`.
    pub(crate) call: &'static str,
    /// What makes it: `client`, `driver`.
    pub(crate) maker: &'static str,
    /// `--delay`'s help.
    pub(crate) delay: &'static str,
    /// `--mode async`'s help: which async maker.
    pub(crate) async_mode: &'static str,
    /// `--mode blocking`'s help: which blocking maker.
    pub(crate) blocking_mode: &'static str,
}

impl PeerHelp {
    /// `--mode`'s help for `mode`, in the words of this peer's calls.
    pub(crate) fn mode(&self, mode: Mode) -> String {
        let PeerHelp { call, maker, .. } = self;
        match mode {
            Mode::Async => self.async_mode.to_owned(),
            Mode::Blocking => self.blocking_mode.to_owned(),
            Mode::Threads => {
                format!("Each task on an OS thread of its own, with a blocking {maker}")
            }
            Mode::SpawnBlocking => {
                format!("Each blocking {call} goes to tokio's blocking pool (spawn_blocking)")
            }
            Mode::BlockInPlace => {
                format!("Each blocking {call} inside block_in_place (multi-thread runtime only)")
            }
        }
    }
}

/// A sleep's words: `count`'s and `hello`'s.
const SLEEP: WaitWords = WaitWords {
    free: "sleeping, its thread free for other tasks",
    blocked: "blocked in std::thread::sleep, holding its thread",
    offloaded: "awaiting a blocking-pool thread that sleeps for it",
    held_thread: "runtime thread held in a blocking call (no CPU)",
};

/// A demo with a sleep and no peer and no lock, as the notes' two
/// examples.
const fn sleeping(name: &'static str, default_tasks: u32, lines: [&'static str; 2]) -> DemoRow {
    DemoRow {
        name,
        default_tasks,
        lines: Lines::Fixed(lines),
        waits: SLEEP,
        peer: None,
        shares_lock: false,
    }
}

const COUNT: DemoRow = sleeping("count", 3, ["One\n", "Two\n"]);

const HELLO: DemoRow = sleeping("hello", 2, ["Hello ...\n", "... World!\n"]);

const FETCH: DemoRow = DemoRow {
    name: "fetch",
    default_tasks: 3,
    lines: Lines::Numbered([("fetch ", " ..."), ("... fetch ", ": got reply")]),
    waits: WaitWords {
        free: "awaiting its reply, its thread free for other tasks",
        blocked: "blocked in a ureq call, holding its thread",
        offloaded: "awaiting a blocking-pool thread that waits for the reply",
        ..SLEEP
    },
    peer: Some(Peer {
        kind: PeerKind::Server,
        wait_is: "a fetch's wait is its request",
        queue: None,
        help: PeerHelp {
            call: "request",
            maker: "client",
            delay: "How long the built-in server waits before each reply, e.g. 250ms, 1.5s, 0",
            async_mode: "An async client: the thread is free while a request waits",
            blocking_mode: "A blocking client inside the coroutines: each request holds the \
                            thread",
        },
    }),
    shares_lock: false,
};

const QUERY: DemoRow = DemoRow {
    name: "query",
    default_tasks: 3,
    lines: Lines::Numbered([("query ", " ..."), ("... query ", ": done")]),
    waits: WaitWords {
        free: "awaiting its query's answer, its thread free",
        blocked: "blocked in a database call, holding its thread",
        offloaded: "awaiting a blocking-pool thread that waits for the query",
        ..SLEEP
    },
    peer: Some(Peer {
        kind: PeerKind::Database,
        wait_is: "a query's wait is the query",
        queue: Some("queued: its query waits for a free connection"),
        help: PeerHelp {
            call: "query",
            maker: "driver",
            delay: "How long each query takes in the database, e.g. 300ms, 1.5s, 0",
            async_mode: "An async driver: tokio-postgres, or SQLite on a thread per connection",
            blocking_mode: "A blocking driver inside the coroutines: rusqlite, or the sync \
                            postgres client",
        },
    }),
    shares_lock: false,
};

const LOCK: DemoRow = DemoRow {
    name: "lock",
    default_tasks: 3,
    lines: Lines::Numbered([
        ("task ", " has the lock ..."),
        ("... task ", " releases the lock"),
    ]),
    waits: WaitWords {
        free: "sleeping (holding the lock, if any), its thread free",
        blocked: "blocked in std::sync::Mutex::lock(), holding its thread",
        held_thread: "runtime thread held in std's lock() (no CPU)",
        ..SLEEP
    },
    peer: None,
    shares_lock: true,
};

impl Demo {
    /// This demo's row of the table.
    pub(crate) const fn row(self) -> &'static DemoRow {
        match self {
            Demo::Count => &COUNT,
            Demo::Hello => &HELLO,
            Demo::Fetch => &FETCH,
            Demo::Query => &QUERY,
            Demo::Lock => &LOCK,
        }
    }

    /// What the tasks wait on, when it is a peer that answers.
    pub(crate) const fn peer(self) -> Option<&'static Peer> {
        self.row().peer.as_ref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_is_named_as_clap_names_its_value() {
        for demo in Demo::value_variants() {
            let clap_name = demo.to_possible_value().unwrap();
            assert_eq!(clap_name.get_name(), demo.name());
        }
    }

    #[test]
    fn only_a_demo_that_waits_on_a_peer_has_its_own_queue_or_help() {
        assert!(Demo::Count.peer().is_none());
        assert!(Demo::Lock.peer().is_none());
        assert!(Demo::Lock.row().shares_lock);
        assert!(Demo::Query.peer().unwrap().queue.is_some());
        assert!(Demo::Fetch.peer().unwrap().queue.is_none());
    }
}
