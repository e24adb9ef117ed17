//! `--mode threads`: each task on an OS thread of its own, no runtime.
//!
//! The threads give real concurrency (N sleeps at once) at the price of a
//! thread each, and the OS refuses threads at some count, where this mode
//! fails and `--mode async` carries on. Most of this file is about failing
//! cleanly at that count.

use crate::demo;
use crate::events;
use crate::limits::{self, MachineLimit, MapBudget};
use crate::sink::Sink;
use crate::state;
use crate::wait::Wait;
use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::time::Instant;

/// `--mode threads`: each task runs on its own OS thread.
///
/// Each thread drives the very same coroutine with a blocking wait, using
/// `futures::executor::block_on`, the smallest executor there is: that
/// coroutine never waits for a wake-up, so one poll runs it to the end.
/// What the threads cost, and where the OS stops giving them, is the
/// module's story (above).
pub(super) fn on_threads<W: Wait + Send + 'static>(
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
        let body = Box::new(move || {
            let task = demo::task(id, &sink, &*wait);
            // Its one poll (it blocks inside it) told to the task-state
            // model, when a view asked for it.
            match sink.log().map(|log| state::Watcher(Arc::clone(log))) {
                Some(watcher) => futures::executor::block_on(events::polled(&watcher, id, task)),
                None => futures::executor::block_on(task),
            }
        });
        match spawn(id - 1, body) {
            Ok(thread) => threads.push(thread),
            // The threads already started are asleep and cannot be woken;
            // returning the error ends the process (exit 1, a limit of the
            // machine), which ends them.
            // The OS's own refusal names the limit on threads; the map
            // budget's says what it is itself.
            Err(err) if err.raw_os_error().is_some() => {
                return Err(limits::thread_refused(
                    &format!("thread {id} of {tasks} after {} started", id - 1),
                    Some(&err),
                    ", or use --mode async: a waiting task needs no thread",
                ));
            }
            Err(err) => {
                return Err(anyhow::Error::new(MachineLimit(format!(
                    "could not start thread {id} of {tasks} after {} started \
                     (use --mode async: a waiting task needs no thread): {err}",
                    id - 1
                ))));
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

/// Starts one OS thread, given how many were started before it; the seam
/// where tests make thread creation fail.
pub(super) trait SpawnThread:
    FnMut(u32, Box<dyn FnOnce() + Send>) -> io::Result<JoinHandle<()>>
{
}
impl<F: FnMut(u32, Box<dyn FnOnce() + Send>) -> io::Result<JoinHandle<()>>> SpawnThread for F {}

/// Starts a thread with a small stack of `stack` bytes.
///
/// A sleeping task needs almost no stack, and the default 2 MiB reservation
/// per thread would exhaust the address space long before the limits this
/// mode is meant to show.
fn spawn_os_thread(stack: usize, body: Box<dyn FnOnce() + Send>) -> io::Result<JoinHandle<()>> {
    std::thread::Builder::new().stack_size(stack).spawn(body)
}

/// The real [`SpawnThread`]: refuses a thread before the kernel's limit on
/// memory mappings would be crossed ([`MapBudget`] says why), and otherwise
/// asks the OS. Other limits (`pid_max`, `threads-max`, memory) make `spawn`
/// itself fail, which the caller reports the same way.
///
/// `stack` is each thread's stack size: what the blocking call needs
/// ([`crate::wait::BlockingCall::STACK_BYTES`]).
pub(super) fn os_threads(stack: usize) -> impl SpawnThread {
    let budget = MapBudget::read();
    move |started, body| {
        if let Some(budget) = &budget {
            budget.check(started)?;
        }
        spawn_os_thread(stack, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::tests::recording_sink;
    use crate::vocab::{Demo, Phase};
    use crate::wait::{Blocking, SleepCall};

    fn sleeping_threads(sink: &Arc<Sink>, delay: Duration) -> Arc<Blocking<SleepCall>> {
        Arc::new(Blocking {
            call: SleepCall { delay },
            sink: Arc::clone(sink),
        })
    }

    /// The thread limit, simulated: the OS refuses the fourth thread.
    #[test]
    fn a_refused_thread_is_a_clear_error_naming_how_many_started() {
        let refuse_after_three = |started, body| {
            if started >= 3 {
                return Err(io::Error::from_raw_os_error(11)); // EAGAIN
            }
            spawn_os_thread(64 * 1024, body)
        };
        let (sink, _) = recording_sink(Demo::Count);
        let wait = sleeping_threads(&sink, Duration::from_millis(1));
        let err = on_threads(100, &sink, wait, refuse_after_three).unwrap_err();
        let message = format!("{err:#}");
        assert!(
            message.starts_with("the OS refused to start thread 4 of 100 after 3 started"),
            "{message}"
        );
        assert!(message.contains("--mode async"), "{message}");
        // EAGAIN named as the limit it is, not quoted raw.
        assert!(message.contains("out of threads"), "{message}");
        assert!(message.contains("`ulimit -u`"), "{message}");
        assert!(!message.contains("os error 11"), "{message}");
        assert!(crate::limits::Limit::of(&err).is_some());
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

    /// Each thread sleeps on its own, so every task prints its first line
    /// before any task prints its last. Run one after another, task 2's
    /// first line would come after task 1's last, and this would fail.
    #[test]
    fn threads_overlap_their_sleeps() {
        let (sink, captured) = recording_sink(Demo::Count);
        let delay = Duration::from_millis(200);
        let elapsed = on_threads(
            4,
            &sink,
            sleeping_threads(&sink, delay),
            os_threads(64 * 1024),
        )
        .unwrap();
        assert!(elapsed >= delay);
        let state = sink.lock();
        let at = |phase| {
            state
                .events()
                .iter()
                .filter(move |e| e.phase == phase)
                .map(|e| e.at)
        };
        let last_first = at(Phase::First).max().unwrap();
        let first_last = at(Phase::Last).min().unwrap();
        assert!(
            last_first < first_last,
            "a task started at {last_first:?}, after another ended at {first_last:?}"
        );
        assert_eq!(sink.completed(), 4);
        drop(state);
        sink.flush();
        assert_eq!(captured.text().matches("Two").count(), 4);
    }
}
