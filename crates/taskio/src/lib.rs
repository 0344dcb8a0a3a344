//! # taskio: Python asyncio's task model for Rust, on tokio
//!
//! Create tasks, gather their results, wait for the first or for all, take results as they
//! complete, and group tasks so none outlives its scope. Cancellation is cooperative: a cancelled
//! task sees `Err(Cancelled)` at its next cancellation point, and can still `.await` its cleanup.
//!
//! A taskio task *is* a tokio task, so every tokio-based library works inside it unchanged.
//!
//! ```
//! use std::time::Duration;
//!
//! async fn background_work(n: u64) -> taskio::Result<u64> {
//!     println!("Task {n}: starting");
//!     taskio::sleep(Duration::from_millis(n * 10)).await?;
//!     println!("Task {n}: finished");
//!     Ok(n * 10)
//! }
//!
//! let results = taskio::run(async {
//!     let t1 = taskio::task().name("Fast Task").spawn(background_work(1));
//!     let t2 = taskio::task().name("Slow Task").spawn(background_work(2));
//!     println!("Main: tasks are scheduled, now I can do other work...");
//!     taskio::sleep(Duration::from_millis(5)).await?;
//!     taskio::Ok((t1.await?, t2.await?))
//! });
//! assert_eq!(results.unwrap(), (10, 20));
//! ```
//!
//! ## Cancellation with async cleanup
//!
//! ```
//! use std::time::Duration;
//!
//! async fn cancellable_work() -> taskio::Result<()> {
//!     match taskio::sleep(Duration::from_secs(10)).await {
//!         Ok(()) => Ok(()),
//!         Err(cancelled) => {
//!             // async cleanup still runs: the request was delivered once
//!             taskio::sleep(Duration::from_millis(1)).await?;
//!             Err(cancelled.into()) // re-raise: the task ends cancelled
//!         }
//!     }
//! }
//!
//! taskio::run(async {
//!     let task = taskio::spawn(cancellable_work());
//!     taskio::sleep(Duration::from_millis(10)).await?;
//!     task.cancel();
//!     assert!(task.await.unwrap_err().is_cancelled());
//!     taskio::Ok(())
//! })
//! .unwrap();
//! ```
//!
//! ## The map from asyncio
//!
//! | asyncio | taskio |
//! |---|---|
//! | `asyncio.run(main())` | [`run`], [`Runner`] |
//! | `asyncio.create_task(coro, name=...)` | [`spawn`], [`task()`]`.name(..).spawn(..)` |
//! | `eager_task_factory` | [`Builder::eager`] |
//! | `task.cancel(msg)`, `cancelling()`, `uncancel()` | [`Task::cancel_with`], [`Task::cancelling`], [`CurrentTask::uncancel`] |
//! | any holder of a task calls `task.cancel(msg)` | [`Task::handle`] → [`TaskHandle`], [`CurrentTask::handle`], [`CurrentTask::cancel_with`] |
//! | `await task`, `result()`, `done()` | `task.await`, [`Task::try_result`], [`Task::is_done`] |
//! | a coroutine that returns a plain value | `spawn(async { taskio::Ok(v) })`: see [`spawn`] on [`TaskOutput`] |
//! | `asyncio.gather(*aws)` | [`gather()`], [`gather!`], [`Gather::limit`] |
//! | `asyncio.gather(*aws, return_exceptions=True)` | [`gather_settled`] |
//! | `asyncio.wait(aws, timeout, return_when)` | [`wait`]`(tasks).first_completed()/first_error()/all().timeout(d)`, [`TaskSet`] |
//! | `asyncio.as_completed(aws, timeout)` | [`as_completed`] → a `Stream` of `(index, Result<T>)` |
//! | a set of tasks reaped in a server loop (tokio's `JoinSet`) | [`JoinSet`]: [`JoinSet::join_next`], a `Stream`, [`JoinSet::cancel_all`], [`JoinSet::abort_all`] |
//! | `asyncio.timeout(d)`, `timeout_at(when)`, `wait_for(aw, d)` | [`timeout`], [`timeout_at`] |
//! | `Timeout.reschedule(when)` | [`Deadline::reschedule`] |
//! | `asyncio.shield(aw)` | [`shield`] |
//! | `asyncio.sleep(d)` | [`sleep`] |
//! | `asyncio.to_thread(func)` | [`to_thread()`], [`Builder::to_thread`], [`TaskGroup::to_thread`], [`CancelFlag`] |
//! | `asyncio.current_task()`, `all_tasks()` | [`current`], [`all_tasks`] |
//! | 3.14 `python -m asyncio pstree`, `print_call_graph()` | [`tree()`] → [`TaskTree`] |
//! | `async with asyncio.TaskGroup() as tg`, `tg.create_task(coro)` | [`task_group`], [`TaskGroup::spawn`] |
//! | `ExceptionGroup` from a `TaskGroup` | [`Error::group_errors`] |
//! | (Kotlin `supervisorScope`, Go errgroup `SetLimit`) | [`group()`]`.supervisor().limit(n).run(..)` |
//! | 3.14 `TaskGroup.cancel()`, (tokio-util `TaskTracker` close) | [`TaskGroup::cancel`], [`TaskGroup::close`], [`GroupBuilder::on_failure`] |
//! | (single-threaded asyncio code with shared objects) | [`Runner::run_local`], [`spawn_local()`], [`TaskGroup::spawn_local`] |
//! | `CancelledError` | [`Cancelled`] |

#![warn(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(loom)]
#[doc(hidden)]
#[path = "loom_surface.rs"]
pub mod __loom;
mod as_completed;
mod cancel;
mod cell;
mod context;
mod error;
mod gather;
mod gather_macro;
mod gather_small;
mod group;
mod handle;
mod header;
mod introspect;
mod join_set;
mod local;
#[cfg(feature = "macros")]
mod main_macro;
mod output;
mod point;
mod ready_queue;
mod registry;
mod report;
mod run;
mod scope;
mod shield;
mod span;
mod spawn;
mod sync;
mod task;
mod task_set;
mod time;
mod timeout;
mod to_thread;
mod tree;
mod wait;

pub use as_completed::{AsCompleted, as_completed};
pub use cancel::{Cancellable, CancellableExt, Checkpoint, checkpoint};
pub use error::{Cancelled, Error, Ok, Result, TimedOut};
pub use gather::{Gather, GatherSettled, gather, gather_settled};
pub use group::{GroupBuilder, GroupSpawnError, TaskGroup, TaskGroupFuture, group, task_group};
pub use handle::TaskHandle;
pub use introspect::{CurrentTask, TaskInfo, all_tasks, current};
pub use join_set::{JoinNext, JoinSet};
pub use local::spawn_local;
pub use output::TaskOutput;
pub use run::{Runner, run};
pub use shield::{Shield, shield};
pub use spawn::{Builder, SpawnError, spawn, task, try_spawn};
pub use task::{Task, TaskId, TaskState};
pub use task_set::TaskSet;
pub use time::{Sleep, sleep, sleep_until};
pub use timeout::{Deadline, Timeout, timeout, timeout_at};
pub use to_thread::{CancelFlag, to_thread};
pub use wait::{Wait, wait};

/// What the macros expand to; not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::gather_macro::{Driver, DynChild, MacroChild};
    #[cfg(feature = "macros")]
    pub use crate::main_macro::{
        MainOutput, MainOutputPlain, MainOutputSpecial, main_body, main_result, main_unit,
    };
}

#[cfg(feature = "macros")]
pub use taskio_macros::{main, test};
pub use tree::{TaskTree, tree};

/// The README's examples, compiled and run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
