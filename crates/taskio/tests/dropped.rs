//! Combinators dropped half-way (issue 12, "Lost failures"; issue 15's as_completed drop): a
//! failure a combinator had collected for its caller is returned or reported exactly once, as a
//! dropped handle's is, and the tasks an `as_completed` stream still owns are cancelled with it.

mod support;
use support::capture::{install, reports_with};
use support::{both, until};

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

/// A word unique to one test on one runtime, to find its reports among all the process's.
fn word(test: &str, paused: bool) -> String {
    format!("{test}-{}", if paused { "ct" } else { "mt" })
}

/// Sleeps a millisecond at a time (so that the paused clock moves) until `cond` holds; fails
/// after ten seconds of the runtime's clock.
async fn eventually(what: &str, cond: impl Fn() -> bool) {
    for _ in 0..10_000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    panic!("never happened: {what}");
}

fn assert_reported_once(word: &str) {
    let found = reports_with(word);
    assert_eq!(found.len(), 1, "{word}: {found:#?}");
}

fn assert_not_reported(word: &str) {
    let found = reports_with(word);
    assert!(found.is_empty(), "{word}: {found:#?}");
}

both! {
    /// 4 tasks fail, one item is taken, the stream is dropped: the 3 others used to be neither
    /// returned nor reported.
    async fn a_dropped_as_completed_reports_the_failures_it_had_collected() {
        install();
        let w = word("ac-collected", PAUSED);
        let tasks: Vec<taskio::Task<()>> = (0..4)
            .map(|i| {
                taskio::task()
                    .name(format!("{w}-{i}"))
                    .spawn(async move { Err(taskio::Error::msg(format!("boom {i}"))) })
            })
            .collect();
        until(|| tasks.iter().all(|t| t.is_done())).await;
        let mut stream = taskio::as_completed(tasks);
        let (taken, outcome) = stream.next().await.unwrap();
        assert!(outcome.is_err());
        drop(stream);
        for i in 0..4 {
            let name = format!("{w}-{i}");
            if i == taken {
                assert_not_reported(&name); // returned to us
            } else {
                assert_reported_once(&name);
            }
        }
    }
}

both! {
    /// "First reply wins" over three mirrors: dropping the stream after the first item left the
    /// two slow ones running. They are cancelled now, their cleanup runs, and a cleanup that
    /// fails is reported once.
    async fn dropping_as_completed_cancels_the_tasks_it_still_owns() {
        install();
        let w = word("ac-owned", PAUSED);
        let cleaned = Arc::new(AtomicUsize::new(0));
        let slow = |n: u32| {
            let cleaned = cleaned.clone();
            taskio::task().name(format!("{w}-slow-{n}")).spawn(async move {
                let cancelled = taskio::sleep(HOUR).await.unwrap_err();
                taskio::sleep(Duration::from_millis(1)).await.ok(); // async cleanup
                cleaned.fetch_add(1, Ordering::SeqCst);
                if n == 1 {
                    return Err(taskio::Error::msg("its cleanup failed"));
                }
                Err(cancelled.into())
            })
        };
        let mirrors = vec![slow(0), taskio::spawn(async { taskio::Ok(()) }), slow(1)];
        // Started (a task cancelled before its first poll never runs its body, nor its cleanup).
        until(|| mirrors.iter().all(|t| t.state() != taskio::TaskState::Pending)).await;
        let mut replies = taskio::as_completed(mirrors);
        let (first, _) = replies.next().await.unwrap();
        assert_eq!(first, 1);
        drop(replies);
        eventually("both slow mirrors cleaned up", || cleaned.load(Ordering::SeqCst) == 2).await;
        let name = format!("{w}-slow-1");
        eventually("the failed cleanup reported", || !reports_with(&name).is_empty()).await;
        assert_reported_once(&name);
        assert_not_reported(&format!("{w}-slow-0"));
    }
}

