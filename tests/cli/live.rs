//! `--live`, on a real pseudo-terminal: a tmux pane 100 columns by 30 rows,
//! read with `capture-pane` while the run goes. Each test skips, saying
//! so, where tmux is not installed.

use crate::common::{asyncdemo, binary};
use crate::pane::Pane;
use predicates::prelude::*;
use std::time::Duration;

/// The glyphs drawn in the lanes of a screen: rows from `task 1` to the
/// counts line, after the 17 columns of labels.
fn lane_glyphs(screen: &[String]) -> usize {
    screen
        .iter()
        .filter(|row| row.starts_with("task ") || row.starts_with("block_on"))
        .map(|row| {
            row.chars()
                .skip(17)
                .filter(|c| "~#=.x_".contains(*c))
                .count()
        })
        .sum()
}

fn row<'a>(screen: &'a [String], starts: &str) -> &'a str {
    screen
        .iter()
        .find(|r| r.starts_with(starts))
        .map_or("", String::as_str)
}

/// The lanes grow while the run goes, the task lines print above the view,
/// and at the end the summary has a line of its own below the last frame,
/// with the cursor shown again.
#[test]
fn the_lanes_grow_on_a_real_terminal() {
    let Some(pane) = Pane::run("count -n 3 -d 1s --blocking --live") else {
        return;
    };
    let first = pane.wait_for("view with task 1 blocked", |row| {
        row.starts_with("task 1") && row.contains('#')
    });
    std::thread::sleep(Duration::from_millis(1200));
    let second = pane.screen();
    let (before, after) = (lane_glyphs(&first), lane_glyphs(&second));
    assert!(
        after > before,
        "the lanes did not grow: {before} then {after} glyphs\n{}\n---\n{}",
        first.join("\n"),
        second.join("\n")
    );
    // The view says what the thread is doing, in the counts line.
    assert!(
        first.iter().any(|r| r.contains("holding the thread")),
        "{}",
        first.join("\n")
    );
    let end = pane.wait_for("exit code", |row| row.starts_with("rc="));
    let text = end.join("\n");
    assert!(end.iter().any(|r| r == "rc=0"), "{text}");
    // The demo's own lines, whole, above the view.
    let above: Vec<&str> = end
        .iter()
        .take_while(|r| !r.starts_with("asyncdemo count -m"))
        .map(String::as_str)
        .filter(|r| !r.is_empty())
        .collect();
    assert_eq!(above, ["One", "Two", "One", "Two", "One", "Two"], "{text}");
    // The last frame stays as a still, the summary below it on its own line.
    let counts = end.iter().position(|r| r == "3 of 3 done").expect(&text);
    let summary = end
        .iter()
        .position(|r| r.starts_with("asyncdemo count executed in"))
        .expect(&text);
    assert!(summary > counts, "{text}");
    // Three tasks one after another: task 3's lane starts late and ends last.
    let task3 = row(&end, "task 3  ");
    assert!(
        task3.contains(".#"),
        "task 3 waited, then held the thread: {text}"
    );
    assert!(pane.cursor_shown(), "the cursor is still hidden");
}

/// The lock demo's deadlock, as it happens: task 2 inside std's `lock()`
/// holding the runtime thread (`#`, `H`), and the view still drawing; then
/// the watchdog's exit 1, one summary, and the diagnosis.
#[test]
fn a_std_lock_deadlock_is_drawn_while_it_holds_the_thread() {
    let Some(pane) = Pane::run("lock -n 3 -d 1s --live") else {
        return;
    };
    let held = pane.wait_for("task 2 blocked in lock()", |row| {
        row.starts_with("task 2") && row.contains('#')
    });
    let text = held.join("\n");
    assert!(
        row(&held, "asyncdemo lock").starts_with("asyncdemo lock --lock std"),
        "{text}"
    );
    assert!(row(&held, "block_on").contains('H'), "{text}");
    assert!(
        held.iter()
            .any(|r| r.contains("1 blocked in std's lock(), holding the thread")),
        "{text}"
    );
    // Task 3 is never polled: it was ready all along, and never asked.
    assert!(!row(&held, "task 3  ").contains('#'), "{text}");
    let end = pane.wait_for("exit code", |row| row.starts_with("rc="));
    let text = end.join("\n");
    assert!(end.iter().any(|r| r == "rc=1"), "{text}");
    let summaries = end
        .iter()
        .filter(|r| r.starts_with("asyncdemo lock deadlocked"))
        .count();
    assert_eq!(summaries, 1, "{text}");
    assert!(
        text.contains("Task 2 is blocked in std::sync::Mutex::lock()"),
        "{text}"
    );
    assert!(pane.cursor_shown(), "the cursor is still hidden");
}

