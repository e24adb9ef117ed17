//! Files generated from the command-line definition: shell completions and
//! the man page. Both come from [`Cli::command`], so they cannot drift from
//! the options the program really takes.

use crate::cli::Cli;
use crate::exit_code::ExitCode;
use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell;
use roff::{Roff, bold, roman};
use std::io::{self, Write};

/// The completion script for `shell`.
pub(crate) fn completions(shell: Shell) -> Vec<u8> {
    // Rendered into memory, not straight to stdout: the generators panic on
    // a failed write, and a closed pipe must not make this program panic.
    let mut script = Vec::new();
    let mut command = Cli::command();
    clap_complete::generate(shell, &mut command, "asyncdemo", &mut script);
    if shell == Shell::Fish {
        script.extend_from_slice(fish_positionals(&command).as_bytes());
        script.extend_from_slice(fish_global_values(&command).as_bytes());
        script.extend_from_slice(fish_help_topics(&command).as_bytes());
    }
    plain_descriptions(shell, script)
}

/// The script with the help's markdown backticks (`` `One` ``) taken out
/// of its descriptions: zsh and fish show them beside each candidate as
/// plain text. Neither script uses a backtick as code (zsh's are all
/// escaped descriptions, `\``, and fish has no backtick syntax).
fn plain_descriptions(shell: Shell, script: Vec<u8>) -> Vec<u8> {
    let text = String::from_utf8_lossy(&script);
    let plain = match shell {
        Shell::Zsh => text.replace("\\`", ""),
        Shell::Fish => text.replace('`', ""),
        _ => return script,
    };
    plain.into_bytes()
}

/// What clap_complete's fish script leaves out. Its generator completes
/// options only ("currently only supports named options", its docs say;
/// clap issue #6295), so `asyncdemo compare <TAB>` got no demo names and
/// fish fell back to file names. From the same command tree, this adds each
/// subcommand's positional values, offered until one of them is on the line,
/// and turns off file names (`-f`) wherever no positional takes a path; an
/// option that takes a file (`--svg`) still completes one (`-F`).
fn fish_positionals(command: &clap::Command) -> String {
    let mut lines = String::new();
    for sub in command.get_subcommands() {
        let when = format!("__fish_asyncdemo_using_subcommand {}", sub.get_name());
        let mut takes_paths = false;
        for positional in sub.get_positionals().filter(|arg| !arg.is_hide_set()) {
            let values: Vec<_> = positional
                .get_possible_values()
                .into_iter()
                .filter(|value| !value.is_hide_set())
                .collect();
            if values.is_empty() {
                takes_paths = true;
                continue;
            }
            let names: Vec<&str> = values.iter().map(|value| value.get_name()).collect();
            lines.push_str(&format!(
                "complete -c asyncdemo -n \"{when}; and not __fish_seen_subcommand_from {}\" -f -a \"{}\"\n",
                names.join(" "),
                fish_values(&values),
            ));
        }
        if !takes_paths {
            lines.push_str(&format!("complete -c asyncdemo -n \"{when}\" -f\n"));
        }
    }
    lines
}

/// Each choice with its help, as clap writes an option's values for fish:
/// NAME, a tab, the help in single quotes (taken literally), one per line,
/// made literal for the double quotes of `complete -a "..."`.
fn fish_choices<'a>(choices: impl IntoIterator<Item = (&'a str, Option<String>)>) -> String {
    let lines: Vec<String> = choices
        .into_iter()
        .map(|(name, help)| {
            format!(
                "{name}\\t'{}'",
                fish_single_quoted(&help.unwrap_or_default())
            )
        })
        .collect();
    fish_double_quoted(&lines.join("\n"))
}

/// The shown values of an option or positional, as [`fish_choices`].
fn fish_values(values: &[clap::builder::PossibleValue]) -> String {
    fish_choices(
        values
            .iter()
            .filter(|value| !value.is_hide_set())
            .map(|value| (value.get_name(), value.get_help().map(ToString::to_string))),
    )
}

