//! Errors at the edges of the stages that read what users (or archeo) write: manifest, lock,
//! rule files and queries. Each names where the problem is (`archeo.toml:5:1`) and what to do;
//! stages with enums of their own: [`crate::source::git::GitError`],
//! [`crate::index::store::StoreError`]. The exit code comes from the variant, never from text
//! ([`exit_code`]).

use std::fmt;
use std::path::{Path, PathBuf};

/// A place in a file: `archeo.toml:5:1`, or just the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub col: Option<usize>,
}

impl Location {
    /// The whole file.
    pub fn file(path: &Path) -> Location {
        Location {
            file: path.to_path_buf(),
            line: None,
            col: None,
        }
    }

    /// A line and column.
    pub fn at(path: &Path, line: usize, col: usize) -> Location {
        Location {
            file: path.to_path_buf(),
            line: Some(line),
            col: Some(col),
        }
    }

    /// The line and column of byte `offset` of `text`.
    pub fn of_offset(path: &Path, text: &str, offset: usize) -> Location {
        let (l, c) = line_col(text, offset);
        Location::at(path, l, c)
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.col {
                write!(f, ":{c}")?;
            }
        }
        Ok(())
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// A manifest, lock or rule file that is missing, unreadable or invalid.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The file does not exist.
    #[error("no {what} at {}: {hint}", path.display())]
    NotFound {
        /// `manifest`, `lock file`, ...
        what: &'static str,
        /// Where it was looked for.
        path: PathBuf,
        /// What to do.
        hint: &'static str,
    },
    /// The file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file's content is wrong at a place.
    #[error("{at}: {message}")]
    Invalid {
        /// Where.
        at: Location,
        /// What is wrong and what to do.
        message: String,
    },
}

impl FileError {
    /// An invalid file at `at`.
    pub fn invalid(at: Location, message: impl Into<String>) -> FileError {
        FileError::Invalid {
            at,
            message: message.into(),
        }
    }
}

/// Reads a file archeo needs, as [`FileError`]s; `Ok(None)` when it does not exist.
pub fn read_optional(path: &Path) -> Result<Option<String>, FileError> {
    match std::fs::read_to_string(path) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(FileError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// A gate refused: something checked carries what it must not (`identify --fail-on`). Exit 3.
#[derive(Debug, thiserror::Error)]
#[error("{} artifact(s) carry a finding named by --fail-on:\n{}", carriers.len(), carriers.join("\n"))]
pub struct GateFailed {
    /// `ARTIFACT: RULE at REPO@REV`, one per line.
    pub carriers: Vec<String>,
}

/// The exit code of a failed command: 3 for a refused gate, 2 for every other error, except a
/// closed pipe (`archeo search x | head`), which is no error: 0.
pub fn exit_code(e: &anyhow::Error) -> i32 {
    let pipe = std::io::ErrorKind::BrokenPipe;
    let broken_pipe = e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == pipe)
            || c.downcast_ref::<serde_json::Error>()
                .is_some_and(|j| j.io_error_kind() == Some(pipe))
    });
    if broken_pipe {
        0
    } else if e.downcast_ref::<GateFailed>().is_some() {
        3
    } else {
        2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_pipe_anywhere_in_the_chain_exits_zero_and_the_rest_two() {
        let pipe = anyhow::Error::new(std::io::Error::from(std::io::ErrorKind::BrokenPipe))
            .context("writing hits");
        assert_eq!(exit_code(&pipe), 0);
        let other = anyhow::Error::new(FileError::NotFound {
            what: "lock file",
            path: "archeo.lock".into(),
            hint: "run `archeo fetch` first",
        });
        assert_eq!(exit_code(&other), 2);
        assert_eq!(
            other.to_string(),
            "no lock file at archeo.lock: run `archeo fetch` first"
        );
    }

    #[test]
    fn locations_print_as_file_line_col() {
        let text = "a\nbc = 1\n";
        assert_eq!(
            Location::of_offset(Path::new("x.toml"), text, 5).to_string(),
            "x.toml:2:4"
        );
        assert_eq!(Location::file(Path::new("x.toml")).to_string(), "x.toml");
    }
}
