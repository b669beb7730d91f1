//! `archeo identify`.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

use super::{Context, Format, Found};
use crate::query::identify::{Request, Sources};

/// Flags of `archeo identify`.
#[derive(Args, Debug, Clone)]
pub struct IdentifyArgs {
    /// ELF binaries, directories, image layers (tar, tar.gz, tar.zst, tar.xz), `docker save`
    /// archives, OCI image layouts, Debian packages.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Report whether each matched revision carries this rule's findings; repeatable.
    #[arg(long = "rule", value_name = "ID")]
    pub rule: Vec<String>,
    /// Report every rule's findings at each matched revision.
    #[arg(long)]
    pub findings: bool,
    /// A gate: exit 3 when an artifact's matched revision carries this rule's findings;
    /// repeatable (implies --rule).
    #[arg(long = "fail-on", value_name = "ID")]
    pub fail_on: Vec<String>,
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

impl IdentifyArgs {
    /// The request these flags name.
    pub fn request(&self) -> Request {
        let mut rules = self.rule.clone();
        for r in &self.fail_on {
            if !rules.contains(r) {
                rules.push(r.clone());
            }
        }
        Request {
            paths: self.paths.clone(),
            rules,
            all_rules: self.findings,
        }
    }
}

pub(super) fn run(ctx: &Context, a: IdentifyArgs) -> Result<Found> {
    let req = a.request();
    let pins = ctx.lock()?.pins();
    let needs_index = !req.rules.is_empty() || req.all_rules;
    let index = if needs_index {
        Some(ctx.index_for_rules(&req.rules)?)
    } else {
        ctx.index().ok()
    };
    let aliases = ctx.aliases();
    let src = Sources {
        pins: &pins,
        aliases: &aliases,
        cache_dir: &ctx.cache_dir,
        index: index.as_ref(),
    };
    let report = crate::query::identify::identify(&src, &req)?;
    crate::report::print(&report, a.format, ctx.ui.color_choice())?;
    if !a.fail_on.is_empty() {
        let carriers = report.carrying(&a.fail_on);
        if !report.not_indexed.is_empty() {
            bail!(
                "the gate cannot decide: {} not indexed; run `archeo index`",
                report.not_indexed.join(", ")
            );
        }
        if !carriers.is_empty() {
            return Err(crate::error::GateFailed {
                carriers: carriers
                    .iter()
                    .map(|(path, rule, rev)| format!("  {path}: {rule} at {rev}"))
                    .collect(),
            }
            .into());
        }
    }
    Ok(Found::from(report.any_identified()))
}
