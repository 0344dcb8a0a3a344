//! `taskio ps PID` / `taskio pstree PID` against real processes.
//!
//! The opted-in processes are this test binary itself, re-executed to run the ignored test
//! [`child`] with `TASKIO_PS_CHILD` naming its role: no extra binary or example in the package,
//! the child's task tree is written next to the checks that read it, and `current_exe()` is
//! always built when the tests are. Every child is killed by its guard's `Drop`, also when a
//! check fails; every wait has a deadline that fails the test instead of hanging it. Each test
//! gives its processes their own `XDG_RUNTIME_DIR`, so sockets never collide with a real one.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

const ROLE: &str = "TASKIO_PS_CHILD";
const HOUR: Duration = Duration::from_secs(3600);
/// The name with every character a JSON writer must escape.
const ODD_NAME: &str = "odd \"name\"\n\t\\ \u{1} é";

// ---------------------------------------------------------------------------------------------
// The child process.

/// Not a test: the body of the child processes (see the module's doc).
#[test]
#[ignore = "the child process of the other tests; run by them with TASKIO_PS_CHILD set"]
fn child() {
    match std::env::var(ROLE).as_deref() {
        Ok("tree") => tree_child(),
        Ok("spin-current") => spin_child(taskio::Runner::new().inspect(true), 1),
        Ok("spin-multi") => spin_child(taskio::Runner::new().worker_threads(2).inspect(true), 2),
        other => panic!("{ROLE} is {other:?}"),
    }
}

/// Opted in by `TASKIO_INSPECT=1`: a gather of 3, a group of 2, two tasks that await each
/// other's handles, a task with an odd name; then it holds.
fn tree_child() {
    taskio::run(async {
        let _gatherer = taskio::task().name("gatherer").spawn(async {
            let inputs = (0..3).map(|i| {
                taskio::task()
                    .name(format!("gathered-{i}"))
                    .spawn(taskio::sleep(HOUR))
            });
            taskio::gather(inputs).await
        });
        let _grouper = taskio::task()
            .name("grouper")
            .spawn(taskio::task_group(|tg| async move {
                tg.spawn_with(taskio::task().name("member-1"), taskio::sleep(HOUR))?;
                tg.spawn_with(taskio::task().name("member-2"), taskio::sleep(HOUR))?;
                taskio::Ok(())
            }));
        let (to_a, for_a) = tokio::sync::oneshot::channel::<taskio::Task<()>>();
        let (to_b, for_b) = tokio::sync::oneshot::channel::<taskio::Task<()>>();
        let a = taskio::task()
            .name("cycle-a")
            .spawn(async move { for_a.await.expect("b's handle comes").await });
        let b = taskio::task()
            .name("cycle-b")
            .spawn(async move { for_b.await.expect("a's handle comes").await });
        assert!(to_a.send(b).is_ok(), "a waits for b's handle");
        assert!(to_b.send(a).is_ok(), "b waits for a's handle");
        let _odd = taskio::task().name(ODD_NAME).spawn(taskio::sleep(HOUR));
        taskio::sleep(Duration::from_millis(20)).await?;
        println!("READY");
        taskio::sleep(HOUR).await?;
        taskio::Ok(())
    })
    .unwrap();
}

