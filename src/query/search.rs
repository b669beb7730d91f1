//! `archeo search`: the query's scope (revisions, paths) resolved against the index, candidate
//! file versions from the store's token index, then a line scan that decides exactly which lines
//! match. Returns typed [`Hit`]s, each with its [`Citation`]; printing is the report stage's job.

use std::collections::{HashMap, HashSet};

use anyhow::Result;
use rayon::prelude::*;

use crate::index::catalog::IndexedRev;
use crate::index::citation::Citation;
use crate::index::store::StoredFile;
use crate::index::{Index, Placement};
use crate::lang::Lang;
use crate::path_filter::{PathFilter, PathSet};
use crate::query::syntax::{Filter, Query, match_term, required_tokens};

/// A matching line of one distinct file version, with every selected revision holding it.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Where: the line (`start == end`) and the revisions holding the file version.
    pub cite: Citation,
    /// The line's text.
    pub text: String,
    /// The innermost declaration holding the line.
    pub symbol: Option<String>,
    /// Byte ranges of the line the terms matched.
    pub ranges: Vec<(usize, usize)>,
    /// The line declares a symbol named by a query term.
    pub defines: bool,
    /// Context lines (number, text) before the hit.
    pub before: Vec<(u32, String)>,
    /// Context lines after the hit.
    pub after: Vec<(u32, String)>,
}

impl Hit {
    /// The hit's line.
    pub fn line(&self) -> u32 {
        self.cite.start
    }
}

/// What to search besides the query's own filters: shared by search, evidence and diff --search.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// `REPO@REV` selectors (all revisions when empty).
    pub at: Vec<String>,
    /// Repository names.
    pub repos: Vec<String>,
    /// A path pattern (see [`crate::path_filter`]).
    pub path: Option<String>,
    /// `go` or `text`.
    pub lang: Option<String>,
    /// Leave out vendored code.
    pub no_vendor: bool,
}

/// A search's answer.
#[derive(Debug, Default)]
pub struct Results {
    /// Ranked hits, cut to `--limit`.
    pub hits: Vec<Hit>,
    /// Hits before `--limit` cut the list.
    pub total: usize,
    /// How many revisions were searched.
    pub revisions_searched: usize,
}

/// The revisions and paths a scope (and a query's own filters) resolve to.
pub(crate) struct Plan<'a> {
    /// The selected revisions.
    pub(crate) revs: Vec<&'a IndexedRev>,
    paths: PathSet,
    /// Only files of this language.
    pub(crate) lang: Option<Lang>,
    no_vendor: bool,
}

impl Plan<'_> {
    /// Is a file at `path` in scope? (Its language is the store's to check.)
    pub(crate) fn keeps(&self, path: &str) -> bool {
        !(self.no_vendor && path.starts_with("vendor/")) && self.paths.allows(path)
    }
}

impl Scope {
    /// Resolves the scope, with a query's `repo:`, `path:` and `lang:` filters when given.
    pub(crate) fn plan<'a>(&self, index: &'a Index, q: Option<&Query>) -> Result<Plan<'a>> {
        plan(index, q, self)
    }
}

fn plan<'a>(index: &'a Index, q: Option<&Query>, scope: &Scope) -> Result<Plan<'a>> {
    let mut repos = scope.repos.clone();
    let mut lang = scope.lang.clone();
    let mut paths = PathSet::default();
    if let Some(p) = &scope.path {
        paths.include(PathFilter::new(p)?);
    }
    let (filters, excluded): (&[Filter], &[Filter]) = match q {
        Some(q) => (&q.filters, &q.excluded_filters),
        None => (&[], &[]),
    };
    for f in filters {
        match f {
            Filter::Repo(r) => repos.push(r.clone()),
            Filter::Lang(l) => lang = Some(l.clone()),
            Filter::Path(p) => paths.include(PathFilter::new(p)?),
            Filter::Sym(_) | Filter::Rule(_) => {}
        }
    }
    let mut excluded_repos = Vec::new();
    for f in excluded {
        match f {
            Filter::Path(p) => paths.exclude(PathFilter::new(p)?),
            Filter::Repo(r) => excluded_repos.push(r.as_str()),
            _ => {}
        }
    }
    let revs = index
        .select(&scope.at, &repos)?
        .into_iter()
        .filter(|r| !excluded_repos.contains(&r.repo.as_str()))
        .collect();
    let lang = match lang {
        Some(l) => Some(Lang::from_name(&l).ok_or_else(|| {
            anyhow::anyhow!(
                "unknown language {l:?}: use {}",
                crate::lang::names().join(", ")
            )
        })?),
        None => None,
    };
    Ok(Plan {
        revs,
        paths,
        lang,
        no_vendor: scope.no_vendor,
    })
}