both! {
    /// A task whose outcome was taken before as_completed saw it used to panic with an internal
    /// invariant ("a task the set saw done has its outcome"); its item is now an error that says
    /// what happened, and the other items come as usual.
    async fn as_completed_over_a_task_whose_outcome_was_taken_says_so() {
        let mut read = taskio::task().name("read-already").spawn(async { taskio::Ok(1) });
        until(|| read.is_done()).await;
        assert_eq!(read.try_result().unwrap().unwrap(), 1);
        let other = taskio::spawn(async { taskio::Ok(2) });
        let mut items = Vec::new();
        let mut stream = taskio::as_completed(vec![read, other]);
        while let Some(item) = stream.next().await {
            items.push(item);
        }
        items.sort_by_key(|(i, _)| *i);
        let err = items[0].1.as_ref().unwrap_err();
        assert!(!err.is_cancelled() && !err.is_panic(), "{err}");
        let text = err.to_string();
        assert!(text.contains("'read-already'"), "{text}");
        assert!(text.contains("already been taken"), "{text}");
        assert_eq!(*items[1].1.as_ref().unwrap(), 2);
    }
}

/// `n` inline inputs: input 1 fails at once with `word`; the others sleep an hour, and, when
/// `cleanup` is set, clean up for another hour once cancelled.
fn inputs(
    n: usize,
    word: &str,
    cleanup: bool,
) -> impl Iterator<Item = impl Future<Output = taskio::Result<usize>> + Send> {
    let word: Arc<str> = word.into();
    (0..n).map(move |i| {
        let word = word.clone();
        async move {
            if i == 1 {
                return Err(taskio::Error::msg(format!("input failed: {word}")));
            }
            if let Err(c) = taskio::sleep(HOUR).await {
                if cleanup {
                    taskio::sleep(HOUR).await.ok();
                }
                return Err(c.into());
            }
            Ok(i)
        }
    })
}

both! {
    /// A gather_settled dropped mid-flight (here by tokio's timeout) used to drop the failure it
    /// had collected; on the few-inputs path (3) and the general one (40).
    async fn a_gather_settled_dropped_mid_flight_reports_what_it_collected() {
        install();
        for n in [3, 40] {
            let w = word(&format!("settled-dropped-{n}"), PAUSED);
            let gather = taskio::gather_settled(inputs(n, &w, false));
            assert!(tokio::time::timeout(UNIT, gather).await.is_err());
            assert_reported_once(&w);
        }
    }
}

both! {
    /// A fail-fast gather dropped while it waits for the others' cleanup used to drop the
    /// failure it was about to return; on both paths.
    async fn a_fail_fast_gather_dropped_during_cleanup_reports_its_failure() {
        install();
        for n in [3, 40] {
            let w = word(&format!("gather-dropped-{n}"), PAUSED);
            let gather = taskio::gather(inputs(n, &w, true));
            assert!(tokio::time::timeout(UNIT, gather).await.is_err());
            assert_reported_once(&w);
        }
    }
}

both! {
    /// The same for `gather!` (the macro's driver holds the first failure).
    async fn a_gather_macro_dropped_during_cleanup_reports_its_failure() {
        install();
        let w = word("gather-macro-dropped", PAUSED);
        let mut all = inputs(3, &w, true);
        let (a, b, c) = (all.next().unwrap(), all.next().unwrap(), all.next().unwrap());
        let gather = async move { taskio::gather!(a, b, c).await };
        assert!(tokio::time::timeout(UNIT, gather).await.is_err());
        assert_reported_once(&w);
    }
}

both! {
    /// Exactly once: a gather that returns its failure reports nothing, and a gather_settled
    /// that returns every outcome reports nothing; on both paths.
    async fn a_gather_that_returns_reports_nothing() {
        install();
        for n in [3, 40] {
            let w = word(&format!("gather-returned-{n}"), PAUSED);
            let err = taskio::gather(inputs(n, &w, false)).await.unwrap_err();
            assert!(err.to_string().contains(&w));
            let w2 = word(&format!("settled-returned-{n}"), PAUSED);
            let fast = (0..n).map(|i| {
                let w2 = w2.clone();
                async move {
                    if i == 1 {
                        return Err(taskio::Error::msg(w2));
                    }
                    Ok(i)
                }
            });
            let all = taskio::gather_settled(fast).await.unwrap();
            assert!(all[1].is_err());
            assert_not_reported(&w);
            assert_not_reported(&w2);
        }
    }
}
