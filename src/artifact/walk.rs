//! Walking inputs down to ELF files: directories (symlinks not followed), tar archives plain or
//! compressed (gzip, zstd, xz), `docker save` archives, OCI image layouts and Debian packages,
//! nested in any order. Everything is streamed: a member is sniffed from its first bytes and
//! read into memory only when it is an ELF file under the size cap.
//!
//! Must not: write to disk, follow symlinks inside a tree, execute anything, or interpret Go
//! evidence (that is `gobuild`).

use std::collections::HashSet;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use anyhow::{Context, Result, bail};

use super::deb::{DebPackage, parse_control};
use super::elf::ElfView;
use super::gobuild::read_go_evidence;
use super::gopclntab::read_function_table;
use super::native::read_native_evidence;
use super::{Artifact, ArtifactKind, NativeEvidence, ScanOptions};

/// Bytes looked at to recognise a member: enough for the tar header's `ustar` magic.
const SNIFF_LEN: usize = 512;
/// Largest `control` file or image manifest read into memory.
const MAX_METADATA: u64 = 16 << 20;
/// Memory limit for one xz block decoder (xz -9 needs 64 MiB).
const XZ_MEM_LIMIT_KB: u32 = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sniffed {
    Elf,
    Gzip,
    Zstd,
    Xz,
    Ar,
    Tar,
    Unknown,
}

fn sniff(head: &[u8]) -> Sniffed {
    if head.starts_with(b"\x7fELF") {
        Sniffed::Elf
    } else if head.starts_with(&[0x1f, 0x8b]) {
        Sniffed::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Sniffed::Zstd
    } else if head.starts_with(b"\xfd7zXZ\x00") {
        Sniffed::Xz
    } else if head.starts_with(b"!<arch>\n") {
        Sniffed::Ar
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Sniffed::Tar
    } else {
        Sniffed::Unknown
    }
}

/// What the members being read belong to.
#[derive(Debug, Clone, Default)]
struct Enclosing {
    /// The Debian package whose `data.tar` is being read.
    package: Option<DebPackage>,
    /// The input was named by the user: report it even when it is not a Go binary.
    named: bool,
}

struct Walker<'o> {
    options: &'o ScanOptions,
    out: Vec<Artifact>,
}

pub(super) fn scan(path: &Path, options: &ScanOptions) -> Result<Vec<Artifact>> {
    let meta = std::fs::metadata(path)
        .with_context(|| format!("cannot read {}: check the path", path.display()))?;
    let display = path.display().to_string();
    let mut walker = Walker {
        options,
        out: Vec::new(),
    };
    if meta.is_dir() {
        if is_oci_layout(path) {
            walker.oci_layout(path, &display)?;
        } else {
            walker.directory(path)?;
        }
        return Ok(walker.out);
    }
    if !meta.is_file() {
        // A FIFO or a device would block the open or stream forever.
        bail!(
            "{display}: not a regular file or a directory (a FIFO, socket or device); nothing to identify"
        );
    }
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let ctx = Enclosing {
        package: None,
        named: true,
    };
    let kind = walker
        .stream(&mut file, &display, Some(meta.len()), 0, &ctx)
        .with_context(|| format!("cannot read {display}"))?;
    if kind == Sniffed::Unknown {
        bail!(
            "{display}: not an ELF binary, a tar archive (plain, gzip, zstd or xz), a Debian package, an OCI image layout or a directory; nothing to identify"
        );
    }
    Ok(walker.out)
}

fn is_oci_layout(dir: &Path) -> bool {
    dir.join("oci-layout").is_file() && dir.join("index.json").is_file()
}

