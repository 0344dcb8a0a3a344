//! Sleeping: [`sleep`] and [`sleep_until`], asyncio's `asyncio.sleep`, as cancellation points.
//!
//! They run on tokio's timer, so tests on tokio's paused clock (`start_paused = true`) are exact.
//! `sleep(Duration::ZERO)` yields once, like `asyncio.sleep(0)`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::Instant;

use crate::cancel::{Checkpoint, checkpoint};
use crate::context::take_cancel_at;
use crate::error::Cancelled;
use crate::point::Registration;

/// Waits for `duration`; a cancellation point.
///
/// ```
/// use std::time::Duration;
///
/// taskio::run(async {
///     let start = tokio::time::Instant::now();
///     taskio::sleep(Duration::from_millis(20)).await?;
///     assert!(start.elapsed() >= Duration::from_millis(20));
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
///
/// # Panics
///
/// Outside a tokio runtime, with a message that says how to fix it (as [`spawn`](crate::spawn())
/// does).
#[track_caller]
pub fn sleep(duration: Duration) -> Sleep {
    if duration.is_zero() {
        Sleep {
            point: Registration::default(),
            inner: Inner::Yield {
                checkpoint: checkpoint(),
            },
        }
    } else {
        require_runtime("sleep");
        Sleep {
            point: Registration::default(),
            inner: Inner::Timer {
                timer: tokio::time::sleep(duration),
            },
        }
    }
}

/// Waits until `deadline`; a cancellation point.
///
/// ```
/// use std::time::Duration;
/// use tokio::time::Instant;
///
/// taskio::run(async {
///     let deadline = Instant::now() + Duration::from_millis(5);
///     taskio::sleep_until(deadline).await?;
///     assert!(Instant::now() >= deadline);
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
///
/// # Panics
///
/// Outside a tokio runtime, with a message that says how to fix it.
#[track_caller]
pub fn sleep_until(deadline: Instant) -> Sleep {
    require_runtime("sleep_until");
    Sleep {
        point: Registration::default(),
        inner: Inner::Timer {
            timer: tokio::time::sleep_until(deadline),
        },
    }
}

/// Panics, naming the fix, when no tokio runtime is running on this thread: tokio's own timer
/// would panic with "there is no reactor running", which says nothing of taskio. Code that runs
/// in a taskio task is on a runtime already, and pays no more than a thread-local read.
#[track_caller]
pub(crate) fn require_runtime(what: &str) {
    if crate::context::with_current(|_| ()).is_some()
        || tokio::runtime::Handle::try_current().is_ok()
    {
        return;
    }
    panic!(
        "taskio: `{what}` was called at {} with no tokio runtime running on this thread. \
         Call it from inside `taskio::run(async {{ ... }})`, a `#[tokio::main]` or \
         `#[tokio::test]` function, or a runtime's `block_on`",
        std::panic::Location::caller()
    );
}

pin_project! {
    #[project = InnerProj]
    #[derive(Debug)]
    enum Inner {
        Timer { #[pin] timer: tokio::time::Sleep },
        Yield { checkpoint: Checkpoint },
    }
}

pin_project! {
    /// The future of [`sleep`] and [`sleep_until`]: `Ok(())` when the time is up,
    /// `Err(Cancelled)` if the task is cancelled first.
    ///
    /// ```
    /// taskio::run(async {
    ///     let s: taskio::Sleep = taskio::sleep(std::time::Duration::from_millis(1));
    ///     s.await
    /// })
    /// .unwrap();
    /// ```
    #[derive(Debug)]
    #[must_use = "futures do nothing unless awaited"]
    pub struct Sleep {
        #[pin]
        inner: Inner,
        point: Registration,
    }
}

impl Future for Sleep {
    type Output = Result<(), Cancelled>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        match this.inner.project() {
            InnerProj::Timer { timer } => {
                if let Some(c) = take_cancel_at(this.point, cx.waker()) {
                    return Poll::Ready(Err(c));
                }
                timer.poll(cx).map(Ok)
            }
            InnerProj::Yield { checkpoint } => Pin::new(checkpoint).poll(cx),
        }
    }
}
