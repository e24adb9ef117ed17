//! The ways of waiting: the one thing that changes between modes.
//!
//! Every task runs the same coroutine ([`crate::demo::task`]) and, between
//! its two lines, awaits one [`Wait`]. Which `Wait` it is given is the whole
//! lesson:
//!
//! | wait                  | a task waits with                 | meanwhile                                 |
//! |-----------------------|-----------------------------------|-------------------------------------------|
//! | [`Sleep`]             | `tokio::time::sleep(d).await`     | its thread runs the other tasks           |
//! | [`Blocking`]          | a [`BlockingCall`], in place      | its thread is stuck: nothing else runs    |
//! | [`SpawnBlocking`]     | `spawn_blocking(call).await`      | a blocking-pool thread waits, the executor runs on |
//!
//! A [`BlockingCall`] is `std::thread::sleep` ([`SleepCall`]) for the
//! sleeping demos, or a ureq HTTP request for `fetch` (`http::client`, in a
//! build with the `http` feature, which also has the non-blocking reqwest
//! client). `--mode threads` makes the same
//! blocking call, one OS thread per task, and `--mode block-in-place` makes
//! it inside `tokio::task::block_in_place` ([`in_place`]).
//!
//! `--work spin` swaps the sleep for a busy loop ([`spin`]): [`SpinCall`]
//! is the blocking call, and [`YieldingSpin`] the async wait, a loop that
//! yields the thread every millisecond.

mod in_place;
pub(crate) mod spin;

pub(crate) use in_place::BlockInPlace;
pub(crate) use spin::{SpinCall, YieldingSpin};

use crate::outcome::Ending;
use crate::sink::Sink;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

/// How a task waits: the one thing that changes between modes.
///
/// `Sync` because every task borrows the same waiter; the returned future is
/// `Send` so that, with `--spawn` on a multi-thread runtime, a task may move
/// between worker threads. It resolves to how the wait ended, which decides
/// the task's last line: a sleep is always `Done`; a request can fail.
pub(crate) trait Wait: Sync {
    /// The wait between task `id`'s two lines.
    fn wait(&self, id: u32) -> impl Future<Output = Ending> + Send;
}

/// What runs a demo's tasks once their waits exist: the runner's side of a
/// run, handed to the rooms that make waits of their own (`http::fetch`,
/// `db::query`) so that each owns its side and the runner the rest. The
/// sleeping and spinning demos go through it too.
pub(crate) trait Runner {
    /// Runs the tasks: `nonblocking` is their wait in async mode, and
    /// `blocking` the call every other mode makes. Returns the elapsed time.
    fn run<A, B>(self, nonblocking: A, blocking: B) -> anyhow::Result<Duration>
    where
        A: Wait + Send + 'static,
        B: BlockingCall;
}

/// Non-blocking: the analog of `await asyncio.sleep(delay)`.
pub(crate) struct Sleep {
    /// How long each task waits.
    pub(crate) delay: Duration,
    /// Told each timer's deadline when a view asked for the task-state
    /// model or `--explain` narrates ([`Sink::watches_timers`]); `None`
    /// otherwise.
    pub(crate) sink: Option<Arc<Sink>>,
}

impl Wait for Sleep {
    fn wait(&self, id: u32) -> impl Future<Output = Ending> + Send {
        let sleep = tokio::time::sleep(self.delay);
        // The deadline, from the timer itself: the model draws the sleep
        // *overdue* past it while no thread could fire the timer.
        if let Some(sink) = &self.sink {
            sink.armed(id, sleep.deadline());
        }
        // `sleep` registers a timer and returns `Pending`; the executor then
        // polls the other tasks and, once all of them wait, parks the thread
        // until the earliest timer is due. Nobody holds the thread meanwhile.
        //
        // `map`, not `async move { sleep.await; Ending::Done }`: an async
        // block keeps the captured `Sleep` *and* a second copy in its await
        // slot, which doubled this future, and a million-task run holds a
        // million.
        futures::FutureExt::map(sleep, |()| Ending::Done)
    }
}

/// A call that holds its thread until the wait is over: `std::thread::sleep`
/// or a ureq request. The same call is made inside a coroutine
/// ([`Blocking`]), on a thread per task (`--mode threads`), or on tokio's
/// blocking pool ([`SpawnBlocking`]).
pub(crate) trait BlockingCall: Send + Sync + 'static {
    /// The stack a thread making this call needs (`--mode threads` gives
    /// each task a thread of exactly this size). A sleep needs almost none.
    const STACK_BYTES: usize = 64 * 1024;

    /// Whether the call holds its thread idle (a sleep, a request), as
    /// opposed to running code on it (a busy loop): the model draws the
    /// first *held*, the second *polled*.
    const HOLDS: bool = true;

    /// Waits for task `id`, and says how the wait ended.
    fn call(&self, id: u32) -> Ending;

    /// Whether the call blocks at all (a zero sleep does not, so nothing
    /// needs flushing before it).
    fn blocks(&self) -> bool {
        true
    }
}

