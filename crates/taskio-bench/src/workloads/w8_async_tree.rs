//! W8: pyperformance's `bm_async_tree`, ported: a tree 6 levels deep and 6 wide whose 6⁶ = 46,656
//! leaves run a workload; each inner node gathers its 6 children (`W8-*-gather`) or runs them in
//! a task group (`W8-*-tg`). Leaf variants, as in pyperformance:
//!
//! - `none`: nothing;
//! - `io`: sleep 50 ms;
//! - `memoization`: draw `randint(1, 100)`; 90 % of the values are memoisable, and a value already
//!   seen returns at once, otherwise sleep 50 ms;
//! - `cpu_io_mixed`: with probability ½ compute `factorial(500)` (a big integer), else as
//!   `memoization`.
//!
//! asyncio's `gather(*coroutines)` wraps each coroutine in a task, so the faithful ports spawn:
//! taskio spawn + `gather`, tokio spawn + await each `JoinHandle` (and `taskio-await`, its taskio
//! mirror, to tell the gather's cost from the spawns'); `taskio-gather-inline` and
//! `join_all` poll the children inline instead. For task groups: taskio `task_group`, tokio
//! `JoinSet`. `n` is the number of leaves (a power of 6; 6⁴ in --quick).

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::{CaseFuture, Sample};

const BRANCHES: usize = 6;
const IO_SLEEP: Duration = Duration::from_millis(50);
const MEMOIZABLE_PERCENTAGE: u64 = 90;
const CPU_PROBABILITY: f64 = 0.5;
const FACTORIAL_N: u64 = 500;

/// A leaf variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Leaf {
    /// No work.
    None,
    /// Sleep 50 ms.
    Io,
    /// 90 % memoised, the rest sleep.
    Memoization,
    /// Half factorial(500), half memoisation.
    CpuIoMixed,
}

struct Tree {
    leaf: Leaf,
    taskio_sleep: bool,
    state: Mutex<State>,
}

/// The random stream (seeded, deterministic) and the memo, as `AsyncTree` keeps them.
struct State {
    rng: u64,
    cache: [bool; 101],
}

