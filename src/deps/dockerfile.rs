//! Dockerfiles: a small line lexer (parser directives, `# escape=`, continuation lines with
//! comment lines inside them, heredocs) and the instructions that pin versions: `ARG`, `ENV`,
//! `FROM image:tag` with global and per-stage ARG scopes, and `RUN` commands (read as shell,
//! with RUN heredocs that are scripts). Must not know other file kinds.
//!
//! Why not a parser crate: parse-dockerfile 0.1.9 recognises a heredoc only at the start of a
//! RUN command and only one (its own TODOs), so the body of `RUN cat <<EOF > f` would be read
//! as instructions; tree-sitter-dockerfile on crates.io (0.2.0) targets tree-sitter 0.20, not
//! the 0.25 archeo uses.

use std::collections::HashSet;

use super::lex::{Env, Expansion, Joined, Lexer, Lines, Part, Val, Word, join};
use super::shell::{self, Ctx};
use super::{EdgeKind, Extraction, Require, SourceUrl, edge_from};

/// Variables a build provides without an ARG default: their value is not in the file.
const PLATFORM_ARGS: &[&str] = &[
    "TARGETPLATFORM",
    "TARGETOS",
    "TARGETARCH",
    "TARGETVARIANT",
    "BUILDPLATFORM",
    "BUILDOS",
    "BUILDARCH",
    "BUILDVARIANT",
];

/// Most build stages read: each copies its parent's ENV, so thousands of chained stages would
/// cost quadratic time (real Dockerfiles have a few dozen).
const MAX_STAGES: usize = 256;
/// Most variables copied while reading one Dockerfile: every stage starts from the global
/// ARGs and its parent's ENV, every RUN from its stage's variables. A real Dockerfile copies
/// thousands; thousands of variables times thousands of RUNs would be quadratic.
const MAX_COPIED: usize = 1 << 22;

struct Stage {
    name: Option<String>,
    env: Env,
    /// Names set by ENV: a stage built FROM this one inherits them (ARGs it does not).
    env_names: HashSet<String>,
    url: Option<SourceUrl>,
}

struct Heredoc {
    delim: String,
    start: usize,
    end: usize,
}

/// One instruction: its keyword (upper-cased), its arguments with continuation lines joined,
/// and the bodies of the heredocs it opens.
struct Instruction {
    keyword: String,
    args: Joined,
    heredocs: Vec<Heredoc>,
}

/// `NAME=value` of an ARG or ENV: `at` is where the value starts in the arguments, `line` the
/// line the variable is set at.
struct Assignment {
    name: String,
    value: Vec<Part>,
    at: usize,
    line: u32,
}

pub(super) fn extract(path: &str, text: &str, x: &mut Extraction) {
    let lines = Lines::new(text);
    let (escape, first) = directives(path, &lines, &mut x.warnings);
    let mut instructions = Instructions {
        path,
        text,
        lines: &lines,
        escape,
        line: first,
    };
    let mut scopes = Scopes {
        global: Env::new(path),
        stages: Vec::new(),
    };
    let mut cx = Ctx {
        lines: &lines,
        out: &mut x.edges,
        url: None,
    };
    // Variables copied into stages and RUN commands so far (see MAX_COPIED).
    let mut copied = 0usize;
    while let Some(ins) = instructions.next(&mut x.warnings) {
        let words = || Lexer::dockerfile(&ins.args.text, escape).words();
        let stage_vars = scopes.stages.last().map_or(0, |s| s.env.vars.len());
        copied += scopes.global.vars.len() + stage_vars * (1 + ins.heredocs.len());
        if copied > MAX_COPIED {
            x.warnings.push(format!(
                "{path}:{}:1: too many variables copied into stages and RUN commands: the rest of the file is not read",
                instructions.line
            ));
            break;
        }
        match ins.keyword.as_str() {
            "FROM" if scopes.stages.len() >= MAX_STAGES => {
                let line = if ins.args.text.is_empty() {
                    instructions.line
                } else {
                    lines.pos(ins.args.src(0)).0 as usize
                };
                x.warnings.push(format!(
                    "{path}:{line}:1: more than {MAX_STAGES} build stages: the rest of the file is not read"
                ));
                break;
            }
            "FROM" => {
                let stage = from(
                    &words(),
                    &ins.args,
                    &mut scopes.global,
                    &scopes.stages,
                    &mut cx,
                );
                scopes.stages.push(stage);
            }
            "ARG" => scopes.arg(&words(), &ins.args, &mut cx),
            "ENV" => scopes.env(&words(), &ins.args, &mut cx),
            "RUN" => {
                if let Some(stage) = scopes.stages.last_mut() {
                    run(stage, &ins, &words(), text, &mut cx);
                }
            }
            _ => {}
        }
    }
}

