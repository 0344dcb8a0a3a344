//! loom models of the task cell (`header.rs` + `cell.rs`, driven through the real `TaskFuture` of
//! `spawn.rs`): every interleaving of the task's own future with the handle's `cancel`, drop
//! (detach) and await, and with an abort (the future dropped).
//!
//! Run: `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=3 \
//!       cargo test -p taskio --release --test loom_cell`
//!
//! The bodies never touch a loom object while they are polled: loom runs its threads as
//! coroutines on one OS thread, so a switch inside a body's poll would let another model thread
//! see the first one's thread-local "current task".
#![cfg(loom)]

mod loom_support;
use loom_support::{flag_waker, yield_once};

use std::collections::HashMap;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll, Waker};

use loom::future::block_on;
use loom::sync::atomic::Ordering;
use loom::thread;
use taskio::{__loom, TaskState};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::SubscriberExt;

// ---- reports ("... its error was never retrieved"), counted per task id -------------------

struct CountReports(Arc<Mutex<HashMap<u64, usize>>>);

struct TaskIdField(Option<u64>);

impl Visit for TaskIdField {
    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "task.id" {
            self.0 = Some(value);
        }
    }
    fn record_debug(&mut self, _: &Field, _: &dyn std::fmt::Debug) {}
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for CountReports {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut id = TaskIdField(None);
        event.record(&mut id);
        if let Some(id) = id.0 {
            *self.0.lock().unwrap().entry(id).or_default() += 1;
        }
    }
}

fn reports() -> &'static Arc<Mutex<HashMap<u64, usize>>> {
    static REPORTS: OnceLock<Arc<Mutex<HashMap<u64, usize>>>> = OnceLock::new();
    REPORTS.get_or_init(|| {
        let reports = Arc::new(Mutex::new(HashMap::new()));
        let subscriber = tracing_subscriber::registry().with(CountReports(reports.clone()));
        tracing::subscriber::set_global_default(subscriber).unwrap();
        reports
    })
}

/// How many times the task with this id was reported (ids are never reused, so the task of
/// every loom iteration has its own count).
fn reports_of(id: taskio::TaskId) -> usize {
    let n = reports().lock().unwrap().get(&id.as_u64()).copied();
    n.unwrap_or(0)
}

// ---- bodies and wakers --------------------------------------------------------------------

fn failure() -> taskio::Error {
    taskio::Error::msg("boom")
}

/// Runs `f` under loom with a preemption bound (3 unless `LOOM_MAX_PREEMPTIONS` says otherwise).
fn model(f: impl Fn() + Sync + Send + 'static) {
    reports();
    loom_support::check(f);
}

/// The outcome checks every model shares: a task whose body returns `Ok` and has no
/// cancellation point ends cancelled exactly when some `cancel()` returned `true`, and
/// `cancelling()` counts exactly the accepted requests.
fn check_ok_body_outcome<T: Send + 'static>(task: &taskio::Task<T>, accepted: u32) {
    let state = task.state();
    assert!(
        state.is_done(),
        "the task is done after its last poll: {state}"
    );
    if accepted > 0 {
        assert_eq!(state, TaskState::Cancelled, "an accepted cancel was lost");
    } else {
        assert_eq!(
            state,
            TaskState::Finished,
            "cancelled with no cancel accepted"
        );
    }
    assert_eq!(
        task.cancelling(),
        accepted,
        "cancelling() counts the accepted requests"
    );
}

// ---- the models -----------------------------------------------------------------------------

/// cancel vs the first poll (`Header::begin`) and the completion that follows it in the same
/// poll: before `begin` the body never runs; after it, the request is seen once the body
/// returns; once the outcome is decided (`Header::close`), `cancel()` refuses.
#[test]
fn cancel_vs_first_poll_and_completion() {
    model(|| {
        let (task, mut running) = __loom::spawn(async { taskio::Ok(7u32) });
        let task = Arc::new(task);
        let canceller = {
            let task = task.clone();
            thread::spawn(move || task.cancel())
        };
        assert!(running.poll(Waker::noop()).is_ready());
        let accepted = canceller.join().unwrap();
        check_ok_body_outcome(&task, accepted as u32);
    });
}

