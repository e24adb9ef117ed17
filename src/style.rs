//! Colour: one decision, taken the same way for everything the program
//! writes, clap's help and usage errors included.
//!
//! `--color always` and `--color never` settle it. `--color auto` (the
//! default) follows the conventions CLI users share, in this order:
//!
//! 1. `NO_COLOR` set to anything but the empty string: no colour
//!    (<https://no-color.org>);
//! 2. `CLICOLOR_FORCE` set to anything but `0` or the empty string: colour,
//!    even into a pipe or a file (<https://bixense.com/clicolors/>);
//! 3. `CLICOLOR=0`: no colour;
//! 4. otherwise colour only on a terminal, and only one that shows it:
//!    `TERM` set and not `dumb`, or `CLICOLOR` set (to anything but `0`).
//!
//! Clap decides on its own with the same list, except that it reads any
//! `CLICOLOR_FORCE`, `0` included, as "force". So the binary takes the
//! decision here and hands clap the answer ([`print_clap`]) instead of
//! letting clap guess.
//!
//! Stderr gets its own decision, since it may be a terminal while stdout is
//! piped: [`init_stderr`] takes it once, and [`label`] then colours the
//! `error:` and `warning:` prefixes as clap colours its own `error:`, and
//! wraps a long one at stderr's width (its terminal's, or `COLUMNS`), the
//! narration's gutter on each further line.

use crate::cli::ColorChoice;
use std::borrow::Cow;
use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};

/// Whether to colour a stream that `is_terminal` (or not), with `env`
/// reading an environment variable. Pure, so that tests can give it any
/// environment.
pub fn use_color(
    choice: ColorChoice,
    is_terminal: bool,
    env: impl Fn(&str) -> Option<OsString>,
) -> bool {
    let set = |name: &str| env(name).filter(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if set("NO_COLOR").is_some() {
                return false;
            }
            if set("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                return true;
            }
            let clicolor = set("CLICOLOR");
            if clicolor.as_ref().is_some_and(|v| v == "0") {
                return false;
            }
            let term_shows_it = set("TERM").is_some_and(|t| t != "dumb");
            is_terminal && (term_shows_it || clicolor.is_some())
        }
    }
}

/// [`use_color`] with the process's own environment.
pub fn use_color_here(choice: ColorChoice, is_terminal: bool) -> bool {
    use_color(choice, is_terminal, |name| std::env::var_os(name))
}

/// The `--color` choice in raw arguments, read before clap parses them, so
/// that clap's own help and usage errors obey it too: a usage error has no
/// parsed arguments to read it from. The last `--color` wins, as in clap;
/// after `--` nothing is an option. A missing or unknown value reads as
/// `auto` (clap then reports it).
pub fn choice_in_args(args: impl IntoIterator<Item = OsString>) -> ColorChoice {
    let mut choice = ColorChoice::Auto;
    let mut args = args.into_iter().skip(1);
    while let Some(arg) = args.next() {
        let Some(arg) = arg.to_str() else { continue };
        if arg == "--" {
            break;
        }
        let value = match arg.strip_prefix("--color") {
            Some("") => args.next().and_then(|v| v.into_string().ok()),
            Some(rest) => match rest.strip_prefix('=') {
                Some(value) => Some(value.to_owned()),
                None => continue,
            },
            None => continue,
        };
        choice = match value.as_deref() {
            Some("always") => ColorChoice::Always,
            Some("never") => ColorChoice::Never,
            _ => ColorChoice::Auto,
        };
    }
    choice
}

/// Prints clap's help, version or usage error on the stream clap picks,
/// coloured by [`use_color`] for that stream.
pub fn print_clap(parse: &clap::Error, choice: ColorChoice) -> io::Result<()> {
    let is_terminal = if parse.use_stderr() {
        io::stderr().is_terminal()
    } else {
        io::stdout().is_terminal()
    };
    // clap's own colour setting stays `auto`, which asks anstream's global
    // choice: that is where the answer goes.
    anstream::ColorChoice::write_global(if use_color_here(choice, is_terminal) {
        anstream::ColorChoice::Always
    } else {
        anstream::ColorChoice::Never
    });
    if parse.use_stderr() {
        // A usage error too long for the terminal wraps as our own
        // `error:` lines do (clap does not wrap its errors): plain, but
        // for the coloured prefix.
        let columns = Some(STDERR_COLUMNS.load(Relaxed)).filter(|&c| c > 0);
        let plain = parse.render().to_string();
        let (first, rest) = plain.split_once('\n').unwrap_or((&plain, ""));
        if let Cow::Owned(wrapped) = fitted(first, columns) {
            let color = use_color_here(choice, io::stderr().is_terminal());
            let mut err = io::stderr().lock();
            write!(err, "{}\n{rest}", paint(&wrapped, color))?;
            return err.flush();
        }
    }
    parse.print()?;
    if parse.use_stderr() {
        io::stderr().flush()
    } else {
        io::stdout().flush()
    }
}

