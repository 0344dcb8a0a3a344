//! `taskio fetch` as a subprocess against the embedded server (one server per test, so that the
//! concurrency gauge sees only that test's requests): fail-fast vs settled, the limit, the
//! timeout, a refused port, a bad line in a URL file, a body over --max-bytes, exit codes.

use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;
use taskio_cli::server::Server;

fn taskio(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_taskio"))
        .args(args)
        .output()
        .expect("the taskio binary runs")
}

/// `taskio fetch --json ARGS`: the exit code, the per-URL objects, the summary.
fn fetch_json(args: &[&str]) -> (i32, Vec<Value>, Value) {
    let mut all = vec!["fetch", "--json"];
    all.extend_from_slice(args);
    let out = taskio(&all);
    let stdout = String::from_utf8(out.stdout).expect("utf-8 output");
    let mut values: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect();
    let summary = values.pop().expect("a summary line");
    assert!(summary.get("summary").is_some(), "last line: {summary}");
    (
        out.status.code().expect("an exit code"),
        values,
        summary["summary"].clone(),
    )
}

fn by_url<'a>(results: &'a [Value], url: &str) -> Vec<&'a Value> {
    results.iter().filter(|r| r["url"] == url).collect()
}

#[test]
fn all_succeed_exit_0_with_status_bytes_and_times() {
    let server = Server::start(Duration::from_millis(100)).unwrap();
    let (urls, bytes) = (server.url("/get"), server.url("/bytes/5000"));
    let (code, results, summary) = fetch_json(&[&urls, &bytes, &server.url("/status/204")]);
    assert_eq!(code, 0);
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r["ok"] == true));
    assert_eq!(by_url(&results, &bytes)[0]["bytes"], 5000);
    assert_eq!(by_url(&results, &urls)[0]["status"], 200);
    assert!(by_url(&results, &urls)[0]["ms"].as_f64().unwrap() >= 100.0);
    assert_eq!(
        (summary["ok"].as_u64(), summary["failed"].as_u64()),
        (Some(3), Some(0))
    );
    assert_eq!(summary["slowest"]["url"], urls);
}

#[test]
fn fail_fast_cancels_the_requests_in_flight() {
    let server = Server::start(Duration::ZERO).unwrap();
    let slow = server.url("/delay/5000");
    let failing = server.url("/status/500");
    let t0 = Instant::now();
    let (code, results, summary) = fetch_json(&[&slow, &slow, &failing]);
    assert!(
        t0.elapsed() < Duration::from_secs(4),
        "the slow ones were not cancelled"
    );
    assert_eq!(code, 1);
    assert_eq!(results.len(), 3);
    let failed = by_url(&results, &failing);
    assert_eq!(failed[0]["status"], 500);
    assert!(failed[0]["error"].as_str().unwrap().contains("500"));
    for r in by_url(&results, &slow) {
        assert_eq!(r["ok"], false);
        assert!(r["error"].as_str().unwrap().starts_with("cancelled"), "{r}");
    }
    assert_eq!(summary["failed"], 3);
    // The server sees the cancelled requests go away (their connections closed) well before
    // their 5 s would have passed.
    let gone = (0..40).any(|_| {
        std::thread::sleep(Duration::from_millis(50));
        reqwest::blocking_get_json(&server.url("/stats"))["in_flight"] == 0
    });
    assert!(gone, "the cancelled requests are still open on the server");
}

#[test]
fn fail_fast_starts_no_more_requests_after_a_failure() {
    let server = Server::start(Duration::ZERO).unwrap();
    let failing = server.url("/status/503");
    let slow = server.url("/delay/300");
    let (code, results, _) = fetch_json(&["--limit", "1", &failing, &slow, &slow]);
    assert_eq!(code, 1);
    let never: Vec<_> = by_url(&results, &slow);
    assert_eq!(never.len(), 2);
    for r in never {
        assert!(
            r["error"].as_str().unwrap().starts_with("not started"),
            "{r}"
        );
        assert_eq!(r["ms"], 0.0);
    }
    let stats = reqwest::blocking_get_json(&server.url("/stats"));
    assert_eq!(
        stats["total"], 1,
        "only the failing request reached the server"
    );
}

#[test]
fn settled_reports_every_outcome() {
    let server = Server::start(Duration::ZERO).unwrap();
    let slow = server.url("/delay/300");
    let failing = server.url("/status/404");
    let (code, results, summary) = fetch_json(&["--settled", &slow, &failing, &slow]);
    assert_eq!(code, 1);
    assert_eq!(results.len(), 3);
    // In completion order: the 404 first.
    assert_eq!(results[0]["url"], failing);
    for r in by_url(&results, &slow) {
        assert_eq!(r["ok"], true);
        assert_eq!(r["status"], 200);
    }
    assert_eq!(
        (summary["ok"].as_u64(), summary["failed"].as_u64()),
        (Some(2), Some(1))
    );
}

