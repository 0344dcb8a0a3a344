//! "A cancel always arrives": cancel, timeout, fail-fast and `run`'s shutdown reach code that
//! waits in ordinary tokio futures (I/O, timers, channels) and taskio points inside combinators
//! that poll with wakers of their own (`FuturesUnordered`, `buffer_unordered`). Each test ends at
//! the moment of the cancel, the deadline or the failure, never when the inner wait would have.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::{self, FuturesUnordered};
use support::faults::{WaitIn, wait_in};
use support::{assert_ended_at, both, bounded, units, until};
use taskio::{CancellableExt, TaskState};
use tokio::net::TcpListener;
use tokio::time::Instant;

/// A listener on 127.0.0.1 that nobody connects to.
async fn idle_listener() -> TcpListener {
    TcpListener::bind("127.0.0.1:0").await.unwrap()
}

both! {
    async fn a_task_parked_in_tcp_accept_is_cancelled() {
        bounded(async {
            let listener = idle_listener().await;
            let task = taskio::spawn(async move {
                let _ = listener.accept().await; // tokio I/O: not a cancellation point
                taskio::Ok(())
            });
            until(|| task.state() == TaskState::Running).await;
            taskio::sleep(UNIT).await.unwrap();
            let start = Instant::now();
            assert!(task.cancel());
            assert!(task.await.unwrap_err().is_cancelled());
            assert_ended_at(PAUSED, start, Duration::ZERO);
        })
        .await;
    }
}

both! {
    async fn a_timeout_around_a_tokio_sleep_fires_at_its_deadline() {
        bounded(async {
            let start = Instant::now();
            let out = taskio::timeout(units(UNIT, 0.5), async {
                tokio::time::sleep(units(UNIT, 150.0)).await;
                taskio::Ok(())
            })
            .await;
            assert!(out.unwrap_err().is_timed_out());
            assert_ended_at(PAUSED, start, units(UNIT, 0.5));
        })
        .await;
    }
}

both! {
    async fn a_failing_gather_input_stops_one_in_a_tokio_sleep() {
        bounded(async {
            let start = Instant::now();
            let slow = async {
                tokio::time::sleep(units(UNIT, 800.0)).await;
                taskio::Ok(1)
            };
            let failing = async {
                taskio::sleep(units(UNIT, 1.0)).await?;
                Err::<i32, _>(taskio::Error::msg("boom"))
            };
            let e = taskio::gather::<Vec<std::pin::Pin<Box<dyn std::future::Future<Output = taskio::Result<i32>> + Send>>>>(vec![Box::pin(slow), Box::pin(failing)])
                .await
                .unwrap_err();
            assert_eq!(e.to_string(), "boom");
            assert_ended_at(PAUSED, start, UNIT);
        })
        .await;
    }
}

