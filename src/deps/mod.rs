//! Dependency edges: what one file version says it builds with (go.mod requires and replaces,
//! vendor/modules.txt, Cargo.toml requirements and Cargo.lock versions, Dockerfile ARG/ENV/FROM/apt pins and git fetches, shell installer
//! defaults, Makefile variables, one-line version files, .gitmodules), each with its line,
//! column and how its version was obtained; and linking an edge to a pinned repository and
//! revision ([`link`]).
//!
//! Pure: text in, edges out. Must not read git, the index or the network, and must not format
//! output. The indexer stores [`extract`]'s edges per file version; `deps`/`affected` link them.

mod cargo;
mod dockerfile;
mod gitmodules;
mod gomod;
mod lex;
mod link;
mod make;
mod shell;

use serde::{Deserialize, Serialize};

pub(crate) use gomod::modules_txt;
pub use link::{
    Candidate, Link, Match, PinnedRepo, PinnedRev, Repos, Resolution, Via, link, normalize_url,
};

/// One dependency edge found in one file version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepEdge {
    /// Which syntax it was read from.
    pub kind: EdgeKind,
    /// 1-based line of the version (or, when the version is not written here, of the construct).
    pub line: u32,
    /// 1-based column, in characters, on that line.
    pub column: u32,
    /// The source line, without its line ending.
    pub text: String,
    /// What the file calls the dependency: a module path, an image, a package, a variable
    /// (`RUNC_VERSION`), a version file's subject (`runc` for `runc-version`), a submodule path.
    pub name: String,
    /// The version as the file resolves it; empty when it is another file's content
    /// ([`Origin::File`]) or a submodule's commit ([`Origin::Gitlink`]).
    pub version: String,
    /// How the version was obtained.
    pub origin: Origin,
    /// The repository URL the file names for this dependency (`git clone URL`,
    /// `git remote add origin URL`, a submodule's `url`), with the line that names it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<SourceUrl>,
    /// go.mod `replace` and vendor/modules.txt `=>`: the module the code really comes from
    /// (`name` stays the module path as imported).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<String>,
}

/// Which syntax an edge was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum EdgeKind {
    /// go.mod (or moby's vendor.mod) `require`.
    GoRequire,
    /// go.mod `replace old [v] => new v`.
    GoReplace,
    /// vendor/modules.txt `# module version [=> replacement version]`.
    Vendored,
    /// Dockerfile `ARG NAME=VALUE`.
    DockerArg,
    /// Dockerfile `ENV NAME=VALUE` / `ENV NAME VALUE`.
    DockerEnv,
    /// Dockerfile `FROM image:tag` / `FROM image@digest`.
    DockerFrom,
    /// `apt-get install pkg=version` (also apt, apk add), in a Dockerfile RUN or a script.
    Package,
    /// `git checkout REF`, `git fetch REMOTE REF`, `git clone --branch REF`.
    GitRef,
    /// Shell default `: "${NAME:=VALUE}"` or `NAME=${NAME:-VALUE}`.
    ShellDefault,
    /// Shell assignment `NAME=VALUE` of a version (or of a version file's content).
    ShellAssign,
    /// Makefile `NAME ?= VALUE`, `NAME := VALUE`, `NAME = VALUE`.
    MakeVar,
    /// A small file whose whole content is one version (`script/setup/runc-version`).
    VersionFile,
    /// `.gitmodules`: a submodule's path and url; its commit is the tree's gitlink.
    Submodule,
    /// Cargo.toml: a dependency's version requirement (`^0.2.4`), or its git URL.
    CargoRequire,
    /// Cargo.lock: a package's exact version (a git source's commit).
    CargoLock,
}

impl EdgeKind {
    /// The kind's name, kebab-case (`docker-arg`).
    pub fn as_str(self) -> &'static str {
        match self {
            EdgeKind::GoRequire => "go-require",
            EdgeKind::GoReplace => "go-replace",
            EdgeKind::Vendored => "vendored",
            EdgeKind::DockerArg => "docker-arg",
            EdgeKind::DockerEnv => "docker-env",
            EdgeKind::DockerFrom => "docker-from",
            EdgeKind::Package => "package",
            EdgeKind::GitRef => "git-ref",
            EdgeKind::ShellDefault => "shell-default",
            EdgeKind::ShellAssign => "shell-assign",
            EdgeKind::MakeVar => "make-var",
            EdgeKind::VersionFile => "version-file",
            EdgeKind::Submodule => "submodule",
            EdgeKind::CargoRequire => "cargo-require",
            EdgeKind::CargoLock => "cargo-lock",
        }
    }
}

