//! The reference graph of one revision: built from its files' parse facts ([`Parsed`]: decls,
//! refs, types, sources) and its Go module paths, it answers definitions, callers (to any
//! depth), callees and shortest call paths, each hop cited by path, line and column, and each
//! edge marked for what it rests on ([`Certainty`]). Pure: no git, no index, no output; the
//! index feeds it, printers show it.
//!
//! Go packages are directories; a call resolves through the file's imports (the package whose
//! import path is the module path plus its directory, or for `vendor/` the path below it), its
//! own package, the receiver's type when the parse stage knew it (struct fields and embedded
//! types walked, interfaces dispatched to every type with the methods), else by method name.
//! Shell calls resolve to functions of the same file or the files it sources, else by name
//! across the revision's scripts.

mod build;
mod name;

use std::collections::VecDeque;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::sync::Arc;

use serde::{Serialize, Serializer};

use crate::lang::{DeclKind, Lang, Parsed, RefKind};

pub use name::{Name, NameError};

/// Index of a node in [`Graph::nodes`].
pub type NodeId = usize;

/// Shared text: a file's path, a package's name and import path repeat across thousands of
/// nodes and edges (runc's tree has some 110 000 declarations).
pub type Text = Arc<str>;

fn ser_text<S: Serializer>(t: &Text, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t)
}

fn ser_opt_text<S: Serializer>(t: &Option<Text>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_some(&**t),
        None => s.serialize_none(),
    }
}

/// A Go module of the revision: `go.mod`'s directory (`""` at the root) and module path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GoModule<'a> {
    /// The module's directory in the revision (`` for the root).
    pub dir: &'a str,
    /// Its module path (from go.mod).
    pub path: &'a str,
}

/// The module path a `go.mod` declares (`module github.com/opencontainers/runc`).
pub fn go_module_path(go_mod: &str) -> Option<String> {
    go_mod.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("module")?;
        if !rest.starts_with(char::is_whitespace) {
            return None;
        }
        let m = rest.split("//").next()?.trim().trim_matches('"');
        (!m.is_empty()).then(|| m.to_string())
    })
}

/// What a graph node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    /// A function.
    Func,
    /// A method.
    Method,
    /// A variable.
    Var,
    /// A constant.
    Const,
    /// A type.
    Type,
    /// A macro (C `#define` with a body, Rust `macro_rules!`).
    Macro,
    /// A shell script's top-level code: the caller of what it runs outside functions.
    Script,
    /// A Go function of a package outside the revision (`fmt.Errorf`), or a command no script of
    /// the revision defines (`docker`).
    External,
}

impl From<DeclKind> for NodeKind {
    fn from(k: DeclKind) -> NodeKind {
        match k {
            DeclKind::Func => NodeKind::Func,
            DeclKind::Method => NodeKind::Method,
            DeclKind::Var => NodeKind::Var,
            DeclKind::Const => NodeKind::Const,
            DeclKind::Type => NodeKind::Type,
            DeclKind::Macro => NodeKind::Macro,
        }
    }
}

/// A declaration (or script, or external function) of the revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    /// What it is.
    pub kind: NodeKind,
    /// Its language.
    pub lang: Lang,
    /// The file holding it; empty for [`NodeKind::External`].
    #[serde(serialize_with = "ser_text")]
    pub path: Text,
    /// Go: the package directory (`internal/sys`); empty at the root and for externals.
    #[serde(serialize_with = "ser_text")]
    pub dir: Text,
    /// As declared: `WriteSysctls`, `(*linuxStandardInit).Init`, `_cai_info`; a script's path.
    #[serde(serialize_with = "ser_text")]
    pub name: Text,
    /// The bare name: `Init`.
    #[serde(serialize_with = "ser_text")]
    pub ident: Text,
    /// Go: the package name (`sys`); for an external, the name its import path suggests.
    #[serde(
        serialize_with = "ser_opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub package: Option<Text>,
    /// Go: the package's import path.
    #[serde(
        serialize_with = "ser_opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub import_path: Option<Text>,
    /// Go methods: the receiver type, pointer and type arguments dropped.
    #[serde(
        serialize_with = "ser_opt_text",
        skip_serializing_if = "Option::is_none"
    )]
    pub receiver: Option<Text>,
    /// Line range, 1-based inclusive; 0 for externals.
    pub start: u32,
    /// Its last line.
    pub end: u32,
}

