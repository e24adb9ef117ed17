//! `asyncdemo compare`: the same demo once per way of running it, one row
//! each, so the lesson reads off a single table.
//!
//! Each way is an ordinary run (the same [`run::execute`] a demo uses) whose
//! task lines go nowhere; only its summary is kept for the table.
//!
//! Ctrl-C keeps what was measured. The rows live behind one lock, shared
//! by the loop that runs the ways and the signal thread, and whichever of
//! the two concludes first prints the table, once: the loop at the end,
//! or the signal thread with the rows so far plus the way it stopped,
//! marked as interrupted. The same [`Guarded`] decides as for a demo run.

use crate::cli::{CompareArgs, TableFormat, WayName};
use crate::conclude::{self, Claim, Closer, Guarded};
use crate::config::{self, Config, DEFAULT_BLOCKING_THREADS, LineStyle, QueryOptions, Term, Way};
use crate::exit_code::{self, ExitCode};
use crate::export::{Compared, Exports};
use crate::interrupt::{self, Signal};
use crate::outcome::Outcome;
use crate::python;
use crate::report::compare::{self, Row};
use crate::report::{Language, Summary, text};
use crate::run;
use crate::sink::Sink;
use crate::slowpoll::{self, Watch};
use crate::vocab::{Demo, LockKind, Mode, PeerKind, RuntimeKind, Work};
use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

mod recording;

/// What compare counts as a slow poll: asyncio's `slow_callback_duration`.
const SLOW_POLL: Duration = Duration::from_millis(100);

/// One run that `compare` makes: a way of running the tasks, with the
/// words that explain what it shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Trial {
    /// What `--ways` calls it.
    pub(crate) name: WayName,
    /// Why it behaves as it does, in plain words, for the sleeping demos.
    /// For `spawn-blocking` the pool's cap follows.
    pub(crate) why: &'static str,
    /// The same for `fetch`, where its words differ.
    pub(crate) why_fetch: Option<&'static str>,
}

/// How a way runs the tasks. Every table of trials (the sleeps, the busy
/// loops, the locks) runs a way the same way; only the words differ, so
/// the tables hold the words and this holds the rest, once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WayShape {
    /// How each task waits.
    pub(crate) mode: Mode,
    /// The runtime (ignored by `threads`, which uses none).
    pub(crate) runtime: RuntimeKind,
    /// Spawn each task instead of joining them in one `join_all`.
    pub(crate) spawn: bool,
    /// The lock the tasks share (`compare lock`); `None` for the others.
    pub(crate) lock: Option<LockKind>,
}

impl WayShape {
    /// The shape of the way `--ways` calls `name`.
    pub(crate) const fn of(name: WayName) -> WayShape {
        use RuntimeKind::{CurrentThread, MultiThread};
        let (mode, runtime, spawn, lock) = match name {
            WayName::Async => (Mode::Async, CurrentThread, false, None),
            WayName::Blocking => (Mode::Blocking, CurrentThread, false, None),
            WayName::Threads => (Mode::Threads, CurrentThread, false, None),
            WayName::SpawnBlocking => (Mode::SpawnBlocking, CurrentThread, false, None),
            WayName::MultiJoined => (Mode::Blocking, MultiThread, false, None),
            WayName::MultiSpawned => (Mode::Blocking, MultiThread, true, None),
            WayName::InPlaceJoined => (Mode::BlockInPlace, MultiThread, false, None),
            WayName::InPlaceSpawned => (Mode::BlockInPlace, MultiThread, true, None),
            // The lock demo's ways: the tasks joined on one thread.
            WayName::StdLock => (Mode::Async, CurrentThread, false, Some(LockKind::Std)),
            WayName::TokioLock => (Mode::Async, CurrentThread, false, Some(LockKind::Tokio)),
            WayName::NoLock => (Mode::Async, CurrentThread, false, Some(LockKind::None)),
        };
        WayShape {
            mode,
            runtime,
            spawn,
            lock,
        }
    }
}

impl Trial {
    /// How this trial runs the tasks.
    pub(crate) const fn shape(&self) -> WayShape {
        WayShape::of(self.name)
    }

    /// The explanation in the words of `demo`'s wait.
    pub(crate) fn why(&self, demo: Demo) -> String {
        // A blocking call to a peer (a fetch, a query) is a call, not a sleep.
        let why = match (demo.peer(), self.why_fetch) {
            (Some(_), Some(why)) => why,
            _ => self.why,
        };
        match self.shape().mode {
            Mode::SpawnBlocking => format!("{why}, up to {DEFAULT_BLOCKING_THREADS}"),
            _ => why.to_owned(),
        }
    }

