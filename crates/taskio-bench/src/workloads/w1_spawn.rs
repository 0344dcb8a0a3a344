//! W1: spawn N trivial tasks, then gather their results (`asyncio.gather(*[create_task(..)])`).
//!
//! taskio: spawn + await each handle in order, and `taskio::gather` over the handles.
//! tokio: spawn + await each `JoinHandle` in order; `JoinSet` spawn + `join_next` until empty;
//! the hand-rolled cooperative variant (`tokio-token`, see [`super::token`]).
//! futures-util: `join_all` and `FuturesUnordered` over the `JoinHandle`s.

use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use tokio_util::sync::CancellationToken;

use super::{CaseFuture, Sample, check_sum};

/// The measured future of W1 for `imp`.
pub fn run(imp: &str, n: usize) -> Option<CaseFuture> {
    Some(match imp {
        "taskio-await" => Box::pin(async move {
            let start = Instant::now();
            let tasks: Vec<_> = (0..n)
                .map(|i| taskio::spawn(async move { taskio::Ok(i) }))
                .collect();
            let mut sum = 0;
            for t in tasks {
                sum += t.await.expect("trivial task");
            }
            let elapsed = start.elapsed();
            check_sum(sum, n);
            Sample::timed(elapsed, n)
        }),
        "taskio-gather" => Box::pin(async move {
            let start = Instant::now();
            let tasks: Vec<_> = (0..n)
                .map(|i| taskio::spawn(async move { taskio::Ok(i) }))
                .collect();
            let sum: usize = taskio::gather(tasks)
                .await
                .expect("gather")
                .into_iter()
                .sum();
            let elapsed = start.elapsed();
            check_sum(sum, n);
            Sample::timed(elapsed, n)
        }),
        "tokio-await" => Box::pin(async move {
            let start = Instant::now();
            let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
            let mut sum = 0;
            for t in tasks {
                sum += t.await.expect("trivial task");
            }
            let elapsed = start.elapsed();
            check_sum(sum, n);
            Sample::timed(elapsed, n)
        }),
        "tokio-token" => Box::pin(async move {
            let start = Instant::now();
            let root = CancellationToken::new();
            let tasks: Vec<_> = (0..n)
                .map(|i| {
                    tokio::spawn(super::token::cancellable(
                        root.child_token(),
                        async move { i },
                    ))
                })
                .collect();
            let mut sum = 0;
            for t in tasks {
                sum += t.await.expect("trivial task").expect("not cancelled");
            }
            let elapsed = start.elapsed();
            check_sum(sum, n);
            Sample::timed(elapsed, n)
        }),
        "tokio-joinset" => Box::pin(super::w11_join_set::tokio_joinset(n)),
        "join_all" => Box::pin(async move {
            let start = Instant::now();
            let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
            let sum: usize = futures_util::future::join_all(tasks)
                .await
                .into_iter()
                .map(|r| r.expect("trivial task"))
                .sum();
            let elapsed = start.elapsed();
            check_sum(sum, n);
            Sample::timed(elapsed, n)
        }),
        "futures-unordered" => Box::pin(async move {
            let start = Instant::now();
            let mut tasks: FuturesUnordered<_> =
                (0..n).map(|i| tokio::spawn(async move { i })).collect();
            let mut sum = 0;
            while let Some(r) = tasks.next().await {
                sum += r.expect("trivial task");
            }
            let elapsed = start.elapsed();
            check_sum(sum, n);
            Sample::timed(elapsed, n)
        }),
        _ => return None,
    })
}
