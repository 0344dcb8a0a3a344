//! The current task, and the cancel scopes open inside it: which code is running on this thread
//! right now, and which cancel request is meant for it.
//!
//! The running future lends a reference to its task (`Arc<dyn TaskCore>`, one clone per poll) to a
//! thread-local for the length of each poll and takes it back after. Cancellation points read it
//! to find the request meant for them; `spawn` reads it to record the parent.
//!
//! Inside one task, combinators that run several futures inline (gather, timeout, a group's body)
//! open a [`Scope`](crate::scope::Scope) around each poll of an inner future; its frame sits on a
//! per-thread stack while that poll runs. A cancellation point takes the task's own request
//! first, then the innermost pending frame's.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::task::Waker;
use std::time::Instant;

use crate::error::Cancelled;
use crate::header::Header;
use crate::point::{Points, Registration, WakerId};
use crate::task_core::TaskCore;

/// A cancel scope's request while the scope's code is being polled.
pub(crate) struct Frame {
    pub(crate) pending: bool,
    pub(crate) delivered: bool,
    /// The scope's code is handling a delivered cancel: a request from outside it is never
    /// delivered by dropping that code.
    pub(crate) handling: bool,
    /// How deep the scope sits in the task's frames (the task's body is level 0).
    pub(crate) level: u32,
    pub(crate) message: Option<Arc<str>>,
}

/// What a cancellation point does to be woken by its task's requests: registers the waker it
/// was polled with (called only when that is not the task's own).
pub(crate) type Register<'a> = dyn FnMut(crate::point::RegisterWith<'_>, &Waker) + 'a;

/// No request was taken (see [`Current::took`]).
const NONE_TAKEN: u32 = u32::MAX;

/// Everything this module keeps per thread, in one thread-local (one lookup per poll).
struct Current {
    task: RefCell<Option<Arc<dyn TaskCore>>>,
    scopes: RefCell<Vec<Frame>>,
    /// `scopes.len()`, readable without borrowing: the cancellation points' fast path.
    depth: Cell<usize>,
    /// Frames below this index belong to a task whose poll encloses the current one (an eager
    /// spawn polls the new task inside its spawner's poll): they are not the current task's.
    base: Cell<usize>,
    /// The waker the current task is polled with: a point polled with it needs no registration.
    covered: Cell<WakerId>,
    /// The task's request was pending, and every waiting point woken for it, when this poll of
    /// the task began: a frame that ends its poll with it still untaken delivers it by dropping.
    armed: Cell<bool>,
    /// The level of the frame being polled (the task's body is 0).
    level: Cell<u32>,
    /// The outermost level whose request was taken inside the frame being polled
    /// ([`NONE_TAKEN`]: none): the code between that point and the request's owner is handling it.
    took: Cell<u32>,
    /// Code inside the frame being polled is handling a delivered cancel.
    handling: Cell<bool>,
    /// The clock as read by the first spawn of the current task's current poll: the spawns
    /// of one poll share it (see [`spawn_time`]).
    clock: Cell<Option<Instant>>,
    /// Outside any task, an outermost cancel scope is being polled (see [`frame_begin`]):
    /// points with wakers of their own register with `root`, made at the first that needs it.
    rooted: Cell<bool>,
    root: Cell<Option<Arc<Points>>>,
    /// The covered waker from before the outermost frame outside any task, put back at its end.
    root_covered: Cell<WakerId>,
    /// `task` is `Some`: a flag, so that every frame's poll need not borrow `task` to know.
    in_task: Cell<bool>,
}

thread_local! {
    static CURRENT: Current = const {
        Current {
            task: RefCell::new(None),
            scopes: RefCell::new(Vec::new()),
            depth: Cell::new(0),
            base: Cell::new(0),
            covered: Cell::new(WakerId::NONE),
            armed: Cell::new(false),
            level: Cell::new(0),
            took: Cell::new(NONE_TAKEN),
            handling: Cell::new(false),
            clock: Cell::new(None),
            rooted: Cell::new(false),
            root: Cell::new(None),
            root_covered: Cell::new(WakerId::NONE),
            in_task: Cell::new(false),
        }
    };
}

