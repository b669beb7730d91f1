//! Directories archeo writes into are marked: a marker file (`archeo-index.json` in an index
//! directory) with a format version and the names archeo made there. archeo writes only into a
//! directory it created or marked, refuses a directory holding entries it did not make under the
//! names it uses, and deletes only names its marker lists. Knows nothing of what the entries
//! hold (the index stage decides which stores are garbage).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The marker format this archeo writes and reads.
pub const FORMAT: u32 = 1;

/// Why a directory was refused or its marker could not be kept.
#[derive(Debug, thiserror::Error)]
pub enum MarkerError {
    /// The directory holds entries under archeo's names that archeo did not make.
    #[error(
        "{} holds {} that archeo did not make (no {marker} lists {}): archeo writes only into directories it made; choose another directory or move {} away",
        dir.display(), names.join(", "), if names.len() == 1 { "it" } else { "them" }, if names.len() == 1 { "it" } else { "them" }
    )]
    Foreign {
        /// The directory.
        dir: PathBuf,
        /// The marker file's name.
        marker: &'static str,
        /// The colliding entries.
        names: Vec<String>,
    },
    /// The marker is unreadable, of another kind or of a newer format.
    #[error("{}: {reason}", path.display())]
    BadMarker {
        /// The marker file.
        path: PathBuf,
        /// What is wrong and what to do.
        reason: String,
    },
    /// Reading the directory or writing the marker failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// Where.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

type Result<T, E = MarkerError> = std::result::Result<T, E>;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MarkerFile {
    /// What the directory is (`index`).
    archeo: String,
    /// [`FORMAT`].
    format: u32,
    /// Names archeo made in the directory (and may delete).
    made: BTreeSet<String>,
}

/// What a kind of directory looks like to archeo.
pub struct Kind {
    /// `index`.
    pub name: &'static str,
    /// The marker file's name.
    pub marker: &'static str,
    /// Names archeo creates in such a directory: claimed when the directory is marked.
    pub names: &'static [&'static str],
    /// Prefixes of names archeo creates (`tantivy-`): refused in an unmarked directory.
    pub prefixes: &'static [&'static str],
}

/// A directory archeo owns, with its marker loaded.
#[derive(Debug)]
pub struct OwnedDir {
    dir: PathBuf,
    path: PathBuf,
    marker: MarkerFile,
}

