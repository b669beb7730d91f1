//! Shell scripts and Dockerfile RUN commands: version defaults (`: "${V:=x}"`,
//! `V=${V:-x}`), version assignments, `git clone`/`remote add` URLs, `git checkout`/`fetch` of
//! a ref, and `apt-get install pkg=version`. Must not know Dockerfile instructions.

use super::lex::{Env, Lexer, Lines, VarOp, Word};
use super::{DepEdge, EdgeKind, Require, SourceUrl, edge_from};

/// Where edges go while a file is read, and the repository URL the last `git clone` or
/// `git remote add` named (a later checkout or fetch of a ref is of that repository).
pub(super) struct Ctx<'a, 'l> {
    pub lines: &'a Lines<'l>,
    pub out: &'a mut Vec<DepEdge>,
    pub url: Option<SourceUrl>,
}

const KEYWORDS: &[&str] = &[
    "if", "then", "else", "elif", "fi", "do", "done", "while", "until", "for", "case", "esac", "!",
    "{", "}", "function", "in",
];

pub(super) fn extract(path: &str, text: &str, out: &mut Vec<DepEdge>) {
    let lines = Lines::new(text);
    let joined = super::lex::join(text, 0, text.len(), '\\', false);
    let mut env = Env::new(path);
    let mut cx = Ctx {
        lines: &lines,
        out,
        url: None,
    };
    read(&joined.text, &|i| joined.src(i), &mut env, &mut cx);
}

/// Reads shell text whose byte `i` sits at offset `src(i)` of the file.
pub(super) fn read(text: &str, src: &dyn Fn(usize) -> usize, env: &mut Env, cx: &mut Ctx) {
    for cmd in Lexer::shell(text).commands() {
        let mut words: &[Word] = &cmd.words;
        while let Some(k) = words.first().and_then(|w| w.literal())
            && KEYWORDS.contains(&k.as_str())
        {
            words = &words[1..];
        }
        if words.is_empty() {
            continue;
        }
        let assigns = words
            .iter()
            .take_while(|w| w.assignment().is_some())
            .count();
        if assigns == words.len() {
            for w in words {
                assign(w, text, src, env, cx);
            }
            continue;
        }
        let mut rest = &words[assigns..];
        if let Some(head) = rest[0].literal()
            && matches!(
                head.as_str(),
                "export" | "local" | "readonly" | "declare" | "typeset"
            )
        {
            for w in &rest[1..] {
                if w.assignment().is_some() {
                    assign(w, text, src, env, cx);
                }
            }
            continue;
        }
        rest = strip_prefixes(rest);
        let Some(head) = rest.first().and_then(|w| w.literal()) else {
            continue;
        };
        match head.as_str() {
            ":" => defaults(&rest[1..], text, src, env, cx),
            "git" => git(&rest[1..], text, src, env, cx),
            "apt-get" | "apt" | "xx-apt-get" | "aptitude" | "apk" | "xx-apk" => {
                packages(&rest[1..], text, src, env, cx)
            }
            _ => {}
        }
    }
}

/// `sudo`, `$SUDO`, `env -u X`, `command`, `exec` before the command itself.
fn strip_prefixes(mut rest: &[Word]) -> &[Word] {
    while let Some(w) = rest.first() {
        if rest.len() > 1 && w.single_var().is_some() {
            rest = &rest[1..];
            continue;
        }
        match w.literal().as_deref() {
            Some("sudo" | "command" | "exec" | "nice" | "time") => rest = &rest[1..],
            Some("env") => {
                rest = &rest[1..];
                while let Some(w) = rest.first() {
                    if w.is("-u") {
                        rest = &rest[2.min(rest.len())..];
                    } else if w.literal().is_some_and(|l| l.starts_with('-'))
                        || w.assignment().is_some()
                    {
                        rest = &rest[1..];
                    } else {
                        break;
                    }
                }
            }
            _ => break,
        }
    }
    rest
}

fn line_at(cx: &Ctx, src: &dyn Fn(usize) -> usize, i: usize) -> u32 {
    cx.lines.pos(src(i)).0
}

/// `NAME=value`: a default when the value is `${NAME:-x}`, else an assignment; both edges
/// only for versions (or version-named variables), but every assignment feeds expansion.
fn assign(w: &Word, text: &str, src: &dyn Fn(usize) -> usize, env: &mut Env, cx: &mut Ctx) {
    let Some((name, value)) = w.assignment() else {
        return;
    };
    let line = line_at(cx, src, w.start);
    env.line = line;
    let e = env.expand(&value);
    let is_default = matches!(value.as_slice(),
        [super::lex::Part::Var(v)] if v.name == name && matches!(v.op, VarOp::Default { .. }));
    let kind = if is_default {
        EdgeKind::ShellDefault
    } else {
        EdgeKind::ShellAssign
    };
    let value_at = w.start + text[w.start..w.end].find('=').map_or(0, |i| i + 1);
    if let Some(edge) = edge_from(
        cx.lines,
        src(value_at),
        kind,
        &name,
        &e,
        Require::VersionOrName,
    ) {
        cx.out.push(edge);
    }
    env.set(&name, e, line);
}

