//! Building the graph: nodes from declarations, then each reference resolved to its targets by
//! its language's resolver ([`Refs`]): Go through imports, packages, receiver types, interfaces
//! (here); shell through sources (here); C by name (`c.rs`); Rust through crates, modules,
//! `use` paths, `impl` blocks and traits (`rust.rs`). Owns the resolution rules; the query side
//! in mod.rs only walks the result.

mod c;
mod rust;

use std::collections::VecDeque;

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::{Certainty, Edge, GoModule, Graph, Node, NodeId, NodeKind, Site, Text};
use crate::lang::{
    Decl, DeclKind, Lang, Parsed, Ref, RefKind, Refs, TypeDef, TypeKind, TypeRef, Via,
};

/// How deep embedded types and aliases are followed: deeper chains are rare and a cycle
/// (which the compiler rejects, but a mid-edit revision may hold) must end.
const MAX_EMBED_DEPTH: u32 = 4;

/// Predeclared Go types: methods on them (`err.Error()`) are outside any revision.
const PREDECLARED_TYPES: &[&str] = &[
    "any",
    "bool",
    "byte",
    "comparable",
    "complex128",
    "complex64",
    "error",
    "float32",
    "float64",
    "int",
    "int16",
    "int32",
    "int64",
    "int8",
    "rune",
    "string",
    "uint",
    "uint16",
    "uint32",
    "uint64",
    "uint8",
    "uintptr",
];

struct Pkg {
    dir: Text,
    name: Text,
    import_path: Option<Text>,
    /// Functions, variables, constants and types by name.
    members: HashMap<String, Vec<NodeId>>,
    /// Receiver type -> method name -> methods (several under build tags).
    methods: HashMap<String, HashMap<String, Vec<NodeId>>>,
    /// Method name -> methods, whatever the receiver.
    by_method: HashMap<String, Vec<NodeId>>,
    /// Type name -> (file index, index in that file's `types`).
    types: HashMap<String, (usize, usize)>,
}

/// Where a type reference leads.
enum TypeLoc {
    /// A type of a package in the revision.
    In(usize, String),
    /// A type of a package outside the revision, or predeclared.
    Outside,
    /// Not found where it should be: a type parameter, or a type the parse stage misread.
    Unknown,
}

/// What a method lookup on a type found.
enum Found {
    Exact(Vec<NodeId>),
    Dispatch(Vec<NodeId>),
    /// The type (or a type it embeds) is outside the revision: the method may be there.
    Outside,
    /// The type is known and has no such method: a field of function type, or a misread.
    Missing,
}

pub(super) struct Builder<'a> {
    files: Vec<(&'a str, &'a Parsed)>,
    /// Per file: its language and how its references resolve.
    langs: Vec<(Lang, Refs)>,
    paths: Vec<Text>,
    modules: Vec<GoModule<'a>>,
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    edge_keys: HashSet<(NodeId, NodeId, usize, u32, u32)>,
    /// Per file: its declaration nodes by name (the scopes references name).
    file_decls: Vec<HashMap<String, Vec<NodeId>>>,
    /// Per file: its package (Go).
    file_pkg: Vec<Option<usize>>,
    pkgs: Vec<Pkg>,
    pkg_by_key: HashMap<(String, String), usize>,
    pkg_by_import: HashMap<String, Vec<usize>>,
    /// Shell: function name -> definitions; file -> files its sources resolve to.
    shell_funcs: HashMap<String, Vec<NodeId>>,
    shell_sources: Vec<Vec<usize>>,
    script_node: HashMap<usize, NodeId>,
    externals: HashMap<(Lang, String, String), NodeId>,
    /// Go: method name -> methods, across the revision; and (package, receiver type) pairs
    /// holding a method of that name themselves.
    method_index: HashMap<String, Vec<NodeId>>,
    holders: HashMap<String, Vec<(usize, String)>>,
    /// Structs with embedded types: they may hold methods by promotion.
    embedding: Vec<(usize, String)>,
    /// Per file: its package and the packages it imports, once computed.
    near: Vec<Option<Vec<usize>>>,
    /// (package, interface) -> method name -> implementing methods.
    dispatch_cache: HashMap<(usize, String), HashMap<String, Vec<NodeId>>>,
    /// (package, type) -> method name -> methods, promoted ones included.
    method_sets: HashMap<(usize, String), HashMap<String, Vec<NodeId>>>,
    /// C: functions, macros and variables by name, across the revision.
    c_defs: HashMap<String, Vec<NodeId>>,
    /// Rust: crates, modules, items, methods, traits.
    rs: rust::Index,
}