/// The known lost-cancel race, isolated: the body is running (suspended once); its last poll
/// returns `Ok` while `cancel()` runs. Without `Header::close` a request that lands between the
/// "cancel pending?" check and `mark_complete` returns `true` and is lost (the task ends `Ok`).
#[test]
fn cancel_vs_completion_of_a_running_task() {
    model(|| {
        let (task, mut running) = __loom::spawn(yield_once(taskio::Ok(7u32)));
        assert!(running.poll(Waker::noop()).is_pending());
        let task = Arc::new(task);
        let canceller = {
            let task = task.clone();
            thread::spawn(move || task.cancel())
        };
        assert!(running.poll(Waker::noop()).is_ready());
        // Before the join (which would order everything): a task that ended cancelled has its
        // request counted, as code that reads `cancelling()` after a delivery relies on.
        if task.state() == TaskState::Cancelled {
            assert_eq!(
                task.cancelling(),
                1,
                "a delivered cancel is not counted yet"
            );
        }
        let accepted = canceller.join().unwrap();
        check_ok_body_outcome(&task, accepted as u32);
    });
}

/// Two cancels with messages vs completion: each accepted request is counted once, the task ends
/// cancelled iff one was accepted, and the message it ends with is one of an accepted request (a
/// refused request must not overwrite it).
#[test]
fn two_cancels_vs_completion() {
    model(|| {
        let (task, mut running) = __loom::spawn(yield_once(taskio::Ok(7u32)));
        assert!(running.poll(Waker::noop()).is_pending());
        let task = Arc::new(task);
        let cancel = |msg: &'static str| {
            let task = task.clone();
            thread::spawn(move || (msg, task.cancel_with(msg)))
        };
        let a = cancel("a");
        let b = cancel("b");
        assert!(running.poll(Waker::noop()).is_ready());
        let accepted: Vec<&str> = [a.join().unwrap(), b.join().unwrap()]
            .into_iter()
            .filter_map(|(m, ok)| ok.then_some(m))
            .collect();
        let mut task = Arc::into_inner(task).expect("the threads are joined");
        check_ok_body_outcome(&task, accepted.len() as u32);
        let outcome = task.try_result().expect("done");
        if let Err(e) = outcome {
            let msg = e
                .as_cancelled()
                .and_then(|c| c.message())
                .map(str::to_owned);
            let msg = msg.expect("a cancel with a message ends with that message");
            assert!(
                accepted.contains(&msg.as_str()),
                "ended with the message {msg:?} of a refused cancel (accepted: {accepted:?})"
            );
        }
    });
}

/// A cancel that races the first poll wakes the task if the task may be waiting: when `cancel()`
/// is accepted and the task is not done, its waker must have been woken (else it sleeps forever).
#[test]
fn cancel_vs_first_poll_wakes_the_task() {
    model(|| {
        let (task, mut running) = __loom::spawn(yield_once(taskio::Ok(7u32)));
        let task = Arc::new(task);
        let canceller = {
            let task = task.clone();
            thread::spawn(move || task.cancel())
        };
        let (woken, waker) = flag_waker();
        let first = running.poll(&waker);
        let accepted = canceller.join().unwrap();
        if accepted && first.is_pending() {
            assert!(
                woken.0.load(Ordering::Acquire),
                "an accepted cancel did not wake the suspended task"
            );
        }
        if first.is_pending() {
            assert!(running.poll(&waker).is_ready());
        }
        check_ok_body_outcome(&task, accepted as u32);
    });
}

