//! `archeo search`: the query's scope (revisions, paths, language) resolved against the index,
//! candidate file versions from the n-gram index ([`crate::query::prefilter`]), then a scan of
//! each candidate's text that decides exactly which lines match. Returns typed [`Hit`]s, each
//! with its [`Citation`], ranked; printing is the report stage's job.
//!
//! Line semantics are those of `git grep`: a pattern matches within one line, never across
//! lines (regexes are rewritten so no part of them can match a newline, and `^`, `$`, `\A`,
//! `\z` anchor at the line's ends).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use anyhow::Result;
use rayon::prelude::*;
use regex_automata::meta::Regex;
use regex_syntax::hir::{
    Capture, Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind,
    Look, Repetition,
};

use crate::index::blobs::{DeclLines, Piece};
use crate::index::catalog::{BLOB_GENERATED, IndexedRev};
use crate::index::citation::{Citation, Permalinks};
use crate::index::grams::GramQuery;
use crate::index::{Index, OrdPlacement};
use crate::lang::{Decl, Lang, Region, RegionKind};
use crate::path_filter::{PathFilter, PathSet};
use crate::query::cancel::Cancel;
use crate::query::syntax::{Expr, Filter, Pattern, Query, QueryError, Within};

/// A matching line of one distinct file version, with every selected revision holding it.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Where: the line (`start == end`) and the revisions holding the file version.
    pub cite: Citation,
    /// The line's text.
    pub text: String,
    /// The innermost declaration holding the line.
    pub symbol: Option<String>,
    /// Byte ranges of the line the patterns matched.
    pub ranges: Vec<(usize, usize)>,
    /// The line declares a symbol named by a query term.
    pub defines: bool,
    /// The file says it is generated (`// Code generated ... DO NOT EDIT.`).
    pub generated: bool,
    /// The match is spelled as the query spells it (a ranking key).
    pub exact: bool,
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

    /// The search ranking's keys, in order, as values that compare the same way (ascending):
    /// what a front end over shards merges their hits by. The last key a search ranks by, the
    /// file version's ordinal, only separates hits of one repository, which come from one shard
    /// already in order.
    pub fn rank_keys(&self) -> serde_json::Value {
        serde_json::json!([
            !self.defines,
            self.generated,
            self.cite.vendored_module.is_some(),
            !self.exact,
            -(self.cite.newest as i64),
            self.cite.repo,
            self.cite.path,
            self.cite.start,
        ])
    }
}

/// One file version with hits, for `-l` and `-c`.
#[derive(Debug, Clone)]
pub struct FileHits {
    /// The file version, cited at its first hit line.
    pub cite: Citation,
    /// Its hits.
    pub hits: usize,
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

/// At most this many hits (and, for `-l`/`-c`, file versions) are kept in memory, however
/// many a query matches: every hit is still counted, and an answer cut by this bound says so
/// ([`Results::truncated`]).
pub const MAX_KEPT: usize = 50_000;

/// How much of the answer to build, and the bounds it is built under.
#[derive(Debug, Clone)]
pub struct Options {
    /// Lines of context around each hit.
    pub context: usize,
    /// Build at most this many hits (totals still count every hit).
    pub limit: Option<usize>,
    /// Also list every file version with hits ([`Results::files`]).
    pub files: bool,
    /// Stops the scan (the search then fails with [`crate::query::cancel::Cancelled`]).
    pub cancel: Cancel,
    /// Keep at most this many hits and file versions ([`MAX_KEPT`]).
    pub max_kept: usize,
    /// Where `rule:` filters find their findings' line spans: [`rule_spans`] (the store), or
    /// `None` in a process built without the store (the `archeo` binary, which hands queries
    /// naming rules to `archeo-full`: src/cli/front.rs); such a query then fails.
    pub rule_spans: Option<RuleSpans>,
}

/// Finds the line spans of the given rules' findings, by file version (blob id).
pub type RuleSpans = fn(&Index, Vec<String>) -> Result<HashMap<String, Vec<(u32, u32)>>>;

impl Default for Options {
    fn default() -> Options {
        Options {
            rule_spans: Some(rule_spans),
            ..Options::without_findings()
        }
    }
}

impl Options {
    /// The defaults, without the findings store: `rule:` filters fail (see
    /// [`Options::rule_spans`]); nothing reaches the store's code, so a binary that only calls
    /// this does not link it.
    pub fn without_findings() -> Options {
        Options {
            context: 0,
            limit: None,
            files: false,
            cancel: Cancel::never(),
            max_kept: MAX_KEPT,
            rule_spans: None,
        }
    }
}

/// Why an answer holds less than was asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TruncatedReason {
    /// More hits (or file versions) matched than a search keeps in memory.
    MaxKept,
}

impl TruncatedReason {
    /// The name the JSON output gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            TruncatedReason::MaxKept => "max-kept",
        }
    }
}

/// An answer cut by a bound rather than by `--limit`: the totals still count everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncated {
    /// Which bound.
    pub reason: TruncatedReason,
    /// The bound's value (hits or file versions kept).
    pub bound: usize,
}

/// A search's answer.
#[derive(Debug, Default)]
pub struct Results {
    /// Ranked hits, cut to `--limit` (and to [`MAX_KEPT`]).
    pub hits: Vec<Hit>,
    /// Every hit, before `--limit` cut the list.
    pub total: usize,
    /// File versions (repository, path, blob) with hits, before `--limit`.
    pub file_versions: usize,
    /// Revisions holding a hit, before `--limit`.
    pub revisions_hit: usize,
    /// How many revisions were searched.
    pub revisions_searched: usize,
    /// With [`Options::files`]: every file version with hits, ranked by its best hit.
    pub files: Vec<FileHits>,
    /// Set when fewer hits (or file versions) are kept than asked for, because more matched
    /// than a search keeps in memory.
    pub truncated: Option<Truncated>,
}

