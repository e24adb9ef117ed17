use super::*;
use crate::cli::{Cli, Command, Workload};
use clap::Parser;

fn config(args: &[&str]) -> Result<Config, clap::Error> {
    let cli = Cli::try_parse_from(args)?;
    match cli.command {
        Command::Count(args) => Config::new(Demo::Count, args, None, Term::PLAIN),
        Command::Hello(args) => Config::new(Demo::Hello, args, None, Term::PLAIN),
        other => panic!("not a demo: {other:?}"),
    }
}

#[test]
fn usage_errors_show_the_subcommands_usage() {
    let err = config(&["asyncdemo", "count", "--blocking-threads", "2"]).unwrap_err();
    let text = err.render().to_string();
    assert!(text.contains("Usage: asyncdemo count [OPTIONS]"), "{text}");
    let err = config(&["asyncdemo", "hello", "--timeline", "-f", "json"]).unwrap_err();
    let text = err.render().to_string();
    assert!(text.contains("Usage: asyncdemo hello [OPTIONS]"), "{text}");
}

#[test]
fn trace_to_stdout_needs_a_run_that_prints_nothing_else_there() {
    let c = config(&["asyncdemo", "count", "-q", "--trace", "-"]).unwrap();
    assert!(c.stdout_taken());
    for args in [
        &["asyncdemo", "count", "--trace", "-"][..],
        &["asyncdemo", "count", "-v", "--trace", "-"],
        &["asyncdemo", "count", "-f", "json", "--trace", "-"],
        &["asyncdemo", "count", "-q", "-f", "ndjson", "--trace", "-"],
    ] {
        let err = config(args).unwrap_err();
        assert!(err.to_string().contains("--trace - writes"), "{args:?}");
    }
    // A file that merely starts with a dash is a file.
    let c = config(&["asyncdemo", "count", "--trace=-t.json"]).unwrap();
    assert!(!c.stdout_taken());
}

#[test]
fn svg_to_stdout_needs_quiet_and_stdout_to_itself() {
    let c = config(&["asyncdemo", "count", "-q", "--svg", "-"]).unwrap();
    assert!(c.stdout_taken() && c.record);
    for args in [
        &["asyncdemo", "count", "--svg", "-"][..],
        &["asyncdemo", "count", "-v", "--svg", "-"],
        &["asyncdemo", "count", "-f", "json", "--svg", "-"],
        &["asyncdemo", "count", "-q", "--svg", "-", "--trace", "-"],
    ] {
        let err = config(args).unwrap_err();
        assert_eq!(
            err.kind(),
            clap::error::ErrorKind::ArgumentConflict,
            "{args:?}"
        );
    }
    // A picture in a file and the trace on stdout is fine.
    let c = config(&["asyncdemo", "count", "-q", "--svg", "a.svg", "--trace", "-"]).unwrap();
    assert!(c.stdout_taken());
    assert!(
        !config(&["asyncdemo", "count", "--svg", "a.svg"])
            .unwrap()
            .stdout_taken()
    );
}

#[test]
fn workers_imply_a_multi_thread_runtime() {
    let c = config(&["asyncdemo", "count", "--workers", "3"]).unwrap();
    assert_eq!(c.way.runtime, Some(Runtime::MultiThread(3)));
    let c = config(&["asyncdemo", "count", "--runtime", "multi-thread"]).unwrap();
    assert!(matches!(c.way.runtime, Some(Runtime::MultiThread(k)) if k >= 1));
    let c = config(&["asyncdemo", "count"]).unwrap();
    assert_eq!(c.way.runtime, Some(Runtime::CurrentThread));
    let c = config(&["asyncdemo", "count", "-m", "threads"]).unwrap();
    assert_eq!(c.way.runtime, None);
}

