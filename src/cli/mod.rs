//! The command line: clap definitions (every flag once, with the doc `--help` shows), the
//! resolved [`Context`], and one small file per command that parses, calls a stage and hands
//! the result to a printer. No stage logic lives here.

mod blocks;
mod context;
mod deps;
mod diff;
mod evidence;
mod explain;
mod export;
mod fetch;
mod findings;
pub mod front;
mod generate;
mod identify;
mod index;
mod pins;
mod rules;
mod search;
mod serve;
mod stats;
mod timeline;
mod watch;
mod xref;

use std::path::PathBuf;

use anyhow::Result;
use clap::{Args, Parser, Subcommand};

pub use crate::report::Format;
use crate::ui::ColorWhen;
pub use blocks::check_block_args;
pub use context::{Context, MANIFEST_NAME, discover};
pub use generate::command;

/// archeo: code archaeology on pinned upstream releases.
///
/// archeo pins upstream git repositories at exact commits (archeo.toml -> archeo.lock), indexes
/// every pinned revision without checking it out, and answers "what changed, where, since which
/// release" with file:line citations on immutable commits.
///
/// Typical session (anywhere inside a project: archeo.toml is found upward, like git does):
///
///   archeo fetch --locked        # fetch the upstreams at the commits archeo.lock pins
///   archeo index                 # index every pinned revision (each file version once)
///   archeo search openat2        # code-aware search across all pinned releases
///   archeo fetch                 # later: re-resolve archeo.toml's revs, update archeo.lock
///
/// Exit codes follow grep: 0 found, 1 nothing found, 2 error.
///
/// Defaults: ARCHEO_MANIFEST, ARCHEO_CACHE_DIR, ARCHEO_INDEX_DIR and ARCHEO_COLOR stand for
/// the global options; a manifest's `[defaults]` table may set index-dir and cache-dir.
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
    /// Flags every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes: where the manifest, cache and index are, and how to talk.
#[derive(Args, Debug)]
pub struct GlobalArgs {
    /// The manifest naming the repositories and revisions to pin; the lock sits beside it as
    /// archeo.lock. Default: archeo.toml in the current directory or the nearest parent.
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        env = "ARCHEO_MANIFEST",
        help_heading = GLOBAL
    )]
    pub manifest: Option<PathBuf>,
    /// Where fetched repositories are kept (bare clones). Default: the manifest's `[defaults]`
    /// cache-dir, else the XDG cache dir's archeo/ (~/.cache/archeo).
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        env = "ARCHEO_CACHE_DIR",
        help_heading = GLOBAL
    )]
    pub cache_dir: Option<PathBuf>,
    /// Where the index lives. Default: ARCHEO_INDEX_DIR, else the manifest's `[defaults]`
    /// index-dir, else index/ beside the manifest. Repeat it to query the shards of one lock as
    /// one index (each built with `archeo index --shard K/N`); ARCHEO_INDEX_DIR may list them
    /// separated by `:` like PATH.
    #[arg(long, global = true, value_name = "DIR", help_heading = GLOBAL)]
    pub index_dir: Vec<PathBuf>,
    /// Print only results and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose", help_heading = GLOBAL)]
    pub quiet: bool,
    /// Say more about what is done (repeat for more).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, help_heading = GLOBAL)]
    pub verbose: u8,
    /// When to color output (auto: on a terminal, unless NO_COLOR is set).
    #[arg(
        long,
        global = true,
        value_name = "WHEN",
        default_value = "auto",
        env = "ARCHEO_COLOR",
        help_heading = GLOBAL
    )]
    pub color: ColorWhen,
}

/// The help heading the global flags are listed under, apart from each command's own.
const GLOBAL: &str = "Global options";

