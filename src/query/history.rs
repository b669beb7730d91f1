//! Findings (or search hits) across revisions: [`diff`] classifies what changed between two
//! revisions by identity (rule + enclosing declaration + matched text without whitespace and
//! comments, never line numbers); [`timeline`] shows, per identity, which revisions hold it.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Result;

use crate::index::Index;
use crate::index::catalog::IndexedRev;
use crate::index::citation::Citation;
use crate::query::cancel::Cancel;
use crate::query::findings::{self, FindingHit, Selection};
use crate::query::search::{self, Hit, Scope};
use crate::query::syntax::Query;

/// What a diff or timeline follows.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// Findings of these rules (every rule when empty).
    Rules(&'a [String]),
    /// The lines a search matches.
    Search(&'a Query),
}

/// Which places a diff compares, besides its two revisions (`--path`, `--no-vendor`).
#[derive(Debug, Clone, Default)]
pub struct DiffScope {
    /// Only paths matching this pattern (see [`crate::path_filter`]).
    pub path: Option<String>,
    /// Leave out vendored code, and vendored module version changes.
    pub no_vendor: bool,
}

impl DiffScope {
    /// The search scope at one revision.
    fn at(&self, sel: String) -> Scope {
        Scope {
            at: vec![sel],
            path: self.path.clone(),
            no_vendor: self.no_vendor,
            ..Default::default()
        }
    }

    /// Is a file at `path` within this scope (its path pattern, and not vendored code when
    /// that is left out)?
    fn shows_file(&self, path: &str) -> bool {
        if self.no_vendor && (path.starts_with("vendor/") || path.contains("/vendor/")) {
            return false;
        }
        match &self.path {
            None => true,
            Some(p) => crate::path_filter::PathFilter::new(p).is_ok_and(|f| f.is_match(path)),
        }
    }

    /// Are vendored module changes within this scope? (Not without vendored code, and with a
    /// path pattern only when it names a path under the module's vendor/ directory.)
    fn shows_module(&self, module: &str) -> bool {
        if self.no_vendor {
            return false;
        }
        match &self.path {
            None => true,
            Some(p) => crate::path_filter::PathFilter::new(p)
                .is_ok_and(|f| f.is_match(&format!("vendor/{module}/"))),
        }
    }
}

/// One side of a change: where the thing stands in one revision.
#[derive(Debug, Clone)]
pub struct Side {
    /// The place, at that one revision.
    pub cite: Citation,
    /// The matched text.
    pub text: String,
    /// The rule's facts there.
    pub facts: BTreeMap<String, Vec<String>>,
}

/// How a thing changed between the two revisions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Only in the new revision.
    Added,
    /// Only in the old revision.
    Removed,
    /// Same rule and declaration, other text or facts.
    Changed,
    /// Same identity, other path or lines.
    Moved,
}

impl Class {
    /// The class's name, as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Added => "added",
            Class::Removed => "removed",
            Class::Changed => "changed",
            Class::Moved => "moved",
        }
    }
}

/// One change.
#[derive(Debug, Clone)]
pub struct Change {
    /// What kind of change.
    pub class: Class,
    /// The rule, for findings.
    pub rule: Option<String>,
    /// The enclosing declaration.
    pub symbol: Option<String>,
    /// The old side.
    pub a: Option<Side>,
    /// The new side.
    pub b: Option<Side>,
}

/// A vendored module whose version differs.
#[derive(Debug, Clone)]
pub struct ModuleChange {
    /// Module path.
    pub module: String,
    /// Version at the old revision.
    pub from: Option<String>,
    /// Version at the new revision.
    pub to: Option<String>,
}

/// A dependency edge (not a Go module: those are `modules`) whose version differs.
#[derive(Debug, Clone)]
pub struct DepChange {
    /// The file declaring it (at B when present there, else at A).
    pub path: String,
    /// What kind of edge.
    pub kind: crate::deps::EdgeKind,
    /// What the file calls the dependency.
    pub name: String,
    /// Version at the old revision, with its citation.
    pub from: Option<(String, Citation)>,
    /// Version at the new revision, with its citation.
    pub to: Option<(String, Citation)>,
}

