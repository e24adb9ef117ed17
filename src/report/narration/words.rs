//! The new sentences on made-up steps: each says exactly what its step
//! holds.
use super::*;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

const JOINED: Poller = Poller::Joined(Runtime::CurrentThread);

fn polled(meanwhile: Option<Meanwhile>) -> String {
    Step::Polled(Polled {
        task: 2,
        poller: JOINED,
        thread: 1,
        again: false,
        ready_for: Some(ms(201)),
        meanwhile,
        elsewhere: None,
    })
    .words()
}

#[test]
fn a_ready_wait_names_who_had_the_thread() {
    assert_eq!(
        polled(Some(Meanwhile::Poll {
            task: 1,
            held: ms(200)
        })),
        "join_all polls task 2 (on thread 1) for the first time: it waited 201.000 ms, \
         ready since the start, for the thread: task 1's poll held it for 200.000 ms of \
         that."
    );
    let several = polled(Some(Meanwhile::Polls {
        tasks: vec![(1, ms(2)), (3, ms(4))],
        others: 5,
    }));
    assert!(
        several.ends_with(
            "for the thread, which polled task 1 (2.000 ms), task 3 (4.000 ms) and the \
             tasks not narrated 5 times meanwhile."
        ),
        "{several}"
    );
    let only_others = polled(Some(Meanwhile::Polls {
        tasks: Vec::new(),
        others: 1,
    }));
    assert!(
        only_others.ends_with("which polled the tasks not narrated once meanwhile."),
        "{only_others}"
    );
    let parked = polled(Some(Meanwhile::Parked { woke: ms(3) }));
    assert!(
        parked.ends_with("which was parked and woke up 3.000 ms into the wait."),
        "{parked}"
    );
    // Nothing observed: nothing said.
    assert!(polled(None).ends_with("ready since the start, for the thread."));
}

#[test]
fn an_overdue_timer_names_the_thread_and_who_holds_it() {
    let step = Step::Overdue {
        task: 1,
        overdue: Overdue {
            late: ms(700),
            thread: 1,
            holder: Some(2),
            alone: true,
        },
    };
    assert_eq!(
        step.words(),
        "task 1's deadline passed 0.700 s ago, and nobody has fired its timer: the timer \
         driver runs only when thread 1 parks or looks at it between polls, and task 2 \
         holds thread 1 in a poll that has not returned. Task 1 is overdue, not ready: its \
         waker has not been called."
    );
    let many = Step::Overdue {
        task: 3,
        overdue: Overdue {
            late: ms(50),
            thread: 2,
            holder: None,
            alone: false,
        },
    }
    .words();
    assert!(
        many.contains("only when a runtime thread parks") && many.contains("none has parked"),
        "{many}"
    );
    let woken = Step::Woken(Woken {
        task: 1,
        awaits: Awaits::Timer(ms(5)),
        seen: CallSeen::Nothing,
        thread: 1,
        after: Some(ms(11)),
        overdue: Some(Overdue {
            late: ms(5),
            thread: 1,
            holder: None,
            alone: true,
        }),
    })
    .words();
    assert!(
        woken.ends_with(
            "Its deadline had passed 5.000 ms before that: the timer was overdue, since \
             tokio's timer driver runs only when a runtime thread parks or looks at it \
             between polls, and no thread had parked."
        ),
        "{woken}"
    );
}

fn pending(awaits: Awaits, seen: CallSeen) -> String {
    Step::Pending(Pending {
        task: 3,
        took: ms(1),
        awaits,
        seen,
        poller: JOINED,
    })
    .words()
}

