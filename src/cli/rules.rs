//! `archeo rules list|test|tree`.

use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};

use super::{Context, Format, Found};

/// The `rules` subcommands.
#[derive(Subcommand, Debug)]
pub enum RulesCommand {
    /// List the loaded rules: id, title, and where each came from (built-in or a directory)
    ///
    /// Examples:
    ///   archeo rules list
    ///   archeo rules list --rules my-rules --format json
    #[command(verbatim_doc_comment)]
    List(RulesListArgs),
    /// Run every rule on its test cases
    ///
    /// Each file under tests/rules/ID/valid (or tests/ID/valid beside a rule directory) must
    /// produce a finding, and the facts an `// expect: NAME = A, B` line names; each file under
    /// invalid must produce none.
    ///
    /// Examples:
    ///   archeo rules test
    ///   archeo rules test --rules my-rules
    #[command(verbatim_doc_comment)]
    Test(RulesArgs),
    /// Print the tree-sitter syntax tree of a Go file (what rule queries match against)
    ///
    /// Examples:
    ///   archeo rules tree handler.go
    #[command(verbatim_doc_comment)]
    Tree {
        /// The Go file.
        file: PathBuf,
    },
}

/// Flags of `rules test`.
#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Extra rule directories, on top of the built-in rules, queries/ and `[rules]` paths (a
    /// rule with an id already loaded overrides it).
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
}

/// Flags of `rules list`.
#[derive(Args, Debug)]
pub struct RulesListArgs {
    /// Extra rule directories.
    #[command(flatten)]
    pub dirs: RulesArgs,
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

pub(super) fn run(ctx: &Context, c: RulesCommand) -> Result<Found> {
    match c {
        RulesCommand::List(a) => {
            let rules = crate::report::tables::RuleList(ctx.rules(&a.dirs.rules)?);
            crate::report::print(&rules, a.format, ctx.ui.color_choice())?;
            Ok(Found::from(!rules.0.rules.is_empty()))
        }
        RulesCommand::Test(a) => {
            let rules = ctx.rules(&a.rules)?;
            let report = crate::rules::test_all(&rules)?;
            let failed = crate::report::tables::rules_test(&mut std::io::stdout().lock(), &report)?;
            if failed > 0 {
                bail!("{failed} rule(s) failed their tests");
            }
            Ok(Found::Yes)
        }
        RulesCommand::Tree { file } => {
            let src = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            crate::rules::print_file_tree(&mut std::io::stdout().lock(), &file, &src)?;
            Ok(Found::Yes)
        }
    }
}
