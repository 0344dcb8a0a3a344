//! Running many futures at once and collecting their results in input order: asyncio's
//! `gather(*aws)` ([`gather`]) and `gather(*aws, return_exceptions=True)` ([`gather_settled`]),
//! with the concurrency limit that asyncio users build by hand from a `Semaphore`
//! ([`Gather::limit`]). The [`gather!`](crate::gather!) macro covers futures of different types.
//!
//! The inputs run inline in the awaiting task, as `futures::future::join_all` runs them: nothing
//! is spawned. Each input runs in its own cancel scope, so a gather can cancel one input without
//! cancelling the task that awaits it. Awaiting a gather is a cancellation point: a cancelled
//! awaiter cancels every input, waits for their cleanup, and gets `Err(Cancelled)`.
//!
//! Up to 30 inputs (known from the iterator's size hint), they sit unboxed in one
//! `futures_util` `JoinAll` and are all polled on each wake, which is cheapest for so few.
//! Beyond that, each input has its own waker that queues it when it wakes, and only queued
//! inputs are polled: gathering a million tasks costs O(1) per completion (tokio's `join_all`
//! over `JoinHandle`s re-polls everything when the coop budget runs out). An input that ends
//! passes its box and (when nothing else holds it) its waker entry to the next input to start,
//! so inputs that end at once, or run a few at a time under a limit, reuse the same two
//! allocations.
//!
//! Deliberate difference from CPython: when one input fails, [`gather`] cancels the others (the
//! seeds describe this; CPython leaves them running, orphaned) and waits for their cleanup before
//! it returns the failure.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::context::take_cancel_at;
use crate::error::{Cancelled, Error, Result};
use crate::output::TaskOutput;
use crate::point::{Registration, WakerId};
use crate::ready_queue::{Entry, ReadyQueue, Spares};
use crate::scope::Scope;
use small::Small;

mod small;

/// Up to this many inputs (when the size hint did not tell, or with a limit), every running input
/// is polled on each wake, with no per-input waker.
const SMALL: usize = 32;

type Value<F> = <<F as Future>::Output as TaskOutput>::Value;

/// Runs every future of `futures` concurrently, inline in the awaiting task, and gives their
/// values in input order: asyncio's `gather(*aws)`.
///
/// The inputs may be any futures whose output is a `Result<T, E>` with `E: Into<taskio::Error>`
/// (or `()`); a [`Task<T>`](crate::Task) is one. An empty input gives `Ok(vec![])` at once.
///
/// The first failure (an error, a panic, or an input that ended cancelled) cancels every other
/// input (each at its next cancellation point), waits until they have all ended, and is returned.
/// Failures of the others that come after the first (not their cancellations) are reported
/// through `tracing`, never silently lost. If the awaiting task is cancelled, every input is
/// cancelled and awaited, and the gather gives `Err(Cancelled)`.
///
/// Each input is dropped as soon as it ends. A panic in its `Drop` is its failure (when it
/// ended with a value or cancelled) or is reported beside the failure it ended with; a gather
/// dropped before it returned reports its inputs' drop panics instead of unwinding them.
///
/// ```
/// use std::time::Duration;
///
/// async fn fetch(url: &str, millis: u64) -> taskio::Result<String> {
///     taskio::sleep(Duration::from_millis(millis)).await?;
///     Ok(format!("Response from {url}"))
/// }
///
/// fn main() -> taskio::Result<()> {
///     taskio::run(async {
///         let start = std::time::Instant::now();
///         let results = taskio::gather([
///             fetch("api/users", 100),
///             fetch("api/posts", 200),
///             fetch("api/comments", 50),
///         ])
///         .await?;
///         assert_eq!(results[0], "Response from api/users"); // input order
///         assert_eq!(results[2], "Response from api/comments");
///         let took = start.elapsed();
///         assert!(took >= Duration::from_millis(200)); // the slowest one
///         assert!(took < Duration::from_millis(350)); // not one after another
///         taskio::Ok(())
///     })
/// }
/// ```
pub fn gather<I>(futures: I) -> Gather<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
    <I::Item as Future>::Output: TaskOutput,
{
    Gather {
        inner: Inner::new(futures, false),
        point: Registration::default(),
    }
}

