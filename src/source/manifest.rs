//! The manifest (`archeo.toml`): which upstream repositories to pin and at which revisions.
//! Owns parsing and validation only; resolving revisions is the fetch stage's job.

use std::path::{Path, PathBuf};

use crate::error::{FileError, Location};

type Result<T, E = FileError> = std::result::Result<T, E>;
use serde::Deserialize;
use toml::Spanned;

/// A validated manifest.
#[derive(Debug, Clone, Default)]
pub struct Manifest {
    /// The manifest file.
    pub path: PathBuf,
    /// Its repositories, in order.
    pub repos: Vec<RepoSpec>,
    /// Extra rule directories (`[rules] paths`), resolved against the manifest's directory.
    pub rule_paths: Vec<PathBuf>,
    /// The project's defaults for global flags (`[defaults]`).
    pub defaults: Defaults,
}

/// `[defaults]`: where the project keeps its index and cache, resolved against the manifest's
/// directory. Command-line flags and `ARCHEO_*` variables take precedence.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Defaults {
    /// `index-dir`.
    pub index_dir: Option<PathBuf>,
    /// `cache-dir`.
    pub cache_dir: Option<PathBuf>,
}

impl Defaults {
    /// The `[defaults]` of the manifest at `path`, or none when it is not a regular file (a pipe
    /// is left whole for the command), cannot be read, or its TOML or `[defaults]` table does
    /// not parse (the command that reads the whole manifest says why). The rest of the
    /// manifest is not checked: a search, which needs only these, does not pay for validating
    /// every repository.
    pub fn of_manifest(path: &Path) -> Defaults {
        // Only a regular file: a pipe (`--manifest <(...)`) would be drained here, leaving the
        // command that reads the manifest an empty one (and a FIFO without a writer blocks).
        if !path.is_file() {
            return Defaults::default();
        }
        let Ok(Some(text)) = crate::error::read_optional(path) else {
            return Defaults::default();
        };
        // A TOML key is spelled out, bare or quoted, or escaped inside a quoted key: a text
        // holding neither `defaults` nor a `\u`/`\U` escape has no such table, and most
        // manifests are answered without parsing them.
        if !text.contains("defaults") && !text.contains("\\u") && !text.contains("\\U") {
            return Defaults::default();
        }
        match toml::from_str::<RawDefaultsOnly>(&text) {
            Ok(raw) => Defaults::resolve(path.parent().unwrap_or(Path::new(".")), raw.defaults),
            Err(_) => Defaults::default(),
        }
    }

    fn resolve(base: &Path, raw: Option<RawDefaults>) -> Defaults {
        raw.map(|d| Defaults {
            index_dir: d.index_dir.map(|p| base.join(p)),
            cache_dir: d.cache_dir.map(|p| base.join(p)),
        })
        .unwrap_or_default()
    }
}

/// One `[[repo]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoSpec {
    /// Unique name, used in selectors (`runc@v1.3.3`).
    pub name: String,
    /// Where to fetch it.
    pub url: String,
    /// Revisions to pin.
    pub revs: Vec<RevSpec>,
    /// Path patterns the indexer skips (see [`crate::path_filter`]).
    pub exclude: Vec<String>,
    /// Names other repositories' files use for this one (`provides`), for dependency links.
    pub provides: Vec<Provide>,
    /// The findings whose changes `archeo watch` reports (`watch`).
    pub watch: Vec<Watched>,
    /// Repositories whose releases ship this one (`consumers`): `archeo watch` reports their
    /// new releases that move their pin of it.
    pub consumers: Vec<String>,
}

/// One `watch` entry: what of a repository's code matters to the project, as `identify
/// --fail-on` takes it: a rule id (that rule's findings), or a search query (the lines it
/// matches: `rule:sysctl-write sym:WriteSysctls` is that rule's findings inside that function).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watched {
    /// The entry as written.
    pub entry: String,
    /// A search query (checked to parse), not a rule id.
    pub is_query: bool,
    /// Where it is written, for what only the loaded rules can tell (an unknown rule id).
    pub at: Location,
}

