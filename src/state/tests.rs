//! The model on made-up event sequences, one for each way of waiting.

use super::*;
use crate::vocab::Park;
use std::sync::Arc;
use tokio::time::Instant;

pub(crate) fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// An observation at `at` ms.
pub(crate) fn seen(at_ms: f64, task: u32, what: What) -> Observed {
    Observed {
        at: (at_ms * 1e6) as u64,
        task,
        thread: 1,
        what,
    }
}

/// A poll at `at` ms that took `took` ms.
pub(crate) fn poll(at: f64, task: u32, took: f64, ready: bool) -> Observed {
    seen(
        at,
        task,
        What::Polled {
            took: (took * 1e6) as u64,
            ready,
        },
    )
}

/// Task `task` of an async run, as observed: polled at 0, its timer
/// due at `deadline`, woken at `woken`, polled to its end at `last`
/// (all in ms).
pub(crate) fn slept(task: u32, deadline: f64, woken: f64, last: f64) -> [Observed; 4] {
    [
        poll(0.0, task, 0.0, false),
        armed(0.0, task, deadline),
        seen(woken, task, What::Woken),
        poll(last, task, 0.0, true),
    ]
}

fn armed(at: f64, task: u32, deadline: f64) -> Observed {
    seen(
        at,
        task,
        What::Armed {
            deadline: (deadline * 1e6) as u64,
        },
    )
}

/// Thread `thread` parked (or woke, `parked` false) at `at` ms.
pub(crate) fn park_on(at: u64, thread: u32, parked: bool) -> Park {
    Park {
        at: ms(at),
        thread,
        parked,
    }
}

fn park(at: u64, parked: bool) -> Park {
    park_on(at, 1, parked)
}

/// The states of `spans`, with their bounds rounded to whole ms.
fn states(spans: &[Span]) -> Vec<(u64, u64, TaskState)> {
    spans
        .iter()
        .map(|s| (s.from.as_millis() as u64, s.to.as_millis() as u64, s.state))
        .collect()
}

use TaskState::*;

/// `count -n 2 -d 100ms`, async: both sleep together, the thread parks,
/// the timer fires, both are woken and polled to their end.
#[test]
fn async_tasks_sleep_then_are_woken_then_polled() {
    let events = [
        poll(0.0, 1, 0.01, false),
        armed(0.005, 1, 100.0),
        poll(0.02, 2, 0.01, false),
        armed(0.025, 2, 100.0),
        seen(100.5, 1, What::Woken),
        seen(100.5, 2, What::Woken),
        poll(100.6, 1, 0.01, true),
        poll(100.7, 2, 0.01, true),
    ];
    let parks = [park(0, true), park(100, false)];
    let model = Model::new(&events, &parks, (2, Birth::AtStart), ms(101));
    let spans = model.spans(2);
    assert_eq!(
        states(&spans),
        [
            (0, 0, Ready),
            (0, 0, Polled),
            (0, 100, Sleeping),
            (100, 100, Ready),
            (100, 100, Polled)
        ]
    );
    assert!(model.finished(1) && model.finished(2));
    assert_eq!(model.peak_overlap(), 2);
    // Mid-wait, nobody is ready: the bug the live view's counts had.
    assert_eq!(model.state_at(1, ms(50)), Some(Sleeping));
    assert_eq!(model.state_at(2, ms(50)), Some(Sleeping));
    assert_eq!(model.state_at(1, ms(200)), None, "done");
}

