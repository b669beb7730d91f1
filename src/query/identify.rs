//! `archeo identify`: artifacts on disk (binaries, layers, images, packages) -> the pinned
//! upstream revisions they were built from ([`crate::artifact`] reads and matches), where an
//! unpinned commit lies between pinned tags (the cache's history), and which rule findings the
//! matched revisions carry (the index); for Rust binaries, the `[package]` of every
//! `Cargo.toml` and the versions of every `Cargo.lock` at each indexed revision, which place
//! crates at the revisions declaring them. Nothing from an artifact is ever executed.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::artifact::{self, Artifact, Confidence, Identification, ScanOptions};
use crate::index::Index;
use crate::index::citation::Citation;
use crate::lang::DeclKind;
use crate::query::findings::{self, Selection};
use crate::query::search::{Scope, search};
use crate::query::syntax::{Filter, Query};
use crate::source::git::CachedRepo;
use crate::source::lock::{Pin, RefKind};

/// What identification reads besides the artifacts.
pub struct Sources<'a> {
    /// Every pinned revision.
    pub pins: &'a [Pin],
    /// `(alias, repo)` from the manifest: module paths or package names standing for a repo.
    pub aliases: &'a [(String, String)],
    /// The repository cache (for the history of unpinned commits).
    pub cache_dir: &'a Path,
    /// The index, when there is one: vendored modules and findings of the matched revisions.
    pub index: Option<&'a Index>,
}

/// What to identify and what to report about the matches.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// Files, directories or archives.
    pub paths: Vec<PathBuf>,
    /// Rules whose findings to report for each matched revision (all rules with `all_rules`).
    pub rules: Vec<String>,
    /// Report every rule's findings.
    pub all_rules: bool,
}

/// A rule's findings at a matched revision.
#[derive(Debug, Clone)]
pub struct RuleAtPin {
    /// The rule id.
    pub rule: String,
    /// Its findings there (empty: the revision does not carry it).
    pub cites: Vec<Citation>,
}

/// One artifact and what it was identified as.
#[derive(Debug, Clone)]
pub struct Identified {
    /// What was read from it, with provenance.
    pub artifact: Artifact,
    /// What it matches.
    pub id: Identification,
    /// A link to the matched revision's tree on its immutable commit.
    pub permalink: Option<String>,
    /// The requested rules' findings at the matched revision (when it is indexed).
    pub rules: Vec<RuleAtPin>,
    /// The requested rules' findings at the pinned revisions a Rust binary's crates matched
    /// (other than the artifact's own), by `repo@rev`.
    pub crate_rules: BTreeMap<String, Vec<RuleAtPin>>,
}

impl Identified {
    /// `repo@rev` of the pinned revisions the artifact's crates matched, besides its own, with
    /// the crates each holds (`pathrs 0.2.5`), in crate order.
    pub fn crate_pins(&self) -> Vec<(String, Vec<String>)> {
        let own = self
            .id
            .pin
            .as_ref()
            .map(|p| format!("{}@{}", p.repo, p.rev));
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for c in &self.id.crates {
            let Some(p) = &c.pin else { continue };
            let sel = format!("{}@{}", p.repo, p.rev);
            if own.as_deref() == Some(sel.as_str()) {
                continue;
            }
            let label = c.found.label();
            match out.iter_mut().find(|(s, _)| *s == sel) {
                Some((_, crates)) => crates.push(label),
                None => out.push((sel, vec![label])),
            }
        }
        out
    }
}

/// Everything `archeo identify` found.
#[derive(Debug, Clone, Default)]
pub struct IdentifyReport {
    /// One entry per artifact, in scan order.
    pub items: Vec<Identified>,
    /// The rules asked about.
    pub rules: Vec<String>,
    /// Matched revisions that the index does not hold (their findings are unknown).
    pub not_indexed: Vec<String>,
    /// ELF files found inside directories and archives, without Go build information, that
    /// nothing ties to a pinned repository: counted, not listed.
    pub unmatched_elf: usize,
}

