//! `archeo defs`, `refs`, `callers`, `callees` and `path`: the reference graph of each selected
//! revision ([`crate::xref::Graph`]) built from the parse facts stored per file version, its
//! results cited and grouped across revisions (a site held identically by several releases is
//! one result with their range). Owns how much of a revision is loaded: for a name, only the
//! files whose tokens hold it and the Go packages they are in (so `callers` at one revision
//! reads a few dozen files, not thousands); the whole revision for callees, deeper walks and
//! paths. Formats nothing.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use anyhow::{Result, anyhow};

use crate::index::Index;
use crate::index::catalog::{IndexedRev, Occurrence};
use crate::index::citation::Citation;
use crate::index::grams::GramQuery;
use crate::lang::{Lang, Parsed, RefKind};
use crate::xref::{
    Certainty, GoModule, Graph, LazyGraph, Link, Name, Node, NodeKind, RefSource, go_module_path,
};

/// What is asked about a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// Where it is declared.
    Defs,
    /// Every reference to it: call sites and uses as a value.
    Refs,
    /// Its call sites, then their callers' call sites, to `depth` levels.
    Callers {
        /// Levels (1 = direct callers).
        depth: u32,
    },
    /// What its definitions call or use.
    Callees,
}

impl Ask {
    /// The command's name: `defs`, `refs`, `callers`, `callees`.
    pub fn command(self) -> &'static str {
        match self {
            Ask::Defs => "defs",
            Ask::Refs => "refs",
            Ask::Callers { .. } => "callers",
            Ask::Callees => "callees",
        }
    }

    /// What a result is called: `definition`, `reference`, `call site`, `callee`.
    pub fn noun(self) -> &'static str {
        match self {
            Ask::Defs => "definition",
            Ask::Refs => "reference",
            Ask::Callers { .. } => "call site",
            Ask::Callees => "call",
        }
    }
}

/// One result: a definition, or an edge (its site is the citation), held by the revisions the
/// citation lists.
#[derive(Debug, Clone)]
pub struct XrefSite {
    /// The site: the reference's line (an edge), or the declaration's lines (a definition).
    pub cite: Citation,
    /// 1-based byte column of the referenced name (0 for a definition).
    pub col: u32,
    /// The referring side as a reader names it (`libcontainer.(*linuxStandardInit).Init`);
    /// for a definition, the definition.
    pub from: String,
    /// The referred-to side (`sys.WriteSysctls`); for a definition, its kind (`func`).
    pub to: String,
    /// For an edge: a call or a use as a value, and what it rests on.
    pub edge: Option<(RefKind, Certainty)>,
    /// The callee as written at the site (`sys.WriteSysctls`).
    pub written: String,
    /// Hops from the name asked about (1 = direct).
    pub depth: u32,
}

/// What a defs/refs/callers/callees question found.
#[derive(Debug, Clone)]
pub struct XrefReport {
    /// The question.
    pub ask: Ask,
    /// The name as given.
    pub name: String,
    /// The selected revisions, as a reader names them (`opencontainers/runc@v1.3.3`).
    pub scope: String,
    /// The results: by depth, then [`Citation::rank`], then place.
    pub sites: Vec<XrefSite>,
    /// Did the name match anything in a selected revision?
    pub known: bool,
    /// Declared names close to an unknown name.
    pub suggestions: Vec<String>,
}

/// One shortest call path, its hops cited with the revisions holding the whole path.
#[derive(Debug, Clone)]
pub struct CallPath {
    /// The hops, from the first function to the last.
    pub hops: Vec<XrefSite>,
}

/// What `archeo path FROM TO` found.
#[derive(Debug, Clone)]
pub struct PathReport {
    /// The start as given.
    pub from: String,
    /// The end as given.
    pub to: String,
    /// The selected revisions, as a reader names them.
    pub scope: String,
    /// Shortest paths first (then those resting on fewer inexact hops).
    pub paths: Vec<CallPath>,
    /// Names (of `from`, `to`) that matched nothing in any selected revision.
    pub unknown: Vec<String>,
    /// Declared names close to the unknown ones.
    pub suggestions: Vec<String>,
}

/// Reads a function name, or says which column of it is wrong (exit 2).
pub fn parse_name(s: &str) -> Result<Name> {
    Name::parse(s).map_err(|e| anyhow!("bad function name at column {}: {e}", e.column()))
}

