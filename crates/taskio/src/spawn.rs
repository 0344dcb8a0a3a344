//! Spawning: [`spawn`], [`try_spawn`] and the [`Builder`] (name, eager start): asyncio's
//! `create_task(coro, name=...)` and 3.12's `eager_task_factory`.
//!
//! A taskio task is a tokio task whose future is wrapped by taskio's task future: it makes the task
//! current while it is polled, delivers a cancel that came before the first poll, catches
//! panics, and stores the outcome in the task's cell.

use std::borrow::Cow;
use std::fmt;
use std::future::Future;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use pin_project_lite::pin_project;
use tokio::task::JoinHandle;

use crate::cell::{Cell, label_error};
use crate::error::{Cancelled, Error};
use crate::header::{ABORTED, CANCEL_PENDING, Header, POLLED, Runtime};
use crate::id::TaskId;
use crate::output::TaskOutput;
use crate::span::Spanned;
use crate::sync::Ordering;
use crate::task::Task;
use crate::task_core::{Member, TaskCore};

/// Starts `future` as a new task, at once, and returns its handle: asyncio's `create_task`.
///
/// The task runs whether or not the handle is awaited; dropping the handle detaches it.
///
/// # The body returns a `Result` (or `()`)
///
/// Where `tokio::spawn` takes a future of any output, a taskio body returns
/// `Result<T, E>` with `E: Into<taskio::Error>`, or `()` ([`TaskOutput`]): a bare value does not
/// compile.
///
/// ```compile_fail,E0277
/// taskio::run(async {
///     let t = taskio::spawn(async { 5u32 }); // error: `u32: TaskOutput` is not satisfied
///     assert_eq!(t.await.unwrap(), 5);
/// });
/// ```
///
/// The fix is one word, [`taskio::Ok`](crate::Ok()) (a `Result<T, taskio::Error>`):
///
/// ```
/// taskio::run(async {
///     let t = taskio::spawn(async { taskio::Ok(5u32) });
///     assert_eq!(t.await.unwrap(), 5);
/// });
/// ```
///
/// This is deliberate. A body's error must be the task's failure, so that gather fails fast, a
/// task group cancels the siblings, and a detached failure is reported; so `Result` cannot be
/// "just another value". Accepting any `T` as well would need an `impl<T> TaskOutput for T`,
/// which overlaps the `Result` impl (Rust has no specialization); and making the `Result` case
/// the exception (`spawn_try`, or a wrapper) would put the ceremony on the common case, since
/// every body that awaits a cancellation point uses `?` and returns a `Result` anyway.
///
/// # Panics
///
/// Outside a tokio runtime, with a message that says how to fix it. [`try_spawn`] returns that
/// as an error instead.
///
/// ```
/// use std::time::Duration;
///
/// taskio::run(async {
///     let task = taskio::spawn(async {
///         taskio::sleep(Duration::from_millis(200)).await?;
///         taskio::Ok("done 1")
///     });
///     assert_eq!(task.await?, "done 1");
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
#[track_caller]
#[must_use = "the task keeps running when its handle is dropped; `drop(task)` detaches it on purpose"]
pub fn spawn<F>(future: F) -> Task<<F::Output as TaskOutput>::Value>
where
    F: Future + Send + 'static,
    F::Output: TaskOutput,
{
    Builder::new().spawn(future)
}

/// [`spawn`], returning an error instead of panicking outside a tokio runtime.
///
/// ```
/// let err = taskio::try_spawn(async {}).unwrap_err();
/// assert!(err.to_string().contains("taskio::run"));
/// ```
#[track_caller]
pub fn try_spawn<F>(
    future: F,
) -> std::result::Result<Task<<F::Output as TaskOutput>::Value>, SpawnError>
where
    F: Future + Send + 'static,
    F::Output: TaskOutput,
{
    Builder::new().try_spawn(future)
}

/// A [`Builder`] for a task with options: `taskio::task().name("x").spawn(fut)`.
///
/// ```
/// taskio::run(async {
///     let t = taskio::task().name("fetch-1").spawn(async { taskio::Ok(200) });
///     assert_eq!(t.name(), "fetch-1");
///     assert_eq!(t.await?, 200);
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
pub fn task() -> Builder {
    Builder::new()
}

