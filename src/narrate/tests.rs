use super::*;
use crate::cli::Workload;
use crate::config::Way;
use crate::vocab::{Event, Park, RuntimeKind};

/// A narrator of `tasks` count tasks run in `mode` on one thread,
/// each waiting 1 s, writing plain text.
fn narrator(mode: Mode, tasks: u32) -> Narrator {
    narrator_of(Demo::Count, mode, tasks, Duration::from_secs(1))
}

/// A narrator of `tasks` tasks of `demo` run in `mode` on one thread,
/// each waiting `delay`, writing plain text.
fn narrator_of(demo: Demo, mode: Mode, tasks: u32, delay: Duration) -> Narrator {
    let workload = Workload {
        tasks: Some(tasks),
        delay,
        work: crate::vocab::Work::Sleep,
    };
    let way = Way::with_defaults(mode, RuntimeKind::CurrentThread, false);
    let mut config = Config::of_way(demo, &workload, way);
    config.format = Format::Text;
    config.explain = true;
    Narrator::new(&config, Arc::new(Rest::default()))
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn poll(at: Duration, task: u32, step: PollStep) -> RunEvent<'static> {
    RunEvent::Poll {
        at,
        task,
        thread: 1,
        step,
    }
}

fn began(at: Duration, task: u32) -> RunEvent<'static> {
    poll(at, task, PollStep::Began)
}

fn ended(at: Duration, task: u32, took: Duration, ready: bool) -> RunEvent<'static> {
    poll(at, task, PollStep::Ended { took, ready })
}

fn woken(at: Duration, task: u32) -> RunEvent<'static> {
    poll(at, task, PollStep::Woken)
}

fn call(at: Duration, task: u32, step: CallStep) -> RunEvent<'static> {
    poll(at, task, PollStep::Call(step))
}

fn wait_began(at: Duration, task: u32) -> RunEvent<'static> {
    RunEvent::WaitBegan {
        at,
        task,
        thread: 1,
    }
}

fn line(at: Duration, task: u32, phase: Phase, text: &'static str) -> RunEvent<'static> {
    RunEvent::Line {
        event: Event {
            at,
            task,
            phase,
            thread: 1,
        },
        text: text.into(),
    }
}

fn park(at: Duration, parked: bool) -> RunEvent<'static> {
    RunEvent::Thread(Park {
        at,
        thread: 1,
        parked,
    })
}

/// What the narrator writes for `events`, one string per line.
fn told(narrator: &mut Narrator, events: &[RunEvent<'_>]) -> Vec<String> {
    let mut out = Vec::new();
    for event in events {
        narrator.follow(event, &mut out).unwrap();
    }
    String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| {
            l.strip_prefix(crate::report::narration::MARK)
                .unwrap()
                .to_owned()
        })
        .collect()
}

/// The figures said are the ones between the events: a blocking call
/// that ended 1002 ms after it began held the thread 1002 ms.
#[test]
fn a_wait_that_ends_inside_its_poll_is_a_held_thread_for_its_measured_time() {
    let mut narrator = narrator(Mode::Blocking, 1);
    let lines = told(
        &mut narrator,
        &[
            began(ms(0), 1),
            line(ms(0), 1, Phase::First, "One"),
            wait_began(ms(0), 1),
            RunEvent::WaitEnded {
                at: ms(1002),
                task: 1,
                thread: 1,
                failed: false,
            },
            line(ms(1002), 1, Phase::Last, "Two"),
            ended(ms(1002), 1, ms(1002), true),
        ],
    );
    assert_eq!(lines.len(), 5, "{lines:#?}");
    assert!(lines[3].starts_with("std::thread::sleep(1s) returned after 1002.000 ms, inside"));
    assert!(lines[4].contains("Ready after 1002.000 ms (the whole task ran in this one poll)"));
}

/// An async task: Pending, the park, the timer's wake-up and how long
/// the task then waited for the thread. The timer wheel's wake-up on the
/// way (nothing polled after it) is not told: one park, one wake-up.
#[test]
fn a_park_is_told_once_whatever_the_timer_wheel_does_meanwhile() {
    let mut narrator = narrator(Mode::Async, 1);
    let lines = told(
        &mut narrator,
        &[
            began(ms(0), 1),
            line(ms(0), 1, Phase::First, "One"),
            wait_began(ms(0), 1),
            ended(ms(1), 1, ms(1), false),
            park(ms(1), true),
            park(ms(64), false),
            park(ms(64), true),
            woken(ms(1001), 1),
            park(ms(1001), false),
            began(ms(1004), 1),
        ],
    );
    let parks: Vec<&String> = lines.iter().filter(|l| l.contains("parks")).collect();
    assert_eq!(parks.len(), 1, "{lines:#?}");
    let woke: Vec<&String> = lines.iter().filter(|l| l.contains("wakes up")).collect();
    assert_eq!(woke.len(), 1, "{lines:#?}");
    assert!(
        woke[0].contains("at 1.001 s, after 1000.000 ms parked"),
        "{}",
        woke[0]
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("woken by its timer, 1000.000 ms after"))
    );
    assert!(
        lines
            .last()
            .unwrap()
            .contains("again (on thread 1): it waited 3.000 ms, ready")
    );
}

