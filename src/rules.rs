//! Rules: tree-sitter queries users own. The built-in pack (`queries/LANG/*.scm` of archeo's
//! source) is embedded in the binary at compile time; rule directories add to it or override a
//! rule by id: `queries/` beside the manifest, the manifest's `[rules] paths`, then `--rules DIR`
//! (later layers win). Each file starts with a metadata header of `; key: value` comment lines;
//! the query's `@match` capture is what a finding reports, and the captures listed in `facts`
//! become named facts (identifiers normalised to their constant names). This module loads, runs
//! and tests rules; it stores nothing.
//!
//! ```scheme
//! ; id: openat2-resolve-no-xdev
//! ; title: openat2 with RESOLVE_NO_XDEV
//! ; category: procfs
//! ; references: https://example.org/advisory
//! ; facts: resolve
//! ; fact-filter: resolve = RESOLVE_*
//! ; requires: RESOLVE_NO_XDEV
//! ((composite_literal) @match ...)
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use tree_sitter::{Node, Query, QueryCursor, StreamingIterator, Tree};

use crate::error::{FileError, Location};
use crate::lang::{Lang, Parsed};

mod prefilter;
use prefilter::{Live, Prefilter};

/// A loaded, compiled rule.
pub struct Rule {
    /// Its metadata header.
    pub meta: RuleMeta,
    /// The file it was loaded from (`built-in:go/NAME.scm` for the embedded pack).
    pub file: PathBuf,
    /// Where it came from, and what it replaced.
    pub origin: RuleOrigin,
    /// The language whose syntax trees it matches.
    pub lang: Lang,
    /// `; requires:` literals: a file holding none of them cannot match (a cheap prefilter).
    requires: Vec<String>,
    source: String,
    query: Query,
    match_index: u32,
    /// capture name -> (capture index, identifier filter)
    facts: Vec<(String, u32, Option<globset::GlobMatcher>)>,
    /// Which of the query's patterns may match a file, from their own predicates.
    prefilter: Prefilter,
    /// Per pattern, the pattern alone as a query, compiled when first needed: run instead of
    /// the whole query when the prefilter leaves only some patterns.
    patterns: Vec<std::sync::OnceLock<Option<PatternQuery>>>,
}

/// One pattern of a rule's query compiled alone, with its own capture indices.
struct PatternQuery {
    query: Query,
    match_index: u32,
    /// The index of each of the rule's facts in this query (None: the pattern lacks it).
    facts: Vec<Option<u32>>,
}

/// A rule's metadata header.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RuleMeta {
    /// Its id (`openat2-resolve-no-xdev`).
    pub id: String,
    /// One-line title.
    pub title: String,
    /// What it finds and why it matters.
    pub description: String,
    /// A grouping (`procfs`, `seccomp`).
    pub category: String,
    /// Advisories, issues, commits.
    pub references: Vec<String>,
    /// Captures reported as named facts.
    pub facts: Vec<String>,
}

/// A rule's match in one file version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Finding {
    /// The rule id.
    pub rule: String,
    /// The blob it was found in.
    pub blob: String,
    /// First line.
    pub start: u32,
    /// Last line.
    pub end: u32,
    /// The innermost declaration holding it.
    pub decl: Option<String>,
    /// The matched source text.
    pub text: String,
    /// Named facts, values sorted.
    pub facts: BTreeMap<String, Vec<String>>,
}

impl Finding {
    /// Identity across versions: rule, declaration and the matched text with whitespace and
    /// comments removed — never line numbers.
    pub fn identity(&self) -> String {
        format!(
            "{}\u{1f}{}\u{1f}{}",
            self.rule,
            self.decl.as_deref().unwrap_or(""),
            normalise_code(&self.text)
        )
    }
}

/// Code text without comments and whitespace, for identity comparisons.
pub fn normalise_code(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        let line = match line.find("//") {
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        };
        out.extend(line.chars().filter(|c| !c.is_whitespace()));
    }
    out
}

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Where a loaded rule came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleOrigin {
    /// The pack embedded in the binary at compile time.
    BuiltIn,
    /// A rule directory: `queries/` beside the manifest, `[rules] paths` or `--rules`.
    Dir {
        /// The directory as configured.
        dir: PathBuf,
        /// What it replaced, when a rule with its id was loaded before: `built-in`, or the
        /// file of the replaced rule. `None` when the id is new, or when the text is the same
        /// as the rule it would replace (then the earlier one is kept).
        overrides: Option<String>,
    },
}

impl RuleOrigin {
    /// `built-in`, `DIR`, or `DIR, overrides built-in`, as `rules list` prints it.
    pub fn describe(&self) -> String {
        match self {
            RuleOrigin::BuiltIn => "built-in".into(),
            RuleOrigin::Dir {
                dir,
                overrides: None,
            } => dir.display().to_string(),
            RuleOrigin::Dir {
                dir,
                overrides: Some(o),
            } => format!("{}, overrides {o}", dir.display()),
        }
    }
}

/// The loaded rules.
#[derive(Default)]
pub struct RuleSet {
    /// In load order (an override takes the place of the rule it replaces).
    pub rules: Vec<Rule>,
    /// Queries joining the patterns several rules run on one file, by what they join, compiled
    /// when first needed (None: they did not compile together).
    joined: std::sync::Mutex<std::collections::HashMap<JoinKey, Option<std::sync::Arc<Joined>>>>,
}

