//! `!Send` tasks on the current-thread runtime: `Runner::run_local`, `spawn_local`, and the same
//! task model as `Send` tasks (names, cancellation, groups, `tree()`), with `Rc` and `RefCell`
//! held across awaits.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use taskio::TaskState;

const HOUR: Duration = Duration::from_secs(3600);
const MS: Duration = Duration::from_millis(1);

/// Runs `test` on a thread of its own and fails if it takes over 30 s (a hang fails the test).
fn within_limit(test: impl FnOnce() + Send + 'static) {
    let (tx, rx) = std::sync::mpsc::channel();
    let runner = std::thread::spawn(move || {
        test();
        tx.send(()).ok();
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(()) => runner.join().unwrap(),
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            std::panic::resume_unwind(runner.join().unwrap_err())
        }
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => panic!("the test hung"),
    }
}

#[test]
fn rc_and_refcell_live_inside_named_local_tasks_shown_in_the_tree() {
    within_limit(|| {
        let out = taskio::Runner::new().run_local(async {
            let log = Rc::new(RefCell::new(Vec::<String>::new()));
            let mut tasks = Vec::new();
            for i in 0..3u64 {
                let log = log.clone();
                tasks.push(
                    taskio::task()
                        .name(format!("local-{i}"))
                        .spawn_local(async move {
                            log.borrow_mut().push(format!("start {i}")); // the Rc is held across the await
                            taskio::sleep(MS * (3 - i as u32)).await?;
                            log.borrow_mut().push(format!("end {i}"));
                            taskio::Ok(i)
                        }),
                );
            }
            taskio::checkpoint().await?;
            let tree = taskio::tree().to_string();
            for i in 0..3 {
                assert!(tree.contains(&format!("── local-{i} (id ")), "{tree}");
            }
            let me = taskio::current().unwrap().id();
            assert!(tasks.iter().all(|t| t.info().parent == Some(me)));
            let values = taskio::gather(tasks).await?;
            assert_eq!(values, [0, 1, 2]);
            let log = log.borrow();
            assert_eq!(&log[3..], ["end 2", "end 1", "end 0"]);
            taskio::Ok(log.len())
        });
        assert_eq!(out.unwrap(), 6);
    });
}

#[test]
fn a_local_task_is_cancelled_cooperatively_and_awaits_its_cleanup() {
    within_limit(|| {
        taskio::Runner::new()
            .run_local(async {
                let cleaned = Rc::new(Cell::new(false));
                let c = cleaned.clone();
                let task = taskio::spawn_local(async move {
                    if let Err(cancel) = taskio::sleep(HOUR).await {
                        taskio::sleep(MS).await?; // async cleanup, with the Rc still held
                        c.set(true);
                        return Err(cancel.into());
                    }
                    taskio::Ok(())
                });
                taskio::checkpoint().await?;
                assert_eq!(task.state(), TaskState::Running);
                // cancelled from another OS thread through its Send + Sync handle
                let handle = task.handle();
                std::thread::spawn(move || handle.cancel_with("from a thread"))
                    .join()
                    .unwrap();
                let err = taskio::timeout(Duration::from_secs(10), task)
                    .await
                    .unwrap_err();
                assert_eq!(err.as_cancelled().unwrap().message(), Some("from a thread"));
                assert!(cleaned.get());
                taskio::Ok(())
            })
            .unwrap();
    });
}

