//! [`RescheduleError`]: why [`Deadline::reschedule`](crate::Deadline::reschedule) refused to
//! move a deadline whose timeout is past its useful life (asyncio's `Timeout.reschedule` raises
//! `RuntimeError` in the same three states).

use std::fmt;

/// Where the refusing timeout was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refused {
    Expiring,
    Expired,
    Finished,
}

/// [`Deadline::reschedule`](crate::Deadline::reschedule) on a timeout that is expiring (its
/// deadline fired and the work is handling the cancel), has expired (it returned after its
/// deadline fired) or has finished (its work ended in time). Nothing was changed: `when()`
/// keeps its value.
///
/// ```
/// use std::time::Duration;
/// use tokio::time::Instant;
///
/// taskio::run(async {
///     let deadline = taskio::Deadline::after(Duration::from_secs(1));
///     let handle = deadline.clone();
///     taskio::timeout_at(deadline, async { taskio::Ok(()) }).await?;
///     let before = handle.when();
///     let err = handle.reschedule(Instant::now() + Duration::from_secs(5)).unwrap_err();
///     assert!(err.is_finished());
///     assert_eq!(err.to_string(), "cannot reschedule a timeout that has finished");
///     assert_eq!(handle.when(), before);
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RescheduleError {
    pub(crate) state: Refused,
}

impl RescheduleError {
    /// The deadline fired and the work is still handling the cancel.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tokio::time::Instant;
    ///
    /// taskio::run(async {
    ///     let deadline = taskio::Deadline::after(Duration::from_millis(1));
    ///     let handle = deadline.clone();
    ///     let r = taskio::timeout_at(deadline, async move {
    ///         let cancelled = taskio::sleep(Duration::from_secs(10)).await.unwrap_err();
    ///         // Cleaning up: too late to move the deadline.
    ///         let err = handle.reschedule(Instant::now() + Duration::from_secs(10)).unwrap_err();
    ///         assert!(err.is_expiring());
    ///         Err::<(), taskio::Error>(cancelled.into())
    ///     })
    ///     .await;
    ///     assert!(r.unwrap_err().is_timed_out());
    /// });
    /// ```
    pub fn is_expiring(&self) -> bool {
        self.state == Refused::Expiring
    }

    /// The timeout returned after its deadline fired.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// taskio::run(async {
    ///     let deadline = taskio::Deadline::after(Duration::from_millis(1));
    ///     let handle = deadline.clone();
    ///     let r = taskio::timeout_at(deadline, taskio::sleep(Duration::from_secs(10))).await;
    ///     assert!(r.unwrap_err().is_timed_out());
    ///     assert!(handle.reschedule(None).unwrap_err().is_expired());
    /// });
    /// ```
    pub fn is_expired(&self) -> bool {
        self.state == Refused::Expired
    }

    /// The timeout's work ended before the deadline fired.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// taskio::run(async {
    ///     let deadline = taskio::Deadline::after(Duration::from_secs(1));
    ///     let handle = deadline.clone();
    ///     taskio::timeout_at(deadline, async { taskio::Ok(()) }).await.unwrap();
    ///     assert!(handle.reschedule(None).unwrap_err().is_finished());
    /// });
    /// ```
    pub fn is_finished(&self) -> bool {
        self.state == Refused::Finished
    }
}

impl fmt::Display for RescheduleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            Refused::Expiring => {
                "is expiring (its deadline fired and the work is handling the cancel)"
            }
            Refused::Expired => "has expired",
            Refused::Finished => "has finished",
        };
        write!(f, "cannot reschedule a timeout that {state}")
    }
}

impl std::error::Error for RescheduleError {}
