//! Rust references, from the tree mod.rs parsed: every call (`f()`, `a::b::f()`,
//! `Type::f()`, `x.m()`, `self.m()`), every macro invocation (`retry!`), calls written inside a
//! macro's arguments (`format!("{}", f(x))`: tokens, not expressions, to the grammar), and paths
//! passed as values (`.map_err(Error::Sysctl)`), each with its enclosing declaration and what it
//! rests on: a `use` item's path, `crate::`/`super::`/`self::`, the `impl` type for `self` and
//! `Self`, or the method name only. Resolving paths to crates and modules is the graph's job.

use std::collections::HashMap;

use tree_sitter::Node;

use crate::lang::{Parsed, Ref, RefKind, TypeDef, TypeKind, TypeRef, Via};

/// Longest path text kept in [`Ref::written`].
const MAX_WRITTEN: usize = 200;

/// Names from the prelude and std that a bare call names without a `use`: never a function of
/// the revision.
const PRELUDE: &[&str] = &[
    "Ok",
    "Err",
    "Some",
    "None",
    "Box",
    "Vec",
    "String",
    "drop",
    "panic",
    "format",
    "vec",
    "println",
    "eprintln",
    "print",
    "eprint",
    "write",
    "writeln",
    "assert",
    "assert_eq",
    "assert_ne",
    "debug_assert",
    "debug_assert_eq",
    "matches",
    "unreachable",
    "todo",
    "unimplemented",
    "cfg",
    "include_str",
    "include_bytes",
    "concat",
    "env",
    "line",
    "file",
    "stringify",
];

/// Appends the file's references to `out.refs`.
pub fn extract(root: Node, src: &[u8], out: &mut Parsed) {
    let mut w = Walker {
        src,
        uses: HashMap::new(),
        refs: Vec::new(),
        types: Vec::new(),
    };
    w.collect_uses(root);
    w.items(root, "", None, 0);
    w.refs.sort_by_key(|r| (r.line, r.col));
    out.refs.append(&mut w.refs);
    out.types.append(&mut w.types);
}

struct Walker<'a> {
    src: &'a [u8],
    /// Name in scope -> the path it stands for (`ProcfsHandleBuilder` ->
    /// `pathrs::procfs::ProcfsHandleBuilder`), from the file's `use` items.
    uses: HashMap<String, String>,
    refs: Vec<Ref>,
    /// Traits and `impl Trait for Type` items.
    types: Vec<TypeDef>,
}

