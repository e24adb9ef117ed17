//! The thread lanes on made-up observations: each role, and the pairing
//! of a thread that took a core over with the worker whose core it took.

use super::super::line_holds;
use super::*;
use crate::report::marks::testing::waits;
use crate::report::waiting::Waiting;
use crate::vocab::Phase;
use crate::vocab::testing::event;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

fn us(n: u64) -> Duration {
    Duration::from_micros(n)
}

/// The lanes of a spawned run on two workers that saw these parks (each
/// thread's, from a park: the moments it parked, woke, parked … in µs),
/// tasks' first lines (µs, task, thread), blocking calls (thread, from µs,
/// to µs) and polls, up to 201 ms.
fn on_two_workers(
    parked: &[(u32, &[u64])],
    lines: &[(u64, u32, u32)],
    held: &[(u32, u64, u64)],
    observed: &[Observed],
) -> Vec<ThreadLane> {
    let parks: Vec<Park> = parked
        .iter()
        .flat_map(|&(thread, times)| {
            (0..).zip(times).map(move |(i, &at)| Park {
                at: us(at),
                thread,
                parked: i % 2 == 0,
            })
        })
        .collect();
    let lines: Vec<Event> = lines
        .iter()
        .map(|&(at, task, thread)| Event {
            at: us(at),
            ..event(0, task, Phase::First, thread)
        })
        .collect();
    let seen = Seen {
        parks: &parks,
        lines: &lines,
        held: calls(held),
        observed,
        ..Seen::default()
    };
    lanes(&seen, ms(201), Driver::Spawned, 2)
}

/// A poll that began at `at` µs on `thread`.
fn poll(at: u64, thread: u32) -> Observed {
    Observed {
        at: at * 1000,
        task: thread,
        thread,
        what: What::Polled {
            took: 10_000,
            ready: false,
        },
    }
}

/// Parks and wake-ups, each (µs into the run, thread, parked).
fn parks(list: &[(u64, u32, bool)]) -> Vec<Park> {
    list.iter()
        .map(|&(at, thread, parked)| Park {
            at: us(at),
            thread,
            parked,
        })
        .collect()
}

/// Blocking calls that held a thread, each (thread, from µs, to µs).
fn calls(list: &[(u32, u64, u64)]) -> Vec<(u32, Duration, Duration)> {
    list.iter()
        .map(|&(thread, from, to)| (thread, us(from), us(to)))
        .collect()
}

/// The lanes of what was seen, for a runtime of `workers` workers, and
/// their labels.
fn lanes(seen: &Seen, end: Duration, driver: Driver, workers: usize) -> Vec<ThreadLane> {
    thread_lanes(seen, end, (driver, workers), true).0
}

fn labels(lanes: &[ThreadLane]) -> Vec<&str> {
    lanes.iter().map(|l| l.label.as_str()).collect()
}

#[test]
fn a_thread_is_busy_until_it_parks_and_again_from_each_wake_up() {
    let parks = parks(&[(1000, 1, true), (1_000_000, 1, false), (1_002_000, 1, true)]);
    let events = [event(0, 1, Phase::First, 1)];
    let seen = Seen {
        parks: &parks,
        lines: &events,
        ..Seen::default()
    };
    let drawn = lanes(&seen, ms(1002), Driver::CurrentThread, 0);
    // A current-thread runtime runs on the thread that called block_on.
    assert_eq!(labels(&drawn), ["block_on thread"]);
    assert_eq!(drawn[0].busy, [(ms(0), ms(1)), (ms(1000), ms(1002))]);
    assert!(lanes(&seen, ms(1002), Driver::None, 0).is_empty());
    // A worker that parked before doing anything was idle until woken.
    let seen = Seen {
        parks: &parks,
        ..Seen::default()
    };
    let drawn = lanes(&seen, ms(1002), Driver::Spawned, 1);
    assert_eq!(labels(&drawn), ["worker 1"]);
    assert_eq!(drawn[0].busy, [(ms(1000), ms(1002))]);
}

/// Joined, the thread that polls the tasks is block_on's; workers that
/// stayed parked did nothing, and get no lane.
#[test]
fn the_block_on_thread_gets_a_lane_and_idle_workers_none() {
    let parks = parks(&[(0, 2, true), (0, 3, true)]);
    let events = [event(0, 1, Phase::First, 1), event(600, 1, Phase::Last, 1)];
    let seen = Seen {
        parks: &parks,
        lines: &events,
        ..Seen::default()
    };
    let (drawn, idle) = thread_lanes(&seen, ms(600), (Driver::Joined, 2), true);
    assert_eq!(labels(&drawn), ["block_on thread"]);
    assert_eq!(idle, 2, "both workers counted, parked all along");
    assert_eq!(drawn[0].busy, [(ms(0), ms(600))]);
    // Spawned, the thread that never parked is a worker blocked all
    // along, not block_on's; the other, parked all along, is not drawn.
    let seen = Seen {
        parks: &parks[..1],
        lines: &events,
        held: calls(&[(1, 0, 600_000)]),
        ..Seen::default()
    };
    let drawn = lanes(&seen, ms(600), Driver::Spawned, 2);
    assert_eq!(labels(&drawn), ["worker 1"]);
    assert_eq!(drawn[0].busy, [(ms(0), ms(600))]);
    assert_eq!(drawn[0].held, [(ms(0), ms(600))]);
}