impl IdentifyReport {
    /// Was anything tied to a pin (an artifact, or a crate in one)?
    pub fn any_identified(&self) -> bool {
        self.items.iter().any(|i| {
            i.id.confidence != Confidence::Unknown || i.id.crates.iter().any(|c| c.pin.is_some())
        })
    }

    /// `(artifact path, rule, revision)` for every artifact whose matched revision carries one of
    /// `rules`: what a `--fail-on` gate refuses.
    pub fn carrying(&self, rules: &[String]) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for item in &self.items {
            for r in item.rules.iter().filter(|r| rules.contains(&r.rule)) {
                if let (false, Some(p)) = (r.cites.is_empty(), &item.id.pin) {
                    out.push((
                        item.artifact.path.clone(),
                        r.rule.clone(),
                        format!("{}@{}", p.repo, p.rev),
                    ));
                }
            }
            for (sel, crates) in item.crate_pins() {
                let Some(found) = item.crate_rules.get(&sel) else {
                    continue;
                };
                for r in found.iter().filter(|r| rules.contains(&r.rule)) {
                    if !r.cites.is_empty() {
                        out.push((
                            item.artifact.path.clone(),
                            r.rule.clone(),
                            format!("{sel} (crate {} compiled in)", crates.join(", ")),
                        ));
                    }
                }
            }
        }
        out
    }
}

/// Scans every path and identifies what it holds.
pub fn identify(src: &Sources, req: &Request) -> Result<IdentifyReport> {
    let history = History::new(src);
    let locate = |repo: &str, commit: &str| history.locate(repo, commit);
    let vendored = |pin: &Pin| {
        let rev = src.index?.find(&pin.repo, &pin.rev)?;
        Some(
            rev.vendor
                .iter()
                .map(|m| (m.module.clone(), m.version.clone()))
                .collect(),
        )
    };
    let decls = RefCell::new(Declarations::default());
    let declarations = |repo: &str, dirs: &[String]| match src.index {
        None => Ok(None),
        Some(index) => decls
            .borrow_mut()
            .of(index, src.pins, repo, dirs)
            .map_err(|e| format!("{e:#}")),
    };
    let cargo = RefCell::new(CargoFiles::default());
    let cargo_packages = |repo: &str| match src.index {
        None => Ok(None),
        Some(index) => cargo
            .borrow_mut()
            .packages(index, src.pins, repo)
            .map_err(|e| format!("{e:#}")),
    };
    let cargo_lock = |pin: &Pin| {
        let index = src.index?;
        cargo.borrow_mut().lock(index, pin).ok().flatten()
    };
    let upstream = artifact::Upstream {
        pins: src.pins,
        aliases: src.aliases,
        locate_commit: &locate,
        vendored_modules: &vendored,
        declarations: &declarations,
        cargo_packages: &cargo_packages,
        cargo_lock: &cargo_lock,
    };
    let mut report = IdentifyReport {
        rules: req.rules.clone(),
        ..Default::default()
    };
    let mut at_pin: HashMap<String, Vec<RuleAtPin>> = HashMap::new();
    let wants_rules = !req.rules.is_empty() || req.all_rules;
    let mut rules_of = |pin: &Pin, report: &mut IdentifyReport| -> Result<Vec<RuleAtPin>> {
        let Some(index) = src.index.filter(|_| wants_rules) else {
            return Ok(Vec::new());
        };
        let sel = format!("{}@{}", pin.repo, pin.rev);
        if index.find(&pin.repo, &pin.rev).is_none() {
            if !report.not_indexed.contains(&sel) {
                report.not_indexed.push(sel);
            }
            return Ok(Vec::new());
        }
        if let Some(r) = at_pin.get(&sel) {
            return Ok(r.clone());
        }
        let r = rules_at(index, &sel, req)?;
        at_pin.insert(sel, r.clone());
        Ok(r)
    };
    for path in &req.paths {
        for a in artifact::scan(path, &ScanOptions::default())? {
            let id = artifact::identify(&a, &upstream);
            // A non-Go file found inside a tree or an archive that nothing ties to a pinned
            // repository is one of the many programs an image holds: counted, not listed.
            if !a.named
                && a.native.is_some()
                && a.package.is_none()
                && id.component.is_none()
                && !id.crates.iter().any(|c| c.pin.is_some())
            {
                report.unmatched_elf += 1;
                continue;
            }
            let rules = match &id.pin {
                Some(p) => rules_of(p, &mut report)?,
                None => Vec::new(),
            };
            let permalink = id
                .pin
                .as_ref()
                .map(|p| crate::index::citation::tree_link(&p.url, &p.commit));
            let mut item = Identified {
                artifact: a,
                id,
                permalink,
                rules,
                crate_rules: BTreeMap::new(),
            };
            for (sel, _) in item.crate_pins() {
                let pin = item
                    .id
                    .crates
                    .iter()
                    .filter_map(|c| c.pin.as_ref())
                    .find(|p| format!("{}@{}", p.repo, p.rev) == sel)
                    .expect("crate_pins names crates' pins")
                    .clone();
                let found = rules_of(&pin, &mut report)?;
                item.crate_rules.insert(sel, found);
            }
            report.items.push(item);
        }
    }
    if req.all_rules {
        let mut all: Vec<String> = report
            .items
            .iter()
            .flat_map(|i| {
                i.rules
                    .iter()
                    .chain(i.crate_rules.values().flatten())
                    .map(|r| r.rule.clone())
            })
            .collect();
        all.sort();
        all.dedup();
        report.rules = all;
    }
    Ok(report)
}