impl<'a> Walker<'a> {
    fn text(&self, n: Node) -> &'a str {
        n.utf8_text(self.src).unwrap_or("")
    }

    /// Every `use` of the file, wherever it stands (a function's body included).
    fn collect_uses(&mut self, root: Node) {
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            if n.kind() == "use_declaration" {
                if let Some(arg) = n.child_by_field_name("argument") {
                    self.use_tree(arg, "", 0);
                }
                continue;
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
    }

    /// One `use` tree under `prefix` (`a::b::` for the items of `a::b::{...}`); groups nested
    /// deeper than 32 are left out (no Rust file nests them so; a hostile one cannot recurse).
    fn use_tree(&mut self, n: Node, prefix: &str, depth: usize) {
        if depth > 32 {
            return;
        }
        match n.kind() {
            "identifier" | "scoped_identifier" | "crate" | "self" | "super" => {
                let full = format!("{prefix}{}", self.text(n));
                let last = full.rsplit("::").next().unwrap_or(&full).to_string();
                if last == "self" {
                    // `use a::b::{self}`: `b` names the module.
                    let module = full.trim_end_matches("::self").to_string();
                    let name = module.rsplit("::").next().unwrap_or(&module).to_string();
                    self.uses.insert(name, module);
                } else {
                    self.uses.insert(last, full);
                }
            }
            "use_as_clause" => {
                if let (Some(path), Some(alias)) = (
                    n.child_by_field_name("path"),
                    n.child_by_field_name("alias"),
                ) {
                    let full = format!("{prefix}{}", self.text(path));
                    self.uses.insert(self.text(alias).to_string(), full);
                }
            }
            "scoped_use_list" => {
                let p = n
                    .child_by_field_name("path")
                    .map(|p| format!("{prefix}{}::", self.text(p)))
                    .unwrap_or_else(|| prefix.to_string());
                if let Some(list) = n.child_by_field_name("list") {
                    self.use_tree(list, &p, depth + 1);
                }
            }
            "use_list" => {
                let mut c = n.walk();
                let items: Vec<Node> = n.named_children(&mut c).collect();
                for i in items {
                    self.use_tree(i, prefix, depth + 1);
                }
            }
            // `use a::*`: names of that module, unknown here; the graph looks there for what
            // the file's own module lacks.
            "use_wildcard" => {
                let mut c = n.walk();
                if let Some(p) = n.named_children(&mut c).next() {
                    let full = format!("{prefix}{}", self.text(p));
                    self.uses.insert(format!("*{}", self.uses.len()), full);
                }
            }
            _ => {}
        }
    }

    /// The declarations of an item list, each body walked in its scope. `owner` is the `impl`
    /// or `trait` type around a function.
    fn items(&mut self, list: Node, prefix: &str, owner: Option<&str>, depth: usize) {
        let mut c = list.walk();
        let children: Vec<Node> = list.named_children(&mut c).collect();
        for item in children {
            match item.kind() {
                "mod_item" if depth >= super::MAX_MOD_DEPTH => {}
                "function_item" => {
                    let Some(name) = item.child_by_field_name("name") else {
                        continue;
                    };
                    let scope = match owner {
                        Some(o) => format!("{o}::{}", self.text(name)),
                        None => format!("{prefix}{}", self.text(name)),
                    };
                    if let Some(body) = item.child_by_field_name("body") {
                        self.walk(body, &scope, owner);
                    }
                }
                "impl_item" => {
                    let ty = item
                        .child_by_field_name("type")
                        .and_then(|t| super::type_name(t, self.src));
                    let tr = item
                        .child_by_field_name("trait")
                        .and_then(|t| super::type_name(t, self.src));
                    if let (Some(ty), Some(tr)) = (&ty, tr) {
                        self.types.push(TypeDef {
                            name: ty.clone(),
                            kind: TypeKind::Impl,
                            line: item.start_position().row as u32 + 1,
                            methods: Vec::new(),
                            embeds: vec![TypeRef {
                                qualifier: None,
                                import: None,
                                name: tr,
                            }],
                            fields: Vec::new(),
                        });
                    }
                    if let (Some(ty), Some(body)) = (ty, item.child_by_field_name("body")) {
                        let owner = format!("{prefix}{ty}");
                        self.items(body, prefix, Some(&owner), depth);
                    }
                }
                "trait_item" => {
                    if let (Some(n), Some(body)) = (
                        item.child_by_field_name("name"),
                        item.child_by_field_name("body"),
                    ) {
                        let mut methods = Vec::new();
                        let mut c = body.walk();
                        for m in body.named_children(&mut c) {
                            if matches!(m.kind(), "function_item" | "function_signature_item")
                                && let Some(mn) = m.child_by_field_name("name")
                            {
                                methods.push(self.text(mn).to_string());
                            }
                        }
                        self.types.push(TypeDef {
                            name: self.text(n).to_string(),
                            kind: TypeKind::Interface,
                            line: item.start_position().row as u32 + 1,
                            methods,
                            embeds: Vec::new(),
                            fields: Vec::new(),
                        });
                        let owner = format!("{prefix}{}", self.text(n));
                        self.items(body, prefix, Some(&owner), depth);
                    }
                }
                "mod_item" => {
                    if let (Some(n), Some(body)) = (
                        item.child_by_field_name("name"),
                        item.child_by_field_name("body"),
                    ) {
                        let inner = format!("{prefix}{}::", self.text(n));
                        self.items(body, &inner, None, depth + 1);
                    }
                }
                "const_item" | "static_item" => {
                    if let (Some(n), Some(v)) = (
                        item.child_by_field_name("name"),
                        item.child_by_field_name("value"),
                    ) {
                        let scope = format!("{prefix}{}", self.text(n));
                        self.walk(v, &scope, owner);
                    }
                }
                _ => {}
            }
        }
    }

    /// A function body (or an initializer): its calls, macro invocations and path values.
    fn walk(&mut self, body: Node, scope: &str, owner: Option<&str>) {
        // (node, read as a value: a direct argument)
        let mut stack: Vec<(Node, bool)> = vec![(body, false)];
        while let Some((n, value)) = stack.pop() {
            match n.kind() {
                "call_expression" => {
                    if let Some(f) = n.child_by_field_name("function") {
                        self.call(f, scope, owner);
                    }
                }
                "macro_invocation" => {
                    if let Some(m) = n.child_by_field_name("macro") {
                        let via = self.path_via(m, owner);
                        if let Some((name, via)) = via
                            && !PRELUDE.contains(&name.as_str())
                        {
                            self.push(m, name, RefKind::Call, via, scope);
                        }
                    }
                }
                "token_tree" => self.token_calls(n, scope, owner),
                "scoped_identifier" if value => {
                    if let Some((name, via)) = self.path_via(n, owner) {
                        self.push(n, name, RefKind::Value, via, scope);
                    }
                }
                "identifier" if value => {
                    let name = self.text(n).to_string();
                    if !PRELUDE.contains(&name.as_str()) {
                        self.push(n, name, RefKind::Value, Via::Argument, scope);
                    }
                }
                // Nested functions and closures run in this scope's name.
                _ => {}
            }
            let args = n.kind() == "arguments";
            let mut c = n.walk();
            let kids: Vec<Node> = n.children(&mut c).collect();
            for k in kids.into_iter().rev() {
                stack.push((k, args));
            }
        }
    }

    /// A call's function: what it names and rests on.
    fn call(&mut self, f: Node, scope: &str, owner: Option<&str>) {
        let f = if f.kind() == "generic_function" {
            match f.child_by_field_name("function") {
                Some(inner) => inner,
                None => return,
            }
        } else {
            f
        };
        match f.kind() {
            "identifier" | "scoped_identifier" => {
                if let Some((name, via)) = self.path_via(f, owner)
                    && !PRELUDE.contains(&name.as_str())
                {
                    self.push(f, name, RefKind::Call, via, scope);
                }
            }
            "field_expression" => {
                let (Some(value), Some(field)) = (
                    f.child_by_field_name("value"),
                    f.child_by_field_name("field"),
                ) else {
                    return;
                };
                let name = self.text(field).to_string();
                let via = match (value.kind(), owner) {
                    ("self", Some(o)) => Via::Typed {
                        ty: TypeRef {
                            qualifier: None,
                            import: None,
                            name: o.rsplit("::").next().unwrap_or(o).to_string(),
                        },
                        fields: Vec::new(),
                    },
                    _ => Via::Method,
                };
                self.push_at(field, f, name, RefKind::Call, via, scope);
            }
            _ => {}
        }
    }

    /// `f`, `a::b::f`, `Type::f`, `Self::f`: the last segment and what it rests on.
    fn path_via(&self, p: Node, owner: Option<&str>) -> Option<(String, Via)> {
        let text = self.text(p);
        if text.len() > MAX_WRITTEN {
            return None;
        }
        let text: String = text.split_whitespace().collect();
        // Turbofish arguments are not part of the path.
        let clean: String = strip_generics(&text);
        let mut parts: Vec<&str> = clean.split("::").filter(|s| !s.is_empty()).collect();
        let name = parts.pop()?.to_string();
        if parts.is_empty() {
            return Some(match self.uses.get(&name) {
                Some(full) => match full.rsplit_once("::") {
                    Some((container, last)) => (
                        last.to_string(),
                        Via::Import {
                            path: container.to_string(),
                        },
                    ),
                    None => (name, Via::Local),
                },
                None => (name, Via::Local),
            });
        }
        let head = parts[0];
        let rest = parts[1..].join("::");
        let join = |base: &str| {
            if rest.is_empty() {
                base.to_string()
            } else {
                format!("{base}::{rest}")
            }
        };
        let path = match head {
            "Self" => match owner {
                Some(o) => join(o.rsplit("::").next().unwrap_or(o)),
                None => join("Self"),
            },
            "crate" | "self" | "super" => join(head),
            h => match self.uses.get(h) {
                Some(full) => join(full),
                None => join(h),
            },
        };
        Some((name, Via::Import { path }))
    }

    /// Calls written inside a macro's tokens: an identifier followed by a `( ... )` group, or
    /// `.name( ... )`.
    fn token_calls(&mut self, tt: Node, scope: &str, owner: Option<&str>) {
        let mut c = tt.walk();
        let kids: Vec<Node> = tt.children(&mut c).collect();
        for w in kids.windows(2) {
            let (a, b) = (w[0], w[1]);
            if a.kind() != "identifier"
                || b.kind() != "token_tree"
                || !self.text(b).starts_with('(')
            {
                continue;
            }
            let name = self.text(a).to_string();
            if PRELUDE.contains(&name.as_str()) {
                continue;
            }
            let after_dot = a.prev_sibling().is_some_and(|p| self.text(p) == ".");
            let via = if after_dot {
                Via::Method
            } else if let Some(full) = self.uses.get(&name) {
                let (container, _) = full.rsplit_once("::").unwrap_or(("", full));
                Via::Import {
                    path: container.to_string(),
                }
            } else {
                Via::Local
            };
            let _ = owner;
            self.push(a, name, RefKind::Call, via, scope);
        }
    }

    fn push(&mut self, n: Node, name: String, kind: RefKind, via: Via, scope: &str) {
        self.push_at(n, n, name, kind, via, scope);
    }

    /// A reference at `at` (its name's position), written as `written`'s text.
    fn push_at(
        &mut self,
        at: Node,
        written: Node,
        name: String,
        kind: RefKind,
        via: Via,
        scope: &str,
    ) {
        let mut w = self.text(written);
        if w.len() > MAX_WRITTEN {
            w = "";
        }
        let w: String = w.split_whitespace().collect();
        let col = if at.kind() == "scoped_identifier" {
            at.child_by_field_name("name")
                .map_or(at.start_position().column, |n| n.start_position().column)
        } else {
            at.start_position().column
        };
        self.refs.push(Ref {
            line: at.start_position().row as u32 + 1,
            col: col as u32 + 1,
            written: if w == name { String::new() } else { w },
            name,
            kind,
            via,
            scope: Some(scope.to_string()),
        });
    }
}

