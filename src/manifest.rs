//! The manifest (`archeo.toml`): which upstream repositories to pin and at which revisions.
//! Owns parsing and validation only; resolving revisions is the fetch stage's job.

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use serde::Deserialize;
use toml::Spanned;

/// A validated manifest.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub path: PathBuf,
    pub repos: Vec<RepoSpec>,
    /// Extra rule directories (`[rules] paths`), resolved against the manifest's directory.
    pub rule_paths: Vec<PathBuf>,
}

/// One `[[repo]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct RepoSpec {
    pub name: String,
    pub url: String,
    pub revs: Vec<RevSpec>,
    pub exclude: Vec<String>,
    /// Names other repositories' files use for this one (`provides`), for dependency links.
    pub provides: Vec<Provide>,
}

/// One `provides` entry: a name (a variable such as `RUNC_VERSION`, a package such as
/// `containerd.io`, a module path) that, in the files of the repositories listed in `within`
/// (any repository when empty), stands for this repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provide {
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
    pub fn parse(s: &str) -> RevSpec {
        if s.contains(['*', '?', '[']) {
            RevSpec::TagGlob(s.to_string())
        } else {
            RevSpec::Name(s.to_string())
        }
    }
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
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

fn at(path: &Path, text: &str, span: Range<usize>) -> String {
    let (l, c) = line_col(text, span.start);
    format!("{}:{l}:{c}", path.display())
}

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
    pub fn load(path: &Path) -> Result<Manifest> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
                "no manifest at {}: create one (see `archeo --help` and docs/manifest.md) or pass --manifest PATH",
                path.display()
            ),
            Err(e) => bail!("cannot read manifest {}: {e}", path.display()),
        };
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Manifest> {
        let raw: RawManifest = toml::from_str(text).map_err(|e| {
            let loc = match e.span() {
                Some(span) => at(path, text, span),
                None => path.display().to_string(),
            };
            anyhow::anyhow!("{loc}: invalid manifest: {}", e.message().trim())
        })?;
        if raw.repo.is_empty() {
            bail!(
                "{}: the manifest names no repository; add a [[repo]] table with name, url and revs",
                path.display()
            );
        }
        let names: Vec<String> = raw.repo.iter().map(|r| r.name.get_ref().clone()).collect();
        let mut pending_provides = Vec::new();
        let mut repos: Vec<RepoSpec> = Vec::new();
        for r in raw.repo {
            let name = r.name.get_ref().clone();
            if !is_selector_safe(&name) {
                bail!(
                    "{}: repository name {name:?} is not selector-safe: use letters, digits, '-', '_' or '.' (it is used as NAME@REV)",
                    at(path, text, r.name.span())
                );
            }
            if repos.iter().any(|p| p.name == name) {
                bail!(
                    "{}: duplicate repository name {name:?}: names must be unique",
                    at(path, text, r.name.span())
                );
            }
            let url = r.url.get_ref().trim().to_string();
            if let Err(msg) = crate::git::validate_url(&url) {
                bail!("{}: url {url:?}: {msg}", at(path, text, r.url.span()));
            }
            if r.revs.get_ref().is_empty() {
                bail!(
                    "{}: repository {name:?} lists no revs: name at least one tag, branch, commit or tag glob",
                    at(path, text, r.revs.span())
                );
            }
            let mut revs = Vec::new();
            for rev in r.revs.get_ref() {
                let s = rev.get_ref().trim();
                if s.is_empty() || s.contains(char::is_whitespace) || s.contains('@') {
                    bail!(
                        "{}: rev {s:?} of {name:?} is not a tag, branch, commit or glob",
                        at(path, text, rev.span())
                    );
                }
                if let RevSpec::TagGlob(g) = RevSpec::parse(s)
                    && let Err(e) = globset::Glob::new(&g)
                {
                    bail!("{}: bad tag glob {g:?}: {e}", at(path, text, rev.span()));
                }
                revs.push(RevSpec::parse(s));
            }
            let mut exclude = Vec::new();
            for g in &r.exclude {
                if let Err(e) = globset::Glob::new(g.get_ref()) {
                    bail!(
                        "{}: bad exclude glob {:?}: {e}",
                        at(path, text, g.span()),
                        g.get_ref()
                    );
                }
                exclude.push(g.get_ref().clone());
            }
            let mut provides = Vec::new();
            for item in &r.provides {
                let p = parse_provide(item.get_ref()).map_err(|msg| {
                    anyhow::anyhow!(
                        "{}: provides of {name:?}: {msg}",
                        at(path, text, item.span())
                    )
                })?;
                if provides.iter().any(|(q, _): &(Provide, Range<usize>)| {
                    q.name == p.name && q.within == p.within
                }) {
                    bail!(
                        "{}: provides of {name:?} lists {:?} twice: remove one",
                        at(path, text, item.span()),
                        p.name
                    );
                }
                provides.push((p, item.span()));
            }
            repos.push(RepoSpec {
                name,
                url,
                revs,
                exclude,
                provides: Vec::new(),
            });
            pending_provides.push(provides);
        }
        // `in` may name a repository listed later in the manifest.
        for (repo, provides) in repos.iter_mut().zip(pending_provides) {
            for (p, span) in provides {
                if let Some(unknown) = p.within.iter().find(|w| !names.contains(w)) {
                    bail!(
                        "{}: provides {:?} of {:?}: `in` names {unknown:?}, which is not a repository of this manifest",
                        at(path, text, span),
                        p.name,
                        repo.name
                    );
                }
                repo.provides.push(p);
            }
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let rule_paths = raw
            .rules
            .map(|r| r.paths.into_iter().map(|p| base.join(p)).collect())
            .unwrap_or_default();
        Ok(Manifest {
            path: path.to_path_buf(),
            repos,
            rule_paths,
        })
    }

    pub fn repo(&self, name: &str) -> Option<&RepoSpec> {
        self.repos.iter().find(|r| r.name == name)
    }
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
    /// A matcher for the manifest's `exclude` globs.
    pub fn exclude_set(&self) -> globset::GlobSet {
        let mut b = globset::GlobSetBuilder::new();
        for g in &self.exclude {
            // Validated at load time.
            if let Ok(g) = globset::GlobBuilder::new(g).literal_separator(true).build() {
                b.add(g);
            }
        }
        b.build().unwrap_or_else(|_| globset::GlobSet::empty())
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
    fn empty_revs_and_bad_url_are_errors() {
        let e =
            parse("[[repo]]\nname = \"a\"\nurl = \"https://x.org/a\"\nrevs = []\n").unwrap_err();
        assert!(e.to_string().contains("lists no revs"), "{e}");
        let e = parse("[[repo]]\nname = \"a\"\nurl = \"\"\nrevs = [\"x\"]\n").unwrap_err();
        assert!(e.to_string().contains("archeo.toml:3:7"), "{e}");
    }
}
