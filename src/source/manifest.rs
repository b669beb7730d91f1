//! The manifest (`archeo.toml`): which upstream repositories to pin and at which revisions.
//! Owns parsing and validation only; resolving revisions is the fetch stage's job.

use std::path::{Path, PathBuf};

use crate::error::{FileError, Location};

type Result<T, E = FileError> = std::result::Result<T, E>;
use serde::Deserialize;
use toml::Spanned;

/// A validated manifest.
#[derive(Debug, Clone)]
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
        let mut repos: Vec<RepoSpec> = Vec::new();
        for r in raw.repo {
            let name = r.name.get_ref().clone();
            if !is_selector_safe(&name) {
                invalid!(
                    path,
                    text,
                    r.name.span(),
                    "repository name {name:?} is not selector-safe: use letters, digits, '-', '_' or '.' (it is used as NAME@REV)"
                );
            }
            if repos.iter().any(|p| p.name == name) {
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
                let s = rev.get_ref().trim();
                if s.is_empty() || s.contains(char::is_whitespace) || s.contains('@') {
                    invalid!(
                        path,
                        text,
                        rev.span(),
                        "rev {s:?} of {name:?} is not a tag, branch, commit or glob"
                    );
                }
                if let RevSpec::TagGlob(g) = RevSpec::parse(s)
                    && let Err(e) = globset::Glob::new(&g)
                {
                    invalid!(path, text, rev.span(), "bad tag glob {g:?}: {e}");
                }
                revs.push(RevSpec::parse(s));
            }
            let mut exclude = Vec::new();
            for g in &r.exclude {
                if let Err(e) = crate::path_filter::PathFilter::new(g.get_ref()) {
                    invalid!(path, text, g.span(), "exclude: {e}");
                }
                exclude.push(g.get_ref().clone());
            }
            repos.push(RepoSpec {
                name,
                url,
                revs,
                exclude,
            });
        }
        let base = path.parent().unwrap_or(Path::new("."));
        let rule_paths = raw
            .rules
            .map(|r| r.paths.into_iter().map(|p| base.join(p)).collect())
            .unwrap_or_default();
        let defaults = raw
            .defaults
            .map(|d| Defaults {
                index_dir: d.index_dir.map(|p| base.join(p)),
                cache_dir: d.cache_dir.map(|p| base.join(p)),
            })
            .unwrap_or_default();
        Ok(Manifest {
            path: path.to_path_buf(),
            repos,
            rule_paths,
            defaults,
        })
    }

    /// The repository named `name`.
    pub fn repo(&self, name: &str) -> Option<&RepoSpec> {
        self.repos.iter().find(|r| r.name == name)
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
    fn empty_revs_and_bad_url_are_errors() {
        let e =
            parse("[[repo]]\nname = \"a\"\nurl = \"https://x.org/a\"\nrevs = []\n").unwrap_err();
        assert!(e.to_string().contains("lists no revs"), "{e}");
        let e = parse("[[repo]]\nname = \"a\"\nurl = \"\"\nrevs = [\"x\"]\n").unwrap_err();
        assert!(e.to_string().contains("archeo.toml:3:7"), "{e}");
    }
}
