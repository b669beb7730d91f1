//! Building the index: pins -> trees -> distinct new blobs -> parse (+ rules) in parallel ->
//! store, then the catalog. Single writer (a pid lock file), crash-safe (the catalog is replaced
//! atomically only after the store has committed). The steps are `plan` (what is new),
//! `parse_all` (read, parse, add to the store), the commit (store, then catalog) and
//! `collect_garbage` (stores and trees nothing names any more).

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use crate::index::catalog::{self, Catalog, IndexedRev, Occurrence};
use crate::index::store::{BlobRecord, BlobStatus, Store, StoreWriter};
use crate::lang::{Lang, Parsed};
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
    /// Repository and path of blobs the cache lacks (for -v).
    #[serde(skip)]
    pub unavailable_paths: Vec<String>,
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
    names: &["catalog.json", "writer.lock", "trees"],
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
            let text = std::fs::read_to_string(catalog::catalog_path(d)).ok()?;
            let c: Legacy = serde_json::from_str(&text).ok()?;
            let _ = c.schema_version;
            let store = Some(c.store).filter(|s| is_store_name(s));
            Some(store.into_iter().collect())
        },
    )?)
}

/// One blob to read and parse, with a path that holds it (for its language).
struct Job {
    blob: String,
    path: String,
    repo: usize,
}

/// What is to be done: the revisions as they will be cataloged, and the new blobs.
struct Plan {
    cache_dirs: Vec<PathBuf>,
    /// Per repository, blobs upstream does not serve (recorded by fetch): unavailable, not damage.
    absent: Vec<HashSet<String>>,
    /// Repository names, by the index `Job::repo` uses.
    repo_names: Vec<String>,
    revisions: Vec<IndexedRev>,
    jobs: Vec<Job>,
    occurrences: u64,
    distinct_blobs: u64,
}

