//! The diff page (two selectors in, `archeo diff`'s classes out, each side linked to the file
//! view at its revision) and the explain page (a pasted error message, its segments, their
//! sources, the chain and the revisions that emit it whole).

use maud::{Markup, html};

use super::layout::{error_box, permalink};
use crate::index::citation::Citation;
use crate::query::explain::Explanation;
use crate::query::history::{Change, Class, DiffReport, Side};
use crate::serve::links;

/// What the diff form shows.
pub(crate) struct DiffForm<'a> {
    /// Old side.
    pub a: &'a str,
    /// New side.
    pub b: &'a str,
    /// Rule ids (empty: all).
    pub rule: &'a str,
    /// A search instead of findings.
    pub search: &'a str,
    /// Only paths under this prefix (`--path`).
    pub path: &'a str,
    /// Leave vendored files out (`--no-vendor`).
    pub no_vendor: bool,
    /// Every pinned selector, for the inputs' suggestions.
    pub selectors: &'a [String],
    /// Every rule id.
    pub rules: &'a [String],
    /// An error to show.
    pub error: Option<&'a str>,
}

/// The diff form.
pub(crate) fn diff_form(f: &DiffForm) -> Markup {
    html! {
        h1 { "Diff" }
        form.bar method="get" action="/diff" {
            input #a name="a" value=(f.a) list="selectors" placeholder="runc@v1.3.2" aria-label="old revision" required;
            span { "→" }
            input #b name="b" value=(f.b) list="selectors" placeholder="runc@v1.3.3" aria-label="new revision" required;
            select name="rule" aria-label="rule" {
                option value="" { "every rule" }
                @for r in f.rules { option value=(r) selected[r == f.rule] { (r) } }
            }
            input name="search" value=(f.search) placeholder="or a search query" aria-label="search instead of findings";
            input name="path" value=(f.path) placeholder="path prefix" aria-label="only paths under this prefix";
            label.small { input type="checkbox" name="no_vendor" value="1" checked[f.no_vendor]; " no vendor" }
            button type="submit" { "Compare" }
            datalist #selectors { @for s in f.selectors { option value=(s) {} } }
        }
        @if let Some(e) = f.error { (error_box(e)) }
    }
}

/// The diff result.
pub(crate) fn diff(d: &DiffReport, api: &str) -> Markup {
    html! {
        p #summary {
            b { (d.a) } " " code.small { (d.a_commit) } " → " b { (d.b) } " " code.small { (d.b_commit) }
            br;
            span.muted { (d.changes.len()) " change" (if d.changes.len() == 1 { "" } else { "s" }) ", " (d.unchanged) " unchanged, "
                (d.modules.len()) " vendored module change" (if d.modules.len() == 1 { "" } else { "s" }) " · " a href=(api) { "JSON" } }
        }
        @for class in [Class::Added, Class::Removed, Class::Changed, Class::Moved] {
            @let items: Vec<&Change> = d.changes.iter().filter(|c| c.class == class).collect();
            @if !items.is_empty() {
                h2 class=(format!("cls-{}", class.as_str())) { (class.as_str()) " (" (items.len()) ")" }
                table.list.changes { @for c in items { (change(c)) } }
            }
        }
        (modules_and_files(d))
    }
}

fn change(c: &Change) -> Markup {
    html! {
        tr {
            td { @if let Some(r) = &c.rule { a href=(links::rule(r)) { (r) } } }
            td { @if let Some(s) = &c.symbol { "‹" (s) "›" } }
            td { @if let Some(a) = &c.a { (side(a)) } }
            td { @if let Some(b) = &c.b { (side(b)) } }
        }
    }
}

fn side(s: &Side) -> Markup {
    html! {
        (cite_link(&s.cite))
        @if !s.facts.is_empty() { br; span.small { (crate::report::facts_text(&s.facts)) } }
        br; code.small { (first_line(&s.text)) }
    }
}

fn first_line(s: &str) -> String {
    let l = s.lines().next().unwrap_or("").trim();
    if l.chars().count() > 100 {
        l.chars().take(99).collect::<String>() + "…"
    } else {
        l.to_string()
    }
}

/// `repo@rev path:line` linked to the file view, with the upstream permalink.
fn cite_link(c: &Citation) -> Markup {
    html! {
        a href=(links::file(&c.repo, &c.rev, &c.path, Some(c.start))) { (c.repo) "@" (c.rev) " " (c.location()) }
        " " (permalink(&c.url))
    }
}