/// How one file version's lines are matched.
struct Matcher<'q> {
    q: &'q Query,
    /// Lower-cased `sym:` values.
    syms: Vec<String>,
    /// blob -> line spans of findings of the `rule:` filters (`None`: no rule filter).
    rule_lines: Option<HashMap<String, Vec<(u32, u32)>>>,
    /// Lower-cased single-word terms: a declaration of one of them ranks first.
    idents: Vec<String>,
    /// The lines holding this (ASCII case-folded) text are the only ones worth the exact check:
    /// any match of a term is a case-insensitive substring of the line.
    prefilter: Option<Vec<u8>>,
    context: usize,
}

impl<'q> Matcher<'q> {
    fn new(index: &Index, q: &'q Query, context: usize) -> Result<Matcher<'q>> {
        let rules = q.filter_values(|f| match f {
            Filter::Rule(r) => Some(r),
            _ => None,
        });
        let rule_lines = if rules.is_empty() {
            None
        } else {
            let mut m: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
            for f in index.findings(&rules)? {
                m.entry(f.blob).or_default().push((f.start, f.end));
            }
            Some(m)
        };
        let syms = q
            .filter_values(|f| match f {
                Filter::Sym(s) => Some(s),
                _ => None,
            })
            .iter()
            .map(|s| s.to_lowercase())
            .collect();
        let idents = q
            .terms
            .iter()
            .filter(|t| !t.phrase)
            .map(|t| t.text.to_lowercase())
            .collect();
        let prefilter = q
            .terms
            .iter()
            .map(|t| t.text.to_ascii_lowercase().into_bytes())
            .find(|t| !t.is_empty() && t.is_ascii() && !q.terms.iter().any(|x| x.phrase));
        Ok(Matcher {
            q,
            syms,
            rule_lines,
            idents,
            prefilter,
            context,
        })
    }

    /// Could this blob hold a hit at all?
    fn wants_blob(&self, blob: &str) -> bool {
        self.rule_lines
            .as_ref()
            .is_none_or(|m| m.contains_key(blob))
    }

    /// The matching lines of one file version: (line index, hit without its citation).
    fn lines(&self, file: &StoredFile) -> Vec<LineHit> {
        let lines: Vec<&str> = file.content.lines().collect();
        let candidates: Vec<usize> = match &self.prefilter {
            Some(needle) => candidate_lines(&file.content, needle),
            None => (0..lines.len()).collect(),
        };
        let spans = self.rule_lines.as_ref().and_then(|m| m.get(&file.blob));
        let mut out = Vec::new();
        for i in candidates {
            let Some(line) = lines.get(i) else { continue };
            let n = i as u32 + 1;
            let Some(mut ranges) = self.terms_match(line) else {
                continue;
            };
            if spans.is_some_and(|s| !s.iter().any(|(a, b)| *a <= n && n <= *b)) {
                continue;
            }
            let decl = file.decl_at(n);
            if !self.symbol_allowed(decl) {
                continue;
            }
            ranges.sort();
            let c = self.context;
            out.push(LineHit {
                line: n,
                text: line.to_string(),
                symbol: decl.map(|d| d.name.clone()),
                defines: decl.is_some_and(|d| {
                    d.start == n && self.idents.iter().any(|t| d.ident.to_lowercase() == *t)
                }),
                ranges,
                before: (i.saturating_sub(c)..i)
                    .map(|k| (k as u32 + 1, lines[k].to_string()))
                    .collect(),
                after: (i + 1..(i + 1 + c).min(lines.len()))
                    .map(|k| (k as u32 + 1, lines[k].to_string()))
                    .collect(),
            });
        }
        out
    }

    /// The ranges every term matches on `line`, or None when one does not or an excluded term
    /// does.
    fn terms_match(&self, line: &str) -> Option<Vec<(usize, usize)>> {
        let mut ranges = Vec::new();
        for t in &self.q.terms {
            ranges.extend(match_term(t, line)?);
        }
        if self
            .q
            .excluded
            .iter()
            .any(|t| match_term(t, line).is_some())
        {
            return None;
        }
        Some(ranges)
    }

    fn symbol_allowed(&self, decl: Option<&crate::lang::Decl>) -> bool {
        let wanted = self.syms.is_empty()
            || decl.is_some_and(|d| {
                self.syms
                    .iter()
                    .all(|s| d.ident.to_lowercase() == *s || d.name.to_lowercase() == *s)
            });
        let excluded = self.q.excluded_filters.iter().any(|f| match f {
            Filter::Sym(s) => decl.is_some_and(|d| d.ident.eq_ignore_ascii_case(s)),
            _ => false,
        });
        wanted && !excluded
    }
}

/// A matching line before it is placed in revisions.
struct LineHit {
    line: u32,
    text: String,
    symbol: Option<String>,
    defines: bool,
    ranges: Vec<(usize, usize)>,
    before: Vec<(u32, String)>,
    after: Vec<(u32, String)>,
}

impl LineHit {
    fn cited(&self, index: &Index, blob: &str, place: &Placement) -> Hit {
        Hit {
            cite: index.cite(blob, place, self.line, self.line),
            text: self.text.clone(),
            symbol: self.symbol.clone(),
            ranges: self.ranges.clone(),
            defines: self.defines,
            before: self.before.clone(),
            after: self.after.clone(),
        }
    }
}

/// Runs a search.
pub fn search(
    index: &Index,
    q: &Query,
    scope: &Scope,
    context: usize,
    limit: Option<usize>,
) -> Result<Results> {
    let plan = plan(index, Some(q), scope)?;
    let tokens: Vec<String> = q.terms.iter().flat_map(required_tokens).collect();
    let files = index.files_with_tokens(&tokens, &[], plan.lang)?;
    let wanted: HashSet<&str> = files.iter().map(|f| f.blob.as_str()).collect();
    let places = index.places(&plan.revs, |id| wanted.contains(id), |p| plan.keeps(p))?;
    let matcher = Matcher::new(index, q, context)?;
    let per_file: Vec<Vec<Hit>> = files
        .par_iter()
        .map(|f| -> Result<Vec<Hit>> {
            let Some(at) = places.get(&f.blob).filter(|_| matcher.wants_blob(&f.blob)) else {
                return Ok(Vec::new());
            };
            let file = index.file(f)?;
            let lines = matcher.lines(&file);
            if !lines.is_empty() {
                // Nothing is cited from a damaged document.
                file.verify()?;
            }
            let mut hits = Vec::new();
            for lh in lines {
                hits.extend(at.iter().map(|place| lh.cited(index, &f.blob, place)));
            }
            Ok(hits)
        })
        .collect::<Result<_>>()?;
    let mut hits: Vec<Hit> = per_file.into_iter().flatten().collect();
    // Declarations of the term first, then the shared ranking.
    hits.sort_by(|a, b| b.defines.cmp(&a.defines).then_with(|| a.cite.rank(&b.cite)));
    let total = hits.len();
    if let Some(l) = limit {
        hits.truncate(l);
    }
    Ok(Results {
        hits,
        total,
        revisions_searched: plan.revs.len(),
    })
}

/// Indices of the lines of `text` holding `needle` (ASCII case-insensitive), in order.
fn candidate_lines(text: &str, needle: &[u8]) -> Vec<usize> {
    let lower = text.as_bytes().to_ascii_lowercase();
    let mut out: Vec<usize> = Vec::new();
    let mut line = 0;
    let mut scanned = 0;
    for pos in memchr::memmem::find_iter(&lower, needle) {
        line += memchr::memchr_iter(b'\n', &lower[scanned..pos]).count();
        scanned = pos;
        if out.last() != Some(&line) {
            out.push(line);
        }
    }
    out
}
