//! A supervisor group for a server: 1M failing children, each failure handed to the program as it
//! happens, and the process's resident memory stays within 10 MiB of where it started. Alone in
//! its test binary, so that no other test moves the RSS.
//!
//! `cargo test -p taskio --release --test supervisor_rss -- --ignored --nocapture` (see
//! TESTING.md; ignored in debug builds, where 1M tasks take too long; `server_group.rs` checks the
//! same in debug by counting what is retained).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const CHILDREN: usize = 1_000_000;
const WARM_UP: usize = 50 * 1024;
const MIB: usize = 1 << 20;

/// Resident bytes, from `/proc/self/statm` (its second field, in pages of 4 KiB).
fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("read /proc/self/statm");
    let pages: usize = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}

#[test]
#[ignore = "1M tasks: run in release, see TESTING.md"]
fn a_supervisor_group_with_a_million_failing_children_keeps_its_rss_flat() {
    let failures = Arc::new(AtomicUsize::new(0));
    let f = failures.clone();
    let (start, peak) = taskio::run(async move {
        taskio::group()
            .on_failure(move |_error| {
                f.fetch_add(1, Ordering::Relaxed);
            })
            .run(|tg| async move {
                let (mut start, mut peak) = (0, 0);
                for i in 0..CHILDREN {
                    drop(tg.spawn(async move {
                        Err::<(), _>(taskio::Error::msg(format!("connection {i} reset")))
                    })?);
                    if i % 1024 == 1023 {
                        while tg.len() > 256 {
                            tokio::task::yield_now().await;
                        }
                        if i + 1 == WARM_UP {
                            start = rss_bytes();
                        } else if i + 1 > WARM_UP {
                            peak = peak.max(rss_bytes());
                        }
                    }
                }
                taskio::Ok((start, peak))
            })
            .await
    })
    .expect("no group error: every failure was handed over");
    assert_eq!(failures.load(Ordering::Relaxed), CHILDREN);
    let grown = peak.saturating_sub(start);
    println!(
        "RSS after {WARM_UP} children: {:.1} MiB; peak over {CHILDREN}: {:.1} MiB (+{:.2} MiB)",
        start as f64 / MIB as f64,
        peak as f64 / MIB as f64,
        grown as f64 / MIB as f64
    );
    assert!(grown < 10 * MIB, "RSS grew by {grown} bytes");
}
