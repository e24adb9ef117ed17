use super::*;
use crate::cli::Workload;
use crate::config::Way;
use crate::vocab::{Event, Park, RuntimeKind};

/// A narrator of `tasks` count tasks run in `mode` on one thread,
/// each waiting 1 s, writing plain text.
fn narrator(mode: Mode, tasks: u32) -> Narrator {
    let workload = Workload {
        tasks: Some(tasks),
        delay: Duration::from_secs(1),
        work: crate::vocab::Work::Sleep,
    };
    let way = Way::with_defaults(mode, RuntimeKind::CurrentThread, false);
    let mut config = Config::of_way(Demo::Count, &workload, way);
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
            poll(ms(0), 1, PollStep::Began),
            line(ms(0), 1, Phase::First, "One"),
            RunEvent::WaitBegan {
                at: ms(0),
                task: 1,
                thread: 1,
            },
            RunEvent::WaitEnded {
                at: ms(1002),
                task: 1,
                thread: 1,
                failed: false,
            },
            line(ms(1002), 1, Phase::Last, "Two"),
            poll(
                ms(1002),
                1,
                PollStep::Ended {
                    took: ms(1002),
                    ready: true,
                },
            ),
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
            poll(ms(0), 1, PollStep::Began),
            line(ms(0), 1, Phase::First, "One"),
            RunEvent::WaitBegan {
                at: ms(0),
                task: 1,
                thread: 1,
            },
            poll(
                ms(1),
                1,
                PollStep::Ended {
                    took: ms(1),
                    ready: false,
                },
            ),
            park(ms(1), true),
            park(ms(64), false),
            park(ms(64), true),
            poll(ms(1001), 1, PollStep::Woken),
            park(ms(1001), false),
            poll(ms(1004), 1, PollStep::Began),
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
            poll(ms(0), 1, PollStep::Began),
            poll(
                ms(0),
                1,
                PollStep::Ended {
                    took: ms(0),
                    ready: false,
                },
            ),
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

fn ended(at: Duration, task: u32, took: Duration, ready: bool) -> RunEvent<'static> {
    poll(at, task, PollStep::Ended { took, ready })
}

fn call(at: Duration, task: u32, step: CallStep) -> RunEvent<'static> {
    poll(at, task, PollStep::Call(step))
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
            poll(ms(1), 1, PollStep::Began),
            ended(ms(201), 1, ms(200), true),
            poll(ms(202), 2, PollStep::Began),
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
            poll(ms(0), 1, PollStep::Began),
            call(ms(0), 1, CallStep::Armed { due: ms(300) }),
            ended(ms(1), 1, ms(1), false),
            poll(ms(1), 2, PollStep::Began),
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
            poll(ms(0), 1, PollStep::Began),
            call(ms(0), 1, CallStep::Armed { due: ms(100) }),
            ended(ms(1), 1, ms(1), false),
        ];
        if parked_through {
            events.push(park(ms(2), true));
        }
        events.push(poll(ms(150), 1, PollStep::Woken));
        let lines = told(&mut narrator, &events);
        let woken = lines.iter().find(|l| l.contains("is woken")).unwrap();
        assert_eq!(
            woken.contains("Its deadline had passed 49.000 ms before that"),
            !parked_through,
            "{woken}"
        );
    }
}

/// A query that asks while every connection is busy: its Pending says
/// queued, and the connection taking it later is told with the time it
/// waited.
#[test]
fn a_query_queued_then_sent_is_told_with_its_queue_time() {
    let mut config_narrator = {
        let workload = Workload {
            tasks: Some(3),
            delay: Duration::from_millis(200),
            work: crate::vocab::Work::Sleep,
        };
        let way = Way::with_defaults(Mode::Async, RuntimeKind::CurrentThread, false);
        let mut config = Config::of_way(Demo::Query, &workload, way);
        config.format = Format::Text;
        config.explain = true;
        Narrator::new(&config, Arc::new(Rest::default()))
    };
    let lines = told(
        &mut config_narrator,
        &[
            poll(ms(0), 3, PollStep::Began),
            call(
                ms(0),
                3,
                CallStep::QueryQueued {
                    busy: 2,
                    connections: 2,
                },
            ),
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
