//! The one opened [`Index`] every request shares, swapped for a newly opened one when the index
//! (or any shard of a union) is rebuilt. `archeo index` replaces `catalog.bin` atomically and
//! last, so a changed catalog
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
    /// The stamps of every directory's catalog now.
    pub(crate) fn all(dirs: &[PathBuf]) -> std::io::Result<Vec<Stamp>> {
        dirs.iter().map(|d| Stamp::of(d)).collect()
    }

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
    /// Its catalogs' stamps when opened.
    pub stamp: Vec<Stamp>,
    /// How many times the index was swapped before this one (0: the one opened at start).
    pub generation: u64,
}

/// The shared, swappable index.
pub(crate) struct LiveIndex {
    dirs: Vec<PathBuf>,
    current: ArcSwap<Snapshot>,
}

impl LiveIndex {
    /// Opens the index in `dirs` (one, or the shards of one lock); fails as every command
    /// does when there is none.
    pub(crate) fn open(dirs: &[PathBuf]) -> Result<LiveIndex> {
        let snapshot = open_snapshot(dirs, 0)?;
        Ok(LiveIndex {
            dirs: dirs.to_vec(),
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
        let now = Stamp::all(&self.dirs)?;
        if now == old.stamp {
            return Ok(false);
        }
        let next = open_snapshot(&self.dirs, old.generation + 1)?;
        self.current.store(Arc::new(next));
        Ok(true)
    }

    /// Checks for a rebuilt index every `every`, for as long as the server runs. A failed open
    /// (say, an index being replaced while it was read) is said once per catalog change and
    /// tried again when the catalog changes again.
    pub(crate) async fn watch(self: Arc<Self>, every: Duration) {
        let mut failed: Option<Vec<Stamp>> = None;
        loop {
            tokio::time::sleep(every).await;
            let stamp = Stamp::all(&self.dirs).ok();
            if stamp.is_some() && stamp == failed {
                continue;
            }
            let live = self.clone();
            match tokio::task::spawn_blocking(move || live.refresh()).await {
                Ok(Ok(true)) => {
                    let s = self.current();
                    crate::say!(
                        "archeo serve: index at {} reopened ({} revisions)",
                        self.dirs[0].display(),
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

fn open_snapshot(dirs: &[PathBuf], generation: u64) -> Result<Snapshot> {
    // The stamps are taken before opening: if a catalog changes while it is opened, the next
    // check sees a different stamp and opens it again.
    let stamp = dirs
        .iter()
        .map(|d| {
            Stamp::of(d).unwrap_or(Stamp {
                len: 0,
                modified: None,
                inode: 0,
            })
        })
        .collect();
    let index = Index::open_all(dirs)?;
    Ok(Snapshot {
        index,
        stamp,
        generation,
    })
}
