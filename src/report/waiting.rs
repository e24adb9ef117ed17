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

    /// What the wait means, in the words of the demo and its work: a sleep,
    /// a busy loop, or a request to a server.
    pub(crate) const fn meaning(self, demo: Demo, work: Work) -> &'static str {
        match (self, demo) {
            (Waiting::Spinning, _) => {
                "spinning on the CPU: its own code (with yield_now, in turns)"
            }
            (Waiting::Offloaded, _) if matches!(work, Work::Spin) => {
                "awaiting a blocking-pool thread that spins for it"
            }
            (Waiting::Free, Demo::Lock) => "sleeping (holding the lock, if any), its thread free",
            (Waiting::Blocked, Demo::Lock) => {
                "blocked in std::sync::Mutex::lock(), holding its thread"
            }
            (Waiting::Free, Demo::Fetch) => "awaiting its reply, its thread free for other tasks",
            (Waiting::Blocked, Demo::Fetch) => "blocked in a ureq call, holding its thread",
            (Waiting::Offloaded, Demo::Fetch) => {
                "awaiting a blocking-pool thread that waits for the reply"
            }
            (Waiting::Free, Demo::Query) => "awaiting its query's answer, its thread free",
            (Waiting::Blocked, Demo::Query) => "blocked in a database call, holding its thread",
            (Waiting::Offloaded, Demo::Query) => {
                "awaiting a blocking-pool thread that waits for the query"
            }
            (Waiting::Free, _) => "sleeping, its thread free for other tasks",
            (Waiting::Blocked, _) => "blocked in std::thread::sleep, holding its thread",
            (Waiting::Offloaded, _) => "awaiting a blocking-pool thread that sleeps for it",
        }
    }
}
