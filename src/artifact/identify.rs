//! Matching an artifact's facts against the pins: which pinned repository it was built from
//! (module path -> repository URL, or an alias, or the package's homepage/name), then which
//! pinned revision (a commit the binary names -> exact; else a version -> the pinned tag, "by
//! version"; else the revision whose declarations the binary's function table matches, "by
//! function table"), how far a distribution rebuild strays from upstream (dependency versions
//! against the pinned revision's vendor/modules.txt), and what the function table says of the
//! matched revision: code the revision lacks (backports, newer code), code the binary lacks.
//! ELF files without Go build information are matched by their own evidence: a commit string
//! a pin has, the pinned repository whose crates hold a Rust binary's own source files, or the
//! file's name; then their commit and version strings, a Rust binary's crate versions against
//! each pinned revision's `Cargo.lock`, and each crate against the repository providing it
//! ([`super::crates`]).
//!
//! Pure: no I/O. What needs git or the index (where an unpinned commit lies, a revision's
//! vendored modules) is asked through the closures of [`Upstream`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};

use super::crates::{
    CrateMatch, Packages, RevisionPackages, lock_scores, match_crates, repo_for_own_paths,
};
use super::functable::{
    BinaryFunction, ModuleFunctions, ModuleMatch, RepoDeclarations, binary_functions, match_module,
};
use super::gobuild::{GoBuildInfo, GoModule, InjectedString, InjectionOrigin};
use super::gopclntab::{FunctionTable, PclntabLayout};
use super::native::{NativeEvidence, StringShape};
use super::{Artifact, DebPackage};
use crate::source::lock::{Pin, RefKind};

/// `(newest pinned tag before, oldest pinned tag after)` a commit.
pub type TagsAround = (Option<String>, Option<String>);

/// `(module, version)` pairs, as in `vendor/modules.txt`.
pub type ModuleVersions = Vec<(String, String)>;

/// `(repo, package directories)` -> their declarations at each indexed revision of the repo.
pub type DeclarationsOf<'a> =
    dyn Fn(&str, &[String]) -> Result<Option<RepoDeclarations>, String> + 'a;

/// `repo` -> the `Cargo.toml` packages of each of its indexed revisions.
pub type CargoPackagesOf<'a> = dyn Fn(&str) -> Result<Option<Vec<RevisionPackages>>, String> + 'a;

/// What the caller knows about upstream.
pub struct Upstream<'a> {
    /// Every pinned revision (`Lock::pins`).
    pub pins: &'a [Pin],
    /// `(alias, repo)`: a Go module path (prefix) or a Debian source/package name that stands
    /// for a pinned repository, e.g. `("docker.io", "moby")`.
    pub aliases: &'a [(String, String)],
    /// For a commit that no pin names, called with `(repo, commit)` (the commit possibly
    /// abbreviated): `Some((newest pinned tag before it, oldest pinned tag after it))` when
    /// the repository's cache has the commit, `None` when it does not.
    pub locate_commit: &'a dyn Fn(&str, &str) -> Option<TagsAround>,
    /// The `(module, version)` list of a pinned revision's `vendor/modules.txt` (the
    /// replacement's version for `=>` lines); `None` when unknown (not indexed).
    pub vendored_modules: &'a dyn Fn(&Pin) -> Option<ModuleVersions>,
    /// The functions and methods declared in some package directories (`libcontainer`,
    /// `vendor/golang.org/x/sys/unix`) of a repository at each of its indexed revisions;
    /// `Ok(None)` when unknown (no index, or the repository is not indexed), `Err` when the
    /// index cannot be read (damage: the message says what to do).
    pub declarations: &'a DeclarationsOf<'a>,
    /// The `[package]` name and version of every `Cargo.toml` of a repository at each of its
    /// indexed revisions: which repository provides a crate, which revision declares a
    /// version. `Ok(None)` when the repository is not indexed, `Err` when the index cannot be
    /// read.
    pub cargo_packages: &'a CargoPackagesOf<'a>,
    /// The `(crate, version)` list of a pinned revision's `Cargo.lock` files (registry and
    /// git packages); `None` when unknown (not indexed, or no Cargo.lock).
    pub cargo_lock: &'a dyn Fn(&Pin) -> Option<ModuleVersions>,
}

/// How sure an identification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Confidence {
    /// The artifact names a commit (vcs.revision, an injected commit) that a pin has.
    #[serde(rename = "exact commit")]
    ExactCommit,
    /// The artifact's version string equals a pinned tag; the code may still differ.
    #[serde(rename = "by version")]
    ByVersion,
    /// No commit or version names a pin, but the binary's function table matches the pinned
    /// revision's declarations best (the score is in [`FunctionTableMatch`]).
    #[serde(rename = "by function table")]
    ByFunctionTable,
    /// No commit or version names a pin, but the crate versions a Rust binary's source paths
    /// name are those of one pinned revision's `Cargo.lock`, and of no other as well (the
    /// score is in [`LockfileMatch`]).
    #[serde(rename = "by Cargo.lock")]
    ByLockfile,
    /// Nothing ties it to a pin.
    #[serde(rename = "unknown")]
    Unknown,
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Confidence::ExactCommit => "exact commit",
            Confidence::ByVersion => "by version",
            Confidence::ByFunctionTable => "by function table",
            Confidence::ByLockfile => "by Cargo.lock",
            Confidence::Unknown => "unknown",
        })
    }
}

/// A dependency whose version in the binary is not upstream's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DependencyDifference {
    /// The module path.
    pub module: String,
    /// As linked into the binary (the replacement's version when replaced).
    pub binary: String,
    /// As in upstream's `vendor/modules.txt`; `None` when upstream does not vendor it.
    pub upstream: Option<String>,
}

impl fmt::Display for DependencyDifference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.upstream {
            Some(u) => write!(f, "{} {} (upstream vendors {u})", self.module, self.binary),
            None => write!(
                f,
                "{} {} (not in upstream's vendor/modules.txt)",
                self.module, self.binary
            ),
        }
    }
}

/// Which upstream code an artifact is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Identification {
    /// The pinned repository's name; the module path or package name when nothing pinned
    /// matches; `None` when the artifact says nothing about its origin.
    pub component: Option<String>,
    /// The version the artifact states (the evidence used for matching when there is one).
    pub version: Option<String>,
    /// The commit the artifact itself names (possibly abbreviated); the pinned commit is in
    /// `pin`.
    pub commit: Option<String>,
    /// How sure the match is.
    pub confidence: Confidence,
    /// The matched pinned revision.
    #[serde(serialize_with = "serialize_pin")]
    pub pin: Option<Pin>,
    /// Built by a distribution from repacked sources or with other dependency versions.
    pub distribution_rebuild: bool,
    /// Dependencies whose versions differ from the pinned revision's vendored modules.
    pub dependency_differences: Vec<DependencyDifference>,
    /// What the binary's function table matched, per module; `None` without a function table.
    pub function_table: Option<FunctionTableMatch>,
    /// A Rust binary's crates (from its source paths), each matched to the pinned repository
    /// and revision providing it where one does. Serialized by the printers (with findings).
    #[serde(skip)]
    pub crates: Vec<CrateMatch>,
    /// A Rust binary's crate versions against the identified repository's pinned
    /// `Cargo.lock` files; `None` when not compared.
    pub lockfile: Option<LockfileMatch>,
    /// How the match was made and what to keep in mind, one sentence each.
    pub notes: Vec<String>,
}

