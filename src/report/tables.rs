//! Printers for the listing commands: `archeo pins` (the lock), `archeo stats` (what the index
//! holds) and `archeo rules list` / `rules test`.

use std::io::Write;

use anyhow::Result;
use termcolor::WriteColor;

use super::json::record;
use super::{md_text, report};
use crate::index::IndexStats;
use crate::index::build::IndexSummary;
use crate::rules::{RuleOrigin, RuleSet, RuleTest};
use crate::source::lock::Pin;
use crate::ui::human_bytes;

/// The lock's pins, as `archeo pins` prints them.
pub struct Pins(pub Vec<Pin>);

report!(Pins, pins_text, pins_json, pins_markdown);

fn pins_text(out: &mut dyn WriteColor, p: &Pins) -> Result<()> {
    let w =
        p.0.iter()
            .map(|p| p.repo.len() + p.rev.len() + 1)
            .max()
            .unwrap_or(0);
    for p in &p.0 {
        let sel = format!("{}@{}", p.repo, p.rev);
        writeln!(out, "{sel:<w$}  {:<6}  {}", p.kind.as_str(), p.commit)?;
    }
    Ok(())
}

fn pins_json(out: &mut dyn Write, p: &Pins) -> Result<()> {
    for p in &p.0 {
        record(
            out,
            "pin",
            &serde_json::json!({
                "repo": p.repo, "url": p.url, "rev": p.rev, "kind": p.kind.as_str(), "commit": p.commit,
            }),
        )?;
    }
    Ok(())
}

fn pins_markdown(out: &mut dyn Write, p: &Pins) -> Result<()> {
    writeln!(
        out,
        "| repo | rev | kind | commit |\n| --- | --- | --- | --- |"
    )?;
    for p in &p.0 {
        writeln!(
            out,
            "| {} | {} | {} | `{}` |",
            p.repo,
            md_text(&p.rev),
            p.kind.as_str(),
            p.commit
        )?;
    }
    Ok(())
}

report!(IndexStats, stats_text, stats_json, stats_markdown);

fn stats_text(out: &mut dyn WriteColor, s: &IndexStats) -> Result<()> {
    let w = s
        .revisions
        .iter()
        .map(|r| r.repo.len() + r.rev.len() + 1)
        .max()
        .unwrap_or(0);
    for r in &s.revisions {
        let sel = format!("{}@{}", r.repo, r.rev);
        writeln!(
            out,
            "{sel:<w$}  {}  {:>6} files  {:>3} vendored modules",
            &r.commit[..12],
            r.files,
            r.vendor.len()
        )?;
    }
    writeln!(
        out,
        "{} revisions, {} distinct blobs, {} on disk",
        s.revisions.len(),
        s.blobs,
        human_bytes(s.bytes_on_disk)
    )?;
    Ok(())
}

fn stats_json(out: &mut dyn Write, s: &IndexStats) -> Result<()> {
    for r in &s.revisions {
        record(
            out,
            "revision",
            &serde_json::json!({
                "repo": r.repo, "url": r.url, "rev": r.rev, "kind": r.kind.as_str(), "commit": r.commit,
                "files": r.files, "vendored_modules": r.vendor,
                "submodules": r.submodules,
            }),
        )?;
    }
    record(
        out,
        "total",
        &serde_json::json!({"revisions": s.revisions.len(), "blobs": s.blobs, "documents": s.documents, "bytes_on_disk": s.bytes_on_disk, "rules": s.rules}),
    )
}

fn stats_markdown(out: &mut dyn Write, s: &IndexStats) -> Result<()> {
    writeln!(
        out,
        "| repo@rev | commit | files | vendored modules |\n| --- | --- | ---: | ---: |"
    )?;
    for r in &s.revisions {
        writeln!(
            out,
            "| {}@{} | `{}` | {} | {} |",
            r.repo,
            md_text(&r.rev),
            r.commit,
            r.files,
            r.vendor.len()
        )?;
    }
    Ok(())
}

/// The loaded rules, as `archeo rules list` prints them.
pub struct RuleList(pub RuleSet);

report!(RuleList, rules_text, rules_json, rules_markdown);

