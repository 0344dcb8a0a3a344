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
//!
//! Outside any task (code under `#[tokio::main]` that awaits a `timeout` or a `gather` itself)
//! there is no task to register with: the outermost cancel scope keeps a list of its own
//! ([`Points`]), and its request wakes that.

use std::sync::Arc;
use std::task::Waker;

use crate::header::Header;
use crate::point_wakers::PointWakers;
use crate::sync::{Mutex, lock};
use crate::task_core::TaskCore;

/// Who a point registers its waker with, and whose requests wake it.
#[derive(Clone, Copy)]
pub(crate) enum RegisterWith<'a> {
    /// The task that runs the point.
    Task(&'a Arc<dyn TaskCore>),
    /// Outside any task: the outermost cancel scope around the point.
    Root(&'a Arc<Points>),
}

/// What a registration keeps of whom it [registers with](RegisterWith).
enum Held {
    Task(Arc<dyn TaskCore>),
    Root(Arc<Points>),
}

impl Held {
    fn of(owner: RegisterWith<'_>) -> Self {
        match owner {
            RegisterWith::Task(t) => Held::Task(t.clone()),
            RegisterWith::Root(r) => Held::Root(r.clone()),
        }
    }

    fn is(&self, owner: RegisterWith<'_>) -> bool {
        match (self, owner) {
            (Held::Task(a), RegisterWith::Task(b)) => Arc::ptr_eq(a, b),
            (Held::Root(a), RegisterWith::Root(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }

    fn update(&self, key: usize, waker: &Waker) {
        match self {
            Held::Task(t) => t.header().update_foreign(key, waker),
            Held::Root(r) => r.update(key, waker),
        }
    }

    fn remove(&self, key: usize) {
        match self {
            Held::Task(t) => t.header().remove_foreign(key),
            Held::Root(r) => r.remove(key),
        }
    }
}

impl RegisterWith<'_> {
    fn add(self, waker: &Waker) -> usize {
        match self {
            RegisterWith::Task(t) => {
                let header: &Header = t.header();
                header.add_foreign(waker)
            }
            RegisterWith::Root(r) => r.add(waker),
        }
    }
}

/// The wakers of the cancellation points that wait, outside any task, with wakers of their own
/// inside one outermost cancel scope (a `timeout` or a `gather` awaited under `#[tokio::main]`):
/// what a task's header keeps for its points, kept by the scope instead.
#[derive(Default)]
pub(crate) struct Points {
    wakers: Mutex<PointWakers>,
}

impl Points {
    fn add(&self, waker: &Waker) -> usize {
        lock(&self.wakers).add(waker)
    }

    fn update(&self, key: usize, waker: &Waker) {
        lock(&self.wakers).update(key, waker);
    }

    fn remove(&self, key: usize) {
        lock(&self.wakers).remove(key);
    }

    /// Wakes every registered point (the scope's request, or an enclosing one's, may concern it).
    pub(crate) fn wake_all(&self) {
        let wakers = lock(&self.wakers).cloned();
        for w in wakers {
            w.wake();
        }
    }
}

impl std::fmt::Debug for Points {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Points")
            .field("registered", &lock(&self.wakers).len())
            .finish()
    }
}

/// What one cancellation point holds: its registration with a task, while it has one.
#[derive(Default)]
pub(crate) struct Registration {
    /// Boxed: a point that never meets a foreign waker carries one null pointer.
    slot: Option<Box<Registered>>,
}

struct Registered {
    owner: Held,
    key: usize,
    /// The waker registered, to skip the lock while it does not change.
    waker: Waker,
}

impl Registration {
    /// Makes sure a request for `owner` wakes `waker` (called only with a foreign waker).
    pub(crate) fn register(&mut self, owner: RegisterWith<'_>, waker: &Waker) {
        if let Some(reg) = &mut self.slot {
            if reg.owner.is(owner) {
                if !reg.waker.will_wake(waker) {
                    reg.owner.update(reg.key, waker);
                    reg.waker.clone_from(waker);
                }
                return;
            }
            // The point moved to another task: leave the old one.
            self.clear();
        }
        let key = owner.add(waker);
        self.slot = Some(Box::new(Registered {
            owner: Held::of(owner),
            key,
            waker: waker.clone(),
        }));
    }

    /// Whether the point's waker is registered with an owner.
    pub(crate) fn is_registered(&self) -> bool {
        self.slot.is_some()
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
            reg.owner.remove(reg.key);
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
