//! [`Citation`]: where something stands in the pinned revisions — repository, path, line span,
//! every selected revision holding that file version there, the revision cited (the newest of
//! them) with its commit, and a permalink on that immutable commit. Search hits, findings, diff
//! sides, timeline tracks, explain sites and evidence rows all carry one, and all rank by
//! [`Citation::rank`].

use std::cmp::Ordering;

use serde::Serialize;

/// A revision holding a cited thing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RevRef {
    /// The pinned rev name (`v1.3.3`, `main`).
    pub rev: String,
    /// Its full commit id.
    pub commit: String,
}

/// A place in the pinned revisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Citation {
    /// The repository's manifest name.
    pub repo: String,
    /// Repository-relative path.
    pub path: String,
    /// First line, 1-based.
    pub start: u32,
    /// Last line, inclusive.
    pub end: u32,
    /// Every selected revision holding this file version at this path, oldest first (shared
    /// by the citations of one file version's lines).
    pub revs: std::sync::Arc<[RevRef]>,
    /// `v1.2.8, v1.3.3..v1.3.5 (4 revs)`: `revs` compressed into ranges over the repository's
    /// revisions in version order.
    pub revs_display: String,
    /// The revision cited: the newest of `revs`.
    pub rev: String,
    /// Its commit.
    pub commit: String,
    /// Permalink to the lines at `commit`.
    pub url: String,
    /// `module version` when the path is vendored code (from vendor/modules.txt).
    pub vendored_module: Option<String>,
    /// The git blob id of the file version.
    pub blob: String,
    /// Position of `rev` in the repository's version order (higher is newer): the ranking key.
    pub newest: usize,
}

impl Citation {
    /// The one order every result list shares: own code before vendored code, newer revisions
    /// first, then by repository, path and line. (Callers put their own primary key first, e.g.
    /// "declares the term" for search, the rule id for findings.)
    pub fn rank(&self, other: &Citation) -> Ordering {
        self.vendored_module
            .is_some()
            .cmp(&other.vendored_module.is_some())
            .then_with(|| other.newest.cmp(&self.newest))
            .then_with(|| self.repo.cmp(&other.repo))
            .then_with(|| self.path.cmp(&other.path))
            .then_with(|| self.start.cmp(&other.start))
            .then_with(|| self.blob.cmp(&other.blob))
    }

    /// `path:line` or `path:start-end`.
    pub fn location(&self) -> String {
        location(&self.path, self.start, self.end)
    }

    /// Is `rev` among the revisions holding it?
    pub fn held_by(&self, rev: &str) -> bool {
        self.revs.iter().any(|r| r.rev == rev)
    }
}

/// `path:line` or `path:start-end`.
pub fn location(path: &str, start: u32, end: u32) -> String {
    if end > start {
        format!("{path}:{start}-{end}")
    } else {
        format!("{path}:{start}")
    }
}

/// A repository path as a URL path: every byte but letters, digits, `-._~` and `/` is
/// percent-encoded, so a file named `a b.go` or `x](javascript:...)` stays one plain URL.
pub fn url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Does `path` stay inside the commit's tree as a URL path? Each component must be a name:
/// not empty, not `.` or `..` (which a browser resolves, percent-encoded or not, to leave the
/// commit: `.../blob/COMMIT/../passwd`).
fn stays_inside(path: &str) -> bool {
    path.split('/').all(|c| !matches!(c, "" | "." | ".."))
}

/// A permalink for lines of a file at a commit: a GitHub blob URL with `#L` anchors for GitHub
/// repositories, else `name@commit:path:line` (no host-specific URL is guessed). A path that
/// could leave the commit in a URL (an empty, `.` or `..` component) gets the plain citation: never a link
/// off the immutable commit.
pub fn permalink(url: &str, commit: &str, path: &str, start: u32, end: u32) -> String {
    Permalinks::new(url, commit, path).at(start, end)
}

/// [`permalink`]s of several line spans of one file at one commit: what they share (the URL up
/// to its `#L` anchor, or the plain citation up to its line) is worked out once.
#[derive(Debug, Clone)]
pub struct Permalinks {
    head: String,
    github: bool,
}

