//! A task group's shared state: its children, its errors and its phase, behind one mutex that
//! belongs to the group alone (no global lock: groups never contend with each other).
//!
//! Every transition is one critical section, so that the races that matter are decided by lock
//! order. A spawn is one critical section from its admission to its child's registration, the
//! child's cell being made in between ([`Shared::enrol`]): so a spawn either lands before the
//! group sees its last child done, or is refused; it lands before an abort (and that abort
//! cancels the child) or is refused; and no child can run, let alone complete, before it is
//! registered. A child's completion costs one lock and O(1) work; the group's future is woken
//! only by the last child or by the first failure, whose completion also cancels the siblings
//! (one request each, ever).
//!
//! The mutex is `crate::sync`'s, so that a loom model can drive this state machine directly
//! (`Shared::new`, then `enrol` / `Enrolment::register` / `child_done` / `try_finish` from model
//! threads).

use std::sync::Arc;
use std::task::Waker;

use slab::Slab;

use crate::error::Error;
use crate::header::Header;
use crate::id::TaskId;
use crate::sync::{Mutex, MutexGuard, lock};
use crate::task_core::{GroupHook, TaskCore};

/// What a supervisor group hands each child failure to, as it happens, instead of keeping it.
pub(crate) type FailureHook = Arc<dyn Fn(Error) + Send + Sync>;

/// Where the group is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Children may be spawned.
    Open,
    /// [`TaskGroup::close`](super::TaskGroup::close): no more spawns; the children and the body
    /// run on, and the group returns when they are done.
    Closed,
    /// A failure or a cancel: no more spawns; the children are (being) cancelled.
    Aborting,
    /// The group's future returned: every child is done.
    Finished,
    /// The group's future was dropped before it finished: its children were aborted.
    Dropped,
}

/// Why a spawn was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The group is finished (or its future was dropped).
    Finished,
    /// The group is shutting down after a failure or a cancel.
    ShuttingDown,
    /// The group was closed: it takes no new children.
    Closed,
}

struct State {
    /// The children not yet done, each registered before it can run.
    children: Slab<Arc<dyn TaskCore>>,
    /// Failures, in the order they happened.
    errors: Vec<Error>,
    phase: Phase,
    /// The group has sent its children their cancel (one request each, never two).
    cancel_sent: bool,
    /// The message the children are cancelled with.
    message: Option<Arc<str>>,
    /// The group's future, waiting for its last child or its first failure.
    waker: Option<Waker>,
    /// The body is done and the group's future waits for its children (the await edge from
    /// the task that runs the group to each child, for `all_tasks()`).
    joining: bool,
}

impl State {
    /// The children to cancel, the first time the group cancels them (never twice: one request
    /// each); empty after that. No child is registered after it: the group is aborting by then,
    /// and refuses spawns.
    fn take_cancel_list(&mut self, message: Option<Arc<str>>) -> Vec<Arc<dyn TaskCore>> {
        if self.cancel_sent {
            return Vec::new();
        }
        self.cancel_sent = true;
        self.message = message;
        self.children.iter().map(|(_, c)| c.clone()).collect()
    }
}

/// A refused spawn because a group is shutting down is how the shutdown reaches code that
/// spawns: like the cancellation it stands for, it is not a failure.
pub(crate) fn is_shutdown_refusal(error: &Error) -> bool {
    error
        .downcast_ref::<super::GroupSpawnError>()
        .is_some_and(super::GroupSpawnError::is_shutting_down)
}

/// What a task group's handles, its future and its children share.
pub(crate) struct Shared {
    state: Mutex<State>,
    /// The task that runs the group, `(id, root)`: the parent of every child.
    pub(crate) parent: Option<(TaskId, TaskId)>,
    /// Failures cancel nobody (Kotlin's `supervisorScope`).
    pub(crate) supervisor: bool,
    /// At most this many children run at once (Go errgroup's `SetLimit`).
    pub(crate) limit: Option<Arc<tokio::sync::Semaphore>>,
    /// Child failures go here as they happen, not into `errors` (a supervisor for servers).
    on_failure: Option<FailureHook>,
}

impl Shared {
    /// A group's state, made in place (it is the group's one allocation besides its children's
    /// slab): `on_failure` gets each child failure as it happens instead of keeping it, and
    /// makes the group a supervisor (a failure cancels nobody).
    pub(crate) fn new(
        parent: Option<(TaskId, TaskId)>,
        supervisor: bool,
        limit: Option<usize>,
        on_failure: Option<FailureHook>,
    ) -> Self {
        Shared {
            state: Mutex::new(State {
                children: Slab::new(),
                errors: Vec::new(),
                phase: Phase::Open,
                cancel_sent: false,
                message: None,
                waker: None,
                joining: false,
            }),
            parent,
            supervisor: supervisor || on_failure.is_some(),
            limit: limit.map(|n| Arc::new(tokio::sync::Semaphore::new(n))),
            on_failure,
        }
    }

