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
    /// A `file://` URL or local path, and no `git upload-pack` to serve it.
    #[error(
        "cannot fetch {url}: {reason}\nhint: file:// URLs and local paths (also as the target of an insteadOf) are fetched by running git's `git upload-pack`, as git itself does; install git, or fetch over https:// or git://, which need no git binary"
    )]
    NoGitForLocal {
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
    #[error("{kind} {id} is missing from the cache {}: run `archeo fetch` to repair it", dir.display())]
    Missing {
        /// `commit` or `blob`.
        kind: &'static str,
        /// Its id.
        id: String,
        /// The cache directory.
        dir: PathBuf,
    },
    /// An object the cache has but cannot read: a damaged pack or loose object.
    #[error("{kind} {id} in the cache {} cannot be read ({reason}): the cache is damaged; run `archeo fetch` to repair it", dir.display())]
    Damaged {
        /// `commit`, `tree` or `blob`.
        kind: &'static str,
        /// Its id.
        id: String,
        /// The cache directory.
        dir: PathBuf,
        /// What gix said.
        reason: String,
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
    // Strict characters: the URL lands in lock files, permalinks and committed Markdown.
    if let Some(c) = url.chars().find(|c| !is_url_char(*c)) {
        return Err(bad(format!(
            "{c:?} is not allowed in a repository URL (letters, digits and -._~:/@%+=, only): percent-encode it"
        )));
    }
    let bytes = url.as_bytes();
    if let Some(i) = (0..bytes.len()).find(|&i| {
        bytes[i] == b'%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    }) {
        return Err(bad(format!(
            "'%' at byte {} does not start a %XX escape",
            i + 1
        )));
    }
    let parsed = gix::url::parse(gix::bstr::BStr::new(url.as_bytes()))
        .map_err(|e| bad(format!("not a git URL: {e}")))?;
    check_scheme(&parsed).map_err(bad)?;
    if parsed.scheme != gix::url::Scheme::File {
        let host = parsed.host().unwrap_or("");
        let label_ok = |l: &str| {
            !l.is_empty()
                && !l.starts_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if !host.split('.').all(label_ok) {
            return Err(bad(format!(
                "host {host:?} is not a host name (letters, digits, '-' and '.')"
            )));
        }
    }
    Ok(())
}

fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/@%+=,".contains(c)
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
    /// Made empty by this run (nothing fetched into it before).
    pub created: bool,
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

/// The marker's format: caches marked before it had one are format 1.
const MARKER_FORMAT: u32 = 1;

fn marker_format_1() -> u32 {
    1
}

/// `archeo-cache.json`: marks a directory as a repository archeo made, for a name and URL.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
struct Marker {
    #[serde(default = "marker_format_1")]
    format: u32,
    name: String,
    url: String,
    /// Blobs of pinned revisions that upstream did not send even to a fresh clone (a partial
    /// mirror): indexed as unavailable rather than reported as damage.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    absent: Vec<String>,
}

impl Marker {
    /// The marker of the repository at `dir`, if it carries one this archeo can read.
    fn read(dir: &Path) -> Result<Option<Marker>> {
        let path = dir.join(MARKER);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(other(format!("cannot read {}", path.display()))(e)),
        };
        let m: Marker = serde_json::from_str(&text).map_err(|e| GitError::Corrupt {
            dir: dir.to_path_buf(),
            reason: format!("{MARKER} is not an archeo marker: {e}"),
        })?;
        if m.format > MARKER_FORMAT {
            return Err(GitError::Corrupt {
                dir: dir.to_path_buf(),
                reason: format!(
                    "made by a newer archeo (marker format {}); upgrade archeo",
                    m.format
                ),
            });
        }
        Ok(Some(m))
    }

    fn write(&self, dir: &Path) -> Result<()> {
        let path = dir.join(MARKER);
        let mut m = self.clone();
        m.format = MARKER_FORMAT;
        let body = serde_json::to_vec_pretty(&m).expect("a marker serialises");
        crate::atomic::write(&path, &body)
            .map_err(other(format!("cannot write {}", path.display())))
    }
}

fn open_opts() -> gix::open::Options {
    // Full trust: the cache is ours. Environment overrides (GIT_CONFIG_COUNT/KEY/VALUE) and the
    // user's global configuration apply, so `url.<base>.insteadOf` works as it does for git.
    gix::open::Options::default().strict_config(false)
}

impl CachedRepo {
    /// Opens the cached bare repository for `name`, creating it when `create` is set. A directory
    /// that exists but is not one of archeo's caches is an error, never overwritten or deleted.
    pub fn open(cache: &Path, name: &str, url: &str, create: bool) -> Result<Option<CachedRepo>> {
        let dir = cache_dir_for(cache, name);
        if create {
            recover_swap(&dir)?;
        }
        if dir.exists() {
            let Some(mut marker) = Marker::read(&dir)? else {
                return Err(GitError::NotACache { dir });
            };
            let repo = open_bare(&dir)?;
            if create
                && (marker.url != url || marker.name != name || marker.format != MARKER_FORMAT)
            {
                if marker.url != url {
                    marker.absent.clear();
                }
                marker.name = name.to_string();
                marker.url = url.to_string();
                marker.write(&dir)?;
            }
            return Ok(Some(CachedRepo {
                repo,
                dir,
                created: false,
            }));
        }
        if !create {
            return Ok(None);
        }
        let tmp = init_marked(&dir.with_extension("git.tmp"), name, url)?;
        std::fs::rename(&tmp, &dir).map_err(other(format!("cannot create {}", dir.display())))?;
        remove_staging(&tmp);
        Ok(Some(CachedRepo {
            repo: open_bare(&dir)?,
            dir,
            created: true,
        }))
    }

    /// Replaces the repository with a fresh, empty one (same name, URL and marker) to fetch
    /// into from scratch: the way to repair a cache whose objects are damaged or missing. The
    /// old one is renamed aside first and deleted only once the new one is in place; an
    /// interruption in between is undone by the next [`CachedRepo::open`].
    pub fn start_over(self, name: &str, url: &str) -> Result<CachedRepo> {
        let dir = self.dir.clone();
        drop(self);
        let tmp = init_marked(&dir.with_extension("git.tmp"), name, url)?;
        let old = dir.with_extension("git.old");
        std::fs::rename(&dir, &old)
            .map_err(other(format!("cannot move {} aside", dir.display())))?;
        std::fs::rename(&tmp, &dir).map_err(other(format!("cannot create {}", dir.display())))?;
        remove_staging(&tmp);
        let _ = std::fs::remove_dir_all(&old);
        Ok(CachedRepo {
            repo: open_bare(&dir)?,
            dir,
            created: true,
        })
    }

    /// Removes lock and temporary files a killed git writer left in the repository
    /// (`packed-refs.lock`, `refs/**/*.lock`, temporary packs). Only call while holding the
    /// cache's fetch lock: no archeo can be writing then. Returns what was removed.
    pub fn remove_stale_locks(&self) -> Vec<PathBuf> {
        let objects = self.dir.join("objects");
        let locks = files_in(&self.dir, false)
            .into_iter()
            .chain(files_in(&self.dir.join("refs"), true))
            .filter(|p| p.extension().is_some_and(|x| x == "lock"));
        let temporaries = files_in(&objects, false)
            .into_iter()
            .chain(files_in(&objects.join("pack"), false))
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with("tmp") || n.starts_with(".tmp"))
            });
        let mut removed: Vec<PathBuf> = locks
            .chain(temporaries)
            .filter(|p| std::fs::remove_file(p).is_ok())
            .collect();
        removed.sort();
        removed
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
        let local = remote
            .url(Direction::Fetch)
            .is_some_and(|u| u.scheme == gix::url::Scheme::File);
        let hint = |e: &(dyn std::error::Error + 'static)| {
            let shown = if effective != url {
                format!("{effective} (rewritten from {url})")
            } else {
                effective.clone()
            };
            // A local fetch spawns `git upload-pack`; "not found" is that program missing.
            let no_program = std::iter::successors(Some(e), |e| e.source()).any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound)
            });
            if local && no_program {
                GitError::NoGitForLocal {
                    url: shown,
                    reason: chain(e),
                }
            } else {
                GitError::Fetch {
                    url: shown,
                    reason: chain(e),
                }
            }
        };
        let conn = remote.connect(Direction::Fetch).map_err(|e| hint(&e))?;
        let prepare = conn
            .prepare_fetch(progress.clone(), Default::default())
            .map_err(|e| hint(&e))?;
        let outcome = prepare
            .with_write_packed_refs_only(true)
            .receive(progress.clone(), interrupt)
            .map_err(|e| hint(&e))?;
        let mapped: std::collections::HashSet<String> = outcome
            .ref_map
            .mappings
            .iter()
            .filter_map(|m| m.local.as_ref().map(|l| l.to_string()))
            .collect();
        self.prune(refspecs, &mapped)?;
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

    /// Deletes the refs under a wildcard refspec's destination (`refs/tags/`) that upstream no
    /// longer advertises (`mapped`): the cache holds upstream's refs, no others, so a deleted
    /// tag or a ref name damaged on disk is never pinned.
    fn prune(&self, refspecs: &[String], mapped: &std::collections::HashSet<String>) -> Result<()> {
        use gix::refs::transaction::{Change, PreviousValue, RefEdit, RefLog};
        let prefixes: Vec<&str> = refspecs
            .iter()
            .filter_map(|s| s.split_once(':')?.1.strip_suffix('*'))
            .collect();
        if prefixes.is_empty() {
            return Ok(());
        }
        let what = format!("cannot prune the references of {}", self.dir.display());
        let platform = self.repo.references().map_err(other(what.as_str()))?;
        let stale: Vec<String> = platform
            .all()
            .map_err(other(what.as_str()))?
            .filter_map(|r| r.ok().map(|r| r.name().as_bstr().to_string()))
            .filter(|n| prefixes.iter().any(|p| n.starts_with(p)) && !mapped.contains(n))
            .collect();
        for name in stale {
            let full: gix::refs::FullName =
                name.as_str().try_into().map_err(other(what.as_str()))?;
            self.repo
                .edit_reference(RefEdit {
                    change: Change::Delete {
                        expected: PreviousValue::Any,
                        log: RefLog::AndReference,
                    },
                    name: full,
                    deref: false,
                })
                .map_err(other(what.as_str()))?;
        }
        Ok(())
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

    /// Every entry of the commit's tree, recursively, without a checkout, and the entries left
    /// out because their names could not stand in a path (see [`RefusedEntry`]). A raw tree
    /// can hold names git itself never writes (`sl/ash.go`, `..`, an empty name); joined into
    /// paths they would shift other files' paths or leave the commit, so they and everything
    /// under them are refused, never joined.
    pub fn tree(&self, commit: &str) -> Result<Tree> {
        let id = gix::ObjectId::from_hex(commit.as_bytes())
            .map_err(|_| GitError::BadId(commit.to_string()))?;
        let commit_obj = self.repo.find_commit(id).map_err(|_| GitError::Missing {
            kind: "commit",
            id: commit.to_string(),
            dir: self.dir.clone(),
        })?;
        // A tree that does not read is a damaged cache, which `fetch` repairs.
        let damaged = |e: &dyn std::fmt::Display| GitError::Damaged {
            kind: "tree of commit",
            id: commit.to_string(),
            dir: self.dir.clone(),
            reason: e.to_string(),
        };
        let root = commit_obj.tree_id().map_err(|e| damaged(&e))?.detach();
        let mut out = Tree::default();
        let mut pending: Vec<(gix::ObjectId, String, usize)> = vec![(root, String::new(), 0)];
        while let Some((id, dir, depth)) = pending.pop() {
            let tree = self.repo.find_tree(id).map_err(|e| damaged(&e))?;
            for e in tree.iter() {
                let e = e.map_err(|e| damaged(&e))?.inner;
                let name = e.filename.to_string();
                if let Some(why) = refused_name(e.filename) {
                    out.refused.push(RefusedEntry {
                        dir: dir.clone(),
                        name,
                        why,
                    });
                    continue;
                }
                let path = if dir.is_empty() {
                    name
                } else {
                    format!("{dir}/{name}")
                };
                let kind = if e.mode.is_tree() {
                    if depth + 1 >= MAX_TREE_DEPTH {
                        out.refused.push(RefusedEntry {
                            dir: dir.clone(),
                            name: e.filename.to_string(),
                            why: "nested deeper than git allows (core.maxTreeDepth, 4096)",
                        });
                        continue;
                    }
                    pending.push((e.oid.to_owned(), path, depth + 1));
                    continue;
                } else if e.mode.is_commit() {
                    EntryKind::Submodule
                } else if e.mode.is_link() {
                    EntryKind::Symlink
                } else if e.mode.is_blob() {
                    EntryKind::File
                } else {
                    continue;
                };
                out.entries.push(TreeEntry {
                    path,
                    id: e.oid.to_string(),
                    kind,
                });
            }
        }
        out.entries.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// Packs whose checksums do not match their content (truncated or altered), and reference
    /// files that do not decode, with why.
    pub fn damaged_packs(&self) -> Vec<(PathBuf, String)> {
        use gix::odb::pack;
        let never = AtomicBool::new(false);
        let mut out = Vec::new();
        let refs = self
            .repo
            .references()
            .map_err(|e| e.to_string())
            .and_then(|p| {
                p.all()
                    .map_err(|e| e.to_string())?
                    .try_for_each(|r| r.map(|_| ()).map_err(|e| e.to_string()))
            });
        if let Err(why) = refs {
            out.push((self.dir.join("packed-refs"), why));
        }
        let packs = files_in(&self.dir.join("objects").join("pack"), false);
        for idx_path in packs
            .iter()
            .filter(|p| p.extension().is_some_and(|x| x == "idx"))
        {
            let pack_path = idx_path.with_extension("pack");
            let check = || -> std::result::Result<(), String> {
                let idx = pack::index::File::at(idx_path, gix::hash::Kind::Sha1)
                    .map_err(|e| format!("index: {e}"))?;
                idx.verify_checksum(&mut gix::utils::progress::Discard, &never)
                    .map_err(|e| format!("index: {e}"))?;
                let data = pack::data::File::at(&pack_path, gix::hash::Kind::Sha1)
                    .map_err(|e| format!("pack: {e}"))?;
                data.verify_checksum(&mut gix::utils::progress::Discard, &never)
                    .map_err(|e| format!("pack: {e}"))?;
                if idx.pack_checksum() != data.checksum() {
                    return Err("the index describes another pack".into());
                }
                Ok(())
            };
            if let Err(why) = check() {
                out.push((pack_path, why));
            }
        }
        out
    }

    /// Objects the trees of `commits` need that the cache lacks or cannot read (each tree
    /// visited once, however many commits share it). Blob contents are not decoded: a damaged
    /// pack is [`CachedRepo::damaged_packs`]'s to find.
    pub fn missing_objects(&self, commits: &[String]) -> Vec<MissingObject> {
        let mut seen = std::collections::HashSet::new();
        let mut out = Vec::new();
        for c in commits {
            let missing = |kind, id: String, path: String| MissingObject {
                kind,
                id,
                path,
                commit: c.clone(),
            };
            let tree = gix::ObjectId::from_hex(c.as_bytes())
                .ok()
                .and_then(|id| self.repo.find_commit(id).ok())
                .and_then(|commit| commit.tree_id().ok().map(|t| t.detach()));
            let Some(tree) = tree else {
                out.push(missing("commit", c.clone(), String::new()));
                continue;
            };
            let mut stack = vec![(tree, String::new())];
            while let Some((id, path)) = stack.pop() {
                if !seen.insert(id) {
                    continue;
                }
                let Ok(t) = self.repo.find_tree(id) else {
                    out.push(missing("tree", id.to_string(), path));
                    continue;
                };
                for e in t.iter() {
                    let Ok(e) = e else {
                        out.push(missing("tree", id.to_string(), path.clone()));
                        break;
                    };
                    let p = if path.is_empty() {
                        e.filename().to_string()
                    } else {
                        format!("{path}/{}", e.filename())
                    };
                    let mode = e.mode();
                    if mode.is_tree() {
                        stack.push((e.object_id(), p));
                    } else if (mode.is_blob() || mode.is_link()) && !self.repo.has_object(e.oid()) {
                        out.push(missing("blob", e.oid().to_string(), p));
                    }
                }
            }
        }
        out
    }

    /// Blobs upstream did not send even to a fresh clone (recorded by [`CachedRepo::record_absent`]).
    pub fn absent(&self) -> std::collections::HashSet<String> {
        Marker::read(&self.dir)
            .ok()
            .flatten()
            .map(|m| m.absent.into_iter().collect())
            .unwrap_or_default()
    }

    /// Records blobs upstream does not serve (a partial mirror), so indexing counts them as
    /// unavailable instead of reporting a damaged cache.
    pub fn record_absent(&self, ids: &[String]) -> Result<()> {
        let mut m = Marker::read(&self.dir)?.unwrap_or_default();
        let mut ids = ids.to_vec();
        ids.sort();
        ids.dedup();
        if m.absent != ids {
            m.absent = ids;
            m.write(&self.dir)?;
        }
        Ok(())
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
        let dir = || self.repo.path().to_path_buf();
        match self.repo.try_find_object(oid) {
            Ok(Some(o)) if o.kind == gix::object::Kind::Blob => Ok(o.into_blob().take_data()),
            Ok(Some(o)) => Err(GitError::Damaged {
                kind: "blob",
                id: id.to_string(),
                dir: dir(),
                reason: format!("it is a {}", o.kind),
            }),
            Ok(None) => Err(GitError::Missing {
                kind: "blob",
                id: id.to_string(),
                dir: dir(),
            }),
            Err(e) => Err(GitError::Damaged {
                kind: "blob",
                id: id.to_string(),
                dir: dir(),
                reason: e.to_string(),
            }),
        }
    }
}

fn open_bare(dir: &Path) -> Result<gix::Repository> {
    let repo = gix::open_opts(dir, open_opts()).map_err(|e| GitError::Corrupt {
        dir: dir.to_path_buf(),
        reason: chain(&e),
    })?;
    if !repo.is_bare() {
        return Err(GitError::Corrupt {
            dir: dir.to_path_buf(),
            reason: "not a bare repository".into(),
        });
    }
    Ok(repo)
}

/// Makes an empty bare repository, marked as archeo's, staged in `tmp` (itself marked before
/// anything else is made in it, so a run killed at any point leaves nothing unmarked): returns
/// the repository's directory inside `tmp`, ready to be renamed into place. A `tmp` left by a
/// killed run is archeo's and replaced; anything else there is refused.
fn init_marked(tmp: &Path, name: &str, url: &str) -> Result<PathBuf> {
    let parent = tmp.parent().expect("a cache repository has a parent");
    std::fs::create_dir_all(parent).map_err(other(format!(
        "cannot create cache directory {}",
        parent.display()
    )))?;
    remove_if_ours(tmp)?;
    std::fs::create_dir(tmp).map_err(other(format!("cannot create {}", tmp.display())))?;
    let marker = Marker {
        format: MARKER_FORMAT,
        name: name.into(),
        url: url.into(),
        absent: Vec::new(),
    };
    marker.write(tmp)?;
    let repo = tmp.join("repo.git");
    gix::init_bare(&repo).map_err(other(format!(
        "cannot create a repository at {}",
        repo.display()
    )))?;
    marker.write(&repo)?;
    Ok(repo)
}

/// Removes the staging directory of [`init_marked`] once its repository moved out.
fn remove_staging(repo: &Path) {
    if let Some(tmp) = repo.parent() {
        let _ = remove_if_ours(tmp);
    }
}

/// Deletes `dir` when it is archeo's: marked, or holding nothing but archeo's temporary files (a
/// run killed before its marker was in place); refuses anything else.
fn remove_if_ours(dir: &Path) -> Result<()> {
    if std::fs::symlink_metadata(dir).is_err() {
        return Ok(());
    }
    let only_temporaries = || {
        std::fs::read_dir(dir).is_ok_and(|entries| {
            entries.flatten().all(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.starts_with(".archeo-") && n.ends_with(".tmp")
            })
        })
    };
    let ours = dir.is_dir() && (Marker::read(dir).ok().flatten().is_some() || only_temporaries());
    if !ours {
        return Err(GitError::NotACache {
            dir: dir.to_path_buf(),
        });
    }
    std::fs::remove_dir_all(dir).map_err(other(format!("cannot remove {}", dir.display())))
}

