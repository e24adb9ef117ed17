//! Running the tasks: building what drives them, and timing the run.
//!
//! Every mode runs the same coroutine, [`crate::demo::task`], N times. Modes
//! differ in *how a task waits* (the [`Wait`] it is given, from
//! [`crate::wait`]) and in *what drives the tasks*:
//!
//! | mode             | driven by                                   | see        |
//! |------------------|---------------------------------------------|------------|
//! | `async`          | a tokio runtime, the waits are timers       | this file  |
//! | `blocking`       | a tokio runtime, the waits hold its thread  | this file  |
//! | `spawn-blocking` | a tokio runtime, the waits on its blocking pool | this file |
//! | `threads`        | one OS thread per task, no runtime          | [`threads`] |
//!
//! Under a tokio runtime the tasks are either polled together inside one
//! `join_all` (the default, like `asyncio.gather`) or, with `--spawn`, each
//! spawned as its own tokio task, which a multi-thread runtime may run on
//! any of its workers.

mod threads;

use crate::config::{Config, FetchOptions};
use crate::demo;
#[cfg(feature = "http")]
use crate::server;
use crate::sink::Sink;
use crate::slowpoll::{self, Watch, Watchdog};
use crate::vocab::{Mode, Outcome, Runtime};
#[cfg(feature = "http")]
use crate::wait::fetch::{AsyncFetch, BlockingFetch, Client};
use crate::wait::{Blocking, BlockingCall, Sleep, SleepCall, SpawnBlocking, Wait};
use anyhow::Context;
use futures::future::join_all;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Runs the configured demo and waits for every task; `watch`, when given,
/// times every poll of every task (`--slow-poll`, and `compare`).
pub(crate) fn execute(
    config: &Config,
    sink: &Arc<Sink>,
    watch: Option<&Arc<Watch>>,
) -> anyhow::Result<Outcome> {
    // Threads mode has no runtime thread to hold; nothing is watched there.
    let watch = watch.filter(|_| config.way.runtime.is_some() && config.way.mode != Mode::Threads);
    let mut observed_delay = None;
    let elapsed = match &config.fetch {
        None => {
            let delay = config.delay;
            drive(config, sink, watch, Sleep { delay }, SleepCall { delay })?
        }
        Some(options) => {
            let (elapsed, observed) = fetch(config, sink, watch, options)?;
            observed_delay = observed;
            elapsed
        }
    };
    Ok(Outcome {
        elapsed,
        completed: sink.completed(),
        failed: sink.failures(),
        observed_delay,
        polls: watch.map(|w| w.polls()),
    })
}

/// Runs the fetch demo: the tasks' waits are HTTP requests. Returns the
/// elapsed time and the quickest round trip.
#[cfg(feature = "http")]
fn fetch(
    config: &Config,
    sink: &Arc<Sink>,
    watch: Option<&Arc<Watch>>,
    options: &FetchOptions,
) -> anyhow::Result<(Duration, Option<Duration>)> {
    // Without --url, a server of our own on a thread of its own (see
    // `server::BuiltIn`); it stops when `_server` is dropped.
    let (url, _server) = match &options.url {
        Some(url) => (url.clone(), None),
        None => {
            let server = server::BuiltIn::start(config.delay, Arc::clone(sink))?;
            (server.url(), Some(server))
        }
    };
    let client = Arc::new(
        Client::new(url, options.timeout, Arc::clone(sink)).context("starting the HTTP clients")?,
    );
    let elapsed = drive(
        config,
        sink,
        watch,
        AsyncFetch(Arc::clone(&client)),
        BlockingFetch(Arc::clone(&client)),
    )?;
    Ok((elapsed, client.fastest()))
}

/// A build without HTTP has no fetch to run.
#[cfg(not(feature = "http"))]
fn fetch(
    _config: &Config,
    _sink: &Arc<Sink>,
    _watch: Option<&Arc<Watch>>,
    _options: &FetchOptions,
) -> anyhow::Result<(Duration, Option<Duration>)> {
    Err(crate::config::no_http("fetch"))
}

/// Runs the tasks the configured way: `nonblocking` is their wait in async
/// mode, and `blocking` the call every other mode makes.
fn drive<A, B>(
    config: &Config,
    sink: &Arc<Sink>,
    watch: Option<&Arc<Watch>>,
    nonblocking: A,
    blocking: B,
) -> anyhow::Result<Duration>
where
    A: Wait + Send + 'static,
    B: BlockingCall,
{
    match (config.way.mode, config.way.runtime) {
        (Mode::Threads, _) | (_, None) => {
            let wait = Arc::new(Blocking {
                call: blocking,
                sink: Arc::clone(sink),
            });
            threads::on_threads(
                config.tasks,
                sink,
                wait,
                threads::os_threads(B::STACK_BYTES),
            )
        }
        (Mode::Async, Some(runtime)) => on_runtime(config, runtime, sink, watch, nonblocking),
        (Mode::Blocking, Some(runtime)) => {
            let wait = Blocking {
                call: blocking,
                sink: Arc::clone(sink),
            };
            on_runtime(config, runtime, sink, watch, wait)
        }
        (Mode::SpawnBlocking, Some(runtime)) => {
            let wait = SpawnBlocking {
                call: Arc::new(blocking),
            };
            on_runtime(config, runtime, sink, watch, wait)
        }
    }
}

