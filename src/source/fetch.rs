//! The fetch stage: manifest -> cache -> lock. Resolves every manifest revision to a commit and
//! decides what may change in the lock (branches move, tags must not).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::{Result, bail};

use crate::source::git::CachedRepo;
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
        matches!(self, Event::TagMoved { .. })
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
            } => {
                let via = if effective_url != url {
                    format!(" via {effective_url}")
                } else {
                    String::new()
                };
                if *objects > 0 {
                    write!(
                        f,
                        "{repo}: fetched {url}{via}: {objects} objects, {}",
                        crate::ui::human_bytes(*bytes)
                    )
                } else {
                    write!(f, "{repo}: fetched {url}{via}: up to date")
                }
            }
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
            Event::Pinned {
                repo,
                tags,
                branches,
                commits,
            } => {
                let n = |n: &usize, one: &str, many: &str| {
                    format!("{n} {}", if *n == 1 { one } else { many })
                };
                let kinds: Vec<String> = [
                    (tags, "tag", "tags"),
                    (branches, "branch", "branches"),
                    (commits, "commit", "commits"),
                ]
                .into_iter()
                .filter(|(k, ..)| **k > 0)
                .map(|(k, one, many)| n(k, one, many))
                .collect();
                write!(
                    f,
                    "{repo}: pinned {} ({})",
                    n(&(tags + branches + commits), "rev", "revs"),
                    kinds.join(", ")
                )
            }
        }
    }
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
        let prev = old.and_then(|l| l.repo(&spec.name));
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
    let repo = open_for(cache, spec, opts)?;
    if !opts.offline {
        let mut refspecs: Vec<String> = locked
            .revs
            .iter()
            .map(|r| match r.kind {
                RefKind::Tag => format!("+refs/tags/{0}:refs/tags/{0}", r.name),
                RefKind::Branch => format!("+refs/heads/{0}:refs/heads/{0}", r.name),
                RefKind::Commit => "+refs/heads/*:refs/heads/*".to_string(),
            })
            .collect();
        refspecs.dedup();
        let rep = repo.fetch(&spec.url, &refspecs, obs.progress, &AtomicBool::new(false))?;
        (obs.on_event)(&fetched(spec, rep));
    }
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
    Ok(())
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
    let repo = open_for(cache, spec, opts)?;
    if !opts.offline {
        let refspecs = [
            "+refs/heads/*:refs/heads/*".to_string(),
            "+refs/tags/*:refs/tags/*".to_string(),
        ];
        let rep = repo.fetch(&spec.url, &refspecs, obs.progress, &AtomicBool::new(false))?;
        (obs.on_event)(&fetched(spec, rep));
    }
    let revs = resolve_revs(spec, &repo, &repo.tags()?, &repo.branches()?)?;
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

fn open_for(cache: &Path, spec: &RepoSpec, opts: FetchOptions) -> Result<CachedRepo> {
    match CachedRepo::open(cache, &spec.name, &spec.url, !opts.offline)? {
        Some(r) => Ok(r),
        None => bail!(
            "--offline: {} has never been fetched into the cache {}: run `archeo fetch` with network (or mirrors) first",
            spec.name,
            crate::source::git::cache_dir_for(cache, &spec.name).display()
        ),
    }
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
