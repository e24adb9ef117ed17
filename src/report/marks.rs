//! When each task printed its two lines: the one computation of a task's
//! marks, shared by the pictures (`--timeline` and `--trace`).

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn each_task_gets_its_own_two_lines() {
        let event = |ms, task, phase| Event {
            at: Duration::from_millis(ms),
            task,
            phase,
            thread: 1,
        };
        let events = [
            event(0, 2, Phase::First),
            event(0, 1, Phase::First),
            event(5, 3, Phase::First),
            event(10, 1, Phase::Last),
        ];
        let marks = per_task(&events, 2);
        assert_eq!(marks.len(), 2, "task 3 is past the rows asked for");
        assert_eq!(marks[0].first, Some(events[1]));
        assert_eq!(marks[0].last, Some(events[3]));
        assert_eq!(marks[1].first, Some(events[0]));
        assert_eq!(marks[1].last, None, "task 2 never finished");
    }
}
