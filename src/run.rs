//! The ways to run the tasks.
//!
//! Every mode runs the same coroutine, [`crate::demo::task`], N times and
//! joins them. Modes differ only in *how a task waits* (the [`Wait`] it is
//! given), which is exactly the difference the tool exists to show:
//!
//! | mode       | a task waits with            | the executor thread meanwhile |
//! |------------|------------------------------|-------------------------------|
//! | `async`    | `tokio::time::sleep(d).await`| runs the other tasks          |
//! | `blocking` | `std::thread::sleep(d)`      | is stuck: nothing else runs   |

use crate::config::Config;
use crate::demo;
use crate::sink::Sink;
use clap::ValueEnum;
use futures::future::join_all;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// How each task waits.
///
/// A `ValueEnum`, so a new way of running is one more variant here and one
/// more arm in [`execute`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// tokio::time::sleep: the task gives the thread back while it waits.
    Async,
    /// std::thread::sleep inside the same coroutines: the thread is held.
    Blocking,
}

/// Which tokio runtime drives the tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuntimeKind {
    /// One thread runs every task, like asyncio's single-threaded event loop.
    CurrentThread,
}

/// What a finished run measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// From the first task's start to the last task's end.
    pub elapsed: Duration,
    /// Tasks that printed their last line.
    pub completed: u32,
}

/// How a task waits: the one thing that changes between modes.
///
/// `Sync` because every task borrows the same waiter; the returned future is
/// `Send` so that it may later move between worker threads.
pub trait Wait: Sync {
    /// The wait between a task's two lines.
    fn wait(&self) -> impl Future<Output = ()> + Send;
}

/// Non-blocking: the analog of `await asyncio.sleep(delay)`.
pub struct Sleep {
    /// How long each task waits.
    pub delay: Duration,
}

impl Wait for Sleep {
    fn wait(&self) -> impl Future<Output = ()> + Send {
        // `sleep` registers a timer and returns `Pending`; the executor then
        // polls the other tasks and, once all of them wait, parks the thread
        // until the earliest timer is due. Nobody holds the thread meanwhile.
        tokio::time::sleep(self.delay)
    }
}

/// Blocking: the analog of calling `time.sleep(delay)` inside a coroutine.
pub struct BlockingSleep<'a> {
    /// How long each task blocks.
    pub delay: Duration,
    /// Flushed before blocking, so the lines printed so far are on screen
    /// while the thread sleeps.
    pub sink: &'a Sink,
}

impl Wait for BlockingSleep<'_> {
    fn wait(&self) -> impl Future<Output = ()> + Send {
        let (delay, sink) = (self.delay, self.sink);
        async move {
            if delay.is_zero() {
                return;
            }
            // The thread is about to block, and the runtime cannot run its
            // park hook while it does: flush here, or the lines would sit in
            // the buffer for the whole sleep. If the output is gone (a closed
            // pipe), skip the wait: nobody will read what follows it.
            if sink.flush() {
                // No `.await`: the poll itself does not return until the
                // sleep ends, so the executor cannot run any other task. This
                // is the mistake the demo exists to show.
                std::thread::sleep(delay);
            }
        }
    }
}

/// Runs the configured demo and waits for every task.
pub fn execute(config: &Config, sink: &Arc<Sink>) -> anyhow::Result<Outcome> {
    let runtime = current_thread_runtime(sink)?;
    let elapsed = runtime.block_on(async {
        match config.mode {
            Mode::Async => {
                join(
                    sink,
                    config.tasks,
                    &Sleep {
                        delay: config.delay,
                    },
                )
                .await
            }
            Mode::Blocking => {
                let wait = BlockingSleep {
                    delay: config.delay,
                    sink,
                };
                join(sink, config.tasks, &wait).await
            }
        }
    });
    Ok(Outcome {
        elapsed,
        completed: sink.lock().completed,
    })
}

/// The runtime: one thread, like asyncio's event loop.
///
/// A current-thread runtime makes the comparison with the notes exact: every
/// task shares one thread, so a task that blocks it blocks them all.
fn current_thread_runtime(sink: &Arc<Sink>) -> anyhow::Result<tokio::runtime::Runtime> {
    use anyhow::Context;
    let sink = Arc::clone(sink);
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        // Just before the runtime parks its thread (every task is waiting),
        // push out the lines the tasks wrote. This is the one moment a flush
        // is both needed (a person is about to stare at a pause) and cheap
        // (once per pause, not once per line).
        .on_thread_park(move || {
            sink.flush();
        })
        .build()
        .context("starting the tokio runtime")
}

