//! Task groups for long-lived servers: a supervisor that hands each failure to the program as it
//! happens ([`GroupBuilder::on_failure`]), so that memory stays flat over millions of failed
//! children, and control from outside the body through any clone of the [`TaskGroup`]:
//! [`close`](TaskGroup::close) (tokio-util `TaskTracker::close`: no new children, the rest run
//! to their end) and [`cancel`](TaskGroup::cancel) (Python 3.14's `TaskGroup.cancel()`).

use std::fmt;
use std::sync::Arc;

use super::{GroupBuilder, TaskGroup};
use crate::error::Error;

impl GroupBuilder {
    /// Makes the group a supervisor that hands each child failure (an error or a panic, not a
    /// cancellation) to `hook` as it happens, instead of keeping it until the group ends: the
    /// group's outcome holds no child failure, and a server that runs for months keeps no memory
    /// per failed child. Implies [`supervisor`](GroupBuilder::supervisor).
    ///
    /// `hook` runs on the thread where the child completed, before the child counts as done (so
    /// the group never returns while a hook runs); it should be quick (log, count, or send into a
    /// channel). A hook that panics loses nothing: that failure is kept and returned by the group
    /// as if there were no hook. Failures of the body itself are still returned.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    ///
    /// let failed = Arc::new(AtomicUsize::new(0));
    /// let f = failed.clone();
    /// let served = taskio::run(async move {
    ///     taskio::group()
    ///         .on_failure(move |error| {
    ///             eprintln!("connection failed: {error}");
    ///             f.fetch_add(1, Ordering::Relaxed);
    ///         })
    ///         .run(|tg| async move {
    ///             for conn in 0..100u32 {
    ///                 tg.spawn(async move {
    ///                     if conn % 10 == 0 {
    ///                         return Err(taskio::Error::msg(format!("conn {conn}: reset")));
    ///                     }
    ///                     taskio::Ok(())
    ///                 })?;
    ///             }
    ///             taskio::Ok(100)
    ///         })
    ///         .await
    /// });
    /// assert_eq!(served.unwrap(), 100); // no group error: the hook took every failure
    /// assert_eq!(failed.load(Ordering::Relaxed), 10);
    /// ```
    pub fn on_failure(mut self, hook: impl Fn(Error) + Send + Sync + 'static) -> Self {
        self.supervisor = true;
        self.on_failure = Some(Arc::new(hook));
        self
    }
}

impl fmt::Debug for GroupBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupBuilder")
            .field("supervisor", &self.supervisor)
            .field("limit", &self.limit)
            .field("on_failure", &self.on_failure.is_some())
            .finish()
    }
}

impl TaskGroup {
    /// Closes the group to new children (tokio-util's `TaskTracker::close`): from now on
    /// [`spawn`](TaskGroup::spawn) is refused ([`GroupSpawnError::is_closed`]); the children
    /// already there and the body run on, nobody is cancelled, and the group returns when they
    /// are all done. Callable from anywhere through a clone of the handle. Returns `false` if
    /// the group was not open (already closed, shutting down or over).
    ///
    /// A failure in a closed group still cancels the others (unless it is a supervisor).
    ///
    /// [`GroupSpawnError::is_closed`]: crate::GroupSpawnError::is_closed
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// taskio::run(async {
    ///     let (tx, rx) = tokio::sync::oneshot::channel();
    ///     let server = taskio::spawn(taskio::task_group(|tg| async move {
    ///         tx.send(tg.clone()).ok();
    ///         let mut served = 0;
    ///         // an accept loop: it ends when the group no longer takes connections
    ///         while tg
    ///             .spawn(taskio::sleep(Duration::from_millis(30))) // a connection
    ///             .is_ok()
    ///         {
    ///             served += 1;
    ///             taskio::sleep(Duration::from_millis(10)).await?;
    ///         }
    ///         taskio::Ok(served)
    ///     }));
    ///     let handle = rx.await.unwrap();
    ///     taskio::sleep(Duration::from_millis(35)).await?;
    ///     assert!(handle.close()); // from outside the body
    ///     let served = server.await?; // the open connections finished first
    ///     assert!(served >= 3);
    ///     assert!(handle.is_empty());
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn close(&self) -> bool {
        self.shared.close_to_spawns()
    }

    /// Cancels the group from anywhere (Python 3.14's `TaskGroup.cancel()`): every child and
    /// the body are cancelled, as when the task that runs the group is cancelled, but that task
    /// is not: the group's shutdown is its own. The group then waits for all of them and returns
    /// the body's outcome: `Err(Cancelled)` when the body stopped on the request (Python's
    /// `async with` ends without an exception instead; a Rust body that stopped early has no
    /// value to return), its value if it handled the request and returned one. Child failures
    /// still come back as a group error. Returns `false` if the group was already shutting
    /// down or over (calling it again is harmless).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// taskio::run(async {
    ///     let (tx, rx) = tokio::sync::oneshot::channel();
    ///     let workers = taskio::spawn(taskio::task_group(|tg| async move {
    ///         for _ in 0..3 {
    ///             tg.spawn(taskio::sleep(Duration::from_secs(3600)))?;
    ///         }
    ///         tx.send(tg).ok();
    ///         taskio::sleep(Duration::from_secs(3600)).await?;
    ///         taskio::Ok(())
    ///     }));
    ///     let tg = rx.await.unwrap();
    ///     assert!(tg.cancel());
    ///     assert!(workers.await.unwrap_err().is_cancelled());
    ///     assert!(!tg.cancel()); // over
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn cancel(&self) -> bool {
        self.shared.cancel_from_handle()
    }
}
