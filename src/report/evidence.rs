//! Evidence blocks: search hits and rule findings rendered as Markdown a reviewer can trust:
//! a caption naming every cited revision's full commit, then a table (or a list with code).
//! Deterministic: the same index and arguments give the same bytes.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;

use anyhow::{Result, bail};

use crate::index::catalog::Catalog;
use crate::query::findings::FindingHit;
use crate::source::lock::RefKind;
use crate::report::render::{facts_text, location, md_code, md_link, md_text};
use crate::query::search::{Hit, Scope};
use crate::index::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Style {
    #[default]
    Table,
    List,
}

#[derive(Debug, Clone, Default)]
pub struct Request {
    pub query: Option<String>,
    pub rules: Vec<String>,
    pub scope: Scope,
    pub limit: Option<usize>,
    pub context: usize,
    pub style: Style,
}

/// One row: a hit or a finding, cited at the newest selected revision holding it.
struct Row {
    repo: String,
    rev: String,
    commit: String,
    path: String,
    start: u32,
    end: u32,
    symbol: Option<String>,
    excerpt: String,
    rule: Option<String>,
    facts: String,
    url: String,
    vendored: Option<String>,
    others: String,
    context: Vec<(u32, String)>,
    lang: &'static str,
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
        Some("md") => "markdown",
        Some("json") => "json",
        Some("yaml") | Some("yml") => "yaml",
        _ => "text",
    }
}

