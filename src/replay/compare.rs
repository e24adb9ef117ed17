//! `asyncdemo replay FILE` of a compare recording
//! ([`crate::record::compare`] has the layout): the table, its verdicts
//! and the compare picture made again from the recorded rows, through
//! compare's own exports, without running anything; or, with `--way
//! NAME`, one way's section replayed as a recording of that run alone.
//!
//! Read as strictly as a run's recording: each section is read by the
//! same reader, the sections must be the header's ways in its order, the
//! file's end must count them, and every record kept counts against one
//! ceiling for the whole file. A file cut during a way replays the ways
//! before it, with a note.

use super::read::{self, Bad, Input, Recorded, Recording, Refused};
use crate::cli::{Cli, Command, CompareArgs, ReplayArgs, RunArgs};
use crate::config::{self, Config, QueryOptions, Way};
use crate::config::{Runtime, Term};
use crate::exit_code::ExitCode;
use crate::export::{Compared, Exports};
use crate::net::{QUOTE_CHARS, escaped};
use crate::record::compare::{CompareHeader, MAX_WAYS, Section, ways_tag};
use crate::report::Language;
use crate::report::compare::Row;
use crate::vocab::RuntimeKind;
use anyhow::Context;
use clap::Parser;
use std::io::{self, Read, Write};

/// A compare recording, read.
struct Ways {
    header: CompareHeader,
    /// Each way that ran, in order, with its run's recording.
    sections: Vec<(Section, Recording)>,
    /// Why the replay is partial, if it is.
    notes: Vec<String>,
}

/// The longest name a way may have.
const MAX_NAME: usize = 64;

/// Replays the compare recording that `args` names.
pub(super) fn replay(args: ReplayArgs, term: Term) -> anyhow::Result<ExitCode> {
    let name = escaped(&args.file.display().to_string(), QUOTE_CHARS);
    let replaying = || format!("replaying '{name}'");
    let ways = read::open(&args.file)
        .and_then(from_reader)
        .with_context(replaying)?;
    match args.way.clone() {
        Some(way) => {
            let (speed, step) = (args.speed, args.step);
            // The way's own notes (cut, approximate) are said by the
            // replay of its run; the file's are about the table.
            let (config, recording) = one_way(&ways, &way, args, term).with_context(replaying)?;
            super::play_one(&config, recording, speed, step)
        }
        None => table(&ways, &args, term).with_context(replaying),
    }
}

/// Says `note` on stderr, as a replay's notes are said.
fn say(note: &str) {
    let line = format!("note: {note}");
    let _ = writeln!(io::stderr(), "{}", crate::style::label(&line));
}

/// Reads a compare recording from `reader`.
fn from_reader(reader: impl Read) -> Result<Ways, Refused> {
    let mut input = Input::new(reader);
    read::preamble(&mut input)?;
    let header: CompareHeader = input
        .json("header")
        .and_then(|json| serde_json::from_slice(&json).map_err(|e| Bad(e.to_string())))
        .map_err(|Bad(why)| Refused(format!("its header is unreadable: {why}")))?;
    if header.ways.is_empty() || header.ways.len() > MAX_WAYS {
        return Err(Refused(format!(
            "its header names {} ways; a compare runs 1 to {MAX_WAYS}",
            header.ways.len()
        )));
    }
    if let Some(bad) = header
        .ways
        .iter()
        .find(|w| w.is_empty() || w.len() > MAX_NAME)
    {
        return Err(Refused(format!(
            "its header names a way '{}', which no compare runs",
            escaped(bad, QUOTE_CHARS)
        )));
    }
    let mut ways = Ways {
        header,
        sections: Vec::new(),
        notes: Vec::new(),
    };
    // One ceiling for the records of every section together.
    let mut budget = read::MAX_RECORDS;
    // The header's ways not yet met: a section must be one of them, after
    // those before it.
    let mut next = 0;
    loop {
        let at = input.offset;
        match input.byte() {
            Ok(Some(ways_tag::WAY)) => {}
            Ok(Some(ways_tag::END)) => {
                let count = match input.varint() {
                    Ok(count) => count,
                    Err(Bad(why)) if why == read::CUT => {
                        ways.notes.push(cut_note(&ways));
                        break;
                    }
                    Err(Bad(why)) => {
                        return Err(Refused(format!("its end at byte {at} is malformed: {why}")));
                    }
                };
                if count != ways.sections.len() as u64 {
                    return Err(Refused(format!(
                        "its end at byte {at} counts {count} ways, but it holds {}",
                        ways.sections.len()
                    )));
                }
                break;
            }
            Ok(Some(other)) => {
                return Err(Refused(format!(
                    "byte {at}: a way's section (tag {}) or the end (tag {}) was due, not tag {other}",
                    ways_tag::WAY,
                    ways_tag::END
                )));
            }
            Ok(None) => {
                ways.notes.push(cut_note(&ways));
                break;
            }
            Err(Bad(why)) => return Err(Refused(format!("byte {at}: {why}"))),
        }
        let section = match input.json("way's header") {
            Ok(json) => serde_json::from_slice::<Section>(&json).map_err(|e| {
                Refused(format!(
                    "its section at byte {at} has an unreadable header: {e}"
                ))
            })?,
            Err(Bad(why)) if why == read::CUT => {
                ways.notes.push(cut_note(&ways));
                break;
            }
            Err(Bad(why)) => {
                return Err(Refused(format!(
                    "its section at byte {at} is malformed: {why}"
                )));
            }
        };
        let found = ways.header.ways[next..]
            .iter()
            .position(|w| *w == section.way);
        let Some(found) = found else {
            return Err(Refused(format!(
                "its section at byte {at} is of way '{}', which its header does not name \
                 after those before it (it names: {})",
                escaped(&section.way, QUOTE_CHARS),
                names(&ways.header.ways)
            )));
        };
        next += found + 1;
        let tasks = section.run.tasks;
        if tasks == 0 || tasks > crate::cli::MAX_TASKS {
            return Err(Refused(format!(
                "its section at byte {at} says {tasks} tasks; a run has 1 to {}",
                crate::cli::MAX_TASKS
            )));
        }
        if section.run.demo != ways.header.demo {
            return Err(Refused(format!(
                "its section at byte {at} ran {}, where its header says {}",
                section.run.demo.name(),
                ways.header.demo.name()
            )));
        }
        let recording = read::body(&mut input, section.run.clone(), budget)?;
        budget = budget.saturating_sub(recording.tape.len().max(recording.observed.len()));
        // A section that did not reach its end (the file was cut, or the
        // ceiling reached) is the last one read.
        let partial = !recording.notes.is_empty();
        ways.sections.push((section, recording));
        if partial {
            ways.notes.push(cut_note(&ways));
            break;
        }
    }
    Ok(ways)
}

