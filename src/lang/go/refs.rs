//! Go references, from the tree go.rs already parsed: every call site and every function used as
//! a value, each with its enclosing declaration and what its target rests on (an import, the
//! file's own package, a receiver whose type is known, a method name only); and the named types
//! (struct fields, embedded types, interface methods) that interface dispatch and field walks
//! need. Sees one file only: resolving across files and packages is the xref graph's job.

use std::collections::HashMap;
use std::sync::OnceLock;

use tree_sitter::Node;

use crate::lang::{Field, Parsed, Ref, RefKind, TypeDef, TypeKind, TypeRef, Via};

/// Builtin functions and predeclared types: calls to them (`len(x)`, `string(b)`) name nothing
/// a package defines. `min`, `max` and `clear` are left out: code older than Go 1.21 defines
/// its own.
const BUILTINS: &[&str] = &[
    "any",
    "append",
    "bool",
    "byte",
    "cap",
    "close",
    "complex",
    "complex128",
    "complex64",
    "copy",
    "delete",
    "error",
    "float32",
    "float64",
    "imag",
    "int",
    "int16",
    "int32",
    "int64",
    "int8",
    "len",
    "make",
    "new",
    "panic",
    "print",
    "println",
    "real",
    "recover",
    "rune",
    "string",
    "uint",
    "uint16",
    "uint32",
    "uint64",
    "uint8",
    "uintptr",
];

/// Predeclared values: never a reference to a declaration.
const PREDECLARED_VALUES: &[&str] = &["_", "nil", "true", "false", "iota"];

/// Longest callee text kept in [`Ref::written`]; longer chains keep only the name.
const MAX_WRITTEN: usize = 200;

/// A node's kind by id. `Node::kind` measures and validates a C string on every call, which
/// the walk would do for every node of every file.
fn kind(n: Node) -> &'static str {
    static KINDS: OnceLock<Vec<&'static str>> = OnceLock::new();
    let kinds = KINDS.get_or_init(|| {
        let lang = super::language();
        (0..lang.node_kind_count() as u16)
            .map(|id| lang.node_kind_for_id(id).unwrap_or(""))
            .collect()
    });
    kinds.get(n.kind_id() as usize).copied().unwrap_or("")
}

/// Appends the file's references to `out.refs` and its named types to `out.types`.
pub fn extract(root: Node, src: &[u8], out: &mut Parsed) {
    let mut w = Walker {
        src,
        imports: Imports::default(),
        file_vars: HashMap::new(),
        locals: Vec::new(),
        scope: String::new(),
        refs: Vec::new(),
    };
    let mut cursor = root.walk();
    let tops: Vec<Node> = root.children(&mut cursor).collect();
    for top in &tops {
        match top.kind() {
            "import_declaration" => w.imports.collect(*top, src),
            "type_declaration" => collect_types(*top, &w, &mut out.types),
            _ => {}
        }
    }
    w.bind_file_vars(&tops);
    for top in &tops {
        w.walk_top(*top);
    }
    w.refs.sort_by_key(|a| (a.line, a.col));
    out.refs.append(&mut w.refs);
}

impl Walker<'_> {
    /// Package-level variables of this file, with their type when it shows: `x.M()` in any
    /// function of the file can rest on it.
    fn bind_file_vars(&mut self, tops: &[Node]) {
        for top in tops {
            if top.kind() == "var_declaration" {
                for spec in specs(*top, "var_spec") {
                    let ty = spec
                        .child_by_field_name("type")
                        .and_then(|t| self.type_ref(t))
                        .or_else(|| {
                            let values = spec.child_by_field_name("value")?;
                            let mut c = values.walk();
                            let first = values.named_children(&mut c).next()?;
                            self.expr_type(first)
                        });
                    let mut c = spec.walk();
                    for name in spec.children_by_field_name("name", &mut c) {
                        self.file_vars
                            .insert(self.text(name).to_string(), ty.clone());
                    }
                }
            }
        }
    }

    /// One top-level declaration: its body walked in its own scope.
    fn walk_top(&mut self, top: Node) {
        match top.kind() {
            "function_declaration" => {
                let Some(name) = top.child_by_field_name("name") else {
                    return;
                };
                self.scope = self.text(name).to_string();
                self.locals.clear();
                if let Some(tp) = top.child_by_field_name("type_parameters") {
                    self.bind_params(tp);
                }
                self.bind_signature(top);
                if let Some(body) = top.child_by_field_name("body") {
                    self.walk(body, Role::Other);
                }
            }
            "method_declaration" => {
                let Some(name) = top.child_by_field_name("name") else {
                    return;
                };
                let ident = self.text(name).to_string();
                let recv = top.child_by_field_name("receiver");
                self.scope = match recv.and_then(|r| receiver_text(r, self.src)) {
                    Some(r) if r.starts_with('*') => format!("({r}).{ident}"),
                    Some(r) => format!("{r}.{ident}"),
                    None => ident,
                };
                self.locals.clear();
                if let Some(r) = recv {
                    self.bind_params(r);
                }
                self.bind_signature(top);
                if let Some(body) = top.child_by_field_name("body") {
                    self.walk(body, Role::Other);
                }
            }
            "var_declaration" => {
                for spec in specs(top, "var_spec") {
                    let mut c = spec.walk();
                    let Some(first) = spec.children_by_field_name("name", &mut c).next() else {
                        return;
                    };
                    self.scope = self.text(first).to_string();
                    self.locals.clear();
                    if let Some(v) = spec.child_by_field_name("value") {
                        self.walk(v, Role::Rhs);
                    }
                }
            }
            _ => {}
        }
    }
}

