//! `--work spin`: a busy loop on the CPU instead of a sleep.
//!
//! A sleep leaves the thread with nothing to do, so the only question is
//! who gets it meanwhile. A busy loop *uses* the thread all along, and that
//! changes what each mode can achieve:
//!
//! | mode             | the loop                                  | N loops of `delay` take |
//! |------------------|-------------------------------------------|-------------------------|
//! | `blocking`       | runs straight through, holding the thread | N × delay, one after another |
//! | `async`          | yields every [`SLICE`] ([`YieldingSpin`]) | N × delay still, but taking turns |
//! | `spawn-blocking`, `threads` | runs on other threads          | N × delay ÷ cores       |
//!
//! The async row is the lesson: `yield_now` makes CPU work *fair* (every
//! task starts at once and they take turns), not faster. One thread has one
//! thread's worth of CPU, however the work is sliced; only more threads
//! (the blocking pool, OS threads, spawned tasks on workers) add any.
//! Python's asyncio is the same: a busy loop in a coroutine blocks the event
//! loop, `await asyncio.sleep(0)` in the loop shares it, and only
//! `run_in_executor` with processes (the GIL) makes it faster.

use super::{BlockingCall, Wait};
use crate::outcome::Ending;
use crate::sink::Sink;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a yielding loop runs before it gives the thread back.
///
/// About a millisecond: short enough that the tasks visibly take turns
/// (a 200 ms loop yields 200 times) and that a timer or another task never
/// waits long for the thread, long enough that the cost of one round trip
/// through the executor (well under a microsecond) stays lost in the noise,
/// so the run still takes N × delay and not more. tokio's own advice for
/// CPU-bound work in async code is to yield every 10 to 100 microseconds of
/// work *or* move it off the runtime; 1 ms keeps the figures readable.
pub(crate) const SLICE: Duration = Duration::from_millis(1);

/// Spins on the CPU for `length` of this thread's CPU time, and returns
/// how much it used (a little more: the last clock reading).
///
/// CPU time, not wall time, because that is what a busy loop is: work that
/// needs a core. Three 200 ms loops on two cores then take about 0.3 s on
/// threads, as real work would; counted in wall time, a loop the OS paused
/// would "finish" without having done its work, and threads would seem to
/// add cores the machine does not have. tokio's paused clock cannot see
/// this either way: it knows only timers.
fn spin_for(length: Duration) -> Duration {
    let start = cpu_time();
    loop {
        let used = cpu_time().saturating_sub(start);
        if used >= length {
            return used;
        }
        // Reading a thread's CPU clock is a system call, the wall clock is
        // not: spin on the wall clock for a short stretch (no more than is
        // left), then look at the CPU clock again.
        let stretch = Instant::now() + (length - used).min(CHECK_EVERY);
        while Instant::now() < stretch {
            std::hint::spin_loop();
        }
    }
}

/// How often a loop reads its CPU clock: often enough to stop within a few
/// percent of a 1 ms slice, rarely enough that the system calls are not
/// the work.
const CHECK_EVERY: Duration = Duration::from_micros(50);

/// The CPU time the calling thread has used so far.
#[cfg(unix)]
fn cpu_time() -> Duration {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: one valid `timespec` to write into; the clock id is a
    // constant that every Unix this builds on knows.
    let read = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut now) };
    if read != 0 {
        // Cannot happen for this clock; wall time is the honest fallback.
        return wall_time();
    }
    Duration::new(
        u64::try_from(now.tv_sec).unwrap_or(0),
        u32::try_from(now.tv_nsec).unwrap_or(0),
    )
}

/// Elsewhere, wall time: a loop the OS pauses then counts the pause too.
#[cfg(not(unix))]
fn cpu_time() -> Duration {
    wall_time()
}

/// Time since the first call, on the monotonic clock.
fn wall_time() -> Duration {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    EPOCH.get_or_init(Instant::now).elapsed()
}

/// A busy loop of `delay`, made in one go: the blocking call of `--work
/// spin`, the CPU-bound twin of `std::thread::sleep`.
pub(crate) struct SpinCall {
    /// How long each call spins.
    pub(crate) delay: Duration,
}

impl BlockingCall for SpinCall {
    /// A busy loop runs code: its task is polled, not held.
    const HOLDS: bool = false;

    fn call(&self, _id: u32) -> Ending {
        spin_for(self.delay);
        Ending::Done
    }

    fn blocks(&self) -> bool {
        !self.delay.is_zero()
    }
}

