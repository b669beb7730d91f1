//! Printers over typed results: ripgrep-like text (colored on a TTY), JSON Lines, Markdown.
//! Printers never search; searches never format.

use std::io::Write;

use anyhow::Result;
use termcolor::{Color, ColorSpec, WriteColor};

use crate::query::search::{Hit, Results};

/// Output formats every result-printing command offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum Format {
    /// Human-readable text (colored on a TTY).
    #[default]
    Text,
    /// JSON Lines: one object per line.
    Json,
    /// Markdown, for pasting into documents.
    Md,
}

/// A result that can be printed in every format.
pub trait Report {
    fn text(&self, out: &mut dyn WriteColor) -> Result<()>;
    fn json(&self, out: &mut dyn Write) -> Result<()>;
    fn markdown(&self, out: &mut dyn Write) -> Result<()>;
}

/// Prints a report to stdout in `format`.
pub fn print(report: &dyn Report, format: Format, color: termcolor::ColorChoice) -> Result<()> {
    match format {
        Format::Text => report.text(&mut termcolor::StandardStream::stdout(color)),
        Format::Json => report.json(&mut std::io::stdout().lock()),
        Format::Md => report.markdown(&mut std::io::stdout().lock()),
    }
}

macro_rules! report {
    ($t:ty, $text:ident, $json:ident, $md:ident) => {
        impl Report for $t {
            fn text(&self, out: &mut dyn WriteColor) -> Result<()> {
                $text(out, self)
            }
            fn json(&self, out: &mut dyn Write) -> Result<()> {
                $json(out, self)
            }
            fn markdown(&self, out: &mut dyn Write) -> Result<()> {
                $md(out, self)
            }
        }
    };
}

report!(Results, text, json, markdown);
report!(
    Vec<crate::query::findings::FindingHit>,
    findings_text,
    findings_json,
    findings_markdown
);
report!(
    crate::query::history::DiffReport,
    diff_text,
    diff_json,
    diff_markdown
);
report!(
    crate::query::history::Timeline,
    timeline_text,
    timeline_json,
    timeline_markdown
);
report!(
    crate::query::explain::Explanation,
    explain_text,
    explain_json,
    explain_markdown
);

pub fn explain_json(out: &mut dyn Write, e: &crate::query::explain::Explanation) -> Result<()> {
    serde_json::to_writer(&mut *out, e)?;
    writeln!(out)?;
    Ok(())
}

/// Inline code for a Markdown table cell: pipes escaped, backticks fenced so the table never breaks.
pub fn md_code(s: &str) -> String {
    let s = s.trim().replace('|', "\\|");
    if s.is_empty() {
        return String::new();
    }
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    if longest == 0 {
        return format!("`{s}`");
    }
    let fence = "`".repeat(longest + 1);
    format!("{fence} {s} {fence}")
}

/// A location linked to its permalink; a plain `repo@commit:path:line` citation (hosts without
/// permalinks) is shown as code instead, since it is no URL.
pub fn md_link(text: &str, url: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") {
        format!("[{}]({url})", md_text(text))
    } else {
        md_code(url)
    }
}

