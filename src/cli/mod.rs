//! Command-line definitions (every flag once, with the doc that `--help` shows) and the thin
//! wiring from a parsed command to the stage modules. No stage logic lives here.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

use crate::source::fetch::{Event, FetchOptions};
use crate::source::lock::Lock;
use crate::source::manifest::Manifest;
use crate::ui::{ColorWhen, Ui, human_bytes};

/// archeo: code archaeology on pinned upstream releases.
///
/// archeo pins upstream git repositories at exact commits (archeo.toml -> archeo.lock), indexes
/// every pinned revision without checking it out, and answers "what changed, where, since which
/// release" with file:line citations on immutable commits.
///
/// Typical session:
///
///   archeo fetch                 # resolve archeo.toml's revs to commits, write archeo.lock
///   archeo index                 # index every pinned revision (each file version once)
///   archeo search openat2        # code-aware search across all pinned releases
///
/// Exit codes follow grep: 0 found, 1 nothing found, 2 error.
#[derive(Parser, Debug)]
#[command(
    name = "archeo",
    version,
    about,
    long_about,
    max_term_width = 100,
    verbatim_doc_comment
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args, Debug)]
pub struct GlobalArgs {
    /// The manifest naming the repositories and revisions to pin; the lock sits beside it as
    /// archeo.lock.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        default_value = "archeo.toml",
        env = "ARCHEO_MANIFEST"
    )]
    pub manifest: PathBuf,
    /// Where fetched repositories are kept (bare clones). Default: the XDG cache dir, archeo/.
    #[arg(long, global = true, value_name = "DIR", env = "ARCHEO_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
    /// Where the index lives.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = "index",
        env = "ARCHEO_INDEX_DIR"
    )]
    pub index_dir: PathBuf,
    /// Print only results and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more about what is done (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// When to color output.
    #[arg(long, global = true, value_name = "WHEN", default_value = "auto")]
    pub color: ColorWhen,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Fetch the manifest's repositories and pin every rev to a commit in archeo.lock.
    ///
    /// Each repository is cloned bare into the cache the first time and fetched afterwards
    /// (branches and tags). Revs are tags, branches, (short) commit ids, or globs over tag names
    /// (`v1.*`, expanded in version order). Re-running with nothing changed upstream leaves the
    /// lock byte-identical; a branch that moved is re-pinned and reported; a tag that moved is an
    /// error unless --update is given.
    ///
    /// git's `url.<base>.insteadOf` rewrites apply, from your git configuration or from
    /// GIT_CONFIG_COUNT / GIT_CONFIG_KEY_n / GIT_CONFIG_VALUE_n, so mirrors work as they do for git.
    Fetch(FetchArgs),
    /// List what archeo.lock pins.
    Pins(PinsArgs),
    /// Index every pinned revision of archeo.lock, without checking anything out.
    ///
    /// Trees are read straight from the cache's object database. Each distinct file version
    /// (git blob) is read, parsed and indexed once, however many revisions and paths hold it:
    /// Go with tree-sitter (declarations, string literals, calls, rule findings), other text by
    /// line; binaries and files over --max-file-size are skipped and counted. Incremental: only
    /// blobs not yet indexed are parsed; revisions no longer pinned are dropped. One writer at a
    /// time; a run killed at any point leaves the previous index usable.
    Index(IndexArgs),
    /// What the index holds, per repository and revision.
    Stats(StatsArgs),
    /// Code-aware search across every pinned revision, with citations
    ///
    /// A term matches an identifier whole or any of its camelCase/snake_case parts,
    /// case-insensitively: `openat2` finds `unix.Openat2(`, `processOpenat2`, `SYS_OPENAT2`,
    /// `openat2SyscallInfo`. Several terms must all be on the line.
    ///
    /// Query syntax:
    ///   "quoted phrase"   adjacent words (or the exact text, case-insensitive)
    ///   -term             lines holding term are left out
    ///   repo:NAME         only this repository
    ///   path:PREFIX|GLOB  only these paths (path:vendor/, path:'**/*_linux.go'); -path: excludes
    ///   sym:NAME          only lines inside this declaration (func, method, type, const, var)
    ///   lang:go|text      only Go files, or only other text files
    ///   rule:ID           only lines inside findings of this rule (see `archeo rules list`)
    ///
    /// Each hit is a line of one distinct file version, shown once with the revisions holding it
    /// (`v1.2.8, v1.3.3..v1.3.5 (4 revs)`) and a permalink on an immutable commit. Ranking:
    /// declarations of the term first, own code before vendored, newer revisions first.
    ///
    /// Examples:
    ///   archeo search openat2
    ///   archeo search RESOLVE_NO_XDEV --at runc@v1.3.3 --no-vendor
    ///   archeo search '"unsafe procfs detected"' --format md
    ///   archeo search 'sym:WriteSysctls sysctl' -C 2
    #[command(verbatim_doc_comment)]
    Search(SearchArgs),
    /// Rules: list them, test them against their cases, or show the syntax tree they match on.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Rule findings across pinned revisions, with citations (run `archeo index` first)
    ///
    /// A finding in one distinct file version is shown once, with the revisions holding it.
    /// Examples:
    ///   archeo findings --rule openat2-resolve-no-xdev --repo runc
    ///   archeo findings --at sysbox-fs@master --format md
    #[command(verbatim_doc_comment)]
    Findings(FindingsArgs),
    /// Print a Markdown evidence block: search hits and/or rule findings with citations
    ///
    /// A caption states what was asked and every cited revision's full commit (branches as
    /// pinned); then a table (default) or a list with code blocks. Only pinned commits appear,
    /// and the same index and arguments always give the same bytes.
    ///
    /// Examples:
    ///   archeo evidence --rule openat2-resolve-no-xdev --at runc@v1.3.3
    ///   archeo evidence '"unsafe procfs detected"' --repo runc --no-vendor --style list -C 2
    #[command(verbatim_doc_comment)]
    Evidence(EvidenceArgs),
    /// What changed between two revisions, at the level of findings (or search hits)
    ///
    /// Findings are matched by identity (rule + enclosing declaration + matched text without
    /// whitespace and comments), never by line: each is added, removed, moved (same identity,
    /// other path or lines) or changed (same rule and declaration, other text or facts).
    /// Vendored module version changes and files holding findings on one side only are
    /// reported too. Exit code 0 when there are differences, 1 when none (like diff).
    ///
    /// Examples:
    ///   archeo diff runc@v1.3.2 runc@v1.3.3
    ///   archeo diff runc@v1.3.3 sysbox-runc@master --rule openat2-resolve-no-xdev
    ///   archeo diff runc@v1.3.2 runc@v1.3.3 --search openat2 --format md
    #[command(verbatim_doc_comment)]
    Diff(DiffArgs),
    /// Which revisions hold each finding (or search hit): ranges with their gaps
    ///
    /// Revisions are ordered by version (tags by semantic version, branches last); a finding
    /// held by v1.2.8 and v1.3.3..v1.3.5 but not v1.3.0..v1.3.2 shows exactly that.
    ///
    /// Examples:
    ///   archeo timeline --rule openat2-resolve-no-xdev --repo runc
    ///   archeo timeline '"unsafe procfs detected"' --repo runc --format md
    #[command(verbatim_doc_comment)]
    Timeline(TimelineArgs),
    /// From a runtime error message to the code that emits it, and the releases that do
    ///
    /// The message is split into its wrapped segments the way Go error chains build them
    /// (": " joins fmt.Errorf("...: %w") layers; a segment may contain ": " itself). Each
    /// segment is matched against indexed format strings (fmt.Errorf, errors.New sentinels,
    /// os.PathError Op, os.NewSyscallError, ...; verbs match any text, literal parts exactly,
    /// longest literal first) and errno texts. Then the chain, and the pinned revisions that
    /// hold every segment's source. Exit 0 when every segment is explained, 1 otherwise.
    ///
    /// Examples:
    ///   archeo explain 'open sysctl net.ipv4.ip_unprivileged_port_start file: unsafe procfs detected: ...'
    ///   journalctl -u docker | tail -1 | archeo explain --repo runc
    #[command(verbatim_doc_comment)]
    Explain(ExplainArgs),
    /// Regenerate the evidence blocks of Markdown documents.
    ///
    /// Every region between `<!-- archeo:begin ARGS -->` and `<!-- archeo:end -->` is replaced
    /// by the output of `archeo evidence ARGS` (ARGS quoted as in a shell); bytes outside the
    /// regions are kept exactly; files are replaced atomically. With --check nothing is written:
    /// stale blocks are listed as FILE:LINE with a diff, and the exit code is 1.
    Export(ExportArgs),
}

