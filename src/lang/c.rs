//! C (`.c`, and `.h` headers), parsed with tree-sitter-c: `#include`s, declarations (function
//! definitions, structs, unions, enums, typedefs, file-scope variables, macros with a body),
//! string literals with the call, designated field or variable they stand in, calls, comment and
//! string regions, and references (direct calls by name, functions named as values). C has no
//! imports to follow: which definition a name reaches is decided by the xref graph, by name.
//! Functions declared inside `#if`/`#ifdef` blocks count as declared (every branch is read).

use std::cell::RefCell;

use tree_sitter::{Node, Parser, Tree};

use crate::lang::{
    Call, Decl, DeclKind, ErrorFormat, Lang, Language, Parsed, Ref, RefKind, Region, RegionKind,
    StringLit, Via,
};

/// C.
pub struct C;

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut p = Parser::new();
        p.set_language(&tree_sitter_c::LANGUAGE.into())
            .expect("tree-sitter-c matches the tree-sitter version");
        p
    });
}

/// The tree-sitter-c grammar.
pub fn language() -> tree_sitter::Language {
    tree_sitter_c::LANGUAGE.into()
}

/// Longest callee text kept for a call.
const MAX_CALLEE: usize = 200;

impl Language for C {
    fn lang(&self) -> Lang {
        Lang::C
    }
    fn detects(&self, path: &str, _first_line: &str) -> bool {
        path.ends_with(".c") || path.ends_with(".h")
    }
    fn grammar(&self) -> Option<tree_sitter::Language> {
        Some(language())
    }
    fn case_extensions(&self) -> &'static [&'static str] {
        &["c", "h"]
    }
    fn parse(&self, src: &str) -> (Parsed, Option<Tree>) {
        parse(src)
    }
    fn reparse(
        &self,
        src: &str,
        old: Option<(&Tree, &str)>,
    ) -> (Parsed, Option<Tree>, crate::lang::ParseKind) {
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
    /// Texts of error-reporting calls (`crun_make_error (err, errno, "open `/proc/sys/%s`",
    /// name)`, `error (EXIT_FAILURE, errno, "...")`, `err`/`warn`), their printf conversions
    /// (`%lu`, `%zd`, `%m`) normalised to `%v`.
    fn error_format(&self, l: &StringLit) -> Option<ErrorFormat> {
        let callee = l.callee.as_deref()?;
        if !is_error_callee(callee) {
            return None;
        }
        let pattern = printf_pattern(&l.value)?;
        if !l.value.chars().any(char::is_alphabetic) {
            return None;
        }
        Some(ErrorFormat {
            format: l.value.clone(),
            pattern,
            kind: callee.to_string(),
        })
    }
    fn refs(&self) -> crate::lang::Refs {
        crate::lang::Refs::ByName
    }
}

/// Calls whose format string becomes an error message: names holding `error`, `err`, `fail`,
/// `warn`, `die`, `fatal` or `panic` as a word (`crun_make_error`, `libcrun_fail_with_error`,
/// `error`, `errx`, `warnx`).
fn is_error_callee(callee: &str) -> bool {
    let short = callee
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()
        .unwrap_or(callee)
        .to_ascii_lowercase();
    short.split('_').any(|w| {
        matches!(
            w,
            "error"
                | "err"
                | "errx"
                | "fail"
                | "warn"
                | "warnx"
                | "warning"
                | "die"
                | "fatal"
                | "panic"
                | "perror"
        )
    })
}

/// A printf format with every conversion (`%-5lu`, `%zd`, `%s`, glibc's `%m`) as `%v`, `%%`
/// kept: the one placeholder syntax explain compiles. `None` for a malformed conversion.
pub fn printf_pattern(f: &str) -> Option<String> {
    let mut out = String::with_capacity(f.len());
    let mut chars = f.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        if chars.peek() == Some(&'%') {
            chars.next();
            out.push_str("%%");
            continue;
        }
        while chars
            .peek()
            .is_some_and(|n| "-+ #0123456789.*'".contains(*n))
        {
            chars.next();
        }
        while chars.peek().is_some_and(|n| "hljztLq".contains(*n)) {
            chars.next();
        }
        match chars.next() {
            Some(v) if "diouxXeEfFgGaAcspnmC".contains(v) => out.push_str("%v"),
            _ => return None,
        }
    }
    Some(out)
}

