//! What the loom models share: a body that suspends once, and the model runner with CI's
//! preemption bound (`LOOM_MAX_PREEMPTIONS` overrides it).

#![allow(dead_code)]

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// Suspends once without waking (the model polls again itself), then gives `value`.
pub struct YieldOnce<T> {
    value: Option<T>,
    yielded: bool,
}

pub fn yield_once<T>(value: T) -> YieldOnce<T> {
    YieldOnce {
        value: Some(value),
        yielded: false,
    }
}

impl<T: Unpin> Future for YieldOnce<T> {
    type Output = T;
    fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<T> {
        if !self.yielded {
            self.yielded = true;
            return Poll::Pending;
        }
        Poll::Ready(self.value.take().expect("polled after ready"))
    }
}

/// Runs `f` under every interleaving loom explores, bounded to 3 preemptions unless
/// `LOOM_MAX_PREEMPTIONS` says otherwise.
pub fn check(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(f);
}

/// A waker that records that it was woken, in a loom atomic (so loom sees the race).
pub struct Flag(pub loom::sync::atomic::AtomicBool);

impl std::task::Wake for Flag {
    fn wake(self: std::sync::Arc<Self>) {
        self.0.store(true, loom::sync::atomic::Ordering::Release);
    }
}

/// A [`Flag`] and the waker that raises it.
pub fn flag_waker() -> (std::sync::Arc<Flag>, std::task::Waker) {
    let flag = std::sync::Arc::new(Flag(loom::sync::atomic::AtomicBool::new(false)));
    (flag.clone(), std::task::Waker::from(flag))
}