/// Parser directives, only at the very top (before any other comment, blank or instruction):
/// the escape character and the first line after them.
fn directives(path: &str, lines: &Lines, warnings: &mut Vec<String>) -> (char, usize) {
    let mut escape = '\\';
    let mut l = 0;
    while l < lines.len() {
        let t = lines.text(l).trim();
        let Some((key, value)) = t.strip_prefix('#').and_then(|b| b.split_once('=')) else {
            break;
        };
        let key = key.trim().to_ascii_lowercase();
        if !matches!(key.as_str(), "escape" | "syntax" | "check") {
            break;
        }
        if key == "escape" {
            match value.trim() {
                "`" => escape = '`',
                "\\" => escape = '\\',
                other => warnings.push(format!(
                    "{path}:{}:1: escape directive {other:?} is neither \\ nor `: kept \\",
                    l + 1
                )),
            }
        }
        l += 1;
    }
    (escape, l)
}

/// Reads a Dockerfile instruction by instruction from `line` on.
struct Instructions<'a> {
    path: &'a str,
    text: &'a str,
    lines: &'a Lines<'a>,
    escape: char,
    line: usize,
}

impl Instructions<'_> {
    /// The next instruction, skipping blank and comment lines and warning of lines that are
    /// not instructions.
    fn next(&mut self, warnings: &mut Vec<String>) -> Option<Instruction> {
        let (text, lines) = (self.text, self.lines);
        while self.line < lines.len() {
            let l = self.line;
            let (s, e, _) = lines.span(l);
            let line = &text[s..e];
            let t = line.trim_start();
            self.line += 1;
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let indent = line.len() - t.len();
            let kw_len = t.bytes().take_while(|b| b.is_ascii_alphabetic()).count();
            if kw_len == 0 {
                warnings.push(format!(
                    "{}:{}:{}: not a Dockerfile instruction: line skipped",
                    self.path,
                    l + 1,
                    indent + 1
                ));
                continue;
            }
            let kw_start = s + indent;
            let last = self.continuation_end(l);
            let (_, end, _) = lines.span(last);
            let args = join(text, kw_start + kw_len, end, self.escape, true);
            self.line = last + 1;
            let keyword = t[..kw_len].to_ascii_uppercase();
            let heredocs = if matches!(keyword.as_str(), "RUN" | "COPY" | "ADD") {
                self.heredocs(&args.text, kw_start, warnings)
            } else {
                Vec::new()
            };
            return Some(Instruction {
                keyword,
                args,
                heredocs,
            });
        }
        None
    }

    /// The last line of the instruction starting at line `first`: a line ending in the escape
    /// character continues on the next line that is neither blank nor a comment.
    fn continuation_end(&self, first: usize) -> usize {
        let lines = self.lines;
        let mut last = first;
        while lines.text(last).trim_end().ends_with(self.escape) {
            let Some(n) = (last + 1..lines.len()).find(|&n| {
                let tt = lines.text(n).trim();
                !(tt.is_empty() || tt.starts_with('#'))
            }) else {
                break;
            };
            last = n;
        }
        last
    }

    /// The bodies of the heredocs `args` opens, which follow the instruction in order; reading
    /// goes on after the last one.
    fn heredocs(
        &mut self,
        args: &str,
        kw_start: usize,
        warnings: &mut Vec<String>,
    ) -> Vec<Heredoc> {
        let (text, lines) = (self.text, self.lines);
        let mut out = Vec::new();
        for (delim, strip) in heredoc_markers(args) {
            let l = self.line;
            let start = if l < lines.len() {
                lines.span(l).0
            } else {
                text.len()
            };
            let close = (l..lines.len()).find(|&k| {
                let lt = lines.text(k);
                let lt = if strip {
                    lt.trim_start_matches('\t')
                } else {
                    lt
                };
                lt == delim
            });
            let end = match close {
                Some(k) => lines.span(k).0,
                None => {
                    warnings.push(format!(
                        "{}:{}:1: heredoc <<{delim} is never closed: the rest of the file is its body",
                        self.path,
                        lines.pos(kw_start).0
                    ));
                    text.len()
                }
            };
            out.push(Heredoc { delim, start, end });
            self.line = close.unwrap_or(lines.len()) + 1;
        }
        out
    }
}

