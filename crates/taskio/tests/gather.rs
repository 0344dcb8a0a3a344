//! gather, gather_settled, gather! and their limit: DESIGN.md's "gather" semantics, each pinned
//! on both runtimes.

mod support;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use support::{assert_took, both, units, until};
use tokio::time::Instant;

async fn fetch(url: &'static str, delay: Duration) -> taskio::Result<String> {
    taskio::sleep(delay).await?;
    Ok(format!("Response from {url}"))
}

async fn fetch_data(id: &str, delay: Duration, should_fail: bool) -> taskio::Result<String> {
    taskio::sleep(delay).await?;
    if should_fail {
        return Err(taskio::Error::msg(format!("Failed to fetch data {id}!")));
    }
    Ok(format!("Data from {id}"))
}

both! {
    async fn seed_fetches_finish_with_the_slowest_in_input_order() {
        let start = Instant::now();
        let results = taskio::gather([
            fetch("api/users", units(UNIT, 1.0)),
            fetch("api/posts", units(UNIT, 2.0)),
            fetch("api/comments", units(UNIT, 0.5)),
        ])
        .await
        .unwrap();
        assert_took(PAUSED, start, units(UNIT, 2.0));
        assert_eq!(
            results,
            ["Response from api/users", "Response from api/posts", "Response from api/comments"]
        );
    }
}

both! {
    async fn gather_of_spawned_tasks_keeps_input_order() {
        let start = Instant::now();
        let tasks: Vec<_> = [3.0, 1.0, 2.0]
            .into_iter()
            .map(|s| {
                taskio::spawn(async move {
                    taskio::sleep(units(UNIT, s)).await?;
                    taskio::Ok(s as u32)
                })
            })
            .collect();
        assert_eq!(taskio::gather(tasks).await.unwrap(), [3, 1, 2]);
        assert_took(PAUSED, start, units(UNIT, 3.0));
    }
}

both! {
    async fn empty_input_returns_at_once() {
        let empty: Vec<std::future::Ready<taskio::Result<u8>>> = Vec::new();
        assert!(taskio::gather(empty).await.unwrap().is_empty());
        let empty: Vec<taskio::Task<u8>> = Vec::new();
        assert!(taskio::gather_settled(empty).await.unwrap().is_empty());
    }
}

/// A sibling that sleeps long, and on cancellation awaits a cleanup sleep before it re-raises.
async fn sleeper_with_cleanup(unit: Duration, cleaned: Arc<AtomicBool>) -> taskio::Result<u32> {
    match taskio::sleep(units(unit, 100.0)).await {
        Ok(()) => Ok(0),
        Err(cancelled) => {
            taskio::sleep(units(unit, 0.5)).await?; // async cleanup
            cleaned.store(true, Ordering::SeqCst);
            Err(cancelled.into())
        }
    }
}

async fn fail_after(unit: Duration, secs: f64) -> taskio::Result<u32> {
    taskio::sleep(units(unit, secs)).await?;
    Err(taskio::Error::msg("boom"))
}

both! {
    async fn a_failure_cancels_the_others_and_waits_for_their_cleanup() {
        for n in [2usize, 100] {
            // n = 100 runs the queued mode (per-input wakers), n = 2 the small one.
            let cleaned: Vec<_> = (0..n).map(|_| Arc::new(AtomicBool::new(false))).collect();
            let start = Instant::now();
            let inputs: Vec<std::pin::Pin<Box<dyn Future<Output = taskio::Result<u32>> + Send>>> =
                (0..n)
                    .map(|i| -> std::pin::Pin<Box<dyn Future<Output = _> + Send>> {
                        if i == n / 2 {
                            Box::pin(fail_after(UNIT, 1.0))
                        } else {
                            Box::pin(sleeper_with_cleanup(UNIT, cleaned[i].clone()))
                        }
                    })
                    .collect();
            let err = taskio::gather(inputs).await.unwrap_err();
            assert_eq!(err.to_string(), "boom");
            assert_took(PAUSED, start, units(UNIT, 1.5)); // failure at 1, cleanup 0.5
            for (i, c) in cleaned.iter().enumerate() {
                assert_eq!(c.load(Ordering::SeqCst), i != n / 2, "input {i} of {n}");
            }
        }
    }
}

