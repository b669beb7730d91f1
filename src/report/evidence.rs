//! Evidence blocks: search hits and rule findings rendered as Markdown a reviewer can trust:
//! a caption naming every cited revision's full commit, then a table (or a list with code).
//! Deterministic: the same index and arguments give the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write;

use anyhow::{Result, bail};

use crate::index::Index;
use crate::index::citation::Citation;
use crate::query::findings::{FindingHit, Selection};
use crate::query::search::{Hit, Scope};
use crate::report::{facts_text, md_code, md_code_block, md_link, md_text};
use crate::source::lock::RefKind;

/// How an evidence block lays out its places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Style {
    /// One table row per place.
    #[default]
    Table,
    /// A citation and a code block per place.
    List,
}

/// What an evidence block shows.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// A search query.
    pub query: Option<String>,
    /// Rule ids (findings; with a query: hits inside them).
    pub rules: Vec<String>,
    /// Revisions and paths.
    pub scope: Scope,
    /// At most this many places.
    pub limit: Option<usize>,
    /// Lines of context in list style.
    pub context: usize,
    /// Table or list.
    pub style: Style,
    /// At most this many lines in a list code block (0: all).
    pub max_lines: usize,
}

/// One row: a hit or a finding, cited at the newest selected revision holding it.
struct Row {
    cite: Citation,
    symbol: Option<String>,
    excerpt: String,
    rule: Option<String>,
    facts: String,
    context: Vec<(u32, String)>,
}

impl Row {
    /// `also in v1.2.8, v1.3.3..main (5 revs)` when more than the cited revision holds it.
    fn others(&self) -> String {
        if self.cite.revs.len() > 1 {
            format!("also in {}", self.cite.revs_display)
        } else {
            String::new()
        }
    }
}

fn excerpt(text: &str) -> String {
    let joined = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if joined.chars().count() > 160 {
        format!("{}…", joined.chars().take(159).collect::<String>())
    } else {
        joined
    }
}

fn lang_of(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("go") => "go",
        Some("sh") | Some("bash") => "sh",
        Some("c") | Some("h") => "c",
        Some("rs") => "rust",
        Some("md") => "markdown",
        Some("json") => "json",
        Some("yaml") | Some("yml") => "yaml",
        _ => "text",
    }
}

/// Builds the Markdown evidence block for a request.
pub fn build(index: &Index, req: &Request) -> Result<String> {
    if req.query.is_none() && req.rules.is_empty() {
        bail!("evidence needs a QUERY, a --rule ID, or both");
    }
    let (rows, total) = rows(index, req)?;
    let mut out = caption(index, req, &rows, total)?;
    if rows.is_empty() {
        writeln!(out, "_No matches in the pinned revisions._")?;
        return Ok(out);
    }
    match req.style {
        Style::Table => table(&mut out, &rows)?,
        Style::List => list(&mut out, &rows, req.max_lines)?,
    }
    Ok(out)
}

/// The rows (search hits, or findings) and how many there were before --limit.
fn rows(index: &Index, req: &Request) -> Result<(Vec<Row>, usize)> {
    if let Some(q) = &req.query {
        let mut text = q.clone();
        for r in &req.rules {
            text.push_str(&format!(" rule:{r}"));
        }
        let query = crate::query::syntax::Query::parse(&text)?;
        let res = crate::query::search::search(index, &query, &req.scope, req.context, req.limit)?;
        return Ok((res.hits.iter().map(hit_row).collect(), res.total));
    }
    let sel = Selection {
        rules: req.rules.clone(),
        scope: req.scope.clone(),
    };
    let mut found = crate::query::findings::query(index, &sel)?;
    let total = found.len();
    if let Some(l) = req.limit {
        found.truncate(l);
    }
    let with_code = req.style == Style::List;
    let rows = found
        .iter()
        .map(|f| finding_row(index, f, req.context, with_code))
        .collect::<Result<_>>()?;
    Ok((rows, total))
}

