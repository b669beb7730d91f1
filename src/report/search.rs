//! Printers for `archeo search` results: hits grouped by file version (ripgrep-like), JSON
//! Lines, a Markdown table.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use termcolor::{Color, WriteColor};

use super::{dim, json_line, md_code, md_link, md_text, report, spec};
use crate::index::citation::RevRef;
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
        let h0 = g[0];
        if gi > 0 {
            writeln!(out)?;
        }
        let c0 = &h0.cite;
        out.set_color(&spec(Color::Magenta, true))?;
        write!(out, "{}@{} {}", c0.repo, c0.rev, c0.path)?;
        out.reset()?;
        writeln!(out)?;
        out.set_color(&dim())?;
        write!(out, "  {}", c0.revs_display)?;
        if let Some(m) = &c0.vendored_module {
            write!(out, " · vendored {m}")?;
        }
        out.reset()?;
        writeln!(out)?;
        let mut last_printed = 0u32;
        for h in g {
            for (n, t) in &h.before {
                if *n > last_printed {
                    if last_printed > 0 && *n > last_printed + 1 {
                        writeln!(out, "--")?;
                    }
                    out.set_color(&spec(Color::Green, false))?;
                    write!(out, "{n}")?;
                    out.reset()?;
                    writeln!(out, "-{t}")?;
                    last_printed = *n;
                }
            }
            if h.line() <= last_printed {
                // Already shown as context of an earlier hit; nothing to add.
            } else {
                if last_printed > 0 && h.line() > last_printed + 1 && !h.before.is_empty() {
                    writeln!(out, "--")?;
                }
            }
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
            last_printed = last_printed.max(h.line());
            for (n, t) in &h.after {
                if *n > last_printed {
                    out.set_color(&spec(Color::Green, false))?;
                    write!(out, "{n}")?;
                    out.reset()?;
                    writeln!(out, "-{t}")?;
                    last_printed = *n;
                }
            }
        }
        out.set_color(&dim())?;
        write!(out, "  {}", c0.url.split("#L").next().unwrap_or(""))?;
        out.reset()?;
        writeln!(out)?;
    }
    let files = gs.len();
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
    if !r.hits.is_empty() {
        writeln!(out)?;
    }
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

/// One hit as a JSON Lines object.
#[derive(Serialize)]
struct HitJson<'a> {
    repo: &'a str,
    path: &'a str,
    line: u32,
    text: &'a str,
    symbol: Option<&'a str>,
    vendored_module: Option<&'a str>,
    revs: &'a [RevRef],
    url: &'a str,
}

fn json(out: &mut dyn Write, r: &Results) -> Result<()> {
    for h in &r.hits {
        let c = &h.cite;
        json_line(
            out,
            &HitJson {
                repo: &c.repo,
                path: &c.path,
                line: c.start,
                text: &h.text,
                symbol: h.symbol.as_deref(),
                vendored_module: c.vendored_module.as_deref(),
                revs: &c.revs,
                url: &c.url,
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
            c.rev,
            md_text(&c.revs_display),
            md_link(&c.location(), &c.url),
            h.symbol.as_deref().map(md_code).unwrap_or_default(),
            md_code(&h.text)
        )?;
    }
    Ok(())
}
