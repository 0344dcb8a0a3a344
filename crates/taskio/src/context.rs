//! The current task, and the cancel scopes open inside it: which code is running on this thread
//! right now, and which cancel request is meant for it.
//!
//! The running future moves its `Arc<dyn TaskCore>` into a thread-local for the length of each
//! poll and takes it back after (moves only, no reference counting). Cancellation points read it
//! to find the request meant for them; `spawn` reads it to record the parent.
//!
//! Inside one task, combinators that run several futures inline (gather, timeout, a group's body)
//! open a [`Scope`](crate::scope::Scope) around each poll of an inner future; its frame sits on a
//! per-thread stack while that poll runs. A cancellation point takes the task's own request
//! first, then the innermost pending frame's.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use crate::cell::TaskCore;
use crate::error::Cancelled;

/// A cancel scope's request while the scope's code is being polled.
pub(crate) struct Frame {
    pub(crate) pending: bool,
    pub(crate) delivered: bool,
    pub(crate) message: Option<Arc<str>>,
}

/// Everything this module keeps per thread, in one thread-local (one lookup per poll).
struct Current {
    task: RefCell<Option<Arc<dyn TaskCore>>>,
    scopes: RefCell<Vec<Frame>>,
    /// `scopes.len()`, readable without borrowing: the cancellation points' fast path.
    depth: Cell<usize>,
    /// Frames below this index belong to a task whose poll encloses the current one (an eager
    /// spawn polls the new task inside its spawner's poll): they are not the current task's.
    base: Cell<usize>,
}

thread_local! {
    static CURRENT: Current = const {
        Current {
            task: RefCell::new(None),
            scopes: RefCell::new(Vec::new()),
            depth: Cell::new(0),
            base: Cell::new(0),
        }
    };
}

/// What [`enter`] replaced, for [`leave`] to restore.
pub(crate) struct Entered {
    task: Option<Arc<dyn TaskCore>>,
    base: usize,
}

/// Makes `core` the current task, with no scope open; returns what it replaces, for [`leave`].
#[inline]
pub(crate) fn enter(core: Arc<dyn TaskCore>) -> Entered {
    CURRENT.with(|c| Entered {
        task: c.task.replace(Some(core)),
        base: c.base.replace(c.depth.get()),
    })
}

/// Restores what `entered` saved and gives back the task that was entered.
#[inline]
pub(crate) fn leave(entered: Entered) -> Arc<dyn TaskCore> {
    CURRENT.with(|c| {
        let depth = c.base.replace(entered.base);
        if c.depth.get() > depth {
            // Scopes pop themselves, also on unwind; this only guards the stack's shape.
            c.scopes.borrow_mut().truncate(depth);
            c.depth.set(depth);
        }
        c.task
            .replace(entered.task)
            .expect("taskio: the current task was entered before it is left")
    })
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
/// every cancellation point calls before it does anything else. The task's own request comes
/// first (a cancel from outside is never mistaken for a scope's), then the innermost scope's.
#[inline]
pub(crate) fn take_cancel() -> Option<Cancelled> {
    CURRENT
        .try_with(|c| {
            if let Some(task) = c.task.borrow().as_ref()
                && let Some(cancelled) = task.header().take_cancel()
            {
                return Some(cancelled);
            }
            let base = c.base.get();
            if c.depth.get() <= base {
                return None;
            }
            let mut scopes = c.scopes.borrow_mut();
            let frame = scopes[base..].iter_mut().rev().find(|f| f.pending)?;
            frame.pending = false;
            frame.delivered = true;
            Some(Cancelled::with_shared(frame.message.clone()))
        })
        .ok()
        .flatten()
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
