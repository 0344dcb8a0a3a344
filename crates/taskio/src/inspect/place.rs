//! Where a process's inspection socket lives, and the checks that keep it owner-only.
//!
//! The socket is `<dir>/<pid>.sock`, in `$XDG_RUNTIME_DIR/taskio` when `XDG_RUNTIME_DIR` names
//! an existing directory (an absolute path), else in `/tmp/taskio-<uid>`. The directory is
//! created with mode 0700; one that exists must be a real directory (not a symlink), owned by
//! this user, and closed to group and others, or nothing is served there. The uid is that of
//! `/proc/self` (no libc).

use std::ffi::OsStr;
use std::fs::{DirBuilder, Metadata};
use std::io;
use std::os::unix::fs::{DirBuilderExt, FileTypeExt, MetadataExt};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};

/// This process's (effective) user id: the owner of `/proc/self`.
pub(crate) fn uid() -> io::Result<u32> {
    std::fs::metadata("/proc/self")
        .map(|m| m.uid())
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("taskio inspect: cannot read this process's user id from /proc/self: {e}"),
            )
        })
}

/// The owner of process `pid` (of `/proc/<pid>`): whose directory its socket is in.
pub(crate) fn owner_of(pid: u32) -> io::Result<u32> {
    std::fs::metadata(format!("/proc/{pid}")).map(|m| m.uid())
}

/// Where a client looks for the socket of a process of user `uid`: [`dirs`], with the usual
/// runtime directory of that user (`/run/user/<uid>/taskio`, where its `XDG_RUNTIME_DIR`
/// points on most systems) before the fallback, for a client whose own environment differs
/// (root, a cron job).
pub(crate) fn client_dirs(xdg: Option<&OsStr>, uid: u32) -> Vec<PathBuf> {
    let mut dirs = dirs(xdg, uid);
    let usual = PathBuf::from(format!("/run/user/{uid}/taskio"));
    if !dirs.contains(&usual) {
        dirs.insert(dirs.len() - 1, usual);
    }
    dirs
}

/// Checks, for a client, that `socket` is what the server of a process of user `uid` makes:
/// a socket of that user in a directory that passes [`check_dir`]. A socket elsewhere (planted
/// in a directory someone else made first) is not talked to.
pub(crate) fn check_socket(socket: &Path, uid: u32) -> io::Result<()> {
    let dir = socket.parent().unwrap_or(Path::new("/"));
    check_dir(dir, &std::fs::symlink_metadata(dir)?, uid)?;
    let meta = std::fs::symlink_metadata(socket)?;
    if !meta.file_type().is_socket() || meta.uid() != uid {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "taskio inspect: refusing {}: not a socket of uid {uid}",
                socket.display()
            ),
        ));
    }
    Ok(())
}

/// The directories a socket may be in, the preferred first: `$XDG_RUNTIME_DIR/taskio` (if
/// `xdg` is an absolute path to an existing directory), then `/tmp/taskio-<uid>`.
pub(crate) fn dirs(xdg: Option<&OsStr>, uid: u32) -> Vec<PathBuf> {
    let mut dirs = Vec::with_capacity(2);
    if let Some(base) = xdg.map(Path::new)
        && base.is_absolute()
        && base.is_dir()
    {
        dirs.push(base.join("taskio"));
    }
    dirs.push(PathBuf::from(format!("/tmp/taskio-{uid}")));
    dirs
}

/// The socket's file name in its directory.
pub(crate) fn file_name(pid: u32) -> String {
    format!("{pid}.sock")
}

/// Makes `dir` (mode 0700) unless it exists, then checks it: see [`check_dir`].
pub(crate) fn prepare_dir(dir: &Path, uid: u32) -> io::Result<()> {
    match DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(io::Error::new(
                e.kind(),
                format!("taskio inspect: cannot create {}: {e}", dir.display()),
            ));
        }
    }
    let meta = std::fs::symlink_metadata(dir)?;
    check_dir(dir, &meta, uid)
}

/// A directory fit for the socket: a directory itself (not a symlink to one), owned by `uid`,
/// with no permission for group or others.
pub(crate) fn check_dir(dir: &Path, meta: &Metadata, uid: u32) -> io::Result<()> {
    let refuse = |why: String| {
        Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "taskio inspect: refusing the directory {}: {why}",
                dir.display()
            ),
        ))
    };
    if !meta.file_type().is_dir() {
        return refuse("it is not a directory (a symlink or a file)".to_owned());
    }
    if meta.uid() != uid {
        return refuse(format!("it is owned by uid {}, not {uid}", meta.uid()));
    }
    let mode = meta.mode() & 0o777;
    if mode & 0o077 != 0 {
        return refuse(format!(
            "it is open to others (mode {mode:03o}; it must be 0700)"
        ));
    }
    Ok(())
}

