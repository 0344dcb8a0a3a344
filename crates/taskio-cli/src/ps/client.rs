//! Asking a process for its tasks: find its socket, send `tasks`, read the answer, within a
//! time limit whatever the other side does (a stopped process, a socket nobody accepts on).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// The answer of process `pid`'s inspection socket to `tasks` (the JSON document, as sent),
/// or a one-line error that says what is wrong: no such process, a process that did not opt
/// in, a stale or silent socket, an error answer.
///
/// ```
/// use std::time::Duration;
/// let e = taskio_cli::ps::ask(i32::MAX as u32, Duration::from_secs(1)).unwrap_err();
/// assert!(e.contains("no process with pid"), "{e}");
/// ```
pub fn ask(pid: u32, timeout: Duration) -> Result<String, String> {
    if pid == 0 || !Path::new(&format!("/proc/{pid}")).exists() {
        return Err(format!("no process with pid {pid}"));
    }
    let candidates = taskio::inspect::socket_paths(pid);
    let Some(path) = candidates
        .iter()
        .find(|p| std::fs::symlink_metadata(p).is_ok())
        .cloned()
    else {
        let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        return Err(format!(
            "process {pid} does not serve its tasks: it did not opt in (start it with {}=1, or call \
             taskio::inspect::serve() or Runner::inspect(true)), or it could not make its socket \
             (then it said why on its stderr); no socket at {}",
            taskio::inspect::ENV_VAR,
            looked.join(" or ")
        ));
    };
    taskio::inspect::check_socket(&path, pid).map_err(|e| e.to_string())?;
    let answer = exchange_within(path.clone(), timeout).map_err(|e| match e {
        Failure::TimedOut => format!(
            "process {pid} did not answer within {} (socket {})",
            seconds(timeout),
            path.display()
        ),
        Failure::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => format!(
            "nobody serves {} (a socket left by an earlier process with pid {pid}?)",
            path.display()
        ),
        Failure::Io(e) => format!("cannot read {}: {e}", path.display()),
    })?;
    if let Ok(serde_json::Value::Object(obj)) = serde_json::from_str(&answer)
        && let Some(error) = obj.get("error")
    {
        let error = error
            .as_str()
            .map_or_else(|| error.to_string(), str::to_owned);
        return Err(format!("process {pid} answered: {error}"));
    }
    Ok(answer)
}

fn seconds(d: Duration) -> String {
    format!("{} s", d.as_secs_f64())
}

enum Failure {
    TimedOut,
    Io(std::io::Error),
}

/// The exchange runs on a thread of its own, so a `connect` that blocks (a full backlog) is
/// bounded by `timeout` too; the thread is left behind then, and ends with the process.
fn exchange_within(path: PathBuf, timeout: Duration) -> Result<String, Failure> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("taskio-ps".to_owned())
        .spawn(move || {
            let _ = tx.send(exchange(&path, timeout));
        })
        .map_err(Failure::Io)?;
    match rx.recv_timeout(timeout) {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(e))
            if matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
            ) =>
        {
            Err(Failure::TimedOut)
        }
        Ok(Err(e)) => Err(Failure::Io(e)),
        Err(_) => Err(Failure::TimedOut),
    }
}

fn exchange(path: &Path, timeout: Duration) -> std::io::Result<String> {
    let mut socket = UnixStream::connect(path)?;
    socket.set_read_timeout(Some(timeout))?;
    socket.set_write_timeout(Some(timeout))?;
    // A server that answers before reading (busy) may have closed already: read anyway.
    let _ = socket.write_all(b"tasks\n");
    let mut answer = String::new();
    socket.read_to_string(&mut answer)?;
    if answer.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the socket closed without an answer",
        ));
    }
    Ok(answer)
}
