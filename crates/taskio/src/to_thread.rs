//! [`to_thread`]: asyncio's `asyncio.to_thread(func)`. Runs a blocking or CPU-bound closure on
//! tokio's blocking thread pool, as a taskio task: named, awaitable, listed by
//! [`all_tasks`](crate::all_tasks) and [`tree`](crate::tree()), usable in
//! [`gather`](crate::gather()), a [`JoinSet`](crate::JoinSet) and a task group.
//!
//! What a cancel, a timeout and an abort mean for such a task is on [`to_thread`].

use std::future::Future;
use std::panic::Location;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use crate::error::{Cancelled, Error, Result};
use crate::group::{GroupSpawnError, TaskGroup};
use crate::output::TaskOutput;
use crate::spawn::Builder;
use crate::task::Task;

/// Runs `f` on tokio's blocking thread pool as a new task: asyncio's `asyncio.to_thread`. The
/// closure returns what a task body returns: a `Result<T, E>` with `E: Into<taskio::Error>`, or
/// `()`. A panic in it becomes the task's outcome. The task is named, awaitable, in
/// [`tree()`](crate::tree()), and usable in [`gather`](crate::gather()) and groups
/// ([`TaskGroup::to_thread`]).
///
/// A thread cannot be interrupted, so a cancel cannot stop the closure. Instead the closure gets a
/// [`CancelFlag`] and polls it: the task's cancellation point (the wait for the thread) takes
/// every request and raises the flag, then goes on waiting. What each stop means:
///
/// - **cancel** (of the task, of a gather or group it is in, or of the task that awaits it): the
///   flag goes up; the task waits for the closure to return, and ends with what it returns
///   (`Err(Cancelled)` from [`CancelFlag::check`]`?` makes it end cancelled). A closure that
///   returns `Ok` without ever looking at the raised flag ends cancelled anyway (asyncio's rule
///   for a request nobody took); one that looked and returned `Ok` keeps its value.
/// - **timeout**: `timeout(d, to_thread(f))` raises the flag at the deadline, waits for the
///   closure to return, then gives `Err(TimedOut)`, so the timeout takes as long as the closure
///   needs to notice. No thread is left running behind a returned timeout.
/// - **abort** (and a dropped group or `JoinSet`, and runtime shutdown): the task ends cancelled
///   at once, its wait is dropped, and the flag goes up; the thread runs on until the closure
///   returns, its result discarded (asyncio's `to_thread` leaves every cancelled thread so).
/// - A task cancelled before its first poll never starts the closure.
///
/// On tokio's paused test clock (`start_paused`), time does not advance while a blocking-pool
/// thread runs: a test that waits on a timer meanwhile waits forever. Test such code on the real
/// clock.
///
/// # Panics
///
/// Outside a tokio runtime, as [`spawn`](crate::spawn()) does.
///
/// ```
/// use std::time::Duration;
///
/// taskio::run(async {
///     let crunch = taskio::task().name("crunch").to_thread(|flag: taskio::CancelFlag| {
///         let mut sum = 0u64;
///         for i in 0..u64::MAX {
///             if i % 1_000 == 0 {
///                 flag.check()?; // stops here once the task is cancelled
///                 std::thread::sleep(Duration::from_micros(100));
///             }
///             sum = sum.wrapping_add(i);
///         }
///         taskio::Ok(sum)
///     });
///     let quick = taskio::to_thread(|_flag| taskio::Ok(6 * 7));
///     assert_eq!(quick.await?, 42);
///     taskio::sleep(Duration::from_millis(5)).await?;
///     crunch.cancel_with("enough");
///     let err = crunch.await.unwrap_err();
///     assert_eq!(err.as_cancelled().unwrap().message(), Some("enough"));
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
#[track_caller]
#[must_use = "the task keeps running when its handle is dropped; `drop(task)` detaches it on purpose"]
pub fn to_thread<F, R>(f: F) -> Task<R::Value>
where
    F: FnOnce(CancelFlag) -> R + Send + 'static,
    R: TaskOutput,
{
    Builder::new().spawn(ToThread::new(f))
}

impl Builder {
    /// [`to_thread`] with these options (a name; `eager` changes nothing, as the closure always
    /// starts on another thread).
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::task().name("hash").to_thread(|_| taskio::Ok(0xfeed_u32));
    ///     assert_eq!(t.name(), "hash");
    ///     assert_eq!(t.await?, 0xfeed);
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    #[must_use = "the task keeps running when its handle is dropped; `drop(task)` detaches it on purpose"]
    pub fn to_thread<F, R>(self, f: F) -> Task<R::Value>
    where
        F: FnOnce(CancelFlag) -> R + Send + 'static,
        R: TaskOutput,
    {
        self.spawn(ToThread::new(f))
    }
}

impl TaskGroup {
    /// [`to_thread`] as a child of the group: the group's cancel, fail-fast or shutdown raises
    /// the closure's flag, and the group waits until the closure returns.
    ///
    /// ```
    /// taskio::run(async {
    ///     taskio::task_group(|tg| async move {
    ///         let t = tg.to_thread(|_flag| taskio::Ok("read from disk"))?;
    ///         assert_eq!(t.await?, "read from disk");
    ///         taskio::Ok(())
    ///     })
    ///     .await
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn to_thread<F, R>(&self, f: F) -> std::result::Result<Task<R::Value>, GroupSpawnError>
    where
        F: FnOnce(CancelFlag) -> R + Send + 'static,
        R: TaskOutput,
    {
        self.spawn_at(Builder::new(), ToThread::new(f), Location::caller())
    }
}