/// What [`enter`] replaced, for [`leave`] to restore.
pub(crate) struct Entered {
    task: Option<Arc<dyn TaskCore>>,
    base: usize,
    covered: WakerId,
    armed: bool,
    level: u32,
    took: u32,
    handling: bool,
    in_task: bool,
}

/// Makes `core` the current task, polled with `waker`, with no scope open; returns what it
/// replaces, for [`leave`]. `armed`: the task's request is undelivered as this poll begins.
#[inline]
pub(crate) fn enter(core: Arc<dyn TaskCore>, waker: &Waker, armed: bool) -> Entered {
    CURRENT.with(|c| {
        // A new poll: its first spawn reads the clock afresh (see `spawn_time`).
        c.clock.set(None);
        Entered {
            task: c.task.replace(Some(core)),
            base: c.base.replace(c.depth.get()),
            covered: c.covered.replace(WakerId::of(waker)),
            armed: c.armed.replace(armed),
            level: c.level.replace(0),
            took: c.took.replace(NONE_TAKEN),
            handling: c.handling.replace(false),
            in_task: c.in_task.replace(true),
        }
    })
}

/// Restores what `entered` saved and gives back the task that was entered, and whether code
/// in its body is handling a delivered cancel (so the task must not be dropped for a request).
#[inline]
pub(crate) fn leave(entered: Entered) -> (Arc<dyn TaskCore>, bool) {
    CURRENT.with(|c| {
        let depth = c.base.replace(entered.base);
        if c.depth.get() > depth {
            // Scopes pop themselves, also on unwind; this only guards the stack's shape.
            c.scopes.borrow_mut().truncate(depth);
            c.depth.set(depth);
        }
        c.covered.set(entered.covered);
        c.armed.set(entered.armed);
        c.level.set(entered.level);
        c.took.set(entered.took);
        c.in_task.set(entered.in_task);
        // The poll around (an eager spawn's spawner) may have run for a while meanwhile.
        c.clock.set(None);
        let handling = c.handling.replace(entered.handling);
        let task = c
            .task
            .replace(entered.task)
            .expect("taskio: the current task was entered before it is left");
        (task, handling)
    })
}

/// The time a task spawned now records as its spawn. Inside a task, the spawns of one poll
/// share one reading of the clock, taken by the first of them (an event loop caches its time
/// per iteration the same way): `Instant::now` is about 28 ns, a twentieth of a whole task.
/// Outside any task nothing marks where a poll ends, so the clock is read at every spawn.
#[inline]
pub(crate) fn spawn_time() -> Instant {
    CURRENT
        .try_with(|c| {
            if let Some(t) = c.clock.get() {
                return t;
            }
            let now = Instant::now();
            if c.task.borrow().is_some() {
                c.clock.set(Some(now));
            }
            now
        })
        .unwrap_or_else(|_| Instant::now())
}

/// The current task's id, if code of a taskio task is running on this thread.
#[inline]
pub(crate) fn current_id() -> Option<crate::id::TaskId> {
    with_current(|t| t.header().id)
}

/// Runs `f` with the current task, if code of a taskio task is running on this thread.
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(&Arc<dyn TaskCore>) -> R) -> Option<R> {
    CURRENT
        .try_with(|c| c.task.borrow().as_ref().map(f))
        .ok()
        .flatten()
}

/// Delivers the pending cancel request meant for the code running now, if there is one: what
/// a cancellation point that never waits ([`checkpoint`](crate::checkpoint)) calls. The task's
/// own request comes first (a cancel from outside is never mistaken for a scope's), then the
/// innermost scope's.
#[inline]
pub(crate) fn take_cancel() -> Option<Cancelled> {
    CURRENT
        .try_with(|c| c.take(None))
        .ok()
        .flatten()
        .map(|(c, _)| c)
}

