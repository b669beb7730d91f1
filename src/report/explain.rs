//! Printers for `archeo explain`: segments with their sources, the chain, and the revisions
//! emitting the whole message.

use std::io::Write;

use anyhow::Result;
use serde::ser::{Serialize, SerializeStruct, Serializer};
use termcolor::{Color, WriteColor};

use super::json::{CiteJson, record};
use super::{dim, md_code, md_link, md_text, report, spec};
use crate::query::explain::{Explanation, Site, Verdict};

report!(Explanation, explain_text, explain_json, explain_markdown);

fn explain_json(out: &mut dyn Write, e: &Explanation) -> Result<()> {
    record(out, "explanation", e)
}

/// A site in JSON: the one citation shape every command uses, and the enclosing function.
impl Serialize for Site {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Site", 3)?;
        st.serialize_field("cite", &CiteJson::of(&self.cite))?;
        st.serialize_field("function", &self.function)?;
        st.serialize_field("literal", &self.literal)?;
        st.end()
    }
}

fn explain_text(out: &mut dyn WriteColor, e: &Explanation) -> Result<()> {
    summary_text(out, e)?;
    chain_text(out, e)?;
    releases_text(out, e)?;
    others_text(out, e)
}

/// One line: how many segments are explained, and where each part of the message comes from.
fn summary_text(out: &mut dyn WriteColor, e: &Explanation) -> Result<()> {
    let n = e.segments.len();
    let by_code = e.segments.iter().filter(|s| s.explained_by_code()).count();
    let errno = e
        .segments
        .iter()
        .filter(|s| s.errno.is_some() && !s.explained_by_code())
        .count();
    write!(
        out,
        "{n} segment{}: {by_code} from code, {errno} errno text{}",
        if n == 1 { "" } else { "s" },
        if errno == 1 { "" } else { "s" }
    )?;
    let left = n - by_code - errno;
    if left > 0 {
        out.set_color(&spec(Color::Yellow, false))?;
        write!(out, ", {left} unexplained")?;
        out.reset()?;
    }
    let parts: Vec<String> = e
        .emitted_by
        .iter()
        .map(|r| format!("{} {}", r.repo, segment_list(&r.segments)))
        .collect();
    if !parts.is_empty() {
        write!(out, " · {}", parts.join(", "))?;
    }
    writeln!(out)?;
    Ok(())
}

