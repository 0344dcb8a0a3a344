//! The fast path of [`gather`](crate::gather()) and [`gather_settled`](crate::gather_settled) for a
//! few inputs (at most 30, known from the iterator's size hint): the inputs sit unboxed in one
//! `futures_util` `JoinAll`, each wrapped with its cancel scope, and are polled together on every
//! wake (for so few, cheaper than per-input wakers). The rules are the gather's: a first failure
//! stops the others, a cancelled awaiter stops all, inputs not yet started then end unpolled, a
//! limit holds back the inputs beyond it, and the gather ends when every input has.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use futures_util::future::{JoinAll, join_all};
use pin_project_lite::pin_project;

use super::poll_in;
use crate::error::{Cancelled, Result};
use crate::output::TaskOutput;
use crate::scope::Scope;
use crate::sync::{Mutex, lock};

/// `futures_util`'s `join_all` keeps up to this many inputs in one slice, polled together.
pub(crate) const MAX: usize = 30;

const NO_FAILURE: usize = usize::MAX;

/// What the inputs share with their gather.
struct Control {
    settled: bool,
    /// Every input must stop: cancel your scope.
    stop: AtomicBool,
    message: Mutex<Option<Arc<str>>>,
    /// At most this many inputs in flight (`usize::MAX`: no limit, and no counting).
    limit: AtomicUsize,
    in_flight: AtomicUsize,
    /// Index of the input whose failure stopped the gather.
    first_failure: AtomicUsize,
}

pin_project! {
    struct Scoped<F> {
        #[pin]
        fut: F,
        scope: Scope,
        started: bool,
        stopped: bool,
        index: usize,
        control: Arc<Control>,
    }
}

impl<F> Future for Scoped<F>
where
    F: Future,
    F::Output: TaskOutput,
{
    type Output = Result<<F::Output as TaskOutput>::Value>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let control = &**this.control;
        let limit = control.limit.load(Ordering::Relaxed);
        if !*this.started {
            // Without a limit every input starts on the first poll, as in the queued gather (a
            // `Task` input is then cancelled, not detached). With one, an input held back when
            // the gather stops ends without ever being polled.
            if limit != usize::MAX {
                if control.stop.load(Ordering::Acquire) {
                    return Poll::Ready(Err(Cancelled::default().into()));
                }
                // Held back by the limit. No waker needed: the gather polls every input on
                // each wake, and an input that ends wakes it.
                if control.in_flight.load(Ordering::Relaxed) >= limit {
                    return Poll::Pending;
                }
                control.in_flight.fetch_add(1, Ordering::Relaxed);
            }
            *this.started = true;
        }
        if !*this.stopped && this.control.stop.load(Ordering::Acquire) {
            *this.stopped = true;
            this.scope.cancel(lock(&this.control.message).clone());
            crate::context::wake_foreign_points();
        }
        // A request delivered by dropping: `JoinAll` drops this input as it stores the outcome.
        // A panic in an input is its failure, as an error is (see the queued gather).
        let outcome = match crate::spawn::catch(|| poll_in(this.scope, this.fut, cx)) {
            Ok(Poll::Ready(Ok(output))) => output.into_result(),
            Ok(Poll::Ready(Err(cancelled))) => Err(cancelled.into()),
            Ok(Poll::Pending) => return Poll::Pending,
            Err(panicked) => Err(panicked),
        };
        if limit != usize::MAX {
            control.in_flight.fetch_sub(1, Ordering::Relaxed);
            cx.waker().wake_by_ref(); // a slot is free: start the next input
        }
        if outcome.is_err()
            && !this.control.settled
            && this
                .control
                .first_failure
                .compare_exchange(NO_FAILURE, *this.index, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            // Stop the others; those polled before this one in this pass need another pass.
            this.control.stop.store(true, Ordering::Release);
            cx.waker().wake_by_ref();
        }
        Poll::Ready(outcome)
    }
}

