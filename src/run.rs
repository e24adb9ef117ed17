//! The ways to run the tasks.
//!
//! Every mode runs the same coroutine, [`crate::demo::task`], N times. Modes
//! differ in *how a task waits* (the [`Wait`] it is given) and in *what
//! drives the tasks* (one runtime thread, several workers, or OS threads).
//! Those differences are what the tool exists to show:
//!
//! | mode             | a task waits with                        | meanwhile                                 |
//! |------------------|------------------------------------------|-------------------------------------------|
//! | `async`          | `tokio::time::sleep(d).await`            | its thread runs the other tasks           |
//! | `blocking`       | `std::thread::sleep(d)`                  | its thread is stuck: nothing else runs    |
//! | `threads`        | `std::thread::sleep(d)` on its own thread | every task holds a whole OS thread        |
//! | `spawn-blocking` | `spawn_blocking(sleep).await`            | a blocking-pool thread sleeps, the executor runs on |
//!
//! For `fetch`, the wait is a request to a slow server instead of a sleep:
//! `tokio::net` for `async`, `std::net` for the blocking modes
//! ([`crate::net`]). Every mode works the same way for it.
//!
//! Under a tokio runtime the tasks are either polled together inside one
//! `join_all` (the default, like `asyncio.gather`) or, with `--spawn`, each
//! spawned as its own tokio task, which a multi-thread runtime may run on
//! any of its workers.

use crate::config::Config;
use crate::demo;
use crate::net;
use crate::sink::Sink;
use anyhow::Context;
use clap::ValueEnum;
use futures::future::join_all;
use serde::{Deserialize, Serialize};
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;
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
    /// Each task on its own OS thread, calling std::thread::sleep.
    Threads,
    /// Each task's blocking sleep goes to tokio's blocking pool (spawn_blocking).
    SpawnBlocking,
}

impl Mode {
    /// The name used on the command line and in every report.
    pub const fn name(self) -> &'static str {
        match self {
            Mode::Async => "async",
            Mode::Blocking => "blocking",
            Mode::Threads => "threads",
            Mode::SpawnBlocking => "spawn-blocking",
        }
    }
}

/// Which tokio runtime drives the tasks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuntimeKind {
    /// One thread runs every task, like asyncio's single-threaded event loop.
    CurrentThread,
    /// A pool of worker threads (--workers) runs the tasks.
    MultiThread,
}

impl RuntimeKind {
    /// The name used on the command line and in every report.
    pub const fn name(self) -> &'static str {
        match self {
            RuntimeKind::CurrentThread => "current-thread",
            RuntimeKind::MultiThread => "multi-thread",
        }
    }
}

/// A runtime with its size: what [`crate::config::Config`] settles on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Runtime {
    /// One thread.
    CurrentThread,
    /// This many worker threads.
    MultiThread(usize),
}

impl Runtime {
    /// The kind, for reports.
    pub const fn kind(self) -> RuntimeKind {
        match self {
            Runtime::CurrentThread => RuntimeKind::CurrentThread,
            Runtime::MultiThread(_) => RuntimeKind::MultiThread,
        }
    }

    /// The worker count of a multi-thread runtime.
    pub const fn workers(self) -> Option<usize> {
        match self {
            Runtime::CurrentThread => None,
            Runtime::MultiThread(workers) => Some(workers),
        }
    }
}

/// What a finished run measured.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// From the first task's start to the last task's end.
    pub elapsed: Duration,
    /// Tasks that printed their last line.
    pub completed: u32,
    /// For `fetch`: the quickest request's round trip, i.e. the server's
    /// delay as the client saw it. `None` for the sleeping demos.
    pub observed_delay: Option<Duration>,
}

/// How a task waits: the one thing that changes between modes.
///
/// `Sync` because every task borrows the same waiter; the returned future is
/// `Send` so that, with `--spawn` on a multi-thread runtime, a task may move
/// between worker threads. It resolves to `false` when the wait failed (the
/// error has then been handed to the sink, which stops the run).
pub trait Wait: Sync {
    /// The wait between task `id`'s two lines.
    fn wait(&self, id: u32) -> impl Future<Output = bool> + Send;
}