both! {
    async fn a_failing_task_cancels_sibling_tasks() {
        let cleaned = Arc::new(AtomicBool::new(false));
        let sibling = taskio::spawn(sleeper_with_cleanup(UNIT, cleaned.clone()));
        let failing = taskio::task().name("failing").spawn(fail_after(UNIT, 1.0));
        let err = taskio::gather([sibling, failing]).await.unwrap_err();
        assert_eq!(err.to_string(), "task 'failing' failed: boom");
        assert_eq!(err.task_name(), Some("failing"));
        assert!(cleaned.load(Ordering::SeqCst), "the sibling's cleanup ran before gather returned");
    }
}

both! {
    async fn a_child_that_ended_cancelled_is_a_failure() {
        let victim = taskio::spawn(async move {
            taskio::sleep(units(UNIT, 100.0)).await?;
            taskio::Ok(1)
        });
        let cleaned = Arc::new(AtomicBool::new(false));
        let started = Arc::new(AtomicBool::new(false));
        let (c2, s2) = (cleaned.clone(), started.clone());
        let sibling = taskio::spawn(async move {
            s2.store(true, Ordering::SeqCst);
            sleeper_with_cleanup(UNIT, c2).await
        });
        until(|| started.load(Ordering::SeqCst)).await; // a sibling that never started has no cleanup
        victim.cancel();
        let err = taskio::gather([victim, sibling]).await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(cleaned.load(Ordering::SeqCst));
    }
}

both! {
    async fn cancelling_the_awaiter_cancels_every_input_and_waits() {
        let cleaned: Vec<_> = (0..40).map(|_| Arc::new(AtomicBool::new(false))).collect();
        let c2 = cleaned.clone();
        let started = Arc::new(AtomicBool::new(false));
        let s2 = started.clone();
        let outer = taskio::spawn(async move {
            s2.store(true, Ordering::SeqCst);
            let inputs = c2.into_iter().map(|c| sleeper_with_cleanup(UNIT, c));
            taskio::gather(inputs).await
        });
        until(|| started.load(Ordering::SeqCst)).await;
        taskio::sleep(units(UNIT, 0.1)).await.unwrap();
        outer.cancel_with("stop");
        let err = outer.await.unwrap_err();
        assert_eq!(err.as_cancelled().unwrap().message(), Some("stop"));
        assert!(cleaned.iter().all(|c| c.load(Ordering::SeqCst)));
    }
}

both! {
    async fn gather_settled_returns_every_outcome_in_order() {
        let start = Instant::now();
        let mixed = taskio::gather_settled([
            fetch_data("D", units(UNIT, 1.0), false),
            fetch_data("E", units(UNIT, 2.0), true),
            fetch_data("F", units(UNIT, 3.0), false),
        ])
        .await
        .unwrap();
        assert_took(PAUSED, start, units(UNIT, 3.0)); // F was not cancelled by E's failure
        assert_eq!(mixed[0].as_ref().unwrap(), "Data from D");
        assert_eq!(mixed[1].as_ref().unwrap_err().to_string(), "Failed to fetch data E!");
        assert_eq!(mixed[2].as_ref().unwrap(), "Data from F");
    }
}

both! {
    async fn gather_settled_cancelled_cancels_and_awaits_its_inputs() {
        let cleaned = Arc::new(AtomicBool::new(false));
        let c2 = cleaned.clone();
        let outer = taskio::spawn(async move {
            taskio::gather_settled([sleeper_with_cleanup(UNIT, c2)]).await
        });
        taskio::sleep(units(UNIT, 0.1)).await.unwrap();
        outer.cancel();
        assert!(outer.await.unwrap_err().is_cancelled());
        assert!(cleaned.load(Ordering::SeqCst));
    }
}

/// A job that counts how many jobs run at once, and remembers the most.
async fn gauged(
    unit: Duration,
    now: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
    i: usize,
) -> taskio::Result<usize> {
    let running = now.fetch_add(1, Ordering::SeqCst) + 1;
    max.fetch_max(running, Ordering::SeqCst);
    let r = taskio::sleep(units(unit, 0.1 * (1 + i % 3) as f64)).await;
    now.fetch_sub(1, Ordering::SeqCst);
    r?;
    Ok(i)
}

