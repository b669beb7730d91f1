//! Printers for `archeo search` results: hits grouped by file version (ripgrep-like, every
//! group closed by a `#L` permalink to its lines), the `-l` and `-c` file lists, JSON Lines, a
//! Markdown table. Totals count every hit, whatever `--limit` showed. Paths are printed with
//! control characters escaped: a file name from upstream cannot forge output lines.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use termcolor::{Color, WriteColor};

use super::json::{CiteJson, record};
use super::{cite_header, dim, md_code, md_link, md_text, report, spec};
use crate::index::citation::relined;
use crate::query::search::{Hit, Results};

report!(Results, text, json, markdown);

/// Groups hits by file version, keeping the order of first appearance.
fn groups(hits: &[Hit]) -> Vec<Vec<&Hit>> {
    let mut out: Vec<Vec<&Hit>> = Vec::new();
    let mut index: rustc_hash::FxHashMap<(&str, &str, &str), usize> = Default::default();
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
    summary_text(out, r)
}

/// How `-l` and `-c` list file versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileList {
    /// `repo@rev path`: the file versions with hits.
    Names,
    /// `repo@rev path:N`: and how many hits each holds.
    Counts,
}

/// `-l` / `-c`: one line per file version with hits, best first, no summary (for scripts).
pub fn files_text(out: &mut dyn WriteColor, r: &Results, how: FileList) -> Result<()> {
    for f in &r.files {
        let c = &f.cite;
        out.set_color(&spec(Color::Magenta, true))?;
        write!(out, "{}@{} {}", c.repo, c.rev, printable(&c.path))?;
        out.reset()?;
        match how {
            FileList::Names => writeln!(out)?,
            FileList::Counts => writeln!(out, ":{}", f.hits)?,
        }
    }
    Ok(())
}

/// A path as text: control characters (newline, tab, escape...) shown as escapes.
pub fn printable(path: &str) -> std::borrow::Cow<'_, str> {
    if !path.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(path);
    }
    std::borrow::Cow::Owned(
        path.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect(),
    )
}

/// One file version: a header (where, which revisions), its lines with context, the permalink
/// to the lines shown.
fn group_text(out: &mut dyn WriteColor, g: &[&Hit]) -> Result<()> {
    let c0 = &g[0].cite;
    cite_header(out, c0, &printable(&c0.path), None)?;
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
    let (first, end) = (g[0].line(), g[g.len() - 1].line());
    out.set_color(&dim())?;
    write!(out, "  {}", printable(&relined(&c0.url, first, end)))?;
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

/// Why a search shows fewer hits than it counted, when a bound (not `--limit`) cut it.
pub fn truncation_note(r: &Results) -> Option<String> {
    let t = r.truncated?;
    Some(format!(
        "more matched than a search keeps in memory ({} hits or file versions): these are the best {} by rank of {} hits in {} file versions; narrow the query (repo:, path:, a longer pattern) or lower --limit",
        t.bound,
        if r.files.is_empty() {
            r.hits.len()
        } else {
            r.files.len()
        },
        r.total,
        r.file_versions,
    ))
}

/// `3 hits in 2 file versions across 4 of 99 revisions searched`, counting every hit.
fn summary_text(out: &mut dyn WriteColor, r: &Results) -> Result<()> {
    let shown = if r.truncated.is_some() {
        format!(
            " (showing {}: more matched than a search keeps in memory; narrow the query or lower --limit)",
            r.hits.len()
        )
    } else if r.total > r.hits.len() {
        format!(" (showing {}; raise --limit)", r.hits.len())
    } else {
        String::new()
    };
    let files = r.file_versions;
    writeln!(
        out,
        "{} hit{} in {} file version{} across {} of {} revisions searched{shown}",
        r.total,
        if r.total == 1 { "" } else { "s" },
        files,
        if files == 1 { "" } else { "s" },
        r.revisions_hit,
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

/// The last record of a search a bound cut (`"type": "truncated"`).
#[derive(Serialize)]
struct TruncatedJson {
    reason: &'static str,
    bound: usize,
    shown: usize,
    total: usize,
    file_versions: usize,
    message: String,
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
    if let (Some(t), Some(message)) = (r.truncated, truncation_note(r)) {
        record(
            out,
            "truncated",
            &TruncatedJson {
                reason: t.reason.as_str(),
                bound: t.bound,
                shown: r.hits.len(),
                total: r.total,
                file_versions: r.file_versions,
                message,
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
    if let Some(note) = truncation_note(r) {
        writeln!(out, "\n_Cut short: {}._", md_text(&note))?;
    }
    Ok(())
}
