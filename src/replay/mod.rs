//! `asyncdemo replay FILE`: a recorded run ([`crate::record`]) played back
//! without running it again.
//!
//! One drawing, two sources of events: the replay hands the recorded
//! ordered events to the very followers that followed the run (the
//! `--explain` narrator, the `--trace` writer), shows each line as the
//! sink showed it, and concludes through the run's own exports (the
//! summary in every `--format`, `--timeline`, `--svg`, `--png`), which
//! read the recorded summary, lines, parks and observations (and, past
//! the cut-off, the run's census). So a replay's JSON is the run's JSON,
//! timings included; its NDJSON state events are made again by the
//! model's own tally from the recorded observations (`states`).
//!
//! The run's command line, read back from the recording, is parsed again
//! and checked by the one constructor of every run's `Config`, with the
//! replay's output options in place of the run's: a replay accepts what
//! the run would have accepted, in the same words.

mod compare;
mod read;
mod states;
mod view;
mod walk;

use crate::cli::{Cli, ReplayArgs, RunArgs};
use crate::config::{Config, DemoCommand};
use crate::config::{LineStyle, Runtime};
use crate::events::{Follower, RunEvent};
use crate::exit_code::ExitCode;
use crate::export::{self, Exports, Finished, Single};
use crate::narrate::{self, Rest};
use crate::net::escaped;
use crate::report::narration::NARRATED;
use crate::report::{text, trace};
use crate::state::What;
use crate::vocab::{Format, Phase};
use anyhow::Context;
use clap::Parser;
use read::{Recorded, Recording};
use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

/// Replays the recording that `args` names, writing the outputs it asks
/// for.
pub(crate) fn replay(args: ReplayArgs, term: crate::config::Term) -> anyhow::Result<ExitCode> {
    let name = args.file.display().to_string();
    let args_speed = args.speed;
    let step = args.step;
    if step {
        stepping_possible()?;
    }
    // A compare recording is replayed by `compare` (the table, or one way).
    if read::is_compare(&args.file) {
        return compare::replay(args, term);
    }
    let recording = read::read(&args.file)
        .with_context(|| format!("replaying '{}'", escaped(&name, crate::net::QUOTE_CHARS)))?;
    let config = config_of(&recording, args, term)
        .with_context(|| format!("replaying '{}'", escaped(&name, crate::net::QUOTE_CHARS)))?;
    play_one(&config, &recording, args_speed, step)
}

/// Replays `recording`, one run's, as `config` asks: the notes on stderr,
/// then the outputs.
fn play_one(
    config: &Config,
    recording: &Recording,
    args_speed: Option<f64>,
    step: bool,
) -> anyhow::Result<ExitCode> {
    let mut err = io::stderr().lock();
    for note in notes(recording) {
        let line = format!("note: {note}");
        let _ = writeln!(err, "{}", crate::style::label(&line));
    }
    drop(err);
    if step {
        return stepped(config, recording);
    }
    // On a terminal, the lanes of `--live` too, at the recorded pace
    // unless `--speed` says another.
    let mut playing = view::Playing::start(config, recording);
    let speed = match &playing {
        Some(_) => Some(args_speed.unwrap_or(1.0)),
        None => args_speed,
    };
    let out: Box<dyn Write> = match &mut playing {
        Some(playing) => playing.writer(),
        None if config.stdout_taken() => Box::new(io::stderr().lock()),
        None => Box::new(io::stdout().lock()),
    };
    let mut out = io::BufWriter::with_capacity(64 * 1024, out);
    play(config, recording, speed, &mut out, playing.as_mut())?;
    Ok(ExitCode::Success)
}