/// The import names of one file: `name -> import path`.
#[derive(Default)]
struct Imports {
    /// Explicit aliases, and for unaliased imports the package name the path suggests.
    by_name: HashMap<String, String>,
}

impl Imports {
    fn collect(&mut self, decl: Node, src: &[u8]) {
        let mut stack = vec![decl];
        while let Some(n) = stack.pop() {
            if n.kind() != "import_spec" {
                let mut c = n.walk();
                stack.extend(n.named_children(&mut c));
                continue;
            }
            let Some(path) = n.child_by_field_name("path") else {
                continue;
            };
            let path = super::decode_string(path.utf8_text(src).unwrap_or(""));
            match n.child_by_field_name("name") {
                Some(a) if a.kind() == "package_identifier" => {
                    self.by_name
                        .insert(a.utf8_text(src).unwrap_or("").to_string(), path);
                }
                // `_` imports name nothing; `.` imports put names in the file scope, which the
                // graph cannot tell from the package's own (left to same-package resolution).
                Some(_) => {}
                None => {
                    for name in default_names(&path) {
                        self.by_name.entry(name).or_insert_with(|| path.clone());
                    }
                }
            }
        }
    }

    fn path_of(&self, name: &str) -> Option<&str> {
        self.by_name.get(name).map(String::as_str)
    }
}

/// The package names an unaliased import path suggests: its last element (`/vN` skipped),
/// and that element without a `go-` prefix, `-go` / `.go` suffix or `.vN` suffix. The real
/// name is in the package's `package` clause; the graph checks it there when none matches.
pub fn default_names(path: &str) -> Vec<String> {
    let mut parts = path.rsplit('/');
    let mut last = parts.next().unwrap_or(path);
    if last.len() > 1 && last.starts_with('v') && last[1..].bytes().all(|b| b.is_ascii_digit()) {
        last = parts.next().unwrap_or(last);
    }
    let mut out = vec![last.to_string()];
    let mut base = last;
    if let Some((head, _)) = base.split_once('.') {
        base = head;
    }
    base = base.strip_prefix("go-").unwrap_or(base);
    base = base.strip_suffix("-go").unwrap_or(base);
    let base = base.replace('-', "_");
    if !out.contains(&base) {
        out.push(base);
    }
    out
}

struct Walker<'a> {
    src: &'a [u8],
    imports: Imports,
    /// Package-level variables declared in this file, with their type when known.
    file_vars: HashMap<String, Option<TypeRef>>,
    /// Names in scope inside the current declaration, innermost last, with their type when known.
    locals: Vec<(String, Option<TypeRef>)>,
    scope: String,
    refs: Vec<Ref>,
}

/// Work items of the iterative walk; iterative so that deeply nested expressions in generated
/// code cannot overflow a worker thread's stack.
enum Task<'t> {
    Visit(Node<'t>, Role),
    /// Leave a block: drop the names declared in it.
    Truncate(usize),
    /// Bind the left side of `:=` / `var` / `range` after its right side was visited.
    Bind(Node<'t>),
}

/// Where a node stands relative to its parent, as far as value references care. Carried down
/// the walk because `Node::parent` searches from the root: calling it per identifier is
/// quadratic on large files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Other,
    /// Read as a value: an argument, a right-hand side, a returned value, a composite
    /// literal's element.
    Value,
    /// The key of a keyed element (`Name:` in `T{Name: x}`).
    Key,
    /// The expression list on the right of `=`/`:=`, of a `var` spec, or of `return`.
    Rhs,
}

