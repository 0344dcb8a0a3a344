//! The inspection server: a plain std thread that accepts on the Unix socket, and one short
//! thread per client (at most [`MAX_CLIENTS`] at once) that reads the request line with a
//! timeout and writes the answer. Nothing here runs on a tokio runtime, so the view answers
//! while every runtime thread is busy in CPU-bound code.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use super::document;

/// Clients served at once; one more gets a "busy" error line at once.
const MAX_CLIENTS: usize = 8;
/// How long a client has to send its request line.
const READ_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a client may take to read the answer.
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest request line read (the one request is `tasks`).
const MAX_REQUEST: u64 = 256;

/// A running server; dropping it stops the accepting thread and removes the socket.
pub(crate) struct Server {
    path: PathBuf,
    /// The socket file's (device, inode): only that file is removed at the end.
    file: (u64, u64),
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `path` (whose directory was checked), makes it 0600 and starts accepting.
    pub(crate) fn start(path: PathBuf) -> io::Result<Server> {
        let listener = UnixListener::bind(&path).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("taskio inspect: cannot listen on {}: {e}", path.display()),
            )
        })?;
        // Inside the 0700 directory nobody else could reach it meanwhile.
        if let Err(e) = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)) {
            let _ = std::fs::remove_file(&path);
            return Err(e);
        }
        let meta = std::fs::symlink_metadata(&path)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("taskio-inspect".to_owned())
            .spawn(move || accept_loop(&listener, &flag));
        let thread = match thread {
            Ok(t) => t,
            Err(e) => {
                let _ = std::fs::remove_file(&path);
                return Err(e);
            }
        };
        Ok(Server {
            path,
            file: (meta.dev(), meta.ino()),
            stop,
            thread: Some(thread),
        })
    }

    /// The socket's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Release);
        // Wake the blocked `accept` with a connection of our own; if that fails (the file was
        // removed by someone), the thread stays blocked and is left, not waited for.
        if UnixStream::connect(&self.path).is_ok()
            && let Some(thread) = self.thread.take()
        {
            let _ = thread.join();
        }
        if let Ok(meta) = std::fs::symlink_metadata(&self.path)
            && (meta.dev(), meta.ino()) == self.file
        {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

fn accept_loop(listener: &UnixListener, stop: &AtomicBool) {
    let active = Arc::new(AtomicUsize::new(0));
    for conn in listener.incoming() {
        if stop.load(Ordering::Acquire) {
            return;
        }
        let Ok(stream) = conn else {
            // Out of file descriptors, or the like: try again in a moment, never spin.
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        let slot = Slot::take(&active);
        let Some(slot) = slot else {
            answer_busy(stream);
            continue;
        };
        // If the thread cannot start, the closure (with the slot) is dropped: slot given back.
        let _ = std::thread::Builder::new()
            .name("taskio-inspect-client".to_owned())
            .spawn(move || {
                let _slot = slot;
                serve_client(stream);
            });
    }
}

/// One of the [`MAX_CLIENTS`] places, given back when dropped.
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(active: &Arc<AtomicUsize>) -> Option<Slot> {
        if active.fetch_add(1, Ordering::AcqRel) >= MAX_CLIENTS {
            active.fetch_sub(1, Ordering::AcqRel);
            return None;
        }
        Some(Slot(active.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn answer_busy(mut stream: UnixStream) {
    let _ = stream.set_write_timeout(Some(Duration::from_millis(100)));
    let _ =
        stream.write_all(document::error("busy: too many clients at once; try again").as_bytes());
    close(stream);
}

fn serve_client(mut stream: UnixStream) {
    let _ = stream.set_read_timeout(Some(READ_TIMEOUT));
    let _ = stream.set_write_timeout(Some(WRITE_TIMEOUT));
    let answer = match read_request(&stream) {
        Ok(request) => answer(&request),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ) =>
        {
            document::error(&format!(
                "no request line within {} s",
                READ_TIMEOUT.as_secs()
            ))
        }
        Err(_) => return,
    };
    let _ = stream.write_all(answer.as_bytes());
    close(stream);
}

/// Closes a client's stream after its answer. What it sent and was not read (a long garbage
/// line) is read away first, up to a bound and without waiting: a Unix socket closed with
/// unread input resets the peer, who would lose the answer.
fn close(mut stream: UnixStream) {
    let _ = stream.shutdown(std::net::Shutdown::Write);
    if stream.set_nonblocking(true).is_ok() {
        let mut sink = [0u8; 4096];
        for _ in 0..16 {
            match stream.read(&mut sink) {
                Ok(n) if n > 0 => {}
                _ => break,
            }
        }
    }
}

/// The request line, without its line end (at most [`MAX_REQUEST`] bytes are read).
fn read_request(stream: &UnixStream) -> io::Result<Vec<u8>> {
    let mut line = Vec::new();
    BufReader::new(stream.take(MAX_REQUEST)).read_until(b'\n', &mut line)?;
    while line.last().is_some_and(|b| matches!(b, b'\n' | b'\r')) {
        line.pop();
    }
    Ok(line)
}

/// The answer to one request line.
pub(crate) fn answer(request: &[u8]) -> String {
    match request {
        b"tasks" => document::tasks(std::process::id(), &crate::all_tasks()),
        _ => {
            let text = String::from_utf8_lossy(request);
            let shown: String = text.chars().take(64).collect();
            document::error(&format!(
                "unknown request {shown:?}; the one request is \"tasks\""
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::UnixStream;
    use std::time::{Duration, Instant};

    use super::Server;
    use crate::inspect::place::tests::TempDir;

    fn ask(path: &std::path::Path, request: &[u8]) -> String {
        let mut s = UnixStream::connect(path).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        // A busy server answers at once and closes without reading, so the write may
        // meet a closed socket (EPIPE); the answer is still there to read, as the CLI
        // client (which ignores this error too) reads it.
        let _ = s.write_all(request);
        // If the write lands between the server's drain and its close, the close
        // resets the socket after the answer: what was read before that is kept.
        let mut out = Vec::new();
        if let Err(e) = s.read_to_end(&mut out) {
            assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}");
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn the_socket_is_0600_answers_tasks_and_errors_and_is_removed_when_dropped() {
        let dir = TempDir::new("srv");
        let path = dir.0.join("1.sock");
        let server = Server::start(path.clone()).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let doc = ask(&path, b"tasks\n");
        assert!(doc.starts_with("{\"taskio\":1,\"pid\":"), "{doc}");
        assert!(doc.ends_with("]}\n"), "{doc}");
        // No line end: the end of the stream ends the request.
        let mut s = UnixStream::connect(&path).unwrap();
        s.write_all(b"tasks").unwrap();
        s.shutdown(std::net::Shutdown::Write).unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        assert!(out.starts_with("{\"taskio\":1,"), "{out}");
        let err = ask(&path, b"hello \"there\"\r\n");
        assert_eq!(
            err,
            "{\"error\":\"unknown request \\\"hello \\\\\\\"there\\\\\\\"\\\"; the one request is \\\"tasks\\\"\"}\n"
        );
        let long = ask(&path, &[b'x'; 10_000]);
        assert!(long.starts_with("{\"error\":\"unknown request"), "{long}");
        drop(server);
        assert!(!path.exists());
    }

    #[test]
    fn a_silent_client_does_not_hold_up_the_others() {
        let dir = TempDir::new("quiet");
        let path = dir.0.join("2.sock");
        let _server = Server::start(path.clone()).unwrap();
        let silent: Vec<UnixStream> = (0..3)
            .map(|_| UnixStream::connect(&path).unwrap())
            .collect();
        let start = Instant::now();
        let doc = ask(&path, b"tasks\n");
        assert!(doc.starts_with("{\"taskio\":1,"));
        assert!(
            start.elapsed() < super::READ_TIMEOUT,
            "{:?}",
            start.elapsed()
        );
        // The silent ones get an error line after the read timeout, and are closed.
        for mut s in silent {
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            assert_eq!(out, "{\"error\":\"no request line within 2 s\"}\n");
        }
    }

    #[test]
    fn more_clients_than_the_limit_get_busy_and_the_server_recovers() {
        let dir = TempDir::new("busy");
        let path = dir.0.join("3.sock");
        let _server = Server::start(path.clone()).unwrap();
        let mut silent: Vec<UnixStream> = (0..super::MAX_CLIENTS)
            .map(|_| UnixStream::connect(&path).unwrap())
            .collect();
        // Let the accepting thread give each its place.
        let busy = (0..200).find_map(|_| {
            std::thread::sleep(Duration::from_millis(10));
            let out = ask(&path, b"tasks\n");
            out.contains("busy").then_some(out)
        });
        assert!(busy.unwrap().starts_with("{\"error\":\"busy"));
        // Once the silent clients go away, their places come back.
        silent.clear();
        let ok = (0..200).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            ask(&path, b"tasks\n").starts_with("{\"taskio\":1,")
        });
        assert!(ok);
    }
}