/// Whether stderr's `error:` and `warning:` prefixes are coloured.
static STDERR_COLOR: AtomicBool = AtomicBool::new(false);

/// The width `error:` and `warning:` lines wrap at: stderr's terminal's,
/// or `COLUMNS` when stderr is not a terminal; 0 for none (one line each).
static STDERR_COLUMNS: AtomicUsize = AtomicUsize::new(0);

/// Takes stderr's colour and width decisions, once, at start-up. Until
/// then (and in tests that call the library directly) stderr stays plain
/// and unwrapped.
pub fn init_stderr(choice: ColorChoice) {
    let stderr = io::stderr();
    STDERR_COLOR.store(use_color_here(choice, stderr.is_terminal()), Relaxed);
    let columns = terminal_size::terminal_size_of(&stderr)
        .map(|(w, _)| usize::from(w.0))
        .filter(|_| stderr.is_terminal())
        .or_else(crate::wrap::columns_from_env);
    STDERR_COLUMNS.store(columns.unwrap_or(0), Relaxed);
}

/// `line` with its leading `error:` (bold red, as clap writes it) or
/// `warning:` (bold yellow) coloured, when stderr is coloured, and wrapped
/// to stderr's width with the narration's gutter (`  │ `) on each further
/// line; otherwise, or for any other line, `line` unchanged.
pub fn label(line: &str) -> Cow<'_, str> {
    let columns = Some(STDERR_COLUMNS.load(Relaxed)).filter(|&c| c > 0);
    paint(&fitted(line, columns), STDERR_COLOR.load(Relaxed))
        .into_owned()
        .into()
}

/// `line`, wrapped to `columns` when it is an `error:` or `warning:` line.
fn fitted(line: &str, columns: Option<usize>) -> Cow<'_, str> {
    let prefix = ["error: ", "warning: "]
        .into_iter()
        .find(|prefix| line.starts_with(prefix));
    let long = columns.is_some_and(|c| crate::wrap::width(line) > c);
    match prefix {
        Some(prefix) if long && !line.contains('\n') => Cow::Owned(
            crate::wrap::hanging(&line[prefix.len()..], prefix, crate::wrap::GUTTER, columns)
                .join("\n"),
        ),
        _ => Cow::Borrowed(line),
    }
}

