//! Deadlines on a piece of work: asyncio's `asyncio.timeout(d)`, `asyncio.timeout_at(when)` and
//! `asyncio.wait_for(aw, d)` ([`timeout`], [`timeout_at`]), and `Timeout.reschedule(when)`
//! ([`Deadline::reschedule`]).
//!
//! At the deadline the inner work is cancelled cooperatively, in its own cancel scope (the task
//! that runs it is not cancelled): its next cancellation point returns `Err(Cancelled)`, it may
//! await its cleanup, and the timeout keeps polling it until it ends. Then:
//!
//! - it ended in `Err(Cancelled)` after taking the timeout's request: `Err(TimedOut)`
//!   ([`Error::is_timed_out`](crate::Error::is_timed_out));
//! - it suppressed the request and returned a value (or another error): that stands;
//! - the cancellation it ended with came from outside (the task was cancelled): `Err(Cancelled)`,
//!   never `TimedOut`, even if the deadline has passed too;
//! - nested timeouts: only the one whose deadline fired reports `TimedOut`; an inner one passes
//!   the outer one's cancellation through unchanged. When several have expired by the time the
//!   work stops (the same deadline, or a busy loop that passed both), the outermost reports and
//!   the inner ones pass `Cancelled` through, so code between them (a retry loop) does not run
//!   one more round past the outer deadline. Each one's [`Timeout::expired`] /
//!   [`Deadline::expired`] says whether its deadline fired (asyncio's `Timeout.expired()`).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use pin_project_lite::pin_project;
use tokio::time::Instant;

use crate::error::{Result, TimedOut};
use crate::output::TaskOutput;
use crate::reschedule_error::{Refused, RescheduleError};
use crate::scope::Scope;
use crate::sync::{Mutex, lock};

/// Runs `work` with a time limit of `duration`: asyncio's `async with asyncio.timeout(d)` and
/// `wait_for(aw, d)`. Awaits to `taskio::Result<T>`: the work's outcome, or `Err(e)` with
/// `e.is_timed_out()` if the deadline fired and the work ended because of it.
///
/// The work runs inline in the awaiting task; at the deadline it is cancelled cooperatively (in
/// its own cancel scope: the task is not cancelled) and awaited. If it suppresses the
/// cancellation and returns a value, the value stands. A cancel of the task from outside reaches
/// the work and comes out as `Err(Cancelled)`, never as `TimedOut`; of nested timeouts, only the
/// one whose deadline fired reports `TimedOut`. For a deadline that can move, see [`Deadline`].
///
/// A `duration` too long to add to the clock (`Duration::MAX`) is no limit at all, as for
/// [`sleep`](crate::sleep()) and tokio's own `timeout`: the work simply runs to its end.
///
/// The work must reach a cancellation point to be stopped: taskio's futures are, and a future
/// from tokio or another library becomes one with
/// [`.cancellable()`](crate::CancellableExt::cancellable) (then the value is that future's
/// output):
///
/// ```
/// use std::time::Duration;
/// use taskio::CancellableExt;
///
/// taskio::run(async {
///     let (_tx, rx) = tokio::sync::oneshot::channel::<u32>(); // nobody sends
///     let err = taskio::timeout(Duration::from_millis(10), rx.cancellable()).await.unwrap_err();
///     assert!(err.is_timed_out());
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
///
/// ```
/// use std::time::Duration;
///
/// fn main() -> taskio::Result<()> {
///     taskio::run(async {
///         let slow = async {
///             taskio::sleep(Duration::from_secs(3600)).await?;
///             taskio::Ok("done")
///         };
///         let err = taskio::timeout(Duration::from_millis(10), slow).await.unwrap_err();
///         assert!(err.is_timed_out());
///         assert_eq!(err.to_string(), "timed out after 10ms");
///
///         let fast = async { taskio::Ok(5) };
///         assert_eq!(taskio::timeout(Duration::from_secs(1), fast).await?, 5);
///         taskio::Ok(())
///     })
/// }
/// ```
///
/// # Panics
///
/// Outside a tokio runtime, with a message that says how to fix it.
#[track_caller]
pub fn timeout<F>(duration: Duration, work: F) -> Timeout<F>
where
    F: Future,
    F::Output: TaskOutput,
{
    crate::time::require_runtime("timeout");
    let now = Instant::now();
    let source = match now.checked_add(duration) {
        Some(at) => Source::Fixed(at),
        None => Source::Unlimited,
    };
    Timeout::new(now, source, work)
}