/// A wake-up after which the thread polled the tasks that are not
/// narrated was a real one: it is told, late, before the next park.
#[test]
fn a_quiet_wake_up_followed_by_other_polls_is_told_before_the_next_park() {
    let mut narrator = narrator(Mode::Async, 5);
    let rest = Arc::clone(&narrator.rest);
    let mut lines = told(
        &mut narrator,
        &[
            began(ms(0), 1),
            ended(ms(0), 1, ms(0), false),
            park(ms(1), true),
            park(ms(30), false),
        ],
    );
    rest.polls.fetch_add(1, Relaxed);
    lines.extend(told(&mut narrator, &[park(ms(31), true)]));
    let tail: Vec<&str> = lines.iter().rev().take(2).map(String::as_str).collect();
    assert!(tail[0].starts_with("thread 1 parks"), "{lines:#?}");
    assert!(
        tail[1].starts_with("thread 1 wakes up at 0.030 s, after 29.000 ms parked"),
        "{lines:#?}"
    );
}

/// Task 2 waits, ready, for its first poll while task 1's poll holds
/// the thread: the clause names task 1 and the part of the wait it
/// took, from the polls seen on that thread.
#[test]
fn a_ready_wait_names_the_poll_that_held_the_thread() {
    let mut narrator = narrator(Mode::Blocking, 2);
    let lines = told(
        &mut narrator,
        &[
            began(ms(1), 1),
            ended(ms(201), 1, ms(200), true),
            began(ms(202), 2),
        ],
    );
    let last = lines.last().unwrap();
    assert!(
        last.ends_with(
            "it waited 202.000 ms, ready since the start, for the thread: task 1's poll \
             held it for 200.000 ms of that."
        ),
        "{lines:#?}"
    );
}

/// A timer due at 300 ms, and task 2 holding the one thread from 1 ms
/// on, in a poll that never returns: when the run stalls at 1000 ms,
/// the model has task 1 overdue since its deadline plus the wheel's
/// rounding, and the step says so with the holder.
#[test]
fn a_stalled_run_names_the_overdue_timer_from_the_model() {
    let mut narrator = narrator(Mode::Async, 3);
    let lines = told(
        &mut narrator,
        &[
            began(ms(0), 1),
            call(ms(0), 1, CallStep::Armed { due: ms(300) }),
            ended(ms(1), 1, ms(1), false),
            began(ms(1), 2),
            RunEvent::Stalled { at: ms(1000) },
        ],
    );
    let overdue = &lines[lines.len() - 2];
    assert!(
        overdue.starts_with("task 1's deadline passed 0.699 s ago")
            && overdue.contains("only when thread 1 parks")
            && overdue.contains("task 2 holds thread 1"),
        "{lines:#?}"
    );
    // Task 3 was never polled: ready since the start, behind task 2.
    assert_eq!(
        lines.last().unwrap(),
        "task 3 has waited 1000.000 ms, ready since the start, and was never polled: \
         task 2 holds thread 1 in a poll that has not returned."
    );
    // Task 2 is in no timer: nothing said of it.
    assert_eq!(lines.iter().filter(|l| l.contains("deadline")).count(), 1);
}

/// The same timer fired late, once with the thread parked across the
/// deadline (not overdue: the driver was there) and once with the
/// thread busy (overdue until the wake-up).
#[test]
fn a_late_wake_up_is_overdue_only_while_no_thread_was_parked() {
    for parked_through in [true, false] {
        let mut narrator = narrator(Mode::Async, 1);
        let mut events = vec![
            began(ms(0), 1),
            call(ms(0), 1, CallStep::Armed { due: ms(100) }),
            ended(ms(1), 1, ms(1), false),
        ];
        if parked_through {
            events.push(park(ms(2), true));
        }
        events.push(woken(ms(150), 1));
        let lines = told(&mut narrator, &events);
        let woken = lines.iter().find(|l| l.contains("is woken")).unwrap();
        assert_eq!(
            woken.contains("Its deadline had passed 49.000 ms before that"),
            !parked_through,
            "{woken}"
        );
    }
}

/// A query that asks when both of two connections are busy.
const ALL_BUSY: CallStep = CallStep::QueryQueued {
    busy: 2,
    connections: 2,
};

