//! Printers for `archeo deps` (each revision's edges with what they point at) and `archeo
//! affected` (consumer release -> component version -> carries the target or not).

use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use termcolor::{Color, WriteColor};

use super::json::{CiteJson, record};
use super::{dim, md_code, md_link, md_text, report, spec};
use crate::deps::{Link, Resolution, Via};
use crate::query::deps::{AffectedReport, AffectedRow, Carries, DepsReport, EdgeAt};

report!(DepsReport, deps_text, deps_json, deps_markdown);
report!(
    AffectedReport,
    affected_text,
    affected_json,
    affected_markdown
);

/// `pinned`, `not pinned`, `unresolved`, `external`: what an edge's version is.
fn status(e: &EdgeAt) -> &'static str {
    match &e.link {
        Link::External => "external",
        Link::Ambiguous { .. } => "ambiguous",
        Link::Repo { resolution, .. } => match resolution {
            Resolution::Pinned { .. } => "pinned",
            Resolution::NotPinned { .. } => "not pinned",
            Resolution::InFile { .. } => "in file",
            Resolution::Ambiguous { .. } => "ambiguous",
            Resolution::Unresolved { .. } => "unresolved",
        },
    }
}

/// `runc@v1.3.3`, `runc: not pinned (nearest v1.3.2 / v1.3.4)`, ...
fn target(e: &EdgeAt) -> String {
    match &e.link {
        Link::External => "—".into(),
        Link::Ambiguous { candidates } => format!(
            "one of {}",
            candidates
                .iter()
                .map(|c| c.repo.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Link::Repo {
            repo,
            resolution,
            via,
        } => {
            let how = match via {
                Via::Alias { name, .. } => format!(" (alias {name})"),
                Via::Url { .. } => " (by URL)".to_string(),
                Via::Module { .. } => " (by module path)".to_string(),
                Via::Name { .. } => " (by name)".to_string(),
            };
            let what = match resolution {
                Resolution::Pinned { rev, .. } => format!("{repo}@{rev}"),
                Resolution::NotPinned { below, above } => {
                    format!("{repo}: not pinned ({})", nearest(below, above))
                }
                Resolution::InFile { repo: r, path } => {
                    format!("{repo}: the version is {r}'s {path} at the revision being built")
                }
                Resolution::Ambiguous { revs } => format!("{repo}: one of {}", revs.join(", ")),
                Resolution::Unresolved { reason } => format!("{repo}: {reason}"),
            };
            format!("{what}{how}")
        }
    }
}

/// `nearest pinned tags v1.3.2 / v1.3.4`, or that there are none to compare with.
fn nearest(below: &Option<String>, above: &Option<String>) -> String {
    match (below, above) {
        (None, None) => "no pinned tag to compare with".into(),
        (b, a) => format!(
            "nearest pinned tags {} / {}",
            b.as_deref().unwrap_or("none below"),
            a.as_deref().unwrap_or("none above")
        ),
    }
}

fn edge_line(e: &EdgeAt) -> String {
    let d = &e.edge;
    let version = if d.version.is_empty() {
        "(from another file)".to_string()
    } else {
        d.version.clone()
    };
    format!("{} {} {}", d.kind.as_str(), d.name, version)
}

fn deps_text(out: &mut dyn WriteColor, r: &DepsReport) -> Result<()> {
    for (i, rev) in r.revs.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        out.set_color(&spec(Color::Magenta, true))?;
        write!(out, "{}", rev.selector)?;
        out.reset()?;
        writeln!(
            out,
            " ({}){}",
            &rev.commit[..12.min(rev.commit.len())],
            if rev.depth > 0 {
                format!(" · depth {}", rev.depth)
            } else {
                String::new()
            }
        )?;
        if rev.edges.is_empty() {
            writeln!(out, "  no dependency edges to pinned repositories")?;
        }
        for e in &rev.edges {
            writeln!(
                out,
                "  {}  {}  -> {} [{}]",
                super::term_text(&e.cite.location()),
                edge_line(e),
                target(e),
                status(e)
            )?;
            out.set_color(&dim())?;
            write!(out, "    {}", e.edge.text.trim())?;
            if !e.used_at.is_empty() {
                let lines: Vec<String> = e.used_at.iter().map(u32::to_string).collect();
                write!(out, "  (used at line {})", lines.join(", "))?;
            }
            writeln!(out)?;
            writeln!(out, "    {}", e.cite.url)?;
            out.reset()?;
        }
    }
    Ok(())
}

/// One edge in JSON: what the file says, where (`cite`, on the version's line), and what it
/// points at.
#[derive(Serialize)]
struct EdgeJson<'a> {
    kind: &'a str,
    name: &'a str,
    version: &'a str,
    origin: &'a crate::deps::Origin,
    column: u32,
    text: &'a str,
    source_url: Option<&'a crate::deps::SourceUrl>,
    replaced_by: Option<&'a str>,
    used_at: &'a [u32],
    status: String,
    link: &'a Link,
    cite: CiteJson<'a>,
}

