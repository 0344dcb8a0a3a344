//! W11: JoinSet-style reaping: N trivial tasks spawned into a set, then taken out as they
//! complete (`while let Some(r) = set.join_next().await`), taskio's `JoinSet` against tokio's.

use std::time::Instant;

use super::{CaseFuture, Sample, check_sum};

/// The measured future of W11 for `imp`.
pub fn run(imp: &str, n: usize) -> Option<CaseFuture> {
    Some(match imp {
        "taskio-joinset" => Box::pin(async move {
            let start = Instant::now();
            let mut set = taskio::JoinSet::new();
            for i in 0..n {
                set.spawn(async move { taskio::Ok(i) });
            }
            let mut sum = 0;
            while let Some(r) = set.join_next().await {
                sum += r.expect("trivial task");
            }
            let elapsed = start.elapsed();
            check_sum(sum, n);
            Sample::timed(elapsed, n)
        }),
        "tokio-token" => Box::pin(super::token::joinset(n)),
        "tokio-joinset" => Box::pin(tokio_joinset(n)),
        _ => return None,
    })
}

/// tokio's `JoinSet` reaping `n` trivial tasks: the peer of W11, W6-trivial and W1's
/// `tokio-joinset`.
pub async fn tokio_joinset(n: usize) -> Sample {
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        set.spawn(async move { i });
    }
    let mut sum = 0;
    while let Some(r) = set.join_next().await {
        sum += r.expect("trivial task");
    }
    let elapsed = start.elapsed();
    check_sum(sum, n);
    Sample::timed(elapsed, n)
}
