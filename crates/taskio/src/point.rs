//! A cancellation point's wake-up: whatever waker a point is polled with, a cancel request wakes
//! it.
//!
//! A task's body is polled with the task's own waker, and `cancel()` wakes that one. But code
//! often polls futures with wakers of its own: `FuturesUnordered`, `buffer_unordered`,
//! `select_all`, taskio's queued gather. Such a combinator re-polls only the children whose own
//! waker fired, so a point inside it would never see the request. So a point polled with a
//! waker that is not the one its task is polled with (the *covered* waker, see
//! [`context`](crate::context)) registers that waker with its task ([`Header::add_foreign`]),
//! and a request wakes it. A point polled with the task's own waker pays nothing: one comparison
//! of two pointers.
//!
//! Register, then look: the point registers before it takes the request, so a request that
//! comes in between finds the waker.

use std::sync::Arc;
use std::task::Waker;

use crate::header::Header;
use crate::task_core::TaskCore;

/// What one cancellation point holds: its registration with a task, while it has one.
#[derive(Default)]
pub(crate) struct Registration {
    /// Boxed: a point that never meets a foreign waker carries one null pointer.
    slot: Option<Box<Registered>>,
}

struct Registered {
    task: Arc<dyn TaskCore>,
    key: usize,
    /// The waker registered, to skip the lock while it does not change.
    waker: Waker,
}

impl Registration {
    /// Makes sure a request for `task` wakes `waker` (called only with a foreign waker).
    pub(crate) fn register(&mut self, task: &Arc<dyn TaskCore>, waker: &Waker) {
        if let Some(reg) = &mut self.slot {
            if Arc::ptr_eq(&reg.task, task) {
                if !reg.waker.will_wake(waker) {
                    reg.task.header().update_foreign(reg.key, waker);
                    reg.waker.clone_from(waker);
                }
                return;
            }
            // The point moved to another task: leave the old one.
            self.clear();
        }
        let header: &Header = task.header();
        let key = header.add_foreign(waker);
        self.slot = Some(Box::new(Registered {
            task: task.clone(),
            key,
            waker: waker.clone(),
        }));
    }

    /// Leaves the task's list (the point ended, or moved). Inline: most points never
    /// registered, and pay one test of a null pointer.
    #[inline]
    pub(crate) fn clear(&mut self) {
        if self.slot.is_some() {
            self.leave();
        }
    }

    #[cold]
    fn leave(&mut self) {
        if let Some(reg) = self.slot.take() {
            reg.task.header().remove_foreign(reg.key);
        }
    }
}

impl Drop for Registration {
    #[inline]
    fn drop(&mut self) {
        self.clear();
    }
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("registered", &self.slot.is_some())
            .finish()
    }
}

/// Identity of a waker: what `Waker::will_wake` compares, as plain data for a thread-local.
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub(crate) struct WakerId(usize, usize);

impl WakerId {
    /// No waker: what the thread-local holds outside any task.
    pub(crate) const NONE: WakerId = WakerId(0, 0);

    #[inline]
    pub(crate) fn of(waker: &Waker) -> Self {
        WakerId(
            waker.data() as usize,
            std::ptr::from_ref(waker.vtable()) as usize,
        )
    }
}
