//! The lock file (`archeo.lock`): every manifest revision resolved to a full commit id.
//! Everything after the fetch stage reads pins from here, never from the network.

use std::path::{Path, PathBuf};

use crate::error::{FileError, Location};
use crate::source::manifest::Manifest;

type Result<T, E = FileError> = std::result::Result<T, E>;
use serde::{Deserialize, Serialize};

/// What kind of reference a pin was resolved from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RefKind {
    /// A tag (must not move).
    Tag,
    /// A branch (re-pinned when it moves).
    Branch,
    /// A commit id.
    Commit,
}

impl RefKind {
    /// `tag`, `branch` or `commit`.
    pub fn as_str(self) -> &'static str {
        match self {
            RefKind::Tag => "tag",
            RefKind::Branch => "branch",
            RefKind::Commit => "commit",
        }
    }
}

/// A revision pinned to a commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedRev {
    /// The rev as the manifest names it (globs expanded).
    pub name: String,
    /// What it resolved from.
    pub kind: RefKind,
    /// The full commit id.
    pub commit: String,
}

/// A repository and its pinned revisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LockedRepo {
    /// The manifest name.
    pub name: String,
    /// The manifest URL (never the insteadOf rewrite).
    pub url: String,
    /// Pinned revisions, in manifest order.
    #[serde(default, rename = "rev")]
    pub revs: Vec<LockedRev>,
}

/// `archeo.lock`: every manifest revision pinned to a commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// Repositories, in manifest order.
    #[serde(default, rename = "repo")]
    pub repos: Vec<LockedRepo>,
}

/// One pinned revision with its repository: the unit every later stage works on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Pin {
    /// Repository name.
    pub repo: String,
    /// Repository URL.
    pub url: String,
    /// Rev name.
    pub rev: String,
    /// What it resolved from.
    pub kind: RefKind,
    /// The full commit id.
    pub commit: String,
}

/// How a pin of a new lock differs from the previous lock (see [`Lock::changes_since`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinChange {
    /// Pinned now and not before: a new tag matching a glob, a rev added to the manifest.
    New,
    /// The same name pinned at another commit: a branch that moved, or a tag moved upstream
    /// (accepted with `--update`).
    Moved {
        /// The commit the previous lock had.
        old: String,
    },
    /// The repository was not locked before (or from another URL): nothing to compare with.
    NewRepository,
}

/// A pin of the new lock that the previous lock did not have as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    /// Repository name.
    pub repo: String,
    /// The pin.
    pub rev: LockedRev,
    /// How it differs.
    pub change: PinChange,
}

/// What changed between two locks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LockChanges {
    /// Pins that are new or moved, in lock order.
    pub arrivals: Vec<Arrival>,
    /// Pins of the previous lock no revision of the new one has (same repository and URL; a
    /// moved ref is an arrival, not this): (repository, pin).
    pub dropped: Vec<(String, LockedRev)>,
}

impl LockChanges {
    /// Nothing new, moved or dropped.
    pub fn is_empty(&self) -> bool {
        self.arrivals.is_empty() && self.dropped.is_empty()
    }
}

const REGENERATE: &str = "`archeo fetch --update` writes a new lock from the manifest";

const HEADER: &str = "# archeo.lock: written by `archeo fetch`; every revision of archeo.toml pinned to a commit.\n# Commit it: it is what makes citations reproducible. Do not edit by hand.\n\n";

/// The lock's path for a manifest path: `archeo.lock` beside it.
pub fn path_for(manifest: &Path) -> PathBuf {
    manifest.with_file_name("archeo.lock")
}

impl Lock {
    /// Reads a lock; `Ok(None)` when there is none yet.
    pub fn read(path: &Path) -> Result<Option<Lock>> {
        match crate::error::read_optional(path)? {
            Some(text) => Self::parse(path, &text).map(Some),
            None => Ok(None),
        }
    }

