//! The CPython side: `python3 bench/asyncio_bench.py WORKLOAD IMPL LOOP N`, and which event loops
//! are there (asyncio always with python3 on PATH; uvloop when it imports).

use std::path::PathBuf;
use std::process::Command;

use crate::runtime::Runtime;

/// `bench/asyncio_bench.py` in this repository.
pub fn script() -> PathBuf {
    crate::report::repo_root().join("bench/asyncio_bench.py")
}

/// The Python event loops this machine can run: none without `python3`, asyncio's, and
/// uvloop's when `import uvloop` works.
pub fn available_loops() -> Vec<Runtime> {
    let ok = |code: &str| {
        Command::new("python3")
            .args(["-c", code])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let mut loops = Vec::new();
    if ok("import asyncio") {
        loops.push(Runtime::Cpython);
        if ok("import uvloop") {
            loops.push(Runtime::Uvloop);
        }
    }
    loops
}

/// The command that runs one case in CPython.
pub fn command(workload: &str, imp: &str, runtime: Runtime, n: usize) -> Command {
    let mut cmd = Command::new("python3");
    cmd.arg(script()).args([
        workload,
        imp,
        if runtime == Runtime::Uvloop {
            "uvloop"
        } else {
            "asyncio"
        },
        &n.to_string(),
    ]);
    cmd
}

/// `python3 --version` and uvloop's version, for the report.
pub fn versions() -> String {
    let out = |args: &[&str]| {
        Command::new("python3")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| {
                let mut s = String::from_utf8_lossy(&o.stdout).trim().to_owned();
                if s.is_empty() {
                    s = String::from_utf8_lossy(&o.stderr).trim().to_owned();
                }
                s
            })
    };
    let py = out(&["--version"]).unwrap_or_else(|| "no python3 on PATH".to_owned());
    let uv = out(&["-c", "import uvloop; print(uvloop.__version__)"]).map_or_else(
        || "uvloop not importable (skipped)".to_owned(),
        |v| format!("uvloop {v}"),
    );
    format!("{py}; {uv}")
}
