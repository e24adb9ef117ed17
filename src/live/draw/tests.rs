//! The drawing's tests: every kind of view drawn into a buffer, read
//! back as text.

use super::super::tests::plan;
use super::super::{LiveState, Sample};
use super::*;
use crate::state::{Counts as Tally, LaneChange, TaskState as S};
use crate::vocab::{Park, Phase};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A tick at `at` ms: the model's tally, and the threads.
fn sample(at: u64, model: Tally, threads: &[Thread]) -> Sample {
    Sample {
        at: ms(at),
        model,
        threads: threads.to_vec(),
        ..Sample::default()
    }
}

/// A lane: from each time (ms), the state (`None`: ended); a sleep is
/// due one second after it began.
fn lane(changes: &[(u64, Option<S>)]) -> Vec<LaneChange> {
    changes
        .iter()
        .map(|&(at, state)| LaneChange::test(ms(at), state, Some(ms(at + 1000))))
        .collect()
}

/// A line of task `task` at `at` ms on `thread`, for a thread record.
fn printed(threads: &mut super::super::Threads, at: u64, task: u32, thread: u32) {
    threads.line(crate::vocab::Event {
        at: ms(at),
        task,
        phase: Phase::First,
        thread,
    });
}

/// `thread` parked (`true`) or woke up at `at` ms.
fn parked(threads: &mut super::super::Threads, at: u64, thread: u32, parked: bool) {
    threads.park(Park {
        at: ms(at),
        thread,
        parked,
    });
}