/// Opted in by `Runner::inspect`: `n` tasks that spin without ever yielding, one per runtime
/// thread, so no runtime thread is free (bounded, in case the parent is gone).
fn spin_child(runner: taskio::Runner, n: usize) {
    runner
        .run(async move {
            let spinners: Vec<_> = (1..=n)
                .map(|i| {
                    taskio::task()
                        .name(format!("spinner-{i}"))
                        .spawn(async move {
                            println!("SPINNING {i}");
                            let start = Instant::now();
                            let mut x = 0u64;
                            while start.elapsed() < Duration::from_secs(60) {
                                x = std::hint::black_box(x.wrapping_add(1));
                            }
                        })
                })
                .collect();
            taskio::gather(spinners).await
        })
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// The parent's tools.

/// A fresh `XDG_RUNTIME_DIR` (0700, short: socket paths must fit in 108 bytes), removed at the
/// end.
struct RuntimeDir(PathBuf);

impl RuntimeDir {
    fn new(tag: &str) -> RuntimeDir {
        let dir = PathBuf::from(format!("/tmp/tio-ps-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        RuntimeDir(dir)
    }

    fn socket(&self, pid: u32) -> PathBuf {
        self.0.join("taskio").join(format!("{pid}.sock"))
    }
}

impl Drop for RuntimeDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process, killed and reaped when dropped; its stdout lines come through `lines`.
struct Kid {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// The lines read so far.
    seen: std::cell::RefCell<Vec<String>>,
}

impl Kid {
    fn spawn(mut cmd: Command) -> Kid {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the child starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Kid {
            child,
            lines,
            seen: Default::default(),
        }
    }

    /// This test binary as the child with `role`.
    fn role(role: &str, xdg: &RuntimeDir, inspect_env: bool) -> Kid {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            "child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ROLE, role)
        .env("XDG_RUNTIME_DIR", &xdg.0)
        .env_remove("TASKIO_INSPECT");
        if inspect_env {
            cmd.env("TASKIO_INSPECT", "1");
        }
        Kid::spawn(cmd)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (at most a minute) until the child printed `line` (now or before).
    fn wait_for(&self, line: &str) {
        // libtest may have begun the line with "test child ... ".
        let is = |l: &String| l.trim_end().ends_with(line);
        let deadline = Instant::now() + Duration::from_secs(60);
        while !self.seen.borrow().iter().any(is) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => self.seen.borrow_mut().push(l),
                Err(e) => panic!("the child did not print {line:?}: {e}"),
            }
        }
    }
}

impl Drop for Kid {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Run {
    status: ExitStatus,
    stdout: String,
    stderr: String,
    took: Duration,
}

/// `taskio ARGS` with `XDG_RUNTIME_DIR=xdg`; killed (and the test failed) after 30 s.
fn taskio(args: &[&str], xdg: &Path) -> Run {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_taskio"))
        .args(args)
        .env("XDG_RUNTIME_DIR", xdg)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the taskio binary runs");
    let read = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut s = String::new();
            r.read_to_string(&mut s).ok();
            s
        })
    };
    let out = read(Box::new(child.stdout.take().unwrap()));
    let err = read(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("taskio {args:?} still ran after 30 s");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Run {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        took: start.elapsed(),
    }
}

fn ps_json(pid: u32, xdg: &RuntimeDir) -> Value {
    let run = taskio(&["ps", &pid.to_string(), "--json"], &xdg.0);
    assert!(run.status.success(), "{}", run.stderr);
    assert_eq!(
        run.stdout.lines().count(),
        1,
        "one document: {}",
        run.stdout
    );
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout))
}

fn task<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == name)
        .unwrap_or_else(|| panic!("no task {name:?} in {doc}"))
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o777
}

// ---------------------------------------------------------------------------------------------
// The tests.