    /// Why a finished run of this trial behaved as it did, the row's words
    /// beside its figures: the trial's
    /// own words when it overlapped as many waits as its way allows, and
    /// what held it back when it did not, so that the words never contradict
    /// the figure beside them.
    ///
    /// One CPU is the case to watch: tokio gives the multi-thread runtime
    /// one worker per CPU, so under `taskset -c 0` the spawned tasks have a
    /// single worker to block, and run one after another.
    pub(crate) fn reason(&self, demo: Demo, summary: &Summary) -> String {
        let why = self.why(demo);
        let finished = !summary.interrupted && summary.completed >= summary.tasks;
        let Some(peak) = summary.peak_overlap.filter(|_| finished) else {
            return why;
        };
        let workers = summary.workers.unwrap_or(1);
        match self.name {
            WayName::MultiSpawned if workers == 1 && peak <= 1 => {
                return "the runtime had one worker, as tokio starts one per CPU and only one \
                        CPU was free, so each spawned task blocked it in turn"
                    .to_owned();
            }
            WayName::MultiJoined if workers == 1 => {
                return why.replace("the workers idle", "the worker idles");
            }
            _ => {}
        }
        let allows = self.allows(summary);
        if peak < allows {
            return format!(
                "{why}, yet only {peak} of the {allows} waits it allows overlapped: \
                 the first ended before the last began"
            );
        }
        why
    }

    /// How many of `summary`'s tasks this way lets wait at once.
    fn allows(&self, summary: &Summary) -> u32 {
        let tasks = summary.tasks;
        let at_most = |limit: Option<usize>| {
            limit.map_or(tasks, |n| u32::try_from(n).unwrap_or(u32::MAX).min(tasks))
        };
        let shape = self.shape();
        // A lock held across the wait lets one task wait at a time.
        if shape.lock.is_some_and(|lock| lock != LockKind::None) {
            return tasks.min(1);
        }
        match shape.mode {
            Mode::Async | Mode::Threads => tasks,
            Mode::SpawnBlocking => at_most(summary.blocking_threads),
            Mode::Blocking if shape.spawn => at_most(Some(summary.workers.unwrap_or(1))),
            Mode::Blocking => tasks.min(1),
            // Each blocked worker's core, with its other tasks, moves to another thread.
            Mode::BlockInPlace if shape.spawn => tasks,
            Mode::BlockInPlace => tasks.min(1),
        }
    }

    /// How this trial drives the tasks, with tokio's defaults.
    pub(crate) fn way(&self) -> Way {
        let shape = self.shape();
        match shape.lock {
            Some(lock) => Way::with_lock(lock),
            None => Way::with_defaults(shape.mode, shape.runtime, shape.spawn),
        }
    }
}

/// Every run `compare` makes, in the order of the lesson.
pub(crate) const TRIALS: [Trial; 8] = [
    Trial {
        name: WayName::Async,
        why: "tokio::time::sleep frees the thread while it waits",
        why_fetch: Some("reqwest frees the thread while it awaits the reply"),
    },
    Trial {
        name: WayName::Blocking,
        why: "std::thread::sleep blocks the executor",
        why_fetch: Some("a ureq call blocks the executor"),
    },
    Trial {
        name: WayName::Threads,
        why: "each task holds an OS thread of its own",
        why_fetch: None,
    },
    Trial {
        name: WayName::SpawnBlocking,
        why: "the sleeps run on tokio's blocking pool, which starts threads as the calls need them",
        why_fetch: Some(
            "the ureq calls run on tokio's blocking pool, which starts threads as the calls need them",
        ),
    },
    Trial {
        name: WayName::MultiJoined,
        why: "join_all is one future, which one thread polls at a time, so each block stalls every task in it; the workers idle",
        why_fetch: None,
    },
    Trial {
        name: WayName::MultiSpawned,
        why: "each spawned task blocks only the worker it runs on",
        why_fetch: None,
    },
    Trial {
        name: WayName::InPlaceJoined,
        why: "join_all's coroutines are polled on block_on's thread, which holds no worker core: block_in_place has nothing to hand to another thread, so it simply blocks, and they wait in turn",
        why_fetch: Some(
            "join_all's coroutines are polled on block_on's thread, which holds no worker core: block_in_place has nothing to hand to another thread, so it simply blocks, and the calls run in turn",
        ),
    },
    Trial {
        name: WayName::InPlaceSpawned,
        why: "block_in_place hands each blocked worker's core, with its other tasks, to another thread, so the spawned sleeps overlap",
        why_fetch: Some(
            "block_in_place hands each blocked worker's core, with its other tasks, to another thread, so the spawned calls overlap",
        ),
    },
];