/// A Rust binary's crate versions against the pinned revisions' `Cargo.lock` files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockfileMatch {
    /// Crates of the binary with a version (registry, distribution and vendored ones).
    pub crates: usize,
    /// The revisions compared, best first: how many of those crates their `Cargo.lock`
    /// names at the same version (at most five).
    pub revisions: Vec<LockfileScore>,
}

/// One revision's `Cargo.lock` score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockfileScore {
    /// The pinned revision.
    pub rev: String,
    /// Crates at the version its `Cargo.lock` names.
    pub matched: usize,
}

/// The binary's function table against the pinned revisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionTableMatch {
    /// The table's layout (`go1.16`, `go1.18`, `go1.20`).
    pub layout: PclntabLayout,
    /// Where its header was read.
    pub at: String,
    /// Functions with code in the table (all packages, the standard library's included).
    pub functions: usize,
    /// Names present only inlined.
    pub inlined: usize,
    /// Each module of the binary held by a pinned repository (its own code, or a copy it
    /// vendors) matched against that repository's indexed revisions; the identified
    /// repository's own module first.
    pub modules: Vec<ModuleMatch>,
}

impl FunctionTableMatch {
    /// The match of the identified repository's own code, when there is one.
    pub fn main(&self) -> Option<&ModuleMatch> {
        self.modules.first().filter(|m| !m.vendored)
    }
}

fn serialize_pin<S: Serializer>(pin: &Option<Pin>, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct PinView<'a> {
        repo: &'a str,
        url: &'a str,
        rev: &'a str,
        kind: RefKind,
        commit: &'a str,
    }
    pin.as_ref()
        .map(|p| PinView {
            repo: &p.repo,
            url: &p.url,
            rev: &p.rev,
            kind: p.kind,
            commit: &p.commit,
        })
        .serialize(s)
}

/// One piece of evidence: a value and a phrase saying where it came from.
struct Evidence {
    value: String,
    from: String,
    heuristic: bool,
}

impl Evidence {
    /// What a note must add when the evidence was guessed rather than read.
    fn caveat(&self) -> &'static str {
        if self.heuristic {
            " (heuristic evidence: a string found by its shape; no symbol names it)"
        } else {
            ""
        }
    }
}

impl fmt::Display for Evidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} from {}", self.value, self.from)
    }
}

impl Identification {
    /// Nothing matched yet.
    fn unknown(component: Option<String>) -> Identification {
        Identification {
            component,
            version: None,
            commit: None,
            confidence: Confidence::Unknown,
            pin: None,
            distribution_rebuild: false,
            dependency_differences: Vec::new(),
            function_table: None,
            crates: Vec::new(),
            lockfile: None,
            notes: Vec::new(),
        }
    }
}

/// Identifies one artifact against the pins: which repository, which revision, and how far
/// a distribution rebuild strays from it. Go build info counts only in a file holding a Go
/// runtime that agrees with it ([`crate::artifact::GoRuntime`]); the notes say which evidence
/// agrees, or why the build info was not trusted.
pub fn identify(artifact: &Artifact, upstream: &Upstream<'_>) -> Identification {
    let Some(go) = &artifact.go else {
        return identify_trusted(artifact, upstream);
    };
    let rt = &go.runtime;
    if !rt.agrees() {
        let without = Artifact {
            go: None,
            ..artifact.clone()
        };
        let mut id = identify_trusted(&without, upstream);
        let b = &go.build_info;
        let claim = [
            b.main.as_ref().map(|m| format!("{} {}", m.path, m.version)),
            b.setting("vcs.revision")
                .map(|s| format!("vcs.revision {}", s.value)),
            Some(format!("built with {}", b.go_version.value)),
        ]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
        id.notes.insert(
            0,
            format!(
                "not trusted: the file carries Go build info ({claim}; {}) but {}: a Go program's own function table would agree with it, so nothing is matched by that build info",
                b.header,
                rt.disagreements.join("; ")
            ),
        );
        if id.notes.len() > 1
            && id.notes[1] == "no Go build information and no package metadata: nothing to match"
        {
            id.notes.remove(1);
        }
        return id;
    }
    let mut id = identify_trusted(artifact, upstream);
    if let Some(t) = &rt.function_table {
        let symbols = if rt.runtime_symbols.is_empty() {
            String::new()
        } else {
            format!(" and its symbols ({})", rt.runtime_symbols.join(", "))
        };
        id.notes.push(format!(
            "the Go runtime agrees with the build info: {} at {}{symbols}",
            t.value, t.at
        ));
    }
    id
}

/// [`identify`] with whatever Go build info the artifact holds taken as true.
fn identify_trusted(artifact: &Artifact, upstream: &Upstream<'_>) -> Identification {
    let info = artifact.go.as_ref().map(|g| &g.build_info);
    let module = info.and_then(|b| {
        b.main
            .as_ref()
            .map(|m| m.path.clone())
            .or_else(|| b.path.as_ref().map(|p| p.value.clone()))
    });
    let package = artifact.package.as_ref();

    // Which repository.
    let by_package = package.and_then(|p| repo_for_package(p, upstream));
    let functions: Vec<BinaryFunction> = artifact
        .functions
        .as_ref()
        .map(binary_functions)
        .unwrap_or_default();
    let native = artifact.native.as_ref();
    let mut packages = Packages::new(upstream);
    let crates = native
        .map(|n| match_crates(n, &mut packages))
        .unwrap_or_default();
    let Some((repo, how)) = module
        .as_deref()
        .and_then(|m| repo_for_module(m, upstream))
        .or_else(|| by_package.clone())
        .or_else(|| repo_for_functions(&functions, upstream))
        .or_else(|| native.and_then(|n| repo_for_native(artifact, n, &mut packages, upstream)))
    else {
        let mut id = unmatched(module, package, native);
        id.crates = crates;
        id.notes.append(&mut packages.errors);
        id.notes
            .extend(native.iter().flat_map(|n| n.notes.iter().cloned()));
        return id;
    };
    let mut id = Identification::unknown(Some(repo.clone()));
    id.notes.push(how);
    id.crates = crates;
    // The package's version speaks for this binary only when the package names the same
    // repository (a package can ship binaries of other projects).
    let package_speaks = by_package.as_ref().is_some_and(|(r, _)| *r == repo)
        || (module.is_none() && package.is_some());

    // Which revision: a commit the artifact names, else a version it states.
    let pins: Vec<&Pin> = upstream.pins.iter().filter(|p| p.repo == repo).collect();
    let names = names_of(&repo, upstream);
    let versions = version_evidence(artifact, package_speaks, &names);
    match_commit(&mut id, &commit_evidence(artifact), &pins, &repo, upstream);
    if id.pin.is_some() {
        check_versions(&mut id, &versions, &pins);
    } else {
        match_version(&mut id, &versions, &pins, &repo);
    }
    if info
        .and_then(|b| b.setting("vcs.modified"))
        .is_some_and(|s| s.value == "true")
    {
        id.notes.push(
            "built from a modified work tree (vcs.modified=true): the code may differ from the commit"
                .into(),
        );
    }

    // How far a rebuild strays from upstream.
    if let Some(p) = package.filter(|_| package_speaks) {
        note_package_rebuild(&mut id, p);
    }
    if let Some(table) = &artifact.functions {
        match_function_table(&mut id, table, &functions, info, &repo, upstream);
    }
    if let Some(info) = info {
        compare_with_vendored(&mut id, info, upstream);
    }
    if let Some(n) = native.filter(|n| n.is_rust()) {
        compare_with_locks(&mut id, n, &pins, &repo, upstream);
    }
    id.notes.append(&mut packages.errors);
    id.notes
        .extend(native.iter().flat_map(|n| n.notes.iter().cloned()));
    id
}