/// ARG and ENV values in scope: the global ones (before the first FROM) and each stage's.
struct Scopes {
    global: Env,
    stages: Vec<Stage>,
}

impl Scopes {
    /// `ARG NAME=value ...` sets in the current scope; a stage's `ARG NAME` brings in the
    /// global default, if any.
    fn arg(&mut self, words: &[Word], args: &Joined, cx: &mut Ctx) {
        for w in words {
            match w.assignment() {
                Some((name, value)) => {
                    let a = Assignment {
                        name,
                        value,
                        at: value_at(args, w),
                        line: cx.lines.pos(args.src(w.start)).0,
                    };
                    let env = match self.stages.last_mut() {
                        Some(st) => &mut st.env,
                        None => &mut self.global,
                    };
                    define(env, &a, EdgeKind::DockerArg, args, cx);
                }
                None => {
                    let Some(name) = w.literal() else { continue };
                    if let Some(st) = self.stages.last_mut() {
                        match self.global.vars.get(&name) {
                            Some(v) => {
                                st.env.vars.insert(name, v.clone());
                            }
                            None => {
                                st.env.vars.remove(&name);
                            }
                        }
                    }
                }
            }
        }
    }

    /// `ENV NAME=value ...` (or the legacy `ENV NAME value`) sets in the current scope; a
    /// stage remembers the names for the stages built from it.
    fn env(&mut self, words: &[Word], args: &Joined, cx: &mut Ctx) {
        for a in env_assignments(words, args, cx.lines) {
            match self.stages.last_mut() {
                Some(st) => {
                    define(&mut st.env, &a, EdgeKind::DockerEnv, args, cx);
                    st.env_names.insert(a.name);
                }
                None => define(&mut self.global, &a, EdgeKind::DockerEnv, args, cx),
            }
        }
    }
}

/// The assignments of an ENV instruction's words.
fn env_assignments(words: &[Word], args: &Joined, lines: &Lines) -> Vec<Assignment> {
    let assignment = |name, value, at| Assignment {
        name,
        value,
        at,
        line: lines.pos(args.src(at)).0,
    };
    match words.first() {
        Some(first) if first.assignment().is_some() => words
            .iter()
            .filter_map(|w| {
                w.assignment()
                    .map(|(n, v)| assignment(n, v, value_at(args, w)))
            })
            .collect(),
        Some(first) => {
            // Legacy `ENV NAME value with spaces`.
            let (Some(name), Some(v)) = (first.literal(), words.get(1)) else {
                return Vec::new();
            };
            let mut value = Vec::new();
            for (i, w) in words[1..].iter().enumerate() {
                if i > 0 {
                    value.push(Part::Lit(" ".into()));
                }
                value.extend(w.parts.iter().cloned());
            }
            vec![assignment(name, value, unquoted(args, v.start))]
        }
        None => Vec::new(),
    }
}

/// Sets a variable in `env` as the assignment says, with an edge when its value pins a
/// version.
fn define(env: &mut Env, a: &Assignment, kind: EdgeKind, args: &Joined, cx: &mut Ctx) {
    env.line = a.line;
    let e = env.expand(&a.value);
    push(cx, args, a.at, &a.name, kind, &e);
    env.set(&a.name, e, a.line);
}

