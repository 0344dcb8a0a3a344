//! Seed 002, `gather_return_exceptions.py`: `ok()` and `bad()` gathered with
//! `return_exceptions=True`: `[1, ValueError('boom')]`. In taskio the error is a value of the
//! `Vec<taskio::Result<i64>>`, and `downcast_ref` finds the original error type.
//!
//! ```python
//! async def ok():
//!     return 1
//!
//! async def bad():
//!     raise ValueError("boom")
//!
//! async def main():
//!     res = await asyncio.gather(ok(), bad(), return_exceptions=True)
//!     print(res)
//! ```
//!
//! Run it: `cargo run -p taskio --example gather_ok_and_bad`

use std::fmt;

/// Python's `ValueError`, as a Rust error type.
#[derive(Debug)]
pub struct ValueError(pub &'static str);

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for ValueError {}

async fn ok() -> taskio::Result<i64> {
    Ok(1)
}

async fn bad() -> taskio::Result<i64> {
    Err(ValueError("boom").into())
}

/// The seed's `main()`: returns the settled results.
pub async fn program() -> taskio::Result<Vec<taskio::Result<i64>>> {
    // Two different async fns: spawn them, so that gather_settled sees one type, Task<i64>.
    let res = taskio::gather_settled([taskio::spawn(ok()), taskio::spawn(bad())]).await?;
    let shown: Vec<String> = res
        .iter()
        .map(|r| match r {
            Ok(v) => v.to_string(),
            Err(e) => match e.downcast_ref::<ValueError>() {
                Some(v) => format!("ValueError('{v}')"),
                None => e.to_string(),
            },
        })
        .collect();
    println!("[{}]", shown.join(", ")); // [1, ValueError('boom')]
    Ok(res)
}

fn main() -> taskio::Result<()> {
    taskio::run(program())?;
    Ok(())
}