/// The requested rules' findings at one revision (every rule when `all_rules`).
fn rules_at(index: &Index, sel: &str, req: &Request) -> Result<Vec<RuleAtPin>> {
    let s = Selection {
        rules: if req.all_rules {
            Vec::new()
        } else {
            req.rules.clone()
        },
        scope: Scope {
            at: vec![sel.to_string()],
            ..Default::default()
        },
    };
    let mut by_rule: BTreeMap<String, Vec<Citation>> =
        req.rules.iter().map(|r| (r.clone(), Vec::new())).collect();
    for f in findings::query(index, &s)? {
        by_rule.entry(f.rule).or_default().push(f.cite);
    }
    Ok(by_rule
        .into_iter()
        .map(|(rule, cites)| RuleAtPin { rule, cites })
        .collect())
}

/// How a `--fail-on` query gate was decided for one artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GateVerdict {
    /// The evidence settles it; `false` when the binary holds the function but the matched
    /// revision does not declare it (backported or newer code: its content is unknown).
    pub decided: bool,
    /// The artifact holds what the gate refuses.
    pub trips: bool,
    /// The matched revision the query was searched at, when it was.
    pub revision: Option<String>,
    /// Which evidence decided, in a sentence.
    pub evidence: String,
}

/// Decides a query gate (`rule:sysctl-write sym:WriteSysctls`, `sym:WriteSysctls`) for one
/// artifact. With `sym:` names and a Go function table, the binary itself decides first: a
/// function it does not hold (with code or inlined, in any package outside the standard
/// library) cannot hold the finding, whatever the matched release has; a gate of `sym:`
/// names alone trips on the functions' presence. Otherwise (or when the function is there and
/// the query asks for more) the query is searched at the matched revision. `None`: nothing to
/// decide with (no function table to read and no matched revision, or one not indexed).
pub fn decide_query_gate(
    index: &Index,
    item: &Identified,
    q: &Query,
) -> Result<Option<GateVerdict>> {
    let syms = q.filter_values(|f| match f {
        Filter::Sym(s) => Some(s),
        _ => None,
    });
    let at = item
        .id
        .pin
        .as_ref()
        .map(|p| format!("{}@{}", p.repo, p.rev));
    let how = format!("{} ({})", at.as_deref().unwrap_or(""), item.id.confidence);
    let mut held = Vec::new();
    if let (Some(table), false) = (&item.artifact.functions, syms.is_empty()) {
        for sym in &syms {
            match function_named(table, sym) {
                Some(found) => held.push(found),
                None => {
                    return Ok(Some(GateVerdict {
                        decided: true,
                        trips: false,
                        revision: None,
                        evidence: format!(
                            "decided by the binary's function table: it holds no function {sym} (with code or inlined) outside the standard library, so the binary cannot hold it{}",
                            at.as_ref()
                                .map(|a| format!(", whatever {a} has"))
                                .unwrap_or_default()
                        ),
                    }));
                }
            }
        }
        let only_syms = q.expr.is_none()
            && q.within.is_none()
            && q.excluded_filters.is_empty()
            && q.filters.iter().all(|f| matches!(f, Filter::Sym(_)));
        if only_syms {
            return Ok(Some(GateVerdict {
                decided: true,
                trips: true,
                revision: None,
                evidence: format!(
                    "decided by the binary's function table: it holds {}",
                    held.join(", ")
                ),
            }));
        }
    }
    let Some(at) = at.filter(|a| index.resolve(a).is_ok()) else {
        return Ok(None);
    };
    let scope = Scope {
        at: vec![at.clone()],
        ..Default::default()
    };
    let found = !search(index, q, &scope, 0, Some(1))?.hits.is_empty();
    if !found && !held.is_empty() {
        // Does the matched revision declare the functions at all?
        let names: Vec<String> = syms.iter().map(|s| format!("sym:{s}")).collect();
        let declared = Query::parse(&names.join(" "))
            .map(|only| search(index, &only, &scope, 0, Some(1)))
            .map_or(Ok(true), |r| r.map(|r| !r.hits.is_empty()))?;
        if !declared {
            return Ok(Some(GateVerdict {
                decided: false,
                trips: false,
                revision: Some(at.clone()),
                evidence: format!(
                    "the binary holds {} but the matched revision {how} does not declare it (backported or newer code): what the function holds is unknown; pin the release it comes from",
                    held.join(", ")
                ),
            }));
        }
    }
    let evidence = if held.is_empty() {
        format!(
            "decided by the matched revision {how}: the query {} lines there{}",
            if found { "finds" } else { "finds no" },
            if item.artifact.functions.is_some() || syms.is_empty() || item.artifact.go.is_none() {
                ""
            } else {
                "; the binary's own function table could not be read"
            }
        )
    } else {
        format!(
            "decided by the binary's function table and the matched revision {how}: the binary holds {}, and the query {} lines in it there",
            held.join(", "),
            if found { "finds" } else { "finds no" }
        )
    };
    Ok(Some(GateVerdict {
        decided: true,
        trips: found,
        revision: Some(at),
        evidence,
    }))
}

