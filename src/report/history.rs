//! Printers for `archeo diff` (changes by class, module and file changes) and `archeo timeline`
//! (tracks and the revision x track grid).

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use termcolor::{Color, WriteColor};

use super::json::{CiteJson, record};
use super::{dim, facts_text, md_code, md_link, md_text, report, spec};
use crate::query::history::{Change, Class, DiffReport, Side, Timeline};

report!(DiffReport, diff_text, diff_json, diff_markdown);
report!(Timeline, timeline_text, timeline_json, timeline_markdown);

fn side_cite(s: &Side) -> String {
    format!(
        "{}@{} {}",
        s.cite.repo,
        s.cite.rev,
        super::term_text(&s.cite.location())
    )
}

fn diff_text(out: &mut dyn WriteColor, d: &DiffReport) -> Result<()> {
    writeln!(out, "{} ({}) -> {} ({})", d.a, d.a_commit, d.b, d.b_commit)?;
    for class in [Class::Added, Class::Removed, Class::Changed, Class::Moved] {
        let items: Vec<&Change> = d.changes.iter().filter(|c| c.class == class).collect();
        if !items.is_empty() {
            class_text(out, class, &items)?;
        }
    }
    modules_and_files_text(out, d)?;
    let modules = if d.vendor_left_out {
        "vendored code left out (--no-vendor)".to_string()
    } else {
        format!(
            "{} vendored module change{}",
            d.modules.len(),
            if d.modules.len() == 1 { "" } else { "s" }
        )
    };
    writeln!(
        out,
        "\n{} change{}, {} unchanged, {modules}",
        d.changes.len(),
        if d.changes.len() == 1 { "" } else { "s" },
        d.unchanged,
    )?;
    Ok(())
}

/// The changes of one class, each with its sides and permalink.
fn class_text(out: &mut dyn WriteColor, class: Class, items: &[&Change]) -> Result<()> {
    writeln!(out)?;
    let (mark, color) = match class {
        Class::Added => ("+", Color::Green),
        Class::Removed => ("-", Color::Red),
        Class::Changed => ("~", Color::Yellow),
        Class::Moved => (">", Color::Cyan),
    };
    out.set_color(&spec(color, true))?;
    write!(out, "{} ({})", class.as_str(), items.len())?;
    out.reset()?;
    writeln!(out)?;
    for c in items {
        let side = c.b.as_ref().or(c.a.as_ref()).expect("a side");
        out.set_color(&spec(color, false))?;
        write!(out, "  {mark} ")?;
        out.reset()?;
        if let Some(r) = &c.rule {
            write!(out, "{r}  ")?;
        }
        if let Some(s) = &c.symbol {
            write!(out, "‹{s}›  ")?;
        }
        writeln!(out, "{}", side.text.lines().next().unwrap_or("").trim())?;
        match (&c.a, &c.b) {
            (Some(a), Some(b)) => {
                writeln!(out, "      {}  {}", side_cite(a), facts_text(&a.facts))?;
                writeln!(out, "   -> {}  {}", side_cite(b), facts_text(&b.facts))?;
            }
            (Some(s), None) | (None, Some(s)) => {
                writeln!(out, "      {}  {}", side_cite(s), facts_text(&s.facts))?
            }
            (None, None) => {}
        }
        out.set_color(&dim())?;
        write!(out, "      {}", side.cite.url)?;
        out.reset()?;
        writeln!(out)?;
    }
    Ok(())
}

/// Vendored module versions, other dependency edges, and files holding findings on one side
/// only.
fn modules_and_files_text(out: &mut dyn WriteColor, d: &DiffReport) -> Result<()> {
    if !d.deps.is_empty() {
        writeln!(out, "\ndependency edges ({})", d.deps.len())?;
        for c in &d.deps {
            let v = |x: &Option<(String, crate::index::citation::Citation)>| {
                x.as_ref().map_or("(none)".to_string(), |(v, _)| v.clone())
            };
            let at =
                c.to.as_ref()
                    .or(c.from.as_ref())
                    .map(|(_, c)| super::term_text(&c.location()).into_owned());
            writeln!(
                out,
                "  {} {} {} -> {}  ({})",
                c.kind.as_str(),
                c.name,
                v(&c.from),
                v(&c.to),
                at.unwrap_or_default()
            )?;
        }
    }
    if !d.modules.is_empty() {
        writeln!(out, "\nvendored modules ({})", d.modules.len())?;
        for m in &d.modules {
            writeln!(
                out,
                "  {} {} -> {}",
                m.module,
                m.from.as_deref().unwrap_or("(none)"),
                m.to.as_deref().unwrap_or("(none)")
            )?;
        }
    }
    if !d.files_removed.is_empty() || !d.files_added.is_empty() {
        writeln!(out, "\nfiles holding findings")?;
        for f in &d.files_removed {
            writeln!(out, "  - {f} (not in {})", d.b)?;
        }
        for f in &d.files_added {
            writeln!(out, "  + {f} (not in {})", d.a)?;
        }
    }
    Ok(())
}

