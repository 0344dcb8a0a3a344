//! [`JoinSet<T>`]: a set of taskio tasks that a long-lived loop spawns into and reaps as they
//! complete (tokio's `JoinSet`, asyncio's "keep a set of tasks and `wait(FIRST_COMPLETED)` on
//! it"). Outcomes come out one at a time, in completion order, at O(1) per completion: each task
//! is linked to the set when it joins, and its cell puts its key on the set's ready queue when it
//! completes, so the set never polls a task that is not done and keeps no waker per task. Keys
//! are reused, so a server that spawns and reaps forever allocates nothing for the set in the
//! steady state. The set owns its tasks: dropping it aborts them.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures_core::Stream;
use slab::Slab;

use crate::error::{Error, Result};
use crate::handle::TaskHandle;
use crate::id::TaskId;
use crate::output::TaskOutput;
use crate::ready_queue::{Link, ReadyQueue};
use crate::spawn::Builder;
use crate::task::Task;

/// Tasks spawned into a set and taken out as they complete: tokio's `JoinSet` for taskio tasks.
///
/// - [`spawn`](JoinSet::spawn) (or [`push`](JoinSet::push) an existing [`Task`]) at any time,
///   also between two polls of a [`join_next`](JoinSet::join_next) in a `select!` loop.
/// - [`join_next`](JoinSet::join_next) gives the next outcome in completion order (`None` once
///   the set is empty); the set is also a [`Stream`] of outcomes. O(1) per completion, however
///   many tasks the set holds.
/// - [`cancel_all`](JoinSet::cancel_all) asks every task to stop (cooperatively: they run their
///   cleanup, and their outcomes still come out of `join_next`); [`abort_all`](JoinSet::abort_all)
///   stops them at once; [`shutdown`](JoinSet::shutdown) cancels all and waits for all.
///
/// **Dropping the set aborts every task still in it** ([`Task::abort`]): no task outlives the
/// set by accident (taskio's "no orphans", and tokio's `JoinSet` rule). A drop cannot await, so
/// the tasks get no async cleanup, only `Drop`; to let them clean up, call
/// [`shutdown`](JoinSet::shutdown) first. A task that failed and whose outcome was never taken
/// is reported through `tracing` when the set drops it, as a dropped [`Task`] is.
///
/// `join_next` is not a cancellation point: its `Option<Result<T>>` has no room to tell a cancel
/// of the awaiting task from one of the tasks in the set. A cancel of the awaiting task reaches
/// a loop around it as it reaches any non-taskio wait.
///
/// ```
/// use std::time::Duration;
///
/// taskio::run(async {
///     let mut set = taskio::JoinSet::new();
///     for n in [3u64, 1, 2] {
///         set.spawn(async move {
///             taskio::sleep(Duration::from_millis(n * 100)).await?;
///             taskio::Ok(n)
///         });
///     }
///     let mut order = Vec::new();
///     while let Some(outcome) = set.join_next().await {
///         let n = outcome?;
///         if n == 1 {
///             set.spawn(async { taskio::Ok(0) }); // spawn while reaping
///         }
///         order.push(n);
///     }
///     assert_eq!(order, [1, 0, 2, 3]);
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
pub struct JoinSet<T> {
    tasks: Slab<Task<T>>,
    /// Where each task's cell puts its key when it completes (each task is linked at push, and
    /// fires once): a completion costs one push, and nothing per task is allocated.
    queue: Arc<ReadyQueue>,
    /// Keys of done tasks whose outcome has not been taken yet, in completion order: taken from
    /// the queue, or done already when they were pushed.
    done: VecDeque<usize>,
    /// What the queue hands over (its allocation swapped back and forth, never reallocated).
    drained: Vec<usize>,
    #[cfg(test)]
    takes: usize,
}