impl State {
    /// SplitMix64: a small deterministic generator in place of Python's seeded Mersenne Twister.
    fn next(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn randint_1_100(&mut self) -> u64 {
        1 + self.next() % 100
    }

    fn random(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

type BoxFut = Pin<Box<dyn Future<Output = taskio::Result<()>> + Send>>;

impl Tree {
    async fn io(&self) -> taskio::Result<()> {
        if self.taskio_sleep {
            taskio::sleep(IO_SLEEP).await?;
        } else {
            tokio::time::sleep(IO_SLEEP).await;
        }
        Ok(())
    }

    /// Whether the memoised path needs the mock I/O call.
    fn memo_miss(&self) -> bool {
        let mut s = self.state.lock().expect("tree state");
        let data = s.randint_1_100();
        if data <= MEMOIZABLE_PERCENTAGE {
            if s.cache[data as usize] {
                return false;
            }
            s.cache[data as usize] = true;
        }
        true
    }

    async fn workload(&self) -> taskio::Result<()> {
        match self.leaf {
            Leaf::None => {}
            Leaf::Io => self.io().await?,
            Leaf::Memoization => {
                if self.memo_miss() {
                    self.io().await?;
                }
            }
            Leaf::CpuIoMixed => {
                let cpu = self.state.lock().expect("tree state").random() < CPU_PROBABILITY;
                if cpu {
                    black_box(factorial(black_box(FACTORIAL_N)));
                } else if self.memo_miss() {
                    self.io().await?;
                }
            }
        }
        Ok(())
    }
}

/// `n!` as little-endian 64-bit limbs: the big-integer work of `math.factorial(500)`.
fn factorial(n: u64) -> Vec<u64> {
    let mut limbs = vec![1u64];
    for k in 2..=n {
        let mut carry = 0u128;
        for limb in &mut limbs {
            let v = u128::from(*limb) * u128::from(k) + carry;
            *limb = v as u64;
            carry = v >> 64;
        }
        if carry > 0 {
            limbs.push(carry as u64);
        }
    }
    limbs
}

fn taskio_gather(tree: Arc<Tree>, level: u32) -> BoxFut {
    Box::pin(async move {
        if level == 0 {
            return tree.workload().await;
        }
        let children: Vec<_> = (0..BRANCHES)
            .map(|_| taskio::spawn(taskio_gather(tree.clone(), level - 1)))
            .collect();
        taskio::gather(children).await?;
        Ok(())
    })
}

/// The mirror of `tokio_await`: taskio spawn, then await each handle in turn (what the gather
/// of spawned children costs beyond the spawns shows against `taskio_gather`).
fn taskio_await(tree: Arc<Tree>, level: u32) -> BoxFut {
    Box::pin(async move {
        if level == 0 {
            return tree.workload().await;
        }
        let children: Vec<_> = (0..BRANCHES)
            .map(|_| taskio::spawn(taskio_await(tree.clone(), level - 1)))
            .collect();
        for c in children {
            c.await?;
        }
        Ok(())
    })
}

fn taskio_gather_inline(tree: Arc<Tree>, level: u32) -> BoxFut {
    Box::pin(async move {
        if level == 0 {
            return tree.workload().await;
        }
        taskio::gather((0..BRANCHES).map(|_| taskio_gather_inline(tree.clone(), level - 1)))
            .await?;
        Ok(())
    })
}

fn taskio_group(tree: Arc<Tree>, level: u32) -> BoxFut {
    Box::pin(async move {
        if level == 0 {
            return tree.workload().await;
        }
        taskio::task_group(|tg| async move {
            for _ in 0..BRANCHES {
                drop(tg.spawn(taskio_group(tree.clone(), level - 1))?);
            }
            taskio::Ok(())
        })
        .await
    })
}

fn tokio_await(tree: Arc<Tree>, level: u32) -> BoxFut {
    Box::pin(async move {
        if level == 0 {
            return tree.workload().await;
        }
        let children: Vec<_> = (0..BRANCHES)
            .map(|_| tokio::spawn(tokio_await(tree.clone(), level - 1)))
            .collect();
        for c in children {
            c.await.expect("child task")?;
        }
        Ok(())
    })
}

fn tokio_joinset(tree: Arc<Tree>, level: u32) -> BoxFut {
    Box::pin(async move {
        if level == 0 {
            return tree.workload().await;
        }
        let mut set = tokio::task::JoinSet::new();
        for _ in 0..BRANCHES {
            set.spawn(tokio_joinset(tree.clone(), level - 1));
        }
        while let Some(r) = set.join_next().await {
            if let Err(e) = r.expect("child task") {
                set.abort_all();
                return Err(e);
            }
        }
        Ok(())
    })
}

fn join_all(tree: Arc<Tree>, level: u32) -> BoxFut {
    Box::pin(async move {
        if level == 0 {
            return tree.workload().await;
        }
        for r in
            futures_util::future::join_all((0..BRANCHES).map(|_| join_all(tree.clone(), level - 1)))
                .await
        {
            r?;
        }
        Ok(())
    })
}

/// The levels of a tree with `leaves` leaves.
fn levels(leaves: usize) -> u32 {
    let mut levels = 0;
    let mut size = 1;
    while size < leaves {
        size *= BRANCHES;
        levels += 1;
    }
    assert_eq!(size, leaves, "W8's n is a power of 6");
    levels
}

/// The measured future of `W8-<leaf>-<gather|tg>` for `imp`.
pub fn run(leaf: Leaf, task_groups: bool, imp: &str, n: usize) -> Option<CaseFuture> {
    let root: fn(Arc<Tree>, u32) -> BoxFut = match (task_groups, imp) {
        (false, "taskio-gather") => taskio_gather,
        (false, "taskio-gather-inline") => taskio_gather_inline,
        (false, "taskio-await") => taskio_await,
        (false, "tokio-await") => tokio_await,
        (false, "join_all") => join_all,
        (true, "taskio-group") => taskio_group,
        (true, "tokio-joinset") => tokio_joinset,
        _ => return None,
    };
    let tree = Arc::new(Tree {
        leaf,
        taskio_sleep: imp.starts_with("taskio"),
        state: Mutex::new(State {
            rng: 0,
            cache: [false; 101],
        }),
    });
    let levels = levels(n);
    Some(Box::pin(async move {
        let start = Instant::now();
        root(tree, levels).await.expect("the tree");
        Sample::timed(start.elapsed(), n)
    }))
}