#[derive(Args, Debug, Clone)]
pub struct EvidenceArgs {
    /// A search query (see `archeo search --help`); optional with --rule.
    pub query: Option<String>,
    /// Findings of this rule; repeatable. With a query: only hits inside its findings.
    #[arg(long = "rule", value_name = "ID")]
    pub rule: Vec<String>,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// At most N rows.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Lines of context in --style list code blocks.
    #[arg(short = 'C', long = "context", value_name = "N", default_value_t = 0)]
    pub context: usize,
    /// table: one row per place; list: a citation and a code block per place.
    #[arg(long, default_value = "table")]
    pub style: crate::report::evidence::Style,
}

#[derive(Args, Debug, Clone)]
pub struct DiffArgs {
    /// The old side, REPO@REV.
    pub a: String,
    /// The new side, REPO@REV.
    pub b: String,
    /// Only this rule's findings; repeatable (default: every rule).
    #[arg(long = "rule", value_name = "ID")]
    pub rule: Vec<String>,
    /// Compare the lines this search matches instead of findings.
    #[arg(long, value_name = "QUERY", conflicts_with = "rule")]
    pub search: Option<String>,
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

#[derive(Args, Debug, Clone)]
pub struct TimelineArgs {
    /// A search query (instead of --rule).
    #[arg(required_unless_present = "rule", conflicts_with = "rule")]
    pub query: Option<String>,
    /// This rule's findings; repeatable.
    #[arg(long = "rule", value_name = "ID")]
    pub rule: Vec<String>,
    /// Only this repository; repeatable.
    #[arg(long = "repo", value_name = "NAME")]
    pub repo: Vec<String>,
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

#[derive(Args, Debug, Clone)]
pub struct ExplainArgs {
    /// The error message; `-` or nothing reads it from standard input.
    pub message: Option<String>,
    /// Only this revision (REPO@REV); repeatable.
    #[arg(long = "at", value_name = "REPO@REV")]
    pub at: Vec<String>,
    /// Only this repository; repeatable.
    #[arg(long = "repo", value_name = "NAME")]
    pub repo: Vec<String>,
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Markdown files holding archeo:begin/end regions.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Change nothing; exit 1 and show a diff when a block is stale.
    #[arg(long)]
    pub check: bool,
}

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
}

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

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// Extra rule directories, on top of queries/ and [rules] paths.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct FindingsArgs {
    /// Only this rule; repeatable.
    #[arg(long = "rule", value_name = "ID")]
    pub rule: Vec<String>,
    /// Only this revision (REPO@REV); repeatable.
    #[arg(long = "at", value_name = "REPO@REV")]
    pub at: Vec<String>,
    /// Only this repository; repeatable.
    #[arg(long = "repo", value_name = "NAME")]
    pub repo: Vec<String>,
    /// Leave out vendored code.
    #[arg(long)]
    pub no_vendor: bool,
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

/// What to search: shared by search, evidence and diff --search.
#[derive(Args, Debug, Clone, Default)]
pub struct ScopeArgs {
    /// Only this revision (REPO@REV: a pinned rev name or commit prefix); repeatable.
    #[arg(long = "at", value_name = "REPO@REV")]
    pub at: Vec<String>,
    /// Only this repository; repeatable.
    #[arg(long = "repo", value_name = "NAME")]
    pub repo: Vec<String>,
    /// Only paths matching this glob (or starting with this prefix).
    #[arg(long, value_name = "GLOB")]
    pub path: Option<String>,
    /// Only this language (go or text).
    #[arg(long, value_name = "LANG", value_parser = ["go", "text"])]
    pub lang: Option<String>,
    /// Leave out vendored code (paths under vendor/).
    #[arg(long)]
    pub no_vendor: bool,
}

impl ScopeArgs {
    pub fn scope(&self) -> crate::query::search::Scope {
        crate::query::search::Scope {
            at: self.at.clone(),
            repos: self.repo.clone(),
            path: self.path.clone(),
            lang: self.lang.clone(),
            no_vendor: self.no_vendor,
        }
    }
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// The query (see above for the syntax).
    pub query: String,
    #[command(flatten)]
    pub scope: ScopeArgs,
    /// Show at most N hits.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
    /// Show N lines of context around each hit.
    #[arg(short = 'C', long = "context", value_name = "N", default_value_t = 0)]
    pub context: usize,
    /// Output format: text, json (JSON Lines, one object per hit) or md (a Markdown table).
    #[arg(long, default_value = "text")]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct IndexArgs {
    /// Throw the index away and build it again (needed after a schema change).
    #[arg(long)]
    pub rebuild: bool,
    /// Skip files larger than this many bytes (they are counted, and named with -v).
    #[arg(long, value_name = "BYTES", default_value_t = 1024 * 1024)]
    pub max_file_size: u64,
    /// Extra rule directories (queries/go/*.scm style), on top of queries/ and [rules] paths.
    #[arg(long = "rules", value_name = "DIR")]
    pub rules: Vec<PathBuf>,
    /// Print `archeo stats` afterwards.
    #[arg(long)]
    pub stats: bool,
    /// Read and parse what would be indexed, with tree-sitter alone, and write nothing (the
    /// parse floor that benches/index.sh compares indexing against). With --rebuild: every blob.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

#[derive(Args, Debug)]
pub struct FetchArgs {
    /// Accept tags that now point to other commits than the lock records.
    #[arg(long)]
    pub update: bool,
    /// Fetch only what the lock names and fail if manifest and lock disagree; never change the lock.
    #[arg(long)]
    pub locked: bool,
    /// Use no network: resolve revs from the cache only.
    #[arg(long)]
    pub offline: bool,
    /// Print what is pinned after fetching (like `archeo pins`).
    #[arg(long)]
    pub list: bool,
}

pub use crate::report::render::Format;

#[derive(Args, Debug)]
pub struct PinsArgs {
    /// Output format.
    #[arg(long, default_value = "text")]
    pub format: Format,
}

/// Everything the global flags resolve to, validated once.
pub struct Context {
    pub manifest_path: PathBuf,
    pub lock_path: PathBuf,
    pub cache_dir: PathBuf,
    pub index_dir: PathBuf,
    pub ui: Ui,
}

impl Context {
    fn new(g: &GlobalArgs) -> Result<Context> {
        let cache_dir = match &g.cache_dir {
            Some(d) => d.clone(),
            None => dirs::cache_dir()
                .ok_or_else(|| anyhow::anyhow!("no cache directory known for this user: pass --cache-dir DIR or set ARCHEO_CACHE_DIR"))?
                .join("archeo"),
        };
        Ok(Context {
            lock_path: crate::source::lock::path_for(&g.manifest),
            manifest_path: g.manifest.clone(),
            cache_dir,
            index_dir: g.index_dir.clone(),
            ui: Ui::new(g.quiet, g.verbose, g.color),
        })
    }