/// The pinned repository a non-Go binary comes from: a commit string a pin has, the crates
/// holding a Rust binary's own source files, or (weakest) the file's name.
fn repo_for_native(
    artifact: &Artifact,
    native: &NativeEvidence,
    packages: &mut Packages,
    upstream: &Upstream<'_>,
) -> Option<(String, String)> {
    for s in native
        .strings
        .iter()
        .filter(|s| s.shape == StringShape::Commit)
    {
        // Standalone ones are full ids; a printed one may be abbreviated (`-gf19387a6`).
        if let Some(p) = upstream
            .pins
            .iter()
            .find(|p| s.value.len() >= 7 && p.commit.starts_with(&s.value))
        {
            return Some((
                p.repo.clone(),
                format!(
                    "the commit string {} ({}) is pinned repository {}'s",
                    s.value, s.at, p.repo
                ),
            ));
        }
    }
    for s in native
        .strings
        .iter()
        .filter(|s| s.shape == StringShape::Version)
    {
        let Some(program) = &s.program else { continue };
        // The repository with the longest name the subject ends with (`sysbox-runc`, not
        // `runc`).
        let found = repos(upstream)
            .into_iter()
            .filter_map(|(r, _)| {
                let names = names_of(r, upstream);
                statement_names(program, &names).map(|n| (r.to_string(), n.to_string()))
            })
            .max_by_key(|(_, n)| n.len());
        if let Some((repo, name)) = found {
            return Some((
                repo.clone(),
                format!(
                    "the binary states \"{name} version {}\" ({}): pinned repository {repo}",
                    s.value, s.at
                ),
            ));
        }
    }
    if let Some(found) = repo_for_own_paths(native, packages) {
        return Some(found);
    }
    let file = artifact
        .path
        .rsplit(['/', '!'])
        .next()
        .unwrap_or(&artifact.path)
        .to_ascii_lowercase();
    let repos = repos(upstream);
    if let Some((alias, repo)) = upstream
        .aliases
        .iter()
        .find(|(a, r)| a.to_ascii_lowercase() == file && repos.iter().any(|(x, _)| x == r))
    {
        return Some((
            repo.clone(),
            format!(
                "the file is named {alias}, which pinned repository {repo} provides (weak evidence: a name, not content)"
            ),
        ));
    }
    repos
        .iter()
        .find(|(r, _)| r.to_ascii_lowercase() == file)
        .map(|(r, _)| {
            (
                r.to_string(),
                format!(
                    "the file is named like pinned repository {r} (weak evidence: a name, not content)"
                ),
            )
        })
}

/// A Rust binary's crate versions against the pinned revisions' `Cargo.lock` files: with no
/// commit or version naming a pin, the one revision whose lock holds (nearly) all of them
/// becomes the match; otherwise whether the lock agrees.
fn compare_with_locks(
    id: &mut Identification,
    native: &NativeEvidence,
    pins: &[&Pin],
    repo: &str,
    upstream: &Upstream<'_>,
) {
    let Some((total, scores)) = lock_scores(native, pins, upstream) else {
        return;
    };
    let (best, n) = (&scores[0].0, scores[0].1);
    let tied: Vec<&str> = scores
        .iter()
        .skip(1)
        .filter(|(_, m)| *m == n)
        .map(|(p, _)| p.rev.as_str())
        .collect();
    let runners: Vec<String> = scores
        .iter()
        .skip(1 + tied.len())
        .take(3)
        .map(|(p, m)| format!("{} {m}/{total}", p.rev))
        .collect();
    let score = format!(
        "{n} of the binary's {total} versioned crates are at the versions {repo}@{}'s Cargo.lock names{}{}",
        best.rev,
        if tied.is_empty() {
            String::new()
        } else {
            format!(" (so do {})", tied.join(", "))
        },
        if runners.is_empty() {
            String::new()
        } else {
            format!("; next: {}", runners.join(", "))
        }
    );
    id.lockfile = Some(LockfileMatch {
        crates: total,
        revisions: scores
            .iter()
            .take(5)
            .map(|(p, m)| LockfileScore {
                rev: p.rev.clone(),
                matched: *m,
            })
            .collect(),
    });
    match &id.pin {
        None if tied.is_empty() && n * 10 >= total * 9 => {
            id.confidence = Confidence::ByLockfile;
            id.notes.push(format!("by Cargo.lock: {score}"));
            id.pin = Some(best.clone());
        }
        None => id.notes.push(format!(
            "the crate versions place no single pinned revision: at best {score}{}",
            if tied.is_empty() {
                " (fewer than nine in ten)"
            } else {
                ""
            }
        )),
        Some(pin) => {
            let Some(at_pin) = scores
                .iter()
                .find(|(p, _)| p.rev == pin.rev)
                .map(|(_, m)| *m)
            else {
                id.notes.push(format!(
                    "the Cargo.lock of {}@{} is not known (not indexed): the crate versions were not compared with it; {score}",
                    pin.repo, pin.rev
                ));
                return;
            };
            if at_pin == n {
                id.notes.push(format!("the crate versions agree: {score}"));
            } else {
                id.notes.push(format!(
                    "the crate versions disagree with {}@{} ({at_pin} of {total} at its Cargo.lock's versions): {score}",
                    pin.repo, pin.rev
                ));
            }
        }
    }
}

/// The pinned repository most of a function table's packages belong to, for a binary that
/// names no module (its build information removed).
fn repo_for_functions(functions: &[BinaryFunction], up: &Upstream<'_>) -> Option<(String, String)> {
    let keys = repos(up);
    let mut counts: Vec<usize> = vec![0; keys.len()];
    for f in functions {
        let p = f.package.to_ascii_lowercase();
        if let Some(i) = (0..keys.len())
            .filter(|&i| under(&p, &keys[i].1))
            .max_by_key(|&i| keys[i].1.len())
        {
            counts[i] += 1;
        }
    }
    let (i, n) = counts.iter().enumerate().max_by_key(|(_, n)| **n)?;
    (*n > 0).then(|| {
        (
            keys[i].0.to_string(),
            format!(
                "{n} functions of the binary's function table are in packages of pinned repository {} ({})",
                keys[i].0, keys[i].1
            ),
        )
    })
}

/// `github.com/containerd/containerd/v2/core/mount` under `github.com/containerd/containerd`
/// (module `.../v2`) -> `core/mount`.
fn dir_in_repo(package: &str, key: &str, module: Option<&str>) -> Option<String> {
    let p = package.to_ascii_lowercase();
    if !under(&p, key) {
        return None;
    }
    let mut rest = &package[key.len()..];
    if let Some(m) = module {
        let mk = m.to_ascii_lowercase();
        if module_key(&mk) != mk
            && let Some(major) = mk.rsplit('/').next()
            && let Some(r) = rest.strip_prefix('/').and_then(|r| r.strip_prefix(major))
            && (r.is_empty() || r.starts_with('/'))
        {
            rest = r;
        }
    }
    Some(rest.trim_start_matches('/').to_string())
}