/// `Vec::<u8>::new` -> `Vec::new`: generic arguments out of a path.
fn strip_generics(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    let mut depth = 0usize;
    for c in p.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.replace("::::", "::")
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::super::tests::SRC;
    use super::*;

    #[test]
    fn calls_rest_on_uses_paths_self_and_method_names() {
        let (p, _) = parse(SRC);
        let find = |name: &str| -> Vec<&Ref> { p.refs.iter().filter(|r| r.name == name).collect() };
        // `use pathrs::procfs::{ProcfsBase, ProcfsHandleBuilder}` then `ProcfsHandleBuilder::new()`.
        let new = find("new");
        assert_eq!(new.len(), 1, "{new:?}");
        assert_eq!(
            new[0].via,
            Via::Import {
                path: "pathrs::procfs::ProcfsHandleBuilder".into()
            }
        );
        assert_eq!(new[0].scope.as_deref(), Some("sysctl"));
        // `self.apply()` inside `impl Step for Init`.
        let apply = find("apply")[0];
        assert!(matches!(&apply.via, Via::Typed { ty, .. } if ty.name == "Init"));
        assert_eq!(apply.scope.as_deref(), Some("Init::run"));
        // `Self::count(...)` inside `impl Init`.
        assert_eq!(
            find("count")[0].via,
            Via::Import {
                path: "Init".into()
            }
        );
        // A bare call of the file's own function, a method on a value of unknown type, a path
        // through `use crate::utils`.
        let s = find("sysctl");
        assert_eq!((s[0].via.clone(), s[0].kind), (Via::Local, RefKind::Call));
        assert_eq!(find("open")[0].via, Via::Method);
        assert_eq!(
            find("ensure_dir")[0].via,
            Via::Import {
                path: "crate::utils".into()
            }
        );
        // Inside a macro's tokens: `helper(n)` is a call.
        assert!(
            find("helper")
                .iter()
                .any(|r| r.line == 39 && r.kind == RefKind::Call)
        );
        // `anyhow::anyhow!` and `bail!` are macro calls; `format!` is the prelude's.
        assert!(!find("anyhow").is_empty());
        assert!(find("format").is_empty());
        assert!(find("Ok").is_empty());
    }

    #[test]
    fn use_trees() {
        let (p, _) = parse(
            "use a::b::{self, c::D as E, f};\nuse crate::x::*;\nfn g() { b::h(); E::new(); f(); }\n",
        );
        let via = |n: &str| p.refs.iter().find(|r| r.name == n).unwrap().via.clone();
        assert_eq!(
            via("h"),
            Via::Import {
                path: "a::b".into()
            }
        );
        assert_eq!(
            via("new"),
            Via::Import {
                path: "a::b::c::D".into()
            }
        );
        assert_eq!(
            via("f"),
            Via::Import {
                path: "a::b".into()
            }
        );
    }
}
