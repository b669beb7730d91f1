//! Single-writer locks: a file locked (flock) for a whole run and holding the holder's pid, so a
//! second writer fails at once naming who holds it. The lock dies with its process, kill -9
//! included: there is never a stale lock to delete by hand. Used by `archeo index` (the index's
//! `writer.lock`) and `archeo fetch` (the cache's `fetch.lock`). Knows nothing of what it guards.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

/// Why a lock was not taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it.
    #[error("locked by pid {}", pid.map_or("?".to_string(), |p| p.to_string()))]
    Busy {
        /// The holder's pid, when it wrote one.
        pid: Option<u32>,
    },
    /// The lock file cannot be opened or locked.
    #[error("cannot lock {}: {source}", path.display())]
    Io {
        /// The lock file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// A held lock; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct PidLock {
    _file: File,
}

impl PidLock {
    /// Takes the lock at `path` (creating the file), or fails at once with the holder's pid.
    pub fn try_acquire(path: &Path) -> Result<PidLock, LockError> {
        let io = |source| LockError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut f = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io)?;
        match f.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut s = String::new();
                let _ = f.read_to_string(&mut s);
                return Err(LockError::Busy {
                    pid: s.trim().parse().ok(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io(e)),
        }
        f.set_len(0)
            .and_then(|_| f.rewind())
            .and_then(|_| write!(f, "{}", std::process::id()))
            .and_then(|_| f.flush())
            .map_err(io)?;
        Ok(PidLock { _file: f })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_with_the_first_ones_pid() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.lock");
        let held = PidLock::try_acquire(&p).unwrap();
        match PidLock::try_acquire(&p) {
            Err(LockError::Busy { pid }) => assert_eq!(pid, Some(std::process::id())),
            other => panic!("{other:?}"),
        }
        drop(held);
        assert!(PidLock::try_acquire(&p).is_ok());
    }
}
