//! The registry of live tasks behind [`all_tasks`](crate::all_tasks), `run`'s shutdown and
//! [`tree`](crate::tree).
//!
//! Spawns must not serialise through one global lock: the registry is split into shards, and
//! each thread inserts into a shard of its own (assigned round-robin the first time it spawns).
//! A task removes itself when it completes. Entries are `Weak`, so the registry never keeps a
//! finished task's output alive.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use slab::Slab;

use crate::cell::TaskCore;

const SHARDS: usize = 32;

/// A shard smaller than this (in entries) is never compacted: it costs at most ~100 KiB.
const MIN_COMPACT: usize = 4096;

/// One shard: the live tasks that threads assigned to it spawned.
struct Shard {
    tasks: Slab<Weak<dyn TaskCore>>,
    /// After a compaction that could not finish, the next one waits until fewer tasks than
    /// this are left (`usize::MAX`: no wait), so that a failing one is not retried on every
    /// removal.
    retry_below: usize,
}

static REGISTRY: [Mutex<Shard>; SHARDS] = [const {
    Mutex::new(Shard {
        tasks: Slab::new(),
        retry_below: usize::MAX,
    })
}; SHARDS];
static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static MY_SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// Where a task sits in the registry, so it can remove itself (8 bytes of every task's cell).
/// The key changes when its shard is compacted: it is read and written only under the shard's
/// lock.
pub(crate) struct Slot {
    shard: u32,
    key: AtomicU32,
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

fn lock(shard: usize) -> MutexGuard<'static, Shard> {
    REGISTRY[shard]
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

pub(crate) fn insert(task: Weak<dyn TaskCore>) -> Slot {
    let shard = my_shard();
    let key = lock(shard).tasks.insert(task);
    Slot {
        shard: shard as u32,
        key: AtomicU32::new(
            u32::try_from(key).expect("taskio: over 4 billion live tasks in one registry shard"),
        ),
    }
}

pub(crate) fn remove(slot: &Slot) {
    let mut shard = lock(slot.shard as usize);
    let removed = shard
        .tasks
        .try_remove(slot.key.load(Ordering::Relaxed) as usize);
    let moved = shard.compact_if_sparse();
    drop(shard);
    // Dropped outside the lock (a task's last reference may run its output's `Drop`).
    drop(removed);
    drop(moved);
}

impl Shard {
    /// A slab never gives back its peak capacity by itself: a million tasks spawned at once
    /// kept ~24 MiB held after they all ended. Once no more than a quarter of a large shard is
    /// live, its tasks are moved down to the lowest keys and the rest is freed. Each compaction
    /// costs O(capacity) and leaves the capacity at the live count, so the next one comes only
    /// after at least three quarters of a (grown) capacity were removed: O(1) amortised per
    /// removal, and nothing at all on the spawn path. Returns the references taken to re-key
    /// the moved tasks, for the caller to drop outside the lock.
    fn compact_if_sparse(&mut self) -> Vec<Arc<dyn TaskCore>> {
        let len = self.tasks.len();
        let capacity = self.tasks.capacity();
        if capacity < MIN_COMPACT || len >= capacity / 4 || len >= self.retry_below {
            return Vec::new();
        }
        if len == 0 {
            self.tasks = Slab::new();
            self.retry_below = usize::MAX;
            return Vec::new();
        }
        let mut moved = Vec::new();
        let mut finished = true;
        self.tasks.compact(|weak, _from, to| {
            // A task whose cell is still being built (its `Arc` not yet made) cannot be told
            // its new key: it stays, and the compaction stops there.
            let Some(task) = weak.upgrade() else {
                finished = false;
                return false;
            };
            task.header()
                .registry_slot
                .key
                .store(to as u32, Ordering::Relaxed);
            moved.push(task);
            true
        });
        self.retry_below = if finished { usize::MAX } else { len / 2 };
        moved
    }
}

/// Every live task, ordered by id.
pub(crate) fn snapshot() -> Vec<Arc<dyn TaskCore>> {
    let mut tasks = Vec::new();
    for shard in 0..SHARDS {
        let shard = lock(shard);
        tasks.extend(shard.tasks.iter().filter_map(|(_, w)| w.upgrade()));
    }
    tasks.retain(|t| !t.header().is_complete());
    tasks.sort_by_key(|t| t.header().id);
    tasks
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    /// The capacity of this thread's shard, in entries, and its live count.
    fn my_shard() -> (usize, usize) {
        let shard = super::lock(super::my_shard());
        (shard.tasks.capacity(), shard.tasks.len())
    }

    /// A million pending tasks, cancelled and reaped, left ~24 MiB of registry capacity held
    /// (the slab's peak) where tokio gives its memory back. Here 100k on the current-thread
    /// runtime (every one in this thread's shard): the capacity comes back down, and the tasks
    /// the compaction moved still remove themselves.
    #[test]
    fn the_registry_gives_back_its_peak_capacity_once_the_tasks_are_gone() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let hour = Duration::from_secs(3600);
        rt.block_on(async {
            // Long-lived tasks: one with one of the lowest keys, one with the highest.
            let low = crate::spawn(async move { crate::sleep(hour).await });
            let tasks: Vec<_> = (0..100_000)
                .map(|_| crate::spawn(async move { crate::sleep(hour).await }))
                .collect();
            let high = crate::spawn(async move { crate::sleep(hour).await });
            crate::checkpoint().await.unwrap();
            let (peak, _) = my_shard();
            assert!(peak >= 100_000, "peak capacity {peak}");
            for t in &tasks {
                t.cancel();
            }
            for t in tasks {
                assert!(t.await.unwrap_err().is_cancelled());
            }
            let (after, live) = my_shard();
            assert!(
                after < super::MIN_COMPACT,
                "capacity {after} after, {peak} at the peak"
            );
            // `high` was moved down: it still removes its own entry, not another's.
            high.cancel();
            assert!(high.await.unwrap_err().is_cancelled());
            assert_eq!(my_shard().1, live - 1);
            let listed = crate::all_tasks();
            assert!(listed.iter().any(|t| t.id == low.id()));
            low.cancel();
            assert!(low.await.unwrap_err().is_cancelled());
            assert_eq!(my_shard().1, live - 2);
        });
    }
}
