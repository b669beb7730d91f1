//! `archeo deps` and `archeo affected`: the dependency edges a pinned revision's files declare
//! (stored per file version at index time, see [`crate::deps`]), each cited and linked to a
//! pinned repository where one matches; followed transitively across pinned repositories; and,
//! for a finding, which consumer releases ship a component version that carries it.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::{Result, bail};

use crate::deps::{DepEdge, EdgeKind, Link, Origin, Repos, Resolution};
use crate::index::Index;
use crate::index::catalog::IndexedRev;
use crate::index::citation::Citation;
use crate::query::findings::{self, Selection};
use crate::query::search::{self, Scope};
use crate::query::syntax::Query;

/// One edge at one revision: what the file says, where, and what it points at.
#[derive(Debug, Clone)]
pub struct EdgeAt {
    /// The edge as read.
    pub edge: DepEdge,
    /// Where it is written (the version's line), at the revision.
    pub cite: Citation,
    /// Other lines of the same file that use it (a `git checkout "$RUNC_VERSION"` of an ARG).
    pub used_at: Vec<u32>,
    /// The pinned repository and revision it names, if any.
    pub link: Link,
}

impl EdgeAt {
    /// `(repo, rev)` when the edge resolves to a pinned revision.
    pub fn pinned(&self) -> Option<(&str, &str)> {
        match &self.link {
            Link::Repo {
                repo,
                resolution: Resolution::Pinned { rev, .. },
                ..
            } => Some((repo, rev)),
            _ => None,
        }
    }

    /// The pinned repository it points at, resolved or not.
    pub fn repo(&self) -> Option<&str> {
        match &self.link {
            Link::Repo { repo, .. } => Some(repo),
            _ => None,
        }
    }
}

/// The edges of one revision.
#[derive(Debug, Clone)]
pub struct RevDeps {
    /// `repo@rev`.
    pub selector: String,
    /// Its commit.
    pub commit: String,
    /// How many hops from the revision asked about.
    pub depth: usize,
    /// Its edges (only those pointing at pinned repositories unless all were asked for).
    pub edges: Vec<EdgeAt>,
}

/// What `archeo deps` found.
#[derive(Debug, Clone)]
pub struct DepsReport {
    /// The revision asked about, then the pinned revisions it builds with, breadth first.
    pub revs: Vec<RevDeps>,
}