    /// Parses and checks a lock's text; errors name `path:line:col` and the way out (`archeo
    /// fetch --update` writes a new lock from the manifest, whatever the old one holds).
    pub fn parse(path: &Path, text: &str) -> Result<Lock> {
        let lock: Lock = toml::from_str(text).map_err(|e| {
            let at = match e.span() {
                Some(s) => Location::of_offset(path, text, s.start),
                None => Location::file(path),
            };
            FileError::invalid(
                at,
                format!("invalid lock file: {}; {REGENERATE}", e.message().trim()),
            )
        })?;
        for r in &lock.repos {
            for rev in &r.revs {
                if rev.commit.len() != 40 || !rev.commit.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(FileError::invalid(
                        Location::file(path),
                        format!(
                            "{}@{} has commit {:?}, not a 40-hex commit id; {REGENERATE}",
                            r.name, rev.name, rev.commit
                        ),
                    ));
                }
            }
        }
        Ok(lock)
    }

    /// Checks that the lock pins the manifest's repositories from the manifest's URLs: a lock
    /// edited to point elsewhere (or left from another manifest) would make every permalink
    /// name another repository.
    pub fn check_manifest(&self, path: &Path, manifest: &Manifest) -> Result<()> {
        let stale = |what: String| {
            FileError::invalid(
                Location::file(path),
                format!(
                    "{what}; run `archeo fetch` to pin the manifest's repositories from its URLs"
                ),
            )
        };
        for r in &self.repos {
            match manifest.repo(&r.name) {
                None => {
                    return Err(stale(format!(
                        "pins {}, which {} does not name",
                        r.name,
                        manifest.path.display()
                    )));
                }
                Some(spec) if spec.url != r.url => {
                    return Err(stale(format!(
                        "pins {} from {}, but {} names {}",
                        r.name,
                        r.url,
                        manifest.path.display(),
                        spec.url
                    )));
                }
                Some(_) => {}
            }
        }
        if let Some(spec) = manifest.repos.iter().find(|s| self.repo(&s.name).is_none()) {
            return Err(stale(format!(
                "pins nothing of {}, which {} names",
                spec.name,
                manifest.path.display()
            )));
        }
        Ok(())
    }

    /// Reads a lock that must exist.
    pub fn require(path: &Path) -> Result<Lock> {
        Self::read(path)?.ok_or_else(|| FileError::NotFound {
            what: "lock file",
            path: path.to_path_buf(),
            hint: "run `archeo fetch` first",
        })
    }

    /// The lock file's text (with its header).
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("a lock always serialises");
        format!("{HEADER}{body}")
    }

    /// Writes the lock atomically.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        crate::atomic::write(path, self.to_toml().as_bytes())
    }

    /// The repository named `name`.
    pub fn repo(&self, name: &str) -> Option<&LockedRepo> {
        self.repos.iter().find(|r| r.name == name)
    }

    /// What this lock pins that `old` did not (new names, names at other commits), and what
    /// `old` pinned that this lock no longer does. A repository `old` does not have, or had
    /// from another URL, is new as a whole.
    pub fn changes_since(&self, old: Option<&Lock>) -> LockChanges {
        let mut out = LockChanges::default();
        for repo in &self.repos {
            let prev = old
                .and_then(|l| l.repo(&repo.name))
                .filter(|p| p.url == repo.url);
            for rev in &repo.revs {
                let change = match prev {
                    None => PinChange::NewRepository,
                    Some(p) => match p.revs.iter().find(|x| x.name == rev.name) {
                        None => PinChange::New,
                        Some(x) if x.commit != rev.commit => PinChange::Moved {
                            old: x.commit.clone(),
                        },
                        Some(_) => continue,
                    },
                };
                out.arrivals.push(Arrival {
                    repo: repo.name.clone(),
                    rev: rev.clone(),
                    change,
                });
            }
            if let Some(p) = prev {
                for x in &p.revs {
                    if !repo.revs.iter().any(|r| r.name == x.name) {
                        out.dropped.push((repo.name.clone(), x.clone()));
                    }
                }
            }
        }
        // Repositories the manifest no longer names: every pin dropped.
        for p in old.map(|l| l.repos.as_slice()).unwrap_or_default() {
            if self.repo(&p.name).is_none() {
                out.dropped
                    .extend(p.revs.iter().map(|x| (p.name.clone(), x.clone())));
            }
        }
        out
    }

    /// Every pinned revision, in lock order.
    pub fn pins(&self) -> Vec<Pin> {
        self.repos
            .iter()
            .flat_map(|r| {
                r.revs.iter().map(move |v| Pin {
                    repo: r.name.clone(),
                    url: r.url.clone(),
                    rev: v.name.clone(),
                    kind: v.kind,
                    commit: v.commit.clone(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rev(name: &str, kind: RefKind, c: char) -> LockedRev {
        LockedRev {
            name: name.into(),
            kind,
            commit: c.to_string().repeat(40),
        }
    }

    fn repo(name: &str, url: &str, revs: Vec<LockedRev>) -> LockedRepo {
        LockedRepo {
            name: name.into(),
            url: url.into(),
            revs,
        }
    }

    #[test]
    fn changes_since_tells_new_moved_dropped_and_new_repositories_apart() {
        let old = Lock {
            repos: vec![
                repo(
                    "runc",
                    "https://x.org/runc",
                    vec![
                        rev("v1.3.2", RefKind::Tag, 'a'),
                        rev("main", RefKind::Branch, 'b'),
                        rev("v1.2.0", RefKind::Tag, 'c'),
                    ],
                ),
                repo(
                    "moby",
                    "https://x.org/old-moby",
                    vec![rev("v28", RefKind::Tag, 'd')],
                ),
            ],
        };
        let new = Lock {
            repos: vec![
                repo(
                    "runc",
                    "https://x.org/runc",
                    vec![
                        rev("v1.3.2", RefKind::Tag, 'a'),
                        rev("v1.3.3", RefKind::Tag, 'e'),
                        rev("main", RefKind::Branch, 'f'),
                    ],
                ),
                repo(
                    "moby",
                    "https://x.org/moby",
                    vec![rev("v28", RefKind::Tag, 'd')],
                ),
            ],
        };
        let c = new.changes_since(Some(&old));
        let got: Vec<(&str, &str, &PinChange)> = c
            .arrivals
            .iter()
            .map(|a| (a.repo.as_str(), a.rev.name.as_str(), &a.change))
            .collect();
        assert_eq!(
            got,
            vec![
                ("runc", "v1.3.3", &PinChange::New),
                (
                    "runc",
                    "main",
                    &PinChange::Moved {
                        old: "b".repeat(40)
                    }
                ),
                // Another URL: no baseline.
                ("moby", "v28", &PinChange::NewRepository),
            ]
        );
        assert_eq!(
            c.dropped,
            vec![("runc".to_string(), rev("v1.2.0", RefKind::Tag, 'c'))]
        );
        assert!(new.changes_since(Some(&new)).is_empty());
        // A repository no longer locked: its pins are dropped.
        let fewer = Lock {
            repos: vec![new.repos[0].clone()],
        };
        assert_eq!(
            fewer.changes_since(Some(&new)).dropped,
            vec![("moby".to_string(), rev("v28", RefKind::Tag, 'd'))]
        );
        assert!(
            new.changes_since(None)
                .arrivals
                .iter()
                .all(|a| a.change == PinChange::NewRepository)
        );
    }

    #[test]
    fn lock_round_trips_and_keeps_its_order() {
        let lock = Lock {
            repos: vec![LockedRepo {
                name: "runc".into(),
                url: "https://github.com/opencontainers/runc".into(),
                revs: vec![
                    LockedRev {
                        name: "v1.3.3".into(),
                        kind: RefKind::Tag,
                        commit: "a".repeat(40),
                    },
                    LockedRev {
                        name: "main".into(),
                        kind: RefKind::Branch,
                        commit: "b".repeat(40),
                    },
                ],
            }],
        };
        let text = lock.to_toml();
        assert!(
            text.contains("[[repo.rev]]\nname = \"v1.3.3\"\nkind = \"tag\""),
            "{text}"
        );
        let back: Lock = toml::from_str(&text).unwrap();
        assert_eq!(back, lock);
        assert_eq!(back.to_toml(), text);
    }
}
