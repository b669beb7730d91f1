//! Ordering of revision names: tags by semantic version (`v1.4.0-rc.3` < `v1.4.0`), with a
//! natural-order fallback for names that are not semver (`v0.0.2.1`, `rc92`).

use std::cmp::Ordering;

/// A sort key for a tag name; compares like semver where the name is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionKey {
    semver: Option<semver::Version>,
    natural: Vec<Chunk>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Chunk {
    Num(u64),
    Text(String),
}

fn natural(s: &str) -> Vec<Chunk> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut digits = false;
    for c in s.chars() {
        let d = c.is_ascii_digit();
        if !cur.is_empty() && d != digits {
            out.push(flush(&cur, digits));
            cur.clear();
        }
        digits = d;
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(flush(&cur, digits));
    }
    out
}

fn flush(s: &str, digits: bool) -> Chunk {
    if digits {
        Chunk::Num(s.parse().unwrap_or(u64::MAX))
    } else {
        Chunk::Text(s.to_string())
    }
}

impl VersionKey {
    /// The sort key of a version-like name.
    pub fn new(name: &str) -> VersionKey {
        let trimmed = name.strip_prefix('v').unwrap_or(name);
        let semver = semver::Version::parse(trimmed).ok().or_else(|| {
            // `1.2` -> `1.2.0`; keeps short tags in the semver order.
            let (core, pre) = trimmed
                .split_once('-')
                .map_or((trimmed, None), |(c, p)| (c, Some(p)));
            let parts: Vec<&str> = core.split('.').collect();
            if parts.len() < 3
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
            {
                let mut padded = parts.join(".");
                for _ in parts.len()..3 {
                    padded.push_str(".0");
                }
                if let Some(p) = pre {
                    padded.push('-');
                    padded.push_str(p);
                }
                semver::Version::parse(&padded).ok()
            } else {
                None
            }
        });
        VersionKey {
            semver,
            natural: natural(name),
        }
    }
}

impl Ord for VersionKey {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.semver, &other.semver) {
            (Some(a), Some(b)) => (a.major, a.minor, a.patch)
                .cmp(&(b.major, b.minor, b.patch))
                // A release sorts after its pre-releases; pre-releases compare naturally
                // (`rc2` < `rc10`), unlike semver's lexical rule, because that is how tags are cut.
                .then_with(|| a.pre.is_empty().cmp(&b.pre.is_empty()))
                .then_with(|| natural(a.pre.as_str()).cmp(&natural(b.pre.as_str())))
                .then_with(|| self.natural.cmp(&other.natural)),
            _ => self.natural.cmp(&other.natural),
        }
    }
}

impl PartialOrd for VersionKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Compares two tag names by version.
pub fn cmp_versions(a: &str, b: &str) -> Ordering {
    VersionKey::new(a).cmp(&VersionKey::new(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_candidates_sort_before_their_release() {
        let mut v = vec![
            "v1.0.0-rc2",
            "v1.4.0",
            "v1.3.10",
            "v1.4.0-rc.3",
            "v1.3.3",
            "v1.4.0-rc.1",
            "v1.0.0-rc92",
            "v1.0.0-rc10",
            "v1.0.0",
        ];
        v.sort_by(|a, b| cmp_versions(a, b));
        assert_eq!(
            v,
            [
                "v1.0.0-rc2",
                "v1.0.0-rc10",
                "v1.0.0-rc92",
                "v1.0.0",
                "v1.3.3",
                "v1.3.10",
                "v1.4.0-rc.1",
                "v1.4.0-rc.3",
                "v1.4.0"
            ]
        );
    }

    #[test]
    fn non_semver_names_fall_back_to_natural_order() {
        let mut v = vec!["v0.0.2.1", "v0.0.10", "v0.0.2"];
        v.sort_by(|a, b| cmp_versions(a, b));
        assert_eq!(v, ["v0.0.2", "v0.0.2.1", "v0.0.10"]);
    }
}
