//! W2: memory per pending task, then cancel and reap them all.
//!
//! N tasks are spawned and parked on a never-ready future (each counts itself when it first
//! runs, so the measurement starts once every task is parked). The resident-memory delta over N
//! is the memory per pending task (handles included). Then every task is stopped and awaited:
//! taskio `cancel()` + await (the parked future is a cancellation point through
//! `.cancellable()`), tokio `abort()` + await, and the hand-rolled cooperative variant
//! (`tokio-token`: each task's own `CancellationToken` cancelled, see [`super::token`]). The time of that is the per-task figure.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use taskio::CancellableExt;
use tokio_util::sync::CancellationToken;

use super::{CaseFuture, Sample};
use crate::rss::resident_bytes;

/// The measured future of W2 for `imp`.
pub fn run(imp: &str, n: usize) -> Option<CaseFuture> {
    Some(match imp {
        "taskio-cancel" => Box::pin(async move {
            let started = Arc::new(AtomicUsize::new(0));
            let before = settle().await;
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    let started = started.clone();
                    taskio::spawn(async move {
                        started.fetch_add(1, Ordering::Relaxed);
                        std::future::pending::<()>().cancellable().await?;
                        taskio::Ok(())
                    })
                })
                .collect();
            let rss = parked(&started, n, before).await;
            let start = Instant::now();
            for t in &tasks {
                t.cancel();
            }
            for t in tasks {
                assert!(t.await.expect_err("cancelled").is_cancelled());
            }
            Sample {
                rss_bytes_per_task: Some(rss),
                ..Sample::timed(start.elapsed(), n)
            }
        }),
        "tokio-abort" => Box::pin(async move {
            let started = Arc::new(AtomicUsize::new(0));
            let before = settle().await;
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    let started = started.clone();
                    tokio::spawn(async move {
                        started.fetch_add(1, Ordering::Relaxed);
                        std::future::pending::<()>().await;
                    })
                })
                .collect();
            let rss = parked(&started, n, before).await;
            let start = Instant::now();
            for t in &tasks {
                t.abort();
            }
            for t in tasks {
                assert!(t.await.expect_err("aborted").is_cancelled());
            }
            Sample {
                rss_bytes_per_task: Some(rss),
                ..Sample::timed(start.elapsed(), n)
            }
        }),
        "tokio-token" => Box::pin(async move {
            let started = Arc::new(AtomicUsize::new(0));
            let before = settle().await;
            let root = CancellationToken::new();
            let tasks: Vec<_> = (0..n)
                .map(|_| {
                    let started = started.clone();
                    let token = root.child_token();
                    let handle =
                        tokio::spawn(super::token::cancellable(token.clone(), async move {
                            started.fetch_add(1, Ordering::Relaxed);
                            std::future::pending::<()>().await;
                        }));
                    (handle, token)
                })
                .collect();
            let rss = parked(&started, n, before).await;
            let start = Instant::now();
            for (_, token) in &tasks {
                token.cancel();
            }
            for (t, _) in tasks {
                assert!(t.await.expect("cancelled, not aborted").is_none());
            }
            Sample {
                rss_bytes_per_task: Some(rss),
                ..Sample::timed(start.elapsed(), n)
            }
        }),
        _ => return None,
    })
}

/// Lets the runtime's own allocations settle, then reads the resident size.
async fn settle() -> u64 {
    tokio::time::sleep(Duration::from_millis(2)).await;
    resident_bytes()
}

/// Waits until all `n` tasks have run and parked; returns resident bytes per task since `before`.
async fn parked(started: &AtomicUsize, n: usize, before: u64) -> f64 {
    while started.load(Ordering::Relaxed) < n {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let after = resident_bytes();
    after.saturating_sub(before) as f64 / n as f64
}
