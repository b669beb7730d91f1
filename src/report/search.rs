//! Printers for `archeo search` results: hits grouped by file version (ripgrep-like), JSON
//! Lines, a Markdown table.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use termcolor::{Color, WriteColor};

use super::json::{CiteJson, record};
use super::{cite_header, dim, md_code, md_link, md_text, report, spec};
use crate::query::search::{Hit, Results};

report!(Results, text, json, markdown);

/// Groups hits by file version, keeping the order of first appearance.
fn groups(hits: &[Hit]) -> Vec<Vec<&Hit>> {
    let mut out: Vec<Vec<&Hit>> = Vec::new();
    let mut index: std::collections::HashMap<(&str, &str, &str), usize> = Default::default();
    for h in hits {
        let c = &h.cite;
        let k = (c.repo.as_str(), c.path.as_str(), c.blob.as_str());
        match index.get(&k) {
            Some(&i) => out[i].push(h),
            None => {
                index.insert(k, out.len());
                out.push(vec![h]);
            }
        }
    }
    for g in &mut out {
        g.sort_by_key(|h| h.line());
    }
    out
}

fn text(out: &mut dyn WriteColor, r: &Results) -> Result<()> {
    let gs = groups(&r.hits);
    for (gi, g) in gs.iter().enumerate() {
        if gi > 0 {
            writeln!(out)?;
        }
        group_text(out, g)?;
    }
    if !r.hits.is_empty() {
        writeln!(out)?;
    }
    summary_text(out, r, gs.len())
}

/// One file version: a header (where, which revisions), its lines with context, the permalink.
fn group_text(out: &mut dyn WriteColor, g: &[&Hit]) -> Result<()> {
    let c0 = &g[0].cite;
    cite_header(out, c0, &c0.path, None)?;
    let mut last = 0u32;
    for h in g {
        for (n, t) in &h.before {
            if *n > last {
                if last > 0 && *n > last + 1 {
                    writeln!(out, "--")?;
                }
                context_line(out, *n, t)?;
                last = *n;
            }
        }
        if h.line() > last && last > 0 && h.line() > last + 1 && !h.before.is_empty() {
            writeln!(out, "--")?;
        }
        hit_line(out, h)?;
        last = last.max(h.line());
        for (n, t) in &h.after {
            if *n > last {
                context_line(out, *n, t)?;
                last = *n;
            }
        }
    }
    out.set_color(&dim())?;
    write!(out, "  {}", c0.url.split("#L").next().unwrap_or(""))?;
    out.reset()?;
    writeln!(out)?;
    Ok(())
}

/// `12-text`: a context line.
fn context_line(out: &mut dyn WriteColor, n: u32, t: &str) -> Result<()> {
    out.set_color(&spec(Color::Green, false))?;
    write!(out, "{n}")?;
    out.reset()?;
    writeln!(out, "-{t}")?;
    Ok(())
}

/// `12:text  ‹symbol›` with the matches highlighted.
fn hit_line(out: &mut dyn WriteColor, h: &Hit) -> Result<()> {
    out.set_color(&spec(Color::Green, true))?;
    write!(out, "{}", h.line())?;
    out.reset()?;
    write!(out, ":")?;
    let mut pos = 0;
    for &(s, e) in &merge(&h.ranges) {
        if s < pos || e > h.text.len() {
            continue;
        }
        write!(out, "{}", &h.text[pos..s])?;
        out.set_color(&spec(Color::Red, true))?;
        write!(out, "{}", &h.text[s..e])?;
        out.reset()?;
        pos = e;
    }
    write!(out, "{}", &h.text[pos..])?;
    if let Some(s) = &h.symbol {
        out.set_color(&dim())?;
        write!(out, "  ‹{s}›")?;
        out.reset()?;
    }
    writeln!(out)?;
    Ok(())
}

/// `3 hits in 2 file versions across 4 of 99 revisions searched`.
fn summary_text(out: &mut dyn WriteColor, r: &Results, files: usize) -> Result<()> {
    let revs: std::collections::HashSet<(&str, &str)> = r
        .hits
        .iter()
        .flat_map(|h| {
            h.cite
                .revs
                .iter()
                .map(move |v| (h.cite.repo.as_str(), v.commit.as_str()))
        })
        .collect();
    let shown = if r.total > r.hits.len() {
        format!(" (showing {}; raise --limit)", r.hits.len())
    } else {
        String::new()
    };
    writeln!(
        out,
        "{} hit{} in {} file version{} across {} of {} revisions searched{shown}",
        r.total,
        if r.total == 1 { "" } else { "s" },
        files,
        if files == 1 { "" } else { "s" },
        revs.len(),
        r.revisions_searched
    )?;
    Ok(())
}

fn merge(r: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut v = r.to_vec();
    v.sort();
    let mut out: Vec<(usize, usize)> = Vec::new();
    for (s, e) in v {
        match out.last_mut() {
            Some(l) if s <= l.1 => l.1 = l.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// One hit as a JSON Lines record (`"type": "hit"`).
#[derive(Serialize)]
struct HitJson<'a> {
    cite: CiteJson<'a>,
    text: &'a str,
    symbol: Option<&'a str>,
}

fn json(out: &mut dyn Write, r: &Results) -> Result<()> {
    for h in &r.hits {
        record(
            out,
            "hit",
            &HitJson {
                cite: CiteJson::of(&h.cite),
                text: &h.text,
                symbol: h.symbol.as_deref(),
            },
        )?;
    }
    Ok(())
}

fn markdown(out: &mut dyn Write, r: &Results) -> Result<()> {
    writeln!(out, "| revisions | location | symbol | excerpt |")?;
    writeln!(out, "| --- | --- | --- | --- |")?;
    for h in &r.hits {
        let c = &h.cite;
        writeln!(
            out,
            "| {}@{} ({}) | {} | {} | {} |",
            c.repo,
            md_text(&c.rev),
            md_text(&c.revs_display),
            md_link(&c.location(), &c.url),
            h.symbol.as_deref().map(md_code).unwrap_or_default(),
            md_code(&h.text)
        )?;
    }
    Ok(())
}