impl Results {
    /// The results, or an error when a bound cut them: for callers that need every hit (a
    /// diff or timeline of a search, explain), where a partial list would be a wrong answer.
    pub fn complete(self) -> Result<Results> {
        match self.truncated {
            None => Ok(self),
            Some(t) => Err(anyhow::anyhow!(
                "the search matches {} lines, more than the {} a search keeps in memory: narrow it (repo:, path:, a longer pattern)",
                self.total,
                t.bound
            )),
        }
    }
}

/// The revisions and paths a scope (and a query's own filters) resolve to.
pub(crate) struct Plan<'a> {
    /// The selected revisions.
    pub(crate) revs: Vec<&'a IndexedRev>,
    paths: PathSet,
    /// Only files of this language.
    pub(crate) lang: Option<Lang>,
    /// Never files of these languages.
    not_langs: Vec<Lang>,
    no_vendor: bool,
}

impl Plan<'_> {
    /// Is a file at `path` in scope? (Its language is the store's to check.)
    pub(crate) fn keeps(&self, path: &str) -> bool {
        !(self.no_vendor && path.starts_with("vendor/")) && self.paths.allows(path)
    }

    fn keeps_lang(&self, l: Lang) -> bool {
        self.lang.is_none_or(|x| x == l) && !self.not_langs.contains(&l)
    }
}

impl Scope {
    /// Resolves the scope, with a query's `repo:`, `path:` and `lang:` filters when given.
    pub(crate) fn plan<'a>(&self, index: &'a Index, q: Option<&Query>) -> Result<Plan<'a>> {
        plan(index, q, self)
    }
}

fn lang_named(l: &str) -> Result<Lang> {
    Lang::from_name(l).ok_or_else(|| {
        anyhow::anyhow!(
            "unknown language {l:?}: use {}",
            crate::lang::names().join(", ")
        )
    })
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
    let mut not_langs = Vec::new();
    for f in excluded {
        match f {
            Filter::Path(p) => paths.exclude(PathFilter::new(p)?),
            Filter::Repo(r) => excluded_repos.push(r.as_str()),
            Filter::Lang(l) => not_langs.push(lang_named(l)?),
            Filter::Sym(_) | Filter::Rule(_) => {}
        }
    }
    let revs = index
        .select(&scope.at, &repos)?
        .into_iter()
        .filter(|r| !excluded_repos.contains(&r.repo.as_str()))
        .collect();
    Ok(Plan {
        revs,
        paths,
        lang: lang.as_deref().map(lang_named).transpose()?,
        not_langs,
        no_vendor: scope.no_vendor,
    })
}

/// One compiled pattern: a regex that cannot match a newline, and for a term, the check that
/// a match is a whole identifier or one of its parts.
struct Compiled {
    re: Regex,
    word: bool,
    /// The pattern's own text, to tell exact-case matches from folded ones.
    text: Option<String>,
    positive: bool,
}

/// Rewrites a regex so that no part of it can match a newline (a line never holds one, so
/// per-line semantics are unchanged) and `\A`/`\z` anchor at line ends: then one pass over a
/// whole file finds exactly the per-line matches.
fn no_newline(h: Hir) -> Hir {
    match h.into_kind() {
        HirKind::Empty => Hir::empty(),
        HirKind::Literal(l) if l.0.contains(&b'\n') => Hir::fail(),
        HirKind::Literal(l) => Hir::literal(l.0),
        HirKind::Class(Class::Unicode(mut c)) => {
            c.difference(&ClassUnicode::new([ClassUnicodeRange::new('\n', '\n')]));
            Hir::class(Class::Unicode(c))
        }
        HirKind::Class(Class::Bytes(mut c)) => {
            c.difference(&ClassBytes::new([ClassBytesRange::new(b'\n', b'\n')]));
            Hir::class(Class::Bytes(c))
        }
        HirKind::Look(l) => Hir::look(match l {
            Look::Start => Look::StartLF,
            Look::End => Look::EndLF,
            other => other,
        }),
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            sub: Box::new(no_newline(*r.sub)),
            ..r
        }),
        HirKind::Capture(c) => Hir::capture(Capture {
            sub: Box::new(no_newline(*c.sub)),
            ..c
        }),
        HirKind::Concat(v) => Hir::concat(v.into_iter().map(no_newline).collect()),
        HirKind::Alternation(v) => Hir::alternation(v.into_iter().map(no_newline).collect()),
    }
}

fn compile(p: &Pattern, positive: bool, case_sensitive: bool) -> Result<Compiled> {
    let source = match p {
        Pattern::Word(s) | Pattern::Literal(s) => regex_syntax::escape(s),
        Pattern::Regex(r) => r.clone(),
    };
    let bad = |e: String| QueryError {
        query: p.text().to_string(),
        offset: None,
        message: format!("cannot use {:?}: {e}", p.text()),
        hint: Some("simplify the regex (fewer or smaller repetitions)".into()),
    };
    let hir = regex_syntax::ParserBuilder::new()
        .case_insensitive(!case_sensitive)
        .nest_limit(crate::query::syntax::MAX_NESTING)
        .build()
        .parse(&source)
        .map_err(|e| bad(e.to_string()))?;
    let re = Regex::builder()
        .configure(
            Regex::config()
                .nfa_size_limit(Some(8 << 20))
                // No fully compiled DFA: building one costs a query more than it saves on the
                // few candidate texts a search scans (the lazy DFA serves them).
                .dfa(false)
                .hybrid_cache_capacity(4 << 20),
        )
        .build_from_hir(&no_newline(hir))
        .map_err(|e| bad(e.to_string()))?;
    Ok(Compiled {
        re,
        word: matches!(p, Pattern::Word(_)),
        text: match p {
            Pattern::Word(s) | Pattern::Literal(s) if !case_sensitive => Some(s.clone()),
            _ => None,
        },
        positive,
    })
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Is `text[s..e]` a whole identifier or one of its camelCase/snake_case parts?
fn is_token(text: &str, s: usize, e: usize) -> bool {
    let ws = text[..s]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map_or(s, |(i, _)| i);
    let we = text[e..]
        .char_indices()
        .find(|(_, c)| !is_word_char(*c))
        .map_or(text.len(), |(i, _)| e + i);
    if ws == s && we == e {
        return true;
    }
    let word = &text[ws..we];
    let parts = crate::index::tokenize::parts(word);
    parts.len() > 1
        && parts
            .iter()
            .any(|(off, p)| ws + off == s && ws + off + p.len() == e)
}

/// How one file version's lines are matched.
struct Matcher<'q> {
    q: &'q Query,
    expr: Option<&'q Expr>,
    patterns: Vec<Compiled>,
    /// The expression holds on a line where no pattern matches (`-foo`, or only filters):
    /// every line must be looked at.
    all_lines: bool,
    /// Lower-cased `sym:` values.
    syms: Vec<String>,
    /// blob -> line spans of findings of the `rule:` filters (`None`: no rule filter).
    rule_lines: Option<HashMap<String, Vec<(u32, u32)>>>,
    /// blob -> line spans of findings of `-rule:` filters.
    not_rule_lines: HashMap<String, Vec<(u32, u32)>>,
    /// Lower-cased single-word terms: a declaration of one of them ranks first.
    idents: Vec<String>,
    context: usize,
}

