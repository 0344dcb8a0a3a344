//! W4: results as they complete, over N tasks whose finishing order is staggered: task `i`
//! yields `i % 16` times before it returns `i` (no timer involved, so the figure is the
//! machinery's own cost).
//!
//! taskio: `taskio::as_completed(tasks)`; futures-util: `FuturesUnordered` over tokio
//! `JoinHandle`s (and, to separate the spawn cost from the combinator's, over taskio tasks);
//! tokio: `JoinSet::join_next`.

use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use super::{CaseFuture, Sample, check_sum};

/// Yields between two finishing tasks' turns.
pub const STAGGER: usize = 16;

async fn staggered(i: usize) -> usize {
    for _ in 0..i % STAGGER {
        tokio::task::yield_now().await;
    }
    i
}

/// The measured future of W4 for `imp`.
pub fn run(imp: &str, n: usize) -> Option<CaseFuture> {
    Some(match imp {
        "taskio-as_completed" => Box::pin(async move {
            let start = Instant::now();
            let tasks: Vec<_> = (0..n)
                .map(|i| taskio::spawn(async move { taskio::Ok(staggered(i).await) }))
                .collect();
            let mut stream = taskio::as_completed(tasks);
            let mut sum = 0;
            while let Some((_, r)) = stream.next().await {
                sum += r.expect("staggered task");
            }
            let elapsed = start.elapsed();
            check_sum(sum, n);
            Sample::timed(elapsed, n)
        }),
        "futures-unordered" => Box::pin(async move {
            let start = Instant::now();
            let mut tasks: FuturesUnordered<_> =
                (0..n).map(|i| tokio::spawn(staggered(i))).collect();
            let mut sum = 0;
            while let Some(r) = tasks.next().await {
                sum += r.expect("staggered task");
            }
            let elapsed = start.elapsed();
            check_sum(sum, n);
            Sample::timed(elapsed, n)
        }),
        "futures-unordered-taskio" => Box::pin(async move {
            let start = Instant::now();
            let mut tasks: FuturesUnordered<_> = (0..n)
                .map(|i| taskio::spawn(async move { taskio::Ok(staggered(i).await) }))
                .collect();
            let mut sum = 0;
            while let Some(r) = tasks.next().await {
                sum += r.expect("staggered task");
            }
            let elapsed = start.elapsed();
            check_sum(sum, n);
            Sample::timed(elapsed, n)
        }),
        "tokio-joinset" => Box::pin(async move {
            let start = Instant::now();
            let mut set = tokio::task::JoinSet::new();
            for i in 0..n {
                set.spawn(staggered(i));
            }
            let mut sum = 0;
            while let Some(r) = set.join_next().await {
                sum += r.expect("staggered task");
            }
            let elapsed = start.elapsed();
            check_sum(sum, n);
            Sample::timed(elapsed, n)
        }),
        _ => return None,
    })
}
