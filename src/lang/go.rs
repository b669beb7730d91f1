//! Go, parsed with tree-sitter-go: package, imports, declarations, string literals with their
//! context, calls. Keeps one parser per thread.

use std::cell::RefCell;

use tree_sitter::{Node, Parser, Tree};

use super::{Call, Decl, DeclKind, Lang, Language, Parsed, StringLit};

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
    fn name(&self) -> &'static str {
        "go"
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

    /// String literal values, or identifiers with their package qualifier dropped
    /// (`unix.RESOLVE_NO_XDEV` -> `RESOLVE_NO_XDEV`).
    fn fact_values(&self, node: Node, src: &str) -> Vec<String> {
        fact_values(node, src)
    }

    /// fmt.Errorf / errors.New (sentinels) / os.NewSyscallError texts, and os.PathError `Op`s
    /// (`Op + " " + Path`); a trailing `: %w` is the rest of the chain, not this segment.
    fn error_format(&self, l: &StringLit) -> Option<(String, String)> {
        if l.field.as_deref() == Some("Op") {
            return Some((format!("{} %s", l.value), "os.PathError Op".into()));
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
        Some((f, kind))
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
    let mut out = Parsed::default();
    let root = tree.root_node();
    let bytes = src.as_bytes();
    let text = |n: Node| n.utf8_text(bytes).unwrap_or("").to_string();
    let line = |n: Node| n.start_position().row as u32 + 1;
    let end_line = |n: Node| n.end_position().row as u32 + 1;

    let mut cursor = root.walk();
    for top in root.children(&mut cursor) {
        match top.kind() {
            "package_clause" => {
                let mut c = top.walk();
                out.package = top.named_children(&mut c).next().map(text);
            }
            "import_declaration" => collect_imports(top, bytes, &mut out.imports),
            "function_declaration" => {
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
            }
            "method_declaration" => {
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
            }
            "type_declaration" | "const_declaration" | "var_declaration" => {
                let kind = match top.kind() {
                    "type_declaration" => DeclKind::Type,
                    "const_declaration" => DeclKind::Const,
                    _ => DeclKind::Var,
                };
                collect_specs(top, bytes, kind, &mut out.decls);
            }
            _ => {}
        }
    }

    // One walk over every node for literals, calls and error nodes.
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.is_error() || n.is_missing() {
            out.error_nodes += 1;
        }
        match n.kind() {
            "interpreted_string_literal" | "raw_string_literal" => {
                let raw = text(n);
                let value = decode_string(&raw);
                if value.chars().any(char::is_alphabetic) {
                    let (callee, field, var) = literal_context(n, bytes);
                    out.strings.push(StringLit {
                        line: line(n),
                        col: n.start_position().column as u32 + 1,
                        value,
                        callee,
                        field,
                        var,
                    });
                }
                continue;
            }
            "call_expression" => {
                if let Some(f) = n.child_by_field_name("function") {
                    let callee = text(f);
                    if callee.len() <= 200 {
                        out.calls.push(Call {
                            line: line(n),
                            callee,
                        });
                    }
                }
            }
            _ => {}
        }
        let mut c = n.walk();
        for ch in n.children(&mut c) {
            stack.push(ch);
        }
    }
    super::go_refs::extract(root, bytes, &mut out);
    out.strings
        .sort_by(|a, b| a.line.cmp(&b.line).then_with(|| a.value.cmp(&b.value)));
    out.calls
        .sort_by(|a, b| a.line.cmp(&b.line).then_with(|| a.callee.cmp(&b.callee)));
    drop(cursor);
    (out, Some(tree))
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

/// Where a string literal stands: (callee, struct field, package-level var).
fn literal_context(n: Node, src: &[u8]) -> (Option<String>, Option<String>, Option<String>) {
    let txt = |n: Node| n.utf8_text(src).unwrap_or("").to_string();
    let mut callee = None;
    let mut field = None;
    let mut var = None;
    let mut cur = n;
    let mut depth = 0;
    while let Some(p) = cur.parent() {
        depth += 1;
        match p.kind() {
            "argument_list" if callee.is_none() && depth <= 2 => {
                if let Some(call) = p.parent().filter(|c| c.kind() == "call_expression") {
                    callee = call.child_by_field_name("function").map(txt);
                }
            }
            "keyed_element" if field.is_none() && depth <= 3 => {
                let mut c = p.walk();
                if let Some(k) = p.named_children(&mut c).next()
                    && k.id() != cur.id()
                {
                    field = Some(txt(k));
                }
            }
            "var_spec" | "const_spec" => {
                if p.parent()
                    .and_then(|d| d.parent())
                    .is_some_and(|g| g.kind() == "source_file")
                    || p.parent()
                        .and_then(|d| d.parent())
                        .and_then(|g| g.parent())
                        .is_some_and(|g| g.kind() == "source_file")
                {
                    var = p.child_by_field_name("name").map(txt);
                }
                break;
            }
            "function_declaration" | "method_declaration" | "func_literal" | "block" => break,
            _ => {}
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
