//! Findings (or search hits) across revisions: `diff` classifies what changed between two
//! revisions by identity (rule + enclosing declaration + matched text without whitespace and
//! comments, never line numbers); `timeline` shows, per identity, which revisions hold it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::index::catalog::{Catalog, IndexedRev};
use crate::query::findings::FindingHit;
use crate::query::search::{Hit, RevOrder, Scope};
use crate::index::store::Store;

/// One side of a change: where the thing stands in one revision.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub repo: String,
    pub rev: String,
    pub commit: String,
    pub path: String,
    pub start: u32,
    pub end: u32,
    pub text: String,
    pub facts: BTreeMap<String, Vec<String>>,
    pub url: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    Added,
    Removed,
    Changed,
    Moved,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Added => "added",
            Class::Removed => "removed",
            Class::Changed => "changed",
            Class::Moved => "moved",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub class: Class,
    pub rule: Option<String>,
    pub symbol: Option<String>,
    pub a: Option<Side>,
    pub b: Option<Side>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ModuleChange {
    pub module: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DiffReport {
    pub a: String,
    pub a_commit: String,
    pub b: String,
    pub b_commit: String,
    pub changes: Vec<Change>,
    pub unchanged: usize,
    pub modules: Vec<ModuleChange>,
    /// Files holding findings at A that B does not have, and the reverse.
    pub files_removed: Vec<String>,
    pub files_added: Vec<String>,
}

impl DiffReport {
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
            && self.modules.is_empty()
            && self.files_added.is_empty()
            && self.files_removed.is_empty()
    }
}

/// A thing at one revision with its identity.
struct Item {
    identity: String,
    /// rule + declaration: what "changed" pairs on.
    slot: String,
    rule: Option<String>,
    symbol: Option<String>,
    side: Side,
}

fn side_of_finding(f: &FindingHit, rev: &IndexedRev) -> Side {
    Side {
        repo: f.repo.clone(),
        rev: rev.rev.clone(),
        commit: rev.commit.clone(),
        path: f.path.clone(),
        start: f.start,
        end: f.end,
        text: f.text.clone(),
        facts: f.facts.clone(),
        url: crate::query::search::permalink(&rev.url, &rev.commit, &f.path, f.start, f.end),
    }
}

fn items_at(
    index_dir: &Path,
    cat: &Catalog,
    store: &Store,
    rev: &IndexedRev,
    rules: &[String],
    search: Option<&crate::query::syntax::Query>,
) -> Result<Vec<Item>> {
    let sel = format!("{}@{}", rev.repo, rev.rev);
    let mut out = Vec::new();
    match search {
        None => {
            for f in crate::query::findings::query(
                index_dir,
                cat,
                store,
                rules,
                std::slice::from_ref(&sel),
                &[],
                false,
            )? {
                out.push(Item {
                    identity: f.identity(),
                    slot: format!("{}\u{1f}{}", f.rule, f.symbol.as_deref().unwrap_or("")),
                    rule: Some(f.rule.clone()),
                    symbol: f.symbol.clone(),
                    side: side_of_finding(&f, rev),
                });
            }
        }
        Some(q) => {
            let scope = Scope {
                at: vec![sel],
                ..Default::default()
            };
            let res = crate::query::search::search(index_dir, cat, store, q, &scope, 0, None)?;
            for h in res.hits {
                out.push(hit_item(&h, rev));
            }
        }
    }
    out.sort_by(|a, b| {
        (&a.identity, &a.side.path, a.side.start).cmp(&(&b.identity, &b.side.path, b.side.start))
    });
    Ok(out)
}

fn hit_item(h: &Hit, rev: &IndexedRev) -> Item {
    let norm = crate::rules::normalise_code(&h.text);
    Item {
        identity: format!("{}\u{1f}{norm}", h.symbol.as_deref().unwrap_or("")),
        slot: format!("\u{1f}{}", h.symbol.as_deref().unwrap_or("")),
        rule: None,
        symbol: h.symbol.clone(),
        side: Side {
            repo: h.repo.clone(),
            rev: rev.rev.clone(),
            commit: rev.commit.clone(),
            path: h.path.clone(),
            start: h.line,
            end: h.line,
            text: h.text.clone(),
            facts: BTreeMap::new(),
            url: h.url.clone(),
        },
    }
}

