//! The fetch stage: manifest -> cache -> lock. Resolves every manifest revision to a commit and
//! decides what may change in the lock (branches move, tags must not).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::{Context as _, Result, bail};

use crate::source::git::{CachedRepo, MissingObject};
use crate::source::lock::{Lock, LockedRepo, LockedRev, RefKind};
use crate::source::manifest::{Manifest, RepoSpec, RevSpec};

/// How `archeo fetch` may change the lock.
#[derive(Debug, Clone, Copy, Default)]
pub struct FetchOptions {
    /// Accept tags that now point elsewhere.
    pub update: bool,
    /// Fetch only what the lock names; never change the lock.
    pub locked: bool,
    /// No network: resolve from the cache.
    pub offline: bool,
}

/// Something worth telling the user about a repository's fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A repository was fetched.
    Fetched {
        /// Its name.
        repo: String,
        /// The manifest's URL.
        url: String,
        /// The URL contacted (after insteadOf).
        effective_url: String,
        /// Objects received.
        objects: u64,
        /// Bytes received.
        bytes: u64,
    },
    /// A branch moved and was re-pinned.
    BranchMoved {
        /// Repository name.
        repo: String,
        /// Branch name.
        rev: String,
        /// The commit the lock had.
        old: String,
        /// The commit it has now.
        new: String,
    },
    /// A tag points elsewhere than the lock says.
    TagMoved {
        /// Repository name.
        repo: String,
        /// Tag name.
        rev: String,
        /// The commit the lock had.
        old: String,
        /// The commit it has now.
        new: String,
    },
    /// Lock or temporary files a killed fetch left in the cache were removed.
    Recovered {
        /// Repository name.
        repo: String,
        /// The files removed, relative to the repository's cache directory.
        files: Vec<String>,
    },
    /// The cache of a repository is damaged or lacks objects the pins need: it is fetched
    /// again from scratch.
    Repairing {
        /// Repository name.
        repo: String,
        /// What is wrong.
        reason: String,
    },
    /// Upstream did not send blobs the pinned revisions hold, even to a fresh fetch (a partial
    /// mirror): they are indexed as unavailable.
    Absent {
        /// Repository name.
        repo: String,
        /// How many blobs.
        blobs: usize,
        /// One of them, as `PATH (BLOB)`.
        example: String,
    },
    /// A repository's revs were pinned.
    Pinned {
        /// Repository name.
        repo: String,
        /// Tags pinned.
        tags: usize,
        /// Branches pinned.
        branches: usize,
        /// Commits pinned.
        commits: usize,
    },
}

impl Event {
    /// Worth a warning rather than a note.
    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            Event::TagMoved { .. } | Event::Repairing { .. } | Event::Absent { .. }
        )
    }
}

impl std::fmt::Display for Event {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Event::Fetched {
                repo,
                url,
                effective_url,
                objects,
                bytes,
            } => fmt_fetched(f, repo, url, effective_url, *objects, *bytes),
            Event::BranchMoved {
                repo,
                rev,
                old,
                new,
            } => {
                write!(
                    f,
                    "{repo}@{rev}: branch moved {} -> {}",
                    &old[..12],
                    &new[..12]
                )
            }
            Event::TagMoved {
                repo,
                rev,
                old,
                new,
            } => write!(
                f,
                "{repo}@{rev}: tag now points elsewhere: {} -> {}",
                &old[..12],
                &new[..12]
            ),
            Event::Recovered { repo, files } => write!(
                f,
                "{repo}: removed {} left by an interrupted fetch",
                files.join(", ")
            ),
            Event::Repairing { repo, reason } => write!(
                f,
                "{repo}: the cache is damaged ({reason}): fetching it again from scratch"
            ),
            Event::Absent {
                repo,
                blobs,
                example,
            } => write!(
                f,
                "{repo}: upstream did not send {blobs} blob(s) the pinned revisions hold (e.g. {example}); they are indexed as unavailable"
            ),
            Event::Pinned {
                repo,
                tags,
                branches,
                commits,
            } => fmt_pinned(f, repo, [*tags, *branches, *commits]),
        }
    }
}

fn fmt_fetched(
    f: &mut std::fmt::Formatter<'_>,
    repo: &str,
    url: &str,
    effective_url: &str,
    objects: u64,
    bytes: u64,
) -> std::fmt::Result {
    let via = if effective_url != url {
        format!(" via {effective_url}")
    } else {
        String::new()
    };
    if objects > 0 {
        write!(
            f,
            "{repo}: fetched {url}{via}: {objects} objects, {}",
            crate::ui::human_bytes(bytes)
        )
    } else {
        write!(f, "{repo}: fetched {url}{via}: up to date")
    }
}

