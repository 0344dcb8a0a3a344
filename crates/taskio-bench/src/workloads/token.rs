//! The hand-rolled cooperative cancellation a tokio user writes today, as the `tokio-token`
//! implementation of W1, W2, W6-trivial and W11: every task a `tokio::spawn` of its body in a
//! biased `select!` against a child `tokio_util::sync::CancellationToken` of one root token.
//! It gives less than a taskio task (the body is dropped, with no async cleanup; no name, no
//! tree), so taskio must never be slower than it.

use std::future::Future;

use tokio_util::sync::CancellationToken;

/// `body`, or `None` once `token` is cancelled (the body is then dropped where it waits).
pub async fn cancellable<F: Future>(token: CancellationToken, body: F) -> Option<F::Output> {
    tokio::select! {
        biased;
        () = token.cancelled() => None,
        out = body => Some(out),
    }
}
