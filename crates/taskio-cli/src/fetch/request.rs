//! One URL fetched inside a taskio task: the request (with its `--timeout`), the body read with
//! bounded memory, the outcome. Every await is a taskio cancellation point, so fail-fast's
//! `cancel()` drops the request at once.

use std::time::{Duration, Instant};

use reqwest::Url;
use taskio::CancellableExt;

use super::body::{BodyError, Why, read_bounded};
use super::outcome::{Outcome, describe};

/// What one request needs: see [`fetch`].
///
/// ```
/// let req = taskio_cli::fetch::request::Request {
///     source: "argument 1".into(),
///     url: "https://example.test/".parse().unwrap(),
///     timeout: std::time::Duration::from_secs(30),
///     max_bytes: 10 << 20,
/// };
/// assert_eq!(req.url.scheme(), "https");
/// ```
#[derive(Clone, Debug)]
pub struct Request {
    /// Where the URL came from.
    pub source: String,
    /// The URL.
    pub url: Url,
    /// The whole request's limit, connect to last body byte.
    pub timeout: Duration,
    /// The body's limit.
    pub max_bytes: u64,
}

/// Fetches `req.url` with `client`; never fails: every failure is in the outcome.
///
/// ```
/// use std::time::Duration;
/// use taskio_cli::fetch::request::{Request, fetch};
///
/// let server = taskio_cli::server::Server::start(Duration::ZERO).unwrap();
/// let req = Request {
///     source: "argument 1".into(),
///     url: server.url("/status/404").parse().unwrap(),
///     timeout: Duration::from_secs(5),
///     max_bytes: 1024,
/// };
/// let outcome = taskio::run(async move { taskio::Ok(fetch(reqwest::Client::new(), req).await) }).unwrap();
/// assert_eq!(outcome.status, Some(404));
/// assert!(!outcome.ok);
/// ```
pub async fn fetch(client: reqwest::Client, req: Request) -> Outcome {
    let t0 = Instant::now();
    let ms = |t0: Instant| (t0.elapsed().as_secs_f64() * 1e4).round() / 10.0;
    let sent = client
        .get(req.url.clone())
        .timeout(req.timeout)
        .send()
        .cancellable()
        .await;
    let response = match sent {
        Err(c) => {
            return Outcome::cancelled(&req.source, req.url.as_str(), ms(t0), cancelled(&c));
        }
        Ok(Err(e)) => {
            return Outcome::failed(
                &req.source,
                req.url.as_str(),
                ms(t0),
                timeout_aware(&e, req.timeout),
            );
        }
        Ok(Ok(response)) => response,
    };
    let status = response.status();
    let body = read_bounded(response, req.max_bytes).await;
    let mut outcome = Outcome::failed(&req.source, req.url.as_str(), ms(t0), "");
    outcome.status = Some(status.as_u16());
    match body {
        Err(BodyError { bytes, why }) => {
            // What was read before the failure is reported, not 0.
            outcome.bytes = bytes;
            match why {
                Why::Cancelled(c) => {
                    outcome.cancelled = true;
                    outcome.error = Some(cancelled(&c));
                }
                Why::Http(e) => outcome.error = Some(timeout_aware(&e, req.timeout)),
            }
        }
        Ok(read) => {
            outcome.bytes = read.bytes;
            outcome.truncated = read.cut;
            outcome.error = if read.cut {
                Some(format!(
                    "body larger than --max-bytes ({} B): cut",
                    req.max_bytes
                ))
            } else if status.is_client_error() || status.is_server_error() {
                Some(format!("HTTP {status}"))
            } else {
                None
            };
            outcome.ok = outcome.error.is_none();
        }
    }
    outcome.ms = ms(t0);
    outcome
}

fn timeout_aware(e: &reqwest::Error, timeout: Duration) -> String {
    if e.is_timeout() {
        format!("timed out after {timeout:?} (--timeout)")
    } else {
        describe(e)
    }
}

/// The error of a cancelled request, with the reason given to `cancel_with`.
fn cancelled(c: &taskio::Cancelled) -> String {
    match c.message() {
        Some(why) => format!("cancelled: {why}"),
        None => "cancelled".to_owned(),
    }
}