impl Node {
    /// How a reader names it: `sys.WriteSysctls`, `libcontainer.(*linuxStandardInit).Init`,
    /// `_cai_info`, `fmt.Errorf`, `docker`, or a script's path.
    pub fn display(&self) -> String {
        match (&self.package, self.lang) {
            (Some(p), Lang::Go) => format!("{p}.{}", self.name),
            (Some(p), Lang::Rust) => format!("{p}::{}", self.name),
            _ => self.name.to_string(),
        }
    }
}

/// How a reader names each of `nodes` when several are read together (a route): as
/// [`Node::display`], except that nodes of different package directories sharing one display
/// (`procfs.(*Handle).OpenRoot` of `pathrs-lite/procfs` and of `pathrs-lite/internal/procfs`)
/// are named by as many trailing components of their directory as tell them apart
/// (`internal/procfs.(*Handle).OpenRoot`). Nodes of one directory (build-tag alternates) keep
/// one name: a reader sees one function.
pub fn reader_names(nodes: &[&Node]) -> Vec<String> {
    let mut out: Vec<String> = nodes.iter().map(|n| n.display()).collect();
    let mut groups: HashMap<String, Vec<usize>> = HashMap::default();
    for (i, name) in out.iter().enumerate() {
        groups.entry(name.clone()).or_default().push(i);
    }
    for members in groups.values() {
        let dirs: Vec<Vec<&str>> = members
            .iter()
            .map(|&i| nodes[i].dir.split('/').filter(|c| !c.is_empty()).collect())
            .collect();
        let mut distinct: Vec<&Vec<&str>> = dirs.iter().collect();
        distinct.sort();
        distinct.dedup();
        if distinct.len() < 2 {
            continue;
        }
        let longest = dirs.iter().map(Vec::len).max().unwrap_or(0);
        let tail = |d: &Vec<&str>, k: usize| d[d.len().saturating_sub(k)..].join("/");
        // The fewest trailing components that give each directory its own name.
        let k = (1..=longest)
            .find(|&k| {
                let mut tails: Vec<String> = distinct.iter().map(|d| tail(d, k)).collect();
                tails.sort();
                tails.dedup();
                tails.len() == distinct.len()
            })
            .unwrap_or(longest);
        for (&i, d) in members.iter().zip(&dirs) {
            let n = nodes[i];
            let sep = if n.lang == Lang::Rust { "::" } else { "." };
            let t = tail(d, k.max(1));
            out[i] = if t.is_empty() {
                n.display()
            } else {
                format!("{t}{sep}{}", n.name)
            };
        }
    }
    out
}

/// What an edge rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Certainty {
    /// The target is the one the language would call: an import's function, the same
    /// package's, a method of the receiver's known type, a shell function of the same file or a
    /// file it sources.
    #[serde(rename = "exact")]
    Exact,
    /// A call on an interface: the target is one of the types that have its methods.
    #[serde(rename = "dispatch")]
    Dispatch,
    /// Only the name matched: a method on a receiver of unknown type, a shell function defined
    /// in a file the caller does not source.
    #[serde(rename = "by-name")]
    ByName,
}

impl Certainty {
    /// `exact`, `dispatch`, `by-name`: as JSON spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Certainty::Exact => "exact",
            Certainty::Dispatch => "dispatch",
            Certainty::ByName => "by-name",
        }
    }
}

/// Where a reference stands: a citation's place.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Site {
    /// The file.
    #[serde(serialize_with = "ser_text")]
    pub path: Text,
    /// The line.
    pub line: u32,
    /// 1-based byte column of the referenced name.
    pub col: u32,
}

/// One reference from a node to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// The caller.
    pub from: NodeId,
    /// The callee.
    pub to: NodeId,
    /// The call site.
    pub site: Site,
    /// A call or a function value.
    pub kind: RefKind,
    /// What the edge rests on.
    pub certainty: Certainty,
    /// The callee as written at the site: `sys.WriteSysctls`, `i.Init`.
    pub written: String,
}

