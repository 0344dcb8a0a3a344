//! What a task group costs, against tokio's `JoinSet`, on the current-thread runtime (the one
//! `taskio::run` builds) and on a 2-worker multi-thread runtime:
//!
//! - spawn-and-join: ns per trivial child for 100k children;
//! - fail-fast: one failure among 100k sleeping children, the time from the failure to the
//!   group's return (every sibling cancelled and awaited; for `JoinSet`, `abort_all` and drain).
//!
//! Run with `cargo run --release -p taskio --example group_bench`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const N: usize = 100_000;
const ROUNDS: usize = 5;

fn runtime(multi: bool) -> tokio::runtime::Runtime {
    if multi {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    } else {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }
}

/// The best of `ROUNDS` runs of `f` (each run in a fresh task on `rt`), in ns per child.
fn best<F, Fut>(rt: &tokio::runtime::Runtime, f: F) -> f64
where
    F: Fn() -> Fut,
    Fut: Future<Output = Duration> + Send + 'static,
{
    (0..ROUNDS)
        .map(|_| {
            let fut = f();
            rt.block_on(async { tokio::spawn(fut).await.unwrap() })
        })
        .min()
        .unwrap()
        .as_nanos() as f64
        / N as f64
}

async fn group_trivial() -> Duration {
    let start = Instant::now();
    taskio::task_group(|tg| async move {
        for _ in 0..N {
            drop(tg.spawn(async {})?);
        }
        taskio::Ok(())
    })
    .await
    .unwrap();
    start.elapsed()
}

async fn joinset_trivial() -> Duration {
    let start = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..N {
        set.spawn(async {});
    }
    while let Some(r) = set.join_next().await {
        r.unwrap();
    }
    start.elapsed()
}

async fn spawn_await_trivial() -> Duration {
    let start = Instant::now();
    let tasks: Vec<_> = (0..N).map(|_| taskio::spawn(async {})).collect();
    for t in tasks {
        t.await.unwrap();
    }
    start.elapsed()
}

/// The moment the failing child returned its error.
type Stamp = Arc<Mutex<Option<Instant>>>;

async fn group_fail_fast() -> Duration {
    let failed_at: Stamp = Arc::default();
    let stamp = failed_at.clone();
    let outcome = taskio::task_group(|tg| async move {
        for _ in 0..N {
            drop(tg.spawn(async {
                taskio::sleep(Duration::from_secs(3600)).await?;
                taskio::Ok(())
            })?);
        }
        drop(tg.spawn(async move {
            taskio::sleep(Duration::from_millis(50)).await?;
            *stamp.lock().unwrap() = Some(Instant::now());
            Err::<(), _>(taskio::Error::msg("boom"))
        })?);
        taskio::Ok(())
    })
    .await;
    let returned = Instant::now();
    assert_eq!(outcome.unwrap_err().group_errors().unwrap().len(), 1);
    let failed = failed_at.lock().unwrap().expect("the child failed");
    returned - failed
}

async fn joinset_fail_fast() -> Duration {
    let failed_at: Stamp = Arc::default();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..N {
        set.spawn(async {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Ok::<(), &str>(())
        });
    }
    let stamp = failed_at.clone();
    set.spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        *stamp.lock().unwrap() = Some(Instant::now());
        Err("boom")
    });
    while let Some(r) = set.join_next().await {
        if let Ok(Err(_)) = r {
            set.abort_all();
        }
    }
    let returned = Instant::now();
    let failed = failed_at.lock().unwrap().expect("the child failed");
    returned - failed
}

fn main() {
    for multi in [false, true] {
        let rt = runtime(multi);
        let flavour = if multi {
            "multi-thread (2 workers)"
        } else {
            "current-thread"
        };
        println!("## {flavour}, {N} children, best of {ROUNDS}");
        let g = best(&rt, group_trivial);
        let j = best(&rt, joinset_trivial);
        let s = best(&rt, spawn_await_trivial);
        println!(
            "spawn+join trivial: task_group {g:.0} ns/child, JoinSet {j:.0} ns/child, taskio::spawn+await {s:.0} ns/child"
        );
        let g = best(&rt, group_fail_fast) * N as f64 / 1e6;
        let j = best(&rt, joinset_fail_fast) * N as f64 / 1e6;
        println!(
            "fail-fast, failure -> return: task_group {g:.1} ms, JoinSet (abort_all + drain) {j:.1} ms"
        );
    }
}
