//! Cancellation points: where a cancel request is delivered as `Err(Cancelled)`.
//!
//! | asyncio | taskio |
//! |---|---|
//! | `await asyncio.sleep(0)` (yield, and see a pending cancel) | [`checkpoint`] |
//! | any awaitable raising `CancelledError` when the task is cancelled | [`CancellableExt::cancellable`] |
//! | `asyncio.current_task().uncancel()` | [`CurrentTask::uncancel`](crate::CurrentTask::uncancel) |
//!
//! Cancellation is cooperative. [`Task::cancel`](crate::Task::cancel) marks the request and wakes
//! the task; the next cancellation point the task polls returns `Err(Cancelled)`, once (the
//! request is edge-triggered, as in asyncio). Code with no cancellation point, such as a CPU loop,
//! is not interrupted: call [`checkpoint`] in it. Futures from other libraries become
//! cancellation points with [`.cancellable()`](CancellableExt::cancellable).
//!
//! A wait that is not a cancellation point (tokio I/O, a tokio timer or channel, any library's
//! future) is not left waiting: the innermost taskio frame around it drops it, as tokio's
//! `abort` does, and the code around that frame gets `Err(Cancelled)`, with no async cleanup at
//! the dropped wait. So, in short:
//!
//! - **code with no cancellation point that never suspends is not interrupted** (put a
//!   [`checkpoint`] in the loop);
//! - **a wait that is not a point is dropped** (wrap it with
//!   [`.cancellable()`](CancellableExt::cancellable) to get `Err(Cancelled)` there instead, and
//!   run the cleanup).
//!
//! The full rule, with an example for each kind of wait and what it means for `tokio::select!`,
//! `#[tokio::main]` and axum handlers, is on the crate's front page:
//! [Where a cancel arrives](crate#where-a-cancel-arrives).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::context::{take_cancel, take_cancel_at};
use crate::error::Cancelled;
use crate::point::Registration;

/// Yields to the scheduler once, and delivers a pending cancel request: asyncio's
/// `await asyncio.sleep(0)`. Put it in long CPU loops so they can be cancelled.
///
/// ```
/// taskio::run(async {
///     let worker = taskio::spawn(async {
///         let mut n = 0u64;
///         loop {
///             n += 1; // CPU work...
///             if n % 1000 == 0 {
///                 taskio::checkpoint().await?; // ...with a place to stop
///             }
///         }
///         #[allow(unreachable_code)]
///         taskio::Ok(n)
///     });
///     taskio::checkpoint().await?;
///     worker.cancel();
///     assert!(worker.await.unwrap_err().is_cancelled());
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
pub fn checkpoint() -> Checkpoint {
    Checkpoint { yielded: false }
}

/// The future of [`checkpoint`].
///
/// ```
/// taskio::run(async {
///     let c: taskio::Checkpoint = taskio::checkpoint();
///     c.await?; // no cancel was requested: it yields once and gives Ok(())
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Checkpoint {
    yielded: bool,
}

impl Future for Checkpoint {
    type Output = Result<(), Cancelled>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        if let Some(c) = take_cancel() {
            return Poll::Ready(Err(c));
        }
        if self.yielded {
            return Poll::Ready(Ok(()));
        }
        self.yielded = true;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

pin_project! {
    /// A future that is also a cancellation point: see [`CancellableExt::cancellable`].
    ///
    /// ```
    /// use taskio::CancellableExt;
    /// taskio::run(async {
    ///     let f: taskio::Cancellable<_> = std::future::ready(1).cancellable();
    ///     assert_eq!(f.await?, 1);
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Cancellable<F> {
        #[pin]
        inner: F,
        point: Registration,
    }
}

impl<F: Future> Future for Cancellable<F> {
    type Output = Result<F::Output, Cancelled>;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Some(c) = take_cancel_at(this.point, cx.waker()) {
            return Poll::Ready(Err(c));
        }
        this.inner.poll(cx).map(Ok)
    }
}

/// Makes any future a cancellation point: bring it into scope and call `.cancellable()`.
///
/// ```
/// use std::time::Duration;
/// use taskio::CancellableExt;
///
/// taskio::run(async {
///     // a tokio future, not a taskio one: by itself it would not see a cancel request
///     let t = taskio::spawn(tokio::time::sleep(Duration::from_secs(3600)).cancellable());
///     taskio::checkpoint().await?;
///     t.cancel();
///     assert!(t.await.unwrap_err().is_cancelled());
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
pub trait CancellableExt: Future + Sized {
    /// Wraps the future so that a cancel request for the current task ends it with
    /// `Err(Cancelled)` (the inner future is dropped when the wrapper is); otherwise it gives
    /// `Ok(output)`. This is how futures from tokio and other libraries join taskio's cooperative
    /// cancellation.
    ///
    /// ```
    /// use taskio::CancellableExt;
    ///
    /// taskio::run(async {
    ///     let (_tx, rx) = tokio::sync::oneshot::channel::<u32>();
    ///     let waiter = taskio::spawn(async move {
    ///         let value = rx.cancellable().await??; // Cancelled, then RecvError
    ///         taskio::Ok(value)
    ///     });
    ///     taskio::checkpoint().await?;
    ///     waiter.cancel();
    ///     assert!(waiter.await.unwrap_err().is_cancelled());
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    fn cancellable(self) -> Cancellable<Self> {
        Cancellable {
            inner: self,
            point: Registration::default(),
        }
    }
}

impl<F: Future> CancellableExt for F {}
