//! The semantics of DESIGN.md's "TaskGroup" section, and CPython's `test_taskgroups.py`
//! behaviours, each pinned by a test on both runtimes (the current-thread one on the paused
//! clock, and the 2-worker multi-thread one).

mod support;
use support::{both, until};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use taskio::{Error, TaskState};

const HOUR: Duration = Duration::from_secs(3600);
const MS: Duration = Duration::from_millis(1);

async fn fails_after(d: Duration, msg: &'static str) -> taskio::Result<()> {
    taskio::sleep(d).await?;
    Err(Error::msg(msg))
}

/// Spawns a child that sleeps for an hour and records whether it saw the cancel, and waits
/// until it is running (so that a cancel reaches its body, not a task that never started).
async fn spawn_sleeper(
    tg: &taskio::TaskGroup,
    cancelled: &Arc<AtomicBool>,
) -> taskio::Result<taskio::Task<()>> {
    let started = Arc::new(AtomicBool::new(false));
    let (st, cancelled) = (started.clone(), cancelled.clone());
    let task = tg.spawn(async move {
        st.store(true, Ordering::SeqCst);
        let r = taskio::sleep(HOUR).await;
        cancelled.store(r.is_err(), Ordering::SeqCst);
        r?;
        taskio::Ok(())
    })?;
    until(|| started.load(Ordering::SeqCst)).await;
    Ok(task)
}

/// A task name unique in this process (both flavours of a test run at once).
fn unique(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::SeqCst))
}

fn messages(err: &Error) -> Vec<String> {
    err.group_errors()
        .expect("a group error")
        .iter()
        .map(|e| e.to_string())
        .collect()
}

both! {
    async fn returns_the_bodys_value_when_all_succeed() {
        let (v, child) = taskio::task_group(|tg| async move {
            let a = tg.spawn(async {
                taskio::sleep(MS).await?;
                taskio::Ok(1)
            })?;
            let b = tg.spawn(async { taskio::Ok(2) })?;
            taskio::Ok((a.await? + b.await?, tg.spawn(async { taskio::Ok("late") })?))
        })
        .await
        .unwrap();
        assert_eq!(v, 3);
        // The group waited for the child spawned last; its outcome is readable afterwards.
        assert!(child.is_done());
        let mut child = child;
        assert_eq!(child.try_result().unwrap().unwrap(), "late");
    }
}

both! {
    async fn waits_for_children_whose_handles_were_dropped() {
        let done = Arc::new(AtomicUsize::new(0));
        let d = done.clone();
        taskio::task_group(|tg| async move {
            for i in 0..10u64 {
                let d = d.clone();
                drop(tg.spawn(async move {
                    taskio::sleep(MS * i as u32).await?;
                    d.fetch_add(1, Ordering::SeqCst);
                    taskio::Ok(())
                })?);
            }
            taskio::Ok(())
        })
        .await
        .unwrap();
        assert_eq!(done.load(Ordering::SeqCst), 10);
    }
}

both! {
    async fn a_child_failure_cancels_a_sleeping_sibling_and_the_body() {
        let sibling_cancelled = Arc::new(AtomicBool::new(false));
        let body_cancelled = Arc::new(AtomicBool::new(false));
        let (s, b) = (sibling_cancelled.clone(), body_cancelled.clone());
        let mut sibling = None;
        let err = taskio::task_group(|tg| {
            let sibling = &mut sibling;
            async move {
                tg.spawn_with(taskio::task().name("crash"), fails_after(10 * MS, "boom"))?;
                *sibling = Some(spawn_sleeper(&tg, &s).await?);
                let r = taskio::sleep(HOUR).await;
                b.store(r.is_err(), Ordering::SeqCst);
                r?;
                taskio::Ok(())
            }
        })
        .await
        .unwrap_err();
        assert_eq!(messages(&err), ["task 'crash' failed: boom"]);
        assert!(!err.is_cancelled());
        assert!(sibling_cancelled.load(Ordering::SeqCst));
        assert!(body_cancelled.load(Ordering::SeqCst));
        assert_eq!(sibling.unwrap().state(), TaskState::Cancelled);
    }
}

both! {
    async fn two_failing_children_give_both_errors_in_order() {
        // Both meet at a barrier (not a cancellation point), then fail: neither can be
        // cancelled before it fails.
        let barrier = Arc::new(tokio::sync::Barrier::new(2));
        let err = taskio::task_group(|tg| async move {
            for (name, msg) in [("first", "one"), ("second", "two")] {
                let barrier = barrier.clone();
                tg.spawn_with(taskio::task().name(name), async move {
                    barrier.wait().await;
                    Err::<(), _>(Error::msg(msg))
                })?;
            }
            taskio::Ok(())
        })
        .await
        .unwrap_err();
        let mut got = messages(&err);
        // On the multi-thread runtime the two may finish in either order.
        got.sort();
        assert_eq!(got, ["task 'first' failed: one", "task 'second' failed: two"]);
    }
}