#[test]
fn the_limit_is_respected() {
    let server = Server::start(Duration::ZERO).unwrap();
    let url = server.url("/delay/100");
    let urls: Vec<&str> = std::iter::repeat_n(url.as_str(), 12).collect();
    let mut args = vec!["--limit", "3"];
    args.extend(urls);
    let t0 = Instant::now();
    let (code, results, _) = fetch_json(&args);
    let took = t0.elapsed();
    assert_eq!(code, 0);
    assert_eq!(results.len(), 12);
    let stats = reqwest::blocking_get_json(&server.url("/stats"));
    assert_eq!(stats["total"], 12);
    assert_eq!(stats["max_in_flight"], 3, "{stats}");
    // 12 requests of 100 ms, 3 at a time: at least 4 rounds.
    assert!(took >= Duration::from_millis(400), "{took:?}");
}

#[test]
fn a_request_over_its_timeout_fails_alone() {
    let server = Server::start(Duration::ZERO).unwrap();
    let slow = server.url("/delay/3000");
    let fast = server.url("/delay/10");
    let t0 = Instant::now();
    let (code, results, _) = fetch_json(&["--settled", "--timeout", "200ms", &slow, &fast]);
    assert!(t0.elapsed() < Duration::from_secs(2));
    assert_eq!(code, 1);
    let timed_out = by_url(&results, &slow)[0];
    assert!(
        timed_out["error"].as_str().unwrap().contains("timed out"),
        "{timed_out}"
    );
    let ms = timed_out["ms"].as_f64().unwrap();
    assert!((190.0..1500.0).contains(&ms), "{ms}");
    assert_eq!(by_url(&results, &fast)[0]["ok"], true);
}

#[test]
fn a_refused_connection_is_that_urls_error() {
    let server = Server::start(Duration::ZERO).unwrap();
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }; // closed again: nothing listens there
    let refused = format!("http://127.0.0.1:{port}/");
    let good = server.url("/get");
    let (code, results, _) = fetch_json(&["--settled", &refused, &good]);
    assert_eq!(code, 1);
    let r = by_url(&results, &refused)[0];
    assert!(r["error"].as_str().unwrap().starts_with("connect"), "{r}");
    assert_eq!(r["status"], Value::Null);
    assert_eq!(by_url(&results, &good)[0]["ok"], true);
}