both! {
    async fn a_limit_of_three_never_has_more_than_three_in_flight() {
        // 10 with a size hint: the JoinAll path; 10 without one (filter): the polled-all path;
        // 100: the queued path.
        for (n, hinted) in [(10usize, true), (10, false), (100, true)] {
            let now = Arc::new(AtomicUsize::new(0));
            let max = Arc::new(AtomicUsize::new(0));
            // take_while over an endless range: no upper bound in the size hint.
            let indices: Box<dyn Iterator<Item = usize>> = if hinted {
                Box::new(0..n)
            } else {
                Box::new((0..).take_while(move |&i| i < n))
            };
            let jobs = indices.map(|i| gauged(UNIT, now.clone(), max.clone(), i));
            let out = taskio::gather(jobs).limit(3).await.unwrap();
            assert_eq!(out, (0..n).collect::<Vec<_>>());
            assert_eq!(max.load(Ordering::SeqCst), 3, "n = {n}");

            let max2 = Arc::new(AtomicUsize::new(0));
            let indices: Box<dyn Iterator<Item = usize>> = if hinted {
                Box::new(0..n)
            } else {
                Box::new((0..).take_while(move |&i| i < n))
            };
            let jobs = indices.map(|i| gauged(UNIT, now.clone(), max2.clone(), i));
            let out = taskio::gather_settled(jobs).limit(3).await.unwrap();
            assert_eq!(out.len(), n);
            assert_eq!(max2.load(Ordering::SeqCst), 3, "n = {n}");
        }
    }
}

/// How the inputs of [`a_limited_gather_that_fails_never_starts_the_rest`] wait first.
#[derive(Clone, Copy, Debug)]
enum FirstWait {
    TaskioSleep,
    TokioSleep,
    /// None: input 4 fails at its very first poll, while the gather is still starting inputs
    /// in the same pass.
    Nothing,
}

both! {
    /// Small (20) and queued (50) paths, directly and inside `FuturesUnordered`.
    async fn a_limited_gather_that_fails_never_starts_the_rest() {
      use futures_util::StreamExt;
      for n in [20, 50] {
        for wait in [FirstWait::TaskioSleep, FirstWait::TokioSleep, FirstWait::Nothing] {
          for inside_futures_unordered in [false, true] {
            let started = Arc::new(AtomicUsize::new(0));
            let jobs = (0..n).map(|i| {
                let started = started.clone();
                async move {
                    started.fetch_add(1, Ordering::SeqCst);
                    // Input 4 fails while the others still sleep: none of them frees a place
                    // first (on the real clock, timers due together need not end together).
                    let nap = units(UNIT, if i == 4 { 0.1 } else { 1.0 });
                    match wait {
                        FirstWait::TaskioSleep => taskio::sleep(nap).await?,
                        FirstWait::TokioSleep => tokio::time::sleep(nap).await,
                        FirstWait::Nothing => {}
                    }
                    if i == 4 {
                        return Err(taskio::Error::msg("job 4 failed"));
                    }
                    taskio::Ok(i)
                }
            });
            let gather = taskio::gather(jobs).limit(5);
            let err = if inside_futures_unordered {
                let mut set = futures_util::stream::FuturesUnordered::new();
                set.push(gather);
                set.next().await.expect("one gather")
            } else {
                gather.await
            }
            .unwrap_err();
            assert_eq!(err.to_string(), "job 4 failed");
            assert_eq!(
                started.load(Ordering::SeqCst),
                5,
                "n = {n}, wait = {wait:?}, inside FuturesUnordered: {inside_futures_unordered}"
            );
          }
        }
      }
    }
}

both! {
    async fn gather_macro_mixes_types_and_cancels_on_failure() {
        let start = Instant::now();
        let (a, b, c) = taskio::gather!(
            fetch("x", units(UNIT, 1.0)),
            async { Ok::<u8, std::io::Error>(2) },
            taskio::spawn(async move {
                taskio::sleep(units(UNIT, 2.0)).await?;
                taskio::Ok(3.5)
            }),
        )
        .await
        .unwrap();
        assert_eq!((a.as_str(), b, c), ("Response from x", 2, 3.5));
        assert_took(PAUSED, start, units(UNIT, 2.0));

        let cleaned = Arc::new(AtomicBool::new(false));
        let err = taskio::gather!(
            sleeper_with_cleanup(UNIT, cleaned.clone()),
            fail_after(UNIT, 1.0),
            async { taskio::Ok("ok") },
        )
        .await
        .unwrap_err();
        assert_eq!(err.to_string(), "boom");
        assert!(cleaned.load(Ordering::SeqCst));
    }
}