/// `RUN` in a stage: its shell command (not the exec form, which runs no shell), and the
/// heredoc bodies a shell reads as scripts. The stage keeps the repository URL the last
/// `git clone` or `git remote add` named.
fn run(stage: &mut Stage, ins: &Instruction, words: &[Word], text: &str, cx: &mut Ctx) {
    let args = &ins.args;
    let cmd_start = words
        .iter()
        .take_while(|w| is_flag(w))
        .last()
        .map_or(0, |w| w.end);
    let cmd = &args.text[cmd_start..];
    if cmd.trim_start().starts_with('[') {
        return;
    }
    cx.url = stage.url.take();
    let mut env = stage.env.clone();
    shell::read(cmd, &|i| args.src(cmd_start + i), &mut env, cx);
    for h in script_heredocs(cmd, &ins.heredocs) {
        let body = join(text, h.start, h.end, '\\', false);
        let mut env = stage.env.clone();
        shell::read(&body.text, &|i| body.src(i), &mut env, cx);
    }
    stage.url = cx.url.take();
}

/// The heredocs of a RUN command that a shell reads as its script (`RUN <<EOF`,
/// `RUN bash -e <<EOF`), not data (`RUN cat <<EOF > f`).
fn script_heredocs<'h>(cmd: &str, heredocs: &'h [Heredoc]) -> Vec<&'h Heredoc> {
    let mut out = Vec::new();
    for c in Lexer::shell(cmd).commands() {
        if c.heredocs.is_empty() {
            continue;
        }
        let script = match c.words.first().and_then(|w| w.literal()) {
            None => true,
            Some(h) => matches!(
                h.rsplit('/').next().unwrap_or(""),
                "sh" | "bash" | "dash" | "ash" | "zsh"
            ),
        };
        if !script {
            continue;
        }
        out.extend(
            c.heredocs
                .iter()
                .filter_map(|d| heredocs.iter().find(|h| &h.delim == d)),
        );
    }
    out
}

fn is_flag(w: &Word) -> bool {
    matches!(w.parts.first(), Some(Part::Lit(l)) if l.starts_with("--"))
}

/// Where the value of a `NAME=value` word starts (after its quote, if quoted).
fn value_at(args: &Joined, w: &Word) -> usize {
    let raw = &args.text[w.start..w.end];
    unquoted(args, w.start + raw.find('=').map_or(0, |i| i + 1))
}

fn unquoted(args: &Joined, at: usize) -> usize {
    if args.text[at..].starts_with(['"', '\'']) {
        at + 1
    } else {
        at
    }
}

fn push(cx: &mut Ctx, args: &Joined, at: usize, name: &str, kind: EdgeKind, e: &Expansion) {
    if let Some(edge) = edge_from(
        cx.lines,
        args.src(at),
        kind,
        name,
        e,
        Require::VersionOrName,
    ) {
        cx.out.push(edge);
    }
}

/// `FROM [--platform=..] image [AS name]`: an edge for a tagged image that is not an earlier
/// stage; the new stage inherits the ENV of the stage it is built from.
fn from(words: &[Word], args: &Joined, global: &mut Env, stages: &[Stage], cx: &mut Ctx) -> Stage {
    let rest: Vec<&Word> = words.iter().filter(|w| !is_flag(w)).collect();
    let name = match rest.as_slice() {
        [_, kw, n, ..] if kw.literal().is_some_and(|k| k.eq_ignore_ascii_case("as")) => n.literal(),
        _ => None,
    };
    let mut stage = Stage {
        name,
        env: Env::new(&global.file),
        env_names: HashSet::new(),
        url: None,
    };
    let Some(image) = rest.first() else {
        return stage;
    };
    global.line = cx.lines.pos(args.src(image.start)).0;
    // Platform variables are set by the build, not the file.
    let mut scope = global.clone();
    for p in PLATFORM_ARGS {
        scope.vars.entry(p.to_string()).or_insert(super::lex::Var {
            val: Val::Unknown,
            line: 0,
            uses: Vec::new(),
        });
    }
    let e = scope.expand(&image.parts);
    let Val::Known(img) = &e.val else {
        return stage;
    };
    if let Some(parent) = stages.iter().rev().find(|s| {
        s.name
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case(img))
    }) {
        for n in &parent.env_names {
            if let Some(v) = parent.env.vars.get(n) {
                stage.env.vars.insert(n.clone(), v.clone());
            }
        }
        stage.env_names = parent.env_names.clone();
        stage.url = parent.url.clone();
        return stage;
    }
    if img == "scratch" {
        return stage;
    }
    let (repo, version) = split_image(img);
    if let Some(version) = version {
        let ve = Expansion {
            val: Val::Known(version.to_string()),
            uses: e.uses.clone(),
        };
        if let Some(edge) = edge_from(
            cx.lines,
            args.src(image.start),
            EdgeKind::DockerFrom,
            repo,
            &ve,
            Require::Any,
        ) {
            cx.out.push(edge);
        }
    }
    stage
}

