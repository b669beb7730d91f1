//! Path patterns, with one meaning everywhere a user names paths: `path:` and `-path:` in
//! queries, `--path` on search, evidence and findings, and the manifest's `exclude`.
//!
//! A pattern matches a repository-relative path (`libcontainer/init_linux.go`):
//! - **plain text** (`sys/`, `internal/sys`, `seccomp/openat2.go`) is a path prefix that may start
//!   at the repository root or right after any `/`: `sys/` matches `sys/a.go` and
//!   `internal/sys/a.go`; `internal/sys` also matches `internal/sysctl.go`;
//! - **a glob** (it holds `*`, `?`, `[` or `{`) matches the path, or the path's tail after any
//!   `/`, or a directory the file is under: `*_linux.go` matches `libcontainer/a_linux.go`,
//!   `vendor/**/unix/*.go` matches below any `vendor/`; `*` stays within one path component,
//!   `**` crosses them;
//! - a leading `/` anchors either form at the repository root: `/sys/` matches `sys/a.go` but not
//!   `internal/sys/a.go`.
//!
//! Patterns are bounded (length and wildcard count) because they come from users and documents.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// The longest pattern accepted, in bytes.
pub const MAX_PATTERN_LEN: usize = 1024;
/// The most wildcards (`*`, `?`, `[`, `{`) a glob may hold: globs compile to automata whose cost
/// grows with them.
pub const MAX_WILDCARDS: usize = 32;

/// Why a path pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    /// The pattern is empty.
    #[error(
        "empty path pattern: give a path prefix (e.g. libcontainer/) or a glob (e.g. '**/*_linux.go')"
    )]
    Empty,
    /// Longer than [`MAX_PATTERN_LEN`].
    #[error("path pattern is {len} bytes long; the limit is {MAX_PATTERN_LEN}")]
    TooLong {
        /// Its length in bytes.
        len: usize,
    },
    /// More wildcards than [`MAX_WILDCARDS`].
    #[error(
        "path pattern has {count} wildcards; the limit is {MAX_WILDCARDS}: use a shorter glob or a path prefix"
    )]
    TooComplex {
        /// How many wildcards it holds.
        count: usize,
    },
    /// Not a valid glob.
    #[error("bad glob {pattern:?}: {reason}")]
    BadGlob {
        /// The pattern as given.
        pattern: String,
        /// What the glob compiler said.
        reason: String,
    },
}

#[derive(Debug, Clone)]
enum Kind {
    Prefix(String),
    Glob(GlobSet),
}

/// A compiled path pattern (see the module documentation for its meaning).
#[derive(Debug, Clone)]
pub struct PathFilter {
    pattern: String,
    anchored: bool,
    kind: Kind,
}

fn is_glob(p: &str) -> bool {
    p.contains(['*', '?', '[', '{'])
}

impl PathFilter {
    /// Compiles a pattern.
    pub fn new(pattern: &str) -> Result<PathFilter, PatternError> {
        if pattern.is_empty() {
            return Err(PatternError::Empty);
        }
        if pattern.len() > MAX_PATTERN_LEN {
            return Err(PatternError::TooLong { len: pattern.len() });
        }
        let (anchored, body) = match pattern.strip_prefix('/') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        let kind = if is_glob(body) {
            let count = body.matches(['*', '?', '[', '{']).count();
            if count > MAX_WILDCARDS {
                return Err(PatternError::TooComplex { count });
            }
            // A glob matches the path or a directory holding it: `dir/*` also covers `dir/x/y`.
            let body = body.trim_end_matches('/');
            let mut set = GlobSetBuilder::new();
            for g in [body.to_string(), format!("{body}/**")] {
                set.add(
                    GlobBuilder::new(&g)
                        .literal_separator(true)
                        .build()
                        .map_err(|e| PatternError::BadGlob {
                            pattern: pattern.to_string(),
                            reason: e.kind().to_string(),
                        })?,
                );
            }
            Kind::Glob(set.build().map_err(|e| PatternError::BadGlob {
                pattern: pattern.to_string(),
                reason: e.kind().to_string(),
            })?)
        } else {
            Kind::Prefix(body.to_string())
        };
        Ok(PathFilter {
            pattern: pattern.to_string(),
            anchored,
            kind,
        })
    }

