//! Rust's dependency files. `Cargo.lock`: every `[[package]]` that comes from a registry or a
//! git repository, with its exact version (a git source's commit, and its URL); workspace
//! members (no `source`) are the repository itself. `Cargo.toml`: the dependency tables
//! (`[dependencies]`, `[dev-dependencies]`, `[build-dependencies]`, `[target.*.dependencies]`,
//! `[workspace.dependencies]`, `[dependencies.NAME]`), each version as the requirement it is
//! (`"0.2.4"` is `^0.2.4`: the lock says what is built); `path` dependencies are in the tree and
//! `workspace = true` names the workspace's entry, so neither is an edge. Line-based, as both
//! files are written: TOML's inline tables hold one line.

use super::{DepEdge, EdgeKind, Origin, SourceUrl};

/// The value of a `key = "value"` line (basic or literal string), if it is one.
fn string_value(v: &str) -> Option<String> {
    let v = v.trim();
    let q = v.chars().next()?;
    if q != '"' && q != '\'' {
        return None;
    }
    let inner = &v[1..];
    let end = inner.find(q)?;
    Some(inner[..end].to_string())
}

/// `key = value` (outside strings, the first `=`).
fn key_value(line: &str) -> Option<(&str, &str)> {
    let (k, v) = line.split_once('=')?;
    let k = k.trim().trim_matches('"');
    (!k.is_empty() && !k.contains(' ')).then_some((k, v.trim()))
}

/// 1-based column (in characters) of `needle` on `line`, else 1.
fn column_of(line: &str, needle: &str) -> u32 {
    line.find(needle)
        .map_or(1, |i| line[..i].chars().count() as u32 + 1)
}

/// `Cargo.lock`: the exact version of every package from outside the workspace.
pub(super) fn lock(text: &str, out: &mut Vec<DepEdge>) {
    #[derive(Default)]
    struct Pkg {
        name: String,
        version: Option<(String, u32, String)>,
        source: Option<(String, u32)>,
    }
    let mut cur: Option<Pkg> = None;
    let flush = |p: Option<Pkg>, out: &mut Vec<DepEdge>| {
        let Some(p) = p else { return };
        let (Some((version, line, text)), Some((source, src_line))) = (p.version, p.source) else {
            return;
        };
        let (version, url, col_of) = match source.strip_prefix("git+") {
            // `git+https://github.com/o/r?branch=main#<commit>`: the commit is what is built.
            Some(git) => {
                let (u, commit) = git.split_once('#').unwrap_or((git, ""));
                let u = u.split('?').next().unwrap_or(u).to_string();
                (
                    if commit.is_empty() {
                        version
                    } else {
                        commit.to_string()
                    },
                    Some(SourceUrl {
                        url: u,
                        line: src_line,
                    }),
                    false,
                )
            }
            None => (version, None, true),
        };
        out.push(DepEdge {
            kind: EdgeKind::CargoLock,
            line,
            column: if col_of {
                column_of(&text, "\"") + 1
            } else {
                1
            },
            text,
            name: p.name,
            version,
            origin: Origin::Literal,
            url,
            replaced_by: None,
        });
    };
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line == "[[package]]" {
            flush(cur.take(), out);
            cur = Some(Pkg::default());
            continue;
        }
        if line.starts_with('[') {
            flush(cur.take(), out);
            continue;
        }
        let (Some(p), Some((k, v))) = (cur.as_mut(), key_value(line)) else {
            continue;
        };
        let Some(s) = string_value(v) else { continue };
        match k {
            "name" => p.name = s,
            "version" => p.version = Some((s, i as u32 + 1, raw.to_string())),
            "source" => p.source = Some((s, i as u32 + 1)),
            _ => {}
        }
    }
    flush(cur, out);
}

