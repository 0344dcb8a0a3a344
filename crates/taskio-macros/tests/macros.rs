//! `#[taskio::main]` and `#[taskio::test]` as a program uses them: the body is taskio's `main`
//! task, the options reach the runtime, the declared return type comes back with its downcasts,
//! and run's shutdown cancels what the body left running and waits for its cleanup.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::runtime::RuntimeFlavor;

#[taskio::test]
async fn the_body_is_the_main_task_on_a_current_thread_runtime() {
    let me = taskio::current().expect("the body runs as a taskio task");
    assert_eq!(me.name(), "main");
    assert_eq!(
        tokio::runtime::Handle::current().runtime_flavor(),
        RuntimeFlavor::CurrentThread
    );
}

#[taskio::test(start_paused = true)]
async fn start_paused_gives_the_exact_paused_clock() -> taskio::Result<()> {
    let start = tokio::time::Instant::now();
    taskio::sleep(Duration::from_secs(3600)).await?;
    assert_eq!(start.elapsed(), Duration::from_secs(3600));
    Ok(())
}

#[taskio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_thread_with_two_workers() {
    let handle = tokio::runtime::Handle::current();
    assert_eq!(handle.runtime_flavor(), RuntimeFlavor::MultiThread);
    assert_eq!(handle.metrics().num_workers(), 2);
    assert_eq!(taskio::current().unwrap().name(), "main");
}

#[taskio::test]
#[should_panic(expected = "task 'main' panicked: the body's own assertion")]
async fn a_panicking_body_fails_the_test() {
    panic!("the body's own assertion");
}

static CLEANED: AtomicBool = AtomicBool::new(false);

/// Any function can carry `#[taskio::main]`: this one leaves a task running.
#[taskio::main]
async fn leaves_a_task_running() -> taskio::Result<&'static str> {
    drop(taskio::task().name("leftover").spawn(async {
        if let Err(c) = taskio::sleep(Duration::from_secs(3600)).await {
            taskio::sleep(Duration::from_millis(1)).await.ok(); // async cleanup
            CLEANED.store(true, Ordering::SeqCst);
            return Err(c.into());
        }
        taskio::Ok(())
    }));
    taskio::sleep(Duration::from_millis(1)).await?;
    Ok("main's value")
}

#[test]
fn main_returns_after_runs_shutdown_cancelled_the_leftover_and_awaited_its_cleanup() {
    assert_eq!(leaves_a_task_running().unwrap(), "main's value");
    assert!(CLEANED.load(Ordering::SeqCst));
}

#[taskio::main]
async fn fails_with_anyhow() -> anyhow::Result<()> {
    let n: u16 = "eighty".parse()?; // a std error into anyhow
    let _ = n;
    Ok(())
}

#[taskio::main]
async fn fails_in_a_task_with_anyhow() -> anyhow::Result<()> {
    taskio::task()
        .name("worker")
        .spawn(async { Err::<(), _>(taskio::Error::msg("worker broke")) })
        .await?; // taskio into anyhow
    Ok(())
}

#[taskio::main]
async fn fails_boxed() -> Result<u8, Box<dyn std::error::Error + Send + Sync>> {
    Err("boxed failure".into())
}

#[test]
fn the_declared_error_type_comes_back_with_its_downcasts() {
    let a = fails_with_anyhow().unwrap_err();
    // The body's anyhow::Error went through the main task and back: it is labelled with the
    // task, and the ParseIntError is still inside.
    let task_err = a.downcast_ref::<taskio::Error>().expect("a taskio::Error");
    assert_eq!(task_err.task_name(), Some("main"));
    assert!(task_err.is::<std::num::ParseIntError>());
    assert_eq!(
        format!("{a:#}"),
        "task 'main' failed: invalid digit found in string"
    );

    // A taskio::Error that went into anyhow comes back as itself: named by the task it left
    // first, not relabelled by main.
    let a = fails_in_a_task_with_anyhow().unwrap_err();
    assert_eq!(format!("{a:#}"), "task 'worker' failed: worker broke");

    let b = fails_boxed().unwrap_err();
    assert_eq!(b.to_string(), "task 'main' failed: boxed failure");
    assert_eq!(
        taskio::Error::find_in(&*b).and_then(|e| e.task_name()),
        Some("main")
    );
}