/// The role of a child, from its parent's kind and role and the child's field name.
fn child_role(parent: &str, parent_role: Role, field: Option<&str>) -> Role {
    match parent {
        "argument_list" | "variadic_argument" => Role::Value,
        "literal_element" if parent_role != Role::Key => Role::Value,
        "expression_list" if parent_role == Role::Rhs => Role::Value,
        "keyed_element" if field == Some("key") => Role::Key,
        "return_statement" => Role::Rhs,
        "assignment_statement" | "short_var_declaration" if field == Some("right") => Role::Rhs,
        "var_spec" if field == Some("value") => Role::Rhs,
        _ => Role::Other,
    }
}

impl<'a> Walker<'a> {
    fn text(&self, n: Node) -> &'a str {
        n.utf8_text(self.src).unwrap_or("")
    }

    fn local(&self, name: &str) -> Option<&Option<TypeRef>> {
        self.locals
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, t)| t)
    }

    fn bind(&mut self, name: &str, ty: Option<TypeRef>) {
        if name != "_" {
            self.locals.push((name.to_string(), ty));
        }
    }

    /// Binds a function's parameters and named results.
    fn bind_signature(&mut self, f: Node) {
        if let Some(p) = f.child_by_field_name("parameters") {
            self.bind_params(p);
        }
        if let Some(r) = f
            .child_by_field_name("result")
            .filter(|r| r.kind() == "parameter_list")
        {
            self.bind_params(r);
        }
    }

    /// Binds the names of a parameter list (receiver, parameters, type parameters).
    fn bind_params(&mut self, list: Node) {
        let mut c = list.walk();
        for p in list.named_children(&mut c) {
            let ty = match p.kind() {
                "parameter_declaration" => {
                    p.child_by_field_name("type").and_then(|t| self.type_ref(t))
                }
                // `...T` is a slice; type parameters are constraints, not types.
                _ => None,
            };
            let mut c2 = p.walk();
            for name in p.children_by_field_name("name", &mut c2) {
                let name = self.text(name);
                self.bind(name, ty.clone());
            }
        }
    }

    /// A named type as written, pointers and type arguments dropped.
    fn type_ref(&self, t: Node) -> Option<TypeRef> {
        match t.kind() {
            "type_identifier" | "identifier" => Some(TypeRef {
                qualifier: None,
                import: None,
                name: self.text(t).to_string(),
            }),
            "qualified_type" => {
                let q = self.text(t.child_by_field_name("package")?).to_string();
                let name = self.text(t.child_by_field_name("name")?).to_string();
                Some(self.qualified(q, name))
            }
            // `new(pkg.T)` parses its argument as an expression.
            "selector_expression" => {
                let op = t.child_by_field_name("operand")?;
                if op.kind() != "identifier" {
                    return None;
                }
                let q = self.text(op).to_string();
                let name = self.text(t.child_by_field_name("field")?).to_string();
                Some(self.qualified(q, name))
            }
            "pointer_type" | "parenthesized_type" => {
                let mut c = t.walk();
                let inner = t.named_children(&mut c).next()?;
                self.type_ref(inner)
            }
            "unary_expression"
                if t.child_by_field_name("operator")
                    .is_some_and(|o| self.text(o) == "*") =>
            {
                self.type_ref(t.child_by_field_name("operand")?)
            }
            "generic_type" => self.type_ref(t.child_by_field_name("type")?),
            _ => None,
        }
    }

    fn qualified(&self, qualifier: String, name: String) -> TypeRef {
        TypeRef {
            import: self.imports.path_of(&qualifier).map(str::to_string),
            qualifier: Some(qualifier),
            name,
        }
    }

    /// The type of an expression when it shows in the expression itself.
    fn expr_type(&self, e: Node) -> Option<TypeRef> {
        match e.kind() {
            "composite_literal" => self.type_ref(e.child_by_field_name("type")?),
            "unary_expression" => {
                let op = self.text(e.child_by_field_name("operator")?);
                (op == "&")
                    .then(|| self.expr_type(e.child_by_field_name("operand")?))
                    .flatten()
            }
            "parenthesized_expression" => {
                let mut c = e.walk();
                let inner = e.named_children(&mut c).next()?;
                self.expr_type(inner)
            }
            "type_assertion_expression" => self.type_ref(e.child_by_field_name("type")?),
            "call_expression" => {
                let f = e.child_by_field_name("function")?;
                if f.kind() != "identifier" || self.text(f) != "new" || self.local("new").is_some()
                {
                    return None;
                }
                let args = e.child_by_field_name("arguments")?;
                let mut c = args.walk();
                let first = args.named_children(&mut c).next()?;
                self.type_ref(first)
            }
            "identifier" => {
                let name = self.text(e);
                match self.local(name) {
                    Some(t) => t.clone(),
                    None => self.file_vars.get(name).cloned().flatten(),
                }
            }
            _ => None,
        }
    }

    fn walk(&mut self, root: Node, role: Role) {
        let mut stack = vec![Task::Visit(root, role)];
        // One cursor for the whole walk: a cursor per node allocates.
        let mut cur = root.walk();
        while let Some(task) = stack.pop() {
            let (n, role) = match task {
                Task::Truncate(len) => {
                    self.locals.truncate(len);
                    continue;
                }
                Task::Bind(n) => {
                    self.bind_left(n);
                    continue;
                }
                Task::Visit(n, role) => (n, role),
            };
            let k = kind(n);
            if !self.enter(n, k, role, &mut stack) {
                continue;
            }
            cur.reset(n);
            let at = stack.len();
            if cur.goto_first_child() {
                loop {
                    let r = child_role(k, role, cur.field_name());
                    stack.push(Task::Visit(cur.node(), r));
                    if !cur.goto_next_sibling() {
                        break;
                    }
                }
            }
            stack[at..].reverse();
        }
    }

    /// What visiting `n` does before its children: scopes opened, names bound, calls and
    /// value references recorded. `false` when its children are not to be walked.
    fn enter<'t>(&mut self, n: Node<'t>, k: &str, role: Role, stack: &mut Vec<Task<'t>>) -> bool {
        match k {
            "block"
            | "if_statement"
            | "for_statement"
            | "expression_switch_statement"
            | "type_switch_statement"
            | "select_statement"
            | "expression_case"
            | "type_case"
            | "default_case"
            | "communication_case" => {
                stack.push(Task::Truncate(self.locals.len()));
                if k == "type_switch_statement"
                    && let Some(alias) = n.child_by_field_name("alias")
                {
                    let mut c = alias.walk();
                    let names: Vec<&str> =
                        alias.named_children(&mut c).map(|a| self.text(a)).collect();
                    for name in names {
                        self.bind(name, None);
                    }
                }
            }
            "func_literal" => {
                stack.push(Task::Truncate(self.locals.len()));
                self.bind_signature(n);
                if let Some(b) = n.child_by_field_name("body") {
                    stack.push(Task::Visit(b, Role::Other));
                }
                return false;
            }
            "short_var_declaration" | "range_clause" | "receive_statement" => {
                stack.push(Task::Bind(n));
                if let Some(r) = n.child_by_field_name("right") {
                    let role = if k == "short_var_declaration" {
                        Role::Rhs
                    } else {
                        Role::Other
                    };
                    stack.push(Task::Visit(r, role));
                }
                return false;
            }
            "var_spec" => {
                stack.push(Task::Bind(n));
                if let Some(v) = n.child_by_field_name("value") {
                    stack.push(Task::Visit(v, Role::Rhs));
                }
                return false;
            }
            "const_declaration" | "type_declaration" => return false,
            "call_expression" => self.on_call(n),
            "identifier" => {
                if role == Role::Value {
                    self.on_value_ident(n);
                }
                return false;
            }
            "selector_expression" if role == Role::Value => self.on_value_selector(n),
            // Literals hold no references; skip their contents.
            "interpreted_string_literal" | "raw_string_literal" | "comment" => return false,
            _ => {}
        }
        true
    }

    /// Declares the names on the left of `:=`, `var`, `range ... :=`, `case v := <-ch`.
    fn bind_left(&mut self, n: Node) {
        match n.kind() {
            "var_spec" => {
                let declared = n.child_by_field_name("type").and_then(|t| self.type_ref(t));
                let values: Vec<Node> = n
                    .child_by_field_name("value")
                    .map(|v| {
                        let mut c = v.walk();
                        v.named_children(&mut c).collect()
                    })
                    .unwrap_or_default();
                let mut c = n.walk();
                let names: Vec<Node> = n.children_by_field_name("name", &mut c).collect();
                for (i, name) in names.iter().enumerate() {
                    let ty = declared.clone().or_else(|| {
                        (values.len() == names.len())
                            .then(|| self.expr_type(values[i]))
                            .flatten()
                    });
                    let name = self.text(*name);
                    self.bind(name, ty);
                }
            }
            _ => {
                let defines = {
                    let mut c = n.walk();
                    n.children(&mut c).any(|ch| ch.kind() == ":=")
                };
                if !defines && n.kind() != "short_var_declaration" {
                    return;
                }
                let Some(left) = n.child_by_field_name("left") else {
                    return;
                };
                let rights: Vec<Node> = match n.child_by_field_name("right") {
                    Some(r) if r.kind() == "expression_list" => {
                        let mut c = r.walk();
                        r.named_children(&mut c).collect()
                    }
                    _ => Vec::new(),
                };
                let mut c = left.walk();
                let names: Vec<Node> = left.named_children(&mut c).collect();
                let typed = n.kind() == "short_var_declaration" && rights.len() == names.len();
                for (i, name) in names.iter().enumerate() {
                    if name.kind() != "identifier" {
                        continue;
                    }
                    let ty = if typed {
                        self.expr_type(rights[i])
                    } else {
                        None
                    };
                    let name = self.text(*name);
                    self.bind(name, ty);
                }
            }
        }
    }

    fn push_ref(&mut self, name_node: Node, whole: Node, kind: RefKind, via: Via) {
        let name = self.text(name_node).to_string();
        let whole_text = self.text(whole);
        let written = if whole_text == name || whole_text.len() > MAX_WRITTEN {
            String::new()
        } else if whole_text.contains(char::is_whitespace) {
            whole_text.split_whitespace().collect()
        } else {
            whole_text.to_string()
        };
        self.refs.push(Ref {
            line: name_node.start_position().row as u32 + 1,
            col: name_node.start_position().column as u32 + 1,
            name,
            written,
            kind,
            via,
            scope: Some(self.scope.clone()),
        });
    }

    fn on_call(&mut self, call: Node) {
        let Some(mut f) = call.child_by_field_name("function") else {
            return;
        };
        // `(f)(x)`, `F[int](x)`: the name inside.
        loop {
            match f.kind() {
                "parenthesized_expression" => {
                    let mut c = f.walk();
                    match f.named_children(&mut c).next() {
                        Some(inner) => f = inner,
                        None => return,
                    }
                }
                "index_expression" => match f.child_by_field_name("operand") {
                    Some(op) => f = op,
                    None => return,
                },
                "type_instantiation_expression" => match f.child_by_field_name("type") {
                    Some(t) => f = t,
                    None => return,
                },
                _ => break,
            }
        }
        match f.kind() {
            "identifier" => {
                let name = self.text(f);
                // A closure held in a local, or a builtin: nothing a package declares.
                if self.local(name).is_some() || BUILTINS.contains(&name) {
                    return;
                }
                self.push_ref(f, f, RefKind::Call, Via::Local);
            }
            "selector_expression" => {
                let Some(field) = f.child_by_field_name("field") else {
                    return;
                };
                let via = self.receiver_via(f.child_by_field_name("operand"));
                self.push_ref(field, f, RefKind::Call, via);
            }
            _ => {}
        }
    }

    /// What `operand` in `operand.M` rests on.
    fn receiver_via(&self, operand: Option<Node>) -> Via {
        let Some(op) = operand else {
            return Via::Method;
        };
        // Walk `x.f.g` down to its root, collecting the fields.
        let mut fields = Vec::new();
        let mut root = op;
        while root.kind() == "selector_expression" {
            let (Some(o), Some(fl)) = (
                root.child_by_field_name("operand"),
                root.child_by_field_name("field"),
            ) else {
                return Via::Method;
            };
            fields.push(self.text(fl).to_string());
            root = o;
        }
        fields.reverse();
        if root.kind() == "identifier" {
            let name = self.text(root);
            if let Some(local) = self.local(name) {
                return match local {
                    Some(ty) => Via::Typed {
                        ty: ty.clone(),
                        fields,
                    },
                    None => Via::Method,
                };
            }
            if let Some(path) = self.imports.path_of(name) {
                // `pkg.F()`; `pkg.Var.M()` rests on a variable of unknown type.
                return if fields.is_empty() {
                    Via::Import {
                        path: path.to_string(),
                    }
                } else {
                    Via::Method
                };
            }
            if let Some(var) = self.file_vars.get(name) {
                return match var {
                    Some(ty) => Via::Typed {
                        ty: ty.clone(),
                        fields,
                    },
                    None => Via::Method,
                };
            }
            return if fields.is_empty() {
                Via::Qualified {
                    qualifier: name.to_string(),
                }
            } else {
                Via::Method
            };
        }
        match self.expr_type(root) {
            Some(ty) => Via::Typed { ty, fields },
            None => Via::Method,
        }
    }

    /// An identifier read as a value.
    fn on_value_ident(&mut self, n: Node) {
        let name = self.text(n);
        if PREDECLARED_VALUES.contains(&name)
            || self.local(name).is_some()
            || self.imports.path_of(name).is_some()
        {
            return;
        }
        self.push_ref(n, n, RefKind::Value, Via::Local);
    }

    /// `pkg.F` as a value. Method values (`x.M` unqualified) are not recorded: from one file
    /// they cannot be told from field reads, which are far more common.
    fn on_value_selector(&mut self, n: Node) {
        let (Some(op), Some(field)) = (
            n.child_by_field_name("operand"),
            n.child_by_field_name("field"),
        ) else {
            return;
        };
        if op.kind() != "identifier" {
            return;
        }
        let q = self.text(op);
        if self.local(q).is_some() {
            return;
        }
        let name = self.text(field);
        // Exported upper-case-only names (`unix.O_RDONLY`) are constants by convention.
        if name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        {
            return;
        }
        if let Some(path) = self.imports.path_of(q) {
            let via = Via::Import {
                path: path.to_string(),
            };
            self.push_ref(field, n, RefKind::Value, via);
        }
    }
}