#[test]
fn a_pending_says_what_its_call_showed() {
    let sqlite = Awaits::Query(false);
    let queued = CallSeen::QueryQueued {
        busy: 2,
        connections: 2,
    };
    assert!(pending(sqlite, queued).contains(": its query is queued: all 2 connections are busy,"));
    let one = CallSeen::QueryQueued {
        busy: 1,
        connections: 1,
    };
    assert!(pending(sqlite, one).contains("the one connection is busy"));
    let free = CallSeen::QueryQueued {
        busy: 0,
        connections: 2,
    };
    assert!(
        pending(sqlite, free).contains("a connection was free when its query asked (0 of 2 busy)")
    );
    let sent = CallSeen::QuerySent { connection: 1 };
    assert!(pending(sqlite, sent).contains("its query went to connection 1's thread"));
    assert!(
        pending(Awaits::Query(true), sent)
            .contains("its query was sent to the server on connection 1")
    );
    let pool = Awaits::Pool(Call::Sleep(ms(300)));
    assert!(pending(pool, CallSeen::PoolQueued).contains("waits in the blocking pool's queue"));
    assert!(
        pending(pool, CallSeen::PoolRunning { thread: 4 })
            .contains("its call runs on blocking-pool thread 4")
    );
    let yielded = pending(Awaits::Yielding(ms(5)), CallSeen::Nothing);
    assert!(
        yielded.contains("handed its waker to the scheduler, which defers it")
            && !yielded.contains("at once"),
        "{yielded}"
    );
}

#[test]
fn a_queued_call_is_told_when_it_starts() {
    assert_eq!(
        Step::PoolStarted {
            task: 3,
            thread: 2,
            queued: ms(300),
        }
        .words(),
        "task 3's call starts on blocking-pool thread 2, 300.000 ms after it was handed to \
         the pool: until then it was queued in the pool."
    );
    assert_eq!(
        Step::QuerySent {
            task: 3,
            connection: 1,
            queued: ms(200),
            postgres: false,
        }
        .words(),
        "task 3's query is taken by connection 1's thread, 200.000 ms after it asked for a \
         connection: until then it was queued."
    );
    let woken = |seen| {
        Step::Woken(Woken {
            task: 3,
            awaits: Awaits::Query(false),
            seen,
            thread: 2,
            after: Some(ms(200)),
            overdue: None,
        })
        .words()
    };
    assert!(
        woken(CallSeen::QuerySent { connection: 1 })
            .contains("(its connection's thread sent the answer, on thread 2)")
    );
    assert!(
        woken(CallSeen::QueryQueued {
            busy: 2,
            connections: 2
        })
        .contains("(a connection came free; its query was not sent yet, on thread 2)")
    );
}

/// A poll after a call went elsewhere: the wait since the `Pending` in
/// parts, each said where it is not zero, and the whole their sum; the
/// parked thread's clause speaks of the ready part ("into that").
#[test]
fn a_wait_elsewhere_is_told_in_parts_that_add_up() {
    let again = |elsewhere: Elsewhere, meanwhile| {
        Step::Polled(Polled {
            task: 3,
            poller: JOINED,
            thread: 1,
            again: true,
            ready_for: Some(ms(2)),
            meanwhile,
            elsewhere: Some(elsewhere),
        })
        .words()
    };
    let postgres = Elsewhere {
        queued: ms(100),
        ran: ms(200),
        seen: CallSeen::QuerySent { connection: 2 },
        awaits: Awaits::Query(true),
    };
    assert_eq!(
        again(postgres, Some(Meanwhile::Parked { woke: ms(1) })),
        "join_all polls task 3 again (on thread 1): it waited 302.000 ms since its \
         Pending: 100.000 ms queued for a connection, 200.000 ms at the server, on \
         connection 2, then 2.000 ms ready, for the thread, which was parked and woke up \
         1.000 ms into that."
    );
    // A start the wait did not tell (a recording past its cut-off): the
    // place in general words.
    let untold = Elsewhere {
        queued: Duration::ZERO,
        ran: ms(300),
        seen: CallSeen::Nothing,
        awaits: Awaits::Pool(Call::Sleep(ms(300))),
    };
    assert!(
        again(untold, None).ends_with(
            "it waited 302.000 ms since its Pending: 300.000 ms in the pool, then 2.000 ms \
             ready, for the thread."
        ),
        "{}",
        again(untold, None)
    );
    // Nothing elsewhere to tell: the ready wait alone, as before.
    let nothing = Elsewhere {
        queued: Duration::ZERO,
        ran: Duration::ZERO,
        ..untold
    };
    assert!(
        again(nothing, None).ends_with("it waited 2.000 ms, ready, for the thread."),
        "{}",
        again(nothing, None)
    );
}
