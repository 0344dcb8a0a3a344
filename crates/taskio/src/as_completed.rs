//! Taking results as they come: asyncio's `asyncio.as_completed(aws, timeout=...)`, as a
//! [`Stream`](futures_core::Stream) of `(index, outcome)` in completion order.
//!
//! Each completion costs O(1): every task has its own waker, which queues the task's index when
//! it completes, and only queued tasks are polled.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_core::Stream;
use tokio::time::Instant;

use crate::context::take_cancel;
use crate::error::{Result, TimedOut};
use crate::ready_queue::{Entry, ReadyQueue};
use crate::task::Task;

/// Yields each task's outcome as it completes: asyncio's `as_completed`. The stream's items are
/// `(index, taskio::Result<T>)`, `index` being the task's position in `tasks`.
///
/// With [`timeout`](AsCompleted::timeout), once the time is up every remaining item comes out at
/// once as `Err(e)` with `e.is_timed_out()`, in index order, and the remaining tasks are
/// cancelled (asyncio leaves them running, unobserved; taskio does not leave work running that
/// nobody will read).
///
/// Taking the next item is a cancellation point that forwards, like awaiting a task: if the
/// awaiting task is cancelled while it waits for the next item, every remaining task is cancelled
/// and the stream goes on yielding their real outcomes (typically `Err(Cancelled)`) as they end,
/// so their cleanup is awaited, not orphaned.
///
/// Besides `Stream` (for `StreamExt` and friends), the stream has its own
/// [`next`](AsCompleted::next).
///
/// ```
/// use std::time::Duration;
///
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// let tasks: Vec<_> = [3, 1, 2]
///     .into_iter()
///     .map(|s| taskio::spawn(async move {
///         taskio::sleep(Duration::from_secs(s)).await?;
///         taskio::Ok(s * 10)
///     }))
///     .collect();
/// let mut results = taskio::as_completed(tasks);
/// let mut order = Vec::new();
/// while let Some((index, outcome)) = results.next().await {
///     order.push((index, outcome?));
/// }
/// assert_eq!(order, [(1, 10), (2, 20), (0, 30)]);
/// # taskio::Ok(()) }).unwrap();
/// ```
pub fn as_completed<T: Send + 'static>(tasks: impl IntoIterator<Item = Task<T>>) -> AsCompleted<T> {
    let queue = ReadyQueue::new();
    let slots: Vec<Option<Slot<T>>> = tasks
        .into_iter()
        .enumerate()
        .map(|(i, task)| {
            let (entry, waker) = Entry::new(&queue, i);
            Some(Slot { task, entry, waker })
        })
        .collect();
    AsCompleted {
        remaining: slots.len(),
        fresh: 0,
        slots,
        queue,
        ready: VecDeque::new(),
        batch: Vec::new(),
        deadline: None,
        timer: None,
        timed_out: None,
        cursor: 0,
        forwarded: false,
    }
}

struct Slot<T> {
    task: Task<T>,
    entry: Arc<Entry>,
    waker: Waker,
}

/// The stream of [`as_completed`].
///
/// ```
/// taskio::run(async {
///     let mut s: taskio::AsCompleted<u8> = taskio::as_completed([taskio::spawn(async { taskio::Ok(1) })]);
///     assert_eq!(s.len(), 1);
///     let (i, r) = s.next().await.unwrap();
///     assert_eq!((i, r?), (0, 1));
///     assert!(s.next().await.is_none());
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct AsCompleted<T> {
    slots: Vec<Option<Slot<T>>>,
    /// Items not yet yielded.
    remaining: usize,
    /// Tasks below this index have been polled with their own waker.
    fresh: usize,
    queue: Arc<ReadyQueue>,
    ready: VecDeque<(usize, Result<T>)>,
    batch: Vec<usize>,
    /// The deadline, and the duration it was given as.
    deadline: Option<(Instant, Duration)>,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    /// Set once the time is up: the `TimedOut` each remaining item yields.
    timed_out: Option<TimedOut>,
    /// Where the time-up items continue, in index order.
    cursor: usize,
    /// The awaiter's cancellation was passed on to the tasks.
    forwarded: bool,
}