/// A query that asks while every connection is busy: its Pending says
/// queued, and the connection taking it later is told with the time it
/// waited.
#[test]
fn a_query_queued_then_sent_is_told_with_its_queue_time() {
    let mut narrator = narrator_of(Demo::Query, Mode::Async, 3, ms(200));
    let lines = told(
        &mut narrator,
        &[
            began(ms(0), 3),
            call(ms(0), 3, ALL_BUSY),
            ended(ms(1), 3, ms(1), false),
            call(ms(201), 3, CallStep::QuerySent { connection: 1 }),
        ],
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("task 3's poll returns Pending")
                && l.contains("its query is queued: all 2 connections are busy")),
        "{lines:#?}"
    );
    assert!(
        lines.last().unwrap().starts_with(
            "task 3's query is taken by connection 1's thread, 201.000 ms after it asked"
        ),
        "{lines:#?}"
    );
}

/// Task `task`'s call observed at `at` on `thread` (a pool thread, or a
/// connection's).
fn call_on(at: Duration, task: u32, thread: u32, step: CallStep) -> RunEvent<'static> {
    RunEvent::Poll {
        at,
        task,
        thread,
        step: PollStep::Call(step),
    }
}

/// A pool call queued for 300 ms, in the pool 300 ms, then ready 2 ms:
/// the poll after says the whole wait since the `Pending` and its three
/// parts, each between two of the events; a call that a pool thread
/// began inside the poll has no queue after the `Pending`.
#[test]
fn the_poll_after_a_pool_call_tells_its_queue_the_pool_and_the_ready_wait() {
    let mut queued = narrator(Mode::SpawnBlocking, 3);
    let lines = told(
        &mut queued,
        &[
            began(ms(0), 3),
            call(ms(0), 3, CallStep::PoolQueued),
            ended(ms(1), 3, ms(1), false),
            call_on(ms(301), 3, 2, CallStep::PoolStarted),
            poll(ms(601), 3, PollStep::Woken),
            began(ms(603), 3),
        ],
    );
    assert_eq!(
        lines.last().unwrap(),
        "join_all polls task 3 again (on thread 1): it waited 602.000 ms since its \
         Pending: 300.000 ms queued for a blocking-pool thread, 300.000 ms in the pool, on \
         blocking-pool thread 2, then 2.000 ms ready, for the thread."
    );
    let mut started = narrator(Mode::SpawnBlocking, 1);
    let lines = told(
        &mut started,
        &[
            began(ms(0), 1),
            call(ms(0), 1, CallStep::PoolQueued),
            call_on(ms(1), 1, 2, CallStep::PoolStarted),
            ended(ms(2), 1, ms(2), false),
            woken(ms(302), 1),
            began(ms(305), 1),
        ],
    );
    assert!(
        lines.last().unwrap().ends_with(
            "it waited 303.000 ms since its Pending: 300.000 ms in the pool, on \
             blocking-pool thread 2, then 3.000 ms ready, for the thread."
        ),
        "{lines:#?}"
    );
}

/// A query woken while still queued (a connection came free), polled,
/// then taken by a connection and answered: each poll after splits its
/// own wait since the `Pending` before it, and a timer's wait is not
/// split (it has no queue).
#[test]
fn each_poll_after_a_queued_query_splits_its_own_wait() {
    let mut query = narrator_of(Demo::Query, Mode::Async, 3, ms(200));
    let lines = told(
        &mut query,
        &[
            began(ms(0), 3),
            call(ms(0), 3, ALL_BUSY),
            ended(ms(1), 3, ms(1), false),
            woken(ms(201), 3),
            began(ms(202), 3),
            ended(ms(203), 3, ms(1), false),
            call_on(ms(205), 3, 4, CallStep::QuerySent { connection: 1 }),
            woken(ms(405), 3),
            began(ms(406), 3),
        ],
    );
    let again: Vec<&String> = lines.iter().filter(|l| l.contains(" again ")).collect();
    assert_eq!(again.len(), 2, "{lines:#?}");
    assert!(
        again[0].ends_with(
            "it waited 201.000 ms since its Pending: 200.000 ms queued for a connection, \
             then 1.000 ms ready, for the thread."
        ),
        "{lines:#?}"
    );
    assert!(
        again[1].ends_with(
            "it waited 203.000 ms since its Pending: 2.000 ms queued for a connection, \
             200.000 ms on connection 1's thread, then 1.000 ms ready, for the thread."
        ),
        "{lines:#?}"
    );
    let mut timer = narrator(Mode::Async, 1);
    let lines = told(
        &mut timer,
        &[
            began(ms(0), 1),
            ended(ms(1), 1, ms(1), false),
            woken(ms(1001), 1),
            began(ms(1003), 1),
        ],
    );
    assert!(
        lines
            .last()
            .unwrap()
            .ends_with("again (on thread 1): it waited 2.000 ms, ready, for the thread."),
        "{lines:#?}"
    );
}
