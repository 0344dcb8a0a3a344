//! `taskio demo` as a subprocess: every scenario's asyncio program runs with python3 and
//! prints what taskio's prints, in the same order, both within the time tolerance (ok = true);
//! without python3 the recorded reference stands in and says so; the narrated demo fits the
//! terminal's width and colours only a terminal; `--only` runs one, an unknown name is bad usage.

use std::process::{Command, Output};

use serde_json::Value;

/// The tests that run the whole demo take turns: two demos at once on a 2-core machine make
/// each other late.
static WHOLE_DEMO: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn whole_demo() -> std::sync::MutexGuard<'static, ()> {
    WHOLE_DEMO
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn taskio(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_taskio"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("the taskio binary runs")
}

/// `taskio ARGS` with `python3` hidden: `PATH` is an empty directory.
fn taskio_without_python(args: &[&str]) -> Output {
    let empty = std::env::temp_dir().join(format!("taskio-demo-no-python-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_taskio"))
        .args(args)
        .env("PATH", &empty)
        .output()
        .expect("the taskio binary runs");
    std::fs::remove_dir_all(&empty).ok();
    out
}

/// The CI machine has python3 (3.11+); the demo's measured side needs it.
fn assert_python3() {
    let out = Command::new("python3")
        .args(["-c", "import sys; assert sys.version_info >= (3, 11)"])
        .output()
        .expect("python3 is on PATH (the demo's asyncio side needs it)");
    assert!(out.status.success(), "python3 is older than 3.11");
}

fn json_lines(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// Whether a side's time (`measured_ms` or `asyncio_ms`) is within the demo's tolerance of the
/// seed's: max(15%, 10 ms).
fn in_time(l: &Value, side: &str) -> bool {
    let expected = l["expected_ms"].as_f64().unwrap();
    let measured = l[side].as_f64().unwrap();
    (measured - expected).abs() <= (expected * 0.15).max(10.0)
}

/// How often a scenario whose time was off runs again (each run takes well under a second).
const RETRIES: usize = 9;

/// Every scenario runs on asyncio for real (python3) and on taskio, and both print the seed's
/// lines in the seed's order, on every run: that is deterministic. Wall times are measured on a
/// machine that may be busy (other builds, the other tests), so a side whose time is off is run
/// again (the scenario alone, a moment later), up to [`RETRIES`] times, and each side must be in
/// time in one of its runs; a real slowdown (e.g. a gather that ran sequentially) fails them all.
#[test]
fn every_scenario_is_ok_and_asyncio_is_measured() {
    assert_python3();
    let _turn = whole_demo();
    let out = taskio(&["demo", "--json", "--scale", "0.2"]);
    let lines = json_lines(&out);
    let names: Vec<String> = taskio_cli::demo::scenarios()
        .iter()
        .map(|s| s.name.to_owned())
        .collect();
    assert_eq!(
        lines
            .iter()
            .map(|l| l["scenario"].as_str().unwrap())
            .collect::<Vec<_>>(),
        names
    );
    let check_lines = |l: &Value| {
        assert_eq!(l["asyncio_source"], "measured", "{l}");
        assert_eq!(l["asyncio_error"], Value::Null, "{l}");
        assert_eq!(l["error"], Value::Null, "{l}");
        assert_eq!(
            l["output"], l["asyncio_output"],
            "taskio's lines are asyncio's: {l}"
        );
        assert_eq!(
            l["asyncio_output"], l["expected_output"],
            "the recorded reference is asyncio's: {l}"
        );
    };
    for l in &lines {
        check_lines(l);
        if l["ok"] == true {
            assert!(in_time(l, "measured_ms"), "ok must mean in time: {l}");
        }
        let name = l["scenario"].as_str().unwrap();
        let (mut taskio_ok, mut asyncio_ok) = (l["ok"] == true, in_time(l, "asyncio_ms"));
        for _ in 0..RETRIES {
            if taskio_ok && asyncio_ok {
                break;
            }
            // Let a burst of load (another build) pass before the next try.
            std::thread::sleep(std::time::Duration::from_millis(300));
            let retry = json_lines(&taskio(&[
                "demo", "--json", "--scale", "0.2", "--only", name,
            ]));
            check_lines(&retry[0]);
            taskio_ok |= retry[0]["ok"] == true;
            asyncio_ok |= in_time(&retry[0], "asyncio_ms");
        }
        assert!(
            taskio_ok,
            "{name}: taskio was not in time in five runs; first: {l}"
        );
        assert!(
            asyncio_ok,
            "{name}: asyncio was not in time in five runs; first: {l}"
        );
    }
}

/// Without python3 the demo still runs: asyncio's side is the recorded reference (the seed's
/// lines, the seed's time), and it says "recorded".
#[test]
fn without_python3_asyncio_is_recorded() {
    let out = taskio_without_python(&["demo", "--json", "--only", "003/cancellable_work"]);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    let l = &lines[0];
    assert_eq!(l["asyncio_source"], "recorded", "{l}");
    assert_eq!(l["asyncio_output"], l["expected_output"], "{l}");
    assert_eq!(l["asyncio_ms"], l["expected_ms"], "{l}");
    assert_eq!(l["output"], l["asyncio_output"], "{l}");

    let out = taskio_without_python(&["demo", "--only", "002/gather"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("no python3 on PATH"), "{text}");
    assert!(text.contains("(recorded)"), "{text}");
    assert!(!text.contains("(measured)"), "{text}");
}

/// The whole narrated demo on a pipe with `COLUMNS=80`: no line is wider, there is no escape
/// code, each scenario says where it comes from, and no title names its scenario twice.
#[test]
fn the_narrated_demo_fits_80_columns_and_is_plain_on_a_pipe() {
    let _turn = whole_demo();
    let out = Command::new(env!("CARGO_BIN_EXE_taskio"))
        .args(["demo"])
        .env("COLUMNS", "80")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "escape codes on a pipe");
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "wider than 80: {line:?}");
    }
    let scenarios = taskio_cli::demo::scenarios();
    assert_eq!(
        text.matches("\n   from ").count(),
        scenarios.len(),
        "{text}"
    );
    assert!(text.contains("taskio::tree()"), "the tree is shown: {text}");
    assert!(
        text.contains("in all"),
        "the closing line gives both totals: {text}"
    );
}

