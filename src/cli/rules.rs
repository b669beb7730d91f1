//! `archeo rules list|test|tree`.

use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};

use super::{Context, Found};

/// The `rules` subcommands.
#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// List the loaded rules: id, title, file.
    List(RulesArgs),
    /// Run every rule on its test cases: each file under tests/rules/ID/valid must produce a
    /// finding (and the facts an `// expect: NAME = A, B` line names); each under invalid none.
    Test(RulesArgs),
    /// Print the tree-sitter syntax tree of a Go file (what rule queries match against).
    Tree {
        /// The Go file.
        file: PathBuf,
    },
}

/// Flags shared by `rules list` and `rules test`.
#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Extra rule directories, on top of queries/ and [rules] paths.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
}

pub(super) fn run(ctx: &Context, c: RulesCommand) -> Result<Found> {
    let mut out = std::io::stdout().lock();
    match c {
        RulesCommand::List(a) => {
            let rules = ctx.rules(&a.rules)?;
            crate::report::tables::rules_list(&mut out, &rules)?;
            Ok(Found::from(!rules.rules.is_empty()))
        }
        RulesCommand::Test(a) => {
            let rules = ctx.rules(&a.rules)?;
            let report = crate::rules::test_all(&rules)?;
            let failed = crate::report::tables::rules_test(&mut out, &report)?;
            if failed > 0 {
                bail!("{failed} rule(s) failed their tests");
            }
            Ok(Found::Yes)
        }
        RulesCommand::Tree { file } => {
            let src = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            crate::rules::print_file_tree(&mut out, &file, &src)?;
            Ok(Found::Yes)
        }
    }
}