/// Decides a query gate at the pinned revisions a Rust binary's crates matched (the crate's
/// code is compiled into the binary): one verdict per indexed crate revision.
pub fn decide_query_gate_at_crates(
    index: &Index,
    item: &Identified,
    q: &Query,
) -> Result<Vec<GateVerdict>> {
    let mut out = Vec::new();
    for (sel, crates) in item.crate_pins() {
        if index.resolve(&sel).is_err() {
            continue; // reported as not indexed
        }
        let scope = Scope {
            at: vec![sel.clone()],
            ..Default::default()
        };
        let found = !search(index, q, &scope, 0, Some(1))?.hits.is_empty();
        out.push(GateVerdict {
            decided: true,
            trips: found,
            revision: Some(sel.clone()),
            evidence: format!(
                "decided by the pinned revision {sel} of crate {} compiled into the binary (by its version): the query {} lines there",
                crates.join(", "),
                if found { "finds" } else { "finds no" }
            ),
        });
    }
    Ok(out)
}

/// A function of the binary named `sym` (its name, or its receiver and name, as `sym:` matches
/// declarations), outside the standard library: `pkg.F (file:line) [where read]`.
fn function_named(table: &artifact::FunctionTable, sym: &str) -> Option<String> {
    let matches = |name: &str| {
        let Some((package, key)) = artifact::split_symbol(name) else {
            return false;
        };
        let ident = key.rsplit('.').next().unwrap_or(&key);
        let outside_std = package == "main"
            || package
                .split('/')
                .next()
                .is_some_and(|first| first.contains('.'));
        outside_std && (ident.eq_ignore_ascii_case(sym) || key.eq_ignore_ascii_case(sym))
    };
    if let Some(f) = table.functions.iter().find(|f| matches(&f.name)) {
        let place = match (table.file(f), f.start_line) {
            (Some(file), Some(l)) => format!(" ({file}:{l})"),
            (Some(file), None) => format!(" ({file})"),
            _ => String::new(),
        };
        return Some(format!("{}{place} [{}]", f.name, table.provenance(f)));
    }
    table
        .inlined
        .iter()
        .find(|n| matches(n))
        .map(|n| format!("{n} (only inlined into its callers)"))
}