/// One side of a change in JSON.
#[derive(Serialize)]
pub(crate) struct SideJson<'a> {
    cite: CiteJson<'a>,
    text: &'a str,
    facts: &'a BTreeMap<String, Vec<String>>,
}

impl<'a> SideJson<'a> {
    pub(crate) fn of(s: &'a Side) -> SideJson<'a> {
        SideJson {
            cite: CiteJson::of(&s.cite),
            text: &s.text,
            facts: &s.facts,
        }
    }
}

/// One change in JSON (`"type": "change"`).
#[derive(Serialize)]
struct ChangeJson<'a> {
    class: &'a str,
    rule: Option<&'a str>,
    symbol: Option<&'a str>,
    a: Option<SideJson<'a>>,
    b: Option<SideJson<'a>>,
}

/// The compared revisions and the unchanged count (`"type": "diff"`), first.
#[derive(Serialize)]
struct DiffJson<'a> {
    a: &'a str,
    a_commit: &'a str,
    b: &'a str,
    b_commit: &'a str,
    changes: usize,
    unchanged: usize,
}

/// A vendored module whose version differs (`"type": "module-change"`).
#[derive(Serialize)]
struct ModuleJson<'a> {
    module: &'a str,
    from: Option<&'a str>,
    to: Option<&'a str>,
}

/// One side of a dependency edge whose version changed: the version and where it is set.
#[derive(Serialize)]
struct DepSideJson<'a> {
    version: &'a str,
    cite: CiteJson<'a>,
}

/// A dependency edge whose version differs (`"type": "dep-change"`).
#[derive(Serialize)]
struct DepJson<'a> {
    path: &'a str,
    kind: &'a str,
    name: &'a str,
    from: Option<DepSideJson<'a>>,
    to: Option<DepSideJson<'a>>,
}

/// A file holding findings on one side only (`"type": "file-change"`).
#[derive(Serialize)]
struct FileJson<'a> {
    class: &'a str,
    path: &'a str,
}

fn diff_json(out: &mut dyn Write, d: &DiffReport) -> Result<()> {
    record(
        out,
        "diff",
        &DiffJson {
            a: &d.a,
            a_commit: &d.a_commit,
            b: &d.b,
            b_commit: &d.b_commit,
            changes: d.changes.len(),
            unchanged: d.unchanged,
        },
    )?;
    for c in &d.changes {
        record(
            out,
            "change",
            &ChangeJson {
                class: c.class.as_str(),
                rule: c.rule.as_deref(),
                symbol: c.symbol.as_deref(),
                a: c.a.as_ref().map(SideJson::of),
                b: c.b.as_ref().map(SideJson::of),
            },
        )?;
    }
    for m in &d.modules {
        let (from, to) = (m.from.as_deref(), m.to.as_deref());
        record(
            out,
            "module-change",
            &ModuleJson {
                module: &m.module,
                from,
                to,
            },
        )?;
    }
    for c in &d.deps {
        fn side(x: &Option<(String, crate::index::citation::Citation)>) -> Option<DepSideJson<'_>> {
            x.as_ref().map(|(v, c)| DepSideJson {
                version: v,
                cite: CiteJson::of(c),
            })
        }
        record(
            out,
            "dep-change",
            &DepJson {
                path: &c.path,
                kind: c.kind.as_str(),
                name: &c.name,
                from: side(&c.from),
                to: side(&c.to),
            },
        )?;
    }
    for (class, files) in [("removed", &d.files_removed), ("added", &d.files_added)] {
        for path in files {
            record(out, "file-change", &FileJson { class, path })?;
        }
    }
    Ok(())
}

fn diff_markdown(out: &mut dyn Write, d: &DiffReport) -> Result<()> {
    writeln!(
        out,
        "**Diff** {} = `{}` -> {} = `{}`: {} change{}, {} unchanged.",
        md_code(&d.a),
        d.a_commit,
        md_code(&d.b),
        d.b_commit,
        d.changes.len(),
        if d.changes.len() == 1 { "" } else { "s" },
        d.unchanged
    )?;
    writeln!(out)?;
    if !d.changes.is_empty() {
        let changes: Vec<&Change> = d.changes.iter().collect();
        changes_table(out, &changes, &d.a, &d.b)?;
    }
    modules_markdown(out, d)?;
    deps_markdown(out, d)?;
    for f in &d.files_removed {
        writeln!(out, "- file holding findings removed: {}", md_code(f))?;
    }
    for f in &d.files_added {
        writeln!(out, "- file holding findings added: {}", md_code(f))?;
    }
    Ok(())
}