/// The values of a global option given before any subcommand
/// (`asyncdemo --color <TAB>`). clap's line for them asks its
/// `__fish_asyncdemo_needs_command`, which parses the line with the
/// option's value still missing, fails, and so never offers them: fish
/// fell back to file names. Here the condition is only that the option is
/// the last word and no subcommand came before it.
fn fish_global_values(command: &clap::Command) -> String {
    let subcommands: Vec<&str> = command.get_subcommands().map(|s| s.get_name()).collect();
    let mut lines = String::new();
    for arg in command.get_arguments().filter(|a| !a.is_hide_set()) {
        let Some(long) = arg.get_long() else {
            continue;
        };
        let values = arg.get_possible_values();
        if values.is_empty() {
            continue;
        }
        lines.push_str(&format!(
            "complete -c asyncdemo -n \"test (commandline -opc)[-1] = --{long}; and not __fish_seen_subcommand_from {}\" -f -a \"{}\"\n",
            subcommands.join(" "),
            fish_values(&values),
        ));
    }
    lines
}

/// `asyncdemo help <TAB>`: clap's lines offer the topics only while no
/// subcommand is on the line, and count `help` itself as one, so they never
/// fire. Here: while `help` is the last word.
fn fish_help_topics(command: &clap::Command) -> String {
    let topics = command
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| (s.get_name(), s.get_about().map(ToString::to_string)));
    format!(
        "complete -c asyncdemo -n \"test (commandline -opc)[-1] = help\" -f -a \"{}\"\n",
        fish_choices(topics),
    )
}

/// `text` made literal inside fish's single quotes, where only `\\` and
/// `\'` are escapes; newlines become spaces, as in clap's own help lines.
fn fish_single_quoted(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('\'', "\\'")
        .replace('\n', " ")
}

/// `text` made literal inside fish's double quotes, where `\\`, `\"` and
/// `\$` are escapes and any other backslash stays (so the `\t` between a
/// value and its help reaches `complete`, which reads it as a tab).
fn fish_double_quoted(text: &str) -> String {
    text.replace("\\\\", "\\\\\\\\")
        .replace('"', "\\\"")
        .replace('$', "\\$")
}

/// The man page, in roff: clap's sections for the program, then every
/// subcommand with its options and examples, then the exit codes, which
/// clap knows nothing about. One page holds it all, so it names no other
/// page (there is no asyncdemo-count(1) to look up).
pub(crate) fn man_page() -> io::Result<Vec<u8>> {
    // The examples go in their own sections below, not clap's "EXTRA".
    let command = Cli::command().after_help(None::<&str>);
    let man = clap_mangen::Man::new(command.clone());
    let mut page = Vec::new();
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    let mut synopsis = Vec::new();
    man.render_synopsis_section(&mut synopsis)?;
    page.extend_from_slice(synopsis_with_values(&command, &synopsis).as_bytes());
    man.render_description_section(&mut page)?;
    man.render_options_section(&mut page)?;

    Roff::new()
        .control("SH", ["COMMANDS"])
        .to_writer(&mut page)?;
    for sub in command.get_subcommands() {
        let name = sub.get_name();
        let mut head = Roff::new();
        head.control("SS", [format!("asyncdemo {name}").as_str()]);
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            head.text([roman(about.to_string())]);
        }
        head.to_writer(&mut page)?;
        // clap_mangen renders a command's options under `.SH OPTIONS`;
        // here they belong to the subcommand's own subsection instead.
        let mut options = Vec::new();
        clap_mangen::Man::new(sub.clone().after_help(None::<&str>))
            .render_options_section(&mut options)?;
        let options = String::from_utf8_lossy(&options).replace(".SH OPTIONS\n", "");
        page.extend_from_slice(options.as_bytes());
        write_examples(&mut page, name, "Examples:")?;
    }

    let mut extra = Roff::new();
    extra.control("SH", ["EXAMPLES"]);
    extra.to_writer(&mut page)?;
    write_examples(&mut page, "", "")?;
    let mut extra = Roff::new();
    extra.control("SH", ["EXIT STATUS"]);
    for code in ExitCode::ALL {
        extra
            .control("TP", [])
            .text([bold(code.code().to_string())])
            .text([roman(code.meaning())]);
    }
    write_environment(&mut extra);
    extra.control("SH", ["SEE ALSO"]);
    extra.text([roman(
        "docs/how-it-works.md, docs/ci.md and docs/benchmarks.md in the source repository.",
    )]);
    extra.to_writer(&mut page)?;
    man.render_version_section(&mut page)?;
    Ok(code_in_bold(&title_first(&page)))
}