both! {
    async fn the_gather_macro_stops_an_input_in_a_tokio_channel() {
        bounded(async {
            let (_tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
            let start = Instant::now();
            let e = taskio::gather!(
                async move { taskio::Ok(rx.recv().await) },
                async {
                    taskio::sleep(UNIT).await?;
                    Err::<(), _>(taskio::Error::msg("boom"))
                },
            )
            .await
            .unwrap_err();
            assert_eq!(e.to_string(), "boom");
            assert_ended_at(PAUSED, start, UNIT);
        })
        .await;
    }
}

both! {
    async fn a_group_returns_when_a_child_fails_while_another_waits_in_accept() {
        bounded(async {
            let listener = idle_listener().await;
            let start = Instant::now();
            let e = taskio::task_group(|tg| async move {
                tg.spawn(async move {
                    let _ = listener.accept().await;
                    taskio::Ok(())
                })?;
                tg.spawn(async {
                    taskio::sleep(UNIT).await?;
                    Err::<(), _>(taskio::Error::msg("child failed"))
                })?;
                taskio::Ok(())
            })
            .await
            .unwrap_err();
            assert_eq!(e.group_errors().unwrap().len(), 1);
            assert_ended_at(PAUSED, start, UNIT);
        })
        .await;
    }
}

both! {
    async fn a_group_body_waiting_in_a_tokio_channel_is_cancelled_by_a_child_failure() {
        bounded(async {
            let (_tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
            let start = Instant::now();
            let e = taskio::task_group(|tg| async move {
                tg.spawn(async {
                    taskio::sleep(UNIT).await?;
                    Err::<(), _>(taskio::Error::msg("child failed"))
                })?;
                rx.recv().await; // the body waits in a tokio channel
                taskio::Ok(())
            })
            .await
            .unwrap_err();
            assert_eq!(e.group_errors().unwrap().len(), 1);
            assert_ended_at(PAUSED, start, UNIT);
        })
        .await;
    }
}

both! {
    async fn futures_unordered_of_taskio_sleeps_sees_the_cancel() {
        bounded(async {
            let task = taskio::spawn(async {
                let mut all: FuturesUnordered<_> =
                    (0..3).map(|_| taskio::sleep(units(UNIT, 100.0))).collect();
                while let Some(r) = all.next().await {
                    r?; // the cancel arrives as Err(Cancelled) from one of them
                }
                taskio::Ok(())
            });
            until(|| task.state() == TaskState::Running).await;
            taskio::sleep(UNIT).await.unwrap();
            let start = Instant::now();
            task.cancel();
            assert!(task.await.unwrap_err().is_cancelled());
            assert_ended_at(PAUSED, start, Duration::ZERO);
        })
        .await;
    }
}

both! {
    async fn buffer_unordered_of_taskio_sleeps_sees_the_cancel() {
        bounded(async {
            let cleaned = Arc::new(AtomicBool::new(false));
            let c = cleaned.clone();
            let task = taskio::spawn(async move {
                let mut s = stream::iter(0..4)
                    .map(|_| taskio::sleep(units(UNIT, 100.0)))
                    .buffer_unordered(2);
                while let Some(r) = s.next().await {
                    if let Err(cancelled) = r {
                        // a cancellation point saw it: async cleanup runs
                        taskio::sleep(units(UNIT, 0.5)).await.unwrap();
                        c.store(true, Ordering::SeqCst);
                        return Err(cancelled.into());
                    }
                }
                taskio::Ok(())
            });
            until(|| task.state() == TaskState::Running).await;
            taskio::sleep(UNIT).await.unwrap();
            let start = Instant::now();
            task.cancel();
            assert!(task.await.unwrap_err().is_cancelled());
            assert!(cleaned.load(Ordering::SeqCst), "the cleanup ran");
            assert_ended_at(PAUSED, start, units(UNIT, 0.5));
        })
        .await;
    }
}

both! {
    async fn a_timeout_around_futures_unordered_of_taskio_sleeps_fires() {
        bounded(async {
            let start = Instant::now();
            let out = taskio::timeout(UNIT, async {
                let mut all: FuturesUnordered<_> =
                    (0..3).map(|_| taskio::sleep(units(UNIT, 100.0))).collect();
                while let Some(r) = all.next().await {
                    r?;
                }
                taskio::Ok(())
            })
            .await;
            assert!(out.unwrap_err().is_timed_out());
            assert_ended_at(PAUSED, start, UNIT);
        })
        .await;
    }
}

/// `n` taskio sleeps of 100 units in a `FuturesUnordered`, whose outcomes are propagated with
/// `?`; each sleep that gets `Err(Cancelled)` (and could clean up, rather than being dropped)
/// counts itself in the returned counter.
fn unordered_sleeps(
    n: usize,
    unit: Duration,
) -> (
    Arc<std::sync::atomic::AtomicUsize>,
    impl std::future::Future<Output = taskio::Result<()>> + Send + 'static,
) {
    let cleaned = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = cleaned.clone();
    let wait = async move {
        let mut all: FuturesUnordered<_> = (0..n)
            .map(|_| {
                let counter = counter.clone();
                async move {
                    let slept = taskio::sleep(units(unit, 100.0)).await;
                    if slept.is_err() {
                        counter.fetch_add(1, Ordering::SeqCst);
                    }
                    taskio::Ok(slept?)
                }
            })
            .collect();
        while let Some(r) = all.next().await {
            r?;
        }
        taskio::Ok(())
    };
    (cleaned, wait)
}

both! {
    async fn a_timeout_around_futures_unordered_works_outside_any_task_too() {
        // Outside a taskio task (a plain tokio task, as `#[tokio::main]`'s main), the timeout's
        // scope keeps the inner wakers itself: its deadline wakes them, and the sleep that
        // takes the request gets `Err(Cancelled)` and cleans up instead of being dropped.
        bounded(async {
            let (cleaned, wait) = unordered_sleeps(3, UNIT);
            let start = Instant::now();
            let out = tokio::task::spawn(taskio::timeout(UNIT, wait)).await.unwrap();
            assert!(out.unwrap_err().is_timed_out());
            assert_ended_at(PAUSED, start, UNIT);
            assert_eq!(cleaned.load(Ordering::SeqCst), 1, "one point took the request");
        })
        .await;
    }
}

both! {
    async fn a_gather_outside_any_task_stops_an_input_inside_futures_unordered() {
        bounded(async {
            let (cleaned, waiting) = unordered_sleeps(2, UNIT);
            let start = Instant::now();
            let failing = async {
                taskio::sleep(UNIT).await?;
                Err::<(), _>(taskio::Error::msg("boom"))
            };
            let e = taskio::gather!(waiting, failing).await.unwrap_err();
            assert_eq!(e.to_string(), "boom");
            assert_ended_at(PAUSED, start, UNIT);
            assert_eq!(cleaned.load(Ordering::SeqCst), 1, "one point took the request");
        })
        .await;
    }
}

both! {
    async fn nested_timeouts_outside_any_task_wake_the_points_of_the_inner_one() {
        // The outer timeout is the outermost scope: the inner one's points register with it,
        // and the inner deadline wakes them.
        bounded(async {
            let (cleaned, wait) = unordered_sleeps(2, UNIT);
            let start = Instant::now();
            let out = taskio::timeout(units(UNIT, 50.0), async move {
                let fired = taskio::timeout(UNIT, wait).await;
                taskio::Ok(fired.unwrap_err().is_timed_out())
            })
            .await;
            assert!(out.unwrap());
            assert_ended_at(PAUSED, start, UNIT);
            assert_eq!(cleaned.load(Ordering::SeqCst), 1, "one point took the request");
        })
        .await;
    }
}

both! {
    async fn a_select_between_a_tokio_channel_and_a_tokio_timer_is_cancelled() {
        bounded(async {
            let (_tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
            let task = taskio::spawn(async move {
                loop {
                    tokio::select! {
                        _ = rx.recv() => {}
                        _ = tokio::time::sleep(units(UNIT, 100.0)) => {}
                    }
                }
                #[allow(unreachable_code)]
                taskio::Ok(())
            });
            until(|| task.state() == TaskState::Running).await;
            taskio::sleep(UNIT).await.unwrap();
            let start = Instant::now();
            task.cancel_with("shutting down");
            let e = task.await.unwrap_err();
            assert!(e.is_cancelled());
            assert_eq!(e.as_cancelled().unwrap().message(), Some("shutting down"));
            assert_ended_at(PAUSED, start, Duration::ZERO);
        })
        .await;
    }
}

both! {
    async fn a_select_with_a_taskio_point_delivers_cooperatively() {
        bounded(async {
            let (_tx, mut rx) = tokio::sync::mpsc::channel::<u32>(1);
            let task = taskio::spawn(async move {
                tokio::select! {
                    _ = rx.recv() => taskio::Ok("message"),
                    r = taskio::sleep(units(UNIT, 100.0)) => match r {
                        Ok(()) => taskio::Ok("slept"),
                        // the point took it: the code may still clean up
                        Err(_) => {
                            taskio::sleep(units(UNIT, 0.5)).await.unwrap();
                            taskio::Ok("cleaned up")
                        }
                    },
                }
            });
            until(|| task.state() == TaskState::Running).await;
            let start = Instant::now();
            task.cancel();
            // The request was delivered and handled: the task ends with its value (asyncio's
            // rule for a suppressed cancel).
            assert_eq!(task.await.unwrap(), "cleaned up");
            assert_ended_at(PAUSED, start, units(UNIT, 0.5));
        })
        .await;
    }
}

both! {
    async fn a_channel_consumer_made_cancellable_gets_err_cancelled() {
        bounded(async {
            let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(8);
            let task = taskio::spawn(async move {
                let mut sum = 0;
                loop {
                    match rx.recv().cancellable().await {
                        Ok(Some(v)) => sum += v,
                        Ok(None) => return taskio::Ok(sum),
                        Err(_) => return taskio::Ok(sum + 1000), // cleanup path
                    }
                }
            });
            tx.send(1).await.unwrap();
            tx.send(2).await.unwrap();
            until(|| tx.capacity() == 8).await;
            taskio::sleep(UNIT).await.unwrap();
            task.cancel();
            assert_eq!(task.await.unwrap(), 1003);
        })
        .await;
    }
}

both! {
    async fn a_cleanup_that_awaits_tokio_io_is_never_cut_short_by_a_second_cancel() {
        bounded(async {
            let dir = std::env::temp_dir().join(format!(
                "taskio-cleanup-{}-{}",
                std::process::id(),
                if PAUSED { "ct" } else { "mt" }
            ));
            let path = dir.join("journal.txt");
            let _ = std::fs::create_dir_all(&dir);
            let p = path.clone();
            let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
            let task = taskio::spawn(async move {
                let Err(cancelled) = taskio::sleep(units(UNIT, 100.0)).await else {
                    return taskio::Ok(());
                };
                // async cleanup in tokio futures (not cancellation points)
                use tokio::io::AsyncWriteExt;
                let mut file = tokio::fs::File::create(&p).await.unwrap();
                started_tx.send(()).unwrap();
                tokio::time::sleep(UNIT).await; // a second cancel lands here
                file.write_all(b"flushed before exit\n").await.unwrap();
                file.flush().await.unwrap();
                file.sync_all().await.unwrap();
                Err(cancelled.into())
            });
            until(|| task.state() == TaskState::Running).await;
            task.cancel();
            started_rx.await.unwrap();
            assert!(task.cancel(), "a second request is accepted");
            assert!(task.await.unwrap_err().is_cancelled());
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                "flushed before exit\n",
                "the cleanup ran to its end"
            );
            let _ = std::fs::remove_dir_all(&dir);
        })
        .await;
    }
}

both! {
    async fn abort_still_cuts_a_cleanup_short() {
        bounded(async {
            let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
            let task = taskio::spawn(async move {
                let Err(cancelled) = taskio::sleep(units(UNIT, 100.0)).await else {
                    return taskio::Ok(());
                };
                started_tx.send(()).unwrap();
                tokio::time::sleep(units(UNIT, 100.0)).await;
                Err(cancelled.into())
            });
            until(|| task.state() == TaskState::Running).await;
            task.cancel();
            started_rx.await.unwrap();
            let start = Instant::now();
            task.abort();
            assert!(task.await.unwrap_err().is_cancelled());
            assert_ended_at(PAUSED, start, Duration::ZERO);
        })
        .await;
    }
}

both! {
    async fn an_uncancelled_task_is_dropped_by_a_later_request_again() {
        bounded(async {
            let task = taskio::spawn(async {
                if taskio::sleep(units(UNIT, 100.0)).await.is_err() {
                    taskio::current().unwrap().uncancel(); // back to normal work
                }
                tokio::time::sleep(units(UNIT, 100.0)).await;
                taskio::Ok(())
            });
            until(|| task.state() == TaskState::Running).await;
            task.cancel();
            taskio::sleep(UNIT).await.unwrap();
            assert!(!task.is_done());
            let start = Instant::now();
            task.cancel();
            assert!(task.await.unwrap_err().is_cancelled());
            assert_ended_at(PAUSED, start, Duration::ZERO);
        })
        .await;
    }
}

both! {
    async fn a_cancel_from_outside_is_never_turned_into_a_timeout_when_dropped() {
        bounded(async {
            let task = taskio::spawn(async {
                taskio::timeout(units(UNIT, 100.0), async {
                    tokio::time::sleep(units(UNIT, 200.0)).await;
                    taskio::Ok(())
                })
                .await
            });
            until(|| task.state() == TaskState::Running).await;
            taskio::sleep(UNIT).await.unwrap();
            task.cancel();
            let e = task.await.unwrap_err();
            assert!(e.is_cancelled() && !e.is_timed_out(), "{e:?}");
        })
        .await;
    }
}

both! {
    async fn the_enclosing_code_of_a_dropped_timeout_gets_err_cancelled_and_cleans_up() {
        bounded(async {
            let task = taskio::spawn(async {
                let r = taskio::timeout(units(UNIT, 100.0), async {
                    tokio::time::sleep(units(UNIT, 200.0)).await;
                    taskio::Ok(())
                })
                .await;
                let e = r.unwrap_err();
                assert!(e.is_cancelled());
                // the request was delivered at the timeout: async cleanup here runs
                taskio::sleep(units(UNIT, 0.5)).await.unwrap();
                taskio::Ok("cleaned")
            });
            until(|| task.state() == TaskState::Running).await;
            taskio::sleep(UNIT).await.unwrap();
            let start = Instant::now();
            task.cancel();
            assert_eq!(task.await.unwrap(), "cleaned");
            assert_ended_at(PAUSED, start, units(UNIT, 0.5));
        })
        .await;
    }
}

#[test]
fn run_returns_promptly_with_a_leftover_in_tcp_accept() {
    let start = std::time::Instant::now();
    let out = taskio::run(async {
        let listener = idle_listener().await;
        let _leftover = taskio::task().name("acceptor").spawn(async move {
            let _ = listener.accept().await;
            taskio::Ok(())
        });
        taskio::sleep(Duration::from_millis(20)).await?;
        taskio::Ok(7)
    });
    assert_eq!(out.unwrap(), 7);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "run waited for the leftover: {:?}",
        start.elapsed()
    );
}

#[test]
fn run_on_the_multi_thread_runtime_returns_promptly_with_a_leftover_in_accept() {
    let start = std::time::Instant::now();
    let out = taskio::Runner::new().worker_threads(2).run(async {
        let listener = idle_listener().await;
        let _leftover = taskio::spawn(async move {
            let _ = listener.accept().await;
            taskio::Ok(())
        });
        taskio::sleep(Duration::from_millis(20)).await?;
        taskio::Ok(7)
    });
    assert_eq!(out.unwrap(), 7);
    assert!(start.elapsed() < Duration::from_secs(5));
}

// Current-thread only: a thread-local subscriber sees only its own thread's events.
#[tokio::test(start_paused = true)]
async fn a_drop_delivery_is_reported_at_debug_level_with_the_task_name() {
    const UNIT: Duration = Duration::from_secs(1);
    {
        use std::sync::Mutex;
        use tracing_subscriber::layer::SubscriberExt;

        #[derive(Clone, Default)]
        struct Capture(Arc<Mutex<Vec<String>>>);
        impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Capture {
            fn on_event(
                &self,
                event: &tracing::Event<'_>,
                _: tracing_subscriber::layer::Context<'_, S>,
            ) {
                struct V(String);
                impl tracing::field::Visit for V {
                    fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                        self.0.push_str(&format!("{}={v:?} ", f.name()));
                    }
                }
                let mut v = V(format!("{} ", event.metadata().level()));
                event.record(&mut v);
                self.0.lock().unwrap().push(v.0);
            }
        }
        let capture = Capture::default();
        let subscriber = tracing_subscriber::registry().with(capture.clone());
        let _guard = tracing::subscriber::set_default(subscriber);
        bounded(async {
            let listener = idle_listener().await;
            let task = taskio::task().name("acceptor-7").spawn(async move {
                let _ = listener.accept().await;
                taskio::Ok(())
            });
            until(|| task.state() == TaskState::Running).await;
            taskio::sleep(UNIT).await.unwrap();
            task.cancel();
            assert!(task.await.unwrap_err().is_cancelled());
        })
        .await;
        let events = capture.0.lock().unwrap();
        let drops: Vec<_> = events
            .iter()
            .filter(|e| e.contains("acceptor-7") && e.contains("no async cleanup"))
            .collect();
        assert_eq!(drops.len(), 1, "{events:#?}");
        assert!(drops[0].starts_with("DEBUG"), "{}", drops[0]);
        assert!(
            drops[0].contains("cancel_arrives.rs"),
            "spawn site: {}",
            drops[0]
        );
    }
}

