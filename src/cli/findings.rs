//! `archeo findings`.

use anyhow::Result;
use clap::{Args, ValueEnum};

use super::{Context, Format, Found, ScopeArgs};
use crate::query::findings::Selection;

/// Output formats of `archeo findings`: the common ones and SARIF.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FindingsFormat {
    /// Human-readable text (colored on a TTY).
    Text,
    /// JSON Lines: one record per finding (docs/json.md).
    Json,
    /// Markdown, for pasting into documents.
    Md,
    /// SARIF 2.1.0, for GitHub code scanning and other SARIF viewers.
    Sarif,
}

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
    pub format: FindingsFormat,
}

pub(super) fn run(ctx: &Context, a: FindingsArgs) -> Result<Found> {
    let index = ctx.index_for_rules(&a.rule)?;
    let sel = Selection {
        rules: a.rule,
        scope: a.scope.scope(),
    };
    let r = crate::query::findings::query(&index, &sel)?;
    let color = ctx.ui.color_choice();
    match a.format {
        FindingsFormat::Text => crate::report::print(&r, Format::Text, color)?,
        FindingsFormat::Json => crate::report::print(&r, Format::Json, color)?,
        FindingsFormat::Md => crate::report::print(&r, Format::Md, color)?,
        FindingsFormat::Sarif => {
            let rules = ctx.rules(&[])?;
            crate::report::sarif::write(&mut std::io::stdout().lock(), &r, &rules)?
        }
    }
    Ok(Found::from(!r.is_empty()))
}
