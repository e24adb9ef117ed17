//! `asyncdemo replay FILE`: a recorded run ([`crate::record`]) played back
//! without running it again.
//!
//! One drawing, two sources of events: the replay hands the recorded
//! ordered events to the very followers that followed the run (the
//! `--explain` narrator, the `--trace` writer), shows each line as the
//! sink showed it, and concludes through the run's own exports (the
//! summary in every `--format`, `--timeline`, `--svg`, `--png`), which
//! read the recorded summary, lines, parks and observations. So a
//! replay's JSON is the run's JSON, timings included.
//!
//! The run's command line, read back from the recording, is parsed again
//! and checked by the one constructor of every run's `Config`, with the
//! replay's output options in place of the run's: a replay accepts what
//! the run would have accepted, in the same words.

mod read;

use crate::cli::{Cli, Command, ReplayArgs, RunArgs};
use crate::config::{Config, FetchOptions};
use crate::events::{Follower, RunEvent};
use crate::exit_code::ExitCode;
use crate::explain::{self, Rest};
use crate::export::{self, Exports, Finished, Single};
use crate::net::escaped;
use crate::report::explain::NARRATED;
use crate::report::{text, trace};
use crate::state::What;
use crate::vocab::{Demo, Format, LineStyle, Phase, Runtime};
use anyhow::Context;
use clap::Parser;
use read::{Recorded, Recording};
use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

/// Replays the recording that `args` names, writing the outputs it asks
/// for.
pub(crate) fn replay(args: ReplayArgs, term: crate::vocab::Term) -> anyhow::Result<ExitCode> {
    let name = args.file.display().to_string();
    let args_speed = args.speed;
    let recording = read::read(&args.file)
        .with_context(|| format!("replaying '{}'", escaped(&name, crate::net::QUOTE_CHARS)))?;
    let config = config_of(&recording, args, term)
        .with_context(|| format!("replaying '{}'", escaped(&name, crate::net::QUOTE_CHARS)))?;
    let mut err = io::stderr().lock();
    for note in notes(&recording) {
        let line = format!("note: {note}");
        let _ = writeln!(err, "{}", crate::style::label(&line));
    }
    drop(err);
    let out: Box<dyn Write> = if config.stdout_taken() {
        Box::new(io::stderr().lock())
    } else {
        Box::new(io::stdout().lock())
    };
    let mut out = io::BufWriter::with_capacity(64 * 1024, out);
    play(&config, &recording, args_speed, &mut out)?;
    Ok(ExitCode::Success)
}

/// What the replay says on stderr before it plays: why it is partial or
/// approximate, if it is.
fn notes(recording: &Recording) -> Vec<String> {
    let mut notes = recording.notes.clone();
    let header = &recording.header;
    if header.tasks > header.full_tasks {
        notes.push(format!(
            "the run had {} tasks and its recording keeps the events of the first {} only: \
             the summary and JSON are the run's own; the lines, --timeline, --svg, --png and \
             --trace show those first tasks, and the narration's polls and wake-ups are \
             rebuilt from what the run observed",
            header.tasks, header.full_tasks
        ));
    }
    if recording.concluded.is_none() {
        notes.push(
            "the recording has no summary (its run never concluded): the summary is \
             rebuilt from the lines it holds"
                .into(),
        );
    }
    notes
}

