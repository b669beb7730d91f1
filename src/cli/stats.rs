//! `archeo stats`.

use anyhow::Result;
use clap::Args;

use super::{Context, Format, Found};

/// Flags of `archeo stats`.
#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

pub(super) fn run(ctx: &Context, a: StatsArgs) -> Result<Found> {
    let index = ctx.index()?;
    let rules = ctx.rule_sources(&[])?;
    ctx.warn_if_rules_differ(&index, &rules.fingerprint(), rules.rules.len());
    let stats = index.stats()?;
    crate::report::print(&stats, a.format, ctx.ui.color_choice())?;
    Ok(Found::from(!stats.revisions.is_empty()))
}
