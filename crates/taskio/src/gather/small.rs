//! The fast path of [`gather`](crate::gather()) and [`gather_settled`](crate::gather_settled) for a
//! few inputs (at most 30, known from the iterator's size hint): the inputs sit unboxed in one
//! `futures_util` `JoinAll`, each wrapped with its cancel scope, and are polled together on every
//! wake (for so few, cheaper than per-input wakers). The rules are the gather's: a first failure
//! stops the others, a cancelled awaiter stops all, inputs not yet started then end unpolled, a
//! limit holds back the inputs beyond it, and the gather ends when every input has.
//!
//! What the inputs share with their gather (stop, the limit's count, the first failure) is no
//! shared allocation: the gather puts it in a thread-local for the length of its `JoinAll`'s
//! poll, the only time its inputs run, and takes it back after (see [`Control`]). Gathers nested
//! inside an input save and restore the one around them.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_util::future::{JoinAll, join_all};
use pin_project_lite::pin_project;

use super::poll_in;
use crate::error::{Cancelled, Result};
use crate::output::TaskOutput;
use crate::scope::Scope;

/// `futures_util`'s `join_all` keeps up to this many inputs in one slice, polled together.
pub(crate) const MAX: usize = 30;

const NO_FAILURE: usize = usize::MAX;

/// [`Control::limit`] when there is none.
const NO_LIMIT: u32 = u32::MAX;

/// What the inputs of one gather share with it. The gather owns it; while its inputs are polled
/// it sits in [`CONTROL`], where they read and update it (they run one at a time, on this thread,
/// inside the gather's poll). An `Arc` of it per gather cost an allocation and two atomic
/// operations per input. Counts and indices are small (at most [`MAX`] inputs, unless an
/// iterator's size hint lied), so it fits in two words.
#[derive(Clone, Copy)]
struct Control {
    settled: bool,
    /// Every input must stop: cancel your scope.
    stop: bool,
    /// The stop carries the awaiter's cancel message, in [`MESSAGE`] while the inputs are polled.
    has_message: bool,
    /// At most this many inputs in flight ([`NO_LIMIT`]: no limit, and no counting).
    limit: u32,
    in_flight: u32,
    /// Index of the input whose failure stopped the gather ([`NO_FAILURE`] as `u32`: none).
    first_failure: u32,
}

impl Control {
    const IDLE: Control = Control {
        settled: false,
        stop: false,
        has_message: false,
        limit: NO_LIMIT,
        in_flight: 0,
        first_failure: u32::MAX,
    };

    fn first_failure(&self) -> usize {
        match self.first_failure {
            u32::MAX => NO_FAILURE,
            i => i as usize,
        }
    }
}

thread_local! {
    /// The control of the gather whose inputs are being polled on this thread.
    static CONTROL: Cell<Control> = const { Cell::new(Control::IDLE) };
    /// Its cancel message, when [`Control::has_message`].
    static MESSAGE: RefCell<Option<Arc<str>>> = const { RefCell::new(None) };
}

pin_project! {
    /// An input as the `JoinAll` holds it: with its scope, and its outcome kept in a
    /// [`Collected`]. The input is dropped here, in place and under `catch`, as soon as it
    /// ends, and by [`PinnedDrop`] if the gather is dropped before that: a panic in its `Drop`
    /// is then an outcome or a report (see [`super::after_drop`]), where `JoinAll` would have
    /// let it unwind out of the gather.
    struct Scoped<F> {
        #[pin]
        slot: Slot<F>,
        scope: Scope,
        started: bool,
        stopped: bool,
        index: u32,
    }

    impl<F> PinnedDrop for Scoped<F> {
        fn drop(this: Pin<&mut Self>) {
            if let Err(panicked) = drop_input(this.project().slot) {
                crate::report::dropped("gather", &panicked);
            }
        }
    }
}

