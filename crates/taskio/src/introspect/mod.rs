//! Looking at tasks while they run: [`current`], [`all_tasks`] and [`TaskInfo`], asyncio's
//! `current_task()` and `all_tasks()`.
//!
//! [`current()`] gives the running task's [`CurrentTask`]: its id, name and parent, its own
//! cancel controls, and asyncio's `uncancel()`. It is `None` outside a taskio task (in a plain
//! `tokio::spawn`ed future, a `#[tokio::main]` body, an axum handler). [`TaskInfo`] is a snapshot
//! of one task (id, name, parent, state, where it was spawned, its age); the tree they form is
//! [`tree()`](crate::tree()), asyncio 3.14's `pstree`.

use std::borrow::Cow;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;
use std::time::Duration;

use crate::header::Header;
use crate::id::{TaskId, TaskState};
use crate::task_core::TaskCore;

/// Who awaits whom, for the snapshot and the tree.
pub(crate) mod awaits;

/// A snapshot of one task: what `all_tasks()` lists and `tree()` draws.
///
/// ```
/// taskio::run(async {
///     let t = taskio::task().name("worker").spawn(async {});
///     let info = t.info();
///     assert_eq!(info.name, "worker");
///     assert_eq!(info.state, taskio::TaskState::Pending);
///     println!("{info}");
/// });
/// ```
#[derive(Clone, Debug)]
pub struct TaskInfo {
    /// The task's id.
    pub id: TaskId,
    /// Its name (`Task-<id>` unless one was given).
    pub name: String,
    /// Its state when the snapshot was taken.
    pub state: TaskState,
    /// The task that spawned it, if it was spawned from inside a task.
    pub parent: Option<TaskId>,
    /// Where it was spawned.
    pub spawned_at: &'static Location<'static>,
    /// How long ago it was spawned. The spawns made in one poll of a task share one reading
    /// of the clock, taken by the first of them, as an event loop reads its time once per
    /// iteration: a task spawned late in a long poll of its spawner reads older than it is, by
    /// at most the time that poll had run before the first spawn. Outside a task every spawn
    /// reads the clock.
    pub age: Duration,
    /// Its outstanding cancel requests.
    pub cancelling: u32,
    /// The tasks it awaits now, in id order (through `.await` on their handles, gather, wait,
    /// as_completed, shield, a `JoinSet` or `TaskSet`, or its task group's join): filled in by
    /// [`all_tasks`] and [`tree`](crate::tree()), empty in a single task's
    /// [`info`](crate::Task::info). An edge ends when the awaited task is done or its handle
    /// is dropped (with the future that awaited it); a handle that was polled and then set
    /// aside unpolled (`&mut task` in a `select!` that took another branch, a `TaskSet` kept
    /// for later) still shows the task that polled it last, which its completion would wake.
    pub awaiting: Vec<TaskId>,
}

impl TaskInfo {
    pub(crate) fn of(header: &Header) -> TaskInfo {
        Self::with_state(header, header.task_state())
    }

    /// The snapshot of a task that is not done, with the state read once: a task that ends
    /// between the registry's look and this one is left out, not listed as done.
    fn of_live(header: &Header) -> Option<TaskInfo> {
        let state = header.task_state();
        (!state.is_done()).then(|| Self::with_state(header, state))
    }

    fn with_state(header: &Header, state: TaskState) -> TaskInfo {
        TaskInfo {
            id: header.id,
            name: header.name().into_owned(),
            state,
            parent: header.parent,
            spawned_at: header.location,
            age: header.age(),
            cancelling: header.cancelling(),
            awaiting: Vec::new(),
        }
    }
}

impl fmt::Display for TaskInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (id {}, {}, spawned at {}, age {:.1?}",
            self.name, self.id, self.state, self.spawned_at, self.age
        )?;
        if self.cancelling > 0 {
            write!(f, ", cancelling {}", self.cancelling)?;
        }
        f.write_str(")")?;
        write_awaiting(f, &self.awaiting)
    }
}

/// Every task that is not yet done, ordered by id: asyncio's `all_tasks()`. Each entry has
/// the state it was seen in, never a done one, even while other threads finish tasks.
///
/// ```
/// use std::time::Duration;
///
/// taskio::run(async {
///     let sleeper = taskio::task().name("sleeper").spawn(async {
///         taskio::sleep(Duration::from_secs(1)).await
///     });
///     let names: Vec<String> = taskio::all_tasks().into_iter().map(|t| t.name).collect();
///     assert!(names.contains(&"sleeper".to_string()));
///     sleeper.cancel();
/// });
/// ```
pub fn all_tasks() -> Vec<TaskInfo> {
    let cores = crate::registry::snapshot();
    let mut edges = Vec::new();
    let mut tasks = Vec::with_capacity(cores.len());
    for core in &cores {
        if let Some(info) = TaskInfo::of_live(core.header()) {
            edges.extend(
                core.awaited_by()
                    .into_iter()
                    .flatten()
                    .map(|a| (a, info.id)),
            );
            tasks.push(info);
        }
    }
    awaits::invert(&mut tasks, edges);
    tasks
}

/// How many awaited ids a task's line shows before it says how many more there are.
const AWAITING_SHOWN: usize = 8;