/// Options for a new task: its name, and whether it starts eagerly.
///
/// ```
/// let builder = taskio::Builder::new().name("worker").eager();
/// taskio::run(async move {
///     let t = builder.spawn(async { taskio::Ok(1) });
///     assert!(t.is_done()); // eager, and it never suspended
/// });
/// ```
#[derive(Clone, Debug, Default)]
#[must_use = "a Builder does nothing until .spawn() is called"]
pub struct Builder {
    name: Option<Cow<'static, str>>,
    eager: bool,
}

impl Builder {
    /// A builder with the defaults: named `Task-<id>`, started lazily.
    ///
    /// ```
    /// let _ = taskio::Builder::new();
    /// ```
    pub fn new() -> Self {
        Builder::default()
    }

    /// The task's name, for messages, `all_tasks()` and `tree()`.
    ///
    /// ```
    /// taskio::run(async {
    ///     let id = 7;
    ///     let t = taskio::task().name(format!("fetch-{id}")).spawn(async {});
    ///     assert_eq!(t.name(), "fetch-7");
    /// });
    /// ```
    pub fn name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Starts the task eagerly (asyncio 3.12's `eager_task_factory`): `spawn` polls the body on
    /// the spawning thread until its first suspension before it returns. A body that finishes
    /// without suspending gives a task that is already done, and never touches the scheduler.
    ///
    /// The first poll uses a waker that goes nowhere; the task is then scheduled and polled again,
    /// so the body's futures register the real waker (every well-behaved future re-registers on
    /// each poll).
    ///
    /// Eager spawns inside eager first polls nest on the thread's stack; an eager spawn made
    /// while 32 of them are already nested starts as a scheduled task instead (as if it were not
    /// eager), so no chain of eager spawns can overflow the stack.
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::task().eager().spawn(async { taskio::Ok(2 + 2) });
    ///     assert!(t.is_done());
    ///     assert_eq!(t.await?, 4);
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn eager(mut self) -> Self {
        self.eager = true;
        self
    }

    /// Spawns `future` as a task with these options. See [`spawn`].
    ///
    /// ```
    /// taskio::run(async {
    ///     let t = taskio::task().name("x").spawn(async { taskio::Ok(1) });
    ///     assert_eq!(t.await?, 1);
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    #[track_caller]
    #[must_use = "the task keeps running when its handle is dropped; `drop(task)` detaches it on purpose"]
    pub fn spawn<F>(self, future: F) -> Task<<F::Output as TaskOutput>::Value>
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput,
    {
        match self.try_spawn(future) {
            Ok(task) => task,
            Err(e) => panic!("{e}"),
        }
    }

    /// Spawns, or returns [`SpawnError`] outside a tokio runtime. See [`try_spawn`].
    ///
    /// ```
    /// assert!(taskio::task().name("orphan").try_spawn(async {}).is_err());
    /// ```
    #[track_caller]
    pub fn try_spawn<F>(
        self,
        future: F,
    ) -> std::result::Result<Task<<F::Output as TaskOutput>::Value>, SpawnError>
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput,
    {
        let parent = crate::context::with_current(|t| (t.header().id, t.header().root));
        let placement = Placement {
            parent,
            member: None,
            gate: None,
        };
        self.spawn_placed(future, Location::caller(), placement)
    }

    /// Spawns with an explicit parent, group membership and start gate (for task groups).
    pub(crate) fn spawn_placed<F>(
        self,
        future: F,
        location: &'static Location<'static>,
        placement: Placement,
    ) -> std::result::Result<Task<<F::Output as TaskOutput>::Value>, SpawnError>
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput,
    {
        self.spawn_enrolled(future, location, placement, None::<Enrol>)
    }

    /// [`spawn_placed`](Builder::spawn_placed) for a task group's child, admitted with the
    /// group's lock held: `enrol` is given the cell as soon as it is made, before the task can
    /// run (the group registers its child there, which ends that critical section), or dropped
    /// unused if the spawn fails.
    pub(crate) fn spawn_enrolled<F, E>(
        self,
        future: F,
        location: &'static Location<'static>,
        placement: Placement,
        enrol: Option<E>,
    ) -> std::result::Result<Task<<F::Output as TaskOutput>::Value>, SpawnError>
    where
        F: Future + Send + 'static,
        F::Output: TaskOutput,
        E: FnOnce(Arc<dyn TaskCore>),
    {
        // Inside a task, the runtime is the one the task runs on: no lookup (see `Runtime`).
        let known = crate::context::with_current(|t| t.header().runtime());
        let launcher = match known {
            Some(runtime @ (Runtime::CurrentThread | Runtime::MultiThread)) => {
                OnRuntime::Current(runtime)
            }
            _ => match tokio::runtime::Handle::try_current() {
                Ok(handle) => OnRuntime::Handle(handle),
                Err(_) => return Err(self.no_runtime(location, enrol)),
            },
        };
        Ok(self.place(future, location, placement, enrol, launcher))
    }

    /// The error of a spawn outside a runtime. The enrolment (the group's lock) goes first, before
    /// the caller drops the future: its `Drop` is the caller's code.
    fn no_runtime<E>(&self, location: &'static Location<'static>, enrol: Option<E>) -> SpawnError {
        drop(enrol);
        SpawnError {
            location,
            name: self.name.clone(),
        }
    }

    /// [`spawn_placed`](Builder::spawn_placed) for a future that need not be `Send`: it goes to
    /// the thread's tokio `LocalSet` (tokio panics outside one).
    pub(crate) fn spawn_placed_local<F>(
        self,
        future: F,
        location: &'static Location<'static>,
        placement: Placement,
    ) -> std::result::Result<Task<<F::Output as TaskOutput>::Value>, SpawnError>
    where
        F: Future + 'static,
        F::Output: TaskOutput,
    {
        self.spawn_enrolled_local(future, location, placement, None::<Enrol>)
    }

    /// [`spawn_enrolled`](Builder::spawn_enrolled) for a future that need not be `Send`.
    pub(crate) fn spawn_enrolled_local<F, E>(
        self,
        future: F,
        location: &'static Location<'static>,
        placement: Placement,
        enrol: Option<E>,
    ) -> std::result::Result<Task<<F::Output as TaskOutput>::Value>, SpawnError>
    where
        F: Future + 'static,
        F::Output: TaskOutput,
        E: FnOnce(Arc<dyn TaskCore>),
    {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(self.no_runtime(location, enrol));
        }
        Ok(self.place(future, location, placement, enrol, OnLocalSet))
    }