/// The `Config` of the recorded run, with the replay's outputs.
fn config_of(
    recording: &Recording,
    args: ReplayArgs,
    term: crate::vocab::Term,
) -> anyhow::Result<Config> {
    let command = &recording.header.command;
    let shown = || escaped(&command.join(" "), crate::net::QUOTE_CHARS);
    let cli = Cli::try_parse_from(command).map_err(|e| {
        anyhow::anyhow!(
            "its command line ({}) does not parse here: {}",
            shown(),
            escaped(
                e.kind().as_str().unwrap_or("not a command"),
                crate::net::QUOTE_CHARS
            )
        )
    })?;
    let mut query = None;
    let (demo, run, fetch, lock) = match cli.command {
        Command::Count(run) => (Demo::Count, run, None, None),
        Command::Query(args) => {
            let tasks = args.run.workload.tasks_for(Demo::Query);
            query = Some(crate::config::QueryOptions::new(&args.db, tasks));
            (Demo::Query, args.run, None, None)
        }
        Command::Hello(run) => (Demo::Hello, run, None, None),
        Command::Lock(args) => (Demo::Lock, args.run, None, Some(args.lock)),
        Command::Fetch(args) => {
            let fetch = FetchOptions::new(&args);
            (Demo::Fetch, args.run, Some(fetch), None)
        }
        _ => anyhow::bail!("its command line ({}) is not a demo's", shown()),
    };
    if demo != recording.header.demo {
        anyhow::bail!(
            "its header says {} but its command line ({}) runs another demo",
            recording.header.demo.name(),
            shown()
        );
    }
    // Plain: the lines and the narration, as the issue of a replay is
    // to look at the steps.
    let plain = args.format == Format::Text && !args.quiet && !args.verbose;
    let run = RunArgs {
        timeline: args.timeline,
        live: false,
        trace: args.trace,
        svg: args.svg,
        png: args.png,
        record: None,
        slow_poll: None,
        explain: args.explain || plain,
        format: args.format,
        quiet: args.quiet,
        verbose: args.verbose,
        ..run
    };
    let mut config = Config::new(demo, run, fetch, term)?;
    if lock.is_some() {
        config.way.lock = lock;
    }
    if query.is_some() {
        config.query = query;
    }
    // The workers the run had, not this machine's default.
    if let (Some(Runtime::MultiThread(_)), Some(workers)) =
        (config.way.runtime, recording.header.workers)
    {
        config.way.runtime = Some(Runtime::MultiThread(workers));
    }
    Ok(config)
}