fn paint(line: &str, color: bool) -> Cow<'_, str> {
    use anstyle::{AnsiColor, Style};
    if !color {
        return Cow::Borrowed(line);
    }
    for (prefix, colour) in [("error:", AnsiColor::Red), ("warning:", AnsiColor::Yellow)] {
        if let Some(rest) = line.strip_prefix(prefix) {
            let style = Style::new().bold().fg_color(Some(colour.into()));
            return Cow::Owned(format!("{style}{prefix}{style:#}{rest}"));
        }
    }
    Cow::Borrowed(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_errors_and_warnings_wrap_with_the_gutter() {
        let line = "error: deadlock: task 2 waits for the std::sync::Mutex that task 1 holds across .await";
        let wrapped = fitted(line, Some(60));
        let lines: Vec<&str> = wrapped.lines().collect();
        assert!(lines.len() >= 2, "{wrapped}");
        assert!(lines[0].starts_with("error: deadlock"), "{wrapped}");
        assert!(
            lines[1..].iter().all(|l| l.starts_with("  │ ")),
            "{wrapped}"
        );
        assert!(lines.iter().all(|l| l.chars().count() <= 60), "{wrapped}");
        // No width, another kind of line, or a short one: as it was.
        assert_eq!(fitted(line, None), line);
        assert_eq!(fitted("served 2 requests", Some(10)), "served 2 requests");
        assert_eq!(fitted("warning: short", Some(60)), "warning: short");
        // The colour still lands on the prefix of the first line.
        let painted = paint(&fitted(line, Some(60)), true).into_owned();
        assert!(painted.starts_with("\u{1b}["), "{painted:?}");
        assert_eq!(painted.matches("error:").count(), 1);
    }

    /// An environment of `pairs`, nothing else set.
    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| OsString::from(v))
        }
    }

    const XTERM: (&str, &str) = ("TERM", "xterm-256color");

    #[test]
    fn auto_colours_a_capable_terminal_only() {
        let auto = ColorChoice::Auto;
        assert!(use_color(auto, true, env(&[XTERM])));
        assert!(!use_color(auto, false, env(&[XTERM])), "a pipe");
        assert!(!use_color(auto, true, env(&[("TERM", "dumb")])));
        assert!(!use_color(auto, true, env(&[])), "no TERM at all");
        assert!(use_color(
            auto,
            true,
            env(&[("TERM", "dumb"), ("CLICOLOR", "1")])
        ));
    }

    #[test]
    fn only_a_clicolor_force_other_than_0_forces_colour_into_a_pipe() {
        let auto = ColorChoice::Auto;
        assert!(use_color(auto, false, env(&[("CLICOLOR_FORCE", "1")])));
        assert!(use_color(auto, false, env(&[("CLICOLOR_FORCE", "yes")])));
        assert!(!use_color(auto, false, env(&[("CLICOLOR_FORCE", "0")])));
        assert!(!use_color(auto, false, env(&[("CLICOLOR_FORCE", "")])));
        // CLICOLOR_FORCE=0 is no force, and no ban either.
        assert!(use_color(
            auto,
            true,
            env(&[XTERM, ("CLICOLOR_FORCE", "0")])
        ));
    }

    #[test]
    fn no_color_and_clicolor_0_turn_colour_off() {
        let auto = ColorChoice::Auto;
        assert!(!use_color(auto, true, env(&[XTERM, ("NO_COLOR", "1")])));
        assert!(!use_color(
            auto,
            false,
            env(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")])
        ));
        assert!(use_color(auto, true, env(&[XTERM, ("NO_COLOR", "")])));
        assert!(!use_color(auto, true, env(&[XTERM, ("CLICOLOR", "0")])));
        assert!(use_color(
            auto,
            false,
            env(&[("CLICOLOR", "0"), ("CLICOLOR_FORCE", "1")])
        ));
    }

    #[test]
    fn always_and_never_ignore_the_environment() {
        let all = env(&[XTERM, ("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]);
        assert!(use_color(ColorChoice::Always, false, &all));
        assert!(!use_color(ColorChoice::Never, true, &all));
    }

    fn args(line: &str) -> Vec<OsString> {
        line.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn the_color_choice_is_read_before_clap_parses() {
        let choice = |line| choice_in_args(args(line));
        assert_eq!(choice("asyncdemo count --color never"), ColorChoice::Never);
        assert_eq!(
            choice("asyncdemo --color=always count"),
            ColorChoice::Always
        );
        assert_eq!(
            choice("asyncdemo --color always count --color never"),
            ColorChoice::Never
        );
        assert_eq!(choice("asyncdemo count --colour never"), ColorChoice::Auto);
        assert_eq!(
            choice("asyncdemo count -- --color never"),
            ColorChoice::Auto
        );
        assert_eq!(choice("asyncdemo count --color"), ColorChoice::Auto);
        assert_eq!(
            choice("asyncdemo count --color sometimes"),
            ColorChoice::Auto
        );
        assert_eq!(choice("asyncdemo --colorful never"), ColorChoice::Auto);
    }

    #[test]
    fn error_and_warning_prefixes_are_coloured_like_clap_s() {
        let red = paint("error: writing output: broken", true);
        assert_eq!(red, "\x1b[1m\x1b[31merror:\x1b[0m writing output: broken");
        let yellow = paint("warning: task 1 took 1 s", true);
        assert!(
            yellow.starts_with("\x1b[1m\x1b[33mwarning:\x1b[0m "),
            "{yellow:?}"
        );
        assert_eq!(paint("error: plain", false), "error: plain");
        assert_eq!(paint("running async ...", true), "running async ...");
    }
}
