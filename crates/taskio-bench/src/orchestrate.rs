//! The harness: runs every case of the plan in its own process, `runs` times, takes medians,
//! checks the targets and prints or writes the report.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::cases::{Case, plan, selected};
use crate::runtime::Runtime;

/// What the command line asked for.
pub struct Options {
    /// Small sizes.
    pub quick: bool,
    /// JSON lines instead of the table.
    pub json: bool,
    /// A workload filter.
    pub only: Option<String>,
    /// Runs per case.
    pub runs: usize,
    /// Where to write the report.
    pub out: Option<PathBuf>,
}

/// The medians of one case.
#[derive(Clone, Debug)]
pub struct Row {
    /// The case.
    pub case: Case,
    /// Median nanoseconds per unit.
    pub ns_per_task: f64,
    /// Median total milliseconds.
    pub total_ms: f64,
    /// Median resident bytes per task, for memory workloads.
    pub rss_bytes_per_task: Option<f64>,
}

/// A case that did not give figures, and why.
pub struct Skipped {
    /// The case.
    pub case: Case,
    /// Why.
    pub reason: String,
}

enum Outcome {
    Sample(f64, f64, Option<f64>),
    Skip(String),
}

/// Runs the benchmark.
pub fn main(opts: Options) {
    let python = crate::python::available_loops();
    let cases: Vec<Case> = plan(opts.quick, &python)
        .into_iter()
        .filter(|c| selected(c.workload, opts.only.as_deref()))
        .collect();
    if cases.is_empty() {
        eprintln!("taskio-bench: no workload matches {:?}", opts.only);
        std::process::exit(2);
    }
    let exe = std::env::current_exe().expect("the path of this binary");
    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    let started = Instant::now();
    // The cases that compare with each other (same workload, runtime flavour and size) run
    // interleaved, run 1 of each, then run 2 of each...: a burst of load from other jobs on the
    // shared cores then hits every implementation alike instead of one.
    let mut groups: Vec<Vec<&Case>> = Vec::new();
    for case in &cases {
        let key = |c: &Case| (c.workload, reference_runtime(c.runtime), c.n);
        match groups.iter_mut().find(|g| key(g[0]) == key(case)) {
            Some(g) => g.push(case),
            None => groups.push(vec![case]),
        }
    }
    let mut done = 0;
    for group in groups {
        let mut samples: Vec<Vec<(f64, f64, Option<f64>)>> = vec![Vec::new(); group.len()];
        let mut skips: Vec<Option<String>> = vec![None; group.len()];
        for _ in 0..opts.runs {
            for (k, case) in group.iter().enumerate() {
                if skips[k].is_some() {
                    continue;
                }
                match run_once(&exe, case) {
                    Ok(Outcome::Sample(ns, ms, rss)) => samples[k].push((ns, ms, rss)),
                    Ok(Outcome::Skip(reason)) => skips[k] = Some(reason),
                    Err(e) => skips[k] = Some(format!("failed: {e}")),
                }
            }
        }
        for ((case, samples), skip) in group.into_iter().zip(samples).zip(skips) {
            done += 1;
            eprintln!(
                "[{:>3}/{}] {:>6.1}s {} {} {} n={}{}",
                done,
                cases.len(),
                started.elapsed().as_secs_f64(),
                case.workload,
                case.imp,
                case.runtime,
                case.n,
                skip.as_deref()
                    .map(|s| format!(" -- skipped: {s}"))
                    .unwrap_or_default()
            );
            if let Some(reason) = skip {
                skipped.push(Skipped {
                    case: case.clone(),
                    reason,
                });
                continue;
            }
            let row = Row {
                case: case.clone(),
                ns_per_task: median(samples.iter().map(|s| s.0).collect()),
                total_ms: median(samples.iter().map(|s| s.1).collect()),
                rss_bytes_per_task: samples
                    .iter()
                    .map(|s| s.2)
                    .collect::<Option<Vec<f64>>>()
                    .map(median),
            };
            if opts.json {
                println!("{}", json_line(&row));
            }
            rows.push(row);
        }
    }
    let verdicts = crate::targets::check(&crate::targets::all(), &rows);
    let full = !opts.quick && opts.only.is_none();
    let report = crate::report::render(&rows, &skipped, &verdicts, &opts, full);
    if !opts.json {
        println!("{report}");
    }
    let out = opts
        .out
        .clone()
        .or_else(|| full.then(|| crate::report::repo_root().join("bench/RESULTS.md")));
    if let Some(path) = out {
        std::fs::write(&path, &report).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        eprintln!("wrote {}", path.display());
    }
    let misses = verdicts.iter().filter(|v| v.verdict() == "MISS").count();
    let failed: Vec<&Skipped> = skipped
        .iter()
        .filter(|k| k.reason.starts_with("failed"))
        .collect();
    eprintln!(
        "{} cases, {} skipped, {} targets checked, {} missed, {:.1}s",
        rows.len(),
        skipped.len(),
        verdicts.len(),
        misses,
        started.elapsed().as_secs_f64()
    );
    if !failed.is_empty() {
        // A case that crashed or timed out is a broken benchmark, not a slow one: fail (CI runs
        // --quick as a smoke test). Misses of targets are reported, not failures.
        for k in &failed {
            eprintln!(
                "FAILED: {} {} {} n={}: {}",
                k.case.workload, k.case.imp, k.case.runtime, k.case.n, k.reason
            );
        }
        std::process::exit(1);
    }
}

