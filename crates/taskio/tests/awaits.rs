//! Who awaits whom (issue 18): while a task awaits another (directly, through gather, wait,
//! as_completed, shield, a JoinSet, or its task group's join), `all_tasks()` and `tree()` show
//! the edge; it goes when the wait ends; a cycle of awaits (a deadlock) is found and shown.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use taskio::{Task, TaskHandle, TaskId, TaskInfo};

use support::{both, bounded, until};

/// The live task named `name`, as `all_tasks()` sees it now.
fn find(name: &str) -> Option<TaskInfo> {
    taskio::all_tasks().into_iter().find(|t| t.name == name)
}

/// What the task named `name` awaits now (empty if it is not live).
fn awaiting(name: &str) -> Vec<TaskId> {
    find(name).map(|t| t.awaiting).unwrap_or_default()
}

/// `n` tasks that sleep for an hour, named `<prefix>-<i>`, and their ids in order.
fn sleepers(prefix: &str, n: usize) -> (Vec<Task<()>>, Vec<TaskId>) {
    let tasks: Vec<Task<()>> = (0..n)
        .map(|i| {
            taskio::task()
                .name(format!("{prefix}-{i}"))
                .spawn(taskio::sleep(Duration::from_secs(3600)))
        })
        .collect();
    let mut ids: Vec<TaskId> = tasks.iter().map(Task::id).collect();
    ids.sort();
    (tasks, ids)
}

fn handles(tasks: &[Task<()>]) -> Vec<TaskHandle> {
    tasks.iter().map(Task::handle).collect()
}

/// Waits until the task named `name` awaits exactly `ids`, and checks `tree()` shows it.
async fn shows(name: &str, ids: &[TaskId]) {
    bounded(until(|| awaiting(name) == ids)).await;
    let text = taskio::tree().to_string();
    let line = text
        .lines()
        .find(|l| l.contains(&format!("{name} (id ")))
        .unwrap_or_else(|| panic!("{name} not in\n{text}"));
    let shown: Vec<String> = ids.iter().map(ToString::to_string).collect();
    assert!(
        line.ends_with(&format!(" awaits {}", shown.join(", "))),
        "{line}"
    );
}

/// Stops the tasks of a test (they sleep for an hour otherwise).
async fn stop(all: impl IntoIterator<Item = TaskHandle>) {
    let all: Vec<TaskHandle> = all.into_iter().collect();
    for h in &all {
        h.abort();
    }
    bounded(until(|| all.iter().all(TaskHandle::is_done))).await;
}

