//! Extreme values and deep structures (issue 12, "Crashes" and "Smaller"): `Duration::MAX`
//! wherever a duration is taken, deep nesting of eager spawns and of the task tree, and the time
//! functions called outside a runtime. Each must be an outcome or a clear message, never a crash.

mod support;
use support::both;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

/// Work that takes `d` and gives `v`.
async fn after(d: Duration, v: u32) -> taskio::Result<u32> {
    taskio::sleep(d).await?;
    Ok(v)
}

both! {
    /// `timeout(Duration::MAX, ..)` panicked with "overflow when adding duration to instant".
    async fn timeout_with_duration_max_is_no_limit() {
        let start = Instant::now();
        let v = taskio::timeout(Duration::MAX, after(UNIT, 5)).await.unwrap();
        assert_eq!(v, 5);
        support::assert_took(PAUSED, start, UNIT);
    }
}

both! {
    /// `Deadline::after(Duration::MAX)` panicked; it is an unset deadline, which can still be
    /// rescheduled.
    async fn deadline_after_duration_max_is_unset_and_can_be_moved() {
        let deadline = taskio::Deadline::after(Duration::MAX);
        assert_eq!(deadline.when(), None);
        let v = taskio::timeout_at(deadline.clone(), after(UNIT, 6)).await.unwrap();
        assert_eq!(v, 6);
        // That timeout has finished: its deadline no longer moves; a fresh one does.
        assert!(deadline.reschedule(Instant::now() + UNIT).unwrap_err().is_finished());
        let deadline = taskio::Deadline::after(Duration::MAX);
        deadline.reschedule(Instant::now() + UNIT).unwrap();
        let err = taskio::timeout_at(deadline, after(UNIT * 3, 7)).await.unwrap_err();
        assert!(err.is_timed_out(), "{err}");
    }
}

both! {
    /// `wait(..).timeout(Duration::MAX)` panicked; it waits as if there were no timeout.
    async fn wait_timeout_duration_max_is_no_limit() {
        let tasks = vec![taskio::spawn(after(UNIT, 1)), taskio::spawn(after(UNIT * 2, 2))];
        let (done, pending) = taskio::wait(tasks).timeout(Duration::MAX).await.unwrap();
        assert_eq!((done.len(), pending.len()), (2, 0));
    }
}

both! {
    /// `as_completed(..).timeout(Duration::MAX)` panicked; every item comes with its value.
    async fn as_completed_timeout_duration_max_is_no_limit() {
        let tasks = vec![taskio::spawn(after(UNIT * 2, 2)), taskio::spawn(after(UNIT, 1))];
        let mut stream = taskio::as_completed(tasks).timeout(Duration::MAX);
        let mut got = Vec::new();
        while let Some((i, r)) = stream.next().await {
            got.push((i, r.unwrap()));
        }
        assert_eq!(got, [(1, 1), (0, 2)]);
    }
}

/// `Runner::shutdown_grace(Duration::MAX)` panicked after main had returned, so main's value
/// was lost; it is "no limit": the leftover's cleanup runs and main's value comes back.
fn shutdown_grace_duration_max(runner: taskio::Runner) {
    let cleaned = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = cleaned.clone();
    let out = runner.shutdown_grace(Duration::MAX).run(async move {
        drop(taskio::spawn(async move {
            let r = taskio::sleep(Duration::from_secs(3600)).await;
            taskio::sleep(Duration::from_millis(1)).await.ok(); // async cleanup
            flag.store(true, std::sync::atomic::Ordering::SeqCst);
            r
        }));
        taskio::sleep(Duration::from_millis(1)).await?;
        taskio::Ok("main's value")
    });
    assert_eq!(out.unwrap(), "main's value");
    assert!(cleaned.load(std::sync::atomic::Ordering::SeqCst));
}

#[test]
fn shutdown_grace_duration_max_is_no_limit_current_thread() {
    shutdown_grace_duration_max(taskio::Runner::new());
}

#[test]
fn shutdown_grace_duration_max_is_no_limit_multi_thread() {
    shutdown_grace_duration_max(taskio::Runner::new().worker_threads(2));
}

/// The panic message of `f`.
fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let payload = std::panic::catch_unwind(f).expect_err("it panics");
    match payload.downcast::<String>() {
        Ok(s) => *s,
        Err(p) => p.downcast_ref::<&str>().copied().unwrap_or("?").to_owned(),
    }
}

