//! `archeo serve --shard URL ...`: a front end over shard servers (each an `archeo serve` of
//! one shard). It opens no index: `/api/search` and `/api/findings` are asked of every shard
//! that may hold an answer, under a time limit per shard, and merged by the ranking keys each
//! shard sends (`ranked=1`), so the records come in the order one index would give them;
//! `/api/diff`, `/api/timeline` and `/api/explain` are forwarded whole to the one shard holding
//! every repository they name, and refused when they would join shards. Every answer ends with
//! a `shards` record saying which shards were asked, which answered, and which did not and why
//! (`partial`), so an answer is never silently smaller.
//!
//! Must not: rank, filter or reshape records beyond merging them (the shards' archeo does every
//! query), or read an index.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::{Context as _, Result};
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;

use super::api::{JSON_LINES, SHARD_HEADER};
use super::error::HttpError;
use crate::index::shards::ShardRecord;
use crate::query::syntax::{Filter, Query};

/// How a front end runs.
#[derive(Debug, Clone)]
pub struct FrontConfig {
    /// Where to listen.
    pub addr: std::net::SocketAddr,
    /// The shard servers' base URLs (`http://127.0.0.1:7801`).
    pub shards: Vec<String>,
    /// How long each shard has to answer.
    pub timeout: Duration,
    /// How long a client may take to send a request's head (see [`super::ServeConfig`]).
    pub header_timeout: Duration,
    /// At most this many connections at once (`None`: from the descriptor limit).
    pub max_connections: Option<usize>,
}

/// The largest answer read from one shard server.
const MAX_ANSWER: u64 = 256 << 20;

#[derive(Clone)]
struct Front {
    shards: Vec<String>,
    client: reqwest::Client,
    timeout: Duration,
}

/// Serves the front end until interrupted. Prints its URL first, on its own line.
pub fn serve(cfg: FrontConfig) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    let shards: Vec<String> = cfg
        .shards
        .iter()
        .map(|u| u.trim_end_matches('/').to_string())
        .collect();
    for u in &shards {
        let parsed = reqwest::Url::parse(u)
            .with_context(|| format!("--shard {u:?} is not a URL (http://HOST:PORT)"))?;
        anyhow::ensure!(
            parsed.scheme() == "http",
            "--shard {u:?}: shard servers are plain http:// (archeo serve)"
        );
    }
    let client = reqwest::Client::builder()
        .timeout(cfg.timeout)
        .build()
        .context("cannot make the HTTP client")?;
    let front = Front {
        shards,
        client,
        timeout: cfg.timeout,
    };
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(cfg.addr)
            .await
            .with_context(|| format!("cannot listen on {}: pick another --addr", cfg.addr))?;
        let url = format!("http://{}/", listener.local_addr()?);
        println!("{url}");
        eprintln!(
            "archeo serve: {url} is a front end over {} shard servers ({} each); read-only; Ctrl-C stops",
            front.shards.len(),
            humantime(cfg.timeout)
        );
        let app = Router::new()
            .route("/api/search", get(fan_out_search))
            .route("/api/findings", get(fan_out_findings))
            .route("/api/diff", get(forward_diff))
            .route("/api/timeline", get(forward_timeline))
            .route("/api/explain", get(forward_explain))
            .fallback(not_here)
            .with_state(front);
        let cap = super::connection_cap(cfg.max_connections);
        super::connections(listener, app, cfg.header_timeout, cap, super::stopped()).await;
        Ok(())
    })
}

fn humantime(d: Duration) -> String {
    format!("{} ms", d.as_millis())
}

/// What one shard server said.
enum Reply {
    /// 200: its shard (None: a whole index) and body.
    Answer {
        shard: Option<(u32, u32, String)>,
        body: String,
    },
    /// 4xx: the request is wrong (every shard would say so); the status and body.
    Refused(StatusCode, String),
    /// No answer in time, or a failure on its side.
    Failed(String),
}

/// The `shards` record closing every answer.
#[derive(Serialize, Default)]
struct ShardsRecord {
    schema_version: u32,
    #[serde(rename = "type")]
    kind: &'static str,
    /// How many shards the lock is cut into (None when no shard answered).
    of: Option<u32>,
    /// The shards (K) the question needed.
    asked: Vec<u32>,
    /// The shards that answered.
    answered: Vec<u32>,
    /// Those that did not, with why.
    missing: Vec<Missing>,
    /// True when some needed shard did not answer: the records above are not the whole answer.
    partial: bool,
}

