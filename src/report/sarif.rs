//! SARIF 2.1.0 for `archeo findings --format sarif`, so GitHub code scanning and other SARIF
//! viewers show archeo's findings: the rules' metadata as the tool's rules, each finding as a
//! result located by its permalink (an absolute URL on the immutable commit for GitHub
//! repositories; a path under a `REPO@COMMIT` base otherwise), with its citation's revisions in
//! the result's properties. Types from serde-sarif; this module only maps archeo's results.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use serde_sarif::sarif;

use crate::index::citation::Citation;
use crate::query::findings::FindingHit;
use crate::query::history::{Change, Class};
use crate::query::watch::{Brings, Release, WatchReport};
use crate::rules::RuleSet;

/// The `$schema` a SARIF 2.1.0 log names.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Writes the findings as one SARIF 2.1.0 log (pretty-printed JSON).
pub fn write(out: &mut dyn Write, hits: &[FindingHit], rules: &RuleSet) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(hits, rules))?;
    writeln!(out)?;
    Ok(())
}

/// The SARIF log for `hits`: one run whose driver lists every loaded rule (and any rule known
/// only by its findings).
pub fn log(hits: &[FindingHit], rules: &RuleSet) -> sarif::Sarif {
    let mut ids: Vec<String> = rules.rules.iter().map(|r| r.meta.id.clone()).collect();
    for h in hits {
        if !ids.contains(&h.rule) {
            ids.push(h.rule.clone());
        }
    }
    let descriptors: Vec<sarif::ReportingDescriptor> =
        ids.iter().map(|id| descriptor(id, rules)).collect();
    let results: Vec<sarif::Result> = hits
        .iter()
        .map(|h| {
            let index = ids.iter().position(|i| *i == h.rule).unwrap_or(0);
            result(h, index, rules)
        })
        .collect();
    let driver = sarif::ToolComponent::builder()
        .name("archeo")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(descriptors)
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .version_control_provenance(provenance(hits))
        .column_kind("unicodeCodePoints")
        .build();
    sarif::Sarif::builder()
        .schema(SCHEMA_URI)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build()
}

fn text(s: impl Into<String>) -> sarif::MultiformatMessageString {
    sarif::MultiformatMessageString::builder()
        .text(s.into())
        .build()
}

/// A rule's metadata: title, description, category and references.
fn descriptor(id: &str, rules: &RuleSet) -> sarif::ReportingDescriptor {
    let Some(rule) = rules.get(id) else {
        return sarif::ReportingDescriptor::builder()
            .id(id)
            .short_description(text(format!(
                "{id} (a rule loaded when the index was built)"
            )))
            .build();
    };
    let m = &rule.meta;
    let mut help = m.description.clone();
    if !m.references.is_empty() {
        help.push_str("\n\nReferences: ");
        help.push_str(&m.references.join(", "));
    }
    let mut props = BTreeMap::new();
    props.insert("references".to_string(), serde_json::json!(m.references));
    props.insert("facts".to_string(), serde_json::json!(m.facts));
    props.insert(
        "origin".to_string(),
        serde_json::json!(rule.origin.describe()),
    );
    let b = sarif::ReportingDescriptor::builder()
        .id(id)
        .name(id)
        .short_description(text(if m.title.is_empty() {
            id
        } else {
            m.title.as_str()
        }))
        .help(text(if help.is_empty() {
            m.title.clone()
        } else {
            help
        }))
        .properties(
            sarif::PropertyBag::builder()
                .tags(
                    vec![m.category.clone()]
                        .into_iter()
                        .filter(|c| !c.is_empty())
                        .collect::<Vec<_>>(),
                )
                .additional_properties(props)
                .build(),
        );
    let full = if m.description.is_empty() {
        &m.title
    } else {
        &m.description
    };
    let described = b.full_description(text(full.clone()));
    match m
        .references
        .iter()
        .find(|r| r.starts_with("https://") || r.starts_with("http://"))
    {
        Some(u) => described.help_uri(u.clone()).build(),
        None => described.build(),
    }
}

/// Where a finding is: its permalink without the line anchor when that is a URL (the region
/// gives the lines), else its path under a `REPO@COMMIT` base.
fn location(h: &FindingHit) -> sarif::Location {
    location_of(&h.cite, &h.text, h.symbol.as_deref())
}