/// The patterns a joined query holds: per rule (its index and id), all its patterns or these.
type JoinKey = Vec<(usize, String, Option<Vec<usize>>)>;

/// Several rules' patterns in one query, so one walk of a file's tree serves them all.
struct Joined {
    query: Query,
    /// Per pattern of `query`: the rule (an index into `RuleSet::rules`), its `@match`
    /// capture index and the index of each of the rule's facts in `query`.
    patterns: Vec<(usize, u32, Vec<Option<u32>>)>,
}

/// A rule file read and its header checked, its query not compiled yet.
pub struct RuleSource {
    /// Its metadata header.
    pub meta: RuleMeta,
    /// The file it was loaded from (`built-in:go/NAME.scm` for the embedded pack).
    pub file: PathBuf,
    /// Where it came from, and what it replaced.
    pub origin: RuleOrigin,
    /// The language whose syntax trees it matches.
    pub lang: Lang,
    filters: BTreeMap<String, String>,
    requires: Vec<String>,
    source: String,
}

/// The rules of a project read and layered, not compiled: their ids, headers and fingerprint.
/// Enough for the commands that read findings from the index and never run a rule (compiling
/// every tree-sitter query is most of what loading costs); [`RuleSources::compile`] gives the
/// [`RuleSet`] that runs them.
#[derive(Default)]
pub struct RuleSources {
    /// In load order (an override takes the place of the rule it replaces).
    pub rules: Vec<RuleSource>,
}

/// The rule directory a project keeps beside its manifest, when it has one.
pub fn project_dir(manifest_dir: &Path) -> Option<PathBuf> {
    let local = manifest_dir.join("queries");
    local.is_dir().then_some(local)
}

/// A stable fingerprint of rules' sources (FNV-1a over ids and query texts).
fn fingerprint<'a>(rules: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for (id, source) in rules {
        for b in id.bytes().chain([0]).chain(source.bytes()).chain([0]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")
}

impl RuleSources {
    /// The rules embedded in the binary.
    pub fn builtin() -> Result<RuleSources> {
        let mut rules = Vec::new();
        for (rel, text) in BUILTIN_RULES {
            let lang_name = rel.split('/').next().unwrap_or("go");
            let lang = crate::lang::LANGUAGES
                .iter()
                .find(|l| l.name() == lang_name)
                .map(|l| l.lang())
                .with_context(|| format!("built-in rule {rel}: no language {lang_name:?}"))?;
            let path = PathBuf::from(format!("built-in:{rel}"));
            let mut rule = RuleSource::parse(&path, text, lang)?;
            rule.origin = RuleOrigin::BuiltIn;
            rules.push(rule);
        }
        Ok(RuleSources { rules })
    }

    /// A project's rules: the built-in pack, then `queries/` beside the manifest, the
    /// manifest's `[rules] paths` and `extra` directories, each adding rules or overriding
    /// earlier ones by id.
    pub fn for_project(
        manifest_dir: Option<&Path>,
        manifest: Option<&crate::source::manifest::Manifest>,
        extra: &[PathBuf],
    ) -> Result<RuleSources> {
        let mut dirs: Vec<PathBuf> = manifest_dir.and_then(project_dir).into_iter().collect();
        if let Some(m) = manifest {
            dirs.extend(m.rule_paths.iter().cloned());
        }
        dirs.extend(extra.iter().cloned());
        let mut set = RuleSources::builtin()?;
        for dir in dirs {
            set.layer(RuleSources::load(std::slice::from_ref(&dir))?);
        }
        Ok(set)
    }

    /// Adds a directory's rules on top: a rule whose id is already loaded replaces it in
    /// place (unless its text is the same), others are appended.
    fn layer(&mut self, upper: RuleSources) {
        for mut rule in upper.rules {
            match self.rules.iter().position(|r| r.meta.id == rule.meta.id) {
                Some(i) if self.rules[i].source == rule.source => {}
                Some(i) => {
                    let replaced = match &self.rules[i].origin {
                        RuleOrigin::BuiltIn => "built-in".to_string(),
                        RuleOrigin::Dir { .. } => self.rules[i].file.display().to_string(),
                    };
                    if let RuleOrigin::Dir { overrides, .. } = &mut rule.origin {
                        *overrides = Some(replaced);
                    }
                    self.rules[i] = rule;
                }
                None => self.rules.push(rule),
            }
        }
    }

    /// Loads every `*.scm` under each dir's language folders (`go/`, ...); a dir without
    /// language folders holds Go rules itself. An id defined twice among these dirs is an
    /// error (overriding is between layers, see [`RuleSources::for_project`]).
    pub fn load(dirs: &[PathBuf]) -> Result<RuleSources> {
        let mut rules: Vec<RuleSource> = Vec::new();
        for dir in dirs {
            if !dir.is_dir() {
                bail!("rule directory {} does not exist", dir.display());
            }
            let mut bases: Vec<(PathBuf, Lang)> = crate::lang::LANGUAGES
                .iter()
                .filter(|l| l.grammar().is_some())
                .map(|l| (dir.join(l.name()), l.lang()))
                .filter(|(d, _)| d.is_dir())
                .collect();
            if bases.is_empty() {
                bases.push((dir.clone(), Lang::Go));
            }
            let mut files: Vec<(PathBuf, Lang)> = Vec::new();
            for (base, lang) in bases {
                for e in std::fs::read_dir(&base)
                    .with_context(|| format!("cannot read {}", base.display()))?
                    .flatten()
                {
                    let p = e.path();
                    if p.extension().is_some_and(|e| e == "scm") {
                        files.push((p, lang));
                    }
                }
            }
            files.sort();
            for (f, lang) in files {
                let mut rule = RuleSource::load(&f, lang)?;
                rule.origin = RuleOrigin::Dir {
                    dir: dir.clone(),
                    overrides: None,
                };
                if let Some(prev) = rules.iter().find(|r| r.meta.id == rule.meta.id) {
                    bail!(
                        "{}: rule id {:?} is already defined in {}",
                        f.display(),
                        rule.meta.id,
                        prev.file.display()
                    );
                }
                rules.push(rule);
            }
        }
        Ok(RuleSources { rules })
    }

