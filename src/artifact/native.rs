//! Evidence in ELF files without Go build information: the strings a C program's build leaves
//! (`PACKAGE_VERSION` and `GIT_VERSION` as NUL-terminated strings standing alone in read-only
//! data, as autotools and `git-version-gen` make them), and the source paths rustc leaves in a
//! Rust binary for panic locations: the crates compiled in, with their versions, from the
//! directories cargo unpacks them into (`.../registry/src/index.crates.io-HASH/pathrs-0.2.5/`,
//! Debian's `/usr/share/cargo/registry/NAME-VERSION/`, `vendor/NAME[-VERSION]/`, a remapped
//! `/rust/deps/NAME-VERSION/`), git checkouts (`.../git/checkouts/NAME-HASH/COMMIT/`), the
//! toolchain's commit (`/rustc/COMMIT/library/`) and the workspace's own files
//! (`crates/libcontainer/src/...`, relative). Every fact carries its file offset.
//!
//! Bounded: only read-only data is scanned (the whole file when it has no section headers),
//! each kind of fact is capped, and the regexes run in linear time. Must not: decide what the
//! evidence means (that is `identify`), or read outside the bytes it is given.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::bytes::Regex;
use serde::Serialize;

use super::elf::ElfView;
use super::{Fact, Provenance};

/// Most standalone version- or commit-shaped strings kept (each kind).
const MAX_STRINGS: usize = 64;
/// Most distinct crates kept.
const MAX_CRATES: usize = 4096;
/// Most of the workspace's own source paths kept (all are counted).
const MAX_OWN_PATHS: usize = 4096;
/// Longest NUL-terminated string considered a version or a commit.
const MAX_STANDALONE: usize = 128;
/// How far back from a crate directory a path's start is looked for.
const MAX_PREFIX: usize = 512;

/// What a standalone string looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StringShape {
    /// `1.21`, `1.8.1`, `v0.7.0`.
    Version,
    /// A full commit id: 40 (or 64) hexadecimal digits.
    Commit,
}

/// A version or a commit read from read-only data: a NUL-terminated string standing alone
/// (NUL before and after), as a C build embeds `PACKAGE_VERSION` and `GIT_VERSION`; or the
/// value of a statement the program prints (`youki version: 0.7.0`, `commit: 0.7.0-94ba653e…`),
/// as rustc stores a `println!` whose arguments are literals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StandaloneString {
    /// The version or commit.
    pub value: String,
    /// Version or commit.
    pub shape: StringShape,
    /// Where the value was read.
    pub at: Provenance,
    /// The statement it was read from (`None`: it stands alone).
    pub statement: Option<String>,
    /// A version statement's subject as read: the word before ` version` (text stored before
    /// it may cling to its start: `IncompleteInternalErroryouki`).
    pub program: Option<String>,
}

/// Where cargo took a crate's sources from, as its path says.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum CrateSource {
    /// A registry cache: `.../registry/src/INDEX/NAME-VERSION/`.
    Registry {
        /// The index directory (`index.crates.io-1949cf8c6b5b557f`, `github.com-1ecc6299db9ec823`).
        index: String,
    },
    /// A distribution's crate directory: `/usr/share/cargo/registry/NAME-VERSION/` (Debian).
    Distribution,
    /// `vendor/NAME/` or `vendor/NAME-VERSION/` (`cargo vendor`).
    Vendored,
    /// A git checkout: `.../git/checkouts/NAME-HASH/COMMIT/`.
    Git {
        /// The checkout's repository name (`NAME`).
        repository: String,
        /// The (abbreviated) commit checked out.
        commit: String,
    },
    /// Another directory named `NAME-VERSION` holding the crate (a remapped path such as
    /// `/rust/deps/NAME-VERSION/`).
    Directory,
}

/// A crate compiled into the binary, as its source paths name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RustCrate {
    /// The crate's directory name without its version (`pathrs`; a git checkout's directory
    /// holding `src/`).
    pub name: String,
    /// The version in its directory name; `None` when the path has none (`vendor/NAME/`, git).
    pub version: Option<String>,
    /// Where cargo took it from.
    pub source: CrateSource,
    /// How many distinct source paths of it the binary holds.
    pub files: usize,
    /// One of them (the first read), and where.
    pub path: Fact<String>,
}

