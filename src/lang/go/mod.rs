//! Go, parsed with tree-sitter-go: package, imports, declarations, string literals with their
//! context, calls. Keeps one parser per thread.

pub mod refs;

use std::cell::RefCell;

use tree_sitter::{Node, Parser, Tree};

use crate::lang::{
    Call, Decl, DeclKind, ErrorFormat, Lang, Language, ParseKind, Parsed, Region, RegionKind,
    StringLit,
};

/// Go.
pub struct Go;

/// Callees whose string arguments are error texts.
const ERROR_CALLEES: &[&str] = &[
    "fmt.Errorf",
    "errors.New",
    "fmt.Sprintf",
    "errors.Wrap",
    "errors.Wrapf",
    "errors.Errorf",
    "pkgerrors.Wrap",
    "pkgerrors.Wrapf",
    "os.NewSyscallError",
    "xerrors.Errorf",
];

impl Language for Go {
    fn lang(&self) -> Lang {
        Lang::Go
    }
    fn detects(&self, path: &str, _first_line: &str) -> bool {
        path.ends_with(".go")
    }
    fn grammar(&self) -> Option<tree_sitter::Language> {
        Some(language())
    }
    fn case_extensions(&self) -> &'static [&'static str] {
        &["go"]
    }
    fn parse(&self, src: &str) -> (Parsed, Option<Tree>) {
        parse(src)
    }
    fn reparse(&self, src: &str, old: Option<(&Tree, &str)>) -> (Parsed, Option<Tree>, ParseKind) {
        reparse(src, old)
    }

    /// String literal values, or identifiers with their package qualifier dropped
    /// (`unix.RESOLVE_NO_XDEV` -> `RESOLVE_NO_XDEV`).
    fn fact_values(&self, node: Node, src: &str) -> Vec<String> {
        fact_values(node, src)
    }

    /// fmt.Errorf / errors.New (sentinels) / os.NewSyscallError texts, and os.PathError `Op`s
    /// (`Op + " " + Path`); a trailing `: %w` is the rest of the chain, not this segment.
    fn error_format(&self, l: &StringLit) -> Option<ErrorFormat> {
        if l.field.as_deref() == Some("Op") {
            let f = format!("{} %s", l.value);
            return Some(ErrorFormat {
                pattern: f.clone(),
                format: f,
                kind: "os.PathError Op".into(),
            });
        }
        let callee = l.callee.as_deref().unwrap_or("");
        let short = callee.rsplit('.').next().unwrap_or(callee);
        let is_error = ERROR_CALLEES.contains(&callee)
            || matches!(
                short,
                "Errorf" | "New" | "Wrap" | "Wrapf" | "NewSyscallError"
            );
        if !is_error {
            return None;
        }
        let mut f = l.value.clone();
        for suffix in [": %w", ": %v", ": %s", ": %+v"] {
            if let Some(x) = f.strip_suffix(suffix) {
                f = x.to_string();
                break;
            }
        }
        for prefix in ["%w: ", "%v: ", "%s: "] {
            if let Some(x) = f.strip_prefix(prefix) {
                f = x.to_string();
                break;
            }
        }
        if f.trim().is_empty() || !f.chars().any(char::is_alphabetic) {
            return None;
        }
        let kind = match (&l.var, short) {
            (Some(v), _) => format!("sentinel {v} = {callee}"),
            (None, "NewSyscallError") => "os.NewSyscallError".to_string(),
            _ => callee.to_string(),
        };
        Some(ErrorFormat {
            pattern: f.clone(),
            format: f,
            kind,
        })
    }
    fn refs(&self) -> crate::lang::Refs {
        crate::lang::Refs::GoPackages
    }
}

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut p = Parser::new();
        p.set_language(&tree_sitter_go::LANGUAGE.into()).expect("tree-sitter-go matches the tree-sitter version");
        p
    });
}

/// The tree-sitter-go grammar.
pub fn language() -> tree_sitter::Language {
    tree_sitter_go::LANGUAGE.into()
}

/// Parses Go source with this thread's parser.
pub fn parse_tree(src: &str) -> Option<Tree> {
    PARSER.with(|p| p.borrow_mut().parse(src, None))
}