#[tokio::test(start_paused = true)]
async fn failures_are_in_the_order_they_happened() {
    let err = taskio::task_group(|tg| async move {
        // A failure during the cleanup of a cancelled child counts too, after the first.
        tg.spawn_with(taskio::task().name("cleanup"), async {
            let _ = taskio::sleep(HOUR).await;
            Err::<(), _>(Error::msg("cleanup failed"))
        })?;
        // Cancelled by the first failure before it fails: a cancellation, not a failure.
        tg.spawn_with(taskio::task().name("later"), fails_after(20 * MS, "later"))?;
        tg.spawn_with(
            taskio::task().name("sooner"),
            fails_after(10 * MS, "sooner"),
        )?;
        taskio::Ok(())
    })
    .await
    .unwrap_err();
    assert_eq!(
        messages(&err),
        [
            "task 'sooner' failed: sooner",
            "task 'cleanup' failed: cleanup failed"
        ]
    );
}

both! {
    async fn a_child_cancelled_on_its_own_is_not_a_failure() {
        let v = taskio::task_group(|tg| async move {
            let victim = tg.spawn(async {
                taskio::sleep(HOUR).await?;
                taskio::Ok(())
            })?;
            let ok = tg.spawn(async {
                taskio::sleep(10 * MS).await?;
                taskio::Ok(5)
            })?;
            victim.cancel();
            assert!(victim.await.unwrap_err().is_cancelled());
            ok.await
        })
        .await
        .unwrap();
        assert_eq!(v, 5);
    }
}

both! {
    async fn cancelling_the_task_that_runs_the_group_cancels_the_children() {
        let child_cancelled = Arc::new(AtomicBool::new(false));
        let body_cancelled = Arc::new(AtomicBool::new(false));
        let (c, b) = (child_cancelled.clone(), body_cancelled.clone());
        let started = Arc::new(AtomicBool::new(false));
        let st = started.clone();
        let runner = taskio::spawn(async move {
            taskio::task_group(|tg| async move {
                spawn_sleeper(&tg, &c).await?;
                st.store(true, Ordering::SeqCst);
                let r = taskio::sleep(HOUR).await;
                b.store(r.is_err(), Ordering::SeqCst);
                r?;
                taskio::Ok(())
            })
            .await
        });
        until(|| started.load(Ordering::SeqCst)).await;
        runner.cancel_with("stop");
        let err = runner.await.unwrap_err();
        assert!(err.is_cancelled(), "{err}");
        assert_eq!(err.as_cancelled().unwrap().message(), Some("stop"));
        assert!(child_cancelled.load(Ordering::SeqCst));
        assert!(body_cancelled.load(Ordering::SeqCst));
    }
}

both! {
    async fn failures_win_over_an_outer_cancel_which_stays_pending() {
        let started = Arc::new(AtomicBool::new(false));
        let st = started.clone();
        let runner = taskio::spawn(async move {
            let outcome = taskio::task_group(|tg| async move {
                // The cancel reaches this child, whose cleanup fails.
                tg.spawn(async move {
                    st.store(true, Ordering::SeqCst);
                    let _ = taskio::sleep(HOUR).await;
                    Err::<(), _>(Error::msg("cleanup failed"))
                })?;
                taskio::sleep(HOUR).await?;
                taskio::Ok(())
            })
            .await;
            let err = outcome.unwrap_err();
            assert_eq!(err.group_errors().unwrap().len(), 1);
            // The task's cancel request was put back: its next cancellation point sees it.
            assert_eq!(taskio::current().unwrap().cancelling(), 1);
            let again = taskio::checkpoint().await;
            assert!(again.is_err());
            taskio::Ok(())
        });
        until(|| started.load(Ordering::SeqCst)).await;
        runner.cancel();
        runner.await.unwrap();
    }
}

both! {
    async fn an_error_returned_by_the_body_cancels_the_children() {
        let child_cancelled = Arc::new(AtomicBool::new(false));
        let c = child_cancelled.clone();
        let err = taskio::task_group(|tg| async move {
            spawn_sleeper(&tg, &c).await?;
            taskio::sleep(MS).await?;
            Err::<(), _>(Error::msg("body broke"))
        })
        .await
        .unwrap_err();
        assert_eq!(messages(&err), ["body broke"]);
        assert!(child_cancelled.load(Ordering::SeqCst));
    }
}