#[test]
fn no_title_names_its_scenario_again() {
    let squash = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    for s in taskio_cli::demo::scenarios() {
        let short = s.name.split('/').nth(1).unwrap();
        assert!(
            !squash(s.title).contains(&squash(short)),
            "{}: '{}' repeats the name",
            s.name,
            s.title
        );
        assert!(!s.origin.is_empty() && !s.python.is_empty(), "{}", s.name);
    }
}

/// On a terminal (a pty, through python3's `pty` module) the demo is coloured, unless
/// `NO_COLOR` is set.
#[test]
fn colour_on_a_terminal_unless_no_color() {
    assert_python3();
    let on_a_tty = |no_color: bool| {
        let mut cmd = Command::new("python3");
        cmd.args(["-c", "import pty, sys; pty.spawn(sys.argv[1:])"])
            .arg(env!("CARGO_BIN_EXE_taskio"))
            .args(["demo", "--only", "002/gather_return_exceptions"])
            .env_remove("NO_COLOR");
        if no_color {
            cmd.env("NO_COLOR", "1");
        }
        String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
    };
    let coloured = on_a_tty(false);
    assert!(coloured.contains("\u{1b}[32m✓"), "{coloured:?}");
    let plain = on_a_tty(true);
    assert!(
        plain.contains('✓') && !plain.contains('\u{1b}'),
        "{plain:?}"
    );
}

#[test]
fn only_runs_one_scenario() {
    let out = taskio(&[
        "demo",
        "--json",
        "--scale",
        "0.2",
        "--only",
        "cancellable_work",
    ]);
    let lines = json_lines(&out);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["scenario"], "003/cancellable_work");
    assert_eq!(lines[0]["ok"], true, "{}", lines[0]);
    assert_eq!(
        lines[0]["output"][2],
        "Task received cancellation signal! Cleaning up..."
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn the_narrated_demo_shows_both_sides() {
    assert_python3();
    let out = taskio(&["demo", "--scale", "0.2", "--only", "001/dashboard"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("sequential"), "{text}");
    assert!(text.contains("asyncio (python3 3."), "{text}");
    assert!(text.contains("taskio"), "{text}");
    assert!(text.contains("[200, 200, 200]"), "{text}");
    // Each printed line shows taskio's time and asyncio's, then the line.
    let printed = text
        .lines()
        .find(|l| l.ends_with("│ gathered: [200, 200, 200]"))
        .expect(&text);
    assert_eq!(printed.matches(" ms").count(), 2, "{printed}");
    assert!(
        text.contains("(measured)") || text.contains("│ seed"),
        "{text}"
    );
    assert_ne!(out.status.code(), Some(2), "{text}");
}

#[test]
fn an_unknown_scenario_is_bad_usage() {
    let out = taskio(&["demo", "--only", "no_such_scenario"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cancellable_work"));
}

#[test]
fn an_ambiguous_short_name_is_bad_usage() {
    // 000/create_task and 002/create_task
    let out = taskio(&["demo", "--only", "create_task"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("000/create_task") && stderr.contains("002/create_task"),
        "{stderr}"
    );
}
