//! `--mode block-in-place`: `tokio::task::block_in_place`, tokio's "I am
//! about to block, move the others away" call.
//!
//! On a multi-thread runtime, a worker that enters `block_in_place` first
//! hands its core (its queue of other tasks, and the turn at the drivers)
//! to a new thread from the blocking pool, then blocks (tokio's
//! `multi_thread/worker.rs`). So a *spawned* task that blocks this way
//! stalls nobody: its neighbours run on, on the thread that took the core
//! over. But the call cannot split a task: coroutines joined inside one
//! `join_all` are polled on `block_on`'s thread, which holds no core, so
//! there is nothing to hand over and it simply blocks. They still wait,
//! exactly as in `--blocking`. On a current-thread runtime there is no core
//! to hand to a new thread, and tokio panics ("can call blocking only when
//! running on the multi-threaded runtime"); the config refuses that
//! combination before the run.

use super::{BlockingCall, Wait};
use crate::outcome::Ending;
use crate::sink::Sink;
use std::sync::Arc;

/// A blocking call wrapped in `block_in_place`.
pub(crate) struct BlockInPlace<B> {
    /// The call that blocks.
    pub(crate) call: B,
    /// Flushed before blocking, as [`super::Blocking`] does.
    pub(crate) sink: Arc<Sink>,
}

impl<B> BlockInPlace<B> {
    /// `call`, made inside `block_in_place`, flushing `sink` first.
    pub(crate) fn new(call: B, sink: &Arc<Sink>) -> BlockInPlace<B> {
        BlockInPlace {
            call,
            sink: Arc::clone(sink),
        }
    }
}

impl<B: BlockingCall> Wait for BlockInPlace<B> {
    async fn wait(&self, id: u32) -> Ending {
        if !self.call.blocks() {
            return self.call.call(id);
        }
        // Still no `.await`: the poll blocks until the call ends. What
        // changes is that tokio has moved the worker's core to a new thread
        // first (when this poll runs on a worker at all).
        tokio::task::block_in_place(|| super::held(&self.sink, id, B::HOLDS, || self.call.call(id)))
    }
}