/// A blocking run's thread is unparked all along, but runs code only
/// between the waits: during each one a task holds it in
/// `std::thread::sleep`.
#[test]
fn a_thread_that_a_blocked_task_holds_is_held_not_running() {
    let events = waits(&[(0, 200, 1), (201, 401, 1)]);
    let seen = Seen {
        lines: &events,
        held: line_holds(&events, ms(402), Waiting::Blocked),
        ..Seen::default()
    };
    let drawn = lanes(&seen, ms(402), Driver::CurrentThread, 0);
    assert_eq!(drawn[0].busy, [(ms(0), ms(401))]);
    assert_eq!(drawn[0].held, [(ms(0), ms(200)), (ms(201), ms(401))]);
    assert_eq!(drawn[0].running(), [(ms(200), ms(201))]);
    // The same lines in an async run hold nothing.
    let seen = Seen {
        lines: &events,
        ..Seen::default()
    };
    let drawn = lanes(&seen, ms(402), Driver::CurrentThread, 0);
    assert!(drawn[0].held.is_empty());
    assert_eq!(drawn[0].running(), drawn[0].busy);
}

/// Ctrl-C during task 2's wait: the thread is still held by it, to the
/// end of the picture, not parked after task 2's first line.
#[test]
fn an_interrupted_blocking_wait_holds_the_thread_to_the_end() {
    let events = [
        event(0, 1, Phase::First, 1),
        event(200, 1, Phase::Last, 1),
        event(200, 2, Phase::First, 1),
    ];
    let held = line_holds(&events, ms(300), Waiting::Blocked);
    let seen = Seen {
        lines: &events,
        held: held.clone(),
        ..Seen::default()
    };
    let drawn = lanes(&seen, ms(300), Driver::CurrentThread, 0);
    assert_eq!(drawn[0].busy, [(ms(0), ms(300))]);
    assert_eq!(drawn[0].held, [(ms(0), ms(300))]);
    // Spawned on workers that park: the worker held by task 2 is held
    // to the end too.
    let parks = parks(&[(0, 1, false), (0, 2, true)]);
    let seen = Seen {
        parks: &parks,
        lines: &events,
        held,
        ..Seen::default()
    };
    let drawn = lanes(&seen, ms(300), Driver::Spawned, 2);
    assert_eq!(labels(&drawn), ["worker 1"], "worker 2 stayed parked");
    assert_eq!(drawn[0].held, [(ms(0), ms(300))]);
}

/// The timer wheel's wake-up in the middle of a sleep prints nothing
/// and is over in microseconds: not drawn. A wake-up that prints a
/// line, however short, is.
#[test]
fn a_wake_up_that_prints_nothing_is_housekeeping() {
    let parks = parks(&[
        (500, 1, true),
        (960_000, 1, false),
        (960_020, 1, true),
        (1_000_000, 1, false),
        (1_000_040, 1, true),
    ]);
    let events = [
        event(0, 1, Phase::First, 1),
        Event {
            at: us(1_000_010),
            ..event(0, 1, Phase::Last, 1)
        },
    ];
    let seen = Seen {
        parks: &parks,
        lines: &events,
        ..Seen::default()
    };
    let drawn = lanes(&seen, ms(1001), Driver::CurrentThread, 0);
    assert_eq!(
        drawn[0].busy,
        [(us(0), us(500)), (us(1_000_000), us(1_000_040))]
    );
}

/// A thread blocked in std's lock() is busy and held from then on,
/// whatever the parks said.
#[test]
fn a_thread_in_a_deadlock_is_held_to_the_end() {
    let mut lane = ThreadLane {
        label: "block_on thread".into(),
        short: "block_on thread".into(),
        kind: Kind::Runtime,
        from: Duration::ZERO,
        busy: vec![(ms(0), ms(5)), (ms(50), ms(60))],
        held: Vec::new(),
    };
    hold(&mut lane, (ms(4), ms(1000)));
    assert_eq!(lane.busy, [(ms(0), ms(4)), (ms(4), ms(1000))]);
    assert_eq!(lane.held, [(ms(4), ms(1000))]);
    assert_eq!(lane.running(), [(ms(0), ms(4))]);
}