/// Plays `recording` into `out` as a run of `config` would have written.
///
/// With `speed`, each event waits for its time, scaled (0.1: ten times
/// slower), and what it wrote is flushed before the next wait.
fn play(
    config: &Config,
    recording: &Recording,
    speed: Option<f64>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let began = std::time::Instant::now();
    let mut followers: Vec<(Box<dyn Follower>, String)> = Vec::new();
    if let Some(path) = &config.trace {
        let export::Target { out, what } = export::create(path, "trace")?;
        let out: Box<dyn Write + Send> = Box::new(io::BufWriter::new(out));
        let mut stream = trace::Stream::start(out, config.demo, config.way.mode, config.work)
            .context(what.clone())?;
        // The file ends with the model's states, from the recorded
        // observations, as the run's did.
        let log = crate::state::Log::of(recording.observed.clone());
        log.trace(trace::STATE_TASKS);
        stream.states(Arc::new(log));
        followers.push((Box::new(stream), what));
    }
    // The polls of the tasks not narrated, by when they returned: the
    // narrator counts them as the run goes.
    let rest = Arc::new(Rest::default());
    let mut rest_polls: Vec<(u64, u64, bool)> = Vec::new();
    if config.explain {
        followers.push((
            explain::narrator(config, Arc::clone(&rest)),
            "writing the --explain narration".into(),
        ));
        rest_polls = recording
            .observed
            .iter()
            .filter(|e| e.task > NARRATED)
            .filter_map(|e| match e.what {
                What::Polled { took, ready } => Some((e.at.saturating_add(took), took, ready)),
                _ => None,
            })
            .collect();
        rest_polls.sort_unstable_by_key(|p| p.0);
    }
    // A recorded run past the cut-off forwarded no polls (see
    // `explain::forwards`): the narrated tasks' are rebuilt from the
    // observations, each poll's beginning and end, and each wake-up.
    let rebuilt_polls;
    let header = &recording.header;
    let tape: &[Recorded] = match config.explain
        && header.tasks > header.full_tasks
        && !recording
            .tape
            .iter()
            .any(|r| matches!(r, Recorded::Poll { .. }))
    {
        true => {
            rebuilt_polls = with_polls(&recording.tape, &recording.observed);
            &rebuilt_polls
        }
        false => &recording.tape,
    };
    let mut counted = 0;
    let live = config.line_style();
    let mut events = Vec::with_capacity(recording.tape.len() / 2);
    let write = |r: io::Result<()>| r.context("writing output");
    for recorded in tape {
        let at = recorded.at();
        if let Some(speed) = speed {
            write(out.flush())?;
            let due = at.div_f64(speed);
            if let Some(wait) = due.checked_sub(began.elapsed()) {
                std::thread::sleep(wait);
            }
        }
        let now = u64::try_from(at.as_nanos()).unwrap_or(u64::MAX);
        while let Some(&(_, took, ready)) = rest_polls.get(counted).filter(|p| p.0 <= now) {
            rest.poll(Duration::from_nanos(took), ready);
            counted += 1;
        }
        let own;
        let event = match recorded {
            Recorded::Line { event, text } => {
                events.push(*event);
                own = match text {
                    Some(text) => text.clone(),
                    None => config.demo.text(event.task, event.phase).into_owned(),
                };
                RunEvent::Line {
                    event: *event,
                    text: &own,
                }
            }
            Recorded::WaitBegan { at, task, thread } => RunEvent::WaitBegan {
                at: *at,
                task: *task,
                thread: *thread,
            },
            Recorded::WaitEnded {
                at,
                task,
                thread,
                failed,
            } => RunEvent::WaitEnded {
                at: *at,
                task: *task,
                thread: *thread,
                failed: *failed,
            },
            Recorded::Thread(park) => RunEvent::Thread(*park),
            Recorded::Poll {
                at,
                task,
                thread,
                step,
            } => RunEvent::Poll {
                at: *at,
                task: *task,
                thread: *thread,
                step: *step,
            },
            Recorded::Lock {
                at,
                task,
                thread,
                step,
                lock,
                holder,
            } => RunEvent::Lock {
                at: *at,
                task: *task,
                thread: *thread,
                step: *step,
                lock: *lock,
                holder: *holder,
            },
            Recorded::Caller {
                at,
                thread,
                waiting,
            } => RunEvent::Caller {
                at: *at,
                thread: *thread,
                waiting: *waiting,
            },
            Recorded::Finished { at } => {
                // Every poll is in by the end.
                for &(_, took, ready) in &rest_polls[counted..] {
                    rest.poll(Duration::from_nanos(took), ready);
                }
                counted = rest_polls.len();
                RunEvent::Finished { at: *at }
            }
        };
        // The sink's order: a wait ends, a line is told and shown, a wait
        // begins (see `record`: the waits' own events are not recorded).
        let wait = |event: &crate::vocab::Event, ended: bool| {
            let (at, task, thread) = (event.at, event.task, event.thread);
            match ended {
                true => RunEvent::WaitEnded {
                    at,
                    task,
                    thread,
                    failed: false,
                },
                false => RunEvent::WaitBegan { at, task, thread },
            }
        };
        let (before, after) = match event {
            RunEvent::Line { event, .. } if event.phase == Phase::Last => {
                (Some(wait(&event, true)), None)
            }
            RunEvent::Line { event, .. } => (None, Some(wait(&event, false))),
            _ => (None, None),
        };
        for told in before.iter().chain([&event]) {
            tell(&mut followers, told, out)?;
        }
        if let RunEvent::Line { event, text } = event {
            write(show(out, live, event.at, event.task, text))?;
        }
        if let Some(after) = &after {
            tell(&mut followers, after, out)?;
        }
    }
    for (follower, what) in &mut followers {
        follower.finish().with_context(|| what.clone())?;
    }
    let summary = match &recording.concluded {
        Some((summary, _)) => summary.clone(),
        None => rebuilt(config, &events),
    };
    let summary = crate::report::Summary {
        observed: Arc::new(crate::state::Observations {
            events: recording.observed.clone(),
            parks: recording.model_parks.clone(),
            // A recording keeps the observations, not the census: past
            // the cut-off its JSON's distributions cover the tasks kept.
            tallies: None,
        }),
        locks: recording.locks.clone(),
        given_delay_secs: recording.header.given_delay_secs,
        ..summary
    };
    let signal = recording.concluded.as_ref().and_then(|c| c.1);
    // The pictures' parks, kept when the run drew a picture; else the
    // model's, which keep the shortest idles too.
    let pictures_parks = match recording.parks.is_empty() {
        true => &recording.model_parks[..],
        false => &recording.parks[..],
    };
    let finished = Finished {
        summary: &summary,
        events: &events,
        parks: pictures_parks,
        signal,
    };
    let terminal = std::io::IsTerminal::is_terminal(&io::stdout());
    write(text::end_the_ctrl_c_line(out, signal, terminal))?;
    let exports = Exports::<Single>::for_run(config);
    exports.create_files(config)?;
    exports.write_main(out, &finished)?;
    exports.write_files(&finished)?;
    Ok(())
}