#[derive(Serialize)]
struct Missing {
    /// `K/N`, when known.
    shard: Option<String>,
    /// The server asked, if any serves that shard.
    url: Option<String>,
    /// Why there is no answer from it.
    reason: String,
}

impl Front {
    async fn get(&self, base: &str, path: &str, query: &str) -> Reply {
        let url = if query.is_empty() {
            format!("{base}{path}")
        } else {
            format!("{base}{path}?{query}")
        };
        let r = match self.client.get(&url).send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Reply::Failed(format!("no answer within {}", humantime(self.timeout)));
            }
            Err(e) => return Reply::Failed(format!("cannot reach it: {}", root_cause(&e))),
        };
        let status = r.status();
        // A shard server's answer is bounded like any input: archeo serve always says its
        // length.
        match r.content_length() {
            Some(n) if n <= MAX_ANSWER => {}
            Some(n) => {
                return Reply::Failed(format!(
                    "its answer is {n} bytes, over the {MAX_ANSWER} a front end reads (narrow the question, or give limit=)"
                ));
            }
            None => return Reply::Failed("its answer does not say its length".into()),
        }
        let shard = r
            .headers()
            .get(SHARD_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_shard_header);
        let body = match r.text().await {
            Ok(b) => b,
            Err(e) if e.is_timeout() => {
                return Reply::Failed(format!("no answer within {}", humantime(self.timeout)));
            }
            Err(e) => return Reply::Failed(format!("its answer broke off: {}", root_cause(&e))),
        };
        if status.is_success() {
            Reply::Answer { shard, body }
        } else if status.is_client_error() && status != StatusCode::NOT_FOUND
            || status == StatusCode::NOT_FOUND && body.contains("\"error\"")
        {
            Reply::Refused(status, body)
        } else {
            Reply::Failed(format!("{status}: {}", error_text(&body)))
        }
    }

    /// Asks every shard server `path?query` at once.
    async fn ask_all(&self, urls: &[String], path: &str, query: &str) -> Vec<Reply> {
        let handles: Vec<_> = urls
            .iter()
            .map(|u| {
                let (f, u, p, q) = (self.clone(), u.clone(), path.to_string(), query.to_string());
                tokio::spawn(async move { f.get(&u, &p, &q).await })
            })
            .collect();
        let mut out = Vec::with_capacity(handles.len());
        for h in handles {
            out.push(match h.await {
                Ok(r) => r,
                Err(e) => Reply::Failed(format!("the request failed: {e}")),
            });
        }
        out
    }

    /// The cut (from the first shard that answers `/api/shard`) and which URL serves which K.
    async fn cut(&self) -> (Option<ShardRecord>, BTreeMap<u32, String>, Vec<Missing>) {
        let replies = self.ask_all(&self.shards, "/api/shard", "").await;
        let mut record: Option<ShardRecord> = None;
        let mut by_k = BTreeMap::new();
        let mut down = Vec::new();
        for (url, reply) in self.shards.iter().zip(replies) {
            match reply {
                Reply::Answer { body, .. } => {
                    let v: Option<ShardRecord> = serde_json::from_str::<serde_json::Value>(&body)
                        .ok()
                        .and_then(|v| serde_json::from_value(v["shard"].clone()).ok());
                    match v {
                        Some(r) => {
                            by_k.insert(r.k, url.clone());
                            record.get_or_insert(r);
                        }
                        None => down.push(Missing {
                            shard: None,
                            url: Some(url.clone()),
                            reason: "it serves no shard (an index built without --shard)".into(),
                        }),
                    }
                }
                Reply::Refused(s, b) => down.push(Missing {
                    shard: None,
                    url: Some(url.clone()),
                    reason: format!("{s}: {}", error_text(&b)),
                }),
                Reply::Failed(why) => down.push(Missing {
                    shard: None,
                    url: Some(url.clone()),
                    reason: why,
                }),
            }
        }
        (record, by_k, down)
    }
}

fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// The message of a `{"error": ...}` body, or the body.
fn error_text(body: &str) -> String {
    serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(str::to_string))
        .unwrap_or_else(|| body.trim().chars().take(300).collect())
}

