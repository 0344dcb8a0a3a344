//! Taking results as they come: asyncio's `asyncio.as_completed(aws, timeout=...)`, as a
//! [`Stream`] of `(index, outcome)` in completion order.
//!
//! It is a [`TaskSet`] read one completion at a time: each completion costs O(1) (every task's
//! cell queues the task's index when it completes, and no task is polled), and a task's index in
//! the set is its position in the input.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_core::Stream;
use tokio::time::Instant;

use crate::context::take_cancel_at;
use crate::error::{Error, Result, TimedOut};
use crate::point::Registration;
use crate::task::Task;
use crate::task_set::TaskSet;

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
/// The stream owns its tasks. Dropping it before the end cancels every task it has not yielded
/// that is still running (the rule of its timeout: nobody would read them), as "first reply
/// wins" wants; their cleanup runs on, detached. Nothing is lost on the way: the failure of a
/// task that ended but was not yet yielded, or that fails in its cleanup, is reported as a
/// dropped [`Task`]'s is ("task '..' failed and its error was never retrieved"), exactly once.
///
/// ```
/// use std::time::Duration;
///
/// async fn fetch(mirror: &'static str, secs: u64) -> taskio::Result<&'static str> {
///     taskio::sleep(Duration::from_secs(secs)).await?;
///     Ok(mirror)
/// }
///
/// taskio::run(async {
///     let mirrors = vec![
///         taskio::spawn(fetch("eu", 30)),
///         taskio::spawn(fetch("us", 0)),
///         taskio::spawn(fetch("asia", 30)),
///     ];
///     let slow = mirrors[0].info().id;
///     let mut replies = taskio::as_completed(mirrors);
///     let (_, first) = replies.next().await.unwrap();
///     assert_eq!(first?, "us");
///     drop(replies); // the two slow mirrors are cancelled, not left running
///     taskio::checkpoint().await?;
///     assert!(taskio::all_tasks().iter().all(|t| t.id != slow));
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
///
/// A task whose outcome was already taken (awaited through `&mut`, or read with
/// [`try_result`](Task::try_result)) has nothing left to yield: its item is an error that says
/// so.
/// ```
/// use std::time::Duration;
///
/// fn main() -> taskio::Result<()> {
///     taskio::run(async {
///         let tasks: Vec<_> = [300, 100, 200]
///             .into_iter()
///             .map(|ms| taskio::spawn(async move {
///                 taskio::sleep(Duration::from_millis(ms)).await?;
///                 taskio::Ok(ms / 10)
///             }))
///             .collect();
///         let mut results = taskio::as_completed(tasks);
///         let mut order = Vec::new();
///         while let Some((index, outcome)) = results.next().await {
///             order.push((index, outcome?)); // (its position in the input, its value)
///         }
///         assert_eq!(order, [(1, 10), (2, 20), (0, 30)]);
///         taskio::Ok(())
///     })
/// }
/// ```
pub fn as_completed<T: Send + 'static>(tasks: impl IntoIterator<Item = Task<T>>) -> AsCompleted<T> {
    let set: TaskSet<T> = tasks.into_iter().collect();
    AsCompleted {
        point: Registration::default(),
        remaining: set.len(),
        set,
        ready: VecDeque::new(),
        deadline: None,
        timer: None,
        timed_out: VecDeque::new(),
        forwarded: false,
    }
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
    set: TaskSet<T>,
    point: Registration,
    /// Items not yet yielded.
    remaining: usize,
    /// Tasks the set saw done, not yet yielded, in completion order. They keep their outcome
    /// until it is yielded: a dropped stream drops them as handles, which reports an unread
    /// failure exactly once.
    ready: VecDeque<(usize, Task<T>)>,
    /// The deadline, and the duration it was given as.
    deadline: Option<(Instant, Duration)>,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
    /// Once the time is up: the items still to come, in index order, and the `TimedOut` each
    /// one yields.
    timed_out: VecDeque<(usize, TimedOut)>,
    /// The awaiter's cancellation was passed on to the tasks.
    forwarded: bool,
}

