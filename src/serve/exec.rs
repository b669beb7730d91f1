//! Running queries off the async threads, under a time limit and bounds on how many run at
//! once. Queries are CPU-bound and synchronous (the stages use rayon), so each runs on tokio's
//! blocking pool; a request waits for a slot and for its query together no longer than the
//! limit, then gets 503.
//!
//! Two pools of slots, so cheap requests never queue behind expensive ones: [`Cost::Heavy`]
//! (a search, a diff, a timeline or explain, whose cost grows with what the query matches) and
//! [`Cost::Light`] (a file view, the rules, findings: reads whose cost is bounded by the index).
//! Pages that query nothing (the empty forms) take no slot at all.
//!
//! Each query gets a [`Cancel`] token with the limit as its deadline, cancelled too when the
//! request is dropped (the client went away, or the limit passed while the request waited):
//! the query stops at its next check, so an abandoned query frees its slot and its memory.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Semaphore;

use super::error::HttpError;
use crate::query::cancel::Cancel;

/// Which pool of slots a request takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cost {
    /// Reads bounded by the index (a file, the rules, findings).
    Light,
    /// Queries whose work grows with what they match (search, diff, timeline, explain).
    Heavy,
}

/// Runs queries with a time limit and concurrency bounds.
#[derive(Clone)]
pub(crate) struct Exec {
    light: Arc<Semaphore>,
    heavy: Arc<Semaphore>,
    limit: Duration,
}

/// Cancels its token when dropped: when the request's future is dropped (the client closed
/// the connection) or has answered, the query it started stops.
struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

impl Exec {
    /// At most `light` cheap and `heavy` expensive queries at once, each answered within
    /// `limit`.
    pub(crate) fn new(light: usize, heavy: usize, limit: Duration) -> Exec {
        Exec {
            light: Arc::new(Semaphore::new(light.max(1))),
            heavy: Arc::new(Semaphore::new(heavy.max(1))),
            limit,
        }
    }

    /// Runs `f` on the blocking pool with a slot of `cost`'s pool. `f` gets the query's
    /// cancellation token. A result that arrives when the limit has passed is dropped too: the
    /// limit means "answered within", so a zero limit refuses every query.
    pub(crate) async fn run<T, F>(&self, cost: Cost, f: F) -> Result<T, HttpError>
    where
        T: Send + 'static,
        F: FnOnce(&Cancel) -> Result<T, HttpError> + Send + 'static,
    {
        let started = Instant::now();
        let cancel = Cancel::new(Some(started + self.limit));
        let _stop = CancelOnDrop(cancel.clone());
        let pool = match cost {
            Cost::Light => &self.light,
            Cost::Heavy => &self.heavy,
        };
        let slot = tokio::time::timeout(self.limit, pool.clone().acquire_owned())
            .await
            .map_err(|_| self.over("waiting for a free query slot"))?
            .map_err(|_| HttpError::unavailable("the server is shutting down".into()))?;
        let job = tokio::task::spawn_blocking(move || {
            let _slot = slot;
            // Waited for its slot until nobody wanted the answer: do not start.
            if cancel.check().is_err() {
                return Err(HttpError::unavailable("the query was cancelled".into()));
            }
            f(&cancel)
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
    use std::sync::atomic::{AtomicBool, Ordering};

    #[tokio::test]
    async fn a_query_over_the_limit_is_refused_with_503() {
        let exec = Exec::new(2, 2, Duration::ZERO);
        let e = exec.run(Cost::Heavy, |_| Ok(1)).await.unwrap_err();
        assert_eq!(e.status.as_u16(), 503);
        assert!(e.message.contains("time limit (0 ms)"), "{}", e.message);
        let exec = Exec::new(2, 2, Duration::from_secs(30));
        assert_eq!(exec.run(Cost::Light, |_| Ok(7)).await.unwrap(), 7);
        let e = exec
            .run::<(), _>(Cost::Heavy, |_| Err(HttpError::bad_request("no".into())))
            .await
            .unwrap_err();
        assert_eq!(e.status.as_u16(), 400);
    }

    /// A query past its limit sees its token cancelled and stops; its slot is free again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_query_past_its_limit_is_cancelled_and_frees_its_slot() {
        let exec = Exec::new(1, 1, Duration::from_millis(100));
        let stopped = Arc::new(AtomicBool::new(false));
        let seen = stopped.clone();
        let e = exec
            .run::<(), _>(Cost::Heavy, move |cancel| {
                let t = Instant::now();
                while t.elapsed() < Duration::from_secs(30) {
                    if cancel.check().is_err() {
                        seen.store(true, Ordering::SeqCst);
                        return Err(HttpError::unavailable("stopped".into()));
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(())
            })
            .await
            .unwrap_err();
        assert_eq!(e.status.as_u16(), 503);
        // The one heavy slot is free again well before the 30 s the job would have taken.
        let exec2 = Exec {
            limit: Duration::from_secs(5),
            ..exec.clone()
        };
        let t = Instant::now();
        assert_eq!(exec2.run(Cost::Heavy, |_| Ok(3)).await.unwrap(), 3);
        assert!(t.elapsed() < Duration::from_secs(5));
        assert!(stopped.load(Ordering::SeqCst));
    }

    /// A dropped request (the client went away) cancels its query.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_request_cancels_its_query() {
        let exec = Exec::new(1, 1, Duration::from_secs(60));
        let stopped = Arc::new(AtomicBool::new(false));
        let seen = stopped.clone();
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let req = tokio::spawn({
            let exec = exec.clone();
            async move {
                exec.run::<(), _>(Cost::Heavy, move |cancel| {
                    let _ = started_tx.send(());
                    while cancel.check().is_ok() {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    seen.store(true, Ordering::SeqCst);
                    Ok(())
                })
                .await
            }
        });
        started_rx.await.unwrap();
        req.abort();
        let t = Instant::now();
        assert_eq!(exec.run(Cost::Heavy, |_| Ok(4)).await.unwrap(), 4);
        assert!(t.elapsed() < Duration::from_secs(10));
        assert!(stopped.load(Ordering::SeqCst));
    }

    /// Light requests do not wait for heavy slots.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn light_requests_never_wait_for_heavy_slots() {
        let exec = Exec::new(1, 1, Duration::from_secs(60));
        let (started_tx, started_rx) = tokio::sync::oneshot::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let heavy = tokio::spawn({
            let exec = exec.clone();
            async move {
                exec.run::<(), _>(Cost::Heavy, move |_| {
                    let _ = started_tx.send(());
                    let _ = release_rx.recv_timeout(Duration::from_secs(30));
                    Ok(())
                })
                .await
            }
        });
        started_rx.await.unwrap();
        let light =
            tokio::time::timeout(Duration::from_secs(5), exec.run(Cost::Light, |_| Ok(5))).await;
        assert_eq!(light.expect("a light query ran").unwrap(), 5);
        release_tx.send(()).unwrap();
        heavy.await.unwrap().unwrap();
    }
}
