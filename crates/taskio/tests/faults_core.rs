//! Fault paths of the task's state machine (issue 12, items 1, 2, 3, 8 and 10): panics in a
//! future's `Drop`, in a panic payload's `Drop`, in an error's `Display`; a task awaiting its own
//! handle; counts far past 65535. Each ends in an outcome or a report, never a hang.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use support::{both, bounded, until};
use taskio::TaskState;

use support::faults::{BadDisplay, DropBomb as PanicOnDrop};

both! {
    async fn a_future_whose_drop_panics_after_ready_still_completes() {
        bounded(async {
            let task = taskio::spawn(async {
                let _bomb = PanicOnDrop;
                taskio::checkpoint().await?;
                taskio::Ok(1)
            });
            let id = task.id();
            let e = task.await.unwrap_err();
            assert!(e.is_panic(), "{e:?}");
            assert!(e.panic_message().unwrap().contains("drop bomb"));
            assert!(taskio::all_tasks().iter().all(|t| t.id != id), "not left Running");
        })
        .await;
    }
}

/// A panic payload whose own `Drop` panics.
struct Payload;

impl Drop for Payload {
    fn drop(&mut self) {
        panic!("payload drop");
    }
}

both! {
    async fn a_panic_payload_whose_drop_panics_still_completes() {
        bounded(async {
            let task = taskio::spawn(async {
                taskio::checkpoint().await?;
                std::panic::panic_any(Payload);
                #[allow(unreachable_code)]
                taskio::Ok(())
            });
            assert!(task.await.unwrap_err().is_panic());
        })
        .await;
    }
}

#[test]
fn run_returns_when_a_leftover_panics_in_its_drop() {
    let out = taskio::run(async {
        let _leftover = taskio::spawn(async {
            let _bomb = PanicOnDrop;
            taskio::sleep(Duration::from_secs(3600)).await?;
            taskio::Ok(())
        });
        taskio::checkpoint().await?;
        taskio::Ok(5)
    });
    assert_eq!(out.unwrap(), 5);
}

both! {
    async fn a_panic_in_drop_during_abort_is_the_outcome() {
        bounded(async {
            let task = taskio::spawn(async {
                let _bomb = PanicOnDrop;
                tokio::time::sleep(Duration::from_secs(3600)).await;
                taskio::Ok(())
            });
            until(|| task.state() == TaskState::Running).await;
            taskio::checkpoint().await.unwrap();
            task.abort();
            let e = task.await.unwrap_err();
            assert!(e.is_panic(), "a panic in drop is not swallowed: {e:?}");
        })
        .await;
    }
}

both! {
    async fn a_panic_in_the_drop_of_a_body_cancelled_before_its_first_poll_is_the_outcome() {
        bounded(async {
            let bomb = PanicOnDrop;
            let task = taskio::spawn(async move {
                let _bomb = bomb;
                taskio::Ok(())
            });
            task.cancel();
            let e = task.await.unwrap_err();
            assert!(e.is_panic(), "{e:?}");
        })
        .await;
    }
}

both! {
    async fn a_panic_in_the_drop_of_a_body_dropped_for_a_cancel_is_the_outcome() {
        bounded(async {
            let task = taskio::spawn(async {
                let _bomb = PanicOnDrop;
                tokio::time::sleep(Duration::from_secs(3600)).await;
                taskio::Ok(())
            });
            until(|| task.state() == TaskState::Running).await;
            taskio::checkpoint().await.unwrap();
            task.cancel();
            assert!(task.await.unwrap_err().is_panic());
        })
        .await;
    }
}

#[test]
fn run_returns_when_a_detached_failures_display_panics_under_a_formatting_subscriber() {
    let subscriber = tracing_subscriber::fmt()
        .with_writer(std::io::sink)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let out = taskio::run(async {
        let failing = taskio::spawn(async { Err::<(), _>(taskio::Error::new(BadDisplay)) });
        drop(failing); // detached: its failure is reported
        taskio::sleep(Duration::from_millis(5)).await?;
        taskio::Ok(3)
    });
    assert_eq!(out.unwrap(), 3);
}

both! {
    async fn a_task_awaiting_its_own_handle_fails_at_once() {
        bounded(async {
            let (tx, rx) = tokio::sync::oneshot::channel::<taskio::Task<()>>();
            let polls = std::sync::Arc::new(AtomicUsize::new(0));
            let p = polls.clone();
            let task = taskio::spawn(async move {
                let me = rx.await.unwrap();
                p.fetch_add(1, Ordering::SeqCst);
                let e = me.await.unwrap_err();
                assert!(e.to_string().contains("awaited its own handle"), "{e}");
                Err::<(), _>(e)
            });
            // The handle goes to the task itself; what comes back is its outcome through
            // `all_tasks` and the state.
            let id = task.id();
            tx.send(task).unwrap();
            until(|| taskio::all_tasks().iter().all(|t| t.id != id)).await;
            assert_eq!(polls.load(Ordering::SeqCst), 1, "no spin");
        })
        .await;
    }
}

