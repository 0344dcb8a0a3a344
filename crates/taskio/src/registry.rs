//! The registry of live tasks behind [`all_tasks`](crate::all_tasks), `run`'s shutdown and
//! [`tree`](crate::tree).
//!
//! Spawns must not serialise through one global lock: the registry is split into shards, and
//! each thread inserts into a shard of its own (assigned round-robin the first time it spawns).
//! Entries are `Weak`, so the registry never keeps a finished task's output alive; a task that
//! dies on another thread than its shard's takes no lock there (see [`Shard`]).

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use slab::Slab;

use crate::header::RegistrySlot as Slot;
use crate::task_core::TaskCore;

const SHARDS: usize = 32;

/// A shard sweeps once this many of its tasks have died on other threads, or half as many as
/// it lists (as of its last sweep, or of the last doubling of its list), whichever is more: a
/// sweep costs O(entries), so it is O(1) amortised per death, and a shard holds at most about as
/// many dead tasks' allocations as live ones, or this many.
const MIN_SWEEP: usize = 256;

/// A shard smaller than this (in entries) is never compacted: it costs at most ~100 KiB.
const MIN_COMPACT: usize = 4096;

/// One shard: the tasks that threads assigned to it spawned.
///
/// A task leaves its shard when its last reference goes. On a thread of the shard (in the
/// usual case the spawning thread, which awaited the task and dropped its handle) it removes
/// its own entry at once, under a lock nobody else wants. On another thread (a detached task
/// that a worker completed) it takes no lock: it counts a death on the shard's second cache
/// line, and the thread whose death reaches `sweep_at` sweeps the dead entries in a batch
/// (a try-lock: it never waits). Until then such an entry holds the task's allocation (not its
/// contents, which are dropped at once).
struct Shard {
    /// The spawning thread's line.
    tasks: Padded<Mutex<Tasks>>,
    /// The other threads' line: deaths since the last sweep (approximate, a few off at most: it
    /// only decides when to sweep), and when to sweep.
    deaths: Padded<Deaths>,
}

struct Tasks {
    entries: Slab<Weak<dyn TaskCore>>,
    /// After a compaction that could not finish, the next one waits until fewer tasks than
    /// this are left (`usize::MAX`: no wait), so that a failing one is not retried every time.
    retry_below: usize,
}

struct Deaths {
    dead: AtomicUsize,
    sweep_at: AtomicUsize,
}

/// A value on cache lines of its own, so that the threads that write it do not slow down
/// the ones that use its neighbours.
#[repr(align(128))]
struct Padded<T>(T);

static REGISTRY: [Shard; SHARDS] = [const {
    Shard {
        tasks: Padded(Mutex::new(Tasks {
            entries: Slab::new(),
            retry_below: usize::MAX,
        })),
        deaths: Padded(Deaths {
            dead: AtomicUsize::new(0),
            sweep_at: AtomicUsize::new(MIN_SWEEP),
        }),
    }
}; SHARDS];
static NEXT_SHARD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static MY_SHARD: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// The shard this thread's spawns go to (assigned round-robin the first time it spawns).
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

fn lock(shard: &Shard) -> MutexGuard<'_, Tasks> {
    shard.tasks.0.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A place in this thread's shard, for a task about to be made; [`insert`] fills it in.
pub(crate) fn slot() -> Slot {
    Slot {
        // SHARDS is 32: a shard's index fits in 16 bits.
        shard: my_shard() as u16,
        polls: std::sync::atomic::AtomicU16::new(0),
        key: AtomicU32::new(u32::MAX),
    }
}

/// Lists `task` (whose cell is made, so a sweep sees it live) at `slot`.
pub(crate) fn insert(slot: &Slot, task: Weak<dyn TaskCore>) {
    let shard = &REGISTRY[slot.shard as usize];
    let mut tasks = lock(shard);
    let key = tasks.entries.insert(task);
    // Under the lock, as every other read and write of the key.
    slot.key.store(
        u32::try_from(key).expect("taskio: over 4 billion live tasks in one registry shard"),
        Ordering::Relaxed,
    );
    let len = tasks.entries.len();
    drop(tasks);
    // A crowd spawned at once raises the threshold as it grows (at each doubling, so rarely),
    // so that its deaths elsewhere are not swept 256 at a time with a scan of the whole crowd.
    if len.is_power_of_two() && len >= 2 * MIN_SWEEP {
        shard
            .deaths
            .0
            .sweep_at
            .fetch_max(len / 2, Ordering::Relaxed);
    }
}