/// What changed between two revisions.
#[derive(Debug, Clone)]
pub struct DiffReport {
    /// The old side's selector (`repo@rev`).
    pub a: String,
    /// Its commit.
    pub a_commit: String,
    /// The new side's selector.
    pub b: String,
    /// Its commit.
    pub b_commit: String,
    /// Every change, by class then place.
    pub changes: Vec<Change>,
    /// Things at the same place on both sides.
    pub unchanged: usize,
    /// Vendored modules whose versions differ.
    pub modules: Vec<ModuleChange>,
    /// Vendored code was left out (`--no-vendor`): `modules` is empty by request, not because
    /// nothing vendored changed.
    pub vendor_left_out: bool,
    /// Other dependency edges (Dockerfiles, installers, version files, submodules) that differ.
    pub deps: Vec<DepChange>,
    /// Files holding findings at A that B does not have.
    pub files_removed: Vec<String>,
    /// Files holding findings at B that A does not have.
    pub files_added: Vec<String>,
}

impl DiffReport {
    /// No change of any kind.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
            && self.modules.is_empty()
            && self.deps.is_empty()
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

impl Item {
    fn of_finding(f: &FindingHit, cite: Citation) -> Item {
        Item {
            identity: f.identity(),
            slot: format!("{}\u{1f}{}", f.rule, f.symbol.as_deref().unwrap_or("")),
            rule: Some(f.rule.clone()),
            symbol: f.symbol.clone(),
            side: Side {
                cite,
                text: f.text.clone(),
                facts: f.facts.clone(),
            },
        }
    }

    fn of_hit(h: &Hit) -> Item {
        let norm = crate::rules::normalise_code(&h.text);
        Item {
            identity: format!("{}\u{1f}{norm}", h.symbol.as_deref().unwrap_or("")),
            slot: format!("\u{1f}{}", h.symbol.as_deref().unwrap_or("")),
            rule: None,
            symbol: h.symbol.clone(),
            side: Side {
                cite: h.cite.clone(),
                text: h.text.clone(),
                facts: BTreeMap::new(),
            },
        }
    }

