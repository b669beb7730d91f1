//! Atomic file replacement: every file archeo writes (lock, index metadata, documents) goes
//! through here, so an interrupted run leaves the previous version in place. Temporary files are
//! named `.archeo-PID-XXXXXX.tmp`; those of a process that is gone (killed mid-write) are removed
//! the first time archeo writes into their directory again. A symbolic link is written through:
//! its target is replaced and the link stays. Must not decide *whether* a file may be written
//! (read-only documents are the caller's to refuse).

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};

/// Temporary files without a pid in their name (written by archeo before 0.1's pid naming) are
/// removed once they are this old.
const LEGACY_TMP_AGE: Duration = Duration::from_secs(10 * 60);

/// Symbolic links followed before giving up (a loop).
const MAX_LINKS: usize = 40;

/// Writes `bytes` to `path` atomically: a temporary file in the same directory, fsync, rename.
/// The permissions of an existing file are kept; a new file is readable by everyone (0644), so
/// an index or lock written by one user can be read by others. A symbolic link is followed and
/// its target replaced.
pub fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let path = resolve_links(path)?;
    let path = path.as_path();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir)
        .with_context(|| format!("cannot create directory {}", dir.display()))?;
    sweep_once(dir);
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".archeo-{}-", std::process::id()))
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in {}", dir.display()))?;
    tmp.write_all(bytes)
        .and_then(|_| tmp.as_file().sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    let perms = match fs::metadata(path) {
        Ok(meta) => Some(meta.permissions()),
        Err(_) => default_permissions(),
    };
    if let Some(p) = perms {
        fs::set_permissions(tmp.path(), p)
            .with_context(|| format!("cannot set the permissions of {}", path.display()))?;
    }
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot replace {}", path.display()))?;
    // Make the rename itself durable.
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(unix)]
fn default_permissions() -> Option<fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn default_permissions() -> Option<fs::Permissions> {
    None
}

/// The file a path names after following symbolic links (the path itself when it is none, or
/// does not exist yet).
pub fn resolve_links(path: &Path) -> Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let target = fs::read_link(&p)
                    .with_context(|| format!("cannot read the link {}", p.display()))?;
                p = match p.parent() {
                    Some(dir) if target.is_relative() => dir.join(target),
                    _ => target,
                };
            }
            _ => return Ok(p),
        }
    }
    anyhow::bail!(
        "{} is a loop of symbolic links: point it at a real file",
        path.display()
    )
}

/// Sweeps each directory once per process: a directory of many files (the index's trees) is
/// listed once, not once per file written.
fn sweep_once(dir: &Path) {
    static SWEPT: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);
    let key = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let fresh = SWEPT
        .lock()
        .map(|mut s| s.get_or_insert_with(HashSet::new).insert(key))
        .unwrap_or(false);
    if fresh {
        remove_stale_temps(dir);
    }
}

/// Removes the temporary files in `dir` that a dead archeo left behind; returns how many.
pub fn remove_stale_temps(dir: &Path) -> usize {
    let mut removed = 0;
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if is_stale_temp(&name, &e.path()) && fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Is `name` one of archeo's temporary files whose writer is gone?
fn is_stale_temp(name: &str, path: &Path) -> bool {
    let Some(middle) = name
        .strip_prefix(".archeo-")
        .and_then(|r| r.strip_suffix(".tmp"))
    else {
        return false;
    };
    match middle.split_once('-') {
        Some((pid, _)) if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) => pid
            .parse::<u32>()
            .is_ok_and(|pid| pid != std::process::id() && !process_alive(pid)),
        // A name without a pid: stale once old enough that no write can still be going on.
        _ => fs::symlink_metadata(path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| SystemTime::now().duration_since(t).ok())
            .is_some_and(|age| age > LEGACY_TMP_AGE),
    }
}

/// Is a process with this pid running? Where /proc is missing, assume it is (never remove a
/// file that may still be written).
pub fn process_alive(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporaries_of_dead_processes_are_removed_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let dead = dir.path().join(".archeo-4194999-abcdef.tmp");
        let mine = dir
            .path()
            .join(format!(".archeo-{}-abcdef.tmp", std::process::id()));
        let other = dir.path().join("notes.tmp");
        for p in [&dead, &mine, &other] {
            fs::write(p, "x").unwrap();
        }
        assert_eq!(remove_stale_temps(dir.path()), 1);
        assert!(!dead.exists() && mine.exists() && other.exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_written_through_to_its_target() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("real")).unwrap();
        let target = dir.path().join("real/doc.md");
        fs::write(&target, "old").unwrap();
        let link = dir.path().join("doc.md");
        std::os::unix::fs::symlink("real/doc.md", &link).unwrap();
        write(&link, b"new").unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&target).unwrap(), "new");
    }
}
