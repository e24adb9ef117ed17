//! `asyncdemo replay FILE --step` on a real pseudo-terminal (a tmux
//! pane): one executor step per key, forward and back, the lanes of
//! `--live` at each step and its narration under them.
//!
//! Stepping is deterministic (no clock is read), so the tests press keys
//! and wait until the screen says the step they asked for. What a step
//! must show is taken from the run itself: the lines and the `--explain`
//! narration it printed, in order.

use crate::common::asyncdemo;
use crate::pane::Pane;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A recording in a directory of the test's own.
struct Recorded {
    _dir: tempfile::TempDir,
    path: PathBuf,
    /// What the run printed with `--explain`: its lines and narration, the
    /// summary left out.
    printed: Vec<String>,
}

/// Records `args` with `--explain` (its narration on one line a step, as
/// a pipe gets it).
fn record(args: &[&str]) -> Recorded {
    let dir = tempfile::Builder::new()
        .prefix("asyncdemo-step-")
        .tempdir()
        .unwrap();
    let path = dir.path().join("r.rec");
    let mut all = args.to_vec();
    all.extend(["--explain", "--record", path.to_str().unwrap()]);
    let out = asyncdemo(&all)
        .env_remove("COLUMNS")
        .assert()
        .success()
        .get_output()
        .clone();
    let printed = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with("asyncdemo "))
        .map(str::to_owned)
        .collect();
    Recorded {
        _dir: dir,
        path,
        printed,
    }
}

/// `step K of N` on the screen, if it shows one: (K, N).
fn status(screen: &[String]) -> Option<(usize, usize)> {
    let row = screen.iter().find(|r| r.starts_with("step "))?;
    let mut words = row.split_whitespace();
    let k = words.nth(1)?.parse().ok()?;
    let n = words.nth(1)?.parse().ok()?;
    Some((k, n))
}

/// The screen once it shows step `k` and has stopped changing, with its
/// escape codes.
fn settled(pane: &Pane, k: usize) -> (Vec<String>, String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut last = String::new();
    loop {
        let screen = pane.screen();
        let styled = pane.screen_with_styles();
        if status(&screen).map(|s| s.0) == Some(k) && styled == last {
            return (screen, styled);
        }
        assert!(
            Instant::now() < deadline,
            "step {k} did not show:\n{}",
            screen.join("\n")
        );
        last = styled;
        std::thread::sleep(Duration::from_millis(30));
    }
}

fn press(pane: &Pane, keys: &[&str]) {
    for key in keys {
        let _ = pane.tmux(&["send-keys", key]);
    }
}

/// The rows under the step's line and above the keys: the narration, and
/// the line the step printed.
fn said(screen: &[String]) -> Vec<String> {
    let rows: Vec<&String> = screen.iter().collect();
    let Some(at) = rows.iter().position(|r| r.starts_with("step ")) else {
        return Vec::new();
    };
    let end = rows.iter().rposition(|r| !r.trim().is_empty()).unwrap_or(0);
    rows[at + 1..end]
        .iter()
        .map(|r| r.trim_end().to_owned())
        .filter(|r| !r.is_empty())
        .collect()
}

/// The last glyph of the lane whose label starts with `label`.
fn last_glyph(screen: &[String], label: &str) -> Option<char> {
    let row = screen.iter().find(|r| r.starts_with(label))?;
    row.get(17..)?.trim_end().chars().last()
}

/// Every step, forward: its screen and styled screen.
fn walk_forward(pane: &Pane) -> Vec<(Vec<String>, String)> {
    let first = settled(pane, 1);
    let (_, n) = status(&first.0).unwrap();
    let mut steps = vec![first];
    for k in 2..=n {
        press(pane, &["Space"]);
        steps.push(settled(pane, k));
    }
    steps
}

/// Stepping forward tells, step by step, exactly the lines and narration
/// the run printed, in order; stepping back shows each step's screen
/// again byte for byte.
fn narration_in_order_and_back_exactly(recorded: &Recorded) -> Vec<(Vec<String>, String)> {
    let Some(pane) = Pane::sized(
        250,
        40,
        &format!("replay {} --step", recorded.path.display()),
    ) else {
        return Vec::new();
    };
    let steps = walk_forward(&pane);
    // Captions (`  · …`) are the view's words for a step the run did not
    // narrate; everything else is the run's own.
    let told: Vec<String> = steps
        .iter()
        .flat_map(|(screen, _)| said(screen))
        .filter(|r| !r.starts_with("  · "))
        .collect();
    assert_eq!(told, recorded.printed);
    for k in (1..steps.len()).rev() {
        press(&pane, &["Left"]);
        let (_, styled) = settled(&pane, k);
        assert_eq!(styled, steps[k - 1].1, "step {k}, back");
    }
    steps
}