/// One `provides` entry: a name (a variable such as `RUNC_VERSION`, a package such as
/// `containerd.io`, a module path) that, in the files of the repositories listed in `within`
/// (any repository when empty), stands for this repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provide {
    /// The name (a variable, package, image or module name).
    pub name: String,
    /// Manifest names of the repositories whose files use `name` this way (`in = [...]`).
    pub within: Vec<String>,
}

/// How a manifest names a revision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevSpec {
    /// A glob over tag names, e.g. `v1.*`.
    TagGlob(String),
    /// A tag, a branch or a (short) commit id; which one is decided against the repository.
    Name(String),
}

impl RevSpec {
    /// A glob when it holds glob characters, else a name.
    pub fn parse(s: &str) -> RevSpec {
        if s.contains(['*', '?', '[']) {
            RevSpec::TagGlob(s.to_string())
        } else {
            RevSpec::Name(s.to_string())
        }
    }
    /// As written.
    pub fn as_str(&self) -> &str {
        match self {
            RevSpec::TagGlob(s) | RevSpec::Name(s) => s,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    #[serde(default)]
    repo: Vec<RawRepo>,
    #[serde(default)]
    rules: Option<RawRules>,
    #[serde(default)]
    defaults: Option<RawDefaults>,
}

/// A manifest read for its `[defaults]` alone (every other table is skipped unchecked).
#[derive(Deserialize)]
struct RawDefaultsOnly {
    #[serde(default)]
    defaults: Option<RawDefaults>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawDefaults {
    index_dir: Option<String>,
    cache_dir: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default)]
    paths: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRepo {
    name: Spanned<String>,
    url: Spanned<String>,
    revs: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    provides: Vec<Spanned<toml::Value>>,
    #[serde(default)]
    watch: Vec<Spanned<String>>,
    #[serde(default)]
    consumers: Vec<Spanned<String>>,
}

/// Returns an invalid-manifest error at a span of the text.
macro_rules! invalid {
    ($path:expr, $text:expr, $span:expr, $($fmt:tt)*) => {
        return Err(FileError::invalid(
            Location::of_offset($path, $text, $span.start),
            format!($($fmt)*),
        ))
    };
}

/// The longest rev (tag, branch, commit or tag glob) a manifest may name, in bytes.
pub const MAX_REV_LEN: usize = 256;

/// Is `name` usable in a `REPO@REV` selector and as a directory name?
pub fn is_selector_safe(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !name.starts_with('.')
}

impl Manifest {
    /// Reads and validates a manifest.
    pub fn load(path: &Path) -> Result<Manifest> {
        let text = crate::error::read_optional(path)?.ok_or_else(|| FileError::NotFound {
            what: "manifest",
            path: path.to_path_buf(),
            hint: "create one (see `archeo --help` and docs/manifest.md) or pass --manifest PATH",
        })?;
        Self::parse(path, &text)
    }

    /// Validates a manifest's text; errors name `path:line:col`.
    pub fn parse(path: &Path, text: &str) -> Result<Manifest> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| {
            let at = match e.span() {
                Some(span) => Location::of_offset(path, text, span.start),
                None => Location::file(path),
            };
            FileError::invalid(at, format!("invalid manifest: {}", e.message().trim()))
        })?;
        if raw.repo.is_empty() {
            return Err(FileError::invalid(
                Location::file(path),
                "the manifest names no repository; add a [[repo]] table with name, url and revs",
            ));
        }
        let names: Vec<String> = raw.repo.iter().map(|r| r.name.get_ref().clone()).collect();
        let mut repos: Vec<RepoSpec> = Vec::new();
        let mut pending_provides = Vec::new();
        for r in &raw.repo {
            let spec = repo_spec(path, text, r, &repos)?;
            pending_provides.push(provides(path, text, r, &spec.name)?);
            repos.push(spec);
        }
        // `in` may name a repository listed later in the manifest.
        for (repo, provides) in repos.iter_mut().zip(pending_provides) {
            for (p, span) in provides {
                if let Some(unknown) = p.within.iter().find(|w| !names.contains(w)) {
                    invalid!(
                        path,
                        text,
                        span,
                        "provides {:?} of {:?}: `in` names {unknown:?}, which is not a repository of this manifest",
                        p.name,
                        repo.name
                    );
                }
                repo.provides.push(p);
            }
        }
        for (repo, r) in repos.iter_mut().zip(&raw.repo) {
            repo.consumers = consumers(path, text, r, repo, &names)?;
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let rule_paths = raw
            .rules
            .map(|r| r.paths.into_iter().map(|p| base.join(p)).collect())
            .unwrap_or_default();
        let defaults = Defaults::resolve(base, raw.defaults);
        Ok(Manifest {
            path: path.to_path_buf(),
            repos,
            rule_paths,
            defaults,
        })
    }

    /// `(alias, repo)` pairs: the names (module paths, package names, version variables)
    /// that `provides` declares for a repository, whichever repository uses them.
    pub fn aliases(&self) -> Vec<(String, String)> {
        self.repos
            .iter()
            .flat_map(|r| {
                r.provides
                    .iter()
                    .filter(|p| p.within.is_empty())
                    .map(|p| (p.name.clone(), r.name.clone()))
            })
            .collect()
    }

    /// The repository named `name`.
    pub fn repo(&self, name: &str) -> Option<&RepoSpec> {
        self.repos.iter().find(|r| r.name == name)
    }
}

/// One `[[repo]]` table, validated (its `provides` are read by [`provides`]).
fn repo_spec(path: &Path, text: &str, r: &RawRepo, before: &[RepoSpec]) -> Result<RepoSpec> {
    let name = r.name.get_ref().clone();
    if !is_selector_safe(&name) {
        invalid!(
            path,
            text,
            r.name.span(),
            "repository name {name:?} is not selector-safe: use letters, digits, '-', '_' or '.' (it is used as NAME@REV)"
        );
    }
    if before.iter().any(|p| p.name == name) {
        invalid!(
            path,
            text,
            r.name.span(),
            "duplicate repository name {name:?}: names must be unique"
        );
    }
    let url = r.url.get_ref().trim().to_string();
    if let Err(crate::source::git::GitError::BadUrl { reason, .. }) =
        crate::source::git::validate_url(&url)
    {
        invalid!(path, text, r.url.span(), "url {url:?}: {reason}");
    }
    if r.revs.get_ref().is_empty() {
        invalid!(
            path,
            text,
            r.revs.span(),
            "repository {name:?} lists no revs: name at least one tag, branch, commit or tag glob"
        );
    }
    let mut revs = Vec::new();
    for rev in r.revs.get_ref() {
        revs.push(check_rev(path, text, &name, rev)?);
    }
    let mut exclude = Vec::new();
    for g in &r.exclude {
        if let Err(e) = crate::path_filter::PathFilter::new(g.get_ref()) {
            invalid!(path, text, g.span(), "exclude: {e}");
        }
        exclude.push(g.get_ref().clone());
    }
    let mut watch: Vec<Watched> = Vec::new();
    for w in &r.watch {
        let entry = check_watch(path, text, &name, w)?;
        if watch.iter().any(|x| x.entry == entry.entry) {
            invalid!(
                path,
                text,
                w.span(),
                "watch of {name:?} lists {:?} twice: remove one",
                entry.entry
            );
        }
        watch.push(entry);
    }
    Ok(RepoSpec {
        name,
        url,
        revs,
        exclude,
        provides: Vec::new(),
        watch,
        consumers: Vec::new(),
    })
}

/// One `watch` entry, checked: a rule id, or a search query that parses (its errors point
/// into the entry).
fn check_watch(path: &Path, text: &str, name: &str, w: &Spanned<String>) -> Result<Watched> {
    let entry = w.get_ref().trim().to_string();
    let span = w.span();
    if entry.is_empty() {
        invalid!(
            path,
            text,
            span,
            "watch of {name:?} has an empty entry: name a rule id (openat2-resolve-no-xdev) or a search query ('rule:sysctl-write sym:WriteSysctls')"
        );
    }
    let is_query = crate::query::syntax::is_query(&entry);
    if is_query {
        if let Err(e) = crate::query::syntax::Query::parse(&entry) {
            // The column inside the entry, when the string is written as read (no escapes).
            let inner = span.start + 1;
            let at = match e.offset {
                Some(off) if text.get(inner..).is_some_and(|t| t.starts_with(&entry)) => {
                    inner + off
                }
                _ => span.start,
            };
            invalid!(path, text, at..at, "watch entry {entry:?} of {name:?}: {e}");
        }
    } else if !entry
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        invalid!(
            path,
            text,
            span,
            "watch entry {entry:?} of {name:?} is neither a rule id (letters, digits, '-', '_', '.') nor a search query (a query holds a filter or several words: 'openat2 lang:go')"
        );
    }
    Ok(Watched {
        entry,
        is_query,
        at: Location::of_offset(path, text, span.start),
    })
}