pin_project! {
    /// The input itself, until it ends.
    #[project = SlotProj]
    enum Slot<F> {
        Running { #[pin] fut: F },
        Ended,
    }
}

/// Drops the input in `slot` (if it has not been yet), catching a panic of its `Drop`.
fn drop_input<F>(mut slot: Pin<&mut Slot<F>>) -> Result<()> {
    match slot.as_mut().project() {
        SlotProj::Running { .. } => crate::spawn::catch(|| slot.set(Slot::Ended)),
        SlotProj::Ended => Ok(()),
    }
}

impl<F> Future for Scoped<F>
where
    F: Future,
    F::Output: TaskOutput,
{
    type Output = Collected<<F::Output as TaskOutput>::Value>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let mut control = CONTROL.get();
        if !*this.started {
            // Without a limit every input starts on the first poll, as in the queued gather (a
            // `Task` input is then cancelled, not detached). With one, an input held back when
            // the gather stops ends without ever being polled.
            if control.limit != NO_LIMIT {
                if control.stop {
                    let outcome = super::after_drop(
                        "gather",
                        Err(Cancelled::default().into()),
                        drop_input(this.slot),
                    );
                    return Poll::Ready(Collected(Some(outcome)));
                }
                // Held back by the limit. No waker needed: the gather polls every input on
                // each wake, and an input that ends wakes it.
                if control.in_flight >= control.limit {
                    return Poll::Pending;
                }
                control.in_flight += 1;
                CONTROL.set(control);
            }
            *this.started = true;
        }
        if !*this.stopped && control.stop {
            *this.stopped = true;
            let message = if control.has_message {
                MESSAGE.with(|m| m.borrow().clone())
            } else {
                None
            };
            this.scope.cancel(message);
            crate::context::wake_foreign_points();
        }
        let SlotProj::Running { fut } = this.slot.as_mut().project() else {
            panic!("taskio: a gather input was polled after it ended");
        };
        // A request delivered by dropping: the input is dropped just below. A panic in an
        // input is its failure, as an error is (see the queued gather).
        let outcome = match crate::spawn::catch(|| poll_in(this.scope, fut, cx)) {
            Ok(Poll::Ready(Ok(output))) => output.into_result(),
            Ok(Poll::Ready(Err(cancelled))) => Err(cancelled.into()),
            Ok(Poll::Pending) => return Poll::Pending,
            Err(panicked) => Err(panicked),
        };
        let dropped = this.scope.drop_code(|| drop_input(this.slot));
        let outcome = super::after_drop("gather", outcome, dropped);
        // `control` is still the thread-local's value: no sibling ran meanwhile, and a gather
        // nested in this input put it back as it found it.
        if control.limit != NO_LIMIT {
            control.in_flight -= 1;
            CONTROL.set(control);
            cx.waker().wake_by_ref(); // a slot is free: start the next input
        }
        if outcome.is_err() && !control.settled && control.first_failure == u32::MAX {
            // Stop the others; those polled before this one in this pass need another pass.
            control.first_failure = *this.index;
            control.stop = true;
            CONTROL.set(control);
            cx.waker().wake_by_ref();
        }
        Poll::Ready(Collected(Some(outcome)))
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

/// Puts the thread-local back as it was before a gather's poll, also when the poll unwinds.
struct Restore {
    control: Control,
    /// The message around, when this gather put its own in.
    message: Option<Option<Arc<str>>>,
}

impl Drop for Restore {
    fn drop(&mut self) {
        CONTROL.set(self.control);
        if let Some(message) = self.message.take() {
            MESSAGE.with(|m| *m.borrow_mut() = message);
        }
    }
}

/// The gather of a few inputs.
pub(crate) struct Small<F: Future>
where
    F::Output: TaskOutput,
{
    join: JoinAll<Scoped<F>>,
    control: Control,
    message: Option<Arc<str>>,
    cancelled: Option<Cancelled>,
}

impl<F: Future> Small<F>
where
    F::Output: TaskOutput,
{
    pub(crate) fn new(inputs: impl Iterator<Item = F>, settled: bool) -> Self {
        let join = join_all(inputs.enumerate().map(|(index, fut)| Scoped {
            slot: Slot::Running { fut },
            scope: Scope::default(),
            started: false,
            stopped: false,
            index: u32::try_from(index).expect("taskio: a gather's size hint lied by billions"),
        }));
        Small {
            join,
            control: Control {
                settled,
                ..Control::IDLE
            },
            message: None,
            cancelled: None,
        }
    }

    /// At most `n` inputs in flight (set before the first poll).
    pub(crate) fn set_limit(&mut self, n: usize) {
        self.control.limit = n.min(NO_LIMIT as usize - 1) as u32;
    }

    /// The awaiting task was cancelled: every input stops.
    pub(crate) fn cancel(&mut self, cancelled: Cancelled) {
        self.message = cancelled.message().map(Arc::from);
        self.control.has_message = self.message.is_some();
        self.control.stop = true;
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
        let restore = Restore {
            control: CONTROL.replace(self.control),
            message: self
                .control
                .has_message
                .then(|| MESSAGE.with(|m| m.replace(self.message.clone()))),
        };
        let polled = Pin::new(&mut self.join).poll(cx);
        self.control = CONTROL.get();
        drop(restore);
        let mut outcomes: Vec<_> = match polled {
            // Same size: collected in place, no second allocation.
            Poll::Ready(outcomes) => outcomes.into_iter().map(Collected::take).collect(),
            Poll::Pending => return Poll::Pending,
        };
        let first = self.control.first_failure();
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