/// Refuses `--step` where it cannot be: it draws on a terminal and reads
/// its keys, and a build without the view has none to draw.
fn stepping_possible() -> anyhow::Result<()> {
    use std::io::IsTerminal;
    let why = if !crate::live::ENABLED {
        "this build has no live view to step through: it was built without the cargo feature \
         `live`"
    } else if !io::stdout().is_terminal() || !io::stdin().is_terminal() {
        "--step draws on a terminal and reads its keys, and stdin or stdout is not one; \
         without --step, a replay prints the lines and the narration in order"
    } else if std::env::var_os("TERM").is_some_and(|term| term == "dumb") {
        "--step cannot draw on TERM=dumb; without --step, a replay prints the lines and the \
         narration in order"
    } else {
        return Ok(());
    };
    Err(crate::config::usage_error("replay", why.into()).into())
}

/// `replay --step`: the recording, a step per key, on the terminal.
fn stepped(config: &Config, recording: &Recording) -> anyhow::Result<ExitCode> {
    let stepping = walk::Stepping::new(config, recording)?;
    if crate::live::Stepped::steps(&stepping) == 0 {
        anyhow::bail!("the recording holds no step to show");
    }
    let mut plan = crate::live::plan(config);
    plan.tasks = stepping.shown_tasks();
    // The axis is the whole run from the first step: the lanes stay put
    // while the user steps.
    plan.expected = stepping.end();
    crate::live::step(&plan, &stepping).context("drawing the stepped replay")?;
    Ok(ExitCode::Success)
}

