//! `archeo watch`: one scheduled job over the stages that exist. It re-resolves the manifest's
//! revs ([`crate::source::fetch`], which refuses a tag that moved unless `update`), tells what
//! the new lock pins that the previous one did not ([`Lock::changes_since`]), indexes the new
//! pins together with every predecessor they are compared with ([`crate::index::build`]: only
//! file versions not yet indexed are parsed), and compares ([`crate::query::watch`]). It
//! writes into the cache and the index only: the caller writes the lock, after the report.
//!
//! State lives where it already does. A run killed at any point leaves the lock as it was and
//! the cache and index usable (their own guarantees); the next run finds the same new pins,
//! with less left to fetch and index, and reports them again. Two runs at once: the second
//! stops at once at the cache's `watch.lock`.

use std::collections::HashSet;
use std::path::Path;

use anyhow::{Result, bail};

use crate::error::FileError;
use crate::index::Index;
use crate::index::build::{BlobObserver, IndexOptions, IndexSummary};
use crate::query::syntax::Query;
use crate::query::watch::{Arrival, Entry, Input, Watch, WatchReport, Why};
use crate::rules::RuleSet;
use crate::source::fetch::{FetchOptions, Observer};
use crate::source::lock::{Lock, LockChanges, LockedRev, PinChange, RefKind};
use crate::source::manifest::Manifest;
use crate::ui::Ui;

/// What a watch run works on.
pub struct Job<'a> {
    /// The manifest (revs to re-resolve, what is watched).
    pub manifest: &'a Manifest,
    /// The lock as committed: the previous state (none: every repository is new).
    pub old: Option<&'a Lock>,
    /// The repository cache.
    pub cache_dir: &'a Path,
    /// The index.
    pub index_dir: &'a Path,
    /// The rules the index is built with.
    pub rules: &'a RuleSet,
    /// Accept tags that now point to other commits than the previous lock records.
    pub update: bool,
    /// No network: resolve from the cache.
    pub offline: bool,
    /// Files larger than this are not indexed.
    pub max_file_size: u64,
    /// Told after every blob indexed (the interrupted-run tests' seam).
    pub index_observer: Option<BlobObserver>,
}

/// What a watch run found.
pub struct Outcome {
    /// The lock as the manifest resolves now (write it to accept the report).
    pub lock: Lock,
    /// What changed.
    pub report: WatchReport,
    /// The index run, when there was something new to index.
    pub indexed: Option<IndexSummary>,
}

/// The manifest's watch entries, checked against the rules (an unknown rule id, also in a
/// query's `rule:` filter, is an error at its `archeo.toml:LINE:COL`).
pub fn watches(manifest: &Manifest, rules: &RuleSet) -> Result<Vec<Watch>> {
    let unknown = |w: &crate::source::manifest::Watched, id: &str| -> anyhow::Error {
        FileError::invalid(
            w.at.clone(),
            format!(
                "watch entry {:?}: unknown rule {id:?}; rules: {} (see `archeo rules list`)",
                w.entry,
                rules.ids()
            ),
        )
        .into()
    };
    let mut out = Vec::new();
    for spec in &manifest.repos {
        if spec.watch.is_empty() {
            continue;
        }
        let mut entries = Vec::new();
        for w in &spec.watch {
            if w.is_query {
                let q = Query::parse(&w.entry)?;
                let named = q.filter_values(|f| match f {
                    crate::query::syntax::Filter::Rule(r) => Some(r),
                    _ => None,
                });
                if let Some(id) = named.iter().find(|id| rules.get(id).is_none()) {
                    return Err(unknown(w, id));
                }
                entries.push(Entry::query(&w.entry, q));
            } else {
                if rules.get(&w.entry).is_none() {
                    return Err(unknown(w, &w.entry));
                }
                entries.push(Entry::rule(&w.entry));
            }
        }
        out.push(Watch {
            repo: spec.name.clone(),
            entries,
            consumers: spec.consumers.clone(),
        });
    }
    Ok(out)
}

