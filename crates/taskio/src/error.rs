//! One error type for every task outcome, in the manner of a Python exception.
//!
//! asyncio code raises any exception, and `gather`, `wait` and `TaskGroup` treat them all alike.
//! taskio does the same with [`Error`]: an opaque, cheaply clonable error that any
//! `std::error::Error + Send + Sync + 'static` converts into with `?`, and that comes out again with
//! [`Error::downcast_ref`]. It also carries the kinds that belong to the system itself:
//!
//! | asyncio | taskio |
//! |---|---|
//! | `asyncio.CancelledError` | [`Cancelled`], and [`Error::is_cancelled`] |
//! | `TimeoutError` from `asyncio.timeout` | [`TimedOut`], and [`Error::is_timed_out`] |
//! | an exception escaping a task | [`Error::is_panic`] for a panic, any user error otherwise |
//! | `ExceptionGroup` from `TaskGroup` | [`Error::group_errors`] |
//!
//! ## `?` in every direction
//!
//! - **Into `taskio::Error`**: `?` takes any `std::error::Error + Send + Sync + 'static` (an
//!   `io::Error`, a `thiserror` enum, a `reqwest::Error`); a `Box<dyn Error + Send + Sync>` goes in
//!   with `.map_err(taskio::Error::from_boxed)?`, an `anyhow::Error` (feature `anyhow`) with
//!   `.map_err(taskio::Error::from_anyhow)?`.
//! - **Out of `taskio::Error`**: `?` turns it into a `Box<dyn Error + Send + Sync>`, a
//!   `Box<dyn Error>` or (feature `anyhow`) an `anyhow::Error`, so a task's outcome flows into an
//!   ordinary `main`, an axum handler or a library's own error type.
//! - **Back again**, nothing is lost: [`Error::downcast_ref`] finds the user error,
//!   [`Error::find_in`] and [`Error::from_boxed`] find the `taskio::Error` in a box, and
//!   `anyhow::Error::downcast_ref::<taskio::Error>()` finds it in an `anyhow::Error`, with its kind
//!   ([`is_cancelled`](Error::is_cancelled), [`is_timed_out`](Error::is_timed_out), ...), its task's
//!   name and id.
//!
//! ```
//! use std::error::Error as _;
//!
//! fn main() {
//!     let outcome: taskio::Result<u32> = taskio::run(async {
//!         let task = taskio::task().name("parse").spawn(async { taskio::Ok("x".parse::<u32>()?) });
//!         task.await
//!     });
//!     // What `?` does in a `fn main() -> Result<(), Box<dyn std::error::Error>>`:
//!     let boxed: Box<dyn std::error::Error> = outcome.unwrap_err().into();
//!     assert_eq!(boxed.to_string(), "task 'parse' failed: invalid digit found in string");
//!     assert!(boxed.source().is_none()); // the ParseIntError is in the message, named once
//!     let err = taskio::Error::find_in(&*boxed).expect("the taskio::Error is in the box");
//!     assert_eq!(err.task_name(), Some("parse"));
//!     assert!(err.downcast_ref::<std::num::ParseIntError>().is_some());
//! }
//! ```
//!
//! The whole table of conversions, and why `taskio::Error` is not itself a `std::error::Error`
//! (so that `?` can take every error), are on [`Error`].

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::id::TaskId;

#[cfg(feature = "anyhow")]
mod anyhow_bridge;
mod travel;

/// `Result<T, taskio::Error>`, what awaiting a [`Task`](crate::Task) gives.
///
/// ```
/// fn parse(s: &str) -> taskio::Result<u32> {
///     Ok(s.parse::<u32>()?)
/// }
/// assert_eq!(parse("7").unwrap(), 7);
/// assert!(parse("x").is_err());
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The error a cancellation point returns when the current task is asked to stop.
///
/// It is asyncio's `CancelledError` as a value: every cancellation point ([`sleep`](crate::sleep),
/// awaiting a [`Task`](crate::Task), [`checkpoint`](crate::checkpoint), a
/// [`.cancellable()`](crate::CancellableExt::cancellable) future) returns
/// `Result<_, Cancelled>`, so `?` propagates it, and code that matches it can still `.await` its
/// cleanup.
///
/// ```
/// use std::time::Duration;
///
/// let outcome = taskio::run(async {
///     let task = taskio::spawn(async {
///         match taskio::sleep(Duration::from_secs(10)).await {
///             Err(cancelled) => {
///                 assert_eq!(cancelled.message(), Some("shutting down"));
///                 Err(cancelled) // propagate: the task ends cancelled
///             }
///             Ok(()) => Ok(()),
///         }
///     });
///     taskio::sleep(Duration::from_millis(1)).await?;
///     task.cancel_with("shutting down");
///     task.await
/// });
/// assert!(outcome.unwrap_err().is_cancelled());
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cancelled {
    message: Option<Arc<str>>,
}

