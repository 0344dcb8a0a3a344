//! What the integration tests share: the `both!` macro (a test body on both runtime flavours),
//! a time unit that is exact on the paused clock and real (but coarse) on the multi-thread
//! runtime, and waiting for a condition that other workers bring about.

#![allow(dead_code, unused_macros, unused_imports)]

use std::time::Duration;

use tokio::time::Instant;

pub mod capture;
pub mod faults;

/// Runs an async test body on both runtime flavours. In the body, `UNIT` is one second on the
/// paused current-thread clock and 100 ms of real time on the 2-worker multi-thread runtime,
/// and `PAUSED` says which clock runs.
macro_rules! both {
    ($(#[$m:meta])* async fn $name:ident() $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $(#[$m])*
            #[tokio::test(start_paused = true)]
            async fn current_thread() {
                #[allow(dead_code)]
                const PAUSED: bool = true;
                #[allow(dead_code)]
                const UNIT: std::time::Duration = std::time::Duration::from_secs(1);
                $body
            }
            $(#[$m])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn multi_thread() {
                #[allow(dead_code)]
                const PAUSED: bool = false;
                #[allow(dead_code)]
                const UNIT: std::time::Duration = std::time::Duration::from_millis(100);
                $body
            }
        }
    };
}
pub(crate) use both;

/// The number of cases a property test runs: `PROPTEST_CASES`, or `default`.
pub fn proptest_cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `units` of `unit`.
pub fn units(unit: Duration, units: f64) -> Duration {
    unit.mul_f64(units)
}

/// Asserts that `start.elapsed()` is exactly `expected` on the paused clock, and at least
/// `expected` (with room for a loaded machine above) on the real one.
pub fn assert_took(paused: bool, start: Instant, expected: Duration) {
    let took = start.elapsed();
    if paused {
        assert_eq!(
            took, expected,
            "took {took:?}, expected exactly {expected:?}"
        );
    } else {
        assert!(
            took >= expected,
            "took {took:?}, expected at least {expected:?}"
        );
    }
}

/// Yields until `cond` holds (for the multi-thread runtime, where other workers make progress).
pub async fn until(cond: impl Fn() -> bool) {
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if cond() {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!("condition never became true");
}

/// Asserts that `start.elapsed()` is exactly `expected` on the paused clock, and on the real
/// one at least `expected` and well short of what a wait that was never interrupted would take
/// (the waits these tests interrupt are 100 units long or more).
pub fn assert_ended_at(paused: bool, start: Instant, expected: Duration) {
    assert_took(paused, start, expected);
    if !paused {
        let took = start.elapsed();
        let bound = expected + Duration::from_secs(3);
        assert!(
            took < bound,
            "took {took:?}: the wait was not interrupted at {expected:?}"
        );
    }
}

/// Runs `body` under a bound of real time that fails the test instead of letting it hang.
pub async fn bounded<F: std::future::Future>(body: F) -> F::Output {
    match tokio::time::timeout(Duration::from_secs(60), body).await {
        Ok(out) => out,
        Err(_) => panic!("the test hung (60 s)"),
    }
}

/// Runs test `test` of this test binary again, in a child process with `env` set (the child
/// sees its role in the environment), and gives the lines of its stderr that contain `word`.
/// Fails if the child's test fails.
#[allow(dead_code)] // only the tests that need a fresh process use it
pub fn child_stderr_lines(test: &str, env: &[(&str, &str)], word: &str) -> Vec<String> {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test, "--exact", "--test-threads=1"])
        .envs(env.iter().copied())
        .output()
        .expect("the test binary re-executes itself");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(word))
        .map(str::to_owned)
        .collect()
}
