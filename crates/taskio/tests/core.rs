//! The semantics of DESIGN.md's "Task" and "Cancellation" sections, each pinned by a test.
//!
//! Tests that do not depend on time run on both the current-thread runtime (paused clock) and
//! the 2-worker multi-thread runtime (`both!`). Tests whose point is timing run on the paused clock
//! only, where time is exact.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use taskio::{CancellableExt, TaskState};
use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

const HOUR: Duration = Duration::from_secs(3600);

mod support;
use support::{both, until};

both! {
    async fn starts_without_being_awaited() {
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let task = taskio::spawn(async move { r.store(true, Ordering::SeqCst) });
        until(|| ran.load(Ordering::SeqCst)).await;
        until(|| task.is_done()).await;
        assert_eq!(task.state(), TaskState::Finished);
    }
}

both! {
    async fn ids_are_unique_and_default_names_use_them() {
        let tasks: Vec<_> = (0..100).map(|_| taskio::spawn(async {})).collect();
        let mut ids: Vec<_> = tasks.iter().map(|t| t.id()).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), 100);
        for t in &tasks {
            assert_eq!(t.name(), format!("Task-{}", t.id()));
        }
        let named = taskio::task().name("fetch-1").spawn(async {});
        assert_eq!(named.name(), "fetch-1");
        for t in tasks {
            t.await.unwrap();
        }
    }
}

both! {
    async fn states_pending_running_finished() {
        let gate = Arc::new(Notify::new());
        let g = gate.clone();
        let task = taskio::spawn(async move {
            g.notified().await;
            taskio::Ok(7)
        });
        assert_eq!(task.state(), TaskState::Pending);
        until(|| task.state() == TaskState::Running).await;
        assert!(!task.is_done());
        gate.notify_one();
        assert_eq!(task.await.unwrap(), 7);
    }
}

both! {
    async fn a_failed_task_is_finished_with_its_error() {
        let mut task = taskio::task()
            .name("bad")
            .spawn(async { Err::<(), _>(std::io::Error::other("boom")) });
        until(|| task.is_done()).await;
        assert_eq!(task.state(), TaskState::Finished);
        let err = task.try_result().unwrap().unwrap_err();
        assert!(err.downcast_ref::<std::io::Error>().is_some());
        assert_eq!(err.to_string(), "task 'bad' failed: boom");
        assert!(task.try_result().is_none(), "the result is taken once");
    }
}

both! {
    async fn a_panic_becomes_the_outcome_and_the_runtime_lives_on() {
        let task = taskio::task().name("oops").spawn(async {
            if true {
                panic!("kaboom");
            }
        });
        until(|| task.is_done()).await;
        assert_eq!(task.state(), TaskState::Panicked);
        let err = task.await.unwrap_err();
        assert!(err.is_panic());
        assert_eq!(err.panic_message(), Some("kaboom"));
        assert_eq!(err.to_string(), "task 'oops' panicked: kaboom");
        // The runtime still runs tasks.
        assert_eq!(taskio::spawn(async { taskio::Ok(1) }).await.unwrap(), 1);
    }
}

both! {
    async fn dropping_the_handle_detaches_and_the_task_runs_on() {
        let (tx, rx) = oneshot::channel();
        drop(taskio::spawn(async move {
            taskio::sleep(Duration::from_millis(5)).await?;
            tx.send(42).ok();
            taskio::Ok(())
        }));
        assert_eq!(rx.await.unwrap(), 42);
    }
}

both! {
    async fn cancel_wakes_a_sleeping_task_and_it_ends_cancelled() {
        let task = taskio::spawn(async {
            taskio::sleep(HOUR).await?;
            taskio::Ok(())
        });
        until(|| task.state() == TaskState::Running).await;
        assert!(task.cancel());
        let err = task.await.unwrap_err();
        assert!(err.is_cancelled());
    }
}

both! {
    async fn caught_cancel_with_async_cleanup_then_a_value() {
        let task = taskio::spawn(async {
            match taskio::sleep(HOUR).await {
                Ok(()) => taskio::Ok("slept"),
                Err(_cancelled) => {
                    // Async cleanup after catching: the request was delivered once, so this
                    // sleep is not interrupted.
                    taskio::sleep(Duration::from_millis(10)).await?;
                    Ok("cleaned up")
                }
            }
        });
        until(|| task.state() == TaskState::Running).await;
        task.cancel();
        assert_eq!(task.await.unwrap(), "cleaned up");
    }
}

