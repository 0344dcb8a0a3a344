//! The task cell: the [`Header`] plus the typed slot where the outcome waits for its reader.
//!
//! One `Arc<Cell<T>>` per task is shared by the [`Task`](crate::Task) handle, the running
//! future (as `Arc<dyn TaskCore>`, so the thread-local "current task" needs no generics) and, as a
//! `Weak`, the registry behind `all_tasks()`.
//!
//! "Nothing lost": an outcome that is a failure is reported through `tracing` exactly once when
//! nobody can read it any more. Completion and handle drop each do one RMW on the header's state
//! (`COMPLETE` and `DETACHED`); whichever comes second sees the other's bit and reports.

use std::any::Any;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};

use crate::context::Awaiter;
use crate::error::{Error, Result};
use crate::header::{
    AWAIT_REGISTERED, COMPLETE, DETACHED, Header, OUTCOME_CANCELLED, OUTCOME_FAILED, OUTCOME_OK,
    OUTCOME_PANICKED,
};
use crate::id::TaskId;
use crate::point::Registration;
use crate::ready_queue::Link;
use crate::sync::{Mutex, Ordering, lock};
use crate::task_core::{Member, TaskCore};

struct Slot<T> {
    output: Option<Result<T>>,
    /// Who is told at completion: the handle's await, or the queue of the set that holds the
    /// handle (a [`JoinSet`](crate::JoinSet), or the [`TaskSet`](crate::TaskSet) behind `wait`
    /// and `as_completed`): one or the other, since a set's task is awaited only through the set,
    /// and an await of a task taken out of a set replaces the link.
    joiner: Joiner,
    /// Boxed: only `run`'s shutdown watches for a task to be done, and the 8 bytes saved keep
    /// the cell at 216 bytes, a size that glibc's allocator serves beside tokio's task cell
    /// faster than 8 or 16 bytes more or less (measured: ~300 instructions a task either way).
    done_waker: Option<Box<Waker>>,
    /// The handle's registration as a cancellation point, when it was awaited with a foreign
    /// waker (kept here so that the handle stays one pointer).
    point: Registration,
    /// The task whose code polled the handle last and waits for it (see `crate::awaits`).
    awaiter: Option<TaskId>,
}

impl<T> Slot<T> {
    fn is_done(&self) -> bool {
        matches!(self.joiner, Joiner::Done)
    }

    /// Makes `waker` the one woken at completion (the handle's await), and returns the
    /// handle's [`Watch`].
    fn register_join(&mut self, waker: &Waker) -> &mut Watch {
        self.awaiter = crate::context::current_id();
        if !matches!(self.joiner, Joiner::Waker { .. }) {
            self.joiner = Joiner::Waker {
                waker: waker.clone(),
                watch: Watch::default(),
            };
        }
        match &mut self.joiner {
            Joiner::Waker { waker: w, watch } => {
                if !w.will_wake(waker) {
                    w.clone_from(waker);
                }
                watch
            }
            _ => unreachable!("the joiner was just made a waker"),
        }
    }

    /// Whether the handle must pass on the cancel that `awaiter` is handling now (see
    /// [`Watch`]); at most once.
    fn take_forward(&mut self, awaiter: Awaiter) -> bool {
        let registered = self.point.is_registered();
        match &mut self.joiner {
            Joiner::Waker { watch, .. } => watch.take(awaiter, registered),
            _ => false,
        }
    }
}

/// What a handle's await remembers of its awaiter, to pass on a cancel that another point took
/// (delivery is edge-triggered: beside other points, in a `select!` or `FuturesUnordered`,
/// only one takes it). It fits in [`Joiner`]'s padding, so the cell keeps its size.
#[derive(Clone, Copy, Default, Debug)]
struct Watch {
    /// The handle was polled, pending, by code that was not handling a cancel.
    armed: bool,
    /// The number of the awaiting task's poll that polled it last so ([`Header::begin_poll`]).
    poll: u16,
}

impl Watch {
    /// A pending poll of the handle.
    fn polled(&mut self, awaiter: Awaiter) {
        if !awaiter.handling {
            self.armed = true;
            self.poll = awaiter.poll.unwrap_or(0);
        }
    }

    /// The awaiter handles a cancel now: the handle passes it on if it was still being awaited
    /// when the cancel came. It was if its await is registered with a foreign waker (a
    /// `FuturesUnordered` holds it, and the cancel woke it), or if its task's poll that ended
    /// just before the cancel, or this one, polled it (a `select!` polls every branch at every
    /// poll). A handle awaited once and then kept (a `select!` that another branch won, long
    /// ago) is not: its task is detached when it goes, as any dropped handle's is.
    fn take(&mut self, awaiter: Awaiter, registered: bool) -> bool {
        if !awaiter.handling || !self.armed {
            return false;
        }
        let recent = match awaiter.poll {
            // Outside any task there is no poll count: any earlier await counts.
            None => true,
            Some(now) => self.poll == now || self.poll == now.wrapping_sub(1),
        };
        self.armed = false;
        registered || recent
    }
}