/// `sleep`, `sleep_until`, `timeout` and `timeout_at` outside a runtime panicked with tokio's
/// "there is no reactor running"; now with taskio's message, which names the call, its place
/// and the fix, as `spawn`'s does.
#[test]
fn the_time_functions_outside_a_runtime_say_how_to_fix_it() {
    let work = || async { taskio::Ok(()) };
    let messages = [
        (
            "sleep",
            panic_message(|| drop(taskio::sleep(Duration::from_secs(1)))),
        ),
        (
            "sleep_until",
            panic_message(|| drop(taskio::sleep_until(Instant::now()))),
        ),
        (
            "timeout",
            panic_message(|| drop(taskio::timeout(Duration::from_secs(1), work()))),
        ),
        (
            "timeout_at",
            panic_message(|| drop(taskio::timeout_at(Instant::now(), work()))),
        ),
    ];
    for (what, message) in messages {
        assert!(message.contains(&format!("`{what}`")), "{message}");
        assert!(message.contains("taskio::run"), "{message}");
        assert!(message.contains("extremes.rs"), "{message}");
        assert!(!message.contains("reactor"), "{message}");
    }
    // A zero sleep needs no timer: it is a plain yield, and still builds anywhere.
    drop(taskio::sleep(Duration::ZERO));
}

type Boxed = std::pin::Pin<Box<dyn Future<Output = taskio::Result<usize>> + Send>>;

/// A chain of `n` eager spawns, each awaiting the next; gives `n`.
fn eager_chain(n: usize) -> Boxed {
    Box::pin(async move {
        if n == 0 {
            return Ok(0);
        }
        let child = taskio::task().eager().spawn(eager_chain(n - 1));
        Ok(child.await? + 1)
    })
}

both! {
    /// Eager spawns nested 5000 deep overflowed the stack (of a 2 MiB worker or test thread)
    /// and aborted the whole process; beyond a bounded depth an eager spawn is scheduled instead.
    async fn eager_spawns_nested_5000_deep_run_instead_of_overflowing_the_stack() {
        let top = taskio::task().eager().spawn(eager_chain(5000));
        assert_eq!(top.await.unwrap(), 5000);
    }
}

both! {
    /// A shallow chain is still eager all the way down: every body runs inside the first
    /// spawn, which returns a task already done.
    async fn a_shallow_eager_chain_is_still_done_when_spawn_returns() {
        let top = taskio::task().eager().spawn(eager_chain(20));
        assert!(top.is_done());
        assert_eq!(top.await.unwrap(), 20);
    }
}

/// A chain of `n` tasks, each awaiting the next; the last tells `reached` and sleeps an hour.
fn task_chain(n: usize, reached: Arc<tokio::sync::Notify>) -> Boxed {
    Box::pin(async move {
        if n == 0 {
            reached.notify_one();
            taskio::sleep(Duration::from_secs(3600)).await?;
            return Ok(0);
        }
        let child = taskio::task()
            .name("link")
            .spawn(task_chain(n - 1, reached));
        Ok(child.await? + 1)
    })
}

both! {
    /// `tree()`'s `Display` on a 20k-deep chain (one that runs fine) overflowed the stack, and
    /// its text grew with the square of the depth (200 MB at 10k). It is drawn without
    /// recursion, and beyond a bounded depth a line shows its depth as a number instead of
    /// ever longer guides: the text is linear in the number of tasks.
    async fn tree_of_a_20k_deep_chain_draws_in_linear_space() {
        const DEPTH: usize = 20_000;
        let reached = Arc::new(tokio::sync::Notify::new());
        let top = taskio::task()
            .name("link")
            .spawn(task_chain(DEPTH, reached.clone()));
        reached.notified().await;
        let tree = taskio::tree().subtree(top.id());
        let text = tree.to_string();
        let lines: Vec<&str> = text.lines().filter(|l| l.contains("link (id ")).collect();
        assert_eq!(lines.len(), DEPTH + 1, "one line per link");
        let longest = text.lines().map(str::len).max().unwrap();
        assert!(longest < 400, "a line of {longest} bytes");
        assert!(text.len() < (DEPTH + 2) * 400, "{} bytes", text.len());
        // Deep lines name their depth.
        assert!(
            lines.iter().any(|l| l.contains("depth 20000")),
            "{}",
            lines.last().unwrap()
        );
        top.cancel();
        assert!(top.await.unwrap_err().is_cancelled());
    }
}