/// `--slow-poll`'s warnings, on the terminal the view shares with stderr,
/// go above the view with the demo's lines, in order, not under its next
/// frame.
#[test]
fn slow_poll_warnings_print_above_the_view() {
    let Some(pane) = Pane::run("count -n 2 -d 600ms --blocking --live --slow-poll=50ms") else {
        return;
    };
    let end = pane.wait_for("exit code", |row| row.starts_with("rc="));
    let text = end.join("\n");
    assert!(end.iter().any(|r| r == "rc=0"), "{text}");
    let title = end
        .iter()
        .position(|r| r.starts_with("asyncdemo count -m blocking"))
        .expect(&text);
    let warned = |task: &str| {
        end[..title]
            .iter()
            .position(|r| r.starts_with(&format!("warning: task {task} (count) has held")))
    };
    let lines = |word: &str| -> Vec<usize> { (0..title).filter(|&i| end[i] == word).collect() };
    let (ones, twos) = (lines("One"), lines("Two"));
    assert_eq!((ones.len(), twos.len()), (2, 2), "{text}");
    // Task 1's warning comes while it blocks: after its first line, before
    // its last; the same for task 2.
    let (first, second) = (warned("1").expect(&text), warned("2").expect(&text));
    assert!(ones[0] < first && first < twos[0], "{text}");
    assert!(ones[1] < second && second < twos[1], "{text}");
}

/// With tokio's lock the waiters are drawn waiting for the lock (`:`),
/// their thread free, and take turns.
#[test]
fn tokios_lock_is_drawn_with_its_waiters_and_a_free_thread() {
    let Some(pane) = Pane::run("lock -n 3 -d 600ms --lock tokio --live") else {
        return;
    };
    let waiting = pane.wait_for("task 3 waiting for the lock", |row| {
        row.starts_with("task 3") && row.contains(':')
    });
    let text = waiting.join("\n");
    assert!(
        waiting
            .iter()
            .any(|r| r.contains("waiting for the lock, thread free")),
        "{text}"
    );
    let end = pane.wait_for("exit code", |row| row.starts_with("rc="));
    let text = end.join("\n");
    assert!(end.iter().any(|r| r == "rc=0"), "{text}");
    // Task 3 waited for the lock, then slept: its wait came first.
    let task3 = row(&end, "task 3  ");
    let (colon, tilde) = (task3.find(':'), task3.rfind('~'));
    assert!(colon.is_some() && colon < tilde, "{text}");
    assert!(!row(&end, "block_on").contains('H'), "{text}");
}

/// Ctrl-C in the middle: one summary, on its own line below the view, the
/// cursor shown, and the echoed `^C` drawn over in the last frame.
#[test]
fn ctrl_c_leaves_the_terminal_clean() {
    let Some(pane) = Pane::run("hello -n 40 -d 30s --live") else {
        return;
    };
    pane.wait_for("sleeping lanes", |row| {
        row.starts_with("task 1") && row.contains('~')
    });
    let _ = pane.tmux(&["send-keys", "C-c"]);
    let end = pane.wait_for("exit code", |row| row.starts_with("rc="));
    let text = end.join("\n");
    assert!(end.iter().any(|r| r == "rc=130"), "{text}");
    let summaries: Vec<&String> = end
        .iter()
        .filter(|r| r.starts_with("asyncdemo hello interrupted"))
        .collect();
    assert_eq!(summaries.len(), 1, "{text}");
    assert!(
        end.iter()
            .any(|r| r.starts_with("asyncdemo hello -m async")),
        "the title is whole: {text}"
    );
    // Forty tasks do not fit in lanes of their own.
    assert!(
        end.iter()
            .any(|r| r.starts_with("tasks ") && r.contains("-40")),
        "{text}"
    );
    assert!(pane.cursor_shown(), "the cursor is still hidden");
}

