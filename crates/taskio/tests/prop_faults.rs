//! Property test of the fault paths: a root task runs a gather, a settled gather or a task group
//! over spawned leaves that wait in taskio sleeps, tokio sleeps or a `FuturesUnordered`, then
//! end in a value, an error, a panic, an error whose `Display` panics, or a value whose body
//! panics when it is dropped. The root may be cancelled at a random time, and the combinator may
//! be dropped at a random time (under `tokio::time::timeout`). Checked on every case, on the
//! paused clock:
//! - the case ends (no hang);
//! - when the combinator returns, no leaf is alive;
//! - each leaf ends in exactly one outcome, which does not change afterwards;
//! - every failure (error or panic) of a leaf is returned to the root or reported through
//!   `tracing`, exactly once; a leaf that ended cancelled or with a value has none.
//!
//! `PROPTEST_CASES` sets the number of cases.

mod support;

use std::sync::Arc;
use std::time::Duration;

use proptest::prelude::*;
use support::capture::{install, reports_with};
use support::faults::{BadDisplay, DropBomb, WaitIn, wait_in};
use taskio::{TaskHandle, TaskState};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Ok,
    Fail,
    Panic,
    /// An error whose `Display` panics.
    BadDisplay,
    /// A value, but the body holds something whose `Drop` panics.
    DropBomb,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Gather,
    Settled,
    Group,
}

#[derive(Clone, Debug)]
struct Case {
    mode: Mode,
    leaves: Vec<(u64, WaitIn, End)>,
    /// The root is cancelled after this many ms.
    cancel_root: Option<u64>,
    /// The combinator is dropped after this many ms.
    drop_after: Option<u64>,
}

fn case() -> impl Strategy<Value = Case> {
    let leaf = (
        0u64..6,
        prop_oneof![
            Just(WaitIn::Taskio),
            Just(WaitIn::Tokio),
            Just(WaitIn::Unordered)
        ],
        prop_oneof![
            3 => Just(End::Ok),
            1 => Just(End::Fail),
            1 => Just(End::Panic),
            1 => Just(End::BadDisplay),
            1 => Just(End::DropBomb),
        ],
    )
        .prop_map(|(d, w, e)| (d * 10, w, e));
    (
        prop_oneof![Just(Mode::Gather), Just(Mode::Settled), Just(Mode::Group)],
        proptest::collection::vec(leaf, 1..6),
        proptest::option::weighted(0.3, 0u64..6),
        proptest::option::weighted(0.3, 0u64..6),
    )
        .prop_map(|(mode, leaves, c, d)| Case {
            mode,
            leaves,
            cancel_root: c.map(|t| t * 10 + 5),
            drop_after: d.map(|t| t * 10 + 5),
        })
}

async fn leaf(ms: u64, wait: WaitIn, end: End) -> taskio::Result<u64> {
    #[allow(clippy::unnecessary_lazy_evaluations)] // eager would build (and drop) the bomb
    let _bomb = (end == End::DropBomb).then(|| DropBomb);
    wait_in(wait, ms).await?;
    match end {
        End::Ok | End::DropBomb => Ok(ms),
        End::Fail => Err(taskio::Error::msg("leaf failed")),
        End::Panic => panic!("leaf panicked"),
        End::BadDisplay => Err(taskio::Error::new(BadDisplay)),
    }
}

fn name(case: u64, i: usize) -> String {
    format!("pf{case}x{i}y")
}

/// Failures returned to the root, by leaf name.
fn returned(out: &taskio::Result<Vec<taskio::Result<u64>>>, into: &mut Vec<String>) {
    match out {
        Ok(outcomes) => {
            for e in outcomes.iter().filter_map(|o| o.as_ref().err()) {
                if e.is_failure() {
                    into.extend(e.task_name().map(str::to_owned));
                }
            }
        }
        Err(e) => match e.group_errors() {
            Some(errors) => into.extend(
                errors
                    .iter()
                    .filter_map(|e| e.task_name().map(str::to_owned)),
            ),
            None if e.is_failure() => into.extend(e.task_name().map(str::to_owned)),
            None => {}
        },
    }
}

