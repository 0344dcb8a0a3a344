//! Nested task groups with a failure at each level (issue 13, item 2), as a property: every
//! level's group returns its own failure if it came before any outer one, and `Cancelled`
//! otherwise; no level swallows an outer level's request, so the whole tree ends when the
//! outermost child fails, never an hour later.
//!
//! Each case runs on a current-thread runtime with a paused clock, so every time is exact. The
//! failure times are drawn from a few milliseconds, so levels often fail at the same instant:
//! then an inner group takes the outer group's request on its way out while returning its own
//! failure, the case that lost the request (the tree then ended an hour late).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use taskio::Error;

const HOUR: Duration = Duration::from_secs(3600);

type Outcomes = Arc<Mutex<Vec<Option<String>>>>;

fn describe<T>(r: &taskio::Result<T>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(e) if e.is_cancelled() => "cancelled".into(),
        Err(e) => match e.group_errors() {
            Some(errors) => errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            None => format!("other: {e}"),
        },
    }
}

/// Level `i`: a group whose child fails at `times[i]` ms, and whose body runs level `i + 1`,
/// records its outcome, passes a cancellation on, handles a failure and then sleeps an hour
/// (which its group's request, taken by the inner group on its way out, must interrupt).
fn level(
    i: usize,
    times: Arc<Vec<u64>>,
    seen: Outcomes,
) -> Pin<Box<dyn Future<Output = taskio::Result<()>> + Send>> {
    Box::pin(async move {
        taskio::task_group(move |tg| async move {
            let t = times[i];
            tg.spawn_with(taskio::task().name(format!("L{i}")), async move {
                taskio::sleep(Duration::from_millis(t)).await?;
                Err::<(), Error>(Error::msg(format!("E{i}")))
            })?;
            if i + 1 < times.len() {
                let inner = level(i + 1, times.clone(), seen.clone()).await;
                seen.lock().unwrap()[i + 1] = Some(describe(&inner));
                // A cancellation is passed on; the inner group's failure is handled here.
                if inner.as_ref().is_err_and(|e| e.is_cancelled()) {
                    return inner;
                }
            }
            taskio::sleep(HOUR).await?;
            taskio::Ok(())
        })
        .await
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn nested_groups_with_a_failure_at_each_level(
        times in proptest::collection::vec(0..4u64, 1..=4),
    ) {
        let depth = times.len();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let seen: Outcomes = Arc::new(Mutex::new(vec![None; depth]));
        let (ts, s) = (Arc::new(times.clone()), seen.clone());
        let took = rt.block_on(async move {
            let start = tokio::time::Instant::now();
            let r = taskio::spawn(level(0, ts, s.clone())).await;
            s.lock().unwrap()[0] = Some(describe(&r));
            start.elapsed()
        });
        // The tree ends when the outermost child fails (every level is cancelled by then).
        prop_assert_eq!(took, Duration::from_millis(times[0]));
        let seen = seen.lock().unwrap();
        for i in 0..depth {
            let failed = format!("task 'L{i}' failed: E{i}");
            let outer = times[..i].iter().copied().min().unwrap_or(u64::MAX);
            let got = seen[i].as_deref();
            if times[i] < outer {
                prop_assert_eq!(got, Some(failed.as_str()), "level {}", i);
            } else if times[i] > outer {
                prop_assert_eq!(got, Some("cancelled"), "level {}", i);
            } else {
                // The same instant: the child fails first, or its level's cancel reaches it
                // first; either way nothing is lost and nothing else is returned.
                prop_assert!(
                    got == Some(failed.as_str()) || got == Some("cancelled"),
                    "level {}: {:?}", i, got
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Issue 13, item 3: the task running a group is cancelled at `c` ms while its body sleeps
    /// and its child works until `f` ms (then fails, or succeeds); the body cleans up for `d` ms
    /// whenever it is cancelled. CPython's order: the body first, the child runs on until the
    /// body ends; a child failure is a new request to the body; a second request (the parent's
    /// cancel during the cleanup after a failure) interrupts the cleanup too.
    #[test]
    fn a_parent_cancel_while_the_child_runs(
        c in 1..6u64,
        f in 0..12u64,
        d in 0..8u64,
        fails in any::<bool>(),
    ) {
        // No two events at the same instant.
        prop_assume!(f != c && f != c + d && f + d != c);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .start_paused(true)
            .build()
            .unwrap();
        let ms = Duration::from_millis;
        let (outcome, took) = rt.block_on(async move {
            let start = tokio::time::Instant::now();
            let slot = Arc::new(Mutex::new(None));
            let out = slot.clone();
            let runner = taskio::spawn(async move {
                let r = taskio::task_group(move |tg| async move {
                    tg.spawn_with(taskio::task().name("child"), async move {
                        taskio::sleep(ms(f)).await?;
                        if fails {
                            return Err(Error::msg("E"));
                        }
                        taskio::Ok(())
                    })?;
                    let cancelled = taskio::sleep(HOUR).await.unwrap_err();
                    taskio::sleep(ms(d)).await?; // cleanup, interruptible
                    Err::<(), Error>(cancelled.into())
                })
                .await;
                // Recorded here: the task itself may end cancelled (a re-armed request).
                *out.lock().unwrap() = Some((describe(&r), start.elapsed()));
                taskio::Ok(())
            });
            taskio::sleep(ms(c)).await.unwrap();
            runner.cancel();
            let _ = runner.await;
            let recorded = slot.lock().unwrap().take();
            recorded.expect("the group returned")
        });
        let failed = "task 'child' failed: E".to_string();
        let (expected, at) = if fails && f < c {
            // The failure first: the body's cleanup ends at f + d, or at the parent's cancel.
            (failed, (f + d).min(c))
        } else if fails && f < c + d {
            // The child ran on during the cleanup, and its failure interrupted it.
            (failed, f)
        } else {
            ("cancelled".to_string(), c + d)
        };
        prop_assert_eq!(outcome, expected);
        prop_assert_eq!(took, ms(at));
    }
}
