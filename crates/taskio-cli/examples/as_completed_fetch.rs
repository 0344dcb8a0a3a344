//! Seed 004, "asyncio.wait() and as_completed()": process results as they complete, without
//! waiting for the slowest. taskio's `as_completed` is a `Stream` of `(index, result)`, so each
//! result says which task it came from (asyncio's does not).
//!
//! ```python
//! async def main():
//!     tasks = {asyncio.create_task(fetch(c, u)) for u in urls}
//!     async for coro in asyncio.as_completed(tasks):
//!         result = await coro
//!         print(f"Done: {result}")
//! ```
//!
//! Run it: `cargo run -p taskio-cli --example as_completed_fetch`

use std::time::Duration;

use taskio::CancellableExt;

async fn fetch(client: reqwest::Client, url: String) -> taskio::Result<u16> {
    let response = client.get(url).send().cancellable().await??;
    Ok(response.status().as_u16())
}

/// The seed's `main()` against the server at `base`: the paths in completion order.
pub async fn program(base: String) -> taskio::Result<Vec<&'static str>> {
    let client = reqwest::Client::new();
    let urls = ["/delay/300", "/delay/100", "/delay/200"];
    let tasks = urls.map(|u| taskio::spawn(fetch(client.clone(), format!("{base}{u}"))));

    // Process as they complete — don't wait for the slowest
    let mut order = Vec::new();
    let mut completed = taskio::as_completed(tasks);
    while let Some((index, result)) = completed.next().await {
        println!("Done: {} ({})", result?, urls[index]);
        order.push(urls[index]);
    }
    Ok(order)
}

fn main() -> taskio::Result<()> {
    let server = taskio_cli::server::Server::start(Duration::from_millis(200))?;
    taskio::run(program(server.url("")))?;
    Ok(())
}
