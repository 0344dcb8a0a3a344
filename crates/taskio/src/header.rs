//! The untyped per-task record that a task's handle, its running future, the registry and the
//! cancellation points share: identity, lifecycle flags and the cancel request cell.
//!
//! Every transition is a single read-modify-write on [`Header::state`], so that the races that
//! matter (cancel vs first poll, cancel vs complete, handle drop vs complete) are decided by the
//! order of two RMWs on one atomic. The `loom` models in `tests/loom_*.rs` check them.

use std::borrow::Cow;
use std::panic::Location;
use std::sync::Arc;
use std::task::Waker;
use std::time::Instant;

use crate::error::{Cancelled, TaskLabel};
use crate::sync::{AtomicU32, Mutex, Ordering};
use crate::task::{TaskId, TaskState};

/// The body has been polled at least once (pending → running).
pub(crate) const POLLED: u32 = 1 << 0;
/// The outcome is stored; the task is done.
pub(crate) const COMPLETE: u32 = 1 << 1;
/// A cancel request waits to be delivered at the next cancellation point.
pub(crate) const CANCEL_PENDING: u32 = 1 << 2;
/// The task's own waker is stored, so `cancel` can wake it.
pub(crate) const WAKER_SET: u32 = 1 << 3;
/// The handle was dropped: nobody will read the outcome.
pub(crate) const DETACHED: u32 = 1 << 4;
/// A cancel message is stored (saves a lock when delivering plain cancels).
pub(crate) const HAS_MESSAGE: u32 = 1 << 5;
/// [`Task::abort`](crate::Task::abort) was called: the body is dropped at its next poll.
pub(crate) const ABORTED: u32 = 1 << 9;
const OUTCOME_SHIFT: u32 = 6;
const OUTCOME_MASK: u32 = 0b11 << OUTCOME_SHIFT;
pub(crate) const OUTCOME_OK: u32 = 0;
pub(crate) const OUTCOME_FAILED: u32 = 1 << OUTCOME_SHIFT;
pub(crate) const OUTCOME_CANCELLED: u32 = 2 << OUTCOME_SHIFT;
pub(crate) const OUTCOME_PANICKED: u32 = 3 << OUTCOME_SHIFT;
/// The body's poll returned (or panicked): the outcome is being decided, and a cancel request
/// that comes now is refused, as one on a done task is.
pub(crate) const CLOSED: u32 = 1 << 8;
/// The outstanding cancel requests (asyncio's `cancelling()`) live in the top 16 bits of the
/// state, so that a request is counted by the same atomic operation that makes it pending: no
/// observer ever sees a request counted that was then refused, or delivered before counted.
const COUNT_SHIFT: u32 = 16;
const COUNT_ONE: u32 = 1 << COUNT_SHIFT;
const COUNT_MAX: u32 = u32::MAX >> COUNT_SHIFT;

#[derive(Default)]
struct Wakeup {
    /// The waker of the code that runs in this task, stored at its first poll.
    waker: Option<Waker>,
    /// The message of the latest cancel request (asyncio keeps the latest one).
    message: Option<Arc<str>>,
}

/// What every task has, whatever its output type.
pub(crate) struct Header {
    pub(crate) id: TaskId,
    name: Option<Cow<'static, str>>,
    pub(crate) parent: Option<TaskId>,
    /// The top of this task's ancestry (itself when spawned outside any task): `run` cancels
    /// at exit exactly the tasks whose root is its `main`.
    pub(crate) root: TaskId,
    pub(crate) location: &'static Location<'static>,
    /// When the task was spawned, as nanoseconds since the process's first spawn (8 bytes,
    /// where an `Instant` takes 16).
    created: u64,
    pub(crate) state: AtomicU32,
    wakeup: Mutex<Wakeup>,
    pub(crate) registry_slot: crate::registry::Slot,
}

