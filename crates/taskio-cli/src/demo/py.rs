//! Python's side of the comparison: the `repr` of the values the seeds print (`['a', 'b']`,
//! `[1, 4, 9]`, `ValueError('boom')`), and [`PyException`], the error the seeds' programs raise
//! (`ValueError`, `RuntimeError`), so that taskio's output can be compared with asyncio's line by
//! line.

use std::fmt::{self, Display};

/// `repr(str)`: single-quoted.
pub fn str_repr(s: &str) -> String {
    format!("'{s}'")
}

/// `repr(list)` of already-repr'd items.
pub fn list<I>(items: I) -> String
where
    I: IntoIterator,
    I::Item: Display,
{
    let items: Vec<String> = items.into_iter().map(|i| i.to_string()).collect();
    format!("[{}]", items.join(", "))
}

/// A Python exception raised by a seed's program: its class and message.
#[derive(Clone, Debug)]
pub struct PyException {
    /// `ValueError`, `RuntimeError`.
    pub class: &'static str,
    /// `str(exc)`.
    pub message: String,
}

impl PyException {
    /// `class(message)`.
    pub fn new(class: &'static str, message: impl Into<String>) -> PyException {
        PyException {
            class,
            message: message.into(),
        }
    }

    /// `repr(exc)`: `ValueError('boom')`.
    pub fn repr(&self) -> String {
        format!("{}({})", self.class, str_repr(&self.message))
    }
}

impl Display for PyException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PyException {}

/// `repr` of a gather_settled outcome: the value's repr, or the exception's.
pub fn outcome_repr<T>(outcome: &taskio::Result<T>, value_repr: impl Fn(&T) -> String) -> String {
    match outcome {
        Ok(v) => value_repr(v),
        Err(e) => match e.downcast_ref::<PyException>() {
            Some(py) => py.repr(),
            None => format!("Exception({})", str_repr(&e.to_string())),
        },
    }
}