impl<T: Send + 'static> AsCompleted<T> {
    /// After `duration` (measured from this call), every item not yet yielded comes out as
    /// `Err(e)` with `e.is_timed_out()`, and the tasks not yet done are cancelled. A `duration`
    /// too long to add to the clock (`Duration::MAX`) is no limit.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// taskio::run(async {
    ///     let fast = taskio::spawn(async { taskio::sleep(Duration::from_millis(10)).await });
    ///     let slow = taskio::spawn(async { taskio::sleep(Duration::from_secs(3600)).await });
    ///     let mut s = taskio::as_completed([slow, fast]).timeout(Duration::from_millis(200));
    ///     let (i, r) = s.next().await.unwrap();
    ///     assert!(i == 1 && r.is_ok());
    ///     let (i, r) = s.next().await.unwrap();
    ///     assert!(i == 0 && r.unwrap_err().is_timed_out()); // and the slow task is cancelled
    ///     assert!(s.next().await.is_none());
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn timeout(mut self, duration: Duration) -> Self {
        self.deadline = Instant::now()
            .checked_add(duration)
            .map(|at| (at, duration));
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

    /// Moves the tasks that completed since the last look into `ready`.
    fn collect(&mut self, cx: &mut Context<'_>) {
        self.set.poll_collect(cx);
        self.ready.extend(self.set.take_done_indexed());
    }

    /// The time is up: the tasks not yet done are cancelled, and each remaining item will yield
    /// a `TimedOut`.
    fn time_up(&mut self) {
        let after = self.deadline.map(|(_, d)| d);
        let timed_out = after.map_or_else(TimedOut::new, TimedOut::after_duration);
        self.set.cancel_all();
        let rest = self.set.drain_indexed();
        self.timed_out = rest
            .into_iter()
            .map(|(i, _)| (i, timed_out.clone()))
            .collect();
    }
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
        if let Some((i, timed_out)) = this.timed_out.pop_front() {
            // Time is up: the remaining items, in index order.
            this.remaining -= 1;
            return Poll::Ready(Some((i, Err(timed_out.into()))));
        }
        if !this.forwarded
            && let Some(cancelled) = take_cancel_at(&mut this.point, cx.waker())
        {
            // Like awaiting a task: the cancellation goes on to the tasks, whose real outcomes
            // (and cleanup) the stream still waits for.
            this.forwarded = true;
            let message = cancelled.message().map(Arc::<str>::from);
            this.set.cancel_each(message.as_ref());
        }
        if this.ready.is_empty() {
            this.collect(cx);
        }
        if let Some((i, mut task)) = this.ready.pop_front() {
            this.remaining -= 1;
            let outcome = task
                .try_result()
                .unwrap_or_else(|| Err(already_taken(&task)));
            return Poll::Ready(Some((i, outcome)));
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

/// The item of a task whose outcome someone took before the stream could.
fn already_taken<T: Send + 'static>(task: &Task<T>) -> Error {
    Error::msg(format!(
        "taskio: as_completed was given task '{}' (id {}) whose outcome had already been taken \
         (by an await or try_result): there is no outcome left to yield",
        task.name(),
        task.id()
    ))
}

impl<T> Drop for AsCompleted<T> {
    fn drop(&mut self) {
        // The stream owns the tasks it has not yielded: nobody will read those still running,
        // so they are cancelled, as at the timeout. The fields' drop then detaches every task;
        // a failure nobody read is reported there, once, as a dropped handle's.
        self.set.cancel_unyielded();
    }
}

impl<T: Send + 'static> fmt::Debug for AsCompleted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsCompleted")
            .field("remaining", &self.remaining)
            .field("timed_out", &!self.timed_out.is_empty())
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
            stream.set.polls
        })
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
