//! One request type per query (search, findings, diff, timeline, explain), read from the query
//! string and run through the query stages exactly as the CLI runs them. Pages and the JSON API
//! both use these, so a page and `/api/...` always answer the same question; [`Request::cli`]
//! is the `archeo` command line that prints the same JSON.

use anyhow::Result;

use super::error::HttpError;
use super::exec::Cost;
use super::params::{Accepts, Params, Size};
use crate::index::Index;
use crate::lang::Lang;
use crate::path_filter::PathFilter;
use crate::query::cancel::Cancel;
use crate::query::explain::Explanation;
use crate::query::findings::{FindingHit, Selection};
use crate::query::history::{DiffReport, Subject, Timeline};
use crate::query::search::{Options, Results, Scope};
use crate::query::syntax::{Filter, Query};
use crate::report::export::subject;
use crate::rules::RuleSet;

/// What every request type offers.
pub(crate) trait Request: Sized {
    /// What it answers.
    type Answer: crate::report::Report;
    /// The parameters its API route takes.
    const ACCEPTS: Accepts;
    /// Reads it from the parameters (missing or conflicting ones are a 400).
    fn from_params(p: &Params) -> Result<Self, HttpError>;
    /// Checks what it names against the index, then runs it until `cancel` stops it.
    fn run(
        &self,
        index: &Index,
        rules: &RuleSet,
        cancel: &Cancel,
    ) -> Result<Self::Answer, HttpError>;
    /// Which pool of query slots it takes.
    fn cost(&self) -> Cost {
        Cost::Heavy
    }
    /// The CLI command printing the same JSON.
    fn cli(&self) -> String;
    /// Each JSON record's ranking keys, in record order, for the requests a front end over
    /// shards merges (`ranked=1`); None for the others.
    fn ranks(_answer: &Self::Answer) -> Option<Vec<serde_json::Value>> {
        None
    }
}

/// At most this many hits a search keeps for one request (the CLI keeps
/// [`crate::query::search::MAX_KEPT`]): a server answers many requests at once, so each keeps
/// less; an answer cut by it ends with a `truncated` record.
pub(crate) const SERVE_MAX_KEPT: usize = 10_000;

fn stage<T, E: Into<anyhow::Error>>(r: Result<T, E>) -> Result<T, HttpError> {
    r.map_err(|e| HttpError::from_stage(e.into()))
}

/// Every selector and repository named must be in the index (404 with the CLI's message).
fn check_revisions(index: &Index, at: &[String], repos: &[String]) -> Result<(), HttpError> {
    index.select(at, repos).map_err(HttpError::unknown)?;
    Ok(())
}

/// Every rule named must be known to the rule set or the index (404 with the CLI's message).
fn check_rules(index: &Index, rules: &RuleSet, ids: &[String]) -> Result<(), HttpError> {
    crate::query::findings::check_rule_ids(index, &rules.id_list(), ids).map_err(HttpError::unknown)
}

/// A query that parses, whose `repo:` filters and `rule:` ids exist.
fn checked_query(index: &Index, rules: &RuleSet, text: &str) -> Result<Query, HttpError> {
    let q = stage(Query::parse(text))?;
    let repos = q.filter_values(|f| match f {
        Filter::Repo(r) => Some(r),
        _ => None,
    });
    check_revisions(index, &[], &repos)?;
    check_rules(
        index,
        rules,
        &q.filter_values(|f| match f {
            Filter::Rule(r) => Some(r),
            _ => None,
        }),
    )?;
    Ok(q)
}

fn check_scope(index: &Index, s: &Scope) -> Result<(), HttpError> {
    check_revisions(index, &s.at, &s.repos)?;
    if let Some(p) = &s.path {
        PathFilter::new(p).map_err(|e| HttpError::bad_request(e.to_string()))?;
    }
    if let Some(l) = &s.lang
        && Lang::from_name(l).is_none()
    {
        return Err(HttpError::bad_request(format!(
            "unknown language {l:?}: use {}",
            crate::lang::names().join(", ")
        )));
    }
    Ok(())
}

