use super::*;
use crate::sink::tests::recording_sink;
use crate::vocab::{Demo, Event, Phase};

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
        let elapsed = join(&sink, n, &Sleep { delay, sink: None }).await;
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
        assert_eq!(sink.completed(), n);
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
    let wait = Arc::new(Sleep { delay, sink: None });
    let elapsed = spawn_tasks(&sink, 50, |id| owned_task(id, &sink, &wait)).await;
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

/// The elapsed time covers building the tasks, not only running them:
/// a build that takes a known (real) time shows up in it. With the clock
/// started after the build, as it once was, this elapsed is about zero.
#[tokio::test]
async fn the_elapsed_time_covers_building_the_tasks() {
    let (sink, _) = recording_sink(Demo::Count);
    let wait = Sleep {
        delay: Duration::ZERO,
        sink: None,
    };
    let per_task = Duration::from_millis(3);
    let elapsed = join_tasks(&sink, 10, Teardown::Drop, |id| {
        // A deliberately slow build: each coroutine costs 3 ms to make.
        std::thread::sleep(per_task);
        demo::task(id, &sink, &wait)
    })
    .await;
    assert!(elapsed >= per_task * 10, "took {elapsed:?}");
    // The timestamps count from the same start: the first line comes
    // after the whole build.
    assert!(sink.lock().events()[0].at >= per_task * 10);
}

/// A coroutine whose drop takes a known (real) time.
struct SlowDrop<F>(F);

impl<F: Future + Unpin> Future for SlowDrop<F> {
    type Output = F::Output;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        std::pin::Pin::new(&mut self.0).poll(cx)
    }
}

impl<F> Drop for SlowDrop<F> {
    fn drop(&mut self) {
        std::thread::sleep(Duration::from_millis(3));
    }
}

/// ... and dropping them: when a failed write stops the run, the
/// tasks still waiting are dropped before the clock stops.
#[tokio::test]
async fn the_elapsed_time_covers_dropping_the_tasks() {
    let (sink, _) = recording_sink(Demo::Count);
    let wait = Sleep {
        delay: Duration::from_secs(3600),
        sink: None,
    };
    // The output fails before the tasks run, so the run stops as soon
    // as every task waits, and drops all ten.
    sink.abort(anyhow::anyhow!("the reader went away"));
    let elapsed = join_tasks(&sink, 10, Teardown::Drop, |id| {
        SlowDrop(Box::pin(demo::task(id, &sink, &wait)))
    })
    .await;
    assert!(elapsed >= Duration::from_millis(30), "took {elapsed:?}");
}

/// A million-task run keeps a million of these futures alive at once,
/// side by side in one array, so their size is the run's memory. tokio's
/// `Sleep` is most of it.
#[test]
fn the_async_task_future_stays_small() {
    let sink = crate::sink::tests::plain(std::io::sink(), Demo::Count);
    let wait = Sleep {
        delay: Duration::from_secs(1),
        sink: None,
    };
    let future = demo::task(1, &sink, &wait);
    let bytes = std::mem::size_of_val(&future);
    let sleep = std::mem::size_of::<tokio::time::Sleep>();
    // The task adds its id, two references and its state tag (24 bytes
    // today). A bound of 32 fails as soon as someone adds per-task state
    // such as an `Instant` (16 bytes) or a `String` (24), or turns
    // `demo::task` back into an `async fn`, which stores its arguments
    // twice (+16).
    assert!(
        bytes <= sleep + 32,
        "task future is {bytes} bytes, Sleep {sleep}"
    );
}

/// `--slow-poll` adds only its watch and the task number to each task:
/// a wrapper that copied the coroutine would double a million-task run.
#[test]
fn a_watched_task_future_adds_only_a_reference_and_an_id() {
    let sink = crate::sink::tests::plain(std::io::sink(), Demo::Count);
    let wait = Sleep {
        delay: Duration::from_secs(1),
        sink: None,
    };
    let watch = Watch::new(Duration::from_millis(100), None);
    let plain = std::mem::size_of_val(&demo::task(1, &sink, &wait));
    let watched = std::mem::size_of_val(&events::polled(&watch, 1, demo::task(1, &sink, &wait)));
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
