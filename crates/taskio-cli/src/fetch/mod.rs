//! `taskio fetch`: many URLs at once on taskio. Each URL is a named task (`fetch-3`); at most
//! `--limit` are in flight; results are printed as they complete. Fail-fast (the default) is
//! asyncio's `gather` without `return_exceptions`: the first failure cancels the requests in
//! flight (cooperatively: each drops its connection at its next await) and starts no more.
//! `--settled` is `return_exceptions=True`: every URL runs and is reported. Ctrl-C cancels the
//! requests in flight (`cancel_with("interrupted (Ctrl-C)")`), starts no more, and still prints
//! the summary.

pub mod body;
pub mod input;
pub mod outcome;
pub mod report;
pub mod request;

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use taskio::CancellableExt;

use outcome::Outcome;
use report::Reporter;
use request::Request;

/// The options of `taskio fetch`.
#[derive(Clone, Debug)]
pub struct FetchOptions {
    /// URLs from the command line.
    pub urls: Vec<String>,
    /// A file of URLs, one per line (`-` for stdin).
    pub file: Option<PathBuf>,
    /// At most this many requests in flight.
    pub limit: usize,
    /// Each request's limit, connect to last byte.
    pub timeout: Duration,
    /// Report every outcome instead of failing fast.
    pub settled: bool,
    /// One JSON object per URL, then a summary object.
    pub json: bool,
    /// Cut bodies larger than this.
    pub max_bytes: u64,
    /// Serve the embedded server and fetch a set of its URLs.
    pub demo: bool,
}

/// Runs `taskio fetch`: `Ok(true)` when every URL succeeded, `Ok(false)` when some failed,
/// `Err` for bad usage (no URLs, unreadable file).
///
/// ```
/// use std::time::Duration;
/// use taskio_cli::fetch::{FetchOptions, run};
///
/// let server = taskio_cli::server::Server::start(Duration::ZERO).unwrap();
/// let options = FetchOptions {
///     urls: vec![server.url("/status/200"), server.url("/bytes/10")],
///     file: None,
///     limit: 2,
///     timeout: Duration::from_secs(5),
///     settled: false,
///     json: true,
///     max_bytes: 1024,
///     demo: false,
/// };
/// assert_eq!(run(options), Ok(true));
/// ```
pub fn run(options: FetchOptions) -> Result<bool, String> {
    let mut options = options;
    let server = if options.demo {
        let server = crate::server::Server::start(Duration::from_millis(200))
            .map_err(|e| format!("cannot start the embedded server: {e}"))?;
        options
            .urls
            .extend(demo_paths().iter().map(|p| server.url(p)));
        if !options.json {
            println!("serving the embedded server at {}\n", server.addr());
        }
        Some(server)
    } else {
        None
    };
    if options.limit == 0 {
        return Err("--limit must be at least 1".to_owned());
    }
    let entries = input::read(&options.urls, options.file.as_deref())?;
    let outcomes = taskio::run(async move {
        let reporter = Reporter::new(entries.len(), options.json);
        let t0 = Instant::now();
        let outcomes = fetch_all(entries, &options, &reporter).await?;
        reporter.finish(&outcomes, t0.elapsed());
        taskio::Ok(outcomes)
    })
    .map_err(|e| format!("fetch failed: {e}"))?;
    drop(server);
    Ok(outcomes.iter().all(|o| o.ok))
}

/// The embedded server's URLs that `--demo` fetches.
fn demo_paths() -> [&'static str; 10] {
    [
        "/api/profile",
        "/api/activity",
        "/api/notifications",
        "/get",
        "/get",
        "/delay/50",
        "/delay/400",
        "/bytes/65536",
        "/bytes/2097152",
        "/status/204",
    ]
}

