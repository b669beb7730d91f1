//! The index: building it ([`build`]: pinned trees -> distinct new blobs -> parse + rules ->
//! store) and reading it through one handle, [`Index`] (catalog + store + revision order),
//! opened once per command the way `gix::Repository` is the one handle over a repository. It
//! must not format output. tantivy is used only in [`store`].
//!
//! Opening is cheap: the catalog is memory-mapped and only its revision list is decoded; the
//! blob store, the n-gram file and tantivy are opened on first use, so a query pays only for
//! what it reads. An `Index` is `Send + Sync`: a server can share one `Arc<Index>`.
//!
//! An `Index` may be the union of the shards of one lock ([`shards`], [`Index::open_all`]):
//! revisions in the order a whole index lists them, blob ordinals and path ids of every shard
//! in one space (a file version held by two shards answers under one ordinal, its owner's:
//! the first shard holding it with its text), n-gram lookups and tantivy lookups asked of every
//! shard. Queries cannot tell it from one index, which is what makes their answers equal.

pub mod blobs;
pub mod build;
pub mod catalog;
pub mod citation;
pub mod grams;
pub mod selector;
pub mod shards;
pub mod store;
pub(crate) mod tokenize;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result};

use crate::rules::Finding;
use blobs::{BlobStore, StoredFile};
use catalog::{BlobEntry, Catalog, IndexedRev, Occurrence};
use citation::{Citation, Permalinks, RevRef};
use grams::{GramQuery, Grams};
use store::{Store, StoredLiteral};

/// A stored file version as a search scans it ([`Index::scan_at`]).
pub struct ScanFile {
    /// The git blob id.
    pub blob: String,
    /// The pieces of its text a search must scan (every line, or those whose blocks may hold a
    /// match).
    pub pieces: Vec<blobs::Piece>,
    /// Its comment and string regions (empty unless asked for: only `in:` reads them).
    pub regions: Vec<crate::lang::Region>,
    /// Its declarations, decoded on demand.
    pub decls: blobs::DeclLines,
}

/// An opened index: what every query reads through. One index directory, or the union of the
/// shards of one lock.
pub struct Index {
    parts: Vec<Part>,
    /// A union only: every revision, in the order one index of the whole lock has (a single
    /// index reads its catalog's list in place: see [`Index::revisions`]).
    union_revisions: Vec<IndexedRev>,
    /// Per revision: its part and its position in that part's catalog.
    at: Vec<(usize, usize)>,
    /// Per repository, indices into `revisions` in lock order, and in version order once asked
    /// for (a version key parses each name: most searches never show a revision list).
    order: HashMap<String, (Vec<usize>, OnceLock<Vec<usize>>)>,
    /// A union only: per part, each local ordinal's ordinal in the union (its owner's).
    canon: OnceLock<Vec<Vec<u32>>>,
}

/// One index directory of an [`Index`]: its catalog, its store opened on first use, and where
/// its ordinals and path ids start in the union's.
struct Part {
    dir: PathBuf,
    catalog: Catalog,
    store_dir: PathBuf,
    blobs: OnceLock<BlobStore>,
    grams: OnceLock<Grams>,
    store: OnceLock<Store>,
    ord_base: u32,
    path_base: u32,
}

impl Part {
    /// The tantivy store (literals, findings), opened on first use.
    fn store(&self) -> Result<&Store> {
        if let Some(s) = self.store.get() {
            return Ok(s);
        }
        let s = Store::open(&build::tantivy_dir(&self.store_dir))?;
        // A damaged or foreign catalog would cite other URLs and commits.
        if !s.goes_with(self.catalog.bytes()?) {
            return Err(store::StoreError::Damaged {
                what: format!(
                    "{} is not the catalog its store was written with",
                    catalog::catalog_path(&self.dir).display()
                ),
            }
            .into());
        }
        Ok(self.store.get_or_init(|| s))
    }

    /// `blobs.dat`, opened on first use.
    fn blob_store(&self) -> Result<&BlobStore> {
        if let Some(s) = self.blobs.get() {
            return Ok(s);
        }
        let s = BlobStore::open(&self.store_dir, self.catalog.blobs_len)?;
        Ok(self.blobs.get_or_init(|| s))
    }

    /// The n-gram file, opened on first use.
    fn gram_index(&self) -> Result<&Grams> {
        if let Some(g) = self.grams.get() {
            return Ok(g);
        }
        let g = if self.catalog.grams.is_empty() {
            Grams::empty()
        } else {
            Grams::open(&grams::grams_path(&self.store_dir, &self.catalog.grams))?
        };
        Ok(self.grams.get_or_init(|| g))
    }
}

