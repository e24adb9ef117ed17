//! What crosses the network's edge: the `--url` a user gives, checked when
//! the arguments are parsed, and the text a peer sends, escaped before it
//! reaches a terminal.
//!
//! A leaf: it uses nothing else of the crate, so the argument parser and
//! the server and clients can all call it.
//!
//! The URL's last checks need a real URL parser, the `url` crate, which
//! comes with the `http` feature: `enabled.rs` makes them, and
//! `disabled.rs` (a build with no HTTP, where `fetch` refuses to run
//! whatever the URL) makes none. They live here rather than in `http`
//! because the argument parser calls them, and `http` uses the parsed
//! arguments: `cli` reaching into `http` would be a cycle. Making `url` a
//! dependency of every build instead would add some forty crates (its
//! international domain names) to the build that leaves HTTP out.

#[cfg(feature = "http")]
#[path = "enabled.rs"]
mod imp;

#[cfg(not(feature = "http"))]
#[path = "disabled.rs"]
mod imp;

/// The longest quote of a peer's text (a status line, a body line, a
/// request path) that a message carries.
pub(crate) const QUOTE_CHARS: usize = 80;

/// `text` as it may be shown on a terminal: every control character (ESC,
/// NUL, a bare CR, the bytes of a title-setting sequence) and every
/// character that reorders text (the bidirectional overrides) written as
/// an escape, as `{:?}` writes it, and the rest unchanged. At most
/// `max_chars` characters of `text` are kept ([`QUOTE_CHARS`] for a quote
/// in a message), and a cut is marked with `...`.
///
/// Bytes from a peer (a server, a client, python3) can say anything;
/// written raw, an ESC sequence would act on the user's terminal, a CR
/// would overwrite the line before it, and a right-to-left override would
/// show the rest of the line backwards. This is the one function that
/// makes such text safe, whatever the format it goes to.
pub(crate) fn escaped(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(4 * max_chars));
    for (taken, c) in text.chars().enumerate() {
        if taken == max_chars {
            out.push_str("...");
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else if reorders(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    out
}

/// The invisible characters that change the order text is shown in.
fn reorders(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Checks a `--url`: an `http://` URL with a host and a valid port, parsed
/// by the `url` crate (which reqwest also parses with, so what passes here
/// is what the client will see). `https://` needs a TLS stack, which
/// asyncdemo leaves out: the lesson is about waiting, and a loopback server
/// needs no encryption.
pub(crate) fn check_url(text: &str) -> Result<String, String> {
    const EXAMPLE: &str = "e.g. http://127.0.0.1:8000/";
    if text.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("a URL cannot contain spaces or control characters".into());
    }
    let scheme = text.split_once("://").map(|(scheme, _)| scheme);
    match scheme {
        Some(s) if s.eq_ignore_ascii_case("http") => {}
        Some(s) if s.eq_ignore_ascii_case("https") => {
            return Err(
                "https needs TLS, which asyncdemo is built without: use an http:// URL".into(),
            );
        }
        _ => return Err(format!("expected an http:// URL, {EXAMPLE}")),
    }
    // Checked on the text itself: the URL standard the `url` crate follows
    // reads `http:///x` as `http://x/`, guessing a host nobody typed.
    let rest = text.split_once("://").map_or("", |(_, rest)| rest);
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() {
        return Err(format!("the URL has no host, {EXAMPLE}"));
    }
    imp::parse(text, EXAMPLE)?;
    Ok(text.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_and_bidi_marks_are_escaped() {
        assert_eq!(escaped("plain words, é ü", QUOTE_CHARS), "plain words, é ü");
        assert_eq!(escaped("a\x1b[31mred", QUOTE_CHARS), "a\\u{1b}[31mred");
        assert_eq!(
            escaped("nul\0 cr\r lf\n", QUOTE_CHARS),
            "nul\\0 cr\\r lf\\n"
        );
        assert_eq!(
            escaped("\x1b]0;title\x07", QUOTE_CHARS),
            "\\u{1b}]0;title\\u{7}"
        );
        assert_eq!(escaped("a\u{202E}b", QUOTE_CHARS), "a\\u{202e}b");
        // Nothing unescaped is left below space, nor DEL.
        let all: String = (0u8..=127).map(char::from).collect();
        assert!(!escaped(&all, QUOTE_CHARS).chars().any(|c| c.is_control()));
    }

    #[test]
    fn a_long_quote_is_cut_and_marked() {
        let long = "x".repeat(200);
        assert_eq!(
            escaped(&long, QUOTE_CHARS),
            format!("{}...", "x".repeat(QUOTE_CHARS))
        );
        let exact = "y".repeat(QUOTE_CHARS);
        assert_eq!(escaped(&exact, QUOTE_CHARS), exact);
    }

    #[test]
    fn good_urls_pass_unchanged() {
        for url in [
            "http://127.0.0.1:8000/",
            "HTTP://localhost:7878/?delay=1s",
            "http://[::1]:80/",
            "http://example.com",
        ] {
            assert_eq!(check_url(url), Ok(url.to_owned()));
        }
    }
}
