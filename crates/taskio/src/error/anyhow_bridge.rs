//! [`Error`] and `anyhow::Error` (feature `anyhow`): `?` from taskio into anyhow, and
//! [`Error::from_anyhow`] back, each keeping what the other one downcasts to.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use super::travel::Standard;
use super::{Cancelled, Error, Inner, Kind, TimedOut};

/// What lies below an error's user error, as anyhow's chain continues it: its text is the first
/// `source()` of the [`Error`]'s own face, and so on down.
struct Below(Error);

impl Below {
    fn top(&self) -> &(dyn StdError + 'static) {
        self.0
            .inner
            .source()
            .expect("taskio: Below is made only for an error with a source")
    }
}

impl fmt::Display for Below {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.top(), f)
    }
}

impl fmt::Debug for Below {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.top(), f)
    }
}

impl StdError for Below {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.top().source()
    }
}

/// How many errors anyhow's chain holds for `error` put in by `From` (below): the error itself,
/// then what lies below its user error.
fn chain_len(error: &Error) -> usize {
    1 + std::iter::successors(error.inner.source(), |&e| e.source()).count()
}

/// `?` from `taskio::Error` into `anyhow::Error`. The `anyhow::Error` holds the `taskio::Error`
/// whole (`downcast_ref::<taskio::Error>()` gives it back, kind and task included, and through it
/// the user error), says what it says, and chains on below its user error: `{:#}` names each fact
/// once. One that came in from anyhow and has not been through a task goes back as the very
/// `anyhow::Error` it was.
impl From<Error> for anyhow::Error {
    fn from(error: Error) -> Self {
        let error = match Arc::try_unwrap(error.inner) {
            Ok(Inner {
                kind: Kind::Anyhow(original),
                task: None,
            }) => return original,
            Ok(inner) => Error {
                inner: Arc::new(inner),
            },
            Err(inner) => Error { inner },
        };
        if error.inner.source().is_some() {
            anyhow::Error::new(Below(error.clone())).context(error)
        } else {
            anyhow::Error::msg(error)
        }
    }
}

impl Error {
    /// The error an `anyhow::Error` holds: the very `taskio::Error` that `?` put into it (when
    /// nothing was added on top since), or a user error kept whole, which downcasts as the
    /// `anyhow::Error` did (context included) and goes back out as that same `anyhow::Error`.
    ///
    /// `?` cannot do this (see [`Error`] for why): write `.map_err(taskio::Error::from_anyhow)?`.
    ///
    #[cfg_attr(feature = "anyhow", doc = "```")]
    #[cfg_attr(not(feature = "anyhow"), doc = "```ignore")]
    /// use anyhow::Context as _;
    ///
    /// fn read_config() -> anyhow::Result<u16> {
    ///     let text = std::fs::read_to_string("/no/such/taskio.conf").context("reading the config")?;
    ///     Ok(text.trim().parse()?)
    /// }
    ///
    /// async fn handler() -> anyhow::Result<u16> {
    ///     let task = taskio::task().name("config").spawn(async {
    ///         read_config().map_err(taskio::Error::from_anyhow) // anyhow into taskio
    ///     });
    ///     Ok(task.await?) // taskio into anyhow
    /// }
    ///
    /// fn main() {
    ///     let err = taskio::run(async { taskio::Ok(handler().await) }).unwrap().unwrap_err();
    ///     // the taskio::Error with its task, and the user error below it
    ///     let task_err = err.downcast_ref::<taskio::Error>().unwrap();
    ///     assert_eq!(task_err.task_name(), Some("config"));
    ///     assert!(task_err.downcast_ref::<std::io::Error>().is_some());
    ///     assert!(format!("{err:#}").starts_with("task 'config' failed: reading the config: "));
    ///
    ///     let back = taskio::Error::from_anyhow(err);
    ///     assert_eq!(back.task_name(), Some("config"));
    /// }
    /// ```
    pub fn from_anyhow(error: anyhow::Error) -> Error {
        if let Some(ours) = error.downcast_ref::<Error>()
            && error.chain().count() == chain_len(ours)
        {
            // Ours, with nothing added on top: the very error that went in.
            return error
                .downcast::<Error>()
                .unwrap_or_else(|_| unreachable!("downcast_ref just found it"));
        }
        let error = match error.downcast::<Standard>() {
            Ok(standard) => return standard.0,
            Err(other) => other,
        };
        let error = match error.downcast::<Cancelled>() {
            Ok(c) => return Error::from_kind(Kind::Cancelled(c)),
            Err(other) => other,
        };
        match error.downcast::<TimedOut>() {
            Ok(t) => Error::from_kind(Kind::TimedOut(t)),
            Err(other) => Error::from_kind(Kind::Anyhow(other)),
        }
    }
}