/// `runc: pinned 3 revs (2 tags, 1 branch)`.
fn fmt_pinned(f: &mut std::fmt::Formatter<'_>, repo: &str, counts: [usize; 3]) -> std::fmt::Result {
    let n = |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let kinds: Vec<String> = counts
        .into_iter()
        .zip([
            ("tag", "tags"),
            ("branch", "branches"),
            ("commit", "commits"),
        ])
        .filter(|(k, _)| *k > 0)
        .map(|(k, (one, many))| n(k, one, many))
        .collect();
    write!(
        f,
        "{repo}: pinned {} ({})",
        n(counts.iter().sum(), "rev", "revs"),
        kinds.join(", ")
    )
}

/// What a fetch tells its caller as it goes.
pub struct Observer<'a> {
    /// Something worth telling the user.
    pub on_event: &'a mut dyn FnMut(&Event),
    /// A repository's fetch starts.
    pub on_start: &'a mut dyn FnMut(&RepoSpec),
    /// gix's live counters.
    pub progress: &'a crate::source::git::FetchProgress,
}

/// Fetches every repository of the manifest and returns the lock to write (with `--locked`,
/// the old lock, after checking the cache has every commit it names).
pub fn fetch_all(
    manifest: &Manifest,
    cache: &Path,
    old: Option<&Lock>,
    opts: FetchOptions,
    obs: &mut Observer,
) -> Result<Lock> {
    let _lock = lock_cache(cache)?;
    if opts.locked {
        let old = old.ok_or_else(|| {
            anyhow::anyhow!("--locked needs a lock file, and there is none: run `archeo fetch` without --locked first")
        })?;
        check_agrees(manifest, old)?;
        for spec in &manifest.repos {
            let locked = old.repo(&spec.name).expect("checked by check_agrees");
            fetch_locked(cache, spec, locked, opts, obs)?;
        }
        return Ok(old.clone());
    }
    let mut lock = Lock::default();
    let mut moved_tags = Vec::new();
    for spec in &manifest.repos {
        // Pins of another URL (the manifest changed, or the lock was edited) are no baseline.
        let prev = old
            .and_then(|l| l.repo(&spec.name))
            .filter(|p| p.url == spec.url);
        let (revs, moved) = fetch_and_pin(cache, spec, prev, opts, obs)?;
        moved_tags.extend(moved);
        lock.repos.push(LockedRepo {
            name: spec.name.clone(),
            url: spec.url.clone(),
            revs,
        });
    }
    if !moved_tags.is_empty() && !opts.update {
        bail!(
            "{} tag(s) now point to other commits than the lock records:\n{}\ntags are supposed to be immutable, so archeo will not re-pin them silently; check upstream, then run `archeo fetch --update` to accept the new commits",
            moved_tags.len(),
            moved_tags.join("\n")
        );
    }
    Ok(lock)
}

/// Which of `commits` the cache holds whole for `spec` (the commit, its tree and every blob,
/// but the blobs upstream is known not to serve): none when the repository was never
/// fetched. `archeo watch` compares a moved ref with its previous commit only when that is
/// still there to index.
pub fn complete_commits(
    cache: &Path,
    spec: &RepoSpec,
    commits: &[String],
) -> Result<std::collections::HashSet<String>> {
    let Some(repo) = CachedRepo::open(cache, &spec.name, &spec.url, false)? else {
        return Ok(Default::default());
    };
    let absent = repo.absent();
    Ok(commits
        .iter()
        .filter(|c| {
            repo.has_commit(c)
                && repo
                    .missing_objects(std::slice::from_ref(*c))
                    .iter()
                    .all(|m| m.kind == "blob" && absent.contains(&m.id))
        })
        .cloned()
        .collect())
}

