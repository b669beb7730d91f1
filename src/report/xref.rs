//! Printers for `archeo defs`, `refs`, `callers`, `callees` and `path`: each site with its
//! citation, the revisions holding it and what the edge rests on (exact, dispatch, by-name);
//! a plain sentence when nothing was found. Formats only.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use termcolor::{Color, WriteColor};

use super::json::{CiteJson, record};
use super::{cite_header, dim, md_code, md_link, md_text, report, spec};
use crate::query::xref::{Ask, PathReport, XrefReport, XrefSite};

report!(XrefReport, xref_text, xref_json, xref_markdown);
report!(PathReport, path_text, path_json, path_markdown);

/// `call, exact`; `value, by-name`; for a definition, its kind.
fn edge_words(s: &XrefSite) -> String {
    match s.edge {
        Some((kind, certainty)) => {
            let kind = match kind {
                crate::lang::RefKind::Call => "call",
                crate::lang::RefKind::Value => "value",
            };
            format!("{kind}, {}", certainty.as_str())
        }
        None => s.to.clone(),
    }
}

/// `3 call sites`, `1 definition`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// The sentence under the results: how many, of what, where; or that the name is unknown.
pub fn summary(r: &XrefReport) -> String {
    if !r.known {
        let mut s = format!(
            "no declaration or reference named {} in {}",
            r.name, r.scope
        );
        if !r.suggestions.is_empty() {
            s.push_str(&format!("; did you mean {}?", r.suggestions.join(", ")));
        }
        return s;
    }
    let what = match r.ask {
        Ask::Callees => format!("{} made by {}", count(r.sites.len(), r.ask.noun()), r.name),
        _ => format!("{} of {}", count(r.sites.len(), r.ask.noun()), r.name),
    };
    format!("{what} in {}", r.scope)
}

/// `path:line:col`, or `path:start` for a definition.
fn place(s: &XrefSite) -> String {
    if s.col > 0 {
        format!("{}:{}:{}", s.cite.path, s.cite.start, s.col)
    } else {
        format!("{}:{}", s.cite.path, s.cite.start)
    }
}

fn site_text(out: &mut dyn WriteColor, s: &XrefSite, ask: Option<Ask>) -> Result<()> {
    cite_header(out, &s.cite, &place(s), Some(&s.from))?;
    write!(out, "  ")?;
    if s.edge.is_some() {
        if s.depth > 1 && matches!(ask, Some(Ask::Callers { .. })) {
            write!(out, "depth {} ", s.depth)?;
        }
        write!(out, "→ ")?;
        out.set_color(&spec(Color::Green, true))?;
        write!(out, "{}", s.to)?;
        out.reset()?;
        write!(out, "  {}", edge_words(s))?;
        if !s.written.is_empty() && !s.to.ends_with(s.written.as_str()) {
            write!(out, " · as {}", s.written)?;
        }
    } else {
        write!(out, "{} {}", s.to, s.from)?;
    }
    writeln!(out)?;
    out.set_color(&dim())?;
    writeln!(out, "  {}", s.cite.url)?;
    out.reset()?;
    Ok(())
}

fn xref_text(out: &mut dyn WriteColor, r: &XrefReport) -> Result<()> {
    for s in &r.sites {
        site_text(out, s, Some(r.ask))?;
        writeln!(out)?;
    }
    writeln!(out, "{}", summary(r))?;
    Ok(())
}

#[derive(Serialize)]
struct SiteJson<'a> {
    name: &'a str,
    from: &'a str,
    to: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    edge: Option<crate::lang::RefKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    certainty: Option<&'static str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    written: &'a str,
    depth: u32,
    col: u32,
    cite: CiteJson<'a>,
}

fn site_json<'a>(name: &'a str, s: &'a XrefSite) -> SiteJson<'a> {
    SiteJson {
        name,
        from: &s.from,
        to: &s.to,
        edge: s.edge.map(|(k, _)| k),
        certainty: s.edge.map(|(_, c)| c.as_str()),
        written: &s.written,
        depth: s.depth,
        col: s.col,
        cite: CiteJson::of(&s.cite),
    }
}