/// `K/N LOCK` -> (K, N, LOCK); `whole` -> None.
fn parse_shard_header(v: &str) -> Option<(u32, u32, String)> {
    let (spec, lock) = v.split_once(' ')?;
    let (k, n) = spec.split_once('/')?;
    Some((k.parse().ok()?, n.parse().ok()?, lock.to_string()))
}

/// The repositories a request names (`at=REPO@REV`, `repo=`, `a=`, `b=`, `repo:` filters in
/// `q=` and `search=`).
fn named_repos(raw: &str) -> Result<BTreeSet<String>, HttpError> {
    if raw.len() > super::params::MAX_QUERY_STRING {
        return Err(HttpError::too_long(format!(
            "the query string is {} bytes; at most {} are accepted",
            raw.len(),
            super::params::MAX_QUERY_STRING
        )));
    }
    let mut out = BTreeSet::new();
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        match &*k {
            "at" | "a" | "b" => {
                if let Some((repo, _)) = v.split_once('@') {
                    out.insert(repo.to_string());
                }
            }
            "repo" => {
                out.insert(v.to_string());
            }
            "q" | "search" => {
                let q = Query::parse(&v).map_err(|e| HttpError::bad_request(format!("{e:#}")))?;
                out.extend(q.filter_values(|f| match f {
                    Filter::Repo(r) => Some(r),
                    _ => None,
                }));
            }
            _ => {}
        }
    }
    Ok(out)
}

/// The shards (K) holding `repos`, or an error naming a repository no shard holds.
fn shards_of(record: &ShardRecord, repos: &BTreeSet<String>) -> Result<BTreeSet<u32>, HttpError> {
    let mut ks = BTreeSet::new();
    for r in repos {
        match record.shard_of(r) {
            Some(k) => {
                ks.insert(k);
            }
            None => {
                return Err(HttpError::not_found(format!(
                    "unknown repository {r:?}; the shards hold: {}",
                    record.repos.join(", ")
                )));
            }
        }
    }
    Ok(ks)
}

fn respond(status: StatusCode, body: String, partial: bool) -> Response {
    let mut r = (status, [(CONTENT_TYPE, JSON_LINES)], body).into_response();
    r.headers_mut().insert(
        "x-archeo-partial",
        HeaderValue::from_static(if partial { "true" } else { "false" }),
    );
    r
}

fn closing(rec: &ShardsRecord) -> String {
    serde_json::to_string(rec).expect("serialisable") + "\n"
}

async fn fan_out_search(State(f): State<Front>, RawQuery(raw): RawQuery) -> Response {
    fan_out(&f, "/api/search", raw.unwrap_or_default(), true).await
}

async fn fan_out_findings(State(f): State<Front>, RawQuery(raw): RawQuery) -> Response {
    fan_out(&f, "/api/findings", raw.unwrap_or_default(), false).await
}

/// Asks the shards that may answer, merges their records by rank, and closes with the
/// `shards` record.
async fn fan_out(f: &Front, path: &str, raw: String, limited: bool) -> Response {
    match fan_out_body(f, path, &raw, limited).await {
        Ok((body, partial)) => respond(StatusCode::OK, body, partial),
        Err(e) => e.into_json(),
    }
}