fn edge_json(e: &EdgeAt) -> EdgeJson<'_> {
    EdgeJson {
        kind: e.edge.kind.as_str(),
        name: &e.edge.name,
        version: &e.edge.version,
        origin: &e.edge.origin,
        column: e.edge.column,
        text: &e.edge.text,
        source_url: e.edge.url.as_ref(),
        replaced_by: e.edge.replaced_by.as_deref(),
        used_at: &e.used_at,
        // kebab-case like every other enum value in the JSON (`not-pinned`).
        status: status(e).replace(' ', "-"),
        link: &e.link,
        cite: CiteJson::of(&e.cite),
    }
}

/// A `dep` record: one edge of one revision.
#[derive(Serialize)]
struct DepJson<'a> {
    revision: &'a str,
    commit: &'a str,
    depth: usize,
    #[serde(flatten)]
    edge: EdgeJson<'a>,
}

fn deps_json(out: &mut dyn Write, r: &DepsReport) -> Result<()> {
    for rev in &r.revs {
        for e in &rev.edges {
            record(
                out,
                "dep",
                &DepJson {
                    revision: &rev.selector,
                    commit: &rev.commit,
                    depth: rev.depth,
                    edge: edge_json(e),
                },
            )?;
        }
    }
    Ok(())
}

fn deps_markdown(out: &mut dyn Write, r: &DepsReport) -> Result<()> {
    writeln!(
        out,
        "| revision | location | dependency | version | points at |"
    )?;
    writeln!(out, "| --- | --- | --- | --- | --- |")?;
    for rev in &r.revs {
        for e in &rev.edges {
            writeln!(
                out,
                "| {} (`{}`) | {} | {} | {} | {} |",
                rev.selector,
                &rev.commit[..12.min(rev.commit.len())],
                md_link(&e.cite.location(), &e.cite.url),
                md_code(&format!("{} {}", e.edge.kind.as_str(), e.edge.name)),
                md_code(&e.edge.version),
                md_text(&target(e))
            )?;
        }
    }
    Ok(())
}

fn carries_text(c: &Carries) -> String {
    match c {
        Carries::Present(places) => format!(
            "present ({} place{})",
            places.len(),
            if places.len() == 1 { "" } else { "s" }
        ),
        Carries::Absent => "absent".into(),
        Carries::NotPinned { below, above } => {
            format!("unknown: version not pinned ({})", nearest(below, above))
        }
        Carries::Unknown(why) => format!("unknown: {why}"),
    }
}

