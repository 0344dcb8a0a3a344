//! What a caught panic leaves behind: its message, and a payload to drop without a second
//! unwind. Every place that catches a panic (a task's body, its `Drop`, a hook, a waker) uses
//! these two.

use std::any::Any;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// The panic's message: its `&str` or `String` payload, or a note that it had neither.
pub(crate) fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-string payload".to_owned()
    }
}

/// Drops a panic payload; one whose own `Drop` panics is forgotten, never let unwind.
pub(crate) fn drop_safely(payload: Box<dyn Any + Send>) {
    if let Err(again) = catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        std::mem::forget(again);
    }
}

/// Runs `f`; a panic gives its message (the payload dropped safely).
pub(crate) fn catch_message(f: impl FnOnce()) -> Option<String> {
    let payload = catch_unwind(AssertUnwindSafe(f)).err()?;
    let text = message(&*payload);
    drop_safely(payload);
    Some(text)
}
