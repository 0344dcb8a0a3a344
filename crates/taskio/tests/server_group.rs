//! Task groups for long-lived servers: a supervisor that hands each failure over as it happens
//! and keeps none; closing a group and cancelling it from outside its body.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use taskio::TaskState;

const HOUR: Duration = Duration::from_secs(3600);
const LIMIT: Duration = Duration::from_secs(60);

mod support;
use support::{both, until};

/// A child's error that holds a token: while anything (the group, a cell, a hook) keeps the
/// error, the token's count says so.
#[derive(Debug)]
struct Failed(#[allow(dead_code)] Arc<()>);
impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("child failed")
    }
}
impl std::error::Error for Failed {}

both! {
    /// The debug-size check of "memory stays flat": nothing keeps a failure once the hook has
    /// it, counted by the tokens the errors hold (`tests/supervisor_rss.rs` measures RSS over 1M).
    async fn a_supervisor_with_a_failure_hook_keeps_no_failure() {
        const N: usize = 5_000;
        let token = Arc::new(());
        let handed = Arc::new(AtomicUsize::new(0));
        let (t, h) = (token.clone(), handed.clone());
        let retained_max = Arc::new(AtomicUsize::new(0));
        let r = retained_max.clone();
        let out = taskio::group()
            .on_failure(move |error| {
                assert!(error.downcast_ref::<Failed>().is_some());
                h.fetch_add(1, Ordering::SeqCst);
            })
            .run(|tg| async move {
                for i in 0..N {
                    let child = t.clone();
                    drop(tg.spawn(async move { Err::<(), _>(Failed(child)) })?);
                    if i % 100 == 99 {
                        while !tg.is_empty() {
                            tokio::task::yield_now().await;
                        }
                        // every child so far is done: soon only the test's and this body's
                        // clones hold the token (a worker may still be leaving `complete`, and
                        // on a loaded machine it can be off its CPU for many milliseconds: a
                        // real-time bound, not a count of yields)
                        let settle = std::time::Instant::now() + std::time::Duration::from_secs(10);
                        while Arc::strong_count(&t) != 2 && std::time::Instant::now() < settle {
                            tokio::task::yield_now().await;
                        }
                        r.fetch_max(Arc::strong_count(&t) - 2, Ordering::SeqCst);
                    }
                }
                taskio::Ok("served")
            });
        let out = tokio::time::timeout(LIMIT, out).await.expect("the group returns");
        assert_eq!(out.unwrap(), "served", "no group error: every failure was handed over");
        assert_eq!(handed.load(Ordering::SeqCst), N);
        assert_eq!(retained_max.load(Ordering::SeqCst), 0, "a done child's failure was kept");
        assert_eq!(Arc::strong_count(&token), 1);
    }
}

both! {
    async fn the_hook_sees_failures_as_they_happen_and_a_panicking_hook_loses_nothing() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s, watched) = (seen.clone(), seen.clone());
        let out = taskio::group()
            .on_failure(move |error| {
                let text = error.to_string();
                s.lock().unwrap().push(text.clone());
                if text.contains("second") {
                    panic!("the hook panics");
                }
            })
            .run(|tg| async move {
                tg.spawn_with(taskio::task().name("a"), async {
                    Err::<(), _>(taskio::Error::msg("first"))
                })?;
                let slow = tg.spawn(async {
                    taskio::sleep(UNIT).await?;
                    taskio::Ok("slow one finished") // a failure cancelled nobody
                })?;
                until(|| !watched.lock().unwrap().is_empty()).await; // handed over at once
                tg.spawn(async { Err::<(), _>(taskio::Error::msg("second")) })?;
                tg.spawn(async { std::panic::panic_any::<&str>("third"); #[allow(unreachable_code)] taskio::Ok(()) })?;
                assert_eq!(slow.await?, "slow one finished");
                taskio::Ok(())
            });
        let err = tokio::time::timeout(LIMIT, out).await.unwrap().unwrap_err();
        // only the failure whose hook panicked is kept
        let kept = err.group_errors().unwrap();
        assert_eq!(kept.len(), 1);
        assert!(kept[0].to_string().contains("second"));
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        assert!(seen.iter().any(|s| s.contains("third")));
    }
}