impl RustCrate {
    /// `pathrs 0.2.5`, `pathrs (no version)`.
    pub fn label(&self) -> String {
        match &self.version {
            Some(v) => format!("{} {v}", self.name),
            None => format!("{} (no version in its path)", self.name),
        }
    }
}

/// Everything read from a non-Go ELF file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct NativeEvidence {
    /// Version- and commit-shaped strings standing alone in read-only data, in file order.
    pub strings: Vec<StandaloneString>,
    /// Crates named by source paths, by name and version.
    pub crates: Vec<RustCrate>,
    /// The Rust toolchain's commit (`/rustc/COMMIT/library/...`).
    pub rustc: Option<Fact<String>>,
    /// Relative `.rs` source paths: the workspace's own files as rustc saw them (the first
    /// characters may belong to the string stored before it; matching trims them).
    pub own_paths: Vec<Fact<String>>,
    /// How many distinct relative `.rs` paths were read (at most the cap; a note says when
    /// it was reached).
    pub own_path_count: usize,
    /// What a cap cut short, one sentence each (identification adds them to its notes).
    pub notes: Vec<String>,
}

impl NativeEvidence {
    /// Whether rustc left source paths: a Rust binary.
    pub fn is_rust(&self) -> bool {
        !self.crates.is_empty() || self.rustc.is_some() || self.own_path_count > 0
    }

    /// Whether anything was found that could tie the file to upstream code.
    pub fn is_empty(&self) -> bool {
        self.strings.is_empty() && !self.is_rust()
    }
}

static VERSION_SHAPED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^v?[0-9]{1,6}\.[0-9]{1,6}(\.[0-9]{1,6})?([-+~][0-9A-Za-z.+~-]{1,40})?$")
        .expect("valid regex")
});
static COMMIT_SHAPED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^([0-9a-f]{40}|[0-9a-f]{64})$").expect("valid regex"));

/// `NAME version V`, `NAME version: V` (a statement a program prints).
static VERSION_STATEMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"([A-Za-z][A-Za-z0-9_-]{0,63}) [Vv]ersion:? v?([0-9]{1,6}\.[0-9]{1,6}(?:\.[0-9]{1,6})?(?:[-+~][0-9A-Za-z.+~-]{1,40})?)",
    )
    .expect("valid regex")
});
/// `commit: VALUE` with a commit in the value (a full id, `-gHEX`, or hex after a version).
static COMMIT_STATEMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\bcommit: ?((?:[0-9A-Za-z.+~]{1,40}-)?(?:g?[0-9a-f]{7,40}|[0-9a-f]{64}))(?:-dirty)?(?:[^0-9A-Za-z]|$)")
        .expect("valid regex")
});

/// A path component `NAME-VERSION` followed by a path to a `.rs` file (cargo's crate
/// directories). The component must start after a `/`.
static CRATE_DIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"/([A-Za-z0-9_][A-Za-z0-9_-]{0,63})-([0-9]{1,9}\.[0-9]{1,9}\.[0-9]{1,9}(?:-[0-9A-Za-z.-]{1,40})?(?:\+[0-9A-Za-z.-]{1,40})?)/((?:[A-Za-z0-9_.+-]{1,128}/){0,16}[A-Za-z0-9_.+-]{1,128}\.rs)",
    )
    .expect("valid regex")
});
/// `vendor/NAME/...rs` (a vendored crate without its version in the directory name).
static VENDOR_DIR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?:^|[^A-Za-z0-9_.+@~-])(vendor/([A-Za-z0-9_][A-Za-z0-9_-]{0,63})/((?:[A-Za-z0-9_.+-]{1,128}/){0,16}[A-Za-z0-9_.+-]{1,128}\.rs))",
    )
    .expect("valid regex")
});
/// `.../git/checkouts/NAME-HASH16/COMMIT/...rs`.
static GIT_CHECKOUT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"/git/checkouts/([A-Za-z0-9_.-]{1,128})-[0-9a-f]{16}/([0-9a-f]{7,40})/((?:[A-Za-z0-9_.+-]{1,128}/){0,16}[A-Za-z0-9_.+-]{1,128}\.rs)",
    )
    .expect("valid regex")
});
/// `/rustc/COMMIT/library/`.
static RUSTC: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"/rustc/([0-9a-f]{40})/library/").expect("valid regex"));
/// A relative `.rs` path with at least one directory (`src/main.rs`,
/// `crates/libcontainer/src/process/mod.rs`), not preceded by a path character.
static RELATIVE_RS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"((?:[A-Za-z0-9_.+-]{1,128}/){1,16}[A-Za-z0-9_.+-]{1,128}\.rs)")
        .expect("valid regex")
});

