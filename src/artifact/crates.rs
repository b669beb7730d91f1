//! Matching a Rust binary's crates (from its source paths, [`super::native`]) against the pins:
//! which pinned repository provides each crate (the manifest's `provides`, the repository's
//! name, or a `[package]` its `Cargo.toml` files declare), which pinned revision declares the
//! crate at the version the binary holds (or the nearest ones when none does), which
//! repository the binary's own source files belong to, and how the crate versions compare
//! with each pinned revision's `Cargo.lock`.
//!
//! Pure: what needs the index is asked through the closures of [`Upstream`].

use std::collections::BTreeMap;

use super::identify::{Confidence, Upstream};
use super::native::{CrateSource, NativeEvidence, RustCrate};
use crate::source::lock::{Pin, RefKind};

/// A `[package]` of one `Cargo.toml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CargoPackage {
    /// Its name.
    pub name: String,
    /// Its version (a workspace-inherited one resolved); `None` when it states none.
    pub version: Option<String>,
    /// The `Cargo.toml` it is declared in, from the repository's root.
    pub manifest: String,
}

/// The packages one indexed revision declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionPackages {
    /// The revision.
    pub pin: Pin,
    /// Its `Cargo.toml` packages.
    pub packages: Vec<CargoPackage>,
}

/// A crate of the binary and the pinned revision it matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateMatch {
    /// The crate as the binary names it.
    pub found: RustCrate,
    /// The pinned repository providing it; `None` when none does.
    pub repo: Option<String>,
    /// How sure the revision is.
    pub confidence: Confidence,
    /// The pinned revision declaring the crate at the binary's version (a tag first).
    pub pin: Option<Pin>,
    /// Every indexed revision of the repository whose `Cargo.toml` declares that version.
    pub declared_in: Vec<String>,
    /// When no pinned revision declares it: the pinned revisions declaring the nearest lower
    /// and higher versions, `REV (VERSION)`.
    pub nearest: Option<(Option<String>, Option<String>)>,
    /// How the match was made, one sentence each.
    pub notes: Vec<String>,
}

/// The crate key cargo compares names by: `-` and `_` are the same, case is ignored.
pub(crate) fn crate_key(name: &str) -> String {
    name.to_ascii_lowercase().replace('-', "_")
}

/// Each repository's packages, asked once.
pub(crate) struct Packages<'u, 'a> {
    upstream: &'u Upstream<'a>,
    by_repo: BTreeMap<String, Option<Vec<RevisionPackages>>>,
    pub errors: Vec<String>,
}

impl<'u, 'a> Packages<'u, 'a> {
    pub fn new(upstream: &'u Upstream<'a>) -> Self {
        Packages {
            upstream,
            by_repo: BTreeMap::new(),
            errors: Vec::new(),
        }
    }

    /// The repository's packages per indexed revision; `None` when it is not indexed or
    /// cannot be read (the error is kept for a note).
    pub fn of(&mut self, repo: &str) -> Option<&[RevisionPackages]> {
        if !self.by_repo.contains_key(repo) {
            let got = match (self.upstream.cargo_packages)(repo) {
                Ok(p) => p,
                Err(e) => {
                    self.errors
                        .push(format!("the Cargo.toml files of {repo} were not read: {e}"));
                    None
                }
            };
            self.by_repo.insert(repo.to_string(), got);
        }
        self.by_repo.get(repo).and_then(|p| p.as_deref())
    }

    /// The pinned repositories in lock order.
    fn repos(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for p in self.upstream.pins {
            if !out.contains(&p.repo) {
                out.push(p.repo.clone());
            }
        }
        out
    }

    /// The pinned repository providing crate `name`: an alias (`provides`), a repository of
    /// that name, or one whose `Cargo.toml` declares such a package.
    pub fn repo_for_crate(&mut self, name: &str) -> Option<(String, String)> {
        let key = crate_key(name);
        let repos = self.repos();
        for (alias, repo) in self.upstream.aliases {
            if crate_key(alias) == key && repos.contains(repo) {
                return Some((
                    repo.clone(),
                    format!("provides: {alias} stands for pinned repository {repo}"),
                ));
            }
        }
        if let Some(r) = repos.iter().find(|r| crate_key(r) == key) {
            return Some((r.clone(), format!("pinned repository {r} has its name")));
        }
        for r in &repos {
            let Some(revs) = self.of(r) else { continue };
            if let Some((rev, p)) = revs.iter().rev().find_map(|rv| {
                rv.packages
                    .iter()
                    .find(|p| crate_key(&p.name) == key)
                    .map(|p| (rv.pin.rev.clone(), p.manifest.clone()))
            }) {
                return Some((r.clone(), format!("{r}@{rev}:{p} declares package {name}")));
            }
        }
        None
    }
}

