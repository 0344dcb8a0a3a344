//! An axum handler that returns taskio results: `?` on a task's outcome, and an `IntoResponse`
//! wrapper of the program's own that turns a `taskio::Error` into a status by its kind: a user
//! error the handler knows (429 for a quota), a timeout (504), a panic (500, its message kept out
//! of the response), anything else (500). The body says each fact once.
//!
//! Run it: `cargo run -p taskio-cli --example axum_handler`

use std::time::Duration;

use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use taskio::CancellableExt;

/// A user error of the application's domain.
#[derive(Debug)]
pub struct QuotaExceeded(pub String);

impl std::fmt::Display for QuotaExceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "quota exceeded for {}", self.0)
    }
}

impl std::error::Error for QuotaExceeded {}

/// The program's own response error: any `taskio::Error`, so that `?` works in handlers.
pub struct AppError(taskio::Error);

impl From<taskio::Error> for AppError {
    fn from(e: taskio::Error) -> Self {
        AppError(e)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = if e.is::<QuotaExceeded>() {
            StatusCode::TOO_MANY_REQUESTS
        } else if e.is_timed_out() {
            StatusCode::GATEWAY_TIMEOUT
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        if e.is_panic() {
            // The panic's message is for the log, not for the client.
            return (status, "internal error").into_response();
        }
        (status, e.to_string()).into_response()
    }
}

async fn charge(user: String) -> taskio::Result<String> {
    taskio::sleep(Duration::from_millis(1)).await?;
    if user == "ann" {
        return Err(QuotaExceeded(user).into());
    }
    Ok(format!("charged {user}"))
}

/// `/charge/{user}`: a named task's outcome, with `?`.
async fn charge_handler(Path(user): Path<String>) -> Result<String, AppError> {
    let task = taskio::task().name("quota").spawn(charge(user));
    Ok(task.await?)
}

/// `/slow`: a timeout around work that takes too long.
async fn slow_handler() -> Result<String, AppError> {
    taskio::timeout(
        Duration::from_millis(20),
        taskio::sleep(Duration::from_secs(60)),
    )
    .await?;
    Ok("never".into())
}

/// `/panic`: a task that panics.
async fn panic_handler() -> Result<String, AppError> {
    taskio::task()
        .name("buggy")
        .spawn(async {
            if true {
                panic!("index out of bounds");
            }
        })
        .await?;
    Ok("never".into())
}

/// The application's routes.
pub fn app() -> Router {
    Router::new()
        .route("/charge/{user}", get(charge_handler))
        .route("/slow", get(slow_handler))
        .route("/panic", get(panic_handler))
}

/// Serves the app on a free local port as a taskio task, asks each route once, and returns each
/// answer's status and body.
pub async fn program() -> taskio::Result<Vec<(u16, String)>> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = taskio::task().name("server").spawn(async move {
        axum::serve(listener, app())
            .into_future()
            .cancellable()
            .await??;
        taskio::Ok(())
    });
    let client = reqwest::Client::new();
    let mut answers = Vec::new();
    for path in ["/charge/bob", "/charge/ann", "/slow", "/panic"] {
        let response = client.get(format!("{base}{path}")).send().await?;
        let status = response.status().as_u16();
        let body = response.text().await?;
        println!("{path}: {status} {body}");
        answers.push((status, body));
    }
    server.cancel();
    assert!(server.await.unwrap_err().is_cancelled());
    Ok(answers)
}

fn main() -> taskio::Result<()> {
    taskio::run(program())?;
    Ok(())
}
