//! Seed 002, `create_task.py`: two 0.2 s jobs as tasks, awaited in order: `done 1`, `done 2`,
//! after 0.2 s in all.
//!
//! ```python
//! async def job(i: int) -> str:
//!     await asyncio.sleep(0.2)
//!     return f"done {i}"
//!
//! async def main():
//!     t1 = asyncio.create_task(job(1))
//!     t2 = asyncio.create_task(job(2))
//!     print(await t1)
//!     print(await t2)
//! ```
//!
//! Run it: `cargo run -p taskio --example create_task_jobs`

use std::time::Duration;

async fn job(i: u32) -> taskio::Result<String> {
    taskio::sleep(Duration::from_millis(200)).await?;
    Ok(format!("done {i}"))
}

/// The seed's `main()`: returns what it printed.
pub async fn program() -> taskio::Result<Vec<String>> {
    let t1 = taskio::spawn(job(1));
    let t2 = taskio::spawn(job(2));

    // await results
    let r1 = t1.await?;
    println!("{r1}");
    let r2 = t2.await?;
    println!("{r2}");
    Ok(vec![r1, r2])
}

fn main() -> taskio::Result<()> {
    taskio::run(program())?;
    Ok(())
}