/// Reads a non-Go ELF file's evidence.
pub(crate) fn read_native_evidence(view: &ElfView<'_>) -> NativeEvidence {
    let mut ranges: Vec<(String, u64, u64)> = view
        .rodata_sections()
        .into_iter()
        .map(|(n, o, l)| (n.to_string(), o, l))
        .collect();
    let headerless = ranges.is_empty();
    if headerless {
        // No section headers (stripped with them): the read-only load segments.
        ranges = view
            .readonly_ranges()
            .into_iter()
            .map(|(o, l)| (String::new(), o, l))
            .collect();
    }
    let mut ev = NativeEvidence::default();
    let mut crates = CrateTable::default();
    let mut own: BTreeMap<String, Provenance> = BTreeMap::new();
    for (name, start, len) in &ranges {
        let bytes = &view.data[*start as usize..(*start + *len) as usize];
        let at = |rel: usize| {
            let offset = start + rel as u64;
            Provenance::File {
                section: if name.is_empty() {
                    view.section_at_offset(offset)
                } else {
                    Some(name.clone())
                },
                offset,
            }
        };
        standalone_strings(bytes, &at, &mut ev);
        statements(bytes, &at, &mut ev);
        rust_paths(bytes, &at, &mut ev, &mut crates, &mut own);
    }
    ev.crates = crates.finish(&mut ev.notes);
    ev.own_path_count = own.len();
    if own.len() >= MAX_OWN_PATHS {
        ev.notes.push(format!(
            "{MAX_OWN_PATHS} or more relative source paths; the first {MAX_OWN_PATHS} read kept"
        ));
    }
    ev.own_paths = own
        .into_iter()
        .map(|(value, at)| Fact { value, at })
        .collect();
    ev
}

/// NUL-terminated strings with a NUL before them, shaped like a version or a full commit.
fn standalone_strings(bytes: &[u8], at: &dyn Fn(usize) -> Provenance, ev: &mut NativeEvidence) {
    let (mut versions, mut commits) = (0, 0);
    let mut pos = 0;
    for nul in memchr::memchr_iter(0, bytes) {
        let s = &bytes[pos..nul];
        let begins_after_nul = pos > 0;
        let start = pos;
        pos = nul + 1;
        if !begins_after_nul || s.len() < 3 || s.len() > MAX_STANDALONE {
            continue;
        }
        let shape = if COMMIT_SHAPED.is_match(s) {
            StringShape::Commit
        } else if VERSION_SHAPED.is_match(s) {
            StringShape::Version
        } else {
            continue;
        };
        let count = match shape {
            StringShape::Version => &mut versions,
            StringShape::Commit => &mut commits,
        };
        if *count >= MAX_STRINGS {
            continue;
        }
        *count += 1;
        ev.strings.push(StandaloneString {
            value: String::from_utf8_lossy(s).into_owned(),
            shape,
            at: at(start),
            statement: None,
            program: None,
        });
    }
    for (n, what) in [(versions, "version"), (commits, "commit")] {
        if n >= MAX_STRINGS {
            ev.notes.push(format!(
                "more than {MAX_STRINGS} {what}-shaped strings; the first {MAX_STRINGS} kept"
            ));
        }
    }
}