/// archeo's commands.
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
    ///
    /// Examples:
    ///   archeo fetch --locked        # reproduce the committed lock exactly (CI, a fresh clone)
    ///   archeo fetch                 # update: re-resolve branches and new tags, rewrite the lock
    ///   archeo fetch --offline --list
    #[command(verbatim_doc_comment)]
    Fetch(fetch::FetchArgs),
    /// List what archeo.lock pins
    ///
    /// Examples:
    ///   archeo pins
    ///   archeo pins --format md
    #[command(verbatim_doc_comment)]
    Pins(pins::PinsArgs),
    /// Index every pinned revision of archeo.lock, without checking anything out.
    ///
    /// Trees are read straight from the cache's object database. Each distinct file version
    /// (git blob) is read, parsed and indexed once, however many revisions and paths hold it:
    /// Go with tree-sitter (declarations, string literals, calls, rule findings), other text by
    /// line; binaries and files over --max-file-size are skipped and counted. Incremental: only
    /// blobs not yet indexed are parsed; revisions no longer pinned are dropped. One writer at a
    /// time; a run killed at any point leaves the previous index usable.
    ///
    /// Examples:
    ///   archeo index
    ///   archeo index -v --stats          # name skipped files, then print what the index holds
    ///   archeo index --rules my-rules    # add (or override) rules for this index
    #[command(verbatim_doc_comment)]
    Index(index::IndexArgs),
    /// What the index holds, per repository and revision
    ///
    /// Examples:
    ///   archeo stats
    ///   archeo stats --format json
    #[command(verbatim_doc_comment)]
    Stats(stats::StatsArgs),
    /// Code-aware search across every pinned revision, with citations
    ///
    /// A term matches an identifier whole or any of its camelCase/snake_case parts,
    /// case-insensitively: `openat2` finds `unix.Openat2(`, `processOpenat2`, `SYS_OPENAT2`,
    /// `openat2SyscallInfo`. Patterns side by side must all be on the line.
    ///
    /// Query syntax:
    ///   term              an identifier or a camelCase/snake_case part of one
    ///   "exact text"      the text itself, punctuation and spaces kept ("Reopen(", \" for ")
    ///   unix.Openat2      other unquoted text matches exactly too
    ///   /regex/           a Rust regex (regex crate syntax) matched per line, like git grep -E
    ///   a OR b            either; AND is implied between patterns and OR binds looser
    ///   ( ... )           grouping: (Reopen OR openat2) -test
    ///   -term             lines holding term are left out (also -"text", -/re/, -( ... ))
    ///   case:yes          match case (default: ignore case)
    ///   in:code           only matches outside comments and strings (Go and shell files;
    ///   in:comment        also in:comment and in:string)
    ///   repo:NAME         only this repository; -repo: leaves it out
    ///   path:PREFIX|GLOB  only these paths (path:vendor/, path:'**/*_linux.go'); -path: excludes
    ///   sym:NAME          only lines inside this declaration (func, method, type, const, var)
    ///   lang:go|shell|text  only Go files, shell scripts, or other text files
    ///   rule:ID           only lines inside findings of this rule (see `archeo rules list`)
    /// Filters apply to the whole query wherever they stand (outside parentheses).
    ///
    /// Each hit is a line of one distinct file version, shown once with the revisions holding it
    /// (`v1.2.8, v1.3.3..v1.3.5 (4 revs)`) and a permalink to its lines on an immutable commit.
    /// Ranking: declarations of a term first, hand-written before generated files (`// Code
    /// generated ... DO NOT EDIT.`), own code before vendored, exact case before folded, newer
    /// revisions first.
    ///
    /// Examples:
    ///   archeo search openat2
    ///   archeo search RESOLVE_NO_XDEV --at runc@v1.3.3 --no-vendor
    ///   archeo search '"Reopen(" in:code' -l
    ///   archeo search '/Openat2\(.*RESOLVE_/ OR "unsafe procfs detected"' --format md
    ///   archeo search 'sym:WriteSysctls sysctl' -C 2
    #[command(verbatim_doc_comment)]
    Search(search::SearchArgs),
    /// Rules: list them, test them against their cases, or show the syntax tree they match on
    ///
    /// The built-in rules are part of the binary; queries/ beside the manifest, `[rules]` paths
    /// and --rules DIR add rules or override one by id.
    ///
    /// Examples:
    ///   archeo rules list
    ///   archeo rules test --rules my-rules
    ///   archeo rules tree libcontainer/rootfs_linux.go
    #[command(subcommand, verbatim_doc_comment)]
    Rules(rules::RulesCommand),
    /// Rule findings across pinned revisions, with citations (run `archeo index` first)
    ///
    /// A finding in one distinct file version is shown once, with the revisions holding it.
    /// --format sarif writes SARIF 2.1.0 (rule metadata, permalinks as locations) for GitHub
    /// code scanning and other SARIF viewers.
    ///
    /// Examples:
    ///   archeo findings --rule openat2-resolve-no-xdev --repo runc
    ///   archeo findings --at sysbox-fs@master --format md
    ///   archeo findings --no-vendor --format sarif > archeo.sarif
    #[command(verbatim_doc_comment)]
    Findings(findings::FindingsArgs),
    /// Print a Markdown evidence block: search hits and/or rule findings with citations
    ///
    /// A caption states what was asked and every cited revision's full commit (branches as
    /// pinned); then a table (default) or a list with code blocks. Only pinned commits appear,
    /// and the same index and arguments always give the same bytes.
    ///
    /// Examples:
    ///   archeo evidence --rule openat2-resolve-no-xdev --at runc@v1.3.3
    ///   archeo evidence '"unsafe procfs detected"' --repo runc --no-vendor --style list -C 2
    ///   archeo evidence --rule sysctl-write --style list --max-lines 0   # whole findings
    #[command(verbatim_doc_comment)]
    Evidence(evidence::EvidenceArgs),
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
    ///   archeo diff runc@v1.3.2 runc@v1.3.3 --no-vendor --path libcontainer/
    ///   archeo diff runc@v1.3.3 sysbox-runc@master --rule openat2-resolve-no-xdev
    ///   archeo diff runc@v1.3.2 runc@v1.3.3 --search openat2 --format md
    #[command(verbatim_doc_comment)]
    Diff(diff::DiffArgs),
    /// Which revisions hold each finding (or search hit): ranges with their gaps
    ///
    /// Revisions are ordered by version (tags by semantic version, branches last); a finding
    /// held by v1.2.8 and v1.3.3..v1.3.5 but not v1.3.0..v1.3.2 shows exactly that. Each
    /// finding lists where it stood in each revision (path and line), grouped by place.
    ///
    /// Examples:
    ///   archeo timeline --rule openat2-resolve-no-xdev --repo runc
    ///   archeo timeline '"unsafe procfs detected"' --repo runc --format md
    #[command(verbatim_doc_comment)]
    Timeline(timeline::TimelineArgs),
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
    Explain(explain::ExplainArgs),
    /// Regenerate the evidence blocks of Markdown documents
    ///
    /// Every region between `<!-- archeo:begin ARGS -->` and `<!-- archeo:end -->` is replaced
    /// by what ARGS ask for (quoted as in a shell); bytes outside the regions are kept exactly;
    /// files are replaced atomically. With --check nothing is written: stale blocks are listed
    /// as FILE:LINE with a diff, and the exit code is 1; when all are current it says so.
    ///
    /// Block kinds (ARGS start with the command; none means evidence):
    ///   --rule ID --at REPO@REV ...           an evidence table (`archeo evidence` arguments)
    ///   evidence '"a phrase"' --style list    the same, spelled out
    ///   diff REPO@A REPO@B --rule ID ...      `archeo diff`, as Markdown
    ///   timeline --rule ID --repo NAME        `archeo timeline`, as Markdown
    ///   explain 'MESSAGE' --repo NAME         `archeo explain`, as Markdown
    ///
    /// A document holds, for example:
    ///   <!-- archeo:begin --rule openat2-resolve-no-xdev --at runc@v1.3.3 -->
    ///   (generated: leave empty the first time)
    ///   <!-- archeo:end -->
    ///
    /// Examples:
    ///   archeo export docs/report.md
    ///   archeo export --check docs/*.md      # CI: exit 1 and a diff when a block is stale
    #[command(verbatim_doc_comment)]
    Export(export::ExportArgs),
    /// What a release builds with: dependency edges, followed across pinned repositories
    ///
    /// Edges are read from every file version at index time: go.mod require/replace,
    /// vendor/modules.txt, Dockerfile ARG/ENV/FROM, `apt-get install pkg=version`, `git
    /// checkout`/`fetch` of a version variable, shell installers' `: "${NAME:=VALUE}"`
    /// defaults, Makefile variables, one-line version files (`script/setup/runc-version`) and
    /// submodules. Each is cited (file:line permalink) and linked to a pinned repository when
    /// its module path or URL names one, or the manifest's `provides` says so; its version
    /// resolves to a pinned revision (`pinned`), or the nearest pinned tags (`not pinned`), or
    /// says why not (`unresolved`). --depth follows pinned edges into the revisions they name.
    /// Edges to other pinned repositories come first; lines naming the release's own
    /// repository, nested modules no pin follows and edges to nothing pinned are counted, and
    /// listed with --all.
    ///
    /// With --find REPO instead of a release: for every release of the consumers, oldest
    /// first, the version of REPO it names, cited, with changes marked: the first release
    /// that builds a version is the first line showing it.
    ///
    /// Examples:
    ///   archeo deps moby@v28.5.2
    ///   archeo deps containerd@v1.7.28 --depth 2 --format md
    ///   archeo deps --find runc --repo moby          # which runc each Docker release builds
    #[command(verbatim_doc_comment)]
    Deps(deps::DepsArgs),
    /// Which releases ship a component version that carries a finding
    ///
    /// For every release of the consumers (every pinned repository, or --repo), each edge to a
    /// repository holding the target (a rule's findings, or a search's lines) is resolved to
    /// the pinned component revision, and that revision is checked: present, absent, or
    /// unknown (the version is not pinned, or not resolvable from source). Each row cites the
    /// consumer's file that pins the version. --first: per consumer, the first pinned release
    /// that ships it, and after which.
    ///
    /// Examples:
    ///   archeo affected --rule openat2-resolve-no-xdev --repo moby
    ///   archeo affected 'rule:sysctl-write sym:WriteSysctls' --format md
    ///   archeo affected 'rule:sysctl-write sym:WriteSysctls' --repo moby --first   # from which release on
    #[command(verbatim_doc_comment)]
    Affected(deps::AffectedArgs),
    /// Which pinned upstream release is this binary, layer, image or package?
    ///
    /// Reads artifacts without running anything from them: ELF binaries (Go build info: Go
    /// version, module, dependencies, vcs.revision, -ldflags; strings injected with -X; the
    /// function table; C and Rust programs: version and commit strings, and the crates with
    /// versions a Rust binary's source paths name), and every binary inside directories, image
    /// layers (tar, tar.gz, tar.zst, tar.xz), `docker save` archives, OCI image layouts and
    /// Debian packages (control fields too). Each is matched to a pinned revision: exact
    /// commit (vcs.revision, an injected or printed commit), else by version (the version
    /// string names a pinned tag), else by function table (Go) or by Cargo.lock (Rust), else
    /// unknown; a Rust binary's crates are matched to the pinned revisions whose Cargo.toml
    /// declares their versions (provides = ["pathrs"] names a crate's repository). Distribution
    /// rebuilds and dependency versions that differ from upstream's vendor/modules.txt are
    /// reported. Every fact is shown with where it was read (section and file offset, symbol,
    /// control field).
    ///
    /// With --rule or --findings, says which rule findings the matched revision (and each
    /// crate's) carries (needs `archeo index`); --fail-on makes it a gate: exit 3 when one
    /// carries the rule's findings. Exit 0 when something was matched, 1 when nothing was.
    ///
    /// Examples:
    ///   archeo identify /usr/sbin/runc
    ///   archeo identify runc_1.1.5+ds1-1_amd64.deb --rule openat2-resolve-no-xdev
    ///   archeo identify /usr/bin/youki --rule rust-openat2-resolve-no-xdev   # and its crates
    ///   archeo identify image.tar --fail-on openat2-resolve-no-xdev   # in a Dockerfile or CI
    #[command(verbatim_doc_comment)]
    Identify(identify::IdentifyArgs),
    /// Where a function, method, type or variable is declared, in which releases
    ///
    /// Names: F, pkg.F (package name or import path tail: internal/sys.WriteSysctls), T.M,
    /// (*T).M, pkg.(*T).M, or a shell function. Each definition is cited once with the pinned
    /// revisions holding it. Exit 1 when the name is declared nowhere selected.
    ///
    /// Examples:
    ///   archeo defs WriteSysctls --repo runc
    ///   archeo defs '(*linuxStandardInit).Init' --at runc@v1.3.3
    #[command(verbatim_doc_comment)]
    Defs(xref::NameArgs),
    /// Every reference to a name: call sites and uses as a value, grouped by release range
    ///
    /// References come from the parse (never from comments, strings or here-docs) and are
    /// resolved the way the language would: Go through the file's imports, its own package,
    /// the receiver's known type, interfaces (dispatch: every type with the method), else by
    /// method name (by-name); shell through the files a script sources, else by name. Each
    /// edge says which (exact, dispatch, by-name). Exit 1 when there is none.
    ///
    /// Examples:
    ///   archeo refs runCommand --at runc@v1.3.3
    ///   archeo refs _cai_info --at ContainAI@main --format md
    #[command(verbatim_doc_comment)]
    Refs(xref::NameArgs),
    /// Call sites of a function (and their callers' with --depth), grouped by release range
    ///
    /// Like `refs`, calls only. With no call site it says so ("0 call sites of NAME in
    /// novotnyllc/ContainAI@main") and exits 1; an unknown name exits 1 with names close to it.
    ///
    /// Examples:
    ///   archeo callers WriteSysctls --at runc@v1.3.3
    ///   archeo callers WriteSysctls --repo runc --depth 3
    ///   archeo callers _cai_docker_desktop_version --at ContainAI@main
    #[command(verbatim_doc_comment)]
    Callers(xref::CallersArgs),
    /// What a function's definitions call or use, each edge resolved and cited
    ///
    /// Examples:
    ///   archeo callees '(*linuxStandardInit).Init' --at runc@v1.3.3
    #[command(verbatim_doc_comment)]
    Callees(xref::NameArgs),
    /// The shortest call paths from one function to another, each hop cited
    ///
    /// Paths over exact edges are preferred; when there are none, interface dispatch is
    /// allowed, then by-name edges. A path held identically by several revisions is shown
    /// once with their range. Exit 1 when there is no path.
    ///
    /// Examples:
    ///   archeo path main.init WriteSysctls --at runc@v1.3.3
    ///   archeo path _cai_main _cai_info --at ContainAI@main --max 1
    #[command(verbatim_doc_comment)]
    Path(xref::PathArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish)
    ///
    /// Examples:
    ///   archeo completions bash > ~/.local/share/bash-completion/completions/archeo
    ///   archeo completions zsh > ~/.zfunc/_archeo     # with fpath+=(~/.zfunc) in ~/.zshrc
    ///   archeo completions fish > ~/.config/fish/completions/archeo.fish
    #[command(verbatim_doc_comment)]
    Completions(generate::CompletionsArgs),
    /// Print the man page (or write one page per command into --dir)
    ///
    /// Examples:
    ///   archeo man | man -l -
    ///   archeo man --dir ~/.local/share/man/man1
    #[command(verbatim_doc_comment)]
    Man(generate::ManArgs),
    /// Serve the index in a browser: search, files at pinned revisions, rules and timelines,
    /// diff, explain, and a JSON API
    ///
    /// Pages are rendered on the server (no JavaScript, nothing loaded from the network), and
    /// /api/search, /api/findings, /api/diff, /api/timeline and /api/explain answer with exactly
    /// what `--format json` prints for the same query. Read-only; this machine only unless
    /// --addr says otherwise. A rebuilt index (`archeo index` while serving) is picked up
    /// without a restart. Stops on Ctrl-C.
    ///
    /// Examples:
    ///   archeo serve --open
    ///   archeo serve --addr 127.0.0.1:8080 --timeout-ms 3000
    #[command(verbatim_doc_comment)]
    Serve(serve::ServeArgs),
    /// Check the upstreams for new releases, and report what they change of what you watch
    ///
    /// Re-resolves archeo.toml's revs (new tags matching `v1.*`, branches that moved), fetches
    /// and indexes only what is new, and compares each new revision's watched findings with
    /// its predecessor's by identity (the previous tag in version order; for a moved branch,
    /// its previous commit), the way `archeo diff` does. What is watched is in the manifest:
    ///
    ///   [[repo]]
    ///   name = "runc"
    ///   revs = ["v1.3.*"]
    ///   watch = ["openat2-resolve-no-xdev", "rule:sysctl-write sym:WriteSysctls"]
    ///   consumers = ["moby"]     # their new releases that move their runc pin are news too
    ///
    /// A watch entry is a rule id (its findings) or a search query (the lines it matches). For
    /// a new release of a watched repository the report names the consumer releases that ship
    /// it; a new consumer release that ships another revision of it says what that brings.
    /// archeo.lock is the previous state: it is written only with --update-lock (a tag that
    /// moved is refused unless --update is given, as `archeo fetch` does).
    ///
    /// Exit codes: 0 something new upstream, nothing watched changed; 1 nothing new
    /// upstream; 3 a watched finding changed (added, removed or changed; a finding that only
    /// moved does not count), or a consumer's pin moved in a way that cannot be compared;
    /// 2 an error.
    ///
    /// Examples:
    ///   archeo watch                                   # what is new since archeo.lock
    ///   archeo watch --update-lock --format md > report.md   # a scheduled job's pull request
    ///   archeo watch --format sarif > watch.sarif      # for code scanning
    ///   archeo watch || notify-send "archeo: watched findings changed"
    #[command(verbatim_doc_comment)]
    // The help shows a manifest's `[[repo]]` as written; it is no link.
    #[allow(rustdoc::broken_intra_doc_links)]
    Watch(watch::WatchArgs),
}

