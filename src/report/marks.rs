//! When each task printed its two lines: the one computation of a task's
//! marks, shared by the pictures (`--timeline` and `--trace`), and the
//! peak overlap of recorded lines.

use crate::vocab::{Event, Phase};

/// A task's two lines, as recorded. `first` without `last` is a task that
/// a signal stopped mid-wait; neither is a task that never started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Marks {
    /// The line before the wait.
    pub first: Option<Event>,
    /// The line after the wait.
    pub last: Option<Event>,
}

/// The marks of tasks 1 to `tasks`, indexed by task number - 1, in one pass
/// over the events. Events of later tasks are skipped, so a picture that
/// shows ten rows of a million tasks keeps ten entries.
pub(crate) fn per_task(events: &[Event], tasks: u32) -> Vec<Marks> {
    let mut marks = vec![Marks::default(); tasks as usize];
    for event in events.iter().filter(|e| e.task <= tasks) {
        let mark = &mut marks[event.task as usize - 1];
        match event.phase {
            Phase::First => mark.first = Some(*event),
            Phase::Last => mark.last = Some(*event),
        }
    }
    marks
}

/// The most tasks that were waiting at the same moment: between their
/// first and last lines, in the order of the lines' times. A tokio run's
/// sink counts the same as its lines come (`Sink::peak_overlap`); this is
/// the count for recorded lines that came from elsewhere (a Python row).
pub(crate) fn peak_overlap(events: &[Event]) -> u32 {
    // The threads row records its lines from several threads: in time order
    // first (a stable sort keeps the order of lines printed at one instant).
    let mut in_order: Vec<&Event> = events.iter().collect();
    in_order.sort_by_key(|event| event.at);
    let (mut waiting, mut peak) = (0u32, 0u32);
    for event in in_order {
        match event.phase {
            Phase::First => {
                waiting += 1;
                peak = peak.max(waiting);
            }
            Phase::Last => waiting = waiting.saturating_sub(1),
        }
    }
    peak
}

/// Made-up lines for the pictures' tests.
#[cfg(test)]
pub(crate) mod testing {
    use crate::vocab::testing::event;
    use crate::vocab::{Event, Phase};

    /// The lines of tasks that each wait once: task `n` (from 1) prints
    /// its first line at `waits[n - 1].0` ms and its last at `.1` ms, on
    /// thread `.2`. In the order a run records them: by time, and at one
    /// instant a wait that ends before one that begins (the thread prints
    /// the last line, then polls the next task).
    pub(crate) fn waits(waits: &[(u64, u64, u32)]) -> Vec<Event> {
        let mut lines: Vec<Event> = (1..)
            .zip(waits)
            .flat_map(|(task, &(from, to, thread))| {
                [
                    event(from, task, Phase::First, thread),
                    event(to, task, Phase::Last, thread),
                ]
            })
            .collect();
        lines.sort_by_key(|e| (e.at, e.phase == Phase::First, e.task));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::testing::event;

    #[test]
    fn each_task_gets_its_own_two_lines() {
        let events = [
            event(0, 2, Phase::First, 1),
            event(0, 1, Phase::First, 1),
            event(5, 3, Phase::First, 1),
            event(10, 1, Phase::Last, 1),
        ];
        let marks = per_task(&events, 2);
        assert_eq!(marks.len(), 2, "task 3 is past the rows asked for");
        assert_eq!(marks[0].first, Some(events[1]));
        assert_eq!(marks[0].last, Some(events[3]));
        assert_eq!(marks[1].first, Some(events[0]));
        assert_eq!(marks[1].last, None, "task 2 never finished");
    }

    #[test]
    fn the_peak_overlap_counts_the_waits_in_flight() {
        // gather: both start, then both end.
        let gathered = testing::waits(&[(0, 100, 1), (0, 100, 1)]);
        assert_eq!(peak_overlap(&gathered), 2);
        // time.sleep: one after another, even when recorded out of order.
        let mut blocked = testing::waits(&[(0, 100, 1), (101, 201, 1)]);
        blocked.reverse();
        assert_eq!(peak_overlap(&blocked), 1);
        assert_eq!(peak_overlap(&[]), 0);
    }
}
