//! `taskio fetch`: many URLs at once on taskio. Each URL is a named task (`fetch-3`); at most
//! `--limit` are in flight; results are printed as they complete. Fail-fast (the default) is
//! asyncio's `gather` without `return_exceptions`: the first failure cancels the requests in
//! flight (cooperatively: each drops its connection at its next await) and starts no more.
//! `--settled` is `return_exceptions=True`: every URL runs and is reported. Every URL gets
//! exactly one result line. Ctrl-C clears the progress bar, cancels the requests in flight
//! (`cancel_with("interrupted (Ctrl-C)")`), starts no more, prints the summary and exits 130;
//! a second Ctrl-C aborts what is still cleaning up.

pub mod body;
pub mod input;
pub mod outcome;
pub mod pool;
pub mod report;
pub mod request;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use outcome::Outcome;
use pool::{InFlight, Pool};
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

/// How a run of `taskio fetch` ended: see [`Verdict::exit_code`].
///
/// ```
/// use taskio_cli::fetch::Verdict;
/// assert_eq!(Verdict::Interrupted.exit_code(), 130);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every URL succeeded.
    AllOk,
    /// Some URL failed (or was cancelled by fail-fast).
    SomeFailed,
    /// Ctrl-C stopped the run; what was done is reported.
    Interrupted,
}

impl Verdict {
    /// The process's exit code: 0, 1, or 130 (128 + `SIGINT`, as a shell reports a Ctrl-C).
    ///
    /// ```
    /// use taskio_cli::fetch::Verdict;
    /// assert_eq!([Verdict::AllOk, Verdict::SomeFailed].map(Verdict::exit_code), [0, 1]);
    /// ```
    pub fn exit_code(self) -> u8 {
        match self {
            Verdict::AllOk => 0,
            Verdict::SomeFailed => 1,
            Verdict::Interrupted => 130,
        }
    }
}

/// Runs `taskio fetch`: how it ended, or `Err` for bad usage (no URLs, unreadable file).
///
/// ```
/// use std::time::Duration;
/// use taskio_cli::fetch::{FetchOptions, Verdict, run};
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
/// assert_eq!(run(options), Ok(Verdict::AllOk));
/// ```
pub fn run(options: FetchOptions) -> Result<Verdict, String> {
    let mut options = options;
    if options.limit == 0 {
        return Err("--limit must be at least 1".to_owned());
    }
    if options.timeout.is_zero() {
        return Err("--timeout must be more than 0".to_owned());
    }
    let server = if options.demo {
        let server = crate::server::Server::start(Duration::from_millis(200))
            .map_err(|e| format!("cannot start the embedded server: {e}"))?;
        options
            .urls
            .extend(demo_paths().iter().map(|p| server.url(p)));
        if !options.json {
            crate::out::line(&format!(
                "serving the embedded server at {}\n",
                server.addr()
            ));
        }
        Some(server)
    } else {
        None
    };
    let entries = input::read(&options.urls, options.file.as_deref())?;
    let (outcomes, interrupted) = taskio::run(async move {
        let reporter = Reporter::new(entries.len(), options.json);
        let t0 = Instant::now();
        let (outcomes, interrupted) = fetch_all(entries, &options, &reporter).await?;
        reporter.finish(&outcomes, t0.elapsed());
        taskio::Ok((outcomes, interrupted))
    })
    .map_err(|e| format!("fetch failed: {e}"))?;
    drop(server);
    Ok(if interrupted {
        Verdict::Interrupted
    } else if outcomes.iter().all(|o| o.ok) {
        Verdict::AllOk
    } else {
        Verdict::SomeFailed
    })
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
/// outcomes come back in input order, with whether Ctrl-C stopped the run.
async fn fetch_all(
    entries: Vec<input::Entry>,
    options: &FetchOptions,
    reporter: &Reporter,
) -> taskio::Result<(Vec<Outcome>, bool)> {
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

    // The loop learns of each end from the task's handle (see `pool`): a task cancelled
    // before its first poll never runs its body, but its handle still ends.
    let mut running = Pool::default();
    // Why no more requests start, once one failed (fail-fast) or Ctrl-C came.
    let mut stopped: Option<&'static str> = None;
    let mut interrupts = 0;
    let mut interrupted = Box::pin(tokio::signal::ctrl_c());
    loop {
        while stopped.is_none() && running.len() < options.limit {
            let Some((i, req)) = queue.pop_front() else {
                break;
            };
            let (source, url) = (req.source.clone(), req.url.to_string());
            let client = client.clone();
            let task = taskio::task()
                .name(format!("fetch-{}", i + 1))
                .spawn(async move { taskio::Ok(request::fetch(client, req).await) });
            running.push(InFlight {
                index: i,
                source,
                url,
                task,
            });
        }
        reporter.in_flight(running.len());
        if running.is_empty() {
            break;
        }
        let (i, outcome) = tokio::select! {
            ended = running.next() => match ended {
                Some(ended) => ended,
                None => continue, // not reached: the pool is not empty
            },
            _ = &mut interrupted, if interrupts < 2 => {
                interrupts += 1;
                if interrupts == 1 {
                    // Ctrl-C: the bar goes, what runs is cancelled, nothing more starts, and
                    // what was done is reported.
                    reporter.clear_bar();
                    stopped = Some(INTERRUPTED);
                    running.cancel_all(INTERRUPTED);
                } else {
                    // A second Ctrl-C while the cancelled requests clean up: stop them now.
                    running.abort_all();
                }
                interrupted = Box::pin(tokio::signal::ctrl_c());
                continue;
            }
        };
        reporter.outcome(&outcome);
        if !outcome.ok && !options.settled && stopped.is_none() {
            stopped = Some(FAIL_FAST);
            running.cancel_all(FAIL_FAST);
        }
        outcomes[i] = Some(outcome);
    }
    for (i, req) in queue {
        let o = Outcome::cancelled(
            &req.source,
            req.url.as_str(),
            0.0,
            format!("not started: {}", stopped.unwrap_or(FAIL_FAST)),
        );
        reporter.outcome(&o);
        outcomes[i] = Some(o);
    }
    let interrupted = stopped == Some(INTERRUPTED);
    Ok((outcomes.into_iter().flatten().collect(), interrupted))
}

/// Why requests in flight are cancelled on the first failure (without `--settled`).
const FAIL_FAST: &str = "another URL failed (fail-fast; --settled runs every URL)";

/// Why requests in flight are cancelled on Ctrl-C.
const INTERRUPTED: &str = "interrupted (Ctrl-C)";

/// Parses `--timeout`: a [duration](parse_duration) of more than 0.
///
/// ```
/// use taskio_cli::fetch::parse_timeout;
/// assert!(parse_timeout("0").is_err());
/// assert!(parse_timeout("0ms").is_err());
/// assert!(parse_timeout("1ms").is_ok());
/// ```
pub fn parse_timeout(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err(format!(
            "'{s}': a timeout of 0 would fail every request; give more than 0 (e.g. 500ms, 2s)"
        ));
    }
    Ok(d)
}

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
