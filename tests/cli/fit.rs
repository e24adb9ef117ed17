//! Text that fits the terminal: `--explain` narration and long `error:`
//! lines wrap at the pane's width, at spaces, with the `  │ ` gutter on
//! every further line, so the terminal never breaks a word; piped, each
//! step stays one line unless `COLUMNS` says otherwise.

use crate::common::asyncdemo;
use crate::pane::Pane;

/// The rows of `screen` up to (not with) the `rc=` line the pane prints.
fn output_rows(screen: &[String]) -> Vec<&str> {
    screen
        .iter()
        .map(|row| row.trim_end())
        .take_while(|row| !row.starts_with("rc="))
        .filter(|row| !row.is_empty())
        .collect()
}

#[test]
fn narration_wraps_at_80_and_60_columns_with_the_gutter_on_every_line() {
    for columns in [80u16, 60] {
        let Some(pane) = Pane::sized(columns, 60, "count -n 2 -d 50ms --explain") else {
            return;
        };
        let screen = pane.wait_for("the exit code", |row| row.starts_with("rc="));
        assert!(
            screen.iter().any(|row| row == "rc=0"),
            "{}",
            screen.join("\n")
        );
        let rows = output_rows(&screen);
        // Nothing was too long for the pane: the terminal wrapped no row.
        let joined = pane.screen_joined();
        assert_eq!(
            output_rows(&joined),
            rows,
            "{columns} columns: the terminal broke a line"
        );
        let narration: Vec<&str> = rows
            .iter()
            .copied()
            .filter(|row| !["One", "Two"].contains(row))
            .filter(|row| !row.starts_with("asyncdemo count executed"))
            .collect();
        // Every other row is narration, gutter first, however it wrapped.
        assert!(narration.len() > 10, "{}", rows.join("\n"));
        for row in &narration {
            assert!(row.starts_with("  │ "), "{columns}: {row:?}");
            assert!(row.chars().count() <= usize::from(columns), "{row:?}");
        }
        // The narration needed wrapping at this width: some step took more
        // than one row, and no row ends inside a word (the next row goes on
        // with a whole one).
        let piped = crate::common::stdout_of(&["count", "-n", "2", "-d", "50ms", "--explain"]);
        let steps = piped.lines().filter(|l| l.starts_with("  │ ")).count();
        assert!(
            narration.len() > steps,
            "{columns}: {} rows for {steps} steps",
            narration.len()
        );
        assert!(
            piped
                .lines()
                .any(|l| l.chars().count() > usize::from(columns)),
            "the test needs a step longer than {columns} columns"
        );
    }
}

#[test]
fn piped_narration_keeps_one_line_per_step_or_follows_columns() {
    let piped = asyncdemo(&["count", "-n", "1", "-d", "10ms", "--explain"])
        .env_remove("COLUMNS")
        .output()
        .unwrap();
    let piped = String::from_utf8(piped.stdout).unwrap();
    let longest = piped.lines().map(|l| l.chars().count()).max().unwrap();
    assert!(longest > 100, "one line per step: {piped}");
    // `grep -v '│'` gives back the plain run.
    let plain: Vec<&str> = piped.lines().filter(|l| !l.contains('│')).collect();
    assert_eq!(plain[..2], ["One", "Two"], "{piped}");

    let narrow = asyncdemo(&["count", "-n", "1", "-d", "10ms", "--explain"])
        .env("COLUMNS", "50")
        .output()
        .unwrap();
    let narrow = String::from_utf8(narrow.stdout).unwrap();
    for line in narrow.lines() {
        assert!(line.chars().count() <= 50, "{line:?}");
        if !["One", "Two"].contains(&line) && !line.starts_with("asyncdemo") {
            assert!(line.starts_with("  │ "), "{line:?}");
        }
    }
    assert!(narrow.lines().count() > piped.lines().count());
}