async fn fan_out_body(
    f: &Front,
    path: &str,
    raw: &str,
    limited: bool,
) -> Result<(String, bool), HttpError> {
    let named = named_repos(raw)?;
    let mut rec = ShardsRecord {
        schema_version: crate::report::json::SCHEMA_VERSION,
        kind: "shards",
        ..Default::default()
    };
    // Which servers to ask: every one, unless the request names repositories (then the
    // shards holding them, from the cut).
    let (targets, expected): (Vec<String>, Option<BTreeSet<u32>>) = if named.is_empty() {
        (f.shards.clone(), None)
    } else {
        let (record, by_k, down) = f.cut().await;
        let Some(record) = record else {
            return Err(no_shard(&down));
        };
        let ks = shards_of(&record, &named)?;
        rec.of = Some(record.n);
        for k in &ks {
            if !by_k.contains_key(k) {
                rec.missing.push(Missing {
                    shard: Some(format!("{k}/{}", record.n)),
                    url: None,
                    reason: "no shard server answered for it".into(),
                });
            }
        }
        (
            ks.iter().filter_map(|k| by_k.get(k).cloned()).collect(),
            Some(ks),
        )
    };
    let query = if raw.is_empty() {
        "ranked=1".to_string()
    } else {
        format!("{raw}&ranked=1")
    };
    let replies = f.ask_all(&targets, path, &query).await;
    let mut rows: Vec<(serde_json::Value, String)> = Vec::new();
    // What each shard counted: a shard whose search a bound cut says so in a `truncated`
    // record (its best hits hold every one of the merged best); the others sent every hit.
    let mut counted = Counted::default();
    let mut lock: Option<(u32, String)> = rec.of.map(|n| (n, String::new()));
    let mut answered = BTreeSet::new();
    for (url, reply) in targets.iter().zip(replies) {
        match reply {
            Reply::Refused(status, body) => {
                return Err(HttpError {
                    status,
                    message: error_text(&body),
                });
            }
            Reply::Failed(why) => rec.missing.push(Missing {
                shard: None,
                url: Some(url.clone()),
                reason: why,
            }),
            Reply::Answer { shard: None, .. } => {
                return Err(HttpError {
                    status: StatusCode::BAD_GATEWAY,
                    message: format!(
                        "{url} serves a whole index, not a shard: a front end merges the shards of one lock (archeo serve --index-dir SHARD on each)"
                    ),
                });
            }
            Reply::Answer {
                shard: Some((k, n, l)),
                body,
            } => {
                match &mut lock {
                    Some((n0, l0)) if *n0 != n || (!l0.is_empty() && *l0 != l) => {
                        return Err(HttpError {
                            status: StatusCode::BAD_GATEWAY,
                            message: format!(
                                "{url} serves shard {k}/{n} of another lock or cut than the other shards: rebuild and restart the stale shard"
                            ),
                        });
                    }
                    Some((_, l0)) => *l0 = l,
                    None => lock = Some((n, l)),
                }
                if !answered.insert(k) {
                    return Err(HttpError {
                        status: StatusCode::BAD_GATEWAY,
                        message: format!(
                            "two shard servers answer as shard {k}/{n}: give each shard once"
                        ),
                    });
                }
                let mut shard = Counted::default();
                for line in body.lines().filter(|l| !l.is_empty()) {
                    if let Some(t) = truncated_record(line) {
                        shard.cut = Some(t);
                        continue;
                    }
                    shard.count(line);
                    rows.push(split_rank(line).map_err(|e| HttpError {
                        status: StatusCode::BAD_GATEWAY,
                        message: format!("{url} answered a record without its ranking: {e}"),
                    })?);
                }
                counted.add(shard);
            }
        }
    }
    let Some((n, _)) = lock else {
        return Err(no_shard(&rec.missing));
    };
    rec.of = Some(n);
    let expected = expected.unwrap_or_else(|| (1..=n).collect());
    rec.asked = expected.iter().copied().collect();
    rec.answered = answered.iter().copied().collect();
    for k in expected.difference(&answered) {
        // A server that failed is listed by URL; say which shards no answer came for.
        if !rec
            .missing
            .iter()
            .any(|m| m.shard.as_deref() == Some(&format!("{k}/{n}")))
        {
            rec.missing.push(Missing {
                shard: Some(format!("{k}/{n}")),
                url: None,
                reason: "no answer for this shard".into(),
            });
        }
    }
    rec.missing.retain(|m| m.shard.is_some() || m.url.is_some());
    rec.partial = !expected.is_subset(&answered);
    // One index's order: each shard's records are in it already; keys never tie across shards.
    rows.sort_by(|a, b| cmp_keys(&a.0, &b.0));
    let limit = form_urlencoded::parse(raw.as_bytes())
        .find(|(k, _)| k == "limit")
        .and_then(|(_, v)| v.parse::<usize>().ok());
    // The bound a whole index's server keeps a search under, applied to the merged answer.
    let bound = crate::serve::requests::SERVE_MAX_KEPT;
    let truncated = limited && counted.total > bound as u64 && limit.is_none_or(|l| l > bound);
    if limited {
        rows.truncate(limit.unwrap_or(usize::MAX).min(bound));
    }
    let mut body = String::new();
    let shown = rows.len();
    for (_, line) in rows {
        body.push_str(&line);
        body.push('\n');
    }
    if truncated {
        let (total, files) = (counted.total, counted.file_versions);
        let merged = serde_json::json!({
            "schema_version": crate::report::json::SCHEMA_VERSION,
            "type": "truncated",
            "reason": "max-kept",
            "bound": bound,
            "shown": shown,
            "total": total,
            "file_versions": files,
            "message": format!(
                "more matched than a search keeps in memory ({bound} hits or file versions): these are the best {shown} by rank of {total} hits in {files} file versions; narrow the query (repo:, path:, a longer pattern) or lower --limit"
            ),
        });
        body.push_str(&merged.to_string());
        body.push('\n');
    }
    body.push_str(&closing(&rec));
    Ok((body, rec.partial))
}

