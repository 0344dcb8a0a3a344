//! `to_thread`: a blocking closure as a taskio task; a cancel raises its flag, and the task waits
//! for the thread.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use taskio::{CancelFlag, TaskState};

const LIMIT: Duration = Duration::from_secs(60);
const TICK: Duration = Duration::from_millis(1);

mod support;
use support::until;

/// `both!` on the real clock: while a blocking-pool thread runs, tokio's paused clock does not
/// advance (so a paused test would wait forever on any timer). `UNIT` is 100 ms on both.
macro_rules! both {
    ($(#[$m:meta])* async fn $name:ident() $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(#[$m])*
            #[tokio::test]
            async fn current_thread() {
                #[allow(dead_code)]
                const UNIT: Duration = Duration::from_millis(100);
                $body
            }
            $(#[$m])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn multi_thread() {
                #[allow(dead_code)]
                const UNIT: Duration = Duration::from_millis(100);
                $body
            }
        }
    };
}

/// A closure that works in small steps, checking its flag between them; counts its steps and
/// says when it stopped.
fn stepper(
    steps: Arc<AtomicUsize>,
    stopped: Arc<AtomicBool>,
) -> impl FnOnce(CancelFlag) -> taskio::Result<usize> {
    move |flag| {
        let out = (|| {
            loop {
                flag.check()?;
                steps.fetch_add(1, Ordering::SeqCst);
                std::thread::sleep(TICK);
            }
        })();
        stopped.store(true, Ordering::SeqCst);
        out
    }
}

both! {
    /// The case: a closure that checks its flag stops after a cancel.
    async fn a_closure_that_checks_its_flag_stops_after_a_cancel() {
        let (steps, stopped) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let task = taskio::task()
            .name("crunch")
            .to_thread(stepper(steps.clone(), stopped.clone()));
        until(|| steps.load(Ordering::SeqCst) >= 3).await;
        assert_eq!(task.state(), TaskState::Running);
        assert!(task.cancel_with("enough"));
        let err = tokio::time::timeout(LIMIT, task).await.unwrap().unwrap_err();
        assert_eq!(err.as_cancelled().unwrap().message(), Some("enough"));
        // the task ended only after the thread did: no thread left behind
        assert!(stopped.load(Ordering::SeqCst));
        let at_stop = steps.load(Ordering::SeqCst);
        std::thread::sleep(TICK * 5);
        assert_eq!(steps.load(Ordering::SeqCst), at_stop);
    }
}

both! {
    async fn it_is_named_in_the_tree_and_gathers_with_others() {
        let release = Arc::new(AtomicBool::new(false));
        let r = release.clone();
        let waiter = taskio::task().name("disk-read").to_thread(move |_flag| {
            while !r.load(Ordering::SeqCst) {
                std::thread::sleep(TICK);
            }
            taskio::Ok(1)
        });
        until(|| waiter.state() == TaskState::Running).await;
        assert!(taskio::tree().to_string().contains("disk-read (id "));
        release.store(true, Ordering::SeqCst);
        let quick = taskio::to_thread(|_| taskio::Ok(2));
        let both = tokio::time::timeout(LIMIT, taskio::gather([waiter, quick])).await.unwrap();
        assert_eq!(both.unwrap(), [1, 2]);
    }
}

both! {
    async fn a_closure_that_never_looks_ends_cancelled_but_only_when_it_returns() {
        let release = Arc::new(AtomicBool::new(false));
        let (r, returned) = (release.clone(), Arc::new(AtomicBool::new(false)));
        let ret = returned.clone();
        let started = Arc::new(AtomicBool::new(false));
        let s = started.clone();
        let task = taskio::to_thread(move |_flag| {
            s.store(true, Ordering::SeqCst);
            while !r.load(Ordering::SeqCst) {
                std::thread::sleep(TICK);
            }
            ret.store(true, Ordering::SeqCst);
            taskio::Ok(7)
        });
        // Running is not enough: a cancel before the closure starts means it never runs.
        until(|| started.load(Ordering::SeqCst)).await;
        task.cancel();
        let h = task.handle();
        let awaited = taskio::spawn(task); // awaited from another task
        tokio::time::sleep(TICK * 5).await;
        assert!(!h.is_done(), "the task waits for its thread");
        release.store(true, Ordering::SeqCst);
        let out = tokio::time::timeout(LIMIT, awaited).await.unwrap();
        assert!(out.unwrap_err().is_cancelled());
        assert!(returned.load(Ordering::SeqCst));
    }
}