/// Plain text for a Markdown table cell.
pub fn md_text(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn spec(fg: Color, bold: bool) -> ColorSpec {
    let mut c = ColorSpec::new();
    c.set_fg(Some(fg)).set_bold(bold);
    c
}

/// Groups hits by file version, keeping the order of first appearance.
fn groups(hits: &[Hit]) -> Vec<Vec<&Hit>> {
    let mut out: Vec<Vec<&Hit>> = Vec::new();
    let mut index: std::collections::HashMap<(&str, &str, &str), usize> = Default::default();
    for h in hits {
        let k = (h.repo.as_str(), h.path.as_str(), h.blob.as_str());
        match index.get(&k) {
            Some(&i) => out[i].push(h),
            None => {
                index.insert(k, out.len());
                out.push(vec![h]);
            }
        }
    }
    for g in &mut out {
        g.sort_by_key(|h| h.line);
    }
    out
}

pub fn text(out: &mut dyn WriteColor, r: &Results) -> Result<()> {
    let gs = groups(&r.hits);
    for (gi, g) in gs.iter().enumerate() {
        let h0 = g[0];
        if gi > 0 {
            writeln!(out)?;
        }
        let newest = h0.revs.last().map(|r| r.rev.as_str()).unwrap_or("");
        out.set_color(&spec(Color::Magenta, true))?;
        write!(out, "{}@{} {}", h0.repo, newest, h0.path)?;
        out.reset()?;
        writeln!(out)?;
        out.set_color(ColorSpec::new().set_dimmed(true))?;
        write!(out, "  {}", h0.revs_display)?;
        if let Some(m) = &h0.vendored_module {
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
            if h.line <= last_printed {
                // Already shown as context of an earlier hit; nothing to add.
            } else {
                if last_printed > 0 && h.line > last_printed + 1 && !h.before.is_empty() {
                    writeln!(out, "--")?;
                }
            }
            out.set_color(&spec(Color::Green, true))?;
            write!(out, "{}", h.line)?;
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
                out.set_color(ColorSpec::new().set_dimmed(true))?;
                write!(out, "  ‹{s}›")?;
                out.reset()?;
            }
            writeln!(out)?;
            last_printed = last_printed.max(h.line);
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
        out.set_color(ColorSpec::new().set_dimmed(true))?;
        write!(out, "  {}", g[0].url.split("#L").next().unwrap_or(""))?;
        out.reset()?;
        writeln!(out)?;
    }
    let files = gs.len();
    let revs: std::collections::HashSet<(&str, &str)> = r
        .hits
        .iter()
        .flat_map(|h| {
            h.revs
                .iter()
                .map(move |v| (h.repo.as_str(), v.commit.as_str()))
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

pub fn json(out: &mut dyn Write, r: &Results) -> Result<()> {
    for h in &r.hits {
        serde_json::to_writer(&mut *out, h)?;
        writeln!(out)?;
    }
    Ok(())
}

pub fn markdown(out: &mut dyn Write, r: &Results) -> Result<()> {
    writeln!(out, "| revisions | location | symbol | excerpt |")?;
    writeln!(out, "| --- | --- | --- | --- |")?;
    for h in &r.hits {
        let newest = h.revs.last().map(|r| r.rev.as_str()).unwrap_or("");
        writeln!(
            out,
            "| {}@{} ({}) | {} | {} | {} |",
            h.repo,
            newest,
            md_text(&h.revs_display),
            md_link(&format!("{}:{}", h.path, h.line), &h.url),
            h.symbol.as_deref().map(md_code).unwrap_or_default(),
            md_code(&h.text)
        )?;
    }
    Ok(())
}

/// `path:line` or `path:start-end`.
pub fn location(path: &str, start: u32, end: u32) -> String {
    if end > start {
        format!("{path}:{start}-{end}")
    } else {
        format!("{path}:{start}")
    }
}

/// Facts as `name = [A, B]; other = [C]`.
pub fn facts_text(facts: &std::collections::BTreeMap<String, Vec<String>>) -> String {
    facts
        .iter()
        .map(|(k, v)| format!("{k} = [{}]", v.join(", ")))
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn findings_text(out: &mut dyn WriteColor, hits: &[crate::query::findings::FindingHit]) -> Result<()> {
    let mut rule = "";
    for h in hits {
        if h.rule != rule {
            if !rule.is_empty() {
                writeln!(out)?;
            }
            out.set_color(&spec(Color::Cyan, true))?;
            write!(out, "{}", h.rule)?;
            out.reset()?;
            writeln!(out)?;
            rule = &h.rule;
        }
        let newest = h.revs.last().map(|r| r.rev.as_str()).unwrap_or("");
        out.set_color(&spec(Color::Magenta, true))?;
        write!(
            out,
            "{}@{} {}",
            h.repo,
            newest,
            location(&h.path, h.start, h.end)
        )?;
        out.reset()?;
        if let Some(s) = &h.symbol {
            write!(out, "  ‹{s}›")?;
        }
        writeln!(out)?;
        out.set_color(ColorSpec::new().set_dimmed(true))?;
        write!(out, "  {}", h.revs_display)?;
        if let Some(m) = &h.vendored_module {
            write!(out, " · vendored {m}")?;
        }
        out.reset()?;
        writeln!(out)?;
        if !h.facts.is_empty() {
            writeln!(out, "  facts: {}", facts_text(&h.facts))?;
        }
        for (i, l) in h.text.lines().enumerate().take(6) {
            writeln!(
                out,
                "  {}{}",
                if i == 0 { "> " } else { "  " },
                l.trim_end()
            )?;
        }
        if h.text.lines().count() > 6 {
            writeln!(out, "    …")?;
        }
        out.set_color(ColorSpec::new().set_dimmed(true))?;
        write!(out, "  {}", h.url)?;
        out.reset()?;
        writeln!(out)?;
    }
    let files: std::collections::HashSet<(&str, &str, &str)> = hits
        .iter()
        .map(|h| (h.repo.as_str(), h.path.as_str(), h.blob.as_str()))
        .collect();
    if !hits.is_empty() {
        writeln!(out)?;
    }
    writeln!(
        out,
        "{} finding{} in {} file version{}",
        hits.len(),
        if hits.len() == 1 { "" } else { "s" },
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    )?;
    Ok(())
}

pub fn findings_json(out: &mut dyn Write, hits: &[crate::query::findings::FindingHit]) -> Result<()> {
    for h in hits {
        serde_json::to_writer(&mut *out, h)?;
        writeln!(out)?;
    }
    Ok(())
}

pub fn findings_markdown(out: &mut dyn Write, hits: &[crate::query::findings::FindingHit]) -> Result<()> {
    writeln!(
        out,
        "| rule | revisions | location | symbol | excerpt | facts |"
    )?;
    writeln!(out, "| --- | --- | --- | --- | --- | --- |")?;
    for h in hits {
        let newest = h.revs.last().map(|r| r.rev.as_str()).unwrap_or("");
        writeln!(
            out,
            "| {} | {}@{} ({}) | {} | {} | {} | {} |",
            h.rule,
            h.repo,
            newest,
            md_text(&h.revs_display),
            md_link(&location(&h.path, h.start, h.end), &h.url),
            h.symbol.as_deref().map(md_code).unwrap_or_default(),
            md_code(h.text.lines().next().unwrap_or("")),
            md_text(&facts_text(&h.facts))
        )?;
    }
    Ok(())
}

fn side_cite(s: &crate::query::history::Side) -> String {
    format!("{}@{} {}", s.repo, s.rev, location(&s.path, s.start, s.end))
}

pub fn diff_text(out: &mut dyn WriteColor, d: &crate::query::history::DiffReport) -> Result<()> {
    use crate::query::history::Class;
    writeln!(out, "{} ({}) -> {} ({})", d.a, d.a_commit, d.b, d.b_commit)?;
    for class in [Class::Added, Class::Removed, Class::Changed, Class::Moved] {
        let items: Vec<&crate::query::history::Change> =
            d.changes.iter().filter(|c| c.class == class).collect();
        if items.is_empty() {
            continue;
        }
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
            let url =
                c.b.as_ref()
                    .or(c.a.as_ref())
                    .map(|s| s.url.as_str())
                    .unwrap_or("");
            out.set_color(ColorSpec::new().set_dimmed(true))?;
            write!(out, "      {url}")?;
            out.reset()?;
            writeln!(out)?;
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
    writeln!(
        out,
        "\n{} change{}, {} unchanged, {} vendored module change{}",
        d.changes.len(),
        if d.changes.len() == 1 { "" } else { "s" },
        d.unchanged,
        d.modules.len(),
        if d.modules.len() == 1 { "" } else { "s" }
    )?;
    Ok(())
}

pub fn diff_json(out: &mut dyn Write, d: &crate::query::history::DiffReport) -> Result<()> {
    for c in &d.changes {
        serde_json::to_writer(&mut *out, c)?;
        writeln!(out)?;
    }
    for m in &d.modules {
        writeln!(
            out,
            "{}",
            serde_json::json!({"class": "module", "module": m.module, "from": m.from, "to": m.to})
        )?;
    }
    for f in &d.files_removed {
        writeln!(
            out,
            "{}",
            serde_json::json!({"class": "file-removed", "path": f})
        )?;
    }
    for f in &d.files_added {
        writeln!(
            out,
            "{}",
            serde_json::json!({"class": "file-added", "path": f})
        )?;
    }
    Ok(())
}

pub fn diff_markdown(out: &mut dyn Write, d: &crate::query::history::DiffReport) -> Result<()> {
    writeln!(
        out,
        "**Diff** `{}` = `{}` -> `{}` = `{}`: {} change{}, {} unchanged.",
        d.a,
        d.a_commit,
        d.b,
        d.b_commit,
        d.changes.len(),
        if d.changes.len() == 1 { "" } else { "s" },
        d.unchanged
    )?;
    writeln!(out)?;
    if !d.changes.is_empty() {
        writeln!(
            out,
            "| change | rule | symbol | {} | {} | facts |",
            d.a, d.b
        )?;
        writeln!(out, "| --- | --- | --- | --- | --- | --- |")?;
        for c in &d.changes {
            let cell = |s: &Option<crate::query::history::Side>| {
                s.as_ref()
                    .map(|s| {
                        format!(
                            "{} {}",
                            md_link(&location(&s.path, s.start, s.end), &s.url),
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
    }
    if !d.modules.is_empty() {
        writeln!(out, "| vendored module | {} | {} |", d.a, d.b)?;
        writeln!(out, "| --- | --- | --- |")?;
        for m in &d.modules {
            writeln!(
                out,
                "| {} | {} | {} |",
                md_code(&m.module),
                m.from.as_deref().unwrap_or("—"),
                m.to.as_deref().unwrap_or("—")
            )?;
        }
        writeln!(out)?;
    }
    for f in &d.files_removed {
        writeln!(out, "- file holding findings removed: {}", md_code(f))?;
    }
    for f in &d.files_added {
        writeln!(out, "- file holding findings added: {}", md_code(f))?;
    }
    Ok(())
}

pub fn timeline_text(out: &mut dyn WriteColor, t: &crate::query::history::Timeline) -> Result<()> {
    for (i, tr) in t.tracks.iter().enumerate() {
        out.set_color(&spec(Color::Magenta, true))?;
        write!(out, "T{}", i + 1)?;
        out.reset()?;
        write!(out, " {} {}:{}", tr.repo, tr.path, tr.line)?;
        if let Some(s) = &tr.symbol {
            write!(out, " ‹{s}›")?;
        }
        writeln!(out)?;
        writeln!(out, "   held by {}", tr.held)?;
        if !tr.facts.is_empty() {
            writeln!(out, "   {}", facts_text(&tr.facts))?;
        }
        writeln!(out, "   {}", tr.text.lines().next().unwrap_or("").trim())?;
    }
    writeln!(out)?;
    let w = t
        .revisions
        .iter()
        .map(|r| r.0.len() + r.1.len() + 1)
        .max()
        .unwrap_or(8);
    write!(out, "{:<w$}", "revision")?;
    for i in 0..t.tracks.len() {
        write!(out, " {:>3}", format!("T{}", i + 1))?;
    }
    writeln!(out, "  count")?;
    for (repo, rev, _, count) in &t.revisions {
        write!(out, "{:<w$}", format!("{repo}@{rev}"))?;
        for tr in &t.tracks {
            let held = tr.repo == *repo && tr.revs.contains(rev);
            write!(out, " {:>3}", if held { "●" } else { "·" })?;
        }
        writeln!(out, "  {count}")?;
    }
    Ok(())
}

pub fn timeline_json(out: &mut dyn Write, t: &crate::query::history::Timeline) -> Result<()> {
    for tr in &t.tracks {
        serde_json::to_writer(&mut *out, tr)?;
        writeln!(out)?;
    }
    for (repo, rev, commit, count) in &t.revisions {
        writeln!(
            out,
            "{}",
            serde_json::json!({"repo": repo, "rev": rev, "commit": commit, "count": count})
        )?;
    }
    Ok(())
}

pub fn timeline_markdown(out: &mut dyn Write, t: &crate::query::history::Timeline) -> Result<()> {
    writeln!(out, "| # | where (newest) | symbol | held by | facts |")?;
    writeln!(out, "| --- | --- | --- | --- | --- |")?;
    for (i, tr) in t.tracks.iter().enumerate() {
        writeln!(
            out,
            "| T{} | {} | {} | {} | {} |",
            i + 1,
            md_link(&format!("{}:{}", tr.path, tr.line), &tr.url),
            tr.symbol.as_deref().map(md_code).unwrap_or_default(),
            md_text(&tr.held),
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
    for (repo, rev, commit, count) in &t.revisions {
        write!(out, "| {repo}@{rev} | `{}` |", &commit[..12])?;
        for tr in &t.tracks {
            let held = tr.repo == *repo && tr.revs.contains(rev);
            write!(out, " {} |", if held { "●" } else { "" })?;
        }
        writeln!(out, " {count} |")?;
    }
    Ok(())
}

pub fn explain_text(out: &mut dyn WriteColor, e: &crate::query::explain::Explanation) -> Result<()> {
    for (i, s) in e.segments.iter().enumerate() {
        out.set_color(&spec(Color::Magenta, true))?;
        write!(out, "[{}] {}", i + 1, s.text)?;
        out.reset()?;
        writeln!(out)?;
        if let Some(errno) = &s.errno {
            writeln!(
                out,
                "    errno {errno}: the kernel's error text, as Go's syscall package prints it"
            )?;
        }
        if s.candidates.is_empty() && s.errno.is_none() {
            out.set_color(&spec(Color::Yellow, false))?;
            write!(
                out,
                "    no source in the selected revisions (another program's text?)"
            )?;
            out.reset()?;
            writeln!(out)?;
        }
        for (k, c) in s.candidates.iter().enumerate() {
            let label = if k == 0 { "format" } else { "  or" };
            writeln!(
                out,
                "    {label} {:?}  ({}, {} literal chars)",
                c.format, c.kind, c.literal_chars
            )?;
            for site in c.sites.iter().take(if k == 0 { 6 } else { 2 }) {
                write!(
                    out,
                    "      {}@{} {}:{}",
                    site.repo, site.rev, site.path, site.line
                )?;
                if let Some(f) = &site.function {
                    write!(out, " ‹{f}›")?;
                }
                if let Some(m) = &site.vendored_module {
                    write!(out, " · vendored {m}")?;
                }
                writeln!(out)?;
                out.set_color(ColorSpec::new().set_dimmed(true))?;
                write!(out, "        {} · {}", site.revs_display, site.url)?;
                out.reset()?;
                writeln!(out)?;
            }
            let more = c.sites.len().saturating_sub(if k == 0 { 6 } else { 2 });
            if more > 0 {
                writeln!(out, "      … {more} more site(s)")?;
            }
        }
    }
    if !e.chain.is_empty() {
        writeln!(out, "\nchain (outermost first)")?;
        for l in &e.chain {
            writeln!(out, "  [{}] -> [{}]: {}", l.from + 1, l.to + 1, l.how)?;
        }
    }
    writeln!(out, "\nrevisions emitting the whole message")?;
    if e.emitted_by.is_empty() {
        writeln!(
            out,
            "  none: no segment has a source in the selected revisions"
        )?;
    }
    for r in &e.emitted_by {
        let segs: Vec<String> = r.segments.iter().map(|s| format!("[{}]", s + 1)).collect();
        writeln!(
            out,
            "  {}: {} ({} revs; segments {} have sources there)",
            r.repo,
            if r.emit.is_empty() { "none" } else { &r.emit },
            r.revs.len(),
            segs.join(" ")
        )?;
        for (rev, lacks) in &r.nearest_without {
            let l: Vec<String> = lacks.iter().map(|s| format!("[{}]", s + 1)).collect();
            writeln!(out, "    not {}@{}: lacks {}", r.repo, rev, l.join(" "))?;
        }
    }
    let unexplained: Vec<String> = e
        .segments
        .iter()
        .enumerate()
        .filter(|(_, s)| s.candidates.is_empty() && s.errno.is_none())
        .map(|(i, _)| format!("[{}]", i + 1))
        .collect();
    if !unexplained.is_empty() {
        writeln!(out, "\nunexplained: {}", unexplained.join(" "))?;
    }
    Ok(())
}

pub fn explain_markdown(out: &mut dyn Write, e: &crate::query::explain::Explanation) -> Result<()> {
    writeln!(out, "**Explain** {}\n", md_code(&e.message))?;
    writeln!(out, "| # | segment | source | site | function |")?;
    writeln!(out, "| --- | --- | --- | --- | --- |")?;
    for (i, s) in e.segments.iter().enumerate() {
        match s.candidates.first() {
            Some(c) => {
                let site = c.sites.first();
                let cell = site
                    .map(|x| {
                        format!(
                            "{}@{} {}{}",
                            x.repo,
                            x.rev,
                            md_link(&format!("{}:{}", x.path, x.line), &x.url),
                            x.vendored_module
                                .as_ref()
                                .map(|m| format!("<br>vendored {}", md_text(m)))
                                .unwrap_or_default()
                        )
                    })
                    .unwrap_or_default();
                let more = if c.sites.len() > 1 {
                    format!(" (+{} more)", c.sites.len() - 1)
                } else {
                    String::new()
                };
                writeln!(
                    out,
                    "| {} | {} | {} ({}) | {cell}{more} | {} |",
                    i + 1,
                    md_code(&s.text),
                    md_code(&c.format),
                    md_text(&c.kind),
                    site.and_then(|x| x.function.as_deref())
                        .map(md_code)
                        .unwrap_or_default()
                )?;
            }
            None => {
                let src = s
                    .errno
                    .as_ref()
                    .map(|e| format!("errno {e}"))
                    .unwrap_or_else(|| "_no source in the pinned revisions_".into());
                writeln!(out, "| {} | {} | {src} |  |  |", i + 1, md_code(&s.text))?;
            }
        }
    }
    writeln!(out)?;
    for l in &e.chain {
        writeln!(
            out,
            "- [{}] → [{}]: {}",
            l.from + 1,
            l.to + 1,
            md_text(&l.how)
        )?;
    }
    for r in &e.emitted_by {
        writeln!(
            out,
            "- emitted whole by **{}**: {} ({} revs)",
            r.repo,
            md_text(if r.emit.is_empty() { "none" } else { &r.emit }),
            r.revs.len()
        )?;
        for (rev, lacks) in &r.nearest_without {
            let l: Vec<String> = lacks.iter().map(|s| format!("[{}]", s + 1)).collect();
            writeln!(out, "  - not {}@{}: lacks {}", r.repo, rev, l.join(" "))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md_code_never_breaks_a_table() {
        assert_eq!(md_code("a | b"), "`a \\| b`");
        assert_eq!(md_code("x := `raw`"), "`` x := `raw` ``");
    }
}
