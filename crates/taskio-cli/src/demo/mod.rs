//! `taskio demo`: every scenario of the five seed documents, run live on taskio, each with
//! what asyncio prints and how long asyncio takes, next to what taskio printed and measured.
//!
//! A scenario is ok when its output lines are asyncio's, in asyncio's order, and its measured
//! time (and every timed sub-step's) is within [`scenario::tolerance`] of asyncio's: 15% of the
//! expected time, at least 10 ms.

mod http;
mod py;
mod scenario;
mod seed000;
mod seed001;
mod seed002;
mod seed003;
mod seed004;

use std::time::{Duration, Instant};

pub use scenario::{Scenario, tolerance};

use scenario::{Ctx, ms, within};

/// The options of `taskio demo`.
///
/// ```
/// let options = taskio_cli::demo::DemoOptions { scale: 0.2, json: true, only: None };
/// assert!(!options.only.is_some());
/// ```
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Multiplies every duration of the seeds.
    pub scale: f64,
    /// One JSON object per scenario per line instead of the narration.
    pub json: bool,
    /// Run only the scenario of this name.
    pub only: Option<String>,
}

/// Every scenario, in the seeds' order.
///
/// ```
/// let all = taskio_cli::demo::scenarios();
/// assert_eq!(all[0].name, "000/create_task");
/// assert!(all.iter().any(|s| s.name == "003/cancellable_work"));
/// ```
pub fn scenarios() -> Vec<Scenario> {
    let mut all = Vec::new();
    all.extend(seed000::scenarios());
    all.extend(seed001::scenarios());
    all.extend(seed002::scenarios());
    all.extend(seed003::scenarios());
    all.extend(seed004::scenarios());
    all
}

/// The result of one scenario: one line of `taskio demo --json`.
///
/// ```
/// let report = taskio_cli::demo::Report {
///     scenario: "002/create_task".into(),
///     expected_ms: 40.0,
///     measured_ms: 41.2,
///     ok: true,
///     output: vec!["done 1".into(), "done 2".into()],
///     expected_output: vec!["done 1".into(), "done 2".into()],
///     timings: vec![],
///     error: None,
/// };
/// assert!(serde_json::to_string(&report).unwrap().starts_with(r#"{"scenario":"002/create_task""#));
/// ```
#[derive(Debug, serde::Serialize)]
pub struct Report {
    /// Its name.
    pub scenario: String,
    /// asyncio's time, scaled, in ms.
    pub expected_ms: f64,
    /// taskio's time in ms.
    pub measured_ms: f64,
    /// Output in asyncio's order and times within tolerance.
    pub ok: bool,
    /// What the program printed.
    pub output: Vec<String>,
    /// asyncio's output.
    pub expected_output: Vec<String>,
    /// Sub-steps timed: `[label, expected_ms, measured_ms]`.
    pub timings: Vec<(String, f64, f64)>,
    /// The program's error, if it failed.
    pub error: Option<String>,
}

/// Runs the demo; returns whether every scenario was ok. Errors are setup failures (the
/// server, an unknown `--only`).
///
/// ```
/// use taskio_cli::demo::{DemoOptions, run};
/// // Order of output is exact; the time may be off on a busy machine, so `ok` is not asserted.
/// let finished = run(DemoOptions { scale: 0.2, json: true, only: Some("002/create_task".into()) });
/// assert!(finished.is_ok());
/// assert!(run(DemoOptions { scale: 0.2, json: true, only: Some("nope".into()) }).is_err());
/// ```
pub fn run(options: DemoOptions) -> Result<bool, String> {
    let mut chosen = scenarios();
    if let Some(only) = &options.only {
        chosen = choose(chosen, only)?;
    }
    if !(options.scale > 0.0 && options.scale.is_finite()) {
        return Err(format!("--scale must be > 0, not {}", options.scale));
    }
    let api_delay = Duration::from_secs_f64(0.2 * options.scale);
    let server = crate::server::Server::start(api_delay)
        .map_err(|e| format!("cannot start the embedded server: {e}"))?;
    let base = format!("http://{}", server.addr());
    let result = taskio::run(async move {
        let http = http::Http::new(base);
        http.warm(5).await?;
        let mut all_ok = true;
        if !options.json {
            println!(
                "taskio demo: {} scenario(s) from the seeds, durations × {} (server at {})\n",
                chosen.len(),
                options.scale,
                server.addr()
            );
        }
        let t0 = Instant::now();
        for s in chosen {
            let report = run_one(&s, &options, http.clone()).await;
            all_ok &= report.ok;
            if options.json {
                println!(
                    "{}",
                    serde_json::to_string(&report).map_err(taskio::Error::new)?
                );
            }
        }
        if !options.json {
            println!(
                "demo finished in {:.2} s: {}",
                t0.elapsed().as_secs_f64(),
                if all_ok {
                    "every scenario printed what asyncio prints, in its time"
                } else {
                    "SOME SCENARIOS DIFFER from asyncio (✗ above)"
                }
            );
        }
        drop(server);
        taskio::Ok(all_ok)
    });
    result.map_err(|e| e.to_string())
}