/// Parses and extracts; `tree` is returned too so rules can run on it.
pub fn parse(src: &str) -> (Parsed, Option<Tree>) {
    let Some(tree) = parse_tree(src) else {
        return (Parsed::default(), None);
    };
    let out = extract(&tree, src);
    (out, Some(tree))
}

/// Parses `src` reusing the tree of a previous version of the same file (`old`: its tree and
/// text): the line diff becomes tree-sitter edits, so only what changed is parsed again. When
/// the reparsed tree holds errors, or the versions share little, it is a full parse.
pub fn reparse(src: &str, old: Option<(&Tree, &str)>) -> (Parsed, Option<Tree>, ParseKind) {
    let Some((old_tree, old_src)) = old else {
        let (p, t) = parse(src);
        return (p, t, ParseKind::Full);
    };
    let Some(edits) = crate::lang::line_edits(old_src, src) else {
        let (p, t) = parse(src);
        return (p, t, ParseKind::Full);
    };
    let mut edited = old_tree.clone();
    for e in &edits {
        edited.edit(e);
    }
    let tree = PARSER.with(|p| p.borrow_mut().parse(src, Some(&edited)));
    match tree {
        Some(t) if !t.root_node().has_error() => {
            let out = extract(&t, src);
            (out, Some(t), ParseKind::Incremental)
        }
        _ => {
            let (p, t) = parse(src);
            (p, t, ParseKind::Fallback)
        }
    }
}

/// Node kinds the extraction looks for, by id (comparing ids, not names, on every node).
struct Kinds {
    package_clause: u16,
    import_declaration: u16,
    function_declaration: u16,
    method_declaration: u16,
    type_declaration: u16,
    const_declaration: u16,
    var_declaration: u16,
    interpreted_string: u16,
    raw_string: u16,
    rune: u16,
    comment: u16,
    call_expression: u16,
    argument_list: u16,
    keyed_element: u16,
    var_spec: u16,
    const_spec: u16,
    func_literal: u16,
    block: u16,
    source_file: u16,
}

fn kinds() -> &'static Kinds {
    static K: std::sync::OnceLock<Kinds> = std::sync::OnceLock::new();
    K.get_or_init(|| {
        let l = language();
        let id = |name: &str| l.id_for_node_kind(name, true);
        Kinds {
            package_clause: id("package_clause"),
            import_declaration: id("import_declaration"),
            function_declaration: id("function_declaration"),
            method_declaration: id("method_declaration"),
            type_declaration: id("type_declaration"),
            const_declaration: id("const_declaration"),
            var_declaration: id("var_declaration"),
            interpreted_string: id("interpreted_string_literal"),
            raw_string: id("raw_string_literal"),
            rune: id("rune_literal"),
            comment: id("comment"),
            call_expression: id("call_expression"),
            argument_list: id("argument_list"),
            keyed_element: id("keyed_element"),
            var_spec: id("var_spec"),
            const_spec: id("const_spec"),
            func_literal: id("func_literal"),
            block: id("block"),
            source_file: id("source_file"),
        }
    })
}

/// The facts of a parsed file: package, imports, declarations, then one cursor walk over every
/// node for literals (with their context), calls, comments and error nodes. The walk keeps its
/// ancestors on a stack: `Node::parent` walks down from the root each time, which made giant
/// generated tables (string concatenations hundreds of levels deep) cost cubic time.
pub fn extract(tree: &Tree, src: &str) -> Parsed {
    let mut out = Parsed::default();
    let root = tree.root_node();
    let bytes = src.as_bytes();
    out.first_error = crate::lang::syntax_errors(root).1;
    top_level(root, bytes, &mut out);
    let k = kinds();
    let mut ancestors: Vec<Node> = Vec::new();
    let mut cursor = root.walk();
    loop {
        let n = cursor.node();
        if n.is_error() || n.is_missing() {
            out.error_nodes += 1;
        }
        let id = n.kind_id();
        let mut descend = true;
        if id == k.interpreted_string || id == k.raw_string {
            string_literal(n, &ancestors, bytes, &mut out);
            descend = false;
        } else if id == k.rune {
            out.regions.push(region(n, RegionKind::String));
        } else if id == k.comment {
            out.regions.push(region(n, RegionKind::Comment));
        } else if id == k.call_expression
            && let Some(f) = n.child_by_field_name("function")
        {
            let callee = f.utf8_text(bytes).unwrap_or("");
            if callee.len() <= 200 {
                out.calls.push(Call {
                    line: n.start_position().row as u32 + 1,
                    callee: callee.to_string(),
                });
            }
        }
        if descend && cursor.goto_first_child() {
            ancestors.push(n);
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                // `bench-no-refs`: a build for benches/xref-index.sh only, measuring what
                // the reference extraction adds to indexing.
                #[cfg(not(feature = "bench-no-refs"))]
                refs::extract(root, bytes, &mut out);
                out.strings
                    .sort_by(|a, b| a.line.cmp(&b.line).then_with(|| a.value.cmp(&b.value)));
                out.calls
                    .sort_by(|a, b| a.line.cmp(&b.line).then_with(|| a.callee.cmp(&b.callee)));
                out.regions.sort_by_key(|r| (r.start, r.end));
                return out;
            }
            ancestors.pop();
        }
    }
}