fn modules_and_files(d: &DiffReport) -> Markup {
    let (a_repo, a_rev) = d.a.split_once('@').unwrap_or((&d.a, ""));
    let (b_repo, b_rev) = d.b.split_once('@').unwrap_or((&d.b, ""));
    html! {
        @if !d.modules.is_empty() {
            h2 { "vendored modules (" (d.modules.len()) ")" }
            table.list.small { @for m in &d.modules {
                tr { td { code { (m.module) } } td { (m.from.as_deref().unwrap_or("—")) } td { "→" } td { (m.to.as_deref().unwrap_or("—")) } }
            } }
        }
        @if !d.deps.is_empty() {
            h2 { "dependency edges (" (d.deps.len()) ")" }
            table.list.small { @for e in &d.deps {
                tr {
                    td { code { (e.path) } } td.muted { (e.kind.as_str()) } td { (e.name) }
                    td { @if let Some((v, c)) = &e.from { a href=(links::file(&c.repo, &c.rev, &c.path, Some(c.start))) { (v) } } @else { "—" } }
                    td { "→" }
                    td { @if let Some((v, c)) = &e.to { a href=(links::file(&c.repo, &c.rev, &c.path, Some(c.start))) { (v) } } @else { "—" } }
                }
            } }
        }
        @if !d.files_removed.is_empty() || !d.files_added.is_empty() {
            h2 { "files holding findings on one side only" }
            ul.small {
                @for p in &d.files_removed { li { "only in " (d.a) ": " a href=(links::file(a_repo, a_rev, p, None)) { (p) } } }
                @for p in &d.files_added { li { "only in " (d.b) ": " a href=(links::file(b_repo, b_rev, p, None)) { (p) } } }
            }
        }
    }
}

/// The explain form.
pub(crate) fn explain_form(message: &str, error: Option<&str>) -> Markup {
    html! {
        h1 { "Explain an error message" }
        form method="get" action="/explain" {
            textarea #message name="message" aria-label="error message" required
                placeholder="open sysctl net.ipv4.ip_unprivileged_port_start file: reopen fd 8: unsafe procfs detected: ..." { (message) }
            p { button type="submit" { "Explain" } }
        }
        @if let Some(e) = error { (error_box(e)) }
    }
}

/// The explanation.
pub(crate) fn explanation(e: &Explanation, api: &str) -> Markup {
    html! {
        p.muted.small { a href=(api) { "JSON" } }
        ol #segments {
            @for s in &e.segments {
                li {
                    code { (s.text) }
                    @if let Some(errno) = &s.errno { br; span.small { "errno " (errno) ": the kernel's error text for that errno (Go's, C's strerror and Rust's spellings)" } }
                    @if s.candidates.is_empty() && s.errno.is_none() { br; span.small.cls-removed { "no source in the selected revisions (another program's text?)" } }
                    @for (k, c) in s.candidates.iter().enumerate() {
                        div.small {
                            (if k == 0 { "format " } else { "or " }) code { (format!("{:?}", c.format)) }
                            " (" (c.kind) ", " (c.literal_chars) " literal chars)"
                            ul { @for site in c.sites.iter().take(if k == 0 { 6 } else { 2 }) {
                                li {
                                    (cite_link(&site.cite))
                                    @if let Some(f) = &site.function { " ‹" (f) "›" }
                                    @if let Some(m) = &site.cite.vendored_module { " · vendored " (m) }
                                    br; span.muted { (site.cite.revs_display) }
                                }
                            } }
                        }
                    }
                }
            }
        }
        @if !e.chain.is_empty() {
            h2 { "chain (outermost first)" }
            ul.small { @for l in &e.chain { li { "[" (l.from + 1) "] → [" (l.to + 1) "]: " (l.how) } } }
        }
        h2 { "revisions emitting the whole message" }
        @if e.emitted_by.is_empty() { p.muted { "none: no segment has a source in the selected revisions" } }
        ul #emitted { @for r in &e.emitted_by {
            li {
                b { (r.repo) } ": " (if r.emit.is_empty() { "none" } else { &r.emit }) " (" (r.revs.len()) " revs)"
                @for (rev, lacks) in &r.nearest_without {
                    br; span.small.muted { "not " (r.repo) "@" (rev) ": lacks "
                        (lacks.iter().map(|s| format!("[{}]", s + 1)).collect::<Vec<_>>().join(" ")) }
                }
            }
        } }
    }
}