/// The scenario `only` names: its full name (`003/cancellable_work`), or the part after the
/// seed number when that is unambiguous (`cancellable_work`).
fn choose(all: Vec<Scenario>, only: &str) -> Result<Vec<Scenario>, String> {
    let names: Vec<&str> = all.iter().map(|s| s.name).collect();
    let (exact, suffix): (Vec<Scenario>, Vec<Scenario>) = all
        .into_iter()
        .filter(|s| s.name == only || s.name.ends_with(&format!("/{only}")))
        .partition(|s| s.name == only);
    if !exact.is_empty() {
        return Ok(exact);
    }
    match suffix.len() {
        1 => Ok(suffix),
        0 => Err(format!(
            "no scenario named '{only}'; the scenarios are: {}",
            names.join(", ")
        )),
        _ => Err(format!(
            "'{only}' is ambiguous: {}",
            suffix.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
        )),
    }
}

async fn run_one(s: &Scenario, options: &DemoOptions, http: http::Http) -> Report {
    let live = !options.json;
    if live {
        println!("━━ {} ━━ {}", s.name, s.title);
    }
    let ctx = Ctx::new(options.scale, live, http);
    let expected = ctx.secs(s.seconds);
    let t0 = Instant::now();
    let outcome = taskio::task()
        .name(s.name)
        .spawn((s.run)(ctx.clone()))
        .await;
    let measured = t0.elapsed();
    let output = ctx.lines();
    let timings = ctx.timings();
    let same_lines = output
        .iter()
        .map(String::as_str)
        .eq(s.asyncio.iter().copied());
    let time_ok =
        within(expected, measured) && timings.iter().all(|t| within(t.expected, t.measured));
    let ok = outcome.is_ok() && same_lines && time_ok;
    if live {
        if let Err(e) = &outcome {
            println!("  ✗ the program failed: {e}");
        }
        if !same_lines {
            println!("  ✗ output differs from asyncio's, which prints:");
            for l in s.asyncio {
                println!("             │ {l}");
            }
        }
        println!(
            "  {} asyncio: {:.0} ms, {} line(s) │ taskio: {:.1} ms{}{}\n",
            if ok { "✓" } else { "✗" },
            ms(expected),
            s.asyncio.len(),
            ms(measured),
            if same_lines {
                ", same lines in the same order"
            } else {
                ""
            },
            if time_ok {
                String::new()
            } else {
                format!(" — outside ±{:.0} ms", ms(tolerance(expected)))
            }
        );
    }
    Report {
        scenario: s.name.to_owned(),
        expected_ms: round(ms(expected)),
        measured_ms: round(ms(measured)),
        ok,
        output,
        expected_output: s.asyncio.iter().map(|l| (*l).to_owned()).collect(),
        timings: timings
            .iter()
            .map(|t| {
                (
                    t.label.clone(),
                    round(ms(t.expected)),
                    round(ms(t.measured)),
                )
            })
            .collect(),
        error: outcome.err().map(|e| e.to_string()),
    }
}

fn round(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}
