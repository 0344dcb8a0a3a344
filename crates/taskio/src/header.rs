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
use crate::id::{TaskId, TaskState};
use crate::sync::{AtomicU64, Mutex, Ordering};

/// The body has been polled at least once (pending → running).
pub(crate) const POLLED: u64 = 1 << 0;
/// The outcome is stored; the task is done.
pub(crate) const COMPLETE: u64 = 1 << 1;
/// A cancel request waits to be delivered at the next cancellation point.
pub(crate) const CANCEL_PENDING: u64 = 1 << 2;
/// The task's own waker is stored, so `cancel` can wake it.
pub(crate) const WAKER_SET: u64 = 1 << 3;
/// The handle was dropped: nobody will read the outcome.
pub(crate) const DETACHED: u64 = 1 << 4;
/// A cancel message is stored (saves a lock when delivering plain cancels).
pub(crate) const HAS_MESSAGE: u64 = 1 << 5;
/// The task runs on a current-thread runtime (set at spawn, never changed; see [`Runtime`]).
const ON_CURRENT_THREAD: u64 = 1 << 14;
/// The task runs on a multi-thread runtime (set at spawn, never changed; see [`Runtime`]).
const ON_MULTI_THREAD: u64 = 1 << 15;
const OUTCOME_SHIFT: u32 = 6;
const OUTCOME_MASK: u64 = 0b11 << OUTCOME_SHIFT;
pub(crate) const OUTCOME_OK: u64 = 0;
pub(crate) const OUTCOME_FAILED: u64 = 1 << OUTCOME_SHIFT;
pub(crate) const OUTCOME_CANCELLED: u64 = 2 << OUTCOME_SHIFT;
pub(crate) const OUTCOME_PANICKED: u64 = 3 << OUTCOME_SHIFT;

/// Whether the outcome recorded in `state` (once complete) is a failure: an error or a panic,
/// the outcomes that are reported if nobody reads them.
#[inline]
pub(crate) fn outcome_is_failure(state: u64) -> bool {
    matches!(state & OUTCOME_MASK, OUTCOME_FAILED | OUTCOME_PANICKED)
}
/// The body's poll returned (or panicked): the outcome is being decided, and a cancel request
/// that comes now is refused, as one on a done task is.
pub(crate) const CLOSED: u64 = 1 << 8;
/// [`Task::abort`](crate::Task::abort) was called: the body is dropped at its next poll.
pub(crate) const ABORTED: u64 = 1 << 9;
/// A cancellation point (or a frame, by dropping) took one of the task's requests and no
/// `uncancel()` took it back: the task's code is handling a cancel, and a later request is
/// only ever delivered cooperatively, never by dropping that code.
pub(crate) const DELIVERED: u64 = 1 << 11;
/// Some cancellation point of this task waits with a waker that is not the task's own (inside
/// `FuturesUnordered`, `buffer_unordered`, a queued gather): a request wakes those too.
pub(crate) const FOREIGN: u64 = 1 << 12;
/// The task's handle, awaited with a foreign waker, registered it with the awaiting task; the
/// registration sits in the cell's slot, and dropping the handle removes it.
pub(crate) const AWAIT_REGISTERED: u64 = 1 << 13;
/// How many accepted requests are still waking the foreign wakers (bits 16..32). While one is,
/// no poll may deliver a request by dropping: a point that would take it may not be woken yet.
/// A counter, not a flag, so that two requests racing never clear each other's.
const WAKING_SHIFT: u32 = 16;
const WAKING_ONE: u64 = 1 << WAKING_SHIFT;
const WAKING_MASK: u64 = 0xffff << WAKING_SHIFT;
/// The outstanding cancel requests (asyncio's `cancelling()`) live in the top 32 bits of the
/// state, so that a request is counted by the same atomic operation that makes it pending: no
/// observer ever sees a request counted that was then refused, or delivered before counted.
const COUNT_SHIFT: u32 = 32;
const COUNT_ONE: u64 = 1 << COUNT_SHIFT;
const COUNT_MAX: u64 = u64::MAX >> COUNT_SHIFT;

#[derive(Default)]
struct Wakeup {
    /// The waker of the code that runs in this task, stored at its first poll.
    waker: Option<Waker>,
    /// What few tasks need: boxed, so that it costs the others one pointer.
    extra: Option<Box<Extra>>,
}

#[derive(Default)]
struct Extra {
    /// The message of the latest cancel request (asyncio keeps the latest one).
    message: Option<Arc<str>>,
    /// The wakers of cancellation points that wait with a waker of their own (see [`FOREIGN`]),
    /// each registered and removed by its point ([`crate::point`]).
    foreign: crate::point_wakers::PointWakers,
}

impl Wakeup {
    fn extra(&mut self) -> &mut Extra {
        self.extra.get_or_insert_with(Box::default)
    }

    fn message(&self) -> Option<Arc<str>> {
        self.extra.as_ref().and_then(|e| e.message.clone())
    }
}