/// Every crate of the binary matched to a pinned repository and revision where one provides
/// it; unmatched crates are kept (with no repository) so nothing read is dropped.
pub(crate) fn match_crates(native: &NativeEvidence, packages: &mut Packages) -> Vec<CrateMatch> {
    let mut out = Vec::new();
    for c in &native.crates {
        let mut m = CrateMatch {
            found: c.clone(),
            repo: None,
            confidence: Confidence::Unknown,
            pin: None,
            declared_in: Vec::new(),
            nearest: None,
            notes: Vec::new(),
        };
        let by_name = match &c.source {
            CrateSource::Git { repository, .. } => packages
                .repo_for_crate(repository)
                .or_else(|| packages.repo_for_crate(&c.name)),
            _ => packages.repo_for_crate(&c.name),
        };
        if let Some((repo, how)) = by_name {
            m.notes.push(how);
            place_crate(&mut m, &repo, packages);
            m.repo = Some(repo);
        }
        out.push(m);
    }
    out
}

/// Which revision of `repo` the crate is: a git checkout's commit, else the revisions whose
/// `Cargo.toml` declares its version, else a tag of that version (not indexed), else the
/// nearest declared versions.
fn place_crate(m: &mut CrateMatch, repo: &str, packages: &mut Packages) {
    let pins: Vec<&Pin> = packages
        .upstream
        .pins
        .iter()
        .filter(|p| p.repo == repo)
        .collect();
    if let CrateSource::Git { commit, .. } = &m.found.source {
        let hex = commit.to_ascii_lowercase();
        match super::identify::best_pin(pins.iter().copied().filter(|p| p.commit.starts_with(&hex)))
        {
            Some(pin) => {
                m.confidence = Confidence::ExactCommit;
                m.notes.push(format!(
                    "its git checkout's commit {commit} ({}) is pinned as {repo}@{}",
                    m.found.path.at, pin.rev
                ));
                m.pin = Some(pin.clone());
            }
            None => m.notes.push(format!(
                "its git checkout's commit {commit} ({}) is not pinned: pin it in archeo.toml",
                m.found.path.at
            )),
        }
        return;
    }
    let Some(version) = m.found.version.clone() else {
        m.notes.push(format!(
            "its path ({}) names no version: vendored without one",
            m.found.path.at
        ));
        return;
    };
    let key = crate_key(&m.found.name);
    let Some(revs) = packages.of(repo) else {
        // Not indexed: a tag naming the version is the evidence left.
        match super::identify::tag_for(&pins, &version) {
            Some(pin) => {
                m.confidence = Confidence::ByVersion;
                m.notes.push(format!(
                    "by version: {} from {} names pinned tag {repo}@{} ({repo} is not indexed: its Cargo.toml was not checked)",
                    m.found.label(),
                    m.found.path.at,
                    pin.rev
                ));
                m.pin = Some(pin.clone());
            }
            None => m.notes.push(format!(
                "version {version} names no pinned tag of {repo}, which is not indexed (run `archeo index` to compare its Cargo.toml versions)"
            )),
        }
        return;
    };
    let declared: Vec<(&Pin, Option<&str>)> = revs
        .iter()
        .filter_map(|rv| {
            rv.packages
                .iter()
                .find(|p| crate_key(&p.name) == key)
                .map(|p| (&rv.pin, p.version.as_deref()))
        })
        .collect();
    m.declared_in = declared
        .iter()
        .filter(|(_, v)| *v == Some(version.as_str()))
        .map(|(p, _)| p.rev.clone())
        .collect();
    let holders = declared
        .iter()
        .filter(|(_, v)| *v == Some(version.as_str()))
        .map(|(p, _)| *p);
    if let Some(pin) = super::identify::best_pin(holders) {
        m.confidence = Confidence::ByVersion;
        let also: Vec<&str> = m
            .declared_in
            .iter()
            .filter(|r| **r != pin.rev)
            .map(String::as_str)
            .collect();
        m.notes.push(format!(
            "by version: {} from {} is declared by {repo}@{}'s Cargo.toml{}",
            m.found.label(),
            m.found.path.at,
            pin.rev,
            if also.is_empty() {
                String::new()
            } else {
                format!(" (also by {})", also.join(", "))
            }
        ));
        m.pin = Some(pin.clone());
        return;
    }
    // The nearest declared versions, by semver.
    let Ok(want) = semver::Version::parse(&version) else {
        m.notes.push(format!(
            "version {version} is declared by no indexed revision of {repo}"
        ));
        return;
    };
    let mut below: Option<(semver::Version, &Pin)> = None;
    let mut above: Option<(semver::Version, &Pin)> = None;
    for (pin, v) in &declared {
        let Some(v) = v.and_then(|v| semver::Version::parse(v).ok()) else {
            continue;
        };
        let prefer = |cur: &Option<(semver::Version, &Pin)>, closer: bool| {
            cur.as_ref().is_none_or(|(c, p)| {
                closer || (*c == v && p.kind != RefKind::Tag && pin.kind == RefKind::Tag)
            })
        };
        if v < want && prefer(&below, below.as_ref().is_none_or(|(c, _)| v > *c)) {
            below = Some((v, pin));
        } else if v > want && prefer(&above, above.as_ref().is_none_or(|(c, _)| v < *c)) {
            above = Some((v, pin));
        }
    }
    let show = |x: &Option<(semver::Version, &Pin)>| {
        x.as_ref()
            .map(|(v, p)| format!("{}@{} ({v})", p.repo, p.rev))
    };
    let (b, a) = (show(&below), show(&above));
    m.notes.push(format!(
        "{} from {} is declared by no indexed revision of {repo}: {}",
        m.found.label(),
        m.found.path.at,
        match (&b, &a) {
            (Some(b), Some(a)) => format!("it lies between {b} and {a}; pin its release"),
            (Some(b), None) => format!("newer than any pinned ({b} is the nearest)"),
            (None, Some(a)) => format!("older than any pinned ({a} is the nearest)"),
            (None, None) => "no pinned revision declares the crate with a version".into(),
        }
    ));
    m.nearest = (b.is_some() || a.is_some()).then(|| {
        (
            below.map(|(_, p)| p.rev.clone()),
            above.map(|(_, p)| p.rev.clone()),
        )
    });
}