/// Version and commit statements a program prints (`youki version: 0.7.0`,
/// `commit: 0.7.0-94ba653e…`), wherever they stand.
fn statements(bytes: &[u8], at: &dyn Fn(usize) -> Provenance, ev: &mut NativeEvidence) {
    let text = |r: std::ops::Range<usize>| String::from_utf8_lossy(&bytes[r]).into_owned();
    let mut kept = 0;
    for c in VERSION_STATEMENT.captures_iter(bytes) {
        let (all, word, version) = (
            c.get(0).expect("match"),
            c.get(1).expect("group"),
            c.get(2).expect("group"),
        );
        // The version must end there (`1.2.3abc` is not one).
        if bytes
            .get(all.end())
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'.')
        {
            continue;
        }
        if kept >= MAX_STRINGS {
            ev.notes.push(format!(
                "more than {MAX_STRINGS} version statements; the first {MAX_STRINGS} kept"
            ));
            break;
        }
        kept += 1;
        ev.strings.push(StandaloneString {
            value: text(version.range()),
            shape: StringShape::Version,
            at: at(version.start()),
            statement: Some(text(all.range())),
            program: Some(text(word.range())),
        });
    }
    let mut kept = 0;
    for c in COMMIT_STATEMENT.captures_iter(bytes) {
        let value = c.get(1).expect("group");
        let v = text(value.range());
        // The commit is the hex tail: after `-g`, after a version's `-`, or the whole value.
        let tail = v.rsplit(['-']).next().unwrap_or(&v);
        let tail = tail
            .strip_prefix('g')
            .filter(|_| v.contains("-g"))
            .unwrap_or(tail);
        if !(tail.len() >= 7
            && tail.bytes().all(|b| b.is_ascii_hexdigit())
            && tail.bytes().any(|b| b.is_ascii_digit()))
        {
            continue;
        }
        if kept >= MAX_STRINGS {
            ev.notes.push(format!(
                "more than {MAX_STRINGS} commit statements; the first {MAX_STRINGS} kept"
            ));
            break;
        }
        kept += 1;
        let start = value.end() - tail.len();
        ev.strings.push(StandaloneString {
            value: tail.to_ascii_lowercase(),
            shape: StringShape::Commit,
            at: at(start),
            statement: Some(text(c.get(0).expect("match").start()..value.end())),
            program: None,
        });
    }
}

/// A crate's identity as its paths give it: name, version, source.
type CrateKey = (String, Option<String>, CrateSource);

/// Crates by (name, version, source), each with its distinct files and first path.
#[derive(Default)]
struct CrateTable {
    crates: BTreeMap<CrateKey, (BTreeSet<String>, Fact<String>)>,
    dropped: usize,
}

impl CrateTable {
    fn add(
        &mut self,
        name: &str,
        version: Option<&str>,
        source: CrateSource,
        file: &str,
        path: Fact<String>,
    ) {
        let key = (name.to_string(), version.map(str::to_string), source);
        if !self.crates.contains_key(&key) && self.crates.len() >= MAX_CRATES {
            self.dropped += 1;
            return;
        }
        let (files, _) = self
            .crates
            .entry(key)
            .or_insert_with(|| (BTreeSet::new(), path));
        // Counted up to a cap: memory stays flat whatever the file holds.
        if files.len() < MAX_OWN_PATHS {
            files.insert(file.to_string());
        }
    }

    fn finish(self, notes: &mut Vec<String>) -> Vec<RustCrate> {
        if self.dropped > 0 {
            notes.push(format!(
                "more than {MAX_CRATES} crates named by source paths; {} paths of further crates not read",
                self.dropped
            ));
        }
        self.crates
            .into_iter()
            .map(|((name, version, source), (files, path))| RustCrate {
                name,
                version,
                source,
                files: files.len(),
                path,
            })
            .collect()
    }
}

/// Sorted, overlapping spans merged: disjoint spans a binary search can answer.
fn merge(mut spans: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    spans.sort_unstable();
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(spans.len());
    for (s, e) in spans {
        match out.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => out.push((s, e)),
        }
    }
    out
}

/// Where an absolute path (cargo's home, `/rustc/`, `/usr/share/cargo`) that has a crate
/// directory at `dir` starts: its first `/`. Rust does not end strings with NUL, so the
/// characters before may belong to the string stored before it.
fn absolute_start(bytes: &[u8], dir: usize) -> usize {
    let start = path_start(bytes, dir);
    let before = &bytes[start..dir];
    // A path stored just before it (`crates/x/src/main.rs/root/.cargo/...`) ends at `.rs`.
    if let Some(i) = memchr::memmem::rfind(before, b".rs/") {
        return start + i + 3;
    }
    memchr::memchr(b'/', before).map_or(dir, |i| start + i)
}

/// Where a path that has a crate directory at `dir` (the `/` before it) starts: back over path
/// characters, at most [`MAX_PREFIX`] bytes.
fn path_start(bytes: &[u8], dir: usize) -> usize {
    let floor = dir.saturating_sub(MAX_PREFIX);
    let mut i = dir;
    while i > floor && is_path_byte(bytes[i - 1]) {
        i -= 1;
    }
    i
}

fn is_path_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'/' | b'.' | b'_' | b'-' | b'+' | b'@' | b'~')
}