both! {
    async fn cancelling_counts_far_past_65535_and_an_outside_cancel_stays_cancelled() {
        bounded(async {
            let task = taskio::spawn(async {
                taskio::checkpoint().await?;
                let me = taskio::current().unwrap();
                for _ in 0..100_000 {
                    me.cancel();
                }
                let seen = me.cancelling();
                for _ in 0..100_000 {
                    me.uncancel();
                }
                taskio::Ok(seen)
            });
            assert_eq!(task.await.unwrap(), 100_000);

            // 70k suppressed cancels, then a timeout whose work is cancelled from outside.
            let task = taskio::spawn(async {
                taskio::checkpoint().await?;
                let me = taskio::current().unwrap();
                for _ in 0..70_000 {
                    me.cancel();
                    let _ = taskio::checkpoint().await; // delivered and suppressed
                }
                taskio::timeout(Duration::from_secs(3600), taskio::sleep(Duration::from_secs(7200)))
                    .await?;
                taskio::Ok(())
            });
            until(|| task.cancelling() >= 70_000).await;
            taskio::checkpoint().await.unwrap();
            task.cancel();
            let e = task.await.unwrap_err();
            assert!(e.is_cancelled() && !e.is_timed_out(), "{e:?}");
        })
        .await;
    }
}

/// An input that records that its async cleanup ran to its end.
async fn cleans_up(done: std::sync::Arc<AtomicUsize>) -> taskio::Result<u32> {
    if let Err(c) = taskio::sleep(Duration::from_secs(3600)).await {
        taskio::sleep(Duration::from_millis(10)).await.ok();
        done.fetch_add(1, Ordering::SeqCst);
        return Err(c.into());
    }
    Ok(0)
}

async fn panics_soon() -> taskio::Result<u32> {
    taskio::sleep(Duration::from_millis(1)).await?;
    panic!("input bomb");
}

both! {
    async fn a_panicking_gather_input_is_a_failure_and_the_others_clean_up() {
        bounded(async {
            type Input = std::pin::Pin<Box<dyn std::future::Future<Output = taskio::Result<u32>> + Send>>;
            for n in [2usize, 40] {
                let done = std::sync::Arc::new(AtomicUsize::new(0));
                let mut inputs: Vec<Input> = vec![Box::pin(panics_soon())];
                for _ in 1..n {
                    inputs.push(Box::pin(cleans_up(done.clone())));
                }
                let e = taskio::gather(inputs).await.unwrap_err();
                assert!(e.is_panic(), "{n} inputs: {e:?}");
                assert_eq!(done.load(Ordering::SeqCst), n - 1, "{n} inputs: every cleanup ran");
            }
            let done = std::sync::Arc::new(AtomicUsize::new(0));
            let e = taskio::gather!(panics_soon(), cleans_up(done.clone())).await.unwrap_err();
            assert!(e.is_panic());
            assert_eq!(done.load(Ordering::SeqCst), 1);
        })
        .await;
    }
}

/// Work that is cancelled from outside and cleans up past its own timeout's deadline.
async fn slow_cleanup_under_timeout() -> taskio::Result<()> {
    taskio::timeout(Duration::from_millis(50), async {
        if let Err(c) = taskio::sleep(Duration::from_secs(1)).await {
            // cleanup, with a cancellation point, past the 50 ms deadline
            let _ = taskio::sleep(Duration::from_millis(100)).await;
            return Err::<(), _>(c.into());
        }
        taskio::Ok(())
    })
    .await
}

both! {
    async fn a_group_bodys_timeout_cleaning_up_after_the_groups_cancel_is_not_a_timeout() {
        bounded(async {
            let e = taskio::task_group(|tg| async move {
                tg.spawn(async {
                    taskio::sleep(Duration::from_millis(10)).await?;
                    Err::<(), _>(taskio::Error::msg("sibling failed"))
                })?;
                slow_cleanup_under_timeout().await
            })
            .await
            .unwrap_err();
            let errors = e.group_errors().unwrap();
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(errors[0].to_string().ends_with("sibling failed"), "{errors:?}");
        })
        .await;
    }
}

