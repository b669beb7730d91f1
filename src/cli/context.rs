//! The global flags resolved once into paths and terminal settings, and the things commands
//! open from them (manifest, lock, rules, index).

use std::path::PathBuf;

use anyhow::Result;

use super::GlobalArgs;
use crate::index::Index;
use crate::rules::RuleSet;
use crate::source::lock::Lock;
use crate::source::manifest::Manifest;
use crate::ui::Ui;

/// Everything the global flags resolve to, validated once.
pub struct Context {
    /// The manifest.
    pub manifest_path: PathBuf,
    /// The lock beside it.
    pub lock_path: PathBuf,
    /// The repository cache.
    pub cache_dir: PathBuf,
    /// The index directory.
    pub index_dir: PathBuf,
    /// Verbosity, color and progress.
    pub ui: Ui,
}

impl Context {
    pub(super) fn new(g: &GlobalArgs) -> Result<Context> {
        let cache_dir = match &g.cache_dir {
            Some(d) => d.clone(),
            None => dirs::cache_dir()
                .ok_or_else(|| anyhow::anyhow!("no cache directory known for this user: pass --cache-dir DIR or set ARCHEO_CACHE_DIR"))?
                .join("archeo"),
        };
        Ok(Context {
            lock_path: crate::source::lock::path_for(&g.manifest),
            manifest_path: g.manifest.clone(),
            cache_dir,
            index_dir: g.index_dir.clone(),
            ui: Ui::new(g.quiet, g.verbose, g.color),
        })
    }

    /// The manifest, which must exist.
    pub fn manifest(&self) -> Result<Manifest> {
        Ok(Manifest::load(&self.manifest_path)?)
    }

    /// The lock, which must exist and pin the manifest's repositories from the manifest's URLs.
    pub fn lock(&self) -> Result<Lock> {
        let lock = Lock::require(&self.lock_path)?;
        lock.check_manifest(&self.lock_path, &self.manifest()?)?;
        Ok(lock)
    }

    /// The rule set: queries/ (beside the manifest, else built in), the manifest's `[rules]
    /// paths` (when there is a manifest), and `extra` directories.
    pub fn rules(&self, extra: &[PathBuf]) -> Result<RuleSet> {
        let manifest = Manifest::load(&self.manifest_path).ok();
        let dir = self
            .manifest_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        RuleSet::for_project(dir, manifest.as_ref(), extra)
    }

    /// `(alias, repo)` pairs the manifest declares (none without a manifest).
    pub fn aliases(&self) -> Vec<(String, String)> {
        Manifest::load(&self.manifest_path)
            .map(|m| m.aliases())
            .unwrap_or_default()
    }

    /// The index, opened once for the command.
    pub fn index(&self) -> Result<Index> {
        Index::open(&self.index_dir)
    }

    /// The index, after checking that `ids` name known rules.
    pub fn index_for_rules(&self, ids: &[String]) -> Result<Index> {
        let index = self.index()?;
        if !ids.is_empty() {
            crate::query::findings::check_rule_ids(&index, &self.rules(&[])?, ids)?;
        }
        Ok(index)
    }
}
