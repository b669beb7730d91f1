//! Rules, findings and timelines: the list of rules with how many file versions each matches,
//! a rule's page (description, facts, references, its timeline per repository), the findings
//! list, and the timeline page for a rule or a search.

use std::collections::BTreeMap;

use maud::{Markup, html};

use super::layout::permalink;
use crate::query::findings::FindingHit;
use crate::query::history::{Timeline, TimelineRev, Track};
use crate::rules::RuleMeta;
use crate::serve::links::{self, Followed};
use crate::serve::svg;

/// The rules list: `(meta when the rule set has it, id, file versions with findings)`.
pub(crate) fn list(rules: &[(Option<&RuleMeta>, String, usize)]) -> Markup {
    html! {
        h1 { "Rules" }
        table.list #rules {
            tr { th { "rule" } th { "category" } th { "what it finds" } th { "file versions" } }
            @for (meta, id, n) in rules {
                tr {
                    td { a href=(links::rule(id)) { code { (id) } } }
                    td.muted { @if let Some(m) = meta { (m.category) } }
                    td { @match meta { Some(m) => (m.title), None => span.muted { "loaded at index time (--rules)" } } }
                    td { a href=(links::findings_of(id)) { (n) } }
                }
            }
        }
    }
}

/// A rule's page: what it finds, then its timeline.
pub(crate) fn rule(id: &str, meta: Option<&RuleMeta>, t: &Timeline, repo_filter: &str) -> Markup {
    html! {
        h1 { "Rule " code { (id) } }
        @if let Some(m) = meta {
            p { b { (m.title) } }
            p { (m.description) }
            p.small {
                @if !m.category.is_empty() { "category " span.tag { (m.category) } " " }
                @if !m.facts.is_empty() { "facts " @for f in &m.facts { span.tag { (f) } } }
            }
            @if !m.references.is_empty() {
                ul.small { @for r in &m.references {
                    li { @if r.starts_with("https://") { a href=(r) rel="noreferrer" { (r) } } @else { (r) } }
                } }
            }
        }
        p.small {
            a href=(links::findings_of(id)) { "every finding" } " · "
            a href=(links::timeline(&Followed::Rule(id.to_string()), repo_filter)) { "timeline page" } " · "
            a href=(format!("/api/timeline{}", links::query([("rule", id), ("repo", repo_filter)]))) { "JSON" }
        }
        (timeline(&Followed::Rule(id.to_string()), t))
    }
}

/// A timeline: one chart and track list per repository, in the order the revisions come.
pub(crate) fn timeline(followed: &Followed, t: &Timeline) -> Markup {
    let mut repos: Vec<&str> = Vec::new();
    for r in &t.revisions {
        if !repos.contains(&r.repo.as_str()) {
            repos.push(&r.repo);
        }
    }
    html! {
        @if t.tracks.is_empty() { p.muted #empty { "Nothing to follow in the selected revisions." } }
        @for repo in repos {
            @let tracks: Vec<&Track> = t.tracks.iter().filter(|x| x.cite.repo == repo).collect();
            @if !tracks.is_empty() {
                @let revs: Vec<&TimelineRev> = t.revisions.iter().filter(|r| r.repo == repo).collect();
                h2 { (repo) " " span.muted.small { (tracks.len()) " tracked over " (revs.len()) " revisions" } }
                (svg::timeline_chart(followed, &revs, &tracks))
                (svg::legend())
                (track_list(&tracks))
            }
        }
    }
}

fn track_list(tracks: &[&Track]) -> Markup {
    html! {
        table.list.small {
            @for t in tracks {
                tr {
                    td { a href=(links::file(&t.cite.repo, &t.cite.rev, &t.cite.path, Some(t.cite.start))) { (t.cite.location()) } }
                    td { @if let Some(s) = &t.symbol { (s) } }
                    td.muted { (t.cite.revs_display) }
                    td { @if !t.facts.is_empty() { (crate::report::facts_text(&t.facts)) } }
                }
            }
        }
    }
}

/// The findings list, grouped by rule.
pub(crate) fn findings(hits: &[FindingHit]) -> Markup {
    let mut by_rule: BTreeMap<&str, Vec<&FindingHit>> = BTreeMap::new();
    for h in hits {
        by_rule.entry(&h.rule).or_default().push(h);
    }
    html! {
        p.muted #summary { (hits.len()) " finding" (if hits.len() == 1 { "" } else { "s" }) " in distinct file versions" }
        @for (rule, hs) in by_rule {
            h2 { a href=(links::rule(rule)) { (rule) } " " span.muted.small { (hs.len()) } }
            @for h in hs { (finding(h)) }
        }
    }
}

fn finding(h: &FindingHit) -> Markup {
    let c = &h.cite;
    html! {
        section.group.finding {
            div.head {
                a href=(links::file(&c.repo, &c.rev, &c.path, Some(c.start))) { b { (c.repo) "@" (c.rev) } " " (c.location()) }
                @if let Some(s) = &h.symbol { span { "‹" (s) "›" } }
                span.revs { (c.revs_display) }
                @if let Some(m) = &c.vendored_module { span.tag { "vendored " (m) } }
                (permalink(&c.url))
            }
            @if !h.facts.is_empty() { div.small style="padding:.3em .7em" { (crate::report::facts_text(&h.facts)) } }
            pre style="margin:0;padding:.4em .7em;overflow-x:auto" { (h.text) }
        }
    }
}