fn scope(p: &Params) -> Scope {
    Scope {
        at: p.all("at"),
        repos: p.all("repo"),
        path: p.one("path").map(str::to_string),
        lang: p.one("lang").map(str::to_string),
        no_vendor: p.flag("no_vendor"),
    }
}

/// ` --at A --repo R --path P --lang L --no-vendor`, shell-quoted.
fn scope_flags(s: &Scope) -> String {
    let mut out = String::new();
    for a in &s.at {
        out.push_str(&format!(" --at {}", shell_words::quote(a)));
    }
    for r in &s.repos {
        out.push_str(&format!(" --repo {}", shell_words::quote(r)));
    }
    if let Some(p) = &s.path {
        out.push_str(&format!(" --path {}", shell_words::quote(p)));
    }
    if let Some(l) = &s.lang {
        out.push_str(&format!(" --lang {}", shell_words::quote(l)));
    }
    if s.no_vendor {
        out.push_str(" --no-vendor");
    }
    out
}

fn repeated(flag: &str, values: &[String]) -> String {
    values
        .iter()
        .map(|v| format!(" {flag} {}", shell_words::quote(v)))
        .collect()
}

const SCOPE: [(&str, Size); 5] = [
    ("at", Size::Name),
    ("repo", Size::Name),
    ("path", Size::Path),
    ("lang", Size::Name),
    ("no_vendor", Size::Number),
];

/// `archeo search`.
#[derive(Debug, Clone, Default)]
pub(crate) struct SearchRequest {
    /// The query.
    pub query: String,
    /// Revisions, paths, language.
    pub scope: Scope,
    /// `--limit`.
    pub limit: Option<usize>,
    /// `-C`.
    pub context: usize,
}

impl Request for SearchRequest {
    type Answer = Results;
    const ACCEPTS: Accepts = &[
        ("q", Size::Query),
        SCOPE[0],
        SCOPE[1],
        SCOPE[2],
        SCOPE[3],
        SCOPE[4],
        ("limit", Size::Number),
        ("context", Size::Number),
        ("ranked", Size::Number),
    ];

    fn ranks(answer: &Results) -> Option<Vec<serde_json::Value>> {
        Some(answer.hits.iter().map(|h| h.rank_keys()).collect())
    }

    fn from_params(p: &Params) -> Result<Self, HttpError> {
        let query = p
            .one("q")
            .ok_or_else(|| HttpError::bad_request("no query: pass q=QUERY".into()))?;
        Ok(SearchRequest {
            query: query.to_string(),
            scope: scope(p),
            limit: p.number("limit")?,
            context: p.number("context")?.unwrap_or(0).min(20),
        })
    }

    fn run(&self, index: &Index, rules: &RuleSet, cancel: &Cancel) -> Result<Results, HttpError> {
        let q = checked_query(index, rules, &self.query)?;
        check_scope(index, &self.scope)?;
        stage(crate::query::search::search_with(
            index,
            &q,
            &self.scope,
            Options {
                context: self.context,
                limit: self.limit,
                cancel: cancel.clone(),
                max_kept: SERVE_MAX_KEPT,
                ..Options::default()
            },
        ))
    }

    fn cli(&self) -> String {
        let mut s = format!("archeo search {}", shell_words::quote(&self.query));
        s.push_str(&scope_flags(&self.scope));
        if let Some(l) = self.limit {
            s.push_str(&format!(" --limit {l}"));
        }
        if self.context > 0 {
            s.push_str(&format!(" -C {}", self.context));
        }
        s + " --format json"
    }
}

/// `archeo findings`.
#[derive(Debug, Clone, Default)]
pub(crate) struct FindingsRequest {
    /// Which findings.
    pub sel: Selection,
}