/// Who a task's completion is for (see `Slot::joiner`), and, once it is done, that it is.
enum Joiner {
    Nobody,
    /// The handle's await, and what it remembers of its awaiter ([`Watch`]).
    Waker {
        waker: Waker,
        watch: Watch,
    },
    Set(Link),
    /// The outcome is stored (and maybe taken since): nobody is waiting any more.
    Done,
}

pub(crate) struct Cell<T> {
    pub(crate) header: Header,
    slot: Mutex<Slot<T>>,
    /// The task group this task is a child of: told of the outcome, and the one that reads a
    /// failure (so it is never reported as unread).
    member: Option<Member>,
}

impl<T> Cell<T> {
    pub(crate) fn new(header: Header, member: Option<Member>) -> Self {
        Cell {
            header,
            member,
            slot: Mutex::new(Slot {
                output: None,
                joiner: Joiner::Nobody,
                done_waker: None,
                point: Registration::default(),
                awaiter: None,
            }),
        }
    }

    pub(crate) fn complete(&self, outcome: Result<T>)
    where
        T: Send + 'static,
    {
        let bits = match &outcome {
            Ok(_) => OUTCOME_OK,
            Err(e) if e.is_cancelled() => OUTCOME_CANCELLED,
            Err(e) if e.is_panic() => OUTCOME_PANICKED,
            Err(_) => OUTCOME_FAILED,
        };
        let group_error = match (&self.member, &outcome) {
            (Some(_), Err(e)) if e.is_failure() => Some(e.clone()),
            _ => None,
        };
        let ((joiner, done), prev, point) = {
            let mut slot = lock(&self.slot);
            slot.output = Some(outcome);
            // The state says done before the lock is released: whoever the lock lets see the
            // outcome (an awaiter, the done observer) also sees `is_done()`.
            let prev = self.header.mark_complete(bits);
            // A done task's await needs no waking for its awaiter's cancels any more: the
            // registration (and the awaiting task's cell it holds) goes now, not at the drop.
            let point = if prev & AWAIT_REGISTERED != 0 {
                std::mem::take(&mut slot.point)
            } else {
                Registration::default()
            };
            let joiner = std::mem::replace(&mut slot.joiner, Joiner::Done);
            ((joiner, slot.done_waker.take()), prev, point)
        };
        // Outside the slot's lock (it locks the awaiting task's header).
        drop(point);
        if prev & DETACHED != 0 && matches!(bits, OUTCOME_FAILED | OUTCOME_PANICKED) {
            // A report that panics (a subscriber's fault) must not keep the awaiters asleep.
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.report_unread()));
        }
        if let Some(member) = &self.member {
            member
                .group
                .child_done(member.key, &self.header, group_error);
        }
        // A waker is foreign code. `done` (`run`'s shutdown, which waits on it) goes first, so
        // that a joiner's waker that panics keeps nobody asleep; the panic is reported, not
        // unwound into the runtime's worker.
        let fault = crate::payload::catch_message(|| {
            if let Some(w) = done {
                w.wake();
            }
            match joiner {
                Joiner::Nobody | Joiner::Done => {}
                Joiner::Waker { waker, .. } => waker.wake(),
                Joiner::Set(link) => link.fire(),
            }
        });
        if let Some(message) = fault {
            // (A report that panics, a subscriber's fault, is dropped too.)
            let _ = crate::payload::catch_message(|| {
                crate::report::waker_panicked(&self.header, &message)
            });
        }
    }

    /// Links the task to a consumer's queue (a `JoinSet`'s or a `TaskSet`'s), fired at
    /// completion in place of a join waker; the current task is recorded as its awaiter. Gives
    /// the link back if the task is done already.
    pub(crate) fn link(&self, link: Link) -> std::result::Result<(), Link> {
        let awaiter = crate::context::current_id();
        let replaced = {
            let mut slot = lock(&self.slot);
            if slot.is_done() {
                return Err(link);
            }
            slot.awaiter = awaiter;
            std::mem::replace(&mut slot.joiner, Joiner::Set(link))
        };
        // Outside the slot's lock: a replaced waker's `Drop` is foreign code.
        drop(replaced);
        Ok(())
    }

    /// Polls for the outcome on behalf of the handle.
    pub(crate) fn poll_output(&self, cx: &mut Context<'_>) -> Poll<Result<T>> {
        let mut slot = lock(&self.slot);
        if let Some(out) = slot.output.take() {
            return Poll::Ready(out);
        }
        assert!(
            !slot.is_done(),
            "taskio: a Task was polled after its result was taken"
        );
        slot.register_join(cx.waker());
        Poll::Pending
    }

    /// [`Cell::poll_output`] for the handle's own await, which passes its awaiter's cancel on.
    /// Returns, with the poll, whether the handle must pass on the cancel that the awaiting
    /// code is handling now, taken by another point (see [`Watch`]).
    pub(crate) fn poll_awaited(
        &self,
        cx: &mut Context<'_>,
        awaiter: Awaiter,
    ) -> (Poll<Result<T>>, bool) {
        let mut slot = lock(&self.slot);
        if let Some(out) = slot.output.take() {
            return (Poll::Ready(out), false);
        }
        assert!(
            !slot.is_done(),
            "taskio: a Task was polled after its result was taken"
        );
        let forward = slot.take_forward(awaiter);
        slot.register_join(cx.waker()).polled(awaiter);
        (Poll::Pending, forward)
    }

    /// The handle is dropped, unfinished, while the code that awaited it is handling a cancel:
    /// whether it must pass that cancel on (see [`Watch`]).
    pub(crate) fn take_forward(&self, awaiter: Awaiter) -> bool {
        let mut slot = lock(&self.slot);
        slot.awaiter == crate::context::current_id() && slot.take_forward(awaiter)
    }

    /// Takes the outcome if the task is done.
    pub(crate) fn take_output(&self) -> Option<Result<T>> {
        lock(&self.slot).output.take()
    }

    /// The handle, awaited with `waker` (not its awaiting task's own), registers it with the
    /// awaiting `task`, so that a cancel of that task wakes the await.
    pub(crate) fn register_awaiter(&self, owner: crate::point::RegisterWith<'_>, waker: &Waker) {
        lock(&self.slot).point.register(owner, waker);
        self.header.mark_await_registered();
    }

    /// The handle is gone: if the outcome is already there and unread, report it now.
    pub(crate) fn detach(&self) {
        let prev = self.header.mark_detached();
        if prev & AWAIT_REGISTERED != 0 {
            // Leave the awaiting task's list (outside the slot's lock).
            let point = std::mem::take(&mut lock(&self.slot).point);
            drop(point);
        }
        // Only a failure is reported: an unread value or cancellation needs no look at the slot.
        if prev & COMPLETE != 0 && crate::header::outcome_is_failure(prev) {
            self.report_unread();
        }
    }

    fn report_unread(&self) {
        if self.member.is_some() {
            return; // the group returns the failure
        }
        let unread = lock(&self.slot).output.take();
        if let Some(Err(error)) = unread {
            crate::report::unretrieved(&self.header, &error);
        }
    }
}