/// `[2]-[7]` or `[1] [3]`.
fn segment_list(segs: &[usize]) -> String {
    let contiguous = segs.windows(2).all(|w| w[1] == w[0] + 1);
    match segs {
        [] => String::new(),
        [one] => format!("[{}]", one + 1),
        [first, .., last] if contiguous => format!("[{}]-[{}]", first + 1, last + 1),
        _ => segs
            .iter()
            .map(|s| format!("[{}]", s + 1))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// The segments outermost first, each with the site the chain goes through, and the route to
/// the next one with its hops and the routes not taken.
fn chain_text(out: &mut dyn WriteColor, e: &Explanation) -> Result<()> {
    writeln!(out, "\nchain (outermost first)")?;
    for (i, s) in e.segments.iter().enumerate() {
        out.set_color(&spec(Color::Magenta, true))?;
        write!(out, "[{}] {}", i + 1, s.text)?;
        out.reset()?;
        writeln!(out)?;
        match (&s.chosen, &s.errno) {
            (Some(c), _) => {
                let cand = &s.candidates[c.candidate];
                let site = &cand.sites[c.site];
                write!(out, "    {} {}:{}", c.at, site.cite.path, site.cite.start)?;
                if let Some(f) = &site.function {
                    write!(out, " ‹{f}›")?;
                }
                if cand.format.starts_with("Op: ") {
                    write!(out, "  {}, {}", cand.kind, cand.format)?;
                } else {
                    write!(out, "  {} {:?}", cand.kind, cand.format)?;
                }
                if let Some(m) = &c.vendored {
                    write!(out, " · vendored {m}")?;
                }
                writeln!(out)?;
                if let Some(w) = &c.wrapped_at {
                    writeln!(
                        out,
                        "    wrapped by {} at {}:{}",
                        w.function, w.path, w.line
                    )?;
                }
                out.set_color(&dim())?;
                write!(out, "    {} · {}", site.cite.revs_display, c.url)?;
                out.reset()?;
                writeln!(out)?;
            }
            (None, Some(errno)) => writeln!(
                out,
                "    errno {errno}: the kernel's error text for that errno (Go's, C's strerror and Rust's spellings)"
            )?,
            (None, None) if s.explained_by_code() => {
                writeln!(out, "    sources below; no site was chosen for the chain")?
            }
            (None, None) => {
                out.set_color(&spec(Color::Yellow, false))?;
                write!(
                    out,
                    "    no source in the selected revisions (another program's text?)"
                )?;
                out.reset()?;
                writeln!(out)?;
            }
        }
        for l in e.chain.iter().filter(|l| l.from == i) {
            link_text(out, e, l)?;
        }
    }
    Ok(())
}

fn link_text(
    out: &mut dyn WriteColor,
    e: &Explanation,
    l: &crate::query::explain::Link,
) -> Result<()> {
    out.set_color(&spec(Color::Cyan, false))?;
    write!(out, "  ↓ ")?;
    out.reset()?;
    if l.to != l.from + 1 {
        write!(out, "(to [{}]) ", l.to + 1)?;
    }
    write!(out, "{}", l.how)?;
    if let Some(at) = &l.at
        && !l.hops.is_empty()
        && e.emitted_by.iter().filter(|r| &r.at == at).count() == 1
    {
        write!(out, " [at {at}]")?;
    }
    writeln!(out)?;
    for h in &l.hops {
        writeln!(
            out,
            "      {} → {}  {}:{} ({})",
            h.from,
            h.to,
            h.path,
            h.line,
            h.certainty.as_str()
        )?;
    }
    for a in &l.alternatives {
        out.set_color(&dim())?;
        let verdict = match a.verdict {
            Verdict::Possible => "possible",
            Verdict::Contradicted => "contradicted",
            Verdict::Unreached => "unreached",
        };
        write!(out, "    not via {}: {verdict}: {}", a.via, a.why)?;
        out.reset()?;
        writeln!(out)?;
    }
    Ok(())
}

/// Per repository's part: the releases emitting it, and the nearest ones that do not.
fn releases_text(out: &mut dyn WriteColor, e: &Explanation) -> Result<()> {
    writeln!(out, "\nreleases emitting each part")?;
    if e.emitted_by.is_empty() {
        writeln!(
            out,
            "  none: no segment has a source in the selected revisions"
        )?;
    }
    for r in &e.emitted_by {
        writeln!(
            out,
            "  {} {}: {} ({} rev{}; chain read at {})",
            r.repo,
            segment_list(&r.segments),
            if r.emit.is_empty() { "none" } else { &r.emit },
            r.revs.len(),
            if r.revs.len() == 1 { "" } else { "s" },
            r.at
        )?;
        for (rev, lacks) in &r.nearest_without {
            let l: Vec<String> = lacks.iter().map(|s| format!("[{}]", s + 1)).collect();
            writeln!(out, "    not {}@{}: lacks {}", r.repo, rev, l.join(" "))?;
        }
    }
    Ok(())
}

/// What else matches each segment, shortly: other sites of the chosen source, other sources,
/// weak matches; and the segments nothing explains.
fn others_text(out: &mut dyn WriteColor, e: &Explanation) -> Result<()> {
    let mut lines: Vec<String> = Vec::new();
    for (i, s) in e.segments.iter().enumerate() {
        for (k, c) in s.candidates.iter().enumerate() {
            let chosen = s.chosen.as_ref().filter(|x| x.candidate == k);
            let sites: Vec<String> = c
                .sites
                .iter()
                .enumerate()
                .filter(|(j, _)| chosen.is_none_or(|x| x.site != *j))
                .map(|(_, x)| {
                    format!(
                        "{}@{} {}:{}",
                        x.cite.repo, x.cite.rev, x.cite.path, x.cite.start
                    )
                })
                .collect();
            if sites.is_empty() {
                continue;
            }
            let shown: Vec<&str> = sites.iter().take(2).map(String::as_str).collect();
            let more = sites.len().saturating_sub(2);
            let what = match (&c.weak, chosen) {
                (Some(w), _) => format!("weak {:?} ({}; {w})", c.format, c.kind),
                (None, Some(_)) => "also".to_string(),
                (None, None) => format!("or {:?} ({})", c.format, c.kind),
            };
            lines.push(format!(
                "  [{}] {what}: {}{}",
                i + 1,
                shown.join(", "),
                if more > 0 {
                    format!(" (+{more} more)")
                } else {
                    String::new()
                }
            ));
        }
    }
    if !lines.is_empty() {
        writeln!(out, "\nother sources (--format json lists every site)")?;
        for l in lines {
            writeln!(out, "{l}")?;
        }
    }
    let unexplained: Vec<String> = e
        .segments
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.explained_by_code() && s.errno.is_none())
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
        let chosen = s.chosen.as_ref().map(|c| {
            let cand = &s.candidates[c.candidate];
            (cand, &cand.sites[c.site], Some(c))
        });
        let strong = s
            .candidates
            .iter()
            .find(|c| c.weak.is_none())
            .and_then(|c| c.sites.first().map(|x| (c, x, None)));
        match chosen.or(strong) {
            Some((c, site, ch)) => {
                let cell = match ch {
                    Some(ch) => format!(
                        "{} {}{}",
                        md_text(&ch.at),
                        md_link(&format!("{}:{}", site.cite.path, site.cite.start), &ch.url),
                        ch.vendored
                            .as_ref()
                            .map(|m| format!("<br>vendored {}", md_text(m)))
                            .unwrap_or_default()
                    ),
                    None => site_cell(&site.cite),
                };
                let wrapped = ch
                    .and_then(|x| x.wrapped_at.as_ref())
                    .map(|w| {
                        format!(
                            "<br>wrapped in {} at {}",
                            md_code(&w.function),
                            md_link(&format!("{}:{}", w.path, w.line), &w.url)
                        )
                    })
                    .unwrap_or_default();
                writeln!(
                    out,
                    "| {} | {} | {} ({}) | {cell}{wrapped} | {} |",
                    i + 1,
                    md_code(&s.text),
                    md_code(&c.format),
                    md_text(&c.kind),
                    site.function.as_deref().map(md_code).unwrap_or_default()
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
            "- [{}] → [{}]: {}{}",
            l.from + 1,
            l.to + 1,
            md_text(&l.how),
            l.at.as_deref()
                .filter(|_| !l.hops.is_empty())
                .map(|a| format!(" (at {})", md_text(a)))
                .unwrap_or_default()
        )?;
        for h in &l.hops {
            let at = format!("{}:{}", h.path, h.line);
            writeln!(
                out,
                "  - {} → {} at {} ({})",
                md_code(&h.from),
                md_code(&h.to),
                match &h.url {
                    Some(u) => md_link(&at, u),
                    None => md_code(&at),
                },
                h.certainty.as_str()
            )?;
        }
        for a in &l.alternatives {
            writeln!(
                out,
                "  - not via {}: {}, {}",
                md_code(&a.via),
                md_text(&format!("{:?}", a.verdict).to_lowercase()),
                md_text(&a.why)
            )?;
        }
    }
    for r in &e.emitted_by {
        let segs: Vec<String> = r.segments.iter().map(|s| format!("[{}]", s + 1)).collect();
        writeln!(
            out,
            "- **{}** emits {}: {} ({} rev{}; chain read at {})",
            r.repo,
            segs.join(" "),
            md_text(if r.emit.is_empty() { "none" } else { &r.emit }),
            r.revs.len(),
            if r.revs.len() == 1 { "" } else { "s" },
            md_text(&r.at)
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
