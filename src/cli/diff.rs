//! `archeo diff`.

use anyhow::Result;
use clap::Args;

use super::{Context, Format, Found};
use crate::query::history::DiffScope;
use crate::query::syntax::Query;
use crate::report::export::subject;

/// Flags of `archeo diff` (and of diff blocks in documents).
#[derive(Args, Debug, Clone)]
pub struct DiffArgs {
    /// The old side, REPO@REV.
    pub a: String,
    /// The new side, REPO@REV.
    pub b: String,
    /// Only this rule's findings; repeatable (default: every rule).
    #[arg(long = "rule", value_name = "ID")]
    pub rule: Vec<String>,
    /// Compare the lines this search matches instead of findings.
    #[arg(long, value_name = "QUERY", conflicts_with = "rule")]
    pub search: Option<String>,
    /// Only paths matching this pattern: a path prefix at any directory (sys/ matches
    /// internal/sys/...) or a glob ('**/*_linux.go'); a leading / anchors it at the root.
    #[arg(long, value_name = "PATTERN")]
    pub path: Option<String>,
    /// Leave out vendored code (paths under vendor/) and vendored module version changes.
    #[arg(long)]
    pub no_vendor: bool,
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

impl DiffArgs {
    /// The places compared.
    pub fn scope(&self) -> DiffScope {
        DiffScope {
            path: self.path.clone(),
            no_vendor: self.no_vendor,
        }
    }

    /// The parsed `--search` query.
    pub fn search(&self) -> Result<Option<Query>> {
        Ok(self.search.as_deref().map(Query::parse).transpose()?)
    }
}

pub(super) fn run(ctx: &Context, a: DiffArgs) -> Result<Found> {
    let index = ctx.index_for_rules(&a.rule)?;
    let q = a.search()?;
    if let Some(q) = &q {
        crate::query::search::check_rule_filters(&index, q)?;
        ctx.warn_unknown_symbols(&index, q)?;
    }
    let d = crate::query::history::diff(
        &index,
        &a.a,
        &a.b,
        subject(&a.rule, q.as_ref()),
        &a.scope(),
        &crate::query::cancel::Cancel::never(),
    )?;
    crate::report::print(&d, a.format, ctx.ui.color_choice())?;
    Ok(Found::from(!d.is_empty()))
}