/// Parses C source with this thread's parser and extracts its facts.
pub fn parse(src: &str) -> (Parsed, Option<Tree>) {
    let Some(tree) = PARSER.with(|p| p.borrow_mut().parse(src, None)) else {
        return (Parsed::default(), None);
    };
    (extract(&tree, src), Some(tree))
}

/// What a string literal or an identifier stands in, carried down the walk (`Node::parent`
/// searches from the root: per literal it would be quadratic).
#[derive(Clone, Copy, Default)]
struct Ctx<'t> {
    /// The call whose argument list holds it directly.
    call: Option<Node<'t>>,
    /// On an argument list: its call.
    args_of: Option<Node<'t>>,
    /// `.field = ` of a designated initializer holding it.
    field: Option<Node<'t>>,
    /// The file-scope variable it initialises.
    var: Option<Node<'t>>,
    /// Read as a value (an argument, an initializer, the right of `=`, a return value).
    value: bool,
}

struct Walker<'a> {
    src: &'a [u8],
    out: Parsed,
}

/// The facts of a parsed C file.
pub fn extract(tree: &Tree, src: &str) -> Parsed {
    let root = tree.root_node();
    let mut w = Walker {
        src: src.as_bytes(),
        out: Parsed::default(),
    };
    let (count, first) = crate::lang::syntax_errors(root);
    w.out.error_nodes = count;
    w.out.first_error = first;
    w.out.generated = crate::lang::leading_comment_says_generated(src);
    w.top_level(root);
    w.walk(root);
    let out = &mut w.out;
    out.imports.sort();
    out.imports.dedup();
    out.decls.sort_by_key(|d| (d.start, d.end));
    out.strings.sort_by_key(|a| (a.line, a.col));
    out.calls
        .sort_by(|a, b| a.line.cmp(&b.line).then_with(|| a.callee.cmp(&b.callee)));
    out.refs.sort_by_key(|r| (r.line, r.col));
    out.regions.sort_by_key(|r| (r.start, r.end));
    w.out
}

fn line(n: Node) -> u32 {
    n.start_position().row as u32 + 1
}

/// The last line a node covers: a node ending at the start of a line (a `#define` holds its
/// newline) ends on the line before.
fn end_line(n: Node) -> u32 {
    let e = n.end_position();
    let s = n.start_position();
    if e.column == 0 && e.row > s.row {
        e.row as u32
    } else {
        e.row as u32 + 1
    }
}

