//! Building the index: pins -> trees -> distinct new blobs -> parse (+ rules) in parallel ->
//! store, then the catalog. It must not parse or store by itself (lang/ and the store do).
//! Single writer (a pid lock file), crash-safe: the catalog is replaced atomically only after
//! the store has committed, `blobs.dat` is synced and the n-gram file is written. The steps are
//! `plan` (trees and what is new, grouped into chains: the new versions of one path, each parsed
//! incrementally from its predecessor), `parse_all` (read, parse, add to the store), `commit`
//! (store, blobs, n-grams, then the catalog) and `collect_garbage` (what nothing names any more).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use crate::index::blobs::{self, BlobWriter};
use crate::index::catalog::{self, BlobEntry, BlobStatus, Catalog, IndexedRev, NewCatalog};
use crate::index::grams::{self, Grams};
use crate::index::store::{Store, StoreWriter};
use crate::lang::{Lang, ParseKind, Parsed};
use crate::rules::RuleSet;
use crate::source::git::{CachedRepo, EntryKind};
use crate::source::lock::Lock;
use crate::source::manifest::Manifest;

/// Called with the number of blobs done after each blob: progress for embedders, and the seam
/// the interrupted-run tests use to kill the process mid-index.
pub type BlobObserver = Arc<dyn Fn(u64) + Send + Sync>;

/// How to index.
#[derive(Clone)]
pub struct IndexOptions {
    /// Throw the index away and build it again.
    pub rebuild: bool,
    /// Files larger than this are skipped (and counted).
    pub max_file_size: u64,
    /// Read and parse every blob that would be indexed, with tree-sitter alone: no rules, no
    /// store, no catalog. The parse floor the index benchmark compares against.
    pub dry_run: bool,
    /// Told after every blob.
    pub observer: Option<BlobObserver>,
    /// Build only this shard of the lock (its repositories; see [`crate::index::shards`]).
    pub shard: Option<crate::index::shards::ShardSpec>,
}

/// What an index run did, for the summary line and tests.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct IndexSummary {
    /// Revisions indexed.
    pub revisions: usize,
    /// Files across every revision.
    pub occurrences: u64,
    /// Distinct blobs across every revision.
    pub distinct_blobs: u64,
    /// Blobs read and parsed by this run (not already indexed).
    pub parsed_blobs: u64,
    /// Their bytes.
    pub parsed_bytes: u64,
    /// Go files among them.
    pub go_files: u64,
    /// Binary blobs (not indexed as text).
    pub binary: u64,
    /// Blobs over the size cap.
    pub oversize: u64,
    /// Blobs that are not valid UTF-8 (indexed lossily).
    pub lossy: u64,
    /// Blobs the cache does not have (partial clones).
    pub unavailable: u64,
    /// Syntax error nodes tree-sitter recovered from.
    pub error_nodes: u64,
    /// Findings in the blobs parsed now.
    pub findings: u64,
    /// File versions parsed from their predecessor's tree (an incremental parse).
    pub incremental: u64,
    /// Incremental parses whose tree had errors, done again from scratch.
    pub fallbacks: u64,
    /// Revisions the previous index held that are no longer pinned.
    pub dropped_revisions: usize,
    /// Wall time.
    pub seconds: f64,
    /// Paths of blobs over the size cap (for -v).
    #[serde(skip)]
    pub oversize_paths: Vec<String>,
    /// Paths of blobs indexed lossily (for -v).
    #[serde(skip)]
    pub lossy_paths: Vec<String>,
    /// The slowest file versions to parse: (milliseconds, path, bytes), slowest first (for -v).
    #[serde(skip)]
    pub slowest: Vec<(f64, String, u64)>,
    /// Repository and path of blobs the cache lacks (for -v).
    #[serde(skip)]
    pub unavailable_paths: Vec<String>,
    /// Tree entries left out because their names cannot stand in a path
    /// (`REPO@REV: DIR/NAME: why`), from the trees read from git by this run.
    pub refused_entries: Vec<String>,
    /// Per language: what was parsed and the worker time it took (for -v).
    pub by_lang: Vec<LangThroughput>,
    /// `repo: path:line:col` of the first syntax error of each file version holding one, at
    /// most [`MAX_LISTED_ERRORS`] (for -v).
    #[serde(skip)]
    pub syntax_errors: Vec<String>,
}

/// How many files with syntax errors `index -v` names.
pub const MAX_LISTED_ERRORS: usize = 20;

/// What one language's file versions cost to index in a run.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct LangThroughput {
    /// The language's name.
    pub lang: String,
    /// File versions read and parsed.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// CPU time spent on them (parse, rules, dependency reading), summed over threads: what
    /// their share of the run costs, whatever else the machine runs.
    pub seconds: f64,
}

/// The single-writer lock: held for the whole run, released when dropped.
pub struct WriterLock {
    _lock: crate::pidlock::PidLock,
}

