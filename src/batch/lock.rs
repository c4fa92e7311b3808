//! One run at a time per output folder: a run holds an exclusive lock on `DIR/.lock` (an
//! advisory `flock`, which the system releases when the process ends, however it ends) and
//! writes its process id into the file, so that a second run on the same folder is refused
//! with the id of the one holding it. Two runs appending to the same result files would
//! interleave and repeat rows; `--resume` in a folder another run still writes would evaluate
//! its parts twice.
//!
//! The file stays after the run: removing it would let a third run lock a new file while a
//! second still waits on the old one.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, Write};
use std::path::{Path, PathBuf};

/// The lock file in an output folder.
pub const LOCK_FILE: &str = ".lock";

/// Held while alive.
#[derive(Debug)]
pub struct FolderLock {
    _file: Option<File>,
    /// Why the folder could not be locked although the run goes on (a file system without
    /// locks), for the user.
    pub note: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error(
        "{} is in use by another hybridplan run (pid {}); wait for it to end, or choose another --out",
        dir.display(),
        pid.map_or("unknown".to_string(), |p| p.to_string())
    )]
    Busy { dir: PathBuf, pid: Option<u32> },
    #[error("{}: cannot lock: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// Locks `dir` (which must exist) for this process, or says which process holds it.
pub fn lock_folder(dir: &Path) -> Result<FolderLock, LockError> {
    let path = dir.join(LOCK_FILE);
    let io = |source| LockError::Io {
        path: path.clone(),
        source,
    };
    // Not truncated on opening: the holder's pid is in it.
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut text = String::new();
            let _ = file.read_to_string(&mut text);
            return Err(LockError::Busy {
                dir: dir.to_path_buf(),
                pid: text.trim().parse().ok(),
            });
        }
        Err(std::fs::TryLockError::Error(e)) if unsupported(&e) => {
            return Ok(FolderLock {
                _file: None,
                note: Some(format!(
                    "{}: this file system has no locks ({e}): nothing stops another run from \
                     writing into this folder at the same time",
                    path.display()
                )),
            });
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    file.set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| writeln!(file, "{}", std::process::id()))
        .map_err(io)?;
    Ok(FolderLock {
        _file: Some(file),
        note: None,
    })
}

fn unsupported(e: &io::Error) -> bool {
    #[cfg(unix)]
    if let Some(code) = e.raw_os_error() {
        return [libc::ENOLCK, libc::EOPNOTSUPP, libc::ENOSYS].contains(&code);
    }
    e.kind() == io::ErrorKind::Unsupported
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_with_the_holders_pid() {
        let dir = tempfile::tempdir().unwrap();
        let held = lock_folder(dir.path()).unwrap();
        assert!(held.note.is_none());
        let text = std::fs::read_to_string(dir.path().join(LOCK_FILE)).unwrap();
        assert_eq!(text, format!("{}\n", std::process::id()));
        // flock locks belong to the open file: a second open in this process conflicts too.
        let e = lock_folder(dir.path()).unwrap_err();
        match &e {
            LockError::Busy { pid, .. } => assert_eq!(*pid, Some(std::process::id())),
            other => panic!("{other}"),
        }
        assert!(
            e.to_string()
                .contains(&format!("pid {}", std::process::id()))
        );
        drop(held);
        lock_folder(dir.path()).unwrap();
    }
}
