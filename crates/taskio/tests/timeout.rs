//! timeout, timeout_at, Deadline (reschedule), shield, and eager start: DESIGN.md's "timeout /
//! shield" semantics, each pinned on both runtimes.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use support::{assert_took, both, units, until};
use tokio::time::Instant;

async fn work(unit: Duration, secs: f64, cleaned: Arc<AtomicBool>) -> taskio::Result<&'static str> {
    match taskio::sleep(units(unit, secs)).await {
        Ok(()) => Ok("done"),
        Err(c) => {
            taskio::sleep(units(unit, 0.5)).await?; // cleanup, awaited
            cleaned.store(true, Ordering::SeqCst);
            Err(c.into())
        }
    }
}

both! {
    async fn the_deadline_cancels_the_work_waits_for_cleanup_and_times_out() {
        let cleaned = Arc::new(AtomicBool::new(false));
        let start = Instant::now();
        let err = taskio::timeout(UNIT, work(UNIT, 10.0, cleaned.clone())).await.unwrap_err();
        assert!(err.is_timed_out());
        assert_eq!(err.downcast_ref::<taskio::TimedOut>().unwrap().after(), Some(UNIT));
        assert!(cleaned.load(Ordering::SeqCst));
        assert_took(PAUSED, start, units(UNIT, 1.5));
    }
}

both! {
    async fn work_in_time_gives_its_value_and_the_task_is_not_cancelled() {
        let cleaned = Arc::new(AtomicBool::new(false));
        let v = taskio::timeout(units(UNIT, 2.0), work(UNIT, 1.0, cleaned.clone())).await;
        assert_eq!(v.unwrap(), "done");
        // The task running the timeout was never cancelled: its next cancellation point is fine.
        taskio::checkpoint().await.unwrap();
        let deadline = Instant::now() + UNIT;
        assert_eq!(taskio::timeout_at(deadline, async { taskio::Ok(7) }).await.unwrap(), 7);
    }
}

both! {
    async fn a_suppressed_cancel_keeps_its_value() {
        let start = Instant::now();
        let v = taskio::timeout(UNIT, async move {
            match taskio::sleep(units(UNIT, 10.0)).await {
                Ok(()) => taskio::Ok("slept"),
                Err(_suppressed) => {
                    taskio::sleep(units(UNIT, 0.25)).await?;
                    Ok("partial result")
                }
            }
        })
        .await;
        assert_eq!(v.unwrap(), "partial result");
        assert_took(PAUSED, start, units(UNIT, 1.25));
    }
}

both! {
    async fn nested_only_the_inner_deadline_fires() {
        let start = Instant::now();
        let outer = taskio::timeout(units(UNIT, 5.0), async move {
            let inner = taskio::timeout(UNIT, async move {
                taskio::sleep(units(UNIT, 10.0)).await?;
                taskio::Ok(1)
            })
            .await;
            let e = inner.unwrap_err();
            assert!(e.is_timed_out());
            assert_eq!(e.downcast_ref::<taskio::TimedOut>().unwrap().after(), Some(UNIT));
            // the outer's work goes on after the inner timed out
            taskio::sleep(UNIT).await?;
            taskio::Ok(2)
        })
        .await;
        assert_eq!(outer.unwrap(), 2);
        assert_took(PAUSED, start, units(UNIT, 2.0));
    }
}

both! {
    async fn nested_only_the_outer_deadline_fires() {
        let start = Instant::now();
        let saw_inner = Arc::new(std::sync::Mutex::new(None));
        let s2 = saw_inner.clone();
        let outer = taskio::timeout(UNIT, async move {
            let inner = taskio::timeout(units(UNIT, 5.0), async move {
                taskio::sleep(units(UNIT, 10.0)).await?;
                taskio::Ok(1)
            })
            .await;
            // The inner timeout passes the outer's cancellation through, unchanged.
            let e = inner.unwrap_err();
            *s2.lock().unwrap() = Some((e.is_cancelled(), e.is_timed_out()));
            Err::<u32, _>(e)
        })
        .await;
        let e = outer.unwrap_err();
        assert!(e.is_timed_out());
        assert_eq!(*saw_inner.lock().unwrap(), Some((true, false)));
        assert_took(PAUSED, start, UNIT);
    }
}

