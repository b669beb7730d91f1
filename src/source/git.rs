//! The git stage: fetching upstream repositories into the cache and reading pinned trees and
//! blobs straight from the object database. This is the only module that touches gix; the rest
//! of archeo sees commit ids as hex strings, [`TreeEntry`] values and bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

/// File marking a cache directory as archeo's, with the manifest URL it was fetched from.
const MARKER: &str = "archeo-cache.json";

/// What can go wrong with the cache and its repositories.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    /// A URL archeo will not use.
    #[error("{url}: {reason}")]
    BadUrl {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// A directory in the cache that archeo did not create.
    #[error(
        "{} exists but is not an archeo cache (no {MARKER}); move it away or choose another --cache-dir",
        dir.display()
    )]
    NotACache {
        /// The directory.
        dir: PathBuf,
    },
    /// A cache directory gix cannot open, or that is not bare.
    #[error("the cache {} is corrupt ({reason}): delete that directory and run `archeo fetch` again", dir.display())]
    Corrupt {
        /// The directory.
        dir: PathBuf,
        /// What gix said.
        reason: String,
    },
    /// A fetch that failed.
    #[error(
        "cannot fetch {url}: {reason}\nhint: check the URL; to use a mirror, set git's url.<base>.insteadOf (in ~/.gitconfig or GIT_CONFIG_COUNT/GIT_CONFIG_KEY_n/GIT_CONFIG_VALUE_n), or run with --offline to use the cache"
    )]
    Fetch {
        /// The URL contacted (and the manifest's, when rewritten).
        url: String,
        /// What gix said, with its causes.
        reason: String,
    },
    /// A commit prefix naming several objects.
    #[error("commit prefix {prefix} is ambiguous: give more hex digits")]
    AmbiguousPrefix {
        /// The prefix.
        prefix: String,
    },
    /// An object the cache does not have.
    #[error("{kind} {id} is missing from the cache {}: run `archeo fetch`", dir.display())]
    Missing {
        /// `commit` or `blob`.
        kind: &'static str,
        /// Its id.
        id: String,
        /// The cache directory.
        dir: PathBuf,
    },
    /// Not a 40-hex object id.
    #[error("bad object id {0:?}")]
    BadId(String),
    /// Any other gix or I/O failure, with what was being done.
    #[error("{what}: {reason}")]
    Other {
        /// What archeo was doing.
        what: String,
        /// What failed.
        reason: String,
    },
}

/// Results of the git stage.
pub type Result<T, E = GitError> = std::result::Result<T, E>;

/// Wraps any failure as [`GitError::Other`], saying what was being done.
fn other<E: std::fmt::Display>(what: impl Into<String>) -> impl FnOnce(E) -> GitError {
    let what = what.into();
    move |e| GitError::Other {
        what,
        reason: e.to_string(),
    }
}

/// An error and its causes, joined with `: `.
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        out.push_str(": ");
        out.push_str(&s.to_string());
        src = s.source();
    }
    out
}

/// Checks that a manifest URL parses and uses a transport archeo allows.
pub fn validate_url(url: &str) -> Result<()> {
    let bad = |reason: String| GitError::BadUrl {
        url: url.to_string(),
        reason,
    };
    if url.is_empty() {
        return Err(bad("empty URL".into()));
    }
    let parsed = gix::url::parse(gix::bstr::BStr::new(url.as_bytes()))
        .map_err(|e| bad(format!("not a git URL: {e}")))?;
    check_scheme(&parsed).map_err(bad)
}

fn check_scheme(url: &gix::Url) -> std::result::Result<(), String> {
    use gix::url::Scheme;
    match url.scheme {
        Scheme::File | Scheme::Git | Scheme::Ssh | Scheme::Http | Scheme::Https => Ok(()),
        ref other => Err(format!(
            "transport {:?} is not allowed: archeo fetches over https, http, ssh, git, file or a local path only",
            other.as_str()
        )),
    }
}