fn dir_of(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// `(*T).M` / `T.M` -> `T`.
fn receiver_of(method_name: &str) -> Option<&str> {
    let (recv, _) = method_name.rsplit_once('.')?;
    Some(
        recv.trim_start_matches('(')
            .trim_end_matches(')')
            .trim_start_matches('*'),
    )
}

impl<'a> Builder<'a> {
    pub(super) fn new(files: &[(&'a str, Lang, &'a Parsed)], modules: &[GoModule<'a>]) -> Self {
        let mut modules = modules.to_vec();
        // Longest directory first: a nested module owns its subtree.
        modules.sort_by_key(|m| std::cmp::Reverse(m.dir.len()));
        let langs = files
            .iter()
            .map(|(_, l, _)| {
                // Files the graph reads without a resolver of their own are scripts found by
                // their shebang (no extension): shell.
                match l.language().refs() {
                    Refs::None => (Lang::Shell, Refs::ShellSources),
                    r => (*l, r),
                }
            })
            .collect();
        let mut b = Builder {
            files: files.iter().map(|(p, _, f)| (*p, *f)).collect(),
            langs,
            paths: files.iter().map(|(p, _, _)| Text::from(*p)).collect(),
            modules,
            nodes: Vec::new(),
            edges: Vec::new(),
            edge_keys: HashSet::default(),
            file_decls: vec![HashMap::default(); files.len()],
            file_pkg: vec![None; files.len()],
            pkgs: Vec::new(),
            pkg_by_key: HashMap::default(),
            pkg_by_import: HashMap::default(),
            shell_funcs: HashMap::default(),
            shell_sources: vec![Vec::new(); files.len()],
            script_node: HashMap::default(),
            externals: HashMap::default(),
            method_index: HashMap::default(),
            holders: HashMap::default(),
            embedding: Vec::new(),
            near: vec![None; files.len()],
            dispatch_cache: HashMap::default(),
            method_sets: HashMap::default(),
            c_defs: HashMap::default(),
            rs: rust::Index::default(),
        };
        b.declare();
        b.resolve_sources();
        b
    }

    fn import_path_of(&self, dir: &str) -> Option<String> {
        if let Some(i) = dir
            .rfind("vendor/")
            .filter(|&i| i == 0 || dir[..i].ends_with('/'))
        {
            return Some(dir[i + "vendor/".len()..].to_string());
        }
        let m = self.modules.iter().find(|m| {
            m.dir.is_empty() || dir == m.dir || dir.starts_with(&format!("{}/", m.dir))
        })?;
        let rel = dir
            .strip_prefix(m.dir)
            .unwrap_or(dir)
            .trim_start_matches('/');
        Some(if rel.is_empty() {
            m.path.to_string()
        } else {
            format!("{}/{rel}", m.path)
        })
    }

    /// Nodes for every declaration; Go packages and Rust modules indexed.
    fn declare(&mut self) {
        for fi in 0..self.files.len() {
            let (lang, refs) = self.langs[fi];
            let pkg = match refs {
                Refs::GoPackages => match self.go_package(fi) {
                    Some(p) => Some(p),
                    // A Go file without a package clause declares nothing the graph can place.
                    None => continue,
                },
                _ => None,
            };
            let parsed = self.files[fi].1;
            let (package, import_path, dir) = match (pkg, refs) {
                (Some(p), _) => (
                    Some(self.pkgs[p].name.clone()),
                    self.pkgs[p].import_path.clone(),
                    self.pkgs[p].dir.clone(),
                ),
                (None, Refs::RustModules) => {
                    let m = self.rust_module(fi);
                    (Some(m.0), Some(m.1), Text::from(dir_of(self.files[fi].0)))
                }
                (None, Refs::ByName) => (None, None, Text::from(dir_of(self.files[fi].0))),
                _ => (None, None, Text::from("")),
            };
            for d in &parsed.decls {
                let receiver = match (d.kind, refs) {
                    (DeclKind::Method, Refs::RustModules) => rust::owner_of(&d.name),
                    (DeclKind::Method, _) => receiver_of(&d.name),
                    _ => None,
                };
                let id = self.nodes.len();
                let name = Text::from(d.name.as_str());
                let ident = if d.ident == d.name {
                    name.clone()
                } else {
                    Text::from(d.ident.as_str())
                };
                self.nodes.push(Node {
                    kind: d.kind.into(),
                    lang,
                    path: self.paths[fi].clone(),
                    dir: dir.clone(),
                    name,
                    ident,
                    package: package.clone(),
                    import_path: import_path.clone(),
                    receiver: receiver.map(Text::from),
                    start: d.start,
                    end: d.end,
                });
                // Constants and types are never a reference's scope or target (runc's tree holds
                // some 90 000 constants, nearly all in x/sys/unix): nodes for `defs` only.
                if matches!(d.kind, DeclKind::Const | DeclKind::Type) {
                    continue;
                }
                self.file_decls[fi]
                    .entry(d.name.clone())
                    .or_default()
                    .push(id);
                match refs {
                    Refs::GoPackages => self.index_go_decl(pkg, receiver, d, id),
                    Refs::ShellSources if d.kind == DeclKind::Func => self
                        .shell_funcs
                        .entry(d.ident.clone())
                        .or_default()
                        .push(id),
                    Refs::ByName => self.c_defs.entry(d.ident.clone()).or_default().push(id),
                    Refs::RustModules => self.index_rust_decl(fi, d, id),
                    _ => {}
                }
            }
        }
    }

    /// The Go package of file `fi` (made on its first file), with the file's named types.
    fn go_package(&mut self, fi: usize) -> Option<usize> {
        let (path, parsed) = self.files[fi];
        let name = parsed.package.as_deref()?;
        let dir = dir_of(path);
        let key = (dir.to_string(), name.to_string());
        let idx = match self.pkg_by_key.get(&key) {
            Some(&i) => i,
            None => {
                let import_path = if name.ends_with("_test") || name == "main" {
                    None
                } else {
                    self.import_path_of(dir)
                };
                if let Some(ip) = &import_path {
                    self.pkg_by_import
                        .entry(ip.clone())
                        .or_default()
                        .push(self.pkgs.len());
                }
                self.pkgs.push(Pkg {
                    dir: Text::from(dir),
                    name: Text::from(name),
                    import_path: import_path.map(Text::from),
                    members: HashMap::default(),
                    methods: HashMap::default(),
                    by_method: HashMap::default(),
                    types: HashMap::default(),
                });
                self.pkg_by_key.insert(key, self.pkgs.len() - 1);
                self.pkgs.len() - 1
            }
        };
        self.file_pkg[fi] = Some(idx);
        for (ti, t) in parsed.types.iter().enumerate() {
            if self.pkgs[idx].types.contains_key(&t.name) {
                continue;
            }
            self.pkgs[idx].types.insert(t.name.clone(), (fi, ti));
            if t.kind == TypeKind::Struct && !t.embeds.is_empty() {
                self.embedding.push((idx, t.name.clone()));
            }
        }
        Some(idx)
    }

    /// A Go function, method or variable in its package's tables.
    fn index_go_decl(&mut self, pkg: Option<usize>, receiver: Option<&str>, d: &Decl, id: NodeId) {
        match (pkg, receiver) {
            (Some(p), Some(r)) => {
                let by_recv = self.pkgs[p].methods.entry(r.to_string()).or_default();
                let ids = by_recv.entry(d.ident.clone()).or_default();
                if ids.is_empty() {
                    self.holders
                        .entry(d.ident.clone())
                        .or_default()
                        .push((p, r.to_string()));
                }
                ids.push(id);
                self.pkgs[p]
                    .by_method
                    .entry(d.ident.clone())
                    .or_default()
                    .push(id);
                self.method_index
                    .entry(d.ident.clone())
                    .or_default()
                    .push(id);
            }
            (Some(p), None) => self.pkgs[p]
                .members
                .entry(d.ident.clone())
                .or_default()
                .push(id),
            _ => {}
        }
    }

    /// Each shell `source` argument to the script it names: the literal tail after the last
    /// expansion (`$DIR/lib/core.sh` -> `lib/core.sh`), first relative to the sourcing file's
    /// directory (the `$(dirname "$0")` idiom), else any script whose path ends with it, the
    /// nearest to the sourcing file first.
    fn resolve_sources(&mut self) {
        let shell: Vec<usize> = (0..self.files.len())
            .filter(|&i| self.langs[i].1 == Refs::ShellSources)
            .collect();
        let by_path: HashMap<&str, usize> = shell.iter().map(|&i| (self.files[i].0, i)).collect();
        for &fi in &shell {
            let (path, parsed) = self.files[fi];
            let mut out = Vec::new();
            for s in &parsed.sources {
                let tail = literal_tail(&s.path);
                if tail.is_empty() {
                    continue;
                }
                let rooted = s.path.starts_with('/') && !s.path.contains('$');
                let here = if rooted {
                    None
                } else {
                    normalize(&format!("{}/{}", dir_of(path), tail))
                };
                if let Some(&t) = here.as_deref().and_then(|h| by_path.get(h)) {
                    out.push(t);
                    continue;
                }
                let want: Vec<&str> = tail
                    .split('/')
                    .filter(|p| !p.is_empty() && *p != "." && *p != "..")
                    .collect();
                if want.is_empty() {
                    continue;
                }
                let want = want.join("/");
                let mut hits: Vec<usize> = shell
                    .iter()
                    .copied()
                    .filter(|&i| {
                        let p = self.files[i].0;
                        p == want || p.ends_with(&format!("/{want}"))
                    })
                    .collect();
                hits.sort_by_key(|&i| std::cmp::Reverse(common_prefix(path, self.files[i].0)));
                if let Some(&best) = hits.first() {
                    let best_len = common_prefix(path, self.files[best].0);
                    out.extend(
                        hits.iter()
                            .copied()
                            .filter(|&i| common_prefix(path, self.files[i].0) == best_len),
                    );
                }
            }
            out.sort_unstable();
            out.dedup();
            self.shell_sources[fi] = out;
        }
    }

    pub(super) fn finish(mut self) -> Graph {
        for fi in 0..self.files.len() {
            let parsed = self.files[fi].1;
            for r in &parsed.refs {
                let Some(from) = self.scope_node(fi, r) else {
                    continue;
                };
                let targets = match self.langs[fi].1 {
                    Refs::GoPackages => self.resolve_go(fi, r),
                    Refs::ByName => self.resolve_c(fi, r),
                    Refs::RustModules => self.resolve_rust(fi, r),
                    _ => self.resolve_shell(fi, r),
                };
                for (to, certainty) in targets {
                    self.add_edge(from, to, fi, r, certainty);
                }
            }
        }
        let n = self.nodes.len();
        let mut outgoing = vec![Vec::new(); n];
        let mut incoming = vec![Vec::new(); n];
        for (i, e) in self.edges.iter().enumerate() {
            outgoing[e.from].push(i);
            incoming[e.to].push(i);
        }
        let mut by_ident: HashMap<Text, Vec<NodeId>> = HashMap::default();
        for (i, node) in self.nodes.iter().enumerate() {
            by_ident.entry(node.ident.clone()).or_default().push(i);
            if node.lang == Lang::Shell && node.name != node.ident {
                by_ident.entry(node.name.clone()).or_default().push(i);
            }
        }
        Graph {
            nodes: self.nodes,
            edges: self.edges,
            outgoing,
            incoming,
            by_ident,
        }
    }

    fn add_edge(&mut self, from: NodeId, to: NodeId, fi: usize, r: &Ref, certainty: Certainty) {
        if !self.edge_keys.insert((from, to, fi, r.line, r.col)) {
            return;
        }
        self.edges.push(Edge {
            from,
            to,
            site: Site {
                path: self.paths[fi].clone(),
                line: r.line,
                col: r.col,
            },
            kind: r.kind,
            certainty,
            written: r.written().to_string(),
        });
    }

    /// The node a reference is made from: its enclosing declaration, or the script.
    fn scope_node(&mut self, fi: usize, r: &Ref) -> Option<NodeId> {
        if let Some(scope) = &r.scope {
            let named = self.file_decls[fi]
                .get(scope)
                .into_iter()
                .flatten()
                .copied();
            let inside = named
                .clone()
                .filter(|&d| self.nodes[d].start <= r.line && r.line <= self.nodes[d].end)
                .min_by_key(|&d| self.nodes[d].end - self.nodes[d].start);
            return inside.or_else(|| named.min_by_key(|&d| self.nodes[d].start));
        }
        if self.langs[fi].1 != Refs::ShellSources {
            return None;
        }
        let id = *self.script_node.entry(fi).or_insert_with(|| {
            let path = self.files[fi].0;
            self.nodes.push(Node {
                kind: NodeKind::Script,
                lang: Lang::Shell,
                path: self.paths[fi].clone(),
                dir: Text::from(""),
                name: self.paths[fi].clone(),
                ident: Text::from(path.rsplit('/').next().unwrap_or(path)),
                package: None,
                import_path: None,
                receiver: None,
                start: 1,
                end: 1,
            });
            self.nodes.len() - 1
        });
        Some(id)
    }

    fn external(&mut self, lang: Lang, import: &str, name: &str) -> NodeId {
        let key = (lang, import.to_string(), name.to_string());
        if let Some(&id) = self.externals.get(&key) {
            return id;
        }
        let package = match lang {
            Lang::Go => Some(Text::from(
                crate::lang::go::refs::default_names(import)
                    .pop()
                    .unwrap_or_else(|| import.to_string()),
            )),
            Lang::Rust => Some(Text::from(import)),
            _ => None,
        };
        let name = Text::from(name);
        self.nodes.push(Node {
            kind: NodeKind::External,
            lang,
            path: Text::from(""),
            dir: Text::from(""),
            ident: name.clone(),
            name,
            package,
            import_path: matches!(lang, Lang::Go | Lang::Rust).then(|| Text::from(import)),
            receiver: None,
            start: 0,
            end: 0,
        });
        let id = self.nodes.len() - 1;
        self.externals.insert(key, id);
        id
    }

    // ---- shell ----

    fn resolve_shell(&mut self, fi: usize, r: &Ref) -> Vec<(NodeId, Certainty)> {
        let Some(defs) = self.shell_funcs.get(&r.name) else {
            // A program (`docker`), or a function of a file outside the revision; a mere word
            // that names no function is nothing.
            if r.via == Via::Argument {
                return Vec::new();
            }
            return vec![(self.external(Lang::Shell, "", &r.name), Certainty::Exact)];
        };
        let defs = defs.clone();
        // The file itself, then what it sources, nearest first.
        let mut seen = HashSet::from_iter([fi]);
        let mut queue = VecDeque::from([fi]);
        while let Some(f) = queue.pop_front() {
            let here: Vec<(NodeId, Certainty)> = defs
                .iter()
                .copied()
                .filter(|&d| *self.nodes[d].path == *self.files[f].0)
                .map(|d| (d, Certainty::Exact))
                .collect();
            if !here.is_empty() {
                return here;
            }
            for &s in &self.shell_sources[f] {
                if seen.insert(s) {
                    queue.push_back(s);
                }
            }
        }
        defs.into_iter().map(|d| (d, Certainty::ByName)).collect()
    }

    // ---- Go ----

    fn resolve_go(&mut self, fi: usize, r: &Ref) -> Vec<(NodeId, Certainty)> {
        let Some(pkg) = self.file_pkg[fi] else {
            return Vec::new();
        };
        let callable = |n: &Node| matches!(n.kind, NodeKind::Func | NodeKind::Var);
        match &r.via {
            Via::Local => self.member(pkg, &r.name, callable),
            Via::Import { path } => self.import_member(fi, path, r),
            Via::Qualified { qualifier } => {
                let path = self.files[fi].1.imports.iter().find(|p| {
                    self.pkg_by_import
                        .get(p.as_str())
                        .is_some_and(|ps| ps.iter().any(|&i| *self.pkgs[i].name == **qualifier))
                });
                match path {
                    Some(p) => {
                        let p = p.clone();
                        self.import_member(fi, &p, r)
                    }
                    None => self.by_method_name(fi, pkg, &r.name),
                }
            }
            Via::Typed { ty, fields } => {
                let mut loc = self.type_loc(ty, fi);
                for f in fields {
                    loc = match loc {
                        TypeLoc::In(p, t) => self.field_type(p, &t, f, 0),
                        other => other,
                    };
                }
                match loc {
                    TypeLoc::In(p, t) => match self.find_method(p, &t, &r.name, 0) {
                        Found::Exact(v) => v.into_iter().map(|n| (n, Certainty::Exact)).collect(),
                        Found::Dispatch(v) => {
                            v.into_iter().map(|n| (n, Certainty::Dispatch)).collect()
                        }
                        Found::Outside | Found::Missing => Vec::new(),
                    },
                    TypeLoc::Outside => Vec::new(),
                    TypeLoc::Unknown => self.by_method_name(fi, pkg, &r.name),
                }
            }
            Via::Method => self.by_method_name(fi, pkg, &r.name),
            Via::Argument => Vec::new(),
        }
    }

    fn member(
        &self,
        pkg: usize,
        name: &str,
        keep: impl Fn(&Node) -> bool,
    ) -> Vec<(NodeId, Certainty)> {
        self.pkgs[pkg]
            .members
            .get(name)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&n| keep(&self.nodes[n]))
            .map(|n| (n, Certainty::Exact))
            .collect()
    }

    /// The packages an import path names: the module's own, else the vendored copy nearest
    /// the importing file.
    fn import_pkgs(&self, fi: usize, path: &str) -> Vec<usize> {
        let Some(ps) = self.pkg_by_import.get(path) else {
            return Vec::new();
        };
        if ps.len() <= 1 {
            return ps.clone();
        }
        let file = self.files[fi].0;
        let best = ps
            .iter()
            .map(|&p| common_prefix(file, &self.pkgs[p].dir))
            .max()
            .unwrap_or(0);
        ps.iter()
            .copied()
            .filter(|&p| common_prefix(file, &self.pkgs[p].dir) == best)
            .collect()
    }

    fn import_member(&mut self, fi: usize, path: &str, r: &Ref) -> Vec<(NodeId, Certainty)> {
        let pkgs = self.import_pkgs(fi, path);
        if pkgs.is_empty() {
            return match r.kind {
                RefKind::Call => vec![(self.external(Lang::Go, path, &r.name), Certainty::Exact)],
                RefKind::Value => Vec::new(),
            };
        }
        pkgs.into_iter()
            .flat_map(|p| {
                self.member(p, &r.name, |n| {
                    matches!(n.kind, NodeKind::Func | NodeKind::Var)
                })
            })
            .collect()
    }

    /// Methods of that name in the caller's package and the packages its file imports; when
    /// none are there, in every package of the revision.
    fn by_method_name(&mut self, fi: usize, pkg: usize, name: &str) -> Vec<(NodeId, Certainty)> {
        if self.near[fi].is_none() {
            let mut near = vec![pkg];
            for imp in &self.files[fi].1.imports {
                near.extend(self.import_pkgs(fi, imp));
            }
            near.sort_unstable();
            near.dedup();
            self.near[fi] = Some(near);
        }
        let near = self.near[fi].as_deref().unwrap_or_default();
        let mut found: Vec<NodeId> = near
            .iter()
            .flat_map(|&p| self.pkgs[p].by_method.get(name).into_iter().flatten())
            .copied()
            .collect();
        if found.is_empty() {
            found = self.method_index.get(name).cloned().unwrap_or_default();
        }
        found.into_iter().map(|n| (n, Certainty::ByName)).collect()
    }

    fn type_def(&self, pkg: usize, name: &str) -> Option<(usize, &'a TypeDef)> {
        let &(fi, ti) = self.pkgs[pkg].types.get(name)?;
        Some((fi, &self.files[fi].1.types[ti]))
    }

    /// Where a type written in file `fi` is declared.
    fn type_loc(&self, t: &TypeRef, fi: usize) -> TypeLoc {
        let Some(own) = self.file_pkg[fi] else {
            return TypeLoc::Unknown;
        };
        match (&t.import, &t.qualifier) {
            (None, None) => {
                let p = &self.pkgs[own];
                if p.types.contains_key(&t.name) || p.methods.contains_key(&t.name) {
                    TypeLoc::In(own, t.name.clone())
                } else if PREDECLARED_TYPES.contains(&t.name.as_str()) {
                    TypeLoc::Outside
                } else {
                    TypeLoc::Unknown
                }
            }
            (Some(path), _) => match self.import_pkgs(fi, path).first() {
                Some(&p) => TypeLoc::In(p, t.name.clone()),
                None => TypeLoc::Outside,
            },
            (None, Some(q)) => {
                let p = self.files[fi].1.imports.iter().find_map(|imp| {
                    self.import_pkgs(fi, imp)
                        .into_iter()
                        .find(|&p| *self.pkgs[p].name == **q)
                });
                match p {
                    Some(p) => TypeLoc::In(p, t.name.clone()),
                    None => TypeLoc::Outside,
                }
            }
        }
    }

    /// The type of field `f` of type `t`: declared, an embedded type named `f`, or promoted
    /// from an embedded type.
    fn field_type(&self, pkg: usize, t: &str, f: &str, depth: u32) -> TypeLoc {
        if depth > MAX_EMBED_DEPTH {
            return TypeLoc::Unknown;
        }
        let Some((fi, def)) = self.type_def(pkg, t) else {
            return TypeLoc::Unknown;
        };
        if def.kind == TypeKind::Alias {
            return match def.embeds.first().map(|e| self.type_loc(e, fi)) {
                Some(TypeLoc::In(p, t2)) => self.field_type(p, &t2, f, depth + 1),
                Some(other) => other,
                None => TypeLoc::Unknown,
            };
        }
        if let Some(field) = def.fields.iter().find(|x| x.name == f) {
            return self.type_loc(&field.ty, fi);
        }
        if let Some(e) = def.embeds.iter().find(|e| e.name == f) {
            return self.type_loc(e, fi);
        }
        let mut outside = false;
        for e in &def.embeds {
            match self.type_loc(e, fi) {
                TypeLoc::In(p, t2) => match self.field_type(p, &t2, f, depth + 1) {
                    TypeLoc::In(p2, t3) => return TypeLoc::In(p2, t3),
                    TypeLoc::Outside => outside = true,
                    TypeLoc::Unknown => {}
                },
                TypeLoc::Outside => outside = true,
                TypeLoc::Unknown => {}
            }
        }
        if outside {
            TypeLoc::Outside
        } else {
            TypeLoc::Unknown
        }
    }

    fn find_method(&mut self, pkg: usize, t: &str, m: &str, depth: u32) -> Found {
        if depth > MAX_EMBED_DEPTH {
            return Found::Missing;
        }
        if let Some(ms) = self.pkgs[pkg].methods.get(t).and_then(|ms| ms.get(m)) {
            return Found::Exact(ms.clone());
        }
        let Some((fi, def)) = self.type_def(pkg, t) else {
            return Found::Missing;
        };
        match def.kind {
            TypeKind::Interface => {
                let impls = self.implementations(pkg, t, m);
                if impls.is_empty() {
                    Found::Outside
                } else {
                    Found::Dispatch(impls)
                }
            }
            TypeKind::Alias => match def.embeds.first().map(|e| self.type_loc(e, fi)) {
                Some(TypeLoc::In(p, t2)) => self.find_method(p, &t2, m, depth + 1),
                Some(TypeLoc::Outside) => Found::Outside,
                _ => Found::Missing,
            },
            TypeKind::Struct => {
                let mut outside = false;
                for e in def.embeds.clone() {
                    match self.type_loc(&e, fi) {
                        TypeLoc::In(p, t2) => match self.find_method(p, &t2, m, depth + 1) {
                            Found::Missing => {}
                            Found::Outside => outside = true,
                            found => return found,
                        },
                        TypeLoc::Outside => outside = true,
                        TypeLoc::Unknown => {}
                    }
                }
                if outside {
                    Found::Outside
                } else {
                    Found::Missing
                }
            }
            TypeKind::Other | TypeKind::Impl => Found::Missing,
        }
    }

    /// The method names an interface requires, as far as the revision shows them.
    fn interface_methods(&self, pkg: usize, t: &str, depth: u32, out: &mut HashSet<String>) {
        if depth > MAX_EMBED_DEPTH {
            return;
        }
        let Some((fi, def)) = self.type_def(pkg, t) else {
            return;
        };
        out.extend(def.methods.iter().cloned());
        for e in &def.embeds {
            if let TypeLoc::In(p, t2) = self.type_loc(e, fi) {
                self.interface_methods(p, &t2, depth + 1, out);
            }
        }
    }

    /// Fills `method_sets` for type `t`: its own methods and those promoted from embedded
    /// types (its own win).
    fn fill_method_set(&mut self, pkg: usize, t: &str, depth: u32) {
        let key = (pkg, t.to_string());
        if self.method_sets.contains_key(&key) {
            return;
        }
        let mut set: HashMap<String, Vec<NodeId>> =
            self.pkgs[pkg].methods.get(t).cloned().unwrap_or_default();
        if depth < MAX_EMBED_DEPTH
            && let Some((fi, def)) = self.type_def(pkg, t)
            && def.kind == TypeKind::Struct
        {
            for e in &def.embeds {
                if let TypeLoc::In(p, t2) = self.type_loc(e, fi) {
                    self.fill_method_set(p, &t2, depth + 1);
                    if let Some(inner) = self.method_sets.get(&(p, t2)) {
                        for (name, ids) in inner {
                            set.entry(name.clone()).or_insert_with(|| ids.clone());
                        }
                    }
                }
            }
        }
        self.method_sets.insert(key, set);
    }

    /// Interface dispatch: method `m` of every concrete type of the revision whose method set
    /// holds all the interface's known methods (and `m`).
    fn implementations(&mut self, pkg: usize, iface: &str, m: &str) -> Vec<NodeId> {
        let key = (pkg, iface.to_string());
        if let Some(v) = self.dispatch_cache.get(&key).and_then(|c| c.get(m)) {
            return v.clone();
        }
        let mut required = HashSet::default();
        self.interface_methods(pkg, iface, 0, &mut required);
        // When `m` is not among the known methods (it comes from an embedded interface outside
        // the revision), the answer holds for `m` alone.
        let shared = required.contains(m);
        required.insert(m.to_string());
        // Candidates: holders of the rarest required method, and structs that may hold it by
        // promotion.
        let rarest = required
            .iter()
            .min_by_key(|r| self.holders.get(*r).map_or(0, Vec::len))
            .cloned()
            .unwrap_or_default();
        let mut candidates: Vec<(usize, String)> =
            self.holders.get(&rarest).cloned().unwrap_or_default();
        candidates.extend(self.embedding.iter().cloned());
        candidates.sort_unstable();
        candidates.dedup();
        let mut table: HashMap<String, Vec<NodeId>> = HashMap::default();
        for (p, t) in candidates {
            if self
                .type_def(p, &t)
                .is_some_and(|(_, d)| d.kind == TypeKind::Interface)
            {
                continue;
            }
            self.fill_method_set(p, &t, 0);
            let set = &self.method_sets[&(p, t)];
            if required.iter().all(|r| set.contains_key(r)) {
                for r in &required {
                    table.entry(r.clone()).or_default().extend(&set[r]);
                }
            }
        }
        for ids in table.values_mut() {
            ids.sort_unstable();
            ids.dedup();
        }
        let out = table.get(m).cloned().unwrap_or_default();
        let cache = self.dispatch_cache.entry(key).or_default();
        if shared {
            // The same requirement set answers the interface's other methods.
            for (name, ids) in table {
                cache.entry(name).or_insert(ids);
            }
        }
        cache.entry(m.to_string()).or_insert_with(|| out.clone());
        out
    }
}

/// The literal end of a `source` argument, after its last expansion (`$X`, `${X}`, `$(..)`,
/// `` `..` ``); empty when it ends in one.
fn literal_tail(arg: &str) -> String {
    let b = arg.as_bytes();
    let mut i = 0;
    let mut end = None;
    while i < b.len() {
        match b[i] {
            b'$' if i + 1 < b.len() && (b[i + 1] == b'{' || b[i + 1] == b'(') => {
                let (open, close) = if b[i + 1] == b'{' {
                    (b'{', b'}')
                } else {
                    (b'(', b')')
                };
                let mut depth = 0;
                let mut j = i + 1;
                while j < b.len() {
                    if b[j] == open {
                        depth += 1;
                    } else if b[j] == close {
                        depth -= 1;
                        if depth == 0 {
                            break;
                        }
                    }
                    j += 1;
                }
                i = j + 1;
                end = Some(i);
            }
            b'$' => {
                let mut j = i + 1;
                // `$0`, `$@`: one special character; else a name.
                if j < b.len() && !(b[j].is_ascii_alphabetic() || b[j] == b'_') {
                    j += 1;
                } else {
                    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                        j += 1;
                    }
                }
                i = j;
                end = Some(i);
            }
            b'`' => {
                let j = arg[i + 1..].find('`').map(|k| i + 1 + k).unwrap_or(b.len());
                i = j + 1;
                end = Some(i);
            }
            _ => i += 1,
        }
    }
    match end {
        Some(e) => arg
            .get(e.min(arg.len())..)
            .unwrap_or("")
            .trim_start_matches('/')
            .to_string(),
        None => arg.to_string(),
    }
}

