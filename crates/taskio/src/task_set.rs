//! [`TaskSet<T>`]: tasks that [`wait`](fn@crate::wait) watches, kept between calls so that a loop of
//! waits registers each task once. It is what asyncio's `wait(aws)` takes and gives back as
//! `pending`, without asyncio's cost: asyncio's `wait` adds a done-callback to every pending task
//! at every call (O(n²) over a loop of first-completed waits, cpython issue 74741); a `TaskSet`
//! links each task to its ready queue once, and each task's cell queues it when it completes: O(1)
//! per completion, and no task is polled.

use std::fmt;
use std::sync::Arc;
use std::task::Context;

use crate::ready_queue::{Link, ReadyQueue};
use crate::task::Task;

/// A set of tasks for [`wait`](fn@crate::wait): pass it to `wait`, get the tasks that are done and
/// the set of those still pending, and pass that set to `wait` again. Each task's completion is
/// noticed once, at O(1) cost, however many calls the loop makes.
///
/// Dropping the set detaches its tasks (they keep running, as dropped [`Task`]s do).
///
/// ```
/// use std::time::Duration;
///
/// fn main() -> taskio::Result<()> {
///     taskio::run(async {
///         let mut pending: taskio::TaskSet<u64> = (1..=3)
///             .map(|n| taskio::spawn(async move {
///                 taskio::sleep(Duration::from_millis(n * 100)).await?;
///                 taskio::Ok(n)
///             }))
///             .collect();
///         assert_eq!(pending.len(), 3);
///         let mut order = Vec::new();
///         while !pending.is_empty() {
///             let (done, rest) = taskio::wait(pending).first_completed().await?;
///             for task in done {
///                 order.push(task.await?);
///             }
///             pending = rest;
///         }
///         assert_eq!(order, [1, 2, 3]);
///         taskio::Ok(())
///     })
/// }
/// ```
pub struct TaskSet<T> {
    slots: Vec<Option<Slot<T>>>,
    len: usize,
    queue: Arc<ReadyQueue>,
    /// Tasks seen done and not yet handed out, in the order they were seen.
    done: Vec<usize>,
    /// Slots freed by tasks handed out, for reuse.
    free: Vec<usize>,
    /// Whether one of `done` failed (an error or a panic).
    failed: bool,
    batch: Vec<usize>,
    #[cfg(test)]
    pub(crate) polls: usize,
}

struct Slot<T> {
    task: Task<T>,
    /// Seen done (a reused slot may be queued by its former task's waker: poll it once).
    done: bool,
}

