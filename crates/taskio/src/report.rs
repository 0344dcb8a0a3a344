//! Reporting failures nobody will read: asyncio's "Task exception was never retrieved", through
//! `tracing`, with the task's name, id and spawn site.

use crate::error::Error;
use crate::header::Header;

/// A task whose handle is gone ended in `error`. Cancellations are not failures and are not
/// reported.
pub(crate) fn unretrieved(header: &Header, error: &Error) {
    if error.is_cancelled() {
        return;
    }
    let name = header.name();
    let what = if error.is_panic() {
        "panicked"
    } else {
        "failed"
    };
    tracing::error!(
        task.id = header.id.as_u64(),
        task.name = %name,
        task.spawned_at = %header.location,
        error = %error,
        "task '{name}' {what} and its error was never retrieved: {error}"
    );
}

/// A combinator (`what`: "gather", ...) had to drop `error`: it came after the failure the
/// combinator returns, or after the combinator was cancelled. Cancellations are not reported.
pub(crate) fn discarded(what: &str, error: &Error) {
    if error.is_cancelled() {
        return;
    }
    let name = error.task_name().unwrap_or("an inline future");
    tracing::error!(
        combinator = what,
        error = %error,
        "{what}: {name} also failed after the {what} had stopped, and its error is not returned: {error}"
    );
}

/// A task's cancel request was delivered by dropping the future its code waited in (not a
/// cancellation point): visible at debug level, never silent.
pub(crate) fn dropped_for_cancel(header: &Header) {
    tracing::debug!(
        task.id = header.id.as_u64(),
        task.name = %header.name(),
        task.spawned_at = %header.location,
        "taskio: task '{}' was cancelled while it waited in a future that is not a cancellation \
         point; that future was dropped and no async cleanup ran there (use .cancellable() or a \
         taskio future where the code should see Err(Cancelled))",
        header.name()
    );
}

/// A scope's request (a timeout, a gather input, a group's body) was delivered by dropping
/// the future its code waited in, inside `task` (if any).
pub(crate) fn dropped_for_scope(task: Option<&Header>) {
    match task {
        Some(header) => tracing::debug!(
            task.id = header.id.as_u64(),
            task.name = %header.name(),
            task.spawned_at = %header.location,
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
    tracing::error!(
        combinator = what,
        error = %error,
        "{what} was dropped before it returned: {name} failed, and its error is not returned: {error}"
    );
}