#[test]
fn the_blocking_pool_defaults_to_tokios_size_for_spawn_blocking_only() {
    let c = config(&["asyncdemo", "count", "-m", "spawn-blocking"]).unwrap();
    assert_eq!(c.way.blocking_threads, Some(512));
    let c = config(&[
        "asyncdemo",
        "count",
        "-m",
        "spawn-blocking",
        "--blocking-threads",
        "2",
    ]);
    assert_eq!(c.unwrap().way.blocking_threads, Some(2));
    assert_eq!(
        config(&["asyncdemo", "count"])
            .unwrap()
            .way
            .blocking_threads,
        None
    );
}

#[test]
fn options_that_do_not_fit_together_are_usage_errors() {
    for args in [
        &["asyncdemo", "count", "-m", "threads", "--spawn"][..],
        &["asyncdemo", "count", "-m", "threads", "--workers", "2"],
        &[
            "asyncdemo",
            "count",
            "-m",
            "threads",
            "--runtime",
            "current-thread",
        ],
        &[
            "asyncdemo",
            "count",
            "--runtime",
            "current-thread",
            "--workers",
            "2",
        ],
        &["asyncdemo", "count", "--blocking-threads", "2"],
        &["asyncdemo", "count", "--timeline", "-f", "json"],
        &["asyncdemo", "count", "--workers", "0"],
        &["asyncdemo", "count", "-m", "threads", "--slow-poll"],
        &["asyncdemo", "count", "--slow-poll=0"],
        &["asyncdemo", "count", "--slow-poll=soon"],
    ] {
        assert!(config(args).is_err(), "{args:?}");
    }
}

#[test]
fn only_the_timeline_makes_a_run_record_its_events() {
    assert!(!config(&["asyncdemo", "count", "-v"]).unwrap().record);
    assert!(
        !config(&["asyncdemo", "count", "-f", "ndjson"])
            .unwrap()
            .record
    );
    assert!(
        config(&["asyncdemo", "count", "--timeline"])
            .unwrap()
            .record
    );
    assert!(
        !config(&["asyncdemo", "count", "--trace", "t.json"])
            .unwrap()
            .record
    );
    assert!(
        config(&["asyncdemo", "count", "--svg", "t.svg"])
            .unwrap()
            .record
    );
    assert!(
        !config(&["asyncdemo", "count", "--slow-poll"])
            .unwrap()
            .record
    );
}

#[test]
fn slow_poll_defaults_to_asyncios_100ms() {
    let c = config(&["asyncdemo", "count", "--blocking", "--slow-poll"]).unwrap();
    assert_eq!(c.slow_poll, Some(Duration::from_millis(100)));
    let c = config(&["asyncdemo", "count", "--slow-poll=20ms"]).unwrap();
    assert_eq!(c.slow_poll, Some(Duration::from_millis(20)));
    assert_eq!(config(&["asyncdemo", "count"]).unwrap().slow_poll, None);
}

#[test]
fn serve_options_keep_the_delay_within_the_cap() {
    use crate::cli::Command;
    let serve = |args: &[&str]| {
        let cli = Cli::try_parse_from(args).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        ServeOptions::new(&args)
    };
    let options = serve(&["asyncdemo", "serve"]).unwrap();
    // The built-in server's defaults are serve's, but it logs nothing.
    let built_in = ServeOptions::built_in(Duration::from_secs(1));
    assert_eq!(
        options,
        ServeOptions {
            log: true,
            ..built_in
        }
    );
    assert!(!serve(&["asyncdemo", "serve", "-q"]).unwrap().log);
    let err = serve(&["asyncdemo", "serve", "-d", "2m"]).unwrap_err();
    assert!(
        err.to_string()
            .contains("--delay 2m is over --max-delay 1m")
    );
    assert!(serve(&["asyncdemo", "serve", "-d", "2m", "--max-delay", "2m"]).is_ok());
}