/// Groups the binary's functions by module, each with the pinned repository (and directory in
/// it) to compare with: a module a pin holds -> that repository's own directories; another
/// module the identified repository vendors -> its `vendor/` copy. Standard library and
/// modules no pin holds are left out.
fn modules_of(
    functions: &[BinaryFunction],
    info: Option<&GoBuildInfo>,
    repo: &str,
    upstream: &Upstream<'_>,
) -> Vec<ModuleFunctions> {
    let keys = repos(upstream);
    let key_of = |r: &str| keys.iter().find(|(x, _)| *x == r).map(|(_, k)| k.clone());
    // Modules the build info names, longest first.
    let mut modules: Vec<&GoModule> = info
        .map(|b| b.main.iter().chain(&b.deps).collect())
        .unwrap_or_default();
    modules.sort_by_key(|m| std::cmp::Reverse(m.path.len()));
    // Modules the identified repository vendors at any pinned revision.
    let mut vendored: Vec<String> = upstream
        .pins
        .iter()
        .filter(|p| p.repo == repo)
        .filter_map(|p| (upstream.vendored_modules)(p))
        .flatten()
        .map(|(m, _)| m)
        .collect();
    vendored.sort_by_key(|m| std::cmp::Reverse(m.len()));
    vendored.dedup();
    let main_dir = info
        .and_then(|b| b.path.as_ref())
        .and_then(|p| key_of(repo).and_then(|k| dir_in_repo(&p.value, &k, main_module(info))));

    let mut groups: BTreeMap<(bool, String, String), Vec<(String, BinaryFunction)>> =
        BTreeMap::new();
    for f in functions {
        let placed = if f.package == "main" {
            main_dir.clone().map(|d| {
                let label = main_module(info)
                    .map(str::to_string)
                    .or_else(|| key_of(repo))
                    .unwrap_or_default();
                (false, repo.to_string(), label, d)
            })
        } else {
            let module = modules
                .iter()
                .find(|m| under(&f.package, &m.path))
                .map(|m| m.path.as_str());
            let pinned = match module {
                Some(m) => repo_for_module(m, upstream).map(|(r, _)| (r, m.to_string())),
                None => keys
                    .iter()
                    .filter(|(_, k)| under(&f.package.to_ascii_lowercase(), k))
                    .max_by_key(|(_, k)| k.len())
                    .map(|(r, k)| (r.to_string(), k.clone())),
            };
            match pinned {
                Some((r, label)) => key_of(&r)
                    .and_then(|k| dir_in_repo(&f.package, &k, module))
                    .map(|d| (false, r, label, d)),
                None => module
                    .map(str::to_string)
                    .or_else(|| vendored.iter().find(|m| under(&f.package, m)).cloned())
                    .map(|m| (true, repo.to_string(), m, format!("vendor/{}", f.package))),
            }
        };
        if let Some((v, r, label, dir)) = placed {
            groups
                .entry((v, r, label))
                .or_default()
                .push((dir, f.clone()));
        }
    }
    let mut out: Vec<ModuleFunctions> = groups
        .into_iter()
        .map(|((vendored, repo, module), functions)| ModuleFunctions {
            module,
            repo,
            vendored,
            functions,
        })
        .collect();
    // The identified repository's own code first (the largest group of it), then by size.
    out.sort_by_key(|m| {
        (
            m.repo != repo || m.vendored,
            std::cmp::Reverse(m.functions.len()),
        )
    });
    out
}

fn main_module(info: Option<&GoBuildInfo>) -> Option<&str> {
    info.and_then(|b| b.main.as_ref()).map(|m| m.path.as_str())
}

/// What the function table says: every module matched against its repository's revisions;
/// with no commit or version naming a pin, the best revision of the identified repository's
/// own code becomes the match; notes where it disagrees with the version string, and what the
/// matched revision lacks or has beyond the binary.
fn match_function_table(
    id: &mut Identification,
    table: &FunctionTable,
    functions: &[BinaryFunction],
    info: Option<&GoBuildInfo>,
    repo: &str,
    upstream: &Upstream<'_>,
) {
    let mut ft = FunctionTableMatch {
        layout: table.layout,
        at: table.at.to_string(),
        functions: table.functions.len(),
        inlined: table.inlined.len(),
        modules: Vec::new(),
    };
    let groups = modules_of(functions, info, repo, upstream);
    let goos = info
        .and_then(|b| b.setting("GOOS"))
        .map_or("linux".to_string(), |s| s.value.clone());
    let goarch = info
        .and_then(|b| b.setting("GOARCH"))
        .map(|s| s.value.clone());
    let mut by_repo: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for g in &groups {
        let dirs = by_repo.entry(g.repo.as_str()).or_default();
        dirs.extend(g.functions.iter().map(|(d, _)| d.clone()));
    }
    let mut decls: BTreeMap<&str, Option<RepoDeclarations>> = BTreeMap::new();
    for (r, dirs) in &mut by_repo {
        dirs.sort();
        dirs.dedup();
        match (upstream.declarations)(r, dirs) {
            Ok(d) => {
                decls.insert(r, d);
            }
            Err(e) => id
                .notes
                .push(format!("the function table was not compared with {r}: {e}")),
        }
    }
    let mut unindexed: Vec<&str> = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        let Some(found) = decls.get(g.repo.as_str()) else {
            continue; // unreadable: noted above
        };
        let Some(d) = found else {
            if !unindexed.contains(&g.repo.as_str()) {
                unindexed.push(&g.repo);
            }
            continue;
        };
        // The identified revision (its own code, or its vendored copies); the best otherwise.
        let compare = id
            .pin
            .as_ref()
            .filter(|p| p.repo == g.repo)
            .map(|p| p.rev.as_str());
        let Some(m) = match_module(g, d, table.layout, compare, (&goos, goarch.as_deref())) else {
            continue;
        };
        // The identified repository's own code decides before its vendored copies are
        // compared with the revision it names.
        let own = i == 0 && g.repo == repo && !g.vendored;
        if own {
            decide(id, &m, repo, upstream);
        }
        ft.modules.push(m);
    }
    for r in unindexed {
        id.notes.push(format!(
            "the function table was not compared with {r}: it is not indexed (run `archeo index`)"
        ));
    }
    if ft.main().is_none_or(|m| m.repo != repo)
        && groups.iter().any(|g| g.repo == repo && !g.vendored)
        && decls.get(repo).is_some_and(Option::is_some)
    {
        id.notes.push(format!(
            "the function table holds no function of {repo}'s own code that its indexed revisions could place"
        ));
    }
    id.function_table = Some(ft);
}

