//! asyncio's side of the demo, run for real: each scenario's asyncio program (the seed's code,
//! in `crates/taskio-cli/asyncio/`, compiled into the binary) is written to a scratch
//! directory and run against the same embedded server, all in one `python3` (the programs'
//! `_driver.py`, so that Python's start-up is paid once, not per scenario). A program's stdout
//! is its printed lines; the report after them (written by `asyncio/_demo.py`) is how long
//! `asyncio.run(main())` took and when each line was printed.
//!
//! Without `python3` 3.11 or newer on `PATH` (TaskGroup and `except*` need 3.11), the demo falls
//! back to the recorded reference (the lines the seeds show, the seeds' own durations) and says
//! "recorded".

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::Duration;

use super::scenario::Scenario;

/// The helper every program imports, and the driver that runs them.
const HELPER: &str = include_str!("../../asyncio/_demo.py");
const DRIVER: &str = include_str!("../../asyncio/_driver.py");

/// The oldest Python the programs run on.
const MINIMUM: (u32, u32) = (3, 11);

/// What starts the driver's report line.
const REPORT: char = '\x1e';

/// Where asyncio's side of a scenario comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// Run for real with `python3`.
    Measured,
    /// The seed's lines and durations (no suitable `python3`).
    Recorded,
}

/// asyncio's side of one scenario.
#[derive(Clone, Debug)]
pub struct Side {
    /// Measured or recorded.
    pub source: Source,
    /// The time `asyncio.run(main())` took (recorded: the seed's duration, scaled).
    pub ms: f64,
    /// The lines it printed.
    pub lines: Vec<String>,
    /// When each line was printed, ms from main's start (measured only).
    pub printed_at: Vec<f64>,
    /// Why the program failed (its traceback), if it did.
    pub error: Option<String>,
}

/// The Python that runs the programs, or why there is none.
#[derive(Debug)]
pub enum Python {
    /// `python3` of this version, running the driver.
    Found {
        /// `3.11.7`.
        version: String,
        /// The driver.
        driver: Driver,
    },
    /// Why the recorded reference is used.
    Missing(String),
}

/// The running `_driver.py`, its scratch directory (removed on drop) and its stdout's lines.
#[derive(Debug)]
pub struct Driver {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    dir: PathBuf,
}

impl Python {
    /// Looks for `python3` on `PATH` (3.11 or newer), writes the programs of `scenarios` and
    /// starts the driver at `scale` against `base`.
    pub fn find(scenarios: &[Scenario], scale: f64, base: &str) -> Python {
        let version = match Command::new("python3")
            .args(["-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"])
            .stdin(Stdio::null())
            .output()
        {
            Ok(out) if out.status.success() => {
                String::from_utf8_lossy(&out.stdout).trim().to_owned()
            }
            Ok(_) => return Python::Missing("python3 did not run".into()),
            Err(_) => return Python::Missing("no python3 on PATH".into()),
        };
        let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
        let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
        if (major, minor) < MINIMUM {
            return Python::Missing(format!(
                "python3 {version} is older than {}.{}",
                MINIMUM.0, MINIMUM.1
            ));
        }
        match Driver::start(scenarios, scale, base) {
            Ok(driver) => Python::Found { version, driver },
            Err(e) => Python::Missing(format!("cannot start the asyncio programs: {e}")),
        }
    }

    /// asyncio's side of `s`: its program run, or the recorded reference.
    pub fn run(&mut self, s: &Scenario, scale: f64) -> Side {
        match self {
            Python::Missing(_) => Side {
                source: Source::Recorded,
                ms: s.seconds * scale * 1000.0,
                lines: s.asyncio.iter().map(|l| (*l).to_owned()).collect(),
                printed_at: Vec::new(),
                error: None,
            },
            Python::Found { driver, .. } => {
                // Generous: far beyond any scenario's time, short enough that a stuck program
                // cannot hold the demo for long.
                let limit = Duration::from_secs_f64(s.seconds * scale * 3.0 + 20.0);
                driver.run(&file_name(s), limit)
            }
        }
    }
}

impl Driver {
    fn start(scenarios: &[Scenario], scale: f64, base: &str) -> std::io::Result<Driver> {
        let dir = std::env::temp_dir().join(format!("taskio-demo-asyncio-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let written = (|| {
            std::fs::write(dir.join("_demo.py"), HELPER)?;
            std::fs::write(dir.join("_driver.py"), DRIVER)?;
            for s in scenarios {
                std::fs::write(dir.join(file_name(s)), s.python)?;
            }
            Command::new("python3")
                .arg(dir.join("_driver.py"))
                .arg(scale.to_string())
                .arg(base)
                .env("PYTHONDONTWRITEBYTECODE", "1")
                .env("PYTHONIOENCODING", "utf-8")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
        })();
        let mut child = match written {
            Ok(child) => child,
            Err(e) => {
                std::fs::remove_dir_all(&dir).ok();
                return Err(e);
            }
        };
        let stdin = child.stdin.take();
        let stdout = child.stdout.take();
        let (tx, lines) = std::sync::mpsc::channel();
        // A thread reads the driver's lines, so that a stuck program can be timed out.
        std::thread::Builder::new()
            .name("taskio-demo-asyncio".into())
            .spawn(move || {
                let Some(stdout) = stdout else { return };
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Driver {
            child,
            stdin,
            lines,
            dir,
        })
    }

    /// Runs one program: its lines and its report, within `limit`.
    fn run(&mut self, program: &str, limit: Duration) -> Side {
        let mut side = Side {
            source: Source::Measured,
            ms: 0.0,
            lines: Vec::new(),
            printed_at: Vec::new(),
            error: None,
        };
        let asked = match &mut self.stdin {
            Some(stdin) => writeln!(stdin, "{program}").and_then(|()| stdin.flush()),
            None => Err(std::io::Error::other("the driver was stopped")),
        };
        if let Err(e) = asked {
            side.error = Some(format!("the asyncio driver is gone: {e}"));
            return side;
        }
        let deadline = std::time::Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => match line.strip_prefix(REPORT) {
                    None => side.lines.push(line),
                    Some(report) => {
                        let report: serde_json::Value =
                            serde_json::from_str(report).unwrap_or_default();
                        side.ms = report["taskio_demo_asyncio_ms"].as_f64().unwrap_or(0.0);
                        side.printed_at = report["printed_at"]
                            .as_array()
                            .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect())
                            .unwrap_or_default();
                        side.error = report["error"].as_str().map(|e| format!("{program}: {e}"));
                        return side;
                    }
                },
                Err(RecvTimeoutError::Timeout) => {
                    side.error = Some(format!("{program} did not end within {limit:?}"));
                    self.stop();
                    return side;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    side.error = Some(format!("python3 ended while running {program}"));
                    return side;
                }
            }
        }
    }

    fn stop(&mut self) {
        self.stdin = None;
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // No program runs between scenarios: the driver has nothing left to do.
        self.stop();
        std::fs::remove_dir_all(&self.dir).ok();
    }
}

/// `000/create_task` → `000_create_task.py`.
fn file_name(s: &Scenario) -> String {
    format!("{}.py", s.name.replace('/', "_"))
}
