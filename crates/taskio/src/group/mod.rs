//! Task groups: structured concurrency, so that no child outlives its group. asyncio's
//! `TaskGroup` ([`task_group`], [`TaskGroup::spawn`]), plus a supervisor mode (Kotlin's
//! `supervisorScope`) and a concurrency limit (Go errgroup's `SetLimit`) through [`group()`].
//!
//! ```
//! use std::time::Duration;
//!
//! let outcome = taskio::run(async {
//!     taskio::task_group(|tg| async move {
//!         tg.spawn_with(taskio::task().name("crash"), async {
//!             taskio::sleep(Duration::from_millis(10)).await?;
//!             Err::<(), _>(taskio::Error::msg("boom"))
//!         })?;
//!         let slow = tg.spawn(async {
//!             taskio::sleep(Duration::from_secs(3600)).await?; // cancelled by the failure
//!             taskio::Ok(())
//!         })?;
//!         taskio::sleep(Duration::from_secs(3600)).await?; // the body is cancelled too
//!         drop(slow);
//!         taskio::Ok(())
//!     })
//!     .await
//! });
//! let err = outcome.unwrap_err();
//! let errors = err.group_errors().unwrap();
//! assert_eq!(errors.len(), 1);
//! assert_eq!(errors[0].to_string(), "task 'crash' failed: boom");
//! ```
//!
//! The semantics are documented on [`task_group`].

mod handle;
mod server;
pub(crate) mod state; // pub(crate): the loom models drive it (`__loom::Group`)

pub use handle::{GroupSpawnError, TaskGroup};

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::context::Owner;
use crate::error::{Cancelled, Error, Result};
use crate::output::TaskOutput;
use crate::point::Registration;
use crate::scope::Scope;
use state::Shared;

/// Runs `body` with a [`TaskGroup`] and waits for it and every child it spawned: asyncio's
/// `async with asyncio.TaskGroup() as tg:`.
///
/// # Semantics
///
/// - The body and the children run concurrently (the body inline in the task that awaits the
///   group, the children as tasks of their own); the group returns when all are done.
/// - When everything succeeds the group returns the body's value.
/// - The first failure (a child's error or panic, or the body's error or panic) cancels every
///   other child and the body, waits for them, and returns one group error
///   ([`Error::group_errors`](crate::Error::group_errors)) holding every failure, in the order
///   they happened. Cancellations are not failures: a child cancelled on its own changes nothing.
/// - A body that returns `Err(Cancelled)` cancels the children; the group then returns it.
/// - The group is a cancellation point. If the task that runs it is cancelled (or an enclosing
///   scope: a timeout, an outer group), the cancel goes to the body first, as in CPython: the
///   children run on while the body handles it (it may, say, tell its workers to drain a queue
///   and await them), and are cancelled when the body ends; then the group awaits them and
///   returns `Err(Cancelled)`. A child that fails meanwhile interrupts the body's handling with
///   a new request. A cancel that arrives after the body ended goes to the children at once. A
///   body that suppresses the cancel and returns a value lets the group finish normally.
/// - Failures take priority over a cancel from outside, as in CPython: if children failed as
///   well, the group returns the group error, and the cancel is given back to its owner (the
///   task's request is re-armed, an enclosing scope's is put back), so the owner's next
///   cancellation point sees it: an inner group never swallows an outer one's cancel.
/// - Spawning into a finished group, or into one that is shutting down, is a [`GroupSpawnError`].
///   A body or child that stops on a "shutting down" refusal (`tg.spawn(..)?`) is treated like
///   one that stopped on the cancellation it stands for: it is not counted as a failure.
/// - Groups nest: an inner group's error is a failure of the outer group's child (or body).
/// - If the group's future is dropped before it finishes, its children are aborted
///   ([`Task::abort`](crate::Task::abort)): they get no async cleanup, only `Drop`. No child is
///   ever left running.
///
/// # Cost
///
/// A group's bookkeeping is one mutex of its own (no global lock): a spawn takes it once, a
/// child's completion once, and the group's future is woken only by the last child or by the
/// first failure.
///
/// ```
/// use std::time::Duration;
///
/// async fn fetch(n: u64) -> taskio::Result<u64> {
///     taskio::sleep(Duration::from_millis(n)).await?;
///     Ok(n * 2)
/// }
///
/// let sum = taskio::run(async {
///     taskio::task_group(|tg| async move {
///         let a = tg.spawn(fetch(10))?;
///         let b = tg.spawn(fetch(20))?;
///         taskio::Ok(a.await? + b.await?)
///     })
///     .await
/// });
/// assert_eq!(sum.unwrap(), 60);
/// ```
pub fn task_group<F, Fut, R>(body: F) -> TaskGroupFuture<F, Fut, R>
where
    F: FnOnce(TaskGroup) -> Fut,
    Fut: Future,
    Fut::Output: TaskOutput<Value = R>,
{
    group().run(body)
}

