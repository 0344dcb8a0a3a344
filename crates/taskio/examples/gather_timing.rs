//! Seeds 000/001, "Concurrent fetching with gather": 1 s, 2 s and 0.5 s fetches gathered take
//! 2 s in all (not 3.5 s), and the results keep the input order.
//!
//! ```python
//! async def fetch(url, delay):
//!     await asyncio.sleep(delay)
//!     return f"Data from {url}"
//!
//! async def main():
//!     results = await asyncio.gather(
//!         fetch("api/users", 1),
//!         fetch("api/posts", 2),
//!         fetch("api/comments", 0.5),
//!     )
//!     for r in results:
//!         print(r)
//! ```
//!
//! Run it: `cargo run -p taskio --example gather_timing`

use std::time::{Duration, Instant};

async fn fetch(url: &str, delay: Duration) -> taskio::Result<String> {
    taskio::sleep(delay).await?;
    Ok(format!("Data from {url}"))
}

/// The seed's `main()`: returns the results, in input order.
pub async fn program() -> taskio::Result<Vec<String>> {
    // Run concurrently
    let results = taskio::gather([
        fetch("api/users", Duration::from_secs(1)),
        fetch("api/posts", Duration::from_secs(2)),
        fetch("api/comments", Duration::from_millis(500)),
    ])
    .await?;
    // Results in order: [users, posts, comments]
    for r in &results {
        println!("{r}");
    }
    Ok(results)
}

fn main() -> taskio::Result<()> {
    let start = Instant::now();
    taskio::run(program())?;
    // Total time: ~2 seconds (not 3.5!)
    println!("took {:.2?}", start.elapsed());
    Ok(())
}
