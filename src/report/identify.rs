//! Printers for `archeo identify`: per artifact, what it is (component, version, commit, how
//! sure), the pinned revision with its permalink, the evidence with where each fact was read,
//! and the requested rules' findings there.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use termcolor::{Color, WriteColor};

use super::json::{CiteJson, record};
use super::{dim, md_code, md_link, md_text, report, spec, term_text};
use crate::artifact::{Artifact, ArtifactKind, Provenance};
use crate::query::identify::{Identified, IdentifyReport};

report!(IdentifyReport, text, json, markdown);

/// One fact read from an artifact: name, value, where.
#[derive(Serialize)]
struct Evidence {
    fact: String,
    value: String,
    at: String,
}

/// The facts identification rests on, each with its provenance.
fn evidence(a: &Artifact) -> Vec<Evidence> {
    let mut out = Vec::new();
    let mut add = |fact: &str, value: &str, at: &Provenance| {
        out.push(Evidence {
            fact: fact.to_string(),
            value: value.to_string(),
            at: at.to_string(),
        })
    };
    if let Some(go) = &a.go {
        let b = &go.build_info;
        add("go version", &b.go_version.value, &b.go_version.at);
        if let Some(p) = &b.path {
            add("main package", &p.value, &p.at);
        }
        if let Some(m) = &b.main {
            add("main module", &format!("{} {}", m.path, m.version), &m.at);
        }
        for s in &b.settings {
            if s.key.starts_with("vcs") || s.key == "-ldflags" {
                add(&format!("build {}", s.key), &s.value, &s.at);
            }
        }
        if let Some(t) = &go.runtime.function_table {
            add("go function table", &t.value, &t.at);
        }
        for i in &go.injected {
            let what = match &i.variable {
                Some(v) => format!("-X {v}"),
                None => "version-like string".to_string(),
            };
            add(&what, &i.value, &i.at);
        }
    }
    if let Some(p) = &a.package {
        add("deb Package", &p.package, &p.provenance("Package"));
        add("deb Version", &p.version, &p.provenance("Version"));
        add("deb Source", &p.source, &p.provenance("Source"));
    }
    out
}

fn rules_line(item: &Identified) -> Option<String> {
    let p = item.id.pin.as_ref()?;
    if item.rules.is_empty() {
        return None;
    }
    let parts: Vec<String> = item
        .rules
        .iter()
        .map(|r| match r.cites.len() {
            0 => format!("{} absent", r.rule),
            n => format!("{} present ({n})", r.rule),
        })
        .collect();
    Some(format!("{}@{}: {}", p.repo, p.rev, parts.join("; ")))
}

fn text(out: &mut dyn WriteColor, r: &IdentifyReport) -> Result<()> {
    for (i, item) in r.items.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        item_text(out, item)?;
    }
    for sel in &r.not_indexed {
        writeln!(
            out,
            "\nnote: {sel} is pinned but not indexed: run `archeo index` for its findings"
        )?;
    }
    let known = r
        .items
        .iter()
        .filter(|i| i.artifact.kind != ArtifactKind::Skipped)
        .count();
    let identified = r.items.iter().filter(|i| i.id.pin.is_some()).count();
    writeln!(
        out,
        "\n{known} artifact(s) read, {identified} matched to a pinned revision"
    )?;
    Ok(())
}

