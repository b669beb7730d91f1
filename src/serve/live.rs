//! The one opened [`Index`] every request shares, swapped for a newly opened one when the index
//! is rebuilt. `archeo index` replaces `catalog.bin` atomically and last, so a changed catalog
//! (size, modification time or inode) means a complete new index: it is opened beside the old
//! one and swapped in with one atomic pointer store. A request takes its snapshot once, at its
//! start, and reads only that one, so it never sees half of a rebuild; requests in flight keep
//! the old index alive until they finish.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::Result;
use arc_swap::ArcSwap;

use crate::index::Index;
use crate::index::catalog::catalog_path;

/// What identifies one written catalog: a rebuild replaces the file, changing at least one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    len: u64,
    modified: Option<SystemTime>,
    inode: u64,
}

impl Stamp {
    /// The stamp of `dir`'s catalog now.
    pub(crate) fn of(dir: &Path) -> std::io::Result<Stamp> {
        let m = std::fs::metadata(catalog_path(dir))?;
        Ok(Stamp {
            len: m.len(),
            modified: m.modified().ok(),
            inode: inode(&m),
        })
    }
}

#[cfg(unix)]
fn inode(m: &std::fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(m)
}

#[cfg(not(unix))]
fn inode(_: &std::fs::Metadata) -> u64 {
    0
}

/// An opened index and the catalog stamp it was opened at.
pub(crate) struct Snapshot {
    /// The index.
    pub index: Index,
    /// Its catalog's stamp when opened.
    pub stamp: Stamp,
    /// How many times the index was swapped before this one (0: the one opened at start).
    pub generation: u64,
}

/// The shared, swappable index.
pub(crate) struct LiveIndex {
    dir: PathBuf,
    current: ArcSwap<Snapshot>,
}

impl LiveIndex {
    /// Opens the index in `dir`; fails as every command does when there is none.
    pub(crate) fn open(dir: &Path) -> Result<LiveIndex> {
        let snapshot = open_snapshot(dir, 0)?;
        Ok(LiveIndex {
            dir: dir.to_path_buf(),
            current: ArcSwap::from_pointee(snapshot),
        })
    }

    /// The index as it is now; the caller keeps reading this one even if it is swapped.
    pub(crate) fn current(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Opens the index again when its catalog changed; `Ok(true)` when a new one was swapped
    /// in. On failure the old index stays in use.
    pub(crate) fn refresh(&self) -> Result<bool> {
        let old = self.current();
        let now = Stamp::of(&self.dir)?;
        if now == old.stamp {
            return Ok(false);
        }
        let next = open_snapshot(&self.dir, old.generation + 1)?;
        self.current.store(Arc::new(next));
        Ok(true)
    }

    /// Checks for a rebuilt index every `every`, for as long as the server runs. A failed open
    /// (say, an index being replaced while it was read) is said once per catalog change and
    /// tried again when the catalog changes again.
    pub(crate) async fn watch(self: Arc<Self>, every: Duration) {
        let mut failed: Option<Stamp> = None;
        loop {
            tokio::time::sleep(every).await;
            let stamp = Stamp::of(&self.dir).ok();
            if stamp.is_some() && stamp == failed {
                continue;
            }
            let live = self.clone();
            match tokio::task::spawn_blocking(move || live.refresh()).await {
                Ok(Ok(true)) => {
                    let s = self.current();
                    crate::say!(
                        "archeo serve: index at {} reopened ({} revisions)",
                        self.dir.display(),
                        s.index.revisions().len()
                    );
                    failed = None;
                }
                Ok(Ok(false)) => failed = None,
                Ok(Err(e)) => {
                    if failed != stamp {
                        crate::say!(
                            "archeo serve: keeping the index opened before: cannot open the new one: {e:#}"
                        );
                    }
                    failed = stamp;
                }
                Err(e) => crate::say!("archeo serve: reopening the index failed: {e}"),
            }
        }
    }
}

fn open_snapshot(dir: &Path, generation: u64) -> Result<Snapshot> {
    // The stamp is taken before opening: if the catalog changes while it is opened, the next
    // check sees a different stamp and opens it again.
    let stamp = Stamp::of(dir).unwrap_or(Stamp {
        len: 0,
        modified: None,
        inode: 0,
    });
    let index = Index::open(dir)?;
    Ok(Snapshot {
        index,
        stamp,
        generation,
    })
}
