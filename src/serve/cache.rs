//! The response cache: answers of the query routes (pages and `/api/`) kept in memory, keyed
//! by the index generation and the canonical request, so a repeated request is answered without
//! running its query again. Bounded by bytes (`--cache-mb`), evicting the least recently used
//! answer.
//!
//! Correct by construction rather than by expiry: an answer depends only on the index snapshot
//! and the request (the routes read nothing else: no cookies, no headers), and the snapshot
//! only changes when the index is rebuilt, which bumps its generation. The first request that
//! sees a new generation drops every entry. Only `200 OK` answers are kept: an error, a 503
//! (time limit, shutting down) or a cancelled query is never stored, so the next identical
//! request runs the query again.
//!
//! Identical requests that miss at the same time share one computation: the first runs the
//! route, the others wait for it (holding no query slot) and answer from the cache then. When
//! the first one's answer is not kept (an error, a 503, its client went away and cancelled it),
//! each waiting request runs the route itself, so one failed or abandoned request never becomes
//! another client's answer.
//!
//! Every answer of a cached route says `x-archeo-cache: hit` or `miss`; with `--cache-mb 0`
//! there is no cache and no header.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use lru::LruCache;
use tokio::sync::watch;

use super::App;
use super::params::MAX_QUERY_STRING;

/// The header saying whether an answer came from the cache.
pub(crate) const CACHE_HEADER: &str = "x-archeo-cache";

/// What an entry costs besides its key, headers and body (the map's node, the `Arc`, the
/// header map's table): a rough figure so that many tiny answers are bounded too.
const ENTRY_OVERHEAD: usize = 256;

/// One kept answer.
struct Entry {
    headers: HeaderMap,
    body: Bytes,
}

impl Entry {
    /// The bytes the entry holds, as the bound counts them.
    fn weight(&self, key: &str) -> usize {
        let headers: usize = self
            .headers
            .iter()
            .map(|(k, v)| k.as_str().len() + v.len())
            .sum();
        key.len() + headers + self.body.len() + ENTRY_OVERHEAD
    }
}

struct Inner {
    /// The index generation the entries were computed on.
    generation: u64,
    entries: LruCache<String, (Arc<Entry>, usize)>,
    bytes: usize,
}

impl Inner {
    /// Drops every entry when `generation` is newer than the entries'; false when it is older
    /// (a request that took its snapshot before a rebuild: it neither reads nor stores).
    fn at(&mut self, generation: u64) -> bool {
        if generation > self.generation {
            self.entries.clear();
            self.bytes = 0;
            self.generation = generation;
        }
        generation == self.generation
    }
}

/// The cache, shared by every request.
pub(crate) struct Cache {
    max_bytes: usize,
    inner: Mutex<Inner>,
    /// The requests being computed now, by generation and key: a receiver that wakes when the
    /// computing request is done (its sender dropped).
    running: Mutex<HashMap<(u64, String), watch::Receiver<()>>>,
}

/// What a request that missed does.
enum Turn {
    /// Compute the answer; the others asking the same wait until this is dropped.
    Compute(Running),
    /// Another request computes it: wait for that one.
    Wait(watch::Receiver<()>),
}

/// A computation under way; dropping it (done, failed, or its request dropped) wakes the
/// requests waiting for it.
struct Running {
    cache: Arc<Cache>,
    id: (u64, String),
    _done: watch::Sender<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.cache.running().remove(&self.id);
    }
}

impl Cache {
    /// A cache of at most `max_bytes`; None when that is 0 (no cache).
    pub(crate) fn new(max_bytes: usize) -> Option<Cache> {
        (max_bytes > 0).then(|| Cache {
            max_bytes,
            inner: Mutex::new(Inner {
                generation: 0,
                entries: LruCache::unbounded(),
                bytes: 0,
            }),
            running: Mutex::new(HashMap::new()),
        })
    }