both! {
    async fn a_second_request_reaches_the_points_of_a_stopping_gather_of_many_inputs() {
        // A queued gather (over 30 inputs) that a failure is stopping: its inputs clean up in
        // taskio sleeps. A cancel of the awaiting task then reaches those cleanups at once.
        bounded(async {
            let task = taskio::spawn(async move {
                let inputs = (0..40u64).map(|i| async move {
                    if i == 0 {
                        taskio::sleep(UNIT).await?;
                        return Err(taskio::Error::msg("first failure"));
                    }
                    if let Err(c) = taskio::sleep(units(UNIT, 100.0)).await {
                        taskio::sleep(units(UNIT, 50.0)).await?; // cleanup, a point
                        return Err(c.into());
                    }
                    taskio::Ok(i)
                });
                taskio::gather(inputs.collect::<Vec<_>>()).await
            });
            until(|| task.state() == TaskState::Running).await;
            taskio::sleep(units(UNIT, 2.0)).await.unwrap();
            let start = Instant::now();
            task.cancel();
            let e = task.await.unwrap_err();
            assert!(e.is_cancelled(), "{e:?}");
            assert_ended_at(PAUSED, start, Duration::ZERO);
        })
        .await;
    }
}

/// Three tasks that wait in a tokio timer (not a cancellation point) for 100 units, and their
/// handles for looking at them after their `Task`s have moved away.
fn sleepers(unit: Duration) -> (Vec<taskio::Task<()>>, Vec<taskio::TaskHandle>) {
    let tasks: Vec<_> = (0..3)
        .map(|_| {
            taskio::spawn(async move {
                tokio::time::sleep(units(unit, 100.0)).await;
                taskio::Ok(())
            })
        })
        .collect();
    let handles = tasks.iter().map(|t| t.handle()).collect();
    (tasks, handles)
}