/// The runs of `compare --work spin`: the same ways, with a busy loop on
/// the CPU in place of each sleep, and `block-in-place` joined and spawned.
/// Each loop in flight has a thread, but the threads share the CPUs: more
/// threads than free CPUs add no speed.
pub(crate) const SPIN_TRIALS: [Trial; 8] = [
    Trial {
        name: WayName::Async,
        why: "yield_now makes the loops take turns on the one thread: fair, not faster",
        why_fetch: None,
    },
    Trial {
        name: WayName::Blocking,
        why: "a loop that never yields holds the thread to its end",
        why_fetch: None,
    },
    Trial {
        name: WayName::Threads,
        why: "the loops share the CPUs, each on an OS thread of its own",
        why_fetch: None,
    },
    Trial {
        name: WayName::SpawnBlocking,
        why: "the loops share the CPUs, each on a thread of tokio's blocking pool, which \
              starts threads as the calls need them",
        why_fetch: None,
    },
    Trial {
        name: WayName::MultiJoined,
        why: "join_all is one future, which one thread polls: the loops run one after another",
        why_fetch: None,
    },
    Trial {
        name: WayName::MultiSpawned,
        why: "each spawned loop holds the worker it runs on to its end, and tokio starts \
              one worker per CPU",
        why_fetch: None,
    },
    Trial {
        name: WayName::InPlaceJoined,
        why: "join_all's loops are polled on block_on's thread, which holds no worker core: \
              block_in_place has nothing to hand to another thread, so each loop runs to its \
              end in turn",
        why_fetch: None,
    },
    Trial {
        name: WayName::InPlaceSpawned,
        why: "block_in_place hands each spinning worker's core to another thread, which \
              polls the next loop: the loops share the CPUs, each on a thread of its own",
        why_fetch: None,
    },
];

/// The runs of `compare lock`: the three locks, the tasks joined on one
/// thread, and why each behaves as it does.
pub(crate) const LOCK_TRIALS: [Trial; 3] = [
    Trial {
        name: WayName::StdLock,
        why: "std's lock() blocks the only thread, which the guard's holder needs to be polled again",
        why_fetch: None,
    },
    Trial {
        name: WayName::TokioLock,
        why: "lock().await gives the thread back, but holding any lock across a wait serialises \
              the tasks",
        why_fetch: None,
    },
    Trial {
        name: WayName::NoLock,
        why: "no lock: nothing keeps the waits apart",
        why_fetch: None,
    },
];

/// The runs `compare` makes of `args.demo` with its work: the lesson's
/// ways, or those `--ways` picked, in the lesson's order. A picked way the
/// demo does not run (`--ways std-lock` for count) is a usage error.
fn chosen(demo: Demo, work: Work, ways: &[WayName]) -> Result<Vec<Trial>, clap::Error> {
    let all: &[Trial] = match (demo.row().shares_lock, work) {
        (true, _) => &LOCK_TRIALS,
        (false, Work::Spin) => &SPIN_TRIALS,
        (false, Work::Sleep) => &TRIALS,
    };
    if let Some(missing) = ways
        .iter()
        .find(|name| !all.iter().any(|trial| trial.name == **name))
    {
        let names: Vec<String> = all.iter().map(|trial| trial.name.label()).collect();
        return Err(config::usage_error(
            "compare",
            format!(
                "compare {} has no way '{}': it runs {}",
                demo.name(),
                missing.label(),
                names.join(", ")
            ),
        ));
    }
    Ok(all
        .iter()
        .copied()
        .filter(|trial| ways.is_empty() || ways.contains(&trial.name))
        .collect())
}