/// Called on each matching line with what ranking needs and a builder of the whole hit.
type LineVisitor<'v> = dyn FnMut(&LineRank, &mut dyn FnMut() -> LineHit) -> Result<()> + 'v;

/// What ranking needs of a matching line.
#[derive(Debug, Clone, Copy)]
struct LineRank {
    line: u32,
    defines: bool,
    exact: bool,
}

/// A matching line before it is placed in revisions.
#[derive(Clone)]
struct LineHit {
    line: u32,
    text: String,
    symbol: Option<String>,
    defines: bool,
    ranges: Vec<(usize, usize)>,
    before: Vec<(u32, String)>,
    after: Vec<(u32, String)>,
}

/// The line spans of `rules`' findings, by file version: the [`RuleSpans`] that reads the store.
pub fn rule_spans(index: &Index, rules: Vec<String>) -> Result<HashMap<String, Vec<(u32, u32)>>> {
    let mut m: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
    if !rules.is_empty() {
        for f in index.findings(&rules)? {
            m.entry(f.blob).or_default().push((f.start, f.end));
        }
    }
    Ok(m)
}

/// The line spans of the findings a query's `rule:` filters name (`rule:X`) and exclude
/// (`-rule:X`), by file version.
struct RuleLines {
    wanted: Option<HashMap<String, Vec<(u32, u32)>>>,
    excluded: HashMap<String, Vec<(u32, u32)>>,
}

impl RuleLines {
    fn of(index: &Index, q: &Query, spans: Option<RuleSpans>) -> Result<RuleLines> {
        let rules = q.filter_values(|f| match f {
            Filter::Rule(r) => Some(r),
            _ => None,
        });
        check_rule_filters(index, q)?;
        let spans_for = |rules: Vec<String>| match spans {
            _ if rules.is_empty() => Ok(HashMap::new()),
            Some(f) => f(index, rules),
            None => Err(anyhow::anyhow!(
                "rule: filters are answered by archeo-full; this search ran without its store"
            )),
        };
        let wanted = if rules.is_empty() {
            None
        } else {
            Some(spans_for(rules)?)
        };
        let not_rules: Vec<String> = q
            .excluded_filters
            .iter()
            .filter_map(|f| match f {
                Filter::Rule(r) => Some(r.clone()),
                _ => None,
            })
            .collect();
        Ok(RuleLines {
            wanted,
            excluded: spans_for(not_rules)?,
        })
    }

    /// Could this blob hold a hit at all?
    fn wants_blob(&self, blob: &str) -> bool {
        self.wanted.as_ref().is_none_or(|m| m.contains_key(blob))
    }
}

