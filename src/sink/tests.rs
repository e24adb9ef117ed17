use super::*;
use std::io;
use std::sync::{Arc, Mutex};

/// A sink of `demo`'s lines into `out`, shown as the notes print them,
/// recording nothing: what most tests of a run start from.
pub(crate) fn plain(out: impl Write + Send + 'static, demo: Demo) -> Sink {
    Sink::new(Box::new(out), demo, LineStyle::Plain, false)
}

/// A writer whose bytes the test can read back after the sink is done.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Captured {
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// A sink that records every event and keeps the plain lines for the
/// test to read back.
pub(crate) fn recording_sink(demo: Demo) -> (Arc<Sink>, Captured) {
    let captured = Captured::default();
    let sink = Sink::new(Box::new(captured.clone()), demo, LineStyle::Plain, true);
    (Arc::new(sink), captured)
}

/// A writer that fails like a full disk.
struct Full;

impl Write for Full {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(io::Error::from_raw_os_error(28)) // ENOSPC
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_query_counts_in_progress_from_its_observed_start_not_its_first_line() {
    let sink = Sink::new(Box::new(io::sink()), Demo::Query, LineStyle::Silent, false)
        .counting_overlap(true);
    // Three tasks print their first line; one connection takes them in
    // turn: the others are queued, and count for nothing.
    for id in 1..=3 {
        sink.line(id, Phase::First);
    }
    assert_eq!(sink.peak_overlap(), Some(0));
    for id in 1..=3 {
        sink.query_began(id);
        sink.query_ended(id);
        sink.end(id, Ending::Answered(Duration::from_millis(300)));
    }
    assert_eq!(sink.peak_overlap(), Some(1));
    // Two connections at once.
    sink.query_began(1);
    sink.query_began(2);
    assert_eq!(sink.peak_overlap(), Some(2));
    // The sleeping demos still count from their lines.
    let count = Sink::new(Box::new(io::sink()), Demo::Count, LineStyle::Silent, false)
        .counting_overlap(true);
    count.line(1, Phase::First);
    count.line(2, Phase::First);
    assert_eq!(count.peak_overlap(), Some(2));
}

#[test]
fn plain_lines_wait_in_the_buffer_until_a_flush() {
    let captured = Captured::default();
    let sink = plain(captured.clone(), Demo::Count);
    sink.line(1, Phase::First);
    sink.line(2, Phase::First);
    assert_eq!(captured.text(), "", "a line must not cost a system call");
    assert!(sink.flush());
    assert_eq!(captured.text(), "One\nOne\n");
    sink.line(1, Phase::Last);
    assert_eq!(sink.completed(), 1);
}

/// A silent run that records nothing only counts, without the lock;
/// one that records still keeps every event.
#[test]
fn silent_lines_count_and_record_only_when_asked() {
    let sink = Sink::new(Box::new(io::sink()), Demo::Count, LineStyle::Silent, false);
    sink.line(1, Phase::First);
    sink.line(1, Phase::Last);
    assert_eq!(sink.completed(), 1);
    assert!(sink.lock().recorder.is_none());
    let (sink, _) = recording_sink(Demo::Count);
    let silent = Sink::new(Box::new(io::sink()), Demo::Count, LineStyle::Silent, true);
    for sink in [&*sink, &silent] {
        sink.line(1, Phase::First);
        sink.line(1, Phase::Last);
        assert_eq!(sink.completed(), 1);
        assert_eq!(sink.lock().events().len(), 2);
    }
}

#[test]
fn a_plain_run_records_nothing() {
    let sink = Sink::new(Box::new(io::sink()), Demo::Count, LineStyle::Plain, false);
    sink.line(1, Phase::First);
    assert!(sink.lock().recorder.is_none());
}

#[test]
fn parks_are_recorded_only_when_recording_and_tiny_idles_are_dropped() {
    let sink = Sink::new(Box::new(io::sink()), Demo::Count, LineStyle::Plain, false);
    sink.park(true);
    assert!(sink.lock().recorder.is_none());

    // A park and a wake-up at once: an idle nobody could see, dropped. On
    // a loaded machine this thread may be descheduled between the two
    // calls for longer than the shortest idle kept, so a fresh sink tries
    // again; the rule holds if any try drops it (none would, were it
    // broken).
    let dropped = (0..20).any(|_| {
        let sink = Sink::new(Box::new(io::sink()), Demo::Count, LineStyle::Plain, true);
        sink.start(Instant::now());
        sink.park(true);
        sink.park(false);
        sink.lock().parks().is_empty()
    });
    assert!(dropped, "a tiny idle was kept every time");
    let sink = Sink::new(Box::new(io::sink()), Demo::Count, LineStyle::Plain, true);
    sink.start(Instant::now());
    sink.park(true);
    std::thread::sleep(super::recorder::SHORTEST_IDLE * 4);
    sink.park(false);
    let parks: Vec<bool> = sink.lock().parks().iter().map(|p| p.parked).collect();
    assert_eq!(parks, [true, false]);
}

#[test]
fn a_failed_write_is_kept_and_later_lines_are_dropped() {
    let sink = Sink::new(Box::new(Full), Demo::Hello, LineStyle::Plain, false);
    sink.line(1, Phase::First);
    assert!(!sink.flush(), "the flush reaches the full disk");
    let state = sink.lock();
    let err = state.error.as_ref().unwrap();
    assert_eq!(err.to_string(), "writing output");
    assert_eq!(
        err.downcast_ref::<io::Error>().unwrap().raw_os_error(),
        Some(28)
    );
    drop(state);
    sink.line(1, Phase::Last);
    assert!(!sink.flush(), "stays failed");
    assert_eq!(sink.completed(), 1, "still counts the task");
}

/// A follower in the style of a narration: it writes a line of its own
/// through the run's writer at each wait, and keeps the kinds of event
/// it saw where another thread can read them.
struct Commentator(Arc<Mutex<Vec<String>>>);

impl Follower for Commentator {
    fn follow(&mut self, event: &RunEvent<'_>, out: &mut dyn Write) -> io::Result<()> {
        let seen = match *event {
            RunEvent::Line { event, ref text } => format!("line {} {text}", event.task),
            RunEvent::WaitBegan { task, .. } => {
                writeln!(out, "# task {task} awaits")?;
                format!("began {task}")
            }
            RunEvent::WaitEnded { task, failed, .. } => {
                writeln!(out, "# task {task} resumes")?;
                format!("ended {task} failed={failed}")
            }
            RunEvent::Thread(park) => format!("parked={}", park.parked),
            RunEvent::Poll { task, .. } => format!("poll {task}"),
            RunEvent::Caller { waiting, .. } => format!("caller waiting={waiting}"),
            RunEvent::Finished { .. } => "finished".into(),
            RunEvent::Stalled { .. } => "stalled".into(),
            RunEvent::Lock { task, step, .. } => format!("lock {task} {step:?}"),
        };
        self.0.lock().unwrap().push(seen);
        Ok(())
    }