/// Reads up to `n` bytes (fewer only at the end of the stream).
fn peek(r: &mut dyn Read, n: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(n);
    r.take(n as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// A tar member's name as a path in the image or package: `./usr/sbin/runc` -> `/usr/sbin/runc`.
fn member_path(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(raw);
    let trimmed = s.trim_start_matches("./").trim_start_matches('/');
    format!("/{trimmed}")
}

impl Walker<'_> {
    /// Reads one stream of unknown kind at `path` and returns what it was.
    fn stream(
        &mut self,
        r: &mut dyn Read,
        path: &str,
        size: Option<u64>,
        depth: usize,
        ctx: &Enclosing,
    ) -> Result<Sniffed> {
        let head = peek(r, SNIFF_LEN)?;
        let kind = sniff(&head);
        let mut whole = (&head[..]).chain(r);
        if !matches!(kind, Sniffed::Elf | Sniffed::Unknown) && depth >= self.options.max_depth {
            self.out.push(Artifact::skipped(
                path.to_string(),
                size,
                format!(
                    "archive nested {depth} levels deep; not read (the limit is {})",
                    self.options.max_depth
                ),
            ));
            return Ok(kind);
        }
        match kind {
            Sniffed::Elf => self.elf(&mut whole, path, size, ctx)?,
            Sniffed::Gzip => {
                let mut d = flate2::read::MultiGzDecoder::new(whole);
                self.decompressed(&mut d, path, depth, ctx)?;
            }
            Sniffed::Zstd => {
                let mut d = zstd::stream::read::Decoder::new(whole)?;
                self.decompressed(&mut d, path, depth, ctx)?;
            }
            Sniffed::Xz => {
                let mut d = lzma_rust2::XzReader::new_mem_limit(whole, true, XZ_MEM_LIMIT_KB);
                self.decompressed(&mut d, path, depth, ctx)?;
            }
            Sniffed::Ar => self.ar(&mut whole, path, size, depth)?,
            Sniffed::Tar => self.tar(&mut whole, path, depth, ctx)?,
            Sniffed::Unknown => {}
        }
        Ok(kind)
    }

    /// The content of a compressed stream: a tar (a layer, `data.tar`) or a single file.
    fn decompressed(
        &mut self,
        r: &mut dyn Read,
        path: &str,
        depth: usize,
        ctx: &Enclosing,
    ) -> Result<()> {
        self.stream(r, path, None, depth + 1, ctx)?;
        Ok(())
    }

    /// A member of an archive: its failures become a skipped artifact, not an error, unless
    /// the archive around it is broken (the next member then fails in the caller).
    fn member(
        &mut self,
        r: &mut dyn Read,
        path: &str,
        size: Option<u64>,
        depth: usize,
        ctx: &Enclosing,
    ) {
        let ctx = Enclosing {
            package: ctx.package.clone(),
            named: false,
        };
        if let Err(e) = self.stream(r, path, size, depth, &ctx) {
            self.out.push(Artifact::skipped(
                path.to_string(),
                size,
                format!("not read: {e:#}"),
            ));
        }
    }

    fn elf(
        &mut self,
        r: &mut dyn Read,
        path: &str,
        size: Option<u64>,
        ctx: &Enclosing,
    ) -> Result<()> {
        let cap = self.options.max_elf_bytes;
        let over_cap = |n: u64| {
            format!(
                "ELF file of {n} bytes not read: larger than the {cap}-byte cap (ScanOptions::max_elf_bytes)"
            )
        };
        if let Some(n) = size.filter(|n| *n > cap) {
            self.out
                .push(Artifact::skipped(path.to_string(), size, over_cap(n)));
            return Ok(());
        }
        let mut data = Vec::with_capacity(size.unwrap_or(0) as usize);
        r.take(cap + 1).read_to_end(&mut data)?;
        if data.len() as u64 > cap {
            self.out
                .push(Artifact::skipped(path.to_string(), size, over_cap(cap + 1)));
            return Ok(());
        }
        let view = match ElfView::parse(&data) {
            Ok(v) => v,
            Err(e) => {
                self.out.push(Artifact::skipped(
                    path.to_string(),
                    Some(data.len() as u64),
                    format!("starts like an ELF file but cannot be read as one: {e}"),
                ));
                return Ok(());
            }
        };
        let functions = read_function_table(&view);
        let go = read_go_evidence(&view, functions.as_ref());
        let native = (go.is_none() && functions.is_none()).then(|| read_native_evidence(&view));
        if native.as_ref().is_some_and(NativeEvidence::is_empty)
            && !(ctx.named || self.options.include_non_go)
        {
            return Ok(());
        }
        let mut notes = Vec::new();
        match (&go, &functions) {
            (None, None) if native.as_ref().is_some_and(NativeEvidence::is_rust) => notes.push(
                "no Go build information: a Rust binary (rustc's source paths), read for its crates and version strings"
                    .into(),
            ),
            (None, None) => notes.push(
                "no Go build information: not a Go binary (or one built without it); read for version and commit strings"
                    .into(),
            ),
            (None, Some(_)) => notes.push(
                "no Go build information, but a Go function table: a Go binary whose build information was removed"
                    .into(),
            ),
            (Some(g), None) if g.runtime.agrees() => notes.push(
                "a function table of Go 1.2-1.15, whose files and lines this reader does not read: matched by version strings only"
                    .into(),
            ),
            // The build info is not trusted: identify says why.
            (Some(_), None) => {}
            (Some(_), Some(_)) => {}
        }
        if let Some(t) = &functions {
            notes.extend(t.notes.iter().cloned());
        }
        self.out.push(Artifact {
            path: path.to_string(),
            kind: ArtifactKind::Elf,
            size: Some(data.len() as u64),
            go,
            functions,
            native,
            package: ctx.package.clone(),
            notes,
            named: ctx.named,
        });
        Ok(())
    }

    fn tar(&mut self, r: &mut dyn Read, path: &str, depth: usize, ctx: &Enclosing) -> Result<()> {
        let mut archive = tar::Archive::new(r);
        let entries = archive
            .entries()
            .with_context(|| format!("{path}: cannot read the tar archive"))?;
        for entry in entries {
            let mut entry = entry.with_context(|| format!("{path}: corrupt tar archive"))?;
            let kind = entry.header().entry_type();
            // Links, directories and devices have no bytes of their own; symlinks are not
            // followed.
            if !(kind.is_file() || kind.is_contiguous()) {
                continue;
            }
            let child = format!("{path}!{}", member_path(&entry.path_bytes()));
            let size = entry.size();
            self.member(&mut entry, &child, Some(size), depth + 1, ctx);
        }
        Ok(())
    }

    /// An `ar` archive: a Debian package when its first member is `debian-binary`; any other
    /// (a static library) holds nothing to identify.
    fn ar(&mut self, r: &mut dyn Read, path: &str, size: Option<u64>, depth: usize) -> Result<()> {
        let mut archive = ar::Archive::new(r);
        let before = self.out.len();
        let mut package: Option<DebPackage> = None;
        let mut first = true;
        while let Some(entry) = archive.next_entry() {
            let mut entry = entry.with_context(|| format!("{path}: corrupt ar archive"))?;
            let name = String::from_utf8_lossy(entry.header().identifier())
                .trim_end_matches('/')
                .to_string();
            if first {
                first = false;
                if name != "debian-binary" {
                    return Ok(());
                }
                continue;
            }
            let child = format!("{path}!{name}");
            let member_size = Some(entry.header().size());
            if name.starts_with("control.tar") {
                match read_control(&mut entry, &child) {
                    Ok(Some(p)) => package = Some(p),
                    Ok(None) => self.out.push(Artifact::skipped(
                        child,
                        member_size,
                        "no ./control file with Package and Version fields".into(),
                    )),
                    Err(e) => self.out.push(Artifact::skipped(
                        child,
                        member_size,
                        format!("not read: {e:#}"),
                    )),
                }
            } else if name.starts_with("data.tar") {
                let inner = Enclosing {
                    package: package.clone(),
                    named: false,
                };
                self.member(&mut entry, &child, member_size, depth + 1, &inner);
            }
        }
        if first {
            return Ok(()); // an empty ar archive
        }
        let holds_binary = self.out[before..]
            .iter()
            .any(|a| a.kind == ArtifactKind::Elf);
        match package {
            Some(p) if !holds_binary => self.out.push(Artifact {
                path: path.to_string(),
                kind: ArtifactKind::DebPackage,
                size,
                go: None,
                functions: None,
                native: None,
                package: Some(p),
                notes: vec![
                    "the package holds no binary with Go build information, version strings or Rust source paths; identified by its control fields".into(),
                ],
                named: false,
            }),
            Some(_) => {}
            None => self.out.push(Artifact::skipped(
                path.to_string(),
                size,
                "a Debian package without a readable control file".into(),
            )),
        }
        Ok(())
    }

    fn directory(&mut self, dir: &Path) -> Result<()> {
        let mut it = walkdir::WalkDir::new(dir)
            .follow_links(false)
            .sort_by_file_name()
            .into_iter();
        while let Some(entry) = it.next() {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let p = e.path().map(|p| p.display().to_string());
                    self.out.push(Artifact::skipped(
                        p.unwrap_or_else(|| dir.display().to_string()),
                        None,
                        format!("cannot read: {e}"),
                    ));
                    continue;
                }
            };
            let display = entry.path().display().to_string();
            if entry.file_type().is_dir() {
                if entry.depth() > 0 && is_oci_layout(entry.path()) {
                    it.skip_current_dir();
                    if let Err(e) = self.oci_layout(entry.path(), &display) {
                        self.out
                            .push(Artifact::skipped(display, None, format!("{e:#}")));
                    }
                }
                continue;
            }
            if !entry.file_type().is_file() {
                continue;
            }
            let size = entry.metadata().ok().map(|m| m.len());
            match File::open(entry.path()) {
                Ok(mut f) => self.member(&mut f, &display, size, 0, &Enclosing::default()),
                Err(e) => self.out.push(Artifact::skipped(
                    display,
                    size,
                    format!("cannot open: {e}"),
                )),
            }
        }
        Ok(())
    }

    /// An OCI image layout: `index.json` -> manifests (through nested indexes) -> layers, each
    /// layer read once in manifest order.
    fn oci_layout(&mut self, dir: &Path, display: &str) -> Result<()> {
        let index = read_json(dir, &["index.json"])
            .with_context(|| format!("{display}: not a readable OCI image layout"))?;
        let mut pending: Vec<serde_json::Value> = descriptors(&index, "manifests");
        pending.reverse();
        let mut seen = HashSet::new();
        let mut layers: Vec<String> = Vec::new();
        let mut unread: Option<String> = None;
        while let Some(desc) = pending.pop() {
            let Some(digest) = desc.get("digest").and_then(|d| d.as_str()) else {
                continue;
            };
            if !seen.insert(digest.to_string()) {
                continue;
            }
            let Some(blob) = blob_path(digest) else {
                continue;
            };
            let doc = match read_json(dir, &blob) {
                Ok(d) => d,
                Err(e) => {
                    let note = format!("manifest not read: {e:#}");
                    unread.get_or_insert_with(|| note.clone());
                    self.out.push(Artifact::skipped(
                        format!("{display}/{}", blob_rel(digest)),
                        None,
                        note,
                    ));
                    continue;
                }
            };
            let media = doc
                .get("mediaType")
                .or_else(|| desc.get("mediaType"))
                .and_then(|m| m.as_str())
                .unwrap_or("");
            if doc.get("manifests").is_some() || media.contains("index") || media.contains("list") {
                let mut nested = descriptors(&doc, "manifests");
                nested.reverse();
                pending.extend(nested);
            } else {
                for layer in descriptors(&doc, "layers") {
                    if let Some(d) = layer.get("digest").and_then(|d| d.as_str())
                        && !layers.iter().any(|l| l == d)
                    {
                        layers.push(d.to_string());
                    }
                }
            }
        }
        if layers.is_empty() {
            match unread {
                Some(why) => {
                    bail!("{display}: no image manifest with layers could be read ({why})")
                }
                None => bail!("{display}: index.json names no image manifest with layers"),
            }
        }
        for digest in layers {
            let shown = format!("{display}/{}", blob_rel(&digest));
            let Some(blob) = blob_path(&digest) else {
                self.out.push(Artifact::skipped(
                    shown,
                    None,
                    format!("layer digest {digest:?} is not of the form ALGORITHM:HEX"),
                ));
                continue;
            };
            match open_inside(dir, &blob) {
                Ok(mut f) => {
                    let size = f.metadata().ok().map(|m| m.len());
                    self.member(&mut f, &shown, size, 1, &Enclosing::default());
                }
                Err(e) => self.out.push(Artifact::skipped(
                    shown,
                    None,
                    format!("layer blob not in the layout: {e}"),
                )),
            }
        }
        Ok(())
    }
}

