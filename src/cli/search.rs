//! `archeo search`.

use anyhow::Result;
use clap::Args;

use super::{Context, Format, Found, ScopeArgs};
use crate::query::syntax::Query;

/// Flags of `archeo search`.
#[derive(Args, Debug)]
pub struct SearchArgs {
    /// The query (see above for the syntax).
    pub query: String,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Show at most N hits.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Show N lines of context around each hit.
    #[arg(short = 'C', long = "context", value_name = "N", default_value_t = 0)]
    pub context: usize,
    /// Output format: text, json (JSON Lines, one object per hit) or md (a Markdown table).
    #[arg(long, default_value = "text")]
    pub format: Format,
}

pub(super) fn run(ctx: &Context, a: SearchArgs) -> Result<Found> {
    let q = Query::parse(&a.query)?;
    let index = ctx.index()?;
    let r = crate::query::search::search(&index, &q, &a.scope.scope(), a.context, a.limit)?;
    crate::report::print(&r, a.format, ctx.ui.color_choice())?;
    Ok(Found::from(r.total > 0))
}
