//! Fault paths of the task's state machine (issue 12, items 1, 2, 3, 8 and 10): panics in a
//! future's `Drop`, in a panic payload's `Drop`, in an error's `Display`; a task awaiting its own
//! handle; counts far past 65535. Each ends in an outcome or a report, never a hang.

mod support;

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use support::{both, bounded, until};
use taskio::TaskState;

/// Panics when dropped.
struct PanicOnDrop;

impl Drop for PanicOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("drop bomb");
        }
    }
}

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

/// An error whose `Display` panics.
#[derive(Debug)]
struct BadDisplay;

impl fmt::Display for BadDisplay {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        panic!("display bomb")
    }
}

impl std::error::Error for BadDisplay {}

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