/// Answers `ask` about `name` over the revisions `at`/`repos` select.
pub fn xref(
    index: &Index,
    ask: Ask,
    name: &Name,
    at: &[String],
    repos: &[String],
) -> Result<XrefReport> {
    let revs = index.select(at, repos)?;
    let mut loader = Loader::new(index);
    let mut grouped = Grouped::default();
    let mut known = false;
    for rev in &revs {
        let load = match ask {
            Ask::Defs | Ask::Refs | Ask::Callers { depth: 1 } => Load::Named(name.ident()),
            Ask::Callers { .. } | Ask::Callees => Load::All,
        };
        let mut g = Arc::new(loader.graph(rev, &load)?);
        // A narrowed graph must place every reference to the name its files hold; where one
        // rests on a type declared in a package it left out (an interface embedded from
        // elsewhere, a field's type), the whole revision decides.
        if let Load::Named(ident) = load
            && !matches!(ask, Ask::Defs)
            && !g.places_every_ref_to(ident)
        {
            g = loader.whole(rev)?;
        }
        known |= !g.graph.lookup(name).is_empty();
        let keys: Vec<SiteKey> = match ask {
            Ask::Defs => g
                .graph
                .defs(name)
                .into_iter()
                .map(|n| g.def_key(n))
                .collect(),
            Ask::Refs => g.links_keys(&g.graph.callers(name, 1)),
            Ask::Callers { depth } => g.links_keys(&g.graph.call_sites(name, depth)),
            Ask::Callees => g.links_keys(&g.graph.callees(name)),
        };
        for k in keys {
            grouped.add(vec![k], rev);
        }
    }
    let mut sites: Vec<XrefSite> = grouped
        .cite(index)
        .into_iter()
        .flat_map(|p| p.hops)
        .collect();
    sites.sort_by(|a, b| {
        a.depth
            .cmp(&b.depth)
            .then_with(|| a.cite.rank(&b.cite))
            .then_with(|| (a.cite.start, a.col).cmp(&(b.cite.start, b.col)))
    });
    let suggestions = if known {
        Vec::new()
    } else {
        suggest(&mut loader, &revs, &[name])?
    };
    Ok(XrefReport {
        ask,
        name: name.as_str().to_string(),
        scope: scope_display(index, &revs),
        sites,
        known,
        suggestions,
    })
}

/// The shortest call paths from `from` to `to` (at most `max`) in each selected revision,
/// grouped across revisions.
pub fn path(
    index: &Index,
    from: &Name,
    to: &Name,
    at: &[String],
    repos: &[String],
    max: usize,
) -> Result<PathReport> {
    let revs = index.select(at, repos)?;
    let mut loader = Loader::new(index);
    let mut grouped = Grouped::default();
    let (mut from_known, mut to_known) = (false, false);
    for rev in &revs {
        let g = loader.graph(rev, &Load::All)?;
        from_known |= !g.graph.lookup(from).is_empty();
        to_known |= !g.graph.lookup(to).is_empty();
        for p in g.graph.paths(from, to, max) {
            grouped.add(g.links_keys(&p), rev);
        }
    }
    let mut paths = grouped.cite(index);
    paths.sort_by(|a, b| {
        a.hops.len().cmp(&b.hops.len()).then_with(|| {
            let weak = |p: &CallPath| {
                p.hops
                    .iter()
                    .filter(|h| !matches!(h.edge, Some((_, Certainty::Exact))))
                    .count()
            };
            weak(a)
                .cmp(&weak(b))
                .then_with(|| a.hops[0].cite.rank(&b.hops[0].cite))
        })
    });
    let mut unknown: Vec<&Name> = Vec::new();
    if !from_known {
        unknown.push(from);
    }
    if !to_known {
        unknown.push(to);
    }
    let suggestions = suggest(&mut loader, &revs, &unknown)?;
    Ok(PathReport {
        from: from.as_str().to_string(),
        to: to.as_str().to_string(),
        scope: scope_display(index, &revs),
        paths,
        unknown: unknown.iter().map(|n| n.as_str().to_string()).collect(),
        suggestions,
    })
}

