//! Rules: tree-sitter queries users own, loaded at run time from `queries/go/*.scm` (and
//! `--rules DIR`, `[rules] paths`). Each file starts with a metadata header of `; key: value`
//! comment lines; the query's `@match` capture is what a finding reports, and the captures listed
//! in `facts` become named facts (identifiers normalised to their constant names).
//!
//! ```scheme
//! ; id: openat2-resolve-no-xdev
//! ; title: openat2 with RESOLVE_NO_XDEV
//! ; category: procfs
//! ; references: https://example.org/advisory
//! ; facts: resolve
//! ; fact-filter: resolve = RESOLVE_*
//! ((composite_literal) @match ...)
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};
use tree_sitter::{Node, Query, QueryCursor, StreamingIterator, Tree};

use crate::lang::Parsed;

/// A loaded, compiled rule.
pub struct Rule {
    pub meta: RuleMeta,
    pub file: PathBuf,
    query: Query,
    match_index: u32,
    /// capture name -> (capture index, identifier filter)
    facts: Vec<(String, u32, Option<globset::GlobMatcher>)>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct RuleMeta {
    pub id: String,
    pub title: String,
    pub description: String,
    pub category: String,
    pub references: Vec<String>,
    pub facts: Vec<String>,
}

/// A rule's match in one file version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Finding {
    pub rule: String,
    pub blob: String,
    pub start: u32,
    pub end: u32,
    pub decl: Option<String>,
    /// The matched source text.
    pub text: String,
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

#[derive(Default)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
}

/// The rule directories: built-in `queries/` next to the binary's source, or beside the manifest.
pub fn default_dirs(manifest_dir: &Path) -> Vec<PathBuf> {
    let local = manifest_dir.join("queries");
    if local.is_dir() {
        return vec![local];
    }
    let builtin = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    if builtin.is_dir() {
        vec![builtin]
    } else {
        Vec::new()
    }
}

impl RuleSet {
    pub fn empty() -> RuleSet {
        RuleSet::default()
    }

    /// Loads every `*.scm` under each dir's `go/` (or the dir itself).
    pub fn load(dirs: &[PathBuf]) -> Result<RuleSet> {
        let mut rules: Vec<Rule> = Vec::new();
        for dir in dirs {
            if !dir.is_dir() {
                bail!("rule directory {} does not exist", dir.display());
            }
            let sub = dir.join("go");
            let base = if sub.is_dir() { sub } else { dir.clone() };
            let mut files: Vec<PathBuf> = std::fs::read_dir(&base)
                .with_context(|| format!("cannot read {}", base.display()))?
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "scm"))
                .collect();
            files.sort();
            for f in files {
                let rule = Rule::load(&f)?;
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
        Ok(RuleSet { rules })
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.meta.id == id)
    }

    /// Runs every rule on one parsed Go file; findings come without their blob id.
    pub fn run(&self, tree: &Tree, src: &str, parsed: &Parsed) -> Result<Vec<(String, String)>> {
        let mut out = Vec::new();
        for r in &self.rules {
            for f in r.run(tree, src, parsed) {
                out.push((f.rule.clone(), serde_json::to_string(&f)?));
            }
        }
        Ok(out)
    }
}