fn item_text(out: &mut dyn WriteColor, item: &Identified) -> Result<()> {
    let (a, id) = (&item.artifact, &item.id);
    out.set_color(&spec(Color::Magenta, true))?;
    write!(out, "{}", term_text(&a.path))?;
    out.reset()?;
    writeln!(out)?;
    if a.kind == ArtifactKind::Skipped {
        for n in &a.notes {
            writeln!(out, "  skipped: {}", term_text(n))?;
        }
        return Ok(());
    }
    writeln!(
        out,
        "  {} {} commit {} · {}",
        term_text(id.component.as_deref().unwrap_or("(unknown component)")),
        term_text(id.version.as_deref().unwrap_or("(no version)")),
        term_text(id.commit.as_deref().unwrap_or("(none)")),
        id.confidence
    )?;
    if let (Some(p), Some(link)) = (&id.pin, &item.permalink) {
        out.set_color(&spec(Color::Green, true))?;
        write!(out, "  pinned {}@{} = {}", p.repo, p.rev, p.commit)?;
        out.reset()?;
        writeln!(out)?;
        out.set_color(&dim())?;
        writeln!(out, "  {link}")?;
        out.reset()?;
    }
    if let Some(line) = rules_line(item) {
        writeln!(out, "  findings at {line}")?;
    }
    if id.distribution_rebuild {
        writeln!(out, "  distribution rebuild")?;
    }
    for d in &id.dependency_differences {
        writeln!(out, "  dependency differs: {}", term_text(&d.to_string()))?;
    }
    for e in evidence(a) {
        out.set_color(&dim())?;
        writeln!(
            out,
            "  {}: {}  [{}]",
            term_text(&e.fact),
            term_text(&e.value),
            term_text(&e.at)
        )?;
        out.reset()?;
    }
    for n in id.notes.iter().chain(&a.notes) {
        writeln!(out, "  note: {}", term_text(n))?;
    }
    Ok(())
}

/// An `artifact` record: one artifact, what it was identified as, and the requested rules'
/// findings at the matched revision, each a cited place.
#[derive(Serialize)]
struct ItemJson<'a> {
    path: &'a str,
    kind: &'a ArtifactKind,
    #[serde(flatten)]
    id: &'a crate::artifact::Identification,
    permalink: Option<&'a str>,
    findings: Vec<RuleJson<'a>>,
    evidence: Vec<Evidence>,
    skipped: Vec<&'a str>,
}

/// One requested rule at the matched revision: its findings there (none: the revision does
/// not carry it).
#[derive(Serialize)]
struct RuleJson<'a> {
    rule: &'a str,
    present: bool,
    count: usize,
    cites: Vec<CiteJson<'a>>,
}

/// A `not-indexed` record: a matched revision the index does not hold, so the findings of
/// the artifacts matched to it are unknown (their `findings` are empty).
#[derive(Serialize)]
struct NotIndexedJson<'a> {
    revision: &'a str,
}

fn json(out: &mut dyn Write, r: &IdentifyReport) -> Result<()> {
    for item in &r.items {
        let skipped = if item.artifact.kind == ArtifactKind::Skipped {
            item.artifact.notes.iter().map(String::as_str).collect()
        } else {
            Vec::new()
        };
        record(
            out,
            "artifact",
            &ItemJson {
                path: &item.artifact.path,
                kind: &item.artifact.kind,
                id: &item.id,
                permalink: item.permalink.as_deref(),
                findings: item
                    .rules
                    .iter()
                    .map(|r| RuleJson {
                        rule: &r.rule,
                        present: !r.cites.is_empty(),
                        count: r.cites.len(),
                        cites: r.cites.iter().map(CiteJson::of).collect(),
                    })
                    .collect(),
                evidence: evidence(&item.artifact),
                skipped,
            },
        )?;
    }
    for revision in &r.not_indexed {
        record(out, "not-indexed", &NotIndexedJson { revision })?;
    }
    Ok(())
}

fn markdown(out: &mut dyn Write, r: &IdentifyReport) -> Result<()> {
    writeln!(
        out,
        "| artifact | component | version | commit | confidence | pinned revision | findings |"
    )?;
    writeln!(out, "| --- | --- | --- | --- | --- | --- | --- |")?;
    for item in r
        .items
        .iter()
        .filter(|i| i.artifact.kind != ArtifactKind::Skipped)
    {
        let id = &item.id;
        let pinned = match (&id.pin, &item.permalink) {
            (Some(p), Some(link)) => md_link(&format!("{}@{}", p.repo, p.rev), link),
            _ => "—".into(),
        };
        let findings = item
            .rules
            .iter()
            .map(|r| {
                let state = if r.cites.is_empty() {
                    "absent"
                } else {
                    "present"
                };
                format!("{} {state}", md_code(&r.rule))
            })
            .collect::<Vec<_>>()
            .join("<br>");
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {pinned} | {findings} |",
            md_code(&item.artifact.path),
            md_text(id.component.as_deref().unwrap_or("—")),
            md_text(id.version.as_deref().unwrap_or("—")),
            id.commit
                .as_deref()
                .map(md_code)
                .unwrap_or_else(|| "—".into()),
            id.confidence,
        )?;
    }
    Ok(())
}
