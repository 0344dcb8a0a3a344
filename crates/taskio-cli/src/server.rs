//! The embedded HTTP server that `taskio demo` and `taskio fetch --demo` talk to, and that the
//! CLI's tests drive: a stand-in for seed 001's dashboard API and for the httpbin.org of seed 004.
//!
//! It binds `127.0.0.1:0` (a free port) and serves, on its own thread and tokio runtime:
//!
//! | path | answer |
//! |---|---|
//! | `/api/profile`, `/api/activity`, `/api/notifications` | seed 001's dashboard: JSON after the API delay |
//! | `/get` | httpbin's `/get`: 200 and a JSON body after the API delay |
//! | `/status/{code}` | that status code, at once |
//! | `/delay/{ms}` | 200 after `ms` milliseconds |
//! | `/delay/{ms}/status/{code}` | that status after `ms` milliseconds |
//! | `/bytes/{n}` | `n` bytes, streamed in 64 KiB chunks |
//! | `/bytes/{n}/then-fail` | `n` bytes, then the connection breaks before the body's end |
//! | `/stats` | `{"in_flight","max_in_flight","total"}`: the concurrency gauge |
//! | `/stats/reset` | zeroes `max_in_flight` and `total` |
//!
//! Every request except `/stats*` counts in the gauge while it is being answered (a request
//! whose client went away stops counting when its handler is dropped).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

/// The gauge of requests being answered, shared by the handlers.
#[derive(Debug, Default)]
struct Gauge {
    in_flight: AtomicU64,
    max_in_flight: AtomicU64,
    total: AtomicU64,
}

/// One request counted in the [`Gauge`] for as long as it lives.
struct Counted(Arc<Gauge>);

impl Counted {
    fn new(gauge: &Arc<Gauge>) -> Self {
        let now = gauge.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        gauge.max_in_flight.fetch_max(now, Ordering::SeqCst);
        gauge.total.fetch_add(1, Ordering::SeqCst);
        Counted(gauge.clone())
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Clone)]
struct AppState {
    gauge: Arc<Gauge>,
    api_delay: Duration,
}

/// The server, running on its own thread until dropped.
///
/// ```
/// let server = taskio_cli::server::Server::start(std::time::Duration::from_millis(1)).unwrap();
/// assert!(server.url("/get").starts_with("http://127.0.0.1:"));
/// ```
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// Binds `127.0.0.1:0` and serves on a new thread; `api_delay` is how long the dashboard
    /// endpoints and `/get` take to answer.
    ///
    /// # Errors
    ///
    /// When the socket cannot be bound or the runtime cannot be built.
    ///
    /// ```
    /// let server = taskio_cli::server::Server::start(std::time::Duration::ZERO).unwrap();
    /// assert_ne!(server.addr().port(), 0);
    /// ```
    pub fn start(api_delay: Duration) -> std::io::Result<Server> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let listener = runtime.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let state = AppState {
            gauge: Arc::default(),
            api_delay,
        };
        let thread = std::thread::Builder::new()
            .name("taskio-demo-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let app = router(state);
                    let serve = axum::serve(listener, app).with_graceful_shutdown(async {
                        let _ = rx.await;
                    });
                    if let Err(e) = serve.await {
                        eprintln!("taskio demo server: {e}");
                    }
                });
            })?;
        Ok(Server {
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The address the server listens on.
    ///
    /// ```
    /// let server = taskio_cli::server::Server::start(std::time::Duration::ZERO).unwrap();
    /// assert!(server.addr().ip().is_loopback());
    /// ```
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The full URL of `path` on this server.
    ///
    /// ```
    /// let server = taskio_cli::server::Server::start(std::time::Duration::ZERO).unwrap();
    /// let port = server.addr().port();
    /// assert_eq!(server.url("/status/404"), format!("http://127.0.0.1:{port}/status/404"));
    /// ```
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        // Graceful shutdown waits for open connections; the client may keep them alive, so the
        // thread is not joined (it ends with the process, or when those connections close).
        drop(self.thread.take());
    }
}

fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/profile", get(profile))
        .route("/api/activity", get(activity))
        .route("/api/notifications", get(notifications))
        .route("/get", get(httpbin_get))
        .route("/status/{code}", get(status))
        .route("/delay/{ms}", get(delay))
        .route("/delay/{ms}/status/{code}", get(delay_status))
        .route("/bytes/{n}", get(bytes))
        .route("/bytes/{n}/then-fail", get(bytes_then_fail))
        .route("/stats", get(stats))
        .route("/stats/reset", get(stats_reset))
        .with_state(state)
}

async fn api(state: &AppState, body: &'static str) -> Response {
    let _counted = Counted::new(&state.gauge);
    tokio::time::sleep(state.api_delay).await;
    json(StatusCode::OK, body.to_owned())
}

async fn profile(State(state): State<AppState>) -> Response {
    api(&state, r#"{"user":"ada","name":"Ada Lovelace"}"#).await
}

async fn activity(State(state): State<AppState>) -> Response {
    api(
        &state,
        r#"{"recent":["commented on #12","pushed 3 commits"]}"#,
    )
    .await
}

async fn notifications(State(state): State<AppState>) -> Response {
    api(&state, r#"{"unread":3,"mentions":1}"#).await
}

async fn httpbin_get(State(state): State<AppState>) -> Response {
    api(&state, r#"{"args":{},"url":"/get"}"#).await
}

async fn status(State(state): State<AppState>, Path(code): Path<u16>) -> Response {
    let _counted = Counted::new(&state.gauge);
    match StatusCode::from_u16(code) {
        Ok(code) => (code, format!("status {}\n", code.as_u16())).into_response(),
        Err(_) => (StatusCode::BAD_REQUEST, "not a status code\n").into_response(),
    }
}

async fn delay(State(state): State<AppState>, Path(ms): Path<u64>) -> Response {
    let _counted = Counted::new(&state.gauge);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    (StatusCode::OK, format!("waited {ms} ms\n")).into_response()
}

async fn delay_status(
    State(state): State<AppState>,
    Path((ms, code)): Path<(u64, u16)>,
) -> Response {
    let counted = Counted::new(&state.gauge);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    drop(counted);
    status(State(state), Path(code)).await
}

async fn bytes(State(state): State<AppState>, Path(n): Path<u64>) -> Response {
    const CHUNK: u64 = 64 * 1024;
    let counted = Counted::new(&state.gauge);
    let chunks = futures_util::stream::unfold((n, counted), |(left, counted)| async move {
        if left == 0 {
            return None;
        }
        let len = left.min(CHUNK);
        let chunk = vec![b'x'; len as usize];
        Some((Ok::<_, std::io::Error>(chunk), (left - len, counted)))
    });
    Response::builder()
        .header("content-type", "application/octet-stream")
        .body(Body::from_stream(chunks))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// `n` bytes in one chunk, then (a moment later, so that the chunk is on the wire) a stream
/// error: hyper aborts the response mid-body, so the client reads `n` bytes and then fails.
async fn bytes_then_fail(State(state): State<AppState>, Path(n): Path<usize>) -> Response {
    let counted = Counted::new(&state.gauge);
    let chunks = futures_util::stream::unfold((0, counted), move |(step, counted)| async move {
        match step {
            0 => Some((Ok(vec![b'x'; n]), (1, counted))),
            1 => {
                tokio::time::sleep(Duration::from_millis(50)).await;
                let broken = std::io::Error::other("the demo server breaks this body on purpose");
                Some((Err(broken), (2, counted)))
            }
            _ => None,
        }
    });
    Response::builder()
        .header("content-type", "application/octet-stream")
        .body(Body::from_stream(chunks))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

async fn stats(State(state): State<AppState>) -> Response {
    let g = &state.gauge;
    let body = format!(
        r#"{{"in_flight":{},"max_in_flight":{},"total":{}}}"#,
        g.in_flight.load(Ordering::SeqCst),
        g.max_in_flight.load(Ordering::SeqCst),
        g.total.load(Ordering::SeqCst)
    );
    json(StatusCode::OK, body)
}

async fn stats_reset(State(state): State<AppState>) -> Response {
    let g = &state.gauge;
    g.max_in_flight
        .store(g.in_flight.load(Ordering::SeqCst), Ordering::SeqCst);
    g.total.store(0, Ordering::SeqCst);
    json(StatusCode::OK, r#"{"reset":true}"#.to_owned())
}

fn json(code: StatusCode, body: String) -> Response {
    (code, [("content-type", "application/json")], body).into_response()
}
