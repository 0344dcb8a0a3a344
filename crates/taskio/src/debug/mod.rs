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

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::header::{CANCEL_PENDING, DELIVERED, Header};
use crate::task::TaskId;

mod report;

pub use report::{DebugEvent, DebugReport};

/// asyncio's `slow_callback_duration` default.
const DEFAULT_THRESHOLD: Duration = Duration::from_millis(100);

/// Whether debug mode is on: the one load a task's poll pays.
static ENABLED: AtomicBool = AtomicBool::new(false);
/// The slow-poll threshold in nanoseconds (`u64::MAX`: never).
static THRESHOLD_NANOS: AtomicU64 = AtomicU64::new(100_000_000);

/// Where reports go instead of `tracing`, if somewhere. Read only on the report path.
type Hook = Arc<dyn Fn(&DebugReport) + Send + Sync>;
static HOOK: Mutex<Option<Hook>> = Mutex::new(None);

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

fn lock_hook() -> std::sync::MutexGuard<'static, Option<Hook>> {
    HOOK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Taken before a task's body is polled: whether debug mode times this poll (then the time
/// is kept on this thread, a stack for nested polls: an eager spawn polls inside its spawner's
/// poll). Off, this is one relaxed load, and what crosses the poll is one `bool`.
#[inline(always)]
pub(crate) fn poll_started() -> bool {
    let on = ENABLED.load(Ordering::Relaxed);
    if on {
        mark_start();
    }
    on
}

thread_local! {
    static STARTS: std::cell::RefCell<Vec<Instant>> = const { std::cell::RefCell::new(Vec::new()) };
}

#[cold]
fn mark_start() {
    let now = Instant::now();
    let _ = STARTS.try_with(|s| s.borrow_mut().push(now));
}

/// After the body's poll (`timed`: what [`poll_started`] gave): reports it if it held the
/// thread longer than the threshold.
#[inline(always)]
pub(crate) fn poll_ended(timed: bool, header: &Header) {
    if timed {
        slow_poll(header);
    }
}

#[cold]
fn slow_poll(header: &Header) {
    let Some(started) = STARTS.try_with(|s| s.borrow_mut().pop()).ok().flatten() else {
        return;
    };
    let took = started.elapsed();
    let nanos = THRESHOLD_NANOS.load(Ordering::Relaxed);
    let threshold = Duration::from_nanos(nanos);
    if nanos != u64::MAX && took > threshold {
        report::emit(&DebugReport::of(
            header,
            DebugEvent::SlowPoll { took, threshold },
        ));
    }
}

/// The body returned `Ok` (`value`) or an error, with the flags `seen` as it closed. Reports a
/// cancellation that reached its code and was swallowed: a value, and no request pending (one
/// that is makes the task end cancelled after all).
#[inline(always)]
pub(crate) fn ended(header: &Header, seen: u64, value: bool) {
    if seen & DELIVERED != 0 {
        settled(header, value && seen & CANCEL_PENDING == 0);
    }
}

#[cold]
fn settled(header: &Header, value: bool) {
    let forwarded = take_forwarded(header.id);
    if !value || !is_enabled() || forwarded || crate::run::in_shutdown(header.root) {
        return;
    }
    report::emit(&DebugReport::of(header, DebugEvent::SwallowedCancel));
}

/// The tasks whose request was taken by awaiting another task's handle, which passed it on to
/// that task (the awaiting code never saw `Err(Cancelled)` unless that task ended cancelled).
/// Filled in debug mode only; an entry goes when its task's body returns.
fn forwarded_set() -> std::sync::MutexGuard<'static, HashSet<TaskId>> {
    static FORWARDED: OnceLock<Mutex<HashSet<TaskId>>> = OnceLock::new();
    FORWARDED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

/// The current task's request was taken by an await of a handle and passed on to the awaited
/// task: it did not reach this task's code.
#[cold]
pub(crate) fn forwarded() {
    if !is_enabled() {
        return;
    }
    if let Some(id) = crate::context::current_id() {
        forwarded_set().insert(id);
    }
}

fn take_forwarded(id: TaskId) -> bool {
    forwarded_set().remove(&id)
}

/// A cancel was delivered by dropping the future the code of `task` waited in (`None`: code
/// outside any task); `scope`: a scope's request (timeout, gather, group) rather than the
/// task's own. Returns `false` outside debug mode (the caller logs at debug level then).
pub(crate) fn dropped(task: Option<&Header>, scope: bool) -> bool {
    if !is_enabled() {
        return false;
    }
    let event = DebugEvent::DroppedForCancel { scope };
    let report = match task {
        Some(header) => DebugReport::of(header, event),
        None => DebugReport {
            id: None,
            name: String::from("(code outside any taskio task)"),
            spawned_at: None,
            event,
        },
    };
    report::emit(&report);
    true
}
