//! loom models of "a cancel always arrives" (`header.rs`: `DELIVERED`, the foreign wakers and
//! the `WAKING` count; `point.rs`; the drop delivery in `spawn.rs`'s `TaskFuture::poll_task`).
//!
//! Run: `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=3 \
//!       cargo test -p taskio --release --test loom_arrives`
//!
//! Only the main model thread polls tasks (the thread-local "current task" is per OS thread,
//! and loom runs its threads on one), the others cancel; so bodies may read loom atomics.
#![cfg(loom)]

mod loom_support;
use loom_support::{Flag, flag_waker, yield_once};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool as StdBool, Ordering as StdOrdering};
use std::task::{Context, Poll, Waker};

use loom::sync::atomic::Ordering;
use loom::thread;
use taskio::{__loom, CancellableExt, TaskState};

/// What `FuturesUnordered` does to its child: polls it with a waker of its own, and again only
/// once that waker fired (or on the first poll).
struct ForeignPoll<F> {
    inner: Pin<Box<F>>,
    flag: Arc<Flag>,
    waker: Waker,
    first: bool,
    /// Poll the child on every poll (still with the foreign waker), as `select_all` does.
    always: bool,
}

fn foreign<F: Future>(inner: F) -> ForeignPoll<F> {
    let (flag, waker) = flag_waker();
    ForeignPoll {
        inner: Box::pin(inner),
        flag,
        waker,
        first: true,
        always: false,
    }
}

fn foreign_always<F: Future>(inner: F) -> ForeignPoll<F> {
    ForeignPoll {
        always: true,
        ..foreign(inner)
    }
}

impl<F: Future> Future for ForeignPoll<F> {
    type Output = F::Output;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<F::Output> {
        let woken = self.flag.0.swap(false, Ordering::AcqRel);
        if !(std::mem::take(&mut self.first) || woken || self.always) {
            return Poll::Pending;
        }
        let waker = self.waker.clone();
        self.inner.as_mut().poll(&mut Context::from_waker(&waker))
    }
}

/// Polls the task until it is done, at most `polls` times (each poll with a waker that goes
/// nowhere: the model re-polls itself, as a scheduler woken by anything would).
fn drive<F>(running: &mut __loom::Running<F>, polls: usize) -> bool
where
    F: Future,
    F::Output: taskio::TaskOutput,
{
    for _ in 0..polls {
        if running.poll(Waker::noop()).is_ready() {
            return true;
        }
        thread::yield_now();
    }
    false
}

/// The "taken" state vs a second cancel from another thread and the task's own polls: once a
/// cancellation point took the first request, the awaited cleanup after it (a wait in a future
/// that is not a cancellation point) is never dropped for the second request; it runs to its
/// end and the task ends cancelled.
#[test]
fn a_second_cancel_never_drops_a_cleanup_in_progress() {
    loom_support::check(|| {
        let started = Arc::new(StdBool::new(false));
        let finished = Arc::new(StdBool::new(false));
        let (s, f) = (started.clone(), finished.clone());
        let (task, mut running) = __loom::spawn(async move {
            match yield_once(()).cancellable().await {
                Ok(()) => taskio::Ok(1u32),
                Err(cancelled) => {
                    s.store(true, StdOrdering::SeqCst);
                    yield_once(()).await; // cleanup: not a cancellation point
                    yield_once(()).await;
                    f.store(true, StdOrdering::SeqCst);
                    Err(cancelled.into())
                }
            }
        });
        assert!(running.poll(Waker::noop()).is_pending());
        let task = Arc::new(task);
        assert!(task.cancel());
        let second = {
            let task = task.clone();
            thread::spawn(move || task.cancel())
        };
        assert!(drive(&mut running, 8), "the task ends");
        second.join().unwrap();
        assert_eq!(task.state(), TaskState::Cancelled);
        assert!(
            started.load(StdOrdering::SeqCst),
            "the point took the first"
        );
        assert!(
            finished.load(StdOrdering::SeqCst),
            "the cleanup was cut short by the second request"
        );
    });
}

/// A cancel vs the task's own poll of a body that waits in no cancellation point: the request
/// is delivered by dropping the body at the first poll that starts after it, or refused when
/// the body finished first; never lost, never both.
#[test]
fn cancel_vs_a_poll_of_a_body_in_a_foreign_wait_drops_it_or_is_refused() {
    loom_support::check(|| {
        let (task, mut running) = __loom::spawn(async {
            yield_once(()).await; // not cancellation points
            yield_once(()).await;
            taskio::Ok(5u32)
        });
        assert!(running.poll(Waker::noop()).is_pending());
        let task = Arc::new(task);
        let canceller = {
            let task = task.clone();
            thread::spawn(move || task.cancel())
        };
        let done = drive(&mut running, 2);
        let accepted = canceller.join().unwrap();
        if !done {
            // Both polls began before the request: the next one delivers it by dropping.
            assert!(accepted);
            assert!(running.poll(Waker::noop()).is_ready(), "dropped at once");
        }
        let state = task.state();
        if accepted {
            assert_eq!(state, TaskState::Cancelled);
        } else {
            assert_eq!(state, TaskState::Finished);
        }
        assert_eq!(task.cancelling(), accepted as u32);
    });
}

/// The point's registration vs the task completing (the point dropped, its waker removed)
/// while a cancel wakes the registered wakers: no deadlock, no use of a removed entry, one
/// outcome.
#[test]
fn a_foreign_registration_removed_at_completion_vs_a_cancel() {
    loom_support::check(|| {
        let (task, mut running) = __loom::spawn(async {
            foreign_always(yield_once(()).cancellable()).await?;
            taskio::Ok(3u32)
        });
        assert!(running.poll(Waker::noop()).is_pending());
        let task = Arc::new(task);
        let canceller = {
            let task = task.clone();
            thread::spawn(move || task.cancel())
        };
        let done = drive(&mut running, 4);
        let accepted = canceller.join().unwrap();
        if !done {
            assert!(drive(&mut running, 4));
        }
        let state = task.state();
        assert!(state.is_done());
        assert_eq!(state == TaskState::Cancelled, accepted);
    });
}