both! {
    async fn caught_cleaned_up_and_propagated_ends_cancelled() {
        let cleaned = Arc::new(AtomicBool::new(false));
        let c = cleaned.clone();
        let task = taskio::spawn(async move {
            if let Err(cancelled) = taskio::sleep(HOUR).await {
                taskio::sleep(Duration::from_millis(10)).await?;
                c.store(true, Ordering::SeqCst);
                return Err(cancelled.into());
            }
            taskio::Ok(())
        });
        until(|| task.state() == TaskState::Running).await;
        task.cancel();
        let err = task.await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(cleaned.load(Ordering::SeqCst), "cleanup ran before the task ended");
    }
}

both! {
    async fn the_cancel_message_reaches_the_awaiter() {
        let task = taskio::task().name("worker").spawn(async {
            taskio::sleep(HOUR).await?;
            taskio::Ok(())
        });
        until(|| task.state() == TaskState::Running).await;
        task.cancel_with("shutting down");
        let err = task.await.unwrap_err();
        assert_eq!(err.as_cancelled().unwrap().message(), Some("shutting down"));
        assert_eq!(err.to_string(), "task 'worker' was cancelled: shutting down");
    }
}

both! {
    async fn cancelling_counts_requests_and_uncancel_takes_one_back() {
        // Requests pile up while the code runs without suspending (a wait in a tokio future
        // would now be dropped at the first request: see tests/cancel_arrives.rs).
        let (tx, rx) = oneshot::channel();
        let task = taskio::spawn(async move {
            taskio::checkpoint().await?;
            let me = taskio::current().unwrap();
            me.cancel();
            me.cancel();
            let seen = me.cancelling();
            let left = me.uncancel();
            tx.send((seen, left)).ok();
            // One request is left: the next cancellation point delivers it.
            taskio::checkpoint().await?;
            taskio::Ok(())
        });
        assert_eq!(rx.await.unwrap(), (2, 1));
        until(|| task.is_done()).await;
        assert_eq!(task.cancelling(), 1);
        assert!(task.await.unwrap_err().is_cancelled());
    }
}

both! {
    async fn uncancel_to_zero_withdraws_an_undelivered_request() {
        let task = taskio::spawn(async {
            let me = taskio::current().unwrap();
            me.cancel();
            assert_eq!(me.uncancel(), 0);
            taskio::checkpoint().await?;
            taskio::Ok("not cancelled")
        });
        assert_eq!(task.await.unwrap(), "not cancelled");
    }
}

/// Current-thread only: on the multi-thread runtime another worker may start the task before
/// the test's next line runs, so "before the first poll" cannot be arranged there.
#[tokio::test(start_paused = true)]
async fn cancel_before_the_first_poll_never_runs_the_body() {
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let task = taskio::spawn(async move { r.store(true, Ordering::SeqCst) });
    task.cancel();
    assert!(task.await.unwrap_err().is_cancelled());
    assert!(!ran.load(Ordering::SeqCst));
}