/// Non-blocking: the analog of `await asyncio.sleep(delay)`.
pub struct Sleep {
    /// How long each task waits.
    pub delay: Duration,
}

impl Wait for Sleep {
    fn wait(&self, _id: u32) -> impl Future<Output = bool> + Send {
        // `sleep` registers a timer and returns `Pending`; the executor then
        // polls the other tasks and, once all of them wait, parks the thread
        // until the earliest timer is due. Nobody holds the thread meanwhile.
        //
        // `map`, not `async move { sleep.await; true }`: an async block keeps
        // the captured `Sleep` *and* a second copy in its await slot, which
        // doubled this future, and a million-task run holds a million.
        futures::FutureExt::map(tokio::time::sleep(self.delay), |()| true)
    }
}

/// A call that holds its thread until the wait is over: `std::thread::sleep`
/// or a `std::net` request. The same call is made inside a coroutine
/// ([`Blocking`]), on a thread per task ([`on_threads`]), or on tokio's
/// blocking pool ([`SpawnBlocking`]).
pub trait BlockingCall: Send + Sync + 'static {
    /// Waits for task `id`; `false` if the wait failed (reported to the sink).
    fn call(&self, id: u32) -> bool;

    /// Whether the call blocks at all (a zero sleep does not, so nothing
    /// needs flushing before it).
    fn blocks(&self) -> bool {
        true
    }
}

/// `std::thread::sleep(delay)`: the analog of Python's `time.sleep`.
pub struct SleepCall {
    /// How long each call sleeps.
    pub delay: Duration,
}

impl BlockingCall for SleepCall {
    fn call(&self, _id: u32) -> bool {
        std::thread::sleep(self.delay);
        true
    }

    fn blocks(&self) -> bool {
        !self.delay.is_zero()
    }
}

/// A blocking call made right inside the coroutine: the analog of calling
/// `time.sleep` (or `requests.get`) inside an `async def`.
pub struct Blocking<B> {
    /// The call that blocks.
    pub call: B,
    /// Flushed before blocking, so the lines printed so far are on screen
    /// while the thread is held.
    pub sink: Arc<Sink>,
}

impl<B: BlockingCall> Wait for Blocking<B> {
    async fn wait(&self, id: u32) -> bool {
        if !self.call.blocks() {
            return self.call.call(id);
        }
        // The thread is about to block, and the runtime cannot run its park
        // hook while it does: flush here, or the lines would sit in the
        // buffer for the whole wait. If the run has stopped (the output is
        // gone, or another fetch failed), skip the wait: nobody will see
        // what follows it.
        if !self.sink.flush() {
            return false;
        }
        // No `.await`: the poll itself does not return until the call
        // ends, so the executor cannot run any other task on this thread.
        // This is the mistake the demo exists to show.
        self.call.call(id)
    }
}

/// The fix for a blocking call in async code: the analog of
/// `await asyncio.to_thread(time.sleep, delay)`.
pub struct SpawnBlocking<B> {
    /// The call, shared with the blocking-pool threads that make it.
    pub call: Arc<B>,
}

impl<B: BlockingCall> Wait for SpawnBlocking<B> {
    fn wait(&self, id: u32) -> impl Future<Output = bool> + Send {
        let call = Arc::clone(&self.call);
        async move {
            // The blocking call moves to a thread of tokio's blocking pool,
            // and this task awaits its completion like any other future: the
            // executor thread stays free. The pool has `max_blocking_threads`
            // threads (512 by default); further calls queue for a free one.
            // A join error would mean the call panicked; count it as failed.
            tokio::task::spawn_blocking(move || call.call(id))
                .await
                .unwrap_or(false)
        }
    }
}