/// Waits until every task of `handles` is done, and asserts that each ended cancelled.
async fn all_cancelled(handles: &[taskio::TaskHandle]) {
    until(|| handles.iter().all(|h| h.is_done())).await;
    for h in handles {
        assert_eq!(h.state(), TaskState::Cancelled, "{h:?}");
    }
}

both! {
    async fn a_futures_unordered_of_task_handles_cancels_every_awaited_task() {
        // The request wakes every handle; one takes it, and the others see their awaiter
        // handling it: each passes it on. Code that propagates the outcome ends at once, and
        // no task it was waiting for is left running.
        bounded(async {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let outer = taskio::spawn(async move {
                let (children, handles) = sleepers(UNIT);
                tx.send(handles).unwrap();
                let mut all: FuturesUnordered<_> = children.into_iter().collect();
                while let Some(r) = all.next().await {
                    r?;
                }
                taskio::Ok(())
            });
            let handles = rx.await.unwrap();
            taskio::sleep(UNIT).await.unwrap();
            let start = Instant::now();
            outer.cancel();
            assert!(outer.await.unwrap_err().is_cancelled());
            all_cancelled(&handles).await;
            assert_ended_at(PAUSED, start, Duration::ZERO);
        })
        .await;
    }
}

both! {
    async fn code_that_collects_every_outcome_gets_each_awaited_task_cancelled() {
        bounded(async {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let outer = taskio::spawn(async move {
                let (children, handles) = sleepers(UNIT);
                tx.send(handles).unwrap();
                let all: FuturesUnordered<_> = children.into_iter().collect();
                let outcomes: Vec<_> = all.collect().await;
                taskio::Ok(outcomes)
            });
            let handles = rx.await.unwrap();
            taskio::sleep(UNIT).await.unwrap();
            let start = Instant::now();
            outer.cancel();
            let outcomes = outer.await.unwrap();
            assert_eq!(outcomes.len(), 3);
            assert!(outcomes.iter().all(|r| r.as_ref().unwrap_err().is_cancelled()));
            all_cancelled(&handles).await;
            assert_ended_at(PAUSED, start, Duration::ZERO);
        })
        .await;
    }
}

