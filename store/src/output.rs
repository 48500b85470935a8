//! Output files, the same way in every seq2exp tool: atomic writes ([`Staged`], [`write_file`]), one job
//! per output directory ([`DirLock`]), and write failures in plain language ([`plain_io`],
//! [`plain_hdf5`]).
//!
//! An atomic output is written to a temporary sibling `.NAME.tmp-PID` and renamed into place, so it is
//! either absent or complete. [`Staged`] removes the temporary on every error path (a failed write, a
//! failed rename, an early return, a panic). A process killed with `kill -9` cannot clean up, so
//! staging an output first removes the temporaries of that same output left by processes that no longer
//! exist: only names of exactly this pattern, and never one whose pid is alive, so a concurrent job's
//! temporary is not touched. (Pids are those of this machine: two hosts writing the same output on a
//! shared filesystem at once are not told apart.)

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A temporary sibling of an output, renamed into place by [`commit`](Self::commit) and removed
/// (file or directory) when dropped uncommitted.
#[derive(Debug)]
pub struct Staged {
    tmp: PathBuf,
    path: PathBuf,
    committed: bool,
}

fn file_name(path: &Path) -> io::Result<String> {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

impl Staged {
    /// Chooses the temporary path of `path` (nothing is created) after removing stale temporaries of
    /// the same output (see the module docs).
    pub fn new(path: &Path) -> io::Result<Self> {
        let name = file_name(path)?;
        remove_stale(path, &name);
        let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
        Ok(Self { tmp, path: path.to_path_buf(), committed: false })
    }

    /// Where to write.
    pub fn tmp(&self) -> &Path {
        &self.tmp
    }

    /// The final output path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Renames the temporary into place. On failure the temporary is removed.
    pub fn commit(mut self) -> io::Result<PathBuf> {
        std::fs::rename(&self.tmp, &self.path)?;
        self.committed = true;
        Ok(self.path.clone())
    }

    /// Like [`commit`](Self::commit), but an existing output (a directory, say) is moved aside first
    /// and removed last; if the rename fails the old output is put back.
    pub fn commit_replacing(self) -> io::Result<PathBuf> {
        let old = self.path.exists().then(|| PathBuf::from(format!("{}.old", self.tmp.display())));
        if let Some(old) = &old {
            std::fs::rename(&self.path, old)?;
        }
        let path = self.path.clone();
        let committed = self.commit();
        match (&old, committed) {
            (Some(old), Err(e)) => {
                let _ = std::fs::rename(old, &path);
                Err(e)
            }
            (_, Err(e)) => Err(e),
            (old, Ok(p)) => {
                if let Some(old) = old {
                    remove_any(old);
                }
                Ok(p)
            }
        }
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            remove_any(&self.tmp);
        }
    }
}

fn remove_any(p: &Path) {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => drop(std::fs::remove_dir_all(p)),
        Ok(_) => drop(std::fs::remove_file(p)),
        Err(_) => {}
    }
}

/// The pid in `entry` when it is `.NAME.tmp-PID` for this `name`.
fn stale_pid(entry: &str, name: &str) -> Option<u32> {
    let digits = entry.strip_prefix('.')?.strip_prefix(name)?.strip_prefix(".tmp-")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Whether a process with this pid exists (a pid that cannot be asked about counts as alive).
fn alive(pid: u32) -> bool {
    let Ok(p) = libc::pid_t::try_from(pid) else { return true };
    if p <= 0 {
        return true;
    }
    // SAFETY: signal 0 only checks that the process exists and may be signalled.
    let rc = unsafe { libc::kill(p, 0) };
    rc == 0 || io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

fn remove_stale(path: &Path, name: &str) {
    let Ok(entries) = std::fs::read_dir(parent(path)) else { return };
    let me = std::process::id();
    for e in entries.flatten() {
        let entry = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = stale_pid(&entry, name).filter(|&p| p != me && !alive(p)) {
            remove_any(&e.path());
            tracing::info!("removed {} (left by an earlier run, pid {pid}, that was killed)", e.path().display());
        }
    }
}

/// Writes `bytes` to `path` atomically (temporary sibling, sync, rename).
pub fn write_file(path: &Path, bytes: impl AsRef<[u8]>) -> io::Result<()> {
    let staged = Staged::new(path)?;
    let mut f = File::create(staged.tmp())?;
    f.write_all(bytes.as_ref())?;
    f.sync_data()?;
    drop(f);
    staged.commit().map(|_| ())
}

/// An advisory lock on an output directory, held until dropped: one job per directory at a time. The
/// kernel releases it when the process ends, however it ends, so a killed job's lock never blocks a
/// rerun; nothing is written into the directory for it.
#[derive(Debug)]
pub struct DirLock {
    _dir: File,
}

impl DirLock {
    /// Takes the lock of the existing directory `dir` without waiting; `Ok(None)` when another open
    /// of it (another process, or another `DirLock` in this one) holds it.
    pub fn try_lock(dir: &Path) -> io::Result<Option<Self>> {
        use std::os::fd::AsRawFd;
        let f = File::open(dir)?;
        // SAFETY: flock on a file descriptor we own.
        if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } == 0 {
            return Ok(Some(Self { _dir: f }));
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
            return Ok(None);
        }
        Err(e)
    }
}

/// An I/O error as a user reads it: what ran out or was refused, not the errno name.
pub fn plain_io(e: &io::Error) -> Cow<'static, str> {
    match e.raw_os_error().and_then(plain_errno) {
        Some(s) => Cow::Borrowed(s),
        None => Cow::Owned(e.to_string()),
    }
}