fn run_once(exe: &std::path::Path, case: &Case) -> Result<Outcome, String> {
    let cmd = if case.runtime.is_python() {
        crate::python::command(case.workload, case.imp, case.runtime, case.n)
    } else {
        let mut c = Command::new(exe);
        c.args([
            "worker",
            case.workload,
            case.imp,
            case.runtime.id(),
            &case.n.to_string(),
        ]);
        c
    };
    let out = output_within(cmd, RUN_TIMEOUT)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "exit {}: {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let line = stdout.lines().last().unwrap_or("").trim();
    if let Some(reason) = json_str(line, "skip") {
        return Ok(Outcome::Skip(reason));
    }
    let num = |key| json_num(line, key).ok_or_else(|| format!("no {key} in {line:?}"));
    Ok(Outcome::Sample(
        num("ns_per_task")?,
        num("total_ms")?,
        json_num(line, "rss_bytes_per_task"),
    ))
}

/// How long one run of a case may take before it is killed and the case reported as skipped.
const RUN_TIMEOUT: Duration = Duration::from_secs(90);

/// Runs `cmd` to completion, or kills it after `limit`.
fn output_within(mut cmd: Command, limit: Duration) -> Result<Output, String> {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let start = Instant::now();
    loop {
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            return child.wait_with_output().map_err(|e| e.to_string());
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("timed out after {}s", limit.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// The median (the mean of the two middle values for an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.is_empty() {
        f64::NAN
    } else if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

fn json_raw<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let pat = format!("\"{key}\":");
    let rest = line[line.find(&pat)? + pat.len()..].trim_start();
    let end = if let Some(stripped) = rest.strip_prefix('"') {
        stripped.find('"')? + 2
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    Some(rest[..end].trim())
}

fn json_num(line: &str, key: &str) -> Option<f64> {
    json_raw(line, key)?.parse().ok()
}

fn json_str(line: &str, key: &str) -> Option<String> {
    let raw = json_raw(line, key)?;
    Some(raw.strip_prefix('"')?.strip_suffix('"')?.to_owned())
}

fn json_line(row: &Row) -> String {
    let rss = row
        .rss_bytes_per_task
        .map_or_else(|| "null".to_owned(), |b| format!("{b:.1}"));
    format!(
        "{{\"workload\":\"{}\",\"impl\":\"{}\",\"runtime\":\"{}\",\"n\":{},\"ns_per_task\":{:.2},\"total_ms\":{:.3},\"rss_bytes_per_task\":{rss}}}",
        row.case.workload,
        row.case.imp,
        row.case.runtime.id(),
        row.case.n,
        row.ns_per_task,
        row.total_ms,
    )
}

/// Whether `rt` is one of the runtimes rows are paired on for ratios.
pub fn reference_runtime(rt: Runtime) -> Runtime {
    if rt.is_python() { Runtime::Ct } else { rt }
}
