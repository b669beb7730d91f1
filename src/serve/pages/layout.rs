//! The frame every page shares: one inline stylesheet (no external assets, no JavaScript, so
//! the pages work offline), the navigation, and error pages. Pages render into it with maud,
//! which escapes every value.

use axum::http::StatusCode;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::index::Index;

/// Which section a page belongs to (highlighted in the navigation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    /// Search and file views.
    Search,
    /// Rules, findings, timelines.
    Rules,
    /// Diff.
    Diff,
    /// Explain.
    Explain,
    /// Error pages.
    None,
}

const CSS: &str = r#"
:root{--fg:#1f2328;--muted:#59636e;--bg:#fff;--panel:#f6f8fa;--line:#d1d9e0;--accent:#0969da;
--mark:#fff8c5;--finding:#ffebe9;--finding-edge:#cf222e;--present:#1a7f37;--gap:#cf222e;--absent:#eaeef2}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--panel:#151b23;
--line:#3d444d;--accent:#4493f8;--mark:#5a4a00;--finding:#3c1618;--finding-edge:#f85149;--present:#3fb950;
--gap:#f85149;--absent:#262c36}}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
header{display:flex;gap:1.2em;align-items:center;padding:.6em 1.2em;border-bottom:1px solid var(--line);background:var(--panel)}
header .brand{font-weight:700;color:var(--fg)}header nav a{margin-right:1em}header nav a.on{font-weight:700;color:var(--fg)}
header .idx{margin-left:auto;color:var(--muted);font-size:12px}
main{padding:1em 1.2em;max-width:1400px}
h1{font-size:20px;margin:.2em 0 .6em}h2{font-size:16px;margin:1.2em 0 .4em}
code,pre,.code,input.q,textarea{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
form.bar{display:flex;gap:.5em;flex-wrap:wrap;align-items:center;margin-bottom:1em}
input,select,textarea{padding:.35em .5em;border:1px solid var(--line);border-radius:6px;background:var(--bg);color:var(--fg)}
input.q{flex:1;min-width:20em}textarea{width:100%;min-height:6em}
button{padding:.35em .9em;border:1px solid var(--line);border-radius:6px;background:var(--panel);color:var(--fg);cursor:pointer}
.muted{color:var(--muted)}.small{font-size:12px}
.err{border:1px solid var(--finding-edge);background:var(--finding);padding:.6em .8em;border-radius:6px;white-space:pre-wrap}
.group{border:1px solid var(--line);border-radius:6px;margin:.8em 0;overflow:hidden}
.group>.head{background:var(--panel);padding:.35em .7em;border-bottom:1px solid var(--line);display:flex;gap:.8em;flex-wrap:wrap;align-items:baseline}
.group>.head .revs{color:var(--muted);font-size:12px}
table.code{border-collapse:collapse;width:100%}
table.code td{padding:0 .6em;vertical-align:top;white-space:pre}
table.code td.n{width:1%;text-align:right;color:var(--muted);user-select:none;border-right:1px solid var(--line)}
table.code td.n a{color:inherit}
table.code td.s{width:1%;color:var(--muted);font-size:12px;white-space:nowrap}
table.code tr.ctx td.c{color:var(--muted)}
table.code tr.f td.c{background:var(--finding)}table.code tr.f td.n{border-right:3px solid var(--finding-edge)}
table.code tr:target td{background:var(--mark)}
mark{background:var(--mark);color:inherit;font-weight:700;border-radius:2px}
.tag{display:inline-block;padding:0 .45em;border:1px solid var(--line);border-radius:1em;font-size:12px;margin:.1em .15em .1em 0}
.tag.on{background:var(--accent);color:#fff;border-color:var(--accent)}.tag.same{border-color:var(--present)}
.tag.none{color:var(--muted);border-style:dashed}
.cols{display:grid;grid-template-columns:minmax(0,1fr) 22em;gap:1.2em}
@media (max-width:1000px){.cols{grid-template-columns:1fr}}
aside ul{list-style:none;padding:0;margin:0}aside li{margin:.15em 0}
ul.plain{list-style:none;padding-left:0}
table.list{border-collapse:collapse}table.list td,table.list th{padding:.25em .7em;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
.chart{overflow-x:auto;width:max-content;max-width:calc(100vw - 3em);box-sizing:border-box;border:1px solid var(--line);border-radius:6px;padding:.5em;margin:.5em 0}
.chart svg text{fill:var(--fg);font:12px ui-monospace,monospace}.chart svg text.run{font-style:italic;fill:var(--muted)}
.view.wide{display:none}@media (min-width:1900px){.view.wide{display:block}.view.narrow{display:none}}
.chart svg .present rect{fill:var(--present)}.chart svg .present:hover rect{opacity:.75}
.chart svg rect.absent{fill:var(--absent)}.chart svg rect.gap{fill:var(--bg);stroke:var(--gap);stroke-width:1.5;stroke-dasharray:3 2}
.cls-added{color:var(--present)}.cls-removed{color:var(--gap)}.cls-changed{color:#9a6700}.cls-moved{color:var(--accent)}
"#;

/// A whole page: head with the stylesheet, navigation, the index's size, then `body`.
pub(crate) fn page(title: &str, section: Section, index: Option<&Index>, body: Markup) -> Markup {
    let nav = |s: Section, href: &str, label: &str| {
        html! { a href=(href) class=[(s == section).then_some("on")] { (label) } }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · archeo" }
                style { (PreEscaped(CSS)) }
            }
            body {
                header {
                    a.brand href="/" { "archeo" }
                    nav {
                        (nav(Section::Search, "/search", "Search"))
                        (nav(Section::Rules, "/rules", "Rules & findings"))
                        (nav(Section::Diff, "/diff", "Diff"))
                        (nav(Section::Explain, "/explain", "Explain"))
                    }
                    @if let Some(ix) = index {
                        span.idx { (summary(ix)) }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// `31 revisions of 5 repositories`.
fn summary(index: &Index) -> String {
    let revs = index.revisions();
    let mut repos: Vec<&str> = revs.iter().map(|r| r.repo.as_str()).collect();
    repos.sort_unstable();
    repos.dedup();
    format!(
        "{} revision{} of {} repositor{}",
        revs.len(),
        if revs.len() == 1 { "" } else { "s" },
        repos.len(),
        if repos.len() == 1 { "y" } else { "ies" }
    )
}

/// An error as a page: the status and the message the CLI prints after `error: `.
pub(crate) fn error_page(status: StatusCode, message: &str) -> Markup {
    let title = status.canonical_reason().unwrap_or("Error");
    page(
        title,
        Section::None,
        None,
        html! {
            h1 { (status.as_u16()) " " (title) }
            pre.err id="error" { "error: " (message) }
            p.muted { a href="/" { "Back to search" } }
        },
    )
}

/// An inline error box above a page's form (the form stays usable).
pub(crate) fn error_box(message: &str) -> Markup {
    html! { pre.err id="error" { "error: " (message) } }
}

/// A permalink shown as a short arrow link, or the plain citation for hosts without URLs.
pub(crate) fn permalink(url: &str) -> Markup {
    html! {
        @if url.starts_with("https://") || url.starts_with("http://") {
            a.small href=(url) title=(url) rel="noreferrer" { "upstream ↗" }
        } @else {
            code.small { (url) }
        }
    }
}
