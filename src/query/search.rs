//! The query stage for `archeo search`: scope (revisions, paths) from the catalog, candidate
//! file versions from the store, then a line scan that decides exactly which lines match.
//! Returns typed [`Hit`]s; printing is render's job.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use anyhow::Result;
use rayon::prelude::*;
use serde::Serialize;

use crate::index::catalog::{self, Catalog, IndexedRev};
use crate::query::syntax::{Filter, Query, match_term, required_tokens};
use crate::index::store::Store;

/// A revision holding a hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevRef {
    pub rev: String,
    pub commit: String,
}

/// A matching line of one distinct file version, with every selected revision holding it.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub repo: String,
    pub path: String,
    pub line: u32,
    pub text: String,
    pub symbol: Option<String>,
    pub vendored_module: Option<String>,
    /// Oldest first.
    pub revs: Vec<RevRef>,
    /// `v1.2.8..v1.3.3, main (12 revs)`
    #[serde(skip)]
    pub revs_display: String,
    pub url: String,
    #[serde(skip)]
    pub blob: String,
    #[serde(skip)]
    pub ranges: Vec<(usize, usize)>,
    /// The line declares a symbol named by a query term.
    #[serde(skip)]
    pub defines: bool,
    /// Context lines (number, text), before and after.
    #[serde(skip)]
    pub before: Vec<(u32, String)>,
    #[serde(skip)]
    pub after: Vec<(u32, String)>,
    #[serde(skip)]
    pub newest: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub at: Vec<String>,
    pub repos: Vec<String>,
    pub path: Option<String>,
    pub lang: Option<String>,
    pub no_vendor: bool,
}

#[derive(Debug, Default)]
pub struct Results {
    pub hits: Vec<Hit>,
    /// Hits before --limit cut the list.
    pub total: usize,
    pub revisions_searched: usize,
}

/// A permalink for a line of a file at a commit.
pub fn permalink(url: &str, commit: &str, path: &str, start: u32, end: u32) -> String {
    let base = url.trim_end_matches('/').trim_end_matches(".git");
    let anchor = if end > start {
        format!("#L{start}-L{end}")
    } else {
        format!("#L{start}")
    };
    if let Some(rest) = base.strip_prefix("https://github.com/")
        && rest.split('/').count() == 2
    {
        return format!("https://github.com/{rest}/blob/{commit}/{path}{anchor}");
    }
    let name = base.rsplit('/').next().unwrap_or(base);
    if end > start {
        format!("{name}@{commit}:{path}:{start}-{end}")
    } else {
        format!("{name}@{commit}:{path}:{start}")
    }
}

/// A path predicate from `--path` or `path:`.
type PathPredicate = Box<dyn Fn(&str) -> bool + Send + Sync>;

fn path_matcher(p: &str) -> Result<PathPredicate> {
    if p.contains(['*', '?', '[', '{']) {
        let g = globset::GlobBuilder::new(p)
            .literal_separator(false)
            .build()?
            .compile_matcher();
        Ok(Box::new(move |s: &str| g.is_match(s)))
    } else {
        let p = p.to_string();
        Ok(Box::new(move |s: &str| {
            s.starts_with(&p) || s.contains(&format!("/{p}"))
        }))
    }
}

/// Opens the catalog and store of an index directory.
pub fn open(index_dir: &Path) -> Result<(Catalog, Store)> {
    let cat = Catalog::require(index_dir)?;
    let store = Store::open(&cat.store_dir(index_dir))?;
    Ok((cat, store))
}