    fn change(&self, class: Class, a: Option<&Item>, b: Option<&Item>) -> Change {
        Change {
            class,
            rule: self.rule.clone(),
            symbol: self.symbol.clone(),
            a: a.map(|x| x.side.clone()),
            b: b.map(|x| x.side.clone()),
        }
    }
}

fn items_at(
    index: &Index,
    rev: &IndexedRev,
    subject: Subject,
    within: &DiffScope,
    cancel: &Cancel,
) -> Result<Vec<Item>> {
    let scope = within.at(format!("{}@{}", rev.repo, rev.rev));
    let mut out: Vec<Item> = match subject {
        Subject::Rules(rules) => {
            let s = Selection {
                rules: rules.to_vec(),
                scope,
            };
            findings::query(index, &s)?
                .iter()
                .map(|f| {
                    let c = &f.cite;
                    Item::of_finding(f, index.cite_at(rev, &c.blob, &c.path, c.start, c.end))
                })
                .collect()
        }
        Subject::Search(q) => search::search_with(index, q, &scope, cancellable(cancel))?
            .complete()?
            .hits
            .iter()
            .map(Item::of_hit)
            .collect(),
    };
    out.sort_by(|a, b| {
        (&a.identity, &a.side.cite.path, a.side.cite.start).cmp(&(
            &b.identity,
            &b.side.cite.path,
            b.side.cite.start,
        ))
    });
    Ok(out)
}

/// Search options that only carry `cancel` (every hit, no context).
fn cancellable(cancel: &Cancel) -> search::Options {
    search::Options {
        cancel: cancel.clone(),
        ..Default::default()
    }
}

/// Compares two revisions, within `within`'s paths; a search subject stops when `cancel` is
/// cancelled.
pub fn diff(
    index: &Index,
    a_sel: &str,
    b_sel: &str,
    subject: Subject,
    within: &DiffScope,
    cancel: &Cancel,
) -> Result<DiffReport> {
    let a = index.resolve(a_sel)?;
    let b = index.resolve(b_sel)?;
    let ia = items_at(index, a, subject, within, cancel)?;
    let ib = items_at(index, b, subject, within, cancel)?;
    let (changes, unchanged) = classify(&ia, &ib, subject);
    let (files_removed, files_added) = files_changed(index, (a, &ia), (b, &ib))?;
    Ok(DiffReport {
        a: format!("{}@{}", a.repo, a.rev),
        a_commit: a.commit.clone(),
        b: format!("{}@{}", b.repo, b.rev),
        b_commit: b.commit.clone(),
        changes,
        unchanged,
        modules: modules_changed(a, b)
            .into_iter()
            .filter(|m| within.shows_module(&m.module))
            .collect(),
        vendor_left_out: within.no_vendor,
        deps: deps_changed(index, a, b)?
            .into_iter()
            .filter(|c| within.shows_file(&c.path))
            .collect(),
        files_removed,
        files_added,
    })
}

/// The changes of `subject` between two revisions, and the unchanged count: what `diff`
/// reports first, without its module, dependency and file lists (what `archeo watch` compares
/// for each new release).
pub fn compare(
    index: &Index,
    a: &IndexedRev,
    b: &IndexedRev,
    subject: Subject,
    within: &DiffScope,
) -> Result<(Vec<Change>, usize)> {
    let ia = items_at(index, a, subject, within, &Cancel::never())?;
    let ib = items_at(index, b, subject, within, &Cancel::never())?;
    Ok(classify(&ia, &ib, subject))
}

/// How many things `subject` finds at one revision.
pub fn count_at(
    index: &Index,
    rev: &IndexedRev,
    subject: Subject,
    within: &DiffScope,
) -> Result<usize> {
    Ok(items_at(index, rev, subject, within, &Cancel::never())?.len())
}

/// Pairs two revisions' things and orders the changes by class, rule and place.
fn classify(ia: &[Item], ib: &[Item], subject: Subject) -> (Vec<Change>, usize) {
    let (mut changes, unchanged) = pair(ia, ib, matches!(subject, Subject::Search(_)));
    changes.sort_by(|x, y| {
        let key = |c: &Change| {
            let s = c.b.as_ref().or(c.a.as_ref()).expect("a side");
            (c.class, c.rule.clone(), s.cite.path.clone(), s.cite.start)
        };
        key(x).cmp(&key(y))
    });
    (changes, unchanged)
}

/// Pairs equal identities first (same path preferred), then what is left by slot (rule +
/// declaration): moved, changed, added and removed, and the count of unchanged.
fn pair(ia: &[Item], ib: &[Item], by_search: bool) -> (Vec<Change>, usize) {
    let mut changes = Vec::new();
    let mut unchanged = 0;
    let mut left_b: Vec<Option<&Item>> = ib.iter().map(Some).collect();
    let mut left_a: Vec<&Item> = Vec::new();
    for x in ia {
        let same = |y: &&Item, same_path: bool| {
            y.identity == x.identity && (!same_path || y.side.cite.path == x.side.cite.path)
        };
        let slot = left_b
            .iter()
            .position(|y| y.as_ref().is_some_and(|y| same(y, true)))
            .or_else(|| {
                left_b
                    .iter()
                    .position(|y| y.as_ref().is_some_and(|y| same(y, false)))
            });
        let Some(i) = slot else {
            left_a.push(x);
            continue;
        };
        let y = left_b[i].take().expect("found as Some");
        let (sa, sb) = (&x.side.cite, &y.side.cite);
        if sa.path == sb.path && sa.start == sb.start && sa.end == sb.end {
            unchanged += 1;
        } else {
            changes.push(x.change(Class::Moved, Some(x), Some(y)));
        }
    }
    let mut rest_b: Vec<&Item> = left_b.into_iter().flatten().collect();
    for x in left_a {
        let same_slot = rest_b.iter().position(|y| {
            y.slot == x.slot && x.symbol.is_some() && (y.side.facts != x.side.facts || !by_search)
        });
        match same_slot {
            Some(i) => {
                let y = rest_b.remove(i);
                changes.push(x.change(Class::Changed, Some(x), Some(y)));
            }
            None => changes.push(x.change(Class::Removed, Some(x), None)),
        }
    }
    for y in rest_b {
        changes.push(y.change(Class::Added, None, Some(y)));
    }
    (changes, unchanged)
}

/// Vendored module versions that differ between two revisions.
fn modules_changed(a: &IndexedRev, b: &IndexedRev) -> Vec<ModuleChange> {
    let versions = |r: &IndexedRev| -> BTreeMap<String, String> {
        r.vendor
            .iter()
            .map(|m| (m.module.clone(), m.version.clone()))
            .collect()
    };
    let (va, vb) = (versions(a), versions(b));
    va.keys()
        .chain(vb.keys())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|m| va.get(*m) != vb.get(*m))
        .map(|m| ModuleChange {
            module: m.clone(),
            from: va.get(m).cloned(),
            to: vb.get(m).cloned(),
        })
        .collect()
}