/// `name:tag@digest` -> (`name`, the tag, else the digest).
fn split_image(img: &str) -> (&str, Option<&str>) {
    let (name, digest) = match img.split_once('@') {
        Some((n, d)) => (n, Some(d)),
        None => (img, None),
    };
    let slash = name.rfind('/').map_or(0, |i| i + 1);
    match name[slash..].rfind(':') {
        Some(c) => (&name[..slash + c], Some(&name[slash + c + 1..])),
        None => (name, digest),
    }
}

/// Heredoc markers (`<<EOF`, `<<-EOF`, `<<"EOF"`) outside quotes, in order.
fn heredoc_markers(s: &str) -> Vec<(String, bool)> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut quote: Option<u8> = None;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) => {
                if c == q {
                    quote = None;
                } else if c == b'\\' && q == b'"' {
                    i += 1;
                }
            }
            None => {
                if c == b'\'' || c == b'"' {
                    quote = Some(c);
                } else if c == b'\\' {
                    i += 1;
                } else if b[i..].starts_with(b"<<") && !b[i..].starts_with(b"<<<") {
                    let mut j = i + 2;
                    let strip = b.get(j) == Some(&b'-');
                    if strip {
                        j += 1;
                    }
                    let q = b.get(j).copied().filter(|c| *c == b'"' || *c == b'\'');
                    if q.is_some() {
                        j += 1;
                    }
                    let st = j;
                    while j < b.len()
                        && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'-')
                    {
                        j += 1;
                    }
                    if j > st {
                        out.push((s[st..j].to_string(), strip));
                    }
                    if q.is_some() && j < b.len() {
                        j += 1;
                    }
                    i = j;
                    continue;
                }
            }
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{DepEdge, EdgeKind, Origin, VarUse, extract, extract_all};

    fn summary(edges: &[DepEdge]) -> Vec<(EdgeKind, &str, &str, u32, u32)> {
        edges
            .iter()
            .map(|e| {
                (
                    e.kind,
                    e.name.as_str(),
                    e.version.as_str(),
                    e.line,
                    e.column,
                )
            })
            .collect()
    }

    const DOCKERFILE: &str = r#"# syntax=docker/dockerfile:1

ARG GO_VERSION=1.24.9
ARG BASE_DISTRO="bookworm"
ARG GOLANG_IMAGE="golang:${GO_VERSION}-${BASE_DISTRO}"
ARG HELPER_VERSION=0.6.0
ARG DOCKER_STATIC=1
# ARG COMMENTED_VERSION=9.9.9

FROM --platform=$BUILDPLATFORM ${GOLANG_IMAGE} AS base
ENV GOTOOLCHAIN=local

