//! wait (first_completed, first_error, all, timeout), TaskSet and as_completed: DESIGN.md's
//! "wait / as_completed" semantics, each pinned on both runtimes.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use support::{assert_took, both, units, until};
use tokio::time::Instant;

fn after(unit: Duration, secs: f64, value: u32) -> taskio::Task<u32> {
    taskio::task()
        .name(format!("after-{secs}"))
        .spawn(async move {
            taskio::sleep(units(unit, secs)).await?;
            taskio::Ok(value)
        })
}

fn fail_after(unit: Duration, secs: f64) -> taskio::Task<u32> {
    taskio::spawn(async move {
        taskio::sleep(units(unit, secs)).await?;
        Err(taskio::Error::msg("failed"))
    })
}

both! {
    async fn first_completed_with_a_timeout_splits_and_the_pending_run_on() {
        let start = Instant::now();
        let tasks = vec![after(UNIT, 3.0, 3), after(UNIT, 1.0, 1), after(UNIT, 5.0, 5)];
        // Nothing done within half a unit: an empty `done`, not an error, nothing cancelled.
        let (done, pending) = taskio::wait(tasks)
            .first_completed()
            .timeout(units(UNIT, 0.5))
            .await
            .unwrap();
        assert!(done.is_empty());
        assert_eq!(pending.len(), 3);
        assert_took(PAUSED, start, units(UNIT, 0.5));

        let (done, pending) = taskio::wait(pending)
            .first_completed()
            .timeout(units(UNIT, 2.0))
            .await
            .unwrap();
        assert_eq!(done.len(), 1);
        assert_eq!(pending.len(), 2);
        assert_took(PAUSED, start, units(UNIT, 1.0));
        assert_eq!(done.into_iter().next().unwrap().await.unwrap(), 1);
        assert!(pending.iter().all(|t| !t.is_done()));

        // The pending tasks then finish, and a wait for all collects them.
        let (done, pending) = taskio::wait(pending).await.unwrap();
        assert!(pending.is_empty());
        assert_took(PAUSED, start, units(UNIT, 5.0));
        let mut values = Vec::new();
        for t in done {
            values.push(t.await.unwrap());
        }
        values.sort();
        assert_eq!(values, [3, 5]);
    }
}

both! {
    async fn a_timeout_neither_cancels_nor_fails() {
        let start = Instant::now();
        let (done, pending) = taskio::wait(vec![after(UNIT, 2.0, 2)])
            .timeout(UNIT)
            .await
            .unwrap();
        assert!(done.is_empty());
        assert_took(PAUSED, start, UNIT);
        let task = pending.into_vec().pop().unwrap();
        assert!(!task.is_done() && task.cancelling() == 0);
        assert_eq!(task.await.unwrap(), 2);
    }
}

both! {
    async fn all_is_the_default_and_done_tasks_keep_their_outcome() {
        let start = Instant::now();
        let tasks = vec![after(UNIT, 2.0, 2), fail_after(UNIT, 1.0), after(UNIT, 0.5, 1)];
        let (done, pending) = taskio::wait(tasks).await.unwrap();
        assert!(pending.is_empty());
        assert_eq!(done.len(), 3);
        assert_took(PAUSED, start, units(UNIT, 2.0));
        // In the order they were seen done; outcomes still inside.
        let mut outcomes = Vec::new();
        for mut t in done {
            assert!(t.is_done());
            outcomes.push(t.try_result().unwrap().map_err(|e| e.to_string()));
        }
        assert_eq!(outcomes[0], Ok(1));
        assert!(outcomes[1].as_ref().unwrap_err().ends_with("failed"));
        assert_eq!(outcomes[2], Ok(2));
    }
}

both! {
    async fn first_error_fires_on_a_failure_not_on_a_cancellation() {
        let start = Instant::now();
        let cancelled = after(UNIT, 100.0, 0);
        cancelled.cancel();
        let tasks = vec![cancelled, fail_after(UNIT, 1.0), after(UNIT, 5.0, 5)];
        let (done, pending) = taskio::wait(tasks).first_error().await.unwrap();
        assert_took(PAUSED, start, UNIT);
        assert_eq!(done.len(), 2); // the cancelled one did not end the wait, the failure did
        assert!(done.iter().any(|t| t.is_cancelled()));
        assert_eq!(pending.len(), 1);
        pending.cancel_all();

        // Without any failure it is like all.
        let start = Instant::now();
        let (done, pending) = taskio::wait(vec![after(UNIT, 1.0, 1), after(UNIT, 2.0, 2)])
            .first_error()
            .await
            .unwrap();
        assert_eq!((done.len(), pending.len()), (2, 0));
        assert_took(PAUSED, start, units(UNIT, 2.0));
    }
}

both! {
    async fn an_empty_wait_returns_at_once() {
        let (done, pending) = taskio::wait(Vec::<taskio::Task<()>>::new())
            .first_completed()
            .await
            .unwrap();
        assert!(done.is_empty() && pending.is_empty());
    }
}

