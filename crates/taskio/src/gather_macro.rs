//! [`gather!`](crate::gather!): asyncio's `gather(a, b, c)` for futures of different types, giving
//! a tuple. Same rules as [`gather`](crate::gather()): inline, input order, the first failure
//! cancels the others and is returned once they have ended, a cancelled awaiter cancels all.
//!
//! The macro pins each input in the generated `async` block and drives them through
//! [`Driver`], which sees them as `Pin<&mut dyn DynChild>` only for the length of one poll: the
//! block is `Send` when the inputs are.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::context::take_cancel_at;
use crate::error::{Cancelled, Error, Result};
use crate::output::TaskOutput;
use crate::point::Registration;
use crate::scope::Scope;

/// Runs futures of different types concurrently, inline in the awaiting task, and gives their
/// values as a tuple: asyncio's `gather(a, b, c)`. Awaits to `taskio::Result<(A, B, C)>`.
///
/// Each input's output must be a `Result<T, E>` with `E: Into<taskio::Error>` (or `()`); a
/// [`Task<T>`](crate::Task) is such a future. The rules are those of [`gather`](crate::gather()):
/// the first failure cancels the others, waits for them and is returned; a cancelled awaiter
/// cancels every input. The inputs are evaluated when the macro is, and first polled when the
/// gather is.
///
/// ```
/// use std::time::Duration;
///
/// async fn user() -> taskio::Result<String> {
///     taskio::sleep(Duration::from_millis(20)).await?;
///     Ok("ada".to_string())
/// }
/// async fn posts() -> Result<u32, std::io::Error> {
///     Ok(3)
/// }
///
/// taskio::run(async {
///     let count = taskio::spawn(async { taskio::Ok(7u8) });
///     let (name, n, c) = taskio::gather!(user(), posts(), count).await?;
///     assert_eq!((name.as_str(), n, c), ("ada", 3, 7));
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
#[macro_export]
macro_rules! gather {
    ($($input:expr),+ $(,)?) => {
        $crate::__gather_impl!(@eval [] $($input,)+)
    };
}

/// The expansion of [`gather!`]: binds each input to its own (hygienic) name, then builds the
/// future.
#[doc(hidden)]
#[macro_export]
macro_rules! __gather_impl {
    (@eval [$($done:ident)*] $head:expr, $($rest:expr,)*) => {{
        let input = $head;
        $crate::__gather_impl!(@eval [$($done)* input] $($rest,)*)
    }};
    (@eval [$($input:ident)+]) => {
        async move {
            $(
                let mut $input = ::core::pin::pin!($crate::__private::MacroChild::new($input));
            )+
            let mut driver = $crate::__private::Driver::default();
            ::core::future::poll_fn(|cx| {
                driver.poll(cx, &mut [$(
                    $input.as_mut() as ::core::pin::Pin<&mut dyn $crate::__private::DynChild>
                ),+])
            })
            .await
            .map(|()| ($($input.as_mut().take_value(),)+))
        }
    };
}