/// A cited place as a SARIF location (see [`location`]).
fn location_of(c: &Citation, text: &str, symbol: Option<&str>) -> sarif::Location {
    let artifact = if c.url.starts_with("https://") || c.url.starts_with("http://") {
        let uri = c.url.split("#L").next().unwrap_or(&c.url).to_string();
        sarif::ArtifactLocation::builder().uri(uri).build()
    } else {
        sarif::ArtifactLocation::builder()
            .uri(c.path.clone())
            .uri_base_id(format!("{}@{}", c.repo, c.commit))
            .build()
    };
    let region = sarif::Region::builder()
        .start_line(i64::from(c.start))
        .end_line(i64::from(c.end))
        .snippet(
            sarif::ArtifactContent::builder()
                .text(text.to_string())
                .build(),
        )
        .build();
    let physical = sarif::PhysicalLocation::builder()
        .artifact_location(artifact)
        .region(region)
        .build();
    let loc = sarif::Location::builder().physical_location(physical);
    match symbol {
        Some(s) => {
            let logical = sarif::LogicalLocation::builder()
                .name(s.to_string())
                .kind("function")
                .build();
            loc.logical_locations(vec![logical]).build()
        }
        None => loc.build(),
    }
}

/// One finding: rule, message, location, a fingerprint from its identity (stable across
/// line shifts), and its citation's revisions.
fn result(h: &FindingHit, rule_index: usize, rules: &RuleSet) -> sarif::Result {
    let c = &h.cite;
    let title = rules
        .get(&h.rule)
        .map(|r| r.meta.title.clone())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| h.rule.clone());
    let mut message = format!("{title}: `{}`", h.text.lines().next().unwrap_or("").trim());
    if let Some(s) = &h.symbol {
        message.push_str(&format!(" in {s}"));
    }
    message.push_str(&format!(
        " ({}@{}; held by {})",
        c.repo, c.rev, c.revs_display
    ));
    let mut props = BTreeMap::new();
    props.insert("repo".to_string(), serde_json::json!(c.repo));
    props.insert("rev".to_string(), serde_json::json!(c.rev));
    props.insert("commit".to_string(), serde_json::json!(c.commit));
    props.insert("permalink".to_string(), serde_json::json!(c.url));
    props.insert("revs".to_string(), serde_json::json!(&*c.revs));
    props.insert(
        "revs_display".to_string(),
        serde_json::json!(c.revs_display),
    );
    props.insert(
        "vendored_module".to_string(),
        serde_json::json!(c.vendored_module),
    );
    props.insert("facts".to_string(), serde_json::json!(h.facts));
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert("archeoIdentity/v1".to_string(), fnv(&h.identity()));
    sarif::Result::builder()
        .rule_id(h.rule.clone())
        .rule_index(rule_index as i64)
        .level(sarif::ResultLevel::Note)
        .message(sarif::Message::builder().text(message).build())
        .locations(vec![location(h)])
        .partial_fingerprints(fingerprints)
        .properties(
            sarif::PropertyBag::builder()
                .additional_properties(props)
                .build(),
        )
        .build()
}

/// The repositories and commits cited, for viewers that map results to a checkout.
fn provenance(hits: &[FindingHit]) -> Vec<sarif::VersionControlDetails> {
    let mut seen: Vec<(&str, &str)> = Vec::new();
    for h in hits {
        let c = &h.cite;
        if let Some(u) = repo_url(&c.url, &c.commit)
            && !seen.iter().any(|(_, commit)| *commit == c.commit)
        {
            seen.push((u, &c.commit));
        }
    }
    seen.into_iter()
        .map(|(uri, commit)| {
            sarif::VersionControlDetails::builder()
                .repository_uri(uri)
                .revision_id(commit)
                .build()
        })
        .collect()
}

/// `https://github.com/O/N` from a GitHub permalink on `commit`.
fn repo_url<'a>(permalink: &'a str, commit: &str) -> Option<&'a str> {
    let i = permalink.find(&format!("/blob/{commit}/"))?;
    permalink
        .starts_with("https://github.com/")
        .then(|| &permalink[..i])
}

/// A 64-bit FNV-1a hash in hex: a short, stable fingerprint.
fn fnv(s: &str) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}")
}

/// The rule id of a watch entry that is a search query, and of a consumer's pin move that
/// cannot be compared.
const WATCH_QUERY_RULE: &str = "archeo-watch-query";
const WATCH_PIN_RULE: &str = "archeo-watch-pin-move";