/// How an edge's version was obtained.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "how")]
pub enum Origin {
    /// Written on the edge's line.
    Literal,
    /// Expanded from variables: each with the line that set it, first the one written on the
    /// edge's line, then those its value was expanded from.
    Expanded {
        /// The variables, in expansion order.
        vars: Vec<VarUse>,
    },
    /// Another file's content (`$(cat "${script_dir}/runc-version")`). `path` is relative to
    /// the repository root when `in_repo`, else as written (with variables expanded).
    File {
        /// The file.
        path: String,
        /// `path` is relative to the repository root.
        in_repo: bool,
        /// Variables the path was expanded from.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        vars: Vec<VarUse>,
    },
    /// The commit the revision's tree pins at the submodule path (see [`with_gitlinks`]).
    Gitlink,
}

/// A variable an expansion used, with the 1-based line that set it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VarUse {
    /// The variable.
    pub name: String,
    /// The line that set it.
    pub line: u32,
    /// Its value there.
    pub value: String,
}

/// A repository URL named in a file, with its 1-based line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceUrl {
    /// The URL.
    pub url: String,
    /// Its 1-based line.
    pub line: u32,
}

/// The edges of one file version, and what could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Extraction {
    /// The edges, in file order.
    pub edges: Vec<DepEdge>,
    /// `path:line:col: what went wrong`: parts of the file that were skipped.
    pub warnings: Vec<String>,
}

/// Which reader a file goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// `go.mod` (or moby's `vendor.mod`).
    GoMod,
    /// `vendor/modules.txt`.
    ModulesTxt,
    /// A Dockerfile.
    Dockerfile,
    /// A shell script.
    Shell,
    /// A Makefile (or `*.mk`).
    Makefile,
    /// A one-line version file.
    VersionFile,
    /// `.gitmodules`.
    GitModules,
    /// `Cargo.toml`.
    CargoToml,
    /// `Cargo.lock`.
    CargoLock,
}

/// Which reader, if any, a path (and, for scripts without an extension, its first line) goes
/// to. Files under `vendor/` are third-party code and are skipped, except `vendor/modules.txt`.
pub fn classify(path: &str, text: &str) -> Option<FileKind> {
    let file = path.rsplit('/').next().unwrap_or(path);
    let under_vendor = path.starts_with("vendor/") || path.contains("/vendor/");
    if file == "modules.txt"
        && (path == "vendor/modules.txt" || path.ends_with("/vendor/modules.txt"))
    {
        let outer = &path[..path.len() - "vendor/modules.txt".len()];
        return (!outer.starts_with("vendor/") && !outer.contains("/vendor/"))
            .then_some(FileKind::ModulesTxt);
    }
    if under_vendor {
        return None;
    }
    if file == "go.mod" || file == "vendor.mod" {
        return Some(FileKind::GoMod);
    }
    if file == ".gitmodules" {
        return Some(FileKind::GitModules);
    }
    if file == "Cargo.toml" {
        return Some(FileKind::CargoToml);
    }
    if file == "Cargo.lock" {
        return Some(FileKind::CargoLock);
    }
    if is_dockerfile(file) {
        return Some(FileKind::Dockerfile);
    }
    if matches!(file, "Makefile" | "makefile" | "GNUmakefile")
        || file.ends_with(".mk")
        || file.starts_with("Makefile.")
    {
        return Some(FileKind::Makefile);
    }
    let ext = file.rsplit_once('.').map(|(_, e)| e);
    if matches!(ext, Some("sh" | "bash" | "installer")) {
        return Some(FileKind::Shell);
    }
    if version_file_subject(file).is_some() && text.len() <= 200 {
        return Some(FileKind::VersionFile);
    }
    if ext.is_none() && is_shell_shebang(text) {
        return Some(FileKind::Shell);
    }
    None
}

fn is_dockerfile(file: &str) -> bool {
    const NOT_DOCKERFILES: &[&str] = &[
        "dockerignore",
        "md",
        "nanorc",
        "tmLanguage",
        "tmPreferences",
        "json",
        "yml",
        "yaml",
        "go",
        "txt",
        "vim",
        "el",
    ];
    let lower = file.to_ascii_lowercase();
    if lower == "dockerfile" || lower.ends_with(".dockerfile") {
        return true;
    }
    match file.strip_prefix("Dockerfile.") {
        Some(ext) => !NOT_DOCKERFILES.contains(&ext),
        None => false,
    }
}

