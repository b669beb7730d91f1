//! The JSON Lines schema every `--format json` shares (docs/json.md, and the JSON Schema
//! docs/archeo.schema.json that the tests validate every command's output against): each line
//! is one object with `schema_version` and `type`, and every cited place is the one
//! [`CiteJson`] shape. Printers build their records from these; nothing else here.

use std::io::Write;

use anyhow::Result;
use serde::Serialize;

use crate::index::citation::{Citation, RevRef};

/// Bumped when a field is removed or changes meaning (adding fields or record types does not).
pub const SCHEMA_VERSION: u32 = 1;

/// A cited place, as every record that cites one carries it (`"cite": {...}`).
#[derive(Serialize)]
pub struct CiteJson<'a> {
    /// Repository name from the manifest.
    pub repo: &'a str,
    /// Repository-relative path.
    pub path: &'a str,
    /// First line, 1-based.
    pub start: u32,
    /// Last line, inclusive.
    pub end: u32,
    /// The cited revision: the newest selected revision holding this file version.
    pub rev: &'a str,
    /// Its full commit id.
    pub commit: &'a str,
    /// Permalink on that commit (or `name@commit:path:line` for hosts without one).
    pub url: &'a str,
    /// Every selected revision holding this file version at this path, oldest first.
    pub revs: &'a [RevRef],
    /// `revs` compressed into ranges: `v1.2.8, v1.3.3..v1.3.5 (4 revs)`.
    pub revs_display: &'a str,
    /// `module version` when the path is vendored code.
    pub vendored_module: Option<&'a str>,
    /// The git blob id of the file version.
    pub blob: &'a str,
}

impl<'a> CiteJson<'a> {
    /// The JSON view of a citation.
    pub fn of(c: &'a Citation) -> CiteJson<'a> {
        CiteJson {
            repo: &c.repo,
            path: &c.path,
            start: c.start,
            end: c.end,
            rev: &c.rev,
            commit: &c.commit,
            url: &c.url,
            revs: &c.revs,
            revs_display: &c.revs_display,
            vendored_module: c.vendored_module.as_deref(),
            blob: &c.blob,
        }
    }
}

/// One line: `{"schema_version": 1, "type": KIND, ...body}`.
#[derive(Serialize)]
struct Record<'a, T: Serialize> {
    schema_version: u32,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(flatten)]
    body: &'a T,
}

/// Writes one record of type `kind` as a line.
pub fn record(out: &mut dyn Write, kind: &str, body: &impl Serialize) -> Result<()> {
    super::json_line(
        out,
        &Record {
            schema_version: SCHEMA_VERSION,
            kind,
            body,
        },
    )
}
