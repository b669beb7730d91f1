//! The JSON API under `/api/`: each route reads the same parameters as its page, runs the same
//! [`Request`], and answers with the bytes the report stage's JSON printer writes, so
//! `/api/search?q=openat2&at=runc@v1.3.3` is byte for byte `archeo search openat2 --at
//! runc@v1.3.3 --format json`. Nothing here shapes JSON of its own except errors.

use axum::extract::{RawQuery, State};
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
    match json_of::<R>(&app, raw.as_deref()).await {
        Ok(body) => ([(CONTENT_TYPE, JSON_LINES)], body).into_response(),
        Err(e) => e.into_json(),
    }
}

async fn json_of<R>(app: &App, raw: Option<&str>) -> Result<Vec<u8>, HttpError>
where
    R: Request + Send + 'static,
{
    let p = Params::parse(raw, R::ACCEPTS)?;
    let req = R::from_params(&p)?;
    let snap = app.live.current();
    let rules = app.rules.clone();
    app.exec
        .run(req.cost(), move |cancel| {
            let answer = req.run(&snap.index, &rules, cancel)?;
            let mut body = Vec::new();
            answer.json(&mut body).map_err(HttpError::from_stage)?;
            Ok(body)
        })
        .await
}
