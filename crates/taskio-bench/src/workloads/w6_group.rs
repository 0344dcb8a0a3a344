//! W6: task groups (asyncio's `TaskGroup`, tokio's `JoinSet` as the peer).
//!
//! - `W6-trivial`: a group of N trivial tasks, from opening the group to its return.
//! - `W6-failure`: one child fails (after 20 ms) while N − 1 siblings sleep for an hour; the
//!   figure is the time from the failure to the group's return (every sibling cancelled and
//!   reaped). tokio's peer: `JoinSet` whose drain loop calls `abort_all` on the first error and
//!   goes on draining.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{CaseFuture, Sample};

const FAIL_AFTER: Duration = Duration::from_millis(20);
const HOUR: Duration = Duration::from_secs(3600);

/// The measured future of W6-trivial for `imp`.
pub fn run_trivial(imp: &str, n: usize) -> Option<CaseFuture> {
    Some(match imp {
        "taskio-group" => Box::pin(async move {
            let start = Instant::now();
            taskio::task_group(|tg| async move {
                for i in 0..n {
                    drop(tg.spawn(async move { taskio::Ok(i) })?);
                }
                taskio::Ok(())
            })
            .await
            .expect("group");
            Sample::timed(start.elapsed(), n)
        }),
        "tokio-token" => Box::pin(super::token::joinset(n)),
        "tokio-joinset" => Box::pin(super::w11_join_set::tokio_joinset(n)),
        _ => return None,
    })
}

/// The measured future of W6-failure for `imp`.
pub fn run_failure(imp: &str, n: usize) -> Option<CaseFuture> {
    let failed_at: Arc<Mutex<Option<Instant>>> = Arc::default();
    let mark = {
        let failed_at = failed_at.clone();
        move || *failed_at.lock().expect("lock") = Some(Instant::now())
    };
    let since_failure = move || {
        failed_at
            .lock()
            .expect("lock")
            .expect("the child failed")
            .elapsed()
    };
    Some(match imp {
        "taskio-group" => Box::pin(async move {
            let out = taskio::task_group(|tg| async move {
                for _ in 1..n {
                    drop(tg.spawn(async { taskio::sleep(HOUR).await })?);
                }
                drop(tg.spawn(async move {
                    taskio::sleep(FAIL_AFTER).await?;
                    mark();
                    taskio::Result::<()>::Err(taskio::Error::msg("boom"))
                })?);
                taskio::Ok(())
            })
            .await;
            let elapsed = since_failure();
            assert!(out.is_err(), "the group fails");
            Sample::timed(elapsed, n)
        }),
        "tokio-joinset" => Box::pin(async move {
            let mut set = tokio::task::JoinSet::new();
            for _ in 1..n {
                set.spawn(async {
                    tokio::time::sleep(HOUR).await;
                    Ok::<(), &'static str>(())
                });
            }
            set.spawn(async move {
                tokio::time::sleep(FAIL_AFTER).await;
                mark();
                Err("boom")
            });
            let mut failed = false;
            while let Some(r) = set.join_next().await {
                match r {
                    Ok(Err(_)) => {
                        failed = true;
                        set.abort_all();
                    }
                    Ok(Ok(())) => {}
                    Err(e) => assert!(e.is_cancelled()),
                }
            }
            let elapsed = since_failure();
            assert!(failed, "the failing child was seen");
            Sample::timed(elapsed, n)
        }),
        _ => return None,
    })
}
