//! Panics in the `Drop` of a gather's inputs, in both gathers (a few inputs, sitting in one
//! `JoinAll`, and many, each with its own waker): when the fail-fast drops an input that waits
//! in a tokio timer, when an input ends and is dropped, when an input never started, and when
//! the gather itself is dropped before it returned. Each is an outcome or a report, once; the
//! panic never unwinds out of the gather, and never replaces the failure the gather returns.

mod support;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::FutureExt;
use support::faults::{Bomb, WaitIn, outside_or_in_task, wait_in};
use support::{both, bounded};

/// Reports (all their fields) that name `text`.
fn reports(text: &str) -> Vec<String> {
    support::capture::reports_with(text)
}

type Input = Pin<Box<dyn Future<Output = taskio::Result<usize>> + Send>>;

/// `n` inputs: input 0 holds a bomb and waits an hour (in what `kind` says), input 1 fails after
/// 10 ms, the rest give their index at once.
fn first_fails_while_a_bomb_waits(n: usize, kind: WaitIn, bomb: &str) -> Vec<Input> {
    let bomb = Bomb(bomb.to_owned());
    let mut inputs: Vec<Input> = vec![
        Box::pin(async move {
            let _bomb = bomb;
            wait_in(kind, 3_600_000).await?;
            Ok(0)
        }),
        Box::pin(async {
            tokio::time::sleep(Duration::from_millis(10)).await;
            Err(taskio::Error::msg("first failure"))
        }),
    ];
    inputs.extend((2..n).map(|i| Box::pin(async move { Ok(i) }) as Input));
    inputs
}

/// The gather of [`first_fails_while_a_bomb_waits`], awaited where `inside` says: outside any
/// task, in a task, or inside a `FuturesUnordered` in a task.
async fn gather_it(inputs: Vec<Input>, inside: usize) -> taskio::Result<Vec<usize>> {
    use futures_util::StreamExt;
    let gather = taskio::gather(inputs);
    match inside {
        0 => std::panic::AssertUnwindSafe(gather)
            .catch_unwind()
            .await
            .expect("a panic unwound out of the gather"),
        1 => taskio::spawn(gather).await,
        _ => {
            taskio::spawn(async move {
                let mut set = futures_util::stream::FuturesUnordered::new();
                set.push(gather);
                set.next().await.expect("one gather")
            })
            .await
        }
    }
}

both! {
    async fn an_input_dropped_by_the_fail_fast_that_panics_in_drop_leaves_the_first_failure() {
        support::capture::install();
        bounded(async {
            for n in [2usize, 40] {
                for kind in [WaitIn::Tokio, WaitIn::Unordered, WaitIn::Taskio] {
                    for inside in 0..3 {
                        let bomb = format!("fail-fast bomb {n} {kind:?} {inside} {PAUSED}");
                        let inputs = first_fails_while_a_bomb_waits(n, kind, &bomb);
                        let e = gather_it(inputs, inside).await.unwrap_err();
                        assert!(!e.is_panic(), "{bomb}: {e:?}");
                        assert!(e.to_string().ends_with("first failure"), "{bomb}: {e:?}");
                        assert_eq!(reports(&bomb).len(), 1, "{bomb}: reported once");
                    }
                }
            }
        })
        .await;
    }
}

both! {
    async fn a_gather_dropped_mid_flight_reports_its_inputs_panicking_drop() {
        support::capture::install();
        bounded(async {
            for n in [2usize, 40] {
                for kind in [WaitIn::Tokio, WaitIn::Unordered, WaitIn::Taskio] {
                    for in_task in [false, true] {
                        let bomb = format!("mid-flight bomb {n} {kind:?} {in_task} {PAUSED}");
                        let mut inputs = first_fails_while_a_bomb_waits(n, kind, &bomb);
                        drop(inputs.remove(1)); // nothing fails: the gather waits on input 0
                        let timed = tokio::time::timeout(
                            Duration::from_millis(20),
                            taskio::gather(inputs),
                        );
                        let elapsed = outside_or_in_task(in_task, timed).await.is_err();
                        assert!(elapsed, "{bomb}");
                        assert_eq!(reports(&bomb).len(), 1, "{bomb}: reported once");
                    }
                }
            }
        })
        .await;
    }
}

/// A future that ends at once with `Ok(7)` or, with `fail`, an error, and panics when dropped:
/// a panic after the input ended, which no `catch` around its poll sees.
struct EndsThenPanics {
    fail: bool,
    _bomb: Bomb,
}

impl Future for EndsThenPanics {
    type Output = taskio::Result<usize>;

    fn poll(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(match self.fail {
            true => Err(taskio::Error::msg("its own failure")),
            false => Ok(7),
        })
    }
}

fn ends_then_panics(fail: bool, bomb: &str) -> Input {
    Box::pin(EndsThenPanics {
        fail,
        _bomb: Bomb(bomb.to_owned()),
    })
}