/// `--locked`: fetches only the refs the lock names, then checks every locked commit is there.
fn fetch_locked(
    cache: &Path,
    spec: &RepoSpec,
    locked: &LockedRepo,
    opts: FetchOptions,
    obs: &mut Observer,
) -> Result<()> {
    obs.progress.reset();
    (obs.on_start)(spec);
    let repo = open_for(cache, spec, opts, obs)?;
    let refspecs: Vec<String> = locked
        .revs
        .iter()
        .map(|r| match r.kind {
            RefKind::Tag => format!("+refs/tags/{0}:refs/tags/{0}", r.name),
            RefKind::Branch => format!("+refs/heads/{0}:refs/heads/{0}", r.name),
            RefKind::Commit => "+refs/heads/*:refs/heads/*".to_string(),
        })
        .fold(Vec::new(), |mut v, s| {
            if !v.contains(&s) {
                v.push(s);
            }
            v
        });
    let repo = ensure_complete(spec, repo, &[], &refspecs, opts, obs)?;
    if !opts.offline {
        let rep = repo.fetch(&spec.url, &refspecs, obs.progress, &AtomicBool::new(false))?;
        (obs.on_event)(&fetched(spec, rep));
    }
    // A locked commit upstream no longer serves is the check below's to report; the objects
    // of those present must all be there.
    let commits: Vec<String> = locked
        .revs
        .iter()
        .filter(|r| repo.has_commit(&r.commit))
        .map(|r| r.commit.clone())
        .collect();
    let repo = ensure_complete(spec, repo, &commits, &refspecs, opts, obs)?;
    for r in &locked.revs {
        if !repo.has_commit(&r.commit) {
            bail!(
                "{}@{} is locked to commit {}, which the cache {} does not have{}",
                spec.name,
                r.name,
                r.commit,
                repo.dir.display(),
                if opts.offline {
                    ": run `archeo fetch --locked` with network (or mirrors) to get it"
                } else {
                    ": upstream no longer serves it under that name; run `archeo fetch` to re-pin"
                }
            );
        }
    }
    check_locked_revs(&repo, locked)
}

/// Every rev the lock pins must be what the fetched repository has under its name, as `fetch`
/// resolves a name (a tag, else a branch, else a commit id): a tag locked as kind `tag` naming
/// its locked commit; kind `branch` a branch the repository has (its commit may have moved
/// upstream: the lock's commit, present in the cache, is what is indexed); kind `commit` a
/// name that is its commit's id or a prefix of it, and no tag's or branch's. A lock edited to
/// point a tag at another existing commit, or to call it a branch or a commit to escape that
/// check, would otherwise label that commit's code with the tag's name. `fetch --locked` and
/// `index` check it, as a plain `fetch` refuses a tag that moved upstream.
pub fn check_locked_revs(repo: &CachedRepo, locked: &LockedRepo) -> Result<()> {
    let refs = repo.tags().and_then(|t| Ok((t, repo.branches()?)));
    let (tags, branches) = refs.with_context(|| {
        format!(
            "cannot check the revs archeo.lock pins for {}: run `archeo fetch` to repair the cache",
            locked.name
        )
    })?;
    let mut kinds = Vec::new();
    let mut wrong = Vec::new();
    for r in &locked.revs {
        let at = format!("{}@{}", locked.name, r.name);
        let says = format!("archeo.lock says kind \"{}\"", r.kind.as_str());
        let tag = tags.get(&r.name);
        match r.kind {
            RefKind::Tag => match tag {
                Some(c) if *c == r.commit => {}
                Some(c) => wrong.push(format!(
                    "  {at}: archeo.lock pins {}, the fetched tag names {c}",
                    r.commit
                )),
                None => wrong.push(format!(
                    "  {at}: archeo.lock pins {}, the fetched repository has no tag {}",
                    r.commit, r.name
                )),
            },
            _ if tag.is_some() => kinds.push(format!(
                "  {at}: {says}, but {} is a tag of the fetched repository (naming {}): a tag is locked as kind \"tag\"",
                r.name,
                tag.unwrap()
            )),
            RefKind::Branch if !branches.contains_key(&r.name) => kinds.push(format!(
                "  {at}: {says}, but the fetched repository has no branch {}",
                r.name
            )),
            RefKind::Branch => {}
            RefKind::Commit if branches.contains_key(&r.name) => kinds.push(format!(
                "  {at}: {says}, but {} is a branch of the fetched repository: a branch is locked as kind \"branch\"",
                r.name
            )),
            RefKind::Commit => {
                let name = r.name.to_ascii_lowercase();
                let is_id = !name.is_empty()
                    && name.bytes().all(|b| b.is_ascii_hexdigit())
                    && r.commit.starts_with(&name);
                if !is_id {
                    kinds.push(format!(
                        "  {at}: {says} with commit {}, but {} is not that commit's id or a prefix of it",
                        r.commit, r.name
                    ));
                }
            }
        }
    }
    if !kinds.is_empty() {
        bail!(
            "{} locked rev(s) are not what the fetched repository {} has under their names:\n{}\narcheo.lock pins each name as what it is upstream (a tag, else a branch, else a commit id), so archeo cites only that commit's code under it; if archeo.lock was edited, restore it (git checkout archeo.lock), or run `archeo fetch` without --locked to re-pin it from archeo.toml",
            kinds.len(),
            repo.dir.display(),
            kinds.join("\n")
        );
    }
    if wrong.is_empty() {
        return Ok(());
    }
    bail!(
        "{} locked tag(s) do not name their locked commit in the fetched repository {}:\n{}\na tag names one commit, so archeo will not cite another commit's code under it; if archeo.lock was edited, restore it (git checkout archeo.lock); if upstream moved the tag, check upstream, then run `archeo fetch --update` to re-pin",
        wrong.len(),
        repo.dir.display(),
        wrong.join("\n")
    )
}