/// Every edge of `rev`'s files, cited and linked (duplicates of a defining line merged).
pub fn edges_at(index: &Index, rev: &IndexedRev, repos: &Repos) -> Result<Vec<EdgeAt>> {
    let stored = index.deps()?;
    let by_blob: HashMap<&str, &crate::index::store::StoredDeps> =
        stored.iter().map(|d| (d.blob.as_str(), d)).collect();
    let holder = index.resolve(&format!("{}@{}", rev.repo, rev.rev))?;
    let places = index.places(&[holder], |id| by_blob.contains_key(id), |_| true)?;
    let version_files = VersionFiles { index, rev: holder };
    let gitlinks: Vec<(&str, &str)> = rev
        .submodules
        .iter()
        .map(|s| (s.path.as_str(), s.commit.as_str()))
        .collect();
    let mut out = Vec::new();
    let mut blobs: Vec<&String> = places.keys().collect();
    blobs.sort();
    for blob in blobs {
        for place in &places[blob] {
            let stored = by_blob[blob.as_str()];
            let mut edges = if stored.path == place.path {
                stored.edges.clone()
            } else {
                // Read at another path: how a file is read depends on its path.
                match index.file_by_blob(blob)? {
                    Some(f) => crate::deps::extract(&place.path, &f.content),
                    None => Vec::new(),
                }
            };
            crate::deps::resolve_files(&mut edges, |p| version_files.content(p));
            let edges = crate::deps::with_gitlinks(&edges, gitlinks.iter().copied());
            for (edge, used_at) in merge_uses(edges) {
                out.push(EdgeAt {
                    cite: index.cite(blob, place, edge.line, edge.line),
                    link: crate::deps::link(&edge, &rev.repo, repos),
                    edge,
                    used_at,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (&a.cite.path, a.cite.start, a.edge.column).cmp(&(
            &b.cite.path,
            b.cite.start,
            b.edge.column,
        ))
    });
    Ok(out)
}

/// A `git fetch`/`git checkout` of a variable repeats the line that set it: keep the defining
/// edge, and record the using lines on it.
fn merge_uses(edges: Vec<DepEdge>) -> Vec<(DepEdge, Vec<u32>)> {
    let defined: HashSet<u32> = edges
        .iter()
        .filter(|e| e.kind != EdgeKind::GitRef)
        .map(|e| e.line)
        .collect();
    let mut uses: BTreeMap<u32, Vec<u32>> = BTreeMap::new();
    let mut kept = Vec::new();
    for e in edges {
        let defining_line = match (&e.kind, &e.origin) {
            (EdgeKind::GitRef, Origin::Expanded { vars } | Origin::File { vars, .. }) => vars
                .iter()
                .map(|v| v.line)
                .find(|l| defined.contains(l) && *l != e.line),
            _ => None,
        };
        match defining_line {
            Some(l) => uses.entry(l).or_default().push(e.line),
            None => kept.push(e),
        }
    }
    kept.into_iter()
        .map(|e| {
            let u = uses.get(&e.line).cloned().unwrap_or_default();
            (e, u)
        })
        .collect()
}

/// The content of the revision's one-line version files, for edges that read them.
struct VersionFiles<'a> {
    index: &'a Index,
    rev: &'a IndexedRev,
}

impl VersionFiles<'_> {
    fn content(&self, path: &str) -> Option<String> {
        let tree = self.index.tree(&self.rev.commit).ok()?;
        let entry = tree.iter().find(|e| e.path == path && !e.submodule)?;
        let file = self.index.file_by_blob(&entry.id).ok()??;
        let v = file.content.trim();
        (!v.is_empty() && !v.contains(char::is_whitespace)).then(|| v.to_string())
    }
}

/// What `rev` builds with, followed `depth` hops across pinned repositories. With `all`, edges
/// that point nowhere pinned are listed too.
pub fn deps(
    index: &Index,
    sel: &str,
    repos: &Repos,
    depth: usize,
    all: bool,
) -> Result<DepsReport> {
    let root = index.resolve(sel)?;
    let mut queue = vec![(root, 0usize)];
    let mut seen: HashSet<(String, String)> = HashSet::new();
    seen.insert((root.repo.clone(), root.rev.clone()));
    let mut out = Vec::new();
    while let Some((rev, d)) = queue.first().cloned() {
        queue.remove(0);
        let edges: Vec<EdgeAt> = edges_at(index, rev, repos)?
            .into_iter()
            .filter(|e| all || e.repo().is_some())
            .collect();
        if d < depth {
            for e in &edges {
                if let Some((repo, r)) = e.pinned()
                    && seen.insert((repo.to_string(), r.to_string()))
                    && let Some(next) = index.catalog().find(repo, r)
                {
                    queue.push((next, d + 1));
                }
            }
        }
        out.push(RevDeps {
            selector: format!("{}@{}", rev.repo, rev.rev),
            commit: rev.commit.clone(),
            depth: d,
            edges,
        });
    }
    Ok(DepsReport { revs: out })
}

/// What `affected` looks for in a component revision.
#[derive(Debug, Clone)]
pub enum Target {
    /// Findings of these rules.
    Rules(Vec<String>),
    /// Lines a search matches.
    Search(Query),
}

/// Whether a component revision carries the target.
#[derive(Debug, Clone)]
pub enum Carries {
    /// It does: the places.
    Present(Vec<Citation>),
    /// It does not.
    Absent,
    /// The edge names a version no pin has: the nearest pinned tags.
    NotPinned {
        /// The newest pinned tag below.
        below: Option<String>,
        /// The oldest pinned tag above.
        above: Option<String>,
    },
    /// The version cannot be resolved from the pins: why.
    Unknown(String),
}

/// One consumer release, one edge to a component that can carry the target, and the answer.
#[derive(Debug, Clone)]
pub struct AffectedRow {
    /// `repo@rev` of the consumer.
    pub consumer: String,
    /// Its commit.
    pub commit: String,
    /// The edge, cited.
    pub edge: EdgeAt,
    /// The component revision it resolves to (`repo@rev`).
    pub component: Option<String>,
    /// Whether that revision carries the target.
    pub carries: Carries,
}

/// What `archeo affected` found.
#[derive(Debug, Clone)]
pub struct AffectedReport {
    /// What was looked for, as asked.
    pub target: String,
    /// The repositories holding the target in some pinned revision.
    pub components: Vec<String>,
    /// One row per consumer release and edge, consumers in manifest order, releases in
    /// version order.
    pub rows: Vec<AffectedRow>,
}

/// For every release of the consumers (every pinned repository when none are named) and each of
/// its edges to a repository holding the target, whether the component version it ships
/// carries the target.
pub fn affected(
    index: &Index,
    repos: &Repos,
    target: &Target,
    asked: &str,
    consumers: &[String],
) -> Result<AffectedReport> {
    let mut carriers = CarrierCache::new(index, target);
    let components = carriers.components()?;
    if components.is_empty() {
        bail!("no pinned revision holds {asked}: nothing can be affected");
    }
    let consumer_repos: Vec<String> = if consumers.is_empty() {
        repos.repos.iter().map(|r| r.name.clone()).collect()
    } else {
        consumers.to_vec()
    };
    let mut rows = Vec::new();
    for repo in &consumer_repos {
        for rev in index.select(&[], std::slice::from_ref(repo))? {
            for e in edges_at(index, rev, repos)? {
                let Some(component) = e
                    .repo()
                    .filter(|r| *r != repo && components.iter().any(|c| c == r))
                else {
                    continue;
                };
                let (component_rev, carries) = match &e.link {
                    Link::Repo {
                        resolution: Resolution::Pinned { rev: crev, .. },
                        ..
                    } => {
                        let sel = format!("{component}@{crev}");
                        let c = carriers.at(&sel)?;
                        (Some(sel), c)
                    }
                    Link::Repo {
                        resolution: Resolution::NotPinned { below, above },
                        ..
                    } => (
                        None,
                        Carries::NotPinned {
                            below: below.clone(),
                            above: above.clone(),
                        },
                    ),
                    Link::Repo { resolution, .. } => {
                        (None, Carries::Unknown(unresolved(resolution)))
                    }
                    _ => continue,
                };
                rows.push(AffectedRow {
                    consumer: format!("{}@{}", rev.repo, rev.rev),
                    commit: rev.commit.clone(),
                    edge: e,
                    component: component_rev,
                    carries,
                });
            }
        }
    }
    order_rows(index, &mut rows);
    Ok(AffectedReport {
        target: asked.to_string(),
        components,
        rows,
    })
}

/// Consumers in manifest order, their releases in version order, then by place.
fn order_rows(index: &Index, rows: &mut [AffectedRow]) {
    let position: HashMap<(String, String), (usize, usize)> = {
        let mut m = HashMap::new();
        let mut repo_order: Vec<&str> = Vec::new();
        for r in index.revisions() {
            if !repo_order.contains(&r.repo.as_str()) {
                repo_order.push(&r.repo);
            }
        }
        for (ri, repo) in repo_order.iter().enumerate() {
            for (k, r) in index.ordered(repo).iter().enumerate() {
                m.insert((r.repo.clone(), r.rev.clone()), (ri, k));
            }
        }
        m
    };
    rows.sort_by_key(|r| {
        let (repo, rev) = r.consumer.split_once('@').unwrap_or((&r.consumer, ""));
        (
            position.get(&(repo.to_string(), rev.to_string())).copied(),
            r.edge.cite.path.clone(),
            r.edge.cite.start,
        )
    });
}

fn unresolved(r: &Resolution) -> String {
    match r {
        Resolution::InFile { repo, path } => {
            format!("the version is {repo}'s {path} at the revision being built")
        }
        Resolution::Ambiguous { revs } => format!("ambiguous: {}", revs.join(", ")),
        Resolution::Unresolved { reason } => reason.clone(),
        Resolution::Pinned { rev, .. } => rev.clone(),
        Resolution::NotPinned { .. } => "not pinned".into(),
    }
}

/// Which revisions carry the target, computed once per revision.
struct CarrierCache<'a> {
    index: &'a Index,
    target: &'a Target,
    at: HashMap<String, Vec<Citation>>,
}