/// `tape` with the narrated tasks' polls and wake-ups, rebuilt from the
/// model's observations, in time order: a poll begins before what it does
/// at the same moment, and returns after it.
fn with_polls(tape: &[Recorded], observed: &[crate::state::Observed]) -> Vec<Recorded> {
    use crate::events::PollStep;
    // (time, order at that time, event): 0 a poll begins, 1 the tape's own
    // events and wake-ups, 2 a poll returns.
    let mut steps: Vec<(Duration, u8, Recorded)> = Vec::new();
    for e in observed.iter().filter(|e| e.task <= NARRATED) {
        let at = Duration::from_nanos(e.at);
        let (task, thread) = (e.task, e.thread);
        match e.what {
            What::Polled { took, ready } => {
                let step = PollStep::Began;
                steps.push((
                    at,
                    0,
                    Recorded::Poll {
                        at,
                        task,
                        thread,
                        step,
                    },
                ));
                let took = Duration::from_nanos(took);
                let step = PollStep::Ended { took, ready };
                let at = at.saturating_add(took);
                steps.push((
                    at,
                    2,
                    Recorded::Poll {
                        at,
                        task,
                        thread,
                        step,
                    },
                ));
            }
            What::Woken => {
                let step = PollStep::Woken;
                steps.push((
                    at,
                    1,
                    Recorded::Poll {
                        at,
                        task,
                        thread,
                        step,
                    },
                ));
            }
            _ => {}
        }
    }
    steps.extend(tape.iter().map(|r| (r.at(), 1, r.clone())));
    // Stable: the tape keeps its own order.
    steps.sort_by_key(|s| (s.0, s.1));
    steps.into_iter().map(|s| s.2).collect()
}

/// Tells every follower `event`, as the sink does.
fn tell(
    followers: &mut [(Box<dyn Follower>, String)],
    event: &RunEvent<'_>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    for (follower, what) in followers {
        follower.follow(event, out).with_context(|| what.clone())?;
    }
    Ok(())
}

/// Shows one line as the run showed it in the `live` style.
fn show(
    out: &mut impl Write,
    live: LineStyle,
    at: Duration,
    id: u32,
    text: &str,
) -> io::Result<()> {
    match live {
        LineStyle::Plain => writeln!(out, "{text}"),
        LineStyle::Verbose => crate::report::text::write_verbose_line(out, at, id, text),
        LineStyle::Ndjson => crate::report::json::write_event(out, at, id, text),
        LineStyle::Silent => Ok(()),
    }
}

/// A summary for a recording cut before its own: what its lines show.
fn rebuilt(config: &Config, events: &[crate::vocab::Event]) -> crate::report::Summary {
    let completed = events
        .iter()
        .filter(|e| e.phase == crate::vocab::Phase::Last)
        .count() as u32;
    let elapsed = events.iter().map(|e| e.at).max().unwrap_or_default();
    let outcome = crate::vocab::Outcome {
        elapsed,
        completed,
        ..Default::default()
    };
    crate::report::Summary::new(config, outcome, Some(crate::vocab::Signal::Interrupt))
}
