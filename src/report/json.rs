//! The JSON formats: for scripts. Every object is built with serde from typed
//! data, never by pasting strings together.

use super::Summary;
use super::lanes::Driver;
use crate::state::{Birth, Histogram, Model, StateChange, Tallies, TaskState};
use crate::vocab::{Event, Park};
use serde::Serialize;
use std::io::{self, Write};
use std::time::Duration;

/// One NDJSON event: `{"type":"event","t_secs":0.000012,"task":1,"text":"One"}`.
#[derive(Serialize)]
struct EventLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    t_secs: f64,
    task: u32,
    text: &'a str,
}

/// One state change of the task-state model as an NDJSON event:
/// `{"type":"state","t_secs":0.2003,"task":2,"state":"ready"}`, the state
/// in the JSON's words (`task_states`), or `done`.
#[derive(Serialize)]
struct StateLine {
    #[serde(rename = "type")]
    kind: &'static str,
    t_secs: f64,
    task: u32,
    state: &'static str,
}

/// The summary as the last NDJSON line, tagged so a consumer can tell it from
/// the events: `{"type":"summary", ...the --format json fields...}`.
#[derive(Serialize)]
struct SummaryLine<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(flatten)]
    summary: &'a Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_states: Option<TaskStates>,
}

/// The summary with every task's account from the task-state model.
#[derive(Serialize)]
struct WithTasks<'a> {
    #[serde(flatten)]
    summary: &'a Summary,
    #[serde(skip_serializing_if = "Option::is_none")]
    task_states: Option<TaskStates>,
}

/// Up to this many tasks, the JSON lists one record per task; past it,
/// one distribution per state (a million records would be hundreds of
/// megabytes that no script wants to read).
pub(crate) const MAX_TASK_RECORDS: u32 = 10_000;

/// What the JSON says of the tasks' states: one record each, or, for a
/// run past [`MAX_TASK_RECORDS`], a distribution per state.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum TaskStates {
    Tasks(Vec<TaskRecord>),
    // Boxed: eight distributions are far bigger than the other variant.
    Distributions(Box<Distributions>),
}

/// Past the cut-off: how the tasks' times in each state, and their polls,
/// spread over the tasks.
#[derive(Serialize)]
struct Distributions {
    /// How many tasks they cover: every task of the run, or, for a run
    /// that kept no census (a recording played back), the tasks observed.
    tasks: u64,
    /// Per task: its polls.
    polls: Spread,
    #[serde(flatten)]
    secs: StateTimes<Distribution>,
}

/// How a count spread over the tasks.
#[derive(Serialize)]
struct Spread {
    min: u64,
    median: u64,
    p99: u64,
    max: u64,
}

/// One task: how long it spent in each state, its polls, its lines.
#[derive(Serialize)]
struct TaskRecord {
    task: u32,
    polls: u32,
    longest_poll_secs: f64,
    /// When it printed its first and last line; `null` if it did not.
    first_line_secs: Option<f64>,
    last_line_secs: Option<f64>,
    /// Seconds in each state.
    secs: StateTimes<f64>,
}

/// One figure per state of the model, in its words.
#[derive(Serialize)]
struct StateTimes<T> {
    polled: T,
    held: T,
    sleeping: T,
    overdue: T,
    ready: T,
    queued: T,
    in_pool: T,
    lock: T,
}

/// The JSON's word for `state` (a key of `secs`), or `done`.
fn word(state: Option<TaskState>) -> &'static str {
    match state {
        Some(TaskState::Polled) => "polled",
        Some(TaskState::Held) => "held",
        Some(TaskState::Sleeping) => "sleeping",
        Some(TaskState::Overdue) => "overdue",
        Some(TaskState::Ready) => "ready",
        Some(TaskState::Queued) => "queued",
        Some(TaskState::InPool) => "in_pool",
        Some(TaskState::Lock) => "lock",
        None => "done",
    }
}

impl<T> StateTimes<T> {
    /// The figure of each state, by `of`.
    fn by(mut of: impl FnMut(TaskState) -> T) -> StateTimes<T> {
        StateTimes {
            polled: of(TaskState::Polled),
            held: of(TaskState::Held),
            sleeping: of(TaskState::Sleeping),
            overdue: of(TaskState::Overdue),
            ready: of(TaskState::Ready),
            queued: of(TaskState::Queued),
            in_pool: of(TaskState::InPool),
            lock: of(TaskState::Lock),
        }
    }
}

/// How one state's time spread over the tasks, in seconds.
#[derive(Serialize)]
struct Distribution {
    min_secs: f64,
    median_secs: f64,
    p99_secs: f64,
    max_secs: f64,
}

impl Distribution {
    /// From a histogram of microseconds ([`Histogram`]'s precision).
    fn of_micros(micros: &Histogram) -> Distribution {
        let secs = |q| micros.quantile(q) as f64 / 1e6;
        Distribution {
            min_secs: secs(0.0),
            median_secs: secs(0.5),
            p99_secs: secs(0.99),
            max_secs: secs(1.0),
        }
    }

    fn of(mut values: Vec<f64>) -> Distribution {
        values.sort_unstable_by(f64::total_cmp);
        let at = |q: f64| {
            let i = ((values.len() as f64 - 1.0) * q).round() as usize;
            values.get(i).copied().unwrap_or(0.0)
        };
        Distribution {
            min_secs: at(0.0),
            median_secs: at(0.5),
            p99_secs: at(0.99),
            max_secs: at(1.0),
        }
    }
}