/// Vendored modules whose version differs, as a Markdown table.
fn modules_markdown(out: &mut dyn Write, d: &DiffReport) -> Result<()> {
    if !d.modules.is_empty() {
        let (a, b) = (md_text(&d.a), md_text(&d.b));
        writeln!(out, "| vendored module | {a} | {b} |\n| --- | --- | --- |")?;
        for m in &d.modules {
            writeln!(
                out,
                "| {} | {} | {} |",
                md_code(&m.module),
                m.from.as_deref().map_or("—".into(), md_text),
                m.to.as_deref().map_or("—".into(), md_text)
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

/// Dependency edges whose version differs, as a Markdown table (the version, cited).
fn deps_markdown(out: &mut dyn Write, d: &DiffReport) -> Result<()> {
    if !d.deps.is_empty() {
        writeln!(
            out,
            "| dependency | {} | {} |",
            md_text(&d.a),
            md_text(&d.b)
        )?;
        writeln!(out, "| --- | --- | --- |")?;
        for c in &d.deps {
            writeln!(
                out,
                "| {} | {} | {} |",
                md_code(&format!("{} {}", c.kind.as_str(), c.name)),
                md_version_at(&c.from),
                md_version_at(&c.to)
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn timeline_text(out: &mut dyn WriteColor, t: &Timeline) -> Result<()> {
    for (i, tr) in t.tracks.iter().enumerate() {
        out.set_color(&spec(Color::Magenta, true))?;
        write!(out, "T{}", i + 1)?;
        out.reset()?;
        write!(
            out,
            " {} {}:{}",
            tr.cite.repo,
            super::term_text(&tr.cite.path),
            tr.cite.start
        )?;
        if let Some(s) = &tr.symbol {
            write!(out, " ‹{s}›")?;
        }
        writeln!(out)?;
        writeln!(out, "   held by {}", tr.cite.revs_display)?;
        // It moved: where it stood in each revision.
        if tr.groups.len() > 1 {
            for g in &tr.groups {
                let place = super::location(&super::term_text(&g.path), g.start, g.end);
                writeln!(out, "   at {place}  in {}", g.revs_display)?;
            }
        }
        if !tr.facts.is_empty() {
            writeln!(out, "   {}", facts_text(&tr.facts))?;
        }
        writeln!(out, "   {}", tr.text.lines().next().unwrap_or("").trim())?;
    }
    writeln!(out)?;
    let w = t
        .revisions
        .iter()
        .map(|r| r.repo.len() + r.rev.len() + 1)
        .max()
        .unwrap_or(8);
    write!(out, "{:<w$}", "revision")?;
    for i in 0..t.tracks.len() {
        write!(out, " {:>3}", format!("T{}", i + 1))?;
    }
    writeln!(out, "  count")?;
    for r in &t.revisions {
        write!(out, "{:<w$}", format!("{}@{}", r.repo, r.rev))?;
        for tr in &t.tracks {
            let held = tr.cite.repo == r.repo && tr.cite.held_by(&r.rev);
            write!(out, " {:>3}", if held { "●" } else { "·" })?;
        }
        writeln!(out, "  {}", r.count)?;
    }
    Ok(())
}

/// One timeline track in JSON (`"type": "track"`).
#[derive(Serialize)]
struct TrackJson<'a> {
    rule: Option<&'a str>,
    symbol: Option<&'a str>,
    cite: CiteJson<'a>,
    text: &'a str,
    facts: &'a BTreeMap<String, Vec<String>>,
    places: Vec<PlaceJson<'a>>,
}

/// Where a track stood in one revision.
#[derive(Serialize)]
struct PlaceJson<'a> {
    rev: &'a str,
    commit: &'a str,
    path: &'a str,
    start: u32,
    end: u32,
    url: &'a str,
}

/// A timeline revision and how many tracks it holds (`"type": "revision-count"`).
#[derive(Serialize)]
struct RevisionCountJson<'a> {
    repo: &'a str,
    rev: &'a str,
    commit: &'a str,
    count: usize,
}

fn timeline_json(out: &mut dyn Write, t: &Timeline) -> Result<()> {
    for tr in &t.tracks {
        let places = tr
            .places
            .iter()
            .map(|p| PlaceJson {
                rev: &p.rev,
                commit: &p.commit,
                path: &p.path,
                start: p.start,
                end: p.end,
                url: &p.url,
            })
            .collect();
        record(
            out,
            "track",
            &TrackJson {
                rule: tr.rule.as_deref(),
                symbol: tr.symbol.as_deref(),
                cite: CiteJson::of(&tr.cite),
                text: &tr.text,
                facts: &tr.facts,
                places,
            },
        )?;
    }
    for r in &t.revisions {
        record(
            out,
            "revision-count",
            &RevisionCountJson {
                repo: &r.repo,
                rev: &r.rev,
                commit: &r.commit,
                count: r.count,
            },
        )?;
    }
    Ok(())
}

fn timeline_markdown(out: &mut dyn Write, t: &Timeline) -> Result<()> {
    writeln!(out, "| # | where (newest) | symbol | held by | facts |")?;
    writeln!(out, "| --- | --- | --- | --- | --- |")?;
    for (i, tr) in t.tracks.iter().enumerate() {
        let mut place = md_link(&format!("{}:{}", tr.cite.path, tr.cite.start), &tr.cite.url);
        // It moved: every place, each with the revisions holding it there.
        if tr.groups.len() > 1 {
            place = tr
                .groups
                .iter()
                .map(|g| {
                    let link = md_link(&format!("{}:{}", g.path, g.start), &g.url);
                    format!("{link} ({})", md_text(&g.revs_display))
                })
                .collect::<Vec<_>>()
                .join("<br>");
        }
        writeln!(
            out,
            "| T{} | {place} | {} | {} | {} |",
            i + 1,
            tr.symbol.as_deref().map(md_code).unwrap_or_default(),
            md_text(&tr.cite.revs_display),
            md_text(&facts_text(&tr.facts))
        )?;
    }
    writeln!(out)?;
    write!(out, "| revision | commit |")?;
    for i in 0..t.tracks.len() {
        write!(out, " T{} |", i + 1)?;
    }
    writeln!(out, " count |")?;
    write!(out, "| --- | --- |")?;
    for _ in &t.tracks {
        write!(out, " :-: |")?;
    }
    writeln!(out, " ---: |")?;
    for r in &t.revisions {
        write!(
            out,
            "| {}@{} | `{}` |",
            r.repo,
            md_text(&r.rev),
            &r.commit[..12]
        )?;
        for tr in &t.tracks {
            let held = tr.cite.repo == r.repo && tr.cite.held_by(&r.rev);
            write!(out, " {} |", if held { "●" } else { "" })?;
        }
        writeln!(out, " {} |", r.count)?;
    }
    Ok(())
}

/// Changes as a Markdown table: class, rule, symbol, each side's permalink and first line, and
/// the facts (`before → after` when they differ). Shared by `diff` and `watch` reports.
/// A dependency version with where it is named, in Markdown (`` `v1.3.3` [Dockerfile:264](…) ``),
/// or `—` where one side names none.
pub(crate) fn md_version_at(x: &Option<(String, crate::index::citation::Citation)>) -> String {
    x.as_ref().map_or("—".to_string(), |(v, c)| {
        format!("{} {}", md_code(v), md_link(&c.location(), &c.url))
    })
}

pub(crate) fn changes_table(
    out: &mut dyn Write,
    changes: &[&Change],
    a: &str,
    b: &str,
) -> Result<()> {
    writeln!(
        out,
        "| change | rule | symbol | {} | {} | facts |",
        md_text(a),
        md_text(b)
    )?;
    writeln!(out, "| --- | --- | --- | --- | --- | --- |")?;
    for c in changes {
        let cell = |s: &Option<Side>| {
            s.as_ref()
                .map(|s| {
                    format!(
                        "{} {}",
                        md_link(&s.cite.location(), &s.cite.url),
                        md_code(s.text.lines().next().unwrap_or(""))
                    )
                })
                .unwrap_or_else(|| "—".into())
        };
        let facts = match (&c.a, &c.b) {
            (Some(a), Some(b)) if a.facts != b.facts => format!(
                "{} → {}",
                md_text(&facts_text(&a.facts)),
                md_text(&facts_text(&b.facts))
            ),
            (_, Some(s)) | (Some(s), None) => md_text(&facts_text(&s.facts)),
            _ => String::new(),
        };
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {facts} |",
            c.class.as_str(),
            c.rule.as_deref().map(md_code).unwrap_or_default(),
            c.symbol.as_deref().map(md_code).unwrap_or_default(),
            cell(&c.a),
            cell(&c.b)
        )?;
    }
    writeln!(out)?;
    Ok(())
}
