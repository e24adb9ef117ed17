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
//! | `block-in-place` | a multi-thread runtime, the waits inside `block_in_place` | this file |
//!
//! `--work spin` keeps the drivers and swaps each sleep for a busy loop
//! ([`crate::wait::spin`]). The `lock` demo has a driver of its own
//! ([`lock`]): its tasks share a lock, and one of its locks deadlocks.
//!
//! Under a tokio runtime the tasks are either polled together inside one
//! `join_all` (the default, like `asyncio.gather`) or, with `--spawn`, each
//! spawned as its own tokio task, which a multi-thread runtime may run on
//! any of its workers.

pub(crate) mod lock;
mod threads;

use crate::config::Config;
use crate::config::Runtime;
use crate::db;
use crate::demo;
use crate::events;
use crate::http;
use crate::limits::{self, MachineLimit};
use crate::narrate::{self, Explainer};
use crate::outcome::Outcome;
use crate::sink::Sink;
use crate::slowpoll::{Watch, Watchdog};
use crate::state;
use crate::vocab::{Mode, Work};
use crate::wait::{
    BlockInPlace, Blocking, BlockingCall, Runner, Sleep, SleepCall, SpawnBlocking, SpinCall, Wait,
    YieldingSpin,
};
use anyhow::Context;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// What becomes of the finished tasks' memory at the end of a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Teardown {
    /// Drop everything, as any Rust value is: for runs inside a longer-lived
    /// process (`compare`, the tests).
    Drop,
    /// Leave the joined tasks' memory as it is, because the process ends
    /// right after the summary and the OS takes all of it back in one go.
    /// Dropping them would only revisit every task's slot once more: about
    /// 0.25 s at ten million tasks (docs/benchmarks.md). Only after a run in which
    /// every task finished; a run stopped early drops its waiting tasks.
    LeaveToExit,
}

/// Runs the configured demo and waits for every task; `watch`, when given,
/// times every poll of every task (`--slow-poll`, and `compare`).
pub(crate) fn execute(
    config: &Config,
    sink: &Arc<Sink>,
    watch: Option<&Arc<Watch>>,
    teardown: Teardown,
) -> anyhow::Result<Outcome> {
    // Threads mode has no runtime thread to hold; nothing is watched there.
    let watch = watch.filter(|_| config.way.runtime.is_some() && config.way.mode != Mode::Threads);
    // Refuse a run the machine cannot hold before anything starts, and
    // take the one large allocation (the recorded events) while a failure
    // can still be an error rather than an abort.
    limits::check(config, task_thread_stack(config))?;
    let events = 2 * config.tasks as usize;
    sink.reserve_events(events).map_err(|_| {
        anyhow::Error::new(MachineLimit(format!(
            "no memory for the {events} events the pictures need; try a smaller -n"
        )))
    })?;
    // `--explain` follows the sink from here on; `None` without the flag.
    let explain = narrate::start(config, sink);
    let explain = explain.as_ref();
    let mut observed_delay = None;
    let (mut deadlock, mut locks) = (None, Vec::new());
    let delay = config.delay;
    // Every demo but `lock` runs its tasks through this; `fetch` and
    // `query` hand it to the room that makes their waits.
    let runner = Configured(config, sink, (watch, explain), teardown);
    let elapsed = match (&config.fetch, config.way.lock) {
        (_, Some(kind)) => {
            let (elapsed, found, marks) = lock::run(config, kind, sink, (watch, explain))?;
            (deadlock, locks) = (found, marks);
            elapsed
        }
        // The tasks' waits are database queries ([`db`]).
        (None, None) if config.query.is_some() => {
            let options = config.query.as_ref().expect("checked by the guard");
            db::query(delay, sink, options, runner)?
        }
        (None, None) if config.work == Work::Spin => runner.run(
            YieldingSpin {
                delay,
                sink: Arc::clone(sink),
            },
            SpinCall { delay },
        )?,
        (None, None) => runner.run(
            Sleep {
                delay,
                sink: sink.watches_timers().then(|| Arc::clone(sink)),
            },
            SleepCall { delay },
        )?,
        // The tasks' waits are HTTP requests ([`http`]); the quickest round
        // trip is the server's delay as the clients saw it.
        (Some(options), None) => {
            let (elapsed, observed) = http::fetch(delay, sink, options, runner)?;
            observed_delay = observed;
            elapsed
        }
    };
    // The followers' last word before the summary (the narration's end);
    // a deadlocked run did not finish: it stalled, and the diagnosis says
    // why. The NDJSON stream's last state changes come first either way.
    sink.last_state_changes();
    match deadlock {
        None => sink.finished(),
        Some(_) => sink.stalled(),
    }
    Ok(Outcome {
        elapsed,
        completed: sink.completed(),
        failed: sink.failed(),
        observed_delay,
        polls: watch.map(|w| w.polls()),
        deadlock,
        locks,
    })
}