both! {
    async fn gather_macro_inside_a_task_is_send_and_cancellable() {
        let cleaned = Arc::new(AtomicBool::new(false));
        let c2 = cleaned.clone();
        let outer = taskio::spawn(async move {
            taskio::gather!(sleeper_with_cleanup(UNIT, c2), async { taskio::Ok(1) }).await
        });
        taskio::sleep(units(UNIT, 0.1)).await.unwrap();
        outer.cancel();
        assert!(outer.await.unwrap_err().is_cancelled());
        assert!(cleaned.load(Ordering::SeqCst));
    }
}

/// Captures the `tracing` events on this thread, each as its fields' text.
struct Capture(Arc<Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        struct Message<'a>(&'a mut String);
        impl tracing::field::Visit for Message<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                self.0.push_str(&format!("{}={value:?} ", field.name()));
            }
        }
        let mut m = String::new();
        event.record(&mut Message(&mut m));
        self.0.lock().unwrap().push(m);
    }
}

#[test]
fn a_later_sibling_failure_is_reported_not_lost() {
    use tracing_subscriber::layer::SubscriberExt;
    let seen = Arc::new(Mutex::new(Vec::new()));
    let subscriber = tracing_subscriber::Registry::default().with(Capture(seen.clone()));
    tracing::subscriber::with_default(subscriber, || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        rt.block_on(async {
            // The second input fails during its cleanup, after the first failure.
            let stubborn = async {
                if taskio::sleep(Duration::from_secs(10)).await.is_err() {
                    taskio::sleep(Duration::from_millis(1)).await?;
                    return Err(taskio::Error::msg("cleanup failed too"));
                }
                taskio::Ok(0)
            };
            let first = fail_after(Duration::from_secs(1), 1.0);
            let err = taskio::gather::<[std::pin::Pin<Box<dyn Future<Output = _>>>; 2]>([
                Box::pin(first),
                Box::pin(stubborn),
            ])
            .await
            .unwrap_err();
            assert_eq!(err.to_string(), "boom");
        });
    });
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].contains("cleanup failed too"), "{seen:?}");
}

both! {
    async fn task_inputs_after_an_immediate_failure_are_cancelled_not_detached() {
        for n in [2usize, 40] {
            let failing = taskio::spawn(async { Err::<u32, _>(taskio::Error::msg("at once")) });
            until(|| failing.is_done()).await;
            let cleaned: Vec<_> = (1..n).map(|_| Arc::new(AtomicBool::new(false))).collect();
            let started = Arc::new(AtomicUsize::new(0));
            let mut tasks = vec![failing];
            for c in &cleaned {
                let (c, s) = (c.clone(), started.clone());
                tasks.push(taskio::spawn(async move {
                    s.fetch_add(1, Ordering::SeqCst);
                    sleeper_with_cleanup(UNIT, c).await
                }));
            }
            until(|| started.load(Ordering::SeqCst) == n - 1).await;
            let err = taskio::gather(tasks).await.unwrap_err();
            assert!(err.to_string().ends_with("at once"));
            assert!(cleaned.iter().all(|c| c.load(Ordering::SeqCst)), "n = {n}");
        }
    }
}

both! {
    async fn a_panicking_task_fails_the_gather_and_settled_keeps_the_panic() {
        let cleaned = Arc::new(AtomicBool::new(false));
        let sibling = taskio::spawn(sleeper_with_cleanup(UNIT, cleaned.clone()));
        let panicking = taskio::spawn(async move {
            taskio::sleep(UNIT).await?;
            if UNIT > Duration::ZERO {
                panic!("kaboom");
            }
            taskio::Ok(0)
        });
        let err = taskio::gather([sibling, panicking]).await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.panic_message(), Some("kaboom"));
        assert!(cleaned.load(Ordering::SeqCst));

        let panicking = taskio::spawn(async move {
            if UNIT > Duration::ZERO {
                panic!("again");
            }
            taskio::Ok(0)
        });
        let all = taskio::gather_settled([panicking, taskio::spawn(async { taskio::Ok(1) })])
            .await
            .unwrap();
        assert!(all[0].as_ref().unwrap_err().is_panic());
        assert_eq!(*all[1].as_ref().unwrap(), 1);
    }
}

type BoxedInput = std::pin::Pin<Box<dyn std::future::Future<Output = taskio::Result<u32>> + Send>>;

/// Inputs of different futures in one gather.
fn boxed(f: impl std::future::Future<Output = taskio::Result<u32>> + Send + 'static) -> BoxedInput {
    Box::pin(f)
}