/// An edge with its ends, as queries return it; `depth` is 1 for a direct caller (or the
/// first hop of a path), 2 for a caller's caller, and so on.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Link<'g> {
    /// Hops from the asked-about name.
    pub depth: u32,
    /// The calling side.
    pub from: &'g Node,
    /// The called side.
    pub to: &'g Node,
    /// The edge.
    pub edge: &'g Edge,
}

/// The reference graph of one revision.
#[derive(Debug, Default)]
pub struct Graph {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    outgoing: Vec<Vec<usize>>,
    incoming: Vec<Vec<usize>>,
    by_ident: HashMap<Text, Vec<NodeId>>,
}

impl Graph {
    /// Builds the graph of one revision from its files (path, parse facts) and Go modules,
    /// each file's language told by its path (a path no language with references claims, such
    /// as a script found by its shebang, is read as shell).
    pub fn build(files: &[(&str, &Parsed)], modules: &[GoModule]) -> Graph {
        let with: Vec<(&str, Lang, &Parsed)> = files
            .iter()
            .map(|(p, f)| (*p, Lang::detect(p), *f))
            .collect();
        Graph::build_with_langs(&with, modules)
    }

    /// Builds the graph of one revision from its files (path, language, parse facts) and Go
    /// modules; each language's references resolve as its [`crate::lang::Refs`] says.
    pub fn build_with_langs(files: &[(&str, Lang, &Parsed)], modules: &[GoModule]) -> Graph {
        build::Builder::new(files, modules).finish()
    }

