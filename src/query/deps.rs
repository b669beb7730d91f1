//! `archeo deps` and `archeo affected`: the dependency edges a pinned revision's files declare
//! (stored per file version at index time, see [`crate::deps`]), each cited and linked to a
//! pinned repository where one matches; followed transitively across pinned repositories; and,
//! for a finding, which consumer releases ship a component version that carries it.

use std::collections::{BTreeMap, HashMap, HashSet};

use anyhow::{Result, bail};

use crate::deps::{DepEdge, EdgeKind, Link, Origin, Repos, Resolution, Via};
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
    /// Where it stands in `deps`: what leads, what follows, what only `--all` shows.
    pub class: EdgeClass,
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

/// What an edge is to the release it is read in, in the order `deps` lists them: the first two
/// are listed by default, the others with `--all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeClass {
    /// Another pinned repository, at one of its pinned revisions: what the release builds with.
    Pinned,
    /// Another pinned repository at a version no pin has (the nearest pinned tags say where it
    /// falls), read from another file at build time, ambiguous, or not placeable (and why).
    Unpinned,
    /// The repository the edge is read in: a nested module's go.mod requiring the root module
    /// (replaced by the code beside it), or a nested module of the same repository.
    Own,
    /// A Go module line naming a nested module of another pinned repository
    /// (`github.com/containerd/containerd/api v1.9.0`), whose own version series (`api/v1.9.0`)
    /// no pin follows: it names a module, not a release of the repository.
    NestedModule,
    /// Nothing pinned: base images, packages, every other module.
    External,
}

impl EdgeClass {
    /// Every class, in listing order.
    pub const ALL: [EdgeClass; 5] = [
        EdgeClass::Pinned,
        EdgeClass::Unpinned,
        EdgeClass::Own,
        EdgeClass::NestedModule,
        EdgeClass::External,
    ];

    /// The class's name in JSON (kebab-case).
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeClass::Pinned => "pinned",
            EdgeClass::Unpinned => "unpinned",
            EdgeClass::Own => "own",
            EdgeClass::NestedModule => "nested-module",
            EdgeClass::External => "external",
        }
    }

    /// Listed without `--all`.
    pub fn leads(self) -> bool {
        matches!(self, EdgeClass::Pinned | EdgeClass::Unpinned)
    }

    /// The class of an edge read in repository `own` that links to `link`.
    pub fn of(link: &Link, own: &str) -> EdgeClass {
        match link {
            Link::External => EdgeClass::External,
            Link::Ambiguous { .. } => EdgeClass::Unpinned,
            Link::Repo { repo, .. } if repo == own => EdgeClass::Own,
            Link::Repo {
                resolution: Resolution::Pinned { .. },
                ..
            } => EdgeClass::Pinned,
            Link::Repo {
                via: Via::Module { subdir, .. },
                ..
            } if !subdir.is_empty() => EdgeClass::NestedModule,
            Link::Repo { .. } => EdgeClass::Unpinned,
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
    /// Its edges, by class (pinned first), then by place; without `--all`, only the classes
    /// that lead.
    pub edges: Vec<EdgeAt>,
    /// How many edges of each class were left out (none with `--all`).
    pub left_out: Vec<(EdgeClass, usize)>,
}

/// What `archeo deps` found.
#[derive(Debug, Clone)]
pub struct DepsReport {
    /// The revision asked about, then the pinned revisions it builds with, breadth first.
    pub revs: Vec<RevDeps>,
}

/// Every file version's stored dependency edges, read once and reused for every revision.
pub struct EdgeReader<'a> {
    index: &'a Index,
    stored: HashMap<String, crate::index::store::StoredDeps>,
}