/// Finishes or undoes a [`CachedRepo::start_over`] that was interrupted: the old repository is
/// put back when the new one never took its place, and deleted when it did.
fn recover_swap(dir: &Path) -> Result<()> {
    let old = dir.with_extension("git.old");
    if std::fs::symlink_metadata(&old).is_err() {
        return Ok(());
    }
    if dir.exists() {
        return remove_if_ours(&old);
    }
    if Marker::read(&old).ok().flatten().is_none() {
        return Err(GitError::NotACache { dir: old });
    }
    std::fs::rename(&old, dir).map_err(other(format!("cannot restore {}", dir.display())))
}

/// The files in `dir` (and below it when `deep`).
fn files_in(dir: &Path, deep: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        match e.file_type() {
            Ok(t) if t.is_dir() && deep => out.extend(files_in(&e.path(), true)),
            Ok(t) if t.is_file() => out.push(e.path()),
            _ => {}
        }
    }
    out
}

/// The git blob id of `data`: SHA-1 of `blob LEN\0` and the bytes, as hex.
pub fn blob_id(data: &[u8]) -> String {
    gix::objs::compute_hash(gix::hash::Kind::Sha1, gix::objs::Kind::Blob, data)
        .map(|id| id.to_string())
        .unwrap_or_default()
}

