//! `replay --step`: the live view of a recorded run, one executor step per
//! key.
//!
//! The lanes, the thread lanes, the counts and the legend are `draw`'s,
//! the very drawing `--live` makes: only the source differs. `--live`
//! samples a run as it goes; here the view is rebuilt from the recording
//! up to the step it stands at ([`Stepped::seen`]), and its clock reads
//! that step's recorded time, so the lanes show exactly that moment, and a
//! step back shows exactly what the step forward showed.
//!
//! Unlike `--live`, this view reads keys, so it takes the whole terminal:
//! the alternate screen, in raw mode (Ctrl-C is then a key, handled as
//! `q`). Every way out puts the terminal back ([`StepScreen`]'s guard): the
//! normal screen, raw mode off, the cursor shown; a SIGTERM too.

use super::draw::{self, ViewRows};
use super::{Plan, Stepped};
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use ratatui::crossterm::{cursor, execute, terminal};
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use std::io::{self, Write};
use std::time::Duration;

/// Where the stepped view stands, and what the user is typing: the keys'
/// meaning, apart from the terminal, so that tests can press them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cursor {
    /// The step shown, from 0.
    pub(crate) step: usize,
    /// The task followed (`t`): forward and back go to its next and
    /// previous steps.
    pub(crate) follow: Option<u32>,
    /// Digits typed so far: a time to jump to (Enter), or a task (`t`).
    pub(crate) typed: String,
    /// A word on the last key, when it did nothing (no later step).
    pub(crate) note: Option<String>,
}

/// What a key asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Key {
    Forward,
    Back,
    First,
    Last,
    Digit(char),
    Erase,
    Enter,
    Follow,
    /// Esc: forgets what was typed, or quits when nothing was.
    Escape,
    Quit,
}

impl Key {
    /// The key a terminal event is, if it is one of ours.
    fn of(code: KeyCode, modifiers: KeyModifiers) -> Option<Key> {
        Some(match code {
            KeyCode::Char('c') if modifiers.contains(KeyModifiers::CONTROL) => Key::Quit,
            KeyCode::Char(' ') | KeyCode::Right => Key::Forward,
            KeyCode::Left => Key::Back,
            KeyCode::Home => Key::First,
            KeyCode::End => Key::Last,
            KeyCode::Char(c @ ('0'..='9' | '.')) => Key::Digit(c),
            KeyCode::Backspace => Key::Erase,
            KeyCode::Enter => Key::Enter,
            KeyCode::Char('t') => Key::Follow,
            KeyCode::Esc => Key::Escape,
            KeyCode::Char('q') => Key::Quit,
            _ => return None,
        })
    }
}

/// At most this many characters are typed (a time such as `12.345678`).
const TYPED: usize = 12;

impl Cursor {
    /// At the first step.
    pub(crate) fn new() -> Cursor {
        Cursor {
            step: 0,
            follow: None,
            typed: String::new(),
            note: None,
        }
    }

    /// Applies `key` to a run of `source`'s steps; `false` to quit.
    pub(crate) fn press(&mut self, key: Key, source: &dyn Stepped) -> bool {
        let last = source.steps().saturating_sub(1);
        self.note = None;
        let mine = |step: usize| {
            self.follow
                .is_none_or(|task| source.task(step) == Some(task))
        };
        match key {
            Key::Quit => return false,
            Key::Escape if self.typed.is_empty() => return false,
            Key::Escape => self.typed.clear(),
            Key::Forward => match (self.step + 1..=last).find(|&s| mine(s)) {
                Some(step) => self.step = step,
                None => self.note = Some(self.none_left("later")),
            },
            Key::Back => match (0..self.step).rev().find(|&s| mine(s)) {
                Some(step) => self.step = step,
                None => self.note = Some(self.none_left("earlier")),
            },
            Key::First => self.step = 0,
            Key::Last => self.step = last,
            Key::Digit(c) => {
                if self.typed.len() < TYPED {
                    self.typed.push(c);
                }
            }
            Key::Erase => {
                self.typed.pop();
            }
            Key::Enter => {
                let typed = std::mem::take(&mut self.typed);
                match typed.parse::<f64>() {
                    Ok(secs) if secs.is_finite() && secs >= 0.0 => {
                        let t = Duration::try_from_secs_f64(secs).unwrap_or(Duration::MAX);
                        // The moment at `t`: the last step at or before it.
                        let after = (0..=last).take_while(|&s| source.time(s) <= t).count();
                        self.step = after.saturating_sub(1);
                    }
                    _ if typed.is_empty() => {}
                    _ => {
                        self.note = Some(format!(
                            "'{typed}' is not a time: type seconds since the start, such as 0.25"
                        ))
                    }
                }
            }
            Key::Follow => self.follow(source),
        }
        true
    }

