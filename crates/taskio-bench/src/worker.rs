//! The hidden `worker` subcommand: runs one case in this fresh process and prints its sample
//! as one JSON line on stdout, for the harness to read.

use crate::runtime::{Runtime, block_on};
use crate::workloads;

/// Runs `workload` in `imp` on `runtime` with size `n`, and prints the sample.
pub fn main(workload: &str, imp: &str, runtime: &str, n: usize) {
    let rt = Runtime::parse(runtime).unwrap_or_else(|| fail(&format!("unknown runtime {runtime}")));
    let Some(fut) = workloads::case(workload, imp, n) else {
        fail(&format!("no implementation {imp} of {workload}"))
    };
    let sample = block_on(rt, imp.starts_with("taskio"), fut);
    let rss = sample
        .rss_bytes_per_task
        .map_or_else(|| "null".to_owned(), |b| format!("{b:.1}"));
    println!(
        "{{\"ns_per_task\":{:.2},\"total_ms\":{:.3},\"rss_bytes_per_task\":{rss}}}",
        sample.ns_per_unit(),
        sample.elapsed.as_secs_f64() * 1e3,
    );
}

fn fail(msg: &str) -> ! {
    eprintln!("taskio-bench worker: {msg}");
    std::process::exit(2)
}
