//! The catalog: which revisions the index holds and, per commit, which path holds which blob
//! (the occurrence map), plus each revision's vendored modules. Lives beside the tantivy index as
//! `catalog.json` (written atomically, last) and `trees/COMMIT.tsv` (immutable per commit).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::{Deserialize, Serialize};

use crate::source::lock::{Pin, RefKind};

/// Bumped whenever the catalog or the tantivy schema changes incompatibly.
pub const SCHEMA_VERSION: u32 = 2;

/// A Go module vendored by a revision (from its vendor/modules.txt).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VendoredModule {
    /// Module path, e.g. `github.com/cyphar/filepath-securejoin`.
    pub module: String,
    /// Version as vendored (the replacement's, for `=>` lines).
    pub version: String,
}

/// A revision as indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedRev {
    /// Repository name.
    pub repo: String,
    /// Repository URL, as in the manifest.
    pub url: String,
    /// Pinned rev name.
    pub rev: String,
    /// Tag, branch or commit.
    pub kind: RefKind,
    /// The pinned commit.
    pub commit: String,
    /// Files (not submodules) after exclusion.
    pub files: u64,
    /// Vendored modules (from vendor/modules.txt).
    #[serde(default)]
    pub vendor: Vec<VendoredModule>,
    /// Submodules (gitlinks): path and the commit the revision pins; recorded, not followed.
    #[serde(default)]
    pub submodules: Vec<Submodule>,
}

/// A submodule (gitlink) of a revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Submodule {
    /// Its path.
    pub path: String,
    /// The commit it pins.
    pub commit: String,
}

impl IndexedRev {
    /// The pin this revision was indexed from.
    pub fn pin(&self) -> Pin {
        Pin {
            repo: self.repo.clone(),
            url: self.url.clone(),
            rev: self.rev.clone(),
            kind: self.kind,
            commit: self.commit.clone(),
        }
    }

    /// The vendored module a path belongs to, by longest module-path prefix under `vendor/`.
    pub fn vendored_module(&self, path: &str) -> Option<&VendoredModule> {
        let rest = path.strip_prefix("vendor/")?;
        self.vendor
            .iter()
            .filter(|m| rest.starts_with(&m.module) && rest[m.module.len()..].starts_with('/'))
            .max_by_key(|m| m.module.len())
    }
}

/// What the index holds: `catalog.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Catalog {
    /// [`SCHEMA_VERSION`] of the archeo that wrote it.
    pub schema_version: u32,
    /// The tantivy directory (under the index dir) this catalog goes with. A rebuild writes a
    /// new one and switches to it by replacing the catalog, so an interrupted rebuild leaves
    /// the previous index whole.
    pub store: String,
    /// Fingerprint of the rule set the findings were computed with; a different rule set
    /// means every blob's findings must be computed again.
    #[serde(default)]
    pub rules: String,
    /// Every indexed revision, in lock order.
    pub revisions: Vec<IndexedRev>,
}

/// One entry of an indexed tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    /// Repository-relative path.
    pub path: String,
    /// Blob id, or for a submodule the commit it pins.
    pub id: String,
    /// A submodule rather than a file.
    pub submodule: bool,
}

/// `INDEX/catalog.json`.
pub fn catalog_path(index_dir: &Path) -> PathBuf {
    index_dir.join("catalog.json")
}

/// `INDEX/trees/COMMIT.tsv`.
pub fn tree_path(index_dir: &Path, commit: &str) -> PathBuf {
    index_dir.join("trees").join(format!("{commit}.tsv"))
}

impl Catalog {
    /// The tantivy directory this catalog goes with.
    pub fn store_dir(&self, index_dir: &Path) -> PathBuf {
        index_dir.join(&self.store)
    }
}

impl Catalog {
    /// Reads the catalog; `Ok(None)` when the directory holds no index yet.
    pub fn read(index_dir: &Path) -> Result<Option<Catalog>> {
        Ok(match Self::read_bytes(index_dir)? {
            Some(bytes) => Some(Self::parse(index_dir, &bytes)?),
            None => None,
        })
    }