/// Reads the `control` file out of a `control.tar[.gz|.xz|.zst]` member.
fn read_control(r: &mut dyn Read, path: &str) -> Result<Option<DebPackage>> {
    let head = peek(r, SNIFF_LEN)?;
    let whole = (&head[..]).chain(r);
    let mut plain: Box<dyn Read + '_> = match sniff(&head) {
        Sniffed::Gzip => Box::new(flate2::read::MultiGzDecoder::new(whole)),
        Sniffed::Zstd => Box::new(zstd::stream::read::Decoder::new(whole)?),
        Sniffed::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
            whole,
            true,
            XZ_MEM_LIMIT_KB,
        )),
        _ => Box::new(whole),
    };
    let mut archive = tar::Archive::new(&mut plain);
    for entry in archive.entries()? {
        let mut entry = entry.with_context(|| format!("{path}: corrupt tar archive"))?;
        let raw = entry.path_bytes().into_owned();
        if member_path(&raw) != "/control" || !entry.header().entry_type().is_file() {
            continue;
        }
        let mut text = Vec::new();
        (&mut entry).take(MAX_METADATA).read_to_end(&mut text)?;
        let shown = format!("{path}!{}", String::from_utf8_lossy(&raw));
        return Ok(parse_control(&String::from_utf8_lossy(&text), shown));
    }
    Ok(None)
}

