//! Printers for the listing commands: `archeo pins` (the lock), `archeo stats` (what the index
//! holds) and `archeo rules list` / `rules test`.

use std::io::Write;

use anyhow::Result;
use termcolor::WriteColor;

use super::{json_line, md_text, report};
use crate::index::IndexStats;
use crate::index::build::IndexSummary;
use crate::rules::{RuleSet, RuleTest};
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
        json_line(
            out,
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
        json_line(
            out,
            &serde_json::json!({
                "repo": r.repo, "rev": r.rev, "kind": r.kind.as_str(), "commit": r.commit,
                "files": r.files, "vendored_modules": r.vendor,
                "submodules": r.submodules,
            }),
        )?;
    }
    json_line(
        out,
        &serde_json::json!({"total": {"revisions": s.revisions.len(), "blobs": s.blobs, "documents": s.documents, "bytes_on_disk": s.bytes_on_disk}}),
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

/// `archeo rules list`: id, title and file of each loaded rule.
pub fn rules_list(out: &mut dyn Write, rules: &RuleSet) -> Result<()> {
    let w = rules
        .rules
        .iter()
        .map(|r| r.meta.id.len())
        .max()
        .unwrap_or(0);
    for r in &rules.rules {
        writeln!(
            out,
            "{:<w$}  {}  ({})",
            r.meta.id,
            r.meta.title,
            r.file.display()
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
        (s.oversize, "over size cap"),
        (s.lossy, "not UTF-8"),
        (s.unavailable, "unavailable in cache"),
        (s.error_nodes, "syntax error nodes"),
    ] {
        if n > 0 {
            extra.push(format!("{n} {what}"));
        }
    }
    if s.dropped_revisions > 0 {
        extra.push(format!("{} revisions dropped", s.dropped_revisions));
    }
    format!(
        "indexed {} revisions: {} file occurrences, {} distinct blobs, {} parsed now ({:.1} MB, {} Go), {} findings, {:.1}s{}",
        s.revisions,
        s.occurrences,
        s.distinct_blobs,
        s.parsed_blobs,
        s.parsed_bytes as f64 / 1e6,
        s.go_files,
        s.findings,
        s.seconds,
        if extra.is_empty() {
            String::new()
        } else {
            format!("; {}", extra.join(", "))
        }
    )
}