/// The variables the program reads, with what each one does. Colour
/// follows them only under `--color auto` (the default).
const ENVIRONMENT: [(&str, &str); 5] = [
    (
        "NO_COLOR",
        "Set to anything but the empty string: no colour. It wins over CLICOLOR_FORCE.",
    ),
    (
        "CLICOLOR",
        "0: no colour. Any other value: colour on a terminal, even one whose TERM \
         does not promise it.",
    ),
    (
        "CLICOLOR_FORCE",
        "Set to anything but 0 or the empty string: colour even into a pipe or a \
         file, even with CLICOLOR=0. CLICOLOR_FORCE=0 forces nothing.",
    ),
    (
        "TERM",
        "On a terminal, colour only when TERM is set and is not dumb (or CLICOLOR \
         asks for it).",
    ),
    (
        "COLUMNS",
        "When stdout is not a terminal, the width that compare fits its table to, \
         wrapping the verdicts (COLUMNS=80 asyncdemo compare count | less). Without \
         it a piped table keeps each row on one line. On a terminal, the terminal's \
         own width is used.",
    ),
];

/// The ENVIRONMENT section: NO_COLOR, CLICOLOR, CLICOLOR_FORCE, TERM and
/// COLUMNS, each with what it changes.
fn write_environment(roff: &mut Roff) {
    roff.control("SH", ["ENVIRONMENT"]);
    // No hyphenation here: CLI-COLOR_FORCE split across two lines is not
    // a name a reader can type.
    roff.control("nh", []);
    roff.text([roman(
        "Colour (of the summary line, the timeline and the compare table on stdout, \
         and of the error: and warning: prefixes and the usage errors on stderr) is \
         decided for each stream by --color. Under --color auto, the default, these \
         variables decide:",
    )]);
    for (name, meaning) in ENVIRONMENT {
        roff.control("TP", [])
            .text([bold(name)])
            .text([roman(meaning)]);
    }
    roff.control("hy", []);
}

/// clap_mangen's SYNOPSIS lists each option without its value
/// (`[--color]`); a reader needs to see that `--color` takes one, so each
/// option that takes a value gets its value name, as in OPTIONS:
/// `[--color <COLOR>]`.
fn synopsis_with_values(command: &clap::Command, synopsis: &[u8]) -> String {
    let mut text = String::from_utf8_lossy(synopsis).into_owned();
    for arg in command.get_arguments() {
        let (Some(long), Some(names)) = (arg.get_long(), arg.get_value_names()) else {
            continue;
        };
        if !arg.get_action().takes_values() || names.is_empty() {
            continue;
        }
        let long = long.replace('-', "\\-");
        let name = names[0].as_str();
        text = text.replace(
            &format!("[\\fB\\-\\-{long}\\fR]"),
            &format!("[\\fB\\-\\-{long}\\fR \\fI<{name}>\\fR]"),
        );
    }
    text
}

