//! The parse stage: bytes of one file version in, a [`Parsed`] out. One module per language,
//! each implementing [`Language`]; adding a language is adding a file here and an entry in
//! [`LANGUAGES`]. Nothing outside this folder knows a language's syntax.

pub mod bash;
pub mod c;
pub mod errfmt;
pub mod go;
pub mod rust;
pub mod text;

use serde::{Deserialize, Serialize};
use tree_sitter::{Node, Tree};

/// A language archeo knows (its identity; [`Lang::language`] gives its behaviour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Go, parsed with tree-sitter-go.
    Go,
    /// sh and bash scripts, parsed with tree-sitter-bash.
    Shell,
    /// C sources and headers, parsed with tree-sitter-c.
    C,
    /// Rust, parsed with tree-sitter-rust.
    Rust,
    /// Any other text file, indexed by line.
    Text,
}

/// What the rest of archeo may ask of a language.
pub trait Language: Sync {
    /// Its identity.
    fn lang(&self) -> Lang;
    /// Its name in queries (`lang:go`), rule directories (`queries/go/`) and the index.
    fn name(&self) -> &'static str {
        self.lang().as_str()
    }
    /// Does this language own the file at `path` whose first line is `first_line`?
    fn detects(&self, path: &str, first_line: &str) -> bool;
    /// The tree-sitter grammar rules are compiled against (None: no syntax tree).
    fn grammar(&self) -> Option<tree_sitter::Language>;
    /// File extensions of rule test cases (`tests/rules/ID/valid/*.go`).
    fn case_extensions(&self) -> &'static [&'static str];
    /// Parses one file version; the tree is returned too so rules can run on it.
    fn parse(&self, src: &str) -> (Parsed, Option<Tree>);
    /// Parses a file version given a previous version of the same file (its tree and text),
    /// reusing what did not change when the language can; the facts are those [`parse`]
    /// gives (default: a full parse).
    ///
    /// [`parse`]: Language::parse
    fn reparse(&self, src: &str, _old: Option<(&Tree, &str)>) -> (Parsed, Option<Tree>, ParseKind) {
        let (p, t) = self.parse(src);
        (p, t, ParseKind::Full)
    }
    /// The values a captured node contributes to a rule fact (default: its text).
    fn fact_values(&self, node: Node, src: &str) -> Vec<String> {
        vec![node.utf8_text(src.as_bytes()).unwrap_or("").to_string()]
    }
    /// When a string literal is an error message's source: its format as written, the same
    /// format in the one placeholder syntax explain compiles (Go's verbs), and how it is used
    /// (`fmt.Errorf`, a sentinel, an os.PathError Op, `crun_make_error`, `#[error]`).
    fn error_format(&self, _lit: &StringLit) -> Option<ErrorFormat> {
        None
    }
    /// How the reference graph resolves this language's references (None: its files are not
    /// in the graph).
    fn refs(&self) -> Refs {
        Refs::None
    }
}

/// How a language's references are resolved into the reference graph (`xref/`): each style is
/// one resolver there, so a new language picks one or brings its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refs {
    /// Not in the graph.
    None,
    /// Go: packages are directories, calls resolve through imports, receiver types, interfaces.
    GoPackages,
    /// Shell: functions of the same file or the files it sources, else by name.
    ShellSources,
    /// C: no imports or types to follow: a call reaches the definition in its own file, the
    /// one definition of that name in the revision, else every one (`by-name`).
    ByName,
    /// Rust: crates and modules from paths (`src/a/b.rs` is `crate::a::b`), `use` items,
    /// `impl` blocks; trait methods dispatch.
    RustModules,
}

/// An error message's format, as [`Language::error_format`] finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorFormat {
    /// As written (``open `/proc/sys/%s` ``, `failed to set sysctl {kernel_param}={value}`).
    pub format: String,
    /// In Go's verb syntax, which explain compiles: every placeholder a verb (`%v`), a literal
    /// `%` as `%%`.
    pub pattern: String,
    /// How the literal is used: `fmt.Errorf`, `crun_make_error`, `anyhow!`, `#[error]`.
    pub kind: String,
}