fn xref_json(out: &mut dyn Write, r: &XrefReport) -> Result<()> {
    let kind = match r.ask {
        Ask::Defs => "definition",
        Ask::Refs => "reference",
        Ask::Callers { .. } => "caller",
        Ask::Callees => "callee",
    };
    for s in &r.sites {
        record(out, kind, &site_json(&r.name, s))?;
    }
    Ok(())
}

fn xref_markdown(out: &mut dyn Write, r: &XrefReport) -> Result<()> {
    writeln!(out, "{}", md_text(&summary(r)))?;
    if r.sites.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    if r.ask == Ask::Defs {
        writeln!(out, "| definition | kind | location | revisions |")?;
        writeln!(out, "| --- | --- | --- | --- |")?;
    } else {
        writeln!(out, "| depth | from | to | edge | location | revisions |")?;
        writeln!(out, "| --- | --- | --- | --- | --- | --- |")?;
    }
    for s in &r.sites {
        let loc = md_link(
            &format!("{}@{} {}", s.cite.repo, s.cite.rev, place(s)),
            &s.cite.url,
        );
        if r.ask == Ask::Defs {
            writeln!(
                out,
                "| {} | {} | {loc} | {} |",
                md_code(&s.from),
                s.to,
                md_text(&s.cite.revs_display)
            )?;
        } else {
            writeln!(
                out,
                "| {} | {} | {} | {} | {loc} | {} |",
                s.depth,
                md_code(&s.from),
                md_code(&s.to),
                edge_words(s),
                md_text(&s.cite.revs_display)
            )?;
        }
    }
    Ok(())
}

/// The sentence under a path report.
pub fn path_summary(r: &PathReport) -> String {
    if !r.unknown.is_empty() {
        let mut s = format!(
            "no declaration or reference named {} in {}",
            r.unknown.join(" or "),
            r.scope
        );
        if !r.suggestions.is_empty() {
            s.push_str(&format!("; did you mean {}?", r.suggestions.join(", ")));
        }
        return s;
    }
    if r.paths.is_empty() {
        return format!("no call path from {} to {} in {}", r.from, r.to, r.scope);
    }
    format!(
        "{} from {} to {} in {}",
        count(r.paths.len(), "shortest call path"),
        r.from,
        r.to,
        r.scope
    )
}

fn path_text(out: &mut dyn WriteColor, r: &PathReport) -> Result<()> {
    for (i, p) in r.paths.iter().enumerate() {
        out.set_color(&spec(Color::Yellow, true))?;
        writeln!(
            out,
            "path {} ({} hop{})",
            i + 1,
            p.hops.len(),
            if p.hops.len() == 1 { "" } else { "s" }
        )?;
        out.reset()?;
        for h in &p.hops {
            site_text(out, h, None)?;
        }
        writeln!(out)?;
    }
    writeln!(out, "{}", path_summary(r))?;
    Ok(())
}

#[derive(Serialize)]
struct PathJson<'a> {
    from: &'a str,
    to: &'a str,
    hops: Vec<SiteJson<'a>>,
}

fn path_json(out: &mut dyn Write, r: &PathReport) -> Result<()> {
    for p in &r.paths {
        record(
            out,
            "path",
            &PathJson {
                from: &r.from,
                to: &r.to,
                hops: p.hops.iter().map(|h| site_json(&r.to, h)).collect(),
            },
        )?;
    }
    Ok(())
}

fn path_markdown(out: &mut dyn Write, r: &PathReport) -> Result<()> {
    writeln!(out, "{}", md_text(&path_summary(r)))?;
    for (i, p) in r.paths.iter().enumerate() {
        writeln!(out)?;
        writeln!(out, "Path {}:", i + 1)?;
        writeln!(out)?;
        for (n, h) in p.hops.iter().enumerate() {
            writeln!(
                out,
                "{}. {} → {} ({}) at {} — {}",
                n + 1,
                md_code(&h.from),
                md_code(&h.to),
                edge_words(h),
                md_link(
                    &format!("{}@{} {}", h.cite.repo, h.cite.rev, place(h)),
                    &h.cite.url
                ),
                md_text(&h.cite.revs_display)
            )?;
        }
    }
    Ok(())
}