/// The help texts mark code the Markdown way, with backticks, which a man
/// page would show as they are. Each `code` span becomes roff bold, the
/// man-page style for text typed as it is shown. A line with an odd
/// backtick keeps its last one as it is.
fn code_in_bold(page: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(page);
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let mut pieces = line.split('`');
        out.push_str(pieces.next().unwrap_or_default());
        let rest: Vec<&str> = pieces.collect();
        let mut chunks = rest.chunks_exact(2);
        for pair in &mut chunks {
            out.push_str("\\fB");
            out.push_str(pair[0]);
            out.push_str("\\fR");
            out.push_str(pair[1]);
        }
        for lone in chunks.remainder() {
            out.push('`');
            out.push_str(lone);
        }
    }
    out.into_bytes()
}

/// The examples of `command` (`""`: the program's own), as a roff list
/// under an optional `heading` paragraph.
fn write_examples(page: &mut Vec<u8>, command: &str, heading: &str) -> io::Result<()> {
    let mut roff = Roff::new();
    if !heading.is_empty() {
        roff.control("PP", []).text([bold(heading)]);
    }
    for (line, what) in crate::cli::examples_of(command) {
        roff.control("TP", [])
            .text([bold(*line)])
            .text([roman(*what)]);
    }
    roff.to_writer(page)
}

/// The roff crate starts every piece it writes with the definition of the
/// `Aq` string (a portable apostrophe). A man page should start with `.TH`,
/// and the definition is needed once, before the first apostrophe: so keep
/// one copy, right after the title line.
fn title_first(page: &[u8]) -> Vec<u8> {
    const PREAMBLE: &str = ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";
    let text = String::from_utf8_lossy(page).replace(PREAMBLE, "");
    let (title, rest) = text.split_once('\n').unwrap_or((&text, ""));
    format!("{title}\n{PREAMBLE}{rest}").into_bytes()
}