/// Runs every future of `futures` concurrently to its end and gives every outcome, value or
/// error, in input order: asyncio's `gather(*aws, return_exceptions=True)`. No input is cancelled
/// because another failed.
///
/// The outer `Err` comes only when the awaiting task is cancelled: then every input is cancelled
/// and awaited first.
///
/// ```
/// use std::time::Duration;
///
/// async fn fetch_data(id: &str, millis: u64, should_fail: bool) -> taskio::Result<String> {
///     taskio::sleep(Duration::from_millis(millis)).await?;
///     if should_fail {
///         return Err(taskio::Error::msg(format!("Failed to fetch data {id}!")));
///     }
///     Ok(format!("Data from {id}"))
/// }
///
/// fn main() -> taskio::Result<()> {
///     taskio::run(async {
///         let mixed = taskio::gather_settled([
///             fetch_data("D", 10, false),
///             fetch_data("E", 20, true), // fails, and F still runs to its end
///             fetch_data("F", 30, false),
///         ])
///         .await?;
///         assert_eq!(mixed[0].as_ref().unwrap(), "Data from D");
///         assert_eq!(mixed[1].as_ref().unwrap_err().to_string(), "Failed to fetch data E!");
///         assert_eq!(mixed[2].as_ref().unwrap(), "Data from F");
///         taskio::Ok(())
///     })
/// }
/// ```
pub fn gather_settled<I>(futures: I) -> GatherSettled<I::Item>
where
    I: IntoIterator,
    I::Item: Future,
    <I::Item as Future>::Output: TaskOutput,
{
    GatherSettled {
        inner: Inner::new(futures, true),
        point: Registration::default(),
    }
}

/// The future of [`gather`]: awaits to `taskio::Result<Vec<T>>`.
///
/// ```
/// taskio::run(async {
///     let g: taskio::Gather<_> = taskio::gather(vec![async { taskio::Ok(1) }]);
///     assert_eq!(g.await?, [1]);
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct Gather<F: Future>
where
    F::Output: TaskOutput,
{
    inner: Inner<F>,
    point: Registration,
}

/// The future of [`gather_settled`]: awaits to `taskio::Result<Vec<taskio::Result<T>>>`.
///
/// ```
/// taskio::run(async {
///     let g: taskio::GatherSettled<_> = taskio::gather_settled(vec![async { taskio::Ok(1) }]);
///     assert_eq!(g.await?[0].as_ref().unwrap(), &1);
///     taskio::Ok(())
/// })
/// .unwrap();
/// ```
#[must_use = "futures do nothing unless awaited"]
pub struct GatherSettled<F: Future>
where
    F::Output: TaskOutput,
{
    inner: Inner<F>,
    point: Registration,
}

impl<F: Future> Gather<F>
where
    F::Output: TaskOutput,
{
    /// Runs at most `n` inputs at a time: the others start (are first polled) as running ones
    /// end, in input order. Asyncio users build this from a `Semaphore`.
    ///
    /// The limit governs inputs that are futures. A [`Task`](crate::Task) runs from the moment
    /// it is spawned, whatever the limit: to bound concurrency, pass futures, not spawned tasks.
    /// Inputs held back by the limit when the gather fails (or is cancelled) are dropped without
    /// being polled (a `Task` among them is detached, not cancelled: another reason to pass
    /// futures). Without a limit, every input starts on the gather's first poll.
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// taskio::run(async {
    ///     let start = std::time::Instant::now();
    ///     let pages = taskio::gather((1..=6).map(|page| async move {
    ///         taskio::sleep(Duration::from_millis(50)).await?;
    ///         taskio::Ok(page)
    ///     }))
    ///     .limit(2)
    ///     .await?;
    ///     assert_eq!(pages, [1, 2, 3, 4, 5, 6]);
    ///     assert!(start.elapsed() >= Duration::from_millis(150)); // 6 jobs, 2 at a time
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn limit(mut self, n: usize) -> Self {
        self.inner.set_limit(n);
        self
    }
}