/// The specs of a `var`/`const`/`type` declaration, grouped or not.
fn specs<'t>(decl: Node<'t>, kind: &str) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    let mut stack = vec![decl];
    while let Some(n) = stack.pop() {
        if n.kind() == kind {
            out.push(n);
            continue;
        }
        let mut c = n.walk();
        stack.extend(n.named_children(&mut c));
    }
    out.sort_by_key(|n| n.start_byte());
    out
}

/// The receiver type as go.rs names methods: `*T` or `T`, type arguments dropped.
fn receiver_text(params: Node, src: &[u8]) -> Option<String> {
    let mut c = params.walk();
    let p = params
        .named_children(&mut c)
        .find(|p| p.kind() == "parameter_declaration")?;
    let s = p.child_by_field_name("type")?.utf8_text(src).ok()?;
    Some(s.split('[').next().unwrap_or(s).to_string())
}

fn collect_types(decl: Node, w: &Walker, out: &mut Vec<TypeDef>) {
    let mut nodes = specs(decl, "type_spec");
    nodes.extend(specs(decl, "type_alias"));
    nodes.sort_by_key(|n| n.start_byte());
    for spec in nodes {
        let (Some(name), Some(ty)) = (
            spec.child_by_field_name("name"),
            spec.child_by_field_name("type"),
        ) else {
            continue;
        };
        let mut def = TypeDef {
            name: w.text(name).to_string(),
            kind: TypeKind::Other,
            line: spec.start_position().row as u32 + 1,
            methods: Vec::new(),
            embeds: Vec::new(),
            fields: Vec::new(),
        };
        if spec.kind() == "type_alias" {
            def.kind = TypeKind::Alias;
            def.embeds.extend(w.type_ref(ty));
        } else if ty.kind() == "struct_type" {
            def.kind = TypeKind::Struct;
            for fd in specs(ty, "field_declaration") {
                let Some(fty) = fd.child_by_field_name("type") else {
                    continue;
                };
                let tref = w.type_ref(fty);
                let mut c = fd.walk();
                let names: Vec<Node> = fd.children_by_field_name("name", &mut c).collect();
                if names.is_empty() {
                    def.embeds.extend(tref);
                } else if let Some(tref) = tref {
                    for n in names {
                        def.fields.push(Field {
                            name: w.text(n).to_string(),
                            ty: tref.clone(),
                        });
                    }
                }
            }
        } else if ty.kind() == "interface_type" {
            def.kind = TypeKind::Interface;
            let mut c = ty.walk();
            for el in ty.named_children(&mut c) {
                match el.kind() {
                    "method_elem" => {
                        if let Some(n) = el.child_by_field_name("name") {
                            def.methods.push(w.text(n).to_string());
                        }
                    }
                    "type_elem" => {
                        let mut c2 = el.walk();
                        let parts: Vec<Node> = el.named_children(&mut c2).collect();
                        // A union (`int | string`) is a constraint, not an embedded interface.
                        if let [one] = parts.as_slice() {
                            def.embeds.extend(w.type_ref(*one));
                        }
                    }
                    _ => {}
                }
            }
        }
        out.push(def);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::go::parse;

    fn refs(src: &str) -> Vec<Ref> {
        parse(src).0.refs
    }

    fn find<'r>(refs: &'r [Ref], name: &str) -> Vec<&'r Ref> {
        refs.iter().filter(|r| r.name == name).collect()
    }

    const INIT: &str = r#"package libcontainer

