//! Printers for `archeo watch`: per new release, what changed among the watched findings
//! (added, removed, changed, moved), each side cited on its immutable commit; the consumer
//! releases that ship it; and the consumer releases that move their pin of a watched
//! repository, with what the move brings. Markdown is written to be a pull request's or an
//! issue's body. SARIF is in [`super::sarif::watch_log`].

use crate::report::history::{changes_table, md_version_at};
use std::io::Write;

use anyhow::Result;
use serde::Serialize;
use termcolor::{Color, WriteColor};

use super::history::SideJson;
use super::json::{CiteJson, record};
use super::{dim, facts_text, md_code, md_link, md_text, report, spec, term_text};
use crate::deps::Resolution;
use crate::index::citation::Citation;
use crate::query::history::{Change, Class, Side};
use crate::query::watch::{
    Brings, EntryDiff, PinMove, PinSide, Previous, Release, RevId, WatchReport, Why,
};

report!(WatchReport, watch_text, watch_json, watch_markdown);

/// `new tag`, `branch moved`, `tag moved`, `newly pinned repository`.
pub(crate) fn why_text(r: &Release) -> String {
    match &r.why {
        Why::New => format!("new {}", r.id.kind.as_str()),
        Why::Moved { .. } => format!("{} moved", r.id.kind.as_str()),
        Why::NewRepository => "newly pinned repository".to_string(),
    }
}

/// `2 added, 1 removed; 3 unchanged, 1 moved`, or a baseline's count.
fn counts_text(e: &EntryDiff) -> String {
    if let Some(n) = e.baseline {
        return format!("{n} at this revision");
    }
    let mut parts: Vec<String> = [Class::Added, Class::Removed, Class::Changed]
        .into_iter()
        .map(|c| (c, e.count(c)))
        .filter(|(_, n)| *n > 0)
        .map(|(c, n)| format!("{n} {}", c.as_str()))
        .collect();
    if parts.is_empty() {
        if e.unchanged == 0 && e.count(Class::Moved) == 0 {
            return "none at either revision".to_string();
        }
        parts.push("no change".to_string());
    }
    let mut rest = vec![format!("{} unchanged", e.unchanged)];
    let moved = e.count(Class::Moved);
    if moved > 0 {
        rest.push(format!("{moved} moved"));
    }
    format!("{}; {}", parts.join(", "), rest.join(", "))
}

/// A pin side as a reader names it: `v1.3.3 (runc@v1.3.3)`, `v1.3.0 (not pinned)`, `(none)`.
fn pin_side_text(s: &PinSide) -> String {
    let Some(v) = &s.version else {
        return "(no such pin)".to_string();
    };
    let v = if v.is_empty() {
        "(from another file)"
    } else {
        v
    };
    match (&s.rev, &s.resolution) {
        (Some(r), _) => format!("{v} ({})", r.selector()),
        (None, Some(Resolution::NotPinned { .. })) => format!("{v} (not pinned)"),
        (None, Some(Resolution::InFile { repo, path })) => format!("{v} ({repo}'s {path})"),
        (None, Some(Resolution::Ambiguous { .. })) => format!("{v} (ambiguous)"),
        (None, _) => format!("{v} (unresolved)"),
    }
}

/// What a consumer release keeps shipping: `runc@v1.3.3`, or `runc v1.3.9` when not pinned.
fn kept_text(component: &str, what: &str) -> String {
    if what.starts_with(&format!("{component}@")) {
        what.to_string()
    } else {
        format!("{component} {what}")
    }
}

/// `runc@v1.3.2` -> `runc@v1.3.3`: the two sides a release's entries were compared on.
fn previous_text(r: &Release) -> String {
    match &r.previous {
        Previous::Rev(p) => format!("after {}", p.rev),
        Previous::Nothing(why) => why.clone(),
    }
}