fn no_shard(down: &[Missing]) -> HttpError {
    HttpError::unavailable(format!(
        "no shard server answered: {}",
        down.iter()
            .map(|m| format!(
                "{} ({})",
                m.url.as_deref().or(m.shard.as_deref()).unwrap_or("?"),
                m.reason
            ))
            .collect::<Vec<_>>()
            .join("; ")
    ))
}

/// Hits and file versions counted over the shards' answers.
#[derive(Default)]
struct Counted {
    total: u64,
    file_versions: u64,
    /// This shard's `truncated` record, when a bound cut its answer.
    cut: Option<serde_json::Value>,
    /// The file versions of the hits it sent (repository, path, blob).
    files: BTreeSet<(String, String, String)>,
    rows: u64,
}

impl Counted {
    /// One record a shard sent.
    fn count(&mut self, line: &str) {
        self.rows += 1;
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
            let c = &v["cite"];
            let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
            self.files.insert((s("repo"), s("path"), s("blob")));
        }
    }

    /// A shard's counts: its `truncated` record's when it sent one, else what it sent.
    fn add(&mut self, shard: Counted) {
        match &shard.cut {
            Some(t) => {
                self.total += t["total"].as_u64().unwrap_or(shard.rows);
                self.file_versions += t["file_versions"]
                    .as_u64()
                    .unwrap_or(shard.files.len() as u64);
            }
            None => {
                self.total += shard.rows;
                self.file_versions += shard.files.len() as u64;
            }
        }
    }
}

/// A search's `truncated` record (it carries no ranking), parsed.
fn truncated_record(line: &str) -> Option<serde_json::Value> {
    if !line.contains("\"type\":\"truncated\"") {
        return None;
    }
    let v: serde_json::Value = serde_json::from_str(line).ok()?;
    (v["type"] == "truncated").then_some(v)
}

/// A ranked record -> (its keys, the record as the CLI prints it). The keys are the last field
/// (`,"rank":[...]}`); inside JSON strings a quote is always escaped, so the last `,"rank":[`
/// is that field.
fn split_rank(line: &str) -> Result<(serde_json::Value, String)> {
    let at = line
        .rfind(",\"rank\":[")
        .context("no \"rank\" field (is the shard server an older archeo?)")?;
    let keys: serde_json::Value = serde_json::from_str(
        line[at + 8..]
            .strip_suffix('}')
            .context("the record does not end with its rank")?,
    )?;
    Ok((keys, format!("{}}}", &line[..at])))
}

/// Compares ranking keys as the query stages compare them: booleans false first, numbers by
/// value, strings bytewise.
fn cmp_keys(a: &serde_json::Value, b: &serde_json::Value) -> std::cmp::Ordering {
    use serde_json::Value as V;
    use std::cmp::Ordering;
    match (a, b) {
        (V::Array(x), V::Array(y)) => {
            for (p, q) in x.iter().zip(y) {
                let o = cmp_keys(p, q);
                if o != Ordering::Equal {
                    return o;
                }
            }
            x.len().cmp(&y.len())
        }
        (V::Bool(x), V::Bool(y)) => x.cmp(y),
        (V::Number(x), V::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(p), Some(q)) => p.cmp(&q),
            _ => x
                .as_f64()
                .partial_cmp(&y.as_f64())
                .unwrap_or(Ordering::Equal),
        },
        (V::String(x), V::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        (V::Null, V::Null) => Ordering::Equal,
        (V::Null, _) => Ordering::Less,
        (_, V::Null) => Ordering::Greater,
        _ => Ordering::Equal,
    }
}

async fn forward_diff(State(f): State<Front>, RawQuery(raw): RawQuery) -> Response {
    forward(&f, "/api/diff", raw.unwrap_or_default(), "diff").await
}

async fn forward_timeline(State(f): State<Front>, RawQuery(raw): RawQuery) -> Response {
    forward(&f, "/api/timeline", raw.unwrap_or_default(), "timeline").await
}