/// Which revisions: shared by every query command.
#[derive(Args, Debug, Clone, Default)]
pub struct RevisionArgs {
    /// Only this revision (REPO@REV: a pinned rev name or commit prefix); repeatable.
    #[arg(long = "at", value_name = "REPO@REV")]
    pub at: Vec<String>,
    /// Only this repository; repeatable.
    #[arg(long = "repo", value_name = "NAME")]
    pub repo: Vec<String>,
}

/// What to search: shared by search and evidence.
#[derive(Args, Debug, Clone, Default)]
pub struct ScopeArgs {
    /// Which revisions.
    #[command(flatten)]
    pub revs: RevisionArgs,
    /// Only paths matching this pattern: a path prefix at any directory (sys/ matches
    /// internal/sys/...) or a glob ('**/*_linux.go'); a leading / anchors it at the root.
    #[arg(long, value_name = "PATTERN")]
    pub path: Option<String>,
    /// Only this language.
    #[arg(long, value_name = "LANG", value_parser = clap::builder::PossibleValuesParser::new(crate::lang::names()))]
    pub lang: Option<String>,
    /// Leave out vendored code (paths under vendor/).
    #[arg(long)]
    pub no_vendor: bool,
}

impl ScopeArgs {
    /// The search scope these flags name.
    pub fn scope(&self) -> crate::query::search::Scope {
        crate::query::search::Scope {
            at: self.revs.at.clone(),
            repos: self.revs.repo.clone(),
            path: self.path.clone(),
            lang: self.lang.clone(),
            no_vendor: self.no_vendor,
        }
    }
}