both! {
    async fn an_input_that_ended_then_panics_in_drop_fails_with_the_panic_or_reports_it() {
        support::capture::install();
        bounded(async {
            for n in [2usize, 40] {
                let ok_input = |i| Box::pin(async move { taskio::Ok(i) }) as Input;
                // Ended with a value: the panic is its failure.
                let bomb = format!("after-ok bomb {n} {PAUSED}");
                let mut inputs = vec![ends_then_panics(false, &bomb)];
                inputs.extend((1..n).map(ok_input));
                let outcomes = taskio::gather_settled(inputs).await.unwrap();
                let e = outcomes[0].as_ref().unwrap_err();
                assert_eq!(e.panic_message(), Some(bomb.as_str()));
                assert!(outcomes[1..].iter().all(|o| o.is_ok()));
                let mut inputs = vec![ends_then_panics(false, &bomb)];
                inputs.extend((1..n).map(ok_input));
                let e = taskio::gather(inputs).await.unwrap_err();
                assert_eq!(e.panic_message(), Some(bomb.as_str()));
                assert!(reports(&bomb).is_empty(), "returned, so not reported");
                // Ended with a failure of its own: that is returned, the panic reported.
                let bomb = format!("after-error bomb {n} {PAUSED}");
                let mut inputs = vec![ends_then_panics(true, &bomb)];
                inputs.extend((1..n).map(ok_input));
                let e = taskio::gather(inputs).await.unwrap_err();
                assert_eq!(e.to_string(), "its own failure");
                let reported = reports(&bomb);
                assert_eq!(reported.len(), 1, "{reported:?}");
                assert!(reported[0].contains("panicked as it was dropped"), "{reported:?}");
            }
        })
        .await;
    }
}

both! {
    async fn an_input_that_never_started_and_panics_in_drop_is_reported() {
        support::capture::install();
        bounded(async {
            for n in [3usize, 40] {
                for kind in [WaitIn::Tokio, WaitIn::Taskio] {
                    let bomb = format!("unstarted bomb {n} {kind:?} {PAUSED}");
                    let mut inputs: Vec<Input> = vec![Box::pin(async move {
                        wait_in(kind, 10).await?;
                        Err(taskio::Error::msg("first failure"))
                    })];
                    // Held back by the limit; never polled, so its bomb is dropped unpolled.
                    let held = Bomb(bomb.clone());
                    inputs.push(Box::pin(async move {
                        let _held = held;
                        taskio::Ok(1)
                    }));
                    inputs.extend((2..n).map(|i| Box::pin(async move { Ok(i) }) as Input));
                    let e = taskio::gather(inputs).limit(1).await.unwrap_err();
                    assert_eq!(e.to_string(), "first failure", "{bomb}");
                    assert_eq!(reports(&bomb).len(), 1, "{bomb}: reported once");
                }
            }
        })
        .await;
    }
}

both! {
    async fn the_gather_macro_keeps_its_first_failure_and_reports_its_inputs_drop_panics() {
        support::capture::install();
        bounded(async {
            for kind in [WaitIn::Tokio, WaitIn::Unordered, WaitIn::Taskio] {
                for in_task in [false, true] {
                    // The fail-fast drops the waiting input: its panic is reported.
                    let bomb = format!("macro fail-fast bomb {kind:?} {in_task} {PAUSED}");
                    let [waits, fails]: [Input; 2] = first_fails_while_a_bomb_waits(2, kind, &bomb)
                        .try_into()
                        .unwrap_or_else(|_| unreachable!());
                    let gathered = async { taskio::gather!(waits, fails).await.map(|_| ()) };
                    let e = outside_or_in_task(in_task, gathered).await.unwrap_err();
                    assert!(!e.is_panic(), "{bomb}: {e:?}");
                    assert!(e.to_string().ends_with("first failure"), "{bomb}: {e:?}");
                    assert_eq!(reports(&bomb).len(), 1, "{bomb}: reported once");
                    // Dropped mid-flight: reported, not unwound.
                    let bomb = format!("macro mid-flight bomb {kind:?} {in_task} {PAUSED}");
                    let [waits, _]: [Input; 2] = first_fails_while_a_bomb_waits(2, kind, &bomb)
                        .try_into()
                        .unwrap_or_else(|_| unreachable!());
                    let timed = tokio::time::timeout(
                        Duration::from_millis(20),
                        taskio::gather!(waits, async { taskio::Ok(1) }),
                    );
                    let elapsed = outside_or_in_task(in_task, timed).await.is_err();
                    assert!(elapsed, "{bomb}");
                    assert_eq!(reports(&bomb).len(), 1, "{bomb}: reported once");
                }
            }
            // Ended, then panicked as it was dropped: the panic is its failure, or is reported
            // beside its own.
            let bomb = format!("macro after-ok bomb {PAUSED}");
            let e = taskio::gather!(ends_then_panics(false, &bomb), async { taskio::Ok(1) })
                .await
                .unwrap_err();
            assert_eq!(e.panic_message(), Some(bomb.as_str()));
            let bomb = format!("macro after-error bomb {PAUSED}");
            let e = taskio::gather!(ends_then_panics(true, &bomb), async { taskio::Ok(1) })
                .await
                .unwrap_err();
            assert_eq!(e.to_string(), "its own failure");
            assert_eq!(reports(&bomb).len(), 1, "{bomb}: reported once");
        })
        .await;
    }
}