impl WriterLock {
    /// Takes the lock, or fails at once naming the pid holding it.
    pub fn acquire(index_dir: &Path) -> Result<WriterLock> {
        use crate::pidlock::{LockError, PidLock};
        match PidLock::try_acquire(&index_dir.join("writer.lock")) {
            Ok(l) => Ok(WriterLock { _lock: l }),
            Err(LockError::Busy { pid }) => bail!(
                "index is locked by pid {}: another `archeo index` is writing {}; wait for it to finish",
                pid.map_or("?".to_string(), |p| p.to_string()),
                index_dir.display()
            ),
            Err(e) => Err(e.into()),
        }
    }
}

/// An index directory as archeo marks it: the names it makes there, and the stores
/// (`tantivy-*`) it records before creating them.
const INDEX_DIR: crate::marker::Kind = crate::marker::Kind {
    name: "index",
    marker: "archeo-index.json",
    names: &["catalog.bin", "catalog.json", "writer.lock", "trees"],
    prefixes: &["tantivy"],
};

/// `tantivy-MILLIS`: the only store names archeo makes (and so may delete).
fn is_store_name(name: &str) -> bool {
    name.strip_prefix("tantivy-")
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Claims the index directory (see [`crate::marker`]). An index written before markers existed
/// is recognised by its catalog and adopted with the store that catalog names, nothing else.
pub fn claim_index_dir(index_dir: &Path) -> Result<crate::marker::OwnedDir> {
    Ok(crate::marker::OwnedDir::claim(
        index_dir,
        &INDEX_DIR,
        |d| {
            #[derive(serde::Deserialize)]
            struct Legacy {
                schema_version: u32,
                store: String,
            }
            // Indexes made before markers existed hold a JSON catalog.json (never catalog.bin).
            let text = std::fs::read_to_string(d.join("catalog.json")).ok()?;
            let c: Legacy = serde_json::from_str(&text).ok()?;
            let _ = c.schema_version;
            let store = Some(c.store).filter(|s| is_store_name(s));
            Some(store.into_iter().collect())
        },
    )?)
}

/// One blob to read and parse: its ordinal in the store, its id, and a path that holds it
/// (for its language).
struct Job {
    ord: u32,
    id: [u8; 20],
    path: String,
    repo: usize,
}

/// What is to be done: the revisions and trees as they will be cataloged, the blob table, and
/// the new blobs grouped into chains (the new versions of one path, in revision order, each
/// parsed from its predecessor's tree).
struct Plan {
    cache_dirs: Vec<PathBuf>,
    /// Per repository, blobs upstream does not serve (recorded by fetch): unavailable, not damage.
    absent: Vec<HashSet<String>>,
    /// Repository names, by the index `Job::repo` uses.
    repo_names: Vec<String>,
    revisions: Vec<IndexedRev>,
    trees: Vec<Vec<(String, u32)>>,
    blobs: Vec<BlobEntry>,
    chains: Vec<Vec<Job>>,
    jobs: usize,
    occurrences: u64,
    distinct_blobs: u64,
    excludes: BTreeMap<String, String>,
    /// Tree entries refused while reading trees (see [`IndexSummary::refused_entries`]).
    refused: Vec<String>,
}

/// The store a run writes into.
struct Target {
    old: Option<Catalog>,
    /// The run adds to the old catalog's store (an incremental run).
    reuse: bool,
    store_name: String,
    store_dir: PathBuf,
    fingerprint: String,
    rule_ids: Vec<String>,
}

/// `STORE/tantivy`.
pub fn tantivy_dir(store_dir: &Path) -> PathBuf {
    store_dir.join("tantivy")
}

/// Indexes every pinned revision of `lock` into `index_dir`. A run that fails (a full disk, a
/// damaged cache) removes the store it was creating; the previous index is left as it was.
pub fn run(
    manifest: &Manifest,
    lock: &Lock,
    cache_dir: &Path,
    index_dir: &Path,
    rules: &RuleSet,
    opts: &IndexOptions,
    ui: &crate::ui::Ui,
) -> Result<IndexSummary> {
    let started = Instant::now();
    let record = opts
        .shard
        .map(|spec| crate::index::shards::ShardRecord::of(spec, lock));
    let cut;
    let lock = match opts.shard {
        Some(spec) => {
            cut = crate::index::shards::cut(lock, spec);
            &cut
        }
        None => lock,
    };
    let mut owned = claim_index_dir(index_dir)?;
    let _guard = WriterLock::acquire(index_dir)?;
    sweep_dead_stores(&mut owned, ui);
    let target = open_target(index_dir, rules, opts, ui, &mut owned)?;
    let fresh = !target.reuse;
    let store_name = target.store_name.clone();
    let outcome = (|| {
        let mut plan = plan(manifest, lock, cache_dir, &target, opts.rebuild)?;
        let sink = if opts.dry_run {
            None
        } else {
            std::fs::create_dir_all(&target.store_dir)
                .with_context(|| format!("cannot create {}", target.store_dir.display()))?;
            let store = Store::create_or_open(&tantivy_dir(&target.store_dir))?;
            let valid = match (&target.old, target.reuse) {
                (Some(c), true) => c.blobs_len,
                _ => 0,
            };
            Some(Sink {
                store: store.writer(rayon::current_num_threads())?,
                // A blob re-parsed after a crash between the store's commit and the catalog's
                // must not leave its literals and findings twice.
                purge: target.reuse,
                out: Mutex::new(SinkState {
                    writer: BlobWriter::open(&target.store_dir, valid)?,
                    rows: Vec::new(),
                }),
                grams: (0..=rayon::current_num_threads())
                    .map(|_| Mutex::new(grams::Builder::default()))
                    .collect(),
            })
        };
        let mut summary = parse_all(&plan, rules, opts, sink.as_ref(), ui)?;
        summary.revisions = plan.revisions.len();
        summary.occurrences = plan.occurrences;
        summary.distinct_blobs = plan.distinct_blobs;
        summary.refused_entries = std::mem::take(&mut plan.refused);
        if let Some(sink) = sink {
            let catalog = commit(index_dir, &target, &mut plan, sink, record)?;
            summary.dropped_revisions =
                collect_garbage(index_dir, &catalog, target.old.as_ref(), &mut owned);
        }
        Ok(summary)
    })();
    if fresh && (outcome.is_err() || opts.dry_run) {
        // A dry run leaves no new store behind, and a failed run gives its space back.
        if let Err(e) = owned.remove(&store_name) {
            ui.warn(format!("{e}"));
        }
    }
    let mut summary: IndexSummary = outcome.map_err(|e: anyhow::Error| {
        if fresh && !opts.dry_run {
            e.context(format!(
                "indexing failed; the partial store {store_name} was removed and the previous index is as it was"
            ))
        } else {
            e
        }
    })?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}
/// Removes the stores archeo made that the catalog does not name: left by a run that was killed
/// (or hit a full disk) before it could clean up. Only the writer runs this, under its lock, so
/// no store being written is touched.
fn sweep_dead_stores(owned: &mut crate::marker::OwnedDir, ui: &crate::ui::Ui) {
    let live = match Catalog::read(owned.dir()) {
        Ok(c) => c.map(|c| c.store),
        // An unreadable catalog: which store is live is unknown; a rebuild collects them after.
        Err(_) => return,
    };
    for name in owned.made_with_prefix("tantivy-") {
        if Some(&name) != live.as_ref() {
            match owned.remove(&name) {
                Ok(true) => ui.detail(format!("removed {name}, left by an interrupted run")),
                Ok(false) => {}
                Err(e) => ui.warn(format!("{e}")),
            }
        }
    }
}

/// Makes a run's work the index: the store commits, `blobs.dat` is synced, the n-gram file is
/// written, and last the catalog naming all of them replaces the old one.
fn commit(
    index_dir: &Path,
    target: &Target,
    plan: &mut Plan,
    sink: Sink,
    shard: Option<crate::index::shards::ShardRecord>,
) -> Result<NewCatalog> {
    let Sink {
        store, out, grams, ..
    } = sink;
    let state = out.into_inner().expect("sink lock");
    let added = !state.rows.is_empty();
    let old = target.old.as_ref().filter(|_| target.reuse);
    let old_grams = old.map(|c| c.grams.clone()).filter(|g| !g.is_empty());
    // The n-gram file is written on a thread of its own while blobs.dat is synced, the catalog
    // encoded and the store committed: the catalog only names it, and is written after both.
    // Nothing new: the old n-gram file stands. Else a new one, from the old and the builders.
    let (grams_name, grams_job) = match &old_grams {
        Some(g) if !added => (g.clone(), None),
        _ => {
            let name = format!("grams-{}.dat", millis());
            let previous = match &old_grams {
                Some(g) => Some(Grams::open(&grams::grams_path(&target.store_dir, g))?),
                None => None,
            };
            let builders: Vec<grams::Builder> = grams
                .into_iter()
                .map(|m| m.into_inner().expect("grams lock"))
                .collect();
            (name, Some((previous, builders)))
        }
    };
    let universe = plan.blobs.len() as u32;
    std::thread::scope(|scope| -> Result<NewCatalog> {
        let writing = match grams_job {
            None => None,
            Some((previous, builders)) => {
                let path = grams::grams_path(&target.store_dir, &grams_name);
                let t = std::thread::Builder::new()
                    .name("archeo-grams".into())
                    .spawn_scoped(scope, move || {
                        grams::write(&path, previous.as_ref(), builders, universe)
                    })
                    .context("cannot start a thread to write the n-gram file")?;
                Some(t)
            }
        };
        let finish = || -> Result<(NewCatalog, Vec<u8>)> {
            let blobs_len = state.writer.finish()?;
            for (ord, e) in state.rows {
                plan.blobs[ord as usize] = e;
            }
            let catalog = NewCatalog {
                store: target.store_name.clone(),
                rules: target.fingerprint.clone(),
                rule_ids: target.rule_ids.clone(),
                revisions: std::mem::take(&mut plan.revisions),
                trees: std::mem::take(&mut plan.trees),
                blobs: std::mem::take(&mut plan.blobs),
                excludes: std::mem::take(&mut plan.excludes),
                grams: grams_name,
                blobs_len,
                shard,
            };
            let bytes = catalog.encode()?;
            // The store names the catalogs it goes with: the new one, and, until it is written,
            // the one readers still find (an incremental run writes into the live store).
            let mut catalogs = vec![crate::index::store::catalog_sum(&bytes)];
            if let Some(old) = old {
                catalogs.push(crate::index::store::catalog_sum(old.bytes()?));
            }
            store.commit(&catalogs)?;
            Ok((catalog, bytes))
        };
        let done = finish();
        // The n-gram file is waited for even when the rest failed: its thread writes under a
        // new name, never in place, and ends before the run does.
        let written = writing.map_or(Ok(()), |t| {
            t.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
        });
        let (catalog, bytes) = done?;
        written?;
        crate::atomic::write(&catalog::catalog_path(index_dir), &bytes)?;
        Ok(catalog)
    })
}

fn millis() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

/// Decides which store this run writes into: the catalog's own for an incremental run, a new
/// directory for a rebuild (or a first run, or when the rules changed), which becomes the index
/// only when the new catalog names it.
fn open_target(
    index_dir: &Path,
    rules: &RuleSet,
    opts: &IndexOptions,
    ui: &crate::ui::Ui,
    owned: &mut crate::marker::OwnedDir,
) -> Result<Target> {
    let old = match Catalog::read(index_dir) {
        Ok(c) => c,
        // Nothing of an index of another format is reused: build it again.
        Err(e) => match e.downcast_ref::<catalog::OtherFormat>() {
            Some(f) => {
                if !opts.rebuild {
                    ui.info(format!(
                        "the index at {} has {}: building it again in format {}",
                        f.dir.display(),
                        f.found,
                        catalog::SCHEMA_VERSION
                    ));
                }
                None
            }
            None if opts.rebuild => None,
            None => return Err(e),
        },
    };
    let fingerprint = rules.fingerprint();
    let rules_changed = old.as_ref().is_some_and(|c| c.rules != fingerprint);
    if rules_changed && !opts.dry_run {
        ui.info("the rules changed since the index was built: indexing every blob again");
    }
    let reuse = old.is_some() && !opts.rebuild && !rules_changed;
    let store_name = match &old {
        Some(c) if reuse => c.store.clone(),
        _ => format!("tantivy-{}", millis()),
    };
    owned.record(&store_name)?;
    let store_dir = index_dir.join(&store_name);
    Ok(Target {
        old,
        reuse,
        store_name,
        store_dir,
        fingerprint,
        rule_ids: rules.id_list(),
    })
}

/// A pinned tree: files (path, blob id) and submodules.
struct PinnedTree {
    files: Vec<(String, [u8; 20])>,
    submodules: Vec<catalog::Submodule>,
    /// Entries whose names cannot stand in a path (trees read from git only).
    refused: Vec<crate::source::git::RefusedEntry>,
    /// The revision as the old catalog had it (trees reused from it keep its vendor list).
    old: Option<IndexedRev>,
}

/// Reads every pinned tree (from the old catalog when it holds that commit filtered with the
/// same `exclude`, and this is no rebuild; else from git), then assigns each blob its ordinal
/// and queues each blob the store does not hold yet, once, in the chain of its path.
fn plan(
    manifest: &Manifest,
    lock: &Lock,
    cache_dir: &Path,
    target: &Target,
    rebuild: bool,
) -> Result<Plan> {
    let mut plan = Plan {
        cache_dirs: Vec::new(),
        absent: Vec::new(),
        repo_names: Vec::new(),
        revisions: Vec::new(),
        trees: Vec::new(),
        blobs: match (&target.old, target.reuse) {
            (Some(c), true) => c.blobs()?,
            _ => Vec::new(),
        },
        chains: Vec::new(),
        jobs: 0,
        occurrences: 0,
        distinct_blobs: 0,
        excludes: BTreeMap::new(),
        refused: Vec::new(),
    };
    let mut q = Queue {
        ord_of: plan
            .blobs
            .iter()
            .enumerate()
            .map(|(i, b)| (b.id, i as u32))
            .collect(),
        queued: HashSet::new(),
        distinct: HashSet::new(),
        chain_of: HashMap::new(),
    };
    let trees_from = target.old.as_ref().filter(|_| !rebuild);
    for locked in &lock.repos {
        plan_repo(&mut plan, &mut q, manifest, locked, cache_dir, trees_from)?;
    }
    plan.distinct_blobs = q.distinct.len() as u64;
    Ok(plan)
}

/// What `plan` has queued so far: blob ordinals by id, blobs queued and seen, chains by
/// (repository, path).
struct Queue {
    ord_of: HashMap<[u8; 20], u32>,
    queued: HashSet<u32>,
    distinct: HashSet<u32>,
    chain_of: HashMap<(usize, String), usize>,
}

/// One pinned repository's revisions into the plan: its trees (reused from `trees_from` when
/// its `exclude` is unchanged), each blob's ordinal, and the new blobs queued in chains.
fn plan_repo(
    plan: &mut Plan,
    q: &mut Queue,
    manifest: &Manifest,
    locked: &crate::source::lock::LockedRepo,
    cache_dir: &Path,
    trees_from: Option<&Catalog>,
) -> Result<()> {
    let spec = manifest.repo(&locked.name);
    let exclude = spec.map(|s| s.exclude_set()).unwrap_or_default();
    let fp = catalog::exclude_fingerprint(spec.map_or(&[][..], |s| &s.exclude[..]));
    let repo =
        CachedRepo::open(cache_dir, &locked.name, &locked.url, false)?.with_context(|| {
            format!(
                "{} is pinned but not in the cache {}: run `archeo fetch` first",
                locked.name,
                crate::source::git::cache_dir_for(cache_dir, &locked.name).display()
            )
        })?;
    if let Some(rev) = locked.revs.iter().find(|r| !repo.has_commit(&r.commit)) {
        bail!(
            "{}@{} is locked to commit {}, which the cache does not have: run `archeo fetch` (or `archeo fetch --locked`)",
            locked.name,
            rev.name,
            rev.commit
        );
    }
    crate::source::fetch::check_locked_revs(&repo, locked)?;
    let ri = plan.cache_dirs.len();
    let reusable = trees_from.filter(|c| c.excludes.get(&locked.name) == Some(&fp));
    for rev in &locked.revs {
        let tree = pinned_tree(&repo, reusable, &locked.name, &rev.commit, &exclude)?;
        plan.refused.extend(tree.refused.iter().map(|r| {
            format!(
                "{}@{}: tree entry {:?}{} refused ({}); it and what it holds are not indexed",
                locked.name,
                rev.name,
                r.name,
                if r.dir.is_empty() {
                    String::new()
                } else {
                    format!(" in {}", r.dir)
                },
                r.why
            )
        }));
        let indexed = catalog_entry(&repo, &locked.name, &locked.url, rev, &tree);
        let mut files = Vec::with_capacity(tree.files.len());
        for (path, id) in tree.files {
            let ord = *q.ord_of.entry(id).or_insert_with(|| {
                plan.blobs.push(BlobEntry {
                    id,
                    status: BlobStatus::Unavailable,
                    lang: Lang::Text,
                    flags: 0,
                    offset: 0,
                    len: 0,
                });
                plan.blobs.len() as u32 - 1
            });
            q.distinct.insert(ord);
            if plan.blobs[ord as usize].status == BlobStatus::Unavailable && q.queued.insert(ord) {
                let next = plan.chains.len();
                let c = *q.chain_of.entry((ri, path.clone())).or_insert(next);
                if c == next {
                    plan.chains.push(Vec::new());
                }
                plan.chains[c].push(Job {
                    ord,
                    id,
                    path: path.clone(),
                    repo: ri,
                });
                plan.jobs += 1;
            }
            files.push((path, ord));
        }
        plan.occurrences += indexed.files;
        plan.revisions.push(indexed);
        plan.trees.push(files);
    }
    plan.excludes.insert(locked.name.clone(), fp);
    plan.cache_dirs.push(repo.dir.clone());
    plan.absent.push(repo.absent());
    plan.repo_names.push(locked.name.clone());
    Ok(())
}

/// A revision as the catalog records it: files, submodules, vendored modules.
fn catalog_entry(
    repo: &CachedRepo,
    name: &str,
    url: &str,
    rev: &crate::source::lock::LockedRev,
    tree: &PinnedTree,
) -> IndexedRev {
    let mut indexed = IndexedRev {
        repo: name.to_string(),
        url: url.to_string(),
        rev: rev.name.clone(),
        kind: rev.kind,
        commit: rev.commit.clone(),
        files: tree.files.len() as u64,
        vendor: Default::default(),
        submodules: tree.submodules.clone(),
    };
    if let Some(old) = &tree.old {
        indexed.vendor = old.vendor.clone();
        return indexed;
    }
    if let Some((_, id)) = tree.files.iter().find(|(p, _)| p == "vendor/modules.txt")
        && let Ok(bytes) = repo.blob_reader().read(&catalog::hex(id))
    {
        indexed.vendor = catalog::parse_modules_txt(&String::from_utf8_lossy(&bytes)).into();
    }
    indexed
}

/// A pinned commit's tree after exclusion (symlinks left out, submodules kept): the old
/// catalog's copy when it may be reused, else read from git.
fn pinned_tree(
    repo: &CachedRepo,
    old: Option<&Catalog>,
    name: &str,
    commit: &str,
    exclude: &crate::path_filter::PathSet,
) -> Result<PinnedTree> {
    if let Some(c) = old
        && let Some(i) = c
            .revisions
            .iter()
            .position(|r| r.repo == name && r.commit == commit)
    {
        let mut files = Vec::new();
        for (path, ord) in c.entries(i)?.iter() {
            files.push((c.path(path)?.to_string(), c.blob(ord)?.id));
        }
        return Ok(PinnedTree {
            files,
            submodules: c.revisions[i].submodules.clone(),
            old: Some(c.revisions[i].clone()),
            refused: Vec::new(),
        });
    }
    let read = repo.tree(commit)?;
    let mut tree = PinnedTree {
        files: Vec::new(),
        submodules: Vec::new(),
        old: None,
        refused: read.refused,
    };
    for e in read.entries {
        match e.kind {
            EntryKind::Symlink => {}
            EntryKind::Submodule => tree.submodules.push(catalog::Submodule {
                path: e.path,
                commit: e.id,
            }),
            _ if exclude.excludes(&e.path) => {}
            _ => {
                let id = catalog::parse_hex(&e.id)
                    .with_context(|| format!("git gave a bad blob id {:?}", e.id))?;
                tree.files.push((e.path, id));
            }
        }
    }
    Ok(tree)
}

/// Counters shared by the parse workers.
#[derive(Default)]
struct Counters {
    bytes: AtomicU64,
    go: AtomicU64,
    binary: AtomicU64,
    oversize: AtomicU64,
    lossy: AtomicU64,
    unavailable: AtomicU64,
    /// Blobs that cannot be read and are not known to be absent upstream: (count, first error).
    unreadable: std::sync::Mutex<(u64, Option<String>)>,
    errors: AtomicU64,
    findings: AtomicU64,
    incremental: AtomicU64,
    fallbacks: AtomicU64,
    done: AtomicU64,
    oversize_paths: Mutex<Vec<String>>,
    lossy_paths: Mutex<Vec<String>>,
    slowest: Mutex<Vec<(f64, String, u64)>>,
    unavailable_paths: Mutex<Vec<String>>,
    /// Per language name: (files, bytes, seconds).
    by_lang: Mutex<BTreeMap<&'static str, (u64, u64, f64)>>,
    syntax_errors: Mutex<Vec<String>>,
}

impl Counters {
    fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    /// Adds one parsed file version to its language's throughput, and its first syntax error
    /// to the list `index -v` shows.
    fn parsed(&self, b: &BlobParse, secs: f64, repo: &str, path: &str) {
        if b.text.is_none() {
            return;
        }
        let mut m = self.by_lang.lock().expect("counter lock");
        let e = m.entry(b.lang.as_str()).or_default();
        e.0 += 1;
        e.1 += b.size;
        e.2 += secs;
        drop(m);
        if let Some((line, col)) = b.parsed.first_error {
            let mut v = self.syntax_errors.lock().expect("counter lock");
            if v.len() < MAX_LISTED_ERRORS {
                v.push(format!("{repo}: {path}:{line}:{col}"));
            }
        }
    }

    /// Keeps the ten slowest file versions (for `index -v`).
    fn timed(&self, ms: f64, path: &str, size: u64) {
        let mut v = self.slowest.lock().expect("counter lock");
        if v.len() < 10 || v.last().is_some_and(|x| x.0 < ms) {
            v.push((ms, path.to_string(), size));
            v.sort_by(|a, b| b.0.total_cmp(&a.0));
            v.truncate(10);
        }
    }

    fn summary(self, jobs: usize) -> IndexSummary {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut o = self.oversize_paths.into_inner().unwrap_or_default();
        let mut l = self.lossy_paths.into_inner().unwrap_or_default();
        let mut u = self.unavailable_paths.into_inner().unwrap_or_default();
        o.sort();
        l.sort();
        u.sort();
        let by_lang = self
            .by_lang
            .into_inner()
            .unwrap_or_default()
            .into_iter()
            .map(|(lang, (files, bytes, seconds))| LangThroughput {
                lang: lang.to_string(),
                files,
                bytes,
                seconds,
            })
            .collect();
        let mut syntax_errors = self.syntax_errors.into_inner().unwrap_or_default();
        syntax_errors.sort();
        IndexSummary {
            by_lang,
            syntax_errors,
            parsed_blobs: jobs as u64 - get(&self.unavailable),
            parsed_bytes: get(&self.bytes),
            go_files: get(&self.go),
            binary: get(&self.binary),
            oversize: get(&self.oversize),
            lossy: get(&self.lossy),
            unavailable: get(&self.unavailable),
            error_nodes: get(&self.errors),
            findings: get(&self.findings),
            incremental: get(&self.incremental),
            fallbacks: get(&self.fallbacks),
            oversize_paths: o,
            lossy_paths: l,
            slowest: self.slowest.into_inner().unwrap_or_default(),
            unavailable_paths: u,
            ..Default::default()
        }
    }
}

/// Where parsed blobs go: the store (literals, findings), `blobs.dat` (records, appended under
/// a lock), the blob table's new rows and, per worker thread, n-gram postings.
struct Sink {
    store: StoreWriter,
    purge: bool,
    out: Mutex<SinkState>,
    grams: Vec<Mutex<grams::Builder>>,
}

struct SinkState {
    writer: BlobWriter,
    rows: Vec<(u32, BlobEntry)>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Option<grams::Scratch>> = const { std::cell::RefCell::new(None) };
}

impl Sink {
    /// Stores one parsed blob; gives its text back.
    fn add(&self, job: &Job, b: BlobParse) -> Result<Option<String>> {
        let hex = catalog::hex(&job.id);
        let mut entry = BlobEntry {
            id: job.id,
            status: b.status,
            lang: b.lang,
            flags: if b.parsed.generated {
                catalog::BLOB_GENERATED
            } else {
                0
            },
            offset: 0,
            len: 0,
        };
        if self.purge {
            self.store.purge(&hex);
        }
        if let Some(text) = &b.text {
            let record = blobs::encode(b.status, b.size, text, &b.parsed);
            SCRATCH.with(|s| {
                let mut s = s.borrow_mut();
                let keys = s
                    .get_or_insert_with(Default::default)
                    .distinct(text.as_bytes());
                let slot = rayon::current_thread_index().map_or(0, |i| i + 1);
                self.grams[slot.min(self.grams.len() - 1)]
                    .lock()
                    .expect("grams lock")
                    .add(job.ord, keys);
            });
            self.store.add(
                &hex,
                b.lang,
                &b.parsed.decls,
                b.parsed.strings,
                b.findings,
                b.deps,
            )?;
            let mut out = self.out.lock().expect("sink lock");
            let (offset, len) = out.writer.append(&record)?;
            entry.offset = offset;
            entry.len = len;
            out.rows.push((job.ord, entry));
        } else {
            self.out
                .lock()
                .expect("sink lock")
                .rows
                .push((job.ord, entry));
        }
        Ok(b.text)
    }
}

/// Reads, parses and (unless a dry run) stores every queued blob: chains in parallel, the
/// versions of one chain in order, each reparsed from its predecessor's tree.
fn parse_all(
    plan: &Plan,
    rules: &RuleSet,
    opts: &IndexOptions,
    sink: Option<&Sink>,
    ui: &crate::ui::Ui,
) -> Result<IndexSummary> {
    let pb = ui.bar(
        plan.jobs as u64,
        "{bar:30} {pos}/{len} blobs {msg} [{elapsed}]",
    );
    let counters = Counters::default();
    let t0 = Instant::now();
    let step = |job: &Job| {
        let done = counters.done.fetch_add(1, Ordering::SeqCst) + 1;
        if let Some(observe) = &opts.observer {
            observe(done);
        }
        pb.inc(1);
        if done.is_multiple_of(64) {
            let b = counters.bytes.load(Ordering::Relaxed) as f64 / 1e6;
            let secs = t0.elapsed().as_secs_f64().max(0.001);
            pb.set_message(format!("{b:.1} MB, {:.1} MB/s", b / secs));
        }
        let _ = job;
    };
    plan.chains.par_iter().try_for_each_init(
        || {
            plan.cache_dirs
                .iter()
                .map(|d| crate::source::git::blob_reader_at(d))
                .collect::<Vec<_>>()
        },
        |readers, chain| -> Result<()> {
            let mut prev: Option<(tree_sitter::Tree, String)> = None;
            for job in chain {
                let reader = match &readers[job.repo] {
                    Ok(r) => r,
                    Err(e) => bail!("{e:#}"),
                };
                match reader.read(&catalog::hex(&job.id)) {
                    Ok(data) => {
                        let started = Instant::now();
                        let cpu = thread_cpu_seconds();
                        let mut b = parse_blob(job, data, prev.as_ref(), rules, opts, &counters)?;
                        let secs = started.elapsed().as_secs_f64();
                        // Parsed ones only (what `Counters::parsed` counts as parsed).
                        if b.text.is_some() {
                            counters.timed(secs * 1000.0, &job.path, b.size);
                        }
                        let cpu = thread_cpu_seconds() - cpu;
                        counters.parsed(&b, cpu, &plan.repo_names[job.repo], &job.path);
                        // The next version of the path is parsed from this one: its tree,
                        // and its text once the sink is done with it (moved, not copied).
                        let tree = b.tree.take();
                        let text = match sink {
                            Some(s) => s.add(job, b)?,
                            None => b.text,
                        };
                        if let (Some(t), Some(text)) = (tree, text) {
                            prev = Some((t, text));
                        }
                    }
                    Err(crate::source::git::GitError::Missing { .. })
                        if plan.absent[job.repo].contains(&catalog::hex(&job.id)) =>
                    {
                        Counters::add(&counters.unavailable, 1);
                        counters
                            .unavailable_paths
                            .lock()
                            .expect("counter lock")
                            .push(format!(
                                "{}: {} (blob {})",
                                plan.repo_names[job.repo],
                                job.path,
                                catalog::hex(&job.id)
                            ));
                    }
                    Err(e) => {
                        let mut u = counters.unreadable.lock().expect("counter lock");
                        u.0 += 1;
                        u.1.get_or_insert_with(|| format!("{} ({e})", job.path));
                    }
                }
                step(job);
            }
            Ok(())
        },
    )?;
    pb.finish_and_clear();
    let (count, first) = std::mem::take(&mut *counters.unreadable.lock().expect("counter lock"));
    if let Some(first) = first {
        bail!(
            "{count} file version(s) the pinned revisions hold cannot be read from the cache, e.g. {first}"
        );
    }
    Ok(counters.summary(plan.jobs))
}

/// The calling thread's CPU time so far, in seconds (0 where the clock cannot be read).
fn thread_cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec through a valid pointer to a local.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0.0;
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// One blob, read and parsed.
struct BlobParse {
    status: BlobStatus,
    lang: Lang,
    size: u64,
    text: Option<String>,
    parsed: Parsed,
    tree: Option<tree_sitter::Tree>,
    findings: Vec<(String, String)>,
    deps: Option<crate::index::store::StoredDeps>,
}

/// One blob: status (binary, oversize, lossy), and for a language with a grammar the parse
/// (from the previous version's tree unless a dry run, which measures the naive floor) and the
/// rules' findings.
fn parse_blob(
    job: &Job,
    data: Vec<u8>,
    prev: Option<&(tree_sitter::Tree, String)>,
    rules: &RuleSet,
    opts: &IndexOptions,
    counters: &Counters,
) -> Result<BlobParse> {
    let size = data.len() as u64;
    let first_line = data.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let lang = Lang::detect_with(
        &job.path,
        &String::from_utf8_lossy(&first_line[..first_line.len().min(200)]),
    );
    let mut rec = BlobParse {
        status: BlobStatus::Indexed,
        lang,
        size,
        text: None,
        parsed: Parsed::default(),
        tree: None,
        findings: Vec::new(),
        deps: None,
    };
    if size > opts.max_file_size {
        rec.status = BlobStatus::Oversize;
        Counters::add(&counters.oversize, 1);
        counters
            .oversize_paths
            .lock()
            .expect("counter lock")
            .push(format!("{} ({})", job.path, crate::ui::human_bytes(size)));
        return Ok(rec);
    }
    if data[..data.len().min(8000)].contains(&0) {
        rec.status = BlobStatus::Binary;
        Counters::add(&counters.binary, 1);
        return Ok(rec);
    }
    let text = match String::from_utf8(data) {
        Ok(t) => t,
        Err(e) => {
            rec.status = BlobStatus::Lossy;
            Counters::add(&counters.lossy, 1);
            counters
                .lossy_paths
                .lock()
                .expect("counter lock")
                .push(job.path.clone());
            String::from_utf8_lossy(e.as_bytes()).into_owned()
        }
    };
    Counters::add(&counters.bytes, size);
    if lang == Lang::Go {
        Counters::add(&counters.go, 1);
    }
    let edges = if opts.dry_run {
        Vec::new()
    } else {
        crate::deps::extract(&job.path, &text)
    };
    if !edges.is_empty() {
        rec.deps = Some(crate::index::store::StoredDeps {
            blob: String::new(),
            path: job.path.clone(),
            edges,
        });
    }
    let old = prev.filter(|_| !opts.dry_run).map(|(t, s)| (t, s.as_str()));
    let (parsed, tree, kind) = lang.language().reparse(&text, old);
    match kind {
        ParseKind::Incremental => Counters::add(&counters.incremental, 1),
        ParseKind::Fallback => Counters::add(&counters.fallbacks, 1),
        ParseKind::Full => {}
    }
    Counters::add(&counters.errors, parsed.error_nodes as u64);
    if let Some(tree) = tree.as_ref().filter(|_| !opts.dry_run) {
        rec.findings = rules.run(lang, &catalog::hex(&job.id), tree, &text, &parsed)?;
        Counters::add(&counters.findings, rec.findings.len() as u64);
    }
    rec.parsed = parsed;
    rec.tree = tree;
    rec.text = Some(text);
    Ok(rec)
}

/// After the new catalog is in place: removes stores it does not name (replaced by a rebuild,
/// or left by an interrupted run; only stores the index directory's marker lists), n-gram files
/// of its store it does not name, and what an index of the previous layout (`catalog.json`,
/// `trees/`) left, when the marker lists it. Returns how many of the old catalog's revisions are
/// gone.
fn collect_garbage(
    index_dir: &Path,
    catalog: &NewCatalog,
    old: Option<&Catalog>,
    owned: &mut crate::marker::OwnedDir,
) -> usize {
    let migrating = index_dir.join("catalog.json").exists();
    for name in owned.made_with_prefix("tantivy-") {
        if name != catalog.store {
            let _ = owned.remove(&name);
        }
    }
    if migrating {
        let _ = owned.remove("trees");
        let _ = owned.remove("catalog.json");
    }
    let store_dir = index_dir.join(&catalog.store);
    for e in std::fs::read_dir(&store_dir)
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("grams-") && name.ends_with(".dat") && name != catalog.grams {
            let _ = std::fs::remove_file(e.path());
        }
    }
    let now: HashSet<(&str, &str, &str)> = catalog
        .revisions
        .iter()
        .map(|r| (r.repo.as_str(), r.rev.as_str(), r.commit.as_str()))
        .collect();
    old.map_or(0, |old| {
        old.revisions
            .iter()
            .filter(|o| !now.contains(&(o.repo.as_str(), o.rev.as_str(), o.commit.as_str())))
            .count()
    })
}
