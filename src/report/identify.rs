//! Printers for `archeo identify`: per artifact, what it is (component, version, commit, how
//! sure), the pinned revision with its permalink, a Rust binary's crates matched to pinned
//! revisions, the evidence with where each fact was read, and the requested rules' findings at
//! each of those revisions.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use termcolor::{Color, WriteColor};

use super::json::{CiteJson, record};
use super::{dim, md_code, md_link, md_text, report, spec, term_text};
use crate::artifact::{
    Artifact, ArtifactKind, Confidence, CrateMatch, CrateSource, ModuleMatch, Provenance,
    StringShape,
};
use crate::query::identify::{Identified, IdentifyReport, RuleAtPin};

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
    if let Some(n) = &a.native {
        for s in &n.strings {
            match (&s.statement, s.shape) {
                (Some(st), StringShape::Version) => {
                    add("version statement", &format!("{} ({st:?})", s.value), &s.at)
                }
                (Some(st), StringShape::Commit) => {
                    add("commit statement", &format!("{} ({st:?})", s.value), &s.at)
                }
                (None, StringShape::Version) => add("version-like string", &s.value, &s.at),
                (None, StringShape::Commit) => add("commit-like string", &s.value, &s.at),
            }
        }
        if let Some(r) = &n.rustc {
            add("rustc commit", &r.value, &r.at);
        }
        if let Some(first) = n.own_paths.first() {
            add(
                "own source paths",
                &format!("{} (first: {})", n.own_path_count, first.value),
                &first.at,
            );
        }
    }
    if let Some(p) = &a.package {
        add("deb Package", &p.package, &p.provenance("Package"));
        add("deb Version", &p.version, &p.provenance("Version"));
        // Only a field the control file has is a fact read there (no Source: means the
        // package's own name, which is not a reading).
        if p.source_given {
            add("deb Source", &p.source, &p.provenance("Source"));
        }
    }
    out
}