/// `: "${NAME:=value}" ...`
fn defaults(args: &[Word], text: &str, src: &dyn Fn(usize) -> usize, env: &mut Env, cx: &mut Ctx) {
    for w in args {
        let Some(v) = w.single_var() else { continue };
        let VarOp::Default {
            assign: true, word, ..
        } = &v.op
        else {
            continue;
        };
        let line = line_at(cx, src, w.start);
        env.line = line;
        let e = env.expand(word);
        let raw = &text[w.start..w.end];
        let value_at = w.start + raw.find('=').map_or(0, |i| i + 1);
        if let Some(edge) = edge_from(
            cx.lines,
            src(value_at),
            EdgeKind::ShellDefault,
            &v.name,
            &e,
            Require::VersionOrName,
        ) {
            cx.out.push(edge);
        }
        if !env.vars.contains_key(&v.name) {
            env.set(&v.name, e, line);
        }
    }
}

const CLONE_ARG_OPTS: &[&str] = &[
    "-b",
    "--branch",
    "--depth",
    "-o",
    "--origin",
    "--reference",
    "-c",
    "--config",
    "-j",
    "--jobs",
    "-u",
    "--upload-pack",
    "--separate-git-dir",
    "--template",
    "--shallow-since",
    "--shallow-exclude",
    "--filter",
];
const FETCH_ARG_OPTS: &[&str] = &[
    "--depth",
    "-j",
    "--jobs",
    "--shallow-since",
    "--shallow-exclude",
    "--negotiation-tip",
    "-o",
    "--server-option",
    "--refmap",
    "--filter",
    "--upload-pack",
];
const CHECKOUT_ARG_OPTS: &[&str] = &["-b", "-B", "-c", "-C", "--orphan", "--conflict"];

/// Splits arguments into options (with the values of `with_arg` options) and positionals,
/// stopping at `--`.
fn positionals<'w>(
    args: &'w [Word],
    with_arg: &[&str],
) -> (Vec<&'w Word>, Vec<(String, &'w Word)>) {
    let mut pos = Vec::new();
    let mut opts = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let w = &args[i];
        match w.literal() {
            Some(l) if l == "--" => break,
            Some(l) if l.starts_with('-') && l.len() > 1 => {
                if with_arg.contains(&l.as_str()) && i + 1 < args.len() {
                    opts.push((l, &args[i + 1]));
                    i += 1;
                }
            }
            _ => pos.push(w),
        }
        i += 1;
    }
    (pos, opts)
}

fn git(args: &[Word], text: &str, src: &dyn Fn(usize) -> usize, env: &mut Env, cx: &mut Ctx) {
    let mut i = 0;
    while i < args.len() {
        match args[i].literal().as_deref() {
            Some("-C" | "-c") => i += 2,
            Some(l) if l.starts_with('-') => i += 1,
            _ => break,
        }
    }
    let Some(sub) = args.get(i).and_then(|w| w.literal()) else {
        return;
    };
    let args = &args[i + 1..];
    match sub.as_str() {
        "clone" => {
            let (pos, opts) = positionals(args, CLONE_ARG_OPTS);
            if let Some(url) = pos.first() {
                remember_url(url, src, env, cx);
            }
            for (o, w) in opts {
                if o == "-b" || o == "--branch" {
                    git_ref(w, text, src, env, cx);
                }
            }
        }
        "remote" => {
            let Some(action) = args.first().and_then(|w| w.literal()) else {
                return;
            };
            if action == "add" || action == "set-url" {
                let (pos, _) = positionals(&args[1..], &["-t", "-m"]);
                if let Some(url) = pos.get(1) {
                    remember_url(url, src, env, cx);
                }
            }
        }
        "checkout" | "switch" | "reset" => {
            let (pos, _) = positionals(args, CHECKOUT_ARG_OPTS);
            if let Some(r) = pos.first() {
                git_ref(r, text, src, env, cx);
            }
        }
        "fetch" => {
            let (pos, _) = positionals(args, FETCH_ARG_OPTS);
            for r in pos.iter().skip(1) {
                let refspec = r
                    .parts
                    .iter()
                    .any(|p| matches!(p, super::lex::Part::Lit(l) if l.contains(':')));
                if !refspec {
                    git_ref(r, text, src, env, cx);
                }
            }
        }
        _ => {}
    }
}

