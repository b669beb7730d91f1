//! A Go binary's function table against the pinned revisions' declarations: which functions of
//! which module the binary holds (Go's symbol names -> package path and the declaration the
//! index names: `F`, `(*T).M`, `T.M`), and, per pinned revision of the repository holding that
//! module (its own code, or its `vendor/` copy), how many of them are declared there in the same
//! file at the same lines. The best revision, the runners-up, and the differences that matter:
//! functions the binary has that the revision lacks (strong evidence: code that is in the
//! binary), with the first pinned revision that has each, and functions the revision has that
//! the binary lacks (weak evidence: the linker drops code nothing calls).
//!
//! Pure: the declarations come from the caller ([`RepoDeclarations`], built from the index).

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

use super::Provenance;
use super::gopclntab::{FunctionTable, PclntabLayout};
use crate::source::lock::{Pin, RefKind};

/// Functions listed per difference kind (the counts are always whole).
const MAX_LISTED: usize = 20;
/// Revisions ranked after the best.
const RUNNERS_UP: usize = 3;

/// A function of the binary as matching sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryFunction {
    /// The linker's symbol name.
    pub symbol: String,
    /// Its package's import path (`github.com/opencontainers/runc/libcontainer`).
    pub package: String,
    /// The declaration as the index names it: `F`, `(*T).M`, `T.M`.
    pub key: String,
    /// The source file's name (no directory), for a function with code of its own.
    pub file: Option<String>,
    /// See [`super::GoFunction::start_line`].
    pub start_line: Option<u32>,
    /// See [`super::GoFunction::end_line`].
    pub end_line: Option<u32>,
    /// Where its record was read; `None` for a function present only inlined.
    pub at: Option<Provenance>,
}

impl BinaryFunction {
    /// Present only inlined into its callers (a name in the table without a record).
    pub fn inlined_only(&self) -> bool {
        self.at.is_none()
    }
}

/// A declaration's place in one file version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclaredAt {
    /// The file's name (no directory).
    pub file: String,
    /// First line (the `func` keyword).
    pub start: u32,
    /// Last line.
    pub end: u32,
}

/// The functions and methods declared in one package directory in one state of it (revisions
/// whose files there are the same share one).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageDeclarations {
    /// Declaration (`F`, `(*T).M`, `T.M`) -> where; several places when build constraints
    /// choose between files (`x_linux.go`, `x_other.go`).
    pub funcs: HashMap<String, Vec<DeclaredAt>>,
}

/// One pinned revision's package directories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionDeclarations {
    /// The revision.
    pub pin: Pin,
    /// Directory (`libcontainer`, `vendor/golang.org/x/sys/unix`) -> index into
    /// [`RepoDeclarations::packages`]; directories asked for but absent are missing.
    pub dirs: HashMap<String, usize>,
}

/// The declarations of some directories of a repository at each of its indexed revisions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoDeclarations {
    /// Indexed revisions, in version order (oldest first; branches after tags).
    pub revisions: Vec<RevisionDeclarations>,
    /// Package states, shared by the revisions.
    pub packages: Vec<PackageDeclarations>,
}

/// How one function of the binary stands in one revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum FunctionStatus {
    /// Not declared in its package there.
    Missing,
    /// Declared in its package, in another file (or only inlined in the binary).
    Declared,
    /// Declared in the same file, at other lines.
    SameFile,
    /// Declared in the same file at the same lines.
    Exact,
}

/// How one revision scores.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevisionScore {
    /// The pinned revision's name.
    pub rev: String,
    /// Its commit.
    pub commit: String,
    /// Functions with code declared in the same file at the same lines.
    pub exact: usize,
    /// ... in the same file (including the exact ones).
    pub same_file: usize,
    /// How many functions with code were compared.
    pub functions: usize,
    /// Functions and inlined-only names declared in their package at all.
    pub declared: usize,
    /// How many functions and inlined-only names were compared.
    pub total: usize,
}

impl RevisionScore {
    fn key(&self) -> (usize, usize, usize) {
        (self.exact, self.same_file, self.declared)
    }
}

