//! `taskio::inspect` in this process: the server at the real socket path (so these tests take
//! turns), a stale socket replaced, a path taken by a file refused with a clear error while a
//! `run` asked to serve runs anyway, and a process with a hundred thousand tasks answered.
//! The `taskio ps` side, against other processes, is in `crates/taskio-cli/tests/ps.rs`.

use std::io::{Read, Write};
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

mod support;

use support::capture::{install, reports_with};

static TURN: Mutex<()> = Mutex::new(());

fn turn() -> MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(PoisonError::into_inner)
}

fn ask(path: &Path) -> String {
    let mut s = UnixStream::connect(path).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    s.write_all(b"tasks\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn a_stale_socket_of_a_dead_process_with_this_pid_is_replaced() {
    let _turn = turn();
    let path = taskio::inspect::serve().unwrap().path().to_owned();
    assert!(!path.exists(), "removed with the last Inspector");
    // What a killed process leaves: a socket file that nobody listens on.
    drop(UnixListener::bind(&path).unwrap());
    assert!(
        std::fs::symlink_metadata(&path)
            .unwrap()
            .file_type()
            .is_socket()
    );
    let inspector = taskio::inspect::serve().unwrap();
    assert_eq!(inspector.path(), path);
    assert!(ask(&path).starts_with("{\"taskio\":1,"));
    drop(inspector);
    assert!(!path.exists());
}

#[test]
fn a_path_taken_by_a_file_is_refused_and_a_run_asked_to_serve_runs_anyway() {
    let _turn = turn();
    let path = taskio::inspect::serve().unwrap().path().to_owned();
    std::fs::write(&path, "someone's file").unwrap();
    let _file = RemoveOnDrop(path.clone());
    let e = taskio::inspect::serve().unwrap_err();
    assert!(e.to_string().contains("is not a socket"), "{e}");
    assert!(e.to_string().contains(&path.display().to_string()), "{e}");
    // The run says why (a warning; a line on stderr without a subscriber) and runs main.
    install();
    let out = taskio::Runner::new()
        .inspect(true)
        .run(async { taskio::Ok(7) });
    assert_eq!(out.unwrap(), 7);
    let reports = reports_with("not replacing it");
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].starts_with(
            "taskio: running without the task view (taskio ps) error=taskio inspect: "
        ),
        "{reports:?}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "someone's file");
}

/// A file this test put in the socket's place, removed also when the test fails.
struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn a_hundred_thousand_tasks_are_answered_in_one_document() {
    let _turn = turn();
    const N: usize = 100_000;
    let (took, doc) = taskio::Runner::new()
        .inspect(true)
        .run(async {
            let hour = Duration::from_secs(3600);
            let tasks: Vec<_> = (0..N)
                .map(|i| {
                    taskio::task()
                        .name(format!("t-{i}"))
                        .spawn(taskio::sleep(hour))
                })
                .collect();
            taskio::checkpoint().await?;
            let path = taskio::inspect::serve()?.path().to_owned();
            let start = Instant::now();
            let doc = std::thread::spawn(move || ask(&path)).join().unwrap();
            let took = start.elapsed();
            for t in &tasks {
                t.cancel();
            }
            taskio::Ok((took, doc))
        })
        .unwrap();
    assert_eq!(doc.matches("\"id\":").count(), N + 1, "the tasks and main");
    assert!(doc.contains("\"name\":\"t-99999\""));
    assert_eq!(doc.lines().count(), 1);
    println!("{N} tasks: {} bytes answered in {took:?}", doc.len());
    assert!(took < Duration::from_secs(30), "{took:?}");
}
