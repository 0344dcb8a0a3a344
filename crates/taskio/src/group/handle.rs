//! [`TaskGroup`], the handle that spawns children into a running group (asyncio's
//! `TaskGroup.create_task`), and [`GroupSpawnError`], what it returns when the group no longer
//! takes children.

use std::fmt;
use std::future::Future;
use std::panic::Location;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use super::state::{Enrolment, Refusal, Shared};
use crate::output::TaskOutput;
use crate::spawn::{Builder, Gate, Placement, SpawnError};
use crate::task::Task;
use crate::task_core::Member;

/// The handle of a running task group: spawn children with it. A cheap `Clone`; clones may be
/// moved into the children, which can then spawn siblings.
///
/// Every child's parent (in [`all_tasks`](crate::all_tasks) and [`tree`](crate::tree())) is the
/// task that runs the group, whichever task called `spawn`.
///
/// ```
/// use std::time::Duration;
///
/// let total = taskio::run(async {
///     taskio::task_group(|tg| async move {
///         let a = tg.spawn(async {
///             taskio::sleep(Duration::from_millis(10)).await?;
///             taskio::Ok(1)
///         })?;
///         let tg2 = tg.clone();
///         let b = tg.spawn(async move {
///             // a child spawns a sibling through a clone of the handle
///             let c = tg2.spawn(async { taskio::Ok(2) })?;
///             taskio::Ok(c.await? + 3)
///         })?;
///         taskio::Ok(a.await? + b.await?)
///     })
///     .await
/// });
/// assert_eq!(total.unwrap(), 6);
/// ```
#[derive(Clone)]
pub struct TaskGroup {
    pub(super) shared: Arc<Shared>,
}

impl TaskGroup {
    /// Spawns `future` as a child of the group and returns its handle.
    ///
    /// The handle may be awaited, or dropped: the group owns the child's lifetime either way, and
    /// the child's outcome stays readable from the handle after the group ends. A child's failure
    /// is returned by the group, never reported as unread.
    ///
    /// Returns [`GroupSpawnError`] if the group is finished, or is shutting down after a failure
    /// or a cancel (asyncio raises `RuntimeError` there), or if no tokio runtime is running.
    ///
    /// ```
    /// taskio::run(async {
    ///     let mut kept = None;
    ///     taskio::task_group(|tg| {
    ///         let kept = &mut kept;
    ///         async move {
    ///             *kept = Some(tg.spawn(async { taskio::Ok("fetched") })?);
    ///             taskio::Ok(())
    ///         }
    ///     })
    ///     .await?;
    ///     // The group is over: the child is done and its outcome is there.
    ///     assert_eq!(kept.unwrap().try_result().unwrap()?, "fetched");
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn spawn<F>(
        &self,
        future: F,
    ) -> Result<Task<<F::Output as TaskOutput>::Value>, GroupSpawnError>
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput,
    {
        self.spawn_at(Builder::new(), future, Location::caller())
    }

    /// [`spawn`](TaskGroup::spawn) with options: a name, eager start.
    ///
    /// ```
    /// taskio::run(async {
    ///     taskio::task_group(|tg| async move {
    ///         let t = tg.spawn_with(taskio::task().name("fetch-1"), async { taskio::Ok(200) })?;
    ///         assert_eq!(t.name(), "fetch-1");
    ///         taskio::Ok(())
    ///     })
    ///     .await
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    pub fn spawn_with<F>(
        &self,
        builder: Builder,
        future: F,
    ) -> Result<Task<<F::Output as TaskOutput>::Value>, GroupSpawnError>
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput,
    {
        self.spawn_at(builder, future, Location::caller())
    }

    pub(crate) fn spawn_at<F>(
        &self,
        builder: Builder,
        future: F,
        location: &'static Location<'static>,
    ) -> Result<Task<<F::Output as TaskOutput>::Value>, GroupSpawnError>
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput,
    {
        self.place(location, |placement, enrolment| {
            builder.spawn_enrolled(
                future,
                location,
                placement,
                Some(|core| enrolment.register(core)),
            )
        })
    }

    /// [`spawn_local`](TaskGroup::spawn_local) with options.
    pub(crate) fn spawn_local_at<F>(
        &self,
        builder: Builder,
        future: F,
        location: &'static Location<'static>,
    ) -> Result<Task<<F::Output as TaskOutput>::Value>, GroupSpawnError>
    where
        F: Future + 'static,
        F::Output: TaskOutput,
    {
        self.place(location, |placement, enrolment| {
            builder.spawn_enrolled_local(
                future,
                location,
                placement,
                Some(|core| enrolment.register(core)),
            )
        })
    }

    /// Admits a child and spawns it with `spawn`, which registers its cell with the group as
    /// soon as it is made (one critical section on the group's lock, from the admission to the
    /// registration: see `Shared::enrol`).
    fn place<V: Send + 'static>(
        &self,
        location: &'static Location<'static>,
        spawn: impl FnOnce(Placement, Enrolment<'_>) -> Result<Task<V>, SpawnError>,
    ) -> Result<Task<V>, GroupSpawnError> {
        let refused = |reason| GroupSpawnError { reason, location };
        // Outside the group's lock: the gate takes its place in the semaphore's queue (a place
        // given back if the spawn is refused).
        let gate = self.shared.limit.as_ref().map(gate);
        let enrolment = self.shared.enrol().map_err(|refusal| {
            refused(match refusal {
                Refusal::Finished => Reason::Finished,
                Refusal::ShuttingDown => Reason::ShuttingDown,
                Refusal::Closed => Reason::Closed,
            })
        })?;
        let placement = Placement {
            parent: self.shared.parent,
            member: Some(Member {
                group: self.shared.clone(),
                key: enrolment.key(),
            }),
            gate,
        };
        // A spawn that fails (no runtime) drops the enrolment unused: the group is unchanged.
        spawn(placement, enrolment).map_err(|e| refused(Reason::NoRuntime(e)))
    }