/// Runs `work` until `deadline`: asyncio's `asyncio.timeout_at(when)`. `deadline` is a
/// `tokio::time::Instant`, or a [`Deadline`] whose time can be moved while the work runs.
///
/// ```
/// use std::time::Duration;
/// use tokio::time::Instant;
///
/// taskio::run(async {
///     let deadline = Instant::now() + Duration::from_millis(50);
///     let r = taskio::timeout_at(deadline, async {
///         taskio::sleep(Duration::from_secs(3600)).await?;
///         taskio::Ok(())
///     })
///     .await;
///     assert!(r.unwrap_err().is_timed_out());
///     assert!(Instant::now() >= deadline);
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
///
/// # Panics
///
/// Outside a tokio runtime, with a message that says how to fix it.
#[track_caller]
pub fn timeout_at<F>(deadline: impl Into<Deadline>, work: F) -> Timeout<F>
where
    F: Future,
    F::Output: TaskOutput,
{
    crate::time::require_runtime("timeout_at");
    let source = match deadline.into().0 {
        DeadlineInner::Fixed(at) => Source::Fixed(at),
        DeadlineInner::Shared(shared) => Source::Shared(shared, u64::MAX),
    };
    Timeout::new(Instant::now(), source, work)
}

/// A deadline that can be moved while a [`timeout_at`] waits on it: asyncio's
/// `Timeout.reschedule(when)`. Clone it, hand one clone to `timeout_at`, and keep the other (or
/// move it into the work itself) to reschedule. One timeout at a time should wait on a given
/// `Deadline` (a reschedule wakes the one that polled it last).
///
/// ```
/// use std::time::Duration;
/// use tokio::time::Instant;
///
/// fn main() -> taskio::Result<()> {
///     taskio::run(async {
///         let start = Instant::now();
///         let deadline = taskio::Deadline::after(Duration::from_millis(200));
///         let handle = deadline.clone();
///         let r = taskio::timeout_at(deadline, async move {
///             taskio::sleep(Duration::from_millis(120)).await?;
///             // more work turned up: give ourselves another 200ms
///             handle.reschedule(Instant::now() + Duration::from_millis(200)).unwrap();
///             taskio::sleep(Duration::from_millis(120)).await?;
///             taskio::Ok("finished in time")
///         })
///         .await;
///         assert_eq!(r?, "finished in time");
///         assert!(start.elapsed() >= Duration::from_millis(240)); // past the first deadline
///         taskio::Ok(())
///     })
/// }
/// ```
#[derive(Clone)]
pub struct Deadline(DeadlineInner);

#[derive(Clone)]
enum DeadlineInner {
    Fixed(Instant),
    Shared(Arc<Shared>),
}

struct Shared {
    state: Mutex<SharedState>,
}

struct SharedState {
    when: Option<Instant>,
    generation: u64,
    waker: Option<Waker>,
    /// Where the timeout that waits on this deadline is (the last one that polled it).
    life: Life,
}

/// Where a timeout is in its life (asyncio's `_State`): what [`Deadline::expired`] and
/// [`Deadline::reschedule`] read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    /// Not started, or running with its deadline not yet fired (or fired and not yet seen by
    /// the work: a reschedule still withdraws that request).
    Waiting,
    /// The deadline fired and the work took the cancel: it is handling it.
    Expiring,
    /// The deadline fired and the timeout has returned.
    Expired,
    /// The work ended before the deadline fired.
    Finished,
}

impl Deadline {
    /// A movable deadline at `when`.
    ///
    /// ```
    /// use tokio::time::Instant;
    ///
    /// let now = Instant::now();
    /// assert_eq!(taskio::Deadline::at(now).when(), Some(now));
    /// ```
    pub fn at(when: Instant) -> Self {
        Self::shared(Some(when))
    }

    /// A movable deadline `duration` from now. A `duration` too long to add to the clock
    /// (`Duration::MAX`) is no limit: the deadline starts unset, as [`never`](Deadline::never)'s.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tokio::time::Instant;
    ///
    /// let before = Instant::now();
    /// let d = taskio::Deadline::after(Duration::from_secs(2));
    /// assert!(d.when().unwrap() >= before + Duration::from_secs(2));
    /// assert_eq!(taskio::Deadline::after(Duration::MAX).when(), None);
    /// ```
    pub fn after(duration: Duration) -> Self {
        Self::shared(Instant::now().checked_add(duration))
    }

