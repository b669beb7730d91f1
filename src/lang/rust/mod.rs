//! Rust (`.rs`), parsed with tree-sitter-rust: `use` items, declarations (functions, `impl`
//! methods as `Type::method`, trait methods as `Trait::method`, traits, structs, enums, unions,
//! type aliases, consts, statics, `macro_rules!`, items of inline modules as `module::item`),
//! string literals with the macro, call or `#[error(...)]` attribute they stand in, calls,
//! comment and string regions. References are in `refs.rs`. Sees one file: which crate and
//! module a file is, and where a path leads, is the xref graph's job.

pub mod refs;

use std::cell::RefCell;

use tree_sitter::{Node, Parser, Tree};

use crate::lang::{
    Call, Decl, DeclKind, ErrorFormat, Lang, Language, ParseKind, Parsed, Region, RegionKind,
    StringLit,
};

/// Rust.
pub struct Rust;

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut p = Parser::new();
        p.set_language(&tree_sitter_rust::LANGUAGE.into())
            .expect("tree-sitter-rust matches the tree-sitter version");
        p
    });
}

/// The tree-sitter-rust grammar.
pub fn language() -> tree_sitter::Language {
    tree_sitter_rust::LANGUAGE.into()
}

/// Longest callee text kept for a call.
const MAX_CALLEE: usize = 200;

/// Macros and methods whose format string is an error message (`anyhow!`, `bail!`,
/// `.context("...")`), or a log line a user pastes (`error!`, `warn!`).
const ERROR_MACROS: &[&str] = &[
    "anyhow",
    "bail",
    "ensure",
    "eyre",
    "format_err",
    "err_msg",
    "panic",
    "format",
    "error",
    "warn",
    "unreachable",
    "unimplemented",
    "todo",
    "expect",
];
const ERROR_METHODS: &[&str] = &[
    "context",
    "with_context",
    "wrap_err",
    "expect",
    "msg",
    "new",
    "other",
];

impl Language for Rust {
    fn lang(&self) -> Lang {
        Lang::Rust
    }
    fn detects(&self, path: &str, _first_line: &str) -> bool {
        path.ends_with(".rs")
    }
    fn grammar(&self) -> Option<tree_sitter::Language> {
        Some(language())
    }
    fn case_extensions(&self) -> &'static [&'static str] {
        &["rs"]
    }
    fn parse(&self, src: &str) -> (Parsed, Option<Tree>) {
        parse(src)
    }
    fn reparse(&self, src: &str, old: Option<(&Tree, &str)>) -> (Parsed, Option<Tree>, ParseKind) {
        crate::lang::reparse_with(
            src,
            old,
            &|s, t| PARSER.with(|p| p.borrow_mut().parse(s, t)),
            extract,
        )
    }
    fn fact_values(&self, node: Node, src: &str) -> Vec<String> {
        fact_values(node, src)
    }
    /// `format!`/`anyhow!`/`bail!`/`ensure!` and `error!`/`warn!` formats, `.context("...")`,
    /// `Error::new(kind, "...")`, and thiserror's `#[error("...")]`; placeholders (`{}`,
    /// `{name}`, `{0}`, `{:?}`, `{x:>5}`) as `%v`, `{{`/`}}` as braces.
    fn error_format(&self, l: &StringLit) -> Option<ErrorFormat> {
        let callee = l.callee.as_deref()?;
        let short = callee
            .trim_end_matches('!')
            .rsplit([':', '.'])
            .next()
            .unwrap_or(callee);
        let ok = if callee == "#[error]" {
            true
        } else if callee.ends_with('!') {
            ERROR_MACROS.contains(&short)
        } else {
            ERROR_METHODS.contains(&short)
        };
        if !ok || !l.value.chars().any(char::is_alphabetic) {
            return None;
        }
        let mut pattern = format_pattern(&l.value)?;
        // `"... : {err}"`, `"{e}: ..."`: the wrapped error is the next segment of the chain, not
        // part of this one.
        if let Some(p) = pattern.strip_suffix(": %v") {
            pattern = p.to_string();
        }
        if let Some(p) = pattern.strip_prefix("%v: ") {
            pattern = p.to_string();
        }
        if !pattern.chars().any(char::is_alphabetic) {
            return None;
        }
        Some(ErrorFormat {
            format: l.value.clone(),
            pattern,
            kind: callee.to_string(),
        })
    }
    fn refs(&self) -> crate::lang::Refs {
        crate::lang::Refs::RustModules
    }
}

