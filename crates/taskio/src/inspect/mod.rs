//! The live view from outside: a process serves its task tree on a Unix socket, and
//! `taskio ps PID` / `taskio pstree PID` print it. Python 3.14's `python -m asyncio ps PID` and
//! `python -m asyncio pstree PID`, for taskio.
//!
//! # What it is for
//!
//! A service that hangs, a batch job that stops making progress, a shutdown that never ends:
//! the question is "what are its tasks doing?", asked from outside, without a debugger and
//! without having built the program in a special way. [`all_tasks()`](crate::all_tasks()) and
//! [`tree()`](crate::tree()) answer it from inside; this module answers it for another
//! terminal. Python 3.14 reads a running interpreter's memory for its `ps`/`pstree`; a taskio
//! process that opted in answers over a socket instead, from a plain thread of its own, so the
//! view works while every runtime thread is blocked (the seeds' CPU-bound pitfall: that is
//! when it is needed most, and the blocked task shows as `running`).
//!
//! ```text
//! $ TASKIO_INSPECT=1 ./my-service &
//! $ taskio ps 41721
//! ID  NAME     STATE    AGE     PARENT  AWAITS  SPAWNED AT
//! 1   main     running  12.41s  -       2       src/main.rs:8:5
//! 2   server   running  12.41s  1       -       src/main.rs:11:18
//! 5   conn-17  running  0.83s   2       -       src/server.rs:40:22
//! $ taskio pstree 41721
//! main (id 1, running, awaits 2)
//! └── server (id 2, running)
//!     └── conn-17 (id 5, running)
//! ```
//!
//! # Opting in
//!
//! Off by default, and free when off: nothing is started, nothing is on the spawn path. Three
//! ways to turn it on, all the same server (a process has one socket however many ask):
//!
//! - `TASKIO_INSPECT=1` in the environment when [`run`](crate::run())
//!   or [`Runner::run`](crate::Runner::run) starts: the socket lives as long as that `run`;
//! - [`Runner::inspect`](crate::Runner::inspect)`(true)`: the same, from the code;
//! - [`serve()`]: for any program (a `#[tokio::main]` one too); the socket lives as long as
//!   the [`Inspector`] it returns.
//!
//! A `run` that cannot serve (see below) says why on stderr (or as a `tracing` warning when a
//! subscriber is installed) and runs anyway; [`serve()`] returns the error.
//!
//! # Where, and who may ask
//!
//! The socket is `$XDG_RUNTIME_DIR/taskio/<pid>.sock`, or `/tmp/taskio-<uid>/<pid>.sock` when
//! `XDG_RUNTIME_DIR` is not set to an existing directory ([`socket_paths`] lists both, in the
//! order a client tries them). The directory is created with mode 0700, and an existing one
//! is refused unless it is a directory (not a symlink) of this user closed to everyone else;
//! the socket is made 0600 right after it is bound, inside that directory. So only the same
//! user (and root) can connect. The socket is removed when the server stops; the sockets that
//! killed processes left in the directory are removed when the next server starts there. A client checks the same before it talks
//! ([`check_socket`]: the socket and its closed directory belong to the process's owner), and
//! also looks in `/run/user/<uid>/taskio/`, so root or a shell with another environment finds
//! a user's process.
//!
//! # The protocol
//!
//! The client connects and writes one request line; the server answers one line and closes.
//!
//! - `tasks\n`: the task document, one JSON object:
//!   `{"taskio":1,"pid":41721,"tasks":[{"id":1,"name":"main","state":"running","age":12.41,"parent":null,"spawned_at":"src/main.rs:8:5","cancelling":0,"awaits":[]}, ...],"await_cycles":[]}`.
//!   `taskio` is the format's version; `tasks` are the live tasks ordered by id, as
//!   [`all_tasks()`](crate::all_tasks()) sees them: `state` is `pending` or `running`, `age`
//!   is in seconds, `parent` is the spawning task's id or `null`, `spawned_at` is
//!   `file:line:column`, `cancelling` the outstanding cancel requests, `awaits` the ids of the
//!   tasks it awaits now ([`TaskInfo::awaiting`](crate::TaskInfo::awaiting)); `await_cycles`
//!   lists each cycle of awaits, a deadlock, as `{"tasks":[a,b]}` from its smallest id
//!   ([`TaskTree::await_cycles`](crate::TaskTree::await_cycles)). Readers must ignore fields
//!   they do not know: fields may be added.
//! - anything else: `{"error":"..."}`. A client that sends nothing within 2 s gets that too;
//!   one that is slow never holds up the others (each client has its own thread, 8 at most at
//!   once; a ninth is answered `busy` at once).
//!
//! ```
//! use std::io::{Read, Write};
//! use std::os::unix::net::UnixStream;
//!
//! fn main() -> taskio::Result<()> {
//!     let inspector = taskio::inspect::serve()?;
//!     let path = inspector.path().to_owned();
//!     let doc = taskio::run(async move {
//!         let hour = std::time::Duration::from_secs(3600);
//!         let _worker = taskio::task().name("worker").spawn(taskio::sleep(hour));
//!         taskio::checkpoint().await?; // the worker starts
//!         // What `taskio ps` does, from another thread; this runtime is blocked meanwhile
//!         // (the join below), and the answer comes all the same.
//!         let doc = std::thread::spawn(move || {
//!             let mut socket = UnixStream::connect(path)?;
//!             socket.write_all(b"tasks\n")?;
//!             let mut doc = String::new();
//!             socket.read_to_string(&mut doc)?;
//!             std::io::Result::Ok(doc)
//!         })
//!         .join()
//!         .expect("the client thread does not panic")?;
//!         taskio::Ok(doc)
//!     })?;
//!     assert!(doc.starts_with("{\"taskio\":1,"));
//!     assert!(doc.contains("\"name\":\"worker\",\"state\":\"running\""));
//!     drop(inspector); // the socket is removed
//!     Ok(())
//! }
//! ```

