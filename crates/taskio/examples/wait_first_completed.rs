//! Seeds 000/001, "asyncio.wait()": wait for the first task to complete (with a timeout), read
//! its result, cancel the pending ones. taskio's `wait` returns `(done, pending)` too; the
//! pending tasks keep running until cancelled.
//!
//! ```python
//! done, pending = await asyncio.wait(
//!     tasks, timeout=5.0, return_when=asyncio.FIRST_COMPLETED
//! )
//! for task in done:
//!     result = task.result()
//! for task in pending:
//!     task.cancel()
//! ```
//!
//! Run it: `cargo run -p taskio --example wait_first_completed`

use std::time::Duration;

async fn fetch_data(url: &str, seconds: u64) -> taskio::Result<String> {
    taskio::sleep(Duration::from_secs(seconds)).await?;
    Ok(format!("Data from {url}"))
}

/// The seed's program: returns the first result and how many pending tasks ended cancelled.
pub async fn program() -> taskio::Result<(Vec<String>, usize)> {
    let tasks = vec![
        taskio::task().name("url1").spawn(fetch_data("url1", 1)),
        taskio::task().name("url2").spawn(fetch_data("url2", 2)),
        taskio::task().name("url3").spawn(fetch_data("url3", 3)),
    ];
    let (done, pending) = taskio::wait(tasks)
        .first_completed()
        .timeout(Duration::from_secs(5))
        .await?;

    let mut results = Vec::new();
    for mut task in done {
        if let Some(result) = task.try_result() {
            let result = result?;
            println!("done: {result}");
            results.push(result);
        }
    }

    pending.cancel_all();
    // Wait for the cancelled tasks to finish their cleanup (asyncio.run would do it at exit).
    let (cancelled, _) = taskio::wait(pending).await?;
    let n = cancelled.iter().filter(|t| t.is_cancelled()).count();
    println!("cancelled {n} pending");
    Ok((results, n))
}

fn main() -> taskio::Result<()> {
    taskio::run(program())?;
    Ok(())
}