/// The table as it fills up.
struct Table {
    /// The rows measured so far.
    rows: Vec<Row>,
    /// The way running now, for the partial row a signal adds.
    current: Option<Running>,
    /// The Python row running now, as a signal would leave it (python3
    /// reports only at its end), with the program it runs.
    python: Option<(Row, &'static python::Program)>,
}

/// A way in progress: enough to summarise it when a signal stops it.
struct Running {
    config: Config,
    sink: Arc<Sink>,
    /// The way, whose words explain the row.
    trial: Trial,
    /// The timing of its polls, for the longest-poll column.
    watch: Arc<Watch>,
}

/// What the signal thread and the loop share.
struct Comparison {
    /// The rows, with which of the loop and a signal prints the table.
    table: Guarded<Table>,
    /// The table on stdout, and the `--svg` file, created before the runs.
    exports: Exports<Compared>,
    /// `--record`: every way's run, kept as it goes.
    recording: recording::Kept,
}

impl Comparison {
    /// The hang-up thread's path: the reader of stdout went away, so the
    /// table would go nowhere. Stops a Python row in progress and ends the
    /// process quietly (exit 0), unless the table is being written already
    /// (its write then fails with a broken pipe, which ends as quietly).
    fn hung_up(&self) {
        // Exit while holding the table (when it came free), so that no
        // more ways run meanwhile.
        let (_table, code) = match self.table.claim(Closer::HangUp) {
            Claim::Won(table) => (Some(table), ExitCode::Success),
            Claim::Lost => return,
            Claim::Stuck(code) => (None, code),
        };
        python::stop_running();
        conclude::exit(code);
    }

    /// The signal thread's path: print the rows so far and the stopped
    /// way, then end the process with the signal's code.
    fn interrupted(&self, signal: Signal) {
        let mut table = match self.table.claim(Closer::Signal(signal)) {
            Claim::Won(table) => table,
            // The loop is printing the finished table; it exits as usual.
            Claim::Lost => return,
            // compare decides no code before its table is out, so this is
            // the signal's own.
            Claim::Stuck(code) => {
                python::stop_running();
                conclude::exit(code);
            }
        };
        // A Python row in progress runs in a process group of its own,
        // which the terminal's Ctrl-C does not reach. Stopped only now,
        // with the table held and the conclusion claimed: stopped first,
        // the loop could see python3 end and record it as a failed row,
        // then start the next one, before this took the table.
        python::stop_running();
        let mut stopped = false;
        if let Some(Running {
            config,
            sink,
            trial,
            watch,
        }) = table.current.take()
        {
            // The stopped way's partial outcome, from its sink. The lock
            // is taken only for a line, never across a wait.
            let (outcome, events, parks) = sink
                .lock_within(interrupt::LOCK_PATIENCE)
                .map(|mut state| {
                    let outcome = sink.so_far(&state, Some(watch.polls()));
                    let (_, events, parks) = state.out_and_events();
                    (outcome, events.to_vec(), parks.to_vec())
                })
                .unwrap_or_default();
            let summary = Summary::new(&config, outcome, Some(signal))
                .with_peak_overlap(sink.peak_overlap())
                .with_observed(sink.observed());
            table.rows.push(Row {
                why: trial.reason(config.demo, &summary),
                summary,
                events,
                parks,
            });
            stopped = true;
        }
        let python = table.python.take();
        // The recording first: whole, whatever the table's reader does.
        let row = stopped.then(|| table.rows.last()).flatten();
        self.recording.interrupted(row, python.as_ref(), signal);
        if let Some((row, _)) = python {
            table.rows.push(row);
        }
        // Nothing useful can be done with an error here: the process ends
        // with the signal's code either way. Exit while holding the table,
        // so that nothing else is printed after it.
        let _ = text::end_the_ctrl_c_line(&mut self.out(), Some(signal), self.on_terminal());
        let _ = self.write(&table.rows);
        conclude::exit(signal.exit_code());
    }