pin_project! {
    /// An input as the `JoinAll` holds it: its outcome is kept in a [`Collected`].
    struct Keep<F> {
        #[pin]
        input: F,
    }
}

impl<F: Future<Output = Result<T>>, T> Future for Keep<F> {
    type Output = Collected<T>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Collected<T>> {
        self.project().input.poll(cx).map(|o| Collected(Some(o)))
    }
}

/// An input's outcome while the `JoinAll` holds it, until every input has ended. A gather
/// dropped before then drops it here: a failure in it is reported, once, instead of lost.
struct Collected<T>(Option<Result<T>>);

impl<T> Collected<T> {
    fn take(mut self) -> Result<T> {
        self.0.take().expect("taskio: an outcome is handed on once")
    }
}

impl<T> Drop for Collected<T> {
    fn drop(&mut self) {
        if let Some(Err(e)) = &self.0 {
            crate::report::dropped("gather", e);
        }
    }
}

/// The gather of a few inputs, with no limit.
pub(crate) struct Small<F: Future>
where
    F::Output: TaskOutput,
{
    join: JoinAll<Keep<Scoped<F>>>,
    control: Arc<Control>,
    cancelled: Option<Cancelled>,
}

impl<F: Future> Small<F>
where
    F::Output: TaskOutput,
{
    pub(crate) fn new(inputs: impl Iterator<Item = F>, settled: bool) -> Self {
        let control = Arc::new(Control {
            settled,
            stop: AtomicBool::new(false),
            message: Mutex::new(None),
            limit: AtomicUsize::new(usize::MAX),
            in_flight: AtomicUsize::new(0),
            first_failure: AtomicUsize::new(NO_FAILURE),
        });
        let join = join_all(inputs.enumerate().map(|(index, fut)| Keep {
            input: Scoped {
                fut,
                scope: Scope::default(),
                started: false,
                stopped: false,
                index,
                control: control.clone(),
            },
        }));
        Small {
            join,
            control,
            cancelled: None,
        }
    }

    /// At most `n` inputs in flight (set before the first poll).
    pub(crate) fn set_limit(&mut self, n: usize) {
        self.control.limit.store(n, Ordering::Relaxed);
    }

    /// The awaiting task was cancelled: every input stops.
    pub(crate) fn cancel(&mut self, cancelled: Cancelled) {
        *lock(&self.control.message) = cancelled.message().map(Arc::from);
        self.control.stop.store(true, Ordering::Release);
        self.cancelled = Some(cancelled);
    }

    pub(crate) fn is_cancelled(&self) -> bool {
        self.cancelled.is_some()
    }

    /// Ready with the outcomes (in input order) or why there are none, once every input ended.
    #[allow(clippy::type_complexity)]
    pub(crate) fn poll(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Result<Vec<Result<<F::Output as TaskOutput>::Value>>>> {
        let mut outcomes: Vec<_> = match Pin::new(&mut self.join).poll(cx) {
            // Same size: collected in place, no second allocation.
            Poll::Ready(outcomes) => outcomes.into_iter().map(Collected::take).collect(),
            Poll::Pending => return Poll::Pending,
        };
        let first = self.control.first_failure.load(Ordering::Acquire);
        if let Some(cancelled) = self.cancelled.take() {
            report_all(&outcomes, NO_FAILURE);
            return Poll::Ready(Err(cancelled.into()));
        }
        if first == NO_FAILURE {
            return Poll::Ready(Ok(outcomes));
        }
        report_all(&outcomes, first);
        let failure = std::mem::replace(&mut outcomes[first], Err(Cancelled::default().into()));
        Poll::Ready(Err(failure.err().expect("the first failure is an error")))
    }
}

/// Reports the failures that the gather drops (all but `returned`).
fn report_all<T>(outcomes: &[Result<T>], returned: usize) {
    for (i, outcome) in outcomes.iter().enumerate() {
        if let Err(e) = outcome
            && i != returned
        {
            crate::report::discarded("gather", e);
        }
    }
}