/// Builds the Markdown evidence block for a request.
pub fn build(index_dir: &Path, cat: &Catalog, store: &Store, req: &Request) -> Result<String> {
    if req.query.is_none() && req.rules.is_empty() {
        bail!("evidence needs a QUERY, a --rule ID, or both");
    }
    let mut rows: Vec<Row> = Vec::new();
    let total;
    match &req.query {
        Some(q) => {
            let mut text = q.clone();
            for r in &req.rules {
                text.push_str(&format!(" rule:{r}"));
            }
            let query = crate::query::syntax::Query::parse(&text)?;
            let res = crate::query::search::search(
                index_dir,
                cat,
                store,
                &query,
                &req.scope,
                req.context,
                req.limit,
            )?;
            total = res.total;
            rows.extend(res.hits.iter().map(|h| hit_row(cat, h)));
        }
        None => {
            let mut found = crate::query::findings::query(
                index_dir,
                cat,
                store,
                &req.rules,
                &req.scope.at,
                &req.scope.repos,
                req.scope.no_vendor,
            )?;
            if let Some(p) = &req.scope.path {
                let g = globset::Glob::new(p)?.compile_matcher();
                found.retain(|f| g.is_match(&f.path) || f.path.starts_with(p.as_str()));
            }
            total = found.len();
            if let Some(l) = req.limit {
                found.truncate(l);
            }
            for f in &found {
                rows.push(finding_row(
                    cat,
                    store,
                    f,
                    req.context,
                    req.style == Style::List,
                )?);
            }
        }
    }

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
    for r in &rows {
        if let Some(ir) = cat
            .revisions
            .iter()
            .find(|x| x.repo == r.repo && x.rev == r.rev)
        {
            cited.insert((r.repo.clone(), r.rev.clone()), (r.commit.clone(), ir.kind));
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
                format!("`{repo}@{rev}` = `{commit}`{k}")
            })
            .collect();
        writeln!(out, "Revisions: {}.", list.join("; "))?;
    }
    writeln!(out)?;
    if rows.is_empty() {
        writeln!(out, "_No matches in the pinned revisions._")?;
        return Ok(out);
    }
    let with_rules = rows.iter().any(|r| r.rule.is_some());
    match req.style {
        Style::Table => {
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
            for r in &rows {
                let rev = format!(
                    "{}@{} (`{}`){}",
                    r.repo,
                    md_text(&r.rev),
                    &r.commit[..12],
                    if r.others.is_empty() {
                        String::new()
                    } else {
                        format!("<br>{}", md_text(&r.others))
                    }
                );
                let mut loc = md_link(&location(&r.path, r.start, r.end), &r.url);
                if let Some(v) = &r.vendored {
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
        }
        Style::List => {
            for (i, r) in rows.iter().enumerate() {
                if i > 0 {
                    writeln!(out)?;
                }
                write!(
                    out,
                    "- {}@{} (`{}`) {}",
                    r.repo,
                    r.rev,
                    &r.commit[..12],
                    md_link(&location(&r.path, r.start, r.end), &r.url)
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
                if let Some(v) = &r.vendored {
                    write!(out, "; vendored {v}")?;
                }
                if !r.others.is_empty() {
                    write!(out, " ({})", r.others)?;
                }
                writeln!(out)?;
                writeln!(out)?;
                let fence = if r.context.iter().any(|(_, l)| l.contains("```")) {
                    "````"
                } else {
                    "```"
                };
                writeln!(out, "  {fence}{}", r.lang)?;
                for (_, l) in &r.context {
                    if l.trim().is_empty() {
                        writeln!(out)?;
                    } else {
                        writeln!(out, "  {l}")?;
                    }
                }
                writeln!(out, "  {fence}")?;
            }
        }
    }
    Ok(out)
}

fn cited_commit(cat: &Catalog, repo: &str, rev: &str) -> String {
    cat.revisions
        .iter()
        .find(|r| r.repo == repo && r.rev == rev)
        .map(|r| r.commit.clone())
        .unwrap_or_default()
}

fn others(display: &str, count: usize) -> String {
    if count > 1 {
        format!("also in {display}")
    } else {
        String::new()
    }
}

fn hit_row(cat: &Catalog, h: &Hit) -> Row {
    let rev = h.revs.last().map(|r| r.rev.clone()).unwrap_or_default();
    let mut context: Vec<(u32, String)> = h.before.clone();
    context.push((h.line, h.text.clone()));
    context.extend(h.after.iter().cloned());
    Row {
        commit: cited_commit(cat, &h.repo, &rev),
        repo: h.repo.clone(),
        rev,
        path: h.path.clone(),
        start: h.line,
        end: h.line,
        symbol: h.symbol.clone(),
        excerpt: excerpt(&h.text),
        rule: None,
        facts: String::new(),
        url: h.url.clone(),
        vendored: h.vendored_module.clone(),
        others: others(&h.revs_display, h.revs.len()),
        context,
        lang: lang_of(&h.path),
    }
}

/// A finding's row; the file is read for code context only when a list will print it.
fn finding_row(
    cat: &Catalog,
    store: &Store,
    f: &FindingHit,
    context: usize,
    with_code: bool,
) -> Result<Row> {
    let rev = f.revs.last().map(|r| r.rev.clone()).unwrap_or_default();
    let mut lines: Vec<(u32, String)> = Vec::new();
    if let Some(file) = if with_code {
        store.file_by_blob(&f.blob)?
    } else {
        None
    } {
        let all: Vec<&str> = file.content.lines().collect();
        let from = (f.start as usize).saturating_sub(1 + context);
        let to = ((f.end as usize) + context).min(all.len());
        for (i, l) in all.iter().enumerate().take(to).skip(from) {
            lines.push((i as u32 + 1, l.to_string()));
        }
    }
    Ok(Row {
        commit: cited_commit(cat, &f.repo, &rev),
        repo: f.repo.clone(),
        rev,
        path: f.path.clone(),
        start: f.start,
        end: f.end,
        symbol: f.symbol.clone(),
        excerpt: excerpt(&f.text),
        rule: Some(f.rule.clone()),
        facts: facts_text(&f.facts),
        url: f.url.clone(),
        vendored: f.vendored_module.clone(),
        others: others(&f.revs_display, f.revs.len()),
        context: lines,
        lang: lang_of(&f.path),
    })
}