/// One function in a difference list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FunctionMatch {
    /// `github.com/opencontainers/runc/libcontainer/utils.IsLexicallyInRoot`: package and
    /// declaration.
    pub function: String,
    /// Its file: as the binary records it (functions of the binary), or the declaring file's
    /// repository path (functions of the revision).
    pub file: Option<String>,
    /// Its first line: as the binary records it, or as declared.
    pub line: Option<u32>,
    /// For a function the revision lacks: the first pinned revision (version order) declaring
    /// it; `None` when no pinned revision does.
    pub first_in: Option<String>,
    /// Where the binary's record of it was read (`None` for a function of the revision, or one
    /// the binary has only inlined).
    pub at: Option<String>,
}

/// One module of the binary matched against a pinned repository's revisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModuleMatch {
    /// The module (or, without build information, the repository's import path prefix).
    pub module: String,
    /// The pinned repository compared against.
    pub repo: String,
    /// Compared with the repository's `vendor/` copy of the module, not its own code.
    pub vendored: bool,
    /// Functions of the module with code in the binary.
    pub functions: usize,
    /// Further names present only inlined.
    pub inlined: usize,
    /// The best revisions first: the best, then every revision tied with it, then up to three
    /// runners-up.
    pub ranking: Vec<RevisionScore>,
    /// Revisions scoring exactly as the best one (the best included).
    pub tied: Vec<String>,
    /// The revision the differences are listed against: the identification's pinned revision
    /// for the identified repository, else the best.
    pub compared_with: Option<String>,
    /// Functions the binary has that `compared_with` lacks (strong evidence), with the first
    /// pinned revision declaring each; at most 20 listed.
    pub missing: Vec<FunctionMatch>,
    /// How many such functions in all.
    pub missing_total: usize,
    /// Of them, how many a later pinned revision declares (a backport or newer code).
    pub missing_in_later: usize,
    /// Functions declared in `compared_with` that the binary lacks, in the package directories
    /// the binary uses and in files built for its platform (weak evidence: the linker drops
    /// code nothing calls); at most 20 listed.
    pub absent: Vec<FunctionMatch>,
    /// How many such functions in all.
    pub absent_total: usize,
    /// Functions declared in the same file of `compared_with` at other lines.
    pub moved: usize,
    /// The score of `compared_with`.
    pub compared: Option<RevisionScore>,
    /// Package `main`'s functions: `(with code in the binary, declared in `compared_with` for
    /// its platform but not in the binary)`. A binary lacking most of its claimed revision's
    /// `main` is another program.
    #[serde(skip)]
    pub main_package: (usize, usize),
}

impl ModuleMatch {
    /// The best revision's score.
    pub fn best(&self) -> Option<&RevisionScore> {
        self.ranking.first()
    }
}

/// Splits a Go symbol name into its package's import path and the declaration it is:
/// `github.com/x/y/pkg.(*T).M` -> (`github.com/x/y/pkg`, `(*T).M`). `None` for symbols that
/// are no declaration of their own: closures (`F.func1`), wrappers (`T.M-fm`, `F.gowrap1`),
/// package initialisers, compiler-generated and cgo symbols. Type arguments (`F[...]`) are
/// dropped; `%xx` escapes of the path (`gopkg.in/yaml%2ev3`) decoded.
pub fn split_symbol(name: &str) -> Option<(String, String)> {
    let name = without_type_args(name);
    if ["go.", "go:", "type.", "type:", "gclocals"]
        .iter()
        .any(|p| name.starts_with(p))
    {
        return None;
    }
    let path_end = name.rfind('/').map_or(0, |i| i + 1);
    let dot = path_end + name[path_end..].find('.')?;
    let (package, key) = (&name[..dot], &name[dot + 1..]);
    if package.is_empty() || key.is_empty() || key.contains(['-', '[', ']', ' ']) {
        return None;
    }
    let parts = split_key(key)?;
    let ident = |s: &str| {
        s.chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && s.chars().all(|c| c.is_alphanumeric() || c == '_')
    };
    match parts.as_slice() {
        [f] if ident(f) && *f != "init" && !f.starts_with("_C") => {}
        [recv, m] if ident(m) && !is_closure(m) => {
            let t = recv
                .strip_prefix("(*")
                .and_then(|r| r.strip_suffix(')'))
                .unwrap_or(recv);
            if !ident(t) {
                return None;
            }
        }
        _ => return None,
    }
    Some((unescape(package), key.to_string()))
}

