//! What `archeo watch` reports, read from an index that holds the new pins: each new (or moved)
//! revision's watched findings against its predecessor's, by identity
//! ([`history::compare`]); the consumer releases that ship a new release; and the consumer
//! releases that move their pin of a watched repository, with what the move brings. Nothing
//! here fetches, indexes or formats (the orchestration is [`crate::watch`], printers are in
//! `report/watch`).

use std::collections::{BTreeMap, HashMap};

use anyhow::{Result, bail};

use crate::deps::{EdgeKind, Link, Repos, Resolution};
use crate::index::Index;
use crate::index::catalog::IndexedRev;
use crate::index::citation::Citation;
use crate::query::deps::{EdgeAt, edges_at};
use crate::query::history::{self, Change, Class, DiffScope, Subject};
use crate::query::syntax::Query;
use crate::source::lock::RefKind;

/// One watch entry, ready to run: a rule's findings, or a search's lines.
#[derive(Debug, Clone)]
pub struct Entry {
    /// As the manifest writes it.
    pub text: String,
    what: What,
}

#[derive(Debug, Clone)]
enum What {
    /// One rule id (a list, as [`Subject::Rules`] takes it).
    Rule(Vec<String>),
    Query(Query),
}

impl Entry {
    /// A rule id's findings.
    pub fn rule(id: &str) -> Entry {
        Entry {
            text: id.to_string(),
            what: What::Rule(vec![id.to_string()]),
        }
    }

    /// A search query's lines (`text` as written).
    pub fn query(text: &str, q: Query) -> Entry {
        Entry {
            text: text.to_string(),
            what: What::Query(q),
        }
    }

    fn subject(&self) -> Subject<'_> {
        match &self.what {
            What::Rule(ids) => Subject::Rules(ids),
            What::Query(q) => Subject::Search(q),
        }
    }
}

/// A watched repository: what of it matters, and which repositories ship it.
#[derive(Debug, Clone)]
pub struct Watch {
    /// Repository name.
    pub repo: String,
    /// Its watch entries.
    pub entries: Vec<Entry>,
    /// Repositories whose releases ship it (`consumers`).
    pub consumers: Vec<String>,
}

/// Why a revision is in the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Why {
    /// Newly pinned: a new tag matching a glob, a rev added to the manifest.
    New,
    /// Its name was pinned at another commit: a branch that moved, or a tag moved upstream
    /// (accepted with `--update`).
    Moved {
        /// The commit the previous lock had.
        old: String,
        /// The index's name for that commit, when it could be indexed (the cache still has it).
        previous: Option<String>,
    },
    /// Its repository was not in the previous lock: nothing to compare with.
    NewRepository,
}

/// A revision of the new lock that the previous lock did not pin as it is.
#[derive(Debug, Clone)]
pub struct Arrival {
    /// Repository name.
    pub repo: String,
    /// Rev name.
    pub rev: String,
    /// Why it is new.
    pub why: Why,
}

/// What to compare: the arrivals, the pins dropped, and what is watched.
#[derive(Debug, Clone)]
pub struct Input<'a> {
    /// New and moved revisions (the index holds each).
    pub arrivals: &'a [Arrival],
    /// Pins the previous lock had and the new one does not: (repo, rev, commit).
    pub dropped: Vec<(String, String, String)>,
    /// The watched repositories.
    pub watches: &'a [Watch],
    /// The pinned repositories (with the index's revisions) for dependency links.
    pub repos: &'a Repos,
    /// Revisions the index holds only as predecessors (the previous commits of moved refs):
    /// `(repo, rev)`; never a predecessor of anything else, never a consumer release.
    pub previous_only: Vec<(String, String)>,
}

/// A revision as the report names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevId {
    /// Repository name.
    pub repo: String,
    /// Rev name.
    pub rev: String,
    /// Full commit.
    pub commit: String,
    /// What it was pinned as.
    pub kind: RefKind,
    /// Its repository's URL.
    pub url: String,
}

impl RevId {
    fn of(r: &IndexedRev) -> RevId {
        RevId {
            repo: r.repo.clone(),
            rev: r.rev.clone(),
            commit: r.commit.clone(),
            kind: r.kind,
            url: r.url.clone(),
        }
    }

