//! `archeo search`: parses the query and flags, runs the search, hands the result to a printer.

use anyhow::{Result, bail};
use clap::Args;

use super::{Context, Format, Found, ScopeArgs};
use crate::query::search::Options;
use crate::query::syntax::Query;
use crate::report::search::FileList;

/// Flags of `archeo search`.
#[derive(Args, Debug)]
pub struct SearchArgs {
    /// The query (see above for the syntax).
    pub query: String,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Show at most N hits (the summary still counts every hit). Only the best N by rank are
    /// kept while scanning, and never more than 50,000: an answer cut by that bound says so.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Show N lines of context around each hit.
    #[arg(short = 'C', long = "context", value_name = "N", default_value_t = 0)]
    pub context: usize,
    /// List only the file versions with hits, one `repo@rev path` per line, best first.
    #[arg(short = 'l', long = "files-with-matches", conflicts_with = "count")]
    pub files: bool,
    /// List the file versions with hits and how many each holds: `repo@rev path:N`.
    #[arg(short = 'c', long = "count")]
    pub count: bool,
    /// Output format: text, json (JSON Lines, one object per hit) or md (a Markdown table).
    #[arg(long, default_value = "text")]
    pub format: Format,
}

pub(super) fn run(ctx: &Context, a: SearchArgs) -> Result<Found> {
    let q = Query::parse(&a.query)?;
    run_query(ctx, a, q, Options::default())
}

/// The search of the `archeo` binary (src/cli/front.rs), which has no findings store: `None`
/// when the query names rules (`rule:`), which `archeo-full` answers.
pub(super) fn run_front(ctx: &Context, a: SearchArgs) -> Option<Result<Found>> {
    match Query::parse(&a.query) {
        Ok(q) if q.names_rules() => None,
        Ok(q) => Some(run_query(ctx, a, q, Options::without_findings())),
        Err(e) => Some(Err(e.into())),
    }
}

fn run_query(ctx: &Context, a: SearchArgs, q: Query, base: Options) -> Result<Found> {
    let list = match (a.files, a.count) {
        (true, _) => Some(FileList::Names),
        (_, true) => Some(FileList::Counts),
        _ => None,
    };
    if list.is_some() && a.format != Format::Text {
        bail!("-l and -c list file versions as text; --format json and md print every hit");
    }
    let index = ctx.index()?;
    ctx.warn_unknown_symbols(&index, &q)?;
    let opts = Options {
        context: a.context,
        limit: if list.is_some() { Some(0) } else { a.limit },
        files: list.is_some(),
        ..base
    };
    let r = crate::query::search::search_with(&index, &q, &a.scope.scope(), opts)?;
    if let Some(note) = crate::report::search::truncation_note(&r) {
        ctx.ui.warn(note);
    }
    match list {
        Some(how) => {
            let mut out = crate::report::TermSafe::stdout(ctx.ui.color_choice());
            crate::report::search::files_text(&mut out, &r, how)?;
            std::io::Write::flush(&mut out)?;
        }
        None => crate::report::print(&r, a.format, ctx.ui.color_choice())?,
    }
    let found = Found::from(r.total > 0);
    // The process exits next: its mappings and heap go with it, at once and with no other
    // thread to tell, which unmapping and freeing them one by one here would do.
    std::mem::forget(r);
    std::mem::forget(index);
    Ok(found)
}
