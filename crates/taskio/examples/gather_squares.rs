//! Seed 002, `gather.py`: ten 0.1 s jobs gathered from an iterator; squares in input order after
//! 0.1 s.
//!
//! ```python
//! async def job(i: int) -> int:
//!     await asyncio.sleep(0.1)
//!     return i * i
//!
//! async def main():
//!     results = await asyncio.gather(*(job(i) for i in range(10)))
//!     print(results)
//! ```
//!
//! Run it: `cargo run -p taskio --example gather_squares`

use std::time::Duration;

async fn job(i: u64) -> taskio::Result<u64> {
    taskio::sleep(Duration::from_millis(100)).await?;
    Ok(i * i)
}

/// The seed's `main()`: returns the squares.
pub async fn program() -> taskio::Result<Vec<u64>> {
    let results = taskio::gather((0..10).map(job)).await?;
    println!("{results:?}");
    Ok(results)
}

fn main() -> taskio::Result<()> {
    taskio::run(program())?;
    Ok(())
}