FROM base AS tool-src
WORKDIR /usr/src/tool
RUN git init . && git remote add origin "https://example.org/acme/tool.git"
# TOOL_VERSION must match what the app vendors.
ARG TOOL_VERSION=v1.4.2
RUN git fetch -q --depth 1 origin "${TOOL_VERSION}" +refs/tags/*:refs/tags/* && git checkout -q FETCH_HEAD

FROM base AS build
ARG HELPER_VERSION
RUN --mount=type=cache,target=/root/.cache \
    apt-get update && apt-get install -y --no-install-recommends \
# a comment line inside the continuation
        gcc \
        libfoo-dev=2.5.1-1 \
    && echo "helper ${HELPER_VERSION}"
RUN <<EOT
  set -e
  git clone https://example.org/acme/helper.git /h
  git -C /h checkout "${HELPER_VERSION}"
EOT
RUN cat <<EOF > /etc/notes
FROM evil:6.6.6
git checkout v6.6.6
EOF
FROM example/helper-bin:${HELPER_VERSION} AS helper
FROM build-${TARGETOS} AS final
"#;

    #[test]
    fn dockerfile_pins_with_scopes_expansion_and_heredocs() {
        let x = extract_all("Dockerfile", DOCKERFILE);
        assert!(x.warnings.is_empty(), "{:?}", x.warnings);
        assert_eq!(
            summary(&x.edges),
            vec![
                (EdgeKind::DockerArg, "GO_VERSION", "1.24.9", 3, 16),
                (EdgeKind::DockerArg, "HELPER_VERSION", "0.6.0", 6, 20),
                (EdgeKind::DockerFrom, "golang", "1.24.9-bookworm", 10, 32),
                (EdgeKind::DockerArg, "TOOL_VERSION", "v1.4.2", 17, 18),
                (EdgeKind::GitRef, "TOOL_VERSION", "v1.4.2", 18, 35),
                (EdgeKind::Package, "libfoo-dev", "2.5.1-1", 26, 20),
                (EdgeKind::GitRef, "HELPER_VERSION", "0.6.0", 31, 22),
                (EdgeKind::DockerFrom, "example/helper-bin", "0.6.0", 37, 6),
            ]
        );
        let from = &x.edges[2];
        let Origin::Expanded { vars } = &from.origin else {
            panic!("{:?}", from.origin)
        };
        let names: Vec<(&str, u32)> = vars.iter().map(|v| (v.name.as_str(), v.line)).collect();
        assert_eq!(
            names,
            [("GOLANG_IMAGE", 5), ("GO_VERSION", 3), ("BASE_DISTRO", 4)]
        );
        // The git fetch names the stage's remote and the ARG on the line before.
        let fetch = &x.edges[4];
        assert_eq!(
            fetch.url.as_ref().map(|u| (u.url.as_str(), u.line)),
            Some(("https://example.org/acme/tool.git", 15))
        );
        assert_eq!(
            fetch.origin,
            Origin::Expanded {
                vars: vec![VarUse {
                    name: "TOOL_VERSION".into(),
                    line: 17,
                    value: "v1.4.2".into()
                }]
            }
        );
        assert_eq!(x.edges[3].url, fetch.url);
        // The stage-scoped ARG without a value takes the global default (line 6).
        let helper = &x.edges[6];
        assert_eq!(
            helper.url.as_ref().unwrap().url,
            "https://example.org/acme/helper.git"
        );
        assert!(matches!(&helper.origin, Origin::Expanded { vars } if vars[0].line == 6));
        assert_eq!(x.edges[5].text, "        libfoo-dev=2.5.1-1 \\");
    }

    #[test]
    fn escape_directive_env_forms_and_windows_paths() {
        let df = "# escape=`\n\nARG WIN_IMAGE=mcr.example.com/windows/servercore\nARG WIN_TAG=ltsc2022\nFROM ${WIN_IMAGE}:${WIN_TAG}\nARG TOOL_VERSION=v1.7.28\nENV TOOL_VERSION=${TOOL_VERSION} `\n    GOPATH=C:\\gopath `\n    GIT_VERSION=2.11.1\nENV LEGACY_VERSION 3.1.4\n";
        let x = extract_all("Dockerfile.windows", df);
        assert!(x.warnings.is_empty(), "{:?}", x.warnings);
        assert_eq!(
            summary(&x.edges),
            vec![
                (EdgeKind::DockerArg, "WIN_TAG", "ltsc2022", 4, 13),
                (
                    EdgeKind::DockerFrom,
                    "mcr.example.com/windows/servercore",
                    "ltsc2022",
                    5,
                    6
                ),
                (EdgeKind::DockerArg, "TOOL_VERSION", "v1.7.28", 6, 18),
                (EdgeKind::DockerEnv, "TOOL_VERSION", "v1.7.28", 7, 18),
                (EdgeKind::DockerEnv, "GIT_VERSION", "2.11.1", 9, 17),
                (EdgeKind::DockerEnv, "LEGACY_VERSION", "3.1.4", 10, 20),
            ]
        );
    }

    #[test]
    fn stage_inheritance_and_defaults_in_from() {
        let df = "ARG REG\nFROM ${REG:-docker.io/library}/alpine:${ALPINE:-3.20} AS a\nENV TOOL_VERSION=1.2.3\nFROM a AS b\nRUN git clone --branch \"$TOOL_VERSION\" https://example.org/t.git\nFROM scratch\nFROM alpine\n";
        let edges = extract("sub/app.Dockerfile", df);
        assert_eq!(
            summary(&edges),
            vec![
                (
                    EdgeKind::DockerFrom,
                    "docker.io/library/alpine",
                    "3.20",
                    2,
                    6
                ),
                (EdgeKind::DockerEnv, "TOOL_VERSION", "1.2.3", 3, 18),
                (EdgeKind::GitRef, "TOOL_VERSION", "1.2.3", 5, 24),
            ]
        );
        assert_eq!(edges[0].origin, Origin::Literal);
        assert_eq!(
            edges[2].url.as_ref().unwrap().url,
            "https://example.org/t.git"
        );
    }

    #[test]
    fn heredoc_markers_skip_quotes_and_survive_multibyte_text() {
        assert_eq!(
            super::heredoc_markers("caf\u{e9} \"<<NO\" <<-'ONE' x <<TWO \u{e9}<<"),
            vec![("ONE".to_string(), true), ("TWO".to_string(), false)]
        );
    }

    #[test]
    fn shell_heredocs_are_scripts_and_unclosed_ones_are_reported() {
        let df = "FROM alpine:3.20\nARG TOOL_VERSION=v2.0.0\nRUN bash -e <<'SCRIPT'\n  git clone https://example.org/t.git /t\n  git -C /t checkout \"$TOOL_VERSION\"\nSCRIPT\nRUN python3 <<EOF\ngit checkout v7.7.7\nEOF\nRUN cat <<EOF\nnever closed\n";
        let x = extract_all("Dockerfile", df);
        assert_eq!(
            summary(&x.edges),
            vec![
                (EdgeKind::DockerFrom, "alpine", "3.20", 1, 6),
                (EdgeKind::DockerArg, "TOOL_VERSION", "v2.0.0", 2, 18),
                (EdgeKind::GitRef, "TOOL_VERSION", "v2.0.0", 5, 22),
            ]
        );
        assert_eq!(
            x.warnings,
            ["Dockerfile:10:1: heredoc <<EOF is never closed: the rest of the file is its body"]
        );
    }

    #[test]
    fn thousands_of_chained_stages_stop_at_the_bound_with_a_warning() {
        let mut text = String::from("FROM alpine:3.20 AS s0\n");
        for i in 0..5000 {
            text.push_str(&format!("FROM s{i} AS s{}\nENV V{i}=1.{i}\n", i + 1));
        }
        let x = extract_all("Dockerfile", &text);
        assert!(x.edges.len() <= super::MAX_STAGES, "{}", x.edges.len());
        assert!(
            x.warnings
                .iter()
                .any(|w| w.starts_with("Dockerfile:") && w.contains("more than 256 build stages")),
            "{:?}",
            x.warnings
        );
    }
    #[test]
    fn thousands_of_variables_times_thousands_of_runs_stop_at_the_bound() {
        let mut text = String::from("FROM alpine:3.20\n");
        for i in 0..4000 {
            text.push_str(&format!("ENV V{i}=1.{i}\n"));
        }
        text.push_str(&"RUN true\n".repeat(20_000));
        let x = extract_all("Dockerfile", &text);
        assert!(
            x.warnings
                .iter()
                .any(|w| w.contains("too many variables copied")),
            "{:?}",
            x.warnings
        );
    }
}