fn watch_text(out: &mut dyn WriteColor, r: &WatchReport) -> Result<()> {
    if r.nothing_new() {
        writeln!(
            out,
            "nothing new upstream: every pin is as archeo.lock records it"
        )?;
        return Ok(());
    }
    for rel in &r.releases {
        out.set_color(&spec(Color::Magenta, true))?;
        write!(out, "{}", term_text(&rel.id.selector()))?;
        out.reset()?;
        writeln!(
            out,
            " ({}, {}) {}",
            why_text(rel),
            &rel.id.commit[..12],
            previous_text(rel)
        )?;
        for e in &rel.watched {
            entry_text(out, e, "  ")?;
        }
        for m in &rel.moves {
            move_text(out, m)?;
        }
        for (component, what) in &rel.kept {
            writeln!(out, "  keeps {}", term_text(&kept_text(component, what)))?;
        }
        for (component, what) in &rel.ships {
            writeln!(out, "  ships {}", term_text(&kept_text(component, what)))?;
        }
        if rel.has_consumers {
            pickups_text(out, rel)?;
        }
    }
    if !r.dropped.is_empty() {
        writeln!(out, "\nno longer pinned")?;
        for (repo, rev, commit) in &r.dropped {
            writeln!(out, "  {repo}@{} ({})", term_text(rev), &commit[..12])?;
        }
    }
    let changed: Vec<String> = r
        .releases
        .iter()
        .filter(|x| x.changed())
        .map(|x| x.id.selector())
        .collect();
    writeln!(
        out,
        "\n{} new revision{}; {}",
        r.releases.len(),
        if r.releases.len() == 1 { "" } else { "s" },
        if changed.is_empty() {
            "nothing watched changed".to_string()
        } else {
            format!(
                "watched findings changed in {}",
                term_text(&changed.join(", "))
            )
        }
    )?;
    Ok(())
}

/// One entry's counts, then each change with its sides and permalink.
fn entry_text(out: &mut dyn WriteColor, e: &EntryDiff, indent: &str) -> Result<()> {
    writeln!(out, "{indent}{}: {}", term_text(&e.entry), counts_text(e))?;
    for c in e.changes.iter().filter(|c| c.class != Class::Moved) {
        change_text(out, c, &format!("{indent}  "))?;
    }
    Ok(())
}

fn change_text(out: &mut dyn WriteColor, c: &Change, indent: &str) -> Result<()> {
    let (mark, color) = match c.class {
        Class::Added => ("+", Color::Green),
        Class::Removed => ("-", Color::Red),
        Class::Changed => ("~", Color::Yellow),
        Class::Moved => (">", Color::Cyan),
    };
    let side = c.b.as_ref().or(c.a.as_ref()).expect("a side");
    out.set_color(&spec(color, true))?;
    write!(out, "{indent}{mark} ")?;
    out.reset()?;
    if let Some(r) = &c.rule {
        write!(out, "{r}  ")?;
    }
    if let Some(s) = &c.symbol {
        write!(out, "‹{}›  ", term_text(s))?;
    }
    writeln!(
        out,
        "{}",
        term_text(side.text.lines().next().unwrap_or("").trim())
    )?;
    let cited = |s: &Side| {
        let mut line = format!(
            "{}@{} {}",
            s.cite.repo,
            term_text(&s.cite.rev),
            term_text(&s.cite.location())
        );
        if !s.facts.is_empty() {
            line.push_str("  ");
            line.push_str(&facts_text(&s.facts));
        }
        line
    };
    match (&c.a, &c.b) {
        (Some(a), Some(b)) => {
            writeln!(out, "{indent}    {}", cited(a))?;
            writeln!(out, "{indent} -> {}", cited(b))?;
        }
        (Some(s), None) | (None, Some(s)) => writeln!(out, "{indent}    {}", cited(s))?,
        (None, None) => {}
    }
    out.set_color(&dim())?;
    write!(out, "{indent}    {}", side.cite.url)?;
    out.reset()?;
    writeln!(out)?;
    Ok(())
}

