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
#[path = "../examples/gather_ok_and_bad.rs"]
#[allow(dead_code)]
mod gather_ok_and_bad;
#[path = "../examples/gather_return_exceptions.rs"]
#[allow(dead_code)]
mod gather_return_exceptions;
#[path = "../examples/gather_squares.rs"]
#[allow(dead_code)]
mod gather_squares;
#[path = "../examples/gather_three.rs"]
#[allow(dead_code)]
mod gather_three;
#[path = "../examples/gather_timing.rs"]
#[allow(dead_code)]
mod gather_timing;
#[path = "../examples/gather_with_failures.rs"]
#[allow(dead_code)]
mod gather_with_failures;
#[path = "../examples/wait_first_completed.rs"]
#[allow(dead_code)]
mod wait_first_completed;

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

#[tokio::test(start_paused = true)]
async fn gather_three_returns_the_list_after_one_fetch() {
    let (out, took) = timed(gather_three::program()).await;
    assert_eq!(
        out.unwrap(),
        ["Data from url1", "Data from url2", "Data from url3"]
    );
    assert_eq!(took, Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn gather_return_exceptions_keeps_the_failure_as_a_value() {
    let (out, took) = timed(gather_return_exceptions::program()).await;
    let lines = out.unwrap();
    assert_eq!(lines[0], "Success: task1 done");
    assert!(lines[1].starts_with("Task failed: ") && lines[1].contains("task2 broke"));
    assert_eq!(took, Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn wait_first_completed_returns_at_the_first_and_cancels_the_rest() {
    let (out, took) = timed(wait_first_completed::program()).await;
    let (results, cancelled) = out.unwrap();
    assert_eq!(results, ["Data from url1"]);
    assert_eq!(cancelled, 2);
    assert_eq!(took, Duration::from_secs(1));
}

#[tokio::test(start_paused = true)]
async fn gather_timing_takes_two_seconds_not_three_and_a_half() {
    let (out, took) = timed(gather_timing::program()).await;
    assert_eq!(
        out.unwrap(),
        [
            "Data from api/users",
            "Data from api/posts",
            "Data from api/comments"
        ]
    );
    assert_eq!(took, Duration::from_secs(2));
}

#[tokio::test(start_paused = true)]
async fn gather_squares_in_input_order() {
    let (out, took) = timed(gather_squares::program()).await;
    assert_eq!(out.unwrap(), [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]);
    assert_eq!(took, Duration::from_millis(100));
}

#[tokio::test(start_paused = true)]
async fn gather_ok_and_bad_settles_both() {
    let (out, took) = timed(gather_ok_and_bad::program()).await;
    let res = out.unwrap();
    assert_eq!(*res[0].as_ref().unwrap(), 1);
    let err = res[1].as_ref().unwrap_err();
    assert_eq!(
        err.downcast_ref::<gather_ok_and_bad::ValueError>()
            .unwrap()
            .0,
        "boom"
    );
    assert_eq!(took, Duration::ZERO);
}

#[tokio::test(start_paused = true)]
async fn gather_with_failures_keeps_e_in_its_place_and_runs_d_and_f() {
    let (out, took) = timed(gather_with_failures::program()).await;
    let (all, mixed) = out.unwrap();
    assert_eq!(all, ["Data from A", "Data from B", "Data from C"]);
    assert_eq!(mixed[0].as_ref().unwrap(), "Data from D");
    assert!(
        mixed[1]
            .as_ref()
            .unwrap_err()
            .to_string()
            .contains("Failed to fetch data E!")
    );
    assert_eq!(mixed[2].as_ref().unwrap(), "Data from F");
    assert_eq!(took, Duration::from_secs(6));
}
