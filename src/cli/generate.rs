//! `archeo completions SHELL` and `archeo man`: shell completion scripts and man pages generated
//! from the clap definitions, so they never drift from `--help`. Reads no project.

use std::path::PathBuf;

use anyhow::{Context as _, Result};
use clap::{Args, CommandFactory};

use super::{Cli, Found};

/// Flags of `archeo completions`.
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to write a completion script for.
    #[arg(value_name = "SHELL")]
    pub shell: clap_complete::Shell,
}

/// Flags of `archeo man`.
#[derive(Args, Debug)]
pub struct ManArgs {
    /// Write archeo.1 and one page per command (archeo-search.1, ...) into this directory
    /// instead of printing archeo.1.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

/// The clap command as the completions and man pages describe it.
pub fn command() -> clap::Command {
    Cli::command()
}

pub(super) fn completions(a: CompletionsArgs) -> Result<Found> {
    let mut cmd = command();
    clap_complete::generate(a.shell, &mut cmd, "archeo", &mut std::io::stdout().lock());
    Ok(Found::Yes)
}

pub(super) fn man(a: ManArgs) -> Result<Found> {
    let cmd = command();
    match a.dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            let mut cmd = cmd.disable_help_subcommand(true);
            cmd.build();
            write_pages(&cmd, &dir)?;
        }
        None => clap_mangen::Man::new(cmd).render(&mut std::io::stdout().lock())?,
    }
    Ok(Found::Yes)
}

/// One page per (sub)command, each written atomically (clap_mangen's own `generate_to`
/// writes in place).
fn write_pages(cmd: &clap::Command, dir: &std::path::Path) -> Result<()> {
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        write_pages(sub, dir)?;
    }
    let man = clap_mangen::Man::new(cmd.clone());
    let mut page = Vec::new();
    man.render(&mut page)?;
    crate::atomic::write(&dir.join(man.get_filename()), &page)
}