/// `taskio fetch`'s pool, reduced (issue 16): two in flight, refilled from a queue; a failure
/// cancels what is in flight, including a task refilled a moment ago and not yet polled. Such a
/// task never runs its body, so it can never report from inside; its handle still ends it
/// (cancelled), for an awaiter in a `FuturesUnordered` and for `wait`. Current-thread only, where
/// "refilled and cancelled before its first poll" is what happens on every failure.
#[tokio::test(start_paused = true)]
async fn a_refilled_task_cancelled_before_its_first_poll_still_ends_for_its_awaiter() {
    use futures_util::StreamExt;
    let bodies = Arc::new(AtomicUsize::new(0));
    let spawn = |fails: bool| {
        let bodies = bodies.clone();
        taskio::spawn(async move {
            bodies.fetch_add(1, Ordering::SeqCst);
            if fails {
                Err(taskio::Error::msg("HTTP 500"))
            } else {
                taskio::Ok(())
            }
        })
    };
    let mut pool = futures_util::stream::FuturesUnordered::new();
    pool.push(spawn(false));
    pool.push(spawn(true));
    let mut ended = 0;
    let mut cancelled = 0;
    let mut refilled = false;
    while let Some(outcome) = tokio::time::timeout(HOUR, pool.next())
        .await
        .expect("the pool hangs")
    {
        ended += 1;
        match outcome {
            Ok(()) if !refilled => {
                refilled = true;
                pool.push(spawn(false));
            }
            Ok(()) => {}
            Err(e) if e.is_cancelled() => cancelled += 1,
            Err(_) => pool.iter().for_each(|t| {
                t.cancel();
            }),
        }
    }
    assert_eq!((ended, cancelled), (3, 1));
    assert_eq!(
        bodies.load(Ordering::SeqCst),
        2,
        "the refilled task's body never ran"
    );

    let pending = spawn(false);
    pending.cancel();
    let (done, rest) = taskio::wait(vec![pending]).first_completed().await.unwrap();
    assert!(rest.is_empty() && done[0].is_cancelled());
}

both! {
    async fn a_body_returning_cancelled_ends_cancelled_and_one_that_suppresses_ends_with_its_value() {
        let returns_cancelled =
            taskio::spawn(async { Err::<(), _>(taskio::Cancelled::new(Some("by itself"))) });
        let suppresses = taskio::spawn(async {
            let caught = taskio::sleep(HOUR).await.is_err();
            taskio::Ok(caught)
        });
        until(|| suppresses.state() == TaskState::Running).await;
        suppresses.cancel();
        let err = returns_cancelled.await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(suppresses.await.unwrap(), "the value of a task that suppressed the cancel stands");
    }
}

both! {
    async fn a_cancel_after_the_last_cancellation_point_still_cancels_like_asyncio() {
        // CPython's test_cancel_at_end: a task that cancels itself and then returns is cancelled.
        let task = taskio::spawn(async {
            taskio::current().unwrap().cancel();
            taskio::Ok(12)
        });
        assert!(task.await.unwrap_err().is_cancelled());
    }
}

both! {
    async fn awaiting_a_task_from_a_cancelled_task_cancels_the_awaited_one() {
        let inner_cancelled = Arc::new(AtomicBool::new(false));
        let flag = inner_cancelled.clone();
        let outer = taskio::spawn(async move {
            let inner = taskio::task().name("inner").spawn(async move {
                if let Err(c) = taskio::sleep(HOUR).await {
                    flag.store(true, Ordering::SeqCst);
                    return Err(c.into());
                }
                taskio::Ok(())
            });
            inner.await
        });
        until(|| outer.state() == TaskState::Running).await;
        taskio::sleep(Duration::from_millis(1)).await.unwrap();
        outer.cancel_with("stop all");
        let err = outer.await.unwrap_err();
        assert!(err.is_cancelled());
        assert_eq!(err.as_cancelled().unwrap().message(), Some("stop all"));
        assert!(inner_cancelled.load(Ordering::SeqCst));
    }
}

both! {
    async fn a_cpu_loop_is_not_interrupted_until_it_calls_checkpoint() {
        // CPU-bound code that never suspends is not interrupted (the seeds' pitfall): the
        // request made in the middle of the loop waits for the next cancellation point.
        let task = taskio::spawn(async move {
            taskio::checkpoint().await?;
            let mut iterations = 0u64;
            for i in 0..10_000u64 {
                if i == 10 {
                    taskio::current().unwrap().cancel();
                }
                iterations += std::hint::black_box(1);
            }
            assert_eq!(iterations, 10_000, "the loop ran to its end");
            taskio::checkpoint().await?;
            taskio::Ok(iterations)
        });
        assert!(task.await.unwrap_err().is_cancelled(), "checkpoint() delivers the cancel");
    }
}

both! {
    async fn cancellable_makes_a_oneshot_receiver_a_cancellation_point() {
        let (tx, rx) = oneshot::channel::<u32>();
        let task = taskio::spawn(async move {
            let v = rx.cancellable().await??;
            taskio::Ok(v)
        });
        until(|| task.state() == TaskState::Running).await;
        task.cancel();
        assert!(task.await.unwrap_err().is_cancelled());
        assert!(tx.is_closed(), "the receiver was dropped with the cancelled task");

        let (tx, rx) = oneshot::channel::<u32>();
        let task = taskio::spawn(async move { taskio::Ok(rx.cancellable().await??) });
        tx.send(9).unwrap();
        assert_eq!(task.await.unwrap(), 9);
    }
}