both! {
    async fn a_timeout_raises_the_flag_and_waits_for_the_closure() {
        let (steps, stopped) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let s = steps.clone();
        let waiting = taskio::spawn(async move {
            until(|| s.load(Ordering::SeqCst) >= 2).await; // the closure is running
            taskio::Ok(())
        });
        let task = taskio::to_thread(stepper(steps.clone(), stopped.clone()));
        let out = taskio::timeout(UNIT, async move {
            waiting.await?;
            task.await
        });
        let err = tokio::time::timeout(LIMIT, out).await.unwrap().unwrap_err();
        assert!(err.is_timed_out(), "{err}");
        assert!(stopped.load(Ordering::SeqCst), "the timeout returned only after the thread");
    }
}

both! {
    async fn a_group_failure_raises_the_flag_of_its_thread_child() {
        let (steps, stopped) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicBool::new(false)));
        let (s, st) = (steps.clone(), stopped.clone());
        let out = taskio::task_group(|tg| async move {
            tg.to_thread(stepper(s.clone(), st))?;
            let s = s.clone();
            tg.spawn(async move {
                until(|| s.load(Ordering::SeqCst) >= 2).await;
                Err::<(), _>(taskio::Error::msg("boom"))
            })?;
            taskio::Ok(())
        });
        let err = tokio::time::timeout(LIMIT, out).await.unwrap().unwrap_err();
        assert_eq!(err.group_errors().unwrap().len(), 1);
        assert!(stopped.load(Ordering::SeqCst), "the group returned only after the thread");
    }
}

both! {
    async fn a_panic_in_the_closure_is_the_outcome_and_abort_raises_the_flag() {
        let panicked = taskio::to_thread(|_| -> taskio::Result<()> { panic!("thread boom") });
        let err = tokio::time::timeout(LIMIT, panicked).await.unwrap().unwrap_err();
        assert_eq!(err.panic_message(), Some("thread boom"));

        let saw = Arc::new(std::sync::Mutex::new(None));
        let (started, s) = (Arc::new(AtomicBool::new(false)), saw.clone());
        let st = started.clone();
        let task = taskio::to_thread(move |flag: CancelFlag| {
            st.store(true, Ordering::SeqCst);
            loop {
                if let Err(c) = flag.check() {
                    *s.lock().unwrap() = Some(c.message().map(str::to_owned));
                    return;
                }
                std::thread::sleep(TICK);
            }
        });
        until(|| started.load(Ordering::SeqCst)).await;
        task.abort();
        let out = tokio::time::timeout(LIMIT, task).await.unwrap();
        assert!(out.unwrap_err().is_cancelled());
        let told = tokio::time::timeout(LIMIT, until(|| saw.lock().unwrap().is_some())).await;
        assert!(told.is_ok(), "the aborted thread was told through its flag");
        assert_eq!(*saw.lock().unwrap(), Some(Some("aborted".to_owned())));
    }
}

both! {
    async fn a_task_cancelled_before_its_first_poll_never_starts_the_closure() {
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let task = taskio::to_thread(move |_| r.store(true, Ordering::SeqCst));
        task.cancel();
        assert!(tokio::time::timeout(LIMIT, task).await.unwrap().unwrap_err().is_cancelled());
        tokio::time::sleep(TICK * 5).await;
        assert!(!ran.load(Ordering::SeqCst));
    }
}