    fn wants_threads(&self) -> bool {
        true
    }
}

/// A follower sees every line and wait in the order of the output, and
/// what it writes lands between the demo's lines, each whole.
#[test]
fn a_follower_sees_the_events_in_order_and_writes_between_the_lines() {
    let captured = Captured::default();
    let sink = plain(captured.clone(), Demo::Fetch);
    let seen = Arc::new(Mutex::new(Vec::new()));
    assert!(!sink.follows_threads());
    {
        let mut state = sink.lock();
        let commentator = Box::new(Commentator(Arc::clone(&seen)));
        sink.add_follower(&mut state, commentator, "narrating".into());
    }
    assert!(sink.follows_threads(), "it asked for the threads");
    sink.line(1, Phase::First);
    sink.line(2, Phase::First);
    sink.park(true);
    sink.end(
        2,
        Ending::Reply {
            status: 200,
            reason: "OK",
        },
    );
    sink.end(1, Ending::Failed("refused".into()));
    sink.flush();
    assert_eq!(
        captured.text(),
        "fetch 1 ...\n# task 1 awaits\nfetch 2 ...\n# task 2 awaits\n\
         # task 2 resumes\n... fetch 2: 200 OK\n\
         # task 1 resumes\n... fetch 1: failed: refused\n"
    );
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "line 1 fetch 1 ...",
            "began 1",
            "line 2 fetch 2 ...",
            "began 2",
            "parked=true",
            "ended 2 failed=false",
            "line 2 ... fetch 2: 200 OK",
            "ended 1 failed=true",
        ]
    );
    assert_eq!((sink.completed(), sink.failed()), (1, 1));
}

/// A follower that cannot write stops the run, named in the error, and
/// the line it was told about is not written.
#[test]
fn a_failing_follower_stops_the_run_with_its_name() {
    struct Broken;
    impl Follower for Broken {
        fn follow(&mut self, _: &RunEvent<'_>, _: &mut dyn Write) -> io::Result<()> {
            Err(io::Error::from_raw_os_error(28)) // ENOSPC
        }
    }
    let captured = Captured::default();
    let sink = plain(captured.clone(), Demo::Count);
    {
        let mut state = sink.lock();
        sink.add_follower(&mut state, Box::new(Broken), "writing the follower".into());
    }
    sink.line(1, Phase::First);
    assert!(sink.is_stopped());
    assert!(!sink.flush());
    assert_eq!(captured.text(), "");
    let err = sink.lock().take_error().unwrap();
    assert_eq!(err.to_string(), "writing the follower");
}