/// A repository's `consumers`: other repositories of this manifest, each once, and only for
/// a repository that watches something.
fn consumers(
    path: &Path,
    text: &str,
    r: &RawRepo,
    repo: &RepoSpec,
    names: &[String],
) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for c in &r.consumers {
        let n = c.get_ref().trim();
        if repo.watch.is_empty() {
            invalid!(
                path,
                text,
                c.span(),
                "consumers of {:?} are followed for its watched findings, and it watches none: add watch = [\"RULE-ID\" or \"QUERY\", ...]",
                repo.name
            );
        }
        if n == repo.name {
            invalid!(
                path,
                text,
                c.span(),
                "{:?} lists itself as its consumer: name the repositories that ship it",
                repo.name
            );
        }
        if !names.iter().any(|x| x == n) {
            invalid!(
                path,
                text,
                c.span(),
                "consumer {n:?} of {:?} is not a repository of this manifest: add a [[repo]] for it, or remove it",
                repo.name
            );
        }
        if out.iter().any(|x| x == n) {
            invalid!(
                path,
                text,
                c.span(),
                "consumers of {:?} list {n:?} twice: remove one",
                repo.name
            );
        }
        out.push(n.to_string());
    }
    Ok(out)
}

/// One `revs` entry, checked: a tag, branch, commit or bounded tag glob.
fn check_rev(path: &Path, text: &str, name: &str, rev: &Spanned<String>) -> Result<RevSpec> {
    let s = rev.get_ref().trim();
    if s.is_empty() || s.contains(char::is_whitespace) || s.contains('@') {
        invalid!(
            path,
            text,
            rev.span(),
            "rev {s:?} of {name:?} is not a tag, branch, commit or glob"
        );
    }
    if s.len() > MAX_REV_LEN {
        invalid!(
            path,
            text,
            rev.span(),
            "rev of {name:?} is {} bytes long; the limit is {MAX_REV_LEN}",
            s.len()
        );
    }
    if let RevSpec::TagGlob(g) = RevSpec::parse(s) {
        let wildcards = g.matches(['*', '?', '[']).count();
        if wildcards > crate::path_filter::MAX_WILDCARDS {
            invalid!(
                path,
                text,
                rev.span(),
                "tag glob of {name:?} has {wildcards} wildcards; the limit is {}",
                crate::path_filter::MAX_WILDCARDS
            );
        }
        if let Err(e) = globset::Glob::new(&g) {
            invalid!(path, text, rev.span(), "bad tag glob {g:?}: {e}");
        }
    }
    Ok(RevSpec::parse(s))
}