both! {
    async fn a_cancel_from_outside_is_never_a_timeout() {
        for deadline_also_passes in [false, true] {
            let cleaned = Arc::new(AtomicBool::new(false));
            let c2 = cleaned.clone();
            let limit = if deadline_also_passes { units(UNIT, 0.2) } else { units(UNIT, 10.0) };
            let task = taskio::spawn(async move {
                taskio::timeout(limit, async move {
                    match taskio::sleep(units(UNIT, 100.0)).await {
                        Ok(()) => taskio::Ok(()),
                        Err(c) => {
                            // a long cleanup, during which the deadline may pass too
                            taskio::sleep(units(UNIT, 0.5)).await?;
                            c2.store(true, Ordering::SeqCst);
                            Err(c.into())
                        }
                    }
                })
                .await
            });
            taskio::sleep(units(UNIT, 0.1)).await.unwrap();
            task.cancel_with("from outside");
            let e = task.await.unwrap_err();
            assert!(e.is_cancelled(), "{e}");
            assert!(!e.is_timed_out());
            assert_eq!(e.as_cancelled().unwrap().message(), Some("from outside"));
            assert!(cleaned.load(Ordering::SeqCst));
        }
    }
}

both! {
    async fn a_deadline_can_be_moved_while_the_work_runs() {
        // Extended from inside the work.
        let start = Instant::now();
        let deadline = taskio::Deadline::after(UNIT);
        let handle = deadline.clone();
        let v = taskio::timeout_at(deadline, async move {
            taskio::sleep(units(UNIT, 0.9)).await?;
            handle.reschedule(Instant::now() + UNIT).unwrap();
            taskio::sleep(units(UNIT, 0.9)).await?;
            taskio::Ok("in time")
        })
        .await;
        assert_eq!(v.unwrap(), "in time");
        assert_took(PAUSED, start, units(UNIT, 1.8));

        // Brought forward from outside while the timeout waits.
        let start = Instant::now();
        let deadline = taskio::Deadline::after(units(UNIT, 10.0));
        let handle = deadline.clone();
        let mover = taskio::spawn(async move {
            taskio::sleep(units(UNIT, 0.5)).await?;
            handle.reschedule(Instant::now() + units(UNIT, 0.5)).unwrap();
            taskio::Ok(())
        });
        let e = taskio::timeout_at(deadline, taskio::sleep(units(UNIT, 100.0))).await.unwrap_err();
        assert!(e.is_timed_out());
        if PAUSED {
            assert_eq!(e.downcast_ref::<taskio::TimedOut>().unwrap().after(), Some(UNIT));
        }
        assert_took(PAUSED, start, UNIT);
        mover.await.unwrap();

        // Cleared: no deadline at all.
        let deadline = taskio::Deadline::after(units(UNIT, 0.5));
        deadline.reschedule(None).unwrap();
        let v = taskio::timeout_at(deadline, async move {
            taskio::sleep(UNIT).await?;
            taskio::Ok(1)
        })
        .await;
        assert_eq!(v.unwrap(), 1);
    }
}

both! {
    async fn shield_leaves_the_inner_task_running() {
        let finished = Arc::new(AtomicBool::new(false));
        let f2 = finished.clone();
        let inner = taskio::task().name("inner").spawn(async move {
            taskio::sleep(UNIT).await?;
            f2.store(true, Ordering::SeqCst);
            taskio::Ok("saved")
        });
        let waiter = taskio::spawn(taskio::shield(inner));
        taskio::sleep(units(UNIT, 0.1)).await.unwrap();
        let start = Instant::now();
        waiter.cancel();
        assert!(waiter.await.unwrap_err().is_cancelled());
        // at once, not after the inner task's second
        assert!(start.elapsed() < units(UNIT, 0.5));
        assert!(!finished.load(Ordering::SeqCst));
        tokio::time::sleep(UNIT).await; // the inner task's second ends meanwhile
        until(|| finished.load(Ordering::SeqCst)).await;

        // Without cancellation it is the task's value; by &mut, the handle stays usable.
        let mut t = taskio::spawn(async { taskio::Ok(5) });
        assert_eq!(taskio::shield(&mut t).await.unwrap(), 5);
        assert!(t.is_done());
    }
}

