//! Rust references. A file's crate and module come from its path, as cargo lays crates out:
//! `crates/libcontainer/src/process/init.rs` is module `process::init` of the crate in
//! `crates/libcontainer` (named `libcontainer`); `lib.rs`, `main.rs` and `mod.rs` are their
//! directory's module. A path (`crate::a::f`, `super::f`, `Self::f`, `Type::f`, a `use`d name,
//! another crate of the revision) resolves module by module to a function (`exact`) or to a
//! type, whose `impl` methods are `exact`; a method of a trait called on a value whose type is
//! unknown reaches each `impl` of it (`dispatch`); any other method call, or a path the revision
//! does not resolve, matches by name (`by-name`); a path into a crate outside the revision
//! (`std::fs::write`, `pathrs::procfs::ProcfsHandleBuilder::new`) is an external function.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};

use super::{Builder, Certainty, NodeId, Text};
use crate::lang::{Decl, DeclKind, Lang, Ref, RefKind, TypeKind, Via};

/// The Rust side of the graph: crates, modules, their items, types' methods, traits.
#[derive(Default)]
pub(super) struct Index {
    /// Crate directory -> crate index; crate name (`libcontainer`) -> crate indices.
    crate_by_dir: HashMap<String, usize>,
    crates_by_name: HashMap<String, Vec<usize>>,
    /// Per file: (crate, module path `process::init`).
    file_module: HashMap<usize, (usize, String)>,
    /// Known module paths per crate (every prefix of a file's module).
    modules: HashSet<(usize, String)>,
    /// (crate, module) -> item name -> functions, macros, statics.
    items: HashMap<(usize, String), HashMap<String, Vec<NodeId>>>,
    /// (crate, type or trait) -> method -> methods; type name -> crates holding methods of it.
    methods: HashMap<(usize, String), HashMap<String, Vec<NodeId>>>,
    /// Method name -> every method of that name.
    by_method: HashMap<String, Vec<NodeId>>,
    /// Trait name -> the methods it declares; type -> traits it implements.
    traits: HashMap<String, HashSet<String>>,
    impls: HashMap<String, HashSet<String>>,
    /// Crate -> function name -> functions anywhere in the crate.
    crate_fns: HashMap<(usize, String), Vec<NodeId>>,
}

/// `Init::run` -> `Init`; `tests::Init::run` -> `Init`.
pub(super) fn owner_of(name: &str) -> Option<&str> {
    let (owner, _) = name.rsplit_once("::")?;
    Some(owner.rsplit("::").next().unwrap_or(owner))
}

/// The crate directory and module path of a Rust file, by cargo's layout.
fn crate_and_module(path: &str) -> (String, Vec<String>) {
    let parts: Vec<&str> = path.split('/').collect();
    let stem = |f: &str| f.strip_suffix(".rs").unwrap_or(f).to_string();
    if let Some(i) = parts.iter().rposition(|p| *p == "src") {
        let crate_dir = parts[..i].join("/");
        let mut module: Vec<String> = parts[i + 1..parts.len() - 1]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let file = stem(parts[parts.len() - 1]);
        // `src/bin/x.rs` is a crate of its own.
        if module.first().is_some_and(|m| m == "bin") {
            let bin = format!(
                "{crate_dir}/src/bin/{}",
                module[1..].first().unwrap_or(&file)
            );
            return (bin, Vec::new());
        }
        let root = module.is_empty() && (file == "lib" || file == "main");
        if !root && file != "mod" {
            module.push(file);
        }
        return (crate_dir, module);
    }
    // Outside `src/` (`tests/x.rs`, `build.rs`, `examples/`): a crate root of its own.
    (
        path.strip_suffix(".rs").unwrap_or(path).to_string(),
        Vec::new(),
    )
}