both! {
    async fn abort_drops_the_future_at_once_without_async_cleanup() {
        struct Guard(Arc<AtomicBool>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicBool::new(false));
        let cleanup_ran = Arc::new(AtomicBool::new(false));
        let (d, c) = (dropped.clone(), cleanup_ran.clone());
        let task = taskio::spawn(async move {
            let _guard = Guard(d);
            if taskio::sleep(HOUR).await.is_err() {
                c.store(true, Ordering::SeqCst);
            }
            taskio::Ok(())
        });
        until(|| task.state() == TaskState::Running).await;
        task.abort();
        let err = task.await.unwrap_err();
        assert!(err.is_cancelled());
        assert!(dropped.load(Ordering::SeqCst));
        assert!(!cleanup_ran.load(Ordering::SeqCst));
    }
}

both! {
    async fn current_names_the_running_task_and_its_parent() {
        assert!(taskio::current().is_none(), "a test body is not a taskio task");
        let parent = taskio::task().name("parent").spawn(async {
            let me = taskio::current().unwrap();
            let child = taskio::task().name("child").spawn(async {
                let me = taskio::current().unwrap();
                taskio::Ok((me.name().into_owned(), me.parent()))
            });
            let (name, parent) = child.await?;
            taskio::Ok((me.id(), name, parent))
        });
        let (parent_id, child_name, childs_parent) = parent.await.unwrap();
        assert_eq!(child_name, "child");
        assert_eq!(childs_parent, Some(parent_id));
    }
}

both! {
    async fn all_tasks_lists_live_tasks_with_their_parents() {
        let gate = Arc::new(Notify::new());
        let g = gate.clone();
        let parent = taskio::task().name("lister-parent").spawn(async move {
            let child = taskio::task().name("lister-child").spawn(async move {
                g.notified().await;
            });
            child.await
        });
        // Tests run in parallel in one process: find this test's tasks by their parent link.
        let pid = parent.id();
        until(|| taskio::all_tasks().iter().any(|t| t.parent == Some(pid))).await;
        let all = taskio::all_tasks();
        let p = all.iter().find(|t| t.id == pid).unwrap();
        let c = all.iter().find(|t| t.parent == Some(pid)).unwrap();
        assert_eq!((p.name.as_ref(), c.name.as_ref()), ("lister-parent", "lister-child"));
        let cid = c.id;
        gate.notify_one();
        parent.await.unwrap();
        assert!(!taskio::all_tasks().iter().any(|t| t.id == pid || t.id == cid));
    }
}

both! {
    async fn eager_tasks_run_until_their_first_suspension_before_spawn_returns() {
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let done = taskio::task().eager().spawn(async move {
            r.store(true, Ordering::SeqCst);
            taskio::Ok(5)
        });
        assert!(ran.load(Ordering::SeqCst));
        assert!(done.is_done());
        assert_eq!(done.await.unwrap(), 5);

        let suspended = taskio::task().eager().spawn(async {
            taskio::sleep(Duration::from_millis(5)).await?;
            taskio::Ok("woke")
        });
        assert_eq!(suspended.state(), TaskState::Running);
        assert_eq!(suspended.await.unwrap(), "woke");
    }
}

both! {
    async fn an_eager_task_cancelled_while_suspended_is_cancelled() {
        let task = taskio::task().eager().spawn(async {
            taskio::sleep(HOUR).await?;
            taskio::Ok(())
        });
        task.cancel();
        assert!(task.await.unwrap_err().is_cancelled());
    }
}

#[test]
fn spawn_outside_a_runtime_says_how_to_fix_it() {
    let err = taskio::try_spawn(async {}).unwrap_err().to_string();
    assert!(err.contains("no tokio runtime"), "{err}");
    assert!(err.contains("taskio::run"), "{err}");
    let panic = std::panic::catch_unwind(|| drop(taskio::spawn(async {}))).unwrap_err();
    let msg = panic.downcast_ref::<String>().unwrap();
    assert!(msg.contains("no tokio runtime"), "{msg}");
}