    /// Compiles every rule's query (errors name `path:line:col`).
    pub fn compile(self) -> Result<RuleSet> {
        let rules = self
            .rules
            .into_iter()
            .map(RuleSource::compile)
            .collect::<Result<Vec<_>, FileError>>()?;
        Ok(RuleSet {
            rules,
            ..Default::default()
        })
    }

    /// Every rule's id, in order.
    pub fn id_list(&self) -> Vec<String> {
        self.rules.iter().map(|r| r.meta.id.clone()).collect()
    }

    /// The same fingerprint as the compiled set's ([`RuleSet::fingerprint`]).
    pub fn fingerprint(&self) -> String {
        fingerprint(
            self.rules
                .iter()
                .map(|r| (r.meta.id.as_str(), r.source.as_str())),
        )
    }
}

impl RuleSet {
    /// No rules.
    pub fn empty() -> RuleSet {
        RuleSet::default()
    }

    /// The rules embedded in the binary.
    pub fn builtin() -> Result<RuleSet> {
        RuleSources::builtin()?.compile()
    }

    /// A project's rule set, compiled: see [`RuleSources::for_project`]. A rule a later layer
    /// repeats word for word is compiled once.
    pub fn for_project(
        manifest_dir: Option<&Path>,
        manifest: Option<&crate::source::manifest::Manifest>,
        extra: &[PathBuf],
    ) -> Result<RuleSet> {
        RuleSources::for_project(manifest_dir, manifest, extra)?.compile()
    }

    /// Every rule's id, in order.
    pub fn id_list(&self) -> Vec<String> {
        self.rules.iter().map(|r| r.meta.id.clone()).collect()
    }

    /// The ids as a comma-separated list.
    pub fn ids(&self) -> String {
        self.rules
            .iter()
            .map(|r| r.meta.id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Loads and compiles the rules of `dirs`: see [`RuleSources::load`].
    pub fn load(dirs: &[PathBuf]) -> Result<RuleSet> {
        RuleSources::load(dirs)?.compile()
    }

    /// A stable fingerprint of the rules' sources (FNV-1a over ids and query texts).
    pub fn fingerprint(&self) -> String {
        fingerprint(
            self.rules
                .iter()
                .map(|r| (r.meta.id.as_str(), r.source.as_str())),
        )
    }

    /// The rule with id `id`.
    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.meta.id == id)
    }

    /// Runs the rules of `lang` on one parsed file, as (rule id, JSON payload) pairs. When
    /// several rules may match (their `requires` and pattern prefilters pass), their patterns
    /// run as one query: one walk of the tree instead of one per rule.
    pub fn run(
        &self,
        lang: Lang,
        blob: &str,
        tree: &Tree,
        src: &str,
        parsed: &Parsed,
    ) -> Result<Vec<(String, String)>> {
        let mut live: Vec<(usize, Live)> = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            if r.lang != lang || !r.may_match(src) {
                continue;
            }
            match r.prefilter.live(src.as_bytes()) {
                Live::Some(p) if p.is_empty() => {}
                l => live.push((i, l)),
            }
        }
        let mut found: Vec<(usize, Vec<Finding>)> = Vec::new();
        let joined = if live.len() > 1 {
            self.joined(&live)
        } else {
            None
        };
        match joined {
            Some(j) => {
                let mut by_rule: Vec<BTreeMap<(usize, usize), Finding>> =
                    live.iter().map(|_| BTreeMap::new()).collect();
                let mut cursor = QueryCursor::new();
                let mut matches = cursor.matches(&j.query, tree.root_node(), src.as_bytes());
                while let Some(m) = matches.next() {
                    let (rule, match_index, facts) = &j.patterns[m.pattern_index];
                    let k = live
                        .iter()
                        .position(|(i, _)| i == rule)
                        .expect("a joined pattern's rule is live");
                    self.rules[*rule].add_match(
                        m,
                        *match_index,
                        Some(facts),
                        src,
                        parsed,
                        &mut by_rule[k],
                    );
                }
                for ((i, _), by_range) in live.iter().zip(by_rule) {
                    found.push((*i, finish(by_range)));
                }
            }
            None => {
                for (i, l) in live {
                    found.push((i, self.rules[i].run_live(l, tree, src, parsed)));
                }
            }
        }
        let mut out = Vec::new();
        for (_, findings) in found {
            for mut f in findings {
                f.blob = blob.to_string();
                out.push((f.rule.clone(), serde_json::to_string(&f)?));
            }
        }
        Ok(out)
    }

    /// The query joining the live patterns of `live`'s rules (compiled once per distinct
    /// set; None when they do not compile together, and then each rule runs alone).
    fn joined(&self, live: &[(usize, Live)]) -> Option<std::sync::Arc<Joined>> {
        let key: JoinKey = live
            .iter()
            .map(|(i, l)| {
                let p = match l {
                    Live::All => None,
                    Live::Some(p) => Some(p.clone()),
                };
                (*i, self.rules[*i].meta.id.clone(), p)
            })
            .collect();
        let mut cache = self.joined.lock().expect("joined queries lock");
        if let Some(j) = cache.get(&key) {
            return j.clone();
        }
        let j = self.join(&key).map(std::sync::Arc::new);
        cache.insert(key, j.clone());
        j
    }

    fn join(&self, key: &JoinKey) -> Option<Joined> {
        let mut text = String::new();
        let mut owners: Vec<usize> = Vec::new();
        let mut grammar = None;
        for (i, _, patterns) in key {
            let r = &self.rules[*i];
            grammar = r.lang.language().grammar();
            let all: Vec<usize> = (0..r.query.pattern_count()).collect();
            for &p in patterns.as_ref().unwrap_or(&all) {
                text.push_str(pattern_text(&r.query, &r.source, p));
                text.push('\n');
                owners.push(*i);
            }
        }
        let query = Query::new(&grammar?, &text).ok()?;
        if query.pattern_count() != owners.len() {
            return None;
        }
        let match_index = query.capture_index_for_name("match")?;
        let patterns = owners
            .into_iter()
            .map(|i| {
                let facts = self.rules[i]
                    .facts
                    .iter()
                    .map(|(name, _, _)| query.capture_index_for_name(name))
                    .collect();
                (i, match_index, facts)
            })
            .collect();
        Some(Joined { query, patterns })
    }
}

