//! What debug mode reports ([`DebugReport`]) and where a report goes: the hook, else `tracing`
//! at `warn` level with the target `taskio::debug`, else (no subscriber) one line on stderr,
//! through the same path as taskio's other reports.

use std::fmt;
use std::panic::{AssertUnwindSafe, Location, catch_unwind};
use std::time::Duration;

use crate::header::Header;
use crate::id::TaskId;

/// What debug mode found.
///
/// ```
/// use std::time::Duration;
/// use taskio::debug::DebugEvent;
///
/// let e = DebugEvent::SlowPoll { took: Duration::from_millis(250), threshold: Duration::from_millis(100) };
/// assert!(matches!(e, DebugEvent::SlowPoll { took, .. } if took > Duration::from_millis(200)));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DebugEvent {
    /// One poll of the task held its thread for `took`, more than `threshold`.
    SlowPoll {
        /// How long the poll took.
        took: Duration,
        /// The threshold it passed.
        threshold: Duration,
    },
    /// The task ended with a value after `Err(Cancelled)` reached its code, and no
    /// `uncancel()` took the request back.
    SwallowedCancel,
    /// A cancel was delivered by dropping the future the task's code waited in, which was not
    /// a cancellation point; `scope`: it was a timeout's, a gather's or a group's, not a
    /// request to the task itself.
    DroppedForCancel {
        /// Whether the cancel came from a scope inside the task (timeout, gather, group).
        scope: bool,
    },
}

/// One debug-mode report: the task it is about and what was found. Its `Display` is the line
/// taskio writes to stderr.
///
/// ```
/// use taskio::debug::{DebugEvent, DebugReport};
///
/// let r = DebugReport { id: None, name: "worker".into(), spawned_at: None, event: DebugEvent::SwallowedCancel };
/// assert!(r.to_string().contains("task 'worker'"));
/// ```
#[derive(Clone, Debug)]
pub struct DebugReport {
    /// The task's id (`None` for code outside any taskio task).
    pub id: Option<TaskId>,
    /// The task's name.
    pub name: String,
    /// Where the task was spawned.
    pub spawned_at: Option<&'static Location<'static>>,
    /// What was found.
    pub event: DebugEvent,
}

impl DebugReport {
    pub(crate) fn of(header: &Header, event: DebugEvent) -> DebugReport {
        DebugReport {
            id: Some(header.id),
            name: header.name().into_owned(),
            spawned_at: Some(header.location),
            event,
        }
    }
}

impl fmt::Display for DebugReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "taskio debug: task '{}'", self.name)?;
        match (self.id, self.spawned_at) {
            (Some(id), Some(at)) => write!(f, " (id {id}, spawned at {at})")?,
            (Some(id), None) => write!(f, " (id {id})")?,
            _ => {}
        }
        match &self.event {
            DebugEvent::SlowPoll { took, threshold } => write!(
                f,
                " held its thread for {took:.1?} in one poll (threshold {threshold:?}): \
                 CPU-bound or blocking code between two awaits stops every other task on \
                 this thread; move it to taskio::to_thread, or await taskio::checkpoint() in it"
            ),
            DebugEvent::SwallowedCancel => f.write_str(
                " ended with a value after a cancellation reached it (Err(Cancelled)): the \
                 cancel was swallowed; return the Err, or call uncancel() if going on is meant",
            ),
            DebugEvent::DroppedForCancel { scope } => write!(
                f,
                " was cancelled{} while it waited in a future that is not a cancellation \
                 point; that future was dropped and no async cleanup ran there (use \
                 .cancellable() or a taskio future where the code should see Err(Cancelled))",
                if *scope {
                    " (by a timeout, a gather or a task group)"
                } else {
                    ""
                }
            ),
        }
    }
}

/// Sends `report` where reports go. Never unwinds (a hook's, a subscriber's panic is dropped).
pub(super) fn emit(report: &DebugReport) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        let hook = super::lock_hook().clone();
        if let Some(hook) = hook {
            return hook(report);
        }
        if crate::stderr::no_subscriber() {
            return crate::stderr::to_stderr(format_args!("{report}"));
        }
        let spawned_at = report.spawned_at.map(|l| l.to_string()).unwrap_or_default();
        let id = report.id.map_or(0, TaskId::as_u64);
        tracing::event!(
            target: "taskio::debug",
            tracing::Level::WARN,
            task.id = id,
            task.name = %report.name,
            task.spawned_at = %spawned_at,
            "{report}"
        );
    }));
}