/// Writes `archeo watch`'s changes as one SARIF 2.1.0 log (pretty-printed JSON).
pub fn write_watch(out: &mut dyn Write, report: &WatchReport, rules: &RuleSet) -> Result<()> {
    serde_json::to_writer_pretty(&mut *out, &watch_log(report, rules))?;
    writeln!(out)?;
    Ok(())
}

/// One watched change as a SARIF result: located at the new side (the old one for a removal),
/// with its baseline state (`new`, `updated`, `absent`), and the release it came with.
struct WatchResult<'a> {
    release: String,
    entry: &'a str,
    from: String,
    to: String,
    via: Option<String>,
    change: &'a Change,
}

/// The SARIF log of `archeo watch`: each added, removed or changed watched finding (moves are
/// the same code, and left out) and each pin move that cannot be compared, as results; the
/// rules are those the changes name, with two of archeo's own for search entries and
/// undecided pin moves.
pub fn watch_log(report: &WatchReport, rules: &RuleSet) -> sarif::Sarif {
    let mut found: Vec<WatchResult> = Vec::new();
    let mut undecided: Vec<(&Release, &str, &crate::query::watch::PinMove)> = Vec::new();
    for rel in &report.releases {
        if let crate::query::watch::Previous::Rev(p) = &rel.previous {
            for e in &rel.watched {
                for c in e.changes.iter().filter(|c| c.class != Class::Moved) {
                    found.push(WatchResult {
                        release: rel.id.selector(),
                        entry: &e.entry,
                        from: p.selector(),
                        to: rel.id.selector(),
                        via: None,
                        change: c,
                    });
                }
            }
        }
        for m in &rel.moves {
            match &m.brings {
                Brings::Compared(entries) => {
                    let (a, b) = (
                        m.from
                            .rev
                            .as_ref()
                            .map(|r| r.selector())
                            .unwrap_or_default(),
                        m.to.rev.as_ref().map(|r| r.selector()).unwrap_or_default(),
                    );
                    for e in entries {
                        for c in e.changes.iter().filter(|c| c.class != Class::Moved) {
                            found.push(WatchResult {
                                release: b.clone(),
                                entry: &e.entry,
                                from: a.clone(),
                                to: b.clone(),
                                via: Some(rel.id.selector()),
                                change: c,
                            });
                        }
                    }
                }
                Brings::Undecided(why) => undecided.push((rel, why, m)),
            }
        }
    }
    let mut ids: Vec<String> = Vec::new();
    let mut rule_of = |c: &Change| -> String {
        let id = c
            .rule
            .clone()
            .unwrap_or_else(|| WATCH_QUERY_RULE.to_string());
        if !ids.contains(&id) {
            ids.push(id.clone());
        }
        id
    };
    let mut results: Vec<sarif::Result> = Vec::new();
    let mut pending: Vec<(String, sarif::Result)> = Vec::new();
    for w in &found {
        let id = rule_of(w.change);
        pending.push((id, watch_result(w)));
    }
    if !undecided.is_empty() && !ids.iter().any(|i| i == WATCH_PIN_RULE) {
        ids.push(WATCH_PIN_RULE.to_string());
    }
    let index_of = |id: &str| ids.iter().position(|i| i == id).unwrap_or(0) as i64;
    for (id, mut r) in pending {
        r.rule_id = Some(id.clone());
        r.rule_index = Some(index_of(&id));
        results.push(r);
    }
    for (rel, why, m) in undecided {
        results.push(pin_result(rel, why, m, index_of(WATCH_PIN_RULE)));
    }
    let descriptors: Vec<sarif::ReportingDescriptor> = ids
        .iter()
        .map(|id| match id.as_str() {
            WATCH_QUERY_RULE => sarif::ReportingDescriptor::builder()
                .id(id.as_str())
                .name(id.as_str())
                .short_description(text("A watched search's lines changed in a new release"))
                .full_description(text("Lines matched by a search query in a manifest's `watch` list were added, removed or changed in a new upstream release (compared with its predecessor by identity: enclosing declaration and code)."))
                .build(),
            WATCH_PIN_RULE => sarif::ReportingDescriptor::builder()
                .id(id.as_str())
                .name(id.as_str())
                .short_description(text("A consumer release moved its pin of a watched repository, and what that brings cannot be compared"))
                .full_description(text("A new release of a consumer (a manifest's `consumers`) ships another version of a watched repository, and one side is not pinned or not resolvable, so its watched findings cannot be compared: pin that version."))
                .build(),
            _ => descriptor(id, rules),
        })
        .collect();
    let driver = sarif::ToolComponent::builder()
        .name("archeo")
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .rules(descriptors)
        .build();
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .results(results)
        .column_kind("unicodeCodePoints")
        .build();
    sarif::Sarif::builder()
        .schema(SCHEMA_URI)
        .version(serde_json::json!("2.1.0"))
        .runs(vec![run])
        .build()
}