/// A rule's findings in range order, fact values sorted, facts without values dropped.
fn finish(by_range: BTreeMap<(usize, usize), Finding>) -> Vec<Finding> {
    let mut v: Vec<Finding> = by_range.into_values().collect();
    for f in &mut v {
        for vals in f.facts.values_mut() {
            vals.sort();
        }
        f.facts.retain(|_, v| !v.is_empty());
    }
    v
}

/// A rule file's metadata header, before the query is compiled.
struct Header {
    meta: RuleMeta,
    filters: BTreeMap<String, String>,
    requires: Vec<String>,
}

/// Reads the `; key: value` lines at the top of a rule file.
fn parse_header(path: &Path, text: &str) -> Result<Header, FileError> {
    let mut h = Header {
        meta: RuleMeta::default(),
        filters: BTreeMap::new(),
        requires: Vec::new(),
    };
    let list = |v: &str| -> Vec<String> {
        v.split([',', ' '])
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    };
    for (i, line) in text.lines().enumerate() {
        let Some(rest) = line.trim_start().strip_prefix(';') else {
            if line.trim().is_empty() {
                continue;
            }
            break;
        };
        let rest = rest.trim_start_matches(';').trim();
        let Some((k, v)) = rest.split_once(':') else {
            continue;
        };
        let v = v.trim().to_string();
        let m = &mut h.meta;
        match k.trim() {
            "id" => m.id = v,
            "title" => m.title = v,
            "description" => {
                if !m.description.is_empty() {
                    m.description.push(' ');
                }
                m.description.push_str(&v)
            }
            "category" => m.category = v,
            "references" => m.references.extend(list(&v)),
            "requires" => h.requires.extend(v.split_whitespace().map(String::from)),
            "facts" => m.facts.extend(list(&v)),
            "fact-filter" => {
                let Some((name, glob)) = v.split_once('=') else {
                    return Err(FileError::invalid(
                        Location::at(path, i + 1, 1),
                        "fact-filter takes `CAPTURE = GLOB`",
                    ));
                };
                h.filters
                    .insert(name.trim().to_string(), glob.trim().to_string());
            }
            _ => {}
        }
    }
    if h.meta.id.is_empty() {
        return Err(FileError::invalid(
            Location::at(path, 1, 1),
            "rule has no `; id: ...` header line",
        ));
    }
    if !crate::source::manifest::is_selector_safe(&h.meta.id) {
        return Err(FileError::invalid(
            Location::at(path, 1, 1),
            format!(
                "rule id {:?} may use only letters, digits, '-', '_', '.'",
                h.meta.id
            ),
        ));
    }
    Ok(h)
}

impl RuleSource {
    /// Reads a rule file for `lang` and checks its header.
    pub fn load(path: &Path, lang: Lang) -> Result<RuleSource, FileError> {
        let text = std::fs::read_to_string(path).map_err(|source| FileError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text, lang)
    }

    /// Checks a rule's header; errors name `path:line:col`.
    pub fn parse(path: &Path, text: &str, lang: Lang) -> Result<RuleSource, FileError> {
        let Header {
            meta,
            filters,
            requires,
        } = parse_header(path, text)?;
        Ok(RuleSource {
            meta,
            file: path.to_path_buf(),
            origin: RuleOrigin::Dir {
                dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
                overrides: None,
            },
            lang,
            filters,
            requires,
            source: text.to_string(),
        })
    }