both! {
    async fn a_select_over_two_handles_and_a_point_cancels_both_tasks() {
        // Whichever branch takes the request (select! polls them in random order), the code
        // returns at once, and both tasks it waited for are cancelled: a handle that is polled
        // after the request passes it on, one that is dropped unpolled passes it on as it goes.
        for _ in 0..8 {
            bounded(async {
                let (tx, rx) = tokio::sync::oneshot::channel();
                let outer = taskio::spawn(async move {
                    let (mut children, handles) = sleepers(UNIT);
                    tx.send(handles).unwrap();
                    let (mut a, mut b) = (children.remove(0), children.remove(0));
                    tokio::select! {
                        r = &mut a => r?,
                        r = &mut b => r?,
                        r = taskio::sleep(units(UNIT, 100.0)) => r?,
                    }
                    taskio::Ok(())
                });
                let handles = rx.await.unwrap();
                taskio::sleep(UNIT).await.unwrap();
                let start = Instant::now();
                outer.cancel();
                assert!(outer.await.unwrap_err().is_cancelled());
                all_cancelled(&handles[..2]).await;
                assert_ended_at(PAUSED, start, Duration::ZERO);
                handles[2].cancel();
            })
            .await;
        }
    }
}

both! {
    async fn a_timeout_around_futures_unordered_of_handles_cancels_every_task() {
        bounded(async {
            let (children, handles) = sleepers(UNIT);
            let start = Instant::now();
            let out = taskio::timeout(UNIT, async move {
                let mut all: FuturesUnordered<_> = children.into_iter().collect();
                while let Some(r) = all.next().await {
                    r?;
                }
                taskio::Ok(())
            })
            .await;
            assert!(out.unwrap_err().is_timed_out());
            all_cancelled(&handles).await;
            assert_ended_at(PAUSED, start, UNIT);
        })
        .await;
    }
}

