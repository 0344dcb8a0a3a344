//! What happened to one URL: its status, bytes and time, or why it failed (an invalid line, a
//! refused connection, a timeout, an HTTP error status, a body cut at `--max-bytes`, or a
//! cancellation by fail-fast).

/// The outcome of one URL, as printed and as one `--json` line.
///
/// ```
/// let o = taskio_cli::fetch::outcome::Outcome::failed("urls.txt:2", "http://a.test/", 12.5, "HTTP 404 Not Found");
/// let json = serde_json::to_value(&o).unwrap();
/// assert_eq!(json["source"], "urls.txt:2");
/// assert_eq!(json["ok"], false);
/// ```
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Outcome {
    /// Where the URL came from: `argument 2`, `urls.txt:7`.
    pub source: String,
    /// The URL (as given, when it did not parse).
    pub url: String,
    /// Whether it succeeded: a 2xx/3xx status and the whole body within `--max-bytes`.
    pub ok: bool,
    /// The HTTP status, when a response came.
    pub status: Option<u16>,
    /// Body bytes read.
    pub bytes: u64,
    /// Whether the body was cut at `--max-bytes`.
    pub truncated: bool,
    /// Milliseconds from the request's start to its end (0 when it never started).
    pub ms: f64,
    /// Why it failed.
    pub error: Option<String>,
    /// Whether it was cancelled (by fail-fast or Ctrl-C) or never started: its time says
    /// nothing about the server, so it is never the summary's slowest.
    pub cancelled: bool,
}

impl Outcome {
    /// A failed outcome that has no response.
    ///
    /// ```
    /// let o = taskio_cli::fetch::outcome::Outcome::failed("urls.txt:3", "nope", 0.0, "invalid URL");
    /// assert!(!o.ok);
    /// assert_eq!(o.error.as_deref(), Some("invalid URL"));
    /// ```
    pub fn failed(source: &str, url: &str, ms: f64, error: impl Into<String>) -> Outcome {
        Outcome {
            source: source.to_owned(),
            url: url.to_owned(),
            ok: false,
            status: None,
            bytes: 0,
            truncated: false,
            ms,
            error: Some(error.into()),
            cancelled: false,
        }
    }

    /// A failed outcome of a request that was cancelled, or never started.
    ///
    /// ```
    /// let o = taskio_cli::fetch::outcome::Outcome::cancelled("argument 2", "http://a.test/", 0.0, "not started: Ctrl-C");
    /// assert!(o.cancelled && !o.ok);
    /// ```
    pub fn cancelled(source: &str, url: &str, ms: f64, error: impl Into<String>) -> Outcome {
        Outcome {
            cancelled: true,
            ..Outcome::failed(source, url, ms, error)
        }
    }
}

/// A one-line account of a reqwest error: its kind and its innermost cause.
///
/// ```
/// // a port that was free a moment ago: nothing listens there
/// let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
/// let err = taskio::run(async move {
///     taskio::Ok(reqwest::get(format!("http://127.0.0.1:{port}/")).await.unwrap_err())
/// })
/// .unwrap();
/// assert!(taskio_cli::fetch::outcome::describe(&err).starts_with("connect"));
/// ```
pub fn describe(err: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = err;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    let kind = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "connect"
    } else if err.is_body() || err.is_decode() {
        "body"
    } else if err.is_redirect() {
        "redirect"
    } else {
        "request"
    };
    if std::ptr::addr_eq(cause, err as &dyn std::error::Error) {
        format!("{kind}: {err}")
    } else {
        format!("{kind}: {cause}")
    }
}
