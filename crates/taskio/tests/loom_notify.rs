//! loom models of the completion notification behind `wait`, `as_completed` and `JoinSet`
//! (`ready_queue.rs`'s `Link`: a task linked to a set's queue queues its index when it completes,
//! which wakes the consumer once per batch; `Cell::link` finds a task done already): children
//! complete on other threads while the consumer links, polls, drains and re-arms. A lost wake-up
//! parks the consumer forever, which loom reports as a deadlock.
//!
//! Run: `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom LOOM_MAX_PREEMPTIONS=3 \
//!       cargo test -p taskio --release --test loom_notify`
#![cfg(loom)]

mod loom_support;
use loom_support::yield_once;

use std::task::Waker;

use loom::future::block_on;
use loom::thread;
use taskio::__loom;

fn model(f: impl Fn() + Sync + Send + 'static) {
    loom_support::check(f);
}

/// Two tasks that each finish on their own thread, started (suspended once) before the
/// threads run; `finish` gives back the handles and the threads to join.
fn two_running_tasks() -> (Vec<taskio::Task<u32>>, Vec<thread::JoinHandle<()>>) {
    let mut tasks = Vec::new();
    let mut threads = Vec::new();
    for value in [10u32, 20] {
        let (task, mut running) = __loom::spawn(yield_once(taskio::Ok(value)));
        assert!(running.poll(Waker::noop()).is_pending());
        tasks.push(task);
        threads.push(thread::spawn(move || {
            assert!(running.poll(Waker::noop()).is_ready());
        }));
    }
    (tasks, threads)
}

/// as_completed over two tasks completing concurrently with the stream's polls: both items
/// come out, once each, with their own index and value.
#[test]
fn as_completed_vs_two_completions() {
    model(|| {
        let (tasks, threads) = two_running_tasks();
        let mut stream = taskio::as_completed(tasks);
        let mut seen = block_on(async {
            let mut seen = Vec::new();
            while let Some((i, outcome)) = stream.next().await {
                seen.push((i, outcome.unwrap()));
            }
            seen
        });
        seen.sort();
        assert_eq!(seen, [(0, 10), (1, 20)]);
        for t in threads {
            t.join().unwrap();
        }
    });
}

/// wait(first_completed) then wait(all) on the pending rest (the TaskSet re-used, as a loop of
/// first-completed waits does), while the tasks complete: every task comes back done, once.
#[test]
fn wait_first_completed_then_rest_vs_two_completions() {
    model(|| {
        let (tasks, threads) = two_running_tasks();
        let (mut done, pending) = block_on(taskio::wait(tasks).first_completed()).unwrap();
        assert!(
            !done.is_empty(),
            "first_completed returned with nothing done"
        );
        assert!(done.iter().all(|t| t.is_done()));
        if !pending.is_empty() {
            let (rest, still) = block_on(taskio::wait(pending)).unwrap();
            assert!(still.is_empty());
            done.extend(rest);
        }
        let mut values: Vec<u32> = done
            .into_iter()
            .map(|mut t| t.try_result().expect("done").unwrap())
            .collect();
        values.sort();
        assert_eq!(values, [10, 20]);
        for t in threads {
            t.join().unwrap();
        }
    });
}

/// A JoinSet that takes in two tasks while they complete on their threads (the link races the
/// completion), then reaps them: both outcomes come out, once each.
#[test]
fn join_set_push_and_join_next_vs_two_completions() {
    model(|| {
        let (tasks, threads) = two_running_tasks();
        let mut set: taskio::JoinSet<u32> = tasks.into_iter().collect();
        let mut seen = block_on(async {
            let mut seen = Vec::new();
            while let Some(outcome) = set.join_next().await {
                seen.push(outcome.unwrap());
            }
            seen
        });
        seen.sort();
        assert_eq!(seen, [10, 20]);
        for t in threads {
            t.join().unwrap();
        }
    });
}
