//! Linking an edge to a pinned repository and revision: by the manifest's `provides` aliases,
//! by URL or Go module path, or by the repository's manifest name; then its version to a
//! pinned revision (exact tag, commit of a Go pseudo-version or commit id, package version),
//! or the nearest pinned tags, or why it cannot be resolved. Ambiguities are returned, never
//! resolved by guessing. Pure: must not read git, the index or the lock file itself.

use std::cmp::Ordering;

use serde::Serialize;

use super::gomod::is_local_replacement;
use super::{DepEdge, EdgeKind, Origin, is_commit_like, looks_like_version};
use crate::source::lock::{Lock, RefKind};
use crate::source::manifest::{Manifest, Provide};
use crate::version::cmp_versions;

/// A pinned revision of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedRev {
    /// Rev name.
    pub name: String,
    /// Tag, branch or commit.
    pub kind: RefKind,
    /// The pinned commit.
    pub commit: String,
}

/// A pinned repository with the names other repositories use for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedRepo {
    /// Manifest name.
    pub name: String,
    /// Manifest URL.
    pub url: String,
    /// Pinned revisions, in version order.
    pub revs: Vec<PinnedRev>,
    /// Names other repositories use for it (`provides`).
    pub provides: Vec<Provide>,
}

/// Every pinned repository an edge may point at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Repos {
    /// In manifest order.
    pub repos: Vec<PinnedRepo>,
}

impl Repos {
    /// The pinned repositories, as given.
    pub fn new(repos: Vec<PinnedRepo>) -> Repos {
        Repos { repos }
    }

    /// The lock's pins with the manifest's `provides` aliases.
    pub fn from_lock(lock: &Lock, manifest: &Manifest) -> Repos {
        Repos {
            repos: lock
                .repos
                .iter()
                .map(|r| PinnedRepo {
                    name: r.name.clone(),
                    url: r.url.clone(),
                    revs: r
                        .revs
                        .iter()
                        .map(|v| PinnedRev {
                            name: v.name.clone(),
                            kind: v.kind,
                            commit: v.commit.clone(),
                        })
                        .collect(),
                    provides: manifest
                        .repo(&r.name)
                        .map(|s| s.provides.clone())
                        .unwrap_or_default(),
                })
                .collect(),
        }
    }

    /// The repository named `name`.
    pub fn get(&self, name: &str) -> Option<&PinnedRepo> {
        self.repos.iter().find(|r| r.name == name)
    }
}

/// Where an edge points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "link")]
pub enum Link {
    /// Names no pinned repository.
    External,
    /// Names several pinned repositories equally well: listed, not chosen.
    Ambiguous {
        /// The repositories it could be.
        candidates: Vec<Candidate>,
    },
    /// Names one pinned repository.
    Repo {
        /// The pinned repository.
        repo: String,
        /// What names it.
        via: Via,
        /// Which of its revisions the version is.
        resolution: Resolution,
    },
}

/// A repository an edge may point at, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// The pinned repository.
    pub repo: String,
    /// What names it.
    pub via: Via,
}

/// Why an edge points at a repository.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "by")]
pub enum Via {
    /// A manifest `provides` alias; `scoped` when it names the consumer (`in = [...]`).
    Alias {
        /// The alias.
        name: String,
        /// Declared for the repository the edge was found in only (`in = [...]`).
        scoped: bool,
    },
    /// The URL the file names (git clone/remote, submodule url) is the repository's URL.
    Url {
        /// The URL.
        url: String,
    },
    /// A Go module path under the repository's URL; `subdir` is a nested module's directory
    /// (its tags are `subdir/vX.Y.Z`).
    Module {
        /// The module path.
        module: String,
        /// The module's directory in the repository (empty at the root).
        subdir: String,
    },
    /// The edge's name is the repository's manifest name (`runc` from `runc-version`).
    Name {
        /// The name.
        name: String,
    },
}

