//! Seeds 000/001, "Error Handling with gather": with `return_exceptions=True` a failure is one
//! of the results instead of an exception. taskio's `gather_settled` gives a
//! `Vec<taskio::Result<T>>`.
//!
//! ```python
//! results = await asyncio.gather(task1(), task2(), return_exceptions=True)
//! for result in results:
//!     if isinstance(result, Exception):
//!         print(f"Task failed: {result}")
//!     else:
//!         print(f"Success: {result}")
//! ```
//!
//! Run it: `cargo run -p taskio --example gather_return_exceptions`

use std::time::Duration;

async fn task1() -> taskio::Result<String> {
    taskio::sleep(Duration::from_millis(500)).await?;
    Ok("task1 done".to_owned())
}

async fn task2() -> taskio::Result<String> {
    taskio::sleep(Duration::from_secs(1)).await?;
    Err(taskio::Error::msg("task2 broke"))
}

/// The seed's program: returns the printed lines.
pub async fn program() -> taskio::Result<Vec<String>> {
    let results = taskio::gather_settled([
        taskio::task().name("task1").spawn(task1()),
        taskio::task().name("task2").spawn(task2()),
    ])
    .await?; // Don't raise, return exceptions
    let mut lines = Vec::new();
    for result in results {
        let line = match result {
            Err(e) => format!("Task failed: {e}"),
            Ok(value) => format!("Success: {value}"),
        };
        println!("{line}");
        lines.push(line);
    }
    Ok(lines)
}

fn main() -> taskio::Result<()> {
    taskio::run(program())?;
    Ok(())
}