impl Cancelled {
    /// A cancellation with an optional message, as `CancelledError(msg)`.
    ///
    /// ```
    /// let c = taskio::Cancelled::new(Some("bye"));
    /// assert_eq!(c.message(), Some("bye"));
    /// assert_eq!(taskio::Cancelled::new(None::<&str>).message(), None);
    /// ```
    pub fn new(message: Option<impl Into<Arc<str>>>) -> Self {
        Cancelled {
            message: message.map(Into::into),
        }
    }

    pub(crate) fn with_shared(message: Option<Arc<str>>) -> Self {
        Cancelled { message }
    }

    pub(crate) fn into_message(self) -> Option<Arc<str>> {
        self.message
    }

    /// The message given to [`Task::cancel_with`](crate::Task::cancel_with), if any.
    ///
    /// ```
    /// assert_eq!(taskio::Cancelled::default().message(), None);
    /// ```
    pub fn message(&self) -> Option<&str> {
        self.message.as_deref()
    }
}

impl fmt::Display for Cancelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(m) => write!(f, "cancelled: {m}"),
            None => f.write_str("cancelled"),
        }
    }
}

impl StdError for Cancelled {}

/// The error of a [`timeout`](crate::timeout()) whose deadline passed: asyncio's `TimeoutError`.
///
/// ```
/// let e = taskio::Error::from(taskio::TimedOut::new());
/// assert!(e.is_timed_out());
/// assert_eq!(e.to_string(), "timed out");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TimedOut {
    after: Option<Duration>,
}

impl TimedOut {
    /// A timeout with no known duration.
    ///
    /// ```
    /// assert_eq!(taskio::TimedOut::new().after(), None);
    /// ```
    pub fn new() -> Self {
        TimedOut { after: None }
    }

    /// A timeout that fired after `d`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let t = taskio::TimedOut::after_duration(Duration::from_millis(5));
    /// assert_eq!(t.to_string(), "timed out after 5ms");
    /// ```
    pub fn after_duration(d: Duration) -> Self {
        TimedOut { after: Some(d) }
    }

    /// How long the timed-out work was given, when known.
    ///
    /// ```
    /// use std::time::Duration;
    /// let t = taskio::TimedOut::after_duration(Duration::from_secs(1));
    /// assert_eq!(t.after(), Some(Duration::from_secs(1)));
    /// ```
    pub fn after(&self) -> Option<Duration> {
        self.after
    }
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.after {
            Some(d) => write!(f, "timed out after {d:?}"),
            None => f.write_str("timed out"),
        }
    }
}

impl StdError for TimedOut {}

/// Which task an error came out of: its id and name, for messages. An unnamed task's
/// `Task-<id>` is written only when someone reads it: cancelling many tasks formats nothing.
#[derive(Clone, Debug)]
pub(crate) struct TaskLabel {
    pub(crate) id: TaskId,
    name: Option<Cow<'static, str>>,
    default_name: std::sync::OnceLock<String>,
}

impl TaskLabel {
    pub(crate) fn new(id: TaskId, name: Option<Cow<'static, str>>) -> Self {
        TaskLabel {
            id,
            name,
            default_name: std::sync::OnceLock::new(),
        }
    }

    pub(crate) fn name(&self) -> &str {
        match &self.name {
            Some(n) => n,
            None => self
                .default_name
                .get_or_init(|| format!("Task-{}", self.id)),
        }
    }
}