#[test]
fn a_bad_line_in_a_url_file_names_its_line_and_the_rest_run() {
    let server = Server::start(Duration::ZERO).unwrap();
    let dir = std::env::temp_dir().join(format!("taskio-fetch-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("urls.txt");
    let good = server.url("/bytes/10");
    std::fs::write(
        &file,
        format!("# the list\n{good}\nnot a url\n\nftp://x.test/\n{good}\n"),
    )
    .unwrap();
    let (code, results, summary) = fetch_json(&["-f", file.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(results.len(), 4);
    let name = file.display().to_string();
    let line3 = results
        .iter()
        .find(|r| r["source"] == format!("{name}:3"))
        .expect("line 3");
    assert!(line3["error"].as_str().unwrap().contains("invalid URL"));
    let line5 = results
        .iter()
        .find(|r| r["source"] == format!("{name}:5"))
        .expect("line 5");
    assert!(line5["error"].as_str().unwrap().contains("scheme"));
    // Invalid lines do not trigger fail-fast: both good lines ran.
    assert_eq!(
        by_url(&results, &good)
            .iter()
            .filter(|r| r["ok"] == true)
            .count(),
        2
    );
    assert_eq!(summary["ok"], 2);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn a_body_over_max_bytes_is_cut_and_reported() {
    let server = Server::start(Duration::ZERO).unwrap();
    let big = server.url("/bytes/3000000");
    let small = server.url("/bytes/1000");
    let (code, results, _) = fetch_json(&["--settled", "--max-bytes", "64k", &big, &small]);
    assert_eq!(code, 1);
    let cut = by_url(&results, &big)[0];
    assert_eq!(cut["truncated"], true);
    assert_eq!(cut["bytes"], 65536);
    assert!(cut["error"].as_str().unwrap().contains("--max-bytes"));
    let fine = by_url(&results, &small)[0];
    assert_eq!(
        (fine["ok"].as_bool(), fine["bytes"].as_u64()),
        (Some(true), Some(1000))
    );
}

#[test]
fn bad_usage_exits_2() {
    assert_eq!(taskio(&["fetch"]).status.code(), Some(2), "no URLs");
    assert_eq!(
        taskio(&["fetch", "--no-such-flag", "http://a.test/"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        taskio(&["fetch", "--limit", "0", "http://a.test/"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        taskio(&["fetch", "--timeout", "soon", "http://a.test/"])
            .status
            .code(),
        Some(2)
    );
    let missing = taskio(&["fetch", "-f", "/nonexistent/taskio-urls.txt"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read"));
}

#[test]
fn the_table_without_a_terminal_has_no_progress_bar() {
    let server = Server::start(Duration::ZERO).unwrap();
    let out = taskio(&["fetch", &server.url("/get"), &server.url("/status/201")]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        !stdout.contains('\u{1b}'),
        "escape codes on a pipe: {stdout:?}"
    );
    assert!(stdout.contains("STATUS"));
    assert!(stdout.contains("2 URL(s): 2 ok, 0 failed"));
    assert!(stdout.contains("slowest"));
}

#[test]
fn demo_serves_and_fetches_the_embedded_server() {
    let out = taskio(&["fetch", "--demo", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["summary"]["failed"], 0);
    assert!(last["summary"]["ok"].as_u64().unwrap() >= 5);
}

/// A blocking GET of a JSON endpoint, on a throwaway runtime.
mod reqwest {
    pub fn blocking_get_json(url: &str) -> serde_json::Value {
        let url = url.to_owned();
        let body = taskio::run(async move {
            let text = ::reqwest::get(url).await?.text().await?;
            taskio::Ok(text)
        })
        .expect("GET the server's stats");
        serde_json::from_str(&body).expect("JSON stats")
    }
}

#[test]
fn ctrl_c_cancels_the_requests_in_flight_and_still_reports() {
    let server = Server::start(Duration::ZERO).unwrap();
    let slow = server.url("/delay/5000");
    let t0 = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_taskio"))
        .args(["fetch", "--json", "--limit", "2", &slow, &slow, &slow])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until both requests are in flight on the server, then interrupt.
    let in_flight = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(20));
        reqwest::blocking_get_json(&server.url("/stats"))["in_flight"] == 2
    });
    assert!(in_flight, "the two requests never reached the server");
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    assert!(
        t0.elapsed() < Duration::from_secs(4),
        "not interrupted: {:?}",
        t0.elapsed()
    );
    assert_eq!(out.status.code(), Some(130), "Ctrl-C exits 130");
    let lines: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let errors: Vec<&str> = lines[..3]
        .iter()
        .map(|r| r["error"].as_str().unwrap())
        .collect();
    assert_eq!(
        errors
            .iter()
            .filter(|e| **e == "cancelled: interrupted (Ctrl-C)")
            .count(),
        2,
        "{errors:?}"
    );
    assert_eq!(
        errors
            .iter()
            .filter(|e| **e == "not started: interrupted (Ctrl-C)")
            .count(),
        1,
        "{errors:?}"
    );
    assert_eq!(lines[3]["summary"]["failed"], 3);
    assert_eq!(
        lines[3]["summary"]["slowest"],
        Value::Null,
        "a cancelled URL is never the slowest"
    );
}

/// A scratch directory for one test's files, removed at the end.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(test: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("taskio-fetch-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, content: &[u8]) -> String {
        let path = self.0.join(name);
        std::fs::write(&path, content).unwrap();
        path.display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// Runs the binary with `args`, killing it after `limit`: its output, or `None` if it hung.
fn taskio_within(args: &[&str], limit: Duration) -> Option<Output> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_taskio"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Drain stdout on a thread, so that a full pipe never looks like a hang.
    let mut stdout = child.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut buf).ok();
        buf
    });
    let t0 = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut stderr = Vec::new();
            std::io::Read::read_to_end(child.stderr.as_mut().unwrap(), &mut stderr).ok();
            return Some(Output {
                status,
                stdout: reader.join().unwrap(),
                stderr,
            });
        }
        if t0.elapsed() > limit {
            child.kill().ok();
            child.wait().ok();
            return None;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Issue 16: fail-fast over instant 200s and 500s, two at a time, hung in 20-40% of the runs: a
/// task refilled into the pool and cancelled before its first poll never ran its body, and the
/// loop waited for the "done" message that body would have sent. Now every run ends, and every
/// URL has exactly one line.
#[test]
fn fail_fast_over_400_instant_urls_always_ends_with_one_line_per_url() {
    let server = Server::start(Duration::ZERO).unwrap();
    let scratch = Scratch::new("hang");
    let list: String = (0..400)
        .map(|i| {
            server.url(if i % 2 == 0 {
                "/status/200"
            } else {
                "/status/500"
            }) + "\n"
        })
        .collect();
    let file = scratch.file("urls.txt", list.as_bytes());
    for run in 0..50 {
        let out = taskio_within(
            &["fetch", "-f", &file, "--limit", "2", "--json"],
            Duration::from_secs(20),
        )
        .unwrap_or_else(|| panic!("run {run} hung"));
        assert_eq!(out.status.code(), Some(1), "run {run}");
        let lines: Vec<Value> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(
            lines.len(),
            401,
            "run {run}: one line per URL, then the summary"
        );
        let mut sources: Vec<&str> = lines[..400]
            .iter()
            .map(|l| l["source"].as_str().unwrap())
            .collect();
        sources.sort_unstable();
        sources.dedup();
        assert_eq!(
            sources.len(),
            400,
            "run {run}: a URL reported twice or never"
        );
        assert_eq!(lines[400]["summary"]["urls"], 400);
        if let Some(slow) = lines[400]["summary"]["slowest"].as_object() {
            let named = lines[..400]
                .iter()
                .find(|l| l["url"] == slow["url"] && l["cancelled"] == false);
            assert!(
                named.is_some(),
                "run {run}: slowest names a cancelled URL: {slow:?}"
            );
        }
    }
}

#[test]
fn a_line_that_is_not_utf8_is_reported_with_its_number_and_the_rest_run() {
    let server = Server::start(Duration::ZERO).unwrap();
    let scratch = Scratch::new("utf8");
    let good = server.url("/bytes/10");
    let mut content = format!("{good}\n").into_bytes();
    content.extend_from_slice(b"http://bad\xff\xfe.test/\n");
    content.extend_from_slice(format!("{good}\n").as_bytes());
    let file = scratch.file("urls.txt", &content);
    let (code, results, summary) = fetch_json(&["-f", &file]);
    assert_eq!(code, 1);
    assert_eq!(results.len(), 3);
    let bad = results
        .iter()
        .find(|r| r["source"] == format!("{file}:2"))
        .expect("line 2");
    assert!(bad["error"].as_str().unwrap().contains("UTF-8"), "{bad}");
    assert_eq!(summary["ok"], 2, "the other lines ran");
}

#[test]
fn a_closed_stdout_ends_the_run_quietly() {
    let server = Server::start(Duration::ZERO).unwrap();
    let url = server.url("/delay/20");
    let mut args = vec!["fetch", "--limit", "2"];
    args.extend(std::iter::repeat_n(url.as_str(), 40));
    let mut child = Command::new(env!("CARGO_BIN_EXE_taskio"))
        .args(&args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // `| head -1`: read one line, then close the pipe.
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut first).unwrap();
    assert!(first.contains("/delay/20"), "{first}");
    drop(stdout);
    let t0 = Instant::now();
    let out = child.wait_with_output().unwrap();
    assert!(t0.elapsed() < Duration::from_secs(10));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "not quiet: {stderr}");
    assert_eq!(out.status.code(), Some(taskio_cli::out::STDOUT_CLOSED));
}

#[test]
fn a_body_that_fails_part_way_reports_the_bytes_it_read() {
    let server = Server::start(Duration::ZERO).unwrap();
    let broken = server.url("/bytes/5000/then-fail");
    let (code, results, summary) = fetch_json(&[&broken]);
    assert_eq!(code, 1);
    let r = &results[0];
    assert_eq!(r["ok"], false, "{r}");
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["bytes"], 5000, "{r}");
    assert!(r["error"].as_str().unwrap().starts_with("body"), "{r}");
    assert_eq!(summary["bytes"], 5000);
}

#[test]
fn an_empty_url_file_says_it_has_no_urls() {
    let scratch = Scratch::new("empty");
    for content in [&b""[..], b"# only a comment\n\n"] {
        let file = scratch.file("urls.txt", content);
        let out = taskio(&["fetch", "-f", &file]);
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("{file} has no URLs")), "{stderr}");
    }
}

#[test]
fn a_timeout_of_zero_is_bad_usage() {
    for zero in ["0", "0ms", "0s"] {
        let out = taskio(&["fetch", "--timeout", zero, "http://a.test/"]);
        assert_eq!(out.status.code(), Some(2), "--timeout {zero}");
        assert!(String::from_utf8_lossy(&out.stderr).contains("timeout"));
    }
}

#[test]
fn the_slowest_is_never_a_cancelled_url() {
    let server = Server::start(Duration::ZERO).unwrap();
    let slow = server.url("/delay/3000");
    let failing = server.url("/delay/100/status/500");
    let (code, results, summary) = fetch_json(&[&slow, &failing, &slow]);
    assert_eq!(code, 1);
    for r in by_url(&results, &slow) {
        assert_eq!(r["cancelled"], true, "{r}");
    }
    assert_eq!(summary["slowest"]["url"], failing, "{summary}");
}
