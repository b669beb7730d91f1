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
    /// How often to check whether the index was rebuilt, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 1_000, hide = true)]
    pub poll_ms: u64,
}

pub(super) fn run(ctx: &Context, a: ServeArgs) -> Result<Found> {
    let cfg = ServeConfig {
        addr: a.addr,
        index_dir: ctx.index_dir.clone(),
        timeout: Duration::from_millis(a.timeout_ms),
        poll: Duration::from_millis(a.poll_ms.max(10)),
        open: a.open,
        header_timeout: Duration::from_millis(a.header_timeout_ms.max(1)),
        max_connections: a.max_connections,
    };
    crate::serve::serve(cfg, ctx.rules(&[])?)?;
    Ok(Found::Yes)
}