enum Kind {
    Cancelled(Cancelled),
    TimedOut(TimedOut),
    Panicked(String),
    Group(Vec<Error>),
    User(Box<dyn StdError + Send + Sync + 'static>),
    /// A user error that came in as an `anyhow::Error`: kept whole, so that its own downcasts
    /// (context included) still work, and it goes back out as the very same `anyhow::Error`.
    #[cfg(feature = "anyhow")]
    Anyhow(anyhow::Error),
}

/// What an [`Error`] points to; also its `std::error::Error` face (see [`Error`]'s `Deref`).
pub(crate) struct Inner {
    kind: Kind,
    task: Option<TaskLabel>,
}

/// The error of a task, a gather, a group or a timeout: any user error, a cancellation, a timeout,
/// a panic, or a group of errors. It is cheap to clone.
///
/// ```
/// #[derive(Debug)]
/// struct NotFound;
/// impl std::fmt::Display for NotFound {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("not found") }
/// }
/// impl std::error::Error for NotFound {}
///
/// fn main() {
///     let outcome = taskio::run(async {
///         let task = taskio::task().name("lookup").spawn(async { Err::<u32, _>(NotFound) });
///         task.await
///     });
///     let err = outcome.unwrap_err();
///     assert!(err.downcast_ref::<NotFound>().is_some());
///     assert_eq!(err.task_name(), Some("lookup"));
///     assert_eq!(err.to_string(), "task 'lookup' failed: not found");
/// }
/// ```
///
/// # Errors that travel: the conversions you write
///
/// | from | into | you write | and back |
/// |---|---|---|---|
/// | any `E: std::error::Error + Send + Sync + 'static` | `taskio::Error` | `?` | [`err.downcast_ref::<E>()`](Error::downcast_ref) |
/// | `taskio::Error` | `Box<dyn Error + Send + Sync>`, `Box<dyn Error>` | `?` | [`Error::find_in(&*boxed)`](Error::find_in), [`Error::from_boxed(boxed)`](Error::from_boxed) |
/// | `Box<dyn Error + Send + Sync>` | `taskio::Error` | `.map_err(taskio::Error::from_boxed)?` | `Box::from(err)` gives the same box back |
/// | `taskio::Error` | `anyhow::Error` (feature `anyhow`) | `?` | `a.downcast_ref::<taskio::Error>()`, then `.downcast_ref::<E>()` |
/// | `anyhow::Error` | `taskio::Error` (feature `anyhow`) | `.map_err(taskio::Error::from_anyhow)?` | `err.downcast_ref::<E>()`; `anyhow::Error::from(err)` |
///
/// Every way back keeps the kind: a cancellation that went into a `Box<dyn Error>` or an
/// `anyhow::Error` comes out [`is_cancelled`](Error::is_cancelled) again, with its message, its
/// task's name and id; the same for a timeout, a panic and a group.
///
/// **Why `taskio::Error` is not itself a `std::error::Error`** (as `anyhow::Error` is not): so that
/// `?` takes every error. That `?` is the blanket `impl<E: std::error::Error + Send + Sync> From<E>
/// for taskio::Error`, and if `taskio::Error` were a `std::error::Error`, the blanket would cover
/// `From<taskio::Error> for taskio::Error`, which the standard library already has: the compiler
/// refuses the pair. Instead `taskio::Error` *derefs* to `dyn std::error::Error + Send + Sync`, so
/// `err.source()` works and it can be the `#[source]` or `#[error(transparent)]` field of a
/// `thiserror` enum, and `?` turns it into a boxed `std::error::Error` or an `anyhow::Error`.
///
/// The same blanket is why the two ways *in* from a box or an `anyhow::Error` are a function and not
/// `?`: a `From<anyhow::Error>` (or `From<Box<dyn Error + Send + Sync>>`) beside it is refused
/// (E0119, "upstream crates may add a new impl of trait `std::error::Error`"), since
/// `anyhow::Error` may one day be a `std::error::Error` itself. A task body that returns an
/// `anyhow::Result` maps its error the same way.
///
/// **Each fact once.** [`Display`](fmt::Display) says what happened, the user error's message
/// included ("task 'quota' failed: quota exceeded"), and `source()` goes on *below* that user
/// error (it is already in the message), so a printed chain (anyhow's `{:#}`, a reporter that walks
/// `source()`) names every fact once.
///
/// ```
/// use std::error::Error as _;
///
/// #[derive(Debug)]
/// struct Quota(std::io::Error);
/// impl std::fmt::Display for Quota {
///     fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str("quota exceeded") }
/// }
/// impl std::error::Error for Quota {
///     fn source(&self) -> Option<&(dyn std::error::Error + 'static)> { Some(&self.0) }
/// }
///
/// async fn work() -> Result<(), Quota> {
///     Err(Quota(std::io::Error::other("disk full")))
/// }
///
/// async fn handler() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
///     taskio::task().name("quota").spawn(work()).await?; // `?`: taskio::Error into the box
///     Ok(())
/// }
///
/// fn main() {
///     let boxed = taskio::run(async { taskio::Ok(handler().await) }).unwrap().unwrap_err();
///     assert_eq!(boxed.to_string(), "task 'quota' failed: quota exceeded");
///     assert_eq!(boxed.source().unwrap().to_string(), "disk full"); // the next fact, once
///
///     let err = taskio::Error::find_in(&*boxed).expect("the taskio::Error is in the box");
///     assert_eq!(err.task_name(), Some("quota"));
///     assert!(err.downcast_ref::<Quota>().is_some());
///
///     let back = taskio::Error::from_boxed(boxed); // by value: the very same error
///     assert!(back.is_failure() && back.downcast_ref::<Quota>().is_some());
/// }
/// ```
#[derive(Clone)]
pub struct Error {
    inner: Arc<Inner>,
}

impl Error {
    fn from_kind(kind: Kind) -> Self {
        Error {
            inner: Arc::new(Inner { kind, task: None }),
        }
    }