/// `F[...]` -> `F`, `(*T[...]).M` -> `(*T).M` (Go's `nameWithoutInst`).
fn without_type_args(name: &str) -> std::borrow::Cow<'_, str> {
    match (name.find('['), name.rfind(']')) {
        (Some(a), Some(b)) if a < b => format!("{}{}", &name[..a], &name[b + 1..]).into(),
        _ => name.into(),
    }
}

/// `(*T).M` -> [`(*T)`, `M`]: dots split, except inside the receiver's parentheses.
fn split_key(key: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in key.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            '.' if depth == 0 => {
                parts.push(&key[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        if depth < 0 {
            return None;
        }
    }
    parts.push(&key[start..]);
    Some(parts)
}

/// Closures and the compiler's wrappers: `func1`, `gowrap2`, `deferwrap1`, `0` (init.0).
fn is_closure(s: &str) -> bool {
    let digits = s.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit())
        && matches!(
            &s[..s.len() - digits.len()],
            "" | "func" | "gowrap" | "deferwrap"
        )
}

/// `%2e` -> `.` (the linker escapes dots and unusual bytes in the last path element).
fn unescape(p: &str) -> String {
    if !p.contains('%') {
        return p.to_string();
    }
    let b = p.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = p
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The binary's functions that are declarations of their own (see [`split_symbol`]), with code
/// or present only inlined. Functions whose file is not Go source (assembly, cgo output,
/// `<autogenerated>`) are left out: the index declares none of them.
pub fn binary_functions(table: &FunctionTable) -> Vec<BinaryFunction> {
    let mut out = Vec::new();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    for f in &table.functions {
        let Some((package, key)) = split_symbol(&f.name) else {
            continue;
        };
        let Some(path) = table.file(f) else { continue };
        let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
        if !file.ends_with(".go") || file.starts_with("_cgo_") {
            continue;
        }
        if !seen.insert((package.clone(), key.clone())) {
            continue;
        }
        out.push(BinaryFunction {
            symbol: f.name.clone(),
            package,
            key,
            file: Some(file.to_string()),
            start_line: f.start_line,
            end_line: f.end_line,
            at: Some(table.provenance(f)),
        });
    }
    for name in &table.inlined {
        let Some((package, key)) = split_symbol(name) else {
            continue;
        };
        if seen.insert((package.clone(), key.clone())) {
            out.push(BinaryFunction {
                symbol: name.clone(),
                package,
                key,
                file: None,
                start_line: None,
                end_line: None,
                at: None,
            });
        }
    }
    out
}

/// What one revision's declarations say of one function.
fn status(
    f: &BinaryFunction,
    decls: Option<&Vec<DeclaredAt>>,
    layout: PclntabLayout,
) -> FunctionStatus {
    let Some(decls) = decls.filter(|d| !d.is_empty()) else {
        return FunctionStatus::Missing;
    };
    let Some(file) = &f.file else {
        return FunctionStatus::Declared;
    };
    let mut best = FunctionStatus::Declared;
    for d in decls.iter().filter(|d| d.file == *file) {
        let within = |l: u32| d.start <= l && l <= d.end;
        let start_ok = match (f.start_line, layout) {
            (Some(l), PclntabLayout::Go120) => l == d.start,
            (Some(l), _) => within(l),
            (None, _) => false,
        };
        let end_ok = f.end_line.is_none_or(within);
        best = best.max(if start_ok && end_ok {
            FunctionStatus::Exact
        } else {
            FunctionStatus::SameFile
        });
    }
    best
}

/// A module's functions of the binary, each with the package directory holding it in the
/// repository compared against.
pub struct ModuleFunctions {
    /// The module.
    pub module: String,
    /// The repository.
    pub repo: String,
    /// Compared with the repository's `vendor/` copy.
    pub vendored: bool,
    /// `(directory in the repository, function)`.
    pub functions: Vec<(String, BinaryFunction)>,
}

/// Which files of a package a build for `goos`/`goarch` compiles, by name alone
/// (`x_windows.go`, `x_linux_arm64.go`); `//go:build` lines are not seen.
fn built_for(file: &str, goos: &str, goarch: Option<&str>) -> bool {
    const OSES: &[&str] = &[
        "aix",
        "android",
        "darwin",
        "dragonfly",
        "freebsd",
        "hurd",
        "illumos",
        "ios",
        "js",
        "linux",
        "nacl",
        "netbsd",
        "openbsd",
        "plan9",
        "solaris",
        "wasip1",
        "windows",
        "zos",
    ];
    const ARCHES: &[&str] = &[
        "386", "amd64", "arm", "arm64", "loong64", "mips", "mipsle", "mips64", "mips64le", "ppc64",
        "ppc64le", "riscv64", "s390x", "wasm", "sparc64",
    ];
    let stem = file.trim_end_matches(".go");
    if stem.ends_with("_test") {
        return false;
    }
    let parts: Vec<&str> = stem.split('_').skip(1).collect();
    let n = parts.len();
    let os_ok = |o: &str| o == goos || (goos == "android" && o == "linux");
    let arch_ok = |a: &str| goarch.is_none_or(|g| g == a);
    match (n.checked_sub(2).map(|i| parts[i]), parts.last().copied()) {
        (Some(o), Some(a)) if OSES.contains(&o) && ARCHES.contains(&a) => os_ok(o) && arch_ok(a),
        (_, Some(x)) if OSES.contains(&x) => os_ok(x),
        (_, Some(x)) if ARCHES.contains(&x) => arch_ok(x),
        _ => true,
    }
}

/// Scores every revision of `decls` for one module and lists the differences against
/// `compare_with` (a revision name; the best when `None` or not among the revisions).
pub fn match_module(
    m: &ModuleFunctions,
    decls: &RepoDeclarations,
    layout: PclntabLayout,
    compare_with: Option<&str>,
    platform: (&str, Option<&str>),
) -> Option<ModuleMatch> {
    if m.functions.is_empty() || decls.revisions.is_empty() {
        return None;
    }
    // The functions by directory, and per (directory, package state) their statuses: revisions
    // sharing a package state share its result.
    let mut by_dir: BTreeMap<&str, Vec<&BinaryFunction>> = BTreeMap::new();
    for (d, f) in &m.functions {
        by_dir.entry(d.as_str()).or_default().push(f);
    }
    let mut memo: HashMap<usize, Vec<FunctionStatus>> = HashMap::new();
    let mut statuses_at =
        |dir: &str, fs: &[&BinaryFunction], rev: &RevisionDeclarations| match rev.dirs.get(dir) {
            None => vec![FunctionStatus::Missing; fs.len()],
            Some(&p) => memo
                .entry(p)
                .or_insert_with(|| {
                    let pkg = &decls.packages[p];
                    fs.iter()
                        .map(|f| status(f, pkg.funcs.get(&f.key), layout))
                        .collect()
                })
                .clone(),
        };
    let total = m.functions.len();
    let with_code = m
        .functions
        .iter()
        .filter(|(_, f)| !f.inlined_only())
        .count();
    let mut scores: Vec<RevisionScore> = Vec::with_capacity(decls.revisions.len());
    for rev in &decls.revisions {
        let mut s = RevisionScore {
            rev: rev.pin.rev.clone(),
            commit: rev.pin.commit.clone(),
            exact: 0,
            same_file: 0,
            functions: with_code,
            declared: 0,
            total,
        };
        for (dir, fs) in &by_dir {
            for st in statuses_at(dir, fs, rev) {
                s.exact += usize::from(st == FunctionStatus::Exact);
                s.same_file += usize::from(st >= FunctionStatus::SameFile);
                s.declared += usize::from(st >= FunctionStatus::Declared);
            }
        }
        scores.push(s);
    }
    // Best first; among equals, a release before a pre-release or a branch, then the oldest.
    let order: Vec<usize> = {
        let mut idx: Vec<usize> = (0..scores.len()).collect();
        let prerelease = |i: usize| {
            let p = &decls.revisions[i].pin;
            match p.kind {
                RefKind::Tag if p.rev.contains('-') => 1,
                RefKind::Tag => 0,
                _ => 2,
            }
        };
        idx.sort_by(|&a, &b| {
            scores[b]
                .key()
                .cmp(&scores[a].key())
                .then(prerelease(a).cmp(&prerelease(b)))
                .then(a.cmp(&b))
        });
        idx
    };
    let best_key = scores[order[0]].key();
    let tied: Vec<String> = order
        .iter()
        .filter(|&&i| scores[i].key() == best_key)
        .map(|&i| scores[i].rev.clone())
        .collect();
    let ranking: Vec<RevisionScore> = order
        .iter()
        .take(tied.len() + RUNNERS_UP)
        .map(|&i| scores[i].clone())
        .collect();
    let against = compare_with
        .and_then(|r| decls.revisions.iter().position(|x| x.pin.rev == r))
        .unwrap_or(order[0]);
    let rev = &decls.revisions[against];

    // Functions of the binary the revision lacks, with the first revision declaring each.
    let mut missing = Vec::new();
    let mut missing_total = 0;
    let mut missing_in_later = 0;
    let mut moved = 0;
    for (dir, f) in &m.functions {
        let pkg = rev.dirs.get(dir.as_str()).map(|&p| &decls.packages[p]);
        match status(f, pkg.and_then(|p| p.funcs.get(&f.key)), layout) {
            FunctionStatus::Missing => {}
            FunctionStatus::SameFile => {
                moved += 1;
                continue;
            }
            _ => continue,
        }
        missing_total += 1;
        let first = decls.revisions.iter().position(|r| {
            r.dirs
                .get(dir.as_str())
                .and_then(|&p| decls.packages[p].funcs.get(&f.key))
                .is_some_and(|d| !d.is_empty())
        });
        if first.is_some_and(|i| i > against) {
            missing_in_later += 1;
        }
        missing.push((
            first,
            FunctionMatch {
                function: format!("{}.{}", f.package, f.key),
                file: f.file.clone(),
                line: f.start_line,
                first_in: first.map(|i| decls.revisions[i].pin.rev.clone()),
                at: f.at.as_ref().map(|p| p.to_string()),
            },
        ));
    }
    // Later code first (what a backport brings), then by name.
    missing.sort_by(|a, b| {
        (a.0.is_none(), a.0, &a.1.function).cmp(&(b.0.is_none(), b.0, &b.1.function))
    });
    let missing: Vec<FunctionMatch> = missing
        .into_iter()
        .map(|(_, f)| f)
        .take(MAX_LISTED)
        .collect();

    // Functions of the revision the binary lacks, in the directories it uses.
    let have: HashSet<(&str, &str)> = m
        .functions
        .iter()
        .map(|(d, f)| (d.as_str(), f.key.as_str()))
        .collect();
    let mut absent = Vec::new();
    for dir in by_dir.keys() {
        let Some(&p) = rev.dirs.get(*dir) else {
            continue;
        };
        let mut names: Vec<(&String, &Vec<DeclaredAt>)> = decls.packages[p].funcs.iter().collect();
        names.sort_by(|a, b| a.0.cmp(b.0));
        for (key, places) in names {
            // `init` functions are named `init.0`, `init.1` in the binary: not compared.
            if key == "init" || have.contains(&(*dir, key.as_str())) {
                continue;
            }
            let Some(d) = places
                .iter()
                .find(|d| built_for(&d.file, platform.0, platform.1))
            else {
                continue;
            };
            let package = if m.vendored {
                dir.trim_start_matches("vendor/").to_string()
            } else {
                m.functions
                    .iter()
                    .find(|(x, _)| x == dir)
                    .map(|(_, f)| f.package.clone())
                    .unwrap_or_default()
            };
            absent.push(FunctionMatch {
                function: format!("{package}.{key}"),
                file: Some(if dir.is_empty() {
                    d.file.clone()
                } else {
                    format!("{dir}/{}", d.file)
                }),
                line: Some(d.start),
                first_in: None,
                at: None,
            });
        }
    }
    let absent_total = absent.len();
    let main_package = (
        m.functions
            .iter()
            .filter(|(_, f)| f.package == "main" && !f.inlined_only())
            .count(),
        absent
            .iter()
            .filter(|f| f.function.starts_with("main."))
            .count(),
    );
    absent.truncate(MAX_LISTED);
    Some(ModuleMatch {
        module: m.module.clone(),
        repo: m.repo.clone(),
        vendored: m.vendored,
        functions: m
            .functions
            .iter()
            .filter(|(_, f)| !f.inlined_only())
            .count(),
        inlined: m.functions.iter().filter(|(_, f)| f.inlined_only()).count(),
        ranking,
        tied,
        compared_with: Some(rev.pin.rev.clone()),
        missing,
        missing_total,
        missing_in_later,
        absent,
        absent_total,
        moved,
        compared: Some(scores[against].clone()),
        main_package,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_split_like_gos_package_name() {
        let s = |n: &str| split_symbol(n).map(|(p, k)| format!("{p} | {k}"));
        assert_eq!(
            s("github.com/opencontainers/runc/libcontainer.(*linuxStandardInit).Init").as_deref(),
            Some("github.com/opencontainers/runc/libcontainer | (*linuxStandardInit).Init")
        );
        assert_eq!(
            s("github.com/opencontainers/runc/libcontainer/utils.WriteSysctls").as_deref(),
            Some("github.com/opencontainers/runc/libcontainer/utils | WriteSysctls")
        );
        assert_eq!(s("main.main").as_deref(), Some("main | main"));
        assert_eq!(s("os.File.Name").as_deref(), Some("os | File.Name"));
        assert_eq!(
            s("gopkg.in/yaml%2ev3.Marshal").as_deref(),
            Some("gopkg.in/yaml.v3 | Marshal")
        );
        assert_eq!(
            s("example.com/a/b.(*List[...]).Push").as_deref(),
            Some("example.com/a/b | (*List).Push")
        );
        assert_eq!(
            s("example.com/a/b.Map[...]").as_deref(),
            Some("example.com/a/b | Map")
        );
        for not_a_declaration in [
            "example.com/a/b.F.func1",
            "example.com/a/b.(*T).M.func2.1",
            "example.com/a/b.T.M-fm",
            "example.com/a/b.F.gowrap1",
            "example.com/a/b.F.deferwrap2",
            "example.com/a/b.init",
            "example.com/a/b.init.0",
            "example.com/a/b.glob..func1",
            "type:.eq.example.com/a/b.T",
            "type..eq.example.com/a/b.T",
            "go:buildid",
            "runtime",
            "example.com/a/b._Cfunc_getpid",
        ] {
            assert_eq!(split_symbol(not_a_declaration), None, "{not_a_declaration}");
        }
    }

    #[test]
    fn file_names_say_which_platform_builds_them() {
        assert!(built_for("init_linux.go", "linux", Some("amd64")));
        assert!(!built_for("init_windows.go", "linux", Some("amd64")));
        assert!(!built_for("zsys_linux_arm64.go", "linux", Some("amd64")));
        assert!(built_for("zsys_linux_arm64.go", "linux", None));
        assert!(built_for("syscall_linux_amd64.go", "linux", Some("amd64")));
        assert!(!built_for("x_test.go", "linux", None));
        assert!(built_for("utils.go", "linux", None));
        assert!(
            built_for("linux.go", "darwin", None),
            "a bare OS name is no constraint"
        );
    }

    fn pin(rev: &str) -> Pin {
        Pin {
            repo: "proj".into(),
            url: "https://example.com/proj".into(),
            rev: rev.into(),
            kind: RefKind::Tag,
            commit: format!("{:0<40}", rev.replace(['.', 'v'], "")),
        }
    }

    fn decl(file: &str, start: u32, end: u32) -> DeclaredAt {
        DeclaredAt {
            file: file.into(),
            start,
            end,
        }
    }

    fn func(key: &str, file: &str, start: u32, end: u32) -> (String, BinaryFunction) {
        (
            "libct".into(),
            BinaryFunction {
                symbol: format!("example.com/proj/libct.{key}"),
                package: "example.com/proj/libct".into(),
                key: key.into(),
                file: Some(file.into()),
                start_line: Some(start),
                end_line: Some(end),
                at: Some(Provenance::File {
                    section: Some(".gopclntab".into()),
                    offset: 0x100,
                }),
            },
        )
    }

    /// v1.0: Open, Close; v1.1: Open moved down, Check added; v1.2: Close removed.
    fn three_revisions() -> RepoDeclarations {
        let pkg = |fs: &[(&str, DeclaredAt)]| PackageDeclarations {
            funcs: fs
                .iter()
                .map(|(k, d)| (k.to_string(), vec![d.clone()]))
                .collect(),
        };
        let rev = |r: &str, p: usize| RevisionDeclarations {
            pin: pin(r),
            dirs: [("libct".to_string(), p)].into_iter().collect(),
        };
        RepoDeclarations {
            revisions: vec![rev("v1.0", 0), rev("v1.1", 1), rev("v1.2", 2)],
            packages: vec![
                pkg(&[
                    ("Open", decl("open.go", 10, 20)),
                    ("(*File).Close", decl("open.go", 22, 30)),
                ]),
                pkg(&[
                    ("Open", decl("open.go", 12, 22)),
                    ("(*File).Close", decl("open.go", 24, 32)),
                    ("Check", decl("check.go", 5, 9)),
                ]),
                pkg(&[
                    ("Open", decl("open.go", 12, 22)),
                    ("Check", decl("check.go", 5, 9)),
                ]),
            ],
        }
    }

    #[test]
    fn the_revision_declaring_the_same_functions_at_the_same_lines_wins() {
        let m = ModuleFunctions {
            module: "example.com/proj".into(),
            repo: "proj".into(),
            vendored: false,
            functions: vec![
                func("Open", "open.go", 12, 22),
                func("(*File).Close", "open.go", 24, 32),
                func("Check", "check.go", 5, 9),
            ],
        };
        let r = match_module(
            &m,
            &three_revisions(),
            PclntabLayout::Go120,
            None,
            ("linux", None),
        )
        .unwrap();
        assert_eq!(r.tied, vec!["v1.1".to_string()]);
        let best = r.best().unwrap();
        assert_eq!(
            (best.exact, best.same_file, best.declared, best.total),
            (3, 3, 3, 3)
        );
        assert_eq!(r.ranking[1].rev, "v1.2");
        assert_eq!((r.missing_total, r.absent_total, r.moved), (0, 0, 0));

        // Against v1.0 (what a version string named): Check is newer code, first in v1.1;
        // Open sits at other lines.
        let r = match_module(
            &m,
            &three_revisions(),
            PclntabLayout::Go120,
            Some("v1.0"),
            ("linux", None),
        )
        .unwrap();
        assert_eq!(r.compared_with.as_deref(), Some("v1.0"));
        assert_eq!((r.missing_total, r.missing_in_later, r.moved), (1, 1, 2));
        assert_eq!(r.missing[0].function, "example.com/proj/libct.Check");
        assert_eq!(r.missing[0].first_in.as_deref(), Some("v1.1"));
        assert!(r.missing[0].at.as_deref().unwrap().contains("0x100"));
    }

    #[test]
    fn a_binary_without_a_function_the_revision_has_lists_it_as_weak_evidence() {
        let m = ModuleFunctions {
            module: "example.com/proj".into(),
            repo: "proj".into(),
            vendored: false,
            functions: vec![func("Open", "open.go", 12, 22)],
        };
        let r = match_module(
            &m,
            &three_revisions(),
            PclntabLayout::Go120,
            None,
            ("linux", None),
        )
        .unwrap();
        // v1.1 and v1.2 declare Open at 12: tied; the older one is compared.
        assert_eq!(r.tied, vec!["v1.1".to_string(), "v1.2".to_string()]);
        assert_eq!(r.compared_with.as_deref(), Some("v1.1"));
        let absent: Vec<&str> = r.absent.iter().map(|f| f.function.as_str()).collect();
        assert_eq!(
            absent,
            vec![
                "example.com/proj/libct.(*File).Close",
                "example.com/proj/libct.Check"
            ]
        );
        assert_eq!(r.absent[1].file.as_deref(), Some("libct/check.go"));
    }

    #[test]
    fn older_layouts_match_an_entry_line_inside_the_declaration() {
        let d = vec![decl("open.go", 10, 20)];
        let (_, mut f) = func("Open", "open.go", 11, 19);
        assert_eq!(
            status(&f, Some(&d), PclntabLayout::Go118),
            FunctionStatus::Exact
        );
        assert_eq!(
            status(&f, Some(&d), PclntabLayout::Go120),
            FunctionStatus::SameFile
        );
        f.end_line = Some(25);
        assert_eq!(
            status(&f, Some(&d), PclntabLayout::Go118),
            FunctionStatus::SameFile
        );
        f.file = Some("other.go".into());
        assert_eq!(
            status(&f, Some(&d), PclntabLayout::Go118),
            FunctionStatus::Declared
        );
        assert_eq!(
            status(&f, None, PclntabLayout::Go118),
            FunctionStatus::Missing
        );
    }
}
