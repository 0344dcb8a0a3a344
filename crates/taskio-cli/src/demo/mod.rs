//! `taskio demo`: every example of five asyncio tutorials (the project's seeds: two lessons of
//! a Python concurrency course, a tutorial page, a long tutorial on tasks, an article on gather,
//! create_task and TaskGroup), run live on taskio and, when `python3` 3.11+ is there, on
//! asyncio too, with each line printed next to when each side printed it.
//!
//! A scenario is ok when taskio's program and asyncio's both ran, taskio printed asyncio's
//! lines in asyncio's order, and taskio's time (and every timed sub-step's) is within
//! [`scenario::tolerance`] of the seed's: 15% of the expected time, at least 10 ms.

mod asyncio;
mod http;
mod py;
mod scenario;
mod screen;
mod seed000;
mod seed001;
mod seed002;
mod seed003;
mod seed004;

use std::time::{Duration, Instant};

pub use scenario::{Scenario, tolerance};

use asyncio::{Python, Side, Source};
use scenario::{COLUMNS, Ctx, NOTE, ms, within};
use screen::{Paint, Screen};

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
///     asyncio_ms: 40.9,
///     asyncio_output: vec!["done 1".into(), "done 2".into()],
///     asyncio_source: "measured",
///     asyncio_error: None,
///     timings: vec![],
///     error: None,
/// };
/// assert!(serde_json::to_string(&report).unwrap().starts_with(r#"{"scenario":"002/create_task""#));
/// ```
#[derive(Debug, serde::Serialize)]
pub struct Report {
    /// Its name.
    pub scenario: String,
    /// The seed's time, scaled, in ms.
    pub expected_ms: f64,
    /// taskio's time in ms.
    pub measured_ms: f64,
    /// Both programs ran, taskio printed asyncio's lines in asyncio's order, in time.
    pub ok: bool,
    /// What the taskio program printed.
    pub output: Vec<String>,
    /// The recorded reference: the lines the seed shows asyncio printing.
    pub expected_output: Vec<String>,
    /// asyncio's time in ms (measured: `asyncio.run(main())`; recorded: the seed's, scaled).
    pub asyncio_ms: f64,
    /// What the asyncio program printed (recorded: the reference).
    pub asyncio_output: Vec<String>,
    /// `"measured"` (run with python3) or `"recorded"`.
    pub asyncio_source: &'static str,
    /// The asyncio program's failure (its traceback), if it failed.
    pub asyncio_error: Option<String>,
    /// Sub-steps timed: `[label, expected_ms, measured_ms]`.
    pub timings: Vec<(String, f64, f64)>,
    /// The taskio program's error, if it failed.
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
    let screen = (!options.json).then(Screen::detect);
    let mut python = Python::find(&chosen, options.scale, &base);
    let result = taskio::run(async move {
        let http = http::Http::new(base.clone());
        http.warm(5).await?;
        let mut all_ok = true;
        if let Some(screen) = &screen {
            let asyncio = match &python {
                Python::Found { version, .. } => format!("and on asyncio (python3 {version})"),
                Python::Missing(why) => {
                    format!("next to asyncio's recorded lines and times ({why})")
                }
            };
            let n = chosen.len();
            screen.print(
                "",
                "  ",
                &format!(
                    "taskio demo: {n} scenario{} from five asyncio tutorials, run on taskio {asyncio}; \
                     durations × {}; embedded server at {}",
                    if n == 1 { "" } else { "s" },
                    options.scale,
                    server.addr()
                ),
                Paint::Plain,
            );
            crate::out::line("");
        }
        let t0 = Instant::now();
        let (mut taskio_total, mut asyncio_total) = (0.0, 0.0);
        for s in chosen {
            // asyncio first, so that taskio's lines can show asyncio's times beside them.
            let side = python.run(&s, options.scale);
            let report = run_one(&s, &options, http.clone(), side, screen).await;
            all_ok &= report.ok;
            taskio_total += report.measured_ms;
            asyncio_total += report.asyncio_ms;
            if options.json {
                crate::out::line(&serde_json::to_string(&report).map_err(taskio::Error::new)?);
            }
        }
        if let Some(screen) = &screen {
            let source = match &python {
                Python::Found { .. } => "measured",
                Python::Missing(_) => "recorded",
            };
            screen.print(
                "",
                "  ",
                &format!(
                    "demo finished in {:.1} s: taskio {:.2} s, asyncio {:.2} s ({source}) in all; {}",
                    t0.elapsed().as_secs_f64(),
                    taskio_total / 1000.0,
                    asyncio_total / 1000.0,
                    if all_ok {
                        "every scenario printed what asyncio prints, in its time"
                    } else {
                        "SOME SCENARIOS FAILED (✗ above)"
                    }
                ),
                if all_ok { Paint::Green } else { Paint::Red },
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

async fn run_one(
    s: &Scenario,
    options: &DemoOptions,
    http: http::Http,
    side: Side,
    screen: Option<Screen>,
) -> Report {
    if let Some(screen) = &screen {
        screen.print(
            "",
            "   ",
            &format!("━━ {} ━━ {}", s.name, s.title),
            Paint::Bold,
        );
        screen.print("   ", "     ", &format!("from {}", s.origin), Paint::Dim);
        crate::out::line(&screen.paint(Paint::Dim, COLUMNS));
    }
    let ctx = Ctx::new(options.scale, screen, http, side.printed_at.clone());
    let expected = ctx.secs(s.seconds);
    let t0 = Instant::now();
    let outcome = taskio::task()
        .name(s.name)
        .spawn((s.run)(ctx.clone()))
        .await;
    let measured = t0.elapsed();
    let output = ctx.lines();
    let timings = ctx.timings();
    let same_lines = output == side.lines;
    let time_ok =
        within(expected, measured) && timings.iter().all(|t| within(t.expected, t.measured));
    let ok = outcome.is_ok() && side.error.is_none() && same_lines && time_ok;
    if let Some(screen) = &screen {
        close(
            screen, &outcome, &output, &side, expected, measured, ok, same_lines, time_ok,
        );
    }
    Report {
        scenario: s.name.to_owned(),
        expected_ms: round(ms(expected)),
        measured_ms: round(ms(measured)),
        ok,
        output,
        expected_output: s.asyncio.iter().map(|l| (*l).to_owned()).collect(),
        asyncio_ms: round(side.ms),
        asyncio_output: side.lines,
        asyncio_source: match side.source {
            Source::Measured => "measured",
            Source::Recorded => "recorded",
        },
        asyncio_error: side.error,
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

/// The end of a scenario in the narrated demo: failures with both outputs, then one line of
/// both sides' times.
#[allow(clippy::too_many_arguments)]
fn close(
    screen: &Screen,
    outcome: &taskio::Result<()>,
    output: &[String],
    side: &Side,
    expected: Duration,
    measured: Duration,
    ok: bool,
    same_lines: bool,
    time_ok: bool,
) {
    let cross = screen.paint(Paint::Red, "✗");
    if let Err(e) = outcome {
        screen.print(
            &format!("  {cross} "),
            "    ",
            &format!("the taskio program failed: {e}"),
            Paint::Plain,
        );
    }
    if let Some(e) = &side.error {
        screen.print(
            &format!("  {cross} "),
            "    ",
            "the asyncio program failed:",
            Paint::Plain,
        );
        for l in e.lines() {
            screen.print(NOTE, NOTE, l, Paint::Plain);
        }
    }
    if !same_lines && side.error.is_none() {
        screen.print(
            &format!("  {cross} "),
            "    ",
            "the lines differ; taskio printed:",
            Paint::Plain,
        );
        for l in output {
            screen.print(NOTE, NOTE, l, Paint::Plain);
        }
        crate::out::line("    asyncio printed:");
        for l in &side.lines {
            screen.print(NOTE, NOTE, l, Paint::Plain);
        }
    }
    let n = side.lines.len();
    let lines = if same_lines {
        format!("{n} line{}, same order", if n == 1 { "" } else { "s" })
    } else {
        "lines differ".to_owned()
    };
    let asyncio = match side.source {
        Source::Measured => format!("asyncio {:.1} ms │ seed {:.0} ms", side.ms, ms(expected)),
        Source::Recorded => format!("asyncio {:.0} ms (recorded)", side.ms),
    };
    let mark = if ok {
        screen.paint(Paint::Green, "✓")
    } else {
        cross.clone()
    };
    screen.print(
        &format!("  {mark} "),
        "    ",
        &format!("{lines} │ taskio {:.1} ms │ {asyncio}", ms(measured)),
        Paint::Plain,
    );
    let window = format!("{:.0} ms ± {:.0} ms", ms(expected), ms(tolerance(expected)));
    if !time_ok {
        screen.print(
            &format!("  {cross} "),
            "    ",
            &format!("taskio's time is outside the seed's {window}"),
            Paint::Plain,
        );
    }
    if side.source == Source::Measured
        && side.error.is_none()
        && !within(expected, Duration::from_secs_f64(side.ms / 1000.0))
    {
        screen.print(
            NOTE,
            NOTE,
            &format!("asyncio's time is outside {window} too (a busy machine?)"),
            Paint::Dim,
        );
    }
    crate::out::line("");
}

fn round(ms: f64) -> f64 {
    (ms * 10.0).round() / 10.0
}