/// The tasks' states of the run `summary` describes, from the model built
/// of what it observed; `None` when it observed nothing (a Python row).
fn task_states(summary: &Summary, events: &[Event]) -> Option<TaskStates> {
    if summary.observed.events.is_empty() {
        return None;
    }
    let birth = match Driver::of(summary) {
        Driver::None => Birth::OnItsOwn,
        _ => Birth::AtStart,
    };
    let end = events
        .iter()
        .map(|e| e.at)
        .fold(Duration::from_secs_f64(summary.elapsed_secs), Duration::max);
    let observed = &summary.observed;
    // Only the first MAX_TASK_RECORDS tasks were observed for the JSON.
    let tasks = summary.tasks.min(MAX_TASK_RECORDS);
    let model = Model::new(&observed.events, &observed.parks, (tasks, birth), end);
    if summary.tasks > MAX_TASK_RECORDS {
        // A census that kept the accounts covers every task; one kept
        // only for a picture's band (past its lanes, below this cut-off)
        // does not stand in for the per-task records a smaller run gets,
        // and one kept for the band alone counted no task.
        if let Some(tallies) = observed.tallies.as_deref().filter(|t| t.tasks() > 0) {
            return Some(TaskStates::Distributions(Box::new(from_census(tallies))));
        }
        let mut polls = Vec::with_capacity(tasks as usize);
        let mut times: Vec<Vec<f64>> = (0..8).map(|_| Vec::with_capacity(tasks as usize)).collect();
        for task in 1..=tasks {
            let record = model.record(task);
            polls.push(f64::from(record.polls));
            for (i, state) in TaskState::ALL.into_iter().enumerate() {
                times[i].push(record.time_in(state).as_secs_f64());
            }
        }
        let mut times = times.into_iter();
        let polls = Distribution::of(polls);
        return Some(TaskStates::Distributions(Box::new(Distributions {
            tasks: u64::from(tasks),
            polls: Spread {
                min: polls.min_secs as u64,
                median: polls.median_secs as u64,
                p99: polls.p99_secs as u64,
                max: polls.max_secs as u64,
            },
            secs: StateTimes::by(|_| Distribution::of(times.next().unwrap_or_default())),
        })));
    }
    let records = (1..=tasks)
        .map(|task| {
            let record = model.record(task);
            TaskRecord {
                task,
                polls: record.polls,
                longest_poll_secs: record.longest_poll.as_secs_f64(),
                first_line_secs: record.first_line.map(|at| at.as_secs_f64()),
                last_line_secs: record.last_line.map(|at| at.as_secs_f64()),
                secs: StateTimes::by(|state| record.time_in(state).as_secs_f64()),
            }
        })
        .collect();
    Some(TaskStates::Tasks(records))
}

/// The distributions of every task of a run that kept a census.
fn from_census(tallies: &Tallies) -> Distributions {
    Distributions {
        tasks: tallies.tasks(),
        polls: Spread {
            min: tallies.polls.quantile(0.0),
            median: tallies.polls.quantile(0.5),
            p99: tallies.polls.quantile(0.99),
            max: tallies.polls.quantile(1.0),
        },
        secs: StateTimes::by(|state| Distribution::of_micros(&tallies.micros[state.index()])),
    }
}

/// Writes one state change of the task-state model as an NDJSON event.
pub(crate) fn write_state(out: &mut impl Write, change: &StateChange) -> io::Result<()> {
    let line = StateLine {
        kind: "state",
        t_secs: change.at.as_secs_f64(),
        task: change.task,
        state: word(change.state),
    };
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}

/// Writes one task line as an NDJSON event.
pub(crate) fn write_event(
    out: &mut impl Write,
    at: Duration,
    id: u32,
    text: &str,
) -> io::Result<()> {
    let event = EventLine {
        kind: "event",
        t_secs: at.as_secs_f64(),
        task: id,
        text,
    };
    serde_json::to_writer(&mut *out, &event)?;
    out.write_all(b"\n")
}

/// `--format json`: the summary, pretty-printed, as the only thing on
/// stdout, with the tasks' states (`task_states`) when the run observed
/// them; `events` and `parks` are its recorded lines and thread parks.
pub(crate) fn write_summary(
    out: &mut impl Write,
    summary: &Summary,
    (events, _parks): (&[Event], &[Park]),
) -> io::Result<()> {
    let with = WithTasks {
        summary,
        task_states: task_states(summary, events),
    };
    serde_json::to_writer_pretty(&mut *out, &with)?;
    out.write_all(b"\n")
}

/// `--format ndjson`: the summary as one line after the events.
pub(crate) fn write_summary_line(
    out: &mut impl Write,
    summary: &Summary,
    (events, _parks): (&[Event], &[Park]),
) -> io::Result<()> {
    let line = SummaryLine {
        kind: "summary",
        summary,
        task_states: task_states(summary, events),
    };
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::{Demo, Phase};

    #[test]
    fn an_event_is_one_line_with_the_documented_fields() {
        let mut out = Vec::new();
        write_event(
            &mut out,
            Duration::from_micros(12),
            1,
            &Demo::Count.text(1, Phase::First),
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches('\n').count(), 1);
        assert!(text.ends_with('\n'));
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"type": "event", "t_secs": 0.000012, "task": 1, "text": "One"})
        );
        // The keys keep the documented order, for people reading the stream.
        assert!(text.starts_with("{\"type\":\"event\",\"t_secs\":"));
    }
}
