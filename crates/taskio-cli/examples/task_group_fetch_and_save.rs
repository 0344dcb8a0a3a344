//! Seed 004, "TaskGroup (Python 3.11+) — structured concurrency": one task per URL, each saving
//! its result; the group returns only when all are done, and if one fails the others are
//! cancelled (and awaited) and the group's error lists the failure. While the group runs,
//! `taskio::tree()` prints the live task tree.
//!
//! ```python
//! async def main():
//!     results = []
//!     async with asyncio.TaskGroup() as tg:
//!         for url in urls:
//!             tg.create_task(fetch_and_save(url, results))
//!     # Reach here only when ALL tasks complete
//!     # If one fails — all others are automatically cancelled
//!     print(f"Collected: {len(results)}")
//! ```
//!
//! Run it: `cargo run -p taskio-cli --example task_group_fetch_and_save`

use std::sync::{Arc, Mutex};
use std::time::Duration;

use taskio::CancellableExt;

type Results = Arc<Mutex<Vec<String>>>;

/// Fetches `url` and saves its body; a 4xx/5xx status is an error.
async fn fetch_and_save(
    client: reqwest::Client,
    url: String,
    results: Results,
) -> taskio::Result<()> {
    let response = client.get(&url).send().cancellable().await??;
    let status = response.status();
    if status.is_client_error() || status.is_server_error() {
        return Err(taskio::Error::msg(format!("{url}: HTTP {status}")));
    }
    let body = response.text().cancellable().await??;
    results
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .push(body);
    Ok(())
}

/// Runs the seed's group over `paths` on the server at `base`: `Ok(collected)`, or the group's
/// error.
pub async fn program(base: String, paths: Vec<&'static str>) -> taskio::Result<usize> {
    let client = reqwest::Client::new();
    let results: Results = Arc::default();
    let saved = results.clone();
    taskio::task_group(move |tg| async move {
        for (i, path) in paths.into_iter().enumerate() {
            drop(tg.spawn_with(
                taskio::task().name(format!("fetch_and_save-{}", i + 1)),
                fetch_and_save(client.clone(), format!("{base}{path}"), saved.clone()),
            )?);
        }
        taskio::sleep(Duration::from_millis(50)).await?;
        println!("{}", taskio::tree());
        taskio::Ok(())
    })
    .await?;
    // Reach here only when ALL tasks complete
    let collected = results.lock().map_or(0, |r| r.len());
    println!("Collected: {collected}");
    Ok(collected)
}

fn main() -> taskio::Result<()> {
    let server = taskio_cli::server::Server::start(Duration::from_millis(200))?;
    let base = server.url("");
    taskio::run(program(base.clone(), vec!["/get"; 5]))?;
    // If one fails — all others are automatically cancelled
    let failed = taskio::run(program(
        base,
        vec!["/get", "/get", "/delay/100/status/500", "/get"],
    ));
    if let Err(e) = failed {
        println!("TaskGroup failed: {e}");
    }
    Ok(())
}