/// The ways' names, for an error or a note.
fn names(ways: &[String]) -> String {
    let names: Vec<String> = ways.iter().map(|w| escaped(w, QUOTE_CHARS)).collect();
    names.join(", ")
}

/// What a compare recording cut after its last section says.
fn cut_note(ways: &Ways) -> String {
    let whole = ways
        .sections
        .iter()
        .filter(|(_, r)| r.concluded.is_some())
        .count();
    match ways.sections.last() {
        Some((section, recording)) if recording.concluded.is_none() => {
            let way = escaped(&section.way, QUOTE_CHARS);
            let before = match whole {
                0 => "no way".to_owned(),
                1 => "the way".to_owned(),
                n => format!("the {n} ways"),
            };
            format!(
                "the recording was cut during way {} ({way}), so the table shows only \
                 {before} before it; --way {way} replays what it holds",
                ways.sections.len()
            )
        }
        _ => format!(
            "the recording was cut after {whole} of the {} ways its compare set out to run",
            ways.header.ways.len()
        ),
    }
}

/// The table, its verdicts and the picture, from the recorded rows.
fn table(ways: &Ways, args: &ReplayArgs, term: Term) -> anyhow::Result<ExitCode> {
    let one_way = [
        ("--timeline", args.timeline),
        ("--trace", args.trace.is_some()),
        ("--explain", args.explain),
        ("--verbose", args.verbose),
        ("--speed", args.speed.is_some()),
        ("--step", args.step),
    ];
    if let Some((option, _)) = one_way.iter().find(|(_, given)| *given) {
        anyhow::bail!(
            "{option} replays one run, and this is a compare recording: pick one of its ways \
             with --way NAME ({})",
            names(&ways.header.ways)
        );
    }
    let Some(format) = args.format.table() else {
        anyhow::bail!(
            "a compare recording replays as its table, in --format text, markdown or json; \
             for a way's NDJSON, pick it with --way NAME"
        );
    };
    for (option, path) in [("--svg", &args.svg), ("--png", &args.png)] {
        if path.as_deref().is_some_and(config::is_stdout) {
            anyhow::bail!(
                "{option} - writes the picture to stdout, where the replay prints its table: \
                 give {option} a file name"
            );
        }
    }
    config::one_file_each(
        "replay",
        &[
            ("--svg", args.svg.as_deref()),
            ("--png", args.png.as_deref()),
        ],
    )?;
    for note in &ways.notes {
        say(note);
    }
    let past = ways.sections.iter().map(|(_, r)| &r.header);
    let past = past
        .filter(|h| h.tasks > h.full_tasks)
        .max_by_key(|h| h.tasks);
    if let (Some(header), true) = (past, args.svg.is_some() || args.png.is_some()) {
        say(&format!(
            "the ways ran up to {} tasks and the recording keeps the events of the first {} \
             of each: the table and JSON are the compare's own, the slide's panels show \
             those first tasks",
            header.tasks, header.full_tasks
        ));
    }
    let rows: Vec<Row> = ways.sections.iter().filter_map(row).collect();
    let exports =
        Exports::<Compared>::for_compare(format, term, args.svg.as_deref(), args.png.as_deref())?;
    // The table is a compare's summary: printed under -q too, as a run's
    // summary line is.
    exports.write_main(&mut io::stdout().lock(), &rows)?;
    exports.write_files(&rows)?;
    if args.svg.is_some() || args.png.is_some() {
        if let Some(note) = crate::export::svg::slide_note(&rows) {
            let _ = writeln!(io::stderr(), "{}", crate::style::label(&note));
        }
    }
    Ok(ExitCode::Success)
}

