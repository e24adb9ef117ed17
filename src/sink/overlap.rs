//! `peak_overlap`: how many tasks wait at once, counted as the run goes.

use crate::vocab::Phase;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

/// How many tasks are waiting, and the most that ever were at once.
///
/// A task waits between its two lines, so the first line counts it in and
/// the last (or the reason its wait failed) counts it out. The figure
/// depends on the order of events, not on their timing, so a slow machine
/// gives the same answer as a fast one: what CI can rely on. Atomics, not
/// the sink's lock, because the counting-only lines of `--format json`
/// take no lock; every count is one read-modify-write of one atomic, so
/// the counts are exact in the order the atomic saw them, even with
/// several workers.
///
/// A query is different: between its lines it may wait for a free
/// connection, or for its turn on a connection, and such a query is queued,
/// not in progress. For `query` the lines count nothing; the database
/// driver says when a query really started on its connection and when its
/// answer came ([`super::Sink::query_began`], [`super::Sink::query_ended`]), so one
/// connection gives a peak of 1 however many tasks are queued on it.
#[derive(Default)]
pub(super) struct Overlap {
    /// Tasks between their first line and their last.
    pub(super) now: AtomicU32,
    /// The most `now` ever was.
    pub(super) peak: AtomicU32,
    /// Whether the waits are blocking-pool calls, counted from when a pool
    /// thread begins one to when it ends ([`super::Sink::pool_call`]), not from
    /// the lines: a call queued for a pool thread is not in progress.
    pub(super) in_pool: AtomicBool,
    /// Counted from the database driver's observations (`query`): neither
    /// the lines nor the pool calls, since a pool thread may itself wait
    /// for a free connection.
    pub(super) observed: bool,
}

impl Overlap {
    /// A task's line: counts it in or out, unless the pool calls or the
    /// queries count.
    pub(super) fn line(&self, phase: Phase) {
        if !self.observed && !self.in_pool.load(Ordering::Relaxed) {
            self.step(phase);
        }
    }

    pub(super) fn step(&self, phase: Phase) {
        match phase {
            Phase::First => {
                let now = self.now.fetch_add(1, Ordering::Relaxed) + 1;
                // Most lines do not raise the peak: read before writing.
                if now > self.peak.load(Ordering::Relaxed) {
                    self.peak.fetch_max(now, Ordering::Relaxed);
                }
            }
            Phase::Last => {
                self.now.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }
}