    /// Writes the table on stdout and the `--svg` picture, if one was asked
    /// for: one panel per way, the interrupted one included.
    fn write(&self, rows: &[Row]) -> anyhow::Result<()> {
        self.exports.write_main(&mut self.out(), rows)?;
        self.exports.write_files(rows)
    }
}

/// Runs every way and prints the table.
pub(crate) fn compare(args: CompareArgs, term: Term) -> anyhow::Result<ExitCode> {
    config::check_compare(&args)?;
    if args.demo.peer().map(|peer| peer.kind) == Some(PeerKind::Database) {
        crate::db::require(&format!("compare {}", args.demo.name()))?;
    }
    let trials = chosen(args.demo, args.workload.work, &args.ways)?;
    // The files are created first, so that a bad path fails before the
    // runs rather than after them.
    let shared = Arc::new(Comparison {
        recording: recording::Kept::start(&args, &trials)?,
        table: Guarded::new(Table {
            rows: Vec::with_capacity(TRIALS.len()),
            current: None,
            python: None,
        }),
        exports: Exports::for_compare(args.format, term, args.svg.as_deref(), args.png.as_deref())?,
    });
    // A run in progress may be blocked in `std::thread::sleep`; as for a
    // demo, the signal is handled on its own thread.
    interrupt::on_signal({
        let shared = Arc::clone(&shared);
        move |signal| shared.interrupted(signal)
    })?;
    // Nobody left to read the table: the ways still to run are not run
    // (a Python row would wait out its deadline), as a demo's run ends.
    interrupt::on_hangup({
        let shared = Arc::clone(&shared);
        move || shared.hung_up()
    })?;

    // The worst way's ending decides the exit code, as a demo run's would:
    // 1 for tasks that failed or a limit of the machine, 2 for any other
    // error.
    let mut code = ExitCode::Success;
    for trial in trials {
        code = code.worse(run_way(&args, &shared, trial));
    }
    if args.python {
        code = code.worse(python_rows(&args, &shared));
    }

    // If a signal concluded first, its thread is printing the table and
    // ending the process, and this one parks.
    let table = shared.table.claim_end();
    code = code.worse(shared.recording.end());
    shared.write(&table.rows)?;
    if args.svg.is_some() || args.png.is_some() {
        if let Some(note) = crate::export::svg::slide_note(&table.rows) {
            let _ = writeln!(io::stderr(), "{}", crate::style::label(&note));
        }
    }
    Ok(code)
}

/// Runs one way of `compare` and adds its row to the table; returns the
/// exit code its ending implies.
fn run_way(args: &CompareArgs, shared: &Comparison, trial: Trial) -> ExitCode {
    let base = Config::of_way(args.demo, &args.workload, trial.way());
    let config = Config {
        // The picture needs every way's events.
        record: args.svg.is_some() || args.png.is_some(),
        query: base
            .query
            .as_ref()
            .map(|_| QueryOptions::new(&args.db, base.tasks)),
        ..base
    };
    // The label comes from an empty summary of the run about to start,
    // so the progress line and the table row describe it the same way.
    let label = compare::describe(&Summary::new(&config, Outcome::default(), None));
    // Every row reads its verdict off the peak overlap.
    let sink = Arc::new(
        Sink::new(
            Box::new(io::sink()),
            config.demo,
            LineStyle::Silent,
            config.record,
        )
        .counting_overlap(true)
        .observing(crate::report::observed_tasks(&config))
        .counting_states(crate::report::census(&config), None),
    );
    // compare always times the polls (its runs are small), so that every
    // row can say how long one poll held a thread.
    let watch = slowpoll::Watch::for_run(&config, SLOW_POLL, slowpoll::Warnings::Silent);
    // Past a signal's conclusion nothing more runs: the signal thread
    // is printing the table and ending the process.
    shared.table.lock_or_park().current = Some(Running {
        config: config.clone(),
        sink: Arc::clone(&sink),
        trial,
        watch: Arc::clone(&watch),
    });
    if args.format == TableFormat::Text && !args.quiet {
        // On stderr, so that stdout holds only the table.
        let _ = writeln!(io::stderr(), "running {label} ...");
    }
    let recorded = shared.recording.way(&trial, &config, &sink);
    let result = run::execute(&config, &sink, Some(&watch), run::Teardown::Drop);
    let (outcome, code) = judged(result, &label, &config, &sink, &watch);
    let (events, parks) = {
        let mut state = sink.lock();
        let (_, events, parks) = state.out_and_events();
        (events.to_vec(), parks.to_vec())
    };
    let mut table = shared.table.lock_or_park();
    table.current = None;
    let summary = Summary::new(&config, outcome, None)
        .with_peak_overlap(sink.peak_overlap())
        .with_observed(sink.observed());
    let row = Row {
        why: match &config.query {
            Some(query) => query_verdict(&trial, query, &summary),
            None => trial.reason(args.demo, &summary),
        },
        summary: Summary {
            language: Some(Language::Rust),
            ..summary
        },
        events,
        parks,
    };
    // Under the table's lock: a signal finds it concluded in both or neither.
    let recorded = recorded.worse(shared.recording.row(&row));
    table.rows.push(row);
    code.worse(recorded)
}

/// What a way's run came to: its outcome (how far it got, if it failed)
/// and the exit code that implies. Says on stderr why a way fell short.
fn judged(
    result: anyhow::Result<Outcome>,
    label: &str,
    config: &Config,
    sink: &Sink,
    watch: &Watch,
) -> (Outcome, ExitCode) {
    // A task's failure (a fetch refused, say) is kept by the sink.
    let error = sink.lock().take_error();
    match (result, error) {
        (Ok(outcome), None) if outcome.completed >= config.tasks => (outcome, ExitCode::Success),
        (Ok(outcome), None) => {
            match &outcome.deadlock {
                Some(deadlock) => {
                    exit_code::error(format_args!("{label}: {}", run::lock::diagnosis(deadlock)));
                }
                None => exit_code::error(format_args!(
                    "{label}: only {} of {} tasks finished",
                    outcome.completed, config.tasks
                )),
            }
            (outcome, ExitCode::CheckFailed)
        }
        // One way failing (the OS refusing threads, say) still leaves
        // the others worth showing; its row says how far it got.
        (Ok(_), Some(err)) | (Err(err), _) => {
            // The same classification as a single run's: a limit of the
            // machine, named, is exit 1.
            let code = exit_code::report_failure(Some(label), &err);
            (sink.so_far(&sink.lock(), Some(watch.polls())), code)
        }
    }
}

/// Why a way of running `compare query` overlapped as it did, read from
/// the observed overlap: a pool of fewer connections than tasks caps it,
/// and then the connections are the reason, whatever the way.
fn query_verdict(trial: &Trial, query: &QueryOptions, summary: &Summary) -> String {
    let server = query.db.is_postgres();
    let finished = !summary.interrupted && summary.completed >= summary.tasks;
    let capped = query.connections < summary.tasks
        && finished
        && summary.peak_overlap == Some(query.connections);
    match (capped, query.connections, trial.shape().mode, server) {
        (true, 1, _, true) => {
            "one connection, the server runs a connection's queries in turn".to_owned()
        }
        (true, 1, _, false) => "one connection, whose thread runs its queries in turn".to_owned(),
        (true, k, _, _) => format!("{k} connections"),
        (false, _, Mode::Async, true) => {
            "tokio-postgres frees the thread while the server runs each query".to_owned()
        }
        (false, _, Mode::Async, false) => "each query runs on its connection's own thread: \
                                           async SQLite is a blocking call on its own thread"
            .to_owned(),
        (false, _, Mode::Blocking, true) if summary.failed > 0 => {
            "tokio refuses the sync postgres client inside a task: it panics (see the error)"
                .to_owned()
        }
        (false, _, Mode::SpawnBlocking, _) => format!(
            "the queries run on tokio's blocking pool, which starts threads as the calls need \
             them, up to {DEFAULT_BLOCKING_THREADS}"
        ),
        (false, _, Mode::Blocking, false) if !trial.shape().spawn => {
            "rusqlite's query blocks the executor".to_owned()
        }
        _ => trial.reason(Demo::Query, summary),
    }
}

/// `compare --python`: the Python rows, after the tokio rows. A missing
/// python3 or package is a note on stderr, not a failure; a Python run
/// that fails or passes its deadline is a failed row, and exit code 1.
fn python_rows(args: &CompareArgs, shared: &Comparison) -> ExitCode {
    let tasks = args.workload.tasks_for(args.demo);
    let deadline = args
        .python_deadline
        .unwrap_or_else(|| python::default_deadline(tasks, args.workload.delay));
    let mut code = ExitCode::Success;
    let (all, extra) = python_programs(args);
    let ways = python_twins(all, &args.ways);
    if ways.is_empty() && !all.is_empty() {
        let _ = writeln!(
            io::stderr(),
            "note: no Python rows: none of the ways picked has a Python twin \
             (async, blocking, spawn-blocking and threads have)"
        );
    }
    for way in ways {
        // The row a signal would leave is in place before the row is
        // announced: a Ctrl-C right after the announcement marks it
        // interrupted instead of leaving it out.
        shared.table.lock_or_park().python =
            Some((python::interrupted(way, args.demo, &args.workload), way));
        if args.format == TableFormat::Text && !args.quiet {
            let _ = writeln!(io::stderr(), "running python3: {} ...", way.ran);
        }
        let row = match python::run(way, args.demo, &args.workload, deadline, &extra) {
            python::Ran::Row(row) => *row,
            python::Ran::Skipped(why) => {
                shared.table.lock().python = None;
                let _ = writeln!(io::stderr(), "note: skipped {why}");
                continue;
            }
            python::Ran::NoPython(why) => {
                let _ = writeln!(io::stderr(), "note: no Python rows: {why}");
                break;
            }
        };
        let label = compare::runtime_label(&row.summary);
        if let Some(error) = &row.summary.error {
            exit_code::error(format_args!("python3 {label}: {error}"));
            code = code.worse(ExitCode::CheckFailed);
        } else if row.summary.completed < tasks {
            exit_code::error(format_args!(
                "python3 {label}: only {} of {tasks} tasks finished",
                row.summary.completed
            ));
            code = code.worse(ExitCode::CheckFailed);
        }
        let mut table = shared.table.lock_or_park();
        table.python = None;
        code = code.worse(shared.recording.python(way, &row));
        table.rows.push(row);
    }
    shared.table.lock().python = None;
    code
}

/// `args.demo`'s Python programs and their arguments (query's: the database).
fn python_programs(args: &CompareArgs) -> (&'static [python::Program], python::Extra) {
    match args.demo {
        Demo::Query => {
            let query = QueryOptions::new(&args.db, args.workload.tasks_for(args.demo));
            let extra = python::query_args(&query.db, query.connections);
            (python::query_ways(&query.db), extra)
        }
        _ => (python::ways(args.demo), python::Extra::default()),
    }
}

/// The Python rows among `all` (a demo's) that `--ways` picked: the twins of the
/// picked tokio ways, those that wait the same way on one event loop (or a
/// thread each); all of them when `--ways` picked none. The multi-thread
/// ways have no twin: asyncio's event loop is one thread.
fn python_twins(
    all: &'static [python::Program],
    ways: &[WayName],
) -> Vec<&'static python::Program> {
    // The ways of one thread, joined, with no lock: async, blocking,
    // spawn-blocking and threads.
    let twin = |name: &WayName| {
        let shape = WayShape::of(*name);
        let one_thread = shape.runtime == RuntimeKind::CurrentThread && !shape.spawn;
        (one_thread && shape.lock.is_none()).then_some(shape.mode)
    };
    let modes: Vec<Mode> = ways.iter().filter_map(twin).collect();
    all.iter()
        .filter(|program| ways.is_empty() || modes.contains(&program.mode))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_blocking_pool_is_described_at_its_configured_size() {
        let pool = TRIALS
            .iter()
            .find(|t| t.shape().mode == Mode::SpawnBlocking)
            .unwrap();
        let size = DEFAULT_BLOCKING_THREADS.to_string();
        for demo in [Demo::Count, Demo::Fetch] {
            assert!(
                pool.why(demo).ends_with(&format!("up to {size}")),
                "{demo:?}"
            );
        }
        assert_eq!(pool.way().blocking_threads, Some(DEFAULT_BLOCKING_THREADS));
        // Only the pool's words carry a size.
        assert!(!TRIALS[0].why(Demo::Count).contains(&size));
    }

