//! Running queries off the async threads, under a time limit and a bound on how many run at
//! once. Queries are CPU-bound and synchronous (the stages use rayon), so each runs on tokio's
//! blocking pool; a request waits for a slot and for its query together no longer than the
//! limit, then gets 503. A query past its limit cannot be cancelled: it finishes in the
//! background still holding its slot, so a burst of slow queries cannot pile up threads.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::error::HttpError;

/// Runs queries with a time limit and a concurrency bound.
#[derive(Clone)]
pub(crate) struct Exec {
    slots: Arc<Semaphore>,
    limit: Duration,
}

impl Exec {
    /// At most `slots` queries at once, each answered within `limit`.
    pub(crate) fn new(slots: usize, limit: Duration) -> Exec {
        Exec {
            slots: Arc::new(Semaphore::new(slots.max(1))),
            limit,
        }
    }

    /// Runs `f` on the blocking pool. A result that arrives when the limit has passed is
    /// dropped too: the limit means "answered within", so a zero limit refuses every query.
    pub(crate) async fn run<T, F>(&self, f: F) -> Result<T, HttpError>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T, HttpError> + Send + 'static,
    {
        let started = Instant::now();
        let slot = tokio::time::timeout(self.limit, self.slots.clone().acquire_owned())
            .await
            .map_err(|_| self.over("waiting for a free query slot"))?
            .map_err(|_| HttpError::unavailable("the server is shutting down".into()))?;
        let job = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            f()
        });
        let left = self.limit.saturating_sub(started.elapsed());
        let done = tokio::time::timeout(left, job)
            .await
            .map_err(|_| self.over("running the query"))?;
        let result = done.map_err(|e| HttpError {
            status: axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            message: format!("the query failed unexpectedly: {e}"),
        })?;
        if started.elapsed() >= self.limit {
            return Err(self.over("running the query"));
        }
        result
    }

    fn over(&self, what: &str) -> HttpError {
        HttpError::unavailable(format!(
            "the query did not finish within the time limit ({} ms) while {what}: narrow it (repo:, path:, a REPO@REV selector) or restart archeo serve with a larger --timeout-ms",
            self.limit.as_millis()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_query_over_the_limit_is_refused_with_503() {
        let exec = Exec::new(2, Duration::ZERO);
        let e = exec.run(|| Ok(1)).await.unwrap_err();
        assert_eq!(e.status.as_u16(), 503);
        assert!(e.message.contains("time limit (0 ms)"), "{}", e.message);
        let exec = Exec::new(2, Duration::from_secs(30));
        assert_eq!(exec.run(|| Ok(7)).await.unwrap(), 7);
        let e = exec
            .run::<(), _>(|| Err(HttpError::bad_request("no".into())))
            .await
            .unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
    }
}
