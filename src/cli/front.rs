//! The start path of the query commands: two binaries, one command line.
//!
//! `archeo` (src/main.rs) is small: it parses the whole command line (so `--help`, `--version`
//! and usage errors are its own), runs `search` itself (but for queries naming rules, which read
//! the findings store, tantivy), and hands every other command to
//! `archeo-full` (src/bin/archeo-full.rs), the binary holding all of archeo, installed beside
//! it: on Unix by `exec` (same process, same pid, standard streams and exit code), elsewhere
//! as a child whose exit code it returns.
//!
//! Why: a position-independent executable starts in time that grows with the pointers it
//! holds (the dynamic loader rewrites each one, and every page of them is copied on write
//! before `main`). The whole of archeo (gix, tree-sitter and its grammars, tantivy, the HTTP
//! server) holds some 59,000; `search`'s own code a fraction of that, and a search's answer
//! often takes less time than that start (docs/development.md, "Figures").
//!
//! The two must come from one build: `archeo` passes its build digest (build.rs,
//! `ARCHEO_BUILD_ID`) as a first argument only it writes, and `archeo-full` refuses to run for
//! an `archeo` of another build (a `cargo build --bin archeo` after a change, a copy of one of
//! the two) instead of answering from other code than the user's. `cargo run` runs
//! `archeo-full` (Cargo.toml's `default-run`), which needs no `archeo`.

use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::{Context as _, Result, bail};
use clap::Parser;

use super::{Cli, Command, Context, finish, search};

/// The binary holding every command, beside `archeo`.
pub const FULL_NAME: &str = "archeo-full";

/// The digest of the sources this binary was built from (build.rs).
pub const BUILD_ID: &str = env!("ARCHEO_BUILD_ID");

/// The first argument `archeo` gives `archeo-full`: `--archeo-front-build=<BUILD_ID>`.
pub const FROM_FRONT: &str = "--archeo-front-build=";

/// The command line of `archeo search` alone: the global flags and `search`'s, as in [`Cli`].
/// clap builds every command's flags before it parses, which costs a search more than its own
/// set-up; a line this parser takes is a search whatever the whole parser would make of it
/// (same global flags, the one subcommand named), and anything else (`--help`, another
/// command, a mistake) goes to the whole parser, whose messages the user sees.
#[derive(Parser, Debug)]
#[command(name = "archeo")]
struct SearchLine {
    #[command(flatten)]
    global: super::GlobalArgs,
    #[command(subcommand)]
    command: SearchOnly,
}

#[derive(clap::Subcommand, Debug)]
enum SearchOnly {
    Search(search::SearchArgs),
}

/// `archeo`'s `main`: runs `search` here, every other command in `archeo-full`; returns the
/// exit code.
pub fn main() -> i32 {
    let args: Vec<OsString> = std::env::args_os().collect();
    let (global, a) = match SearchLine::try_parse_from(&args) {
        Ok(SearchLine {
            global,
            command: SearchOnly::Search(a),
        }) => (global, Some(a)),
        Err(_) => match Cli::try_parse_from(&args) {
            Ok(Cli {
                global,
                command: Command::Search(a),
            }) => (global, Some(a)),
            Ok(cli) => (cli.global, None),
            Err(e) => return super::usage_error(e),
        },
    };
    if let Some(a) = a {
        let ctx = match Context::new(&global) {
            Ok(ctx) => ctx,
            Err(e) => return finish(Err(e)),
        };
        if let Some(r) = search::run_front(&ctx, a) {
            return finish(r);
        }
    }
    match full_binary() {
        Ok(full) => hand_over(&full, &args),
        Err(e) => finish(Err(e)),
    }
}

/// `archeo-full`'s `main`: every command; refuses to run for an `archeo` of another build.
pub fn main_full() -> i32 {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    let from_front = args
        .get(1)
        .and_then(|a| a.to_str())
        .and_then(|a| a.strip_prefix(FROM_FRONT));
    if let Some(id) = from_front {
        if id != BUILD_ID {
            let me = std::env::current_exe().unwrap_or_else(|_| PathBuf::from(FULL_NAME));
            return finish(Err(anyhow::anyhow!(
                "{} comes from another build than the archeo that started it (build {id}, this one {BUILD_ID}): \
                 build both binaries together (`cargo build --release`) or install both (`cargo install --path .`)",
                me.display()
            )));
        }
        args.remove(1);
    }
    match Cli::try_parse_from(&args) {
        Ok(cli) => finish(super::run(cli)),
        Err(e) => super::usage_error(e),
    }
}

/// `archeo-full` beside this executable, or why it cannot be used.
fn full_binary() -> Result<PathBuf> {
    let me = std::env::current_exe()
        .context("cannot tell where archeo is installed, so cannot find archeo-full beside it")?;
    let full = me.with_file_name(format!("{FULL_NAME}{}", std::env::consts::EXE_SUFFIX));
    if !full.is_file() {
        bail!(
            "{} is missing: archeo runs `search` itself and every other command in {FULL_NAME}, \
             which belongs beside it: build both (`cargo build --release`) or install both \
             (`cargo install --path .`)",
            full.display()
        );
    }
    Ok(full)
}

/// Runs `full` with this process's arguments, the build digest first.
fn hand_over(full: &std::path::Path, args: &[OsString]) -> i32 {
    let mut cmd = std::process::Command::new(full);
    cmd.arg(format!("{FROM_FRONT}{BUILD_ID}"))
        .args(args.get(1..).unwrap_or_default());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        if let Some(arg0) = args.first() {
            cmd.arg0(arg0);
        }
        // Returns only when the exec failed.
        let e = cmd.exec();
        finish(Err(
            anyhow::Error::new(e).context(format!("cannot start {}", full.display()))
        ))
    }
    #[cfg(not(unix))]
    match cmd.status() {
        Ok(s) => s.code().unwrap_or(2),
        Err(e) => finish(Err(
            anyhow::Error::new(e).context(format!("cannot start {}", full.display()))
        )),
    }
}