    /// `t`: follows the task typed before it, or the next task (the one
    /// after the task followed, task 1 at first, none after the last).
    fn follow(&mut self, source: &dyn Stepped) {
        let tasks = source.tasks();
        let typed = std::mem::take(&mut self.typed);
        self.follow = if typed.is_empty() {
            match self.follow {
                None => Some(1),
                Some(task) if task < tasks.min(super::MAX_LANES as u32) => Some(task + 1),
                Some(_) => None,
            }
        } else {
            match typed.parse::<u32>() {
                Ok(task) if (1..=tasks).contains(&task) => Some(task),
                _ => {
                    self.note = Some(format!("there is no task {typed}: tasks are 1 to {tasks}"));
                    self.follow
                }
            }
        };
    }

    fn none_left(&self, which: &str) -> String {
        match self.follow {
            Some(task) => format!("task {task} has no {which} step"),
            None => format!("no {which} step"),
        }
    }
}

/// The key-help line's parts, most needed first: a narrow terminal keeps
/// those that fit.
pub(crate) const KEYS: [&str; 6] = [
    "Space/→ next",
    "← back",
    "q quit",
    "0.25 Enter: to 0.25 s",
    "t/3t: follow a task",
    "Home/End",
];

/// Shows `source` one step at a time on the terminal until the user
/// quits.
pub(crate) fn step(plan: &Plan, source: &dyn Stepped) -> io::Result<()> {
    let mut screen = StepScreen::open()?;
    let mut cursor = Cursor::new();
    // Built again only when the step or the size changes.
    let mut drawn: Option<(usize, u16, u16)> = None;
    let mut seen = super::Seen::default();
    loop {
        let size = screen.terminal.size()?;
        let rows = ViewRows::fit(plan, view_room(size.height));
        if drawn.is_none_or(|d| d != (cursor.step, size.width, size.height)) {
            seen = source.seen(cursor.step, rows.lanes);
            drawn = Some((cursor.step, size.width, size.height));
            // A new step is drawn whole on a cleared screen, not as the
            // difference from the last: the terminal then holds the same
            // cells, attributes included, however the user came to it.
            screen.terminal.clear()?;
        }
        screen.terminal.draw(|frame| {
            let area = frame.area();
            frame_of(
                plan,
                source,
                (&seen, rows),
                &cursor,
                area,
                frame.buffer_mut(),
            );
        })?;
        // A resize wakes the read too: the loop draws again at the new size.
        match event::read()? {
            Event::Key(key) if key.kind != KeyEventKind::Release => {
                if let Some(key) = Key::of(key.code, key.modifiers) {
                    if !cursor.press(key, source) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The rows the lanes may take on a screen `height` rows high: the rest
/// is for the step's line, at least two of narration, and the keys.
fn view_room(height: u16) -> u16 {
    height.saturating_sub(4)
}

/// Draws one frame: the view at the step, the step's line, its narration
/// and the keys.
pub(crate) fn frame_of(
    plan: &Plan,
    source: &dyn Stepped,
    (seen, rows): (&super::Seen, ViewRows),
    cursor: &Cursor,
    area: Rect,
    buf: &mut Buffer,
) {
    let width = usize::from(area.width);
    if width == 0 || area.height == 0 {
        return;
    }
    let view = rows.height().min(view_room(area.height)).max(1);
    let view_area = Rect::new(area.x, area.y, area.width, view.min(area.height));
    draw::render(plan, seen, rows, view_area, buf);
    let mut y = view_area.bottom();
    let keys_row = area.bottom().saturating_sub(1);
    let bold = if plan.color {
        Style::default().add_modifier(Modifier::BOLD)
    } else {
        Style::default()
    };
    let mut put = |y: &mut u16, text: &str, style: Style| {
        if *y < keys_row {
            buf.set_stringn(area.x, *y, text, width, style);
            *y += 1;
        }
    };
    let step = cursor.step;
    let mut parts = vec![
        format!("step {} of {}", step + 1, source.steps()),
        format!("{:.6} s", source.time(step).as_secs_f64()),
    ];
    if let Some(task) = source.task(step) {
        parts.push(format!("task {task}"));
    }
    if let Some(task) = cursor.follow {
        parts.push(format!("following task {task}"));
    }
    put(&mut y, &draw::fit_parts(&parts, width), bold);
    for line in source.words(step) {
        for row in fitted(&line, width) {
            put(&mut y, &row, Style::default());
        }
    }
    // The bottom row: what is typed, a word on the last key, or the keys.
    let bottom = if !cursor.typed.is_empty() {
        format!(
            "{}▏ then Enter: the moment {} s after the start · t: follow task {} · Esc: cancel",
            cursor.typed, cursor.typed, cursor.typed
        )
    } else if let Some(note) = &cursor.note {
        note.clone()
    } else {
        let keys: Vec<String> = KEYS.iter().map(|k| (*k).to_owned()).collect();
        draw::fit_parts(&keys, width)
    };
    if area.height > 1 {
        buf.set_stringn(area.x, keys_row, &bottom, width, Style::default());
    }
}

/// One line of narration within `width` columns: a narrated step
/// (`  │ …`) keeps its gutter on every row, as `--explain` wraps.
fn fitted(line: &str, width: usize) -> Vec<String> {
    let gutter = crate::wrap::GUTTER;
    match line.strip_prefix(gutter) {
        Some(rest) => crate::wrap::hanging(rest, gutter, gutter, Some(width)),
        None => crate::wrap::hanging(line, "", "", Some(width)),
    }
}

/// The terminal while the stepped view is up.
struct StepScreen {
    terminal: ratatui::Terminal<CrosstermBackend<io::BufWriter<io::Stdout>>>,
}

impl StepScreen {
    /// Takes the terminal: raw mode, the alternate screen, no cursor. A
    /// SIGTERM (or a SIGINT from elsewhere: Ctrl-C on this terminal is a
    /// key) puts it back before the process ends.
    fn open() -> io::Result<StepScreen> {
        crate::interrupt::on_signal(|signal| {
            restore();
            std::process::exit(i32::from(signal.exit_code().code()));
        })
        .map_err(|err| io::Error::other(format!("{err:#}")))?;
        terminal::enable_raw_mode()?;
        let screen = StepScreen {
            terminal: ratatui::Terminal::new(CrosstermBackend::new(
                // A frame goes out in one write, flushed at its end: a
                // terminal never shows half of one.
                io::BufWriter::with_capacity(1 << 16, io::stdout()),
            ))
            .inspect_err(|_| restore())?,
        };
        execute!(io::stdout(), terminal::EnterAlternateScreen, cursor::Hide)
            .inspect_err(|_| restore())?;
        Ok(screen)
    }
}

impl Drop for StepScreen {
    fn drop(&mut self) {
        restore();
    }
}

/// The terminal as it was: the normal screen, the cursor shown, raw mode
/// off. Safe to call more than once.
fn restore() {
    let mut out = io::stdout();
    let _ = execute!(out, terminal::LeaveAlternateScreen, cursor::Show);
    let _ = out.flush();
    let _ = terminal::disable_raw_mode();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::Seen;

    /// Five steps: tasks 1, 2, 1, 2, 1 at 0, 0.1, 0.2, 0.3 and 0.4 s.
    struct Five;

    impl Stepped for Five {
        fn steps(&self) -> usize {
            5
        }
        fn tasks(&self) -> u32 {
            2
        }
        fn time(&self, k: usize) -> Duration {
            Duration::from_millis(100 * k as u64)
        }
        fn task(&self, k: usize) -> Option<u32> {
            Some(1 + (k % 2) as u32)
        }
        fn seen(&self, _k: usize, _lanes: usize) -> Seen {
            Seen::default()
        }
        fn words(&self, k: usize) -> Vec<String> {
            vec![format!("  │ step {k}")]
        }
    }

    fn pressed(keys: &[Key]) -> Cursor {
        let mut cursor = Cursor::new();
        for &key in keys {
            assert!(cursor.press(key, &Five), "{key:?} quit");
        }
        cursor
    }

    #[test]
    fn keys_step_jump_and_stop_at_the_ends() {
        use Key::*;
        assert_eq!(pressed(&[Forward, Forward, Back]).step, 1);
        assert_eq!(pressed(&[Back]).step, 0);
        assert_eq!(pressed(&[Back]).note.as_deref(), Some("no earlier step"));
        assert_eq!(pressed(&[Last, Forward]).step, 4);
        assert_eq!(pressed(&[Last, First]).step, 0);
        // A time: the last step at or before it.
        assert_eq!(
            pressed(&[Digit('0'), Digit('.'), Digit('2'), Digit('5'), Enter]).step,
            2
        );
        assert_eq!(pressed(&[Digit('9'), Enter]).step, 4);
        let typo = pressed(&[Digit('.'), Digit('.'), Enter]);
        assert_eq!(typo.step, 0);
        assert!(typo.note.unwrap().contains("not a time"));
        assert_eq!(
            pressed(&[Digit('3'), Erase, Digit('.'), Digit('1'), Enter]).step,
            1
        );
        let mut cursor = Cursor::new();
        assert!(!cursor.press(Quit, &Five));
        assert!(cursor.press(Digit('1'), &Five) && cursor.press(Escape, &Five));
        assert!(cursor.typed.is_empty());
        assert!(!cursor.press(Escape, &Five));
    }

    #[test]
    fn t_follows_one_task_at_a_time() {
        use Key::*;
        let cursor = pressed(&[Follow]);
        assert_eq!(cursor.follow, Some(1));
        // Task 2's steps are 1 and 3.
        let cursor = pressed(&[Follow, Follow, Forward, Forward]);
        assert_eq!((cursor.follow, cursor.step), (Some(2), 3));
        let cursor = pressed(&[Follow, Follow, Forward, Forward, Forward]);
        assert_eq!(cursor.step, 3);
        assert_eq!(cursor.note.as_deref(), Some("task 2 has no later step"));
        // Past the last task: nobody followed.
        assert_eq!(pressed(&[Follow, Follow, Follow]).follow, None);
        assert_eq!(pressed(&[Digit('2'), Follow]).follow, Some(2));
        let wrong = pressed(&[Digit('7'), Follow]);
        assert_eq!(wrong.follow, None);
        assert!(wrong.note.unwrap().contains("tasks are 1 to 2"));
    }

    #[test]
    fn the_frame_fits_and_says_the_step_its_narration_and_the_keys() {
        let plan = crate::live::tests::plan(crate::report::waiting::Waiting::Free, 2);
        let rows = ViewRows::fit(&plan, 20);
        for width in [100u16, 40] {
            let area = Rect::new(0, 0, width, 24);
            let mut buf = Buffer::empty(area);
            let cursor = pressed(&[Key::Forward, Key::Forward]);
            frame_of(
                &plan,
                &Five,
                (&Seen::default(), rows),
                &cursor,
                area,
                &mut buf,
            );
            let text: Vec<String> = (0..24)
                .map(|y| (0..width).map(|x| buf[(x, y)].symbol()).collect())
                .collect();
            let all = text.join("\n");
            assert!(all.contains("step 3 of 5"), "{all}");
            assert!(all.contains("│ step 2"), "{all}");
            assert!(text[23].starts_with("Space/→ next · ← back"), "{all}");
            if width >= 80 {
                assert!(text[23].contains("t/3t: follow a task"), "{all}");
            }
        }
    }
}
