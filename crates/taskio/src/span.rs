//! The `tracing` span a task runs in: `task{task.name=fetch-1 task.id=7}`, a child of the span
//! that was current where the task was spawned, entered at every poll of the body and while the
//! body is dropped, so every event the task's code logs says which task it came from.
//!
//! When no subscriber wants the span (none installed, or a filter that says no), the callsite's
//! cached interest says so in one atomic load, no field is formatted, and the task carries only
//! an empty pointer: nothing is allocated, entered or dropped.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::header::Header;

/// The span of the task `header` describes, or `None` when no subscriber is interested.
pub(crate) fn for_task(header: &Header) -> Option<tracing::Span> {
    let span = tracing::info_span!(
        "task",
        task.name = %header.name(),
        task.id = header.id.as_u64(),
    );
    if span.is_disabled() { None } else { Some(span) }
}

pin_project! {
    /// A task body that runs inside its span.
    pub(crate) struct Spanned<F> {
        // Only a task that a subscriber wants a span for is wrapped at all: the others carry
        // nothing (a pointer here would lift a small body out of tokio's 128-byte task class).
        span: tracing::Span,
        // `None` once dropped: the body is dropped inside the span (its Drop impls log there too).
        #[pin]
        future: Option<F>,
    }

    impl<F> PinnedDrop for Spanned<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            let _entered = this.span.enter();
            this.future.set(None);
        }
    }
}

impl<F> Spanned<F> {
    pub(crate) fn new(span: tracing::Span, future: F) -> Self {
        Spanned {
            span,
            future: Some(future),
        }
    }
}

impl<F: Future> Future for Spanned<F> {
    type Output = F::Output;

    #[inline]
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = self.project();
        let _entered = this.span.enter();
        match this.future.as_pin_mut() {
            Some(future) => future.poll(cx),
            None => unreachable!("taskio: a task body is never polled after it was dropped"),
        }
    }
}
