//! What a task body may return: a `Result<T, E>` whose error converts into
//! [`Error`](crate::Error), or `()`.

use crate::error::{Error, Result};

/// The return type of a task body: `Result<T, E>` with `E: Into<taskio::Error>`, or `()` for a
/// body that cannot fail. The task's value type is [`TaskOutput::Value`]. A body that returns a
/// bare value wraps it in [`taskio::Ok`](crate::Ok()); [`spawn`](crate::spawn()) says why no
/// blanket impl for every `T` exists.
///
/// ```
/// taskio::run(async {
///     let unit: taskio::Task<()> = taskio::spawn(async {});
///     let io: taskio::Task<u8> = taskio::spawn(async { Ok::<u8, std::io::Error>(1) });
///     assert_eq!(io.await?, 1);
///     unit.await
/// })
/// .unwrap();
/// ```
pub trait TaskOutput: Send + 'static {
    /// The value of a successful task.
    type Value: Send + 'static;

    /// Converts the body's return value into the task's outcome.
    ///
    /// ```
    /// use taskio::TaskOutput;
    /// assert_eq!(Ok::<_, std::io::Error>(3).into_result().unwrap(), 3);
    /// ```
    fn into_result(self) -> Result<Self::Value>;
}

impl<T, E> TaskOutput for std::result::Result<T, E>
where
    T: Send + 'static,
    E: Into<Error> + Send + 'static,
{
    type Value = T;

    fn into_result(self) -> Result<T> {
        self.map_err(Into::into)
    }
}

impl TaskOutput for () {
    type Value = ();

    fn into_result(self) -> Result<()> {
        Ok(())
    }
}