both! {
    async fn a_gather_inputs_timeout_cleaning_up_after_the_gathers_cancel_is_not_a_timeout() {
        bounded(async {
            let e = taskio::gather!(
                async {
                    taskio::sleep(Duration::from_millis(10)).await?;
                    Err::<(), _>(taskio::Error::msg("sibling failed"))
                },
                slow_cleanup_under_timeout(),
            )
            .await
            .unwrap_err();
            assert_eq!(e.to_string(), "sibling failed");
        })
        .await;
    }
}

/// A waker that panics when it is woken.
struct WakerBomb;

impl std::task::Wake for WakerBomb {
    fn wake(self: std::sync::Arc<Self>) {
        panic!("waker bomb");
    }
}

/// The task body of the panicking-waker cases: where it waits until `run`'s shutdown cancels it.
type Body = std::pin::Pin<Box<dyn std::future::Future<Output = taskio::Result<()>> + Send>>;

/// Runs a task named `name` whose awaiter registered a [`WakerBomb`], left for `run`'s shutdown
/// (which cancels it and waits on its done waker); gives the reports of the panicking waker.
fn run_with_a_panicking_awaiter(name: &'static str, body: fn() -> Body) -> Vec<String> {
    support::capture::install();
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let outcome = taskio::run(async move {
            let mut task = taskio::task().name(name).spawn(body());
            let waker = std::task::Waker::from(std::sync::Arc::new(WakerBomb));
            let mut cx = std::task::Context::from_waker(&waker);
            assert!(std::pin::Pin::new(&mut task).poll(&mut cx).is_pending());
            drop(task); // a leftover of main: the shutdown cancels it and waits for it
            taskio::Ok(())
        });
        let _ = done_tx.send(outcome.is_ok());
    });
    let ok = done_rx
        .recv_timeout(Duration::from_secs(60))
        .expect("run's shutdown ended although the task's awaiter waker panicked");
    assert!(ok);
    support::capture::reports_with(name)
        .into_iter()
        .filter(|r| r.contains("a waker panicked"))
        .collect()
}

/// A task's awaiter registered a waker that panics; the task is then left for `run`'s shutdown,
/// which cancels it and waits on its done waker. The completion's panicking waker is reported,
/// and the next waker (the shutdown's) is still woken: `run` returns, where the panic used to
/// unwind out of the completion before the shutdown was woken, and `run` waited forever.
#[test]
fn a_waker_that_panics_at_completion_is_reported_and_the_others_still_woken() {
    let reports = run_with_a_panicking_awaiter("bomb-awaited", || {
        Box::pin(async {
            taskio::sleep(Duration::from_secs(3600)).await?;
            taskio::Ok(())
        })
    });
    assert!(
        reports
            .iter()
            .any(|r| r.contains("bomb-awaited") && r.contains("waker bomb")),
        "{reports:?}"
    );
}

/// The same with the task waiting in a tokio channel (its cancel is delivered by dropping) and
/// in a tokio timer inside `FuturesUnordered` (a point with a waker of its own).
#[test]
fn a_waker_that_panics_at_completion_is_reported_for_tasks_waiting_in_tokio_futures() {
    let in_channel = run_with_a_panicking_awaiter("bomb-awaited-channel", || {
        Box::pin(async {
            let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
            let _ = rx.await;
            taskio::Ok(())
        })
    });
    assert!(
        in_channel.iter().any(|r| r.contains("waker bomb")),
        "{in_channel:?}"
    );
    let in_unordered = run_with_a_panicking_awaiter("bomb-awaited-unordered", || {
        Box::pin(async {
            use futures_util::StreamExt;
            let mut waits = futures_util::stream::FuturesUnordered::new();
            waits.push(taskio::sleep(Duration::from_secs(3600)));
            waits.next().await.unwrap_or(Ok(()))?;
            taskio::Ok(())
        })
    });
    assert!(
        in_unordered.iter().any(|r| r.contains("waker bomb")),
        "{in_unordered:?}"
    );
}

