//! The JSON API under `/api/`: each route reads the same parameters as its page, runs the same
//! [`Request`], and answers with the bytes the report stage's JSON printer writes, so
//! `/api/search?q=openat2&at=runc@v1.3.3` is byte for byte `archeo search openat2 --at
//! runc@v1.3.3 --format json`. Nothing here shapes JSON of its own except errors, and for a
//! front end over shards two additions: `ranked=1` appends each record's ranking keys as a last
//! field, `"rank": [...]` (search and findings, which the front end merges), and every answer
//! says which shard it comes from in the `x-archeo-shard` header (`K/N LOCK`, or `whole`).

use axum::extract::{RawQuery, State};
use axum::http::HeaderValue;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use super::App;
use super::error::HttpError;
use super::params::Params;
use super::requests::Request;
use crate::report::Report;

/// The media type of JSON Lines.
pub(crate) const JSON_LINES: &str = "application/x-ndjson; charset=utf-8";

/// Answers one API request with the CLI's JSON Lines (an empty body when nothing is found, as
/// the CLI prints nothing and exits 1); errors as `{"error": ...}` with their status.
pub(crate) async fn answer<R>(State(app): State<App>, RawQuery(raw): RawQuery) -> Response
where
    R: Request + Send + 'static,
{
    let shard = shard_header(&app);
    let mut r = match json_of::<R>(&app, raw.as_deref()).await {
        Ok(body) => ([(CONTENT_TYPE, JSON_LINES)], body).into_response(),
        Err(e) => e.into_json(),
    };
    if let Ok(v) = HeaderValue::from_str(&shard) {
        r.headers_mut().insert(SHARD_HEADER, v);
    }
    r
}

/// The header naming the shard an answer comes from.
pub(crate) const SHARD_HEADER: &str = "x-archeo-shard";

/// `K/N LOCK` for a shard served alone, else `whole`.
fn shard_header(app: &App) -> String {
    match app.live.current().index.lone_shard() {
        Some(s) => format!("{}/{} {}", s.k, s.n, s.lock),
        None => "whole".to_string(),
    }
}

/// `/api/shard`: which shard of which lock this server answers for, and its revisions.
pub(crate) async fn shard(State(app): State<App>) -> Response {
    let snap = app.live.current();
    let index = &snap.index;
    let body = serde_json::json!({
        "schema_version": crate::report::json::SCHEMA_VERSION,
        "type": "shard",
        "shard": index.lone_shard(),
        "revisions": index
            .revisions()
            .iter()
            .map(|r| serde_json::json!({"repo": r.repo, "rev": r.rev, "commit": r.commit}))
            .collect::<Vec<_>>(),
    })
    .to_string()
        + "\n";
    let mut r = ([(CONTENT_TYPE, JSON_LINES)], body).into_response();
    if let Ok(v) = HeaderValue::from_str(&shard_header(&app)) {
        r.headers_mut().insert(SHARD_HEADER, v);
    }
    r
}

/// Appends `,"rank":KEYS` to each JSON line (the records are one line each, in answer order).
fn with_ranks(body: &[u8], ranks: &[serde_json::Value]) -> Result<Vec<u8>, HttpError> {
    let text = std::str::from_utf8(body).map_err(|e| HttpError::from_stage(e.into()))?;
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() < ranks.len() {
        return Err(HttpError::from_stage(anyhow::anyhow!(
            "{} records but {} rankings",
            lines.len(),
            ranks.len()
        )));
    }
    let mut out = Vec::with_capacity(body.len() + 64 * ranks.len());
    for (line, rank) in lines.iter().zip(ranks) {
        let open = line.strip_suffix('}').ok_or_else(|| {
            HttpError::from_stage(anyhow::anyhow!("a JSON record that is not an object"))
        })?;
        out.extend_from_slice(open.as_bytes());
        out.extend_from_slice(b",\"rank\":");
        out.extend_from_slice(rank.to_string().as_bytes());
        out.extend_from_slice(b"}\n");
    }
    // Records after the ranked ones (a search's `truncated`) are about the answer, not ranked.
    for line in &lines[ranks.len()..] {
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    Ok(out)
}

async fn json_of<R>(app: &App, raw: Option<&str>) -> Result<Vec<u8>, HttpError>
where
    R: Request + Send + 'static,
{
    let p = Params::parse(raw, R::ACCEPTS)?;
    let ranked = p.flag("ranked");
    let req = R::from_params(&p)?;
    let snap = app.live.current();
    let rules = app.rules.clone();
    app.exec
        .run(req.cost(), move |cancel| {
            let answer = req.run(&snap.index, &rules, cancel)?;
            let mut body = Vec::new();
            answer.json(&mut body).map_err(HttpError::from_stage)?;
            match R::ranks(&answer).filter(|_| ranked) {
                Some(ranks) => with_ranks(&body, &ranks),
                None => Ok(body),
            }
        })
        .await
}
