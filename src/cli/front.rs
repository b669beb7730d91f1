//! The start path of the query commands: two binaries, one command line.
//!
//! `archeo` (src/main.rs) is small: it parses the command line (the plainest search lines by
//! hand, `quick_search_line`; everything else with clap, so `--help`, `--version` and usage
//! errors are its own), runs `search` itself (but for queries naming rules, which read
//! the findings store, tantivy), and hands every other command to
//! `archeo-full` (src/bin/archeo-full.rs), the binary holding all of archeo, installed beside
//! it: on Unix by `exec` (same process, same pid, standard streams and exit code), elsewhere
//! as a child whose exit code it returns.
//!
//! Why: a position-independent executable starts in time that grows with the pointers it
//! holds (the dynamic loader rewrites each one, and every page of them is copied on write
//! before `main`; on Linux `archeo` is linked position-dependent, build.rs). The whole of
//! archeo (gix, tree-sitter and its grammars, tantivy, the HTTP server) holds some 59,000;
//! `search`'s own code a fraction of that, and a search's answer often takes less time than
//! that start (docs/development.md, "Figures").
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

/// The plainest `archeo search` lines, read without clap: one query that does not start with
/// `-`, then `--repo`, `--at`, `--index-dir` (repeatable), `--limit`, `--format`, `--path`,
/// `--lang`, `-C`/`--context` (once each; a value after a space or `=`, never one starting with
/// `-`), `--no-vendor`, `-l`, `-c`, `-q` (once each). Building clap's parser costs a search
/// more than its own set-up (~0.2 ms of a 2 ms answer), so the common lines skip it; anything
/// else (another flag, a repeat, `-l` with `-c`, a value that does not parse, a non-UTF-8
/// argument, an empty ARCHEO_* variable) is `None` and goes to clap, which says what is
/// wrong. What it returns is what clap makes of the same line and environment (`env`: a
/// variable's value): tested against clap (`quick_lines_parse_as_clap_parses_them`).
fn quick_search_line(
    args: &[OsString],
    env: impl Fn(&str) -> Option<OsString>,
) -> Option<SearchLine> {
    fn once<T>(slot: &mut Option<T>, v: T) -> Option<()> {
        slot.replace(v).is_none().then_some(())
    }
    fn flag(slot: &mut bool) -> Option<()> {
        (!std::mem::replace(slot, true)).then_some(())
    }
    fn number(v: &str) -> Option<usize> {
        // clap takes `+5`; this reads digits alone, and leaves the rest to clap.
        v.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| v.parse().ok())?
    }
    let env_path = |name: &str| match env(name) {
        None => Some(None),
        Some(v) if v.is_empty() => None,
        Some(v) => Some(Some(PathBuf::from(v))),
    };
    let color = match env("ARCHEO_COLOR") {
        None => crate::ui::ColorWhen::Auto,
        Some(v) => clap::ValueEnum::from_str(v.to_str()?, false).ok()?,
    };
    let mut args = args.iter().skip(1).map(|a| a.to_str());
    if args.next()?? != "search" {
        return None;
    }
    let mut g = super::GlobalArgs {
        manifest: env_path("ARCHEO_MANIFEST")?,
        cache_dir: env_path("ARCHEO_CACHE_DIR")?,
        index_dir: Vec::new(),
        quiet: false,
        verbose: 0,
        color,
    };
    let (mut query, mut limit, mut format, mut path, mut lang, mut context) =
        (None, None, None, None, None, None);
    let mut scope = super::ScopeArgs::default();
    let (mut files, mut count) = (false, false);
    while let Some(arg) = args.next() {
        let arg = arg?;
        if !arg.starts_with('-') {
            once(&mut query, arg.to_string())?;
            continue;
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v)),
            _ => (arg, None),
        };
        let takes_value = matches!(
            name,
            "--repo"
                | "--at"
                | "--index-dir"
                | "--limit"
                | "--format"
                | "--path"
                | "--lang"
                | "-C"
                | "--context"
        );
        if !takes_value {
            match arg {
                "--no-vendor" => flag(&mut scope.no_vendor)?,
                "-l" | "--files-with-matches" => flag(&mut files)?,
                "-c" | "--count" => flag(&mut count)?,
                "-q" | "--quiet" => flag(&mut g.quiet)?,
                _ => return None,
            }
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => args.next()??,
        };
        if value.starts_with('-') || value.is_empty() {
            return None;
        }
        match name {
            "--repo" => scope.revs.repo.push(value.to_string()),
            "--at" => scope.revs.at.push(value.to_string()),
            "--index-dir" => g.index_dir.push(PathBuf::from(value)),
            "--limit" => once(&mut limit, number(value)?)?,
            "-C" | "--context" => once(&mut context, number(value)?)?,
            "--format" => once(&mut format, clap::ValueEnum::from_str(value, false).ok()?)?,
            "--path" => once(&mut path, value.to_string())?,
            "--lang" => {
                crate::lang::Lang::from_name(value)?;
                once(&mut lang, value.to_string())?
            }
            _ => return None,
        }
    }
    if files && count {
        return None;
    }
    scope.path = path;
    scope.lang = lang;
    Some(SearchLine {
        global: g,
        command: SearchOnly::Search(search::SearchArgs {
            query: query?,
            scope,
            limit,
            context: context.unwrap_or(0),
            files,
            count,
            format: format.unwrap_or_default(),
        }),
    })
}