/// Builds the runtime and drives the tasks on it, joined or spawned.
fn on_runtime<W: Wait + Send + 'static>(
    config: &Config,
    runtime: Runtime,
    sink: &Arc<Sink>,
    watch: Option<&Arc<Watch>>,
    wait: W,
) -> anyhow::Result<Duration> {
    let rt = build_runtime(runtime, config, sink)?;
    // Started before the tasks and stopped (dropped) after them.
    let _watchdog = match watch {
        Some(watch) if watch.warns() => {
            Some(Watchdog::start(watch).context("starting the --slow-poll watchdog thread")?)
        }
        _ => None,
    };
    // Without a watch the tasks are exactly the plain coroutines: the
    // watched versions are separate functions, so the unwatched run pays
    // nothing for them, not even a branch per poll.
    let elapsed = rt.block_on(async {
        match (config.way.spawn, watch) {
            (false, None) => join(sink, config.tasks, &wait).await,
            (false, Some(watch)) => join_watched(sink, config.tasks, &wait, watch).await,
            (true, None) => spawn_all(sink, config.tasks, Arc::new(wait)).await,
            (true, Some(watch)) => {
                spawn_all_watched(sink, config.tasks, Arc::new(wait), watch).await
            }
        }
    });
    // Don't wait for leftovers: after a failed write the run ends early, and
    // a blocking-pool thread may still be inside a long sleep. Dropping the
    // runtime would wait for it; shutting down in the background does not.
    rt.shutdown_background();
    Ok(elapsed)
}

/// The tokio runtime for a run.
///
/// The default, a current-thread runtime, makes the comparison with the notes
/// exact: every task shares one thread, so a task that blocks it blocks them
/// all, just as on asyncio's event loop.
fn build_runtime(
    runtime: Runtime,
    config: &Config,
    sink: &Arc<Sink>,
) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut builder = match runtime {
        Runtime::CurrentThread => tokio::runtime::Builder::new_current_thread(),
        Runtime::MultiThread(workers) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            builder.worker_threads(workers);
            builder
        }
    };
    if let Some(threads) = config.way.blocking_threads {
        builder.max_blocking_threads(threads);
    }
    // Sockets need tokio's I/O driver; the sleeping demos don't, and go
    // without it (their runtime then parks on a plain condition variable).
    if config.fetch.is_some() {
        builder.enable_io();
    }
    let record = config.record();
    if record {
        // The pictures' thread lanes: when each runtime thread woke up.
        // Installed only when recording, so a plain run has no extra hook.
        let sink = Arc::clone(sink);
        builder.on_thread_unpark(move || sink.park(false));
    }
    let sink = Arc::clone(sink);
    builder
        .enable_time()
        // Just before a runtime thread parks (every task it could run is
        // waiting), push out the lines the tasks wrote. This is the one
        // moment a flush is both needed (a person is about to stare at a
        // pause) and cheap (once per pause, not once per line).
        .on_thread_park(move || {
            sink.flush();
            if record {
                sink.park(true);
            }
        })
        .build()
        .context("starting the tokio runtime")
}

/// Starts `tasks` coroutines that wait with `wait` and joins them all inside
/// this one future: the analog of `asyncio.gather(count(), count(), ...)`.
///
/// Returns the elapsed time, measured with tokio's clock so that tests on a
/// paused clock see exact virtual time.
pub(crate) async fn join<W: Wait>(sink: &Sink, tasks: u32, wait: &W) -> Duration {
    // `join_all` is one future that polls its N children itself, on the
    // thread that polls it. `gather` differs: it wraps each coroutine in a
    // Task of its own, which the loop schedules. On one thread both give
    // the same output, since each child runs until its first wait either
    // way. Under `Runtime::block_on` that thread is the calling thread, not
    // a worker, so even a multi-thread runtime runs these children on one
    // thread: concurrency without parallelism.
    timed(
        sink,
        join_all((1..=tasks).map(|id| demo::task(id, sink, wait))),
    )
    .await
}

/// [`join`], with every poll of every coroutine timed by `watch`.
async fn join_watched<W: Wait>(sink: &Sink, tasks: u32, wait: &W, watch: &Watch) -> Duration {
    timed(
        sink,
        join_all((1..=tasks).map(|id| slowpoll::watched(watch, id, demo::task(id, sink, wait)))),
    )
    .await
}