    #[test]
    fn every_table_runs_each_of_its_ways_differently() {
        for table in [&TRIALS[..], &SPIN_TRIALS, &LOCK_TRIALS] {
            for (i, a) in table.iter().enumerate() {
                for b in &table[i + 1..] {
                    assert_ne!(a.name, b.name);
                    assert_ne!(a.way(), b.way(), "{:?} and {:?}", a.name, b.name);
                }
            }
        }
        // The sleeps and the busy loops are the same ways, in the same order.
        let names = |table: &[Trial]| table.iter().map(|t| t.name).collect::<Vec<_>>();
        assert_eq!(names(&TRIALS), names(&SPIN_TRIALS));
        // Only the lock demo's ways share a lock.
        assert!(LOCK_TRIALS.iter().all(|t| t.shape().lock.is_some()));
        assert!(TRIALS.iter().all(|t| t.shape().lock.is_none()));
    }

    #[test]
    fn fetch_has_words_of_its_own_where_they_differ() {
        assert_ne!(TRIALS[0].why(Demo::Fetch), TRIALS[0].why(Demo::Count));
        assert_eq!(TRIALS[2].why(Demo::Fetch), TRIALS[2].why(Demo::Count));
        assert_eq!(
            TRIALS[2].way().runtime,
            None,
            "threads mode needs no runtime"
        );
    }

