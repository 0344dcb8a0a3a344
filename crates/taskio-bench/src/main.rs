//! `taskio-bench`: taskio side by side with raw tokio, futures-util and CPython asyncio.
//!
//! `cargo run --release -p taskio-bench -- [--quick] [--json] [--only W1]` runs every workload
//! in every implementation, each workload/implementation pair in a process of its own (this
//! binary re-executed with the hidden `worker` subcommand, or `python3 bench/asyncio_bench.py`),
//! repeats each, takes medians, and prints the table with ratios and targets. A full run (no
//! `--quick`, no `--only`) also writes `bench/RESULTS.md`. See `bench/README.md`.

mod cases;
mod orchestrate;
mod python;
mod report;
mod rss;
mod runtime;
mod targets;
mod worker;
mod workloads;

use clap::{Parser, Subcommand};

/// Command line of the harness.
#[derive(Parser, Debug)]
#[command(
    name = "taskio-bench",
    about = "taskio vs tokio vs futures vs CPython asyncio"
)]
struct Cli {
    /// Small sizes and 2 runs per case: a smoke test for CI (under a minute).
    #[arg(long)]
    quick: bool,
    /// Print one JSON object per case and line instead of the table.
    #[arg(long)]
    json: bool,
    /// Only these workloads: a comma-separated list of ids, each matching itself and its `-`
    /// variants (`W8` is every `W8-*`), e.g. `--only W1,W5`.
    #[arg(long)]
    only: Option<String>,
    /// Runs per case (default 5, 2 with --quick); the median is reported.
    #[arg(long)]
    runs: Option<usize>,
    /// Where to write the report (default: bench/RESULTS.md on a full run, nowhere otherwise).
    #[arg(long)]
    out: Option<std::path::PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Runs one case in this process and prints its sample as JSON (used by the harness).
    #[command(hide = true)]
    Worker {
        workload: String,
        imp: String,
        runtime: String,
        n: usize,
    },
}

fn main() {
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Worker {
            workload,
            imp,
            runtime,
            n,
        }) => worker::main(&workload, &imp, &runtime, n),
        None => orchestrate::main(orchestrate::Options {
            quick: cli.quick,
            json: cli.json,
            only: cli.only,
            runs: cli.runs.unwrap_or(if cli.quick { 2 } else { 5 }),
            out: cli.out,
        }),
    }
}