    /// Makes the task's cell (given to `enrol`, its group's registration) and future, and
    /// hands the future to `launcher`.
    fn place<F, L, E>(
        self,
        future: F,
        location: &'static Location<'static>,
        placement: Placement,
        enrol: Option<E>,
        launcher: L,
    ) -> Task<<F::Output as TaskOutput>::Value>
    where
        F: Future + 'static,
        F::Output: TaskOutput,
        L: Launch<F> + Launch<Spanned<F>>,
        E: FnOnce(Arc<dyn TaskCore>),
    {
        let Placement {
            parent,
            member,
            gate,
        } = placement;
        let cell = new_cell::<<F::Output as TaskOutput>::Value>(
            self.name,
            location,
            parent,
            member,
            <L as Launch<F>>::runtime(&launcher),
        );
        if let Some(enrol) = enrol {
            // Before the task can run (and complete); this releases the group's lock.
            enrol(cell.clone());
        }
        // tokio's JoinHandle is never polled: the outcome goes to the cell, and `abort` is a
        // flag that the task's future reads (where the handle is kept, and why: `OnRuntime`).
        // The body runs inside the task's tracing span (a child of the spawner's current span)
        // where a subscriber wants one; where none does, nothing is wrapped around it.
        let join = match crate::span::for_task(cell.header()) {
            None => launch_gated(launcher, &cell, gate, future, self.eager),
            Some(span) => launch_gated(
                launcher,
                &cell,
                gate,
                Spanned::new(span, future),
                self.eager,
            ),
        };
        Task { cell, _tokio: join }
    }
}

/// Hands `body`, the body of the task `cell` describes, to `launcher`: behind the group's
/// `gate` when there is one (a limited group's child), else with nothing to wait for.
fn launch_gated<L, B>(
    launcher: L,
    cell: &Arc<Cell<<B::Output as TaskOutput>::Value>>,
    gate: Option<Gate>,
    body: B,
    eager: bool,
) -> Option<JoinHandle<()>>
where
    L: Launch<B>,
    B: Future,
    B::Output: TaskOutput,
{
    let header = cell.header();
    match gate {
        None => launcher.launch(TaskFuture::new(cell.clone(), Ungated, body), eager, header),
        Some(gate) => {
            let gate = Gated(Some(Admission::Waiting(gate)));
            launcher.launch(TaskFuture::new(cell.clone(), gate, body), eager, header)
        }
    }
}

