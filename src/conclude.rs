//! Who concludes a run, once, and what everybody else does.
//!
//! Three paths can end a run (a demo's or `compare`'s): the normal end, a
//! signal (Ctrl-C, SIGTERM) on the signal thread, and the reader of stdout
//! hanging up, noticed on a thread of its own. Exactly one of them writes
//! the conclusion (the summary, the table, the pictures) and picks the exit
//! code.
//!
//! The whole protocol lives here, in one type: [`Guarded`], the output the
//! conclusion writes to (the sink's state, the compare table) behind one
//! lock, together with who claimed the conclusion. The claim is taken under
//! that lock, so whoever wins also writes first, and nothing is written
//! after it. Callers never re-spell the rule; they only ask:
//!
//! - [`Guarded::lock`]: the output, for a line written while the run goes;
//!   the writer asks [`Guard::is_concluded`] and writes nothing after the
//!   conclusion.
//! - [`Guarded::lock_or_park`]: the output for the run's own next step (a
//!   `compare` row); if a signal concluded meanwhile, this thread stays out
//!   of the way forever, since the winner is ending the process.
//! - [`Guarded::claim_end`]: the normal end's claim. It wins, or it parks.
//! - [`Guarded::claim`]: a signal's or a hang-up's claim, which may win,
//!   lose to the normal end, or find the output stuck ([`Claim`]).
//!
//! (mini-redis's `shutdown.rs` keeps its rule the same way: callers only
//! `recv()`.)

use crate::exit_code::ExitCode;
use crate::interrupt;
use crate::interrupt::Signal;
use std::ops::{Deref, DerefMut};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

/// How much longer a signal waits when the run has already ended and its
/// conclusion is being written: a big `--timeline` takes a while, and
/// cutting it short would lose the summary that the exit code reports.
const CONCLUSION_PATIENCE: Duration = Duration::from_secs(1);

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
enum Turn {
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
enum Stuck {
    /// End the process now, with this code.
    Exit(ExitCode),
    /// The normal end has chosen this code and is writing its conclusion:
    /// give it a little longer, then exit with its code, so that the code
    /// matches the summary the reader may still get.
    Await(ExitCode),
}

/// What a signal's or a hang-up's [`Guarded::claim`] comes back with.
pub(crate) enum Claim<'a, T> {
    /// It won: write the conclusion through this guard, then end the
    /// process while still holding it, so that nothing follows.
    Won(Guard<'a, T>),
    /// The normal end concluded: it exits with the code its summary
    /// implies, so do nothing.
    Lost,
    /// The output stayed taken (a write stuck on a full pipe): end the
    /// process now with this code, after putting the terminal right.
    Stuck(ExitCode),
}

/// A run's output and who concludes the run, behind one lock.
#[derive(Debug, Default)]
pub(crate) struct Guarded<T> {
    /// The output, and who claimed the conclusion: one lock, so that the
    /// claim and the first byte of the conclusion are one step.
    inner: Mutex<Inner<T>>,
    /// The exit code the normal end chose, set just before it writes the
    /// summary. Outside the lock: a signal that cannot take the lock reads
    /// it to know what the process will say.
    verdict: Mutex<Option<ExitCode>>,
}

/// What the lock of a [`Guarded`] holds.
#[derive(Debug, Default)]
struct Inner<T> {
    value: T,
    /// Who claimed the conclusion; `None` while the run goes on.
    by: Option<Closer>,
}

/// The output of a [`Guarded`], locked; it derefs to the output.
pub(crate) struct Guard<'a, T>(MutexGuard<'a, Inner<T>>);

impl<T> Deref for Guard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0.value
    }
}

impl<T> DerefMut for Guard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0.value
    }
}

impl<T> Guard<'_, T> {
    /// Whether the run has concluded: a line written now would follow the
    /// summary, so the writer drops it. A field read under the lock the
    /// writer holds anyway, so it costs the hot path nothing more.
    pub(crate) fn is_concluded(&self) -> bool {
        self.0.by.is_some()
    }

    /// Claims the conclusion for `closer`: the first claim wins, every
    /// later one is told what to do instead.
    fn claim(&mut self, closer: Closer) -> Turn {
        if self.0.by.is_none() {
            self.0.by = Some(closer);
            return Turn::Conclude;
        }
        match closer {
            Closer::End => Turn::Park,
            Closer::Signal(_) | Closer::HangUp => Turn::Leave,
        }
    }
}

impl<T> Guarded<T> {
    /// `value`, guarded, with nobody concluding yet.
    pub(crate) fn new(value: T) -> Guarded<T> {
        Guarded {
            inner: Mutex::new(Inner { value, by: None }),
            verdict: Mutex::new(None),
        }
    }