/// `opencontainers/runc@v1.3.3`, `opencontainers/runc (v1.3.0..v1.3.3, 4 revs)`: the selected
/// revisions per repository, named by the repository's URL path when it has one.
pub fn scope_display(index: &Index, revs: &[&IndexedRev]) -> String {
    let mut by_repo: BTreeMap<&str, Vec<&IndexedRev>> = BTreeMap::new();
    for r in revs {
        by_repo.entry(&r.repo).or_default().push(r);
    }
    if by_repo.is_empty() {
        return "no selected revision".into();
    }
    by_repo
        .into_iter()
        .map(|(repo, rs)| {
            let url = rs[0].url.trim_end_matches('/').trim_end_matches(".git");
            let shown = url
                .split_once("://")
                .and_then(|(_, rest)| rest.split_once('/'))
                .map(|(_, path)| path)
                .filter(|p| p.matches('/').count() == 1)
                .unwrap_or(repo);
            if let [one] = rs.as_slice() {
                format!("{shown}@{}", one.rev)
            } else {
                let held = index.held(repo, |x| rs.iter().any(|r| std::ptr::eq(*r, x)));
                format!("{shown} ({})", held.display)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// How much of a revision a question needs.
pub enum Load<'a> {
    /// The files whose tokens hold this identifier, and the Go packages they belong to: enough
    /// for its definitions and direct references, resolved as in the whole revision.
    Named(&'a str),
    /// Every Go and shell file.
    All,
}

/// The reference graph of one revision, with the blob of each file it was built from.
pub struct RevGraph {
    /// The graph.
    pub graph: Graph,
    /// Path -> blob id of the files it holds.
    blobs: HashMap<String, String>,
    /// The revision's repository.
    repo: String,
    /// The files it was built from.
    files: Vec<FileFacts>,
}

/// A result's identity across revisions: where it stands (file version, lines, column) and
/// what it says; the same key in two revisions is one result held by both.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct SiteKey {
    repo: String,
    path: String,
    blob: String,
    start: u32,
    end: u32,
    col: u32,
    from: String,
    to: String,
    edge: Option<(RefKind, Certainty)>,
    written: String,
    depth: u32,
}

impl RevGraph {
    /// The blob id and parse facts of the file at `path`, when the graph was built from it.
    pub fn file(&self, path: &str) -> Option<(&str, &Parsed)> {
        self.files
            .iter()
            .find(|(p, _, _, _)| p == path)
            .map(|(_, b, _, f)| (b.as_str(), &**f))
    }

    /// Every reference to `ident` in the files it was built from is a site of some edge.
    fn places_every_ref_to(&self, ident: &str) -> bool {
        let Ok(bare) = Name::parse(ident) else {
            return true;
        };
        let placed: HashSet<(&str, u32, u32)> = self
            .graph
            .callers(&bare, 1)
            .iter()
            .map(|l| (&*l.edge.site.path, l.edge.site.line, l.edge.site.col))
            .collect();
        self.files.iter().all(|(path, _, _, p)| {
            p.refs
                .iter()
                .filter(|r| r.name == ident)
                .all(|r| placed.contains(&(path.as_str(), r.line, r.col)))
        })
    }

    fn blob(&self, path: &str) -> String {
        self.blobs.get(path).cloned().unwrap_or_default()
    }

    fn def_key(&self, n: &Node) -> SiteKey {
        SiteKey {
            repo: self.repo.clone(),
            path: n.path.to_string(),
            blob: self.blob(&n.path),
            start: n.start,
            end: n.end.max(n.start),
            col: 0,
            from: n.display(),
            to: kind_name(n.kind).to_string(),
            edge: None,
            written: String::new(),
            depth: 1,
        }
    }

    fn links_keys(&self, links: &[Link]) -> Vec<SiteKey> {
        links
            .iter()
            .map(|l| SiteKey {
                repo: self.repo.clone(),
                path: l.edge.site.path.to_string(),
                blob: self.blob(&l.edge.site.path),
                start: l.edge.site.line,
                end: l.edge.site.line,
                col: l.edge.site.col,
                from: l.from.display(),
                to: l.to.display(),
                edge: Some((l.edge.kind, l.edge.certainty)),
                written: l.edge.written.clone(),
                depth: l.depth,
            })
            .collect()
    }
}

/// `func`, `method`, `var`, `const`, `type`, `script`, `external`.
pub fn kind_name(k: NodeKind) -> &'static str {
    match k {
        NodeKind::Func => "func",
        NodeKind::Method => "method",
        NodeKind::Var => "var",
        NodeKind::Const => "const",
        NodeKind::Type => "type",
        NodeKind::Macro => "macro",
        NodeKind::Script => "script",
        NodeKind::External => "external",
    }
}

/// Results (single sites, or paths of hops) with the revisions holding each.
#[derive(Default)]
struct Grouped<'a> {
    held: BTreeMap<Vec<SiteKey>, Vec<&'a IndexedRev>>,
}

impl<'a> Grouped<'a> {
    fn add(&mut self, key: Vec<SiteKey>, rev: &'a IndexedRev) {
        let holders = self.held.entry(key).or_default();
        if !holders.iter().any(|h| std::ptr::eq(*h, rev)) {
            holders.push(rev);
        }
    }

    /// Each result cited with the revisions holding all of it.
    fn cite(self, index: &Index) -> Vec<CallPath> {
        self.held
            .into_iter()
            .map(|(keys, holders)| CallPath {
                hops: keys
                    .into_iter()
                    .map(|k| {
                        let place = crate::index::Placement {
                            repo: k.repo.clone(),
                            path: k.path.clone(),
                            holders: holders.clone(),
                        };
                        XrefSite {
                            cite: index.cite(&k.blob, &place, k.start, k.end),
                            col: k.col,
                            from: k.from,
                            to: k.to,
                            edge: k.edge,
                            written: k.written,
                            depth: k.depth,
                        }
                    })
                    .collect(),
            })
            .collect()
    }
}

/// Reads revisions' parse facts from the store, each file version once however many revisions
/// hold it, and builds their graphs.
pub struct Loader<'i> {
    index: &'i Index,
    /// blob -> its parse facts (None: not a Go or shell file version).
    parsed: HashMap<String, Option<(Lang, Arc<Parsed>)>>,
    /// Token query -> the Go and shell file versions holding it.
    by_tokens: HashMap<Vec<String>, Arc<HashMap<String, u32>>>,
    /// go.mod blob -> its module path.
    modules: HashMap<String, Option<String>>,
    /// Commit -> the whole revision's graph.
    whole: HashMap<String, Arc<RevGraph>>,
    /// blob -> its language and outline (parse facts without references).
    outlines: HashMap<String, (Lang, Arc<Parsed>)>,
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(d, _)| d)
}