/// The body takes back a request (`uncancel`, asyncio's) while another thread cancels: the
/// other thread's request must survive (here the body has no cancellation point after its
/// `uncancel`, so an accepted request makes the task end cancelled), and one refused leaves
/// nothing counted. With the count in its own atomic, `uncancel` could bring it to 0, a cancel
/// count 1 and set the flag, and `uncancel` then clear the flag: a request counted and lost.
/// (The body may touch loom objects here: the other thread never reads the current task.)
#[test]
fn uncancel_vs_cancel() {
    struct UncancelThenOk(bool);
    impl Future for UncancelThenOk {
        type Output = taskio::Result<u32>;
        fn poll(mut self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
            if !self.0 {
                self.0 = true;
                return Poll::Pending;
            }
            let me = taskio::current().expect("polled as a task");
            me.uncancel();
            Poll::Ready(Ok(7))
        }
    }
    model(|| {
        let (task, mut running) = __loom::spawn(UncancelThenOk(false));
        assert!(running.poll(Waker::noop()).is_pending());
        assert!(task.cancel()); // the request the body takes back
        let task = Arc::new(task);
        let canceller = {
            let task = task.clone();
            thread::spawn(move || task.cancel())
        };
        assert!(running.poll(Waker::noop()).is_ready());
        let accepted = canceller.join().unwrap();
        check_ok_body_outcome(&task, u32::from(accepted));
    });
}

/// An eager first poll (no waker registered) then the scheduled poll, vs cancel.
#[test]
fn cancel_vs_eager_start() {
    model(|| {
        let (task, mut running) = __loom::spawn(yield_once(taskio::Ok(7u32)));
        let task = Arc::new(task);
        let canceller = {
            let task = task.clone();
            thread::spawn(move || task.cancel())
        };
        if running.poll_eager().is_pending() {
            assert!(running.poll(Waker::noop()).is_ready());
        }
        let accepted = canceller.join().unwrap();
        check_ok_body_outcome(&task, accepted as u32);
    });
}

/// The running future dropped (a runtime shutting down) vs cancel vs an await of the handle: the
/// task ends cancelled, the awaiter is woken with that outcome, and `cancelling()` counts the
/// request only if it was accepted.
#[test]
fn abort_vs_cancel_vs_await() {
    model(|| {
        let (task, mut running) = __loom::spawn(yield_once(taskio::Ok(7u32)));
        assert!(running.poll(Waker::noop()).is_pending());
        let task = Arc::new(task);
        let canceller = {
            let task = task.clone();
            thread::spawn(move || task.cancel())
        };
        let aborter = thread::spawn(move || drop(running));
        let outcome = block_on(poll_fn(|cx| __loom::poll_output(&task, cx)));
        let err = outcome.expect_err("an aborted task has no value");
        assert!(err.is_cancelled());
        let accepted = canceller.join().unwrap();
        aborter.join().unwrap();
        assert_eq!(task.state(), TaskState::Cancelled);
        assert_eq!(task.cancelling(), u32::from(accepted));
    });
}

/// `Task::abort` (a flag the task's future reads) vs the task suspending for the first time (its
/// waker is stored only then): the abort either stops the body before it runs or wakes the
/// suspended task, whose next poll ends it cancelled. A lost wake-up would leave it hanging.
#[test]
fn abort_vs_first_suspension() {
    model(|| {
        let (task, mut running) = __loom::spawn(yield_once(taskio::Ok(7u32)));
        let task = Arc::new(task);
        let aborter = {
            let task = task.clone();
            thread::spawn(move || task.abort())
        };
        let (woken, waker) = flag_waker();
        let first = running.poll(&waker);
        aborter.join().unwrap();
        if first.is_pending() {
            assert!(
                woken.0.load(Ordering::Acquire),
                "an abort did not wake the suspended task"
            );
            assert!(running.poll(&waker).is_ready());
        }
        assert_eq!(task.state(), TaskState::Cancelled);
        assert_eq!(task.cancelling(), 0, "an abort is not a cancel request");
    });
}