/// Where a task's future goes: tokio's scheduler ([`OnRuntime`], `Send` futures) or the
/// thread's `LocalSet` ([`OnLocalSet`], any future).
trait Launch<F: Future>
where
    F::Output: TaskOutput,
{
    /// The runtime the task will run on, for its header.
    fn runtime(&self) -> Runtime;

    fn launch<G: StartGate>(
        self,
        running: TaskFuture<F, G>,
        eager: bool,
        header: &Header,
    ) -> Option<JoinHandle<()>>;
}

/// `tokio::spawn`: on the runtime of the task that spawns (`Current`, known from its header), or
/// on a runtime's handle looked up by the caller.
enum OnRuntime {
    Current(Runtime),
    Handle(tokio::runtime::Handle),
}

impl<F> Launch<F> for OnRuntime
where
    F: Future + Send + 'static,
    F::Output: TaskOutput,
{
    fn runtime(&self) -> Runtime {
        match self {
            OnRuntime::Current(runtime) => *runtime,
            OnRuntime::Handle(handle) => match handle.runtime_flavor() {
                tokio::runtime::RuntimeFlavor::CurrentThread => Runtime::CurrentThread,
                _ => Runtime::MultiThread,
            },
        }
    }

    fn launch<G: StartGate>(
        self,
        running: TaskFuture<F, G>,
        eager: bool,
        header: &Header,
    ) -> Option<JoinHandle<()>> {
        let runtime = <Self as Launch<F>>::runtime(&self);
        let join = launch(self.handle(), running, eager, header);
        // Kept only where a worker may complete the task: there, tokio's allocation is then
        // freed by the thread that drops the `Task` (see `Task::_tokio`). On the current-thread
        // runtime, dropping it now frees that memory as soon as the task completes (measured:
        // ~130 ns per task less in W1 there).
        match runtime {
            Runtime::CurrentThread => None,
            _ => join,
        }
    }
}

impl OnRuntime {
    /// The handle to spawn on: `None` for the current runtime (the spawning task's).
    fn handle(&self) -> Option<&tokio::runtime::Handle> {
        match self {
            OnRuntime::Current(_) => None,
            OnRuntime::Handle(handle) => Some(handle),
        }
    }
}

/// `tokio::task::spawn_local`.
struct OnLocalSet;

impl<F> Launch<F> for OnLocalSet
where
    F: Future + 'static,
    F::Output: TaskOutput,
{
    fn runtime(&self) -> Runtime {
        // A `LocalSet` may run on either kind: its tasks' children look the runtime up.
        Runtime::Unknown
    }

    fn launch<G: StartGate>(
        self,
        running: TaskFuture<F, G>,
        eager: bool,
        _: &Header,
    ) -> Option<JoinHandle<()>> {
        // A `LocalSet` completes its tasks on this thread: nothing to keep (see `OnRuntime`).
        launch_local(running, eager);
        None
    }
}

/// What a spawn outside any task group registers its cell with: nobody (`None::<Enrol>`).
type Enrol = fn(Arc<dyn TaskCore>);

/// Where a new task goes: its parent `(id, root)`, the task group it belongs to, and what it
/// waits for before its body may start.
pub(crate) struct Placement {
    pub(crate) parent: Option<(TaskId, TaskId)>,
    pub(crate) member: Option<Member>,
    pub(crate) gate: Option<Gate>,
}

/// A place to wait for before the body starts (a task group's concurrency limit); its output is
/// held until the task is done, and dropping it gives the place back.
pub(crate) type Gate = Pin<Box<dyn Future<Output = Box<dyn Send>> + Send>>;

/// Hands a task's future to tokio: at once, or after an eager first poll on this thread (a
/// body that finishes without suspending never touches the scheduler).
fn launch<F, G>(
    handle: Option<&tokio::runtime::Handle>,
    running: TaskFuture<F, G>,
    eager: bool,
    header: &Header,
) -> Option<JoinHandle<()>>
where
    F: Future + Send + 'static,
    F::Output: TaskOutput,
    G: StartGate,
{
    // Too deep a nest of eager first polls would overflow the stack: that one is scheduled.
    if eager && let Some(_level) = EagerLevel::enter() {
        let mut running = Box::pin(running);
        let mut cx = Context::from_waker(Waker::noop());
        if running.as_mut().poll_task(&mut cx, false).is_pending() {
            return Some(to_tokio(handle, running, header));
        }
        None
    } else {
        Some(to_tokio(handle, running, header))
    }
}