/// Runs the configured demo and waits for every task.
pub fn execute(config: &Config, sink: &Arc<Sink>) -> anyhow::Result<Outcome> {
    let mut observed_delay = None;
    let elapsed = match &config.fetch {
        None => {
            let delay = config.delay;
            drive(config, sink, Sleep { delay }, SleepCall { delay })?
        }
        Some(options) => {
            // Without --server, a server of our own on a thread of its own
            // (see `net::BuiltIn`); it stops when `_server` is dropped.
            let (addr, _server) = match options.server {
                Some(addr) => (addr, None),
                None => {
                    let server = net::BuiltIn::start(config.delay)?;
                    (server.addr(), Some(server))
                }
            };
            let client = Arc::new(net::Client::new(addr, options.timeout, Arc::clone(sink)));
            let elapsed = drive(
                config,
                sink,
                net::AsyncFetch(Arc::clone(&client)),
                net::BlockingFetch(Arc::clone(&client)),
            )?;
            observed_delay = client.fastest();
            elapsed
        }
    };
    Ok(Outcome {
        elapsed,
        completed: sink.lock().completed,
        observed_delay,
    })
}

/// Runs the tasks the configured way: `nonblocking` is their wait in async
/// mode, and `blocking` the call every other mode makes.
fn drive<A, B>(
    config: &Config,
    sink: &Arc<Sink>,
    nonblocking: A,
    blocking: B,
) -> anyhow::Result<Duration>
where
    A: Wait + Send + 'static,
    B: BlockingCall,
{
    match (config.mode, config.runtime) {
        (Mode::Threads, _) | (_, None) => {
            let wait = Arc::new(Blocking {
                call: blocking,
                sink: Arc::clone(sink),
            });
            on_threads(config.tasks, sink, wait, os_threads())
        }
        (Mode::Async, Some(runtime)) => on_runtime(config, runtime, sink, nonblocking),
        (Mode::Blocking, Some(runtime)) => {
            let wait = Blocking {
                call: blocking,
                sink: Arc::clone(sink),
            };
            on_runtime(config, runtime, sink, wait)
        }
        (Mode::SpawnBlocking, Some(runtime)) => {
            let wait = SpawnBlocking {
                call: Arc::new(blocking),
            };
            on_runtime(config, runtime, sink, wait)
        }
    }
}