    /// A link to the revision's tree on its commit (GitHub's `/tree/COMMIT`).
    pub fn tree_link(&self) -> String {
        crate::index::citation::tree_link(&self.url, &self.commit)
    }

    /// `repo@rev`.
    pub fn selector(&self) -> String {
        format!("{}@{}", self.repo, self.rev)
    }
}

/// What a new revision is compared with.
#[derive(Debug, Clone)]
pub enum Previous {
    /// This revision.
    Rev(RevId),
    /// Nothing: why.
    Nothing(String),
}

/// One watch entry at a new revision: what changed since the previous one, or, with nothing
/// to compare with, how many things it finds (a baseline).
#[derive(Debug, Clone)]
pub struct EntryDiff {
    /// The entry as written.
    pub entry: String,
    /// Added, removed, changed and moved things, by class then place.
    pub changes: Vec<Change>,
    /// Things at the same place on both sides.
    pub unchanged: usize,
    /// With nothing to compare with: how many things the entry finds at the revision.
    pub baseline: Option<usize>,
}

impl EntryDiff {
    /// The changes that count: added, removed, changed (a move is the same code elsewhere).
    pub fn counted(&self) -> usize {
        self.changes
            .iter()
            .filter(|c| c.class != Class::Moved)
            .count()
    }

    /// How many of one class.
    pub fn count(&self, class: Class) -> usize {
        self.changes.iter().filter(|c| c.class == class).count()
    }
}

/// A consumer release that ships a new release, and the lines that pin it.
#[derive(Debug, Clone)]
pub struct Pickup {
    /// The consumer release.
    pub consumer: RevId,
    /// Also new in this run.
    pub new: bool,
    /// Where it pins the release (the version's line), one per edge.
    pub sites: Vec<Citation>,
}

/// One side of a pin move: the version a release's file names and what it resolves to.
#[derive(Debug, Clone)]
pub struct PinSide {
    /// The version as the file resolves it; None when the release has no such pin.
    pub version: Option<String>,
    /// The pinned component revision it resolves to.
    pub rev: Option<RevId>,
    /// How it resolves, when it does not resolve to a pinned revision.
    pub resolution: Option<Resolution>,
}

/// A line that pins the component, on either side.
#[derive(Debug, Clone)]
pub struct MoveSite {
    /// The file (at the new release when there, else at the previous one).
    pub path: String,
    /// What kind of edge.
    pub kind: EdgeKind,
    /// What the file calls the dependency.
    pub name: String,
    /// The version at the previous release, with its line.
    pub from: Option<(String, Citation)>,
    /// The version at the new release, with its line.
    pub to: Option<(String, Citation)>,
}

/// What a pin move brings.
#[derive(Debug, Clone)]
pub enum Brings {
    /// The watched entries compared between the two component revisions.
    Compared(Vec<EntryDiff>),
    /// It cannot be compared: why (a side not pinned or not resolvable, a pin added or
    /// removed). Counted as a change: it needs a look.
    Undecided(String),
}

/// A consumer release that ships another revision of a watched repository than its
/// predecessor did.
#[derive(Debug, Clone)]
pub struct PinMove {
    /// The watched repository.
    pub component: String,
    /// What the previous release shipped.
    pub from: PinSide,
    /// What this release ships.
    pub to: PinSide,
    /// The lines that pin it.
    pub sites: Vec<MoveSite>,
    /// What the move brings.
    pub brings: Brings,
}

impl PinMove {
    /// Counts as a watched change: the compared entries changed, or it cannot be decided.
    pub fn counts(&self) -> bool {
        match &self.brings {
            Brings::Compared(d) => d.iter().any(|e| e.counted() > 0),
            Brings::Undecided(_) => true,
        }
    }
}

/// One new or moved revision and what it changes.
#[derive(Debug, Clone)]
pub struct Release {
    /// The revision.
    pub id: RevId,
    /// Why it is new.
    pub why: Why,
    /// What it is compared with.
    pub previous: Previous,
    /// The watch entries of its repository (empty when nothing of it is watched).
    pub watched: Vec<EntryDiff>,
    /// The consumer releases that ship it (when its repository is watched and has consumers).
    pub picked_up_by: Vec<Pickup>,
    /// Consumers of whom it is a release: the watched repositories whose pin it moves.
    pub moves: Vec<PinMove>,
    /// Watched repositories it ships the same revision of as its predecessor: (component,
    /// `repo@rev` or the version as written).
    pub kept: Vec<(String, String)>,
    /// With nothing to compare with: what it ships of watched repositories (a baseline).
    pub ships: Vec<(String, String)>,
    /// Its repository has consumers (so "no consumer ships it" is worth saying).
    pub has_consumers: bool,
}

