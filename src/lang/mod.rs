//! The parse stage: bytes of one file version in, a [`Parsed`] out. One module per language;
//! adding a language is adding a file here and a line in [`Lang::detect`].

pub mod bash;
pub mod go;
pub mod go_refs;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Go,
    /// sh and bash scripts, parsed with tree-sitter-bash.
    Shell,
    /// Any other text file, indexed by line.
    Text,
}

impl Lang {
    /// The language a path's extension names; [`Lang::Text`] when it names none.
    pub fn detect(path: &str) -> Lang {
        if path.ends_with(".go") {
            Lang::Go
        } else if bash::is_shell_path(path) {
            Lang::Shell
        } else {
            Lang::Text
        }
    }
    /// Like [`Lang::detect`], and when the extension says nothing, the first line decides
    /// (`#!/bin/sh`, `#!/usr/bin/env bash`, ...). `head` is the file's start; only its first
    /// line is read.
    pub fn detect_with_head(path: &str, head: &[u8]) -> Lang {
        match Lang::detect(path) {
            Lang::Text if bash::is_shell_shebang(head) => Lang::Shell,
            lang => lang,
        }
    }
    /// `go`, `shell`, `text`: the index's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Go => "go",
            Lang::Shell => "shell",
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
    /// References: every call site, and names used as values (`Action: runCmd`, `command -v f`).
    pub refs: Vec<Ref>,
    /// Go: named types, with what interface dispatch and field walks need.
    pub types: Vec<TypeDef>,
    /// Shell: `source FILE` / `. FILE` edges.
    pub sources: Vec<SourceEdge>,
}

/// How a reference uses the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<String>,
    /// The import path the qualifier names, when the parse stage could tell (its alias, or the
    /// path's last element); `None` leaves it to the graph, which knows package names.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<String>,
    /// `Manager`, without pointer or type arguments.
    pub name: String,
}

/// What a reference rests on: how far the parse stage could pin down its target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "on", rename_all = "lowercase")]
pub enum Via {
    /// `F` bare: the file's own Go package, or a shell function (or command) name.
    Local,
    /// `pkg.F` where `pkg` names an import of the file.
    Import { path: String },
    /// `q.F` where `q` is neither a local nor a recognised import name: an import whose package
    /// name differs from its path, or a package-level variable. The graph decides.
    Qualified { qualifier: String },
    /// `x.M()` / `x.f.g.M()` where `x`'s type is known (receiver, parameter, `var x T`,
    /// `x := T{}` / `&T{}` / `new(T)`, `x.(T)`); `fields` are the struct fields walked first.
    Typed {
        ty: TypeRef,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
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
    pub line: u32,
    /// 1-based byte column of the name (`WriteSysctls` in `sys.WriteSysctls(...)`).
    pub col: u32,
    /// The name referred to: `WriteSysctls`, `Init`, `_cai_info`.
    pub name: String,
    /// The expression as written when it differs from `name`: `sys.WriteSysctls`, `i.Init`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub written: String,
    pub kind: RefKind,
    pub via: Via,
    /// The enclosing declaration's name (`(*linuxStandardInit).Init`, `runCommand`, a shell
    /// function); `None` at a shell script's top level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TypeKind {
    Struct,
    Interface,
    /// `type A = B`: `embeds` holds `B`.
    Alias,
    /// Any other named type (`type initType string`, `type hook func()`).
    Other,
}

/// A struct field with a named type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Field {
    pub name: String,
    pub ty: TypeRef,
}

/// A Go named type declared in this file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeDef {
    pub name: String,
    pub kind: TypeKind,
    pub line: u32,
    /// Interface: the method names it declares itself (embedded interfaces are in `embeds`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub methods: Vec<String>,
    /// Embedded types: a struct's anonymous fields, an interface's embedded interfaces, an
    /// alias's target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub embeds: Vec<TypeRef>,
    /// Struct: named fields whose type is a named type (pointers dropped).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
}

/// A shell `source FILE` / `. FILE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceEdge {
    pub line: u32,
    pub col: u32,
    /// The argument as written, quotes removed: `$_CAI_SCRIPT_DIR/lib/core.sh`.
    pub path: String,
    /// The enclosing function, `None` at top level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
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
