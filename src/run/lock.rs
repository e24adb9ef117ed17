//! `asyncdemo lock`: a lock held across `.await`.
//!
//! Each of N tasks takes one shared lock, prints a line, waits `--delay`
//! while still holding it, prints a line, and releases it:
//!
//! ```rust,ignore
//! let guard = lock.lock();          // std::sync::Mutex: blocks the thread
//! println!("task {id} has the lock ...");
//! tokio::time::sleep(delay).await;  // the guard lives across this .await
//! println!("... task {id} releases the lock");
//! drop(guard);
//! ```
//!
//! With `std::sync::Mutex` (`--lock std`) this compiles, and deadlocks.
//! The guard is `!Send`, so `tokio::spawn` would refuse the task, but
//! `join_all` polls its children in place and asks for no `Send`. Task 1
//! takes the lock and awaits its sleep: `Pending`, the thread moves on.
//! Task 2 calls `lock()`, which is not a future: it blocks the thread until
//! the lock comes free, and never returns `Pending`. Task 1 could release
//! the lock only by being polled again, on that very thread. Nobody moves,
//! forever.
//!
//! The demo must not hang, so a watchdog ([`Ticker`]) watches the tasks'
//! progress, and when none has moved for [`stall_limit`] while a task sits
//! in `lock()`, it names both tasks and ends the run ([`Deadlock`]). The
//! tasks run on a thread of their own so that the calling thread, waiting
//! for either ending, can walk away from the one that never ends.
//!
//! With `tokio::sync::Mutex` (`--lock tokio`), `lock().await` returns
//! `Pending` while the lock is taken, so the thread runs task 1 on and the
//! lock is handed over: no deadlock. The tasks still take turns, N × delay:
//! holding *any* lock across a wait serialises the tasks. `--lock none`
//! shows what they would do without it (about one delay).

use super::Teardown;
use crate::config::Config;
use crate::config::Runtime;
use crate::events::LockStep;
use crate::events::{self, Ticker};
use crate::limits;
use crate::outcome::{Deadlock, LockMark};
use crate::sink::Sink;
use crate::slowpoll::Watchdog;
use crate::state;
use crate::vocab::{LockKind, Phase};
use std::future::Future;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

/// How often the watchdog looks at the tasks' progress.
const WATCH_EVERY: Duration = Duration::from_millis(10);

/// How long no task may make progress while one sits in `lock()` before
/// the watchdog calls it a deadlock: twice the delay (a task holding the
/// lock legitimately moves again after one delay), and never under a
/// second, so a busy machine's pause is not mistaken for one.
pub(crate) fn stall_limit(delay: Duration) -> Duration {
    delay.saturating_mul(2).max(Duration::from_secs(1))
}

/// The lock the tasks share, of the kind asked for.
enum DemoLock {
    Std(std::sync::Mutex<()>),
    Tokio(tokio::sync::Mutex<()>),
    None,
}