fn is_shell_shebang(text: &str) -> bool {
    let first = text.lines().next().unwrap_or("");
    let Some(rest) = first.strip_prefix("#!") else {
        return false;
    };
    let mut words = rest.split_whitespace();
    let prog = words.next().unwrap_or("");
    let prog = if prog.ends_with("/env") {
        words.find(|w| !w.starts_with('-')).unwrap_or("")
    } else {
        prog
    };
    matches!(
        prog.rsplit('/').next().unwrap_or(""),
        "sh" | "bash" | "dash" | "ash" | "zsh" | "ksh"
    )
}

/// `runc-version` -> `runc`, `.go-version` -> `go`, `critools-version.txt` -> `critools`; `None`
/// for names that hold no subject (`VERSION`: a repository's own version is not a dependency).
fn version_file_subject(file: &str) -> Option<String> {
    let stem = file.strip_suffix(".txt").unwrap_or(file);
    if stem.contains('.') && !stem.starts_with('.') {
        return None;
    }
    let lower = stem.to_ascii_lowercase();
    let at = lower.find("version")?;
    let subject = format!("{}{}", &stem[..at], &stem[at + "version".len()..]);
    let subject = subject.trim_matches(|c: char| c == '-' || c == '_' || c == '.');
    (!subject.is_empty()).then(|| subject.to_string())
}

/// The edges of one file version (see [`extract_all`] for the parts it could not read).
pub fn extract(path: &str, text: &str) -> Vec<DepEdge> {
    extract_all(path, text).edges
}

/// The edges of one file version and warnings for what was skipped.
pub fn extract_all(path: &str, text: &str) -> Extraction {
    let mut x = Extraction::default();
    let Some(kind) = classify(path, text) else {
        return x;
    };
    match kind {
        FileKind::GoMod => gomod::go_mod(text, &mut x.edges),
        FileKind::ModulesTxt => x.edges = gomod::modules_txt(text),
        FileKind::Dockerfile => dockerfile::extract(path, text, &mut x),
        FileKind::Shell => shell::extract(path, text, &mut x.edges),
        FileKind::Makefile => make::extract(text, &mut x.edges),
        FileKind::GitModules => gitmodules::extract(text, &mut x.edges),
        FileKind::VersionFile => version_file(path, text, &mut x.edges),
        FileKind::CargoToml => cargo::manifest(text, &mut x.edges),
        FileKind::CargoLock => cargo::lock(text, &mut x.edges),
    }
    attach_urls(&mut x.edges);
    x.edges.sort_by_key(|e| (e.line, e.column));
    x
}

fn version_file(path: &str, text: &str, out: &mut Vec<DepEdge>) {
    let file = path.rsplit('/').next().unwrap_or(path);
    let Some(subject) = version_file_subject(file) else {
        return;
    };
    let body = text.trim();
    if body.is_empty() || body.contains(char::is_whitespace) || !looks_like_version(body) {
        return;
    }
    let lines = lex::Lines::new(text);
    let off = text.find(body).unwrap_or(0);
    let (line, column) = lines.pos(off);
    out.push(DepEdge {
        kind: EdgeKind::VersionFile,
        line,
        column,
        text: lines.text(line as usize - 1).to_string(),
        name: subject,
        version: body.to_string(),
        origin: Origin::Literal,
        url: None,
        replaced_by: None,
    });
}

/// A git fetch/checkout of `${RUNC_VERSION}` from a named URL tells where the variable's
/// version lives: the edge that set the variable gets the URL too.
fn attach_urls(edges: &mut [DepEdge]) {
    let hints: Vec<(String, u32, SourceUrl)> = edges
        .iter()
        .filter(|e| e.kind == EdgeKind::GitRef)
        .filter_map(|e| {
            let url = e.url.clone()?;
            let vars = match &e.origin {
                Origin::Expanded { vars } | Origin::File { vars, .. } => vars,
                _ => return None,
            };
            let v = vars.first()?;
            Some((v.name.clone(), v.line, url))
        })
        .collect();
    for (name, line, url) in hints {
        for e in edges.iter_mut() {
            if e.kind != EdgeKind::GitRef && e.name == name && e.line == line && e.url.is_none() {
                e.url = Some(url.clone());
            }
        }
    }
}

/// Fills each [`Origin::File`] edge whose file is in the same repository with that file's
/// version, as `version_of(path)` reports it (the caller reads the revision's version files).
pub fn resolve_files(edges: &mut [DepEdge], version_of: impl Fn(&str) -> Option<String>) {
    for e in edges {
        if let Origin::File {
            path,
            in_repo: true,
            ..
        } = &e.origin
            && e.version.is_empty()
            && let Some(v) = version_of(path)
        {
            e.version = v;
        }
    }
}