import (
	"fmt"
	"os"

	"github.com/example/runc/internal/sys"
	cfg "github.com/example/runc/libcontainer/configs"
	"github.com/example/runtime-spec/specs-go"
	securejoin "github.com/example/filepath-securejoin"
)

type initer interface {
	Init() error
}

type linuxStandardInit struct {
	pipe   *os.File
	config *initConfig
	cfg.Hooks
}

var defaultInit = &linuxStandardInit{}

func (l *linuxStandardInit) Init() error {
	// sys.WriteSysctls in a comment is not a call
	if err := sys.WriteSysctls(l.config.Config.Sysctl); err != nil {
		return fmt.Errorf("write sysctls: %w", err)
	}
	l.config.Config.Validate()
	return l.finish(specs.Version)
}

func containerInit(t string, config *initConfig, pipe *os.File) error {
	var i initer
	switch t {
	case "standard":
		s := &linuxStandardInit{pipe: pipe, config: config}
		return s.Init()
	}
	i = pick(t)
	cb := func() error { return nil }
	_ = cb()
	n := len(t)
	_ = string(rune(n))
	x := new(cfg.Config)
	x.Load()
	v := any(x).(*cfg.Mount)
	v.Apply()
	securejoin.SecureJoin("/", t)
	defaultInit.Init()
	register(startInit, os.Exit)
	return i.Init()
}
"#;

    #[test]
    fn calls_rest_on_imports_receivers_and_locals() {
        let (p, _) = parse(INIT);
        let r = &p.refs;
        let w = find(r, "WriteSysctls");
        assert_eq!(w.len(), 1, "{w:?}");
        let w = w[0];
        assert_eq!((w.line, w.col, w.kind), (27, 16, RefKind::Call));
        assert_eq!(w.written(), "sys.WriteSysctls");
        assert_eq!(
            w.via,
            Via::Import {
                path: "github.com/example/runc/internal/sys".into()
            }
        );
        assert_eq!(w.scope.as_deref(), Some("(*linuxStandardInit).Init"));

        let errorf = find(r, "Errorf")[0];
        assert_eq!(errorf.via, Via::Import { path: "fmt".into() });

        // `l` is the receiver: its field chain is recorded for the graph to walk.
        let validate = find(r, "Validate")[0];
        assert_eq!(
            validate.via,
            Via::Typed {
                ty: TypeRef {
                    qualifier: None,
                    import: None,
                    name: "linuxStandardInit".into()
                },
                fields: vec!["config".into(), "Config".into()],
            }
        );
        let finish = find(r, "finish")[0];
        assert!(
            matches!(&finish.via, Via::Typed { ty, fields } if ty.name == "linuxStandardInit" && fields.is_empty())
        );

        // `s := &linuxStandardInit{...}` types `s`; `var i initer` types `i`.
        let inits = find(r, "Init");
        let vias: Vec<(u32, &Via)> = inits.iter().map(|r| (r.line, &r.via)).collect();
        assert_eq!(inits.len(), 3, "{vias:?}");
        assert!(matches!(&inits[0].via, Via::Typed { ty, .. } if ty.name == "linuxStandardInit"));
        assert_eq!(inits[0].scope.as_deref(), Some("containerInit"));
        // A package-level `var defaultInit = &linuxStandardInit{}`.
        assert!(matches!(&inits[1].via, Via::Typed { ty, .. } if ty.name == "linuxStandardInit"));
        assert!(matches!(&inits[2].via, Via::Typed { ty, .. } if ty.name == "initer"));

        // `new(cfg.Config)` and `x.(*cfg.Mount)`, through an alias.
        let load = find(r, "Load")[0];
        assert!(
            matches!(&load.via, Via::Typed { ty, .. } if ty.name == "Config"
            && ty.import.as_deref() == Some("github.com/example/runc/libcontainer/configs"))
        );
        let apply = find(r, "Apply")[0];
        assert!(matches!(&apply.via, Via::Typed { ty, .. } if ty.name == "Mount"));

        // An aliased import, and the local closure and builtins that are not references.
        assert_eq!(
            find(r, "SecureJoin")[0].via,
            Via::Import {
                path: "github.com/example/filepath-securejoin".into()
            }
        );
        assert!(find(r, "cb").is_empty());
        assert!(find(r, "len").is_empty());
        assert!(find(r, "string").is_empty());
        assert_eq!(find(r, "pick")[0].via, Via::Local);

        // Functions passed as values.
        let start = find(r, "startInit")[0];
        assert_eq!((start.kind, &start.via), (RefKind::Value, &Via::Local));
        let exit = find(r, "Exit")[0];
        assert_eq!(exit.kind, RefKind::Value);
        assert_eq!(exit.written(), "os.Exit");
        // `specs-go` is imported as `specs`.
        assert!(
            matches!(&find(r, "Version")[0].via, Via::Import { path } if path.ends_with("specs-go"))
        );
        // Locals are not references.
        assert!(find(r, "pipe").iter().all(|r| r.kind == RefKind::Call));
        assert!(find(r, "config").is_empty());
    }

    #[test]
    fn types_record_fields_embeds_and_interface_methods() {
        let (p, _) = parse(INIT);
        let iface = p.types.iter().find(|t| t.name == "initer").unwrap();
        assert_eq!(
            (iface.kind, iface.methods.as_slice()),
            (TypeKind::Interface, &["Init".to_string()][..])
        );
        let st = p
            .types
            .iter()
            .find(|t| t.name == "linuxStandardInit")
            .unwrap();
        assert_eq!(st.kind, TypeKind::Struct);
        let fields: Vec<(&str, &str)> = st
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.ty.name.as_str()))
            .collect();
        assert_eq!(fields, [("pipe", "File"), ("config", "initConfig")]);
        assert_eq!(st.embeds.len(), 1);
        assert_eq!(st.embeds[0].name, "Hooks");
        assert_eq!(
            st.embeds[0].import.as_deref(),
            Some("github.com/example/runc/libcontainer/configs")
        );
    }

    #[test]
    fn urfave_cli_actions_are_value_references_in_their_var() {
        let src = r#"package main

import "github.com/urfave/cli"

var runCommand = cli.Command{
	Name:  "run",
	Usage: "create and run a container",
	Action: func(context *cli.Context) error {
		if err := checkArgs(context, 1, exactArgs); err != nil {
			return err
		}
		return startContainer(context, CT_ACT_RUN)
	},
}

var deleteCommand = cli.Command{Name: "delete", Action: deleteAction}

func main() {
	app := cli.NewApp()
	app.Commands = []cli.Command{runCommand, deleteCommand}
	_ = app.Run(nil)
}
"#;
        let r = refs(src);
        let start = find(&r, "startContainer")[0];
        assert_eq!(
            (start.line, start.scope.as_deref()),
            (12, Some("runCommand"))
        );
        let del = find(&r, "deleteAction")[0];
        assert_eq!(
            (del.kind, del.scope.as_deref()),
            (RefKind::Value, Some("deleteCommand"))
        );
        // The field name `Action` is a key, not a reference.
        assert!(find(&r, "Action").is_empty());
        let run = find(&r, "runCommand")[0];
        assert_eq!(
            (run.kind, run.scope.as_deref()),
            (RefKind::Value, Some("main"))
        );
        // `app := cli.NewApp()` is a local of unknown type: method name only.
        assert_eq!(find(&r, "Run")[0].via, Via::Method);
        assert_eq!(
            find(&r, "NewApp")[0].via,
            Via::Import {
                path: "github.com/urfave/cli".into()
            }
        );
    }

    #[test]
    fn named_results_are_locals() {
        let r = refs(
            "package p\n\nfunc labels() (processLabel, fileLabel string) {\n\treturn \"\", fileLabel\n}\n\nfunc fileLabel() {}\n",
        );
        assert!(find(&r, "fileLabel").is_empty(), "{r:?}");
    }

    #[test]
    fn unknown_qualifiers_are_left_to_the_graph() {
        let r = refs(
            "package p\n\nimport \"example.com/x/filepath-securejoin\"\n\nfunc f() { securejoin.SecureJoin(\"a\", \"b\") }\n",
        );
        assert_eq!(
            find(&r, "SecureJoin")[0].via,
            Via::Qualified {
                qualifier: "securejoin".into()
            }
        );
    }

    #[test]
    fn facts_round_trip_through_json_and_older_facts_still_load() {
        let (p, _) = parse(INIT);
        let json = serde_json::to_string(&p).unwrap();
        let back: Parsed = serde_json::from_str(&json).unwrap();
        // Comment and string regions are stored apart from the facts (in the blob record).
        let mut want = p.clone();
        want.regions.clear();
        assert_eq!(back, want);
        // Facts stored before references existed.
        let old: Parsed = serde_json::from_str(
            r#"{"package":"sys","imports":[],"decls":[],"strings":[{"line":3,"value":"x","callee":null,"field":null,"var":null}],"calls":[],"error_nodes":0}"#,
        )
        .unwrap();
        assert!(old.refs.is_empty() && old.types.is_empty() && old.sources.is_empty());
        assert_eq!(old.strings[0].col, 0);
    }

    #[test]
    fn default_import_names() {
        assert_eq!(default_names("fmt"), ["fmt"]);
        assert_eq!(
            default_names("github.com/coreos/go-systemd/v22/dbus"),
            ["dbus"]
        );
        assert_eq!(default_names("gopkg.in/yaml.v3"), ["yaml.v3", "yaml"]);
        assert_eq!(
            default_names("github.com/opencontainers/selinux/go-selinux"),
            ["go-selinux", "selinux"]
        );
        assert_eq!(
            default_names("github.com/x/specs-go"),
            ["specs-go", "specs"]
        );
    }
}
