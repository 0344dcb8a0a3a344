//! Waiting for some of many tasks: asyncio's `asyncio.wait(aws, timeout=..., return_when=...)`,
//! with `FIRST_COMPLETED`, `FIRST_EXCEPTION` and `ALL_COMPLETED` as [`Wait::first_completed`],
//! [`Wait::first_error`] and [`Wait::all`].
//!
//! `wait` returns `(done, pending)` and never cancels anything: the pending tasks keep running,
//! in a [`TaskSet`] that can be passed to `wait` again. A loop of first-completed waits over n
//! tasks costs O(n) in total, where asyncio's costs O(n²) (cpython issue 74741).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

use crate::context::take_cancel_at;
use crate::error::Result;
use crate::point::Registration;
use crate::task::Task;
use crate::task_set::TaskSet;

/// Waits for tasks without cancelling any: asyncio's `asyncio.wait`. Awaits to
/// `taskio::Result<(Vec<Task<T>>, TaskSet<T>)>`, the tasks that are done (in the order they were
/// seen done; their outcomes are still in them, to `.await` or
/// [`try_result`](Task::try_result)) and those still pending.
///
/// By default it returns when all are done ([`all`](Wait::all)); choose
/// [`first_completed`](Wait::first_completed) or [`first_error`](Wait::first_error), and bound
/// the wait with [`timeout`](Wait::timeout), which neither cancels nor fails: it returns the
/// split as it stands. An empty set returns at once.
///
/// Awaiting a `wait` is a cancellation point: if the awaiting task is cancelled, it returns
/// `Err(Cancelled)` and, as with asyncio's `wait`, the tasks are not cancelled: they are dropped
/// with the `wait`, so they run on detached.
///
/// ```
/// use std::time::Duration;
///
/// fn main() -> taskio::Result<()> {
///     taskio::run(async {
///         let tasks: Vec<_> = [10, 300, 400]
///             .into_iter()
///             .map(|ms| taskio::spawn(async move {
///                 taskio::sleep(Duration::from_millis(ms)).await?;
///                 taskio::Ok(ms)
///             }))
///             .collect();
///         let (done, pending) = taskio::wait(tasks)
///             .first_completed()
///             .timeout(Duration::from_millis(200))
///             .await?;
///         assert_eq!(done.len(), 1);
///         assert_eq!(pending.len(), 2); // still running
///         assert_eq!(done.into_iter().next().unwrap().await?, 10);
///         let (done, pending) = taskio::wait(pending).await?; // all (the default)
///         assert_eq!((done.len(), pending.len()), (2, 0));
///         taskio::Ok(())
///     })
/// }
/// ```
pub fn wait<T: Send + 'static>(tasks: impl Into<TaskSet<T>>) -> Wait<T> {
    Wait {
        set: Some(tasks.into()),
        point: Registration::default(),
        when: ReturnWhen::All,
        deadline: None,
        timer: None,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ReturnWhen {
    All,
    FirstCompleted,
    FirstError,
}

/// The future of [`wait`], and its options.
///
/// ```
/// taskio::run(async {
///     let w: taskio::Wait<()> = taskio::wait(vec![taskio::spawn(async {})]);
///     let (done, pending) = w.await?;
///     assert_eq!((done.len(), pending.len()), (1, 0));
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Wait<T> {
    set: Option<TaskSet<T>>,
    point: Registration,
    when: ReturnWhen,
    deadline: Option<Instant>,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<T: Send + 'static> Wait<T> {
    /// Returns when every task is done: asyncio's `ALL_COMPLETED`, the default.
    ///
    /// ```
    /// taskio::run(async {
    ///     let (done, pending) = taskio::wait(vec![taskio::spawn(async {})]).all().await?;
    ///     assert!(pending.is_empty() && done[0].is_done());
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn all(mut self) -> Self {
        self.when = ReturnWhen::All;
        self
    }

    /// Returns as soon as one task is done (all those found done are in `done`): asyncio's
    /// `FIRST_COMPLETED`.
    ///
    /// ```
    /// use std::time::Duration;
    /// taskio::run(async {
    ///     let slow = taskio::spawn(async { taskio::sleep(Duration::from_secs(60)).await });
    ///     let fast = taskio::spawn(async { taskio::Ok(()) });
    ///     let (done, pending) = taskio::wait(vec![slow, fast]).first_completed().await?;
    ///     assert_eq!((done.len(), pending.len()), (1, 1));
    ///     pending.cancel_all();
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn first_completed(mut self) -> Self {
        self.when = ReturnWhen::FirstCompleted;
        self
    }

    /// Returns as soon as a task fails (an error or a panic; a cancelled task is not a failure),
    /// else when all are done: asyncio's `FIRST_EXCEPTION`.
    ///
    /// ```
    /// use std::time::Duration;
    /// taskio::run(async {
    ///     let slow = taskio::spawn(async { taskio::sleep(Duration::from_secs(60)).await });
    ///     let bad = taskio::spawn(async { Err::<(), _>(taskio::Error::msg("bad")) });
    ///     let (done, pending) = taskio::wait(vec![slow, bad]).first_error().await?;
    ///     assert_eq!(done.len(), 1);
    ///     assert_eq!(pending.cancel_all(), 1);
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn first_error(mut self) -> Self {
        self.when = ReturnWhen::FirstError;
        self
    }

    /// Returns after `duration` at the latest (measured from this call), with the split as it
    /// stands: nothing is cancelled, and it is not an error. A `duration` too long to add to the
    /// clock (`Duration::MAX`) is no limit.
    ///
    /// ```
    /// use std::time::Duration;
    /// taskio::run(async {
    ///     let slow = taskio::spawn(async { taskio::sleep(Duration::from_secs(60)).await });
    ///     let (done, pending) = taskio::wait(vec![slow])
    ///         .timeout(Duration::from_millis(10))
    ///         .await?;
    ///     assert_eq!((done.len(), pending.len()), (0, 1));
    ///     pending.cancel_all();
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn timeout(mut self, duration: Duration) -> Self {
        self.deadline = Instant::now().checked_add(duration);
        self
    }
}

impl<T: Send + 'static> Future for Wait<T> {
    type Output = Result<(Vec<Task<T>>, TaskSet<T>)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(cancelled) = take_cancel_at(&mut this.point, cx.waker()) {
            return Poll::Ready(Err(cancelled.into()));
        }
        let set = this
            .set
            .as_mut()
            .expect("taskio: a wait was polled after it completed");
        let done = set.poll_collect(cx);
        let mut ready = match this.when {
            ReturnWhen::All => set.pending_len() == 0,
            ReturnWhen::FirstCompleted => done > 0 || set.is_empty(),
            ReturnWhen::FirstError => set.any_failed() || set.pending_len() == 0,
        };
        if !ready && let Some(deadline) = this.deadline {
            let timer = this
                .timer
                .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
            ready = timer.as_mut().poll(cx).is_ready();
        }
        if !ready {
            return Poll::Pending;
        }
        let mut set = this.set.take().expect("checked above");
        Poll::Ready(Ok((set.take_done(), set)))
    }
}