    /// How many children are not yet done.
    ///
    /// ```
    /// taskio::run(async {
    ///     taskio::task_group(|tg| async move {
    ///         assert!(tg.is_empty());
    ///         let _child = tg.spawn(async {})?;
    ///         assert_eq!(tg.len(), 1);
    ///         taskio::Ok(())
    ///     })
    ///     .await
    /// })
    /// .unwrap();
    /// ```
    pub fn len(&self) -> usize {
        self.shared.live()
    }

    /// Whether every child is done.
    ///
    /// ```
    /// taskio::run(async {
    ///     taskio::task_group(|tg| async move { assert!(tg.is_empty()); taskio::Ok(()) }).await
    /// })
    /// .unwrap();
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The place a child of a limited group waits for, as a start gate: held until the child is done.
///
/// The gate joins the semaphore's queue here, at spawn, so that children start in spawn order
/// whichever worker first polls them. Its waker is a no-op until the task's own first poll,
/// which always comes after this one and registers the real waker.
fn gate(limit: &Arc<tokio::sync::Semaphore>) -> Gate {
    let acquire = limit.clone().acquire_owned();
    let mut gate: Gate = Box::pin(async move {
        let permit = acquire.await;
        Box::new(permit) as Box<dyn Send>
    });
    match gate.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(admission) => Box::pin(std::future::ready(admission)),
        Poll::Pending => gate,
    }
}

impl fmt::Debug for TaskGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("live", &self.shared.live())
            .field("phase", &self.shared.phase())
            .field("supervisor", &self.shared.supervisor)
            .finish()
    }
}

#[derive(Clone, Debug)]
enum Reason {
    Finished,
    ShuttingDown,
    Closed,
    NoRuntime(SpawnError),
}

/// [`TaskGroup::spawn`] was refused: the group is finished, or is shutting down after a failure
/// or a cancel, or no tokio runtime is running. It converts into [`taskio::Error`](crate::Error)
/// with `?`.
///
/// ```
/// taskio::run(async {
///     let mut handle = None;
///     taskio::task_group(|tg| {
///         handle = Some(tg.clone());
///         async { taskio::Ok(()) }
///     })
///     .await?;
///     let err = handle.unwrap().spawn(async {}).unwrap_err();
///     assert!(err.is_finished());
///     println!("{err}");
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Clone, Debug)]
pub struct GroupSpawnError {
    reason: Reason,
    location: &'static Location<'static>,
}

impl GroupSpawnError {
    /// The group had finished (or its future was dropped).
    ///
    /// ```
    /// taskio::run(async {
    ///     let mut kept = None;
    ///     taskio::task_group(|tg| {
    ///         kept = Some(tg.clone()); // a handle that outlives the group
    ///         async { taskio::Ok(()) }
    ///     })
    ///     .await?;
    ///     assert!(kept.unwrap().spawn(async {}).unwrap_err().is_finished());
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn is_finished(&self) -> bool {
        matches!(self.reason, Reason::Finished)
    }

    /// The group is shutting down: a child or the body failed, or the group was cancelled.
    ///
    /// ```
    /// taskio::run(async {
    ///     let outcome = taskio::task_group(|tg| async move {
    ///         let failing = tg.spawn(async { Err::<(), _>(taskio::Error::msg("boom")) })?;
    ///         let _ = failing.await; // the group is now failing
    ///         let refused = tg.spawn(async {}).unwrap_err();
    ///         assert!(refused.is_shutting_down());
    ///         taskio::Ok(())
    ///     })
    ///     .await;
    ///     assert!(outcome.is_err());
    /// });
    /// ```
    pub fn is_shutting_down(&self) -> bool {
        matches!(self.reason, Reason::ShuttingDown)
    }

    /// The group was closed ([`TaskGroup::close`]): it takes no new children, and waits for the
    /// ones it has.
    ///
    /// ```
    /// taskio::run(async {
    ///     taskio::task_group(|tg| async move {
    ///         tg.close();
    ///         assert!(tg.spawn(async {}).unwrap_err().is_closed());
    ///         taskio::Ok(())
    ///     })
    ///     .await
    /// })
    /// .unwrap();
    /// ```
    pub fn is_closed(&self) -> bool {
        matches!(self.reason, Reason::Closed)
    }
}

impl fmt::Display for GroupSpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            Reason::Finished => write!(
                f,
                "taskio: cannot spawn into a task group at {}: the group is finished",
                self.location
            ),
            Reason::ShuttingDown => write!(
                f,
                "taskio: cannot spawn into a task group at {}: the group is shutting down \
                 after a failure or a cancel",
                self.location
            ),
            Reason::Closed => write!(
                f,
                "taskio: cannot spawn into a task group at {}: the group is closed",
                self.location
            ),
            Reason::NoRuntime(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for GroupSpawnError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.reason {
            Reason::NoRuntime(e) => Some(e),
            _ => None,
        }
    }
}