impl<'q> Matcher<'q> {
    /// Compiles the query's patterns (the rule filters' spans already read: `rules`).
    fn new(q: &'q Query, context: usize, rules: RuleLines) -> Result<Matcher<'q>> {
        let syms = q
            .filter_values(|f| match f {
                Filter::Sym(s) => Some(s),
                _ => None,
            })
            .iter()
            .map(|s| s.to_lowercase())
            .collect();
        let mut patterns = Vec::new();
        let mut idents = Vec::new();
        for (p, positive) in q.patterns() {
            if positive && let Pattern::Word(w) = p {
                idents.push(w.to_lowercase());
            }
            patterns.push(compile(p, positive, q.case_sensitive)?);
        }
        let all_lines = q
            .expr
            .as_ref()
            .is_none_or(|e| e.eval(&vec![false; patterns.len()]));
        Ok(Matcher {
            q,
            expr: q.expr.as_ref(),
            patterns,
            all_lines,
            syms,
            rule_lines: rules.wanted,
            not_rule_lines: rules.excluded,
            idents,
            context,
        })
    }

    /// Every surviving match of every pattern: (start, end, pattern index), by start.
    fn matches(&self, text: &str, base: usize, regions: &[Region]) -> Vec<(usize, usize, usize)> {
        let mut out = Vec::new();
        for (i, p) in self.patterns.iter().enumerate() {
            let mut at = 0;
            while at <= text.len() {
                let Some(m) =
                    p.re.search(&regex_automata::Input::new(text).span(at..text.len()))
                else {
                    break;
                };
                let (s, e) = (m.start(), m.end());
                if p.word && !is_token(text, s, e) {
                    // A later, overlapping match may still be a token.
                    at = s + text[s..].chars().next().map_or(1, char::len_utf8);
                    continue;
                }
                if self
                    .q
                    .within
                    .is_none_or(|w| within(regions, base + s, base + e, w))
                {
                    out.push((s, e, i));
                }
                at = if e > s {
                    e
                } else {
                    e + text[e..].chars().next().map_or(1, char::len_utf8)
                };
            }
        }
        out.sort_unstable();
        out
    }

    /// The matching lines of one file version.
    #[cfg(test)]
    fn lines(
        &self,
        blob: &str,
        text: &str,
        decls: &DeclLines,
        regions: &[Region],
    ) -> Result<Vec<LineHit>> {
        let mut out = Vec::new();
        let piece = Piece {
            lines: 0,
            at: 0,
            text: text.to_string(),
        };
        self.each_line(blob, &piece, decls, regions, &mut |_, build| {
            out.push(build());
            Ok(())
        })?;
        Ok(out)
    }

    /// Calls `visit` on each matching line of one file version, in line order, with what
    /// ranking needs and a builder of the whole [`LineHit`] (its text, symbol and context),
    /// which costs allocations: a caller keeping only the best hits builds only those.
    fn each_line(
        &self,
        blob: &str,
        piece: &Piece,
        decls: &DeclLines,
        regions: &[Region],
        visit: &mut LineVisitor,
    ) -> Result<()> {
        let text = piece.text.as_str();
        let spans = self.rule_lines.as_ref().and_then(|m| m.get(blob));
        let not_spans = self.not_rule_lines.get(blob);
        let matches = if self.patterns.is_empty() {
            Vec::new()
        } else {
            self.matches(text, piece.at, regions)
        };
        let mut lines = Lines::new(text, piece.lines);
        let mut k = 0;
        let mut matched = vec![false; self.patterns.len()];
        while let Some((n, ls, le)) = lines.next_line(if self.all_lines {
            None
        } else {
            matches.get(k).map(|m| m.0)
        }) {
            matched.iter_mut().for_each(|m| *m = false);
            let mut ranges = Vec::new();
            let mut exact = false;
            while let Some(&(s, e, i)) = matches.get(k).filter(|m| m.0 <= le) {
                k += 1;
                matched[i] = true;
                let p = &self.patterns[i];
                if p.positive {
                    ranges.push((s - ls, e - ls));
                    exact |= p.text.as_deref().is_none_or(|t| &text[s..e] == t);
                }
            }
            if !self.expr.is_none_or(|x| x.eval(&matched)) {
                continue;
            }
            let inside = |s: Option<&Vec<(u32, u32)>>| {
                s.is_some_and(|v| v.iter().any(|(a, b)| *a <= n && n <= *b))
            };
            if (spans.is_some() && !inside(spans)) || inside(not_spans) {
                continue;
            }
            let decl = decls.at(n)?;
            let decl = decl.as_ref();
            if !self.symbol_allowed(decl) {
                continue;
            }
            ranges.sort_unstable();
            let rank = LineRank {
                line: n,
                defines: decl.is_some_and(|d| {
                    d.start == n && self.idents.iter().any(|t| d.ident.to_lowercase() == *t)
                }),
                exact: exact || self.patterns.iter().all(|p| p.text.is_none()),
            };
            let lines = &lines;
            let ranges = &ranges;
            let mut build = || LineHit {
                line: rank.line,
                text: text[ls..le].trim_end_matches('\r').to_string(),
                symbol: decl.map(|d| d.name.clone()),
                defines: rank.defines,
                ranges: ranges.clone(),
                before: lines.before(ls, self.context),
                after: lines.after(le, self.context),
            };
            visit(&rank, &mut build)?;
        }
        Ok(())
    }

    fn symbol_allowed(&self, decl: Option<&Decl>) -> bool {
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

/// Does the match `s..e` stand where `w` asks? (Regions are sorted and never overlap.)
fn within(regions: &[Region], s: usize, e: usize, w: Within) -> bool {
    let i = regions.partition_point(|r| (r.start as usize) < e.max(s + 1));
    let r = i.checked_sub(1).map(|j| &regions[j]);
    let overlaps = r.is_some_and(|r| r.end as usize > s);
    let holds = |kind: RegionKind| {
        r.is_some_and(|r| r.kind == kind && r.start as usize <= s && e <= r.end as usize)
    };
    match w {
        Within::Code => !overlaps,
        Within::Comment => holds(RegionKind::Comment),
        Within::String => holds(RegionKind::String),
    }
}

/// Walks a text's lines forward, jumping to the line holding a given byte.
struct Lines<'t> {
    text: &'t str,
    /// Start of the next line to return, and its number.
    at: usize,
    n: u32,
}

impl<'t> Lines<'t> {
    /// The lines of `text`, which follows `before` lines of its file.
    fn new(text: &'t str, before: u32) -> Lines<'t> {
        Lines {
            text,
            at: 0,
            n: before + 1,
        }
    }

    /// The next line (number, start, end without the newline): the one holding byte `to`
    /// when given, else the very next one.
    fn next_line(&mut self, to: Option<usize>) -> Option<(u32, usize, usize)> {
        let b = self.text.as_bytes();
        if self.at >= b.len() && !(self.at == 0 && to.is_some()) {
            return None;
        }
        if let Some(to) = to {
            if to < self.at {
                return None;
            }
            let skipped = &b[self.at..to];
            self.n += memchr::memchr_iter(b'\n', skipped).count() as u32;
            self.at = memchr::memrchr(b'\n', skipped).map_or(self.at, |i| self.at + i + 1);
        }
        let start = self.at;
        let end = memchr::memchr(b'\n', &b[start..]).map_or(b.len(), |i| start + i);
        let n = self.n;
        self.at = end + 1;
        self.n += 1;
        Some((n, start, end))
    }

    /// Up to `c` lines before the line starting at `start`.
    fn before(&self, start: usize, c: usize) -> Vec<(u32, String)> {
        let mut out = Vec::new();
        let mut end = start;
        let line = self.n - 1;
        for k in 1..=c as u32 {
            if end == 0 || k >= line {
                break;
            }
            let e = end - 1;
            let s = memchr::memrchr(b'\n', &self.text.as_bytes()[..e]).map_or(0, |i| i + 1);
            out.push((line - k, self.text[s..e].trim_end_matches('\r').to_string()));
            end = s;
        }
        out.reverse();
        out
    }

    /// Up to `c` lines after the line ending at `end`.
    fn after(&self, end: usize, c: usize) -> Vec<(u32, String)> {
        let mut out = Vec::new();
        let mut s = end + 1;
        let b = self.text.as_bytes();
        for k in 1..=c as u32 {
            if s >= b.len() {
                break;
            }
            let e = memchr::memchr(b'\n', &b[s..]).map_or(b.len(), |i| s + i);
            out.push((
                self.n - 1 + k,
                self.text[s..e].trim_end_matches('\r').to_string(),
            ));
            s = e + 1;
        }
        out
    }
}

/// Per placement, the ranking keys a citation would give (computed once).
struct PlaceKey {
    newest: usize,
    vendored: bool,
    path: String,
}

/// The one search order as a sortable key (smaller ranks first): declarations of the term
/// first, hand-written before generated, own code before vendored, exact case before folded,
/// newer revisions first; then repository, path, line and the file version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct RankKey<'p> {
    defines: Reverse<bool>,
    generated: bool,
    vendored: bool,
    exact: Reverse<bool>,
    newest: Reverse<usize>,
    repo: &'p str,
    path: &'p str,
    line: u32,
    ord: u32,
}

impl<'p> RankKey<'p> {
    fn of(
        ord: u32,
        place: &'p OrdPlacement,
        key: &'p PlaceKey,
        hit: &LineRank,
        generated: bool,
    ) -> Self {
        RankKey {
            defines: Reverse(hit.defines),
            generated,
            vendored: key.vendored,
            exact: Reverse(hit.exact),
            newest: Reverse(key.newest),
            repo: &place.repo,
            path: &key.path,
            line: hit.line,
            ord,
        }
    }
}

/// A hit kept for the answer: a line of a file version at one placement.
struct Kept<'p> {
    rank: RankKey<'p>,
    place: &'p OrdPlacement,
    hit: Arc<LineHit>,
    generated: bool,
}

/// A file version with hits (`-l`, `-c`): ranked by its best hit.
struct KeptFile<'p> {
    rank: RankKey<'p>,
    place: &'p OrdPlacement,
    hits: usize,
    first: u32,
}

