//! What the integration tests share: running a test on both runtime flavours, and waiting for a
//! condition that other workers bring about.

#![allow(dead_code, unused_macros)]

use std::time::Duration;

/// Runs an async test body on both runtime flavours: the current-thread runtime on the paused
/// clock (exact time), and the 2-worker multi-thread runtime.
macro_rules! both {
    ($(#[$m:meta])* async fn $name:ident() $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(#[$m])*
            #[tokio::test(start_paused = true)]
            async fn current_thread() $body
            $(#[$m])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn multi_thread() $body
        }
    };
}
pub(crate) use both;

/// Yields until `cond` holds (for the multi-thread runtime, where other workers make progress).
/// Bounded by wall-clock time, generously, so that a loaded machine does not fail it.
pub async fn until(cond: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if cond() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("condition never became true");
}