/// Who times the tasks' polls: `--slow-poll`'s watch and `--explain`'s
/// explainer (at most one of them; the command line lets only one in).
type PollTimers<'a> = (Option<&'a Arc<Watch>>, Option<&'a Arc<Explainer>>);

/// The tasks run the configured way, once a demo has made their waits:
/// every demo but `lock` goes through it, `fetch` and `query` by way of
/// the room that makes their waits ([`http`], [`db`]).
#[derive(Clone, Copy)]
struct Configured<'a>(&'a Config, &'a Arc<Sink>, PollTimers<'a>, Teardown);

impl Runner for Configured<'_> {
    /// Runs the tasks: `nonblocking` is their wait in async mode, and
    /// `blocking` the call every other mode makes.
    fn run<A, B>(self, nonblocking: A, blocking: B) -> anyhow::Result<Duration>
    where
        A: Wait + Send + 'static,
        B: BlockingCall,
    {
        let Configured(config, sink, ..) = self;
        match (config.way.mode, config.way.runtime) {
            (Mode::Threads, _) | (_, None) => {
                let wait = Arc::new(Blocking::new(blocking, sink));
                let spawn = threads::os_threads(B::STACK_BYTES);
                threads::on_threads(config.tasks, sink, wait, spawn)
            }
            (Mode::Async, Some(runtime)) => on_runtime(self, runtime, nonblocking),
            (Mode::Blocking, Some(runtime)) => {
                on_runtime(self, runtime, Blocking::new(blocking, sink))
            }
            (Mode::SpawnBlocking, Some(runtime)) => {
                sink.overlap_in_pool();
                on_runtime(self, runtime, SpawnBlocking::new(blocking, sink))
            }
            (Mode::BlockInPlace, Some(runtime)) => {
                on_runtime(self, runtime, BlockInPlace::new(blocking, sink))
            }
        }
    }
}

