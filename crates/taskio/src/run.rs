//! [`run`] and [`Runner`]: asyncio's `asyncio.run(main())` and `asyncio.Runner`.
//!
//! `run` builds a tokio runtime, runs `main` as a task named `main`, then cancels every task
//! still alive that descends from `main` (spawned by it, or by its descendants, even detached)
//! and waits for their cleanup, round after round (cleanup may spawn), before it
//! returns main's outcome. A leftover whose cleanup fails meanwhile is reported once, as a
//! failure during `taskio::run`'s shutdown (asyncio: "unhandled exception during asyncio.run()
//! shutdown"). The default runtime is tokio's current-thread one: a spawned task first
//! runs when its spawner yields, so programs print in the same order as under asyncio.
//!
//! A task spawned on one of the runtime's threads outside any taskio task (in `spawn_blocking`,
//! or in a plain `tokio::spawn`ed future) has no parent, but it belongs to the run all the same:
//! asyncio's `run` cancels every task of its loop, and a task left to the runtime's drop would
//! be dropped without its cleanup.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use crate::error::Result;
use crate::id::TaskId;
use crate::output::TaskOutput;
use crate::run_scope::{RunThread, ShuttingDown};
use crate::task_core::TaskCore;

/// Runs `main` to completion on a new current-thread runtime, then cancels the tasks still
/// alive and waits for their cleanup: asyncio's `asyncio.run(main())`.
///
/// The tasks it waits for are `main`'s descendants, and also the tasks spawned on the runtime's
/// threads outside any taskio task: in a `tokio::task::spawn_blocking` closure, or in a plain
/// `tokio::spawn`ed future. Those have no parent (they are roots in [`tree`](crate::tree())), but
/// they belong to the run as every task of asyncio's loop belongs to its `run`, and are
/// cancelled at exit with their cleanup awaited, not dropped with the runtime.
///
/// With `TASKIO_INSPECT=1` in the environment, the process serves its task tree while `run`
/// runs, for `taskio ps PID` and `taskio pstree PID` ([`inspect`](crate::inspect)).
///
/// ```
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use std::time::Duration;
///
/// let cleaned = Arc::new(AtomicBool::new(false));
/// let flag = cleaned.clone();
/// taskio::run(async move {
///     tokio::task::spawn_blocking(move || {
///         drop(taskio::spawn(async move {
///             let r = taskio::sleep(Duration::from_secs(3600)).await;
///             flag.store(true, Ordering::SeqCst); // cleanup, once cancelled at exit
///             r
///         }));
///     })
///     .await
///     .unwrap();
/// });
/// assert!(cleaned.load(Ordering::SeqCst));
/// ```
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
    inspect: bool,
    #[cfg(feature = "test-util")]
    start_paused: bool,
    debug: Option<bool>,
    slow_poll_threshold: Option<Duration>,
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
    /// It must be at least 1: with 0, [`run`](Self::run) returns an error and runs nothing.
    ///
    /// ```
    /// taskio::Runner::new().worker_threads(2).run(async {}).unwrap();
    /// let zero = taskio::Runner::new().worker_threads(0).run(async {}).unwrap_err();
    /// assert!(zero.to_string().contains("worker_threads(0)"));
    /// ```
    pub fn worker_threads(mut self, n: usize) -> Self {
        self.multi_thread = true;
        self.worker_threads = Some(n);
        self
    }

    /// After main returns, how long leftover tasks get for their cleanup once cancelled; those
    /// still running then are aborted. Without it, `run` waits as long as their cleanup takes
    /// (asyncio's `run` waits for cancelled tasks too); so does a grace too long to add to the
    /// clock (`Duration::MAX`). A leftover that waits in a future that is not a cancellation
    /// point (a tokio accept, a channel) has that future dropped at once, so only a cleanup that
    /// is awaited after an `Err(Cancelled)` ever takes time here.
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

    /// Serves the task tree on this process's inspection socket while `run` runs, for
    /// `taskio ps PID` and `taskio pstree PID` (see [`inspect`](crate::inspect)); what
    /// `TASKIO_INSPECT=1` in the environment does too. Off by default. If the socket cannot be
    /// made, `run` says why on stderr (or through `tracing`) and runs anyway.
    ///
    /// ```
    /// let path = taskio::Runner::new()
    ///     .inspect(true)
    ///     .run(async {
    ///         let path = taskio::inspect::socket_paths(std::process::id())
    ///             .into_iter()
    ///             .find(|p| p.exists())
    ///             .expect("served while main runs");
    ///         taskio::Ok(path)
    ///     })
    ///     .unwrap();
    /// assert!(!path.exists(), "removed when run ends");
    /// ```
    pub fn inspect(mut self, on: bool) -> Self {
        self.inspect = on;
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

    /// Debug mode on (or off) for this run, whatever `TASKIO_DEBUG` says; as it was again when
    /// the run returns. See [`taskio::debug`](crate::debug) (asyncio's `asyncio.run(main(),
    /// debug=True)`).
    ///
    /// ```
    /// let on = taskio::Runner::new().debug(true).run(async { taskio::Ok(taskio::debug::is_enabled()) });
    /// assert!(on.unwrap());
    /// ```
    pub fn debug(mut self, on: bool) -> Self {
        self.debug = Some(on);
        self
    }

    /// Debug mode on for this run, reporting a poll that holds its thread longer than
    /// `threshold` (100 ms by default; asyncio's `loop.slow_callback_duration`).
    ///
    /// ```
    /// use std::time::Duration;
    /// let out = taskio::Runner::new()
    ///     .slow_poll_threshold(Duration::from_millis(500))
    ///     .run(async { taskio::Ok(taskio::debug::is_enabled()) });
    /// assert!(out.unwrap());
    /// ```
    pub fn slow_poll_threshold(mut self, threshold: Duration) -> Self {
        self.debug = Some(true);
        self.slow_poll_threshold = Some(threshold);
        self
    }

    /// Runs `main` as [`run`] does, with these options.
    ///
    /// # Errors
    ///
    /// Main's error, as [`run`]; or, before anything runs, an error when
    /// [`worker_threads(0)`](Self::worker_threads) was asked for.
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
        // Declared first, dropped last: the socket goes once the runtime is gone.
        let _inspector = crate::inspect::for_run(self.inspect);
        let (runtime, run_main) = self.build_runtime()?;
        let _debug = crate::debug::ForRun::begin(self.debug, self.slow_poll_threshold);
        let _this_thread = RunThread::enter(&run_main);
        let grace = self.shutdown_grace;
        // `main`'s spawn site is the caller's `run(..)` line, as `tree()` and reports show it.
        let location = std::panic::Location::caller();
        let out = runtime.block_on(async move {
            let main = crate::task()
                .name("main")
                .spawn_placed(main, location, root_placement())
                .expect("taskio: run's own runtime is current inside block_on");
            main_then_shutdown(main, &run_main, grace).await
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
        // Declared first, dropped last: the socket goes once the runtime is gone.
        let _inspector = crate::inspect::for_run(self.inspect);
        let (runtime, run_main) = self.build_runtime()?;
        let _debug = crate::debug::ForRun::begin(self.debug, self.slow_poll_threshold);
        let _this_thread = RunThread::enter(&run_main);
        let grace = self.shutdown_grace;
        let location = std::panic::Location::caller();
        let local = tokio::task::LocalSet::new();
        let out = local.block_on(&runtime, async move {
            let main = crate::task()
                .name("main")
                .spawn_placed_local(main, location, root_placement())
                .expect("taskio: run_local's own runtime is current inside block_on");
            main_then_shutdown(main, &run_main, grace).await
        });
        // Local tasks still there (aborted after the grace period) are dropped with the set.
        drop(local);
        drop(runtime);
        out
    }

    /// The runtime, and the cell where `main`'s id goes once it is spawned (the threads of the
    /// runtime read it: a task spawned there outside any task belongs to the run).
    fn build_runtime(&self) -> Result<(tokio::runtime::Runtime, Arc<OnceLock<TaskId>>)> {
        let mut builder = if self.multi_thread {
            tokio::runtime::Builder::new_multi_thread()
        } else {
            tokio::runtime::Builder::new_current_thread()
        };
        match self.worker_threads {
            Some(0) => {
                return Err(crate::Error::msg(
                    "taskio: Runner::worker_threads(0): a multi-thread runtime needs at least one worker thread",
                ));
            }
            Some(n) => {
                builder.worker_threads(n);
            }
            None => {}
        }
        let run_main = Arc::new(OnceLock::new());
        let for_threads = run_main.clone();
        // (tokio built with `--cfg loom`, for the loom models, has no thread hooks.)
        #[cfg(not(loom))]
        builder.on_thread_start(move || std::mem::forget(RunThread::enter(&for_threads)));
        #[cfg(loom)]
        drop(for_threads);
        #[cfg(feature = "test-util")]
        builder.start_paused(self.start_paused);
        let runtime = builder
            .enable_all()
            .build()
            .expect("taskio: could not build the tokio runtime");
        Ok((runtime, run_main))
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

/// What `run` and `run_local` do with their spawned `main`: tell the run's threads its id, await
/// it, then shut its leftovers down.
async fn main_then_shutdown<V: Send + 'static>(
    main: crate::Task<V>,
    run_main: &OnceLock<TaskId>,
    grace: Option<Duration>,
) -> Result<V> {
    let main_id = main.id();
    let _ = run_main.set(main_id);
    let out = main.await;
    shutdown(main_id, grace).await;
    out
}

/// Cancels every live task descended from `main` and waits until they are done; repeats while
/// cleanup spawned more. Tasks of other runtimes in the process are not touched.
async fn shutdown(main: crate::TaskId, grace: Option<Duration>) {
    let _marked = ShuttingDown::begin(main);
    // A grace past the clock's end is no limit (it used to panic after main had returned,
    // losing main's outcome).
    let deadline = grace.and_then(|g| tokio::time::Instant::now().checked_add(g));
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