#[test]
fn stepping_tells_the_runs_narration_in_order_and_draws_task_2_ready_while_task_1_holds_the_thread()
{
    let recorded = record(&["count", "-n", "2", "-d", "200ms", "--blocking"]);
    let steps = narration_in_order_and_back_exactly(&recorded);
    if steps.is_empty() {
        return;
    }
    // The run said when task 1 began its blocking call and when task 2 was
    // first polled, ready since the start: in between, task 2's lane ends
    // ready ('.'), and at some step task 1 holds ('#') the thread ('H').
    let at = |words: &str| {
        steps
            .iter()
            .position(|(s, _)| said(s).iter().any(|r| r.contains(words)))
            .unwrap_or_else(|| panic!("no step says {words}"))
    };
    let (from, to) = (at("task 1 printed \"One\""), at("join_all polls task 2"));
    assert!(from + 1 < to, "{from} {to}");
    for (screen, _) in &steps[from + 1..to] {
        assert_eq!(
            last_glyph(screen, "task 2"),
            Some('.'),
            "{}",
            screen.join("\n")
        );
    }
    assert!(
        steps[from + 1..to]
            .iter()
            .any(|(s, _)| last_glyph(s, "task 1") == Some('#')
                && last_glyph(s, "runtime thread") == Some('H')),
        "no step draws task 1 holding the thread"
    );
    // Once task 2 is polled, it is no longer ready.
    assert_ne!(last_glyph(&steps[to].0, "task 2"), Some('.'));
}

#[test]
fn stepping_through_tokios_lock_tells_the_runs_narration_in_order() {
    let recorded = record(&["lock", "--lock", "tokio", "-n", "2", "-d", "100ms"]);
    narration_in_order_and_back_exactly(&recorded);
}

/// Home, End, a jump to a time, `t`, and `q`, which leaves the terminal
/// as it was.
#[test]
fn home_end_a_time_a_task_and_quit() {
    let recorded = record(&["count", "-n", "2", "-d", "200ms", "--blocking"]);
    let Some(pane) = Pane::sized(
        120,
        40,
        &format!("replay {} --step", recorded.path.display()),
    ) else {
        return;
    };
    let steps = walk_forward(&pane);
    let n = steps.len();
    let time = |screen: &[String]| -> f64 {
        let row = screen.iter().find(|r| r.starts_with("step ")).unwrap();
        row.split(" · ")
            .nth(1)
            .unwrap()
            .trim_end_matches(" s")
            .parse()
            .unwrap()
    };
    press(&pane, &["Home"]);
    assert_eq!(settled(&pane, 1).1, steps[0].1);
    press(&pane, &["End"]);
    settled(&pane, n);
    // 0.25 s: the last step at or before it.
    let expected = steps.iter().filter(|(s, _)| time(s) <= 0.25).count();
    assert!(expected > 1 && expected < n, "{expected} of {n}");
    press(&pane, &["0", ".", "2", "5", "Enter"]);
    let (screen, _) = settled(&pane, expected);
    assert!(time(&screen) <= 0.25 && time(&steps[expected].0) > 0.25);
    // t follows task 1: the steps visited are task 1's, until none is left.
    press(&pane, &["Home", "t"]);
    pane.wait_for("following task 1", |r| r.contains("following task 1"));
    let of_task_1: Vec<usize> = (2..=n)
        .filter(|&k| {
            let row = steps[k - 1]
                .0
                .iter()
                .find(|r| r.starts_with("step "))
                .unwrap();
            row.split(" · ").any(|p| p == "task 1")
        })
        .collect();
    assert!(!of_task_1.is_empty());
    for &k in &of_task_1 {
        press(&pane, &["Space"]);
        settled(&pane, k);
    }
    press(&pane, &["Space"]);
    pane.wait_for("the end of task 1's steps", |r| {
        r.contains("task 1 has no later step")
    });
    // The key help names every key.
    press(&pane, &["Left"]);
    let (screen, _) = settled(&pane, *of_task_1.iter().rev().nth(1).unwrap_or(&1));
    let keys = screen.iter().rev().find(|r| !r.trim().is_empty()).unwrap();
    for key in [
        "Space",
        "back",
        "quit",
        "Home/End",
        "Enter",
        "follow a task",
    ] {
        assert!(keys.contains(key), "{keys}");
    }
    press(&pane, &["q"]);
    let end = pane.wait_for("exit code", |row| row.starts_with("rc="));
    assert!(end.iter().any(|r| r == "rc=0"), "{}", end.join("\n"));
    assert!(
        !end.iter().any(|r| r.starts_with("step ")),
        "{}",
        end.join("\n")
    );
    assert!(pane.cursor_shown(), "the cursor is still hidden");
}