    /// Takes the lock. A panic while holding it cannot leave the output
    /// half-written in a way that matters here, so a poisoned lock is used
    /// as is.
    pub(crate) fn lock(&self) -> Guard<'_, T> {
        Guard(self.inner.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// Takes the lock if it comes free within `patience`: for a thread that
    /// must end the program promptly even if a write is stuck.
    pub(crate) fn lock_within(&self, patience: Duration) -> Option<Guard<'_, T>> {
        interrupt::lock_within(&self.inner, patience).map(Guard)
    }

    /// Takes the lock for the run's next step; if the run has been
    /// concluded meanwhile (a signal), the winner is ending the process
    /// while it holds the output, so this thread only stays out of it.
    pub(crate) fn lock_or_park(&self) -> Guard<'_, T> {
        let guard = self.lock();
        if guard.is_concluded() {
            drop(guard);
            park();
        }
        guard
    }

    /// The normal end's claim: the output, to write the conclusion into.
    /// If a signal or a hang-up concluded first, that thread is ending the
    /// process while it holds the output, and this one parks.
    pub(crate) fn claim_end(&self) -> Guard<'_, T> {
        let mut guard = self.lock();
        if guard.claim(Closer::End) == Turn::Park {
            drop(guard);
            park();
        }
        guard
    }

    /// A signal's or a hang-up's claim (`closer` is not [`Closer::End`]).
    /// It waits for the output at most [`interrupt::LOCK_PATIENCE`], and
    /// if the normal end holds it with its verdict chosen, a little longer,
    /// so that the exit code matches the summary the reader gets.
    pub(crate) fn claim(&self, closer: Closer) -> Claim<'_, T> {
        let Some(mut guard) = self.lock_within(interrupt::LOCK_PATIENCE) else {
            return match self.stuck(closer) {
                Stuck::Exit(code) => Claim::Stuck(code),
                Stuck::Await(code) => match self.lock_within(CONCLUSION_PATIENCE) {
                    // The normal end wrote its conclusion meanwhile.
                    Some(_) => Claim::Lost,
                    None => Claim::Stuck(code),
                },
            };
        };
        match guard.claim(closer) {
            Turn::Conclude => Claim::Won(guard),
            Turn::Park | Turn::Leave => Claim::Lost,
        }
    }

    /// The normal end's exit code, chosen before its summary is written.
    pub(crate) fn decide(&self, code: ExitCode) {
        *self.verdict.lock().unwrap_or_else(PoisonError::into_inner) = Some(code);
    }

    /// What `closer` does when it cannot take the output's lock in time.
    fn stuck(&self, closer: Closer) -> Stuck {
        let verdict = *self.verdict.lock().unwrap_or_else(PoisonError::into_inner);
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
fn park() -> ! {
    loop {
        std::thread::park();
    }
}

/// Ends the process with `code`. `exit` runs no destructors, so whoever
/// calls this has flushed what it wrote.
pub(crate) fn exit(code: ExitCode) -> ! {
    std::process::exit(code.code().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::Instant;

    const CTRL_C: Closer = Closer::Signal(Signal::Interrupt);

    /// Whether a claim by `closer` won.
    fn won(guarded: &Guarded<()>, closer: Closer) -> bool {
        matches!(guarded.claim(closer), Claim::Won(_))
    }

    #[test]
    fn the_first_closer_wins_and_only_once() {
        for first in [CTRL_C, Closer::HangUp] {
            let guarded = Guarded::new(());
            assert!(!guarded.lock().is_concluded());
            assert!(won(&guarded, first), "{first:?}");
            assert!(guarded.lock().is_concluded());
            // The same path claiming again loses.
            assert!(!won(&guarded, first), "{first:?}");
        }
        let guarded = Guarded::new(());
        drop(guarded.claim_end());
        assert!(guarded.lock().is_concluded());
        assert!(!won(&guarded, CTRL_C));
    }

    #[test]
    fn the_normal_end_parks_when_a_signal_or_hang_up_came_first() {
        for first in [CTRL_C, Closer::Signal(Signal::Terminate), Closer::HangUp] {
            let guarded = Guarded::new(());
            let mut guard = guarded.lock();
            assert_eq!(guard.claim(first), Turn::Conclude, "{first:?}");
            assert_eq!(guard.claim(Closer::End), Turn::Park, "{first:?}");
        }
    }

    #[test]
    fn a_signal_or_hang_up_after_the_normal_end_leaves_it_alone() {
        let guarded = Guarded::new(());
        drop(guarded.claim_end());
        assert!(matches!(guarded.claim(CTRL_C), Claim::Lost));
        assert!(matches!(guarded.claim(Closer::HangUp), Claim::Lost));
        // A hang-up after a signal, too.
        let guarded = Guarded::new(());
        assert!(won(&guarded, CTRL_C));
        assert!(matches!(guarded.claim(Closer::HangUp), Claim::Lost));
    }

    #[test]
    fn the_winner_writes_first_and_the_output_is_the_guarded_value() {
        let guarded = Guarded::new(Vec::new());
        guarded.lock().push("a task line");
        let Claim::Won(mut out) = guarded.claim(CTRL_C) else {
            panic!("the first claim lost");
        };
        out.push("the summary");
        drop(out);
        // The next step of the run finds the run concluded, under the same
        // lock that its line would be written under.
        let out = guarded.lock();
        assert!(out.is_concluded());
        assert_eq!(*out, ["a task line", "the summary"]);
    }

    #[test]
    fn lock_or_park_hands_back_the_output_while_nobody_concluded() {
        let guarded = Guarded::new(0);
        *guarded.lock_or_park() += 1;
        *guarded.lock_or_park() += 1;
        assert_eq!(*guarded.lock(), 2);
        assert!(!guarded.lock().is_concluded());
    }

    #[test]
    fn a_stuck_signal_exits_with_its_code_until_the_normal_end_decides() {
        let guarded = Guarded::<()>::default();
        let term = Closer::Signal(Signal::Terminate);
        assert_eq!(
            guarded.stuck(term),
            Stuck::Exit(Signal::Terminate.exit_code())
        );
        assert_eq!(
            guarded.stuck(CTRL_C),
            Stuck::Exit(Signal::Interrupt.exit_code())
        );
        guarded.decide(ExitCode::CheckFailed);
        assert_eq!(guarded.stuck(CTRL_C), Stuck::Await(ExitCode::CheckFailed));
        // A reader that hung up wants nothing more, verdict or not.
        assert_eq!(
            guarded.stuck(Closer::HangUp),
            Stuck::Exit(ExitCode::Success)
        );
    }

    /// Holds `guarded`'s lock on another thread until the returned sender
    /// is dropped or sent to.
    fn hold(guarded: &Arc<Guarded<()>>) -> std::sync::mpsc::Sender<()> {
        let (taken_tx, taken_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let guarded = Arc::clone(guarded);
        std::thread::spawn(move || {
            let _guard = guarded.lock();
            taken_tx.send(()).unwrap();
            let _ = release_rx.recv();
        });
        taken_rx.recv().unwrap();
        release_tx
    }

    #[test]
    fn a_signal_that_cannot_take_the_output_says_which_code_to_exit_with() {
        let guarded = Arc::new(Guarded::new(()));
        let release = hold(&guarded);
        let started = Instant::now();
        assert!(matches!(
            guarded.claim(CTRL_C),
            Claim::Stuck(code) if code == Signal::Interrupt.exit_code()
        ));
        // It waited its patience first (a lower bound: never flaky).
        assert!(started.elapsed() >= interrupt::LOCK_PATIENCE);
        assert!(matches!(
            guarded.claim(Closer::HangUp),
            Claim::Stuck(ExitCode::Success)
        ));
        drop(release);
        // Nobody claimed: the run goes on.
        assert!(!guarded.lock().is_concluded());
    }

    #[test]
    fn a_stuck_signal_waits_for_the_normal_end_and_exits_with_its_code() {
        let guarded = Arc::new(Guarded::new(()));
        // The normal end has claimed and chosen its code, and is writing
        // its summary (a write stuck on a full pipe, say).
        let (taken_tx, taken_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let writer = {
            let guarded = Arc::clone(&guarded);
            std::thread::spawn(move || {
                let _guard = guarded.claim_end();
                guarded.decide(ExitCode::CheckFailed);
                taken_tx.send(()).unwrap();
                let _ = release_rx.recv();
            })
        };
        taken_rx.recv().unwrap();
        // It never finishes: the signal gives it both patiences, then exits
        // with the normal end's code, not its own.
        let started = Instant::now();
        assert!(matches!(
            guarded.claim(CTRL_C),
            Claim::Stuck(ExitCode::CheckFailed)
        ));
        assert!(started.elapsed() >= interrupt::LOCK_PATIENCE + CONCLUSION_PATIENCE);
        // Once it has written, a signal leaves the conclusion to it.
        release_tx.send(()).unwrap();
        writer.join().unwrap();
        assert!(matches!(guarded.claim(CTRL_C), Claim::Lost));
    }
}
