//! Runs every example in `examples/` in-process, on the paused clock: each seed program returns
//! what asyncio's would and takes exactly asyncio's (virtual) time.
//!
//! The examples are included as modules (`#[path]`), so their `program()` runs inside the
//! test's runtime; their `main` (which builds its own runtime with `taskio::run`) is not called.

use std::time::Duration;

use tokio::time::Instant;

#[path = "../examples/cancel_after_sleep.rs"]
#[allow(dead_code)]
mod cancel_after_sleep;
#[path = "../examples/cancel_with_cleanup.rs"]
#[allow(dead_code)]
mod cancel_with_cleanup;
#[path = "../examples/create_task_jobs.rs"]
#[allow(dead_code)]
mod create_task_jobs;
#[path = "../examples/create_task_then_await.rs"]
#[allow(dead_code)]
mod create_task_then_await;
#[path = "../examples/create_task_two_named.rs"]
#[allow(dead_code)]
mod create_task_two_named;

/// Runs `program` as a taskio task (as `taskio::run` would) and returns its value and the
/// virtual time it took.
async fn timed<F>(program: F) -> (F::Output, Duration)
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let start = Instant::now();
    let task = taskio::task()
        .name("main")
        .spawn(async move { taskio::Ok(program.await) });
    let out = task.await.expect("the example's main task completes");
    (out, start.elapsed())
}

#[tokio::test(start_paused = true)]
async fn create_task_then_await_overlaps_the_two_fetches() {
    let (out, took) = timed(create_task_then_await::program()).await;
    let (r1, r2) = out.unwrap();
    assert_eq!(
        (r1.as_str(), r2.as_str()),
        ("Data from url1", "Data from url2")
    );
    assert_eq!(took, Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn cancel_after_sleep_cancels_at_five_seconds() {
    let (out, took) = timed(cancel_after_sleep::program()).await;
    assert!(out.unwrap(), "the task was cancelled");
    assert_eq!(took, Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn create_task_jobs_run_concurrently() {
    let (out, took) = timed(create_task_jobs::program()).await;
    assert_eq!(out.unwrap(), ["done 1", "done 2"]);
    assert_eq!(took, Duration::from_millis(200));
}

#[tokio::test(start_paused = true)]
async fn create_task_two_named_takes_the_slowest_tasks_time() {
    let (out, took) = timed(create_task_two_named::program()).await;
    let (results, names) = out.unwrap();
    assert_eq!(results, (10, 20));
    assert_eq!(names, ("Fast Task".to_owned(), "Slow Task".to_owned()));
    assert_eq!(took, Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn cancel_with_cleanup_runs_the_cleanup_before_the_caller_confirms() {
    let (out, took) = timed(cancel_with_cleanup::program()).await;
    assert_eq!(out.unwrap(), (true, true));
    // 1 s before the cancel, then the cleanup's 100 ms, awaited by the caller.
    assert_eq!(took, Duration::from_millis(1100));
}