both! {
    async fn a_body_that_returns_cancelled_cancels_the_children_and_returns_it() {
        let child_cancelled = Arc::new(AtomicBool::new(false));
        let c = child_cancelled.clone();
        let mut child = None;
        let err = taskio::task_group(|tg| {
            let child = &mut child;
            async move {
                *child = Some(spawn_sleeper(&tg, &c).await?);
                taskio::sleep(MS).await?;
                Err::<(), Error>(taskio::Cancelled::new(Some("body gave up")).into())
            }
        })
        .await
        .unwrap_err();
        assert_eq!(err.as_cancelled().unwrap().message(), Some("body gave up"));
        assert!(child_cancelled.load(Ordering::SeqCst));
        assert!(child.unwrap().is_cancelled());
    }
}

both! {
    async fn panics_of_children_and_of_the_body_are_failures() {
        let err = taskio::task_group(|tg| async move {
            tg.spawn_with(taskio::task().name("panicky"), async {
                taskio::sleep(MS).await?;
                if true {
                    panic!("child panic");
                }
                taskio::Ok(())
            })?;
            taskio::Ok(())
        })
        .await
        .unwrap_err();
        let errors = err.group_errors().unwrap();
        assert!(errors[0].is_panic());
        assert_eq!(errors[0].panic_message(), Some("child panic"));

        let c = Arc::new(AtomicBool::new(false));
        let cc = c.clone();
        let err = taskio::task_group(|tg| async move {
            spawn_sleeper(&tg, &cc).await?;
            taskio::sleep(MS).await?;
            if true {
                panic!("body panic");
            }
            taskio::Ok(())
        })
        .await
        .unwrap_err();
        assert_eq!(err.group_errors().unwrap()[0].panic_message(), Some("body panic"));
        assert!(c.load(Ordering::SeqCst), "the body's panic cancelled the child");
    }
}

both! {
    async fn nested_groups_an_inner_failure_fails_the_outer_child() {
        let outer_sibling_cancelled = Arc::new(AtomicBool::new(false));
        let s = outer_sibling_cancelled.clone();
        let err = taskio::task_group(|outer| async move {
            spawn_sleeper(&outer, &s).await?;
            outer.spawn_with(taskio::task().name("inner-runner"), async {
                taskio::task_group(|inner| async move {
                    inner.spawn_with(taskio::task().name("leaf"), fails_after(MS, "deep"))?;
                    taskio::sleep(HOUR).await?;
                    taskio::Ok(())
                })
                .await
            })?;
            taskio::Ok(())
        })
        .await
        .unwrap_err();
        let outer_errors = err.group_errors().unwrap();
        assert_eq!(outer_errors.len(), 1);
        assert_eq!(outer_errors[0].task_name(), Some("inner-runner"));
        let inner_errors = outer_errors[0].group_errors().unwrap();
        assert_eq!(inner_errors.len(), 1);
        assert_eq!(inner_errors[0].to_string(), "task 'leaf' failed: deep");
        assert!(outer_sibling_cancelled.load(Ordering::SeqCst));
    }
}

both! {
    async fn nested_group_in_the_body_fails_the_outer_body() {
        let err = taskio::task_group(|_outer| async move {
            taskio::task_group(|inner| async move {
                inner.spawn(fails_after(MS, "deep"))?;
                taskio::Ok(())
            })
            .await
        })
        .await
        .unwrap_err();
        let outer_errors = err.group_errors().unwrap();
        assert_eq!(outer_errors.len(), 1);
        assert_eq!(outer_errors[0].group_errors().unwrap().len(), 1);
    }
}

both! {
    async fn spawning_into_a_finished_or_failing_group_is_an_error() {
        let mut kept = None;
        taskio::task_group(|tg| {
            kept = Some(tg.clone());
            async { taskio::Ok(()) }
        })
        .await
        .unwrap();
        let err = kept.unwrap().spawn(async {}).unwrap_err();
        assert!(err.is_finished());
        // It converts into taskio::Error with `?`.
        let as_taskio: Error = err.into();
        assert!(as_taskio.to_string().contains("finished"));

        let refused = Arc::new(AtomicBool::new(false));
        let r = refused.clone();
        let outcome = taskio::task_group(|tg| async move {
            let failing = tg.spawn(async { Err::<(), _>(Error::msg("x")) })?;
            let _ = failing.await;
            let e = tg.spawn(async {}).unwrap_err();
            r.store(e.is_shutting_down(), Ordering::SeqCst);
            taskio::Ok(())
        })
        .await;
        assert!(outcome.is_err());
        assert!(refused.load(Ordering::SeqCst));
    }
}