/// The view fits a narrower terminal after a resize, and stays one view.
#[test]
fn a_resize_is_followed() {
    let Some(pane) = Pane::run("count -n 2 -d 4s --live") else {
        return;
    };
    pane.wait_for("the view", |row| {
        row.starts_with("task 1") && row.contains('~')
    });
    let _ = pane.tmux(&["resize-window", "-x", "60", "-y", "30"]);
    // A frame at the new width: the axis of 60 columns less the labels
    // (9 columns below 48) ends before column 60.
    let narrow = pane.wait_for("a frame at 60 columns", |row| {
        row.starts_with("task 1") && row.chars().count() < 60 && row.contains('~')
    });
    let end = pane.wait_for("exit code", |row| row.starts_with("rc="));
    let text = end.join("\n");
    assert!(end.iter().any(|r| r == "rc=0"), "{text}");
    let titles = end
        .iter()
        .filter(|r| r.starts_with("asyncdemo count -m"))
        .count();
    assert_eq!(titles, 1, "one view, not one per width: {text}");
    assert!(end.iter().all(|r| r.chars().count() <= 60), "{text}");
    assert!(lane_glyphs(&narrow) > 0);
}

/// NO_COLOR: the same glyphs, no colour codes; without it, colour.
#[test]
fn no_color_draws_the_glyphs_without_colour() {
    for (env, coloured) in [("", true), ("NO_COLOR=1 ", false)] {
        let Some(pane) = Pane::run(&format!("{env}count -n 2 -d 300ms --blocking --live")) else {
            return;
        };
        pane.wait_for("exit code", |row| row.starts_with("rc="));
        let styled = pane.screen_with_styles();
        // tmux writes the red of a blocked lane as SGR 31 or 38;5;1.
        let has_colour = styled.contains("\x1b[31m") || styled.contains("\x1b[38;5;1m");
        assert_eq!(has_colour, coloured, "{env:?}: {styled:?}");
        assert!(styled.contains('#'), "{styled:?}");
    }
}

