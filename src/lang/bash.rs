//! Shell (sh and bash), parsed with tree-sitter-bash: function declarations, readonly and
//! exported variables, call sites (a literal command word, wherever the command stands:
//! `$(...)`, pipelines, conditions, `&&`/`||`), functions named as values (`command -v f`,
//! `declare -f f`, `unset -f f`) or as handlers (`trap f EXIT`, `eval "f ..."`), `source`/`.`
//! edges, and string literals with the command they are an argument of. Comments and here-doc
//! text are never references; a `$(...)` inside an unquoted here-doc is, since bash runs it.
//! Sees one file only: which function a call reaches is the xref graph's job.

use std::cell::RefCell;

use tree_sitter::{Node, Parser, Tree};

use super::{
    Call, Decl, DeclKind, Parsed, Ref, RefKind, Region, RegionKind, SourceEdge, StringLit, Via,
};

thread_local! {
    static PARSER: RefCell<Parser> = RefCell::new({
        let mut p = Parser::new();
        p.set_language(&tree_sitter_bash::LANGUAGE.into())
            .expect("tree-sitter-bash matches the tree-sitter version");
        p
    });
}

/// Builtins and keywords that run no shell function: a command word naming one is not
/// recorded unless the file defines a function of that name.
const BUILTINS: &[&str] = &[
    ".",
    ":",
    "[",
    "[[",
    "alias",
    "bg",
    "bind",
    "break",
    "builtin",
    "caller",
    "cd",
    "command",
    "compgen",
    "complete",
    "compopt",
    "continue",
    "declare",
    "dirs",
    "disown",
    "echo",
    "enable",
    "eval",
    "exec",
    "exit",
    "export",
    "false",
    "fc",
    "fg",
    "getopts",
    "hash",
    "help",
    "history",
    "jobs",
    "kill",
    "let",
    "local",
    "logout",
    "mapfile",
    "popd",
    "printf",
    "pushd",
    "pwd",
    "read",
    "readarray",
    "readonly",
    "return",
    "set",
    "shift",
    "shopt",
    "source",
    "suspend",
    "test",
    "time",
    "times",
    "trap",
    "true",
    "type",
    "typeset",
    "ulimit",
    "umask",
    "unalias",
    "unset",
    "wait",
];

/// sh and bash.
pub struct Shell;

impl super::Language for Shell {
    fn lang(&self) -> super::Lang {
        super::Lang::Shell
    }
    fn detects(&self, path: &str, first_line: &str) -> bool {
        is_shell_path(path) || is_shell_shebang(first_line.as_bytes())
    }
    fn grammar(&self) -> Option<tree_sitter::Language> {
        Some(language())
    }
    fn case_extensions(&self) -> &'static [&'static str] {
        &["sh", "bash"]
    }
    fn parse(&self, src: &str) -> (Parsed, Option<Tree>) {
        parse(src)
    }
    fn refs(&self) -> super::Refs {
        super::Refs::ShellSources
    }
}

/// The tree-sitter language, for rules (`queries/shell/*.scm`) to compile against.
pub fn language() -> tree_sitter::Language {
    tree_sitter_bash::LANGUAGE.into()
}

/// Parses shell source with this thread's parser.
pub fn parse_tree(src: &str) -> Option<Tree> {
    PARSER.with(|p| p.borrow_mut().parse(src, None))
}

/// Whether the path's extension names a shell script.
pub fn is_shell_path(path: &str) -> bool {
    [".sh", ".bash", ".bats"].iter().any(|e| path.ends_with(e))
}

/// Whether the file's first line is a shell shebang: `#!/bin/sh`, `#!/bin/bash`,
/// `#!/usr/bin/env bash`, `#!/usr/bin/env -S bash -e`, dash, ash, ksh, bats.
pub fn is_shell_shebang(head: &[u8]) -> bool {
    let line = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let Some(rest) = line.strip_prefix(b"#!") else {
        return false;
    };
    let rest = String::from_utf8_lossy(rest);
    let mut words = rest.split_whitespace();
    let Some(mut prog) = words.next().map(|p| p.rsplit('/').next().unwrap_or(p)) else {
        return false;
    };
    if prog == "env" {
        match words.find(|w| !w.starts_with('-') && !w.contains('=')) {
            Some(p) => prog = p,
            None => return false,
        }
    }
    matches!(prog, "sh" | "bash" | "dash" | "ash" | "ksh" | "bats")
}