impl<F: Future> GatherSettled<F>
where
    F::Output: TaskOutput,
{
    /// Runs at most `n` inputs at a time; see [`Gather::limit`].
    ///
    /// # Panics
    ///
    /// If `n` is 0.
    ///
    /// ```
    /// taskio::run(async {
    ///     let all = taskio::gather_settled((0..10).map(|i| async move {
    ///         taskio::checkpoint().await?;
    ///         if i % 2 == 0 { Ok(i) } else { Err(taskio::Error::msg("odd")) }
    ///     }))
    ///     .limit(3)
    ///     .await?;
    ///     assert_eq!(all.iter().filter(|r| r.is_ok()).count(), 5);
    ///     taskio::Ok(())
    /// })
    /// .unwrap();
    /// ```
    pub fn limit(mut self, n: usize) -> Self {
        self.inner.set_limit(n);
        self
    }
}

impl<F: Future> Future for Gather<F>
where
    F::Output: TaskOutput,
{
    type Output = Result<Vec<Value<F>>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.inner.poll(cx, &mut this.point).map(|r| {
            r.map(|outcomes| {
                outcomes
                    .into_iter()
                    .map(|o| o.expect("taskio: a gather without failure has every value"))
                    .collect()
            })
        })
    }
}

impl<F: Future> Future for GatherSettled<F>
where
    F::Output: TaskOutput,
{
    type Output = Result<Vec<Result<Value<F>>>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.inner.poll(cx, &mut this.point)
    }
}

impl<F: Future> fmt::Debug for Gather<F>
where
    F::Output: TaskOutput,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.debug("Gather", f)
    }
}

impl<F: Future> fmt::Debug for GatherSettled<F>
where
    F::Output: TaskOutput,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.debug("GatherSettled", f)
    }
}

/// The two ways a gather runs, chosen from the input iterator's size hint.
enum Inner<F: Future>
where
    F::Output: TaskOutput,
{
    /// At most 30 inputs: one `JoinAll`, every input polled on each wake.
    Small(Small<F>),
    Core(Core<F>),
    Done,
}

// The inputs are pinned in boxes (`Core`'s, `JoinAll`'s) before their first poll; before that
// they are only moved. So the gather may move freely.
impl<F: Future> Unpin for Inner<F> where F::Output: TaskOutput {}

type Outcomes<F> = Result<Vec<Result<Value<F>>>>;

impl<F: Future> Inner<F>
where
    F::Output: TaskOutput,
{
    fn new(futures: impl IntoIterator<Item = F>, settled: bool) -> Self {
        let inputs = futures.into_iter();
        match inputs.size_hint().1 {
            Some(n) if n <= small::MAX => Inner::Small(Small::new(inputs, settled)),
            _ => Inner::Core(Core::new(inputs, settled)),
        }
    }

    fn set_limit(&mut self, n: usize) {
        assert!(n > 0, "taskio: a gather's limit must be at least 1");
        match self {
            Inner::Small(small) => small.set_limit(n),
            Inner::Core(core) => core.limit = n,
            Inner::Done => {}
        }
    }

    fn debug(&self, name: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct(name);
        match self {
            Inner::Small(_) => {
                d.field("running", &true);
            }
            Inner::Core(core) => {
                d.field("len", &core.children.len())
                    .field("in_flight", &core.in_flight)
                    .field("remaining", &core.remaining);
            }
            Inner::Done => {
                d.field("done", &true);
            }
        }
        d.finish_non_exhaustive()
    }

    fn poll(&mut self, cx: &mut Context<'_>, point: &mut Registration) -> Poll<Outcomes<F>> {
        let polled = match self {
            Inner::Small(small) => {
                if !small.is_cancelled()
                    && let Some(c) = take_cancel_at(point, cx.waker())
                {
                    small.cancel(c);
                }
                small.poll(cx)
            }
            Inner::Core(core) => core.poll_core(cx, point).map(|()| core.finish()),
            Inner::Done => panic!("taskio: a gather was polled after it completed"),
        };
        if polled.is_ready() {
            *self = Inner::Done;
        }
        polled
    }
}

