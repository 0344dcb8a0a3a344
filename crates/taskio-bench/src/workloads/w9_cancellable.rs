//! W9: the cost of `.cancellable()` per poll, inside a taskio task (where it has a current task
//! to look at).
//!
//! - `W9-yield`: N iterations of `tokio::task::yield_now().await`, plain vs `.cancellable()`
//!   (each iteration polls the future twice and goes through the scheduler).
//! - `W9-poll`: one future polled N times by hand with a no-op waker inside one poll of the
//!   task, plain vs `.cancellable()`: the scheduler is out of the picture, so the difference
//!   is the wrapper's own cost per poll.

use std::future::Future;
use std::hint::black_box;
use std::pin::{Pin, pin};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use taskio::CancellableExt;

use super::{CaseFuture, Sample};

/// The yield loop, in a taskio task.
pub fn run_yield(imp: &str, n: usize) -> Option<CaseFuture> {
    let cancellable = match imp {
        "plain" => false,
        "cancellable" => true,
        _ => return None,
    };
    Some(Box::pin(in_taskio_task(async move {
        let start = Instant::now();
        if cancellable {
            for _ in 0..n {
                tokio::task::yield_now()
                    .cancellable()
                    .await
                    .expect("never cancelled");
            }
        } else {
            for _ in 0..n {
                tokio::task::yield_now().await;
            }
        }
        Sample::timed(start.elapsed(), n)
    })))
}

/// The hand-polled loop, in a taskio task.
/// One future hand-polled `n` times in a taskio task. `plain` and `cancellable` poll with the
/// task's own waker (the common case, which a cancellation point must pay nothing new for);
/// the `-foreign` pair polls with a waker of its own, as `FuturesUnordered` does (the point then
/// keeps a registration with its task, checked on every poll).
pub fn run_poll(imp: &str, n: usize) -> Option<CaseFuture> {
    let (cancellable, foreign) = match imp {
        "plain" => (false, false),
        "cancellable" => (true, false),
        "plain-foreign" => (false, true),
        "cancellable-foreign" => (true, true),
        _ => return None,
    };
    Some(Box::pin(in_taskio_task(async move {
        let own = std::future::poll_fn(|cx| Poll::Ready(cx.waker().clone())).await;
        let waker = if foreign { Waker::noop().clone() } else { own };
        let mut cx = Context::from_waker(&waker);
        let start = Instant::now();
        if cancellable {
            let mut fut = pin!(Countdown { left: n }.cancellable());
            while fut.as_mut().poll(&mut cx).is_pending() {}
        } else {
            let mut fut = pin!(Countdown { left: n });
            while fut.as_mut().poll(&mut cx).is_pending() {}
        }
        Sample::timed(start.elapsed(), n)
    })))
}

async fn in_taskio_task<F>(fut: F) -> Sample
where
    F: Future<Output = Sample> + Send + 'static,
{
    taskio::spawn(async move { taskio::Ok(fut.await) })
        .await
        .expect("the W9 task")
}

/// Pending `left` times (waking itself each time, as a well-behaved future does), then ready.
struct Countdown {
    left: usize,
}

impl Future for Countdown {
    type Output = ();

    #[inline(never)]
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let left = black_box(self.left);
        if left <= 1 {
            return Poll::Ready(());
        }
        self.left = left - 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