both! {
    async fn children_may_spawn_siblings_and_all_hang_under_the_groups_task() {
        let runner = taskio::task().name("runner").spawn(async {
            let me = taskio::current().unwrap().id();
            let parents = taskio::task_group(|tg| async move {
                let tg2 = tg.clone();
                let outer_child = tg.spawn(async move {
                    let grandchild = tg2.spawn(async {
                        taskio::Ok(taskio::current().unwrap().parent())
                    })?;
                    taskio::Ok((taskio::current().unwrap().parent(), grandchild.await?))
                })?;
                outer_child.await
            })
            .await?;
            assert_eq!(parents, (Some(me), Some(me)));
            taskio::Ok(())
        });
        runner.await.unwrap();
    }
}

both! {
    async fn dropping_the_group_future_aborts_the_children() {
        let name = unique("dropped-group-child");
        let n = name.clone();
        let started = Arc::new(AtomicUsize::new(0));
        let s = started.clone();
        let mut fut = Box::pin(taskio::task_group(|tg| async move {
            for _ in 0..5 {
                let s = s.clone();
                tg.spawn_with(taskio::task().name(n.clone()), async move {
                    s.fetch_add(1, Ordering::SeqCst);
                    taskio::sleep(HOUR).await?;
                    taskio::Ok(())
                })?;
            }
            taskio::sleep(HOUR).await?;
            taskio::Ok(())
        }));
        // Poll the group until its children run, then drop it.
        let _ = tokio::time::timeout(10 * MS, fut.as_mut()).await;
        until(|| started.load(Ordering::SeqCst) == 5).await;
        let mine = || taskio::all_tasks().iter().filter(|t| t.name == name).count();
        assert_eq!(mine(), 5);
        drop(fut);
        tokio::task::yield_now().await;
        until(|| mine() == 0).await;
    }
}

both! {
    async fn an_eager_child_that_fails_at_once_fails_the_group() {
        let err = taskio::task_group(|tg| async move {
            let t = tg.spawn_with(taskio::task().name("eager").eager(), async {
                Err::<(), _>(Error::msg("at once"))
            })?;
            assert!(t.is_done());
            // The group is failing already.
            assert!(tg.spawn(async {}).unwrap_err().is_shutting_down());
            taskio::Ok(())
        })
        .await
        .unwrap_err();
        assert_eq!(messages(&err), ["task 'eager' failed: at once"]);
    }
}

#[test]
fn a_group_under_run_is_cancelled_with_main_s_leftovers() {
    // `run` returns only once main's group is over: no child outlives it.
    let finished = Arc::new(AtomicUsize::new(0));
    let f = finished.clone();
    let v = taskio::run(async move {
        taskio::task_group(|tg| async move {
            for i in 0..3u64 {
                let f = f.clone();
                tg.spawn(async move {
                    taskio::sleep(Duration::from_millis(i)).await?;
                    f.fetch_add(1, Ordering::SeqCst);
                    taskio::Ok(())
                })?;
            }
            taskio::Ok("ok")
        })
        .await
    });
    assert_eq!(v.unwrap(), "ok");
    assert_eq!(finished.load(Ordering::SeqCst), 3);
}

/// The messages of every `tracing` event in this test binary (the subscriber is global: tests
/// filter by their own task names).
fn reported() -> Arc<std::sync::Mutex<Vec<String>>> {
    use std::sync::{Mutex, OnceLock};
    use tracing_subscriber::layer::{Context, SubscriberExt};
    use tracing_subscriber::{Layer, Registry};

    struct Capture(Arc<Mutex<Vec<String>>>);
    struct Text<'a>(&'a mut String);
    impl tracing::field::Visit for Text<'_> {
        fn record_debug(&mut self, _: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            self.0.push_str(&format!("{value:?} "));
        }
    }
    impl<S: tracing::Subscriber> Layer<S> for Capture {
        fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
            let mut text = String::new();
            event.record(&mut Text(&mut text));
            self.0.lock().unwrap().push(text);
        }
    }
    static SEEN: OnceLock<Arc<Mutex<Vec<String>>>> = OnceLock::new();
    SEEN.get_or_init(|| {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let subscriber = Registry::default().with(Capture(seen.clone()));
        tracing::subscriber::set_global_default(subscriber).unwrap();
        seen
    })
    .clone()
}

#[test]
fn a_failure_the_group_returns_is_not_reported_as_never_retrieved() {
    let seen = reported();
    let outcome = taskio::run(async {
        taskio::task_group(|tg| async move {
            // Both run before either fails (a barrier is not a cancellation point).
            let barrier = Arc::new(tokio::sync::Barrier::new(2));
            let b = barrier.clone();
            // The handle is dropped at once, and again after the failure.
            drop(
                tg.spawn_with(taskio::task().name("returned-not-reported"), async move {
                    b.wait().await;
                    Err::<(), _>(Error::msg("boom"))
                })?,
            );
            let late = tg.spawn_with(taskio::task().name("returned-not-reported"), async move {
                barrier.wait().await;
                Err::<(), _>(Error::msg("bang"))
            })?;
            taskio::sleep(HOUR).await?;
            drop(late);
            taskio::Ok(())
        })
        .await
    });
    assert_eq!(outcome.unwrap_err().group_errors().unwrap().len(), 2);
    let count = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|m| m.contains("returned-not-reported"))
        .count();
    assert_eq!(count, 0);
}