    /// A movable deadline that is not set: the timeout waits on it never fires until
    /// [`reschedule`](Deadline::reschedule) sets it (asyncio's `timeout(None)`).
    ///
    /// ```
    /// assert_eq!(taskio::Deadline::never().when(), None);
    /// ```
    pub fn never() -> Self {
        Self::shared(None)
    }

    fn shared(when: Option<Instant>) -> Self {
        Deadline(DeadlineInner::Shared(Arc::new(Shared {
            state: Mutex::new(SharedState {
                when,
                generation: 0,
                waker: None,
                life: Life::Waiting,
            }),
        })))
    }

    /// The deadline now, `None` if unset: asyncio's `Timeout.when()`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let d = taskio::Deadline::after(Duration::from_secs(1));
    /// assert!(d.when().is_some());
    /// ```
    pub fn when(&self) -> Option<Instant> {
        match &self.0 {
            DeadlineInner::Fixed(at) => Some(*at),
            DeadlineInner::Shared(s) => lock(&s.state).when,
        }
    }

    /// Whether the timeout that waits on this deadline expired: its deadline fired while the
    /// work ran (asyncio's `Timeout.expired()`). See [`Timeout::expired`]. A fixed deadline
    /// (`Deadline::from(instant)`) is a copy of its instant, linked to no timeout: `false`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let expired = taskio::run(async {
    ///     let deadline = taskio::Deadline::after(Duration::from_millis(1));
    ///     let handle = deadline.clone();
    ///     let r = taskio::timeout_at(deadline, taskio::sleep(Duration::from_secs(10))).await;
    ///     taskio::Ok(r.unwrap_err().is_timed_out() && handle.expired())
    /// });
    /// assert!(expired.unwrap());
    /// ```
    pub fn expired(&self) -> bool {
        match &self.0 {
            DeadlineInner::Fixed(_) => false,
            DeadlineInner::Shared(s) => {
                matches!(lock(&s.state).life, Life::Expiring | Life::Expired)
            }
        }
    }

    /// Moves the deadline to `when` (`None`: no deadline), also while a timeout waits on it:
    /// asyncio's `Timeout.reschedule(when)`.
    ///
    /// # Errors
    ///
    /// A [`RescheduleError`] naming the state, and nothing changed
    /// (`when()` keeps its value), when the timeout that waits on this deadline is past its
    /// useful life (asyncio raises `RuntimeError` in the same states): it is expiring (the
    /// deadline fired and the work is handling the cancel), it has expired (it returned after
    /// its deadline fired) or it has finished (its work ended in time). A deadline handed to a
    /// new `timeout_at` can be moved again.
    ///
    /// A deadline made from a plain `Instant` (`Deadline::from(instant)`) is fixed: this does
    /// nothing to it (and returns `Ok`). Make movable ones with [`Deadline::at`], [`after`](Deadline::after) or
    /// [`never`](Deadline::never).
    ///
    /// ```
    /// use std::time::Duration;
    /// use tokio::time::Instant;
    ///
    /// let d = taskio::Deadline::never();
    /// let later = Instant::now() + Duration::from_secs(5);
    /// d.reschedule(later).unwrap();
    /// assert_eq!(d.when(), Some(later));
    /// d.reschedule(None).unwrap();
    /// assert_eq!(d.when(), None);
    /// ```
    pub fn reschedule(
        &self,
        when: impl Into<Option<Instant>>,
    ) -> std::result::Result<(), RescheduleError> {
        let DeadlineInner::Shared(s) = &self.0 else {
            return Ok(());
        };
        let waker = {
            let mut state = lock(&s.state);
            let refused = match state.life {
                Life::Waiting => None,
                Life::Expiring => Some(Refused::Expiring),
                Life::Expired => Some(Refused::Expired),
                Life::Finished => Some(Refused::Finished),
            };
            if let Some(state) = refused {
                return Err(RescheduleError { state });
            }
            state.when = when.into();
            state.generation += 1;
            state.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
        Ok(())
    }
}

impl From<Instant> for Deadline {
    fn from(at: Instant) -> Self {
        Deadline(DeadlineInner::Fixed(at))
    }
}

impl fmt::Debug for Deadline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Deadline")
            .field("when", &self.when())
            .field("movable", &matches!(self.0, DeadlineInner::Shared(_)))
            .finish()
    }
}

