//! Shipped artifacts -> facts about the upstream code they were built from, for `archeo
//! identify`. Owns reading artifacts (ELF binaries, directories, tar layers with gzip/zstd/xz,
//! `docker save` archives, OCI image layouts, Debian packages), Go build evidence inside ELF
//! files (build info, `-X` strings, the function table), the evidence of other ELF files (a C
//! program's version and commit strings, the crates and versions a Rust binary's source paths
//! name) and matching those facts against pins (versions and commits, the function table
//! against the pinned revisions' declarations, crates against the pinned repositories'
//! `Cargo.toml` packages).
//!
//! Must not: execute anything from an artifact, unpack to disk, hold more than one ELF file in
//! memory at a time, or touch git, the index or the network (callers pass pins and answers in).
//!
//! Flow: [`scan`] -> [`Artifact`]s (each fact with its [`Provenance`]) -> [`identify()`] with an
//! [`Upstream`] view of the pins -> [`Identification`].

mod crates;
mod deb;
mod elf;
mod functable;
mod gobuild;
mod gopclntab;
mod goruntime;
mod identify;
mod native;
mod walk;

use std::fmt;
use std::path::Path;

use anyhow::Result;
use serde::Serialize;

pub use crates::{CargoPackage, CrateMatch, RevisionPackages};
pub use deb::DebPackage;
pub use functable::{
    BinaryFunction, DeclaredAt, FunctionMatch, FunctionStatus, ModuleFunctions, ModuleMatch,
    PackageDeclarations, RepoDeclarations, RevisionDeclarations, RevisionScore, binary_functions,
    match_module, split_symbol,
};
pub use gobuild::{
    BuildInfoFormat, BuildSetting, GoBuildInfo, GoEvidence, GoModule, InjectedString,
    InjectionOrigin,
};
pub use gopclntab::{FunctionTable, GoFunction, PclntabLayout};
pub use goruntime::GoRuntime;
pub use identify::{
    CargoPackagesOf, Confidence, DeclarationsOf, DependencyDifference, FunctionTableMatch,
    Identification, LockfileMatch, LockfileScore, ModuleVersions, TagsAround, Upstream,
    compare_dependencies, identify, upstream_version,
};
pub use native::{
    CrateSource, NativeEvidence, RustCrate, StandaloneString, StringShape, split_crate_dir,
};

/// How far [`scan`] goes into an input.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// ELF files larger than this are not read (they are reported as [`ArtifactKind::Skipped`]).
    pub max_elf_bytes: u64,
    /// Archives nested deeper than this (a layer in an image, a package in a layer, ...) are
    /// skipped and noted. Decompression counts as a level.
    pub max_depth: usize,
    /// Report every ELF file without Go build information found inside archives and
    /// directories (by default only those holding version or commit strings or Rust source
    /// paths are; an ELF file named directly on the command line is always reported).
    pub include_non_go: bool,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            max_elf_bytes: 512 << 20,
            max_depth: 12,
            include_non_go: false,
        }
    }
}

/// What an [`Artifact`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// An ELF file; `go` is set when it carries Go build information.
    Elf,
    /// A Debian package holding no Go binary: identified by its control fields alone.
    DebPackage,
    /// Something that looked relevant but was not read; `notes` say why.
    Skipped,
}

/// One thing found in the input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Artifact {
    /// Where it is, nesting shown with `!`:
    /// `runc_1.1.5+ds1-1_amd64.deb!data.tar.xz!/usr/sbin/runc`.
    pub path: String,
    /// What it is.
    pub kind: ArtifactKind,
    /// Size in bytes when known.
    pub size: Option<u64>,
    /// Go evidence (build info, `-X` strings); `None` for a non-Go ELF file.
    pub go: Option<GoEvidence>,
    /// The Go function table (`.gopclntab`), when the file has one this reader knows. Not
    /// serialized: a binary has thousands of functions; what they match is.
    #[serde(skip)]
    pub functions: Option<FunctionTable>,
    /// What an ELF file without Go build information holds: version and commit strings, the
    /// crates a Rust binary's source paths name.
    pub native: Option<NativeEvidence>,
    /// The Debian package the artifact came from (or is).
    pub package: Option<DebPackage>,
    /// What was skipped or could not be read, and why.
    pub notes: Vec<String>,
    /// Named on the command line (not found inside a directory or an archive): reported even
    /// when nothing ties it to a pin.
    #[serde(skip)]
    pub named: bool,
}

