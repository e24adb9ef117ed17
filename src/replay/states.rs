//! The NDJSON stream's state events, made again from a recording: the
//! task-state model's tally ([`Log`]) moved by the recorded observations
//! and the threads' parks, and its changes written where the run's sink
//! wrote them: before each line, those heard up to the line's time;
//! before the run's last event, the rest.
//!
//! The run's tally heard each poll begin at the very reading its recorded
//! observation keeps, and the observations and parks in the order the
//! recording keeps them (the order they came in, which on several threads
//! is not quite the order of their times): so the replay's tally hears
//! them in that order, each poll's beginning merged in by its time, and
//! writes what the run's wrote.

use super::read::Recording;
use crate::config::Config;
use crate::state::{Log, What};
use crate::vocab::Park;
use std::io::{self, Write};
use std::time::Duration;

/// One thing that moved the run's tally.
enum Moved {
    /// Task `.0`'s poll began.
    Began(u32),
    /// Something happened to task `.0` (a `Polled` when the poll returned).
    Saw(u32, What),
    Park(Park),
}

/// `a` and `b` merged by time, each keeping its own order (the first at
/// a tie).
fn merged(a: Vec<(Duration, Moved)>, b: Vec<(Duration, Moved)>) -> Vec<(Duration, Moved)> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    loop {
        let next = match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if y.0 < x.0 => b.next(),
            (Some(_), _) => a.next(),
            (None, _) => b.next(),
        };
        match next {
            Some(item) => out.push(item),
            None => return out,
        }
    }
}

/// The tally of a replayed run, and what moves it, in the order it heard.
pub(super) struct States {
    log: Log,
    moves: Vec<(Duration, Moved)>,
    /// How many of `moves` the tally has heard.
    heard: usize,
}

impl States {
    /// The state events of `recording`, replayed as `config` asks: `None`
    /// unless it asks for NDJSON, as the run's sink would stream them.
    pub(super) fn of(config: &Config, recording: &Recording) -> Option<States> {
        crate::report::state_stream(config)?;
        let header = &recording.header;
        // The tasks the run's stream followed: those it observed.
        let tasks = header.tasks.min(header.full_tasks);
        let log = Log::new(false);
        log.stream(tasks, crate::report::birth(config));
        // Each observation when the tally heard it: a poll when it returned.
        let mut began = Vec::new();
        let mut seen = Vec::with_capacity(recording.observed.len());
        for e in &recording.observed {
            let at = Duration::from_nanos(e.at);
            if let What::Polled { took, .. } = e.what {
                began.push((at, Moved::Began(e.task)));
                let returned = at.saturating_add(Duration::from_nanos(took));
                seen.push((returned, Moved::Saw(e.task, e.what)));
            } else {
                seen.push((at, Moved::Saw(e.task, e.what)));
            }
        }
        // Stable: polls that began at one moment keep their order.
        began.sort_by_key(|m| m.0);
        let parks = recording
            .model_parks
            .iter()
            .map(|p| (p.at, Moved::Park(*p)));
        let moves = merged(merged(seen, began), parks.collect());
        Some(States {
            log,
            moves,
            heard: 0,
        })
    }

    /// Moves the tally up to `until`, then writes its changes so far.
    pub(super) fn write_until(&mut self, until: Duration, out: &mut impl Write) -> io::Result<()> {
        while let Some((at, moved)) = self.moves.get(self.heard).filter(|m| m.0 <= until) {
            match *moved {
                Moved::Began(task) => self.log.replayed(*at, task, None),
                Moved::Saw(task, what) => self.log.replayed(*at, task, Some(what)),
                Moved::Park(park) => self.log.park(park),
            }
            self.heard += 1;
        }
        for change in self.log.changes() {
            crate::report::json::write_state(out, &change)?;
        }
        Ok(())
    }

    /// Writes every change left, as the run's sink did once its tasks
    /// ended at `end` (a sleep still going is split where it was overdue).
    pub(super) fn write_last(&mut self, end: Duration, out: &mut impl Write) -> io::Result<()> {
        self.write_until(Duration::MAX, out)?;
        // The tally's end is "now" on the run's clock: the run began `end`
        // before now.
        if let Some(start) = tokio::time::Instant::now().checked_sub(end) {
            self.log.started(start);
        }
        for change in self.log.last_changes() {
            crate::report::json::write_state(out, &change)?;
        }
        Ok(())
    }
}