/// A Rust format string in Go's verb syntax: each `{...}` placeholder `%v`, `{{` and `}}` a
/// brace, `%` as `%%`. `None` for an unclosed placeholder.
pub fn format_pattern(f: &str) -> Option<String> {
    let mut out = String::with_capacity(f.len());
    let mut chars = f.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(_) => {}
                        None => return None,
                    }
                }
                out.push_str("%v");
            }
            '%' => out.push_str("%%"),
            c => out.push(c),
        }
    }
    Some(out)
}

/// Parses Rust source with this thread's parser and extracts its facts.
pub fn parse(src: &str) -> (Parsed, Option<Tree>) {
    let Some(tree) = PARSER.with(|p| p.borrow_mut().parse(src, None)) else {
        return (Parsed::default(), None);
    };
    (extract(&tree, src), Some(tree))
}

/// The facts of a parsed Rust file.
pub fn extract(tree: &Tree, src: &str) -> Parsed {
    let root = tree.root_node();
    let bytes = src.as_bytes();
    let mut out = Parsed::default();
    let (count, first) = crate::lang::syntax_errors(root);
    out.error_nodes = count;
    out.first_error = first;
    out.generated = crate::lang::leading_comment_says_generated(src);
    declarations(root, bytes, "", &mut out.decls);
    literals(root, bytes, &mut out);
    refs::extract(root, bytes, &mut out);
    out.decls.sort_by_key(|d| (d.start, d.end));
    out.strings.sort_by_key(|a| (a.line, a.col));
    out.calls
        .sort_by(|a, b| a.line.cmp(&b.line).then_with(|| a.callee.cmp(&b.callee)));
    out.regions.sort_by_key(|r| (r.start, r.end));
    out
}

fn line(n: Node) -> u32 {
    n.start_position().row as u32 + 1
}

fn end_line(n: Node) -> u32 {
    n.end_position().row as u32 + 1
}

/// The type an `impl` is for, as methods are named: `ProcfsHandle` for
/// `impl<'a> ProcfsHandleRef<'a>`'s... the last path segment, generics and references dropped.
pub fn type_name(t: Node, src: &[u8]) -> Option<String> {
    let mut n = t;
    for _ in 0..16 {
        match n.kind() {
            "type_identifier" | "identifier" | "primitive_type" => {
                return Some(n.utf8_text(src).ok()?.to_string());
            }
            "generic_type" => n = n.child_by_field_name("type")?,
            "scoped_type_identifier" | "scoped_identifier" => n = n.child_by_field_name("name")?,
            "reference_type" | "pointer_type" => n = n.child_by_field_name("type")?,
            _ => return None,
        }
    }
    None
}

/// How deep inline modules (`mod a { mod b { ... } }`) are read: deeper ones are left out, so a
/// hostile file cannot make the walk recurse without bound.
pub const MAX_MOD_DEPTH: usize = 16;

/// Declarations of an item list (a file, an inline module's body), `prefix` naming the inline
/// modules around it (`tests::`).
fn declarations(list: Node, src: &[u8], prefix: &str, out: &mut Vec<Decl>) {
    declarations_at(list, src, prefix, 0, out)
}