/// Fetches every branch and tag, pins the manifest's revs, and reports what moved since the
/// previous lock. Returns the pins and the moved tags (as lines for the refusal message).
fn fetch_and_pin(
    cache: &Path,
    spec: &RepoSpec,
    prev: Option<&LockedRepo>,
    opts: FetchOptions,
    obs: &mut Observer,
) -> Result<(Vec<LockedRev>, Vec<String>)> {
    obs.progress.reset();
    (obs.on_start)(spec);
    let repo = open_for(cache, spec, opts, obs)?;
    let refspecs = [
        "+refs/heads/*:refs/heads/*".to_string(),
        "+refs/tags/*:refs/tags/*".to_string(),
    ];
    // A damaged pack hides the commits refs point at, which fails a fetch: repair it first.
    let repo = ensure_complete(spec, repo, &[], &refspecs, opts, obs)?;
    if !opts.offline {
        let rep = repo.fetch(&spec.url, &refspecs, obs.progress, &AtomicBool::new(false))?;
        (obs.on_event)(&fetched(spec, rep));
    }
    let revs = resolve_revs(spec, &repo, &repo.tags()?, &repo.branches()?)?;
    let commits: Vec<String> = revs.iter().map(|r| r.commit.clone()).collect();
    ensure_complete(spec, repo, &commits, &refspecs, opts, obs)?;
    let mut moved_tags = Vec::new();
    for ev in moves(spec, prev, &revs) {
        if let Event::TagMoved {
            repo,
            rev,
            old,
            new,
        } = &ev
        {
            moved_tags.push(format!("  {repo}@{rev}: locked {old}, upstream now {new}"));
        }
        (obs.on_event)(&ev);
    }
    let count = |k| revs.iter().filter(|r| r.kind == k).count();
    (obs.on_event)(&Event::Pinned {
        repo: spec.name.clone(),
        tags: count(RefKind::Tag),
        branches: count(RefKind::Branch),
        commits: count(RefKind::Commit),
    });
    Ok((revs, moved_tags))
}

/// Branches and tags pinned at other commits than the previous lock's.
fn moves(spec: &RepoSpec, prev: Option<&LockedRepo>, revs: &[LockedRev]) -> Vec<Event> {
    let Some(prev) = prev else {
        return Vec::new();
    };
    revs.iter()
        .filter_map(|r| {
            let p = prev
                .revs
                .iter()
                .find(|x| x.name == r.name && x.kind == r.kind)?;
            if p.commit == r.commit {
                return None;
            }
            let (repo, rev, old, new) = (
                spec.name.clone(),
                r.name.clone(),
                p.commit.clone(),
                r.commit.clone(),
            );
            Some(match r.kind {
                RefKind::Branch => Event::BranchMoved {
                    repo,
                    rev,
                    old,
                    new,
                },
                _ => Event::TagMoved {
                    repo,
                    rev,
                    old,
                    new,
                },
            })
        })
        .collect()
}

fn fetched(spec: &RepoSpec, rep: crate::source::git::FetchReport) -> Event {
    Event::Fetched {
        repo: spec.name.clone(),
        url: spec.url.clone(),
        effective_url: rep.effective_url,
        objects: rep.objects,
        bytes: rep.bytes,
    }
}

