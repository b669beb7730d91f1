//! The query stage for rule findings: stored findings of the selected rules, placed in the
//! selected revisions, one per distinct file version, with the revisions holding it.

use std::path::Path;

use anyhow::Result;
use serde::Serialize;

use crate::index::catalog::Catalog;
use crate::rules::Finding;
use crate::query::search::{RevOrder, RevRef, permalink, places};
use crate::index::store::Store;

/// A finding in one distinct file version, with every selected revision holding it.
#[derive(Debug, Clone, Serialize)]
pub struct FindingHit {
    pub rule: String,
    pub repo: String,
    pub path: String,
    pub start: u32,
    pub end: u32,
    pub symbol: Option<String>,
    pub text: String,
    pub facts: std::collections::BTreeMap<String, Vec<String>>,
    pub vendored_module: Option<String>,
    pub revs: Vec<RevRef>,
    #[serde(skip)]
    pub revs_display: String,
    pub url: String,
    #[serde(skip)]
    pub blob: String,
    #[serde(skip)]
    pub newest: usize,
}

impl FindingHit {
    /// Identity across versions: rule, declaration and the normalised matched text.
    pub fn identity(&self) -> String {
        format!(
            "{}\u{1f}{}\u{1f}{}",
            self.rule,
            self.symbol.as_deref().unwrap_or(""),
            crate::rules::normalise_code(&self.text)
        )
    }
}

pub fn query(
    index_dir: &Path,
    cat: &Catalog,
    store: &Store,
    rules: &[String],
    at: &[String],
    repos: &[String],
    no_vendor: bool,
) -> Result<Vec<FindingHit>> {
    let revs = crate::query::selector::select(cat, at, repos)?;
    let found: Vec<Finding> = store.findings(rules)?;
    let wanted: std::collections::HashSet<&str> = found.iter().map(|f| f.blob.as_str()).collect();
    let occ = places(
        index_dir,
        &revs,
        |id| wanted.contains(id),
        |p| !(no_vendor && p.starts_with("vendor/")),
    )?;
    let order = RevOrder::new(cat);
    let mut out = Vec::new();
    for f in &found {
        let Some(at) = occ.get(&f.blob) else { continue };
        for ((repo, path), holders) in at {
            let held = order.held(repo, holders);
            out.push(FindingHit {
                rule: f.rule.clone(),
                repo: repo.clone(),
                path: path.clone(),
                start: f.start,
                end: f.end,
                symbol: f.decl.clone(),
                text: f.text.clone(),
                facts: f.facts.clone(),
                vendored_module: held
                    .newest
                    .vendored_module(path)
                    .map(|m| format!("{} {}", m.module, m.version)),
                url: permalink(&held.newest.url, &held.newest.commit, path, f.start, f.end),
                revs_display: held.display,
                revs: held.revs,
                blob: f.blob.clone(),
                newest: held.newest_index,
            });
        }
    }
    // Grouped by rule, own code before vendored, newest first, then by place.
    out.sort_by(|a, b| {
        a.rule
            .cmp(&b.rule)
            .then_with(|| {
                a.vendored_module
                    .is_some()
                    .cmp(&b.vendored_module.is_some())
            })
            .then_with(|| b.newest.cmp(&a.newest))
            .then_with(|| a.repo.cmp(&b.repo))
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.start.cmp(&b.start))
            .then_with(|| a.blob.cmp(&b.blob))
    });
    Ok(out)
}
