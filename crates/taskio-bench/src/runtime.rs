//! The runtimes a Rust case runs on: tokio's current-thread or a 2-worker multi-thread
//! runtime, with the measured code at the top of `block_on` or inside a spawned task.

use std::fmt;
use std::future::Future;

/// Where a case runs: a Rust runtime flavour, or a Python event loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Runtime {
    /// tokio current-thread, measured code directly in `block_on`.
    Ct,
    /// tokio multi-thread with 2 workers, measured code directly in `block_on`.
    Mt2,
    /// tokio current-thread, measured code inside a spawned task.
    CtTask,
    /// tokio multi-thread (2 workers), measured code inside a spawned task.
    Mt2Task,
    /// CPython's asyncio event loop.
    Cpython,
    /// CPython with uvloop's event loop.
    Uvloop,
}

impl Runtime {
    /// Every runtime, in report order.
    pub const ALL: [Runtime; 6] = [
        Runtime::Ct,
        Runtime::Mt2,
        Runtime::CtTask,
        Runtime::Mt2Task,
        Runtime::Cpython,
        Runtime::Uvloop,
    ];

    /// The id used on the worker's command line and in JSON.
    pub fn id(self) -> &'static str {
        match self {
            Runtime::Ct => "current_thread",
            Runtime::Mt2 => "multi_thread(2)",
            Runtime::CtTask => "current_thread/in-task",
            Runtime::Mt2Task => "multi_thread(2)/in-task",
            Runtime::Cpython => "cpython-asyncio",
            Runtime::Uvloop => "cpython-uvloop",
        }
    }

    /// Parses [`Runtime::id`].
    pub fn parse(s: &str) -> Option<Runtime> {
        Runtime::ALL.into_iter().find(|r| r.id() == s)
    }

    /// Whether the case runs in Python.
    pub fn is_python(self) -> bool {
        matches!(self, Runtime::Cpython | Runtime::Uvloop)
    }
}

impl fmt::Display for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// Runs `make()`'s future on a fresh runtime of the flavour `rt` and returns its output. For the
/// in-task flavours the future runs inside a spawned task: a taskio task when `taskio_task`
/// (so taskio's cancellation points see a current task), a plain tokio task otherwise.
pub fn block_on<F, T>(rt: Runtime, taskio_task: bool, fut: F) -> T
where
    F: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let runtime = match rt {
        Runtime::Ct | Runtime::CtTask => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Runtime::Mt2 | Runtime::Mt2Task => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build(),
        Runtime::Cpython | Runtime::Uvloop => panic!("a python runtime runs in python3"),
    }
    .expect("build the tokio runtime");
    let in_task = matches!(rt, Runtime::CtTask | Runtime::Mt2Task);
    let out = runtime.block_on(async move {
        if !in_task {
            fut.await
        } else if taskio_task {
            taskio::spawn(async move { taskio::Ok(fut.await) })
                .await
                .expect("the measuring task")
        } else {
            tokio::spawn(fut).await.expect("the measuring task")
        }
    });
    // Whatever the case left behind (none should) is dropped outside the measurement.
    drop(runtime);
    out
}