/// `count -n 2 -d 200ms --blocking`: task 1 holds the thread for its
/// whole wait, task 2 is ready (never polled) until task 1 ends.
#[test]
fn a_blocking_task_holds_the_thread_and_the_next_is_ready() {
    let events = [
        poll(0.0, 1, 200.2, true),
        seen(0.1, 1, What::HeldBegan),
        seen(200.1, 1, What::HeldEnded),
        poll(200.3, 2, 200.2, true),
        seen(200.4, 2, What::HeldBegan),
        seen(400.4, 2, What::HeldEnded),
    ];
    let model = Model::new(&events, &[], (2, Birth::AtStart), ms(401));
    assert_eq!(
        states(&model.spans(2)),
        [
            (0, 200, Ready),
            (200, 200, Polled),
            (200, 400, Held),
            (400, 400, Polled)
        ]
    );
    assert_eq!(model.peak_overlap(), 1);
    let record = model.record(2);
    assert_eq!(record.polls, 1);
    assert!(record.time_in(Ready) >= ms(200));
    assert!(record.time_in(Held) >= ms(199));
}

/// `lock --lock std`: task 1 took the lock and sleeps; task 2 blocks
/// in std's lock() and holds the only thread. Task 1's deadline passes
/// and nobody fires its timer: overdue, not ready, to the end.
#[test]
fn a_sleep_whose_deadline_passes_while_the_thread_is_held_is_overdue() {
    let events = [
        poll(0.0, 1, 0.1, false),
        armed(0.05, 1, 300.0),
        poll(0.2, 2, 2000.0, false),
        seen(0.3, 2, What::HeldBegan),
    ];
    // The thread never parks: task 2 holds it.
    let model = Model::new(&events, &[], (2, Birth::AtStart), ms(2000));
    assert_eq!(
        states(&model.spans(1)),
        [(0, 0, Polled), (0, 301, Sleeping), (301, 2000, Overdue)]
    );
    assert_eq!(states(&model.spans(2)).last(), Some(&(0, 2000, Held)));
    assert_eq!(model.state_at(1, ms(1000)), Some(Overdue));
}

/// A timer that fires a little late while the thread was parked (the
/// wheel's rounding, a slow wake-up) is sleeping all along; and one
/// whose thread was busy past the deadline is overdue only from the
/// deadline plus the rounding until the thread parks.
#[test]
fn lateness_while_parked_is_sleeping_and_only_a_busy_thread_makes_it_overdue() {
    let late = [
        poll(0.0, 1, 0.1, false),
        armed(0.05, 1, 100.0),
        seen(100.9, 1, What::Woken),
        poll(101.0, 1, 0.1, true),
    ];
    let parks = [park(0, true), park(100, false)];
    let model = Model::new(&late, &parks, (1, Birth::AtStart), ms(102));
    assert!(model.spans(1).iter().all(|s| s.state != Overdue));
    // The thread is busy from 50 to 150 ms (another task's long poll),
    // then parks, and the timer fires at 150.
    let busy = [
        poll(0.0, 1, 0.1, false),
        armed(0.05, 1, 100.0),
        seen(150.0, 1, What::Woken),
        poll(150.1, 1, 0.1, true),
    ];
    let parks = [
        park(0, true),
        park(50, false),
        park(150, true),
        park(150, false),
    ];
    let model = Model::new(&busy, &parks, (1, Birth::AtStart), ms(151));
    assert_eq!(
        states(&model.spans(1))[1..],
        [
            (0, 101, Sleeping),
            (101, 150, Overdue),
            (150, 150, Ready),
            (150, 150, Polled)
        ]
    );
}