fn region(n: Node, kind: RegionKind) -> Region {
    Region {
        start: n.start_byte() as u32,
        end: n.end_byte() as u32,
        kind,
    }
}

fn string_literal(n: Node, ancestors: &[Node], bytes: &[u8], out: &mut Parsed) {
    out.regions.push(region(n, RegionKind::String));
    let value = decode_string(n.utf8_text(bytes).unwrap_or(""));
    if value.chars().any(char::is_alphabetic) {
        let (callee, field, var) = literal_context(n, ancestors, bytes);
        out.strings.push(StringLit {
            line: n.start_position().row as u32 + 1,
            col: n.start_position().column as u32 + 1,
            value,
            callee,
            field,
            var,
        });
    }
}

/// Package, imports and declarations: the file's top-level children; and whether a
/// `// Code generated ... DO NOT EDIT.` line comes before the package clause.
fn top_level(root: Node, bytes: &[u8], out: &mut Parsed) {
    let k = kinds();
    let text = |n: Node| n.utf8_text(bytes).unwrap_or("").to_string();
    let line = |n: Node| n.start_position().row as u32 + 1;
    let end_line = |n: Node| n.end_position().row as u32 + 1;
    let mut before_package = true;
    let mut cursor = root.walk();
    for top in root.children(&mut cursor) {
        let id = top.kind_id();
        if id == k.comment {
            if before_package && is_generated_marker(top.utf8_text(bytes).unwrap_or("")) {
                out.generated = true;
            }
        } else if id == k.package_clause {
            before_package = false;
            out.package = top.named_child(0).map(text);
        } else if id == k.import_declaration {
            collect_imports(top, bytes, &mut out.imports);
        } else if id == k.function_declaration {
            if let Some(n) = top.child_by_field_name("name") {
                let name = text(n);
                out.decls.push(Decl {
                    kind: DeclKind::Func,
                    ident: name.clone(),
                    name,
                    start: line(top),
                    end: end_line(top),
                });
            }
        } else if id == k.method_declaration {
            if let Some(n) = top.child_by_field_name("name") {
                let ident = text(n);
                let recv = top
                    .child_by_field_name("receiver")
                    .and_then(|r| receiver_type(r, bytes));
                let name = match recv {
                    Some(r) if r.starts_with('*') => format!("({r}).{ident}"),
                    Some(r) => format!("{r}.{ident}"),
                    None => ident.clone(),
                };
                out.decls.push(Decl {
                    kind: DeclKind::Method,
                    ident,
                    name,
                    start: line(top),
                    end: end_line(top),
                });
            }
        } else if id == k.type_declaration || id == k.const_declaration || id == k.var_declaration {
            let kind = if id == k.type_declaration {
                DeclKind::Type
            } else if id == k.const_declaration {
                DeclKind::Const
            } else {
                DeclKind::Var
            };
            collect_specs(top, bytes, kind, &mut out.decls);
        } else {
            before_package = before_package && top.is_extra();
        }
    }
}

/// Go's convention for generated files: a line `// Code generated ... DO NOT EDIT.`.
fn is_generated_marker(comment: &str) -> bool {
    comment.lines().any(|l| {
        let l = l.trim_end_matches('\r');
        l.starts_with("// Code generated ") && l.ends_with(" DO NOT EDIT.")
    })
}