impl Release {
    /// A watched finding changed here, or a pin move brings a change (or cannot be decided).
    pub fn changed(&self) -> bool {
        self.watched.iter().any(|e| e.counted() > 0) || self.moves.iter().any(PinMove::counts)
    }
}

/// What `archeo watch` found.
#[derive(Debug, Clone, Default)]
pub struct WatchReport {
    /// Every new or moved revision, repositories in manifest order, each in version order.
    pub releases: Vec<Release>,
    /// Pins no longer in the lock: (repo, rev, commit).
    pub dropped: Vec<(String, String, String)>,
    /// The watched repositories and their entries, as the manifest names them.
    pub watching: Vec<(String, Vec<String>)>,
}

impl WatchReport {
    /// Nothing new upstream: no new or moved revision, nothing dropped.
    pub fn nothing_new(&self) -> bool {
        self.releases.is_empty() && self.dropped.is_empty()
    }

    /// A watched finding changed in some release (exit 3).
    pub fn changed(&self) -> bool {
        self.releases.iter().any(Release::changed)
    }
}

/// Compares every arrival with its predecessor, follows consumers, and gathers the report.
pub fn report(index: &Index, input: &Input) -> Result<WatchReport> {
    let mut edges = EdgeCache {
        index,
        repos: input.repos,
        at: HashMap::new(),
    };
    let mut releases = Vec::new();
    for repo in repo_order(index, input) {
        let mut mine: Vec<(&Arrival, &IndexedRev, usize)> = Vec::new();
        let ordered = index.ordered(&repo);
        for a in input.arrivals.iter().filter(|a| a.repo == repo) {
            let Some(pos) = ordered.iter().position(|r| r.rev == a.rev) else {
                bail!(
                    "{}@{} is pinned but not in the index at {}: run `archeo watch` again (or `archeo index`)",
                    a.repo,
                    a.rev,
                    index.dir().display()
                );
            };
            mine.push((a, ordered[pos], pos));
        }
        mine.sort_by_key(|(_, _, pos)| *pos);
        for (a, rev, _) in mine {
            releases.push(release(index, input, &mut edges, a, rev)?);
        }
    }
    Ok(WatchReport {
        releases,
        dropped: input.dropped.clone(),
        watching: input
            .watches
            .iter()
            .map(|w| {
                (
                    w.repo.clone(),
                    w.entries.iter().map(|e| e.text.clone()).collect(),
                )
            })
            .collect(),
    })
}

/// The repositories of the arrivals, in the index's (lock, so manifest) order.
fn repo_order(index: &Index, input: &Input) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in index.revisions() {
        if !out.contains(&r.repo) && input.arrivals.iter().any(|a| a.repo == r.repo) {
            out.push(r.repo.clone());
        }
    }
    out
}

fn release(
    index: &Index,
    input: &Input,
    edges: &mut EdgeCache,
    a: &Arrival,
    rev: &IndexedRev,
) -> Result<Release> {
    let previous = previous(index, input, a, rev)?;
    let prev_rev = match &previous {
        Previous::Rev(p) => index.find(&p.repo, &p.rev),
        Previous::Nothing(_) => None,
    };
    let watch = input.watches.iter().find(|w| w.repo == a.repo);
    let mut watched = Vec::new();
    for e in watch.map(|w| w.entries.as_slice()).unwrap_or_default() {
        watched.push(entry_diff(index, e, prev_rev, rev)?);
    }
    let mut picked_up_by = Vec::new();
    for consumer in watch.map(|w| w.consumers.as_slice()).unwrap_or_default() {
        picked_up_by.extend(pickups(index, input, edges, consumer, rev)?);
    }
    let mut moves = Vec::new();
    let mut kept = Vec::new();
    let mut ships = Vec::new();
    for w in input
        .watches
        .iter()
        .filter(|w| w.consumers.contains(&a.repo))
    {
        match prev_rev {
            Some(p) => {
                let (m, k) = pin_moves(index, edges, w, p, rev)?;
                moves.extend(m);
                kept.extend(k);
            }
            None => ships.extend(shipped(edges, w, rev)?),
        }
    }
    Ok(Release {
        id: RevId::of(rev),
        why: a.why.clone(),
        previous,
        watched,
        picked_up_by,
        moves,
        kept,
        ships,
        has_consumers: watch.is_some_and(|w| !w.consumers.is_empty()),
    })
}