/// Where one blob stands: a repository, a path, and the selected revisions holding it there.
#[derive(Debug, Clone)]
pub struct Placement<'a> {
    /// The repository's manifest name.
    pub repo: String,
    /// Repository-relative path.
    pub path: String,
    /// The selected revisions holding the blob at this path (catalog order).
    pub holders: Vec<&'a IndexedRev>,
}

/// Some of a repository's revisions, in version order.
#[derive(Debug, Clone)]
pub struct Held<'a> {
    /// The revisions held, oldest first (shared by the citations that list them).
    pub revs: std::sync::Arc<[RevRef]>,
    /// `v1.2.8, v1.3.3..v1.3.5 (4 revs)`.
    pub display: String,
    /// The newest revision held and its position in the repository's version order.
    pub newest: Option<(usize, &'a IndexedRev)>,
}

/// blob id -> where it stands in the selected revisions, ordered by (repo, path).
pub type Places<'a> = HashMap<String, Vec<Placement<'a>>>;

/// Where the blobs an ordinal set names stand in some revisions: blob ordinal -> the paths
/// holding it, each with the selected revisions that do.
pub type OrdPlaces = rustc_hash::FxHashMap<u32, Vec<OrdPlacement>>;

/// One path holding a blob, by ordinal: see [`Index::places_of`].
#[derive(Debug, Clone)]
pub struct OrdPlacement {
    /// The repository's manifest name.
    pub repo: String,
    /// The path's id (see [`Index::path`]).
    pub path: u32,
    /// Positions in [`Index::revisions`] of the selected revisions holding it.
    pub holders: Vec<usize>,
}

/// One index directory of an opened index, as `stats` and the server describe it.
#[derive(Debug, Clone)]
pub struct PartInfo {
    /// The directory.
    pub dir: PathBuf,
    /// Its shard record, when it is a shard.
    pub shard: Option<shards::ShardRecord>,
}

impl Index {
    /// Opens the index in `dir` (the catalog; the rest on first use).
    pub fn open(dir: &Path) -> Result<Index> {
        Self::open_all(std::slice::from_ref(&dir.to_path_buf()))
    }

    /// Opens one index directory, or the union of the shards of one lock (every shard once, in
    /// any order; see [`shards::union_order`] for what is refused).
    pub fn open_all(dirs: &[PathBuf]) -> Result<Index> {
        anyhow::ensure!(!dirs.is_empty(), "no index directory given");
        let catalogs: Vec<Catalog> = dirs
            .iter()
            .map(|d| Catalog::require(d))
            .collect::<Result<_>>()?;
        let (order, repos) = {
            let parts: Vec<shards::Part> = dirs
                .iter()
                .zip(&catalogs)
                .map(|(d, c)| {
                    let mut repos: Vec<&str> =
                        c.revisions.iter().map(|r| r.repo.as_str()).collect();
                    repos.dedup();
                    shards::Part {
                        dir: d,
                        shard: c.shard.as_ref(),
                        repos,
                    }
                })
                .collect();
            shards::union_order(&parts)?
        };
        let mut slots: Vec<Option<Catalog>> = catalogs.into_iter().map(Some).collect();
        let mut parts = Vec::with_capacity(order.len());
        let (mut ord_base, mut path_base) = (0u64, 0u64);
        for i in order {
            let catalog = slots[i].take().expect("each part once");
            let dir = dirs[i].clone();
            if let Some(first) = parts.first().map(|p: &Part| &p.catalog.rules)
                && *first != catalog.rules
            {
                anyhow::bail!(
                    "{} and {} were indexed with different rules: index every shard with the same rules (`archeo index --shard K/N`, the same --rules)",
                    parts[0].dir.display(),
                    dir.display()
                );
            }
            let (blobs, paths) = if dirs.len() > 1 {
                (catalog.blob_count() as u64, catalog.path_count()? as u64)
            } else {
                (0, 0)
            };
            parts.push(Part {
                store_dir: catalog.store_dir(&dir),
                dir,
                catalog,
                blobs: OnceLock::new(),
                grams: OnceLock::new(),
                store: OnceLock::new(),
                ord_base: u32::try_from(ord_base).context("too many blobs for one union")?,
                path_base: u32::try_from(path_base).context("too many paths for one union")?,
            });
            ord_base += blobs;
            path_base += paths;
        }
        anyhow::ensure!(
            ord_base < u32::MAX as u64 && path_base < u32::MAX as u64,
            "too many blobs or paths for one union of shards"
        );
        let mut at: Vec<(usize, usize)> = Vec::new();
        match repos {
            None => at.extend((0..parts[0].catalog.revisions.len()).map(|i| (0, i))),
            Some(repos) => {
                for repo in &repos {
                    for (p, part) in parts.iter().enumerate() {
                        at.extend(
                            part.catalog
                                .revisions
                                .iter()
                                .enumerate()
                                .filter(|(_, r)| &r.repo == repo)
                                .map(|(i, _)| (p, i)),
                        );
                    }
                }
            }
        }
        let union_revisions: Vec<IndexedRev> = if parts.len() == 1 {
            Vec::new()
        } else {
            at.iter()
                .map(|&(p, i)| parts[p].catalog.revisions[i].clone())
                .collect()
        };
        let revisions = match &parts[..] {
            [one] => &one.catalog.revisions,
            _ => &union_revisions,
        };
        let mut order: HashMap<String, (Vec<usize>, OnceLock<Vec<usize>>)> = HashMap::new();
        for (i, r) in revisions.iter().enumerate() {
            order.entry(r.repo.clone()).or_default().0.push(i);
        }
        Ok(Index {
            parts,
            union_revisions,
            at,
            order,
            canon: OnceLock::new(),
        })
    }