both! {
    async fn a_task_first_awaited_in_the_cleanup_is_not_cancelled() {
        // Only the tasks the code waited for when the cancel came are cancelled: the cleanup
        // may start tasks, wait for them beside a timer, let one go, and they all run on.
        bounded(async {
            let outer = taskio::spawn(async move {
                let Err(cancelled) = taskio::sleep(units(UNIT, 100.0)).await else {
                    unreachable!("the sleep is cancelled");
                };
                let work = || {
                    taskio::spawn(async move {
                        tokio::time::sleep(units(UNIT, 2.0)).await;
                        taskio::Ok(7)
                    })
                };
                let mut all: FuturesUnordered<_> = [work(), work()].into_iter().collect();
                let mut sum = 0;
                while let Some(r) = all.next().await {
                    sum += r?;
                }
                let mut let_go = work();
                let left = let_go.handle();
                tokio::select! {
                    _ = &mut let_go => unreachable!("it takes 2 units"),
                    _ = tokio::time::sleep(UNIT) => {}
                }
                drop(let_go);
                Ok::<_, taskio::Error>((sum, left, cancelled))
            });
            taskio::sleep(UNIT).await.unwrap();
            outer.cancel();
            let (sum, left, _) = outer.await.unwrap();
            assert_eq!(sum, 14);
            taskio::sleep(units(UNIT, 2.0)).await.unwrap();
            assert_eq!(left.state(), TaskState::Finished);
        })
        .await;
    }
}

