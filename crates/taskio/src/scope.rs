//! Cancel scopes: cancelling one piece of the code that runs inside a task, not the whole task.
//!
//! asyncio cancels whole tasks, and its `timeout()` and `TaskGroup` cancel the task that runs
//! them and then `uncancel()` it. taskio runs inline futures (gather's inputs, a timeout's inner
//! work, a group's body) in the awaiting task without spawning them, so it needs a finer request:
//! a [`Scope`] belongs to one inline future; [`Scope::cancel`] marks it, and the next cancellation
//! point polled inside [`Scope::enter`] returns `Err(Cancelled)`, once, exactly as a task's own
//! request is delivered. A cancellation point sees the task's request first, then the innermost
//! scope's, so a cancel from outside is never mistaken for a scope's own.
//!
//! The combinator that owns a scope must poll the inner future again after cancelling it: nothing
//! else wakes code that is suspended elsewhere.

use std::sync::Arc;
use std::task::Poll;

use crate::context::{Frame, FrameScope, frame_begin, frame_end, with_frame};
use crate::error::Cancelled;
use crate::point::WakerId;

/// A cancel request for one inline future (crate-private: the combinators' building block).
#[derive(Debug, Default)]
pub(crate) struct Scope {
    pending: bool,
    delivered: bool,
    /// The scope's code took a cancel (its own, or one from outside) and goes on: it is
    /// handling it, and is never dropped for a later request.
    handling: bool,
    /// Code inside took a request owned outside this scope (see [`Scope::outer_taken`]).
    outer_taken: bool,
    /// The last poll gave `Err(Cancelled)` to deliver a request by dropping the code (see
    /// [`Scope::drop_code`]).
    by_drop: bool,
    message: Option<Arc<str>>,
    /// Outside any task, when this scope is the outermost: the points inside that wait with
    /// wakers of their own (see [`crate::point::Points`]).
    root: Option<Arc<crate::point::Points>>,
}

impl Scope {
    /// Asks the code of this scope to stop at its next cancellation point (polled in [`poll`]).
    /// The owner then calls [`wake_foreign_points`](crate::context::wake_foreign_points) once
    /// and polls the code again: nothing else wakes code that is suspended elsewhere.
    ///
    /// [`poll`]: Scope::poll
    pub(crate) fn cancel(&mut self, message: Option<Arc<str>>) {
        self.pending = true;
        self.message = message;
        if let Some(root) = &self.root {
            root.wake_all();
        }
    }

    /// Whether a request waits to be delivered.
    #[cfg(test)]
    pub(crate) fn is_pending(&self) -> bool {
        self.pending
    }

    /// Whether a cancellation point inside the scope (or the scope itself, by dropping the
    /// code) has taken its request.
    pub(crate) fn was_delivered(&self) -> bool {
        self.delivered
    }

    /// Whether code inside the scope took a request owned outside it (the task's, or an
    /// enclosing scope's): it is being cancelled from outside, so a cancel it ends with is not
    /// this scope's, even if this scope's request was taken too.
    pub(crate) fn outer_taken(&self) -> bool {
        self.outer_taken
    }

    /// Withdraws an undelivered request (a deadline moved away before anyone saw it).
    pub(crate) fn withdraw(&mut self) {
        self.pending = false;
    }

    /// Polls the scope's code (`f`) as a frame: with this scope innermost, and, when the code
    /// returns `Pending` with a request that nobody took, gives `Err(Cancelled)`: the caller
    /// must then drop the code, which is how the request is delivered to code that waits in
    /// something that is not a cancellation point.
    /// `waker` is (the identity of) the one `f` polls the code with.
    #[inline]
    pub(crate) fn poll<R>(
        &mut self,
        waker: WakerId,
        f: impl FnOnce() -> Poll<R>,
    ) -> Poll<Result<R, Cancelled>> {
        let mark = frame_begin(waker, &mut self.root);
        let polled = self.enter(mark.level(), f);
        let own = FrameScope {
            outer_taken: &mut self.outer_taken,
            pending: &mut self.pending,
            delivered: &mut self.delivered,
            handling: &mut self.handling,
            message: &mut self.message,
            root: &mut self.root,
        };
        let delivered = frame_end(mark, own, polled.is_pending());
        self.by_drop = delivered.is_some();
        match delivered {
            Some(cancelled) => Poll::Ready(Err(cancelled)),
            None => polled.map(Ok),
        }
    }

