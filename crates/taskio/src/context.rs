//! The current task: which task's code is running on this thread right now.
//!
//! The running future moves its `Arc<dyn TaskCore>` into a thread-local for the length of each
//! poll and takes it back after (moves only, no reference counting). Cancellation points read it
//! to find the request meant for them; `spawn` reads it to record the parent.

use std::cell::RefCell;
use std::sync::Arc;

use crate::cell::TaskCore;
use crate::error::Cancelled;

thread_local! {
    static CURRENT: RefCell<Option<Arc<dyn TaskCore>>> = const { RefCell::new(None) };
}

/// Makes `core` the current task; returns the one it replaces, to hand to [`leave`].
#[inline]
pub(crate) fn enter(core: Arc<dyn TaskCore>) -> Option<Arc<dyn TaskCore>> {
    CURRENT.with(|c| c.replace(Some(core)))
}

/// Restores `prev` as the current task and gives back the one that was entered.
#[inline]
pub(crate) fn leave(prev: Option<Arc<dyn TaskCore>>) -> Arc<dyn TaskCore> {
    CURRENT
        .with(|c| c.replace(prev))
        .expect("taskio: the current task was entered before it is left")
}

/// Runs `f` with the current task, if code of a taskio task is running on this thread.
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(&Arc<dyn TaskCore>) -> R) -> Option<R> {
    CURRENT
        .try_with(|c| c.borrow().as_ref().map(f))
        .ok()
        .flatten()
}

/// Delivers the current task's pending cancel request, if there is one: what every cancellation
/// point calls before it does anything else.
#[inline]
pub(crate) fn take_cancel() -> Option<Cancelled> {
    with_current(|t| t.header().take_cancel()).flatten()
}