/// The task at `addr` (its cell), listed at `slot`, is gone: its last reference was dropped.
pub(crate) fn died(slot: &Slot, addr: *const ()) {
    let shard = &REGISTRY[slot.shard as usize];
    let mine = MY_SHARD.try_with(Cell::get).ok() == Some(slot.shard as usize);
    if mine {
        let mut tasks = lock(shard);
        let key = slot.key.load(Ordering::Relaxed) as usize;
        // Only its own entry: a sweep on another thread may have taken it already (its strong
        // count is zero), and a task spawned since may have its key.
        if tasks
            .entries
            .get(key)
            .is_some_and(|w| std::ptr::addr_eq(w.as_ptr(), addr))
        {
            drop(tasks.entries.remove(key));
        }
        let moved = tasks.compact_if_sparse();
        drop(tasks);
        drop(moved);
        return;
    }
    let deaths = &shard.deaths.0;
    let dead = deaths.dead.fetch_add(1, Ordering::Relaxed) + 1;
    if dead < deaths.sweep_at.load(Ordering::Relaxed) {
        return;
    }
    let mut tasks = match shard.tasks.0.try_lock() {
        Ok(tasks) => tasks,
        Err(std::sync::TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => return,
    };
    deaths.dead.store(0, Ordering::Relaxed);
    // Dropping a dead task's `Weak` frees its allocation and runs no user code: under the lock.
    tasks.entries.retain(|_, task| task.strong_count() > 0);
    let live = tasks.entries.len();
    deaths
        .sweep_at
        .store((live / 2).max(MIN_SWEEP), Ordering::Relaxed);
    let moved = tasks.compact_if_sparse();
    drop(tasks);
    drop(moved);
}

impl Tasks {
    /// A slab never gives back its peak capacity by itself: a million tasks spawned at once
    /// kept ~24 MiB held after they all ended. Once no more than a quarter of a large shard is
    /// live, its tasks are moved down to the lowest keys and the rest is freed. Each compaction
    /// costs O(capacity) and leaves the capacity at the live count, so the next one comes only
    /// after at least three quarters of a (grown) capacity were removed: O(1) amortised per
    /// removal. Returns the references taken to re-key the moved tasks, for the caller to drop
    /// outside the lock.
    fn compact_if_sparse(&mut self) -> Vec<Arc<dyn TaskCore>> {
        let len = self.entries.len();
        let capacity = self.entries.capacity();
        if capacity < MIN_COMPACT || len >= capacity / 4 || len >= self.retry_below {
            return Vec::new();
        }
        if len == 0 {
            self.entries = Slab::new();
            self.retry_below = usize::MAX;
            return Vec::new();
        }
        let mut moved = Vec::new();
        let mut finished = true;
        self.entries.compact(|weak, _from, to| {
            // A task that is being dropped (its last reference gone, its entry not yet
            // removed) needs no new key: it stays, and the compaction stops there.
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
    for shard in &REGISTRY {
        tasks.extend(lock(shard).entries.iter().filter_map(|(_, w)| w.upgrade()));
    }
    tasks.retain(|t| !t.header().is_complete());
    tasks.sort_by_key(|t| t.header().id);
    tasks
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    /// This thread's shard: its capacity and length, in entries.
    fn my_shard() -> (usize, usize) {
        let tasks = super::lock(&super::REGISTRY[super::my_shard()]);
        (tasks.entries.capacity(), tasks.entries.len())
    }

    /// A million pending tasks, cancelled and reaped, left ~24 MiB of registry capacity held
    /// (the peak) where tokio gives its memory back. Here 100k on the current-thread runtime
    /// (every one in this thread's shard): the entries of dead tasks are swept out as they die
    /// and the capacity comes back down; the tasks still alive stay listed.
    #[test]
    fn the_registry_sweeps_dead_tasks_and_gives_back_its_peak_capacity() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let hour = Duration::from_secs(3600);
        rt.block_on(async {
            // Long-lived tasks: one listed before the crowd, one after.
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
            let (after, len) = my_shard();
            assert!(
                len <= 2 * super::MIN_SWEEP && after <= 8 * super::MIN_SWEEP,
                "{len} entries in a capacity of {after} after, {peak} at the peak"
            );
            let listed = crate::all_tasks();
            assert!(listed.iter().any(|t| t.id == low.id()));
            assert!(listed.iter().any(|t| t.id == high.id()));
            let ids = [low.id(), high.id()];
            for t in [low, high] {
                t.cancel();
                assert!(t.await.unwrap_err().is_cancelled());
            }
            // (Other tests of this binary run beside this one: only these two are looked for.)
            assert!(!crate::all_tasks().iter().any(|t| ids.contains(&t.id)));
        });
    }

    /// Detached tasks that a worker completes die on another thread than their shard's: they
    /// take no lock there, and are swept out in batches (without sweeping, 200k entries would
    /// be left).
    #[test]
    fn tasks_that_die_on_other_threads_are_swept_in_batches() {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicUsize, Ordering};
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_time()
            .build()
            .unwrap();
        rt.block_on(async {
            let done = Arc::new(AtomicUsize::new(0));
            for round in 1..=20 {
                for _ in 0..10_000 {
                    let done = done.clone();
                    drop(crate::spawn(async move {
                        done.fetch_add(1, Ordering::Relaxed);
                        crate::Ok(())
                    }));
                }
                while done.load(Ordering::Relaxed) < round * 10_000 {
                    tokio::task::yield_now().await;
                }
            }
            // The last ones may still be leaving their cells on the workers.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            let (_, len) = my_shard();
            assert!(len <= 20_000, "{len} entries left of 200k dead tasks");
        });
    }
}