both! {
    async fn a_cancelled_waiter_gets_cancelled_and_the_tasks_run_on() {
        let finished = Arc::new(AtomicBool::new(false));
        let f2 = finished.clone();
        let task = taskio::spawn(async move {
            taskio::sleep(UNIT).await?;
            f2.store(true, Ordering::SeqCst);
            taskio::Ok(())
        });
        let waiter = taskio::spawn(async move { taskio::wait(vec![task]).await.map(|_| ()) });
        taskio::sleep(units(UNIT, 0.1)).await.unwrap();
        waiter.cancel();
        assert!(waiter.await.unwrap_err().is_cancelled());
        assert!(!finished.load(Ordering::SeqCst));
        tokio::time::sleep(UNIT).await;
        until(|| finished.load(Ordering::SeqCst)).await;
    }
}

both! {
    async fn a_task_set_is_reused_across_waits_and_grows() {
        let mut set: taskio::TaskSet<u32> = [after(UNIT, 1.0, 1)].into();
        set.push(after(UNIT, 2.0, 2));
        let (done, mut set) = taskio::wait(set).first_completed().await.unwrap();
        assert_eq!(done.len(), 1);
        set.extend([after(UNIT, 0.5, 3)]); // added between waits
        let mut order = Vec::new();
        while !set.is_empty() {
            let (done, rest) = taskio::wait(set).first_completed().await.unwrap();
            for t in done {
                order.push(t.await.unwrap());
            }
            set = rest;
        }
        assert_eq!(order, [3, 2]);
    }
}

both! {
    async fn as_completed_yields_in_completion_order_with_indices() {
        let start = Instant::now();
        let tasks = vec![after(UNIT, 3.0, 30), after(UNIT, 1.0, 10), fail_after(UNIT, 2.0), after(UNIT, 0.5, 5)];
        let mut stream = taskio::as_completed(tasks);
        assert_eq!(stream.len(), 4);
        let mut order = Vec::new();
        while let Some((i, outcome)) = stream.next().await {
            order.push((i, outcome.map_err(|e| e.to_string().ends_with("failed"))));
        }
        assert_eq!(order, [(3, Ok(5)), (1, Ok(10)), (2, Err(true)), (0, Ok(30))]);
        assert_took(PAUSED, start, units(UNIT, 3.0));
        assert!(stream.is_empty());
    }
}

both! {
    async fn as_completed_is_a_stream() {
        let tasks = vec![after(UNIT, 2.0, 2), after(UNIT, 1.0, 1)];
        let items: Vec<_> = taskio::as_completed(tasks)
            .map(|(i, r)| (i, r.unwrap()))
            .collect()
            .await;
        assert_eq!(items, [(1, 1), (0, 2)]);
    }
}

both! {
    async fn as_completed_times_out_the_remaining_items_and_cancels_their_tasks() {
        let start = Instant::now();
        let cleaned = Arc::new(AtomicBool::new(false));
        let c2 = cleaned.clone();
        let slow = taskio::spawn(async move {
            let r = taskio::sleep(units(UNIT, 100.0)).await;
            c2.store(r.is_err(), Ordering::SeqCst);
            r?;
            taskio::Ok(0)
        });
        let tasks = vec![slow, after(UNIT, 1.0, 1), after(UNIT, 50.0, 50)];
        let mut stream = taskio::as_completed(tasks).timeout(units(UNIT, 2.0));
        assert_eq!(stream.next().await.map(|(i, r)| (i, r.unwrap())), Some((1, 1)));
        let (i, r) = stream.next().await.unwrap();
        assert_took(PAUSED, start, units(UNIT, 2.0));
        let e = r.unwrap_err();
        assert!(e.is_timed_out());
        assert_eq!(e.downcast_ref::<taskio::TimedOut>().unwrap().after(), Some(units(UNIT, 2.0)));
        assert_eq!(i, 0);
        let (i, r) = stream.next().await.unwrap();
        assert!(i == 2 && r.unwrap_err().is_timed_out());
        assert!(stream.next().await.is_none());
        // The remaining tasks were cancelled, not left running unobserved.
        tokio::time::sleep(units(UNIT, 0.1)).await;
        until(|| cleaned.load(Ordering::SeqCst)).await;
    }
}

both! {
    async fn a_cancelled_as_completed_consumer_cancels_the_tasks_and_sees_their_outcomes() {
        let cleaned = Arc::new(AtomicBool::new(false));
        let c2 = cleaned.clone();
        let consumer = taskio::spawn(async move {
            let slow = taskio::spawn(async move {
                match taskio::sleep(units(UNIT, 100.0)).await {
                    Ok(()) => taskio::Ok(0),
                    Err(c) => {
                        taskio::sleep(units(UNIT, 0.5)).await?; // cleanup, awaited
                        c2.store(true, Ordering::SeqCst);
                        Err(c.into())
                    }
                }
            });
            let mut stream = taskio::as_completed(vec![slow]);
            let (i, r) = stream.next().await.unwrap();
            assert_eq!(i, 0);
            r
        });
        taskio::sleep(units(UNIT, 0.1)).await.unwrap();
        consumer.cancel_with("stop");
        let e = consumer.await.unwrap_err();
        assert_eq!(e.as_cancelled().unwrap().message(), Some("stop"));
        assert!(cleaned.load(Ordering::SeqCst), "the task's cleanup ran before the item came out");
    }
}