/// What the identified repository's own code says: with no commit or version naming a pin,
/// its best revision becomes the match; otherwise whether it agrees; and what the compared
/// revision lacks or has beyond the binary.
fn decide(id: &mut Identification, main: &ModuleMatch, repo: &str, upstream: &Upstream<'_>) {
    let best = main.best().expect("a match ranks its revisions").clone();
    let score = format!(
        "{} of {} functions of {} are declared in the same file at the same lines in {repo}@{} ({} in the same file; {} of {} names, the only-inlined included, declared there)",
        best.exact,
        best.functions,
        main.module,
        best.rev,
        best.same_file,
        best.declared,
        best.total
    );
    let ties = if main.tied.len() > 1 {
        format!(
            "; tied with {} (the same code for these functions)",
            main.tied[1..].join(", ")
        )
    } else {
        String::new()
    };
    match &id.pin {
        None if best.exact > 0 && 2 * best.same_file >= best.functions => {
            if let Some(pin) = upstream
                .pins
                .iter()
                .find(|p| p.repo == repo && p.rev == best.rev)
            {
                id.confidence = Confidence::ByFunctionTable;
                id.notes.push(format!("by function table: {score}{ties}"));
                id.pin = Some(pin.clone());
            }
        }
        None => id.notes.push(format!(
            "the function table places no pinned revision: at best {score} (fewer than half in the same file)"
        )),
        Some(pin) if pin.repo == repo && !main.tied.contains(&pin.rev) => {
            let at_pin = main
                .compared
                .as_ref()
                .filter(|s| s.rev == pin.rev)
                .map(|s| format!("{} of {}", s.exact, s.functions))
                .unwrap_or_else(|| "fewer".into());
            id.notes.push(format!(
                "the function table disagrees with the {}: {score}{ties}, against {at_pin} at {}",
                if id.confidence == Confidence::ExactCommit {
                    "commit"
                } else {
                    "version string"
                },
                pin.rev
            ));
        }
        Some(_) => id.notes.push(format!("the function table agrees: {score}{ties}")),
    }
    if let Some(against) = &main.compared_with {
        if main.missing_total > 0 {
            let later: Vec<String> = main
                .missing
                .iter()
                .filter_map(|f| {
                    f.first_in
                        .as_ref()
                        .map(|r| format!("{} (first in {r})", f.function))
                })
                .take(5)
                .collect();
            id.notes.push(format!(
                "{} function(s) of the binary are not declared in {repo}@{against}{}{}",
                main.missing_total,
                if main.missing_in_later > 0 {
                    format!(
                        "; {} of them are in later pinned revisions: backported or newer code, or code of a release that is not pinned",
                        main.missing_in_later
                    )
                } else {
                    String::new()
                },
                if later.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", later.join(", "))
                }
            ));
        }
        if main.absent_total > 0 {
            id.notes.push(format!(
                "{} function(s) declared in {repo}@{against} (in the packages the binary uses) are not in the binary: weak evidence, the linker drops functions nothing calls",
                main.absent_total
            ));
        }
    }
}

/// What can be said of an artifact that names no pinned repository.
fn unmatched(
    module: Option<String>,
    package: Option<&DebPackage>,
    native: Option<&NativeEvidence>,
) -> Identification {
    let note = match (&module, package) {
        (Some(m), _) => format!(
            "module {m} names no pinned repository: add it to archeo.toml, or an alias if it is pinned under another URL"
        ),
        (None, Some(p)) => format!(
            "package {} (source {}) names no pinned repository: add an alias or pin its upstream",
            p.package, p.source
        ),
        (None, None) if native.is_some_and(NativeEvidence::is_rust) => "a Rust binary whose commit strings, own source paths and file name name no pinned repository (its crates are matched one by one)".into(),
        (None, None) if native.is_some() => "no Go build information, no package metadata, and no commit string or file name naming a pinned repository: nothing to match".into(),
        (None, None) => "no Go build information and no package metadata: nothing to match".into(),
    };
    Identification {
        version: package.map(|p| p.version.clone()),
        notes: vec![note],
        ..Identification::unknown(module.or_else(|| package.map(|p| p.source.clone())))
    }
}

/// The first commit a pin of the repository has is an exact match; failing that, the first
/// commit read (not guessed) is placed among the pinned tags.
fn match_commit(
    id: &mut Identification,
    commits: &[Evidence],
    pins: &[&Pin],
    repo: &str,
    upstream: &Upstream<'_>,
) {
    for ev in commits {
        let hex = ev.value.to_ascii_lowercase();
        if let Some(pin) = best_pin(pins.iter().copied().filter(|p| p.commit.starts_with(&hex))) {
            id.confidence = Confidence::ExactCommit;
            id.commit = Some(ev.value.clone());
            id.notes.push(format!(
                "commit {ev} is pinned as {}@{}{}",
                pin.repo,
                pin.rev,
                ev.caveat()
            ));
            id.pin = Some(pin.clone());
            return;
        }
    }
    // A full commit id found by its shape counts when the repository's history has it.
    if let Some((ev, (before, after))) = commits
        .iter()
        .filter(|e| e.heuristic && e.value.len() >= 40)
        .find_map(|e| Some((e, (upstream.locate_commit)(repo, &e.value)?)))
    {
        id.commit = Some(ev.value.clone());
        id.notes.push(format!(
            "commit {ev} is a commit of {repo} but not pinned; {}{}",
            between(before.as_deref(), after.as_deref()),
            ev.caveat()
        ));
        return;
    }
    let Some(ev) = commits.iter().find(|e| !e.heuristic) else {
        return;
    };
    id.commit = Some(ev.value.clone());
    id.notes.push(match (upstream.locate_commit)(repo, &ev.value) {
        Some((before, after)) => format!(
            "commit {ev} is not pinned; {}",
            between(before.as_deref(), after.as_deref())
        ),
        None => format!(
            "commit {ev} is not pinned and not in the cache: run `archeo fetch`, or pin it in archeo.toml"
        ),
    });
}

/// With a revision pinned by commit: notes each version read that names another revision.
fn check_versions(id: &mut Identification, versions: &[Evidence], pins: &[&Pin]) {
    let Some(pin) = &id.pin else {
        return;
    };
    for ev in versions.iter().filter(|e| !e.heuristic) {
        if tag_for(pins, &ev.value).is_none_or(|t| t.commit != pin.commit) {
            id.notes.push(format!(
                "version {ev} does not name the pinned revision {}",
                pin.rev
            ));
        }
    }
    // A string found by its shape is the version only when it names the pinned revision.
    id.version = versions
        .iter()
        .find(|e| !e.heuristic)
        .or_else(|| {
            versions
                .iter()
                .find(|e| tag_for(pins, &e.value).is_some_and(|t| t.commit == pin.commit))
        })
        .map(|e| e.value.clone());
}

