//! [`Error`] in and out of boxed `std::error::Error`s: `?` into `Box<dyn Error + Send + Sync>` and
//! `Box<dyn Error>`, and back with [`Error::from_boxed`] and [`Error::find_in`], the kind kept.

use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;

use super::{Cancelled, Error, Inner, Kind, TimedOut};

/// An [`Error`] as an owned `std::error::Error`: what a box holds. It says and sources exactly
/// what the error's `Deref` face does.
pub(super) struct Standard(pub(super) Error);

impl fmt::Display for Standard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Standard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl StdError for Standard {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.0.inner.source()
    }
}

impl Error {
    /// Into a box. An error that is only a user error (no task named, none of taskio's kinds)
    /// goes in as that user error itself, so the box downcasts to it directly; anything more
    /// goes in whole.
    fn into_std_box(self) -> Box<dyn StdError + Send + Sync + 'static> {
        match Arc::try_unwrap(self.inner) {
            Ok(Inner {
                kind: Kind::User(user),
                task: None,
            }) => user,
            Ok(inner) => Box::new(Standard(Error {
                inner: Arc::new(inner),
            })),
            Err(inner) => Box::new(Standard(Error { inner })),
        }
    }

    /// The error a box holds: the very `taskio::Error` that `?` put into it (its kind, task and
    /// user error as they were), or a user error, a [`Cancelled`] or a [`TimedOut`] of its own.
    ///
    /// `?` cannot do this (see [`Error`] for why): write `.map_err(taskio::Error::from_boxed)?`.
    ///
    /// ```
    /// fn legacy() -> Result<u8, Box<dyn std::error::Error + Send + Sync>> {
    ///     Err("no config".into())
    /// }
    ///
    /// fn main() {
    ///     let out = taskio::run(async {
    ///         let task = taskio::task().name("load").spawn(async {
    ///             let n = legacy().map_err(taskio::Error::from_boxed)?;
    ///             taskio::Ok(n)
    ///         });
    ///         let err = task.await.unwrap_err();
    ///         assert_eq!(err.to_string(), "task 'load' failed: no config");
    ///
    ///         // There and back: the box gives the same error, still cancelled.
    ///         let cancelled = taskio::Error::from(taskio::Cancelled::new(Some("stop")));
    ///         let boxed: Box<dyn std::error::Error + Send + Sync> = cancelled.into();
    ///         let back = taskio::Error::from_boxed(boxed);
    ///         assert_eq!(back.as_cancelled().and_then(|c| c.message()), Some("stop"));
    ///         taskio::Ok(())
    ///     });
    ///     out.unwrap();
    /// }
    /// ```
    pub fn from_boxed(error: Box<dyn StdError + Send + Sync + 'static>) -> Error {
        let error = match error.downcast::<Standard>() {
            Ok(standard) => return standard.0,
            Err(other) => other,
        };
        let error = match error.downcast::<Cancelled>() {
            Ok(c) => return Error::from_kind(Kind::Cancelled(*c)),
            Err(other) => other,
        };
        match error.downcast::<TimedOut>() {
            Ok(t) => Error::from_kind(Kind::TimedOut(*t)),
            Err(other) => Error::from_kind(Kind::User(other)),
        }
    }

    /// The `taskio::Error` in a `std::error::Error`'s chain: the one `?` put into a
    /// `Box<dyn Error>`, found at the top or in any `source()` below it (as when a user error
    /// wraps the box). `None` when there is none, which includes a plain user error that only
    /// passed through taskio: that goes into the box as itself, and downcasts directly.
    ///
    /// ```
    /// let err: taskio::Error = taskio::Error::from(taskio::TimedOut::new());
    /// let boxed: Box<dyn std::error::Error> = err.into();
    /// let found = taskio::Error::find_in(&*boxed).expect("a taskio::Error");
    /// assert!(found.is_timed_out());
    ///
    /// let plain: Box<dyn std::error::Error> = taskio::Error::new(std::fmt::Error).into();
    /// assert!(taskio::Error::find_in(&*plain).is_none());
    /// assert!(plain.downcast_ref::<std::fmt::Error>().is_some());
    /// ```
    pub fn find_in<'a>(error: &'a (dyn StdError + 'static)) -> Option<&'a Error> {
        let mut next = Some(error);
        while let Some(e) = next {
            if let Some(standard) = e.downcast_ref::<Standard>() {
                return Some(&standard.0);
            }
            next = e.source();
        }
        None
    }
}

impl From<Error> for Box<dyn StdError + Send + Sync + 'static> {
    fn from(error: Error) -> Self {
        error.into_std_box()
    }
}

impl From<Error> for Box<dyn StdError + 'static> {
    fn from(error: Error) -> Self {
        error.into_std_box()
    }
}
