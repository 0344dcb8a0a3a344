//! A task's identity and life stage, [`TaskId`] and [`TaskState`]: the plain values at the
//! bottom of the crate, which the machinery (the header, errors, the current-task slot) and the
//! public handles share. Re-exported from [`task`](crate::task) and the crate root.

use std::fmt;
use std::num::NonZeroU64;

/// A task's id: unique in the process, never reused.
///
/// ```
/// taskio::run(async {
///     let a = taskio::spawn(async {});
///     let b = taskio::spawn(async {});
///     assert_ne!(a.id(), b.id());
///     assert_eq!(a.name(), format!("Task-{}", a.id()));
/// });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TaskId(NonZeroU64);

impl TaskId {
    /// The id as a number.
    ///
    /// ```
    /// taskio::run(async { assert!(taskio::spawn(async {}).id().as_u64() > 0) });
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }

    /// A fresh id. Each thread reserves a block of ids at a time, so taking one costs no shared
    /// atomic operation on the spawn path.
    pub(crate) fn next() -> TaskId {
        use std::cell::Cell as StdCell;
        use std::sync::atomic::{AtomicU64, Ordering};
        const BLOCK: u64 = 1024;
        static NEXT_BLOCK: AtomicU64 = AtomicU64::new(1);
        thread_local! {
            static RANGE: StdCell<(u64, u64)> = const { StdCell::new((0, 0)) };
        }
        let take_block = || {
            let start = NEXT_BLOCK.fetch_add(BLOCK, Ordering::Relaxed);
            (start, start + BLOCK)
        };
        let id = RANGE
            .try_with(|r| {
                let (mut next, mut end) = r.get();
                if next == end {
                    (next, end) = take_block();
                }
                r.set((next + 1, end));
                next
            })
            .unwrap_or_else(|_| take_block().0);
        TaskId(NonZeroU64::new(id).expect("task ids start at 1"))
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a task is in its life.
///
/// ```
/// use taskio::TaskState;
/// taskio::run(async {
///     let t = taskio::spawn(async { taskio::Ok(1) });
///     assert_eq!(t.state(), TaskState::Pending); // spawned, not yet polled
///     taskio::checkpoint().await?;
///     assert_eq!(t.state(), TaskState::Finished);
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TaskState {
    /// Spawned, its body not yet started.
    Pending,
    /// Started and not yet done (running now, or suspended at an `.await`).
    Running,
    /// Done with a value or an error.
    Finished,
    /// Done because it was cancelled (or aborted).
    Cancelled,
    /// Done because its body panicked.
    Panicked,
}

impl TaskState {
    /// Whether the task is done, whatever the outcome.
    ///
    /// ```
    /// assert!(taskio::TaskState::Cancelled.is_done());
    /// assert!(!taskio::TaskState::Running.is_done());
    /// ```
    pub fn is_done(self) -> bool {
        !matches!(self, TaskState::Pending | TaskState::Running)
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TaskState::Pending => "pending",
            TaskState::Running => "running",
            TaskState::Finished => "finished",
            TaskState::Cancelled => "cancelled",
            TaskState::Panicked => "panicked",
        })
    }
}