/// Without a commit: the first stated version that names a pinned tag, or why none does.
/// Strings found by their shape decide only when they name one pinned tag between them.
fn match_version(id: &mut Identification, versions: &[Evidence], pins: &[&Pin], repo: &str) {
    let mut named: Vec<(&Evidence, &Pin)> = versions
        .iter()
        .filter(|e| e.heuristic)
        .filter_map(|e| Some((e, tag_for(pins, &e.value)?)))
        .collect();
    let mut seen: Vec<&str> = Vec::new();
    named.retain(|(_, p)| {
        let fresh = !seen.contains(&p.rev.as_str());
        seen.push(&p.rev);
        fresh
    });
    if named.len() > 1
        && !versions
            .iter()
            .any(|e| !e.heuristic && tag_for(pins, &e.value).is_some())
    {
        id.notes.push(format!(
            "version-shaped strings name several pinned tags of {repo} ({}): not decided by version",
            named
                .iter()
                .map(|(e, p)| format!("{} from {}", p.rev, e.from))
                .collect::<Vec<_>>()
                .join("; ")
        ));
        id.version = None;
        return;
    }
    for ev in versions {
        if let Some(pin) = tag_for(pins, &ev.value) {
            id.confidence = Confidence::ByVersion;
            id.version = Some(ev.value.clone());
            id.notes.push(format!(
                "by version: {ev} names pinned tag {}@{}{}",
                pin.repo,
                pin.rev,
                ev.caveat()
            ));
            if let Some(c) = &id.commit {
                id.notes.push(format!(
                    "the binary names commit {c}, not the tag's commit {}: it was not built from the tag",
                    pin.commit
                ));
            }
            id.pin = Some(pin.clone());
            return;
        }
    }
    match versions.first() {
        Some(ev) => {
            id.version = Some(ev.value.clone());
            id.notes.push(format!(
                "version {ev} matches no pinned tag of {repo}: pin that release in archeo.toml"
            ));
        }
        None if id.commit.is_none() => id.notes.push(format!(
            "the artifact states neither a commit nor a version of {repo}"
        )),
        None => {}
    }
}

/// The pinned tag a stated version names (the best one when several do).
pub(crate) fn tag_for<'p>(pins: &[&'p Pin], version: &str) -> Option<&'p Pin> {
    let wanted = version_candidates(version);
    best_pin(
        pins.iter()
            .copied()
            .filter(|p| p.kind == RefKind::Tag && wanted.contains(&normalize_version(&p.rev))),
    )
}

/// What a Debian version says: repacked upstream sources, a distribution revision.
fn note_package_rebuild(id: &mut Identification, p: &DebPackage) {
    let upstream_v = upstream_version(&p.version);
    if let Some(marker) = repack_marker(&p.version) {
        id.distribution_rebuild = true;
        id.notes.push(format!(
            "distribution rebuild: package {} {} repacks upstream {upstream_v} ({marker}: upstream sources repacked, usually without vendor/; dependencies come from the distribution{})",
            p.package,
            p.version,
            if p.built_using.is_empty() {
                String::new()
            } else {
                format!(", Built-Using lists {} packages", p.built_using.len())
            }
        ));
    }
    if let Some(rev) = debian_revision(&p.version).filter(|r| is_distribution_update(r)) {
        id.notes.push(format!(
            "package revision -{rev} may carry distribution patches over upstream {upstream_v} (e.g. security backports): findings at the upstream tag may not hold for this build"
        ));
    }
}