#[test]
fn run_cancels_leftover_tasks_and_waits_for_their_cleanup() {
    let cleaned = Arc::new(AtomicBool::new(false));
    let c = cleaned.clone();
    let out = taskio::run(async move {
        drop(taskio::spawn(async move {
            if let Err(cancelled) = taskio::sleep(HOUR).await {
                taskio::sleep(Duration::from_millis(20)).await?; // async cleanup
                c.store(true, Ordering::SeqCst);
                return Err(cancelled.into());
            }
            taskio::Ok(())
        }));
        taskio::sleep(Duration::from_millis(1)).await?;
        taskio::Ok("main done")
    });
    assert_eq!(out.unwrap(), "main done");
    assert!(
        cleaned.load(Ordering::SeqCst),
        "run returned before the cleanup finished"
    );
}

#[test]
fn run_on_the_multi_thread_runtime_also_waits_for_cleanup() {
    let cleaned = Arc::new(AtomicBool::new(false));
    let c = cleaned.clone();
    taskio::Runner::new()
        .worker_threads(2)
        .run(async move {
            let leftover = taskio::spawn(async move {
                if let Err(cancelled) = taskio::sleep(HOUR).await {
                    taskio::sleep(Duration::from_millis(5)).await?;
                    c.store(true, Ordering::SeqCst);
                    return Err(cancelled.into());
                }
                taskio::Ok(())
            });
            // Let it start: a task cancelled before its first poll has no cleanup to run.
            until(|| leftover.state() == taskio::TaskState::Running).await;
            drop(leftover);
            taskio::Ok(())
        })
        .unwrap();
    assert!(cleaned.load(Ordering::SeqCst));
}

#[test]
fn zero_worker_threads_is_an_error_and_runs_nothing() {
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    let err = taskio::Runner::new()
        .worker_threads(0)
        .run(async move { r.store(true, Ordering::SeqCst) })
        .unwrap_err();
    assert!(err.to_string().contains("worker_threads(0)"), "{err}");
    assert!(
        !ran.load(Ordering::SeqCst),
        "main ran although the runner was refused"
    );
}

