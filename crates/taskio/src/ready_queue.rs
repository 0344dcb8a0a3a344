//! The completion queue behind gather, wait, [`TaskSet`](crate::TaskSet), as_completed and
//! [`JoinSet`](crate::JoinSet): which of many children woke (or completed) since the consumer
//! last looked.
//!
//! A gather's input gets its own waker ([`Entry`]): waking it pushes the input's index onto the
//! shared [`ReadyQueue`] (once until the consumer takes it) and wakes the consumer. A task in a
//! set needs no waker: its cell holds a [`Link`] and pushes the task's index once, when it
//! completes. Either way the consumer looks only at the children in the queue, so a completion
//! costs O(1), however many children there are. This is what makes a loop of first-completed waits over n tasks O(n) in total, where
//! asyncio's is O(n²) (it re-registers a callback on every pending task at every call).

use std::sync::Arc;
use std::task::{Wake, Waker};

use crate::sync::{AtomicBool, Mutex, Ordering, lock};

/// The indices of the children that woke, and the consumer to wake when one does.
#[derive(Default)]
pub(crate) struct ReadyQueue {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    ready: Vec<usize>,
    consumer: Option<Waker>,
}

impl ReadyQueue {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(ReadyQueue::default())
    }

    /// Makes `waker` the one woken when a child wakes. Call it on every poll of the consumer,
    /// before [`drain_into`](ReadyQueue::drain_into), so that no wake-up falls in between.
    pub(crate) fn register(&self, waker: &Waker) {
        let mut inner = lock(&self.inner);
        match &inner.consumer {
            Some(w) if w.will_wake(waker) => {}
            _ => inner.consumer = Some(waker.clone()),
        }
    }

    /// The consumer is gone: later pushes wake nobody.
    pub(crate) fn forget_consumer(&self) {
        // Dropped outside the lock: a waker's `Drop` is foreign code.
        let consumer = lock(&self.inner).consumer.take();
        drop(consumer);
    }

    /// Moves the indices of the children that woke into `out` (which should be empty; its
    /// allocation is swapped in, so neither side reallocates in the steady state).
    pub(crate) fn drain_into(&self, out: &mut Vec<usize>) {
        debug_assert!(out.is_empty());
        std::mem::swap(&mut lock(&self.inner).ready, out);
    }

    /// Queues `index` and wakes the consumer if the queue was empty: what a child's [`Entry`]
    /// does when it wakes, and what a task linked to a [`JoinSet`](crate::JoinSet) does once, at
    /// completion (see [`Link`]).
    pub(crate) fn push(&self, index: usize) {
        let consumer = {
            let mut inner = lock(&self.inner);
            let first = inner.ready.is_empty();
            inner.ready.push(index);
            // The consumer is woken when the queue turns non-empty; later pushes find it woken.
            if first { inner.consumer.clone() } else { None }
        };
        if let Some(w) = consumer {
            w.wake();
        }
    }
}

/// A task's place in a consumer's queue, fired once when the task completes: the way a
/// [`JoinSet`](crate::JoinSet) learns of a completion without a waker (and its allocation) per
/// task. Kept in the task's cell from the link until the completion.
pub(crate) struct Link {
    pub(crate) queue: Arc<ReadyQueue>,
    pub(crate) index: usize,
}

impl Link {
    /// The task completed: its index goes onto the queue.
    pub(crate) fn fire(self) {
        self.queue.push(self.index);
    }
}

/// One child's waker: pushes the child's index onto the queue, at most once until the consumer
/// takes it ([`Entry::take`]).
pub(crate) struct Entry {
    queue: Arc<ReadyQueue>,
    index: usize,
    queued: AtomicBool,
}