    /// Every node; a [`NodeId`] indexes this.
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Every edge, in the order the references were resolved (file by file).
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// The node with this id.
    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id]
    }

    /// Edge `e` as a link at `depth`.
    pub fn link(&self, e: usize, depth: u32) -> Link<'_> {
        let edge = &self.edges[e];
        Link {
            depth,
            from: &self.nodes[edge.from],
            to: &self.nodes[edge.to],
            edge,
        }
    }

    /// Every node the name matches, externals included.
    pub fn lookup(&self, name: &Name) -> Vec<NodeId> {
        let mut out: Vec<NodeId> = [name.ident(), name.as_str()]
            .iter()
            .flat_map(|k| self.by_ident.get(*k).into_iter().flatten())
            .copied()
            .filter(|&id| name.matches(&self.nodes[id]))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The declaration named `name` as declared (`WriteSysctls`, `(*Handle).OpenRoot`,
    /// `errUnsafeProcfs`) in the file at `path` whose lines hold `line`.
    pub fn node_at(&self, path: &str, name: &str, line: u32) -> Option<NodeId> {
        let ident = name.rsplit('.').next().unwrap_or(name);
        self.by_ident.get(ident)?.iter().copied().find(|&id| {
            let n = &self.nodes[id];
            &*n.path == path && &*n.name == name && n.start <= line && line <= n.end.max(n.start)
        })
    }

    /// The references to a node (calls and uses as a value), one level.
    pub fn references_to(&self, id: NodeId) -> Vec<Link<'_>> {
        let mut out: Vec<Link> = self.incoming[id].iter().map(|&e| self.link(e, 1)).collect();
        sort_links(&mut out);
        out
    }

    /// Where the name is declared (functions, methods, types, variables; not externals).
    pub fn defs(&self, name: &Name) -> Vec<&Node> {
        let mut out: Vec<&Node> = self
            .lookup(name)
            .into_iter()
            .map(|id| &self.nodes[id])
            .filter(|n| !matches!(n.kind, NodeKind::External | NodeKind::Script))
            .collect();
        out.sort_by(|a, b| (&a.path, a.start).cmp(&(&b.path, b.start)));
        out
    }

    /// The references to the name (calls and uses as a value), then to their callers, up to
    /// `depth` levels (1 = direct callers). Each caller is walked once.
    pub fn callers(&self, name: &Name, depth: u32) -> Vec<Link<'_>> {
        self.walk_in(name, depth, false)
    }

    /// The call sites of the name (calls only, not uses as a value), then their callers' call
    /// sites, up to `depth` levels. Each caller is walked once.
    pub fn call_sites(&self, name: &Name, depth: u32) -> Vec<Link<'_>> {
        self.walk_in(name, depth, true)
    }

    fn walk_in(&self, name: &Name, depth: u32, calls_only: bool) -> Vec<Link<'_>> {
        let start = self.lookup(name);
        let mut seen: HashSet<NodeId> = start.iter().copied().collect();
        let mut frontier = start;
        let mut out = Vec::new();
        for d in 1..=depth {
            let mut next = Vec::new();
            for &n in &frontier {
                for &e in &self.incoming[n] {
                    if calls_only && self.edges[e].kind != RefKind::Call {
                        continue;
                    }
                    out.push(self.link(e, d));
                    let from = self.edges[e].from;
                    if seen.insert(from) {
                        next.push(from);
                    }
                }
            }
            if next.is_empty() {
                break;
            }
            frontier = next;
        }
        sort_links(&mut out);
        out
    }

    /// What the name's definitions call or reference, one level down.
    pub fn callees(&self, name: &Name) -> Vec<Link<'_>> {
        let mut out: Vec<Link> = self
            .lookup(name)
            .into_iter()
            .flat_map(|n| self.outgoing[n].iter().map(|&e| self.link(e, 1)))
            .collect();
        sort_links(&mut out);
        out
    }

    /// The shortest call paths from any definition of `from` to any of `to`, at most `max` of
    /// them, each a list of hops (calls or uses as a value). Paths resting on exact edges only
    /// are preferred; when there are none, interface dispatch is allowed, then by-name edges.
    /// Among paths of one length, those with fewer non-exact hops come first.
    pub fn paths(&self, from: &Name, to: &Name, max: usize) -> Vec<Vec<Link<'_>>> {
        self.paths_between(&self.lookup(from), &self.lookup(to), max)
    }

    /// [`Graph::paths`] between nodes: from any of `sources` to any of `targets`.
    pub fn paths_between(
        &self,
        sources: &[NodeId],
        targets: &[NodeId],
        max: usize,
    ) -> Vec<Vec<Link<'_>>> {
        let targets: HashSet<NodeId> = targets.iter().copied().collect();
        if sources.is_empty() || targets.is_empty() || max == 0 {
            return Vec::new();
        }
        for allowed in [Certainty::Exact, Certainty::Dispatch, Certainty::ByName] {
            let found = self.shortest_paths(sources, &targets, allowed, max);
            if !found.is_empty() {
                return found;
            }
        }
        Vec::new()
    }

    /// The shortest path from `source` to each of `targets` (None where there is none; empty
    /// when a target is the source): over exact edges where one exists, else allowing
    /// interface dispatch, else by-name edges, as [`Graph::paths`] prefers. One breadth-first
    /// walk per certainty level serves every target.
    pub fn routes_from(&self, source: NodeId, targets: &[NodeId]) -> Vec<Option<Vec<Link<'_>>>> {
        self.routes_with(source, targets, None, &HashSet::default())
            .into_iter()
            .map(|r| r.map(|p| self.path_links(&p)))
            .collect()
    }

    /// [`Graph::routes_from`] as edge ids, with the first hop taken only among `first` (when
    /// given) and never over an edge of `excluded`.
    pub fn routes_with(
        &self,
        source: NodeId,
        targets: &[NodeId],
        first: Option<&HashSet<usize>>,
        excluded: &HashSet<usize>,
    ) -> Vec<Option<Vec<usize>>> {
        routes_with(&mut Whole(self), source, targets, first, excluded)
            .unwrap_or_else(|never| match never {})
    }

    /// A path of edge ids as links (depth 1 for the first hop).
    pub fn path_links(&self, path: &[usize]) -> Vec<Link<'_>> {
        path.iter()
            .enumerate()
            .map(|(i, &e)| self.link(e, i as u32 + 1))
            .collect()
    }

    /// The edges leaving a node (call sites and uses), as edge ids.
    pub fn outgoing_edges(&self, id: NodeId) -> &[usize] {
        self.outgoing.get(id).map_or(&[], Vec::as_slice)
    }

    fn shortest_paths(
        &self,
        sources: &[NodeId],
        targets: &HashSet<NodeId>,
        allowed: Certainty,
        max: usize,
    ) -> Vec<Vec<Link<'_>>> {
        // Breadth-first from the sources, keeping every edge that reaches a node at its
        // shortest distance, until the first layer holding a target.
        let mut dist: HashMap<NodeId, u32> = sources.iter().map(|&s| (s, 0)).collect();
        let mut preds: HashMap<NodeId, Vec<usize>> = HashMap::default();
        let mut queue: VecDeque<NodeId> = sources.iter().copied().collect();
        let mut reached: Vec<NodeId> = Vec::new();
        let mut limit = u32::MAX;
        while let Some(n) = queue.pop_front() {
            let d = dist[&n];
            if d >= limit {
                break;
            }
            for &e in &self.outgoing[n] {
                let edge = &self.edges[e];
                if edge.certainty > allowed {
                    continue;
                }
                let to = edge.to;
                match dist.get(&to) {
                    Some(&dt) if dt == d + 1 => preds.entry(to).or_default().push(e),
                    Some(_) => {}
                    None => {
                        dist.insert(to, d + 1);
                        preds.entry(to).or_default().push(e);
                        if targets.contains(&to) {
                            reached.push(to);
                            limit = d + 1;
                        } else {
                            queue.push_back(to);
                        }
                    }
                }
            }
        }
        // Walk back from each target over the kept edges; enumerate a bounded number of
        // candidates so ranking has something to choose from without exploding.
        let cap = max.saturating_mul(32).max(64);
        let mut found: Vec<Vec<usize>> = Vec::new();
        reached.sort_unstable();
        for t in reached {
            let mut stack: Vec<(NodeId, Vec<usize>)> = vec![(t, Vec::new())];
            while let Some((n, suffix)) = stack.pop() {
                if found.len() >= cap {
                    break;
                }
                if dist[&n] == 0 {
                    let mut path = suffix;
                    path.reverse();
                    found.push(path);
                    continue;
                }
                for &e in preds.get(&n).into_iter().flatten() {
                    let mut s = suffix.clone();
                    s.push(e);
                    stack.push((self.edges[e].from, s));
                }
            }
        }
        found.sort_by(|a, b| {
            let weak = |p: &Vec<usize>| {
                p.iter()
                    .filter(|&&e| self.edges[e].certainty != Certainty::Exact)
                    .count()
            };
            let sites = |p: &Vec<usize>| p.iter().map(|&e| &self.edges[e].site).collect::<Vec<_>>();
            (a.len(), weak(a))
                .cmp(&(b.len(), weak(b)))
                .then_with(|| sites(a).cmp(&sites(b)))
        });
        found.dedup();
        found.truncate(max);
        found
            .into_iter()
            .map(|p| {
                p.into_iter()
                    .enumerate()
                    .map(|(i, e)| self.link(e, i as u32 + 1))
                    .collect()
            })
            .collect()
    }
}

