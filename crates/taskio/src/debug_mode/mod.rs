//! Debug mode's engine, below the machinery that calls it: the switch a task's poll reads,
//! the checks (a slow poll, a swallowed cancel, a cancel delivered by dropping) and where their
//! reports go. The public face, with the guide, is [`debug`](crate::debug).

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::header::{CANCEL_PENDING, DELIVERED, Header};
use crate::id::TaskId;

mod report;

pub use report::{DebugEvent, DebugReport};

/// asyncio's `slow_callback_duration` default.
pub(crate) const DEFAULT_THRESHOLD: Duration = Duration::from_millis(100);

/// Whether debug mode is on: the one load a task's poll pays.
pub(crate) static ENABLED: AtomicBool = AtomicBool::new(false);
/// The slow-poll threshold in nanoseconds (`u64::MAX`: never).
pub(crate) static THRESHOLD_NANOS: AtomicU64 = AtomicU64::new(100_000_000);

/// Where reports go instead of `tracing`, if somewhere. Read only on the report path.
pub(crate) type Hook = Arc<dyn Fn(&DebugReport) + Send + Sync>;
static HOOK: Mutex<Option<Hook>> = Mutex::new(None);

pub(crate) fn lock_hook() -> std::sync::MutexGuard<'static, Option<Hook>> {
    HOOK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Taken before a task's body is polled: whether debug mode times this poll (then the time
/// is kept on this thread, a stack for nested polls: an eager spawn polls inside its spawner's
/// poll). Off, this is one relaxed load, and what crosses the poll is one `bool`.
#[inline(always)]
pub(crate) fn poll_started() -> bool {
    let on = ENABLED.load(Ordering::Relaxed);
    if on {
        mark_start();
    }
    on
}

thread_local! {
    static STARTS: std::cell::RefCell<Vec<Instant>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[cold]
fn mark_start() {
    let now = Instant::now();
    let _ = STARTS.try_with(|s| s.borrow_mut().push(now));
}

/// After the body's poll (`timed`: what [`poll_started`] gave): reports it if it held the
/// thread longer than the threshold.
#[inline(always)]
pub(crate) fn poll_ended(timed: bool, header: &Header) {
    if timed {
        slow_poll(header);
    }
}

#[cold]
fn slow_poll(header: &Header) {
    let Some(started) = STARTS.try_with(|s| s.borrow_mut().pop()).ok().flatten() else {
        return;
    };
    let took = started.elapsed();
    let nanos = THRESHOLD_NANOS.load(Ordering::Relaxed);
    let threshold = Duration::from_nanos(nanos);
    if nanos != u64::MAX && took > threshold {
        report::emit(&DebugReport::of(
            header,
            DebugEvent::SlowPoll { took, threshold },
        ));
    }
}

/// The body returned `Ok` (`value`) or an error, with the flags `seen` as it closed. Reports a
/// cancellation that reached its code and was swallowed: a value, and no request pending (one
/// that is makes the task end cancelled after all).
#[inline(always)]
pub(crate) fn ended(header: &Header, seen: u64, value: bool) {
    if seen & DELIVERED != 0 {
        settled(header, value && seen & CANCEL_PENDING == 0);
    }
}

#[cold]
fn settled(header: &Header, value: bool) {
    // Off, the set is never filled: a delivered cancel then costs no global lock (measured: 160
    // instructions a task in W2 when it was looked up first).
    if !ENABLED.load(Ordering::Relaxed) {
        return;
    }
    let forwarded = take_forwarded(header.id);
    if !value || forwarded || crate::run_scope::in_shutdown(header.root) {
        return;
    }
    report::emit(&DebugReport::of(header, DebugEvent::SwallowedCancel));
}

/// The tasks whose request was taken by awaiting another task's handle, which passed it on to
/// that task (the awaiting code never saw `Err(Cancelled)` unless that task ended cancelled).
/// Filled in debug mode only; an entry goes when its task's body returns.
fn forwarded_set() -> std::sync::MutexGuard<'static, HashSet<TaskId>> {
    static FORWARDED: OnceLock<Mutex<HashSet<TaskId>>> = OnceLock::new();
    FORWARDED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// The current task's request was taken by an await of a handle and passed on to the awaited
/// task: it did not reach this task's code.
#[cold]
pub(crate) fn forwarded(current: Option<TaskId>) {
    if !ENABLED.load(Ordering::Relaxed) {
        return;
    }
    if let Some(id) = current {
        forwarded_set().insert(id);
    }
}

fn take_forwarded(id: TaskId) -> bool {
    forwarded_set().remove(&id)
}

/// Debug mode went off: the entries of tasks still running would never be taken.
pub(crate) fn forget_forwarded() {
    forwarded_set().clear();
}

/// A cancel was delivered by dropping the future the code of `task` waited in (`None`: code
/// outside any task); `scope`: a scope's request (timeout, gather, group) rather than the
/// task's own. Returns `false` outside debug mode (the caller logs at debug level then).
pub(crate) fn dropped(task: Option<&Header>, scope: bool) -> bool {
    if !ENABLED.load(Ordering::Relaxed) {
        return false;
    }
    let event = DebugEvent::DroppedForCancel { scope };
    let report = match task {
        Some(header) => DebugReport::of(header, event),
        None => DebugReport {
            id: None,
            name: String::from("(code outside any taskio task)"),
            spawned_at: None,
            event,
        },
    };
    report::emit(&report);
    true
}