    /// The index directories, in shard order, with their shard records.
    pub fn parts(&self) -> Vec<PartInfo> {
        self.parts
            .iter()
            .map(|p| PartInfo {
                dir: p.dir.clone(),
                shard: p.catalog.shard.clone(),
            })
            .collect()
    }

    /// A shard opened alone (one of several): it answers for its own repositories only.
    pub fn lone_shard(&self) -> Option<&shards::ShardRecord> {
        match &self.parts[..] {
            [p] => p.catalog.shard.as_ref().filter(|s| s.n > 1),
            _ => None,
        }
    }

    /// The index directory (a union's first shard).
    pub fn dir(&self) -> &Path {
        &self.parts[0].dir
    }

    /// The fingerprint of the rules the findings were computed with.
    pub fn rules(&self) -> &str {
        &self.parts[0].catalog.rules
    }

    /// Every indexed revision, in catalog (lock) order.
    pub fn revisions(&self) -> &[IndexedRev] {
        match &self.parts[..] {
            [one] => &one.catalog.revisions,
            _ => &self.union_revisions,
        }
    }

    /// The indexed revision `repo@rev`.
    pub fn find(&self, repo: &str, rev: &str) -> Option<&IndexedRev> {
        self.revisions()
            .iter()
            .find(|r| r.repo == repo && r.rev == rev)
    }

    /// Resolves a `REPO@REV` selector.
    pub fn resolve(&self, sel: &str) -> Result<&IndexedRev> {
        selector::resolve(self.revisions(), sel)
    }

    /// The revisions `--at` selectors and `--repo` names select (all when both are empty).
    pub fn select(&self, at: &[String], repos: &[String]) -> Result<Vec<&IndexedRev>> {
        selector::select(self.revisions(), at, repos)
    }

    /// A repository's revisions, oldest first (tags by version, then commits, then branches).
    pub fn ordered(&self, repo: &str) -> Vec<&IndexedRev> {
        let Some((members, sorted)) = self.order.get(repo) else {
            return Vec::new();
        };
        sorted
            .get_or_init(|| {
                let mut v = members.clone();
                v.sort_by_cached_key(|i| selector::rev_key(&self.revisions()[*i]));
                v
            })
            .iter()
            .map(|i| &self.revisions()[*i])
            .collect()
    }