both! {
    async fn a_direct_await_is_an_edge_and_goes_when_the_awaited_task_completes() {
        // The awaited task ends when the test says so (after it has seen the edge).
        let finish = Arc::new(tokio::sync::Notify::new());
        let f = finish.clone();
        let short = taskio::task().name(format!("d-short-{PAUSED}")).spawn(async move {
            use taskio::CancellableExt as _;
            f.notified().cancellable().await?;
            taskio::Ok(())
        });
        let short_id = short.id();
        let waiter = taskio::task().name(format!("d-waiter-{PAUSED}")).spawn(async move {
            short.await?;
            // Still running, awaiting nothing now.
            taskio::sleep(Duration::from_secs(3600)).await?;
            taskio::Ok(())
        });
        shows(&format!("d-waiter-{PAUSED}"), &[short_id]).await;
        // The awaited task completes: the edge is gone while the awaiter lives on.
        finish.notify_one();
        // (a sleep lets the paused clock move; on the real one the machine may be slow)
        bounded(async {
            while find(&format!("d-short-{PAUSED}")).is_some() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        bounded(until(|| find(&format!("d-waiter-{PAUSED}")).is_some_and(|t| t.awaiting.is_empty()))).await;
        assert!(!waiter.is_done());
        stop([waiter.handle()]).await;
    }
}

both! {
    async fn a_gather_of_three_awaits_all_three() {
        let (tasks, ids) = sleepers(&format!("g-{PAUSED}"), 3);
        let hs = handles(&tasks);
        let waiter = taskio::task()
            .name(format!("g-waiter-{PAUSED}"))
            .spawn(async move { taskio::gather(tasks).await });
        shows(&format!("g-waiter-{PAUSED}"), &ids).await;
        stop(hs.into_iter().chain([waiter.handle()])).await;
    }
}

both! {
    async fn wait_and_as_completed_await_their_tasks() {
        let (tasks, ids) = sleepers(&format!("w-{PAUSED}"), 2);
        let (more, more_ids) = sleepers(&format!("ac-{PAUSED}"), 2);
        let hs = handles(&tasks).into_iter().chain(handles(&more)).collect::<Vec<_>>();
        let waiter = taskio::task()
            .name(format!("w-waiter-{PAUSED}"))
            .spawn(async move { taskio::wait(tasks).await.map(|_| ()) });
        let completer = taskio::task().name(format!("ac-waiter-{PAUSED}")).spawn(async move {
            let mut stream = taskio::as_completed(more);
            while let Some(next) = futures_util::StreamExt::next(&mut stream).await {
                drop(next);
            }
            taskio::Ok(())
        });
        shows(&format!("w-waiter-{PAUSED}"), &ids).await;
        shows(&format!("ac-waiter-{PAUSED}"), &more_ids).await;
        stop(hs.into_iter().chain([waiter.handle(), completer.handle()])).await;
    }
}

both! {
    async fn shield_and_a_join_set_await_their_tasks() {
        let (mut tasks, ids) = sleepers(&format!("s-{PAUSED}"), 1);
        let inner = tasks.pop().unwrap();
        let inner_h = inner.handle();
        let shielded = taskio::task()
            .name(format!("s-waiter-{PAUSED}"))
            .spawn(async move { taskio::shield(inner).await });
        let (joined, joined_ids) = sleepers(&format!("js-{PAUSED}"), 2);
        let jh = handles(&joined);
        let joiner = taskio::task().name(format!("js-waiter-{PAUSED}")).spawn(async move {
            let mut set = taskio::JoinSet::new();
            for t in joined {
                set.push(t);
            }
            while let Some(r) = set.join_next().await {
                r?;
            }
            taskio::Ok(())
        });
        shows(&format!("s-waiter-{PAUSED}"), &ids).await;
        shows(&format!("js-waiter-{PAUSED}"), &joined_ids).await;
        stop(jh.into_iter().chain([inner_h, shielded.handle(), joiner.handle()])).await;
    }
}

both! {
    /// The task that runs a group awaits its children once its body is done (its join), not
    /// before: while the body runs, the body's own awaits are the edges.
    async fn a_groups_join_awaits_its_children() {
        let ids: Arc<Mutex<Vec<TaskId>>> = Arc::default();
        let body_may_end = Arc::new(tokio::sync::Notify::new());
        let (i, go) = (ids.clone(), body_may_end.clone());
        let owner = taskio::task().name(format!("tg-owner-{PAUSED}")).spawn(async move {
            taskio::task_group(|tg| async move {
                for n in 0..2 {
                    let t = tg.spawn_with(
                        taskio::task().name(format!("tg-child-{n}-{PAUSED}")),
                        taskio::sleep(Duration::from_secs(3600)),
                    )?;
                    i.lock().unwrap().push(t.id());
                }
                use taskio::CancellableExt as _;
                go.notified().cancellable().await?;
                taskio::Ok(())
            })
            .await
        });
        bounded(until(|| ids.lock().unwrap().len() == 2)).await;
        tokio::task::yield_now().await;
        assert!(awaiting(&format!("tg-owner-{PAUSED}")).is_empty(), "the body runs: no join yet");
        body_may_end.notify_one();
        let mut want = ids.lock().unwrap().clone();
        want.sort();
        shows(&format!("tg-owner-{PAUSED}"), &want).await;
        owner.cancel();
        assert!(bounded(owner).await.unwrap_err().is_cancelled());
    }
}

both! {
    /// The future that awaited the task is dropped (a select that took the other branch): the
    /// handle goes with it, and so does the edge, while the awaited task runs on.
    async fn the_edge_goes_when_the_awaiting_future_is_dropped() {
        let (mut tasks, ids) = sleepers(&format!("drop-{PAUSED}"), 1);
        let target = tasks.pop().unwrap();
        let target_h = target.handle();
        let release = Arc::new(tokio::sync::Notify::new());
        let r = release.clone();
        let waiter = taskio::task().name(format!("drop-waiter-{PAUSED}")).spawn(async move {
            tokio::select! {
                _ = target => {}
                _ = r.notified() => {}
            }
            taskio::sleep(Duration::from_secs(3600)).await
        });
        shows(&format!("drop-waiter-{PAUSED}"), &ids).await;
        release.notify_one();
        bounded(until(|| find(&format!("drop-waiter-{PAUSED}")).is_some_and(|t| t.awaiting.is_empty()))).await;
        assert!(!target_h.is_done(), "the awaited task runs on, detached");
        stop([target_h, waiter.handle()]).await;
    }
}

both! {
    /// Two tasks that await each other's handles: a deadlock, found by `await_cycles()` and
    /// shown by `Display`.
    async fn a_two_task_await_cycle_is_found_and_shown() {
        let slot: Arc<Mutex<Option<Task<()>>>> = Arc::default();
        let b_slot = slot.clone();
        let a = taskio::task().name(format!("cycle-a-{PAUSED}")).spawn(async move {
            let b = loop {
                if let Some(b) = b_slot.lock().unwrap().take() {
                    break b;
                }
                tokio::task::yield_now().await;
            };
            b.await
        });
        let a_h = a.handle();
        let b = taskio::task().name(format!("cycle-b-{PAUSED}")).spawn(a); // its body is the await of a
        let b_h = b.handle();
        *slot.lock().unwrap() = Some(b);
        bounded(until(|| !awaiting(&format!("cycle-a-{PAUSED}")).is_empty() && !awaiting(&format!("cycle-b-{PAUSED}")).is_empty())).await;
        let tree = taskio::tree();
        let (lo, hi) = (a_h.id().min(b_h.id()), a_h.id().max(b_h.id()));
        assert!(tree.await_cycles().contains(&vec![lo, hi]), "{tree}");
        let text = tree.to_string();
        let name = |id| if id == a_h.id() { format!("cycle-a-{PAUSED}") } else { format!("cycle-b-{PAUSED}") };
        let line = format!(
            "await cycle (deadlock): {} (id {lo}) → {} (id {hi}) → {} (id {lo})",
            name(lo),
            name(hi),
            name(lo)
        );
        assert!(text.lines().any(|l| l == line), "{text}");
        stop([a_h, b_h]).await;
    }
}

/// The time of the best of three snapshots of the tree with `n` tasks, all awaited by one
/// gather, and the number of edges it shows.
fn snapshot_time(n: usize) -> (Duration, usize) {
    taskio::run(async move {
        let tasks: Vec<Task<()>> = (0..n)
            .map(|_| taskio::spawn(taskio::sleep(Duration::from_secs(3600))))
            .collect();
        let hs = handles(&tasks);
        let gatherer = taskio::task()
            .name(format!("big-gather-{n}"))
            .spawn(async move { taskio::gather(tasks).await });
        let gatherer_id = gatherer.id();
        taskio::sleep(Duration::from_millis(1)).await?;
        let mut best = Duration::MAX;
        let mut edges = 0;
        for _ in 0..3 {
            let start = Instant::now();
            let tree = taskio::tree();
            best = best.min(start.elapsed());
            edges = tree
                .tasks()
                .iter()
                .find(|t| t.id == gatherer_id)
                .map_or(0, |t| t.awaiting.len());
            // (other tests' tasks are in the snapshot too: only this gather's edges count)
            assert!(
                tree.await_cycles()
                    .iter()
                    .all(|c| !c.contains(&gatherer_id))
            );
        }
        gatherer.cancel();
        let _ = gatherer.await;
        drop(hs);
        taskio::Ok((best, edges))
    })
    .unwrap()
}

/// 100k tasks awaited by one gather: the snapshot has every edge, and takes time linear in
/// the tasks (five times the tasks, not 25 times the time).
#[test]
fn a_snapshot_of_100k_awaited_tasks_is_linear() {
    let (small, small_edges) = snapshot_time(20_000);
    let (large, large_edges) = snapshot_time(100_000);
    assert_eq!(small_edges, 20_000);
    assert_eq!(large_edges, 100_000);
    let ratio = large.as_secs_f64() / small.as_secs_f64();
    eprintln!("tree() with one gather awaiting 20k tasks: {small:?}; 100k: {large:?}");
    assert!(
        ratio < 12.0,
        "20k: {small:?}, 100k: {large:?} (ratio {ratio:.1})"
    );
}