    pub fn manifest(&self) -> Result<Manifest> {
        Manifest::load(&self.manifest_path)
    }

    pub fn lock(&self) -> Result<Lock> {
        Lock::require(&self.lock_path)
    }
}

/// Whether a query found anything: exit code 0 or 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    Yes,
    No,
}

/// Runs archeo with the process arguments; returns the exit code.
pub fn main() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return code;
        }
    };
    match run(cli) {
        Ok(Found::Yes) => 0,
        Ok(Found::No) => 1,
        Err(e) => {
            // A closed pipe (`archeo search x | head`) is not an error worth reporting.
            if let Some(io) = e.downcast_ref::<std::io::Error>()
                && io.kind() == std::io::ErrorKind::BrokenPipe
            {
                return 0;
            }
            eprintln!("error: {e:#}");
            2
        }
    }
}

pub fn run(cli: Cli) -> Result<Found> {
    let ctx = Context::new(&cli.global)?;
    match cli.command {
        Command::Fetch(a) => fetch(&ctx, a),
        Command::Pins(a) => pins(&ctx, a.format),
        Command::Index(a) => index(&ctx, a),
        Command::Stats(a) => stats(&ctx, a.format),
        Command::Search(a) => search(&ctx, a),
        Command::Rules(c) => rules_cmd(&ctx, c),
        Command::Findings(a) => findings(&ctx, a),
        Command::Evidence(a) => {
            let (cat, store) = crate::query::search::open(&ctx.index_dir)?;
            ctx_rules_check(&ctx, &a.rule)?;
            let md = evidence_block(&ctx, &cat, &store, &a)?;
            std::io::stdout().lock().write_all(md.as_bytes())?;
            Ok(Found::Yes)
        }
        Command::Export(a) => export(&ctx, a),
        Command::Diff(a) => {
            ctx_rules_check(&ctx, &a.rule)?;
            let (cat, store) = crate::query::search::open(&ctx.index_dir)?;
            let d = run_diff(&ctx, &cat, &store, &a)?;
            crate::report::render::print(&d, a.format, ctx.ui.color_choice())?;
            Ok(if d.is_empty() { Found::No } else { Found::Yes })
        }
        Command::Explain(a) => {
            let (cat, store) = crate::query::search::open(&ctx.index_dir)?;
            let e = run_explain(&ctx, &cat, &store, &a)?;
            crate::report::render::print(&e, a.format, ctx.ui.color_choice())?;
            Ok(if e.all_explained() {
                Found::Yes
            } else {
                Found::No
            })
        }
        Command::Timeline(a) => {
            ctx_rules_check(&ctx, &a.rule)?;
            let (cat, store) = crate::query::search::open(&ctx.index_dir)?;
            let t = run_timeline(&ctx, &cat, &store, &a)?;
            crate::report::render::print(&t, a.format, ctx.ui.color_choice())?;
            Ok(if t.tracks.is_empty() {
                Found::No
            } else {
                Found::Yes
            })
        }
    }
}