/// The number of error and missing nodes tree-sitter recovered from, and the line and column
/// (1-based) of the first.
pub fn syntax_errors(root: Node) -> (u32, Option<(u32, u32)>) {
    if !root.has_error() {
        return (0, None);
    }
    let mut count = 0;
    let mut first: Option<(u32, u32)> = None;
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        if n.is_error() || n.is_missing() {
            count += 1;
            let p = n.start_position();
            let at = (p.row as u32 + 1, p.column as u32 + 1);
            if first.is_none_or(|f| at < f) {
                first = Some(at);
            }
        }
        let mut c = n.walk();
        stack.extend(
            n.children(&mut c)
                .filter(|k| k.has_error() || k.is_missing()),
        );
    }
    (count, first)
}

/// Whether the comments a file starts with say it is generated (`/* Generated by ... DO NOT
/// EDIT */`, `// @generated`, `automatically generated by rust-bindgen`): such files rank
/// after hand-written ones.
pub fn leading_comment_says_generated(src: &str) -> bool {
    let mut in_block = false;
    for line in src.lines().take(40) {
        let t = line.trim();
        let comment = in_block || t.starts_with("//") || t.starts_with("/*") || t.starts_with('*');
        if t.is_empty() || t.starts_with("#!") {
            continue;
        }
        if !comment {
            return false;
        }
        if t.starts_with("/*") {
            in_block = true;
        }
        if t.contains("*/") {
            in_block = false;
        }
        let l = t.to_ascii_lowercase();
        if l.contains("@generated")
            || l.contains("automatically generated")
            || l.contains("code generated")
            || (l.contains("generated") && l.contains("do not edit"))
        {
            return true;
        }
    }
    false
}

/// An incremental reparse for a grammar whose facts `extract` reads from a tree: the line diff
/// of `old`'s text becomes tree-sitter edits and `parse` reuses the old tree; a tree with
/// errors, or versions sharing little, are parsed from scratch.
pub fn reparse_with(
    src: &str,
    old: Option<(&Tree, &str)>,
    parse: &dyn Fn(&str, Option<&Tree>) -> Option<Tree>,
    extract: fn(&Tree, &str) -> Parsed,
) -> (Parsed, Option<Tree>, ParseKind) {
    let full = |kind| match parse(src, None) {
        Some(t) => (extract(&t, src), Some(t), kind),
        None => (Parsed::default(), None, kind),
    };
    let Some((old_tree, old_src)) = old else {
        return full(ParseKind::Full);
    };
    let Some(edits) = line_edits(old_src, src) else {
        return full(ParseKind::Full);
    };
    let mut edited = old_tree.clone();
    for e in &edits {
        edited.edit(e);
    }
    match parse(src, Some(&edited)) {
        Some(t) if !t.root_node().has_error() => {
            (extract(&t, src), Some(t), ParseKind::Incremental)
        }
        _ => full(ParseKind::Fallback),
    }
}

/// How a file version was parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseKind {
    /// From scratch.
    Full,
    /// From the previous version's tree, edited by the line diff.
    Incremental,
    /// The incremental parse had errors, so the file was parsed again from scratch.
    Fallback,
}