impl<'a> EdgeReader<'a> {
    /// Reads the stored edges of the index.
    pub fn new(index: &'a Index) -> Result<EdgeReader<'a>> {
        Ok(EdgeReader {
            index,
            stored: index
                .deps()?
                .into_iter()
                .map(|d| (d.blob.clone(), d))
                .collect(),
        })
    }

    /// Every edge of `rev`'s files, cited and linked (duplicates of a defining line merged).
    pub fn at(&self, rev: &IndexedRev, repos: &Repos) -> Result<Vec<EdgeAt>> {
        let index = self.index;
        let holder = index.resolve(&format!("{}@{}", rev.repo, rev.rev))?;
        let places = index.places(&[holder], |id| self.stored.contains_key(id), |_| true)?;
        let version_files = VersionFiles {
            index,
            rev: holder,
            tree: std::cell::OnceCell::new(),
        };
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
                let stored = &self.stored[blob.as_str()];
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
                    let link = crate::deps::link(&edge, &rev.repo, repos);
                    out.push(EdgeAt {
                        cite: index.cite(blob, place, edge.line, edge.line),
                        class: EdgeClass::of(&link, &rev.repo),
                        link,
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
}

/// Every edge of `rev`'s files, cited and linked (duplicates of a defining line merged).
pub fn edges_at(index: &Index, rev: &IndexedRev, repos: &Repos) -> Result<Vec<EdgeAt>> {
    EdgeReader::new(index)?.at(rev, repos)
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
    /// Path -> blob of the revision's files, read on first use.
    tree: std::cell::OnceCell<HashMap<String, String>>,
}

impl VersionFiles<'_> {
    fn content(&self, path: &str) -> Option<String> {
        let tree = self.tree.get_or_init(|| {
            self.index
                .tree(&self.rev.commit)
                .map(|t| {
                    t.into_iter()
                        .filter(|e| !e.submodule)
                        .map(|e| (e.path, e.id))
                        .collect()
                })
                .unwrap_or_default()
        });
        let id = tree.get(path)?;
        let file = self.index.file_by_blob(id).ok()??;
        let v = file.content.trim();
        (!v.is_empty() && !v.contains(char::is_whitespace)).then(|| v.to_string())
    }
}

/// What `rev` builds with, followed `depth` hops across pinned repositories. Edges to other
/// pinned repositories lead (those at a pinned revision first); with `all`, the release's own
/// modules, nested modules no pin follows and edges that point nowhere pinned follow them, and
/// without it they are only counted.
pub fn deps(
    index: &Index,
    sel: &str,
    repos: &Repos,
    depth: usize,
    all: bool,
) -> Result<DepsReport> {
    let root = index.resolve(sel)?;
    let reader = EdgeReader::new(index)?;
    let mut queue = std::collections::VecDeque::from([(root, 0usize)]);
    let mut seen: HashSet<(String, String)> = HashSet::new();
    seen.insert((root.repo.clone(), root.rev.clone()));
    let mut out = Vec::new();
    while let Some((rev, d)) = queue.pop_front() {
        let mut edges = reader.at(rev, repos)?;
        // Stable: by class, then the place order edges come in.
        edges.sort_by_key(|e| e.class);
        let mut left_out: BTreeMap<EdgeClass, usize> = BTreeMap::new();
        edges.retain(|e| {
            let keep = all || e.class.leads();
            if !keep {
                *left_out.entry(e.class).or_default() += 1;
            }
            keep
        });
        if d < depth {
            for e in edges.iter().filter(|e| e.class == EdgeClass::Pinned) {
                if let Some((repo, r)) = e.pinned()
                    && seen.insert((repo.to_string(), r.to_string()))
                    && let Some(next) = index.find(repo, r)
                {
                    queue.push_back((next, d + 1));
                }
            }
        }
        out.push(RevDeps {
            selector: format!("{}@{}", rev.repo, rev.rev),
            commit: rev.commit.clone(),
            depth: d,
            edges,
            left_out: left_out.into_iter().collect(),
        });
    }
    Ok(DepsReport { revs: out })
}

/// One version of the component that a consumer release names, with every line naming it.
#[derive(Debug, Clone)]
pub struct NamedVersion {
    /// The version as the release's files write it (`""` when read from another file).
    pub version: String,
    /// The nested module it names, for a module line of a nested module (listed with `--all`).
    pub module: Option<String>,
    /// What it is among the component's pins; a line naming several pinned repositories is
    /// `Unresolved`, saying which.
    pub resolution: Resolution,
    /// The lines naming it, cited, in place order.
    pub edges: Vec<EdgeAt>,
}

impl NamedVersion {
    /// The same version, module and resolution (the lines naming it may differ).
    pub fn same_as(&self, other: &NamedVersion) -> bool {
        self.version == other.version
            && self.module == other.module
            && self.resolution == other.resolution
    }
}

/// What one consumer release names of the component.
#[derive(Debug, Clone)]
pub struct ConsumerRelease {
    /// The consumer repository.
    pub repo: String,
    /// `repo@rev`.
    pub selector: String,
    /// Its commit.
    pub commit: String,
    /// The versions it names, pinned ones first, then in the order of their first line (none:
    /// it names the component nowhere).
    pub versions: Vec<NamedVersion>,
    /// Whether it names other versions than the release before it (in version order) of the
    /// same consumer; false for the first.
    pub changed: bool,
}

/// What `archeo deps --find` found: per consumer release, oldest first, the versions of one
/// pinned repository it names.
#[derive(Debug, Clone)]
pub struct FindReport {
    /// The pinned repository looked for.
    pub component: String,
    /// How it was asked (a repository name or a `provides` alias).
    pub asked: String,
    /// Every release of the consumers: consumers in manifest order, releases in version order.
    pub releases: Vec<ConsumerRelease>,
}

/// The pinned repository `name` is: its manifest name, or a `provides` alias.
fn component_named<'r>(repos: &'r Repos, name: &str) -> Result<&'r str> {
    if let Some(r) = repos.get(name) {
        return Ok(&r.name);
    }
    let by_alias: Vec<&str> = repos
        .repos
        .iter()
        .filter(|r| r.provides.iter().any(|p| p.name == name))
        .map(|r| r.name.as_str())
        .collect();
    match by_alias.as_slice() {
        [one] => Ok(one),
        [] => {
            let names: Vec<&str> = repos.repos.iter().map(|r| r.name.as_str()).collect();
            let close: Vec<&str> = names
                .iter()
                .copied()
                .filter(|n| strsim::jaro_winkler(&n.to_lowercase(), &name.to_lowercase()) > 0.8)
                .collect();
            let hint = if close.is_empty() {
                String::new()
            } else {
                format!("did you mean {}? ", close.join(", "))
            };
            bail!(
                "--find {name:?} names no pinned repository and no `provides` alias; {hint}pinned: {}",
                names.join(", ")
            )
        }
        many => bail!(
            "--find {name:?} is a `provides` alias of several repositories ({}): name one",
            many.join(", ")
        ),
    }
}

/// For every release of the consumers (every other pinned repository when none are named),
/// in version order, the versions of `name` (a pinned repository or a `provides` alias) it
/// names, each with the lines naming it. Consumers named nowhere in any release are left out
/// unless asked for. With `all`, module lines of the component's nested modules count too.
pub fn find(
    index: &Index,
    repos: &Repos,
    name: &str,
    consumers: &[String],
    all: bool,
) -> Result<FindReport> {
    let component = component_named(repos, name)?.to_string();
    if consumers.contains(&component) {
        bail!(
            "--repo {component} with --find {name}: a repository's lines naming itself are `archeo deps {component}@REV --all`"
        );
    }
    for c in consumers {
        if index.revisions().iter().all(|r| &r.repo != c) {
            bail!("unknown repository {c:?}: see `archeo pins`");
        }
    }
    let asked_for = !consumers.is_empty();
    let consumer_repos: Vec<String> = if asked_for {
        consumers.to_vec()
    } else {
        repos
            .repos
            .iter()
            .map(|r| r.name.clone())
            .filter(|r| *r != component)
            .collect()
    };
    let reader = EdgeReader::new(index)?;
    let mut releases = Vec::new();
    for repo in &consumer_repos {
        let mut of_repo: Vec<ConsumerRelease> = Vec::new();
        for rev in index.ordered(repo) {
            let mut versions: Vec<NamedVersion> = Vec::new();
            for e in reader.at(rev, repos)? {
                if e.class == EdgeClass::NestedModule && !all {
                    continue;
                }
                let resolution = match &e.link {
                    Link::Repo {
                        repo, resolution, ..
                    } if *repo == component => resolution.clone(),
                    Link::Ambiguous { candidates }
                        if candidates.iter().any(|c| c.repo == component) =>
                    {
                        Resolution::Unresolved {
                            reason: format!(
                                "the line names several pinned repositories: {}",
                                candidates
                                    .iter()
                                    .map(|c| c.repo.as_str())
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ),
                        }
                    }
                    _ => continue,
                };
                let named = NamedVersion {
                    version: e.edge.version.clone(),
                    module: (e.class == EdgeClass::NestedModule).then(|| e.edge.name.clone()),
                    resolution,
                    edges: Vec::new(),
                };
                let i = match versions.iter().position(|v| v.same_as(&named)) {
                    Some(i) => i,
                    None => {
                        versions.push(named);
                        versions.len() - 1
                    }
                };
                versions[i].edges.push(e);
            }
            // Pinned versions first, as `deps` lists edges; then in place order.
            versions.sort_by_key(|v| !matches!(v.resolution, Resolution::Pinned { .. }));
            let changed = of_repo.last().is_some_and(|prev| {
                prev.versions.len() != versions.len()
                    || !versions
                        .iter()
                        .all(|v| prev.versions.iter().any(|p| p.same_as(v)))
            });
            of_repo.push(ConsumerRelease {
                repo: rev.repo.clone(),
                selector: format!("{}@{}", rev.repo, rev.rev),
                commit: rev.commit.clone(),
                versions,
                changed,
            });
        }
        if asked_for || of_repo.iter().any(|r| !r.versions.is_empty()) {
            releases.extend(of_repo);
        }
    }
    Ok(FindReport {
        component,
        asked: name.to_string(),
        releases,
    })
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
    /// version order (with `--first`, only the first carrying release's and the one before).
    pub rows: Vec<AffectedRow>,
    /// With `--first`: per consumer with an edge to a component, its first carrying release.
    pub first: Option<Vec<FirstCarrier>>,
}

/// The first pinned release of a consumer, in version order, that ships a component version
/// carrying the target.
#[derive(Debug, Clone)]
pub struct FirstCarrier {
    /// The consumer repository.
    pub consumer: String,
    /// Its first release that carries it (`repo@rev`), if any does.
    pub first: Option<String>,
    /// The release before it in version order (`repo@rev`), if any.
    pub before: Option<String>,
    /// Releases after the first that do not carry it (every row absent): a later release
    /// line, or a revert.
    pub later_without: Vec<String>,
    /// Releases where it cannot be told (no row present, some unknown: a version no pin has,
    /// or one that cannot be placed); one before the first may be the real first.
    pub unknown: Vec<String>,
    /// How many releases of the consumer have rows.
    pub releases: usize,
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
    first: bool,
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
    let reader = EdgeReader::new(index)?;
    let mut rows = Vec::new();
    for repo in &consumer_repos {
        for rev in index.select(&[], std::slice::from_ref(repo))? {
            for e in reader.at(rev, repos)? {
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
    let first = first.then(|| first_carriers(index, &consumer_repos, &mut rows));
    Ok(AffectedReport {
        target: asked.to_string(),
        components,
        rows,
        first,
    })
}

/// Per consumer with rows, its first release (in version order) with a row that carries the
/// target; `rows` keep only that release's and the release's before it.
fn first_carriers(
    index: &Index,
    consumers: &[String],
    rows: &mut Vec<AffectedRow>,
) -> Vec<FirstCarrier> {
    let mut out = Vec::new();
    let mut keep: HashSet<String> = HashSet::new();
    for repo in consumers {
        let releases: Vec<String> = index
            .ordered(repo)
            .iter()
            .map(|r| format!("{}@{}", r.repo, r.rev))
            .filter(|sel| rows.iter().any(|row| row.consumer == *sel))
            .collect();
        if releases.is_empty() {
            continue;
        }
        let any = |sel: &str, f: fn(&Carries) -> bool| {
            rows.iter()
                .any(|row| row.consumer == sel && f(&row.carries))
        };
        let carries = |sel: &str| any(sel, |c| matches!(c, Carries::Present(_)));
        let unknown = |sel: &str| {
            !carries(sel) && any(sel, |c| !matches!(c, Carries::Present(_) | Carries::Absent))
        };
        let at = releases.iter().position(|sel| carries(sel));
        let before = at
            .and_then(|i| i.checked_sub(1))
            .map(|i| releases[i].clone());
        let later_without = at
            .map(|i| {
                releases[i + 1..]
                    .iter()
                    .filter(|sel| !carries(sel) && !unknown(sel))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        let unknown: Vec<String> = releases
            .iter()
            .filter(|sel| unknown(sel))
            .cloned()
            .collect();
        if let Some(i) = at {
            keep.insert(releases[i].clone());
        }
        keep.extend(before.clone());
        out.push(FirstCarrier {
            consumer: repo.clone(),
            first: at.map(|i| releases[i].clone()),
            before,
            later_without,
            unknown,
            releases: releases.len(),
        });
    }
    rows.retain(|row| keep.contains(&row.consumer));
    out
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