/// Esc and Ctrl-C quit as `q` does, and leave the terminal clean.
#[test]
fn escape_and_ctrl_c_quit_cleanly() {
    let recorded = record(&["count", "-n", "2", "-d", "50ms"]);
    for key in ["Escape", "C-c"] {
        let Some(pane) = Pane::run(&format!("replay {} --step", recorded.path.display())) else {
            return;
        };
        settled(&pane, 1);
        press(&pane, &["Space", key]);
        let end = pane.wait_for("exit code", |row| row.starts_with("rc="));
        assert!(end.iter().any(|r| r == "rc=0"), "{key}: {}", end.join("\n"));
        assert!(
            !end.iter().any(|r| r.starts_with("step ")),
            "{}",
            end.join("\n")
        );
        assert!(pane.cursor_shown(), "{key}: the cursor is still hidden");
    }
}

/// NO_COLOR: the glyphs without colour; without it, colour.
#[test]
fn no_color_steps_without_colour() {
    let recorded = record(&["count", "-n", "2", "-d", "50ms", "--blocking"]);
    for (env, coloured) in [("", true), ("NO_COLOR=1 ", false)] {
        let args = format!("{env}replay {} --step", recorded.path.display());
        let Some(pane) = Pane::run(&args) else {
            return;
        };
        let (first, _) = settled(&pane, 1);
        press(&pane, &["End"]);
        let (screen, styled) = settled(&pane, status(&first).unwrap().1);
        let has_colour = styled.contains("\x1b[31m") || styled.contains("\x1b[38;5;1m");
        assert_eq!(has_colour, coloured, "{env:?}: {styled:?}");
        assert!(
            screen.iter().any(|r| r.contains('#')),
            "{}",
            screen.join("\n")
        );
    }
}