/// `--mode spawn-blocking --blocking-threads 2` with 4 tasks: tasks 3
/// and 4 queue for a pool thread for one delay, then run in the pool.
/// Only two calls are ever in progress: peak_overlap 2.
#[test]
fn calls_queued_for_a_small_pool_are_queued_not_waiting() {
    let mut events = Vec::new();
    for task in 1..=4u32 {
        let t = f64::from(task) * 0.01;
        events.push(poll(t, task, 0.005, false));
        events.push(seen(t + 0.001, task, What::Queued));
        // Tasks 3 and 4 get the threads that tasks 1 and 2 free.
        // (after they woke their tasks).
        let start = if task <= 2 {
            t + 0.1
        } else {
            t - 0.02 + 0.1 + 300.0 + 0.001
        };
        events.push(seen(start, task, What::PoolStarted));
        events.push(seen(start + 300.0, task, What::PoolEnded));
        events.push(seen(start + 300.0005, task, What::Woken));
        events.push(poll(start + 300.02, task, 0.005, true));
    }
    let model = Model::new(&events, &[park(0, true)], (4, Birth::AtStart), ms(601));
    assert_eq!(model.peak_overlap(), 2);
    let spans = model.spans(3);
    let queued: Vec<_> = spans.iter().filter(|s| s.state == Queued).collect();
    assert_eq!(queued.len(), 1);
    // From the end of its poll to the start of its call.
    let started = Duration::from_nanos(((0.03 - 0.02 + 0.1 + 300.0 + 0.001) * 1e6) as u64);
    assert_eq!(queued[0].to, started);
    assert!(spans.iter().any(|s| s.state == InPool && s.from == started));
    assert!(
        model
            .spans(1)
            .iter()
            .all(|s| s.state != Queued || s.to < ms(1))
    );
    let queued_4 = model.record(4).time_in(Queued);
    assert!(queued_4 > ms(300) && queued_4 < ms(301), "{queued_4:?}");
}

/// `query --connections 1`: task 2 waits for the connection (queued,
/// not in progress), and once the connection takes its query it
/// awaits the answer, its thread free, until the answer wakes it.
#[test]
fn a_query_queued_for_a_connection_awaits_its_answer_once_sent() {
    let events = [
        poll(0.0, 1, 0.01, false),
        seen(0.001, 1, What::Queued),
        seen(0.002, 1, What::Sent),
        poll(0.02, 2, 0.01, false),
        seen(0.021, 2, What::Queued),
        seen(100.0, 1, What::Woken),
        poll(100.1, 1, 0.01, true),
        seen(100.2, 2, What::Sent),
        seen(200.2, 2, What::Woken),
        poll(200.3, 2, 0.01, true),
    ];
    let model = Model::new(&events, &[park(0, true)], (2, Birth::AtStart), ms(201));
    let states = |task| -> Vec<TaskState> { model.spans(task).iter().map(|s| s.state).collect() };
    // Task 1 had the connection at once: it never queued.
    assert!(!states(1).contains(&Queued), "{:?}", model.spans(1));
    // Task 2 queued from its Pending until the connection took its
    // query, then slept (awaiting the answer) until woken.
    let spans = model.spans(2);
    let queued: Vec<_> = spans.iter().filter(|s| s.state == Queued).collect();
    assert_eq!(queued.len(), 1, "{spans:?}");
    assert_eq!(queued[0].to, ms(100) + Duration::from_micros(200));
    assert!(
        spans
            .iter()
            .any(|s| s.state == Sleeping && s.from == queued[0].to),
        "{spans:?}"
    );
    // A queued query is not in progress: one at a time.
    assert_eq!(model.peak_overlap(), 1);
}

/// `lock --lock tokio`: task 2 asks, returns Pending (waiting for the
/// lock, its thread free), is woken when task 1 releases, and gets it.
#[test]
fn a_task_waiting_for_tokios_lock_is_in_the_lock_state() {
    let events = [
        poll(0.0, 1, 0.01, false),
        seen(0.001, 1, What::LockAsked),
        seen(0.002, 1, What::LockGot),
        armed(0.003, 1, 300.0),
        poll(0.02, 2, 0.01, false),
        seen(0.021, 2, What::LockAsked),
        seen(300.2, 1, What::Woken),
        poll(300.3, 1, 0.01, true),
        seen(300.31, 2, What::Woken),
        poll(300.4, 2, 0.01, false),
        seen(300.401, 2, What::LockGot),
        armed(300.402, 2, 600.4),
    ];
    let parks = [park(0, true), park(300, false), park(300, true)];
    let model = Model::new(&events, &parks, (2, Birth::AtStart), ms(700));
    assert_eq!(model.state_at(2, ms(100)), Some(Lock));
    assert_eq!(model.state_at(2, ms(400)), Some(Sleeping));
    assert_eq!(
        model.peak_overlap(),
        1,
        "the lock is not a wait in progress"
    );
}

