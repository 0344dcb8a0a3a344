//! [`Task<T>`], the handle of a running task: asyncio's `Task` object.
//!
//! | asyncio | taskio |
//! |---|---|
//! | `await task` | `task.await` → [`Result<T>`](crate::Result) |
//! | `task.result()` / `task.exception()` | [`Task::try_result`] |
//! | `task.done()`, `task.cancelled()` | [`Task::is_done`], [`Task::is_cancelled`] |
//! | `task.cancel(msg)` | [`Task::cancel`], [`Task::cancel_with`] |
//! | `task.cancelling()` | [`Task::cancelling`] |
//! | `task.get_name()` | [`Task::name`] |
//! | (none: asyncio cannot stop a task at once) | [`Task::abort`] |
//!
//! Dropping a `Task` detaches it: the task keeps running (the runtime owns it, so asyncio's "keep
//! a reference or it may be garbage-collected" pitfall does not exist here). If a detached task
//! ends in an error or a panic, taskio reports it through `tracing`. The one exception is code
//! that was waiting for the task when a cancel came and lets it go while it handles that cancel
//! (it returns with `?` from a `select!` or a loop over `FuturesUnordered`): it was cancelled
//! while it awaited the task, so the task is cancelled too, as the handle goes. A handle that
//! the code only keeps (a `select!` another branch won, earlier) is detached as usual.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use crate::cell::Cell;
use crate::error::Result;
use crate::introspect::TaskInfo;

pub use crate::id::{TaskId, TaskState};

/// The handle of a spawned task. Awaiting it gives the task's [`Result<T>`](crate::Result).
///
/// The task starts at once, whether or not the handle is awaited. Awaiting a task is a
/// cancellation point that forwards: if the awaiting task is cancelled, the awaited task is
/// cancelled too (as in asyncio), and the await goes on until it finishes. Use
/// [`shield`](crate::shield()) to await without forwarding.
///
/// That holds for every handle the code waits for at once, in a `tokio::select!` or a
/// `FuturesUnordered`, although one point takes the request (delivery is edge-triggered): a
/// handle that was being awaited when the cancel came (a `FuturesUnordered` holds it, or the
/// task's poll just before polled it) passes it on at its next poll, or as it is dropped if it
/// is not polled again. Tasks the cleanup awaits anew are not cancelled by it.
///
/// ```
/// use std::time::Duration;
///
/// let results = taskio::run(async {
///     let t1 = taskio::task().name("Fast Task").spawn(async {
///         taskio::sleep(Duration::from_millis(10)).await?;
///         taskio::Ok(10)
///     });
///     let t2 = taskio::task().name("Slow Task").spawn(async {
///         taskio::sleep(Duration::from_millis(20)).await?;
///         taskio::Ok(20)
///     });
///     assert_eq!(t1.name(), "Fast Task");
///     taskio::Ok((t1.await?, t2.await?))
/// });
/// assert_eq!(results.unwrap(), (10, 20));
/// ```
pub struct Task<T> {
    pub(crate) cell: Arc<Cell<T>>,
    /// tokio's handle of the running future, never polled, on the multi-thread runtime: held
    /// so that tokio frees its allocation when this handle goes (on the thread that awaited the
    /// task), not on the worker that completed it. glibc's malloc locks the allocating thread's arena for a free
    /// from another thread: on the multi-thread runtime that lock, contended with the spawning
    /// thread's mallocs, was the largest single cost per task (bench/FINDINGS.md §7).
    pub(crate) _tokio: Option<tokio::task::JoinHandle<()>>,
}