/// A repository's `provides` items with their spans (`in` is checked once every repository is
/// known).
fn provides(
    path: &Path,
    text: &str,
    r: &RawRepo,
    name: &str,
) -> Result<Vec<(Provide, std::ops::Range<usize>)>> {
    let mut out: Vec<(Provide, std::ops::Range<usize>)> = Vec::new();
    for item in &r.provides {
        let p = match parse_provide(item.get_ref()) {
            Ok(p) => p,
            Err(msg) => invalid!(path, text, item.span(), "provides of {name:?}: {msg}"),
        };
        if out
            .iter()
            .any(|(q, _)| q.name == p.name && q.within == p.within)
        {
            invalid!(
                path,
                text,
                item.span(),
                "provides of {name:?} lists {:?} twice: remove one",
                p.name
            );
        }
        out.push((p, item.span()));
    }
    Ok(out)
}

/// A `provides` item: `"NAME"` or `{ name = "NAME", in = ["repo", ...] }` (`in` may be one string).
fn parse_provide(v: &toml::Value) -> std::result::Result<Provide, String> {
    let check = |n: &str| -> std::result::Result<String, String> {
        let n = n.trim();
        if n.is_empty() || n.contains(char::is_whitespace) {
            Err(format!(
                "{n:?} is not a name: use a variable, package, image or module name without spaces"
            ))
        } else {
            Ok(n.to_string())
        }
    };
    match v {
        toml::Value::String(s) => Ok(Provide {
            name: check(s)?,
            within: Vec::new(),
        }),
        toml::Value::Table(t) => {
            if let Some(k) = t.keys().find(|k| *k != "name" && *k != "in") {
                return Err(format!("unknown key {k:?}: an entry has `name` and optionally `in`"));
            }
            let name = match t.get("name") {
                Some(toml::Value::String(s)) => check(s)?,
                _ => return Err("an entry needs `name = \"...\"`".into()),
            };
            let within = match t.get("in") {
                None => Vec::new(),
                Some(toml::Value::String(s)) => vec![s.clone()],
                Some(toml::Value::Array(a)) => a
                    .iter()
                    .map(|x| x.as_str().map(str::to_string))
                    .collect::<Option<Vec<_>>>()
                    .ok_or("`in` lists repository names: strings")?,
                Some(_) => return Err("`in` is a repository name or a list of them".into()),
            };
            Ok(Provide { name, within })
        }
        _ => Err("an entry is a name (\"RUNC_VERSION\") or a table ({ name = \"REF\", in = [\"repo\"] })".into()),
    }
}