#[test]
fn ps_json_has_every_task_with_its_name_parent_state_and_spawn_site() {
    let xdg = RuntimeDir::new("json");
    let kid = Kid::role("tree", &xdg, true);
    kid.wait_for("READY");
    let doc = ps_json(kid.pid(), &xdg);
    assert_eq!(doc["taskio"], 1);
    assert_eq!(doc["pid"], kid.pid());
    let id = |name: &str| task(&doc, name)["id"].as_u64().unwrap();
    let main = task(&doc, "main");
    assert_eq!(main["parent"], Value::Null);
    for (name, parent) in [
        ("gatherer", "main"),
        ("gathered-0", "gatherer"),
        ("gathered-1", "gatherer"),
        ("gathered-2", "gatherer"),
        ("grouper", "main"),
        ("member-1", "grouper"),
        ("member-2", "grouper"),
        ("cycle-a", "main"),
        ("cycle-b", "main"),
        (ODD_NAME, "main"),
    ] {
        let t = task(&doc, name);
        assert_eq!(t["parent"].as_u64(), Some(id(parent)), "{name}'s parent");
        assert_eq!(t["state"], "running", "{name}");
        assert_eq!(t["cancelling"], 0, "{name}");
        let age = t["age"].as_f64().unwrap();
        assert!((0.0..60.0).contains(&age), "{name}: age {age}");
        let site = t["spawned_at"].as_str().unwrap();
        assert!(site.contains("tests/ps.rs:"), "{name}: {site}");
        assert_eq!(site.split(':').count(), 3, "file:line:col, {site}");
    }
    assert_eq!(doc["tasks"].as_array().unwrap().len(), 11);
    // Who awaits whom: the gather its inputs, the group's task its members (its body is done
    // and it joins them), the two cycle tasks each other; and the cycle is named a deadlock.
    let awaits = |name: &str| -> Vec<u64> {
        task(&doc, name)["awaits"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} has no awaits"))
            .iter()
            .map(|v| v.as_u64().unwrap())
            .collect()
    };
    assert_eq!(
        awaits("gatherer"),
        [id("gathered-0"), id("gathered-1"), id("gathered-2")]
    );
    assert_eq!(awaits("grouper"), [id("member-1"), id("member-2")]);
    assert_eq!(awaits("cycle-a"), [id("cycle-b")]);
    assert_eq!(awaits("cycle-b"), [id("cycle-a")]);
    assert!(awaits("main").is_empty() && awaits("member-1").is_empty());
    let (a, b) = (id("cycle-a"), id("cycle-b"));
    assert_eq!(
        doc["await_cycles"],
        serde_json::json!([{ "tasks": [a.min(b), a.max(b)] }])
    );
    let ids: Vec<u64> = doc["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_u64().unwrap())
        .collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ordered by id: {ids:?}"
    );
}

