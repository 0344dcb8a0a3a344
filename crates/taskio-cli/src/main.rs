//! The `taskio` command: `taskio demo` runs the examples of five asyncio tutorials live, on
//! taskio and on asyncio; `taskio fetch` fetches many URLs at once. Exit codes: 0 success, 1
//! some scenario/URL failed, 2 bad usage; fetch also 130 (Ctrl-C) and 141 (stdout closed).
//! `taskio ps PID` / `taskio pstree PID` print another process's tasks: 0, or 1 with a
//! one-line error (no such process, not opted in, no answer).

use std::process::ExitCode;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};
use taskio_cli::fetch;

/// taskio: Python asyncio's task model for Rust, live.
#[derive(Parser, Debug)]
#[command(name = "taskio", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the examples of five asyncio tutorials live, on taskio and on asyncio, side by side.
    ///
    /// The project started from five asyncio tutorials: two lessons of a Python concurrency
    /// course ("Creating and Managing Tasks", "Tasks and Gathering Results"), a tutorial page on
    /// create_task and gather, a long tutorial on tasks, and an article on gather, create_task
    /// and TaskGroup. Each of their 18 examples runs here as a taskio program and, when python3
    /// 3.11+ is on PATH, as the tutorial's own asyncio program (crates/taskio-cli/asyncio/);
    /// every printed line shows when each side printed it, and each scenario ends with both
    /// times and whether the lines match. Without python3 asyncio's side is the tutorial's
    /// recorded output and duration, marked "recorded". The HTTP examples talk to an embedded
    /// server on 127.0.0.1.
    ///
    /// Exit code 0 when every scenario printed asyncio's lines in asyncio's order, in time; 1
    /// otherwise; 2 on bad usage.
    Demo {
        /// Multiply the tutorials' durations (1 = their own seconds: about 25 s per side).
        #[arg(long, default_value_t = 0.2)]
        scale: f64,
        /// One JSON object per scenario per line: {"scenario","expected_ms","measured_ms","ok",
        /// "output","asyncio_ms","asyncio_output","asyncio_source",...}.
        #[arg(long)]
        json: bool,
        /// Run one scenario (e.g. `003/cancellable_work`, or just `cancellable_work`).
        #[arg(long, value_name = "NAME")]
        only: Option<String>,
    },
    /// Fetch many URLs at once: results as they complete, then a summary table.
    ///
    /// Exit code 0 when every URL succeeded (2xx/3xx, body within --max-bytes), 1 when some
    /// failed, 2 on bad usage, 130 after Ctrl-C (the summary is still printed), 141 when stdout
    /// was closed (`| head -1`).
    Fetch {
        /// The URLs (http or https).
        #[arg(value_name = "URL")]
        urls: Vec<String>,
        /// Also fetch the URLs in FILE, one per line (`#` comments; `-` reads stdin).
        #[arg(short = 'f', long = "file", value_name = "FILE")]
        file: Option<PathBuf>,
        /// At most N requests in flight.
        #[arg(long, value_name = "N", default_value_t = 10,
              value_parser = clap::value_parser!(u64).range(1..))]
        limit: u64,
        /// Each request's time limit, connect to last byte (500ms, 2s, 1.5; more than 0).
        #[arg(long, value_name = "DURATION", default_value = "30s", value_parser = fetch::parse_timeout)]
        timeout: Duration,
        /// Run every URL and report every outcome (default: the first failure cancels the rest).
        #[arg(long)]
        settled: bool,
        /// One JSON object per URL as it completes, then {"summary": ...}.
        #[arg(long)]
        json: bool,
        /// Cut (and report as failed) bodies larger than this (1024, 64k, 10MiB).
        #[arg(long, value_name = "SIZE", default_value = "10MiB", value_parser = fetch::parse_size)]
        max_bytes: u64,
        /// Start the embedded demo server and fetch a set of its URLs (plus any given).
        #[arg(long)]
        demo: bool,
    },
    /// Print the tasks of a running taskio process: id, name, state, age, parent, spawn site.
    ///
    /// Python 3.14's `python -m asyncio ps PID`. The process must have opted in: started with
    /// TASKIO_INSPECT=1 (its `taskio::run`), or calling `taskio::inspect::serve()` or
    /// `Runner::inspect(true)`. It answers on a Unix socket only its user can open. Exit code
    /// 0, or 1 with a one-line error (no such process, it did not opt in, no answer in time).
    Ps(Inspect),
    /// Print the tasks of a running taskio process as a tree, each under its spawner.
    ///
    /// Python 3.14's `python -m asyncio pstree PID`; see `taskio ps --help` for opting in.
    Pstree(Inspect),
}

/// The arguments of `ps` and `pstree`.
#[derive(clap::Args, Debug)]
struct Inspect {
    /// The process id.
    #[arg(value_name = "PID")]
    pid: u32,
    /// Print the process's JSON document as it sent it: {"taskio":1,"pid":..,"tasks":[{"id",
    /// "name","state","age","parent","spawned_at","cancelling"},...]}.
    #[arg(long)]
    json: bool,
    /// How long to wait for the answer.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = fetch::parse_timeout)]
    timeout: Duration,
}

fn inspect(name: &str, args: Inspect, view: taskio_cli::ps::View) -> ExitCode {
    match taskio_cli::ps::run(args.pid, view, args.json, args.timeout) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("taskio {name}: {e}");
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Ps(args) => inspect("ps", args, taskio_cli::ps::View::Table),
        Command::Pstree(args) => inspect("pstree", args, taskio_cli::ps::View::Tree),
        Command::Demo { scale, json, only } => {
            match taskio_cli::demo::run(taskio_cli::demo::DemoOptions { scale, json, only }) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::from(1),
                Err(e) => {
                    eprintln!("taskio demo: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Fetch {
            urls,
            file,
            limit,
            timeout,
            settled,
            json,
            max_bytes,
            demo,
        } => {
            let options = fetch::FetchOptions {
                urls,
                file,
                limit: usize::try_from(limit).unwrap_or(usize::MAX),
                timeout,
                settled,
                json,
                max_bytes,
                demo,
            };
            match fetch::run(options) {
                Ok(verdict) => ExitCode::from(verdict.exit_code()),
                Err(e) => {
                    eprintln!("taskio fetch: {e}");
                    ExitCode::from(2)
                }
            }
        }
    }
}