/// Writes generated bytes to stdout, like any other output.
pub(crate) fn print(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| out.flush())
        .context("writing output")?;
    Ok(ExitCode::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shell_gets_a_script_that_names_the_subcommands() {
        for shell in [
            Shell::Bash,
            Shell::Zsh,
            Shell::Fish,
            Shell::PowerShell,
            Shell::Elvish,
        ] {
            let script = String::from_utf8(completions(shell)).unwrap();
            assert!(script.contains("asyncdemo"), "{shell}");
            // Fish spells long options `-l delay`, the others `--delay`.
            assert!(
                script.contains("compare") && script.contains("delay"),
                "{shell}"
            );
        }
    }

    /// Without fish at hand: each subcommand's positional values are
    /// offered in the fish script under that subcommand (the shells
    /// themselves run the scripts in tests/cli/completions.rs).
    #[test]
    fn the_fish_script_offers_positional_values() {
        let script = String::from_utf8(completions(Shell::Fish)).unwrap();
        let command = Cli::command();
        let mut offered = 0;
        for sub in command.get_subcommands() {
            let when = format!("__fish_asyncdemo_using_subcommand {};", sub.get_name());
            for positional in sub.get_positionals() {
                for value in positional.get_possible_values() {
                    let line = script
                        .split("\ncomplete ")
                        .find(|line| line.contains(&when) && line.contains(" -f -a "))
                        .unwrap_or_else(|| panic!("no values for {}", sub.get_name()));
                    assert!(
                        line.contains(&format!("{}\\t'", value.get_name())),
                        "{line}"
                    );
                    offered += 1;
                }
            }
        }
        // compare's three demos and completions' five shells.
        assert!(offered >= 8, "{offered}");
    }

    #[test]
    fn the_man_page_has_the_examples_and_exit_codes() {
        let page = String::from_utf8(man_page().unwrap()).unwrap();
        assert!(page.starts_with(".TH asyncdemo 1 "), "{page}");
        assert_eq!(
            page.matches(".ds Aq \\(aq").count(),
            1,
            "one apostrophe preamble"
        );
        assert!(page.contains(".SH EXAMPLES"));
        assert!(page.contains(".SH \"EXIT STATUS\"") || page.contains(".SH EXIT STATUS"));
        assert!(page.contains("130"));
        assert!(page.contains("asyncdemo compare count"));
    }

    /// The page names each variable the program reads, in a section of its
    /// own, each as a bold tag with its meaning.
    #[test]
    fn the_man_page_has_an_environment_section() {
        let page = String::from_utf8(man_page().unwrap()).unwrap();
        let (_, section) = page
            .split_once(".SH ENVIRONMENT\n")
            .expect("no ENVIRONMENT");
        let section = &section[..section.find(".SH ").unwrap()];
        for name in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "TERM", "COLUMNS"] {
            assert!(
                section.contains(&format!(".TP\n\\fB{name}\\fR\n")),
                "{name}:\n{section}"
            );
        }
        // Before SEE ALSO, as man-pages(7) orders the sections.
        assert!(page.find(".SH ENVIRONMENT").unwrap() < page.find(".SH \"SEE ALSO\"").unwrap());
    }

    /// The help texts' `code` spans are bold on the page, with no backtick
    /// left to show.
    #[test]
    fn the_man_page_shows_code_in_bold_not_in_backticks() {
        let page = String::from_utf8(man_page().unwrap()).unwrap();
        assert!(!page.contains('`'), "a backtick is left");
        let about = Cli::command().get_long_about().unwrap().to_string();
        let spans: Vec<&str> = about.split('`').skip(1).step_by(2).collect();
        assert!(!spans.is_empty(), "the description marks no code: {about}");
        for span in spans {
            let roff = span.replace('-', "\\-");
            assert!(page.contains(&format!("\\fB{roff}\\fR")), "{span}");
        }
        assert_eq!(
            String::from_utf8(code_in_bold(b"a `b` c `d\n`e` f\n")).unwrap(),
            "a \\fBb\\fR c `d\n\\fBe\\fR f\n"
        );
    }

    /// SYNOPSIS shows that `--color` takes a value, and names it as
    /// OPTIONS does.
    #[test]
    fn the_synopsis_shows_the_value_an_option_takes() {
        let page = String::from_utf8(man_page().unwrap()).unwrap();
        let (_, synopsis) = page.split_once(".SH SYNOPSIS\n").unwrap();
        let synopsis = synopsis.lines().next().unwrap();
        let command = Cli::command();
        let color = command
            .get_arguments()
            .find(|a| a.get_id() == "color")
            .unwrap();
        let name = &color.get_value_names().unwrap()[0];
        assert!(
            synopsis.contains(&format!("[\\fB\\-\\-color\\fR \\fI<{name}>\\fR]")),
            "{synopsis}"
        );
        // Flags keep their plain form.
        assert!(
            synopsis.contains("[\\fB\\-h\\fR|\\fB\\-\\-help\\fR]"),
            "{synopsis}"
        );
    }

    /// Every subcommand is on the page with each of its options and each of
    /// its examples, and the page sends the reader to no page that does
    /// not exist.
    #[test]
    fn the_man_page_shows_every_subcommand_and_names_no_missing_page() {
        let page = String::from_utf8(man_page().unwrap()).unwrap();
        // roff escapes each `-` as `\-`; read it back as plain text.
        let plain = page.replace("\\-", "-");
        for sub in Cli::command().get_subcommands() {
            let name = sub.get_name();
            assert!(
                plain.contains(&format!(".SS \"asyncdemo {name}\""))
                    || plain.contains(&format!(".SS asyncdemo {name}")),
                "{name}"
            );
            for arg in sub.get_arguments() {
                if let Some(long) = arg.get_long() {
                    assert!(plain.contains(&format!("--{long}")), "{name} --{long}");
                }
            }
            for (example, _) in crate::cli::examples_of(name) {
                assert!(plain.contains(example), "{example}");
            }
        }
        assert!(!plain.contains("asyncdemo-count(1)") && !plain.contains("-count(1)"));
    }
}