/// Copies of the `.gitmodules` edges with each submodule's pinned commit (from the revision's
/// tree: `(path, commit)` pairs) as its version.
pub fn with_gitlinks<'a>(
    edges: &[DepEdge],
    gitlinks: impl IntoIterator<Item = (&'a str, &'a str)> + Clone,
) -> Vec<DepEdge> {
    edges
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if e.origin == Origin::Gitlink
                && let Some((_, commit)) = gitlinks.clone().into_iter().find(|(p, _)| *p == e.name)
            {
                e.version = commit.to_string();
            }
            e
        })
        .collect()
}

/// A version-looking value: `v1.3.3`, `1.21`, `18.06.3-ce`, `2.0.0~rc.1-1`, or a commit id.
pub fn looks_like_version(s: &str) -> bool {
    if is_commit_like(s) {
        return true;
    }
    let t = s.strip_prefix('v').unwrap_or(s);
    let first: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
    !first.is_empty()
        && t[first.len()..].starts_with('.')
        && t[first.len() + 1..].starts_with(|c: char| c.is_ascii_digit())
        && t.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '+' | '~' | '_' | ':'))
}

/// 7 to 40 lower-case hex digits with at least one digit and one letter.
pub fn is_commit_like(s: &str) -> bool {
    (7..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes().any(|b| b.is_ascii_alphabetic())
}

/// A variable name that holds a version: `*VERSION`, `*_VER`, `*_REF`, `*_TAG`, `*_COMMIT`,
/// `*_SHA`, `*_REV`, `*_REVISION`, or exactly `REF`/`TAG`/`COMMIT` (any case).
pub fn is_version_name(name: &str) -> bool {
    let up = name.to_ascii_uppercase();
    if up.ends_with("VERSION") {
        return true;
    }
    let last = up.rsplit('_').next().unwrap_or(&up);
    matches!(
        last,
        "VER" | "REF" | "TAG" | "COMMIT" | "SHA" | "REV" | "REVISION"
    )
}

/// Builds an edge from an expansion, or `None` when its value is unknown or holds no version.
pub(crate) fn edge_from(
    lines: &lex::Lines,
    src_off: usize,
    kind: EdgeKind,
    name: &str,
    e: &lex::Expansion,
    require: Require,
) -> Option<DepEdge> {
    let (version, origin) = match &e.val {
        lex::Val::Known(v) => {
            if v.contains(lex::ROOT) || v.is_empty() || is_not_a_pin(v) {
                return None;
            }
            let ok = match require {
                Require::Any => true,
                Require::VersionOrName => is_version_name(name) || looks_like_version(v),
                Require::VersionOrVar => !e.uses.is_empty() || looks_like_version(v),
            };
            if !ok {
                return None;
            }
            let origin = if e.uses.is_empty() {
                Origin::Literal
            } else {
                Origin::Expanded {
                    vars: e.uses.clone(),
                }
            };
            (v.clone(), origin)
        }
        lex::Val::File(p) => {
            let in_repo = p.starts_with(lex::ROOT);
            let path = p.replace(lex::ROOT, "");
            let file = path.rsplit('/').next().unwrap_or(&path);
            if !file.to_ascii_lowercase().contains("version") && !is_version_name(name) {
                return None;
            }
            (
                String::new(),
                Origin::File {
                    path,
                    in_repo,
                    vars: e.uses.clone(),
                },
            )
        }
        lex::Val::Unknown => return None,
    };
    let (line, column) = lines.pos(src_off);
    Some(DepEdge {
        kind,
        line,
        column,
        text: lines.text(line as usize - 1).to_string(),
        name: name.to_string(),
        version,
        origin,
        url: None,
        replaced_by: None,
    })
}

/// Values version-named variables hold that pin nothing: git's moving refs and switches.
fn is_not_a_pin(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "head" | "fetch_head" | "orig_head" | "true" | "false" | "yes" | "no"
    )
}