mod document;
mod json;
mod place;
mod server;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError, Weak};

use server::Server;

/// The environment variable that turns the server on for a [`run`](crate::run()): `1`.
pub const ENV_VAR: &str = "TASKIO_INSPECT";

/// The process's one server, while some [`Inspector`] holds it.
static CURRENT: Mutex<Weak<Server>> = Mutex::new(Weak::new());

/// Serves this process's task tree on its inspection socket until the returned [`Inspector`]
/// (and every other one) is dropped. Calling it again while one is held gives another handle
/// to the same server.
///
/// # Errors
///
/// When the socket cannot be made safely: no `/proc/self` to learn the uid from, a directory
/// that is not this user's or is open to others, a path that is taken by something that is not
/// a stale socket, or a failing `bind`. The error's text says which, and where.
///
/// ```
/// fn main() -> std::io::Result<()> {
///     let inspector = taskio::inspect::serve()?;
///     let again = taskio::inspect::serve()?; // the same socket
///     assert_eq!(inspector.path(), again.path());
///     assert!(inspector.path().exists());
///     let path = inspector.path().to_owned();
///     drop((inspector, again));
///     assert!(!path.exists());
///     Ok(())
/// }
/// ```
pub fn serve() -> io::Result<Inspector> {
    start().map_err(|e| {
        if e.to_string().starts_with("taskio inspect: ") {
            e
        } else {
            io::Error::new(e.kind(), format!("taskio inspect: {e}"))
        }
    })
}

/// [`serve`], its errors not all labelled yet.
fn start() -> io::Result<Inspector> {
    let mut current = CURRENT.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(server) = current.upgrade() {
        return Ok(Inspector {
            server: Some(server),
        });
    }
    let uid = place::uid()?;
    let dir = place::dirs(std::env::var_os("XDG_RUNTIME_DIR").as_deref(), uid)
        .into_iter()
        .next()
        .expect("there is always the /tmp fallback");
    place::prepare_dir(&dir, uid)?;
    place::sweep(&dir);
    let path = dir.join(place::file_name(std::process::id()));
    place::clear_stale(&path)?;
    let server = Arc::new(Server::start(path)?);
    *current = Arc::downgrade(&server);
    Ok(Inspector {
        server: Some(server),
    })
}

