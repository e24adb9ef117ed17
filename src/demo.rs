//! What each task does: the coroutine of the Python asyncio notes.
//!
//! ```python
//! async def count():              async def hello():
//!     print("One")                    print('Hello ...')
//!     await asyncio.sleep(1)          await asyncio.sleep(1)
//!     print("Two")                    print('... World!')
//! ```
//!
//! Both have the same shape: print a line, wait, print a line. Only the words
//! differ ([`crate::vocab::Demo`] knows them), so one Rust coroutine,
//! [`task`], serves both; *how* it waits is handed in from [`crate::wait`],
//! which is the whole point of the lesson.
//!
//! A third demo, `fetch`, has the same shape with a real wait: an HTTP
//! request to a slow server (`http::client`, in a build with the `http`
//! feature), the practical version of the notes' warning about `requests`
//! inside asyncio.

use crate::sink::Sink;
use crate::vocab::Phase;
use crate::wait::Wait;

/// One coroutine: the Rust twin of the notes' `async def count()`.
///
/// `id` numbers the task from 1. The sink turns `(id, phase)` into the line
/// the demo prints (or into an NDJSON event, or into nothing under
/// `--quiet`), so this body stays exactly as small as the Python one.
///
/// The body is the same in every mode. Whether `wait.wait().await` gives the
/// thread back to the executor (`tokio::time::sleep`) or holds it
/// (`std::thread::sleep`) is decided by the caller's `W`, and that single
/// difference is what the tool shows.
///
/// A wait can fail (a fetch whose server answered 404, or never answered);
/// then the task prints why instead of its last line, and the other tasks
/// go on. How the wait ended is used at once, never held across an
/// `.await`, so it adds nothing to the size of this future.
///
/// Why a function returning an `async move` block rather than an
/// `async fn` with the same body: a million-task run keeps a million of
/// these futures alive at once, so their size is the run's memory. Written
/// as an `async fn`, the compiler stored the arguments twice in the future
/// (152 bytes with tokio's 112-byte `Sleep`, measured); as a block that
/// captures them, once (136 bytes). The behaviour is the same: nothing runs
/// until the first poll.
#[allow(clippy::manual_async_fn)] // deliberate, see above
pub(crate) fn task<'a, W: Wait>(
    id: u32,
    sink: &'a Sink,
    wait: &'a W,
) -> impl Future<Output = ()> + Send + 'a {
    async move {
        sink.line(id, Phase::First);
        let ending = wait.wait(id).await;
        sink.end(id, ending);
    }
}