/// The best `cap` items by rank, however many are offered: a max-heap whose top is the worst
/// item kept, so memory stays bounded by `cap` whatever a query matches.
struct TopN<T> {
    cap: usize,
    heap: BinaryHeap<ByRank<T>>,
}

/// Orders an item by its rank key alone.
struct ByRank<T>(T);

trait Ranked {
    fn rank(&self) -> RankKey<'_>;
}

impl Ranked for Kept<'_> {
    fn rank(&self) -> RankKey<'_> {
        self.rank
    }
}

impl Ranked for KeptFile<'_> {
    fn rank(&self) -> RankKey<'_> {
        self.rank
    }
}

impl<T: Ranked> PartialEq for ByRank<T> {
    fn eq(&self, o: &Self) -> bool {
        self.0.rank() == o.0.rank()
    }
}
impl<T: Ranked> Eq for ByRank<T> {}
impl<T: Ranked> PartialOrd for ByRank<T> {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl<T: Ranked> Ord for ByRank<T> {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.0.rank().cmp(&o.0.rank())
    }
}

impl<T: Ranked> TopN<T> {
    fn new(cap: usize) -> Self {
        TopN {
            cap,
            heap: BinaryHeap::new(),
        }
    }

    /// Would an item of this rank be kept?
    fn admits(&self, rank: &RankKey) -> bool {
        self.heap.len() < self.cap || self.heap.peek().is_some_and(|w| *rank < w.0.rank())
    }

    fn offer(&mut self, item: T) {
        if self.heap.len() < self.cap {
            self.heap.push(ByRank(item));
        } else if self.admits(&item.rank()) {
            self.heap.pop();
            self.heap.push(ByRank(item));
        }
    }

    fn merge(mut self, other: TopN<T>) -> Self {
        for x in other.heap {
            self.offer(x.0);
        }
        self
    }

    /// The items kept, best first.
    fn into_sorted(self) -> Vec<T> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|x| x.0)
            .collect()
    }
}

/// What one scan worker gathered: counts of everything, the best hits and file versions.
struct Gathered<'p> {
    total: usize,
    file_versions: usize,
    /// Per revision (position in the catalog): holds a hit.
    revisions: Vec<bool>,
    hits: TopN<Kept<'p>>,
    files: TopN<KeptFile<'p>>,
}

impl<'p> Gathered<'p> {
    fn new(hit_cap: usize, file_cap: usize, revisions: usize) -> Self {
        Gathered {
            total: 0,
            file_versions: 0,
            revisions: vec![false; revisions],
            hits: TopN::new(hit_cap),
            files: TopN::new(file_cap),
        }
    }

    /// Scans one file version, counting its hits at every placement of it and keeping those
    /// that rank among the best so far.
    #[allow(clippy::too_many_arguments)]
    fn scan(
        &mut self,
        matcher: &Matcher,
        file: &crate::index::ScanFile,
        ord: u32,
        places: &'p [OrdPlacement],
        keys: &'p [PlaceKey],
        generated: bool,
    ) -> Result<()> {
        let mut count = 0usize;
        let mut first = u32::MAX;
        let mut best: Vec<Option<RankKey<'p>>> = vec![None; places.len()];
        let hits = &mut self.hits;
        for piece in &file.pieces {
            matcher.each_line(
                &file.blob,
                piece,
                &file.decls,
                &file.regions,
                &mut |line, build| {
                    count += 1;
                    first = first.min(line.line);
                    let mut built: Option<Arc<LineHit>> = None;
                    for ((place, key), best) in places.iter().zip(keys).zip(best.iter_mut()) {
                        let rank = RankKey::of(ord, place, key, line, generated);
                        if best.is_none_or(|b| rank < b) {
                            *best = Some(rank);
                        }
                        if hits.admits(&rank) {
                            let hit = built.get_or_insert_with(|| Arc::new(build())).clone();
                            hits.offer(Kept {
                                rank,
                                place,
                                hit,
                                generated,
                            });
                        }
                    }
                    Ok(())
                },
            )?;
        }
        if count == 0 {
            return Ok(());
        }
        self.total += count * places.len();
        self.file_versions += places.len();
        for (place, best) in places.iter().zip(best) {
            for h in &place.holders {
                if let Some(slot) = self.revisions.get_mut(*h) {
                    *slot = true;
                }
            }
            if let Some(rank) = best {
                self.files.offer(KeptFile {
                    rank,
                    place,
                    hits: count,
                    first,
                });
            }
        }
        Ok(())
    }