    /// Wraps any standard error.
    ///
    /// ```
    /// let e = taskio::Error::new(std::io::Error::other("disk full"));
    /// assert_eq!(e.to_string(), "disk full");
    /// ```
    pub fn new<E>(error: E) -> Self
    where
        E: StdError + Send + Sync + 'static,
    {
        // A `Cancelled` or `TimedOut` that travels as a plain std error keeps its kind, so that
        // `?` on a cancellation point always yields a cancelled `Error`.
        let mut slot = Some(error);
        let any: &mut dyn std::any::Any = &mut slot;
        if let Some(c) = any.downcast_mut::<Option<Cancelled>>() {
            return Error::from_kind(Kind::Cancelled(c.take().unwrap_or_default()));
        }
        if let Some(t) = any.downcast_mut::<Option<TimedOut>>() {
            return Error::from_kind(Kind::TimedOut(t.take().unwrap_or_default()));
        }
        match slot {
            Some(error) => Error::from_kind(Kind::User(Box::new(error))),
            None => unreachable!("the error was taken only on the branches that returned"),
        }
    }

    /// An error from a message, like `anyhow!("...")` or `raise RuntimeError("...")`.
    ///
    /// ```
    /// let e = taskio::Error::msg("boom");
    /// assert_eq!(e.to_string(), "boom");
    /// ```
    pub fn msg(message: impl fmt::Display + fmt::Debug + Send + Sync + 'static) -> Self {
        Error::from_kind(Kind::User(Box::new(Message(message))))
    }

    /// A group of errors, as asyncio's `ExceptionGroup`: what a task group returns.
    ///
    /// ```
    /// let e = taskio::Error::group(vec![taskio::Error::msg("a"), taskio::Error::msg("b")]);
    /// assert_eq!(e.group_errors().map(|g| g.len()), Some(2));
    /// ```
    pub fn group(errors: Vec<Error>) -> Self {
        Error::from_kind(Kind::Group(errors))
    }

    pub(crate) fn panicked(message: String) -> Self {
        Error::from_kind(Kind::Panicked(message))
    }

    /// Whether this is a cancellation (asyncio's `CancelledError`).
    ///
    /// ```
    /// assert!(taskio::Error::from(taskio::Cancelled::default()).is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.inner.kind, Kind::Cancelled(_))
    }

    /// The cancellation, if this is one.
    ///
    /// ```
    /// let e = taskio::Error::from(taskio::Cancelled::new(Some("stop")));
    /// assert_eq!(e.as_cancelled().and_then(|c| c.message()), Some("stop"));
    /// ```
    pub fn as_cancelled(&self) -> Option<&Cancelled> {
        match &self.inner.kind {
            Kind::Cancelled(c) => Some(c),
            _ => None,
        }
    }

    /// Whether this is a timeout.
    ///
    /// ```
    /// assert!(taskio::Error::from(taskio::TimedOut::new()).is_timed_out());
    /// ```
    pub fn is_timed_out(&self) -> bool {
        matches!(self.inner.kind, Kind::TimedOut(_))
    }

