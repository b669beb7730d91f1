//! Printers for `archeo deps` (each revision's edges with what they point at) and `archeo
//! affected` (consumer release -> component version -> carries the target or not).

use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use termcolor::{Color, WriteColor};

use super::json::{CiteJson, record};
use super::{dim, md_code, md_link, md_text, report, spec};
use crate::deps::{Link, Resolution, Via};
use crate::query::deps::{
    AffectedReport, AffectedRow, Carries, ConsumerRelease, DepsReport, EdgeAt, EdgeClass,
    FindReport, FirstCarrier, NamedVersion,
};

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

/// The heading of a class's edges after the ones that lead.
fn class_heading(c: EdgeClass) -> &'static str {
    match c {
        EdgeClass::Pinned => "at pinned revisions",
        EdgeClass::Unpinned => "naming pinned repositories, not at a pinned revision",
        EdgeClass::Own => "its own repository (self-requires, its nested modules)",
        EdgeClass::NestedModule => {
            "nested modules of pinned repositories whose versions no pin follows"
        }
        EdgeClass::External => "naming nothing pinned",
    }
}

/// `3 self-requires, 40 edges to nothing pinned`: what `--all` would add.
fn left_out_text(left_out: &[(EdgeClass, usize)]) -> String {
    left_out
        .iter()
        .map(|(c, n)| {
            let s = if *n == 1 { "" } else { "s" };
            match c {
                EdgeClass::Own => format!("{n} line{s} naming its own repository"),
                EdgeClass::NestedModule => {
                    format!("{n} nested-module line{s} no pin follows")
                }
                EdgeClass::External => format!("{n} edge{s} to nothing pinned"),
                EdgeClass::Pinned | EdgeClass::Unpinned => format!("{n} edge{s}"),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
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
            writeln!(out, "  no dependency edges to other pinned repositories")?;
        }
        let mut class = None;
        for e in &rev.edges {
            if class.is_some_and(|c| c != e.class)
                || (class.is_none() && e.class != EdgeClass::Pinned)
            {
                out.set_color(&spec(Color::Yellow, false))?;
                writeln!(out, "  {}:", class_heading(e.class))?;
                out.reset()?;
            }
            class = Some(e.class);
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
        if !rev.left_out.is_empty() {
            out.set_color(&dim())?;
            writeln!(
                out,
                "  not listed: {} (--all lists them)",
                left_out_text(&rev.left_out)
            )?;
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
    class: &'static str,
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
        class: e.class.as_str(),
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
    let left: Vec<String> = r
        .revs
        .iter()
        .filter(|rev| !rev.left_out.is_empty())
        .map(|rev| format!("{}: {}", rev.selector, left_out_text(&rev.left_out)))
        .collect();
    if !left.is_empty() {
        writeln!(
            out,
            "\nNot listed (`--all` lists them): {}.",
            md_text(&left.join("; "))
        )?;
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

/// `moby@v28.5.2, after moby@v28.5.1`, or that none does (or is known to).
fn first_text(f: &FirstCarrier) -> String {
    let mut s = match (&f.first, &f.before) {
        (Some(first), Some(b)) => format!("{first}, after {b}"),
        (Some(first), None) => format!("{first} (its oldest pinned release)"),
        (None, _) if f.unknown.is_empty() => format!(
            "none of its {} pinned release{} ships it",
            f.releases,
            if f.releases == 1 { "" } else { "s" }
        ),
        (None, _) => "none is known to ship it".to_string(),
    };
    if !f.later_without.is_empty() {
        s.push_str(&format!(
            "; later releases without it: {}",
            f.later_without.join(", ")
        ));
    }
    if !f.unknown.is_empty() {
        s.push_str(&format!(
            "; cannot be told at {} (affected without --first says why)",
            f.unknown.join(", ")
        ));
    }
    s
}

fn affected_text(out: &mut dyn WriteColor, r: &AffectedReport) -> Result<()> {
    writeln!(
        out,
        "{} — held in pinned revisions of: {}",
        r.target,
        r.components.join(", ")
    )?;
    if let Some(firsts) = &r.first {
        writeln!(out, "\nfirst pinned release shipping it, per consumer:")?;
        for f in firsts {
            write!(out, "  {}: ", f.consumer)?;
            let color = match (&f.first, f.unknown.is_empty()) {
                (Some(_), _) => Color::Red,
                (None, true) => Color::Green,
                (None, false) => Color::Yellow,
            };
            out.set_color(&spec(color, true))?;
            writeln!(out, "{}", first_text(f))?;
            out.reset()?;
        }
    }
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
    if r.rows.is_empty() && r.first.as_ref().is_none_or(|f| f.is_empty()) {
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

/// An `affected-first` record: one consumer's first pinned release carrying the target.
#[derive(Serialize)]
struct FirstJson<'a> {
    consumer: &'a str,
    first: Option<&'a str>,
    before: Option<&'a str>,
    later_without: &'a [String],
    unknown: &'a [String],
    releases: usize,
    detail: String,
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
    for f in r.first.iter().flatten() {
        record(
            out,
            "affected-first",
            &FirstJson {
                consumer: &f.consumer,
                first: f.first.as_deref(),
                before: f.before.as_deref(),
                later_without: &f.later_without,
                unknown: &f.unknown,
                releases: f.releases,
                detail: first_text(f),
            },
        )?;
    }
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
    if let Some(firsts) = &r.first {
        writeln!(
            out,
            "| consumer | first pinned release shipping it | the release before | later releases without it | cannot be told at |"
        )?;
        writeln!(out, "| --- | --- | --- | --- | --- |")?;
        for f in firsts {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                md_text(&f.consumer),
                f.first.as_deref().map(md_text).unwrap_or_else(|| {
                    if f.unknown.is_empty() {
                        "none".into()
                    } else {
                        "none known".into()
                    }
                }),
                f.before
                    .as_deref()
                    .map(md_text)
                    .unwrap_or_else(|| "—".into()),
                if f.later_without.is_empty() {
                    "—".into()
                } else {
                    md_text(&f.later_without.join(", "))
                },
                if f.unknown.is_empty() {
                    "—".into()
                } else {
                    md_text(&f.unknown.join(", "))
                }
            )?;
        }
        writeln!(out)?;
    }
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

report!(FindReport, find_text, find_json, find_markdown);

/// What a named version is among the component's pins: `runc@v1.3.3`, `runc v1.1.5: not
/// pinned (nearest pinned tags v1.1.4 / v1.2.0)`, ...
fn named_label(component: &str, v: &NamedVersion) -> String {
    let module = v
        .module
        .as_ref()
        .map(|m| format!("module {m} "))
        .unwrap_or_default();
    let what = match &v.resolution {
        Resolution::Pinned { rev, .. } => {
            let written = if v.version.is_empty() || v.version == *rev {
                String::new()
            } else {
                format!(" (as {})", v.version)
            };
            format!("{component}@{rev}{written}")
        }
        Resolution::NotPinned { below, above } => format!(
            "{component} {}: not pinned ({})",
            v.version,
            nearest(below, above)
        ),
        Resolution::InFile { repo, path } => {
            format!("{component}: the version is {repo}'s {path} at the revision being built")
        }
        Resolution::Ambiguous { revs } => {
            format!("{component} {}: one of {}", v.version, revs.join(", "))
        }
        Resolution::Unresolved { reason } => format!("{component} {}: {reason}", v.version),
    };
    format!("{module}{what}")
}

/// `pinned`, `not-pinned`, ... of a named version (as an edge's `status` in JSON).
fn resolution_status(r: &Resolution) -> &'static str {
    match r {
        Resolution::Pinned { .. } => "pinned",
        Resolution::NotPinned { .. } => "not-pinned",
        Resolution::InFile { .. } => "in-file",
        Resolution::Ambiguous { .. } => "ambiguous",
        Resolution::Unresolved { .. } => "unresolved",
    }
}

/// The release before `i` of the same consumer.
fn previous(r: &FindReport, i: usize) -> Option<&ConsumerRelease> {
    let prev = r.releases.get(i.checked_sub(1)?)?;
    (prev.repo == r.releases[i].repo).then_some(prev)
}

fn find_text(out: &mut dyn WriteColor, r: &FindReport) -> Result<()> {
    let alias = if r.asked == r.component {
        String::new()
    } else {
        format!(" ({})", r.asked)
    };
    let mut consumers: Vec<&str> = r.releases.iter().map(|c| c.repo.as_str()).collect();
    consumers.dedup();
    if consumers.is_empty() {
        writeln!(
            out,
            "no other pinned repository names {}{alias} in any release",
            r.component
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{}{alias} as named by each release of {}, oldest first",
        r.component,
        consumers.join(", ")
    )?;
    let width = r
        .releases
        .iter()
        .map(|c| c.selector.chars().count())
        .max()
        .unwrap_or(0);
    // Each consumer's first labels are aligned (long ones, which say why a version is not
    // pinned, are not padded to).
    let label_width = |repo: &str| {
        r.releases
            .iter()
            .filter(|c| c.repo == repo)
            .filter_map(|c| c.versions.first())
            .map(|v| named_label(&r.component, v).chars().count())
            .filter(|n| *n <= 32)
            .max()
            .unwrap_or(0)
    };
    for (i, rel) in r.releases.iter().enumerate() {
        let prev = previous(r, i);
        let label_width = label_width(&rel.repo);
        if prev.is_none() && i > 0 {
            writeln!(out)?;
        }
        out.set_color(&spec(Color::Magenta, true))?;
        write!(out, "{:<width$}", rel.selector)?;
        out.reset()?;
        if rel.versions.is_empty() {
            out.set_color(&dim())?;
            writeln!(out, "  names no {}", r.component)?;
            out.reset()?;
            continue;
        }
        for (k, v) in rel.versions.iter().enumerate() {
            write!(out, "{}", if k == 0 { "  " } else { "; " })?;
            let label = named_label(&r.component, v);
            let color = if matches!(v.resolution, Resolution::Pinned { .. }) {
                Color::Green
            } else {
                Color::Yellow
            };
            out.set_color(&spec(color, rel.changed))?;
            write!(out, "{label}")?;
            out.reset()?;
            let pad = if k == 0 {
                label_width.saturating_sub(label.chars().count())
            } else {
                0
            };
            let places: Vec<String> = v.edges.iter().map(|e| e.cite.location()).collect();
            write!(out, "{:pad$}  {}", "", places.join(", "))?;
        }
        if let Some(p) = prev.filter(|_| rel.changed) {
            out.set_color(&spec(Color::Yellow, false))?;
            let was: Vec<String> = p
                .versions
                .iter()
                .map(|v| named_label(&r.component, v))
                .collect();
            if was.is_empty() {
                write!(out, "  (named first here)")?;
            } else {
                write!(out, "  (was {})", was.join("; "))?;
            }
            out.reset()?;
        }
        writeln!(out)?;
        // The evidence where a version first appears: the consumer's first release, and each
        // change.
        if prev.is_none() || rel.changed {
            out.set_color(&dim())?;
            for v in &rel.versions {
                if prev.is_some_and(|p| p.versions.iter().any(|x| x.same_as(v))) {
                    continue;
                }
                for e in &v.edges {
                    writeln!(out, "    {}", e.cite.url)?;
                }
            }
            out.reset()?;
        }
    }
    Ok(())
}

/// A `dep-release` record: one consumer release and the versions of the component it names.
#[derive(Serialize)]
struct ReleaseJson<'a> {
    consumer: &'a str,
    commit: &'a str,
    component: &'a str,
    changed: bool,
    versions: Vec<NamedJson<'a>>,
}

/// One version a release names.
#[derive(Serialize)]
struct NamedJson<'a> {
    version: &'a str,
    module: Option<&'a str>,
    status: &'static str,
    revision: Option<String>,
    detail: String,
    edges: Vec<EdgeJson<'a>>,
}

fn find_json(out: &mut dyn Write, r: &FindReport) -> Result<()> {
    for rel in &r.releases {
        record(
            out,
            "dep-release",
            &ReleaseJson {
                consumer: &rel.selector,
                commit: &rel.commit,
                component: &r.component,
                changed: rel.changed,
                versions: rel
                    .versions
                    .iter()
                    .map(|v| NamedJson {
                        version: &v.version,
                        module: v.module.as_deref(),
                        status: resolution_status(&v.resolution),
                        revision: match &v.resolution {
                            Resolution::Pinned { rev, .. } => {
                                Some(format!("{}@{rev}", r.component))
                            }
                            _ => None,
                        },
                        detail: named_label(&r.component, v),
                        edges: v.edges.iter().map(edge_json).collect(),
                    })
                    .collect(),
            },
        )?;
    }
    Ok(())
}

fn find_markdown(out: &mut dyn Write, r: &FindReport) -> Result<()> {
    let mut consumers: Vec<&str> = r.releases.iter().map(|c| c.repo.as_str()).collect();
    consumers.dedup();
    writeln!(
        out,
        "**{}** as named by each pinned release of {}, oldest first.\n",
        md_text(&r.component),
        consumers
            .iter()
            .map(|c| md_code(c))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(out, "| release | {} | named at |", md_text(&r.component))?;
    writeln!(out, "| --- | --- | --- |")?;
    for (i, rel) in r.releases.iter().enumerate() {
        let release = format!(
            "{} (`{}`)",
            md_text(&rel.selector),
            &rel.commit[..12.min(rel.commit.len())]
        );
        if rel.versions.is_empty() {
            writeln!(
                out,
                "| {release} | — | names no {} |",
                md_text(&r.component)
            )?;
            continue;
        }
        let was = previous(r, i)
            .filter(|_| rel.changed)
            .map(|p| {
                let labels: Vec<String> = p
                    .versions
                    .iter()
                    .map(|v| named_label(&r.component, v))
                    .collect();
                if labels.is_empty() {
                    " (named first here)".to_string()
                } else {
                    format!(" (was {})", md_text(&labels.join("; ")))
                }
            })
            .unwrap_or_default();
        for v in &rel.versions {
            let label = md_text(&named_label(&r.component, v));
            let label = if rel.changed {
                format!("**{label}**{was}")
            } else {
                label
            };
            let places: Vec<String> = v
                .edges
                .iter()
                .map(|e| md_link(&e.cite.location(), &e.cite.url))
                .collect();
            writeln!(out, "| {release} | {label} | {} |", places.join(", "))?;
        }
    }
    Ok(())
}