/// What a [`to_thread`] closure polls to learn that its task was cancelled, timed out or
/// aborted. It is level-triggered: once raised it stays raised (a thread has no cleanup to
/// `.await`, so there is no reason to deliver the request only once).
///
/// ```
/// taskio::run(async {
///     let t = taskio::to_thread(|flag: taskio::CancelFlag| {
///         while !flag.is_cancelled() {
///             std::thread::sleep(std::time::Duration::from_millis(1));
///         }
///         taskio::Ok("noticed") // looked at the flag: the value stands
///     });
///     taskio::sleep(std::time::Duration::from_millis(5)).await?;
///     t.cancel();
///     assert_eq!(t.await?, "noticed");
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct CancelFlag {
    inner: Arc<Flag>,
}

#[derive(Debug, Default)]
struct Flag {
    raised: AtomicBool,
    /// The closure looked at the raised flag (so the request was delivered).
    seen: AtomicBool,
    message: std::sync::Mutex<Option<Arc<str>>>,
}

impl Flag {
    fn raise(&self, message: Option<Arc<str>>) {
        if message.is_some() || !self.raised.load(Ordering::Acquire) {
            *self
                .message
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner) = message;
        }
        self.raised.store(true, Ordering::Release);
    }

    fn cancelled(&self) -> Cancelled {
        let message = self
            .message
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        Cancelled::with_shared(message)
    }
}

impl CancelFlag {
    /// Whether the task was cancelled, timed out or aborted. A `true` counts as the request
    /// delivered: a closure that then returns `Ok` keeps its value.
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::to_thread(|flag: taskio::CancelFlag| taskio::Ok(flag.is_cancelled()));
    ///     assert!(!t.await?);
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn is_cancelled(&self) -> bool {
        let raised = self.inner.raised.load(Ordering::Acquire);
        if raised {
            self.inner.seen.store(true, Ordering::Release);
        }
        raised
    }

    /// `Err(Cancelled)` (with the cancel's message) once the flag is raised, for `?` in the
    /// closure; `Ok(())` before.
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::to_thread(|flag: taskio::CancelFlag| {
    ///         loop {
    ///             flag.check()?;
    ///             std::thread::sleep(std::time::Duration::from_millis(1));
    ///         }
    ///         #[allow(unreachable_code)]
    ///         taskio::Ok(())
    ///     });
    ///     taskio::sleep(std::time::Duration::from_millis(5)).await?;
    ///     t.cancel_with("stop");
    ///     let err = t.await.unwrap_err();
    ///     assert_eq!(err.as_cancelled().unwrap().message(), Some("stop"));
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn check(&self) -> std::result::Result<(), Cancelled> {
        if self.is_cancelled() {
            Err(self.inner.cancelled())
        } else {
            Ok(())
        }
    }
}

/// The body of a [`to_thread`] task: starts the closure on the blocking pool at its first poll,
/// then waits for it. It is a cancellation point that takes every request and raises the flag
/// instead of ending: the wait goes on until the thread is done.
struct ToThread<F, R> {
    start: Option<F>,
    join: Option<tokio::task::JoinHandle<R>>,
    flag: Arc<Flag>,
}

impl<F, R> ToThread<F, R> {
    fn new(f: F) -> Self {
        ToThread {
            start: Some(f),
            join: None,
            flag: Arc::default(),
        }
    }
}

// Nothing in it is pinned: the closure is moved out, the join handle is `Unpin`.
impl<F, R> Unpin for ToThread<F, R> {}

impl<F, R> Future for ToThread<F, R>
where
    F: FnOnce(CancelFlag) -> R + Send + 'static,
    R: TaskOutput,
{
    type Output = Result<R::Value>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if let Some(cancel) = crate::context::take_cancel() {
            if this.join.is_none() {
                // Never started: the closure never runs.
                this.start = None;
                return Poll::Ready(Err(cancel.into()));
            }
            this.flag.raise(cancel.into_message());
        }
        if let Some(f) = this.start.take() {
            let flag = CancelFlag {
                inner: this.flag.clone(),
            };
            this.join = Some(tokio::task::spawn_blocking(move || f(flag)));
        }
        let Some(join) = this.join.as_mut() else {
            panic!("taskio: a to_thread task was polled after it finished");
        };
        let joined = match Pin::new(join).poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(joined) => joined,
        };
        this.join = None;
        Poll::Ready(match joined {
            Ok(output) => match output.into_result() {
                // A request the closure never looked at still ends the task cancelled.
                Ok(_)
                    if this.flag.raised.load(Ordering::Acquire)
                        && !this.flag.seen.load(Ordering::Acquire) =>
                {
                    Err(this.flag.cancelled().into())
                }
                other => other,
            },
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(Error::from(Cancelled::new(Some(
                "the runtime shut down before the thread finished",
            )))),
        })
    }
}

impl<F, R> Drop for ToThread<F, R> {
    fn drop(&mut self) {
        if self.join.is_some() {
            // Dropped while the closure runs (abort, a dropped group, runtime shutdown): the
            // thread cannot be stopped, only told.
            self.flag.raise(Some(Arc::from("aborted")));
        }
    }
}