/// Runs the job: fetch, what is new, index, compare.
pub fn run(job: &Job, obs: &mut Observer, ui: &Ui) -> Result<Outcome> {
    let watches = watches(job.manifest, job.rules)?;
    let _one_at_a_time = lock_watch(job.cache_dir)?;
    let opts = FetchOptions {
        update: job.update,
        locked: false,
        offline: job.offline,
    };
    let lock = crate::source::fetch::fetch_all(job.manifest, job.cache_dir, job.old, opts, obs)?;
    let changes = lock.changes_since(job.old);
    let dropped: Vec<(String, String, String)> = changes
        .dropped
        .iter()
        .map(|(repo, r)| (repo.clone(), r.name.clone(), r.commit.clone()))
        .collect();
    if changes.arrivals.is_empty() {
        // Nothing to index or compare: as fast as re-resolving the refs.
        let report = WatchReport {
            dropped,
            watching: watching(&watches),
            ..Default::default()
        };
        return Ok(Outcome {
            lock,
            report,
            indexed: None,
        });
    }
    let with_previous = with_previous(job, &lock, &changes)?;
    let index_opts = IndexOptions {
        rebuild: false,
        max_file_size: job.max_file_size,
        dry_run: false,
        observer: job.index_observer.clone(),
        shard: None,
    };
    let summary = crate::index::build::run(
        job.manifest,
        &with_previous.lock,
        job.cache_dir,
        job.index_dir,
        job.rules,
        &index_opts,
        ui,
    )?;
    let index = Index::open(job.index_dir)?;
    let repos = crate::deps::Repos::from_lock(&with_previous.lock, job.manifest);
    let input = Input {
        arrivals: &with_previous.arrivals,
        dropped,
        watches: &watches,
        repos: &repos,
        previous_only: with_previous.previous_only,
    };
    let report = crate::query::watch::report(&index, &input)?;
    Ok(Outcome {
        lock,
        report,
        indexed: Some(summary),
    })
}

fn watching(watches: &[Watch]) -> Vec<(String, Vec<String>)> {
    watches
        .iter()
        .map(|w| {
            (
                w.repo.clone(),
                w.entries.iter().map(|e| e.text.clone()).collect(),
            )
        })
        .collect()
}

/// The lock the index is built from: the new pins, the previous commits of moved refs (named
/// by their commit prefix, kind commit) and the pins the new lock drops, each when the cache
/// still holds it, so every arrival's predecessor is indexed with it.
struct WithPrevious {
    lock: Lock,
    arrivals: Vec<Arrival>,
    /// `(repo, rev)` of the previous commits of moved refs.
    previous_only: Vec<(String, String)>,
}

fn with_previous(job: &Job, new: &Lock, changes: &LockChanges) -> Result<WithPrevious> {
    let mut lock = new.clone();
    let mut arrivals = Vec::new();
    let mut previous_only = Vec::new();
    for repo in &mut lock.repos {
        let Some(spec) = job.manifest.repo(&repo.name) else {
            bail!("{} is locked but not in the manifest", repo.name);
        };
        let mine: Vec<&crate::source::lock::Arrival> = changes
            .arrivals
            .iter()
            .filter(|a| a.repo == repo.name)
            .collect();
        let dropped: Vec<&LockedRev> = changes
            .dropped
            .iter()
            .filter(|(r, _)| *r == repo.name)
            .map(|(_, rev)| rev)
            .collect();
        let wanted: Vec<String> = mine
            .iter()
            .filter_map(|a| match &a.change {
                PinChange::Moved { old } => Some(old.clone()),
                _ => None,
            })
            .chain(dropped.iter().map(|r| r.commit.clone()))
            .collect();
        let have: HashSet<String> = if wanted.is_empty() {
            HashSet::new()
        } else {
            crate::source::fetch::complete_commits(job.cache_dir, spec, &wanted)?
        };
        for r in dropped {
            if have.contains(&r.commit) {
                repo.revs.push(r.clone());
            }
        }
        for a in mine {
            let why = match &a.change {
                PinChange::New => Why::New,
                PinChange::NewRepository => Why::NewRepository,
                PinChange::Moved { old } => {
                    let previous = have.contains(old).then(|| {
                        let short = old[..12.min(old.len())].to_string();
                        let name = if repo.revs.iter().any(|r| r.name == short) {
                            old.clone()
                        } else {
                            short
                        };
                        if !repo.revs.iter().any(|r| r.name == name) {
                            repo.revs.push(LockedRev {
                                name: name.clone(),
                                kind: RefKind::Commit,
                                commit: old.clone(),
                            });
                            previous_only.push((repo.name.clone(), name.clone()));
                        }
                        name
                    });
                    Why::Moved {
                        old: old.clone(),
                        previous,
                    }
                }
            };
            arrivals.push(Arrival {
                repo: a.repo.clone(),
                rev: a.rev.name.clone(),
                why,
            });
        }
    }
    Ok(WithPrevious {
        lock,
        arrivals,
        previous_only,
    })
}

/// One watch at a time per cache: a second one would wait on the fetch and index locks midway
/// and fail there; this way it fails before doing anything, naming the first.
fn lock_watch(cache: &Path) -> Result<crate::pidlock::PidLock> {
    use crate::pidlock::{LockError, PidLock};
    std::fs::create_dir_all(cache)
        .map_err(|e| anyhow::anyhow!("cannot create the cache {}: {e}", cache.display()))?;
    match PidLock::try_acquire(&cache.join("watch.lock")) {
        Ok(l) => Ok(l),
        Err(LockError::Busy { pid }) => bail!(
            "another `archeo watch` (pid {}) is running on the cache {}; wait for it to finish",
            pid.map_or("?".to_string(), |p| p.to_string()),
            cache.display()
        ),
        Err(e) => Err(e.into()),
    }
}