/// Sleeps long; on a cancel, records its message and ends cancelled.
async fn records_cancel(
    unit: Duration,
    seen: Arc<Mutex<Vec<Option<String>>>>,
) -> taskio::Result<u32> {
    match taskio::sleep(units(unit, 100.0)).await {
        Ok(()) => Ok(0),
        Err(c) => {
            seen.lock().unwrap().push(c.message().map(str::to_owned));
            Err(c.into())
        }
    }
}

both! {
    async fn nested_small_gathers_keep_their_own_stop() {
        // The inner gather fails fast and stops its own sibling; the outer one is settled, so
        // its other input runs to its end.
        let seen = Arc::new(Mutex::new(Vec::new()));
        let inner = taskio::gather([
            boxed(fail_after(UNIT, 0.5)),
            boxed(records_cancel(UNIT, seen.clone())),
        ]);
        let outer = taskio::gather_settled([
            boxed(async move { inner.await.map(|v| v.len() as u32) }),
            boxed(async move {
                taskio::sleep(units(UNIT, 2.0)).await?;
                taskio::Ok(7)
            }),
        ])
        .await
        .unwrap();
        assert!(outer[0].is_err());
        assert_eq!(*outer[1].as_ref().unwrap(), 7);
        assert_eq!(*seen.lock().unwrap(), [None]);
    }
}

both! {
    async fn a_cancel_message_reaches_the_inputs_of_nested_small_gathers() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s2 = seen.clone();
        let task = taskio::spawn(async move {
            let inner = taskio::gather([
                records_cancel(UNIT, s2.clone()),
                records_cancel(UNIT, s2.clone()),
            ]);
            taskio::gather([
                boxed(async move { inner.await.map(|v| v.len() as u32) }),
                boxed(records_cancel(UNIT, s2)),
            ])
            .await
        });
        taskio::sleep(units(UNIT, 0.5)).await.unwrap();
        task.cancel_with("bye");
        let err = task.await.unwrap_err();
        assert_eq!(err.as_cancelled().unwrap().message(), Some("bye"));
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        assert!(seen.iter().all(|m| m.as_deref() == Some("bye")), "{seen:?}");
    }
}

/// 64 inputs (the queued path), at most 4 at once, each waiting in a tokio oneshot whose value
/// the test sends in reverse order (so later inputs find theirs at their first poll, earlier ones
/// wait); every even input also leaves a clone of its waker behind, woken long after it ended.
/// The gather reuses the waker entries of the inputs that left none: the values still come back
/// in input order, none lost, and the stale wakers only cause spurious polls.
async fn limited_gather_over_oneshots(inside_futures_unordered: bool) {
    use futures_util::StreamExt;
    const N: usize = 64;
    let stale: Arc<Mutex<Vec<std::task::Waker>>> = Arc::default();
    let (txs, rxs): (Vec<_>, Vec<_>) = (0..N)
        .map(|_| tokio::sync::oneshot::channel::<usize>())
        .unzip();
    let jobs = rxs.into_iter().enumerate().map(|(i, rx)| {
        let stale = stale.clone();
        async move {
            if i % 2 == 0 {
                std::future::poll_fn(|cx| {
                    stale.lock().unwrap().push(cx.waker().clone());
                    std::task::Poll::Ready(())
                })
                .await;
            }
            taskio::Ok(rx.await?)
        }
    });
    let sender = tokio::spawn({
        let stale = stale.clone();
        async move {
            for (i, tx) in txs.into_iter().enumerate().rev() {
                let wakers: Vec<_> = stale.lock().unwrap().drain(..).collect();
                wakers.into_iter().for_each(|w| w.wake());
                tx.send(i).unwrap();
                tokio::task::yield_now().await;
            }
        }
    });
    let gathered = if inside_futures_unordered {
        let mut set = futures_util::stream::FuturesUnordered::new();
        set.push(taskio::gather(jobs).limit(4));
        set.next().await.expect("one gather")
    } else {
        taskio::gather(jobs).limit(4).await
    };
    assert_eq!(gathered.unwrap(), (0..N).collect::<Vec<_>>());
    sender.await.unwrap();
}

both! {
    async fn a_limited_gather_reuses_waker_entries_and_loses_no_value() {
        tokio::time::timeout(Duration::from_secs(60), limited_gather_over_oneshots(false))
            .await
            .expect("no hang");
        tokio::time::timeout(Duration::from_secs(60), limited_gather_over_oneshots(true))
            .await
            .expect("no hang");
    }
}
