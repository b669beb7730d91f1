//! `archeo explain`.

use std::io::Read;

use anyhow::{Result, bail};
use clap::Args;

use super::{Context, Format, Found, RevisionArgs};

/// Flags of `archeo explain` (and of explain blocks in documents).
#[derive(Args, Debug, Clone)]
pub struct ExplainArgs {
    /// The error message; `-` or nothing reads it from standard input.
    pub message: Option<String>,
    /// Which revisions.
    #[command(flatten)]
    pub revs: RevisionArgs,
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

pub(super) fn run(ctx: &Context, a: ExplainArgs) -> Result<Found> {
    let message = match a.message.as_deref() {
        Some("-") | None => {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s)?;
            s
        }
        Some(m) => m.to_string(),
    };
    if message.trim().is_empty() {
        bail!("no message to explain: pass it as an argument or on standard input");
    }
    let index = ctx.index()?;
    let e = crate::query::explain::explain(&index, &message, &a.revs.at, &a.revs.repo)?;
    crate::report::print(&e, a.format, ctx.ui.color_choice())?;
    Ok(Found::from(e.all_explained()))
}