fn plain_errno(errno: i32) -> Option<&'static str> {
    Some(match errno {
        libc::ENOSPC => "no space left on the device",
        libc::EDQUOT => "disk quota exceeded",
        libc::EFBIG => "file size limit reached (see `ulimit -f`)",
        libc::EACCES | libc::EPERM => "permission denied",
        libc::EROFS => "read-only file system",
        libc::EISDIR => "is a directory",
        _ => return None,
    })
}

/// An HDF5 error met while writing `file` (the file being written, temporary or not), in plain
/// language where the cause is a full disk, a file size limit or a permission. HDF5 reports these as
/// internals ("file write failed", "unable to extend file properly", even "inflate() failed" when a
/// half-written chunk is read back); the errno in its stack, or else the state of the file system, says
/// which.
pub fn plain_hdf5(e: &hdf5::Error, file: &Path) -> Cow<'static, str> {
    let errno = e.stack().and_then(|s| s.iter().find_map(|f| errno_in(f.desc())));
    if let Some(plain) = errno.and_then(plain_errno).or_else(|| limit_reached(file)) {
        return Cow::Borrowed(plain);
    }
    Cow::Owned(e.to_string())
}

/// `N` from HDF5's "…, errno = N, error message = …".
fn errno_in(desc: &str) -> Option<i32> {
    let rest = &desc[desc.find("errno = ")? + "errno = ".len()..];
    rest[..rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len())].parse().ok()
}

/// Whether `file` has reached this process's file size limit, or its file system is full.
fn limit_reached(file: &Path) -> Option<&'static str> {
    let mut lim = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit fills the struct we pass.
    let have_limit =
        unsafe { libc::getrlimit(libc::RLIMIT_FSIZE, &mut lim) } == 0 && lim.rlim_cur != libc::RLIM_INFINITY;
    let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    // A failed write may have stopped up to one chunk short of the limit.
    const SLACK: u64 = 16 << 20;
    if have_limit && size.saturating_add(SLACK) >= lim.rlim_cur {
        return plain_errno(libc::EFBIG);
    }
    let dir = std::ffi::CString::new(parent(file).as_os_str().as_encoded_bytes()).ok()?;
    // SAFETY: statvfs fills the zeroed struct we pass; `dir` is a valid C string.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(dir.as_ptr(), &mut st) } == 0
        && (st.f_bavail as u64).saturating_mul(st.f_frsize as u64) < SLACK
    {
        return plain_errno(libc::ENOSPC);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_file_is_removed_when_the_rename_fails() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.txt");
        std::fs::create_dir(&out).unwrap(); // renaming a file onto a directory fails
        let s = Staged::new(&out).unwrap();
        std::fs::write(s.tmp(), b"x").unwrap();
        let e = s.commit().unwrap_err();
        assert_eq!(plain_io(&e), "is a directory");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, ["out.txt"]);
    }

    #[test]
    fn stale_temporaries_of_dead_processes_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("store.h5");
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let live = 1; // init: always alive
        let keep = [
            format!(".store.h5.tmp-{live}"),
            format!(".other.h5.tmp-{dead}"),
            format!(".store.h5.tmp-{dead}x"),
            "store.h5.tmp-1".into(),
        ];
        for n in &keep {
            std::fs::write(dir.path().join(n), b"").unwrap();
        }
        std::fs::create_dir(dir.path().join(format!(".store.h5.tmp-{dead}"))).unwrap();
        std::fs::write(dir.path().join(format!(".store.h5.tmp-{dead}")).join("part"), b"").unwrap();
        write_file(&out, b"done").unwrap();
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        let mut want: Vec<String> = keep.to_vec();
        want.push("store.h5".into());
        want.sort();
        assert_eq!(names, want);
        assert_eq!(std::fs::read(&out).unwrap(), b"done");
    }

    #[test]
    fn dropping_an_uncommitted_directory_removes_it() {
        let dir = tempfile::tempdir().unwrap();
        let s = Staged::new(&dir.path().join("sim")).unwrap();
        std::fs::create_dir(s.tmp()).unwrap();
        std::fs::write(s.tmp().join("a"), b"1").unwrap();
        let tmp = s.tmp().to_path_buf();
        drop(s);
        assert!(!tmp.exists());
    }

    #[test]
    fn a_locked_directory_is_refused_until_released() {
        let dir = tempfile::tempdir().unwrap();
        let first = DirLock::try_lock(dir.path()).unwrap().expect("free at first");
        assert!(DirLock::try_lock(dir.path()).unwrap().is_none(), "second lock must be refused");
        drop(first);
        assert!(DirLock::try_lock(dir.path()).unwrap().is_some(), "free again once released");
    }

    #[test]
    fn errnos_read_as_plain_language() {
        for (errno, want) in
            [(libc::ENOSPC, "no space left"), (libc::EFBIG, "file size limit"), (libc::EACCES, "permission denied")]
        {
            assert!(plain_io(&io::Error::from_raw_os_error(errno)).contains(want), "{errno}");
        }
        let desc = "H5FD_sec2_write(): file write failed: time = Mon, filename = 'x', file descriptor = 5, errno = 28, error message = 'No space left on device', buf = 0x1";
        assert_eq!(errno_in(desc), Some(28));
        assert_eq!(errno_in("unable to extend file properly"), None);
    }
}