/// Where a client looks for the socket of process `pid`, in order: under
/// `$XDG_RUNTIME_DIR/taskio/` (this environment's, if set to an existing directory), under
/// `/run/user/<uid>/taskio/`, then under `/tmp/taskio-<uid>/`, where `uid` is the owner of
/// process `pid`. A server uses the first of its own environment's, or the last.
///
/// ```
/// let paths = taskio::inspect::socket_paths(std::process::id());
/// assert!(paths.last().unwrap().starts_with("/tmp"));
/// assert!(paths.iter().all(|p| p.ends_with(format!("{}.sock", std::process::id()))));
/// ```
pub fn socket_paths(pid: u32) -> Vec<PathBuf> {
    let uid = place::owner_of(pid)
        .or_else(|_| place::uid())
        .unwrap_or(u32::MAX);
    place::client_dirs(std::env::var_os("XDG_RUNTIME_DIR").as_deref(), uid)
        .into_iter()
        .map(|d| d.join(place::file_name(pid)))
        .collect()
}

/// Checks, before a client talks to it, that `socket` is what the server of process `pid`
/// makes: a socket of the process's owner, in a directory of that owner closed to everyone
/// else. A socket planted elsewhere (in a `/tmp/taskio-<uid>` that another user made first)
/// is refused, so a client never reads a document someone else wrote.
///
/// # Errors
///
/// The reason, as [`serve()`]'s: not a socket, another owner, a directory open to others.
///
/// ```
/// fn main() -> std::io::Result<()> {
///     let inspector = taskio::inspect::serve()?;
///     taskio::inspect::check_socket(inspector.path(), std::process::id())?;
///     assert!(taskio::inspect::check_socket(std::path::Path::new("/etc/passwd"), 1).is_err());
///     Ok(())
/// }
/// ```
pub fn check_socket(socket: &Path, pid: u32) -> io::Result<()> {
    let uid = place::owner_of(pid)?;
    place::check_socket(socket, uid)
}

/// A hold on the process's inspection server ([`serve()`]): the socket is served while one is
/// alive, and removed when the last is dropped.
///
/// ```
/// fn main() -> std::io::Result<()> {
///     let inspector = taskio::inspect::serve()?;
///     println!("taskio ps {} reads {}", std::process::id(), inspector.path().display());
///     Ok(())
/// }
/// ```
#[must_use = "the socket is removed when the Inspector is dropped"]
pub struct Inspector {
    server: Option<Arc<Server>>,
}

impl Inspector {
    /// The socket's path.
    ///
    /// ```
    /// fn main() -> std::io::Result<()> {
    ///     let inspector = taskio::inspect::serve()?;
    ///     assert!(inspector.path().ends_with(format!("{}.sock", std::process::id())));
    ///     Ok(())
    /// }
    /// ```
    pub fn path(&self) -> &Path {
        self.server
            .as_ref()
            .expect("an Inspector holds its server until dropped")
            .path()
    }
}

impl std::fmt::Debug for Inspector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inspector")
            .field("path", &self.path())
            .finish()
    }
}

impl Drop for Inspector {
    fn drop(&mut self) {
        // The last one stops the server under the lock, so that a `serve()` meanwhile starts
        // a new one only once the old socket is gone.
        let _current = CURRENT.lock().unwrap_or_else(PoisonError::into_inner);
        drop(self.server.take());
    }
}

/// The server for a `run`, if `asked` or `TASKIO_INSPECT=1`; a failure is reported, not fatal.
pub(crate) fn for_run(asked: bool) -> Option<Inspector> {
    if !asked && std::env::var_os(ENV_VAR).is_none_or(|v| v != "1") {
        return None;
    }
    match serve() {
        Ok(inspector) => Some(inspector),
        Err(e) => {
            serve_failed(&e);
            None
        }
    }
}

/// A `run` was asked to serve its tasks (`TASKIO_INSPECT=1`, `Runner::inspect`) and could not:
/// it runs anyway, and says why.
fn serve_failed(error: &std::io::Error) {
    if crate::stderr::no_subscriber() {
        crate::stderr::to_stderr(format_args!(
            "{error}; running without the task view (taskio ps)"
        ));
    } else {
        tracing::warn!(error = %error, "taskio: running without the task view (taskio ps)");
    }
}
