//! `archeo findings`.

use anyhow::Result;
use clap::Args;

use super::{Context, Format, Found};
use crate::query::findings::Selection;

/// Flags of `archeo findings`.
#[derive(Args, Debug)]
pub struct FindingsArgs {
    /// Only this rule; repeatable.
    #[arg(long = "rule", value_name = "ID")]
    pub rule: Vec<String>,
    /// Only this revision (REPO@REV); repeatable.
    #[arg(long = "at", value_name = "REPO@REV")]
    pub at: Vec<String>,
    /// Only this repository; repeatable.
    #[arg(long = "repo", value_name = "NAME")]
    pub repo: Vec<String>,
    /// Only paths matching this pattern (as for `search --path`).
    #[arg(long, value_name = "PATTERN")]
    pub path: Option<String>,
    /// Leave out vendored code.
    #[arg(long)]
    pub no_vendor: bool,
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

pub(super) fn run(ctx: &Context, a: FindingsArgs) -> Result<Found> {
    let index = ctx.index_for_rules(&a.rule)?;
    let sel = Selection {
        rules: a.rule,
        at: a.at,
        repos: a.repo,
        path: a.path,
        no_vendor: a.no_vendor,
    };
    let r = crate::query::findings::query(&index, &sel)?;
    crate::report::print(&r, a.format, ctx.ui.color_choice())?;
    Ok(Found::from(!r.is_empty()))
}
