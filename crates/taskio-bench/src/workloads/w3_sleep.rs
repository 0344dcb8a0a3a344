//! W3: N tasks that each sleep 100 ms, gathered. The figure is the wall time of the whole
//! (100 ms is the floor); per task it is total / N.

use std::time::{Duration, Instant};

use super::{CaseFuture, Sample};

const NAP: Duration = Duration::from_millis(100);

/// The measured future of W3 for `imp`.
pub fn run(imp: &str, n: usize) -> Option<CaseFuture> {
    Some(match imp {
        "taskio-await" => Box::pin(async move {
            let start = Instant::now();
            let tasks: Vec<_> = (0..n)
                .map(|_| taskio::spawn(async { taskio::sleep(NAP).await }))
                .collect();
            for t in tasks {
                t.await.expect("sleeper");
            }
            Sample::timed(start.elapsed(), n)
        }),
        "taskio-gather" => Box::pin(async move {
            let start = Instant::now();
            let tasks: Vec<_> = (0..n)
                .map(|_| taskio::spawn(async { taskio::sleep(NAP).await }))
                .collect();
            taskio::gather(tasks).await.expect("sleepers");
            Sample::timed(start.elapsed(), n)
        }),
        "tokio-await" => Box::pin(async move {
            let start = Instant::now();
            let tasks: Vec<_> = (0..n)
                .map(|_| tokio::spawn(tokio::time::sleep(NAP)))
                .collect();
            for t in tasks {
                t.await.expect("sleeper");
            }
            Sample::timed(start.elapsed(), n)
        }),
        "tokio-joinset" => Box::pin(async move {
            let start = Instant::now();
            let mut set = tokio::task::JoinSet::new();
            for _ in 0..n {
                set.spawn(tokio::time::sleep(NAP));
            }
            while let Some(r) = set.join_next().await {
                r.expect("sleeper");
            }
            Sample::timed(start.elapsed(), n)
        }),
        _ => return None,
    })
}