impl<T: Send + 'static> JoinSet<T> {
    /// An empty set.
    ///
    /// ```
    /// let set = taskio::JoinSet::<u8>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> Self {
        JoinSet {
            tasks: Slab::new(),
            queue: ReadyQueue::new(),
            done: VecDeque::new(),
            drained: Vec::new(),
            #[cfg(test)]
            takes: 0,
        }
    }

    /// How many tasks the set holds (done ones not yet taken included).
    ///
    /// ```
    /// taskio::run(async {
    ///     let mut set = taskio::JoinSet::new();
    ///     set.spawn(async {});
    ///     assert_eq!(set.len(), 1);
    /// });
    /// ```
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether the set holds no task.
    ///
    /// ```
    /// assert!(taskio::JoinSet::<()>::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Spawns `future` as a task of the set (see [`spawn`](crate::spawn())); returns a
    /// [`TaskHandle`] to it (the outcome comes out of [`join_next`](JoinSet::join_next)).
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime, as [`spawn`](crate::spawn()) does.
    ///
    /// ```
    /// taskio::run(async {
    ///     let mut set = taskio::JoinSet::new();
    ///     let h = set.spawn(async { taskio::Ok(1) });
    ///     assert_eq!(set.join_next().await.unwrap()?, 1);
    ///     assert!(h.is_done());
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> TaskHandle
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput<Value = T>,
    {
        self.push(Builder::new().spawn(future))
    }

    /// [`spawn`](JoinSet::spawn) with options: a name, eager start.
    ///
    /// ```
    /// taskio::run(async {
    ///     let mut set = taskio::JoinSet::new();
    ///     let h = set.spawn_with(taskio::task().name("conn-1"), async { taskio::Ok(()) });
    ///     assert_eq!(h.name(), "conn-1");
    ///     set.join_next().await.unwrap()
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn spawn_with<F>(&mut self, builder: Builder, future: F) -> TaskHandle
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput<Value = T>,
    {
        self.push(builder.spawn(future))
    }

    /// Adds a task spawned elsewhere; the set owns it from now on.
    ///
    /// ```
    /// taskio::run(async {
    ///     let mut set = taskio::JoinSet::new();
    ///     set.push(taskio::spawn(async { taskio::Ok("adopted") }));
    ///     assert_eq!(set.join_next().await.unwrap()?, "adopted");
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn push(&mut self, task: Task<T>) -> TaskHandle {
        let handle = task.handle();
        let link = Link {
            queue: self.queue.clone(),
            index: self.tasks.vacant_key(),
        };
        if let Err(link) = task.cell.link(link) {
            // Done already (an eager task, or one pushed late): its outcome is ready now.
            self.done.push_back(link.index);
        }
        self.tasks.insert(task);
        handle
    }

    /// Waits for the next task to complete and gives its outcome, in completion order; `None`
    /// when the set is empty. Cancel-safe: dropping the future (a `select!` branch that lost)
    /// loses no outcome.
    ///
    /// ```
    /// taskio::run(async {
    ///     let mut set = taskio::JoinSet::new();
    ///     set.spawn(async { Err::<u8, _>(taskio::Error::msg("bad")) });
    ///     let err = set.join_next().await.unwrap().unwrap_err();
    ///     assert!(err.to_string().contains("bad"));
    ///     assert!(set.join_next().await.is_none());
    /// });
    /// ```
    pub fn join_next(&mut self) -> JoinNext<'_, T> {
        JoinNext { set: self }
    }

    /// [`join_next`](JoinSet::join_next), with the id of the task the outcome comes from.
    ///
    /// ```
    /// taskio::run(async {
    ///     let mut set = taskio::JoinSet::new();
    ///     let id = set.spawn(async { taskio::Ok(4) }).id();
    ///     let (done, value) = set.join_next_with_id().await.unwrap();
    ///     assert_eq!((done, value?), (id, 4));
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn join_next_with_id(&mut self) -> Option<(TaskId, Result<T>)> {
        std::future::poll_fn(|cx| self.poll_next_task(cx)).await
    }

    /// The outcome of a task that is already done, if any, without waiting.
    ///
    /// ```
    /// taskio::run(async {
    ///     let mut set = taskio::JoinSet::new();
    ///     set.spawn(async { taskio::Ok(1) });
    ///     assert!(set.try_join_next().is_none()); // not run yet
    ///     taskio::checkpoint().await?;
    ///     assert_eq!(set.try_join_next().unwrap()?, 1);
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T>> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match self.poll_next_task(&mut cx) {
            Poll::Ready(Some((_, outcome))) => Some(outcome),
            _ => None,
        }
    }

    /// Polls for the next outcome, as [`join_next`](JoinSet::join_next) does (for hand-written
    /// futures); `Ready(None)` when the set is empty.
    ///
    /// ```
    /// taskio::run(async {
    ///     let mut set = taskio::JoinSet::new();
    ///     set.spawn(async { taskio::Ok(2) });
    ///     let v = std::future::poll_fn(|cx| set.poll_join_next(cx)).await;
    ///     assert_eq!(v.unwrap()?, 2);
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn poll_join_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        self.poll_next_task(cx)
            .map(|next| next.map(|(_, outcome)| outcome))
    }

    /// The next outcome: the fresh tasks are polled once each (registering their wakers), then
    /// the woken ones, one at a time, until one is done. O(1) per wake-up.
    fn poll_next_task(&mut self, cx: &mut Context<'_>) -> Poll<Option<(TaskId, Result<T>)>> {
        if self.tasks.is_empty() {
            return Poll::Ready(None);
        }
        if self.done.is_empty() {
            // Register before looking, so that no completion falls in between.
            self.queue.register(cx.waker());
            self.queue.drain_into(&mut self.drained);
            self.done.extend(self.drained.drain(..));
        }
        match self.done.pop_front() {
            Some(key) => Poll::Ready(Some(self.take(key))),
            None => Poll::Pending,
        }
    }

    /// The outcome of the done task with `key`, which leaves the set (its key is free again: a
    /// key is queued once per task, so no stale key can name the next task that takes it).
    fn take(&mut self, key: usize) -> (TaskId, Result<T>) {
        #[cfg(test)]
        {
            self.takes += 1;
        }
        let mut task = self.tasks.remove(key);
        let outcome = task
            .try_result()
            .expect("taskio: a JoinSet task is queued once, when its outcome is stored");
        (task.id(), outcome)
    }

    /// Asks every task to stop at its next cancellation point ([`Task::cancel`]); their outcomes
    /// still come out of [`join_next`](JoinSet::join_next). Returns how many were not yet done.
    ///
    /// ```
    /// taskio::run(async {
    ///     let mut set = taskio::JoinSet::new();
    ///     for _ in 0..3 {
    ///         set.spawn(taskio::sleep(std::time::Duration::from_secs(3600)));
    ///     }
    ///     assert_eq!(set.cancel_all(), 3);
    ///     while let Some(outcome) = set.join_next().await {
    ///         assert!(outcome.unwrap_err().is_cancelled());
    ///     }
    /// });
    /// ```
    pub fn cancel_all(&self) -> usize {
        self.tasks.iter().filter(|(_, t)| t.cancel()).count()
    }

    /// [`cancel_all`](JoinSet::cancel_all) with a message each task sees.
    ///
    /// ```
    /// taskio::run(async {
    ///     let mut set = taskio::JoinSet::new();
    ///     set.spawn(taskio::sleep(std::time::Duration::from_secs(3600)));
    ///     set.cancel_all_with("bye");
    ///     let err = set.join_next().await.unwrap().unwrap_err();
    ///     assert_eq!(err.as_cancelled().unwrap().message(), Some("bye"));
    /// });
    /// ```
    pub fn cancel_all_with(&self, message: impl Into<Arc<str>>) -> usize {
        let message: Arc<str> = message.into();
        let cancelled = self
            .tasks
            .iter()
            .filter(|(_, t)| t.cancel_with(message.clone()));
        cancelled.count()
    }

    /// Stops every task at once ([`Task::abort`]): no async cleanup. Their outcomes (cancelled)
    /// still come out of [`join_next`](JoinSet::join_next).
    ///
    /// ```
    /// taskio::run(async {
    ///     let mut set = taskio::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>()); // would ignore a cancel
    ///     set.abort_all();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// });
    /// ```
    pub fn abort_all(&self) {
        for (_, task) in &self.tasks {
            task.abort();
        }
    }

    /// Cancels every task, waits until all are done, and empties the set. Gives back the
    /// failures (errors and panics, not the cancellations) that the tasks ended with, so that
    /// none is lost.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// taskio::run(async {
    ///     let mut set = taskio::JoinSet::new();
    ///     set.spawn(async {
    ///         if let Err(c) = taskio::sleep(Duration::from_secs(3600)).await {
    ///             taskio::sleep(Duration::from_millis(1)).await.ok(); // async cleanup runs
    ///             return Err(c.into());
    ///         }
    ///         taskio::Ok(())
    ///     });
    ///     set.spawn(async { Err::<(), _>(taskio::Error::msg("failed earlier")) });
    ///     let failures = set.shutdown().await;
    ///     assert_eq!(failures.len(), 1);
    ///     assert!(set.is_empty());
    /// });
    /// ```
    pub async fn shutdown(&mut self) -> Vec<Error> {
        self.cancel_all();
        let mut failures = Vec::new();
        while let Some(outcome) = self.join_next().await {
            if let Err(e) = outcome
                && e.is_failure()
            {
                failures.push(e);
            }
        }
        failures
    }

    /// Handles to the tasks in the set (in no particular order).
    ///
    /// ```
    /// taskio::run(async {
    ///     let mut set = taskio::JoinSet::new();
    ///     set.spawn_with(taskio::task().name("a"), async {});
    ///     let names: Vec<String> = set.handles().map(|h| h.name().into_owned()).collect();
    ///     assert_eq!(names, ["a"]);
    /// });
    /// ```
    pub fn handles(&self) -> impl Iterator<Item = TaskHandle> + '_ {
        self.tasks.iter().map(|(_, t)| t.handle())
    }
}

