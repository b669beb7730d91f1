//! Go modules: go.mod (and moby's vendor.mod) `require` and `replace`, single and in blocks,
//! and vendor/modules.txt, the one model of vendored modules (`catalog` keeps only module and
//! version from these edges). Must not know other file kinds.

use super::lex::Lines;
use super::{DepEdge, EdgeKind, Origin};

/// Whitespace-separated tokens with their byte offsets; go.mod's quoted paths lose their quotes.
fn tokens(s: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(st)) => {
                out.push((st, &s[st..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(st) = start {
        out.push((st, &s[st..]));
    }
    out.into_iter()
        .map(
            |(i, t)| match t.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                Some(inner) => (i + 1, inner),
                None => (i, t),
            },
        )
        .collect()
}

/// A module path as go.mod may write one: letters, digits, `-._~+` and `/` separators, not
/// starting with `/` or `-` (the go command refuses anything else).
fn is_module_path(p: &str) -> bool {
    !p.is_empty()
        && !p.starts_with(['/', '-'])
        && p.len() <= 1024
        && p.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// A module version as go.mod may write one: `v` and a digit, then semantic-version text
/// (`v1.2.3`, `v0.0.0-20221107090550-2e043c6bd626`, `v2.1.4+incompatible`).
fn is_version(v: &str) -> bool {
    let b = v.as_bytes();
    b.len() >= 2
        && b.len() <= 256
        && b[0] == b'v'
        && b[1].is_ascii_digit()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b".+-".contains(c))
}

fn is_local_path(p: &str) -> bool {
    p.starts_with("./") || p.starts_with("../") || p.starts_with('/') || p == "." || p == ".."
}

fn edge(
    lines: &Lines,
    line0: usize,
    col_byte: usize,
    kind: EdgeKind,
    name: &str,
    version: &str,
    replaced_by: Option<&str>,
) -> DepEdge {
    let text = lines.text(line0);
    DepEdge {
        kind,
        line: line0 as u32 + 1,
        column: text[..col_byte.min(text.len())].chars().count() as u32 + 1,
        text: text.to_string(),
        name: name.to_string(),
        version: version.to_string(),
        origin: Origin::Literal,
        url: None,
        replaced_by: replaced_by.map(str::to_string),
    }
}

/// `require` and remote `replace` lines become edges. A required module that a `replace`
/// redirects (every version, or the required one) is not built from the version the require
/// names: its edge carries the replacement in `replaced_by` (a module path, or a local
/// directory such as `./` or `../fork`).
pub(super) fn go_mod(text: &str, out: &mut Vec<DepEdge>) {
    let lines = Lines::new(text);
    let mut block: Option<String> = None;
    let mut requires: Vec<DepEdge> = Vec::new();
    // (module, version the replace is limited to, replacement).
    let mut replaces: Vec<(String, Option<String>, String)> = Vec::new();
    for l in 0..lines.len() {
        let raw = lines.text(l);
        let code = raw.find("//").map_or(raw, |i| &raw[..i]);
        let toks = tokens(code);
        let Some(&(_, first)) = toks.first() else {
            continue;
        };
        let (verb, args) = match &block {
            Some(v) => {
                if first == ")" {
                    block = None;
                    continue;
                }
                (v.clone(), &toks[..])
            }
            None => {
                if toks.len() == 2 && toks[1].1 == "(" {
                    block = Some(first.to_string());
                    continue;
                }
                (first.to_string(), &toks[1..])
            }
        };
        // Only lines the go command would accept become edges: a block opened inside a block
        // (`require (` again), stray parentheses or other text are not modules and versions.
        match (verb.as_str(), args) {
            ("require", [(_, module), (at, version)])
                if is_module_path(module) && is_version(version) =>
            {
                requires.push(edge(
                    &lines,
                    l,
                    *at,
                    EdgeKind::GoRequire,
                    module,
                    version,
                    None,
                ))
            }
            ("replace", _) => {
                let Some(arrow) = args.iter().position(|(_, t)| *t == "=>").filter(|a| *a > 0)
                else {
                    continue;
                };
                let old = args[0].1;
                let only = match &args[1..arrow] {
                    [] => None,
                    [(_, v)] if is_version(v) => Some(v.to_string()),
                    _ => continue,
                };
                if !is_module_path(old) {
                    continue;
                }
                match &args[arrow + 1..] {
                    [(_, new), (at, version)]
                        if !is_local_path(new) && is_module_path(new) && is_version(version) =>
                    {
                        replaces.push((old.to_string(), only, new.to_string()));
                        out.push(edge(
                            &lines,
                            l,
                            *at,
                            EdgeKind::GoReplace,
                            old,
                            version,
                            Some(new),
                        ))
                    }
                    [(_, dir)] if is_local_path(dir) => {
                        replaces.push((old.to_string(), only, dir.to_string()))
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    for r in &mut requires {
        r.replaced_by = replaces
            .iter()
            .find(|(m, only, _)| *m == r.name && only.as_ref().is_none_or(|v| *v == r.version))
            .map(|(_, _, new)| new.clone());
    }
    // File order: requires and replaces interleave as written.
    out.extend(requires);
    out.sort_by_key(|e| (e.line, e.column));
}

/// A `replace` target that is a directory, not a module: the code is built from there.
pub(crate) fn is_local_replacement(replaced_by: &str) -> bool {
    is_local_path(replaced_by)
}

/// vendor/modules.txt: `# module version`, `# module version => replacement version`,
/// `# module => replacement version`, `# module version => ./local`.
pub(crate) fn modules_txt(text: &str) -> Vec<DepEdge> {
    let lines = Lines::new(text);
    let mut out = Vec::new();
    for l in 0..lines.len() {
        let raw = lines.text(l);
        let Some(rest) = raw.strip_prefix("# ") else {
            continue;
        };
        let toks: Vec<(usize, &str)> = tokens(rest).into_iter().map(|(i, t)| (i + 2, t)).collect();
        let fields: Vec<&str> = toks.iter().map(|(_, t)| *t).collect();
        let (module, at, version, replaced_by) = match fields.as_slice() {
            [m, v] => (*m, toks[1].0, *v, None),
            [m, v, "=>", r, rv] => {
                if rv.starts_with('v') {
                    (*m, toks[4].0, *rv, Some(*r))
                } else {
                    (*m, toks[1].0, *v, Some(*r))
                }
            }
            [m, "=>", r, rv] => (*m, toks[3].0, *rv, Some(*r)),
            [m, v, "=>", dir] => (*m, toks[1].0, *v, Some(*dir)),
            _ => continue,
        };
        out.push(edge(
            &lines,
            l,
            at,
            EdgeKind::Vendored,
            module,
            version,
            replaced_by,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::{EdgeKind, extract};

    /// kind, name, version, line, column, replaced_by
    type Row<'a> = (EdgeKind, &'a str, &'a str, u32, u32, Option<&'a str>);

    #[test]
    fn go_mod_requires_and_replaces_single_and_in_blocks() {
        let gomod = "module example.org/acme/app\n\ngo 1.23.0\n\nrequire example.org/acme/tool v1.3.0\n\nrequire (\n\tgithub.com/acme/lib/v2 v2.1.4\n\tgithub.com/acme/spec v0.9.1-0.20221107090550-2e043c6bd626 // indirect\n\t// github.com/acme/old v0.0.1\n)\n\nreplace github.com/acme/lib/v2 => github.com/fork/lib/v2 v2.1.5\n\nreplace (\n\tgithub.com/acme/local => ../local\n\tgithub.com/acme/spec v0.9.1 => github.com/fork/spec v0.9.2\n)\n";
        let edges = extract("go.mod", gomod);
        let got: Vec<Row> = edges
            .iter()
            .map(|e| {
                (
                    e.kind,
                    e.name.as_str(),
                    e.version.as_str(),
                    e.line,
                    e.column,
                    e.replaced_by.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    EdgeKind::GoRequire,
                    "example.org/acme/tool",
                    "v1.3.0",
                    5,
                    31,
                    None
                ),
                // Every version of lib/v2 is replaced by the fork: not built from v2.1.4.
                (
                    EdgeKind::GoRequire,
                    "github.com/acme/lib/v2",
                    "v2.1.4",
                    8,
                    25,
                    Some("github.com/fork/lib/v2")
                ),
                // The replace names v0.9.1 only: this version is built as required.
                (
                    EdgeKind::GoRequire,
                    "github.com/acme/spec",
                    "v0.9.1-0.20221107090550-2e043c6bd626",
                    9,
                    23,
                    None
                ),
                (
                    EdgeKind::GoReplace,
                    "github.com/acme/lib/v2",
                    "v2.1.5",
                    13,
                    58,
                    Some("github.com/fork/lib/v2")
                ),
                (
                    EdgeKind::GoReplace,
                    "github.com/acme/spec",
                    "v0.9.2",
                    17,
                    54,
                    Some("github.com/fork/spec")
                ),
            ]
        );
    }

    #[test]
    fn modules_txt_lines_become_vendored_edges_with_lines() {
        let txt = "# github.com/acme/securejoin v0.5.1\n## explicit; go 1.18\ngithub.com/acme/securejoin\n# golang.org/x/sys v0.30.0\n# example.com/a v1.0.0 => example.com/b v1.2.0\n# example.com/c v1.0.0 => ./c\n";
        let edges = extract("vendor/modules.txt", txt);
        let got: Vec<(&str, &str, u32, u32, Option<&str>)> = edges
            .iter()
            .map(|e| {
                (
                    e.name.as_str(),
                    e.version.as_str(),
                    e.line,
                    e.column,
                    e.replaced_by.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                ("github.com/acme/securejoin", "v0.5.1", 1, 30, None),
                ("golang.org/x/sys", "v0.30.0", 4, 20, None),
                ("example.com/a", "v1.2.0", 5, 41, Some("example.com/b")),
                ("example.com/c", "v1.0.0", 6, 17, Some("./c")),
            ]
        );
        assert!(edges.iter().all(|e| e.kind == EdgeKind::Vendored));
    }

    /// Issue 32: a block opened inside a block, stray parentheses and text that is no module
    /// and version never become edges; the real requirements around them still do.
    #[test]
    fn go_mod_lines_the_go_command_refuses_are_not_edges() {
        let nested = format!(
            "module example.com/m\n\nrequire (\n\texample.com/a v1.0.0\n{}\texample.com/b v1.2.0\n)\nrequire ( x\nreplace => example.com/c v1.0.0\nreplace example.com/d v1 v2 => example.com/e v1.0.0\nrequire example.com/f master\nrequire \"example.com/g\" v0.1.0\n",
            "\trequire (\n\t\t( )\n\treplace (\n".repeat(1000)
        );
        let edges = extract("go.mod", &nested);
        let got: Vec<(&str, &str)> = edges
            .iter()
            .map(|e| (e.name.as_str(), e.version.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("example.com/a", "v1.0.0"),
                ("example.com/b", "v1.2.0"),
                ("example.com/g", "v0.1.0")
            ]
        );
    }

    #[test]
    fn a_require_replaced_by_a_local_directory_says_so() {
        // A fork of a module that builds itself in place of it (`=> ./`), and a consumer that
        // builds a sibling checkout instead of the version it requires.
        let gomod = "module example.org/fork\n\nrequire (\n\tgithub.com/acme/runtime v1.1.4\n\tgithub.com/acme/tool v0.3.0\n)\n\nreplace github.com/acme/runtime => ./\nreplace github.com/acme/tool v0.2.0 => ../tool\n";
        let edges = extract("go.mod", gomod);
        let got: Vec<(&str, Option<&str>)> = edges
            .iter()
            .map(|e| (e.name.as_str(), e.replaced_by.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("github.com/acme/runtime", Some("./")),
                // The replace is for v0.2.0 only; v0.3.0 is built as required.
                ("github.com/acme/tool", None),
            ]
        );
        assert!(edges.iter().all(|e| e.kind == EdgeKind::GoRequire));
    }
}
