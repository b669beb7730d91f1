//! The search page: one box in archeo's query syntax, results grouped by file version with the
//! revisions holding each, matches highlighted, links into the file view and upstream.

use std::collections::HashMap;

use maud::{Markup, html};

use super::layout::{error_box, permalink};
use crate::query::search::{Hit, Results};
use crate::serve::links;

/// What the search form shows.
pub(crate) struct SearchForm<'a> {
    /// The box's text (query and selectors).
    pub box_text: &'a str,
    /// Leave out vendored code.
    pub no_vendor: bool,
    /// An error to show above the results.
    pub error: Option<&'a str>,
}

/// The form, with examples when nothing was asked yet.
pub(crate) fn form(f: &SearchForm) -> Markup {
    html! {
        form.bar method="get" action="/search" role="search" {
            input.q #q type="search" name="q" value=(f.box_text) autofocus
                placeholder="openat2 repo:runc -path:vendor/ runc@v1.3.3"
                aria-label="Query";
            label.small { input type="checkbox" name="no_vendor" value="1" checked[f.no_vendor]; " no vendored code" }
            button type="submit" { "Search" }
        }
        @if let Some(e) = f.error { (error_box(e)) }
    }
}

/// Help shown on an empty search page.
pub(crate) fn help() -> Markup {
    let ex = [
        (
            "openat2",
            "a whole identifier or one of its camelCase/snake_case parts",
        ),
        (
            "\"unsafe procfs detected\"",
            "a phrase: adjacent words, or the exact text",
        ),
        (
            "RESOLVE_NO_XDEV -path:vendor/",
            "leave out paths (path: keeps only them)",
        ),
        (
            "sym:WriteSysctls sysctl",
            "only lines inside that declaration",
        ),
        (
            "rule:openat2-resolve-no-xdev lang:go",
            "only lines inside a rule's findings",
        ),
        (
            "openat2 runc@v1.3.3",
            "REPO@REV words select revisions, like --at",
        ),
    ];
    html! {
        table.list {
            @for (q, what) in ex {
                tr { td { a href=(links::search(q)) { code { (q) } } } td.muted { (what) } }
            }
        }
    }
}

/// The results: a summary line, then one box per file version.
pub(crate) fn results(r: &Results, cli: &str, api: &str, timeline: &str) -> Markup {
    let groups = groups(&r.hits);
    html! {
        p.muted #summary {
            (r.total) " hit" (if r.total == 1 { "" } else { "s" })
            " in " (groups.len()) " file version" (if groups.len() == 1 { "" } else { "s" })
            " across " (r.revisions_searched) " revisions"
            @if r.hits.len() < r.total { " (first " (r.hits.len()) " shown)" }
            " · " a href=(timeline) { "timeline" }
            " · " a href=(api) { "JSON" }
            " · " code.small { (cli) }
        }
        @if let Some(note) = crate::report::search::truncation_note(r) {
            p.err #truncated { "Cut short: " (note) }
        }
        @for g in &groups { (group(g)) }
    }
}

/// Hits grouped by file version (repo, path, blob), in order of first appearance, each group's
/// lines in line order — the grouping the text printer shows.
fn groups(hits: &[Hit]) -> Vec<Vec<&Hit>> {
    let mut out: Vec<Vec<&Hit>> = Vec::new();
    let mut at: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for h in hits {
        let c = &h.cite;
        let k = (c.repo.as_str(), c.path.as_str(), c.blob.as_str());
        match at.get(&k) {
            Some(&i) => out[i].push(h),
            None => {
                at.insert(k, out.len());
                out.push(vec![h]);
            }
        }
    }
    for g in &mut out {
        g.sort_by_key(|h| h.line());
    }
    out
}

fn group(g: &[&Hit]) -> Markup {
    let c = &g[0].cite;
    let file = |line: Option<u32>| links::file(&c.repo, &c.rev, &c.path, line);
    let mut shown: Vec<u32> = Vec::new();
    html! {
        section.group.hits {
            div.head {
                a.file href=(file(None)) { b { (c.repo) } " " (c.path) }
                span.revs { (c.revs_display) }
                @if let Some(m) = &c.vendored_module { span.tag { "vendored " (m) } }
                @if let Some(u) = links::upstream_file(&c.url) {
                    a.small href=(u) rel="noreferrer" { "upstream at " (c.rev) " ↗" }
                }
            }
            table.code {
                @for h in g {
                    @for (n, t) in &h.before { (context_row(&mut shown, *n, t, &file)) }
                    @if !shown.contains(&h.line()) {
                        ({ shown.push(h.line()); hit_row(h, &file(Some(h.line()))) })
                    }
                    @for (n, t) in &h.after { (context_row(&mut shown, *n, t, &file)) }
                }
            }
        }
    }
}

fn context_row(
    shown: &mut Vec<u32>,
    n: u32,
    text: &str,
    file: &dyn Fn(Option<u32>) -> String,
) -> Markup {
    if shown.contains(&n) {
        return html! {};
    }
    shown.push(n);
    html! {
        tr.ctx { td.n { a href=(file(Some(n))) { (n) } } td.c { (text) } td.s {} }
    }
}

fn hit_row(h: &Hit, href: &str) -> Markup {
    html! {
        tr.hit {
            td.n { a.hit href=(href) { (h.line()) } }
            td.c { (highlight(&h.text, &h.ranges)) }
            td.s {
                @if let Some(s) = &h.symbol { span title="enclosing declaration" { (s) } " " }
                (permalink(&h.cite.url))
            }
        }
    }
}

/// The line with the matched byte ranges in `<mark>` (overlaps merged, ranges off character
/// boundaries ignored).
pub(crate) fn highlight(text: &str, ranges: &[(usize, usize)]) -> Markup {
    let mut rs: Vec<(usize, usize)> = ranges
        .iter()
        .copied()
        .filter(|&(a, b)| a < b && b <= text.len())
        .filter(|&(a, b)| text.is_char_boundary(a) && text.is_char_boundary(b))
        .collect();
    rs.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in rs {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let mut pos = 0;
    html! {
        @for (a, b) in merged {
            (&text[pos..a]) mark { (&text[a..b]) }
            ({ pos = b; "" })
        }
        (&text[pos..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlight_marks_merged_ranges_and_escapes() {
        let h = highlight("a<b> openat2 x", &[(5, 9), (7, 12), (40, 50)]);
        assert_eq!(h.into_string(), "a&lt;b&gt; <mark>openat2</mark> x");
    }
}