/// `id  title  (where it came from)`.
fn rules_text(out: &mut dyn WriteColor, rules: &RuleList) -> Result<()> {
    let rules = &rules.0.rules;
    let w = rules.iter().map(|r| r.meta.id.len()).max().unwrap_or(0);
    for r in rules {
        let from = match &r.origin {
            RuleOrigin::BuiltIn => "built-in".to_string(),
            RuleOrigin::Dir { overrides, .. } => match overrides {
                Some(o) => format!("{}, overrides {o}", r.file.display()),
                None => r.file.display().to_string(),
            },
        };
        writeln!(out, "{:<w$}  {}  ({from})", r.meta.id, r.meta.title)?;
    }
    Ok(())
}

/// One rule's metadata and origin (`"type": "rule"`).
#[derive(serde::Serialize)]
struct RuleJson<'a> {
    id: &'a str,
    title: &'a str,
    description: &'a str,
    category: &'a str,
    references: &'a [String],
    facts: &'a [String],
    lang: &'a str,
    origin: &'a str,
    file: String,
    overrides: Option<&'a str>,
}

fn rules_json(out: &mut dyn Write, rules: &RuleList) -> Result<()> {
    for r in &rules.0.rules {
        let (origin, overrides) = match &r.origin {
            RuleOrigin::BuiltIn => ("built-in", None),
            RuleOrigin::Dir { overrides, .. } => ("directory", overrides.as_deref()),
        };
        let m = &r.meta;
        record(
            out,
            "rule",
            &RuleJson {
                id: &m.id,
                title: &m.title,
                description: &m.description,
                category: &m.category,
                references: &m.references,
                facts: &m.facts,
                lang: r.lang.as_str(),
                origin,
                file: r.file.display().to_string(),
                overrides,
            },
        )?;
    }
    Ok(())
}

fn rules_markdown(out: &mut dyn Write, rules: &RuleList) -> Result<()> {
    writeln!(
        out,
        "| rule | title | category | from |\n| --- | --- | --- | --- |"
    )?;
    for r in &rules.0.rules {
        writeln!(
            out,
            "| {} | {} | {} | {} |",
            super::md_code(&r.meta.id),
            super::md_text(&r.meta.title),
            super::md_text(&r.meta.category),
            super::md_text(&r.origin.describe())
        )?;
    }
    Ok(())
}

/// `archeo rules test`: one line per rule and its problems; returns how many failed.
pub fn rules_test(out: &mut dyn Write, report: &[RuleTest]) -> Result<usize> {
    let mut failed = 0;
    for r in report {
        let status = if !r.problems.is_empty() {
            failed += 1;
            "FAIL"
        } else if r.valid == 0 {
            failed += 1;
            "NO POSITIVE TEST"
        } else {
            "ok"
        };
        writeln!(
            out,
            "{status:<5} {} ({} valid, {} invalid cases)",
            r.id, r.valid, r.invalid
        )?;
        for p in &r.problems {
            writeln!(out, "      {p}")?;
        }
    }
    writeln!(out, "{} passed, {} failed", report.len() - failed, failed)?;
    Ok(failed)
}

/// `1 revision`, `2 revisions`.
pub fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The line `archeo index` ends with.
pub fn index_summary(s: &IndexSummary, dry_run: bool) -> String {
    if dry_run {
        return format!(
            "dry run: read and parsed {} blobs ({:.1} MB, {} Go) of {} revisions in {:.2}s; nothing written",
            s.parsed_blobs,
            s.parsed_bytes as f64 / 1e6,
            s.go_files,
            s.revisions,
            s.seconds
        );
    }
    let mut extra = Vec::new();
    for (n, what) in [
        (s.binary, "binary"),
        (s.oversize, "over the size cap"),
        (s.lossy, "not UTF-8"),
        (s.unavailable, "unavailable in the cache (-v names them)"),
        (s.error_nodes, "syntax error nodes"),
    ] {
        if n > 0 {
            extra.push(format!("{n} {what}"));
        }
    }
    if s.dropped_revisions > 0 {
        extra.push(plural(s.dropped_revisions as u64, "revision", "revisions") + " dropped");
    }
    format!(
        "indexed {}: {} file occurrences, {} distinct blobs, {} parsed now ({:.1} MB, {} Go), {} in them, {:.1}s{}",
        plural(s.revisions as u64, "revision", "revisions"),
        s.occurrences,
        s.distinct_blobs,
        s.parsed_blobs,
        s.parsed_bytes as f64 / 1e6,
        s.go_files,
        plural(s.findings, "new finding", "new findings"),
        s.seconds,
        if extra.is_empty() {
            String::new()
        } else {
            format!("; {}", extra.join(", "))
        }
    )
}
