//! Property test: code that waits for several tasks at once (`FuturesUnordered` of handles, with
//! `?` or collecting every outcome, or `select_all`) is stopped while it waits, by a cancel of
//! its task or by a `timeout` around it outside any task. Whichever handle takes the request
//! (delivery is edge-triggered), every task the code was waiting for is cancelled at that
//! instant: none is left running. The tasks wait in taskio sleeps, tokio sleeps, or taskio
//! sleeps inside a `FuturesUnordered` of their own. Each case runs on a current-thread runtime
//! with a paused clock, so every time is exact.
//!
//! `PROPTEST_CASES` sets the number of cases (default below).

use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use proptest::prelude::*;
use support::faults::{WaitIn, wait_in};
use taskio::TaskState;
use tokio::time::Instant;

mod support;

const DEFAULT_CASES: u32 = 512;

/// How the code waits for its tasks.
#[derive(Clone, Copy, Debug)]
enum Await {
    /// `while let Some(r) = all.next().await { r?; }` over `FuturesUnordered`.
    Propagate,
    /// `all.collect::<Vec<_>>()`: every outcome, cancelled ones too.
    Collect,
    /// `futures_util::future::select_all`: the first outcome, with `?`.
    First,
    /// `tokio::select!` between `select_all` and a long taskio sleep: when the sleep takes the
    /// request, the handles are dropped unpolled, and pass it on as they go.
    FirstBesidePoint,
}

/// What stops the code while it waits.
#[derive(Clone, Copy, Debug)]
enum Stop {
    /// A cancel of the task that runs it.
    Cancel,
    /// A `taskio::timeout` around it, awaited outside any task.
    TimeoutOutsideTasks,
}

fn kid() -> impl Strategy<Value = (u64, WaitIn)> {
    (
        1u64..20,
        prop_oneof![
            Just(WaitIn::Taskio),
            Just(WaitIn::Tokio),
            Just(WaitIn::Unordered)
        ],
    )
        .prop_map(|(d, w)| (d * 10, w))
}

fn strategy() -> impl Strategy<Value = (Vec<(u64, WaitIn)>, u64, Await, Stop)> {
    (
        proptest::collection::vec(kid(), 1..6),
        // Odd multiples of 5: never at the instant a task ends by itself.
        (0u64..25).prop_map(|t| t * 10 + 5),
        prop_oneof![
            Just(Await::Propagate),
            Just(Await::Collect),
            Just(Await::First),
            Just(Await::FirstBesidePoint),
        ],
        prop_oneof![Just(Stop::Cancel), Just(Stop::TimeoutOutsideTasks)],
    )
}

/// The code under test: waits for `tasks` as `how` says; gives what it returned.
async fn wait_for(tasks: Vec<taskio::Task<u64>>, how: Await) -> taskio::Result<u64> {
    match how {
        Await::Propagate => {
            let mut all: FuturesUnordered<_> = tasks.into_iter().collect();
            let mut sum = 0;
            while let Some(r) = all.next().await {
                sum += r?;
            }
            Ok(sum)
        }
        Await::Collect => {
            let all: FuturesUnordered<_> = tasks.into_iter().collect();
            let outcomes: Vec<_> = all.collect().await;
            Ok(outcomes.iter().filter(|r| r.is_ok()).count() as u64)
        }
        Await::First => {
            let (first, _, _rest) = futures_util::future::select_all(tasks).await;
            first
        }
        Await::FirstBesidePoint => {
            tokio::select! {
                (first, _, _rest) = futures_util::future::select_all(tasks) => first,
                slept = taskio::sleep(Duration::from_secs(3600)) => {
                    slept?;
                    unreachable!("the sleep outlasts the case")
                }
            }
        }
    }
}

fn run_case(
    kids: Vec<(u64, WaitIn)>,
    at: u64,
    how: Await,
    stop: Stop,
) -> Result<(), TestCaseError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    rt.block_on(async move {
        let start = Instant::now();
        let tasks: Vec<_> = kids
            .iter()
            .map(|&(dur, wait)| {
                taskio::spawn(async move {
                    wait_in(wait, dur).await?;
                    taskio::Ok(dur)
                })
            })
            .collect();
        let handles: Vec<_> = tasks.iter().map(|t| t.handle()).collect();
        let at_d = Duration::from_millis(at);
        // The outcome of the code, and when it returned.
        let (outcome, ended) = match stop {
            Stop::Cancel => {
                let outer = taskio::spawn(async move {
                    let outcome = wait_for(tasks, how).await;
                    taskio::Ok((outcome, start.elapsed()))
                });
                taskio::sleep(at_d).await.unwrap();
                outer.cancel();
                outer.await.unwrap()
            }
            Stop::TimeoutOutsideTasks => {
                let outcome = taskio::timeout(at_d, wait_for(tasks, how)).await;
                (outcome, start.elapsed())
            }
        };
        let durs: Vec<u64> = kids.iter().map(|k| k.0).collect();
        let first = *durs.iter().min().unwrap();
        let last = *durs.iter().max().unwrap();
        // When the code would have returned by itself, had nothing stopped it.
        let own_end = match how {
            Await::Propagate | Await::Collect => last,
            Await::First | Await::FirstBesidePoint => first,
        };
        if own_end < at {
            // It returned before the stop: nothing was cancelled (select_all let the others go,
            // detached, and they end by themselves).
            prop_assert!(outcome.is_ok(), "{outcome:?}");
            prop_assert_eq!(ended, Duration::from_millis(own_end));
            tokio::time::sleep(Duration::from_millis(last)).await;
            for h in &handles {
                prop_assert_eq!(h.state(), TaskState::Finished, "{:?}", h);
            }
            return Ok(());
        }
        prop_assert_eq!(ended, at_d, "the code returned when it was stopped");
        match (how, stop, &outcome) {
            (Await::Collect, _, Ok(n)) => {
                prop_assert_eq!(*n, durs.iter().filter(|&&d| d < at).count() as u64)
            }
            (_, Stop::Cancel, Err(e)) => prop_assert!(e.is_cancelled(), "{e}"),
            (_, Stop::TimeoutOutsideTasks, Err(e)) => prop_assert!(e.is_timed_out(), "{e}"),
            (_, _, other) => prop_assert!(false, "unexpected outcome {other:?}"),
        }
        // The cancels it passed on end the others at this instant (their tasks have yet to be
        // polled): let them run, without moving the clock.
        for _ in 0..50 {
            if handles.iter().all(|h| h.is_done()) {
                break;
            }
            tokio::task::yield_now().await;
        }
        prop_assert_eq!(start.elapsed(), at_d);
        for (h, &dur) in handles.iter().zip(&durs) {
            let want = if dur < at {
                TaskState::Finished
            } else {
                TaskState::Cancelled
            };
            prop_assert_eq!(h.state(), want, "task of {} ms: {:?}", dur, h);
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: support::proptest_cases(DEFAULT_CASES), ..ProptestConfig::default() })]

    #[test]
    fn every_task_a_stopped_wait_was_waiting_for_is_cancelled_with_it(
        (kids, at, how, stop) in strategy(),
    ) {
        run_case(kids, at, how, stop)?;
    }
}
