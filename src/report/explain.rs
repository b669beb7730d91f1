//! Printers for `archeo explain`: segments with their sources, the chain, and the revisions
//! emitting the whole message.

use std::io::Write;

use anyhow::Result;
use serde::ser::{Serialize, SerializeStruct, Serializer};
use termcolor::{Color, WriteColor};

use super::json::{CiteJson, record};
use super::{dim, md_code, md_link, md_text, report, spec};
use crate::query::explain::{Explanation, Site};

report!(Explanation, explain_text, explain_json, explain_markdown);

fn explain_json(out: &mut dyn Write, e: &Explanation) -> Result<()> {
    record(out, "explanation", e)
}

/// A site in JSON: the one citation shape every command uses, and the enclosing function.
impl Serialize for Site {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Site", 2)?;
        st.serialize_field("cite", &CiteJson::of(&self.cite))?;
        st.serialize_field("function", &self.function)?;
        st.end()
    }
}

fn explain_text(out: &mut dyn WriteColor, e: &Explanation) -> Result<()> {
    segments_text(out, e)?;
    chain_and_emission_text(out, e)
}

/// Each segment with its candidate sources and their sites.
fn segments_text(out: &mut dyn WriteColor, e: &Explanation) -> Result<()> {
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
                let c = &site.cite;
                write!(
                    out,
                    "      {}@{} {}:{}",
                    c.repo,
                    c.rev,
                    super::term_text(&c.path),
                    c.start
                )?;
                if let Some(f) = &site.function {
                    write!(out, " ‹{f}›")?;
                }
                if let Some(m) = &c.vendored_module {
                    write!(out, " · vendored {m}")?;
                }
                writeln!(out)?;
                out.set_color(&dim())?;
                write!(out, "        {} · {}", c.revs_display, c.url)?;
                out.reset()?;
                writeln!(out)?;
            }
            let more = c.sites.len().saturating_sub(if k == 0 { 6 } else { 2 });
            if more > 0 {
                writeln!(out, "      … {more} more site(s)")?;
            }
        }
    }
    Ok(())
}

/// How the segments link, which revisions emit the whole message, what is unexplained.
fn chain_and_emission_text(out: &mut dyn WriteColor, e: &Explanation) -> Result<()> {
    if !e.chain.is_empty() {
        writeln!(out, "\nchain (outermost first)")?;
        for l in &e.chain {
            writeln!(out, "  [{}] -> [{}]: {}", l.from + 1, l.to + 1, l.how)?;
            for h in &l.hops {
                writeln!(
                    out,
                    "      {} → {}  {}:{} ({})",
                    h.from,
                    h.to,
                    super::term_text(&h.path),
                    h.line,
                    h.certainty.as_str()
                )?;
            }
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
            "  {}: {} ({} rev{}; segments {} have sources there)",
            r.repo,
            if r.emit.is_empty() { "none" } else { &r.emit },
            r.revs.len(),
            if r.revs.len() == 1 { "" } else { "s" },
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

/// A site's table cell: `repo@rev [path:line](permalink)`, and its vendored module.
fn site_cell(x: &crate::index::citation::Citation) -> String {
    format!(
        "{}@{} {}{}",
        x.repo,
        md_text(&x.rev),
        md_link(&format!("{}:{}", x.path, x.start), &x.url),
        x.vendored_module
            .as_ref()
            .map(|m| format!("<br>vendored {}", md_text(m)))
            .unwrap_or_default()
    )
}

fn explain_markdown(out: &mut dyn Write, e: &Explanation) -> Result<()> {
    writeln!(out, "**Explain** {}\n", md_code(&e.message))?;
    writeln!(out, "| # | segment | source | site | function |")?;
    writeln!(out, "| --- | --- | --- | --- | --- |")?;
    for (i, s) in e.segments.iter().enumerate() {
        match s.candidates.first() {
            Some(c) => {
                let site = c.sites.first();
                let cell = site.map(|x| site_cell(&x.cite)).unwrap_or_default();
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
        for h in &l.hops {
            writeln!(
                out,
                "  - {} → {} at {} ({})",
                md_code(&h.from),
                md_code(&h.to),
                md_code(&format!("{}:{}", h.path, h.line)),
                h.certainty.as_str()
            )?;
        }
    }
    for r in &e.emitted_by {
        writeln!(
            out,
            "- emitted whole by **{}**: {} ({} rev{})",
            r.repo,
            md_text(if r.emit.is_empty() { "none" } else { &r.emit }),
            r.revs.len(),
            if r.revs.len() == 1 { "" } else { "s" }
        )?;
        for (rev, lacks) in &r.nearest_without {
            let l: Vec<String> = lacks.iter().map(|s| format!("[{}]", s + 1)).collect();
            writeln!(
                out,
                "  - not {}@{}: lacks {}",
                r.repo,
                md_text(rev),
                l.join(" ")
            )?;
        }
    }
    Ok(())
}