/// Compares two revisions.
pub fn diff(
    index_dir: &Path,
    cat: &Catalog,
    store: &Store,
    a_sel: &str,
    b_sel: &str,
    rules: &[String],
    search: Option<&crate::query::syntax::Query>,
) -> Result<DiffReport> {
    let a = crate::query::selector::resolve(cat, a_sel)?;
    let b = crate::query::selector::resolve(cat, b_sel)?;
    let ia = items_at(index_dir, cat, store, a, rules, search)?;
    let ib = items_at(index_dir, cat, store, b, rules, search)?;

    let mut changes = Vec::new();
    let mut unchanged = 0;
    // Pair equal identities first (in path/line order), then what is left by slot.
    let mut left_b: Vec<Option<&Item>> = ib.iter().map(Some).collect();
    let mut left_a: Vec<&Item> = Vec::new();
    for x in &ia {
        let m = left_b
            .iter_mut()
            .find(|y| y.is_some_and(|y| y.identity == x.identity && y.side.path == x.side.path));
        let m = match m {
            Some(m) => m,
            None => match left_b
                .iter_mut()
                .find(|y| y.is_some_and(|y| y.identity == x.identity))
            {
                Some(m) => m,
                None => {
                    left_a.push(x);
                    continue;
                }
            },
        };
        let y = m.take().expect("found as Some");
        if y.side.path == x.side.path && y.side.start == x.side.start && y.side.end == x.side.end {
            unchanged += 1;
        } else {
            changes.push(Change {
                class: Class::Moved,
                rule: x.rule.clone(),
                symbol: x.symbol.clone(),
                a: Some(x.side.clone()),
                b: Some(y.side.clone()),
            });
        }
    }
    let mut rest_b: Vec<&Item> = left_b.into_iter().flatten().collect();
    for x in left_a {
        let same_slot = rest_b.iter().position(|y| {
            y.slot == x.slot
                && x.symbol.is_some()
                && (y.side.facts != x.side.facts || search.is_none())
        });
        match same_slot {
            Some(i) => {
                let y = rest_b.remove(i);
                changes.push(Change {
                    class: Class::Changed,
                    rule: x.rule.clone(),
                    symbol: x.symbol.clone(),
                    a: Some(x.side.clone()),
                    b: Some(y.side.clone()),
                });
            }
            None => changes.push(Change {
                class: Class::Removed,
                rule: x.rule.clone(),
                symbol: x.symbol.clone(),
                a: Some(x.side.clone()),
                b: None,
            }),
        }
    }
    for y in rest_b {
        changes.push(Change {
            class: Class::Added,
            rule: y.rule.clone(),
            symbol: y.symbol.clone(),
            a: None,
            b: Some(y.side.clone()),
        });
    }
    changes.sort_by(|x, y| {
        let key = |c: &Change| {
            let s = c.b.as_ref().or(c.a.as_ref()).expect("a side");
            (c.class, c.rule.clone(), s.path.clone(), s.start)
        };
        key(x).cmp(&key(y))
    });

    // Vendored module versions.
    let va: BTreeMap<&str, &str> = a
        .vendor
        .iter()
        .map(|m| (m.module.as_str(), m.version.as_str()))
        .collect();
    let vb: BTreeMap<&str, &str> = b
        .vendor
        .iter()
        .map(|m| (m.module.as_str(), m.version.as_str()))
        .collect();
    let mut modules = Vec::new();
    for m in va.keys().chain(vb.keys()).collect::<BTreeSet<_>>() {
        let (x, y) = (va.get(m), vb.get(m));
        if x != y {
            modules.push(ModuleChange {
                module: m.to_string(),
                from: x.map(|s| s.to_string()),
                to: y.map(|s| s.to_string()),
            });
        }
    }

    // Files holding findings on one side only.
    let paths_a: BTreeSet<String> = crate::index::catalog::read_tree(index_dir, &a.commit)?
        .into_iter()
        .map(|e| e.path)
        .collect();
    let paths_b: BTreeSet<String> = crate::index::catalog::read_tree(index_dir, &b.commit)?
        .into_iter()
        .map(|e| e.path)
        .collect();
    let files_removed: BTreeSet<String> = ia
        .iter()
        .map(|i| i.side.path.clone())
        .filter(|p| !paths_b.contains(p))
        .collect();
    let files_added: BTreeSet<String> = ib
        .iter()
        .map(|i| i.side.path.clone())
        .filter(|p| !paths_a.contains(p))
        .collect();

    Ok(DiffReport {
        a: format!("{}@{}", a.repo, a.rev),
        a_commit: a.commit.clone(),
        b: format!("{}@{}", b.repo, b.rev),
        b_commit: b.commit.clone(),
        changes,
        unchanged,
        modules,
        files_removed: files_removed.into_iter().collect(),
        files_added: files_added.into_iter().collect(),
    })
}

