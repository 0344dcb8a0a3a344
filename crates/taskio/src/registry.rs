//! The registry of live tasks behind [`all_tasks`](crate::all_tasks), `run`'s shutdown and
//! [`tree`](crate::tree).
//!
//! Spawns must not serialise through one global lock: the registry is split into shards, and
//! each thread inserts into a shard of its own (assigned round-robin the first time it spawns).
//! Entries are `Weak`, so the registry never keeps a finished task's output alive, and a task
//! that ends touches no shard's lock: its entry is swept out later, in a batch (see [`Shard`]).

use std::cell::Cell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

use crate::task_core::TaskCore;

const SHARDS: usize = 32;

/// A shard sweeps once this many of its tasks have died, or half as many as it lists (as of its
/// last sweep, or of the last doubling of its list), whichever is more: a sweep costs
/// O(entries), so it is O(1) amortised per death (a few entries looked at per death), and a
/// shard holds at most about as many dead tasks' allocations as live ones, or this many (a
/// crowd that dies is given back in halving sweeps, down to this).
const MIN_SWEEP: usize = 256;

/// One shard: the tasks that threads assigned to it spawned. Entries are not removed when a
/// task ends (that would take the spawning thread's lock, and its cache line, on whichever
/// thread the task ends on): a dead task's entry, a `Weak` whose task is gone, is swept out
/// later, in a batch, by the thread whose task's death makes the count reach `sweep_at`.
/// Until then the entry holds the task's allocation (not its contents, which are dropped at
/// once), so memory stays bounded by the sweep rule.
struct Shard {
    /// The spawning thread's line.
    tasks: Padded<Mutex<Vec<Weak<dyn TaskCore>>>>,
    /// The dying threads' line: tasks of this shard that died since its last sweep
    /// (approximate, a few off at most: it only decides when to sweep), and when to sweep.
    deaths: Padded<Deaths>,
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
        tasks: Padded(Mutex::new(Vec::new())),
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
pub(crate) fn my_shard() -> u32 {
    MY_SHARD
        .try_with(|s| {
            let mut shard = s.get();
            if shard == usize::MAX {
                shard = NEXT_SHARD.fetch_add(1, Ordering::Relaxed) % SHARDS;
                s.set(shard);
            }
            shard as u32
        })
        .unwrap_or(0)
}

fn lock(shard: &Shard) -> MutexGuard<'_, Vec<Weak<dyn TaskCore>>> {
    shard.tasks.0.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Lists `task` in `shard` (the one [`my_shard`] gave when its header was made).
pub(crate) fn insert(shard: u32, task: Weak<dyn TaskCore>) {
    let shard = &REGISTRY[shard as usize];
    let mut tasks = lock(shard);
    tasks.push(task);
    let len = tasks.len();
    drop(tasks);
    // A crowd spawned at once raises the threshold as it grows (at each doubling, so rarely),
    // so that its deaths are not swept 256 at a time with a scan of the whole crowd each.
    if len.is_power_of_two() && len >= 2 * MIN_SWEEP {
        shard.deaths.0.sweep_at.fetch_max(len / 2, Ordering::Relaxed);
    }
}

/// A task of `shard` is gone (its last reference was dropped): counted, and the shard swept
/// when enough are. Never waits for the shard's lock: if another thread holds it, a later death
/// sweeps.
pub(crate) fn died(shard: u32) {
    let shard = &REGISTRY[shard as usize];
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
    sweep(deaths, &mut tasks);
}

/// Removes the entries of dead tasks. Dropping such a `Weak` frees the task's allocation and
/// runs no user code, so it is done under the lock. A `Vec` never gives back its peak capacity
/// by itself (a million tasks spawned at once would keep ~16 MiB): a mostly empty one shrinks.
fn sweep(deaths: &Deaths, tasks: &mut Vec<Weak<dyn TaskCore>>) {
    deaths.dead.store(0, Ordering::Relaxed);
    tasks.retain(|task| task.strong_count() > 0);
    let live = tasks.len();
    if tasks.capacity() > 4 * live.max(MIN_SWEEP) {
        tasks.shrink_to(2 * live);
    }
    deaths
        .sweep_at
        .store((live / 2).max(MIN_SWEEP), Ordering::Relaxed);
}

/// Every live task, ordered by id.
pub(crate) fn snapshot() -> Vec<Arc<dyn TaskCore>> {
    let mut tasks = Vec::new();
    for shard in &REGISTRY {
        tasks.extend(lock(shard).iter().filter_map(Weak::upgrade));
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
        let tasks = super::lock(&super::REGISTRY[super::my_shard() as usize]);
        (tasks.capacity(), tasks.len())
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

    /// Tasks that end on other threads than their spawner's are swept too (by whichever thread
    /// drops their last reference).
    #[test]
    fn dead_tasks_of_another_threads_shard_are_swept() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .build()
            .unwrap();
        rt.block_on(async {
            for _ in 0..20 {
                let tasks: Vec<_> = (0..10_000u32)
                    .map(|i| crate::spawn(async move { crate::Ok(i) }))
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            }
            let (_, len) = my_shard();
            assert!(len <= 2 * super::MIN_SWEEP, "{len} entries left");
        });
    }
}