impl OwnedDir {
    /// Claims `dir` for `kind`: creates and marks it when missing; checks the marker of a marked
    /// one; marks an unmarked one only when it holds nothing under archeo's names, except a
    /// directory `legacy` recognises as archeo's own from before markers (it returns the names
    /// archeo made there).
    pub fn claim(
        dir: &Path,
        kind: &Kind,
        legacy: impl FnOnce(&Path) -> Option<BTreeSet<String>>,
    ) -> Result<OwnedDir> {
        let path = dir.join(kind.marker);
        let io = |what, path: &Path| {
            let path = path.to_path_buf();
            move |source| MarkerError::Io { what, path, source }
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => return Self::loaded(dir, kind, path, &text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(io("cannot read", &path)(e)),
        }
        std::fs::create_dir_all(dir).map_err(io("cannot create", dir))?;
        let mut made: BTreeSet<String> = kind.names.iter().map(|n| n.to_string()).collect();
        match legacy(dir) {
            Some(names) => made.extend(names),
            None => {
                let foreign = colliding(dir, kind).map_err(io("cannot read", dir))?;
                // Another archeo may have marked it since the marker was looked for.
                if let Ok(text) = std::fs::read_to_string(&path) {
                    return Self::loaded(dir, kind, path, &text);
                }
                if !foreign.is_empty() {
                    return Err(MarkerError::Foreign {
                        dir: dir.to_path_buf(),
                        marker: kind.marker,
                        names: foreign,
                    });
                }
            }
        }
        let owned = OwnedDir {
            dir: dir.to_path_buf(),
            path,
            marker: MarkerFile {
                archeo: kind.name.to_string(),
                format: FORMAT,
                made,
            },
        };
        owned.save()?;
        Ok(owned)
    }

    fn loaded(dir: &Path, kind: &Kind, path: PathBuf, text: &str) -> Result<OwnedDir> {
        let bad = |reason: String| MarkerError::BadMarker {
            path: path.clone(),
            reason,
        };
        let marker: MarkerFile = serde_json::from_str(text).map_err(|e| {
            bad(format!(
                "not an archeo marker ({e}): if the directory is archeo's, delete the marker and run again; else choose another directory"
            ))
        })?;
        if marker.archeo != kind.name {
            return Err(bad(format!(
                "marks an archeo {} directory, not an {}: choose another directory",
                marker.archeo, kind.name
            )));
        }
        if marker.format > FORMAT {
            return Err(bad(format!(
                "written by a newer archeo (marker format {}, this archeo knows {FORMAT}): upgrade archeo",
                marker.format
            )));
        }
        Ok(OwnedDir {
            dir: dir.to_path_buf(),
            path,
            marker,
        })
    }

    fn save(&self) -> Result<()> {
        let mut body = serde_json::to_vec_pretty(&self.marker).expect("a marker serialises");
        body.push(b'\n');
        crate::atomic::write(&self.path, &body).map_err(|e| MarkerError::Io {
            what: "cannot write",
            path: self.path.clone(),
            source: std::io::Error::other(format!("{e:#}")),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Did archeo make `name` here?
    pub fn owns(&self, name: &str) -> bool {
        self.marker.made.contains(name)
    }

    /// The names archeo made here that start with `prefix`.
    pub fn made_with_prefix(&self, prefix: &str) -> Vec<String> {
        self.marker
            .made
            .iter()
            .filter(|n| n.starts_with(prefix))
            .cloned()
            .collect()
    }

    /// Records `name` as archeo's before it is created, so a run killed right after creating
    /// it still leaves it listed (and collectable).
    pub fn record(&mut self, name: &str) -> Result<()> {
        if self.marker.made.insert(name.to_string()) {
            self.save()?;
        }
        Ok(())
    }

    /// Deletes `name` (a file or a directory tree) when the marker lists it, then unlists it.
    /// Names archeo did not make are never touched.
    pub fn remove(&mut self, name: &str) -> Result<bool> {
        let plain = !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\']);
        if !plain || !self.owns(name) {
            return Ok(false);
        }
        let p = self.dir.join(name);
        let gone = match std::fs::symlink_metadata(&p) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(&p),
            Ok(_) => std::fs::remove_file(&p),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        };
        gone.map_err(|source| MarkerError::Io {
            what: "cannot remove",
            path: p,
            source,
        })?;
        self.marker.made.remove(name);
        self.save()?;
        Ok(true)
    }
}

/// Entries of `dir` under the names or prefixes archeo uses.
fn colliding(dir: &Path, kind: &Kind) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let name = e?.file_name().to_string_lossy().into_owned();
        if kind.names.contains(&name.as_str()) || kind.prefixes.iter().any(|p| name.starts_with(p))
        {
            out.push(name);
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KIND: Kind = Kind {
        name: "index",
        marker: "archeo-index.json",
        names: &["catalog.json", "trees"],
        prefixes: &["tantivy"],
    };

    #[test]
    fn a_new_directory_is_made_and_marked_and_only_listed_names_are_removed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("idx");
        let mut d = OwnedDir::claim(&dir, &KIND, |_| None).unwrap();
        assert!(d.owns("catalog.json") && !d.owns("tantivy-1"));
        d.record("tantivy-1").unwrap();
        std::fs::create_dir(dir.join("tantivy-1")).unwrap();
        std::fs::create_dir(dir.join("tantivy-2")).unwrap();
        let again = OwnedDir::claim(&dir, &KIND, |_| None).unwrap();
        assert!(again.owns("tantivy-1"));
        assert!(d.remove("tantivy-1").unwrap());
        assert!(!d.remove("tantivy-2").unwrap());
        assert!(!dir.join("tantivy-1").exists() && dir.join("tantivy-2").exists());
    }

    #[test]
    fn foreign_entries_under_archeos_names_are_refused_and_others_kept() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("README.md"), "mine").unwrap();
        OwnedDir::claim(tmp.path(), &KIND, |_| None).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("tantivy-old")).unwrap();
        let e = OwnedDir::claim(tmp.path(), &KIND, |_| None).unwrap_err();
        assert!(
            e.to_string()
                .contains("holds tantivy-old that archeo did not make"),
            "{e}"
        );
        assert!(!tmp.path().join(KIND.marker).exists());
    }

    #[test]
    fn a_marker_of_a_newer_format_or_another_kind_is_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let m = tmp.path().join(KIND.marker);
        std::fs::write(&m, r#"{"archeo":"index","format":99,"made":[]}"#).unwrap();
        let e = OwnedDir::claim(tmp.path(), &KIND, |_| None).unwrap_err();
        assert!(e.to_string().contains("newer archeo"), "{e}");
        std::fs::write(&m, r#"{"archeo":"cache","format":1,"made":[]}"#).unwrap();
        assert!(OwnedDir::claim(tmp.path(), &KIND, |_| None).is_err());
    }
}