async fn run_case(c: Case, id: u64) -> Result<(), String> {
    let spawned: Arc<std::sync::Mutex<Vec<TaskHandle>>> = Arc::default();
    let back_out: Arc<std::sync::Mutex<Option<Vec<String>>>> = Arc::default();
    let root = taskio::spawn({
        let c = c.clone();
        let spawned = spawned.clone();
        let back_in = back_out.clone();
        async move {
            let combinator = async {
                match c.mode {
                    Mode::Group => {
                        let leaves = c.leaves.clone();
                        let spawned = spawned.clone();
                        taskio::task_group(move |tg| async move {
                            for (i, &(ms, w, e)) in leaves.iter().enumerate() {
                                let t = tg
                                    .spawn_with(taskio::task().name(name(id, i)), leaf(ms, w, e))?;
                                spawned.lock().unwrap().push(t.handle());
                            }
                            taskio::Ok(Vec::new())
                        })
                        .await
                    }
                    Mode::Gather | Mode::Settled => {
                        let mut tasks: Vec<_> = c
                            .leaves
                            .iter()
                            .enumerate()
                            .map(|(i, &(ms, w, e))| {
                                taskio::task().name(name(id, i)).spawn(leaf(ms, w, e))
                            })
                            .collect();
                        spawned
                            .lock()
                            .unwrap()
                            .extend(tasks.iter().map(|t| t.handle()));
                        if c.mode == Mode::Settled {
                            taskio::gather_settled(tasks.iter_mut()).await
                        } else {
                            taskio::gather(tasks.iter_mut())
                                .await
                                .map(|vs| vs.into_iter().map(Ok).collect())
                        }
                    }
                }
            };
            // `None`: the combinator was dropped half-way.
            let r = match c.drop_after {
                Some(ms) => tokio::time::timeout(Duration::from_millis(ms), combinator)
                    .await
                    .ok(),
                None => Some(combinator.await),
            };
            // What came back is noted here: the root may still end cancelled (a request put
            // back by the group), which drops its value, as asyncio drops the result then.
            if let Some(r) = &r {
                let mut names = Vec::new();
                match r {
                    Ok(outcomes) => returned(&Ok(outcomes.clone_results()), &mut names),
                    Err(e) => returned(&Err(e.clone()), &mut names),
                }
                *back_in.lock().unwrap() = Some(names);
            }
            taskio::Ok(r)
        }
    });
    if let Some(ms) = c.cancel_root {
        let h = root.handle();
        drop(taskio::spawn(async move {
            taskio::sleep(Duration::from_millis(ms)).await?;
            h.cancel();
            taskio::Ok(())
        }));
    }
    let out = root.await;
    let came_back = back_out.lock().unwrap().take();
    let back = came_back.clone().unwrap_or_default();
    let handles: Vec<TaskHandle> = spawned.lock().unwrap().clone();
    // When the combinator returned, nothing it started is alive.
    let at_return: Vec<TaskState> = handles.iter().map(|h| h.state()).collect();
    if came_back.is_some()
        && let Some(h) = handles.iter().find(|h| !h.is_done())
    {
        return Err(format!("{} alive after the combinator returned", h.name()));
    }
    // Let every leaf end (a dropped gather's leaves run on, detached), then check.
    let names: Vec<String> = (0..c.leaves.len()).map(|i| name(id, i)).collect();
    for _ in 0..1000 {
        if taskio::all_tasks().iter().all(|t| !names.contains(&t.name)) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    if let Some(t) = taskio::all_tasks().iter().find(|t| names.contains(&t.name)) {
        return Err(format!("{} never ended", t.name));
    }
    let states: Vec<Option<TaskState>> = names
        .iter()
        .map(|n| handles.iter().find(|h| h.name() == *n).map(|h| h.state()))
        .collect();
    for (h, before) in handles.iter().zip(&at_return) {
        if before.is_done() && h.state() != *before {
            return Err(format!(
                "{} changed its outcome: {before:?} then {:?}",
                h.name(),
                h.state()
            ));
        }
    }
    for (i, n) in names.iter().enumerate() {
        // Failure reports only (not the debug event of a cancel delivered by dropping a wait).
        let reported = reports_with(n)
            .iter()
            .filter(|r| !r.contains("no async cleanup ran there"))
            .count();
        let got = back.iter().filter(|b| *b == n).count() + reported;
        let end = c.leaves[i].2;
        let may_fail = end != End::Ok;
        if got > 1 {
            return Err(format!(
                "{n} ({end:?}): seen {got} times (returned {back:?}, reports {reported})"
            ));
        }
        if !may_fail && got != 0 {
            return Err(format!(
                "{n} ({end:?}): a failure from a leaf that cannot fail: returned {back:?}, reports {:?}; out {:?}",
                reports_with(n),
                out.as_ref().map(|o| o
                    .as_ref()
                    .map(|r| r.as_ref().map(|v| v.len()).map_err(|e| format!("{e:?}"))))
            ));
        }
        if let Some(state) = states[i] {
            let failed = matches!(state, TaskState::Panicked)
                || (state == TaskState::Finished && matches!(end, End::Fail | End::BadDisplay));
            if failed && got != 1 {
                return Err(format!(
                    "{n} ({end:?}) ended {state:?} but was seen {got} times; out {:?}",
                    out.as_ref().map(|o| o
                        .as_ref()
                        .map(|r| r.as_ref().map(|v| v.len()).map_err(|e| format!("{e:?}"))))
                ));
            }
            if !failed && got != 0 {
                return Err(format!(
                    "{n} ({end:?}) ended {state:?} but a failure was seen"
                ));
            }
        }
    }
    Ok(())
}

trait CloneResults {
    fn clone_results(&self) -> Vec<taskio::Result<u64>>;
}

impl CloneResults for Vec<taskio::Result<u64>> {
    fn clone_results(&self) -> Vec<taskio::Result<u64>> {
        self.iter()
            .map(|r| match r {
                Ok(v) => Ok(*v),
                Err(e) => Err(e.clone()),
            })
            .collect()
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: support::proptest_cases(2048), failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn faults_end_in_one_outcome_and_every_failure_is_seen_once(c in case()) {
        install();
        // The leaves' panics are expected; keep the output readable.
        static QUIET: std::sync::Once = std::sync::Once::new();
        QUIET.call_once(|| {
            let default = std::panic::take_hook();
            std::panic::set_hook(Box::new(move |info| {
                let payload = info
                    .payload()
                    .downcast_ref::<&str>()
                    .copied()
                    .or_else(|| info.payload().downcast_ref::<String>().map(String::as_str));
                if !matches!(payload, Some("drop bomb" | "display bomb" | "leaf panicked")) {
                    default(info);
                }
            }));
        });
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        let c2 = c.clone();
        let verdict = rt.block_on(async move {
            match tokio::time::timeout(Duration::from_secs(3600), run_case(c2, id)).await {
                Ok(v) => v,
                Err(_) => Err("the case hung".to_owned()),
            }
        });
        prop_assert!(verdict.is_ok(), "{:?}: {}", c, verdict.unwrap_err());
    }
}
