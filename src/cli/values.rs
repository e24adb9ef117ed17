//! The values the user types, and what we say when one is wrong.
//!
//! Every duration and every count on the command line goes through these
//! parsers, and `serve`'s `?delay=` through [`duration`], so that one rule
//! reads the same wherever it is broken. A wrong value names the option and
//! the rule in the help's own words (`--tasks must be a whole number from 1
//! to 10,000,000 (got 'abc')`), instead of the parser's internals (`invalid
//! digit found in string`, `expected number at 0`).

use clap::builder::TypedValueParser;
use clap::error::ErrorKind;
use std::ffi::OsStr;
use std::fmt;
use std::time::Duration;

/// How a duration is written, in the words `--help` uses.
const DURATION_FORM: &str = "give a number and a unit, such as 250ms, 1.5s or 2m";

/// Why a duration was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum BadDuration {
    /// Not a number followed by a unit (`abc`, `1x`, `1`).
    Unreadable(String),
    /// A minus sign: no wait is shorter than none.
    Negative(String),
    /// Zero, where the option needs a wait (`--client-timeout 0`).
    Zero(String),
    /// Longer than [`MAX_DURATION`].
    TooLong(String),
}

impl BadDuration {
    /// The refused text and why, with `place` (`--delay`) named after it.
    fn describe(&self, place: Option<&str>, f: &mut dyn fmt::Write) -> fmt::Result {
        let (text, why) = match self {
            BadDuration::Unreadable(text) => (text, DURATION_FORM),
            BadDuration::Negative(text) => (text, "a duration cannot be negative"),
            BadDuration::Zero(text) => (text, "it must be longer than 0, such as 250ms or 10s"),
            BadDuration::TooLong(text) => (text, "too long: at most "),
        };
        write!(f, "invalid duration '{text}'")?;
        if let Some(place) = place {
            write!(f, " for {place}")?;
        }
        write!(f, ": {why}")?;
        if let BadDuration::TooLong(_) = self {
            write!(f, "{}", humantime::format_duration(MAX_DURATION))?;
        }
        Ok(())
    }

    /// The message for a command-line option: `invalid duration 'abc' for
    /// --delay: give a number and a unit, such as 250ms, 1.5s or 2m`.
    pub(crate) fn for_option(&self, option: &str) -> String {
        let mut message = String::new();
        let _ = self.describe(Some(option), &mut message);
        message
    }
}

/// `invalid duration 'abc': give a number and a unit, such as 250ms, 1.5s
/// or 2m`, as `serve` answers a bad `?delay=`.
impl fmt::Display for BadDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.describe(None, f)
    }
}

/// The longest duration any option (or `serve`'s `?delay=`) takes: a
/// thousand years.
///
/// Far longer than any run (`--delay 500years` is how the docs show a wait
/// that only a signal ends), and far below where clock arithmetic breaks:
/// `Instant + Duration` panics past about 292 billion years, which
/// humantime still parses (`300000000000years`). With every duration
/// under this one, a deadline made of a few of them (N × delay + slack)
/// cannot overflow either. (A year is humantime's, 365.25 days, so that
/// `1000years` itself is allowed.)
pub(crate) const MAX_DURATION: Duration = Duration::from_secs(1000 * 31_557_600);

/// A duration as the user writes it: `250ms`, `1.5s`, `2m`, `0`.
///
/// humantime does the reading; this adds the sign check (humantime reads
/// `-1s` as "expected number at 0"), the cap ([`MAX_DURATION`]) and the one
/// message, so that every option and `?delay=` get them at once.
pub(crate) fn duration(text: &str) -> Result<Duration, BadDuration> {
    let trimmed = text.trim();
    // `-1s` and `-.5s`, not `--blocking` (a forgotten value reads as
    // unreadable, which it is).
    let number = |rest: &str| rest.starts_with(|c: char| c.is_ascii_digit() || c == '.');
    if trimmed.strip_prefix('-').is_some_and(number) {
        return Err(BadDuration::Negative(text.to_owned()));
    }
    match humantime::parse_duration(trimmed) {
        Ok(d) if d > MAX_DURATION => Err(BadDuration::TooLong(text.to_owned())),
        Ok(d) => Ok(d),
        Err(_) => Err(BadDuration::Unreadable(text.to_owned())),
    }
}

/// A duration longer than zero.
fn positive_duration(text: &str) -> Result<Duration, BadDuration> {
    match duration(text)? {
        d if d.is_zero() => Err(BadDuration::Zero(text.to_owned())),
        d => Ok(d),
    }
}