/// A graph a walk reads: its nodes' outgoing edges, resolved (if need be) before they are read.
trait Walk {
    type Error;
    /// Makes `n`'s outgoing edges complete.
    fn expand(&mut self, n: NodeId) -> Result<(), Self::Error>;
    /// The graph as far as it is resolved.
    fn graph(&self) -> &Graph;
}

/// A whole graph: every edge is there.
struct Whole<'g>(&'g Graph);

impl Walk for Whole<'_> {
    type Error = std::convert::Infallible;
    fn expand(&mut self, _: NodeId) -> Result<(), Self::Error> {
        Ok(())
    }
    fn graph(&self) -> &Graph {
        self.0
    }
}

/// [`Graph::routes_with`] over any [`Walk`].
fn routes_with<W: Walk>(
    w: &mut W,
    source: NodeId,
    targets: &[NodeId],
    first: Option<&HashSet<usize>>,
    excluded: &HashSet<usize>,
) -> Result<Vec<Option<Vec<usize>>>, W::Error> {
    let mut out: Vec<Option<Vec<usize>>> = targets
        .iter()
        .map(|&t| (t == source).then(Vec::new))
        .collect();
    for allowed in [Certainty::Exact, Certainty::Dispatch, Certainty::ByName] {
        let missing: HashSet<NodeId> = targets
            .iter()
            .zip(&out)
            .filter(|(_, o)| o.is_none())
            .map(|(t, _)| *t)
            .collect();
        if missing.is_empty() {
            break;
        }
        let pred = walk_tree(w, source, &missing, allowed, first, excluded)?;
        let g = w.graph();
        for (t, o) in targets.iter().zip(out.iter_mut()) {
            if o.is_some() || !pred.contains_key(t) {
                continue;
            }
            let mut path = Vec::new();
            let mut n = *t;
            while n != source {
                let e = pred[&n];
                path.push(e);
                n = g.edges[e].from;
            }
            path.reverse();
            *o = Some(path);
        }
    }
    Ok(out)
}