/// Where a task sits in the registry (8 bytes of its header): its shard, and its key there,
/// which changes when the shard is compacted (read and written only under the shard's lock).
/// Beside them, in the same 8 bytes (the cell's size is a measured choice), the task's poll
/// count (see [`Header::begin_poll`]).
pub(crate) struct RegistrySlot {
    pub(crate) shard: u16,
    /// How many times the task has been polled, wrapping: written only by the thread that
    /// polls it (tokio polls a task on one thread at a time), read by its awaits.
    pub(crate) polls: std::sync::atomic::AtomicU16,
    pub(crate) key: std::sync::atomic::AtomicU32,
}

/// Which kind of tokio runtime a task was spawned on, as far as taskio knows: a task spawned
/// from inside another task spawns onto the same runtime without looking it up again (tokio's
/// `Handle::try_current` clones the runtime's handle, two read-modify-writes on a count that
/// every worker shares).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Runtime {
    /// Not known (a `LocalSet`'s task): its children look the runtime up.
    Unknown,
    CurrentThread,
    MultiThread,
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
    /// When the task was spawned, as its spawner read the clock (the spawns of one poll share a
    /// reading: see `context::spawn_time`). An `Instant` as it is: turning it into 8 bytes of
    /// nanoseconds at every spawn cost 55 instructions (`duration_since`), a sixtieth of a
    /// trivial task.
    created: Instant,
    pub(crate) state: AtomicU64,
    wakeup: Mutex<Wakeup>,
    /// Where the registry lists the task (told when the task is gone).
    pub(crate) registry_slot: RegistrySlot,
}

impl Header {
    pub(crate) fn new(
        id: TaskId,
        name: Option<Cow<'static, str>>,
        parent: Option<(TaskId, TaskId)>,
        location: &'static Location<'static>,
        created: Instant,
        registry_slot: RegistrySlot,
    ) -> Self {
        Header {
            id,
            name,
            parent: parent.map(|(p, _)| p),
            root: parent.map_or(id, |(_, root)| root),
            location,
            created,
            state: AtomicU64::new(0),
            wakeup: Mutex::new(Wakeup::default()),
            registry_slot,
        }
    }

    /// Records the runtime the task runs on: only before the header is shared (`&mut`), since
    /// it writes the whole state word.
    pub(crate) fn set_runtime(&mut self, runtime: Runtime) {
        let bit = match runtime {
            Runtime::Unknown => 0,
            Runtime::CurrentThread => ON_CURRENT_THREAD,
            Runtime::MultiThread => ON_MULTI_THREAD,
        };
        self.state.store(bit, Ordering::Relaxed);
    }

    /// The runtime the task runs on (see [`Runtime`]).
    pub(crate) fn runtime(&self) -> Runtime {
        let state = self.state.load(Ordering::Relaxed);
        if state & ON_MULTI_THREAD != 0 {
            Runtime::MultiThread
        } else if state & ON_CURRENT_THREAD != 0 {
            Runtime::CurrentThread
        } else {
            Runtime::Unknown
        }
    }

