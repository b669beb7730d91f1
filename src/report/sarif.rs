//! SARIF 2.1.0 for `archeo findings --format sarif`, so GitHub code scanning and other SARIF
//! viewers show archeo's findings: the rules' metadata as the tool's rules, each finding as a
//! result located by its permalink (an absolute URL on the immutable commit for GitHub
//! repositories; a path under a `REPO@COMMIT` base otherwise), with its citation's revisions in
//! the result's properties. Types from serde-sarif; this module only maps archeo's results.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use serde_sarif::sarif;

use crate::query::findings::FindingHit;
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
    let c = &h.cite;
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
                .text(h.text.clone())
                .build(),
        )
        .build();
    let physical = sarif::PhysicalLocation::builder()
        .artifact_location(artifact)
        .region(region)
        .build();
    let loc = sarif::Location::builder().physical_location(physical);
    match &h.symbol {
        Some(s) => {
            let logical = sarif::LogicalLocation::builder()
                .name(s.clone())
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
    props.insert("revs".to_string(), serde_json::json!(c.revs));
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
