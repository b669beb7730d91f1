//! The global flags resolved once into paths and terminal settings, and the things commands
//! open from them (manifest, lock, rules, index). Like git and cargo, the project is found by
//! looking for `archeo.toml` in the current directory and then each parent; the index and the
//! `[defaults]` paths are relative to the manifest's directory, never to where archeo runs.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use super::GlobalArgs;
use crate::index::Index;
use crate::rules::{RuleSet, RuleSources};
use crate::source::lock::Lock;
use crate::source::manifest::Manifest;
use crate::ui::Ui;

/// The manifest's file name, looked for upward from the current directory.
pub const MANIFEST_NAME: &str = "archeo.toml";

/// Everything the global flags resolve to, validated once.
pub struct Context {
    /// The manifest (absolute).
    pub manifest_path: PathBuf,
    /// False when no archeo.toml was found upward and none was named: `manifest_path` is then
    /// where one would be, and loading it explains where archeo looked.
    pub manifest_found: bool,
    /// The lock beside it.
    pub lock_path: PathBuf,
    /// The repository cache.
    pub cache_dir: PathBuf,
    /// The index directory (the first, when several shards are given).
    pub index_dir: PathBuf,
    /// Every index directory given: one, or the shards of one lock.
    pub index_dirs: Vec<PathBuf>,
    /// It was given (flag, environment, manifest default), not assumed beside the manifest.
    index_given: bool,
    /// Verbosity, color and progress.
    pub ui: Ui,
    /// The directory archeo was started in.
    cwd: PathBuf,
}

/// The nearest `archeo.toml` in `start` or one of its parents.
pub fn discover(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .map(|d| d.join(MANIFEST_NAME))
        .find(|p| p.is_file())
}