/// A narrow pane gets every row within its width, and a resize is
/// followed.
#[test]
fn a_narrow_and_resized_pane_still_fits() {
    let recorded = record(&["count", "-n", "3", "-d", "50ms"]);
    let Some(pane) = Pane::sized(
        40,
        18,
        &format!("replay {} --step", recorded.path.display()),
    ) else {
        return;
    };
    let (first, _) = settled(&pane, 1);
    press(&pane, &["End"]);
    let n = status(&first).unwrap().1;
    for (columns, rows) in [(40, 18), (60, 24), (30, 14)] {
        let _ = pane.tmux(&[
            "resize-window",
            "-x",
            &columns.to_string(),
            "-y",
            &rows.to_string(),
        ]);
        let deadline = Instant::now() + Duration::from_secs(30);
        let screen = loop {
            let (screen, _) = settled(&pane, n);
            // The frame at the new size: its rows stop at its width, and
            // no row was too long for it (the joined capture is the same).
            let fits = screen.iter().all(|r| r.chars().count() <= columns)
                && screen.len() == rows
                && pane.screen_joined()
                    == screen
                        .iter()
                        .map(|r| r.trim_end().to_owned())
                        .collect::<Vec<_>>();
            if fits && screen.iter().any(|r| r.starts_with("task 1")) {
                break screen;
            }
            assert!(
                Instant::now() < deadline,
                "{columns}x{rows}:\n{}",
                screen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        assert!(
            screen.iter().any(|r| r.starts_with("Space/→ next")),
            "{columns}x{rows}: the keys:\n{}",
            screen.join("\n")
        );
    }
}

/// Without a terminal, `--step` is a usage error that says why and what
/// to do instead.
#[test]
fn step_without_a_terminal_is_a_usage_error() {
    let recorded = record(&["count", "-n", "2", "-d", "10ms"]);
    let out = asyncdemo(&["replay", recorded.path.to_str().unwrap(), "--step"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("--step draws on a terminal"), "{err}");
    assert!(err.contains("without --step"), "{err}");
    assert!(out.stdout.is_empty());
}

/// A plain replay on a terminal draws `--live`'s lanes under the lines
/// and the narration, at the recorded pace scaled by `--speed`, then the
/// summary once, and leaves the cursor shown.
#[test]
fn a_replay_on_a_terminal_draws_the_lanes_at_the_recorded_pace() {
    let recorded = record(&["count", "-n", "2", "-d", "200ms", "--blocking"]);
    let began = Instant::now();
    let Some(pane) = Pane::sized(
        100,
        60,
        &format!("replay {} --speed 0.5", recorded.path.display()),
    ) else {
        return;
    };
    let end = pane.wait_for("exit code", |row| row.starts_with("rc="));
    // The run took at least 0.4 s; at half speed, its replay at least 0.8.
    assert!(began.elapsed() >= Duration::from_millis(800));
    let text = end.join("\n");
    assert!(end.iter().any(|r| r == "rc=0"), "{text}");
    assert!(
        end.iter()
            .any(|r| r.starts_with("asyncdemo count -m blocking")),
        "{text}"
    );
    assert_eq!(last_glyph(&end, "task 2"), Some('#'), "{text}");
    let summaries = end
        .iter()
        .filter(|r| r.starts_with("asyncdemo count executed"))
        .count();
    assert_eq!(summaries, 1, "{text}");
    // The run's lines and narration are there, in order, above the view.
    let joined = pane.screen_joined();
    let mut rest = joined.iter();
    for line in &recorded.printed {
        let words: String = line.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            rest.any(|r| r
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .starts_with(&words.chars().take(30).collect::<String>())),
            "{line:?} missing or out of order:\n{}",
            joined.join("\n")
        );
    }
    assert!(pane.cursor_shown(), "the cursor is still hidden");
}

/// Ctrl-C while a replay plays on a terminal: the view comes down, the
/// cursor is shown again, and the replay ends as a run interrupted does.
#[test]
fn ctrl_c_during_a_played_replay_leaves_the_terminal_clean() {
    let recorded = record(&["count", "-n", "2", "-d", "200ms"]);
    let Some(pane) = Pane::run(&format!("replay {} --speed 0.01", recorded.path.display())) else {
        return;
    };
    pane.wait_for("the view", |row| row.starts_with("task 2"));
    press(&pane, &["C-c"]);
    let end = pane.wait_for("exit code", |row| row.starts_with("rc="));
    let text = end.join("\n");
    assert!(end.iter().any(|r| r == "rc=130"), "{text}");
    let titles = end
        .iter()
        .filter(|r| r.starts_with("asyncdemo count -m"))
        .count();
    assert_eq!(titles, 1, "one view, left whole: {text}");
    assert!(pane.cursor_shown(), "the cursor is still hidden");
}

/// A line from the file that would set the terminal's title reaches the
/// stepped view escaped: shown, not obeyed.
#[test]
fn text_from_the_recording_reaches_the_stepped_view_escaped() {
    use crate::replay::{HEADER, crafted};
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.rec");
    // Task 1's first line reads "\x1b]0;pwned\x07One".
    let mut records = vec![1, 0, 1, 1];
    let hostile = b"\x1b]0;pwned\x07One";
    records.push(hostile.len() as u8 + 1);
    records.extend(hostile);
    std::fs::write(&path, crafted(HEADER, &records)).unwrap();
    let Some(pane) = Pane::run(&format!("replay {} --step", path.display())) else {
        return;
    };
    let steps = walk_forward(&pane);
    let shown = steps
        .iter()
        .flat_map(|(screen, _)| said(screen))
        .any(|row| row.contains("\\u{1b}]0;pwned\\u{7}One"));
    assert!(shown, "{:?}", steps.last());
    assert!(steps.iter().all(|(_, styled)| !styled.contains('\x07')));
    let title = pane.tmux(&["display-message", "-p", "#{pane_title}"]);
    assert!(!String::from_utf8_lossy(&title.stdout).contains("pwned"));
}