/// Opens (or creates) a repository's cache, removing the lock files a killed fetch left in it:
/// the caller holds the cache's fetch lock, so no other archeo is writing there.
fn open_for(
    cache: &Path,
    spec: &RepoSpec,
    opts: FetchOptions,
    obs: &mut Observer,
) -> Result<CachedRepo> {
    match CachedRepo::open(cache, &spec.name, &spec.url, !opts.offline)? {
        Some(r) => {
            let removed = r.remove_stale_locks();
            if !removed.is_empty() {
                (obs.on_event)(&Event::Recovered {
                    repo: spec.name.clone(),
                    files: removed
                        .iter()
                        .map(|p| p.strip_prefix(&r.dir).unwrap_or(p).display().to_string())
                        .collect(),
                });
            }
            Ok(r)
        }
        None => bail!(
            "--offline: {} has never been fetched into the cache {}: run `archeo fetch` with network (or mirrors) first",
            spec.name,
            crate::source::git::cache_dir_for(cache, &spec.name).display()
        ),
    }
}

/// The cache's fetch lock: one `archeo fetch` at a time per cache, because two writing the same
/// repositories corrupt them.
fn lock_cache(cache: &Path) -> Result<crate::pidlock::PidLock> {
    use crate::pidlock::{LockError, PidLock};
    std::fs::create_dir_all(cache)
        .map_err(|e| anyhow::anyhow!("cannot create the cache {}: {e}", cache.display()))?;
    match PidLock::try_acquire(&cache.join("fetch.lock")) {
        Ok(l) => Ok(l),
        Err(LockError::Busy { pid }) => bail!(
            "another `archeo fetch` (pid {}) is using the cache {}; wait for it to finish",
            pid.map_or("?".to_string(), |p| p.to_string()),
            cache.display()
        ),
        Err(e) => Err(e.into()),
    }
}

/// Checks that the cache holds every object the pinned `commits` need, in undamaged packs. When
/// it does not, the repository is fetched again from scratch (`refspecs`), which repairs
/// truncated or altered packs and objects lost any other way. Blobs even a fresh fetch does not
/// bring are upstream's gap (a partial mirror): recorded, reported, indexed as unavailable.
fn ensure_complete(
    spec: &RepoSpec,
    repo: CachedRepo,
    commits: &[String],
    refspecs: &[String],
    opts: FetchOptions,
    obs: &mut Observer,
) -> Result<CachedRepo> {
    let damaged = repo.damaged_packs();
    let missing = repo.missing_objects(commits);
    let absent = repo.absent();
    let unexplained: Vec<&MissingObject> = missing
        .iter()
        .filter(|m| !(m.kind == "blob" && absent.contains(&m.id)))
        .collect();
    if damaged.is_empty() && unexplained.is_empty() {
        return Ok(repo);
    }
    let reason = match (damaged.first(), unexplained.first()) {
        (Some((pack, why)), _) => format!("{}: {why}", pack.display()),
        (None, Some(m)) => format!(
            "{} {} objects missing, e.g. {} {}",
            unexplained.len(),
            if unexplained.len() == 1 { "is" } else { "are" },
            m.kind,
            m.id
        ),
        (None, None) => unreachable!("checked above"),
    };
    if opts.offline {
        bail!(
            "{}: the cache {} is damaged ({reason}): run `archeo fetch` with network (or mirrors) to repair it",
            spec.name,
            repo.dir.display()
        );
    }
    let repo = if repo.created && damaged.is_empty() {
        repo
    } else {
        (obs.on_event)(&Event::Repairing {
            repo: spec.name.clone(),
            reason,
        });
        let fresh = repo.start_over(&spec.name, &spec.url)?;
        obs.progress.reset();
        let rep = fresh.fetch(&spec.url, refspecs, obs.progress, &AtomicBool::new(false))?;
        (obs.on_event)(&fetched(spec, rep));
        fresh
    };
    record_upstream_gaps(spec, repo, commits, obs)
}

/// After a repair: what is still missing is upstream's gap. Blobs are recorded (indexed as
/// unavailable) and reported; a missing commit or tree is an error.
fn record_upstream_gaps(
    spec: &RepoSpec,
    repo: CachedRepo,
    commits: &[String],
    obs: &mut Observer,
) -> Result<CachedRepo> {
    if let Some((pack, why)) = repo.damaged_packs().first() {
        bail!(
            "{}: {} is damaged even after fetching again ({why}): check the disk",
            spec.name,
            pack.display()
        );
    }
    let missing = repo.missing_objects(commits);
    if let Some(m) = missing.iter().find(|m| m.kind != "blob") {
        bail!(
            "{}: upstream {} does not serve {} {} of pinned commit {}: run `archeo fetch --update` to pin what it serves now",
            spec.name,
            spec.url,
            m.kind,
            m.id,
            m.commit
        );
    }
    if commits.is_empty() {
        return Ok(repo);
    }
    let blobs: Vec<String> = missing.iter().map(|m| m.id.clone()).collect();
    if let Some(m) = missing.first() {
        (obs.on_event)(&Event::Absent {
            repo: spec.name.clone(),
            blobs: blobs.len(),
            example: format!("{} ({})", m.path, m.id),
        });
    }
    repo.record_absent(&blobs)?;
    Ok(repo)
}

