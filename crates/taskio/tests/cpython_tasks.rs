//! Behaviours of CPython's `Lib/test/test_asyncio/test_tasks.py`, ported: what an asyncio user
//! relies on when a task is cancelled, cancels itself, catches, ignores or re-raises, and the
//! hard stop (`abort`) that asyncio lacks. Each test names the CPython test it follows.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use taskio::TaskState;

mod support;
use support::{both, until};

const HOUR: Duration = Duration::from_secs(3600);

both! {
    /// `test_cancel_yield`: cancel before the task ran returns true; once it is done, false.
    async fn cancel_returns_true_while_running_and_false_once_done() {
        let task = taskio::spawn(async { taskio::sleep(HOUR).await });
        assert!(task.cancel());
        until(|| task.is_done()).await;
        assert!(task.is_cancelled());
        assert!(!task.cancel(), "a done task cannot be cancelled");
        assert_eq!(task.cancelling(), 1);
    }
}

both! {
    /// `test_cancel_current_task`: a task that cancels itself sees Cancelled at its next
    /// cancellation point.
    async fn a_task_that_cancels_itself_stops_at_its_next_cancellation_point() {
        let task = taskio::spawn(async {
            let me = taskio::current().expect("inside a task");
            assert!(me.cancel());
            assert_eq!(me.cancelling(), 1);
            taskio::sleep(HOUR).await?;
            taskio::Ok("not reached")
        });
        let err = task.await.unwrap_err();
        assert!(err.is_cancelled(), "{err}");
    }
}

both! {
    /// `test_cancel_at_end`: a task cancelled after its last await, which then returns a value,
    /// ends cancelled.
    async fn a_task_cancelled_after_its_last_await_ends_cancelled() {
        let task = taskio::spawn(async {
            taskio::current().unwrap().cancel();
            taskio::Ok(12)
        });
        assert!(task.await.unwrap_err().is_cancelled());
    }
}

both! {
    /// `test_cancel_task_catching`: catching the cancel and returning a value ends with it.
    async fn a_task_that_catches_the_cancel_ends_with_its_value() {
        let task = taskio::spawn(async {
            match taskio::sleep(HOUR).await {
                Ok(()) => taskio::Ok(0),
                Err(_) => taskio::Ok(42),
            }
        });
        taskio::checkpoint().await.unwrap();
        until(|| task.state() == TaskState::Running).await;
        task.cancel();
        assert_eq!(task.await.unwrap(), 42);
    }
}

both! {
    /// `test_cancel_task_ignoring`: after catching, later awaits are not interrupted (the request
    /// was delivered once), and the task ends with its value.
    async fn a_task_that_ignores_the_cancel_goes_on_awaiting() {
        let task = taskio::spawn(async {
            let first = taskio::sleep(HOUR).await;
            assert!(first.is_err());
            taskio::sleep(Duration::from_millis(5)).await?;
            taskio::checkpoint().await?;
            taskio::Ok(42)
        });
        until(|| task.state() == TaskState::Running).await;
        task.cancel();
        assert_eq!(task.await.unwrap(), 42);
    }
}

/// `test_cancel_with_message_before_starting_task`: the message reaches whoever awaits.
/// Current-thread only: on the multi-thread runtime another worker may start the task before
/// the test's next line runs, so "before the first poll" cannot be arranged there.
#[tokio::test(start_paused = true)]
async fn a_message_given_before_the_first_poll_reaches_the_awaiter() {
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let task = taskio::spawn(async move {
        r.store(true, Ordering::SeqCst);
    });
    task.cancel_with("my message");
    let err = task.await.unwrap_err();
    assert_eq!(err.as_cancelled().unwrap().message(), Some("my message"));
    assert!(!ran.load(Ordering::SeqCst), "the body never runs");
}

/// Two requests before delivery: one `Cancelled`, and `cancelling()` counts both; the latest
/// message wins, as in asyncio. (Current-thread only: there both requests surely come before the
/// task runs again.)
#[tokio::test(start_paused = true)]
async fn two_cancels_are_delivered_once_and_counted_twice() {
    let deliveries = Arc::new(AtomicUsize::new(0));
    let d = deliveries.clone();
    let task = taskio::spawn(async move {
        loop {
            match taskio::sleep(Duration::from_millis(10)).await {
                Ok(()) => {}
                Err(c) => {
                    d.fetch_add(1, Ordering::SeqCst);
                    assert_eq!(c.message(), Some("second"));
                    taskio::sleep(Duration::from_millis(50)).await?;
                    return taskio::Ok(taskio::current().unwrap().cancelling());
                }
            }
        }
    });
    until(|| task.state() == TaskState::Running).await;
    task.cancel_with("first");
    task.cancel_with("second");
    assert_eq!(task.await.unwrap(), 2);
    assert_eq!(deliveries.load(Ordering::SeqCst), 1);
}

