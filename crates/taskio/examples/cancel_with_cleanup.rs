//! Seed 003, "Cancelling Tasks": the task sees the cancellation at its `sleep`, prints, awaits
//! its cleanup, re-raises; its `finally` runs; the caller confirms the cancellation.
//!
//! ```python
//! async def cancellable_work():
//!     try:
//!         print("Task started. Now sleeping for 10 seconds.")
//!         await asyncio.sleep(10)
//!         print("Task finished successfully.")
//!     except asyncio.CancelledError:
//!         print("Task received cancellation signal! Cleaning up...")
//!         raise
//!     finally:
//!         print("This 'finally' block always runs, making it great for cleanup.")
//!
//! async def main():
//!     task = asyncio.create_task(cancellable_work())
//!     await asyncio.sleep(1)
//!     print("Main: Requesting task cancellation.")
//!     task.cancel()
//!     try:
//!         await task
//!     except asyncio.CancelledError:
//!         print("Main: Confirmed that the task was cancelled.")
//! ```
//!
//! Run it: `cargo run -p taskio --example cancel_with_cleanup`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

async fn cancellable_work(cleaned_up: Arc<AtomicBool>) -> taskio::Result<()> {
    println!("Task started. Now sleeping for 10 seconds.");
    let outcome = match taskio::sleep(Duration::from_secs(10)).await {
        Ok(()) => {
            println!("Task finished successfully."); // This won't be printed if cancelled
            Ok(())
        }
        Err(cancelled) => {
            println!("Task received cancellation signal! Cleaning up...");
            // Perform any necessary cleanup here: unlike a Drop impl, it can await.
            taskio::sleep(Duration::from_millis(100)).await?;
            cleaned_up.store(true, Ordering::SeqCst);
            Err(cancelled.into()) // re-raise: the task ends cancelled
        }
    };
    // the `finally` block
    println!("This 'finally' block always runs, making it great for cleanup.");
    outcome
}

/// The seed's `main()`: returns (the caller saw the cancellation, the cleanup ran).
pub async fn program() -> taskio::Result<(bool, bool)> {
    let cleaned_up = Arc::new(AtomicBool::new(false));
    let task = taskio::spawn(cancellable_work(cleaned_up.clone()));
    taskio::sleep(Duration::from_secs(1)).await?; // Let the task run for a bit

    println!("Main: Requesting task cancellation.");
    task.cancel();

    // Awaiting a cancelled task gives Err(Cancelled)
    let confirmed = match task.await {
        Err(e) if e.is_cancelled() => {
            println!("Main: Confirmed that the task was cancelled.");
            true
        }
        _ => false,
    };
    Ok((confirmed, cleaned_up.load(Ordering::SeqCst)))
}

fn main() -> taskio::Result<()> {
    taskio::run(program())?;
    Ok(())
}