/// `--work spin` in async mode: each slice of the loop is a poll that
/// wakes itself (yield_now); the task is ready between slices.
#[test]
fn a_yielding_spin_is_polled_and_ready_in_turns() {
    let events = [
        poll(0.0, 1, 1.0, false),
        seen(1.1, 1, What::Woken),
        poll(2.0, 1, 1.0, false),
        seen(3.1, 1, What::Woken),
        poll(4.0, 1, 1.0, true),
    ];
    let model = Model::new(&events, &[], (1, Birth::AtStart), ms(5));
    assert_eq!(
        states(&model.spans(1)),
        [
            (0, 1, Polled),
            (1, 1, Sleeping),
            (1, 2, Ready),
            (2, 3, Polled),
            (3, 3, Sleeping),
            (3, 4, Ready),
            (4, 5, Polled)
        ]
    );
    // A wake during the poll (tokio defers yield_now's until the
    // scheduler has looked at the driver, but a waker called at once
    // would do this): ready as soon as the poll returns.
    let events = [
        poll(0.0, 1, 1.0, false),
        seen(0.5, 1, What::Woken),
        poll(2.0, 1, 1.0, true),
    ];
    let model = Model::new(&events, &[], (1, Birth::AtStart), ms(3));
    assert_eq!(states(&model.spans(1))[1], (1, 2, Ready));
}

/// `--mode threads`: no runtime, no polls; a task begins on its own
/// thread, is held by its call, and is nothing before it began.
#[test]
fn a_task_on_a_thread_of_its_own_is_held_from_its_call() {
    let events = [
        seen(5.0, 1, What::HeldBegan),
        seen(205.0, 1, What::HeldEnded),
    ];
    let model = Model::new(&events, &[], (1, Birth::OnItsOwn), ms(210));
    assert_eq!(
        states(&model.spans(1)),
        [(5, 205, Held), (205, 210, Polled)]
    );
    assert_eq!(model.state_at(1, ms(1)), None);
}

/// A run stopped mid-wait: the wait runs to the end of the picture, and
/// a task never polled is ready all along.
#[test]
fn an_unfinished_task_waits_to_the_end_and_an_unpolled_one_is_ready() {
    let events = [poll(0.0, 1, 0.1, false), armed(0.05, 1, 1000.0)];
    let model = Model::new(&events, &[park(0, true)], (2, Birth::AtStart), ms(500));
    assert_eq!(states(&model.spans(1)).last(), Some(&(0, 500, Sleeping)));
    assert!(!model.finished(1));
    assert_eq!(states(&model.spans(2)), [(0, 500, Ready)]);
    // Out-of-range tasks have no spans.
    assert!(model.spans(3).is_empty());
}

/// `block-in-place`, spawned on two workers: each task's poll holds its
/// worker inside block_in_place; the timer-free model needs no parks.
#[test]
fn block_in_place_tasks_are_held_each_on_its_thread() {
    let mut events = Vec::new();
    for (task, thread) in [(1u32, 1u32), (2, 2)] {
        for mut e in [
            poll(0.0, task, 200.0, true),
            seen(0.1, task, What::HeldBegan),
            seen(199.9, task, What::HeldEnded),
        ] {
            e.thread = thread;
            events.push(e);
        }
    }
    let model = Model::new(&events, &[], (2, Birth::AtStart), ms(200));
    assert_eq!(model.peak_overlap(), 2);
    assert_eq!(model.state_at(2, ms(100)), Some(Held));
}