/// Builds the runtime and drives the tasks on it, joined or spawned.
fn on_runtime<W: Wait + Send + 'static>(
    Configured(config, sink, (watch, explain), teardown): Configured<'_>,
    runtime: Runtime,
    wait: W,
) -> anyhow::Result<Duration> {
    let rt = build_runtime(runtime, config, sink)?;
    if matches!(config.way.mode, Mode::SpawnBlocking | Mode::BlockInPlace) {
        start_blocking_pool(&rt)?;
    }
    // Started before the tasks and stopped (dropped) after them.
    let _watchdog = match watch {
        Some(watch) if watch.warns() => Some(Watchdog::start(watch)?),
        _ => None,
    };
    // Without a watch the tasks are exactly the plain coroutines: the
    // watched versions are separate functions, so the unwatched run pays
    // nothing for them, not even a branch per poll. `--explain` times the
    // polls as `--slow-poll` does, with its explainer for the watch.
    // A view that asked for the task-state model (the pictures) has every
    // poll noted and every waker wrapped: the model's watcher, alone or
    // beside the watch or the explainer.
    let model = sink
        .log()
        .map(|log| Arc::new(state::Watcher(Arc::clone(log))));
    let run = async {
        match (config.way.spawn, watch, explain) {
            (spawn, watch, explain) if model.is_some() => {
                let model = model.clone().unwrap_or_else(|| unreachable!());
                match (watch, explain) {
                    (Some(watch), _) => {
                        let both = Arc::new(state::Both(model, Arc::clone(watch)));
                        watched(sink, config, spawn, wait, &both, teardown).await
                    }
                    (None, Some(explain)) => {
                        let both = Arc::new(state::Both(model, Arc::clone(explain)));
                        watched(sink, config, spawn, wait, &both, teardown).await
                    }
                    // Joined, only the tasks the model observes are
                    // wrapped: the others stay the plain coroutines, as
                    // small and as cheap to poll as in a run with no view.
                    (None, None) if !spawn && model.0.observed_tasks() < config.tasks => {
                        let observed = model.0.observed_tasks();
                        join_split(
                            sink,
                            (observed, config.tasks),
                            teardown,
                            |id| demo::task(id, sink, &wait),
                            &*model,
                        )
                        .await
                    }
                    (None, None) => watched(sink, config, spawn, wait, &model, teardown).await,
                }
            }
            (false, None, None) => {
                join_tasks(sink, config.tasks, teardown, |id| {
                    demo::task(id, sink, &wait)
                })
                .await
            }
            (false, Some(watch), _) => {
                join_watched(sink, config.tasks, &wait, &**watch, teardown).await
            }
            (false, None, Some(explain)) => {
                join_watched(sink, config.tasks, &wait, &**explain, teardown).await
            }
            (true, None, None) => {
                let wait = Arc::new(wait);
                spawn_tasks(sink, config.tasks, |id| owned_task(id, sink, &wait)).await
            }
            (true, Some(watch), _) => spawn_watched(sink, config.tasks, wait, watch).await,
            (true, None, Some(explain)) => spawn_watched(sink, config.tasks, wait, explain).await,
        }
    };
    let elapsed = match runtime {
        // The thread that calls `block_on` is the runtime's only thread,
        // and its park hook (below) flushes whenever it is about to wait.
        Runtime::CurrentThread => rt.block_on(run),
        // Here `block_on` polls on the calling thread, which is none of the
        // runtime's workers: no park hook runs when it waits. Without a
        // flush of its own, the lines the joined tasks printed on it would
        // sit in the buffer through the whole pause, and a pipe would get
        // `One` together with `Two`.
        Runtime::MultiThread(_) => {
            rt.block_on(flushed_when_waiting(sink, run, narrate::forwards(config)))
        }
    };
    // Don't wait for leftovers: after a failed write the run ends early, and
    // a blocking-pool thread may still be inside a long sleep. Dropping the
    // runtime would wait for it; shutting down in the background does not.
    rt.shutdown_background();
    Ok(elapsed)
}

/// `future`, with the sink flushed each time a poll of it returns `Pending`:
/// the moment the thread that polls it is about to wait. With `tell`
/// (`--explain`), that wait and the return from it are told as well.
///
/// Once per wait of the whole run, not once per line: `future` is the one
/// future that joins (or spawns) every task, and it returns `Pending` only
/// when none of the tasks it polls can go on.
async fn flushed_when_waiting<F: Future>(sink: &Sink, future: F, tell: bool) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut waited = false;
    std::future::poll_fn(|cx| {
        if waited && tell {
            sink.caller_waits(false);
        }
        let poll = future.as_mut().poll(cx);
        waited = poll.is_pending();
        if waited {
            if tell {
                sink.caller_waits(true);
            }
            // A failed flush is kept by the sink, which stops the run.
            sink.flush();
        }
        poll
    })
    .await
}

