//! Rule findings placed in the selected revisions: one [`FindingHit`] per finding in a distinct
//! file version, cited with every revision holding it.

use std::collections::{BTreeMap, HashSet};

use anyhow::{Result, bail};

use crate::index::Index;
use crate::index::citation::Citation;
use crate::query::search::Scope;

/// A finding in one distinct file version, with every selected revision holding it.
#[derive(Debug, Clone)]
pub struct FindingHit {
    /// The rule id.
    pub rule: String,
    /// Where: the matched lines and the revisions holding them.
    pub cite: Citation,
    /// The innermost declaration holding the match.
    pub symbol: Option<String>,
    /// The matched source text.
    pub text: String,
    /// Named facts the rule captured (e.g. `resolve = [RESOLVE_BENEATH, RESOLVE_NO_XDEV]`).
    pub facts: BTreeMap<String, Vec<String>>,
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

/// Which findings to place.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Rule ids (every rule when empty).
    pub rules: Vec<String>,
    /// Revisions, paths, language, vendored code.
    pub scope: Scope,
}

/// The stored findings of the selected rules, placed in the selected revisions; grouped by rule,
/// then in the shared citation order.
pub fn query(index: &Index, sel: &Selection) -> Result<Vec<FindingHit>> {
    let plan = sel.scope.plan(index, None)?;
    let mut found = index.findings(&sel.rules)?;
    if let Some(lang) = plan.lang {
        let mut of_lang = Vec::with_capacity(found.len());
        for f in found {
            if index.lang_of(&f.blob)? == Some(lang) {
                of_lang.push(f);
            }
        }
        found = of_lang;
    }
    let wanted: HashSet<&str> = found.iter().map(|f| f.blob.as_str()).collect();
    let places = index.places(&plan.revs, |id| wanted.contains(id), |p| plan.keeps(p))?;
    let mut out = Vec::new();
    for f in &found {
        for place in places.get(&f.blob).into_iter().flatten() {
            out.push(FindingHit {
                rule: f.rule.clone(),
                cite: index.cite(&f.blob, place, f.start, f.end),
                symbol: f.decl.clone(),
                text: f.text.clone(),
                facts: f.facts.clone(),
            });
        }
    }
    out.sort_by(|a, b| a.rank(b));
    Ok(out)
}

impl FindingHit {
    /// The findings order: by rule, then the citation order, then the match's end and text (so
    /// the order never depends on the order the store returned them in).
    pub fn rank(&self, other: &FindingHit) -> std::cmp::Ordering {
        self.rule
            .cmp(&other.rule)
            .then_with(|| self.cite.rank(&other.cite))
            .then_with(|| self.cite.end.cmp(&other.cite.end))
            .then_with(|| self.text.cmp(&other.text))
    }

    /// [`FindingHit::rank`]'s keys as values that compare the same way (ascending): what a
    /// front end over shards merges their findings by.
    pub fn rank_keys(&self) -> serde_json::Value {
        serde_json::json!([
            self.rule,
            self.cite.vendored_module.is_some(),
            -(self.cite.newest as i64),
            self.cite.repo,
            self.cite.path,
            self.cite.start,
            self.cite.blob,
            self.cite.end,
            self.text,
        ])
    }
}

/// Unknown rule ids are errors (a typo must not give an empty answer). A rule is known when it
/// is among the `loaded` ids, or when the index holds findings of it (a rule loaded only at
/// index time, with `--rules`).
pub fn check_rule_ids(index: &Index, loaded: &[String], ids: &[String]) -> Result<()> {
    for id in ids {
        if !loaded.contains(id) && !index.rule_ids().contains(id) && !index.has_findings_of(id)? {
            let mut known: Vec<String> = loaded.to_vec();
            known.extend(index.rule_ids().iter().cloned());
            known.sort();
            known.dedup();
            bail!("{}", unknown_rule(id, &known));
        }
    }
    Ok(())
}

/// `unknown rule "sysctl_write"; did you mean sysctl-write? (rules: ...)`.
pub fn unknown_rule(id: &str, known: &[String]) -> String {
    let near = crate::query::nearest(id, known.iter().map(String::as_str));
    let hint = match near.as_slice() {
        [] => String::new(),
        n => format!("; did you mean {}?", n.join(" or ")),
    };
    format!(
        "unknown rule {id:?}{hint} (rules: {}; `archeo rules list` describes them)",
        known.join(", ")
    )
}