impl<'a> CarrierCache<'a> {
    fn new(index: &'a Index, target: &'a Target) -> CarrierCache<'a> {
        CarrierCache {
            index,
            target,
            at: HashMap::new(),
        }
    }

    /// The target's places in the revisions `scope` selects.
    fn places(&self, scope: Scope) -> Result<Vec<Citation>> {
        Ok(match self.target {
            Target::Rules(rules) => findings::query(
                self.index,
                &Selection {
                    rules: rules.clone(),
                    scope,
                },
            )?
            .into_iter()
            .map(|f| f.cite)
            .collect(),
            Target::Search(q) => search::search(self.index, q, &scope, 0, None)?
                .complete()?
                .hits
                .into_iter()
                .map(|h| h.cite)
                .collect(),
        })
    }

    /// The repositories holding the target in any pinned revision.
    fn components(&mut self) -> Result<Vec<String>> {
        let mut repos: Vec<String> = self
            .places(Scope::default())?
            .into_iter()
            .map(|c| c.repo)
            .collect();
        repos.sort();
        repos.dedup();
        Ok(repos)
    }

    fn at(&mut self, sel: &str) -> Result<Carries> {
        if !self.at.contains_key(sel) {
            let scope = Scope {
                at: vec![sel.to_string()],
                ..Default::default()
            };
            let found = self.places(scope)?;
            self.at.insert(sel.to_string(), found);
        }
        let found = &self.at[sel];
        Ok(if found.is_empty() {
            Carries::Absent
        } else {
            Carries::Present(found.clone())
        })
    }
}