/// The screen's rows as text, trailing blanks dropped.
fn screen(plan: &Plan, seen: &Seen, width: u16) -> Vec<String> {
    let rows = ViewRows::fit(plan, 30);
    let mut terminal = Terminal::new(TestBackend::new(width, rows.height())).unwrap();
    terminal
        .draw(|frame| render(plan, seen, rows, frame.area(), frame.buffer_mut()))
        .unwrap();
    let buffer = terminal.backend().buffer();
    (0..buffer.area.height)
        .map(|y| {
            let row: String = (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect();
            row.trim_end().to_owned()
        })
        .collect()
}

/// A blocking run of three one-second tasks, two seconds in: task 1
/// done, task 2 blocked since 1 s, task 3 ready all along, the thread
/// held throughout.
fn blocking_at_two_seconds() -> (Plan, Seen) {
    let plan = Plan {
        waiting: Waiting::Blocked,
        way: "-m blocking".into(),
        expected: ms(3000),
        ..plan(Waiting::Blocked, 3)
    };
    let mut seen = Seen::default();
    for at in (0..=2000).step_by(100) {
        let model = if at < 1000 {
            Tally::test(&[(S::Held, 1), (S::Ready, 2)], 0)
        } else {
            Tally::test(&[(S::Held, 1), (S::Ready, 1)], 1)
        };
        seen.push(sample(at, model, &[Thread::Holding]));
    }
    seen.lanes = vec![
        lane(&[(0, Some(S::Held)), (1000, None)]),
        lane(&[(0, Some(S::Ready)), (1000, Some(S::Held))]),
        lane(&[(0, Some(S::Ready))]),
    ];
    // One thread: task 1 prints and blocks it for a second, then task 2.
    printed(&mut seen.threads, 0, 1, 1);
    seen.threads.held(1, 1, ms(0), true);
    seen.threads.held(1, 1, ms(1000), false);
    printed(&mut seen.threads, 1000, 2, 1);
    seen.threads.held(2, 1, ms(1000), true);
    (plan, seen)
}

/// A query's legend says what its tasks wait for (an answer, or a
/// free connection), and has no overdue: nothing there arms a timer.
#[test]
fn a_query_legend_names_the_answer_and_the_connection_queue() {
    let query = Plan {
        demo: "query",
        ..plan(Waiting::Free, 4)
    };
    let words = |plan: &Plan| -> String { legend(plan)[0].iter().map(|item| item.words).collect() };
    let said = words(&query);
    assert!(said.contains("awaiting an answer, thread free"), "{said}");
    assert!(said.contains("queued for a connection"), "{said}");
    assert!(!said.contains("overdue"), "{said}");
    let count = words(&plan(Waiting::Free, 4));
    assert!(
        count.contains("sleeping, thread free") && count.contains("overdue"),
        "{count}"
    );
}

#[test]
fn a_blocking_run_draws_a_staircase_and_a_held_thread() {
    let (plan, seen) = blocking_at_two_seconds();
    let rows = screen(&plan, &seen, 77);
    // 60 columns of plot for 3 s: 20 columns a second.
    let plot = |row: &str| row.get(17..).unwrap_or_default().to_owned();
    assert!(
        rows[0].starts_with("asyncdemo count -m blocking"),
        "{rows:#?}"
    );
    assert_eq!(plot(&rows[1]), "#".repeat(20), "{rows:#?}");
    assert_eq!(
        plot(&rows[2]),
        ".".repeat(20) + &"#".repeat(20),
        "{rows:#?}"
    );
    assert_eq!(plot(&rows[3]), ".".repeat(40), "{rows:#?}");
    assert!(rows[4].starts_with("block_on thread"), "{rows:#?}");
    // Held, as the --timeline draws it: the same glyph from one palette.
    assert_eq!(plot(&rows[4]), "H".repeat(40), "{rows:#?}");
    assert_eq!(
        rows[5],
        "1 of 3 done · 1 holding the thread · 1 ready, waiting"
    );
    assert_eq!(
        rows[6],
        "tasks:  # blocked, holding the thread (RUNNING)  . ready, waiting (SCHED)"
    );
    assert_eq!(
        rows[7],
        "threads:  x running code  H held in a blocking call  _ parked"
    );
}

/// The lock demo, two seconds in: three one-second tasks, task 1
/// holding the lock across its sleep from 0.1 s, task 2 asking for it
/// at 0.2 s. With std's lock task 2 blocks the thread inside `lock()`
/// (task 3 is never polled); with tokio's, tasks 2 and 3 both ask and
/// return `Pending`, task 1 finishes at 1.1 s and task 2 gets the lock.
fn lock_at_two_seconds(lock: LockKind, width: u16) -> Vec<String> {
    let plan = Plan {
        demo: "lock",
        way: format!("--lock {}", lock.name()),
        lock: Some(lock),
        expected: ms(3000),
        ..plan(Waiting::Free, 3)
    };
    let std = lock == LockKind::Std;
    let mut seen = Seen::default();
    for at in (0..=2000).step_by(100) {
        // As the model's tally would count: with std's lock the thread
        // is held from 0.2 s, so task 1's deadline (1.1 s) passes with
        // nobody to fire its timer.
        let model = match at {
            0 => Tally::test(&[(S::Ready, 3)], 0),
            100 => Tally::test(&[(S::Sleeping, 1), (S::Ready, 2)], 0),
            _ if std && at <= 1100 => {
                Tally::test(&[(S::Sleeping, 1), (S::Held, 1), (S::Ready, 1)], 0)
            }
            _ if std => Tally::test(&[(S::Overdue, 1), (S::Held, 1), (S::Ready, 1)], 0),
            _ if at < 1100 => Tally::test(&[(S::Sleeping, 1), (S::Lock, 2)], 0),
            _ => Tally::test(&[(S::Sleeping, 1), (S::Lock, 1)], 1),
        };
        let thread = if std && at >= 200 {
            Thread::Holding
        } else if at >= 200 {
            Thread::Parked
        } else {
            Thread::Running
        };
        seen.push(sample(at, model, &[thread]));
    }
    // The one thread: task 1 prints at 0.1 s; then task 2 holds it inside
    // std's lock() from 0.2 s, or with tokio's the thread parks.
    printed(&mut seen.threads, 100, 1, 1);
    if std {
        seen.threads.held(2, 1, ms(200), true);
    } else {
        parked(&mut seen.threads, 200, 1, true);
    }
    seen.lanes = if std {
        vec![
            lane(&[(0, Some(S::Ready)), (100, Some(S::Sleeping))]),
            lane(&[(0, Some(S::Ready)), (200, Some(S::Held))]),
            lane(&[(0, Some(S::Ready))]),
        ]
    } else {
        vec![
            lane(&[(0, Some(S::Ready)), (100, Some(S::Sleeping)), (1100, None)]),
            lane(&[
                (0, Some(S::Ready)),
                (200, Some(S::Lock)),
                (1100, Some(S::Sleeping)),
            ]),
            lane(&[(0, Some(S::Ready)), (200, Some(S::Lock))]),
        ]
    };
    screen(&plan, &seen, width)
}

#[test]
fn a_std_lock_held_across_await_draws_the_deadlock() {
    let rows = lock_at_two_seconds(LockKind::Std, 110);
    // 93 columns of plot for 3 s: about 31 a second, so 0.2 s is
    // column 6 or 7.
    let plot = |row: &str| row.get(17..).unwrap_or_default().to_owned();
    assert!(
        rows[0].starts_with("asyncdemo lock --lock std"),
        "{rows:#?}"
    );
    // Task 2 is inside lock() from 0.2 s to now, holding the thread.
    let task2 = plot(&rows[2]);
    let before = task2.chars().take_while(|&c| c == '.').count();
    assert!((5..=7).contains(&before), "{rows:#?}");
    assert!(task2[before..].chars().all(|c| c == '#'), "{rows:#?}");
    // Task 1 slept its second, then is overdue for good: the thread
    // that would fire its timer is held by task 2, so nobody wakes it.
    // (Not ready: its waker was never called.)
    let task1 = plot(&rows[1]);
    assert!(task1.ends_with('^'), "{rows:#?}");
    assert!(task1.trim_end_matches('^').ends_with('~'), "{rows:#?}");
    assert!(plot(&rows[3]).chars().all(|c| c == '.'), "{rows:#?}");
    assert!(plot(&rows[4]).ends_with("HHHH"), "{rows:#?}");
    // Task 1 is overdue; only task 3 (never polled) is ready.
    assert_eq!(
        rows[5],
        "0 of 3 done · 1 blocked in std's lock(), holding the thread · 1 overdue · 1 ready, waiting"
    );
    assert!(
        rows[6].starts_with(
            "tasks:  ~ sleeping, thread free  # in std's lock()  . ready, waiting  ^ overdue"
        ),
        "{rows:#?}"
    );
    assert_eq!(
        rows[7],
        "threads:  x running code  H held in std's lock()  _ parked"
    );
}

#[test]
fn tokios_lock_draws_its_waiters_with_their_thread_free() {
    let rows = lock_at_two_seconds(LockKind::Tokio, 100);
    let plot = |row: &str| row.get(17..).unwrap_or_default().to_owned();
    assert!(
        rows[0].starts_with("asyncdemo lock --lock tokio"),
        "{rows:#?}"
    );
    // Task 2 waits for the lock until task 1 releases it, then sleeps.
    let task2 = plot(&rows[2]);
    let waited = task2.chars().filter(|&c| c == ':').count();
    assert!(waited >= 20 && task2.ends_with('~'), "{rows:#?}");
    // Task 3 still waits, and the thread is parked: nobody holds it.
    assert!(plot(&rows[3]).ends_with("::::"), "{rows:#?}");
    assert!(plot(&rows[4]).ends_with("____"), "{rows:#?}");
    assert_eq!(
        rows[5],
        "1 of 3 done · 1 sleeping, thread free · 1 waiting for the lock, thread free"
    );
    assert_eq!(
        rows[6],
        "tasks:  ~ sleeping, thread free  : waiting for the lock  . ready, waiting  ^ overdue"
    );
}

/// The runs the narrow-width test draws: each kind of driver, a lock,
/// no runtime, and a band of a million tasks.
fn every_kind_of_view() -> Vec<(Plan, Seen)> {
    let (blocking, seen) = blocking_at_two_seconds();
    let mut views = vec![(blocking.clone(), seen.clone())];
    let workers = Plan {
        driver: "4 workers, joined".into(),
        way: "-m block-in-place".into(),
        one_thread: false,
        threads: 5,
        lanes: (crate::report::lanes::Driver::Joined, 4),
        ..blocking.clone()
    };
    let mut many = seen.clone();
    for sample in &mut many.samples {
        sample.threads = vec![Thread::Running];
        sample.threads.extend([Thread::Holding; 4]);
    }
    // Four workers, each woken at the start and busy since.
    for thread in 2..=5 {
        parked(&mut many.threads, 0, thread, true);
        parked(&mut many.threads, 1, thread, false);
    }
    views.push((workers, many));
    for lock in [LockKind::Std, LockKind::Tokio] {
        let plan = Plan {
            demo: "lock",
            way: format!(
                "--lock {}",
                if lock == LockKind::Std {
                    "std"
                } else {
                    "tokio"
                }
            ),
            lock: Some(lock),
            waiting: Waiting::Free,
            ..blocking.clone()
        };
        views.push((plan, seen.clone()));
    }
    let threads = Plan {
        way: "-m threads".into(),
        driver: "a thread per task".into(),
        runtime: false,
        one_thread: false,
        threads: 0,
        ..blocking.clone()
    };
    views.push((threads, seen.clone()));
    let band = Plan {
        tasks: 1_000_000,
        way: "-m spawn-blocking".into(),
        waiting: Waiting::Offloaded,
        ..blocking
    };
    let mut wide = seen;
    for sample in &mut wide.samples {
        sample.started = 1_000_000;
        sample.done = 400_000;
        sample.model = Tally::test(&[(S::InPool, 400_000), (S::Ready, 200_000)], 400_000);
    }
    wide.lanes = vec![wide.lanes[1].clone(); super::super::MAX_LANES];
    views.push((band, wide));
    views
}

/// The words of `row` (whitespace-separated), `…` aside.
fn words(row: &str) -> Vec<&str> {
    row.split_whitespace().filter(|w| *w != "…").collect()
}

/// At 40 and 60 columns every row of the view fits, and every word on
/// it is a whole word of the same view drawn wide: items are dropped
/// whole or shortened to words of their own, never cut mid-word.
#[test]
fn every_row_fits_a_narrow_terminal_without_cutting_a_word() {
    for (plan, seen) in every_kind_of_view() {
        let wide = screen(&plan, &seen, 300);
        let wide_words: Vec<&str> = wide.iter().flat_map(|row| words(row)).collect();
        // The short forms a narrow row may use instead.
        let short = [
            "runtime", "block_on", "w1", "w2", "w3", "w4", "blocked", "sleeping", "ready", "lock",
            "wait", "lock()", "running", "held", "pool", "none,", "an", "OS", "per", "task",
            "more", "took", "a", "core",
        ];
        for width in [40u16, 60] {
            let rows = screen(&plan, &seen, width);
            assert_eq!(rows.len(), wide.len(), "{rows:#?}");
            for row in &rows {
                assert!(
                    width_of(row) <= usize::from(width),
                    "{width}: {row:?} is too wide"
                );
            }
            let label = usize::from(label_width(width));
            let lanes = 1..rows.len() - 3;
            for (i, row) in rows.iter().enumerate() {
                // A lane's label, not its glyphs.
                let text = if lanes.contains(&i) {
                    row.chars().take(label).collect::<String>()
                } else {
                    row.clone()
                };
                for word in words(&text) {
                    let word = word.trim_end_matches('…');
                    assert!(
                        wide_words.contains(&word) || short.contains(&word) || word.ends_with('+'),
                        "{width}: {word:?} of {text:?} is cut\n{rows:#?}\nwide: {wide:#?}"
                    );
                }
            }
            // Every state the wide legend explains and the lanes draw
            // is still in the legend.
            let legend = rows[rows.len() - 2..].join(" ");
            let wide_legend = wide[wide.len() - 2..].join(" ");
            for glyph in ['#', '.', 'H'] {
                let drawn = rows[lanes.clone()]
                    .iter()
                    .any(|r| r.chars().skip(label).any(|c| c == glyph));
                let item = format!("{glyph} ");
                if drawn && wide_legend.contains(&item) {
                    assert!(
                        legend.contains(&item),
                        "{width}: {glyph} unexplained: {rows:#?}"
                    );
                }
            }
        }
    }
}

#[test]
fn narrow_rows_drop_items_whole_or_end_with_an_ellipsis() {
    let parts: Vec<String> = ["1 of 3 done", "1 holding the thread", "1 ready, waiting"]
        .map(str::to_owned)
        .to_vec();
    assert_eq!(fit_parts(&parts, 80), parts.join(" · "));
    assert_eq!(
        fit_parts(&parts, 40),
        "1 of 3 done · 1 holding the thread · …"
    );
    assert_eq!(fit_parts(&parts, 20), "1 of 3 done · …");
    assert_eq!(fit_parts(&parts, 10), "1 of 3…");
    assert_eq!(ellipsized("current-thread runtime", 18), "current-thread…");
    assert_eq!(ellipsized("abcdefgh", 4), "abc…");
    let label = |names: &[&str], width| {
        fit_label(
            &names.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
            width,
        )
    };
    assert_eq!(
        label(&["runtime thread", "runtime", "thread"], 9),
        "runtime"
    );
    assert_eq!(label(&["runtime thread", "runtime"], 16), "runtime thread");
}

#[test]
fn the_lanes_fit_the_width() {
    let (plan, seen) = blocking_at_two_seconds();
    for width in [20, 40, 100, 200] {
        let rows = screen(&plan, &seen, width);
        let glyphs = rows[3].chars().filter(|&c| c == '.').count();
        let plot = usize::from(width - label_width(width) - 1);
        // Two seconds of a three-second axis.
        assert!(
            glyphs.abs_diff(plot * 2 / 3) <= 1,
            "{glyphs} of {plot} at width {width}: {rows:#?}"
        );
        assert!(rows.iter().all(|r| r.chars().count() <= usize::from(width)));
    }
}

#[test]
fn many_tasks_share_a_density_band() {
    let plan = Plan {
        expected: ms(1000),
        ..plan(Waiting::Free, 1_000_000)
    };
    let mut seen = Seen::default();
    // Every task is asleep by 0.4 s; by 1.1 s, 600,000 are done and the
    // others woken, waiting to be polled.
    for at in (0..=1500).step_by(50) {
        let model = match at {
            _ if at < 400 => Tally::test(&[(S::Ready, 1_000_000)], 0),
            _ if at < 1100 => Tally::test(&[(S::Sleeping, 1_000_000)], 0),
            _ => Tally::test(&[(S::Ready, 400_000)], 600_000),
        };
        seen.push(sample(at, model, &[Thread::Running]));
    }
    seen.lanes = vec![
        lane(&[
            (0, Some(S::Ready)),
            (100, Some(S::Sleeping)),
            (1100, Some(S::Ready))
        ]);
        super::super::MAX_LANES
    ];
    let rows = ViewRows::fit(&plan, 30);
    assert!(rows.band && rows.lanes >= 1);
    let text = screen(&plan, &seen, 100);
    let band = &text[1 + rows.lanes];
    assert!(
        band.starts_with(&format!("tasks {}-1000000", rows.lanes + 1)),
        "{text:#?}"
    );
    // Ready before 0.4 s (created, not yet polled), then asleep, then
    // from 1.4 s, their second over, woken and ready again.
    let plot: String = band.chars().skip(17).collect();
    assert!(plot.starts_with('.'), "{plot}");
    assert!(plot.contains('~'), "{plot}");
    assert!(plot.ends_with('.'), "{plot}");
    let counts = &text[text.len() - 3];
    assert_eq!(counts, "600000 of 1000000 done · 400000 ready, waiting");
}

/// Without colour every state still has a glyph of its own; with it,
/// the glyphs are coloured as in `--timeline`.
#[test]
fn colour_only_when_asked() {
    let (plan, seen) = blocking_at_two_seconds();
    for color in [false, true] {
        let plan = Plan {
            color,
            ..plan.clone()
        };
        let rows = ViewRows::fit(&plan, 30);
        let mut buf = Buffer::empty(Rect::new(0, 0, 77, rows.height()));
        render(&plan, &seen, rows, buf.area, &mut buf);
        let fg = buf[(17, 1)].fg;
        assert_eq!(buf[(17, 1)].symbol(), "#");
        assert_eq!(fg == Color::Red, color, "colour {color}: {fg:?}");
    }
}

#[test]
fn a_tiny_screen_still_draws_without_panicking() {
    let (plan, seen) = blocking_at_two_seconds();
    for (w, h) in [(1, 1), (5, 3), (30, 4)] {
        let mut buf = Buffer::empty(Rect::new(0, 0, w, h));
        render(&plan, &seen, ViewRows::fit(&plan, h), buf.area, &mut buf);
    }
}

/// From events to the screen: the lane of a task grows as time passes.
#[test]
fn a_lane_grows_as_the_run_goes() {
    let plan = Plan {
        expected: ms(400),
        ..plan(Waiting::Free, 1)
    };
    let state = LiveState::new(Waiting::Free);
    state.start(std::time::Instant::now());
    let log = std::sync::Arc::new(crate::state::Log::new(false));
    log.tally(1, crate::state::Birth::AtStart, 1);
    log.started(tokio::time::Instant::now());
    state.attach(std::sync::Arc::clone(&log));
    // Task 1 is polled, arms a one-second timer and returns Pending.
    let watcher = crate::state::Watcher(std::sync::Arc::clone(&log));
    use crate::events::PollFollower;
    watcher.poll_began(1, std::time::Instant::now());
    log.armed(1, tokio::time::Instant::now() + ms(1000));
    watcher.poll_returned(1, std::time::Instant::now(), Duration::ZERO, false);
    let mut seen = Seen::default();
    let mut lengths = Vec::new();
    for _ in 0..2 {
        std::thread::sleep(ms(60));
        seen.push(state.sample());
        seen.lanes = vec![state.lane(0)];
        let rows = screen(&plan, &seen, 77);
        lengths.push(rows[1].matches('~').count());
    }
    assert!(lengths[0] >= 1 && lengths[1] > lengths[0], "{lengths:?}");
}

/// The view at `at` ms of `plan`, its thread record `threads`, as rows.
fn thread_rows(plan: &Plan, threads: super::super::Threads, at: u64) -> Vec<String> {
    let mut seen = Seen {
        threads,
        ..Seen::default()
    };
    seen.push(sample(at, Tally::test(&[(S::InPool, 1)], 0), &[]));
    seen.lanes = vec![lane(&[(0, Some(S::Ready))]); plan.tasks as usize];
    screen(plan, &seen, 77)
}

/// A pool of two: each pool thread gets a lane of its own from its first
/// call on, drawn held by the sleep it runs; none before.
#[test]
fn pool_threads_get_lanes_from_their_first_call() {
    let plan = Plan {
        way: "-m spawn-blocking".into(),
        waiting: Waiting::Offloaded,
        threads: 3,
        expected: ms(600),
        ..plan(Waiting::Offloaded, 4)
    };
    let mut threads = super::super::Threads::default();
    for task in 1..=4 {
        printed(&mut threads, 0, task, 1);
    }
    parked(&mut threads, 1, 1, true);
    threads.pool(1, 2, ms(100), true);
    threads.pool(2, 3, ms(100), true);
    let rows = thread_rows(&plan, threads, 300);
    let plot = |name: &str| -> String {
        let row = rows.iter().find(|r| r.starts_with(name)).unwrap();
        row.chars().skip(17).collect()
    };
    assert!(
        rows.iter().any(|r| r.starts_with("block_on thread")),
        "{rows:#?}"
    );
    for name in ["pool thread 1", "pool thread 2"] {
        let lane = plot(name);
        // Nothing before its first call (0.1 s: 10 of the first 60 columns
        // of a 0.6 s axis), held from there to now.
        assert!(
            lane.starts_with("          H"),
            "{name}: {lane:?}\n{rows:#?}"
        );
        assert!(lane.trim_start().chars().all(|c| c == 'H'), "{rows:#?}");
    }
    assert!(
        rows.iter().any(|r| r.contains("H held by a pool call")),
        "{rows:#?}"
    );
}

/// Block-in-place on two spawned workers: the thread that shows up in a
/// worker's loop while worker 1 is held took worker 1's core, and says
/// so; worker 2, parked all along, gets the pictures' one line, no lane.
#[test]
fn a_taken_core_is_paired_with_its_worker_and_idle_workers_are_one_line() {
    let plan = Plan {
        way: "-m block-in-place".into(),
        driver: "2 workers, spawned".into(),
        one_thread: false,
        threads: 5,
        lanes: (crate::report::lanes::Driver::Spawned, 2),
        expected: ms(600),
        ..plan(Waiting::Blocked, 3)
    };
    let mut threads = super::super::Threads::default();
    parked(&mut threads, 0, 1, true);
    parked(&mut threads, 0, 2, true);
    parked(&mut threads, 1, 1, false);
    printed(&mut threads, 2, 1, 1);
    threads.held(1, 1, ms(3), true);
    parked(&mut threads, 5, 3, false);
    printed(&mut threads, 6, 2, 3);
    let rows = thread_rows(&plan, threads, 300);
    let labels: Vec<&str> = rows
        .iter()
        .filter(|r| r.starts_with("worker") || r.starts_with("took"))
        .map(|r| r.get(..16).unwrap_or(r).trim_end())
        .collect();
    assert_eq!(labels, ["worker 1", "took w1's core"], "{rows:#?}");
    assert!(
        rows[4].ends_with("HHH") && rows[5].ends_with("xxx"),
        "{rows:#?}"
    );
    // The idle line right under the lanes; the rows kept for lanes no
    // thread needed stay blank above the counts.
    assert_eq!(rows[6], "… 1 worker parked all along", "{rows:#?}");
    assert_eq!(rows[7..10], ["", "", ""], "{rows:#?}");
    assert!(rows[10].starts_with("0 of 3 done"), "{rows:#?}");
}