enum State<F> {
    Unstarted(F),
    /// Not started yet, but already in the box of an input that ended before it (see
    /// [`Core::drop_input`]).
    Boxed(Pin<Box<F>>),
    Running(Pin<Box<F>>),
    Ended,
}

struct Child<F> {
    state: State<F>,
    scope: Scope,
    /// The input's own waker, in the queued mode (more than [`SMALL`] inputs).
    entry: Option<(Arc<Entry>, Waker)>,
}

/// What gather and gather_settled share: the inputs, their outcomes, and the rules for starting,
/// stopping and finishing.
struct Core<F: Future>
where
    F::Output: TaskOutput,
{
    children: Vec<Child<F>>,
    outcomes: Vec<Option<Result<Value<F>>>>,
    settled: bool,
    limit: usize,
    next_start: usize,
    in_flight: usize,
    /// Inputs that have not ended (started or not).
    remaining: usize,
    /// The first failure (fail-fast gather only).
    failure: Option<Error>,
    /// The awaiting task's cancellation, once delivered here.
    cancelled: Option<Cancelled>,
    /// A failure or a cancellation was recorded and the inputs are not yet told to stop.
    stop_due: bool,
    /// The inputs were told to stop: nothing new starts.
    stopping: bool,
    /// `None` in the small mode: every running input is polled on each wake.
    queue: Option<Arc<ReadyQueue>>,
    /// The ended inputs' entries, for inputs that start after them (see [`Spares`]).
    spares: Spares,
    batch: Vec<usize>,
    finished: bool,
}

