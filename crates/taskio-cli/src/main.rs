//! The `taskio` command: `taskio demo` runs the seeds' scenarios live, `taskio fetch` fetches
//! many URLs at once. Exit codes: 0 success, 1 some scenario/URL failed, 2 bad usage.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// taskio: Python asyncio's task model for Rust, live.
#[derive(Parser, Debug)]
#[command(name = "taskio", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run every scenario of the seed documents live, next to what asyncio prints and takes.
    Demo {
        /// Multiply the seeds' durations (1 = the seeds' own seconds).
        #[arg(long, default_value_t = 0.1)]
        scale: f64,
        /// One JSON object per scenario per line:
        /// {"scenario","expected_ms","measured_ms","ok","output",...}.
        #[arg(long)]
        json: bool,
        /// Run one scenario (e.g. `003/cancellable_work`, or just `cancellable_work`).
        #[arg(long, value_name = "NAME")]
        only: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
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
    }
}
