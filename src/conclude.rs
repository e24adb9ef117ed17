//! Who concludes a run, once, and what everybody else does.
//!
//! Three paths can end a run (a demo's or `compare`'s): the normal end, a
//! signal (Ctrl-C, SIGTERM) on the signal thread, and the reader of stdout
//! hanging up, noticed on a thread of its own. Exactly one of them writes
//! the conclusion (the summary, the table, the pictures) and picks the exit
//! code. A [`Conclusion`] decides which, and tells each loser what to do,
//! so that the rule lives here and not in every caller.
//!
//! A caller claims the conclusion while it holds the lock of the output the
//! conclusion writes to (the sink's writer, the compare table), so that
//! whoever wins also writes first, and nothing is written after it.

use crate::sink::{Sink, State};
use crate::slowpoll::Watch;
use crate::vocab::{ExitCode, Outcome, Signal};
use std::sync::Mutex;

/// One of the paths that can conclude a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Closer {
    /// The run ended by itself (or with an error) on the thread that ran it.
    End,
    /// A signal arrived.
    Signal(Signal),
    /// The reader of stdout went away.
    HangUp,
}

/// What a path does after claiming the conclusion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Turn {
    /// It won: write the conclusion.
    Conclude,
    /// It lost, and the winner ends the process: wait for that ([`park`]).
    /// The normal end's turn when a signal or a hang-up came first.
    Park,
    /// It lost, and the winner returns from `main` with its own code:
    /// do nothing. A signal's or a hang-up's turn after the normal end.
    Leave,
}

/// What a signal or hang-up does when the output's lock stays taken (a
/// reader that does not read keeps a write stuck), so it cannot claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stuck {
    /// End the process now, with this code.
    Exit(ExitCode),
    /// The normal end has chosen this code and is writing its conclusion:
    /// give it a little longer, then exit with its code, so that the code
    /// matches the summary the reader may still get.
    Await(ExitCode),
}

/// The one decision of who concludes, shared by every path of one run.
#[derive(Debug, Default)]
pub(crate) struct Conclusion {
    /// Who claimed the conclusion; `None` while the run goes on.
    by: Mutex<Option<Closer>>,
    /// The exit code the normal end chose, set just before it writes the
    /// summary.
    verdict: Mutex<Option<ExitCode>>,
}

impl Conclusion {
    /// Claims the conclusion for `closer`: the first claim wins, every later
    /// one is told what to do instead.
    pub(crate) fn claim(&self, closer: Closer) -> Turn {
        let mut by = self.by.lock().unwrap_or_else(|e| e.into_inner());
        if by.is_none() {
            *by = Some(closer);
            return Turn::Conclude;
        }
        match closer {
            Closer::End => Turn::Park,
            Closer::Signal(_) | Closer::HangUp => Turn::Leave,
        }
    }

    /// Whether somebody has claimed the conclusion already.
    pub(crate) fn is_claimed(&self) -> bool {
        self.by.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    /// The normal end's exit code, chosen before its summary is written.
    pub(crate) fn decide(&self, code: ExitCode) {
        *self.verdict.lock().unwrap_or_else(|e| e.into_inner()) = Some(code);
    }

    /// What `closer` does when it cannot take the output's lock in time.
    pub(crate) fn stuck(&self, closer: Closer) -> Stuck {
        let verdict = *self.verdict.lock().unwrap_or_else(|e| e.into_inner());
        match (closer, verdict) {
            // Nobody will read anything more: end quietly, as a write into
            // the closed pipe would.
            (Closer::HangUp, _) => Stuck::Exit(ExitCode::Success),
            (_, Some(code)) => Stuck::Await(code),
            (Closer::Signal(signal), None) => Stuck::Exit(signal.exit_code()),
            (Closer::End, None) => Stuck::Exit(ExitCode::Error),
        }
    }
}

/// The loser's wait ([`Turn::Park`]): the winner is ending the process
/// while it holds the output, so this thread only has to stay out of it.
pub(crate) fn park() -> ! {
    loop {
        std::thread::park();
    }
}

/// Ends the process with `code`. `exit` runs no destructors, so whoever
/// calls this has flushed what it wrote.
pub(crate) fn exit(code: ExitCode) -> ! {
    std::process::exit(code.code().into())
}

/// What a run stopped early had done by now: its time so far, the tasks
/// that finished or failed, and its polls when they were timed. `state`
/// is `sink`'s, locked by the caller.
pub(crate) fn so_far(sink: &Sink, state: &State, watch: Option<&Watch>) -> Outcome {
    Outcome {
        elapsed: state.elapsed(),
        completed: sink.completed(),
        failed: state.failed(),
        observed_delay: None,
        deadlock: None,
        locks: Vec::new(),
        polls: watch.map(Watch::polls),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CTRL_C: Closer = Closer::Signal(Signal::Interrupt);

    #[test]
    fn the_first_closer_wins_and_only_once() {
        for first in [Closer::End, CTRL_C, Closer::HangUp] {
            let conclusion = Conclusion::default();
            assert!(!conclusion.is_claimed());
            assert_eq!(conclusion.claim(first), Turn::Conclude, "{first:?}");
            assert!(conclusion.is_claimed());
            // The same path claiming again loses too.
            assert_ne!(conclusion.claim(first), Turn::Conclude, "{first:?}");
        }
    }

    #[test]
    fn the_normal_end_parks_when_a_signal_or_hang_up_came_first() {
        for first in [CTRL_C, Closer::Signal(Signal::Terminate), Closer::HangUp] {
            let conclusion = Conclusion::default();
            conclusion.claim(first);
            assert_eq!(conclusion.claim(Closer::End), Turn::Park, "{first:?}");
        }
    }

    #[test]
    fn a_signal_or_hang_up_after_the_normal_end_leaves_it_alone() {
        let conclusion = Conclusion::default();
        conclusion.claim(Closer::End);
        assert_eq!(conclusion.claim(CTRL_C), Turn::Leave);
        assert_eq!(conclusion.claim(Closer::HangUp), Turn::Leave);
        // A hang-up after a signal, too.
        let conclusion = Conclusion::default();
        conclusion.claim(CTRL_C);
        assert_eq!(conclusion.claim(Closer::HangUp), Turn::Leave);
    }

    #[test]
    fn a_stuck_signal_exits_with_its_code_until_the_normal_end_decides() {
        let conclusion = Conclusion::default();
        let term = Closer::Signal(Signal::Terminate);
        assert_eq!(
            conclusion.stuck(term),
            Stuck::Exit(Signal::Terminate.exit_code())
        );
        assert_eq!(
            conclusion.stuck(CTRL_C),
            Stuck::Exit(Signal::Interrupt.exit_code())
        );
        conclusion.claim(Closer::End);
        conclusion.decide(ExitCode::CheckFailed);
        assert_eq!(
            conclusion.stuck(CTRL_C),
            Stuck::Await(ExitCode::CheckFailed)
        );
        // A reader that hung up wants nothing more, verdict or not.
        assert_eq!(
            conclusion.stuck(Closer::HangUp),
            Stuck::Exit(ExitCode::Success)
        );
    }
}
