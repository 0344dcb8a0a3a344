//! W7: gather over plain futures that are not spawned: `taskio::gather` polls them inline in the
//! awaiting task, as `futures::future::join_all` does.
//!
//! - `W7`: N futures that are ready at once.
//! - `W7-yield`: N futures that each yield once first (so every one is woken and polled again).

use std::time::Instant;

use super::{CaseFuture, Sample, check_sum};

/// The measured future of W7 (`yield_first`: W7-yield) for `imp`.
pub fn run(imp: &str, n: usize, yield_first: bool) -> Option<CaseFuture> {
    async fn value(i: usize, yield_first: bool) -> usize {
        if yield_first {
            tokio::task::yield_now().await;
        }
        i
    }
    Some(match imp {
        "taskio-gather" => Box::pin(async move {
            let start = Instant::now();
            let values = taskio::gather(
                (0..n).map(|i| async move { taskio::Ok(value(i, yield_first).await) }),
            )
            .await
            .expect("gather");
            let elapsed = start.elapsed();
            check_sum(values.into_iter().sum(), n);
            Sample::timed(elapsed, n)
        }),
        "join_all" => Box::pin(async move {
            let start = Instant::now();
            let values =
                futures_util::future::join_all((0..n).map(|i| value(i, yield_first))).await;
            let elapsed = start.elapsed();
            check_sum(values.into_iter().sum(), n);
            Sample::timed(elapsed, n)
        }),
        _ => return None,
    })
}