/// A bare repository in archeo's cache.
pub struct CachedRepo {
    repo: gix::Repository,
    /// The cache directory.
    pub dir: PathBuf,
}

/// A reference as the cache holds it after a fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefTarget {
    /// Full ref name.
    pub name: String,
    /// The commit it peels to.
    pub commit: String,
}

/// What a fetch did, for the summary line.
#[derive(Debug, Default)]
pub struct FetchReport {
    /// The URL actually contacted after `url.<base>.insteadOf` rewriting.
    pub effective_url: String,
    /// A pack was received.
    pub received_pack: bool,
    /// Objects in it.
    pub objects: u64,
    /// Its size.
    pub bytes: u64,
}

/// The cache directory for a repository name.
pub fn cache_dir_for(cache: &Path, name: &str) -> PathBuf {
    cache.join("git").join(format!("{name}.git"))
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Marker {
    name: String,
    url: String,
}

fn open_opts() -> gix::open::Options {
    // Full trust: the cache is ours. Environment overrides (GIT_CONFIG_COUNT/KEY/VALUE) and the
    // user's global configuration apply, so `url.<base>.insteadOf` works as it does for git.
    gix::open::Options::default().strict_config(false)
}

impl CachedRepo {
    /// Opens the cached bare repository for `name`, creating it when `create` is set. A directory
    /// that exists but is not one of archeo's caches is an error, never overwritten.
    pub fn open(cache: &Path, name: &str, url: &str, create: bool) -> Result<Option<CachedRepo>> {
        let dir = cache_dir_for(cache, name);
        let marker = dir.join(MARKER);
        if dir.exists() {
            if !marker.exists() {
                return Err(GitError::NotACache { dir });
            }
            let repo = gix::open_opts(&dir, open_opts()).map_err(|e| GitError::Corrupt {
                dir: dir.clone(),
                reason: chain(&e),
            })?;
            if !repo.is_bare() {
                return Err(GitError::Corrupt {
                    dir,
                    reason: "not a bare repository".into(),
                });
            }
            if create {
                write_marker(&marker, name, url)?;
            }
            return Ok(Some(CachedRepo { repo, dir }));
        }
        if !create {
            return Ok(None);
        }
        std::fs::create_dir_all(dir.parent().expect("cache dir has a parent")).map_err(other(
            format!("cannot create cache directory under {}", cache.display()),
        ))?;
        // Build in a sibling directory and rename, so a half-created cache never looks valid.
        let tmp = dir.with_extension("git.tmp");
        let _ = std::fs::remove_dir_all(&tmp);
        gix::init_bare(&tmp).map_err(other(format!(
            "cannot create a repository at {}",
            tmp.display()
        )))?;
        write_marker(&tmp.join(MARKER), name, url)?;
        std::fs::rename(&tmp, &dir).map_err(other(format!("cannot create {}", dir.display())))?;
        let repo = gix::open_opts(&dir, open_opts()).map_err(|e| GitError::Corrupt {
            dir: dir.clone(),
            reason: chain(&e),
        })?;
        Ok(Some(CachedRepo { repo, dir }))
    }

    /// Fetches `refspecs` from `url` (rewritten by `insteadOf` as git would).
    pub fn fetch(
        &self,
        url: &str,
        refspecs: &[String],
        progress: &FetchProgress,
        interrupt: &AtomicBool,
    ) -> Result<FetchReport> {
        use gix::remote::Direction;
        let remote = self.repo.remote_at(url).map_err(|e| GitError::BadUrl {
            url: url.to_string(),
            reason: chain(&e),
        })?;
        let effective = remote
            .url(Direction::Fetch)
            .map(|u| u.to_bstring().to_string())
            .unwrap_or_else(|| url.to_string());
        if let Some(u) = remote.url(Direction::Fetch) {
            check_scheme(u).map_err(|reason| GitError::BadUrl {
                url: effective.clone(),
                reason,
            })?;
        }
        let remote = remote
            .with_fetch_tags(gix::remote::fetch::Tags::None)
            .with_refspecs(refspecs.iter().map(|s| s.as_str()), Direction::Fetch)
            .map_err(other("invalid refspec"))?;
        let hint = |e: &dyn std::error::Error| GitError::Fetch {
            url: if effective != url {
                format!("{effective} (rewritten from {url})")
            } else {
                effective.clone()
            },
            reason: chain(e),
        };
        let conn = remote.connect(Direction::Fetch).map_err(|e| hint(&e))?;
        let prepare = conn
            .prepare_fetch(progress.clone(), Default::default())
            .map_err(|e| hint(&e))?;
        let outcome = prepare
            .with_write_packed_refs_only(true)
            .receive(progress.clone(), interrupt)
            .map_err(|e| hint(&e))?;
        let mut report = FetchReport {
            effective_url: effective,
            ..Default::default()
        };
        if let gix::remote::fetch::Status::Change {
            write_pack_bundle, ..
        } = &outcome.status
        {
            report.received_pack = true;
            report.objects = write_pack_bundle.index.num_objects as u64;
            report.bytes = write_pack_bundle
                .data_path
                .as_ref()
                .and_then(|p| std::fs::metadata(p).ok())
                .map_or(0, |m| m.len());
        }
        Ok(report)
    }

    fn refs_under(&self, prefix: &str) -> Result<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        let what = format!("cannot read the references of {}", self.dir.display());
        let platform = self.repo.references().map_err(other(what.as_str()))?;
        let iter = match prefix {
            "refs/tags/" => platform.tags(),
            _ => platform.local_branches(),
        }
        .map_err(other(what.as_str()))?;
        for r in iter {
            let mut r = r.map_err(other(what.as_str()))?;
            let full = r.name().as_bstr().to_string();
            let short = full.strip_prefix(prefix).unwrap_or(&full).to_string();
            match r.peel_to_commit() {
                Ok(c) => {
                    out.insert(short, c.id.to_string());
                }
                // A tag of a tree or blob has no commit to index.
                Err(_) => continue,
            }
        }
        Ok(out)
    }

    /// Tag name -> peeled commit.
    pub fn tags(&self) -> Result<BTreeMap<String, String>> {
        self.refs_under("refs/tags/")
    }

    /// Branch name -> commit.
    pub fn branches(&self) -> Result<BTreeMap<String, String>> {
        self.refs_under("refs/heads/")
    }

    /// Resolves a (short) hex commit id to the full id of a commit in the cache (a tag's
    /// prefix peels to its commit).
    pub fn resolve_commit_prefix(&self, hex: &str) -> Result<Option<String>> {
        if hex.len() < 4 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let prefix = gix::hash::Prefix::from_hex(&hex.to_ascii_lowercase())
            .map_err(|_| GitError::BadId(hex.to_string()))?;
        let mut candidates = std::collections::HashSet::new();
        self.repo
            .objects
            .lookup_prefix(prefix, Some(&mut candidates))
            .map_err(other(format!(
                "cannot look up {hex} in {}",
                self.dir.display()
            )))?;
        let commits: std::collections::BTreeSet<gix::ObjectId> = candidates
            .into_iter()
            .filter_map(|id| self.repo.find_object(id).ok()?.peel_to_commit().ok())
            .map(|c| c.id)
            .collect();
        match commits.len() {
            0 => Ok(None),
            1 => Ok(commits.first().map(|c| c.to_string())),
            _ => Err(GitError::AmbiguousPrefix {
                prefix: hex.to_string(),
            }),
        }
    }

    /// Is `commit` (full hex) a commit in the cache?
    pub fn has_commit(&self, commit: &str) -> bool {
        gix::ObjectId::from_hex(commit.as_bytes())
            .ok()
            .and_then(|id| self.repo.find_object(id).ok())
            .is_some_and(|o| o.kind == gix::object::Kind::Commit)
    }

    /// Every ancestor of `commit` (itself included), as full hex ids.
    pub fn ancestors(&self, commit: &str) -> Result<std::collections::HashSet<String>> {
        let id = gix::ObjectId::from_hex(commit.as_bytes())
            .map_err(|_| GitError::BadId(commit.to_string()))?;
        let what = format!(
            "cannot walk the history of {commit} in {}",
            self.dir.display()
        );
        let walk = self
            .repo
            .rev_walk([id])
            .all()
            .map_err(other(what.as_str()))?;
        let mut out = std::collections::HashSet::new();
        for info in walk {
            out.insert(info.map_err(other(what.as_str()))?.id.to_string());
        }
        Ok(out)
    }

    /// Every entry of the commit's tree, recursively, without a checkout.
    pub fn tree(&self, commit: &str) -> Result<Vec<TreeEntry>> {
        let id = gix::ObjectId::from_hex(commit.as_bytes())
            .map_err(|_| GitError::BadId(commit.to_string()))?;
        let commit_obj = self.repo.find_commit(id).map_err(|_| GitError::Missing {
            kind: "commit",
            id: commit.to_string(),
            dir: self.dir.clone(),
        })?;
        let what = format!("cannot read the tree of {commit} in {}", self.dir.display());
        let tree = commit_obj.tree().map_err(other(what.as_str()))?;
        let mut rec = gix::traverse::tree::Recorder::default();
        tree.traverse()
            .breadthfirst(&mut rec)
            .map_err(other(what.as_str()))?;
        let mut out = Vec::with_capacity(rec.records.len());
        for e in rec.records {
            let kind = if e.mode.is_commit() {
                EntryKind::Submodule
            } else if e.mode.is_link() {
                EntryKind::Symlink
            } else if e.mode.is_blob() {
                EntryKind::File
            } else {
                continue;
            };
            out.push(TreeEntry {
                path: e.filepath.to_string(),
                id: e.oid.to_string(),
                kind,
            });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// A reader for blobs, usable from one thread; make one per worker.
    pub fn blob_reader(&self) -> BlobReader {
        let mut repo = self.repo.clone();
        repo.object_cache_size_if_unset(4 * 1024 * 1024);
        BlobReader { repo }
    }
}

/// Opens a blob reader on a cache directory; one per worker thread.
pub fn blob_reader_at(dir: &Path) -> Result<BlobReader> {
    let mut repo = gix::open_opts(dir, open_opts()).map_err(|e| GitError::Corrupt {
        dir: dir.to_path_buf(),
        reason: chain(&e),
    })?;
    repo.object_cache_size_if_unset(4 * 1024 * 1024);
    Ok(BlobReader { repo })
}

/// Reads blobs from one cache; one per worker thread.
pub struct BlobReader {
    repo: gix::Repository,
}

impl BlobReader {
    /// The bytes of a blob.
    pub fn read(&self, id: &str) -> Result<Vec<u8>> {
        let oid =
            gix::ObjectId::from_hex(id.as_bytes()).map_err(|_| GitError::BadId(id.to_string()))?;
        let mut blob = self.repo.find_blob(oid).map_err(|_| GitError::Missing {
            kind: "blob",
            id: id.to_string(),
            dir: self.repo.path().to_path_buf(),
        })?;
        Ok(blob.take_data())
    }
}

fn write_marker(path: &Path, name: &str, url: &str) -> Result<()> {
    let body = serde_json::to_vec_pretty(&Marker {
        name: name.into(),
        url: url.into(),
    })
    .expect("a marker serialises");
    crate::atomic::write(path, &body).map_err(other(format!("cannot write {}", path.display())))
}

/// What a tree entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A symbolic link (not followed, not indexed).
    Symlink,
    /// A gitlink: `id` is the commit the submodule is pinned to.
    Submodule,
}

/// One entry of a pinned tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    /// Repository-relative path.
    pub path: String,
    /// Blob id (or, for a submodule, the commit it pins).
    pub id: String,
    /// What it is.
    pub kind: EntryKind,
}

