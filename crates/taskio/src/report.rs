//! Reporting failures nobody will read: asyncio's "Task exception was never retrieved".
//!
//! A report states each fact once: what happened (failed, panicked) in the message, the task's
//! name, id and spawn site and the error's own text (without the task, which the fields name) in
//! fields. It goes to `tracing` as an error event; when no subscriber is installed at all, where
//! a `tracing` event would vanish, it is written to stderr instead, one line, as asyncio writes it.
//!
//! A user error whose `Display` panics still gets its report: the text then says so.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::Error;
use crate::header::Header;

/// An event at `$level` that names the task of `$header` (`$name`) in its fields, then `$rest`
/// (a cause's field, and the message, which is a literal per call site).
macro_rules! task_event {
    ($level:ident, $header:expr, $name:expr, $($rest:tt)*) => {
        tracing::$level!(
            task.id = $header.id.as_u64(),
            task.name = %$name,
            task.spawned_at = %$header.location,
            $($rest)*
        )
    };
}

/// A task whose handle is gone ended in `error`. Cancellations are not failures and are not
/// reported. A leftover that `run` cancelled at exit and whose cleanup failed gets one report
/// that says it happened during `taskio::run`'s shutdown.
pub(crate) fn unretrieved(header: &Header, error: &Error) {
    if error.is_cancelled() {
        return;
    }
    let name = header.name();
    let cause = text(error);
    let panicked = error.is_panic();
    let in_shutdown = crate::run_scope::in_shutdown(header.root);
    if crate::stderr::no_subscriber() {
        let what = if panicked { "panicked" } else { "failed" };
        let prefix = if in_shutdown {
            "unhandled failure during taskio::run's shutdown"
        } else {
            "Task exception was never retrieved"
        };
        crate::stderr::to_stderr(format_args!(
            "{prefix}: task '{name}' (id {}, spawned at {}) {what}: {cause}",
            header.id, header.location
        ));
        return;
    }
    match (in_shutdown, panicked) {
        (false, true) => task_event!(
            error, header, name, panic = %cause,
            "task panicked and its panic was never retrieved"
        ),
        (false, false) => task_event!(
            error, header, name, error = %cause,
            "task failed and its error was never retrieved"
        ),
        (true, true) => task_event!(
            error, header, name, panic = %cause,
            "task panicked during taskio::run's shutdown (cancelled as a leftover of main)"
        ),
        (true, false) => task_event!(
            error, header, name, error = %cause,
            "task failed during taskio::run's shutdown (cancelled as a leftover of main)"
        ),
    }
}

/// A combinator (`what`: "gather", ...) had to drop `error`: it came after the failure the
/// combinator returns, or after the combinator was cancelled. Cancellations are not reported.
pub(crate) fn discarded(what: &str, error: &Error) {
    if error.is_cancelled() {
        return;
    }
    let source = error.task_name().unwrap_or("an inline future");
    let cause = text(error);
    if crate::stderr::no_subscriber() {
        crate::stderr::to_stderr(format_args!(
            "{what}: {source} also failed after the {what} had stopped, and its error is not returned: {cause}"
        ));
    } else {
        tracing::error!(
            combinator = what,
            task.name = %source,
            error = %cause,
            "a failure after the {what} had stopped is not returned"
        );
    }
}

/// A waker panicked when the task of `header` completed (`message`: the panic's). The outcome
/// is stored, and every other waker of the completion was still woken: nothing waits forever
/// for the task, and the fault is reported, not unwound into the runtime's worker.
pub(crate) fn waker_panicked(header: &Header, message: &str) {
    let name = header.name();
    if crate::stderr::no_subscriber() {
        crate::stderr::to_stderr(format_args!(
            "taskio: a waker panicked when task '{name}' (id {}, spawned at {}) completed:              {message}; its outcome is stored and its other waiters were woken",
            header.id, header.location
        ));
        return;
    }
    task_event!(
        error, header, name, panic = %message,
        "a waker panicked when the task completed; its outcome is stored and its other waiters were woken"
    );
}