/// `a/b/../c/./d.sh` -> `a/c/d.sh`; `None` when `..` climbs above the root.
fn normalize(p: &str) -> Option<String> {
    let mut out: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                out.pop()?;
            }
            x => out.push(x),
        }
    }
    Some(out.join("/"))
}

/// Shared leading path elements of two paths.
fn common_prefix(a: &str, b: &str) -> usize {
    a.split('/')
        .zip(b.split('/'))
        .take_while(|(x, y)| x == y)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_tails_and_paths() {
        assert_eq!(literal_tail("$_CAI_SCRIPT_DIR/lib/core.sh"), "lib/core.sh");
        assert_eq!(literal_tail("${DIR}/../helpers.sh"), "../helpers.sh");
        assert_eq!(literal_tail("$(dirname \"$0\")/x.sh"), "x.sh");
        assert_eq!(literal_tail("./b.sh"), "./b.sh");
        assert_eq!(
            normalize("tests/unit/../helpers.sh").as_deref(),
            Some("tests/helpers.sh")
        );
        assert_eq!(normalize("../x"), None);
        assert_eq!(
            receiver_of("(*linuxStandardInit).Init"),
            Some("linuxStandardInit")
        );
        assert_eq!(receiver_of("Mount.Apply"), Some("Mount"));
    }
}