/// What an edge's version is among the repository's pinned revisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "status")]
pub enum Resolution {
    /// A pinned revision. For a commit pinned under several names, `rev` is the first tag (else
    /// the first name) in lock order: they are the same code.
    Pinned {
        /// The pinned rev name.
        rev: String,
        /// Its commit.
        commit: String,
        /// How the version matched it.
        by: Match,
    },
    /// Not pinned; the nearest pinned tags below and above it in version order.
    NotPinned {
        /// The newest pinned tag below the version.
        below: Option<String>,
        /// The oldest pinned tag above it.
        above: Option<String>,
    },
    /// The version is the content of `path` in pinned repository `repo` (a version file read
    /// by a script): follow that file at the revision being built.
    InFile {
        /// The repository holding the file.
        repo: String,
        /// Its path there.
        path: String,
    },
    /// Several pinned revisions with different commits match: listed, not chosen.
    Ambiguous {
        /// The revisions it could be.
        revs: Vec<String>,
    },
    /// Why the version cannot be placed.
    Unresolved {
        /// Why.
        reason: String,
    },
}

/// How a version matched a pinned revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Match {
    /// The revision's name (`v1.3.3`, or `1.3.3` for tag `v1.3.3`).
    Name,
    /// A commit id or a Go pseudo-version's commit.
    Commit,
    /// A package version (`1.7.28-1`, `1:1.7.28-1~ubuntu`) whose upstream part is the tag.
    Package,
}

/// Links an edge found in repository `from` (scoped aliases and relative submodule URLs are
/// read against it) to a pinned repository and revision.
pub fn link(edge: &DepEdge, from: &str, repos: &Repos) -> Link {
    let candidates = targets(edge, from, repos);
    match candidates.as_slice() {
        [] => Link::External,
        [c] => {
            let Some(repo) = repos.get(&c.repo) else {
                return Link::External;
            };
            Link::Repo {
                repo: c.repo.clone(),
                via: c.via.clone(),
                resolution: resolve(edge, repo, &c.via, from, repos),
            }
        }
        _ => Link::Ambiguous { candidates },
    }
}