/// `tokio::spawn` on `handle`, or on the current runtime (`None`: the caller is a task that the
/// runtime polls, so there is one). Where tokio is built with `--cfg tokio_unstable` (and its
/// `tracing` feature, which taskio then turns on), the task carries its taskio name into tokio's
/// own task builder, so that tokio-console shows it.
#[inline]
fn to_tokio<T>(
    handle: Option<&tokio::runtime::Handle>,
    future: T,
    header: &Header,
) -> JoinHandle<()>
where
    T: Future<Output = ()> + Send + 'static,
{
    #[cfg(tokio_unstable)]
    {
        let name = header.name();
        let builder = tokio::task::Builder::new().name(&name);
        match handle {
            Some(handle) => builder.spawn_on(future, handle),
            None => builder.spawn(future),
        }
        .expect("taskio: tokio's task builder spawns on a live runtime")
    }
    #[cfg(not(tokio_unstable))]
    {
        let _ = header;
        match handle {
            Some(handle) => handle.spawn(future),
            None => tokio::spawn(future),
        }
    }
}

/// How many eager first polls may nest on one thread. An eager spawn in an eager task's first
/// poll polls the new body on the same stack (~3.3 KiB a level in a debug build, ~0.8 KiB in
/// release, measured with trivial bodies), so a chain of them 5000 deep overflowed a worker's
/// 2 MiB stack and aborted the process. Beyond this depth an eager spawn starts as a scheduled
/// task instead, with a fresh stack under it.
const MAX_EAGER_DEPTH: u32 = 32;