both! {
    async fn a_handle_kept_after_a_select_another_branch_won_is_detached_not_cancelled() {
        // The code stopped waiting for the task long before the cancel (a `select!` that its
        // timer won), kept the handle, and lets it go as it is cancelled later: the task was
        // not being awaited, so it is detached, as any dropped handle's task is. Whether the
        // code then waits in a taskio point or in a tokio timer (dropped by the task's frame),
        // and also when the cleanup awaits the task anew (a new await, not cancelled).
        for (wait, cleanup_awaits) in [(WaitIn::Taskio, false), (WaitIn::Tokio, false), (WaitIn::Taskio, true)] {
            bounded(async {
                let (tx, rx) = tokio::sync::oneshot::channel();
                let outer = taskio::spawn(async move {
                    let mut background = taskio::spawn(async move {
                        tokio::time::sleep(units(UNIT, 5.0)).await;
                        taskio::Ok(1)
                    });
                    tx.send(background.handle()).unwrap();
                    tokio::select! {
                        _ = &mut background => unreachable!("it takes 5 units"),
                        () = tokio::time::sleep(units(UNIT, 0.5)) => {}
                    }
                    taskio::sleep(units(UNIT, 0.5)).await?; // a poll between: no longer awaited
                    let waited = wait_in(wait, 100_000).await;
                    if cleanup_awaits {
                        assert!(waited.is_err());
                        return Ok(background.await? + 10);
                    }
                    waited?;
                    taskio::Ok(0)
                });
                let background = rx.await.unwrap();
                taskio::sleep(units(UNIT, 2.0)).await.unwrap();
                outer.cancel();
                let outcome = outer.await;
                if cleanup_awaits {
                    assert_eq!(outcome.unwrap(), 11);
                } else {
                    assert!(outcome.unwrap_err().is_cancelled());
                    assert_eq!(background.state(), TaskState::Running);
                    taskio::sleep(units(UNIT, 4.0)).await.unwrap();
                }
                assert_eq!(background.state(), TaskState::Finished);
            })
            .await;
        }
    }
}

both! {
    async fn a_shielded_task_is_not_cancelled_when_its_awaiter_is() {
        bounded(async {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let outer = taskio::spawn(async move {
                let (mut children, handles) = sleepers(UNIT);
                tx.send(handles).unwrap();
                let mut kept = children.remove(0);
                tokio::select! {
                    r = taskio::shield(&mut kept) => r?,
                    r = taskio::sleep(units(UNIT, 100.0)) => r?,
                }
                taskio::Ok(())
            });
            let handles = rx.await.unwrap();
            taskio::sleep(UNIT).await.unwrap();
            outer.cancel();
            assert!(outer.await.unwrap_err().is_cancelled());
            taskio::sleep(units(UNIT, 1.0)).await.unwrap();
            assert_eq!(handles[0].state(), TaskState::Running);
            for h in &handles {
                h.cancel();
            }
        })
        .await;
    }
}
