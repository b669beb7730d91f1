//! Shards: an index cut by repository (`archeo index --shard K/N`), each shard an ordinary index
//! directory that also records which shard of which lock it is ([`ShardRecord`], in its
//! catalog), and the checks that make several shards one index again ([`union_order`]): the same
//! lock, the same cut, every shard exactly once. Reading the union is [`crate::index::Index`]'s
//! job; this module decides only who holds what.
//!
//! Why by repository: a revision's tree, its blobs and everything a question asks of one
//! revision (cross-references, a search at `--at`, a diff's side) then live in one shard, the
//! versions of a repository (which share most of their blobs) are deduplicated together, and a
//! shard is rebuilt when its own repositories move. What crosses shards: `deps` and `affected`
//! join a consumer's edges to another repository's revisions, `diff` may compare revisions of
//! two repositories, `explain` may find a message's segments in several repositories, and a
//! file version vendored by repositories of two shards is stored in both (the union reads it
//! once).

use std::path::PathBuf;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

use crate::source::lock::Lock;

/// `K/N`: shard K (1-based) of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpec {
    /// Which shard, 1..=n.
    pub k: u32,
    /// How many.
    pub n: u32,
}

impl std::str::FromStr for ShardSpec {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<ShardSpec, String> {
        let bad =
            || format!("shard {s:?} is not K/N with 1 <= K <= N (e.g. 2/3: the second of three)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (k, n): (u32, u32) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if k == 0 || n == 0 || k > n || n > 4096 {
            return Err(bad());
        }
        Ok(ShardSpec { k, n })
    }
}

impl std::fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// What a shard's catalog records about the cut it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardRecord {
    /// Which shard, 1..=n.
    pub k: u32,
    /// How many shards the lock was cut into.
    pub n: u32,
    /// Every repository of the lock, in lock order: who holds which, and the order the union
    /// lists revisions in (the order a whole index has).
    pub repos: Vec<String>,
    /// A fingerprint of the whole lock (every pin): shards of other locks do not mix.
    pub lock: String,
}

impl ShardRecord {
    /// The record of shard `spec` of `lock`.
    pub fn of(spec: ShardSpec, lock: &Lock) -> ShardRecord {
        ShardRecord {
            k: spec.k,
            n: spec.n,
            repos: lock.repos.iter().map(|r| r.name.clone()).collect(),
            lock: lock_fingerprint(lock),
        }
    }

    /// The shard (1-based) holding `repo` in this cut: the repositories in lock order, dealt
    /// round-robin (the i-th, from 0, to shard i mod N + 1). None for a repository the lock
    /// does not name.
    pub fn shard_of(&self, repo: &str) -> Option<u32> {
        let i = self.repos.iter().position(|r| r == repo)?;
        Some(i as u32 % self.n + 1)
    }

    /// The repositories this shard holds, in lock order.
    pub fn own_repos(&self) -> Vec<&str> {
        self.repos
            .iter()
            .filter(|r| self.shard_of(r) == Some(self.k))
            .map(String::as_str)
            .collect()
    }

    /// `K/N`.
    pub fn spec(&self) -> ShardSpec {
        ShardSpec {
            k: self.k,
            n: self.n,
        }
    }
}

/// The part of `lock` that shard `spec` indexes: its repositories, with every pin of each.
pub fn cut(lock: &Lock, spec: ShardSpec) -> Lock {
    let record = ShardRecord::of(spec, lock);
    Lock {
        repos: lock
            .repos
            .iter()
            .filter(|r| record.shard_of(&r.name) == Some(spec.k))
            .cloned()
            .collect(),
    }
}

/// FNV-1a over every pin (repository, URL, rev, kind, commit), in lock order.
pub fn lock_fingerprint(lock: &Lock) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    let mut eat = |s: &str| {
        for b in s.bytes().chain([0]) {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    };
    for r in &lock.repos {
        eat(&r.name);
        eat(&r.url);
        for v in &r.revs {
            eat(&v.name);
            eat(v.kind.as_str());
            eat(&v.commit);
        }
    }
    format!("{h:016x}")
}

