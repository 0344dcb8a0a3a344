//! # taskio: Python asyncio's task model for Rust, on tokio
//!
//! Create tasks, gather their results, wait for the first or for all, take results as they
//! complete, and group tasks so none outlives its scope. Cancellation is cooperative: a cancelled
//! task sees `Err(Cancelled)` at its next cancellation point, and can still `.await` its cleanup.
//!
//! A taskio task *is* a tokio task, so every tokio-based library works inside it, and a cancel
//! reaches code that waits in their futures ([Where a cancel arrives](#where-a-cancel-arrives);
//! [Using taskio with tokio](#using-taskio-with-tokio) says what changes for a tokio program).
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
//! A cancel request (`task.cancel()`, a [`timeout()`]'s deadline, a failing sibling in [`gather()`]
//! or a [`task_group`], [`run()`]'s shutdown) always arrives, in one of two ways:
//!
//! 1. **At a cancellation point, as `Err(Cancelled)`.** Every taskio future is one ([`sleep`],
//!    awaiting a [`Task`], [`gather()`], [`wait()`], [`as_completed()`], a group, [`checkpoint`]), and
//!    so is any future wrapped with [`.cancellable()`](CancellableExt::cancellable). The code
//!    gets the value, may `.await` its async cleanup (a flush, a rollback, a goodbye message),
//!    and decides: `?` ends the task cancelled. A point is reached whatever waker it was polled
//!    with, also inside `FuturesUnordered`, `buffer_unordered` or `select_all`, and also in code
//!    that is not a task (a `timeout` or a `gather` awaited in `#[tokio::main]`'s `main`).
//!    Delivery is edge-triggered: one point takes the request. The [`Task`]s the code was
//!    waiting for beside it (in a `select!`, in `FuturesUnordered`) are all cancelled with it.
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
//!   server decides. taskio's combinators still work inside them: a [`timeout()`] or a
//!   [`gather()`] cancels its own inner work (by its scope, or by dropping a wait). Use
//!   [`#[taskio::main]`](macro@crate::main) or [`run()`] to make `main` a taskio task.
//!
//! ## Using taskio with tokio
//!
//! taskio adds a task model to a tokio program; it does not replace tokio. Every tokio type
//! (sockets, timers, channels, `Mutex`) and every tokio-based library works inside a taskio task,
//! and taskio's futures work inside plain tokio code. What differs:
//!
//! - **`#[tokio::main]` or `#[taskio::main]`.** Both build a tokio runtime and take the same
//!   options (`flavor = "multi_thread"`, `worker_threads = N`, `start_paused = true`). Under
//!   `#[tokio::main]`, `main` is a plain future: taskio's functions work in it, but it is not a
//!   task ([`current()`] is `None`), and when it returns, the runtime drops the tasks still running
//!   without their cleanup. Under [`#[taskio::main]`](macro@crate::main) (or [`run()`] /
//!   [`Runner`]), `main` is the task named `main`, and when it returns, the tasks it left running
//!   are cancelled and their cleanup awaited, as `asyncio.run` does. For tests,
//!   [`#[taskio::test]`](macro@crate::test) is `#[tokio::test]`'s counterpart.
//! - **`tokio::select!`** works over taskio futures; the branches that lose are dropped, without
//!   an `Err(Cancelled)` (see above). A [`Task`] dropped that way is *detached*, not cancelled (as a
//!   dropped `JoinHandle` is): select on `&mut task`, and cancel it when another branch wins
//!   (when the branch that wins is the code's own cancel, the task is cancelled with it). To
//!   give up on work after a while, [`timeout()`] cancels it cooperatively instead; to wait for
//!   the first of several tasks, [`wait()`]`.first_completed()` leaves the others running.
//! - **axum and hyper handlers** are plain futures too, dropped by the server when the client
//!   goes away. Spawn the work as a named task in the handler and return its outcome with `?`
//!   through an `IntoResponse` wrapper of the program's own around [`Error`] (choosing the status
//!   by [`Error::is_timed_out`], [`Error::is_panic`] or [`Error::downcast_ref`]); serve the app
//!   in a taskio task, its `serve` future made [`.cancellable()`](CancellableExt::cancellable),
//!   so that a cancel stops the server. The workspace's example
//!   `crates/taskio-cli/examples/axum_handler.rs` does both.
//! - **`JoinHandle` and [`Task`].** Both are awaited for the outcome and detach when dropped.
//!   A tokio `JoinHandle<T>` gives `Result<T, JoinError>` and can only `abort()` (the future is
//!   dropped at its next wait). A `Task<T>` gives [`taskio::Result<T>`](Result) (the task's own
//!   error, a cancellation, a timeout or a panic, with the task's name); its
//!   [`cancel()`](Task::cancel) is cooperative (the task sees `Err(Cancelled)` and may await its
//!   cleanup), [`abort()`](Task::abort) is tokio's; and awaiting a `Task` passes the awaiter's own
//!   cancel on to it (asyncio's rule; [`shield()`] does not). tokio's `AbortHandle` is
//!   [`TaskHandle`] (the controls, to share; [`Task::handle`]), and tokio's `JoinSet` is
//!   [`JoinSet`] (with [`JoinSet::cancel_all`] besides `abort_all`).
//! - **`spawn_blocking` and [`to_thread()`].** Both run a closure on tokio's blocking pool.
//!   `spawn_blocking`'s `abort()` cannot stop a closure that has started. `to_thread` makes the
//!   closure a taskio task (named, in [`tree()`], in a [`gather()`] or a group) and hands it a
//!   [`CancelFlag`] that a cancel or a [`timeout()`] raises, so the closure can stop early with
//!   [`CancelFlag::check`]`?`.
//!
//! One program with each of them:
//!
//! ```
//! use std::time::Duration;
//! use taskio::CancellableExt;
//!
//! #[taskio::main]
//! async fn main() -> taskio::Result<()> {
//!     assert_eq!(taskio::current().unwrap().name(), "main"); // a task, unlike #[tokio::main]
//!
//!     // tokio's channel in a taskio task; `.cancellable()` makes the wait a cancellation point.
//!     let (tx, mut rx) = tokio::sync::mpsc::channel::<u64>(8);
//!     let consumer = taskio::task().name("consumer").spawn(async move {
//!         let mut sum = 0;
//!         while let Some(n) = rx.recv().cancellable().await? {
//!             sum += n;
//!         }
//!         taskio::Ok(sum)
//!     });
//!
//!     // tokio::select! on `&mut task`, so the losing task is not dropped (that would detach it),
//!     // and a TaskHandle (tokio's AbortHandle) to cancel it when the other branch wins.
//!     let mut slow = taskio::task().name("slow").spawn(async {
//!         taskio::sleep(Duration::from_secs(3600)).await?;
//!         taskio::Ok(1)
//!     });
//!     let slow_handle = slow.handle();
//!     tokio::select! {
//!         outcome = &mut slow => tx.send(outcome?).await?,
//!         () = tokio::time::sleep(Duration::from_millis(10)) => {
//!             slow_handle.cancel();
//!         }
//!     }
//!     assert!(slow.await.unwrap_err().is_cancelled());
//!
//!     // tokio's spawn_blocking becomes to_thread: a task, with a flag that a cancel raises.
//!     let crunch = taskio::task().name("crunch").to_thread(|flag: taskio::CancelFlag| {
//!         flag.check()?;
//!         taskio::Ok((1..=10u64).sum::<u64>())
//!     });
//!     tx.send(crunch.await?).await?; // `?` takes tokio's SendError too
//!
//!     // tokio's JoinSet becomes taskio's: outcomes in completion order.
//!     let mut set = taskio::JoinSet::new();
//!     for n in 1..=3u64 {
//!         set.spawn(async move { taskio::Ok(n * 100) });
//!     }
//!     while let Some(outcome) = set.join_next().await {
//!         tx.send(outcome?).await?;
//!     }
//!
//!     drop(tx);
//!     assert_eq!(consumer.await?, 55 + 600);
//!     Ok(())
//! }
//! ```
//!
//! ## The map from asyncio
//!
//! | asyncio | taskio |
//! |---|---|
//! | `asyncio.run(main())` | [`run()`], [`Runner`] |
//! | `asyncio.create_task(coro, name=...)` | [`spawn()`], [`task()`]`.name(..).spawn(..)` |
//! | `eager_task_factory` | [`Builder::eager`] |
//! | `task.cancel(msg)`, `cancelling()`, `uncancel()` | [`Task::cancel_with`], [`Task::cancelling`], [`CurrentTask::uncancel`] |
//! | any holder of a task calls `task.cancel(msg)` | [`Task::handle`] → [`TaskHandle`], [`CurrentTask::handle`], [`CurrentTask::cancel_with`] |
//! | `await task`, `result()`, `done()` | `task.await`, [`Task::try_result`], [`Task::is_done`] |
//! | a coroutine that returns a plain value | `spawn(async { taskio::Ok(v) })`: see [`spawn()`] on [`TaskOutput`] |
//! | `asyncio.gather(*aws)` | [`gather()`], [`gather!`], [`Gather::limit`] |
//! | `asyncio.gather(*aws, return_exceptions=True)` | [`gather_settled`] |
//! | `asyncio.wait(aws, timeout, return_when)` | [`wait()`]`(tasks).first_completed()/first_error()/all().timeout(d)`, [`TaskSet`] |
//! | `asyncio.as_completed(aws, timeout)` | [`as_completed()`] → a `Stream` of `(index, Result<T>)` |
//! | a set of tasks reaped in a server loop (tokio's `JoinSet`) | [`JoinSet`]: [`JoinSet::join_next`], a `Stream`, [`JoinSet::cancel_all`], [`JoinSet::abort_all`] |
//! | `asyncio.timeout(d)`, `timeout_at(when)`, `wait_for(aw, d)` | [`timeout()`], [`timeout_at`] |
//! | `Timeout.reschedule(when)` | [`Deadline::reschedule`] (a [`RescheduleError`] once the timeout is expiring, expired or finished) |
//! | `Timeout.expired()` | [`Deadline::expired`], [`Timeout::expired`] |
//! | `asyncio.shield(aw)` | [`shield()`] |
//! | `asyncio.sleep(d)` | [`sleep`] |
//! | `asyncio.to_thread(func)` | [`to_thread()`], [`Builder::to_thread`], [`TaskGroup::to_thread`], [`CancelFlag`] |
//! | `asyncio.current_task()`, `all_tasks()` | [`current`], [`all_tasks`] |
//! | 3.14 `python -m asyncio pstree`, `print_call_graph()` | [`tree()`] → [`TaskTree`] |
//! | 3.14 `python -m asyncio ps PID`, `pstree PID` (from outside) | `TASKIO_INSPECT=1`, [`Runner::inspect`], [`inspect::serve`]; then `taskio ps PID`, `taskio pstree PID` |
//! | `async with asyncio.TaskGroup() as tg`, `tg.create_task(coro)` | [`task_group`], [`TaskGroup::spawn`] |
//! | `ExceptionGroup` from a `TaskGroup` | [`Error::group_errors`] |
//! | (Kotlin `supervisorScope`, Go errgroup `SetLimit`) | [`group()`]`.supervisor().limit(n).run(..)` |
//! | 3.14 `TaskGroup.cancel()`, (tokio-util `TaskTracker` close) | [`TaskGroup::cancel`], [`TaskGroup::close`], [`GroupBuilder::on_failure`] |
//! | (single-threaded asyncio code with shared objects) | [`Runner::run_local`], [`spawn_local()`], [`TaskGroup::spawn_local`] |
//! | `CancelledError` | [`Cancelled`] |