impl Request for FindingsRequest {
    type Answer = Vec<FindingHit>;
    const ACCEPTS: Accepts = &[
        ("rule", Size::Name),
        SCOPE[0],
        SCOPE[1],
        SCOPE[2],
        SCOPE[3],
        SCOPE[4],
        ("ranked", Size::Number),
    ];

    fn ranks(answer: &Vec<FindingHit>) -> Option<Vec<serde_json::Value>> {
        Some(answer.iter().map(|h| h.rank_keys()).collect())
    }

    fn from_params(p: &Params) -> Result<Self, HttpError> {
        Ok(FindingsRequest {
            sel: Selection {
                rules: p.all("rule"),
                scope: scope(p),
            },
        })
    }

    fn run(
        &self,
        index: &Index,
        rules: &RuleSet,
        _: &Cancel,
    ) -> Result<Vec<FindingHit>, HttpError> {
        check_rules(index, rules, &self.sel.rules)?;
        check_scope(index, &self.sel.scope)?;
        stage(crate::query::findings::query(index, &self.sel))
    }

    fn cost(&self) -> Cost {
        Cost::Light
    }

    fn cli(&self) -> String {
        format!(
            "archeo findings{}{} --format json",
            repeated("--rule", &self.sel.rules),
            scope_flags(&self.sel.scope)
        )
    }
}

/// `archeo diff`.
#[derive(Debug, Clone, Default)]
pub(crate) struct DiffRequest {
    /// Old side.
    pub a: String,
    /// New side.
    pub b: String,
    /// `--rule`.
    pub rules: Vec<String>,
    /// `--search`.
    pub search: Option<String>,
    /// `--path` and `--no-vendor`.
    pub within: crate::query::history::DiffScope,
}

impl Request for DiffRequest {
    type Answer = DiffReport;
    const ACCEPTS: Accepts = &[
        ("a", Size::Name),
        ("b", Size::Name),
        ("rule", Size::Name),
        ("search", Size::Query),
        ("path", Size::Path),
        ("no_vendor", Size::Number),
    ];

    fn from_params(p: &Params) -> Result<Self, HttpError> {
        let (Some(a), Some(b)) = (p.one("a"), p.one("b")) else {
            return Err(HttpError::bad_request(
                "diff needs two revisions: a=REPO@REV and b=REPO@REV".into(),
            ));
        };
        let d = DiffRequest {
            a: a.trim().to_string(),
            b: b.trim().to_string(),
            rules: p.all("rule"),
            search: p.one("search").map(str::to_string),
            within: crate::query::history::DiffScope {
                path: p.one("path").map(str::to_string),
                no_vendor: p.flag("no_vendor"),
            },
        };
        if d.search.is_some() && !d.rules.is_empty() {
            return Err(HttpError::bad_request(
                "give rule= or search=, not both (as --rule and --search)".into(),
            ));
        }
        Ok(d)
    }

    fn run(
        &self,
        index: &Index,
        rules: &RuleSet,
        cancel: &Cancel,
    ) -> Result<DiffReport, HttpError> {
        index.resolve(&self.a).map_err(HttpError::unknown)?;
        index.resolve(&self.b).map_err(HttpError::unknown)?;
        check_rules(index, rules, &self.rules)?;
        let q = match &self.search {
            Some(s) => Some(checked_query(index, rules, s)?),
            None => None,
        };
        stage(crate::query::history::diff(
            index,
            &self.a,
            &self.b,
            subject(&self.rules, q.as_ref()),
            &self.within,
            cancel,
        ))
    }

    fn cli(&self) -> String {
        let mut s = format!(
            "archeo diff {} {}{}",
            shell_words::quote(&self.a),
            shell_words::quote(&self.b),
            repeated("--rule", &self.rules)
        );
        if let Some(q) = &self.search {
            s.push_str(&format!(" --search {}", shell_words::quote(q)));
        }
        if let Some(p) = &self.within.path {
            s.push_str(&format!(" --path {}", shell_words::quote(p)));
        }
        if self.within.no_vendor {
            s.push_str(" --no-vendor");
        }
        s + " --format json"
    }
}