/// Fetches every valid entry, `options.limit` at a time, reporting each as it completes; the
/// outcomes come back in input order.
async fn fetch_all(
    entries: Vec<input::Entry>,
    options: &FetchOptions,
    reporter: &Reporter,
) -> taskio::Result<Vec<Outcome>> {
    let client = reqwest::Client::builder().build()?;
    let mut outcomes: Vec<Option<Outcome>> = vec![None; entries.len()];
    let mut queue = VecDeque::new();
    for (i, entry) in entries.into_iter().enumerate() {
        match entry.url {
            Ok(url) => queue.push_back((
                i,
                Request {
                    source: entry.source,
                    url,
                    timeout: options.timeout,
                    max_bytes: options.max_bytes,
                },
            )),
            Err(why) => {
                let o = Outcome::failed(&entry.source, &entry.text, 0.0, why);
                reporter.outcome(&o);
                outcomes[i] = Some(o);
            }
        }
    }

    // Each task says which one it is on `done` as its last act; the loop then awaits it.
    let (done_tx, mut done) = tokio::sync::mpsc::unbounded_channel::<usize>();
    let mut running: HashMap<usize, taskio::Task<Outcome>> = HashMap::new();
    // Why no more requests start, once one failed (fail-fast) or Ctrl-C came.
    let mut stopped: Option<&'static str> = None;
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        while stopped.is_none() && running.len() < options.limit {
            let Some((i, req)) = queue.pop_front() else {
                break;
            };
            let client = client.clone();
            let done_tx = done_tx.clone();
            let task = taskio::task()
                .name(format!("fetch-{}", i + 1))
                .spawn(async move {
                    let outcome = request::fetch(client, req).await;
                    let _ = done_tx.send(i);
                    taskio::Ok(outcome)
                });
            running.insert(i, task);
        }
        reporter.in_flight(running.len());
        if running.is_empty() {
            break;
        }
        let i = tokio::select! {
            i = done.recv().cancellable() => match i? {
                Some(i) => i,
                None => unreachable!("the loop holds a sender"),
            },
            _ = &mut interrupted, if stopped != Some(INTERRUPTED) => {
                // Ctrl-C: cancel what runs, start nothing more, report what was done.
                stopped = Some(INTERRUPTED);
                for task in running.values() {
                    task.cancel_with(INTERRUPTED);
                }
                continue;
            }
        };
        let Some(task) = running.remove(&i) else {
            continue;
        };
        let outcome = task.await?;
        reporter.outcome(&outcome);
        if !outcome.ok && !options.settled && stopped.is_none() {
            stopped = Some(FAIL_FAST);
            for task in running.values() {
                task.cancel_with(FAIL_FAST);
            }
        }
        outcomes[i] = Some(outcome);
    }
    for (i, req) in queue {
        let o = Outcome::failed(
            &req.source,
            req.url.as_str(),
            0.0,
            format!("not started: {}", stopped.unwrap_or(FAIL_FAST)),
        );
        reporter.outcome(&o);
        outcomes[i] = Some(o);
    }
    Ok(outcomes.into_iter().flatten().collect())
}

/// Why requests in flight are cancelled on the first failure (without `--settled`).
const FAIL_FAST: &str = "another URL failed (fail-fast; --settled runs every URL)";

/// Why requests in flight are cancelled on Ctrl-C.
const INTERRUPTED: &str = "interrupted (Ctrl-C)";

/// Parses a duration: `500ms`, `2s`, `1.5` (seconds), `1m`.
///
/// ```
/// use std::time::Duration;
/// use taskio_cli::fetch::parse_duration;
/// assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
/// assert_eq!(parse_duration("2"), Ok(Duration::from_secs(2)));
/// assert!(parse_duration("soon").is_err());
/// ```
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(at) => s.split_at(at),
        None => (s, "s"),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a duration (e.g. 500ms, 2s, 1.5)"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        _ => return Err(format!("'{s}': unknown unit '{unit}' (ms, s, m)")),
    };
    Duration::try_from_secs_f64(seconds).map_err(|e| format!("'{s}': {e}"))
}

/// Parses a size: `1024`, `64k`, `10MiB`, `1g` (binary units).
///
/// ```
/// use taskio_cli::fetch::parse_size;
/// assert_eq!(parse_size("10MiB"), Ok(10 * 1024 * 1024));
/// assert_eq!(parse_size("64k"), Ok(65536));
/// assert_eq!(parse_size("100"), Ok(100));
/// ```
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let at = s.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(s.len());
    let (number, unit) = s.split_at(at);
    let value: u64 = number
        .trim()
        .parse()
        .map_err(|_| format!("'{s}' is not a size (e.g. 1024, 64k, 10MiB)"))?;
    let factor: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("'{s}': unknown unit '{unit}' (k, m, g)")),
    };
    value
        .checked_mul(factor)
        .ok_or_else(|| format!("'{s}' is too large"))
}