impl RepoSpec {
    /// The manifest's `exclude` patterns (validated when the manifest was loaded).
    pub fn exclude_set(&self) -> crate::path_filter::PathSet {
        let mut set = crate::path_filter::PathSet::default();
        for p in &self.exclude {
            if let Ok(f) = crate::path_filter::PathFilter::new(p) {
                set.exclude(f);
            }
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Manifest> {
        Manifest::parse(Path::new("archeo.toml"), s)
    }

    #[test]
    fn unknown_key_is_reported_with_line_and_column() {
        let err = parse(
            "[[repo]]\nname = \"a\"\nurl = \"https://x.org/a\"\nrevs = [\"v1\"]\nrves = []\n",
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("archeo.toml:5:1:"), "{err}");
        assert!(err.contains("rves"), "{err}");
    }

    #[test]
    fn globs_and_names_are_told_apart() {
        let m = parse(
            "[[repo]]\nname = \"a\"\nurl = \"https://x.org/a\"\nrevs = [\"v1.*\", \"main\"]\n",
        )
        .unwrap();
        assert_eq!(
            m.repos[0].revs,
            vec![
                RevSpec::TagGlob("v1.*".into()),
                RevSpec::Name("main".into())
            ]
        );
    }

    #[test]
    fn duplicate_and_unsafe_names_are_errors() {
        let dup = "[[repo]]\nname = \"a\"\nurl = \"https://x.org/a\"\nrevs = [\"v1\"]\n[[repo]]\nname = \"a\"\nurl = \"https://x.org/b\"\nrevs = [\"v1\"]\n";
        let err = parse(dup).unwrap_err().to_string();
        assert!(
            err.contains("archeo.toml:6:8") && err.contains("duplicate"),
            "{err}"
        );
        let bad = "[[repo]]\nname = \"a@b\"\nurl = \"https://x.org/a\"\nrevs = [\"v1\"]\n";
        assert!(
            parse(bad)
                .unwrap_err()
                .to_string()
                .contains("selector-safe")
        );
    }

    #[test]
    fn provides_takes_names_and_scoped_tables() {
        let m = parse(
            "[[repo]]\nname = \"runc\"\nurl = \"https://x.org/runc\"\nrevs = [\"v1\"]\nprovides = [\"RUNC_VERSION\", { name = \"runc_ref\", in = \"pkg\" }]\n[[repo]]\nname = \"pkg\"\nurl = \"https://x.org/pkg\"\nrevs = [\"main\"]\n",
        )
        .unwrap();
        assert_eq!(
            m.repos[0].provides,
            vec![
                Provide {
                    name: "RUNC_VERSION".into(),
                    within: vec![]
                },
                Provide {
                    name: "runc_ref".into(),
                    within: vec!["pkg".into()]
                }
            ]
        );
        assert!(m.repos[1].provides.is_empty());
    }

    #[test]
    fn bad_provides_are_reported_at_their_entry() {
        let base = "[[repo]]\nname = \"runc\"\nurl = \"https://x.org/runc\"\nrevs = [\"v1\"]\n";
        let err = |p: &str| parse(&format!("{base}{p}\n")).unwrap_err().to_string();
        let e = err("provides = [\"A\", { name = \"REF\", in = [\"nope\"] }]");
        assert!(
            e.starts_with("archeo.toml:5:18:") && e.contains("\"nope\""),
            "{e}"
        );
        let e = err("provides = [\"two words\"]");
        assert!(
            e.starts_with("archeo.toml:5:13:") && e.contains("not a name"),
            "{e}"
        );
        let e = err("provides = [{ name = \"REF\", scope = \"x\" }]");
        assert!(e.contains("unknown key \"scope\""), "{e}");
        let e = err("provides = [\"A\", \"A\"]");
        assert!(e.contains("twice"), "{e}");
        let e = err("provides = [3]");
        assert!(e.contains("archeo.toml:5:13"), "{e}");
    }

    #[test]
    fn defaults_resolve_against_the_manifest_directory() {
        let m = Manifest::parse(
            Path::new("/p/archeo.toml"),
            "[defaults]\nindex-dir = \"build/index\"\ncache-dir = \"/var/cache/a\"\n[[repo]]\nname = \"a\"\nurl = \"https://x.org/a\"\nrevs = [\"v1\"]\n",
        )
        .unwrap();
        assert_eq!(m.defaults.index_dir, Some(PathBuf::from("/p/build/index")));
        assert_eq!(m.defaults.cache_dir, Some(PathBuf::from("/var/cache/a")));
        let e = parse("[defaults]\nindex = \"x\"\n[[repo]]\nname = \"a\"\nurl = \"https://x.org/a\"\nrevs = [\"v1\"]\n")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("archeo.toml:2:1:") && e.contains("index"),
            "{e}"
        );
    }

    #[test]
    fn defaults_alone_are_read_from_a_manifest_whose_repositories_are_not_checked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("archeo.toml");
        let defaults = |text: &str| {
            std::fs::write(&path, text).unwrap();
            Defaults::of_manifest(&path)
        };
        // A repository the whole manifest refuses (no url) does not hide the defaults...
        let d = defaults("[defaults]\nindex-dir = \"ix\"\n[[repo]]\nname = \"a\"\n");
        assert!(parse("[defaults]\nindex-dir = \"ix\"\n[[repo]]\nname = \"a\"\n").is_err());
        assert_eq!(d.index_dir, Some(dir.path().join("ix")));
        assert_eq!(d.cache_dir, None);
        // ...but broken TOML or an unknown key in [defaults] leaves none, as the whole parse would.
        assert_eq!(
            defaults("[defaults\nindex-dir = \"ix\"\n"),
            Defaults::default()
        );
        assert_eq!(
            defaults("[defaults]\nindex = \"ix\"\n"),
            Defaults::default()
        );
        assert_eq!(
            Defaults::of_manifest(&dir.path().join("missing.toml")),
            Defaults::default()
        );
        // However the key is written.
        let d = defaults("defaults.index-dir = \"a\"\n");
        assert_eq!(d.index_dir, Some(dir.path().join("a")));
        let d = defaults("\"def\\u0061ults\" = { cache-dir = \"c\" }\n");
        assert_eq!(d.cache_dir, Some(dir.path().join("c")));
        let d = defaults("[ 'defaults' ]\nindex-dir = \"b\"\n");
        assert_eq!(d.index_dir, Some(dir.path().join("b")));
    }