/// What every cancellation point that may wait calls before anything else: makes sure a
/// request wakes it (registering `waker` with the task when it is not the task's own), then
/// delivers the pending request meant for it, as [`take_cancel`] does.
#[inline]
pub(crate) fn take_cancel_at(point: &mut Registration, waker: &Waker) -> Option<Cancelled> {
    take_cancel_from(point, waker).map(|(c, _)| c)
}

/// [`take_cancel_at`], saying whose request it was: the task's own, or which scope's.
#[inline]
pub(crate) fn take_cancel_from(
    point: &mut Registration,
    waker: &Waker,
) -> Option<(Cancelled, Owner)> {
    CURRENT
        .try_with(|c| {
            c.take(Some((
                &mut |owner: crate::point::RegisterWith<'_>, waker: &Waker| {
                    point.register(owner, waker)
                },
                waker,
            )))
        })
        .ok()
        .flatten()
}

/// Whose cancel request a cancellation point took.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    /// The task's own (which [`Header::uncancel`] and a new request can re-arm).
    Task,
    /// The scope whose frame sits at this level of the task's frames.
    Scope(u32),
}

/// Puts back a request taken from the scope at `level` by code that does not own it (a task
/// group that took its enclosing scope's request on its way out, and returns its own errors
/// instead): the scope's next cancellation point takes it again. Returns whether the scope's
/// frame was open to put it back into.
pub(crate) fn put_back(level: u32, cancelled: Cancelled) -> bool {
    CURRENT
        .try_with(|c| {
            let base = c.base.get().min(c.depth.get());
            let mut scopes = c.scopes.borrow_mut();
            let Some(frame) = scopes[base..].iter_mut().rev().find(|f| f.level == level) else {
                return false;
            };
            frame.pending = true;
            frame.message = cancelled.into_message();
            true
        })
        .unwrap_or(false)
}

/// [`take_cancel_from`] for a point that keeps its registration elsewhere (a `Task` handle keeps
/// it in its cell, so the handle stays one pointer): `register` is called only when `waker` is
/// not the task's own. Gives, besides the request taken, what a handle needs to pass on a
/// cancel that another point took ([`Awaiter`]).
#[inline]
pub(crate) fn take_cancel_registering(
    waker: &Waker,
    register: &mut Register<'_>,
) -> (Option<Cancelled>, Awaiter) {
    CURRENT
        .try_with(|c| match c.take(Some((register, waker))) {
            Some((cancelled, _)) => (
                Some(cancelled),
                Awaiter {
                    handling: true,
                    poll: c.poll_number(),
                },
            ),
            None => (None, c.awaiter()),
        })
        .unwrap_or((None, Awaiter::NONE))
}

/// What a [`Task`](crate::Task) handle knows of the code that awaits it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Awaiter {
    /// The code is handling a delivered cancel meant for it (the task's own, or an enclosing
    /// scope's; not one that a scope nested deeper took for itself).
    pub(crate) handling: bool,
    /// The number of the current poll of its task ([`Header::begin_poll`]); `None` outside
    /// any task.
    pub(crate) poll: Option<u16>,
}

impl Awaiter {
    const NONE: Awaiter = Awaiter {
        handling: false,
        poll: None,
    };
}

/// The [`Awaiter`] that code polled now is.
pub(crate) fn awaiter() -> Awaiter {
    CURRENT.try_with(Current::awaiter).unwrap_or(Awaiter::NONE)
}

/// Runs `f` with `waker` covered: a combinator that polls its inputs with wakers of its own
/// and wakes them itself whenever a request may concern them (the queued gather) saves its
/// inputs' points the registration.
#[inline]
pub(crate) fn covered_by<R>(waker: &Waker, f: impl FnOnce() -> R) -> R {
    struct Restore(WakerId);
    impl Drop for Restore {
        fn drop(&mut self) {
            let _ = CURRENT.try_with(|c| c.covered.set(self.0));
        }
    }
    let _restore = Restore(CURRENT.with(|c| c.covered.replace(WakerId::of(waker))));
    f()
}

