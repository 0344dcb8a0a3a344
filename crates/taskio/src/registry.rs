//! The registry of live tasks behind [`all_tasks`](crate::all_tasks), `run`'s shutdown and
//! [`tree`](crate::tree).
//!
//! Spawns must not serialise through one global lock: the registry is split into shards, and
//! each thread inserts into a shard of its own (assigned round-robin the first time it spawns).
//! A task removes itself when it completes. Entries are `Weak`, so the registry never keeps a
//! finished task's output alive.

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use slab::Slab;

use crate::cell::TaskCore;

const SHARDS: usize = 32;

static REGISTRY: [Mutex<Slab<Weak<dyn TaskCore>>>; SHARDS] =
    [const { Mutex::new(Slab::new()) }; SHARDS];
static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static MY_SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Where a task sits in the registry, so it can remove itself (8 bytes of every task's cell).
pub(crate) struct Slot {
    shard: u32,
    key: u32,
}

fn my_shard() -> usize {
    MY_SHARD
        .try_with(|s| {
            let mut shard = s.get();
            if shard == usize::MAX {
                shard = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
                s.set(shard);
            }
            shard
        })
        .unwrap_or(0)
}

pub(crate) fn insert(task: Weak<dyn TaskCore>) -> Slot {
    let shard = my_shard();
    let key = REGISTRY[shard]
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(task);
    Slot {
        shard: shard as u32,
        key: u32::try_from(key).expect("taskio: over 4 billion live tasks in one registry shard"),
    }
}

pub(crate) fn remove(slot: &Slot) {
    let removed = REGISTRY[slot.shard as usize]
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .try_remove(slot.key as usize);
    // Dropped outside the lock.
    drop(removed);
}

/// Every live task, ordered by id.
pub(crate) fn snapshot() -> Vec<Arc<dyn TaskCore>> {
    let mut tasks = Vec::new();
    for shard in &REGISTRY {
        let shard = shard.lock().unwrap_or_else(PoisonError::into_inner);
        tasks.extend(shard.iter().filter_map(|(_, w)| w.upgrade()));
    }
    tasks.retain(|t| !t.header().is_complete());
    tasks.sort_by_key(|t| t.header().id);
    tasks
}
