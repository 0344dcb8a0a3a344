//! The list of wakers of cancellation points that wait with wakers of their own: what a task's
//! header keeps for its points, and what the outermost cancel scope outside any task keeps
//! (`point::Points`). A request wakes every one; each point adds, updates and removes its own.

use std::task::Waker;

/// The registered wakers, by key (a `slab`: keys are reused, nothing is allocated in the
/// steady state).
#[derive(Default)]
pub(crate) struct PointWakers(slab::Slab<Waker>);

impl PointWakers {
    /// Registers `waker`; gives its key.
    pub(crate) fn add(&mut self, waker: &Waker) -> usize {
        self.0.insert(waker.clone())
    }

    /// Replaces the waker at `key` (its point was polled with another one).
    pub(crate) fn update(&mut self, key: usize, waker: &Waker) {
        if let Some(w) = self.0.get_mut(key) {
            w.clone_from(waker);
        }
    }

    /// Removes the waker at `key` (its point ended, or moved).
    pub(crate) fn remove(&mut self, key: usize) {
        self.0.try_remove(key);
    }

    /// Copies of every waker, to wake once the lock that guards the list is released: a waker
    /// is foreign code, and may even make a request that takes that lock.
    pub(crate) fn cloned(&self) -> Vec<Waker> {
        self.0.iter().map(|(_, w)| w.clone()).collect()
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }
}
