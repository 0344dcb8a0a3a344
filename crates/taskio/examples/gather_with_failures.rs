//! Seed 003, "Gathering Multiple Tasks with asyncio.gather()": A, B, C gathered (3 s, results in
//! input order), then D, E, F with E failing and `return_exceptions=True` (3 s more): the
//! failure is kept in its place and D and F run to the end.
//!
//! ```python
//! async def fetch_data(id, delay, should_fail=False):
//!     await asyncio.sleep(delay)
//!     if should_fail:
//!         raise RuntimeError(f"Failed to fetch data {id}!")
//!     return f"Data from {id}"
//!
//! async def main():
//!     results = await asyncio.gather(
//!         fetch_data("A", 3), fetch_data("B", 1), fetch_data("C", 2),
//!     )
//!     print("All successful:", results)
//!     mixed_results = await asyncio.gather(
//!         fetch_data("D", 1), fetch_data("E", 2, should_fail=True), fetch_data("F", 3),
//!         return_exceptions=True,
//!     )
//!     print("With exceptions handled:", mixed_results)
//! ```
//!
//! Run it: `cargo run -p taskio --example gather_with_failures`

use std::time::Duration;

async fn fetch_data(id: &str, delay: u64, should_fail: bool) -> taskio::Result<String> {
    taskio::sleep(Duration::from_secs(delay)).await?;
    if should_fail {
        return Err(taskio::Error::msg(format!("Failed to fetch data {id}!")));
    }
    Ok(format!("Data from {id}"))
}

/// The seed's `main()`: returns both gathers' results.
pub async fn program() -> taskio::Result<(Vec<String>, Vec<taskio::Result<String>>)> {
    // Run three tasks concurrently
    let results = taskio::gather([
        fetch_data("A", 3, false),
        fetch_data("B", 1, false),
        fetch_data("C", 2, false),
    ])
    .await?;
    println!("All successful: {results:?}");

    // Demonstrate error handling with gather_settled (return_exceptions=True)
    let mixed_results = taskio::gather_settled([
        fetch_data("D", 1, false),
        fetch_data("E", 2, true),
        fetch_data("F", 3, false),
    ])
    .await?;
    let shown: Vec<String> = mixed_results
        .iter()
        .map(|r| match r {
            Ok(v) => format!("{v:?}"),
            Err(e) => format!("Error({e})"),
        })
        .collect();
    println!("With exceptions handled: [{}]", shown.join(", "));
    Ok((results, mixed_results))
}

fn main() -> taskio::Result<()> {
    taskio::run(program())?;
    Ok(())
}