/// A JSON file of a layout, `rel` components under `dir` (opened with [`open_inside`]).
fn read_json(dir: &Path, rel: &[&str]) -> Result<serde_json::Value> {
    let path = rel.iter().fold(dir.to_path_buf(), |p, c| p.join(c));
    let f = open_inside(dir, rel).with_context(|| format!("cannot open {}", path.display()))?;
    let mut text = Vec::new();
    f.take(MAX_METADATA).read_to_end(&mut text)?;
    serde_json::from_slice(&text).with_context(|| format!("{}: invalid JSON", path.display()))
}

/// Opens the regular file `rel` (path components) under the directory `dir` without following
/// a symbolic link at any component: a layout whose `blobs/sha256/ID` (or `blobs`, or
/// `index.json`) links to `/etc/passwd` or anywhere else is refused, never read. Opened
/// non-blocking, so a FIFO planted there cannot hang the walk; only a regular file is read.
fn open_inside(dir: &Path, rel: &[&str]) -> io::Result<File> {
    let link = || {
        io::Error::other(
            "a symbolic link (or not a directory) on the way: archeo never follows links inside an artifact",
        )
    };
    #[cfg(unix)]
    let file = {
        use rustix::fs::{CWD, Mode, OFlags, openat};
        use rustix::io::Errno;
        let base = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOFOLLOW | OFlags::NONBLOCK;
        let mut at = openat(CWD, dir, base | OFlags::DIRECTORY, Mode::empty())?;
        for (i, c) in rel.iter().enumerate() {
            let flags = if i + 1 == rel.len() {
                base
            } else {
                base | OFlags::DIRECTORY
            };
            at = openat(&at, *c, flags, Mode::empty()).map_err(|e| match e {
                Errno::LOOP | Errno::NOTDIR => link(),
                e => e.into(),
            })?;
        }
        File::from(at)
    };
    #[cfg(not(unix))]
    let file = {
        let mut p = dir.to_path_buf();
        for c in rel {
            p.push(c);
            if std::fs::symlink_metadata(&p)?.file_type().is_symlink() {
                return Err(link());
            }
        }
        File::open(&p)?
    };
    if !file.metadata()?.is_file() {
        return Err(io::Error::other(
            "not a regular file (a FIFO, socket or device)",
        ));
    }
    Ok(file)
}

