//! Seeds 000/001, "asyncio.create_task()": two tasks start at once and are awaited one after
//! the other; the two one-second fetches overlap, so the whole takes one second.
//!
//! ```python
//! async def main():
//!     task1 = asyncio.create_task(fetch_data("url1"))
//!     task2 = asyncio.create_task(fetch_data("url2"))
//!     # Do other work while tasks run...
//!     result1 = await task1
//!     result2 = await task2
//! ```
//!
//! Run it: `cargo run -p taskio --example create_task_then_await`

use std::time::Duration;

/// The seed's `fetch_data(url)`: one second of I/O.
async fn fetch_data(url: &str) -> taskio::Result<String> {
    taskio::sleep(Duration::from_secs(1)).await?;
    Ok(format!("Data from {url}"))
}

/// The seed's `main()`: returns both results.
pub async fn program() -> taskio::Result<(String, String)> {
    // Create tasks (starts running immediately)
    let task1 = taskio::spawn(fetch_data("url1"));
    let task2 = taskio::spawn(fetch_data("url2"));
    // Do other work while tasks run...
    // Wait for results
    let result1 = task1.await?;
    let result2 = task2.await?;
    println!("result1 = {result1}");
    println!("result2 = {result2}");
    Ok((result1, result2))
}

fn main() -> taskio::Result<()> {
    taskio::run(program())?;
    Ok(())
}
