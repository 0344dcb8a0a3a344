//! Debug mode (issue 18): a poll that holds its thread too long, a swallowed cancellation and a
//! cancel delivered by dropping are reported as `warn` events with the target `taskio::debug`,
//! naming the task and its spawn site; the library's own cancel paths are not reported; nothing
//! is reported with debug mode off.
//!
//! Debug mode is a process-wide switch: the tests of this file take turns ([`serial`]).

mod support;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use support::capture::{Event, events, install};
use support::{both, bounded};
use taskio::CancellableExt as _;
use taskio::debug::{DebugEvent, DebugOptions, DebugReport};

/// The debug reports (target `taskio::debug`) about task `name`.
fn reports_for(name: &str) -> Vec<Event> {
    events()
        .into_iter()
        .filter(|e| e.target == "taskio::debug" && e.name == name)
        .collect()
}

/// Every event (any target, any level) that names task `name`.
fn any_event_for(name: &str) -> Vec<Event> {
    events().into_iter().filter(|e| e.name == name).collect()
}

/// One test at a time owns the process-wide switch; it is off again when the guard goes.
struct Serial(#[allow(dead_code)] MutexGuard<'static, ()>);

impl Drop for Serial {
    fn drop(&mut self) {
        taskio::debug::disable();
    }
}

fn serial(on: bool) -> Serial {
    static LOCK: Mutex<()> = Mutex::new(());
    install();
    let guard = Serial(LOCK.lock().unwrap_or_else(|e| e.into_inner()));
    if on {
        taskio::debug::enable(DebugOptions::new());
    } else {
        taskio::debug::disable();
    }
    guard
}

/// A task name unique to this test and runtime flavour.
fn unique(base: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!("{base}-{}", N.fetch_add(1, Ordering::Relaxed))
}

/// Holds the thread for `d` without suspending (the seeds' CPU-bound pitfall).
fn spin(d: Duration) {
    let start = Instant::now();
    while start.elapsed() < d {
        std::hint::spin_loop();
    }
}

both! {
    /// Real clock: a 200 ms spin is reported once, with roughly its duration and the spawn site.
    async fn a_poll_that_spins_200ms_is_reported_once_with_its_duration() {
        let _s = serial(true);
        let name = unique("spinner");
        let t = taskio::task().name(name.clone()).spawn(async {
            taskio::checkpoint().await?;
            spin(Duration::from_millis(200));
            taskio::checkpoint().await?; // a second poll, short: not reported
            taskio::Ok(())
        });
        bounded(t).await.unwrap();
        let reports = reports_for(&name);
        assert_eq!(reports.len(), 1, "{reports:?}");
        let r = &reports[0];
        assert_eq!(r.level, "WARN");
        assert!(r.spawned_at.contains("tests/debug.rs"), "{r:?}");
        let ms: f64 = r
            .message
            .split("held its thread for ")
            .nth(1)
            .and_then(|rest| rest.split("ms").next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no duration in {:?}", r.message));
        assert!((150.0..5000.0).contains(&ms), "{ms} ms");
    }
}

both! {
    async fn a_swallowed_cancel_is_reported() {
        let _s = serial(true);
        let name = unique("swallower");
        let t = taskio::task().name(name.clone()).spawn(async {
            // The seeds' "catching exceptions broadly" pitfall.
            let _ = taskio::sleep(Duration::from_secs(3600)).await;
            taskio::Ok(7)
        });
        taskio::checkpoint().await.unwrap();
        tokio::task::yield_now().await;
        support::until(|| t.state() == taskio::TaskState::Running).await;
        t.cancel();
        assert_eq!(bounded(t).await.unwrap(), 7);
        let reports = reports_for(&name);
        assert_eq!(reports.len(), 1, "{reports:?}");
        assert!(reports[0].message.contains("swallowed"), "{reports:?}");
    }
}

both! {
    async fn a_cancel_delivered_by_dropping_is_a_warning_in_debug_mode() {
        let _s = serial(true);
        let name = unique("channel-waiter");
        let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
        let t = taskio::task().name(name.clone()).spawn(async move {
            let _ = rx.await; // not a cancellation point
            taskio::Ok(())
        });
        support::until(|| t.state() == taskio::TaskState::Running).await;
        tokio::task::yield_now().await;
        t.cancel();
        assert!(bounded(t).await.unwrap_err().is_cancelled());
        let reports = reports_for(&name);
        assert_eq!(reports.len(), 1, "{reports:?}");
        assert_eq!(reports[0].level, "WARN");
        assert!(reports[0].message.contains("not a cancellation point"));
        assert!(reports[0].spawned_at.contains("tests/debug.rs"));
    }
}

both! {
    /// With debug mode off: the spin, the swallow and the drop are not reported (the drop only
    /// at debug level, as before).
    async fn nothing_is_reported_with_debug_mode_off() {
        let _s = serial(false);
        let spinner = unique("off-spinner");
        let swallower = unique("off-swallower");
        let dropped = unique("off-dropped");
        let a = taskio::task().name(spinner.clone()).spawn(async {
            spin(Duration::from_millis(150));
        });
        let b = taskio::task().name(swallower.clone()).spawn(async {
            let _ = taskio::sleep(Duration::from_secs(3600)).await;
            taskio::Ok(())
        });
        let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
        let c = taskio::task().name(dropped.clone()).spawn(async move {
            let _ = rx.await;
        });
        support::until(|| b.state() == taskio::TaskState::Running).await;
        support::until(|| c.state() == taskio::TaskState::Running).await;
        tokio::task::yield_now().await;
        b.cancel();
        c.cancel();
        bounded(a).await.unwrap();
        bounded(b).await.unwrap();
        assert!(bounded(c).await.unwrap_err().is_cancelled());
        for name in [&spinner, &swallower, &dropped] {
            assert!(reports_for(name).is_empty(), "{name}: {:?}", reports_for(name));
            assert!(
                any_event_for(name).iter().all(|e| e.level == "DEBUG"),
                "{:?}",
                any_event_for(name)
            );
        }
    }
}

both! {
    /// A timeout that expired and was turned into `TimedOut`, caught by the task, which ends
    /// with a value: the library's own cancel, not a swallowed one.
    async fn no_report_for_a_caught_timeout() {
        let _s = serial(true);
        let name = unique("timed-out");
        let t = taskio::task().name(name.clone()).spawn(async {
            let r = taskio::timeout(Duration::from_millis(10), taskio::sleep(Duration::from_secs(3600))).await;
            assert!(r.unwrap_err().is_timed_out());
            taskio::Ok(1)
        });
        assert_eq!(bounded(t).await.unwrap(), 1);
        assert!(reports_for(&name).is_empty(), "{:?}", reports_for(&name));
    }
}

both! {
    /// A group whose child failed: its body is cancelled and the group returns the group error,
    /// which the task handles and ends with a value. The body, and the sibling the group
    /// cancelled (which ends with an error of its own), are not reported either.
    async fn no_report_for_a_group_that_failed() {
        let _s = serial(true);
        let name = unique("group-owner");
        let sibling = unique("group-sibling");
        let sib = sibling.clone();
        let t = taskio::task().name(name.clone()).spawn(async move {
            let r = taskio::task_group(|tg| async move {
                tg.spawn_with(taskio::task().name(sib), async {
                    let c = taskio::sleep(Duration::from_secs(3600)).await.unwrap_err();
                    taskio::Result::<()>::Err(taskio::Error::msg(format!("cleanup failed after {c}")))
                })?;
                tg.spawn(async {
                    taskio::sleep(Duration::from_millis(10)).await?;
                    taskio::Result::<()>::Err(taskio::Error::msg("boom"))
                })?;
                taskio::sleep(Duration::from_secs(3600)).await?;
                taskio::Ok(())
            })
            .await;
            assert!(r.unwrap_err().to_string().contains("boom"));
            taskio::Ok(2)
        });
        assert_eq!(bounded(t).await.unwrap(), 2);
        assert!(reports_for(&name).is_empty(), "{:?}", reports_for(&name));
        assert!(reports_for(&sibling).is_empty(), "{:?}", reports_for(&sibling));
    }
}

both! {
    /// shield: the outer await is cancelled and propagates; the inner task runs on to its
    /// value. Neither is reported.
    async fn no_report_for_shield() {
        let _s = serial(true);
        let outer = unique("shield-outer");
        let inner = unique("shield-inner");
        let inner_task = taskio::task().name(inner.clone()).spawn(async {
            taskio::sleep(Duration::from_millis(50)).await?;
            taskio::Ok(3)
        });
        let handle = inner_task.handle();
        let t = taskio::task().name(outer.clone()).spawn(async move {
            taskio::shield(inner_task).await
        });
        support::until(|| t.state() == taskio::TaskState::Running).await;
        tokio::task::yield_now().await;
        t.cancel();
        assert!(bounded(t).await.unwrap_err().is_cancelled());
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert!(handle.is_done());
        assert!(reports_for(&outer).is_empty(), "{:?}", reports_for(&outer));
        assert!(reports_for(&inner).is_empty(), "{:?}", reports_for(&inner));
    }
}

both! {
    /// The awaiting task's cancel is passed on to the awaited one, which swallows it: that one
    /// is reported, not the awaiting task (its code never saw `Err(Cancelled)`).
    async fn a_forwarded_cancel_is_reported_for_the_task_that_swallowed_it_only() {
        let _s = serial(true);
        let awaiter = unique("forwarder");
        let awaited = unique("forwarded-to");
        let inner = taskio::task().name(awaited.clone()).spawn(async {
            let _ = taskio::sleep(Duration::from_secs(3600)).await;
            taskio::Ok(4)
        });
        let t = taskio::task().name(awaiter.clone()).spawn(inner); // its body awaits inner
        support::until(|| t.state() == taskio::TaskState::Running).await;
        tokio::task::yield_now().await;
        support::until(|| taskio::all_tasks().iter().any(|i| i.name == awaited && i.state == taskio::TaskState::Running)).await;
        t.cancel();
        assert_eq!(bounded(t).await.unwrap(), 4);
        assert!(reports_for(&awaiter).is_empty(), "{:?}", reports_for(&awaiter));
        assert_eq!(reports_for(&awaited).len(), 1);
    }
}

both! {
    async fn no_report_when_uncancel_takes_the_request_back() {
        let _s = serial(true);
        let name = unique("uncanceller");
        let t = taskio::task().name(name.clone()).spawn(async {
            if taskio::sleep(Duration::from_secs(3600)).await.is_err() {
                taskio::current().unwrap().uncancel();
            }
            taskio::Ok(5)
        });
        support::until(|| t.state() == taskio::TaskState::Running).await;
        tokio::task::yield_now().await;
        t.cancel();
        assert_eq!(bounded(t).await.unwrap(), 5);
        assert!(reports_for(&name).is_empty(), "{:?}", reports_for(&name));
    }
}

/// `run`'s shutdown cancels the leftovers; one that cleans up and returns a value is not
/// reported. On both runtimes `run` builds.
#[test]
fn no_report_for_runs_shutdown() {
    let _s = serial(false);
    for runner in [
        taskio::Runner::new().debug(true),
        taskio::Runner::new().worker_threads(2).debug(true),
    ] {
        let name = unique("leftover");
        let n = name.clone();
        runner
            .run(async move {
                drop(taskio::task().name(n).spawn(async {
                    let _ = taskio::sleep(Duration::from_secs(3600)).await;
                    taskio::Ok(())
                }));
                taskio::sleep(Duration::from_millis(5)).await?;
                taskio::Ok(())
            })
            .unwrap();
        assert!(reports_for(&name).is_empty(), "{:?}", reports_for(&name));
    }
    // The run's switch is undone when it returns.
    assert!(!taskio::debug::is_enabled());
}

/// `Runner::slow_poll_threshold` sets the threshold for its run; the hook of
/// `DebugOptions::on_report` receives reports instead of `tracing`.
#[test]
fn runner_threshold_and_report_hook() {
    let _s = serial(false);
    let seen: Arc<Mutex<Vec<DebugReport>>> = Arc::default();
    let sink = seen.clone();
    taskio::debug::enable(
        DebugOptions::new()
            .slow_poll_threshold(Duration::MAX)
            .on_report(move |r| sink.lock().unwrap().push(r.clone())),
    );
    let name = unique("hooked");
    let n = name.clone();
    taskio::Runner::new()
        .slow_poll_threshold(Duration::from_millis(20))
        .run(async move {
            taskio::task()
                .name(n)
                .spawn(async { spin(Duration::from_millis(40)) })
                .await
        })
        .unwrap();
    let got = seen.lock().unwrap();
    let mine: Vec<_> = got.iter().filter(|r| r.name == name).collect();
    assert_eq!(mine.len(), 1, "{got:?}");
    match &mine[0].event {
        DebugEvent::SlowPoll { took, threshold } => {
            assert_eq!(*threshold, Duration::from_millis(20));
            assert!(*took >= Duration::from_millis(40));
        }
        other => panic!("{other:?}"),
    }
    assert!(reports_for(&name).is_empty(), "the hook replaces tracing");
    drop(got);
    // Back to the process's own options after the run: its hook, and Duration::MAX, which
    // reports no poll however long.
    assert!(taskio::debug::is_enabled());
    let quiet = unique("quiet");
    let q = quiet.clone();
    taskio::Runner::new()
        .run(async move {
            taskio::task()
                .name(q)
                .spawn(async { spin(Duration::from_millis(30)) })
                .await
        })
        .unwrap();
    assert!(seen.lock().unwrap().iter().all(|r| r.name != quiet));
    assert!(reports_for(&quiet).is_empty());
}

/// `.cancellable()` waits are points: a cancel there is delivered, not dropped, and a task
/// that propagates it is not reported at all.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancellable_wait_that_propagates_is_not_reported() {
    let _s = serial(true);
    let name = unique("propagates");
    let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
    let t = taskio::task().name(name.clone()).spawn(async move {
        let _ = rx.cancellable().await?;
        taskio::Ok(())
    });
    support::until(|| t.state() == taskio::TaskState::Running).await;
    tokio::task::yield_now().await;
    t.cancel();
    assert!(bounded(t).await.unwrap_err().is_cancelled());
    assert!(reports_for(&name).is_empty(), "{:?}", reports_for(&name));
}

const CHILD: &str = "TASKIO_DEBUG_TEST_CHILD";

/// `TASKIO_DEBUG=1`, read when `run` starts, switches debug mode on; with no subscriber
/// installed, each report is one line on stderr, once.
#[test]
fn taskio_debug_env_and_stderr_without_a_subscriber() {
    if std::env::var_os(CHILD).is_some() {
        // The child: no subscriber was ever installed in this process.
        assert!(!taskio::debug::is_enabled(), "off until run starts");
        taskio::run(async {
            assert!(taskio::debug::is_enabled(), "TASKIO_DEBUG=1 read by run");
            let t = taskio::task().name("env-swallower").spawn(async {
                let _ = taskio::sleep(Duration::from_secs(3600)).await;
                taskio::Ok(())
            });
            taskio::checkpoint().await?;
            t.cancel();
            t.await
        })
        .unwrap();
        return;
    }
    let lines = support::child_stderr_lines(
        "taskio_debug_env_and_stderr_without_a_subscriber",
        &[(CHILD, "1"), ("TASKIO_DEBUG", "1")],
        "env-swallower",
    );
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("taskio debug: task 'env-swallower' (id "),
        "{}",
        lines[0]
    );
    assert!(lines[0].contains("spawned at crates/taskio/tests/debug.rs:"));
    assert!(lines[0].contains("swallowed"));
}

/// A report hook that panics is the hook's fault: the task's outcome stands, and the next
/// report still reaches the hook.
#[test]
fn a_panicking_report_hook_changes_no_outcome() {
    let _s = serial(false);
    let calls = Arc::new(std::sync::atomic::AtomicU32::new(0));
    let c = calls.clone();
    taskio::debug::enable(DebugOptions::new().on_report(move |_| {
        c.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        panic!("the hook's own bug");
    }));
    for _ in 0..2 {
        let out = taskio::run(async {
            let t = taskio::task().name(unique("hook-victim")).spawn(async {
                let _ = taskio::sleep(Duration::from_secs(3600)).await;
                taskio::Ok(9)
            });
            taskio::checkpoint().await?;
            t.cancel();
            t.await
        });
        assert_eq!(out.unwrap(), 9);
    }
    assert_eq!(calls.load(std::sync::atomic::Ordering::Relaxed), 2);
}