/// A file a graph is built from: path, blob id, language, parse facts.
type FileFacts = (String, String, Lang, Arc<Parsed>);

/// Whether a language's files are in the reference graph.
fn has_refs(l: Lang) -> bool {
    l.language().refs() != crate::lang::Refs::None
}

impl<'i> Loader<'i> {
    /// A loader over an opened index.
    pub fn new(index: &'i Index) -> Loader<'i> {
        Loader {
            index,
            parsed: HashMap::new(),
            by_tokens: HashMap::new(),
            modules: HashMap::new(),
            whole: HashMap::new(),
            outlines: HashMap::new(),
        }
    }

    /// The whole revision's graph, built once per loader.
    pub fn whole(&mut self, rev: &IndexedRev) -> Result<Arc<RevGraph>> {
        if let Some(g) = self.whole.get(&rev.commit) {
            return Ok(g.clone());
        }
        let g = Arc::new(self.graph(rev, &Load::All)?);
        self.whole.insert(rev.commit.clone(), g.clone());
        Ok(g)
    }

    /// The Go and shell file versions that may hold every token (all of them for none): the
    /// n-gram index narrows, the graph's name resolution decides. Blob id -> ordinal.
    fn code_files(&mut self, tokens: Vec<String>) -> Result<Arc<HashMap<String, u32>>> {
        if let Some(f) = self.by_tokens.get(&tokens) {
            return Ok(f.clone());
        }
        let q = GramQuery::and(
            tokens
                .iter()
                .map(|t| GramQuery::all_of(t.as_bytes()))
                .collect(),
        );
        let ords: Vec<u32> = match self.index.candidates(&q)? {
            Some(v) => v,
            None => (0..self.index.blob_count() as u32).collect(),
        };
        let mut out = HashMap::new();
        for ord in ords {
            let e = self.index.blob(ord)?;
            if has_refs(e.lang) && e.status.has_text() {
                out.insert(e.hex(), ord);
            }
        }
        let out = Arc::new(out);
        self.by_tokens.insert(tokens, out.clone());
        Ok(out)
    }

    /// A file version's parse facts: by its ordinal when a token query found it, else by its
    /// blob id (only Go and shell versions have facts a graph reads).
    fn parsed(&mut self, blob: &str, ord: Option<u32>) -> Result<Option<(Lang, Arc<Parsed>)>> {
        if let Some(p) = self.parsed.get(blob) {
            return Ok(p.clone());
        }
        let ord = match ord {
            Some(o) => Some(o),
            None => self.index.ordinal(blob)?,
        };
        let p = match ord {
            Some(o) if has_refs(self.index.blob(o)?.lang) => {
                let e = self.index.blob(o)?;
                Some((e.lang, Arc::new(self.index.facts_at(o)?)))
            }
            _ => None,
        };
        self.parsed.insert(blob.to_string(), p.clone());
        Ok(p)
    }

    fn module_path(&mut self, blob: &str) -> Result<Option<String>> {
        if let Some(m) = self.modules.get(blob) {
            return Ok(m.clone());
        }
        let m = self
            .index
            .file_by_blob(blob)?
            .and_then(|f| go_module_path(&f.content));
        self.modules.insert(blob.to_string(), m.clone());
        Ok(m)
    }

    /// The files of `tree` a question needs, with their facts.
    fn files(&mut self, tree: &[Occurrence], load: &Load) -> Result<Vec<FileFacts>> {
        let tokens = match load {
            Load::Named(ident) => crate::index::tokenize::token_set(ident),
            Load::All => Vec::new(),
        };
        let found = self.code_files(tokens)?;
        let mut chosen: Vec<&Occurrence> = tree
            .iter()
            .filter(|e| !e.submodule && found.contains_key(&e.id))
            .collect();
        if let Load::Named(ident) = load {
            // The n-gram index admits files holding the identifier's grams anywhere; only
            // files whose facts name it (a declaration, a reference, an interface method or a
            // struct field) matter.
            let mut named = Vec::with_capacity(chosen.len());
            for e in chosen {
                if let Some((_, p)) = self.parsed(&e.id, found.get(&e.id).copied())?
                    && p.names(ident)
                {
                    named.push(e);
                }
            }
            chosen = named;
            // A name's references resolve through their packages (receiver types, methods of
            // the same package): the Go packages holding it come whole.
            let dirs: HashSet<&str> = chosen
                .iter()
                .filter(|e| e.path.ends_with(".go"))
                .map(|e| dir_of(&e.path))
                .collect();
            let have: HashSet<&str> = chosen.iter().map(|e| e.path.as_str()).collect();
            let more: Vec<&Occurrence> = tree
                .iter()
                .filter(|e| {
                    !e.submodule
                        && e.path.ends_with(".go")
                        && dirs.contains(dir_of(&e.path))
                        && !have.contains(e.path.as_str())
                })
                .collect();
            chosen.extend(more);
        }
        let mut out = Vec::with_capacity(chosen.len());
        for e in chosen {
            if let Some((lang, p)) = self.parsed(&e.id, found.get(&e.id).copied())? {
                out.push((e.path.clone(), e.id.clone(), lang, p));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }

    /// The Go modules of a revision's tree (not vendored ones): directory, module path.
    fn tree_modules(&mut self, tree: &[Occurrence]) -> Result<Vec<(String, String)>> {
        let mut modules: Vec<(String, String)> = Vec::new();
        for e in tree {
            let is_mod = e.path == "go.mod" || e.path.ends_with("/go.mod");
            let vendored = e.path.starts_with("vendor/") || e.path.contains("/vendor/");
            if is_mod
                && !vendored
                && !e.submodule
                && let Some(m) = self.module_path(&e.id)?
            {
                modules.push((dir_of(&e.path).to_string(), m));
            }
        }
        Ok(modules)
    }

    /// Every file of a revision a reference graph reads, with its outline (no references):
    /// what [`RouteFiles::graph`] resolves on demand. For questions that walk from a few places
    /// (explain's routes), not for those that list every caller.
    pub fn route_files(&mut self, rev: &IndexedRev) -> Result<RouteFiles<'i>> {
        let tree = self.index.tree(&rev.commit)?;
        let modules = self.tree_modules(&tree)?;
        let mut chosen: Vec<&Occurrence> = tree.iter().filter(|e| !e.submodule).collect();
        chosen.sort_by(|a, b| a.path.cmp(&b.path));
        let mut files: Vec<FileFacts> = Vec::new();
        let mut ords: Vec<u32> = Vec::new();
        for e in chosen {
            let Some(ord) = self.index.ordinal(&e.id)? else {
                continue;
            };
            let b = self.index.blob(ord)?;
            if !has_refs(b.lang) || !b.status.has_text() {
                continue;
            }
            let (lang, outline) = match self.outlines.get(&e.id) {
                Some(o) => o.clone(),
                None => {
                    let o = (b.lang, Arc::new(self.index.outline_at(ord)?));
                    self.outlines.insert(e.id.clone(), o.clone());
                    o
                }
            };
            files.push((e.path.clone(), e.id.clone(), lang, outline));
            ords.push(ord);
        }
        Ok(RouteFiles {
            index: self.index,
            files,
            ords,
            modules,
        })
    }

    /// The graph of one revision, of the files `load` names.
    pub fn graph(&mut self, rev: &IndexedRev, load: &Load) -> Result<RevGraph> {
        let tree = self.index.tree(&rev.commit)?;
        let modules = self.tree_modules(&tree)?;
        let files = self.files(&tree, load)?;
        let mods: Vec<GoModule> = modules
            .iter()
            .map(|(dir, path)| GoModule { dir, path })
            .collect();
        let refs: Vec<(&str, Lang, &Parsed)> = files
            .iter()
            .map(|(p, _, l, f)| (p.as_str(), *l, &**f))
            .collect();
        Ok(RevGraph {
            graph: Graph::build_with_langs(&refs, &mods),
            blobs: files
                .iter()
                .map(|(p, b, _, _)| (p.clone(), b.clone()))
                .collect(),
            repo: rev.repo.clone(),
            files,
        })
    }
}

/// A revision's files with their outlines, read once ([`Loader::route_files`]): what a
/// [`RouteGraph`] is declared from; each file's references are read when the graph first needs
/// them.
pub struct RouteFiles<'i> {
    index: &'i Index,
    /// Path, blob, language, outline; sorted by path.
    files: Vec<FileFacts>,
    /// Each file's blob ordinal.
    ords: Vec<u32>,
    /// The revision's Go modules: directory, module path.
    modules: Vec<(String, String)>,
}

impl<'i> RouteFiles<'i> {
    /// The revision's graph over these files, resolved as walks reach them.
    pub fn graph(&self) -> RouteGraph<'_, 'i> {
        let mods: Vec<GoModule> = self
            .modules
            .iter()
            .map(|(dir, path)| GoModule { dir, path })
            .collect();
        let facts: Vec<(&str, Lang, &Parsed)> = self
            .files
            .iter()
            .map(|(p, _, l, f)| (p.as_str(), *l, &**f))
            .collect();
        let mut by_ord: HashMap<u32, Vec<usize>> = HashMap::new();
        for (i, o) in self.ords.iter().enumerate() {
            by_ord.entry(*o).or_default().push(i);
        }
        let source = StoredRefs {
            files: self,
            by_ord,
            calls: HashMap::new(),
        };
        RouteGraph {
            graph: LazyGraph::new(&facts, &mods, source),
            files: self,
        }
    }
}

/// Where a [`RouteGraph`] reads a file's references (and keeps its calls): the index, by the
/// file's blob ordinal.
pub struct StoredRefs<'f, 'i> {
    files: &'f RouteFiles<'i>,
    /// Ordinal -> the files holding that blob.
    by_ord: HashMap<u32, Vec<usize>>,
    /// File -> its calls, once its references were read.
    calls: HashMap<usize, Vec<crate::lang::Call>>,
}

impl StoredRefs<'_, '_> {
    /// File `fi`'s references, its calls kept.
    fn read(&mut self, fi: usize) -> Result<Vec<crate::lang::Ref>> {
        let r = self.files.index.references_at(self.files.ords[fi])?;
        self.calls.insert(fi, r.calls);
        Ok(r.refs)
    }