/// Whether a request is pending that code polled now could take: the task's own, or an
/// enclosing scope's.
pub(crate) fn request_visible() -> bool {
    CURRENT
        .try_with(|c| {
            let own = c
                .task
                .borrow()
                .as_ref()
                .is_some_and(|t| t.header().cancel_pending());
            let base = c.base.get();
            own || (c.depth.get() > base && c.scopes.borrow()[base..].iter().any(|f| f.pending))
        })
        .unwrap_or(false)
}

impl Current {
    fn poll_number(&self) -> Option<u16> {
        if !self.in_task.get() {
            return None;
        }
        self.task
            .borrow()
            .as_ref()
            .map(|t| t.header().poll_number())
    }

    /// The code polled now, as an [`Awaiter`]. It is handling a delivered cancel meant for it
    /// if it took the task's own (and no `uncancel()` took it back), or an enclosing scope's
    /// (during this poll, or being handled since an earlier one). A scope nested deeper that
    /// took its own request does not count: that cancel is not this code's.
    fn awaiter(&self) -> Awaiter {
        // One look at the task's header for both (a call through `dyn TaskCore`).
        let (delivered, poll) = if self.in_task.get()
            && let Some(t) = self.task.borrow().as_ref()
        {
            let header = t.header();
            (header.delivered(), Some(header.poll_number()))
        } else {
            (false, None)
        };
        let base = self.base.get();
        let handling = delivered
            || self.took.get() <= self.level.get()
            || (self.depth.get() > base && self.scopes.borrow()[base..].iter().any(|f| f.handling));
        Awaiter { handling, poll }
    }
}

/// Runs `f`, the drop of code that a frame delivers a request to by dropping it, as code that
/// handles that cancel (`by_drop`; otherwise `f` just runs): a [`Task`](crate::Task) handle the
/// code was waiting for passes the cancel on as it is let go, as it would have at its next poll.
#[inline]
pub(crate) fn dropping<R>(by_drop: bool, f: impl FnOnce() -> R) -> R {
    if !by_drop {
        return f();
    }
    let level = CURRENT.with(|c| c.level.get()).saturating_add(1);
    let frame = Frame {
        pending: false,
        delivered: false,
        handling: true,
        level,
        message: None,
    };
    with_frame(frame, f, |_| {})
}

/// Wakes every cancellation point of the current task that waits with a waker of its own: what
/// the owner of a scope does after it cancels the scope, before it polls the scope's code again.
pub(crate) fn wake_foreign_points() {
    let root = CURRENT
        .try_with(|c| match c.task.borrow().as_ref() {
            Some(t) => {
                t.header().wake_foreign();
                None
            }
            None => {
                let root = c.root.take();
                c.root.set(root.clone());
                root
            }
        })
        .ok()
        .flatten();
    // Outside any task: the points of the outermost scope around (woken with no borrow held).
    if let Some(root) = root {
        root.wake_all();
    }
}