async fn forward_explain(State(f): State<Front>, RawQuery(raw): RawQuery) -> Response {
    forward(&f, "/api/explain", raw.unwrap_or_default(), "explain").await
}

/// Forwards a question to the one shard holding every repository it names; refuses a question
/// that would join shards (a union of local shards answers it: `archeo --index-dir A
/// --index-dir B ...`).
async fn forward(f: &Front, path: &str, raw: String, what: &str) -> Response {
    match forward_body(f, path, &raw, what).await {
        Ok(body) => respond(StatusCode::OK, body, false),
        Err(e) => e.into_json(),
    }
}

async fn forward_body(f: &Front, path: &str, raw: &str, what: &str) -> Result<String, HttpError> {
    let named = named_repos(raw)?;
    let (record, by_k, down) = f.cut().await;
    let Some(record) = record else {
        return Err(no_shard(&down));
    };
    let ks = shards_of(&record, &named)?;
    let refuse = |why: String| {
        HttpError::bad_request(format!(
            "{why}: a front end over shards forwards {what} only when every repository it names is in one shard (name them with repo= or REPO@REV); run it on a union of the shards instead: archeo {what} ... --index-dir SHARD1 --index-dir SHARD2 ..."
        ))
    };
    let k = match ks.iter().collect::<Vec<_>>()[..] {
        [] => {
            return Err(refuse(format!(
                "this {what} names no repository, so it may need every shard"
            )));
        }
        [k] => *k,
        _ => {
            return Err(refuse(format!(
                "this {what} joins repositories of shards {}",
                ks.iter()
                    .map(|k| format!("{k}/{}", record.n))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )));
        }
    };
    let Some(url) = by_k.get(&k) else {
        return Err(HttpError::unavailable(format!(
            "shard {k}/{} holds {}, and no shard server answered for it: nothing is answered rather than a part",
            record.n,
            named.iter().cloned().collect::<Vec<_>>().join(", ")
        )));
    };
    match f.get(url, path, raw).await {
        Reply::Answer { body, .. } => {
            let rec = ShardsRecord {
                schema_version: crate::report::json::SCHEMA_VERSION,
                kind: "shards",
                of: Some(record.n),
                asked: vec![k],
                answered: vec![k],
                missing: Vec::new(),
                partial: false,
            };
            Ok(body + &closing(&rec))
        }
        Reply::Refused(status, body) => Err(HttpError {
            status,
            message: error_text(&body),
        }),
        Reply::Failed(why) => Err(HttpError::unavailable(format!(
            "shard {k}/{} ({url}) did not answer: {why}",
            record.n
        ))),
    }
}

async fn not_here() -> Response {
    HttpError::not_found(
        "this is a front end over shard servers: it answers /api/search and /api/findings (merged from every shard), and /api/diff, /api/timeline and /api/explain (forwarded to the shard holding what they name); pages are served by each shard's own archeo serve".into(),
    )
    .into_json()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rank_is_split_off_the_last_field_even_when_a_string_holds_its_spelling() {
        let line = r#"{"type":"hit","text":"x,\"rank\":[1]","rank":[false,"a,\"rank\":[",3]}"#;
        let (keys, rec) = split_rank(line).unwrap();
        assert_eq!(rec, r#"{"type":"hit","text":"x,\"rank\":[1]"}"#);
        assert_eq!(keys, serde_json::json!([false, "a,\"rank\":[", 3]));
    }

    #[test]
    fn keys_compare_as_the_stages_do() {
        use std::cmp::Ordering::*;
        let k = |v: serde_json::Value| v;
        assert_eq!(
            cmp_keys(
                &k(serde_json::json!([false, -3])),
                &k(serde_json::json!([true, -9]))
            ),
            Less
        );
        assert_eq!(
            cmp_keys(
                &k(serde_json::json!([false, -3])),
                &k(serde_json::json!([false, -9]))
            ),
            Greater
        );
        assert_eq!(
            cmp_keys(&k(serde_json::json!(["B"])), &k(serde_json::json!(["a"]))),
            Less
        );
    }

    #[test]
    fn named_repositories_come_from_selectors_and_filters() {
        let n = named_repos("q=openat2+repo%3Arunc&at=moby%40v28.5.2&repo=sysbox").unwrap();
        assert_eq!(
            n.into_iter().collect::<Vec<_>>(),
            ["moby", "runc", "sysbox"]
        );
        assert!(named_repos("q=%2Fbad").is_err());
    }
}