/// A [`GroupBuilder`], for a group with options: `taskio::group().supervisor().limit(4).run(..)`.
///
/// ```
/// let outcome = taskio::run(async {
///     taskio::group()
///         .supervisor()
///         .run(|tg| async move {
///             tg.spawn(async { Err::<(), _>(taskio::Error::msg("one fails")) })?;
///             let other = tg.spawn(async { taskio::Ok(2) })?; // not cancelled
///             taskio::Ok(other)
///         })
///         .await
/// });
/// assert_eq!(outcome.unwrap_err().group_errors().unwrap().len(), 1);
/// ```
pub fn group() -> GroupBuilder {
    GroupBuilder::default()
}

/// Options for a task group: supervisor mode and a concurrency limit.
///
/// ```
/// let builder = taskio::GroupBuilder::default().limit(2);
/// let n = taskio::run(async move {
///     builder.run(|tg| async move {
///         for i in 0..5 {
///             tg.spawn(async move { taskio::Ok(i) })?;
///         }
///         taskio::Ok(5)
///     })
///     .await
/// });
/// assert_eq!(n.unwrap(), 5);
/// ```
#[derive(Clone, Default)]
#[must_use = "a GroupBuilder does nothing until .run() is called"]
pub struct GroupBuilder {
    supervisor: bool,
    limit: Option<usize>,
    /// Where a supervisor group hands each child failure, instead of keeping it (`server.rs`).
    on_failure: Option<state::FailureHook>,
}

impl GroupBuilder {
    /// Supervisor mode (Kotlin's `supervisorScope`): a child's failure cancels nobody; the group
    /// still waits for every child and returns all the failures in one group error at the end.
    /// A failure of the body itself, or a cancel of the group, still cancels the children.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// taskio::run(async {
    ///     let outcome = taskio::group()
    ///         .supervisor()
    ///         .run(|tg| async move {
    ///             tg.spawn(async { Err::<(), _>(taskio::Error::msg("bad input")) })?;
    ///             let slow = tg.spawn(async {
    ///                 taskio::sleep(Duration::from_millis(50)).await?;
    ///                 taskio::Ok("finished anyway")
    ///             })?;
    ///             assert_eq!(slow.await?, "finished anyway");
    ///             taskio::Ok(())
    ///         })
    ///         .await;
    ///     assert!(outcome.unwrap_err().group_errors().is_some());
    /// });
    /// ```
    pub fn supervisor(mut self) -> Self {
        self.supervisor = true;
        self
    }

    /// At most `n` children run at once (Go errgroup's `SetLimit`). Spawning past the limit
    /// still returns the [`Task`](crate::Task) at once; its body starts when a running child is
    /// done, in spawn order. Meanwhile its state stays `Pending`, and a child cancelled while it
    /// waits never runs its body.
    ///
    /// # Panics
    ///
    /// If `n` is 0: such a group could never start a child.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    /// use std::time::Duration;
    ///
    /// let peak = Arc::new(AtomicUsize::new(0));
    /// let (running, p) = (Arc::new(AtomicUsize::new(0)), peak.clone());
    /// taskio::run(async move {
    ///     taskio::group()
    ///         .limit(3)
    ///         .run(|tg| async move {
    ///             for _ in 0..10 {
    ///                 let (running, peak) = (running.clone(), p.clone());
    ///                 tg.spawn(async move {
    ///                     let now = running.fetch_add(1, Ordering::SeqCst) + 1;
    ///                     peak.fetch_max(now, Ordering::SeqCst);
    ///                     taskio::sleep(Duration::from_millis(10)).await?;
    ///                     running.fetch_sub(1, Ordering::SeqCst);
    ///                     taskio::Ok(())
    ///                 })?;
    ///             }
    ///             taskio::Ok(())
    ///         })
    ///         .await
    /// })
    /// .unwrap();
    /// assert_eq!(peak.load(Ordering::SeqCst), 3);
    /// ```
    pub fn limit(mut self, n: usize) -> Self {
        assert!(n > 0, "taskio: a task group's limit must be at least 1");
        self.limit = Some(n);
        self
    }

