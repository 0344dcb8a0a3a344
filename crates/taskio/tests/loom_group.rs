//! loom models of a task group's bookkeeping (`group/state.rs`, through `__loom::Group`, which
//! does what `TaskGroup::spawn` and the group's future do): a child's failure against a sibling's
//! completion and against a spawn (a scheduled one, one held open past the failure, and an eager
//! one that completes inside its spawn), a spawn against the group finishing, and a spawn against
//! `TaskGroup::cancel`.
//!
//! Run: `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=3 \
//!       cargo test -p taskio --release --test loom_group`
#![cfg(loom)]

mod loom_support;
use loom_support::yield_once;

use std::future::poll_fn;
use std::sync::Arc;
use std::task::Waker;

use loom::future::block_on;
use loom::thread;
use taskio::{__loom, TaskState};

fn model(f: impl Fn() + Sync + Send + 'static) {
    loom_support::check(f);
}

/// Polls a running child until it is done (its body has no cancellation point: a cancel
/// reaches it only before its first poll or when its body returns).
fn run_to_end<F>(mut running: __loom::Running<F>)
where
    F: Future,
    F::Output: taskio::TaskOutput,
{
    while running.poll(Waker::noop()).is_pending() {}
}

/// A child that fails at its second poll: suspended once here, then run to its end on a thread
/// of its own (the failure that the model races against). Its handle is kept by the caller.
fn failing_child_on_a_thread(group: &__loom::Group) -> (taskio::Task<u32>, thread::JoinHandle<()>) {
    let (failing, mut running) = group
        .spawn(yield_once(Err::<u32, _>(taskio::Error::msg("boom"))))
        .unwrap();
    assert!(running.poll(Waker::noop()).is_pending());
    (failing, thread::spawn(move || run_to_end(running)))
}

/// A child that raced a cancel ended cancelled by exactly one request, or finished with none.
fn cancelled_once_or_finished(child: &taskio::Task<u32>, what: &str) {
    match child.state() {
        TaskState::Cancelled => assert_eq!(child.cancelling(), 1),
        TaskState::Finished => assert_eq!(child.cancelling(), 0),
        other => panic!("{what} ended {other}"),
    }
}

/// A child's failure against a sibling completing: the group finishes once both are done, with
/// exactly the one failure; the sibling ends either with its value or cancelled (then with one
/// request counted), and nobody reports the failure the group returns.
#[test]
fn child_failure_vs_sibling_completion() {
    model(|| {
        let group = Arc::new(__loom::Group::new(false));
        let (failing, mut f_run) = group
            .spawn(yield_once(Err::<u32, _>(taskio::Error::msg("boom"))))
            .unwrap();
        let (sibling, mut s_run) = group.spawn(yield_once(taskio::Ok(1u32))).unwrap();
        assert!(f_run.poll(Waker::noop()).is_pending());
        assert!(s_run.poll(Waker::noop()).is_pending());
        let t1 = thread::spawn(move || run_to_end(f_run));
        let t2 = thread::spawn(move || run_to_end(s_run));
        let errors = block_on(poll_fn(|cx| group.poll_finish(cx)));
        assert!(
            failing.is_done() && sibling.is_done(),
            "finished with a child running"
        );
        assert_eq!(errors.len(), 1, "the failure is returned once: {errors:?}");
        assert!(errors[0].to_string().ends_with("boom"));
        match sibling.state() {
            TaskState::Finished => assert_eq!(sibling.cancelling(), 0),
            TaskState::Cancelled => assert_eq!(sibling.cancelling(), 1),
            other => panic!("sibling ended {other}"),
        }
        assert!(
            group.spawn(async {}).is_none(),
            "a finished group took a spawn"
        );
        t1.join().unwrap();
        t2.join().unwrap();
        assert_eq!(group.live(), 0);
    });
}

/// A child's failure against a spawn into the group from another thread: the new child is
/// refused (its admission came after the failure), or it was registered before the failure and
/// is then cancelled exactly once by the failure's cancel of the siblings, or it finished first.
#[test]
fn child_failure_vs_spawn() {
    model(|| {
        let group = Arc::new(__loom::Group::new(false));
        let (_failing, t1) = failing_child_on_a_thread(&group);
        let spawner = {
            let group = group.clone();
            thread::spawn(move || {
                let (child, running) = group.spawn(yield_once(taskio::Ok(2u32)))?;
                run_to_end(running);
                Some(child)
            })
        };
        let errors = block_on(poll_fn(|cx| group.poll_finish(cx)));
        assert_eq!(errors.len(), 1);
        t1.join().unwrap();
        if let Some(child) = spawner.join().unwrap() {
            assert!(
                child.cancelling() <= 1,
                "the late child was cancelled twice"
            );
            cancelled_once_or_finished(&child, "late child");
        }
        assert_eq!(group.live(), 0);
    });
}