/// Dependency edges other than Go modules whose versions differ between two revisions, keyed
/// by (file, kind, name).
fn deps_changed(index: &Index, a: &IndexedRev, b: &IndexedRev) -> Result<Vec<DepChange>> {
    use crate::deps::EdgeKind;
    type Key = (String, EdgeKind, String);
    let none = crate::deps::Repos::default();
    let edges = |r: &IndexedRev| -> Result<BTreeMap<Key, (String, Citation)>> {
        Ok(crate::query::deps::edges_at(index, r, &none)?
            .into_iter()
            .filter(|e| !matches!(e.edge.kind, EdgeKind::GoRequire | EdgeKind::Vendored))
            .map(|e| {
                (
                    (e.cite.path.clone(), e.edge.kind, e.edge.name.clone()),
                    (e.edge.version.clone(), e.cite),
                )
            })
            .collect())
    };
    let (ea, eb) = (edges(a)?, edges(b)?);
    let keys: BTreeSet<&Key> = ea.keys().chain(eb.keys()).collect();
    Ok(keys
        .into_iter()
        .filter(|k| ea.get(*k).map(|x| &x.0) != eb.get(*k).map(|x| &x.0))
        .map(|k| DepChange {
            path: k.0.clone(),
            kind: k.1,
            name: k.2.clone(),
            from: ea.get(k).cloned(),
            to: eb.get(k).cloned(),
        })
        .collect())
}

/// Files holding things at one side whose path the other side's tree lacks.
fn files_changed(
    index: &Index,
    (a, ia): (&IndexedRev, &[Item]),
    (b, ib): (&IndexedRev, &[Item]),
) -> Result<(Vec<String>, Vec<String>)> {
    let paths = |r: &IndexedRev| -> Result<BTreeSet<String>> {
        Ok(index.tree(&r.commit)?.into_iter().map(|e| e.path).collect())
    };
    let (pa, pb) = (paths(a)?, paths(b)?);
    let only = |items: &[Item], other: &BTreeSet<String>| -> Vec<String> {
        items
            .iter()
            .map(|i| i.side.cite.path.clone())
            .filter(|p| !other.contains(p))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect()
    };
    Ok((only(ia, &pb), only(ib, &pa)))
}

/// One identity's presence across revisions.
#[derive(Debug, Clone)]
pub struct Track {
    /// The rule, for findings.
    pub rule: Option<String>,
    /// The enclosing declaration.
    pub symbol: Option<String>,
    /// Where it stands in the newest revision holding it; `revs` lists every revision holding
    /// the identity (at any path), `revs_display` compresses them.
    pub cite: Citation,
    /// The matched text there.
    pub text: String,
    /// The rule's facts there.
    pub facts: BTreeMap<String, Vec<String>>,
    /// Where it stood in each revision holding it, in version order: its own path and lines.
    pub places: Vec<TrackPlace>,
    /// `places` grouped by path and lines, in order of first appearance.
    pub groups: Vec<PlaceGroup>,
}