fn move_text(out: &mut dyn WriteColor, m: &PinMove) -> Result<()> {
    writeln!(
        out,
        "  moves {}: {} -> {}",
        m.component,
        term_text(&pin_side_text(&m.from)),
        term_text(&pin_side_text(&m.to))
    )?;
    for s in &m.sites {
        let at = |x: &Option<(String, Citation)>| {
            x.as_ref()
                .map_or("(none)".to_string(), |(_, c)| c.location())
        };
        writeln!(
            out,
            "    {} {} at {} -> {}",
            s.kind.as_str(),
            term_text(&s.name),
            term_text(&at(&s.from)),
            term_text(&at(&s.to))
        )?;
    }
    match &m.brings {
        Brings::Compared(entries) => {
            let (a, b) = (
                m.from.rev.as_ref().map(RevId::selector).unwrap_or_default(),
                m.to.rev.as_ref().map(RevId::selector).unwrap_or_default(),
            );
            writeln!(out, "    brings, {} -> {}:", term_text(&a), term_text(&b))?;
            for e in entries {
                entry_text(out, e, "      ")?;
            }
        }
        Brings::Undecided(why) => {
            out.set_color(&spec(Color::Yellow, true))?;
            write!(out, "    cannot compare:")?;
            out.reset()?;
            writeln!(out, " {}", term_text(why))?;
        }
    }
    Ok(())
}

fn pickups_text(out: &mut dyn WriteColor, rel: &Release) -> Result<()> {
    if rel.picked_up_by.is_empty() {
        writeln!(out, "  shipped by no pinned consumer release yet")?;
        return Ok(());
    }
    for p in &rel.picked_up_by {
        let sites: Vec<String> = p.sites.iter().map(|c| c.location()).collect();
        writeln!(
            out,
            "  shipped by {}{} ({})",
            term_text(&p.consumer.selector()),
            if p.new { " (new)" } else { "" },
            term_text(&sites.join(", "))
        )?;
    }
    Ok(())
}

/// The run's summary (`"type": "watch"`), first.
#[derive(Serialize)]
struct WatchJson<'a> {
    revisions: usize,
    changed: usize,
    dropped: usize,
    watching: Vec<WatchingJson<'a>>,
}

#[derive(Serialize)]
struct WatchingJson<'a> {
    repo: &'a str,
    entries: &'a [String],
}

/// A revision as a JSON object.
#[derive(Serialize)]
struct RevJson<'a> {
    repo: &'a str,
    rev: &'a str,
    commit: &'a str,
}

impl<'a> RevJson<'a> {
    fn of(r: &'a RevId) -> RevJson<'a> {
        RevJson {
            repo: &r.repo,
            rev: &r.rev,
            commit: &r.commit,
        }
    }
}

/// One entry's counts at a release.
#[derive(Serialize)]
struct EntryJson<'a> {
    entry: &'a str,
    added: usize,
    removed: usize,
    changed: usize,
    moved: usize,
    unchanged: usize,
    baseline: Option<usize>,
}

impl<'a> EntryJson<'a> {
    fn of(e: &'a EntryDiff) -> EntryJson<'a> {
        EntryJson {
            entry: &e.entry,
            added: e.count(Class::Added),
            removed: e.count(Class::Removed),
            changed: e.count(Class::Changed),
            moved: e.count(Class::Moved),
            unchanged: e.unchanged,
            baseline: e.baseline,
        }
    }
}

#[derive(Serialize)]
struct PickupJson<'a> {
    consumer: String,
    commit: &'a str,
    new: bool,
    cites: Vec<CiteJson<'a>>,
}

#[derive(Serialize)]
struct KeptJson<'a> {
    component: &'a str,
    at: &'a str,
}