    /// Runs `f`, the drop of the scope's code after its poll ended. When that poll delivered
    /// a request by dropping the code, the drop runs as code that handles the cancel: a
    /// [`Task`](crate::Task) handle the code was waiting for passes it on as it goes, as it
    /// would have at its next poll.
    #[inline]
    pub(crate) fn drop_code<R>(&self, f: impl FnOnce() -> R) -> R {
        crate::context::dropping(self.by_drop, f)
    }

    /// Whether the last poll delivered a request by dropping the code (see [`Scope::drop_code`]).
    pub(crate) fn delivered_by_drop(&self) -> bool {
        self.by_drop
    }

    /// Runs `f` (a poll of the scope's future) with this scope innermost.
    #[inline]
    fn enter<R>(&mut self, level: u32, f: impl FnOnce() -> R) -> R {
        if !self.pending && !self.handling {
            // A frame with no request and no cancel being handled changes nothing a
            // cancellation point sees (it looks for the innermost *pending* frame), and the
            // request cannot arrive while `f` runs: this scope is borrowed for it. So skip the
            // push, and its cost (~40 ns per poll).
            return f();
        }
        let frame = Frame {
            pending: self.pending,
            delivered: false,
            handling: self.handling,
            level,
            message: self.message.take(),
        };
        with_frame(frame, f, |frame| {
            self.pending = frame.pending;
            self.delivered |= frame.delivered;
            self.message = frame.message;
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Scope;
    use crate::point::WakerId;
    use std::future::Future;
    use std::pin::pin;
    use std::task::{Context, Poll, Waker};

    fn poll_in<F: Future>(scope: &mut Scope, fut: std::pin::Pin<&mut F>) -> Poll<F::Output> {
        let mut cx = Context::from_waker(Waker::noop());
        match scope.poll(WakerId::NONE, || fut.poll(&mut cx)) {
            Poll::Ready(Ok(out)) => Poll::Ready(out),
            Poll::Ready(Err(c)) => panic!("the scope dropped its code for {c:?}"),
            Poll::Pending => Poll::Pending,
        }
    }

    #[test]
    fn a_scope_request_is_delivered_once_inside_the_scope_only() {
        let mut scope = Scope::default();
        scope.cancel(Some("part".into()));
        // Outside the scope, nothing is delivered.
        let mut outside = pin!(crate::checkpoint());
        let mut cx = Context::from_waker(Waker::noop());
        assert!(outside.as_mut().poll(&mut cx).is_pending());
        // Inside, the first cancellation point takes it, once.
        let mut first = pin!(crate::checkpoint());
        match poll_in(&mut scope, first.as_mut()) {
            Poll::Ready(Err(c)) => assert_eq!(c.message(), Some("part")),
            other => panic!("expected Cancelled, got {other:?}"),
        }
        assert!(scope.was_delivered() && !scope.is_pending());
        let mut second = pin!(crate::checkpoint());
        assert!(poll_in(&mut scope, second.as_mut()).is_pending());
    }

    #[test]
    fn an_outer_scope_request_reaches_code_in_an_inner_scope() {
        let mut outer = Scope::default();
        let mut inner = Scope::default();
        outer.cancel(None);
        let mut cp = pin!(crate::checkpoint());
        let mut cx = Context::from_waker(Waker::noop());
        let polled = outer.poll(WakerId::NONE, || {
            inner.poll(WakerId::NONE, || cp.as_mut().poll(&mut cx))
        });
        assert!(matches!(polled, Poll::Ready(Ok(Ok(Err(_))))));
        assert!(outer.was_delivered() && !inner.was_delivered());
    }

    #[test]
    fn an_eager_task_does_not_see_its_spawners_scopes() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            let mut scope = Scope::default();
            scope.cancel(None);
            let mut task = None;
            let _ = scope.poll(WakerId::NONE, || {
                task = Some(crate::task().eager().spawn(async {
                    crate::checkpoint().await?;
                    crate::Ok(1)
                }));
                Poll::Ready(())
            });
            let task = task.unwrap();
            assert!(
                scope.is_pending(),
                "the eager child took its spawner's request"
            );
            assert_eq!(task.await.unwrap(), 1);
        });
    }
}