thread_local! {
    static EAGER_DEPTH: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// One eager first poll in progress on this thread (the depth goes down again on drop).
struct EagerLevel;

impl EagerLevel {
    fn enter() -> Option<EagerLevel> {
        EAGER_DEPTH
            .try_with(|depth| {
                let d = depth.get();
                (d < MAX_EAGER_DEPTH).then(|| {
                    depth.set(d + 1);
                    EagerLevel
                })
            })
            .ok()
            .flatten()
    }
}

impl Drop for EagerLevel {
    fn drop(&mut self) {
        let _ = EAGER_DEPTH.try_with(|depth| depth.set(depth.get() - 1));
    }
}

/// [`launch`] for a future that need not be `Send`: onto the thread's `LocalSet`, where it is
/// polled only on this thread.
fn launch_local<F, G>(running: TaskFuture<F, G>, eager: bool)
where
    F: Future + 'static,
    F::Output: TaskOutput,
    G: StartGate,
{
    // Too deep a nest of eager first polls would overflow the stack: that one is scheduled.
    if eager && let Some(_level) = EagerLevel::enter() {
        let mut running = Box::pin(running);
        let mut cx = Context::from_waker(Waker::noop());
        if running.as_mut().poll_task(&mut cx, false).is_pending() {
            drop(tokio::task::spawn_local(running));
        }
    } else {
        drop(tokio::task::spawn_local(running));
    }
}

/// What a task waits for before its body starts. Every task but a limited group's children has
/// nothing to wait for ([`Ungated`], zero bytes: the gate costs them nothing at all).
pub(crate) trait StartGate: Send + 'static {
    /// Ready when the body may start. A task cancelled or aborted while it waits gives its
    /// place back and goes on to end cancelled without running its body.
    fn poll_start(&mut self, header: &Header, cx: &mut Context<'_>, register: bool) -> Poll<()>;
}

/// No gate: the body starts at the first poll.
pub(crate) struct Ungated;

impl StartGate for Ungated {
    #[inline(always)]
    fn poll_start(&mut self, _: &Header, _: &mut Context<'_>, _: bool) -> Poll<()> {
        Poll::Ready(())
    }
}

/// A place in a task group's limit: waited for, then held until the task is done.
pub(crate) struct Gated(Option<Admission>);

enum Admission {
    Waiting(Gate),
    Admitted(#[allow(dead_code)] Box<dyn Send>),
}

impl StartGate for Gated {
    fn poll_start(&mut self, header: &Header, cx: &mut Context<'_>, register: bool) -> Poll<()> {
        if let Some(Admission::Waiting(gate)) = &mut self.0 {
            // Park first, then look: a cancel that comes in between sees the waker and wakes us.
            // A tokio task's waker never changes, so it is stored once, not at every poll.
            if register && !header.waker_set() {
                header.park(cx.waker());
            }
            if header.cancel_pending() || header.aborted() {
                self.0 = None;
            } else {
                match gate.as_mut().poll(cx) {
                    Poll::Ready(place) => self.0 = Some(Admission::Admitted(place)),
                    Poll::Pending => return Poll::Pending,
                }
            }
        }
        Poll::Ready(())
    }
}

fn new_cell<T: Send + 'static>(
    name: Option<Cow<'static, str>>,
    location: &'static Location<'static>,
    parent: Option<(TaskId, TaskId)>,
    member: Option<Member>,
    runtime: Runtime,
) -> Arc<Cell<T>> {
    let mut header = Header::new(
        TaskId::next(),
        name,
        parent,
        location,
        crate::context::spawn_time(),
        crate::registry::slot(),
    );
    // Before the registry lists it: from then on, others may change its state.
    header.set_runtime(runtime);
    if parent.is_none()
        && let Some(main) = crate::run_scope::adopting_main()
    {
        // Spawned outside any task on a thread of `run`'s runtime (in `spawn_blocking`, in a
        // plain tokio task): no parent, but it belongs to that run.
        header.root = main;
    }
    let cell = Arc::new(Cell::new(header, member));
    let weak: std::sync::Weak<dyn TaskCore> = Arc::downgrade(&cell) as _;
    crate::registry::insert(&cell.header.registry_slot, weak);
    cell
}

/// A task and its running future, not scheduled anywhere: the `loom` models poll and drop the
/// future themselves (dropping it is what tokio does on `abort`), on loom's threads.
#[cfg(loom)]
#[track_caller]
pub(crate) fn unscheduled<F>(
    future: F,
    member: Option<Member>,
) -> (
    Task<<F::Output as TaskOutput>::Value>,
    TaskFuture<F, Ungated>,
)
where
    F: Future + Send + 'static,
    F::Output: TaskOutput,
{
    let cell = new_cell::<<F::Output as TaskOutput>::Value>(
        None,
        Location::caller(),
        None,
        member,
        Runtime::Unknown,
    );
    let running = TaskFuture::new(cell.clone(), Ungated, future);
    (Task { cell, _tokio: None }, running)
}

/// `spawn` was called outside a tokio runtime: asyncio's "no running event loop".
///
/// ```
/// let err = taskio::try_spawn(async {}).unwrap_err();
/// println!("{err}");
/// ```
#[derive(Clone, Debug)]
pub struct SpawnError {
    location: &'static Location<'static>,
    name: Option<Cow<'static, str>>,
}

impl fmt::Display for SpawnError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match &self.name {
            Some(n) => format!("task '{n}'"),
            None => "a task".to_owned(),
        };
        write!(
            f,
            "taskio: cannot spawn {what} at {}: no tokio runtime is running on this thread. \
             Spawn from inside `taskio::run(async {{ ... }})`, a `#[tokio::main]` or \
             `#[tokio::test]` function, or a runtime's `block_on`",
            self.location
        )
    }
}

impl std::error::Error for SpawnError {}

