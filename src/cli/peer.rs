//! How `fetch` and `query` word their options: the same options as a
//! sleeping demo's, each said for what the tasks wait on (a server, a
//! database).

use crate::vocab::Mode;
use clap::ValueEnum;

/// How a demo whose tasks wait on a peer (a server, a database) words its
/// options: the same options as a sleeping demo's, each said for what the
/// tasks wait on. `fetch` and `query` differ only in these words.
pub(super) struct PeerWords {
    /// `--blocking`'s help.
    blocking: &'static str,
    /// `--delay`'s help.
    delay: &'static str,
    /// `--mode`'s help.
    mode: &'static str,
    /// Each mode in the words of this demo's call.
    modes: fn(Mode) -> &'static str,
}

impl PeerWords {
    /// `arg`, an option of the demo's command, as this demo words it: three
    /// tasks by default, `--mode`, `--blocking` and `--delay` in its words,
    /// and no `--work` (the wait is the call; `--work spin` is refused).
    pub(super) fn describe(&self, arg: clap::Arg) -> clap::Arg {
        match arg.get_id().as_str() {
            "tasks" => arg.default_value("3"),
            "mode" => described_mode(arg, self.mode, self.modes),
            "work" => arg.hide(true),
            "blocking" => arg.help(self.blocking),
            "delay" => arg.help(self.delay),
            _ => arg,
        }
    }
}

/// `fetch`'s words: a request instead of a sleep.
pub(super) const FETCH: PeerWords = PeerWords {
    blocking: "Use a blocking client: shorthand for --mode blocking",
    delay: "How long the built-in server waits before each reply, e.g. 250ms, 1.5s, 0",
    mode: "How each request waits",
    modes: |mode| match mode {
        Mode::Async => "An async client: the thread is free while a request waits",
        Mode::Blocking => "A blocking client inside the coroutines: each request holds the thread",
        Mode::Threads => "Each task on an OS thread of its own, with a blocking client",
        Mode::SpawnBlocking => {
            "Each blocking request goes to tokio's blocking pool (spawn_blocking)"
        }
        Mode::BlockInPlace => {
            "Each blocking request inside block_in_place (multi-thread runtime only)"
        }
    },
};

/// `query`'s words: a database driver's.
pub(super) const QUERY: PeerWords = PeerWords {
    blocking: "Use a blocking driver: shorthand for --mode blocking",
    delay: "How long each query takes in the database, e.g. 300ms, 1.5s, 0",
    mode: "How each query waits",
    modes: |mode| match mode {
        Mode::Async => "An async driver: tokio-postgres, or SQLite on a thread per connection",
        Mode::Blocking => {
            "A blocking driver inside the coroutines: rusqlite, or the sync postgres client"
        }
        Mode::Threads => "Each task on an OS thread of its own, with a blocking driver",
        Mode::SpawnBlocking => "Each blocking query goes to tokio's blocking pool (spawn_blocking)",
        Mode::BlockInPlace => {
            "Each blocking query inside block_in_place (multi-thread runtime only)"
        }
    },
};

/// `--mode` with `help`, each mode explained by `words`: the same values
/// and parser for every demo, only the words differ.
fn described_mode(
    arg: clap::Arg,
    help: &'static str,
    words: fn(Mode) -> &'static str,
) -> clap::Arg {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    let modes = Mode::value_variants()
        .iter()
        .map(|&mode| PossibleValue::new(mode.name()).help(words(mode)));
    // Only the listed names get through, so the conversion cannot fail;
    // `try_map` still turns a mismatch into an error rather than a panic.
    let parser = PossibleValuesParser::new(modes)
        .try_map(|name| <Mode as ValueEnum>::from_str(&name, false));
    arg.help(help).value_parser(parser)
}
