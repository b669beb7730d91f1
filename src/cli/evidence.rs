//! `archeo evidence`.

use std::io::Write;

use anyhow::Result;
use clap::Args;

use super::{Context, Found, ScopeArgs};
use crate::report::evidence::{Request, Style};

/// Flags of `archeo evidence` (and of evidence blocks in documents).
#[derive(Args, Debug, Clone)]
pub struct EvidenceArgs {
    /// A search query (see `archeo search --help`); optional with --rule.
    pub query: Option<String>,
    /// Findings of this rule; repeatable. With a query: only hits inside its findings.
    #[arg(long = "rule", value_name = "ID")]
    pub rule: Vec<String>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// At most N rows.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Lines of context in --style list code blocks.
    #[arg(short = 'C', long = "context", value_name = "N", default_value_t = 0)]
    pub context: usize,
    /// table: one row per place; list: a citation and a code block per place.
    #[arg(long, default_value = "table")]
    pub style: Style,
    /// At most N lines in each --style list code block (the rest is counted); 0: no cap.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub max_lines: usize,
}

impl EvidenceArgs {
    /// The evidence request these flags name.
    pub fn request(&self) -> Request {
        Request {
            query: self.query.clone(),
            rules: self.rule.clone(),
            scope: self.scope.scope(),
            limit: self.limit,
            context: self.context,
            style: self.style,
            max_lines: self.max_lines,
        }
    }
}

pub(super) fn run(ctx: &Context, a: EvidenceArgs) -> Result<Found> {
    let index = ctx.index_for_rules(&a.rule)?;
    let md = crate::report::evidence::build(&index, &a.request())?;
    // Printed to be pasted into a document: as export would write it.
    let md = crate::report::export::neutralise(&md);
    std::io::stdout().lock().write_all(md.as_bytes())?;
    Ok(Found::Yes)
}