impl Current {
    #[inline]
    fn take(&self, point: Option<(&mut Register<'_>, &Waker)>) -> Option<(Cancelled, Owner)> {
        if let Some(task) = self.task.borrow().as_ref() {
            if let Some((register, waker)) = point
                && WakerId::of(waker) != self.covered.get()
            {
                register(crate::point::RegisterWith::Task(task), waker);
            }
            if let Some(cancelled) = task.header().take_cancel() {
                self.took.set(0);
                return Some((cancelled, Owner::Task));
            }
        } else if let Some((register, waker)) = point
            && self.rooted.get()
            && WakerId::of(waker) != self.covered.get()
        {
            let root = self.root.take().unwrap_or_default();
            register(crate::point::RegisterWith::Root(&root), waker);
            self.root.set(Some(root));
        }
        let base = self.base.get();
        if self.depth.get() <= base {
            return None;
        }
        let mut scopes = self.scopes.borrow_mut();
        let frame = scopes[base..].iter_mut().rev().find(|f| f.pending)?;
        frame.pending = false;
        frame.delivered = true;
        self.took.set(self.took.get().min(frame.level));
        Some((
            Cancelled::with_shared(frame.message.clone()),
            Owner::Scope(frame.level),
        ))
    }
}

/// Opens `frame` as the innermost scope while `f` runs; gives the frame back with what the
/// code did to it (a request delivered), also when `f` unwinds.
pub(crate) fn with_frame<R>(frame: Frame, f: impl FnOnce() -> R, back: impl FnOnce(Frame)) -> R {
    struct Pop<B: FnOnce(Frame)>(Option<B>);
    impl<B: FnOnce(Frame)> Drop for Pop<B> {
        fn drop(&mut self) {
            let frame = CURRENT.with(|c| {
                let mut scopes = c.scopes.borrow_mut();
                let frame = scopes.pop();
                c.depth.set(scopes.len());
                frame
            });
            if let (Some(back), Some(frame)) = (self.0.take(), frame) {
                back(frame);
            }
        }
    }
    CURRENT.with(|c| {
        let mut scopes = c.scopes.borrow_mut();
        scopes.push(frame);
        c.depth.set(scopes.len());
    });
    let _pop = Pop(Some(back));
    f()
}

/// What a frame's poll saved, for [`frame_end`]: a frame is a taskio future that polls code
/// inline and can deliver a request to it by dropping it (a gather input, a timeout's work, a
/// group's body).
pub(crate) struct FrameMark {
    level: u32,
    took: u32,
    handling: bool,
    ended: bool,
    /// The frame is the outermost one outside any task (see [`frame_begin`]).
    rooted: bool,
}

impl Drop for FrameMark {
    fn drop(&mut self) {
        if !self.ended {
            // The frame's code unwound: restore the thread-local's shape for the code around.
            let _ = CURRENT.try_with(|c| {
                c.level.set(self.level - 1);
                c.took.set(self.took);
                c.handling.set(self.handling);
                if self.rooted {
                    // The scope's code is gone: so is the list of its points.
                    drop(c.root.take());
                    c.rooted.set(false);
                    c.covered.set(c.root_covered.get());
                }
            });
        }
    }
}

impl FrameMark {
    /// The frame's level in its task (the task's body is level 0).
    pub(crate) fn level(&self) -> u32 {
        self.level
    }
}

/// Begins the poll of a frame's code: one level deeper, nothing taken or handled inside yet.
///
/// Outside any task, the outermost frame's scope keeps the list of the points inside that wait
/// with wakers of their own (`root`, lent to the thread-local until [`frame_end`] gives it
/// back), as a task's header does for its points; its request wakes them. Points polled with
/// `waker`, the frame's own, need no registration: the scope's owner polls them again after
/// its request.
#[inline]
pub(crate) fn frame_begin(waker: WakerId, root: &mut Option<Arc<Points>>) -> FrameMark {
    CURRENT.with(|c| {
        let level = c.level.get().saturating_add(1);
        c.level.set(level);
        let rooted = !c.in_task.get() && !c.rooted.get();
        if rooted {
            c.rooted.set(true);
            if root.is_some() {
                c.root.set(root.take());
            }
            c.root_covered.set(c.covered.replace(waker));
        }
        FrameMark {
            level,
            took: c.took.replace(NONE_TAKEN),
            handling: c.handling.replace(false),
            ended: false,
            rooted,
        }
    })
}

/// The state of a frame's own scope, as [`frame_end`] reads and updates it.
pub(crate) struct FrameScope<'a> {
    /// Set when code inside took a request owned outside the frame (the task's, an enclosing
    /// scope's): the frame's code is being cancelled from outside.
    pub(crate) outer_taken: &'a mut bool,
    pub(crate) pending: &'a mut bool,
    pub(crate) delivered: &'a mut bool,
    pub(crate) handling: &'a mut bool,
    pub(crate) message: &'a mut Option<Arc<str>>,
    /// Where the list of points lent by [`frame_begin`] goes back.
    pub(crate) root: &'a mut Option<Arc<Points>>,
}