/// A new or moved revision (`"type": "watch-release"`).
#[derive(Serialize)]
struct ReleaseJson<'a> {
    repo: &'a str,
    rev: &'a str,
    kind: &'a str,
    commit: &'a str,
    url: String,
    why: &'a str,
    old_commit: Option<&'a str>,
    previous: Option<RevJson<'a>>,
    previous_missing: Option<&'a str>,
    changed: bool,
    watched: Vec<EntryJson<'a>>,
    picked_up_by: Vec<PickupJson<'a>>,
    kept: Vec<KeptJson<'a>>,
    ships: Vec<KeptJson<'a>>,
}

/// One watched change (`"type": "watch-change"`): at a release against its predecessor, or
/// between the component revisions a consumer release's pin move spans (`via`).
#[derive(Serialize)]
struct ChangeJson<'a> {
    release: String,
    entry: &'a str,
    from: String,
    to: String,
    via: Option<String>,
    class: &'a str,
    rule: Option<&'a str>,
    symbol: Option<&'a str>,
    a: Option<SideJson<'a>>,
    b: Option<SideJson<'a>>,
}

#[derive(Serialize)]
struct PinSideJson<'a> {
    version: Option<&'a str>,
    rev: Option<RevJson<'a>>,
    status: &'a str,
}

impl<'a> PinSideJson<'a> {
    fn of(s: &'a PinSide) -> PinSideJson<'a> {
        PinSideJson {
            version: s.version.as_deref(),
            rev: s.rev.as_ref().map(RevJson::of),
            status: match (&s.version, &s.rev, &s.resolution) {
                (None, _, _) => "none",
                (Some(_), Some(_), _) => "pinned",
                (Some(_), None, Some(Resolution::NotPinned { .. })) => "not-pinned",
                (Some(_), None, Some(Resolution::InFile { .. })) => "in-file",
                (Some(_), None, Some(Resolution::Ambiguous { .. })) => "ambiguous",
                (Some(_), None, _) => "unresolved",
            },
        }
    }
}

#[derive(Serialize)]
struct SiteSideJson<'a> {
    version: &'a str,
    cite: CiteJson<'a>,
}

#[derive(Serialize)]
struct SiteJson<'a> {
    path: &'a str,
    kind: &'a str,
    name: &'a str,
    from: Option<SiteSideJson<'a>>,
    to: Option<SiteSideJson<'a>>,
}

/// A consumer release's pin move of a watched repository (`"type": "watch-pin-move"`).
#[derive(Serialize)]
struct MoveJson<'a> {
    consumer: String,
    commit: &'a str,
    component: &'a str,
    from: PinSideJson<'a>,
    to: PinSideJson<'a>,
    sites: Vec<SiteJson<'a>>,
    decided: bool,
    reason: Option<&'a str>,
    changed: bool,
    watched: Vec<EntryJson<'a>>,
}

/// A pin the previous lock had and the new one does not (`"type": "watch-dropped"`).
#[derive(Serialize)]
struct DroppedJson<'a> {
    repo: &'a str,
    rev: &'a str,
    commit: &'a str,
}

fn watch_json(out: &mut dyn Write, r: &WatchReport) -> Result<()> {
    record(
        out,
        "watch",
        &WatchJson {
            revisions: r.releases.len(),
            changed: r.releases.iter().filter(|x| x.changed()).count(),
            dropped: r.dropped.len(),
            watching: r
                .watching
                .iter()
                .map(|(repo, entries)| WatchingJson { repo, entries })
                .collect(),
        },
    )?;
    for rel in &r.releases {
        release_json(out, rel)?;
    }
    for (repo, rev, commit) in &r.dropped {
        record(out, "watch-dropped", &DroppedJson { repo, rev, commit })?;
    }
    Ok(())
}