/// The repository whose crates hold the binary's own source files: for each relative path
/// (`crates/libcontainer/src/process/mod.rs`), the pinned repositories with a `Cargo.toml` at
/// the directory above its `src/` (`crates/libcontainer/Cargo.toml`; a root crate's `src/`
/// counts for none). The repository holding most of them, when it holds at least half.
pub(crate) fn repo_for_own_paths(
    native: &NativeEvidence,
    packages: &mut Packages,
) -> Option<(String, String)> {
    // Crate directories the own paths name (text before the real path may cling to the
    // first component: tried from each `/` boundary inward).
    let mut dirs: BTreeMap<String, usize> = BTreeMap::new();
    for p in &native.own_paths {
        // `src/` at the start, or after text that clung to it, is the root crate's.
        let dir = if let Some(i) = p.value.find("/src/") {
            &p.value[..i]
        } else if p.value.contains("src/") {
            ""
        } else {
            continue;
        };
        *dirs.entry(dir.to_string()).or_default() += 1;
    }
    if dirs.is_empty() {
        return None;
    }
    let mut best: Option<(String, usize, Vec<String>)> = None;
    for repo in packages.repos() {
        let Some(revs) = packages.of(&repo) else {
            continue;
        };
        let mut manifests: Vec<&str> = revs
            .iter()
            .flat_map(|r| r.packages.iter().map(|p| p.manifest.as_str()))
            .collect();
        manifests.sort_unstable();
        manifests.dedup();
        let crate_dirs: Vec<&str> = manifests
            .iter()
            .map(|m| {
                m.strip_suffix("Cargo.toml")
                    .unwrap_or(m)
                    .trim_end_matches('/')
            })
            .collect();
        let mut n = 0;
        let mut held: Vec<String> = Vec::new();
        for (dir, count) in &dirs {
            // The longest crate directory the (possibly clinging) directory ends with. A
            // root crate's `src/` is every single-crate repository's: it says nothing.
            let hit = crate_dirs
                .iter()
                .filter(|d| !d.is_empty() && dir.ends_with(*d))
                .max_by_key(|d| d.len());
            if let Some(d) = hit {
                n += count;
                if !held.iter().any(|h| h == d) {
                    held.push(d.to_string());
                }
            }
        }
        if n > 0 && best.as_ref().is_none_or(|(_, b, _)| n > *b) {
            best = Some((repo, n, held));
        }
    }
    let (repo, n, held) = best?;
    // Most of the binary's own files must lie there: a few matching directories in a
    // program of another project are a coincidence, not its origin.
    if 2 * n < native.own_paths.len() {
        return None;
    }
    Some((
        repo.clone(),
        format!(
            "{n} of the binary's {} own source paths lie in crates of pinned repository {repo} ({})",
            native.own_paths.len(),
            held.join(", ")
        ),
    ))
}

/// The binary's registry crates against each pinned revision's `Cargo.lock`: how many it
/// names at the same version. Best first; `None` when no revision's lock is known.
pub(crate) fn lock_scores(
    native: &NativeEvidence,
    pins: &[&Pin],
    upstream: &Upstream<'_>,
) -> Option<(usize, Vec<(Pin, usize)>)> {
    let wanted: Vec<(String, &str)> = native
        .crates
        .iter()
        .filter(|c| !matches!(c.source, CrateSource::Git { .. }))
        .filter_map(|c| Some((crate_key(&c.name), c.version.as_deref()?)))
        .collect();
    if wanted.is_empty() {
        return None;
    }
    let mut scores: Vec<(Pin, usize)> = Vec::new();
    for pin in pins {
        let Some(lock) = (upstream.cargo_lock)(pin) else {
            continue;
        };
        let locked: std::collections::HashSet<(String, &str)> = lock
            .iter()
            .map(|(n, v)| (crate_key(n), v.as_str()))
            .collect();
        let n = wanted
            .iter()
            .filter(|(k, v)| locked.contains(&(k.clone(), *v)))
            .count();
        scores.push(((*pin).clone(), n));
    }
    if scores.is_empty() {
        return None;
    }
    // Most crates first; tags before branches among equals.
    scores.sort_by_key(|(p, n)| (std::cmp::Reverse(*n), p.kind != RefKind::Tag));
    Some((wanted.len(), scores))
}
