//! `archeo identify`: artifacts on disk (binaries, layers, images, packages) -> the pinned
//! upstream revisions they were built from ([`crate::artifact`] reads and matches), where an
//! unpinned commit lies between pinned tags (the cache's history), and which rule findings the
//! matched revisions carry (the index). Nothing from an artifact is ever executed.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::artifact::{self, Artifact, Confidence, Identification, ScanOptions};
use crate::index::Index;
use crate::index::citation::Citation;
use crate::query::findings::{self, Selection};
use crate::query::search::Scope;
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
}

impl IdentifyReport {
    /// Was anything tied to a pin?
    pub fn any_identified(&self) -> bool {
        self.items
            .iter()
            .any(|i| i.id.confidence != Confidence::Unknown)
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
    let upstream = artifact::Upstream {
        pins: src.pins,
        aliases: src.aliases,
        locate_commit: &locate,
        vendored_modules: &vendored,
    };
    let mut report = IdentifyReport {
        rules: req.rules.clone(),
        ..Default::default()
    };
    let mut at_pin: HashMap<String, Vec<RuleAtPin>> = HashMap::new();
    for path in &req.paths {
        for a in artifact::scan(path, &ScanOptions::default())? {
            let id = artifact::identify(&a, &upstream);
            let rules = match (&id.pin, src.index) {
                (Some(p), Some(index)) if !req.rules.is_empty() || req.all_rules => {
                    let sel = format!("{}@{}", p.repo, p.rev);
                    if index.find(&p.repo, &p.rev).is_none() {
                        if !report.not_indexed.contains(&sel) {
                            report.not_indexed.push(sel);
                        }
                        Vec::new()
                    } else {
                        match at_pin.get(&sel) {
                            Some(r) => r.clone(),
                            None => {
                                let r = rules_at(index, &sel, req)?;
                                at_pin.insert(sel, r.clone());
                                r
                            }
                        }
                    }
                }
                _ => Vec::new(),
            };
            let permalink = id
                .pin
                .as_ref()
                .map(|p| crate::index::citation::tree_link(&p.url, &p.commit));
            report.items.push(Identified {
                artifact: a,
                id,
                permalink,
                rules,
            });
        }
    }
    if req.all_rules {
        let mut all: Vec<String> = report
            .items
            .iter()
            .flat_map(|i| i.rules.iter().map(|r| r.rule.clone()))
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
