//! What the machinery needs of a task whatever its output type: [`TaskCore`], the face of a
//! task's cell that the current-task slot, the registry and cancellation points hold as
//! `Arc<dyn TaskCore>`; and a task group's link to its children ([`GroupHook`], [`Member`]).

use std::any::Any;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::error::Error;
use crate::header::Header;
use crate::id::TaskId;

/// A task group, as its children's cells see it: told once of each child's completion.
pub(crate) trait GroupHook: Send + Sync + 'static {
    /// Child `key` is done; `failure` is a clone of its error if it failed (a cancellation is
    /// not a failure). Called from `complete`, after the outcome is stored and readable.
    fn child_done(&self, key: usize, header: &Header, failure: Option<Error>);

    /// The task that waits for the group's children now (its body is done and it joins them).
    fn joiner(&self) -> Option<TaskId>;
}

/// A child's link to its task group (no allocation of its own: the group's `Arc` and a key).
pub(crate) struct Member {
    pub(crate) group: Arc<dyn GroupHook>,
    pub(crate) key: usize,
}

/// What the running future, the registry and the current-task slot need of a task, whatever its
/// output type.
pub(crate) trait TaskCore: Send + Sync + 'static {
    fn header(&self) -> &Header;

    /// The cell as `Any`, so that a task that ends in a poll completes through the typed
    /// `Arc<Cell<T>>` the thread-local gives back (the task future's own went with its body).
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;

    /// Ready once the task is done. One observer at a time (`run`'s shutdown, a task group);
    /// the handle's own await uses a separate waker.
    fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()>;

    /// The tasks that await this one now: the task that last polled its handle (while the
    /// handle lives and the task is not done), and its group's joiner.
    fn awaited_by(&self) -> [Option<TaskId>; 2];
}
