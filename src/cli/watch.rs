//! `archeo watch`.

use anyhow::Result;
use clap::{Args, ValueEnum};

use super::{Context, Format, Found};
use crate::source::lock::Lock;

/// Output formats of `archeo watch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WatchFormat {
    /// Human-readable text (colored on a TTY).
    Text,
    /// JSON Lines (docs/json.md).
    Json,
    /// Markdown: a pull request's or an issue's body.
    Md,
    /// SARIF 2.1.0: each watched change as a result, for code scanning.
    Sarif,
}

/// Flags of `archeo watch`.
#[derive(Args, Debug)]
pub struct WatchArgs {
    /// Write the new archeo.lock after the report (a scheduled job then opens a pull request
    /// with the lock and the report). Without it the lock stays as it is, and the next run
    /// reports the same again.
    #[arg(long)]
    pub update_lock: bool,
    /// Accept tags that now point to other commits than the lock records (refused by default:
    /// tags are supposed to be immutable). The report compares such a tag with its old commit.
    #[arg(long)]
    pub update: bool,
    /// Use no network: compare what the cache already holds.
    #[arg(long)]
    pub offline: bool,
    /// Skip files larger than this many bytes when indexing new revisions.
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    pub max_file_size: u64,
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: WatchFormat,
}

pub(super) fn run(ctx: &Context, a: WatchArgs) -> Result<Found> {
    let manifest = ctx.manifest()?;
    let old = Lock::read(&ctx.lock_path).map_err(|e| {
        anyhow::anyhow!(
            "{e}\nthe lock is the previous state a watch compares with: repair it first (`archeo fetch --update` pins the manifest anew)"
        )
    })?;
    let rules = ctx.rules(&[])?;
    if manifest.repos.iter().all(|r| r.watch.is_empty()) {
        ctx.ui.warn(format!(
            "{} watches nothing (no `watch = [...]` in any [[repo]]): only new revisions are reported; see docs/manifest.md",
            ctx.manifest_path.display()
        ));
    }
    let job = crate::watch::Job {
        manifest: &manifest,
        old: old.as_ref(),
        cache_dir: &ctx.cache_dir,
        index_dir: ctx.single_index_dir("archeo watch")?,
        rules: &rules,
        update: a.update,
        offline: a.offline,
        max_file_size: a.max_file_size,
        index_observer: super::index::test_abort_hook(),
    };
    let outcome = super::fetch::observing(ctx.ui, |obs| crate::watch::run(&job, obs, &ctx.ui))?;
    if let Some(s) = &outcome.indexed {
        ctx.ui.info(crate::report::tables::index_summary(s, false));
    }
    let report = &outcome.report;
    let color = ctx.ui.color_choice();
    // The report first, the lock after: a run killed in between reports the same again.
    match a.format {
        WatchFormat::Text => crate::report::print(report, Format::Text, color)?,
        WatchFormat::Json => crate::report::print(report, Format::Json, color)?,
        WatchFormat::Md => crate::report::print(report, Format::Md, color)?,
        WatchFormat::Sarif => {
            crate::report::sarif::write_watch(&mut std::io::stdout().lock(), report, &rules)?
        }
    }
    if old.as_ref() != Some(&outcome.lock) {
        if a.update_lock {
            outcome.lock.write(&ctx.lock_path)?;
            ctx.ui.info(format!("wrote {}", ctx.lock_path.display()));
        } else {
            ctx.ui.info(format!(
                "{} left as it is: --update-lock writes the new pins",
                ctx.lock_path.display()
            ));
        }
    }
    Ok(if report.nothing_new() {
        Found::No
    } else if report.changed() {
        Found::Alert
    } else {
        Found::Yes
    })
}