fn declarations_at(list: Node, src: &[u8], prefix: &str, depth: usize, out: &mut Vec<Decl>) {
    let text = |n: Node| n.utf8_text(src).unwrap_or("").to_string();
    let mut c = list.walk();
    for item in list.named_children(&mut c) {
        let named = |kind: DeclKind, out: &mut Vec<Decl>| {
            if let Some(n) = item.child_by_field_name("name") {
                let ident = text(n);
                out.push(Decl {
                    kind,
                    name: format!("{prefix}{ident}"),
                    ident,
                    start: line(item),
                    end: end_line(item),
                });
            }
        };
        match item.kind() {
            "function_item" => named(DeclKind::Func, out),
            "struct_item" | "enum_item" | "union_item" | "type_item" | "trait_item" => {
                named(DeclKind::Type, out);
                if item.kind() == "trait_item"
                    && let (Some(n), Some(body)) = (
                        item.child_by_field_name("name"),
                        item.child_by_field_name("body"),
                    )
                {
                    methods(body, src, &format!("{prefix}{}", text(n)), out);
                }
            }
            "const_item" => named(DeclKind::Const, out),
            "static_item" => named(DeclKind::Var, out),
            "macro_definition" => named(DeclKind::Macro, out),
            "impl_item" => {
                if let (Some(t), Some(body)) = (
                    item.child_by_field_name("type")
                        .and_then(|t| type_name(t, src)),
                    item.child_by_field_name("body"),
                ) {
                    methods(body, src, &format!("{prefix}{t}"), out);
                }
            }
            "mod_item" if depth < MAX_MOD_DEPTH => {
                if let (Some(n), Some(body)) = (
                    item.child_by_field_name("name"),
                    item.child_by_field_name("body"),
                ) {
                    let inner = format!("{prefix}{}::", text(n));
                    declarations_at(body, src, &inner, depth + 1, out);
                }
            }
            _ => {}
        }
    }
}

/// The functions of an `impl` or `trait` body, as `Type::method`, and its associated consts.
fn methods(body: Node, src: &[u8], owner: &str, out: &mut Vec<Decl>) {
    let mut c = body.walk();
    for m in body.named_children(&mut c) {
        let kind = match m.kind() {
            "function_item" | "function_signature_item" => DeclKind::Method,
            "const_item" => DeclKind::Const,
            _ => continue,
        };
        if let Some(n) = m.child_by_field_name("name") {
            let ident = n.utf8_text(src).unwrap_or("").to_string();
            out.push(Decl {
                kind,
                name: format!("{owner}::{ident}"),
                ident,
                start: line(m),
                end: end_line(m),
            });
        }
    }
}