    /// File `fi`'s calls.
    fn calls(&mut self, fi: usize) -> Result<&[crate::lang::Call]> {
        if !self.calls.contains_key(&fi) {
            self.read(fi)?;
        }
        Ok(&self.calls[&fi])
    }

    /// The files whose text may hold `text`: a superset (None: any may).
    fn may_hold(&self, text: &str) -> Result<Option<Vec<usize>>> {
        Ok(self
            .files
            .index
            .candidates(&GramQuery::all_of(text.as_bytes()))?
            .map(|ords| {
                let mut files: Vec<usize> = ords
                    .iter()
                    .filter_map(|o| self.by_ord.get(o))
                    .flatten()
                    .copied()
                    .collect();
                files.sort_unstable();
                files
            }))
    }
}

impl RefSource for StoredRefs<'_, '_> {
    fn refs(&mut self, file: usize) -> Result<Vec<crate::lang::Ref>> {
        self.read(file)
    }

    /// A reference spells out the name it refers to in its file's text, so the n-gram index's
    /// candidates for the name hold every file referring to it.
    fn may_name(&mut self, name: &str) -> Result<Option<Vec<usize>>> {
        self.may_hold(name)
    }
}

/// A revision's whole reference graph resolved as walks reach its files
/// ([`RouteFiles::graph`]), with each file's path, blob and outline.
pub struct RouteGraph<'f, 'i> {
    /// The graph.
    pub graph: LazyGraph<'f, StoredRefs<'f, 'i>>,
    files: &'f RouteFiles<'i>,
}

impl RouteGraph<'_, '_> {
    fn position(&self, path: &str) -> Option<usize> {
        self.files
            .files
            .binary_search_by(|(p, _, _, _)| p.as_str().cmp(path))
            .ok()
    }