/// Breadth-first from `source` over edges no less certain than `allowed` (the first hop among
/// `first` when given, none of `excluded`): the edge each node was first reached by, until
/// every target is reached.
fn walk_tree<W: Walk>(
    w: &mut W,
    source: NodeId,
    targets: &HashSet<NodeId>,
    allowed: Certainty,
    first: Option<&HashSet<usize>>,
    excluded: &HashSet<usize>,
) -> Result<HashMap<NodeId, usize>, W::Error> {
    let mut pred: HashMap<NodeId, usize> = HashMap::default();
    let mut seen: HashSet<NodeId> = HashSet::default();
    seen.insert(source);
    let mut left = targets.len();
    let mut queue: VecDeque<NodeId> = VecDeque::from([source]);
    while let Some(n) = queue.pop_front() {
        w.expand(n)?;
        let g = w.graph();
        for &e in g.outgoing_edges(n) {
            let edge = &g.edges[e];
            if edge.certainty > allowed
                || excluded.contains(&e)
                || (n == source && first.is_some_and(|f| !f.contains(&e)))
                || !seen.insert(edge.to)
            {
                continue;
            }
            pred.insert(edge.to, e);
            if targets.contains(&edge.to) {
                left -= 1;
                if left == 0 {
                    return Ok(pred);
                }
            }
            queue.push_back(edge.to);
        }
    }
    Ok(pred)
}

/// Where a [`LazyGraph`] reads the references it resolves on demand.
pub trait RefSource {
    /// The references of file `file` (an index into the files the graph was made from), in
    /// file order.
    fn refs(&mut self, file: usize) -> anyhow::Result<Vec<crate::lang::Ref>>;
    /// The files that may hold a reference named `name`: a superset of those that do (None:
    /// any file may).
    fn may_name(&mut self, name: &str) -> anyhow::Result<Option<Vec<usize>>>;
}

/// A revision's reference graph whose edges are resolved on demand: every declaration, package,
/// module and named type up front, a file's references when a walk first leaves one of its
/// nodes or asks who refers to a name it declares. It answers what the whole [`Graph`]
/// answers — the same edges, in the same order per node — while a route through a few
/// packages of a large tree resolves only the files the walk reaches (explain reads each part's
/// revision this way). Its name lookup holds declarations only (the whole graph's also holds
/// the externals references name, which no walk leaves).
pub struct LazyGraph<'a, S: RefSource> {
    b: build::Builder<'a>,
    resolved: Vec<bool>,
    source: S,
}

impl<S: RefSource> Walk for LazyGraph<'_, S> {
    type Error = anyhow::Error;
    fn expand(&mut self, n: NodeId) -> anyhow::Result<()> {
        match self.b.node_file.get(n).copied().flatten() {
            Some(fi) => self.resolve(fi),
            None => Ok(()),
        }
    }
    fn graph(&self) -> &Graph {
        &self.b.g
    }
}