    fn merge(mut self, o: Gathered<'p>) -> Self {
        self.total += o.total;
        self.file_versions += o.file_versions;
        for (a, b) in self.revisions.iter_mut().zip(o.revisions) {
            *a |= b;
        }
        self.hits = self.hits.merge(o.hits);
        self.files = self.files.merge(o.files);
        self
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
    search_with(
        index,
        q,
        scope,
        Options {
            context,
            limit,
            ..Options::default()
        },
    )
}

/// A `rule:` or `-rule:` filter naming a rule the index was not built with is an error: a typo
/// must not read as "no findings".
pub fn check_rule_filters(index: &Index, q: &Query) -> Result<()> {
    let named = q
        .filters
        .iter()
        .chain(&q.excluded_filters)
        .filter_map(|f| match f {
            Filter::Rule(r) => Some(r),
            _ => None,
        });
    for r in named {
        if !index.rule_ids().contains(r) {
            anyhow::bail!(
                "rule:{r} in the query: {}",
                crate::query::findings::unknown_rule(r, index.rule_ids())
            );
        }
    }
    Ok(())
}

/// A `sym:` value that no file version in the index declares, with declared names close to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSymbol {
    /// The value as the query gives it.
    pub name: String,
    /// Declared names close to it, best first.
    pub near: Vec<String>,
}

impl std::fmt::Display for UnknownSymbol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sym:{} names no declaration in any indexed revision",
            self.name
        )?;
        if !self.near.is_empty() {
            write!(f, "; did you mean {}?", self.near.join(" or "))?;
        }
        Ok(())
    }
}

/// The query's `sym:` values that nothing indexed declares (a function, method, type, variable
/// or constant whose name or bare name is the value, ignoring case, as `sym:` matches). A value
/// of fewer than three characters cannot be narrowed by the n-gram index and is not checked.
pub fn unknown_symbols(index: &Index, q: &Query) -> Result<Vec<UnknownSymbol>> {
    let mut out = Vec::new();
    for f in &q.filters {
        let Filter::Sym(name) = f else { continue };
        let Some(ords) = index.candidates(&GramQuery::all_of(name.as_bytes()))? else {
            continue;
        };
        let mut known = false;
        for ord in ords {
            if index.declares(ord, name)? {
                known = true;
                break;
            }
        }
        if known {
            continue;
        }
        // Names sharing a part of it (`Write`, `Sysctl`), for a "did you mean".
        let mut names: Vec<String> = Vec::new();
        for (_, part) in crate::index::tokenize::parts(name) {
            if part.len() < 3 {
                continue;
            }
            let Some(ords) = index.candidates(&GramQuery::all_of(part.as_bytes()))? else {
                continue;
            };
            for ord in ords.into_iter().take(2000) {
                names.extend(index.decls_at(ord)?.into_iter().map(|d| d.ident));
            }
        }
        names.sort();
        names.dedup();
        out.push(UnknownSymbol {
            name: name.clone(),
            near: crate::query::nearest(name, names.iter().map(String::as_str))
                .into_iter()
                .map(str::to_string)
                .collect(),
        });
    }
    Ok(out)
}

/// The candidate file versions of a query in its plan, with where they stand.
fn candidates(
    index: &Index,
    q: &Query,
    gq: &GramQuery,
    plan: &Plan,
    rules: &RuleLines,
) -> Result<Vec<(u32, Vec<OrdPlacement>)>> {
    let cands = index.candidates(gq)?;
    let mut allowed = OrdSet::new(index.blob_count());
    let mut mark = |o: u32| -> Result<()> {
        let e = index.blob(o)?;
        if e.status.has_text()
            && plan.keeps_lang(e.lang)
            && (q.within.is_none() || e.lang.has_grammar())
        {
            allowed.insert(o);
        }
        Ok(())
    };
    match &cands {
        Some(v) => v.iter().try_for_each(|o| mark(*o))?,
        None => (0..index.blob_count() as u32).try_for_each(&mut mark)?,
    }
    if allowed.is_empty() {
        return Ok(Vec::new());
    }
    // Only the trees that may hold a candidate are read (all of them when every blob is one).
    let revs = match &cands {
        Some(v) => {
            let kept: Vec<u32> = v.iter().copied().filter(|o| allowed.has(*o)).collect();
            index.may_hold(&plan.revs, &kept)?
        }
        None => plan.revs.clone(),
    };
    let places = index.places_of(
        &revs,
        |o| allowed.has(o),
        |p| Ok(plan.keeps(index.path(p)?)),
    )?;
    let mut out: Vec<(u32, Vec<OrdPlacement>)> = places
        .into_iter()
        .filter(|(o, _)| {
            rules.wanted.is_none() || index.blob(*o).is_ok_and(|e| rules.wants_blob(&e.hex()))
        })
        .collect();
    out.sort_by_key(|(o, _)| *o);
    Ok(out)
}

/// A set of blob ordinals below a bound, one bit each (a search over every pin marks ~30,000).
struct OrdSet {
    words: Vec<u64>,
    len: u32,
}

impl OrdSet {
    fn new(n: usize) -> OrdSet {
        OrdSet {
            words: vec![0; n.div_ceil(64)],
            len: u32::try_from(n).unwrap_or(u32::MAX),
        }
    }

    /// Adds `o` (one past the bound is left out: no blob has it).
    fn insert(&mut self, o: u32) {
        if o < self.len {
            self.words[o as usize / 64] |= 1 << (o % 64);
        }
    }

    fn has(&self, o: u32) -> bool {
        o < self.len && self.words[o as usize / 64] & (1 << (o % 64)) != 0
    }

    fn is_empty(&self) -> bool {
        self.words.iter().all(|w| *w == 0)
    }
}

/// Scans one candidate file version into `g`.
fn scan_candidate<'p>(
    index: &Index,
    matcher: &Matcher,
    lines_q: &GramQuery,
    opts: &Options,
    mut g: Gathered<'p>,
    (ord, places): &'p (u32, Vec<OrdPlacement>),
    keys: &'p [PlaceKey],
) -> Result<Gathered<'p>> {
    opts.cancel.check()?;
    let e = index.blob(*ord)?;
    let Some(f) = index.scan_at(*ord, lines_q, matcher.q.within.is_some())? else {
        return Ok(g);
    };
    g.scan(
        matcher,
        &f,
        *ord,
        places,
        keys,
        e.flags & BLOB_GENERATED != 0,
    )?;
    Ok(g)
}

