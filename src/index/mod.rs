//! The index: building it ([`build`]: pinned trees -> distinct new blobs -> parse + rules ->
//! store) and reading it through one handle, [`Index`] (catalog + store + revision order),
//! opened once per command the way `gix::Repository` is the one handle over a repository. It
//! must not format output. tantivy is used only in [`store`].
//!
//! Opening is cheap: the catalog is memory-mapped and only its revision list is decoded; the
//! blob store, the n-gram file and tantivy are opened on first use, so a query pays only for
//! what it reads. An `Index` is `Send + Sync`: a server can share one `Arc<Index>`.

pub mod blobs;
pub mod build;
pub mod catalog;
pub mod citation;
pub mod grams;
pub mod selector;
pub mod store;
pub(crate) mod tokenize;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result};

use crate::rules::Finding;
use blobs::{BlobStore, StoredFile};
use catalog::{BlobEntry, Catalog, IndexedRev, Occurrence};
use citation::{Citation, RevRef, permalink};
use grams::{GramQuery, Grams};
use store::{Store, StoredLiteral};

/// A stored file version as a search scans it ([`Index::scan_at`]).
pub struct ScanFile {
    /// The git blob id.
    pub blob: String,
    /// Its text.
    pub content: String,
    /// Its comment and string regions.
    pub regions: Vec<crate::lang::Region>,
    /// Its declarations, decoded on demand.
    pub decls: blobs::DeclLines,
}

/// An opened index: what every query reads through.
pub struct Index {
    dir: PathBuf,
    catalog: Catalog,
    store_dir: PathBuf,
    blobs: OnceLock<BlobStore>,
    grams: OnceLock<Grams>,
    store: OnceLock<Store>,
    /// Per repository, indices into `catalog.revisions` in version order.
    order: HashMap<String, Vec<usize>>,
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
    /// The revisions held, oldest first.
    pub revs: Vec<RevRef>,
    /// `v1.2.8, v1.3.3..v1.3.5 (4 revs)`.
    pub display: String,
    /// The newest revision held and its position in the repository's version order.
    pub newest: Option<(usize, &'a IndexedRev)>,
}

/// blob id -> where it stands in the selected revisions, ordered by (repo, path).
pub type Places<'a> = HashMap<String, Vec<Placement<'a>>>;

/// Where the blobs an ordinal set names stand in some revisions: blob ordinal -> the paths
/// holding it, each with the selected revisions that do.
pub type OrdPlaces = HashMap<u32, Vec<OrdPlacement>>;

/// One path holding a blob, by ordinal: see [`Index::places_of`].
#[derive(Debug, Clone)]
pub struct OrdPlacement {
    /// The repository's manifest name.
    pub repo: String,
    /// The path's id in the catalog.
    pub path: u32,
    /// Positions in [`Catalog::revisions`] of the selected revisions holding it.
    pub holders: Vec<usize>,
}

impl Index {
    /// Opens the index in `dir` (the catalog; the rest on first use).
    pub fn open(dir: &Path) -> Result<Index> {
        let catalog = Catalog::require(dir)?;
        let mut order: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in catalog.revisions.iter().enumerate() {
            order.entry(r.repo.clone()).or_default().push(i);
        }
        for v in order.values_mut() {
            v.sort_by(|a, b| selector::cmp_revs(&catalog.revisions[*a], &catalog.revisions[*b]));
        }
        Ok(Index {
            store_dir: catalog.store_dir(dir),
            dir: dir.to_path_buf(),
            catalog,
            blobs: OnceLock::new(),
            grams: OnceLock::new(),
            store: OnceLock::new(),
            order,
        })
    }

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

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The catalog: every indexed revision.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Every indexed revision, in catalog (lock) order.
    pub fn revisions(&self) -> &[IndexedRev] {
        &self.catalog.revisions
    }

    /// Resolves a `REPO@REV` selector.
    pub fn resolve(&self, sel: &str) -> Result<&IndexedRev> {
        selector::resolve(&self.catalog, sel)
    }

    /// The revisions `--at` selectors and `--repo` names select (all when both are empty).
    pub fn select(&self, at: &[String], repos: &[String]) -> Result<Vec<&IndexedRev>> {
        selector::select(&self.catalog, at, repos)
    }

    /// A repository's revisions, oldest first (tags by version, then commits, then branches).
    pub fn ordered(&self, repo: &str) -> Vec<&IndexedRev> {
        self.order
            .get(repo)
            .map(|v| v.iter().map(|i| &self.catalog.revisions[*i]).collect())
            .unwrap_or_default()
    }

