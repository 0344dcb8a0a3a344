//! The test surface of the `loom` models in `tests/loom_*.rs`, built only with
//! `RUSTFLAGS="--cfg loom"`: a task whose running future the model polls and drops itself, on
//! loom's threads, with no tokio runtime, so that loom explores every interleaving of the task's
//! future with the handle's `cancel`, `drop` and `await`. Not part of the API.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use std::sync::Arc;

use crate::error::Error;
use crate::group::state::Shared;
use crate::output::TaskOutput;
use crate::spawn::{TaskFuture, Ungated};
use crate::task::Task;
use crate::task_core::{Member, TaskCore};

/// The running side of a task: what tokio would own and poll.
pub struct Running<F>
where
    F: Future,
    F::Output: TaskOutput,
{
    future: Pin<Box<TaskFuture<F, Ungated>>>,
}

/// Creates a task without scheduling it: the model polls [`Running`], and dropping it is an
/// abort (tokio drops an aborted task's future).
#[track_caller]
pub fn spawn<F>(future: F) -> (Task<<F::Output as TaskOutput>::Value>, Running<F>)
where
    F: Future + Send + 'static,
    F::Output: TaskOutput,
{
    let (task, future) = crate::spawn::unscheduled(future, None);
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

/// A child spawned into a [`Group`]: its handle, and its running future.
pub type Child<F> = (
    Task<<<F as Future>::Output as TaskOutput>::Value>,
    Running<F>,
);

/// A task group's shared bookkeeping (`group/state.rs`), driven directly: what `TaskGroup::spawn`
/// and the group's future do to it, without a runtime.
pub struct Group {
    shared: Arc<Shared>,
}

impl Group {
    /// A group with no parent task; `supervisor`: failures cancel nobody.
    pub fn new(supervisor: bool) -> Self {
        Group {
            shared: Arc::new(Shared::new(None, supervisor, None, None)),
        }
    }

    /// What `TaskGroup::spawn` does: be admitted (or refused), make the child's cell under that
    /// admission, register it (which ends the group's critical section), all before the child
    /// can run. The child's running future is the caller's to poll.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> Option<Child<F>>
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput,
    {
        let enrolment = self.shared.enrol().ok()?;
        let member = Member {
            group: self.shared.clone(),
            key: enrolment.key(),
        };
        let (task, future) = crate::spawn::unscheduled(future, Some(member));
        enrolment.register(task.cell.clone());
        Some((
            task,
            Running {
                future: Box::pin(future),
            },
        ))
    }

    /// What the group's future does on each poll once its body is done: cancel the children if
    /// the group is aborting (once), then finish when no child is left, handing over the errors.
    pub fn poll_finish(&self, cx: &mut Context<'_>) -> Poll<Vec<Error>> {
        self.shared.cancel_children_if_aborting(None);
        match self.shared.try_finish(true, cx.waker()) {
            Some(errors) => Poll::Ready(errors),
            None => Poll::Pending,
        }
    }

    /// What `TaskGroup::cancel` does from any thread: shut the group down as on a failure,
    /// cancelling every child registered so far. Returns whether the group was still running.
    pub fn cancel(&self) -> bool {
        self.shared.cancel_from_handle()
    }

    /// How many children are not yet done.
    pub fn live(&self) -> usize {
        self.shared.live()
    }
}