/// Where a tracked thing stood in one revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackPlace {
    /// The rev name.
    pub rev: String,
    /// Its commit.
    pub commit: String,
    /// The path there.
    pub path: String,
    /// First line there.
    pub start: u32,
    /// Last line there.
    pub end: u32,
    /// Permalink on that revision's commit.
    pub url: String,
}

/// The distinct (path, start, end) places of a track, each with the revisions holding it
/// there compressed like `Citation::revs_display`; in order of first appearance.
fn group_places(index: &Index, repo: &str, places: &[TrackPlace]) -> Vec<PlaceGroup> {
    let mut groups: Vec<PlaceGroup> = Vec::new();
    for p in places {
        let same = |g: &&mut PlaceGroup| g.path == p.path && g.start == p.start && g.end == p.end;
        match groups.iter_mut().find(same) {
            // Later revisions come later: the permalink ends at the newest one holding it.
            Some(g) => {
                g.revs.push(p.rev.clone());
                g.url = p.url.clone();
            }
            None => groups.push(PlaceGroup {
                path: p.path.clone(),
                start: p.start,
                end: p.end,
                url: p.url.clone(),
                revs: vec![p.rev.clone()],
                revs_display: String::new(),
            }),
        }
    }
    for g in &mut groups {
        g.revs_display = index.held(repo, |r| g.revs.contains(&r.rev)).display;
    }
    groups
}

/// One place of a track with the revisions holding the thing there.
#[derive(Debug, Clone)]
pub struct PlaceGroup {
    /// Path.
    pub path: String,
    /// First line.
    pub start: u32,
    /// Last line.
    pub end: u32,
    /// Permalink at the newest revision holding it there.
    pub url: String,
    /// The rev names.
    pub revs: Vec<String>,
    /// Compressed: `v1.2.8, v1.3.3..v1.3.5 (4 revs)`.
    pub revs_display: String,
}

/// A revision of a timeline and how many tracked things it holds.
#[derive(Debug, Clone)]
pub struct TimelineRev {
    /// Repository name.
    pub repo: String,
    /// Rev name.
    pub rev: String,
    /// Commit.
    pub commit: String,
    /// How many tracked things it holds.
    pub count: usize,
}

/// Which revisions hold each identity.
#[derive(Debug, Clone)]
pub struct Timeline {
    /// Every selected revision in version order, with its count.
    pub revisions: Vec<TimelineRev>,
    /// Oldest first appearance first.
    pub tracks: Vec<Track>,
}

/// An identity seen in some revisions.
struct Seen {
    item: Item,
    /// Position of the newest revision holding `item`'s place.
    newest: usize,
    holders: BTreeSet<String>,
    /// rev name -> (path, start, end) there.
    at: BTreeMap<String, (String, u32, u32)>,
}

/// Which revisions hold each finding (or search hit) identity; a search subject stops when
/// `cancel` is cancelled.
pub fn timeline(
    index: &Index,
    subject: Subject,
    repos: &[String],
    cancel: &Cancel,
) -> Result<Timeline> {
    let revs = index.select(&[], repos)?;
    let mut counts: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut by_id: BTreeMap<(String, String), Seen> = BTreeMap::new();
    for (item, newest) in timeline_items(index, subject, repos, cancel)? {
        let c = &item.side.cite;
        for h in c.revs.iter() {
            *counts.entry((c.repo.clone(), h.rev.clone())).or_default() += 1;
        }
        let holders: BTreeSet<String> = c.revs.iter().map(|r| r.rev.clone()).collect();
        let at: BTreeMap<String, (String, u32, u32)> = c
            .revs
            .iter()
            .map(|r| (r.rev.clone(), (c.path.clone(), c.start, c.end)))
            .collect();
        let key = (c.repo.clone(), item.identity.clone());
        match by_id.get_mut(&key) {
            Some(seen) => {
                seen.holders.extend(holders);
                for (rev, place) in at {
                    // Two places in one revision: keep the first by path and line.
                    let e = seen.at.entry(rev).or_insert_with(|| place.clone());
                    if place < *e {
                        *e = place;
                    }
                }
                // The place shown is the one in the newest revision holding the identity.
                if newest > seen.newest {
                    seen.item = item;
                    seen.newest = newest;
                }
            }
            None => {
                by_id.insert(
                    key,
                    Seen {
                        item,
                        newest,
                        holders,
                        at,
                    },
                );
            }
        }
    }
    Ok(Timeline {
        revisions: revision_counts(index, &revs, &counts),
        tracks: tracks(index, by_id.into_values()),
    })
}