#![warn(missing_docs)]
#![forbid(unsafe_code)]

// Layers. Imports point down only (tests/layers.rs checks that the module graph has no cycle):
//
// 1. Plain values: `id` (TaskId, TaskState), `error`, `output`, `sync`, `reschedule_error`.
// 2. The machinery, private: `header` (a task's state word and wakers), `task_core` (the
//    face of a task the machinery holds), `point` (a cancellation point's registration),
//    `registry` (the live tasks), `run_scope` (what a run shares below it), `stderr` and
//    `debug_mode` (debug mode's switch and checks), `report` (outcomes nobody read, cancels
//    delivered by dropping), `payload` (a caught panic's message), `cell` (the outcome slot), `context` (the current task and its cancel
//    frames), `scope` (drop delivery around inline code), `span`, `ready_queue`.
// 3. The rooms, public: `task`, `spawn`, `cancel`, `time`, `timeout`, `shield`, `gather`,
//    `wait`, `as_completed`, `task_set`, `join_set`, `group`, `handle`, `introspect`, `tree`,
//    `debug`, `local`, `to_thread`, `run`; each opens with its guide.

mod cell;
mod context;
mod debug_mode;
mod header;
mod id;
mod output;
mod payload;
mod point;
mod point_wakers;
mod ready_queue;
mod registry;
mod report;
mod reschedule_error;
mod run_scope;
mod scope;
mod span;
mod stderr;
mod sync;
mod task_core;

