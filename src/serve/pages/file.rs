//! The file view: one file version at a pinned revision with line numbers and `#L39` anchors,
//! the lines of rule findings marked, its declarations, the same path in the repository's other
//! pinned revisions (same version, another version, absent), and the upstream permalink.

use maud::{Markup, html};

use crate::index::catalog::IndexedRev;
use crate::lang::Decl;
use crate::rules::Finding;
use crate::serve::links;

/// What the path holds at one of the repository's revisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Holding {
    /// The file version shown.
    Same,
    /// Another version of the file.
    Other,
    /// No file at this path.
    Absent,
}

/// Everything the file view shows.
pub(crate) struct FileView<'a> {
    /// The revision.
    pub rev: &'a IndexedRev,
    /// The path.
    pub path: &'a str,
    /// The blob id.
    pub blob: &'a str,
    /// Its text (None: binary or over the size limit, not stored).
    pub content: Option<&'a str>,
    /// Why there is no text.
    pub not_stored: &'a str,
    /// Its declarations.
    pub decls: &'a [Decl],
    /// Rule findings in this file version.
    pub findings: &'a [Finding],
    /// Every revision of the repository, oldest first, with what it holds at the path.
    pub switcher: Vec<(&'a IndexedRev, Holding)>,
    /// The upstream permalink of the file at this commit (line 1).
    pub permalink: String,
}

/// The page body.
pub(crate) fn view(v: &FileView) -> Markup {
    html! {
        h1 { a href=(links::search(&format!("repo:{}", v.rev.repo))) { (v.rev.repo) } "@" (v.rev.rev) " " code { (v.path) } }
        p.muted.small {
            "commit " code { (v.rev.commit) } " · blob " code { (v.blob) } " · "
            @match links::upstream_file(&v.permalink) {
                Some(u) => a #upstream href=(u) rel="noreferrer" { "upstream at this commit ↗" },
                None => code { (v.permalink) },
            }
        }
        (switcher(v))
        div.cols {
            div { (code(v)) }
            aside { (findings(v)) (declarations(v)) }
        }
    }
}

fn switcher(v: &FileView) -> Markup {
    html! {
        p #revisions {
            span.muted.small { "This path in " (v.rev.repo) "'s pinned revisions: " }
            @for (r, h) in &v.switcher {
                @let cls = match h {
                    _ if r.rev == v.rev.rev => "tag on",
                    Holding::Same => "tag same",
                    Holding::Other => "tag",
                    Holding::Absent => "tag none",
                };
                @let title = match h {
                    Holding::Same => "this file version",
                    Holding::Other => "another version of this file",
                    Holding::Absent => "no file at this path",
                };
                @if *h == Holding::Absent {
                    span class=(cls) title=(title) { (r.rev) }
                } @else {
                    a class=(cls) title=(title) href=(links::file(&r.repo, &r.rev, v.path, None)) { (r.rev) }
                }
            }
            @if let Some(prev) = previous(v) {
                " " a.small #diff-previous href=(links::diff(&format!("{}@{}", prev.repo, prev.rev), &format!("{}@{}", v.rev.repo, v.rev.rev), "")) {
                    "diff with " (prev.rev)
                }
            }
        }
    }
}

/// The revision before the one shown, in version order: what `diff` compares it with.
fn previous<'a>(v: &FileView<'a>) -> Option<&'a IndexedRev> {
    let at = v.switcher.iter().position(|(r, _)| r.rev == v.rev.rev)?;
    at.checked_sub(1).map(|i| v.switcher[i].0)
}

fn code(v: &FileView) -> Markup {
    let Some(content) = v.content else {
        return html! { p.err { (v.not_stored) } };
    };
    let marked = |n: u32| {
        v.findings
            .iter()
            .filter(|f| f.start <= n && n <= f.end)
            .map(|f| f.rule.as_str())
            .collect::<Vec<_>>()
    };
    html! {
        div.group {
            table.code #code {
                @for (i, line) in content.lines().enumerate() {
                    @let n = i as u32 + 1;
                    @let rules = marked(n);
                    @let id = format!("L{n}");
                    tr id=(id) class=[(!rules.is_empty()).then_some("f")] title=[(!rules.is_empty()).then(|| rules.join(", "))] {
                        td.n { a href=(format!("#L{n}")) { (n) } }
                        td.c { (line) }
                    }
                }
            }
        }
    }
}

fn findings(v: &FileView) -> Markup {
    html! {
        h2 { "Findings (" (v.findings.len()) ")" }
        @if v.findings.is_empty() { p.muted.small { "No rule matches this file version." } }
        ul #findings {
            @for f in v.findings {
                li {
                    a href=(format!("#L{}", f.start)) { "L" (f.start) @if f.end > f.start { "–" (f.end) } }
                    " " a href=(links::rule(&f.rule)) { (f.rule) }
                    @if let Some(d) = &f.decl { br; span.muted.small { "in " (d) } }
                    @if !f.facts.is_empty() { br; span.small { (crate::report::facts_text(&f.facts)) } }
                }
            }
        }
    }
}

fn declarations(v: &FileView) -> Markup {
    html! {
        h2 { "Declarations (" (v.decls.len()) ")" }
        ul #decls {
            @for d in v.decls {
                li { a href=(format!("#L{}", d.start)) { (d.name) } " " span.muted.small { (format!("{:?}", d.kind).to_lowercase()) " L" (d.start) } }
            }
        }
    }
}
