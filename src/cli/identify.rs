//! `archeo identify`.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;

use super::{Context, Format, Found};
use crate::query::identify::{Request, Sources, decide_query_gate, decide_query_gate_at_crates};
use crate::query::syntax::{Query, is_query};

/// Flags of `archeo identify`.
#[derive(Args, Debug, Clone)]
pub struct IdentifyArgs {
    /// ELF binaries (Go, Rust, C), directories, image layers (tar, tar.gz, tar.zst, tar.xz),
    /// `docker save` archives, OCI image layouts, Debian packages.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Report whether each matched revision carries this rule's findings; repeatable.
    #[arg(long = "rule", value_name = "ID")]
    pub rule: Vec<String>,
    /// Report every rule's findings at each matched revision.
    #[arg(long)]
    pub findings: bool,
    /// A gate: exit 3 when an artifact's matched revision carries this: a rule id (its
    /// findings; implies --rule), or a search query (lines it must hold, as `archeo affected`
    /// takes: 'rule:sysctl-write sym:WriteSysctls' is that rule's finding inside that
    /// function); repeatable.
    #[arg(long = "fail-on", value_name = "ID|QUERY")]
    pub fail_on: Vec<String>,
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

impl IdentifyArgs {
    /// The request these flags name.
    pub fn request(&self) -> Request {
        let mut rules = self.rule.clone();
        for r in self.fail_on.iter().filter(|g| !is_query(g)) {
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
    // Query gates are read before anything is scanned: a bad one is an error with its column.
    let queries: Vec<(&String, Query)> = a
        .fail_on
        .iter()
        .filter(|g| is_query(g))
        .map(|g| Ok((g, Query::parse(g)?)))
        .collect::<Result<_>>()?;
    let pins = ctx.lock()?.pins();
    let needs_index = !req.rules.is_empty() || req.all_rules || !queries.is_empty();
    let index = if needs_index {
        Some(ctx.index_for_rules(&req.rules)?)
    } else {
        ctx.index().ok()
    };
    // A gate that names nothing would pass on a typo: an unknown rule id or a `sym:` that no
    // indexed revision declares is an error before anything is scanned.
    if let Some(index) = index.as_ref() {
        for (gate, q) in &queries {
            crate::query::search::check_rule_filters(index, q)?;
            let unknown = crate::query::search::unknown_symbols(index, q)?;
            if !unknown.is_empty() {
                let why: Vec<String> = unknown.iter().map(ToString::to_string).collect();
                bail!("the gate {gate:?} would pass on a typo: {}", why.join("; "));
            }
        }
    }
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
        let mut carriers = report.carrying(&a.fail_on);
        let mut undecided = Vec::new();
        if let Some(index) = index.as_ref() {
            for (gate, q) in &queries {
                for item in &report.items {
                    // Not decidable here: no pin and no function table, or a pin not indexed
                    // (reported below).
                    let verdicts = decide_query_gate(index, item, q)?
                        .into_iter()
                        .chain(decide_query_gate_at_crates(index, item, q)?);
                    for v in verdicts {
                        if !v.decided {
                            undecided
                                .push(format!("  {}: {gate}: {}", item.artifact.path, v.evidence));
                        } else if v.trips {
                            carriers.push((
                                item.artifact.path.clone(),
                                gate.to_string(),
                                format!(
                                    "{} ({})",
                                    v.revision.as_deref().unwrap_or("the binary itself"),
                                    v.evidence
                                ),
                            ));
                        } else {
                            let place = match &v.revision {
                                Some(rev) => format!("absent at {rev}"),
                                None => "absent from the binary".to_string(),
                            };
                            crate::say!(
                                "gate passes for {}: {place}: {gate} ({})",
                                item.artifact.path,
                                v.evidence
                            );
                        }
                    }
                }
            }
        }
        // A rule gate that did not trip says what it checked, and where.
        for id in a.fail_on.iter().filter(|g| !is_query(g)) {
            for item in &report.items {
                if carriers
                    .iter()
                    .any(|(path, rule, _)| *path == item.artifact.path && rule == id)
                {
                    continue;
                }
                let crates: Vec<String> = item
                    .crate_pins()
                    .into_iter()
                    .filter(|(sel, _)| !report.not_indexed.contains(sel))
                    .map(|(sel, c)| format!("{sel} (crate {})", c.join(", ")))
                    .collect();
                match &item.id.pin {
                    Some(p) => crate::say!(
                        "gate passes for {}: absent at {}@{}{}: {id} (no finding of the rule there)",
                        item.artifact.path,
                        p.repo,
                        p.rev,
                        if crates.is_empty() {
                            String::new()
                        } else {
                            format!(" and {}", crates.join(", "))
                        }
                    ),
                    None if !crates.is_empty() => crate::say!(
                        "gate passes for {}: absent at {}: {id} (no finding of the rule there; the binary itself is not identified as a pinned revision)",
                        item.artifact.path,
                        crates.join(", ")
                    ),
                    None => crate::say!(
                        "gate {id:?} not checked for {}: it is not identified as a pinned revision",
                        item.artifact.path
                    ),
                }
            }
        }
        if !undecided.is_empty() {
            bail!("the gate cannot decide:\n{}", undecided.join("\n"));
        }
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
