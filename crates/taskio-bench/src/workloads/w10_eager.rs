//! W10: eager tasks that finish without suspending (asyncio 3.12's `eager_task_factory`), vs a
//! lazily spawned task, vs a tokio task. N tasks are created and awaited in order.

use std::time::Instant;

use super::{CaseFuture, Sample, check_sum};

/// The measured future of W10 for `imp`.
pub fn run(imp: &str, n: usize) -> Option<CaseFuture> {
    Some(match imp {
        "taskio-eager" => Box::pin(async move {
            let start = Instant::now();
            let mut sum = 0;
            let tasks: Vec<_> = (0..n)
                .map(|i| taskio::task().eager().spawn(async move { taskio::Ok(i) }))
                .collect();
            for t in tasks {
                sum += t.await.expect("eager task");
            }
            let elapsed = start.elapsed();
            check_sum(sum, n);
            Sample::timed(elapsed, n)
        }),
        "taskio-spawn" => Box::pin(async move {
            let start = Instant::now();
            let mut sum = 0;
            let tasks: Vec<_> = (0..n)
                .map(|i| taskio::spawn(async move { taskio::Ok(i) }))
                .collect();
            for t in tasks {
                sum += t.await.expect("spawned task");
            }
            let elapsed = start.elapsed();
            check_sum(sum, n);
            Sample::timed(elapsed, n)
        }),
        "tokio-spawn" => Box::pin(async move {
            let start = Instant::now();
            let mut sum = 0;
            let tasks: Vec<_> = (0..n).map(|i| tokio::spawn(async move { i })).collect();
            for t in tasks {
                sum += t.await.expect("spawned task");
            }
            let elapsed = start.elapsed();
            check_sum(sum, n);
            Sample::timed(elapsed, n)
        }),
        _ => return None,
    })
}