/// Tree-sitter edits turning `old` into `new`, from a line diff, in the order to apply them
/// (each in the coordinates left by the ones before). None when the versions share too little
/// for an incremental parse to pay.
pub fn line_edits(old: &str, new: &str) -> Option<Vec<tree_sitter::InputEdit>> {
    use similar::{Algorithm, DiffTag};
    let starts = |s: &str| -> Vec<usize> {
        let mut v = vec![0];
        v.extend(memchr::memchr_iter(b'\n', s.as_bytes()).map(|i| i + 1));
        if *v.last().expect("one") != s.len() {
            v.push(s.len());
        }
        v
    };
    let (os, ns) = (starts(old), starts(new));
    fn lines<'a>(s: &'a str, st: &[usize]) -> Vec<&'a [u8]> {
        st.windows(2).map(|w| &s.as_bytes()[w[0]..w[1]]).collect()
    }
    let (ol, nl) = (lines(old, &os), lines(new, &ns));
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(10);
    let ops = similar::capture_diff_slices_deadline(Algorithm::Myers, &ol, &nl, Some(deadline));
    // The point after the lines `a..b` of a text with line starts `st`.
    let end_point = |st: &[usize], text: &str, row0: usize, a: usize, b: usize| {
        let partial = b == st.len() - 1 && !text.ends_with('\n') && b > a;
        if partial {
            tree_sitter::Point::new(row0 + (b - a) - 1, st[b] - st[b - 1])
        } else {
            tree_sitter::Point::new(row0 + (b - a), 0)
        }
    };
    let mut edits = Vec::new();
    let mut changed = 0usize;
    for op in &ops {
        if op.tag() == DiffTag::Equal {
            continue;
        }
        let (o, n) = (op.old_range(), op.new_range());
        let (ob0, ob1) = (os[o.start], os[o.end]);
        let (nb0, nb1) = (ns[n.start], ns[n.end]);
        changed += (ob1 - ob0).max(nb1 - nb0);
        let start = tree_sitter::Point::new(n.start, 0);
        edits.push(tree_sitter::InputEdit {
            start_byte: nb0,
            old_end_byte: nb0 + (ob1 - ob0),
            new_end_byte: nb1,
            start_position: start,
            old_end_position: end_point(&os, old, n.start, o.start, o.end),
            new_end_position: end_point(&ns, new, n.start, n.start, n.end),
        });
    }
    (changed * 2 <= new.len().max(1)).then_some(edits)
}

/// Every language, most specific first; [`text::Text`] takes what no other does.
pub static LANGUAGES: &[&dyn Language] = &[&go::Go, &bash::Shell, &c::C, &rust::Rust, &text::Text];

/// Every language's name (`go`, `shell`, `text`), for messages and flag values.
pub fn names() -> Vec<&'static str> {
    Lang::ALL.iter().map(|l| l.as_str()).collect()
}

impl Lang {
    /// The language owning a file, by path alone.
    pub fn detect(path: &str) -> Lang {
        Self::detect_with(path, "")
    }

    /// The language owning a file, by path and first line (a shebang).
    pub fn detect_with(path: &str, first_line: &str) -> Lang {
        LANGUAGES
            .iter()
            .find(|l| l.detects(path, first_line))
            .map_or(Lang::Text, |l| l.lang())
    }

    /// Its behaviour.
    pub fn language(self) -> &'static dyn Language {
        *LANGUAGES
            .iter()
            .find(|l| l.lang() == self)
            .expect("every Lang is in LANGUAGES")
    }

    /// Every language, in [`LANGUAGES`]' order.
    pub const ALL: [Lang; 5] = [Lang::Go, Lang::Shell, Lang::C, Lang::Rust, Lang::Text];

    // Names and grammars are answered by `match`, not through `LANGUAGES`: a reference to
    // its table links every language's parser, which the `archeo` binary (search alone,
    // src/cli/front.rs) must not hold.

    /// Its name (`go`, `shell`, `text`).
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Go => "go",
            Lang::Shell => "shell",
            Lang::C => "c",
            Lang::Rust => "rust",
            Lang::Text => "text",
        }
    }

    /// The language named `name`.
    pub fn from_name(name: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.as_str() == name)
    }

    /// Is it parsed into a syntax tree (so `in:code|comment|string` applies)? Same as
    /// `self.language().grammar().is_some()`.
    pub fn has_grammar(self) -> bool {
        !matches!(self, Lang::Text)
    }
}

/// What a declaration declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeclKind {
    /// A function.
    Func,
    /// A method (Go: with a receiver).
    Method,
    /// A type.
    Type,
    /// A constant.
    Const,
    /// A variable.
    Var,
    /// A macro with a body (C `#define`, Rust `macro_rules!`).
    Macro,
}

/// A declaration with its line range (1-based, inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decl {
    /// What it declares.
    pub kind: DeclKind,
    /// `WriteSysctls`, or `(*syscallTracer).processOpenat2` for a method.
    pub name: String,
    /// The bare name (`processOpenat2`), used for "defines the term" ranking and call chains.
    pub ident: String,
    /// First line.
    pub start: u32,
    /// Last line.
    pub end: u32,
}