    #[test]
    fn watch_entries_are_rule_ids_or_queries_and_consumers_name_repositories() {
        let m = parse(
            "[[repo]]\nname = \"runc\"\nurl = \"https://x.org/runc\"\nrevs = [\"v1.*\"]\nwatch = [\"openat2-resolve-no-xdev\", \"rule:sysctl-write sym:WriteSysctls\"]\nconsumers = [\"moby\"]\n[[repo]]\nname = \"moby\"\nurl = \"https://x.org/moby\"\nrevs = [\"v28.*\"]\n",
        )
        .unwrap();
        let w = &m.repos[0].watch;
        assert_eq!(w.len(), 2);
        assert_eq!(
            (w[0].entry.as_str(), w[0].is_query),
            ("openat2-resolve-no-xdev", false)
        );
        assert_eq!(
            (w[1].entry.as_str(), w[1].is_query),
            ("rule:sysctl-write sym:WriteSysctls", true)
        );
        // Where each is written, for errors only the rules can tell (an unknown rule id).
        assert_eq!(w[0].at.to_string(), "archeo.toml:5:10");
        assert_eq!(m.repos[0].consumers, vec!["moby".to_string()]);
        assert!(m.repos[1].watch.is_empty() && m.repos[1].consumers.is_empty());
    }