/// One identity's presence across revisions.
#[derive(Debug, Clone, Serialize)]
pub struct Track {
    pub rule: Option<String>,
    pub symbol: Option<String>,
    pub repo: String,
    /// Where it stands in the newest revision holding it.
    pub path: String,
    pub line: u32,
    pub text: String,
    pub facts: BTreeMap<String, Vec<String>>,
    pub url: String,
    /// `v1.2.8, v1.3.3..v1.3.6 (5 revs)`
    pub held: String,
    pub revs: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Timeline {
    /// Every selected revision in version order, with its count.
    pub revisions: Vec<(String, String, String, usize)>,
    pub tracks: Vec<Track>,
}

/// Which revisions hold each finding (or search hit) identity.
pub fn timeline(
    index_dir: &Path,
    cat: &Catalog,
    store: &Store,
    rules: &[String],
    search: Option<&crate::query::syntax::Query>,
    repos: &[String],
) -> Result<Timeline> {
    let order = RevOrder::new(cat);
    let revs = crate::query::selector::select(cat, &[], repos)?;
    // identity -> (first-seen info, set of (repo, rev))
    // The item shown is the one in the newest revision holding the identity.
    let mut by_id: BTreeMap<(String, String), (Item, usize, BTreeSet<String>)> = BTreeMap::new();
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut add = |item: Item, holders: Vec<String>| {
        let key = (item.side.repo.clone(), item.identity.clone());
        for h in &holders {
            *counts
                .entry((item.side.repo.clone(), h.clone()))
                .or_default() += 1;
        }
        let pos = order
            .of(&item.side.repo)
            .iter()
            .rposition(|r| holders.contains(&r.rev))
            .unwrap_or(0);
        match by_id.get_mut(&key) {
            Some(e) => {
                if pos > e.1 {
                    e.0 = item;
                    e.1 = pos;
                }
                e.2.extend(holders);
            }
            None => {
                by_id.insert(key, (item, pos, holders.into_iter().collect()));
            }
        }
    };
    match search {
        None => {
            for f in crate::query::findings::query(index_dir, cat, store, rules, &[], repos, false)? {
                let newest = order
                    .of(&f.repo)
                    .iter()
                    .rev()
                    .find(|r| {
                        f.revs
                            .iter()
                            .any(|x| x.commit == r.commit && x.rev == r.rev)
                    })
                    .copied();
                let Some(newest) = newest else { continue };
                let holders = f.revs.iter().map(|r| r.rev.clone()).collect();
                add(
                    Item {
                        identity: f.identity(),
                        slot: String::new(),
                        rule: Some(f.rule.clone()),
                        symbol: f.symbol.clone(),
                        side: side_of_finding(&f, newest),
                    },
                    holders,
                );
            }
        }
        Some(q) => {
            let scope = Scope {
                repos: repos.to_vec(),
                ..Default::default()
            };
            let res = crate::query::search::search(index_dir, cat, store, q, &scope, 0, None)?;
            for h in res.hits {
                let newest = order.of(&h.repo)[h.newest];
                let holders = h.revs.iter().map(|r| r.rev.clone()).collect();
                add(hit_item(&h, newest), holders);
            }
        }
    }
    let mut tracks: Vec<Track> = by_id
        .into_values()
        .map(|(item, _, held)| {
            let ordered = order.of(&item.side.repo);
            let mask: Vec<bool> = ordered.iter().map(|r| held.contains(&r.rev)).collect();
            let names: Vec<&str> = ordered.iter().map(|r| r.rev.as_str()).collect();
            let n = held.len();
            Track {
                rule: item.rule,
                symbol: item.symbol,
                repo: item.side.repo.clone(),
                path: item.side.path,
                line: item.side.start,
                text: item.side.text,
                facts: item.side.facts,
                url: item.side.url,
                held: format!(
                    "{} ({n} rev{})",
                    crate::query::selector::compress(&names, &mask),
                    if n == 1 { "" } else { "s" }
                ),
                revs: ordered
                    .iter()
                    .filter(|r| held.contains(&r.rev))
                    .map(|r| r.rev.clone())
                    .collect(),
            }
        })
        .collect();
    // Oldest first appearance first.
    tracks.sort_by_key(|t| {
        let ordered = order.of(&t.repo);
        let first = ordered
            .iter()
            .position(|r| t.revs.first() == Some(&r.rev))
            .unwrap_or(usize::MAX);
        (t.repo.clone(), first, t.path.clone(), t.line)
    });
    let mut revisions = Vec::new();
    let mut seen_repos: Vec<&str> = Vec::new();
    for r in &revs {
        if !seen_repos.contains(&r.repo.as_str()) {
            seen_repos.push(&r.repo);
        }
    }
    for repo in seen_repos {
        for r in order.of(repo) {
            if revs.iter().any(|x| std::ptr::eq(*x, *r)) {
                let c = counts
                    .get(&(r.repo.clone(), r.rev.clone()))
                    .copied()
                    .unwrap_or(0);
                revisions.push((r.repo.clone(), r.rev.clone(), r.commit.clone(), c));
            }
        }
    }
    Ok(Timeline { revisions, tracks })
}