/// 64 inline inputs (the queued gather), at most 4 at once; input 10 panics in its `Drop`
/// after it returned. An ended input's box is handed to the next input (the ended one is
/// dropped in place), so that panic happens while the next input moves in. `wait`: every input
/// first waits in a tokio timer.
async fn gather_with_a_drop_bomb(wait: bool, inside_futures_unordered: bool) {
    use futures_util::StreamExt;
    use std::sync::Arc;
    let started = Arc::new(AtomicUsize::new(0));
    let inputs = |started: Arc<AtomicUsize>| {
        (0..64usize).map(move |i| {
            let started = started.clone();
            let bomb = if i == 10 { Some(PanicOnDrop) } else { None };
            async move {
                let _bomb = bomb;
                started.fetch_add(1, Ordering::SeqCst);
                if wait {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                taskio::Ok(i)
            }
        })
    };
    // Settled: the panic is input 10's outcome; every other input ran and gave its value.
    let settled = taskio::gather_settled(inputs(started.clone())).limit(4);
    let outcomes = if inside_futures_unordered {
        let mut set = futures_util::stream::FuturesUnordered::new();
        set.push(settled);
        set.next().await.unwrap()
    } else {
        settled.await
    }
    .unwrap();
    for (i, outcome) in outcomes.iter().enumerate() {
        match outcome {
            Err(e) if i == 10 => assert!(e.panic_message().unwrap().contains("drop bomb")),
            Ok(v) => assert_eq!(*v, i),
            other => panic!("input {i}: {other:?}"),
        }
    }
    assert_eq!(started.swap(0, Ordering::SeqCst), 64);
    // Fail-fast: the panic is returned; inputs not started by then never run.
    let e = taskio::gather(inputs(started.clone()))
        .limit(4)
        .await
        .unwrap_err();
    assert!(e.panic_message().unwrap().contains("drop bomb"), "{e:?}");
    let ran = started.load(Ordering::SeqCst);
    assert!((11..=14).contains(&ran), "{ran} inputs ran");
}

both! {
    async fn a_gather_input_that_panics_in_drop_as_its_box_passes_on_is_its_failure() {
        bounded(async {
            for wait in [false, true] {
                for inside in [false, true] {
                    gather_with_a_drop_bomb(wait, inside).await;
                }
            }
        })
        .await;
    }
}

/// The body of a group that waits in a tokio timer and is dropped by the group's fail-fast:
/// a panic in its drop is the body's failure, beside the child's (it was lost).
async fn group_body_dropped_with_a_bomb(in_unordered: bool) -> Vec<String> {
    let r = taskio::task_group(|tg| async move {
        let _bomb = PanicOnDrop;
        tg.spawn(async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            Err::<(), _>(taskio::Error::msg("child failed"))
        })?;
        if in_unordered {
            use futures_util::stream::{FuturesUnordered, StreamExt};
            let mut waits: FuturesUnordered<_> = (0..2)
                .map(|_| tokio::time::sleep(Duration::from_secs(3600)))
                .collect();
            while waits.next().await.is_some() {}
        } else {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
        taskio::Ok(())
    })
    .await;
    let e = r.unwrap_err();
    e.group_errors()
        .expect("a group error")
        .iter()
        .map(|e| e.to_string())
        .collect()
}

both! {
    async fn a_group_body_that_panics_as_it_is_dropped_reports_it_beside_the_childs_failure() {
        bounded(async {
            for in_unordered in [false, true] {
                let errors = group_body_dropped_with_a_bomb(in_unordered).await;
                assert_eq!(errors.len(), 2, "{errors:?}");
                assert!(errors.iter().any(|m| m.contains("child failed")), "{errors:?}");
                assert!(errors.iter().any(|m| m.contains("drop bomb")), "{errors:?}");
                // Inside a task too.
                let errors = taskio::spawn(async move {
                    taskio::Ok(group_body_dropped_with_a_bomb(in_unordered).await)
                })
                .await
                .unwrap();
                assert!(errors.iter().any(|m| m.contains("drop bomb")), "{errors:?}");
            }
        })
        .await;
    }
}

/// A waker whose `wake` panics.
fn panicking_waker() -> std::task::Waker {
    struct Bomb;
    impl std::task::Wake for Bomb {
        fn wake(self: std::sync::Arc<Self>) {
            panic!("waker bomb");
        }
    }
    std::task::Waker::from(std::sync::Arc::new(Bomb))
}

both! {
    async fn a_panicking_waker_of_a_point_does_not_keep_a_cancel_from_arriving() {
        // A point polled once with a waker of its own registers it with its task; the cancel
        // wakes it, and it panics. The panic reaches the caller of `cancel`, and the request
        // still arrives: the task, waiting in a tokio timer, is dropped for it at once.
        bounded(async {
            let task = taskio::spawn(async {
                let mut sleep = std::pin::pin!(taskio::sleep(Duration::from_secs(3600)));
                let waker = panicking_waker();
                let polled = std::future::Future::poll(
                    sleep.as_mut(),
                    &mut std::task::Context::from_waker(&waker),
                );
                assert!(polled.is_pending());
                tokio::time::sleep(support::units(UNIT, 100.0)).await;
                taskio::Ok(())
            });
            until(|| task.state() == TaskState::Running).await;
            taskio::sleep(UNIT).await.unwrap();
            let start = tokio::time::Instant::now();
            let cancel = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task.cancel()));
            assert!(cancel.is_err(), "the waker's panic reaches the caller");
            assert!(task.await.unwrap_err().is_cancelled());
            support::assert_ended_at(PAUSED, start, Duration::ZERO);
        })
        .await;
    }
}