    /// The pattern as given.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Does `path` (repository-relative, `/`-separated) match?
    pub fn is_match(&self, path: &str) -> bool {
        let at = |tail: &str| match &self.kind {
            Kind::Prefix(p) => tail.starts_with(p.as_str()),
            Kind::Glob(g) => g.is_match(tail),
        };
        if at(path) {
            return true;
        }
        if self.anchored {
            return false;
        }
        path.match_indices('/').any(|(i, _)| at(&path[i + 1..]))
    }
}

/// A set of include and exclude patterns: a path passes when it matches every include and no
/// exclude.
#[derive(Debug, Clone, Default)]
pub struct PathSet {
    include: Vec<PathFilter>,
    exclude: Vec<PathFilter>,
}

impl PathSet {
    /// Adds a pattern paths must match.
    pub fn include(&mut self, f: PathFilter) {
        self.include.push(f);
    }

    /// Adds a pattern paths must not match.
    pub fn exclude(&mut self, f: PathFilter) {
        self.exclude.push(f);
    }

    /// Does `path` pass?
    pub fn allows(&self, path: &str) -> bool {
        self.include.iter().all(|f| f.is_match(path))
            && !self.exclude.iter().any(|f| f.is_match(path))
    }

    /// Does `path` match any exclude? (The manifest's `exclude` list.)
    pub fn excludes(&self, path: &str) -> bool {
        self.exclude.iter().any(|f| f.is_match(path))
    }

    /// No patterns at all.
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, path: &str) -> bool {
        PathFilter::new(p).unwrap().is_match(path)
    }

    #[test]
    fn plain_text_is_a_prefix_at_any_directory() {
        assert!(m("sys/", "sys/a.go"));
        assert!(m("sys/", "internal/sys/sysctl_linux.go"));
        assert!(!m("sys/", "internal/xsys/a.go"));
        assert!(m("internal/sys", "internal/sysctl.go"));
        assert!(m("seccomp/openat2.go", "seccomp/openat2.go"));
    }

    #[test]
    fn globs_match_the_path_its_tails_and_its_directories() {
        assert!(m("*_linux.go", "libcontainer/a_linux.go"));
        assert!(m("**/*_linux.go", "libcontainer/a_linux.go"));
        assert!(!m("libcontainer/*.go", "x/libcontainer/sub/a_test.txt"));
        assert!(m("libcontainer/*", "libcontainer/sub/a.go"));
        assert!(!m("*.go", "README.md"));
        assert!(m(
            "vendor/**/unix/*.go",
            "vendor/golang.org/x/sys/unix/z.go"
        ));
    }

    #[test]
    fn a_leading_slash_anchors_at_the_root() {
        assert!(m("/sys/", "sys/a.go"));
        assert!(!m("/sys/", "internal/sys/a.go"));
        assert!(m("/docs/*.md", "docs/a.md"));
        assert!(!m("/docs/*.md", "x/docs/a.md"));
    }

    #[test]
    fn hostile_patterns_are_refused_not_run() {
        let long = "*".repeat(100_000);
        assert!(matches!(
            PathFilter::new(&long),
            Err(PatternError::TooLong { .. })
        ));
        let many = "a*".repeat(40);
        assert!(matches!(
            PathFilter::new(&many),
            Err(PatternError::TooComplex { count: 40 })
        ));
        assert!(matches!(
            PathFilter::new("a[b"),
            Err(PatternError::BadGlob { .. })
        ));
        assert!(matches!(PathFilter::new(""), Err(PatternError::Empty)));
        assert!(m("{cmd,libcontainer}/*.go", "libcontainer/a.go"));
    }

    #[test]
    fn sets_need_every_include_and_no_exclude() {
        let mut s = PathSet::default();
        s.include(PathFilter::new("libcontainer/").unwrap());
        s.exclude(PathFilter::new("*_test.go").unwrap());
        assert!(s.allows("libcontainer/a.go"));
        assert!(!s.allows("libcontainer/a_test.go"));
        assert!(!s.allows("main.go"));
    }
}
