use super::*;

#[test]
fn a_step_is_one_marked_line_or_one_json_object() {
    let step = Step::Pending(Pending {
        task: 2,
        took: Duration::from_micros(12),
        awaits: Awaits::Timer(Duration::from_secs(1)),
        seen: CallSeen::Nothing,
        poller: Poller::Joined(Runtime::CurrentThread),
    });
    let mut text = Vec::new();
    write_step(&mut text, Duration::ZERO, &step, false, false, None).unwrap();
    assert_eq!(
        String::from_utf8(text).unwrap(),
        "  │ task 2's poll returns Pending after 0.012 ms: its timer is registered, \
         and the thread goes back to join_all.\n"
    );
    let mut json = Vec::new();
    write_step(
        &mut json,
        Duration::from_micros(5),
        &step,
        true,
        false,
        Some(40),
    )
    .unwrap();
    let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
    assert_eq!(value["type"], "explain");
    assert_eq!(value["task"], 2);
    assert_eq!(value["step"], "pending");
    assert_eq!(value["t_secs"], 0.000005);
    assert!(value["text"].as_str().unwrap().starts_with("task 2's poll"));
    // Given a width, the step wraps, the mark on every line.
    let mut text = Vec::new();
    write_step(&mut text, Duration::ZERO, &step, false, false, Some(40)).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.lines().count() >= 3, "{text}");
    assert!(
        text.lines()
            .all(|l| l.starts_with(MARK) && crate::wrap::width(l) <= 40),
        "{text}"
    );
}

/// A line from outside (a server's reason phrase) is quoted escaped.
#[test]
fn a_printed_line_is_escaped() {
    let step = Step::Awaits {
        task: 1,
        printed: "fetch 1 \u{1b}[2J".into(),
        awaits: Awaits::Request,
        poller: Poller::Joined(Runtime::CurrentThread),
    };
    assert!(!step.words().contains('\u{1b}'));
}

#[test]
fn a_held_thread_is_said_with_its_call_and_time() {
    let step = Step::Held(Held {
        task: 1,
        call: Call::Sleep(Duration::from_secs(1)),
        held: Duration::from_millis(1002),
        thread: 1,
        poller: Poller::Joined(Runtime::CurrentThread),
        in_block_in_place: false,
    });
    let words = step.words();
    assert!(words.contains("std::thread::sleep(1s) returned after 1002.000 ms"));
    assert!(words.contains("inside task 1's poll"));
    assert!(words.contains("no Pending"));
}

/// Inside `block_in_place` on a worker, the worker's core moved to
/// another thread before the call: the held thread stopped nobody
/// else. On `block_on`'s thread there was no core to move.
#[test]
fn block_in_place_says_the_core_moved_only_on_a_worker() {
    let held = |poller| {
        Step::Held(Held {
            task: 2,
            call: Call::Sleep(Duration::from_millis(100)),
            held: Duration::from_millis(101),
            thread: 3,
            poller,
            in_block_in_place: true,
        })
    };
    let spawned = held(Poller::Spawned(Runtime::MultiThread(2))).words();
    assert!(spawned.contains("inside block_in_place"), "{spawned}");
    assert!(
        spawned.contains("core had moved to another thread"),
        "{spawned}"
    );
    assert!(!spawned.contains("no other task there could be polled"));
    let joined = held(Poller::Joined(Runtime::MultiThread(2))).words();
    assert!(
        joined.contains("no other task there could be polled"),
        "{joined}"
    );
    let awaits = |poller| Step::Awaits {
        task: 2,
        printed: "One".into(),
        awaits: Awaits::BlockInPlace(Call::Sleep(Duration::from_millis(100))),
        poller,
    };
    let spawned = awaits(Poller::Spawned(Runtime::MultiThread(2))).words();
    assert!(spawned.contains("hands this worker's core"), "{spawned}");
    let joined = awaits(Poller::Joined(Runtime::MultiThread(2))).words();
    assert!(joined.contains("no worker core to hand away"), "{joined}");
    assert!(!joined.contains("hands this worker's core"), "{joined}");
}
