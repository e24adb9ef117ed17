use super::*;

#[test]
fn a_record_becomes_events_parks_and_an_elapsed_time() {
    let record = "python 3.11.7\n\
                  event 1000 1 first 1\n\
                  event 2000 2 first 1\n\
                  park 2500 1 1\n\
                  park 9000 1 0\n\
                  event 9100 1 last 1\n\
                  fail 2 HTTP 404 Not Found\n\
                  observed 7000\n\
                  polls 300 0\n\
                  elapsed 9500\n";
    let parsed = parse(record, 2).unwrap();
    assert_eq!(parsed.version, "3.11.7");
    assert_eq!(parsed.events.len(), 3);
    assert_eq!(parsed.events[2].phase, Phase::Last);
    assert_eq!(parsed.events[2].at, Duration::from_nanos(9100));
    assert_eq!(parsed.parks.len(), 2);
    assert!(parsed.parks[0].parked && !parsed.parks[1].parked);
    assert_eq!(parsed.failed, 1);
    assert_eq!(parsed.observed, Some(Duration::from_nanos(7000)));
    assert_eq!(parsed.polls.unwrap().longest, Duration::from_nanos(300));
    assert_eq!(parsed.elapsed, Duration::from_nanos(9500));
}

/// A PostgreSQL `--db` may hold a password: python3 reads it on stdin,
/// and no argument of its command line (which `ps` shows every user)
/// holds any of it, in either of the forms `--db` takes.
#[test]
fn a_database_password_goes_to_python3_on_stdin_never_in_its_arguments() {
    let workload = Workload {
        tasks: Some(5),
        delay: Duration::from_millis(200),
        work: crate::vocab::Work::Sleep,
    };
    for text in [
        "postgres://someone:pw-s3cret-4711@localhost/postgres",
        "host=/tmp user=someone password=pw-s3cret-4711 dbname=postgres",
    ] {
        let db = crate::dburl::parse(text).unwrap();
        for way in query_ways(&db) {
            let extra = query_args(&db, 3);
            let args = arguments(way, Demo::Query, &workload, &extra);
            let command = command(&args);
            let line: Vec<String> = std::iter::once(command.get_program())
                .chain(command.get_args())
                .map(|arg| arg.to_string_lossy().into_owned())
                .collect();
            assert!(
                line.iter().all(|arg| !arg.contains("s3cret")),
                "{} has the password in its arguments",
                way.key
            );
            assert!(line.contains(&"3".to_owned()), "the connections: {line:?}");
            assert_eq!(extra.stdin.as_deref(), Some(text), "the database, whole");
        }
    }
}

#[test]
fn a_record_that_does_not_fit_is_refused() {
    assert!(parse("python 3.11.7\n", 3).is_err(), "no elapsed");
    assert!(
        parse("event 1 4 first 1\nelapsed 5\n", 3).is_err(),
        "task 4 of 3"
    );
    assert!(
        parse("event 1 0 first 1\nelapsed 5\n", 3).is_err(),
        "task 0"
    );
    assert!(parse("event x 1 first 1\nelapsed 5\n", 3).is_err());
    assert!(parse("event 1 1 middle 1\nelapsed 5\n", 3).is_err());
    // What is not part of the record is left alone.
    assert!(parse("hello from sitecustomize\nelapsed 5\n", 3).is_ok());
}

#[test]
fn text_from_python_reaches_the_terminal_escaped_and_short() {
    assert_eq!(printable("a\u{1b}[2Jb\r"), "a\\u{1b}[2Jb\\r");
    // Bidi controls too, which C0/C1 escaping alone let through.
    assert_eq!(
        printable("3.12\u{202E}evil\u{2066}"),
        "3.12\\u{202e}evil\\u{2066}"
    );
    let long = "x".repeat(500);
    assert_eq!(printable(&long).chars().count(), MAX_REASON_CHARS + 3);
    assert_eq!(
        last_line(b"Traceback:\n  line 1\nValueError: \x1b[31mboom\n\n"),
        "ValueError: \\u{1b}[31mboom"
    );
    assert_eq!(last_line(b""), "(nothing on stderr)");
}

#[test]
fn the_tail_of_a_long_stderr_keeps_its_last_line() {
    let mut text = "noise\n".repeat(100_000).into_bytes();
    text.extend_from_slice(b"RuntimeError: the end\n");
    let kept = tail(&text[..], 1024);
    assert!(kept.len() <= 2 * 1024 + 8192);
    assert_eq!(last_line(&kept), "RuntimeError: the end");
}

#[test]
fn the_default_deadline_is_every_task_in_turn_plus_slack() {
    let second = Duration::from_secs(1);
    assert_eq!(default_deadline(3, second), 3 * second + DEADLINE_SLACK);
    assert_eq!(default_deadline(u32::MAX, Duration::MAX), Duration::MAX);
}

#[test]
fn every_row_of_the_script_is_one_the_script_knows() {
    for way in SLEEPING
        .iter()
        .chain(&FETCHING)
        .chain(&QUERYING_SQLITE)
        .chain(&QUERYING_POSTGRES)
    {
        assert!(
            SCRIPT.contains(&format!("row == \"{}\"", way.key)),
            "{}",
            way.key
        );
    }
}