/// The stack of a `--mode threads` thread: what its blocking call needs
/// ([`BlockingCall::STACK_BYTES`]): a sleep needs little, an HTTP client
/// more.
fn task_thread_stack(config: &Config) -> u64 {
    if config.fetch.is_some() {
        return crate::http::CLIENT_STACK_BYTES as u64;
    }
    if config.query.is_some() {
        return crate::db::STACK_BYTES as u64;
    }
    crate::wait::SleepCall::STACK_BYTES as u64
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
    if config.fetch.is_some() || config.query.is_some() {
        builder.enable_io();
    }
    let threads_followed = sink.follows_threads();
    if threads_followed {
        // When each runtime thread woke up, for whoever follows the threads
        // (the pictures' thread lanes). Installed only then, so a plain run
        // has no extra hook.
        let sink = Arc::clone(sink);
        builder.on_thread_unpark(move || sink.park(false));
    }
    let sink = Arc::clone(sink);
    // Counts the runtime's threads as they start (see below).
    let started = Arc::new(AtomicUsize::new(0));
    builder
        .enable_time()
        // Just before a runtime thread parks (every task it could run is
        // waiting), push out the lines the tasks wrote. This is the one
        // moment a flush is both needed (a person is about to stare at a
        // pause) and cheap (once per pause, not once per line).
        .on_thread_park(move || {
            // The park is told first, so that what a follower writes about
            // it (`--explain`: "thread 1 parks") goes out with this flush.
            if threads_followed {
                sink.park(true);
            }
            sink.flush();
        })
        .on_thread_start({
            let started = Arc::clone(&started);
            move || {
                started.fetch_add(1, Ordering::SeqCst);
            }
        });
    // `limits::check` refuses worker counts the machine cannot hold, but a
    // limit it cannot see (`ulimit -u`, a cgroup's pid limit) still makes
    // the OS refuse a worker. tokio then panics ("OS can't spawn worker
    // thread"), and unwinding waits forever for the workers already
    // started; or, if some had started, it queues the refused worker behind
    // them, and the run hangs. So the runtime is built on a thread of its
    // own that the run does not wait for past a deadline, and the workers
    // are counted as they start.
    let refused = |started: usize| {
        limits::thread_refused(
            &format!("a worker thread after {started} started"),
            None,
            ", or use fewer --workers",
        )
    };
    let deadline = std::time::Instant::now() + WORKER_START_PATIENCE;
    let built = build_within(builder, WORKER_START_PATIENCE)?;
    let rt = match built {
        Some(Ok(rt)) => rt,
        Some(Err(err)) => return Err(err).context("starting the tokio runtime"),
        None => return Err(refused(started.load(Ordering::SeqCst))),
    };
    if let Runtime::MultiThread(workers) = runtime {
        while started.load(Ordering::SeqCst) < workers {
            if std::time::Instant::now() > deadline {
                rt.shutdown_background();
                return Err(refused(started.load(Ordering::SeqCst)));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    Ok(rt)
}

/// Starts the first thread of tokio's blocking pool before the tasks run.
///
/// tokio starts the pool's threads on demand, and when the OS refuses the
/// first one (`ulimit -u`) it panics inside the task that asked ("OS can't
/// spawn worker thread"), a panic no task can turn into an error; once
/// one thread exists, a refused one only queues the call for it. So the
/// first is asked for here, where a refusal is still the thread-limit
/// error. It waits, idle, for the first call (`spawn_blocking`, or the
/// worker `block_in_place` hands its others to), which it then takes as a
/// thread started for it would.
fn start_blocking_pool(rt: &tokio::runtime::Runtime) -> anyhow::Result<()> {
    // tokio's message and backtrace would only add noise to the one line.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let started =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| rt.spawn_blocking(|| ())));
    std::panic::set_hook(hook);
    started
        .map(drop)
        .map_err(|_| limits::thread_refused("the first thread of tokio's blocking pool", None, ""))
}

/// How long the workers of a multi-thread runtime may take to start. A
/// thousand start in a few milliseconds; one the OS refused never does.
const WORKER_START_PATIENCE: Duration = Duration::from_millis(1500);

/// Builds the runtime on a thread of its own and waits for it at most
/// `patience`: `None` if the build panicked or did not end in time (the
/// thread is then left behind; the process is about to end with an error).
/// The OS refusing that thread is the error.
fn build_within(
    mut builder: tokio::runtime::Builder,
    patience: Duration,
) -> anyhow::Result<Option<std::io::Result<tokio::runtime::Runtime>>> {
    let (done, built) = std::sync::mpsc::channel();
    // The panic is reported as one line by the caller; tokio's message and
    // backtrace would only add noise.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let thread = std::thread::Builder::new().name("runtime-builder".into());
    let spawned = limits::spawn(
        thread,
        "the thread that starts the tokio runtime",
        move || {
            let built = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| builder.build()));
            if let Ok(built) = built {
                let _ = done.send(built);
            }
        },
    );
    let result = spawned.map(|_| built.recv_timeout(patience).ok());
    std::panic::set_hook(hook);
    result
}

/// Starts `tasks` coroutines that wait with `wait` and joins them all inside
/// this one future: the analog of `asyncio.gather(count(), count(), ...)`.
///
/// Returns the elapsed time, measured with tokio's clock so that tests on a
/// paused clock see exact virtual time.
#[cfg(test)]
pub(crate) async fn join<W: Wait>(sink: &Sink, tasks: u32, wait: &W) -> Duration {
    join_tasks(sink, tasks, Teardown::Drop, |id| demo::task(id, sink, wait)).await
}

/// Builds `tasks` coroutines with `task` and joins them, timing the whole:
/// building, running and dropping them.
///
/// `join_all` is one future that polls its N children itself, on the
/// thread that polls it. `gather` differs: it wraps each coroutine in a
/// Task of its own, which the loop schedules. On one thread both give the
/// same output, since each child runs until its first wait either way.
/// Under `Runtime::block_on` that thread is the calling thread, not a
/// worker, so even a multi-thread runtime runs these children on one
/// thread: concurrency without parallelism.
///
/// Why `futures_buffered::join_all` rather than `futures::future::join_all`:
/// the latter boxes every coroutine into a node of its own (an `Arc` per
/// task, linked into a `FuturesUnordered`), a million small allocations for
/// a million tasks. `futures_buffered` keeps all the coroutines in one
/// array, and all their wakers in a second one, so building the tasks
/// costs two allocations whatever N is. Both poll exactly the same
/// coroutines, each only when its own waker fired (docs/benchmarks.md has
/// the figures).
async fn join_tasks<F: Future>(
    sink: &Sink,
    tasks: u32,
    teardown: Teardown,
    task: impl FnMut(u32) -> F,
) -> Duration {
    timed(sink, teardown, || {
        futures_buffered::join_all((1..=tasks).map(task))
    })
    .await
}

/// [`join_tasks`], with the polls of tasks 1 to `observed` (of `tasks`)
/// told to `watch`, and the rest plain: two arrays, one of wrapped
/// coroutines and one of plain ones, joined together, polled in task order.
async fn join_split<F: Future, P: events::PollFollower>(
    sink: &Sink,
    (observed, tasks): (u32, u32),
    teardown: Teardown,
    mut task: impl FnMut(u32) -> F,
    watch: &P,
) -> Duration {
    timed(sink, teardown, || {
        // Built one after the other, in task order: `task` is `FnMut`.
        let watched: Vec<_> = (1..=observed)
            .map(|id| events::polled(watch, id, task(id)))
            .collect();
        let watched = futures_buffered::join_all(watched);
        let plain = futures_buffered::join_all((observed + 1..=tasks).map(task));
        futures::future::join(watched, plain)
    })
    .await
}

/// [`join_tasks`], with every poll of every coroutine timed by `watch`.
async fn join_watched<W: Wait, P: events::PollFollower>(
    sink: &Sink,
    tasks: u32,
    wait: &W,
    watch: &P,
    teardown: Teardown,
) -> Duration {
    join_tasks(sink, tasks, teardown, |id| {
        events::polled(watch, id, demo::task(id, sink, wait))
    })
    .await
}

/// The tasks, joined or `spawn`ed, with every poll told to `watch`.
async fn watched<W, P>(
    sink: &Arc<Sink>,
    config: &Config,
    spawn: bool,
    wait: W,
    watch: &Arc<P>,
    teardown: Teardown,
) -> Duration
where
    W: Wait + Send + 'static,
    P: events::PollFollower + Send + 'static,
{
    if spawn {
        spawn_watched(sink, config.tasks, wait, watch).await
    } else {
        join_watched(sink, config.tasks, &wait, &**watch, teardown).await
    }
}

/// [`spawn_tasks`], with every poll of every task timed by `watch`.
async fn spawn_watched<W, P>(sink: &Arc<Sink>, tasks: u32, wait: W, watch: &Arc<P>) -> Duration
where
    W: Wait + Send + 'static,
    P: events::PollFollower + Send + 'static,
{
    let wait = Arc::new(wait);
    spawn_tasks(sink, tasks, |id| {
        let task = owned_task(id, sink, &wait);
        events::polled_owned(Arc::clone(watch), id, task)
    })
    .await
}

/// Task `id`'s coroutine, owning its handles to the shared sink and
/// waiter: `spawn` needs futures that own what they use (`'static`).
fn owned_task<W: Wait + Send + 'static>(
    id: u32,
    sink: &Arc<Sink>,
    wait: &Arc<W>,
) -> impl Future<Output = ()> + Send + 'static {
    let (sink, wait) = (Arc::clone(sink), Arc::clone(wait));
    async move { demo::task(id, &sink, &*wait).await }
}

