//! `!Send` tasks: [`spawn_local`], [`Builder::spawn_local`], [`TaskGroup::spawn_local`],
//! [`JoinSet::spawn_local`], and [`Runner::run_local`](crate::Runner::run_local) for a `!Send`
//! main. asyncio code is single-threaded and shares state through plain references; its Rust port
//! uses `Rc` and `RefCell`, which `spawn` refuses (a `Send` future may move between threads).
//!
//! A local task is a taskio task like any other (named, cancellable, in groups, `tree()`,
//! `all_tasks()`), run by tokio's `LocalSet` on the thread that spawned it: its future never
//! leaves that thread. Only its outcome must be `Send`, since the [`Task`] handle that reads it
//! may be sent elsewhere.

use std::future::Future;
use std::panic::Location;

use crate::group::{GroupSpawnError, TaskGroup};
use crate::join_set::JoinSet;
use crate::output::TaskOutput;
use crate::spawn::{Builder, Placement};
use crate::task::Task;

/// [`spawn`](crate::spawn()) for a future that is not `Send` (it holds an `Rc`, a `RefCell`
/// borrow across an `.await`, ...): the task runs on this thread's tokio `LocalSet`, as
/// `tokio::task::spawn_local` does. Inside [`Runner::run_local`](crate::Runner::run_local) there
/// always is one.
///
/// # Panics
///
/// Outside a tokio runtime (with taskio's message), and outside a `LocalSet` (with tokio's).
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// let total = taskio::Runner::new().run_local(async {
///     let log = Rc::new(RefCell::new(Vec::new()));
///     let tasks: Vec<_> = (1..=3)
///         .map(|i| {
///             let log = log.clone();
///             taskio::spawn_local(async move {
///                 taskio::sleep(std::time::Duration::from_millis(10 * i)).await?;
///                 log.borrow_mut().push(i);
///                 taskio::Ok(i)
///             })
///         })
///         .collect();
///     let sum: u64 = taskio::gather(tasks).await?.into_iter().sum();
///     assert_eq!(*log.borrow(), [1, 2, 3]);
///     taskio::Ok(sum)
/// });
/// assert_eq!(total.unwrap(), 6);
/// ```
#[track_caller]
#[must_use = "the task keeps running when its handle is dropped; `drop(task)` detaches it on purpose"]
pub fn spawn_local<F>(future: F) -> Task<<F::Output as TaskOutput>::Value>
where
    F: Future + 'static,
    F::Output: TaskOutput,
{
    Builder::new().spawn_local(future)
}

impl Builder {
    /// [`spawn_local`] with these options (a name, eager start).
    ///
    /// ```
    /// taskio::Runner::new()
    ///     .run_local(async {
    ///         let shared = std::rc::Rc::new(5);
    ///         let t = taskio::task().name("local").spawn_local(async move { taskio::Ok(*shared) });
    ///         assert_eq!(t.name(), "local");
    ///         assert_eq!(t.await?, 5);
    ///         taskio::Ok(())
    ///     })
    ///     .unwrap();
    /// ```
    #[track_caller]
    #[must_use = "the task keeps running when its handle is dropped; `drop(task)` detaches it on purpose"]
    pub fn spawn_local<F>(self, future: F) -> Task<<F::Output as TaskOutput>::Value>
    where
        F: Future + 'static,
        F::Output: TaskOutput,
    {
        let parent = crate::context::with_current(|t| (t.header().id, t.header().root));
        let placement = Placement {
            parent,
            member: None,
            gate: None,
        };
        match self.spawn_placed_local(future, Location::caller(), placement) {
            Ok(task) => task,
            Err(e) => panic!("{e}"),
        }
    }
}

impl TaskGroup {
    /// [`TaskGroup::spawn`] for a future that is not `Send`: a child of the group run on this
    /// thread's `LocalSet`, with every rule of the group (fail-fast, supervisor, limit, cancel).
    ///
    /// ```
    /// use std::cell::Cell;
    /// use std::rc::Rc;
    ///
    /// taskio::Runner::new()
    ///     .run_local(async {
    ///         let hits = Rc::new(Cell::new(0));
    ///         let h = hits.clone();
    ///         taskio::task_group(|tg| async move {
    ///             for _ in 0..3 {
    ///                 let h = h.clone();
    ///                 tg.spawn_local(async move { h.set(h.get() + 1) })?;
    ///             }
    ///             taskio::Ok(())
    ///         })
    ///         .await?;
    ///         assert_eq!(hits.get(), 3);
    ///         taskio::Ok(())
    ///     })
    ///     .unwrap();
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(
        &self,
        future: F,
    ) -> Result<Task<<F::Output as TaskOutput>::Value>, GroupSpawnError>
    where
        F: Future + 'static,
        F::Output: TaskOutput,
    {
        self.spawn_local_at(Builder::new(), future, Location::caller())
    }

    /// [`spawn_local`](TaskGroup::spawn_local) with options: a name, eager start.
    ///
    /// ```
    /// taskio::Runner::new()
    ///     .run_local(async {
    ///         taskio::task_group(|tg| async move {
    ///             let rc = std::rc::Rc::new("local");
    ///             let t = tg.spawn_local_with(taskio::task().name("c"), async move {
    ///                 taskio::Ok(*rc)
    ///             })?;
    ///             assert_eq!(t.name(), "c");
    ///             taskio::Ok(())
    ///         })
    ///         .await
    ///     })
    ///     .unwrap();
    /// ```
    #[track_caller]
    pub fn spawn_local_with<F>(
        &self,
        builder: Builder,
        future: F,
    ) -> Result<Task<<F::Output as TaskOutput>::Value>, GroupSpawnError>
    where
        F: Future + 'static,
        F::Output: TaskOutput,
    {
        self.spawn_local_at(builder, future, Location::caller())
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// [`JoinSet::spawn`] for a future that is not `Send`.
    ///
    /// ```
    /// taskio::Runner::new()
    ///     .run_local(async {
    ///         let mut set = taskio::JoinSet::new();
    ///         let rc = std::rc::Rc::new(3);
    ///         set.spawn_local(async move { taskio::Ok(*rc) });
    ///         assert_eq!(set.join_next().await.unwrap()?, 3);
    ///         taskio::Ok(())
    ///     })
    ///     .unwrap();
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&mut self, future: F) -> crate::TaskHandle
    where
        F: Future + 'static,
        F::Output: TaskOutput<Value = T>,
    {
        self.push(Builder::new().spawn_local(future))
    }
}