/// Per-revision function declarations of a repository's package directories, read from the
/// index: each file version's declarations once (a blob ordinal -> its functions and
/// methods), each directory state (the same files at the same versions) once however many
/// revisions share it.
#[derive(Default)]
struct Declarations {
    /// Blob ordinal -> (declaration, first line, last line) of its functions and methods.
    blobs: HashMap<u32, Vec<(String, u32, u32)>>,
}

impl Declarations {
    /// The declarations of `dirs` in every indexed revision of `repo`; `None` when the index
    /// holds none of its revisions. Damage (a tree or a record failing its checksum) is an
    /// error naming the fix, never an empty file counted as missing functions.
    fn of(
        &mut self,
        index: &Index,
        pins: &[Pin],
        repo: &str,
        dirs: &[String],
    ) -> Result<Option<artifact::RepoDeclarations>> {
        let revs = index.ordered(repo);
        if revs.is_empty() {
            return Ok(None);
        }
        let wanted: HashSet<&str> = dirs.iter().map(String::as_str).collect();
        // Path id -> (directory, file name) for Go source files in a wanted directory.
        let mut paths: HashMap<u32, Option<(String, String)>> = HashMap::new();
        let mut states: HashMap<(String, Vec<u32>), usize> = HashMap::new();
        let mut out = artifact::RepoDeclarations::default();
        for rev in revs {
            let mut per_dir: BTreeMap<String, Vec<(String, u32)>> = BTreeMap::new();
            for (path, ord) in index.tree_entries(rev)? {
                let place = match paths.get(&path) {
                    Some(p) => p,
                    None => {
                        let p = index.path(path)?;
                        let (dir, file) = p.rsplit_once('/').unwrap_or(("", p));
                        let go = p.ends_with(".go") && !p.ends_with("_test.go");
                        let place = (go && wanted.contains(dir))
                            .then(|| (dir.to_string(), file.to_string()));
                        paths.entry(path).or_insert(place)
                    }
                };
                if let Some((dir, file)) = place {
                    per_dir
                        .entry(dir.clone())
                        .or_default()
                        .push((file.clone(), ord));
                }
            }
            let mut rev_dirs = HashMap::new();
            for (dir, files) in per_dir {
                let key = (dir.clone(), files.iter().map(|(_, o)| *o).collect());
                let next = out.packages.len();
                let at = *states.entry(key).or_insert(next);
                if at == next {
                    let mut pkg = artifact::PackageDeclarations::default();
                    for (file, ord) in &files {
                        if !self.blobs.contains_key(ord) {
                            let funcs = index
                                .decls_at(*ord)?
                                .into_iter()
                                .filter(|d| matches!(d.kind, DeclKind::Func | DeclKind::Method))
                                .map(|d| (d.name, d.start, d.end))
                                .collect();
                            self.blobs.insert(*ord, funcs);
                        }
                        let funcs = &self.blobs[ord];
                        for (name, start, end) in funcs.iter() {
                            pkg.funcs
                                .entry(name.clone())
                                .or_default()
                                .push(artifact::DeclaredAt {
                                    file: file.clone(),
                                    start: *start,
                                    end: *end,
                                });
                        }
                    }
                    out.packages.push(pkg);
                }
                rev_dirs.insert(dir, at);
            }
            out.revisions.push(artifact::RevisionDeclarations {
                pin: pin_of(pins, rev),
                dirs: rev_dirs,
            });
        }
        Ok(Some(out))
    }
}

/// What a `Cargo.toml` declares: its `[package]` name and version (`None`: inherited from the
/// workspace), and its `[workspace.package]` version.
#[derive(Debug, Clone, Default)]
struct ManifestFacts {
    name: Option<String>,
    version: Option<String>,
    inherits_version: bool,
    workspace_version: Option<String>,
}

