//! Printers for `archeo findings`: findings grouped by rule, JSON Lines, a Markdown table.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use termcolor::{Color, WriteColor};

use super::json::{CiteJson, record};
use super::{cite_header, dim, facts_text, md_code, md_link, md_text, report, spec};
use crate::query::findings::FindingHit;

report!(Vec<FindingHit>, text, json, markdown);

fn text(out: &mut dyn WriteColor, hits: &Vec<FindingHit>) -> Result<()> {
    let mut rule = "";
    for h in hits {
        if h.rule != rule {
            if !rule.is_empty() {
                writeln!(out)?;
            }
            out.set_color(&spec(Color::Cyan, true))?;
            write!(out, "{}", h.rule)?;
            out.reset()?;
            writeln!(out)?;
            rule = &h.rule;
        }
        let c = &h.cite;
        cite_header(out, c, &c.location(), h.symbol.as_deref())?;
        if !h.facts.is_empty() {
            writeln!(out, "  facts: {}", facts_text(&h.facts))?;
        }
        for (i, l) in h.text.lines().enumerate().take(6) {
            writeln!(
                out,
                "  {}{}",
                if i == 0 { "> " } else { "  " },
                l.trim_end()
            )?;
        }
        if h.text.lines().count() > 6 {
            writeln!(out, "    …")?;
        }
        out.set_color(&dim())?;
        write!(out, "  {}", c.url)?;
        out.reset()?;
        writeln!(out)?;
    }
    let files: std::collections::HashSet<(&str, &str, &str)> = hits
        .iter()
        .map(|h| {
            (
                h.cite.repo.as_str(),
                h.cite.path.as_str(),
                h.cite.blob.as_str(),
            )
        })
        .collect();
    if !hits.is_empty() {
        writeln!(out)?;
    }
    writeln!(
        out,
        "{} finding{} in {} file version{}",
        hits.len(),
        if hits.len() == 1 { "" } else { "s" },
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    )?;
    Ok(())
}

/// One finding as a JSON Lines record (`"type": "finding"`).
#[derive(Serialize)]
struct FindingJson<'a> {
    rule: &'a str,
    cite: CiteJson<'a>,
    symbol: Option<&'a str>,
    text: &'a str,
    facts: &'a BTreeMap<String, Vec<String>>,
}

fn json(out: &mut dyn Write, hits: &Vec<FindingHit>) -> Result<()> {
    for h in hits {
        record(
            out,
            "finding",
            &FindingJson {
                rule: &h.rule,
                cite: CiteJson::of(&h.cite),
                symbol: h.symbol.as_deref(),
                text: &h.text,
                facts: &h.facts,
            },
        )?;
    }
    Ok(())
}

fn markdown(out: &mut dyn Write, hits: &Vec<FindingHit>) -> Result<()> {
    writeln!(
        out,
        "| rule | revisions | location | symbol | excerpt | facts |"
    )?;
    writeln!(out, "| --- | --- | --- | --- | --- | --- |")?;
    for h in hits {
        let c = &h.cite;
        writeln!(
            out,
            "| {} | {}@{} ({}) | {} | {} | {} | {} |",
            md_code(&h.rule),
            c.repo,
            md_text(&c.rev),
            md_text(&c.revs_display),
            md_link(&c.location(), &c.url),
            h.symbol.as_deref().map(md_code).unwrap_or_default(),
            md_code(h.text.lines().next().unwrap_or("")),
            md_text(&facts_text(&h.facts))
        )?;
    }
    Ok(())
}
