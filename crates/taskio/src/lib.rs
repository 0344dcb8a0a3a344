//! # taskio: Python asyncio's task model for Rust, on tokio
//!
//! Create tasks, gather their results, wait for the first or for all, take results as they
//! complete, and group tasks so none outlives its scope. Cancellation is cooperative: a cancelled
//! task sees `Err(Cancelled)` at its next cancellation point, and can still `.await` its cleanup.
//!
//! A taskio task *is* a tokio task, so every tokio-based library works inside it, and a cancel
//! reaches code that waits in their futures ([Where a cancel arrives](#where-a-cancel-arrives)).
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
//!
//! ## Where a cancel arrives
//!
//! A cancel request (`task.cancel()`, a [`timeout`]'s deadline, a failing sibling in [`gather()`]
//! or a [`task_group`], [`run`]'s shutdown) always arrives, in one of two ways:
//!
//! 1. **At a cancellation point, as `Err(Cancelled)`.** Every taskio future is one ([`sleep`],
//!    awaiting a [`Task`], [`gather()`], [`wait`], [`as_completed`], a group, [`checkpoint`]), and
//!    so is any future wrapped with [`.cancellable()`](CancellableExt::cancellable). The code
//!    gets the value, may `.await` its async cleanup (a flush, a rollback, a goodbye message),
//!    and decides: `?` ends the task cancelled. A point is reached whatever waker it was polled
//!    with, also inside `FuturesUnordered`, `buffer_unordered` or `select_all`.
//! 2. **By dropping the wait, where no point takes it.** When the code waits in a future that
//!    is not a cancellation point (tokio I/O, timers, channels, any library's future), the
//!    innermost taskio frame around that wait (the task's body, a timeout's work, a gather
//!    input, a group's body) drops the future it polls, as tokio's `abort` and `select!` do, and
//!    carries on as if the request had been delivered there: the code around it gets
//!    `Err(Cancelled)` (a timeout whose own deadline fired gives `TimedOut`), and a dropped body
//!    ends its task cancelled. It happens at the first poll after the request that returns
//!    `Pending` with the request untaken, so it is exact on the paused clock; a `debug` event
//!    names the task and says that no async cleanup ran there.
//!
//! Code that is already handling a delivered cancel is never dropped by a later request: a
//! cleanup that was started runs to its end, and only [`Task::abort`] cuts it short. CPU-bound
//! code that never suspends is not interrupted at all: put a [`checkpoint`] in the loop.
//!
//! ```
//! use std::time::Duration;
//! use taskio::CancellableExt;
//!
//! fn main() -> taskio::Result<()> {
//!     taskio::run(async {
//!         // A TCP accept loop: `accept()` is tokio I/O, so the cancel drops it.
//!         let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
//!         let server = taskio::task().name("server").spawn(async move {
//!             loop {
//!                 let (_socket, _peer) = listener.accept().await.unwrap();
//!             }
//!             #[allow(unreachable_code)]
//!             taskio::Ok(())
//!         });
//!
//!         // A channel consumer that wants its cleanup: `.cancellable()` makes the wait a point.
//!         let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(8);
//!         let consumer = taskio::spawn(async move {
//!             let mut seen = 0;
//!             loop {
//!                 match rx.recv().cancellable().await {
//!                     Ok(Some(_)) => seen += 1,
//!                     Ok(None) => return taskio::Ok(seen),
//!                     Err(cancelled) => {
//!                         taskio::sleep(Duration::from_millis(1)).await?; // async cleanup
//!                         return Err(cancelled.into());
//!                     }
//!                 }
//!             }
//!         });
//!
//!         // tokio::select! over tokio futures: the whole select is dropped.
//!         let selecting = taskio::spawn(async move {
//!             tokio::select! {
//!                 _ = tokio::time::sleep(Duration::from_secs(3600)) => {}
//!                 _ = std::future::pending::<()>() => {}
//!             }
//!             taskio::Ok(())
//!         });
//!
//!         // FuturesUnordered of taskio sleeps: the cancel wakes them, one returns Err.
//!         let unordered = taskio::spawn(async {
//!             use futures_util::StreamExt;
//!             let mut all: futures_util::stream::FuturesUnordered<_> =
//!                 (0..3).map(|_| taskio::sleep(Duration::from_secs(3600))).collect();
//!             while let Some(r) = all.next().await {
//!                 r?;
//!             }
//!             taskio::Ok(())
//!         });
//!
//!         tx.send(1).await.unwrap();
//!         taskio::sleep(Duration::from_millis(10)).await?;
//!         for t in [&server.handle(), &selecting.handle(), &unordered.handle()] {
//!             t.cancel();
//!         }
//!         consumer.cancel();
//!         assert!(server.await.unwrap_err().is_cancelled());
//!         assert!(selecting.await.unwrap_err().is_cancelled());
//!         assert!(unordered.await.unwrap_err().is_cancelled());
//!         assert!(consumer.await.unwrap_err().is_cancelled());
//!         taskio::Ok(())
//!     })
//! }
//! ```
//!
//! What this means around taskio:
//!
//! - **`tokio::select!`** drops the branches that lose, from outside: a taskio future in a losing
//!   branch is gone without an `Err(Cancelled)`; put the cleanup where the winner is handled.
//! - **`#[tokio::main]`, axum and hyper handlers, plain `tokio::spawn`**: their futures are not
//!   taskio tasks ([`current()`] is `None` there) and are dropped from outside when tokio or the
//!   server decides. taskio's combinators still work inside them: a [`timeout`] or a
//!   [`gather()`] cancels its own inner work (by its scope, or by dropping a wait). Use
//!   [`#[taskio::main]`](macro@crate::main) or [`run`] to make `main` a taskio task.
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
//! | `Timeout.reschedule(when)` | [`Deadline::reschedule`] (a [`RescheduleError`] once the timeout is expiring, expired or finished) |
//! | `Timeout.expired()` | [`Deadline::expired`], [`Timeout::expired`] |
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
mod reschedule_error;
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
pub use reschedule_error::RescheduleError;
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