/// Spawns each coroutine that `task` builds as its own tokio task and waits
/// for them all (`--spawn`). A multi-thread runtime can then run the tasks
/// on all its workers at once, which is the only way blocking tasks overlap
/// there.
async fn spawn_tasks<F: Future<Output = ()> + Send + 'static>(
    sink: &Sink,
    tasks: u32,
    mut task: impl FnMut(u32) -> F,
) -> Duration {
    timed(sink, Teardown::Drop, || async {
        // A `JoinSet` rather than a `Vec` of handles: it hands back each
        // task as it ends, keeps no result we would ignore, and aborts any
        // task still running if the run stops early and the set is dropped.
        let mut set = tokio::task::JoinSet::new();
        for id in 1..=tasks {
            set.spawn(task(id));
            // Collect the tasks that ended meanwhile, every so often. Once
            // starting them all takes longer than the delay (a few million
            // tasks), the first ones end while the last are still being
            // spawned; collected only at the end, every finished task would
            // keep its memory until then: 5.6 GB at ten million tasks
            // instead of 0.9 to 1.6 GB (docs/benchmarks.md).
            if id % 1024 == 0 {
                while set.try_join_next().is_some() {}
            }
        }
        // A task cannot fail (a failed wait is reported through the sink),
        // so the join results carry nothing to look at.
        while set.join_next().await.is_some() {}
    })
    .await
}