/// Candidates holding at most this many stored (compressed) bytes are scanned on the calling
/// thread.
const SEQUENTIAL_BYTES: u64 = 512 * 1024;

/// Runs a search, building as much of the answer as `opts` asks. Every hit is counted, but at
/// most `limit` (and never more than `opts.max_kept`) are kept while the scan runs, so memory
/// stays bounded whatever the query matches; the scan stops when `opts.cancel` is cancelled.
pub fn search_with(index: &Index, q: &Query, scope: &Scope, opts: Options) -> Result<Results> {
    let plan = plan(index, Some(q), scope)?;
    let rules = RuleLines::of(index, q, opts.rule_spans)?;
    let gq = match &q.expr {
        Some(e) => crate::query::prefilter::expr_query(e, q.case_sensitive),
        None => GramQuery::All,
    };
    let cands = candidates(index, q, &gq, &plan, &rules)?;
    if cands.is_empty() {
        // Nothing to scan, so no regex to build (the patterns' syntax was checked by
        // `Query::parse`; building one can cost more than the rest of such a search).
        return Ok(Results {
            revisions_searched: plan.revs.len(),
            ..Default::default()
        });
    }
    let matcher = Matcher::new(q, opts.context, rules)?;
    // Context lines may stand in blocks no match is in, and a query that holds on a line
    // without a match reads every line: both scan whole texts.
    let lines_q = if opts.context > 0 || matcher.all_lines {
        GramQuery::All
    } else {
        gq.clone()
    };
    opts.cancel.check()?;
    let keys: Vec<Vec<PlaceKey>> = cands
        .iter()
        .map(|(_, places)| {
            places
                .iter()
                .map(|p| place_key(index, p))
                .collect::<Result<_>>()
        })
        .collect::<Result<_>>()?;
    let wanted = opts.limit.unwrap_or(usize::MAX);
    let hit_cap = wanted.min(opts.max_kept);
    let file_cap = if opts.files { opts.max_kept } else { 0 };
    let revisions = index.revisions().len();
    // A small scan runs on this thread: starting the thread pool costs more than it saves.
    let stored: u64 = cands
        .iter()
        .map(|(o, _)| index.blob(*o).map_or(0, |e| u64::from(e.len)))
        .sum();
    let got = if stored <= SEQUENTIAL_BYTES {
        cands
            .iter()
            .zip(&keys)
            .try_fold(Gathered::new(hit_cap, file_cap, revisions), |g, (c, k)| {
                scan_candidate(index, &matcher, &lines_q, &opts, g, c, k)
            })?
    } else {
        cands
            .par_iter()
            .zip(&keys)
            .try_fold(
                || Gathered::new(hit_cap, file_cap, revisions),
                |g, (c, k)| scan_candidate(index, &matcher, &lines_q, &opts, g, c, k),
            )
            .try_reduce(
                || Gathered::new(hit_cap, file_cap, revisions),
                |a, b| Ok(a.merge(b)),
            )?
    };
    let kept_all_hits = got.total <= hit_cap || hit_cap == wanted;
    let kept_all_files = got.file_versions <= file_cap || !opts.files;
    let truncated = (!kept_all_hits || !kept_all_files).then_some(Truncated {
        reason: TruncatedReason::MaxKept,
        bound: opts.max_kept,
    });
    let mut out = Results {
        total: got.total,
        file_versions: got.file_versions,
        revisions_hit: got.revisions.iter().filter(|x| **x).count(),
        revisions_searched: plan.revs.len(),
        truncated,
        ..Default::default()
    };
    if opts.files {
        out.files = file_list(index, got.files.into_sorted())?;
    }
    out.hits = materialise(index, got.hits.into_sorted())?;
    Ok(out)
}

fn place_key(index: &Index, p: &OrdPlacement) -> Result<PlaceKey> {
    let path = index.path(p.path)?.to_string();
    let revs = index.revisions();
    let ordered = index.ordered(&p.repo);
    let (newest, cited) = ordered
        .iter()
        .enumerate()
        .rfind(|(_, r)| p.holders.iter().any(|h| std::ptr::eq(&revs[*h], **r)))
        .map(|(i, r)| (i, *r))
        .expect("a placement has a holder");
    Ok(PlaceKey {
        newest,
        vendored: cited.vendored_module(&path).is_some(),
        path,
    })
}

/// The file versions with hits kept, in the order of their best hit, each cited at its first
/// hit line.
fn file_list(index: &Index, kept: Vec<KeptFile>) -> Result<Vec<FileHits>> {
    kept.into_iter()
        .map(|k| {
            let place = index.placement(k.place)?;
            let hex = index.blob(k.rank.ord)?.hex();
            Ok(FileHits {
                cite: index.cite(&hex, &place, k.first, k.first),
                hits: k.hits,
            })
        })
        .collect()
}