both! {
    async fn an_eager_task_runs_on_the_spawning_thread_until_it_suspends() {
        let here = std::thread::current().id();
        let before_suspend = Arc::new(std::sync::Mutex::new(None));
        let b2 = before_suspend.clone();
        let task = taskio::task().eager().spawn(async move {
            *b2.lock().unwrap() = Some(std::thread::current().id());
            taskio::sleep(UNIT).await?;
            taskio::Ok(1)
        });
        // The body ran up to its first suspension before spawn returned, on this thread.
        assert_eq!(*before_suspend.lock().unwrap(), Some(here));
        assert!(!task.is_done());
        assert_eq!(task.await.unwrap(), 1);

        // A body that never suspends gives a task that is already done.
        let mut done = taskio::task().eager().spawn(async { taskio::Ok(2 + 2) });
        assert!(done.is_done());
        assert_eq!(done.try_result().unwrap().unwrap(), 4);
    }
}

both! {
    async fn a_third_party_future_made_cancellable_times_out() {
        use taskio::CancellableExt;
        let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
        let start = Instant::now();
        let e = taskio::timeout(UNIT, rx.cancellable()).await.unwrap_err();
        assert!(e.is_timed_out());
        assert_took(PAUSED, start, UNIT);
        drop(tx);

        let (tx, rx) = tokio::sync::oneshot::channel::<u32>();
        tx.send(9).unwrap();
        let v = taskio::timeout(UNIT, rx.cancellable()).await.unwrap();
        assert_eq!(v.unwrap(), 9);
    }
}

both! {
    // Was "a deadline moved after it fired but before the work saw it is withdrawn": that pinned
    // the request waiting undelivered while the work sat in a tokio future. A fired deadline is
    // now delivered at once (by dropping such a wait), so the move must come before it fires.
    async fn a_deadline_moved_before_it_fires_lets_work_in_a_tokio_future_finish() {
        let deadline = taskio::Deadline::after(UNIT);
        let handle = deadline.clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let mover = taskio::spawn(async move {
            taskio::sleep(units(UNIT, 0.5)).await?;
            handle.reschedule(Instant::now() + units(UNIT, 10.0)).unwrap();
            taskio::sleep(units(UNIT, 1.0)).await?;
            tx.send(()).unwrap();
            taskio::Ok(())
        });
        let start = Instant::now();
        let v = taskio::timeout_at(deadline, async move {
            rx.await.unwrap(); // a tokio future, past the first deadline
            taskio::sleep(units(UNIT, 0.1)).await?;
            taskio::Ok(5)
        })
        .await;
        assert_eq!(v.unwrap(), 5);
        assert_took(PAUSED, start, units(UNIT, 1.6));
        mover.await.unwrap();
    }
}

// Issue 13, item 4 (CPython test_timeouts: nested timeouts that expire together): the inner
// timeout passes the cancellation through and the outermost expired one reports, so the retry
// loop between them does not run one more round past the outer deadline.
#[tokio::test(start_paused = true)]
async fn nested_timeouts_that_both_expired_the_outermost_reports() {
    let start = Instant::now();
    let outer = taskio::Deadline::after(Duration::from_secs(2));
    let outer_handle = outer.clone();
    let inners = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = inners.clone();
    let err = taskio::timeout_at(outer, async move {
        loop {
            let inner = taskio::Deadline::after(Duration::from_secs(1));
            seen.lock().unwrap().push(inner.clone());
            match taskio::timeout_at(inner, taskio::sleep(Duration::from_secs(10))).await {
                Err(e) if e.is_timed_out() => continue, // retry
                other => break other,
            }
        }
    })
    .await
    .unwrap_err();
    assert!(err.is_timed_out(), "{err}");
    assert_eq!(
        err.downcast_ref::<taskio::TimedOut>().unwrap().after(),
        Some(Duration::from_secs(2))
    );
    assert_eq!(start.elapsed(), Duration::from_secs(2));
    let inners = inners.lock().unwrap();
    assert_eq!(inners.len(), 2, "no round past the outer deadline");
    // Every one of them expired (asyncio's `Timeout.expired()`), also the inner one that
    // passed the cancellation through.
    assert!(inners.iter().all(|d| d.expired()));
    assert!(outer_handle.expired());
}