    /// Which of `repo`'s revisions `is_held` accepts, in version order, compressed for display.
    pub fn held(&self, repo: &str, is_held: impl Fn(&IndexedRev) -> bool) -> Held<'_> {
        let ordered = self.ordered(repo);
        let mask: Vec<bool> = ordered.iter().map(|r| is_held(r)).collect();
        let revs: std::sync::Arc<[RevRef]> = ordered
            .iter()
            .zip(&mask)
            .filter(|(_, h)| **h)
            .map(|(r, _)| RevRef {
                rev: r.rev.clone(),
                commit: r.commit.clone(),
            })
            .collect();
        let names: Vec<&str> = ordered.iter().map(|r| r.rev.as_str()).collect();
        let newest = mask.iter().rposition(|h| *h);
        Held {
            display: held_display(&names, &mask, revs.len()),
            revs,
            newest: newest.map(|i| (i, ordered[i])),
        }
    }

    /// Cites lines `start..=end` of the file version at `place`: the newest holder is the cited
    /// revision, all holders are listed.
    pub fn cite(&self, blob: &str, place: &Placement, start: u32, end: u32) -> Citation {
        self.cite_lines(blob, place, &[(start, end)])
            .pop()
            .expect("one span, one citation")
    }

    /// Cites several line spans of one file version at `place` (the revisions holding it are
    /// worked out once).
    pub fn cite_lines(&self, blob: &str, place: &Placement, spans: &[(u32, u32)]) -> Vec<Citation> {
        let (base, links) = self.cite_base(blob.to_string(), place, &self.held_at(place));
        spans
            .iter()
            .map(|&(start, end)| Citation {
                start,
                end,
                url: links.at(start, end),
                ..base.clone()
            })
            .collect()
    }

    /// The revisions holding a file version at `place`, as its citations list them.
    pub fn held_at(&self, place: &Placement) -> Held<'_> {
        self.held(&place.repo, |r| {
            place.holders.iter().any(|h| std::ptr::eq(*h, r))
        })
    }

    /// What every citation of the file version `blob` at `place` shares (its lines and their
    /// permalink left to fill in), and its permalinks. `held` is [`Index::held_at`] of `place`
    /// or of any place with the same holders.
    pub fn cite_base(
        &self,
        blob: String,
        place: &Placement,
        held: &Held,
    ) -> (Citation, Permalinks) {
        let (newest, cited) = held
            .newest
            .expect("a placement has at least one holder from this index");
        let links = Permalinks::new(&cited.url, &cited.commit, &place.path);
        let base = Citation {
            repo: place.repo.clone(),
            path: place.path.clone(),
            start: 0,
            end: 0,
            revs: held.revs.clone(),
            revs_display: held.display.clone(),
            rev: cited.rev.clone(),
            commit: cited.commit.clone(),
            url: String::new(),
            vendored_module: vendored(cited, &place.path),
            blob,
            newest,
        };
        (base, links)
    }

    /// Cites lines of a file at one revision only (a diff side).
    pub fn cite_at(
        &self,
        rev: &IndexedRev,
        blob: &str,
        path: &str,
        start: u32,
        end: u32,
    ) -> Citation {
        let place = Placement {
            repo: rev.repo.clone(),
            path: path.to_string(),
            holders: vec![self.same(rev)],
        };
        self.cite(blob, &place, start, end)
    }

    /// The index's own copy of a revision (so identity comparisons hold).
    fn same<'a>(&'a self, rev: &IndexedRev) -> &'a IndexedRev {
        self.find(&rev.repo, &rev.rev)
            .expect("revisions come from this index's catalog")
    }

    /// A union: per part, each local ordinal's ordinal in the union (worked out once, by
    /// sorting every part's blob ids together: a file version held by several parts gets its
    /// owner's ordinal, the first part holding it with something stored).
    fn canon(&self) -> Result<&[Vec<u32>]> {
        if let Some(t) = self.canon.get() {
            return Ok(t);
        }
        let mut table: Vec<Vec<u32>> = Vec::with_capacity(self.parts.len());
        let mut all: Vec<([u8; 20], u32, bool)> = Vec::new();
        for part in &self.parts {
            let blobs = part.catalog.blobs()?;
            table.push((0..blobs.len() as u32).map(|l| part.ord_base + l).collect());
            all.extend(blobs.iter().enumerate().map(|(l, b)| {
                (
                    b.id,
                    part.ord_base + l as u32,
                    b.status != catalog::BlobStatus::Unavailable,
                )
            }));
        }
        // By id, then by ordinal (the parts' order): a run of equal ids is one file version.
        all.sort_unstable();
        for run in all.chunk_by(|a, b| a.0 == b.0).filter(|r| r.len() > 1) {
            let owner = run.iter().find(|e| e.2).unwrap_or(&run[0]).1;
            for e in run {
                let (part, l) = self.locate(e.1)?;
                let p = self
                    .parts
                    .iter()
                    .position(|x| std::ptr::eq(x, part))
                    .expect("a part of this index");
                table[p][l as usize] = owner;
            }
        }
        Ok(self.canon.get_or_init(|| table))
    }

    /// The union's ordinal of a blob id: the first part holding it with something stored (not
    /// unavailable), else the first part holding it at all.
    fn owner(&self, id: &[u8; 20]) -> Result<Option<u32>> {
        let mut first = None;
        for part in &self.parts {
            if let Some(l) = part.catalog.ordinal_of(id)? {
                if part.catalog.blob(l)?.status != catalog::BlobStatus::Unavailable {
                    return Ok(Some(part.ord_base + l));
                }
                first.get_or_insert(part.ord_base + l);
            }
        }
        Ok(first)
    }

    /// Does part `p` own the blob `hex` (so a union takes its stored documents from there)?
    fn owns(&self, p: usize, hex: &str) -> Result<bool> {
        if self.parts.len() == 1 {
            return Ok(true);
        }
        let Some(id) = catalog::parse_hex(hex) else {
            return Ok(false);
        };
        let part = &self.parts[p];
        Ok(match part.catalog.ordinal_of(&id)? {
            Some(l) => self.canon()?[p].get(l as usize) == Some(&(part.ord_base + l)),
            None => false,
        })
    }

    /// The part holding union ordinal `ord`, and the ordinal there.
    fn locate(&self, ord: u32) -> Result<(&Part, u32)> {
        let i = self.parts.partition_point(|p| p.ord_base <= ord) - 1;
        let part = &self.parts[i];
        Ok((part, ord - part.ord_base))
    }

    /// A revision's tree entries (files only, by path id): (path id, blob ordinal), each id
    /// valid for [`Index::path`] and [`Index::blob`].
    pub fn tree_entries(&self, rev: &IndexedRev) -> Result<impl Iterator<Item = (u32, u32)> + '_> {
        self.entries(self.position(rev)?)
    }

    /// Revision `u`'s tree entries as (path id, ordinal) in the union's spaces.
    fn entries(&self, u: usize) -> Result<impl Iterator<Item = (u32, u32)> + '_> {
        let (p, i) = self.at[u];
        let part = &self.parts[p];
        let canon: Option<&[u32]> = if self.parts.len() > 1 {
            Some(&self.canon()?[p])
        } else {
            None
        };
        let base = part.path_base;
        Ok(part.catalog.entries(i)?.iter().map(move |(path, ord)| {
            let ord = match canon {
                // An ordinal past the table (a damaged tree) stays past every table.
                Some(c) => c.get(ord as usize).copied().unwrap_or(u32::MAX),
                None => ord,
            };
            (base + path, ord)
        }))
    }

    /// How many blob ordinals there are (`0..blob_count()`; a union counts a file version
    /// held by two shards under both, and answers with its owner's).
    pub fn blob_count(&self) -> usize {
        self.parts.iter().map(|p| p.catalog.blob_count()).sum()
    }

    /// The path with id `id`.
    pub fn path(&self, id: u32) -> Result<&str> {
        let i = self.parts.partition_point(|p| p.path_base <= id) - 1;
        let part = &self.parts[i];
        part.catalog.path(id - part.path_base)
    }

    /// Where the blobs `wanted` accepts stand in `revs`, for paths `keep_path` accepts (only
    /// the selected revisions' trees are read; each blob and path is asked about once).
    pub fn places<'a>(
        &'a self,
        revs: &[&'a IndexedRev],
        wanted: impl Fn(&str) -> bool + Sync,
        keep_path: impl Fn(&str) -> bool,
    ) -> Result<Places<'a>> {
        let mut want: Vec<Option<bool>> = vec![None; self.blob_count()];
        let mut by_blob: HashMap<u32, BTreeMap<(String, u32), Vec<&'a IndexedRev>>> =
            HashMap::new();
        let mut keep: HashMap<u32, bool> = HashMap::new();
        for r in revs {
            let i = self.position(r)?;
            let r = &self.revisions()[i];
            for (path, ord) in self.entries(i)? {
                let slot = want.get_mut(ord as usize).context(
                    "the index is damaged (a tree names an unknown blob): run `archeo index --rebuild`",
                )?;
                if slot.is_none() {
                    let e = self.blob(ord)?;
                    *slot = Some(e.status != catalog::BlobStatus::Unavailable && wanted(&e.hex()));
                }
                if *slot != Some(true) {
                    continue;
                }
                let k = match keep.get(&path) {
                    Some(k) => *k,
                    None => {
                        let k = keep_path(self.path(path)?);
                        keep.insert(path, k);
                        k
                    }
                };
                if k {
                    by_blob
                        .entry(ord)
                        .or_default()
                        .entry((r.repo.clone(), path))
                        .or_default()
                        .push(r);
                }
            }
        }
        let mut out: Places<'a> = HashMap::new();
        for (ord, at) in by_blob {
            let mut v = Vec::with_capacity(at.len());
            for ((repo, path), holders) in at {
                v.push(Placement {
                    repo,
                    path: self.path(path)?.to_string(),
                    holders,
                });
            }
            v.sort_by(|a, b| (&a.repo, &a.path).cmp(&(&b.repo, &b.path)));
            out.insert(self.blob(ord)?.hex(), v);
        }
        Ok(out)
    }

    /// Where the blobs `wanted` accepts (by ordinal) stand in `revs`, for path ids `keep_path`
    /// accepts: the search's fast path, turning no id or path into a string.
    pub fn places_of(
        &self,
        revs: &[&IndexedRev],
        wanted: impl Fn(u32) -> bool,
        mut keep_path: impl FnMut(u32) -> Result<bool>,
    ) -> Result<OrdPlaces> {
        let mut by_blob = OrdPlaces::default();
        let mut keep: rustc_hash::FxHashMap<u32, bool> = Default::default();
        for r in revs {
            let i = self.position(r)?;
            let repo = &self.revisions()[i].repo;
            for (path, ord) in self.entries(i)? {
                if !wanted(ord) {
                    continue;
                }
                let k = match keep.get(&path) {
                    Some(k) => *k,
                    None => {
                        let k = keep_path(path)?;
                        keep.insert(path, k);
                        k
                    }
                };
                if !k {
                    continue;
                }
                let places = by_blob.entry(ord).or_default();
                match places
                    .iter_mut()
                    .find(|p| p.path == path && &p.repo == repo)
                {
                    Some(p) => p.holders.push(i),
                    None => places.push(OrdPlacement {
                        repo: repo.clone(),
                        path,
                        holders: vec![i],
                    }),
                }
            }
        }
        Ok(by_blob)
    }

    /// The revisions of `revs` whose trees may hold one of the blobs `ords` (global
    /// ordinals): a tree outside every one's first..last holding revision (the catalog's
    /// holders table) holds none of them. A union of shards keeps every revision.
    pub fn may_hold<'r>(
        &self,
        revs: &[&'r IndexedRev],
        ords: &[u32],
    ) -> Result<Vec<&'r IndexedRev>> {
        let [part] = &self.parts[..] else {
            return Ok(revs.to_vec());
        };
        let n = self.revisions().len();
        // +1 where a blob's span starts, -1 past its end: a running sum > 0 is covered.
        let mut edges = vec![0i64; n + 1];
        for &o in ords {
            let r = part.catalog.holders(o)?;
            if !r.is_empty() && r.end <= n {
                edges[r.start] += 1;
                edges[r.end] -= 1;
            }
        }
        let mut covered = Vec::with_capacity(n);
        let mut run = 0;
        for e in &edges[..n] {
            run += e;
            covered.push(run > 0);
        }
        let mut out = Vec::with_capacity(revs.len());
        for r in revs {
            if covered[self.position(r)?] {
                out.push(*r);
            }
        }
        Ok(out)
    }

    /// A placement by ordinal as a [`Placement`].
    pub fn placement(&self, p: &OrdPlacement) -> Result<Placement<'_>> {
        Ok(Placement {
            repo: p.repo.clone(),
            path: self.path(p.path)?.to_string(),
            holders: p.holders.iter().map(|i| &self.revisions()[*i]).collect(),
        })
    }

    fn position(&self, r: &IndexedRev) -> Result<usize> {
        self.revisions()
            .iter()
            .position(|x| std::ptr::eq(x, r))
            .or_else(|| {
                self.revisions()
                    .iter()
                    .position(|x| x.repo == r.repo && x.rev == r.rev)
            })
            .with_context(|| format!("{}@{} is not in this index", r.repo, r.rev))
    }

    /// Every entry of an indexed commit's tree.
    pub fn tree(&self, commit: &str) -> Result<Vec<Occurrence>> {
        let u = self
            .revisions()
            .iter()
            .position(|r| r.commit == commit)
            .with_context(|| {
                format!("the index lacks the tree of commit {commit}: run `archeo index`")
            })?;
        let (p, i) = self.at[u];
        self.parts[p].catalog.tree(i)
    }

    /// The ordinals of the stored blobs `q` admits (None: it cannot narrow, every blob may).
    pub fn candidates(&self, q: &GramQuery) -> Result<Option<Vec<u32>>> {
        if matches!(q, GramQuery::All) {
            return Ok(None);
        }
        if let [part] = &self.parts[..] {
            return part.gram_index()?.eval(q);
        }
        let canon = self.canon()?;
        let mut out = Vec::new();
        for (p, part) in self.parts.iter().enumerate() {
            let Some(ords) = part.gram_index()?.eval(q)? else {
                return Ok(None);
            };
            out.extend(
                ords.into_iter()
                    .filter_map(|o| canon[p].get(o as usize).copied()),
            );
        }
        out.sort_unstable();
        out.dedup();
        Ok(Some(out))
    }

    /// The ordinal of a stored blob id.
    pub fn ordinal(&self, blob: &str) -> Result<Option<u32>> {
        match &self.parts[..] {
            [part] => part.catalog.ordinal(blob),
            _ => match catalog::parse_hex(blob) {
                Some(id) => self.owner(&id),
                None => Ok(None),
            },
        }
    }

    /// The blob table's row for an ordinal.
    pub fn blob(&self, ord: u32) -> Result<BlobEntry> {
        let (part, l) = self.locate(ord)?;
        part.catalog.blob(l)
    }

    /// A stored file version by ordinal (no text for a blob stored without it).
    pub fn file_at(&self, ord: u32) -> Result<StoredFile> {
        let (part, l) = self.locate(ord)?;
        let e = part.catalog.blob(l)?;
        if !e.status.has_text() {
            return Ok(StoredFile::without_text(&e));
        }
        StoredFile::load(&e, &part.blob_store()?.record(&e)?)
    }

    /// What a search scans of a stored file version: its text, its comment and string regions
    /// when `regions` (a query with `in:`; others never look at them) and its declarations'
    /// lines (None for a blob stored without text).
    pub fn scan_at(&self, ord: u32, q: &GramQuery, regions: bool) -> Result<Option<ScanFile>> {
        let (part, l) = self.locate(ord)?;
        let e = part.catalog.blob(l)?;
        if !e.status.has_text() {
            return Ok(None);
        }
        let r = part.blob_store()?.record(&e)?;
        Ok(Some(ScanFile {
            blob: e.hex(),
            pieces: r.text_pieces(q)?,
            regions: if regions { r.regions()? } else { Vec::new() },
            decls: r.decl_lines()?,
        }))
    }

    /// A stored file version's parse facts (declarations, imports, references, types) without
    /// its text: what cross-reference graphs read. Empty facts for a blob stored without text.
    pub fn facts_at(&self, ord: u32) -> Result<crate::lang::Parsed> {
        let (part, l) = self.locate(ord)?;
        let e = part.catalog.blob(l)?;
        if !e.status.has_text() {
            return Ok(crate::lang::Parsed::default());
        }
        part.blob_store()?.record(&e)?.facts()
    }

    /// A stored file version's outline: package, imports, declarations, named types and shell
    /// sources, without its references and calls ([`Index::references_at`]) or its text: what a
    /// reference graph declares its nodes from. Empty for a blob stored without text.
    pub fn outline_at(&self, ord: u32) -> Result<crate::lang::Parsed> {
        let (part, l) = self.locate(ord)?;
        let e = part.catalog.blob(l)?;
        if !e.status.has_text() {
            return Ok(crate::lang::Parsed::default());
        }
        part.blob_store()?.record(&e)?.outline()
    }

    /// A stored file version's references (call sites, uses as a value) and calls: what a
    /// reference graph resolves its edges from. Empty for a blob stored without text.
    pub fn references_at(&self, ord: u32) -> Result<blobs::References> {
        let (part, l) = self.locate(ord)?;
        let e = part.catalog.blob(l)?;
        if !e.status.has_text() {
            return Ok(blobs::References::default());
        }
        part.blob_store()?.record(&e)?.references()
    }

    /// A stored file version's declarations alone (no text, no other parse facts): what
    /// identify's function-table matching reads. Empty for a blob stored without text.
    pub fn decls_at(&self, ord: u32) -> Result<Vec<crate::lang::Decl>> {
        let (part, l) = self.locate(ord)?;
        let e = part.catalog.blob(l)?;
        if !e.status.has_text() {
            return Ok(Vec::new());
        }
        part.blob_store()?.record(&e)?.decls()
    }

    /// Whether the file version `ord` declares `name` (identifier or qualified name, ASCII case
    /// folded), decoding its declarations only when their text holds the name.
    pub fn declares(&self, ord: u32, name: &str) -> Result<bool> {
        let (part, l) = self.locate(ord)?;
        let e = part.catalog.blob(l)?;
        if !e.status.has_text() {
            return Ok(false);
        }
        part.blob_store()?.record(&e)?.declares(name)
    }

    /// The ids of the rules the index's findings were computed with.
    pub fn rule_ids(&self) -> &[String] {
        // Every part of a union was indexed with the same rules (checked at open).
        &self.parts[0].catalog.rule_ids
    }

    /// The file version stored for a blob id.
    pub fn file_by_blob(&self, blob: &str) -> Result<Option<StoredFile>> {
        match self.ordinal(blob)? {
            Some(o) if self.blob(o)?.status != catalog::BlobStatus::Unavailable => {
                Ok(Some(self.file_at(o)?))
            }
            _ => Ok(None),
        }
    }

    /// The language of a stored blob.
    pub fn lang_of(&self, blob: &str) -> Result<Option<crate::lang::Lang>> {
        Ok(match self.ordinal(blob)? {
            Some(o) => Some(self.blob(o)?.lang),
            None => None,
        })
    }

    /// What every part's store answers, each blob's documents from its owner only.
    fn gather<T>(
        &self,
        ask: impl Fn(&Store) -> Result<Vec<T>, store::StoreError>,
        blob: impl Fn(&T) -> &str,
    ) -> Result<Vec<T>> {
        let mut out = Vec::new();
        for (p, part) in self.parts.iter().enumerate() {
            for t in ask(part.store()?)? {
                if self.owns(p, blob(&t))? {
                    out.push(t);
                }
            }
        }
        Ok(out)
    }

    /// Stored findings of the given rules (every rule when empty).
    pub fn findings(&self, rules: &[String]) -> Result<Vec<Finding>> {
        self.gather(|s| s.findings(rules), |f: &Finding| &f.blob)
    }

    /// Every file version's stored dependency edges.
    pub fn deps(&self) -> Result<Vec<store::StoredDeps>> {
        self.gather(|s| s.deps(), |d: &store::StoredDeps| &d.blob)
    }

    /// The error-source literals whose every required word is among `words`.
    pub fn literals_within(&self, words: &[String]) -> Result<Vec<StoredLiteral>> {
        self.gather(|s| s.literals_within(words), |l: &StoredLiteral| &l.blob)
    }

    /// What the index holds, for `archeo stats` (a union: distinct blobs once; documents and
    /// bytes of every shard).
    pub fn stats(&self) -> Result<IndexStats> {
        let mut blobs = 0;
        let mut documents = 0;
        let mut bytes_on_disk = 0;
        for (p, part) in self.parts.iter().enumerate() {
            for (l, b) in part.catalog.blobs()?.iter().enumerate() {
                let own = self.parts.len() == 1 || self.canon()?[p][l] == part.ord_base + l as u32;
                if own && b.status != catalog::BlobStatus::Unavailable {
                    blobs += 1;
                }
            }
            documents += part.store()?.num_docs()?;
            bytes_on_disk += dir_size(&part.dir);
        }
        Ok(IndexStats {
            revisions: self.revisions().to_vec(),
            blobs,
            documents: blobs as u64 + documents,
            bytes_on_disk,
            rules: self.rules().to_string(),
        })
    }

    /// Does the store hold findings of rule `id`? (A rule loaded only at index time, with
    /// `--rules`, is known by its findings.)
    pub fn has_findings_of(&self, id: &str) -> Result<bool> {
        Ok(!self
            .findings(std::slice::from_ref(&id.to_string()))?
            .is_empty())
    }
}

/// What an index holds.
#[derive(Debug, Clone)]
pub struct IndexStats {
    /// Every indexed revision.
    pub revisions: Vec<IndexedRev>,
    /// Distinct blobs stored.
    pub blobs: usize,
    /// Documents of every kind: file versions, literals, findings.
    pub documents: u64,
    /// Size of the index directory.
    pub bytes_on_disk: u64,
    /// Fingerprint of the rules the findings were computed with.
    pub rules: String,
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// `v1.2.8, v1.3.3..v1.3.5 (4 revs)`.
pub fn held_display(names: &[&str], held: &[bool], count: usize) -> String {
    format!(
        "{} ({count} rev{})",
        selector::compress(names, held),
        if count == 1 { "" } else { "s" }
    )
}

fn vendored(rev: &IndexedRev, path: &str) -> Option<String> {
    rev.vendored_module(path)
        .map(|m| format!("{} {}", m.module, m.version))
}
