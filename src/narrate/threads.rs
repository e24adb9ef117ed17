//! The runtime threads' side of the narration: a park, a wake-up with
//! work to do, and a quiet wake-up (the timer wheel's look at the clock on
//! its way to a far timer), told late, once the thread's next move shows
//! which it was.

use super::{Narrator, PARKS_KEPT, PARKS_TOLD};
use crate::events::{PollStep, RunEvent};
use crate::report::narration::Step;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;

/// A parked runtime thread, as the narrator follows it.
pub(super) struct Parking {
    pub(super) thread: u32,
    /// When it parked (as told).
    pub(super) since: Duration,
    /// Whether a narrated task was woken since.
    pub(super) woken: bool,
    /// Whether it is `block_on`'s caller rather than a runtime worker.
    pub(super) caller: bool,
    /// When it woke up without a narrated task to poll, and how many polls
    /// of the other tasks had been made then: if it parks again with no
    /// poll made, that wake-up was only a look at the clock (tokio's timer
    /// wheel wakes on its way to a far timer), and the park goes on.
    pub(super) quiet: Option<(Duration, u64)>,
}

impl Narrator {
    /// The steps of the runtime threads that `event` is or implies: a park,
    /// a wake-up with work to do, or a quiet wake-up, told late, once it
    /// turns out that the thread did work after it.
    pub(super) fn threads(&mut self, event: &RunEvent<'_>, told: &mut Vec<(Duration, Step)>) {
        // When each thread last woke: a runtime thread from its park, or
        // `block_on`'s caller (which parks too, outside the runtime) back
        // from its wait.
        let woke = match *event {
            RunEvent::Thread(park) => {
                if self.keeps_model() && self.parks.len() < PARKS_KEPT {
                    self.parks.push(park);
                }
                (!park.parked).then_some((park.thread, park.at))
            }
            RunEvent::Caller {
                at,
                thread,
                waiting: false,
            } => Some((thread, at)),
            _ => None,
        };
        if let Some((thread, at)) = woke {
            match self.unparked.iter_mut().find(|(t, _)| *t == thread) {
                Some(slot) => slot.1 = at,
                None => self.unparked.push((thread, at)),
            }
        }
        let polls = self.rest.polls.load(Relaxed);
        let caller = matches!(event, RunEvent::Caller { .. });
        let (thread, at, parked) = match *event {
            RunEvent::Thread(park) if self.pollers.contains(&park.thread) => {
                (park.thread, park.at, Some(park.parked))
            }
            RunEvent::Caller {
                at,
                thread,
                waiting,
            } if self.pollers.contains(&thread) => (thread, at, Some(waiting)),
            RunEvent::Poll {
                thread,
                step: PollStep::Began,
                ..
            } => (thread, Duration::ZERO, None),
            _ => return,
        };
        if self.done >= self.narrated {
            if parked == Some(true) {
                self.parks_untold += 1;
            }
            return;
        }
        self.quiet_wake_up(thread, parked, polls, told);
        let index = self.parked.iter().position(|p| p.thread == thread);
        match (parked, index) {
            (Some(true), None) => self.parks(thread, at, caller, told),
            (Some(false), Some(i)) if self.parked[i].woken => {
                let Parking { since, caller, .. } = self.parked.swap_remove(i);
                told.push((
                    at,
                    Step::Unparks {
                        thread,
                        at,
                        parked: at.saturating_sub(since),
                        caller,
                    },
                ));
            }
            (Some(false), Some(i)) => self.parked[i].quiet = Some((at, polls)),
            _ => {}
        }
    }

    /// A quiet wake-up that was not only a look at the clock: the thread
    /// polled something since. Told now, with its own time.
    fn quiet_wake_up(
        &mut self,
        thread: u32,
        parked: Option<bool>,
        polls: u64,
        told: &mut Vec<(Duration, Step)>,
    ) {
        let Some(i) = self.parked.iter().position(|p| p.thread == thread) else {
            return;
        };
        let Some((woke, at_polls)) = self.parked[i].quiet else {
            return;
        };
        if parked == Some(true) && polls == at_polls {
            self.parked[i].quiet = None;
            return;
        }
        let Parking { since, caller, .. } = self.parked.swap_remove(i);
        told.push((
            woke,
            Step::Unparks {
                thread,
                at: woke,
                parked: woke.saturating_sub(since),
                caller,
            },
        ));
    }

    /// A thread that polled the narrated tasks parks: told, up to
    /// [`PARKS_TOLD`] times.
    fn parks(&mut self, thread: u32, at: Duration, caller: bool, told: &mut Vec<(Duration, Step)>) {
        if self.parks_told >= PARKS_TOLD {
            self.parks_untold += 1;
            return;
        }
        self.parks_told += 1;
        self.parked.push(Parking {
            thread,
            since: at,
            woken: false,
            caller,
            quiet: None,
        });
        let awaits = self.awaits;
        told.push((
            at,
            Step::Parks {
                thread,
                awaits,
                caller,
            },
        ));
    }
}