fn run_diff(
    ctx: &Context,
    cat: &crate::index::catalog::Catalog,
    store: &crate::index::store::Store,
    a: &DiffArgs,
) -> Result<crate::query::history::DiffReport> {
    let q = a
        .search
        .as_deref()
        .map(crate::query::syntax::Query::parse)
        .transpose()?;
    crate::query::history::diff(&ctx.index_dir, cat, store, &a.a, &a.b, &a.rule, q.as_ref())
}

fn run_explain(
    ctx: &Context,
    cat: &crate::index::catalog::Catalog,
    store: &crate::index::store::Store,
    a: &ExplainArgs,
) -> Result<crate::query::explain::Explanation> {
    let message = match a.message.as_deref() {
        Some("-") | None => {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)?;
            s
        }
        Some(m) => m.to_string(),
    };
    if message.trim().is_empty() {
        anyhow::bail!("no message to explain: pass it as an argument or on standard input");
    }
    crate::query::explain::explain(&ctx.index_dir, cat, store, &message, &a.at, &a.repo)
}

fn run_timeline(
    ctx: &Context,
    cat: &crate::index::catalog::Catalog,
    store: &crate::index::store::Store,
    a: &TimelineArgs,
) -> Result<crate::query::history::Timeline> {
    let q = a
        .query
        .as_deref()
        .map(crate::query::syntax::Query::parse)
        .transpose()?;
    crate::query::history::timeline(&ctx.index_dir, cat, store, &a.rule, q.as_ref(), &a.repo)
}

/// Checks that archeo:begin arguments parse, as `archeo export` would run them.
pub fn check_block_args(args: &[String]) -> Result<()> {
    let mut words = args.to_vec();
    if !matches!(
        words.first().map(String::as_str),
        Some("evidence" | "diff" | "timeline" | "explain")
    ) {
        words.insert(0, "evidence".into());
    }
    BlockCli::try_parse_from(&words)
        .map_err(|e| anyhow::anyhow!("{}", e.to_string().lines().next().unwrap_or("")))?;
    Ok(())
}