impl<T: Send + 'static> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        // Completions after this go to a queue that nobody reads (it lives until the last of
        // them): the last poller is not woken for them.
        self.queue.forget_consumer();
        for (_, task) in &self.tasks {
            task.cell.header.request_abort();
        }
    }
}

impl<T: Send + 'static> Stream for JoinSet<T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        self.get_mut().poll_join_next(cx)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.len(), Some(self.len()))
    }
}

impl<T: Send + 'static> FromIterator<Task<T>> for JoinSet<T> {
    fn from_iter<I: IntoIterator<Item = Task<T>>>(tasks: I) -> Self {
        let mut set = JoinSet::new();
        for task in tasks {
            set.push(task);
        }
        set
    }
}

impl<T: Send + 'static> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}

/// The future of [`JoinSet::join_next`]: the next outcome, or `None` when the set is empty.
///
/// ```
/// taskio::run(async {
///     let mut set = taskio::JoinSet::<()>::new();
///     let next: taskio::JoinNext<'_, ()> = set.join_next();
///     assert!(next.await.is_none());
/// });
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct JoinNext<'a, T> {
    set: &'a mut JoinSet<T>,
}

impl<T: Send + 'static> Future for JoinNext<'_, T> {
    type Output = Option<Result<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.get_mut().set.poll_join_next(cx)
    }
}

impl<T> fmt::Debug for JoinNext<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JoinNext")
    }
}

#[cfg(test)]
mod tests {
    use super::JoinSet;
    use std::sync::Arc;

    /// A reaping loop over n tasks that finish one at a time polls each task O(1) times, not
    /// once per outcome taken (which would be O(n²) in total).
    #[test]
    fn reaping_is_o1_per_completion() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(async {
            const N: usize = 2000;
            let gates: Vec<_> = (0..N)
                .map(|_| Arc::new(tokio::sync::Notify::new()))
                .collect();
            let mut set = JoinSet::new();
            for (i, gate) in gates.iter().enumerate() {
                let gate = gate.clone();
                set.spawn(async move {
                    gate.notified().await;
                    crate::Ok(i)
                });
            }
            for (i, gate) in gates.iter().enumerate() {
                gate.notify_one();
                assert_eq!(set.join_next().await.unwrap().unwrap(), i);
            }
            assert!(set.join_next().await.is_none());
            // each task is touched once, when its outcome is taken: never polled while running
            assert_eq!(set.takes, N, "{} outcomes taken for {N} tasks", set.takes);
        });
    }
}