fn release_json(out: &mut dyn Write, rel: &Release) -> Result<()> {
    let (previous, previous_missing) = match &rel.previous {
        Previous::Rev(p) => (Some(RevJson::of(p)), None),
        Previous::Nothing(why) => (None, Some(why.as_str())),
    };
    record(
        out,
        "watch-release",
        &ReleaseJson {
            repo: &rel.id.repo,
            rev: &rel.id.rev,
            kind: rel.id.kind.as_str(),
            commit: &rel.id.commit,
            url: rel.id.tree_link(),
            why: match &rel.why {
                Why::New => "new",
                Why::Moved { .. } => "moved",
                Why::NewRepository => "new-repository",
            },
            old_commit: match &rel.why {
                Why::Moved { old, .. } => Some(old),
                _ => None,
            },
            previous,
            previous_missing,
            changed: rel.changed(),
            watched: rel.watched.iter().map(EntryJson::of).collect(),
            picked_up_by: rel
                .picked_up_by
                .iter()
                .map(|p| PickupJson {
                    consumer: p.consumer.selector(),
                    commit: &p.consumer.commit,
                    new: p.new,
                    cites: p.sites.iter().map(CiteJson::of).collect(),
                })
                .collect(),
            kept: rel
                .kept
                .iter()
                .map(|(component, at)| KeptJson { component, at })
                .collect(),
            ships: rel
                .ships
                .iter()
                .map(|(component, at)| KeptJson { component, at })
                .collect(),
        },
    )?;
    if let Previous::Rev(p) = &rel.previous {
        for e in &rel.watched {
            changes_json(out, rel, e, &p.selector(), &rel.id.selector(), None)?;
        }
    }
    for m in &rel.moves {
        let (decided, reason, watched) = match &m.brings {
            Brings::Compared(d) => (true, None, d.iter().map(EntryJson::of).collect()),
            Brings::Undecided(why) => (false, Some(why.as_str()), Vec::new()),
        };
        record(
            out,
            "watch-pin-move",
            &MoveJson {
                consumer: rel.id.selector(),
                commit: &rel.id.commit,
                component: &m.component,
                from: PinSideJson::of(&m.from),
                to: PinSideJson::of(&m.to),
                sites: m
                    .sites
                    .iter()
                    .map(|s| SiteJson {
                        path: &s.path,
                        kind: s.kind.as_str(),
                        name: &s.name,
                        from: s.from.as_ref().map(|(v, c)| SiteSideJson {
                            version: v,
                            cite: CiteJson::of(c),
                        }),
                        to: s.to.as_ref().map(|(v, c)| SiteSideJson {
                            version: v,
                            cite: CiteJson::of(c),
                        }),
                    })
                    .collect(),
                decided,
                reason,
                changed: m.counts(),
                watched,
            },
        )?;
        if let (Brings::Compared(d), Some(a), Some(b)) = (&m.brings, &m.from.rev, &m.to.rev) {
            for e in d {
                changes_json(
                    out,
                    rel,
                    e,
                    &a.selector(),
                    &b.selector(),
                    Some(rel.id.selector()),
                )?;
            }
        }
    }
    Ok(())
}

fn changes_json(
    out: &mut dyn Write,
    rel: &Release,
    e: &EntryDiff,
    from: &str,
    to: &str,
    via: Option<String>,
) -> Result<()> {
    for c in &e.changes {
        record(
            out,
            "watch-change",
            &ChangeJson {
                release: rel.id.selector(),
                entry: &e.entry,
                from: from.to_string(),
                to: to.to_string(),
                via: via.clone(),
                class: c.class.as_str(),
                rule: c.rule.as_deref(),
                symbol: c.symbol.as_deref(),
                a: c.a.as_ref().map(SideJson::of),
                b: c.b.as_ref().map(SideJson::of),
            },
        )?;
    }
    Ok(())
}

