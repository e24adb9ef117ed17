//! Ctrl-C and SIGTERM, in every mode.
//!
//! The usual tokio answer, `tokio::signal::ctrl_c().await` raced against the
//! work, needs the runtime to poll it. In blocking mode the runtime's only
//! thread is stuck inside `std::thread::sleep` and polls nothing, so such a
//! handler would not run until the sleep ended: `--delay 500years` could
//! not be stopped. So the signals are received on a thread of their own,
//! which never blocks on the demo and can always act. [`Signal`] names
//! which one stopped a run, for every room that reports it.

use crate::limits;
use anyhow::Context;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;
use std::sync::{Mutex, MutexGuard, TryLockError};
use std::time::{Duration, Instant};

/// A signal that stops a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Signal {
    /// SIGINT, sent by Ctrl-C.
    Interrupt,
    /// SIGTERM, sent by `kill` and by CI runners that cancel a job.
    Terminate,
}

impl Signal {
    /// The word the text summary uses.
    pub(crate) const fn verb(self) -> &'static str {
        match self {
            Signal::Interrupt => "interrupted",
            Signal::Terminate => "terminated",
        }
    }
}

/// How long a signal handler waits for a lock before it gives up on
/// printing. The locks it needs (the writer, the compare table) are held
/// for microseconds, longer only while a write blocks on a full pipe, and
/// Ctrl-C must still end the program promptly then.
pub(crate) const LOCK_PATIENCE: Duration = Duration::from_millis(150);

/// Takes `mutex` if it comes free within `patience`; `None` if it does not.
/// A poisoned lock is used as is: the process is about to end anyway.
pub(crate) fn lock_within<T>(mutex: &Mutex<T>, patience: Duration) -> Option<MutexGuard<'_, T>> {
    let deadline = Instant::now() + patience;
    loop {
        match mutex.try_lock() {
            Ok(guard) => return Some(guard),
            Err(TryLockError::Poisoned(poisoned)) => return Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(TryLockError::WouldBlock) => return None,
        }
    }
}

/// SIGINT and SIGTERM caught by [`catch_early`], kept for [`on_signal`].
static EARLY: Mutex<Option<Signals>> = Mutex::new(None);

/// Catches SIGINT and SIGTERM from now on, before their handler exists:
/// one that arrives meanwhile waits for [`on_signal`], which then handles
/// it at once.
///
/// For what comes before the run, and must not be cut short: `--live`
/// asks the terminal where its cursor is with echo off, and a signal that
/// killed the process then would leave the terminal without echo.
pub(crate) fn catch_early() -> anyhow::Result<()> {
    let signals = Signals::new([SIGINT, SIGTERM]).context("installing the signal handler")?;
    *EARLY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(signals);
    Ok(())
}

/// Calls `handler` on a dedicated thread when the first SIGINT or SIGTERM
/// arrives (or has arrived, if [`catch_early`] caught it). From then on
/// those signals no longer kill the process: the handler decides what
/// happens, and is expected to exit.
pub(crate) fn on_signal(handler: impl FnOnce(Signal) + Send + 'static) -> anyhow::Result<()> {
    let early = EARLY
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take();
    let mut signals = match early {
        Some(signals) => signals,
        None => Signals::new([SIGINT, SIGTERM]).context("installing the signal handler")?,
    };
    let thread = std::thread::Builder::new().name("signals".into());
    limits::spawn(thread, "the signal thread", move || {
        if let Some(number) = signals.forever().next() {
            handler(if number == SIGTERM {
                Signal::Terminate
            } else {
                Signal::Interrupt
            });
        }
    })?;
    Ok(())
}

/// Calls `handler` on a thread of its own when the reader of stdout goes
/// away, if stdout is a pipe.
///
/// A closed pipe is otherwise noticed only when the program next writes,
/// and while every task sleeps nothing is written: `asyncdemo count
/// --delay 1h | head -1` waited out the hour after `head` had exited. The
/// thread sleeps in `poll(2)` on stdout asking for no event at all, which
/// still reports `POLLERR` (Linux) or `POLLHUP` the moment the read end
/// closes, and costs nothing until then. Blocking modes cannot be woken
/// from `std::thread::sleep`, so the handler is expected to end the
/// process, as the signal handler does.
#[cfg(unix)]
pub(crate) fn on_hangup(handler: impl FnOnce() + Send + 'static) -> anyhow::Result<()> {
    use std::os::fd::AsRawFd;
    let fd = std::io::stdout().as_raw_fd();
    // SAFETY: `fstat` only writes the `stat` it is given, which is plain
    // data that zeroes are valid for.
    let is_pipe = unsafe {
        let mut stat: libc::stat = std::mem::zeroed();
        libc::fstat(fd, &mut stat) == 0 && (stat.st_mode & libc::S_IFMT) == libc::S_IFIFO
    };
    if !is_pipe {
        // A terminal or a file has no reader to lose.
        return Ok(());
    }
    let thread = std::thread::Builder::new()
        .name("hangup".into())
        .stack_size(64 * 1024);
    limits::spawn(thread, "the thread that watches stdout", move || {
        loop {
            let mut watch = libc::pollfd {
                fd,
                events: 0,
                revents: 0,
            };
            // SAFETY: one valid `pollfd`, and a count of one.
            let ready = unsafe { libc::poll(&mut watch, 1, -1) };
            if ready < 0
                && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
            {
                continue;
            }
            if ready > 0 && watch.revents & (libc::POLLERR | libc::POLLHUP) != 0 {
                handler();
            }
            // Anything else (stdout closed under us) is nothing to act on.
            return;
        }
    })?;
    Ok(())
}

/// Elsewhere a closed pipe is noticed at the next write.
#[cfg(not(unix))]
pub(crate) fn on_hangup(_handler: impl FnOnce() + Send + 'static) -> anyhow::Result<()> {
    Ok(())
}