/// Starts `tasks` coroutines that wait with `wait` and joins them all: the
/// analog of `asyncio.gather(count(), count(), ...)`.
///
/// Returns the elapsed time, measured with tokio's clock so that tests on a
/// paused clock see exact virtual time. The run also ends early, with the
/// time so far, if the output fails.
pub async fn join<W: Wait>(sink: &Sink, tasks: u32, wait: &W) -> Duration {
    let start = Instant::now();
    sink.start(start);
    // `join_all` polls every coroutine inside this one future, on this one
    // thread, just as `gather` does on asyncio's loop: concurrency without
    // parallelism. Each element is its own coroutine with its own sleep.
    let all = join_all((1..=tasks).map(|id| demo::task(id, sink, wait)));
    // Why `unconstrained`: tokio gives each task a budget of 128 resource
    // polls per turn, after which a `Sleep` answers `Pending` even when it
    // is due. For more than 30 futures, `join_all` uses `FuturesUnordered`,
    // which then re-polls the refused sleeps over and over, and a run of a
    // million tasks turns quadratic. The budget exists to keep one task from
    // starving others; here this future *is* the whole program, so there is
    // nobody to starve, and lifting the budget is the honest fix.
    // (docs/benchmarks.md has the measurements.)
    tokio::select! {
        biased;
        _ = tokio::task::unconstrained(all) => {}
        () = sink.failed() => {}
    }
    start.elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{Demo, Phase};
    use crate::sink::{Event, Live, tests::Captured};

    fn recording_sink(demo: Demo) -> (Sink, Captured) {
        let captured = Captured::default();
        let sink = Sink::new(Box::new(captured.clone()), demo, Live::Plain, true);
        (sink, captured)
    }

    fn phases(events: &[Event]) -> Vec<(u32, Phase)> {
        events.iter().map(|e| (e.task, e.phase)).collect()
    }

    /// On tokio's paused clock, N async tasks take exactly one delay of
    /// virtual time, and every first line comes before every last line.
    #[tokio::test(start_paused = true)]
    async fn async_tasks_overlap_on_the_paused_clock() {
        for n in [1, 3, 1000] {
            let (sink, captured) = recording_sink(Demo::Count);
            let delay = Duration::from_secs(1);
            let elapsed = join(&sink, n, &Sleep { delay }).await;
            assert_eq!(elapsed, delay, "n = {n}");

            let state = sink.lock();
            let events = state.events.as_ref().unwrap();
            assert_eq!(events.len(), 2 * n as usize);
            let (firsts, lasts) = events.split_at(n as usize);
            // The first lines come out in task order, all at t = 0 ...
            let expected: Vec<_> = (1..=n).map(|id| (id, Phase::First)).collect();
            assert_eq!(phases(firsts), expected, "n = {n}");
            assert!(firsts.iter().all(|e| e.at.is_zero()));
            // ... and every task's last line comes exactly one delay later.
            let mut finished: Vec<_> = lasts.iter().map(|e| e.task).collect();
            finished.sort_unstable();
            assert_eq!(finished, (1..=n).collect::<Vec<_>>(), "n = {n}");
            assert!(
                lasts
                    .iter()
                    .all(|e| e.phase == Phase::Last && e.at == delay)
            );
            assert_eq!(state.completed, n);
            drop(state);

            sink.flush();
            let lines = "One\n".repeat(n as usize) + &"Two\n".repeat(n as usize);
            assert_eq!(captured.text(), lines);
        }
    }

    /// A million-task run keeps a million of these futures alive at once,
    /// so their size is the run's memory. tokio's `Sleep` is most of it.
    #[test]
    fn the_async_task_future_stays_small() {
        let sink = Sink::new(Box::new(std::io::sink()), Demo::Count, Live::Plain, false);
        let wait = Sleep {
            delay: Duration::from_secs(1),
        };
        let future = demo::task(1, &sink, &wait);
        let bytes = std::mem::size_of_val(&future);
        let sleep = std::mem::size_of::<tokio::time::Sleep>();
        // The task adds its id, two references and its state tag (40 bytes
        // today). A bound of 48 fails as soon as someone adds per-task state
        // such as an `Instant` (16 bytes) or a `String` (24).
        assert!(
            bytes <= sleep + 48,
            "task future is {bytes} bytes, Sleep {sleep}"
        );
    }

    /// A blocking wait holds the thread, so each task finishes before the
    /// next one starts: One Two One Two. The sleep is real (the paused clock
    /// cannot see `std::thread::sleep`), so it is kept tiny.
    #[tokio::test]
    async fn blocking_tasks_run_one_after_another() {
        let (sink, captured) = recording_sink(Demo::Hello);
        let delay = Duration::from_millis(2);
        let elapsed = join(&sink, 3, &BlockingSleep { delay, sink: &sink }).await;
        assert!(elapsed >= delay * 3, "took {elapsed:?}");

        let state = sink.lock();
        let expected: Vec<_> = (1..=3)
            .flat_map(|id| [(id, Phase::First), (id, Phase::Last)])
            .collect();
        assert_eq!(phases(state.events.as_ref().unwrap()), expected);
        drop(state);
        sink.flush();
        assert_eq!(captured.text(), "Hello ...\n... World!\n".repeat(3));
    }
}
