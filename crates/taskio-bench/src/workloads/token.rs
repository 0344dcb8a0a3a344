//! The hand-rolled cooperative cancellation a tokio user writes today, as the `tokio-token`
//! implementation of W1, W2, W6-trivial and W11: every task a `tokio::spawn` of its body in a
//! biased `select!` against a child `tokio_util::sync::CancellationToken` of one root token.
//! It gives less than a taskio task (the body is dropped, with no async cleanup; no name, no
//! tree), so taskio must never be slower than it.

use std::future::Future;
use std::time::Instant;

use tokio_util::sync::CancellationToken;

use super::{Sample, check_sum};

/// `body`, or `None` once `token` is cancelled (the body is then dropped where it waits).
pub async fn cancellable<F: Future>(token: CancellationToken, body: F) -> Option<F::Output> {
    tokio::select! {
        biased;
        () = token.cancelled() => None,
        out = body => Some(out),
    }
}

/// W6-trivial's and W11's token variant: `n` trivial tasks in a tokio `JoinSet`, each under a
/// child token of one root, reaped as they complete.
pub async fn joinset(n: usize) -> Sample {
    let start = Instant::now();
    let root = CancellationToken::new();
    let mut set = tokio::task::JoinSet::new();
    for i in 0..n {
        set.spawn(cancellable(root.child_token(), async move { i }));
    }
    let mut sum = 0;
    while let Some(r) = set.join_next().await {
        sum += r.expect("trivial task").expect("not cancelled");
    }
    let elapsed = start.elapsed();
    check_sum(sum, n);
    Sample::timed(elapsed, n)
}