#[test]
fn ps_prints_the_table_and_pstree_the_tree() {
    let xdg = RuntimeDir::new("text");
    let kid = Kid::role("tree", &xdg, true);
    kid.wait_for("READY");
    let pid = kid.pid().to_string();
    let doc = ps_json(kid.pid(), &xdg);
    let id = |name: &str| task(&doc, name)["id"].as_u64().unwrap();

    let ps = taskio(&["ps", &pid], &xdg.0);
    assert!(ps.status.success(), "{}", ps.stderr);
    let lines: Vec<&str> = ps.stdout.lines().collect();
    let header: Vec<&str> = lines[0]
        .split("  ")
        .filter(|c| !c.is_empty())
        .map(str::trim)
        .collect();
    assert_eq!(
        header,
        [
            "ID",
            "NAME",
            "STATE",
            "AGE",
            "PARENT",
            "AWAITS",
            "SPAWNED AT"
        ]
    );
    assert_eq!(lines.len(), 12, "{}", ps.stdout);
    let row = |name: &str| -> Vec<String> {
        let line = lines
            .iter()
            .find(|l| l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("no row {name}: {}", ps.stdout));
        line.split_whitespace().map(str::to_owned).collect()
    };
    let member = row("member-2");
    assert_eq!(member[0], id("member-2").to_string());
    assert_eq!(member[2], "running");
    assert!(member[3].ends_with('s'), "an age: {member:?}");
    assert_eq!(member[4], id("grouper").to_string());
    assert_eq!(member[5], "-");
    assert!(member[6].contains("tests/ps.rs:"));
    assert_eq!(row("main")[4], "-");
    assert_eq!(
        row("grouper")[5],
        format!("{},{}", id("member-1"), id("member-2"))
    );
    assert_eq!(row("cycle-a")[5], id("cycle-b").to_string());
    // The odd name stays on its row, its control characters escaped.
    assert!(
        ps.stdout.contains(r#"odd "name"\n\t\ \u{1} é  running"#),
        "{}",
        ps.stdout
    );

    let tree = taskio(&["pstree", &pid], &xdg.0);
    assert!(tree.status.success(), "{}", tree.stderr);
    let lines: Vec<&str> = tree.stdout.lines().collect();
    // 11 tasks and the cycle's line.
    assert_eq!(lines.len(), 12, "{}", tree.stdout);
    assert_eq!(lines[0], format!("main (id {}, running)", id("main")));
    let (a, b) = (id("cycle-a"), id("cycle-b"));
    let name_of = |i: u64| if i == a { "cycle-a" } else { "cycle-b" };
    let (lo, hi) = (a.min(b), a.max(b));
    assert_eq!(
        *lines.last().unwrap(),
        format!(
            "await cycle (deadlock): {} (id {lo}) → {} (id {hi}) → {} (id {lo})",
            name_of(lo),
            name_of(hi),
            name_of(lo)
        )
    );
    assert!(
        lines.iter().any(|l| l.ends_with(&format!(
            "grouper (id {}, running, awaits {}, {})",
            id("grouper"),
            id("member-1"),
            id("member-2")
        ))),
        "{}",
        tree.stdout
    );
    // Each line: its guides, then `name (id N, state...)`; a child is one level (4 columns) in.
    let depth_of = |name: &str| -> usize {
        let entry = format!("{name} (id {}, running", id(name));
        let line = lines
            .iter()
            .find(|l| l.contains(&entry))
            .unwrap_or_else(|| panic!("no line {entry}: {}", tree.stdout));
        line[..line.find(&entry).unwrap()].chars().count()
    };
    assert_eq!(depth_of("gatherer"), 4);
    assert_eq!(depth_of("grouper"), 4);
    assert_eq!(depth_of("cycle-a"), 4);
    assert_eq!(depth_of("cycle-b"), 4);
    for name in [
        "gathered-0",
        "gathered-1",
        "gathered-2",
        "member-1",
        "member-2",
    ] {
        assert_eq!(depth_of(name), 8, "{name}");
    }
    let gatherer = lines
        .iter()
        .position(|l| l.contains("gatherer (id"))
        .unwrap();
    assert!(lines[gatherer].starts_with("├── "));
    assert!(lines[gatherer + 1].starts_with("│   ├── gathered-0 (id "));
    assert!(lines[gatherer + 3].starts_with("│   └── gathered-2 (id "));
    assert!(
        lines[lines.len() - 2].starts_with("└── "),
        "{}",
        tree.stdout
    );

    // --json is the same document for both.
    let tree_json = taskio(&["pstree", &pid, "--json"], &xdg.0);
    let tree_doc: Value = serde_json::from_str(&tree_json.stdout).unwrap();
    assert_eq!(tree_doc["tasks"].as_array().unwrap().len(), 11);
}

#[test]
fn the_socket_is_0600_in_a_0700_directory_a_dead_process_gets_a_clear_error_and_its_socket_is_swept()
 {
    let xdg = RuntimeDir::new("mode");
    let mut kid = Kid::role("tree", &xdg, true);
    kid.wait_for("READY");
    let pid = kid.pid();
    let socket = xdg.socket(pid);
    assert_eq!(mode(&socket), 0o600, "{}", socket.display());
    assert_eq!(mode(socket.parent().unwrap()), 0o700);
    use std::os::unix::fs::FileTypeExt;
    assert!(
        std::fs::symlink_metadata(&socket)
            .unwrap()
            .file_type()
            .is_socket()
    );
    // Killed, it leaves its socket; `ps` of its pid says there is no such process.
    kid.child.kill().unwrap();
    kid.child.wait().unwrap();
    let run = taskio(&["ps", &pid.to_string()], &xdg.0);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        run.stderr,
        format!("taskio ps: no process with pid {pid}\n")
    );
    assert!(run.stdout.is_empty());
    // The next process that serves there removes the dead one's socket.
    assert!(socket.exists());
    let next = Kid::role("tree", &xdg, true);
    next.wait_for("READY");
    assert!(!socket.exists());
    assert!(xdg.socket(next.pid()).exists());
}