impl Permalinks {
    /// The permalinks of `path` at `commit` of the repository at `url`.
    pub fn new(url: &str, commit: &str, path: &str) -> Permalinks {
        let base = url.trim_end_matches('/').trim_end_matches(".git");
        if let Some(rest) = base.strip_prefix("https://github.com/")
            && rest.split('/').count() == 2
            && stays_inside(path)
        {
            return Permalinks {
                head: format!("https://github.com/{rest}/blob/{commit}/{}", url_path(path)),
                github: true,
            };
        }
        let name = base.rsplit('/').next().unwrap_or(base);
        Permalinks {
            head: format!("{name}@{commit}:{path}:"),
            github: false,
        }
    }

    /// The permalink of lines `start..=end`.
    pub fn at(&self, start: u32, end: u32) -> String {
        use std::fmt::Write;
        let mut out = String::with_capacity(self.head.len() + 24);
        out.push_str(&self.head);
        let _ = match (self.github, end > start) {
            (true, true) => write!(out, "#L{start}-L{end}"),
            (true, false) => write!(out, "#L{start}"),
            (false, true) => write!(out, "{start}-{end}"),
            (false, false) => write!(out, "{start}"),
        };
        out
    }
}

/// The same permalink for other lines: a GitHub `#L` anchor or a plain citation's `:line`
/// suffix is replaced.
pub fn relined(url: &str, start: u32, end: u32) -> String {
    if let Some((base, _)) = url.rsplit_once("#L") {
        return if end > start {
            format!("{base}#L{start}-L{end}")
        } else {
            format!("{base}#L{start}")
        };
    }
    match url.rsplit_once(':') {
        Some((base, _)) => format!("{base}:{}", location_lines(start, end)),
        None => url.to_string(),
    }
}

fn location_lines(start: u32, end: u32) -> String {
    if end > start {
        format!("{start}-{end}")
    } else {
        start.to_string()
    }
}

/// A link to a repository's tree at a commit: GitHub's `/tree/COMMIT`, else `name@commit`.
pub fn tree_link(url: &str, commit: &str) -> String {
    let base = url.trim_end_matches('/').trim_end_matches(".git");
    if let Some(rest) = base.strip_prefix("https://github.com/")
        && rest.split('/').count() == 2
    {
        return format!("https://github.com/{rest}/tree/{commit}");
    }
    let name = base.rsplit('/').next().unwrap_or(base);
    format!("{name}@{commit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permalinks_use_github_anchors_or_a_plain_citation() {
        assert_eq!(
            permalink("https://github.com/o/r.git", "abc", "a/b.go", 3, 5),
            "https://github.com/o/r/blob/abc/a/b.go#L3-L5"
        );
        assert_eq!(
            permalink("file:///x/r", "abc", "a.go", 7, 7),
            "r@abc:a.go:7"
        );
        assert_eq!(
            permalink("file:///x/r.git/", "abc", "a:b.go", 7, 9),
            "r@abc:a:b.go:7-9"
        );
        // One set of permalinks answers each span as if built for it alone.
        let gh = Permalinks::new("https://github.com/o/r", "abc", "a b.go");
        let plain = Permalinks::new("/srv/git/r", "abc", "a.go");
        assert_eq!(
            [gh.at(1, 1), gh.at(4, 6), plain.at(2, 2), plain.at(2, 3)],
            [
                "https://github.com/o/r/blob/abc/a%20b.go#L1",
                "https://github.com/o/r/blob/abc/a%20b.go#L4-L6",
                "r@abc:a.go:2",
                "r@abc:a.go:2-3",
            ]
        );
        assert_eq!(
            relined("https://github.com/o/r/blob/abc/a/b.go#L3", 3, 9),
            "https://github.com/o/r/blob/abc/a/b.go#L3-L9"
        );
        assert_eq!(relined("r@abc:a:b.go:7-8", 2, 2), "r@abc:a:b.go:2");
        assert_eq!(
            permalink(
                "https://github.com/o/r",
                "abc",
                "x](javascript:a(1)).go",
                1,
                1
            ),
            "https://github.com/o/r/blob/abc/x%5D%28javascript%3Aa%281%29%29.go#L1"
        );
        // Never a URL a browser resolves off the commit.
        for path in ["../passwd", "a/../../b", "./x", "a//b", "/abs", "a/."] {
            assert_eq!(
                permalink("https://github.com/o/r", "abc", path, 1, 1),
                format!("r@abc:{path}:1")
            );
        }
    }
}