/// Parses and extracts: `decls` (functions; readonly and exported variables as `Const` and
/// `Var`), `refs`, `calls` (the call refs, for callers that only know `Call`), `sources`,
/// `strings`, `error_nodes`. `tree` is returned too so rules can run on it.
pub fn parse(src: &str) -> (Parsed, Option<Tree>) {
    let Some(tree) = parse_tree(src) else {
        return (Parsed::default(), None);
    };
    let mut out = Parsed::default();
    let mut x = Extractor {
        src: src.as_bytes(),
        scopes: Vec::new(),
        out: &mut out,
    };
    x.walk(tree.root_node());
    out.first_error = super::syntax_errors(tree.root_node()).1;
    regions(tree.root_node(), &mut out.regions);
    // Builtin names count only where the file itself defines a function of that name.
    let defined: Vec<String> = out
        .decls
        .iter()
        .filter(|d| d.kind == DeclKind::Func)
        .map(|d| d.ident.clone())
        .collect();
    // An argument word counts when it looks like a function name: with an underscore
    // (`test_fn`, `_cai_probe`), or naming a function of this file; bare words such as `info`
    // in `docker info` would otherwise pass for functions of the same name elsewhere.
    out.refs.retain(|r| match r.via {
        Via::Argument => r.name.contains('_') || defined.contains(&r.name),
        _ => !BUILTINS.contains(&r.name.as_str()) || defined.contains(&r.name),
    });
    out.refs.sort_by_key(|a| (a.line, a.col));
    out.calls = out
        .refs
        .iter()
        .filter(|r| r.kind == RefKind::Call)
        .map(|r| Call {
            line: r.line,
            callee: r.name.clone(),
        })
        .collect();
    out.decls.sort_by_key(|d| (d.start, d.end));
    out.strings.sort_by_key(|a| (a.line, a.col));
    (out, Some(tree))
}

/// Comments and the text of strings and here-documents: what `in:code`, `in:comment` and
/// `in:string` search inside or outside of. The code a string or here-document runs
/// (`"$(cmd)"`, `<(cmd)`) is code, so a string's region stops around each substitution.
fn regions(root: Node, out: &mut Vec<Region>) {
    let push = |out: &mut Vec<Region>, start: usize, end: usize, kind: RegionKind| {
        if start < end {
            out.push(Region {
                start: start as u32,
                end: end as u32,
                kind,
            });
        }
    };
    let is_code = |k: &str| matches!(k, "command_substitution" | "process_substitution");
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "comment" => push(out, n.start_byte(), n.end_byte(), RegionKind::Comment),
            "raw_string" | "ansi_c_string" => {
                push(out, n.start_byte(), n.end_byte(), RegionKind::String)
            }
            "string" | "translated_string" | "heredoc_body" => {
                let mut at = n.start_byte();
                let mut c = n.walk();
                for child in n.children(&mut c) {
                    if is_code(child.kind()) {
                        push(out, at, child.start_byte(), RegionKind::String);
                        at = child.end_byte();
                        stack.push(child);
                    }
                }
                push(out, at, n.end_byte(), RegionKind::String);
            }
            _ => {
                let mut c = n.walk();
                stack.extend(n.children(&mut c));
            }
        }
    }
    out.sort_by_key(|r| (r.start, r.end));
}

struct Extractor<'a, 'p> {
    src: &'a [u8],
    /// Names of the enclosing functions; `scope_at` indexes into it.
    scopes: Vec<String>,
    out: &'p mut Parsed,
}

