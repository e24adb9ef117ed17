//! `--mode block-in-place`: `tokio::task::block_in_place`, tokio's "I am
//! about to block, move the others away" call.
//!
//! On a multi-thread runtime, a worker that enters `block_in_place` first
//! hands its queue of other tasks to a fresh thread, then blocks. So a
//! *spawned* task that blocks this way stalls nobody: its neighbours run on.
//! But the call cannot split a task: coroutines joined inside one
//! `join_all` are one tokio task, and the thread that polls them is the one
//! blocking. They still wait, exactly as in `--blocking`. On a
//! current-thread runtime there is no other thread to hand anything to,
//! and tokio panics; the config refuses that combination before the run.

use super::{BlockingCall, Wait};
use crate::sink::Sink;
use crate::vocab::Ending;
use std::sync::Arc;

/// A blocking call wrapped in `block_in_place`.
pub(crate) struct BlockInPlace<B> {
    /// The call that blocks.
    pub(crate) call: B,
    /// Flushed before blocking, as [`super::Blocking`] does.
    pub(crate) sink: Arc<Sink>,
}

impl<B: BlockingCall> Wait for BlockInPlace<B> {
    async fn wait(&self, id: u32) -> Ending {
        if !self.call.blocks() {
            return self.call.call(id);
        }
        if !self.sink.flush() {
            return Ending::Stopped;
        }
        // Still no `.await`: the poll blocks until the call ends. What
        // changes is that tokio has moved the worker's other tasks to a new
        // thread first (when this poll runs on a worker at all).
        tokio::task::block_in_place(|| super::held(&self.sink, id, || self.call.call(id), B::HOLDS))
    }
}