/// Unknown rule ids are errors (a typo must not give an empty block).
fn ctx_rules_check(ctx: &Context, ids: &[String]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let manifest = Manifest::load(&ctx.manifest_path).ok();
    let rules = ctx.rules(manifest.as_ref(), &[])?;
    for id in ids {
        if rules.get(id).is_none() {
            anyhow::bail!(
                "unknown rule {id:?}; rules: {}",
                rules
                    .rules
                    .iter()
                    .map(|r| r.meta.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    Ok(())
}

fn evidence_block(
    ctx: &Context,
    cat: &crate::index::catalog::Catalog,
    store: &crate::index::store::Store,
    a: &EvidenceArgs,
) -> Result<String> {
    let req = crate::report::evidence::Request {
        query: a.query.clone(),
        rules: a.rule.clone(),
        scope: a.scope.scope(),
        limit: a.limit,
        context: a.context,
        style: a.style,
    };
    crate::report::evidence::build(&ctx.index_dir, cat, store, &req)
}

/// Every selector must name a pinned revision that the index holds at its pinned commit.
fn check_fresh(lock: &Lock, cat: &crate::index::catalog::Catalog, at: &[String]) -> Result<()> {
    let pins = lock.pins();
    let stale = |p: &crate::source::lock::Pin| {
        cat.find(&p.repo, &p.rev)
            .is_none_or(|r| r.commit != p.commit)
    };
    if at.is_empty() {
        if let Some(p) = pins.iter().find(|p| stale(p)) {
            anyhow::bail!(
                "the index lacks {}@{} (pinned at {}): run `archeo index`",
                p.repo,
                p.rev,
                p.commit
            );
        }
        return Ok(());
    }
    for sel in at {
        let (repo, rev) = crate::query::selector::parse(sel)?;
        let pin = pins.iter().find(|p| {
            p.repo == repo
                && (p.rev == rev
                    || (rev.len() >= 4 && p.commit.starts_with(&rev.to_ascii_lowercase())))
        });
        match pin {
            None => anyhow::bail!(
                "{sel} is not pinned in {}: add it to archeo.toml and run `archeo fetch && archeo index`",
                "archeo.lock"
            ),
            Some(p) if stale(p) => anyhow::bail!(
                "the index lacks {}@{} (pinned at {}): run `archeo index`",
                p.repo,
                p.rev,
                p.commit
            ),
            Some(_) => {}
        }
    }
    Ok(())
}

fn export(ctx: &Context, a: ExportArgs) -> Result<Found> {
    let (cat, store) = crate::query::search::open(&ctx.index_dir)?;
    let lock = ctx.lock()?;
    let mut stale = 0;
    let mut out = std::io::stdout().lock();
    for file in &a.files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
        let blocks = crate::report::export::parse_blocks(file, &text)?;
        let mut diffs = Vec::new();
        let new = crate::report::export::regenerate(&text, &blocks, |b| {
            let at = |e: anyhow::Error| anyhow::anyhow!("{}:{}: {e:#}", file.display(), b.line);
            let mut words = b.args.clone();
            if !matches!(
                words.first().map(String::as_str),
                Some("evidence" | "diff" | "timeline" | "explain")
            ) {
                words.insert(0, "evidence".into());
            }
            let parsed = BlockCli::try_parse_from(&words).map_err(|e| {
                anyhow::anyhow!(
                    "{}:{}: bad archeo:begin arguments: {}",
                    file.display(),
                    b.line,
                    e.to_string().lines().next().unwrap_or("")
                )
            })?;
            let body = match parsed.cmd {
                BlockCommand::Evidence(ev) => {
                    ctx_rules_check(ctx, &ev.rule).map_err(at)?;
                    check_fresh(&lock, &cat, &ev.scope.at).map_err(at)?;
                    evidence_block(ctx, &cat, &store, &ev).map_err(at)?
                }
                BlockCommand::Diff(d) => {
                    ctx_rules_check(ctx, &d.rule).map_err(at)?;
                    check_fresh(&lock, &cat, &[d.a.clone(), d.b.clone()]).map_err(at)?;
                    let r = run_diff(ctx, &cat, &store, &d).map_err(at)?;
                    let mut buf = Vec::new();
                    crate::report::render::diff_markdown(&mut buf, &r)?;
                    String::from_utf8(buf)?
                }
                BlockCommand::Explain(x) => {
                    check_fresh(&lock, &cat, &x.at).map_err(at)?;
                    let r = run_explain(ctx, &cat, &store, &x).map_err(at)?;
                    let mut buf = Vec::new();
                    crate::report::render::explain_markdown(&mut buf, &r)?;
                    String::from_utf8(buf)?
                }
                BlockCommand::Timeline(t) => {
                    ctx_rules_check(ctx, &t.rule).map_err(at)?;
                    check_fresh(&lock, &cat, &[]).map_err(at)?;
                    let r = run_timeline(ctx, &cat, &store, &t).map_err(at)?;
                    let mut buf = Vec::new();
                    crate::report::render::timeline_markdown(&mut buf, &r)?;
                    String::from_utf8(buf)?
                }
            };
            let old = &text[b.content.clone()];
            let normalised = if b.eol == "\r\n" {
                body.replace('\n', "\r\n")
            } else {
                body.clone()
            };
            if old != normalised {
                diffs.push((b.line, crate::report::export::diff(old, &normalised)));
            }
            Ok(body)
        })?;
        if a.check {
            for (line, d) in &diffs {
                stale += 1;
                writeln!(out, "{}:{line}: stale evidence block", file.display())?;
                write!(out, "{d}")?;
            }
        } else if new != text {
            crate::atomic::write(file, new.as_bytes())?;
            ctx.ui.info(format!(
                "{}: {} block(s) regenerated, {} changed",
                file.display(),
                blocks.len(),
                diffs.len()
            ));
        } else {
            ctx.ui.detail(format!(
                "{}: {} block(s), all current",
                file.display(),
                blocks.len()
            ));
        }
    }
    if a.check && stale > 0 {
        writeln!(
            out,
            "{stale} stale block(s): run `archeo export` on these files"
        )?;
        return Ok(Found::No);
    }
    Ok(Found::Yes)
}

fn rules_cmd(ctx: &Context, c: RulesCommand) -> Result<Found> {
    let manifest = Manifest::load(&ctx.manifest_path).ok();
    match c {
        RulesCommand::List(a) => {
            let rules = ctx.rules(manifest.as_ref(), &a.rules)?;
            let mut out = std::io::stdout().lock();
            let w = rules
                .rules
                .iter()
                .map(|r| r.meta.id.len())
                .max()
                .unwrap_or(0);
            for r in &rules.rules {
                writeln!(
                    out,
                    "{:<w$}  {}  ({})",
                    r.meta.id,
                    r.meta.title,
                    r.file.display()
                )?;
            }
            Ok(if rules.rules.is_empty() {
                Found::No
            } else {
                Found::Yes
            })
        }
        RulesCommand::Test(a) => {
            let rules = ctx.rules(manifest.as_ref(), &a.rules)?;
            let report = crate::rules::test_all(&rules)?;
            let mut out = std::io::stdout().lock();
            let mut failed = 0;
            for r in &report {
                let status = if !r.problems.is_empty() {
                    failed += 1;
                    "FAIL"
                } else if r.valid == 0 {
                    failed += 1;
                    "NO POSITIVE TEST"
                } else {
                    "ok"
                };
                writeln!(
                    out,
                    "{status:<5} {} ({} valid, {} invalid cases)",
                    r.id, r.valid, r.invalid
                )?;
                for p in &r.problems {
                    writeln!(out, "      {p}")?;
                }
            }
            writeln!(out, "{} passed, {} failed", report.len() - failed, failed)?;
            if failed > 0 {
                anyhow::bail!("{failed} rule(s) failed their tests");
            }
            Ok(Found::Yes)
        }
        RulesCommand::Tree { file } => {
            let src = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let tree = crate::lang::go::parse_tree(&src)
                .ok_or_else(|| anyhow::anyhow!("tree-sitter could not parse {}", file.display()))?;
            let mut out = std::io::stdout().lock();
            crate::rules::print_tree(&mut out, tree.root_node(), &src)?;
            Ok(Found::Yes)
        }
    }
}

fn findings(ctx: &Context, a: FindingsArgs) -> Result<Found> {
    let (cat, store) = crate::query::search::open(&ctx.index_dir)?;
    if !a.rule.is_empty() {
        let manifest = Manifest::load(&ctx.manifest_path).ok();
        if let Ok(rules) = ctx.rules(manifest.as_ref(), &[]) {
            for id in &a.rule {
                // A rule loaded only at index time (--rules) is known by its findings.
                if rules.get(id).is_none()
                    && store
                        .findings::<crate::rules::Finding>(std::slice::from_ref(id))?
                        .is_empty()
                {
                    anyhow::bail!(
                        "unknown rule {id:?}; rules: {}",
                        rules
                            .rules
                            .iter()
                            .map(|r| r.meta.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    );
                }
            }
        }
    }
    let r = crate::query::findings::query(
        &ctx.index_dir,
        &cat,
        &store,
        &a.rule,
        &a.at,
        &a.repo,
        a.no_vendor,
    )?;
    crate::report::render::print(&r, a.format, ctx.ui.color_choice())?;
    Ok(if r.is_empty() { Found::No } else { Found::Yes })
}

fn search(ctx: &Context, a: SearchArgs) -> Result<Found> {
    let q = crate::query::syntax::Query::parse(&a.query)?;
    let (cat, store) = crate::query::search::open(&ctx.index_dir)?;
    let r = crate::query::search::search(
        &ctx.index_dir,
        &cat,
        &store,
        &q,
        &a.scope.scope(),
        a.context,
        a.limit,
    )?;
    crate::report::render::print(&r, a.format, ctx.ui.color_choice())?;
    Ok(if r.total == 0 { Found::No } else { Found::Yes })
}

impl Context {
    /// The rule set: queries/ (beside the manifest, else built in), `[rules] paths`, `--rules`.
    pub fn rules(
        &self,
        manifest: Option<&Manifest>,
        extra: &[PathBuf],
    ) -> Result<crate::rules::RuleSet> {
        let dir = self
            .manifest_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        let mut dirs = crate::rules::default_dirs(dir);
        if let Some(m) = manifest {
            dirs.extend(m.rule_paths.iter().cloned());
        }
        dirs.extend(extra.iter().cloned());
        crate::rules::RuleSet::load(&dirs)
    }
}

fn index(ctx: &Context, a: IndexArgs) -> Result<Found> {
    let manifest = ctx.manifest()?;
    let lock = ctx.lock()?;
    let rules = ctx.rules(Some(&manifest), &a.rules)?;
    let opts = crate::index::build::IndexOptions {
        rebuild: a.rebuild,
        max_file_size: a.max_file_size,
        dry_run: a.dry_run,
    };
    let s = crate::index::build::run(
        &manifest,
        &lock,
        &ctx.cache_dir,
        &ctx.index_dir,
        &rules,
        &opts,
        &ctx.ui,
    )?;
    for p in &s.oversize_paths {
        ctx.ui
            .detail(format!("skipped (over --max-file-size): {p}"));
    }
    for p in &s.lossy_paths {
        ctx.ui
            .detail(format!("not valid UTF-8, indexed lossily: {p}"));
    }
    let mut extra = Vec::new();
    for (n, what) in [
        (s.binary, "binary"),
        (s.oversize, "over size cap"),
        (s.lossy, "not UTF-8"),
        (s.unavailable, "unavailable in cache"),
        (s.error_nodes, "syntax error nodes"),
    ] {
        if n > 0 {
            extra.push(format!("{n} {what}"));
        }
    }
    if s.dropped_revisions > 0 {
        extra.push(format!("{} revisions dropped", s.dropped_revisions));
    }
    if a.dry_run {
        ctx.ui.info(format!(
            "dry run: read and parsed {} blobs ({:.1} MB, {} Go) of {} revisions in {:.2}s; nothing written",
            s.parsed_blobs,
            s.parsed_bytes as f64 / 1e6,
            s.go_files,
            s.revisions,
            s.seconds
        ));
        return Ok(Found::Yes);
    }
    ctx.ui.info(format!(
        "indexed {} revisions: {} file occurrences, {} distinct blobs, {} parsed now ({:.1} MB, {} Go), {} findings, {:.1}s{}",
        s.revisions,
        s.occurrences,
        s.distinct_blobs,
        s.parsed_blobs,
        s.parsed_bytes as f64 / 1e6,
        s.go_files,
        s.findings,
        s.seconds,
        if extra.is_empty() { String::new() } else { format!("; {}", extra.join(", ")) }
    ));
    if a.stats {
        stats(ctx, Format::Text)?;
    }
    Ok(Found::Yes)
}

fn dir_size(p: &std::path::Path) -> u64 {
    let mut total = 0;
    if let Ok(rd) = std::fs::read_dir(p) {
        for e in rd.flatten() {
            match e.metadata() {
                Ok(m) if m.is_dir() => total += dir_size(&e.path()),
                Ok(m) => total += m.len(),
                Err(_) => {}
            }
        }
    }
    total
}

fn stats(ctx: &Context, format: Format) -> Result<Found> {
    let cat = crate::index::catalog::Catalog::require(&ctx.index_dir)?;
    let store = crate::index::store::Store::open(&cat.store_dir(&ctx.index_dir))?;
    let blobs = store.indexed_blobs()?.len();
    let size = dir_size(&ctx.index_dir);
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => {
            for r in &cat.revisions {
                let v = serde_json::json!({
                    "repo": r.repo, "rev": r.rev, "kind": r.kind.as_str(), "commit": r.commit,
                    "files": r.files, "vendored_modules": r.vendor,
                    "submodules": r.submodules,
                });
                writeln!(out, "{v}")?;
            }
            writeln!(
                out,
                "{}",
                serde_json::json!({"total": {"revisions": cat.revisions.len(), "blobs": blobs, "documents": store.num_docs()?, "bytes_on_disk": size}})
            )?;
        }
        Format::Md => {
            writeln!(
                out,
                "| repo@rev | commit | files | vendored modules |\n| --- | --- | ---: | ---: |"
            )?;
            for r in &cat.revisions {
                writeln!(
                    out,
                    "| {}@{} | `{}` | {} | {} |",
                    r.repo,
                    r.rev,
                    r.commit,
                    r.files,
                    r.vendor.len()
                )?;
            }
        }
        Format::Text => {
            let w = cat
                .revisions
                .iter()
                .map(|r| r.repo.len() + r.rev.len() + 1)
                .max()
                .unwrap_or(0);
            for r in &cat.revisions {
                let sel = format!("{}@{}", r.repo, r.rev);
                writeln!(
                    out,
                    "{sel:<w$}  {}  {:>6} files  {:>3} vendored modules",
                    &r.commit[..12],
                    r.files,
                    r.vendor.len()
                )?;
            }
            writeln!(
                out,
                "{} revisions, {} distinct blobs, {} on disk",
                cat.revisions.len(),
                blobs,
                human_bytes(size)
            )?;
        }
    }
    Ok(if cat.revisions.is_empty() {
        Found::No
    } else {
        Found::Yes
    })
}

fn fetch(ctx: &Context, a: FetchArgs) -> Result<Found> {
    let manifest = ctx.manifest()?;
    let old = Lock::read(&ctx.lock_path)?;
    let opts = FetchOptions {
        update: a.update,
        locked: a.locked,
        offline: a.offline,
    };
    let ui = ctx.ui;
    let spinner = std::cell::RefCell::new(None::<indicatif::ProgressBar>);
    // A ticker shows gix's live counters (objects, bytes) on the current spinner (TTY only).
    let live = crate::source::git::FetchProgress::new();
    let current: std::sync::Arc<std::sync::Mutex<Option<(String, indicatif::ProgressBar)>>> =
        Default::default();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let ticker = ui.progress.then(|| {
        let (live, current, done) = (live.clone(), current.clone(), done.clone());
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if let Some((name, pb)) = current.lock().expect("ticker lock").as_ref() {
                    let lines = live.lines();
                    if !lines.is_empty() {
                        pb.set_message(format!("fetching {name}: {}", lines.join(" · ")));
                    }
                }
                std::thread::sleep(std::time::Duration::from_millis(120));
            }
        })
    });
    let lock = crate::source::fetch::fetch_all(
        &manifest,
        &ctx.cache_dir,
        old.as_ref(),
        opts,
        |ev| {
            if let Some(pb) = spinner.borrow_mut().take() {
                pb.finish_and_clear();
            }
            match ev {
                Event::Fetched {
                    repo,
                    url,
                    effective_url,
                    objects,
                    bytes,
                } => {
                    let via = if effective_url != url {
                        format!(" via {effective_url}")
                    } else {
                        String::new()
                    };
                    if *objects > 0 {
                        ui.info(format!(
                            "{repo}: fetched {url}{via}: {objects} objects, {}",
                            human_bytes(*bytes)
                        ));
                    } else {
                        ui.info(format!("{repo}: fetched {url}{via}: up to date"));
                    }
                }
                Event::BranchMoved {
                    repo,
                    rev,
                    old,
                    new,
                } => ui.info(format!(
                    "{repo}@{rev}: branch moved {} -> {}",
                    &old[..12],
                    &new[..12]
                )),
                Event::TagMoved {
                    repo,
                    rev,
                    old,
                    new,
                } => ui.warn(format!(
                    "{repo}@{rev}: tag now points elsewhere: {} -> {}",
                    &old[..12],
                    &new[..12]
                )),
                Event::Pinned {
                    repo,
                    tags,
                    branches,
                    commits,
                } => ui.info(format!(
                    "{repo}: pinned {} revs ({tags} tags, {branches} branches, {commits} commits)",
                    tags + branches + commits
                )),
            }
        },
        |spec| {
            let pb = ui.spinner(format!("fetching {} ({})", spec.name, spec.url));
            *current.lock().expect("ticker lock") = Some((spec.name.clone(), pb.clone()));
            *spinner.borrow_mut() = Some(pb);
        },
        &live,
    );
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(t) = ticker {
        let _ = t.join();
    }
    let lock = lock?;
    if let Some(pb) = spinner.borrow_mut().take() {
        pb.finish_and_clear();
    }
    if !opts.locked {
        if old.as_ref() == Some(&lock) {
            ui.detail(format!("{} unchanged", ctx.lock_path.display()));
        } else {
            lock.write(&ctx.lock_path)?;
            ui.info(format!("wrote {}", ctx.lock_path.display()));
        }
    }
    if a.list {
        pins(ctx, Format::Text)?;
    }
    Ok(Found::Yes)
}