/// The option's name as the help shows it (`--delay`), for an error.
fn option_name(arg: Option<&clap::Arg>) -> String {
    match arg {
        Some(arg) => match (arg.get_long(), arg.get_short()) {
            (Some(long), _) => format!("--{long}"),
            (None, Some(short)) => format!("-{short}"),
            (None, None) => arg.get_id().to_string(),
        },
        None => "the value".to_owned(),
    }
}

/// A usage error about one value, printed as clap prints its own (the
/// subcommand's usage line, exit code 2).
fn value_error(cmd: &clap::Command, message: String) -> clap::Error {
    cmd.clone().error(ErrorKind::ValueValidation, message)
}

/// The text of a value, or the error for one that is not UTF-8.
fn text<'v>(
    cmd: &clap::Command,
    arg: Option<&clap::Arg>,
    value: &'v OsStr,
) -> Result<&'v str, clap::Error> {
    value.to_str().ok_or_else(|| {
        value_error(
            cmd,
            format!(
                "{} got a value that is not UTF-8 text: {}",
                option_name(arg),
                value.to_string_lossy()
            ),
        )
    })
}

/// The value parser of every duration option (`--delay`, `--timeout`,
/// `--max-elapsed`, ...): [`duration`], or with `positive`, a duration
/// longer than zero.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DurationParser {
    positive: bool,
}

/// A duration option's parser.
pub(crate) const fn durations() -> DurationParser {
    DurationParser { positive: false }
}

/// The parser of a duration option that needs a wait longer than zero.
pub(crate) const fn positive_durations() -> DurationParser {
    DurationParser { positive: true }
}

impl TypedValueParser for DurationParser {
    type Value = Duration;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<Duration, clap::Error> {
        let text = text(cmd, arg, value)?;
        let parsed = if self.positive {
            positive_duration(text)
        } else {
            duration(text)
        };
        parsed.map_err(|bad| value_error(cmd, bad.for_option(&option_name(arg))))
    }
}

/// `n` with a comma between each group of three digits, as the help
/// writes its limits: `10,000,000`.
pub(crate) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// The value parser of a count (`--tasks`, `--workers`,
/// `--blocking-threads`): a whole number from `min` to `max`, said as the
/// help says it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CountParser<T> {
    min: T,
    max: T,
}

/// A count option's parser, `min..=max`.
pub(crate) const fn counts<T>(min: T, max: T) -> CountParser<T> {
    CountParser { min, max }
}

impl<T> CountParser<T>
where
    T: Copy + Into<u64>,
{
    /// The rule, as an error says it: `--tasks must be a whole number from
    /// 1 to 10,000,000`.
    pub(crate) fn rule(&self, option: &str) -> String {
        format!(
            "{option} must be a whole number from {} to {}",
            grouped(self.min.into()),
            grouped(self.max.into())
        )
    }
}

impl<T> TypedValueParser for CountParser<T>
where
    T: Copy + Into<u64> + std::str::FromStr + PartialOrd + Send + Sync + 'static,
{
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &OsStr,
    ) -> Result<T, clap::Error> {
        let text = text(cmd, arg, value)?;
        // A number out of the type's range (`99999999999`) fails to parse,
        // and gets the same message as one out of the option's.
        match text.trim().parse::<T>() {
            Ok(n) if n >= self.min && n <= self.max => Ok(n),
            _ => Err(value_error(
                cmd,
                format!("{} (got '{text}')", self.rule(&option_name(arg))),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_the_help_writes_them() {
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(duration("0"), Ok(Duration::ZERO));
    }

    #[test]
    fn a_bad_duration_gets_one_message_whatever_is_wrong_with_it() {
        for text in ["abc", "1x", "1", "", "ms", "--blocking"] {
            let err = duration(text).unwrap_err();
            assert_eq!(err, BadDuration::Unreadable(text.to_owned()));
            assert_eq!(
                err.to_string(),
                format!(
                    "invalid duration '{text}': give a number and a unit, such as 250ms, 1.5s or 2m"
                )
            );
        }
        for text in ["-1s", "-1", " -0.5s"] {
            let err = duration(text).unwrap_err();
            assert!(
                err.to_string().contains("cannot be negative"),
                "{text}: {err}"
            );
        }
        assert!(positive_duration("0s").is_err());
        assert_eq!(positive_duration("1ms"), Ok(Duration::from_millis(1)));
    }

    #[test]
    fn limits_are_grouped_in_threes() {
        assert_eq!(grouped(1), "1");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(100_000), "100,000");
        assert_eq!(grouped(10_000_000), "10,000,000");
    }
}
