//! `archeo deps` and `archeo affected`.

use anyhow::{Result, bail};
use clap::Args;

use super::{Context, Format, Found};
use crate::deps::Repos;
use crate::query::deps::Target;
use crate::query::syntax::Query;

/// Flags of `archeo deps` (and of deps blocks in documents).
#[derive(Args, Debug, Clone)]
pub struct DepsArgs {
    /// The release, REPO@REV.
    #[arg(required_unless_present = "find", conflicts_with = "find")]
    pub at: Option<String>,
    /// Across releases instead: which version of this pinned repository (or `provides` alias)
    /// every release of the consumers names, one line per release in version order, with the
    /// lines naming it.
    #[arg(long, value_name = "REPO")]
    pub find: Option<String>,
    /// With --find: only these consumers' releases; repeatable (default: every other pinned
    /// repository that names it in some release).
    #[arg(long = "repo", value_name = "NAME", requires = "find")]
    pub repo: Vec<String>,
    /// Follow edges into the pinned revisions they name, this many hops.
    #[arg(long, value_name = "N", default_value_t = 1, conflicts_with = "find")]
    pub depth: usize,
    /// Also list the release's own modules (self-requires), nested modules no pin follows,
    /// and edges that point at no pinned repository (every module, image, package).
    #[arg(long)]
    pub all: bool,
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

/// Flags of `archeo affected` (and of affected blocks in documents).
#[derive(Args, Debug, Clone)]
pub struct AffectedArgs {
    /// A search query: the lines a component must hold (e.g. 'rule:ID sym:NAME').
    #[arg(required_unless_present = "rule", conflicts_with = "rule")]
    pub query: Option<String>,
    /// A rule: its findings are what a component must hold; repeatable.
    #[arg(long = "rule", value_name = "ID")]
    pub rule: Vec<String>,
    /// Only these consumers' releases; repeatable (default: every pinned repository).
    #[arg(long = "repo", value_name = "NAME")]
    pub repo: Vec<String>,
    /// Per consumer, only the first release (in version order) that ships a component version
    /// carrying it, and the release before; later releases without it are named.
    #[arg(long)]
    pub first: bool,
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

impl AffectedArgs {
    /// What to look for, and how to say it.
    pub fn target(&self) -> Result<(Target, String)> {
        Ok(match &self.query {
            Some(q) => (Target::Search(Query::parse(q)?), format!("search {q}")),
            None => (
                Target::Rules(self.rule.clone()),
                format!("rule {}", self.rule.join(", ")),
            ),
        })
    }
}

/// The pinned repositories with the manifest's aliases.
pub(super) fn repos(ctx: &Context) -> Result<Repos> {
    let lock = ctx.lock()?;
    Ok(match ctx.manifest() {
        Ok(m) => Repos::from_lock(&lock, &m),
        Err(_) => Repos::from_lock(&lock, &crate::source::manifest::Manifest::default()),
    })
}

pub(super) fn run(ctx: &Context, a: DepsArgs) -> Result<Found> {
    let index = ctx.index()?;
    let repos = repos(ctx)?;
    if let Some(name) = &a.find {
        let r = crate::query::deps::find(&index, &repos, name, &a.repo, a.all)?;
        crate::report::print(&r, a.format, ctx.ui.color_choice())?;
        return Ok(Found::from(
            r.releases.iter().any(|c| !c.versions.is_empty()),
        ));
    }
    let at = a.at.as_deref().unwrap_or_default();
    let r = crate::query::deps::deps(&index, at, &repos, a.depth, a.all)?;
    crate::report::print(&r, a.format, ctx.ui.color_choice())?;
    Ok(Found::from(r.revs.iter().any(|r| !r.edges.is_empty())))
}

pub(super) fn run_affected(ctx: &Context, a: AffectedArgs) -> Result<Found> {
    let index = ctx.index_for_rules(&a.rule)?;
    let (target, asked) = a.target()?;
    if let Target::Search(q) = &target {
        crate::query::search::check_rule_filters(&index, q)?;
        ctx.warn_unknown_symbols(&index, q)?;
    }
    for r in &a.repo {
        if index.revisions().iter().all(|x| &x.repo != r) {
            bail!("unknown repository {r:?}: see `archeo pins`");
        }
    }
    let r = crate::query::deps::affected(&index, &repos(ctx)?, &target, &asked, &a.repo, a.first)?;
    crate::report::print(&r, a.format, ctx.ui.color_choice())?;
    // Something to say about some consumer release (with --first, its summary).
    Ok(Found::from(
        !r.rows.is_empty() || r.first.as_ref().is_some_and(|f| !f.is_empty()),
    ))
}