    /// The catalog file's bytes; `Ok(None)` when there is none.
    pub fn read_bytes(index_dir: &Path) -> Result<Option<Vec<u8>>> {
        let p = catalog_path(index_dir);
        match std::fs::read(&p) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read {}", p.display())),
        }
    }

    /// Parses the catalog file's bytes (of the index in `index_dir`, for messages).
    pub fn parse(index_dir: &Path, bytes: &[u8]) -> Result<Catalog> {
        let p = catalog_path(index_dir);
        let text = std::str::from_utf8(bytes).with_context(|| {
            format!(
                "{} is corrupt (not UTF-8): rebuild with `archeo index --rebuild`",
                p.display()
            )
        })?;
        #[derive(Deserialize)]
        struct Version {
            schema_version: u32,
        }
        let v: Version = serde_json::from_str(text).with_context(|| {
            format!(
                "{} is not an archeo catalog: rebuild with `archeo index --rebuild`",
                p.display()
            )
        })?;
        if v.schema_version != SCHEMA_VERSION {
            bail!(
                "the index at {} has schema version {}, this archeo reads version {SCHEMA_VERSION}: rebuild it with `archeo index --rebuild`",
                index_dir.display(),
                v.schema_version
            );
        }
        let c = serde_json::from_str(text).with_context(|| {
            format!(
                "{} is corrupt: rebuild with `archeo index --rebuild`",
                p.display()
            )
        })?;
        Ok(c)
    }

    /// Reads the catalog of an index that must exist.
    pub fn require(index_dir: &Path) -> Result<Catalog> {
        Self::read(index_dir)?.with_context(|| {
            format!(
                "no index at {}: run `archeo index` (after `archeo fetch`)",
                index_dir.display()
            )
        })
    }

    /// The catalog file's bytes as [`Catalog::write`] writes them.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let mut body = serde_json::to_vec_pretty(self)?;
        body.push(b'\n');
        Ok(body)
    }

    /// Writes the catalog atomically.
    pub fn write(&self, index_dir: &Path) -> Result<()> {
        crate::atomic::write(&catalog_path(index_dir), &self.to_bytes()?)
    }

    /// The indexed revision `repo@rev`.
    pub fn find(&self, repo: &str, rev: &str) -> Option<&IndexedRev> {
        self.revisions
            .iter()
            .find(|r| r.repo == repo && r.rev == rev)
    }
}

/// Writes a commit's tree (immutable: skipped when present).
pub fn write_tree(index_dir: &Path, commit: &str, entries: &[Occurrence]) -> Result<()> {
    let p = tree_path(index_dir, commit);
    if p.exists() {
        return Ok(());
    }
    let mut s = String::with_capacity(entries.len() * 80);
    for e in entries {
        s.push_str(&e.id);
        s.push('\t');
        s.push(if e.submodule { 'S' } else { 'F' });
        s.push('\t');
        s.push_str(&e.path);
        s.push('\n');
    }
    crate::atomic::write(&p, s.as_bytes())
}

/// Every entry of an indexed commit's tree.
pub fn read_tree(index_dir: &Path, commit: &str) -> Result<Vec<Occurrence>> {
    read_tree_filtered(index_dir, commit, |_| true)
}

/// The entries of a commit's tree whose id passes `keep` (others are never allocated).
pub fn read_tree_filtered(
    index_dir: &Path,
    commit: &str,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<Occurrence>> {
    let p = tree_path(index_dir, commit);
    let text = std::fs::read_to_string(&p).with_context(|| {
        format!(
            "the index lacks the tree of commit {commit} ({}): run `archeo index`",
            p.display()
        )
    })?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut it = line.splitn(3, '\t');
        match (it.next(), it.next(), it.next()) {
            (Some(id), Some(k), Some(path)) => {
                if keep(id) {
                    out.push(Occurrence {
                        path: path.to_string(),
                        id: id.to_string(),
                        submodule: k == "S",
                    })
                }
            }
            _ => bail!(
                "{}:{}: corrupt tree line: rebuild with `archeo index --rebuild`",
                p.display(),
                i + 1
            ),
        }
    }
    Ok(out)
}

/// Parses `vendor/modules.txt` (`# module version` or `# module version => replacement version`)
/// through the one model of it, `deps::modules_txt`: module and version are kept here.
pub fn parse_modules_txt(text: &str) -> Vec<VendoredModule> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for e in crate::deps::modules_txt(text) {
        out.insert(e.name, e.version);
    }
    out.into_iter()
        .map(|(module, version)| VendoredModule { module, version })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modules_txt_maps_paths_to_the_longest_module() {
        let mods = parse_modules_txt(
            "# github.com/cyphar/filepath-securejoin v0.5.1\n## explicit; go 1.18\ngithub.com/cyphar/filepath-securejoin\n# golang.org/x/sys v0.30.0\n# example.com/a v1.0.0 => example.com/b v1.2.0\n",
        );
        let rev = IndexedRev {
            repo: "r".into(),
            url: "u".into(),
            rev: "v".into(),
            kind: RefKind::Tag,
            commit: "c".into(),
            files: 0,
            vendor: mods,
            submodules: Vec::new(),
        };
        let m = rev
            .vendored_module("vendor/github.com/cyphar/filepath-securejoin/pathrs-lite/x.go")
            .unwrap();
        assert_eq!(
            (m.module.as_str(), m.version.as_str()),
            ("github.com/cyphar/filepath-securejoin", "v0.5.1")
        );
        assert_eq!(
            rev.vendored_module("vendor/example.com/a/x.go")
                .unwrap()
                .version,
            "v1.2.0"
        );
        assert!(rev.vendored_module("libcontainer/x.go").is_none());
        assert!(
            rev.vendored_module("vendor/golang.org/x/system/x.go")
                .is_none()
        );
    }
}
