//! Debug mode: taskio's answer to asyncio's debug mode (`asyncio.run(main(), debug=True)`,
//! `loop.set_debug(True)`, `PYTHONASYNCIODEBUG=1`) and its `loop.slow_callback_duration`.
//!
//! Switched on, taskio reports the pitfalls the seeds warn about, each report naming the task
//! (name and id) and the line that spawned it:
//!
//! - **a poll that holds its thread** longer than a threshold (100 ms by default, asyncio's
//!   `slow_callback_duration`): CPU-bound or blocking code between two `.await`s, which stops
//!   every other task on that thread. The report gives the measured duration.
//! - **a swallowed cancellation**: the task ended with a value after `Err(Cancelled)` reached
//!   its code, and no [`uncancel()`](crate::CurrentTask::uncancel) took the request back (a
//!   broad "catch everything" around an await). The library's own paths are not reported: a
//!   timeout that expired and was turned into `TimedOut`, a task group that cancelled its body
//!   for a child's failure, `shield`, the cancels of `run`'s shutdown.
//! - **a cancel delivered by dropping**: the task waited in a future that is not a cancellation
//!   point (tokio I/O, a channel), so the cancel dropped that future and no async cleanup ran
//!   there. Outside debug mode this is a `debug`-level event; in debug mode a warning.
//!
//! Reports go to [`tracing`](https://docs.rs/tracing) as `warn` events with the target
//! `taskio::debug` (fields `task.id`, `task.name`, `task.spawned_at`), or, when no subscriber is
//! installed, as one line on stderr each, as taskio's other reports do. A hook set with
//! [`DebugOptions::on_report`] receives them instead, as [`DebugReport`] values.
//!
//! Off, debug mode costs one relaxed atomic load per poll of a task, and nothing else.
//!
//! # Switching it on
//!
//! - `TASKIO_DEBUG=1` in the environment (any value but empty or `0`), read once, when the first
//!   [`run`](crate::run()) or [`Runner`](crate::Runner) starts; code that does not start taskio
//!   through `run` calls [`enable_from_env`];
//! - [`Runner::debug`](crate::Runner::debug) and
//!   [`Runner::slow_poll_threshold`](crate::Runner::slow_poll_threshold), for one run;
//! - [`enable`] with [`DebugOptions`], for code not under `run` (a `#[tokio::main]` program).
//!
//! Debug mode is a property of the process, as asyncio's is of its loop: it covers every task
//! polled while it is on.
//!
//! ```
//! use std::time::Duration;
//!
//! let out = taskio::Runner::new()
//!     .slow_poll_threshold(Duration::from_millis(20))
//!     .run(async {
//!         let cpu = taskio::task().name("cpu-bound").spawn(async {
//!             // No await for 30 ms: every other task on this thread waits.
//!             std::thread::sleep(Duration::from_millis(30));
//!         });
//!         cpu.await
//!     });
//! // stderr: taskio debug: task 'cpu-bound' (id 2, spawned at ...) held its thread for 30.1ms ...
//! assert!(out.is_ok());
//! ```

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use crate::debug_mode::{DEFAULT_THRESHOLD, ENABLED, Hook, THRESHOLD_NANOS, lock_hook};
use crate::sync::Ordering;

pub use crate::debug_mode::{DebugEvent, DebugReport};

/// How debug mode reports: the slow-poll threshold, and where reports go.
///
/// ```
/// use std::time::Duration;
///
/// let options = taskio::debug::DebugOptions::new().slow_poll_threshold(Duration::from_millis(50));
/// assert_eq!(options.threshold(), Duration::from_millis(50));
/// assert_eq!(taskio::debug::DebugOptions::default().threshold(), Duration::from_millis(100));
/// ```
#[derive(Clone)]
pub struct DebugOptions {
    threshold: Duration,
    hook: Option<Hook>,
}

impl Default for DebugOptions {
    fn default() -> Self {
        DebugOptions {
            threshold: DEFAULT_THRESHOLD,
            hook: None,
        }
    }
}

impl std::fmt::Debug for DebugOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DebugOptions")
            .field("threshold", &self.threshold)
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

impl DebugOptions {
    /// The defaults: a 100 ms threshold, reports to `tracing` (stderr without a subscriber).
    ///
    /// ```
    /// taskio::debug::enable(taskio::debug::DebugOptions::new());
    /// assert!(taskio::debug::is_enabled());
    /// taskio::debug::disable();
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// A poll of a task that holds its thread longer than `threshold` is reported (asyncio's
    /// `loop.slow_callback_duration`). `Duration::MAX` reports none.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let o = taskio::debug::DebugOptions::new().slow_poll_threshold(Duration::from_secs(1));
    /// assert_eq!(o.threshold(), Duration::from_secs(1));
    /// ```
    pub fn slow_poll_threshold(mut self, threshold: Duration) -> Self {
        self.threshold = threshold;
        self
    }

