//! Seeds 000/001, "Task Cancellation": cancel a long operation after five seconds; awaiting it
//! then gives `Err(Cancelled)`, asyncio's `CancelledError`.
//!
//! ```python
//! task = asyncio.create_task(long_operation())
//! await asyncio.sleep(5)
//! task.cancel()
//! try:
//!     await task
//! except asyncio.CancelledError:
//!     print("Task was cancelled")
//! ```
//!
//! Run it: `cargo run -p taskio --example cancel_after_sleep`

use std::time::Duration;

/// An operation that would take an hour.
async fn long_operation() -> taskio::Result<&'static str> {
    taskio::sleep(Duration::from_secs(3600)).await?;
    Ok("finished")
}

/// The seed's program: returns whether the task was cancelled.
pub async fn program() -> taskio::Result<bool> {
    let task = taskio::spawn(long_operation());

    // Cancel after 5 seconds
    taskio::sleep(Duration::from_secs(5)).await?;
    task.cancel();

    match task.await {
        Err(e) if e.is_cancelled() => {
            println!("Task was cancelled");
            Ok(true)
        }
        Err(e) => Err(e),
        Ok(value) => {
            println!("Task finished anyway: {value}");
            Ok(false)
        }
    }
}

fn main() -> taskio::Result<()> {
    taskio::run(program())?;
    Ok(())
}
