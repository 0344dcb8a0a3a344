//! Stress: a million tasks on the multi-thread runtime, half of them cancelled at random points
//! (before their first poll, or while they run on another worker), a bounded window of them in
//! flight. Afterwards no task is alive (`all_tasks()` is empty), every cancel that `cancel()`
//! accepted ended the task cancelled and every other task gave its value, and the resident
//! memory has come back down from its peak.
//!
//! Ignored by default (it measures, on the wall clock). Run:
//! `STRESS_TASKS=1000000 cargo test -p taskio --release --test stress -- --ignored --nocapture`
//! (`.ci/run` runs it with `STRESS_TASKS=200000`).

use std::time::{Duration, Instant};

use taskio::Task;

/// A field of /proc/self/status, in KiB (`VmRSS`: now, `VmHWM`: the peak).
fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
}

/// xorshift64*: a reproducible stream of "random" points, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

const BATCH: usize = 10_000;
const WINDOW: usize = 8;

/// One batch in flight: the handles, and whether each one's cancel was accepted.
type Batch = Vec<(Task<u64>, bool)>;

struct Tally {
    ok: u64,
    cancelled: u64,
    refused: u64,
}

async fn settle(batch: Batch, tally: &mut Tally) {
    for (task, accepted) in batch {
        let id = task.id().as_u64();
        match task.await {
            Ok(v) => {
                assert!(
                    !accepted,
                    "task {id}: a cancel was accepted, yet it ended Ok"
                );
                assert_eq!(v, id, "task {id} gave another task's value");
                tally.ok += 1;
            }
            Err(e) => {
                assert!(e.is_cancelled(), "task {id} failed: {e}");
                assert!(
                    accepted,
                    "task {id} ended cancelled with no cancel accepted"
                );
                tally.cancelled += 1;
            }
        }
    }
}

/// Runs `tasks` tasks, `BATCH` at a time with at most `WINDOW` batches in flight; half of them get
/// a cancel request at a random point.
fn round(tasks: usize, seed: u64) -> Tally {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .unwrap();
    let tally = rt.block_on(async move {
        let mut rng = Rng(seed);
        let mut tally = Tally {
            ok: 0,
            cancelled: 0,
            refused: 0,
        };
        let mut in_flight = std::collections::VecDeque::new();
        let mut spawned = 0;
        while spawned < tasks {
            let n = BATCH.min(tasks - spawned);
            let mut batch: Batch = Vec::with_capacity(n);
            for _ in 0..n {
                let steps = rng.next() % 8;
                let sleeps = rng.next().is_multiple_of(2);
                let task = taskio::spawn(async move {
                    for _ in 0..steps {
                        taskio::checkpoint().await?;
                    }
                    if sleeps {
                        taskio::sleep(Duration::from_millis(1)).await?;
                    }
                    let me = taskio::current().expect("inside a task").id();
                    taskio::Ok(me.as_u64())
                });
                // Half get a cancel request: a quarter right after their spawn (before their
                // first poll, or as a worker starts them), a quarter below.
                let mut accepted = false;
                if rng.next().is_multiple_of(4) {
                    accepted = task.cancel();
                    tally.refused += u64::from(!accepted);
                }
                batch.push((task, accepted));
            }
            tokio::task::yield_now().await;
            let mut i = 0usize;
            for (task, accepted) in batch.iter_mut() {
                i += 1;
                if i.is_multiple_of(512) {
                    tokio::task::yield_now().await;
                }
                // After the spawner yields: while they run or sleep on a worker, or after they
                // have ended (then `cancel()` refuses).
                if !*accepted && rng.next().is_multiple_of(3) {
                    *accepted = task.cancel();
                    tally.refused += u64::from(!*accepted);
                }
            }
            spawned += n;
            in_flight.push_back(batch);
            if in_flight.len() > WINDOW {
                settle(in_flight.pop_front().unwrap(), &mut tally).await;
            }
        }
        while let Some(batch) = in_flight.pop_front() {
            settle(batch, &mut tally).await;
        }
        let left = taskio::all_tasks();
        assert!(
            left.is_empty(),
            "{} tasks alive after all ended",
            left.len()
        );
        tally
    });
    drop(rt);
    assert!(taskio::all_tasks().is_empty());
    assert_eq!(tally.ok + tally.cancelled, tasks as u64);
    tally
}

#[test]
#[ignore = "stress: run with --ignored, in release (see the module doc)"]
fn a_million_tasks_half_cancelled_leave_nothing_behind() {
    let tasks: usize = std::env::var("STRESS_TASKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let rss_start = status_kib("VmRSS");
    let started = Instant::now();
    let first = round(tasks, 0x9E37_79B9_7F4A_7C15);
    let seconds = started.elapsed().as_secs_f64();
    let peak = status_kib("VmHWM");
    let rss_after = status_kib("VmRSS");
    println!(
        "stress: {tasks} tasks ({} ok, {} cancelled, {} cancel requests refused as the task had \
         ended) in {seconds:.2} s; RSS start {} MiB, peak {} MiB, after {} MiB",
        first.ok,
        first.cancelled,
        first.refused,
        rss_start / 1024,
        peak / 1024,
        rss_after / 1024
    );
    // The allocator keeps freed memory for reuse rather than giving it back, so "back near the
    // start" is checked as: a second round of as many tasks does not grow the resident set.
    // The slack (half again, plus 16 MiB) absorbs the allocator's noise across threads; a leak
    // of one task cell (a few hundred bytes) per task would add 60 MiB at 200 000 tasks and
    // 300 MiB at a million.
    round(tasks, 0xD1B5_4A32_D192_ED03);
    let rss_second = status_kib("VmRSS");
    println!(
        "stress: after a second round of {tasks} tasks: RSS {} MiB, peak {} MiB",
        rss_second / 1024,
        status_kib("VmHWM") / 1024
    );
    assert!(
        rss_second <= rss_after + rss_after / 2 + 16 * 1024,
        "RSS grew over a second round: {rss_after} KiB, then {rss_second} KiB"
    );
}
