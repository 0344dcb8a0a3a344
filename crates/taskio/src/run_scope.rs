//! What a [`run`](crate::run()) shares with the machinery below it: which run a thread belongs
//! to (so a task spawned there outside any task is that run's to cancel at exit) and which runs
//! are shutting down (so a leftover that fails meanwhile is reported as a shutdown failure).

use std::cell::RefCell;
use std::sync::{Arc, OnceLock};

use crate::id::TaskId;

thread_local! {
    /// On the threads of a runtime that `run` built (its workers, its blocking pool, and the
    /// thread that blocks on it): the run's `main`, once spawned.
    static RUN_MAIN: RefCell<Option<Arc<OnceLock<TaskId>>>> = const { RefCell::new(None) };
}

/// The `main` of the `run` whose runtime this thread belongs to, if any: a task spawned here
/// outside any task is that run's to cancel at exit. Read only on that (rare) spawn path.
pub(crate) fn adopting_main() -> Option<TaskId> {
    RUN_MAIN
        .try_with(|m| m.borrow().as_ref().and_then(|main| main.get().copied()))
        .ok()
        .flatten()
}

/// Marks this thread as one of a run's, until dropped.
pub(crate) struct RunThread;

impl RunThread {
    pub(crate) fn enter(main: &Arc<OnceLock<TaskId>>) -> RunThread {
        let _ = RUN_MAIN.try_with(|m| *m.borrow_mut() = Some(main.clone()));
        RunThread
    }
}

impl Drop for RunThread {
    fn drop(&mut self) {
        let _ = RUN_MAIN.try_with(|m| *m.borrow_mut() = None);
    }
}

/// The `main` tasks whose `run` is cancelling their leftovers right now: a leftover that fails
/// meanwhile is reported as a failure during the shutdown (asyncio's "unhandled exception during
/// asyncio.run() shutdown"). Read only on the report path.
static SHUTTING_DOWN: std::sync::Mutex<Vec<TaskId>> = std::sync::Mutex::new(Vec::new());

/// Whether the task tree rooted at `root` is being shut down by its `run`.
pub(crate) fn in_shutdown(root: TaskId) -> bool {
    SHUTTING_DOWN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(&root)
}

/// Marks `main`'s tree as shutting down until dropped (also when the shutdown is dropped).
pub(crate) struct ShuttingDown(TaskId);

impl ShuttingDown {
    pub(crate) fn begin(main: TaskId) -> Self {
        SHUTTING_DOWN
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(main);
        ShuttingDown(main)
    }
}

impl Drop for ShuttingDown {
    fn drop(&mut self) {
        let mut roots = SHUTTING_DOWN.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(i) = roots.iter().position(|r| *r == self.0) {
            roots.swap_remove(i);
        }
    }
}