impl<'a, S: RefSource> LazyGraph<'a, S> {
    /// Declares every node of `files` (path, language, parse facts: their references are left
    /// to `source`) and the revision's Go modules; resolves nothing yet.
    pub fn new(files: &[(&'a str, Lang, &'a Parsed)], modules: &[GoModule<'a>], source: S) -> Self {
        let mut b = build::Builder::new(files, modules);
        b.index_names(false);
        let n = b.file_count();
        LazyGraph {
            b,
            resolved: vec![false; n],
            source,
        }
    }

    /// The graph as far as it is resolved: every node, and the edges of the files resolved so
    /// far. (Ask [`LazyGraph::outgoing_edges`] for a node's edges.)
    pub fn graph(&self) -> &Graph {
        &self.b.g
    }

    /// Where the references are read.
    pub fn source(&mut self) -> &mut S {
        &mut self.source
    }

    /// Resolves file `fi`'s references, once.
    pub fn resolve(&mut self, fi: usize) -> anyhow::Result<()> {
        if self.resolved[fi] {
            return Ok(());
        }
        self.resolved[fi] = true;
        let refs = self.source.refs(fi)?;
        self.b.resolve_file(fi, &refs);
        Ok(())
    }

    /// [`Graph::outgoing_edges`], its file resolved first.
    pub fn outgoing_edges(&mut self, id: NodeId) -> anyhow::Result<&[usize]> {
        self.expand(id)?;
        Ok(self.b.g.outgoing_edges(id))
    }

    /// [`Graph::references_to`], as edge ids in the same order: every file that may refer to
    /// the node's name is resolved first.
    pub fn references_to(&mut self, id: NodeId) -> anyhow::Result<Vec<usize>> {
        let ident = self.b.g.nodes[id].ident.clone();
        match self.source.may_name(&ident)? {
            Some(files) => {
                for fi in files {
                    self.resolve(fi)?;
                }
            }
            None => {
                for fi in 0..self.resolved.len() {
                    self.resolve(fi)?;
                }
            }
        }
        let g = &self.b.g;
        let mut out: Vec<usize> = g.incoming.get(id).cloned().unwrap_or_default();
        // As `sort_links` orders links (all at depth 1).
        out.sort_by(|&a, &b| {
            let (x, y) = (&g.edges[a], &g.edges[b]);
            (&x.site, x.to).cmp(&(&y.site, y.to))
        });
        Ok(out)
    }

    /// [`Graph::routes_with`], resolving the files its walks reach.
    pub fn routes_with(
        &mut self,
        source: NodeId,
        targets: &[NodeId],
        first: Option<&HashSet<usize>>,
        excluded: &HashSet<usize>,
    ) -> anyhow::Result<Vec<Option<Vec<usize>>>> {
        routes_with(self, source, targets, first, excluded)
    }

    /// [`Graph::routes_from`] as edge ids ([`Graph::path_links`] shows them).
    pub fn routes_from(
        &mut self,
        source: NodeId,
        targets: &[NodeId],
    ) -> anyhow::Result<Vec<Option<Vec<usize>>>> {
        routes_with(self, source, targets, None, &HashSet::default())
    }
}

fn sort_links(links: &mut [Link]) {
    links.sort_by(|a, b| {
        (a.depth, &a.edge.site, a.edge.to).cmp(&(b.depth, &b.edge.site, b.edge.to))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go_func(dir: &str, package: &str, name: &str) -> Node {
        Node {
            kind: NodeKind::Method,
            lang: Lang::Go,
            path: format!("{dir}/x.go").into(),
            dir: dir.into(),
            name: name.into(),
            ident: name.into(),
            package: Some(package.into()),
            import_path: None,
            receiver: None,
            start: 1,
            end: 2,
        }
    }

    #[test]
    fn functions_of_one_name_in_two_packages_read_apart_and_alternates_stay_one() {
        let v = "vendor/github.com/cyphar/filepath-securejoin/pathrs-lite";
        let outer = go_func(&format!("{v}/procfs"), "procfs", "(*Handle).OpenRoot");
        let inner = go_func(
            &format!("{v}/internal/procfs"),
            "procfs",
            "(*Handle).OpenRoot",
        );
        let open = go_func(&format!("{v}/internal/procfs"), "procfs", "(*Handle).open");
        let names = reader_names(&[&outer, &inner, &open]);
        assert_eq!(
            names,
            [
                "pathrs-lite/procfs.(*Handle).OpenRoot",
                "internal/procfs.(*Handle).OpenRoot",
                "procfs.(*Handle).open",
            ]
        );
        // Build-tag alternates: one directory, two files, one name a reader sees.
        let mut alt = inner.clone();
        alt.path = format!("{v}/internal/procfs/y.go").into();
        assert_eq!(
            reader_names(&[&inner, &alt]),
            ["procfs.(*Handle).OpenRoot", "procfs.(*Handle).OpenRoot"]
        );
    }
}