    fn running(&self) -> std::sync::MutexGuard<'_, HashMap<(u64, String), watch::Receiver<()>>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether this request computes `key`'s answer or waits for another one computing it.
    fn turn(self: &Arc<Self>, generation: u64, key: &str) -> Turn {
        let id = (generation, key.to_string());
        let mut running = self.running();
        if let Some(rx) = running.get(&id) {
            return Turn::Wait(rx.clone());
        }
        let (tx, rx) = watch::channel(());
        running.insert(id.clone(), rx);
        Turn::Compute(Running {
            cache: self.clone(),
            id,
            _done: tx,
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves a consistent map (every step below is a
        // whole insert or removal): keep using it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, generation: u64, key: &str) -> Option<Arc<Entry>> {
        let mut inner = self.lock();
        if !inner.at(generation) {
            return None;
        }
        inner.entries.get(key).map(|(e, _)| e.clone())
    }

    /// Keeps `entry`, evicting the least recently used entries until the bound holds; an
    /// entry larger than the whole bound is not kept.
    fn put(&self, generation: u64, key: String, entry: Entry) {
        let weight = entry.weight(&key);
        if weight > self.max_bytes {
            return;
        }
        let mut inner = self.lock();
        if !inner.at(generation) {
            return;
        }
        if let Some((_, old)) = inner.entries.put(key, (Arc::new(entry), weight)) {
            inner.bytes -= old;
        }
        inner.bytes += weight;
        while inner.bytes > self.max_bytes {
            match inner.entries.pop_lru() {
                Some((_, (_, w))) => inner.bytes -= w,
                None => break,
            }
        }
    }

    /// How many entries and bytes are kept (for tests).
    #[cfg(test)]
    fn size(&self) -> (usize, usize) {
        let inner = self.lock();
        (inner.entries.len(), inner.bytes)
    }
}

/// The canonical form of a request: its path and its decoded parameters sorted by name (a
/// stable sort: repeated values of one name keep their order, which `at=`/`repo=` lists
/// depend on), re-encoded. `?q=a&limit=5` and `?limit=5&q=a%20` differ only where the request
/// parser would see a difference.
pub(crate) fn key(path: &str, query: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = form_urlencoded::Serializer::new(format!("{path}?"));
    for (k, v) in &pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

/// The middleware around the query routes: answers from the cache, or runs the route and keeps
/// its answer when it is a `200 OK`.
pub(crate) async fn layer(State(app): State<App>, req: Request, next: Next) -> Response {
    let Some(cache) = app.cache.clone() else {
        return next.run(req).await;
    };
    let query = req.uri().query();
    // An oversized query string is refused by the route: do not hash it first.
    if query.is_some_and(|q| q.len() > MAX_QUERY_STRING) {
        return next.run(req).await;
    }
    let key = key(req.uri().path(), query);
    // The generation before the route takes its snapshot: the route reads this one or a newer
    // one, and an answer of a newer one stored under an older generation is never read (the
    // first request at the newer generation drops it).
    let generation = app.live.current().generation;
    if let Some(e) = cache.get(generation, &key) {
        return hit(&e);
    }
    let running = match cache.turn(generation, &key) {
        Turn::Compute(running) => Some(running),
        Turn::Wait(mut done) => {
            // Woken when the computing request is dropped (the sender never sends).
            let _ = done.changed().await;
            if let Some(e) = cache.get(generation, &key) {
                return hit(&e);
            }
            // Not kept (an error, a 503, too large, or abandoned): compute it here.
            None
        }
    };
    let r = next.run(req).await;
    let mut r = if r.status() == StatusCode::OK {
        let (mut parts, body) = r.into_parts();
        match axum::body::to_bytes(body, usize::MAX).await {
            Ok(bytes) => {
                parts.headers.remove(CACHE_HEADER);
                cache.put(
                    generation,
                    key,
                    Entry {
                        headers: parts.headers.clone(),
                        body: bytes.clone(),
                    },
                );
                drop(running);
                Response::from_parts(parts, Body::from(bytes))
            }
            Err(e) => {
                let mut r = Response::new(Body::from(format!("cannot read the answer: {e}")));
                *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                r
            }
        }
    } else {
        r
    };
    r.headers_mut()
        .insert(CACHE_HEADER, HeaderValue::from_static("miss"));
    r
}

/// The answer kept in `e`.
fn hit(e: &Entry) -> Response {
    let mut r = Response::new(Body::from(e.body.clone()));
    *r.headers_mut() = e.headers.clone();
    r.headers_mut()
        .insert(CACHE_HEADER, HeaderValue::from_static("hit"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(body: usize) -> Entry {
        Entry {
            headers: HeaderMap::new(),
            body: Bytes::from(vec![b'x'; body]),
        }
    }

    #[test]
    fn parameters_in_another_order_are_one_key_and_repeats_keep_their_order() {
        assert_eq!(
            key("/api/search", Some("q=a&limit=5")),
            key("/api/search", Some("limit=5&q=a"))
        );
        assert_eq!(key("/s", Some("q=a+b")), key("/s", Some("q=a%20b")));
        assert_ne!(key("/s", Some("at=x&at=y")), key("/s", Some("at=y&at=x")));
        assert_eq!(
            key("/s", Some("at=x&q=1&at=y")),
            key("/s", Some("q=1&at=x&at=y"))
        );
        assert_ne!(key("/a", Some("q=1")), key("/b", Some("q=1")));
        assert_ne!(key("/a", Some("q=1")), key("/a", Some("q=2")));
        // A value holding `&` or `=` cannot pose as two parameters.
        assert_ne!(
            key("/s", Some("q=a%26limit%3D5")),
            key("/s", Some("q=a&limit=5"))
        );
    }

    #[test]
    fn the_byte_bound_evicts_the_least_recently_used() {
        let w = entry(1000).weight("k0");
        let cache = Cache::new(3 * w).unwrap();
        for k in ["k0", "k1", "k2"] {
            cache.put(0, k.into(), entry(1000));
        }
        assert_eq!(cache.size(), (3, 3 * w));
        assert!(cache.get(0, "k0").is_some()); // k1 is now the least recently used
        cache.put(0, "k3".into(), entry(1000));
        assert_eq!(cache.size(), (3, 3 * w));
        assert!(cache.get(0, "k1").is_none());
        assert!(cache.get(0, "k0").is_some() && cache.get(0, "k3").is_some());
        // Larger than the whole bound: not kept, nothing evicted.
        cache.put(0, "big".into(), entry(4 * w));
        assert!(cache.get(0, "big").is_none());
        assert_eq!(cache.size().0, 3);
        assert!(Cache::new(0).is_none());
    }

    #[test]
    fn a_new_generation_drops_every_entry_and_an_old_one_neither_reads_nor_stores() {
        let cache = Cache::new(1 << 20).unwrap();
        cache.put(0, "a".into(), entry(10));
        assert!(cache.get(0, "a").is_some());
        assert!(cache.get(1, "a").is_none());
        assert_eq!(cache.size(), (0, 0));
        cache.put(0, "b".into(), entry(10));
        assert_eq!(cache.size(), (0, 0));
        cache.put(1, "b".into(), entry(10));
        assert!(cache.get(0, "b").is_none());
        assert!(cache.get(1, "b").is_some());
    }
}
