//! The poll side of `--explain`: on the polling thread, the narrated
//! tasks' polls forwarded into the sink's ordered lane, and their wakers
//! wrapped so that a wake-up is told from whichever thread calls it.

use super::{Explainer, NARRATED};
use crate::events::{PollFollower, PollStep};
use crate::sink::Sink;
use std::sync::Arc;
use std::task::{Wake, Waker};
use std::time::{Duration, Instant};

impl PollFollower for Explainer {
    fn poll_began(&self, id: u32, _start: Instant) {
        if id <= NARRATED {
            self.sink.poll_step(id, PollStep::Began);
        }
    }

    fn poll_ended(&self, _id: u32, _start: Instant, _took: Duration) {}

    fn poll_returned(&self, id: u32, _start: Instant, took: Duration, ready: bool) {
        if id <= NARRATED {
            self.sink.poll_step(id, PollStep::Ended { took, ready });
            return;
        }
        self.rest.poll(took, ready);
    }

    fn waker(&self, id: u32, waker: &Waker) -> Option<Waker> {
        // A new waker per poll of a narrated task: a few allocations in
        // all, for the one thing an executor's own waker cannot say, when
        // it was called.
        (id <= NARRATED).then(|| {
            Waker::from(Arc::new(Told {
                inner: waker.clone(),
                id,
                sink: Arc::clone(&self.sink),
            }))
        })
    }
}

/// A narrated task's waker: tells the sink, then wakes the task as the
/// executor's own waker would.
struct Told {
    inner: Waker,
    id: u32,
    sink: Arc<Sink>,
}

impl Wake for Told {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Told first, so that the narration says "woken" before the poll
        // that the wake-up causes (which may begin at once, on another
        // thread).
        self.sink.poll_step(self.id, PollStep::Woken);
        self.inner.wake_by_ref();
    }
}
