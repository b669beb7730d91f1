//! The index stage's orchestration: pins -> trees -> distinct new blobs -> parse (+ rules) in
//! parallel -> store, then the catalog. Single writer (a pid lock file), crash-safe (the
//! catalog is replaced atomically only after the store has committed).

use std::collections::{HashMap, HashSet};
use std::io::{Read, Seek, Write};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;

use crate::index::catalog::{self, Catalog, IndexedRev, Occurrence};
use crate::source::git::{CachedRepo, EntryKind};
use crate::lang::{Lang, Parsed};
use crate::source::lock::Lock;
use crate::source::manifest::Manifest;
use crate::rules::RuleSet;
use crate::index::store::{BlobRecord, BlobStatus, Store};

#[derive(Debug, Clone)]
pub struct IndexOptions {
    pub rebuild: bool,
    /// Files larger than this are skipped (and counted).
    pub max_file_size: u64,
    /// Read and parse every blob that would be indexed, with tree-sitter alone: no rules, no
    /// store, no catalog. The parse floor the index benchmark compares against.
    pub dry_run: bool,
}

/// What an index run did, for the summary line and tests.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct IndexSummary {
    pub revisions: usize,
    pub occurrences: u64,
    pub distinct_blobs: u64,
    /// Blobs read and parsed by this run (not already indexed).
    pub parsed_blobs: u64,
    pub parsed_bytes: u64,
    pub go_files: u64,
    pub binary: u64,
    pub oversize: u64,
    pub lossy: u64,
    /// Blobs the cache does not have (partial clones).
    pub unavailable: u64,
    pub error_nodes: u64,
    pub findings: u64,
    pub dropped_revisions: usize,
    pub seconds: f64,
    #[serde(skip)]
    pub oversize_paths: Vec<String>,
    #[serde(skip)]
    pub lossy_paths: Vec<String>,
}

/// The single-writer lock: held for the whole run, released when dropped.
pub struct WriterLock {
    _file: std::fs::File,
}

impl WriterLock {
    pub fn acquire(index_dir: &Path) -> Result<WriterLock> {
        std::fs::create_dir_all(index_dir)
            .with_context(|| format!("cannot create {}", index_dir.display()))?;
        let p = index_dir.join("writer.lock");
        let mut f = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&p)
            .with_context(|| format!("cannot open {}", p.display()))?;
        match f.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut s = String::new();
                let _ = f.read_to_string(&mut s);
                let pid = s.trim();
                bail!(
                    "index is locked by pid {}: another `archeo index` is writing {}; wait for it to finish",
                    if pid.is_empty() { "?" } else { pid },
                    index_dir.display()
                );
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", p.display()));
            }
        }
        f.set_len(0)?;
        f.rewind()?;
        write!(f, "{}", std::process::id())?;
        f.flush()?;
        Ok(WriterLock { _file: f })
    }
}

struct Job {
    blob: String,
    path: String,
    repo: usize,
}

