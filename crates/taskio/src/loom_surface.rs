//! The test surface of the `loom` models in `tests/loom_*.rs`, built only with
//! `RUSTFLAGS="--cfg loom"`: a task whose running future the model polls and drops itself, on
//! loom's threads, with no tokio runtime, so that loom explores every interleaving of the task's
//! future with the handle's `cancel`, `drop` and `await`. Not part of the API.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use crate::cell::TaskCore;
use crate::output::TaskOutput;
use crate::spawn::TaskFuture;
use crate::task::Task;

/// The running side of a task: what tokio would own and poll.
pub struct Running<F>
where
    F: Future,
    F::Output: TaskOutput,
{
    future: Pin<Box<TaskFuture<F>>>,
}

/// Creates a task without scheduling it: the model polls [`Running`], and dropping it is an
/// abort (tokio drops an aborted task's future).
#[track_caller]
pub fn spawn<F>(future: F) -> (Task<<F::Output as TaskOutput>::Value>, Running<F>)
where
    F: Future + Send + 'static,
    F::Output: TaskOutput,
{
    let (task, future) = crate::spawn::unscheduled(future);
    (
        task,
        Running {
            future: Box::pin(future),
        },
    )
}

impl<F> Running<F>
where
    F: Future,
    F::Output: TaskOutput,
{
    /// A scheduled poll with `waker` (the one `cancel` wakes).
    pub fn poll(&mut self, waker: &Waker) -> Poll<()> {
        let mut cx = Context::from_waker(waker);
        self.future.as_mut().poll_task(&mut cx, true)
    }

    /// An eager first poll, as `task().eager().spawn(..)` does on the spawning thread.
    pub fn poll_eager(&mut self) -> Poll<()> {
        let mut cx = Context::from_waker(Waker::noop());
        self.future.as_mut().poll_task(&mut cx, false)
    }
}

/// The completion notification `run`'s shutdown and the task group use (one observer).
pub fn poll_done<T: Send + 'static>(task: &Task<T>, cx: &mut Context<'_>) -> Poll<()> {
    task.cell.poll_done(cx)
}

/// What awaiting the handle does (`Cell::poll_output`), through a shared reference, so that a
/// model can await a handle that another thread cancels.
pub fn poll_output<T: Send + 'static>(
    task: &Task<T>,
    cx: &mut Context<'_>,
) -> Poll<crate::Result<T>> {
    task.cell.poll_output(cx)
}