/// Is this a dependency table's header (`dependencies`, `dev-dependencies`,
/// `target.'cfg(unix)'.build-dependencies`, `workspace.dependencies`)? With the dependency's
/// name for `[dependencies.NAME]`.
fn dependency_table(header: &str) -> Option<Option<String>> {
    let h = header
        .trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim();
    let kinds = ["dependencies", "dev-dependencies", "build-dependencies"];
    // The last `.`-separated parts, quotes (`'cfg(unix)'`) kept whole.
    let mut parts: Vec<String> = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in h.chars() {
        match (c, quote) {
            ('"' | '\'', None) => quote = Some(c),
            (q, Some(open)) if q == open => quote = None,
            ('.', None) => parts.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    parts.push(cur);
    let n = parts.len();
    if kinds.contains(&parts[n - 1].as_str()) {
        return Some(None);
    }
    if n >= 2 && kinds.contains(&parts[n - 2].as_str()) {
        return Some(Some(parts[n - 1].clone()));
    }
    None
}

/// `Cargo.toml`: dependency requirements.
pub(super) fn manifest(text: &str, out: &mut Vec<DepEdge>) {
    // In a `[dependencies.NAME]` table: its name and whether it was emitted.
    let mut table: Option<Option<String>> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split(" #").next().unwrap_or(raw).trim();
        if line.starts_with('[') {
            table = dependency_table(line);
            continue;
        }
        let Some(t) = &table else { continue };
        let Some((k, v)) = key_value(line) else {
            continue;
        };
        let lineno = i as u32 + 1;
        match t {
            // `[dependencies.pathrs]` then `version = "0.2"`.
            Some(name) => {
                if k == "version"
                    && let Some(req) = string_value(v)
                {
                    out.push(requirement(name, &req, lineno, raw, None));
                } else if k == "git"
                    && let Some(url) = string_value(v)
                {
                    out.push(git_requirement(name, &url, lineno, raw));
                }
            }
            None => {
                if let Some(req) = string_value(v) {
                    out.push(requirement(k, &req, lineno, raw, None));
                } else if v.starts_with('{') {
                    let Ok(tbl) = toml::from_str::<toml::Table>(&format!("x = {v}")) else {
                        continue;
                    };
                    let Some(tbl) = tbl.get("x").and_then(|x| x.as_table()) else {
                        continue;
                    };
                    let get = |f: &str| tbl.get(f).and_then(|x| x.as_str()).map(str::to_string);
                    // `pathrs = { workspace = true }`, `x = { path = "../x" }`: not an edge here.
                    if tbl.contains_key("workspace") || tbl.contains_key("path") {
                        continue;
                    }
                    let name = get("package").unwrap_or_else(|| k.to_string());
                    if let Some(url) = get("git") {
                        out.push(git_requirement(&name, &url, lineno, raw));
                    } else if let Some(req) = get("version") {
                        out.push(requirement(&name, &req, lineno, raw, Some(k)));
                    }
                }
            }
        }
    }
}

/// A version requirement, written as Cargo reads it (`0.2.4` is `^0.2.4`).
fn requirement(name: &str, req: &str, line: u32, raw: &str, _key: Option<&str>) -> DepEdge {
    let bare = req.trim();
    let version = if bare.starts_with(|c: char| c.is_ascii_digit()) {
        format!("^{bare}")
    } else {
        bare.to_string()
    };
    DepEdge {
        kind: EdgeKind::CargoRequire,
        line,
        column: column_of(raw, &format!("\"{bare}")) + 1,
        text: raw.to_string(),
        name: name.to_string(),
        version,
        origin: Origin::Literal,
        url: None,
        replaced_by: None,
    }
}

/// `x = { git = "URL", rev = "..." }`: the repository; the commit is in Cargo.lock.
fn git_requirement(name: &str, url: &str, line: u32, raw: &str) -> DepEdge {
    DepEdge {
        kind: EdgeKind::CargoRequire,
        line,
        column: column_of(raw, url),
        text: raw.to_string(),
        name: name.to_string(),
        version: String::new(),
        origin: Origin::Literal,
        url: Some(SourceUrl {
            url: url.to_string(),
            line,
        }),
        replaced_by: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_keeps_registry_and_git_packages_with_exact_versions() {
        let text = r#"# This file is automatically @generated by Cargo.
version = 4

[[package]]
name = "libcontainer"
version = "0.7.0"
dependencies = [
 "pathrs",
]

[[package]]
name = "pathrs"
version = "0.2.5"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "9b1c"

[[package]]
name = "oci-spec"
version = "0.10.0"
source = "git+https://github.com/example/oci-spec-rs?branch=main#0123456789abcdef0123456789abcdef01234567"
"#;
        let mut out = Vec::new();
        lock(text, &mut out);
        let got: Vec<(&str, &str, u32, u32)> = out
            .iter()
            .map(|e| (e.name.as_str(), e.version.as_str(), e.line, e.column))
            .collect();
        assert_eq!(
            got,
            [
                ("pathrs", "0.2.5", 13, 12),
                (
                    "oci-spec",
                    "0123456789abcdef0123456789abcdef01234567",
                    19,
                    1
                ),
            ]
        );
        assert_eq!(
            out[1].url.as_ref().unwrap().url,
            "https://github.com/example/oci-spec-rs"
        );
        assert!(out.iter().all(|e| e.kind == EdgeKind::CargoLock));
    }

    #[test]
    fn hostile_manifests_are_read_in_bounded_time_and_stack() {
        let depth = 50_000;
        let nested = format!(
            "[dependencies]\nx = {}{}\n",
            "{ a = ".repeat(depth),
            "}".repeat(depth)
        );
        let mut out = Vec::new();
        manifest(&nested, &mut out);
        assert!(out.is_empty());
        let long = format!("[dependencies]\n{}\n", "y = \"1\"\n".repeat(100_000));
        manifest(&long, &mut out);
        assert_eq!(out.len(), 100_000);
        let mut locked = Vec::new();
        lock(&"[[package]]\nname = \"x\"\n".repeat(100_000), &mut locked);
        assert!(locked.is_empty());
    }

    #[test]
    fn manifest_reads_every_dependency_table_as_requirements() {
        let text = r#"[package]
name = "libcontainer"
version = "0.7.0"

[dependencies]
pathrs = { workspace = true }
nix = { version = "0.29.0", features = ["mount"] }
caps = "0.5.6" # capabilities
renamed = { package = "real-name", version = "=1.2.3" }
local = { path = "../local" }
spec = { git = "https://github.com/example/oci-spec-rs", rev = "abc" }

[workspace.dependencies]
pathrs = "0.2.4"

[target.'cfg(target_os = "linux")'.dev-dependencies]
serial_test = "3"

[dependencies.libseccomp]
version = "0.4"
optional = true
"#;
        let mut out = Vec::new();
        manifest(text, &mut out);
        let got: Vec<(&str, &str, u32)> = out
            .iter()
            .map(|e| (e.name.as_str(), e.version.as_str(), e.line))
            .collect();
        assert_eq!(
            got,
            [
                ("nix", "^0.29.0", 7),
                ("caps", "^0.5.6", 8),
                ("real-name", "=1.2.3", 9),
                ("spec", "", 11),
                ("pathrs", "^0.2.4", 14),
                ("serial_test", "^3", 17),
                ("libseccomp", "^0.4", 20),
            ]
        );
        assert_eq!(out[0].column, 20);
        assert_eq!(
            out[3].url.as_ref().unwrap().url,
            "https://github.com/example/oci-spec-rs"
        );
    }
}