impl Header {
    pub(crate) fn new(
        id: TaskId,
        name: Option<Cow<'static, str>>,
        parent: Option<(TaskId, TaskId)>,
        location: &'static Location<'static>,
        registry_slot: crate::registry::Slot,
    ) -> Self {
        Header {
            id,
            name,
            parent: parent.map(|(p, _)| p),
            root: parent.map_or(id, |(_, root)| root),
            location,
            created: crate::header::since_epoch(Instant::now()),
            state: AtomicU32::new(0),
            wakeup: Mutex::new(Wakeup::default()),
            registry_slot,
        }
    }

    /// How long ago the task was spawned.
    pub(crate) fn age(&self) -> std::time::Duration {
        let now = since_epoch(Instant::now());
        std::time::Duration::from_nanos(now.saturating_sub(self.created))
    }

    /// The name given at spawn, or `Task-<id>` as asyncio names them.
    pub(crate) fn name(&self) -> Cow<'_, str> {
        match &self.name {
            Some(n) => Cow::Borrowed(n),
            None => Cow::Owned(format!("Task-{}", self.id)),
        }
    }

    pub(crate) fn label(&self) -> TaskLabel {
        TaskLabel::new(self.id, self.name.clone())
    }

    pub(crate) fn task_state(&self) -> TaskState {
        let s = self.state.load(Ordering::Acquire);
        if s & COMPLETE == 0 {
            return if s & POLLED == 0 {
                TaskState::Pending
            } else {
                TaskState::Running
            };
        }
        match s & OUTCOME_MASK {
            OUTCOME_OK | OUTCOME_FAILED => TaskState::Finished,
            OUTCOME_CANCELLED => TaskState::Cancelled,
            _ => TaskState::Panicked,
        }
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.state.load(Ordering::Acquire) & COMPLETE != 0
    }

    /// How many cancel requests are outstanding (asyncio's `Task.cancelling()`).
    pub(crate) fn cancelling(&self) -> u32 {
        self.state.load(Ordering::Acquire) >> COUNT_SHIFT
    }

    /// Asks the task to stop at its next cancellation point. Returns `false` when it is done,
    /// or when its body has already returned ([`Header::close`]): such a request would never be
    /// seen, so it is not counted.
    pub(crate) fn request_cancel(&self, message: Option<Arc<str>>) -> bool {
        // A message is stored under the lock, together with the flag, and only by an accepted
        // request: a refused request must not replace an accepted one's message.
        let mut wakeup = message.as_ref().map(|_| self.lock_wakeup());
        let mut cur = self.state.load(Ordering::Acquire);
        let prev = loop {
            if cur & (COMPLETE | CLOSED) != 0 {
                return false;
            }
            let mut next = cur | CANCEL_PENDING;
            if message.is_some() {
                next |= HAS_MESSAGE;
            }
            if cur >> COUNT_SHIFT < COUNT_MAX {
                next += COUNT_ONE;
            }
            match self
                .state
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(prev) => break prev,
                Err(actual) => cur = actual,
            }
        };
        if let (Some(w), Some(m)) = (wakeup.as_mut(), message) {
            w.message = Some(m);
        }
        drop(wakeup);
        if prev & WAKER_SET != 0 {
            self.wake();
        }
        true
    }

    /// Takes back one cancel request (asyncio's `Task.uncancel()`); when none is left, an
    /// undelivered request is withdrawn too. Returns the requests that remain.
    pub(crate) fn uncancel(&self) -> u32 {
        let mut cur = self.state.load(Ordering::Acquire);
        loop {
            let count = cur >> COUNT_SHIFT;
            if count == 0 {
                return 0;
            }
            let mut next = cur - COUNT_ONE;
            if count == 1 {
                next &= !CANCEL_PENDING;
            }
            match self
                .state
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return count - 1,
                Err(actual) => cur = actual,
            }
        }
    }

    /// Delivers a pending cancel request, once (edge-triggered, as asyncio).
    #[inline]
    pub(crate) fn take_cancel(&self) -> Option<Cancelled> {
        if self.state.load(Ordering::Acquire) & CANCEL_PENDING == 0 {
            return None;
        }
        self.take_cancel_slow()
    }

    #[cold]
    fn take_cancel_slow(&self) -> Option<Cancelled> {
        let prev = self.state.fetch_and(!CANCEL_PENDING, Ordering::AcqRel);
        if prev & CANCEL_PENDING == 0 {
            return None;
        }
        let message = if prev & HAS_MESSAGE != 0 {
            self.lock_wakeup().message.clone()
        } else {
            None
        };
        Some(Cancelled::with_shared(message))
    }

    /// Whether a cancel request waits to be delivered.
    pub(crate) fn cancel_pending(&self) -> bool {
        self.state.load(Ordering::Acquire) & CANCEL_PENDING != 0
    }

    /// The first poll: marks the task running. Returns `true` when a cancel request came before
    /// the body was ever polled, in which case the body must never run.
    pub(crate) fn begin(&self) -> bool {
        let prev = self.state.fetch_or(POLLED, Ordering::AcqRel);
        prev & POLLED == 0 && prev & CANCEL_PENDING != 0
    }

    /// The body's poll has returned: from now on cancel requests are refused. Returns the flags
    /// seen just before, so the caller decides the outcome on them: a request that got in
    /// before (`CANCEL_PENDING` in the result) still counts, and no later one can.
    pub(crate) fn close(&self) -> u32 {
        self.state.fetch_or(CLOSED, Ordering::AcqRel)
    }

    /// Stores the task's waker the first time its body suspends, so that `cancel` and `abort`
    /// can wake it. A task that finishes in its first poll never pays for this. A request that
    /// came while the waker was not yet stored found nobody to wake: the task wakes itself.
    pub(crate) fn register_waker(&self, waker: &Waker) {
        if self.park(waker) & (CANCEL_PENDING | ABORTED) != 0 {
            waker.wake_by_ref();
        }
    }

    /// Whether the task's waker is stored.
    #[inline]
    pub(crate) fn waker_set(&self) -> bool {
        self.state.load(Ordering::Acquire) & WAKER_SET != 0
    }

    /// Asks for the hard stop: the body is dropped at the task's next poll, which this wakes.
    pub(crate) fn request_abort(&self) {
        let prev = self.state.fetch_or(ABORTED, Ordering::AcqRel);
        if prev & (COMPLETE | ABORTED) == 0 && prev & WAKER_SET != 0 {
            self.wake();
        }
    }

    fn wake(&self) {
        // Clone outside the lock: waking may run arbitrary code (a custom executor's waker).
        let waker = self.lock_wakeup().waker.clone();
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Whether `abort` was called.
    #[inline]
    pub(crate) fn aborted(&self) -> bool {
        self.state.load(Ordering::Acquire) & ABORTED != 0
    }

    /// Stores the task's waker without marking it running (a task that waits for a place to
    /// start, in a task group's limit, must still be woken by `cancel`); returns the flags seen
    /// just before, so the caller can look for a request that found no waker to wake.
    pub(crate) fn park(&self, waker: &Waker) -> u32 {
        self.lock_wakeup().waker = Some(waker.clone());
        self.state.fetch_or(WAKER_SET, Ordering::AcqRel)
    }

    /// Marks the task complete with `outcome` bits; returns the flags seen just before.
    pub(crate) fn mark_complete(&self, outcome: u32) -> u32 {
        let prev = self.state.fetch_or(COMPLETE | outcome, Ordering::AcqRel);
        if prev & WAKER_SET != 0 {
            // Release the task's own waker: nobody needs to wake a finished task.
            self.lock_wakeup().waker = None;
        }
        prev
    }

    /// Marks the handle dropped; returns the flags seen just before.
    pub(crate) fn mark_detached(&self) -> u32 {
        self.state.fetch_or(DETACHED, Ordering::AcqRel)
    }

    fn lock_wakeup(&self) -> crate::sync::MutexGuard<'_, Wakeup> {
        crate::sync::lock(&self.wakeup)
    }
}

/// Nanoseconds from the process's first spawn to `at`.
fn since_epoch(at: Instant) -> u64 {
    static EPOCH: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    let epoch = *EPOCH.get_or_init(|| at);
    u64::try_from(at.saturating_duration_since(epoch).as_nanos()).unwrap_or(u64::MAX)
}
