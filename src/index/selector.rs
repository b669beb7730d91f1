//! `REPO@REV` selectors, resolved against what the index holds: REV is a pinned rev name or a
//! commit prefix. Also the order of a repository's revisions (tags by version, branches last).

use anyhow::{Result, bail};

use crate::index::catalog::IndexedRev;
use crate::source::lock::RefKind;

/// Parses `REPO@REV`.
pub fn parse(s: &str) -> Result<(&str, &str)> {
    match s.split_once('@') {
        Some((r, v)) if !r.is_empty() && !v.is_empty() => Ok((r, v)),
        _ => bail!("selector {s:?} is not REPO@REV (e.g. runc@v1.3.3, or runc@<commit prefix>)"),
    }
}

/// The version order of a repository's revisions, as a sort key (made once per revision: a
/// version key parses the name): tags by version, then commits, then branches.
pub fn rev_key(r: &IndexedRev) -> (u8, crate::version::VersionKey) {
    let rank = match r.kind {
        RefKind::Tag => 0,
        RefKind::Commit => 1,
        RefKind::Branch => 2,
    };
    (rank, crate::version::VersionKey::new(&r.rev))
}

/// Lists what is pinned, for error messages.
pub fn pinned_list(revisions: &[IndexedRev]) -> String {
    let mut by_repo: Vec<(String, Vec<&str>)> = Vec::new();
    for r in revisions {
        match by_repo.iter_mut().find(|(n, _)| *n == r.repo) {
            Some((_, v)) => v.push(&r.rev),
            None => by_repo.push((r.repo.clone(), vec![&r.rev])),
        }
    }
    by_repo
        .iter()
        .map(|(n, v)| {
            let shown: Vec<&str> = if v.len() > 8 {
                v[..3]
                    .iter()
                    .chain(["..."].iter())
                    .chain(v[v.len() - 3..].iter())
                    .copied()
                    .collect()
            } else {
                v.clone()
            };
            let revs = if v.len() == 1 { "rev" } else { "revs" };
            format!("  {n}: {} ({} {revs})", shown.join(", "), v.len())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Resolves one selector to an indexed revision.
pub fn resolve<'a>(revisions: &'a [IndexedRev], sel: &str) -> Result<&'a IndexedRev> {
    let (repo, rev) = parse(sel)?;
    if !revisions.iter().any(|r| r.repo == repo) {
        bail!(
            "unknown repository {repo:?} in {sel}; pinned and indexed:\n{}",
            pinned_list(revisions)
        );
    }
    if let Some(r) = revisions.iter().find(|r| r.repo == repo && r.rev == rev) {
        return Ok(r);
    }
    let lower = rev.to_ascii_lowercase();
    if lower.len() >= 4 && lower.chars().all(|c| c.is_ascii_hexdigit()) {
        let m: Vec<&IndexedRev> = revisions
            .iter()
            .filter(|r| r.repo == repo && r.commit.starts_with(&lower))
            .collect();
        if let Some(first) = m.first() {
            if m.iter().all(|r| r.commit == first.commit) {
                return Ok(first);
            }
            bail!(
                "{sel} is ambiguous: it matches {}",
                m.iter()
                    .map(|r| r.rev.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    bail!(
        "{sel} is not pinned (not a pinned rev name or commit prefix of {repo}){}; pin it in archeo.toml and run `archeo fetch && archeo index`. Pinned and indexed:\n{}",
        near_revs(revisions, repo, rev),
        pinned_list(revisions)
    )
}

/// `; did you mean runc@v1.3.3?` for a rev spelled without its `v` (or with one too many), else
/// the pinned revisions on either side of it in version order (`runc@v1.3.7`: v1.3.6, v1.4.0).
fn near_revs(revisions: &[IndexedRev], repo: &str, rev: &str) -> String {
    let revs: Vec<&str> = revisions
        .iter()
        .filter(|r| r.repo == repo)
        .map(|r| r.rev.as_str())
        .collect();
    let respelled = [
        format!("v{rev}"),
        rev.trim_start_matches(['v', 'V']).to_string(),
    ];
    if let Some(r) = revs
        .iter()
        .find(|r| respelled.iter().any(|x| x.eq_ignore_ascii_case(r)))
    {
        return format!("; did you mean {repo}@{r}?");
    }
    if !rev
        .trim_start_matches(['v', 'V'])
        .starts_with(|c: char| c.is_ascii_digit())
    {
        let near = crate::query::nearest(rev, revs.iter().copied());
        return match near.as_slice() {
            [] => String::new(),
            n => format!(
                "; did you mean {}?",
                n.iter()
                    .map(|r| format!("{repo}@{r}"))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        };
    }
    let mut versions: Vec<&str> = revs
        .iter()
        .copied()
        .filter(|r| {
            r.trim_start_matches(['v', 'V'])
                .starts_with(|c: char| c.is_ascii_digit())
        })
        .collect();
    versions.sort_by(|a, b| crate::version::cmp_versions(a, b));
    let below = versions
        .iter()
        .rev()
        .find(|v| crate::version::cmp_versions(v, rev).is_lt());
    let above = versions
        .iter()
        .find(|v| crate::version::cmp_versions(v, rev).is_gt());
    match (below, above) {
        (None, None) => String::new(),
        (b, a) => format!(
            "; the nearest pinned: {}",
            [
                b.map(|v| format!("{repo}@{v} (before)")),
                a.map(|v| format!("{repo}@{v} (after)"))
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ")
        ),
    }
}

/// The revisions selected by `--at` selectors and `--repo` names (all when both are empty).
pub fn select<'a>(
    revisions: &'a [IndexedRev],
    at: &[String],
    repos: &[String],
) -> Result<Vec<&'a IndexedRev>> {
    for r in repos {
        if !revisions.iter().any(|x| &x.repo == r) {
            bail!(
                "unknown repository {r:?}; pinned and indexed:\n{}",
                pinned_list(revisions)
            );
        }
    }
    let mut out: Vec<&IndexedRev> = Vec::new();
    if at.is_empty() {
        out.extend(
            revisions
                .iter()
                .filter(|r| repos.is_empty() || repos.contains(&r.repo)),
        );
    } else {
        for s in at {
            let r = resolve(revisions, s)?;
            if (repos.is_empty() || repos.contains(&r.repo))
                && !out.iter().any(|x| std::ptr::eq(*x, r))
            {
                out.push(r);
            }
        }
    }
    Ok(out)
}

/// Compresses a repository's revisions into ranges over its ordered list:
/// `v1.2.8, v1.3.3..v1.3.5, v1.4.0-rc.3..main`. `held[i]` says whether `ordered[i]` is held.
pub fn compress(ordered: &[&str], held: &[bool]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < ordered.len() {
        if !held[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i + 1 < ordered.len() && held[i + 1] {
            i += 1;
        }
        parts.push(if start == i {
            ordered[i].to_string()
        } else {
            format!("{}..{}", ordered[start], ordered[i])
        });
        i += 1;
    }
    parts.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compress_shows_gaps() {
        let o = [
            "v1.2.7", "v1.2.8", "v1.3.0", "v1.3.1", "v1.3.2", "v1.3.3", "v1.3.4", "main",
        ];
        let h = [false, true, false, false, false, true, true, true];
        assert_eq!(compress(&o, &h), "v1.2.8, v1.3.3..main");
    }
}