/// Citations and texts for the hits kept, built once per placement.
fn materialise(index: &Index, kept: Vec<Kept>) -> Result<Vec<Hit>> {
    // What the hits of one file version at one place share: worked out at its first hit.
    struct Group {
        base: Citation,
        links: Permalinks,
    }
    let mut groups: rustc_hash::FxHashMap<(*const OrdPlacement, u32), Group> = Default::default();
    // The revisions holding them, by holders (which name the repository too): most places of
    // a search share theirs (every file at one release).
    let mut helds: HashMap<Vec<*const IndexedRev>, crate::index::Held> = HashMap::new();
    let mut out = Vec::with_capacity(kept.len());
    for k in kept {
        let g = match groups.entry((k.place as *const OrdPlacement, k.rank.ord)) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let place = index.placement(k.place)?;
                let hex = index.blob(k.rank.ord)?.hex();
                let who = place
                    .holders
                    .iter()
                    .map(|h| *h as *const IndexedRev)
                    .collect();
                let held = helds.entry(who).or_insert_with(|| index.held_at(&place));
                let (base, links) = index.cite_base(hex, &place, held);
                e.insert(Group { base, links })
            }
        };
        // The line's text moved (copied only when another placement of the same file version
        // holds it too).
        let h = Arc::unwrap_or_clone(k.hit);
        out.push(Hit {
            cite: Citation {
                start: h.line,
                end: h.line,
                url: g.links.at(h.line, h.line),
                ..g.base.clone()
            },
            text: h.text,
            symbol: h.symbol,
            ranges: h.ranges,
            defines: h.defines,
            generated: k.generated,
            exact: k.rank.exact.0,
            before: h.before,
            after: h.after,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ordinal_set_holds_what_was_inserted_and_nothing_past_its_size() {
        let mut s = OrdSet::new(130);
        assert!(s.is_empty());
        for o in [0, 63, 64, 129, 130, 5000] {
            s.insert(o);
        }
        let held: Vec<u32> = (0..200).filter(|o| s.has(*o)).collect();
        assert_eq!(held, [0, 63, 64, 129]);
        assert!(!s.is_empty());
    }

    fn lines_of(q: &str, text: &str) -> Vec<(u32, String)> {
        let query = Query::parse(q).unwrap();
        let patterns = query
            .patterns()
            .into_iter()
            .map(|(p, pos)| compile(p, pos, query.case_sensitive).unwrap())
            .collect::<Vec<_>>();
        let m = Matcher {
            q: &query,
            expr: query.expr.as_ref(),
            all_lines: query
                .expr
                .as_ref()
                .is_none_or(|e| e.eval(&vec![false; patterns.len()])),
            patterns,
            syms: Vec::new(),
            rule_lines: None,
            not_rule_lines: HashMap::new(),
            idents: Vec::new(),
            context: 0,
        };
        let (parsed, _) = crate::lang::go::parse(text);
        m.lines("b", text, &DeclLines::of(&parsed.decls), &parsed.regions)
            .unwrap()
            .into_iter()
            .map(|h| (h.line, h.text))
            .collect()
    }

    impl Ranked for RankKey<'_> {
        fn rank(&self) -> RankKey<'_> {
            *self
        }
    }

    /// Keeping the best `cap` while offering in any order, across workers merged, is sorting
    /// everything and cutting.
    #[test]
    fn top_n_keeps_what_a_full_sort_would() {
        let paths: Vec<String> = (0..7).map(|i| format!("p{i}.go")).collect();
        let repos = ["a", "b"];
        let mut items = Vec::new();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for ord in 0..500u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            items.push(RankKey {
                defines: Reverse(x.is_multiple_of(11)),
                generated: x.is_multiple_of(5),
                vendored: x.is_multiple_of(3),
                exact: Reverse(x.is_multiple_of(2)),
                newest: Reverse((x >> 8) as usize % 4),
                repo: repos[(x >> 12) as usize % 2],
                path: &paths[(x >> 16) as usize % 7],
                line: (x >> 20) as u32 % 50,
                ord,
            });
        }
        let mut sorted = items.clone();
        sorted.sort();
        for cap in [0, 1, 10, 499, 500, 600] {
            let (left, right) = items.split_at(items.len() / 3);
            let mut a = TopN::new(cap);
            left.iter().for_each(|k| a.offer(*k));
            let mut b = TopN::new(cap);
            right.iter().rev().for_each(|k| b.offer(*k));
            assert!(a.heap.len() <= cap && b.heap.len() <= cap);
            let got = a.merge(b).into_sorted();
            assert_eq!(got, sorted[..cap.min(sorted.len())], "cap {cap}");
        }
    }

    const SRC: &str = "package x\n\n// Reopen reopens the file.\nfunc Reopen(f *File) error {\n\tlog(\"cannot Reopen(\")\n\treturn f.reopenAt(0) // reopen\n}\nvar fileReopen = Reopen\n";

    #[test]
    fn a_term_matches_identifier_parts_and_nothing_inside_words() {
        let got = lines_of("reopen", SRC);
        let n: Vec<u32> = got.iter().map(|x| x.0).collect();
        assert_eq!(n, [3, 4, 5, 6, 8], "{got:?}");
        assert!(lines_of("eopen", SRC).is_empty());
        assert_eq!(
            lines_of("reopen case:yes", SRC).len(),
            1,
            "only `reopen` itself"
        );
    }

    #[test]
    fn literals_keep_punctuation() {
        let got = lines_of("\"Reopen(\"", SRC);
        assert_eq!(got.iter().map(|x| x.0).collect::<Vec<_>>(), [4, 5]);
    }

    #[test]
    fn scopes_pick_code_comments_or_strings() {
        let n = |q: &str| -> Vec<u32> { lines_of(q, SRC).iter().map(|x| x.0).collect() };
        // `reopenAt` on line 6 holds `reopen` as an identifier part, in code.
        assert_eq!(n("Reopen in:code"), [4, 6, 8]);
        assert_eq!(n("reopen in:comment"), [3, 6]);
        assert_eq!(n("Reopen in:string"), [5]);
    }

    #[test]
    fn regexes_match_within_lines_only() {
        let n = |q: &str| -> Vec<u32> { lines_of(q, SRC).iter().map(|x| x.0).collect() };
        assert_eq!(n(r"/reopen\s+reopens/"), [3]);
        assert_eq!(n(r"/file\.\s*func/"), Vec::<u32>::new());
        assert_eq!(n(r"/^func/"), [4]);
        assert_eq!(n(r"/\Avar/"), [8]);
        assert_eq!(n(r"/error \{$/"), [4]);
        assert_eq!(n(r"/[^a-z]\n/"), Vec::<u32>::new());
    }

    #[test]
    fn boolean_structure() {
        let n = |q: &str| -> Vec<u32> { lines_of(q, SRC).iter().map(|x| x.0).collect() };
        assert_eq!(n("reopenAt OR log"), [5, 6]);
        assert_eq!(n("reopen -func -var"), [3, 5, 6]);
        assert_eq!(n("(func OR var) reopen"), [4, 8]);
    }
}