/// Whether a query found anything: exit code 0 or 1 (3 for what a watch alerts on).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Something was found: exit 0.
    Yes,
    /// Nothing was found: exit 1.
    No,
    /// What the command watches for happened (`archeo watch`: a watched finding changed):
    /// exit 3, as a refused gate, so `archeo watch || notify` works.
    Alert,
}

impl Found {
    /// `Yes` when `any`.
    pub fn from(any: bool) -> Found {
        if any { Found::Yes } else { Found::No }
    }
}

/// Runs archeo with the process arguments, every command in this process; returns the exit
/// code. (The `archeo` binary runs [`front::main`], `archeo-full` [`front::main_full`].)
pub fn main() -> i32 {
    match Cli::try_parse() {
        Ok(cli) => finish(run(cli)),
        Err(e) => usage_error(e),
    }
}

/// Prints clap's message (usage error, `--help`, `--version`); its exit code.
fn usage_error(e: clap::Error) -> i32 {
    let code = if e.use_stderr() { 2 } else { 0 };
    let _ = e.print();
    code
}

/// The exit code of a command's outcome, its error printed.
fn finish(r: Result<Found>) -> i32 {
    match r {
        Ok(Found::Yes) => 0,
        Ok(Found::No) => 1,
        Ok(Found::Alert) => 3,
        Err(e) => {
            let code = crate::error::exit_code(&e);
            if code >= 2 {
                crate::say!("error: {}", crate::report::term_lines(&format!("{e:#}")));
            }
            code
        }
    }
}

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<Found> {
    // Resolved only by commands that read a project: completions and man work anywhere.
    let ctx = || Context::new(&cli.global);
    match cli.command {
        Command::Fetch(a) => fetch::run(&ctx()?, a),
        Command::Pins(a) => pins::run(&ctx()?, a),
        Command::Index(a) => index::run(&ctx()?, a),
        Command::Stats(a) => stats::run(&ctx()?, a),
        Command::Search(a) => search::run(&ctx()?, a),
        Command::Rules(c) => rules::run(&ctx()?, c),
        Command::Findings(a) => findings::run(&ctx()?, a),
        Command::Evidence(a) => evidence::run(&ctx()?, a),
        Command::Diff(a) => diff::run(&ctx()?, a),
        Command::Timeline(a) => timeline::run(&ctx()?, a),
        Command::Explain(a) => explain::run(&ctx()?, a),
        Command::Export(a) => export::run(&ctx()?, a),
        Command::Identify(a) => identify::run(&ctx()?, a),
        Command::Deps(a) => deps::run(&ctx()?, a),
        Command::Affected(a) => deps::run_affected(&ctx()?, a),
        Command::Completions(a) => generate::completions(a),
        Command::Man(a) => generate::man(a),
        Command::Defs(a) => xref::run(&ctx()?, crate::query::xref::Ask::Defs, a),
        Command::Refs(a) => xref::run(&ctx()?, crate::query::xref::Ask::Refs, a),
        Command::Callers(a) => xref::run_callers(&ctx()?, a),
        Command::Callees(a) => xref::run(&ctx()?, crate::query::xref::Ask::Callees, a),
        Command::Path(a) => xref::run_path(&ctx()?, a),
        Command::Serve(a) => serve::run(&ctx()?, a),
        Command::Watch(a) => watch::run(&ctx()?, a),
    }
}