/// An object a pinned revision needs that the cache cannot give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingObject {
    /// `commit`, `tree` or `blob`.
    pub kind: &'static str,
    /// Its id.
    pub id: String,
    /// Where the commit's tree holds it (empty for the commit itself).
    pub path: String,
    /// The pinned commit that needs it.
    pub commit: String,
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

/// How deep trees may nest (git's own `core.maxTreeDepth` default).
const MAX_TREE_DEPTH: usize = 4096;

/// Why a tree entry's name cannot be part of a path, or `None` when it can: git never writes
/// these names, but a raw tree object may hold them.
fn refused_name(name: &[u8]) -> Option<&'static str> {
    if name.is_empty() {
        Some("an empty name")
    } else if name == b"." || name == b".." {
        Some("a name that means a directory itself or its parent")
    } else if name.contains(&b'/') {
        Some("a name holding '/', which would make it look like a path of other files")
    } else if name.contains(&0) {
        Some("a name holding a NUL byte")
    } else {
        None
    }
}

/// A pinned tree: its entries and the ones refused.
#[derive(Debug, Default)]
pub struct Tree {
    /// Every file, symbolic link and submodule, by path.
    pub entries: Vec<TreeEntry>,
    /// Entries whose names cannot stand in a path, left out with what is under them.
    pub refused: Vec<RefusedEntry>,
}

/// A tree entry left out because its name cannot be part of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedEntry {
    /// The directory holding it (`""` at the root).
    pub dir: String,
    /// Its name, as given (possibly holding `/`; lossily UTF-8).
    pub name: String,
    /// Why it was refused.
    pub why: &'static str,
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