impl Entry {
    /// A child's entry and its waker (made once, reused for every poll of the child): a spare
    /// of the same consumer's if there is one, else a new allocation.
    pub(crate) fn new(
        queue: &Arc<ReadyQueue>,
        index: usize,
        spares: &mut Spares,
    ) -> (Arc<Entry>, Waker) {
        let entry = match spares.0.pop() {
            Some(mut spare) => {
                let reused = Arc::get_mut(&mut spare).expect("taskio: a spare entry is unique");
                debug_assert!(Arc::ptr_eq(&reused.queue, queue));
                reused.index = index;
                reused.queued = AtomicBool::new(false);
                spare
            }
            None => Arc::new(Entry {
                queue: queue.clone(),
                index,
                queued: AtomicBool::new(false),
            }),
        };
        let waker = Waker::from(entry.clone());
        (entry, waker)
    }

    /// The consumer took the index from the queue and is about to poll the child: a wake-up
    /// from now on queues it again.
    pub(crate) fn take(&self) {
        self.queued.store(false, Ordering::Release);
    }
}

/// The entries of one consumer's ended children that nothing else holds any more, for children
/// that start later: a gather that runs its inputs one after another (each ready at once, or
/// under a limit) then allocates one entry, not one per input.
#[derive(Default)]
pub(crate) struct Spares(Vec<Arc<Entry>>);

impl Spares {
    /// Takes back an ended child's entry, when children are left to start: kept for reuse if
    /// no waker of it lives on elsewhere (the `Arc` is unique once `waker` is dropped), else
    /// freed.
    #[inline]
    pub(crate) fn retire(&mut self, (mut entry, waker): (Arc<Entry>, Waker)) {
        drop(waker);
        if Arc::get_mut(&mut entry).is_some() {
            self.0.push(entry);
        }
    }
}

impl Wake for Entry {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.queue.push(self.index);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    struct Count(AtomicUsize);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }

    /// A queue whose consumer counts its wake-ups.
    fn counted_queue() -> (Arc<ReadyQueue>, Arc<Count>, Spares) {
        let queue = ReadyQueue::new();
        let count = Arc::new(Count(AtomicUsize::new(0)));
        queue.register(&Waker::from(count.clone()));
        (queue, count, Spares::default())
    }

    #[test]
    fn a_child_is_queued_once_until_taken_and_the_consumer_woken_once_per_batch() {
        let (queue, count, mut spares) = counted_queue();
        let (a, wa) = Entry::new(&queue, 0, &mut spares);
        let (_b, wb) = Entry::new(&queue, 1, &mut spares);
        wa.wake_by_ref();
        wa.wake_by_ref();
        wb.wake_by_ref();
        assert_eq!(count.0.load(Ordering::SeqCst), 1);
        let mut out = Vec::new();
        queue.drain_into(&mut out);
        assert_eq!(out, [0, 1]);
        out.clear();
        wa.wake_by_ref(); // not taken yet: still counts as queued
        queue.drain_into(&mut out);
        assert!(out.is_empty());
        a.take();
        wa.wake_by_ref();
        queue.drain_into(&mut out);
        assert_eq!(out, [0]);
        assert_eq!(count.0.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn an_entry_is_reused_only_when_nothing_else_holds_its_waker() {
        let (queue, _count, mut spares) = counted_queue();
        // A waker kept elsewhere (a timer that still holds it): the entry is freed, not reused.
        let (a, wa) = Entry::new(&queue, 0, &mut spares);
        let kept = wa.clone();
        spares.retire((a, wa));
        assert!(spares.0.is_empty());
        // Nobody else holds it: reused for the next child, with that child's index, unqueued.
        let (b, wb) = Entry::new(&queue, 1, &mut spares);
        wb.wake_by_ref();
        let first = Arc::as_ptr(&b);
        spares.retire((b, wb));
        let (c, wc) = Entry::new(&queue, 2, &mut spares);
        assert_eq!(Arc::as_ptr(&c), first);
        wc.wake_by_ref();
        let mut out = Vec::new();
        queue.drain_into(&mut out);
        assert_eq!(out, [1, 2], "the reused entry queues its new child's index");
        // The stale waker of the freed entry still queues its own child, harmlessly.
        kept.wake_by_ref();
        drop((c, wc));
    }
}
