//! `TaskHandle`: cancel, abort and read a task from anywhere while one place owns its outcome.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use taskio::TaskState;

const HOUR: Duration = Duration::from_secs(3600);
const LIMIT: Duration = Duration::from_secs(60);

mod support;
use support::{both, until};

both! {
    /// The repro: `gather` consumes the tasks, a third party still cancels one of them.
    async fn a_third_party_cancels_a_task_that_gather_awaits() {
        let slow = taskio::task().name("slow").spawn(async {
            taskio::sleep(HOUR).await?;
            taskio::Ok(1)
        });
        let fast = taskio::spawn(async { taskio::Ok(2) });
        let handle = slow.handle();
        let third_party = taskio::spawn(async move {
            taskio::sleep(UNIT).await?;
            assert!(handle.cancel_with("from a third party"));
            taskio::Ok(handle)
        });
        let out = tokio::time::timeout(LIMIT, taskio::gather([slow, fast]))
            .await
            .expect("the gather returns");
        let err = out.unwrap_err();
        assert_eq!(
            err.as_cancelled().expect("cancelled").message(),
            Some("from a third party")
        );
        let handle = third_party.await.unwrap();
        assert_eq!(handle.state(), TaskState::Cancelled);
        assert_eq!(handle.name(), "slow");
    }
}

both! {
    async fn a_handle_reads_the_task_without_taking_its_outcome() {
        let gate = Arc::new(tokio::sync::Notify::new());
        let g = gate.clone();
        let task = taskio::task().name("worker").spawn(async move {
            g.notified().await;
            taskio::Ok(5)
        });
        let h = task.handle();
        let h2 = h.clone();
        assert_eq!((h.id(), h.name().into_owned()), (task.id(), "worker".to_owned()));
        until(|| h.state() == TaskState::Running).await;
        assert!(!h2.is_done());
        // read from another OS thread: the handle is Send + Sync
        let seen = std::thread::spawn(move || (h2.state(), h2.cancelling())).join().unwrap();
        assert_eq!(seen, (TaskState::Running, 0));
        gate.notify_one();
        assert_eq!(task.await.unwrap(), 5); // the outcome was still there
        assert!(h.is_done());
        assert_eq!(h.info().state, TaskState::Finished);
        assert!(!h.cancel(), "a done task refuses a cancel");
    }
}

both! {
    async fn a_handle_counts_cancels_and_aborts_a_task_that_ignores_them() {
        let stop = Arc::new(AtomicBool::new(false));
        let s = stop.clone();
        let stubborn = taskio::spawn(async move {
            // swallows every cancel, and has no other way out
            while !s.load(Ordering::SeqCst) {
                let _ = taskio::sleep(UNIT).await;
            }
        });
        let h = stubborn.handle();
        until(|| h.state() == TaskState::Running).await;
        assert!(h.cancel());
        assert!(h.cancel_with("again"));
        assert_eq!(h.cancelling(), 2);
        h.abort();
        let out = tokio::time::timeout(LIMIT, stubborn).await.expect("aborted");
        assert!(out.unwrap_err().is_cancelled());
        assert_eq!(h.state(), TaskState::Cancelled);
    }
}

both! {
    async fn the_current_task_hands_out_a_handle_and_cancels_itself_with_a_message() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let task = taskio::spawn(async move {
            let me = taskio::current().unwrap();
            tx.send(me.handle()).ok();
            let first = taskio::sleep(HOUR).await.unwrap_err();
            assert_eq!(first.message(), Some("from outside"));
            me.cancel_with("from inside");
            let second = taskio::checkpoint().await.unwrap_err();
            taskio::Result::<()>::Err(second.into())
        });
        let h = rx.await.unwrap();
        assert_eq!(h.id(), task.id());
        until(|| h.state() == TaskState::Running).await;
        h.cancel_with("from outside");
        let err = tokio::time::timeout(LIMIT, task).await.unwrap().unwrap_err();
        assert_eq!(err.as_cancelled().unwrap().message(), Some("from inside"));
    }
}