#[cfg(loom)]
#[doc(hidden)]
#[path = "loom_surface.rs"]
pub mod __loom;
pub mod as_completed;
pub mod cancel;
pub mod debug;
pub mod error;
pub mod gather;
mod gather_macro;
pub mod group;
pub mod handle;
pub mod inspect;
pub mod introspect;
pub mod join_set;
pub mod local;
#[cfg(feature = "macros")]
mod main_macro;
pub mod run;
pub mod shield;
pub mod spawn;
pub mod task;
pub mod task_set;
pub mod time;
pub mod timeout;
pub mod to_thread;
pub mod tree;
pub mod wait;

#[doc(inline)]
pub use as_completed::{AsCompleted, as_completed};
#[doc(inline)]
pub use cancel::{Cancellable, CancellableExt, Checkpoint, checkpoint};
#[doc(inline)]
pub use error::{Cancelled, Error, Ok, Result, TimedOut};
#[doc(inline)]
pub use gather::{Gather, GatherSettled, gather, gather_settled};
#[doc(inline)]
pub use group::{GroupBuilder, GroupSpawnError, TaskGroup, TaskGroupFuture, group, task_group};
#[doc(inline)]
pub use handle::TaskHandle;
#[doc(inline)]
pub use introspect::{CurrentTask, TaskInfo, all_tasks, current};
#[doc(inline)]
pub use join_set::{JoinNext, JoinSet};
#[doc(inline)]
pub use local::spawn_local;
#[doc(inline)]
pub use output::TaskOutput;
#[doc(inline)]
pub use reschedule_error::RescheduleError;
pub use run::{Runner, run};
#[doc(inline)]
pub use shield::{Shield, shield};
#[doc(inline)]
pub use spawn::{Builder, SpawnError, spawn, task, try_spawn};
#[doc(inline)]
pub use task::{Task, TaskId, TaskState};
#[doc(inline)]
pub use task_set::TaskSet;
#[doc(inline)]
pub use time::{Sleep, sleep, sleep_until};
#[doc(inline)]
pub use timeout::{Deadline, Timeout, timeout, timeout_at};
#[doc(inline)]
pub use to_thread::{CancelFlag, to_thread};
#[doc(inline)]
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
#[doc(inline)]
pub use tree::{TaskTree, tree};

/// The README's examples, compiled and run as doctests so that they stay true.
#[cfg(doctest)]
#[doc = include_str!("../../../README.md")]
struct ReadmeDoctests;
