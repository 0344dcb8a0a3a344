//! Awaiting a task without passing one's own cancellation on to it: asyncio's `shield(aw)`.
//!
//! Awaiting a [`Task`] forwards: if the awaiting task is cancelled, so is the awaited
//! one. [`shield`] does not: the awaiter gets `Err(Cancelled)` at once, and the task runs on.
//! Shield a `&mut Task` to keep the handle and await the task again in the cleanup.

use std::borrow::BorrowMut;
use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::context::take_cancel_at;
use crate::error::Result;
use crate::point::Registration;
use crate::task::Task;

/// Awaits `task` (a [`Task<T>`](crate::Task) or a `&mut Task<T>`) without forwarding the
/// awaiter's cancellation: asyncio's `shield(task)`. Awaits to `taskio::Result<T>`.
///
/// If the awaiting task is cancelled, the shield gives `Err(Cancelled)` at once and the task
/// keeps running. Given by value, the task is then detached (its failure, if any, is reported
/// through `tracing`); given as `&mut`, the caller still holds it and may await it in its cleanup.
///
/// ```
/// use std::time::Duration;
///
/// taskio::run(async {
///     let mut save = taskio::task().name("save").spawn(async {
///         taskio::sleep(Duration::from_millis(50)).await?;
///         taskio::Ok("saved")
///     });
///     let waiter = taskio::spawn(async move {
///         match taskio::shield(&mut save).await {
///             Ok(v) => Ok(v),
///             Err(e) => {
///                 assert!(e.is_cancelled());
///                 assert!(!save.is_done()); // the save goes on...
///                 let v = save.await?; // ...and the cleanup may wait for it
///                 assert_eq!(v, "saved");
///                 Err(e)
///             }
///         }
///     });
///     taskio::sleep(Duration::from_millis(10)).await?;
///     waiter.cancel();
///     assert!(waiter.await.unwrap_err().is_cancelled());
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
pub fn shield<T, H>(task: H) -> Shield<T, H>
where
    T: Send + 'static,
    H: BorrowMut<Task<T>>,
{
    Shield {
        task,
        done: false,
        point: Registration::default(),
        _value: PhantomData,
    }
}

/// The future of [`shield`].
///
/// ```
/// taskio::run(async {
///     let s: taskio::Shield<u8, _> = taskio::shield(taskio::spawn(async { taskio::Ok(1u8) }));
///     assert_eq!(s.await?, 1);
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Shield<T, H> {
    task: H,
    done: bool,
    point: Registration,
    _value: PhantomData<fn() -> T>,
}

impl<T, H: Unpin> Unpin for Shield<T, H> {}

impl<T, H> Future for Shield<T, H>
where
    T: Send + 'static,
    H: BorrowMut<Task<T>> + Unpin,
{
    type Output = Result<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let this = self.get_mut();
        assert!(!this.done, "taskio: a shield was polled after it completed");
        if let Some(cancelled) = take_cancel_at(&mut this.point, cx.waker()) {
            this.done = true;
            return Poll::Ready(Err(cancelled.into()));
        }
        let polled = this.task.borrow_mut().poll_unforwarded(cx);
        this.done = polled.is_ready();
        polled
    }
}

impl<T: Send + 'static, H: BorrowMut<Task<T>>> fmt::Debug for Shield<T, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shield")
            .field("task", self.task.borrow())
            .finish()
    }
}