#[tokio::test(start_paused = true)]
async fn a_timeout_that_finished_in_time_has_not_expired() {
    let deadline = taskio::Deadline::after(Duration::from_secs(1));
    let handle = deadline.clone();
    assert!(!handle.expired());
    let v = taskio::timeout_at(deadline, async { taskio::Ok(1) })
        .await
        .unwrap();
    assert_eq!(v, 1);
    assert!(!handle.expired());
}

// Issue 13, item 5 (CPython test_timeouts: reschedule on an expiring / expired / finished
// timeout raises): an error naming the state, and `when()` keeps its value.
#[tokio::test(start_paused = true)]
async fn rescheduling_a_timeout_past_its_useful_life_fails_and_changes_nothing() {
    let start = Instant::now();
    let later = || Instant::now() + Duration::from_secs(100);

    // Expiring: the deadline fired at t = 1 and the work cleans up for 0.5 s.
    let deadline = taskio::Deadline::after(Duration::from_secs(1));
    let handle = deadline.clone();
    let during = Arc::new(std::sync::Mutex::new(None));
    let d = during.clone();
    let err = taskio::timeout_at(deadline, async move {
        let cancelled = taskio::sleep(Duration::from_secs(10)).await.unwrap_err();
        let when = handle.when();
        let refused = handle.reschedule(later()).unwrap_err();
        *d.lock().unwrap() = Some((refused, when == handle.when(), start.elapsed()));
        taskio::sleep(Duration::from_millis(500)).await?; // cleanup, awaited
        Err::<(), taskio::Error>(cancelled.into())
    })
    .await
    .unwrap_err();
    assert!(err.is_timed_out());
    let (refused, unchanged, at) = during.lock().unwrap().take().unwrap();
    assert!(refused.is_expiring(), "{refused}");
    assert!(refused.to_string().contains("is expiring"), "{refused}");
    assert!(unchanged, "when() kept its value");
    assert_eq!(at, Duration::from_secs(1));
    assert_eq!(start.elapsed(), Duration::from_millis(1500));

    // Expired: that timeout returned TimedOut at t = 1.5.
    let deadline = taskio::Deadline::after(Duration::from_secs(1));
    let handle = deadline.clone();
    let r = taskio::timeout_at(deadline, taskio::sleep(Duration::from_secs(10))).await;
    assert!(r.unwrap_err().is_timed_out());
    assert_eq!(start.elapsed(), Duration::from_millis(2500));
    let when = handle.when();
    let refused = handle.reschedule(later()).unwrap_err();
    assert!(refused.is_expired());
    assert_eq!(
        refused.to_string(),
        "cannot reschedule a timeout that has expired"
    );
    assert_eq!(handle.when(), when);

    // Finished: the work ended in time, at t = 3.
    let deadline = taskio::Deadline::after(Duration::from_secs(1));
    let handle = deadline.clone();
    let v = taskio::timeout_at(deadline, async {
        taskio::sleep(Duration::from_millis(500)).await?;
        taskio::Ok(7)
    })
    .await;
    assert_eq!(v.unwrap(), 7);
    assert_eq!(start.elapsed(), Duration::from_secs(3));
    let when = handle.when();
    let refused = handle.reschedule(None).unwrap_err();
    assert!(refused.is_finished());
    assert_eq!(
        refused.to_string(),
        "cannot reschedule a timeout that has finished"
    );
    assert_eq!(handle.when(), when);
    assert!(!handle.expired());
}