/// Spawns each coroutine as its own tokio task and waits for them all
/// (`--spawn`). A multi-thread runtime can then run the tasks on all its
/// workers at once, which is the only way blocking tasks overlap there.
async fn spawn_all<W: Wait + Send + 'static>(
    sink: &Arc<Sink>,
    tasks: u32,
    wait: Arc<W>,
) -> Duration {
    timed(sink, async {
        // A `JoinSet` rather than a `Vec` of handles: it hands back each
        // task as it ends, keeps no result we would ignore, and aborts any
        // task still running if the run stops early and the set is dropped.
        let mut set = tokio::task::JoinSet::new();
        for id in 1..=tasks {
            // `spawn` needs futures that own what they use ('static), so
            // each task holds its own handles to the shared sink and waiter.
            let (sink, wait) = (Arc::clone(sink), Arc::clone(&wait));
            set.spawn(async move { demo::task(id, &sink, &*wait).await });
        }
        // A task cannot fail (a failed wait is reported through the sink),
        // so the join results carry nothing to look at.
        while set.join_next().await.is_some() {}
    })
    .await
}

/// [`spawn_all`], with every poll of every task timed by `watch`.
async fn spawn_all_watched<W: Wait + Send + 'static>(
    sink: &Arc<Sink>,
    tasks: u32,
    wait: Arc<W>,
    watch: &Arc<Watch>,
) -> Duration {
    timed(sink, async {
        let mut set = tokio::task::JoinSet::new();
        for id in 1..=tasks {
            let (sink, wait, watch) = (Arc::clone(sink), Arc::clone(&wait), Arc::clone(watch));
            set.spawn(slowpoll::watched_owned(watch, id, async move {
                demo::task(id, &sink, &*wait).await
            }));
        }
        while set.join_next().await.is_some() {}
    })
    .await
}

/// Runs `all` (the joined tasks) from the run's start to its end, or until
/// the output fails.
async fn timed<F: Future>(sink: &Sink, all: F) -> Duration {
    let start = Instant::now();
    sink.start(start);
    // Why `unconstrained`: tokio gives each task a budget of 128 resource
    // polls per turn, after which a `Sleep` (or a `JoinHandle`) answers
    // `Pending` even when it is ready. For more than 30 futures, `join_all`
    // uses `FuturesUnordered`, which then re-polls the refused ones over and
    // over, and a run of a million tasks turns quadratic. The budget exists
    // to keep one task from starving others on its thread; here this future
    // *is* the program, so there is nobody to starve, and lifting the
    // budget is the honest fix. (docs/benchmarks.md has the measurements.)
    tokio::select! {
        biased;
        _ = tokio::task::unconstrained(all) => {}
        // A failed write (say, `| head -1` closed the pipe): stop waiting.
        () = sink.failed() => {}
    }
    start.elapsed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::tests::recording_sink;
    use crate::vocab::{Demo, Event, Live, Phase};

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
            let events = state.events();
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
            assert_eq!(state.completed(), n);
            drop(state);

            sink.flush();
            let lines = "One\n".repeat(n as usize) + &"Two\n".repeat(n as usize);
            assert_eq!(captured.text(), lines);
        }
    }

    /// Spawned async tasks on a current-thread runtime overlap just the same.
    #[tokio::test(start_paused = true)]
    async fn spawned_async_tasks_overlap_on_the_paused_clock() {
        let (sink, _) = recording_sink(Demo::Hello);
        let delay = Duration::from_millis(200);
        let elapsed = spawn_all(&sink, 50, Arc::new(Sleep { delay })).await;
        assert_eq!(elapsed, delay);
        let state = sink.lock();
        let events = state.events();
        assert!(
            events[..50]
                .iter()
                .all(|e| e.phase == Phase::First && e.at.is_zero())
        );
        assert!(
            events[50..]
                .iter()
                .all(|e| e.phase == Phase::Last && e.at == delay)
        );
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

    /// `--slow-poll` adds only its watch and the task number to each task:
    /// a wrapper that copied the coroutine would double a million-task run.
    #[test]
    fn a_watched_task_future_adds_only_a_reference_and_an_id() {
        let sink = Sink::new(Box::new(std::io::sink()), Demo::Count, Live::Plain, false);
        let wait = Sleep {
            delay: Duration::from_secs(1),
        };
        let watch = Watch::new(Duration::from_millis(100), None);
        let plain = std::mem::size_of_val(&demo::task(1, &sink, &wait));
        let watched =
            std::mem::size_of_val(&slowpoll::watched(&watch, 1, demo::task(1, &sink, &wait)));
        assert!(
            watched <= plain + 16,
            "watched {watched} bytes, plain {plain}"
        );
    }

    /// A blocking wait holds the thread, so each task finishes before the
    /// next one starts: One Two One Two. The sleep is real (the paused clock
    /// cannot see `std::thread::sleep`), so it is kept tiny.
    #[tokio::test]
    async fn blocking_tasks_run_one_after_another() {
        let (sink, captured) = recording_sink(Demo::Hello);
        let delay = Duration::from_millis(2);
        let wait = Blocking {
            call: SleepCall { delay },
            sink: Arc::clone(&sink),
        };
        let elapsed = join(&sink, 3, &wait).await;
        assert!(elapsed >= delay * 3, "took {elapsed:?}");

        let state = sink.lock();
        let expected: Vec<_> = (1..=3)
            .flat_map(|id| [(id, Phase::First), (id, Phase::Last)])
            .collect();
        assert_eq!(phases(state.events()), expected);
        drop(state);
        sink.flush();
        assert_eq!(captured.text(), "Hello ...\n... World!\n".repeat(3));
    }
}