    /// Compiles the query for its language; errors name `path:line:col`.
    pub fn compile(self) -> Result<Rule, FileError> {
        let RuleSource {
            meta,
            file,
            origin,
            lang,
            filters,
            requires,
            source,
        } = self;
        let path = file.as_path();
        let whole = || Location::file(path);
        let grammar = lang.language().grammar().ok_or_else(|| {
            FileError::invalid(
                whole(),
                format!("{} has no syntax tree to match", lang.as_str()),
            )
        })?;
        let query = Query::new(&grammar, &source).map_err(|e| {
            FileError::invalid(
                Location::at(path, e.row + 1, e.column + 1),
                format!("query error: {:?}: {}", e.kind, e.message),
            )
        })?;
        let match_index = query.capture_index_for_name("match").ok_or_else(|| {
            FileError::invalid(
                whole(),
                format!(
                    "rule {} has no @match capture (what a finding reports)",
                    meta.id
                ),
            )
        })?;
        let mut facts = Vec::new();
        for name in &meta.facts {
            let idx = query.capture_index_for_name(name).ok_or_else(|| {
                FileError::invalid(
                    whole(),
                    format!("fact {name:?} names no capture of the query (add @{name})"),
                )
            })?;
            let filter = match filters.get(name) {
                Some(g) => Some(
                    globset::Glob::new(g)
                        .map_err(|e| {
                            FileError::invalid(whole(), format!("bad fact-filter glob {g:?}: {e}"))
                        })?
                        .compile_matcher(),
                ),
                None => None,
            };
            facts.push((name.clone(), idx, filter));
        }
        let prefilter =
            Prefilter::new((0..query.pattern_count()).map(|i| pattern_text(&query, &source, i)));
        let patterns = (0..query.pattern_count())
            .map(|_| std::sync::OnceLock::new())
            .collect();
        Ok(Rule {
            meta,
            file,
            origin,
            lang,
            requires,
            source,
            query,
            match_index,
            facts,
            prefilter,
            patterns,
        })
    }
}

impl Rule {
    /// Loads and compiles a rule file for `lang`.
    pub fn load(path: &Path, lang: Lang) -> Result<Rule, FileError> {
        RuleSource::load(path, lang)?.compile()
    }

    /// Compiles a rule's text for `lang`; errors name `path:line:col`.
    pub fn parse(path: &Path, text: &str, lang: Lang) -> Result<Rule, FileError> {
        RuleSource::parse(path, text, lang)?.compile()
    }

    /// False when the file holds none of the rule's `requires` literals.
    pub fn may_match(&self, src: &str) -> bool {
        self.requires.is_empty()
            || self
                .requires
                .iter()
                .any(|r| memchr::memmem::find(src.as_bytes(), r.as_bytes()).is_some())
    }

    /// This rule's findings in one parsed file (deduplicated by range). Only the patterns
    /// whose predicates the file's text can meet are run.
    pub fn run(&self, tree: &Tree, src: &str, parsed: &Parsed) -> Vec<Finding> {
        self.run_live(self.prefilter.live(src.as_bytes()), tree, src, parsed)
    }

    /// [`Rule::run`] with the patterns `live` leaves.
    fn run_live(&self, live: Live, tree: &Tree, src: &str, parsed: &Parsed) -> Vec<Finding> {
        let mut by_range: BTreeMap<(usize, usize), Finding> = BTreeMap::new();
        match live {
            Live::All => self.collect(
                &self.query,
                self.match_index,
                None,
                tree,
                src,
                parsed,
                &mut by_range,
            ),
            Live::Some(patterns) => {
                for p in patterns {
                    match self.pattern_query(p) {
                        Some(q) => self.collect(
                            &q.query,
                            q.match_index,
                            Some(&q.facts),
                            tree,
                            src,
                            parsed,
                            &mut by_range,
                        ),
                        // Not compiled alone (it cannot happen to a pattern tree-sitter read):
                        // the whole query gives every pattern's findings.
                        None => {
                            by_range.clear();
                            self.collect(
                                &self.query,
                                self.match_index,
                                None,
                                tree,
                                src,
                                parsed,
                                &mut by_range,
                            );
                            break;
                        }
                    }
                }
            }
        }
        finish(by_range)
    }

    /// Pattern `i` of the query compiled alone (None when it lacks an `@match` capture, so
    /// gives no finding, or does not compile alone).
    fn pattern_query(&self, i: usize) -> Option<&PatternQuery> {
        self.patterns[i]
            .get_or_init(|| {
                let grammar = self.lang.language().grammar()?;
                let query =
                    Query::new(&grammar, pattern_text(&self.query, &self.source, i)).ok()?;
                let match_index = query.capture_index_for_name("match")?;
                let facts = self
                    .facts
                    .iter()
                    .map(|(name, _, _)| query.capture_index_for_name(name))
                    .collect();
                Some(PatternQuery {
                    query,
                    match_index,
                    facts,
                })
            })
            .as_ref()
    }

    /// Adds the matches of `query` (the rule's, or one of its patterns alone with its own fact
    /// capture indices `facts`) to `by_range`.
    #[allow(clippy::too_many_arguments)]
    fn collect(
        &self,
        query: &Query,
        match_index: u32,
        facts: Option<&[Option<u32>]>,
        tree: &Tree,
        src: &str,
        parsed: &Parsed,
        by_range: &mut BTreeMap<(usize, usize), Finding>,
    ) {
        let mut cursor = QueryCursor::new();
        let mut matches = cursor.matches(query, tree.root_node(), src.as_bytes());
        while let Some(m) = matches.next() {
            self.add_match(m, match_index, facts, src, parsed, by_range);
        }
    }