fn pins(ctx: &Context, format: Format) -> Result<Found> {
    let lock = ctx.lock()?;
    let mut out = std::io::stdout().lock();
    let pins = lock.pins();
    match format {
        Format::Json => {
            for p in &pins {
                let v = serde_json::json!({
                    "repo": p.repo, "url": p.url, "rev": p.rev, "kind": p.kind.as_str(), "commit": p.commit,
                });
                writeln!(out, "{v}")?;
            }
        }
        Format::Md => {
            writeln!(
                out,
                "| repo | rev | kind | commit |\n| --- | --- | --- | --- |"
            )?;
            for p in &pins {
                writeln!(
                    out,
                    "| {} | {} | {} | `{}` |",
                    p.repo,
                    p.rev,
                    p.kind.as_str(),
                    p.commit
                )?;
            }
        }
        Format::Text => {
            let w = pins
                .iter()
                .map(|p| p.repo.len() + p.rev.len() + 1)
                .max()
                .unwrap_or(0);
            for p in &pins {
                let sel = format!("{}@{}", p.repo, p.rev);
                writeln!(out, "{sel:<w$}  {:<6}  {}", p.kind.as_str(), p.commit)?;
            }
        }
    }
    Ok(if pins.is_empty() {
        Found::No
    } else {
        Found::Yes
    })
}
