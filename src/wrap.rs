//! Text fitted to a width: broken at spaces, never inside a word or a
//! figure. A leaf: the `compare` table's verdicts, the `--explain`
//! narration and the `error:`/`warning:` lines on stderr all wrap through
//! [`wrap`], so they break the same way.

/// The width of `text` on a terminal, in columns.
pub(crate) fn width(text: &str) -> usize {
    textwrap::core::display_width(text)
}

/// A no-break space: holds the parts of a figure together while wrapping.
const GLUE: char = '\u{a0}';

/// Breaks `text` into lines of at most `width` columns at spaces; a word
/// wider than `width` gets a line of its own.
///
/// textwrap measures display width and balances the lines (its optimal
/// fit). Breaks fall only at ASCII spaces, so hyphenated words
/// (`spawn-blocking`) stay whole; and the spaces inside a figure are glued
/// first: after a number (`0.200 s`, `2 at a time`) and inside a short
/// parenthesis (`(longest poll 0.200 s)`).
///
/// A last line shorter than a third of the width reads as a lone fragment
/// (`of its` / `own`): the same text is then wrapped a little narrower,
/// as long as that takes no more lines, until its last line is longer.
pub(crate) fn wrap(text: &str, width: usize) -> Vec<String> {
    let glued = glue_figures(text.trim());
    let at = |width: usize| -> Vec<String> {
        let options = textwrap::Options::new(width.max(1))
            .word_separator(textwrap::WordSeparator::AsciiSpace)
            .word_splitter(textwrap::WordSplitter::NoHyphenation)
            .wrap_algorithm(textwrap::WrapAlgorithm::new_optimal_fit())
            .break_words(false);
        textwrap::wrap(&glued, options)
            .into_iter()
            .map(|line| line.replace(GLUE, " "))
            .collect()
    };
    let lines = at(width);
    let short = |lines: &[String]| {
        lines.len() > 1 && lines.last().is_some_and(|l| self::width(l) * 3 < width)
    };
    if !short(&lines) {
        return lines;
    }
    (width * 2 / 3..width)
        .rev()
        .map(at)
        .find(|narrower| narrower.len() == lines.len() && !short(narrower))
        .unwrap_or(lines)
}

/// `text` with the spaces that must not break replaced by [`GLUE`]: the
/// space after a number, and those inside a short parenthesis (a figure
/// such as `(longest poll 0.200 s)`; a long one may still break).
fn glue_figures(text: &str) -> String {
    /// The longest parenthesis kept on one line.
    const SHORT: usize = 24;
    let chars: Vec<char> = text.chars().collect();
    let mut glue = vec![false; chars.len()];
    let mut open = None;
    for (i, &c) in chars.iter().enumerate() {
        match c {
            '(' => open = Some(i),
            ')' => {
                if let Some(start) = open.take().filter(|&start| i - start < SHORT) {
                    glue[start..i].iter_mut().for_each(|g| *g = true);
                }
            }
            ' ' => {
                // The word before this space.
                let word = chars[..i]
                    .iter()
                    .rposition(|&c| c == ' ')
                    .map_or(0, |p| p + 1);
                if chars.get(word).is_some_and(char::is_ascii_digit) {
                    glue[i] = true;
                }
            }
            _ => {}
        }
    }
    chars
        .iter()
        .zip(glue)
        .map(|(&c, glued)| if c == ' ' && glued { GLUE } else { c })
        .collect()
}

/// The gutter that starts each further line of a wrapped text: the mark
/// of every `--explain` narration line, so that `grep -v '│'` leaves the
/// demo's own lines.
pub(crate) const GUTTER: &str = "  │ ";

/// `text` as lines of at most `columns` (when known), the first starting
/// with `first` and each further one with `more`: `error: ...` then
/// `  │ ...`. Without a width, one line, as a pipe wants it.
pub(crate) fn hanging(text: &str, first: &str, more: &str, columns: Option<usize>) -> Vec<String> {
    let Some(columns) = columns.filter(|&c| width(first) + width(text) > c) else {
        return vec![format!("{first}{text}")];
    };
    // The first line has the prefix's room less, the others the gutter's;
    // the narrower of the two keeps every line within the width.
    let room = columns.saturating_sub(width(first).max(width(more)));
    wrap(text, room.max(MIN_ROOM))
        .into_iter()
        .enumerate()
        .map(|(i, line)| format!("{}{line}", if i == 0 { first } else { more }))
        .collect()
}