/// String literals with what they stand in, calls, comment and string regions: one walk,
/// contexts carried down (no `Node::parent`).
fn literals(root: Node, src: &[u8], out: &mut Parsed) {
    // (node, the callee a direct string argument belongs to)
    let mut stack: Vec<(Node, Option<String>, Option<String>)> = vec![(root, None, None)];
    while let Some((n, callee, field)) = stack.pop() {
        match n.kind() {
            "line_comment" | "block_comment" => {
                region(n, RegionKind::Comment, out);
                continue;
            }
            "string_literal" | "raw_string_literal" | "char_literal" => {
                region(n, RegionKind::String, out);
                if n.kind() != "char_literal" {
                    let value = decode(n.utf8_text(src).unwrap_or(""));
                    if value.chars().any(char::is_alphabetic) {
                        out.strings.push(StringLit {
                            line: line(n),
                            col: n.start_position().column as u32 + 1,
                            value,
                            callee: callee.clone(),
                            field: field.clone(),
                            var: None,
                        });
                    }
                }
                continue;
            }
            "call_expression" => {
                if let Some(f) = n.child_by_field_name("function") {
                    let t = f.utf8_text(src).unwrap_or("");
                    if t.len() <= MAX_CALLEE {
                        out.calls.push(Call {
                            line: line(n),
                            callee: t.to_string(),
                        });
                    }
                }
            }
            "macro_invocation" => {
                if let Some(m) = n.child_by_field_name("macro") {
                    let t = m.utf8_text(src).unwrap_or("");
                    if t.len() < MAX_CALLEE {
                        out.calls.push(Call {
                            line: line(n),
                            callee: format!("{t}!"),
                        });
                    }
                }
            }
            _ => {}
        }
        let child_context =
            |child: Node, field_name: Option<&str>| -> (Option<String>, Option<String>) {
                match n.kind() {
                    // `format!("...", x)`: the literals at the top of the macro's token tree.
                    "macro_invocation" if child.kind() == "token_tree" => (
                        n.child_by_field_name("macro")
                            .map(|m| format!("{}!", m.utf8_text(src).unwrap_or(""))),
                        None,
                    ),
                    "token_tree" => (callee.clone(), None),
                    "arguments" => (callee.clone(), None),
                    // `x.context("...")`, `Error::new(kind, "...")`.
                    "call_expression" if field_name == Some("arguments") => (
                        n.child_by_field_name("function").and_then(|f| {
                            let t = f.utf8_text(src).ok()?;
                            (t.len() <= MAX_CALLEE).then(|| short_callee(f, src))
                        }),
                        None,
                    ),
                    // `#[error("...")]` on an enum variant or a struct: thiserror's Display.
                    "attribute" if field_name == Some("arguments") => {
                        let path = n
                            .named_child(0)
                            .map(|p| p.utf8_text(src).unwrap_or(""))
                            .unwrap_or("");
                        ((path == "error").then(|| "#[error]".to_string()), None)
                    }
                    _ => (None, field.clone()),
                }
            };
        let at = stack.len();
        let mut cur = n.walk();
        if cur.goto_first_child() {
            loop {
                let child = cur.node();
                let (c, f) = child_context(child, cur.field_name());
                stack.push((child, c, f));
                if !cur.goto_next_sibling() {
                    break;
                }
            }
        }
        stack[at..].reverse();
    }
}

/// A call's function as explain names it: `x.context` -> `context`, `io::Error::new` kept.
fn short_callee(f: Node, src: &[u8]) -> String {
    match f.kind() {
        "field_expression" => f
            .child_by_field_name("field")
            .map(|x| x.utf8_text(src).unwrap_or("").to_string())
            .unwrap_or_default(),
        "generic_function" => f
            .child_by_field_name("function")
            .map(|x| short_callee(x, src))
            .unwrap_or_default(),
        _ => f.utf8_text(src).unwrap_or("").to_string(),
    }
}

fn region(n: Node, kind: RegionKind, out: &mut Parsed) {
    out.regions.push(Region {
        start: n.start_byte() as u32,
        end: n.end_byte() as u32,
        kind,
    });
}

