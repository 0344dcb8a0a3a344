//! [`TaskHandle`]: a task's controls without its outcome, to share with whoever may need to stop
//! it (a supervisor, a signal handler, a UI) while one place owns and awaits the
//! [`Task`](crate::Task). tokio's peer is `AbortHandle`; asyncio needs none, since any code that
//! holds a reference to a Python task may `cancel()` it.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use crate::id::{TaskId, TaskState};
use crate::introspect::TaskInfo;
use crate::task_core::TaskCore;

/// A cloneable, `Send + Sync` handle to a task that can cancel or abort it and read its id, name,
/// state and cancel count, but never takes its outcome: that stays with the
/// [`Task`](crate::Task), which may be moved into [`gather`](crate::gather()), a
/// [`JoinSet`](crate::JoinSet) or anywhere else. Get one from [`Task::handle`](crate::Task::handle)
/// or [`CurrentTask::handle`](crate::CurrentTask::handle).
///
/// Holding a handle keeps the task's record alive (its header, and its outcome until the `Task`
/// reads or drops it), not the task itself: dropping every handle changes nothing.
///
/// ```
/// use std::time::Duration;
///
/// taskio::run(async {
///     let slow = taskio::task().name("slow").spawn(async {
///         taskio::sleep(Duration::from_secs(3600)).await?;
///         taskio::Ok(1)
///     });
///     let fast = taskio::spawn(async { taskio::Ok(2) });
///     let handle = slow.handle();
///     // a third party stops `slow` while gather owns (and awaits) it
///     let watchdog = taskio::spawn(async move {
///         taskio::sleep(Duration::from_millis(10)).await?;
///         handle.cancel_with("too slow");
///         taskio::Ok(())
///     });
///     let err = taskio::gather([slow, fast]).await.unwrap_err();
///     assert_eq!(err.as_cancelled().unwrap().message(), Some("too slow"));
///     watchdog.await
/// })
/// .unwrap();
/// ```
#[derive(Clone)]
pub struct TaskHandle {
    core: Arc<dyn TaskCore>,
}

impl TaskHandle {
    pub(crate) fn new(core: Arc<dyn TaskCore>) -> Self {
        TaskHandle { core }
    }

    /// The task's id.
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::spawn(async {});
    ///     assert_eq!(t.handle().id(), t.id());
    /// });
    /// ```
    pub fn id(&self) -> TaskId {
        self.core.header().id
    }

    /// The task's name (`Task-<id>` unless one was given).
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::task().name("fetch-1").spawn(async {});
    ///     assert_eq!(t.handle().name(), "fetch-1");
    /// });
    /// ```
    pub fn name(&self) -> Cow<'_, str> {
        self.core.header().name()
    }

    /// Where the task is in its life.
    ///
    /// ```
    /// taskio::run(async {
    ///     let h = taskio::spawn(async {}).handle(); // the Task is dropped: detached
    ///     assert_eq!(h.state(), taskio::TaskState::Pending);
    ///     taskio::checkpoint().await?;
    ///     assert_eq!(h.state(), taskio::TaskState::Finished);
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn state(&self) -> TaskState {
        self.core.header().task_state()
    }

    /// Whether the task is done (finished, cancelled or panicked).
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::spawn(async {});
    ///     let h = t.handle();
    ///     t.await?;
    ///     assert!(h.is_done());
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn is_done(&self) -> bool {
        self.core.header().is_complete()
    }

    /// Asks the task to stop at its next cancellation point, as [`Task::cancel`](crate::Task::cancel)
    /// does. Returns `false` if the task is already done.
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::spawn(taskio::sleep(std::time::Duration::from_secs(60)));
    ///     let h = t.handle();
    ///     assert!(h.cancel());
    ///     assert!(t.await.unwrap_err().is_cancelled());
    ///     assert!(!h.cancel()); // done: refused
    /// });
    /// ```
    pub fn cancel(&self) -> bool {
        self.core.header().request_cancel(None)
    }

    /// [`cancel`](TaskHandle::cancel) with a message the task sees in
    /// [`Cancelled::message`](crate::Cancelled::message).
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::spawn(taskio::sleep(std::time::Duration::from_secs(60)));
    ///     t.handle().cancel_with("shutting down");
    ///     let err = t.await.unwrap_err();
    ///     assert_eq!(err.as_cancelled().unwrap().message(), Some("shutting down"));
    /// });
    /// ```
    pub fn cancel_with(&self, message: impl Into<Arc<str>>) -> bool {
        self.core.header().request_cancel(Some(message.into()))
    }

    /// How many cancel requests the task has outstanding: asyncio's `cancelling()`.
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::spawn(taskio::sleep(std::time::Duration::from_secs(60)));
    ///     let h = t.handle();
    ///     h.cancel();
    ///     t.cancel();
    ///     assert_eq!(h.cancelling(), 2);
    ///     let _ = t.await;
    /// });
    /// ```
    pub fn cancelling(&self) -> u32 {
        self.core.header().cancelling()
    }

    /// Stops the task at once, as [`Task::abort`](crate::Task::abort) does: its future is dropped
    /// at its next scheduling, with no async cleanup.
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::spawn(std::future::pending::<()>()); // no cancellation point
    ///     t.handle().abort();
    ///     assert!(t.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        self.core.header().request_abort();
    }

    /// A snapshot of the task: id, name, state, parent, spawn site, age.
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::task().name("w").spawn(async {});
    ///     assert_eq!(t.handle().info().name, "w");
    /// });
    /// ```
    pub fn info(&self) -> TaskInfo {
        TaskInfo::of(self.core.header())
    }
}

impl fmt::Debug for TaskHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("state", &self.state())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}

    #[test]
    fn a_handle_is_send_sync_and_clone() {
        assert_send_sync_clone::<super::TaskHandle>();
    }
}