/// Clears the way for a socket at `path`: nothing there is fine; a socket nobody answers on (a
/// dead process's of the same pid) is removed; a live socket (another process with this pid,
/// in another pid namespace) or anything that is not a socket is left alone, as an error.
pub(crate) fn clear_stale(path: &Path) -> io::Result<()> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    if !meta.file_type().is_socket() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!(
                "taskio inspect: {} exists and is not a socket; not replacing it",
                path.display()
            ),
        ));
    }
    if UnixStream::connect(path).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!(
                "taskio inspect: {} is served by another live process",
                path.display()
            ),
        ));
    }
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Removes the sockets that dead processes left in `dir` (killed ones never remove theirs):
/// a `<pid>.sock` whose process is gone and that nobody answers on. Anything else stays.
pub(crate) fn sweep(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_suffix(".sock"))
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let path = entry.path();
        let is_socket = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_socket());
        let dead = !Path::new(&format!("/proc/{pid}")).exists();
        if is_socket && dead && UnixStream::connect(&path).is_err() {
            let _ = std::fs::remove_file(&path);
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::ffi::OsStr;
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::net::UnixListener;
    use std::path::{Path, PathBuf};

    /// A fresh, empty directory under /tmp (short: a socket path must fit in 108 bytes),
    /// removed when dropped.
    pub(crate) struct TempDir(pub(crate) PathBuf);

    impl TempDir {
        pub(crate) fn new(tag: &str) -> TempDir {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let dir = PathBuf::from(format!("/tmp/tio-{tag}-{}-{n}", std::process::id()));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir(&dir).unwrap();
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
            TempDir(dir)
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path)
            .unwrap()
            .permissions()
            .mode()
            & 0o777
    }

    #[test]
    fn the_runtime_dir_comes_first_then_tmp_by_uid() {
        let base = TempDir::new("dirs");
        let xdg = base.0.as_os_str();
        assert_eq!(
            super::dirs(Some(xdg), 1000),
            [base.0.join("taskio"), PathBuf::from("/tmp/taskio-1000")]
        );
        // Unset, empty, relative or missing: only the fallback.
        let fallback = [PathBuf::from("/tmp/taskio-7")];
        assert_eq!(super::dirs(None, 7), fallback);
        assert_eq!(super::dirs(Some(OsStr::new("")), 7), fallback);
        assert_eq!(super::dirs(Some(OsStr::new("run/user")), 7), fallback);
        let missing = base.0.join("missing");
        assert_eq!(super::dirs(Some(missing.as_os_str()), 7), fallback);
        assert_eq!(super::file_name(4242), "4242.sock");
    }

    #[test]
    fn a_client_also_looks_in_the_usual_runtime_dir_before_tmp() {
        assert_eq!(
            super::client_dirs(None, 7),
            [
                PathBuf::from("/run/user/7/taskio"),
                PathBuf::from("/tmp/taskio-7")
            ]
        );
        let base = TempDir::new("client");
        let dirs = super::client_dirs(Some(base.0.as_os_str()), 7);
        assert_eq!(dirs[0], base.0.join("taskio"));
        assert_eq!(dirs.len(), 3);
    }

    #[test]
    fn a_client_talks_only_to_a_socket_of_the_owner_in_a_closed_directory() {
        let uid = super::uid().unwrap();
        let base = TempDir::new("check");
        let dir = base.0.join("taskio");
        super::prepare_dir(&dir, uid).unwrap();
        let socket = dir.join("5.sock");
        let _listener = UnixListener::bind(&socket).unwrap();
        super::check_socket(&socket, uid).unwrap();
        let e = super::check_socket(&socket, uid.wrapping_add(1)).unwrap_err();
        assert!(e.to_string().contains("owned by uid"), "{e}");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        let e = super::check_socket(&socket, uid).unwrap_err();
        assert!(e.to_string().contains("open to others"), "{e}");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        let file = dir.join("6.sock");
        std::fs::write(&file, "").unwrap();
        let e = super::check_socket(&file, uid).unwrap_err();
        assert!(e.to_string().contains("not a socket"), "{e}");
        assert_eq!(super::owner_of(std::process::id()).unwrap(), uid);
        assert!(super::owner_of(i32::MAX as u32).is_err());
    }

    #[test]
    fn the_uid_is_the_owner_of_this_process() {
        let uid = super::uid().unwrap();
        let base = TempDir::new("uid");
        // A directory this process just made is owned by that uid.
        use std::os::unix::fs::MetadataExt;
        assert_eq!(std::fs::metadata(&base.0).unwrap().uid(), uid);
    }

    #[test]
    fn the_directory_is_made_0700_and_accepted_again() {
        let uid = super::uid().unwrap();
        let base = TempDir::new("mk");
        let dir = base.0.join("taskio");
        super::prepare_dir(&dir, uid).unwrap();
        assert_eq!(mode(&dir), 0o700);
        super::prepare_dir(&dir, uid).unwrap();
    }

    #[test]
    fn a_directory_open_to_others_or_of_another_user_or_a_symlink_is_refused() {
        let uid = super::uid().unwrap();
        let base = TempDir::new("refuse");
        let open = base.0.join("open");
        std::fs::create_dir(&open).unwrap();
        for m in [0o755, 0o711, 0o770, 0o707] {
            std::fs::set_permissions(&open, std::fs::Permissions::from_mode(m)).unwrap();
            let e = super::prepare_dir(&open, uid).unwrap_err();
            assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
            assert!(e.to_string().contains("open to others"), "{e}");
            assert!(e.to_string().contains(&format!("{m:03o}")), "{e}");
        }
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o700)).unwrap();
        super::prepare_dir(&open, uid).unwrap();
        // Owned by someone else (as seen from a uid that is not ours).
        let e = super::prepare_dir(&open, uid.wrapping_add(1)).unwrap_err();
        assert!(e.to_string().contains("owned by uid"), "{e}");
        // A symlink to a good directory is not followed.
        let link = base.0.join("link");
        std::os::unix::fs::symlink(&open, &link).unwrap();
        let e = super::prepare_dir(&link, uid).unwrap_err();
        assert!(e.to_string().contains("not a directory"), "{e}");
        // A file where the directory should be.
        let file = base.0.join("file");
        std::fs::write(&file, "x").unwrap();
        assert!(super::prepare_dir(&file, uid).is_err());
        // A directory whose parent is missing.
        assert!(super::prepare_dir(&base.0.join("no/such"), uid).is_err());
    }

    #[test]
    fn the_sweep_removes_dead_processes_sockets_only() {
        let base = TempDir::new("sweep");
        let dead = base.0.join(format!("{}.sock", i32::MAX));
        drop(UnixListener::bind(&dead).unwrap());
        // A socket of a live process (this one), one that answers, and other files stay.
        let mine = base.0.join(format!("{}.sock", std::process::id()));
        drop(UnixListener::bind(&mine).unwrap());
        let answering = base.0.join(format!("{}.sock", i32::MAX - 1));
        let _listener = UnixListener::bind(&answering).unwrap();
        let not_socket = base.0.join(format!("{}.sock", i32::MAX - 2));
        std::fs::write(&not_socket, "").unwrap();
        let other = base.0.join("notes.sock");
        drop(UnixListener::bind(&other).unwrap());
        super::sweep(&base.0);
        assert!(!dead.exists());
        for kept in [&mine, &answering, &not_socket, &other] {
            assert!(kept.exists(), "{}", kept.display());
        }
        super::sweep(&base.0.join("missing")); // nothing to do, no error
    }

    #[test]
    fn a_dead_socket_is_cleared_a_live_one_or_a_file_is_not() {
        let base = TempDir::new("stale");
        let path = base.0.join("1.sock");
        super::clear_stale(&path).unwrap(); // nothing there
        let live = UnixListener::bind(&path).unwrap();
        let e = super::clear_stale(&path).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::AddrInUse);
        assert!(path.exists());
        drop(live); // the file stays, nobody listens: a dead process's socket
        assert!(path.exists());
        super::clear_stale(&path).unwrap();
        assert!(!path.exists());
        std::fs::write(&path, "not a socket").unwrap();
        let e = super::clear_stale(&path).unwrap_err();
        assert!(e.to_string().contains("not a socket"), "{e}");
        assert!(path.exists());
    }
}