fn collect_imports(n: Node, src: &[u8], out: &mut Vec<String>) {
    let mut stack = vec![n];
    while let Some(n) = stack.pop() {
        if n.kind() == "import_spec" {
            if let Some(p) = n.child_by_field_name("path") {
                out.push(decode_string(p.utf8_text(src).unwrap_or("")));
            }
            continue;
        }
        let mut c = n.walk();
        stack.extend(n.children(&mut c));
    }
    out.sort();
}

fn collect_specs(n: Node, src: &[u8], kind: DeclKind, out: &mut Vec<Decl>) {
    let mut stack = vec![n];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "type_spec" | "type_alias" | "const_spec" | "var_spec" => {
                let mut c = n.walk();
                for name in n.children_by_field_name("name", &mut c) {
                    let ident = name.utf8_text(src).unwrap_or("").to_string();
                    out.push(Decl {
                        kind,
                        name: ident.clone(),
                        ident,
                        start: n.start_position().row as u32 + 1,
                        end: n.end_position().row as u32 + 1,
                    });
                }
            }
            _ => {
                let mut c = n.walk();
                stack.extend(n.children(&mut c));
            }
        }
    }
}

fn receiver_type(params: Node, src: &[u8]) -> Option<String> {
    let mut c = params.walk();
    let p = params
        .named_children(&mut c)
        .find(|p| p.kind() == "parameter_declaration")?;
    let t = p.child_by_field_name("type")?;
    let s = t.utf8_text(src).ok()?;
    // Drop type parameters: `*List[T]` -> `*List`.
    Some(s.split('[').next().unwrap_or(s).to_string())
}

/// Where a string literal stands: (callee, struct field, package-level var), from its
/// ancestors (innermost last).
fn literal_context(
    n: Node,
    ancestors: &[Node],
    src: &[u8],
) -> (Option<String>, Option<String>, Option<String>) {
    let k = kinds();
    let txt = |n: Node| n.utf8_text(src).unwrap_or("").to_string();
    let up =
        |i: usize| -> Option<Node> { ancestors.len().checked_sub(i + 1).map(|j| ancestors[j]) };
    let mut callee = None;
    let mut field = None;
    let mut var = None;
    let mut cur = n;
    let mut depth = 0;
    while let Some(p) = up(depth) {
        depth += 1;
        let id = p.kind_id();
        if id == k.argument_list && callee.is_none() && depth <= 2 {
            if let Some(call) = up(depth).filter(|c| c.kind_id() == k.call_expression) {
                callee = call.child_by_field_name("function").map(txt);
            }
        } else if id == k.keyed_element && field.is_none() && depth <= 3 {
            if let Some(first) = p.named_child(0)
                && first.id() != cur.id()
            {
                field = Some(txt(first));
            }
        } else if id == k.var_spec || id == k.const_spec {
            let top = |i: usize| up(depth + i).is_some_and(|g| g.kind_id() == k.source_file);
            if top(1) || top(2) {
                var = p.child_by_field_name("name").map(txt);
            }
            break;
        } else if id == k.function_declaration
            || id == k.method_declaration
            || id == k.func_literal
            || id == k.block
        {
            break;
        }
        cur = p;
    }
    (callee, field, var)
}