/// The repositories an edge names, at the first level of precedence that names any: aliases
/// scoped to the consumer, other aliases, URL, Go module path, manifest name.
fn targets(edge: &DepEdge, from: &str, repos: &Repos) -> Vec<Candidate> {
    // A module replaced by a local directory still names the module it stands in for.
    let module = edge
        .replaced_by
        .as_deref()
        .filter(|r| !is_local_replacement(r))
        .unwrap_or(&edge.name);
    let file_subject = match &edge.origin {
        Origin::File { path, .. } => path
            .rsplit('/')
            .next()
            .and_then(super::version_file_subject),
        _ => None,
    };
    let names: Vec<&str> = [
        Some(edge.name.as_str()),
        Some(module),
        file_subject.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect();
    let levels: [&dyn Fn() -> Vec<Candidate>; 5] = [
        &|| by_alias(&names, from, repos, true),
        &|| by_alias(&names, from, repos, false),
        &|| by_url(edge, from, repos),
        &|| {
            if is_go(edge.kind) {
                by_module(module, repos)
            } else {
                Vec::new()
            }
        },
        &|| by_name(&names, repos),
    ];
    levels
        .iter()
        .map(|level| level())
        .find(|found| !found.is_empty())
        .unwrap_or_default()
}

/// Repositories with a `provides` alias among `names`: declared for `from` only (`scoped`),
/// or for every consumer.
fn by_alias(names: &[&str], from: &str, repos: &Repos, scoped: bool) -> Vec<Candidate> {
    repos
        .repos
        .iter()
        .filter_map(|r| {
            let p = r.provides.iter().find(|p| {
                names.contains(&p.name.as_str())
                    && if scoped {
                        p.within.iter().any(|w| w == from)
                    } else {
                        p.within.is_empty()
                    }
            })?;
            Some(Candidate {
                repo: r.name.clone(),
                via: Via::Alias {
                    name: p.name.clone(),
                    scoped,
                },
            })
        })
        .collect()
}

/// Repositories whose URL is the one the edge names (a relative submodule URL read against
/// `from`'s URL).
fn by_url(edge: &DepEdge, from: &str, repos: &Repos) -> Vec<Candidate> {
    let Some(u) = &edge.url else {
        return Vec::new();
    };
    let base = repos.get(from).map(|r| r.url.as_str());
    let Some(url) = resolve_relative(&u.url, base).and_then(|u| normalize_url(&u)) else {
        return Vec::new();
    };
    repos
        .repos
        .iter()
        .filter(|r| normalize_url(&r.url).as_deref() == Some(url.as_str()))
        .map(|r| Candidate {
            repo: r.name.clone(),
            via: Via::Url { url: url.clone() },
        })
        .collect()
}

/// Repositories whose URL is the longest prefix of a Go module path.
fn by_module(module: &str, repos: &Repos) -> Vec<Candidate> {
    let m = module.to_ascii_lowercase();
    let mut best: Vec<(usize, Candidate)> = Vec::new();
    for r in &repos.repos {
        let Some(url) = normalize_url(&r.url) else {
            continue;
        };
        let sub = if m == url {
            ""
        } else if let Some(rest) = m.strip_prefix(&url).and_then(|r| r.strip_prefix('/')) {
            rest
        } else {
            continue;
        };
        best.push((
            url.len(),
            Candidate {
                repo: r.name.clone(),
                via: Via::Module {
                    module: module.to_string(),
                    subdir: strip_major(sub).to_string(),
                },
            },
        ));
    }
    let longest = best.iter().map(|(l, _)| *l).max();
    best.into_iter()
        .filter(|(l, _)| Some(*l) == longest)
        .map(|(_, c)| c)
        .collect()
}

/// Repositories whose manifest name is among `names`.
fn by_name(names: &[&str], repos: &Repos) -> Vec<Candidate> {
    repos
        .repos
        .iter()
        .filter(|r| names.contains(&r.name.as_str()))
        .map(|r| Candidate {
            repo: r.name.clone(),
            via: Via::Name {
                name: r.name.clone(),
            },
        })
        .collect()
}

fn is_go(kind: EdgeKind) -> bool {
    matches!(
        kind,
        EdgeKind::GoRequire | EdgeKind::GoReplace | EdgeKind::Vendored
    )
}

/// `v2` -> ``, `api` -> `api`, `api/v3` -> `api`: a Go major-version suffix is not a directory.
fn strip_major(sub: &str) -> &str {
    let is_major = |s: &str| {
        s.strip_prefix('v')
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    match sub.rsplit_once('/') {
        Some((dir, last)) if is_major(last) => dir,
        None if is_major(sub) => "",
        _ => sub,
    }
}

/// A submodule's `../x.git` is relative to the superproject's URL.
fn resolve_relative(url: &str, base: Option<&str>) -> Option<String> {
    if !(url.starts_with("../") || url.starts_with("./")) {
        return Some(url.to_string());
    }
    let mut base = base?.trim_end_matches('/').to_string();
    let mut rest = url;
    loop {
        if let Some(r) = rest.strip_prefix("./") {
            rest = r;
        } else if let Some(r) = rest.strip_prefix("../") {
            rest = r;
            let cut = base.rfind(['/', ':'])?;
            base.truncate(cut);
        } else {
            break;
        }
    }
    Some(format!("{base}/{rest}"))
}

/// `https://github.com/o/r.git`, `git@github.com:o/r`, `github.com/o/r/` -> `github.com/o/r`.
pub fn normalize_url(url: &str) -> Option<String> {
    let mut u = url.trim();
    for scheme in [
        "https://",
        "http://",
        "git+ssh://",
        "ssh://",
        "git://",
        "file://",
    ] {
        if let Some(r) = u.strip_prefix(scheme) {
            u = r;
            break;
        }
    }
    let owned;
    if let Some((user_host, path)) = u.split_once(':')
        && !user_host.contains('/')
        && user_host.contains('@')
    {
        owned = format!(
            "{}/{}",
            user_host.rsplit('@').next().unwrap_or(user_host),
            path
        );
        u = &owned;
    } else if let Some((user, rest)) = u.split_once('@')
        && !user.contains('/')
    {
        u = rest;
    }
    let u = u.trim_end_matches('/');
    let u = u.strip_suffix(".git").unwrap_or(u);
    let u = u.strip_prefix("www.").unwrap_or(u);
    (!u.is_empty()).then(|| u.to_ascii_lowercase())
}

fn resolve(edge: &DepEdge, repo: &PinnedRepo, via: &Via, from: &str, repos: &Repos) -> Resolution {
    let unresolved = |reason: String| Resolution::Unresolved { reason };
    if edge.kind == EdgeKind::CargoRequire {
        return unresolved(if edge.version.is_empty() {
            "a git dependency: its commit is in Cargo.lock".into()
        } else {
            format!(
                "a version requirement ({}), not a version: Cargo.lock says which is built",
                edge.version
            )
        });
    }
    // A `replace` decides what is built, not the version this line names.
    match (&edge.replaced_by, edge.kind) {
        (Some(dir), EdgeKind::GoRequire | EdgeKind::Vendored) if is_local_replacement(dir) => {
            return unresolved(format!(
                "replaced by the local directory {dir} (go.mod `replace`): built from the code there, not from {}",
                if edge.version.is_empty() {
                    "a version"
                } else {
                    &edge.version
                }
            ));
        }
        (Some(new), EdgeKind::GoRequire) => {
            return unresolved(format!(
                "replaced by {new} (go.mod `replace`): its go-replace line names the version built"
            ));
        }
        _ => {}
    }
    if edge.version.is_empty() {
        return match &edge.origin {
            Origin::File { path, in_repo, .. } => in_file(path, *in_repo, from, repos)
                .unwrap_or_else(|| {
                    unresolved(format!(
                        "the version is the content of {path}, which names no pinned repository"
                    ))
                }),
            Origin::Gitlink => unresolved(
                "the submodule's commit comes from the revision's tree (see deps::with_gitlinks)"
                    .into(),
            ),
            _ => unresolved("no version".into()),
        };
    }
    let prefix = match via {
        Via::Module { subdir, .. } if !subdir.is_empty() => format!("{subdir}/"),
        _ => String::new(),
    };
    let version = edge
        .version
        .strip_suffix("+incompatible")
        .unwrap_or(&edge.version);

    let mut names = vec![version.to_string()];
    if let Some(rest) = version.strip_prefix('v')
        && rest.starts_with(|c: char| c.is_ascii_digit())
    {
        names.push(rest.to_string());
    } else if version.starts_with(|c: char| c.is_ascii_digit()) {
        names.push(format!("v{version}"));
    }
    if let Some(r) = by_names(repo, &prefix, &names, Match::Name) {
        return r;
    }
    if let Some(commit) =
        pseudo_version_commit(version).or(is_commit_like(version).then_some(version))
    {
        let hits: Vec<&PinnedRev> = repo
            .revs
            .iter()
            .filter(|r| r.commit.starts_with(commit))
            .collect();
        if let Some(r) = pinned(&hits, Match::Commit) {
            return r;
        }
        if pseudo_version_commit(version).is_none() {
            return unresolved(format!(
                "commit {commit} is not a pinned revision of {}; without its history it cannot be placed between tags",
                repo.name
            ));
        }
    }
    if edge.kind == EdgeKind::Package
        && let Some(upstream) = package_upstream(version)
    {
        let mut names = vec![upstream.clone()];
        if upstream.starts_with(|c: char| c.is_ascii_digit()) {
            names.push(format!("v{upstream}"));
        }
        if let Some(r) = by_names(repo, &prefix, &names, Match::Package) {
            return r;
        }
        return nearest(repo, &prefix, &upstream);
    }
    if looks_like_version(version) {
        return nearest(repo, &prefix, version);
    }
    unresolved(format!(
        "{version:?} is not a pinned revision of {} and not a version to compare with its tags",
        repo.name
    ))
}

fn by_names(repo: &PinnedRepo, prefix: &str, names: &[String], by: Match) -> Option<Resolution> {
    let hits: Vec<&PinnedRev> = repo
        .revs
        .iter()
        .filter(|r| {
            r.name
                .strip_prefix(prefix)
                .is_some_and(|n| names.iter().any(|x| x == n))
        })
        .collect();
    pinned(&hits, by)
}

/// One distinct commit among the hits: pinned; several: ambiguous.
fn pinned(hits: &[&PinnedRev], by: Match) -> Option<Resolution> {
    let first = hits.first()?;
    if hits.iter().any(|h| h.commit != first.commit) {
        return Some(Resolution::Ambiguous {
            revs: hits.iter().map(|h| h.name.clone()).collect(),
        });
    }
    let best = hits
        .iter()
        .find(|h| h.kind == RefKind::Tag)
        .unwrap_or(first);
    Some(Resolution::Pinned {
        rev: best.name.clone(),
        commit: best.commit.clone(),
        by,
    })
}

fn nearest(repo: &PinnedRepo, prefix: &str, version: &str) -> Resolution {
    let mut below: Option<&str> = None;
    let mut above: Option<&str> = None;
    for r in &repo.revs {
        if r.kind != RefKind::Tag {
            continue;
        }
        let Some(tag) = r.name.strip_prefix(prefix) else {
            continue;
        };
        if !looks_like_version(tag) {
            continue;
        }
        match cmp_versions(tag, version) {
            Ordering::Less => {
                if below.is_none_or(|b| cmp_versions(tag, b) == Ordering::Greater) {
                    below = Some(&r.name);
                }
            }
            Ordering::Greater => {
                if above.is_none_or(|a| cmp_versions(tag, a) == Ordering::Less) {
                    above = Some(&r.name);
                }
            }
            Ordering::Equal => {}
        }
    }
    Resolution::NotPinned {
        below: below.map(str::to_string),
        above: above.map(str::to_string),
    }
}

/// `v0.0.0-20240101120000-abcdef123456`, `v1.2.4-0.20240101120000-abcdef123456`,
/// `v1.2.3-pre.0.20240101120000-abcdef123456` -> `abcdef123456`.
fn pseudo_version_commit(v: &str) -> Option<&str> {
    let (rest, commit) = v.rsplit_once('-')?;
    let stamp = rest.rsplit(['-', '.']).next()?;
    (commit.len() == 12
        && commit.bytes().all(|b| b.is_ascii_hexdigit())
        && stamp.len() == 14
        && stamp.bytes().all(|b| b.is_ascii_digit()))
    .then_some(commit)
}

/// A Debian/Alpine package version's upstream part: `1:1.7.28-1~ubuntu.24.04` -> `1.7.28`,
/// `2.0.0~rc.1-1` -> `2.0.0-rc.1`, `1.2.3-r0` -> `1.2.3`.
fn package_upstream(v: &str) -> Option<String> {
    let v = v.split_once(':').map_or(v, |(epoch, rest)| {
        if epoch.bytes().all(|b| b.is_ascii_digit()) {
            rest
        } else {
            v
        }
    });
    let upstream = v.rsplit_once('-').map_or(v, |(u, _)| u);
    let upstream = upstream.replace('~', "-");
    (upstream != v).then_some(upstream)
}

/// The pinned repository and path an [`Origin::File`] names: the consumer itself for a
/// repository path, or the repository whose URL a GOPATH-style path spells
/// (`src/github.com/o/r/script/x-version`).
fn in_file(path: &str, in_repo: bool, from: &str, repos: &Repos) -> Option<Resolution> {
    let segs: Vec<&str> = path.split('/').collect();
    for i in 0..segs.len() {
        for r in &repos.repos {
            let Some(url) = normalize_url(&r.url) else {
                continue;
            };
            let n = url.split('/').count();
            if i + n < segs.len() && segs[i..i + n].join("/").to_ascii_lowercase() == url {
                return Some(Resolution::InFile {
                    repo: r.name.clone(),
                    path: segs[i + n..].join("/"),
                });
            }
        }
    }
    in_repo.then(|| Resolution::InFile {
        repo: from.to_string(),
        path: path.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deps::{SourceUrl, VarUse, extract};

    /// A commit id made of one repeated digit and a final letter.
    fn commit(c: char) -> String {
        format!("{}a", c.to_string().repeat(39))
    }

    fn rev(name: &str, kind: RefKind, c: char) -> PinnedRev {
        PinnedRev {
            name: name.into(),
            kind,
            commit: commit(c),
        }
    }

    fn repos() -> Repos {
        Repos::new(vec![
            PinnedRepo {
                name: "tool".into(),
                url: "https://github.com/acme/tool".into(),
                revs: vec![
                    rev("v1.2.9", RefKind::Tag, '1'),
                    rev("v1.3.0", RefKind::Tag, '2'),
                    rev("v1.3.3", RefKind::Tag, '3'),
                    rev("release-1.3", RefKind::Branch, '3'),
                    rev("v1.4.0-rc.1", RefKind::Tag, '4'),
                    PinnedRev {
                        name: "main".into(),
                        kind: RefKind::Branch,
                        commit: "abcdef1234567890abcdef1234567890abcdef12".into(),
                    },
                ],
                provides: vec![Provide {
                    name: "TOOL_VERSION".into(),
                    within: vec![],
                }],
            },
            PinnedRepo {
                name: "app".into(),
                url: "git@github.com:acme/app.git".into(),
                revs: vec![
                    rev("v1.7.28", RefKind::Tag, '5'),
                    rev("v2.1.4", RefKind::Tag, '6'),
                    rev("api/v1.9.0", RefKind::Tag, '7'),
                    rev("release/1.7", RefKind::Branch, '8'),
                ],
                provides: vec![
                    Provide {
                        name: "app.io".into(),
                        within: vec![],
                    },
                    Provide {
                        name: "REF".into(),
                        within: vec!["packaging".into()],
                    },
                ],
            },
            PinnedRepo {
                name: "packaging".into(),
                url: "https://github.com/acme/packaging".into(),
                revs: vec![rev("main", RefKind::Branch, '9')],
                provides: vec![],
            },
        ])
    }

    fn edge(kind: EdgeKind, name: &str, version: &str) -> DepEdge {
        DepEdge {
            kind,
            line: 1,
            column: 1,
            text: String::new(),
            name: name.into(),
            version: version.into(),
            origin: Origin::Literal,
            url: None,
            replaced_by: None,
        }
    }

    fn resolution(l: Link) -> (String, Resolution) {
        match l {
            Link::Repo {
                repo, resolution, ..
            } => (repo, resolution),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn go_modules_link_by_url_with_major_suffix_and_nested_module_tags() {
        let r = repos();
        let l = link(
            &edge(EdgeKind::GoRequire, "github.com/acme/tool", "v1.3.3"),
            "packaging",
            &r,
        );
        assert_eq!(
            l,
            Link::Repo {
                repo: "tool".into(),
                via: Via::Module {
                    module: "github.com/acme/tool".into(),
                    subdir: "".into()
                },
                resolution: Resolution::Pinned {
                    rev: "v1.3.3".into(),
                    commit: commit('3'),
                    by: Match::Name
                }
            }
        );
        let (repo, res) = resolution(link(
            &edge(EdgeKind::GoRequire, "github.com/acme/app/v2", "v2.1.4"),
            "x",
            &r,
        ));
        assert_eq!(repo, "app");
        assert!(
            matches!(res, Resolution::Pinned { ref rev, .. } if rev == "v2.1.4"),
            "{res:?}"
        );
        let (_, res) = resolution(link(
            &edge(EdgeKind::GoRequire, "github.com/acme/app/api", "v1.9.0"),
            "x",
            &r,
        ));
        assert!(
            matches!(res, Resolution::Pinned { ref rev, .. } if rev == "api/v1.9.0"),
            "{res:?}"
        );
        assert_eq!(
            link(
                &edge(EdgeKind::GoRequire, "golang.org/x/sys", "v0.30.0"),
                "x",
                &r
            ),
            Link::External
        );
    }

    #[test]
    fn a_replaced_module_is_never_resolved_to_the_version_it_requires() {
        let r = repos();
        let replaced = |by: &str| {
            let mut e = edge(EdgeKind::GoRequire, "github.com/acme/tool", "v1.3.3");
            e.replaced_by = Some(by.into());
            link(&e, "x", &r)
        };
        // A fork building itself in place of tool (`=> ./`): still names tool, says why it is
        // not tool v1.3.3.
        let (repo, res) = resolution(replaced("./"));
        assert_eq!(repo, "tool");
        assert!(
            matches!(&res, Resolution::Unresolved { reason } if reason.contains("local directory ./") && reason.contains("not from v1.3.3")),
            "{res:?}"
        );
        // Replaced by another pinned repository's module: that repository, pointing at its
        // go-replace line for the version.
        let (repo, res) = resolution(replaced("github.com/acme/app"));
        assert_eq!(repo, "app");
        assert!(
            matches!(&res, Resolution::Unresolved { reason } if reason.contains("go-replace line")),
            "{res:?}"
        );
        // Replaced by a module nothing pins: not tool.
        assert_eq!(replaced("github.com/other/tool"), Link::External);
        // A vendored line of a local replacement likewise.
        let mut v = edge(EdgeKind::Vendored, "github.com/acme/tool", "v1.3.0");
        v.replaced_by = Some("../tool".into());
        assert!(matches!(
            resolution(link(&v, "x", &r)).1,
            Resolution::Unresolved { .. }
        ));
    }

    #[test]
    fn versions_resolve_to_tags_commits_or_the_nearest_pinned_tags() {
        let r = repos();
        let res = |k: EdgeKind, n: &str, v: &str| resolution(link(&edge(k, n, v), "x", &r)).1;
        // `1.3.3` names tag `v1.3.3`.
        assert!(
            matches!(res(EdgeKind::DockerArg, "TOOL_VERSION", "1.3.3"), Resolution::Pinned { ref rev, by: Match::Name, .. } if rev == "v1.3.3")
        );
        assert_eq!(
            res(EdgeKind::DockerArg, "TOOL_VERSION", "v1.3.1"),
            Resolution::NotPinned {
                below: Some("v1.3.0".into()),
                above: Some("v1.3.3".into())
            }
        );
        assert_eq!(
            res(EdgeKind::DockerArg, "TOOL_VERSION", "v1.5.0"),
            Resolution::NotPinned {
                below: Some("v1.4.0-rc.1".into()),
                above: None
            }
        );
        // A pseudo-version is its commit: pinned when that commit is.
        assert_eq!(
            res(
                EdgeKind::GoRequire,
                "github.com/acme/tool",
                "v1.4.1-0.20240101120000-abcdef123456"
            ),
            Resolution::Pinned {
                rev: "main".into(),
                commit: "abcdef1234567890abcdef1234567890abcdef12".into(),
                by: Match::Commit
            }
        );
        assert_eq!(
            res(
                EdgeKind::GoRequire,
                "github.com/acme/tool",
                "v1.3.4-0.20240101120000-0123456789ab"
            ),
            Resolution::NotPinned {
                below: Some("v1.3.3".into()),
                above: Some("v1.4.0-rc.1".into())
            }
        );
        // The same commit under a tag and a branch is one revision: the tag is named.
        assert!(
            matches!(res(EdgeKind::DockerArg, "TOOL_VERSION", &commit('3')), Resolution::Pinned { ref rev, by: Match::Commit, .. } if rev == "v1.3.3")
        );
        assert!(matches!(
            res(EdgeKind::DockerArg, "TOOL_VERSION", "fedcba9"),
            Resolution::Unresolved { .. }
        ));
        assert!(matches!(
            res(EdgeKind::DockerArg, "TOOL_VERSION", "latest"),
            Resolution::Unresolved { .. }
        ));
        // Package versions drop the epoch and the packaging revision.
        assert!(
            matches!(res(EdgeKind::Package, "app.io", "1.7.28-1"), Resolution::Pinned { ref rev, by: Match::Package, .. } if rev == "v1.7.28")
        );
        assert_eq!(
            res(EdgeKind::Package, "app.io", "1:1.7.29-1~ubuntu.24.04~noble"),
            Resolution::NotPinned {
                below: Some("v1.7.28".into()),
                above: Some("v2.1.4".into())
            }
        );
    }

    #[test]
    fn aliases_scopes_urls_and_names() {
        let r = repos();
        // `REF` is the app's only inside the packaging repository.
        let e = edge(EdgeKind::MakeVar, "REF", "release/1.7");
        assert!(
            matches!(link(&e, "packaging", &r), Link::Repo { ref repo, via: Via::Alias { scoped: true, .. }, resolution: Resolution::Pinned { ref rev, .. } } if repo == "app" && rev == "release/1.7")
        );
        assert_eq!(link(&e, "tool", &r), Link::External);
        // A git fetch's URL names the repository without any alias (scp-style URL in the lock).
        let mut fetch = edge(EdgeKind::GitRef, "APP_VERSION", "v1.7.28");
        fetch.url = Some(SourceUrl {
            url: "https://github.com/acme/app.git".into(),
            line: 1,
        });
        assert!(
            matches!(link(&fetch, "x", &r), Link::Repo { ref repo, via: Via::Url { .. }, .. } if repo == "app")
        );
        // A version file's subject is the repository's manifest name.
        assert!(
            matches!(link(&edge(EdgeKind::VersionFile, "tool", "v1.3.0"), "app", &r), Link::Repo { ref repo, via: Via::Name { .. }, .. } if repo == "tool")
        );
    }

    #[test]
    fn ambiguities_are_listed_not_chosen() {
        let mut r = repos();
        r.repos[2].provides.push(Provide {
            name: "app.io".into(),
            within: vec![],
        });
        let l = link(&edge(EdgeKind::Package, "app.io", "1.7.28-1"), "x", &r);
        let Link::Ambiguous { candidates } = l else {
            panic!("{l:?}")
        };
        let names: Vec<&str> = candidates.iter().map(|c| c.repo.as_str()).collect();
        assert_eq!(names, ["app", "packaging"]);

        let mut r = repos();
        r.repos[0].revs.push(rev("1.3.3", RefKind::Tag, 'e'));
        let (_, res) = resolution(link(
            &edge(EdgeKind::DockerArg, "TOOL_VERSION", "v1.3.3"),
            "x",
            &r,
        ));
        assert_eq!(
            res,
            Resolution::Ambiguous {
                revs: vec!["v1.3.3".into(), "1.3.3".into()]
            }
        );
    }

    #[test]
    fn relative_submodule_urls_and_version_files_in_other_checkouts() {
        let r = repos();
        let subs = extract(
            ".gitmodules",
            "[submodule \"tool\"]\n\tpath = tool\n\turl = ../tool.git\n",
        );
        let pinned = crate::deps::with_gitlinks(
            &subs,
            [("tool", "abcdef1234567890abcdef1234567890abcdef12")],
        );
        let (repo, res) = resolution(link(&pinned[0], "packaging", &r));
        assert_eq!(repo, "tool");
        assert!(
            matches!(res, Resolution::Pinned { ref rev, .. } if rev == "main"),
            "{res:?}"
        );

        let mut e = edge(EdgeKind::ShellAssign, "tool_ref", "");
        e.origin = Origin::File {
            path: "src/github.com/acme/app/script/setup/tool-version".into(),
            in_repo: true,
            vars: vec![VarUse {
                name: "app_src_dir".into(),
                line: 3,
                value: "src/github.com/acme/app".into(),
            }],
        };
        assert_eq!(
            link(&e, "packaging", &r),
            Link::Repo {
                repo: "tool".into(),
                via: Via::Name {
                    name: "tool".into()
                },
                resolution: Resolution::InFile {
                    repo: "app".into(),
                    path: "script/setup/tool-version".into()
                }
            }
        );
    }

    #[test]
    fn repos_come_from_the_lock_with_the_manifest_aliases() {
        let manifest = Manifest::parse(
            std::path::Path::new("archeo.toml"),
            "[[repo]]\nname = \"tool\"\nurl = \"https://github.com/acme/tool\"\nrevs = [\"v1.*\"]\nprovides = [\"TOOL_VERSION\"]\n",
        )
        .unwrap();
        let lock = Lock {
            repos: vec![crate::source::lock::LockedRepo {
                name: "tool".into(),
                url: "https://github.com/acme/tool".into(),
                revs: vec![crate::source::lock::LockedRev {
                    name: "v1.3.3".into(),
                    kind: RefKind::Tag,
                    commit: commit('3'),
                }],
            }],
        };
        let r = Repos::from_lock(&lock, &manifest);
        let (repo, res) = resolution(link(
            &edge(EdgeKind::DockerArg, "TOOL_VERSION", "v1.3.3"),
            "x",
            &r,
        ));
        assert_eq!(repo, "tool");
        assert!(matches!(res, Resolution::Pinned { ref rev, .. } if rev == "v1.3.3"));
    }

    #[test]
    fn urls_normalise_across_forms() {
        for u in [
            "https://github.com/Acme/Tool.git",
            "git@github.com:acme/tool.git",
            "ssh://git@github.com/acme/tool/",
            "github.com/acme/tool",
        ] {
            assert_eq!(
                normalize_url(u).as_deref(),
                Some("github.com/acme/tool"),
                "{u}"
            );
        }
    }
}