/// What a consumer release with nothing to compare with ships of a watched repository (a
/// baseline): `repo@rev` of each pinned revision its edges resolve to, else the version as
/// written; once each.
fn shipped(edges: &mut EdgeCache, w: &Watch, rev: &IndexedRev) -> Result<Kept> {
    let mut out: Kept = Vec::new();
    for e in edges.of(rev)? {
        if e.repo() != Some(w.repo.as_str()) {
            continue;
        }
        let what = match e.pinned() {
            Some((repo, r)) => format!("{repo}@{r}"),
            None => e.edge.version.clone(),
        };
        if !out.iter().any(|(_, x)| *x == what) {
            out.push((w.repo.clone(), what));
        }
    }
    Ok(out)
}

/// The revision an arrival is compared with: a moved ref's previous commit; a new tag's
/// nearest tag before it in version order (pinned now, or pinned by the previous lock);
/// nothing for a new branch or commit, or a repository new to the lock.
fn previous(index: &Index, input: &Input, a: &Arrival, rev: &IndexedRev) -> Result<Previous> {
    let found = |name: &str| -> Result<Previous> {
        match index.find(&a.repo, name) {
            Some(r) => Ok(Previous::Rev(RevId::of(r))),
            None => bail!(
                "{}@{name} (the previous state of {}@{}) is not in the index at {}: run `archeo watch` again",
                a.repo,
                a.repo,
                a.rev,
                index.dir().display()
            ),
        }
    };
    Ok(match &a.why {
        Why::NewRepository => Previous::Nothing(format!(
            "{} was not in the previous lock: this run is its baseline",
            a.repo
        )),
        Why::Moved {
            previous: Some(p), ..
        } => found(p)?,
        Why::Moved {
            old,
            previous: None,
        } => Previous::Nothing(format!(
            "its previous commit {} is no longer in the cache",
            &old[..12.min(old.len())]
        )),
        Why::New if rev.kind != RefKind::Tag => Previous::Nothing(format!(
            "a newly pinned {}: nothing to compare it with",
            rev.kind.as_str()
        )),
        Why::New => {
            let ordered = index.ordered(&a.repo);
            let pos = ordered
                .iter()
                .position(|r| std::ptr::eq(*r, rev))
                .expect("an arrival is in its repository's order");
            let only_previous = |r: &IndexedRev| {
                input
                    .previous_only
                    .iter()
                    .any(|(p, v)| *p == r.repo && *v == r.rev)
            };
            match ordered[..pos]
                .iter()
                .rev()
                .find(|r| r.kind == RefKind::Tag && !only_previous(r))
            {
                Some(r) => Previous::Rev(RevId::of(r)),
                None => Previous::Nothing(format!(
                    "the oldest pinned tag of {}: nothing before it to compare with",
                    a.repo
                )),
            }
        }
    })
}

/// One entry compared between two revisions, or counted at one.
fn entry_diff(
    index: &Index,
    e: &Entry,
    prev: Option<&IndexedRev>,
    rev: &IndexedRev,
) -> Result<EntryDiff> {
    let within = DiffScope::default();
    Ok(match prev {
        Some(p) => {
            let (changes, unchanged) = history::compare(index, p, rev, e.subject(), &within)?;
            EntryDiff {
                entry: e.text.clone(),
                changes,
                unchanged,
                baseline: None,
            }
        }
        None => EntryDiff {
            entry: e.text.clone(),
            changes: Vec::new(),
            unchanged: 0,
            baseline: Some(history::count_at(index, rev, e.subject(), &within)?),
        },
    })
}