/// `archeo`'s `main`: runs `search` here, every other command in `archeo-full`; returns the
/// exit code.
pub fn main() -> i32 {
    // A search lives some milliseconds and its memory is bounded (`Options::max_kept`): glibc's
    // defaults, which map each block over 128 KiB afresh and hand freed heap back to the
    // kernel, make it fault in the same memory again and again (decompressed texts, the hit
    // list). Kept instead: 2-5% of a search with many hits.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets the allocator's parameters; called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 32 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 64 << 20);
    }
    let args: Vec<OsString> = std::env::args_os().collect();
    let quick = quick_search_line(&args, |name| std::env::var_os(name));
    let (global, a) = match quick
        .map(Ok)
        .unwrap_or_else(|| SearchLine::try_parse_from(&args))
    {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn line(s: &[&str]) -> Vec<OsString> {
        std::iter::once("archeo")
            .chain(s.iter().copied())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn quick_lines_parse_as_clap_parses_them() {
        let real = |n: &str| std::env::var_os(n);
        let taken = [
            &["search", "openat2"][..],
            &["search", "openat2", "--repo", "runc"],
            &["search", "--repo=runc", "openat2", "--repo", "crun"],
            &[
                "search",
                "openat2",
                "--at",
                "runc@v1.3.3",
                "--at=runc@v1.2.0",
            ],
            &["search", "x", "--limit", "5", "--format", "json"],
            &["search", "x", "--limit=0", "--format=md", "-C", "2"],
            &[
                "search",
                "x",
                "--context",
                "3",
                "--path",
                "libcontainer/",
                "--lang",
                "go",
            ],
            &[
                "search",
                "x",
                "--no-vendor",
                "-l",
                "-q",
                "--index-dir",
                "a",
                "--index-dir=b",
            ],
            &["search", "x", "--count", "--format", "text"],
            &["search", "", "--repo", "runc"],
            &["search", "sym:WriteSysctls in:code", "--repo", "runc"],
        ];
        for l in taken {
            let args = line(l);
            let quick =
                quick_search_line(&args, real).unwrap_or_else(|| panic!("{l:?} is a quick line"));
            let clap = SearchLine::try_parse_from(&args).unwrap();
            assert_eq!(format!("{quick:?}"), format!("{clap:?}"), "{l:?}");
            // The whole parser makes the same search of it.
            let Cli {
                global,
                command: Command::Search(a),
            } = Cli::try_parse_from(&args).unwrap()
            else {
                panic!("{l:?} is a search");
            };
            let whole = SearchLine {
                global,
                command: SearchOnly::Search(a),
            };
            assert_eq!(format!("{quick:?}"), format!("{whole:?}"), "{l:?}");
        }
        // Everything else goes to clap (which parses some of these, and refuses others).
        let left = [
            &["search"][..],
            &["evidence", "x"],
            &["-q", "search", "x"],
            &["search", "x", "y"],
            &["search", "-x"],
            &["search", "--", "-x"],
            &["search", "x", "--limit", "5", "--limit", "6"],
            &["search", "x", "--limit", "+5"],
            &["search", "x", "--limit", "five"],
            &["search", "x", "--limit"],
            &["search", "x", "--repo", "-r"],
            &["search", "x", "--repo="],
            &["search", "x", "--format", "JSON"],
            &["search", "x", "--lang", "cobol"],
            &["search", "x", "-l", "-c"],
            &["search", "x", "-C5"],
            &["search", "x", "-C=5"],
            &["search", "x", "-lq"],
            &["search", "x", "--no-vendor=true"],
            &["search", "x", "--help"],
            &["search", "x", "-v"],
            &["search", "x", "--color", "never"],
            &["search", "x", "--manifest", "m.toml"],
            &["search", "x", "--verbose"],
        ];
        for l in left {
            assert!(quick_search_line(&line(l), real).is_none(), "{l:?}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStringExt;
            let mut args = line(&["search"]);
            args.push(OsString::from_vec(vec![b'x', 0xff]));
            assert!(quick_search_line(&args, real).is_none());
        }
    }

    #[test]
    fn quick_lines_read_the_environment_as_clap_does() {
        let args = line(&["search", "x"]);
        let with = |name: &'static str, value: &'static str| {
            move |n: &str| (n == name).then(|| OsString::from(value))
        };
        let g = |l: Option<SearchLine>| l.map(|l| l.global);
        let q = g(quick_search_line(&args, with("ARCHEO_COLOR", "never"))).unwrap();
        assert_eq!(q.color, crate::ui::ColorWhen::Never);
        let q = g(quick_search_line(&args, with("ARCHEO_CACHE_DIR", "/c"))).unwrap();
        assert_eq!(q.cache_dir, Some(PathBuf::from("/c")));
        let q = g(quick_search_line(&args, with("ARCHEO_MANIFEST", "m.toml"))).unwrap();
        assert_eq!(q.manifest, Some(PathBuf::from("m.toml")));
        // A value clap would refuse or weigh differently is clap's to read.
        assert!(quick_search_line(&args, with("ARCHEO_COLOR", "sometimes")).is_none());
        assert!(quick_search_line(&args, with("ARCHEO_COLOR", "")).is_none());
        assert!(quick_search_line(&args, with("ARCHEO_MANIFEST", "")).is_none());
        assert!(quick_search_line(&args, with("ARCHEO_CACHE_DIR", "")).is_none());
    }
}