impl Artifact {
    fn skipped(path: String, size: Option<u64>, note: String) -> Artifact {
        Artifact {
            path,
            kind: ArtifactKind::Skipped,
            size,
            go: None,
            functions: None,
            native: None,
            package: None,
            notes: vec![note],
            named: false,
        }
    }
}

/// Where a fact was read: enough to check it with a hex dump or `dpkg-deb -f`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "kebab-case")]
pub enum Provenance {
    /// Bytes at a file offset of the ELF file, in `section` when a section covers it.
    File {
        /// The section holding it.
        section: Option<String>,
        /// File offset.
        offset: u64,
    },
    /// A Go string variable read through `.symtab`: the string header at `address` (file
    /// offset `offset`) points at the string's bytes at file offset `data_offset`.
    Symbol {
        /// The symbol (`main.version`).
        symbol: String,
        /// Its virtual address.
        address: u64,
        /// The section holding the string header.
        section: Option<String>,
        /// The header's file offset.
        offset: u64,
        /// The section holding the string's bytes.
        data_section: Option<String>,
        /// The bytes' file offset.
        data_offset: u64,
    },
    /// A field of a Debian control file (`control` is its display path).
    Control {
        /// The control file's display path.
        control: String,
        /// The field (`Version`).
        field: String,
    },
    /// Found by a heuristic, not by a name or a format: `why` says which.
    Heuristic {
        /// The section holding it.
        section: Option<String>,
        /// File offset.
        offset: u64,
        /// Which heuristic found it.
        why: String,
    },
}

fn section_suffix(section: &Option<String>) -> String {
    section
        .as_deref()
        .map(|s| format!(" ({s})"))
        .unwrap_or_default()
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Provenance::File { section, offset } => {
                write!(f, "file offset {offset:#x}{}", section_suffix(section))
            }
            Provenance::Symbol {
                symbol,
                address,
                section,
                offset,
                data_section,
                data_offset,
            } => write!(
                f,
                "symbol {symbol} @ {address:#x} (file offset {offset:#x}{}) -> string at file offset {data_offset:#x}{}",
                section
                    .as_deref()
                    .map(|s| format!(", {s}"))
                    .unwrap_or_default(),
                section_suffix(data_section)
            ),
            Provenance::Control { control, field } => write!(f, "{control}: field {field}"),
            Provenance::Heuristic {
                section,
                offset,
                why,
            } => write!(
                f,
                "heuristic: file offset {offset:#x}{}: {why}",
                section_suffix(section)
            ),
        }
    }
}

/// A value and where it was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fact<T> {
    /// The value.
    pub value: T,
    /// Where it was read.
    pub at: Provenance,
}

/// Reads `path` and returns every artifact in it: the ELF file itself, or the ELF files in a
/// directory (walked without following symlinks), a tar archive (plain, gzip, zstd or xz: an
/// image layer), a `docker save` archive, an OCI image layout directory or a Debian package,
/// nested archives included. Archives are streamed; nothing is written to disk or executed.
///
/// Errors: `path` cannot be read, or it is none of the kinds above. Trouble inside an archive
/// (a corrupt member, an ELF file over the size cap) becomes an [`ArtifactKind::Skipped`]
/// artifact instead, so one bad layer does not hide the rest.
pub fn scan(path: &Path, options: &ScanOptions) -> Result<Vec<Artifact>> {
    walk::scan(path, options)
}
