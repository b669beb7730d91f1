//! The git stage: fetching upstream repositories into the cache and reading pinned trees and
//! blobs straight from the object database. This is the only module that touches gix; the rest
//! of archeo sees commit ids as hex strings, [`TreeEntry`] values and bytes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, bail};

/// File marking a cache directory as archeo's, with the manifest URL it was fetched from.
const MARKER: &str = "archeo-cache.json";

/// Checks that a manifest URL parses and uses a transport archeo allows.
pub fn validate_url(url: &str) -> Result<(), String> {
    if url.is_empty() {
        return Err("empty URL".into());
    }
    let parsed = gix::url::parse(gix::bstr::BStr::new(url.as_bytes()))
        .map_err(|e| format!("not a git URL: {e}"))?;
    check_scheme(&parsed)
}

fn check_scheme(url: &gix::Url) -> Result<(), String> {
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
    pub dir: PathBuf,
}

/// A reference as the cache holds it after a fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefTarget {
    pub name: String,
    /// The commit it peels to.
    pub commit: String,
}

/// What a fetch did, for the summary line.
#[derive(Debug, Default)]
pub struct FetchReport {
    /// The URL actually contacted after `url.<base>.insteadOf` rewriting.
    pub effective_url: String,
    pub received_pack: bool,
    pub objects: u64,
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
                bail!(
                    "{} exists but is not an archeo cache (no {MARKER}); move it away or choose another --cache-dir",
                    dir.display()
                );
            }
            let repo = gix::open_opts(&dir, open_opts()).with_context(|| {
                format!(
                    "the cache {} is corrupt: delete that directory and run `archeo fetch` again",
                    dir.display()
                )
            })?;
            if !repo.is_bare() {
                bail!(
                    "the cache {} is not a bare repository; delete it and fetch again",
                    dir.display()
                );
            }
            if create {
                write_marker(&marker, name, url)?;
            }
            return Ok(Some(CachedRepo { repo, dir }));
        }
        if !create {
            return Ok(None);
        }
        std::fs::create_dir_all(dir.parent().expect("cache dir has a parent"))
            .with_context(|| format!("cannot create cache directory under {}", cache.display()))?;
        // Build in a sibling directory and rename, so a half-created cache never looks valid.
        let tmp = dir.with_extension("git.tmp");
        let _ = std::fs::remove_dir_all(&tmp);
        gix::init_bare(&tmp)
            .with_context(|| format!("cannot create a repository at {}", tmp.display()))?;
        write_marker(&tmp.join(MARKER), name, url)?;
        std::fs::rename(&tmp, &dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let repo = gix::open_opts(&dir, open_opts())?;
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
        let remote = self
            .repo
            .remote_at(url)
            .with_context(|| format!("cannot use URL {url}"))?;
        let effective = remote
            .url(Direction::Fetch)
            .map(|u| u.to_bstring().to_string())
            .unwrap_or_else(|| url.to_string());
        if let Some(u) = remote.url(Direction::Fetch) {
            check_scheme(u).map_err(|m| anyhow::anyhow!("{effective}: {m}"))?;
        }
        let remote = remote
            .with_fetch_tags(gix::remote::fetch::Tags::None)
            .with_refspecs(refspecs.iter().map(|s| s.as_str()), Direction::Fetch)
            .context("invalid refspec")?;
        let hint = |e: &dyn std::error::Error| {
            let mut chain = e.to_string();
            let mut src = e.source();
            while let Some(s) = src {
                chain.push_str(": ");
                chain.push_str(&s.to_string());
                src = s.source();
            }
            let rewritten = if effective != url {
                format!(" (rewritten from {url})")
            } else {
                String::new()
            };
            anyhow::anyhow!(
                "cannot fetch {effective}{rewritten}: {chain}\nhint: check the URL; to use a mirror, set git's url.<base>.insteadOf (in ~/.gitconfig or GIT_CONFIG_COUNT/GIT_CONFIG_KEY_n/GIT_CONFIG_VALUE_n), or run with --offline to use the cache"
            )
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
        let platform = self.repo.references()?;
        let iter = match prefix {
            "refs/tags/" => platform.tags()?,
            _ => platform.local_branches()?,
        };
        for r in iter {
            let mut r = r.map_err(|e| anyhow::anyhow!("{e}"))?;
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

    /// Resolves a (short) hex commit id to the full id of a commit in the cache.
    pub fn resolve_commit_prefix(&self, hex: &str) -> Result<Option<String>> {
        if hex.len() < 4 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(None);
        }
        match self
            .repo
            .rev_parse_single(format!("{hex}^{{commit}}").as_str())
        {
            Ok(id) => Ok(Some(id.detach().to_string())),
            Err(e) => {
                let msg = e.to_string();
                if msg.contains("ambiguous") || msg.contains("Ambiguous") {
                    bail!("commit prefix {hex} is ambiguous: give more hex digits ({msg})");
                }
                Ok(None)
            }
        }
    }

    /// Is `commit` (full hex) a commit in the cache?
    pub fn has_commit(&self, commit: &str) -> bool {
        gix::ObjectId::from_hex(commit.as_bytes())
            .ok()
            .and_then(|id| self.repo.find_object(id).ok())
            .is_some_and(|o| o.kind == gix::object::Kind::Commit)
    }

    /// Every entry of the commit's tree, recursively, without a checkout.
    pub fn tree(&self, commit: &str) -> Result<Vec<TreeEntry>> {
        let id = gix::ObjectId::from_hex(commit.as_bytes())
            .with_context(|| format!("bad commit id {commit}"))?;
        let commit_obj = self.repo.find_commit(id).with_context(|| {
            format!("commit {commit} is not in the cache {}", self.dir.display())
        })?;
        let tree = commit_obj.tree()?;
        let mut rec = gix::traverse::tree::Recorder::default();
        tree.traverse().breadthfirst(&mut rec)?;
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
    let mut repo = gix::open_opts(dir, open_opts())
        .with_context(|| format!("cannot open the cache {}", dir.display()))?;
    repo.object_cache_size_if_unset(4 * 1024 * 1024);
    Ok(BlobReader { repo })
}

pub struct BlobReader {
    repo: gix::Repository,
}

impl BlobReader {
    /// The bytes of a blob.
    pub fn read(&self, id: &str) -> Result<Vec<u8>> {
        let oid =
            gix::ObjectId::from_hex(id.as_bytes()).with_context(|| format!("bad blob id {id}"))?;
        let mut blob = self
            .repo
            .find_blob(oid)
            .with_context(|| format!("blob {id} is missing from the cache"))?;
        Ok(blob.take_data())
    }
}

fn write_marker(path: &Path, name: &str, url: &str) -> Result<()> {
    let body = serde_json::to_vec_pretty(&Marker {
        name: name.into(),
        url: url.into(),
    })?;
    crate::atomic::write(path, &body)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryKind {
    File,
    Symlink,
    /// A gitlink: `id` is the commit the submodule is pinned to.
    Submodule,
}

/// One entry of a pinned tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeEntry {
    pub path: String,
    pub id: String,
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