/// A held lock; dropping it releases the lock.
enum DemoGuard<'a> {
    // Held, never read: the lock is what matters, not the `()` inside.
    Std(#[allow(dead_code)] std::sync::MutexGuard<'a, ()>),
    Tokio(#[allow(dead_code)] tokio::sync::MutexGuard<'a, ()>),
    None,
}

/// What the tasks publish for the watchdog, and the lock itself.
struct Tasks {
    lock: DemoLock,
    kind: LockKind,
    delay: Duration,
    /// Time zero of `moved`.
    epoch: Instant,
    /// When a task last made progress (a lock step or a line), in
    /// microseconds since `epoch`.
    moved: AtomicU64,
    /// The task holding the guard; 0 when nobody does.
    holder: AtomicU32,
    /// The task inside a std `lock()` call right now; 0 when none is.
    blocked: AtomicU32,
    /// Each task's wait for the lock, for the pictures: a few entries,
    /// taken only by this demo's tasks, never across a wait.
    marks: Mutex<Vec<LockMark>>,
}

impl Tasks {
    fn new(kind: LockKind, delay: Duration) -> Tasks {
        Tasks {
            lock: match kind {
                LockKind::Std => DemoLock::Std(std::sync::Mutex::new(())),
                LockKind::Tokio => DemoLock::Tokio(tokio::sync::Mutex::new(())),
                LockKind::None => DemoLock::None,
            },
            kind,
            delay,
            epoch: Instant::now(),
            moved: AtomicU64::new(0),
            holder: AtomicU32::new(0),
            blocked: AtomicU32::new(0),
            marks: Mutex::new(Vec::new()),
        }
    }

    fn holder(&self) -> Option<u32> {
        Some(self.holder.load(SeqCst)).filter(|&id| id != 0)
    }

    /// Notes that a task made progress now.
    fn moved(&self) {
        let micros = u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.moved.store(micros, SeqCst);
    }

    /// How long since any task made progress.
    fn stalled(&self) -> Duration {
        self.epoch
            .elapsed()
            .saturating_sub(Duration::from_micros(self.moved.load(SeqCst)))
    }

    /// Tells the run's followers that task `id` took `step`; without a
    /// lock there is no step to tell.
    ///
    /// `mark` is where the task's wait is in the marks: what `Asked`
    /// returns, for `Got` to fill in. Looked up by its place, not searched
    /// for: with every task queued for the lock, a search from the end
    /// cost a pass over the queue per task, and `-n 100000` took seconds.
    fn tell(&self, sink: &Sink, id: u32, step: LockStep, mark: usize) -> usize {
        if self.kind == LockKind::None {
            return mark;
        }
        let at = sink.lock_step(id, step, self.kind, self.holder());
        let mut marks = self.marks.lock().unwrap_or_else(PoisonError::into_inner);
        match step {
            LockStep::Asked => {
                marks.push(LockMark {
                    task: id,
                    asked: at,
                    got: None,
                });
                return marks.len() - 1;
            }
            LockStep::Got => {
                if let Some(mark) = marks.get_mut(mark).filter(|m| m.task == id) {
                    mark.got = Some(at);
                }
            }
            LockStep::Released => {}
        }
        mark
    }

    /// The waits for the lock so far.
    fn marks(&self) -> Vec<LockMark> {
        self.marks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Task `id` takes the lock, telling the sink each step.
    async fn take(&self, id: u32, sink: &Sink) -> DemoGuard<'_> {
        self.moved();
        let mark = self.tell(sink, id, LockStep::Asked, 0);
        let guard = match &self.lock {
            DemoLock::Std(mutex) => {
                // Whatever is printed so far must be on screen: if this
                // call blocks, it blocks the thread whose park hook would
                // have flushed.
                sink.flush();
                self.blocked.store(id, SeqCst);
                // Not a future: no `Pending`, no giving the thread back.
                // If another task holds the lock, this thread stops here.
                let guard = mutex.lock().unwrap_or_else(PoisonError::into_inner);
                self.blocked.store(0, SeqCst);
                DemoGuard::Std(guard)
            }
            // A future: while the lock is taken, `Pending`, and the thread
            // runs the task that holds it.
            DemoLock::Tokio(mutex) => DemoGuard::Tokio(mutex.lock().await),
            DemoLock::None => DemoGuard::None,
        };
        if !matches!(guard, DemoGuard::None) {
            self.holder.store(id, SeqCst);
        }
        self.moved();
        self.tell(sink, id, LockStep::Got, mark);
        guard
    }

    /// Task `id` releases the lock it holds.
    fn release(&self, id: u32, guard: DemoGuard<'_>, sink: &Sink) {
        if !matches!(guard, DemoGuard::None) {
            self.holder.store(0, SeqCst);
        }
        drop(guard);
        self.moved();
        self.tell(sink, id, LockStep::Released, 0);
    }

    /// The deadlock, if the run is in one now.
    fn deadlock(&self) -> Option<Deadlock> {
        let blocked = self.blocked.load(SeqCst);
        let stalled = self.stalled();
        if blocked == 0 || stalled < stall_limit(self.delay) {
            return None;
        }
        Some(Deadlock {
            blocked_task: blocked,
            holder_task: self.holder.load(SeqCst),
            stalled,
        })
    }
}

/// One task of the demo: take the lock, print, wait holding it, print,
/// release.
///
/// The std guard is `!Send`, so this future is `!Send` with `--lock std`:
/// `tokio::spawn` would refuse it at compile time. `join_all` polls it in
/// place and does not care, which is how the mistake gets through.
async fn task(id: u32, sink: &Sink, demo: &Tasks) {
    let guard = demo.take(id, sink).await;
    sink.line(id, Phase::First);
    demo.moved();
    // The wait, with the guard alive across it: the mistake.
    hold(id, sink, demo.delay).await;
    sink.line(id, Phase::Last);
    demo.moved();
    demo.release(id, guard, sink);
}

/// The wait a task makes while it holds the lock: `delay` on tokio's
/// timer, or, for no delay, one `.await` that gives the thread back at
/// once (`yield_now`).
///
/// Why not `sleep(ZERO)`: tokio's timer counts in whole milliseconds, so
/// even a zero sleep waits for the next tick (about 1.1 ms), and the tasks
/// take their turns one after another: `-n 100000 -d 0` took 110 s. The
/// yield is still an `.await` with the guard alive across it, so `--lock
/// std` deadlocks just as it does with a delay.
///
/// An armed timer is told to the task-state model (`Sink::log`), as the
/// sleeping demos tell theirs; the yield arms none.
async fn hold(id: u32, sink: &Sink, delay: Duration) {
    if delay.is_zero() {
        tokio::task::yield_now().await;
        return;
    }
    let sleep = tokio::time::sleep(delay);
    if sink.watches_timers() {
        sink.armed(id, sleep.deadline());
    }
    sleep.await;
}

/// How the run on the tasks' thread ended.
enum Ended {
    /// Every task finished, in this long.
    Finished(Duration),
    /// The watchdog found this deadlock.
    Deadlock(Deadlock),
}

/// Runs the `lock` demo with `kind`. Returns the elapsed time, the
/// deadlock that stopped the run, if one did, and each task's wait for
/// the lock.
pub(crate) fn run(
    config: &Config,
    kind: LockKind,
    sink: &Arc<Sink>,
    (watch, explain): super::PollTimers<'_>,
) -> anyhow::Result<(Duration, Option<Deadlock>, Vec<LockMark>)> {
    let runtime = config.way.runtime.unwrap_or(Runtime::CurrentThread);
    let rt = super::build_runtime(runtime, config, sink)?;
    let _slow_poll = match watch {
        Some(watch) if watch.warns() => Some(Watchdog::start(watch)?),
        _ => None,
    };
    let demo = Arc::new(Tasks::new(kind, config.delay));
    let marks_of = Arc::clone(&demo);
    let (ended, end) = mpsc::channel();
    // The watchdog: a thread that sees a deadlock from outside, since the
    // thread in it can see nothing any more.
    let _watchdog = {
        let (demo, ended) = (Arc::clone(&demo), ended.clone());
        let mut told = false;
        Ticker::start("lock-watchdog", WATCH_EVERY, move || {
            if let Some(deadlock) = demo.deadlock().filter(|_| !told) {
                told = true;
                let _ = ended.send(Ended::Deadlock(deadlock));
            }
        })?
    };
    let tasks = config.tasks;
    let (shared_sink, watch) = (Arc::clone(sink), watch.cloned());
    let explain = explain.cloned();
    let builder = std::thread::Builder::new().name("lock-tasks".into());
    let tasks_thread = limits::spawn(builder, "the lock demo's thread", move || {
        let sink = &*shared_sink;
        let demo = &*demo;
        let run = async {
            // The task-state model's watcher, when a view asked for it.
            let model = sink.log().map(|log| state::Watcher(Arc::clone(log)));
            match (&watch, &model) {
                // `--explain` times the narrated tasks' polls, beside the
                // model's watcher when a view asked for it too.
                (None, _) if explain.is_some() => {
                    let explain = explain.clone().unwrap_or_else(|| unreachable!());
                    match &model {
                        Some(model) => {
                            let model = Arc::new(state::Watcher(Arc::clone(&model.0)));
                            let both = state::Both(model, explain);
                            join(sink, tasks, |id| {
                                events::polled(&both, id, task(id, sink, demo))
                            })
                            .await
                        }
                        None => {
                            join(sink, tasks, |id| {
                                events::polled(&*explain, id, task(id, sink, demo))
                            })
                            .await
                        }
                    }
                }
                (None, Some(model)) => {
                    join(sink, tasks, |id| {
                        events::polled(model, id, task(id, sink, demo))
                    })
                    .await
                }
                (None, None) => join(sink, tasks, |id| task(id, sink, demo)).await,
                (Some(watch), _) => {
                    join(sink, tasks, |id| {
                        events::polled(&**watch, id, task(id, sink, demo))
                    })
                    .await
                }
            }
        };
        let elapsed = match runtime {
            Runtime::CurrentThread => rt.block_on(run),
            // As in `run::on_runtime`: the calling thread is no worker,
            // so it flushes when it is about to wait.
            Runtime::MultiThread(_) => rt.block_on(super::flushed_when_waiting(sink, run, false)),
        };
        rt.shutdown_background();
        let _ = ended.send(Ended::Finished(elapsed));
    })?;
    // One of the two comes: the tasks finish, or they are stuck and the
    // watchdog says so. A deadlocked thread is left behind, blocked in
    // `lock()` for good; the process ends soon after (compare runs its
    // other ways first), and takes it along. The thread is also looked at
    // now and then, so that one that died without a word (it cannot, short
    // of a bug) ends the run with an error instead of a hang.
    loop {
        let ended = match end.recv_timeout(WATCH_EVERY * 5) {
            Err(mpsc::RecvTimeoutError::Timeout) if !tasks_thread.is_finished() => continue,
            // Finished: whatever it sent is there now.
            Err(_) => end.try_recv().ok(),
            Ok(ended) => Some(ended),
        };
        return match ended {
            Some(Ended::Finished(elapsed)) => Ok((elapsed, None, marks_of.marks())),
            Some(Ended::Deadlock(deadlock)) => {
                Ok((sink.lock().elapsed(), Some(deadlock), marks_of.marks()))
            }
            None => Err(anyhow::anyhow!(
                "the lock demo's thread stopped before its tasks finished"
            )),
        };
    }
}

/// Joins the tasks, timed as every run is.
async fn join<F: Future<Output = ()>>(
    sink: &Sink,
    tasks: u32,
    task: impl FnMut(u32) -> F,
) -> Duration {
    super::timed(sink, Teardown::Drop, || {
        futures_buffered::join_all((1..=tasks).map(task))
    })
    .await
}

/// The watchdog's diagnosis of `deadlock`, for stderr.
pub(crate) fn diagnosis(deadlock: &Deadlock) -> String {
    let Deadlock {
        blocked_task: blocked,
        holder_task: holder,
        stalled,
    } = *deadlock;
    let stalled_secs = stalled.as_secs_f64();
    format!(
        "deadlock: no task has moved for {stalled_secs:.1} s. Task {blocked} is blocked in \
         std::sync::Mutex::lock(), which holds the only thread and never returns Pending; \
         task {holder} holds the guard across .await and can never be polled again to \
         release it. Fix: tokio::sync::Mutex (--lock tokio), or drop the guard before the \
         .await"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::tests::recording_sink;
    use crate::vocab::Demo;

    fn phases(sink: &Sink) -> Vec<(u32, Phase)> {
        sink.lock()
            .events()
            .iter()
            .map(|e| (e.task, e.phase))
            .collect()
    }

    /// With tokio's Mutex the tasks take turns: one delay each, one after
    /// another, exactly N × delay of virtual time, and each task's two lines
    /// together.
    #[tokio::test(start_paused = true)]
    async fn a_tokio_mutex_held_across_a_wait_serialises_the_tasks() {
        let (sink, captured) = recording_sink(Demo::Lock);
        let delay = Duration::from_secs(1);
        let demo = Tasks::new(LockKind::Tokio, delay);
        let elapsed = join(&sink, 3, |id| task(id, &sink, &demo)).await;
        assert_eq!(elapsed, delay * 3);
        let expected: Vec<_> = (1..=3)
            .flat_map(|id| [(id, Phase::First), (id, Phase::Last)])
            .collect();
        assert_eq!(phases(&sink), expected);
        sink.flush();
        assert!(
            captured
                .text()
                .starts_with("task 1 has the lock ...\n... task 1 releases the lock\n"),
            "{}",
            captured.text()
        );
        assert_eq!(demo.holder(), None);
    }

    /// With no delay the tasks still take turns, but nothing waits for a
    /// timer: no virtual time passes (a zero `sleep` waited a timer tick,
    /// about a millisecond, per task).
    #[tokio::test(start_paused = true)]
    async fn a_zero_delay_arms_no_timer() {
        let (sink, _) = recording_sink(Demo::Lock);
        let demo = Tasks::new(LockKind::Tokio, Duration::ZERO);
        let elapsed = join(&sink, 100, |id| task(id, &sink, &demo)).await;
        assert_eq!(elapsed, Duration::ZERO);
        assert_eq!(phases(&sink).len(), 200);
        assert_eq!(demo.holder(), None);
    }

    /// Without a lock the waits overlap: one delay in all.
    #[tokio::test(start_paused = true)]
    async fn without_a_lock_the_waits_overlap() {
        let (sink, _) = recording_sink(Demo::Lock);
        let delay = Duration::from_secs(1);
        let demo = Tasks::new(LockKind::None, delay);
        let elapsed = join(&sink, 3, |id| task(id, &sink, &demo)).await;
        assert_eq!(elapsed, delay);
        let firsts: Vec<_> = phases(&sink)[..3].to_vec();
        assert_eq!(
            firsts,
            [(1, Phase::First), (2, Phase::First), (3, Phase::First)]
        );
    }

    /// A std Mutex uncontended is just a lock: one task alone finishes.
    #[tokio::test(start_paused = true)]
    async fn a_std_mutex_alone_does_not_deadlock() {
        let (sink, _) = recording_sink(Demo::Lock);
        let demo = Tasks::new(LockKind::Std, Duration::from_secs(1));
        let elapsed = join(&sink, 1, |id| task(id, &sink, &demo)).await;
        assert_eq!(elapsed, Duration::from_secs(1));
        assert_eq!(demo.deadlock(), None);
    }

    /// The watchdog's view: a task inside `lock()` and no progress for the
    /// limit is a deadlock naming both tasks; either alone is not.
    #[test]
    fn a_deadlock_needs_a_task_in_lock_and_no_progress() {
        let mut demo = Tasks::new(LockKind::Std, Duration::from_millis(1));
        // The run began five seconds ago.
        demo.epoch = Instant::now() - Duration::from_secs(5);
        demo.holder.store(1, SeqCst);
        demo.blocked.store(2, SeqCst);
        // Progress just now: not a deadlock yet.
        demo.moved();
        assert_eq!(demo.deadlock(), None);
        // The last progress at the start, five seconds ago: a deadlock.
        demo.moved.store(0, SeqCst);
        let found = demo.deadlock().unwrap();
        assert_eq!((found.blocked_task, found.holder_task), (2, 1));
        assert!(found.stalled >= Duration::from_secs(5));
        // Nobody in lock(): never a deadlock, however long the pause.
        demo.blocked.store(0, SeqCst);
        assert_eq!(demo.deadlock(), None);
    }

    #[test]
    fn the_limit_is_twice_the_delay_and_at_least_a_second() {
        assert_eq!(
            stall_limit(Duration::from_millis(200)),
            Duration::from_secs(1)
        );
        assert_eq!(stall_limit(Duration::from_secs(3)), Duration::from_secs(6));
        assert_eq!(stall_limit(Duration::MAX), Duration::MAX);
    }

    #[test]
    fn the_diagnosis_names_both_tasks_and_the_fix() {
        let text = diagnosis(&Deadlock {
            blocked_task: 2,
            holder_task: 1,
            stalled: Duration::from_secs(1),
        });
        assert!(
            text.contains("Task 2 is blocked in std::sync::Mutex::lock()"),
            "{text}"
        );
        assert!(
            text.contains("task 1 holds the guard across .await"),
            "{text}"
        );
        assert!(text.contains("--lock tokio"), "{text}");
    }
}