/// Indexes every pinned revision of `lock` into `index_dir`.
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
    let _guard = WriterLock::acquire(index_dir)?;
    let old = Catalog::read(index_dir).or_else(|e| if opts.rebuild { Ok(None) } else { Err(e) })?;
    let fingerprint = rules.fingerprint();
    let rules_changed = old.as_ref().is_some_and(|c| c.rules != fingerprint);
    if rules_changed && !opts.dry_run {
        ui.info("the rules changed since the index was built: indexing every blob again");
    }
    let opts = &IndexOptions {
        rebuild: opts.rebuild || rules_changed,
        ..opts.clone()
    };
    // Incremental runs add to the catalog's store; a rebuild (or a first run) writes a new
    // store directory, which only becomes the index when the new catalog names it.
    let store_name = match &old {
        Some(c) if !opts.rebuild => c.store.clone(),
        _ => format!(
            "tantivy-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_millis())
        ),
    };
    let store_dir = index_dir.join(&store_name);
    let store = Store::create_or_open(&store_dir)?;
    let known = store.indexed_blobs()?;

    let mut summary = IndexSummary::default();
    let mut repos: Vec<CachedRepo> = Vec::new();
    let mut repo_index: HashMap<String, usize> = HashMap::new();
    let mut revisions = Vec::new();
    let mut jobs: Vec<Job> = Vec::new();
    let mut queued: HashSet<String> = HashSet::new();
    let mut distinct: HashSet<String> = HashSet::new();

    for locked in &lock.repos {
        let spec = manifest.repo(&locked.name);
        let exclude = spec
            .map(|s| s.exclude_set())
            .unwrap_or_else(globset::GlobSet::empty);
        let repo =
            CachedRepo::open(cache_dir, &locked.name, &locked.url, false)?.with_context(|| {
                format!(
                    "{} is pinned but not in the cache {}: run `archeo fetch` first",
                    locked.name,
                    crate::source::git::cache_dir_for(cache_dir, &locked.name).display()
                )
            })?;
        let ri = repos.len();
        for rev in &locked.revs {
            if !repo.has_commit(&rev.commit) {
                bail!(
                    "{}@{} is locked to commit {}, which the cache does not have: run `archeo fetch` (or `archeo fetch --locked`)",
                    locked.name,
                    rev.name,
                    rev.commit
                );
            }
            let tree: Vec<Occurrence> = if catalog::tree_path(index_dir, &rev.commit).exists() {
                catalog::read_tree(index_dir, &rev.commit)?
            } else {
                repo.tree(&rev.commit)?
                    .into_iter()
                    .filter(|e| e.kind != EntryKind::Symlink)
                    .filter(|e| e.kind == EntryKind::Submodule || !exclude.is_match(&e.path))
                    .map(|e| Occurrence {
                        submodule: e.kind == EntryKind::Submodule,
                        path: e.path,
                        id: e.id,
                    })
                    .collect()
            };
            catalog::write_tree(index_dir, &rev.commit, &tree)?;
            let mut vendor = Vec::new();
            let mut submodules = Vec::new();
            let mut files = 0;
            for e in &tree {
                if e.submodule {
                    submodules.push(catalog::Submodule {
                        path: e.path.clone(),
                        commit: e.id.clone(),
                    });
                    continue;
                }
                files += 1;
                if e.path == "vendor/modules.txt"
                    && let Ok(bytes) = repo.blob_reader().read(&e.id)
                {
                    vendor = catalog::parse_modules_txt(&String::from_utf8_lossy(&bytes));
                }
                if !distinct.contains(&e.id) {
                    distinct.insert(e.id.clone());
                }
                if !known.contains(&e.id) && queued.insert(e.id.clone()) {
                    jobs.push(Job {
                        blob: e.id.clone(),
                        path: e.path.clone(),
                        repo: ri,
                    });
                }
            }
            summary.occurrences += files;
            revisions.push(IndexedRev {
                repo: locked.name.clone(),
                url: locked.url.clone(),
                rev: rev.name.clone(),
                kind: rev.kind,
                commit: rev.commit.clone(),
                files,
                vendor,
                submodules,
            });
        }
        repo_index.insert(locked.name.clone(), ri);
        repos.push(repo);
    }
    summary.revisions = revisions.len();
    summary.distinct_blobs = distinct.len() as u64;
    drop(distinct);

    let dirs: Vec<std::path::PathBuf> = repos.iter().map(|r| r.dir.clone()).collect();
    let threads = rayon::current_num_threads();
    let writer = if opts.dry_run {
        None
    } else {
        Some(store.writer(threads)?)
    };
    let pb = ui.bar(
        jobs.len() as u64,
        "{bar:30} {pos}/{len} blobs {msg} [{elapsed}]",
    );
    let bytes = AtomicU64::new(0);
    let counters: [AtomicU64; 7] = Default::default();
    let (go, binary, oversize, lossy, unavailable, errors, findings) = (0, 1, 2, 3, 4, 5, 6);
    let notes = std::sync::Mutex::new((Vec::new(), Vec::new()));
    let t0 = Instant::now();
    // Crash injection for the interrupted-run test: abort (no cleanup, like SIGKILL) after N blobs.
    let abort_after: Option<u64> = std::env::var("ARCHEO_TEST_ABORT_AFTER_BLOBS")
        .ok()
        .and_then(|v| v.parse().ok());
    let done = AtomicU64::new(0);
    jobs.par_iter().try_for_each_init(
        || {
            dirs.iter()
                .map(|d| crate::source::git::blob_reader_at(d))
                .collect::<Vec<_>>()
        },
        |readers, job| -> Result<()> {
            let reader = match &readers[job.repo] {
                Ok(r) => r,
                Err(e) => bail!("{e:#}"),
            };
            let data = match reader.read(&job.blob) {
                Ok(d) => d,
                Err(_) => {
                    counters[unavailable].fetch_add(1, Ordering::Relaxed);
                    pb.inc(1);
                    return Ok(());
                }
            };
            let size = data.len() as u64;
            let lang = Lang::detect(&job.path);
            let mut rec = BlobRecord {
                blob: job.blob.clone(),
                lang,
                status: BlobStatus::Indexed,
                size,
                content: None,
                parsed: Parsed::default(),
                findings: Vec::new(),
            };
            if size > opts.max_file_size {
                rec.status = BlobStatus::Oversize;
                counters[oversize].fetch_add(1, Ordering::Relaxed);
                notes.lock().unwrap().0.push(format!(
                    "{} ({})",
                    job.path,
                    crate::ui::human_bytes(size)
                ));
            } else if data[..data.len().min(8000)].contains(&0) {
                rec.status = BlobStatus::Binary;
                counters[binary].fetch_add(1, Ordering::Relaxed);
            } else {
                let text = match String::from_utf8(data) {
                    Ok(t) => t,
                    Err(e) => {
                        rec.status = BlobStatus::Lossy;
                        counters[lossy].fetch_add(1, Ordering::Relaxed);
                        notes.lock().unwrap().1.push(job.path.clone());
                        String::from_utf8_lossy(e.as_bytes()).into_owned()
                    }
                };
                bytes.fetch_add(size, Ordering::Relaxed);
                if lang == Lang::Go {
                    counters[go].fetch_add(1, Ordering::Relaxed);
                    let (parsed, tree) = crate::lang::go::parse(&text);
                    counters[errors].fetch_add(parsed.error_nodes as u64, Ordering::Relaxed);
                    if let Some(tree) = tree.as_ref().filter(|_| !opts.dry_run) {
                        rec.findings = rules.run(&job.blob, tree, &text, &parsed)?;
                        counters[findings].fetch_add(rec.findings.len() as u64, Ordering::Relaxed);
                    }
                    rec.parsed = parsed;
                }
                rec.content = Some(text);
            }
            if let Some(w) = &writer {
                w.add(rec)?;
            }
            if abort_after.is_some_and(|n| done.fetch_add(1, Ordering::SeqCst) + 1 >= n) {
                std::process::abort();
            }
            pb.inc(1);
            if pb.position().is_multiple_of(64) {
                let b = bytes.load(Ordering::Relaxed);
                let secs = t0.elapsed().as_secs_f64().max(0.001);
                pb.set_message(format!(
                    "{:.1} MB, {:.1} MB/s",
                    b as f64 / 1e6,
                    b as f64 / 1e6 / secs
                ));
            }
            Ok(())
        },
    )?;
    pb.finish_and_clear();
    let Some(writer) = writer else {
        if old.as_ref().is_none_or(|c| c.store != store_name) {
            drop(store);
            let _ = std::fs::remove_dir_all(&store_dir);
        }
        summary.parsed_blobs = jobs.len() as u64 - counters[unavailable].load(Ordering::Relaxed);
        summary.parsed_bytes = bytes.load(Ordering::Relaxed);
        summary.go_files = counters[go].load(Ordering::Relaxed);
        summary.seconds = started.elapsed().as_secs_f64();
        return Ok(summary);
    };
    writer.commit()?;

    let new_catalog = Catalog {
        schema_version: catalog::SCHEMA_VERSION,
        store: store_name.clone(),
        rules: fingerprint,
        revisions,
    };
    new_catalog.write(index_dir)?;
    // Stores no catalog names any more: replaced by a rebuild, or left by an interrupted run.
    if let Ok(rd) = std::fs::read_dir(index_dir) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("tantivy") && name != store_name && e.path().is_dir() {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
    }
    // Trees of commits no longer pinned go once the new catalog is in place.
    let live: HashSet<&str> = new_catalog
        .revisions
        .iter()
        .map(|r| r.commit.as_str())
        .collect();
    if let Some(old) = &old {
        summary.dropped_revisions = old
            .revisions
            .iter()
            .filter(|o| {
                new_catalog
                    .find(&o.repo, &o.rev)
                    .is_none_or(|n| n.commit != o.commit)
            })
            .count();
    }
    if let Ok(rd) = std::fs::read_dir(index_dir.join("trees")) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(c) = name.strip_suffix(".tsv")
                && !live.contains(c)
            {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    summary.parsed_blobs = jobs.len() as u64 - counters[unavailable].load(Ordering::Relaxed);
    summary.parsed_bytes = bytes.load(Ordering::Relaxed);
    summary.go_files = counters[go].load(Ordering::Relaxed);
    summary.binary = counters[binary].load(Ordering::Relaxed);
    summary.oversize = counters[oversize].load(Ordering::Relaxed);
    summary.lossy = counters[lossy].load(Ordering::Relaxed);
    summary.unavailable = counters[unavailable].load(Ordering::Relaxed);
    summary.error_nodes = counters[errors].load(Ordering::Relaxed);
    summary.findings = counters[findings].load(Ordering::Relaxed);
    let (mut o, mut l) = notes.into_inner().unwrap();
    o.sort();
    l.sort();
    summary.oversize_paths = o;
    summary.lossy_paths = l;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}