    /// Admits a child about to be spawned, or refuses it. The group's lock stays held until the
    /// child's cell is made and [registered](Enrolment::register) (or the spawn fails and the
    /// enrolment is dropped, changing nothing): one critical section per spawn decides every race
    /// with it. A spawn lands before the group sees its last child done, or is refused; it is
    /// registered before an abort (and cancelled by it), or refused; and the child is registered
    /// before it can run, so even an eager one that completes at once finds itself there.
    pub(crate) fn enrol(&self) -> Result<Enrolment<'_>, Refusal> {
        let st = lock(&self.state);
        match st.phase {
            Phase::Open => {}
            Phase::Closed => return Err(Refusal::Closed),
            Phase::Aborting => return Err(Refusal::ShuttingDown),
            Phase::Finished | Phase::Dropped => return Err(Refusal::Finished),
        }
        // An open group has sent no cancel (`take_cancel_list` runs only once it is aborting),
        // so a child admitted now needs none: a later abort finds it in `children`.
        debug_assert!(!st.cancel_sent);
        let key = st.children.vacant_key();
        Ok(Enrolment { st, key })
    }
}

/// How many children a group makes room for at its first spawn.
const FIRST_ROOM: usize = 8;

/// A child admitted into its group, holding the group's lock until the child's cell is made (see
/// [`Shared::enrol`]).
pub(crate) struct Enrolment<'a> {
    st: MutexGuard<'a, State>,
    key: usize,
}

impl Enrolment<'_> {
    /// The child's key in its group (its [`Member`](crate::task_core::Member) key).
    pub(crate) fn key(&self) -> usize {
        self.key
    }

    /// Registers the child's cell, made with this enrolment's key, before the child can run;
    /// releases the group's lock.
    pub(crate) fn register(mut self, core: Arc<dyn TaskCore>) {
        if self.st.children.capacity() == 0 {
            // Room for a handful at once: growing 0 -> 4 -> 8 one child at a time cost a
            // reallocation per group of 5 to 8 children (W8's groups have 6).
            self.st.children.reserve(FIRST_ROOM);
        }
        let key = self.st.children.insert(core);
        // The lock was held since `vacant_key`: nothing took that key meanwhile.
        debug_assert_eq!(key, self.key);
    }
}

impl GroupHook for Shared {
    fn joiner(&self) -> Option<TaskId> {
        let joining = lock(&self.state).joining;
        joining.then_some(self.parent.map(|(id, _)| id)).flatten()
    }

    /// A child is done: one lock, O(1) work; wakes the group's future only for the last child or
    /// the first failure. The first failure also cancels the other children right here, before
    /// this child gives back its place in a limited group, so that no waiting child starts
    /// after a failure (the body is cancelled by the group's future, which owns it).
    fn child_done(&self, key: usize, header: &Header, failure: Option<Error>) {
        match failure.filter(|e| !is_shutdown_refusal(e)) {
            None => self.child_gone(key),
            Some(error) => self.child_failed(key, header, error),
        }
    }
}