    /// Runs `body` with a [`TaskGroup`] with these options. See [`task_group`].
    ///
    /// ```
    /// let v = taskio::run(async { taskio::group().run(|_tg| async { taskio::Ok(7) }).await });
    /// assert_eq!(v.unwrap(), 7);
    /// ```
    pub fn run<F, Fut, R>(self, body: F) -> TaskGroupFuture<F, Fut, R>
    where
        F: FnOnce(TaskGroup) -> Fut,
        Fut: Future,
        Fut::Output: TaskOutput<Value = R>,
    {
        TaskGroupFuture {
            config: self,
            shared: None,
            body: Body::Start { f: Some(body) },
            scope: Scope::default(),
            body_cancelled: false,
            outer: None,
            point: Registration::default(),
            finished: false,
        }
    }
}

pin_project! {
    #[project = BodyProj]
    enum Body<F, Fut, R> {
        Start { f: Option<F> },
        Running { #[pin] fut: Fut },
        // `out` is the body's value, or its cancellation; its failures are in the group's errors.
        Done { out: Option<Result<R>> },
    }
}

/// A cancel request the group took from the task that runs it (or from an enclosing scope).
struct Outer {
    cancel: Cancelled,
    /// Whose request it is: the task's own (re-armed when the group's errors win), or an
    /// enclosing scope's (put back into that scope when the group's errors win).
    owner: Owner,
}

pin_project! {
    /// The future of [`task_group`] and [`GroupBuilder::run`]: awaits to the body's value, or to
    /// the group error, or to `Cancelled`.
    ///
    /// The body is started at the first poll. Dropping this future before it finishes aborts
    /// every child.
    ///
    /// ```
    /// let fut: taskio::TaskGroupFuture<_, _, _> = taskio::task_group(|_tg| async { taskio::Ok(1) });
    /// assert_eq!(taskio::run(fut).unwrap(), 1);
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct TaskGroupFuture<F, Fut, R> {
        config: GroupBuilder,
        shared: Option<Arc<Shared>>,
        #[pin]
        body: Body<F, Fut, R>,
        scope: Scope,
        // The body has been sent its cancel (once).
        body_cancelled: bool,
        outer: Option<Outer>,
        point: Registration,
        finished: bool,
    }

    impl<F, Fut, R> PinnedDrop for TaskGroupFuture<F, Fut, R> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if !*this.finished && let Some(shared) = this.shared.as_ref() {
                shared.drop_group();
            }
        }
    }
}

/// The cancel request meant for the code that awaits the group: the task's own first (it can be
/// re-armed later), then the innermost enclosing scope's.
fn take_outer_cancel(point: &mut Registration, waker: &std::task::Waker) -> Option<Outer> {
    crate::context::take_cancel_from(point, waker).map(|(cancel, owner)| Outer { cancel, owner })
}

/// The message of the cancel from outside, if there is one.
fn outer_message(outer: &Option<Outer>) -> Option<Arc<str>> {
    outer.as_ref().and_then(|o| o.cancel.clone().into_message())
}

/// Puts a delivered cancel request back on the running task, keeping its count stable (what
/// CPython's `uncancel(); cancel()` does when a group's errors win over the cancellation).
fn rearm(cancel: Cancelled) {
    crate::context::with_current(|t| {
        let header = t.header();
        header.uncancel();
        header.request_cancel(cancel.into_message());
    });
}