/// Does the lock pin exactly what the manifest asks for?
fn check_agrees(manifest: &Manifest, lock: &Lock) -> Result<()> {
    let stale = |why: String| {
        anyhow::anyhow!(
            "--locked: the lock does not match the manifest: {why}; run `archeo fetch` to update the lock"
        )
    };
    for spec in &manifest.repos {
        let Some(l) = lock.repo(&spec.name) else {
            return Err(stale(format!(
                "repository {} is not in the lock",
                spec.name
            )));
        };
        if l.url != spec.url {
            return Err(stale(format!(
                "{} has url {} in the manifest but {} in the lock",
                spec.name, spec.url, l.url
            )));
        }
        for rev in &spec.revs {
            let covered = match rev {
                RevSpec::Name(n) => l.revs.iter().any(|r| &r.name == n),
                RevSpec::TagGlob(g) => {
                    let m = globset::Glob::new(g)?.compile_matcher();
                    l.revs
                        .iter()
                        .any(|r| r.kind == RefKind::Tag && m.is_match(&r.name))
                }
            };
            if !covered {
                return Err(stale(format!(
                    "{}@{} is not pinned",
                    spec.name,
                    rev.as_str()
                )));
            }
        }
    }
    for l in &lock.repos {
        if manifest.repo(&l.name).is_none() {
            return Err(stale(format!(
                "the lock pins {}, which the manifest no longer names",
                l.name
            )));
        }
    }
    Ok(())
}

fn resolve_revs(
    spec: &RepoSpec,
    repo: &CachedRepo,
    tags: &BTreeMap<String, String>,
    branches: &BTreeMap<String, String>,
) -> Result<Vec<LockedRev>> {
    let mut out: Vec<LockedRev> = Vec::new();
    let mut push = |r: LockedRev| {
        if !out.iter().any(|x| x.name == r.name) {
            out.push(r);
        }
    };
    for rev in &spec.revs {
        match rev {
            RevSpec::TagGlob(g) => {
                let m = globset::Glob::new(g)?.compile_matcher();
                let mut names: Vec<&String> =
                    tags.keys().filter(|t| m.is_match(t.as_str())).collect();
                if names.is_empty() {
                    bail!(
                        "{}: tag glob {g:?} matches no tag{}",
                        spec.name,
                        nearest_hint(g.trim_end_matches('*'), tags.keys())
                    );
                }
                names.sort_by(|a, b| crate::version::cmp_versions(a, b));
                for n in names {
                    push(LockedRev {
                        name: n.clone(),
                        kind: RefKind::Tag,
                        commit: tags[n].clone(),
                    });
                }
            }
            RevSpec::Name(n) => {
                if let Some(c) = tags.get(n) {
                    push(LockedRev {
                        name: n.clone(),
                        kind: RefKind::Tag,
                        commit: c.clone(),
                    });
                } else if let Some(c) = branches.get(n) {
                    push(LockedRev {
                        name: n.clone(),
                        kind: RefKind::Branch,
                        commit: c.clone(),
                    });
                } else if let Some(c) = repo.resolve_commit_prefix(n)? {
                    push(LockedRev {
                        name: n.clone(),
                        kind: RefKind::Commit,
                        commit: c,
                    });
                } else {
                    bail!(
                        "{}: unknown rev {n:?}: no tag, branch or commit of that name in {}{}",
                        spec.name,
                        spec.url,
                        nearest_hint(n, tags.keys().chain(branches.keys()))
                    );
                }
            }
        }
    }
    Ok(out)
}

/// "; nearest tags: a, b, c" for a name that matched nothing.
fn nearest_hint<'a>(name: &str, candidates: impl Iterator<Item = &'a String>) -> String {
    let mut scored: Vec<(usize, &String)> = candidates
        .map(|c| (strsim::levenshtein(name, c), c))
        .collect();
    if scored.is_empty() {
        return "; the repository has no tags or branches".to_string();
    }
    scored.sort();
    let near: Vec<&str> = scored.iter().take(5).map(|(_, c)| c.as_str()).collect();
    format!("; nearest: {}", near.join(", "))
}
