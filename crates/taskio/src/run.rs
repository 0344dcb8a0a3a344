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
    #[cfg(feature = "test-util")]
    start_paused: bool,
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

    /// Starts the runtime with tokio's clock paused (feature `test-util`; the current-thread
    /// runtime only, as tokio's): time moves only when every task waits on a timer, and then
    /// jumps to the next deadline, so timed code runs at once and exactly. What
    /// `#[taskio::test(start_paused = true)]` sets.
    ///
    /// ```
    /// use std::time::Duration;
    /// let waited = taskio::Runner::new().start_paused(true).run(async {
    ///     let start = tokio::time::Instant::now();
    ///     taskio::sleep(Duration::from_secs(3600)).await?;
    ///     taskio::Ok(start.elapsed())
    /// });
    /// assert_eq!(waited.unwrap(), Duration::from_secs(3600));
    /// ```
    #[cfg(feature = "test-util")]
    pub fn start_paused(mut self, paused: bool) -> Self {
        self.start_paused = paused;
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
        let mut builder = if self.multi_thread {
            tokio::runtime::Builder::new_multi_thread()
        } else {
            tokio::runtime::Builder::new_current_thread()
        };
        if let Some(n) = self.worker_threads {
            builder.worker_threads(n);
        }
        #[cfg(feature = "test-util")]
        builder.start_paused(self.start_paused);
        let runtime = builder
            .enable_all()
            .build()
            .expect("taskio: could not build the tokio runtime");
        let grace = self.shutdown_grace;
        // `main`'s spawn site is the caller's `run(..)` line, as `tree()` and reports show it.
        let location = std::panic::Location::caller();
        let out = runtime.block_on(async move {
            let placement = crate::spawn::Placement {
                parent: None,
                member: None,
                gate: None,
            };
            let main = crate::task()
                .name("main")
                .spawn_placed(main, location, placement)
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
