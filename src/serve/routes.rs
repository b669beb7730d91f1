//! The page handlers: each reads its parameters, takes the current index snapshot, and runs its
//! query and rendering on the blocking pool under the time limit ([`super::exec`]). Forms (search,
//! diff, explain) answer a bad query with the form again, the error above it and a 4xx status.

use std::collections::{BTreeMap, HashMap, HashSet};

use axum::extract::{Path, RawQuery, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::App;
use super::error::HttpError;
use super::exec::Cost;
use super::links::{self, Followed};
use super::pages::file::{FileView, Holding};
use super::pages::history::{DiffForm, diff, diff_form, explain_form, explanation};
use super::pages::layout::{Section, page};
use super::pages::{rules as rule_pages, search as search_page};
use super::params::{Accepts, Params, Size, check_path, join_selectors, split_selectors};
use super::requests::{
    DiffRequest, ExplainRequest, FindingsRequest, Request, SearchRequest, TimelineRequest,
};
use crate::index::Index;
use crate::index::catalog::BlobStatus;
use crate::index::citation::permalink;
use crate::query::cancel::Cancel;
use crate::query::findings::Selection;
use crate::query::search::Scope;
use crate::rules::RuleSet;

/// Hits a search page shows when the URL sets no `limit` (the JSON API has no default limit,
/// like the CLI).
const PAGE_LIMIT: usize = 200;

/// Runs `f` with the current index and rules under the time limit, in `cost`'s pool of slots.
async fn render<F>(app: &App, cost: Cost, f: F) -> Result<Response, HttpError>
where
    F: FnOnce(&Index, &RuleSet, &Cancel) -> Result<Response, HttpError> + Send + 'static,
{
    let snap = app.live.current();
    let rules = app.rules.clone();
    app.exec
        .run(cost, move |cancel| f(&snap.index, &rules, cancel))
        .await
}

/// Renders a page that queries nothing (an empty form) at once: it never waits for a slot.
fn at_once(
    app: &App,
    f: impl FnOnce(&Index, &RuleSet) -> Result<Response, HttpError>,
) -> Result<Response, HttpError> {
    let snap = app.live.current();
    f(&snap.index, &app.rules)
}

fn ok(m: Markup) -> Response {
    Html(m.into_string()).into_response()
}

/// A form page answering a client error: the form again with the error, and its status.
fn refused(e: HttpError, render: impl FnOnce(&str) -> Markup) -> Result<Response, HttpError> {
    if e.status.is_client_error() {
        let body = render(&e.message);
        Ok((e.status, Html(body.into_string())).into_response())
    } else {
        Err(e)
    }
}

const SEARCH_PAGE: Accepts = &[
    ("q", Size::Query),
    ("at", Size::Name),
    ("repo", Size::Name),
    ("path", Size::Path),
    ("lang", Size::Name),
    ("no_vendor", Size::Number),
    ("limit", Size::Number),
    ("context", Size::Number),
];

/// `/` and `/search?q=...`: the search page.
pub(crate) async fn search(
    State(app): State<App>,
    RawQuery(raw): RawQuery,
) -> Result<Response, HttpError> {
    let p = Params::parse(raw.as_deref(), SEARCH_PAGE)?;
    if p.one("q").unwrap_or("").trim().is_empty() {
        return at_once(&app, |index, rules| {
            search_view(index, rules, &p, &Cancel::never())
        });
    }
    render(&app, Cost::Heavy, move |index, rules, cancel| {
        search_view(index, rules, &p, cancel)
    })
    .await
}

fn search_view(
    index: &Index,
    rules: &RuleSet,
    p: &Params,
    cancel: &Cancel,
) -> Result<Response, HttpError> {
    let box_text = p.one("q").unwrap_or("").trim().to_string();
    let (query, mut at) = split_selectors(&box_text, |r| !index.ordered(r).is_empty());
    at.extend(p.all("at"));
    let no_vendor = p.flag("no_vendor");
    let whole = SearchRequest {
        query,
        scope: Scope {
            at,
            repos: p.all("repo"),
            path: p.one("path").map(str::to_string),
            lang: p.one("lang").map(str::to_string),
            no_vendor,
        },
        limit: p.number("limit")?,
        context: p.number("context")?.unwrap_or(0).min(20),
    };
    let shown_box = join_selectors(&whole.query, &whole.scope.at);
    let form = |error: Option<&str>| {
        search_page::form(&search_page::SearchForm {
            box_text: &shown_box,
            no_vendor,
            error,
        })
    };
    if box_text.is_empty() {
        let body =
            html! { h1 { "Search every pinned release" } (form(None)) (search_page::help()) };
        return Ok(ok(page("Search", Section::Search, Some(index), body)));
    }
    let shown = SearchRequest {
        limit: whole.limit.or(Some(PAGE_LIMIT)),
        ..whole.clone()
    };
    match shown.run(index, rules, cancel) {
        Ok(r) => {
            let api = format!("/api/search{}", search_query_string(&whole));
            let timeline = links::timeline(&Followed::Search(whole.query.clone()), "");
            let body =
                html! { (form(None)) (search_page::results(&r, &whole.cli(), &api, &timeline)) };
            Ok(ok(page(&shown_box, Section::Search, Some(index), body)))
        }
        Err(e) => refused(e, |msg| {
            page(&shown_box, Section::Search, Some(index), form(Some(msg)))
        }),
    }
}

/// The API query string of a search request.
fn search_query_string(r: &SearchRequest) -> String {
    let mut pairs: Vec<(&str, &str)> = vec![("q", &r.query)];
    pairs.extend(r.scope.at.iter().map(|a| ("at", a.as_str())));
    pairs.extend(r.scope.repos.iter().map(|a| ("repo", a.as_str())));
    if let Some(p) = &r.scope.path {
        pairs.push(("path", p));
    }
    if let Some(l) = &r.scope.lang {
        pairs.push(("lang", l));
    }
    if r.scope.no_vendor {
        pairs.push(("no_vendor", "1"));
    }
    let context = r.context.to_string();
    if r.context > 0 {
        pairs.push(("context", &context));
    }
    links::query(pairs)
}

/// `/file/REPO/REV/PATH`: one file version at a pinned revision.
pub(crate) async fn file(
    State(app): State<App>,
    Path((repo, rev, path)): Path<(String, String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, HttpError> {
    Params::parse(raw.as_deref(), &[])?;
    check_path(&path)?;
    render(&app, Cost::Light, move |index, _, _| {
        file_view(index, &repo, &rev, &path)
    })
    .await
}

fn file_view(index: &Index, repo: &str, rev: &str, path: &str) -> Result<Response, HttpError> {
    let r = index
        .resolve(&format!("{repo}@{rev}"))
        .map_err(HttpError::unknown)?;
    let tree = index.tree(&r.commit).map_err(HttpError::from_stage)?;
    let entry = tree.iter().find(|e| e.path == path).ok_or_else(|| {
        HttpError::not_found(format!(
            "{repo}@{} has no file {path:?} in the index: search for it with path:{path}",
            r.rev
        ))
    })?;
    if entry.submodule {
        return Err(HttpError::not_found(format!(
            "{path} is a submodule of {repo}@{} (pinned at {}): archeo records submodules but does not index them",
            r.rev, entry.id
        )));
    }
    let stored = index
        .file_by_blob(&entry.id)
        .map_err(HttpError::from_stage)?;
    let status = match &stored {
        Some(f) => Some(f.parsed().map_err(HttpError::from_stage)?.0),
        None => None,
    };
    let not_stored = match status {
        Some(BlobStatus::Binary) => "A binary file (it holds NUL bytes): its text is not indexed.",
        Some(BlobStatus::Oversize) => {
            "Larger than the index's --max-file-size: its text is not indexed."
        }
        _ => "This file version's text is not in the index.",
    };
    let content = stored
        .as_ref()
        .filter(|_| matches!(status, Some(BlobStatus::Indexed | BlobStatus::Lossy)))
        .map(|f| f.content.as_str());
    let mut findings: Vec<_> = index
        .findings(&[])
        .map_err(HttpError::from_stage)?
        .into_iter()
        .filter(|f| f.blob == entry.id)
        .collect();
    findings.sort_by_key(|f| (f.start, f.end));
    let v = FileView {
        rev: r,
        path,
        blob: &entry.id,
        content,
        not_stored,
        decls: stored.as_ref().map(|f| f.decls.as_slice()).unwrap_or(&[]),
        findings: &findings,
        switcher: switcher(index, repo, path, &entry.id)?,
        permalink: permalink(&r.url, &r.commit, path, 1, 1),
    };
    let title = format!("{repo}@{} {path}", r.rev);
    Ok(ok(page(
        &title,
        Section::Search,
        Some(index),
        super::pages::file::view(&v),
    )))
}

/// What `path` holds in each of the repository's revisions, oldest first.
fn switcher<'a>(
    index: &'a Index,
    repo: &str,
    path: &str,
    blob: &str,
) -> Result<Vec<(&'a crate::index::catalog::IndexedRev, Holding)>, HttpError> {
    let revs = index.ordered(repo);
    let places = index
        .places(&revs, |_| true, |p| p == path)
        .map_err(HttpError::from_stage)?;
    let mut holds: HashMap<(&str, &str), &str> = HashMap::new();
    for (id, placements) in &places {
        for pl in placements {
            for h in &pl.holders {
                holds.insert((h.repo.as_str(), h.rev.as_str()), id.as_str());
            }
        }
    }
    Ok(revs
        .into_iter()
        .map(|r| {
            let h = match holds.get(&(r.repo.as_str(), r.rev.as_str())) {
                Some(id) if *id == blob => Holding::Same,
                Some(_) => Holding::Other,
                None => Holding::Absent,
            };
            (r, h)
        })
        .collect())
}

/// `/rules`: every rule with how many file versions it matches.
pub(crate) async fn rules(
    State(app): State<App>,
    RawQuery(raw): RawQuery,
) -> Result<Response, HttpError> {
    Params::parse(raw.as_deref(), &[])?;
    render(&app, Cost::Light, |index, rules, _| {
        let mut blobs: BTreeMap<String, HashSet<String>> = BTreeMap::new();
        for f in index.findings(&[]).map_err(HttpError::from_stage)? {
            blobs.entry(f.rule).or_default().insert(f.blob);
        }
        let count = |id: &str| blobs.get(id).map_or(0, HashSet::len);
        let mut list: Vec<_> = rules
            .rules
            .iter()
            .map(|r| (Some(&r.meta), r.meta.id.clone(), count(&r.meta.id)))
            .collect();
        for id in blobs.keys() {
            if rules.get(id).is_none() {
                list.push((None, id.clone(), count(id)));
            }
        }
        let body = rule_pages::list(&list);
        Ok(ok(page("Rules", Section::Rules, Some(index), body)))
    })
    .await
}

/// `/rules/ID`: a rule's description and timeline.
pub(crate) async fn rule(
    State(app): State<App>,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Result<Response, HttpError> {
    let p = Params::parse(raw.as_deref(), &[("repo", Size::Name)])?;
    render(&app, Cost::Light, move |index, rules, cancel| {
        let req = TimelineRequest {
            query: None,
            rules: vec![id.clone()],
            repos: p.all("repo"),
        };
        let t = req.run(index, rules, cancel)?;
        let meta = rules.get(&id).map(|r| &r.meta);
        let body = rule_pages::rule(&id, meta, &t, p.one("repo").unwrap_or(""));
        Ok(ok(page(&id, Section::Rules, Some(index), body)))
    })
    .await
}

/// `/findings?rule=...`: findings with citations.
pub(crate) async fn findings(
    State(app): State<App>,
    RawQuery(raw): RawQuery,
) -> Result<Response, HttpError> {
    let p = Params::parse(raw.as_deref(), FindingsRequest::ACCEPTS)?;
    let req = FindingsRequest::from_params(&p)?;
    render(&app, req.cost(), move |index, rules, cancel| {
        let hits = req.run(index, rules, cancel)?;
        let body = html! {
            h1 { "Findings" }
            p.small.muted { code { (req.cli()) } }
            (rule_pages::findings(&hits))
        };
        Ok(ok(page("Findings", Section::Rules, Some(index), body)))
    })
    .await
}

/// `/timeline?rule=ID` or `/timeline?q=QUERY`: the timeline chart and tracks.
pub(crate) async fn timeline(
    State(app): State<App>,
    RawQuery(raw): RawQuery,
) -> Result<Response, HttpError> {
    let p = Params::parse(raw.as_deref(), TimelineRequest::ACCEPTS)?;
    let req = TimelineRequest::from_params(&p)?;
    render(&app, req.cost(), move |index, rules, cancel| {
        let t = req.run(index, rules, cancel)?;
        let followed = match &req.query {
            Some(q) => Followed::Search(q.clone()),
            None => Followed::Rule(req.rules.join(" ")),
        };
        let what = match &followed {
            Followed::Search(q) => format!("search {q}"),
            Followed::Rule(r) => format!("rule {r}"),
        };
        let body = html! {
            h1 { "Timeline: " (what) }
            p.small.muted { code { (req.cli()) } }
            (rule_pages::timeline(&followed, &t))
        };
        Ok(ok(page(&what, Section::Rules, Some(index), body)))
    })
    .await
}

const CELL: Accepts = &[
    ("rule", Size::Name),
    ("q", Size::Query),
    ("track", Size::Name),
];

/// `/at/REPO/REV?rule=ID&track=KEY` (or `q=`): a timeline cell, redirected to the tracked
/// finding or line in the file view at that revision.
pub(crate) async fn cell(
    State(app): State<App>,
    Path((repo, rev)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> Result<Response, HttpError> {
    let p = Params::parse(raw.as_deref(), CELL)?;
    let cost = if p.one("q").is_some() {
        Cost::Heavy
    } else {
        Cost::Light
    };
    render(&app, cost, move |index, rules, cancel| {
        let r = index
            .resolve(&format!("{repo}@{rev}"))
            .map_err(HttpError::unknown)?;
        let sel = format!("{}@{}", r.repo, r.rev);
        let track = p
            .one("track")
            .ok_or_else(|| HttpError::bad_request("no track=KEY: follow a timeline cell".into()))?;
        let place = match (p.one("rule"), p.one("q")) {
            (Some(rule), None) => rule_place(index, rules, rule, &sel, track, cancel)?,
            (None, Some(q)) => search_place(index, rules, q, &sel, track, cancel)?,
            _ => {
                return Err(HttpError::bad_request(
                    "a timeline cell names rule=ID or q=QUERY (one of them)".into(),
                ));
            }
        };
        let (path, line) = place.ok_or_else(|| {
            HttpError::not_found(format!(
                "{sel} does not hold the tracked {} ({track}): it may have been re-indexed with other rules",
                if p.one("rule").is_some() { "finding" } else { "line" }
            ))
        })?;
        Ok(Redirect::to(&links::file(&r.repo, &r.rev, &path, Some(line))).into_response())
    })
    .await
}

fn rule_place(
    index: &Index,
    rules: &RuleSet,
    rule: &str,
    sel: &str,
    track: &str,
    cancel: &Cancel,
) -> Result<Option<(String, u32)>, HttpError> {
    let req = FindingsRequest {
        sel: Selection {
            rules: vec![rule.to_string()],
            scope: Scope {
                at: vec![sel.to_string()],
                ..Default::default()
            },
        },
    };
    Ok(req
        .run(index, rules, cancel)?
        .into_iter()
        .find(|f| links::track_key(&f.identity()) == track)
        .map(|f| (f.cite.path, f.cite.start)))
}

fn search_place(
    index: &Index,
    rules: &RuleSet,
    q: &str,
    sel: &str,
    track: &str,
    cancel: &Cancel,
) -> Result<Option<(String, u32)>, HttpError> {
    let req = SearchRequest {
        query: q.to_string(),
        scope: Scope {
            at: vec![sel.to_string()],
            ..Default::default()
        },
        ..Default::default()
    };
    Ok(req
        .run(index, rules, cancel)?
        .hits
        .into_iter()
        .find(|h| links::track_key(&links::hit_identity(h.symbol.as_deref(), &h.text)) == track)
        .map(|h| (h.cite.path, h.cite.start)))
}

/// `/diff?a=...&b=...`: what changed between two revisions.
pub(crate) async fn diff_page(
    State(app): State<App>,
    RawQuery(raw): RawQuery,
) -> Result<Response, HttpError> {
    let p = Params::parse(raw.as_deref(), DiffRequest::ACCEPTS)?;
    let asks = p.one("a").is_some() || p.one("b").is_some();
    let view = move |index: &Index, rules: &RuleSet, cancel: &Cancel| {
        let selectors: Vec<String> = index
            .revisions()
            .iter()
            .map(|r| format!("{}@{}", r.repo, r.rev))
            .collect();
        let ids: Vec<String> = rules.rules.iter().map(|r| r.meta.id.clone()).collect();
        let rule = p.all("rule").join(" ");
        let form = |error: Option<&str>| {
            diff_form(&DiffForm {
                a: p.one("a").unwrap_or(""),
                b: p.one("b").unwrap_or(""),
                rule: &rule,
                search: p.one("search").unwrap_or(""),
                path: p.one("path").unwrap_or(""),
                no_vendor: p.flag("no_vendor"),
                selectors: &selectors,
                rules: &ids,
                error,
            })
        };
        let whole = |m: Markup| page("Diff", Section::Diff, Some(index), m);
        if p.one("a").is_none() && p.one("b").is_none() {
            return Ok(ok(whole(form(None))));
        }
        let run =
            DiffRequest::from_params(&p).and_then(|req| Ok((req.run(index, rules, cancel)?, req)));
        match run {
            Ok((d, req)) => {
                let api = format!("/api/diff{}", raw_query(&p, DiffRequest::ACCEPTS));
                let body =
                    html! { (form(None)) p.small.muted { code { (req.cli()) } } (diff(&d, &api)) };
                Ok(ok(whole(body)))
            }
            Err(e) => refused(e, |msg| whole(form(Some(msg)))),
        }
    };
    if !asks {
        return at_once(&app, |index, rules| view(index, rules, &Cancel::never()));
    }
    render(&app, Cost::Heavy, view).await
}

/// `/explain?message=...`: an error message explained.
pub(crate) async fn explain_page(
    State(app): State<App>,
    RawQuery(raw): RawQuery,
) -> Result<Response, HttpError> {
    let p = Params::parse(raw.as_deref(), ExplainRequest::ACCEPTS)?;
    let asks = !p.one("message").unwrap_or("").trim().is_empty();
    let view = move |index: &Index, rules: &RuleSet, cancel: &Cancel| {
        let message = p.one("message").unwrap_or("");
        let whole = |m: Markup| page("Explain", Section::Explain, Some(index), m);
        if message.trim().is_empty() {
            return Ok(ok(whole(explain_form("", None))));
        }
        let run = ExplainRequest::from_params(&p)
            .and_then(|req| Ok((req.run(index, rules, cancel)?, req)));
        match run {
            Ok((e, req)) => {
                let api = format!("/api/explain{}", raw_query(&p, ExplainRequest::ACCEPTS));
                let body = html! {
                    (explain_form(message, None))
                    p.small.muted { code { (req.cli()) } }
                    (explanation(&e, &api))
                };
                Ok(ok(whole(body)))
            }
            Err(e) => refused(e, |msg| whole(explain_form(message, Some(msg)))),
        }
    };
    if !asks {
        return at_once(&app, |index, rules| view(index, rules, &Cancel::never()));
    }
    render(&app, Cost::Heavy, view).await
}

/// The parameters a route accepts, re-encoded (for links to the JSON API).
fn raw_query(p: &Params, accepts: Accepts) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    for (name, _) in accepts {
        for v in p.all(name) {
            pairs.push((name, v));
        }
    }
    links::query(pairs.iter().map(|(k, v)| (*k, v.as_str())))
}

/// Any other path: 404 naming the pages there are.
pub(crate) async fn not_found(uri: Uri) -> HttpError {
    HttpError {
        status: StatusCode::NOT_FOUND,
        message: format!(
            "no page at {}: the pages are /search, /file/REPO/REV/PATH, /rules, /rules/ID, /findings, /timeline, /diff, /explain, and the JSON API under /api/ (search, findings, diff, timeline, explain)",
            uri.path()
        ),
    }
}