    /// Adds one match of one of this rule's patterns (in a query whose `@match` capture is
    /// `match_index` and whose indices of this rule's facts are `facts`, or this rule's own
    /// query's) to `by_range`.
    fn add_match(
        &self,
        m: &tree_sitter::QueryMatch,
        match_index: u32,
        facts: Option<&[Option<u32>]>,
        src: &str,
        parsed: &Parsed,
        by_range: &mut BTreeMap<(usize, usize), Finding>,
    ) {
        let Some(node) = m
            .captures
            .iter()
            .find(|c| c.index == match_index)
            .map(|c| c.node)
        else {
            return;
        };
        let start = node.start_position().row as u32 + 1;
        let end = node.end_position().row as u32 + 1;
        let f = by_range
            .entry((node.start_byte(), node.end_byte()))
            .or_insert_with(|| Finding {
                rule: self.meta.id.clone(),
                blob: String::new(),
                start,
                end,
                decl: parsed.decl_at(start).map(|d| d.name.clone()),
                text: node.utf8_text(src.as_bytes()).unwrap_or("").to_string(),
                facts: BTreeMap::new(),
            });
        for (k, (name, idx, filter)) in self.facts.iter().enumerate() {
            let vals = f.facts.entry(name.clone()).or_default();
            let idx = match facts {
                None => Some(*idx),
                Some(f) => f[k],
            };
            let Some(idx) = idx else { continue };
            for c in m.captures.iter().filter(|c| c.index == idx) {
                for ident in self.lang.language().fact_values(c.node, src) {
                    if filter.as_ref().is_none_or(|g| g.is_match(&ident)) && !vals.contains(&ident)
                    {
                        vals.push(ident);
                    }
                }
            }
        }
    }
}

/// The text of pattern `i` of `query`, compiled from `source` (empty if tree-sitter's offsets
/// do not cut it at characters).
fn pattern_text<'s>(query: &Query, source: &'s str, i: usize) -> &'s str {
    source
        .get(query.start_byte_for_pattern(i)..query.end_byte_for_pattern(i))
        .unwrap_or("")
}

/// One rule's test outcome.
pub struct RuleTest {
    /// The rule id.
    pub id: String,
    /// Valid cases run.
    pub valid: usize,
    /// Invalid cases run.
    pub invalid: usize,
    /// What went wrong, `FILE:LINE: ...`.
    pub problems: Vec<String>,
}

/// Where a rule's cases live: `tests/ID/` beside the rule directory, or `tests/rules/ID/` of
/// the project the rule directory belongs to.
fn case_dirs(rule: &Rule) -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    let mut dir = rule.file.parent().map(Path::to_path_buf);
    for _ in 0..3 {
        let Some(d) = dir else { break };
        dirs.push(d.join("tests").join(&rule.meta.id));
        dirs.push(d.join("tests").join("rules").join(&rule.meta.id));
        dir = d.parent().map(Path::to_path_buf);
    }
    dirs.into_iter().filter(|d| d.is_dir()).collect()
}

/// One test case of a rule: a source file that must (valid) or must not (invalid) match.
struct Case {
    /// Shown in problems: the file, or `built-in:tests/rules/ID/KIND/NAME`.
    path: PathBuf,
    valid: bool,
    src: String,
}

/// A rule's cases: the embedded ones for a built-in rule, else the files of its case dirs
/// (of the rule's language).
fn cases(rule: &Rule) -> Result<Vec<Case>> {
    let exts = rule.lang.language().case_extensions();
    let has_ext = |name: &str| {
        Path::new(name)
            .extension()
            .is_some_and(|e| exts.iter().any(|x| e == *x))
    };
    let mut out = Vec::new();
    if rule.origin == RuleOrigin::BuiltIn {
        for (rel, text) in BUILTIN_CASES {
            let mut parts = rel.splitn(3, '/');
            let (Some(id), Some(kind), Some(name)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            if id == rule.meta.id && has_ext(name) {
                out.push(Case {
                    path: PathBuf::from(format!("built-in:tests/rules/{rel}")),
                    valid: kind == "valid",
                    src: text.to_string(),
                });
            }
        }
        return Ok(out);
    }
    for dir in case_dirs(rule) {
        for (kind, valid) in [("valid", true), ("invalid", false)] {
            let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(kind))
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| has_ext(&p.to_string_lossy()))
                .collect();
            files.sort();
            for f in files {
                let src = std::fs::read_to_string(&f)
                    .with_context(|| format!("cannot read {}", f.display()))?;
                out.push(Case {
                    path: f,
                    valid,
                    src,
                });
            }
        }
    }
    Ok(out)
}

/// Runs every rule on its valid (must match, with any `// expect: FACT = A, B` facts) and
/// invalid (must not match) cases. A built-in rule runs on the cases built in with it.
pub fn test_all(rules: &RuleSet) -> Result<Vec<RuleTest>> {
    let mut out = Vec::new();
    for rule in &rules.rules {
        let mut t = RuleTest {
            id: rule.meta.id.clone(),
            valid: 0,
            invalid: 0,
            problems: Vec::new(),
        };
        for case in cases(rule)? {
            let (parsed, tree) = rule.lang.language().parse(&case.src);
            let Some(tree) = tree else { continue };
            let found = rule.run(&tree, &case.src, &parsed);
            if case.valid {
                t.valid += 1;
                check_valid(&case, &found, &mut t.problems);
            } else {
                t.invalid += 1;
                for x in found {
                    t.problems.push(format!(
                        "{}:{}: unexpected finding: {}",
                        case.path.display(),
                        x.start,
                        x.text.lines().next().unwrap_or("")
                    ));
                }
            }
        }
        out.push(t);
    }
    Ok(out)
}

