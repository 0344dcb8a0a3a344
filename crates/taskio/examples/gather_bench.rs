//! What `taskio::gather` costs, on the current-thread runtime (the one `taskio::run` builds):
//!
//! - against `futures::future::join_all` over plain futures, ns per input, for 3 to 1000 inputs
//!   that are ready at once, and that suspend once (`yield_now`) before they are;
//! - gathering 100k spawned tasks from inside a task, against awaiting them one by one (taskio)
//!   and awaiting tokio `JoinHandle`s one by one.
//!
//! Run with `cargo run --release -p taskio --example gather_bench`.

use std::time::Instant;

use futures_util::future::join_all;

/// ns per input of `iters` rounds of `f`, each over `n` inputs.
fn per_input(rt: &tokio::runtime::Runtime, n: usize, iters: usize, f: impl AsyncFn(usize)) -> f64 {
    let start = Instant::now();
    rt.block_on(async {
        for _ in 0..iters {
            f(n).await;
        }
    });
    start.elapsed().as_nanos() as f64 / (iters * n) as f64
}

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    println!("ns per input: join_all vs gather (ratio)");
    for n in [3usize, 10, 30, 100, 1000] {
        let iters = 1_000_000 / n;
        let ready = |i| async move { Ok::<_, std::io::Error>(i) };
        let yielding = |i| async move {
            tokio::task::yield_now().await;
            Ok::<_, std::io::Error>(i)
        };
        let mut rows = [0.0; 4];
        for _round in 0..2 {
            rows = [
                per_input(&rt, n, iters, async |n| {
                    std::hint::black_box(join_all((0..n).map(ready)).await);
                }),
                per_input(&rt, n, iters, async |n| {
                    std::hint::black_box(taskio::gather((0..n).map(ready)).await.unwrap());
                }),
                per_input(&rt, n, iters / 4, async |n| {
                    std::hint::black_box(join_all((0..n).map(yielding)).await);
                }),
                per_input(&rt, n, iters / 4, async |n| {
                    std::hint::black_box(taskio::gather((0..n).map(yielding)).await.unwrap());
                }),
            ];
        }
        println!(
            "n={n:5}  ready: {:6.1} vs {:6.1} ({:.2}x)   one yield: {:6.1} vs {:6.1} ({:.2}x)",
            rows[0],
            rows[1],
            rows[1] / rows[0],
            rows[2],
            rows[3],
            rows[3] / rows[2]
        );
    }

    const TASKS: u64 = 100_000;
    let time = |what: &str, f: &dyn Fn() -> usize| {
        let start = Instant::now();
        let len = f();
        println!("{what} ({len} tasks): {:?}", start.elapsed());
    };
    for _round in 0..2 {
        time("taskio::gather of spawned tasks, inside a task", &|| {
            rt.block_on(async {
                taskio::spawn(async {
                    let tasks: Vec<_> = (0..TASKS)
                        .map(|i| {
                            taskio::spawn(async move {
                                tokio::task::yield_now().await;
                                taskio::Ok(i)
                            })
                        })
                        .collect();
                    taskio::Ok(taskio::gather(tasks).await?.len())
                })
                .await
            })
            .unwrap()
        });
        time("futures join_all of taskio tasks, inside a task", &|| {
            rt.block_on(async {
                taskio::spawn(async {
                    let tasks: Vec<_> = (0..TASKS)
                        .map(|i| {
                            taskio::spawn(async move {
                                tokio::task::yield_now().await;
                                taskio::Ok(i)
                            })
                        })
                        .collect();
                    taskio::Ok(join_all(tasks).await.len())
                })
                .await
            })
            .unwrap()
        });
        time("taskio tasks awaited one by one, inside a task", &|| {
            rt.block_on(async {
                taskio::spawn(async {
                    let tasks: Vec<_> = (0..TASKS)
                        .map(|i| {
                            taskio::spawn(async move {
                                tokio::task::yield_now().await;
                                taskio::Ok(i)
                            })
                        })
                        .collect();
                    let mut n = 0;
                    for t in tasks {
                        t.await?;
                        n += 1;
                    }
                    taskio::Ok(n)
                })
                .await
            })
            .unwrap()
        });
        time(
            "tokio JoinHandles awaited one by one, inside a task",
            &|| {
                rt.block_on(async {
                    tokio::spawn(async {
                        let tasks: Vec<_> = (0..TASKS)
                            .map(|i| {
                                tokio::spawn(async move {
                                    tokio::task::yield_now().await;
                                    i
                                })
                            })
                            .collect();
                        let mut n = 0;
                        for t in tasks {
                            t.await.unwrap();
                            n += 1;
                        }
                        n
                    })
                    .await
                })
                .unwrap()
            },
        );
    }
}