/// A busy loop of `delay` that gives the thread back every [`SLICE`]:
/// `--mode async --work spin`, the analog of a Python loop that calls
/// `await asyncio.sleep(0)` now and then.
pub(crate) struct YieldingSpin {
    /// How much CPU work each task does in all.
    pub(crate) delay: Duration,
    /// Flushed at each yield: the thread never parks while the tasks take
    /// turns (there is always another slice to run), so the park hook that
    /// normally pushes the lines out would not run until the very end.
    pub(crate) sink: Arc<Sink>,
}

impl Wait for YieldingSpin {
    fn wait(&self, _id: u32) -> impl Future<Output = Ending> + Send {
        let (delay, sink) = (self.delay, &self.sink);
        async move {
            // Only this task's own slices count, not the time between them,
            // when the other tasks run theirs: a loop that stopped at a
            // deadline would do less work the more tasks shared the thread.
            // Each slice counts for the CPU time it really used, so the
            // whole loop is `delay` of CPU work, as in blocking mode.
            let mut left = delay;
            while !left.is_zero() {
                left = left.saturating_sub(spin_for(left.min(SLICE)));
                if !sink.flush() {
                    // The output is gone: nobody will see the rest.
                    return Ending::Stopped;
                }
                // Pending once, with the task's waker deferred until the
                // executor has run the others: the turn goes to the next
                // task. No timer is involved, so this is not a sleep.
                tokio::task::yield_now().await;
            }
            Ending::Done
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::join;
    use crate::sink::tests::recording_sink;
    use crate::vocab::{Demo, Phase};

    /// A spin is CPU work, so tokio's paused clock does not move while it
    /// runs (it sees no timer), and the real clock shows at least the
    /// whole loop (CPU time never runs ahead of wall time).
    #[tokio::test(start_paused = true)]
    async fn a_blocking_spin_takes_its_real_time_and_no_virtual_time() {
        let start = Instant::now();
        let virtual_start = tokio::time::Instant::now();
        SpinCall {
            delay: Duration::from_millis(5),
        }
        .call(1);
        assert!(start.elapsed() >= Duration::from_millis(5));
        assert_eq!(virtual_start.elapsed(), Duration::ZERO);
    }

    /// Yielding loops on one thread take turns: every task prints its first
    /// line before any prints its last (One One One ... Two Two Two), and
    /// the run takes at least N × delay of real time all the same: yielding
    /// makes the work fair, not faster. The paused clock shows that no
    /// timer was involved (zero virtual time).
    #[tokio::test(start_paused = true)]
    async fn yielding_spins_take_turns_but_add_up() {
        let (sink, captured) = recording_sink(Demo::Count);
        let delay = Duration::from_millis(4);
        let wait = YieldingSpin {
            delay,
            sink: Arc::clone(&sink),
        };
        let real = Instant::now();
        let elapsed = join(&sink, 3, &wait).await;
        assert!(real.elapsed() >= delay * 3, "took {:?}", real.elapsed());
        assert_eq!(elapsed, Duration::ZERO, "no timer, no virtual time");
        let state = sink.lock();
        let phases: Vec<_> = state.events().iter().map(|e| e.phase).collect();
        assert_eq!(
            phases,
            [Phase::First; 3]
                .into_iter()
                .chain([Phase::Last; 3])
                .collect::<Vec<_>>()
        );
        drop(state);
        sink.flush();
        assert_eq!(captured.text(), "One\nOne\nOne\nTwo\nTwo\nTwo\n");
    }

    /// Each slice ends in a yield: a loop of four slices hands the thread
    /// back, and at most four times (a slice that overran counts for what
    /// it used, so fewer are possible, never more).
    #[test]
    fn a_yielding_spin_gives_the_thread_back_every_slice() {
        let (sink, _) = recording_sink(Demo::Count);
        let wait = YieldingSpin {
            delay: SLICE * 4,
            sink,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let pendings = rt.block_on(async {
            let mut future = std::pin::pin!(wait.wait(1));
            let mut pendings = 0;
            std::future::poll_fn(|cx| match future.as_mut().poll(cx) {
                std::task::Poll::Ready(ending) => std::task::Poll::Ready(ending),
                std::task::Poll::Pending => {
                    pendings += 1;
                    cx.waker().wake_by_ref();
                    std::task::Poll::Pending
                }
            })
            .await;
            pendings
        });
        assert!((1..=4).contains(&pendings), "{pendings} yields");
    }
}