/// `count -n 3 -m block-in-place --workers 2 --spawn`, as observed:
/// workers 1 and 2 (threads 1, 2) each print and block in turn; thread
/// 3 shows up in a worker's loop while only worker 1 is in its call,
/// so it took worker 1's core; thread 4 shows up once worker 2 may
/// have entered its call, and thread 3 not yet; thread 3 runs task 3,
/// which blocks too, and thread 5 takes that core (worker 1's) over.
#[test]
fn threads_that_took_a_core_over_are_named_by_whose_core() {
    let drawn = on_two_workers(
        &[
            (1, &[0, 100]),
            (2, &[0, 400]),
            (3, &[300, 500]),
            (4, &[470]),
            (5, &[900]),
        ],
        &[(150, 1, 1), (450, 2, 2), (550, 3, 3)],
        &[(1, 200, 200_000), (2, 480, 200_000), (3, 600, 200_000)],
        &[poll(120, 1), poll(420, 2), poll(520, 3)],
    );
    assert_eq!(
        labels(&drawn),
        [
            "worker 1",
            "worker 2",
            "took worker 1's core",
            "took worker 2's core",
            "took worker 1's core",
        ]
    );
    let held: Vec<usize> = drawn.iter().map(|l| l.held.len()).collect();
    assert_eq!(held, [1, 1, 1, 0, 0], "three threads held, two took over");
    // Thread 3 is drawn from when it was first seen, not from the start:
    // its lane begins there, and so does its first busy stretch.
    assert_eq!(drawn[2].busy.first().map(|b| b.0), Some(us(500)));
    let from: Vec<Duration> = drawn.iter().map(|l| l.from).collect();
    assert_eq!(from, [us(0), us(0), us(300), us(470), us(900)]);
}

/// Two workers block before either new thread shows up: nothing
/// observed tells which took whose core, and the labels say so.
#[test]
fn two_cores_handed_over_at_once_are_both_named() {
    let drawn = on_two_workers(
        &[(1, &[0, 100]), (2, &[0, 100]), (3, &[400]), (4, &[450])],
        &[(150, 1, 1), (160, 2, 2)],
        &[(1, 200, 200_000), (2, 210, 200_000)],
        &[],
    );
    assert_eq!(
        labels(&drawn),
        [
            "worker 1",
            "worker 2",
            "took worker 1's or 2's core",
            "took worker 1's or 2's core",
        ]
    );
    assert_eq!(drawn[2].short, "took w1/w2's core");
}

/// A pool of two running four calls: two lanes, each held by the calls
/// it ran, numbered in the order of their first call.
#[test]
fn pool_threads_get_a_lane_each_held_by_their_calls() {
    let events = [event(0, 1, Phase::First, 1)];
    let seen = Seen {
        lines: &events,
        pool: vec![
            (7, ms(1), ms(301)),
            (5, ms(2), ms(302)),
            (7, ms(301), ms(601)),
            (5, ms(302), ms(602)),
        ],
        ..Seen::default()
    };
    let drawn = lanes(&seen, ms(603), Driver::CurrentThread, 0);
    assert_eq!(
        labels(&drawn),
        ["block_on thread", "pool thread 1", "pool thread 2"]
    );
    // Each pool thread's lane begins at its first call.
    assert_eq!((drawn[1].from, drawn[2].from), (ms(1), ms(2)));
    assert_eq!(drawn[1].held, [(ms(1), ms(301)), (ms(301), ms(601))]);
    assert!(drawn[1].running().is_empty());
    // A spin in the pool runs code there.
    let (spun, _) = thread_lanes(&seen, ms(603), (Driver::CurrentThread, 0), false);
    assert!(spun[1].held.is_empty());
    assert_eq!(spun[1].busy.len(), 2);
}

/// Joined on a multi-thread runtime, block_on's thread has no park hook:
/// its lane is busy only in its observed polls, and between them nothing
/// is known (its kind says so). With no polls observed (a run that
/// reported only its lines), it is busy from its first line to its last,
/// as nothing says otherwise.
#[test]
fn a_joined_block_on_thread_is_busy_only_in_its_polls() {
    let parks = parks(&[(0, 2, true), (0, 3, true)]);
    let events = waits(&[(0, 300, 1), (0, 300, 1)]);
    let observed = [poll(100, 1), poll(300_000, 1), poll(300_005, 1)];
    let seen = Seen {
        parks: &parks,
        lines: &events,
        observed: &observed,
        ..Seen::default()
    };
    let (drawn, idle) = thread_lanes(&seen, ms(301), (Driver::Joined, 2), true);
    assert_eq!((labels(&drawn), idle), (vec!["block_on thread"], 2));
    assert_eq!(drawn[0].kind, Kind::Unhooked);
    // Each poll took 10 µs; the two that overlap are one stretch.
    assert_eq!(
        drawn[0].busy,
        [(us(100), us(110)), (us(300_000), us(300_015))]
    );
    let seen = Seen {
        parks: &parks,
        lines: &events,
        ..Seen::default()
    };
    let drawn = lanes(&seen, ms(301), Driver::Joined, 2);
    assert_eq!(drawn[0].kind, Kind::Runtime);
    assert_eq!(drawn[0].busy, [(ms(0), ms(300))]);
}