    #[test]
    fn bad_watch_entries_and_consumers_are_reported_at_their_place() {
        let base = "[[repo]]\nname = \"runc\"\nurl = \"https://x.org/runc\"\nrevs = [\"v1\"]\n";
        let other = "[[repo]]\nname = \"moby\"\nurl = \"https://x.org/moby\"\nrevs = [\"v1\"]\n";
        let err = |p: &str| {
            parse(&format!("{base}{p}\n{other}"))
                .unwrap_err()
                .to_string()
        };
        // A query that does not parse: the column inside the entry (the regex `/proc/` ends
        // at column 13 of the entry, which starts at 5:11).
        let e = err("watch = [\"rule:x /proc/sys\"]");
        assert!(e.starts_with("archeo.toml:5:24:"), "{e}");
        assert!(e.contains("quote it"), "{e}");
        let e = err("watch = [\"\"]");
        assert!(
            e.starts_with("archeo.toml:5:10:") && e.contains("empty entry"),
            "{e}"
        );
        let e = err("watch = [\"a\", \"a\"]");
        assert!(
            e.starts_with("archeo.toml:5:15:") && e.contains("twice"),
            "{e}"
        );
        let e = err("watch = [\"bad*id\"]");
        assert!(e.contains("neither a rule id"), "{e}");
        let e = err("consumers = [\"moby\"]");
        assert!(
            e.starts_with("archeo.toml:5:14:") && e.contains("watches none"),
            "{e}"
        );
        let e = err("watch = [\"x\"]\nconsumers = [\"nope\"]");
        assert!(
            e.starts_with("archeo.toml:6:14:") && e.contains("\"nope\""),
            "{e}"
        );
        let e = err("watch = [\"x\"]\nconsumers = [\"runc\"]");
        assert!(e.contains("itself"), "{e}");
        let e = err("watch = [\"x\"]\nconsumers = [\"moby\", \"moby\"]");
        assert!(e.contains("twice"), "{e}");
    }

    #[test]
    fn empty_revs_and_bad_url_are_errors() {
        let e =
            parse("[[repo]]\nname = \"a\"\nurl = \"https://x.org/a\"\nrevs = []\n").unwrap_err();
        assert!(e.to_string().contains("lists no revs"), "{e}");
        let e = parse("[[repo]]\nname = \"a\"\nurl = \"\"\nrevs = [\"x\"]\n").unwrap_err();
        assert!(e.to_string().contains("archeo.toml:3:7"), "{e}");
    }
}
