//! `archeo findings`.

use anyhow::Result;
use clap::Args;

use super::{Context, Format, Found, ScopeArgs};
use crate::query::findings::Selection;

/// Flags of `archeo findings`.
#[derive(Args, Debug)]
pub struct FindingsArgs {
    /// Only this rule; repeatable.
    #[arg(long = "rule", value_name = "ID")]
    pub rule: Vec<String>,
    /// Revisions, paths, language, vendored code.
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

pub(super) fn run(ctx: &Context, a: FindingsArgs) -> Result<Found> {
    let index = ctx.index_for_rules(&a.rule)?;
    let sel = Selection {
        rules: a.rule,
        scope: a.scope.scope(),
    };
    let r = crate::query::findings::query(&index, &sel)?;
    crate::report::print(&r, a.format, ctx.ui.color_choice())?;
    Ok(Found::from(!r.is_empty()))
}