#[tokio::test(start_paused = true)]
async fn seed_003_cancellable_work_timing_on_the_paused_clock() {
    let start = Instant::now();
    let log = Arc::new(std::sync::Mutex::new(Vec::new()));
    let l = log.clone();
    let task = taskio::spawn(async move {
        let say = |s: &str| l.lock().unwrap().push(s.to_owned());
        say("Task started. Now sleeping for 10 seconds.");
        let outcome = taskio::sleep(Duration::from_secs(10)).await;
        if outcome.is_err() {
            say("Task received cancellation signal! Cleaning up...");
        } else {
            say("Task finished successfully.");
        }
        say("This 'finally' block always runs, making it great for cleanup.");
        outcome?;
        taskio::Ok(())
    });
    taskio::sleep(Duration::from_secs(1)).await.unwrap();
    log.lock()
        .unwrap()
        .push("Main: Requesting task cancellation.".into());
    task.cancel();
    if task.await.unwrap_err().is_cancelled() {
        log.lock()
            .unwrap()
            .push("Main: Confirmed that the task was cancelled.".into());
    }
    assert_eq!(start.elapsed(), Duration::from_secs(1));
    assert_eq!(
        *log.lock().unwrap(),
        [
            "Task started. Now sleeping for 10 seconds.",
            "Main: Requesting task cancellation.",
            "Task received cancellation signal! Cleaning up...",
            "This 'finally' block always runs, making it great for cleanup.",
            "Main: Confirmed that the task was cancelled.",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn sleeping_tasks_overlap_exactly_on_the_paused_clock() {
    let start = Instant::now();
    let a = taskio::spawn(async {
        taskio::sleep(Duration::from_secs(1)).await?;
        taskio::Ok(10)
    });
    let b = taskio::spawn(async {
        taskio::sleep(Duration::from_secs(2)).await?;
        taskio::Ok(20)
    });
    assert_eq!((a.await.unwrap(), b.await.unwrap()), (10, 20));
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn sleep_zero_yields_once_like_asyncio_sleep_0() {
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let o = order.clone();
    let me = taskio::spawn(async move {
        o.lock().unwrap().push("before");
        taskio::sleep(Duration::ZERO).await?;
        o.lock().unwrap().push("after");
        taskio::Ok(())
    });
    let o = order.clone();
    let other = taskio::spawn(async move { o.lock().unwrap().push("other") });
    me.await.unwrap();
    other.await.unwrap();
    assert_eq!(*order.lock().unwrap(), ["before", "other", "after"]);
}

#[test]
fn run_leaves_the_tasks_of_other_runtimes_alone() {
    let elsewhere = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let outsider = {
        let _entered = elsewhere.enter();
        taskio::task().name("outsider").spawn(async {
            taskio::sleep(HOUR).await?;
            taskio::Ok(())
        })
    };
    taskio::run(async {}).unwrap();
    assert!(
        !outsider.is_done(),
        "run must not cancel a task it does not own"
    );
    outsider.cancel();
    assert!(elsewhere.block_on(outsider).unwrap_err().is_cancelled());
}

/// A task spawned under `run` outside any taskio task (in `spawn_blocking`, or in a plain
/// `tokio::spawn`) had no parent, so `run`'s shutdown never cancelled it: the runtime's drop
/// dropped it and its cleanup never ran. Decided: such a task belongs to the run (asyncio's `run`
/// cancels every task of its loop); it keeps no parent (a root in `tree()`).
fn run_adopts_tasks_spawned_outside_any_task(runner: taskio::Runner) {
    let cleaned = Arc::new(AtomicUsize::new(0));
    let (c1, c2) = (cleaned.clone(), cleaned.clone());
    let long = |cleaned: Arc<AtomicUsize>| async move {
        let r = taskio::sleep(HOUR).await;
        taskio::sleep(Duration::from_millis(1)).await.ok(); // async cleanup
        cleaned.fetch_add(1, Ordering::SeqCst);
        r
    };
    let out = runner.run(async move {
        let from_blocking = tokio::task::spawn_blocking(move || {
            taskio::task().name("from-blocking").spawn(long(c1)).id()
        })
        .await
        .unwrap();
        let from_tokio =
            tokio::spawn(async move { taskio::task().name("from-tokio").spawn(long(c2)).id() })
                .await
                .unwrap();
        until(|| {
            let listed = taskio::all_tasks();
            [from_blocking, from_tokio].iter().all(|id| {
                listed
                    .iter()
                    .any(|t| t.id == *id && t.state == TaskState::Running && t.parent.is_none())
            })
        })
        .await;
        taskio::Ok("main's value")
    });
    assert_eq!(out.unwrap(), "main's value");
    assert_eq!(
        cleaned.load(Ordering::SeqCst),
        2,
        "both were cancelled and cleaned up"
    );
}

#[test]
fn run_cancels_tasks_spawned_in_spawn_blocking_or_plain_tokio_tasks() {
    run_adopts_tasks_spawned_outside_any_task(taskio::Runner::new());
}

#[test]
fn run_on_the_multi_thread_runtime_cancels_tasks_spawned_in_spawn_blocking() {
    run_adopts_tasks_spawned_outside_any_task(taskio::Runner::new().worker_threads(2));
}

/// A task spawns onto the runtime it runs on without looking the runtime up, but a spawn under
/// another runtime's `enter()` guard still goes to that runtime, as `tokio::spawn` does.
#[test]
fn a_spawn_inside_a_task_goes_to_the_runtime_whose_context_is_entered() {
    let other = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name("other-runtime")
        .build()
        .unwrap();
    let handle = other.handle().clone();
    let names = taskio::run(async move {
        let here =
            taskio::spawn(async { taskio::Ok(std::thread::current().name().map(str::to_owned)) });
        let there = {
            let _entered = handle.enter();
            taskio::spawn(async { taskio::Ok(std::thread::current().name().map(str::to_owned)) })
        };
        taskio::Ok((here.await?, there.await?))
    })
    .unwrap();
    assert_ne!(names.0.as_deref(), Some("other-runtime"));
    assert_eq!(names.1.as_deref(), Some("other-runtime"));
}
