//! Seeds 000/001, "asyncio.gather()": three fetches run concurrently; the results come back as
//! one list, in input order, after one fetch's time.
//!
//! ```python
//! async def main():
//!     results = await asyncio.gather(
//!         fetch_data("url1"),
//!         fetch_data("url2"),
//!         fetch_data("url3"),
//!     )
//!     # results is a list: [result1, result2, result3]
//! ```
//!
//! Run it: `cargo run -p taskio --example gather_three`

use std::time::Duration;

async fn fetch_data(url: &str) -> taskio::Result<String> {
    taskio::sleep(Duration::from_secs(1)).await?;
    Ok(format!("Data from {url}"))
}

/// The seed's `main()`: returns the gathered list.
pub async fn program() -> taskio::Result<Vec<String>> {
    // The futures run inline in this task, concurrently, like asyncio's gather of coroutines.
    let results =
        taskio::gather([fetch_data("url1"), fetch_data("url2"), fetch_data("url3")]).await?;
    // results is a list: [result1, result2, result3]
    println!("{results:?}");
    Ok(results)
}

fn main() -> taskio::Result<()> {
    taskio::run(program())?;
    Ok(())
}