/// Builds the joined tasks with `build` and runs them to the end, or until
/// the output fails. Returns how long all of it took.
///
/// The clock starts *before* the tasks are built and stops once they are
/// done with: dropped, or, with [`Teardown::LeaveToExit`], left for the OS.
/// Python's `perf_counter()` around `asyncio.run(main())` covers creating
/// the coroutines, running them and closing the loop in the same way.
/// Building a million tasks is not free (their memory is touched for the
/// first time then), and a summary that left it out would report less than
/// the user waited.
async fn timed<F: Future>(sink: &Sink, teardown: Teardown, build: impl FnOnce() -> F) -> Duration {
    let start = Instant::now();
    sink.start(start);
    // Why `unconstrained`: tokio gives each task a budget of 128 resource
    // polls per turn, after which a `Sleep` (or a `JoinHandle`) answers
    // `Pending` even when it is ready. `futures::future::join_all` then
    // re-polls the refused ones over and over, and a run of a million tasks
    // turns quadratic; `futures_buffered` stays linear but still hands the
    // thread back every 128 sleeps for nothing. The budget exists to keep
    // one task from starving others on its thread; here this future *is*
    // the program, so there is nobody to starve, and lifting the budget is
    // the honest fix. (docs/benchmarks.md has the measurements.) Boxed so
    // that it can be left undropped below.
    let mut all = Box::pin(tokio::task::unconstrained(build()));
    let finished = tokio::select! {
        biased;
        _ = all.as_mut() => true,
        // A failed write (say, `| head -1` closed the pipe): stop waiting.
        () = sink.stopped() => false,
    };
    if finished && teardown == Teardown::LeaveToExit {
        // Every task has finished and freed what it held (its timer
        // included); what is left is the joiner's two arrays.
        std::mem::forget(all);
    } else {
        drop(all);
    }
    start.elapsed()
}

#[cfg(test)]
mod tests;
