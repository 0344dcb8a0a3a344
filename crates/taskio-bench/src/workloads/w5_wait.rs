//! W5: a lockstep `wait(first_completed)` loop. N tasks each wait on a gate of their own; each
//! round opens exactly one gate and waits for the first completed task, so every call returns
//! one task and leaves the rest pending. asyncio's `wait` re-registers on every pending task per
//! call (O(N) per call); taskio's `TaskSet` is passed back in without re-registration. The
//! figure is ns per call; the 20k/4k ratio of the totals shows the growth.
//!
//! taskio: `taskio::wait(set).first_completed()`; futures-util: `FuturesUnordered::next` over
//! tokio `JoinHandle`s (and over taskio tasks).

use std::time::Instant;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::oneshot;

use super::{CaseFuture, Sample};

fn gates(n: usize) -> (Vec<oneshot::Sender<()>>, Vec<oneshot::Receiver<()>>) {
    (0..n).map(|_| oneshot::channel()).unzip()
}

/// The measured future of W5 for `imp`.
pub fn run(imp: &str, n: usize) -> Option<CaseFuture> {
    Some(match imp {
        "taskio-wait" => Box::pin(async move {
            let (senders, receivers) = gates(n);
            let tasks: Vec<_> = receivers
                .into_iter()
                .enumerate()
                .map(|(i, rx)| {
                    taskio::spawn(async move {
                        let _ = rx.await;
                        taskio::Ok(i)
                    })
                })
                .collect();
            tokio::task::yield_now().await;
            let start = Instant::now();
            let mut pending: taskio::TaskSet<usize> = tasks.into();
            for tx in senders {
                let _ = tx.send(());
                let (done, rest) = taskio::wait(pending).first_completed().await.expect("wait");
                assert_eq!(done.len(), 1, "one gate, one task");
                drop(done);
                pending = rest;
            }
            Sample::timed(start.elapsed(), n)
        }),
        "futures-unordered" => Box::pin(async move {
            let (senders, receivers) = gates(n);
            let mut tasks: FuturesUnordered<_> = receivers
                .into_iter()
                .enumerate()
                .map(|(i, rx)| {
                    tokio::spawn(async move {
                        let _ = rx.await;
                        i
                    })
                })
                .collect();
            tokio::task::yield_now().await;
            let start = Instant::now();
            for (k, tx) in senders.into_iter().enumerate() {
                let _ = tx.send(());
                let i = tasks.next().await.expect("a task").expect("gated task");
                assert_eq!(i, k);
            }
            Sample::timed(start.elapsed(), n)
        }),
        "futures-unordered-taskio" => Box::pin(async move {
            let (senders, receivers) = gates(n);
            let mut tasks: FuturesUnordered<_> = receivers
                .into_iter()
                .enumerate()
                .map(|(i, rx)| {
                    taskio::spawn(async move {
                        let _ = rx.await;
                        taskio::Ok(i)
                    })
                })
                .collect();
            tokio::task::yield_now().await;
            let start = Instant::now();
            for (k, tx) in senders.into_iter().enumerate() {
                let _ = tx.send(());
                let i = tasks.next().await.expect("a task").expect("gated task");
                assert_eq!(i, k);
            }
            Sample::timed(start.elapsed(), n)
        }),
        _ => return None,
    })
}