fn rules_state(rules: &[RuleAtPin]) -> String {
    rules
        .iter()
        .map(|r| match r.cites.len() {
            0 => format!("{} absent", r.rule),
            n => format!("{} present ({n})", r.rule),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn rules_line(item: &Identified) -> Option<String> {
    let p = item.id.pin.as_ref()?;
    if item.rules.is_empty() {
        return None;
    }
    Some(format!(
        "{}@{}: {}",
        p.repo,
        p.rev,
        rules_state(&item.rules)
    ))
}

/// `libpathrs@v0.2.5 (crate pathrs 0.2.5): rule present (3)`, per crate revision with findings
/// asked.
fn crate_rules_lines(item: &Identified) -> Vec<String> {
    item.crate_pins()
        .into_iter()
        .filter_map(|(sel, crates)| {
            let rules = item.crate_rules.get(&sel).filter(|r| !r.is_empty())?;
            Some(format!(
                "{sel} (crate {}): {}",
                crates.join(", "),
                rules_state(rules)
            ))
        })
        .collect()
}

/// `registry index.crates.io-1949cf8c6b5b557f`, `git youki@94ba653`.
fn source_text(s: &CrateSource) -> (&'static str, Option<String>) {
    match s {
        CrateSource::Registry { index } => ("registry", Some(index.clone())),
        CrateSource::Distribution => ("distribution", None),
        CrateSource::Vendored => ("vendored", None),
        CrateSource::Git { repository, commit } => ("git", Some(format!("{repository}@{commit}"))),
        CrateSource::Directory => ("directory", None),
    }
}

/// One crate matched to a pinned repository: `pathrs 0.2.5 -> libpathrs@v0.2.5 · by version`.
fn crate_line(c: &CrateMatch) -> String {
    let target = match (&c.repo, &c.pin) {
        (_, Some(p)) => format!("{}@{} · {}", p.repo, p.rev, c.confidence),
        (Some(r), None) => match &c.nearest {
            Some((below, above)) => format!(
                "{r}: no pinned revision declares it (nearest: {})",
                [below.as_deref(), above.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => format!("{r}: no pinned revision placed"),
        },
        (None, None) => "no pinned repository".into(),
    };
    format!(
        "{} -> {target}  [{}: {}]",
        c.found.label(),
        c.found.path.at,
        c.found.path.value
    )
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
    if r.unmatched_elf > 0 {
        writeln!(
            out,
            "{} other ELF file(s) without Go build information matched no pinned repository (not listed)",
            r.unmatched_elf
        )?;
    }
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
        "  {} {} commit {} · {}{}",
        term_text(id.component.as_deref().unwrap_or("(unknown component)")),
        term_text(id.version.as_deref().unwrap_or("(no version)")),
        term_text(id.commit.as_deref().unwrap_or("(none)")),
        id.confidence,
        table_score(item)
            .map(|s| format!(" ({s})"))
            .unwrap_or_default()
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
    for line in crate_rules_lines(item) {
        writeln!(out, "  findings at {}", term_text(&line))?;
    }
    if id.distribution_rebuild {
        writeln!(out, "  distribution rebuild")?;
    }
    for d in &id.dependency_differences {
        writeln!(out, "  dependency differs: {}", term_text(&d.to_string()))?;
    }
    function_table_text(out, item)?;
    crates_text(out, item)?;
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

/// A Rust binary's crates: those of pinned repositories one per line, the others counted;
/// the `Cargo.lock` comparison.
fn crates_text(out: &mut dyn WriteColor, item: &Identified) -> Result<()> {
    let Some(n) = item.artifact.native.as_ref().filter(|n| n.is_rust()) else {
        return Ok(());
    };
    let pinned: Vec<&CrateMatch> = item.id.crates.iter().filter(|c| c.repo.is_some()).collect();
    writeln!(
        out,
        "  crates: {} named by source paths, {} of pinned repositories",
        n.crates.len(),
        pinned.len()
    )?;
    for c in pinned {
        writeln!(out, "    {}", term_text(&crate_line(c)))?;
    }
    if let Some(l) = &item.id.lockfile {
        let scores: Vec<String> = l
            .revisions
            .iter()
            .map(|s| format!("{} {}/{}", s.rev, s.matched, l.crates))
            .collect();
        writeln!(
            out,
            "  Cargo.lock: crates at the versions each pinned revision locks: {}",
            scores.join(", ")
        )?;
    }
    Ok(())
}

/// `692/692 functions at the same lines`: the identified repository's best revision.
fn table_score(item: &Identified) -> Option<String> {
    if item.id.confidence != Confidence::ByFunctionTable {
        return None;
    }
    let best = item.id.function_table.as_ref()?.main()?.best()?;
    Some(format!(
        "{}/{} functions at the same lines",
        best.exact, best.functions
    ))
}

/// `692 of 692 functions at the same lines, 782 of 782 names declared`.
fn score_text(s: &crate::artifact::RevisionScore) -> String {
    format!(
        "{} of {} functions at the same lines ({} in the same file), {} of {} names declared",
        s.exact, s.functions, s.same_file, s.declared, s.total
    )
}

/// One line for a module: the best revision and its score, ties, the runners-up.
fn module_line(m: &ModuleMatch) -> String {
    let Some(best) = m.best() else {
        return String::new();
    };
    let runners: Vec<String> = m
        .ranking
        .iter()
        .skip(m.tied.len())
        .map(|s| format!("{} {}/{}", s.rev, s.exact, s.functions))
        .collect();
    format!(
        "{} -> {}@{}: {}{}{}",
        m.module,
        m.repo,
        best.rev,
        score_text(best),
        match m.tied.len() {
            0 | 1 => String::new(),
            2..=4 => format!("; tied: {}", m.tied[1..].join(", ")),
            n => format!("; tied with {} other revisions", n - 1),
        },
        if runners.is_empty() {
            String::new()
        } else {
            format!("; next: {}", runners.join(", "))
        }
    )
}

/// The differences against the compared revision: functions it lacks (with where each first
/// appears), functions the binary lacks.
fn differences_text(out: &mut dyn WriteColor, m: &ModuleMatch) -> Result<()> {
    let against = m.compared_with.as_deref().unwrap_or("");
    if let Some(c) = m
        .compared
        .as_ref()
        .filter(|c| m.best().is_some_and(|b| b.rev != c.rev))
    {
        writeln!(out, "      at {against}: {}", score_text(c))?;
    }
    for f in &m.missing {
        let first = match &f.first_in {
            Some(r) => format!("first in {r}"),
            None => "in no pinned revision".into(),
        };
        writeln!(
            out,
            "      + {} ({first}; not in {against}){}",
            term_text(&f.function),
            f.at.as_deref()
                .map(|a| format!("  [{}]", term_text(a)))
                .unwrap_or_else(|| "  [only inlined]".into())
        )?;
    }
    if m.missing_total > m.missing.len() {
        writeln!(
            out,
            "      + {} more not in {against}",
            m.missing_total - m.missing.len()
        )?;
    }
    if m.absent_total > 0 {
        let shown: Vec<&str> = m
            .absent
            .iter()
            .take(5)
            .map(|f| f.function.rsplit('/').next().unwrap_or(&f.function))
            .collect();
        writeln!(
            out,
            "      - {} declared in {against} but not in the binary (weak evidence: the linker drops unused code): {}{}",
            m.absent_total,
            term_text(&shown.join(", ")),
            if m.absent_total > shown.len() {
                ", ..."
            } else {
                ""
            }
        )?;
    }
    Ok(())
}

fn function_table_text(out: &mut dyn WriteColor, item: &Identified) -> Result<()> {
    let Some(ft) = &item.id.function_table else {
        return Ok(());
    };
    writeln!(
        out,
        "  function table: {} layout, {} functions (+{} only inlined)  [{}]",
        serde_json::to_value(ft.layout)?.as_str().unwrap_or(""),
        ft.functions,
        ft.inlined,
        term_text(&ft.at)
    )?;
    for m in ft.modules.iter().filter(|m| !m.vendored) {
        writeln!(out, "    {}", term_text(&module_line(m)))?;
        differences_text(out, m)?;
    }
    // Vendored copies: one line, then only the modules whose copy at the compared revision is
    // not among the best.
    let vendored: Vec<&ModuleMatch> = ft.modules.iter().filter(|m| m.vendored).collect();
    if let Some(first) = vendored.first() {
        let against = first.compared_with.as_deref().unwrap_or("");
        let off: Vec<&&ModuleMatch> = vendored
            .iter()
            .filter(|m| {
                !m.tied
                    .iter()
                    .any(|t| Some(t.as_str()) == m.compared_with.as_deref())
            })
            .collect();
        writeln!(
            out,
            "    vendored modules: {} compared with {}'s vendor/ copies; the copy at {against} scores best for {}",
            vendored.len(),
            first.repo,
            vendored.len() - off.len()
        )?;
        for m in off {
            writeln!(out, "    {} (vendored)", term_text(&module_line(m)))?;
            differences_text(out, m)?;
        }
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
    crates: Vec<CrateJson<'a>>,
    evidence: Vec<Evidence>,
    skipped: Vec<&'a str>,
}

/// A pinned revision as the `pin` fields show it.
#[derive(Serialize)]
struct PinJson<'a> {
    repo: &'a str,
    url: &'a str,
    rev: &'a str,
    kind: crate::source::lock::RefKind,
    commit: &'a str,
}

/// One crate of a Rust binary, where its path was read, and the pinned revision it matched
/// with the requested rules' findings there.
#[derive(Serialize)]
struct CrateJson<'a> {
    name: &'a str,
    version: Option<&'a str>,
    source: &'static str,
    source_detail: Option<String>,
    files: usize,
    path: &'a str,
    at: String,
    repo: Option<&'a str>,
    confidence: Confidence,
    pin: Option<PinJson<'a>>,
    declared_in: &'a [String],
    nearest: Option<NearestJson<'a>>,
    notes: &'a [String],
    findings: Vec<RuleJson<'a>>,
}

/// The pinned revisions declaring the nearest lower and higher versions of a crate.
#[derive(Serialize)]
struct NearestJson<'a> {
    below: Option<&'a str>,
    above: Option<&'a str>,
}

fn rules_json(rules: &[RuleAtPin]) -> Vec<RuleJson<'_>> {
    rules
        .iter()
        .map(|r| RuleJson {
            rule: &r.rule,
            present: !r.cites.is_empty(),
            count: r.cites.len(),
            cites: r.cites.iter().map(CiteJson::of).collect(),
        })
        .collect()
}

fn crates_json(item: &Identified) -> Vec<CrateJson<'_>> {
    item.id
        .crates
        .iter()
        .map(|c| {
            let (source, source_detail) = source_text(&c.found.source);
            let findings = c
                .pin
                .as_ref()
                .and_then(|p| {
                    let sel = format!("{}@{}", p.repo, p.rev);
                    match &item.id.pin {
                        Some(own) if own.repo == p.repo && own.rev == p.rev => Some(&item.rules),
                        _ => item.crate_rules.get(&sel),
                    }
                })
                .map(|r| rules_json(r))
                .unwrap_or_default();
            CrateJson {
                name: &c.found.name,
                version: c.found.version.as_deref(),
                source,
                source_detail,
                files: c.found.files,
                path: &c.found.path.value,
                at: c.found.path.at.to_string(),
                repo: c.repo.as_deref(),
                confidence: c.confidence,
                pin: c.pin.as_ref().map(|p| PinJson {
                    repo: &p.repo,
                    url: &p.url,
                    rev: &p.rev,
                    kind: p.kind,
                    commit: &p.commit,
                }),
                declared_in: &c.declared_in,
                nearest: c.nearest.as_ref().map(|(b, a)| NearestJson {
                    below: b.as_deref(),
                    above: a.as_deref(),
                }),
                notes: &c.notes,
                findings,
            }
        })
        .collect()
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
                findings: rules_json(&item.rules),
                crates: crates_json(item),
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
        "| artifact | component | version | commit | confidence | pinned revision | findings | function table |"
    )?;
    writeln!(out, "| --- | --- | --- | --- | --- | --- | --- | --- |")?;
    let mut details: Vec<String> = Vec::new();
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
        let table = id
            .function_table
            .as_ref()
            .and_then(|ft| ft.main())
            .and_then(|m| {
                let b = m.best()?;
                Some(format!(
                    "{}: {}/{} at the same lines{}",
                    md_code(&format!("{}@{}", m.repo, b.rev)),
                    b.exact,
                    b.functions,
                    if m.missing_in_later > 0 {
                        format!("; {} of later releases", m.missing_in_later)
                    } else {
                        String::new()
                    }
                ))
            })
            .unwrap_or_else(|| "—".into());
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {pinned} | {findings} | {table} |",
            md_code(&item.artifact.path),
            md_text(id.component.as_deref().unwrap_or("—")),
            md_text(id.version.as_deref().unwrap_or("—")),
            id.commit
                .as_deref()
                .map(md_code)
                .unwrap_or_else(|| "—".into()),
            id.confidence,
        )?;
        for c in id.crates.iter().filter(|c| c.repo.is_some()) {
            let sel = c.pin.as_ref().map(|p| format!("{}@{}", p.repo, p.rev));
            let findings = sel
                .as_ref()
                .and_then(|s| item.crate_rules.get(s))
                .filter(|r| !r.is_empty())
                .map(|r| format!(": {}", md_text(&rules_state(r))))
                .unwrap_or_default();
            details.push(format!(
                "- {}: crate {} -> {}{findings}",
                md_code(&item.artifact.path),
                md_code(&c.found.label()),
                match (&c.pin, &c.repo) {
                    (Some(p), _) => format!(
                        "{} ({})",
                        md_link(
                            &format!("{}@{}", p.repo, p.rev),
                            &crate::index::citation::tree_link(&p.url, &p.commit)
                        ),
                        c.confidence
                    ),
                    (None, Some(r)) => format!("{} (no pinned revision declares it)", md_text(r)),
                    (None, None) => "—".into(),
                }
            ));
        }
        if let Some(m) = id.function_table.as_ref().and_then(|ft| ft.main())
            && m.missing_total > 0
        {
            let listed: Vec<String> = m
                .missing
                .iter()
                .map(|f| {
                    format!(
                        "{} ({})",
                        md_code(&f.function),
                        f.first_in
                            .as_deref()
                            .map(|r| format!("first in {}", md_text(r)))
                            .unwrap_or_else(|| "in no pinned revision".into())
                    )
                })
                .collect();
            details.push(format!(
                "- {}: {} function(s) not in {}{}: {}",
                md_code(&item.artifact.path),
                m.missing_total,
                md_code(&format!(
                    "{}@{}",
                    m.repo,
                    m.compared_with.as_deref().unwrap_or("")
                )),
                if m.missing_in_later > 0 {
                    format!(
                        " ({} declared in later pinned releases: backported or newer code, or code of a release that is not pinned)",
                        m.missing_in_later
                    )
                } else {
                    String::new()
                },
                listed.join(", ")
            ));
        }
    }
    if !details.is_empty() {
        writeln!(out)?;
        for d in details {
            writeln!(out, "{d}")?;
        }
    }
    Ok(())
}