impl<T: Send + 'static> TaskSet<T> {
    /// An empty set.
    ///
    /// ```
    /// let set = taskio::TaskSet::<u8>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> Self {
        TaskSet {
            slots: Vec::new(),
            len: 0,
            queue: ReadyQueue::new(),
            done: Vec::new(),
            free: Vec::new(),
            failed: false,
            batch: Vec::new(),
            #[cfg(test)]
            polls: 0,
        }
    }

    /// Adds a task to the set.
    ///
    /// ```
    /// taskio::run(async {
    ///     let mut set = taskio::TaskSet::new();
    ///     set.push(taskio::spawn(async { taskio::Ok(1) }));
    ///     assert_eq!(set.len(), 1);
    /// });
    /// ```
    pub fn push(&mut self, task: Task<T>) {
        let index = self.free.pop().unwrap_or(self.slots.len());
        let link = Link {
            queue: self.queue.clone(),
            index,
        };
        let done_already = task.cell.link(link).is_err();
        let slot = Some(Slot { task, done: false });
        if index == self.slots.len() {
            self.slots.push(slot);
        } else {
            self.slots[index] = slot;
        }
        self.len += 1;
        if done_already {
            self.settle(index);
        }
    }

    /// How many tasks the set holds.
    ///
    /// ```
    /// assert_eq!(taskio::TaskSet::<()>::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the set holds no task.
    ///
    /// ```
    /// assert!(taskio::TaskSet::<()>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The tasks (in the order they were added, until a `wait` hands tasks out: their places are
    /// then reused).
    ///
    /// ```
    /// taskio::run(async {
    ///     let set: taskio::TaskSet<()> = vec![taskio::task().name("a").spawn(async {})].into();
    ///     assert_eq!(set.iter().map(|t| t.name().into_owned()).collect::<Vec<_>>(), ["a"]);
    /// });
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = &Task<T>> + '_ {
        self.slots.iter().flatten().map(|s| &s.task)
    }

    /// Asks every task in the set to stop ([`Task::cancel`]); returns how many were not yet done.
    ///
    /// ```
    /// use std::time::Duration;
    /// taskio::run(async {
    ///     let set: taskio::TaskSet<()> = (0..3)
    ///         .map(|_| taskio::spawn(async { taskio::sleep(Duration::from_secs(60)).await }))
    ///         .collect();
    ///     taskio::checkpoint().await?;
    ///     assert_eq!(set.cancel_all(), 3);
    ///     let (done, _) = taskio::wait(set).await?;
    ///     assert!(done.iter().all(|t| t.is_cancelled()));
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn cancel_all(&self) -> usize {
        self.cancel_each(None)
    }

    /// Cancels every task with `message` (a forwarded cancel keeps its message); returns how
    /// many were not yet done.
    pub(crate) fn cancel_each(&self, message: Option<&Arc<str>>) -> usize {
        self.iter()
            .filter(|t| match message {
                Some(m) => t.cancel_with(m.clone()),
                None => t.cancel(),
            })
            .count()
    }

    /// The tasks, as a `Vec` (in the order of [`iter`](TaskSet::iter)).
    ///
    /// ```
    /// taskio::run(async {
    ///     let set: taskio::TaskSet<u8> = vec![taskio::spawn(async { taskio::Ok(4) })].into();
    ///     let tasks: Vec<taskio::Task<u8>> = set.into_vec();
    ///     assert_eq!(taskio::gather(tasks).await?, [4]);
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn into_vec(self) -> Vec<Task<T>> {
        self.into_iter().collect()
    }

    /// Notices the tasks that completed since the last call: O(1) per completion (each task's
    /// cell queues its slot when it completes; no task is polled). Returns how many done tasks
    /// wait to be handed out.
    pub(crate) fn poll_collect(&mut self, cx: &mut Context<'_>) -> usize {
        self.queue.register(cx.waker());
        let mut batch = std::mem::take(&mut self.batch);
        self.queue.drain_into(&mut batch);
        for &i in &batch {
            self.settle(i);
        }
        batch.clear();
        self.batch = batch;
        self.done.len()
    }

    /// The slot `i` was queued: its task is done, unless the queue's entry is stale (from a task
    /// that left the set by [`drain_indexed`](TaskSet::drain_indexed) before it completed, whose
    /// slot another task has taken since), so the task itself is asked.
    fn settle(&mut self, i: usize) {
        #[cfg(test)]
        {
            self.polls += 1;
        }
        let Some(slot) = self.slots.get_mut(i).and_then(Option::as_mut) else {
            return;
        };
        if slot.done || !slot.task.is_done() {
            return;
        }
        slot.done = true;
        self.failed |= slot.task.cell.header.failed();
        self.done.push(i);
    }

    /// How many tasks are not known to be done.
    pub(crate) fn pending_len(&self) -> usize {
        self.len - self.done.len()
    }

    /// Whether a task known to be done failed (an error or a panic).
    pub(crate) fn any_failed(&self) -> bool {
        self.failed
    }

    /// Hands out the tasks known to be done, in the order they were seen done.
    pub(crate) fn take_done(&mut self) -> Vec<Task<T>> {
        self.take_done_indexed().map(|(_, task)| task).collect()
    }

    /// [`take_done`](TaskSet::take_done), with each task's place in the set: the position it
    /// was added at, as long as nothing was added after a take (`as_completed` never adds).
    pub(crate) fn take_done_indexed(&mut self) -> impl Iterator<Item = (usize, Task<T>)> + '_ {
        self.failed = false;
        let done = std::mem::take(&mut self.done);
        self.len -= done.len();
        self.free.extend_from_slice(&done);
        done.into_iter()
            .filter_map(|i| self.slots[i].take().map(|s| (i, s.task)))
    }

    /// Every task left, with its place, in the order of the places; the set is empty after.
    pub(crate) fn drain_indexed(&mut self) -> Vec<(usize, Task<T>)> {
        self.done.clear();
        self.free.clear();
        self.len = 0;
        let slots = std::mem::take(&mut self.slots);
        slots
            .into_iter()
            .enumerate()
            .filter_map(|(i, s)| s.map(|s| (i, s.task)))
            .collect()
    }
}

impl<T> TaskSet<T> {
    /// Cancels every task in the set that is not done (for a drop, where `T`'s bounds are not
    /// at hand).
    pub(crate) fn cancel_unyielded(&self) {
        for slot in self.slots.iter().flatten() {
            slot.task.cell.header.request_cancel(None);
        }
    }
}

impl<T: Send + 'static> Default for TaskSet<T> {
    fn default() -> Self {
        TaskSet::new()
    }
}

impl<T: Send + 'static> From<Vec<Task<T>>> for TaskSet<T> {
    fn from(tasks: Vec<Task<T>>) -> Self {
        tasks.into_iter().collect()
    }
}

impl<T: Send + 'static, const N: usize> From<[Task<T>; N]> for TaskSet<T> {
    fn from(tasks: [Task<T>; N]) -> Self {
        tasks.into_iter().collect()
    }
}

impl<T: Send + 'static> FromIterator<Task<T>> for TaskSet<T> {
    fn from_iter<I: IntoIterator<Item = Task<T>>>(tasks: I) -> Self {
        let mut set = TaskSet::new();
        set.extend(tasks);
        set
    }
}

impl<T: Send + 'static> Extend<Task<T>> for TaskSet<T> {
    fn extend<I: IntoIterator<Item = Task<T>>>(&mut self, tasks: I) {
        for task in tasks {
            self.push(task);
        }
    }
}

impl<T> IntoIterator for TaskSet<T> {
    type Item = Task<T>;
    type IntoIter = std::vec::IntoIter<Task<T>>;

    fn into_iter(self) -> Self::IntoIter {
        let tasks: Vec<Task<T>> = self.slots.into_iter().flatten().map(|s| s.task).collect();
        tasks.into_iter()
    }
}

impl<T: Send + 'static> fmt::Debug for TaskSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}