/// The value of a Go string literal (interpreted or raw).
pub fn decode_string(lit: &str) -> String {
    if let Some(raw) = lit.strip_prefix('`') {
        return raw.strip_suffix('`').unwrap_or(raw).replace('\r', "");
    }
    let inner = lit.strip_prefix('"').unwrap_or(lit);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some('\'') => out.push('\''),
            Some('a') => out.push('\x07'),
            Some('b') => out.push('\x08'),
            Some('f') => out.push('\x0c'),
            Some('v') => out.push('\x0b'),
            Some('x') => {
                let h: String = chars.by_ref().take(2).collect();
                if let Ok(v) = u8::from_str_radix(&h, 16) {
                    out.push(v as char);
                }
            }
            Some('u') => {
                let h: String = chars.by_ref().take(4).collect();
                if let Some(ch) = u32::from_str_radix(&h, 16).ok().and_then(char::from_u32) {
                    out.push(ch);
                }
            }
            Some('U') => {
                let h: String = chars.by_ref().take(8).collect();
                if let Some(ch) = u32::from_str_radix(&h, 16).ok().and_then(char::from_u32) {
                    out.push(ch);
                }
            }
            Some(d) if d.is_digit(8) => {
                let mut s = String::from(d);
                s.extend(chars.by_ref().take(2));
                if let Ok(v) = u8::from_str_radix(&s, 8) {
                    out.push(v as char);
                }
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// The values a captured node contributes to a fact: string literal values, or identifiers with
/// their package qualifier dropped (`unix.RESOLVE_NO_XDEV` -> `RESOLVE_NO_XDEV`).
fn fact_values(node: Node, src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "interpreted_string_literal" | "raw_string_literal" => {
                out.push(decode_string(n.utf8_text(src.as_bytes()).unwrap_or("")));
                continue;
            }
            "selector_expression" | "qualified_type" => {
                if let Some(f) = n
                    .child_by_field_name("field")
                    .or_else(|| n.child_by_field_name("name"))
                {
                    out.push(f.utf8_text(src.as_bytes()).unwrap_or("").to_string());
                }
                continue;
            }
            "identifier" | "field_identifier" | "type_identifier" => {
                out.push(n.utf8_text(src.as_bytes()).unwrap_or("").to_string());
                continue;
            }
            _ => {}
        }
        let mut c = n.walk();
        let mut kids: Vec<Node> = n.children(&mut c).collect();
        kids.reverse();
        stack.extend(kids);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = r#"package sys

import (
	"errors"
	"fmt"
	"os"
)

var errUnsafe = errors.New("unsafe procfs detected")

type handle struct{ fd int }

func (h *handle) open(path string) error {
	return &os.PathError{Op: "openat2", Path: path, Err: errUnsafe}
}

func WriteThing(key string) error {
	if err := open(key); err != nil {
		return fmt.Errorf("open thing %s file: %w", key, err)
	}
	return nil
}
"#;

    #[test]
    fn extracts_package_imports_decls_literals_and_calls() {
        let (p, _) = parse(SRC);
        assert_eq!(p.package.as_deref(), Some("sys"));
        assert_eq!(p.imports, ["errors", "fmt", "os"]);
        let names: Vec<(&str, u32, u32)> = p
            .decls
            .iter()
            .map(|d| (d.name.as_str(), d.start, d.end))
            .collect();
        assert_eq!(
            names,
            [
                ("errUnsafe", 9, 9),
                ("handle", 11, 11),
                ("(*handle).open", 13, 15),
                ("WriteThing", 17, 22)
            ]
        );
        let sentinel = p
            .strings
            .iter()
            .find(|s| s.value == "unsafe procfs detected")
            .unwrap();
        assert_eq!(sentinel.callee.as_deref(), Some("errors.New"));
        assert_eq!(sentinel.var.as_deref(), Some("errUnsafe"));
        let op = p.strings.iter().find(|s| s.value == "openat2").unwrap();
        assert_eq!(op.field.as_deref(), Some("Op"));
        let f = p
            .strings
            .iter()
            .find(|s| s.value.starts_with("open thing"))
            .unwrap();
        assert_eq!((f.line, f.callee.as_deref()), (19, Some("fmt.Errorf")));
        assert!(
            p.calls
                .iter()
                .any(|c| c.callee == "fmt.Errorf" && c.line == 19)
        );
        assert_eq!(p.decl_at(19).unwrap().name, "WriteThing");
        assert_eq!(p.error_nodes, 0);
    }

    #[test]
    fn syntax_errors_are_counted_and_the_rest_still_parses() {
        let (p, _) = parse("package x\n\nfunc ok() {}\n\nfunc broken( {\n");
        assert!(p.error_nodes > 0);
        assert!(p.decls.iter().any(|d| d.name == "ok"));
    }

    #[test]
    fn decodes_escapes() {
        assert_eq!(decode_string(r#""a\tb\n\"q\"""#), "a\tb\n\"q\"");
        assert_eq!(decode_string("`raw %s`"), "raw %s");
    }
}
