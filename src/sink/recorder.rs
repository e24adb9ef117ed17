//! The recorder: the follower inside the sink that keeps the run for the
//! pictures drawn after it.

use crate::events::RunEvent;
use crate::vocab::{Event, Park};
use std::time::Duration;

/// The shortest idle the thread lanes keep: far below what a picture can
/// show, far above the cost of a park that finds work at once.
pub(super) const SHORTEST_IDLE: Duration = Duration::from_micros(50);

/// At most this many parks and wake-ups are recorded (16 bytes each).
pub(super) const MAX_PARKS: usize = 100_000;

/// The follower that keeps the run for the pictures drawn after it
/// (`--timeline`, `--svg`, `compare`'s pictures): every line, and when each
/// runtime thread parked and woke.
pub(super) struct Recorder {
    /// Every line, in time order.
    pub(super) events: Vec<Event>,
    /// The runtime threads' parks and wake-ups, for the thread lanes.
    pub(super) parks: Vec<Park>,
}

impl Recorder {
    /// Keeps what the pictures draw: lines and parks (a wait is drawn
    /// between a task's two lines, so its own events add nothing).
    ///
    /// Parks are bounded: an idle shorter than [`SHORTEST_IDLE`] is
    /// forgotten (the wake-up takes back the park just before it), and at
    /// most [`MAX_PARKS`] are kept, so a long busy run cannot grow the list
    /// without end.
    pub(super) fn keep(&mut self, event: &RunEvent<'_>) {
        match *event {
            RunEvent::Line { event, .. } => self.events.push(event),
            RunEvent::Thread(park) => {
                if let Some(last) = self.parks.last() {
                    if !park.parked
                        && last.parked
                        && last.thread == park.thread
                        && park.at.saturating_sub(last.at) < SHORTEST_IDLE
                    {
                        self.parks.pop();
                        return;
                    }
                }
                if self.parks.len() < MAX_PARKS {
                    self.parks.push(park);
                }
            }
            RunEvent::WaitBegan { .. }
            | RunEvent::WaitEnded { .. }
            | RunEvent::Poll { .. }
            | RunEvent::Lock { .. }
            | RunEvent::Caller { .. }
            | RunEvent::Finished { .. }
            | RunEvent::Stalled { .. } => {}
        }
    }
}
