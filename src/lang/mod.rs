//! The parse stage: bytes of one file version in, a [`Parsed`] out. One module per language;
//! adding a language is adding a file here and a line in [`Lang::detect`].

pub mod go;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Go,
    /// Any other text file, indexed by line.
    Text,
}

impl Lang {
    pub fn detect(path: &str) -> Lang {
        if path.ends_with(".go") {
            Lang::Go
        } else {
            Lang::Text
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Go => "go",
            Lang::Text => "text",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DeclKind {
    Func,
    Method,
    Type,
    Const,
    Var,
}

/// A declaration with its line range (1-based, inclusive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decl {
    pub kind: DeclKind,
    /// `WriteSysctls`, or `(*syscallTracer).processOpenat2` for a method.
    pub name: String,
    /// The bare name (`processOpenat2`), used for "defines the term" ranking and call chains.
    pub ident: String,
    pub start: u32,
    pub end: u32,
}

/// A string literal with where it stands: the raw material of error-message tracing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StringLit {
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
    pub line: u32,
    pub callee: String,
}

/// What the parse stage knows of one file version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Parsed {
    pub package: Option<String>,
    pub imports: Vec<String>,
    pub decls: Vec<Decl>,
    pub strings: Vec<StringLit>,
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