/// A waker panicked while a dropped handle passed its awaiter's cancel on to the task of
/// `header`: the request stands (it is made before any waker runs), and the handle detached.
pub(crate) fn forward_waker_panicked(header: &Header, message: &str) {
    let name = header.name();
    if crate::stderr::no_subscriber() {
        crate::stderr::to_stderr(format_args!(
            "taskio: a waker panicked when a dropped handle passed a cancel on to task '{name}' (id {}, spawned at {}): {message}; the cancel stands",
            header.id, header.location
        ));
        return;
    }
    task_event!(
        error, header, name, panic = %message,
        "a waker panicked when a dropped handle passed a cancel on to the task; the cancel stands"
    );
}

/// The error's own text, without the task (the report names it); a `Display` that panics gives
/// a text that says so instead of unwinding out of the report.
fn text(error: &Error) -> String {
    if let Some(message) = error.panic_message() {
        return message.to_owned();
    }
    catch_unwind(AssertUnwindSafe(|| error.without_task().to_string()))
        .unwrap_or_else(|_| "(the error's Display panicked)".to_owned())
}

/// A task's cancel request was delivered by dropping the future its code waited in (not a
/// cancellation point): visible at debug level, never silent; a warning in debug mode.
pub(crate) fn dropped_for_cancel(header: &Header) {
    if crate::debug_mode::dropped(Some(header), false) {
        return;
    }
    task_event!(
        debug,
        header,
        header.name(),
        "taskio: task '{}' was cancelled while it waited in a future that is not a cancellation \
         point; that future was dropped and no async cleanup ran there (use .cancellable() or a \
         taskio future where the code should see Err(Cancelled))",
        header.name()
    );
}

/// A scope's request (a timeout, a gather input, a group's body) was delivered by dropping
/// the future its code waited in, inside `task` (if any); a warning in debug mode.
pub(crate) fn dropped_for_scope(task: Option<&Header>) {
    if crate::debug_mode::dropped(task, true) {
        return;
    }
    match task {
        Some(header) => task_event!(
            debug,
            header,
            header.name(),
            "taskio: code of task '{}' was cancelled (a timeout, a gather or a task group) while \
             it waited in a future that is not a cancellation point; that future was dropped and \
             no async cleanup ran there",
            header.name()
        ),
        None => tracing::debug!(
            "taskio: code outside any taskio task was cancelled (a timeout, a gather or a task \
             group) while it waited in a future that is not a cancellation point; that future \
             was dropped and no async cleanup ran there"
        ),
    }
}

/// A combinator (`what`: "gather", ...) was dropped before it returned while it held `error`, a
/// failure it had collected to return (its caller timed it out, or was itself dropped): nobody
/// else will see it. Cancellations are not reported.
pub(crate) fn dropped(what: &str, error: &Error) {
    if error.is_cancelled() {
        return;
    }
    let name = error.task_name().unwrap_or("an inline future");
    let cause = text(error);
    if crate::stderr::no_subscriber() {
        crate::stderr::to_stderr(format_args!(
            "{what} was dropped before it returned: {name} failed, and its error is not returned: {cause}"
        ));
    } else {
        tracing::error!(
            combinator = what,
            task.name = %name,
            error = %cause,
            "{what} was dropped before it returned, and a failure it held is not returned"
        );
    }
}

/// An input of a combinator (`what`: "gather", ...) ended with a failure of its own, then
/// panicked as it was dropped (`panicked`): the failure is the input's outcome, and the panic,
/// which nobody else will see, is reported here.
pub(crate) fn drop_panicked(what: &str, panicked: &Error) {
    let cause = text(panicked);
    if crate::stderr::no_subscriber() {
        crate::stderr::to_stderr(format_args!(
            "{what}: an input that had failed also panicked as it was dropped, and the panic is not returned: {cause}"
        ));
    } else {
        tracing::error!(
            combinator = what,
            panic = %cause,
            "an input of a {what} that had failed also panicked as it was dropped; the panic is not returned"
        );
    }
}