/// The model's observations come from real polls and wakes: a coroutine
/// polled through the watcher leaves a pending poll, a wake and a
/// ready poll, on tokio's paused clock.
#[tokio::test(start_paused = true)]
async fn the_watcher_notes_polls_and_wakes_on_the_paused_clock() {
    let log = Arc::new(Log::new(true));
    log.started(Instant::now());
    let watcher = Watcher(Arc::clone(&log));
    let sleep = async {
        let timer = tokio::time::sleep(ms(100));
        log.armed(1, timer.deadline());
        timer.await;
    };
    crate::events::polled(&watcher, 1, sleep).await;
    let seen: Vec<What> = log.snapshot().iter().map(|e| e.what).collect();
    assert!(matches!(seen[0], What::Armed { deadline } if deadline == 100_000_000));
    assert!(matches!(seen[1], What::Polled { ready: false, .. }));
    assert_eq!(seen[2], What::Woken);
    assert!(matches!(seen[3], What::Polled { ready: true, .. }));
    let model = Model::new(&log.snapshot(), &[], (1, Birth::AtStart), ms(100));
    assert_eq!(model.state_at(1, ms(50)), Some(Sleeping));
}

/// The census and the NDJSON stream, fed by the watcher as a run goes (on
/// the paused clock), against the model built after the run from the same
/// observations: three tasks that sleep 100, 200 and 300 ms, joined.
#[tokio::test(start_paused = true)]
async fn the_census_and_the_stream_agree_with_the_model() {
    let log = Arc::new(Log::new(true));
    log.census(CensusOf {
        tasks: 3,
        birth: Birth::AtStart,
        accounts: true,
        band: true,
    });
    log.stream(3, Birth::AtStart);
    log.started(Instant::now());
    let watcher = Watcher(Arc::clone(&log));
    let task = |id: u32| {
        let log = Arc::clone(&log);
        async move {
            let timer = tokio::time::sleep(ms(100 * u64::from(id)));
            log.armed(id, timer.deadline());
            timer.await;
        }
    };
    futures::future::join3(
        crate::events::polled(&watcher, 1, task(1)),
        crate::events::polled(&watcher, 2, task(2)),
        crate::events::polled(&watcher, 3, task(3)),
    )
    .await;
    let changes = log.changes();
    let observed = log.take();
    let tallies = observed.tallies.as_deref().expect("a census");
    assert_eq!(tallies.tasks(), 3);
    let model = Model::new(&observed.events, &[], (3, Birth::AtStart), ms(300));
    for state in TaskState::ALL {
        let mut exact: Vec<u64> = (1..=3)
            .map(|t| model.record(t).time_in(state).as_micros() as u64)
            .collect();
        exact.sort_unstable();
        let micros = &tallies.micros[state.index()];
        // A poll's length is the wall clock's (the paused clock stands
        // still), which the model and the census place a few microseconds
        // apart: every figure to within 1 ms of the model's, and the states
        // never entered at exactly zero.
        let near = if exact[2] == 0 { 0 } else { 1000 };
        assert!(
            micros.quantile(0.0).abs_diff(exact[0]) <= near,
            "{state:?} {exact:?}"
        );
        assert!(micros.quantile(1.0).abs_diff(exact[2]) <= near, "{state:?}");
        let median = micros.quantile(0.5).abs_diff(exact[1]);
        assert!(median <= exact[1] / 256 + near, "{state:?}");
    }
    // futures' join3 polls every unfinished future at each wake: counted
    // alike by both.
    let mut polls: Vec<u64> = (1..=3).map(|t| u64::from(model.record(t).polls)).collect();
    polls.sort_unstable();
    assert_eq!(tallies.polls.quantile(0.0), polls[0]);
    assert_eq!(tallies.polls.quantile(0.5), polls[1]);
    assert_eq!(tallies.polls.quantile(1.0), polls[2]);
    // The band: three tasks asleep at first, one by the end.
    let columns = tallies.band.columns(300_000_000, 3);
    assert!((columns[0][0] - 3.0).abs() < 1e-3, "{columns:?}");
    assert!((columns[1][0] - 2.0).abs() < 1e-3, "{columns:?}");
    assert!((columns[2][0] - 1.0).abs() < 1e-3, "{columns:?}");
    // Task 2 as streamed: ready, polled, asleep; polled again by join3
    // when task 1 woke at 100 ms, still asleep; ready at its wake.
    let two: Vec<(Duration, Option<TaskState>)> = changes
        .iter()
        .filter(|c| c.task == 2)
        .map(|c| (c.at, c.state))
        .collect();
    let states: Vec<Option<TaskState>> = two.iter().map(|c| c.1).collect();
    assert_eq!(
        states,
        [
            Some(Ready),
            Some(Polled),
            Some(Sleeping),
            Some(Polled),
            Some(Sleeping),
            Some(Ready),
            Some(Polled),
            None
        ],
        "{two:?}"
    );
    assert_eq!(two[3].0, ms(100), "{two:?}");
    assert_eq!(two[5].0, ms(200), "{two:?}");
    assert!(two.windows(2).all(|w| w[0].0 <= w[1].0), "{two:?}");
}

