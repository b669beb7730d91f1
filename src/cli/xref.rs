//! `archeo defs`, `refs`, `callers`, `callees` and `path`.

use anyhow::Result;
use clap::Args;

use super::{Context, Format, Found, RevisionArgs};
use crate::query::xref::{self, Ask};

/// Flags of `archeo defs`, `refs` and `callees` (and of refs blocks in documents).
#[derive(Args, Debug, Clone)]
pub struct NameArgs {
    /// The name: F, pkg.F, (*T).M, T.M, pkg.(*T).M, or a shell function.
    pub name: String,
    /// Which revisions.
    #[command(flatten)]
    pub revs: RevisionArgs,
    /// Output format: text, json (JSON Lines, one object per site) or md.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

/// Flags of `archeo callers` (and of callers blocks in documents).
#[derive(Args, Debug, Clone)]
pub struct CallersArgs {
    /// The callee: F, pkg.F, (*T).M, T.M, pkg.(*T).M, or a shell function.
    pub name: String,
    /// Also the callers' callers, to N levels.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub depth: u32,
    /// Which revisions.
    #[command(flatten)]
    pub revs: RevisionArgs,
    /// Output format: text, json (JSON Lines, one object per site) or md.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

/// Flags of `archeo path` (and of path blocks in documents).
#[derive(Args, Debug, Clone)]
pub struct PathArgs {
    /// Where the path starts (a function, method or shell function).
    pub from: String,
    /// Where it ends.
    pub to: String,
    /// Which revisions (one path search per revision; give one with --at).
    #[command(flatten)]
    pub revs: RevisionArgs,
    /// Show at most N shortest paths per revision.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub max: usize,
    /// Output format: text, json (JSON Lines, one object per path) or md.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

pub(super) fn run(ctx: &Context, ask: Ask, a: NameArgs) -> Result<Found> {
    let name = xref::parse_name(&a.name)?;
    let index = ctx.index()?;
    let r = xref::xref(&index, ask, &name, &a.revs.at, &a.revs.repo)?;
    crate::report::print(&r, a.format, ctx.ui.color_choice())?;
    Ok(Found::from(!r.sites.is_empty()))
}

pub(super) fn run_callers(ctx: &Context, a: CallersArgs) -> Result<Found> {
    let ask = Ask::Callers { depth: a.depth };
    let names = NameArgs {
        name: a.name,
        revs: a.revs,
        format: a.format,
    };
    run(ctx, ask, names)
}

pub(super) fn run_path(ctx: &Context, a: PathArgs) -> Result<Found> {
    let from = xref::parse_name(&a.from)?;
    let to = xref::parse_name(&a.to)?;
    let index = ctx.index()?;
    let r = xref::path(&index, &from, &to, &a.revs.at, &a.revs.repo, a.max)?;
    crate::report::print(&r, a.format, ctx.ui.color_choice())?;
    Ok(Found::from(!r.paths.is_empty()))
}