/// `std::thread::sleep(delay)`: the analog of Python's `time.sleep`.
pub(crate) struct SleepCall {
    /// How long each call sleeps.
    pub(crate) delay: Duration,
}

impl BlockingCall for SleepCall {
    fn call(&self, _id: u32) -> Ending {
        std::thread::sleep(self.delay);
        Ending::Done
    }

    fn blocks(&self) -> bool {
        !self.delay.is_zero()
    }
}

/// A blocking call made right inside the coroutine: the analog of calling
/// `time.sleep` (or `requests.get`) inside an `async def`.
pub(crate) struct Blocking<B> {
    /// The call that blocks.
    pub(crate) call: B,
    /// Flushed before blocking, so the lines printed so far are on screen
    /// while the thread is held.
    pub(crate) sink: Arc<Sink>,
}

impl<B> Blocking<B> {
    /// `call`, made in place, flushing `sink` first.
    pub(crate) fn new(call: B, sink: &Arc<Sink>) -> Blocking<B> {
        Blocking {
            call,
            sink: Arc::clone(sink),
        }
    }
}

impl<B: BlockingCall> Wait for Blocking<B> {
    async fn wait(&self, id: u32) -> Ending {
        if !self.call.blocks() {
            return self.call.call(id);
        }
        // The thread is about to block, and the runtime cannot run its park
        // hook while it does: flush first ([`held`]), or the lines would sit
        // in the buffer for the whole wait.
        // No `.await`: the poll itself does not return until the call
        // ends, so the executor cannot run any other task on this thread.
        // This is the mistake the demo exists to show.
        held(&self.sink, id, B::HOLDS, || self.call.call(id))
    }
}

/// `call()` after a flush, told to the model as a blocking call that holds
/// the thread when `holds`; `Stopped` without the call if the run has
/// stopped (the output is gone, or another fetch failed: nobody will see
/// what follows).
///
/// The call is told *before* the flush: once the flushed line is out, a
/// signal may conclude the run at any moment, and its picture must already
/// show the thread held.
pub(crate) fn held(sink: &Sink, id: u32, holds: bool, call: impl FnOnce() -> Ending) -> Ending {
    if holds {
        sink.held(id, true);
    }
    let ending = if sink.flush() {
        call()
    } else {
        Ending::Stopped
    };
    if holds {
        sink.held(id, false);
    }
    ending
}

/// The fix for a blocking call in async code: the analog of
/// `await asyncio.to_thread(time.sleep, delay)`.
pub(crate) struct SpawnBlocking<B> {
    /// The call, shared with the blocking-pool threads that make it.
    pub(crate) call: Arc<B>,
    /// Told when a call is handed over, and when a pool thread begins and
    /// ends it (the model's *queued* and *in the pool*; `peak_overlap`).
    pub(crate) sink: Arc<Sink>,
}

impl<B> SpawnBlocking<B> {
    /// `call`, handed to the blocking pool, telling `sink`.
    pub(crate) fn new(call: B, sink: &Arc<Sink>) -> SpawnBlocking<B> {
        SpawnBlocking {
            call: Arc::new(call),
            sink: Arc::clone(sink),
        }
    }
}

impl<B: BlockingCall> Wait for SpawnBlocking<B> {
    fn wait(&self, id: u32) -> impl Future<Output = Ending> + Send {
        let (call, sink) = (Arc::clone(&self.call), Arc::clone(&self.sink));
        async move {
            // The blocking call moves to a thread of tokio's blocking pool,
            // and this task awaits its completion like any other future: the
            // executor thread stays free. The pool has `max_blocking_threads`
            // threads (512 by default); further calls queue for a free one.
            // A join error would mean the call panicked; count it as failed.
            //
            // The closure tells its own start: with every pool thread busy,
            // it waits in the pool's queue first, and that is not the wait.
            sink.pool_queued(id);
            tokio::task::spawn_blocking(move || {
                sink.pool_call(id, true);
                let ending = call.call(id);
                sink.pool_call(id, false);
                ending
            })
            .await
            .unwrap_or_else(|err| Ending::Failed(format!("the blocking call failed: {err}")))
        }
    }
}