impl<T: Send + 'static> Task<T> {
    /// The task's id.
    ///
    /// ```
    /// taskio::run(async { println!("spawned task {}", taskio::spawn(async {}).id()) });
    /// ```
    pub fn id(&self) -> crate::TaskId {
        self.cell.header.id
    }

    /// The task's name: the one given to [`Builder::name`](crate::Builder::name), else
    /// `Task-<id>`.
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::task().name("fetch-1").spawn(async {});
    ///     assert_eq!(t.name(), "fetch-1");
    /// });
    /// ```
    pub fn name(&self) -> Cow<'_, str> {
        self.cell.header.name()
    }

    /// Where the task is in its life.
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::spawn(async {});
    ///     assert_eq!(t.state(), taskio::TaskState::Pending);
    /// });
    /// ```
    pub fn state(&self) -> TaskState {
        self.cell.header.task_state()
    }

    /// Whether the task is done (finished, cancelled or panicked): asyncio's `done()`.
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::spawn(async {});
    ///     assert!(!t.is_done());
    ///     taskio::checkpoint().await?;
    ///     assert!(t.is_done());
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn is_done(&self) -> bool {
        self.cell.header.is_complete()
    }

    /// Whether the task ended cancelled: asyncio's `cancelled()`.
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::spawn(async {});
    ///     t.cancel(); // before its first poll: the body never runs
    ///     taskio::checkpoint().await?;
    ///     assert!(t.is_cancelled());
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.state() == TaskState::Cancelled
    }

    /// Asks the task to stop: its next cancellation point returns
    /// [`Err(Cancelled)`](crate::Cancelled). Returns `false` if the task is already done.
    ///
    /// Cancellation is cooperative: the task may catch the request, await its cleanup, and
    /// either propagate it (ending cancelled) or carry on. Each request is delivered once.
    ///
    /// ```
    /// use std::time::Duration;
    /// taskio::run(async {
    ///     let t = taskio::spawn(async {
    ///         taskio::sleep(Duration::from_secs(3600)).await?;
    ///         taskio::Ok(())
    ///     });
    ///     taskio::checkpoint().await?;
    ///     assert!(t.cancel());
    ///     assert!(t.await.unwrap_err().is_cancelled());
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn cancel(&self) -> bool {
        self.cell.header.request_cancel(None)
    }

    /// [`cancel`](Task::cancel) with a message that the task sees in
    /// [`Cancelled::message`](crate::Cancelled::message).
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::spawn(async {
    ///         let c = taskio::sleep(std::time::Duration::from_secs(9)).await.unwrap_err();
    ///         assert_eq!(c.message(), Some("no longer needed"));
    ///         taskio::Result::<()>::Err(c.into())
    ///     });
    ///     taskio::checkpoint().await?;
    ///     t.cancel_with("no longer needed");
    ///     let err = t.await.unwrap_err();
    ///     assert_eq!(err.as_cancelled().unwrap().message(), Some("no longer needed"));
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn cancel_with(&self, message: impl Into<Arc<str>>) -> bool {
        self.cell.header.request_cancel(Some(message.into()))
    }

    /// How many cancel requests the task has outstanding: asyncio's `cancelling()`.
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::spawn(async { taskio::sleep(std::time::Duration::from_secs(1)).await });
    ///     t.cancel();
    ///     t.cancel();
    ///     assert_eq!(t.cancelling(), 2);
    /// });
    /// ```
    pub fn cancelling(&self) -> u32 {
        self.cell.header.cancelling()
    }

    /// Stops the task at once: its future is dropped at its next scheduling, with no async
    /// cleanup (only `Drop` runs). The task ends cancelled. This is the hard stop that asyncio
    /// lacks; prefer [`cancel`](Task::cancel).
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::spawn(async {
    ///         // no cancellation point: cancel() would not stop it
    ///         while taskio::current().is_some() {
    ///             tokio::task::yield_now().await;
    ///         }
    ///     });
    ///     t.abort();
    ///     assert!(t.await.unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort(&self) {
        self.cell.header.request_abort();
    }

    /// The outcome, if the task is done; it is taken, so a second call gives `None`.
    /// asyncio's `result()` and `exception()` in one.
    ///
    /// ```
    /// taskio::run(async {
    ///     let mut t = taskio::spawn(async { taskio::Ok(5) });
    ///     assert!(t.try_result().is_none()); // not done yet
    ///     taskio::checkpoint().await?;
    ///     assert_eq!(t.try_result().unwrap()?, 5);
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn try_result(&mut self) -> Option<Result<T>> {
        self.cell.take_output()
    }

    /// A cloneable, `Send + Sync` [`TaskHandle`](crate::TaskHandle) that can cancel or abort this
    /// task and read its state, for whoever else needs to stop it while this `Task` (the outcome)
    /// is moved elsewhere: into [`gather`](crate::gather()), a [`JoinSet`](crate::JoinSet), an
    /// `.await`.
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::spawn(taskio::sleep(std::time::Duration::from_secs(60)));
    ///     let h = t.handle();
    ///     let awaiter = taskio::spawn(async move { t.await }); // the Task moved away
    ///     taskio::checkpoint().await?;
    ///     h.cancel();
    ///     assert!(awaiter.await.unwrap_err().is_cancelled());
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn handle(&self) -> crate::TaskHandle {
        crate::TaskHandle::new(self.cell.clone())
    }

    /// A snapshot of the task: id, name, state, parent, spawn site, age.
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::spawn(async {});
    ///     let info = t.info();
    ///     assert_eq!(info.id, t.id());
    ///     assert!(info.spawned_at.file().ends_with(".rs"));
    /// });
    /// ```
    pub fn info(&self) -> TaskInfo {
        TaskInfo::of(&self.cell.header)
    }

    /// Polls for the outcome without forwarding the awaiter's cancellation (for `shield`).
    pub(crate) fn poll_unforwarded(&mut self, cx: &mut Context<'_>) -> Poll<Result<T>> {
        self.cell.poll_output(cx)
    }
}

impl<T: Send + 'static> Future for Task<T> {
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let this = self.get_mut();
        // A cancellation of the awaiting task is passed on to the awaited one, and the await
        // goes on: its outcome (cancelled, or a value if it suppressed the request) is ours.
        let cell = &this.cell;
        let mut register = |owner: crate::point::RegisterWith<'_>, waker: &std::task::Waker| {
            cell.register_awaiter(owner, waker)
        };
        // Delivery is edge-triggered: beside other points (a `select!`, `FuturesUnordered` of
        // handles) another one may have taken the request. The awaiting code is then handling
        // it, and every task it was waiting for is cancelled too, once.
        let (took, awaiter) = crate::context::take_cancel_registering(cx.waker(), &mut register);
        let forwarded = took.is_some();
        if let Some(cancel) = took {
            crate::debug_mode::forwarded(crate::context::current_id());
            this.cell.header.request_cancel(cancel.into_message());
        }
        let (polled, forward) = this.cell.poll_awaited(cx, awaiter);
        if forward && !forwarded {
            crate::debug_mode::forwarded(crate::context::current_id());
            this.cell.header.request_cancel(None);
        }
        if polled.is_pending() && crate::context::current_id() == Some(this.cell.header.id) {
            // It would wait for itself forever (asyncio raises at once too).
            return Poll::Ready(Err(crate::Error::msg(format!(
                "taskio: task '{}' awaited its own handle, which can never finish first",
                this.cell.header.name()
            ))));
        }
        polled
    }
}

impl<T> Drop for Task<T> {
    fn drop(&mut self) {
        // Code that waited for the task and is handling a cancel now (it took it elsewhere and
        // returns, `r?` in a `select!`) passes the cancel on before it lets the task go.
        if !self.cell.header.is_complete()
            && let awaiter = crate::context::awaiter()
            && awaiter.handling
            && self.cell.take_forward(awaiter)
        {
            crate::debug_mode::forwarded(crate::context::current_id());
            // The request wakes foreign wakers. A drop may run during an unwind, where a second
            // panic aborts: a waker's panic is reported, and the handle still detaches.
            let header = &self.cell.header;
            if let Some(message) = crate::payload::catch_message(|| {
                header.request_cancel(None);
            }) {
                let _ = crate::payload::catch_message(|| {
                    crate::report::forward_waker_panicked(header, &message)
                });
            }
        }
        self.cell.detach();
    }
}

impl<T: Send + 'static> fmt::Debug for Task<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task")
            .field("id", &self.id())
            .field("name", &self.name())
            .field("state", &self.state())
            .finish()
    }
}