    /// Which of `repo`'s revisions `is_held` accepts, in version order, compressed for display.
    pub fn held(&self, repo: &str, is_held: impl Fn(&IndexedRev) -> bool) -> Held<'_> {
        let ordered = self.ordered(repo);
        let mask: Vec<bool> = ordered.iter().map(|r| is_held(r)).collect();
        let revs: Vec<RevRef> = ordered
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
        let held = self.held(&place.repo, |r| {
            place.holders.iter().any(|h| std::ptr::eq(*h, r))
        });
        let (newest, cited) = held
            .newest
            .expect("a placement has at least one holder from this index");
        let base = Citation {
            repo: place.repo.clone(),
            path: place.path.clone(),
            start: 0,
            end: 0,
            revs: held.revs,
            revs_display: held.display,
            rev: cited.rev.clone(),
            commit: cited.commit.clone(),
            url: String::new(),
            vendored_module: vendored(cited, &place.path),
            blob: blob.to_string(),
            newest,
        };
        spans
            .iter()
            .map(|&(start, end)| Citation {
                start,
                end,
                url: permalink(&cited.url, &cited.commit, &place.path, start, end),
                ..base.clone()
            })
            .collect()
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

    /// The catalog's own copy of a revision (so identity comparisons hold).
    fn same<'a>(&'a self, rev: &IndexedRev) -> &'a IndexedRev {
        self.catalog
            .find(&rev.repo, &rev.rev)
            .expect("revisions come from this index's catalog")
    }

    /// Where the blobs `wanted` accepts stand in `revs`, for paths `keep_path` accepts (only
    /// the selected revisions' trees are read; each blob and path is asked about once).
    pub fn places<'a>(
        &'a self,
        revs: &[&'a IndexedRev],
        wanted: impl Fn(&str) -> bool + Sync,
        keep_path: impl Fn(&str) -> bool,
    ) -> Result<Places<'a>> {
        let mut want: Vec<Option<bool>> = vec![None; self.catalog.blob_count()];
        let mut by_blob: HashMap<u32, BTreeMap<(String, u32), Vec<&'a IndexedRev>>> =
            HashMap::new();
        let mut keep: HashMap<u32, bool> = HashMap::new();
        for r in revs {
            let i = self.position(r)?;
            for (path, ord) in self.catalog.entries(i)?.iter() {
                let slot = want.get_mut(ord as usize).context(
                    "the index is damaged (a tree names an unknown blob): run `archeo index --rebuild`",
                )?;
                if slot.is_none() {
                    let e = self.catalog.blob(ord)?;
                    *slot = Some(e.status != catalog::BlobStatus::Unavailable && wanted(&e.hex()));
                }
                if *slot != Some(true) {
                    continue;
                }
                let k = match keep.get(&path) {
                    Some(k) => *k,
                    None => {
                        let k = keep_path(self.catalog.path(path)?);
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
                        .push(*r);
                }
            }
        }
        let mut out: Places<'a> = HashMap::new();
        for (ord, at) in by_blob {
            let mut v = Vec::with_capacity(at.len());
            for ((repo, path), holders) in at {
                v.push(Placement {
                    repo,
                    path: self.catalog.path(path)?.to_string(),
                    holders,
                });
            }
            v.sort_by(|a, b| (&a.repo, &a.path).cmp(&(&b.repo, &b.path)));
            out.insert(self.catalog.blob(ord)?.hex(), v);
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
        let mut by_blob: HashMap<u32, Vec<OrdPlacement>> = HashMap::new();
        let mut keep: HashMap<u32, bool> = HashMap::new();
        for r in revs {
            let i = self.position(r)?;
            for (path, ord) in self.catalog.entries(i)?.iter() {
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
                    .find(|p| p.path == path && p.repo == r.repo)
                {
                    Some(p) => p.holders.push(i),
                    None => places.push(OrdPlacement {
                        repo: r.repo.clone(),
                        path,
                        holders: vec![i],
                    }),
                }
            }
        }
        Ok(by_blob)
    }

    /// A placement by ordinal as a [`Placement`].
    pub fn placement(&self, p: &OrdPlacement) -> Result<Placement<'_>> {
        Ok(Placement {
            repo: p.repo.clone(),
            path: self.catalog.path(p.path)?.to_string(),
            holders: p
                .holders
                .iter()
                .map(|i| &self.catalog.revisions[*i])
                .collect(),
        })
    }

    fn position(&self, r: &IndexedRev) -> Result<usize> {
        self.catalog
            .position(r)
            .with_context(|| format!("{}@{} is not in this index", r.repo, r.rev))
    }

    /// Every entry of an indexed commit's tree.
    pub fn tree(&self, commit: &str) -> Result<Vec<Occurrence>> {
        let i = self
            .catalog
            .revisions
            .iter()
            .position(|r| r.commit == commit)
            .with_context(|| {
                format!("the index lacks the tree of commit {commit}: run `archeo index`")
            })?;
        self.catalog.tree(i)
    }

    /// The ordinals of the stored blobs `q` admits (None: it cannot narrow, every blob may).
    pub fn candidates(&self, q: &GramQuery) -> Result<Option<Vec<u32>>> {
        if matches!(q, GramQuery::All) {
            return Ok(None);
        }
        self.gram_index()?.eval(q)
    }

    /// The ordinal of a stored blob id.
    pub fn ordinal(&self, blob: &str) -> Result<Option<u32>> {
        self.catalog.ordinal(blob)
    }

    /// The blob table's row for an ordinal.
    pub fn blob(&self, ord: u32) -> Result<BlobEntry> {
        self.catalog.blob(ord)
    }

    /// A stored file version by ordinal (no text for a blob stored without it).
    pub fn file_at(&self, ord: u32) -> Result<StoredFile> {
        let e = self.catalog.blob(ord)?;
        if !e.status.has_text() {
            return Ok(StoredFile::without_text(&e));
        }
        StoredFile::load(&e, &self.blob_store()?.record(&e)?)
    }

    /// What a search scans of a stored file version: its text, its comment and string regions
    /// and its declarations' lines (None for a blob stored without text).
    pub fn scan_at(&self, ord: u32) -> Result<Option<ScanFile>> {
        let e = self.catalog.blob(ord)?;
        if !e.status.has_text() {
            return Ok(None);
        }
        let r = self.blob_store()?.record(&e)?;
        Ok(Some(ScanFile {
            blob: e.hex(),
            content: r.text()?,
            regions: r.regions()?,
            decls: r.decl_lines()?,
        }))
    }

    /// A stored file version's parse facts (declarations, imports, references, types) without
    /// its text: what cross-reference graphs read. Empty facts for a blob stored without text.
    pub fn facts_at(&self, ord: u32) -> Result<crate::lang::Parsed> {
        let e = self.catalog.blob(ord)?;
        if !e.status.has_text() {
            return Ok(crate::lang::Parsed::default());
        }
        self.blob_store()?.record(&e)?.facts()
    }

    /// A stored file version's declarations alone (no text, no other parse facts): what
    /// identify's function-table matching reads. Empty for a blob stored without text.
    pub fn decls_at(&self, ord: u32) -> Result<Vec<crate::lang::Decl>> {
        let e = self.catalog.blob(ord)?;
        if !e.status.has_text() {
            return Ok(Vec::new());
        }
        self.blob_store()?.record(&e)?.decls()
    }

    /// The ids of the rules the index's findings were computed with.
    pub fn rule_ids(&self) -> &[String] {
        &self.catalog.rule_ids
    }

    /// The file version stored for a blob id.
    pub fn file_by_blob(&self, blob: &str) -> Result<Option<StoredFile>> {
        match self.catalog.ordinal(blob)? {
            Some(o) if self.catalog.blob(o)?.status != catalog::BlobStatus::Unavailable => {
                Ok(Some(self.file_at(o)?))
            }
            _ => Ok(None),
        }
    }

    /// The language of a stored blob.
    pub fn lang_of(&self, blob: &str) -> Result<Option<crate::lang::Lang>> {
        Ok(match self.catalog.ordinal(blob)? {
            Some(o) => Some(self.catalog.blob(o)?.lang),
            None => None,
        })
    }

    /// Stored findings of the given rules (every rule when empty).
    pub fn findings(&self, rules: &[String]) -> Result<Vec<Finding>> {
        Ok(self.store()?.findings(rules)?)
    }

    /// Every file version's stored dependency edges.
    pub fn deps(&self) -> Result<Vec<store::StoredDeps>> {
        Ok(self.store()?.deps()?)
    }

    /// The error-source literals whose every required word is among `words`.
    pub fn literals_within(&self, words: &[String]) -> Result<Vec<StoredLiteral>> {
        Ok(self.store()?.literals_within(words)?)
    }

    /// What the index holds, for `archeo stats`.
    pub fn stats(&self) -> Result<IndexStats> {
        let blobs = self
            .catalog
            .blobs()?
            .iter()
            .filter(|b| b.status != catalog::BlobStatus::Unavailable)
            .count();
        Ok(IndexStats {
            revisions: self.catalog.revisions.clone(),
            blobs,
            documents: blobs as u64 + self.store()?.num_docs()?,
            bytes_on_disk: dir_size(&self.dir),
            rules: self.catalog.rules.clone(),
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