    /// A finished run of `trial` with `tasks` tasks on `workers` workers
    /// (where it has a multi-thread runtime), of which `peak` waited at
    /// once.
    fn measured(trial: &Trial, tasks: u32, workers: usize, peak: u32) -> Summary {
        let mut way = trial.way();
        if let Some(crate::config::Runtime::MultiThread(n)) = &mut way.runtime {
            *n = workers;
        }
        let workload = crate::cli::Workload {
            tasks: Some(tasks),
            delay: Duration::from_millis(200),
            work: Work::Sleep,
        };
        let config = Config::of_way(Demo::Count, &workload, way);
        let outcome = Outcome {
            elapsed: Duration::from_millis(200),
            completed: tasks,
            ..Outcome::default()
        };
        Summary::new(&config, outcome, None).with_peak_overlap(Some(peak))
    }

    fn trial(name: WayName) -> Trial {
        *TRIALS.iter().find(|t| t.name == name).unwrap()
    }

    #[test]
    fn one_worker_explains_spawned_tasks_one_after_another() {
        let spawned = trial(WayName::MultiSpawned);
        let why = spawned.reason(Demo::Count, &measured(&spawned, 3, 1, 1));
        assert!(why.contains("only one CPU was free"), "{why}");
        assert!(!why.contains("blocks only the worker"), "{why}");
        // With two workers and two waits at once, the usual words hold.
        let why = spawned.reason(Demo::Count, &measured(&spawned, 3, 2, 2));
        assert_eq!(why, spawned.why(Demo::Count));
        let joined = trial(WayName::MultiJoined);
        let why = joined.reason(Demo::Count, &measured(&joined, 3, 1, 1));
        assert!(why.ends_with("the worker idles"), "{why}");
        let why = joined.reason(Demo::Count, &measured(&joined, 3, 2, 1));
        assert!(why.ends_with("the workers idle"), "{why}");
    }