enum Source {
    Fixed(Instant),
    /// No deadline: `timeout` was given a duration past the clock's end.
    Unlimited,
    /// The shared deadline, and the generation this timeout last saw.
    Shared(Arc<Shared>, u64),
}

pin_project! {
    /// The inner work, until a request is delivered to it by dropping it.
    #[project = WorkProj]
    enum Work<F> {
        Running { #[pin] fut: F },
        Dropped,
    }
}

pin_project! {
    /// The future of [`timeout`] and [`timeout_at`]: awaits to `taskio::Result<T>`.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// taskio::run(async {
    ///     let t: taskio::Timeout<_> = taskio::timeout(Duration::from_secs(1), async { taskio::Ok(1) });
    ///     assert_eq!(t.await?, 1);
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    #[must_use = "futures do nothing unless awaited"]
    pub struct Timeout<F> {
        #[pin]
        work: Work<F>,
        #[pin]
        timer: tokio::time::Sleep,
        scope: Scope,
        source: Source,
        start: Instant,
        // The deadline the timer is set to (`None`: no deadline).
        armed: Option<Instant>,
        fired: Option<Instant>,
        // The running task's `cancelling()` count when the work started: a higher count at the
        // end means a cancel from outside, which is never reported as a timeout (as asyncio).
        cancelling_at_start: Option<u32>,
        life: Life,
    }

    impl<F> PinnedDrop for Timeout<F> {
        fn drop(this: Pin<&mut Self>) {
            // Dropped before it returned (`select!`, tokio's own timeout): a panic in the work's
            // `Drop` is reported, never unwound out of this drop (which may run in an unwind).
            let mut work = this.project().work;
            if let WorkProj::Running { .. } = work.as_mut().project()
                && let Err(panicked) = crate::spawn::catch(|| work.set(Work::Dropped))
            {
                crate::report::dropped("timeout", &panicked);
            }
        }
    }
}

impl<F> Timeout<F>
where
    F: Future,
    F::Output: TaskOutput,
{
    fn new(start: Instant, source: Source, work: F) -> Self {
        let armed = match &source {
            Source::Fixed(at) => Some(*at),
            Source::Unlimited => None,
            Source::Shared(s, _) => {
                // A deadline handed to a new timeout starts a new life.
                let mut state = lock(&s.state);
                state.life = Life::Waiting;
                state.when
            }
        };
        Timeout {
            work: Work::Running { fut: work },
            // An unset deadline still needs a timer value; it is never polled while unset.
            timer: tokio::time::sleep_until(armed.unwrap_or(start)),
            scope: Scope::default(),
            source,
            start,
            armed,
            fired: None,
            cancelling_at_start: None,
            life: Life::Waiting,
        }
    }

    /// Whether this timeout's deadline fired while its work ran: asyncio's
    /// `Timeout.expired()`. True from the moment the work takes the deadline's cancel, also
    /// when the work then suppresses it, or when an enclosing timeout that expired as well
    /// reports instead of this one.
    ///
    /// ```
    /// use std::pin::pin;
    /// use std::time::Duration;
    ///
    /// let expired = taskio::run(async {
    ///     let mut t = pin!(taskio::timeout(Duration::from_millis(1), async {
    ///         taskio::sleep(Duration::from_secs(10)).await?;
    ///         taskio::Ok(())
    ///     }));
    ///     let timed_out = t.as_mut().await.unwrap_err().is_timed_out();
    ///     taskio::Ok(timed_out && t.expired())
    /// });
    /// assert!(expired.unwrap());
    /// ```
    pub fn expired(&self) -> bool {
        matches!(self.life, Life::Expiring | Life::Expired)
    }
}

/// The timer fired: the timeout is expiring from now on (a reschedule is refused), unless the
/// deadline was moved since this timeout last looked (then the timeout is polled again, to
/// re-arm its timer for the new deadline, and does not fire).
fn expire(life: &mut Life, source: &Source, cx: &Context<'_>) -> bool {
    if let Source::Shared(shared, seen) = source {
        let mut state = lock(&shared.state);
        if state.generation != *seen {
            cx.waker().wake_by_ref();
            return false;
        }
        state.life = Life::Expiring;
    }
    *life = Life::Expiring;
    true
}

/// Records where a timeout is, in the timeout and in its movable deadline.
fn set_life(life: &mut Life, source: &Source, to: Life) {
    if *life == to {
        return;
    }
    *life = to;
    if let Source::Shared(shared, _) = source {
        lock(&shared.state).life = to;
    }
}

impl<F> Future for Timeout<F>
where
    F: Future,
    F::Output: TaskOutput,
{
    type Output = Result<<F::Output as TaskOutput>::Value>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if this.cancelling_at_start.is_none() {
            *this.cancelling_at_start = Some(current_cancelling());
        }
        // A moved deadline: re-arm the timer, and withdraw a request nobody has seen yet.
        if let Source::Shared(shared, seen) = this.source {
            let mut state = lock(&shared.state);
            match &state.waker {
                Some(w) if w.will_wake(cx.waker()) => {}
                _ => state.waker = Some(cx.waker().clone()),
            }
            if *seen != state.generation {
                *seen = state.generation;
                if state.when != *this.armed {
                    *this.armed = state.when;
                    if let Some(at) = state.when {
                        this.timer.as_mut().reset(at);
                    }
                    if this.fired.is_some() && !this.scope.was_delivered() {
                        this.scope.withdraw();
                        *this.fired = None;
                        state.life = Life::Waiting;
                        *this.life = Life::Waiting;
                    }
                }
            }
        }
        if this.fired.is_none()
            && let Some(at) = *this.armed
            && this.timer.as_mut().poll(cx).is_ready()
            && expire(this.life, this.source, cx)
        {
            *this.fired = Some(at);
            // The work is being cancelled from outside already: let its cleanup run in peace.
            if current_cancelling() <= this.cancelling_at_start.unwrap_or(0)
                && !this.scope.outer_taken()
            {
                this.scope.cancel(None);
                crate::context::wake_foreign_points();
            }
        }
        let WorkProj::Running { fut } = this.work.as_mut().project() else {
            panic!("taskio: a timeout was polled after it completed");
        };
        let output = match crate::gather::poll_in(this.scope, fut, cx) {
            Poll::Ready(Ok(output)) => output.into_result(),
            Poll::Ready(Err(cancelled)) => {
                // Delivered by dropping the work, which waited in no cancellation point. A
                // panic in its `Drop` is the timeout's failure, in place of the cancel (`set`
                // stores `Dropped` even then).
                let scope = &*this.scope;
                let dropped =
                    crate::spawn::catch(|| scope.drop_code(|| this.work.set(Work::Dropped)));
                match dropped {
                    Ok(()) => Err(cancelled.into()),
                    Err(panicked) => Err(panicked),
                }
            }
            Poll::Pending => return Poll::Pending,
        };
        let ended = if this.fired.is_some() {
            Life::Expired
        } else {
            Life::Finished
        };
        set_life(this.life, this.source, ended);
        Poll::Ready(match output {
            Err(e)
                if e.is_cancelled()
                    && this.scope.was_delivered()
                    && !this.scope.outer_taken()
                    && current_cancelling() <= this.cancelling_at_start.unwrap_or(0) =>
            {
                // An enclosing timeout (or another enclosing scope) whose request is pending
                // too: the outermost expired one reports, so this one passes the cancellation
                // through, taking the enclosing request for it (as asyncio, where the task's
                // cancel count is still above this timeout's after its own uncancel).
                if let Some(outer) = crate::context::take_cancel() {
                    return Poll::Ready(Err(outer.into()));
                }
                let fired = this.fired.unwrap_or(*this.start);
                let after = fired.saturating_duration_since(*this.start);
                Err(TimedOut::after_duration(after).into())
            }
            outcome => outcome,
        })
    }
}

/// The current task's outstanding cancel requests (0 outside a task).
fn current_cancelling() -> u32 {
    crate::context::with_current(|t| t.header().cancelling()).unwrap_or(0)
}

impl<F> fmt::Debug for Timeout<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeout")
            .field("deadline", &self.armed)
            .field("fired", &self.fired.is_some())
            .finish_non_exhaustive()
    }
}