fn rust_paths(
    bytes: &[u8],
    at: &dyn Fn(usize) -> Provenance,
    ev: &mut NativeEvidence,
    crates: &mut CrateTable,
    own: &mut BTreeMap<String, Provenance>,
) {
    let text = |r: std::ops::Range<usize>| String::from_utf8_lossy(&bytes[r]).into_owned();
    // Spans already explained (a crate's path), so the relative-path pass skips them.
    let mut taken: Vec<(usize, usize)> = Vec::new();
    if ev.rustc.is_none()
        && let Some(c) = RUSTC.captures(bytes)
    {
        let m = c.get(0).expect("match");
        ev.rustc = Some(Fact {
            value: text(c.get(1).expect("group").range()),
            at: at(m.start()),
        });
    }
    for c in RUSTC.find_iter(bytes) {
        taken.push((c.start(), c.end()));
    }
    for c in GIT_CHECKOUT.captures_iter(bytes) {
        let (all, repo, commit, rest) = (
            c.get(0).expect("match"),
            c.get(1).expect("group"),
            c.get(2).expect("group"),
            c.get(3).expect("group"),
        );
        let start = absolute_start(bytes, all.start());
        let rest_s = text(rest.range());
        // The crate is the directory holding `src/` (the checkout itself when at its root).
        let name = rest_s
            .rsplit_once("/src/")
            .map(|(dir, _)| dir.rsplit('/').next().unwrap_or(dir).to_string())
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| text(repo.range()));
        crates.add(
            &name,
            None,
            CrateSource::Git {
                repository: text(repo.range()),
                commit: text(commit.range()),
            },
            &rest_s,
            Fact {
                value: text(start..all.end()),
                at: at(start),
            },
        );
        taken.push((start, all.end()));
    }
    for c in CRATE_DIR.captures_iter(bytes) {
        let (all, name, version, rest) = (
            c.get(0).expect("match"),
            c.get(1).expect("group"),
            c.get(2).expect("group"),
            c.get(3).expect("group"),
        );
        let start = path_start(bytes, all.start());
        if taken.iter().any(|(s, e)| *s <= start && all.end() <= *e) {
            continue;
        }
        let before = &bytes[start..all.start()];
        let source = if let Some(i) = memchr::memmem::rfind(before, b"/registry/src/") {
            let index = &before[i + "/registry/src/".len()..];
            CrateSource::Registry {
                index: String::from_utf8_lossy(index).into_owned(),
            }
        } else if before.ends_with(b"/usr/share/cargo/registry") {
            CrateSource::Distribution
        } else if before.ends_with(b"/vendor") || before == b"vendor" {
            CrateSource::Vendored
        } else {
            CrateSource::Directory
        };
        // `registry/src/INDEX` must be the directory right above the crate.
        let source = match source {
            CrateSource::Registry { index } if index.contains('/') => CrateSource::Directory,
            s => s,
        };
        let start = match source {
            CrateSource::Registry { .. } | CrateSource::Distribution => {
                absolute_start(bytes, all.start())
            }
            _ => start,
        };
        crates.add(
            &text(name.range()),
            Some(&text(version.range())),
            source,
            &text(rest.range()),
            Fact {
                value: text(start..all.end()),
                at: at(start),
            },
        );
        taken.push((start, all.end()));
    }
    for c in VENDOR_DIR.captures_iter(bytes) {
        let (all, name, rest) = (
            c.get(1).expect("group"),
            c.get(2).expect("group"),
            c.get(3).expect("group"),
        );
        let start = path_start(bytes, all.start());
        if taken
            .iter()
            .any(|(s, e)| *s <= all.start() && all.end() <= *e)
        {
            continue;
        }
        crates.add(
            &text(name.range()),
            None,
            CrateSource::Vendored,
            &text(rest.range()),
            Fact {
                value: text(start..all.end()),
                at: at(start),
            },
        );
        taken.push((start, all.end()));
    }
    let taken = merge(taken);
    for m in RELATIVE_RS.find_iter(bytes) {
        let (s, e) = (m.start(), m.end());
        // Absolute paths (and the tails of longer paths) are not the workspace's own.
        if s > 0 && is_path_byte(bytes[s - 1]) || bytes[s] == b'/' {
            continue;
        }
        // Overlapping a crate's path: the text before an absolute path runs into it, or it
        // runs into the absolute path stored after it (then it ends where that one starts).
        let i = taken.partition_point(|(_, te)| *te <= s);
        let e = match taken.get(i) {
            Some((ts, _)) if *ts <= s => continue,
            Some((ts, _)) if *ts < e => {
                let cut = &bytes[s..*ts];
                if !(cut.ends_with(b".rs") && cut.contains(&b'/')) {
                    continue;
                }
                *ts
            }
            _ => e,
        };
        if own.len() >= MAX_OWN_PATHS {
            break;
        }
        own.entry(text(s..e)).or_insert_with(|| at(s));
    }
}