impl<T: Send + 'static> AsCompleted<T> {
    /// After `duration` (measured from this call), every item not yet yielded comes out as
    /// `Err(e)` with `e.is_timed_out()`, and the tasks not yet done are cancelled.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
    /// let fast = taskio::spawn(async { taskio::sleep(Duration::from_secs(1)).await });
    /// let slow = taskio::spawn(async { taskio::sleep(Duration::from_secs(9)).await });
    /// let mut s = taskio::as_completed([slow, fast]).timeout(Duration::from_secs(2));
    /// let (i, r) = s.next().await.unwrap();
    /// assert!(i == 1 && r.is_ok());
    /// let (i, r) = s.next().await.unwrap();
    /// assert!(i == 0 && r.unwrap_err().is_timed_out());
    /// assert!(s.next().await.is_none());
    /// # });
    /// ```
    pub fn timeout(mut self, duration: Duration) -> Self {
        self.deadline = Some((Instant::now() + duration, duration));
        self
    }

    /// How many items are still to come.
    ///
    /// ```
    /// taskio::run(async {
    ///     let s = taskio::as_completed(Vec::<taskio::Task<()>>::new());
    ///     assert_eq!(s.len(), 0);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.remaining
    }

    /// Whether every item has been yielded.
    ///
    /// ```
    /// taskio::run(async {
    ///     assert!(taskio::as_completed(Vec::<taskio::Task<()>>::new()).is_empty());
    /// });
    /// ```
    pub fn is_empty(&self) -> bool {
        self.remaining == 0
    }

    /// The next item, `None` when all have been yielded (the same as `StreamExt::next`).
    ///
    /// ```
    /// taskio::run(async {
    ///     let mut s = taskio::as_completed([taskio::spawn(async { taskio::Ok(2) })]);
    ///     assert_eq!(s.next().await.map(|(i, r)| (i, r.unwrap())), Some((0, 2)));
    /// });
    /// ```
    pub async fn next(&mut self) -> Option<(usize, Result<T>)> {
        std::future::poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    fn poll_slot(&mut self, i: usize) {
        #[cfg(test)]
        POLLS.with(|p| p.set(p.get() + 1));
        let Some(slot) = &mut self.slots[i] else {
            return;
        };
        let mut cx = Context::from_waker(&slot.waker);
        if let Poll::Ready(outcome) = slot.task.poll_unforwarded(&mut cx) {
            self.slots[i] = None;
            self.ready.push_back((i, outcome));
        }
    }

    fn time_up(&mut self) {
        let after = self.deadline.map(|(_, d)| d);
        self.timed_out = Some(after.map_or_else(TimedOut::new, TimedOut::after_duration));
        for slot in self.slots.iter().flatten() {
            slot.task.cancel();
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Polls of tasks by as_completed on this thread (for the linearity test).
    static POLLS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

// Nothing in the stream is pinned: the values wait in a queue, and are only ever moved.
impl<T> Unpin for AsCompleted<T> {}

impl<T: Send + 'static> Stream for AsCompleted<T> {
    type Item = (usize, Result<T>);

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        if this.remaining == 0 {
            return Poll::Ready(None);
        }
        if let Some(timed_out) = &this.timed_out {
            // Time is up: the remaining items, in index order.
            let error = timed_out.clone();
            while this.cursor < this.slots.len() {
                let i = this.cursor;
                this.cursor += 1;
                if this.slots[i].take().is_some() {
                    this.remaining -= 1;
                    return Poll::Ready(Some((i, Err(error.into()))));
                }
            }
            unreachable!("taskio: as_completed counted an item it does not have");
        }
        if !this.forwarded
            && let Some(cancelled) = take_cancel()
        {
            // Like awaiting a task: the cancellation goes on to the tasks, whose real outcomes
            // (and cleanup) the stream still waits for.
            this.forwarded = true;
            let message = cancelled.message().map(Arc::<str>::from);
            for slot in this.slots.iter().flatten() {
                match &message {
                    Some(m) => slot.task.cancel_with(m.clone()),
                    None => slot.task.cancel(),
                };
            }
        }
        if let Some(item) = this.ready.pop_front() {
            this.remaining -= 1;
            return Poll::Ready(Some(item));
        }
        this.queue.register(cx.waker());
        while this.fresh < this.slots.len() {
            let i = this.fresh;
            this.fresh += 1;
            this.poll_slot(i);
        }
        let mut batch = std::mem::take(&mut this.batch);
        this.queue.drain_into(&mut batch);
        for &i in &batch {
            if let Some(slot) = &this.slots[i] {
                slot.entry.take();
                this.poll_slot(i);
            }
        }
        batch.clear();
        this.batch = batch;
        if let Some(item) = this.ready.pop_front() {
            this.remaining -= 1;
            return Poll::Ready(Some(item));
        }
        if let Some((deadline, _)) = this.deadline {
            let timer = this
                .timer
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
            if timer.as_mut().poll(cx).is_ready() {
                this.time_up();
                return Pin::new(this).poll_next(cx);
            }
        }
        Poll::Pending
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl<T: Send + 'static> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.remaining)
            .field("timed_out", &self.timed_out.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    /// Polls of tasks made while taking the outcomes of `n` tasks that finish one by one.
    fn polls_for_taking_all(n: u64) -> usize {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        super::POLLS.with(|p| p.set(0));
        rt.block_on(async move {
            let tasks: Vec<_> = (0..n)
                .map(|i| {
                    crate::spawn(async move {
                        crate::sleep(Duration::from_millis(i + 1)).await?;
                        crate::Ok(i)
                    })
                })
                .collect();
            let mut stream = super::as_completed(tasks);
            let mut expected = 0;
            while let Some((i, outcome)) = stream.next().await {
                assert_eq!((i as u64, outcome.unwrap()), (expected, expected));
                expected += 1;
            }
            assert_eq!(expected, n);
        });
        super::POLLS.with(|p| p.get())
    }

    #[test]
    fn taking_every_outcome_polls_each_task_about_twice_however_many() {
        let small = polls_for_taking_all(4_000);
        let large = polls_for_taking_all(20_000);
        assert!(small <= 2 * 4_000, "{small} polls for 4k tasks");
        assert!(large <= 2 * 20_000, "{large} polls for 20k tasks");
        let ratio = large as f64 / small as f64;
        assert!((4.5..=5.5).contains(&ratio), "ratio {ratio}");
    }
}