/// The value of a Rust string literal: `"..."` with escapes decoded (`\n`, `\u{41}`, a line
/// continuation), `r#"..."#` as written, a `b` prefix dropped.
pub fn decode(lit: &str) -> String {
    let lit = lit.strip_prefix('b').unwrap_or(lit);
    let lit = lit.strip_prefix('c').unwrap_or(lit);
    if let Some(raw) = lit.strip_prefix('r') {
        let hashes = raw.len() - raw.trim_start_matches('#').len();
        let inner = &raw[hashes..];
        let inner = inner.strip_prefix('"').unwrap_or(inner);
        let inner = inner.strip_suffix(&"#".repeat(hashes)).unwrap_or(inner);
        return inner.strip_suffix('"').unwrap_or(inner).to_string();
    }
    let inner = lit.strip_prefix('"').unwrap_or(lit);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('0') => out.push('\0'),
            Some('x') => {
                let h: String = chars.by_ref().take(2).collect();
                if let Ok(v) = u8::from_str_radix(&h, 16) {
                    out.push(v as char);
                }
            }
            Some('u') => {
                if chars.peek() == Some(&'{') {
                    chars.next();
                    let h: String = chars.by_ref().take_while(|c| *c != '}').collect();
                    if let Some(ch) = u32::from_str_radix(&h, 16).ok().and_then(char::from_u32) {
                        out.push(ch);
                    }
                }
            }
            // A line continuation: the newline and the next line's leading whitespace go.
            Some('\n') => {
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
            }
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// A captured node's fact values: string literal values, or identifiers with their path
/// dropped (`libc::RESOLVE_NO_XDEV` -> `RESOLVE_NO_XDEV`, `OpenFlags::O_WRONLY` -> `O_WRONLY`).
fn fact_values(node: Node, src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "string_literal" | "raw_string_literal" => {
                out.push(decode(n.utf8_text(src.as_bytes()).unwrap_or("")));
                continue;
            }
            "scoped_identifier" | "scoped_type_identifier" => {
                if let Some(name) = n.child_by_field_name("name") {
                    out.push(name.utf8_text(src.as_bytes()).unwrap_or("").to_string());
                }
                continue;
            }
            "identifier" | "field_identifier" | "type_identifier" => {
                out.push(n.utf8_text(src.as_bytes()).unwrap_or("").to_string());
                continue;
            }
            "line_comment" | "block_comment" => continue,
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
    use crate::lang::RefKind;

    /// Shaped like a runtime's init code (written for these tests).
    pub(super) const SRC: &str = r#"//! Process init.
use std::collections::HashMap;
use std::io::Write;

use pathrs::procfs::{ProcfsBase, ProcfsHandleBuilder};
use super::error::InitError as Error;
use crate::utils;

#[derive(Debug, thiserror::Error)]
pub enum InitError {
    #[error("failed to set sysctl")]
    Sysctl(#[source] std::io::Error),
    #[error("sysctl {0} is not allowed in {1}")]
    NotAllowed(String, String),
}

pub struct Init {
    params: HashMap<String, String>,
}

pub trait Step {
    fn run(&self) -> Result<(), Error>;
    fn name(&self) -> &str {
        "step"
    }
}

impl Step for Init {
    fn run(&self) -> Result<(), Error> {
        self.apply()?;
        sysctl(&self.params)
    }
}

impl Init {
    pub fn apply(&self) -> Result<(), Error> {
        utils::ensure_dir("/proc")?;
        let n = Self::count(&self.params);
        tracing::debug!("applying {n} params: {:?}", helper(n));
        Ok(())
    }
    fn count(p: &HashMap<String, String>) -> usize {
        p.len()
    }
}

/* sysctl writes through a procfs handle */
fn sysctl(kernel_params: &HashMap<String, String>) -> Result<(), Error> {
    let procfs = ProcfsHandleBuilder::new().unmasked().build()?;
    for (key, value) in kernel_params {
        let path = format!("sys/{}", key.replace('.', "/"));
        let mut f = procfs.open(ProcfsBase::ProcRoot, path, libc::O_WRONLY)?;
        f.write_all(value.as_bytes())
            .map_err(|err| anyhow::anyhow!("failed to set sysctl {key}={value}: {err}"))?;
    }
    if kernel_params.is_empty() {
        bail!("no sysctl in {}%", 100);
    }
    Ok(())
}

macro_rules! retry {
    ($e:expr) => { $e };
}

mod tests {
    fn helper() {}
}
"#;

    #[test]
    fn declarations_name_methods_by_their_type_and_trait() {
        let (p, _) = parse(SRC);
        assert_eq!(p.error_nodes, 0, "{:?}", p.first_error);
        let decls: Vec<(DeclKind, &str, &str, u32, u32)> = p
            .decls
            .iter()
            .map(|d| (d.kind, d.name.as_str(), d.ident.as_str(), d.start, d.end))
            .collect();
        assert_eq!(
            decls,
            [
                (DeclKind::Type, "InitError", "InitError", 10, 15),
                (DeclKind::Type, "Init", "Init", 17, 19),
                (DeclKind::Type, "Step", "Step", 21, 26),
                (DeclKind::Method, "Step::run", "run", 22, 22),
                (DeclKind::Method, "Step::name", "name", 23, 25),
                (DeclKind::Method, "Init::run", "run", 29, 32),
                (DeclKind::Method, "Init::apply", "apply", 36, 41),
                (DeclKind::Method, "Init::count", "count", 42, 44),
                (DeclKind::Func, "sysctl", "sysctl", 48, 60),
                (DeclKind::Macro, "retry", "retry", 62, 64),
                (DeclKind::Func, "tests::helper", "helper", 67, 67),
            ]
        );
        assert_eq!(p.decl_at(52).unwrap().name, "sysctl");
    }

    #[test]
    fn error_formats_from_macros_methods_and_thiserror() {
        let (p, _) = parse(SRC);
        let fmt = |v: &str| {
            let l = p
                .strings
                .iter()
                .find(|s| s.value == v)
                .unwrap_or_else(|| panic!("{v}: {:?}", p.strings));
            (l.callee.clone(), Rust.error_format(l).map(|f| f.pattern))
        };
        assert_eq!(
            fmt("failed to set sysctl"),
            (Some("#[error]".into()), Some("failed to set sysctl".into()))
        );
        assert_eq!(
            fmt("sysctl {0} is not allowed in {1}").1.as_deref(),
            Some("sysctl %v is not allowed in %v")
        );
        assert_eq!(
            fmt("failed to set sysctl {key}={value}: {err}"),
            (
                Some("anyhow::anyhow!".into()),
                Some("failed to set sysctl %v=%v".into())
            )
        );
        assert_eq!(
            fmt("no sysctl in {}%").1.as_deref(),
            Some("no sysctl in %v%%")
        );
        // A debug log line is not an error; an argument of an ordinary call neither.
        assert_eq!(
            fmt("applying {n} params: {:?}").0.as_deref(),
            Some("tracing::debug!")
        );
        assert!(fmt("applying {n} params: {:?}").1.is_none());
        assert_eq!(fmt("/proc").0.as_deref(), Some("utils::ensure_dir"));
        assert_eq!(fmt("/proc").1, None);
        assert_eq!(fmt("sys/{}").0.as_deref(), Some("format!"));
    }

    #[test]
    fn regions_and_calls() {
        let (p, _) = parse(SRC);
        let comments: Vec<&str> = p
            .regions
            .iter()
            .filter(|r| r.kind == RegionKind::Comment)
            .map(|r| &SRC[r.start as usize..r.end as usize])
            .collect();
        assert_eq!(comments[0].trim_end(), "//! Process init.");
        assert_eq!(comments[1], "/* sysctl writes through a procfs handle */");
        assert!(
            p.calls
                .iter()
                .any(|c| c.callee == "procfs.open" && c.line == 52)
        );
        assert!(p.calls.iter().any(|c| c.callee == "bail!" && c.line == 57));
        assert!(
            p.refs
                .iter()
                .any(|r| r.name == "sysctl" && r.kind == RefKind::Call)
        );
    }

    #[test]
    fn deeply_nested_modules_are_bounded() {
        let depth = 20_000;
        let src = format!(
            "{}fn f() {{}}{}",
            "mod m { ".repeat(depth),
            "}".repeat(depth)
        );
        // A small stack, as a worker thread has: the walk must not recurse per module.
        let p = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || parse(&src).0)
            .unwrap()
            .join()
            .unwrap();
        assert!(p.decls.is_empty());
        let shallow = parse("mod a { mod b { fn f() {} } }").0;
        assert_eq!(shallow.decls[0].name, "a::b::f");
    }

    #[test]
    fn placeholders_decoding_and_generated_marks() {
        assert_eq!(format_pattern("{{x}} {a:>5} {:#?}").unwrap(), "{x} %v %v");
        assert_eq!(format_pattern("open {"), None);
        assert_eq!(decode(r##"r#"a "b""#"##), "a \"b\"");
        assert_eq!(decode(r#""a\u{41}\n""#), "aA\n");
        assert_eq!(decode("\"a \\\n    b\""), "a b");
        assert!(parse("// @generated by prost\npub struct X;\n").0.generated);
        let (e, _) = parse("fn ok() {}\nfn broken( {\n");
        assert!(e.error_nodes > 0 && e.first_error.is_some());
    }
}
