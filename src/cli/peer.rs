//! How a demo whose tasks wait on a peer (a server, a database) words its
//! options: the same options as a sleeping demo's, each said for what the
//! tasks wait on, in the words of its row of the demo table
//! ([`crate::vocab::Peer`]'s help). `fetch` and `query` differ only in
//! these words.

use crate::vocab::{Demo, Mode, PeerHelp};
use clap::ValueEnum;

/// `arg`, an option of `demo`'s command, as the demo words it: three tasks
/// by default, `--mode`, `--blocking` and `--delay` in the words of its
/// calls, and no `--work` (the wait is the call; `--work spin` is refused).
/// A demo that waits on no peer keeps every option as it is.
pub(super) fn describe(demo: Demo, arg: clap::Arg) -> clap::Arg {
    let Some(peer) = demo.peer() else {
        return arg;
    };
    let help = &peer.help;
    match arg.get_id().as_str() {
        "tasks" => arg.default_value("3"),
        "mode" => described_mode(arg, help),
        "work" => arg.hide(true),
        "blocking" => arg.help(format!(
            "Use a blocking {}: shorthand for --mode blocking",
            help.maker
        )),
        "delay" => arg.help(help.delay),
        _ => arg,
    }
}

/// `--mode`, each mode explained in the words of `help`'s calls: the same
/// values and parser for every demo, only the words differ.
fn described_mode(arg: clap::Arg, help: &'static PeerHelp) -> clap::Arg {
    use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
    let modes = Mode::value_variants()
        .iter()
        .map(|&mode| PossibleValue::new(mode.name()).help(help.mode(mode)));
    // Only the listed names get through, so the conversion cannot fail;
    // `try_map` still turns a mismatch into an error rather than a panic.
    let parser = PossibleValuesParser::new(modes)
        .try_map(|name| <Mode as ValueEnum>::from_str(&name, false));
    arg.help(format!("How each {} waits", help.call))
        .value_parser(parser)
}