pin_project! {
    // The task's cell, its start gate and its body while it runs; nothing once the body is
    // dropped. `Done` takes no tag of its own: it is the cell pointer's null niche, so a task
    // future is its body plus 8 bytes (and a body of up to 16 bytes keeps tokio's task in its
    // 128-byte class, where a separate `Done` tag lifted every taskio task into the 256-byte
    // one: W1's spawn + await went from 787 to 575 ns a task on the current-thread runtime).
    #[project = StageProj]
    #[project_replace = StageReplace]
    enum Stage<C, G, F> {
        Running { core: C, gate: G, #[pin] body: F },
        Done,
    }
}

pin_project! {
    /// A task's future as tokio runs it.
    pub(crate) struct TaskFuture<F, G>
    where
        F: Future,
        F::Output: TaskOutput,
    {
        // The gate is what the task waits for before its body starts, then what it holds until
        // it is done. The cell pointer is thin (the output type is known here).
        #[pin]
        stage: Stage<Arc<Cell<<F::Output as TaskOutput>::Value>>, G, F>,
    }

    impl<F, G> PinnedDrop for TaskFuture<F, G>
    where
        F: Future,
        F::Output: TaskOutput,
    {
        fn drop(this: Pin<&mut Self>) {
            let mut stage = this.project().stage;
            let core = match stage.as_mut().project() {
                StageProj::Running { core, .. } => core.clone(),
                StageProj::Done => return,
            };
            // Dropped before it completed: aborted, or its runtime shut down. The body's
            // future is dropped first, so whoever awaits the task sees it fully torn down.
            // A panic in that drop is the outcome, never swallowed.
            core.header.close();
            let (gate, ended) = drop_body_ending(stage, Cancelled::new(Some("aborted")).into());
            core.complete(label_error(&core.header, Err(ended)));
            drop(gate);
        }
    }
}

impl<F, G> TaskFuture<F, G>
where
    F: Future,
    F::Output: TaskOutput,
{
    /// The future of the task `core` describes, which runs `body` once `gate` lets it start.
    fn new(core: Arc<Cell<<F::Output as TaskOutput>::Value>>, gate: G, body: F) -> Self {
        TaskFuture {
            stage: Stage::Running { core, gate, body },
        }
    }
}

impl<F, G> TaskFuture<F, G>
where
    F: Future,
    F::Output: TaskOutput,
    G: StartGate,
{
    /// One step of the task. `register` is false for an eager first poll, whose waker goes
    /// nowhere and so must not become the task's waker.
    pub(crate) fn poll_task(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        register: bool,
    ) -> Poll<()> {
        let mut stage = self.project().stage;
        let StageProj::Running { core, gate, body } = stage.as_mut().project() else {
            return Poll::Ready(());
        };
        if gate.poll_start(&core.header, cx, register).is_pending() {
            return Poll::Pending;
        }
        let header = core.header();
        let state = header.state.load(Ordering::Acquire);
        if state & (POLLED | ABORTED) != POLLED {
            let abort = state & ABORTED != 0;
            if abort || header.begin() {
                // Aborted, or cancelled before its first poll: the body never runs (again).
                let cancelled = if abort {
                    Cancelled::new(Some("aborted"))
                } else {
                    header.take_cancel().unwrap_or_default()
                };
                // Its own reference: the stage's goes with the body.
                let core = core.clone();
                let (gate, ended) = drop_body_ending(stage, cancelled.into());
                core.complete(label_error(&core.header, Err(ended)));
                drop(gate);
                return Poll::Ready(());
            }
        }

        // A request that is undelivered as this poll begins, and still is when the body
        // returns `Pending`, is delivered by dropping the body (see `context::frame_end`).
        let armed = Header::undelivered(state);
        // The context holds a reference of its own: the one here stays with the body until the
        // body is dropped, so that no completion path has to move it out of a pinned place.
        core.header().begin_poll();
        let entered = crate::context::enter(core.clone(), cx.waker(), armed);
        let started = crate::debug_mode::poll_started();
        let polled = catch_unwind(AssertUnwindSafe(|| body.poll(cx)));
        let (current, handling) = crate::context::leave(entered);
        crate::debug_mode::poll_ended(started, core.header());

        let (outcome, gate) = match polled {
            Ok(Poll::Pending) => {
                let header = core.header();
                let taken = if armed && !handling && Header::undelivered(header.load_state()) {
                    header.take_cancel()
                } else {
                    None
                };
                let Some(cancelled) = taken else {
                    if register && !header.waker_set() {
                        header.register_waker(cx.waker());
                    }
                    return Poll::Pending;
                };
                // The body waits in something that is not a cancellation point, and nothing
                // took the request: deliver it by dropping the body, as tokio's abort would.
                header.close();
                crate::report::dropped_for_cancel(header);
                let (gate, ended) = drop_body_ending(stage.as_mut(), cancelled.into());
                (Err(ended), gate)
            }
            Ok(Poll::Ready(output)) => {
                // Close before deciding: a request that got in before the close still counts
                // (the task ends cancelled, as asyncio's does), and one that comes after is
                // refused, so no `cancel()` returns `true` for a task that then ends `Ok`.
                let seen = core.header().close();
                let result = output.into_result();
                crate::debug_mode::ended(core.header(), seen, result.is_ok());
                let (gate, panic) = drop_body(stage.as_mut());
                let outcome = match panic {
                    // A body that returned, then panicked while it was dropped: the panic is
                    // the outcome (the value is dropped), never lost.
                    Some(panic) => Err(panic),
                    None => match result {
                        Ok(_) if seen & CANCEL_PENDING != 0 => {
                            Err(current.header().take_cancel().unwrap_or_default().into())
                        }
                        other => other,
                    },
                };
                (outcome, gate)
            }
            Err(payload) => {
                core.header().close();
                let message = crate::payload::message(&*payload);
                crate::payload::drop_safely(payload);
                // A panic while the body is dropped after its panic adds nothing to report.
                let (gate, _) = drop_body(stage.as_mut());
                (Err(Error::panicked(message)), gate)
            }
        };
        let core = current
            .into_any()
            .downcast::<Cell<<F::Output as TaskOutput>::Value>>()
            .expect("taskio: the task left is the task entered");
        core.complete(label_error(&core.header, outcome));
        drop(gate);
        Poll::Ready(())
    }
}

/// Drops the body of a task that ends with `ended`: gives back the start gate (see [`drop_body`])
/// and `ended`, or in its place the panic of the body's `Drop`, which is never swallowed.
fn drop_body_ending<C, G, F>(stage: Pin<&mut Stage<C, G, F>>, ended: Error) -> (Option<G>, Error) {
    let (gate, panic) = drop_body(stage);
    (gate, panic.unwrap_or(ended))
}

/// Drops the body's future, and with it the task future's reference to the cell (the caller
/// holds one of its own). Gives back the start gate, to be dropped once the task is complete
/// (a limited group's place is given back after the outcome is in), and a panic in the body's
/// `Drop`, caught, as the error the task ends with. After such a panic the gate has already
/// gone with the unwinding: the place is given back a moment early, by a task whose body is
/// gone, so the group's limit on running bodies still holds.
fn drop_body<C, G, F>(stage: Pin<&mut Stage<C, G, F>>) -> (Option<G>, Option<Error>) {
    match catch_unwind(AssertUnwindSafe(|| stage.project_replace(Stage::Done))) {
        Ok(StageReplace::Running { core, gate, .. }) => {
            drop(core);
            (Some(gate), None)
        }
        Ok(StageReplace::Done) => (None, None),
        Err(payload) => {
            let message = crate::payload::message(&*payload);
            crate::payload::drop_safely(payload);
            let panic = Error::panicked(format!("{message} (while the task's future was dropped)"));
            (None, Some(panic))
        }
    }
}

impl<F, G> Future for TaskFuture<F, G>
where
    F: Future,
    F::Output: TaskOutput,
    G: StartGate,
{
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.poll_task(cx, true)
    }
}