    /// The slow-poll threshold.
    ///
    /// ```
    /// println!("{:?}", taskio::debug::DebugOptions::new().threshold());
    /// ```
    pub fn threshold(&self) -> Duration {
        self.threshold
    }

    /// Sends every report to `hook` instead of `tracing` and stderr (to show them in a UI, or
    /// to check them in a test). The hook runs on the thread that found the problem, inside
    /// the task's poll: keep it short. A panic in it is caught and dropped.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// use taskio::debug::{DebugEvent, DebugOptions};
    ///
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let sink = seen.clone();
    /// taskio::debug::enable(
    ///     DebugOptions::new()
    ///         .slow_poll_threshold(Duration::from_millis(10))
    ///         .on_report(move |r| sink.lock().unwrap().push(r.clone())),
    /// );
    /// taskio::run(async {
    ///     taskio::task()
    ///         .name("spinner")
    ///         .spawn(async { std::thread::sleep(Duration::from_millis(20)) })
    ///         .await
    /// })
    /// .unwrap();
    /// taskio::debug::disable();
    /// let seen = seen.lock().unwrap();
    /// assert!(seen.iter().any(|r| r.name == "spinner"
    ///     && matches!(r.event, DebugEvent::SlowPoll { .. })));
    /// ```
    pub fn on_report(mut self, hook: impl Fn(&DebugReport) + Send + Sync + 'static) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }
}

/// Switches debug mode on for the whole process, with `options`.
///
/// ```
/// taskio::debug::enable(taskio::debug::DebugOptions::new());
/// assert!(taskio::debug::is_enabled());
/// taskio::debug::disable();
/// assert!(!taskio::debug::is_enabled());
/// ```
pub fn enable(options: DebugOptions) {
    let nanos = u64::try_from(options.threshold.as_nanos()).unwrap_or(u64::MAX);
    THRESHOLD_NANOS.store(nanos, Ordering::Relaxed);
    *lock_hook() = options.hook;
    ENABLED.store(true, Ordering::Relaxed);
}

/// Switches debug mode off (and forgets a hook).
///
/// ```
/// taskio::debug::disable();
/// assert!(!taskio::debug::is_enabled());
/// ```
pub fn disable() {
    ENABLED.store(false, Ordering::Relaxed);
    *lock_hook() = None;
    crate::debug_mode::forget_forwarded();
}

/// Whether debug mode is on.
///
/// ```
/// if taskio::debug::is_enabled() {
///     println!("taskio debug mode is on");
/// }
/// ```
pub fn is_enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// Switches debug mode on, with the defaults, if `TASKIO_DEBUG` is set to a value other than
/// empty or `0`; returns whether it did. [`run`](crate::run()) calls this when it starts;
/// code that starts its own tokio runtime calls it once itself.
///
/// ```
/// let on = taskio::debug::enable_from_env();
/// assert_eq!(on, std::env::var("TASKIO_DEBUG").is_ok_and(|v| !v.is_empty() && v != "0"));
/// taskio::debug::disable();
/// ```
pub fn enable_from_env() -> bool {
    let on = std::env::var_os("TASKIO_DEBUG").is_some_and(|v| !v.is_empty() && v != "0");
    if on {
        enable(DebugOptions::new());
    }
    on
}

/// What `run` does when it starts: reads `TASKIO_DEBUG` the first time only.
pub(crate) fn from_env_once() {
    static READ: OnceLock<()> = OnceLock::new();
    READ.get_or_init(|| {
        enable_from_env();
    });
}

/// Debug mode switched on for one `run`, back to what it was when the run ends.
pub(crate) struct ForRun(Option<(bool, u64, Option<Hook>)>);

impl ForRun {
    /// `on`: the Runner's choice (`None`: leave it to the environment), `threshold` its
    /// threshold if it set one.
    pub(crate) fn begin(on: Option<bool>, threshold: Option<Duration>) -> ForRun {
        from_env_once();
        let Some(on) = on else {
            return ForRun(None);
        };
        let saved = (
            is_enabled(),
            THRESHOLD_NANOS.load(Ordering::Relaxed),
            lock_hook().clone(),
        );
        if on {
            let hook = saved.2.clone();
            let mut options = DebugOptions::new();
            options.hook = hook;
            if let Some(t) = threshold {
                options.threshold = t;
            }
            enable(options);
        } else {
            ENABLED.store(false, Ordering::Relaxed);
        }
        ForRun(Some(saved))
    }
}

impl Drop for ForRun {
    fn drop(&mut self) {
        if let Some((on, nanos, hook)) = self.0.take() {
            THRESHOLD_NANOS.store(nanos, Ordering::Relaxed);
            *lock_hook() = hook;
            ENABLED.store(on, Ordering::Relaxed);
        }
    }
}