both! {
    async fn a_closed_group_refuses_children_and_waits_for_the_rest() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let finished = Arc::new(AtomicUsize::new(0));
        let f = finished.clone();
        let server = taskio::spawn(taskio::task_group(|tg| async move {
            for _ in 0..3 {
                let f = f.clone();
                tg.spawn(async move {
                    taskio::sleep(UNIT * 2).await?;
                    f.fetch_add(1, Ordering::SeqCst);
                    taskio::Ok(())
                })?;
            }
            tx.send(tg.clone()).ok();
            // the body runs on after the close, and sees the refusal
            loop {
                taskio::sleep(UNIT).await?;
                match tg.spawn(async {}) {
                    Err(e) if e.is_closed() => break,
                    other => drop(other?),
                }
            }
            taskio::Ok("closed")
        }));
        let tg = rx.await.unwrap();
        assert!(tg.close());
        assert!(!tg.close(), "closing twice");
        let refused = tg.spawn(async {}).unwrap_err();
        assert!(refused.is_closed() && !refused.is_shutting_down());
        assert!(refused.to_string().contains("closed"));
        let out = tokio::time::timeout(LIMIT, server).await.unwrap();
        assert_eq!(out.unwrap(), "closed");
        assert_eq!(finished.load(Ordering::SeqCst), 3, "nobody was cancelled");
    }
}

both! {
    async fn cancel_from_outside_the_body_stops_the_group_but_not_its_task() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let cleaned = Arc::new(AtomicUsize::new(0));
        let c = cleaned.clone();
        let runner = taskio::task().name("runner").spawn(async move {
            let out = taskio::task_group(|tg| async move {
                let mut children = Vec::new();
                for _ in 0..4 {
                    let c = c.clone();
                    let child = tg.spawn(async move {
                        if let Err(cancel) = taskio::sleep(HOUR).await {
                            taskio::sleep(UNIT).await?; // cleanup is awaited
                            c.fetch_add(1, Ordering::SeqCst);
                            return Err(cancel.into());
                        }
                        taskio::Ok(())
                    })?;
                    children.push(child.handle());
                }
                tx.send((tg.clone(), children)).ok();
                taskio::sleep(HOUR).await?;
                taskio::Ok(())
            })
            .await;
            assert!(out.unwrap_err().is_cancelled());
            // the task that ran the group was not cancelled: it goes on
            taskio::checkpoint().await?;
            assert_eq!(taskio::current().unwrap().cancelling(), 0);
            taskio::Ok("runner went on")
        });
        let (tg, children) = rx.await.unwrap();
        // started, so that each runs its cleanup (a child cancelled before it starts never runs)
        until(|| children.iter().all(|c| c.state() == TaskState::Running)).await;
        assert!(tg.cancel());
        assert!(!tg.cancel(), "idempotent");
        assert!(tg.spawn(async {}).unwrap_err().is_shutting_down());
        let out = tokio::time::timeout(LIMIT, runner).await.unwrap();
        assert_eq!(out.unwrap(), "runner went on");
        assert_eq!(cleaned.load(Ordering::SeqCst), 4);
    }
}

both! {
    async fn cancelling_a_supervisor_from_outside_and_closing_a_group_of_a_finished_body() {
        // the body is done, children still run: cancel() reaches the children
        let (tx, rx) = tokio::sync::oneshot::channel();
        let out = taskio::spawn(taskio::group().supervisor().run(|tg| async move {
            tg.spawn(taskio::sleep(HOUR))?;
            tx.send(tg.clone()).ok();
            taskio::Ok(5)
        }));
        let tg = rx.await.unwrap();
        until(|| tg.len() == 1).await;
        assert!(tg.cancel());
        let out = tokio::time::timeout(LIMIT, out).await.unwrap();
        assert_eq!(out.unwrap(), 5, "the body's value stands; a cancelled child is no failure");
        assert!(!tg.close(), "a finished group is not open");
        assert!(tg.spawn(async {}).unwrap_err().is_finished());
    }
}