    /// Whether this is a panic caught in a task.
    ///
    /// ```
    /// let outcome = taskio::run(async { taskio::spawn(async { if true { panic!("oops") } }).await });
    /// let err = outcome.unwrap_err();
    /// assert!(err.is_panic());
    /// assert_eq!(err.panic_message(), Some("oops"));
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.inner.kind, Kind::Panicked(_))
    }

    /// The panic message, if this is a panic.
    ///
    /// ```
    /// assert_eq!(taskio::Error::msg("x").panic_message(), None);
    /// ```
    pub fn panic_message(&self) -> Option<&str> {
        match &self.inner.kind {
            Kind::Panicked(m) => Some(m),
            _ => None,
        }
    }

    /// The errors of a group error, in the order they happened.
    ///
    /// ```
    /// assert!(taskio::Error::msg("single").group_errors().is_none());
    /// ```
    pub fn group_errors(&self) -> Option<&[Error]> {
        match &self.inner.kind {
            Kind::Group(errors) => Some(errors),
            _ => None,
        }
    }

    /// Whether this is a failure: anything but a cancellation.
    ///
    /// ```
    /// assert!(taskio::Error::msg("x").is_failure());
    /// assert!(!taskio::Error::from(taskio::Cancelled::default()).is_failure());
    /// ```
    pub fn is_failure(&self) -> bool {
        !self.is_cancelled()
    }

    /// The user error inside, if it is of type `E` (also a [`Cancelled`] or a [`TimedOut`]). A user
    /// error that came in as an `anyhow::Error` answers as anyhow does (its context included).
    ///
    /// ```
    /// let e = taskio::Error::new(std::io::Error::other("nope"));
    /// assert!(e.downcast_ref::<std::io::Error>().is_some());
    /// assert!(e.downcast_ref::<std::fmt::Error>().is_none());
    /// ```
    pub fn downcast_ref<E: StdError + Send + Sync + 'static>(&self) -> Option<&E> {
        match &self.inner.kind {
            Kind::User(e) => e.downcast_ref::<E>(),
            #[cfg(feature = "anyhow")]
            Kind::Anyhow(e) => e.downcast_ref::<E>(),
            Kind::Cancelled(c) => (c as &dyn StdError).downcast_ref::<E>(),
            Kind::TimedOut(t) => (t as &dyn StdError).downcast_ref::<E>(),
            Kind::Panicked(_) | Kind::Group(_) => None,
        }
    }

    /// Whether the user error inside is of type `E`: [`downcast_ref`](Error::downcast_ref)`.is_some()`.
    /// (The `is` that `Deref` would otherwise find, on `dyn std::error::Error`, asks about the
    /// wrapper, never about the error inside.)
    ///
    /// ```
    /// assert!(taskio::Error::new(std::fmt::Error).is::<std::fmt::Error>());
    /// assert!(!taskio::Error::msg("x").is::<std::fmt::Error>());
    /// ```
    pub fn is<E: StdError + Send + Sync + 'static>(&self) -> bool {
        self.downcast_ref::<E>().is_some()
    }

    /// The name of the task this error came out of, if it came out of one.
    ///
    /// ```
    /// assert_eq!(taskio::Error::msg("x").task_name(), None);
    /// ```
    pub fn task_name(&self) -> Option<&str> {
        self.inner.task.as_ref().map(|t| t.name())
    }

    /// The id of the task this error came out of, if it came out of one.
    ///
    /// ```
    /// assert_eq!(taskio::Error::msg("x").task_id(), None);
    /// ```
    pub fn task_id(&self) -> Option<TaskId> {
        self.inner.task.as_ref().map(|t| t.id)
    }

    /// Labels the error with the task it leaves, unless it already names one. An error that was
    /// cloned before it left (and so is shared) keeps its text as it is.
    pub(crate) fn with_task(mut self, label: impl FnOnce() -> TaskLabel) -> Self {
        if self.inner.task.is_none()
            && let Some(inner) = Arc::get_mut(&mut self.inner)
        {
            inner.task = Some(label());
        }
        self
    }
}

struct Message<M>(M);

impl<M: fmt::Display> fmt::Display for Message<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<M: fmt::Debug> fmt::Debug for Message<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<M: fmt::Display + fmt::Debug> StdError for Message<M> {}

impl<E> From<E> for Error
where
    E: StdError + Send + Sync + 'static,
{
    fn from(error: E) -> Self {
        Error::new(error)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&*self.inner, f)
    }
}

impl fmt::Display for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.fmt_naming(f, self.task.as_ref().map(|t| t.name()))
    }
}

/// What an [`Error`] says without the task it came out of: "disk full" for "task 'x' failed:
/// disk full" (for reports that name the task themselves).
pub(crate) struct WithoutTask<'a>(&'a Error);

