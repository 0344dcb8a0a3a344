//! One scenario of the demo: a seed's asyncio program rewritten on taskio, the asyncio program
//! itself, what asyncio prints and how long it takes there, and the check that taskio did the
//! same.
//!
//! A scenario prints through its [`Ctx`]: [`Ctx::print`] is the program's own `print(...)`
//! (compared line by line with asyncio's output), [`Ctx::note`] is the demo's narration (never
//! compared), [`Ctx::timing`] is a measured sub-step with the time asyncio would take for it
//! (checked like the whole scenario's time).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::http::Http;
use super::screen::{Paint, Screen};

/// The future a scenario's program runs as.
pub type Program = Pin<Box<dyn Future<Output = taskio::Result<()>> + Send>>;

/// A seed's program on taskio, the same program on asyncio, what asyncio prints for it, and
/// how long asyncio takes (in the seed's own seconds, before `--scale`).
///
/// ```
/// let s = taskio_cli::demo::scenarios().into_iter().find(|s| s.name == "003/create_task_named").unwrap();
/// assert_eq!(s.seconds, 2.0);
/// assert_eq!(s.asyncio.last(), Some(&"Results: 10, 20"));
/// ```
#[derive(Clone, Copy)]
pub struct Scenario {
    /// `seed/name`, e.g. `003/cancellable_work`: what `--only` takes.
    pub name: &'static str,
    /// What it shows, in a few words (never its own name again).
    pub title: &'static str,
    /// Where it comes from, in words: the tutorial and its code block.
    pub origin: &'static str,
    /// The asyncio program (`crates/taskio-cli/asyncio/SEED_NAME.py`).
    pub python: &'static str,
    /// asyncio's output, line by line, in asyncio's order (the recorded reference).
    pub asyncio: &'static [&'static str],
    /// asyncio's wall time in the seed's seconds.
    pub seconds: f64,
    /// The program.
    pub run: fn(Ctx) -> Program,
}

/// A measured sub-step of a scenario, checked against asyncio's time for it.
#[derive(Clone, Debug)]
pub struct Timing {
    /// What was timed.
    pub label: String,
    /// asyncio's time for it, scaled.
    pub expected: Duration,
    /// taskio's time for it.
    pub measured: Duration,
}

/// The tolerance on a measured time: 15% of the expected time, but never less than 10 ms (timer
/// granularity and scheduling jitter on a busy machine; only small `--scale`s reach the floor).
///
/// ```
/// use std::time::Duration;
/// use taskio_cli::demo::tolerance;
/// assert_eq!(tolerance(Duration::from_secs(2)), Duration::from_millis(300));
/// assert_eq!(tolerance(Duration::from_millis(20)), Duration::from_millis(10));
/// ```
pub fn tolerance(expected: Duration) -> Duration {
    expected.mul_f64(0.15).max(Duration::from_millis(10))
}

/// Whether `measured` is within [`tolerance`] of `expected`.
pub fn within(expected: Duration, measured: Duration) -> bool {
    expected.abs_diff(measured) <= tolerance(expected)
}

struct Inner {
    scale: f64,
    start: Instant,
    live: Option<Screen>,
    http: Http,
    /// When asyncio printed each line (ms), to show beside taskio's.
    asyncio_at: Vec<f64>,
    lines: Mutex<Vec<String>>,
    timings: Mutex<Vec<Timing>>,
}

/// What a scenario's program prints through and sleeps by. Cheap to clone into tasks.
#[derive(Clone)]
pub struct Ctx(Arc<Inner>);

impl Ctx {
    /// A context; with a screen it prints as the program runs (the narrated demo), next to
    /// `asyncio_at` (when asyncio printed each line), else it only records.
    pub fn new(scale: f64, live: Option<Screen>, http: Http, asyncio_at: Vec<f64>) -> Ctx {
        Ctx(Arc::new(Inner {
            scale,
            start: Instant::now(),
            live,
            http,
            asyncio_at,
            lines: Mutex::default(),
            timings: Mutex::default(),
        }))
    }

    /// The seed's `seconds`, scaled by `--scale`.
    pub fn secs(&self, seconds: f64) -> Duration {
        Duration::from_secs_f64(seconds * self.0.scale)
    }

    /// The HTTP client and the embedded server's base URL.
    pub fn http(&self) -> &Http {
        &self.0.http
    }

    /// The program's `print(line)`: recorded, compared with asyncio's output, shown live.
    pub fn print(&self, line: impl Into<String>) {
        let line = line.into();
        let mut lines = self.0.lines.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(screen) = &self.0.live {
            let asyncio = match self.0.asyncio_at.get(lines.len()) {
                Some(at) => format!("{:>6.0} ms", at),
                None => String::new(),
            };
            let taskio = format!("{:>6} ms", self.0.start.elapsed().as_millis());
            let prefix = format!("  {taskio}{asyncio:>10} │ ");
            screen.print(&prefix, COLUMN_CONT, &line, Paint::Plain);
        }
        lines.push(line);
    }

    /// The demo's narration: shown live, never compared.
    pub fn note(&self, line: impl AsRef<str>) {
        if let Some(screen) = &self.0.live {
            for l in line.as_ref().lines() {
                screen.print(NOTE, NOTE, l, Paint::Dim);
            }
        }
    }

    /// Records a measured sub-step against asyncio's `seconds` for it (scaled).
    pub fn timing(&self, label: &str, seconds: f64, measured: Duration) {
        let t = Timing {
            label: label.to_owned(),
            expected: self.secs(seconds),
            measured,
        };
        self.note(format!(
            "{label}: taskio {:.1} ms, the seed's {:.0} ms {}",
            ms(t.measured),
            ms(t.expected),
            if within(t.expected, t.measured) {
                "✓"
            } else {
                "✗"
            }
        ));
        self.0
            .timings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(t);
    }

    /// The lines printed so far.
    pub fn lines(&self) -> Vec<String> {
        self.0
            .lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The sub-steps timed so far.
    pub fn timings(&self) -> Vec<Timing> {
        self.0
            .timings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// The columns of a printed line: taskio's time, asyncio's time, the line.
pub const COLUMNS: &str = "     taskio   asyncio";

/// A printed line's continuation (it was wider than the screen).
const COLUMN_CONT: &str = "                      │ ";

/// The prefix of a narration line.
pub const NOTE: &str = "                      ┊ ";

/// Milliseconds as a float, for display.
pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