/// Splits a cargo crate directory name: `aho-corasick-1.1.4` -> (`aho-corasick`, `1.1.4`).
pub fn split_crate_dir(dir: &str) -> Option<(&str, &str)> {
    static SPLIT: LazyLock<regex::Regex> = LazyLock::new(|| {
        regex::Regex::new(
            r"^([A-Za-z0-9_][A-Za-z0-9_-]*?)-([0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$",
        )
        .expect("valid regex")
    });
    let c = SPLIT.captures(dir)?;
    Some((c.get(1)?.as_str(), c.get(2)?.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(bytes: &[u8]) -> NativeEvidence {
        let mut ev = NativeEvidence::default();
        let mut crates = CrateTable::default();
        let mut own = BTreeMap::new();
        let at = |rel: usize| Provenance::File {
            section: Some(".rodata".into()),
            offset: rel as u64,
        };
        standalone_strings(bytes, &at, &mut ev);
        statements(bytes, &at, &mut ev);
        rust_paths(bytes, &at, &mut ev, &mut crates, &mut own);
        ev.crates = crates.finish(&mut ev.notes);
        ev.own_path_count = own.len();
        ev.own_paths = own
            .into_iter()
            .map(|(value, at)| Fact { value, at })
            .collect();
        ev
    }

    #[test]
    fn crate_directories_split_at_the_version() {
        assert_eq!(
            split_crate_dir("aho-corasick-1.1.4"),
            Some(("aho-corasick", "1.1.4"))
        );
        assert_eq!(
            split_crate_dir("windows-sys-0.52.0"),
            Some(("windows-sys", "0.52.0"))
        );
        assert_eq!(
            split_crate_dir("foo-1.0.0-rc.1+dev"),
            Some(("foo", "1.0.0-rc.1+dev"))
        );
        assert_eq!(split_crate_dir("pathrs"), None);
    }

    #[test]
    fn registry_paths_name_crates_with_versions_and_their_index() {
        // Rust strings are not NUL-terminated: paths abut other strings.
        let bytes = b"\0called `Option::unwrap()` on a `None` value/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pathrs-0.2.5/src/procfs.rsinvalid fd/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pathrs-0.2.5/src/resolvers/opath.rs\x01/usr/share/cargo/registry/nix-0.29.0/src/fcntl.rs\0vendor/libc/src/unix/mod.rs\0/rust/deps/aho-corasick-1.1.4/src/nfa/noncontiguous.rs\0";
        let ev = scan(bytes);
        let names: Vec<(String, Option<String>, CrateSource, usize)> = ev
            .crates
            .iter()
            .map(|c| (c.name.clone(), c.version.clone(), c.source.clone(), c.files))
            .collect();
        assert!(names.contains(&(
            "pathrs".into(),
            Some("0.2.5".into()),
            CrateSource::Registry {
                index: "index.crates.io-1949cf8c6b5b557f".into()
            },
            2
        )));
        assert!(names.contains(&(
            "nix".into(),
            Some("0.29.0".into()),
            CrateSource::Distribution,
            1
        )));
        assert!(names.contains(&("libc".into(), None, CrateSource::Vendored, 1)));
        assert!(names.contains(&(
            "aho-corasick".into(),
            Some("1.1.4".into()),
            CrateSource::Directory,
            1
        )));
        let pathrs = ev.crates.iter().find(|c| c.name == "pathrs").unwrap();
        // `value` before it belongs to the panic message: an absolute path starts at its `/`.
        assert_eq!(
            pathrs.path.value,
            "/root/.cargo/registry/src/index.crates.io-1949cf8c6b5b557f/pathrs-0.2.5/src/procfs.rs"
        );
        assert_eq!(
            pathrs.path.at,
            Provenance::File {
                section: Some(".rodata".into()),
                offset: 44
            }
        );
        assert!(ev.own_paths.iter().all(|p| !p.value.contains("pathrs")));
    }

    #[test]
    fn git_checkouts_name_the_commit_and_the_crate_directory() {
        let bytes = b"\0/home/u/.cargo/git/checkouts/youki-0123456789abcdef/94ba653/crates/libcontainer/src/process/mod.rs\0";
        let ev = scan(bytes);
        assert_eq!(ev.crates.len(), 1);
        let c = &ev.crates[0];
        assert_eq!(c.name, "libcontainer");
        assert_eq!(c.version, None);
        assert_eq!(
            c.source,
            CrateSource::Git {
                repository: "youki".into(),
                commit: "94ba653".into()
            }
        );
        assert_eq!(
            c.path.at,
            Provenance::File {
                section: Some(".rodata".into()),
                offset: 1
            }
        );
    }

    #[test]
    fn own_paths_and_the_toolchain_commit_are_read() {
        let bytes = b"\0crates/libcontainer/src/process/container_init_process.rs\0/rustc/59807616e1fa2540724bfbac14d7976d7e4a3860/library/core/src/option.rs\0src/main.rs\x02";
        let ev = scan(bytes);
        assert_eq!(
            ev.rustc.as_ref().map(|r| r.value.as_str()),
            Some("59807616e1fa2540724bfbac14d7976d7e4a3860")
        );
        let own: Vec<&str> = ev.own_paths.iter().map(|p| p.value.as_str()).collect();
        assert_eq!(
            own,
            [
                "crates/libcontainer/src/process/container_init_process.rs",
                "src/main.rs"
            ]
        );
        assert!(ev.is_rust());
    }

    #[test]
    fn c_version_and_commit_strings_stand_alone() {
        let bytes = b"please specify a command\x001.21\0%s version %s\0commit: %s\0\
10269840aa07fb7e6b7e1acff6198692d8ff5c88\0not1.2\0deadbeef\0";
        let ev = scan(bytes);
        let found: Vec<(&str, StringShape)> = ev
            .strings
            .iter()
            .map(|s| (s.value.as_str(), s.shape))
            .collect();
        assert_eq!(
            found,
            [
                ("1.21", StringShape::Version),
                (
                    "10269840aa07fb7e6b7e1acff6198692d8ff5c88",
                    StringShape::Commit
                )
            ]
        );
        assert_eq!(
            ev.strings[0].at,
            Provenance::File {
                section: Some(".rodata".into()),
                offset: 25
            }
        );
        assert!(!ev.is_rust());
    }

    #[test]
    fn printed_statements_give_the_version_and_the_commit() {
        // rustc stores `println!("youki version: {}", env!("CARGO_PKG_VERSION"))` whole, next
        // to whatever string came before it.
        let bytes = b"IncompleteInternalErroryouki version: 0.7.0\ncommit: 0.7.0-94ba653efbb180ce04650f6ae01a8e6bc8f96d92\nspec: 1.2.1\n%s version %s\0commit: %s\0runc version 1.1.5-0-gf19387a6\0";
        let ev = scan(bytes);
        let found: Vec<(&str, StringShape, Option<&str>)> = ev
            .strings
            .iter()
            .map(|s| (s.value.as_str(), s.shape, s.program.as_deref()))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "0.7.0",
                    StringShape::Version,
                    Some("IncompleteInternalErroryouki")
                ),
                ("1.1.5-0-gf19387a6", StringShape::Version, Some("runc")),
                (
                    "94ba653efbb180ce04650f6ae01a8e6bc8f96d92",
                    StringShape::Commit,
                    None
                ),
            ]
        );
        assert_eq!(
            ev.strings[2].statement.as_deref(),
            Some("commit: 0.7.0-94ba653efbb180ce04650f6ae01a8e6bc8f96d92")
        );
        // The value's own offset: a hex dump there shows it.
        assert_eq!(
            ev.strings[2].at,
            Provenance::File {
                section: Some(".rodata".into()),
                offset: 58
            }
        );
    }

    #[test]
    fn caps_bound_what_is_kept() {
        let mut bytes = vec![0u8];
        for i in 0..(MAX_STRINGS + 10) {
            bytes.extend_from_slice(format!("1.{i}\0").as_bytes());
        }
        for i in 0..(MAX_CRATES + 5) {
            bytes.extend_from_slice(format!("/registry/src/i/c{i}-1.0.0/src/lib.rs\0").as_bytes());
        }
        let ev = scan(&bytes);
        assert_eq!(ev.strings.len(), MAX_STRINGS);
        assert_eq!(ev.crates.len(), MAX_CRATES);
        assert_eq!(ev.notes.len(), 2, "{:?}", ev.notes);
    }
}
