//! Seed 004, "asyncio.create_task() — when you need control": two named fetch tasks start at
//! once; after 0.1 s the first is cancelled mid-request (its connection is dropped at its next
//! await) and the second's status is awaited. Runs against the embedded server, whose `/get`
//! answers after 200 ms.
//!
//! ```python
//! async def main():
//!     task1 = asyncio.create_task(fetch(client, url1), name="fetch-1")
//!     task2 = asyncio.create_task(fetch(client, url2), name="fetch-2")
//!     await asyncio.sleep(0.1)
//!     task1.cancel()  # changed my mind
//!     try:
//!         result = await task2
//!     except asyncio.CancelledError:
//!         pass
//! ```
//!
//! Run it: `cargo run -p taskio-cli --example create_task_fetch_cancel`

use std::time::Duration;

use taskio::CancellableExt;

/// The seed's `fetch(client, url)`: the status code; a taskio cancellation point.
async fn fetch(client: reqwest::Client, url: String) -> taskio::Result<u16> {
    let response = client.get(url).send().cancellable().await??;
    Ok(response.status().as_u16())
}

/// The seed's `main()` against the server at `base`: returns fetch-2's status and whether
/// fetch-1 ended cancelled.
pub async fn program(base: String) -> taskio::Result<(u16, bool)> {
    let client = reqwest::Client::new();
    let (url1, url2) = (format!("{base}/get"), format!("{base}/get"));
    // Task is created and IMMEDIATELY starts running
    let task1 = taskio::task()
        .name("fetch-1")
        .spawn(fetch(client.clone(), url1));
    let task2 = taskio::task()
        .name("fetch-2")
        .spawn(fetch(client.clone(), url2));

    // Can cancel while waiting
    taskio::sleep(Duration::from_millis(100)).await?;
    task1.cancel(); // changed my mind

    let result = task2.await?;
    println!("fetch-2: {result}");
    let cancelled = task1.await.is_err_and(|e| e.is_cancelled());
    println!("fetch-1 cancelled: {cancelled}");
    Ok((result, cancelled))
}

fn main() -> taskio::Result<()> {
    let server = taskio_cli::server::Server::start(Duration::from_millis(200))?;
    taskio::run(program(server.url("")))?;
    Ok(())
}