/// One input of [`gather!`], as the driver sees it.
#[doc(hidden)]
pub trait DynChild {
    /// Whether the input has not ended yet.
    fn is_running(&self) -> bool;
    /// Polls the input in its scope; its error if it ended with one.
    fn poll_child(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>>;
    /// Cancels the input's scope.
    fn cancel(self: Pin<&mut Self>, message: Option<Arc<str>>);
}

pin_project! {
    #[project = StateProj]
    enum State<F, T> {
        Running { #[pin] fut: F },
        Done { value: Option<T> },
    }
}

pin_project! {
    /// One input of [`gather!`]: the future, its scope, then its value.
    #[doc(hidden)]
    pub struct MacroChild<F, T> {
        #[pin]
        state: State<F, T>,
        scope: Scope,
    }

    impl<F, T> PinnedDrop for MacroChild<F, T> {
        /// Dropped before it ended (the gather was dropped mid-flight): a panic in the input's
        /// `Drop` is reported, not unwound out of the gather's drop.
        fn drop(this: Pin<&mut Self>) {
            let mut state = this.project().state;
            if let StateProj::Running { .. } = state.as_mut().project() {
                let dropped = crate::spawn::catch(|| state.set(State::Done { value: None }));
                if let Err(panicked) = dropped {
                    crate::report::dropped("gather!", &panicked);
                }
            }
        }
    }
}

impl<F> MacroChild<F, <F::Output as TaskOutput>::Value>
where
    F: Future,
    F::Output: TaskOutput,
{
    #[doc(hidden)]
    pub fn new(fut: F) -> Self {
        MacroChild {
            state: State::Running { fut },
            scope: Scope::default(),
        }
    }
}

impl<F, T> MacroChild<F, T> {
    #[doc(hidden)]
    pub fn take_value(self: Pin<&mut Self>) -> T {
        match self.project().state.project() {
            StateProj::Done { value } => value.take(),
            StateProj::Running { .. } => None,
        }
        .expect("taskio: gather! takes each value once, after success")
    }
}

impl<F> DynChild for MacroChild<F, <F::Output as TaskOutput>::Value>
where
    F: Future,
    F::Output: TaskOutput,
{
    fn is_running(&self) -> bool {
        matches!(self.state, State::Running { .. })
    }

    fn poll_child(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<()>> {
        let mut this = self.project();
        let StateProj::Running { fut } = this.state.as_mut().project() else {
            return Poll::Ready(Ok(()));
        };
        let output = match crate::spawn::catch(|| crate::gather::poll_in(this.scope, fut, cx)) {
            Ok(Poll::Ready(Ok(output))) => output.into_result(),
            // Delivered by dropping the input (below, as it ends).
            Ok(Poll::Ready(Err(cancelled))) => Err(cancelled.into()),
            Ok(Poll::Pending) => return Poll::Pending,
            // A panic in an input is its failure, as an error is.
            Err(panicked) => Err(panicked),
        };
        // Dropped in place as it ends; `set` stores `Done` even if the drop panics.
        let scope = &*this.scope;
        let dropped =
            crate::spawn::catch(|| scope.drop_code(|| this.state.set(State::Done { value: None })));
        match crate::gather::after_drop("gather!", output, dropped) {
            Ok(value) => {
                if let StateProj::Done { value: slot } = this.state.project() {
                    *slot = Some(value);
                }
                Poll::Ready(Ok(()))
            }
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn cancel(self: Pin<&mut Self>, message: Option<Arc<str>>) {
        self.project().scope.cancel(message);
    }
}

/// The rules of [`gather!`] over its inputs: poll the running ones, stop all on the first failure
/// or on the awaiter's cancellation, finish when none runs.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Driver {
    point: Registration,
    failure: Option<Error>,
    cancelled: Option<Cancelled>,
    stopped: bool,
}

impl Drop for Driver {
    /// Dropped before it returned: the first failure it held for its caller is reported, once.
    fn drop(&mut self) {
        if let Some(failure) = &self.failure {
            crate::report::dropped("gather!", failure);
        }
    }
}

impl Driver {
    #[doc(hidden)]
    pub fn poll(
        &mut self,
        cx: &mut Context<'_>,
        inputs: &mut [Pin<&mut dyn DynChild>],
    ) -> Poll<Result<()>> {
        if self.cancelled.is_none()
            && let Some(c) = take_cancel_at(&mut self.point, cx.waker())
        {
            self.cancelled = Some(c);
        }
        loop {
            for input in inputs.iter_mut() {
                if !input.is_running() {
                    continue;
                }
                if let Poll::Ready(Err(e)) = input.as_mut().poll_child(cx) {
                    if self.failure.is_none() && self.cancelled.is_none() {
                        self.failure = Some(e);
                    } else if e.is_failure() {
                        crate::report::discarded("gather!", &e);
                    }
                }
            }
            let stop_due = self.failure.is_some() || self.cancelled.is_some();
            if !stop_due || self.stopped {
                break;
            }
            // Cancel every input still running, and poll them again: nothing else wakes them.
            self.stopped = true;
            let message = self
                .cancelled
                .as_ref()
                .and_then(|c| c.message().map(Arc::from));
            for input in inputs.iter_mut().filter(|i| i.is_running()) {
                input.as_mut().cancel(message.clone());
            }
            crate::context::wake_foreign_points();
        }
        if inputs.iter().any(|i| i.is_running()) {
            return Poll::Pending;
        }
        Poll::Ready(match (self.cancelled.take(), self.failure.take()) {
            (Some(cancelled), failure) => {
                if let Some(f) = failure {
                    crate::report::discarded("gather!", &f);
                }
                Err(cancelled.into())
            }
            (None, Some(failure)) => Err(failure),
            (None, None) => Ok(()),
        })
    }
}