#[cfg(test)]
thread_local! {
    /// Polls of inputs by the queued gather on this thread (for the linearity test).
    static POLLS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

impl<F: Future> Unpin for Core<F> where F::Output: TaskOutput {}

impl<F: Future> Core<F>
where
    F::Output: TaskOutput,
{
    /// Takes the inputs straight from the iterator: collecting them first, then wrapping each,
    /// touched a second array as large as the inputs (100k inline futures: ~800 more pages).
    fn new(inputs: impl Iterator<Item = F>, settled: bool) -> Self {
        let children: Vec<Child<F>> = inputs
            .map(|f| Child {
                state: State::Unstarted(f),
                scope: Scope::default(),
                entry: None,
            })
            .collect();
        let n = children.len();
        Core {
            outcomes: (0..n).map(|_| None).collect(),
            children,
            settled,
            limit: usize::MAX,
            next_start: 0,
            in_flight: 0,
            remaining: n,
            failure: None,
            cancelled: None,
            stop_due: false,
            stopping: false,
            queue: (n > SMALL).then(ReadyQueue::new),
            spares: Spares::default(),
            batch: Vec::new(),
            finished: false,
        }
    }

    /// Drives the inputs; ready when every input has ended.
    fn poll_core(&mut self, cx: &mut Context<'_>, point: &mut Registration) -> Poll<()> {
        assert!(
            !self.finished,
            "taskio: a gather was polled after it completed"
        );
        if self.cancelled.is_none()
            && let Some(c) = take_cancel_at(point, cx.waker())
        {
            self.cancelled = Some(c);
            self.stop_due = true;
        }
        if let Some(queue) = &self.queue {
            queue.register(cx.waker());
            if self.stopping && crate::context::request_visible() {
                // A request the gather does not take itself (it is stopping already): its
                // inputs' points may, and only the gather wakes them.
                for child in &self.children {
                    if let (State::Running(_), Some((_, waker))) = (&child.state, &child.entry) {
                        waker.wake_by_ref();
                    }
                }
            }
        }
        let mut first = true;
        loop {
            // Re-poll the inputs that woke (all running ones in the small mode).
            // The queue is borrowed only to drain it (no clone of its `Arc`, two atomic
            // operations, per pass): polling the children needs `self` whole.
            let mut batch = std::mem::take(&mut self.batch);
            match &self.queue {
                Some(queue) => {
                    queue.drain_into(&mut batch);
                    for &i in &batch {
                        if let Some((entry, _)) = &self.children[i].entry {
                            entry.take();
                        }
                        self.poll_child(i, cx);
                    }
                    batch.clear();
                }
                None => {
                    for i in 0..self.next_start {
                        self.poll_child(i, cx);
                    }
                }
            }
            self.batch = batch;
            // Start inputs while there is room. Under a limit, the inputs held back when a
            // failure or a cancel is recorded never start, also when an input records it at its
            // first poll in this very loop; without one, every input starts on the first pass
            // (so that a `Task` input is cancelled, not detached).
            if !first || !self.stop_due {
                while self.may_start() {
                    let i = self.next_start;
                    self.next_start += 1;
                    self.start(i);
                    self.poll_child(i, cx);
                }
            }
            first = false;
            if !self.stop_due {
                break;
            }
            self.stop();
        }
        if self.remaining == 0 {
            self.finished = true;
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }

    /// Whether inputs are left that will still start: what an ended input's box and waker
    /// entry are kept for.
    fn starts_left(&self) -> bool {
        !self.stopping && self.next_start < self.children.len()
    }

    /// Whether the next input may start now (see the start loop in [`Core::poll_core`]).
    fn may_start(&self) -> bool {
        let held_back = self.stop_due && self.limit != usize::MAX;
        self.starts_left() && !held_back && self.in_flight < self.limit
    }

    fn start(&mut self, i: usize) {
        let child = &mut self.children[i];
        child.state = match std::mem::replace(&mut child.state, State::Ended) {
            State::Unstarted(fut) => State::Running(Box::pin(fut)),
            State::Boxed(fut) => State::Running(fut),
            State::Running(_) | State::Ended => unreachable!("taskio: a gather input starts once"),
        };
        if let Some(queue) = &self.queue {
            child.entry = Some(Entry::new(queue, i, &mut self.spares));
        }
        self.in_flight += 1;
    }

    /// Polls input `i` in its scope, if it is running, and records its outcome if it ended.
    fn poll_child(&mut self, i: usize, cx: &mut Context<'_>) {
        let child = &mut self.children[i];
        let State::Running(fut) = &mut child.state else {
            return;
        };
        #[cfg(test)]
        POLLS.with(|p| p.set(p.get() + 1));
        // A panic in an input is its failure, as an error is: the others are cancelled and
        // awaited, then the panic returns.
        let polled = crate::spawn::catch(|| match &child.entry {
            // The input's points need not register its waker: the gather wakes it whenever a
            // request may concern the input (`stop`, and the stopping gather's poll).
            Some((_, waker)) => crate::context::covered_by(waker, || {
                poll_in(
                    &mut child.scope,
                    fut.as_mut(),
                    &mut Context::from_waker(waker),
                )
            }),
            None => poll_in(&mut child.scope, fut.as_mut(), cx),
        });
        let outcome = match polled {
            Ok(Poll::Pending) => return,
            Ok(Poll::Ready(Ok(output))) => output.into_result(),
            Ok(Poll::Ready(Err(cancelled))) => Err(cancelled.into()),
            Err(panicked) => Err(panicked),
        };
        // Dropped here (also when the request was delivered by dropping it); a panic in the
        // drop is the input's failure if it had none.
        let State::Running(ended) = std::mem::replace(&mut child.state, State::Ended) else {
            unreachable!("taskio: the input polled was running");
        };
        let entry = child.entry.take();
        // (`drop_code`'s rule, spelled out: `drop_input` needs all of `self`.)
        let by_drop = self.children[i].scope.delivered_by_drop();
        let dropped = crate::context::dropping(by_drop, || self.drop_input(ended));
        // After the input: a waker it held is gone with it, so the entry may be unique.
        if let Some(entry) = entry
            && self.starts_left()
        {
            self.spares.retire(entry);
        }
        self.in_flight -= 1;
        self.remaining -= 1;
        self.record(i, after_drop("gather", outcome, dropped));
    }

    /// Drops an ended input, catching a panic of its `Drop`. Its box goes to the next input to
    /// start, if that one is not boxed yet: inputs that end at once then share one allocation
    /// instead of one each. `Pin::set` drops the ended input in place, and the box holds the
    /// next one afterwards even if that drop panicked.
    fn drop_input(&mut self, mut ended: Pin<Box<F>>) -> Result<()> {
        let next = self.next_start;
        // Not when the next input has a box already (a box is handed on once per input).
        let reuse = self.starts_left() && matches!(self.children[next].state, State::Unstarted(_));
        if !reuse {
            return crate::spawn::catch(|| drop(ended));
        }
        let State::Unstarted(input) =
            std::mem::replace(&mut self.children[next].state, State::Ended)
        else {
            unreachable!("taskio: checked just above");
        };
        let dropped = crate::spawn::catch(|| ended.as_mut().set(input));
        self.children[next].state = State::Boxed(ended);
        dropped
    }

    fn record(&mut self, i: usize, outcome: Result<Value<F>>) {
        let stopped = self.cancelled.is_some() || self.failure.is_some();
        match outcome {
            Err(e) if stopped => {
                if e.is_failure() {
                    crate::report::discarded("gather", &e);
                }
            }
            Ok(_) if stopped => {}
            Err(e) if !self.settled => {
                self.failure = Some(e);
                self.stop_due = true;
            }
            outcome => self.outcomes[i] = Some(outcome),
        }
    }

    /// Cancels every running input (and polls them again: nothing else would wake them), and
    /// drops the inputs that have not started.
    fn stop(&mut self) {
        self.stop_due = false;
        self.stopping = true;
        let message = self
            .cancelled
            .as_ref()
            .and_then(|c| c.message().map(Arc::from));
        let unstarted = self.children.len() - self.next_start;
        for i in self.next_start..self.children.len() {
            // A panic in the drop of an input that never ran is reported (the gather has its
            // failure or its cancel already).
            let state = std::mem::replace(&mut self.children[i].state, State::Ended);
            if let Err(panicked) = crate::spawn::catch(|| drop(state)) {
                self.record(i, Err(panicked));
            }
        }
        self.remaining -= unstarted;
        self.next_start = self.children.len();
        for child in &mut self.children {
            if let State::Running(_) = child.state {
                child.scope.cancel(message.clone());
                if let Some((_, waker)) = &child.entry {
                    waker.wake_by_ref();
                }
            }
        }
        crate::context::wake_foreign_points();
    }

    /// The outcomes, or why there are none; called once, when every input has ended. It takes
    /// every failure it holds (returned or reported), so that the drop finds none.
    fn finish(&mut self) -> Outcomes<F> {
        if let Some(cancelled) = self.cancelled.take() {
            // Nothing is returned but the cancel: every failure collected so far (the first of a
            // fail-fast gather, all of a settled one) is reported instead of lost.
            let outcomes = std::mem::take(&mut self.outcomes);
            let collected = outcomes.iter().filter_map(|o| o.as_ref()?.as_ref().err());
            for failure in self.failure.take().iter().chain(collected) {
                crate::report::discarded("gather", failure);
            }
            return Err(cancelled.into());
        }
        if let Some(failure) = self.failure.take() {
            return Err(failure);
        }
        Ok(std::mem::take(&mut self.outcomes)
            .into_iter()
            .map(|o| o.expect("taskio: a gather that did not stop has every outcome"))
            .collect())
    }
}

impl<F: Future> Drop for Core<F>
where
    F::Output: TaskOutput,
{
    /// Dropped before it returned (under `tokio::time::timeout`, in a `select!`, or while it
    /// waited for the others' cleanup): a failure it had collected to return would be lost, so
    /// it is reported, once. A gather that returned holds none.
    fn drop(&mut self) {
        if self.remaining > 0 {
            // Dropped mid-flight: a panic in the drop of an input is reported, not unwound out
            // of this drop (which may run while a panic unwinds already: an abort).
            for child in self.children.drain(..) {
                if let Err(panicked) = crate::spawn::catch(|| drop(child)) {
                    crate::report::dropped("gather", &panicked);
                }
            }
        }
        let collected = self
            .outcomes
            .iter()
            .filter_map(|o| o.as_ref()?.as_ref().err());
        for failure in self.failure.iter().chain(collected) {
            crate::report::dropped("gather", failure);
        }
    }
}

/// An input's outcome once it is dropped by its combinator (`what`; `dropped`: a panic of its `Drop`). The panic is the
/// input's failure if it had none (it ended with a value, or cancelled); beside a failure of its
/// own, the panic is reported, not lost.
pub(crate) fn after_drop<T>(what: &str, outcome: Result<T>, dropped: Result<()>) -> Result<T> {
    match (outcome, dropped) {
        (outcome, Ok(())) => outcome,
        (Err(failure), Err(panicked)) if failure.is_failure() => {
            crate::report::drop_panicked(what, &panicked);
            Err(failure)
        }
        (_, Err(panicked)) => Err(panicked),
    }
}

/// Polls `fut` in `scope`, as a frame: `Err(Cancelled)` when it returned `Pending` with a
/// request nobody took, and the caller must drop it (see [`Scope::poll`]).
#[inline]
pub(crate) fn poll_in<F: Future + ?Sized>(
    scope: &mut Scope,
    fut: Pin<&mut F>,
    cx: &mut Context<'_>,
) -> Poll<Result<F::Output, Cancelled>> {
    scope.poll(WakerId::of(cx.waker()), || fut.poll(cx))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    /// Polls of inputs made by a gather of `n` tasks that finish one by one, run inside a
    /// spawned task (so tokio's coop budget applies to the gathering task).
    fn polls_for_gathering(n: u64) -> usize {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        super::POLLS.with(|p| p.set(0));
        rt.block_on(async move {
            crate::spawn(async move {
                let tasks: Vec<_> = (0..n)
                    .map(|i| {
                        crate::spawn(async move {
                            crate::sleep(Duration::from_millis(i % 1000 + 1)).await?;
                            crate::Ok(i)
                        })
                    })
                    .collect();
                assert_eq!(super::gather(tasks).await?.len() as u64, n);
                crate::Ok(())
            })
            .await
            .unwrap()
        });
        super::POLLS.with(|p| p.get())
    }

    #[test]
    fn gathering_tasks_polls_each_about_twice_however_many() {
        let small = polls_for_gathering(4_000);
        let large = polls_for_gathering(20_000);
        // Each task is polled when it starts and when it wakes: 2n.
        assert!(small <= 2 * 4_000, "{small} polls for 4k tasks");
        assert!(large <= 2 * 20_000, "{large} polls for 20k tasks");
        let ratio = large as f64 / small as f64;
        assert!((4.5..=5.5).contains(&ratio), "ratio {ratio}");
    }
}