#[test]
fn a_process_that_did_not_opt_in_gets_a_clear_error_at_once() {
    let xdg = RuntimeDir::new("optout");
    // A taskio process without TASKIO_INSPECT, and a process that is not taskio at all.
    let kid = Kid::role("tree", &xdg, false);
    kid.wait_for("READY");
    let mut sleep = Command::new("sleep");
    sleep.arg("30");
    let sleeper = Kid::spawn(sleep);
    for pid in [kid.pid(), sleeper.pid()] {
        for cmd in ["ps", "pstree"] {
            let run = taskio(&[cmd, &pid.to_string()], &xdg.0);
            assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
            assert!(run.stdout.is_empty());
            assert_eq!(run.stderr.lines().count(), 1, "one line: {}", run.stderr);
            assert!(
                run.stderr.starts_with(&format!(
                    "taskio {cmd}: process {pid} does not serve its tasks: it did not opt in (start it with TASKIO_INSPECT=1"
                )),
                "{}",
                run.stderr
            );
            assert!(run.took < Duration::from_secs(5), "{:?}", run.took);
        }
    }
    assert!(!xdg.socket(kid.pid()).exists());
    // A pid that does not exist, and one that is not a number.
    let run = taskio(&["ps", "2147483647"], &xdg.0);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(run.stderr, "taskio ps: no process with pid 2147483647\n");
    let run = taskio(&["ps", "nope"], &xdg.0);
    assert_eq!(run.status.code(), Some(2), "bad usage");
}

#[test]
fn a_socket_that_never_answers_times_out_with_a_clear_error() {
    let xdg = RuntimeDir::new("silent");
    let mut sleep = Command::new("sleep");
    sleep.arg("30");
    let sleeper = Kid::spawn(sleep);
    // Someone listens at the sleeper's socket path and never accepts nor answers.
    let dir = xdg.0.join("taskio");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let socket = xdg.socket(sleeper.pid());
    let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
    let run = taskio(
        &["ps", &sleeper.pid().to_string(), "--timeout", "1s"],
        &xdg.0,
    );
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        run.stderr,
        format!(
            "taskio ps: process {} did not answer within 1 s (socket {})\n",
            sleeper.pid(),
            socket.display()
        )
    );
    assert!(run.took >= Duration::from_secs(1), "{:?}", run.took);
    assert!(run.took < Duration::from_secs(10), "{:?}", run.took);
}

#[test]
fn a_socket_in_a_directory_open_to_others_is_not_talked_to() {
    let xdg = RuntimeDir::new("open");
    let mut sleep = Command::new("sleep");
    sleep.arg("30");
    let sleeper = Kid::spawn(sleep);
    // Someone made the directory open to all and put a socket in it that would answer.
    let dir = xdg.0.join("taskio");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let _listener = std::os::unix::net::UnixListener::bind(xdg.socket(sleeper.pid())).unwrap();
    let run = taskio(&["ps", &sleeper.pid().to_string()], &xdg.0);
    assert_eq!(run.status.code(), Some(1));
    assert_eq!(
        run.stderr,
        format!(
            "taskio ps: taskio inspect: refusing the directory {}: it is open to others (mode 777; it must be 0700)\n",
            dir.display()
        )
    );
    assert!(run.took < Duration::from_secs(5), "{:?}", run.took);
}

/// The view is served from a thread of its own: it answers while every runtime thread spins.
fn answers_while_the_runtime_is_blocked(role: &str, spinners: usize) {
    let xdg = RuntimeDir::new(role);
    let kid = Kid::role(role, &xdg, false);
    for i in 1..=spinners {
        kid.wait_for(&format!("SPINNING {i}"));
    }
    let start = Instant::now();
    let doc = ps_json(kid.pid(), &xdg);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    for i in 1..=spinners {
        assert_eq!(task(&doc, &format!("spinner-{i}"))["state"], "running");
    }
    assert_eq!(task(&doc, "main")["state"], "running");
    let tree = taskio(&["pstree", &kid.pid().to_string()], &xdg.0);
    assert!(tree.status.success(), "{}", tree.stderr);
    assert!(tree.stdout.contains("── spinner-1 (id "), "{}", tree.stdout);
}

#[test]
fn the_view_answers_while_the_current_thread_runtime_is_blocked() {
    answers_while_the_runtime_is_blocked("spin-current", 1);
}

#[test]
fn the_view_answers_while_both_workers_of_a_multi_thread_runtime_are_blocked() {
    answers_while_the_runtime_is_blocked("spin-multi", 2);
}