// ---- supervisor mode ----

both! {
    async fn supervisor_failures_cancel_nobody_and_all_come_back() {
        let body_finished = Arc::new(AtomicBool::new(false));
        let b = body_finished.clone();
        let mut slow = None;
        let err = taskio::group()
            .supervisor()
            .run(|tg| {
                let slow = &mut slow;
                async move {
                    tg.spawn_with(taskio::task().name("a"), fails_after(MS, "first"))?;
                    tg.spawn_with(taskio::task().name("b"), fails_after(2 * MS, "second"))?;
                    *slow = Some(tg.spawn(async {
                        taskio::sleep(20 * MS).await?;
                        taskio::Ok("slow done")
                    })?);
                    // The body is not cancelled either.
                    taskio::sleep(10 * MS).await?;
                    // A supervised group still takes children after a failure.
                    tg.spawn(async { taskio::Ok(()) })?;
                    b.store(true, Ordering::SeqCst);
                    taskio::Ok(())
                }
            })
            .await
            .unwrap_err();
        let mut got = messages(&err);
        got.sort();
        assert_eq!(got, ["task 'a' failed: first", "task 'b' failed: second"]);
        assert!(body_finished.load(Ordering::SeqCst));
        assert_eq!(slow.unwrap().try_result().unwrap().unwrap(), "slow done");
    }
}

both! {
    async fn supervisor_returns_the_bodys_value_when_nothing_fails() {
        let v = taskio::group()
            .supervisor()
            .run(|tg| async move {
                let t = tg.spawn(async { taskio::Ok(20) })?;
                taskio::Ok(t.await? + 1)
            })
            .await
            .unwrap();
        assert_eq!(v, 21);
    }
}

both! {
    async fn supervisor_a_failing_body_or_an_outer_cancel_still_cancels_the_children() {
        let c = Arc::new(AtomicBool::new(false));
        let cc = c.clone();
        let err = taskio::group()
            .supervisor()
            .run(|tg| async move {
                spawn_sleeper(&tg, &cc).await?;
                taskio::sleep(MS).await?;
                Err::<(), _>(Error::msg("body failed"))
            })
            .await
            .unwrap_err();
        assert_eq!(messages(&err), ["body failed"]);
        assert!(c.load(Ordering::SeqCst));

        let c = Arc::new(AtomicBool::new(false));
        let cc = c.clone();
        let started = Arc::new(AtomicBool::new(false));
        let st = started.clone();
        let runner = taskio::spawn(async move {
            taskio::group()
                .supervisor()
                .run(|tg| async move {
                    spawn_sleeper(&tg, &cc).await?;
                    st.store(true, Ordering::SeqCst);
                    taskio::sleep(HOUR).await?;
                    taskio::Ok(())
                })
                .await
        });
        until(|| started.load(Ordering::SeqCst)).await;
        runner.cancel();
        assert!(runner.await.unwrap_err().is_cancelled());
        assert!(c.load(Ordering::SeqCst));
    }
}

// ---- concurrency limit ----

/// Counts the children running at once, and the most ever seen.
#[derive(Clone, Default)]
struct Gauge {
    now: Arc<AtomicUsize>,
    max: Arc<AtomicUsize>,
    done: Arc<AtomicUsize>,
}

