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
    };
    let s = crate::index::build::run(
        &manifest,
        &lock,
        &ctx.cache_dir,
        &ctx.index_dir,
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

/// The interrupted-run tests' seam, in debug builds only: `ARCHEO_TEST_ABORT_AFTER_BLOBS=N`
/// aborts the process (no cleanup, like SIGKILL) after N blobs.
#[cfg(debug_assertions)]
fn test_abort_hook() -> Option<crate::index::build::BlobObserver> {
    let n: u64 = std::env::var("ARCHEO_TEST_ABORT_AFTER_BLOBS")
        .ok()?
        .parse()
        .ok()?;
    Some(std::sync::Arc::new(move |done| {
        if done >= n {
            std::process::abort();
        }
    }))
}

#[cfg(not(debug_assertions))]
fn test_abort_hook() -> Option<crate::index::build::BlobObserver> {
    None
}