impl ManifestFacts {
    /// Reads a `Cargo.toml` (one that does not parse declares nothing).
    fn read(text: &str) -> ManifestFacts {
        let Ok(doc) = text.parse::<toml::Table>() else {
            return ManifestFacts::default();
        };
        let package = doc.get("package").and_then(|p| p.as_table());
        let version = package.and_then(|p| p.get("version"));
        ManifestFacts {
            name: package
                .and_then(|p| p.get("name"))
                .and_then(|n| n.as_str())
                .map(str::to_string),
            version: version.and_then(|v| v.as_str()).map(str::to_string),
            inherits_version: version
                .and_then(|v| v.as_table())
                .and_then(|t| t.get("workspace"))
                .and_then(|w| w.as_bool())
                == Some(true),
            workspace_version: doc
                .get("workspace")
                .and_then(|w| w.get("package"))
                .and_then(|p| p.get("version"))
                .and_then(|v| v.as_str())
                .map(str::to_string),
        }
    }
}

/// Which cargo file a path is (vendored copies are other projects' files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CargoFile {
    Manifest,
    Lock,
}

fn cargo_file(path: &str) -> Option<CargoFile> {
    if path.starts_with("vendor/") || path.contains("/vendor/") {
        return None;
    }
    let name = path.rsplit('/').next().unwrap_or(path);
    match name {
        "Cargo.toml" => Some(CargoFile::Manifest),
        "Cargo.lock" => Some(CargoFile::Lock),
        _ => None,
    }
}

/// The `Cargo.toml` packages and `Cargo.lock` versions of indexed revisions, read from the
/// index: each file version once, each repository's answer once.
#[derive(Default)]
struct CargoFiles {
    /// Path id -> which cargo file it is.
    paths: HashMap<u32, Option<CargoFile>>,
    /// Blob ordinal -> what its `Cargo.toml` declares.
    manifests: HashMap<u32, ManifestFacts>,
    /// Blob ordinal -> its `Cargo.lock` `(name, version)` pairs.
    locks: HashMap<u32, Vec<(String, String)>>,
    /// Repository -> its packages per indexed revision.
    repos: HashMap<String, Option<Vec<artifact::RevisionPackages>>>,
}

impl CargoFiles {
    /// The cargo files of one revision: `(path, kind, blob ordinal)`.
    fn files(
        &mut self,
        index: &Index,
        rev: &crate::index::catalog::IndexedRev,
    ) -> Result<Vec<(String, CargoFile, u32)>> {
        let mut out = Vec::new();
        for (path, ord) in index.tree_entries(rev)? {
            let kind = match self.paths.get(&path) {
                Some(k) => *k,
                None => {
                    let k = cargo_file(index.path(path)?);
                    self.paths.insert(path, k);
                    k
                }
            };
            if let Some(k) = kind {
                out.push((index.path(path)?.to_string(), k, ord));
            }
        }
        Ok(out)
    }

    fn text(index: &Index, ord: u32) -> Result<String> {
        Ok(index.file_at(ord)?.content)
    }

    fn packages(
        &mut self,
        index: &Index,
        pins: &[Pin],
        repo: &str,
    ) -> Result<Option<Vec<artifact::RevisionPackages>>> {
        if let Some(known) = self.repos.get(repo) {
            return Ok(known.clone());
        }
        let revs = index.ordered(repo);
        if revs.is_empty() {
            self.repos.insert(repo.to_string(), None);
            return Ok(None);
        }
        let mut out = Vec::new();
        for rev in revs {
            let files = self.files(index, rev)?;
            let mut facts: Vec<(String, ManifestFacts)> = Vec::new();
            for (path, kind, ord) in files {
                if kind != CargoFile::Manifest {
                    continue;
                }
                let f = match self.manifests.entry(ord) {
                    std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::hash_map::Entry::Vacant(e) => {
                        e.insert(ManifestFacts::read(&Self::text(index, ord)?))
                    }
                };
                facts.push((path, f.clone()));
            }
            let workspace_version = facts
                .iter()
                .find(|(p, _)| p == "Cargo.toml")
                .and_then(|(_, f)| f.workspace_version.clone());
            let packages = facts
                .into_iter()
                .filter_map(|(manifest, f)| {
                    Some(artifact::CargoPackage {
                        version: f.version.or_else(|| {
                            f.inherits_version
                                .then(|| workspace_version.clone())
                                .flatten()
                        }),
                        name: f.name?,
                        manifest,
                    })
                })
                .collect();
            out.push(artifact::RevisionPackages {
                pin: pin_of(pins, rev),
                packages,
            });
        }
        self.repos.insert(repo.to_string(), Some(out.clone()));
        Ok(Some(out))
    }