/// Live fetch progress: gix reports named counters (objects received, bytes read, deltas
/// resolved) into this; the UI reads [`FetchProgress::lines`] from another thread.
#[derive(Clone, Default)]
pub struct FetchProgress {
    tasks: std::sync::Arc<std::sync::Mutex<Vec<ProgressTask>>>,
    me: usize,
}

struct ProgressTask {
    name: String,
    unit: Option<gix::progress::Unit>,
    counter: gix::progress::StepShared,
}

impl FetchProgress {
    /// Counters for one fetch.
    pub fn new() -> FetchProgress {
        let p = FetchProgress::default();
        p.tasks.lock().expect("progress lock").push(ProgressTask {
            name: "fetch".into(),
            unit: None,
            counter: Default::default(),
        });
        p
    }

    /// Forgets the counters of the previous repository.
    pub fn reset(&self) {
        let mut t = self.tasks.lock().expect("progress lock");
        t.truncate(1);
        t[0].counter.store(0, std::sync::atomic::Ordering::Relaxed);
    }

    /// `12.3 MiB received`, `1042 objects indexed`, `310 deltas resolved`: the counters that
    /// mean something to a user, once they move.
    pub fn lines(&self) -> Vec<String> {
        let t = self.tasks.lock().expect("progress lock");
        let get = |name: &str| {
            t.iter()
                .filter(|task| task.name == name)
                .map(|task| task.counter.load(std::sync::atomic::Ordering::Relaxed))
                .max()
                .unwrap_or(0)
        };
        let mut out = Vec::new();
        let received = get("read pack");
        if received > 0 {
            out.push(format!(
                "{} received",
                crate::ui::human_bytes(received as u64)
            ));
        }
        let indexed = get("indexing");
        if indexed > 0 {
            out.push(format!("{indexed} objects indexed"));
        }
        let resolved = get("Resolving");
        if resolved > 0 {
            out.push(format!("{resolved} deltas resolved"));
        }
        out
    }