/// The width `COLUMNS` gives, when it is a positive number: the shell's
/// hint of the reader's width when output is piped (`asyncdemo compare
/// count | less`).
pub(crate) fn columns_from_env() -> Option<usize> {
    columns_from(std::env::var("COLUMNS").ok().as_deref())
}

/// A usable `COLUMNS` value: a positive number of columns.
fn columns_from(value: Option<&str>) -> Option<usize> {
    value
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&w| w > 0)
}

/// The narrowest a wrapped text gets, however narrow the terminal: below
/// this, a line of a word or two reads worse than the terminal's own wrap.
const MIN_ROOM: usize = 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_breaks_at_spaces_and_keeps_long_words_whole() {
        assert_eq!(wrap("abc def ghi", 5), ["abc", "def", "ghi"]);
        assert_eq!(wrap("abcdefgh ij", 4), ["abcdefgh", "ij"]);
        assert_eq!(wrap("short", 40), ["short"]);
        assert_eq!(wrap("×× ×× ××", 5), ["×× ××", "××"]);
        // Hyphens are no break.
        assert_eq!(wrap("spawn-blocking runs", 10), ["spawn-blocking", "runs"]);
    }

    #[test]
    fn wrapping_measures_display_width() {
        // Each of these characters takes two columns.
        assert_eq!(wrap("漢字 漢字 漢字", 9), ["漢字 漢字", "漢字"]);
        assert_eq!(width("漢字"), 4);
        assert_eq!(width("3.0×"), 4);
    }

    #[test]
    fn wrapping_keeps_figures_whole() {
        let text = "one after another: it blocks (longest poll 0.200 s)";
        for width in 12..text.len() {
            let lines = wrap(text, width);
            assert!(
                lines.iter().any(|l| l.contains("(longest poll 0.200 s)")),
                "{width}: {lines:?}"
            );
        }
        // A number keeps the word after it.
        for width in 3..12 {
            let lines = wrap("then 2 at a time", width);
            assert!(
                lines.iter().all(|l| !l.ends_with('2')),
                "{width}: {lines:?}"
            );
            assert!(
                lines.iter().any(|l| l.contains("2 at")),
                "{width}: {lines:?}"
            );
        }
    }

    #[test]
    fn wrapping_leaves_no_lone_fragment() {
        let text = "all waits overlap: each task holds an OS thread of its own";
        let lines = wrap(text, 56);
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(width(lines.last().unwrap()) * 3 >= 56, "{lines:?}");
        assert_eq!(lines.join(" "), text);
    }

    #[test]
    fn columns_must_be_a_positive_number() {
        assert_eq!(columns_from(Some("120")), Some(120));
        assert_eq!(columns_from(Some(" 80 ")), Some(80));
        assert_eq!(columns_from(Some("0")), None);
        assert_eq!(columns_from(Some("wide")), None);
        assert_eq!(columns_from(None), None);
    }

    #[test]
    fn hanging_lines_repeat_the_gutter_and_fit() {
        let text =
            "deadlock: task 2 waits for the std::sync::Mutex that task 1 holds across .await";
        let lines = hanging(text, "error: ", "  │ ", Some(40));
        assert!(lines.len() > 2, "{lines:?}");
        assert!(lines[0].starts_with("error: deadlock:"), "{lines:?}");
        for line in &lines[1..] {
            assert!(line.starts_with("  │ "), "{lines:?}");
        }
        for line in &lines {
            assert!(width(line) <= 40, "{line:?}");
        }
        // The words are all there, in order.
        let words: Vec<&str> = lines
            .iter()
            .map(|l| l.trim_start_matches("error: ").trim_start_matches("  │ "))
            .collect();
        assert_eq!(words.join(" "), text);
        // Unknown width or a short text: one line.
        assert_eq!(hanging(text, "error: ", "  │ ", None).len(), 1);
        assert_eq!(
            hanging("short", "error: ", "  │ ", Some(40)),
            ["error: short"]
        );
    }
}