impl<T: Send + 'static> fmt::Debug for Wait<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Wait")
            .field("tasks", &self.set.as_ref().map(TaskSet::len))
            .field("when", &self.when)
            .field("deadline", &self.deadline)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::task_set::TaskSet;

    /// Polls of tasks made by a loop of first-completed waits over `n` tasks that finish one by
    /// one (each at its own millisecond).
    fn polls_for_a_first_completed_loop(n: u64) -> usize {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(async move {
            let mut pending: TaskSet<u64> = (0..n)
                .map(|i| {
                    crate::spawn(async move {
                        crate::sleep(Duration::from_millis(i + 1)).await?;
                        crate::Ok(i)
                    })
                })
                .collect();
            let mut polls = 0;
            let mut seen = 0;
            while !pending.is_empty() {
                let (done, rest) = crate::wait(pending).first_completed().await.unwrap();
                for task in done {
                    task.await.unwrap();
                    seen += 1;
                }
                polls = rest.polls;
                pending = rest;
            }
            assert_eq!(seen, n);
            polls
        })
    }

    #[test]
    fn a_first_completed_loop_is_linear_in_the_number_of_tasks() {
        let small = polls_for_a_first_completed_loop(4_000);
        let large = polls_for_a_first_completed_loop(20_000);
        // Each task is polled once to register and once when it wakes: 2n, whatever the loop.
        assert!(small <= 2 * 4_000, "{small} polls for 4k tasks");
        assert!(large <= 2 * 20_000, "{large} polls for 20k tasks");
        // Five times the tasks, five times the polls (O(n²) would make it 25).
        let ratio = large as f64 / small as f64;
        assert!((4.5..=5.5).contains(&ratio), "ratio {ratio}");
    }
}