#[test]
fn local_children_follow_the_group_rules() {
    within_limit(|| {
        taskio::Runner::new()
            .run_local(async {
                let cancelled = Rc::new(Cell::new(0));
                let c = cancelled.clone();
                let out = taskio::task_group(|tg| async move {
                    for i in 0..3 {
                        let c = c.clone();
                        tg.spawn_local_with(
                            taskio::task().name(format!("sibling-{i}")),
                            async move {
                                let r = taskio::sleep(HOUR).await;
                                if r.is_err() {
                                    c.set(c.get() + 1);
                                }
                                r
                            },
                        )?;
                    }
                    let rc = Rc::new("bad input");
                    tg.spawn_local(async move {
                        taskio::sleep(MS).await?;
                        Err::<(), _>(taskio::Error::msg(*rc))
                    })?;
                    taskio::Ok(())
                })
                .await;
                let err = out.unwrap_err();
                assert_eq!(err.group_errors().unwrap().len(), 1);
                assert_eq!(
                    cancelled.get(),
                    3,
                    "the failure cancelled every local sibling"
                );

                // a supervisor group of local children: failures cancel nobody
                let done = Rc::new(Cell::new(0));
                let d = done.clone();
                let out = taskio::group()
                    .supervisor()
                    .run(|tg| async move {
                        tg.spawn_local(async { Err::<(), _>(taskio::Error::msg("one fails")) })?;
                        let d = d.clone();
                        tg.spawn_local(async move {
                            taskio::sleep(MS * 5).await?;
                            d.set(d.get() + 1);
                            taskio::Ok(())
                        })?;
                        taskio::Ok(())
                    })
                    .await;
                assert_eq!(out.unwrap_err().group_errors().unwrap().len(), 1);
                assert_eq!(done.get(), 1);
                taskio::Ok(())
            })
            .unwrap();
    });
}

#[test]
fn run_local_cancels_leftover_local_tasks_and_awaits_their_cleanup() {
    within_limit(|| {
        let cleaned = Rc::new(Cell::new(false));
        let c = cleaned.clone();
        let out = taskio::Runner::new().run_local(async move {
            drop(taskio::task().name("leftover").spawn_local(async move {
                if let Err(cancel) = taskio::sleep(HOUR).await {
                    taskio::sleep(MS).await.ok();
                    c.set(true);
                    return Err(cancel);
                }
                Ok(())
            }));
            taskio::Ok("main done")
        });
        assert_eq!(out.unwrap(), "main done");
        assert!(cleaned.get(), "run_local waited for the leftover's cleanup");
    });
}

#[test]
fn run_local_on_the_multi_thread_runtime_keeps_local_tasks_here_and_send_tasks_on_workers() {
    within_limit(|| {
        let here = std::thread::current().id();
        let out = taskio::Runner::new()
            .worker_threads(2)
            .run_local(async move {
                let rc = Rc::new(here);
                let local = taskio::spawn_local(async move {
                    taskio::sleep(MS).await?;
                    taskio::Ok(std::thread::current().id() == *rc)
                });
                let sent = taskio::spawn(async { taskio::Ok(std::thread::current().id()) });
                taskio::Ok((local.await?, sent.await?))
            });
        let (local_here, sent_on) = out.unwrap();
        assert!(local_here, "a local task runs on the thread of run_local");
        assert_ne!(sent_on, here, "a spawned task runs on a worker");
    });
}

#[test]
fn an_eager_local_task_runs_before_spawn_returns() {
    within_limit(|| {
        taskio::Runner::new()
            .run_local(async {
                let ran = Rc::new(Cell::new(false));
                let r = ran.clone();
                let t = taskio::task().eager().spawn_local(async move {
                    r.set(true);
                    taskio::Ok(1)
                });
                assert!(ran.get() && t.is_done());
                assert_eq!(t.await?, 1);
                taskio::Ok(())
            })
            .unwrap();
    });
}

/// Any `LocalSet` works, also in a tokio test on the paused clock (time is exact).
#[tokio::test(start_paused = true)]
async fn spawn_local_works_in_a_users_local_set_on_the_paused_clock() {
    let local = tokio::task::LocalSet::new();
    local
        .run_until(async {
            let start = tokio::time::Instant::now();
            let counter = Rc::new(Cell::new(0));
            let mut set = taskio::JoinSet::new();
            for i in 1..=3u32 {
                let c = counter.clone();
                set.spawn_local(async move {
                    taskio::sleep(Duration::from_secs(i.into())).await?;
                    c.set(c.get() + i);
                    taskio::Ok(i)
                });
            }
            let mut order = Vec::new();
            while let Some(v) = set.join_next().await {
                order.push(v.unwrap());
            }
            assert_eq!(order, [1, 2, 3]);
            assert_eq!(counter.get(), 6);
            assert_eq!(start.elapsed(), Duration::from_secs(3));
        })
        .await;
}

#[test]
fn spawn_local_outside_a_runtime_says_how_to_fix_it() {
    let err = std::panic::catch_unwind(|| drop(taskio::spawn_local(async {}))).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("no tokio runtime"), "{msg}");
}
