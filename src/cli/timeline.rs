//! `archeo timeline`.

use anyhow::Result;
use clap::Args;

use super::{Context, Format, Found};
use crate::query::syntax::Query;
use crate::report::export::subject;

/// Flags of `archeo timeline` (and of timeline blocks in documents).
#[derive(Args, Debug, Clone)]
pub struct TimelineArgs {
    /// A search query (instead of --rule).
    #[arg(required_unless_present = "rule", conflicts_with = "rule")]
    pub query: Option<String>,
    /// This rule's findings; repeatable.
    #[arg(long = "rule", value_name = "ID")]
    pub rule: Vec<String>,
    /// Only this repository; repeatable.
    #[arg(long = "repo", value_name = "NAME")]
    pub repo: Vec<String>,
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

impl TimelineArgs {
    /// The parsed query.
    pub fn search(&self) -> Result<Option<Query>> {
        Ok(self.query.as_deref().map(Query::parse).transpose()?)
    }
}

pub(super) fn run(ctx: &Context, a: TimelineArgs) -> Result<Found> {
    let index = ctx.index_for_rules(&a.rule)?;
    let q = a.search()?;
    if let Some(q) = &q {
        crate::query::search::check_rule_filters(&index, q)?;
        ctx.warn_unknown_symbols(&index, q)?;
    }
    let t = crate::query::history::timeline(
        &index,
        subject(&a.rule, q.as_ref()),
        &a.repo,
        &crate::query::cancel::Cancel::never(),
    )?;
    crate::report::print(&t, a.format, ctx.ui.color_choice())?;
    Ok(Found::from(!t.tracks.is_empty()))
}