#[test]
fn block_in_place_needs_a_multi_thread_runtime() {
    for args in [
        &["asyncdemo", "count", "-m", "block-in-place"][..],
        &[
            "asyncdemo",
            "count",
            "-m",
            "block-in-place",
            "--runtime",
            "current-thread",
        ],
    ] {
        let err = config(args).unwrap_err().to_string();
        assert!(err.contains("needs a multi-thread runtime"), "{err}");
    }
    // --workers implies the multi-thread runtime, as everywhere.
    let c = config(&[
        "asyncdemo",
        "count",
        "-m",
        "block-in-place",
        "--workers",
        "2",
    ])
    .unwrap();
    assert_eq!(c.way.runtime, Some(Runtime::MultiThread(2)));
}

#[test]
fn work_comes_from_the_workload_and_only_lock_has_a_lock() {
    let c = config(&["asyncdemo", "hello", "--work", "spin"]).unwrap();
    assert_eq!((c.work, c.way.lock), (Work::Spin, None));
    assert_eq!(config(&["asyncdemo", "count"]).unwrap().work, Work::Sleep);
    let workload = Workload {
        tasks: None,
        delay: Duration::from_secs(1),
        work: Work::Sleep,
    };
    let lock = Config::of_way(Demo::Lock, &workload, Way::with_lock(LockKind::Tokio));
    assert_eq!((lock.tasks, lock.way.lock), (3, Some(LockKind::Tokio)));
    let default = Config::of_way(
        Demo::Lock,
        &workload,
        Way::with_defaults(Mode::Async, RuntimeKind::CurrentThread, false),
    );
    assert_eq!(default.way.lock, Some(LockKind::Std), "std's, unless told");
    let count = Config::of_way(Demo::Count, &workload, Way::with_lock(LockKind::Std));
    assert_eq!(count.way.lock, None);
}

#[test]
fn blocking_flag_sets_the_mode() {
    let c = config(&["asyncdemo", "count", "--blocking"]).unwrap();
    assert_eq!(c.way.mode, Mode::Blocking);
    let c = config(&["asyncdemo", "hello"]).unwrap();
    assert_eq!((c.way.mode, c.tasks), (Mode::Async, 2));
}

#[test]
fn checks_are_kept_in_order_and_contradictions_rejected() {
    let c = config(&[
        "asyncdemo",
        "count",
        "--max-elapsed",
        "1.5s",
        "--min-elapsed",
        "1s",
    ]);
    assert_eq!(
        c.unwrap().checks,
        vec![
            Check::MaxElapsed(Duration::from_millis(1500)),
            Check::MinElapsed(Duration::from_secs(1))
        ]
    );
    let err = config(&[
        "asyncdemo",
        "count",
        "--max-elapsed",
        "1s",
        "--min-elapsed",
        "2s",
    ]);
    assert!(
        err.unwrap_err()
            .to_string()
            .contains("--min-elapsed 2s is longer")
    );
}

#[test]
fn the_line_style_follows_format_and_detail() {
    let style = |a: &[&str]| config(a).unwrap().line_style();
    assert_eq!(style(&["asyncdemo", "count"]), LineStyle::Plain);
    assert_eq!(style(&["asyncdemo", "count", "-v"]), LineStyle::Verbose);
    assert_eq!(style(&["asyncdemo", "count", "-q"]), LineStyle::Silent);
    assert_eq!(
        style(&["asyncdemo", "count", "-f", "json", "-v"]),
        LineStyle::Silent
    );
    assert_eq!(
        style(&["asyncdemo", "count", "-f", "ndjson"]),
        LineStyle::Ndjson
    );
}

#[test]
fn check_bounds_are_inclusive() {
    let second = Duration::from_secs(1);
    assert!(Check::MaxElapsed(second).passes(second));
    assert!(!Check::MaxElapsed(second).passes(second + Duration::from_nanos(1)));
    assert!(Check::MinElapsed(second).passes(second));
    assert!(!Check::MinElapsed(second).passes(second - Duration::from_nanos(1)));
}