/// The consumer's releases that ship `rev`, each with the lines pinning it.
fn pickups(
    index: &Index,
    input: &Input,
    edges: &mut EdgeCache,
    consumer: &str,
    rev: &IndexedRev,
) -> Result<Vec<Pickup>> {
    let mut out = Vec::new();
    for c in index.ordered(consumer) {
        // Not a release of the consumer any more: a moved ref's previous commit, a dropped pin.
        if input
            .previous_only
            .iter()
            .any(|(p, v)| *p == c.repo && *v == c.rev)
            || input
                .dropped
                .iter()
                .any(|(p, v, _)| *p == c.repo && *v == c.rev)
        {
            continue;
        }
        let sites: Vec<Citation> = edges
            .of(c)?
            .iter()
            .filter(|e| e.repo() == Some(&rev.repo) && pinned_commit(e) == Some(&rev.commit))
            .map(|e| e.cite.clone())
            .collect();
        if !sites.is_empty() {
            out.push(Pickup {
                consumer: RevId::of(c),
                new: input
                    .arrivals
                    .iter()
                    .any(|a| a.repo == c.repo && a.rev == c.rev),
                sites,
            });
        }
    }
    Ok(out)
}

fn pinned_commit(e: &EdgeAt) -> Option<&String> {
    match &e.link {
        Link::Repo {
            resolution: Resolution::Pinned { commit, .. },
            ..
        } => Some(commit),
        _ => None,
    }
}

/// What a consumer release keeps shipping of a watched repository: (component, `repo@rev` or
/// the version as written).
type Kept = Vec<(String, String)>;

/// A consumer release's pins of `w.repo` against its predecessor's: the moves (grouped by
/// what they move from and to, each with what it brings) and what stayed.
fn pin_moves(
    index: &Index,
    edges: &mut EdgeCache,
    w: &Watch,
    prev: &IndexedRev,
    rev: &IndexedRev,
) -> Result<(Vec<PinMove>, Kept)> {
    type Key = (String, EdgeKind, String);
    let of = |list: &[EdgeAt]| -> BTreeMap<Key, EdgeAt> {
        list.iter()
            .filter(|e| e.repo() == Some(w.repo.as_str()))
            .map(|e| {
                (
                    (e.cite.path.clone(), e.edge.kind, e.edge.name.clone()),
                    e.clone(),
                )
            })
            .collect()
    };
    let before = of(edges.of(prev)?);
    let after = of(edges.of(rev)?);
    // The component commits each release ships through any of its pins: a pin added or
    // removed in one file while another file still names the same revision (a version moved
    // from the Dockerfile to an installer) changes nothing that ships.
    let shipped = |m: &BTreeMap<Key, EdgeAt>| -> Vec<String> {
        m.values()
            .filter_map(|e| pinned_commit(e).cloned())
            .collect()
    };
    let (shipped_before, shipped_after) = (shipped(&before), shipped(&after));
    let mut keys: Vec<&Key> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut moves: Vec<PinMove> = Vec::new();
    let mut kept: Kept = Vec::new();
    for k in keys {
        let (from, to) = (before.get(k), after.get(k));
        let side = |e: Option<&EdgeAt>| PinSide {
            version: e.map(|e| e.edge.version.clone()),
            rev: e.and_then(|e| match &e.link {
                Link::Repo {
                    repo,
                    resolution: Resolution::Pinned { rev, .. },
                    ..
                } => index.find(repo, rev).map(RevId::of),
                _ => None,
            }),
            resolution: e.and_then(|e| match &e.link {
                Link::Repo {
                    resolution:
                        r @ (Resolution::NotPinned { .. }
                        | Resolution::InFile { .. }
                        | Resolution::Ambiguous { .. }
                        | Resolution::Unresolved { .. }),
                    ..
                } => Some(r.clone()),
                _ => None,
            }),
        };
        let (sa, sb) = (side(from), side(to));
        let same = match (&sa.rev, &sb.rev) {
            (Some(x), Some(y)) => x.commit == y.commit,
            (None, None) => sa.version == sb.version && sa.resolution == sb.resolution,
            (None, Some(y)) => sa.version.is_none() && shipped_before.contains(&y.commit),
            (Some(x), None) => sb.version.is_none() && shipped_after.contains(&x.commit),
        };
        if same {
            let what = sb
                .rev
                .as_ref()
                .or(sa.rev.as_ref())
                .map(RevId::selector)
                .or_else(|| sb.version.clone())
                .unwrap_or_default();
            if !kept.iter().any(|(_, x)| *x == what) {
                kept.push((w.repo.clone(), what));
            }
            continue;
        }
        let site = MoveSite {
            path: k.0.clone(),
            kind: k.1,
            name: k.2.clone(),
            from: from.map(|e| (e.edge.version.clone(), e.cite.clone())),
            to: to.map(|e| (e.edge.version.clone(), e.cite.clone())),
        };
        let group = |s: &PinSide| -> String {
            match (&s.rev, &s.version) {
                (Some(r), _) => r.commit.clone(),
                (None, Some(v)) => format!("version {v}"),
                (None, None) => String::new(),
            }
        };
        match moves
            .iter_mut()
            .find(|m| group(&m.from) == group(&sa) && group(&m.to) == group(&sb))
        {
            Some(m) => m.sites.push(site),
            None => {
                let brings = brings(index, w, prev, rev, &sa, &sb)?;
                moves.push(PinMove {
                    component: w.repo.clone(),
                    from: sa,
                    to: sb,
                    sites: vec![site],
                    brings,
                });
            }
        }
    }
    Ok((moves, kept))
}