    /// The blob id and outline (declarations, imports, types; no references or calls) of the
    /// file at `path`.
    pub fn file(&self, path: &str) -> Option<(&str, &Parsed)> {
        let (_, b, _, f) = &self.files.files[self.position(path)?];
        Some((b.as_str(), &**f))
    }

    /// The calls of the file at `path` (None: the graph holds no such file).
    pub fn calls(&mut self, path: &str) -> Result<Option<&[crate::lang::Call]>> {
        match self.position(path) {
            Some(fi) => Ok(Some(self.graph.source().calls(fi)?)),
            None => Ok(None),
        }
    }
}

/// Declared names close to the unknown ones (found through the tokens they share).
fn suggest(loader: &mut Loader, revs: &[&IndexedRev], names: &[&Name]) -> Result<Vec<String>> {
    let mut scored: Vec<(u32, String)> = Vec::new();
    for name in names {
        let ident = name.ident();
        let parts: Vec<String> = crate::index::tokenize::parts(ident)
            .into_iter()
            .map(|(_, p)| p.to_lowercase())
            .filter(|p| p.len() >= 3)
            .collect();
        let mut blobs: HashSet<String> = HashSet::new();
        for p in parts.iter().take(4) {
            blobs.extend(loader.code_files(vec![p.clone()])?.keys().cloned());
        }
        let mut seen: HashSet<String> = HashSet::new();
        // A hint, not an answer: a few revisions' names are enough.
        for rev in revs.iter().take(4) {
            for e in loader.index.tree(&rev.commit)? {
                if !blobs.contains(&e.id) || !seen.insert(e.id.clone()) {
                    continue;
                }
                let Some((_, p)) = loader.parsed(&e.id, None)? else {
                    continue;
                };
                for d in &p.decls {
                    let sim = strsim::jaro_winkler(&d.ident.to_lowercase(), &ident.to_lowercase());
                    if sim >= 0.85 {
                        scored.push(((sim * 1000.0) as u32, d.ident.clone()));
                    }
                }
            }
        }
    }
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut out: Vec<String> = Vec::new();
    for (_, n) in scored {
        if !out.contains(&n) && out.len() < 5 {
            out.push(n);
        }
    }
    Ok(out)
}

/// One hop of a path, as explain shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Hop {
    /// The caller (`main.init`).
    pub from: String,
    /// The callee (`libcontainer.Init`).
    pub to: String,
    /// The call site's file.
    pub path: String,
    /// Its line.
    pub line: u32,
    /// What the edge rests on.
    pub certainty: Certainty,
    /// Permalink to the call site, where the revision is known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A path's links as hops.
pub fn hops(links: &[Link]) -> Vec<Hop> {
    // Every node of the route named together, so two functions of one name in two packages
    // read apart.
    let mut nodes: Vec<&crate::xref::Node> = Vec::new();
    for l in links {
        for n in [l.from, l.to] {
            if !nodes.iter().any(|m| std::ptr::eq(*m, n)) {
                nodes.push(n);
            }
        }
    }
    let names = crate::xref::reader_names(&nodes);
    let name = |n: &crate::xref::Node| {
        let i = nodes
            .iter()
            .position(|m| std::ptr::eq(*m, n))
            .expect("every node of the links was collected");
        names[i].clone()
    };
    links
        .iter()
        .map(|l| Hop {
            from: name(l.from),
            to: name(l.to),
            path: l.edge.site.path.to_string(),
            line: l.edge.site.line,
            certainty: l.edge.certainty,
            url: None,
        })
        .collect()
}

/// A command the revision's code starts as a child of itself: `exec.Command(exe, "init")`.
struct Spawn {
    word: String,
    at: String,
}

/// A child process the revision's code starts of itself, and where the child begins.
pub struct ChildStart {
    /// The subcommand the child is started with (`init`).
    pub word: String,
    /// Where the child is started: `libcontainer/container_linux.go:517`.
    pub spawn: String,
    /// The child's entry point (`main.init`).
    pub entry: Name,
    /// Where the entry point checks the subcommand: `init.go:11`.
    pub entry_at: String,
}

/// The child processes a revision's code starts of itself (explain's process boundaries).
pub fn child_starts(loader: &mut Loader, g: &mut RouteGraph) -> Result<Vec<ChildStart>> {
    Ok(child_entries(loader, g)?
        .into_iter()
        .map(|(spawn, entry, entry_at)| ChildStart {
            word: spawn.word,
            spawn: spawn.at,
            entry,
            entry_at,
        })
        .collect())
}

/// Functions a revision's code runs as a child process: each `exec.Command(..., "WORD")` of
/// its own (not vendored, not test) code, and the `package main` function that checks
/// `os.Args` for WORD (the child's entry point).
fn child_entries(loader: &mut Loader, g: &mut RouteGraph) -> Result<Vec<(Spawn, Name, String)>> {
    let word_re = regex::Regex::new(r#"exec\.Command(?:Context)?\(.*"([A-Za-z][\w-]*)"\s*\)"#)
        .expect("a valid pattern");
    let own = |p: &str| !p.contains("vendor/") && !p.ends_with("_test.go") && p.ends_with(".go");
    let files = g.files;
    let mut spawns: Vec<Spawn> = Vec::new();
    // A call of exec.Command is spelled out in its file: only the files the n-gram index says
    // may hold that text have their calls read, in path order.
    let spelled = match g.graph.source().may_hold("exec.Command")? {
        Some(v) => v,
        None => (0..files.files.len()).collect(),
    };
    for fi in spelled {
        let (path, blob, _, _) = &files.files[fi];
        if !own(path) {
            continue;
        }
        let calls: Vec<crate::lang::Call> = g
            .graph
            .source()
            .calls(fi)?
            .iter()
            .filter(|c| c.callee.starts_with("exec.Command"))
            .cloned()
            .collect();
        if calls.is_empty() {
            continue;
        }
        let Some(file) = loader.index.file_by_blob(blob)? else {
            continue;
        };
        let lines: Vec<&str> = file.content.lines().collect();
        for c in &calls {
            let text = lines.get(c.line as usize - 1).copied().unwrap_or("");
            if let Some(m) = word_re.captures(text) {
                spawns.push(Spawn {
                    word: m[1].to_string(),
                    at: format!("{path}:{}", c.line),
                });
            }
        }
    }
    let mut out = Vec::new();
    for spawn in spawns {
        let quoted = format!("\"{}\"", spawn.word);
        for (path, blob, _, parsed) in &files.files {
            if !own(path) || parsed.package.as_deref() != Some("main") {
                continue;
            }
            let Some(file) = loader.index.file_by_blob(blob)? else {
                continue;
            };
            let found = file
                .content
                .lines()
                .enumerate()
                .find(|(_, l)| l.contains("os.Args") && l.contains(&quoted));
            let Some((i, _)) = found else {
                continue;
            };
            let Some(d) = file.decl_at(i as u32 + 1) else {
                continue;
            };
            let dir = dir_of(path);
            let qualified = if dir.is_empty() {
                format!("main.{}", d.name)
            } else {
                format!("{dir}.{}", d.name)
            };
            if let Ok(name) = Name::parse(&qualified) {
                out.push((
                    Spawn {
                        word: spawn.word.clone(),
                        at: spawn.at.clone(),
                    },
                    name,
                    format!("{path}:{}", i + 1),
                ));
            }
        }
    }
    Ok(out)
}
