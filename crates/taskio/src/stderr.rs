//! A report's way out when no `tracing` subscriber listens: one line on stderr, as asyncio
//! prints "Task exception was never retrieved" by default. Shared by the outcome reports
//! ([`report`](crate::report)) and debug mode's.

use std::io::Write;

/// No subscriber is installed for this thread (no scoped one, no global one): a `tracing`
/// event would go nowhere.
pub(crate) fn no_subscriber() -> bool {
    tracing::dispatcher::get_default(|d| d.is::<tracing::subscriber::NoSubscriber>())
}

/// One line on stderr; a closed stderr is not an error of the task's.
pub(crate) fn to_stderr(line: std::fmt::Arguments<'_>) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}
