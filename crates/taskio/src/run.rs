//! [`run`] and [`Runner`]: asyncio's `asyncio.run(main())` and `asyncio.Runner`.
//!
//! `run` builds a tokio runtime, runs `main` as a task named `main`, then cancels every task
//! still alive that descends from `main` (spawned by it, or by its descendants, even detached)
//! and waits for their cleanup, round after round (cleanup may spawn), before it
//! returns main's outcome. The default runtime is tokio's current-thread one: a spawned task first
//! runs when its spawner yields, so programs print in the same order as under asyncio.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::cell::TaskCore;
use crate::error::Result;
use crate::output::TaskOutput;

/// Runs `main` to completion on a new current-thread runtime, then cancels the tasks still
/// alive and waits for their cleanup: asyncio's `asyncio.run(main())`.
///
/// # Panics
///
/// When called from inside a tokio runtime (as tokio's `block_on` does).
///
/// ```
/// use std::time::Duration;
///
/// let out = taskio::run(async {
///     // A task left running when main returns is cancelled, and its cleanup awaited.
///     drop(taskio::spawn(async {
///         if let Err(c) = taskio::sleep(Duration::from_secs(3600)).await {
///             taskio::sleep(Duration::from_millis(1)).await.ok(); // async cleanup
///             return Err(c);
///         }
///         Ok(())
///     }));
///     taskio::Ok("main's value")
/// });
/// assert_eq!(out.unwrap(), "main's value");
/// ```
#[track_caller]
pub fn run<F>(main: F) -> Result<<F::Output as TaskOutput>::Value>
where
    F: Future + Send + 'static,
    F::Output: TaskOutput,
{
    Runner::new().run(main)
}

/// A configurable [`run`]: the multi-thread runtime, a worker count, a shutdown grace period.
///
/// ```
/// let out = taskio::Runner::new()
///     .multi_thread()
///     .worker_threads(2)
///     .run(async { taskio::Ok(1 + 1) });
/// assert_eq!(out.unwrap(), 2);
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "a Runner does nothing until .run() is called"]
pub struct Runner {
    multi_thread: bool,
    worker_threads: Option<usize>,
    shutdown_grace: Option<Duration>,
}

impl Runner {
    /// The defaults: current-thread runtime, wait for cleanup without limit.
    ///
    /// ```
    /// assert_eq!(taskio::Runner::new().run(async { taskio::Ok(3) }).unwrap(), 3);
    /// ```
    pub fn new() -> Self {
        Runner::default()
    }

    /// Use tokio's multi-thread runtime, for parallel work.
    ///
    /// ```
    /// taskio::Runner::new().multi_thread().run(async {}).unwrap();
    /// ```
    pub fn multi_thread(mut self) -> Self {
        self.multi_thread = true;
        self
    }

