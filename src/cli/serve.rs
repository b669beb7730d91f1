//! `archeo serve`.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Result;
use clap::Args;

use super::{Context, Found};
use crate::serve::ServeConfig;

/// Flags of `archeo serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Where to listen. The default serves this machine only; another address serves anyone
    /// who can reach it (read-only, without authentication). Port 0 picks a free port.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:7878")]
    pub addr: SocketAddr,
    /// Open the page in a browser (xdg-open / open); without one, the URL is printed.
    #[arg(long)]
    pub open: bool,
    /// Each query's time limit in milliseconds; a query over it is answered 503.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub timeout_ms: u64,
    /// How long a client may take to send a request's head, and stay idle between requests on
    /// a kept-alive connection, in milliseconds; then the connection is closed.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    pub header_timeout_ms: u64,
    /// Serve at most N connections at once; more wait to be accepted until one closes.
    /// Default: half the process's descriptor limit (`ulimit -n`), at most 1024.
    #[arg(long, value_name = "N")]
    pub max_connections: Option<usize>,
    /// Serve as a front end over shard servers instead of an index: each URL an `archeo
    /// serve` of one shard (built with `archeo index --shard K/N`). /api/search and
    /// /api/findings are asked of every shard and merged in one index's order; /api/diff,
    /// /api/timeline and /api/explain go to the shard holding what they name. Each answer
    /// ends with a `shards` record naming the shards that did not answer (`"partial": true`).
    ///
    ///   archeo serve --addr 127.0.0.1:7800 --shard http://127.0.0.1:7801 --shard http://127.0.0.1:7802
    #[arg(long = "shard", value_name = "URL", verbatim_doc_comment)]
    pub shards: Vec<String>,
    /// With --shard: how long each shard server has to answer, in milliseconds; a shard past
    /// it is listed as missing and the answer marked partial.
    #[arg(long, value_name = "MS", default_value_t = 5_000, requires = "shards")]
    pub shard_timeout_ms: u64,
    /// Keep query answers (pages and /api/) in a response cache of at most N MiB, least
    /// recently used evicted first; 0 disables it. An answer is kept per index generation: a
    /// rebuilt index drops every entry. Errors and 503s are never kept. Identical requests
    /// arriving together run one query. Each cached route's
    /// answer says `X-Archeo-Cache: hit` or `miss`.
    ///
    ///   archeo serve --cache-mb 256     # a larger cache for a busy server
    ///   archeo serve --cache-mb 0       # every request runs its query
    #[arg(long, value_name = "N", default_value_t = 64, verbatim_doc_comment)]
    pub cache_mb: usize,
    /// How often to check whether the index was rebuilt, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1_000, hide = true)]
    pub poll_ms: u64,
}

pub(super) fn run(ctx: &Context, a: ServeArgs) -> Result<Found> {
    if !a.shards.is_empty() {
        crate::serve::front::serve(crate::serve::front::FrontConfig {
            addr: a.addr,
            shards: a.shards,
            timeout: Duration::from_millis(a.shard_timeout_ms),
            header_timeout: Duration::from_millis(a.header_timeout_ms.max(1)),
            max_connections: a.max_connections,
        })?;
        return Ok(Found::Yes);
    }
    let cfg = ServeConfig {
        addr: a.addr,
        index_dirs: ctx.index_dirs.clone(),
        timeout: Duration::from_millis(a.timeout_ms),
        poll: Duration::from_millis(a.poll_ms.max(10)),
        open: a.open,
        header_timeout: Duration::from_millis(a.header_timeout_ms.max(1)),
        max_connections: a.max_connections,
        cache_bytes: crate::serve::cache_bytes(a.cache_mb),
    };
    crate::serve::serve(cfg, ctx.rules(&[])?)?;
    Ok(Found::Yes)
}