impl Gauge {
    fn child(&self, d: Duration) -> impl Future<Output = taskio::Result<()>> + use<> {
        let g = self.clone();
        async move {
            let now = g.now.fetch_add(1, Ordering::SeqCst) + 1;
            g.max.fetch_max(now, Ordering::SeqCst);
            let r = taskio::sleep(d).await;
            g.now.fetch_sub(1, Ordering::SeqCst);
            r?;
            g.done.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }
}

both! {
    async fn a_limit_of_two_never_runs_more_than_two() {
        let gauge = Gauge::default();
        let g = gauge.clone();
        taskio::group()
            .limit(2)
            .run(|tg| async move {
                let tasks = (0..10)
                    .map(|i| tg.spawn(g.child(MS * (1 + i % 3))))
                    .collect::<Result<Vec<_>, _>>()?;
                // Spawning past the limit returned every Task at once; those waiting are Pending.
                assert_eq!(tasks.len(), 10);
                let running = tasks.iter().filter(|t| t.state() == TaskState::Running);
                assert!(running.count() <= 2);
                assert_eq!(tasks[9].state(), TaskState::Pending);
                taskio::Ok(())
            })
            .await
            .unwrap();
        assert_eq!(gauge.max.load(Ordering::SeqCst), 2);
        assert_eq!(gauge.done.load(Ordering::SeqCst), 10);
    }
}

both! {
    async fn a_child_cancelled_while_waiting_for_its_turn_never_runs_its_body() {
        let ran = Arc::new(AtomicBool::new(false));
        let r = ran.clone();
        let gauge = Gauge::default();
        let g = gauge.clone();
        taskio::group()
            .limit(1)
            .run(|tg| async move {
                let holder = tg.spawn(g.child(HOUR))?;
                let queued = tg.spawn(async move {
                    r.store(true, Ordering::SeqCst);
                    taskio::Ok(())
                })?;
                taskio::sleep(MS).await?;
                assert_eq!(queued.state(), TaskState::Pending);
                queued.cancel();
                // It ends at once, while the holder still has the only place.
                let outcome = queued.await;
                assert!(outcome.unwrap_err().is_cancelled());
                assert_eq!(holder.state(), TaskState::Running);
                holder.cancel();
                taskio::Ok(())
            })
            .await
            .unwrap();
        assert!(!ran.load(Ordering::SeqCst));
    }
}

both! {
    async fn a_failure_in_a_limited_group_cancels_the_waiting_children_before_they_start() {
        let gauge = Gauge::default();
        let g = gauge.clone();
        let err = taskio::group()
            .limit(1)
            .run(|tg| async move {
                tg.spawn(fails_after(MS, "first fails"))?;
                for _ in 0..5 {
                    tg.spawn(g.child(MS))?;
                }
                taskio::Ok(())
            })
            .await
            .unwrap_err();
        assert_eq!(err.group_errors().unwrap().len(), 1);
        assert_eq!(gauge.max.load(Ordering::SeqCst), 0, "no waiting child started");
    }
}

both! {
    async fn dropping_a_limited_group_aborts_the_waiting_children_too() {
        let name = unique("limited-child");
        let n = name.clone();
        let mut fut = Box::pin(taskio::group().limit(2).run(|tg| async move {
            for _ in 0..6 {
                tg.spawn_with(taskio::task().name(n.clone()), sleep_hour())?;
            }
            sleep_hour().await
        }));
        let _ = tokio::time::timeout(10 * MS, fut.as_mut()).await;
        let mine = || taskio::all_tasks().iter().filter(|t| t.name == name).count();
        assert_eq!(mine(), 6);
        drop(fut);
        until(|| mine() == 0).await;
    }
}

async fn sleep_hour() -> taskio::Result<()> {
    taskio::sleep(HOUR).await?;
    Ok(())
}

both! {
    async fn waiting_children_start_in_spawn_order() {
        let order = Arc::new(std::sync::Mutex::new(Vec::new()));
        let o = order.clone();
        taskio::group()
            .limit(1)
            .run(|tg| async move {
                for i in 0..8 {
                    let o = o.clone();
                    tg.spawn(async move {
                        o.lock().unwrap().push(i);
                        taskio::checkpoint().await?;
                        taskio::Ok(())
                    })?;
                }
                taskio::Ok(())
            })
            .await
            .unwrap();
        assert_eq!(*order.lock().unwrap(), (0..8).collect::<Vec<_>>());
    }
}

both! {
    async fn a_group_that_cancels_its_own_body_leaves_the_tasks_cancel_count_alone() {
        // CPython cancels the parent task and uncancels it at exit; taskio cancels the body's
        // scope, so the task running the group never sees a request of its own.
        let runner = taskio::spawn(async {
            let outcome = taskio::task_group(|tg| async move {
                tg.spawn(fails_after(MS, "boom"))?;
                taskio::sleep(HOUR).await?;
                taskio::Ok(())
            })
            .await;
            assert!(outcome.unwrap_err().group_errors().is_some());
            let me = taskio::current().unwrap();
            assert_eq!(me.cancelling(), 0);
            // The task goes on normally after the group.
            taskio::sleep(MS).await?;
            taskio::Ok("after the group")
        });
        assert_eq!(runner.await.unwrap(), "after the group");
    }
}

both! {
    async fn a_spawn_refused_by_the_shutdown_is_not_one_more_failure() {
        let spawning = Arc::new(AtomicBool::new(false));
        let err = taskio::task_group(|tg| async move {
            let (tg2, sp) = (tg.clone(), spawning.clone());
            // A child that keeps spawning (no cancellation point) until the group refuses.
            tg.spawn(async move {
                loop {
                    tg2.spawn(async { taskio::Ok(()) })?;
                    sp.store(true, Ordering::SeqCst);
                    tokio::task::yield_now().await;
                }
                #[allow(unreachable_code)]
                taskio::Ok(())
            })?;
            let sp = spawning.clone();
            tg.spawn_with(taskio::task().name("failing"), async move {
                until(|| sp.load(Ordering::SeqCst)).await;
                Err::<(), _>(Error::msg("the only failure"))
            })?;
            // The body does the same.
            loop {
                tg.spawn(async { taskio::Ok(()) })?;
                tokio::task::yield_now().await;
            }
            #[allow(unreachable_code)]
            taskio::Ok(())
        })
        .await
        .unwrap_err();
        assert_eq!(messages(&err), ["task 'failing' failed: the only failure"]);
    }
}

both! {
    async fn spawning_from_a_thread_without_a_runtime_is_an_error_not_a_panic() {
        taskio::task_group(|tg| async move {
            let err = std::thread::spawn(move || tg.spawn(async {}).unwrap_err())
                .join()
                .unwrap();
            assert!(!err.is_finished() && !err.is_shutting_down());
            assert!(err.to_string().contains("no tokio runtime"), "{err}");
            taskio::Ok(())
        })
        .await
        .unwrap();
    }
}

// A spawn holds the group's lock from its admission to its child's registration: a spawn
// refused for want of a runtime must release it before it drops the future, whose `Drop` is the
// caller's code and may use the group (here: spawn into it, refused the same way, not deadlocked).
both! {
    async fn a_future_dropped_by_a_spawn_without_a_runtime_may_use_the_group() {
        struct SpawnsOnDrop(taskio::TaskGroup, Arc<AtomicBool>);
        impl Drop for SpawnsOnDrop {
            fn drop(&mut self) {
                let err = self.0.spawn(async {}).unwrap_err();
                assert!(err.to_string().contains("no tokio runtime"), "{err}");
                assert_eq!(self.0.len(), 0);
                self.1.store(true, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicBool::new(false));
        let d = dropped.clone();
        taskio::task_group(|tg| async move {
            let inner = tg.clone();
            let err = std::thread::spawn(move || {
                let fut = SpawnsOnDrop(inner.clone(), d);
                inner
                    .spawn(async move {
                        let _fut = fut;
                    })
                    .unwrap_err()
            })
            .join()
            .unwrap();
            assert!(err.to_string().contains("no tokio runtime"), "{err}");
            taskio::Ok(())
        })
        .await
        .unwrap();
        assert!(dropped.load(Ordering::SeqCst), "the refused future was dropped");
    }
}

// Issue 13, item 1 (CPython test_eager_task_factory: an eager child that fails at once): the
// failure is recorded during `spawn`, before the group's future stored its waker; the group
// must still see it when its body first returns `Pending`.
both! {
    async fn an_eager_child_failing_during_spawn_cancels_the_body_at_once() {
        let start = tokio::time::Instant::now();
        let body_saw = Arc::new(std::sync::Mutex::new(None));
        let b = body_saw.clone();
        let err = support::bounded(taskio::task_group(|tg| async move {
            let failed = tg.spawn_with(taskio::task().name("eager").eager(), async {
                Err::<(), _>(Error::msg("E"))
            })?;
            assert!(failed.is_done(), "an eager child that fails at once is done after spawn");
            let r = taskio::sleep(100 * UNIT).await;
            *b.lock().unwrap() = Some((r.is_err(), start.elapsed()));
            r?;
            taskio::Ok(())
        }))
        .await
        .unwrap_err();
        support::assert_ended_at(PAUSED, start, Duration::ZERO);
        assert_eq!(messages(&err), ["task 'eager' failed: E"]);
        let (cancelled, at) = body_saw.lock().unwrap().take().unwrap();
        assert!(cancelled, "the body's sleep returned Cancelled");
        if PAUSED {
            assert_eq!(at, Duration::ZERO);
        }
    }
}

// Issue 13, item 2 (CPython test_taskgroups: nested groups, a failure in each): the inner
// group takes the outer group's request on its way out (it is a cancellation point), but the
// request is not the inner group's to keep: the outer body still sees it afterwards.
both! {
    async fn a_request_taken_by_an_inner_group_is_put_back_for_the_outer_body() {
        let start = tokio::time::Instant::now();
        let after = Arc::new(std::sync::Mutex::new(None));
        let a = after.clone();
        let err = support::bounded(taskio::task_group(|go| async move {
            let inner = taskio::task_group(|gi| {
                let go = go.clone();
                async move {
                    gi.spawn_with(taskio::task().name("inner"), async {
                        Err::<(), _>(Error::msg("E1"))
                    })?;
                    go.spawn_with(taskio::task().name("outer"), async {
                        Err::<(), _>(Error::msg("E2"))
                    })?;
                    taskio::sleep(100 * UNIT).await?;
                    taskio::Ok(())
                }
            })
            .await;
            // The outer body handles the inner group's error...
            assert_eq!(messages(&inner.unwrap_err()), ["task 'inner' failed: E1"]);
            // ...and its own group's request is still pending.
            let r = taskio::sleep(UNIT).await;
            *a.lock().unwrap() = Some((r.is_err(), start.elapsed()));
            r?;
            taskio::Ok(())
        }))
        .await
        .unwrap_err();
        support::assert_ended_at(PAUSED, start, Duration::ZERO);
        assert_eq!(messages(&err), ["task 'outer' failed: E2"]);
        let (cancelled, at) = after.lock().unwrap().take().unwrap();
        assert!(cancelled, "the outer body's sleep returned Cancelled");
        if PAUSED {
            assert_eq!(at, Duration::ZERO);
        }
    }
}

// Issue 13, item 3 (CPython test_taskgroups: a cancel of the parent task): the cancel goes to
// the body first; the children run on while the body handles it, and are cancelled when the
// body ends. A child that fails meanwhile interrupts the body's handling as a new request.
both! {
    async fn a_parent_cancel_goes_to_the_body_first_and_a_child_failure_interrupts_its_cleanup() {
        let start = tokio::time::Instant::now();
        let cleanup = Arc::new(std::sync::Mutex::new(None));
        let c = cleanup.clone();
        let runner = taskio::spawn(async move {
            taskio::task_group(|tg| async move {
                tg.spawn_with(taskio::task().name("worker"), async move {
                    // Not cancelled at t = 0.1: it fails at t = 0.3.
                    taskio::sleep(support::units(UNIT, 0.3)).await?;
                    Err::<(), _>(Error::msg("E"))
                })?;
                let cancelled = taskio::sleep(100 * UNIT).await.unwrap_err();
                let at = start.elapsed();
                // Cleanup, 0.5 s: interrupted by the worker's failure.
                let r = taskio::sleep(support::units(UNIT, 0.5)).await;
                *c.lock().unwrap() = Some((at, r.is_err(), start.elapsed()));
                r?;
                Err::<(), Error>(cancelled.into())
            })
            .await
        });
        taskio::sleep(support::units(UNIT, 0.1)).await.unwrap();
        assert!(runner.cancel());
        let err = support::bounded(runner).await.unwrap_err();
        support::assert_ended_at(PAUSED, start, support::units(UNIT, 0.3));
        assert_eq!(messages(&err), ["task 'worker' failed: E"]);
        let (cancelled_at, interrupted, ended_at) = cleanup.lock().unwrap().take().unwrap();
        assert!(interrupted, "the child's failure interrupted the body's cleanup");
        if PAUSED {
            assert_eq!(cancelled_at, support::units(UNIT, 0.1));
            assert_eq!(ended_at, support::units(UNIT, 0.3));
        }
    }
}

both! {
    async fn a_parent_cancel_lets_the_body_wait_for_its_workers_before_they_are_cancelled() {
        let start = tokio::time::Instant::now();
        let runner = taskio::spawn(async move {
            taskio::task_group(|tg| async move {
                let worker = tg.spawn(async move {
                    taskio::sleep(support::units(UNIT, 0.5)).await?;
                    taskio::Ok("drained")
                })?;
                let cancelled = taskio::sleep(100 * UNIT).await.unwrap_err();
                // Handling the cancel: let the worker finish what it holds.
                let drained = worker.await?;
                assert_eq!(drained, "drained");
                Err::<(), Error>(cancelled.into())
            })
            .await
        });
        taskio::sleep(support::units(UNIT, 0.1)).await.unwrap();
        assert!(runner.cancel());
        let err = support::bounded(runner).await.unwrap_err();
        assert!(err.is_cancelled(), "{err}");
        support::assert_ended_at(PAUSED, start, support::units(UNIT, 0.5));
    }
}

both! {
    async fn a_body_that_suppresses_a_parent_cancel_lets_the_group_finish_normally() {
        let start = tokio::time::Instant::now();
        let runner = taskio::spawn(async move {
            taskio::task_group(|tg| async move {
                let worker = tg.spawn(async move {
                    taskio::sleep(support::units(UNIT, 0.5)).await?;
                    taskio::Ok(2)
                })?;
                // The cancel at t = 0.1 is taken here and suppressed.
                assert!(taskio::sleep(100 * UNIT).await.is_err());
                taskio::Ok(5 + worker.await?)
            })
            .await
        });
        taskio::sleep(support::units(UNIT, 0.1)).await.unwrap();
        assert!(runner.cancel());
        assert_eq!(support::bounded(runner).await.unwrap(), 7);
        support::assert_ended_at(PAUSED, start, support::units(UNIT, 0.5));
    }
}
