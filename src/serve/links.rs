//! The server's own URLs, built in one place so every page links the same way: file views at a
//! pinned revision (`/file/REPO/REV/PATH#L39`), searches, rules, timelines, diffs, and the
//! cell links of timeline charts. Rev names may hold `/` (`release/1.7`), so each path segment
//! is percent-encoded on its own.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::query::findings::FindingHit;
use crate::query::history::Track;

/// Everything but unreserved characters is encoded in one path segment.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// A query string from name/value pairs, empty values left out.
pub(crate) fn query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        if !v.is_empty() {
            ser.append_pair(k, v);
        }
    }
    let s = ser.finish();
    if s.is_empty() { s } else { format!("?{s}") }
}

/// The file view of `path` at `repo@rev`, at a line when given.
pub(crate) fn file(repo: &str, rev: &str, path: &str, line: Option<u32>) -> String {
    let path: Vec<String> = path.split('/').map(segment).collect();
    let mut s = format!(
        "/file/{}/{}/{}",
        segment(repo),
        segment(rev),
        path.join("/")
    );
    if let Some(l) = line {
        s.push_str(&format!("#L{l}"));
    }
    s
}

/// A search page.
pub(crate) fn search(box_text: &str) -> String {
    format!("/search{}", query([("q", box_text)]))
}

/// A rule's page.
pub(crate) fn rule(id: &str) -> String {
    format!("/rules/{}", segment(id))
}

/// The findings page of one rule.
pub(crate) fn findings_of(rule: &str) -> String {
    format!("/findings{}", query([("rule", rule)]))
}

/// A diff page.
pub(crate) fn diff(a: &str, b: &str, rule: &str) -> String {
    format!("/diff{}", query([("a", a), ("b", b), ("rule", rule)]))
}

/// What a timeline follows, for its links.
#[derive(Debug, Clone)]
pub(crate) enum Followed {
    /// A rule's findings.
    Rule(String),
    /// A search query's lines.
    Search(String),
}

impl Followed {
    fn pair(&self) -> (&'static str, &str) {
        match self {
            Followed::Rule(r) => ("rule", r),
            Followed::Search(q) => ("q", q),
        }
    }
}

/// A timeline page.
pub(crate) fn timeline(f: &Followed, repo: &str) -> String {
    format!("/timeline{}", query([f.pair(), ("repo", repo)]))
}

/// A timeline cell: the tracked thing (by its identity's [`track_key`]) at `repo@rev`.
pub(crate) fn cell(f: &Followed, repo: &str, rev: &str, key: &str) -> String {
    format!(
        "/at/{}/{}{}",
        segment(repo),
        segment(rev),
        query([f.pair(), ("track", key)])
    )
}

/// The upstream page of a whole file at a commit, from a line permalink: GitHub's blob URL
/// without the line anchor; other hosts have no URL (`None`).
pub(crate) fn upstream_file(line_permalink: &str) -> Option<&str> {
    if line_permalink.starts_with("https://") || line_permalink.starts_with("http://") {
        line_permalink.split('#').next()
    } else {
        None
    }
}

/// A short, stable key of a finding's or hit's identity for URLs: 64-bit FNV-1a in hex.
/// (std's hasher may change between Rust releases; links shared in reviews must not.)
pub(crate) fn track_key(identity: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in identity.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// The identity of a timeline track, as `timeline` groups them: a finding's
/// ([`FindingHit::identity`]) or a search hit's (declaration + normalised text).
pub(crate) fn track_identity(t: &Track) -> String {
    match &t.rule {
        Some(rule) => FindingHit {
            rule: rule.clone(),
            cite: t.cite.clone(),
            symbol: t.symbol.clone(),
            text: t.text.clone(),
            facts: t.facts.clone(),
        }
        .identity(),
        None => hit_identity(t.symbol.as_deref(), &t.text),
    }
}

/// A search hit's identity across revisions, as `timeline` and `diff --search` pair hits:
/// its enclosing declaration and its text without whitespace and comments.
pub(crate) fn hit_identity(symbol: Option<&str>, text: &str) -> String {
    format!(
        "{}\u{1f}{}",
        symbol.unwrap_or(""),
        crate::rules::normalise_code(text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_links_encode_each_segment() {
        assert_eq!(
            file("containerd", "release/1.7", "a b/c#d.go", Some(9)),
            "/file/containerd/release%2F1.7/a%20b/c%23d.go#L9"
        );
        assert_eq!(search("openat2 \"a b\""), "/search?q=openat2+%22a+b%22");
        assert_eq!(track_key(""), "cbf29ce484222325");
        assert_eq!(track_key("a"), "af63dc4c8601ec8c");
        assert_eq!(
            upstream_file("https://github.com/o/r/blob/c/a.go#L3"),
            Some("https://github.com/o/r/blob/c/a.go")
        );
        assert_eq!(upstream_file("r@c:a.go:3"), None);
    }
}