/// Runs `f`; a panic becomes a panicked [`Error`] (its payload dropped safely): how an inline
/// future's panic becomes a failure like any other (a gather input, a group's body).
pub(crate) fn catch<R>(f: impl FnOnce() -> R) -> Result<R, Error> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let message = crate::payload::message(&*payload);
        crate::payload::drop_safely(payload);
        Error::panicked(message)
    })
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// A body of exactly two words, the size of `async move { Ok(i) }` over one captured word.
    struct TwoWords([usize; 2]);

    impl Future for TwoWords {
        type Output = std::result::Result<usize, std::io::Error>;
        fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
            Poll::Ready(Ok(self.0[0] + self.0[1]))
        }
    }

    /// The task future adds one pointer to its body and nothing else: `Done` is the cell
    /// pointer's niche. A 16-byte body gives a 24-byte future, the largest that tokio's
    /// 128-byte task class holds (one more word lifts every task into the 256-byte class).
    #[test]
    fn the_task_future_is_its_body_plus_one_pointer() {
        assert_eq!(std::mem::size_of::<TwoWords>(), 16);
        assert_eq!(std::mem::size_of::<TaskFuture<TwoWords, Ungated>>(), 24);
        fn task_future_size<F: Future>(_: &F) -> usize
        where
            F::Output: TaskOutput,
        {
            std::mem::size_of::<TaskFuture<F, Ungated>>()
        }
        let i = 5usize;
        let captured = async move { crate::Ok(i) };
        assert_eq!(
            task_future_size(&captured),
            std::mem::size_of_val(&captured) + 8
        );
    }
}