/// abort vs the completion of a running task: the task ends either with its value (the abort
/// came too late) or cancelled, never both, never neither, and an awaiter gets that outcome.
#[test]
fn abort_vs_completion() {
    model(|| {
        let (task, mut running) = __loom::spawn(yield_once(taskio::Ok(7u32)));
        assert!(running.poll(Waker::noop()).is_pending());
        let task = Arc::new(task);
        let aborter = {
            let task = task.clone();
            thread::spawn(move || task.abort())
        };
        assert!(running.poll(Waker::noop()).is_ready());
        let outcome = block_on(poll_fn(|cx| __loom::poll_output(&task, cx)));
        match (task.state(), outcome) {
            (TaskState::Finished, Ok(7)) => {}
            (TaskState::Cancelled, Err(e)) if e.is_cancelled() => {}
            (state, outcome) => panic!("inconsistent: state {state}, outcome {outcome:?}"),
        }
        aborter.join().unwrap();
    });
}

/// A waiter registering (the handle's await, `Cell::poll_output`) while the task completes: it
/// is woken exactly when it registered before the completion, and gets the value (a lost wakeup
/// would leave `block_on` parked forever, which loom reports as a deadlock).
#[test]
fn await_vs_completion() {
    model(|| {
        let (mut task, mut running) = __loom::spawn(yield_once(taskio::Ok(7u32)));
        assert!(running.poll(Waker::noop()).is_pending());
        let runner = thread::spawn(move || {
            assert!(running.poll(Waker::noop()).is_ready());
        });
        assert_eq!(block_on(&mut task).unwrap(), 7);
        assert!(
            task.is_done(),
            "the awaiter got the value of a task not yet done"
        );
        runner.join().unwrap();
    });
}

/// The one-observer completion notification (`TaskCore::poll_done`, used by `run`'s shutdown)
/// registering while the task completes; after it fires, the outcome is there to take.
#[test]
fn done_observer_vs_completion() {
    model(|| {
        let (mut task, mut running) = __loom::spawn(yield_once(taskio::Ok(7u32)));
        assert!(running.poll(Waker::noop()).is_pending());
        let runner = thread::spawn(move || {
            assert!(running.poll(Waker::noop()).is_ready());
        });
        block_on(poll_fn(|cx| __loom::poll_done(&task, cx)));
        assert!(
            task.is_done(),
            "the done observer woke before the task was done"
        );
        assert_eq!(task.try_result().unwrap().unwrap(), 7);
        runner.join().unwrap();
    });
}

/// Handle drop (detach) vs a failing completion: the failure is reported exactly once, by
/// whichever of the two comes second.
#[test]
fn detach_vs_failure_reports_once() {
    model(|| {
        let (task, mut running) = __loom::spawn(yield_once(Err::<u32, _>(failure())));
        let id = task.id();
        assert!(running.poll(Waker::noop()).is_pending());
        let dropper = thread::spawn(move || drop(task));
        assert!(running.poll(Waker::noop()).is_ready());
        dropper.join().unwrap();
        assert_eq!(reports_of(id), 1);
    });
}

/// Taking the outcome (`try_result`) then dropping the handle, vs a failing completion: reported
/// once exactly when nobody took it.
#[test]
fn try_result_then_detach_vs_failure() {
    model(|| {
        let (mut task, mut running) = __loom::spawn(yield_once(Err::<u32, _>(failure())));
        let id = task.id();
        assert!(running.poll(Waker::noop()).is_pending());
        let reader = thread::spawn(move || {
            let taken = task.try_result();
            if let Some(outcome) = &taken {
                assert!(outcome.as_ref().unwrap_err().to_string().ends_with("boom"));
            }
            taken.is_some()
        });
        assert!(running.poll(Waker::noop()).is_ready());
        let taken = reader.join().unwrap();
        assert_eq!(reports_of(id), usize::from(!taken));
    });
}

/// Awaiting a failure then dropping the handle, vs the completion: never reported.
#[test]
fn await_then_detach_vs_failure_reports_nothing() {
    model(|| {
        let (mut task, mut running) = __loom::spawn(yield_once(Err::<u32, _>(failure())));
        let id = task.id();
        assert!(running.poll(Waker::noop()).is_pending());
        let runner = thread::spawn(move || {
            assert!(running.poll(Waker::noop()).is_ready());
        });
        assert!(block_on(&mut task).is_err());
        drop(task);
        runner.join().unwrap();
        assert_eq!(reports_of(id), 0);
    });
}