/// One index directory offered to a union: where it is, its shard record, and the
/// repositories its catalog holds.
pub struct Part<'a> {
    /// The directory.
    pub dir: &'a std::path::Path,
    /// Its catalog's shard record.
    pub shard: Option<&'a ShardRecord>,
    /// The repositories its catalog holds.
    pub repos: Vec<&'a str>,
}

/// Checks that `parts` are the whole of one cut (every shard of one lock, once each, each
/// holding only its own repositories) and returns their positions in shard order with the
/// lock's repository order. A single directory is always whole (a shard alone answers for its
/// own repositories, as any index answers for what it holds).
pub fn union_order(parts: &[Part]) -> Result<(Vec<usize>, Option<Vec<String>>)> {
    if parts.len() == 1 {
        return Ok((vec![0], None));
    }
    let mut records = Vec::with_capacity(parts.len());
    for p in parts {
        match p.shard {
            Some(r) => records.push(r),
            None => bail!(
                "{} is not a shard (it was built without --shard): a query over several index directories needs the shards of one lock, each built with `archeo index --shard K/N`",
                p.dir.display()
            ),
        }
    }
    let first = records[0];
    let desc = |i: usize| format!("{} (shard {})", parts[i].dir.display(), records[i].spec());
    for (i, r) in records.iter().enumerate().skip(1) {
        if r.n != first.n || r.repos != first.repos || r.lock != first.lock {
            bail!(
                "{} and {} are shards of different locks or cuts: rebuild the stale one with `archeo index --shard K/N` from the current archeo.lock",
                desc(0),
                desc(i)
            );
        }
    }
    let mut by_k: Vec<Option<usize>> = vec![None; first.n as usize];
    for (i, r) in records.iter().enumerate() {
        let slot = &mut by_k[r.k as usize - 1];
        if let Some(j) = *slot {
            bail!(
                "{} and {} are the same shard: give each shard once",
                desc(j),
                desc(i)
            );
        }
        *slot = Some(i);
        for repo in &parts[i].repos {
            if r.shard_of(repo) != Some(r.k) {
                bail!(
                    "{} holds {repo}, which belongs to shard {}/{}: rebuild it with `archeo index --shard {}`",
                    desc(i),
                    r.shard_of(repo).map_or("?".to_string(), |k| k.to_string()),
                    r.n,
                    r.spec()
                );
            }
        }
    }
    let missing: Vec<String> = by_k
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(k, _)| format!("{}/{}", k + 1, first.n))
        .collect();
    if !missing.is_empty() {
        let given: Vec<String> = (0..parts.len()).map(desc).collect();
        bail!(
            "shard {} missing: an answer without it would be silently smaller. Given: {}. Add an --index-dir for each missing shard",
            missing.join(", "),
            given.join(", ")
        );
    }
    Ok((
        by_k.into_iter().map(|s| s.expect("every shard")).collect(),
        Some(first.repos.clone()),
    ))
}