    /// The `(name, version)` pairs of a pinned revision's `Cargo.lock` files; `None` when the
    /// revision is not indexed or has none.
    fn lock(&mut self, index: &Index, pin: &Pin) -> Result<Option<Vec<(String, String)>>> {
        let Some(rev) = index.find(&pin.repo, &pin.rev) else {
            return Ok(None);
        };
        let files = self.files(index, rev)?;
        let mut out = Vec::new();
        let mut any = false;
        for (path, kind, ord) in files {
            if kind != CargoFile::Lock {
                continue;
            }
            any = true;
            let pairs = match self.locks.entry(ord) {
                std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::hash_map::Entry::Vacant(e) => e.insert(
                    crate::deps::extract(&path, &Self::text(index, ord)?)
                        .into_iter()
                        .filter(|e| e.kind == crate::deps::EdgeKind::CargoLock)
                        .map(|e| (e.name, e.version))
                        .collect(),
                ),
            };
            out.extend(pairs.iter().cloned());
        }
        Ok(any.then_some(out))
    }
}

/// The pin of an indexed revision (its catalog entry when the lock no longer names it).
fn pin_of(pins: &[Pin], rev: &crate::index::catalog::IndexedRev) -> Pin {
    pins.iter()
        .find(|p| p.repo == rev.repo && p.rev == rev.rev && p.commit == rev.commit)
        .cloned()
        .unwrap_or_else(|| Pin {
            repo: rev.repo.clone(),
            url: rev.url.clone(),
            rev: rev.rev.clone(),
            kind: rev.kind,
            commit: rev.commit.clone(),
        })
}

/// Where unpinned commits lie among a repository's pinned tags, from the cache's history.
struct History<'a> {
    src: &'a Sources<'a>,
    repos: RefCell<HashMap<String, Option<CachedRepo>>>,
}

impl<'a> History<'a> {
    fn new(src: &'a Sources<'a>) -> History<'a> {
        History {
            src,
            repos: RefCell::new(HashMap::new()),
        }
    }

    /// `(newest pinned tag before, oldest pinned tag after)` `commit`, when the cache has it.
    fn locate(&self, repo: &str, commit: &str) -> Option<artifact::TagsAround> {
        let mut repos = self.repos.borrow_mut();
        let cached = repos.entry(repo.to_string()).or_insert_with(|| {
            let url = &self.src.pins.iter().find(|p| p.repo == repo)?.url;
            CachedRepo::open(self.src.cache_dir, repo, url, false).ok()?
        });
        let cached = cached.as_ref()?;
        let full = cached.resolve_commit_prefix(commit).ok()??;
        let before_set = cached.ancestors(&full).ok()?;
        let mut tags: Vec<&Pin> = self
            .src
            .pins
            .iter()
            .filter(|p| p.repo == repo && p.kind == RefKind::Tag)
            .collect();
        tags.sort_by(|a, b| crate::version::cmp_versions(&a.rev, &b.rev));
        let before = tags
            .iter()
            .rev()
            .find(|t| before_set.contains(&t.commit))
            .map(|t| t.rev.clone());
        let mut seen: HashSet<&str> = HashSet::new();
        let after = tags.iter().find(|t| {
            !before_set.contains(&t.commit)
                && seen.insert(t.commit.as_str())
                && cached.ancestors(&t.commit).is_ok_and(|a| a.contains(&full))
        });
        Some((before, after.map(|t| t.rev.clone())))
    }
}