/// Builds the runtime and drives the tasks on it, joined or spawned.
fn on_runtime<W: Wait + Send + 'static>(
    config: &Config,
    runtime: Runtime,
    sink: &Arc<Sink>,
    wait: W,
) -> anyhow::Result<Duration> {
    let rt = build_runtime(runtime, config, sink)?;
    let elapsed = rt.block_on(async {
        if config.spawn {
            spawn_all(sink, config.tasks, Arc::new(wait)).await
        } else {
            join(sink, config.tasks, &wait).await
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
    if let Some(threads) = config.blocking_threads {
        builder.max_blocking_threads(threads);
    }
    // Sockets need tokio's I/O driver; the sleeping demos don't, and go
    // without it (their runtime then parks on a plain condition variable).
    if config.fetch.is_some() {
        builder.enable_io();
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
        })
        .build()
        .context("starting the tokio runtime")
}

/// Starts `tasks` coroutines that wait with `wait` and joins them all inside
/// this one future: the analog of `asyncio.gather(count(), count(), ...)`.
///
/// Returns the elapsed time, measured with tokio's clock so that tests on a
/// paused clock see exact virtual time.
pub async fn join<W: Wait>(sink: &Sink, tasks: u32, wait: &W) -> Duration {
    // `join_all` polls every coroutine inside this one future, on the thread
    // that polls it, just as `gather` does on asyncio's loop: concurrency
    // without parallelism, even on a multi-thread runtime. Each element is
    // its own coroutine with its own wait.
    timed(
        sink,
        join_all((1..=tasks).map(|id| demo::task(id, sink, wait))),
    )
    .await
}

/// Spawns each coroutine as its own tokio task and joins the handles
/// (`--spawn`). A multi-thread runtime can then run the tasks on all its
/// workers at once, which is the only way blocking tasks overlap there.
pub async fn spawn_all<W: Wait + Send + 'static>(
    sink: &Arc<Sink>,
    tasks: u32,
    wait: Arc<W>,
) -> Duration {
    // `tokio::spawn` needs futures that own what they use ('static), so
    // each task holds its own handles to the shared sink and waiter.
    let spawn = |id| {
        let (sink, wait) = (Arc::clone(sink), Arc::clone(&wait));
        tokio::spawn(async move { demo::task(id, &sink, &*wait).await })
    };
    timed(sink, async { join_all((1..=tasks).map(spawn)).await }).await
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

/// Starts one OS thread, given how many were started before it; the seam
/// where tests make thread creation fail.
pub trait SpawnThread: FnMut(u32, Box<dyn FnOnce() + Send>) -> io::Result<JoinHandle<()>> {}
impl<F: FnMut(u32, Box<dyn FnOnce() + Send>) -> io::Result<JoinHandle<()>>> SpawnThread for F {}

/// Starts a thread with a small stack.
///
/// A sleeping task needs almost no stack, and the default 2 MiB reservation
/// per thread would exhaust the address space long before the limits this
/// mode is meant to show.
fn spawn_os_thread(body: Box<dyn FnOnce() + Send>) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .stack_size(64 * 1024)
        .spawn(body)
}

/// The real [`SpawnThread`]: refuses a thread before the kernel's limit on
/// memory mappings would be crossed, and otherwise asks the OS.
///
/// Why not just let the OS refuse? On Linux every thread takes 4 mappings
/// (its stack, the stack's guard page, and std's signal stack with its own
/// guard), and `vm.max_map_count` is 65,530 by default: about 16,000 threads.
/// At that point `pthread_create` still succeeds, but the *new* thread
/// cannot map its signal stack, and std aborts the whole process from
/// inside it, with no error to return. So the budget is checked here, while
/// a clean error is still possible. Other limits (`pid_max`, `threads-max`,
/// memory) make `spawn` itself fail, which the caller reports the same way.
fn os_threads() -> impl SpawnThread {
    let budget = MapBudget::read();
    move |started, body| {
        if let Some(budget) = &budget {
            budget.check(started)?;
        }
        spawn_os_thread(body)
    }
}

/// How many more threads fit under `vm.max_map_count` (Linux).
struct MapBudget {
    /// The kernel's limit on this process's memory mappings.
    max: u64,
    /// Mappings in use when the run started.
    in_use: u64,
}

impl MapBudget {
    /// Mappings each thread adds (measured: 4 per thread on Linux/glibc).
    const PER_THREAD: u64 = 4;
    /// Left for everything else: the allocator, the runtime, the signal thread.
    const RESERVE: u64 = 1024;

    /// Reads the limit and the current count; `None` where /proc says nothing.
    fn read() -> Option<MapBudget> {
        let max = std::fs::read_to_string("/proc/sys/vm/max_map_count").ok()?;
        let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
        Some(MapBudget {
            max: max.trim().parse().ok()?,
            in_use: maps.lines().count() as u64,
        })
    }

    fn check(&self, started: u32) -> io::Result<()> {
        let needed = self.in_use + Self::PER_THREAD * (u64::from(started) + 1) + Self::RESERVE;
        if needed > self.max {
            return Err(io::Error::other(format!(
                "one more would pass the kernel's limit of {} memory mappings \
                 (vm.max_map_count; each thread takes {})",
                self.max,
                Self::PER_THREAD
            )));
        }
        Ok(())
    }
}

/// `--mode threads`: each task runs on its own OS thread.
///
/// Each thread drives the very same coroutine with a blocking wait, using
/// `futures::executor::block_on`, the smallest executor there is: that
/// coroutine never waits for a wake-up, so one poll runs it to the end.
/// The threads give real concurrency (N sleeps at once) at the price of a
/// thread each, and the OS refuses threads at some count, where this mode
/// fails and `--mode async` carries on.
pub fn on_threads<W: Wait + Send + 'static>(
    tasks: u32,
    sink: &Arc<Sink>,
    wait: Arc<W>,
    mut spawn: impl SpawnThread,
) -> anyhow::Result<Duration> {
    let start = Instant::now();
    sink.start(start);
    let mut threads = Vec::with_capacity(tasks as usize);
    for id in 1..=tasks {
        let (sink, wait) = (Arc::clone(sink), Arc::clone(&wait));
        let body = Box::new(move || futures::executor::block_on(demo::task(id, &sink, &*wait)));
        match spawn(id - 1, body) {
            Ok(thread) => threads.push(thread),
            // The threads already started are asleep and cannot be woken;
            // returning the error ends the process (exit 2), which ends them.
            Err(err) => {
                return Err(err).with_context(|| {
                    format!(
                        "could not start thread {id} of {tasks} after {} started \
                         (use --mode async: a waiting task needs no thread)",
                        id - 1
                    )
                });
            }
        }
    }
    for thread in threads {
        // A task thread cannot panic (it prints, sleeps and prints), so a
        // join error would be a bug worth reporting rather than hiding.
        if thread.join().is_err() {
            anyhow::bail!("a task thread panicked");
        }
    }
    Ok(start.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo::{Demo, Phase};
    use crate::sink::{Event, Live, tests::Captured};

    fn recording_sink(demo: Demo) -> (Arc<Sink>, Captured) {
        let captured = Captured::default();
        let sink = Sink::new(Box::new(captured.clone()), demo, Live::Plain, true);
        (Arc::new(sink), captured)
    }

    fn sleeping_threads(sink: &Arc<Sink>, delay: Duration) -> Arc<Blocking<SleepCall>> {
        Arc::new(Blocking {
            call: SleepCall { delay },
            sink: Arc::clone(sink),
        })
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

    /// Spawned async tasks on a current-thread runtime overlap just the same.
    #[tokio::test(start_paused = true)]
    async fn spawned_async_tasks_overlap_on_the_paused_clock() {
        let (sink, _) = recording_sink(Demo::Hello);
        let delay = Duration::from_millis(200);
        let elapsed = spawn_all(&sink, 50, Arc::new(Sleep { delay })).await;
        assert_eq!(elapsed, delay);
        let state = sink.lock();
        let events = state.events.as_ref().unwrap();
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
        assert_eq!(phases(state.events.as_ref().unwrap()), expected);
        drop(state);
        sink.flush();
        assert_eq!(captured.text(), "Hello ...\n... World!\n".repeat(3));
    }

    /// The thread limit, simulated: the OS refuses the fourth thread.
    #[test]
    fn a_refused_thread_is_a_clear_error_naming_how_many_started() {
        let refuse_after_three = |started, body| {
            if started >= 3 {
                return Err(io::Error::from_raw_os_error(11)); // EAGAIN
            }
            spawn_os_thread(body)
        };
        let (sink, _) = recording_sink(Demo::Count);
        let wait = sleeping_threads(&sink, Duration::from_millis(1));
        let err = on_threads(100, &sink, wait, refuse_after_three).unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.starts_with("could not start thread 4 of 100 after 3 started"),
            "{message}"
        );
        assert!(message.contains("--mode async"), "{message}");
        assert!(message.contains("os error 11"), "{message}");
    }

    #[test]
    fn the_map_budget_refuses_before_the_kernel_limit() {
        let budget = MapBudget {
            max: 65_530,
            in_use: 50,
        };
        // (65530 - 50 - 1024) / 4 = 16,114 threads fit.
        assert!(budget.check(16_113).is_ok());
        let err = budget.check(16_114).unwrap_err();
        assert!(err.to_string().contains("65530 memory mappings"), "{err}");
    }

    #[test]
    fn threads_overlap_their_sleeps() {
        let (sink, captured) = recording_sink(Demo::Count);
        let delay = Duration::from_millis(50);
        let elapsed = on_threads(4, &sink, sleeping_threads(&sink, delay), os_threads()).unwrap();
        // Lower bound only; that 4 × 50 ms fit in far less than 200 ms is
        // checked with a loose ratio in the black-box tests.
        assert!(elapsed >= delay);
        assert_eq!(sink.lock().completed, 4);
        sink.flush();
        assert_eq!(captured.text().matches("Two").count(), 4);
    }
}
