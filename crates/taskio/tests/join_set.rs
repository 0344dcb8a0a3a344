//! `JoinSet`: spawn into it while reaping, outcomes in completion order, cancel / abort all,
//! and "no orphans" when it is dropped.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use taskio::{JoinSet, TaskState};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const HOUR: Duration = Duration::from_secs(3600);
const LIMIT: Duration = Duration::from_secs(60);

mod support;
use support::{both, until};

/// The case: a server accepts on 127.0.0.1 and reaps its finished connection tasks in the
/// same `select!`, adding new ones as they come. Each connection task reads one byte and answers
/// with the byte + 1; the server returns the bytes it reaped.
async fn accept_loop_serves_and_reaps(clients: u8) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let live_max = Arc::new(AtomicUsize::new(0));
    let peak = live_max.clone();
    let server = taskio::task().name("server").spawn(async move {
        let mut conns = JoinSet::new();
        let (mut accepted, mut reaped) = (0u8, Vec::new());
        loop {
            tokio::select! {
                conn = listener.accept(), if accepted < clients => {
                    let (mut stream, _) = conn?;
                    accepted += 1;
                    conns.spawn_with(taskio::task().name(format!("conn-{accepted}")), async move {
                        let byte = stream.read_u8().await?;
                        stream.write_u8(byte + 1).await?;
                        taskio::Ok(byte)
                    });
                    peak.fetch_max(conns.len(), Ordering::SeqCst);
                }
                Some(outcome) = conns.join_next() => reaped.push(outcome?),
                else => break,
            }
        }
        reaped.sort();
        taskio::Ok(reaped)
    });
    let mut replies = Vec::new();
    for i in 0..clients {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream.write_u8(i).await.unwrap();
        replies.push(tokio::spawn(async move { stream.read_u8().await.unwrap() }));
    }
    for (i, reply) in replies.into_iter().enumerate() {
        assert_eq!(reply.await.unwrap(), i as u8 + 1);
    }
    let reaped = tokio::time::timeout(Duration::from_secs(30), server)
        .await
        .expect("the server returns")
        .unwrap();
    assert_eq!(reaped, (0..clients).collect::<Vec<_>>());
    assert!(live_max.load(Ordering::SeqCst) >= 1);
}

// Real sockets on a paused clock would let the clock jump while the runtime waits on I/O: this
// test runs on the real clock, on both runtimes.
#[tokio::test]
async fn an_accept_loop_adds_and_reaps_connection_tasks_in_one_select_current_thread() {
    accept_loop_serves_and_reaps(32).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accept_loop_adds_and_reaps_connection_tasks_in_one_select_multi_thread() {
    accept_loop_serves_and_reaps(32).await;
}

both! {
    async fn outcomes_come_in_completion_order_and_spawns_land_while_it_is_awaited() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<u64>();
        let mut set = JoinSet::new();
        set.spawn(async {
            taskio::sleep(UNIT * 3).await?;
            taskio::Ok(3)
        });
        let feeder = tokio::spawn(async move {
            tokio::time::sleep(UNIT).await;
            tx.send(1).unwrap();
            tokio::time::sleep(UNIT).await;
            tx.send(2).unwrap(); // a channel closing ends the feed
        });
        let mut order = Vec::new();
        let mut feeding = true;
        let body = async {
            loop {
                tokio::select! {
                    n = rx.recv(), if feeding => match n {
                        // spawned while the set's join_next is pending in the other branch
                        Some(n) => { set.spawn(async move { taskio::Ok(n * 10) }); }
                        None => feeding = false,
                    },
                    Some(outcome) = set.join_next() => order.push(outcome.unwrap()),
                    else => break,
                }
            }
        };
        tokio::time::timeout(LIMIT, body).await.expect("the loop ends");
        assert_eq!(order, [10, 20, 3]);
        feeder.await.unwrap();
        assert!(set.is_empty());
        assert!(set.join_next().await.is_none());
    }
}

both! {
    async fn cancel_all_lets_each_task_clean_up_and_its_outcome_comes_out() {
        let cleaned = Arc::new(AtomicUsize::new(0));
        let mut set = JoinSet::new();
        for _ in 0..5 {
            let cleaned = cleaned.clone();
            set.spawn(async move {
                if let Err(c) = taskio::sleep(HOUR).await {
                    taskio::sleep(UNIT).await.expect("cleanup is not cancelled again");
                    cleaned.fetch_add(1, Ordering::SeqCst);
                    return Err(c.into());
                }
                taskio::Ok(())
            });
        }
        let handles: Vec<_> = set.handles().collect();
        until(|| handles.iter().all(|h| h.state() == TaskState::Running)).await;
        assert_eq!(set.cancel_all_with("closing"), 5);
        let mut outcomes = 0;
        while let Some(outcome) = tokio::time::timeout(LIMIT, set.join_next()).await.unwrap() {
            let err = outcome.unwrap_err();
            assert_eq!(err.as_cancelled().unwrap().message(), Some("closing"));
            outcomes += 1;
        }
        assert_eq!((outcomes, cleaned.load(Ordering::SeqCst)), (5, 5));
    }
}