impl Shared {
    /// Child `key` is done without a failure for the group (a value, or a cancellation): it
    /// leaves, and the last one wakes the group's future. Kept apart from `child_failed` so that
    /// every child pays only for this.
    #[inline]
    fn child_gone(&self, key: usize) {
        let (removed, waker) = {
            let mut st = lock(&self.state);
            // Registered before it could run, so it is there (`try_remove`: a hook is never the
            // place to panic over bookkeeping).
            let removed = st.children.try_remove(key);
            let waker = if st.children.is_empty() {
                st.waker.take()
            } else {
                None
            };
            (removed, waker)
        };
        // Outside the lock: the last reference to a cell may go here.
        drop(removed);
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Child `key` failed with `error`: the failure is recorded in the same critical section
    /// as the child leaves (the group cannot return without it); the first one shuts the group
    /// down unless it is a supervisor.
    #[inline(never)]
    fn child_failed(&self, key: usize, header: &Header, error: Error) {
        // Handed over before the group's lock is taken, and before this child counts as done:
        // the group cannot return while a hook still runs.
        let kept = match &self.on_failure {
            Some(hook) => hand_over(hook, header, error),
            None => Some(error),
        };
        let Some(error) = kept else {
            return self.child_gone(key);
        };
        let mut orphaned_failure = None;
        let mut siblings = Vec::new();
        let (removed, waker) = {
            let mut st = lock(&self.state);
            let removed = st.children.try_remove(key);
            let mut wake = st.children.is_empty();
            match st.phase {
                Phase::Dropped | Phase::Finished => orphaned_failure = Some(error),
                _ => {
                    st.errors.push(error);
                    if !self.supervisor && matches!(st.phase, Phase::Open | Phase::Closed) {
                        st.phase = Phase::Aborting;
                        siblings = st.take_cancel_list(None);
                        wake = true;
                    }
                }
            }
            (removed, if wake { st.waker.take() } else { None })
        };
        drop(removed);
        for core in siblings {
            core.header().request_cancel(None);
        }
        if let Some(error) = orphaned_failure {
            // Nobody will read it: the group's future is gone.
            crate::report::unretrieved(header, &error);
        }
        if let Some(w) = waker {
            w.wake();
        }
    }

    /// Stops new spawns (a cancel from outside, or the body's own failure or cancellation).
    pub(crate) fn close(&self) {
        let mut st = lock(&self.state);
        if matches!(st.phase, Phase::Open | Phase::Closed) {
            st.phase = Phase::Aborting;
        }
    }

    /// Records a failure of the body, in order with the children's; stops new spawns.
    pub(crate) fn body_failed(&self, error: Error) {
        let mut st = lock(&self.state);
        st.errors.push(error);
        if matches!(st.phase, Phase::Open | Phase::Closed) {
            st.phase = Phase::Aborting;
        }
    }

    /// [`TaskGroup::close`](super::TaskGroup::close): refuses new children from now on, and
    /// cancels nobody. Returns whether the group was open.
    pub(crate) fn close_to_spawns(&self) -> bool {
        let mut st = lock(&self.state);
        let open = st.phase == Phase::Open;
        if open {
            st.phase = Phase::Closed;
        }
        open
    }

    /// [`TaskGroup::cancel`](super::TaskGroup::cancel), from anywhere: the group shuts down as
    /// on a failure (every child cancelled now, the body at the group's next poll, which this
    /// wakes), except that nothing failed and the running task is not cancelled. Returns
    /// `false` if the group was already shutting down or over.
    pub(crate) fn cancel_from_handle(&self) -> bool {
        let (cores, waker) = {
            let mut st = lock(&self.state);
            if !matches!(st.phase, Phase::Open | Phase::Closed) {
                return false;
            }
            st.phase = Phase::Aborting;
            (st.take_cancel_list(None), st.waker.clone())
        };
        for core in cores {
            core.header().request_cancel(None);
        }
        if let Some(w) = waker {
            w.wake();
        }
        true
    }

    /// Whether the group is aborting (or over); if so, its children are cancelled, once (if the
    /// first failure's hook has not already done it), and the caller cancels the body.
    pub(crate) fn cancel_children_if_aborting(&self, message: Option<Arc<str>>) -> bool {
        let cores = {
            let mut st = lock(&self.state);
            if matches!(st.phase, Phase::Open | Phase::Closed) {
                return false;
            }
            st.take_cancel_list(message.clone())
        };
        // Outside the lock: a cancel wakes the child, and a child may complete meanwhile.
        for core in cores {
            core.header().request_cancel(message.clone());
        }
        true
    }

    /// Whether a failure or a cancel is shutting the group down (or it is over).
    pub(crate) fn is_aborting(&self) -> bool {
        !matches!(lock(&self.state).phase, Phase::Open | Phase::Closed)
    }

    /// The group's future asks whether it is done: yes once the body is done and no child is
    /// left, and then the group is finished (no spawn gets in after) and its errors are handed
    /// over. Otherwise the waker is stored for the last child or the first failure.
    pub(crate) fn try_finish(&self, body_done: bool, waker: &Waker) -> Option<Vec<Error>> {
        let mut st = lock(&self.state);
        if body_done && st.children.is_empty() {
            st.phase = Phase::Finished;
            st.waker = None;
            st.joining = false;
            return Some(std::mem::take(&mut st.errors));
        }
        st.joining = body_done;
        match &st.waker {
            Some(w) if w.will_wake(waker) => {}
            _ => st.waker = Some(waker.clone()),
        }
        None
    }

    /// The group's future was dropped before it finished: aborts every child, and reports the
    /// failures it will never return.
    pub(crate) fn drop_group(&self) {
        let (aborts, errors) = {
            let mut st = lock(&self.state);
            if st.phase == Phase::Finished {
                return;
            }
            st.phase = Phase::Dropped;
            st.waker = None;
            st.joining = false;
            let aborts: Vec<Arc<dyn TaskCore>> =
                st.children.iter().map(|(_, c)| c.clone()).collect();
            (aborts, std::mem::take(&mut st.errors))
        };
        for child in aborts {
            child.header().request_abort();
        }
        for error in errors {
            tracing::error!(
                error = %error,
                "a task group was dropped before it finished; its failure was never retrieved: {error}"
            );
        }
    }

    /// How many children are not yet done.
    pub(crate) fn live(&self) -> usize {
        lock(&self.state).children.len()
    }

    /// Where the group is in its life.
    pub(crate) fn phase(&self) -> Phase {
        lock(&self.state).phase
    }
}

/// Gives `error` to the program's failure hook. A hook that panics loses nothing: the failure is
/// given back, to be kept and returned by the group as if there were no hook.
fn hand_over(hook: &FailureHook, header: &Header, error: Error) -> Option<Error> {
    let kept = error.clone();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hook(error))) {
        Ok(()) => None,
        Err(payload) => {
            tracing::error!(
                task.name = %header.name(),
                "a task group's on_failure hook panicked ({}); the failure is kept for the group's outcome",
                crate::payload::message(&*payload)
            );
            crate::payload::drop_safely(payload);
            Some(kept)
        }
    }
}