fn remember_url(w: &Word, src: &dyn Fn(usize) -> usize, env: &mut Env, cx: &mut Ctx) {
    let line = line_at(cx, src, w.start);
    env.line = line;
    if let super::lex::Val::Known(u) = env.expand(&w.parts).val
        && (u.contains("://") || u.starts_with("git@"))
    {
        cx.url = Some(SourceUrl { url: u, line });
    }
}

fn git_ref(w: &Word, _text: &str, src: &dyn Fn(usize) -> usize, env: &mut Env, cx: &mut Ctx) {
    env.line = line_at(cx, src, w.start);
    let e = env.expand(&w.parts);
    if let super::lex::Val::Known(v) = &e.val
        && (matches!(v.as_str(), "HEAD" | "FETCH_HEAD" | "-") || v.starts_with('-'))
    {
        return;
    }
    let name = match w.single_var() {
        Some(v) => v.name.clone(),
        None => match &cx.url {
            Some(u) => repo_name(&u.url),
            None => "git".to_string(),
        },
    };
    if let Some(mut edge) = edge_from(
        cx.lines,
        src(w.start),
        EdgeKind::GitRef,
        &name,
        &e,
        Require::VersionOrVar,
    ) {
        edge.url = cx.url.clone();
        cx.out.push(edge);
    }
}

/// `https://github.com/o/runc.git` -> `runc`.
fn repo_name(url: &str) -> String {
    let t = url.trim_end_matches('/');
    let last = t.rsplit(['/', ':']).next().unwrap_or(t);
    last.strip_suffix(".git").unwrap_or(last).to_string()
}