/// A valid case must produce a finding, and one with each `// expect: FACT = A, B` fact.
fn check_valid(case: &Case, found: &[Finding], problems: &mut Vec<String>) {
    let f = case.path.display();
    if found.is_empty() {
        problems.push(format!("{f}: expected a finding, got none"));
    }
    for (ln, line) in case.src.lines().enumerate() {
        let Some(exp) = line.split("// expect:").nth(1) else {
            continue;
        };
        let Some((name, vals)) = exp.split_once('=') else {
            continue;
        };
        let mut want: Vec<String> = vals
            .split(',')
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect();
        want.sort();
        let name = name.trim();
        if !found.iter().any(|x| x.facts.get(name) == Some(&want)) {
            let got: Vec<_> = found.iter().map(|x| x.facts.get(name)).collect();
            problems.push(format!(
                "{f}:{}: expected {name} = {}, got {got:?}",
                ln + 1,
                want.join(", ")
            ));
        }
    }
}

/// Prints the syntax tree of a source file (what rule queries match against).
pub fn print_file_tree(out: &mut dyn std::io::Write, path: &Path, src: &str) -> Result<()> {
    let lang = Lang::detect_with(&path.to_string_lossy(), src.lines().next().unwrap_or(""));
    let (_, tree) = lang.language().parse(src);
    let tree = tree.with_context(|| {
        format!(
            "{}: no syntax tree for {} files (languages with a grammar: {})",
            path.display(),
            lang.as_str(),
            crate::lang::LANGUAGES
                .iter()
                .filter(|l| l.grammar().is_some())
                .map(|l| l.name())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    print_tree(out, tree.root_node(), src)
}

/// Prints a syntax tree as indented S-expressions with field names and positions.
pub fn print_tree(out: &mut dyn std::io::Write, root: Node, src: &str) -> Result<()> {
    fn walk(
        out: &mut dyn std::io::Write,
        n: Node,
        field: Option<&str>,
        depth: usize,
        src: &str,
    ) -> Result<()> {
        let pad = "  ".repeat(depth);
        let f = field.map(|f| format!("{f}: ")).unwrap_or_default();
        let p = n.start_position();
        if n.named_child_count() == 0 && n.is_named() {
            let text = n.utf8_text(src.as_bytes()).unwrap_or("");
            writeln!(
                out,
                "{pad}{f}({} {:?}) [{}:{}]",
                n.kind(),
                text,
                p.row + 1,
                p.column + 1
            )?;
            return Ok(());
        }
        if !n.is_named() {
            writeln!(out, "{pad}{f}{:?}", n.kind())?;
            return Ok(());
        }
        writeln!(
            out,
            "{pad}{f}({} [{}:{}]",
            n.kind(),
            p.row + 1,
            p.column + 1
        )?;
        let mut c = n.walk();
        for (i, ch) in n.children(&mut c).enumerate() {
            walk(out, ch, n.field_name_for_child(i as u32), depth + 1, src)?;
        }
        writeln!(out, "{pad})")?;
        Ok(())
    }
    walk(out, root, None, 0, src)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn sources_name_and_fingerprint_the_rules_the_compiled_set_runs() {
        let tmp = tempfile::tempdir().unwrap();
        let (rel, text) = BUILTIN_RULES[0];
        // A project's queries/ repeating a built-in rule word for word, and one rule of its own.
        write(tmp.path(), &format!("queries/{rel}"), text);
        write(
            tmp.path(),
            "queries/go/mine.scm",
            "; id: mine\n; title: t\n((identifier) @match)\n",
        );
        let sources = RuleSources::for_project(Some(tmp.path()), None, &[]).unwrap();
        let ids = sources.id_list();
        let fp = sources.fingerprint();
        let kept = sources
            .rules
            .iter()
            .find(|r| r.source == *text)
            .map(|r| r.origin.clone());
        assert_eq!(
            kept,
            Some(RuleOrigin::BuiltIn),
            "the word-for-word copy is not loaded twice"
        );
        let set = sources.compile().unwrap();
        assert_eq!(set.id_list(), ids);
        assert_eq!(set.fingerprint(), fp);
        assert!(ids.contains(&"mine".to_string()));
        assert_eq!(
            RuleSet::for_project(Some(tmp.path()), None, &[])
                .unwrap()
                .fingerprint(),
            fp
        );
    }

    /// Findings as the whole query gives them, or each pattern compiled alone, sorted as
    /// `Rule::run` gives them.
    fn findings_by(
        rule: &Rule,
        alone: bool,
        tree: &Tree,
        src: &str,
        parsed: &Parsed,
    ) -> Vec<Finding> {
        let mut by_range = BTreeMap::new();
        if alone {
            for p in 0..rule.query.pattern_count() {
                if let Some(q) = rule.pattern_query(p) {
                    rule.collect(
                        &q.query,
                        q.match_index,
                        Some(&q.facts),
                        tree,
                        src,
                        parsed,
                        &mut by_range,
                    );
                }
            }
        } else {
            rule.collect(
                &rule.query,
                rule.match_index,
                None,
                tree,
                src,
                parsed,
                &mut by_range,
            );
        }
        let mut v: Vec<Finding> = by_range.into_values().collect();
        for f in &mut v {
            for vals in f.facts.values_mut() {
                vals.sort();
            }
            f.facts.retain(|_, v| !v.is_empty());
        }
        v
    }

    #[test]
    fn patterns_run_alone_or_prefiltered_find_what_the_whole_query_finds() {
        let set = RuleSet::builtin().unwrap();
        let mut checked = 0;
        let mut found = 0;
        for rule in &set.rules {
            // Every case of the rule's language, not only its own: most of them hold none of
            // its patterns, some only one.
            for (rel, src) in BUILTIN_CASES {
                let exts = rule.lang.language().case_extensions();
                if !exts.iter().any(|e| rel.ends_with(&format!(".{e}"))) {
                    continue;
                }
                let (parsed, tree) = rule.lang.language().parse(src);
                let tree = tree.unwrap();
                let whole = findings_by(rule, false, &tree, src, &parsed);
                let alone = findings_by(rule, true, &tree, src, &parsed);
                let run = rule.run(&tree, src, &parsed);
                assert_eq!(alone, whole, "{} on {rel}: patterns alone", rule.meta.id);
                assert_eq!(run, whole, "{} on {rel}: prefiltered", rule.meta.id);
                checked += 1;
                found += whole.len();
            }
        }
        assert!(
            checked > 50 && found > 20,
            "{checked} runs, {found} findings"
        );
    }

    #[test]
    fn rules_joined_in_one_query_find_what_each_finds_alone() {
        let set = RuleSet::builtin().unwrap();
        let mut joined_runs = 0;
        for (rel, src) in BUILTIN_CASES {
            let Some(lang) = crate::lang::LANGUAGES
                .iter()
                .find(|l| {
                    l.grammar().is_some()
                        && l.case_extensions()
                            .iter()
                            .any(|e| rel.ends_with(&format!(".{e}")))
                })
                .map(|l| l.lang())
            else {
                continue;
            };
            let (parsed, tree) = lang.language().parse(src);
            let tree = tree.unwrap();
            let mut alone = Vec::new();
            let mut live = 0;
            for r in set.rules.iter().filter(|r| r.lang == lang) {
                if r.may_match(src) && r.prefilter.live(src.as_bytes()) != Live::Some(vec![]) {
                    live += 1;
                }
                for mut f in findings_by(r, false, &tree, src, &parsed) {
                    f.blob = "b".into();
                    alone.push((f.rule.clone(), serde_json::to_string(&f).unwrap()));
                }
            }
            let run = set.run(lang, "b", &tree, src, &parsed).unwrap();
            assert_eq!(run, alone, "{rel}");
            joined_runs += usize::from(live > 1);
        }
        // A file both trap-list and handler rules (or several C rules) may match.
        let src = "package p\n\nvar monitoredSyscalls = []string{\"openat2\"}\n\nfunc (t *tracer) processOpenat2(fd int) { _ = unix.RESOLVE_NO_XDEV }\n";
        let (parsed, tree) = crate::lang::go::parse(src);
        let run = set
            .run(Lang::Go, "b", &tree.unwrap(), src, &parsed)
            .unwrap();
        let rules: Vec<&str> = run.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(rules, ["seccomp-openat2-handler", "seccomp-syscall-trap"]);
        assert!(joined_runs > 0, "no case runs several rules");
        assert!(!set.joined.lock().unwrap().is_empty());
    }

    #[test]
    fn a_file_that_meets_the_requires_but_no_pattern_skips_the_query() {
        let set = RuleSet::builtin().unwrap();
        let rule = set.get("seccomp-syscall-trap").unwrap();
        // Holds `yscall` (the rule's `requires`) but no name the patterns' #match? accepts.
        let src = "package unix\n\nfunc Getpid() int { r, _, _ := Syscall(SYS_GETPID, 0, 0, 0); return int(r) }\n";
        assert!(rule.may_match(src));
        assert_eq!(rule.prefilter.live(src.as_bytes()), Live::Some(vec![]));
        // A trap list declared with `var`, no `append`: only the first pattern may match.
        let src = "package p\n\nvar monitoredSyscalls = []string{\"openat2\", \"mount\"}\n";
        assert_eq!(rule.prefilter.live(src.as_bytes()), Live::Some(vec![0]));
        let (parsed, tree) = crate::lang::go::parse(src);
        let found = rule.run(&tree.unwrap(), src, &parsed);
        assert_eq!(found.len(), 1);
        assert_eq!(
            found[0].facts["syscalls"],
            vec!["mount".to_string(), "openat2".to_string()]
        );
    }

    #[test]
    fn a_broken_query_reads_as_a_source_and_fails_to_compile_at_its_position() {
        let tmp = tempfile::tempdir().unwrap();
        write(
            tmp.path(),
            "queries/go/broken.scm",
            "; id: broken\n; title: t\n((call_expression\n   function: (nonexistent_node) @x) @match)\n",
        );
        let sources = RuleSources::for_project(Some(tmp.path()), None, &[]).unwrap();
        assert!(sources.id_list().contains(&"broken".to_string()));
        let err = sources.compile().err().expect("the query does not compile");
        let err = format!("{err:#}");
        assert!(
            err.contains("broken.scm:4:") && err.contains("query error"),
            "{err}"
        );
    }
}