/// The watched entries compared between the component revisions of a move, or why they
/// cannot be.
fn brings(
    index: &Index,
    w: &Watch,
    prev: &IndexedRev,
    rev: &IndexedRev,
    from: &PinSide,
    to: &PinSide,
) -> Result<Brings> {
    let why = |s: &PinSide, at: &IndexedRev| -> String {
        let sel = format!("{}@{}", at.repo, at.rev);
        match (&s.version, &s.resolution) {
            (None, _) => format!("{sel} has no such pin of {}", w.repo),
            (Some(v), Some(Resolution::NotPinned { below, above })) => format!(
                "{} {v} (at {sel}) is not pinned{}: add it to the manifest's revs",
                w.repo,
                match (below, above) {
                    (None, None) => String::new(),
                    (b, a) => format!(
                        " (nearest pinned tags {} / {})",
                        b.as_deref().unwrap_or("none below"),
                        a.as_deref().unwrap_or("none above")
                    ),
                }
            ),
            (Some(v), Some(Resolution::InFile { repo, path })) => format!(
                "{} {v:?} (at {sel}) is {repo}'s {path} at the revision being built",
                w.repo
            ),
            (Some(v), Some(Resolution::Ambiguous { revs })) => format!(
                "{} {v} (at {sel}) is ambiguous: {}",
                w.repo,
                revs.join(", ")
            ),
            (Some(v), Some(Resolution::Unresolved { reason })) => {
                format!("{} {v:?} (at {sel}): {reason}", w.repo)
            }
            (Some(v), _) => format!("{} {v} (at {sel}) is not indexed", w.repo),
        }
    };
    let (Some(a), Some(b)) = (&from.rev, &to.rev) else {
        let mut reasons = Vec::new();
        if from.rev.is_none() {
            reasons.push(why(from, prev));
        }
        if to.rev.is_none() {
            reasons.push(why(to, rev));
        }
        return Ok(Brings::Undecided(reasons.join("; ")));
    };
    let (Some(ra), Some(rb)) = (index.find(&a.repo, &a.rev), index.find(&b.repo, &b.rev)) else {
        return Ok(Brings::Undecided(format!(
            "{} or {} is not in the index",
            a.selector(),
            b.selector()
        )));
    };
    let mut out = Vec::new();
    for e in &w.entries {
        out.push(entry_diff(index, e, Some(ra), rb)?);
    }
    Ok(Brings::Compared(out))
}

/// Each revision's dependency edges, read once.
struct EdgeCache<'a> {
    index: &'a Index,
    repos: &'a Repos,
    at: HashMap<(String, String), Vec<EdgeAt>>,
}

impl EdgeCache<'_> {
    fn of(&mut self, rev: &IndexedRev) -> Result<&[EdgeAt]> {
        let key = (rev.repo.clone(), rev.rev.clone());
        if !self.at.contains_key(&key) {
            let e = edges_at(self.index, rev, self.repos)?;
            self.at.insert(key.clone(), e);
        }
        Ok(&self.at[&key])
    }
}
