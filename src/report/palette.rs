//! One palette for every picture: the colour (and the glyph, in text) of
//! each thing a lane can show, so that the terminal's `--timeline` and the
//! `--svg` picture tell a learner the same story in the same colours.
//!
//! Each role has an ANSI colour for the terminal and an SVG colour near
//! what a terminal shows for it: green is a free thread, red a held one,
//! blue the blocking pool, yellow (amber) a task ready but kept off its
//! thread, magenta (purple) a busy loop running its own code. A thread running code is the ink colour (the terminal's own
//! foreground, dark grey on the page), a parked one pale.

use crate::report::waiting::Waiting;
use crate::state::TaskState;
use crate::vocab::{Demo, Peer, Work};
use anstyle::{AnsiColor, Style};

/// Something a lane shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Role {
    /// A task printing its first or last line.
    Line,
    /// A task waiting, in this way.
    Wait(Waiting),
    /// A task ready to run, kept off the thread by another task.
    Ready,
    /// A task whose timer is past its deadline while no thread could fire
    /// it ([`TaskState::Overdue`]).
    Overdue,
    /// A task whose call waits for a free blocking-pool thread.
    Queued,
    /// A task of the `lock` demo waiting for tokio's lock: `Pending`, its
    /// thread free (IDLE, not ready).
    Lock,
    /// A runtime thread running code (polling tasks).
    Running,
    /// A runtime thread held in a blocking call: unparked, yet running no
    /// code and using no CPU, because a task blocks it.
    Held,
    /// A runtime thread parked, with nothing to run.
    Parked,
    /// A thread that polls tasks but has no park hook (a multi-thread
    /// runtime's `block_on` caller), between its polls: whether it slept
    /// there was not observed, so it is drawn as neither busy nor parked.
    NotPolling,
}

impl Role {
    /// Every role, in legend order.
    pub(crate) const ALL: [Role; 13] = [
        Role::Line,
        Role::Wait(Waiting::Free),
        Role::Wait(Waiting::Blocked),
        Role::Wait(Waiting::Offloaded),
        Role::Wait(Waiting::Spinning),
        Role::Ready,
        Role::Overdue,
        Role::Queued,
        Role::Lock,
        Role::Running,
        Role::Held,
        Role::Parked,
        Role::NotPolling,
    ];

    /// The role that draws a task in `state`, in a run whose waits are
    /// `work`: the one mapping from the model's states to the pictures.
    /// A poll is the task's own code: a busy loop's colour under `--work
    /// spin`, else the colour of a thread running code.
    pub(crate) const fn of_state(state: TaskState, work: Work) -> Role {
        match state {
            TaskState::Polled if matches!(work, Work::Spin) => Role::Wait(Waiting::Spinning),
            TaskState::Polled => Role::Running,
            TaskState::Held => Role::Wait(Waiting::Blocked),
            TaskState::Sleeping => Role::Wait(Waiting::Free),
            TaskState::Overdue => Role::Overdue,
            TaskState::Ready => Role::Ready,
            TaskState::Queued => Role::Queued,
            TaskState::InPool => Role::Wait(Waiting::Offloaded),
            TaskState::Lock => Role::Lock,
        }
    }