/// What a string literal stands in, known from its parent. Carried down the walk because
/// `Node::parent` searches from the root: calling it per string is quadratic on large files.
#[derive(Clone, Copy)]
enum Context<'t> {
    None,
    /// An argument of this command (directly, or inside a concatenation).
    ArgOf(Node<'t>),
    /// The value assigned to this variable name.
    ValueOf(Node<'t>),
}

/// A node to visit, the index (+1) in `scopes` of its innermost enclosing function, and its
/// context.
type Visit<'t> = (Node<'t>, usize, Context<'t>);

impl<'a> Extractor<'a, '_> {
    fn text(&self, n: Node) -> &'a str {
        n.utf8_text(self.src).unwrap_or("")
    }

    fn scope(&self, s: usize) -> Option<String> {
        s.checked_sub(1).map(|i| self.scopes[i].clone())
    }

    fn push_ref(&mut self, name: &str, line: u32, col: u32, kind: RefKind, scope: usize) {
        if name.is_empty() {
            return;
        }
        let scope = self.scope(scope);
        self.out.refs.push(Ref {
            line,
            col,
            name: name.to_string(),
            written: String::new(),
            kind,
            via: Via::Local,
            scope,
        });
    }

    fn ref_at(&mut self, n: Node, name: &str, kind: RefKind, scope: usize) {
        let p = n.start_position();
        self.push_ref(name, p.row as u32 + 1, p.column as u32 + 1, kind, scope);
    }

    /// A function's declaration; the scope its body runs in.
    fn on_function(&mut self, n: Node) -> Option<usize> {
        let name = self.text(n.child_by_field_name("name")?).to_string();
        self.out.decls.push(Decl {
            kind: DeclKind::Func,
            ident: name.clone(),
            name: name.clone(),
            start: n.start_position().row as u32 + 1,
            end: n.end_position().row as u32 + 1,
        });
        self.scopes.push(name);
        Some(self.scopes.len())
    }

    /// `_emit=_cai_info` (run later as "$_emit"), `cmd=(_cai_timeout 5 docker)`: values that
    /// may name a function.
    fn on_assignment(&mut self, n: Node, scope: usize) {
        let Some(v) = n.child_by_field_name("value") else {
            return;
        };
        if v.kind() == "array" {
            let mut c = v.walk();
            let items: Vec<Node> = v.named_children(&mut c).collect();
            for item in items {
                self.argument_ref(item, scope);
            }
        } else {
            self.argument_ref(v, scope);
        }
    }

    /// Iterative, so deeply nested scripts cannot overflow a worker thread's stack.
    fn walk(&mut self, root: Node) {
        if root.has_error() {
            let mut stack = vec![root];
            while let Some(n) = stack.pop() {
                if n.is_error() || n.is_missing() {
                    self.out.error_nodes += 1;
                }
                let mut c = n.walk();
                stack.extend(n.children(&mut c));
            }
        }
        let mut stack: Vec<Visit> = vec![(root, 0, Context::None)];
        while let Some((n, scope, ctx)) = stack.pop() {
            let mut inner = scope;
            match n.kind() {
                "comment" | "heredoc_content" | "heredoc_start" | "heredoc_end" => continue,
                "function_definition" => {
                    if let Some(inside) = self.on_function(n) {
                        inner = inside;
                    }
                }
                "command" => self.on_command(n, scope),
                "declaration_command" => self.on_declaration(n, scope),
                "unset_command" => {
                    let mut c = n.walk();
                    let words: Vec<Node> = n.named_children(&mut c).collect();
                    if words
                        .iter()
                        .any(|w| self.flags(*w).is_some_and(|f| f.contains('f')))
                    {
                        // The names are `variable_name` nodes here, not words: their text.
                        for w in words {
                            if self.flags(w).is_some() {
                                continue;
                            }
                            let name = self.text(w);
                            self.ref_at(w, name, RefKind::Value, scope);
                        }
                    }
                }
                "string" | "raw_string" | "ansi_c_string" => self.on_string(n, ctx),
                // `_emit=_cai_info` (run later as "$_emit"), `cmd=(_cai_timeout 5 docker)`.
                "variable_assignment" => self.on_assignment(n, scope),
                _ => {}
            }
            let at = stack.len();
            let mut cur = n.walk();
            if cur.goto_first_child() {
                loop {
                    let child = cur.node();
                    let field = cur.field_name();
                    let child_ctx = match (n.kind(), field) {
                        ("command", Some("argument")) => Context::ArgOf(n),
                        ("concatenation", _) => ctx,
                        ("variable_assignment", Some("value")) => n
                            .child_by_field_name("name")
                            .map_or(Context::None, Context::ValueOf),
                        _ => Context::None,
                    };
                    stack.push((child, inner, child_ctx));
                    if !cur.goto_next_sibling() {
                        break;
                    }
                }
            }
            stack[at..].reverse();
        }
    }

    /// `-rx` -> `Some("rx")`; a word that is not an option -> `None`.
    fn flags(&self, w: Node) -> Option<&'a str> {
        if w.kind() != "word" {
            return None;
        }
        let t = self.text(w);
        t.strip_prefix('-').or_else(|| t.strip_prefix('+'))
    }

    /// The literal text of a word or a quoted string without expansions; `None` when dynamic.
    fn literal(&self, n: Node) -> Option<String> {
        match n.kind() {
            "word" | "command_name" => {
                if n.kind() == "command_name" {
                    let mut c = n.walk();
                    let mut kids = n.named_children(&mut c);
                    let only = kids.next()?;
                    return if kids.next().is_none() {
                        self.literal(only)
                    } else {
                        None
                    };
                }
                Some(unescape_word(self.text(n)))
            }
            "raw_string" => {
                let t = self.text(n);
                Some(
                    t.get(1..t.len().saturating_sub(1))
                        .unwrap_or("")
                        .to_string(),
                )
            }
            "string" => {
                let mut c = n.walk();
                if n.named_children(&mut c)
                    .any(|ch| ch.kind() != "string_content")
                {
                    return None;
                }
                Some(string_value(self.text(n)))
            }
            _ => None,
        }
    }

    /// `source FILE` / `. FILE`: an edge to the file it reads.
    fn source_edge(&mut self, a: Node, scope: usize) {
        let p = a.start_position();
        let path = match a.kind() {
            "string" => string_value(self.text(a)),
            "raw_string" => self.literal(a).unwrap_or_default(),
            _ => self.text(a).replace(['"', '\''], ""),
        };
        let scope = self.scope(scope);
        self.out.sources.push(SourceEdge {
            line: p.row as u32 + 1,
            col: p.column as u32 + 1,
            path,
            scope,
        });
    }

    /// The non-flag literal arguments of `type`, `command -v`, `declare -f`...: functions named,
    /// not called.
    fn named_refs(&mut self, args: &[Node], scope: usize) {
        for &a in args {
            if self.flags(a).is_some() {
                continue;
            }
            if let Some(n) = self.literal(a) {
                self.ref_at(a, &n, RefKind::Value, scope);
            }
        }
    }

    fn on_command(&mut self, cmd: Node, scope: usize) {
        let Some(name_node) = cmd.child_by_field_name("name") else {
            return;
        };
        // `"$cmd" args`, `${DOCKER[@]} ps`: the name is only known at run time.
        let Some(name) = self.literal(name_node) else {
            return;
        };
        let mut c = cmd.walk();
        let args: Vec<Node> = cmd.children_by_field_name("argument", &mut c).collect();
        match name.as_str() {
            "source" | "." => {
                if let Some(a) = args.first() {
                    self.source_edge(*a, scope);
                }
            }
            // `command -v f` names f; `command f` bypasses functions and runs the program.
            "command"
                if args
                    .first()
                    .and_then(|a| self.flags(*a))
                    .is_some_and(|f| f.contains('v') || f.contains('V')) =>
            {
                self.named_refs(&args[1..], scope);
            }
            "type" => {
                self.named_refs(&args, scope);
            }
            // The handler runs later: a call from here.
            "trap" => {
                let handler = args
                    .iter()
                    .find(|a| self.flags(**a).is_none() && self.text(**a) != "--");
                if let Some(a) = handler {
                    self.handler_call(*a, scope);
                }
            }
            "eval" => {
                if let Some(a) = args.first() {
                    self.handler_call(*a, scope);
                }
            }
            // `time f args`: the keyword times the command after it.
            "time" => {
                if let Some(a) = args.iter().find(|a| self.flags(**a).is_none())
                    && let Some(n) = self.literal(*a)
                {
                    self.ref_at(*a, &n, RefKind::Call, scope);
                }
            }
            // After `!`, tree-sitter-bash parses these as plain commands, not declarations.
            "declare" | "typeset" | "export" | "readonly" | "local" | "unset" => {
                let fns = args
                    .iter()
                    .filter_map(|a| self.flags(*a))
                    .any(|f| f.contains('f') || f.contains('F'));
                if fns {
                    self.named_refs(&args, scope);
                }
            }
            // A wrapper's arguments may name the function it runs (`run_test "t" test_fn`,
            // `_cai_timeout 5 _cai_probe`). Builtins print or store their arguments instead.
            other if !BUILTINS.contains(&other) => {
                for a in &args {
                    self.argument_ref(*a, scope);
                }
            }
            _ => {}
        }
        self.ref_at(name_node, &name, RefKind::Call, scope);
    }

    /// A literal word that may name a function: recorded as [`Via::Argument`], kept by `parse`
    /// only when it looks like one, and by the graph only where such a function exists.
    fn argument_ref(&mut self, n: Node, scope: usize) {
        let Some(word) = self.literal(n) else {
            return;
        };
        let mut chars = word.chars();
        let ident = chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !ident {
            return;
        }
        let p = n.start_position();
        let col = p.column as u32 + 1 + matches!(n.kind(), "string" | "raw_string") as u32;
        let scope = self.scope(scope);
        self.out.refs.push(Ref {
            line: p.row as u32 + 1,
            col,
            name: word,
            written: String::new(),
            kind: RefKind::Value,
            via: Via::Argument,
            scope,
        });
    }

    /// The first word of a `trap`/`eval` argument, as the command it will run.
    fn handler_call(&mut self, arg: Node, scope: usize) {
        let quoted = matches!(arg.kind(), "string" | "raw_string");
        let Some(text) = self.literal(arg) else {
            return;
        };
        let lead = text.len() - text.trim_start().len();
        let word: String = text[lead..]
            .chars()
            .take_while(|c| !c.is_whitespace() && !";&|()<>".contains(*c))
            .collect();
        if word.is_empty() || word == "-" || word.starts_with('$') {
            return;
        }
        let p = arg.start_position();
        let col = p.column as u32 + 1 + quoted as u32 + lead as u32;
        self.push_ref(&word, p.row as u32 + 1, col, RefKind::Call, scope);
    }

    fn on_declaration(&mut self, n: Node, scope: usize) {
        let mut c = n.walk();
        let keyword = n
            .children(&mut c)
            .next()
            .map(|k| self.text(k))
            .unwrap_or("");
        let mut c = n.walk();
        let parts: Vec<Node> = n.named_children(&mut c).collect();
        let flags: String = parts.iter().filter_map(|p| self.flags(*p)).collect();
        // `declare -f f`, `export -f f`: functions named, not variables declared.
        if flags.contains('f') || flags.contains('F') {
            let named: Vec<Node> = parts
                .iter()
                .copied()
                .filter(|p| self.flags(*p).is_none())
                .collect();
            for p in named {
                if matches!(p.kind(), "variable_name" | "word") {
                    let name = self.text(p);
                    self.ref_at(p, name, RefKind::Value, scope);
                }
            }
            return;
        }
        let kind = match keyword {
            "readonly" => DeclKind::Const,
            "declare" | "typeset" if flags.contains('r') => DeclKind::Const,
            "export" => DeclKind::Var,
            "declare" | "typeset" if flags.contains('x') => DeclKind::Var,
            _ => return,
        };
        for p in parts {
            let name = match p.kind() {
                "variable_name" => Some(p),
                "variable_assignment" => p.child_by_field_name("name"),
                _ => None,
            };
            if let Some(name) = name {
                let name = self.text(name).to_string();
                let line = p.start_position().row as u32 + 1;
                self.out.decls.push(Decl {
                    kind,
                    ident: name.clone(),
                    name,
                    start: line,
                    end: p.end_position().row as u32 + 1,
                });
            }
        }
    }

    fn on_string(&mut self, n: Node, ctx: Context) {
        let raw = self.text(n);
        let value = match n.kind() {
            "raw_string" => raw
                .get(1..raw.len().saturating_sub(1))
                .unwrap_or("")
                .to_string(),
            "ansi_c_string" => {
                let inner = raw.get(2..raw.len().saturating_sub(1)).unwrap_or("");
                super::go::decode_string(&format!("\"{}\"", inner.replace('"', "\\\"")))
            }
            _ => string_value(raw),
        };
        if !value.chars().any(char::is_alphabetic) {
            return;
        }
        let (callee, var) = match ctx {
            Context::ArgOf(cmd) => (
                cmd.child_by_field_name("name")
                    .and_then(|nm| self.literal(nm)),
                None,
            ),
            Context::ValueOf(name) => (None, Some(self.text(name).to_string())),
            Context::None => (None, None),
        };
        let p = n.start_position();
        self.out.strings.push(StringLit {
            line: p.row as u32 + 1,
            col: p.column as u32 + 1,
            value,
            callee,
            field: None,
            var,
        });
    }
}