fn descriptors(doc: &serde_json::Value, key: &str) -> Vec<serde_json::Value> {
    doc.get(key)
        .and_then(|v| v.as_array())
        .cloned()
        .unwrap_or_default()
}

/// `sha256:abc` -> `blobs/sha256/abc`, as shown.
fn blob_rel(digest: &str) -> String {
    match digest.split_once(':') {
        Some((alg, hex)) => format!("blobs/{alg}/{hex}"),
        None => format!("blobs/{digest}"),
    }
}

/// The blob file of a digest, as path components under the layout (`blobs`, `ALG`, `HEX`);
/// `None` when the digest could escape the layout directory.
fn blob_path(digest: &str) -> Option<[&str; 3]> {
    let (alg, hex) = digest.split_once(':')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '_' | '-'))
            && !s.starts_with('.')
    };
    (ok(alg) && ok(hex)).then_some(["blobs", alg, hex])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffing_recognises_each_container_by_its_magic() {
        assert_eq!(sniff(b"\x7fELF\x02\x01"), Sniffed::Elf);
        assert_eq!(sniff(&[0x1f, 0x8b, 8, 0]), Sniffed::Gzip);
        assert_eq!(sniff(&[0x28, 0xb5, 0x2f, 0xfd, 0]), Sniffed::Zstd);
        assert_eq!(sniff(b"\xfd7zXZ\x00\x00"), Sniffed::Xz);
        assert_eq!(sniff(b"!<arch>\ndebian-binary"), Sniffed::Ar);
        let mut tar = vec![0u8; 512];
        tar[257..263].copy_from_slice(b"ustar\0");
        assert_eq!(sniff(&tar), Sniffed::Tar);
        assert_eq!(sniff(b"#!/bin/sh\necho hi\n"), Sniffed::Unknown);
    }

    #[test]
    fn member_paths_are_rooted() {
        assert_eq!(member_path(b"./usr/sbin/runc"), "/usr/sbin/runc");
        assert_eq!(member_path(b"usr/bin/x"), "/usr/bin/x");
    }

    #[test]
    fn digests_cannot_escape_the_layout() {
        assert_eq!(
            blob_path("sha256:abc123").unwrap(),
            ["blobs", "sha256", "abc123"]
        );
        assert!(blob_path("sha256:../../etc/passwd").is_none());
        assert!(blob_path("sha256:..").is_none());
        assert!(blob_path("nocolon").is_none());
    }
}