/// Every finding (or hit) in the selected repositories, with its newest holder's position.
fn timeline_items(
    index: &Index,
    subject: Subject,
    repos: &[String],
    cancel: &Cancel,
) -> Result<Vec<(Item, usize)>> {
    Ok(match subject {
        Subject::Rules(rules) => {
            let sel = Selection {
                rules: rules.to_vec(),
                scope: Scope {
                    repos: repos.to_vec(),
                    ..Default::default()
                },
            };
            findings::query(index, &sel)?
                .iter()
                .map(|f| (Item::of_finding(f, f.cite.clone()), f.cite.newest))
                .collect()
        }
        Subject::Search(q) => {
            let scope = Scope {
                repos: repos.to_vec(),
                ..Default::default()
            };
            search::search_with(index, q, &scope, cancellable(cancel))?
                .complete()?
                .hits
                .iter()
                .map(|h| (Item::of_hit(h), h.cite.newest))
                .collect()
        }
    })
}

/// One track per identity, oldest first appearance first.
fn tracks(index: &Index, seen: impl Iterator<Item = Seen>) -> Vec<Track> {
    let mut tracks: Vec<(usize, Track)> = seen
        .map(|seen| {
            let repo = seen.item.side.cite.repo.clone();
            let held = index.held(&repo, |r| seen.holders.contains(&r.rev));
            let first = index
                .ordered(&repo)
                .iter()
                .position(|r| seen.holders.contains(&r.rev))
                .unwrap_or(usize::MAX);
            let places = index
                .ordered(&repo)
                .into_iter()
                .filter_map(|r| {
                    let (path, start, end) = seen.at.get(&r.rev)?;
                    Some(TrackPlace {
                        rev: r.rev.clone(),
                        commit: r.commit.clone(),
                        path: path.clone(),
                        start: *start,
                        end: *end,
                        url: crate::index::citation::permalink(
                            &r.url, &r.commit, path, *start, *end,
                        ),
                    })
                })
                .collect::<Vec<_>>();
            let groups = group_places(index, &repo, &places);
            let mut cite = seen.item.side.cite;
            cite.revs = held.revs;
            cite.revs_display = held.display;
            let track = Track {
                rule: seen.item.rule,
                symbol: seen.item.symbol,
                cite,
                text: seen.item.side.text,
                facts: seen.item.side.facts,
                places,
                groups,
            };
            (first, track)
        })
        .collect();
    tracks.sort_by(|(fa, a), (fb, b)| {
        (&a.cite.repo, fa, &a.cite.path, a.cite.start).cmp(&(
            &b.cite.repo,
            fb,
            &b.cite.path,
            b.cite.start,
        ))
    });
    tracks.into_iter().map(|(_, t)| t).collect()
}

/// The selected revisions, repository by repository in version order, with their counts.
fn revision_counts(
    index: &Index,
    revs: &[&IndexedRev],
    counts: &BTreeMap<(String, String), usize>,
) -> Vec<TimelineRev> {
    let mut repos: Vec<&str> = Vec::new();
    for r in revs {
        if !repos.contains(&r.repo.as_str()) {
            repos.push(&r.repo);
        }
    }
    let mut out = Vec::new();
    for repo in repos {
        for r in index.ordered(repo) {
            if revs.iter().any(|x| std::ptr::eq(*x, r)) {
                out.push(TimelineRev {
                    repo: r.repo.clone(),
                    rev: r.rev.clone(),
                    commit: r.commit.clone(),
                    count: counts
                        .get(&(r.repo.clone(), r.rev.clone()))
                        .copied()
                        .unwrap_or(0),
                });
            }
        }
    }
    out
}