/// ` awaits 3, 4` after a task's line, a long list cut short (a gather of 100k tasks).
fn write_awaiting(f: &mut fmt::Formatter<'_>, awaiting: &[TaskId]) -> fmt::Result {
    let Some((first, rest)) = awaiting.split_first() else {
        return fmt::Result::Ok(());
    };
    write!(f, " awaits {first}")?;
    for id in rest.iter().take(AWAITING_SHOWN - 1) {
        write!(f, ", {id}")?;
    }
    if awaiting.len() > AWAITING_SHOWN {
        write!(f, " and {} more", awaiting.len() - AWAITING_SHOWN)?;
    }
    fmt::Result::Ok(())
}

/// The task whose code is running now, or `None` outside any taskio task: asyncio's
/// `current_task()`.
///
/// ```
/// taskio::run(async {
///     let me = taskio::current().expect("main runs as a task");
///     assert_eq!(me.name(), "main");
/// });
/// assert!(taskio::current().is_none());
/// ```
pub fn current() -> Option<CurrentTask> {
    crate::context::with_current(|t| CurrentTask { core: t.clone() })
}

/// The running task, as [`current`] gives it: read its identity, and count, add or take back
/// cancel requests.
///
/// ```
/// taskio::run(async {
///     let me = taskio::current().unwrap();
///     println!("running as {} ({})", me.name(), me.id());
/// });
/// ```
#[derive(Clone)]
pub struct CurrentTask {
    core: Arc<dyn TaskCore>,
}

impl CurrentTask {
    /// The task's id.
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::spawn(async { taskio::Ok(taskio::current().unwrap().id()) });
    ///     let id = t.id();
    ///     assert_eq!(t.await.unwrap(), id);
    /// });
    /// ```
    pub fn id(&self) -> TaskId {
        self.core.header().id
    }

    /// The task's name.
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::task().name("me").spawn(async {
    ///         taskio::Ok(taskio::current().unwrap().name().into_owned())
    ///     });
    ///     assert_eq!(t.await.unwrap(), "me");
    /// });
    /// ```
    pub fn name(&self) -> Cow<'_, str> {
        self.core.header().name()
    }

    /// The task that spawned this one, if any.
    ///
    /// ```
    /// taskio::run(async {
    ///     let main_id = taskio::current().unwrap().id();
    ///     let child = taskio::spawn(async { taskio::Ok(taskio::current().unwrap().parent()) });
    ///     assert_eq!(child.await.unwrap(), Some(main_id));
    /// });
    /// ```
    pub fn parent(&self) -> Option<TaskId> {
        self.core.header().parent
    }

    /// Outstanding cancel requests: asyncio's `cancelling()`.
    ///
    /// ```
    /// taskio::run(async {
    ///     assert_eq!(taskio::current().unwrap().cancelling(), 0);
    /// });
    /// ```
    pub fn cancelling(&self) -> u32 {
        self.core.header().cancelling()
    }

    /// Takes back one cancel request and returns how many remain: asyncio's `uncancel()`.
    /// When none remains, a request that was not yet delivered is withdrawn.
    ///
    /// ```
    /// taskio::run(async {
    ///     let me = taskio::current().unwrap();
    ///     me.cancel();
    ///     assert_eq!(me.uncancel(), 0);
    ///     taskio::checkpoint().await?; // nothing to deliver any more
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn uncancel(&self) -> u32 {
        self.core.header().uncancel()
    }

    /// Asks this task to stop at its next cancellation point.
    ///
    /// ```
    /// taskio::run(async {
    ///     taskio::current().unwrap().cancel();
    ///     assert!(taskio::checkpoint().await.is_err());
    /// });
    /// ```
    pub fn cancel(&self) -> bool {
        self.core.header().request_cancel(None)
    }

    /// [`cancel`](CurrentTask::cancel) with a message that the task's next cancellation point
    /// gives in [`Cancelled::message`](crate::Cancelled::message).
    ///
    /// ```
    /// taskio::run(async {
    ///     taskio::current().unwrap().cancel_with("enough");
    ///     let c = taskio::checkpoint().await.unwrap_err();
    ///     assert_eq!(c.message(), Some("enough"));
    /// });
    /// ```
    pub fn cancel_with(&self, message: impl Into<Arc<str>>) -> bool {
        self.core.header().request_cancel(Some(message.into()))
    }

    /// A [`TaskHandle`](crate::TaskHandle) to this task, to hand to code that may have to stop
    /// it later (from another task or thread).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// taskio::run(async {
    ///     let me = taskio::current().unwrap().handle();
    ///     std::thread::spawn(move || {
    ///         std::thread::sleep(Duration::from_millis(10));
    ///         me.cancel_with("from a thread");
    ///     });
    ///     let c = taskio::sleep(Duration::from_secs(60)).await.unwrap_err();
    ///     assert_eq!(c.message(), Some("from a thread"));
    /// });
    /// ```
    pub fn handle(&self) -> crate::TaskHandle {
        crate::TaskHandle::new(self.core.clone())
    }

    /// A snapshot of the task.
    ///
    /// ```
    /// taskio::run(async { println!("{}", taskio::current().unwrap().info()) });
    /// ```
    pub fn info(&self) -> TaskInfo {
        TaskInfo::of(self.core.header())
    }
}

impl fmt::Debug for CurrentTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CurrentTask")
            .field("id", &self.id())
            .field("name", &self.name())
            .finish()
    }
}