/// A string literal with where it stands: the raw material of error-message tracing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StringLit {
    /// Its line.
    pub line: u32,
    /// 1-based byte column of the literal's opening quote (0 in facts stored before columns).
    #[serde(default)]
    pub col: u32,
    /// The literal's value (escapes decoded).
    pub value: String,
    /// The callee it is an argument of (`fmt.Errorf`; for shell, the command: `_cai_error`).
    pub callee: Option<String>,
    /// The struct field it initialises (`Op`), if any.
    pub field: Option<String>,
    /// The package-level variable it initialises (`errUnsafeProcfs`), if any.
    pub var: Option<String>,
}

/// A call expression: its callee as written (`unix.Openat2`) and line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// Its line.
    pub line: u32,
    /// The callee as written.
    pub callee: String,
}

/// What the parse stage knows of one file version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Parsed {
    /// The package clause (Go).
    pub package: Option<String>,
    /// Imported paths.
    pub imports: Vec<String>,
    /// Declarations, in file order.
    pub decls: Vec<Decl>,
    /// String literals with their context.
    pub strings: Vec<StringLit>,
    /// Call expressions.
    pub calls: Vec<Call>,
    /// Error and missing nodes tree-sitter recovered from.
    pub error_nodes: u32,
    /// Where the first of them stands: line and column, 1-based.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_error: Option<(u32, u32)>,
    /// The file says it is generated (Go: a `// Code generated ... DO NOT EDIT.` line before
    /// the package clause): such files rank after hand-written ones.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub generated: bool,
    /// Comments and string literals, in order (byte offsets): what `in:code`, `in:comment` and
    /// `in:string` search inside or outside of. Stored apart from the other facts.
    #[serde(skip)]
    pub regions: Vec<Region>,
    /// References: every call site, and names used as values (`Action: runCmd`, `command -v f`).
    pub refs: Vec<Ref>,
    /// Go: named types, with what interface dispatch and field walks need. Rust: traits (as
    /// interfaces, with their methods) and `impl Trait for Type` ([`TypeKind::Impl`]).
    pub types: Vec<TypeDef>,
    /// Shell: `source FILE` / `. FILE` edges.
    pub sources: Vec<SourceEdge>,
}

/// How a reference uses the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RefKind {
    /// A call site: `F()`, `x.M()`, a shell command word, a `trap`/`eval` handler.
    Call,
    /// The name used as a value, not called here: `Action: runCmd`, `go.Register(f)`,
    /// `command -v f`, `declare -f f`, `unset -f f`.
    Value,
}

/// A type as written in Go source, with the import its qualifier names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TypeRef {
    /// `cgroups` in `cgroups.Manager`; `None` for a type of the file's own package.
    #[serde(default)]
    pub qualifier: Option<String>,
    /// The import path the qualifier names, when the parse stage could tell (its alias, or the
    /// path's last element); `None` leaves it to the graph, which knows package names.
    #[serde(default)]
    pub import: Option<String>,
    /// `Manager`, without pointer or type arguments.
    pub name: String,
}

/// What a reference rests on: how far the parse stage could pin down its target. (Stored with
/// postcard, which needs every field and variant written: no skipped fields, no internal tags.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// `F` bare: the file's own Go package, or a shell function (or command) name.
    Local,
    /// `pkg.F` where `pkg` names an import of the file.
    Import {
        /// The import path.
        path: String,
    },
    /// `q.F` where `q` is neither a local nor a recognised import name: an import whose package
    /// name differs from its path, or a package-level variable. The graph decides.
    Qualified {
        /// The qualifier as written.
        qualifier: String,
    },
    /// `x.M()` / `x.f.g.M()` where `x`'s type is known (receiver, parameter, `var x T`,
    /// `x := T{}` / `&T{}` / `new(T)`, `x.(T)`); `fields` are the struct fields walked first.
    Typed {
        /// The receiver's type.
        ty: TypeRef,
        /// Struct fields walked from it, in order.
        #[serde(default)]
        fields: Vec<String>,
    },
    /// `expr.M()` where nothing is known of the receiver: by method name only.
    Method,
    /// Shell: a literal word among a command's arguments or in an assignment that names a
    /// function (`run_test "t" test_fn`, `_emit=_cai_info`): a reference only where a function
    /// of that name exists.
    Argument,
}