impl<'a> Walker<'a> {
    fn text(&self, n: Node) -> &'a str {
        n.utf8_text(self.src).unwrap_or("")
    }

    fn decl(&mut self, kind: DeclKind, name: &str, n: Node) {
        if name.is_empty() {
            return;
        }
        self.out.decls.push(Decl {
            kind,
            name: name.to_string(),
            ident: name.to_string(),
            start: line(n),
            end: end_line(n),
        });
    }

    /// File-scope declarations, through `#if` blocks and `extern "C"` bodies.
    fn top_level(&mut self, root: Node) {
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            let mut c = n.walk();
            for top in n.named_children(&mut c) {
                match top.kind() {
                    "preproc_if"
                    | "preproc_ifdef"
                    | "preproc_else"
                    | "preproc_elif"
                    | "preproc_elifdef"
                    | "linkage_specification"
                    | "declaration_list" => stack.push(top),
                    "preproc_include" => {
                        if let Some(p) = top.child_by_field_name("path") {
                            let t = self.text(p);
                            let t = t.trim_matches(|c| c == '"' || c == '<' || c == '>');
                            self.out.imports.push(t.to_string());
                        }
                    }
                    "function_definition" => {
                        if let Some(d) = top.child_by_field_name("declarator")
                            && let Some(name) = declared_name(d, self.src)
                        {
                            // From the line naming it (`static int` may stand on the line
                            // before, GNU style): the line that declares the term.
                            self.out.decls.push(Decl {
                                kind: DeclKind::Func,
                                ident: name.clone(),
                                name,
                                start: line(d),
                                end: end_line(top),
                            });
                        }
                    }
                    "preproc_def" | "preproc_function_def" => {
                        // Macros with a body: `#define FOO` alone only marks a condition.
                        if top.child_by_field_name("value").is_some()
                            && let Some(name) = top.child_by_field_name("name")
                        {
                            let name = self.text(name).to_string();
                            self.decl(DeclKind::Macro, &name, top);
                        }
                    }
                    "type_definition" => {
                        self.specifier(top.child_by_field_name("type"), top);
                        let mut c2 = top.walk();
                        for d in top.children_by_field_name("declarator", &mut c2) {
                            if let Some(name) = declared_name(d, self.src) {
                                self.decl(DeclKind::Type, &name, top);
                            }
                        }
                    }
                    "declaration" => {
                        self.specifier(top.child_by_field_name("type"), top);
                        let mut c2 = top.walk();
                        for d in top.children_by_field_name("declarator", &mut c2) {
                            // Prototypes declare, they do not define: `defs` shows definitions.
                            if is_function_declarator(d) {
                                continue;
                            }
                            if let Some(name) = declared_name(d, self.src) {
                                self.decl(DeclKind::Var, &name, top);
                            }
                        }
                    }
                    "struct_specifier" | "union_specifier" | "enum_specifier" => {
                        self.specifier(Some(top), top)
                    }
                    _ => {}
                }
            }
        }
    }

    /// `struct name { ... }`, `enum name { ... }` (with a body: a definition), and an enum's
    /// constants.
    fn specifier(&mut self, spec: Option<Node>, whole: Node) {
        let Some(spec) = spec else { return };
        if !matches!(
            spec.kind(),
            "struct_specifier" | "union_specifier" | "enum_specifier"
        ) {
            return;
        }
        let Some(body) = spec.child_by_field_name("body") else {
            return;
        };
        if let Some(name) = spec.child_by_field_name("name") {
            let name = self.text(name).to_string();
            self.decl(DeclKind::Type, &name, whole);
        }
        if spec.kind() == "enum_specifier" {
            let mut c = body.walk();
            for e in body.named_children(&mut c) {
                if e.kind() == "enumerator"
                    && let Some(n) = e.child_by_field_name("name")
                {
                    let name = self.text(n).to_string();
                    self.decl(DeclKind::Const, &name, e);
                }
            }
        }
    }

    /// One walk over every node: literals, calls, references, regions. Iterative: generated
    /// tables nest deeply.
    fn walk(&mut self, root: Node) {
        let mut stack: Vec<(Node, Ctx, Option<usize>)> = vec![(root, Ctx::default(), None)];
        let mut scopes: Vec<String> = Vec::new();
        // The parameters and local variables of the function being walked: an identifier
        // passed as an argument names a function only when it is neither.
        let mut locals: Vec<String> = Vec::new();
        while let Some((n, ctx, scope)) = stack.pop() {
            let mut scope = scope;
            match n.kind() {
                "comment" => {
                    self.region(n, RegionKind::Comment);
                    continue;
                }
                "string_literal" | "char_literal" | "system_lib_string" | "raw_string_literal" => {
                    self.region(n, RegionKind::String);
                    if n.kind() != "char_literal" && n.kind() != "system_lib_string" {
                        let value = decode(self.text(n));
                        self.literal(n, value, ctx, scope, &scopes);
                    }
                    continue;
                }
                "concatenated_string" => {
                    let mut value = String::new();
                    let mut c = n.walk();
                    for part in n.named_children(&mut c) {
                        match part.kind() {
                            "string_literal" | "raw_string_literal" => {
                                self.region(part, RegionKind::String);
                                value.push_str(&decode(self.text(part)));
                            }
                            // `"%" PRIu64`: the macro expands to a conversion's letters.
                            "identifier" if self.text(part).starts_with("PRI") => value.push('d'),
                            _ => {}
                        }
                    }
                    self.literal(n, value, ctx, scope, &scopes);
                    continue;
                }
                "function_definition" => {
                    if let Some(name) = n
                        .child_by_field_name("declarator")
                        .and_then(|d| declared_name(d, self.src))
                    {
                        scopes.push(name);
                        scope = Some(scopes.len() - 1);
                        locals = self.locals(n);
                    }
                }
                "call_expression" => self.call(n, scope, &scopes),
                "identifier" if ctx.value => {
                    let name = self.text(n);
                    let constant = name.bytes().all(|b| !b.is_ascii_lowercase());
                    if !constant && !locals.iter().any(|l| l == name) {
                        let name = name.to_string();
                        self.push_ref(n, n, name, RefKind::Value, Via::Argument, scope, &scopes);
                    }
                }
                _ => {}
            }
            let at = stack.len();
            let mut cur = n.walk();
            if cur.goto_first_child() {
                loop {
                    let child = cur.node();
                    let child_ctx = self.child_ctx(n, cur.field_name(), ctx);
                    stack.push((child, child_ctx, scope));
                    if !cur.goto_next_sibling() {
                        break;
                    }
                }
            }
            stack[at..].reverse();
        }
    }

    /// The context of `parent`'s child under `field`, from `parent`'s own context.
    fn child_ctx<'t>(&self, parent: Node<'t>, field: Option<&str>, ctx: Ctx<'t>) -> Ctx<'t> {
        let mut c = Ctx {
            value: false,
            call: None,
            args_of: None,
            ..ctx
        };
        match (parent.kind(), field) {
            ("call_expression", Some("arguments")) => c.args_of = Some(parent),
            ("argument_list", _) => {
                c.value = true;
                c.call = ctx.args_of;
            }
            // `"a" "b"` in an argument list is one argument.
            ("concatenated_string", _) => c.call = ctx.call,
            ("initializer_list" | "return_statement", _)
            | ("init_declarator" | "assignment_expression", Some("value" | "right")) => {
                c.value = true
            }
            ("initializer_pair", Some("value")) => {
                c.value = true;
                c.field = parent
                    .child_by_field_name("designator")
                    .and_then(|d| d.named_child(0).or(Some(d)));
            }
            ("parenthesized_expression" | "cast_expression", f) if f != Some("type") => {
                c.value = ctx.value
            }
            ("conditional_expression", f) if f != Some("condition") => c.value = ctx.value,
            _ => {}
        }
        if parent.kind() == "init_declarator" && field == Some("value") && c.var.is_none() {
            c.var = parent.child_by_field_name("declarator");
        }
        c
    }

    /// The names a function definition declares: parameters and local variables.
    fn locals(&self, f: Node) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![f];
        while let Some(n) = stack.pop() {
            match n.kind() {
                "parameter_declaration" | "declaration" => {
                    let mut c = n.walk();
                    for d in n.children_by_field_name("declarator", &mut c) {
                        if let Some(name) = declared_name(d, self.src) {
                            out.push(name);
                        }
                    }
                }
                _ => {}
            }
            let mut c = n.walk();
            stack.extend(n.named_children(&mut c));
        }
        out
    }

    fn region(&mut self, n: Node, kind: RegionKind) {
        self.out.regions.push(Region {
            start: n.start_byte() as u32,
            end: n.end_byte() as u32,
            kind,
        });
    }

    fn literal(
        &mut self,
        n: Node,
        value: String,
        ctx: Ctx,
        scope: Option<usize>,
        scopes: &[String],
    ) {
        let _ = (scope, scopes);
        if !value.chars().any(char::is_alphabetic) {
            return;
        }
        let callee = ctx
            .call
            .and_then(|c| c.child_by_field_name("function"))
            .map(|f| self.text(f).to_string())
            .filter(|f| f.len() <= MAX_CALLEE);
        let field = ctx
            .field
            .map(|f| self.text(f).trim_start_matches('.').trim().to_string());
        let var = ctx
            .var
            .and_then(|d| declared_name(d, self.src))
            .filter(|_| scope.is_none());
        self.out.strings.push(StringLit {
            line: line(n),
            col: n.start_position().column as u32 + 1,
            value,
            callee,
            field,
            var,
        });
    }

    fn call(&mut self, n: Node, scope: Option<usize>, scopes: &[String]) {
        let Some(f) = n.child_by_field_name("function") else {
            return;
        };
        let callee = self.text(f);
        if callee.len() <= MAX_CALLEE {
            self.out.calls.push(Call {
                line: line(n),
                callee: callee.to_string(),
            });
        }
        // A direct call by name; calls through pointers and fields (`ops->write (...)`) name
        // no function.
        if f.kind() == "identifier" {
            let name = callee.to_string();
            self.push_ref(f, f, name, RefKind::Call, Via::Local, scope, scopes);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push_ref(
        &mut self,
        at: Node,
        written: Node,
        name: String,
        kind: RefKind,
        via: Via,
        scope: Option<usize>,
        scopes: &[String],
    ) {
        let written = self.text(written);
        self.out.refs.push(Ref {
            line: line(at),
            col: at.start_position().column as u32 + 1,
            written: if written == name {
                String::new()
            } else {
                written.to_string()
            },
            name,
            kind,
            via,
            scope: scope.map(|i| scopes[i].clone()),
        });
    }
}

/// Is this declarator a function's (a prototype, or a definition's head)?
fn is_function_declarator(d: Node) -> bool {
    let mut n = d;
    loop {
        match n.kind() {
            "function_declarator" => return true,
            "pointer_declarator" | "parenthesized_declarator" | "attributed_declarator" => {
                match n
                    .child_by_field_name("declarator")
                    .or_else(|| n.named_child(0))
                {
                    Some(inner) => n = inner,
                    None => return false,
                }
            }
            _ => return false,
        }
    }
}

/// The name a declarator declares: through pointers, arrays, function heads and initializers.
fn declared_name(d: Node, src: &[u8]) -> Option<String> {
    let mut n = d;
    for _ in 0..32 {
        match n.kind() {
            "identifier" | "type_identifier" | "field_identifier" | "primitive_type" => {
                return Some(n.utf8_text(src).ok()?.to_string());
            }
            _ => {
                n = n.child_by_field_name("declarator").or_else(|| {
                    let mut c = n.walk();
                    n.named_children(&mut c).find(|k| {
                        matches!(
                            k.kind(),
                            "identifier"
                                | "type_identifier"
                                | "pointer_declarator"
                                | "function_declarator"
                                | "array_declarator"
                                | "parenthesized_declarator"
                        )
                    })
                })?;
            }
        }
    }
    None
}

/// The value of a C string literal (`"..."`, with a `L`/`u8`/`u`/`U` prefix): escapes decoded.
pub fn decode(lit: &str) -> String {
    let start = lit.find('"').map_or(0, |i| i + 1);
    let inner = &lit[start.min(lit.len())..];
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
            Some('a') => out.push('\x07'),
            Some('b') => out.push('\x08'),
            Some('f') => out.push('\x0c'),
            Some('v') => out.push('\x0b'),
            Some('e') => out.push('\x1b'),
            Some('x') => {
                let mut v: u32 = 0;
                let mut any = false;
                while let Some(d) = chars.peek().and_then(|c| c.to_digit(16)) {
                    v = v.saturating_mul(16).saturating_add(d);
                    any = true;
                    chars.next();
                }
                if any && let Some(ch) = char::from_u32(v.min(0xff)) {
                    out.push(ch);
                }
            }
            Some(d) if d.is_digit(8) => {
                let mut v = d.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|c| c.to_digit(8)) {
                        Some(x) => {
                            v = v * 8 + x;
                            chars.next();
                        }
                        None => break,
                    }
                }
                if let Some(ch) = char::from_u32(v.min(0xff)) {
                    out.push(ch);
                }
            }
            Some('\n') => {}
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// A captured node's fact values: string literal values, or identifiers (`RESOLVE_NO_XDEV`,
/// field names), in source order.
fn fact_values(node: Node, src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "string_literal" => {
                out.push(decode(n.utf8_text(src.as_bytes()).unwrap_or("")));
                continue;
            }
            "identifier" | "field_identifier" | "type_identifier" => {
                out.push(n.utf8_text(src.as_bytes()).unwrap_or("").to_string());
                continue;
            }
            "comment" => continue,
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

    /// Shaped like a container runtime's sysctl code (written for these tests).
    const SRC: &str = r#"/* sysctl.c: writing kernel parameters */
#include <fcntl.h>
#include "utils.h"

#define SYSCTL_ROOT "sys"
#define MAKE_PATH(a, b) a "/" b
#define HAVE_THING

struct proc_handle
{
  int fd;
};

typedef struct proc_handle proc_handle_t;

enum mode { MODE_READ, MODE_WRITE };

static const char *skipped_keys[] = { "kernel.hostname", NULL };

int open_proc_dir (struct proc_handle *h, int flags, error_t *err);

#ifdef HAVE_OPENAT2
static int
open_beneath (int dirfd, const char *name)
{
  return syscall_openat2 (dirfd, name, O_WRONLY, 0, RESOLVE_NO_XDEV);
}
#endif

int
write_sysctl (struct proc_handle *h, const char *name, const char *value, error_t *err)
{
  int fd;
  // a comment naming open_beneath ()
  fd = openat (h->fd, name, O_WRONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error (err, errno, "open `/proc/sys/%s`", name);
  if (h->ops->write (fd, value) < 0)
    return make_error (err, errno, "write to `/proc/sys/%s`" " (%lu bytes)", name, strlen (value));
  register_handler (write_sysctl_done);
  return open_beneath (fd, "x");
}
"#;

    #[test]
    fn declarations_include_definitions_types_macros_and_ifdef_blocks() {
        let (p, _) = parse(SRC);
        assert_eq!(p.error_nodes, 0);
        let decls: Vec<(DeclKind, &str, u32, u32)> = p
            .decls
            .iter()
            .map(|d| (d.kind, d.name.as_str(), d.start, d.end))
            .collect();
        assert_eq!(
            decls,
            [
                (DeclKind::Macro, "SYSCTL_ROOT", 5, 5),
                (DeclKind::Macro, "MAKE_PATH", 6, 6),
                (DeclKind::Type, "proc_handle", 9, 12),
                (DeclKind::Type, "proc_handle_t", 14, 14),
                (DeclKind::Type, "mode", 16, 16),
                (DeclKind::Const, "MODE_READ", 16, 16),
                (DeclKind::Const, "MODE_WRITE", 16, 16),
                (DeclKind::Var, "skipped_keys", 18, 18),
                (DeclKind::Func, "open_beneath", 24, 27),
                (DeclKind::Func, "write_sysctl", 31, 42),
            ]
        );
        assert_eq!(p.imports, ["fcntl.h", "utils.h"]);
    }

    #[test]
    fn strings_know_their_call_and_error_formats_are_printf_patterns() {
        let (p, _) = parse(SRC);
        let open = p
            .strings
            .iter()
            .find(|s| s.value.starts_with("open `"))
            .unwrap();
        assert_eq!(
            (open.line, open.callee.as_deref()),
            (37, Some("make_error"))
        );
        let f = C.error_format(open).unwrap();
        assert_eq!(f.pattern, "open `/proc/sys/%v`");
        let write = p
            .strings
            .iter()
            .find(|s| s.value.starts_with("write to"))
            .unwrap();
        assert_eq!(write.value, "write to `/proc/sys/%s` (%lu bytes)");
        assert_eq!(
            C.error_format(write).unwrap().pattern,
            "write to `/proc/sys/%v` (%v bytes)"
        );
        let key = p
            .strings
            .iter()
            .find(|s| s.value == "kernel.hostname")
            .unwrap();
        assert_eq!(key.var.as_deref(), Some("skipped_keys"));
        // An argument of a call that is not an error report.
        let x = p.strings.iter().find(|s| s.value == "x").unwrap();
        assert!(C.error_format(x).is_none());
    }

    #[test]
    fn references_are_direct_calls_and_functions_named_as_values() {
        let (p, _) = parse(SRC);
        let calls: Vec<(u32, &str, Option<&str>)> = p
            .refs
            .iter()
            .filter(|r| r.kind == RefKind::Call)
            .map(|r| (r.line, r.name.as_str(), r.scope.as_deref()))
            .collect();
        assert_eq!(
            calls,
            [
                (26, "syscall_openat2", Some("open_beneath")),
                (35, "openat", Some("write_sysctl")),
                (37, "make_error", Some("write_sysctl")),
                (39, "make_error", Some("write_sysctl")),
                (39, "strlen", Some("write_sysctl")),
                (40, "register_handler", Some("write_sysctl")),
                (41, "open_beneath", Some("write_sysctl")),
            ]
        );
        let value = p
            .refs
            .iter()
            .find(|r| r.name == "write_sysctl_done")
            .unwrap();
        assert_eq!((value.kind, &value.via), (RefKind::Value, &Via::Argument));
        // `h->ops->write (...)` is in the calls, not a reference to a function named write.
        assert!(p.calls.iter().any(|c| c.callee == "h->ops->write"));
        assert!(!p.refs.iter().any(|r| r.name == "write"));
        assert_eq!(p.decl_at(38).unwrap().name, "write_sysctl");
    }

    #[test]
    fn comments_and_strings_are_regions() {
        let (p, _) = parse(SRC);
        let texts: Vec<&str> = p
            .regions
            .iter()
            .filter(|r| r.kind == RegionKind::Comment)
            .map(|r| &SRC[r.start as usize..r.end as usize])
            .collect();
        assert_eq!(
            texts,
            [
                "/* sysctl.c: writing kernel parameters */",
                "// a comment naming open_beneath ()"
            ]
        );
        assert!(p.regions.iter().any(|r| r.kind == RegionKind::String
            && &SRC[r.start as usize..r.end as usize] == "\"open `/proc/sys/%s`\""));
    }

    #[test]
    fn syntax_errors_name_their_place_and_generated_headers_are_marked() {
        let (p, _) = parse("int ok (void) { return 0; }\n\nint broken ( {\n");
        assert!(p.error_nodes > 0);
        assert_eq!(p.first_error.map(|e| e.0), Some(3));
        assert!(p.decls.iter().any(|d| d.name == "ok"));
        let (g, _) = parse("/* Generated by gen.py. DO NOT EDIT. */\nint x;\n");
        assert!(g.generated);
        assert!(!parse(SRC).0.generated);
    }

    #[test]
    fn printf_conversions() {
        assert_eq!(
            printf_pattern("%-5lu of %zd: %m 100%%").unwrap(),
            "%v of %v: %v 100%%"
        );
        assert_eq!(printf_pattern("bad %"), None);
        assert_eq!(decode(r#""a\tb\x41\101\"""#), "a\tbAA\"");
    }
}