/// Runs a search.
pub fn search(
    index_dir: &Path,
    cat: &Catalog,
    store: &Store,
    q: &Query,
    scope: &Scope,
    context: usize,
    limit: Option<usize>,
) -> Result<Results> {
    let mut scope = scope.clone();
    for f in &q.filters {
        match f {
            Filter::Repo(r) => scope.repos.push(r.clone()),
            Filter::Lang(l) => scope.lang = Some(l.clone()),
            _ => {}
        }
    }
    let revs = crate::query::selector::select(cat, &scope.at, &scope.repos)?;
    let mut path_filters: Vec<(bool, PathPredicate)> = Vec::new();
    if let Some(p) = &scope.path {
        path_filters.push((true, path_matcher(p)?));
    }
    for f in &q.filters {
        if let Filter::Path(p) = f {
            path_filters.push((true, path_matcher(p)?));
        }
    }
    for f in &q.excluded_filters {
        match f {
            Filter::Path(p) => path_filters.push((false, path_matcher(p)?)),
            Filter::Repo(r) => {
                let r = r.clone();
                scope.repos.retain(|x| *x != r);
            }
            _ => {}
        }
    }
    let excluded_repos: Vec<&str> = q
        .excluded_filters
        .iter()
        .filter_map(|f| {
            if let Filter::Repo(r) = f {
                Some(r.as_str())
            } else {
                None
            }
        })
        .collect();
    let lang = scope.lang.clone();

    let all: Vec<String> = q.terms.iter().flat_map(required_tokens).collect();
    let addrs = store.files_with_tokens(&all, &[])?;
    let blobs = store.blobs_of(&addrs)?;
    let wanted: std::collections::HashSet<&str> = blobs.iter().map(String::as_str).collect();

    let revs: Vec<&IndexedRev> = revs
        .into_iter()
        .filter(|r| !excluded_repos.contains(&r.repo.as_str()))
        .collect();
    let occ = places(
        index_dir,
        &revs,
        |id| wanted.contains(id),
        |path| {
            !(scope.no_vendor && path.starts_with("vendor/"))
                && lang
                    .as_ref()
                    .is_none_or(|l| crate::lang::Lang::detect(path).as_str() == l)
                && path_filters.iter().all(|(want, m)| m(path) == *want)
        },
    )?;

    let rule_filters = q.filter_values(|f| {
        if let Filter::Rule(r) = f {
            Some(r)
        } else {
            None
        }
    });
    let sym_filters: Vec<String> = q
        .filter_values(|f| {
            if let Filter::Sym(s) = f {
                Some(s)
            } else {
                None
            }
        })
        .iter()
        .map(|s| s.to_lowercase())
        .collect();
    let rule_lines: HashMap<String, Vec<(u32, u32)>> = if rule_filters.is_empty() {
        HashMap::new()
    } else {
        let fs: Vec<crate::rules::Finding> = store.findings(&rule_filters)?;
        let mut m: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
        for f in fs {
            m.entry(f.blob).or_default().push((f.start, f.end));
        }
        m
    };

    let order = RevOrder::new(cat);

    let term_idents: Vec<String> = q
        .terms
        .iter()
        .filter(|t| !t.phrase)
        .map(|t| t.text.to_lowercase())
        .collect();
    // Any match of a term is a case-insensitive substring of the line, so the lines holding the
    // first term's text (ASCII case-folded) are the only ones worth the exact check.
    let prefilter: Option<Vec<u8>> = q
        .terms
        .iter()
        .map(|t| t.text.to_ascii_lowercase().into_bytes())
        .find(|t| !t.is_empty() && t.is_ascii() && !q.terms.iter().any(|x| x.phrase));
    let per_file: Vec<Vec<Hit>> = addrs
        .par_iter()
        .zip(blobs.par_iter())
        .map(|(addr, blob)| -> Result<Vec<Hit>> {
            let mut hits = Vec::new();
            let Some(places) = occ.get(blob) else {
                return Ok(hits);
            };
            let blob = blob.clone();
            if !rule_filters.is_empty() && !rule_lines.contains_key(&blob) {
                return Ok(hits);
            }
            let file = store.file(*addr)?;
            let lines: Vec<&str> = file.content.lines().collect();
            let candidates: Vec<usize> = match &prefilter {
                Some(needle) => candidate_lines(&file.content, needle),
                None => (0..lines.len()).collect(),
            };
            for i in candidates {
                let Some(line) = lines.get(i) else { continue };
                let n = i as u32 + 1;
                let mut ranges = Vec::new();
                let mut ok = true;
                for t in &q.terms {
                    match match_term(t, line) {
                        Some(r) => ranges.extend(r),
                        None => {
                            ok = false;
                            break;
                        }
                    }
                }
                if !ok || q.excluded.iter().any(|t| match_term(t, line).is_some()) {
                    continue;
                }
                if let Some(spans) = rule_lines.get(&blob)
                    && !spans.iter().any(|(s, e)| *s <= n && n <= *e)
                {
                    continue;
                }
                let decl = file.decl_at(n);
                if !sym_filters.is_empty()
                    && !decl.is_some_and(|d| {
                        sym_filters
                            .iter()
                            .all(|s| d.ident.to_lowercase() == *s || d.name.to_lowercase() == *s)
                    })
                {
                    continue;
                }
                if q.excluded_filters.iter().any(|f| match f {
                    Filter::Sym(s) => decl.is_some_and(|d| d.ident.eq_ignore_ascii_case(s)),
                    _ => false,
                }) {
                    continue;
                }
                ranges.sort();
                let defines = decl.is_some_and(|d| {
                    d.start == n && term_idents.iter().any(|t| d.ident.to_lowercase() == *t)
                });
                let before: Vec<(u32, String)> = (i.saturating_sub(context)..i)
                    .map(|k| (k as u32 + 1, lines[k].to_string()))
                    .collect();
                let after: Vec<(u32, String)> = (i + 1..(i + 1 + context).min(lines.len()))
                    .map(|k| (k as u32 + 1, lines[k].to_string()))
                    .collect();
                for ((repo, path), holders) in places {
                    let held = order.held(repo, holders);
                    hits.push(Hit {
                        repo: repo.clone(),
                        path: path.clone(),
                        line: n,
                        text: line.to_string(),
                        symbol: decl.map(|d| d.name.clone()),
                        vendored_module: held
                            .newest
                            .vendored_module(path)
                            .map(|m| format!("{} {}", m.module, m.version)),
                        revs_display: held.display.clone(),
                        revs: held.revs.clone(),
                        url: permalink(&held.newest.url, &held.newest.commit, path, n, n),
                        blob: blob.clone(),
                        ranges: ranges.clone(),
                        defines,
                        before: before.clone(),
                        after: after.clone(),
                        newest: held.newest_index,
                    });
                }
            }
            Ok(hits)
        })
        .collect::<Result<_>>()?;
    let mut hits: Vec<Hit> = per_file.into_iter().flatten().collect();
    // Definitions first, then own code before vendored, newer revisions first; then stable.
    hits.sort_by(|a, b| {
        b.defines
            .cmp(&a.defines)
            .then_with(|| {
                a.vendored_module
                    .is_some()
                    .cmp(&b.vendored_module.is_some())
            })
            .then_with(|| b.newest.cmp(&a.newest))
            .then_with(|| a.repo.cmp(&b.repo))
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.blob.cmp(&b.blob))
            .then_with(|| a.line.cmp(&b.line))
    });
    let total = hits.len();
    if let Some(l) = limit {
        hits.truncate(l);
    }
    Ok(Results {
        hits,
        total,
        revisions_searched: revs.len(),
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

/// Each repository's revisions in version order (tags by version, branches last).
pub struct RevOrder<'a> {
    order: HashMap<&'a str, Vec<&'a IndexedRev>>,
}

/// The revisions of one repository holding something.
pub struct Held<'a> {
    /// Oldest first.
    pub revs: Vec<RevRef>,
    /// `v1.2.8, v1.3.3..v1.3.5 (4 revs)`
    pub display: String,
    pub newest: &'a IndexedRev,
    pub newest_index: usize,
}