impl fmt::Display for WithoutTask<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.inner.fmt_naming(f, None)
    }
}

impl Error {
    /// See [`WithoutTask`].
    pub(crate) fn without_task(&self) -> WithoutTask<'_> {
        WithoutTask(self)
    }
}

impl Inner {
    /// The message, naming `task` as the task it came out of, if any.
    fn fmt_naming(&self, f: &mut fmt::Formatter<'_>, task: Option<&str>) -> fmt::Result {
        match (&self.kind, task) {
            (Kind::Cancelled(c), Some(name)) => match c.message() {
                Some(m) => write!(f, "task '{name}' was cancelled: {m}"),
                None => write!(f, "task '{name}' was cancelled"),
            },
            (Kind::Cancelled(c), None) => fmt::Display::fmt(c, f),
            (Kind::Panicked(m), Some(name)) => write!(f, "task '{name}' panicked: {m}"),
            (Kind::Panicked(m), None) => write!(f, "panicked: {m}"),
            (Kind::TimedOut(t), Some(name)) => write!(f, "task '{name}' {t}"),
            (Kind::TimedOut(t), None) => fmt::Display::fmt(t, f),
            (Kind::Group(errors), _) => {
                if let Some(name) = task {
                    write!(f, "task '{name}': ")?;
                }
                let n = errors.len();
                write!(
                    f,
                    "{n} error{} in task group",
                    if n == 1 { "" } else { "s" }
                )?;
                for (i, e) in errors.iter().enumerate() {
                    write!(f, "{} [{}] {e}", if i == 0 { ":" } else { ";" }, i + 1)?;
                }
                fmt::Result::Ok(())
            }
            (Kind::User(e), Some(name)) => write!(f, "task '{name}' failed: {e}"),
            (Kind::User(e), None) => fmt::Display::fmt(e, f),
            #[cfg(feature = "anyhow")]
            (Kind::Anyhow(e), Some(name)) => write!(f, "task '{name}' failed: {e}"),
            #[cfg(feature = "anyhow")]
            (Kind::Anyhow(e), None) => fmt::Display::fmt(e, f),
        }
    }
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        match &self.kind {
            Kind::Cancelled(c) => d.field("cancelled", &c.message()),
            Kind::TimedOut(t) => d.field("timed_out", &t.after()),
            Kind::Panicked(m) => d.field("panicked", m),
            Kind::Group(errors) => d.field("group", errors),
            Kind::User(e) => d.field("error", e),
            #[cfg(feature = "anyhow")]
            Kind::Anyhow(e) => d.field("error", e),
        };
        if let Some(t) = &self.task {
            d.field("task", &t.name()).field("task_id", &t.id);
        }
        d.finish()
    }
}

/// The `std::error::Error` face of an [`Error`]: the message names the user error, so `source()`
/// goes on below it, and a printed chain names each fact once.
impl StdError for Inner {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.kind {
            Kind::User(e) => e.source(),
            #[cfg(feature = "anyhow")]
            Kind::Anyhow(e) => e.source(),
            Kind::Cancelled(_) | Kind::TimedOut(_) | Kind::Panicked(_) | Kind::Group(_) => None,
        }
    }
}

/// An [`Error`] is seen as a `std::error::Error` through `Deref` (as `anyhow::Error` is), for
/// `err.source()` and for the `#[source]` field of a `thiserror` enum.
impl std::ops::Deref for Error {
    type Target = dyn StdError + Send + Sync + 'static;

    fn deref(&self) -> &Self::Target {
        &*self.inner
    }
}

impl AsRef<dyn StdError + Send + Sync + 'static> for Error {
    fn as_ref(&self) -> &(dyn StdError + Send + Sync + 'static) {
        &*self.inner
    }
}

impl AsRef<dyn StdError + 'static> for Error {
    fn as_ref(&self) -> &(dyn StdError + 'static) {
        &*self.inner
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.inner, f)
    }
}

/// `Ok(value)` with the error type fixed to [`Error`], for async blocks whose error type cannot be
/// inferred (as `anyhow::Ok`).
///
/// ```
/// let task_body = async { taskio::Ok(42) };
/// assert_eq!(taskio::run(async move { taskio::spawn(task_body).await }).unwrap(), 42);
/// ```
#[allow(non_snake_case)]
pub fn Ok<T>(value: T) -> Result<T> {
    Result::Ok(value)
}