/// Three tasks that sleep 100, 200 and 300 ms, joined and watched by
/// `log` on the paused clock, with a runtime thread that parks at 50 ms
/// and wakes at 250 ms: its observations handed over at the end.
async fn three_sleepers(log: &Arc<Log>) -> Observations {
    log.started(Instant::now());
    let watcher = Watcher(Arc::clone(log));
    let task = |id: u32| {
        let log = Arc::clone(log);
        async move {
            let timer = tokio::time::sleep(ms(100 * u64::from(id)));
            log.armed(id, timer.deadline());
            timer.await;
        }
    };
    log.park(park_on(50, 1, true));
    futures::future::join3(
        crate::events::polled(&watcher, 1, task(1)),
        crate::events::polled(&watcher, 2, task(2)),
        crate::events::polled(&watcher, 3, task(3)),
    )
    .await;
    log.park(park_on(250, 1, false));
    log.take()
}

/// A census read only at the end is moved on a thread of its own, from
/// the queued changes: the same census as one moved where each change was
/// observed (kept there by a stream of changes, which is read during the
/// run), on the same run.
#[tokio::test(start_paused = true)]
async fn a_census_moved_on_its_own_thread_is_the_one_moved_in_place() {
    let of = CensusOf {
        tasks: 3,
        birth: Birth::AtStart,
        accounts: true,
        band: true,
    };
    let behind = Arc::new(Log::new(false));
    behind.census(of);
    let in_place = Arc::new(Log::new(false));
    in_place.census(of);
    in_place.stream(3, Birth::AtStart);
    let (a, b) = (
        three_sleepers(&behind).await,
        three_sleepers(&in_place).await,
    );
    assert!(behind.is_behind() && !in_place.is_behind());
    let (a, b) = (a.tallies.expect("a census"), b.tallies.expect("a census"));
    assert_eq!(a.tasks(), 3);
    assert_eq!(a.polls, b.polls);
    // Each figure as the other's: the paused clock stands still, so only
    // the polls' few microseconds of wall clock differ between the runs.
    for state in TaskState::ALL {
        let (x, y) = (&a.micros[state.index()], &b.micros[state.index()]);
        for q in [0.0, 0.5, 1.0] {
            assert!(
                x.quantile(q).abs_diff(y.quantile(q)) <= 100,
                "{state:?} {q}"
            );
        }
    }
    let (x, y) = (
        a.band.columns(300_000_000, 3),
        b.band.columns(300_000_000, 3),
    );
    for (x, y) in x.iter().flatten().zip(y.iter().flatten()) {
        assert!((x - y).abs() < 1e-3, "{x} {y}");
    }
    // Asleep from the start: each sleep up to its wake, none of it
    // overdue, since the thread was parked by each deadline.
    let asleep = &a.micros[Sleeping.index()];
    assert_eq!(asleep.quantile(1.0).div_ceil(1000), 300, "{asleep:?}");
    assert_eq!(a.micros[Overdue.index()].quantile(1.0), 0);
}

/// A census keeps one sweep per task: a million of them in a million-task
/// run, so its size is part of that run's memory.
#[test]
fn a_tasks_sweep_is_sixteen_bytes() {
    assert_eq!(std::mem::size_of::<super::sweep::Sweep>(), 16);
}
