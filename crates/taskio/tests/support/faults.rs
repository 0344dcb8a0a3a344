//! What the fault tests share: waits of the three kinds a cancel must reach, and values whose
//! `Drop` or `Display` panics.

use std::fmt;
use std::time::Duration;

use futures_util::StreamExt;

/// What a wait waits in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WaitIn {
    /// `taskio::sleep`: a cancellation point.
    Taskio,
    /// `tokio::time::sleep`: not a cancellation point; a request is delivered by dropping it.
    Tokio,
    /// `taskio::sleep` inside a `FuturesUnordered`, which polls it with a waker of its own.
    Unordered,
}

/// Waits `ms` in what `kind` says. A zero wait is always taskio's (a yield that delivers a
/// pending cancel; tokio's zero sleep is ready at once and yields nothing).
pub async fn wait_in(kind: WaitIn, ms: u64) -> taskio::Result<()> {
    let d = Duration::from_millis(ms);
    match kind {
        _ if ms == 0 => taskio::sleep(d).await?,
        WaitIn::Taskio => taskio::sleep(d).await?,
        WaitIn::Tokio => tokio::time::sleep(d).await,
        WaitIn::Unordered => {
            let mut all: futures_util::stream::FuturesUnordered<_> =
                [taskio::sleep(d), taskio::sleep(d * 3)]
                    .into_iter()
                    .collect();
            all.next().await.expect("two sleeps")?;
        }
    }
    Ok(())
}

/// An error whose `Display` panics.
#[derive(Debug)]
pub struct BadDisplay;

impl fmt::Display for BadDisplay {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("display bomb")
    }
}

impl std::error::Error for BadDisplay {}

/// Panics with its own text when dropped (unless already unwinding), so that each case finds
/// its own report.
pub struct Bomb(pub String);

impl Drop for Bomb {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("{}", self.0);
        }
    }
}

/// Awaits `fut` in a spawned taskio task (`in_task`), or right here, outside any task, failing
/// the test if a panic unwinds out of it.
pub async fn outside_or_in_task<F>(in_task: bool, fut: F) -> F::Output
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    use futures_util::FutureExt;
    if in_task {
        taskio::spawn(async move { taskio::Ok(fut.await) })
            .await
            .expect("the task that awaits it ends with its output")
    } else {
        std::panic::AssertUnwindSafe(fut)
            .catch_unwind()
            .await
            .expect("a panic unwound out of it")
    }
}

/// Panics when dropped (unless already unwinding).
pub struct DropBomb;

impl Drop for DropBomb {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("drop bomb");
        }
    }
}
