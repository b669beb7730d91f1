//! [`HttpError`]: a status and the message the CLI would print for the same failure. Pages show
//! it as an HTML page, the JSON API as `{"error": ...}`. Which status an error from a stage gets
//! is decided by its type (a query or path pattern that does not parse is the client's
//! mistake), never by its text.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::path_filter::PatternError;
use crate::query::cancel::Cancelled;
use crate::query::syntax::QueryError;

/// A failed request: its status and a message naming what is wrong and what to do.
#[derive(Debug, Clone)]
pub(crate) struct HttpError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The message, as the CLI prints it after `error: `.
    pub message: String,
}

impl HttpError {
    /// 400: the request cannot be answered as given.
    pub(crate) fn bad_request(message: String) -> HttpError {
        HttpError {
            status: StatusCode::BAD_REQUEST,
            message,
        }
    }

    /// 404: what it names (a revision, file, rule, repository) is not in the index.
    pub(crate) fn not_found(message: String) -> HttpError {
        HttpError {
            status: StatusCode::NOT_FOUND,
            message,
        }
    }

    /// 414: a value or the whole query string is over its size limit.
    pub(crate) fn too_long(message: String) -> HttpError {
        HttpError {
            status: StatusCode::URI_TOO_LONG,
            message,
        }
    }

    /// 503: the query did not finish within the time limit, or the server is saturated.
    pub(crate) fn unavailable(message: String) -> HttpError {
        HttpError {
            status: StatusCode::SERVICE_UNAVAILABLE,
            message,
        }
    }

    /// A failure of a stage: 503 when it was cancelled (its time limit passed), 400 when the
    /// client's query or path pattern does not parse, else 500 (the index could not be read).
    pub(crate) fn from_stage(e: anyhow::Error) -> HttpError {
        if let Some(c) = e.downcast_ref::<Cancelled>() {
            return HttpError::unavailable(c.to_string());
        }
        let client = e.chain().any(|c| {
            c.downcast_ref::<QueryError>().is_some() || c.downcast_ref::<PatternError>().is_some()
        });
        HttpError {
            status: if client {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::INTERNAL_SERVER_ERROR
            },
            message: format!("{e:#}"),
        }
    }

    /// A stage's refusal of something the request names (an unknown revision, repository or
    /// rule): 404 with the stage's own message.
    pub(crate) fn unknown(e: anyhow::Error) -> HttpError {
        HttpError::not_found(format!("{e:#}"))
    }

    /// The error as the JSON API gives it: one line `{"error": MESSAGE}`.
    pub(crate) fn into_json(self) -> Response {
        let body = serde_json::json!({ "error": self.message }).to_string() + "\n";
        (
            self.status,
            [(axum::http::header::CONTENT_TYPE, super::api::JSON_LINES)],
            body,
        )
            .into_response()
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let page = super::pages::layout::error_page(self.status, &self.message);
        (self.status, page).into_response()
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}