both! {
    async fn abort_all_stops_tasks_that_ignore_cancels() {
        let mut set = JoinSet::new();
        for _ in 0..3 {
            set.spawn(async {
                while taskio::current().is_some() {
                    let _ = taskio::sleep(UNIT).await; // swallows every cancel
                }
            });
        }
        set.cancel_all();
        set.abort_all();
        let outcomes: Vec<_> = tokio::time::timeout(LIMIT, (&mut set).collect::<Vec<_>>())
            .await
            .expect("aborted tasks end");
        assert_eq!(outcomes.len(), 3);
        assert!(outcomes.iter().all(|o| o.as_ref().unwrap_err().is_cancelled()));
    }
}

both! {
    async fn dropping_the_set_aborts_its_tasks_no_orphans() {
        struct Guard(Arc<AtomicUsize>);
        impl Drop for Guard {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
        let dropped = Arc::new(AtomicUsize::new(0));
        let mut set = JoinSet::new();
        for _ in 0..4 {
            let guard = Guard(dropped.clone());
            set.spawn(async move {
                let _guard = guard;
                std::future::pending::<()>().await; // no cancellation point at all
            });
        }
        let handles: Vec<_> = set.handles().collect();
        until(|| handles.iter().all(|h| h.state() == TaskState::Running)).await;
        drop(set);
        // On the multi-thread runtime a worker drops a future before it records the outcome:
        // wait for both.
        let all_done = || dropped.load(Ordering::SeqCst) == 4 && handles.iter().all(|h| h.is_done());
        tokio::time::timeout(LIMIT, until(all_done))
            .await
            .expect("every task's future is dropped, and every task ends");
        assert!(handles.iter().all(|h| h.state() == TaskState::Cancelled));
    }
}

both! {
    async fn the_set_is_a_stream_and_shutdown_returns_the_failures() {
        let mut set: JoinSet<u32> = (0..4u32)
            .map(|i| taskio::spawn(async move { taskio::Ok(i) }))
            .collect();
        let mut values: Vec<u32> = (&mut set).map(|o| o.unwrap()).collect().await;
        values.sort();
        assert_eq!(values, [0, 1, 2, 3]);

        set.spawn(async { Err(taskio::Error::msg("boom")) });
        set.spawn(async {
            taskio::sleep(HOUR).await?;
            taskio::Ok(9)
        });
        let h: Vec<_> = set.handles().collect();
        until(|| h.iter().all(|h| h.state() != TaskState::Pending)).await;
        let failures = tokio::time::timeout(LIMIT, set.shutdown()).await.unwrap();
        assert_eq!(failures.len(), 1);
        assert!(failures[0].to_string().contains("boom"));
        assert!(set.is_empty());
    }
}

both! {
    /// The set's consumer waker is whatever polls `join_next`: here a `FuturesUnordered`'s own
    /// waker, with the tasks waiting in tokio channels and completing in an order the test picks.
    /// Every completion reaches the reaper (nothing relies on the awaiting task's own waker).
    async fn join_next_inside_futures_unordered_sees_every_completion() {
        let mut senders = Vec::new();
        let mut set = JoinSet::new();
        for i in 0..3u64 {
            let (tx, rx) = tokio::sync::oneshot::channel::<u64>();
            let handle = set.spawn(async move { taskio::Ok(rx.await.unwrap() + i) });
            senders.push((tx, handle));
        }
        let mut reaper = futures_util::stream::FuturesUnordered::new();
        reaper.push(async move {
            let mut got = Vec::new();
            while let Some(outcome) = set.join_next().await {
                got.push(outcome.unwrap());
            }
            got
        });
        let feeder = async {
            // One at a time, each done before the next is sent: the completion order is fixed.
            for (n, (tx, handle)) in senders.into_iter().enumerate().rev() {
                tx.send(10 * n as u64).unwrap();
                until(|| handle.is_done()).await;
            }
        };
        let (got, ()) = tokio::time::timeout(LIMIT, async {
            tokio::join!(async { reaper.next().await.unwrap() }, feeder)
        })
        .await
        .expect("the reaper saw every completion");
        assert_eq!(got, [22, 11, 0]);
    }
}