/// What a value must look like to make an edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Require {
    /// Anything known (a `FROM` tag, a package version).
    Any,
    /// A version-looking value, or any value of a version-named variable.
    VersionOrName,
    /// A version-looking value, or any value that came from a variable (git refs).
    VersionOrVar,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_go_to_their_reader() {
        let c = |p: &str, t: &str| classify(p, t);
        assert_eq!(c("go.mod", ""), Some(FileKind::GoMod));
        assert_eq!(c("vendor.mod", ""), Some(FileKind::GoMod));
        assert_eq!(c("vendor/modules.txt", ""), Some(FileKind::ModulesTxt));
        assert_eq!(c("vendor/x/vendor/modules.txt", ""), None);
        assert_eq!(c("vendor/github.com/x/y/go.mod", ""), None);
        assert_eq!(c("Dockerfile", ""), Some(FileKind::Dockerfile));
        assert_eq!(c("contrib/Dockerfile.test", ""), Some(FileKind::Dockerfile));
        assert_eq!(
            c("dockerfiles/deb.dockerfile", ""),
            Some(FileKind::Dockerfile)
        );
        assert_eq!(c("build/app.Dockerfile", ""), Some(FileKind::Dockerfile));
        assert_eq!(c("Dockerfile.dockerignore", ""), None);
        assert_eq!(c("syntax/Dockerfile.tmLanguage", ""), None);
        assert_eq!(c("common/common.mk", ""), Some(FileKind::Makefile));
        assert_eq!(c("Makefile", ""), Some(FileKind::Makefile));
        assert_eq!(c("hack/install/tool.installer", ""), Some(FileKind::Shell));
        assert_eq!(
            c("script/setup/install-tool", "#!/usr/bin/env bash\n"),
            Some(FileKind::Shell)
        );
        assert_eq!(c("scripts/pick", "#!/bin/sh -e\n"), Some(FileKind::Shell));
        assert_eq!(c("scripts/pick", "#!/usr/bin/python3\n"), None);
        assert_eq!(
            c("script/setup/tool-version", "v1.0.0\n"),
            Some(FileKind::VersionFile)
        );
        assert_eq!(c("VERSION", "1.3.3\n"), None);
        assert_eq!(c("pkg/version.go", ""), None);
        assert_eq!(c(".gitmodules", ""), Some(FileKind::GitModules));
        assert_eq!(c("main.go", "#!/bin/sh\n"), None);
    }

    #[test]
    fn version_files_name_their_subject_and_hold_one_token() {
        let e = extract("script/setup/tool-version", "v1.2.0\n");
        assert_eq!(e.len(), 1);
        assert_eq!(
            (
                e[0].kind,
                e[0].name.as_str(),
                e[0].version.as_str(),
                e[0].line,
                e[0].column
            ),
            (EdgeKind::VersionFile, "tool", "v1.2.0", 1, 1)
        );
        assert!(extract("script/setup/tool-version", "v1.2.0 v1.3.0\n").is_empty());
        assert!(extract("script/setup/tool-version", "see the docs\n").is_empty());
        let e = extract(".go-version", "1.23.4\n");
        assert_eq!(e[0].name, "go");
    }

    #[test]
    fn version_values_and_names_are_recognised() {
        for v in [
            "v1.3.3",
            "1.21",
            "18.06.3-ce",
            "2.0.0~rc.1-1",
            "c56166c036004ba7a3a321e5951ba472b9ae298c",
        ] {
            assert!(looks_like_version(v), "{v}");
        }
        for v in [
            "1",
            "bookworm",
            "/usr/local/bin",
            "latest",
            "v",
            "1.",
            "deadbeefcafe",
        ] {
            assert!(!looks_like_version(v), "{v}");
        }
        for n in [
            "RUNC_VERSION",
            "GO_VERSION",
            "REF",
            "runc_ref",
            "GO_SWAGGER_COMMIT",
            "TOOL_TAG",
        ] {
            assert!(is_version_name(n), "{n}");
        }
        for n in [
            "DOCKER_STATIC",
            "PREFIX",
            "BASE_DEBIAN_DISTRO",
            "GOLANG_IMAGE",
        ] {
            assert!(!is_version_name(n), "{n}");
        }
        // Version-named variables holding a moving ref or a switch pin nothing.
        let script =
            "#!/bin/sh\nREF=\"FETCH_HEAD\"\nPUSH_VERSION=${PUSH_VERSION:-false}\nREF=v1.0.0\n";
        let edges = extract("scripts/checkout.sh", script);
        assert_eq!(edges.len(), 1);
        assert_eq!((edges[0].line, edges[0].version.as_str()), (4, "v1.0.0"));
    }

    #[test]
    fn gitlinks_give_submodules_their_commit() {
        let edges = extract(
            ".gitmodules",
            "[submodule \"fs\"]\n\tpath = fs\n\turl = ../fs.git\n",
        );
        assert_eq!(edges[0].version, "");
        let pinned = with_gitlinks(&edges, [("fs", "0123456789abcdef0123456789abcdef01234567")]);
        assert_eq!(
            pinned[0].version,
            "0123456789abcdef0123456789abcdef01234567"
        );
    }
}