/// What the replay says on stderr before it plays: why it is partial or
/// approximate, if it is.
fn notes(recording: &Recording) -> Vec<String> {
    let mut notes = recording.notes.clone();
    let header = &recording.header;
    if header.tasks > header.full_tasks {
        // The census of every task is in the file when the run kept one.
        let json = match recording.census {
            Some(_) => {
                "the summary and the JSON's distributions are the run's own, over every task"
            }
            None => {
                "the summary is the run's own, but the JSON's distributions cover those first \
                 tasks (the run kept no census of every task: a run with -f json or ndjson keeps \
                 one)"
            }
        };
        notes.push(format!(
            "the run had {} tasks and its recording keeps the events of the first {} only: \
             {json}; the lines, the NDJSON state events, --timeline, --svg, --png and --trace \
             show those first tasks, and the narration's polls and wake-ups are rebuilt from \
             what the run observed",
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
    term: crate::config::Term,
) -> anyhow::Result<Config> {
    let format = args.format.run().ok_or_else(|| {
        anyhow::anyhow!("--format markdown is compare's table, and this is one run's recording")
    })?;
    if args.way.is_some() {
        anyhow::bail!("--way picks a way of a compare recording, and this is one run's recording");
    }
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
    let Ok(mut demo_command) = DemoCommand::of(cli.command) else {
        anyhow::bail!("its command line ({}) is not a demo's", shown());
    };
    if demo_command.demo != recording.header.demo {
        anyhow::bail!(
            "its header says {} but its command line ({}) runs another demo",
            recording.header.demo.name(),
            shown()
        );
    }
    demo_command.run = with_outputs(demo_command.run, args, format);
    let mut config = demo_command.config(term)?;
    // The workers the run had, not this machine's default.
    if let (Some(Runtime::MultiThread(_)), Some(workers)) =
        (config.way.runtime, recording.header.workers)
    {
        config.way.runtime = Some(Runtime::MultiThread(workers));
    }
    Ok(config)
}

/// `run`, the recorded run's options, with the replay's outputs (`args`,
/// in `format`) in place of its own.
fn with_outputs(run: RunArgs, args: ReplayArgs, format: Format) -> RunArgs {
    // Plain: the lines and the narration, as the issue of a replay is
    // to look at the steps.
    let plain = format == Format::Text && !args.quiet && !args.verbose;
    RunArgs {
        timeline: args.timeline,
        live: false,
        trace: args.trace,
        svg: args.svg,
        png: args.png,
        record: None,
        slow_poll: None,
        explain: args.explain || plain,
        format,
        quiet: args.quiet,
        verbose: args.verbose,
        ..run
    }
}

/// Plays `recording` into `out` as a run of `config` would have written.
///
/// With `speed`, each event waits for its time, scaled (0.1: ten times
/// slower), and what it wrote is flushed before the next wait. With
/// `view`, `--live`'s lanes are drawn too: its state follows the events as
/// the run's did, its clock is told each event's recorded time, and the
/// view is taken down before the summary.
fn play(
    config: &Config,
    recording: &Recording,
    speed: Option<f64>,
    out: &mut impl Write,
    mut view: Option<&mut view::Playing>,
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
    if let Some(view) = &view {
        followers.push((view.follower(), "drawing the live view".into()));
    }
    let tape = tape_of(config, recording);
    let mut teller = Teller::new(config, recording, followers);
    let write = |r: io::Result<()>| r.context("writing output");
    for (index, recorded) in tape.iter().enumerate() {
        let at = recorded.at();
        if let Some(speed) = speed {
            write(out.flush())?;
            let due = at.div_f64(speed);
            match &mut view {
                // The view's clock moves on while the replay waits.
                Some(view) => view.wait(began, due, speed),
                None => {
                    if let Some(wait) = due.checked_sub(began.elapsed()) {
                        std::thread::sleep(wait);
                    }
                }
            }
        }
        if let Some(view) = &mut view {
            view.before(index, recorded);
        }
        teller.tell(recorded, out)?;
    }
    if let Some(view) = &mut view {
        write(out.flush())?;
        view.end();
    }
    let Teller {
        mut followers,
        events,
        ..
    } = teller;
    for (follower, what) in &mut followers {
        follower.finish().with_context(|| what.clone())?;
    }
    let summary = match &recording.concluded {
        Some((summary, _)) => summary.clone(),
        None => rebuilt(config, &events),
    };
    let summary = with_recorded_observations(recording, summary);
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

/// The recorded events to play: the tape, with the narrated tasks' polls
/// rebuilt from the observations when the narration needs them and the run
/// did not forward them (past the cut-off, see `narrate::forwards`).
fn tape_of<'a>(config: &Config, recording: &'a Recording) -> std::borrow::Cow<'a, [Recorded]> {
    let header = &recording.header;
    let rebuild = config.explain
        && header.tasks > header.full_tasks
        && !recording.tape.iter().any(|r| polled_task(r).is_some());
    match rebuild {
        true => with_polls(&recording.tape, &recording.observed).into(),
        false => recording.tape[..].into(),
    }
}

/// The task whose poll or wake-up `recorded` tells, if it tells one: a
/// recording past the cut-off tells none (a replay rebuilds them), though
/// it tells the narrated tasks' waits' own steps.
fn polled_task(recorded: &Recorded) -> Option<u32> {
    use crate::events::PollStep;
    match recorded {
        RunEvent::Poll {
            task,
            step: PollStep::Began | PollStep::Ended { .. } | PollStep::Woken,
            ..
        } => Some(*task),
        _ => None,
    }
}

/// Tells the recorded events to the run's followers one by one, as the
/// sink told them, and shows each line as the sink showed it.
struct Teller {
    followers: Vec<(Box<dyn Follower>, String)>,
    /// The narrator's count of the polls of the tasks it does not narrate.
    rest: Arc<Rest>,
    /// Those polls, by when they returned, and how many are told so far.
    rest_polls: Vec<(u64, u64, bool)>,
    counted: usize,
    style: LineStyle,
    /// The lines' events so far, for the summary and the pictures.
    events: Vec<crate::vocab::Event>,
    /// The NDJSON stream's state events, made again.
    states: Option<states::States>,
}

impl Teller {
    /// A teller of `followers`, and of the narrator when `config` narrates.
    fn new(
        config: &Config,
        recording: &Recording,
        mut followers: Vec<(Box<dyn Follower>, String)>,
    ) -> Teller {
        // The polls of the tasks not narrated, by when they returned: the
        // narrator counts them as the run goes.
        let rest = Arc::new(Rest::default());
        let mut rest_polls: Vec<(u64, u64, bool)> = Vec::new();
        if config.explain {
            followers.push((
                narrate::narrator(config, Arc::clone(&rest)),
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
        Teller {
            followers,
            rest,
            rest_polls,
            counted: 0,
            style: config.line_style(),
            events: Vec::with_capacity(recording.tape.len() / 2),
            states: states::States::of(config, recording),
        }
    }

    /// Tells `recorded` to every follower and shows its line, into `out`.
    fn tell(&mut self, recorded: &Recorded, out: &mut impl Write) -> anyhow::Result<()> {
        let write = |r: io::Result<()>| r.context("writing output");
        let now = u64::try_from(recorded.at().as_nanos()).unwrap_or(u64::MAX);
        let rest_polls = &self.rest_polls;
        while let Some(&(_, took, ready)) = rest_polls.get(self.counted).filter(|p| p.0 <= now) {
            self.rest.poll(Duration::from_nanos(took), ready);
            self.counted += 1;
        }
        if let Recorded::Finished { .. } = recorded {
            // Every poll is in by the end.
            for &(_, took, ready) in &rest_polls[self.counted..] {
                self.rest.poll(Duration::from_nanos(took), ready);
            }
            self.counted = rest_polls.len();
        }
        if let Recorded::Line { event, .. } = recorded {
            self.events.push(*event);
        }
        // The state events' last ones come before the run's last event,
        // as the run's sink wrote them.
        if let (Some(states), RunEvent::Finished { at } | RunEvent::Stalled { at }) =
            (&mut self.states, recorded)
        {
            write(states.write_last(*at, out))?;
        }
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
        let (before, after) = match recorded {
            RunEvent::Line { event, .. } if event.phase == Phase::Last => {
                (Some(wait(event, true)), None)
            }
            RunEvent::Line { event, .. } => (None, Some(wait(event, false))),
            _ => (None, None),
        };
        for told in before.iter().chain([recorded]) {
            tell(&mut self.followers, told, out)?;
        }
        if let RunEvent::Line { event, text } = recorded {
            // Before each line, the state events up to it, as the sink
            // shows an NDJSON line.
            if let Some(states) = &mut self.states {
                write(states.write_until(event.at, out))?;
            }
            write(show(out, self.style, event.at, event.task, text))?;
        }
        if let Some(after) = &after {
            tell(&mut self.followers, after, out)?;
        }
        Ok(())
    }
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
        let (task, thread) = (e.task, e.thread);
        let mut push = |at: Duration, order: u8, step: PollStep| {
            let poll = Recorded::Poll {
                at,
                task,
                thread,
                step,
            };
            steps.push((at, order, poll));
        };
        let at = Duration::from_nanos(e.at);
        match e.what {
            What::Polled { took, ready } => {
                let took = Duration::from_nanos(took);
                push(at, 0, PollStep::Began);
                push(at.saturating_add(took), 2, PollStep::Ended { took, ready });
            }
            What::Woken => push(at, 1, PollStep::Woken),
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
    let outcome = crate::outcome::Outcome {
        elapsed,
        completed,
        ..Default::default()
    };
    crate::report::Summary::new(config, outcome, Some(crate::interrupt::Signal::Interrupt))
}

/// The recorded summary with what the exports read besides it: the
/// model's observations and parks, the lock steps and the delay as given.
/// Past the cut-off, the JSON's distributions are the run's census when
/// the recording keeps one (format 3: the run kept one for its own JSON
/// or picture); else they cover the tasks kept, which the notes say.
fn with_recorded_observations(
    recording: &Recording,
    summary: crate::report::Summary,
) -> crate::report::Summary {
    crate::report::Summary {
        observed: Arc::new(crate::state::Observations {
            events: recording.observed.clone(),
            parks: recording.model_parks.clone(),
            tallies: recording.census.clone(),
        }),
        locks: recording.locks.clone(),
        given_delay_secs: recording.header.given_delay_secs,
        ..summary
    }
}