/// A reference from this file to a named function, method, variable or command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ref {
    /// Its line.
    pub line: u32,
    /// 1-based byte column of the name (`WriteSysctls` in `sys.WriteSysctls(...)`).
    pub col: u32,
    /// The name referred to: `WriteSysctls`, `Init`, `_cai_info`.
    pub name: String,
    /// The expression as written when it differs from `name`: `sys.WriteSysctls`, `i.Init`.
    #[serde(default)]
    pub written: String,
    /// A call, or the function used as a value.
    pub kind: RefKind,
    /// What the name rests on.
    pub via: Via,
    /// The enclosing declaration's name (`(*linuxStandardInit).Init`, `runCommand`, a shell
    /// function); `None` at a shell script's top level.
    #[serde(default)]
    pub scope: Option<String>,
}

impl Ref {
    /// The expression as written (`sys.WriteSysctls`), or the bare name.
    pub fn written(&self) -> &str {
        if self.written.is_empty() {
            &self.name
        } else {
            &self.written
        }
    }
}

/// What a named type is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TypeKind {
    /// A struct.
    Struct,
    /// An interface.
    Interface,
    /// `type A = B`: `embeds` holds `B`.
    Alias,
    /// Any other named type (`type initType string`, `type hook func()`).
    Other,
    /// Rust: `impl Trait for Type`: `name` is the type, `embeds` the trait.
    Impl,
}

/// A struct field with a named type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    /// The field's name.
    pub name: String,
    /// Its type.
    pub ty: TypeRef,
}

/// A Go named type declared in this file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeDef {
    /// The type's name.
    pub name: String,
    /// What it is.
    pub kind: TypeKind,
    /// The line declaring it.
    pub line: u32,
    /// Interface: the method names it declares itself (embedded interfaces are in `embeds`).
    #[serde(default)]
    pub methods: Vec<String>,
    /// Embedded types: a struct's anonymous fields, an interface's embedded interfaces, an
    /// alias's target.
    #[serde(default)]
    pub embeds: Vec<TypeRef>,
    /// Struct: named fields whose type is a named type (pointers dropped).
    #[serde(default)]
    pub fields: Vec<Field>,
}

/// A shell `source FILE` / `. FILE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceEdge {
    /// Its line.
    pub line: u32,
    /// Its column.
    pub col: u32,
    /// The argument as written, quotes removed: `$_CAI_SCRIPT_DIR/lib/core.sh`.
    pub path: String,
    /// The enclosing function, `None` at top level.
    #[serde(default)]
    pub scope: Option<String>,
}

/// What a [`Region`] of a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegionKind {
    /// A comment.
    Comment,
    /// A string (or rune) literal, quotes included.
    String,
}

/// A span of a file that is not code: a comment or a string literal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Region {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
    /// Comment or string.
    pub kind: RegionKind,
}

impl Parsed {
    /// The file names `ident`: declares it, refers to it, or has it as an interface method or
    /// a struct field.
    pub fn names(&self, ident: &str) -> bool {
        self.decls.iter().any(|d| d.ident == ident)
            || self.refs.iter().any(|r| r.name == ident)
            || self.types.iter().any(|t| {
                t.methods.iter().any(|m| m == ident) || t.fields.iter().any(|f| f.name == ident)
            })
    }

    /// The innermost declaration holding `line`.
    pub fn decl_at(&self, line: u32) -> Option<&Decl> {
        self.decls
            .iter()
            .filter(|d| d.start <= line && line <= d.end)
            .min_by_key(|d| d.end - d.start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_grammars_by_match_agree_with_the_languages_table() {
        assert_eq!(Lang::ALL.len(), LANGUAGES.len());
        for (l, imp) in Lang::ALL.into_iter().zip(LANGUAGES) {
            assert_eq!(imp.lang(), l, "Lang::ALL is in LANGUAGES' order");
            assert_eq!(Lang::from_name(l.as_str()), Some(l));
            assert_eq!(l.has_grammar(), imp.grammar().is_some(), "{}", l.as_str());
        }
        assert_eq!(names(), ["go", "shell", "c", "rust", "text"]);
        assert_eq!(Lang::from_name("cobol"), None);
    }
}