fn packages(args: &[Word], text: &str, src: &dyn Fn(usize) -> usize, env: &mut Env, cx: &mut Ctx) {
    let Some(sub) = args
        .iter()
        .position(|w| w.literal().is_some_and(|l| l == "install" || l == "add"))
    else {
        return;
    };
    for w in &args[sub + 1..] {
        if w.literal().is_some_and(|l| l.starts_with('-')) {
            continue;
        }
        let raw = &text[w.start..w.end];
        let Some(eq) = raw.find('=') else { continue };
        env.line = line_at(cx, src, w.start);
        let e = env.expand(&w.parts);
        let super::lex::Val::Known(s) = &e.val else {
            continue;
        };
        let Some((pkg, version)) = s.split_once('=') else {
            continue;
        };
        let name_ok = !pkg.is_empty()
            && pkg.starts_with(|c: char| c.is_ascii_alphanumeric())
            && pkg
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-' | '_' | ':'));
        if !name_ok {
            continue;
        }
        let ve = super::lex::Expansion {
            val: super::lex::Val::Known(version.to_string()),
            uses: e.uses.clone(),
        };
        if let Some(edge) = edge_from(
            cx.lines,
            src(w.start + eq + 1),
            EdgeKind::Package,
            pkg,
            &ve,
            Require::Any,
        ) {
            cx.out.push(edge);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{EdgeKind, Origin, extract};

    fn summary(path: &str, text: &str) -> Vec<(EdgeKind, String, String, u32, u32)> {
        extract(path, text)
            .into_iter()
            .map(|e| (e.kind, e.name, e.version, e.line, e.column))
            .collect()
    }

    const INSTALLER: &str = r#"#!/bin/sh
set -e

# TOOL_VERSION selects the tool; "${TOOL_VERSION:=v9.9.9}" in this comment is not a pin.
: "${TOOL_VERSION:=v1.4.2}"
: ${HELPER_VERSION:=2.0.1}
: ${TOOL_CHANNEL:=stable}
OTHER_VERSION=${OTHER_VERSION:-0.3.0}
target=static

install_tool() {
	echo "Install tool $TOOL_VERSION"
	git clone https://example.org/acme/tool.git "$GOPATH/src/example.org/acme/tool"
	cd "$GOPATH/src/example.org/acme/tool"
	git checkout -q "$TOOL_VERSION"
	cat <<EOF > notes.txt
git checkout v0.0.1
EOF
	make "$target"
}
"#;

    #[test]
    fn installer_defaults_and_checkout_are_edges_and_comments_are_not() {
        assert_eq!(
            summary("hack/install/tool.installer", INSTALLER),
            vec![
                (
                    EdgeKind::ShellDefault,
                    "TOOL_VERSION".into(),
                    "v1.4.2".into(),
                    5,
                    20
                ),
                (
                    EdgeKind::ShellDefault,
                    "HELPER_VERSION".into(),
                    "2.0.1".into(),
                    6,
                    21
                ),
                (
                    EdgeKind::ShellDefault,
                    "OTHER_VERSION".into(),
                    "0.3.0".into(),
                    8,
                    15
                ),
                (
                    EdgeKind::GitRef,
                    "TOOL_VERSION".into(),
                    "v1.4.2".into(),
                    15,
                    18
                ),
            ]
        );
        let edges = super::super::extract("hack/install/tool.installer", INSTALLER);
        let checkout = &edges[3];
        assert_eq!(
            checkout.url.as_ref().unwrap().url,
            "https://example.org/acme/tool.git"
        );
        assert_eq!(checkout.url.as_ref().unwrap().line, 13);
        let Origin::Expanded { vars } = &checkout.origin else {
            panic!("{:?}", checkout.origin)
        };
        assert_eq!((vars[0].name.as_str(), vars[0].line), ("TOOL_VERSION", 5));
        // The default that the checkout uses learns the URL too.
        assert_eq!(edges[0].url, checkout.url);
    }

    #[test]
    fn a_version_read_from_a_file_next_to_the_script_names_that_file() {
        let script = r#"#!/usr/bin/env bash
set -eu -o pipefail

script_dir="$(cd -- "$(dirname -- "$0")" > /dev/null 2>&1; pwd -P)"

function install_tool() {
	: "${TOOL_VERSION:=$(cat "${script_dir}/tool-version")}"
	: "${TOOL_REPO:=https://example.org/acme/tool.git}"
	git clone "${TOOL_REPO}" "${TMPROOT}"/tool
	pushd "${TMPROOT}"/tool
	git checkout "${TOOL_VERSION}"
}
"#;
        let edges = super::super::extract("script/setup/install-tool", script);
        assert_eq!(edges.len(), 2, "{edges:#?}");
        for (e, line) in edges.iter().zip([7, 11]) {
            assert_eq!(e.line, line);
            assert_eq!(e.version, "");
            let Origin::File { path, in_repo, .. } = &e.origin else {
                panic!("{:?}", e.origin)
            };
            assert_eq!(
                (path.as_str(), *in_repo),
                ("script/setup/tool-version", true)
            );
        }
        assert_eq!(edges[1].kind, EdgeKind::GitRef);
        assert_eq!(
            edges[1].url.as_ref().unwrap().url,
            "https://example.org/acme/tool.git"
        );
        assert_eq!(edges[0].url, edges[1].url);
    }

    #[test]
    fn a_reference_into_another_checkout_keeps_its_path() {
        let script = r#"#!/usr/bin/env sh
pick() {
	if [ -n "${TOOL_REF}" ]; then
		echo "${TOOL_REF}"
		return
	fi
	repo_abspath="$(cd -- "$(dirname -- "$0")/.." > /dev/null 2>&1; pwd -P)"
	app_src_dir="${repo_abspath}/src/example.org/acme/app"
	if [ -f "${app_src_dir}/script/setup/tool-version" ]; then
		tool_ref=$(cat "${app_src_dir}/script/setup/tool-version")
		echo "${tool_ref}"
	fi
}
pick
"#;
        let edges = super::super::extract("scripts/pick-tool-version", script);
        assert_eq!(edges.len(), 1, "{edges:#?}");
        let e = &edges[0];
        assert_eq!(
            (e.kind, e.name.as_str(), e.line, e.column),
            (EdgeKind::ShellAssign, "tool_ref", 10, 12)
        );
        assert_eq!(
            e.origin,
            Origin::File {
                path: "src/example.org/acme/app/script/setup/tool-version".into(),
                in_repo: true,
                vars: vec![
                    super::super::VarUse {
                        name: "app_src_dir".into(),
                        line: 8,
                        value: "src/example.org/acme/app".into()
                    },
                    super::super::VarUse {
                        name: "repo_abspath".into(),
                        line: 7,
                        value: "".into()
                    }
                ]
            }
        );
    }

    #[test]
    fn apt_pins_and_continuations_in_scripts() {
        let script = "#!/bin/bash\nPKG_VERSION=1.7.28-1\napt-get update && apt-get install -y --no-install-recommends \\\n    curl \\\n    containerd.io=\"${PKG_VERSION}\" \\\n    runc=1.1.12-0ubuntu3\n";
        assert_eq!(
            summary("install.sh", script),
            vec![
                (
                    EdgeKind::ShellAssign,
                    "PKG_VERSION".into(),
                    "1.7.28-1".into(),
                    2,
                    13
                ),
                (
                    EdgeKind::Package,
                    "containerd.io".into(),
                    "1.7.28-1".into(),
                    5,
                    19
                ),
                (
                    EdgeKind::Package,
                    "runc".into(),
                    "1.1.12-0ubuntu3".into(),
                    6,
                    10
                ),
            ]
        );
    }
}