/// A spawn (from a child's thread) against the group finishing: the spawn is refused, or the
/// group waits for the new child; the count of live children never goes wrong.
#[test]
fn spawn_vs_finish() {
    model(|| {
        let group = Arc::new(__loom::Group::new(false));
        let (first, mut run) = group.spawn(yield_once(taskio::Ok(1u32))).unwrap();
        assert!(run.poll(Waker::noop()).is_pending());
        let t1 = thread::spawn(move || run_to_end(run));
        let spawner = {
            let group = group.clone();
            thread::spawn(move || {
                let (child, running) = group.spawn(async { taskio::Ok(2u32) })?;
                run_to_end(running);
                Some(child)
            })
        };
        let errors = block_on(poll_fn(|cx| group.poll_finish(cx)));
        assert!(errors.is_empty());
        assert!(first.is_done());
        assert_eq!(group.live(), 0, "finished with a child live");
        assert!(
            group.spawn(async {}).is_none(),
            "a finished group took a spawn"
        );
        t1.join().unwrap();
        if let Some(child) = spawner.join().unwrap() {
            assert_eq!(child.state(), TaskState::Finished);
        }
        assert_eq!(group.live(), 0);
    });
}

/// [`child_failure_vs_spawn`] with the new child's body held open until the failure is over (its
/// second poll comes after): so it cannot finish first, and is refused (admitted after the
/// failure) or cancelled by the failure, exactly once. A child the failure's cancel missed (one
/// admitted before the failure and registered after it, say) would end `Finished`.
#[test]
fn child_failure_vs_spawn_held_open() {
    model(|| {
        let group = Arc::new(__loom::Group::new(false));
        let (_failing, t1) = failing_child_on_a_thread(&group);
        let spawner = {
            let group = group.clone();
            thread::spawn(move || {
                let (child, mut running) = group.spawn(yield_once(taskio::Ok(2u32)))?;
                // The first poll: suspended, or ended at once if the failure's cancel came first.
                let pending = running.poll(Waker::noop()).is_pending();
                Some((child, pending.then_some(running)))
            })
        };
        t1.join().unwrap();
        if let Some((child, running)) = spawner.join().unwrap() {
            assert_eq!(
                child.cancelling(),
                1,
                "the failure's cancel missed the child"
            );
            if let Some(running) = running {
                run_to_end(running);
            }
            assert_eq!(child.state(), TaskState::Cancelled);
        }
        let errors = block_on(poll_fn(|cx| group.poll_finish(cx)));
        assert_eq!(errors.len(), 1, "the failure is returned once: {errors:?}");
        assert_eq!(group.live(), 0, "finished with a child live");
    });
}

/// A child's failure against an eager spawn (the child's first poll on the spawning thread, right
/// after its spawn, as `task().eager()` does) whose body completes at once: the child is refused,
/// or it is registered before it runs, so that its completion finds it there; the group returns
/// the one failure and waits for the eager child; nobody is cancelled twice.
#[test]
fn child_failure_vs_eager_spawn() {
    model(|| {
        let group = Arc::new(__loom::Group::new(false));
        let (_failing, t1) = failing_child_on_a_thread(&group);
        let spawner = {
            let group = group.clone();
            thread::spawn(move || {
                let (child, mut running) = group.spawn(async { taskio::Ok(2u32) })?;
                if running.poll_eager().is_pending() {
                    run_to_end(running);
                }
                Some(child)
            })
        };
        let errors = block_on(poll_fn(|cx| group.poll_finish(cx)));
        assert_eq!(errors.len(), 1, "the failure is returned once: {errors:?}");
        assert_eq!(group.live(), 0, "finished with a child live");
        t1.join().unwrap();
        if let Some(child) = spawner.join().unwrap() {
            cancelled_once_or_finished(&child, "eager child");
        }
    });
}

/// A spawn from another thread against `TaskGroup::cancel`: the spawn is refused (admitted after
/// the cancel), or the child was registered before it and is cancelled by it, exactly once. The
/// child's body cannot end before the cancel (its second poll comes after it), so a child that
/// the cancel missed would end `Finished`; the group returns no error and waits for the child.
#[test]
fn spawn_vs_group_cancel() {
    model(|| {
        let group = Arc::new(__loom::Group::new(false));
        let spawner = {
            let group = group.clone();
            thread::spawn(move || {
                let (child, mut running) = group.spawn(yield_once(taskio::Ok(2u32)))?;
                // The first poll: suspended, or ended at once if the cancel came first.
                let pending = running.poll(Waker::noop()).is_pending();
                Some((child, pending.then_some(running)))
            })
        };
        assert!(group.cancel(), "the group was running");
        assert!(!group.cancel(), "a second cancel sends nothing");
        if let Some((child, running)) = spawner.join().unwrap() {
            assert_eq!(child.cancelling(), 1, "the cancel missed the child");
            if let Some(running) = running {
                run_to_end(running);
            }
            assert_eq!(child.state(), TaskState::Cancelled);
        }
        let errors = block_on(poll_fn(|cx| group.poll_finish(cx)));
        assert!(errors.is_empty(), "a cancel is no failure: {errors:?}");
        assert_eq!(group.live(), 0, "finished with a child live");
    });
}