/// Piped, the run goes on without the view, says so on stderr, and writes
/// not one escape code into the pipe.
#[test]
fn piped_it_runs_without_the_view_and_says_so() {
    let out = binary()
        .args(["count", "-n", "2", "-d", "50ms", "--live"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains('\x1b'), "{stdout:?}");
    assert!(
        stdout.starts_with("One\nOne\nTwo\nTwo\nasyncdemo count executed in"),
        "{stdout}"
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(
        stderr,
        "warning: --live: stdout is not a terminal; running without the view\n"
    );
}

#[test]
fn live_with_json_output_is_a_usage_error() {
    asyncdemo(&["hello", "--live", "-f", "json"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--live draws on the terminal"));
    asyncdemo(&["count", "--live", "-q", "--trace", "-"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--trace -"));
}

/// TERM=dumb cannot move the cursor: the run goes on without the view, on
/// a terminal too, and says why.
#[test]
fn a_dumb_terminal_gets_no_view() {
    let Some(pane) = Pane::run("TERM=dumb count -n 2 -d 100ms --live") else {
        return;
    };
    let end = pane.wait_for("exit code", |row| row.starts_with("rc="));
    let text = end.join("\n");
    assert!(end.iter().any(|r| r == "rc=0"), "{text}");
    assert!(
        end.iter()
            .any(|r| r
                == "warning: --live: TERM=dumb cannot move the cursor; running without the view"),
        "{text}"
    );
    assert!(
        !end.iter().any(|r| r.starts_with("asyncdemo count -m")),
        "{text}"
    );
    assert!(
        end.iter()
            .any(|r| r.starts_with("asyncdemo count executed in")),
        "{text}"
    );
}

/// At 40 columns every row of the view fits, with no word cut: the
/// header, the lane labels, the counts and the legend drop or shorten
/// items whole (the terminal wraps no row, and none ends mid-word).
#[test]
fn a_40_column_terminal_gets_whole_words() {
    let Some(pane) = Pane::sized(40, 30, "count -n 3 -d 2s --blocking --live") else {
        return;
    };
    pane.wait_for("the legend", |row| row.starts_with("threads:"));
    // The two captures from one frame: the lanes' last column shows each
    // task's state now, which may change between two captures.
    let (screen, joined) = loop {
        let before = pane.screen();
        let joined = pane.screen_joined();
        if pane.screen() == before {
            break (before, joined);
        }
    };
    let text = screen.join("\n");
    let trimmed: Vec<String> = screen.iter().map(|r| r.trim_end().to_owned()).collect();
    assert_eq!(
        joined[..trimmed.len().min(joined.len())],
        trimmed[..trimmed.len().min(joined.len())],
        "a row was too wide:\n{text}"
    );
    assert!(
        row(&screen, "asyncdemo count").starts_with("asyncdemo count -m blocking"),
        "{text}"
    );
    let label = row(&screen, "block_on");
    assert!(
        label.starts_with("block_on ") && !label.starts_with("block_on t"),
        "{text}"
    );
    assert!(
        row(&screen, "threads:").trim_end().ends_with("parked"),
        "{text}"
    );
    let counts = row(&screen, "0 of 3 done");
    let last = counts.trim_end().rsplit(' ').next().unwrap();
    assert!(["thread", "waiting", "…"].contains(&last), "{text}");
    assert!(
        row(&screen, "tasks:").trim_end().ends_with("ready"),
        "{text}"
    );
}

/// Mid-wait, the counts line reads the model: three tasks asleep on their
/// timers, none ready (it once said `3 ready` here, from clock arithmetic).
#[test]
fn mid_wait_the_counts_say_sleeping_not_ready() {
    let Some(pane) = Pane::run("count -n 3 -d 3s --live") else {
        return;
    };
    let asleep = pane.wait_for("three tasks asleep", |row| {
        row.starts_with("0 of 3 done") && row.contains("3 sleeping")
    });
    // Well into the wait (at least a second later), still asleep.
    std::thread::sleep(Duration::from_millis(1000));
    let later = pane.screen();
    let counts = row(&later, "0 of 3 done");
    assert!(counts.contains("3 sleeping"), "{}", later.join("\n"));
    assert!(!counts.contains("ready"), "{}", asleep.join("\n"));
    let end = pane.wait_for("exit code", |row| row.starts_with("rc="));
    assert!(end.iter().any(|r| r == "rc=0"), "{}", end.join("\n"));
}

/// The std lock's deadlock, live: task 1's deadline passes while task 2
/// holds the thread in lock(), and it is drawn overdue (`^`), counted
/// overdue, not ready.
#[test]
fn a_deadline_under_a_held_thread_is_drawn_overdue_live() {
    let Some(pane) = Pane::run("lock -n 3 -d 300ms --live") else {
        return;
    };
    let overdue = pane.wait_for("task 1 overdue", |row| {
        row.starts_with("task 1") && row.contains('^')
    });
    let text = overdue.join("\n");
    assert!(overdue.iter().any(|r| r.contains("1 overdue")), "{text}");
    let end = pane.wait_for("exit code", |row| row.starts_with("rc="));
    assert!(end.iter().any(|r| r == "rc=1"), "{}", end.join("\n"));
}

/// `--live --explain`: the narration scrolls above the view with no blank
/// row anywhere, however near the width its dim lines come (their colour
/// codes once counted as columns, and the view was placed a row low).
#[test]
fn the_narration_scrolls_above_the_view_without_blank_rows() {
    let Some(pane) = Pane::sized(100, 60, "count -n 3 -d 200ms --live --explain") else {
        return;
    };
    let end = pane.wait_for("exit code", |row| row.starts_with("rc="));
    let text = end.join("\n");
    let title = end
        .iter()
        .position(|r| r.starts_with("asyncdemo count"))
        .expect("the view's last frame");
    assert!(end[title..].iter().any(|r| r == "rc=0"), "{text}");
    assert!(title > 10, "the narration is above the view: {text}");
    assert!(
        end[..title].iter().all(|r| !r.trim().is_empty()),
        "a blank row above the view:\n{text}"
    );
}
