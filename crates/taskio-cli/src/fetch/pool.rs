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

/// One URL's task in flight: see [`Pool`]. Awaited, it gives its place and its outcome; a
/// task that ended without one (cancelled before its first poll) gets a "not started" one.
///
/// ```
/// use taskio_cli::fetch::{outcome::Outcome, pool::InFlight};
/// taskio::run(async {
///     let task = taskio::spawn(async { taskio::Ok(Outcome::failed("a", "u", 1.0, "x")) });
///     task.cancel_with("Ctrl-C"); // before its first poll
///     let (index, outcome) = InFlight { index: 7, source: "a".into(), url: "u".into(), task }.await;
///     assert_eq!(index, 7);
///     assert_eq!(outcome.error.as_deref(), Some("not started: Ctrl-C"));
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
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
                    let why = match c.message() {
                        Some(why) => format!("not started: {why}"),
                        None => "cancelled".to_owned(),
                    };
                    Outcome::cancelled(&this.source, &this.url, 0.0, why)
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
    ///
    /// ```
    /// use taskio_cli::fetch::{outcome::Outcome, pool::{InFlight, Pool}};
    /// taskio::run(async {
    ///     let mut pool = Pool::default();
    ///     let task = taskio::spawn(async { taskio::Ok(Outcome::failed("a", "u", 1.0, "x")) });
    ///     pool.push(InFlight { index: 0, source: "a".into(), url: "u".into(), task });
    ///     assert_eq!(pool.len(), 1);
    ///     assert!(!pool.is_empty());
    ///     assert_eq!(pool.next().await.map(|(i, _)| i), Some(0));
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn push(&mut self, task: InFlight) {
        self.tasks.push(task);
    }

    /// How many are in flight.
    ///
    /// ```
    /// assert_eq!(taskio_cli::fetch::pool::Pool::default().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether none is.
    ///
    /// ```
    /// assert!(taskio_cli::fetch::pool::Pool::default().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// The next task to end, with its place and outcome; `None` when the pool is empty.
    ///
    /// ```
    /// taskio::run(async {
    ///     assert!(taskio_cli::fetch::pool::Pool::default().next().await.is_none());
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub async fn next(&mut self) -> Option<(usize, Outcome)> {
        self.tasks.next().await
    }

    /// Asks every task in flight to stop, with `why`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use taskio_cli::fetch::{outcome::Outcome, pool::{InFlight, Pool}};
    /// taskio::run(async {
    ///     let mut pool = Pool::default();
    ///     let task = taskio::spawn(async {
    ///         let why = taskio::sleep(Duration::from_secs(60)).await.unwrap_err();
    ///         taskio::Ok(Outcome::cancelled("a", "u", 1.0, format!("cancelled: {}", why.message().unwrap())))
    ///     });
    ///     pool.push(InFlight { index: 0, source: "a".into(), url: "u".into(), task });
    ///     taskio::checkpoint().await?; // let it start
    ///     pool.cancel_all("stop");
    ///     let (_, outcome) = pool.next().await.unwrap();
    ///     assert_eq!(outcome.error.as_deref(), Some("cancelled: stop"));
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn cancel_all(&self, why: &'static str) {
        for t in self.tasks.iter() {
            t.task.cancel_with(why);
        }
    }

    /// Stops every task in flight at once (a second Ctrl-C).
    ///
    /// ```
    /// use std::time::Duration;
    /// use taskio_cli::fetch::{outcome::Outcome, pool::{InFlight, Pool}};
    /// taskio::run(async {
    ///     let mut pool = Pool::default();
    ///     let task = taskio::spawn(async {
    ///         let _ = taskio::sleep(Duration::from_secs(60)).await; // ignores a cancel
    ///         taskio::sleep(Duration::from_secs(60)).await.ok();
    ///         taskio::Ok(Outcome::failed("a", "u", 1.0, "x"))
    ///     });
    ///     pool.push(InFlight { index: 0, source: "a".into(), url: "u".into(), task });
    ///     taskio::checkpoint().await?;
    ///     pool.abort_all();
    ///     let (_, outcome) = pool.next().await.unwrap();
    ///     assert!(outcome.cancelled);
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn abort_all(&self) {
        for t in self.tasks.iter() {
            t.task.abort();
        }
    }
}