/// `archeo timeline`.
#[derive(Debug, Clone, Default)]
pub(crate) struct TimelineRequest {
    /// A search query (or rules).
    pub query: Option<String>,
    /// `--rule`.
    pub rules: Vec<String>,
    /// `--repo`.
    pub repos: Vec<String>,
}

impl Request for TimelineRequest {
    type Answer = Timeline;
    const ACCEPTS: Accepts = &[
        ("q", Size::Query),
        ("rule", Size::Name),
        ("repo", Size::Name),
    ];

    fn from_params(p: &Params) -> Result<Self, HttpError> {
        let t = TimelineRequest {
            query: p.one("q").map(str::to_string),
            rules: p.all("rule"),
            repos: p.all("repo"),
        };
        match (&t.query, t.rules.is_empty()) {
            (None, true) => Err(HttpError::bad_request(
                "a timeline follows a rule or a search: pass rule=ID or q=QUERY".into(),
            )),
            (Some(_), false) => Err(HttpError::bad_request(
                "give rule= or q=, not both (as --rule and a QUERY)".into(),
            )),
            _ => Ok(t),
        }
    }

    fn run(&self, index: &Index, rules: &RuleSet, cancel: &Cancel) -> Result<Timeline, HttpError> {
        check_rules(index, rules, &self.rules)?;
        check_revisions(index, &[], &self.repos)?;
        let q = match &self.query {
            Some(s) => Some(checked_query(index, rules, s)?),
            None => None,
        };
        let subject: Subject = subject(&self.rules, q.as_ref());
        stage(crate::query::history::timeline(
            index,
            subject,
            &self.repos,
            cancel,
        ))
    }

    /// A rule's timeline reads stored findings; a search's scans text.
    fn cost(&self) -> Cost {
        if self.query.is_some() {
            Cost::Heavy
        } else {
            Cost::Light
        }
    }

    fn cli(&self) -> String {
        let mut s = "archeo timeline".to_string();
        if let Some(q) = &self.query {
            s.push_str(&format!(" {}", shell_words::quote(q)));
        }
        s.push_str(&repeated("--rule", &self.rules));
        s.push_str(&repeated("--repo", &self.repos));
        s + " --format json"
    }
}

/// `archeo explain`.
#[derive(Debug, Clone, Default)]
pub(crate) struct ExplainRequest {
    /// The message.
    pub message: String,
    /// `--at`.
    pub at: Vec<String>,
    /// `--repo`.
    pub repos: Vec<String>,
}

impl Request for ExplainRequest {
    type Answer = Explanation;
    const ACCEPTS: Accepts = &[
        ("message", Size::Message),
        ("at", Size::Name),
        ("repo", Size::Name),
    ];

    fn from_params(p: &Params) -> Result<Self, HttpError> {
        let message = p.one("message").ok_or_else(|| {
            HttpError::bad_request(
                "no message to explain: pass it as message=TEXT (the CLI takes it as an argument or on standard input)".into(),
            )
        })?;
        Ok(ExplainRequest {
            message: message.to_string(),
            at: p.all("at"),
            repos: p.all("repo"),
        })
    }

    fn run(&self, index: &Index, _: &RuleSet, _: &Cancel) -> Result<Explanation, HttpError> {
        check_revisions(index, &self.at, &self.repos)?;
        stage(crate::query::explain::explain(
            index,
            &self.message,
            &self.at,
            &self.repos,
        ))
    }

    fn cli(&self) -> String {
        format!(
            "archeo explain {}{}{} --format json",
            shell_words::quote(&self.message),
            repeated("--at", &self.at),
            repeated("--repo", &self.repos)
        )
    }
}