both! {
    /// `test_uncancel_basic`: a caught request taken back leaves `cancelling()` at zero, and the
    /// task runs on as if never cancelled.
    async fn uncancel_after_catching_makes_the_task_whole_again() {
        let task = taskio::spawn(async {
            if taskio::sleep(HOUR).await.is_err() {
                assert_eq!(taskio::current().unwrap().uncancel(), 0);
            }
            taskio::sleep(Duration::from_millis(1)).await?;
            taskio::Ok(taskio::current().unwrap().cancelling())
        });
        until(|| task.state() == TaskState::Running).await;
        task.cancel();
        assert_eq!(task.await.unwrap(), 0);
    }
}

both! {
    /// `test_cancel_inner_future`: the awaited task is cancelled on its own; the awaiter sees
    /// `Cancelled` as a value and may decide what it means.
    async fn an_awaited_task_cancelled_on_its_own_gives_the_awaiter_cancelled() {
        let inner = taskio::spawn(async { taskio::sleep(HOUR).await });
        let inner_id = inner.id();
        until(|| inner.state() == TaskState::Running).await;
        inner.cancel();
        let outer = taskio::spawn(async move {
            let err = inner.await.unwrap_err();
            assert!(err.is_cancelled());
            assert_eq!(err.task_id(), Some(inner_id));
            taskio::Ok("outer goes on")
        });
        assert_eq!(outer.await.unwrap(), "outer goes on");
    }
}

/// `abort` on a task whose body never ran: it never runs, and the task ends cancelled.
/// Current-thread only: on the multi-thread runtime another worker may start the task before
/// the test's next line runs, so "before the first poll" cannot be arranged there.
#[tokio::test(start_paused = true)]
async fn abort_before_the_first_poll_never_runs_the_body() {
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let task = taskio::spawn(async move { r.store(true, Ordering::SeqCst) });
    task.abort();
    let err = task.await.unwrap_err();
    assert_eq!(err.as_cancelled().unwrap().message(), Some("aborted"));
    assert!(!ran.load(Ordering::SeqCst));
}

both! {
    /// `abort` on a task parked on a future that never wakes it: the abort wakes it, and the
    /// body's future is dropped (its `Drop` runs) without any async cleanup.
    async fn abort_wakes_a_parked_task_and_drops_its_future() {
        struct Dropped(Arc<AtomicBool>);
        impl Drop for Dropped {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicBool::new(false));
        let guard = Dropped(dropped.clone());
        let task = taskio::spawn(async move {
            let _guard = guard;
            std::future::pending::<()>().await;
        });
        until(|| task.state() == TaskState::Running).await;
        tokio::task::yield_now().await;
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(dropped.load(Ordering::SeqCst));
    }
}

both! {
    /// `abort` of an eager task that suspended: its future is dropped too.
    async fn abort_of_a_suspended_eager_task() {
        let task = taskio::task().eager().spawn(async {
            std::future::pending::<()>().await;
        });
        assert_eq!(task.state(), TaskState::Running);
        task.abort();
        assert!(task.await.unwrap_err().is_cancelled());
    }
}

both! {
    /// `abort` after the task finished changes nothing: its value stays.
    async fn abort_after_completion_keeps_the_value() {
        let task = taskio::spawn(async { taskio::Ok(7) });
        until(|| task.is_done()).await;
        task.abort();
        assert_eq!(task.state(), TaskState::Finished);
        assert_eq!(task.await.unwrap(), 7);
    }
}

/// A cancel request that comes while the body's first poll is running, after its cancellation
/// point looked and before it suspended, finds no stored waker: the task wakes itself when it
/// stores one, and the request is delivered. Without that, the task would sleep forever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_racing_the_first_suspension_is_not_lost() {
    use std::future::Future;
    use std::pin::Pin;
    use std::task::{Context, Poll};
    use taskio::CancellableExt;

    /// Pending forever, without a waker; its first poll waits until the test has cancelled.
    struct Stall {
        polled: Arc<AtomicBool>,
        cancelled: Arc<AtomicBool>,
    }
    impl Future for Stall {
        type Output = ();
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
            if !self.polled.swap(true, Ordering::SeqCst) {
                while !self.cancelled.load(Ordering::SeqCst) {
                    std::hint::spin_loop();
                }
            }
            Poll::Pending
        }
    }

    let polled = Arc::new(AtomicBool::new(false));
    let cancelled = Arc::new(AtomicBool::new(false));
    let stall = Stall {
        polled: polled.clone(),
        cancelled: cancelled.clone(),
    };
    let task = taskio::spawn(async move { stall.cancellable().await });
    until(|| polled.load(Ordering::SeqCst)).await;
    assert!(task.cancel());
    cancelled.store(true, Ordering::SeqCst);
    let outcome = tokio::time::timeout(Duration::from_secs(30), task).await;
    assert!(
        outcome
            .expect("the request was lost")
            .unwrap_err()
            .is_cancelled()
    );
}