impl Rule {
    pub fn load(path: &Path) -> Result<Rule> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Rule> {
        let mut meta = RuleMeta::default();
        let mut filters: BTreeMap<String, String> = BTreeMap::new();
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
            match k.trim() {
                "id" => meta.id = v,
                "title" => meta.title = v,
                "description" => {
                    if !meta.description.is_empty() {
                        meta.description.push(' ');
                    }
                    meta.description.push_str(&v)
                }
                "category" => meta.category = v,
                "references" => meta.references.extend(
                    v.split([',', ' '])
                        .filter(|s| !s.is_empty())
                        .map(String::from),
                ),
                "facts" => meta.facts.extend(
                    v.split([',', ' '])
                        .filter(|s| !s.is_empty())
                        .map(String::from),
                ),
                "fact-filter" => {
                    let Some((name, glob)) = v.split_once('=') else {
                        bail!(
                            "{}:{}:1: fact-filter takes `CAPTURE = GLOB`",
                            path.display(),
                            i + 1
                        );
                    };
                    filters.insert(name.trim().to_string(), glob.trim().to_string());
                }
                _ => {}
            }
        }
        if meta.id.is_empty() {
            bail!(
                "{}:1:1: rule has no `; id: ...` header line",
                path.display()
            );
        }
        if !crate::manifest::is_selector_safe(&meta.id) {
            bail!(
                "{}:1:1: rule id {:?} may use only letters, digits, '-', '_', '.'",
                path.display(),
                meta.id
            );
        }
        let query = Query::new(&crate::lang::go::language(), text).map_err(|e| {
            anyhow::anyhow!(
                "{}:{}:{}: query error: {:?}: {}",
                path.display(),
                e.row + 1,
                e.column + 1,
                e.kind,
                e.message
            )
        })?;
        let match_index = query.capture_index_for_name("match").with_context(|| {
            format!(
                "{}: rule {} has no @match capture (what a finding reports)",
                path.display(),
                meta.id
            )
        })?;
        let mut facts = Vec::new();
        for name in &meta.facts {
            let idx = query.capture_index_for_name(name).with_context(|| {
                format!(
                    "{}: fact {name:?} names no capture of the query (add @{name})",
                    path.display()
                )
            })?;
            let filter = match filters.get(name) {
                Some(g) => Some(
                    globset::Glob::new(g)
                        .with_context(|| format!("{}: bad fact-filter glob {g:?}", path.display()))?
                        .compile_matcher(),
                ),
                None => None,
            };
            facts.push((name.clone(), idx, filter));
        }
        Ok(Rule {
            meta,
            file: path.to_path_buf(),
            query,
            match_index,
            facts,
        })
    }

    /// This rule's findings in one parsed file (deduplicated by range).
    pub fn run(&self, tree: &Tree, src: &str, parsed: &Parsed) -> Vec<Finding> {
        let mut cursor = QueryCursor::new();
        let mut by_range: BTreeMap<(usize, usize), Finding> = BTreeMap::new();
        let mut matches = cursor.matches(&self.query, tree.root_node(), src.as_bytes());
        while let Some(m) = matches.next() {
            let Some(node) = m
                .captures
                .iter()
                .find(|c| c.index == self.match_index)
                .map(|c| c.node)
            else {
                continue;
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
            for (name, idx, filter) in &self.facts {
                let vals = f.facts.entry(name.clone()).or_default();
                for c in m.captures.iter().filter(|c| c.index == *idx) {
                    for ident in fact_values(c.node, src) {
                        if filter.as_ref().is_none_or(|g| g.is_match(&ident))
                            && !vals.contains(&ident)
                        {
                            vals.push(ident);
                        }
                    }
                }
            }
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
}

/// The values a captured node contributes to a fact: string literal values, or identifiers with
/// their package qualifier dropped (`unix.RESOLVE_NO_XDEV` -> `RESOLVE_NO_XDEV`).
fn fact_values(node: Node, src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match n.kind() {
            "interpreted_string_literal" | "raw_string_literal" => {
                out.push(crate::lang::go::decode_string(
                    n.utf8_text(src.as_bytes()).unwrap_or(""),
                ));
                continue;
            }
            "selector_expression" | "qualified_type" => {
                if let Some(f) = n
                    .child_by_field_name("field")
                    .or_else(|| n.child_by_field_name("name"))
                {
                    out.push(f.utf8_text(src.as_bytes()).unwrap_or("").to_string());
                }
                continue;
            }
            "identifier" | "field_identifier" | "type_identifier" => {
                out.push(n.utf8_text(src.as_bytes()).unwrap_or("").to_string());
                continue;
            }
            _ => {}
        }
        let mut c = n.walk();
        let mut kids: Vec<Node> = n.children(&mut c).collect();
        kids.reverse();
        stack.extend(kids);
    }
    out
}