impl<T> Drop for Cell<T> {
    fn drop(&mut self) {
        let addr: *const Self = self;
        crate::registry::died(&self.header.registry_slot, addr.cast());
    }
}

impl<T: Send + 'static> TaskCore for Cell<T> {
    fn header(&self) -> &Header {
        &self.header
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }

    fn poll_done(&self, cx: &mut Context<'_>) -> Poll<()> {
        let mut slot = lock(&self.slot);
        if slot.is_done() {
            return Poll::Ready(());
        }
        match &mut slot.done_waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => slot.done_waker = Some(Box::new(cx.waker().clone())),
        }
        Poll::Pending
    }

    fn awaited_by(&self) -> [Option<TaskId>; 2] {
        let handle = live_awaiter(&self.header, lock(&self.slot).awaiter);
        let group = self.member.as_ref().and_then(|m| m.group.joiner());
        [handle, group]
    }
}

/// The error a task's body ended with is labelled with the task's name for messages.
pub(crate) fn label_error<T>(header: &Header, outcome: Result<T>) -> Result<T> {
    outcome.map_err(|e: Error| e.with_task(|| header.label()))
}

/// The recorded awaiter of the task of `header`, if the wait still stands: the task is not done
/// and its handle not dropped.
fn live_awaiter(header: &Header, awaiter: Option<TaskId>) -> Option<TaskId> {
    let state = header.state.load(Ordering::Acquire);
    awaiter.filter(|_| state & (COMPLETE | DETACHED) == 0)
}

#[cfg(all(test, target_os = "linux", target_pointer_width = "64", not(loom)))]
mod size_tests {
    /// The cell's size is a measured choice (bench/FINDINGS.md §8): 8 or 16 bytes more or less
    /// cost ~300 instructions a task in glibc's allocator beside tokio's task cell. A field
    /// added here needs a field taken out, or a new measurement.
    #[test]
    fn the_cell_stays_at_216_bytes() {
        assert_eq!(std::mem::size_of::<super::Cell<()>>(), 216);
        assert_eq!(std::mem::size_of::<super::Cell<usize>>(), 216);
    }
}
