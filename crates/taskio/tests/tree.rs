//! `taskio::tree()`: the live task tree, checked for a three-level program on both runtimes.

mod support;
use support::{both, until};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

/// Replaces what varies from run to run: ids, line:column of spawn sites, ages.
fn normalise(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let mut line = line.to_owned();
        for (key, stop) in [("id ", ','), ("age ", ')')] {
            if let Some(start) = line
                .find(&format!("({key}"))
                .map(|i| i + 1)
                .or_else(|| line.find(&format!(", {key}")).map(|i| i + 2))
            {
                let from = start + key.len();
                let to = from + line[from..].find(stop).unwrap();
                line.replace_range(from..to, "_");
            }
        }
        if let Some(at) = line.find("tree.rs:") {
            let from = at + "tree.rs:".len();
            let to = from + line[from..].find(',').unwrap();
            line.replace_range(from..to, "L:C");
        }
        out.push_str(&line);
        out.push('\n');
    }
    out
}

async fn sleep_forever() -> taskio::Result<()> {
    taskio::sleep(HOUR).await?;
    Ok(())
}

both! {
    async fn tree_draws_a_three_level_program() {
        let started = Arc::new(AtomicUsize::new(0));
        let s = started.clone();
        let app = taskio::task().name("app").spawn(async move {
            taskio::task_group(|tg| async move {
                let (s1, s2) = (s.clone(), s.clone());
                tg.spawn_with(taskio::task().name("worker-1"), async move {
                    taskio::task_group(|inner| async move {
                        let s3 = s1.clone();
                        inner.spawn_with(taskio::task().name("leaf"), async move {
                            s3.fetch_add(1, Ordering::SeqCst);
                            sleep_forever().await
                        })?;
                        s1.fetch_add(1, Ordering::SeqCst);
                        sleep_forever().await
                    })
                    .await
                })?;
                tg.spawn_with(taskio::task().name("worker-2"), async move {
                    s2.fetch_add(1, Ordering::SeqCst);
                    sleep_forever().await
                })?;
                sleep_forever().await
            })
            .await
        });
        until(|| started.load(Ordering::SeqCst) == 3).await;
        let mine = taskio::tree().subtree(app.id());
        let ids: Vec<_> = mine.tasks().iter().map(|t| t.id).collect();
        assert_eq!(ids.len(), 4);
        let text = mine.to_string();
        let file = "crates/taskio/tests/tree.rs";
        let expected = format!(
            "app (id _, running, spawned at {file}:L:C, age _)\n\
             ├── worker-1 (id _, running, spawned at {file}:L:C, age _)\n\
             │   └── leaf (id _, running, spawned at {file}:L:C, age _)\n\
             └── worker-2 (id _, running, spawned at {file}:L:C, age _)\n"
        );
        assert_eq!(normalise(&text), expected, "the tree was:\n{text}");
        let app_id = app.id();
        app.cancel();
        assert!(app.await.unwrap_err().is_cancelled());
        // Once the group is over, none of its tasks is left in the tree.
        assert!(taskio::tree().subtree(app_id).tasks().is_empty());
        assert!(!taskio::tree().tasks().iter().any(|t| ids.contains(&t.id)));
    }
}

both! {
    async fn children_waiting_for_a_limited_groups_place_show_as_pending() {
        let started = Arc::new(AtomicUsize::new(0));
        let s = started.clone();
        let app = taskio::task().name("limited-app").spawn(async move {
            taskio::group()
                .limit(1)
                .run(|tg| async move {
                    for name in ["first", "second"] {
                        let s = s.clone();
                        tg.spawn_with(taskio::task().name(name), async move {
                            s.fetch_add(1, Ordering::SeqCst);
                            sleep_forever().await
                        })?;
                    }
                    sleep_forever().await
                })
                .await
        });
        until(|| started.load(Ordering::SeqCst) == 1).await;
        let text = taskio::tree().subtree(app.id()).to_string();
        let file = "crates/taskio/tests/tree.rs";
        let expected = format!(
            "limited-app (id _, running, spawned at {file}:L:C, age _)\n\
             ├── first (id _, running, spawned at {file}:L:C, age _)\n\
             └── second (id _, pending, spawned at {file}:L:C, age _)\n"
        );
        assert_eq!(normalise(&text), expected, "the tree was:\n{text}");
        app.cancel();
        assert!(app.await.unwrap_err().is_cancelled());
        assert_eq!(started.load(Ordering::SeqCst), 1, "the waiting child never started");
    }
}

/// While 100k tasks spawn and finish on 2 workers, `all_tasks()` listed finished ones (22–274
/// per snapshot): the registry's filter and the state it then reported were two reads. A
/// snapshot holds only tasks it saw not done. (A race between threads: the multi-thread
/// runtime only; on the current-thread one no task ends while the snapshot is taken.)
#[test]
fn all_tasks_never_lists_a_done_task_while_tasks_finish_on_other_workers() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = done.clone();
        let spawner = tokio::spawn(async move {
            for i in 0..100_000u32 {
                drop(taskio::spawn(async {}));
                if i % 256 == 0 {
                    tokio::task::yield_now().await;
                }
            }
            flag.store(true, Ordering::SeqCst);
        });
        let mut snapshots = 0;
        while !done.load(Ordering::SeqCst) {
            let listed = taskio::all_tasks();
            let finished: Vec<_> = listed.iter().filter(|t| t.state.is_done()).collect();
            assert!(finished.is_empty(), "{} done tasks listed", finished.len());
            snapshots += 1;
            tokio::task::yield_now().await;
        }
        spawner.await.unwrap();
        assert!(snapshots > 0);
    });
}

/// `TaskInfo::age` as documented: the spawns of one poll share one reading of the clock; a
/// later poll reads it again; outside a task every spawn reads it. (`age` is wall-clock time,
/// which tokio's paused clock does not move, so the gaps here are real: a blocking sleep of
/// 20 ms that only bounds ages from below, never a race.)
#[test]
fn spawns_in_one_poll_share_a_spawn_time_and_a_later_poll_reads_the_clock_again() {
    const GAP: Duration = Duration::from_millis(20);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let outer = taskio::spawn(async {
            let first = taskio::spawn(sleep_forever());
            std::thread::sleep(GAP);
            let same_poll = taskio::spawn(sleep_forever());
            tokio::task::yield_now().await;
            let next_poll = taskio::spawn(sleep_forever());
            let (a, b, c) = (first.info().age, same_poll.info().age, next_poll.info().age);
            // Read in this order, the same spawn time gives b ≥ a.
            assert!(b >= a, "one poll, one spawn time: {a:?} then {b:?}");
            assert!(
                a >= c + GAP,
                "a later poll reads the clock again: {a:?} vs {c:?}"
            );
            for t in [first, same_poll, next_poll] {
                t.cancel();
                assert!(t.await.unwrap_err().is_cancelled());
            }
            taskio::Ok(())
        });
        tokio::time::timeout(Duration::from_secs(60), outer)
            .await
            .expect("no hang")
            .unwrap();
        // Outside any task nothing marks a poll's end: every spawn reads the clock.
        let first = taskio::spawn(sleep_forever());
        std::thread::sleep(GAP);
        let second = taskio::spawn(sleep_forever());
        let (a, b) = (first.info().age, second.info().age);
        assert!(
            a >= b + GAP,
            "outside a task each spawn is timed: {a:?} vs {b:?}"
        );
        for t in [first, second] {
            t.cancel();
            assert!(t.await.unwrap_err().is_cancelled());
        }
    });
}