/// The binary's module versions against the matched revision's `vendor/modules.txt`.
fn compare_with_vendored(id: &mut Identification, info: &GoBuildInfo, upstream: &Upstream<'_>) {
    let Some(pin) = &id.pin else {
        return;
    };
    if info.deps.is_empty() {
        if info.main.is_none() {
            id.notes.push(
                "the binary lists no modules (built in GOPATH mode, as Debian does): dependency versions cannot be compared with upstream"
                    .into(),
            );
        }
        return;
    }
    match (upstream.vendored_modules)(pin) {
        Some(v) if v.is_empty() => id.notes.push(format!(
            "{}@{} vendors no modules: dependency versions not compared",
            pin.repo, pin.rev
        )),
        Some(v) => {
            let diffs = compare_dependencies(&info.deps, &v);
            if !diffs.is_empty() {
                id.distribution_rebuild = true;
                id.notes.push(format!(
                    "dependency versions differ from upstream's vendor/modules.txt at {}@{}: {}",
                    pin.repo,
                    pin.rev,
                    diffs
                        .iter()
                        .map(|d| d.to_string())
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
            id.dependency_differences = diffs;
        }
        None => id.notes.push(format!(
            "vendored modules of {}@{} unknown (not indexed): dependency versions not compared",
            pin.repo, pin.rev
        )),
    }
}

/// The dependencies whose linked version differs from upstream's vendored one, or that
/// upstream does not vendor, sorted by module. Modules upstream vendors but the binary does
/// not link are not differences: `vendor/` also holds test and other-binary dependencies.
pub fn compare_dependencies(
    deps: &[GoModule],
    vendored: &[(String, String)],
) -> Vec<DependencyDifference> {
    let mut out: Vec<DependencyDifference> = deps
        .iter()
        .filter_map(|d| {
            let linked = d.effective_version();
            let linked = if linked.is_empty() {
                // A directory replacement: no version to compare.
                d.replace
                    .as_ref()
                    .map_or(String::new(), |r| format!("=> {}", r.path))
            } else {
                linked.to_string()
            };
            match vendored.iter().find(|(m, _)| *m == d.path) {
                Some((_, v)) if *v == linked => None,
                Some((_, v)) => Some(DependencyDifference {
                    module: d.path.clone(),
                    binary: linked,
                    upstream: Some(v.clone()),
                }),
                None => Some(DependencyDifference {
                    module: d.path.clone(),
                    binary: linked,
                    upstream: None,
                }),
            }
        })
        .collect();
    out.sort_by(|a, b| a.module.cmp(&b.module));
    out
}

/// The upstream version inside a Debian version: `1:1.1.5+ds1-1+deb12u1` -> `1.1.5`,
/// `1.7.28-1~debian.12~bookworm` -> `1.7.28`, `1.0.0~rc92+dfsg1-5` -> `1.0.0-rc92`.
pub fn upstream_version(debian_version: &str) -> String {
    let v = debian_version.trim();
    let v = match v.split_once(':') {
        Some((epoch, rest)) if epoch.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => v,
    };
    let v = match v.rsplit_once('-') {
        Some((up, _)) => up,
        None => v,
    };
    strip_repack(v).replace('~', "-")
}

/// Drops a repack suffix (`+ds1`, `+dfsg`, `+repack2`, `~ds1`) and what follows it.
fn strip_repack(v: &str) -> &str {
    let lower = v.to_ascii_lowercase();
    ["+ds", "+dfsg", "+repack", "~ds", "~dfsg", "+really"]
        .iter()
        .filter_map(|m| lower.find(m))
        .min()
        .map_or(v, |i| &v[..i])
}

fn repack_marker(debian_version: &str) -> Option<&'static str> {
    let up = debian_version
        .rsplit_once('-')
        .map_or(debian_version, |(u, _)| u);
    let lower = up.to_ascii_lowercase();
    ["+ds", "+dfsg", "+repack", "~ds", "~dfsg"]
        .into_iter()
        .find(|m| lower.contains(m))
}

fn debian_revision(v: &str) -> Option<&str> {
    v.rsplit_once('-').map(|(_, r)| r)
}

/// A revision naming a distribution release update (`+deb12u1`, `ubuntu0.22.04.1`).
fn is_distribution_update(rev: &str) -> bool {
    let r = rev.to_ascii_lowercase();
    (r.contains("deb") && r.contains('u')) || r.contains("ubuntu")
}

/// A tag or version as compared: no `v`, no `+incompatible`, no repack suffix.
fn normalize_version(v: &str) -> String {
    let v = v.trim();
    let v = v.strip_prefix('v').unwrap_or(v);
    let v = v.strip_suffix("+incompatible").unwrap_or(v);
    strip_repack(v).to_string()
}

/// The forms a stated version may take for tag matching: itself normalised, and its
/// upstream part when it is a Debian version.
fn version_candidates(v: &str) -> Vec<String> {
    let mut out = vec![normalize_version(v)];
    let lower = v.to_ascii_lowercase();
    if [
        "+ds", "+dfsg", "+repack", "+deb", "~deb", "~bpo", "ubuntu", "~",
    ]
    .iter()
    .any(|m| lower.contains(m))
        // A plain Debian revision: `1.1.0-2` (but not an upstream pre-release, `1.1.0-rc.1`).
        || debian_revision(v).is_some_and(|r| r.chars().next().is_some_and(|c| c.is_ascii_digit()))
    {
        let up = upstream_version(v);
        if !out.contains(&up) {
            out.push(up);
        }
    }
    out
}

/// The commit in a stated commit value: a bare hex id, or `git describe` output.
fn commit_in(value: &str) -> Option<String> {
    let v = value.trim();
    let v = v.strip_suffix("-dirty").unwrap_or(v);
    let is_hex = |s: &str| (7..=40).contains(&s.len()) && s.chars().all(|c| c.is_ascii_hexdigit());
    if is_hex(v) {
        return Some(v.to_ascii_lowercase());
    }
    let (_, tail) = v.rsplit_once("-g")?;
    is_hex(tail).then(|| tail.to_ascii_lowercase())
}

/// The commit prefix of a Go pseudo-version: `v0.0.0-20240101120000-0123456789ab`.
fn pseudo_version_commit(v: &str) -> Option<String> {
    let v = v.strip_suffix("+incompatible").unwrap_or(v);
    let v = v.split('+').next()?;
    let mut parts = v.rsplitn(3, '-');
    let hash = parts.next()?;
    let stamp = parts.next()?;
    let stamp = stamp.rsplit('.').next()?;
    (hash.len() == 12
        && hash.chars().all(|c| c.is_ascii_hexdigit())
        && stamp.len() == 14
        && stamp.chars().all(|c| c.is_ascii_digit()))
    .then(|| hash.to_string())
}

fn commit_evidence(a: &Artifact) -> Vec<Evidence> {
    let mut out = Vec::new();
    if let Some(n) = &a.native {
        // Stated commits before those found by their shape.
        let mut found = native_strings(n, StringShape::Commit, &[]);
        found.sort_by_key(|e| e.heuristic);
        out.extend(found);
    }
    let Some(go) = &a.go else {
        return out;
    };
    let info = &go.build_info;
    if let Some(s) = info.setting("vcs.revision")
        && let Some(c) = commit_in(&s.value)
    {
        out.push(Evidence {
            value: c,
            from: format!("build setting vcs.revision ({})", s.at),
            heuristic: false,
        });
    }
    for inj in &go.injected {
        let heuristic = inj.origin == InjectionOrigin::Heuristic;
        if !(named_like(inj, &["commit", "revision", "sha"]) || heuristic) {
            continue;
        }
        if let Some(c) = commit_in(&inj.value) {
            out.push(Evidence {
                value: c,
                from: injected_from(inj),
                heuristic,
            });
        }
    }
    if let Some(m) = &info.main
        && let Some(c) = pseudo_version_commit(&m.version)
    {
        out.push(Evidence {
            value: c,
            from: format!("the main module's pseudo-version {} ({})", m.version, m.at),
            heuristic: false,
        });
    }
    out
}

fn version_evidence(a: &Artifact, package_speaks: bool, names: &[String]) -> Vec<Evidence> {
    let mut out = Vec::new();
    if let Some(go) = &a.go {
        if let Some(m) = &go.build_info.main
            && !m.version.is_empty()
            && m.version != "(devel)"
            && pseudo_version_commit(&m.version).is_none()
        {
            out.push(Evidence {
                value: m.version.clone(),
                from: format!("the main module version ({})", m.at),
                heuristic: false,
            });
        }
        for inj in &go.injected {
            let heuristic = inj.origin == InjectionOrigin::Heuristic;
            if !(named_like(inj, &["version"]) || heuristic) || commit_in(&inj.value).is_some() {
                continue;
            }
            out.push(Evidence {
                value: inj.value.clone(),
                from: injected_from(inj),
                heuristic,
            });
        }
    }
    if let Some(n) = &a.native {
        let mut found = native_strings(n, StringShape::Version, names);
        // rustc does not end strings with NUL: a version standing alone in a Rust binary
        // comes from C code linked in, not from the program.
        if n.is_rust() {
            found.retain(|e| !e.heuristic);
        }
        found.sort_by_key(|e| e.heuristic);
        out.extend(found);
    }
    if let Some(p) = a.package.as_ref().filter(|_| package_speaks) {
        // Before heuristic strings: a control field is read, not guessed.
        let at = out.iter().position(|e| e.heuristic).unwrap_or(out.len());
        out.insert(
            at,
            Evidence {
                value: p.version.clone(),
                from: format!("package {} ({})", p.package, p.provenance("Version")),
                heuristic: false,
            },
        );
    }
    out
}

/// The names a repository goes by: its own, and the aliases (`provides`) standing for it.
fn names_of(repo: &str, upstream: &Upstream<'_>) -> Vec<String> {
    let mut out = vec![repo.to_ascii_lowercase()];
    out.extend(
        upstream
            .aliases
            .iter()
            .filter(|(_, r)| r == repo)
            .map(|(a, _)| a.to_ascii_lowercase()),
    );
    out
}

/// The longest of `names` a version statement's subject ends with (text stored before the
/// statement may cling to it: `IncompleteInternalErroryouki`).
fn statement_names<'n>(program: &str, names: &'n [String]) -> Option<&'n str> {
    let p = program.to_ascii_lowercase();
    names
        .iter()
        .filter(|n| !n.is_empty() && p.ends_with(n.as_str()))
        .max_by_key(|n| n.len())
        .map(String::as_str)
}

/// A non-Go binary's strings of one shape: stated ones (a version statement of one of
/// `names`, any commit statement) as read evidence, standalone ones as heuristic.
fn native_strings(n: &NativeEvidence, shape: StringShape, names: &[String]) -> Vec<Evidence> {
    n.strings
        .iter()
        .filter(|s| s.shape == shape)
        .filter_map(|s| {
            let from = match (&s.statement, &s.program) {
                (Some(_), Some(program)) => {
                    let name = statement_names(program, names)?;
                    format!("the statement \"{name} version {}\" ({})", s.value, s.at)
                }
                (Some(statement), None) => format!("the statement {statement:?} ({})", s.at),
                (None, _) => format!(
                    "a {}-shaped string standing alone in read-only data ({})",
                    match shape {
                        StringShape::Version => "version",
                        StringShape::Commit => "commit",
                    },
                    s.at
                ),
            };
            Some(Evidence {
                value: s.value.clone(),
                from,
                heuristic: s.statement.is_none(),
            })
        })
        .collect()
}

/// Whether an injected variable's own name (without its package) contains one of `words`.
fn named_like(inj: &InjectedString, words: &[&str]) -> bool {
    inj.variable.as_deref().is_some_and(|n| {
        let n = n.rsplit('.').next().unwrap_or(n).to_ascii_lowercase();
        words.iter().any(|w| n.contains(w))
    })
}

/// Where an injected string came from: its `-X` variable, or the heuristic scan.
fn injected_from(inj: &InjectedString) -> String {
    match &inj.variable {
        Some(v) => format!("-X {v} ({})", inj.at),
        None => format!("a string in the binary ({})", inj.at),
    }
}