impl Builder<'_> {
    /// The module of file `fi` (made on its first file): its last segment (or the crate's
    /// name at the root) and its full path (`libcontainer::process::init`).
    pub(super) fn rust_module(&mut self, fi: usize) -> (Text, Text) {
        let (dir, module) = crate_and_module(self.files[fi].0);
        let name = dir.rsplit('/').next().unwrap_or(&dir).replace('-', "_");
        let next = self.rs.crate_by_dir.len();
        let c = *self.rs.crate_by_dir.entry(dir.clone()).or_insert(next);
        if c == next {
            self.rs
                .crates_by_name
                .entry(name.clone())
                .or_default()
                .push(c);
        }
        for k in 0..=module.len() {
            self.rs.modules.insert((c, module[..k].join("::")));
        }
        let path = module.join("::");
        self.rs.file_module.insert(fi, (c, path.clone()));
        self.rust_types(fi);
        let last = module.last().cloned().unwrap_or(name.clone());
        let full = if path.is_empty() {
            name
        } else {
            format!("{name}::{path}")
        };
        (Text::from(last), Text::from(full))
    }

    /// A Rust declaration in its module's, type's or trait's table.
    pub(super) fn index_rust_decl(&mut self, fi: usize, d: &Decl, id: NodeId) {
        let Some((c, module)) = self.rs.file_module.get(&fi).cloned() else {
            return;
        };
        // `tests::helper`: an inline module's item.
        let segs: Vec<&str> = d.name.split("::").collect();
        match d.kind {
            DeclKind::Method => {
                let owner = owner_of(&d.name).unwrap_or("").to_string();
                self.rs
                    .methods
                    .entry((c, owner))
                    .or_default()
                    .entry(d.ident.clone())
                    .or_default()
                    .push(id);
                self.rs
                    .by_method
                    .entry(d.ident.clone())
                    .or_default()
                    .push(id);
            }
            _ => {
                let mut m = module;
                for inner in &segs[..segs.len() - 1] {
                    m = if m.is_empty() {
                        inner.to_string()
                    } else {
                        format!("{m}::{inner}")
                    };
                    self.rs.modules.insert((c, m.clone()));
                }
                self.rs
                    .items
                    .entry((c, m))
                    .or_default()
                    .entry(d.ident.clone())
                    .or_default()
                    .push(id);
                if d.kind == DeclKind::Func {
                    self.rs
                        .crate_fns
                        .entry((c, d.ident.clone()))
                        .or_default()
                        .push(id);
                }
            }
        }
    }

    /// Traits (with their methods) and `impl Trait for Type` of file `fi`.
    fn rust_types(&mut self, fi: usize) {
        for t in &self.files[fi].1.types {
            match t.kind {
                TypeKind::Interface => {
                    self.rs
                        .traits
                        .entry(t.name.clone())
                        .or_default()
                        .extend(t.methods.iter().cloned());
                }
                TypeKind::Impl => {
                    for tr in &t.embeds {
                        self.rs
                            .impls
                            .entry(t.name.clone())
                            .or_default()
                            .insert(tr.name.clone());
                    }
                }
                _ => {}
            }
        }
    }

    /// Where a Rust reference leads.
    pub(super) fn resolve_rust(&mut self, fi: usize, r: &Ref) -> Vec<(NodeId, Certainty)> {
        let Some((c, module)) = self.rs.file_module.get(&fi).cloned() else {
            return Vec::new();
        };
        let exact = |v: Vec<NodeId>| v.into_iter().map(|n| (n, Certainty::Exact)).collect();
        match &r.via {
            Via::Local | Via::Argument => {
                if let Some(v) = self
                    .rs
                    .items
                    .get(&(c, module.clone()))
                    .and_then(|m| m.get(&r.name))
                {
                    return exact(v.clone());
                }
                let in_crate = self.rs.crate_fns.get(&(c, r.name.clone())).cloned();
                match in_crate {
                    // A macro is visible crate-wide once defined (`#[macro_use]`).
                    Some(v) => v.into_iter().map(|n| (n, Certainty::ByName)).collect(),
                    None => self.crate_macros(c, &r.name),
                }
            }
            Via::Import { path } => self.resolve_rust_path(fi, c, &module, path, r),
            Via::Typed { ty, .. } => match self.rust_method(c, &ty.name, &r.name) {
                Some(v) => exact(v),
                None => self.rust_method_by_name(c, &r.name),
            },
            Via::Method | Via::Qualified { .. } => self.rust_method_by_name(c, &r.name),
        }
    }

    fn crate_macros(&self, c: usize, name: &str) -> Vec<(NodeId, Certainty)> {
        self.rs
            .items
            .iter()
            .filter(|((k, _), _)| *k == c)
            .filter_map(|(_, m)| m.get(name))
            .flatten()
            .copied()
            .filter(|&n| self.nodes[n].kind == super::NodeKind::Macro)
            .map(|n| (n, Certainty::Exact))
            .collect()
    }

    /// Methods `m` of `ty` in crate `c` (else of a type of that name in any crate), and
    /// default methods of the traits `ty` implements.
    fn rust_method(&self, c: usize, ty: &str, m: &str) -> Option<Vec<NodeId>> {
        if let Some(v) = self
            .rs
            .methods
            .get(&(c, ty.to_string()))
            .and_then(|x| x.get(m))
        {
            return Some(v.clone());
        }
        let other: Vec<NodeId> = self
            .rs
            .methods
            .iter()
            .filter(|((_, t), _)| t == ty)
            .filter_map(|(_, x)| x.get(m))
            .flatten()
            .copied()
            .collect();
        if !other.is_empty() {
            return Some(other);
        }
        let defaults: Vec<NodeId> = self
            .rs
            .impls
            .get(ty)
            .into_iter()
            .flatten()
            .filter_map(|tr| {
                self.rs
                    .methods
                    .iter()
                    .find(|((_, t), _)| t == tr)
                    .and_then(|(_, x)| x.get(m))
            })
            .flatten()
            .copied()
            .collect();
        (!defaults.is_empty()).then_some(defaults)
    }

    /// A method call on a value of unknown type: the `impl`s of a trait declaring the method
    /// (`dispatch`), and every other method of that name, the caller's crate first (`by-name`):
    /// the value may be of a type with an inherent method of the same name.
    fn rust_method_by_name(&self, c: usize, m: &str) -> Vec<(NodeId, Certainty)> {
        let all = self.rs.by_method.get(m).cloned().unwrap_or_default();
        let traits: Vec<&String> = self
            .rs
            .traits
            .iter()
            .filter(|(_, ms)| ms.contains(m))
            .map(|(t, _)| t)
            .collect();
        let (implementing, others): (Vec<NodeId>, Vec<NodeId>) = all.iter().partition(|&&n| {
            let owner = self.nodes[n].receiver.as_deref().unwrap_or("");
            traits.iter().any(|t| {
                owner == t.as_str() || self.rs.impls.get(owner).is_some_and(|i| i.contains(*t))
            })
        });
        let own_crate: Vec<NodeId> = others
            .iter()
            .copied()
            .filter(|&n| crate_and_module(&self.nodes[n].path).0 == self.crate_dir(c))
            .collect();
        let by_name = if own_crate.is_empty() {
            others
        } else {
            own_crate
        };
        implementing
            .into_iter()
            .map(|n| (n, Certainty::Dispatch))
            .chain(by_name.into_iter().map(|n| (n, Certainty::ByName)))
            .collect()
    }

    fn crate_dir(&self, c: usize) -> String {
        self.rs
            .crate_by_dir
            .iter()
            .find(|(_, v)| **v == c)
            .map(|(k, _)| k.clone())
            .unwrap_or_default()
    }

    /// `crate::a::b`, `super::x`, `Self`/`Type`, `other_crate::m`, `std::fs` + the name.
    fn resolve_rust_path(
        &mut self,
        fi: usize,
        c: usize,
        module: &str,
        path: &str,
        r: &Ref,
    ) -> Vec<(NodeId, Certainty)> {
        let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
        let mut at: Option<(usize, Vec<String>)> = None;
        let mut rest: &[&str] = &segs;
        let here: Vec<String> = module
            .split("::")
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect();
        match segs.first().copied() {
            Some("crate") => {
                at = Some((c, Vec::new()));
                rest = &segs[1..];
            }
            Some("self") => {
                at = Some((c, here.clone()));
                rest = &segs[1..];
            }
            Some("super") => {
                let mut m = here.clone();
                let mut i = 0;
                while segs.get(i) == Some(&"super") {
                    m.pop();
                    i += 1;
                }
                at = Some((c, m));
                rest = &segs[i..];
            }
            Some(first) => {
                // A child module of this one, else another crate of the revision.
                let mut child = here.clone();
                child.push(first.to_string());
                if self.rs.modules.contains(&(c, child.join("::"))) {
                    at = Some((c, child));
                    rest = &segs[1..];
                } else if let Some(&k) = self.rs.crates_by_name.get(first).and_then(|v| v.first()) {
                    at = Some((k, Vec::new()));
                    rest = &segs[1..];
                }
            }
            None => {}
        }
        let Some((k, mut m)) = at else {
            // `Type::f` with a type of this crate, or a path outside the revision.
            if let [ty] = segs.as_slice()
                && let Some(v) = self.rust_method(c, ty, &r.name)
            {
                return v.into_iter().map(|n| (n, Certainty::Exact)).collect();
            }
            return self.outside(path, r);
        };
        while let Some(seg) = rest.first() {
            let mut next = m.clone();
            next.push(seg.to_string());
            if !self.rs.modules.contains(&(k, next.join("::"))) {
                break;
            }
            m = next;
            rest = &rest[1..];
        }
        let _ = fi;
        match rest {
            [] => match self
                .rs
                .items
                .get(&(k, m.join("::")))
                .and_then(|x| x.get(&r.name))
            {
                Some(v) => v.iter().map(|&n| (n, Certainty::Exact)).collect(),
                // A re-export (`pub use`) or a name the parse did not see: by name, in that
                // crate.
                None => self
                    .rs
                    .crate_fns
                    .get(&(k, r.name.clone()))
                    .into_iter()
                    .flatten()
                    .map(|&n| (n, Certainty::ByName))
                    .collect(),
            },
            [ty, ..] => match self.rust_method(k, ty, &r.name) {
                Some(v) => v.into_iter().map(|n| (n, Certainty::Exact)).collect(),
                None => Vec::new(),
            },
        }
    }

    /// A path into a crate the revision does not hold: an external function for a call.
    fn outside(&mut self, path: &str, r: &Ref) -> Vec<(NodeId, Certainty)> {
        if r.kind != RefKind::Call || path.is_empty() {
            return Vec::new();
        }
        let id = self.external(Lang::Rust, path, &r.name);
        vec![(id, Certainty::Exact)]
    }
}

#[cfg(test)]
mod tests {
    use super::super::dir_of;
    use super::*;

    #[test]
    fn crates_and_modules_follow_cargo_layout() {
        let m = |p: &str| {
            let (c, m) = crate_and_module(p);
            (c, m.join("::"))
        };
        assert_eq!(
            m("crates/libcontainer/src/process/init/process.rs"),
            (
                "crates/libcontainer".into(),
                "process::init::process".into()
            )
        );
        assert_eq!(
            m("crates/libcontainer/src/process/mod.rs"),
            ("crates/libcontainer".into(), "process".into())
        );
        assert_eq!(m("src/lib.rs"), ("".into(), "".into()));
        assert_eq!(m("src/bin/tool.rs"), ("/src/bin/tool".into(), "".into()));
        assert_eq!(m("tests/it.rs"), ("tests/it".into(), "".into()));
        assert_eq!(owner_of("tests::Init::run"), Some("Init"));
        assert_eq!(dir_of("a/b.rs"), "a");
    }
}
