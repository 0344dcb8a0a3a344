//! Seed 003, "Creating Tasks with asyncio.create_task()": a "Fast Task" and a "Slow Task" run
//! while main does its own work; output in asyncio's order, 2 s in all.
//!
//! ```python
//! async def background_work(n):
//!     print(f"Task {n}: starting")
//!     await asyncio.sleep(n)
//!     print(f"Task {n}: finished after {n}s")
//!     return n * 10
//!
//! async def main():
//!     task1 = asyncio.create_task(background_work(1), name="Fast Task")
//!     task2 = asyncio.create_task(background_work(2), name="Slow Task")
//!     print("Main coroutine: Tasks are scheduled, now I can do other work...")
//!     await asyncio.sleep(0.5)
//!     print("Main coroutine: Done with my work, now I'll wait for the tasks.")
//!     result1 = await task1
//!     result2 = await task2
//!     print(f"Results: {result1}, {result2}")
//! ```
//!
//! Output (asyncio's and taskio's):
//!
//! ```text
//! Main coroutine: Tasks are scheduled, now I can do other work...
//! Task 1: starting
//! Task 2: starting
//! Main coroutine: Done with my work, now I'll wait for the tasks.
//! Task 1: finished after 1s
//! Task 2: finished after 2s
//! Results: 10, 20
//! ```
//!
//! Run it: `cargo run -p taskio --example create_task_two_named`

use std::time::Duration;

async fn background_work(n: u64) -> taskio::Result<u64> {
    println!("Task {n}: starting");
    taskio::sleep(Duration::from_secs(n)).await?; // Simulate some I/O-bound work
    println!("Task {n}: finished after {n}s");
    Ok(n * 10)
}

/// The seed's `main()`: returns both results and the tasks' names.
pub async fn program() -> taskio::Result<((u64, u64), (String, String))> {
    // Create two tasks, scheduling them to run immediately
    let task1 = taskio::task().name("Fast Task").spawn(background_work(1));
    let task2 = taskio::task().name("Slow Task").spawn(background_work(2));
    let names = (task1.name().into_owned(), task2.name().into_owned());

    println!("Main coroutine: Tasks are scheduled, now I can do other work...");
    taskio::sleep(Duration::from_millis(500)).await?; // The main coroutine does its own thing
    println!("Main coroutine: Done with my work, now I'll wait for the tasks.");

    // Await the tasks to retrieve their results and ensure they are finished
    let result1 = task1.await?;
    let result2 = task2.await?;

    println!("Results: {result1}, {result2}");
    Ok(((result1, result2), names))
}

fn main() -> taskio::Result<()> {
    taskio::run(program())?;
    Ok(())
}
