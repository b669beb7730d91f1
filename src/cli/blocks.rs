//! The arguments of `<!-- archeo:begin ARGS -->` markers, parsed with the same definitions as
//! the commands they name (`evidence` when they name none).

use anyhow::{Result, anyhow, bail};
use clap::{Parser, Subcommand};

use super::deps::{AffectedArgs, DepsArgs};
use super::diff::DiffArgs;
use super::evidence::EvidenceArgs;
use super::explain::ExplainArgs;
use super::identify::IdentifyArgs;
use super::timeline::TimelineArgs;
use super::xref::{CallersArgs, NameArgs, PathArgs};
use crate::query::xref::{Ask, parse_name};
use crate::report::export::BlockRequest;

/// What an archeo:begin marker may run.
#[derive(Parser, Debug)]
#[command(name = "archeo:begin", no_binary_name = true)]
struct BlockCli {
    #[command(subcommand)]
    cmd: BlockCommand,
}

#[derive(Subcommand, Debug)]
enum BlockCommand {
    Evidence(EvidenceArgs),
    Diff(DiffArgs),
    Timeline(TimelineArgs),
    Explain(ExplainArgs),
    Identify(IdentifyArgs),
    Deps(DepsArgs),
    Affected(AffectedArgs),
    Refs(NameArgs),
    Callers(CallersArgs),
    Path(PathArgs),
}

fn parse(args: &[String]) -> Result<BlockCommand> {
    let mut words = args.to_vec();
    if !matches!(
        words.first().map(String::as_str),
        Some(
            "evidence"
                | "diff"
                | "timeline"
                | "explain"
                | "identify"
                | "deps"
                | "affected"
                | "refs"
                | "callers"
                | "path"
        )
    ) {
        words.insert(0, "evidence".into());
    }
    let cli = BlockCli::try_parse_from(&words).map_err(|e| {
        anyhow!(
            "bad archeo:begin arguments: {}",
            e.to_string().lines().next().unwrap_or("")
        )
    })?;
    Ok(cli.cmd)
}

/// Checks that archeo:begin arguments parse, as `archeo export` would run them.
pub fn check_block_args(args: &[String]) -> Result<()> {
    let args = match args.split_first() {
        Some((first, rest)) if first == crate::report::export::FULL => rest,
        _ => args,
    };
    block_request(args).map(|_| ())
}

/// A block's request.
pub(super) fn block_request(args: &[String]) -> Result<BlockRequest> {
    Ok(match parse(args)? {
        BlockCommand::Evidence(e) => BlockRequest::Evidence(e.request()),
        BlockCommand::Diff(d) => BlockRequest::Diff {
            search: d.search()?,
            scope: d.scope(),
            a: d.a,
            b: d.b,
            rules: d.rule,
        },
        BlockCommand::Timeline(t) => BlockRequest::Timeline {
            search: t.search()?,
            rules: t.rule,
            repos: t.repo,
        },
        BlockCommand::Identify(i) => BlockRequest::Identify(i.request()),
        BlockCommand::Deps(d) => match (d.find, d.at) {
            (Some(name), _) => BlockRequest::DepsFind {
                name,
                repos: d.repo,
                all: d.all,
            },
            (None, Some(at)) => BlockRequest::Deps {
                at,
                depth: d.depth,
                all: d.all,
            },
            (None, None) => bail!("a deps block needs REPO@REV or --find REPO"),
        },
        BlockCommand::Affected(a) => {
            let (target, asked) = a.target()?;
            BlockRequest::Affected {
                target,
                asked,
                rules: a.rule,
                repos: a.repo,
                first: a.first,
            }
        }
        BlockCommand::Refs(r) => BlockRequest::Xref {
            ask: Ask::Refs,
            name: parse_name(&r.name)?,
            at: r.revs.at,
            repos: r.revs.repo,
        },
        BlockCommand::Callers(c) => BlockRequest::Xref {
            ask: Ask::Callers { depth: c.depth },
            name: parse_name(&c.name)?,
            at: c.revs.at,
            repos: c.revs.repo,
        },
        BlockCommand::Path(p) => BlockRequest::Path {
            from: parse_name(&p.from)?,
            to: parse_name(&p.to)?,
            at: p.revs.at,
            repos: p.revs.repo,
            max: p.max,
        },
        BlockCommand::Explain(x) => match x.message.filter(|m| m != "-" && !m.trim().is_empty()) {
            Some(message) => BlockRequest::Explain {
                message,
                at: x.revs.at,
                repos: x.revs.repo,
            },
            None => bail!(
                "an explain block needs its message as an argument (blocks never read standard input)"
            ),
        },
    })
}