    /// The fill of its marks in the SVG picture.
    pub(crate) const fn hex(self) -> &'static str {
        match self {
            Role::Line => "#111111",
            Role::Wait(Waiting::Free) => "#3a9d3a",
            Role::Wait(Waiting::Blocked) => "#d0312d",
            Role::Wait(Waiting::Offloaded) => "#3b75c4",
            Role::Wait(Waiting::Spinning) => "#8e44ad",
            Role::Ready => "#f5a623",
            // The sleep's green, paled: still asleep, past its time.
            Role::Overdue => "#a8d08d",
            // The pool's blue, paled: in line for it.
            Role::Queued => "#a9c4ea",
            Role::Lock => "#1f9ea8",
            Role::Running => "#4a4a4a",
            // The blocked red, paled: the same story (a held thread) on
            // the thread's side, set apart from the task that holds it.
            Role::Held => "#eb9a98",
            Role::Parked => "#e8e8e8",
            // The page's own white: nothing known is drawn there (the SVG
            // outlines it, so that the lane still shows).
            Role::NotPolling => "#ffffff",
        }
    }

    /// Its colour on a terminal; `None` keeps the terminal's foreground.
    pub(crate) const fn ansi(self) -> Option<AnsiColor> {
        match self {
            Role::Line | Role::Running | Role::Parked | Role::NotPolling => None,
            Role::Wait(Waiting::Free) => Some(AnsiColor::Green),
            Role::Wait(Waiting::Blocked) | Role::Held => Some(AnsiColor::Red),
            Role::Wait(Waiting::Offloaded) => Some(AnsiColor::Blue),
            Role::Wait(Waiting::Spinning) => Some(AnsiColor::Magenta),
            Role::Ready => Some(AnsiColor::Yellow),
            Role::Overdue => Some(AnsiColor::BrightGreen),
            Role::Queued => Some(AnsiColor::BrightBlue),
            Role::Lock => Some(AnsiColor::Cyan),
        }
    }

    /// Its style on a terminal: the lines bold, the rest in their colour.
    pub(crate) fn style(self) -> Style {
        if self == Role::Line {
            return Style::new().bold();
        }
        Style::new().fg_color(self.ansi().map(Into::into))
    }

    /// The glyph that fills a text lane (the lines have two: `o` and `*`).
    pub(crate) const fn glyph(self) -> char {
        match self {
            Role::Line => 'o',
            Role::Wait(Waiting::Free) => '~',
            Role::Wait(Waiting::Blocked) => '#',
            Role::Wait(Waiting::Offloaded) => '=',
            Role::Wait(Waiting::Spinning) => '%',
            Role::Ready => '.',
            Role::Overdue => '^',
            Role::Queued => ',',
            Role::Lock => ':',
            Role::Running => 'x',
            Role::Held => 'H',
            Role::Parked => '_',
            Role::NotPolling => '-',
        }
    }

    /// The role of a text glyph, for painting a row run by run.
    pub(crate) fn of_glyph(glyph: char) -> Option<Role> {
        match glyph {
            '*' | INTERRUPTED => Some(Role::Line),
            glyph => Role::ALL.into_iter().find(|r| r.glyph() == glyph),
        }
    }

    /// What it means, in a legend and a tooltip, for a run of `demo`
    /// whose waits are `work`.
    pub(crate) const fn meaning(self, demo: Demo, work: Work) -> &'static str {
        match self {
            Role::Line => "prints a line",
            Role::Wait(waiting) => waiting.meaning(demo, work),
            Role::Ready => "ready, waiting for the thread",
            Role::Overdue => {
                "overdue: its deadline passed, but no thread is free to fire its timer"
            }
            Role::Queued => match demo.peer() {
                Some(Peer {
                    queue: Some(queue), ..
                }) => queue,
                _ => "queued: its call waits for a free blocking-pool thread",
            },
            Role::Lock => "waiting for the lock (Pending), its thread free",
            Role::Running => "runtime thread running code",
            Role::Held => demo.row().waits.held_thread,
            Role::Parked => "runtime thread parked (idle)",
            Role::NotPolling => "block_on thread between polls (no park hook: not observed)",
        }
    }

    /// What it means on a blocking-pool thread's lane, where it differs:
    /// the pool thread runs a task's call as its job, so the call does not
    /// *hold* it, and it is no runtime thread.
    pub(crate) const fn on_pool_thread(self, demo: Demo, work: Work) -> &'static str {
        match self {
            Role::Running => "pool thread running a task's call",
            Role::Held => "pool thread running a task's blocking call (no CPU)",
            Role::Parked => "pool thread between calls",
            other => other.meaning(demo, work),
        }
    }
}

/// The glyph that ends a text lane whose wait a signal interrupted.
pub(crate) const INTERRUPTED: char = '!';

#[cfg(test)]
mod tests {
    use super::*;

    /// The fix for two colours that used to disagree: "ready" was magenta
    /// on the terminal and amber in the SVG, the blocking pool yellow and
    /// blue. Each SVG colour is now the hue of its terminal colour.
    #[test]
    fn terminal_and_svg_agree() {
        let hue = |hex: &str| {
            let c = |i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap();
            (c(1), c(3), c(5))
        };
        for role in Role::ALL {
            let (r, g, b) = hue(role.hex());
            match role.ansi() {
                Some(AnsiColor::Green | AnsiColor::BrightGreen) => {
                    assert!(g > r && g > b, "{role:?}")
                }
                Some(AnsiColor::BrightBlue) => assert!(b > r && b > g, "{role:?}"),
                Some(AnsiColor::Red) => assert!(r > g && r > b, "{role:?}"),
                Some(AnsiColor::Blue) => assert!(b > r && b > g, "{role:?}"),
                Some(AnsiColor::Yellow) => assert!(r > b && g > b, "{role:?}"),
                Some(AnsiColor::Magenta) => assert!(r > g && b > g, "{role:?}"),
                Some(AnsiColor::Cyan) => assert!(g > r && b > r, "{role:?}"),
                None => assert!(r.abs_diff(g) < 8 && g.abs_diff(b) < 8, "{role:?} is grey"),
                Some(other) => panic!("{role:?}: {other:?} has no SVG twin"),
            }
        }
    }

    #[test]
    fn glyphs_are_distinct_and_found_again() {
        for role in Role::ALL {
            assert_eq!(Role::of_glyph(role.glyph()), Some(role));
        }
        assert_eq!(Role::of_glyph('*'), Some(Role::Line));
        assert_eq!(Role::of_glyph(' '), None);
    }
}