/// The caption: what was asked, how many places, and every cited revision's full commit.
fn caption(index: &Index, req: &Request, rows: &[Row], total: usize) -> Result<String> {
    let mut out = String::new();
    let mut asked = Vec::new();
    if let Some(q) = &req.query {
        asked.push(format!("search {}", md_code(q)));
    }
    if !req.rules.is_empty() {
        asked.push(format!(
            "rule{} {}",
            if req.rules.len() == 1 { "" } else { "s" },
            req.rules
                .iter()
                .map(|r| md_code(r))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut scope = Vec::new();
    for a in &req.scope.at {
        scope.push(format!("at {}", md_code(a)));
    }
    for r in &req.scope.repos {
        scope.push(format!("repo {}", md_code(r)));
    }
    if let Some(p) = &req.scope.path {
        scope.push(format!("path {}", md_code(p)));
    }
    if req.scope.no_vendor {
        scope.push("vendored code left out".into());
    }
    let shown = if total > rows.len() {
        format!(" (first {} of {total})", rows.len())
    } else {
        String::new()
    };
    writeln!(
        out,
        "**Evidence** ({}{}): {} {}{shown}.",
        asked.join(" and "),
        if scope.is_empty() {
            String::new()
        } else {
            format!("; {}", scope.join(", "))
        },
        rows.len(),
        if rows.len() == 1 { "place" } else { "places" }
    )?;
    // Every cited revision with its full commit; branches say so.
    let mut cited: BTreeMap<(String, String), (String, RefKind)> = BTreeMap::new();
    for r in rows {
        let c = &r.cite;
        if let Some(ir) = index.find(&c.repo, &c.rev) {
            cited.insert((c.repo.clone(), c.rev.clone()), (c.commit.clone(), ir.kind));
        }
    }
    if !cited.is_empty() {
        writeln!(out)?;
        let list: Vec<String> = cited
            .iter()
            .map(|((repo, rev), (commit, kind))| {
                let k = if *kind == RefKind::Branch {
                    " (branch, as pinned)"
                } else {
                    ""
                };
                format!("{} = `{commit}`{k}", md_code(&format!("{repo}@{rev}")))
            })
            .collect();
        writeln!(out, "Revisions: {}.", list.join("; "))?;
    }
    writeln!(out)?;
    Ok(out)
}

/// One row per place.
fn table(out: &mut String, rows: &[Row]) -> Result<()> {
    let with_rules = rows.iter().any(|r| r.rule.is_some());
    if with_rules {
        writeln!(
            out,
            "| revision | location | symbol | excerpt | rule | facts |"
        )?;
        writeln!(out, "| --- | --- | --- | --- | --- | --- |")?;
    } else {
        writeln!(out, "| revision | location | symbol | excerpt |")?;
        writeln!(out, "| --- | --- | --- | --- |")?;
    }
    for r in rows {
        let c = &r.cite;
        let others = r.others();
        let rev = format!(
            "{}@{} (`{}`){}",
            c.repo,
            md_text(&c.rev),
            &c.commit[..12],
            if others.is_empty() {
                String::new()
            } else {
                format!("<br>{}", md_text(&others))
            }
        );
        let mut loc = md_link(&c.location(), &c.url);
        if let Some(v) = &c.vendored_module {
            loc.push_str(&format!("<br>vendored {}", md_text(v)));
        }
        let sym = r.symbol.as_deref().map(md_code).unwrap_or_default();
        if with_rules {
            writeln!(
                out,
                "| {rev} | {loc} | {sym} | {} | {} | {} |",
                md_code(&r.excerpt),
                r.rule.as_deref().map(md_code).unwrap_or_default(),
                md_text(&r.facts)
            )?;
        } else {
            writeln!(out, "| {rev} | {loc} | {sym} | {} |", md_code(&r.excerpt))?;
        }
    }
    Ok(())
}

/// A citation and a code block per place, each block at most `max_lines` long (0: no cap).
fn list(out: &mut String, rows: &[Row], max_lines: usize) -> Result<()> {
    for (i, r) in rows.iter().enumerate() {
        let c = &r.cite;
        if i > 0 {
            writeln!(out)?;
        }
        write!(
            out,
            "- {}@{} (`{}`) {}",
            c.repo,
            md_text(&c.rev),
            &c.commit[..12],
            md_link(&c.location(), &c.url)
        )?;
        if let Some(s) = &r.symbol {
            write!(out, " in {}", md_code(s))?;
        }
        if let Some(rule) = &r.rule {
            write!(out, ", rule {}", md_code(rule))?;
        }
        if !r.facts.is_empty() {
            write!(out, ": {}", md_text(&r.facts))?;
        }
        if let Some(v) = &c.vendored_module {
            write!(out, "; vendored {}", md_text(v))?;
        }
        let others = r.others();
        if !others.is_empty() {
            write!(out, " ({})", md_text(&others))?;
        }
        writeln!(out)?;
        writeln!(out)?;
        let shown = if max_lines == 0 {
            r.context.len()
        } else {
            r.context.len().min(max_lines)
        };
        let lines: Vec<&str> = r.context[..shown].iter().map(|(_, l)| l.as_str()).collect();
        md_code_block(out, "  ", lang_of(&c.path), &lines)?;
        let more = r.context.len() - shown;
        if more > 0 {
            writeln!(
                out,
                "\n  … {more} more line{} at the permalink",
                if more == 1 { "" } else { "s" }
            )?;
        }
    }
    Ok(())
}

fn hit_row(h: &Hit) -> Row {
    let mut context: Vec<(u32, String)> = h.before.clone();
    context.push((h.line(), h.text.clone()));
    context.extend(h.after.iter().cloned());
    Row {
        cite: h.cite.clone(),
        symbol: h.symbol.clone(),
        excerpt: excerpt(&h.text),
        rule: None,
        facts: String::new(),
        context,
    }
}

/// A finding's row; the file is read for code context only when a list will print it.
fn finding_row(index: &Index, f: &FindingHit, context: usize, with_code: bool) -> Result<Row> {
    let mut lines: Vec<(u32, String)> = Vec::new();
    if let Some(file) = if with_code {
        index.file_by_blob(&f.cite.blob)?
    } else {
        None
    } {
        file.verify()?;
        let all: Vec<&str> = file.content.lines().collect();
        let from = (f.cite.start as usize).saturating_sub(1 + context);
        let to = ((f.cite.end as usize) + context).min(all.len());
        for (i, l) in all.iter().enumerate().take(to).skip(from) {
            lines.push((i as u32 + 1, l.to_string()));
        }
    }
    Ok(Row {
        cite: f.cite.clone(),
        symbol: f.symbol.clone(),
        excerpt: excerpt(&f.text),
        rule: Some(f.rule.clone()),
        facts: facts_text(&f.facts),
        context: lines,
    })
}
