//! What `#[taskio::main]` and `#[taskio::test]` expand to, besides [`Runner`](crate::Runner):
//! the body's return value made a task's outcome, and the outcome made the function's return
//! value again. Not public API.
//!
//! The body may return `()`, anything a task body may return, `anyhow::Result<T>` (feature
//! `anyhow`) or `Result<T, Box<dyn Error + Send + Sync>>`. The last two are not a task's output
//! (see [`Error`] on why), so the expansion picks their conversion by autoref: it calls
//! `(&&MainOutput::new(value)).into_task_output()`, which finds [`MainOutputSpecial`] on
//! `&&MainOutput<those>` first, and else [`MainOutputPlain`] on `&MainOutput<R: TaskOutput>`.

use std::cell::Cell;
use std::error::Error as StdError;

use crate::error::{Error, Result};
use crate::output::TaskOutput;

/// The body as a future of the declared return type `R`.
pub fn main_body<R, F: std::future::Future<Output = R>>(body: F) -> F {
    body
}

/// The body's return value, to be taken once by one of the conversions.
pub struct MainOutput<R>(Cell<Option<R>>);

impl<R> MainOutput<R> {
    /// Wraps the body's return value.
    pub fn new(value: R) -> Self {
        MainOutput(Cell::new(Some(value)))
    }

    fn take(&self) -> R {
        self.0
            .take()
            .expect("taskio: the main body's value is converted once")
    }
}

/// A body that returns what a task body may return: as it is.
pub trait MainOutputPlain {
    /// The task's output.
    type Output: TaskOutput;
    /// The conversion.
    fn into_task_output(self) -> Self::Output;
}

impl<R: TaskOutput> MainOutputPlain for &MainOutput<R> {
    type Output = R;

    fn into_task_output(self) -> R {
        self.take()
    }
}

/// A body that returns an error type `?` cannot make a `taskio::Error`: converted by function.
pub trait MainOutputSpecial {
    /// The task's output.
    type Output: TaskOutput;
    /// The conversion.
    fn into_task_output(self) -> Self::Output;
}

impl<T: Send + 'static> MainOutputSpecial
    for &&MainOutput<std::result::Result<T, Box<dyn StdError + Send + Sync>>>
{
    type Output = Result<T>;

    fn into_task_output(self) -> Result<T> {
        self.take().map_err(Error::from_boxed)
    }
}

#[cfg(feature = "anyhow")]
impl<T: Send + 'static> MainOutputSpecial for &&MainOutput<std::result::Result<T, anyhow::Error>> {
    type Output = Result<T>;

    fn into_task_output(self) -> Result<T> {
        self.take().map_err(Error::from_anyhow)
    }
}

/// A function that returns nothing: a failed, cancelled or panicked `main` panics with what
/// happened, so that a test fails and a program exits non-zero.
#[track_caller]
pub fn main_unit(outcome: Result<()>) {
    if let Err(e) = outcome {
        panic!("{e}");
    }
}

/// A function that returns a `Result`: the error as the declared type (`taskio::Error`,
/// `anyhow::Error`, a boxed error), downcasts kept.
pub fn main_result<T, E: From<Error>>(outcome: Result<T>) -> std::result::Result<T, E> {
    outcome.map_err(E::from)
}