/// Ends the poll of a frame's code. `pending`: the code returned `Pending`. Gives the request
/// that the frame must now deliver by dropping the code: one that was there when the poll began
/// and that no cancellation point took (the task's own first, then the frame's own, then the
/// enclosing scopes' from the innermost), unless code inside is handling a delivered cancel.
pub(crate) fn frame_end(
    mut mark: FrameMark,
    own: FrameScope<'_>,
    pending: bool,
) -> Option<Cancelled> {
    mark.ended = true;
    CURRENT.with(|c| {
        if mark.rooted {
            if let Some(root) = c.root.take() {
                *own.root = Some(root);
            }
            c.rooted.set(false);
            c.covered.set(c.root_covered.get());
        }
        let level = mark.level;
        c.level.set(level - 1);
        let inner_took = c.took.get();
        let inner_handling = c.handling.get();
        // A request owned outside this frame and taken inside it: the code around this frame,
        // up to the request's owner, is handling it too.
        let mut outward = if inner_took < level {
            inner_took
        } else {
            NONE_TAKEN
        };
        if inner_took < level {
            *own.outer_taken = true;
        }
        let mut delivered = None;
        let mut handling = false;
        if pending {
            if inner_took <= level {
                *own.handling = true;
            }
            handling = inner_handling || *own.handling;
            if !handling {
                delivered = c.take_undelivered(own, &mut outward);
            }
        }
        c.took.set(mark.took.min(outward));
        c.handling.set(mark.handling || handling);
        delivered
    })
}

impl Current {
    /// The request a frame delivers by dropping its code (see [`frame_end`]).
    fn take_undelivered(&self, own: FrameScope<'_>, outward: &mut u32) -> Option<Cancelled> {
        let base = self.base.get();
        // The usual case, every pending poll of a gather's input: no request anywhere (the
        // task's is not armed, the frame's own is not pending, and no enclosing frame is open,
        // so none is pending). What follows would find nothing, at ~70 instructions.
        if !self.armed.get() && !*own.pending && self.depth.get() <= base {
            return None;
        }
        let mut scopes = self.scopes.borrow_mut();
        let enclosing = &mut scopes[base.min(self.depth.get())..];
        // The innermost enclosing frame whose code is handling a cancel: requests from outside
        // it are not delivered by dropping.
        let shield = enclosing.iter().rposition(|f| f.handling);
        if shield.is_none() && self.armed.get() {
            let task = self.task.borrow();
            if let Some(task) = task.as_ref()
                && Header::undelivered(task.header().load_state())
                && let Some(cancelled) = task.header().take_cancel()
            {
                *outward = 0;
                crate::report::dropped_for_cancel(task.header());
                return Some(cancelled);
            }
        }
        if *own.pending {
            *own.pending = false;
            *own.delivered = true;
            crate::report::dropped_for_scope(self.task.borrow().as_ref().map(|t| t.header()));
            return Some(Cancelled::with_shared(own.message.clone()));
        }
        let from = shield.map_or(0, |i| i + 1);
        let frame = enclosing[from..].iter_mut().rev().find(|f| f.pending)?;
        frame.pending = false;
        frame.delivered = true;
        *outward = (*outward).min(frame.level);
        crate::report::dropped_for_scope(self.task.borrow().as_ref().map(|t| t.header()));
        Some(Cancelled::with_shared(frame.message.clone()))
    }
}