/// The store a run writes into.
struct Target {
    old: Option<Catalog>,
    store_name: String,
    store: Store,
    fingerprint: String,
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
    let mut owned = claim_index_dir(index_dir)?;
    let _guard = WriterLock::acquire(index_dir)?;
    sweep_dead_stores(&mut owned, ui);
    let target = open_target(index_dir, rules, opts, ui, &mut owned)?;
    let fresh = target
        .old
        .as_ref()
        .is_none_or(|c| c.store != target.store_name);
    let store_name = target.store_name.clone();
    let outcome = (|| {
        let known = target.store.indexed_blobs()?;
        let plan = plan(manifest, lock, cache_dir, index_dir, &known)?;
        let writer = if opts.dry_run {
            None
        } else {
            Some(target.store.writer(rayon::current_num_threads())?)
        };
        let mut summary = parse_all(&plan, rules, opts, writer.as_ref(), ui)?;
        summary.revisions = plan.revisions.len();
        summary.occurrences = plan.occurrences;
        summary.distinct_blobs = plan.distinct_blobs;
        if let Some(w) = writer {
            let catalog = Catalog {
                schema_version: catalog::SCHEMA_VERSION,
                store: target.store_name.clone(),
                rules: target.fingerprint.clone(),
                revisions: plan.revisions,
            };
            // The store names the catalogs it goes with: the new one, and, until it is written,
            // the one readers still find (an incremental run writes into the live store).
            let mut catalogs = vec![crate::index::store::catalog_sum(&catalog.to_bytes()?)];
            if !fresh && let Ok(Some(old)) = Catalog::read_bytes(index_dir) {
                catalogs.push(crate::index::store::catalog_sum(&old));
            }
            w.commit(&catalogs)?;
            catalog.write(index_dir)?;
            summary.dropped_revisions =
                collect_garbage(index_dir, &catalog, target.old.as_ref(), &mut owned);
        }
        Ok(summary)
    })();
    drop(target.store);
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

/// Opens the store this run writes into: the catalog's own for an incremental run, a new
/// directory for a rebuild (or a first run, or when the rules changed), which becomes the index
/// only when the new catalog names it.
fn open_target(
    index_dir: &Path,
    rules: &RuleSet,
    opts: &IndexOptions,
    ui: &crate::ui::Ui,
    owned: &mut crate::marker::OwnedDir,
) -> Result<Target> {
    let old = Catalog::read(index_dir).or_else(|e| if opts.rebuild { Ok(None) } else { Err(e) })?;
    let fingerprint = rules.fingerprint();
    let rules_changed = old.as_ref().is_some_and(|c| c.rules != fingerprint);
    if rules_changed && !opts.dry_run {
        ui.info("the rules changed since the index was built: indexing every blob again");
    }
    let store_name = match &old {
        Some(c) if !opts.rebuild && !rules_changed => c.store.clone(),
        _ => format!(
            "tantivy-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis())
        ),
    };
    owned.record(&store_name)?;
    let store_dir = index_dir.join(&store_name);
    let store = match Store::create_or_open(&store_dir) {
        Ok(s) => s,
        Err(e) if old.as_ref().is_none_or(|c| c.store != store_name) => {
            let _ = owned.remove(&store_name);
            return Err(anyhow::Error::new(e).context(format!(
                "indexing failed; the partial store {store_name} was removed and the previous index is as it was"
            )));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(Target {
        old,
        store_name,
        store,
        fingerprint,
    })
}

/// Reads every pinned tree (from the index's tree files when present, else from git) and queues
/// each blob the store does not hold yet, once.
fn plan(
    manifest: &Manifest,
    lock: &Lock,
    cache_dir: &Path,
    index_dir: &Path,
    known: &HashSet<String>,
) -> Result<Plan> {
    let mut plan = Plan {
        cache_dirs: Vec::new(),
        absent: Vec::new(),
        repo_names: Vec::new(),
        revisions: Vec::new(),
        jobs: Vec::new(),
        occurrences: 0,
        distinct_blobs: 0,
    };
    let mut queued: HashSet<String> = HashSet::new();
    let mut distinct: HashSet<String> = HashSet::new();
    for locked in &lock.repos {
        let exclude = manifest
            .repo(&locked.name)
            .map(|s| s.exclude_set())
            .unwrap_or_default();
        let repo =
            CachedRepo::open(cache_dir, &locked.name, &locked.url, false)?.with_context(|| {
                format!(
                    "{} is pinned but not in the cache {}: run `archeo fetch` first",
                    locked.name,
                    crate::source::git::cache_dir_for(cache_dir, &locked.name).display()
                )
            })?;
        let ri = plan.cache_dirs.len();
        for rev in &locked.revs {
            if !repo.has_commit(&rev.commit) {
                bail!(
                    "{}@{} is locked to commit {}, which the cache does not have: run `archeo fetch` (or `archeo fetch --locked`)",
                    locked.name,
                    rev.name,
                    rev.commit
                );
            }
            let tree = pinned_tree(&repo, index_dir, &rev.commit, &exclude)?;
            let indexed = catalog_entry(&repo, &locked.name, &locked.url, rev, &tree);
            for e in tree.iter().filter(|e| !e.submodule) {
                distinct.insert(e.id.clone());
                if !known.contains(&e.id) && queued.insert(e.id.clone()) {
                    plan.jobs.push(Job {
                        blob: e.id.clone(),
                        path: e.path.clone(),
                        repo: ri,
                    });
                }
            }
            plan.occurrences += indexed.files;
            plan.revisions.push(indexed);
        }
        plan.cache_dirs.push(repo.dir.clone());
        plan.absent.push(repo.absent());
        plan.repo_names.push(locked.name.clone());
    }
    plan.distinct_blobs = distinct.len() as u64;
    Ok(plan)
}

/// A revision as the catalog records it: files, submodules, vendored modules.
fn catalog_entry(
    repo: &CachedRepo,
    name: &str,
    url: &str,
    rev: &crate::source::lock::LockedRev,
    tree: &[Occurrence],
) -> IndexedRev {
    let mut indexed = IndexedRev {
        repo: name.to_string(),
        url: url.to_string(),
        rev: rev.name.clone(),
        kind: rev.kind,
        commit: rev.commit.clone(),
        files: 0,
        vendor: Vec::new(),
        submodules: Vec::new(),
    };
    for e in tree {
        if e.submodule {
            indexed.submodules.push(catalog::Submodule {
                path: e.path.clone(),
                commit: e.id.clone(),
            });
            continue;
        }
        indexed.files += 1;
        if e.path == "vendor/modules.txt"
            && let Ok(bytes) = repo.blob_reader().read(&e.id)
        {
            indexed.vendor = catalog::parse_modules_txt(&String::from_utf8_lossy(&bytes));
        }
    }
    indexed
}

/// A pinned commit's tree after exclusion (symlinks left out, submodules kept), written to the
/// index's tree files the first time.
fn pinned_tree(
    repo: &CachedRepo,
    index_dir: &Path,
    commit: &str,
    exclude: &crate::path_filter::PathSet,
) -> Result<Vec<Occurrence>> {
    if catalog::tree_path(index_dir, commit).exists() {
        return catalog::read_tree(index_dir, commit);
    }
    let tree: Vec<Occurrence> = repo
        .tree(commit)?
        .into_iter()
        .filter(|e| e.kind != EntryKind::Symlink)
        .filter(|e| e.kind == EntryKind::Submodule || !exclude.excludes(&e.path))
        .map(|e| Occurrence {
            submodule: e.kind == EntryKind::Submodule,
            path: e.path,
            id: e.id,
        })
        .collect();
    catalog::write_tree(index_dir, commit, &tree)?;
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
    done: AtomicU64,
    oversize_paths: std::sync::Mutex<Vec<String>>,
    lossy_paths: std::sync::Mutex<Vec<String>>,
    unavailable_paths: std::sync::Mutex<Vec<String>>,
}

impl Counters {
    fn add(c: &AtomicU64, n: u64) {
        c.fetch_add(n, Ordering::Relaxed);
    }

    fn summary(self, jobs: usize) -> IndexSummary {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let mut o = self.oversize_paths.into_inner().unwrap_or_default();
        let mut l = self.lossy_paths.into_inner().unwrap_or_default();
        let mut u = self.unavailable_paths.into_inner().unwrap_or_default();
        o.sort();
        l.sort();
        u.sort();
        IndexSummary {
            parsed_blobs: jobs as u64 - get(&self.unavailable),
            parsed_bytes: get(&self.bytes),
            go_files: get(&self.go),
            binary: get(&self.binary),
            oversize: get(&self.oversize),
            lossy: get(&self.lossy),
            unavailable: get(&self.unavailable),
            error_nodes: get(&self.errors),
            findings: get(&self.findings),
            oversize_paths: o,
            lossy_paths: l,
            unavailable_paths: u,
            ..Default::default()
        }
    }
}

/// Reads, parses and (unless a dry run) stores every queued blob, in parallel.
fn parse_all(
    plan: &Plan,
    rules: &RuleSet,
    opts: &IndexOptions,
    writer: Option<&StoreWriter>,
    ui: &crate::ui::Ui,
) -> Result<IndexSummary> {
    let pb = ui.bar(
        plan.jobs.len() as u64,
        "{bar:30} {pos}/{len} blobs {msg} [{elapsed}]",
    );
    let counters = Counters::default();
    let t0 = Instant::now();
    plan.jobs.par_iter().try_for_each_init(
        || {
            plan.cache_dirs
                .iter()
                .map(|d| crate::source::git::blob_reader_at(d))
                .collect::<Vec<_>>()
        },
        |readers, job| -> Result<()> {
            let reader = match &readers[job.repo] {
                Ok(r) => r,
                Err(e) => bail!("{e:#}"),
            };
            match reader.read(&job.blob) {
                Ok(data) => {
                    let rec = parse_blob(job, data, rules, opts, &counters)?;
                    if let Some(w) = writer {
                        w.add(rec)?;
                    }
                }
                Err(crate::source::git::GitError::Missing { .. })
                    if plan.absent[job.repo].contains(&job.blob) =>
                {
                    Counters::add(&counters.unavailable, 1);
                    counters
                        .unavailable_paths
                        .lock()
                        .expect("counter lock")
                        .push(format!(
                            "{}: {} (blob {})",
                            plan.repo_names[job.repo], job.path, job.blob
                        ));
                }
                Err(e) => {
                    let mut u = counters.unreadable.lock().expect("counter lock");
                    u.0 += 1;
                    u.1.get_or_insert_with(|| format!("{} ({e})", job.path));
                }
            }
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
    Ok(counters.summary(plan.jobs.len()))
}

/// One blob: status (binary, oversize, lossy), and for Go the parse and the rules' findings.
fn parse_blob(
    job: &Job,
    data: Vec<u8>,
    rules: &RuleSet,
    opts: &IndexOptions,
    counters: &Counters,
) -> Result<BlobRecord> {
    let size = data.len() as u64;
    let first_line = data.split(|b| *b == b'\n').next().unwrap_or(&[]);
    let lang = Lang::detect_with(
        &job.path,
        &String::from_utf8_lossy(&first_line[..first_line.len().min(200)]),
    );
    let mut rec = BlobRecord {
        blob: job.blob.clone(),
        lang,
        status: BlobStatus::Indexed,
        size,
        content: None,
        parsed: Parsed::default(),
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
    let (parsed, tree) = lang.language().parse(&text);
    Counters::add(&counters.errors, parsed.error_nodes as u64);
    if let Some(tree) = tree.as_ref().filter(|_| !opts.dry_run) {
        rec.findings = rules.run(lang, &job.blob, tree, &text, &parsed)?;
        Counters::add(&counters.findings, rec.findings.len() as u64);
    }
    rec.parsed = parsed;
    rec.content = Some(text);
    Ok(rec)
}

/// After the new catalog is in place: removes stores it does not name (replaced by a rebuild,
/// or left by an interrupted run; only stores the index directory's marker lists) and trees of
/// commits no longer pinned. Returns how many of the old catalog's revisions are gone.
fn collect_garbage(
    index_dir: &Path,
    catalog: &Catalog,
    old: Option<&Catalog>,
    owned: &mut crate::marker::OwnedDir,
) -> usize {
    for name in owned.made_with_prefix("tantivy-") {
        if name != catalog.store {
            let _ = owned.remove(&name);
        }
    }
    let live: HashSet<&str> = catalog
        .revisions
        .iter()
        .map(|r| r.commit.as_str())
        .collect();
    for e in std::fs::read_dir(index_dir.join("trees"))
        .into_iter()
        .flatten()
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(c) = name.strip_suffix(".tsv")
            && !live.contains(c)
        {
            let _ = std::fs::remove_file(e.path());
        }
    }
    let by_repo: HashMap<(&str, &str), &str> = catalog
        .revisions
        .iter()
        .map(|r| ((r.repo.as_str(), r.rev.as_str()), r.commit.as_str()))
        .collect();
    old.map_or(0, |old| {
        old.revisions
            .iter()
            .filter(|o| by_repo.get(&(o.repo.as_str(), o.rev.as_str())) != Some(&o.commit.as_str()))
            .count()
    })
}
