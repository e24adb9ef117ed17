//! How a task spent its wait, as the pictures show it: free, blocked,
//! offloaded to the blocking pool or spinning, settled once from the mode
//! and the work, with the words each demo gives it in a legend. The
//! pictures here, `--live` and a replay's view read it.

use crate::vocab::{Demo, Mode, Work};

/// How a task spent its wait, as the pictures show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Waiting {
    /// In the runtime's timer (or reactor): its thread runs other tasks.
    Free,
    /// Inside a blocking call: holding its thread.
    Blocked,
    /// Awaiting a blocking-pool thread that waits for it.
    Offloaded,
    /// Running a busy loop (`--work spin`): code on its thread all along,
    /// not a wait that leaves the thread idle. In async mode the loop yields
    /// now and then, so the tasks take turns on the thread.
    Spinning,
}

impl Waiting {
    /// How tasks wait in `mode` when their wait is `work`.
    pub(crate) const fn of(mode: Mode, work: Work) -> Waiting {
        match (mode, work) {
            (Mode::SpawnBlocking, _) => Waiting::Offloaded,
            (_, Work::Spin) => Waiting::Spinning,
            (Mode::Async, Work::Sleep) => Waiting::Free,
            (Mode::Blocking | Mode::Threads | Mode::BlockInPlace, Work::Sleep) => Waiting::Blocked,
        }
    }

    /// What the wait means, in the words of the demo (its row's) and its
    /// work: a sleep, a busy loop, or a request to a server.
    pub(crate) const fn meaning(self, demo: Demo, work: Work) -> &'static str {
        match (self, demo) {
            (Waiting::Spinning, _) => {
                "spinning on the CPU: its own code (with yield_now, in turns)"
            }
            (Waiting::Offloaded, _) if matches!(work, Work::Spin) => {
                "awaiting a blocking-pool thread that spins for it"
            }
            (Waiting::Free, _) => demo.row().waits.free,
            (Waiting::Blocked, _) => demo.row().waits.blocked,
            (Waiting::Offloaded, _) => demo.row().waits.offloaded,
        }
    }
}
