//! The parse stage: bytes of one file version in, a [`Parsed`] out. One module per language,
//! each implementing [`Language`]; adding a language is adding a file here and an entry in
//! [`LANGUAGES`]. Nothing outside this folder knows a language's syntax.

pub mod go;
pub mod text;

use serde::{Deserialize, Serialize};
use tree_sitter::{Node, Tree};

/// A language archeo knows (its identity; [`Lang::language`] gives its behaviour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Go, parsed with tree-sitter-go.
    Go,
    /// Any other text file, indexed by line.
    Text,
}

/// What the rest of archeo may ask of a language.
pub trait Language: Sync {
    /// Its identity.
    fn lang(&self) -> Lang;
    /// Its name in queries (`lang:go`), rule directories (`queries/go/`) and the index.
    fn name(&self) -> &'static str;
    /// Does this language own the file at `path` whose first line is `first_line`?
    fn detects(&self, path: &str, first_line: &str) -> bool;
    /// The tree-sitter grammar rules are compiled against (None: no syntax tree).
    fn grammar(&self) -> Option<tree_sitter::Language>;
    /// File extensions of rule test cases (`tests/rules/ID/valid/*.go`).
    fn case_extensions(&self) -> &'static [&'static str];
    /// Parses one file version; the tree is returned too so rules can run on it.
    fn parse(&self, src: &str) -> (Parsed, Option<Tree>);
    /// The values a captured node contributes to a rule fact (default: its text).
    fn fact_values(&self, node: Node, src: &str) -> Vec<String> {
        vec![node.utf8_text(src.as_bytes()).unwrap_or("").to_string()]
    }
    /// When a string literal is an error message's source: its format (as the language
    /// formats it, e.g. Go's `open sysctl %s file`) and how it is used (`fmt.Errorf`, a
    /// sentinel, an os.PathError Op).
    fn error_format(&self, _lit: &StringLit) -> Option<(String, String)> {
        None
    }
}

/// Every language, most specific first; [`text::Text`] takes what no other does.
pub static LANGUAGES: &[&dyn Language] = &[&go::Go, &text::Text];

/// Every language's name (`go`, `text`), for messages and flag values.
pub fn names() -> Vec<&'static str> {
    LANGUAGES.iter().map(|l| l.name()).collect()
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

    /// Its name (`go`, `text`).
    pub fn as_str(self) -> &'static str {
        self.language().name()
    }

    /// The language named `name`.
    pub fn from_name(name: &str) -> Option<Lang> {
        LANGUAGES
            .iter()
            .find(|l| l.name() == name)
            .map(|l| l.lang())
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
    /// The literal's value (escapes decoded).
    pub value: String,
    /// The callee it is an argument of (`fmt.Errorf`), if any.
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
}

impl Parsed {
    /// The innermost declaration holding `line`.
    pub fn decl_at(&self, line: u32) -> Option<&Decl> {
        self.decls
            .iter()
            .filter(|d| d.start <= line && line <= d.end)
            .min_by_key(|d| d.end - d.start)
    }
}
