//! The index: building it ([`build`]: pinned trees -> distinct new blobs -> parse + rules ->
//! store) and reading it through one handle, [`Index`] (catalog + store + revision order),
//! opened once per command the way `gix::Repository` is the one handle over a repository.
//! tantivy is used only in [`store`].

pub mod build;
pub mod catalog;
pub mod citation;
pub mod selector;
pub mod store;
pub(crate) mod tokenize;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rayon::prelude::*;

use crate::rules::Finding;
use catalog::{Catalog, IndexedRev, Occurrence};
use citation::{Citation, RevRef, permalink};
use store::{FileRef, Store, StoredFile, StoredLiteral};

/// An opened index: what every query reads through.
pub struct Index {
    dir: PathBuf,
    catalog: Catalog,
    store: Store,
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

impl Index {
    /// Opens the index in `dir` (catalog, then the store it names), checking that the store
    /// records the catalog's checksum: a damaged catalog would cite other URLs and commits.
    pub fn open(dir: &Path) -> Result<Index> {
        let (catalog, store) = Self::open_pair(dir).or_else(|e| {
            // A writer may have replaced the catalog between reading it and opening its store.
            Self::open_pair(dir).map_err(|_| e)
        })?;
        let mut order: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, r) in catalog.revisions.iter().enumerate() {
            order.entry(r.repo.clone()).or_default().push(i);
        }
        for v in order.values_mut() {
            v.sort_by(|a, b| selector::cmp_revs(&catalog.revisions[*a], &catalog.revisions[*b]));
        }
        Ok(Index {
            dir: dir.to_path_buf(),
            catalog,
            store,
            order,
        })
    }

    fn open_pair(dir: &Path) -> Result<(Catalog, Store)> {
        let bytes = Catalog::read_bytes(dir)?.with_context(|| {
            format!(
                "no index at {}: run `archeo index` (after `archeo fetch`)",
                dir.display()
            )
        })?;
        let catalog = Catalog::parse(dir, &bytes)?;
        let store = Store::open(&catalog.store_dir(dir))?;
        if !store.goes_with(&bytes) {
            return Err(store::StoreError::Damaged {
                what: format!(
                    "{} is not the catalog its store was written with",
                    catalog::catalog_path(dir).display()
                ),
            }
            .into());
        }
        Ok((catalog, store))
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
        let held = self.held(&place.repo, |r| {
            place.holders.iter().any(|h| std::ptr::eq(*h, r))
        });
        let (newest, cited) = held
            .newest
            .expect("a placement has at least one holder from this index");
        Citation {
            repo: place.repo.clone(),
            path: place.path.clone(),
            start,
            end,
            revs: held.revs,
            revs_display: held.display,
            rev: cited.rev.clone(),
            commit: cited.commit.clone(),
            url: permalink(&cited.url, &cited.commit, &place.path, start, end),
            vendored_module: vendored(cited, &place.path),
            blob: blob.to_string(),
            newest,
        }
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

    /// Where the blobs `wanted` accepts stand in `revs`, for paths `keep_path` accepts (trees
    /// are read only for the selected revisions, keeping only wanted entries).
    pub fn places<'a>(
        &'a self,
        revs: &[&'a IndexedRev],
        wanted: impl Fn(&str) -> bool + Sync,
        keep_path: impl Fn(&str) -> bool,
    ) -> Result<Places<'a>> {
        let trees: Vec<Vec<Occurrence>> = revs
            .par_iter()
            .map(|r| catalog::read_tree_filtered(&self.dir, &r.commit, &wanted))
            .collect::<Result<_>>()?;
        let mut by_blob: HashMap<String, BTreeMap<(String, String), Vec<&'a IndexedRev>>> =
            HashMap::new();
        for (r, tree) in revs.iter().zip(trees) {
            for e in tree {
                if e.submodule || !keep_path(&e.path) {
                    continue;
                }
                by_blob
                    .entry(e.id)
                    .or_default()
                    .entry((r.repo.clone(), e.path))
                    .or_default()
                    .push(*r);
            }
        }
        Ok(by_blob
            .into_iter()
            .map(|(blob, at)| {
                let v = at
                    .into_iter()
                    .map(|((repo, path), holders)| Placement {
                        repo,
                        path,
                        holders,
                    })
                    .collect();
                (blob, v)
            })
            .collect())
    }

    /// Every entry of an indexed commit's tree.
    pub fn tree(&self, commit: &str) -> Result<Vec<Occurrence>> {
        catalog::read_tree(&self.dir, commit)
    }

    /// File versions (of language `lang` when given) holding every token of `all` and one of
    /// each group of `any_of`.
    pub fn files_with_tokens(
        &self,
        all: &[String],
        any_of: &[Vec<String>],
        lang: Option<crate::lang::Lang>,
    ) -> Result<Vec<FileRef>> {
        Ok(self.store.files_with_tokens(all, any_of, lang)?)
    }

    /// A file version found by [`Index::files_with_tokens`].
    pub fn file(&self, r: &FileRef) -> Result<StoredFile> {
        Ok(self.store.file(r)?)
    }

    /// The file version stored for a blob id.
    pub fn file_by_blob(&self, blob: &str) -> Result<Option<StoredFile>> {
        Ok(self.store.file_by_blob(blob)?)
    }

    /// Stored findings of the given rules (every rule when empty).
    pub fn findings(&self, rules: &[String]) -> Result<Vec<Finding>> {
        Ok(self.store.findings(rules)?)
    }

    /// Every file version's stored dependency edges.
    pub fn deps(&self) -> Result<Vec<store::StoredDeps>> {
        Ok(self.store.deps()?)
    }

    /// String literals holding one of `tokens`.
    pub fn literals_with_any(&self, tokens: &[String]) -> Result<Vec<StoredLiteral>> {
        Ok(self.store.literals_with_any(tokens)?)
    }

    /// What the index holds, for `archeo stats`.
    pub fn stats(&self) -> Result<IndexStats> {
        Ok(IndexStats {
            revisions: self.catalog.revisions.clone(),
            blobs: self.store.indexed_blobs()?.len(),
            documents: self.store.num_docs()?,
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
    /// Documents of every kind.
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
