//! Panics in the `Drop` of a timeout's work: when the deadline drops work that waits in no
//! cancellation point, the panic is the timeout's outcome (not an unwind out of it); when the
//! timeout itself is dropped before it returned, the panic is reported, once.

mod support;

use support::faults::{Bomb, WaitIn, outside_or_in_task, wait_in};
use support::{both, bounded};

/// Work that holds a bomb and waits an hour in what `kind` says.
async fn bomb_waits(kind: WaitIn, bomb: String) -> taskio::Result<()> {
    let _bomb = Bomb(bomb);
    wait_in(kind, 3_600_000).await
}

both! {
    async fn a_panic_as_the_deadline_drops_the_work_is_the_timeouts_failure() {
        bounded(async {
            for in_task in [false, true] {
                let bomb = format!("deadline bomb {in_task} {PAUSED}");
                let timed = taskio::timeout(UNIT, bomb_waits(WaitIn::Tokio, bomb.clone()));
                let e = outside_or_in_task(in_task, timed).await.unwrap_err();
                assert!(e.is_panic(), "{bomb}: {e:?}");
                assert!(e.to_string().contains(&bomb), "{bomb}: {e}");
            }
        })
        .await;
    }
}

both! {
    async fn a_timeout_dropped_mid_flight_reports_its_works_panicking_drop() {
        support::capture::install();
        bounded(async {
            for kind in [WaitIn::Tokio, WaitIn::Unordered, WaitIn::Taskio] {
                for in_task in [false, true] {
                    let bomb = format!("mid-flight timeout bomb {kind:?} {in_task} {PAUSED}");
                    let timed = tokio::time::timeout(
                        UNIT,
                        taskio::timeout(UNIT * 3600, bomb_waits(kind, bomb.clone())),
                    );
                    let elapsed = outside_or_in_task(in_task, timed).await.is_err();
                    assert!(elapsed, "{bomb}");
                    assert_eq!(
                        support::capture::reports_with(&bomb).len(),
                        1,
                        "{bomb}: reported once"
                    );
                }
            }
        })
        .await;
    }
}