/// Prefers tags, then commits, then branches; the first in lock order among equals.
pub(crate) fn best_pin<'p>(pins: impl Iterator<Item = &'p Pin>) -> Option<&'p Pin> {
    let rank = |k: RefKind| match k {
        RefKind::Tag => 0,
        RefKind::Commit => 1,
        RefKind::Branch => 2,
    };
    let mut best: Option<&Pin> = None;
    for p in pins {
        if best.is_none_or(|b| rank(p.kind) < rank(b.kind)) {
            best = Some(p);
        }
    }
    best
}

fn between(before: Option<&str>, after: Option<&str>) -> String {
    match (before, after) {
        (Some(b), Some(a)) => format!("it lies between pinned tags {b} and {a}"),
        (Some(b), None) => format!("it comes after pinned tag {b} (no pinned tag contains it)"),
        (None, Some(a)) => format!("it comes before pinned tag {a} (no pinned tag precedes it)"),
        (None, None) => "no pinned tag precedes or contains it".into(),
    }
}

/// `https://github.com/opencontainers/runc.git` -> `github.com/opencontainers/runc`.
fn url_key(url: &str) -> String {
    let u = url.trim().to_ascii_lowercase();
    let u = u
        .split_once("://")
        .map_or(u.as_str(), |(_, r)| r)
        .to_string();
    // scp-like `git@host:path`.
    let u = match u.split_once('@') {
        Some((_, rest)) => rest.replacen(':', "/", 1),
        None => u,
    };
    let u = u.trim_end_matches('/');
    u.strip_suffix(".git").unwrap_or(u).to_string()
}

/// A module path without its major-version suffix: `example.com/x/v2` -> `example.com/x`.
fn module_key(module: &str) -> String {
    let m = module.trim().to_ascii_lowercase();
    match m.rsplit_once('/') {
        Some((base, last))
            if last.len() > 1
                && last.starts_with('v')
                && last[1..].chars().all(|c| c.is_ascii_digit()) =>
        {
            base.to_string()
        }
        _ => m,
    }
}

fn under(path: &str, prefix: &str) -> bool {
    path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Distinct repositories of the pins, with their URL keys.
fn repos<'p>(up: &'p Upstream<'_>) -> Vec<(&'p str, String)> {
    let mut out: Vec<(&str, String)> = Vec::new();
    for p in up.pins {
        if !out.iter().any(|(r, _)| *r == p.repo) {
            out.push((&p.repo, url_key(&p.url)));
        }
    }
    out
}

fn alias_target(up: &Upstream<'_>, alias: &str, repo: &str) -> Option<(String, String)> {
    repos(up).iter().any(|(r, _)| *r == repo).then(|| {
        (
            repo.to_string(),
            format!("alias {alias} stands for pinned repository {repo}"),
        )
    })
}

fn repo_for_module(module: &str, up: &Upstream<'_>) -> Option<(String, String)> {
    let key = module_key(module);
    for (alias, repo) in up.aliases {
        if under(&key, &module_key(alias)) {
            return alias_target(up, alias, repo);
        }
    }
    repos(up)
        .into_iter()
        .filter(|(_, k)| under(&key, k))
        .max_by_key(|(_, k)| k.len())
        .map(|(r, k)| {
            (
                r.to_string(),
                format!("module {module} is pinned repository {r} ({k})"),
            )
        })
}

fn repo_for_package(p: &DebPackage, up: &Upstream<'_>) -> Option<(String, String)> {
    let names = [
        p.source.to_ascii_lowercase(),
        p.package.to_ascii_lowercase(),
    ];
    for (alias, repo) in up.aliases {
        if names.contains(&alias.to_ascii_lowercase()) {
            return alias_target(up, alias, repo);
        }
    }
    let all = repos(up);
    if let Some(home) = &p.homepage {
        let hk = url_key(home);
        if let Some((r, _)) = all.iter().find(|(_, k)| under(&hk, k)) {
            return Some((
                r.to_string(),
                format!(
                    "package {} has homepage {home}, pinned repository {r}",
                    p.package
                ),
            ));
        }
    }
    all.iter()
        .find(|(r, k)| {
            let last = k.rsplit('/').next().unwrap_or(k);
            names
                .iter()
                .any(|n| n == last || n == &r.to_ascii_lowercase())
        })
        .map(|(r, _)| {
            (
                r.to_string(),
                format!(
                    "package {} (source {}) is named like pinned repository {r}",
                    p.package, p.source
                ),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_versions_reduce_to_upstream() {
        assert_eq!(upstream_version("1.1.5+ds1-1"), "1.1.5");
        assert_eq!(upstream_version("1.1.5+ds1-1+deb12u1"), "1.1.5");
        assert_eq!(upstream_version("1.7.28-1~debian.12~bookworm"), "1.7.28");
        assert_eq!(upstream_version("2:1.0.0~rc92+dfsg1-5"), "1.0.0-rc92");
        assert_eq!(upstream_version("20.10.24+dfsg1-1"), "20.10.24");
        assert_eq!(upstream_version("1.2.3"), "1.2.3");
    }

    #[test]
    fn versions_normalise_for_tag_comparison() {
        assert_eq!(normalize_version("v1.1.5"), "1.1.5");
        assert_eq!(normalize_version("v2.0.0+incompatible"), "2.0.0");
        assert_eq!(normalize_version("1.1.5+ds1"), "1.1.5");
        assert_eq!(normalize_version("v1.2.0-rc.1"), "1.2.0-rc.1");
        assert!(version_candidates("1.1.5+ds1-1+deb12u1").contains(&"1.1.5".to_string()));
        assert_eq!(
            version_candidates("1.2.0-rc.1"),
            vec!["1.2.0-rc.1".to_string()]
        );
    }

    #[test]
    fn commits_come_out_of_describe_and_pseudo_versions() {
        assert_eq!(commit_in("0123abcd").as_deref(), Some("0123abcd"));
        assert_eq!(
            commit_in("v1.1.5-0-gf19387a6-dirty").as_deref(),
            Some("f19387a6")
        );
        assert_eq!(commit_in("1.1.5"), None);
        assert_eq!(commit_in("abc"), None);
        assert_eq!(
            pseudo_version_commit("v0.0.0-20240101120000-0123456789ab").as_deref(),
            Some("0123456789ab")
        );
        assert_eq!(
            pseudo_version_commit("v1.2.4-0.20240101120000-0123456789ab+dirty").as_deref(),
            Some("0123456789ab")
        );
        assert_eq!(pseudo_version_commit("v1.2.3"), None);
    }

    #[test]
    fn urls_and_modules_meet_on_a_key() {
        assert_eq!(
            url_key("https://github.com/opencontainers/runc.git/"),
            "github.com/opencontainers/runc"
        );
        assert_eq!(
            url_key("git@github.com:moby/moby.git"),
            "github.com/moby/moby"
        );
        assert_eq!(
            module_key("github.com/containerd/containerd/v2"),
            "github.com/containerd/containerd"
        );
        assert_eq!(module_key("gopkg.in/yaml.v3"), "gopkg.in/yaml.v3");
        assert!(under("github.com/a/b/cmd/x", "github.com/a/b"));
        assert!(!under("github.com/a/bc", "github.com/a/b"));
    }
}
