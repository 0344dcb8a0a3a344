//! The requests in flight: each URL's task, awaited through its handle, with its place in the
//! input so that its outcome lands in the right row.
//!
//! The pool learns that a request ended from the task's handle, never from a message the task's
//! body would send: a task cancelled before its first poll never runs its body (taskio's rule,
//! as asyncio's), so a body-sent "done" never comes for it and a loop that waits for one waits
//! forever (issue 16: fail-fast over instant 200s and 500s with `--limit 2` hung in a third of
//! the runs). The handle always ends, and says `Cancelled`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;

use super::outcome::Outcome;

/// One URL's task in flight: see [`Pool`].
#[derive(Debug)]
pub struct InFlight {
    /// Its place in the input.
    pub index: usize,
    /// Where the URL came from (for an outcome the task could not give).
    pub source: String,
    /// The URL.
    pub url: String,
    /// The task.
    pub task: taskio::Task<Outcome>,
}

impl Future for InFlight {
    type Output = (usize, Outcome);

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<(usize, Outcome)> {
        let this = self.get_mut();
        Pin::new(&mut this.task).poll(cx).map(|result| {
            let outcome = result.unwrap_or_else(|e| {
                if let Some(c) = e.as_cancelled() {
                    // Cancelled before its first poll: it never sent its request.
                    let why = c.message().unwrap_or("cancelled");
                    Outcome::cancelled(&this.source, &this.url, 0.0, format!("not started: {why}"))
                } else {
                    Outcome::failed(
                        &this.source,
                        &this.url,
                        0.0,
                        format!("the request's task failed: {e}"),
                    )
                }
            });
            (this.index, outcome)
        })
    }
}

/// The tasks in flight, taken as they end (in completion order).
///
/// ```
/// use taskio_cli::fetch::{outcome::Outcome, pool::{InFlight, Pool}};
/// taskio::run(async {
///     let mut pool = Pool::default();
///     let task = taskio::spawn(async { taskio::Ok(Outcome::failed("argument 1", "u", 1.0, "x")) });
///     let other = taskio::spawn(async { taskio::Ok(Outcome::failed("argument 2", "v", 1.0, "y")) });
///     other.cancel(); // before its first poll: its body never runs, its handle still ends
///     pool.push(InFlight { index: 0, source: "argument 1".into(), url: "u".into(), task });
///     pool.push(InFlight { index: 1, source: "argument 2".into(), url: "v".into(), task: other });
///     let mut ended = vec![pool.next().await.unwrap(), pool.next().await.unwrap()];
///     ended.sort_by_key(|(i, _)| *i);
///     assert!(ended[1].1.cancelled);
///     assert!(pool.next().await.is_none());
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
#[derive(Debug, Default)]
pub struct Pool {
    tasks: FuturesUnordered<InFlight>,
}

impl Pool {
    /// Adds a task.
    pub fn push(&mut self, task: InFlight) {
        self.tasks.push(task);
    }

    /// How many are in flight.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// The next task to end, with its place and outcome; `None` when the pool is empty.
    pub async fn next(&mut self) -> Option<(usize, Outcome)> {
        self.tasks.next().await
    }

    /// Asks every task in flight to stop, with `why`.
    pub fn cancel_all(&self, why: &'static str) {
        for t in self.tasks.iter() {
            t.task.cancel_with(why);
        }
    }

    /// Stops every task in flight at once (a second Ctrl-C).
    pub fn abort_all(&self) {
        for t in self.tasks.iter() {
            t.task.abort();
        }
    }
}