/// A double-quoted string's value: quotes removed, `\"`, `\\`, `\$`, `` \` `` unescaped,
/// expansions kept as written.
fn string_value(raw: &str) -> String {
    let inner = raw.strip_prefix('"').unwrap_or(raw);
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next) = chars.peek()
            && matches!(next, '"' | '\\' | '$' | '`')
        {
            out.push(next);
            chars.next();
            continue;
        }
        out.push(c);
    }
    out
}

/// An unquoted word's value: backslash escapes removed (`\_f` is `_f`).
fn unescape_word(w: &str) -> String {
    if !w.contains('\\') {
        return w.to_string();
    }
    let mut out = String::with_capacity(w.len());
    let mut chars = w.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text of each region, with its kind.
    fn region_texts(src: &str) -> Vec<(RegionKind, &str)> {
        parse(src)
            .0
            .regions
            .iter()
            .map(|r| (r.kind, &src[r.start as usize..r.end as usize]))
            .collect()
    }

    #[test]
    fn comments_strings_and_heredocs_are_regions_but_substitutions_are_code() {
        let src = "# probe is a comment\nprobe 'probe raw' \"probe $(probe --x) done\"\ncat <<EOF\nprobe in heredoc\nEOF\necho $'probe\\n' # tail\n";
        let got = region_texts(src);
        assert_eq!(
            got,
            vec![
                (RegionKind::Comment, "# probe is a comment"),
                (RegionKind::String, "'probe raw'"),
                (RegionKind::String, "\"probe "),
                (RegionKind::String, " done\""),
                (RegionKind::String, "probe in heredoc\n"),
                (RegionKind::String, "$'probe\\n'"),
                (RegionKind::Comment, "# tail"),
            ]
        );
        // The call inside the substitution and the first command word are outside every region.
        let code: Vec<usize> = src.match_indices("probe").map(|(i, _)| i).collect();
        let regions = parse(src).0.regions;
        let outside: Vec<usize> = code
            .into_iter()
            .filter(|&i| {
                !regions
                    .iter()
                    .any(|r| r.start as usize <= i && i < r.end as usize)
            })
            .collect();
        assert_eq!(outside.len(), 2, "{outside:?}");
    }

    const LIB: &str = r#"#!/usr/bin/env bash
# _cai_docker_desktop_version is documented here but this is a comment
readonly _CAI_VERSION_FILE="$HOME/.cai/version"
declare -rx _CAI_MODE=strict
export CAI_HOME

_cai_info() { printf '[INFO] %s\n' "$*"; }

function _cai_error {
    echo "[ERROR] $*" >&2
}

_cai_setup() {
    local ctx
    ctx="$(_cai_select_context "$1")" || return 1
    if _cai_is_linux && ! _cai_docker_ok; then
        _cai_error "docker is not reachable; run _cai_fix_docker first"
    fi
    _cai_list | grep -q foo || _cai_info "no foo"
    [[ -n "$(_cai_probe)" ]] && _cai_warn_once
    cat <<EOF
Run _cai_docker_desktop_version to see the version.
Current: $(_cai_current_version)
EOF
    cat <<'EOF'
Literal $(_cai_never_called) text
EOF
    "$cmd" --flag
    trap '_cai_cleanup "$tmp"' EXIT
    if command -v _cai_optional >/dev/null 2>&1; then _cai_optional; fi
    declare -f _cai_maybe >/dev/null && _cai_maybe
    source "$_CAI_SCRIPT_DIR/lib/core.sh"
    echo done
}
"#;

    fn names(p: &Parsed, kind: RefKind) -> Vec<(u32, String)> {
        p.refs
            .iter()
            .filter(|r| r.kind == kind)
            .map(|r| (r.line, r.name.clone()))
            .collect()
    }

    #[test]
    fn calls_are_command_words_and_never_comments_or_heredoc_text() {
        let (p, _) = parse(LIB);
        assert_eq!(p.error_nodes, 0);
        let calls = names(&p, RefKind::Call);
        let want: Vec<(u32, String)> = [
            (15, "_cai_select_context"),
            (16, "_cai_is_linux"),
            (16, "_cai_docker_ok"),
            (17, "_cai_error"),
            (19, "_cai_list"),
            (19, "grep"),
            (19, "_cai_info"),
            (20, "_cai_probe"),
            (20, "_cai_warn_once"),
            (21, "cat"),
            (23, "_cai_current_version"),
            (25, "cat"),
            (29, "_cai_cleanup"),
            (30, "_cai_optional"),
            (31, "_cai_maybe"),
        ]
        .iter()
        .map(|(l, n)| (*l, n.to_string()))
        .collect();
        assert_eq!(calls, want);
        assert!(!p.refs.iter().any(|r| r.name.contains("desktop_version")
            || r.name.contains("never_called")
            || r.name.contains("fix_docker")));
        let values = names(&p, RefKind::Value);
        assert_eq!(
            values,
            [
                (30, "_cai_optional".to_string()),
                (31, "_cai_maybe".to_string())
            ]
        );
        let sel = p
            .refs
            .iter()
            .find(|r| r.name == "_cai_select_context")
            .unwrap();
        assert_eq!((sel.col, sel.scope.as_deref()), (12, Some("_cai_setup")));
        let trap = p.refs.iter().find(|r| r.name == "_cai_cleanup").unwrap();
        assert_eq!(trap.col, 11);
        assert!(
            p.calls
                .iter()
                .any(|c| c.callee == "_cai_probe" && c.line == 20)
        );
    }

    #[test]
    fn declarations_sources_and_strings() {
        let (p, _) = parse(LIB);
        let decls: Vec<(DeclKind, &str, u32, u32)> = p
            .decls
            .iter()
            .map(|d| (d.kind, d.name.as_str(), d.start, d.end))
            .collect();
        assert_eq!(
            decls,
            [
                (DeclKind::Const, "_CAI_VERSION_FILE", 3, 3),
                (DeclKind::Const, "_CAI_MODE", 4, 4),
                (DeclKind::Var, "CAI_HOME", 5, 5),
                (DeclKind::Func, "_cai_info", 7, 7),
                (DeclKind::Func, "_cai_error", 9, 11),
                (DeclKind::Func, "_cai_setup", 13, 34),
            ]
        );
        assert_eq!(
            p.sources,
            [SourceEdge {
                line: 32,
                col: 12,
                path: "$_CAI_SCRIPT_DIR/lib/core.sh".into(),
                scope: Some("_cai_setup".into()),
            }]
        );
        let msg = p
            .strings
            .iter()
            .find(|s| s.value.starts_with("docker is not"))
            .unwrap();
        assert_eq!(
            (msg.line, msg.col, msg.callee.as_deref()),
            (17, 20, Some("_cai_error"))
        );
        let file = p
            .strings
            .iter()
            .find(|s| s.value.contains(".cai/version"))
            .unwrap();
        assert_eq!(file.var.as_deref(), Some("_CAI_VERSION_FILE"));
        let info = p
            .strings
            .iter()
            .find(|s| s.value == "[INFO] %s\\n")
            .unwrap();
        assert_eq!(info.callee.as_deref(), Some("printf"));
    }

    #[test]
    fn builtins_are_kept_only_when_the_file_defines_them() {
        let (p, _) = parse("echo hi\nread x\nwait\n");
        assert!(p.refs.is_empty());
        let (p, _) = parse("wait() { :; }\nwait\n");
        assert_eq!(names(&p, RefKind::Call), [(2, "wait".to_string())]);
    }

    #[test]
    fn value_forms_and_handlers() {
        let src = "unset -f _a\nexport -f _b\ntype -t _c\ntrap cleanup INT TERM\neval \"_d --x\"\ntime _e 1\ncommand _f\n$(_pick_cmd) --flag\n";
        let (p, _) = parse(src);
        assert_eq!(
            names(&p, RefKind::Value),
            [
                (1, "_a".to_string()),
                (2, "_b".to_string()),
                (3, "_c".to_string())
            ]
        );
        assert_eq!(
            names(&p, RefKind::Call),
            [
                (4, "cleanup".to_string()),
                (5, "_d".to_string()),
                (6, "_e".to_string()),
                (8, "_pick_cmd".to_string()),
            ]
        );
        assert_eq!(p.refs.iter().find(|r| r.name == "_d").unwrap().col, 7);
    }

    #[test]
    fn function_names_as_arguments_and_assigned_values() {
        let src = r#"helper() { "$@"; }
run_test "probe works" test_probe
_cai_timeout 5 docker info
echo _cai_not_a_call
emit=_cai_info
cmd=(_cai_retry 3 curl)
if ! declare -f _cai_optional >/dev/null 2>&1; then :; fi
helper usage
usage() { :; }
"#;
        let (p, _) = parse(src);
        let args: Vec<(u32, &str, u32)> = p
            .refs
            .iter()
            .filter(|r| r.via == Via::Argument)
            .map(|r| (r.line, r.name.as_str(), r.col))
            .collect();
        // `docker`/`info` lack an underscore and no function of this file has that name;
        // `usage` is defined here; echo's arguments are printed, not run.
        assert_eq!(
            args,
            [
                (2, "test_probe", 24),
                (5, "_cai_info", 6),
                (6, "_cai_retry", 6),
                (8, "usage", 8)
            ]
        );
        let opt = p.refs.iter().find(|r| r.name == "_cai_optional").unwrap();
        assert_eq!((opt.kind, &opt.via), (RefKind::Value, &Via::Local));
    }

    #[test]
    fn shebangs_and_extensions() {
        assert!(is_shell_shebang(b"#!/bin/sh\nset -e\n"));
        assert!(is_shell_shebang(b"#!/usr/bin/env bash\n"));
        assert!(is_shell_shebang(b"#!/usr/bin/env -S bash -eu\n"));
        assert!(is_shell_shebang(b"#! /bin/bash -x"));
        assert!(!is_shell_shebang(b"#!/usr/bin/env python3\n"));
        assert!(!is_shell_shebang(b"echo hi\n"));
        assert!(is_shell_path("src/lib/core.sh"));
        assert!(is_shell_path("test/integration/run.bats"));
        assert!(!is_shell_path("main.go"));
    }
}