    /// The number of worker threads of the multi-thread runtime (implies [`multi_thread`](Self::multi_thread)).
    ///
    /// ```
    /// taskio::Runner::new().worker_threads(2).run(async {}).unwrap();
    /// ```
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.multi_thread = true;
        self.worker_threads = Some(n.max(1));
        self
    }

    /// After main returns, how long leftover tasks get for their cleanup once cancelled; those
    /// still running then are aborted. Without it, `run` waits as long as cleanup takes (as
    /// asyncio does).
    ///
    /// ```
    /// use std::time::Duration;
    /// let out = taskio::Runner::new()
    ///     .shutdown_grace(Duration::from_millis(10))
    ///     .run(async {
    ///         drop(taskio::spawn(async {
    ///             // ignores every cancel: aborted after the grace period
    ///             while taskio::current().is_some() {
    ///                 let _ = taskio::sleep(Duration::from_secs(1)).await;
    ///             }
    ///         }));
    ///         taskio::Ok(())
    ///     });
    /// assert!(out.is_ok());
    /// ```
    pub fn shutdown_grace(mut self, grace: Duration) -> Self {
        self.shutdown_grace = Some(grace);
        self
    }

    /// Runs `main` as [`run`] does, with these options.
    ///
    /// ```
    /// let v = taskio::Runner::new().run(async { taskio::Ok(vec![1, 2]) }).unwrap();
    /// assert_eq!(v, [1, 2]);
    /// ```
    #[track_caller]
    pub fn run<F>(self, main: F) -> Result<<F::Output as TaskOutput>::Value>
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput,
    {
        let runtime = self.build_runtime();
        let grace = self.shutdown_grace;
        // `main`'s spawn site is the caller's `run(..)` line, as `tree()` and reports show it.
        let location = std::panic::Location::caller();
        let out = runtime.block_on(async move {
            let main = crate::task()
                .name("main")
                .spawn_placed(main, location, root_placement())
                .expect("taskio: run's own runtime is current inside block_on");
            let main_id = main.id();
            let out = main.await;
            shutdown(main_id, grace).await;
            out
        });
        // Tasks that were aborted after the grace period are dropped with the runtime.
        drop(runtime);
        out
    }

    /// Runs a `main` that need not be `Send` (it may hold `Rc`s and `RefCell`s across awaits),
    /// as [`run`](Runner::run) does, on a tokio `LocalSet` on this thread, where
    /// [`spawn_local`](crate::spawn_local()) spawns more such tasks. `main` and every local task
    /// run on this thread; with [`multi_thread`](Runner::multi_thread), tasks from
    /// [`spawn`](crate::spawn()) still run on the workers. Names, cancellation, groups, `tree()`
    /// and the shutdown at exit are those of any taskio task. Only the outcome must be `Send`.
    ///
    /// # Panics
    ///
    /// When called from inside a tokio runtime (as tokio's `block_on` does).
    ///
    /// ```
    /// use std::cell::RefCell;
    /// use std::rc::Rc;
    ///
    /// let out = taskio::Runner::new().run_local(async {
    ///     let state = Rc::new(RefCell::new(String::new()));
    ///     let s = state.clone();
    ///     let writer = taskio::task().name("writer").spawn_local(async move {
    ///         s.borrow_mut().push_str("written by a local task");
    ///     });
    ///     writer.await?;
    ///     let text = state.borrow().clone();
    ///     taskio::Ok(text)
    /// });
    /// assert_eq!(out.unwrap(), "written by a local task");
    /// ```
    #[track_caller]
    pub fn run_local<F>(self, main: F) -> Result<<F::Output as TaskOutput>::Value>
    where
        F: Future + 'static,
        F::Output: TaskOutput,
    {
        let runtime = self.build_runtime();
        let grace = self.shutdown_grace;
        let location = std::panic::Location::caller();
        let local = tokio::task::LocalSet::new();
        let out = local.block_on(&runtime, async move {
            let main = crate::task()
                .name("main")
                .spawn_placed_local(main, location, root_placement())
                .expect("taskio: run_local's own runtime is current inside block_on");
            let main_id = main.id();
            let out = main.await;
            shutdown(main_id, grace).await;
            out
        });
        // Local tasks still there (aborted after the grace period) are dropped with the set.
        drop(local);
        drop(runtime);
        out
    }

    fn build_runtime(&self) -> tokio::runtime::Runtime {
        let mut builder = if self.multi_thread {
            tokio::runtime::Builder::new_multi_thread()
        } else {
            tokio::runtime::Builder::new_current_thread()
        };
        if let Some(n) = self.worker_threads {
            builder.worker_threads(n);
        }
        builder
            .enable_all()
            .build()
            .expect("taskio: could not build the tokio runtime")
    }
}

/// `main`'s place: no parent, no group, no gate.
fn root_placement() -> crate::spawn::Placement {
    crate::spawn::Placement {
        parent: None,
        member: None,
        gate: None,
    }
}

/// Cancels every live task descended from `main` and waits until they are done; repeats while
/// cleanup spawned more. Tasks of other runtimes in the process are not touched.
async fn shutdown(main: crate::TaskId, grace: Option<Duration>) {
    let deadline = grace.map(|g| tokio::time::Instant::now() + g);
    loop {
        let mut alive = crate::registry::snapshot();
        alive.retain(|t| t.header().root == main);
        if alive.is_empty() {
            return;
        }
        for task in &alive {
            task.header().request_cancel(None);
        }
        let all_done = AllDone { tasks: alive };
        match deadline {
            None => all_done.await,
            Some(d) => {
                if tokio::time::timeout_at(d, all_done).await.is_err() {
                    return; // left to the runtime's drop, which aborts them
                }
            }
        }
    }
}

/// Ready when every one of `tasks` is done.
struct AllDone {
    tasks: Vec<std::sync::Arc<dyn TaskCore>>,
}

impl Future for AllDone {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.tasks.retain(|t| t.poll_done(cx).is_pending());
        if self.tasks.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}