impl<F, Fut, R> Future for TaskGroupFuture<F, Fut, R>
where
    F: FnOnce(TaskGroup) -> Fut,
    Fut: Future,
    Fut::Output: TaskOutput<Value = R>,
{
    type Output = Result<R>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        assert!(
            !*this.finished,
            "taskio: a task group was polled after it returned"
        );
        if this.shared.is_none() {
            let parent = crate::context::with_current(|t| (t.header().id, t.header().root));
            let shared = Arc::new(Shared::new(
                parent,
                this.config.supervisor,
                this.config.limit,
                this.config.on_failure.clone(),
            ));
            *this.shared = Some(shared.clone());
            if let BodyProj::Start { f } = this.body.as_mut().project() {
                let f = f.take().expect("taskio: the group's body starts once");
                let fut = f(TaskGroup { shared });
                this.body.set(Body::Running { fut });
            }
        }
        let shared: &Shared = this.shared.as_deref().expect("initialised above");

        // The group is a cancellation point. A cancel of the task that runs it (or of an
        // enclosing scope) goes to the body first, as in CPython: the children run on while the
        // body handles it, and are cancelled when the body ends. Once the body is done, it goes
        // to the children at once.
        if let Some(outer) = take_outer_cancel(this.point, cx.waker()) {
            let message = outer.cancel.clone().into_message();
            *this.outer = Some(outer);
            if matches!(this.body.as_mut().project(), BodyProj::Running { .. }) {
                this.scope.cancel(message);
                crate::context::wake_foreign_points();
            } else {
                shared.close();
            }
        }
        // A failure recorded while the body ran (an eager child that failed inside `spawn`,
        // before this future stored its waker) wakes nobody: the body is polled once more, with
        // its cancel, so that it sees the failure now and not at its next wake-up.
        loop {
            if !*this.body_cancelled
                && shared.cancel_children_if_aborting(outer_message(this.outer))
            {
                *this.body_cancelled = true;
                this.scope.cancel(outer_message(this.outer));
                crate::context::wake_foreign_points();
            }

            if let BodyProj::Running { fut } = this.body.as_mut().project() {
                let scope = &mut *this.scope;
                // `catch` also drops a panic's payload safely (one whose own `Drop` panics).
                let waker = crate::point::WakerId::of(cx.waker());
                let out = match crate::spawn::catch(|| scope.poll(waker, || fut.poll(cx))) {
                    Ok(Poll::Pending) => None,
                    Ok(Poll::Ready(Ok(output))) => Some(output.into_result()),
                    // Delivered by dropping the body (just below), which waited in no point.
                    Ok(Poll::Ready(Err(cancelled))) => Some(Err(cancelled.into())),
                    Err(panicked) => Some(Err(panicked)),
                };
                if let Some(out) = out {
                    // The body is dropped now. A panic in its drop is the body's failure: beside
                    // the one it already ended with (kept, so neither is lost), or in place of
                    // a value or a cancel.
                    let scope = &*this.scope;
                    let dropped = crate::spawn::catch(|| {
                        scope.drop_code(|| this.body.set(Body::Done { out: None }))
                    });
                    let out = match dropped {
                        Ok(()) => out,
                        Err(panicked) => {
                            if let Err(e) = out
                                && !e.is_cancelled()
                                && !state::is_shutdown_refusal(&e)
                            {
                                shared.body_failed(e);
                            }
                            Err(panicked)
                        }
                    };
                    let kept = match out {
                        // The body took the cancel from outside and suppressed it: that stands
                        // (as a timeout's suppressed cancel), and the group goes on normally.
                        Ok(value) if this.scope.was_delivered() && !*this.body_cancelled => {
                            *this.outer = None;
                            Some(Ok(value))
                        }
                        Ok(value) => Some(Ok(value)),
                        Err(e) if e.is_cancelled() => {
                            shared.close();
                            Some(Err(e))
                        }
                        // Stopped by the shutdown (`tg.spawn(..)?` refused): not a failure.
                        Err(e) if state::is_shutdown_refusal(&e) => {
                            shared.close();
                            Some(Err(Cancelled::default().into()))
                        }
                        Err(e) => {
                            shared.body_failed(e);
                            None
                        }
                    };
                    this.body.set(Body::Done { out: kept });
                    if this.outer.is_some() {
                        // The body ended while a cancel from outside stands: now the children.
                        shared.close();
                    }
                    let message = this
                        .outer
                        .as_ref()
                        .and_then(|o| o.cancel.clone().into_message());
                    shared.cancel_children_if_aborting(message);
                }
            }
            let running = matches!(this.body.as_mut().project(), BodyProj::Running { .. });
            if !(running && !*this.body_cancelled && shared.is_aborting()) {
                break;
            }
        }

        let body_done = matches!(this.body.as_mut().project(), BodyProj::Done { .. });
        let Some(errors) = shared.try_finish(body_done, cx.waker()) else {
            return Poll::Pending;
        };
        *this.finished = true;
        let outer = this.outer.take();
        if !errors.is_empty() {
            // The request was not the group's to keep: it goes back to its owner, whose next
            // cancellation point sees it (nothing lost).
            match outer {
                Some(Outer {
                    cancel,
                    owner: Owner::Task,
                }) => rearm(cancel),
                Some(Outer {
                    cancel,
                    owner: Owner::Scope(level),
                }) => {
                    crate::context::put_back(level, cancel);
                }
                None => {}
            }
            return Poll::Ready(Err(Error::group(errors)));
        }
        if let Some(outer) = outer {
            return Poll::Ready(Err(outer.cancel.into()));
        }
        match this.body.project() {
            BodyProj::Done { out } => Poll::Ready(
                out.take()
                    .expect("taskio: a body without a failure has an outcome"),
            ),
            _ => unreachable!("taskio: the body is done"),
        }
    }
}