    fn with<R>(&self, f: impl FnOnce(&mut ProgressTask) -> R) -> R {
        let mut t = self.tasks.lock().expect("progress lock");
        f(&mut t[self.me])
    }
}

impl gix::progress::Count for FetchProgress {
    fn set(&self, step: gix::progress::Step) {
        self.with(|t| t.counter.store(step, std::sync::atomic::Ordering::Relaxed));
    }
    fn step(&self) -> gix::progress::Step {
        self.with(|t| t.counter.load(std::sync::atomic::Ordering::Relaxed))
    }
    fn inc_by(&self, step: gix::progress::Step) {
        self.with(|t| {
            t.counter
                .fetch_add(step, std::sync::atomic::Ordering::Relaxed)
        });
    }
    fn counter(&self) -> gix::progress::StepShared {
        self.with(|t| t.counter.clone())
    }
}

impl gix::progress::Progress for FetchProgress {
    fn init(&mut self, _max: Option<gix::progress::Step>, unit: Option<gix::progress::Unit>) {
        self.with(|t| t.unit = unit);
    }
    fn set_name(&mut self, name: String) {
        self.with(|t| t.name = name);
    }
    fn name(&self) -> Option<String> {
        Some(self.with(|t| t.name.clone()))
    }
    fn id(&self) -> gix::progress::Id {
        gix::progress::UNKNOWN
    }
    fn message(&self, _level: gix::progress::MessageLevel, _message: String) {}
}

impl gix::progress::NestedProgress for FetchProgress {
    type SubProgress = FetchProgress;
    fn add_child(&mut self, name: impl Into<String>) -> FetchProgress {
        let mut t = self.tasks.lock().expect("progress lock");
        t.push(ProgressTask {
            name: name.into(),
            unit: None,
            counter: Default::default(),
        });
        FetchProgress {
            tasks: self.tasks.clone(),
            me: t.len() - 1,
        }
    }
    fn add_child_with_id(
        &mut self,
        name: impl Into<String>,
        _id: gix::progress::Id,
    ) -> FetchProgress {
        self.add_child(name)
    }
}