fn affected_text(out: &mut dyn WriteColor, r: &AffectedReport) -> Result<()> {
    writeln!(
        out,
        "{} — held in pinned revisions of: {}",
        r.target,
        r.components.join(", ")
    )?;
    let mut last = "";
    for row in &r.rows {
        if row.consumer != last {
            writeln!(out)?;
            out.set_color(&spec(Color::Magenta, true))?;
            write!(out, "{}", row.consumer)?;
            out.reset()?;
            writeln!(out, " ({})", &row.commit[..12.min(row.commit.len())])?;
            last = &row.consumer;
        }
        let color = match row.carries {
            Carries::Present(_) => Color::Red,
            Carries::Absent => Color::Green,
            _ => Color::Yellow,
        };
        write!(
            out,
            "  {} {} -> {}: ",
            super::term_text(&row.edge.cite.location()),
            edge_line(&row.edge),
            row.component.as_deref().unwrap_or("(no pinned revision)")
        )?;
        out.set_color(&spec(color, true))?;
        write!(out, "{}", carries_text(&row.carries))?;
        out.reset()?;
        writeln!(out)?;
        out.set_color(&dim())?;
        writeln!(out, "    {}", row.edge.cite.url)?;
        out.reset()?;
    }
    if r.rows.is_empty() {
        writeln!(
            out,
            "\nno pinned release declares a dependency on {}",
            r.components.join(", ")
        )?;
    }
    Ok(())
}

/// The `affected` record, first: what was looked for and which repositories hold it.
#[derive(Serialize)]
struct AffectedJson<'a> {
    target: &'a str,
    components: &'a [String],
    rows: usize,
}

/// An `affected-release` record: one consumer release, one edge, and the answer.
#[derive(Serialize)]
struct RowJson<'a> {
    consumer: &'a str,
    commit: &'a str,
    edge: EdgeJson<'a>,
    component: Option<&'a str>,
    carries: &'static str,
    detail: String,
    cites: Vec<CiteJson<'a>>,
}

fn affected_json(out: &mut dyn Write, r: &AffectedReport) -> Result<()> {
    record(
        out,
        "affected",
        &AffectedJson {
            target: &r.target,
            components: &r.components,
            rows: r.rows.len(),
        },
    )?;
    for row in &r.rows {
        record(out, "affected-release", &row_json(row))?;
    }
    Ok(())
}

fn row_json(row: &AffectedRow) -> RowJson<'_> {
    let (carries, cites) = match &row.carries {
        Carries::Present(p) => ("present", p.iter().map(CiteJson::of).collect()),
        Carries::Absent => ("absent", Vec::new()),
        _ => ("unknown", Vec::new()),
    };
    RowJson {
        consumer: &row.consumer,
        commit: &row.commit,
        edge: edge_json(&row.edge),
        component: row.component.as_deref(),
        carries,
        detail: carries_text(&row.carries),
        cites,
    }
}

fn affected_markdown(out: &mut dyn Write, r: &AffectedReport) -> Result<()> {
    writeln!(
        out,
        "**Affected** by {}: held in pinned revisions of {}.\n",
        md_code(&r.target),
        r.components
            .iter()
            .map(|c| md_code(c))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(
        out,
        "| consumer release | evidence | component version | component revision | carries it |"
    )?;
    writeln!(out, "| --- | --- | --- | --- | --- |")?;
    for row in &r.rows {
        let first = match &row.carries {
            Carries::Present(p) => p
                .first()
                .map(|c| format!(" ({})", md_link(&c.location(), &c.url)))
                .unwrap_or_default(),
            _ => String::new(),
        };
        writeln!(
            out,
            "| {} (`{}`) | {} | {} | {} | {}{first} |",
            row.consumer,
            &row.commit[..12.min(row.commit.len())],
            md_link(&row.edge.cite.location(), &row.edge.cite.url),
            md_code(&format!(
                "{} = {}",
                row.edge.edge.name, row.edge.edge.version
            )),
            row.component.as_deref().unwrap_or("—"),
            md_text(&carries_text(&row.carries))
        )?;
    }
    Ok(())
}