fn watch_markdown(out: &mut dyn Write, r: &WatchReport) -> Result<()> {
    let changed: Vec<&Release> = r.releases.iter().filter(|x| x.changed()).collect();
    let quiet: Vec<&Release> = r.releases.iter().filter(|x| !x.changed()).collect();
    if r.nothing_new() {
        writeln!(out, "## archeo watch: nothing new upstream\n")?;
        writeln!(out, "Every pin is as `archeo.lock` records it.")?;
        return Ok(());
    }
    writeln!(
        out,
        "## archeo watch: {}\n",
        if changed.is_empty() {
            format!(
                "{} new revision{}, nothing watched changed",
                r.releases.len(),
                if r.releases.len() == 1 { "" } else { "s" }
            )
        } else {
            format!(
                "watched findings changed in {} of {} new revision{}",
                changed.len(),
                r.releases.len(),
                if r.releases.len() == 1 { "" } else { "s" }
            )
        }
    )?;
    watching_markdown(out, r)?;
    for rel in &changed {
        release_markdown(out, rel)?;
    }
    if !quiet.is_empty() {
        writeln!(
            out,
            "### {}\n",
            if changed.is_empty() {
                "New revisions"
            } else {
                "Nothing watched changed in"
            }
        )?;
        for rel in &quiet {
            quiet_markdown(out, rel)?;
        }
        writeln!(out)?;
    }
    if !r.dropped.is_empty() {
        writeln!(out, "### No longer pinned\n")?;
        for (repo, rev, commit) in &r.dropped {
            writeln!(out, "- {} {} `{}`", md_text(repo), md_text(rev), commit)?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "<sub>Compared by finding identity (rule, enclosing declaration, matched code without whitespace and comments) with each revision's predecessor: the previous tag in version order, or a moved ref's previous commit. Written by `archeo watch`; every link is on an immutable commit.</sub>"
    )?;
    Ok(())
}

fn watching_markdown(out: &mut dyn Write, r: &WatchReport) -> Result<()> {
    if r.watching.is_empty() {
        writeln!(
            out,
            "Nothing is watched (no `watch` in `archeo.toml`): new revisions only.\n"
        )?;
        return Ok(());
    }
    let parts: Vec<String> = r
        .watching
        .iter()
        .map(|(repo, entries)| {
            format!(
                "{}: {}",
                md_text(repo),
                entries
                    .iter()
                    .map(|e| md_code(e))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
        .collect();
    writeln!(out, "Watching {}.\n", parts.join("; "))?;
    Ok(())
}

/// `runc v1.3.3` linked to its tree, with why it is new and what it is compared with.
fn release_heading(rel: &Release) -> String {
    let compared = match &rel.previous {
        Previous::Rev(p) => format!(
            ", after {} `{}`",
            md_link(&p.rev, &p.tree_link()),
            &p.commit[..12]
        ),
        Previous::Nothing(why) => format!(" ({})", md_text(why)),
    };
    format!(
        "{} {} — {}{}",
        md_text(&rel.id.repo),
        md_link(&rel.id.rev, &rel.id.tree_link()),
        why_text(rel),
        compared
    )
}

fn release_markdown(out: &mut dyn Write, rel: &Release) -> Result<()> {
    writeln!(out, "### {}\n", release_heading(rel))?;
    writeln!(out, "Commit `{}`.\n", rel.id.commit)?;
    if let Previous::Rev(p) = &rel.previous {
        for e in &rel.watched {
            entry_markdown(out, e, &p.selector(), &rel.id.selector())?;
        }
    } else {
        for e in &rel.watched {
            writeln!(out, "- {}: {}", md_code(&e.entry), md_text(&counts_text(e)))?;
        }
    }
    for m in &rel.moves {
        move_markdown(out, m)?;
    }
    for (component, what) in &rel.kept {
        writeln!(out, "Keeps {}.\n", md_code(&kept_text(component, what)))?;
    }
    for (component, what) in &rel.ships {
        writeln!(out, "Ships {}.\n", md_code(&kept_text(component, what)))?;
    }
    if rel.has_consumers {
        pickups_markdown(out, rel)?;
    }
    Ok(())
}

fn entry_markdown(out: &mut dyn Write, e: &EntryDiff, a: &str, b: &str) -> Result<()> {
    writeln!(
        out,
        "**{}**: {}.\n",
        md_code(&e.entry),
        md_text(&counts_text(e))
    )?;
    let counted: Vec<&Change> = e
        .changes
        .iter()
        .filter(|c| c.class != Class::Moved)
        .collect();
    let moved: Vec<&Change> = e
        .changes
        .iter()
        .filter(|c| c.class == Class::Moved)
        .collect();
    if !counted.is_empty() {
        changes_table(out, &counted, a, b)?;
    }
    if !moved.is_empty() {
        writeln!(
            out,
            "<details><summary>{} moved (the same code at other lines)</summary>\n",
            moved.len()
        )?;
        changes_table(out, &moved, a, b)?;
        writeln!(out, "</details>\n")?;
    }
    Ok(())
}

fn move_markdown(out: &mut dyn Write, m: &PinMove) -> Result<()> {
    writeln!(
        out,
        "Moves {} from {} to {}:\n",
        md_text(&m.component),
        md_code(&pin_side_text(&m.from)),
        md_code(&pin_side_text(&m.to))
    )?;
    for s in &m.sites {
        writeln!(
            out,
            "- {}: {} → {}",
            md_code(&format!("{} {}", s.kind.as_str(), s.name)),
            md_version_at(&s.from),
            md_version_at(&s.to)
        )?;
    }
    writeln!(out)?;
    match &m.brings {
        Brings::Compared(entries) => {
            let (Some(a), Some(b)) = (&m.from.rev, &m.to.rev) else {
                return Ok(());
            };
            writeln!(
                out,
                "What that brings, {} → {}:\n",
                md_text(&a.selector()),
                md_text(&b.selector())
            )?;
            for e in entries {
                entry_markdown(out, e, &a.selector(), &b.selector())?;
            }
        }
        Brings::Undecided(why) => {
            writeln!(out, "**Cannot compare**: {}.\n", md_text(why))?;
        }
    }
    Ok(())
}

fn pickups_markdown(out: &mut dyn Write, rel: &Release) -> Result<()> {
    if rel.picked_up_by.is_empty() {
        writeln!(out, "Shipped by no pinned consumer release yet.\n")?;
        return Ok(());
    }
    let items: Vec<String> = rel
        .picked_up_by
        .iter()
        .map(|p| {
            let sites: Vec<String> = p
                .sites
                .iter()
                .map(|c| md_link(&c.location(), &c.url))
                .collect();
            format!(
                "{} {}{} ({})",
                md_text(&p.consumer.repo),
                md_link(&p.consumer.rev, &p.consumer.tree_link()),
                if p.new { " (new)" } else { "" },
                sites.join(", ")
            )
        })
        .collect();
    writeln!(out, "Shipped by {}.\n", items.join("; "))?;
    Ok(())
}

/// A release with nothing watched changed, as one list item.
fn quiet_markdown(out: &mut dyn Write, rel: &Release) -> Result<()> {
    let mut parts: Vec<String> = rel
        .watched
        .iter()
        .map(|e| format!("{} {}", md_code(&e.entry), md_text(&counts_text(e))))
        .collect();
    for m in &rel.moves {
        parts.push(format!(
            "moves {} {} → {}, watched findings unchanged",
            md_text(&m.component),
            md_code(&pin_side_text(&m.from)),
            md_code(&pin_side_text(&m.to))
        ));
    }
    for (component, what) in &rel.kept {
        parts.push(format!("keeps {}", md_code(&kept_text(component, what))));
    }
    for (component, what) in &rel.ships {
        parts.push(format!("ships {}", md_code(&kept_text(component, what))));
    }
    if rel.has_consumers {
        let ships: Vec<String> = rel
            .picked_up_by
            .iter()
            .map(|p| md_text(&p.consumer.selector()))
            .collect();
        parts.push(if ships.is_empty() {
            "shipped by no pinned consumer release yet".to_string()
        } else {
            format!("shipped by {}", ships.join(", "))
        });
    }
    writeln!(
        out,
        "- {}{}",
        release_heading(rel),
        if parts.is_empty() {
            String::new()
        } else {
            format!(": {}", parts.join("; "))
        }
    )?;
    Ok(())
}