    /// How long ago the task was spawned.
    pub(crate) fn age(&self) -> std::time::Duration {
        self.created.elapsed()
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

    /// Whether the task is done with a failure (an error or a panic, not a cancellation).
    pub(crate) fn failed(&self) -> bool {
        let state = self.state.load(Ordering::Acquire);
        state & COMPLETE != 0 && outcome_is_failure(state)
    }

    pub(crate) fn is_complete(&self) -> bool {
        self.state.load(Ordering::Acquire) & COMPLETE != 0
    }

    /// How many cancel requests are outstanding (asyncio's `Task.cancelling()`).
    pub(crate) fn cancelling(&self) -> u32 {
        u32::try_from(self.state.load(Ordering::Acquire) >> COUNT_SHIFT).unwrap_or(u32::MAX)
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
            if cur & FOREIGN != 0 {
                // Points wait with wakers of their own: they are woken before the request may
                // be delivered by dropping.
                next += WAKING_ONE;
            }
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
            w.extra().message = Some(m);
        }
        drop(wakeup);
        if prev & FOREIGN != 0 {
            // Wake the points that wait with wakers of their own first, and only then let the
            // request be delivered by dropping: a poll that sees `WAKING` at zero has every
            // waiting point woken before it. The task's own wake comes after, so such a poll
            // follows.
            let woke = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                self.wake_foreign();
            }));
            self.state.fetch_sub(WAKING_ONE, Ordering::AcqRel);
            if let Err(panic) = woke {
                // A waker is foreign code. If one panics, the count still comes down (else no
                // poll could ever deliver the request by dropping: a hang) and the task is
                // still woken; then the panic goes on to the caller.
                if prev & WAKER_SET != 0 {
                    self.wake();
                }
                std::panic::resume_unwind(panic);
            }
        }
        if prev & WAKER_SET != 0 {
            self.wake();
        }
        true
    }

    /// Wakes every cancellation point of this task that waits with a waker of its own (a
    /// scope's request, made on this thread, does this before it polls its code again).
    pub(crate) fn wake_foreign(&self) {
        if self.state.load(Ordering::Acquire) & FOREIGN == 0 {
            return;
        }
        // Clone outside the lock: a waker may run arbitrary code, even a cancel of this task.
        let wakers: Vec<Waker> = match &self.lock_wakeup().extra {
            Some(extra) => extra.foreign.cloned(),
            None => Vec::new(),
        };
        for w in wakers {
            w.wake();
        }
    }

    /// Registers the waker of a cancellation point that waits with a waker of its own; returns
    /// its key for [`Header::update_foreign`] and [`Header::remove_foreign`]. The caller takes
    /// the request after this (register, then look), so a request is never missed.
    pub(crate) fn add_foreign(&self, waker: &Waker) -> usize {
        let mut wakeup = self.lock_wakeup();
        let key = wakeup.extra().foreign.add(waker);
        // Set under the lock: a request that sees the flag locks after this insert.
        self.state.fetch_or(FOREIGN, Ordering::AcqRel);
        key
    }

    /// Replaces a registered point's waker (it was polled with another one).
    pub(crate) fn update_foreign(&self, key: usize, waker: &Waker) {
        self.lock_wakeup().extra().foreign.update(key, waker);
    }

    /// Removes a registered point's waker (the point was dropped or moved to another task).
    pub(crate) fn remove_foreign(&self, key: usize) {
        let mut wakeup = self.lock_wakeup();
        if let Some(extra) = &mut wakeup.extra {
            extra.foreign.remove(key);
        }
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
            let count = u32::try_from(count).unwrap_or(u32::MAX);
            let mut next = cur - COUNT_ONE;
            if count == 1 {
                // Nothing is being handled any more: a later request may be delivered by drop.
                next &= !(CANCEL_PENDING | DELIVERED);
            }
            match self
                .state
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => return count.saturating_sub(1),
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
        let mut cur = self.state.load(Ordering::Acquire);
        let prev = loop {
            if cur & CANCEL_PENDING == 0 {
                return None;
            }
            let next = (cur & !CANCEL_PENDING) | DELIVERED;
            match self
                .state
                .compare_exchange_weak(cur, next, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(prev) => break prev,
                Err(actual) => cur = actual,
            }
        };
        let message = if prev & HAS_MESSAGE != 0 {
            self.lock_wakeup().message()
        } else {
            None
        };
        Some(Cancelled::with_shared(message))
    }

    /// Whether, in `state`, a request waits that a poll which ends without taking it delivers
    /// by dropping the wait: pending, every waiting point woken for it, and the task's code not
    /// handling an earlier one.
    #[inline]
    pub(crate) fn undelivered(state: u64) -> bool {
        state & (CANCEL_PENDING | DELIVERED | WAKING_MASK) == CANCEL_PENDING
    }

    /// The state word, for [`Header::undelivered`].
    #[inline]
    pub(crate) fn load_state(&self) -> u64 {
        self.state.load(Ordering::Acquire)
    }

    /// Counts a poll of the task as it begins; gives its number. A `Task` handle that its code
    /// polls records it, to tell later whether it was still being awaited when a cancel came
    /// (see `Slot::joiner` in `cell.rs`).
    #[inline]
    pub(crate) fn begin_poll(&self) -> u16 {
        let polls = &self.registry_slot.polls;
        // Only the polling thread writes it: a load and a store, not a read-modify-write.
        let next = polls
            .load(std::sync::atomic::Ordering::Relaxed)
            .wrapping_add(1);
        polls.store(next, std::sync::atomic::Ordering::Relaxed);
        next
    }

    /// The number of the task's current (or latest) poll.
    #[inline]
    pub(crate) fn poll_number(&self) -> u16 {
        self.registry_slot
            .polls
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether the task's code is handling a delivered request (see [`DELIVERED`]).
    #[inline]
    pub(crate) fn delivered(&self) -> bool {
        self.state.load(Ordering::Acquire) & DELIVERED != 0
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
    pub(crate) fn close(&self) -> u64 {
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
    pub(crate) fn park(&self, waker: &Waker) -> u64 {
        self.lock_wakeup().waker = Some(waker.clone());
        self.state.fetch_or(WAKER_SET, Ordering::AcqRel)
    }

    /// Marks the task complete with `outcome` bits; returns the flags seen just before.
    pub(crate) fn mark_complete(&self, outcome: u64) -> u64 {
        let prev = self.state.fetch_or(COMPLETE | outcome, Ordering::AcqRel);
        if prev & WAKER_SET != 0 {
            // Release the task's own waker: nobody needs to wake a finished task.
            self.lock_wakeup().waker = None;
        }
        prev
    }

    /// Notes that the slot holds the handle's registration (see [`AWAIT_REGISTERED`]).
    pub(crate) fn mark_await_registered(&self) {
        self.state.fetch_or(AWAIT_REGISTERED, Ordering::AcqRel);
    }

    /// Marks the handle dropped; returns the flags seen just before.
    pub(crate) fn mark_detached(&self) -> u64 {
        self.state.fetch_or(DETACHED, Ordering::AcqRel)
    }

    fn lock_wakeup(&self) -> crate::sync::MutexGuard<'_, Wakeup> {
        crate::sync::lock(&self.wakeup)
    }
}