/// The index directories a shard list names: one per line, `#` comments and blank lines
/// skipped, relative paths taken from the list's directory.
pub fn read_list(list: &std::path::Path) -> Result<Vec<PathBuf>> {
    let text = std::fs::read_to_string(list)
        .map_err(|e| anyhow::anyhow!("cannot read the shard list {}: {e}", list.display()))?;
    let base = list.parent().unwrap_or(std::path::Path::new("."));
    let dirs: Vec<PathBuf> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| base.join(l))
        .collect();
    if dirs.is_empty() {
        bail!(
            "the shard list {} names no index directory (one per line)",
            list.display()
        );
    }
    Ok(dirs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::lock::{LockedRepo, LockedRev, RefKind};

    fn lock(names: &[&str]) -> Lock {
        Lock {
            repos: names
                .iter()
                .map(|n| LockedRepo {
                    name: n.to_string(),
                    url: format!("https://example.com/{n}"),
                    revs: vec![LockedRev {
                        name: "v1".into(),
                        kind: RefKind::Tag,
                        commit: "a".repeat(40),
                    }],
                })
                .collect(),
        }
    }

    #[test]
    fn specs_parse_and_refuse_what_is_not_k_of_n() {
        assert_eq!("2/3".parse::<ShardSpec>(), Ok(ShardSpec { k: 2, n: 3 }));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "", "1/5000"] {
            let e = bad.parse::<ShardSpec>().unwrap_err();
            assert!(e.contains("K/N"), "{bad}: {e}");
        }
    }

    #[test]
    fn repositories_are_dealt_round_robin_in_lock_order() {
        let l = lock(&["a", "b", "c", "d", "e"]);
        let names = |k| -> Vec<String> {
            cut(&l, ShardSpec { k, n: 2 })
                .repos
                .into_iter()
                .map(|r| r.name)
                .collect()
        };
        assert_eq!(names(1), ["a", "c", "e"]);
        assert_eq!(names(2), ["b", "d"]);
        let r = ShardRecord::of(ShardSpec { k: 3, n: 3 }, &l);
        assert_eq!(r.own_repos(), ["c"]);
        assert_eq!(r.shard_of("nope"), None);
    }

    #[test]
    fn the_lock_fingerprint_changes_with_any_pin() {
        let a = lock(&["a", "b"]);
        let mut b = a.clone();
        b.repos[1].revs[0].commit = "b".repeat(40);
        assert_ne!(lock_fingerprint(&a), lock_fingerprint(&b));
        assert_eq!(lock_fingerprint(&a), lock_fingerprint(&a.clone()));
    }

    #[test]
    fn a_union_must_be_every_shard_of_one_cut_once() {
        let l = lock(&["a", "b", "c"]);
        let rec = |k| ShardRecord::of(ShardSpec { k, n: 3 }, &l);
        let (r1, r2, r3) = (rec(1), rec(2), rec(3));
        let dir = std::path::Path::new("/x");
        let part = |r: &'static ShardRecord, repos: Vec<&'static str>| Part {
            dir,
            shard: Some(r),
            repos,
        };
        let (r1, r2, r3): (&'static _, &'static _, &'static _) = (
            Box::leak(Box::new(r1)),
            Box::leak(Box::new(r2)),
            Box::leak(Box::new(r3)),
        );
        let (order, repos) = union_order(&[
            part(r3, vec!["c"]),
            part(r1, vec!["a"]),
            part(r2, vec!["b"]),
        ])
        .unwrap();
        assert_eq!(order, [1, 2, 0]);
        assert_eq!(repos.unwrap(), ["a", "b", "c"]);
        let e = union_order(&[part(r1, vec!["a"]), part(r3, vec!["c"])])
            .unwrap_err()
            .to_string();
        assert!(e.contains("shard 2/3 missing"), "{e}");
        let e = union_order(&[part(r1, vec!["a"]), part(r1, vec!["a"])])
            .unwrap_err()
            .to_string();
        assert!(e.contains("the same shard"), "{e}");
        let e = union_order(&[part(r1, vec!["a", "b"]), part(r2, vec![]), part(r3, vec![])])
            .unwrap_err()
            .to_string();
        assert!(e.contains("holds b, which belongs to shard 2/3"), "{e}");
        let other: &'static ShardRecord = Box::leak(Box::new(ShardRecord::of(
            ShardSpec { k: 2, n: 3 },
            &lock(&["a", "b", "c", "d"]),
        )));
        let e = union_order(&[
            part(r1, vec!["a"]),
            part(other, vec!["b"]),
            part(r3, vec![]),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains("different locks"), "{e}");
        let whole = Part {
            dir,
            shard: None,
            repos: vec!["a"],
        };
        let e = union_order(&[whole, part(r2, vec!["b"])])
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a shard"), "{e}");
    }
}
