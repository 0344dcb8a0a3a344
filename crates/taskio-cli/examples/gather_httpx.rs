//! Seed 004, "asyncio.gather() — the simplest": five GETs run concurrently through one client;
//! the statuses come back in input order after about one request's time. The embedded server
//! stands in for httpbin.org (`/get` answers after 200 ms).
//!
//! ```python
//! async def fetch(client, url):
//!     r = await client.get(url)
//!     return r.status_code
//!
//! async def main():
//!     urls = ["https://httpbin.org/get"] * 5
//!     async with httpx.AsyncClient() as client:
//!         results = await asyncio.gather(*[fetch(client, u) for u in urls])
//!     print(results)  # [200, 200, 200, 200, 200]
//! ```
//!
//! Run it: `cargo run -p taskio-cli --example gather_httpx`

use std::time::Duration;

use taskio::CancellableExt;

async fn fetch(client: &reqwest::Client, url: &str) -> taskio::Result<u16> {
    let response = client.get(url).send().cancellable().await??;
    Ok(response.status().as_u16())
}

/// The seed's `main()` against the server at `base`: the five statuses.
pub async fn program(base: String) -> taskio::Result<Vec<u16>> {
    let urls = vec![format!("{base}/get"); 5];
    let client = reqwest::Client::new();
    // All 5 requests run in parallel
    let results = taskio::gather(urls.iter().map(|u| fetch(&client, u))).await?;
    println!("{results:?}"); // [200, 200, 200, 200, 200]
    Ok(results)
}

fn main() -> taskio::Result<()> {
    let server = taskio_cli::server::Server::start(Duration::from_millis(200))?;
    taskio::run(program(server.url("")))?;
    Ok(())
}