/// A section's row of the table, as the compare made it; `None` for a
/// way cut before its summary.
fn row((_, recording): &(Section, Recording)) -> Option<Row> {
    let (summary, _) = recording.concluded.as_ref()?;
    let events = recording
        .tape
        .iter()
        .filter_map(|r| match r {
            Recorded::Line { event, .. } => Some(*event),
            _ => None,
        })
        .collect();
    // The pictures' parks, kept when the compare drew a picture; else the
    // model's, as for a run's replay.
    let parks = match recording.parks.is_empty() {
        true => recording.model_parks.clone(),
        false => recording.parks.clone(),
    };
    Some(Row {
        summary: super::with_recorded_observations(recording, summary.clone()),
        why: recording.why.clone().unwrap_or_default(),
        events,
        parks,
    })
}

/// The config of the way `name` of `ways`, with the replay's outputs, and
/// its recording: a run of it alone, as the compare ran it.
fn one_way<'a>(
    ways: &'a Ways,
    name: &str,
    args: ReplayArgs,
    term: Term,
) -> anyhow::Result<(Config, &'a Recording)> {
    let Some((section, recording)) = ways.sections.iter().find(|(s, _)| s.way == name) else {
        let ran: Vec<String> = ways.sections.iter().map(|(s, _)| s.way.clone()).collect();
        return Err(crate::config::usage_error(
            "replay",
            format!(
                "this compare recording has no way '{}': its ways are {}",
                escaped(name, QUOTE_CHARS),
                names(&ran)
            ),
        )
        .into());
    };
    let compare = compare_args(&ways.header)?;
    let demo = compare.demo;
    // The way as the compare ran it (`compare::run_way`): its shape, the
    // workers it had, and the compare's database.
    let mut way = match section.lock {
        Some(lock) => Way::with_lock(lock),
        None => {
            let kind = section.run.runtime.unwrap_or(RuntimeKind::CurrentThread);
            Way::with_defaults(section.mode, kind, section.spawn)
        }
    };
    if let (Some(Runtime::MultiThread(_)), Some(workers)) = (way.runtime, section.run.workers) {
        way.runtime = Some(Runtime::MultiThread(workers));
    }
    if section.language == Language::Python {
        // A Python row holds its lines and summary; its twin's shape only
        // decides how the pictures colour the waits.
        way = Way::with_defaults(section.mode, RuntimeKind::CurrentThread, false);
    }
    let base = Config::of_way(demo, &compare.workload, way);
    let query = base
        .query
        .as_ref()
        .map(|_| QueryOptions::new(&compare.db, base.tasks));
    // The replay's outputs, checked in the demo's words, as a run's.
    let python = section.language == Language::Python;
    if python && args.explain {
        anyhow::bail!(
            "--explain narrates the executor's steps, and a Python row records only its \
             lines and summary"
        );
    }
    let format = args.format.run().ok_or_else(|| {
        anyhow::anyhow!("--format markdown is compare's table; a way replays as one run")
    })?;
    let Cli {
        command: Command::Count(defaults),
        ..
    } = Cli::try_parse_from(["asyncdemo", "count"])?
    else {
        anyhow::bail!("the count command does not parse here");
    };
    let run = RunArgs {
        workload: compare.workload,
        ..defaults
    };
    let run = super::with_outputs(run, args, format);
    let checked = Config::new(demo, run, base.fetch.clone(), term)?;
    let config = Config {
        way: base.way,
        fetch: base.fetch,
        query,
        // python3 reports no polls or wake-ups: nothing to narrate from.
        explain: checked.explain && !python,
        ..checked
    };
    Ok((config, recording))
}

/// The compare's own arguments, from its command line.
fn compare_args(header: &CompareHeader) -> anyhow::Result<CompareArgs> {
    let shown = || escaped(&header.command.join(" "), QUOTE_CHARS);
    let cli = Cli::try_parse_from(&header.command).map_err(|e| {
        anyhow::anyhow!(
            "its command line ({}) does not parse here: {}",
            shown(),
            escaped(e.kind().as_str().unwrap_or("not a command"), QUOTE_CHARS)
        )
    })?;
    match cli.command {
        Command::Compare(args) if args.demo == header.demo => Ok(args),
        _ => anyhow::bail!("its command line ({}) is not this compare's", shown()),
    }
}