/// The lock demo's deadlock error wraps at the terminal, the gutter on
/// each further line.
#[test]
fn a_long_error_wraps_at_60_columns_with_the_gutter() {
    let Some(pane) = Pane::sized(60, 30, "lock -n 2 -d 100ms") else {
        return;
    };
    let screen = pane.wait_for("the exit code", |row| row.starts_with("rc="));
    let rows = output_rows(&screen);
    let start = rows
        .iter()
        .position(|row| row.starts_with("error: deadlock"))
        .unwrap_or_else(|| panic!("{}", screen.join("\n")));
    let error: Vec<&str> = rows[start + 1..]
        .iter()
        .copied()
        .take_while(|row| !row.starts_with("asyncdemo lock"))
        .collect();
    assert!(error.len() >= 2, "{}", screen.join("\n"));
    for row in &error {
        assert!(row.starts_with("  │ "), "{row:?}");
    }
    // The rows of the error were not broken by the terminal.
    let joined = pane.screen_joined();
    let joined_rows = output_rows(&joined);
    let joined_start = joined_rows
        .iter()
        .position(|row| row.starts_with("error: deadlock"))
        .unwrap();
    assert_eq!(
        joined_rows[joined_start..=joined_start + error.len()],
        rows[start..=start + error.len()]
    );
}

/// Ctrl-C on `serve`: the summary starts a line of its own after the `^C`
/// the terminal echoes.
#[cfg(feature = "http")]
#[test]
fn serve_ends_the_ctrl_c_line_before_its_summary() {
    let Some(pane) = Pane::sized(80, 20, "serve -d 10ms") else {
        return;
    };
    pane.wait_for("the address", |row| row.starts_with("listening on"));
    let _ = pane.tmux(&["send-keys", "C-c"]);
    let screen = pane.wait_for("the exit code", |row| row.starts_with("rc="));
    let summary = screen
        .iter()
        .position(|row| row.contains("served 0 requests"))
        .unwrap_or_else(|| panic!("{}", screen.join("\n")));
    assert_eq!(
        screen[summary],
        "served 0 requests",
        "{}",
        screen.join("\n")
    );
    assert_eq!(
        screen[summary - 1].trim_end(),
        "^C",
        "{}",
        screen.join("\n")
    );
    assert!(screen.iter().any(|row| row == "rc=130"));
}

/// The README's Ctrl-C capture is what a terminal really shows (its
/// figures aside): the `^C` the terminal echoes, then the summary on a
/// line of its own.
#[test]
fn the_readmes_ctrl_c_capture_is_what_prints() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let command = "asyncdemo count -n 3 --blocking --delay 500years";
    let block: Vec<&str> = readme
        .lines()
        .skip_while(|l| *l != format!("$ {command}"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .collect();
    assert!(block.len() >= 2, "no capture of `{command}` in the README");
    let Some(pane) = Pane::sized(100, 20, command.trim_start_matches("asyncdemo ")) else {
        return;
    };
    pane.wait_for("the first line", |row| row == "One");
    let _ = pane.tmux(&["send-keys", "C-c"]);
    let screen = pane.wait_for("the exit code", |row| row.starts_with("rc="));
    let digits = |l: &str| -> String { l.chars().filter(|c| !c.is_ascii_digit()).collect() };
    let shown: Vec<String> = output_rows(&screen).iter().map(|l| digits(l)).collect();
    let documented: Vec<String> = block.iter().map(|l| digits(l)).collect();
    assert_eq!(shown, documented, "{}", screen.join("\n"));
}

/// A usage error too long for the terminal wraps too, the gutter on each
/// further line, above clap's usage line.
#[test]
fn a_long_usage_error_wraps_at_60_columns() {
    let Some(pane) = Pane::sized(60, 20, "compare count --trace t.json") else {
        return;
    };
    let screen = pane.wait_for("the exit code", |row| row.starts_with("rc="));
    let rows = output_rows(&screen);
    assert!(
        rows[0].starts_with("error: compare writes no trace"),
        "{}",
        screen.join("\n")
    );
    let more: Vec<&str> = rows[1..]
        .iter()
        .copied()
        .take_while(|r| !r.starts_with("Usage:"))
        .collect();
    assert!(more.len() >= 2, "{}", screen.join("\n"));
    assert!(
        more.iter().all(|r| r.starts_with("  │ ")),
        "{}",
        screen.join("\n")
    );
    assert_eq!(
        output_rows(&pane.screen_joined()),
        rows,
        "the terminal broke a line"
    );
    assert!(screen.iter().any(|row| row == "rc=2"));
}