impl<'a> RevOrder<'a> {
    pub fn new(cat: &'a Catalog) -> RevOrder<'a> {
        let mut order: HashMap<&str, Vec<&IndexedRev>> = HashMap::new();
        for r in &cat.revisions {
            order.entry(r.repo.as_str()).or_default().push(r);
        }
        for v in order.values_mut() {
            v.sort_by(|a, b| crate::query::selector::cmp_revs(a, b));
        }
        RevOrder { order }
    }

    /// The repository's revisions, oldest first.
    pub fn of(&self, repo: &str) -> &[&'a IndexedRev] {
        self.order.get(repo).map_or(&[], |v| v.as_slice())
    }

    /// Which of `repo`'s revisions are among `holders`, compressed for display.
    pub fn held(&self, repo: &str, holders: &[&IndexedRev]) -> Held<'a> {
        let ordered = self.of(repo);
        let held: Vec<bool> = ordered
            .iter()
            .map(|r| holders.iter().any(|h| std::ptr::eq(*h, *r)))
            .collect();
        let names: Vec<&str> = ordered.iter().map(|r| r.rev.as_str()).collect();
        let newest_index = held.iter().rposition(|h| *h).unwrap_or(0);
        let revs: Vec<RevRef> = ordered
            .iter()
            .zip(&held)
            .filter(|(_, h)| **h)
            .map(|(r, _)| RevRef {
                rev: r.rev.clone(),
                commit: r.commit.clone(),
            })
            .collect();
        let count = revs.len();
        Held {
            display: format!(
                "{} ({count} rev{})",
                crate::query::selector::compress(&names, &held),
                if count == 1 { "" } else { "s" }
            ),
            revs,
            newest: ordered[newest_index],
            newest_index,
        }
    }
}

/// blob -> (repo, path) -> the selected revisions holding it there.
pub type Places<'a> = HashMap<String, BTreeMap<(String, String), Vec<&'a IndexedRev>>>;

/// Where the blobs `wanted` accepts stand in the revisions `revs`.
pub fn places<'a>(
    index_dir: &Path,
    revs: &[&'a IndexedRev],
    wanted: impl Fn(&str) -> bool + Sync,
    keep_path: impl Fn(&str) -> bool,
) -> Result<Places<'a>> {
    let trees: Vec<Vec<catalog::Occurrence>> = revs
        .par_iter()
        .map(|r| catalog::read_tree_filtered(index_dir, &r.commit, &wanted))
        .collect::<Result<_>>()?;
    let mut occ: Places = HashMap::new();
    for (r, tree) in revs.iter().zip(trees) {
        for e in tree {
            if e.submodule || !keep_path(&e.path) {
                continue;
            }
            occ.entry(e.id)
                .or_default()
                .entry((r.repo.clone(), e.path))
                .or_default()
                .push(*r);
        }
    }
    Ok(occ)
}
