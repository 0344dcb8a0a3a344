//! The workloads, one file each. Every workload exposes `run(imp, n)`, which returns the future
//! that performs and times one measurement in the implementation `imp`, or `None` when that
//! workload has no such implementation.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

pub mod token;
pub mod w10_eager;
pub mod w11_join_set;
pub mod w1_spawn;
pub mod w2_memory;
pub mod w3_sleep;
pub mod w4_as_completed;
pub mod w5_wait;
pub mod w6_group;
pub mod w7_inline;
pub mod w8_async_tree;
pub mod w9_cancellable;

/// One measurement, as a worker reports it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    /// The measured span.
    pub elapsed: Duration,
    /// What `elapsed` is divided by for the per-unit figure (tasks, calls or polls).
    pub units: f64,
    /// Resident bytes per task, for the memory workloads.
    pub rss_bytes_per_task: Option<f64>,
}

impl Sample {
    /// A sample of `elapsed` over `units` units.
    pub fn timed(elapsed: Duration, units: usize) -> Sample {
        Sample {
            elapsed,
            units: units as f64,
            rss_bytes_per_task: None,
        }
    }

    /// Nanoseconds per unit.
    pub fn ns_per_unit(&self) -> f64 {
        self.elapsed.as_nanos() as f64 / self.units.max(1.0)
    }
}

/// The measured future of a case.
pub type CaseFuture = Pin<Box<dyn Future<Output = Sample> + Send + 'static>>;

/// The future that measures `workload` in `imp` with size `n`.
pub fn case(workload: &str, imp: &str, n: usize) -> Option<CaseFuture> {
    match workload {
        "W1" => w1_spawn::run(imp, n),
        "W2" => w2_memory::run(imp, n),
        "W3" => w3_sleep::run(imp, n),
        "W4" => w4_as_completed::run(imp, n),
        "W5" => w5_wait::run(imp, n),
        "W6-trivial" => w6_group::run_trivial(imp, n),
        "W6-failure" => w6_group::run_failure(imp, n),
        "W7" => w7_inline::run(imp, n, false),
        "W7-yield" => w7_inline::run(imp, n, true),
        w if w.starts_with("W8-") => {
            use w8_async_tree::Leaf;
            let (leaf, shape) = w["W8-".len()..].rsplit_once('-')?;
            let leaf = match leaf {
                "none" => Leaf::None,
                "io" => Leaf::Io,
                "memoization" => Leaf::Memoization,
                "cpu_io_mixed" => Leaf::CpuIoMixed,
                _ => return None,
            };
            w8_async_tree::run(leaf, shape == "tg", imp, n)
        }
        "W9-yield" => w9_cancellable::run_yield(imp, n),
        "W9-poll" => w9_cancellable::run_poll(imp, n),
        "W10" => w10_eager::run(imp, n),
        "W11" => w11_join_set::run(imp, n),
        _ => None,
    }
}

/// Checks that every trivial task gave its value back, so no work is optimised away.
pub fn check_sum(sum: usize, n: usize) {
    let want = n * n.saturating_sub(1) / 2;
    assert_eq!(sum, want, "the tasks' values did not add up");
}
