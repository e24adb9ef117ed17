//! A census tallied on a thread of its own: when the tally is read only
//! at the end of the run (a census for the JSON past its cut-off or a
//! picture's band, with no live view and no NDJSON stream), the threads
//! that observe a change only queue it, and this thread moves the tally.
//!
//! Why: a million-task run observes six changes per task (a poll's
//! beginning and return, twice, its timer, its wake), and moving the tally
//! for each (the sweep, the span it closes, the account) cost the runtime
//! thread about 300 ns per task, a fifth of the whole run
//! (docs/benchmarks.md). Queued, each costs the runtime thread a push
//! under a lock that nothing else holds for longer than a swap; the tally
//! moves on the machine's other core, in the same order, from the same
//! observed times, so the census is the one the runtime thread would have
//! kept.

use super::sweep::Change;
use super::tally::Tally;
use crate::events::Ticker;
use crate::vocab::Park;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How often the census thread takes what was queued: often enough that
/// the queue stays small (about a millisecond of observations), seldom
/// enough that the thread costs nothing while the run sleeps.
const EVERY: Duration = Duration::from_millis(1);

/// One thing observed, queued for the tally in the order it was noted.
#[derive(Clone, Copy, Debug)]
pub(super) enum Noted {
    /// Task `task` took `change` at `at` nanoseconds since the start
    /// ([`NOT_READ`]: the clock was not read, see [`Behind::push`]).
    Change { task: u32, at: u64, change: Change },
    /// A runtime thread parked or woke.
    Park(Park),
}

/// The time of a change whose clock was not read: a timer armed, which
/// happens inside the task's own poll and so changes no state (see
/// `Log::note_at`). Should it change one all the same, it is timed by the
/// latest time queued before it.
pub(super) const NOT_READ: u64 = u64::MAX;

type Queue = Arc<Mutex<Vec<Noted>>>;

/// The tally the census's thread moves, and the latest time it was moved
/// to (for a change whose clock was not read).
#[derive(Default)]
struct Moving {
    tally: Option<Tally>,
    last: u64,
}

/// The census's thread, its queue, and the tally it moves.
pub(super) struct Behind {
    queue: Queue,
    moving: Arc<Mutex<Moving>>,
    /// Dropped (which stops and joins the thread) when the tally is taken.
    ticker: Mutex<Option<Ticker>>,
}

impl Behind {
    /// Starts the thread that moves `tally`, and takes it; `None`, leaving
    /// it where it is (moved where observed), when no thread could start.
    pub(super) fn start(tally: &mut Option<Tally>) -> Option<Behind> {
        let queue: Queue = Arc::default();
        let moving: Arc<Mutex<Moving>> = Arc::default();
        let (from, into) = (Arc::clone(&queue), Arc::clone(&moving));
        // Swapped with the queue at each tick, so neither side allocates
        // once both have grown to a tick's worth.
        let mut batch = Vec::new();
        let ticker = Ticker::start("census", EVERY, move || {
            std::mem::swap(&mut *lock(&from), &mut batch);
            apply(&into, &mut batch);
        })
        .ok()?;
        lock(&moving).tally = tally.take();
        Some(Behind {
            queue,
            moving,
            ticker: Mutex::new(Some(ticker)),
        })
    }

    /// Queues `noted`.
    pub(super) fn push(&self, noted: Noted) {
        lock(&self.queue).push(noted);
    }

    /// Stops the thread, moves the tally by what is still queued, and
    /// hands it over (once; `None` after).
    pub(super) fn finish(&self) -> Option<Tally> {
        drop(lock(&self.ticker).take());
        let mut rest = std::mem::take(&mut *lock(&self.queue));
        apply(&self.moving, &mut rest);
        lock(&self.moving).tally.take()
    }
}

/// Moves the tally by `batch`, in order, leaving `batch` empty.
fn apply(moving: &Mutex<Moving>, batch: &mut Vec<Noted>) {
    if batch.is_empty() {
        return;
    }
    let mut moving = lock(moving);
    let Moving { tally, last } = &mut *moving;
    let Some(tally) = tally.as_mut() else {
        batch.clear();
        return;
    };
    for noted in batch.drain(..) {
        match noted {
            Noted::Change { task, at, change } => {
                if at != NOT_READ {
                    *last = at;
                }
                let at = *last;
                tally.apply(task, || Duration::from_nanos(at), change);
            }
            Noted::Park(park) => tally.park(park),
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