impl Context {
    pub(super) fn new(g: &GlobalArgs) -> Result<Context> {
        let cwd = std::env::current_dir()
            .map_err(|e| anyhow::anyhow!("cannot read the current directory: {e}"))?;
        let (manifest_path, manifest_found) = match &g.manifest {
            Some(m) => (cwd.join(m), true),
            None => match discover(&cwd) {
                Some(p) => (p, true),
                None => (cwd.join(MANIFEST_NAME), false),
            },
        };
        let project = manifest_path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| cwd.clone());
        // [defaults] only when the manifest's TOML and that table parse; a broken manifest is
        // reported by the command that reads it whole, with its line and column.
        let defaults = crate::source::manifest::Defaults::of_manifest(&manifest_path);
        let cache_dir = match g.cache_dir.as_ref().map(|d| cwd.join(d)).or(defaults.cache_dir) {
            Some(d) => d,
            None => dirs::cache_dir()
                .ok_or_else(|| anyhow::anyhow!("no cache directory known for this user: pass --cache-dir DIR or set ARCHEO_CACHE_DIR"))?
                .join("archeo"),
        };
        let mut index_dirs: Vec<PathBuf> = g.index_dir.iter().map(|d| cwd.join(d)).collect();
        if index_dirs.is_empty()
            && let Some(v) = std::env::var_os("ARCHEO_INDEX_DIR").filter(|v| !v.is_empty())
        {
            index_dirs = std::env::split_paths(&v)
                .filter(|d| !d.as_os_str().is_empty())
                .map(|d| cwd.join(d))
                .collect();
        }
        // Given (a flag, the environment, the manifest's default), not assumed beside the manifest.
        let index_given = !index_dirs.is_empty() || defaults.index_dir.is_some();
        if index_dirs.is_empty() {
            index_dirs.push(defaults.index_dir.unwrap_or_else(|| project.join("index")));
        }
        let index_dir = index_dirs[0].clone();
        Ok(Context {
            lock_path: crate::source::lock::path_for(&manifest_path),
            manifest_path,
            manifest_found,
            cache_dir,
            index_dir,
            index_dirs,
            index_given,
            ui: Ui::new(g.quiet, g.verbose, g.color),
            cwd,
        })
    }

    /// The manifest's directory: the project root.
    pub fn project_dir(&self) -> &Path {
        self.manifest_path.parent().unwrap_or(&self.cwd)
    }

    /// The manifest, which must exist.
    pub fn manifest(&self) -> Result<Manifest> {
        if !self.manifest_found {
            bail!(
                "no {MANIFEST_NAME} in {} or any parent directory: run archeo inside a project (create {MANIFEST_NAME}: see docs/manifest.md), or pass --manifest PATH",
                self.cwd.display()
            );
        }
        Ok(Manifest::load(&self.manifest_path)?)
    }

    /// The lock, which must exist and pin the manifest's repositories from the manifest's URLs.
    pub fn lock(&self) -> Result<Lock> {
        let manifest = self.manifest()?;
        let lock = Lock::require(&self.lock_path)?;
        lock.check_manifest(&self.lock_path, &manifest)?;
        Ok(lock)
    }

    /// The rule set: the built-in pack, then queries/ beside the manifest, the manifest's
    /// `[rules] paths` (when there is a manifest), and `extra` directories.
    pub fn rules(&self, extra: &[PathBuf]) -> Result<RuleSet> {
        self.rule_sources(extra)?.compile()
    }

    /// The project's rules read and layered as [`Context::rules`] does, their queries not
    /// compiled: for commands that only name rules and compare the index's fingerprint.
    pub fn rule_sources(&self, extra: &[PathBuf]) -> Result<RuleSources> {
        let manifest = if self.manifest_found {
            Some(self.manifest()?)
        } else {
            None
        };
        let extra: Vec<PathBuf> = extra.iter().map(|d| self.cwd.join(d)).collect();
        let project = self.manifest_found.then(|| self.project_dir());
        RuleSources::for_project(project, manifest.as_ref(), &extra)
    }

    /// `(alias, repo)` pairs the manifest declares (none without a manifest).
    pub fn aliases(&self) -> Vec<(String, String)> {
        Manifest::load(&self.manifest_path)
            .map(|m| m.aliases())
            .unwrap_or_default()
    }

    /// The index, opened once for the command: one directory, or the union of every shard
    /// given. A shard given alone answers for its own repositories, and says so.
    /// Outside a project, with no index dir given and none where a project's would be, the
    /// missing manifest is what to fix, not the index.
    pub fn index(&self) -> Result<Index> {
        if !self.manifest_found && !self.index_given && !self.index_dir.exists() {
            bail!(
                "no {MANIFEST_NAME} in {} or any parent directory, so no project index to read: run archeo inside a project (create {MANIFEST_NAME}: see docs/manifest.md), or pass --index-dir DIR",
                self.cwd.display()
            );
        }
        let index = Index::open_all(&self.index_dirs)?;
        if let Some(s) = index.lone_shard() {
            self.ui.warn(format!(
                "{} is shard {} of {}: these answers cover its repositories only ({}); give every shard's --index-dir for the whole lock",
                self.index_dir.display(),
                s.k,
                s.n,
                s.own_repos().join(", ")
            ));
        }
        Ok(index)
    }

    /// The one index directory a command writes or watches; refuses several.
    pub fn single_index_dir(&self, what: &str) -> Result<&Path> {
        if self.index_dirs.len() > 1 {
            bail!(
                "{what} takes one index directory, not {}: give one --index-dir (a shard is built with `archeo index --shard K/N` into its own directory)",
                self.index_dirs.len()
            );
        }
        Ok(&self.index_dir)
    }

    /// Warns of each `sym:` value of `q` that no indexed revision declares: outside a gate, a
    /// typo should not read as "nothing found" without a word.
    pub fn warn_unknown_symbols(
        &self,
        index: &Index,
        q: &crate::query::syntax::Query,
    ) -> Result<()> {
        for u in crate::query::search::unknown_symbols(index, q)? {
            self.ui.warn(u.to_string());
        }
        Ok(())
    }

    /// The index, after checking that `ids` name known rules; warns when the index was built
    /// with other rules than the current ones (its findings are then out of date).
    pub fn index_for_rules(&self, ids: &[String]) -> Result<Index> {
        let index = self.index()?;
        let rules = self.rule_sources(&[])?;
        self.warn_if_rules_differ(&index, &rules.fingerprint(), rules.rules.len());
        if !ids.is_empty() {
            crate::query::findings::check_rule_ids(&index, &rules.id_list(), ids)?;
        }
        Ok(index)
    }

    /// Says so when the index's findings were computed with other rules than the `loaded`
    /// ones of `fingerprint`.
    pub fn warn_if_rules_differ(&self, index: &Index, fingerprint: &str, loaded: usize) {
        let built = index.rules();
        if !built.is_empty() && built != fingerprint {
            self.ui.warn(format!(
                "the index at {} was built with other rules than the current ones ({} rules loaded now): its findings may be out of date; run `archeo index` (with the same --rules) to recompute them",
                self.index_dir.display(),
                loaded
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_manifest_upward_is_found() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("a/b/c")).unwrap();
        assert_eq!(discover(&root.join("a/b/c")), None);
        std::fs::write(root.join(MANIFEST_NAME), "").unwrap();
        assert_eq!(
            discover(&root.join("a/b/c")),
            Some(root.join(MANIFEST_NAME))
        );
        std::fs::write(root.join("a/b").join(MANIFEST_NAME), "").unwrap();
        assert_eq!(
            discover(&root.join("a/b/c")),
            Some(root.join("a/b").join(MANIFEST_NAME))
        );
    }
}