    #[test]
    fn a_way_that_overlapped_less_than_it_allows_says_so() {
        let threads = trial(WayName::Threads);
        let why = threads.reason(Demo::Count, &measured(&threads, 3, 2, 2));
        assert!(why.starts_with(threads.why), "{why}");
        assert!(why.contains("only 2 of the 3 waits"), "{why}");
        let spawned = trial(WayName::MultiSpawned);
        let why = spawned.reason(Demo::Count, &measured(&spawned, 3, 2, 1));
        assert!(why.contains("only 1 of the 2 waits"), "{why}");
        // A blocking way that waited one at a time did all it could.
        let blocking = trial(WayName::Blocking);
        let why = blocking.reason(Demo::Count, &measured(&blocking, 3, 2, 1));
        assert_eq!(why, blocking.why(Demo::Count));
    }

    #[test]
    fn an_unfinished_or_uncounted_run_keeps_the_ways_words() {
        let spawned = trial(WayName::MultiSpawned);
        let mut summary = measured(&spawned, 3, 1, 1);
        summary.interrupted = true;
        assert_eq!(
            spawned.reason(Demo::Count, &summary),
            spawned.why(Demo::Count)
        );
        let summary = measured(&spawned, 3, 1, 1).with_peak_overlap(None);
        assert_eq!(
            spawned.reason(Demo::Count, &summary),
            spawned.why(Demo::Count)
        );
    }

    #[test]
    fn ways_picks_trials_in_the_lessons_order() {
        let pick = |demo, ways: &[WayName]| chosen(demo, Work::Sleep, ways);
        assert_eq!(pick(Demo::Count, &[]).unwrap().len(), TRIALS.len());
        let names: Vec<WayName> = pick(Demo::Count, &[WayName::Blocking, WayName::Async])
            .unwrap()
            .iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, [WayName::Async, WayName::Blocking]);
        // Every name picks exactly one trial of the demo that runs it, and
        // is refused by the others.
        for name in <WayName as clap::ValueEnum>::value_variants() {
            let count = pick(Demo::Count, &[*name]).map(|t| t.len());
            let lock = pick(Demo::Lock, &[*name]).map(|t| t.len());
            assert!(
                matches!((&count, &lock), (Ok(1), Err(_)) | (Err(_), Ok(1))),
                "{name:?}: {count:?} {lock:?}"
            );
        }
        // The spin runs have the same names as the sleeping ones.
        assert_eq!(
            chosen(Demo::Count, Work::Spin, &[WayName::InPlaceJoined])
                .unwrap()
                .len(),
            1
        );
    }
}