fn watch_result(w: &WatchResult) -> sarif::Result {
    let c = w.change;
    let (side, state) = match c.class {
        Class::Added => (c.b.as_ref(), "new"),
        Class::Removed => (c.a.as_ref(), "absent"),
        _ => (c.b.as_ref(), "updated"),
    };
    let side = side.or(c.a.as_ref()).expect("a change has a side");
    let mut message = format!(
        "{} {}: `{}`",
        w.entry,
        c.class.as_str(),
        side.text.lines().next().unwrap_or("").trim()
    );
    if let Some(s) = &c.symbol {
        message.push_str(&format!(" in {s}"));
    }
    message.push_str(&format!(" ({} -> {}", w.from, w.to));
    if let Some(v) = &w.via {
        message.push_str(&format!(", shipped by {v}"));
    }
    message.push(')');
    let mut props = BTreeMap::new();
    props.insert("release".to_string(), serde_json::json!(w.release));
    props.insert("entry".to_string(), serde_json::json!(w.entry));
    props.insert("class".to_string(), serde_json::json!(c.class.as_str()));
    props.insert("from".to_string(), serde_json::json!(w.from));
    props.insert("to".to_string(), serde_json::json!(w.to));
    props.insert("via".to_string(), serde_json::json!(w.via));
    props.insert("permalink".to_string(), serde_json::json!(side.cite.url));
    props.insert("commit".to_string(), serde_json::json!(side.cite.commit));
    props.insert("facts".to_string(), serde_json::json!(side.facts));
    // One alert per release (and per consumer release shipping it): the same finding
    // arriving in v1.3.3 and, through its pin, in a consumer's release are two events.
    let identity = format!(
        "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
        w.to,
        w.via.as_deref().unwrap_or(""),
        w.entry,
        c.rule.as_deref().unwrap_or(""),
        c.symbol.as_deref().unwrap_or(""),
        crate::rules::normalise_code(&side.text)
    );
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert("archeoIdentity/v1".to_string(), fnv(&identity));
    sarif::Result::builder()
        .level(sarif::ResultLevel::Warning)
        .message(sarif::Message::builder().text(message).build())
        .locations(vec![location_of(
            &side.cite,
            &side.text,
            c.symbol.as_deref(),
        )])
        .partial_fingerprints(fingerprints)
        .baseline_state(serde_json::json!(state))
        .properties(
            sarif::PropertyBag::builder()
                .additional_properties(props)
                .build(),
        )
        .build()
}

/// An undecided pin move, located at the consumer's line that pins the new version.
fn pin_result(
    rel: &Release,
    why: &str,
    m: &crate::query::watch::PinMove,
    rule_index: i64,
) -> sarif::Result {
    let site = m
        .sites
        .iter()
        .find_map(|s| s.to.as_ref().or(s.from.as_ref()))
        .map(|(_, c)| c);
    let message = format!(
        "{} moves its pin of {}, and what that brings cannot be compared: {why}",
        rel.id.selector(),
        m.component
    );
    let mut props = BTreeMap::new();
    props.insert("release".to_string(), serde_json::json!(rel.id.selector()));
    props.insert("component".to_string(), serde_json::json!(m.component));
    props.insert("reason".to_string(), serde_json::json!(why));
    let mut r = sarif::Result::builder()
        .rule_id(WATCH_PIN_RULE)
        .rule_index(rule_index)
        .level(sarif::ResultLevel::Warning)
        .message(sarif::Message::builder().text(message).build())
        .properties(
            sarif::PropertyBag::builder()
                .additional_properties(props)
                .build(),
        )
        .build();
    r.locations = site.map(|c| vec![location_of(c, "", None)]);
    r
}
