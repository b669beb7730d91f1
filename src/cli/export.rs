//! `archeo export`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::Args;

use super::{Context, Found};
use crate::report::export::Sources;
use crate::report::tables::plural;

/// Flags of `archeo export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Markdown files holding archeo:begin/end regions.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Change nothing; exit 1 and show a diff when a block is stale.
    #[arg(long)]
    pub check: bool,
    /// Replace read-only documents too (their permissions are kept).
    #[arg(long, conflicts_with = "check")]
    pub force: bool,
}

pub(super) fn run(ctx: &Context, a: ExportArgs) -> Result<Found> {
    let lock = ctx.lock()?;
    let index = ctx.index()?;
    let rules = ctx.rule_sources(&[])?;
    let rule_ids = rules.id_list();
    let aliases = ctx.aliases();
    let repos = super::deps::repos(ctx)?;
    ctx.warn_if_rules_differ(&index, &rules.fingerprint(), rules.rules.len());
    let src = Sources {
        repos: &repos,
        index: &index,
        lock: &lock,
        rule_ids: &rule_ids,
        cache_dir: &ctx.cache_dir,
        aliases: &aliases,
    };
    let docs = crate::report::export::run(
        &src,
        &a.files,
        a.check,
        a.force,
        &super::blocks::block_request,
    )?;
    // Stale blocks' diffs quote upstream text.
    let mut out = crate::report::TermSafe::new(std::io::stdout().lock());
    let mut stale = 0;
    for d in &docs {
        if a.check {
            for s in &d.stale {
                stale += 1;
                writeln!(out, "{}:{}: stale evidence block", d.path.display(), s.line)?;
                write!(out, "{}", s.diff)?;
            }
        } else if d.written {
            ctx.ui.info(format!(
                "{}: {} block(s) regenerated, {} changed",
                d.path.display(),
                d.blocks,
                d.stale.len()
            ));
        } else {
            ctx.ui.detail(format!(
                "{}: {} block(s), all current",
                d.path.display(),
                d.blocks
            ));
        }
    }
    let blocks: usize = docs.iter().map(|d| d.blocks).sum();
    let checked = format!(
        "{}, {}",
        plural(docs.len() as u64, "document", "documents"),
        plural(blocks as u64, "block", "blocks")
    );
    if stale > 0 {
        writeln!(
            out,
            "{stale} of {} stale ({} checked): run `archeo export` on these files",
            plural(blocks as u64, "block", "blocks"),
            plural(docs.len() as u64, "document", "documents")
        )?;
        return Ok(Found::No);
    }
    if a.check {
        ctx.ui.info(format!("{checked}: all current"));
    } else {
        let written = docs.iter().filter(|d| d.written).count();
        ctx.ui.info(format!(
            "{checked}: {} rewritten",
            plural(written as u64, "document", "documents")
        ));
    }
    Ok(Found::Yes)
}
