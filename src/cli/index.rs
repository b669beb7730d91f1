//! `archeo index`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::{Context, Format, Found};
use crate::index::build::IndexOptions;

/// Flags of `archeo index`.
#[derive(Args, Debug)]
pub struct IndexArgs {
    /// Throw the index away and build it again (needed after a schema change).
    #[arg(long)]
    pub rebuild: bool,
    /// Skip files larger than this many bytes (they are counted, and named with -v).
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    pub max_file_size: u64,
    /// Extra rule directories (queries/go/*.scm style), on top of the built-in rules, queries/ and
    /// `[rules]` paths; a rule with an id already loaded overrides it.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Print `archeo stats` afterwards.
    #[arg(long)]
    pub stats: bool,
    /// Read and parse what would be indexed, with tree-sitter alone, and write nothing (the
    /// parse floor that benches/index.sh compares indexing against). With --rebuild: every blob.
    #[arg(long)]
    pub dry_run: bool,
    /// Build shard K of N: the lock's repositories dealt round-robin in lock order (the i-th,
    /// from 0, to shard i mod N + 1), each with every pinned revision. The shard is an ordinary
    /// index directory that also records which shard of which lock it is; query the shards
    /// together with one --index-dir per shard (see docs/usage.md, Shards).
    ///
    ///   archeo index --shard 1/2 --index-dir shards/1
    ///   archeo index --shard 2/2 --index-dir shards/2
    ///   archeo search openat2 --index-dir shards/1 --index-dir shards/2
    #[arg(long, value_name = "K/N", verbatim_doc_comment)]
    pub shard: Option<crate::index::shards::ShardSpec>,
}

pub(super) fn run(ctx: &Context, a: IndexArgs) -> Result<Found> {
    let manifest = ctx.manifest()?;
    let lock = ctx.lock()?;
    let rules = ctx.rules(&a.rules)?;
    let opts = IndexOptions {
        rebuild: a.rebuild,
        max_file_size: a.max_file_size,
        dry_run: a.dry_run,
        observer: test_abort_hook(),
        shard: a.shard,
    };
    let index_dir = ctx.single_index_dir("archeo index")?;
    if let Some(spec) = a.shard {
        let record = crate::index::shards::ShardRecord::of(spec, &lock);
        let own = record.own_repos();
        ctx.ui.info(format!(
            "shard {spec} of the lock: {}",
            if own.is_empty() {
                "no repository (more shards than repositories)".to_string()
            } else {
                own.join(", ")
            }
        ));
    }
    let s = crate::index::build::run(
        &manifest,
        &lock,
        &ctx.cache_dir,
        index_dir,
        &rules,
        &opts,
        &ctx.ui,
    )?;
    for p in &s.oversize_paths {
        ctx.ui
            .detail(format!("skipped (over --max-file-size): {p}"));
    }
    for p in &s.lossy_paths {
        ctx.ui
            .detail(format!("not valid UTF-8, indexed lossily: {p}"));
    }
    for r in &s.refused_entries {
        ctx.ui.warn(r);
    }
    for p in &s.unavailable_paths {
        ctx.ui.detail(format!("unavailable in the cache: {p}"));
    }
    for e in &s.syntax_errors {
        ctx.ui
            .detail(format!("syntax error (first of its file): {e}"));
    }
    for l in &s.by_lang {
        ctx.ui.detail(format!(
            "{}: {} file versions, {:.1} MB in {:.1} s of CPU ({:.2} MB/s per core)",
            l.lang,
            l.files,
            l.bytes as f64 / 1e6,
            l.seconds,
            l.bytes as f64 / 1e6 / l.seconds.max(1e-9)
        ));
    }
    for (ms, path, size) in &s.slowest {
        ctx.ui.detail(format!(
            "slow to parse: {path} ({:.2} MB) in {ms:.1} ms",
            *size as f64 / 1e6
        ));
    }
    if s.incremental + s.fallbacks > 0 {
        ctx.ui.detail(format!(
            "{} file versions reparsed from their predecessor's tree, {} of them parsed again in full (the reparse held errors a full parse lacks)",
            s.incremental + s.fallbacks,
            s.fallbacks
        ));
    }
    ctx.ui
        .info(crate::report::tables::index_summary(&s, a.dry_run));
    if a.stats && !a.dry_run {
        super::stats::run(
            ctx,
            super::stats::StatsArgs {
                format: Format::Text,
            },
        )?;
    }
    Ok(Found::Yes)
}

/// The interrupted-run tests' seams, in debug builds only: `ARCHEO_TEST_ABORT_AFTER_BLOBS=N`
/// aborts the process (no cleanup, like SIGKILL) after N blobs; `ARCHEO_TEST_BLOB_DELAY_MS=MS`
/// sleeps after each blob, so that a node killed by the distributed-build test dies mid-build.
#[cfg(debug_assertions)]
pub(super) fn test_abort_hook() -> Option<crate::index::build::BlobObserver> {
    let var = |name: &str| -> Option<u64> { std::env::var(name).ok()?.parse().ok() };
    let abort = var("ARCHEO_TEST_ABORT_AFTER_BLOBS");
    let delay = var("ARCHEO_TEST_BLOB_DELAY_MS");
    if abort.is_none() && delay.is_none() {
        return None;
    }
    Some(std::sync::Arc::new(move |done| {
        if abort.is_some_and(|n| done >= n) {
            std::process::abort();
        }
        if let Some(ms) = delay {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    }))
}

#[cfg(not(debug_assertions))]
pub(super) fn test_abort_hook() -> Option<crate::index::build::BlobObserver> {
    None
}
