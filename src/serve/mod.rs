//! `archeo serve`: the index in a browser. Server-rendered pages (search, file at a pinned
//! revision, rules with timeline charts, findings, diff, explain) and a JSON API under `/api/`
//! that answers with the report stage's JSON printers, byte for byte what `--format json`
//! prints. Read-only: no route writes anything. Queries run through the query stages only
//! (`requests`), on one shared [`Index`](crate::index::Index) swapped when the index is
//! rebuilt (`live`), each under a time limit (`exec`), their answers kept per index generation
//! in a bounded cache (`cache`).
//!
//! Must not: touch tantivy or git, shape JSON of its own (beyond error objects), or write to the
//! index directory.

mod api;
mod cache;
mod error;
mod exec;
pub mod front;
mod links;
mod live;
mod pages;
mod params;
mod requests;
mod routes;
mod svg;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use axum::routing::get;

use crate::rules::RuleSet;
use live::LiveIndex;
use requests::{DiffRequest, ExplainRequest, FindingsRequest, SearchRequest, TimelineRequest};

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Where to listen.
    pub addr: SocketAddr,
    /// The index directory, or the shards of one lock served as one index.
    pub index_dirs: Vec<PathBuf>,
    /// Each query's time limit.
    pub timeout: Duration,
    /// How often to check whether the index was rebuilt.
    pub poll: Duration,
    /// Open the served URL in a browser.
    pub open: bool,
    /// How long a connection may take to send a request's head, and stay idle between
    /// requests.
    pub header_timeout: Duration,
    /// At most this many connections at once (`None`: from the descriptor limit).
    pub max_connections: Option<usize>,
    /// The response cache's bound in bytes (0: no cache).
    pub cache_bytes: usize,
}

/// The connection cap when none is given: half the descriptors the process may open (the rest
/// are the index's files, the blocking pool's and the listener's), at most this many.
const MAX_CONNECTIONS: usize = 1024;

/// How many connections to serve at once: `asked`, or half the descriptor limit.
pub(super) fn connection_cap(asked: Option<usize>) -> usize {
    if let Some(n) = asked {
        return n.max(1);
    }
    #[cfg(unix)]
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .map_or(MAX_CONNECTIONS, |n| {
            usize::try_from(n / 2).unwrap_or(MAX_CONNECTIONS)
        });
    #[cfg(not(unix))]
    let limit = MAX_CONNECTIONS;
    limit.clamp(1, MAX_CONNECTIONS)
}

/// What every handler shares.
#[derive(Clone)]
pub(crate) struct App {
    live: Arc<LiveIndex>,
    rules: Arc<RuleSet>,
    exec: exec::Exec,
    cache: Option<Arc<cache::Cache>>,
}

/// `--cache-mb N` in bytes (MiB).
pub fn cache_bytes(mb: usize) -> usize {
    mb.saturating_mul(1 << 20)
}

/// Serves until interrupted (Ctrl-C or SIGTERM). Prints the URL first, on its own line, so
/// scripts (and the tests) can read the port of `--addr 127.0.0.1:0`.
pub fn serve(cfg: ServeConfig, rules: RuleSet) -> Result<()> {
    let live = Arc::new(LiveIndex::open(&cfg.index_dirs)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the server's runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(cfg.addr)
            .await
            .with_context(|| format!("cannot listen on {}: is another server using it? pick another --addr", cfg.addr))?;
        let addr = listener.local_addr()?;
        let url = format!("http://{addr}/");
        let revisions = live.current().index.revisions().len();
        println!("{url}");
        crate::say!(
            "archeo serve: {url} ({revisions} revisions from {}; read-only; Ctrl-C stops)",
            cfg.index_dirs
                .iter()
                .map(|d| d.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        if !addr.ip().is_loopback() {
            crate::say!("archeo serve: listening on {addr}, not only this machine: anyone who can reach it can read the index");
        }
        if cfg.open {
            open_browser(&url);
        }
        tokio::spawn(live.clone().watch(cfg.poll));
        let cap = connection_cap(cfg.max_connections);
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let app = App {
            live,
            rules: Arc::new(rules),
            exec: exec::Exec::new(cores * 4, cores * 2, cfg.timeout),
            cache: cache::Cache::new(cfg.cache_bytes).map(Arc::new),
        };
        connections(listener, router(app), cfg.header_timeout, cap, stopped()).await;
        Ok(())
    })
}

/// Serves HTTP/1.1 connections until `stop` resolves, at most `cap` at once: at the cap, new
/// connections wait in the kernel's backlog until one closes. A connection that does not send a
/// request's whole head within `header_timeout` (a slow or half-sent request, or a kept-alive
/// connection idle that long) is closed by hyper, so idle clients cannot hold every slot. Open
/// connections finish their requests (up to 5 s) after `stop`.
pub(super) async fn connections(
    listener: tokio::net::TcpListener,
    router: Router,
    header_timeout: Duration,
    cap: usize,
    stop: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(header_timeout);
    let slots = Arc::new(tokio::sync::Semaphore::new(cap));
    let (closing, closed) = tokio::sync::watch::channel(false);
    let mut stop = std::pin::pin!(stop);
    loop {
        let slot = tokio::select! {
            s = slots.clone().acquire_owned() => s.expect("the semaphore is never closed"),
            _ = &mut stop => break,
        };
        let tcp = tokio::select! {
            r = listener.accept() => match r {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    // Out of descriptors (or a connection reset before it was accepted): the
                    // next accept may succeed once a connection closes.
                    eprintln!("archeo serve: cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut stop => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let conn = http.serve_connection(TokioIo::new(tcp), service);
        let mut closed = closed.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = closed.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    let _ = closing.send(true);
    let all = u32::try_from(cap).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(5), slots.acquire_many(all)).await;
}

/// Every route; the query routes (every one but `/api/shard` and the 404) through the response
/// cache.
fn router(app: App) -> Router {
    Router::new()
        .route("/", get(routes::search))
        .route("/search", get(routes::search))
        .route("/file/{repo}/{rev}/{*path}", get(routes::file))
        .route("/rules", get(routes::rules))
        .route("/rules/{id}", get(routes::rule))
        .route("/findings", get(routes::findings))
        .route("/timeline", get(routes::timeline))
        .route("/at/{repo}/{rev}", get(routes::cell))
        .route("/diff", get(routes::diff_page))
        .route("/explain", get(routes::explain_page))
        .route("/api/search", get(api::answer::<SearchRequest>))
        .route("/api/findings", get(api::answer::<FindingsRequest>))
        .route("/api/diff", get(api::answer::<DiffRequest>))
        .route("/api/timeline", get(api::answer::<TimelineRequest>))
        .route("/api/explain", get(api::answer::<ExplainRequest>))
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            cache::layer,
        ))
        .route("/api/shard", get(api::shard))
        .fallback(routes::not_found)
        .layer(axum::middleware::map_response(secure))
        .with_state(app)
}

/// Headers every answer carries: nothing but inline styles may load, no script runs, no page
/// can frame this one, and clicking a permalink does not tell upstream which local URL it
/// came from.
async fn secure(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    r
}

/// Resolves on Ctrl-C or SIGTERM.
async fn stopped() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Opens `url` with the desktop's opener; says what to do when there is none (never fails).
fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(windows) {
        "explorer"
    } else {
        "xdg-open"
    };
    let spawned = std::process::Command::new(opener)
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    if spawned.is_err() {
        crate::say!("archeo serve: no browser opener ({opener}) here: open {url} in a browser");
    }
}
